//! Live video over HTTP: Low-Latency HLS (RFC 8216bis) with fMP4/CMAF segments, muxed from
//! the same frames the RTSP engine sends (no second encoder). See `docs/web.md`.
//!
//! - [`fmp4`]: the MP4 boxes; [`segmenter`]: frames to a bounded window of segments and
//!   parts (sans-IO); [`playlist`]: the window as playlists (sans-IO); [`path`]: request
//!   paths to resources (sans-IO, fuzzed); [`live`]: the tokio shell, one segmenter per
//!   stream while someone watches; this module: the HTTP handler under `/hls/`.

pub mod fmp4;
mod isobmff;
pub mod live;
pub mod path;
pub mod playlist;
pub mod segmenter;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use crate::auth::gate::Gate;
use crate::http::server::{HttpHandler, plain};
use crate::onvif::endpoint::HttpRequest;
use crate::onvif::rt::BoxFuture;
use live::{LiveStream, LiveStreams};
use path::Resource;

pub(crate) use path::PREFIX;

const PLAYLIST_TYPE: &str = "application/vnd.apple.mpegurl";

/// Blocking requests wait at most this many target durations (RFC 8216bis s6.2.5.2: "three
/// times the Target Duration", then 503).
const BLOCK_TARGETS: u32 = 3;
/// A first playlist request waits this many target durations for a complete segment (the
/// next IDR plus one GOP).
const STARTUP_TARGETS: u32 = 5;
/// How long a multivariant request waits for the stream's first SPS.
const PARAMS_WAIT: Duration = Duration::from_secs(3);

/// The `/hls/` handler: every resource needs an ONVIF user (HTTP Digest).
pub(crate) struct HlsHandler {
    gate: Arc<Gate>,
    live: Arc<LiveStreams>,
}

impl HlsHandler {
    pub fn new(gate: Arc<Gate>, live: Arc<LiveStreams>) -> Self {
        HlsHandler { gate, live }
    }

    async fn serve(&self, req: &HttpRequest<'_>) -> Response<Full<Bytes>> {
        if req.method != "GET" && req.method != "HEAD" {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "GET only\n");
        }
        let user = match crate::http::auth::user(&self.gate, req, false).await {
            Ok(u) => u,
            Err(r) => return r,
        };
        let resource = match path::parse(req.uri) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(uri = req.uri, error = %e, "HLS: bad request");
                return plain(StatusCode::BAD_REQUEST, "bad HLS request\n");
            }
        };
        if let Resource::AllProfiles = resource {
            return self.all_profiles().await;
        }
        let Some(stream) = self.live.get(resource.profile()) else {
            return plain(StatusCode::NOT_FOUND, "no such profile\n");
        };
        match resource {
            Resource::AllProfiles => unreachable!("answered above"),
            Resource::Multivariant { .. } => {
                let v = self.variant(&stream, "stream.m3u8".into()).await;
                ok(
                    PLAYLIST_TYPE,
                    "no-cache",
                    playlist::multivariant(&[v]).into(),
                )
            }
            Resource::Media { msn, part, .. } => {
                media(&stream.session((req.peer, user.username)), msn, part).await
            }
            Resource::Init { generation, .. } => {
                let session = stream.session((req.peer, user.username));
                let init = session.segmenter().init(generation).cloned();
                match init {
                    Some(b) => ok("video/mp4", "private, max-age=60", b),
                    None => plain(StatusCode::NOT_FOUND, "no such initialization segment\n"),
                }
            }
            Resource::Segment { msn, .. } => {
                let session = stream.session((req.peer, user.username));
                let data = session
                    .segmenter()
                    .segment(msn)
                    .filter(|s| s.complete)
                    .map(|s| s.data());
                match data {
                    Some(b) => ok("video/mp4", "private, max-age=60", b),
                    None => plain(StatusCode::NOT_FOUND, "segment not in the window\n"),
                }
            }
            Resource::Part { msn, index, .. } => {
                part(&stream.session((req.peer, user.username)), msn, index).await
            }
        }
    }

    async fn all_profiles(&self) -> Response<Full<Bytes>> {
        let mut variants = Vec::new();
        for token in self.live.registry().names() {
            if let Some(stream) = self.live.get(&token) {
                variants.push(self.variant(&stream, format!("{token}/stream.m3u8")).await);
            }
        }
        ok(
            PLAYLIST_TYPE,
            "no-cache",
            playlist::multivariant(&variants).into(),
        )
    }

    /// A stream's variant entry, from its SPS (codec, size) and encoder settings (rate).
    async fn variant(&self, stream: &LiveStream, uri: String) -> playlist::Variant {
        // A stream that just started (or is being reconfigured) gets a moment to send its
        // parameter sets; then the variant goes out with what there is.
        let hub = stream.hub();
        let params = tokio::time::timeout(PARAMS_WAIT, hub.described())
            .await
            .unwrap_or_else(|_| hub.description());
        let track = match (params.sps, params.pps) {
            (Some(s), Some(p)) => fmp4::TrackParams::new(s, p).ok(),
            _ => None,
        };
        let aac = stream.aac().filter(|c| c.audio_specific_config().is_some());
        let audio_kbps = aac.and_then(|_| self.live.audio_kbps(stream.profile()));
        let kbps = self
            .live
            .encoder(stream.hub().name())
            .map_or(4096, |e| e.bitrate_kbps)
            + audio_kbps.unwrap_or(0);
        playlist::Variant {
            uri,
            // Peak, not average: IDRs make CBR segments burstier than the nominal rate.
            bandwidth: u64::from(kbps) * 1000 * 3 / 2,
            // RFC 8216bis s4.4.6.2: CODECS lists every format in the variant's segments.
            codecs: track.as_ref().map(|t| match aac {
                Some(_) => format!("{},{}", t.codec(), fmp4::AAC_LC_CODEC),
                None => t.codec(),
            }),
            resolution: track.as_ref().map(|t| (t.width, t.height)),
            frame_rate: params.framerate,
        }
    }
}

impl HttpHandler for HlsHandler {
    fn handle<'a>(&'a self, req: &'a HttpRequest<'a>) -> BoxFuture<'a, Response<Full<Bytes>>> {
        Box::pin(self.serve(req))
    }
}

fn target(session: &live::Session) -> Duration {
    Duration::from_secs(u64::from(session.segmenter().target_duration()))
}

/// The media playlist; with `_HLS_msn` (and `_HLS_part`) a blocking reload.
async fn media(
    session: &live::Session,
    msn: Option<u64>,
    part: Option<usize>,
) -> Response<Full<Bytes>> {
    let now = tokio::time::Instant::now();
    let target = target(session);
    match msn {
        Some(m) => {
            // s6.2.5.2: more than two segments ahead of the last one is a client error.
            let open = session.segmenter().next_msn().saturating_sub(1);
            if m > open + 2 {
                return plain(StatusCode::BAD_REQUEST, "_HLS_msn too far ahead\n");
            }
            let deadline = now + target * BLOCK_TARGETS;
            if !session.wait_for(deadline, |s| s.has(m, part)).await {
                return plain(StatusCode::SERVICE_UNAVAILABLE, "not produced in time\n");
            }
        }
        None => {
            let deadline = now + target * STARTUP_TARGETS;
            session
                .wait_for(deadline, |s| s.has_complete_segment())
                .await;
        }
    }
    let seg = session.segmenter();
    if seg.segments().iter().all(|s| s.parts.is_empty()) {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "no video yet\n");
    }
    ok(PLAYLIST_TYPE, "no-cache", playlist::media(&seg).into())
}

/// A partial segment; the next one (the preload hint) is waited for.
async fn part(session: &live::Session, msn: u64, index: usize) -> Response<Full<Bytes>> {
    let deadline = tokio::time::Instant::now() + target(session) * BLOCK_TARGETS;
    if msn > session.segmenter().next_msn() {
        return plain(StatusCode::NOT_FOUND, "part not in the window\n");
    }
    // Settled: the part exists, or it never will (its segment closed or left the window).
    session
        .wait_for(deadline, |s| match s.segment(msn) {
            Some(seg) => index < seg.parts.len() || seg.complete,
            None => msn < s.next_msn(),
        })
        .await;
    let data = session
        .segmenter()
        .segment(msn)
        .and_then(|s| s.parts.get(index))
        .map(|p| p.data.clone());
    match data {
        Some(b) => ok("video/mp4", "private, max-age=60", b),
        None => plain(StatusCode::NOT_FOUND, "part not in the window\n"),
    }
}

fn ok(content_type: &'static str, cache: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}
