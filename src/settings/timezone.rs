//! Time zones as clients send them, resolved to the POSIX TZ string the device keeps.
//!
//! ONVIF's `tt:TimeZone` is a POSIX TZ string (Core s.8.3.8, IEEE 1003.1 s8.3), but real
//! clients send names first: Home Assistant sends its host's zone name (`UTC`, `CET`), Windows
//! tools `GMT` or an IANA name (`Europe/Berlin`). Refusing them with `ter:InvalidTimeZone`
//! (issue 13 item 5) leaves the camera's clock unset. [`resolve`] accepts, in this order:
//!
//! 1. a complete POSIX TZ string (`CET-1CEST,M3.5.0,M10.5.0/3`, `UTC0`, `<+0530>-5:30`),
//!    kept as it is;
//! 2. a zone name, with or without POSIX's leading `:` (IEEE 1003.1 s8.3: "the characters
//!    following the colon are handled in an implementation-defined manner"), looked up in the
//!    zoneinfo database (`$TZDIR`, else [`ZONEINFO_DIR`]): the POSIX string is the footer of
//!    its TZif file (RFC 8536 s3.3), which describes the zone's current rules;
//! 3. where the database has no such file (a camera image without tzdata), the names that
//!    mean a fixed rule everywhere: UTC and GMT and their aliases, `Etc/GMT±N`, and the
//!    zoneinfo "legacy" zones CET, MET, EET, WET, EST, MST, HST ([`BUILT_IN`]).
//!
//! Anything else is refused. What is stored and reported (GetSystemDateAndTime) is the POSIX
//! string, so every client reads a value the ONVIF schema allows.

use std::io::Read;
use std::path::PathBuf;

/// Where the zoneinfo database is on Linux (Debian's tzdata, Buildroot's and Yocto's too).
/// The `TZDIR` environment variable overrides it, as it does for the C library.
pub(crate) const ZONEINFO_DIR: &str = "/usr/share/zoneinfo";
/// Longest zone name looked up (the longest IANA name is 32 bytes).
pub(crate) const MAX_ZONE_NAME_LEN: usize = 64;
/// Largest TZif file read (the largest in tzdata is about 4 KB; the bound keeps a huge or
/// endless file, say a device node, from being read).
pub(crate) const MAX_TZIF_BYTES: u64 = 256 * 1024;
/// Longest TZ string kept (settings validation allows 128 bytes).
pub(crate) const MAX_TZ_LEN: usize = 128;

/// Names with the same rule everywhere, for a device without a zoneinfo database. The rules
/// are those of the tzdata footers (2024 and later).
pub(crate) const BUILT_IN: &[(&str, &str)] = &[
    ("UTC", "UTC0"),
    ("UCT", "UTC0"),
    ("Universal", "UTC0"),
    ("Zulu", "UTC0"),
    ("Etc/UTC", "UTC0"),
    ("Etc/UCT", "UTC0"),
    ("Etc/Universal", "UTC0"),
    ("Etc/Zulu", "UTC0"),
    ("GMT", "GMT0"),
    ("Greenwich", "GMT0"),
    ("GMT+0", "GMT0"),
    ("GMT-0", "GMT0"),
    ("Etc/GMT", "GMT0"),
    ("Etc/Greenwich", "GMT0"),
    ("Etc/GMT+0", "GMT0"),
    ("Etc/GMT-0", "GMT0"),
    ("Etc/GMT0", "GMT0"),
    ("CET", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("MET", "MET-1MEST,M3.5.0,M10.5.0/3"),
    ("EET", "EET-2EEST,M3.5.0/3,M10.5.0/4"),
    ("WET", "WET0WEST,M3.5.0/1,M10.5.0"),
    ("EST", "EST5"),
    ("MST", "MST7"),
    ("HST", "HST10"),
];

/// Why a time zone was refused (`ter:InvalidTimeZone`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TzError {
    #[error("an empty time zone")]
    Empty,
    #[error("time zone {0:?} is neither a POSIX TZ string nor a known zone name")]
    Unknown(String),
    #[error(
        "time zone {0:?} is not a POSIX TZ string, and this device has no zoneinfo database to look the name up (send a POSIX TZ string such as \"CET-1CEST,M3.5.0,M10.5.0/3\")"
    )]
    NoDatabase(String),
}

/// The POSIX TZ string for what a client sent (see the module doc).
pub(crate) fn resolve(input: &str) -> Result<String, TzError> {
    let tz = input.trim();
    if tz.is_empty() {
        return Err(TzError::Empty);
    }
    if tz.len() <= MAX_TZ_LEN && is_posix_tz(tz) {
        return Ok(tz.to_owned());
    }
    let name = tz.strip_prefix(':').unwrap_or(tz);
    if !is_zone_name(name) {
        return Err(TzError::Unknown(tz.to_owned()));
    }
    let dir = zoneinfo_dir();
    if let Some(posix) = from_database(&dir, name) {
        return Ok(posix);
    }
    if let Some((_, posix)) = BUILT_IN.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Ok((*posix).to_owned());
    }
    if let Some(posix) = etc_gmt(name) {
        return Ok(posix);
    }
    if dir.join("UTC").exists() || dir.join("Etc").is_dir() {
        Err(TzError::Unknown(tz.to_owned()))
    } else {
        Err(TzError::NoDatabase(tz.to_owned()))
    }
}

fn zoneinfo_dir() -> PathBuf {
    std::env::var_os("TZDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from(ZONEINFO_DIR), PathBuf::from)
}

/// An IANA-style name that is safe to join to the database directory: components of
/// `[A-Za-z0-9_+-]` (the characters tzdata's names use, Theory file "Names of timezones"),
/// separated by single `/`, none of them `.` or `..`, not absolute.
fn is_zone_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ZONE_NAME_LEN
        && name.split('/').all(|c| {
            !c.is_empty()
                && !c.starts_with('-')
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
        })
}

/// The footer of `<dir>/<name>` when it is a TZif file with one (tzdata's `posixrules` and
/// `localtime` are files too; they resolve like any zone).
fn from_database(dir: &std::path::Path, name: &str) -> Option<String> {
    let file = std::fs::File::open(dir.join(name)).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_TZIF_BYTES + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_TZIF_BYTES {
        return None;
    }
    tzif_footer(&bytes)
        .filter(|f| !f.is_empty() && f.len() <= MAX_TZ_LEN && is_posix_tz(f))
        .map(str::to_owned)
}

/// `Etc/GMT+5` is five hours *west* (POSIX sign convention, tzdata's `etcetera` file):
/// `<-05>5`. Offsets as tzdata has them: -14..=+12.
fn etc_gmt(name: &str) -> Option<String> {
    let rest = name
        .strip_prefix("Etc/GMT")
        .or_else(|| name.strip_prefix("GMT"))?;
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits.parse().ok()?;
    let west = sign * hours;
    if !(-14..=12).contains(&west) {
        return None;
    }
    if west == 0 {
        return Some("GMT0".into());
    }
    let east = -west;
    Some(format!(
        "<{}{:02}>{west}",
        if east < 0 { '-' } else { '+' },
        east.abs()
    ))
}

/// The TZ string footer of a version 2+ TZif file (RFC 8536 s3.3), or None for a version 1
/// file or anything that is not TZif. The string may be empty (a zone with no rule for
/// times after its last transition).
pub(crate) fn tzif_footer(bytes: &[u8]) -> Option<&str> {
    const HEADER: usize = 44;
    // RFC 8536 s3.1: magic, version, 15 unused bytes, six 32-bit big-endian counts.
    let counts = |at: usize| -> Option<[usize; 6]> {
        let h = bytes.get(at..at + HEADER)?;
        if &h[..4] != b"TZif" {
            return None;
        }
        let mut c = [0usize; 6];
        for (i, n) in c.iter_mut().enumerate() {
            let o = 20 + 4 * i;
            *n = u32::from_be_bytes(h[o..o + 4].try_into().ok()?) as usize;
        }
        Some(c)
    };
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt; s3.2: the data block.
    let block = |c: [usize; 6], time_size: usize| -> Option<usize> {
        let [isut, isstd, leap, time, types, chars] = c;
        time.checked_mul(time_size + 1)?
            .checked_add(types.checked_mul(6)?)?
            .checked_add(chars)?
            .checked_add(leap.checked_mul(time_size + 4)?)?
            .checked_add(isstd)?
            .checked_add(isut)
    };
    let v1 = counts(0)?;
    if bytes[4] < b'2' {
        return None;
    }
    let second = HEADER.checked_add(block(v1, 4)?)?;
    let v2 = counts(second)?;
    let footer_at = second.checked_add(HEADER)?.checked_add(block(v2, 8)?)?;
    let footer = bytes.get(footer_at..)?;
    let inner = footer.strip_prefix(b"\n")?;
    let end = inner.iter().position(|&b| b == b'\n')?;
    std::str::from_utf8(&inner[..end]).ok()
}

/// Whether `tz` is a complete POSIX TZ string (IEEE 1003.1 s8.3, without the implementation-
/// defined `:` form): `std offset [dst [offset] [,start[/time],end[/time]]]`, with the
/// RFC 8536 s3.3.1 extensions tzdata footers use (hours up to 167 and negative in rule
/// times).
pub(crate) fn is_posix_tz(tz: &str) -> bool {
    let mut p = Parser(tz.as_bytes());
    (|| {
        p.name()?;
        p.offset(24)?;
        if p.done() {
            return Some(());
        }
        p.name()?;
        if !p.done() && p.peek() != Some(b',') {
            p.offset(24)?;
        }
        if p.done() {
            return Some(());
        }
        p.expect(b',')?;
        p.rule()?;
        p.expect(b',')?;
        p.rule()?;
        p.done().then_some(())
    })()
    .is_some()
}

/// POSIX TZ standard-time offset east of UTC in seconds, e.g. "CET-1CEST,M3.5.0,M10.5.0/3" ->
/// +3600. Only the standard part is used for LocalDateTime; DST rules are stored verbatim.
pub(crate) fn posix_tz_offset(tz: &str) -> Option<i64> {
    let mut p = Parser(tz.as_bytes());
    p.name()?;
    // POSIX offsets are west-positive; ONVIF clients expect local = UTC + east offset.
    p.offset(24).map(|west| -west)
}

/// The fuzz entry (`fuzz/fuzz_targets/time_zone.rs`, `tests/fuzz_corpus.rs`): the TZif
/// footer reader on arbitrary bytes and the TZ string and zone name parsers on arbitrary
/// text. No panic; a footer is one line; an accepted TZ string has a standard offset.
pub fn fuzz_input(data: &[u8]) {
    if let Some(footer) = tzif_footer(data) {
        assert!(!footer.contains('\n'));
        let _ = is_posix_tz(footer);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if is_posix_tz(text) {
            assert!(posix_tz_offset(text).is_some(), "{text:?}");
        }
        let name = text.strip_prefix(':').unwrap_or(text);
        if is_zone_name(name) {
            assert!(!name.split('/').any(|c| c == "." || c == ".."), "{name:?}");
        }
        let _ = etc_gmt(text);
    }
}

struct Parser<'a>(&'a [u8]);

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    fn done(&self) -> bool {
        self.0.is_empty()
    }

    fn bump(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.bump()? == b).then_some(())
    }

    /// `<[A-Za-z0-9+-]{3,}>` or `[A-Za-z]{3,}`.
    fn name(&mut self) -> Option<()> {
        if self.peek() == Some(b'<') {
            self.bump();
            let end = self.0.iter().position(|&b| b == b'>')?;
            let inner = &self.0[..end];
            if inner.len() < 3
                || !inner
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'-')
            {
                return None;
            }
            self.0 = &self.0[end + 1..];
            return Some(());
        }
        let n = self
            .0
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if n < 3 {
            return None;
        }
        self.0 = &self.0[n..];
        Some(())
    }

    fn number(&mut self, max_digits: usize) -> Option<i64> {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > max_digits {
            return None;
        }
        let v = std::str::from_utf8(&self.0[..n]).ok()?.parse().ok()?;
        self.0 = &self.0[n..];
        Some(v)
    }

    /// `[+-]hh[:mm[:ss]]` with hh <= `max_hours`, in seconds (POSIX sign: west positive).
    fn offset(&mut self, max_hours: i64) -> Option<i64> {
        let sign = match self.peek()? {
            b'+' => {
                self.bump();
                1
            }
            b'-' => {
                self.bump();
                -1
            }
            _ => 1,
        };
        let h = self.number(3)?;
        let mut secs = h * 3600;
        for scale in [60, 1] {
            if self.peek() != Some(b':') {
                break;
            }
            self.bump();
            let v = self.number(2)?;
            if v > 59 {
                return None;
            }
            secs += v * scale;
        }
        (h <= max_hours).then_some(sign * secs)
    }

    /// `Jn` (1..=365), `n` (0..=365) or `Mm.w.d`, then `/time` (RFC 8536 s3.3.1: -167..=167 h).
    fn rule(&mut self) -> Option<()> {
        match self.peek()? {
            b'J' => {
                self.bump();
                let d = self.number(3)?;
                (1..=365).contains(&d).then_some(())?;
            }
            b'M' => {
                self.bump();
                let m = self.number(2)?;
                self.expect(b'.')?;
                let w = self.number(1)?;
                self.expect(b'.')?;
                let d = self.number(1)?;
                ((1..=12).contains(&m) && (1..=5).contains(&w) && d <= 6).then_some(())?;
            }
            _ => {
                let d = self.number(3)?;
                (d <= 365).then_some(())?;
            }
        }
        if self.peek() == Some(b'/') {
            self.bump();
            self.offset(167)?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_strings_are_kept() {
        for tz in [
            "UTC0",
            "CET-1CEST,M3.5.0,M10.5.0/3",
            "EST5EDT",
            "EST5EDT,M3.2.0,M11.1.0",
            "<+0530>-5:30",
            "<-03>3",
            "IST-2IDT,M3.4.4/26,M10.5.0",
            "<+13>-13",
            "NZST-12NZDT,M9.5.0,M4.1.0/3",
            "AAA3BBB,J60/2,300/-1",
        ] {
            assert!(is_posix_tz(tz), "{tz}");
            assert_eq!(resolve(tz).as_deref(), Ok(tz));
        }
        for tz in [
            "UTC",
            "CET",
            "Europe/Berlin",
            "CET-1CEST!",
            "CET-1j",
            "CET-25",
            "CET-1CEST,M13.1.0,M1.1.0",
            "<+05",
            "AB1",
            "",
            "CET-1CEST,M3.5.0",
        ] {
            assert!(!is_posix_tz(tz), "{tz}");
        }
    }

    #[test]
    fn offsets_are_east_positive() {
        assert_eq!(posix_tz_offset("UTC0"), Some(0));
        assert_eq!(posix_tz_offset("CET-1CEST,M3.5.0,M10.5.0/3"), Some(3600));
        assert_eq!(posix_tz_offset("EST5EDT"), Some(-5 * 3600));
        assert_eq!(posix_tz_offset("<+0530>-5:30"), Some(5 * 3600 + 1800));
        assert_eq!(posix_tz_offset("Europe/Paris"), None);
        assert_eq!(posix_tz_offset(""), None);
    }

    #[test]
    fn fixed_names_resolve_without_a_database() {
        // With a database these come from it; the built-in table gives the same strings.
        let none = tempfile::tempdir().unwrap();
        for (name, posix) in BUILT_IN {
            assert_eq!(from_database(none.path(), name), None);
            assert!(is_posix_tz(posix), "{posix}");
        }
        assert_eq!(etc_gmt("Etc/GMT+5").as_deref(), Some("<-05>5"));
        assert_eq!(etc_gmt("Etc/GMT-14").as_deref(), Some("<+14>-14"));
        assert_eq!(etc_gmt("Etc/GMT-15"), None);
        assert_eq!(etc_gmt("Etc/GMT+13"), None);
        assert_eq!(etc_gmt("GMT+0").as_deref(), Some("GMT0"));
        assert!(is_posix_tz("<-05>5") && is_posix_tz("<+14>-14"));
    }

    #[test]
    fn names_never_leave_the_database() {
        for name in [
            "../etc/passwd",
            "/etc/passwd",
            "Europe//Berlin",
            "Europe/.",
            "a b",
            "-x",
        ] {
            assert!(!is_zone_name(name), "{name}");
            assert!(resolve(name).is_err(), "{name}");
        }
        assert!(is_zone_name("America/Argentina/Buenos_Aires"));
        assert!(is_zone_name("Etc/GMT+5"));
    }

    /// A minimal version 2 TZif file: one type, no transitions, the given footer.
    fn tzif(footer: &str) -> Vec<u8> {
        let header = |version: u8| {
            let mut h = b"TZif".to_vec();
            h.push(version);
            h.extend([0u8; 15]);
            // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
            for n in [0u32, 0, 0, 0, 1, 4] {
                h.extend(n.to_be_bytes());
            }
            h
        };
        let data = [0, 0, 0, 0, 0, 0, b'U', b'T', b'C', 0];
        let mut f = header(b'2');
        f.extend(data);
        f.extend(header(b'2'));
        f.extend(data);
        f.push(b'\n');
        f.extend(footer.as_bytes());
        f.push(b'\n');
        f
    }

    #[test]
    fn tzif_footers_are_read() {
        assert_eq!(tzif_footer(&tzif("UTC0")), Some("UTC0"));
        assert_eq!(tzif_footer(&tzif("")), Some(""));
        let mut v1 = tzif("UTC0");
        v1[4] = 0;
        assert_eq!(tzif_footer(&v1), None, "version 1 has no footer");
        let full = tzif("CET-1CEST,M3.5.0,M10.5.0/3");
        for cut in 0..full.len() - 1 {
            assert_eq!(tzif_footer(&full[..cut]), None, "cut at {cut}");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("Mars")).unwrap();
        std::fs::write(dir.path().join("Mars/Olympus"), tzif("<+0930>-9:30")).unwrap();
        assert_eq!(
            from_database(dir.path(), "Mars/Olympus").as_deref(),
            Some("<+0930>-9:30")
        );
        std::fs::write(dir.path().join("Empty"), tzif("")).unwrap();
        assert_eq!(from_database(dir.path(), "Empty"), None);
        assert_eq!(from_database(dir.path(), "Mars"), None, "a directory");
    }

    #[test]
    fn the_system_database_agrees_with_the_built_in_table() {
        let dir = std::path::Path::new(ZONEINFO_DIR);
        if !dir.join("UTC").exists() {
            // The table is what a device without tzdata has; nothing to compare here.
            return;
        }
        for (name, posix) in BUILT_IN {
            if let Some(found) = from_database(dir, name) {
                assert_eq!(&found, posix, "{name}");
            }
        }
        assert_eq!(
            from_database(dir, "Europe/Berlin").as_deref(),
            Some("CET-1CEST,M3.5.0,M10.5.0/3")
        );
    }
}
