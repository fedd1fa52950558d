//! The camera's own web surface beside ONVIF: live HLS under `/hls/` and the camera page at
//! `/`, both behind HTTP Digest with the ONVIF users. See `docs/web.md`.

pub(crate) mod page;
pub(crate) mod status;

use std::sync::Arc;

use crate::hls::HlsHandler;
use crate::hls::live::LiveStreams;
use crate::http::server::Router;
use crate::rtp::{AudioRegistry, RtpRegistry};
use crate::settings::SettingsStore;

/// What the web handlers need from the daemon.
pub(crate) struct WebContext {
    pub(crate) store: Arc<SettingsStore>,
    pub(crate) registry: Arc<RtpRegistry>,
    /// The profiles' audio tracks (HLS muxes AAC ones).
    pub(crate) audio: Arc<AudioRegistry>,
    /// Device information shown on the page.
    pub(crate) device: crate::onvif::device::Identity,
    pub(crate) rtsp_port: u16,
}

/// Adds the HLS and page handlers to `router`, authenticating through the gate of its SOAP
/// endpoint (the one gate of the daemon).
pub(crate) fn install(router: Router, ctx: WebContext) -> Router {
    let gate = router.soap.gate().clone();
    let live = Arc::new(LiveStreams::new(
        ctx.registry.clone(),
        ctx.audio.clone(),
        ctx.store.clone(),
    ));
    let page = page::PageHandler {
        gate: gate.clone(),
        store: ctx.store,
        live: live.clone(),
        device: ctx.device,
        rtsp_port: ctx.rtsp_port,
    };
    router
        .handler(crate::hls::PREFIX, Arc::new(HlsHandler::new(gate, live)))
        .handler("/", Arc::new(page))
}
