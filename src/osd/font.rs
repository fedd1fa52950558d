//! The glyphs: the `font8x8` crate's 8x8 monochrome font (public domain, from Daniel
//! Hepper's font8x8 for the Linux console; ASCII, Latin-1, Greek, box drawing, blocks,
//! Hiragana), scaled by whole factors for FontSize.
//!
//! Why a bitmap font and not a vector one (fontdue, ab_glyph): a camera burns a few dozen
//! characters a second, and a whole-factor scaled bitmap is what SoC OSD units draw (HiSilicon
//! and Ingenic SDK samples ship 8x16 or 16x16 bitmap fonts): crisp at the sizes a timestamp
//! uses, no anti-aliasing to blur in a 4:2:0 picture, no font file to ship (the crate is
//! 50 KB of tables, no dependencies), and no parser of font files in the firmware. Larger
//! sizes are blocky, the same trade the SoCs make.

use font8x8::{
    BASIC_FONTS, BLOCK_FONTS, BOX_FONTS, GREEK_FONTS, HIRAGANA_FONTS, LATIN_FONTS, MISC_FONTS,
    UnicodeFonts,
};

/// Glyph cell side, pixels at scale 1.
pub const GLYPH: u32 = 8;

/// A character the font lacks (or a control character): a hollow box, as text renderers
/// show a missing glyph ("tofu"), so the text keeps its length and the client sees that
/// something was there.
const PLACEHOLDER: [u8; 8] = [0x00, 0x7E, 0x42, 0x42, 0x42, 0x42, 0x7E, 0x00];

/// The rows of `c`'s glyph, top first; in each row bit 0 is the leftmost pixel.
pub fn glyph(c: char) -> [u8; 8] {
    if c.is_control() {
        return PLACEHOLDER;
    }
    if c == ' ' {
        return [0; 8];
    }
    let found = BASIC_FONTS
        .get(c)
        .or_else(|| LATIN_FONTS.get(c))
        .or_else(|| GREEK_FONTS.get(c))
        .or_else(|| BOX_FONTS.get(c))
        .or_else(|| BLOCK_FONTS.get(c))
        .or_else(|| HIRAGANA_FONTS.get(c))
        .or_else(|| MISC_FONTS.get(c));
    match found {
        // An all-blank glyph for a character that is not a space (the tables' unassigned
        // entries) would hide it: the placeholder shows it.
        Some(g) if g != [0; 8] || c.is_whitespace() => g,
        _ => PLACEHOLDER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_characters_have_their_glyphs_and_others_the_placeholder() {
        // 'A' in font8x8: 0x0C, 0x1E, 0x33, 0x33, 0x3F, 0x33, 0x33, 0x00.
        assert_eq!(glyph('A'), [0x0C, 0x1E, 0x33, 0x33, 0x3F, 0x33, 0x33, 0x00]);
        assert_eq!(glyph(' '), [0; 8]);
        assert_ne!(glyph('é'), PLACEHOLDER);
        assert_ne!(glyph('Ω'), PLACEHOLDER);
        for c in ['漢', '😀', '\u{0}', '\n', '\u{202e}', '\u{FFFF}'] {
            assert_eq!(glyph(c), PLACEHOLDER, "{c:?}");
        }
        // Every digit and the separators a date or time uses are real glyphs.
        for c in "0123456789:/-, APM".chars().filter(|c| *c != ' ') {
            assert_ne!(glyph(c), PLACEHOLDER, "{c:?}");
        }
    }
}
