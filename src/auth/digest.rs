//! HTTP Digest access authentication, server side (RFC 7616), sans-IO.
//!
//! One [`DigestAuth`] serves every protocol that authenticates with Digest: ONVIF over HTTP,
//! the snapshot endpoint and RTSP (RFC 2326 s.D.1 / RFC 7826 s.19.1 reuse HTTP Digest, with
//! the RTSP method and request URI in place of HTTP's). It never touches a socket or a clock:
//! callers pass the request's method, URI, `Authorization` value and `now`, and get back a
//! decision plus, when authentication failed, the `WWW-Authenticate` values to send.
//!
//! What it implements:
//! - challenges for SHA-256 and MD5 (RFC 7616 s.3.3), `qop="auth"`, an `opaque` that is
//!   constant for the life of the server, one nonce shared by all offered algorithms;
//! - challenges that begin `Digest realm="..", nonce=".."` (then `stale=true` when set), in
//!   that order, and the MD5 one last: live555 (VLC, openRTSP, many NVRs) reads only the last
//!   Digest challenge, with a fixed `sscanf` of exactly that prefix (RTSPClient.cpp,
//!   `handleAuthenticationFailure`); the order of auth-params is free in RFC 7616 s.3.3;
//! - nonces that say who they were issued to: `base64url(issued ms | random | HMAC-SHA-256
//!   (server key, issued | random | client address)[..12])`. A nonce this server did not issue
//!   to this address (made up, like `nonce="0"`, or taken from someone else's challenge) is
//!   refused *before* the response is computed, so it never tells a right password from a
//!   wrong one (issue 14.1: `stale=true` only for the right password was an oracle);
//! - nonce expiry: a correct response computed over an expired or forgotten nonce that this
//!   server issued gets a fresh challenge with `stale=true` (s.3.3), so clients retry without
//!   asking the user again;
//! - nonce-count replay protection per nonce (s.3.4: "the server can detect request replays
//!   by maintaining its own copy of this count"), with a 64-wide window so that pipelined or
//!   parallel requests that reuse one nonce may arrive slightly out of order;
//! - a bounded nonce table ([`DigestConfig::max_nonces`]): the oldest nonce is forgotten
//!   first. A flood of challenges can therefore only make honest clients see `stale=true`
//!   and retry, never grow memory.
//!
//! Not implemented (not offered in challenges, so compliant clients do not use them):
//! `qop=auth-int`, the `-sess` algorithms, `userhash`, `username*`.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use md5::Md5;
use rand::RngCore;
use sha2::{Digest as _, Sha256};

use super::{Credential, CredentialStore};

/// Longest `Authorization` header value the parser looks at. Real headers are ~300 bytes; the
/// cap keeps a hostile header from costing more than a page of parsing.
pub(crate) const MAX_AUTHORIZATION_LEN: usize = 4096;
/// Most auth-params accepted in one header (RFC 7616 defines 11).
pub(crate) const MAX_AUTH_PARAMS: usize = 24;
/// Default lifetime of a nonce before a correct response gets `stale=true`.
pub(crate) const DEFAULT_NONCE_LIFETIME: Duration = super::limits::DIGEST_NONCE_LIFETIME;
/// Default number of outstanding nonces remembered.
pub(crate) const DEFAULT_MAX_NONCES: usize = super::limits::DIGEST_MAX_NONCES;
/// Bytes of the HMAC kept in a nonce: 96 bits, beyond guessing at any rate the throttle allows.
const NONCE_MAC_BYTES: usize = 12;
/// Issue time (ms since the server's epoch, 8 bytes) and randomness (8 bytes) of a nonce.
const NONCE_BODY_BYTES: usize = 16;
/// Width of the out-of-order window of the nonce-count replay check.
const NC_WINDOW: u32 = 64;

/// Hash algorithms of RFC 7616 s.3.3 that we implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    /// The token used in the `algorithm` auth-param.
    pub fn token(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    fn from_token(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("MD5") {
            Some(Algorithm::Md5)
        } else if s.eq_ignore_ascii_case("SHA-256") {
            Some(Algorithm::Sha256)
        } else {
            None
        }
    }

    /// `H(data)` as lowercase hex (RFC 7616 s.3.4.1).
    fn hex_hash(self, parts: &[&[u8]]) -> String {
        fn run<D: sha2::Digest>(mut d: D, parts: &[&[u8]]) -> String {
            for p in parts {
                d.update(p);
            }
            hex(&d.finalize())
        }
        match self {
            Algorithm::Md5 => run(Md5::new(), parts),
            Algorithm::Sha256 => run(Sha256::new(), parts),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The `response` value of RFC 7616 s.3.4.1 for `qop=auth` (and, when `qop` is `None`, the
/// RFC 2069 form `H(HA1:nonce:HA2)` that some old RTSP clients still send).
#[allow(clippy::too_many_arguments)]
pub fn compute_response(
    algorithm: Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str, &str)>, // (nc, cnonce, qop)
) -> String {
    let ha1 = algorithm.hex_hash(&[
        username.as_bytes(),
        b":",
        realm.as_bytes(),
        b":",
        password.as_bytes(),
    ]);
    let ha2 = algorithm.hex_hash(&[method.as_bytes(), b":", uri.as_bytes()]);
    match qop {
        Some((nc, cnonce, qop)) => algorithm.hex_hash(&[
            ha1.as_bytes(),
            b":",
            nonce.as_bytes(),
            b":",
            nc.as_bytes(),
            b":",
            cnonce.as_bytes(),
            b":",
            qop.as_bytes(),
            b":",
            ha2.as_bytes(),
        ]),
        None => algorithm.hex_hash(&[ha1.as_bytes(), b":", nonce.as_bytes(), b":", ha2.as_bytes()]),
    }
}

/// A parsed `Authorization: Digest ...` value (RFC 7616 s.3.4). Values are unquoted and
/// unescaped. Unknown auth-params are ignored (s.3.4: "unknown directives MUST be ignored").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DigestCredentials {
    pub(crate) username: String,
    pub realm: String,
    pub nonce: String,
    pub(crate) uri: String,
    pub(crate) response: String,
    pub algorithm: Option<String>,
    pub(crate) cnonce: Option<String>,
    pub opaque: Option<String>,
    pub(crate) qop: Option<String>,
    pub(crate) nc: Option<String>,
    pub(crate) userhash: Option<String>,
}

/// Why an `Authorization` value could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("header longer than {MAX_AUTHORIZATION_LEN} bytes")]
    TooLong,
    #[error("scheme is not Digest")]
    NotDigest,
    #[error("malformed auth-param list")]
    Syntax,
    #[error("more than {MAX_AUTH_PARAMS} auth-params")]
    TooManyParams,
    #[error("auth-param {0} given twice")]
    Duplicate(&'static str),
    #[error("required auth-param {0} missing")]
    Missing(&'static str),
}

/// Parses the value of an `Authorization` header (everything after `Authorization:`).
///
/// Grammar (RFC 7235 s.2.1, RFC 7616 s.3.4): `"Digest" 1*SP auth-param *( OWS "," OWS
/// auth-param )` with `auth-param = token BWS "=" BWS ( token / quoted-string )`. Empty list
/// elements are tolerated (RFC 7230 s.7).
pub fn parse_authorization(value: &str) -> Result<DigestCredentials, ParseError> {
    if value.len() > MAX_AUTHORIZATION_LEN {
        return Err(ParseError::TooLong);
    }
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = match value.find([' ', '\t']) {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(ParseError::NotDigest);
    }
    let mut out = DigestCredentials::default();
    let mut seen: u16 = 0;
    let mut count = 0usize;
    let mut p = Cursor {
        s: rest.as_bytes(),
        i: 0,
    };
    loop {
        p.skip_ws_and_commas();
        if p.done() {
            break;
        }
        count += 1;
        if count > MAX_AUTH_PARAMS {
            return Err(ParseError::TooManyParams);
        }
        let name = p.token().ok_or(ParseError::Syntax)?;
        p.skip_ws();
        if !p.eat(b'=') {
            return Err(ParseError::Syntax);
        }
        p.skip_ws();
        let v = if p.peek() == Some(b'"') {
            p.quoted_string().ok_or(ParseError::Syntax)?
        } else {
            p.token().ok_or(ParseError::Syntax)?.to_owned()
        };
        // After a value: end, or OWS then a comma.
        p.skip_ws();
        if !p.done() && p.peek() != Some(b',') {
            return Err(ParseError::Syntax);
        }
        let lower = name.to_ascii_lowercase();
        let Some(bit) = PARAM_NAMES.iter().position(|n| *n == lower) else {
            continue;
        };
        if seen & (1 << bit) != 0 {
            return Err(ParseError::Duplicate(PARAM_NAMES[bit]));
        }
        seen |= 1 << bit;
        match bit {
            0 => out.username = v,
            1 => out.realm = v,
            2 => out.nonce = v,
            3 => out.uri = v,
            4 => out.response = v,
            5 => out.algorithm = Some(v),
            6 => out.cnonce = Some(v),
            7 => out.opaque = Some(v),
            8 => out.qop = Some(v),
            9 => out.nc = Some(v),
            _ => out.userhash = Some(v),
        }
    }
    for (bit, name) in PARAM_NAMES.iter().enumerate().take(5) {
        if seen & (1 << bit) == 0 {
            return Err(ParseError::Missing(name));
        }
    }
    Ok(out)
}

const PARAM_NAMES: [&str; 11] = [
    "username",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "cnonce",
    "opaque",
    "qop",
    "nc",
    "userhash",
];

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn skip_ws_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }
    /// RFC 7230 s.3.2.6 `token`.
    fn token(&mut self) -> Option<&'a str> {
        let start = self.i;
        while let Some(c) = self.peek() {
            let tchar = c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
            if !tchar {
                break;
            }
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        // Only ASCII bytes were consumed, so this cannot split a UTF-8 sequence.
        std::str::from_utf8(&self.s[start..self.i]).ok()
    }
    /// RFC 7230 s.3.2.6 `quoted-string`, unescaped. UTF-8 inside is kept (usernames may be
    /// non-ASCII even though RFC 7616 wants `username*` for that; clients send raw UTF-8).
    fn quoted_string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    out.push(e);
                }
                // CTLs other than HTAB are not allowed in a quoted-string.
                0..=8 | 10..=31 | 127 => return None,
                _ => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }
}

/// Tunables of a [`DigestAuth`].
#[derive(Clone, Debug)]
pub struct DigestConfig {
    /// The protection space; shown to users by browsers and baked into `HA1`.
    pub(crate) realm: String,
    /// Algorithms offered, in order of preference (RFC 7616 s.3.7: one challenge each).
    pub(crate) algorithms: Vec<Algorithm>,
    pub nonce_lifetime: Duration,
    pub(crate) max_nonces: usize,
}

/// What one protocol accepts of a Digest response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy {
    /// Accept responses without `qop` (RFC 2069 style, MD5 only). Off for HTTP. live555
    /// (VLC, openRTSP) never sends `qop`, even when it is offered (DigestAuthentication.cpp
    /// `computeDigestResponse`), so RTSP needs it; such responses have no nonce-count, so a
    /// captured one can be replayed by the same address for the nonce's lifetime (the nonce
    /// is bound to the address it was issued to).
    pub(crate) allow_rfc2069: bool,
    /// Whether the `uri` auth-param may stand for the request-target (param, request).
    pub(crate) uri_ok: fn(&str, &str) -> bool,
}

impl Policy {
    /// HTTP (SOAP, page, HLS, snapshots): `qop=auth` required, `uri` names the request.
    pub(crate) const HTTP: Policy = Policy {
        allow_rfc2069: false,
        uri_ok: uri_matches,
    };
    /// `qop`-less responses accepted, `uri` names the request (tests and tools).
    pub(crate) const RFC2069: Policy = Policy {
        allow_rfc2069: true,
        uri_ok: uri_matches,
    };
}

impl DigestConfig {
    pub fn new(realm: impl Into<String>) -> Self {
        DigestConfig {
            realm: realm.into(),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            nonce_lifetime: DEFAULT_NONCE_LIFETIME,
            max_nonces: DEFAULT_MAX_NONCES,
        }
    }
}

/// The outcome of checking one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The request is authenticated as this user.
    Authenticated(Credential),
    /// The response was right but the nonce has expired or was forgotten: challenge again
    /// with `stale=true` (RFC 7616 s.3.3) so that the client retries transparently.
    Stale,
    /// Authentication failed; challenge again (without `stale`).
    Denied(DenyReason),
}

/// Why a request was denied. For logs and tests; never sent to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DenyReason {
    /// Only [`DigestAuth::verify`] (tests) parses; the gate parses first and logs the error.
    #[cfg(test)]
    Malformed(ParseError),
    RealmMismatch,
    /// Not a nonce this server issued to this address (made up, or someone else's).
    UnknownNonce,
    UriMismatch,
    OpaqueMismatch,
    UnsupportedAlgorithm,
    UnsupportedQop,
    BadNonceCount,
    /// The nonce-count was already used with this nonce (or fell out of the window).
    Replay,
    /// Unknown user or wrong password: deliberately one reason, so logs do not become a user
    /// enumeration oracle by accident.
    BadCredentials,
}

struct NonceState {
    issued: Instant,
    /// Highest nonce-count seen, and a bitmap of the `NC_WINDOW` counts below and including
    /// it (bit 0 = `highest`).
    highest: u32,
    window: u64,
}

impl NonceState {
    /// Records `nc`; false if it was seen before or is too old to tell.
    fn accept(&mut self, nc: u32) -> bool {
        if nc > self.highest {
            let shift = nc - self.highest;
            self.window = if shift >= 64 { 0 } else { self.window << shift };
            self.window |= 1;
            self.highest = nc;
            true
        } else {
            let back = self.highest - nc;
            if back >= NC_WINDOW || self.window & (1 << back) != 0 {
                return false;
            }
            self.window |= 1 << back;
            true
        }
    }
}

#[derive(Default)]
struct NonceTable {
    map: HashMap<String, NonceState>,
    /// Issue order, for eviction of the oldest. May contain nonces already removed from `map`.
    order: VecDeque<String>,
}

/// Server-side HTTP Digest state: the realm, the opaque value, the nonce key and the
/// outstanding nonces. One per gate; all methods take `&self`.
pub(crate) struct DigestAuth {
    config: DigestConfig,
    opaque: String,
    /// HMAC key of the nonces, random per server run.
    key: [u8; 32],
    /// Nonce issue times are counted from here.
    epoch: Instant,
    nonces: Mutex<NonceTable>,
}

impl DigestAuth {
    pub(crate) fn new(config: DigestConfig) -> Self {
        let mut raw = [0u8; 12];
        rand::rng().fill_bytes(&mut raw);
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        DigestAuth {
            config,
            opaque: hex(&raw),
            key,
            // Far enough in the past that any `now` a caller passes is after it.
            epoch: Instant::now()
                .checked_sub(Duration::from_secs(1))
                .unwrap_or_else(Instant::now),
            nonces: Mutex::new(NonceTable::default()),
        }
    }

    fn mac(&self, body: &[u8], peer: IpAddr) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key size");
        m.update(body);
        match super::throttle::address_key(peer) {
            IpAddr::V4(a) => m.update(&a.octets()),
            IpAddr::V6(a) => m.update(&a.octets()),
        }
        m
    }

    /// When `nonce` was issued, if this server issued it to `peer`.
    fn issued_at(&self, nonce: &str, peer: IpAddr) -> Option<Instant> {
        use base64::Engine as _;
        if nonce.len() > 64 {
            return None;
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(nonce)
            .ok()?;
        if raw.len() != NONCE_BODY_BYTES + NONCE_MAC_BYTES {
            return None;
        }
        let (body, tag) = raw.split_at(NONCE_BODY_BYTES);
        self.mac(body, peer).verify_truncated_left(tag).ok()?;
        let ms = u64::from_be_bytes(body[..8].try_into().ok()?);
        self.epoch.checked_add(Duration::from_millis(ms))
    }

    pub(crate) fn config(&self) -> &DigestConfig {
        &self.config
    }

    /// Number of nonces currently remembered (for tests and metrics).
    #[cfg(test)]
    pub(crate) fn outstanding_nonces(&self) -> usize {
        self.table().map.len()
    }

    fn table(&self) -> std::sync::MutexGuard<'_, NonceTable> {
        // A panic while holding the lock cannot leave the table inconsistent in a way that
        // matters for security (worst case a nonce is forgotten), so poisoning is ignored.
        self.nonces.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Issues a fresh nonce for `peer` and returns the `WWW-Authenticate` header values to
    /// send, one per offered algorithm, most preferred first (RFC 7616 s.3.7), so MD5 comes
    /// last. All share nonce and opaque, so clients that merge several headers into one still
    /// end up with a consistent set. Each starts `Digest realm="..", nonce=".."` (and
    /// `stale=true` right after when set): the only layout live555 parses.
    pub(crate) fn challenge(&self, peer: IpAddr, now: Instant, stale: bool) -> Vec<String> {
        let nonce = self.issue_nonce(peer, now);
        let stale = if stale { "stale=true, " } else { "" };
        self.config
            .algorithms
            .iter()
            .map(|a| {
                format!(
                    "Digest realm=\"{}\", nonce=\"{}\", {stale}qop=\"auth\", algorithm={}, opaque=\"{}\"",
                    self.config.realm,
                    nonce,
                    a.token(),
                    self.opaque
                )
            })
            .collect()
    }

    fn issue_nonce(&self, peer: IpAddr, now: Instant) -> String {
        let mut raw = [0u8; NONCE_BODY_BYTES + NONCE_MAC_BYTES];
        let ms = now.saturating_duration_since(self.epoch).as_millis() as u64;
        raw[..8].copy_from_slice(&ms.to_be_bytes());
        rand::rng().fill_bytes(&mut raw[8..NONCE_BODY_BYTES]);
        let tag = self
            .mac(&raw[..NONCE_BODY_BYTES], peer)
            .finalize()
            .into_bytes();
        raw[NONCE_BODY_BYTES..].copy_from_slice(&tag[..NONCE_MAC_BYTES]);
        // Base64 without padding or '/' keeps it a valid token should a client not quote it.
        use base64::Engine as _;
        let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let mut t = self.table();
        self.expire(&mut t, now);
        while t.map.len() >= self.config.max_nonces.max(1) {
            match t.order.pop_front() {
                Some(old) => {
                    t.map.remove(&old);
                }
                None => break,
            }
        }
        t.map.insert(
            nonce.clone(),
            NonceState {
                issued: now,
                highest: 0,
                window: 0,
            },
        );
        t.order.push_back(nonce.clone());
        nonce
    }

    /// Drops expired nonces from the front of the issue queue (it is in issue order).
    fn expire(&self, t: &mut NonceTable, now: Instant) {
        while let Some(front) = t.order.front() {
            let expired = match t.map.get(front) {
                Some(s) => now.saturating_duration_since(s.issued) > self.config.nonce_lifetime,
                None => true, // already removed
            };
            if !expired {
                break;
            }
            let old = t.order.pop_front().expect("front exists");
            t.map.remove(&old);
        }
        // Keep the queue from accumulating dead entries left by explicit removals.
        if t.order.len() > 2 * t.map.len() + 64 {
            let NonceTable { map, order } = t;
            order.retain(|n| map.contains_key(n));
        }
    }

    /// Checks an `Authorization` header value for a request from `peer` with this `method`
    /// (HTTP or RTSP method) and `request_uri` (the request-target as sent on the request
    /// line), under `policy`.
    #[allow(clippy::too_many_arguments)]
    #[cfg(test)]
    pub(crate) fn verify(
        &self,
        authorization: &str,
        method: &str,
        request_uri: &str,
        store: &dyn CredentialStore,
        peer: IpAddr,
        now: Instant,
        policy: &Policy,
    ) -> Verdict {
        let c = match parse_authorization(authorization) {
            Ok(c) => c,
            Err(e) => return Verdict::Denied(DenyReason::Malformed(e)),
        };
        self.verify_parsed(&c, method, request_uri, store, peer, now, policy)
    }

    /// [`verify`](Self::verify) for an already parsed header. The nonce is checked before
    /// the response (issue 14.1): what a made-up nonce gets never depends on the password.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn verify_parsed(
        &self,
        c: &DigestCredentials,
        method: &str,
        request_uri: &str,
        store: &dyn CredentialStore,
        peer: IpAddr,
        now: Instant,
        policy: &Policy,
    ) -> Verdict {
        use DenyReason::*;
        if c.realm != self.config.realm {
            return Verdict::Denied(RealmMismatch);
        }
        let Some(issued) = self.issued_at(&c.nonce, peer) else {
            return Verdict::Denied(UnknownNonce);
        };
        if !(policy.uri_ok)(&c.uri, request_uri) {
            return Verdict::Denied(UriMismatch);
        }
        if let Some(o) = &c.opaque {
            // RFC 7616 says clients MUST echo opaque; some do not, and it carries no security
            // here, so only a wrong value is refused.
            if *o != self.opaque {
                return Verdict::Denied(OpaqueMismatch);
            }
        }
        if c.userhash
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case("true"))
        {
            return Verdict::Denied(UnsupportedAlgorithm);
        }
        let algorithm = match c.algorithm.as_deref() {
            None => Algorithm::Md5, // s.3.4: absent means MD5
            Some(t) => match Algorithm::from_token(t) {
                Some(a) => a,
                None => return Verdict::Denied(UnsupportedAlgorithm),
            },
        };
        if !self.config.algorithms.contains(&algorithm) {
            return Verdict::Denied(UnsupportedAlgorithm);
        }
        let (nc, qop_parts) = match c.qop.as_deref() {
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let (Some(nc_s), Some(cnonce)) = (c.nc.as_deref(), c.cnonce.as_deref()) else {
                    return Verdict::Denied(BadNonceCount);
                };
                let nc = match parse_nc(nc_s) {
                    Some(n) => n,
                    None => return Verdict::Denied(BadNonceCount),
                };
                (Some(nc), Some((nc_s, cnonce, q)))
            }
            Some(_) => return Verdict::Denied(UnsupportedQop),
            None if policy.allow_rfc2069 && algorithm == Algorithm::Md5 => (None, None),
            None => return Verdict::Denied(UnsupportedQop),
        };
        // The user and password before the nonce state: an unauthenticated request must not
        // be able to consume nonce-counts of someone else's nonce.
        let Some(cred) = store.lookup(&c.username) else {
            return Verdict::Denied(BadCredentials);
        };
        let expected = compute_response(
            algorithm,
            &c.username,
            &self.config.realm,
            &cred.password,
            method,
            &c.uri,
            &c.nonce,
            qop_parts,
        );
        if !ct_eq_ignore_ascii_case(expected.as_bytes(), c.response.as_bytes()) {
            return Verdict::Denied(BadCredentials);
        }
        if now.saturating_duration_since(issued) > self.config.nonce_lifetime {
            return Verdict::Stale;
        }
        let mut t = self.table();
        self.expire(&mut t, now);
        let Some(state) = t.map.get_mut(&c.nonce) else {
            // Issued by us, to this address, but forgotten (the table was full).
            return Verdict::Stale;
        };
        if now.saturating_duration_since(state.issued) > self.config.nonce_lifetime {
            t.map.remove(&c.nonce);
            return Verdict::Stale;
        }
        if let Some(nc) = nc
            && !state.accept(nc)
        {
            return Verdict::Denied(Replay);
        }
        Verdict::Authenticated(cred)
    }
}

/// `nc` is exactly 8 hex digits (RFC 7616 s.3.4) and never zero (counting starts at 1).
fn parse_nc(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok().filter(|&n| n != 0)
}

/// The `uri` auth-param must name the request-target (RFC 7616 s.3.4: "the server SHOULD
/// check that [it] ... identifies the same resource"). Clients differ in whether they send
/// the absolute form (RTSP always uses it, some HTTP proxies-aware clients do too) or the
/// origin form, so both are compared by path and query after dropping scheme and authority.
pub(crate) fn uri_matches(param: &str, request_uri: &str) -> bool {
    if param == request_uri {
        return true;
    }
    fn path_part(u: &str) -> &str {
        match u.find("://") {
            Some(i) => {
                let rest = &u[i + 3..];
                match rest.find('/') {
                    Some(j) => &rest[j..],
                    None => "/",
                }
            }
            None => u,
        }
    }
    let (a, b) = (path_part(param), path_part(request_uri));
    // RTSP clients may add or drop a trailing slash between the URI they were given and the
    // one they put in `uri` (e.g. aggregate control URLs).
    a == b || a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Constant-time comparison (for equal lengths) of two hex strings, ignoring case because
/// RFC 7616 only says "lowercase" for what the server computes.
fn ct_eq_ignore_ascii_case(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x.to_ascii_lowercase() ^ y.to_ascii_lowercase();
    }
    diff == 0
}

/// Entry point of the `digest_authorization` fuzz target and of the corpus test: parse any
/// bytes as an `Authorization` value and run the verifier on the result.
#[doc(hidden)]
pub fn fuzz_input(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = parse_authorization(s) {
        let auth = DigestAuth::new(DigestConfig::new(c.realm.clone()));
        let users = vec![Credential {
            username: c.username.clone(),
            password: "p".into(),
            level: super::UserLevel::User,
        }];
        let peer = IpAddr::from([192, 0, 2, 1]);
        let now = Instant::now();
        let _ = auth.verify_parsed(&c, "GET", &c.uri, &users, peer, now, &Policy::RFC2069);
        // With a nonce that verifies, the rest of the checks run too.
        let nonce = auth.issue_nonce(peer, now);
        let c = DigestCredentials { nonce, ..c };
        let _ = auth.verify_parsed(&c, "GET", &c.uri, &users, peer, now, &Policy::RFC2069);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UserLevel;

    const P: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

    fn store(user: &str, password: &str) -> Vec<Credential> {
        vec![Credential {
            username: user.into(),
            password: password.into(),
            level: UserLevel::Administrator,
        }]
    }

    /// RFC 7616 s.3.9.1, the MD5 and SHA-256 examples.
    #[test]
    fn rfc7616_3_9_1_vectors() {
        let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
        let cnonce_md5 = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        let cnonce_sha = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        let md5 = compute_response(
            Algorithm::Md5,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            nonce,
            Some(("00000001", cnonce_md5, "auth")),
        );
        assert_eq!(md5, "8ca523f5e9506fed4657c9700eebdbec");
        let sha = compute_response(
            Algorithm::Sha256,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            nonce,
            Some(("00000001", cnonce_sha, "auth")),
        );
        assert_eq!(
            sha,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    /// RFC 2617 s.3.5.
    #[test]
    fn rfc2617_3_5_vector() {
        let r = compute_response(
            Algorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(("00000001", "0a4f113b", "auth")),
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    /// The RFC 2617 s.3.5 header, verbatim, parses to its fields.
    #[test]
    fn parses_rfc2617_header() {
        let h = r#"Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41""#
            .replace('\n', "");
        let c = parse_authorization(&h).unwrap();
        assert_eq!(c.username, "Mufasa");
        assert_eq!(c.realm, "testrealm@host.com");
        assert_eq!(c.qop.as_deref(), Some("auth"));
        assert_eq!(c.nc.as_deref(), Some("00000001"));
        assert_eq!(
            c.opaque.as_deref(),
            Some("5ccc069c403ebaf9f0171e9517f40e41")
        );
        assert_eq!(c.response, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn parser_rejects_garbage() {
        for bad in [
            "",
            "Basic Zm9vOmJhcg==",
            "Digest",
            "Digest username",
            "Digest username=",
            "Digest username=\"unterminated",
            "Digest username=\"a\" realm=\"b\"",
            "Digest username=\"a\", username=\"b\", realm=r, nonce=n, uri=/, response=x",
            "Digest realm=r, nonce=n, uri=/, response=x",
            "Digest username=\"a\x01\", realm=r, nonce=n, uri=/, response=x",
        ] {
            assert!(parse_authorization(bad).is_err(), "{bad:?}");
        }
        let long = format!("Digest username=\"{}\"", "a".repeat(MAX_AUTHORIZATION_LEN));
        assert_eq!(parse_authorization(&long), Err(ParseError::TooLong));
        let many = format!("Digest {}", "x=1, ".repeat(MAX_AUTH_PARAMS + 1));
        assert_eq!(parse_authorization(&many), Err(ParseError::TooManyParams));
    }

    #[test]
    fn parser_unescapes_and_ignores_unknown_params() {
        let c = parse_authorization(
            r#"digest  username="a\"b", realm=r, foo="bar", nonce=n, uri="/x", response=ab,,"#,
        )
        .unwrap();
        assert_eq!(c.username, "a\"b");
        assert_eq!(c.uri, "/x");
    }

    /// Plays a client: takes the first challenge we issued, answers it.
    fn answer(
        challenge: &str,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        nc: u32,
    ) -> String {
        let params = parse_authorization(&challenge.replacen(
            "Digest",
            "Digest username=x, uri=x, response=x,",
            1,
        ))
        .unwrap();
        let alg = Algorithm::from_token(params.algorithm.as_deref().unwrap()).unwrap();
        let nc_s = format!("{nc:08x}");
        let resp = compute_response(
            alg,
            user,
            &params.realm,
            password,
            method,
            uri,
            &params.nonce,
            Some((&nc_s, "c0ffee", "auth")),
        );
        format!(
            "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", \
             algorithm={}, qop=auth, nc={nc_s}, cnonce=\"c0ffee\", response=\"{resp}\", \
             opaque=\"{}\"",
            params.realm,
            params.nonce,
            alg.token(),
            params.opaque.unwrap()
        )
    }

    #[test]
    fn round_trip_both_algorithms_and_rtsp() {
        let auth = DigestAuth::new(DigestConfig::new("nvt"));
        let users = store("admin", "secret");
        let now = Instant::now();
        let ch = auth.challenge(P, now, false);
        assert_eq!(ch.len(), 2);
        assert!(ch[0].contains("algorithm=SHA-256") && ch[1].contains("algorithm=MD5"));
        assert!(
            ch.iter()
                .all(|c| c.contains("qop=\"auth\"") && !c.contains("stale"))
        );
        for (i, c) in ch.iter().enumerate() {
            let h = answer(
                c,
                "admin",
                "secret",
                "POST",
                "/onvif/device_service",
                1 + i as u32,
            );
            match auth.verify(
                &h,
                "POST",
                "/onvif/device_service",
                &users,
                P,
                now,
                &Policy::HTTP,
            ) {
                Verdict::Authenticated(c) => assert_eq!(c.username, "admin"),
                v => panic!("{v:?}"),
            }
        }
        // RTSP: method DESCRIBE, absolute request URI.
        let uri = "rtsp://127.0.0.1:8554/stream1";
        let h = answer(&ch[1], "admin", "secret", "DESCRIBE", uri, 3);
        assert!(matches!(
            auth.verify(&h, "DESCRIBE", uri, &users, P, now, &Policy::HTTP),
            Verdict::Authenticated(_)
        ));
        // Same response presented for another method fails.
        let h = answer(&ch[1], "admin", "secret", "DESCRIBE", uri, 4);
        assert_eq!(
            auth.verify(&h, "PLAY", uri, &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::BadCredentials)
        );
    }

    #[test]
    fn wrong_password_and_unknown_user_are_denied() {
        let auth = DigestAuth::new(DigestConfig::new("nvt"));
        let users = store("admin", "secret");
        let now = Instant::now();
        let ch = auth.challenge(P, now, false);
        let h = answer(&ch[0], "admin", "wrong", "GET", "/", 1);
        assert_eq!(
            auth.verify(&h, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::BadCredentials)
        );
        let h = answer(&ch[0], "nobody", "secret", "GET", "/", 1);
        assert_eq!(
            auth.verify(&h, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::BadCredentials)
        );
        let h = answer(&ch[0], "admin", "secret", "GET", "/other", 1);
        assert_eq!(
            auth.verify(&h, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::UriMismatch)
        );
    }

    #[test]
    fn replayed_nonce_count_is_denied() {
        let auth = DigestAuth::new(DigestConfig::new("nvt"));
        let users = store("admin", "secret");
        let now = Instant::now();
        let ch = auth.challenge(P, now, false);
        let h1 = answer(&ch[0], "admin", "secret", "GET", "/", 1);
        assert!(matches!(
            auth.verify(&h1, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Authenticated(_)
        ));
        assert_eq!(
            auth.verify(&h1, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::Replay)
        );
        // Out of order within the window is fine, once.
        let h3 = answer(&ch[0], "admin", "secret", "GET", "/", 3);
        let h2 = answer(&ch[0], "admin", "secret", "GET", "/", 2);
        assert!(matches!(
            auth.verify(&h3, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Authenticated(_)
        ));
        assert!(matches!(
            auth.verify(&h2, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Authenticated(_)
        ));
        assert_eq!(
            auth.verify(&h2, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::Replay)
        );
        // Far behind the highest count: refused.
        let h100 = answer(&ch[0], "admin", "secret", "GET", "/", 100);
        assert!(matches!(
            auth.verify(&h100, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Authenticated(_)
        ));
        let h10 = answer(&ch[0], "admin", "secret", "GET", "/", 10);
        assert_eq!(
            auth.verify(&h10, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::Replay)
        );
        // nc=0 and malformed nc.
        let h0 = answer(&ch[0], "admin", "secret", "GET", "/", 0);
        assert_eq!(
            auth.verify(&h0, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::BadNonceCount)
        );
    }

    #[test]
    fn expired_nonce_is_stale_only_with_right_password_unknown_never() {
        let auth = DigestAuth::new(DigestConfig::new("nvt"));
        let users = store("admin", "secret");
        let t0 = Instant::now();
        let ch = auth.challenge(P, t0, false);
        let later = t0 + DEFAULT_NONCE_LIFETIME + Duration::from_secs(1);
        let good = answer(&ch[0], "admin", "secret", "GET", "/", 1);
        let bad = answer(&ch[0], "admin", "nope", "GET", "/", 1);
        assert_eq!(
            auth.verify(&bad, "GET", "/", &users, P, later, &Policy::HTTP),
            Verdict::Denied(DenyReason::BadCredentials)
        );
        assert_eq!(
            auth.verify(&good, "GET", "/", &users, P, later, &Policy::HTTP),
            Verdict::Stale
        );
        let st = auth.challenge(P, later, true);
        assert_eq!(
            auth.outstanding_nonces(),
            1,
            "the expired nonce was dropped"
        );
        assert!(st[0].contains("\", stale=true, qop="), "{}", st[0]);
        // A nonce we never issued (made up, or from before a restart): refused before the
        // response is looked at, so the right password is not told from a wrong one.
        let forged = good.replace(
            &parse_authorization(&good).unwrap().nonce,
            "AAAAAAAAAAAAAAAAAAAAAAAA",
        );
        let forged_ok = {
            let c = parse_authorization(&forged).unwrap();
            let r = compute_response(
                Algorithm::Sha256,
                "admin",
                "nvt",
                "secret",
                "GET",
                "/",
                &c.nonce,
                Some(("00000001", "c0ffee", "auth")),
            );
            forged.replace(&c.response, &r)
        };
        assert_eq!(
            auth.verify(&forged_ok, "GET", "/", &users, P, later, &Policy::HTTP),
            Verdict::Denied(DenyReason::UnknownNonce)
        );
        // Our nonce, presented from another address: unknown there.
        let fresh = auth.challenge(P, later, false);
        let h = answer(&fresh[0], "admin", "secret", "GET", "/", 1);
        let elsewhere = IpAddr::from([198, 51, 100, 1]);
        assert_eq!(
            auth.verify(&h, "GET", "/", &users, elsewhere, later, &Policy::HTTP),
            Verdict::Denied(DenyReason::UnknownNonce)
        );
        assert!(matches!(
            auth.verify(&h, "GET", "/", &users, P, later, &Policy::HTTP),
            Verdict::Authenticated(_)
        ));
    }

    #[test]
    fn nonce_table_is_bounded() {
        let mut cfg = DigestConfig::new("nvt");
        cfg.max_nonces = 8;
        let auth = DigestAuth::new(cfg);
        let users = store("admin", "secret");
        let now = Instant::now();
        let first = auth.challenge(P, now, false);
        for _ in 0..1000 {
            auth.challenge(P, now, false);
        }
        assert_eq!(auth.outstanding_nonces(), 8);
        // The evicted nonce comes back as stale, not as an error the user sees.
        let h = answer(&first[0], "admin", "secret", "GET", "/", 1);
        assert_eq!(
            auth.verify(&h, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Stale
        );
    }

    #[test]
    fn qop_and_algorithm_policy() {
        let auth = DigestAuth::new(DigestConfig::new("nvt"));
        let users = store("admin", "secret");
        let now = Instant::now();
        let ch = auth.challenge(P, now, false);
        let nonce = parse_authorization(&ch[1].replacen(
            "Digest",
            "Digest username=x, uri=x, response=x,",
            1,
        ))
        .unwrap()
        .nonce;
        // RFC 2069 style (no qop) refused by default...
        let r = compute_response(
            Algorithm::Md5,
            "admin",
            "nvt",
            "secret",
            "OPTIONS",
            "*",
            &nonce,
            None,
        );
        let h = format!(
            "Digest username=\"admin\", realm=\"nvt\", nonce=\"{nonce}\", uri=\"*\", response=\"{r}\""
        );
        assert_eq!(
            auth.verify(&h, "OPTIONS", "*", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::UnsupportedQop)
        );
        // ...and accepted when the protocol's policy allows it (RTSP: live555).
        let auth2 = DigestAuth::new(DigestConfig::new("nvt"));
        let ch2 = auth2.challenge(P, now, false);
        let n2 = parse_authorization(&ch2[1].replacen(
            "Digest",
            "Digest username=x, uri=x, response=x,",
            1,
        ))
        .unwrap()
        .nonce;
        let r = compute_response(
            Algorithm::Md5,
            "admin",
            "nvt",
            "secret",
            "OPTIONS",
            "*",
            &n2,
            None,
        );
        let h = format!(
            "Digest username=\"admin\", realm=\"nvt\", nonce=\"{n2}\", uri=\"*\", response=\"{r}\""
        );
        assert!(matches!(
            auth2.verify(&h, "OPTIONS", "*", &users, P, now, &Policy::RFC2069),
            Verdict::Authenticated(_)
        ));
        // auth-int and unknown algorithms are refused.
        let h =
            answer(&ch[0], "admin", "secret", "GET", "/", 1).replace("qop=auth", "qop=auth-int");
        assert_eq!(
            auth.verify(&h, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::UnsupportedQop)
        );
        let h = answer(&ch[0], "admin", "secret", "GET", "/", 2)
            .replace("algorithm=SHA-256", "algorithm=SHA-512-256");
        assert_eq!(
            auth.verify(&h, "GET", "/", &users, P, now, &Policy::HTTP),
            Verdict::Denied(DenyReason::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn uri_forms() {
        assert!(uri_matches("/a/b", "/a/b"));
        assert!(uri_matches("rtsp://h:554/a/b", "rtsp://h:554/a/b"));
        assert!(uri_matches("rtsp://h:554/a/b/", "rtsp://other/a/b"));
        assert!(uri_matches(
            "http://h/onvif/device_service",
            "/onvif/device_service"
        ));
        assert!(!uri_matches("/a/c", "/a/b"));
    }
}
