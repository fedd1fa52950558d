//! HTTP Digest for the plain (non-SOAP) handlers: the web page, its API and HLS. Same users,
//! nonces and failure throttle as SOAP (`Security::http_user`), answered as a hyper response.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;

use crate::auth::Credential;
use crate::auth::wsse::WsseVerifier;
use crate::onvif::endpoint::{HttpRequest, Security};

/// A [`Security`] sharing `s`'s credential store, Digest nonces and failure throttle, for a
/// handler that lives beside the SOAP endpoint.
pub fn shared(s: &Security) -> Arc<Security> {
    Arc::new(Security {
        store: s.store.clone(),
        digest: s.digest.clone(),
        wsse: WsseVerifier::default(),
        throttle: s.throttle.clone(),
        clock: s.clock.clone(),
    })
}

/// The authenticated user, or the 401 to send (after the throttle's delay).
pub async fn user(
    security: &Security,
    req: &HttpRequest<'_>,
) -> Result<Credential, Response<Full<Bytes>>> {
    match security.http_user(req) {
        Ok(c) => Ok(c),
        Err(r) => {
            if !r.delay.is_zero() {
                tokio::time::sleep(r.delay).await;
            }
            Err(super::server::to_hyper(r))
        }
    }
}
