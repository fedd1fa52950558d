//! The contract's ISP settings mapped onto a device's V4L2 controls, in the device's own
//! units and ranges (VIDIOC_QUERYCTRL): brightness 0..255 on one webcam is 0..255 in
//! GetOptions, not rescaled. What the device lacks is not offered (`levels`, mode masks),
//! and IR cut and WDR, which no standard V4L2 control drives reliably, are never offered.
//!
//! Pure: built from the control list, it validates attributes and computes the control
//! writes for a change; `camera.rs` issues them.

use moq_v4l::sys::{
    V4L2_CID_AUTO_WHITE_BALANCE, V4L2_CID_AUTOGAIN, V4L2_CID_BACKLIGHT_COMPENSATION,
    V4L2_CID_BLUE_BALANCE, V4L2_CID_BRIGHTNESS, V4L2_CID_CONTRAST, V4L2_CID_EXPOSURE_ABSOLUTE,
    V4L2_CID_EXPOSURE_AUTO, V4L2_CID_GAIN, V4L2_CID_RED_BALANCE, V4L2_CID_SATURATION,
    V4L2_CID_SHARPNESS,
};

use super::device::{Control, ControlKind};
use crate::*;

/// V4L2_CID_EXPOSURE_AUTO's menu (`enum v4l2_exposure_auto_type`).
const EXPOSURE_AUTO: i32 = 0;
const EXPOSURE_MANUAL: i32 = 1;
const EXPOSURE_APERTURE_PRIORITY: i32 = 3;
/// V4L2_CID_EXPOSURE_ABSOLUTE counts in units of 100 µs.
const EXPOSURE_UNIT_US: i32 = 100;

/// The controls the ISP settings map to, those the device has.
#[derive(Clone, Debug, Default)]
pub struct IspMap {
    brightness: Option<Control>,
    contrast: Option<Control>,
    saturation: Option<Control>,
    sharpness: Option<Control>,
    gain: Option<Control>,
    autogain: Option<Control>,
    exposure_auto: Option<Control>,
    exposure: Option<Control>,
    awb: Option<Control>,
    red: Option<Control>,
    blue: Option<Control>,
    backlight: Option<Control>,
}

fn range(c: &Option<Control>) -> NVT_RANGE_S {
    match c {
        Some(c) => NVT_RANGE_S {
            min: c.min,
            max: c.max,
        },
        // Absent: a one-value range, so the (ignored) field is still valid.
        None => NVT_RANGE_S { min: 0, max: 0 },
    }
}

fn clamp(c: &Control, v: i32) -> i32 {
    v.clamp(c.min, c.max)
}

impl IspMap {
    pub fn new(controls: &[Control]) -> IspMap {
        let find = |id: u32| controls.iter().find(|c| c.id == id).cloned();
        let numeric =
            |id: u32| find(id).filter(|c| c.kind == ControlKind::Integer && c.max > c.min);
        IspMap {
            brightness: numeric(V4L2_CID_BRIGHTNESS),
            contrast: numeric(V4L2_CID_CONTRAST),
            saturation: numeric(V4L2_CID_SATURATION),
            sharpness: numeric(V4L2_CID_SHARPNESS),
            gain: numeric(V4L2_CID_GAIN),
            autogain: find(V4L2_CID_AUTOGAIN).filter(|c| c.kind == ControlKind::Boolean),
            exposure_auto: find(V4L2_CID_EXPOSURE_AUTO).filter(|c| c.kind == ControlKind::Menu),
            exposure: numeric(V4L2_CID_EXPOSURE_ABSOLUTE),
            awb: find(V4L2_CID_AUTO_WHITE_BALANCE).filter(|c| c.kind == ControlKind::Boolean),
            red: numeric(V4L2_CID_RED_BALANCE),
            blue: numeric(V4L2_CID_BLUE_BALANCE),
            backlight: numeric(V4L2_CID_BACKLIGHT_COMPENSATION),
        }
    }

    /// The exposure menu entry that means "automatic" on this device.
    fn auto_exposure_entry(&self) -> Option<i32> {
        let menu = &self.exposure_auto.as_ref()?.menu;
        [EXPOSURE_AUTO, EXPOSURE_APERTURE_PRIORITY]
            .into_iter()
            .find(|e| menu.contains(e))
    }

    fn manual_exposure(&self) -> bool {
        self.exposure.is_some()
            && self
                .exposure_auto
                .as_ref()
                .is_some_and(|c| c.menu.contains(&EXPOSURE_MANUAL))
    }

    fn manual_wb(&self) -> bool {
        self.red.is_some() && self.blue.is_some()
    }

    pub fn range(&self) -> NVT_ISP_RANGE_S {
        let mut levels = 0;
        for (c, bit) in [
            (&self.brightness, NVT_ISP_LEVEL_BRIGHTNESS),
            (&self.contrast, NVT_ISP_LEVEL_CONTRAST),
            (&self.saturation, NVT_ISP_LEVEL_SATURATION),
            (&self.sharpness, NVT_ISP_LEVEL_SHARPNESS),
        ] {
            if c.is_some() {
                levels |= bit;
            }
        }
        let manual_exposure = self.manual_exposure();
        if manual_exposure && self.gain.is_some() {
            levels |= NVT_ISP_LEVEL_GAIN;
        }
        let auto = 1 << NVT_AUTO_MODE_E::NVT_MODE_AUTO.0;
        let manual = 1 << NVT_AUTO_MODE_E::NVT_MODE_MANUAL.0;
        let exposure_modes = if self.exposure_auto.is_none() {
            0
        } else {
            (if self.auto_exposure_entry().is_some() {
                auto
            } else {
                0
            }) | (if manual_exposure { manual } else { 0 })
        };
        let wb_modes = (if self.awb.is_some() { auto } else { 0 })
            | (if self.manual_wb() { manual } else { 0 });
        let exposure_us = match &self.exposure {
            Some(c) if manual_exposure => NVT_RANGE_S {
                min: c.min.saturating_mul(EXPOSURE_UNIT_US),
                max: c.max.saturating_mul(EXPOSURE_UNIT_US),
            },
            _ => NVT_RANGE_S { min: 0, max: 0 },
        };
        let backlight_level = match &self.backlight {
            // Level 0 (the control's minimum) is "off": the levels are the rest.
            Some(c) => NVT_RANGE_S {
                min: c.min + 1,
                max: c.max,
            },
            None => NVT_RANGE_S { min: 0, max: 0 },
        };
        NVT_ISP_RANGE_S {
            brightness: range(&self.brightness),
            contrast: range(&self.contrast),
            saturation: range(&self.saturation),
            sharpness: range(&self.sharpness),
            backlight_level,
            wdr_level: NVT_RANGE_S { min: 0, max: 0 },
            exposure_time_us: exposure_us,
            gain: if levels & NVT_ISP_LEVEL_GAIN != 0 {
                range(&self.gain)
            } else {
                NVT_RANGE_S { min: 0, max: 0 }
            },
            wb_cr_gain: if self.manual_wb() {
                range(&self.red)
            } else {
                NVT_RANGE_S { min: 0, max: 0 }
            },
            wb_cb_gain: if self.manual_wb() {
                range(&self.blue)
            } else {
                NVT_RANGE_S { min: 0, max: 0 }
            },
            ircut_modes: 0,
            has_backlight: self.backlight.is_some() as u32,
            has_wdr: 0,
            exposure_modes,
            wb_modes,
            levels,
        }
    }

    /// The settings the device has now, from its current control values (`get`); fields
    /// of absent features hold a value inside their one-value range.
    pub fn read(&self, get: impl Fn(u32) -> Option<i32>) -> NVT_ISP_ATTR_S {
        let value = |c: &Option<Control>| {
            c.as_ref()
                .map(|c| clamp(c, get(c.id).unwrap_or(c.default)))
                .unwrap_or(0)
        };
        let r = self.range();
        let exposure_mode = match &self.exposure_auto {
            Some(c) if self.manual_exposure() && get(c.id) == Some(EXPOSURE_MANUAL) => {
                NVT_AUTO_MODE_E::NVT_MODE_MANUAL
            }
            _ => NVT_AUTO_MODE_E::NVT_MODE_AUTO,
        };
        let wb_mode = match &self.awb {
            Some(c) if self.manual_wb() && get(c.id) == Some(0) => NVT_AUTO_MODE_E::NVT_MODE_MANUAL,
            None if self.manual_wb() => NVT_AUTO_MODE_E::NVT_MODE_MANUAL,
            _ => NVT_AUTO_MODE_E::NVT_MODE_AUTO,
        };
        let backlight = value(&self.backlight);
        let backlight_on = self.backlight.as_ref().is_some_and(|c| backlight > c.min);
        NVT_ISP_ATTR_S {
            brightness: value(&self.brightness),
            contrast: value(&self.contrast),
            saturation: value(&self.saturation),
            sharpness: value(&self.sharpness),
            ircut: NVT_IRCUT_MODE_E::NVT_IRCUT_AUTO,
            backlight_enable: backlight_on as u32,
            backlight_level: if backlight_on {
                backlight
            } else {
                r.backlight_level.max
            },
            wdr_enable: 0,
            wdr_level: 0,
            exposure_mode,
            exposure_time_us: if self.manual_exposure() {
                value(&self.exposure).saturating_mul(EXPOSURE_UNIT_US)
            } else {
                0
            },
            gain: if r.levels & NVT_ISP_LEVEL_GAIN != 0 {
                value(&self.gain)
            } else {
                0
            },
            wb_mode,
            wb_cr_gain: if self.manual_wb() {
                value(&self.red)
            } else {
                0
            },
            wb_cb_gain: if self.manual_wb() {
                value(&self.blue)
            } else {
                0
            },
        }
    }

    /// Every field inside its range and every mode one the device has.
    pub fn validate(&self, a: &NVT_ISP_ATTR_S) -> bool {
        let r = self.range();
        let within = |v: i32, r: NVT_RANGE_S| (r.min..=r.max).contains(&v);
        let mode_ok = |m: NVT_AUTO_MODE_E, mask: u32| {
            // No mode offered: the field is ignored, only AUTO (its reading) is accepted.
            if mask == 0 {
                m == NVT_AUTO_MODE_E::NVT_MODE_AUTO
            } else {
                m.0 < 32 && mask & (1 << m.0) != 0
            }
        };
        within(a.brightness, r.brightness)
            && within(a.contrast, r.contrast)
            && within(a.saturation, r.saturation)
            && within(a.sharpness, r.sharpness)
            && a.ircut == NVT_IRCUT_MODE_E::NVT_IRCUT_AUTO
            && a.backlight_enable <= r.has_backlight
            && (a.backlight_enable == 0 || within(a.backlight_level, r.backlight_level))
            && a.wdr_enable == 0
            && mode_ok(a.exposure_mode, r.exposure_modes)
            && (a.exposure_mode == NVT_AUTO_MODE_E::NVT_MODE_AUTO
                || (within(a.exposure_time_us, r.exposure_time_us) && within(a.gain, r.gain)))
            && mode_ok(a.wb_mode, r.wb_modes)
            && (a.wb_mode == NVT_AUTO_MODE_E::NVT_MODE_AUTO
                || (within(a.wb_cr_gain, r.wb_cr_gain) && within(a.wb_cb_gain, r.wb_cb_gain)))
    }

    /// The control writes that take the device from `old` (None: unknown, write all) to
    /// `new`, in an order drivers accept: a mode switch before the values it unlocks
    /// (manual exposure time is refused while exposure is automatic).
    pub fn writes(&self, old: Option<&NVT_ISP_ATTR_S>, new: &NVT_ISP_ATTR_S) -> Vec<(u32, i32)> {
        let mut out = Vec::new();
        let mut put = |c: &Option<Control>, v: i32, was: Option<i32>| {
            if let Some(c) = c
                && was != Some(v)
            {
                out.push((c.id, clamp(c, v)));
            }
        };
        let manual_exposure = new.exposure_mode == NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
        let entry = |a: &NVT_ISP_ATTR_S| {
            if a.exposure_mode == NVT_AUTO_MODE_E::NVT_MODE_MANUAL {
                Some(EXPOSURE_MANUAL)
            } else {
                self.auto_exposure_entry()
            }
        };
        if let Some(e) = entry(new) {
            put(&self.exposure_auto, e, old.and_then(entry));
        }
        let auto =
            |a: &NVT_ISP_ATTR_S| (a.exposure_mode != NVT_AUTO_MODE_E::NVT_MODE_MANUAL) as i32;
        put(&self.autogain, auto(new), old.map(auto));
        if manual_exposure {
            put(
                &self.exposure,
                new.exposure_time_us / EXPOSURE_UNIT_US,
                old.filter(|o| o.exposure_mode == new.exposure_mode)
                    .map(|o| o.exposure_time_us / EXPOSURE_UNIT_US),
            );
            put(
                &self.gain,
                new.gain,
                old.filter(|o| o.exposure_mode == new.exposure_mode)
                    .map(|o| o.gain),
            );
        }
        let manual_wb = new.wb_mode == NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
        put(
            &self.awb,
            (!manual_wb) as i32,
            old.map(|o| (o.wb_mode != NVT_AUTO_MODE_E::NVT_MODE_MANUAL) as i32),
        );
        if manual_wb {
            let same = old.filter(|o| o.wb_mode == new.wb_mode);
            put(&self.red, new.wb_cr_gain, same.map(|o| o.wb_cr_gain));
            put(&self.blue, new.wb_cb_gain, same.map(|o| o.wb_cb_gain));
        }
        put(&self.brightness, new.brightness, old.map(|o| o.brightness));
        put(&self.contrast, new.contrast, old.map(|o| o.contrast));
        put(&self.saturation, new.saturation, old.map(|o| o.saturation));
        put(&self.sharpness, new.sharpness, old.map(|o| o.sharpness));
        let backlight = |a: &NVT_ISP_ATTR_S| match &self.backlight {
            Some(c) if a.backlight_enable == 0 => c.min,
            _ => a.backlight_level,
        };
        put(&self.backlight, backlight(new), old.map(backlight));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moq_v4l::sys::V4L2_CID_HUE;

    fn int(id: u32, min: i32, max: i32, default: i32) -> Control {
        Control {
            id,
            name: String::new(),
            kind: ControlKind::Integer,
            min,
            max,
            step: 1,
            default,
            menu: Vec::new(),
        }
    }

    /// Controls like vivid's user class: brightness, contrast, saturation, hue; no
    /// sharpness, exposure or white balance.
    fn vivid_like() -> IspMap {
        IspMap::new(&[
            int(V4L2_CID_BRIGHTNESS, 0, 255, 128),
            int(V4L2_CID_CONTRAST, 0, 255, 128),
            int(V4L2_CID_SATURATION, 0, 255, 128),
            int(V4L2_CID_HUE, -128, 128, 0),
        ])
    }

    /// A UVC webcam: exposure menu with manual and aperture priority, absolute exposure,
    /// gain, white balance temperature only (no red/blue balance), backlight 0..2.
    fn uvc_like() -> IspMap {
        IspMap::new(&[
            int(V4L2_CID_BRIGHTNESS, -64, 64, 0),
            int(V4L2_CID_SHARPNESS, 0, 6, 3),
            int(V4L2_CID_GAIN, 0, 100, 0),
            Control {
                kind: ControlKind::Menu,
                menu: vec![1, 3],
                ..int(V4L2_CID_EXPOSURE_AUTO, 0, 3, 3)
            },
            int(V4L2_CID_EXPOSURE_ABSOLUTE, 1, 5000, 156),
            Control {
                kind: ControlKind::Boolean,
                ..int(V4L2_CID_AUTO_WHITE_BALANCE, 0, 1, 1)
            },
            int(V4L2_CID_BACKLIGHT_COMPENSATION, 0, 2, 1),
        ])
    }

    #[test]
    fn control_keys_are_v4l2_ctls_names() {
        let c = |name: &str| Control {
            name: name.into(),
            ..int(0, 0, 1, 0)
        };
        assert_eq!(c("Horizontal Movement").key(), "horizontal_movement");
        assert_eq!(
            c("White Balance, Automatic").key(),
            "white_balance_automatic"
        );
        assert_eq!(
            c("Exposure Time, Absolute (100us)").key(),
            "exposure_time_absolute_100us"
        );
    }

    #[test]
    fn only_what_the_device_has_is_offered_in_its_own_units() {
        let r = vivid_like().range();
        assert_eq!(
            r.levels,
            NVT_ISP_LEVEL_BRIGHTNESS | NVT_ISP_LEVEL_CONTRAST | NVT_ISP_LEVEL_SATURATION
        );
        assert_eq!((r.brightness.min, r.brightness.max), (0, 255));
        assert_eq!(
            (r.exposure_modes, r.wb_modes, r.has_backlight, r.ircut_modes),
            (0, 0, 0, 0)
        );
        let r = uvc_like().range();
        assert_eq!(
            r.levels,
            NVT_ISP_LEVEL_BRIGHTNESS | NVT_ISP_LEVEL_SHARPNESS | NVT_ISP_LEVEL_GAIN
        );
        assert_eq!(r.exposure_modes, 0b11);
        assert_eq!(
            (r.exposure_time_us.min, r.exposure_time_us.max),
            (100, 500_000)
        );
        // Auto white balance only: no red/blue balance to set by hand.
        assert_eq!(r.wb_modes, 0b01);
        assert_eq!(
            (
                r.has_backlight,
                r.backlight_level.min,
                r.backlight_level.max
            ),
            (1, 1, 2)
        );
    }

    #[test]
    fn read_then_validate_round_trips() {
        for map in [vivid_like(), uvc_like()] {
            let a = map.read(|_| None);
            assert!(map.validate(&a), "{a:?}");
        }
        let map = vivid_like();
        let mut a = map.read(|id| (id == V4L2_CID_BRIGHTNESS).then_some(200));
        assert_eq!(a.brightness, 200);
        a.brightness = 256;
        assert!(!map.validate(&a));
        a.brightness = 10;
        a.exposure_mode = NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
        assert!(!map.validate(&a), "manual exposure without the controls");
    }

    #[test]
    fn writes_are_the_difference_with_modes_before_values() {
        let map = uvc_like();
        let old = map.read(|_| None);
        assert!(map.writes(Some(&old), &old).is_empty());
        let mut new = old;
        new.brightness = 10;
        assert_eq!(
            map.writes(Some(&old), &new),
            vec![(V4L2_CID_BRIGHTNESS, 10)]
        );
        new.exposure_mode = NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
        new.exposure_time_us = 20_000;
        new.gain = 5;
        let w = map.writes(Some(&old), &new);
        let pos = |id| w.iter().position(|&(i, _)| i == id).unwrap();
        assert!(
            pos(V4L2_CID_EXPOSURE_AUTO) < pos(V4L2_CID_EXPOSURE_ABSOLUTE),
            "{w:?}"
        );
        assert!(w.contains(&(V4L2_CID_EXPOSURE_ABSOLUTE, 200)));
        assert!(w.contains(&(V4L2_CID_EXPOSURE_AUTO, EXPOSURE_MANUAL)));
        assert!(w.contains(&(V4L2_CID_GAIN, 5)));
        // Unknown old state: everything the device has is written.
        assert!(map.writes(None, &old).len() >= 4);
    }
}
