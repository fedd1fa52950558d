//! The camera page at `/`: static assets embedded in the binary (no build step, nothing
//! fetched from elsewhere) and `/api/status`. Every path needs an ONVIF user.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, VARY};
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

/// One file of the page, embedded in the binary.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// The body is gzip-coded (by build.rs) and goes out with `Content-Encoding: gzip`.
    gzip: bool,
}

/// Every embedded asset. hls.js (Apache-2.0, see assets/hls.js-LICENSE) is the light build:
/// no subtitles, alternate audio or DRM, which a camera stream never has. At 355 KB it was
/// more than half of the camera binary's read-only data, so it is kept gzip-coded (108 KB;
/// docs/PERFORMANCE.md, "Binary size for a camera"); every browser takes gzip. The other
/// assets are 12 KB in all and stay as they are, readable with a plain `curl`.
const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("assets/index.html"),
        gzip: false,
    },
    Asset {
        path: "/assets/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/app.js"),
        gzip: false,
    },
    Asset {
        path: "/assets/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/style.css"),
        gzip: false,
    },
    Asset {
        path: "/assets/hls.light.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!(concat!(env!("OUT_DIR"), "/hls.light.min.js.gz")),
        gzip: true,
    },
    Asset {
        path: "/assets/hls.js-LICENSE",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("assets/hls.js-LICENSE"),
        gzip: false,
    },
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
        let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        if !asset.gzip {
            return respond(asset.content_type, Bytes::from_static(asset.body));
        }
        // RFC 9110 §15.5.7: no representation the client accepts. The binary holds this
        // asset only gzip-coded, and inflating it here would need a decoder a camera does
        // not otherwise carry.
        let mut r = if req.accepts_gzip {
            let mut r = respond(asset.content_type, Bytes::from_static(asset.body));
            r.headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        } else {
            plain(
                StatusCode::NOT_ACCEPTABLE,
                "this file is served gzip-coded only: send Accept-Encoding: gzip\n",
            )
        };
        // §12.5.5: the answer depends on Accept-Encoding, so a cache must key on it.
        r.headers_mut()
            .insert(VARY, HeaderValue::from_static("accept-encoding"));
        r
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
