//! WS-Security UsernameToken (OASIS Web Services Security UsernameToken Profile 1.0/1.1),
//! as ONVIF Core s.5.9.4 requires it: PasswordDigest and PasswordText, sans-IO.
//!
//! Policy (stricter than the profile, which makes Nonce and Created optional):
//! - `Nonce` and `Created` are required for both password types, so every accepted token is
//!   single-use;
//! - the freshness rule (issue 13.4, docs/soap.md "Clock skew"): a token is accepted once,
//!   when its digest is right, its `Created` lies within [`WSSE_MAX_CLOCK_SKEW`] of the
//!   device clock (either way) and its nonce was never accepted for that user. A camera whose
//!   clock is hours off (no RTC, no NTP) still lets Home Assistant in, which stamps tokens
//!   from its own clock and repairs the camera's with SetSystemDateAndTime;
//! - replay: each user has a cache of the nonces accepted for them and a *floor*: every token
//!   of that user accepted with `Created` above the floor is in the cache. A nonce leaves the
//!   cache only by raising the floor to its `Created` (the oldest goes first when the cache is
//!   full; entries older than the skew bound go anyway), so a replayed token is either in the
//!   cache or at or below the floor: refused either way, whatever the clocks did meanwhile.
//!   Only tokens whose digest verified are stored, and each user has their own cache and
//!   floor (issue 14.6), so a user flooding future-dated tokens moves only their own floor.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

use super::limits::{
    WSSE_MAX_CLOCK_SKEW, WSSE_MAX_NONCE_BYTES, WSSE_NONCE_CACHE_PER_USER, WSSE_USER_CACHES,
};
use super::{Credential, CredentialStore};
use crate::xml::Element;
use crate::xml::xsd::parse_datetime;

/// The WS-Security 1.0 namespaces (OASIS WSS SOAP Message Security 1.0, s.4): owned here, by
/// the one reader of the header; `soap::ns` re-exports them for the envelope.
pub const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

pub const PASSWORD_DIGEST: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
pub const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
const BASE64_BINARY: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PasswordType {
    Digest,
    Text,
}

/// A UsernameToken as found in the `wsse:Security` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsernameToken {
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) password_type: PasswordType,
    /// Decoded nonce bytes.
    pub(crate) nonce: Option<Vec<u8>>,
    /// `wsu:Created` as sent (the digest is computed over the exact string).
    pub(crate) created: Option<String>,
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
    #[error("Created outside the accepted clock skew, or older than the replay floor")]
    Stale,
    #[error("Nonce already used")]
    Replay,
    #[error("unknown user or wrong password")]
    BadCredentials,
}

/// Extracts the UsernameToken from a `wsse:Security` header block. Returns `Ok(None)` when
/// the block carries no UsernameToken (e.g. only a Timestamp).
pub(crate) fn parse_security_header(
    security: &Element,
) -> Result<Option<UsernameToken>, WsseError> {
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

/// The replay state of one user.
struct UserCache {
    /// Accepted nonces and their `Created` (ms).
    by_nonce: HashMap<Vec<u8>, i64>,
    /// The same entries ordered by `Created`, oldest first.
    by_created: BTreeSet<(i64, Vec<u8>)>,
    /// Tokens of this user created at or before this are refused.
    floor_ms: i64,
    /// Last use, for evicting whole users when [`WSSE_USER_CACHES`] are kept.
    used: u64,
}

impl Default for UserCache {
    /// No nonce seen yet, and no floor.
    fn default() -> Self {
        UserCache {
            by_nonce: HashMap::new(),
            by_created: BTreeSet::new(),
            floor_ms: i64::MIN,
            used: 0,
        }
    }
}

impl UserCache {
    /// Forgets the oldest entry, raising the floor to it.
    fn pop_oldest(&mut self) -> Option<i64> {
        let (c, n) = self.by_created.pop_first()?;
        self.by_nonce.remove(&n);
        self.floor_ms = self.floor_ms.max(c);
        Some(c)
    }

    /// The highest `Created` this cache vouches for (its floor or newest entry).
    fn top(&self) -> i64 {
        self.by_created
            .last()
            .map_or(self.floor_ms, |(c, _)| (*c).max(self.floor_ms))
    }
}

struct Caches {
    users: HashMap<String, UserCache>,
    /// Raised when a whole user's cache had to be dropped: tokens of *any* user created at or
    /// before it are refused (only reached with more than [`WSSE_USER_CACHES`] users).
    floor_ms: i64,
    tick: u64,
}

/// Verifies UsernameTokens and remembers used nonces. One per gate; methods take `&self`.
pub(crate) struct WsseVerifier {
    max_skew_ms: i64,
    per_user: usize,
    max_users: usize,
    seen: Mutex<Caches>,
}

impl Default for WsseVerifier {
    fn default() -> Self {
        Self::new(
            WSSE_MAX_CLOCK_SKEW.as_millis() as i64,
            WSSE_NONCE_CACHE_PER_USER,
            WSSE_USER_CACHES,
        )
    }
}

impl WsseVerifier {
    pub(crate) fn new(max_skew_ms: i64, per_user: usize, max_users: usize) -> Self {
        WsseVerifier {
            max_skew_ms,
            per_user: per_user.max(1),
            max_users: max_users.max(1),
            seen: Mutex::new(Caches {
                users: HashMap::new(),
                floor_ms: i64::MIN,
                tick: 0,
            }),
        }
    }

    /// Checks `token` against `store` at device time `now_ms` (Unix ms of the device clock,
    /// including any offset set by SetSystemDateAndTime).
    pub(crate) fn verify(
        &self,
        token: &UsernameToken,
        store: &dyn CredentialStore,
        now_ms: i64,
    ) -> Result<Credential, WsseError> {
        let nonce = token.nonce.as_deref().ok_or(WsseError::MissingNonce)?;
        let created = token.created.as_deref().ok_or(WsseError::MissingCreated)?;
        let created_ms = parse_datetime(created).ok_or(WsseError::BadCreated)?;
        if created_ms.abs_diff(now_ms) > self.max_skew_ms.unsigned_abs() {
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
        seen.tick += 1;
        let tick = seen.tick;
        if !seen.users.contains_key(&cred.username) && seen.users.len() >= self.max_users {
            // Drop the least recently used user's cache; its guarantee moves to the global
            // floor.
            if let Some(lru) = seen
                .users
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(u, _)| u.clone())
                && let Some(c) = seen.users.remove(&lru)
            {
                seen.floor_ms = seen.floor_ms.max(c.top());
            }
        }
        let global_floor = seen.floor_ms;
        let cache = seen.users.entry(cred.username.clone()).or_default();
        cache.used = tick;
        // Entries that can never be accepted again (outside the skew bound) go, by the floor.
        let too_old = now_ms.saturating_sub(self.max_skew_ms);
        while cache.by_created.first().is_some_and(|(c, _)| *c < too_old) {
            cache.pop_oldest();
        }
        if created_ms <= cache.floor_ms.max(global_floor) {
            return Err(WsseError::Stale);
        }
        if cache.by_nonce.contains_key(nonce) {
            return Err(WsseError::Replay);
        }
        if cache.by_nonce.len() >= self.per_user {
            // Full: the oldest token goes and the floor rises to it.
            cache.pop_oldest();
        }
        // A token at or below the (new) floor is refused by the floor from now on; one above
        // it must be remembered.
        if created_ms > cache.floor_ms {
            cache.by_nonce.insert(nonce.to_vec(), created_ms);
            cache.by_created.insert((created_ms, nonce.to_vec()));
        }
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
        let skew = WSSE_MAX_CLOCK_SKEW.as_millis() as i64;
        assert_eq!(
            v.verify(&good, &users(), now + skew + 1_000),
            Err(WsseError::Stale)
        );
        assert_eq!(
            v.verify(&good, &users(), now - skew - 1_000),
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
        let v = WsseVerifier::new(WSSE_MAX_CLOCK_SKEW.as_millis() as i64, 4, 64);
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

    fn users2() -> Vec<Credential> {
        let mut u = users();
        u.push(Credential {
            username: "user".into(),
            password: "user-pass".into(),
            level: UserLevel::User,
        });
        u
    }

    fn tok(user: &str, pw: &str, nonce: [u8; 16], created_ms: i64) -> UsernameToken {
        let created = format_datetime(created_ms);
        UsernameToken {
            username: user.into(),
            password: password_digest(&nonce, &created, pw),
            password_type: PasswordType::Digest,
            nonce: Some(nonce.to_vec()),
            created: Some(created),
        }
    }

    /// Issue 14.6: a User's flood of valid tokens dated now+295 s fills only the User's
    /// cache; the administrator's honest tokens are still accepted.
    #[test]
    fn one_users_flood_costs_only_that_user() {
        let v = WsseVerifier::default();
        let now = 1_795_323_741_000i64;
        let mut accepted = 0;
        for i in 0..(WSSE_NONCE_CACHE_PER_USER as u32 + 500) {
            let mut n = [0u8; 16];
            n[..4].copy_from_slice(&i.to_be_bytes());
            let t = tok("user", "user-pass", n, now + 295_000);
            accepted += usize::from(v.verify(&t, &users2(), now).is_ok());
        }
        // The cache holds them until it is full; the next one evicts the oldest, which lifts
        // the floor to their common Created, so no later one is new enough.
        assert_eq!(accepted, WSSE_NONCE_CACHE_PER_USER + 1);
        assert!(
            v.verify(&tok("admin", "pass", [1; 16], now), &users2(), now)
                .is_ok()
        );
        // The flooding user's own floor moved: their honest token is what the flood cost.
        assert_eq!(
            v.verify(&tok("user", "user-pass", [2; 16], now), &users2(), now),
            Err(WsseError::Stale)
        );
    }

    /// Issue 13.4: a client whose clock is an hour off the device's is accepted, once.
    #[test]
    fn skewed_clock_accepted_once() {
        let v = WsseVerifier::default();
        let now = 1_795_323_741_000i64;
        for (i, off) in [-3_600_000i64, 3_600_000, -25 * 3_600_000 + 1000]
            .into_iter()
            .enumerate()
        {
            let t = tok("admin", "pass", [i as u8 + 10; 16], now + off);
            assert!(v.verify(&t, &users(), now).is_ok(), "{off}");
            assert_eq!(v.verify(&t, &users(), now), Err(WsseError::Replay), "{off}");
        }
        // A later device clock (SetSystemDateAndTime) does not reopen anything: old entries
        // leave by raising the floor.
        let t = tok("admin", "pass", [10; 16], now - 3_600_000);
        let much_later = now + 24 * 3_600_000 + 60_000;
        let fresh = tok("admin", "pass", [99; 16], much_later);
        assert!(v.verify(&fresh, &users(), much_later).is_ok());
        assert_eq!(v.verify(&t, &users(), much_later), Err(WsseError::Stale));
        assert_eq!(v.verify(&t, &users(), now), Err(WsseError::Stale));
    }

    /// More users than caches: the dropped user's guarantee moves to the global floor.
    #[test]
    fn dropping_a_user_cache_keeps_replays_out() {
        let v = WsseVerifier::new(WSSE_MAX_CLOCK_SKEW.as_millis() as i64, 16, 2);
        let now = 1_795_323_741_000i64;
        let many: Vec<Credential> = (0..4)
            .map(|i| Credential {
                username: format!("u{i}"),
                password: "pw".into(),
                level: UserLevel::User,
            })
            .collect();
        let first = tok("u0", "pw", [1; 16], now);
        assert!(v.verify(&first, &many, now).is_ok());
        for i in 1..4u8 {
            let t = tok(
                &format!("u{i}"),
                "pw",
                [i + 1; 16],
                now + 1000 * i64::from(i),
            );
            assert_eq!(
                v.verify(&t, &many, now).map(|c| c.username),
                Ok(format!("u{i}"))
            );
        }
        assert_eq!(v.verify(&first, &many, now), Err(WsseError::Stale));
    }
}
