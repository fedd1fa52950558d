//! Layout and pixels: a [`TextStyle`] at a [`Position`] in a video source configuration's
//! window, as the region the SDK blends.
//!
//! - Size: each glyph is 8x8 font pixels scaled by [`scale_of`] (FontSize / 8, rounded, 1..=8),
//!   with one font pixel of padding around the line (the background box's margin).
//! - Clipping: a line wider than the window (or than the hardware's largest region) loses
//!   the characters that do not fit, from the end; a line too tall is drawn at a smaller
//!   scale. Only a window smaller than one padded character is refused
//!   ([`RenderError::TooSmall`]). So every combination of the options renders (Media2
//!   s."SetOSD": a device shall accept any combination GetOSDOptions returns).
//! - Position: the four corners sit a margin (1/64 of the width, 1/36 of the height) inside
//!   the window; Custom is the upper-left corner at normalized x, y (-1..1, y up), moved in
//!   just enough for the box to stay inside the window. Then position and size are aligned
//!   to the hardware's steps (`OsdInfo::align_x`, `align_y`): the size up (padding), the
//!   position down, so the region stays inside the source.
//! - Pixels: ARGB8888, the background colour (transparent when none is set) with the glyphs
//!   in the font colour, each opacity rounded to the hardware's alpha levels.

use crate::sdk::{BitmapError, OsdBitmap, OsdInfo};

use super::clock::LocalTime;
use super::colour::{argb, quantise_alpha};
use super::font::{GLYPH, glyph};
use super::style::{DEFAULT_FONT_SIZE, MAX_TEXT_CHARS, Position, TextStyle};

/// Largest whole scale of the 8-pixel font (FontSize 64).
const MAX_SCALE: u32 = 8;
/// Opaque white: the font colour when none is set.
const WHITE: u32 = 0xFFFF_FFFF;

/// A video source configuration's window (its bounds) in the source's pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// A rendered OSD: where its region goes in the source and its pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub x: u32,
    pub y: u32,
    pub bitmap: OsdBitmap,
    /// The whole-factor scale of the 8x8 font used.
    pub scale: u32,
    /// How many characters were drawn (fewer than the text's when it was clipped).
    pub chars: usize,
}

/// Why an OSD cannot be shown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the video source has no OSD")]
    NoOsd,
    #[error("the window is smaller than one character of the smallest font")]
    TooSmall,
    #[error("{0}")]
    Bitmap(#[from] BitmapError),
    /// The laid-out region is not one the hardware takes (a layout bug, kept as an error).
    #[error("the hardware does not take a {width}x{height} region at ({x}, {y})")]
    Refused {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
}

/// The whole-factor scale of the 8x8 font for a FontSize (points taken as source pixels).
pub fn scale_of(font_size: Option<u32>) -> u32 {
    let size = font_size.unwrap_or(DEFAULT_FONT_SIZE);
    (size.saturating_add(GLYPH / 2) / GLYPH).clamp(1, MAX_SCALE)
}

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a) * a
}

/// Renders `style` at `position` in `window` of a `source`-sized picture at local time `now`
/// (see the module doc).
pub fn render(
    style: &TextStyle,
    position: Position,
    now: &LocalTime,
    source: (u32, u32),
    window: Window,
    info: &OsdInfo,
) -> Result<Placed, RenderError> {
    if !info.supported() {
        return Err(RenderError::NoOsd);
    }
    let (sw, sh) = (u64::from(source.0), u64::from(source.1));
    // The window within the source; an empty one is the whole source.
    let mut win = (
        u64::from(window.x).min(sw),
        u64::from(window.y).min(sh),
        u64::from(window.width),
        u64::from(window.height),
    );
    win.2 = win.2.min(sw - win.0);
    win.3 = win.3.min(sh - win.1);
    if win.2 == 0 || win.3 == 0 {
        win = (0, 0, sw, sh);
    }
    let (ax, ay) = (
        u64::from(info.align_x.max(1)),
        u64::from(info.align_y.max(1)),
    );
    // The largest box: inside the window and the hardware's largest region, in whole
    // alignment steps.
    let avail_w = win.2.min(u64::from(info.max_width)) / ax * ax;
    let avail_h = win.3.min(u64::from(info.max_height)) / ay * ay;
    let text: Vec<char> = style
        .content
        .text(now)
        .chars()
        .take(MAX_TEXT_CHARS)
        .collect();
    let glyph_px = u64::from(GLYPH);
    let size = |scale: u64, n: u64| {
        (
            align_up(n * glyph_px * scale + 2 * scale, ax),
            align_up(glyph_px * scale + 2 * scale, ay),
        )
    };
    let mut scale = u64::from(scale_of(style.font_size));
    while scale > 1 && size(scale, 0).1 > avail_h {
        scale -= 1;
    }
    let (w0, h) = size(scale, 0);
    if w0 > avail_w || h > avail_h || (!text.is_empty() && size(scale, 1).0 > avail_w) {
        return Err(RenderError::TooSmall);
    }
    let cell = glyph_px * scale;
    let mut n = (avail_w.saturating_sub(2 * scale) / cell).min(text.len() as u64);
    while n > 0 && size(scale, n).0 > avail_w {
        n -= 1;
    }
    let (w, _) = size(scale, n);
    let (px, py) = place(position, (win.2, win.3), (w, h));
    let x = (win.0 + px) / ax * ax;
    let y = (win.1 + py) / ay * ay;

    let fg = style.font_colour.as_ref().map_or(WHITE, argb);
    let bg = style.background.as_ref().map_or(0, argb);
    let levels = info.alpha_levels;
    let quantised =
        |c: u32| (u32::from(quantise_alpha((c >> 24) as u8, levels)) << 24) | (c & 0x00FF_FFFF);
    let (fg, bg) = (quantised(fg), quantised(bg));
    let (wu, hu) = (w as usize, h as usize);
    let mut pixels = vec![bg; wu * hu];
    let s = scale as usize;
    for (i, c) in text.iter().take(n as usize).enumerate() {
        let left = s + i * cell as usize;
        for (gy, row) in glyph(*c).iter().enumerate() {
            for gx in (0..8).filter(|b| (row >> b) & 1 == 1) {
                for yy in 0..s {
                    let at = (s + gy * s + yy) * wu + left + gx * s;
                    pixels[at..at + s].fill(fg);
                }
            }
        }
    }
    let bitmap = OsdBitmap::from_pixels(w as u32, h as u32, &pixels)?;
    let (x, y) = (x as u32, y as u32);
    if !info.fits(x, y, &bitmap) || u64::from(x) + w > sw || u64::from(y) + h > sh {
        return Err(RenderError::Refused {
            x,
            y,
            width: w as u32,
            height: h as u32,
        });
    }
    Ok(Placed {
        x,
        y,
        bitmap,
        scale: scale as u32,
        chars: n as usize,
    })
}

/// The box's upper-left corner in a `(width, height)` window, inside it.
fn place(position: Position, (ww, wh): (u64, u64), (w, h): (u64, u64)) -> (u64, u64) {
    let (mx, my) = (ww / 64, wh / 36);
    let right = ww.saturating_sub(w);
    let bottom = wh.saturating_sub(h);
    let (x, y) = match position {
        Position::UpperLeft => (mx, my),
        Position::UpperRight => (right.saturating_sub(mx), my),
        Position::LowerLeft => (mx, bottom.saturating_sub(my)),
        Position::LowerRight => (right.saturating_sub(mx), bottom.saturating_sub(my)),
        Position::Custom { x, y } => {
            let norm = |v: f32| f64::from(v).clamp(-1.0, 1.0);
            let fx = (norm(x) + 1.0) / 2.0;
            let fy = (1.0 - norm(y)) / 2.0;
            ((fx * ww as f64) as u64, (fy * wh as f64) as u64)
        }
    };
    (x.min(right), y.min(bottom))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osd::style::{Colour, ColourSpace, Content};

    const SIM: OsdInfo = OsdInfo {
        max_regions: 8,
        max_width: 1280,
        max_height: 720,
        align_x: 2,
        align_y: 2,
        alpha_levels: 256,
    };
    const FULL: Window = Window {
        x: 0,
        y: 0,
        width: 1280,
        height: 720,
    };

    fn plain(text: &str, size: Option<u32>) -> TextStyle {
        TextStyle {
            content: Content::Plain(text.into()),
            font_size: size,
            font_colour: None,
            background: Some(Colour {
                space: ColourSpace::Rgb,
                x: 0.0,
                y: 0.0,
                z: 0.0,
                transparent: 0,
            }),
        }
    }

    fn now() -> LocalTime {
        LocalTime::from_unix_ms(1_362_579_261_000)
    }

    #[test]
    fn glyphs_land_where_the_font_puts_them() {
        let p = render(
            &plain("A", Some(16)),
            Position::UpperLeft,
            &now(),
            (1280, 720),
            FULL,
            &SIM,
        )
        .unwrap();
        assert_eq!(p.scale, 2);
        // 8x8 at 2x plus 2 pixels of padding each side.
        assert_eq!((p.bitmap.width(), p.bitmap.height()), (20, 20));
        assert_eq!((p.x, p.y), (20, 20), "1/64 and 1/36 of 1280x720");
        let lit = |x: u32, y: u32| p.bitmap.pixel(x, y) == Some(WHITE);
        // 'A' row 0 is 0x0C: font pixels 2 and 3 lit, at 2x from x = 2 + 4.
        assert!(!lit(2 + 3, 2) && lit(2 + 4, 2) && lit(2 + 7, 3) && !lit(2 + 8, 2));
        // Row 7 is empty, and the padding is background (opaque black).
        assert!((0..20).all(|x| !lit(x, 2 + 14) && !lit(x, 0)));
        assert_eq!(p.bitmap.pixel(0, 0), Some(0xFF00_0000));
    }

    #[test]
    fn corners_and_custom_positions_stay_inside_the_window() {
        let style = plain("12:00:00", Some(32));
        let at = |pos| {
            let p = render(&style, pos, &now(), (1280, 720), FULL, &SIM).unwrap();
            (p.x, p.y, p.bitmap.width(), p.bitmap.height())
        };
        let (_, _, w, h) = at(Position::UpperLeft);
        assert_eq!((w, h), (8 * 32 + 8, 40));
        assert_eq!(at(Position::UpperRight), (1280 - w - 20, 20, w, h));
        assert_eq!(at(Position::LowerLeft), (20, 720 - h - 20, w, h));
        assert_eq!(
            at(Position::LowerRight),
            (1280 - w - 20, 720 - h - 20, w, h)
        );
        // Custom: the upper-left corner; (0, 0) is the centre, y up.
        assert_eq!(at(Position::Custom { x: 0.0, y: 0.0 }), (640, 360, w, h));
        assert_eq!(at(Position::Custom { x: -1.0, y: 1.0 }), (0, 0, w, h));
        assert_eq!(
            at(Position::Custom { x: 1.0, y: -1.0 }),
            (1280 - w, 720 - h, w, h)
        );
        // In a window: relative to it.
        let win = Window {
            x: 101,
            y: 51,
            width: 640,
            height: 360,
        };
        let p = render(
            &style,
            Position::Custom { x: -1.0, y: 1.0 },
            &now(),
            (1280, 720),
            win,
            &SIM,
        )
        .unwrap();
        assert_eq!((p.x, p.y), (100, 50), "aligned down to 2");
    }

    #[test]
    fn long_text_is_clipped_and_tall_text_scaled_down() {
        let long = "W".repeat(MAX_TEXT_CHARS);
        let p = render(
            &plain(&long, Some(64)),
            Position::UpperLeft,
            &now(),
            (1280, 720),
            FULL,
            &SIM,
        )
        .unwrap();
        assert_eq!(p.chars, (1280 - 16) / 64);
        assert!(p.bitmap.width() <= 1280);
        // A 30-pixel-high window takes at most 3x (8 * 3 + 6 = 30).
        let low = Window {
            x: 0,
            y: 0,
            width: 1280,
            height: 30,
        };
        let p = render(
            &plain("x", Some(64)),
            Position::LowerRight,
            &now(),
            (1280, 720),
            low,
            &SIM,
        )
        .unwrap();
        assert_eq!((p.scale, p.bitmap.height()), (3, 30));
        let tiny = Window {
            x: 0,
            y: 0,
            width: 9,
            height: 9,
        };
        assert_eq!(
            render(
                &plain("x", None),
                Position::UpperLeft,
                &now(),
                (1280, 720),
                tiny,
                &SIM
            ),
            Err(RenderError::TooSmall)
        );
        let none = OsdInfo {
            max_regions: 0,
            ..SIM
        };
        assert_eq!(
            render(
                &plain("x", None),
                Position::UpperLeft,
                &now(),
                (1280, 720),
                FULL,
                &none
            ),
            Err(RenderError::NoOsd)
        );
    }

    #[test]
    fn alignment_and_alpha_levels_of_the_hardware() {
        let coarse = OsdInfo {
            align_x: 16,
            align_y: 4,
            alpha_levels: 2,
            ..SIM
        };
        let mut style = plain("ab", Some(8));
        style.background.as_mut().unwrap().transparent = 60;
        let p = render(
            &style,
            Position::Custom { x: 0.01, y: 0.0 },
            &now(),
            (1280, 720),
            FULL,
            &coarse,
        )
        .unwrap();
        assert_eq!(
            (
                p.x % 16,
                p.y % 4,
                p.bitmap.width() % 16,
                p.bitmap.height() % 4
            ),
            (0, 0, 0, 0)
        );
        assert!(coarse.fits(p.x, p.y, &p.bitmap));
        // 60 % transparent is 40 % opaque: off with two levels.
        assert_eq!(p.bitmap.pixel(0, 0).unwrap() >> 24, 0);
    }

    #[test]
    fn date_and_time_text_and_unknown_characters() {
        let style = TextStyle {
            content: Content::DateAndTime {
                date: "yyyy-MM-dd".into(),
                time: "HH:mm:ss".into(),
            },
            ..plain("", None)
        };
        let p = render(&style, Position::UpperLeft, &now(), (1280, 720), FULL, &SIM).unwrap();
        assert_eq!(p.chars, "2013-03-06 14:14:21".len());
        let odd = render(
            &plain("漢\u{0}😀", None),
            Position::UpperLeft,
            &now(),
            (1280, 720),
            FULL,
            &SIM,
        )
        .unwrap();
        assert_eq!(odd.chars, 3);
        let empty = render(
            &plain("", None),
            Position::UpperLeft,
            &now(),
            (1280, 720),
            FULL,
            &SIM,
        )
        .unwrap();
        assert_eq!((empty.chars, empty.bitmap.width()), (0, 4));
    }
}
