//! The camera page at `/`: static assets embedded in the binary (no build step, nothing
//! fetched from elsewhere) and `/api/status`. Every path needs an ONVIF user.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use super::status::{StatusInput, status};
use crate::auth::gate::Gate;
use crate::hls::live::LiveStreams;
use crate::http::server::{HttpHandler, plain};
use crate::onvif::device::Identity;
use crate::onvif::endpoint::HttpRequest;
use crate::onvif::rt::BoxFuture;
use crate::settings::SettingsStore;

/// Path of the status document the page polls.
pub(crate) const STATUS_PATH: &str = "/api/status";

/// (path, content type, bytes) of every embedded asset.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_bytes!("assets/index.html"),
    ),
    (
        "/assets/app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/app.js"),
    ),
    (
        "/assets/style.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/style.css"),
    ),
    // hls.js (Apache-2.0, see assets/hls.js-LICENSE), the light build: no subtitles,
    // alternate audio or DRM, which a camera stream never has.
    (
        "/assets/hls.light.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/hls.light.min.js"),
    ),
    (
        "/assets/hls.js-LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("assets/hls.js-LICENSE"),
    ),
];

/// Serves `/` and everything under it that no other handler took.
pub(crate) struct PageHandler {
    pub(crate) gate: Arc<Gate>,
    pub(crate) store: Arc<SettingsStore>,
    pub(crate) live: Arc<LiveStreams>,
    pub(crate) device: Identity,
    pub(crate) rtsp_port: u16,
}

impl PageHandler {
    async fn serve(&self, req: &HttpRequest<'_>) -> Response<Full<Bytes>> {
        if req.method != "GET" && req.method != "HEAD" {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "GET only\n");
        }
        if let Err(r) = crate::http::auth::user(&self.gate, req, false).await {
            return r;
        }
        let path = req.uri.split('?').next().unwrap_or("");
        if path == STATUS_PATH {
            let settings = self.store.get();
            let body = status(&StatusInput {
                settings: &settings,
                device: &self.device,
                live: &self.live,
                host: req.host,
                rtsp_port: self.rtsp_port,
            });
            return respond("application/json", Bytes::from(body.to_string()));
        }
        match ASSETS.iter().find(|(p, _, _)| *p == path) {
            Some((_, ty, bytes)) => respond(ty, Bytes::from_static(bytes)),
            None => plain(StatusCode::NOT_FOUND, "not found\n"),
        }
    }
}

fn respond(content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Authenticated content: browsers may keep it only for this user, and must revalidate
    // so a new nvt's page is never mixed with an old script.
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    r
}

impl HttpHandler for PageHandler {
    fn handle<'a>(&'a self, req: &'a HttpRequest<'a>) -> BoxFuture<'a, Response<Full<Bytes>>> {
        Box::pin(self.serve(req))
    }
}
