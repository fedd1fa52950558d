//! A tiny 5x7 bitmap font for the burned-in clock, frame counter and PTZ position.
//! Hand-written so the simulator needs no font files; it covers exactly the characters the
//! overlays print.

/// Glyph cell size in font pixels (5 wide, 7 tall); characters advance by 6.
pub const GLYPH_W: usize = 5;
pub const GLYPH_H: usize = 7;
pub const ADVANCE: usize = 6;

/// Rows of a glyph, top first; bit 4 is the leftmost column.
pub fn glyph(c: char) -> Option<[u8; GLYPH_H]> {
    Some(match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        '+' => [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00],
        ' ' => [0; GLYPH_H],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        'x' => [0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11],
        _ => return None,
    })
}

/// Width in pixels of `text` drawn at `scale` (no trailing gap).
pub fn text_width(text: &str, scale: usize) -> usize {
    let n = text.chars().count();
    if n == 0 { 0 } else { (n * ADVANCE - 1) * scale }
}

/// Draws `text` into an 8-bit plane (`stride` bytes per row) with its top-left corner at
/// (x, y), each font pixel a `scale` x `scale` square of value `fg`. Unknown characters
/// draw as a filled box so a missing glyph is obvious; pixels outside the plane are
/// clipped.
#[allow(clippy::too_many_arguments)]
pub fn draw_text(
    plane: &mut [u8],
    stride: usize,
    height: usize,
    x: usize,
    y: usize,
    scale: usize,
    fg: u8,
    text: &str,
) {
    for (i, c) in text.chars().enumerate() {
        let rows = glyph(c).unwrap_or([0x1F; GLYPH_H]);
        let gx = x + i * ADVANCE * scale;
        for (r, bits) in rows.iter().enumerate() {
            for col in 0..GLYPH_W {
                if bits & (0x10 >> col) == 0 {
                    continue;
                }
                let px = gx + col * scale;
                let py = y + r * scale;
                for dy in 0..scale {
                    if py + dy >= height {
                        break;
                    }
                    let row = (py + dy) * stride;
                    let x0 = px.min(stride);
                    let x1 = (px + scale).min(stride);
                    plane[row + x0..row + x1].fill(fg);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_characters_have_distinct_glyphs() {
        let chars = "0123456789:-.+ ACEFIMNPRSTUVZx";
        let mut seen = std::collections::HashSet::new();
        for c in chars.chars() {
            let g = glyph(c).unwrap_or_else(|| panic!("no glyph for {c:?}"));
            assert!(g.iter().all(|r| r & !0x1F == 0), "{c:?} wider than 5 px");
            assert!(seen.insert(g), "{c:?} duplicates another glyph");
        }
        assert!(glyph('y').is_none());
    }

    #[test]
    fn draws_scaled_pixels_and_clips() {
        let (w, h) = (20, 16);
        let mut p = vec![0u8; w * h];
        draw_text(&mut p, w, h, 0, 0, 2, 200, "1");
        // '1' row 0 is 0x04: only column 2 lit -> pixels x 4..6, y 0..2.
        assert_eq!(&p[0..8], &[0, 0, 0, 0, 200, 200, 0, 0]);
        assert_eq!(p[w + 4], 200);
        // Row 6 of '1' is 0x0E: columns 1..4 -> x 2..8 at y 12..14.
        assert_eq!(
            &p[12 * w..12 * w + 8],
            &[0, 0, 200, 200, 200, 200, 200, 200]
        );
        // Drawing far out of bounds must not panic.
        draw_text(&mut p, w, h, 18, 14, 3, 9, "88");
        assert_eq!(text_width("12", 2), 22);
    }
}
