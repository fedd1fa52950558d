//! The camera's own web surface beside ONVIF: live HLS under `/hls/` and the camera page at
//! `/`, both behind HTTP Digest with the ONVIF users. See `docs/web.md`.

pub mod page;
pub mod status;

use std::sync::Arc;

use crate::hls::HlsHandler;
use crate::hls::live::LiveStreams;
use crate::http::server::Router;
use crate::settings::SettingsStore;
use crate::stream_hub::StreamRegistry;

/// What the web handlers need from the daemon.
pub struct WebContext {
    pub store: Arc<SettingsStore>,
    pub registry: Arc<StreamRegistry>,
    /// Device information shown on the page.
    pub device: crate::onvif::device::Identity,
    pub rtsp_port: u16,
}

/// Adds the HLS and page handlers to `router`, authenticating with its SOAP endpoint's users
/// and Digest state.
pub fn install(router: Router, ctx: WebContext) -> Router {
    let security = crate::http::auth::shared(&router.soap.security);
    let live = Arc::new(LiveStreams::new(ctx.registry.clone(), ctx.store.clone()));
    let page = page::PageHandler {
        security: security.clone(),
        store: ctx.store,
        live: live.clone(),
        device: ctx.device,
        rtsp_port: ctx.rtsp_port,
    };
    router
        .handler(
            crate::hls::PREFIX,
            Arc::new(HlsHandler::new(security, live)),
        )
        .handler("/", Arc::new(page))
}
