//! On-screen text: what an OSD shows (`tt:OSDConfiguration` in the model's terms), its
//! layout in a video source's pixels and its rendering into the ARGB8888 bitmap the SDK
//! blends (`sdk::OsdBitmap`: the SDK takes bitmaps, nvt renders the text, as HiSilicon RGN,
//! Ingenic IMP and Rockchip RGA do). Sans-IO: the time shown is passed in, nothing here reads
//! a clock or calls the SDK.
//!
//! - `font`: the glyphs (the 8x8 public-domain bitmap font of the `font8x8` crate, scaled by
//!   whole factors), and the placeholder for a character it lacks;
//! - `clock`: local calendar time and the date and time formats offered
//!   ([`DATE_FORMATS`], [`TIME_FORMATS`], the ones the schema lists for
//!   `tt:OSDTextConfiguration`);
//! - `colour`: `tt:OSDColor` (YCbCr or RGB, Transparent) to ARGB;
//! - `render`: layout (font size, position, clipping to the frame) and pixels.
//!
//! Media2 s."OSD" and Media s."OSD": an OSD belongs to a video source configuration and is
//! positioned in its window (the configuration's bounds), with normalized coordinates -1..1
//! (x right, y up, as every ONVIF normalized coordinate system). A Custom position is the
//! text's upper-left corner.

mod clock;
mod colour;
mod font;
mod render;

use serde::{Deserialize, Serialize};

pub use clock::{DATE_FORMATS, LocalTime, TIME_FORMATS};
pub use colour::{MAX_TRANSPARENT, argb, quantise_alpha};
pub use font::{GLYPH, glyph};
pub use render::{Placed, RenderError, Window, render, scale_of};

/// Longest text shown, in characters (PlainText; a date and time is at most 40). Longer text
/// is refused (ConfigModify): a line of 128 characters of the smallest font is already 1024
/// pixels wide.
pub const MAX_TEXT_CHARS: usize = 128;
/// FontSize range offered, in points, taken as pixels of the source (72 dpi): the 8-pixel
/// font at 1x to 8x. Sizes in between render at the nearest whole factor.
pub const FONT_SIZE_RANGE: (u32, u32) = (8, 64);
/// FontSize when a configuration gives none: 2x (16 pixels).
pub const DEFAULT_FONT_SIZE: u32 = 16;

/// Where the text is, in the video source configuration's window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Position {
    UpperLeft,
    UpperRight,
    LowerLeft,
    LowerRight,
    /// The text's upper-left corner, normalized: x -1 (left) .. 1 (right), y 1 (top) .. -1
    /// (bottom).
    Custom {
        x: f32,
        y: f32,
    },
}

impl Position {
    /// The `tt:OSDPosConfiguration` Type names, as GetOSDOptions lists them.
    pub const NAMES: [&'static str; 5] = [
        "UpperLeft",
        "UpperRight",
        "LowerLeft",
        "LowerRight",
        "Custom",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Position::UpperLeft => "UpperLeft",
            Position::UpperRight => "UpperRight",
            Position::LowerLeft => "LowerLeft",
            Position::LowerRight => "LowerRight",
            Position::Custom { .. } => "Custom",
        }
    }
}

/// What the text says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Content {
    Plain(String),
    /// A date in one of [`DATE_FORMATS`].
    Date(String),
    /// A time in one of [`TIME_FORMATS`].
    Time(String),
    /// Date, a space, time.
    DateAndTime {
        date: String,
        time: String,
    },
}

impl Content {
    /// The `tt:OSDTextConfiguration` Type names, as GetOSDOptions lists them.
    pub const NAMES: [&'static str; 4] = ["Plain", "Date", "Time", "DateAndTime"];

    /// Whether the text changes with the clock (the ticker re-renders these every second).
    pub fn is_clock(&self) -> bool {
        !matches!(self, Content::Plain(_))
    }

    /// The text at local time `now`.
    pub fn text(&self, now: &LocalTime) -> String {
        match self {
            Content::Plain(t) => t.clone(),
            Content::Date(f) => now.format(f),
            Content::Time(f) => now.format(f),
            Content::DateAndTime { date, time } => {
                format!("{} {}", now.format(date), now.format(time))
            }
        }
    }
}

/// `tt:OSDColor` as the client gave it (reported back as it was set).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colour {
    pub space: ColourSpace,
    /// Y, Cb, Cr or R, G, B; each 0..=255.
    pub x: f32,
    pub y: f32,
    pub z: f32,
    /// 0 (opaque) ..= [`MAX_TRANSPARENT`] (invisible).
    pub transparent: u32,
}

/// The colour spaces of `tt:Color` nvt takes (common.xsd: YCbCr is implied when none is
/// named).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColourSpace {
    YCbCr,
    Rgb,
}

impl ColourSpace {
    pub const YCBCR_URI: &'static str = "http://www.onvif.org/ver10/colorspace/YCbCr";
    pub const RGB_URI: &'static str = "http://www.onvif.org/ver10/colorspace/RGB";

    /// The colour space a `tt:Color` Colorspace names (absent: YCbCr); None: one nvt does
    /// not take (the deprecated CIE and HSV spaces).
    pub fn from_uri(uri: Option<&str>) -> Option<ColourSpace> {
        match uri.map(str::trim) {
            None | Some(ColourSpace::YCBCR_URI) => Some(ColourSpace::YCbCr),
            Some(ColourSpace::RGB_URI) => Some(ColourSpace::Rgb),
            Some(_) => None,
        }
    }

    pub fn uri(self) -> &'static str {
        match self {
            ColourSpace::YCbCr => ColourSpace::YCBCR_URI,
            ColourSpace::Rgb => ColourSpace::RGB_URI,
        }
    }
}

/// A text OSD's text and look.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextStyle {
    pub content: Content,
    /// Points as given; None: [`DEFAULT_FONT_SIZE`].
    pub font_size: Option<u32>,
    /// None: opaque white.
    pub font_colour: Option<Colour>,
    /// None: no background (only the glyphs are drawn).
    pub background: Option<Colour>,
}

impl TextStyle {
    /// Every value within what GetOSDOptions offers ([`check`]).
    pub fn check(&self) -> Result<(), String> {
        match &self.content {
            Content::Plain(t) => {
                if t.chars().count() > MAX_TEXT_CHARS {
                    return Err(format!(
                        "PlainText is longer than {MAX_TEXT_CHARS} characters"
                    ));
                }
            }
            Content::Date(d) => check_format(d, &DATE_FORMATS, "DateFormat")?,
            Content::Time(t) => check_format(t, &TIME_FORMATS, "TimeFormat")?,
            Content::DateAndTime { date, time } => {
                check_format(date, &DATE_FORMATS, "DateFormat")?;
                check_format(time, &TIME_FORMATS, "TimeFormat")?;
            }
        }
        if let Some(size) = self.font_size {
            let (lo, hi) = FONT_SIZE_RANGE;
            if !(lo..=hi).contains(&size) {
                return Err(format!("FontSize {size} outside {lo}..={hi}"));
            }
        }
        for c in [self.font_colour, self.background].into_iter().flatten() {
            c.check()?;
        }
        Ok(())
    }
}

impl Colour {
    /// Components 0..=255, Transparent 0..=[`MAX_TRANSPARENT`].
    pub fn check(&self) -> Result<(), String> {
        if [self.x, self.y, self.z]
            .iter()
            .any(|v| !v.is_finite() || !(0.0..=255.0).contains(v))
        {
            return Err("colour components are 0..=255".into());
        }
        if self.transparent > MAX_TRANSPARENT {
            return Err(format!("Transparent outside 0..={MAX_TRANSPARENT}"));
        }
        Ok(())
    }
}

impl Position {
    /// A Custom position is within -1..=1 on both axes.
    pub fn check(&self) -> Result<(), String> {
        if let Position::Custom { x, y } = *self
            && [x, y]
                .iter()
                .any(|v| !v.is_finite() || !(-1.0..=1.0).contains(v))
        {
            return Err("a Custom position is within -1..=1".into());
        }
        Ok(())
    }
}

fn check_format(f: &str, offered: &[&str], what: &str) -> Result<(), String> {
    if offered.contains(&f) {
        Ok(())
    } else {
        Err(format!("{what} {f:?} is not one of {offered:?}"))
    }
}

/// The fuzz entry (`fuzz/fuzz_targets/osd_text.rs`, `tests/fuzz_corpus.rs`): any bytes as
/// the text, style, position, window and hardware of an OSD. Rendering never panics, and a
/// rendered region lies inside the source and is one the hardware takes.
pub fn fuzz_input(data: &[u8]) {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let word = |i: usize| (u32::from(byte(i)) << 8) | u32::from(byte(i + 1));
    let text = String::from_utf8_lossy(data.get(24..).unwrap_or(&[])).into_owned();
    let content = match byte(0) % 4 {
        0 => Content::Plain(text),
        1 => Content::Date(DATE_FORMATS[usize::from(byte(1)) % DATE_FORMATS.len()].into()),
        2 => Content::Time(TIME_FORMATS[usize::from(byte(1)) % TIME_FORMATS.len()].into()),
        _ => Content::DateAndTime {
            date: DATE_FORMATS[usize::from(byte(1)) % DATE_FORMATS.len()].into(),
            time: TIME_FORMATS[usize::from(byte(2)) % TIME_FORMATS.len()].into(),
        },
    };
    let norm = |b: u8| f32::from(b) / 127.5 - 1.0;
    let position = match byte(3) % 5 {
        0 => Position::UpperLeft,
        1 => Position::UpperRight,
        2 => Position::LowerLeft,
        3 => Position::LowerRight,
        _ => Position::Custom {
            x: norm(byte(4)),
            y: norm(byte(5)),
        },
    };
    let colour = |i: usize| Colour {
        space: if byte(i) % 2 == 0 {
            ColourSpace::YCbCr
        } else {
            ColourSpace::Rgb
        },
        x: f32::from(byte(i + 1)),
        y: f32::from(byte(i + 2)),
        z: f32::from(byte(i + 3)),
        transparent: u32::from(byte(i)) % (MAX_TRANSPARENT + 1),
    };
    let style = TextStyle {
        content,
        font_size: (byte(6) != 0).then(|| u32::from(byte(6))),
        font_colour: Some(colour(7)),
        background: (byte(11) % 2 == 1).then(|| colour(11)),
    };
    let source = (word(15).max(1), word(17).max(1));
    let window = Window {
        x: word(19) % source.0,
        y: u32::from(byte(21)) % source.1,
        width: word(15),
        height: u32::from(byte(22)) << 4,
    };
    let info = crate::sdk::OsdInfo {
        max_regions: 8,
        max_width: word(15) / (u32::from(byte(23) % 3) + 1),
        max_height: source.1,
        align_x: [1, 2, 4, 16][usize::from(byte(23) >> 6)],
        align_y: [1, 2][usize::from((byte(23) >> 5) & 1)],
        alpha_levels: [2, 16, 256][usize::from(byte(2) % 3)],
    };
    let now = LocalTime::from_unix_ms(i64::from(word(13)) * 1_000_000_007);
    if let Ok(p) = render(&style, position, &now, source, window, &info) {
        let (w, h) = (p.bitmap.width(), p.bitmap.height());
        assert!(
            p.x + w <= source.0 && p.y + h <= source.1,
            "inside the source"
        );
        assert!(
            info.fits(p.x, p.y, &p.bitmap),
            "a region the hardware takes"
        );
    }
    let _ = style.check();
    let _ = position.check();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_follow_the_options() {
        let mut s = TextStyle {
            content: Content::Plain("x".repeat(MAX_TEXT_CHARS)),
            font_size: Some(8),
            font_colour: None,
            background: None,
        };
        assert_eq!(s.check(), Ok(()));
        s.content = Content::Plain("é".repeat(MAX_TEXT_CHARS + 1));
        assert!(s.check().is_err());
        s.content = Content::DateAndTime {
            date: "yyyy-MM-dd".into(),
            time: "HH:mm:ss".into(),
        };
        assert_eq!(s.check(), Ok(()));
        s.content = Content::Time("HH:mm".into());
        assert!(s.check().is_err());
        s.content = Content::Date("dd.MM.yyyy".into());
        assert!(s.check().is_err());
        s.content = Content::Plain(String::new());
        s.font_size = Some(65);
        assert!(s.check().is_err());
        s.font_size = Some(64);
        s.background = Some(Colour {
            space: ColourSpace::Rgb,
            x: 0.0,
            y: 255.0,
            z: 256.0,
            transparent: 0,
        });
        assert!(s.check().is_err());
        assert!(
            Position::Custom {
                x: 1.0,
                y: f32::NAN
            }
            .check()
            .is_err()
        );
        assert!(Position::Custom { x: -1.0, y: 1.0 }.check().is_ok());
        assert_eq!(ColourSpace::from_uri(None), Some(ColourSpace::YCbCr));
        assert_eq!(
            ColourSpace::from_uri(Some(ColourSpace::RGB_URI)),
            Some(ColourSpace::Rgb)
        );
        assert_eq!(
            ColourSpace::from_uri(Some("http://www.onvif.org/ver10/colorspace/HSV")),
            None
        );
    }

    /// A few fixed inputs through the fuzz entry (the corpus replays many more).
    #[test]
    fn fuzz_entry_takes_any_bytes() {
        fuzz_input(&[]);
        fuzz_input(&[0; 24]);
        let mut big = vec![0xFF; 24];
        big.extend("\u{0}\u{7f}漢字😀\u{202e}ab\ncd".bytes());
        fuzz_input(&big);
        let mut v: Vec<u8> = (0u8..=255).collect();
        v.extend((0u8..=255).rev());
        for i in 0..64 {
            v.rotate_left(i);
            fuzz_input(&v);
        }
    }
}
