//! The authentication hook of the RTSP server.
//!
//! The server does not know any scheme itself: it hands each request's peer, method, URI and
//! `Authorization` header to an [`RtspAuth`] and acts on the decision (401 with the given
//! `WWW-Authenticate` challenges, RFC 2326 s12.44 / RFC 7616 s3.3; after a failure, only once
//! the given delay has run, and closing the connection when told to). The daemon plugs in
//! [`DigestRtspAuth`]: the one authentication gate (`auth::gate`) shared with SOAP and plain
//! HTTP, so RTSP has the same users, nonces, failure throttle and realm.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::auth::digest::{Policy, uri_matches};
use crate::auth::gate::{Attempt, Gate};

/// What the hook sees of a request.
#[derive(Clone, Copy, Debug)]
pub struct AuthRequest<'a> {
    pub(crate) peer: IpAddr,
    pub(crate) method: &'a str,
    pub(crate) uri: &'a str,
    pub authorization: Option<&'a str>,
}

/// The hook's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthDecision {
    /// Go on; sessions are bound to this user (`None` when authentication is off).
    Allow { user: Option<String> },
    /// Answer 401 with one `WWW-Authenticate` header per challenge.
    Challenge { www_authenticate: Vec<String> },
    /// Credentials were refused: answer 401 with these challenges after `delay`, and close
    /// the connection after the answer when `close` (the address keeps failing).
    Failed {
        www_authenticate: Vec<String>,
        delay: Duration,
        close: bool,
    },
}

/// Decides whether a request may proceed.
pub trait RtspAuth: Send + Sync {
    fn check(&self, req: &AuthRequest<'_>) -> AuthDecision;

    /// Whether `user` (as [`AuthDecision::Allow`] named it) may talk on the audio back
    /// channel. Without authentication (the default) everyone who may watch may talk.
    fn may_talk(&self, _user: Option<&str>) -> bool {
        true
    }
}

/// Everyone may watch (tests, or a camera configured without RTSP authentication).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAuth;

impl RtspAuth for NoAuth {
    fn check(&self, _: &AuthRequest<'_>) -> AuthDecision {
        AuthDecision::Allow { user: None }
    }
}

impl<F> RtspAuth for F
where
    F: Fn(&AuthRequest<'_>) -> AuthDecision + Send + Sync,
{
    fn check(&self, req: &AuthRequest<'_>) -> AuthDecision {
        self(req)
    }
}

/// Whether a Digest `uri` may stand for an RTSP request-target: the request URI itself, or
/// the aggregate (presentation) URL of the same stream, and nothing else.
///
/// Why the aggregate URL: live555's RTSPClient (VLC, openRTSP, many NVRs) computes every
/// request's digest over its *base URL* (`createAuthenticatorString(cmd, fBaseURL)`): the URL
/// it was given, then the DESCRIBE `Content-Base`. So its SETUP of `rtsp://cam/main/trackID=0`
/// carries `uri="rtsp://cam/main/"`. Accepting the aggregate URL of the *same* stream lets it
/// in without widening anything: the response is still bound to the method, the nonce and a
/// URL of the stream being requested; a digest for `main` never opens `sub`.
pub(crate) fn digest_uri_ok(param: &str, request: &str) -> bool {
    use super::session::{is_multicast_uri, stream_of_uri};
    if uri_matches(param, request) {
        return true;
    }
    match (stream_of_uri(param), stream_of_uri(request)) {
        (Some((p, false)), Some((r, _))) => {
            p == r && is_multicast_uri(param) == is_multicast_uri(request)
        }
        _ => false,
    }
}

/// RTSP's Digest policy: responses without `qop` are accepted (MD5 only), because live555
/// sends them whatever the challenge offers (DigestAuthentication.cpp `computeDigestResponse`
/// has no qop branch); the nonce they use is bound to the client's address and lives
/// `DIGEST_NONCE_LIFETIME`, and RTSP only serves viewing, so a replayed qop-less request can
/// only show the stream to the same address that could already see it on the wire.
pub(crate) const RTSP_POLICY: Policy = Policy {
    allow_rfc2069: true,
    uri_ok: digest_uri_ok,
};

/// RTSP authentication through the gate: HTTP Digest (RFC 7616, MD5 and SHA-256, and RFC
/// 2069 for live555) against the ONVIF users, and HTTP Basic (RFC 7617) while the owner allows
/// it (see [`Self::with_basic`]).
pub(crate) struct DigestRtspAuth {
    gate: Arc<Gate>,
    /// Asked on every request, so turning the setting off takes effect at once.
    basic_allowed: Box<dyn Fn() -> bool + Send + Sync>,
}

impl DigestRtspAuth {
    /// Digest only.
    pub(crate) fn new(gate: Arc<Gate>) -> Self {
        DigestRtspAuth {
            gate,
            basic_allowed: Box::new(|| false),
        }
    }

    /// Also accept `Authorization: Basic` whenever `allowed()` says so, and then offer
    /// `WWW-Authenticate: Basic` after the Digest challenges (RFC 7235 s4.1: several
    /// challenges, the client picks; Digest first as the preferred one). When `allowed()` is
    /// false a Basic header is refused, and counted as a failure.
    pub(crate) fn with_basic(mut self, allowed: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.basic_allowed = Box::new(allowed);
        self
    }
}

impl RtspAuth for DigestRtspAuth {
    fn check(&self, req: &AuthRequest<'_>) -> AuthDecision {
        let attempt = Attempt {
            peer: req.peer,
            method: req.method,
            uri: req.uri,
            authorization: req.authorization,
        };
        let basic = (self.basic_allowed)();
        match self
            .gate
            .login(&attempt, &RTSP_POLICY, basic, "RTSP", Instant::now())
        {
            Ok(c) => AuthDecision::Allow {
                user: Some(c.username),
            },
            Err(r) if req.authorization.is_none() => AuthDecision::Challenge {
                www_authenticate: r.challenges,
            },
            Err(r) => AuthDecision::Failed {
                www_authenticate: r.challenges,
                delay: r.delay,
                close: r.close,
            },
        }
    }

    /// ONVIF's ACTUATE class (Operator and up): the back channel drives the speaker, an
    /// actuator like a relay (Core s5.9.4.3 default access policy). Read from the store on
    /// every SETUP, so a user's new level takes effect at once.
    fn may_talk(&self, user: Option<&str>) -> bool {
        user.and_then(|u| self.gate.store().lookup(u))
            .is_some_and(|c| crate::auth::access::AccessClass::Actuate.allows(Some(c.level)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_uri_is_the_request_or_the_same_streams_aggregate() {
        let ok = [
            ("rtsp://h/main", "rtsp://h/main"),
            ("rtsp://h/main/", "rtsp://h/main/trackID=0"),
            ("rtsp://h:554/main", "rtsp://h:554/main/trackID=0"),
            (
                "rtsp://h/main/multicast/",
                "rtsp://h/main/multicast/trackID=0",
            ),
            ("rtsp://h/main/trackID=0", "rtsp://h/main/trackID=0"),
        ];
        for (p, r) in ok {
            assert!(digest_uri_ok(p, r), "{p} for {r}");
        }
        let refused = [
            ("rtsp://h/main/", "rtsp://h/sub/trackID=0"),
            ("rtsp://h/sub", "rtsp://h/main"),
            ("rtsp://h/main/trackID=0", "rtsp://h/main"),
            ("rtsp://h/main/", "rtsp://h/main/multicast/trackID=0"),
            ("*", "rtsp://h/main"),
            ("rtsp://h/", "rtsp://h/main"),
        ];
        for (p, r) in refused {
            assert!(!digest_uri_ok(p, r), "{p} for {r}");
        }
    }
}
