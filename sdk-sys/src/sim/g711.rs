//! ITU-T G.711 µ-law and A-law, both directions: what the simulated speaker decodes (and
//! what a microphone would encode). The classic reference formulation (the CCITT/Sun
//! `g711.c` the ITU-T Software Tool Library's `g711.c` agrees with): µ-law on the 14-bit
//! magnitude with the bias 33, A-law on the 13-bit magnitude, the even bits of A-law
//! inverted (XOR 0x55). No crate: the four functions are 60 lines, and the well-kept audio
//! crates that have them (symphonia's pcm codec) decode only, behind a whole decoder API.

/// Segment ends of µ-law, on the biased 14-bit magnitude.
const ULAW_SEG_END: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
/// Segment ends of A-law, on the 13-bit magnitude.
const ALAW_SEG_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
/// µ-law bias (0x84 = 132 on the 16-bit scale, 33 on the 14-bit one).
const BIAS: i32 = 0x84;
/// Largest 14-bit magnitude µ-law encodes before clipping.
const ULAW_CLIP: i32 = 8159;

fn segment(value: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|&e| value <= e).unwrap_or(8)
}

/// A 16-bit linear sample as G.711 µ-law (one's-complemented code word, as sent).
pub fn linear_to_ulaw(pcm: i16) -> u8 {
    let mut v = i32::from(pcm) >> 2;
    let mask: i32 = if v < 0 {
        v = -v;
        0x7F
    } else {
        0xFF
    };
    v = v.min(ULAW_CLIP) + (BIAS >> 2);
    let seg = segment(v, &ULAW_SEG_END);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let code = ((seg as i32) << 4) | ((v >> (seg + 1)) & 0x0F);
    (code ^ mask) as u8
}

/// A G.711 µ-law code word as a 16-bit linear sample.
pub fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let mut t = ((i32::from(u) & 0x0F) << 3) + BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 { BIAS - t } else { t - BIAS }) as i16
}

/// A 16-bit linear sample as G.711 A-law (even bits inverted, as sent).
pub fn linear_to_alaw(pcm: i16) -> u8 {
    let mut v = i32::from(pcm) >> 3;
    let mask: i32 = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let seg = segment(v, &ALAW_SEG_END);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut code = (seg as i32) << 4;
    code |= if seg < 2 {
        (v >> 1) & 0x0F
    } else {
        (v >> seg) & 0x0F
    };
    (code ^ mask) as u8
}

/// A G.711 A-law code word as a 16-bit linear sample.
pub fn alaw_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = (i32::from(a) & 0x0F) << 4;
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

    /// Reference values of G.711 (Tables 1a/1b and 2a/2b of the Recommendation: the
    /// decision and output values at the segment ends), as the ITU-T STL's `g711.c` gives
    /// them on the 16-bit scale.
    #[test]
    fn decodes_the_reference_code_words() {
        // µ-law: 0xFF and 0x7F are +0 and -0; 0x80/0x00 full scale; segment starts.
        let ulaw = [
            (0xFF, 0),
            (0x7F, 0),
            (0x80, 32124),
            (0x00, -32124),
            (0xFE, 8),
            (0x7E, -8),
            (0xEF, 132),
            (0xDF, 396),
            (0xF0, 120),
            (0x8F, 16764),
        ];
        for (code, linear) in ulaw {
            assert_eq!(ulaw_to_linear(code), linear, "µ-law {code:#04x}");
        }
        // A-law: 0xD5/0x55 the smallest magnitudes, 0xAA/0x2A full scale.
        let alaw = [
            (0xD5, 8),
            (0x55, -8),
            (0xAA, 32256),
            (0x2A, -32256),
            (0xD4, 24),
            (0xC5, 264),
            (0xF5, 528),
        ];
        for (code, linear) in alaw {
            assert_eq!(alaw_to_linear(code), linear, "A-law {code:#04x}");
        }
    }

    #[test]
    fn encodes_the_reference_values_and_clips() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7E); // -1 >> 2 is -1: magnitude 1
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(-1), 0x55);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
    }

    #[test]
    fn every_code_word_round_trips() {
        // Decoding gives a segment's reconstruction value, which encodes to the same code
        // word (µ-law's -0, 0x7F, decodes to 0 and encodes as +0, 0xFF: the one exception).
        for code in 0..=255u8 {
            let u = linear_to_ulaw(ulaw_to_linear(code));
            assert!(
                u == code || (code == 0x7F && u == 0xFF),
                "µ-law {code:#04x}"
            );
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "A-law {code:#04x}"
            );
        }
    }

    #[test]
    fn quantisation_error_is_within_half_a_step() {
        for pcm in (i16::MIN..=i16::MAX).step_by(7) {
            let u = i32::from(ulaw_to_linear(linear_to_ulaw(pcm)));
            let a = i32::from(alaw_to_linear(linear_to_alaw(pcm)));
            let p = i32::from(pcm);
            // The largest steps are 1024 (µ-law) and 1024 (A-law) at full scale.
            assert!((u - p).abs() <= 1024 + 132, "µ-law {pcm} -> {u}");
            assert!((a - p).abs() <= 1024, "A-law {pcm} -> {a}");
        }
    }
}
