//! WS-Security UsernameToken (OASIS Web Services Security UsernameToken Profile 1.0/1.1),
//! as ONVIF Core s.5.9.4 requires it: PasswordDigest and PasswordText, sans-IO.
//!
//! Policy (stricter than the profile, which makes Nonce and Created optional):
//! - `Nonce` and `Created` are required for both password types, so every accepted token is
//!   fresh and single-use;
//! - `Created` must lie within [`WSSE_CREATED_WINDOW`] of the device clock, either way (clients
//!   stamp tokens from their own clock or from ours via GetSystemDateAndTime);
//! - a nonce may be used once while its token could still be accepted. Only tokens that
//!   verified are remembered, so only authenticated clients can fill the bounded cache; when
//!   it is full the oldest entry is dropped and tokens created at or before that entry's
//!   `Created` are refused from then on, which keeps replay protection sound.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

use super::{Credential, CredentialStore};
use crate::soap::limits::{WSSE_CREATED_WINDOW, WSSE_MAX_NONCE_BYTES, WSSE_NONCE_CACHE};
use crate::soap::ns::{WSSE, WSU};
use crate::xml::Element;
use crate::xml::xsd::parse_datetime;

pub const PASSWORD_DIGEST: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
pub const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
const BASE64_BINARY: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordType {
    Digest,
    Text,
}

/// A UsernameToken as found in the `wsse:Security` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsernameToken {
    pub username: String,
    pub password: String,
    pub password_type: PasswordType,
    /// Decoded nonce bytes.
    pub nonce: Option<Vec<u8>>,
    /// `wsu:Created` as sent (the digest is computed over the exact string).
    pub created: Option<String>,
}

/// Why a token was refused. Every variant maps to `env:Sender/ter:NotAuthorized` on the wire;
/// the distinction is for logs and tests.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WsseError {
    #[error("malformed UsernameToken: {0}")]
    Malformed(&'static str),
    #[error("unsupported password Type")]
    UnsupportedPasswordType,
    #[error("Nonce missing")]
    MissingNonce,
    #[error("Created missing")]
    MissingCreated,
    #[error("Created is not an xs:dateTime")]
    BadCreated,
    #[error("Created outside the accepted window")]
    Stale,
    #[error("Nonce already used")]
    Replay,
    #[error("unknown user or wrong password")]
    BadCredentials,
}

/// Extracts the UsernameToken from a `wsse:Security` header block. Returns `Ok(None)` when
/// the block carries no UsernameToken (e.g. only a Timestamp).
pub fn parse_security_header(security: &Element) -> Result<Option<UsernameToken>, WsseError> {
    let mut tokens = security.children_named(WSSE, "UsernameToken");
    let Some(t) = tokens.next() else {
        return Ok(None);
    };
    if tokens.next().is_some() {
        return Err(WsseError::Malformed("more than one UsernameToken"));
    }
    let one = |name: &'static str, ns: &'static str| -> Result<Option<&Element>, WsseError> {
        let mut it = t.children_named(ns, name);
        let first = it.next();
        if it.next().is_some() {
            return Err(WsseError::Malformed("repeated UsernameToken child"));
        }
        Ok(first)
    };
    let username = one("Username", WSSE)?
        .ok_or(WsseError::Malformed("Username missing"))?
        .trimmed_text()
        .to_owned();
    let pw = one("Password", WSSE)?.ok_or(WsseError::Malformed("Password missing"))?;
    // The profile makes PasswordText the default when Type is absent.
    let password_type = match pw.attr("Type").map(str::trim) {
        None | Some(PASSWORD_TEXT) => PasswordType::Text,
        Some(PASSWORD_DIGEST) => PasswordType::Digest,
        Some(_) => return Err(WsseError::UnsupportedPasswordType),
    };
    let password = match password_type {
        PasswordType::Digest => pw.trimmed_text().to_owned(),
        PasswordType::Text => pw.text.clone(),
    };
    let nonce = match one("Nonce", WSSE)? {
        None => None,
        Some(n) => {
            if let Some(enc) = n.attr("EncodingType")
                && enc.trim() != BASE64_BINARY
            {
                return Err(WsseError::Malformed("Nonce EncodingType"));
            }
            let raw: String = n.text.split_ascii_whitespace().collect();
            if raw.len() > WSSE_MAX_NONCE_BYTES * 2 {
                return Err(WsseError::Malformed("Nonce too long"));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(raw.as_bytes())
                .map_err(|_| WsseError::Malformed("Nonce is not base64"))?;
            if bytes.is_empty() || bytes.len() > WSSE_MAX_NONCE_BYTES {
                return Err(WsseError::Malformed("Nonce length"));
            }
            Some(bytes)
        }
    };
    // Created is in the wsu namespace; some clients put it in wsse. Accept both, by URI.
    let created = match (one("Created", WSU)?, one("Created", WSSE)?) {
        (Some(c), None) | (None, Some(c)) => Some(c.trimmed_text().to_owned()),
        (None, None) => None,
        (Some(_), Some(_)) => return Err(WsseError::Malformed("two Created")),
    };
    Ok(Some(UsernameToken {
        username,
        password,
        password_type,
        nonce,
        created,
    }))
}

/// `Base64(SHA-1(nonce + created + password))` (UsernameToken Profile 1.0, s.3.1).
pub fn password_digest(nonce: &[u8], created: &str, password: &str) -> String {
    let mut h = Sha1::new();
    h.update(nonce);
    h.update(created.as_bytes());
    h.update(password.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

struct SeenNonces {
    set: HashSet<Vec<u8>>,
    /// (Created in ms, nonce) in insertion order.
    order: VecDeque<(i64, Vec<u8>)>,
    /// Tokens created at or before this are refused (set when a live entry had to be evicted).
    floor_ms: i64,
}

/// Verifies UsernameTokens and remembers used nonces. One per server; methods take `&self`.
pub struct WsseVerifier {
    window_ms: i64,
    capacity: usize,
    seen: Mutex<SeenNonces>,
}

impl Default for WsseVerifier {
    fn default() -> Self {
        Self::new(WSSE_CREATED_WINDOW.as_millis() as i64, WSSE_NONCE_CACHE)
    }
}

impl WsseVerifier {
    pub fn new(window_ms: i64, capacity: usize) -> Self {
        WsseVerifier {
            window_ms,
            capacity: capacity.max(1),
            seen: Mutex::new(SeenNonces {
                set: HashSet::new(),
                order: VecDeque::new(),
                floor_ms: i64::MIN,
            }),
        }
    }

    /// Checks `token` against `store` at device time `now_ms` (Unix ms of the device clock,
    /// including any offset set by SetSystemDateAndTime).
    pub fn verify(
        &self,
        token: &UsernameToken,
        store: &dyn CredentialStore,
        now_ms: i64,
    ) -> Result<Credential, WsseError> {
        let nonce = token.nonce.as_deref().ok_or(WsseError::MissingNonce)?;
        let created = token.created.as_deref().ok_or(WsseError::MissingCreated)?;
        let created_ms = parse_datetime(created).ok_or(WsseError::BadCreated)?;
        if (created_ms - now_ms).abs() > self.window_ms {
            return Err(WsseError::Stale);
        }
        let cred = store
            .lookup(&token.username)
            .ok_or(WsseError::BadCredentials)?;
        let ok = match token.password_type {
            PasswordType::Digest => ct_eq(
                password_digest(nonce, created, &cred.password).as_bytes(),
                token.password.as_bytes(),
            ),
            PasswordType::Text => ct_eq(cred.password.as_bytes(), token.password.as_bytes()),
        };
        if !ok {
            return Err(WsseError::BadCredentials);
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        // Forget nonces whose tokens can no longer be accepted anyway.
        while let Some((c, _)) = seen.order.front() {
            if *c >= now_ms - self.window_ms {
                break;
            }
            let (_, n) = seen.order.pop_front().expect("front");
            seen.set.remove(&n);
        }
        if created_ms <= seen.floor_ms {
            return Err(WsseError::Stale);
        }
        if seen.set.contains(nonce) {
            return Err(WsseError::Replay);
        }
        while seen.set.len() >= self.capacity {
            let Some((c, n)) = seen.order.pop_front() else {
                break;
            };
            seen.set.remove(&n);
            seen.floor_ms = seen.floor_ms.max(c);
        }
        seen.set.insert(nonce.to_vec());
        seen.order.push_back((created_ms, nonce.to_vec()));
        Ok(cred)
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UserLevel;
    use crate::xml::xsd::format_datetime;

    fn users() -> Vec<Credential> {
        vec![Credential {
            username: "admin".into(),
            password: "pass".into(),
            level: UserLevel::Administrator,
        }]
    }

    /// The example of ONVIF Application Programmer's Guide s.6.1.1.3 / WS-Security UsernameToken
    /// profile style: a fixed nonce and Created give a fixed digest.
    #[test]
    fn digest_known_value() {
        let nonce = base64::engine::general_purpose::STANDARD
            .decode("LKqI6G/AikKCQrN0zqZFlg==")
            .unwrap();
        assert_eq!(
            password_digest(&nonce, "2010-09-16T07:50:45Z", "userpassword"),
            "tuOSpGlFlIXsozq4HFNeeGeFLEI="
        );
    }

    fn token_xml(prefixed: bool, nonce_b64: &str, created: &str, pw: &str, ty: &str) -> String {
        if prefixed {
            format!(
                r#"<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" s:mustUnderstand="1" xmlns:s="urn:x"><wsse:UsernameToken><wsse:Username>admin</wsse:Username><wsse:Password Type="{ty}">{pw}</wsse:Password><wsse:Nonce EncodingType="{BASE64_BINARY}">{nonce_b64}</wsse:Nonce><wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"#
            )
        } else {
            format!(
                r#"<Security xmlns="{WSSE}"><UsernameToken><Username>admin</Username><Password Type="{ty}">{pw}</Password><Nonce>{nonce_b64}</Nonce><Created xmlns="{WSU}">{created}</Created></UsernameToken></Security>"#
            )
        }
    }

    #[test]
    fn both_styles_and_types_verify_once() {
        let v = WsseVerifier::default();
        let now = 1_795_323_741_000i64;
        for (i, prefixed) in [true, false].into_iter().enumerate() {
            let nonce = [i as u8 + 1; 16];
            let nb = base64::engine::general_purpose::STANDARD.encode(nonce);
            let created = "2026-11-22T05:04:21.123Z"; // 2 min ahead of `now`: inside window
            let pw = password_digest(&nonce, created, "pass");
            let el = crate::xml::parse(
                token_xml(prefixed, &nb, created, &pw, PASSWORD_DIGEST).as_bytes(),
            )
            .unwrap();
            let t = parse_security_header(&el).unwrap().unwrap();
            assert_eq!(v.verify(&t, &users(), now).unwrap().username, "admin");
            assert_eq!(v.verify(&t, &users(), now), Err(WsseError::Replay));
        }
        let nb = base64::engine::general_purpose::STANDARD.encode([9u8; 16]);
        let el = crate::xml::parse(
            token_xml(true, &nb, &format_datetime(now), "pass", PASSWORD_TEXT).as_bytes(),
        )
        .unwrap();
        let t = parse_security_header(&el).unwrap().unwrap();
        assert_eq!(t.password_type, PasswordType::Text);
        assert!(v.verify(&t, &users(), now).is_ok());
    }

    #[test]
    fn refusals() {
        let v = WsseVerifier::default();
        let now = 1_795_323_741_000i64;
        let created = format_datetime(now);
        let nonce = [7u8; 16];
        let good = UsernameToken {
            username: "admin".into(),
            password: password_digest(&nonce, &created, "pass"),
            password_type: PasswordType::Digest,
            nonce: Some(nonce.to_vec()),
            created: Some(created.clone()),
        };
        let with = |f: &dyn Fn(&mut UsernameToken)| {
            let mut t = good.clone();
            f(&mut t);
            t
        };
        assert_eq!(
            v.verify(&with(&|t| t.nonce = None), &users(), now),
            Err(WsseError::MissingNonce)
        );
        assert_eq!(
            v.verify(&with(&|t| t.created = None), &users(), now),
            Err(WsseError::MissingCreated)
        );
        assert_eq!(
            v.verify(
                &with(&|t| t.created = Some("yesterday".into())),
                &users(),
                now
            ),
            Err(WsseError::BadCreated)
        );
        assert_eq!(
            v.verify(&good, &users(), now + 301_000),
            Err(WsseError::Stale)
        );
        assert_eq!(
            v.verify(&good, &users(), now - 301_000),
            Err(WsseError::Stale)
        );
        assert_eq!(
            v.verify(&with(&|t| t.password = "AAAA".into()), &users(), now),
            Err(WsseError::BadCredentials)
        );
        assert_eq!(
            v.verify(&with(&|t| t.username = "root".into()), &users(), now),
            Err(WsseError::BadCredentials)
        );
        // A failed attempt does not burn the nonce; the good token still works, once.
        assert!(v.verify(&good, &users(), now).is_ok());
        assert_eq!(v.verify(&good, &users(), now), Err(WsseError::Replay));
        // Wrong Type URI.
        let el = crate::xml::parse(token_xml(true, "AAAA", &created, "x", "urn:bogus").as_bytes())
            .unwrap();
        assert_eq!(
            parse_security_header(&el),
            Err(WsseError::UnsupportedPasswordType)
        );
        let el = crate::xml::parse(token_xml(true, "!!!", &created, "x", PASSWORD_TEXT).as_bytes())
            .unwrap();
        assert!(matches!(
            parse_security_header(&el),
            Err(WsseError::Malformed(_))
        ));
    }

    #[test]
    fn full_cache_never_reopens_replay() {
        let v = WsseVerifier::new(300_000, 4);
        let now = 1_795_323_741_000i64;
        let mk = |i: u8, created_ms: i64| {
            let created = format_datetime(created_ms);
            UsernameToken {
                username: "admin".into(),
                password: password_digest(&[i; 16], &created, "pass"),
                password_type: PasswordType::Digest,
                nonce: Some(vec![i; 16]),
                created: Some(created),
            }
        };
        let first = mk(0, now - 10_000);
        assert!(v.verify(&first, &users(), now).is_ok());
        for i in 1..10 {
            assert!(
                v.verify(&mk(i, now - 10_000 + i as i64 * 1000), &users(), now)
                    .is_ok()
            );
        }
        // `first` was evicted, but its Created is below the floor now: still refused.
        assert_eq!(v.verify(&first, &users(), now), Err(WsseError::Stale));
    }
}
