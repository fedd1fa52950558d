//! HTTP authentication for the plain (non-SOAP) handlers: the web page, its API, HLS and
//! snapshots. They log in through the one gate (`auth::gate`), with the same users, Digest
//! nonces, failure throttle and realm as SOAP and RTSP; this module only turns the gate's
//! refusal into a hyper response (401, challenges, `Connection: close` after repeated
//! failures) after sleeping the throttle's delay.

use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper::header::{CONNECTION, HeaderValue, WWW_AUTHENTICATE};

use crate::auth::Credential;
use crate::auth::digest::Policy;
use crate::auth::gate::{Attempt, Gate};
use crate::onvif::endpoint::HttpRequest;

/// The authenticated user, or the 401 to send (after the throttle's delay). Basic is
/// accepted (and offered after Digest) only when `allow_basic`.
pub(crate) async fn user(
    gate: &Gate,
    req: &HttpRequest<'_>,
    allow_basic: bool,
) -> Result<Credential, Response<Full<Bytes>>> {
    let attempt = Attempt {
        peer: req.peer,
        method: req.method,
        uri: req.uri,
        authorization: req.authorization,
    };
    match gate.login(&attempt, &Policy::HTTP, allow_basic, "HTTP", Instant::now()) {
        Ok(c) => Ok(c),
        Err(r) => {
            if !r.delay.is_zero() {
                tokio::time::sleep(r.delay).await;
            }
            let mut resp = super::server::plain_owned(
                hyper::StatusCode::UNAUTHORIZED,
                "authentication required\n".to_owned(),
            );
            for c in r.challenges {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    resp.headers_mut().append(WWW_AUTHENTICATE, v);
                }
            }
            if r.close {
                resp.headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            Err(resp)
        }
    }
}
