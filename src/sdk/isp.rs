//! Image signal processor settings of a video source, with the ranges the hardware takes.

use std::ops::Range as Bins;
use std::time::Duration;

use sdk_sys as ffi;
use serde::{Deserialize, Serialize};

use super::{ErrorCode, Sdk, SdkError, check, pts_from_us};

pub(crate) const ZONE_COLS: usize = ffi::NVT_ISP_ZONE_COLS as usize;
pub(crate) const ZONE_ROWS: usize = ffi::NVT_ISP_ZONE_ROWS as usize;
pub(crate) const HIST_BINS: usize = ffi::NVT_ISP_HIST_BINS as usize;

/// The ISP's statistics of one picture (`NVT_ISP_GetStats`, contract version 4): what the
/// tamper detection reads (too dark, too bright, too blurry, scene changed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IspStats {
    /// +1 per analysed picture: the same value means the same picture.
    pub seq: u32,
    /// Capture time of the analysed picture (CLOCK_MONOTONIC).
    pub pts: Duration,
    /// Mean luma 0..255 of each of 12 rows of 16 equal zones, from the top-left.
    pub zone_luma: [[u8; ZONE_COLS]; ZONE_ROWS],
    /// Luma histogram: bin b counts luma 8b..8b+7, in per mille of the pixels.
    pub hist: [u16; HIST_BINS],
    /// Sharpness, larger = sharper, only comparable with itself; None when the hardware
    /// has no sharpness statistic.
    pub focus: Option<u32>,
    /// Exposure and gain at their upper limit: the picture cannot be made brighter.
    pub ae_at_max: bool,
    /// Exposure and gain at their lower limit.
    pub ae_at_min: bool,
}

impl IspStats {
    /// Mean luma of the picture (the zones are of equal size).
    pub fn mean_luma(&self) -> u8 {
        let sum: u32 = self.zone_luma.iter().flatten().map(|&z| u32::from(z)).sum();
        let n = (ZONE_COLS * ZONE_ROWS) as u32;
        u8::try_from((sum + n / 2) / n).unwrap_or(u8::MAX)
    }

    /// Per mille of the pixels in histogram bins `bins` (e.g. `0..2`: luma under 16).
    pub fn per_mille_in(&self, bins: Bins<usize>) -> u32 {
        self.hist
            .get(bins)
            .map_or(0, |b| b.iter().map(|&n| u32::from(n)).sum())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IrCutMode {
    Auto,
    /// Filter in: colour picture.
    Day,
    /// Filter out: monochrome picture.
    Night,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AutoMode {
    Auto,
    Manual,
}

/// ISP settings in the SDK's own units (see [`IspRange`] for their bounds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IspAttr {
    pub brightness: i32,
    pub contrast: i32,
    pub saturation: i32,
    pub sharpness: i32,
    pub ircut: IrCutMode,
    pub backlight: bool,
    pub backlight_level: i32,
    pub wdr: bool,
    pub wdr_level: i32,
    pub exposure_mode: AutoMode,
    pub exposure_time_us: i32,
    pub gain: i32,
    pub wb_mode: AutoMode,
    pub wb_cr_gain: i32,
    pub wb_cb_gain: i32,
}

/// An inclusive range of an ISP level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub min: i32,
    pub max: i32,
}

impl Range {
    pub(crate) fn contains(&self, v: i32) -> bool {
        v >= self.min && v <= self.max
    }
}

/// Which levels the hardware has (the contract's `NVT_ISP_LEVEL_*` bits): a level it lacks
/// is neither offered nor accepted (a USB webcam may have no sharpness or gain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Levels {
    pub(crate) brightness: bool,
    pub(crate) contrast: bool,
    pub(crate) saturation: bool,
    pub(crate) sharpness: bool,
    /// Manual gain (with manual exposure).
    pub(crate) gain: bool,
}

impl Levels {
    #[cfg(test)]
    pub(crate) const ALL: Levels = Levels {
        brightness: true,
        contrast: true,
        saturation: true,
        sharpness: true,
        gain: true,
    };

    fn from_bits(bits: u32) -> Levels {
        let has = |bit: u32| bits & bit != 0;
        Levels {
            brightness: has(ffi::NVT_ISP_LEVEL_BRIGHTNESS),
            contrast: has(ffi::NVT_ISP_LEVEL_CONTRAST),
            saturation: has(ffi::NVT_ISP_LEVEL_SATURATION),
            sharpness: has(ffi::NVT_ISP_LEVEL_SHARPNESS),
            gain: has(ffi::NVT_ISP_LEVEL_GAIN),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IspRange {
    pub brightness: Range,
    pub(crate) contrast: Range,
    pub(crate) saturation: Range,
    pub(crate) sharpness: Range,
    pub(crate) backlight_level: Range,
    pub(crate) wdr_level: Range,
    pub(crate) exposure_time_us: Range,
    pub(crate) gain: Range,
    pub(crate) wb_cr_gain: Range,
    pub(crate) wb_cb_gain: Range,
    pub(crate) ircut_modes: Vec<IrCutMode>,
    pub(crate) has_backlight: bool,
    pub(crate) has_wdr: bool,
    pub(crate) exposure_modes: Vec<AutoMode>,
    pub(crate) wb_modes: Vec<AutoMode>,
    pub(crate) levels: Levels,
}

fn range(r: ffi::NVT_RANGE_S) -> Range {
    Range {
        min: r.min,
        max: r.max,
    }
}

fn auto_modes(mask: u32) -> Vec<AutoMode> {
    let mut v = Vec::new();
    if mask & (1 << ffi::NVT_AUTO_MODE_E::NVT_MODE_AUTO.0) != 0 {
        v.push(AutoMode::Auto);
    }
    if mask & (1 << ffi::NVT_AUTO_MODE_E::NVT_MODE_MANUAL.0) != 0 {
        v.push(AutoMode::Manual);
    }
    v
}

fn auto_to_ffi(m: AutoMode) -> ffi::NVT_AUTO_MODE_E {
    match m {
        AutoMode::Auto => ffi::NVT_AUTO_MODE_E::NVT_MODE_AUTO,
        AutoMode::Manual => ffi::NVT_AUTO_MODE_E::NVT_MODE_MANUAL,
    }
}

fn auto_from_ffi(m: ffi::NVT_AUTO_MODE_E) -> Result<AutoMode, SdkError> {
    match m {
        ffi::NVT_AUTO_MODE_E::NVT_MODE_AUTO => Ok(AutoMode::Auto),
        ffi::NVT_AUTO_MODE_E::NVT_MODE_MANUAL => Ok(AutoMode::Manual),
        other => Err(SdkError::with_code(
            "NVT_ISP_GetAttr",
            ErrorCode::Other(other.0 as i32),
        )),
    }
}

const IRCUT: [(ffi::NVT_IRCUT_MODE_E, IrCutMode); 3] = [
    (ffi::NVT_IRCUT_MODE_E::NVT_IRCUT_AUTO, IrCutMode::Auto),
    (ffi::NVT_IRCUT_MODE_E::NVT_IRCUT_DAY, IrCutMode::Day),
    (ffi::NVT_IRCUT_MODE_E::NVT_IRCUT_NIGHT, IrCutMode::Night),
];

impl Sdk {
    pub fn isp_range(&self, vi: u32) -> Result<IspRange, SdkError> {
        let mut r = ffi::NVT_ISP_RANGE_S::default();
        // SAFETY: `r` is a valid, writable struct of the type the function fills.
        check("NVT_ISP_GetRange", unsafe {
            ffi::NVT_ISP_GetRange(vi, &mut r)
        })?;
        Ok(IspRange {
            brightness: range(r.brightness),
            contrast: range(r.contrast),
            saturation: range(r.saturation),
            sharpness: range(r.sharpness),
            backlight_level: range(r.backlight_level),
            wdr_level: range(r.wdr_level),
            exposure_time_us: range(r.exposure_time_us),
            gain: range(r.gain),
            wb_cr_gain: range(r.wb_cr_gain),
            wb_cb_gain: range(r.wb_cb_gain),
            ircut_modes: IRCUT
                .iter()
                .filter(|(raw, _)| r.ircut_modes & (1 << raw.0) != 0)
                .map(|&(_, m)| m)
                .collect(),
            has_backlight: r.has_backlight != 0,
            has_wdr: r.has_wdr != 0,
            exposure_modes: auto_modes(r.exposure_modes),
            wb_modes: auto_modes(r.wb_modes),
            levels: Levels::from_bits(r.levels),
        })
    }

    pub fn isp_attr(&self, vi: u32) -> Result<IspAttr, SdkError> {
        let mut a = ffi::NVT_ISP_ATTR_S::default();
        // SAFETY: `a` is a valid, writable struct of the type the function fills.
        check("NVT_ISP_GetAttr", unsafe {
            ffi::NVT_ISP_GetAttr(vi, &mut a)
        })?;
        let ircut = IRCUT
            .iter()
            .find(|(raw, _)| *raw == a.ircut)
            .map(|&(_, m)| m)
            .ok_or_else(|| {
                SdkError::with_code("NVT_ISP_GetAttr", ErrorCode::Other(a.ircut.0 as i32))
            })?;
        Ok(IspAttr {
            brightness: a.brightness,
            contrast: a.contrast,
            saturation: a.saturation,
            sharpness: a.sharpness,
            ircut,
            backlight: a.backlight_enable != 0,
            backlight_level: a.backlight_level,
            wdr: a.wdr_enable != 0,
            wdr_level: a.wdr_level,
            exposure_mode: auto_from_ffi(a.exposure_mode)?,
            exposure_time_us: a.exposure_time_us,
            gain: a.gain,
            wb_mode: auto_from_ffi(a.wb_mode)?,
            wb_cr_gain: a.wb_cr_gain,
            wb_cb_gain: a.wb_cb_gain,
        })
    }

    /// The latest statistics of source `vi`, without waiting (`Timeout` before its first
    /// picture, `NotSupported` if the hardware has none).
    pub fn isp_stats(&self, vi: u32) -> Result<IspStats, SdkError> {
        let mut s = ffi::NVT_ISP_STATS_S::default();
        // SAFETY: `s` is a valid, writable struct of the type the function fills.
        check("NVT_ISP_GetStats", unsafe {
            ffi::NVT_ISP_GetStats(vi, &mut s)
        })?;
        Ok(IspStats {
            seq: s.seq,
            pts: pts_from_us(s.pts_us),
            zone_luma: s.zone_luma,
            hist: s.hist,
            focus: (s.focus_valid != 0).then_some(s.focus_value),
            ae_at_max: s.ae_at_max != 0,
            ae_at_min: s.ae_at_min != 0,
        })
    }

    /// Applies ISP settings to the next frame; out-of-range values change nothing.
    pub fn set_isp_attr(&self, vi: u32, a: &IspAttr) -> Result<(), SdkError> {
        let raw = ffi::NVT_ISP_ATTR_S {
            brightness: a.brightness,
            contrast: a.contrast,
            saturation: a.saturation,
            sharpness: a.sharpness,
            ircut: IRCUT
                .iter()
                .find(|(_, m)| *m == a.ircut)
                .map(|&(raw, _)| raw)
                .expect("listed"),
            backlight_enable: a.backlight.into(),
            backlight_level: a.backlight_level,
            wdr_enable: a.wdr.into(),
            wdr_level: a.wdr_level,
            exposure_mode: auto_to_ffi(a.exposure_mode),
            exposure_time_us: a.exposure_time_us,
            gain: a.gain,
            wb_mode: auto_to_ffi(a.wb_mode),
            wb_cr_gain: a.wb_cr_gain,
            wb_cb_gain: a.wb_cb_gain,
        };
        // SAFETY: `raw` is a valid attribute struct that lives across the call.
        check("NVT_ISP_SetAttr", unsafe { ffi::NVT_ISP_SetAttr(vi, &raw) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_luma_and_histogram_shares() {
        let mut stats = IspStats {
            seq: 1,
            pts: Duration::ZERO,
            zone_luma: [[10; ZONE_COLS]; ZONE_ROWS],
            hist: [0; HIST_BINS],
            focus: None,
            ae_at_max: false,
            ae_at_min: false,
        };
        // Half the zones at 10, half at 241: mean 125.5, rounded up.
        for row in &mut stats.zone_luma[6..] {
            *row = [241; ZONE_COLS];
        }
        assert_eq!(stats.mean_luma(), 126);
        stats.hist[0] = 600;
        stats.hist[1] = 300;
        stats.hist[31] = 100;
        assert_eq!(stats.per_mille_in(0..2), 900);
        assert_eq!(stats.per_mille_in(30..32), 100);
        assert_eq!(
            stats.per_mille_in(30..40),
            0,
            "a range past the bins counts nothing"
        );
    }
}
