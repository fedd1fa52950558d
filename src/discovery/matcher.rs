//! Does a Probe match this device? WS-Discovery 2005/04 s.5.1 (Probe): a Target Service
//! matches when every Type in the Probe is one of its Types (QNames compared by namespace URI
//! and local name, never by prefix) and every Scope in the Probe matches one of its Scopes
//! under the Probe's `MatchBy` rule. An empty Types or Scopes matches anything.

/// A qualified name resolved to its namespace URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QName {
    /// None when the name has no namespace (unprefixed, no default namespace in scope).
    pub(crate) ns: Option<String>,
    pub(crate) local: String,
}

impl QName {
    pub(crate) fn new(ns: &str, local: &str) -> QName {
        QName {
            ns: Some(ns.to_owned()),
            local: local.to_owned(),
        }
    }
}

/// The Scope matching rules (WS-Discovery 2005/04 s.5.1 `MatchBy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MatchBy {
    /// RFC 2396 / RFC 3986 prefix rule, the default: scheme and authority equal ignoring
    /// case, the Probe's path segments a prefix of ours, compared case-sensitively.
    Uri,
    /// Exact, case-sensitive string comparison.
    Strcmp0,
    /// Any other rule (`ldap`, `uuid`, vendor rules): we match nothing with it. A unicast
    /// Probe with it gets `MatchingRuleNotSupported` (ONVIF Core s.7.3.6, see `responder`); a
    /// multicast one silence.
    Unsupported,
}

const WSD_2005: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/";
const WSD_2009: &str = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/";

impl MatchBy {
    /// The rule named by a `MatchBy` attribute; absent means the default (URI prefix).
    pub(crate) fn from_attr(attr: Option<&str>) -> MatchBy {
        let Some(a) = attr.map(str::trim) else {
            return MatchBy::Uri;
        };
        let rule = a
            .strip_prefix(WSD_2005)
            .or_else(|| a.strip_prefix(WSD_2009));
        match rule {
            _ if a.is_empty() => MatchBy::Uri,
            Some("rfc2396" | "rfc3986") => MatchBy::Uri,
            Some("strcmp0") => MatchBy::Strcmp0,
            _ => MatchBy::Unsupported,
        }
    }
}

/// True if every probed type is one of ours.
pub(crate) fn types_match(probed: &[QName], ours: &[QName]) -> bool {
    probed.iter().all(|p| ours.contains(p))
}

/// True if every probed scope matches one of ours under `rule`.
pub(crate) fn scopes_match(probed: &[String], ours: &[String], rule: MatchBy) -> bool {
    probed
        .iter()
        .all(|p| ours.iter().any(|o| scope_matches(p, o, rule)))
}

/// One probed scope `s1` against one of ours, `s2`.
pub(crate) fn scope_matches(s1: &str, s2: &str, rule: MatchBy) -> bool {
    match rule {
        MatchBy::Strcmp0 => s1 == s2,
        MatchBy::Unsupported => false,
        MatchBy::Uri => match (Uri::parse(s1), Uri::parse(s2)) {
            (Some(a), Some(b)) => uri_prefix(&a, &b),
            _ => false,
        },
    }
}

/// The parts of an absolute URI the prefix rule compares (RFC 3986 s.3).
#[derive(Debug, PartialEq, Eq)]
struct Uri<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
}

impl<'a> Uri<'a> {
    /// Splits an absolute URI. Query and fragment are cut off: the rule compares segments of
    /// the path only (WS-Discovery 2005/04 s.5.1).
    fn parse(s: &'a str) -> Option<Uri<'a>> {
        let s = s.split(['?', '#']).next().unwrap_or("");
        let (scheme, rest) = s.split_once(':')?;
        let mut chars = scheme.chars();
        if !chars.next()?.is_ascii_alphabetic()
            || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return None;
        }
        let (authority, path) = match rest.strip_prefix("//") {
            Some(r) => match r.find('/') {
                Some(i) => (&r[..i], &r[i..]),
                None => (r, ""),
            },
            None => ("", rest),
        };
        Some(Uri {
            scheme,
            authority,
            path,
        })
    }
}

fn uri_prefix(probe: &Uri<'_>, ours: &Uri<'_>) -> bool {
    if !probe.scheme.eq_ignore_ascii_case(ours.scheme)
        || !probe.authority.eq_ignore_ascii_case(ours.authority)
    {
        return false;
    }
    let segments = |p: &'_ str| -> Vec<String> {
        // A trailing "/" adds no segment: ".../Profile/" probes the same as ".../Profile".
        p.trim_start_matches('/')
            .trim_end_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (p, o) = (segments(probe.path), segments(ours.path));
    // Dot segments have no place in a scope; refusing them keeps "/a/../b" from matching
    // by accident.
    if p.iter().any(|s| s == "." || s == "..") {
        return false;
    }
    p.len() <= o.len() && p.iter().zip(&o).all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAMING: &str = "onvif://www.onvif.org/Profile/Streaming";

    fn ours() -> Vec<String> {
        [
            STREAMING,
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/name/Front%20door",
            "onvif://www.onvif.org/location/garage",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn uri_prefix_rule() {
        let m = |s: &str| scopes_match(&[s.to_owned()], &ours(), MatchBy::Uri);
        assert!(m(STREAMING));
        assert!(m("onvif://www.onvif.org/Profile"));
        assert!(m("onvif://www.onvif.org/Profile/"));
        assert!(
            m("ONVIF://WWW.ONVIF.ORG/Profile/Streaming"),
            "scheme/authority ignore case"
        );
        assert!(m("onvif://www.onvif.org"));
        assert!(m("onvif://www.onvif.org/name/Front%20door"));
        assert!(
            !m("onvif://www.onvif.org/profile/streaming"),
            "paths are case-sensitive"
        );
        assert!(
            !m("onvif://www.onvif.org/Profile/Stream"),
            "whole segments only"
        );
        assert!(!m("onvif://www.onvif.org/Profile/Streaming/x"));
        assert!(!m("onvif://www.onvif.org/Profile/G"));
        assert!(!m("http://www.onvif.org/Profile/Streaming"));
        assert!(!m("onvif://other.org/Profile/Streaming"));
        assert!(!m("onvif://www.onvif.org/x/../Profile"));
        assert!(!m("not a uri"));
    }

    #[test]
    fn all_probed_scopes_must_match() {
        let both = [
            STREAMING.to_owned(),
            "onvif://www.onvif.org/location/garage".into(),
        ];
        assert!(scopes_match(&both, &ours(), MatchBy::Uri));
        let one_bad = [
            STREAMING.to_owned(),
            "onvif://www.onvif.org/location/attic".into(),
        ];
        assert!(!scopes_match(&one_bad, &ours(), MatchBy::Uri));
        assert!(scopes_match(&[], &ours(), MatchBy::Uri));
    }

    #[test]
    fn strcmp_and_unsupported_rules() {
        let rule = MatchBy::from_attr(Some(
            "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0",
        ));
        assert_eq!(rule, MatchBy::Strcmp0);
        assert!(scope_matches(STREAMING, STREAMING, rule));
        assert!(!scope_matches(
            "onvif://www.onvif.org/Profile",
            STREAMING,
            rule
        ));
        let ldap = MatchBy::from_attr(Some("http://schemas.xmlsoap.org/ws/2005/04/discovery/ldap"));
        assert_eq!(ldap, MatchBy::Unsupported);
        assert!(!scopes_match(&[STREAMING.into()], &ours(), ldap));
        assert_eq!(MatchBy::from_attr(None), MatchBy::Uri);
        assert_eq!(
            MatchBy::from_attr(Some(
                "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/rfc3986"
            )),
            MatchBy::Uri
        );
    }

    #[test]
    fn types_by_namespace_uri() {
        let ours = [
            QName::new(
                "http://www.onvif.org/ver10/network/wsdl",
                "NetworkVideoTransmitter",
            ),
            QName::new("http://www.onvif.org/ver10/device/wsdl", "Device"),
        ];
        assert!(types_match(&[], &ours));
        assert!(types_match(&ours[..1], &ours));
        assert!(types_match(&ours, &ours));
        let wrong_ns = QName::new("urn:other", "NetworkVideoTransmitter");
        assert!(!types_match(&[wrong_ns], &ours));
        let printer = QName::new(
            "http://schemas.microsoft.com/windows/2006/08/wdp/print",
            "PrintDeviceType",
        );
        assert!(!types_match(&[ours[0].clone(), printer], &ours));
    }
}
