//! `tt:OSDColor` to the SDK's ARGB8888.
//!
//! common.xsd `tt:Color`: YCbCr (X = Y, Y = Cb, Z = Cr; the default when no Colorspace is
//! named) or RGB (X = R, Y = G, Z = B). The YCbCr values are taken as full-range BT.601
//! (JFIF), 0..=255 each, the range GetOSDOptions offers: the SDK's pixels are full-range
//! sRGB (nvt_sdk.h `NVT_OSD_REGION_S`). onvif.xsd `tt:OSDColor`: the Transparent range is the
//! vendor's, its minimum opaque and its maximum fully transparent; nvt's is
//! 0..=[`MAX_TRANSPARENT`].

use super::style::{Colour, ColourSpace, MAX_TRANSPARENT};

/// The colour as ARGB8888 (A in the top byte), its opacity from Transparent.
pub fn argb(c: &Colour) -> u32 {
    let ch = |v: f32| v.clamp(0.0, 255.0);
    let (r, g, b) = match c.space {
        ColourSpace::Rgb => (ch(c.x), ch(c.y), ch(c.z)),
        ColourSpace::YCbCr => {
            let (y, cb, cr) = (ch(c.x), ch(c.y) - 128.0, ch(c.z) - 128.0);
            (
                ch(y + 1.402 * cr),
                ch(y - 0.344_136 * cb - 0.714_136 * cr),
                ch(y + 1.772 * cb),
            )
        }
    };
    let t = c.transparent.min(MAX_TRANSPARENT);
    let a = (255 * (MAX_TRANSPARENT - t) + MAX_TRANSPARENT / 2) / MAX_TRANSPARENT;
    (a << 24) | ((r.round() as u32) << 16) | ((g.round() as u32) << 8) | b.round() as u32
}

/// `alpha` rounded to the nearest of `levels` evenly spaced opacities (nvt_sdk.h
/// `alpha_levels`: 2 is on/off only). 0 stays 0 and 255 stays 255.
pub fn quantise_alpha(alpha: u8, levels: u32) -> u8 {
    if levels >= 256 || levels == 0 {
        return alpha;
    }
    let steps = (levels.max(2) - 1) as f32;
    let level = (f32::from(alpha) * steps / 255.0).round();
    (level * 255.0 / steps).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colour(space: ColourSpace, x: f32, y: f32, z: f32, transparent: u32) -> Colour {
        Colour {
            space,
            x,
            y,
            z,
            transparent,
        }
    }

    #[test]
    fn both_colour_spaces_and_transparency() {
        use ColourSpace::*;
        assert_eq!(argb(&colour(Rgb, 255.0, 0.0, 16.0, 0)), 0xFFFF_0010);
        // YCbCr white, black and a pure red (JFIF: R=255 is Y 76.2, Cb 85, Cr 255.5).
        assert_eq!(argb(&colour(YCbCr, 255.0, 128.0, 128.0, 0)), 0xFFFF_FFFF);
        assert_eq!(argb(&colour(YCbCr, 0.0, 128.0, 128.0, 0)), 0xFF00_0000);
        let red = argb(&colour(YCbCr, 76.245, 84.972, 255.0, 0));
        assert!(((red >> 16) & 0xFF) >= 254 && ((red >> 8) & 0xFF) <= 1 && (red & 0xFF) <= 1);
        assert_eq!(argb(&colour(Rgb, 0.0, 0.0, 0.0, 50)) >> 24, 128);
        assert_eq!(argb(&colour(Rgb, 0.0, 0.0, 0.0, MAX_TRANSPARENT)) >> 24, 0);
    }

    #[test]
    fn alpha_is_quantised_to_the_hardware_levels() {
        assert_eq!(quantise_alpha(100, 256), 100);
        assert_eq!(quantise_alpha(100, 2), 0);
        assert_eq!(quantise_alpha(128, 2), 255);
        assert_eq!(quantise_alpha(255, 16), 255);
        assert_eq!(quantise_alpha(0, 16), 0);
        assert_eq!(quantise_alpha(20, 16), 17);
        assert_eq!(quantise_alpha(7, 1), 0);
    }
}
