//! What an OSD shows and how: its text ([`Content`]), look ([`TextStyle`], [`Colour`]) and
//! place ([`Position`]), as the settings store them, and the checks of each against what
//! GetOSDOptions offers (`onvif::osd`).

use serde::{Deserialize, Serialize};

use super::clock::{DATE_FORMATS, LocalTime, TIME_FORMATS};

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
    /// Every value within what GetOSDOptions offers.
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

/// Transparent's largest value (invisible); GetOSDOptions offers 0..=this (onvif.xsd
/// `tt:OSDColor`: the range is the vendor's, its minimum opaque, its maximum transparent).
pub const MAX_TRANSPARENT: u32 = 100;

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
}
