//! Imaging settings: SetImagingSettings' values, patched onto a source's ISP settings and
//! checked against the source's ranges.

use crate::camera::caps::Facts;
use crate::camera::tokens::{self, source_index};
use crate::sdk::{AutoMode, IrCutMode, IspAttr, IspRange, Range};
use crate::settings::{ImagingSettings, Settings};

use super::error::ChangeError;

/// SetImagingSettings' values: only the elements a request has change. Levels are as sent
/// (fractional values are rounded to the SDK's integers once checked against its range).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IspPatch {
    pub(crate) brightness: Option<f32>,
    pub(crate) contrast: Option<f32>,
    pub(crate) saturation: Option<f32>,
    pub(crate) sharpness: Option<f32>,
    /// On/off and level.
    pub(crate) backlight: Option<(bool, Option<f32>)>,
    pub(crate) wdr: Option<(bool, Option<f32>)>,
    /// Mode, exposure time, gain.
    pub(crate) exposure: Option<(AutoMode, Option<f32>, Option<f32>)>,
    pub(crate) ircut: Option<IrCutMode>,
    /// Mode, Cr gain, Cb gain.
    pub(crate) white_balance: Option<(AutoMode, Option<f32>, Option<f32>)>,
}

/// A level of `patch` in `r`, rounded to the SDK's integer; `name` names it for the message.
fn level(name: &str, v: f32, r: Range) -> Result<i32, ChangeError> {
    if !v.is_finite() || v < r.min as f32 || v > r.max as f32 {
        return Err(ChangeError::Invalid(format!(
            "{name} {v} outside {}..={}",
            r.min, r.max
        )));
    }
    Ok((v.round() as i32).clamp(r.min, r.max))
}

/// The ISP settings `patch` leads to from `a`, checked against the source's ranges (the
/// same [`IspRange`] Imaging's GetOptions reports): a feature the hardware lacks, a mode it
/// does not offer or a level outside its range is refused.
pub(crate) fn patch_isp(a: &IspAttr, r: &IspRange, p: &IspPatch) -> Result<IspAttr, ChangeError> {
    let unsupported = |what: &str| Err(ChangeError::Invalid(format!("{what} is not supported")));
    let mut a = *a;
    let levels = [
        (
            p.brightness,
            "Brightness",
            r.levels.brightness,
            r.brightness,
            &mut a.brightness,
        ),
        (
            p.contrast,
            "Contrast",
            r.levels.contrast,
            r.contrast,
            &mut a.contrast,
        ),
        (
            p.saturation,
            "ColorSaturation",
            r.levels.saturation,
            r.saturation,
            &mut a.saturation,
        ),
        (
            p.sharpness,
            "Sharpness",
            r.levels.sharpness,
            r.sharpness,
            &mut a.sharpness,
        ),
    ];
    for (value, name, present, range, field) in levels {
        if let Some(v) = value {
            if !present {
                return unsupported(name);
            }
            *field = level(name, v, range)?;
        }
    }
    if let Some((on, lvl)) = p.backlight {
        if !r.has_backlight {
            return unsupported("BacklightCompensation");
        }
        a.backlight = on;
        if let Some(v) = lvl {
            a.backlight_level = level("BacklightCompensation/Level", v, r.backlight_level)?;
        }
    }
    if let Some((on, lvl)) = p.wdr {
        if !r.has_wdr {
            return unsupported("WideDynamicRange");
        }
        a.wdr = on;
        if let Some(v) = lvl {
            a.wdr_level = level("WideDynamicRange/Level", v, r.wdr_level)?;
        }
    }
    if let Some((mode, time, gain)) = p.exposure {
        if !r.exposure_modes.contains(&mode) {
            return unsupported(&format!("Exposure/Mode {mode:?}"));
        }
        a.exposure_mode = mode;
        if let Some(v) = time {
            a.exposure_time_us = level("Exposure/ExposureTime", v, r.exposure_time_us)?;
        }
        if let Some(v) = gain {
            if !r.levels.gain {
                return unsupported("Exposure/Gain");
            }
            a.gain = level("Exposure/Gain", v, r.gain)?;
        }
    }
    if let Some(mode) = p.ircut {
        if !r.ircut_modes.contains(&mode) {
            return unsupported(&format!("IrCutFilter {mode:?}"));
        }
        a.ircut = mode;
    }
    if let Some((mode, cr, cb)) = p.white_balance {
        if !r.wb_modes.contains(&mode) {
            return unsupported(&format!("WhiteBalance/Mode {mode:?}"));
        }
        a.wb_mode = mode;
        if let Some(v) = cr {
            a.wb_cr_gain = level("WhiteBalance/CrGain", v, r.wb_cr_gain)?;
        }
        if let Some(v) = cb {
            a.wb_cb_gain = level("WhiteBalance/CbGain", v, r.wb_cb_gain)?;
        }
    }
    // The fields left alone are the current ones, checked at start (`caps::check_isp`) or
    // by the change that set them.
    Ok(a)
}

pub(crate) fn imaging(
    facts: Facts<'_>,
    next: &mut Settings,
    source_token: &str,
    patch: &IspPatch,
) -> Result<(), ChangeError> {
    let range = source_index(source_token)
        .ok()
        .filter(|&vi| tokens::source_token(vi) == source_token)
        .and_then(|vi| facts.isp_ranges.get(vi as usize))
        .ok_or_else(|| ChangeError::NoSource(source_token.to_owned()))?;
    let entry: &mut ImagingSettings = next
        .imaging
        .iter_mut()
        .find(|i| i.source_token == source_token)
        .ok_or_else(|| ChangeError::NoSource(source_token.to_owned()))?;
    entry.isp = patch_isp(&entry.isp, range, patch)?;
    Ok(())
}
