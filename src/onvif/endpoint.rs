//! One SOAP request from bytes to answer, sans-IO: envelope, authentication (HTTP Digest,
//! then WS-UsernameToken), the access-class check, dispatch to the service, and the HTTP
//! status, headers and body to send. The hyper shell (`crate::http::server`) only moves bytes.
//!
//! Authentication rules (ONVIF Core s.5.9 and the Home Assistant facts in ONVIF.md):
//! - The HTTP layer is checked before the WS layer: a valid `Authorization: Digest` header
//!   authenticates the request; a UsernameToken sent with it must verify too.
//! - PRE_AUTH operations (GetSystemDateAndTime, GetCapabilities...) are answered whatever
//!   credentials came with them: clients call GetSystemDateAndTime with a token stamped from a
//!   wrong clock precisely to learn the right one.
//! - No credentials on a protected operation: HTTP 401 with Digest challenges. Bad HTTP
//!   Digest: 401 again (stale=true when only the nonce was old). Bad UsernameToken: HTTP 400
//!   `env:Sender/ter:NotAuthorized`. Authenticated but below the operation's class: HTTP 400
//!   `env:Sender/ter:NotAuthorized`.
//! - Every failure is counted per client address; repeated failures delay the answer.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::auth::access::AccessClass;
use crate::auth::digest::{DigestAuth, DigestConfig, Verdict};
use crate::auth::throttle::FailureThrottle;
use crate::auth::wsse::WsseVerifier;
use crate::auth::{Credential, CredentialStore};
use crate::onvif::generated;
use crate::onvif::rt::{Operation, RequestContext, SoapService};
use crate::soap::limits::MAX_BODY_BYTES;
use crate::soap::{Fault, SoapVersion, parse_request, write_fault, write_response};
use crate::xml::Element;

/// Path of the device service (clients hard-code it).
pub const DEVICE_PATH: &str = "/onvif/device_service";
/// Path of the Media (ver10) service.
pub const MEDIA_PATH: &str = "/onvif/media_service";
/// Path of the Imaging (ver20) service.
pub const IMAGING_PATH: &str = "/onvif/imaging_service";
/// Path of the Events service (CreatePullPointSubscription, GetEventProperties, Subscribe).
pub const EVENTS_PATH: &str = "/onvif/events_service";
/// Prefix of the pull-point subscription addresses, one path per subscription.
pub const SUBSCRIPTION_PREFIX: &str = "/onvif/subscription/";
/// Prefix of the snapshot URIs (GetSnapshotUri): `/snapshot/<profile token>`, plain HTTP
/// GET under HTTP Digest, outside `/onvif/` because it is not SOAP.
pub const SNAPSHOT_PREFIX: &str = "/snapshot/";

/// The parts of an HTTP request the endpoint looks at.
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// Request-target as sent (path and query).
    pub uri: &'a str,
    pub authorization: Option<&'a str>,
    pub host: &'a str,
    pub peer: IpAddr,
    pub body: &'a [u8],
}

/// What to send back.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: &'static str,
    /// `WWW-Authenticate` values (one header each).
    pub challenges: Vec<String>,
    pub body: String,
    /// Wait this long before answering (failure throttle).
    pub delay: Duration,
}

/// Authentication state shared by all requests (and, for the Digest part and the credential
/// store, with RTSP and the snapshot endpoint).
pub struct Security {
    pub store: Arc<dyn CredentialStore>,
    pub digest: Arc<DigestAuth>,
    pub wsse: WsseVerifier,
    pub throttle: Arc<FailureThrottle>,
    /// The device clock in Unix milliseconds (system clock plus the offset clients set with
    /// SetSystemDateAndTime); WS-Security `Created` is judged against it.
    pub clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl Security {
    pub fn new(store: Arc<dyn CredentialStore>, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> Self {
        Security {
            store,
            digest: Arc::new(DigestAuth::new(DigestConfig::new("nvt"))),
            wsse: WsseVerifier::default(),
            throttle: Arc::new(FailureThrottle::new()),
            clock,
        }
    }
}

impl Security {
    /// Authenticates a plain HTTP request (snapshot, web page) by HTTP Digest against the
    /// ONVIF users, with the same nonces and failure throttle as SOAP. `Err` is the answer
    /// to send: 401 with fresh challenges (stale=true when only the nonce was old), delayed
    /// after repeated failures.
    pub fn http_user(&self, req: &HttpRequest<'_>) -> Result<Credential, HttpResponse> {
        let now = Instant::now();
        let mut stale = false;
        let mut delay = Duration::ZERO;
        if let Some(h) = req.authorization {
            match self
                .digest
                .verify(h, req.method, req.uri, self.store.as_ref(), now)
            {
                Verdict::Authenticated(c) => {
                    self.throttle.success(req.peer);
                    return Ok(c);
                }
                Verdict::Stale => stale = true,
                Verdict::Denied(reason) => {
                    tracing::debug!(peer = %req.peer, ?reason, "HTTP Digest refused");
                    delay = self.throttle.failure(req.peer, now);
                }
            }
        }
        Err(HttpResponse {
            status: 401,
            content_type: "text/plain; charset=utf-8",
            challenges: self.digest.challenge(now, stale),
            body: "authentication required\n".to_owned(),
            delay,
        })
    }
}

impl Security {
    /// A second handle on the same HTTP authentication state (users, Digest nonces, failure
    /// throttle, clock) for plain HTTP handlers, which run beside the SOAP endpoint that owns
    /// the first. The WS-Security nonce cache is not shared: HTTP handlers never see tokens.
    pub fn http_handle(&self) -> Security {
        Security {
            store: self.store.clone(),
            digest: self.digest.clone(),
            wsse: WsseVerifier::default(),
            throttle: self.throttle.clone(),
            clock: self.clock.clone(),
        }
    }

    /// [`Security::http_user`], also accepting HTTP Basic (RFC 7617) when `allow_basic` (the
    /// `network.allow_basic_auth` setting). Digest is always offered, first; Basic is offered
    /// only when allowed. Basic failures count in the same throttle as Digest ones.
    pub fn http_user_or_basic(
        &self,
        req: &HttpRequest<'_>,
        allow_basic: bool,
    ) -> Result<Credential, HttpResponse> {
        let basic_header = req
            .authorization
            .filter(|h| crate::auth::basic::is_basic(h));
        let mut refused = match basic_header {
            Some(h) if allow_basic => match crate::auth::basic::verify(h, self.store.as_ref()) {
                Ok(c) => {
                    self.throttle.success(req.peer);
                    return Ok(c);
                }
                Err(e) => {
                    tracing::debug!(peer = %req.peer, error = %e, "HTTP Basic refused");
                    let delay = self.throttle.failure(req.peer, Instant::now());
                    let mut r = self
                        .http_user(&HttpRequest {
                            authorization: None,
                            ..*req
                        })
                        .expect_err("no credentials never authenticate");
                    r.delay = delay;
                    r
                }
            },
            // Basic while it is off: refused like a missing credential, and counted.
            Some(_) => {
                let delay = self.throttle.failure(req.peer, Instant::now());
                let mut r = self
                    .http_user(&HttpRequest {
                        authorization: None,
                        ..*req
                    })
                    .expect_err("no credentials never authenticate");
                r.delay = delay;
                r
            }
            None => match self.http_user(req) {
                Ok(c) => return Ok(c),
                Err(r) => r,
            },
        };
        if allow_basic {
            refused
                .challenges
                .push(crate::auth::basic::challenge(&self.digest.config().realm));
        }
        Err(refused)
    }
}

/// A service reachable at a path (or at every path under a prefix).
struct Route {
    path: String,
    prefix: bool,
    service: Arc<dyn SoapService>,
}

/// Routes SOAP requests to the services.
///
/// Dispatch is by the body element's QName (DESIGN.md), so a request for one service posted
/// to another service's address is still answered: several clients send everything to
/// `/onvif/device_service`. Prefix routes (one resource per path, such as pull-point
/// subscriptions) answer only their own service's operations.
pub struct Endpoint {
    pub security: Security,
    routes: Vec<Route>,
}

enum Auth {
    /// Authenticated; `by_http` when by HTTP Digest (as opposed to a UsernameToken alone).
    User(Credential, bool),
    Anonymous,
    /// Answer with this response instead.
    Refuse(HttpResponse),
}

impl Endpoint {
    pub fn new(security: Security) -> Self {
        Endpoint {
            security,
            routes: Vec::new(),
        }
    }

    /// Serves `service` at exactly `path` (e.g. [`DEVICE_PATH`]).
    pub fn route(mut self, path: &str, service: impl SoapService + 'static) -> Self {
        self.routes.push(Route {
            path: path.to_owned(),
            prefix: false,
            service: Arc::new(service),
        });
        self
    }

    /// Serves `service` at every path starting with `prefix`; the service reads the path
    /// from [`RequestContext::path`].
    pub fn route_prefix(mut self, prefix: &str, service: Arc<dyn SoapService>) -> Self {
        self.routes.push(Route {
            path: prefix.to_owned(),
            prefix: true,
            service,
        });
        self
    }

    /// The service and operation a request at `path` with `body` goes to.
    fn find(&self, path: &str, body: &Element) -> Option<(&dyn SoapService, &'static Operation)> {
        if let Some(r) = self
            .routes
            .iter()
            .find(|r| r.prefix && path.starts_with(r.path.as_str()))
        {
            return r.service.operation(body).map(|op| (r.service.as_ref(), op));
        }
        if !self.routes.iter().any(|r| !r.prefix && r.path == path) {
            return None;
        }
        // The path's own service first, then any other fixed-path service.
        let mut fixed: Vec<&Route> = self.routes.iter().filter(|r| !r.prefix).collect();
        fixed.sort_by_key(|r| r.path != path);
        fixed
            .into_iter()
            .find_map(|r| r.service.operation(body).map(|op| (r.service.as_ref(), op)))
    }

    pub async fn handle(&self, req: &HttpRequest<'_>) -> HttpResponse {
        let v12 = SoapVersion::V12;
        if req.method != "POST" {
            return fault_response(
                v12,
                &Fault::new(
                    crate::soap::Code::Sender,
                    &["InvalidArgs"],
                    "SOAP requests are POSTed",
                ),
                None,
                405,
            );
        }
        if req.body.len() > MAX_BODY_BYTES {
            return fault_response(v12, &Fault::well_formed("request too large"), None, 413);
        }
        let path = req.uri.split('?').next().unwrap_or("");
        let soap = match parse_request(req.body) {
            Ok(r) => r,
            Err(e) => {
                let st = e.fault.http_status();
                return fault_response(e.version, &e.fault, None, st);
            }
        };
        let relates = soap.message_id.as_deref();
        let Some((service, op)) = self.find(path, &soap.body) else {
            let f = Fault::action_not_supported();
            return fault_response(soap.version, &f, relates, f.http_status());
        };
        let (user, by_http) = match self.authenticate(req, &soap, op.access) {
            Auth::User(c, by_http) => (Some(c), by_http),
            Auth::Anonymous => (None, false),
            Auth::Refuse(r) => return r,
        };
        if !op.access.allows(user.as_ref().map(|u| u.level)) {
            // A user below the operation's class: HTTP authentication answers 401 (the
            // credentials do not authorize this request: try others), message-level
            // authentication a ter:NotAuthorized fault (ONVIF Core 5.9.4, and the Access
            // Policy test specification ACCESS_POLICY-1-1-1/5).
            return match user {
                None => self.challenge(soap.version, relates, false, Duration::ZERO),
                Some(_) if by_http => self.challenge(soap.version, relates, false, Duration::ZERO),
                Some(_) => {
                    let f = Fault::not_authorized();
                    fault_response(soap.version, &f, relates, 400)
                }
            };
        }
        let ctx = RequestContext {
            user,
            host: req.host.to_owned(),
            path: path.to_owned(),
            peer: req.peer,
        };
        match service.dispatch(&ctx, op, &soap.body).await {
            Ok(body) => HttpResponse {
                status: 200,
                content_type: soap.version.content_type(),
                challenges: Vec::new(),
                body: write_response(
                    soap.version,
                    generated::NAMESPACES,
                    relates,
                    Some(op.response_action),
                    |w| w.raw(&body),
                ),
                delay: Duration::ZERO,
            },
            Err(f) => {
                let st = f.http_status();
                fault_response(soap.version, &f, relates, st)
            }
        }
    }

    fn challenge(
        &self,
        v: SoapVersion,
        relates: Option<&str>,
        stale: bool,
        delay: Duration,
    ) -> HttpResponse {
        let mut r = fault_response(v, &Fault::not_authorized(), relates, 401);
        r.challenges = self.security.digest.challenge(Instant::now(), stale);
        r.delay = delay;
        r
    }

    fn authenticate(
        &self,
        req: &HttpRequest<'_>,
        soap: &crate::soap::Request,
        class: AccessClass,
    ) -> Auth {
        let sec = &self.security;
        let pre_auth = class == AccessClass::PreAuth;
        let relates = soap.message_id.as_deref();
        let mut user = None;
        let mut by_http = false;
        if let Some(h) = req.authorization {
            match sec
                .digest
                .verify(h, req.method, req.uri, sec.store.as_ref(), Instant::now())
            {
                Verdict::Authenticated(c) => {
                    user = Some(c);
                    by_http = true;
                }
                Verdict::Stale if pre_auth => {}
                Verdict::Stale => {
                    return Auth::Refuse(self.challenge(
                        soap.version,
                        relates,
                        true,
                        Duration::ZERO,
                    ));
                }
                Verdict::Denied(reason) => {
                    tracing::debug!(peer = %req.peer, ?reason, "HTTP Digest refused");
                    let delay = sec.throttle.failure(req.peer, Instant::now());
                    if !pre_auth {
                        return Auth::Refuse(self.challenge(soap.version, relates, false, delay));
                    }
                }
            }
        }
        if let Some(token) = &soap.security {
            let verified = match token {
                Ok(t) => sec.wsse.verify(t, sec.store.as_ref(), (sec.clock)()),
                Err(e) => Err(e.clone()),
            };
            match verified {
                // HTTP identity first: a token that names someone else is not an upgrade.
                Ok(c) if user.as_ref().is_none_or(|u| u.username == c.username) => user = Some(c),
                Ok(_) if pre_auth => {}
                Ok(_) => {
                    let delay = sec.throttle.failure(req.peer, Instant::now());
                    let mut r =
                        fault_response(soap.version, &Fault::not_authorized(), relates, 400);
                    r.delay = delay;
                    return Auth::Refuse(r);
                }
                Err(e) => {
                    tracing::debug!(peer = %req.peer, error = %e, "UsernameToken refused");
                    let delay = sec.throttle.failure(req.peer, Instant::now());
                    if !pre_auth {
                        let mut r =
                            fault_response(soap.version, &Fault::not_authorized(), relates, 400);
                        r.delay = delay;
                        return Auth::Refuse(r);
                    }
                }
            }
        }
        match user {
            Some(c) => {
                sec.throttle.success(req.peer);
                Auth::User(c, by_http)
            }
            None => Auth::Anonymous,
        }
    }
}

fn fault_response(v: SoapVersion, f: &Fault, relates: Option<&str>, status: u16) -> HttpResponse {
    HttpResponse {
        status,
        content_type: v.content_type(),
        challenges: Vec::new(),
        body: write_fault(v, f, relates),
        delay: Duration::ZERO,
    }
}
