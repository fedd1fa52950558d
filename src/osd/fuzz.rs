//! The fuzz entry of the OSD renderer.

use super::clock::{DATE_FORMATS, LocalTime, TIME_FORMATS};
use super::render::{Window, render};
use super::style::{Colour, ColourSpace, Content, MAX_TRANSPARENT, Position, TextStyle};

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
