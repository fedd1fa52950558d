//! The device's ONVIF scopes (ONVIF Core s.7.3.2.2), shared by the Device service
//! (Get/Set/Add/RemoveScopes) and the discovery responder, so both always say the same.
//!
//! - Fixed: `Profile/Streaming` (S), `Profile/T`, `type/video_encoder`, `hardware/<model>`,
//!   `mac/<mac>`. Profile T is claimed as docs/PROFILE_T.md measures it: every mandatory
//!   feature passes its ONVIF test cases except the network Set* operations, which stay the
//!   host's (issue 18).
//! - Configurable: `name/<name>` and `location/<location>` (kept in `settings.device`, so the
//!   friendly name is one setting), then any other scope a client added
//!   (`settings.discovery.extra_scopes`).
//!
//! Every change bumps `settings.discovery.metadata_version`, which the responder advertises
//! and announces with a Hello.

use crate::settings::Settings;

use super::limits::{MAX_CONFIGURABLE_SCOPES, MAX_CONFIGURABLE_SCOPES_BYTES, MAX_SCOPE_LEN};

const ONVIF: &str = "onvif://www.onvif.org/";
const NAME: &str = "onvif://www.onvif.org/name/";
const LOCATION: &str = "onvif://www.onvif.org/location/";

/// Why a scope edit was refused (the Device service maps each to its ONVIF fault).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ScopeError {
    /// A fixed scope cannot be set or removed (`ter:ScopeOverwrite` / `ter:FixedScope`).
    #[error("fixed scopes cannot be changed")]
    Fixed,
    /// RemoveScopes named a scope the device does not have (`ter:NoScope`).
    #[error("scope not found")]
    NotFound,
    /// More than [`MAX_CONFIGURABLE_SCOPES`] (`ter:TooManyScopes`).
    #[error("at most {MAX_CONFIGURABLE_SCOPES} configurable scopes")]
    TooMany,
    /// The configurable scopes would take more than [`MAX_CONFIGURABLE_SCOPES_BYTES`] in
    /// every ProbeMatches (`ter:TooManyScopes`: more than the device supports).
    #[error(
        "the configurable scopes may take at most {MAX_CONFIGURABLE_SCOPES_BYTES} bytes in all (each counted with its separating space): they are sent in every WS-Discovery reply"
    )]
    TooLong,
    /// Not an absolute URI without whitespace, or longer than [`MAX_SCOPE_LEN`].
    #[error("a scope is an absolute URI without spaces, at most {MAX_SCOPE_LEN} bytes")]
    Invalid,
}

/// Bytes `scopes` take in a ProbeMatches' space-separated `d:Scopes` list, each counted
/// with one separator: what [`MAX_CONFIGURABLE_SCOPES_BYTES`] bounds.
pub(crate) fn list_bytes<S: AsRef<str>>(scopes: &[S]) -> usize {
    scopes.iter().map(|s| s.as_ref().len() + 1).sum()
}

/// The fixed scopes of a device of `model` whose identity MAC is `mac`.
pub(crate) fn fixed(model: &str, mac: &str) -> Vec<String> {
    vec![
        format!("{ONVIF}Profile/Streaming"),
        format!("{ONVIF}Profile/T"),
        format!("{ONVIF}type/video_encoder"),
        format!("{ONVIF}hardware/{}", encode(model)),
        format!("{ONVIF}mac/{}", encode(&mac.to_ascii_lowercase())),
    ]
}

/// The configurable scopes, in order: name, location, the others.
pub(crate) fn configurable(s: &Settings) -> Vec<String> {
    let mut v = Vec::new();
    if !s.device.name.is_empty() {
        v.push(format!("{NAME}{}", encode(&s.device.name)));
    }
    if !s.device.location.is_empty() {
        v.push(format!("{LOCATION}{}", encode(&s.device.location)));
    }
    v.extend(s.discovery.extra_scopes.iter().cloned());
    v
}

fn check(scope: &str, fixed: &[String]) -> Result<(), ScopeError> {
    if fixed.iter().any(|f| f == scope) {
        return Err(ScopeError::Fixed);
    }
    let scheme_ok = scope.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if scope.is_empty()
        || scope.len() > MAX_SCOPE_LEN
        || !scheme_ok
        || scope.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ScopeError::Invalid);
    }
    Ok(())
}

/// SetScopes: the configurable scopes become `list`. The first `name/` and `location/` scopes
/// set the name and location (absent: none); the rest are kept as given.
pub(crate) fn set(s: &mut Settings, fixed: &[String], list: &[String]) -> Result<(), ScopeError> {
    replace(s, fixed, list, true)
}

/// [`set`], with the bound on the list's total size checked (`check_bytes`) or not: removing
/// scopes never makes a list longer, so RemoveScopes works on a list stored past the bound
/// (by an older version, or by hand).
fn replace(
    s: &mut Settings,
    fixed: &[String],
    list: &[String],
    check_bytes: bool,
) -> Result<(), ScopeError> {
    for scope in list {
        check(scope, fixed)?;
    }
    let mut name = None;
    let mut location = None;
    let mut extra: Vec<String> = Vec::new();
    for scope in list {
        if name.is_none()
            && let Some(v) = scope.strip_prefix(NAME).filter(|v| !v.contains('/'))
        {
            name = Some(decode(v));
        } else if location.is_none()
            && let Some(v) = scope.strip_prefix(LOCATION).filter(|v| !v.contains('/'))
        {
            location = Some(decode(v));
        } else if !extra.contains(scope) {
            extra.push(scope.clone());
        }
    }
    let count = extra.len() + usize::from(name.is_some()) + usize::from(location.is_some());
    if count > MAX_CONFIGURABLE_SCOPES {
        return Err(ScopeError::TooMany);
    }
    // Measured as they will be advertised (the name and location re-encoded).
    let advertised: Vec<String> = name
        .iter()
        .map(|n| format!("{NAME}{}", encode(n)))
        .chain(location.iter().map(|l| format!("{LOCATION}{}", encode(l))))
        .chain(extra.iter().cloned())
        .collect();
    if check_bytes && list_bytes(&advertised) > MAX_CONFIGURABLE_SCOPES_BYTES {
        return Err(ScopeError::TooLong);
    }
    s.device.name = name.unwrap_or_default();
    s.device.location = location.unwrap_or_default();
    s.discovery.extra_scopes = extra;
    bump(s);
    Ok(())
}

/// AddScopes: `items` are added to the configurable scopes (a name or location scope fills
/// the name or location when there is none yet).
pub(crate) fn add(s: &mut Settings, fixed: &[String], items: &[String]) -> Result<(), ScopeError> {
    let mut list = configurable(s);
    let before = list.len();
    for item in items {
        check(item, fixed)?;
        if !list.contains(item) {
            list.push(item.clone());
        }
    }
    if list.len() == before {
        // Nothing new: the scopes, and so MetadataVersion, stay as they are.
        return Ok(());
    }
    set(s, fixed, &list)
}

/// RemoveScopes: every item must be a configurable scope of the device.
pub(crate) fn remove(
    s: &mut Settings,
    fixed: &[String],
    items: &[String],
) -> Result<(), ScopeError> {
    if items.iter().any(|i| fixed.contains(i)) {
        return Err(ScopeError::Fixed);
    }
    let current = configurable(s);
    if items.iter().any(|i| !current.contains(i)) {
        return Err(ScopeError::NotFound);
    }
    let left: Vec<String> = current.into_iter().filter(|c| !items.contains(c)).collect();
    replace(s, fixed, &left, false)
}

fn bump(s: &mut Settings) {
    s.discovery.metadata_version = s.discovery.metadata_version.wrapping_add(1).max(1);
}

/// Percent-encodes what may not appear in a URI path segment (RFC 3986 s.3.3: unreserved,
/// sub-delims, ':' and '@' stay), so a name with spaces or '/' is one segment and a scope
/// list stays whitespace-separated.
pub(crate) fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reverses [`encode`] (any `%XX`); invalid UTF-8 is replaced, a stray '%' kept.
pub(crate) fn decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx() -> Vec<String> {
        fixed("NVT-SIM 1", "AA:BB:CC:00:11:22")
    }

    #[test]
    fn fixed_and_default_configurable() {
        assert_eq!(
            fx(),
            [
                "onvif://www.onvif.org/Profile/Streaming",
                "onvif://www.onvif.org/Profile/T",
                "onvif://www.onvif.org/type/video_encoder",
                "onvif://www.onvif.org/hardware/NVT-SIM%201",
                "onvif://www.onvif.org/mac/aa:bb:cc:00:11:22",
            ]
        );
        let s = Settings::default();
        assert_eq!(
            configurable(&s),
            [
                "onvif://www.onvif.org/name/nvt",
                "onvif://www.onvif.org/location/unknown"
            ]
        );
    }

    #[test]
    fn set_add_remove_round_trip_and_bump_the_metadata_version() {
        let mut s = Settings::default();
        let v0 = s.discovery.metadata_version;
        set(
            &mut s,
            &fx(),
            &[
                "onvif://www.onvif.org/location/garage".into(),
                "onvif://www.onvif.org/name/Front%20door".into(),
                "odm:name:x".into(),
            ],
        )
        .unwrap();
        assert_eq!(s.device.name, "Front door");
        assert_eq!(s.device.location, "garage");
        assert_eq!(
            configurable(&s),
            [
                "onvif://www.onvif.org/name/Front%20door",
                "onvif://www.onvif.org/location/garage",
                "odm:name:x"
            ]
        );
        assert!(s.discovery.metadata_version > v0);
        let v1 = s.discovery.metadata_version;
        add(&mut s, &fx(), &["onvif://www.onvif.org/name/second".into()]).unwrap();
        assert!(configurable(&s).contains(&"onvif://www.onvif.org/name/second".to_owned()));
        assert_eq!(s.device.name, "Front door");
        assert!(s.discovery.metadata_version > v1);
        remove(
            &mut s,
            &fx(),
            &["onvif://www.onvif.org/name/Front%20door".into()],
        )
        .unwrap();
        // The second name scope becomes the name.
        assert_eq!(s.device.name, "second");
        assert_eq!(
            remove(&mut s, &fx(), &["onvif://www.onvif.org/name/absent".into()]),
            Err(ScopeError::NotFound)
        );
        assert_eq!(
            remove(&mut s, &fx(), &[fx()[0].clone()]),
            Err(ScopeError::Fixed)
        );
        assert_eq!(
            set(&mut s, &fx(), &[fx()[2].clone()]),
            Err(ScopeError::Fixed)
        );
        for bad in [
            "no scheme",
            "a b:c",
            "",
            &format!("x:{}", "a".repeat(MAX_SCOPE_LEN)),
        ] {
            assert_eq!(
                set(&mut s, &fx(), &[bad.to_owned()]),
                Err(ScopeError::Invalid),
                "{bad:?}"
            );
        }
        let many: Vec<String> = (0..=MAX_CONFIGURABLE_SCOPES)
            .map(|i| format!("x:{i}"))
            .collect();
        assert_eq!(set(&mut s, &fx(), &many), Err(ScopeError::TooMany));
        set(&mut s, &fx(), &[]).unwrap();
        assert!(configurable(&s).is_empty());
    }

    /// Issue 14: AddScopes of long scopes took the ProbeMatches to 18.4 times the Probe.
    /// The configurable scopes' total is bounded (measured as advertised: a name with
    /// characters to percent-encode counts encoded), AddScopes and SetScopes past it are
    /// refused, RemoveScopes of a list stored past it still works.
    #[test]
    fn the_scopes_total_size_is_bounded() {
        let mut s = Settings::default();
        let long = |i: usize| format!("x:{i}/{}", "a".repeat(MAX_SCOPE_LEN - 8));
        let mut added = 0;
        let err = loop {
            match add(&mut s, &fx(), &[long(added)]) {
                Ok(()) => added += 1,
                Err(e) => break e,
            }
        };
        assert_eq!(err, ScopeError::TooLong);
        assert!(added < MAX_CONFIGURABLE_SCOPES);
        assert!(list_bytes(&configurable(&s)) <= MAX_CONFIGURABLE_SCOPES_BYTES);
        // A name that grows when encoded: 100 'é' are 200 bytes given, 600 advertised.
        let accented = format!("{NAME}{}", "é".repeat(100));
        assert!(list_bytes(&[&accented]) < MAX_CONFIGURABLE_SCOPES_BYTES);
        let mut t = Settings::default();
        assert_eq!(set(&mut t, &fx(), &[accented]), Err(ScopeError::TooLong));
        assert_eq!(t.device.name, "nvt", "a refused edit changes nothing");
        // Stored past the bound (hand-edited): removing one is still allowed.
        let mut u = Settings::default();
        u.discovery.extra_scopes = (0..6).map(long).collect();
        remove(&mut u, &fx(), &[long(0)]).unwrap();
        assert_eq!(u.discovery.extra_scopes.len(), 5);
        assert_eq!(
            add(&mut u, &fx(), &["x:y".into()]),
            Err(ScopeError::TooLong)
        );
    }

    #[test]
    fn encode_decode() {
        for v in ["plain", "Front door", "a/b", "100%", "Café ☕", "%zz"] {
            let e = encode(v);
            assert!(!e.contains([' ', '/']) && e.is_ascii(), "{e}");
            assert_eq!(decode(&e), v);
        }
        assert_eq!(decode("%zz%4"), "%zz%4");
    }
}
