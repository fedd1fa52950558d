//! Lexical parsers and formatters for the XML Schema date/time types ONVIF uses
//! (XML Schema 1.1 part 2, s.3.3.7 `dateTime` and s.3.3.6 `duration`). Strict and bounded:
//! they are fed straight from untrusted requests (WS-Security `Created`, event termination
//! times), and fuzzed (`fuzz/fuzz_targets/xsd_time.rs`).

/// Longest lexical value accepted (a valid one is at most ~40 characters).
const MAX_LEN: usize = 64;

/// Parses an `xs:dateTime` to milliseconds since the Unix epoch. A value without a time zone
/// is taken as UTC (what every ONVIF client means by it). Fractions beyond milliseconds are
/// truncated.
pub fn parse_datetime(s: &str) -> Option<i64> {
    if s.len() > MAX_LEN || !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    let mut i = 0;
    let neg = b.first() == Some(&b'-');
    if neg {
        i += 1;
    }
    let ys = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let ylen = i - ys;
    // Four digits at least; more only without a leading zero (s.3.3.7.1 lexical mapping).
    if !(4..=9).contains(&ylen) || (ylen > 4 && b[ys] == b'0') {
        return None;
    }
    let mut year: i64 = s[ys..i].parse().ok()?;
    if neg {
        year = -year;
    }
    let rest = &b[i..];
    // -MM-DDThh:mm:ss
    if rest.len() < 15
        || rest[0] != b'-'
        || rest[3] != b'-'
        || rest[6] != b'T'
        || rest[9] != b':'
        || rest[12] != b':'
    {
        return None;
    }
    let n2 = |o: usize| -> Option<i64> {
        let (a, c) = (rest[o], rest[o + 1]);
        (a.is_ascii_digit() && c.is_ascii_digit()).then(|| ((a - b'0') * 10 + (c - b'0')) as i64)
    };
    let (month, day, hour, minute, second) = (n2(1)?, n2(4)?, n2(7)?, n2(10)?, n2(13)?);
    let mut j = 15;
    let mut millis = 0i64;
    if rest.get(j) == Some(&b'.') {
        j += 1;
        let fs = j;
        while j < rest.len() && rest[j].is_ascii_digit() {
            j += 1;
        }
        if j == fs {
            return None;
        }
        let frac = &rest[fs..j.min(fs + 3)];
        let mut m = 0i64;
        for k in 0..3 {
            m = m * 10 + frac.get(k).map_or(0, |d| (d - b'0') as i64);
        }
        millis = m;
    }
    let tz_minutes: i64 = match &rest[j..] {
        [] => 0,
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let d = |c: &u8| c.is_ascii_digit().then(|| (c - b'0') as i64);
            let (h, m) = (d(h1)? * 10 + d(h2)?, d(m1)? * 10 + d(m2)?);
            if m > 59 || h > 14 || (h == 14 && m != 0) {
                return None;
            }
            let t = h * 60 + m;
            if *sign == b'-' { -t } else { t }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let end_of_day = hour == 24 && minute == 0 && second == 0 && millis == 0;
    if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - tz_minutes * 60;
    secs.checked_mul(1000)?.checked_add(millis)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down UTC time of a Unix time in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UtcTime {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    pub(crate) millis: u32,
}

pub(crate) fn utc_from_unix_ms(ms: i64) -> UtcTime {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    UtcTime {
        year,
        month,
        day,
        hour: (sod / 3600) as u32,
        minute: (sod % 3600 / 60) as u32,
        second: (sod % 60) as u32,
        millis: ms.rem_euclid(1000) as u32,
    }
}

/// Formats as `YYYY-MM-DDThh:mm:ssZ` (UTC, as ONVIF clients expect, e.g. Home Assistant's
/// pull-point handling of CurrentTime/TerminationTime).
pub fn format_datetime(ms: i64) -> String {
    let t = utc_from_unix_ms(ms);
    let sign = if t.year < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year.unsigned_abs(),
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second
    )
}

/// An `xs:duration`: months (years folded in) and milliseconds (days and time folded in),
/// kept apart because a month has no fixed length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Duration {
    pub(crate) negative: bool,
    pub(crate) months: u64,
    pub(crate) millis: u64,
}

impl Duration {
    /// Milliseconds with a month counted as 30 days (for relative timeouts, where clients
    /// only ever send seconds or minutes).
    pub(crate) fn approx_millis(&self) -> Option<u64> {
        self.months
            .checked_mul(30 * 86_400_000)?
            .checked_add(self.millis)
    }
}

/// Parses an `xs:duration` such as `PT60S`, `P1DT2H`, `-PT0.5S`.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    if s.len() > MAX_LEN || !s.is_ascii() {
        return None;
    }
    let (negative, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let s = s.strip_prefix('P')?;
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return None;
            }
            (d, Some(t))
        }
        None => (s, None),
    };
    let mut months: u64 = 0;
    let mut millis: u64 = 0;
    // Each designator at most once, in order. Returns whether any component was present.
    let mut parse_part = |part: &str, designators: &[(u8, u64, bool)]| -> Option<bool> {
        let mut any = false;
        let b = part.as_bytes();
        let mut i = 0;
        let mut next_allowed = 0;
        while i < b.len() {
            let st = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let num = &part[st..i];
            let des = *b.get(i)?;
            i += 1;
            let pos = designators[next_allowed..]
                .iter()
                .position(|d| d.0 == des)?
                + next_allowed;
            next_allowed = pos + 1;
            let (_, factor, is_month) = designators[pos];
            if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
                return None;
            }
            if num.contains('.') {
                // Only seconds may have a fraction.
                if des != b'S' {
                    return None;
                }
                let (w, f) = num.split_once('.')?;
                if f.contains('.') {
                    return None;
                }
                let w: u64 = w.parse().ok()?;
                let mut fm = 0u64;
                for k in 0..3 {
                    fm = fm * 10 + f.as_bytes().get(k).map_or(0, |d| (d - b'0') as u64);
                }
                millis = millis.checked_add(w.checked_mul(1000)?.checked_add(fm)?)?;
            } else {
                let n: u64 = num.parse().ok()?;
                if is_month {
                    months = months.checked_add(n.checked_mul(factor)?)?;
                } else {
                    millis = millis.checked_add(n.checked_mul(factor)?)?;
                }
            }
            any = true;
        }
        Some(any)
    };
    let mut any = parse_part(
        date,
        &[(b'Y', 12, true), (b'M', 1, true), (b'D', 86_400_000, false)],
    )?;
    if let Some(t) = time {
        if !parse_part(
            t,
            &[
                (b'H', 3_600_000, false),
                (b'M', 60_000, false),
                (b'S', 1000, false),
            ],
        )? {
            return None;
        }
        any = true;
    }
    any.then_some(Duration {
        negative,
        months,
        millis,
    })
}

/// Entry point of the `xsd_time` fuzz target and its corpus test. Round-trips what parses.
#[doc(hidden)]
pub fn fuzz_input(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(ms) = parse_datetime(s) {
        // Whatever parses must format and parse back to the same second.
        let again = parse_datetime(&format_datetime(ms));
        assert_eq!(again, Some(ms.div_euclid(1000) * 1000), "{s}");
    }
    if let Some(d) = parse_duration(s) {
        let _ = d.approx_millis();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_datetime("1970-01-01T00:00:00"), Some(0));
        assert_eq!(
            parse_datetime("2026-11-22T05:02:21.123Z"),
            Some(1_795_323_741_123)
        );
        assert_eq!(
            parse_datetime("2026-11-22T05:02:21.1239999Z"),
            Some(1_795_323_741_123)
        );
        assert_eq!(
            parse_datetime("2026-11-22T07:02:21+02:00"),
            Some(1_795_323_741_000)
        );
        assert_eq!(
            parse_datetime("2000-02-29T24:00:00Z"),
            parse_datetime("2000-03-01T00:00:00Z")
        );
        for bad in [
            "",
            "2026-11-22",
            "2026-11-22T05:02",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-22T24:00:01Z",
            "2026-11-22T05:02:21.Z",
            "2026-11-22T05:02:21+15:00",
            "2026-11-22T05:02:21z",
            "02026-11-22T05:02:21Z",
            "2026-11-22T05:02:21Zjunk",
            "٢٠٢٦-11-22T05:02:21Z",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
        assert_eq!(format_datetime(1_795_323_741_123), "2026-11-22T05:02:21Z");
        for ms in [-86_400_001i64, 0, 951_782_400_000, 4_102_444_800_000] {
            assert_eq!(
                parse_datetime(&format_datetime(ms)),
                Some(ms.div_euclid(1000) * 1000)
            );
        }
    }

    #[test]
    fn durations() {
        let d = |s| parse_duration(s);
        assert_eq!(d("PT60S").unwrap().millis, 60_000);
        assert_eq!(d("PT1M").unwrap().millis, 60_000);
        assert_eq!(d("PT0.5S").unwrap().millis, 500);
        assert_eq!(d("P1DT2H").unwrap().millis, 93_600_000);
        assert_eq!(d("P1Y2M").unwrap().months, 14);
        assert!(d("-PT10S").unwrap().negative);
        for bad in [
            "", "P", "PT", "P1S", "PT1D", "PT1H1H", "PT1M1H", "PT.5S", "PT1.S", "P1.5D", "1S",
            "PT-1S",
        ] {
            assert_eq!(d(bad), None, "{bad}");
        }
        assert_eq!(d("PT99999999999999999999S"), None);
    }
}
