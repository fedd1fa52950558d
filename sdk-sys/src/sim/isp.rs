//! The simulated image signal processor: validates settings against the ranges reported by
//! NVT_ISP_GetRange and applies them to each captured frame through lookup tables (one for
//! luma, one each for U and V), so applying any combination costs three table passes.
//! Sharpness (a small horizontal filter) runs only when it differs from neutral.

use super::frame::I420;
use crate::*;

pub const LEVEL: NVT_RANGE_S = NVT_RANGE_S { min: 0, max: 100 };
pub const EXPOSURE_US: NVT_RANGE_S = NVT_RANGE_S {
    min: 100,
    max: 40_000,
};
pub const GAIN: NVT_RANGE_S = NVT_RANGE_S { min: 0, max: 100 };
/// Exposure time at which a manual exposure with gain 0 looks like auto exposure.
pub const NEUTRAL_EXPOSURE_US: i32 = 10_000;

pub fn range() -> NVT_ISP_RANGE_S {
    NVT_ISP_RANGE_S {
        brightness: LEVEL,
        contrast: LEVEL,
        saturation: LEVEL,
        sharpness: LEVEL,
        backlight_level: LEVEL,
        wdr_level: LEVEL,
        exposure_time_us: EXPOSURE_US,
        gain: GAIN,
        wb_cr_gain: LEVEL,
        wb_cb_gain: LEVEL,
        ircut_modes: 0b111,
        has_backlight: 1,
        has_wdr: 1,
        exposure_modes: 0b11,
        wb_modes: 0b11,
        levels: NVT_ISP_LEVEL_BRIGHTNESS
            | NVT_ISP_LEVEL_CONTRAST
            | NVT_ISP_LEVEL_SATURATION
            | NVT_ISP_LEVEL_SHARPNESS
            | NVT_ISP_LEVEL_GAIN,
    }
}

pub fn default_attr() -> NVT_ISP_ATTR_S {
    NVT_ISP_ATTR_S {
        brightness: 50,
        contrast: 50,
        saturation: 50,
        sharpness: 50,
        ircut: NVT_IRCUT_MODE_E::NVT_IRCUT_AUTO,
        backlight_enable: 0,
        backlight_level: 50,
        wdr_enable: 0,
        wdr_level: 50,
        exposure_mode: NVT_AUTO_MODE_E::NVT_MODE_AUTO,
        exposure_time_us: NEUTRAL_EXPOSURE_US,
        gain: 0,
        wb_mode: NVT_AUTO_MODE_E::NVT_MODE_AUTO,
        wb_cr_gain: 50,
        wb_cb_gain: 50,
    }
}

fn in_range(v: i32, r: NVT_RANGE_S) -> bool {
    (r.min..=r.max).contains(&v)
}

/// Every field inside its range (values of disabled features are checked too, so that what
/// GetAttr returns is always valid).
pub fn validate(a: &NVT_ISP_ATTR_S) -> bool {
    let r = range();
    in_range(a.brightness, r.brightness)
        && in_range(a.contrast, r.contrast)
        && in_range(a.saturation, r.saturation)
        && in_range(a.sharpness, r.sharpness)
        && a.ircut.0 <= 2
        && a.backlight_enable <= 1
        && in_range(a.backlight_level, r.backlight_level)
        && a.wdr_enable <= 1
        && in_range(a.wdr_level, r.wdr_level)
        && a.exposure_mode.0 <= 1
        && in_range(a.exposure_time_us, r.exposure_time_us)
        && in_range(a.gain, r.gain)
        && a.wb_mode.0 <= 1
        && in_range(a.wb_cr_gain, r.wb_cr_gain)
        && in_range(a.wb_cb_gain, r.wb_cb_gain)
}

/// Lookup tables compiled from one set of attributes.
pub struct Luts {
    y: [u8; 256],
    u: [u8; 256],
    v: [u8; 256],
    /// Sharpening (> 0) or softening (< 0) strength in 1/64.
    sharpen: i32,
    identity: bool,
    y_identity: bool,
    uv_identity: bool,
}

fn clamp_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

impl Luts {
    pub fn new(a: &NVT_ISP_ATTR_S) -> Luts {
        let manual_exposure = a.exposure_mode == NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
        // Manual exposure: light collected scales with time; gain 0..100 is 0..24 dB.
        let exposure = if manual_exposure {
            a.exposure_time_us as f32 / NEUTRAL_EXPOSURE_US as f32
                * 10f32.powf(a.gain as f32 * 0.24 / 20.0)
        } else {
            1.0
        };
        let contrast = a.contrast as f32 / 50.0;
        let brightness = (a.brightness - 50) as f32 * 1.6;
        let backlight = if a.backlight_enable != 0 {
            a.backlight_level as f32 / 100.0
        } else {
            0.0
        };
        let wdr = if a.wdr_enable != 0 {
            a.wdr_level as f32 / 100.0
        } else {
            0.0
        };
        let mut y = [0u8; 256];
        for (i, out) in y.iter_mut().enumerate() {
            let mut l = (i as f32 * exposure).min(255.0) / 255.0;
            // Backlight compensation lifts the shadows (gamma < 1).
            if backlight > 0.0 {
                l = l.powf(1.0 - 0.5 * backlight);
            }
            // WDR: lift shadows and compress highlights (S-curve toward mid-grey).
            if wdr > 0.0 {
                let s = l.powf(1.0 - 0.4 * wdr);
                l = s - 0.25 * wdr * s * s * (1.0 - s).max(0.0) * 2.0;
            }
            let v = (l * 255.0 - 128.0) * contrast + 128.0 + brightness;
            *out = clamp_u8(v);
        }
        let night = a.ircut == NVT_IRCUT_MODE_E::NVT_IRCUT_NIGHT;
        let sat = if night {
            0.0
        } else {
            a.saturation as f32 / 50.0
        };
        let (cr_shift, cb_shift) = if a.wb_mode == NVT_AUTO_MODE_E::NVT_MODE_MANUAL && !night {
            (
                (a.wb_cr_gain - 50) as f32 * 0.8,
                (a.wb_cb_gain - 50) as f32 * 0.8,
            )
        } else {
            (0.0, 0.0)
        };
        let mut u = [0u8; 256];
        let mut v = [0u8; 256];
        for i in 0..256 {
            let c = (i as f32 - 128.0) * sat + 128.0;
            u[i] = clamp_u8(c + cb_shift);
            v[i] = clamp_u8(c + cr_shift);
        }
        let ident = |t: &[u8; 256]| t.iter().enumerate().all(|(i, &x)| x as usize == i);
        let sharpen = (a.sharpness - 50) * 64 / 50;
        let y_identity = ident(&y);
        let uv_identity = ident(&u) && ident(&v);
        let identity = y_identity && uv_identity && sharpen == 0;
        Luts {
            y,
            u,
            v,
            sharpen,
            identity,
            y_identity,
            uv_identity,
        }
    }

    /// Applies the tables (and sharpness) in place. Tables that are the identity are
    /// skipped, and sharpness is fused with the luma table in one pass.
    pub fn apply(&self, img: &mut I420) {
        if self.identity {
            return;
        }
        let w = img.width;
        let (y, u, v) = img.planes_mut();
        if self.sharpen != 0 {
            // Horizontal unsharp mask (k > 0) or soften (k < 0):
            // y += k/128 * (2y - left - right), from a copy of the row so it vectorises.
            let k = self.sharpen;
            let mut src = vec![0u8; w];
            for row in y.chunks_exact_mut(w) {
                src.copy_from_slice(row);
                for x in 1..w - 1 {
                    let c = src[x] as i32;
                    let hp = 2 * c - src[x - 1] as i32 - src[x + 1] as i32;
                    row[x] = self.y[(c + ((k * hp) >> 7)).clamp(0, 255) as usize];
                }
                row[0] = self.y[src[0] as usize];
                row[w - 1] = self.y[src[w - 1] as usize];
            }
        } else if !self.y_identity {
            for p in y.iter_mut() {
                *p = self.y[*p as usize];
            }
        }
        if !self.uv_identity {
            for p in u.iter_mut() {
                *p = self.u[*p as usize];
            }
            for p in v.iter_mut() {
                *p = self.v[*p as usize];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey_image() -> I420 {
        let mut img = I420::new(16, 16);
        let (y, u, v) = img.planes_mut();
        for (i, p) in y.iter_mut().enumerate() {
            *p = (i * 255 / 255) as u8;
        }
        u.fill(100);
        v.fill(160);
        img
    }

    fn mean(p: &[u8]) -> f64 {
        p.iter().map(|&x| x as f64).sum::<f64>() / p.len() as f64
    }

    #[test]
    fn default_is_identity_and_valid() {
        let a = default_attr();
        assert!(validate(&a));
        let mut img = grey_image();
        let before = img.clone();
        Luts::new(&a).apply(&mut img);
        assert_eq!(img, before);
    }

    #[test]
    fn brightness_contrast_saturation_night_wb() {
        let base = grey_image();
        let run = |f: &dyn Fn(&mut NVT_ISP_ATTR_S)| {
            let mut a = default_attr();
            f(&mut a);
            assert!(validate(&a));
            let mut img = base.clone();
            Luts::new(&a).apply(&mut img);
            img
        };
        let means: Vec<f64> = [0, 25, 50, 75, 100]
            .iter()
            .map(|&b| mean(run(&|a| a.brightness = b).y()))
            .collect();
        assert!(means.windows(2).all(|m| m[0] < m[1]), "{means:?}");
        let low = run(&|a| a.contrast = 10);
        let spread = |i: &I420| i.y().iter().max().unwrap() - i.y().iter().min().unwrap();
        assert!(spread(&low) < spread(&base) / 2);
        let night = run(&|a| a.ircut = NVT_IRCUT_MODE_E::NVT_IRCUT_NIGHT);
        assert!(
            night
                .planes()
                .1
                .iter()
                .chain(night.planes().2)
                .all(|&c| c == 128)
        );
        let desat = run(&|a| a.saturation = 0);
        assert!(desat.planes().1.iter().all(|&c| c == 128));
        let warm = run(&|a| {
            a.wb_mode = NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
            a.wb_cr_gain = 100;
        });
        assert!(mean(warm.planes().2) > mean(base.planes().2) + 20.0);
        let bright = run(&|a| {
            a.exposure_mode = NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
            a.gain = 50;
        });
        assert!(mean(bright.y()) > mean(base.y()) + 20.0);
    }

    #[test]
    fn rejects_out_of_range() {
        for f in [
            (|a: &mut NVT_ISP_ATTR_S| a.brightness = 101) as fn(&mut NVT_ISP_ATTR_S),
            |a| a.contrast = -1,
            |a| a.ircut = NVT_IRCUT_MODE_E(3),
            |a| a.exposure_time_us = 50,
            |a| a.wb_cb_gain = 1000,
            |a| a.wdr_enable = 2,
        ] {
            let mut a = default_attr();
            f(&mut a);
            assert!(!validate(&a));
        }
    }
}
