//! The map between the ONVIF tokens of the settings model and the SDK's indices: which
//! video source a token names, and which source an encoder configuration encodes. Pure
//! functions of the settings, used by the change planner and the hardware alike.

use anyhow::Context;

use crate::settings::Settings;

/// The SDK video source an encoder configuration encodes: that of the profile(s) it is in
/// (one sensor: source 0 when it is in none).
pub(crate) fn encoder_source(settings: &Settings, encoder_token: &str) -> u32 {
    settings
        .media
        .profiles
        .iter()
        .filter(|p| p.video_encoder.as_deref() == Some(encoder_token))
        .filter_map(|p| p.video_source.as_deref())
        .filter_map(|t| settings.media.video_sources.iter().find(|v| v.token == t))
        .map(|v| v.source)
        .next()
        .unwrap_or(0)
}

/// The ONVIF token of SDK video source `vi` (`vs0`, `vs1`, ...).
pub(crate) fn source_token(vi: u32) -> String {
    format!("vs{vi}")
}

/// The SDK video source index of an ONVIF video source token (inverse of [`source_token`]).
pub(crate) fn source_index(token: &str) -> anyhow::Result<u32> {
    token
        .strip_prefix("vs")
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("unknown video source token {token:?}"))
}

/// The token of the PTZ configuration nvt creates for the head of video source `vi`.
pub(crate) fn ptz_config_token(vi: u32) -> String {
    format!("ptz_{vi}")
}

/// The token of the PTZ node of the head of video source `vi`.
pub(crate) fn ptz_node_token(vi: u32) -> String {
    format!("ptz_node_{vi}")
}
