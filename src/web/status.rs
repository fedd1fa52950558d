//! `/api/status`: what the page shows, as JSON. Settings come straight from the settings
//! store, viewer counters from the RTSP engine's hubs and the HLS streams.

use serde_json::{Value, json};

use crate::hls::live::LiveStreams;
use crate::onvif::device::Identity;
use crate::settings::Settings;

/// Everything the status needs, gathered by the handler.
pub(crate) struct StatusInput<'a> {
    pub(crate) settings: &'a Settings,
    pub(crate) device: &'a Identity,
    pub(crate) live: &'a LiveStreams,
    /// The `Host` the browser used (URLs shown are built on it).
    pub(crate) host: &'a str,
    pub(crate) rtsp_port: u16,
}

/// The host name of a `Host` header value, without its port (`[v6]` kept in brackets).
pub(crate) fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

pub(crate) fn status(i: &StatusInput<'_>) -> Value {
    let s = i.settings;
    let host = i.host;
    let rtsp_host = host_name(host);
    let profiles: Vec<Value> = s
        .media
        .profiles
        .iter()
        .map(|p| {
            let encoder = p.video_encoder.as_deref().and_then(|t| s.encoder(t));
            let imaging = p
                .video_source
                .as_deref()
                .and_then(|t| s.media.video_sources.iter().find(|v| v.token == t))
                .and_then(|v| s.imaging(&crate::camera::source_token(v.source)));
            let hub = i.live.registry().get(&p.token);
            let stream = hub.as_ref().map(|h| {
                let m = h.metrics();
                json!({
                    "frames_in": m.frames_in,
                    "frames_lost_at_capture": m.frames_lost_at_capture,
                    "bytes_in": m.bytes_in,
                    "viewers": m.viewers,
                    "viewers_kicked": m.viewers_kicked,
                    "viewers_total": m.viewers_total,
                    // Capture to packets queued for every viewer, last 256 frames.
                    "latency_ms": {
                        "p50": m.latency.quantile(0.5).map(|d| d.as_secs_f64() * 1e3),
                        "p95": m.latency.quantile(0.95).map(|d| d.as_secs_f64() * 1e3),
                        "max": m.latency.quantile(1.0).map(|d| d.as_secs_f64() * 1e3),
                    },
                })
            });
            let viewers: Vec<Value> = hub
                .as_ref()
                .map(|h| h.viewer_metrics())
                .unwrap_or_default()
                .into_iter()
                .map(|v| {
                    json!({
                        "id": v.id,
                        "label": v.label,
                        "bytes": v.bytes,
                        "frames": v.frames,
                        "frames_direct": v.frames_direct,
                        "frames_dropped": v.frames_dropped,
                        "resyncs": v.resyncs,
                        "max_lag_ms": v.max_lag.as_millis() as u64,
                    })
                })
                .collect();
            let live = hub.is_some().then(|| i.live.get(&p.token)).flatten();
            let session = live.as_ref().and_then(|l| l.current());
            let (segments, window_bytes) = session.map_or((0, 0), |s| {
                let seg = s.segmenter();
                (seg.segments().len(), seg.bytes())
            });
            json!({
                "token": p.token,
                "name": p.name,
                "rtsp": format!("rtsp://{rtsp_host}:{}/{}", i.rtsp_port, p.token),
                "hls_url": format!("{}{}/index.m3u8", crate::hls::PREFIX, p.token),
                "encoder": encoder,
                "imaging": imaging,
                "stream": stream,
                "rtsp_viewers": viewers,
                "hls": {
                    "watchers": live.as_ref().map_or(0, |l| l.watchers()),
                    "running": window_bytes > 0,
                    "segments": segments,
                    "window_bytes": window_bytes,
                },
            })
        })
        .collect();
    let d = i.device;
    json!({
        "device": {
            "name": s.device.name,
            "location": s.device.location,
            "manufacturer": d.manufacturer,
            "model": d.model,
            "firmware": d.firmware_version,
            "serial": d.serial_number,
            "hardware": d.hardware_id,
        },
        "onvif": format!("http://{host}{}", crate::onvif::endpoint::DEVICE_PATH),
        "profiles": profiles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_name_drops_the_port() {
        assert_eq!(host_name("cam.local:8080"), "cam.local");
        assert_eq!(host_name("cam.local"), "cam.local");
        assert_eq!(host_name("[::1]:8080"), "[::1]");
        assert_eq!(host_name("[::1]"), "[::1]");
        assert_eq!(host_name("::1"), "::1");
    }
}
