//! Annex-B byte streams: splitting on start codes and grouping NAL units into access units.
//! Used for the encoder's output (openh264 writes start codes, the contract wants bare
//! NAL units) and for replay files.

/// NAL units of an Annex-B stream, without start codes (trailing zero bytes, which belong
/// to the next start code or are padding, are trimmed).
pub fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::with_capacity(starts.len());
    for (n, &s) in starts.iter().enumerate() {
        let mut end = starts.get(n + 1).map_or(data.len(), |&next| next - 3);
        while end > s && data[end - 1] == 0 {
            end -= 1;
        }
        if end > s {
            nals.push(&data[s..end]);
        }
    }
    nals
}

pub fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1F)
}

fn is_vcl(t: u8) -> bool {
    (1..=5).contains(&t)
}

/// first_mb_in_slice == 0: the first bit after the NAL header is a 1 (ue(v) value 0).
fn first_slice_of_picture(nal: &[u8]) -> bool {
    nal.get(1).is_some_and(|b| b & 0x80 != 0)
}

/// Groups NAL units into access units: an AUD, SPS, PPS or SEI after a slice, or a slice
/// with first_mb_in_slice == 0 after a slice, starts a new access unit.
pub fn access_units<'a>(nals: &[&'a [u8]]) -> Vec<Vec<&'a [u8]>> {
    let mut aus: Vec<Vec<&[u8]>> = Vec::new();
    let mut cur: Vec<&[u8]> = Vec::new();
    let mut has_vcl = false;
    for &nal in nals {
        let t = nal_type(nal);
        let starts_new =
            has_vcl && (matches!(t, 6..=9) || (is_vcl(t) && first_slice_of_picture(nal)));
        if starts_new {
            aus.push(std::mem::take(&mut cur));
            has_vcl = false;
        }
        has_vcl |= is_vcl(t);
        cur.push(nal);
    }
    if has_vcl {
        aus.push(cur);
    }
    aus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_3_and_4_byte_start_codes() {
        let data = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 0x88, 0,
        ];
        let nals = split(&data);
        assert_eq!(nals, vec![&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 0x88]]);
        assert!(split(&[1, 2, 3]).is_empty());
    }

    #[test]
    fn groups_access_units() {
        let sps: &[u8] = &[0x67, 0];
        let pps: &[u8] = &[0x68, 0];
        let idr0: &[u8] = &[0x65, 0x88];
        let idr1: &[u8] = &[0x65, 0x40]; // second slice (first_mb != 0)
        let p0: &[u8] = &[0x41, 0x9a];
        let aud: &[u8] = &[0x09, 0xf0];
        let aus = access_units(&[sps, pps, idr0, idr1, p0, p0, aud, p0, sps, pps, idr0]);
        assert_eq!(aus.len(), 5);
        assert_eq!(aus[0], vec![sps, pps, idr0, idr1]);
        assert_eq!(aus[1], vec![p0]);
        assert_eq!(aus[3], vec![aud, p0]);
        assert_eq!(aus[4], vec![sps, pps, idr0]);
    }
}
