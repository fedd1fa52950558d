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
//! - A POST without a body names no operation, so it cannot be PRE_AUTH: it gets the 401
//!   Digest challenge (curl and libcurl send one first, to learn the challenge: issue 13.3).
//! - Every check goes through the one gate (`auth::gate`, shared with plain HTTP and RTSP):
//!   failures are counted per address and per (address, user); repeated failures delay the
//!   answer, and while a key's delay runs its credentials are not even looked at.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::auth::Credential;
use crate::auth::access::AccessClass;
use crate::auth::digest::Policy;
use crate::auth::gate::{Attempt, Check, Gate};
use crate::onvif::directory::Registration;
use crate::onvif::generated;
use crate::onvif::rt::{Operation, RequestContext, SoapService};
use crate::soap::limits::MAX_BODY_BYTES;
use crate::soap::{Fault, SoapVersion, parse_request, write_fault, write_response};
use crate::xml::Element;

/// Path of the device service (clients hard-code it).
pub const DEVICE_PATH: &str = "/onvif/device_service";
// The other services' paths are declared by their modules, in their `Advertised` entry
// (`onvif::directory::Registration`).
/// Prefix of the snapshot URIs (GetSnapshotUri): `/snapshot/<profile token>`, plain HTTP
/// GET under HTTP Digest, outside `/onvif/` because it is not SOAP.
pub(crate) const SNAPSHOT_PREFIX: &str = "/snapshot/";

/// The parts of an HTTP request the endpoint looks at.
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// Request-target as sent (path and query).
    pub uri: &'a str,
    pub authorization: Option<&'a str>,
    pub host: &'a str,
    pub peer: IpAddr,
    pub body: &'a [u8],
    /// Whether the response body may be gzip-coded (`Accept-Encoding`,
    /// `crate::http::content_coding`).
    pub accepts_gzip: bool,
}

/// What to send back.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub(crate) content_type: &'static str,
    /// `WWW-Authenticate` values (one header each).
    pub challenges: Vec<String>,
    pub body: String,
    /// Wait this long before answering (failure throttle).
    pub delay: Duration,
}

/// The authentication state of the endpoint: the one gate, shared with plain HTTP and RTSP.
/// (`Security::new(store, clock)` is `Gate::new`.)
pub type Security = Gate;

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
    pub(crate) security: Arc<Gate>,
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
    pub fn new(gate: impl Into<Arc<Gate>>) -> Self {
        Endpoint {
            security: gate.into(),
            routes: Vec::new(),
        }
    }

    /// The gate every other HTTP handler of this server authenticates through.
    pub(crate) fn gate(&self) -> &Arc<Gate> {
        &self.security
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

    /// Serves a registered service: its dispatchers at its advertised path and under its
    /// prefixes (a prefix route's service reads the path from [`RequestContext::path`]).
    pub(crate) fn register(mut self, r: &Registration) -> Self {
        for service in &r.at_path {
            self.routes.push(Route {
                path: r.advertised.path().to_owned(),
                prefix: false,
                service: service.clone(),
            });
        }
        for (prefix, service) in &r.under {
            self.routes.push(Route {
                path: (*prefix).to_owned(),
                prefix: true,
                service: service.clone(),
            });
        }
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
        if req.body.iter().all(u8::is_ascii_whitespace) {
            // curl --digest (and libcurl: PHP, C integrations) first POSTs without a body to
            // learn the challenge. No body names no operation, so this cannot be a PRE_AUTH
            // call: authenticate it like a protected one (issue 13.3). Authenticated, it is
            // the malformed request it is.
            let attempt = Attempt {
                peer: req.peer,
                method: req.method,
                uri: req.uri,
                authorization: req.authorization,
            };
            let now = Instant::now();
            match self
                .security
                .check_header(&attempt, &Policy::HTTP, false, "SOAP", now)
            {
                Some(Check::User(_)) => {}
                Some(Check::Stale) => {
                    return self.challenge(req.peer, v12, None, true, Duration::ZERO);
                }
                Some(Check::Failed { delay, .. }) => {
                    return self.challenge(req.peer, v12, None, false, delay);
                }
                None => return self.challenge(req.peer, v12, None, false, Duration::ZERO),
            }
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
                None => self.challenge(req.peer, soap.version, relates, false, Duration::ZERO),
                Some(_) if by_http => {
                    self.challenge(req.peer, soap.version, relates, false, Duration::ZERO)
                }
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
        peer: IpAddr,
        v: SoapVersion,
        relates: Option<&str>,
        stale: bool,
        delay: Duration,
    ) -> HttpResponse {
        let mut r = fault_response(v, &Fault::not_authorized(), relates, 401);
        r.challenges = self.security.challenges(peer, Instant::now(), stale, false);
        r.delay = delay;
        r
    }

    fn authenticate(
        &self,
        req: &HttpRequest<'_>,
        soap: &crate::soap::Request,
        class: AccessClass,
    ) -> Auth {
        let gate = &self.security;
        let pre_auth = class == AccessClass::PreAuth;
        let relates = soap.message_id.as_deref();
        let now = Instant::now();
        let attempt = Attempt {
            peer: req.peer,
            method: req.method,
            uri: req.uri,
            authorization: req.authorization,
        };
        let mut user = None;
        let mut by_http = false;
        // Basic is not an ONVIF scheme (Core s.5.9: Digest or UsernameToken): a Basic header
        // here is refused, and counted.
        match gate.check_header(&attempt, &Policy::HTTP, false, "SOAP", now) {
            None => {}
            Some(Check::User(c)) => {
                user = Some(c);
                by_http = true;
            }
            Some(Check::Stale) if pre_auth => {}
            Some(Check::Stale) => {
                return Auth::Refuse(self.challenge(
                    req.peer,
                    soap.version,
                    relates,
                    true,
                    Duration::ZERO,
                ));
            }
            Some(Check::Failed { delay, .. }) if !pre_auth => {
                return Auth::Refuse(self.challenge(req.peer, soap.version, relates, false, delay));
            }
            Some(Check::Failed { .. }) => {}
        }
        if let Some(token) = &soap.security {
            let refuse = |delay: Duration| {
                let mut r = fault_response(soap.version, &Fault::not_authorized(), relates, 400);
                r.delay = delay;
                Auth::Refuse(r)
            };
            match gate.check_token(req.peer, token, now) {
                // HTTP identity first: a token that names someone else is not an upgrade.
                Check::User(c) if user.as_ref().is_none_or(|u| u.username == c.username) => {
                    user = Some(c)
                }
                Check::User(_) if pre_auth => {}
                Check::User(c) => {
                    let Check::Failed { delay, .. } = gate.fail(
                        req.peer,
                        Some(&c.username),
                        "SOAP",
                        "UsernameToken names another user than HTTP Digest",
                        now,
                    ) else {
                        unreachable!("fail() always fails")
                    };
                    return refuse(delay);
                }
                Check::Stale => {}
                Check::Failed { delay, .. } if !pre_auth => return refuse(delay),
                Check::Failed { .. } => {}
            }
        }
        match user {
            Some(c) => Auth::User(c, by_http),
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
