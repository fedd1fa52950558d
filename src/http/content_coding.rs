//! Content-coding negotiation: whether a client takes a gzip-coded body, read from its
//! `Accept-Encoding` fields (RFC 9110 §12.5.3). The camera page keeps its largest asset
//! gzip-coded in the binary (src/web/page.rs), and this is the one question it has to ask.

/// Whether a response body may be gzip-coded for a request carrying these `Accept-Encoding`
/// field values, in order (several fields are one comma-separated list, RFC 9110 §5.3).
///
/// - No field at all: yes. "If no Accept-Encoding header field is in the request, any content
///   coding is considered acceptable by the user agent" (§12.5.3).
/// - A field whose list is empty: no. An empty value "implies that the user agent does not
///   want any content coding in response" (§12.5.3).
/// - Otherwise: yes if a member names `gzip` (or `x-gzip`, which §8.4.1.3 says to read as
///   `gzip`) with a weight above 0; if no member names it, what `*` says (§12.5.3: `*`
///   matches any coding "not explicitly listed"); no if neither is named.
///
/// Codings compare case-insensitively (§8.4.1). A member whose weight is not a qvalue
/// (§12.4.2: `0` to `1` with at most three decimals) is ignored rather than guessed at.
pub(crate) fn accepts_gzip<'a>(fields: impl IntoIterator<Item = &'a [u8]>) -> bool {
    let mut any_field = false;
    let (mut gzip, mut star) = (None::<bool>, None::<bool>);
    for field in fields {
        any_field = true;
        for member in field.split(|&b| b == b',') {
            let mut parts = member.split(|&b| b == b';');
            let coding = trim(parts.next().unwrap_or_default());
            if coding.is_empty() {
                // §5.6.1: empty list elements are allowed and do not count.
                continue;
            }
            let mut wanted = Some(true);
            for param in parts {
                let param = trim(param);
                if param.len() >= 2 && param[..2].eq_ignore_ascii_case(b"q=") {
                    wanted = qvalue_above_zero(&param[2..]);
                }
            }
            let Some(wanted) = wanted else { continue };
            let slot =
                if coding.eq_ignore_ascii_case(b"gzip") || coding.eq_ignore_ascii_case(b"x-gzip") {
                    &mut gzip
                } else if coding == b"*" {
                    &mut star
                } else {
                    continue;
                };
            // Named twice: any acceptable mention is enough.
            *slot = Some(slot.unwrap_or(false) || wanted);
        }
    }
    !any_field || gzip.or(star).unwrap_or(false)
}

/// Strips optional whitespace (RFC 9110 §5.6.3: SP and HTAB) from both ends.
fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let Some(start) = start else { return &[] };
    let end = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(start);
    &s[start..=end]
}

/// `Some(weight > 0)` for a qvalue (RFC 9110 §12.4.2:
/// `( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`), `None` for anything else.
fn qvalue_above_zero(v: &[u8]) -> Option<bool> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &[][..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match int {
        b"0" => Some(frac.iter().any(|&d| d != b'0')),
        b"1" if frac.iter().all(|&d| d == b'0') => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    fn accepts(fields: &[&str]) -> bool {
        accepts_gzip(fields.iter().map(|f| f.as_bytes()))
    }

    #[test]
    fn what_browsers_and_tools_send() {
        // Chromium and Firefox over plain HTTP, curl --compressed, Python requests.
        assert!(accepts(&["gzip, deflate"]));
        assert!(accepts(&["gzip, deflate, br, zstd"]));
        assert!(accepts(&["deflate, gzip;q=1.0, *;q=0.5"]));
        // curl without --compressed sends no field: any coding is acceptable.
        assert!(accepts(&[]));
        // Only identity asked for.
        assert!(!accepts(&["identity"]));
        assert!(!accepts(&["br"]));
    }

    #[test]
    fn weights_exclusions_and_wildcards() {
        assert!(!accepts(&["gzip;q=0"]));
        assert!(!accepts(&["gzip;q=0.000, identity"]));
        assert!(accepts(&["gzip;q=0.001"]));
        assert!(accepts(&["GZIP ; Q=0.5"]));
        assert!(accepts(&["x-gzip"]));
        assert!(accepts(&["*"]));
        assert!(!accepts(&["*;q=0"]));
        // An explicit mention wins over the wildcard, both ways (§12.5.3).
        assert!(!accepts(&["*, gzip;q=0"]));
        assert!(accepts(&["*;q=0, gzip"]));
        // Several fields are one list.
        assert!(accepts(&["identity", "gzip"]));
        assert!(!accepts(&["gzip;q=0", "deflate"]));
    }

    #[test]
    fn empty_and_malformed_values() {
        // An empty value: no coding wanted.
        assert!(!accepts(&[""]));
        assert!(!accepts(&[" , ,"]));
        // A weight that is not a qvalue: that member is ignored.
        assert!(!accepts(&["gzip;q=2"]));
        assert!(!accepts(&["gzip;q=0.0001"]));
        assert!(!accepts(&["gzip;q=1.5"]));
        assert!(!accepts(&["gzip;q="]));
        assert!(!accepts(&["gzip;q=abc"]));
        assert!(accepts(&["gzip;q=abc, gzip"]));
        // Other parameters are not weights.
        assert!(accepts(&["gzip;level=1"]));
        assert!(accepts(&["gzip;q=1.000"]));
        assert!(!accepts(&["gzip;q=1.0000"]));
    }
}
