//! The authentication hook of the RTSP server.
//!
//! The server does not know any scheme itself: it hands each request's method, URI and
//! `Authorization` header to an [`RtspAuth`] and acts on the decision (401 with the given
//! `WWW-Authenticate` challenges, RFC 2326 s12.44 / RFC 7616 s3.3). The daemon plugs in the
//! HTTP Digest verifier shared with ONVIF, against the one credential store.

/// What the hook sees of a request.
#[derive(Clone, Copy, Debug)]
pub struct AuthRequest<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub authorization: Option<&'a str>,
}

/// The hook's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthDecision {
    /// Go on; sessions are bound to this user (`None` when authentication is off).
    Allow { user: Option<String> },
    /// Answer 401 with one `WWW-Authenticate` header per challenge.
    Challenge { www_authenticate: Vec<String> },
}

/// Decides whether a request may proceed.
pub trait RtspAuth: Send + Sync {
    fn check(&self, req: &AuthRequest<'_>) -> AuthDecision;
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

/// RTSP authentication with HTTP Digest (RFC 7616, MD5 and SHA-256) against the credential
/// store shared with ONVIF, so a camera has one set of users for every protocol; and HTTP
/// Basic (RFC 7617) against the same store while the owner allows it (see [`Self::with_basic`]).
pub struct DigestRtspAuth {
    digest: crate::auth::digest::DigestAuth,
    store: std::sync::Arc<dyn crate::auth::CredentialStore>,
    /// Asked on every request, so turning the setting off takes effect at once.
    basic_allowed: Box<dyn Fn() -> bool + Send + Sync>,
}

impl DigestRtspAuth {
    /// Digest only.
    pub fn new(realm: &str, store: std::sync::Arc<dyn crate::auth::CredentialStore>) -> Self {
        let mut config = crate::auth::digest::DigestConfig::new(realm);
        // live555-based clients (VLC and many NVRs) answer without `qop`, RFC 2069 style.
        config.allow_rfc2069 = true;
        DigestRtspAuth {
            digest: crate::auth::digest::DigestAuth::new(config),
            store,
            basic_allowed: Box::new(|| false),
        }
    }

    /// Also accept `Authorization: Basic` whenever `allowed()` says so, and then offer
    /// `WWW-Authenticate: Basic` after the Digest challenges (RFC 7235 s4.1: several
    /// challenges, the client picks; Digest first as the preferred one). When `allowed()` is
    /// false a Basic header is refused like no header at all.
    pub fn with_basic(mut self, allowed: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.basic_allowed = Box::new(allowed);
        self
    }
}

impl RtspAuth for DigestRtspAuth {
    fn check(&self, req: &AuthRequest<'_>) -> AuthDecision {
        use crate::auth::basic;
        use crate::auth::digest::Verdict;
        let now = std::time::Instant::now();
        let basic_allowed = (self.basic_allowed)();
        let stale = match req.authorization {
            Some(a) if basic::is_basic(a) => {
                if basic_allowed {
                    match basic::verify(a, &*self.store) {
                        Ok(c) => {
                            return AuthDecision::Allow {
                                user: Some(c.username),
                            };
                        }
                        Err(reason) => tracing::debug!(%reason, "RTSP Basic authentication failed"),
                    }
                } else {
                    tracing::debug!("RTSP Basic authentication refused: not enabled");
                }
                false
            }
            Some(a) => match self
                .digest
                .verify(a, req.method, req.uri, &*self.store, now)
            {
                Verdict::Authenticated(c) => {
                    return AuthDecision::Allow {
                        user: Some(c.username),
                    };
                }
                Verdict::Stale => true,
                Verdict::Denied(reason) => {
                    tracing::debug!(?reason, "RTSP authentication failed");
                    false
                }
            },
            None => false,
        };
        let mut www_authenticate = self.digest.challenge(now, stale);
        if basic_allowed {
            www_authenticate.push(basic::challenge(&self.digest.config().realm));
        }
        AuthDecision::Challenge { www_authenticate }
    }
}
