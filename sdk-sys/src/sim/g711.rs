//! ITU-T G.711 companding (µ-law and A-law), 16-bit linear PCM in and out.
//!
//! The classic segment-search formulation (the one behind the ITU-T G.191 software tools and
//! Sun's public-domain `g711.c`): µ-law works on 14-bit magnitudes with a bias of 33 (0x84
//! on the 16-bit scale) and inverts every bit of the code; A-law works on 13-bit magnitudes
//! and inverts the even bits (XOR 0x55). Decoding returns the middle of each quantisation
//! interval, as G.711 Tables 1 and 2 give, scaled to 16 bits.

/// µ-law bias on the 16-bit scale (33 on G.711's 14-bit scale, times 4).
const ULAW_BIAS: i32 = 0x84;
/// Largest magnitude µ-law encodes (8158 on the 14-bit scale, times 4, less the bias).
const ULAW_CLIP: i32 = 32635;

/// Encodes one sample as G.711 µ-law.
pub fn linear_to_ulaw(pcm: i16) -> u8 {
    let mut x = i32::from(pcm);
    let sign = if x < 0 {
        x = -x;
        0x80
    } else {
        0
    };
    x = x.min(ULAW_CLIP) + ULAW_BIAS;
    // Segment: the position of the highest set bit above bit 7 (0..7).
    let exp = (31 - (x as u32).leading_zeros() as i32 - 7).clamp(0, 7);
    let mantissa = (x >> (exp + 3)) & 0x0F;
    !((sign | (exp << 4) | mantissa) as u8)
}

/// Decodes one G.711 µ-law code.
pub fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let mut t = (i32::from(u & 0x0F) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

/// Upper ends of the A-law segments on the 13-bit scale.
const ALAW_SEG_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

/// Encodes one sample as G.711 A-law.
pub fn linear_to_alaw(pcm: i16) -> u8 {
    let mut x = i32::from(pcm) >> 3;
    let mask = if x >= 0 {
        0xD5
    } else {
        x = -x - 1;
        0x55
    };
    let Some(seg) = ALAW_SEG_END.iter().position(|&end| x <= end) else {
        return 0x7F ^ mask;
    };
    let shift = if seg < 2 { 1 } else { seg };
    let aval = ((seg as i32) << 4) | ((x >> shift) & 0x0F);
    (aval as u8) ^ mask
}

/// Decodes one G.711 A-law code.
pub fn alaw_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = i32::from(a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference points of G.711 Table 2 (µ-law, 14-bit decoder outputs x4) and Table 1
    /// (A-law, 13-bit decoder outputs x8): the extremes, the smallest steps next to zero and
    /// segment boundaries.
    #[test]
    fn ulaw_matches_the_g711_table() {
        // Code -> decoded value (14-bit table value times 4).
        let table: [(u8, i16); 9] = [
            (0x80, 32124),  // segment 7, step 0: 8031
            (0x00, -32124), // the same, negative
            (0xFF, 0),      // +0
            (0x7F, 0),      // -0
            (0xFE, 8),      // segment 0, step 1: 2
            (0x7E, -8),
            (0xEF, 132),   // segment 1, step 0: 33
            (0x8F, 16764), // segment 7, step 15: 4191
            (0x90, 15996), // segment 6, step 0: 3999
        ];
        for (code, value) in table {
            assert_eq!(ulaw_to_linear(code), value, "code {code:#04x}");
        }
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
    }

    #[test]
    fn alaw_matches_the_g711_table() {
        let table: [(u8, i16); 7] = [
            (0xD5, 8), // segment 0, step 0: the smallest positive output
            (0x55, -8),
            (0xAA, 32256), // segment 7, step 15: 4032 (13-bit) x 8
            (0x2A, -32256),
            (0xC5, 264),  // segment 1, step 0: 33 x 8
            (0xF5, 528),  // segment 2, step 0: 66 x 8
            (0xE5, 1056), // segment 3, step 0: 132 x 8
        ];
        for (code, value) in table {
            assert_eq!(alaw_to_linear(code), value, "code {code:#04x}");
        }
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
    }

    /// Every code decodes to the middle of its interval, which encodes back to the code
    /// (µ-law's -0 encodes as +0).
    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            let u = linear_to_ulaw(ulaw_to_linear(code));
            assert_eq!(
                u,
                if code == 0x7F { 0xFF } else { code },
                "µ-law {code:#04x}"
            );
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "A-law {code:#04x}"
            );
        }
    }

    /// Companding keeps the error within half a step: under 4% of the value above the
    /// smallest segments.
    #[test]
    fn error_stays_within_a_step() {
        for x in (-32768i32..=32767).step_by(7) {
            let x = x as i16;
            for (enc, dec) in [
                (
                    linear_to_ulaw as fn(i16) -> u8,
                    ulaw_to_linear as fn(u8) -> i16,
                ),
                (linear_to_alaw, alaw_to_linear),
            ] {
                let y = i32::from(dec(enc(x)));
                let err = (y - i32::from(x)).abs();
                let bound = (i32::from(x).abs() / 25).max(16);
                assert!(err <= bound, "{x} -> {y}");
            }
        }
    }
}
