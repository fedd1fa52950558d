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
