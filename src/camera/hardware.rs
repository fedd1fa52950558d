//! The hardware as the camera core sees it: the SDK, what it can do (encoder caps, sensors,
//! ISP ranges) and the encoder channels, with the settings model applied to them.
//!
//! At start the camera applies the stored settings, so a restart resumes what clients set.
//! Afterwards only the camera core (`camera::Core`) changes them, one transaction at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;

use crate::sdk::{
    Codec, EncoderAttr, EncoderCaps, EncoderChannel, IspRange, Sdk, SdkVersion, VideoSourceInfo,
};
use crate::settings::{
    ImagingSettings, MotionSettings, Settings, SettingsStore, VideoEncoderConfig,
};

/// The hardware as the rest of the daemon sees it.
pub struct Camera {
    sdk: Sdk,
    identity: SdkVersion,
    caps: EncoderCaps,
    sources: Vec<VideoSourceInfo>,
    isp_ranges: Vec<IspRange>,
    /// Encoder configuration token -> its SDK channel.
    channels: Mutex<HashMap<String, Arc<EncoderChannel>>>,
}

impl Camera {
    /// Reads the hardware, completes the settings with the SDK's defaults where they have
    /// none (imaging at first start), and applies them. Settings the hardware cannot do
    /// (e.g. a resolution from another camera's file) are an error naming the setting, except
    /// at first start, when the built-in default encoder configurations are first fitted to
    /// the hardware (a replayed recording, or a sensor without the default sizes).
    pub fn start(sdk: Sdk, store: &SettingsStore, first_start: bool) -> anyhow::Result<Camera> {
        let identity = sdk.version().context("reading SDK identity")?;
        let caps = sdk.encoder_caps().context("reading encoder capabilities")?;
        let mut sources = Vec::new();
        let mut isp_ranges = Vec::new();
        for vi in 0..identity.video_source_count {
            sources.push(
                sdk.video_source(vi)
                    .with_context(|| format!("reading video source {vi}"))?,
            );
            isp_ranges.push(
                sdk.isp_range(vi)
                    .with_context(|| format!("reading ISP ranges of source {vi}"))?,
            );
        }
        let camera = Camera {
            sdk,
            identity,
            caps,
            sources,
            isp_ranges,
            channels: Mutex::new(HashMap::new()),
        };
        camera.complete_imaging(store)?;
        if first_start {
            camera.fit_default_encoders(store)?;
        }
        let settings = store.get();
        for imaging in &settings.imaging {
            camera.apply_imaging(imaging)?;
        }
        for cfg in &settings.media.video_encoders {
            let attr = camera.encoder_attr(&settings, cfg)?;
            let chn = camera
                .sdk
                .create_encoder(cfg.channel, &attr)
                .with_context(|| {
                    format!(
                        "creating encoder channel {} for configuration {:?}",
                        cfg.channel, cfg.token
                    )
                })?;
            camera
                .lock_channels()
                .insert(cfg.token.clone(), Arc::new(chn));
        }
        Ok(camera)
    }

    pub fn sdk(&self) -> &Sdk {
        &self.sdk
    }

    pub fn identity(&self) -> &SdkVersion {
        &self.identity
    }

    pub fn encoder_caps(&self) -> &EncoderCaps {
        &self.caps
    }

    pub fn video_sources(&self) -> &[VideoSourceInfo] {
        &self.sources
    }

    pub fn isp_range(&self, vi: u32) -> Option<&IspRange> {
        self.isp_ranges.get(vi as usize)
    }

    /// What the hardware can do, for validating a change.
    pub fn facts(&self) -> Facts<'_> {
        Facts {
            caps: &self.caps,
            sources: &self.sources,
            isp_ranges: &self.isp_ranges,
        }
    }

    /// The SDK channel of an encoder configuration.
    pub fn channel(&self, encoder_token: &str) -> Option<Arc<EncoderChannel>> {
        self.lock_channels().get(encoder_token).cloned()
    }

    /// The SDK attributes an encoder configuration asks for, checked against the caps.
    pub fn encoder_attr(
        &self,
        settings: &Settings,
        cfg: &VideoEncoderConfig,
    ) -> anyhow::Result<EncoderAttr> {
        let vi = encoder_source(settings, &cfg.token);
        let attr = EncoderAttr {
            vi,
            codec: Codec::H264,
            width: cfg.width,
            height: cfg.height,
            fps: cfg.fps,
            rc: cfg.rate_control,
            bitrate_kbps: cfg.bitrate_kbps,
            gop: cfg.gop,
            profile: cfg.h264_profile,
            qp: quality_to_qp(cfg.quality, self.caps.qp),
        };
        self.caps
            .check(&attr)
            .map_err(|e| anyhow::anyhow!("video encoder configuration {:?}: {e}", cfg.token))?;
        Ok(attr)
    }

    /// Pushes imaging settings (ISP and motion detection) to their video source.
    pub fn apply_imaging(&self, imaging: &ImagingSettings) -> anyhow::Result<()> {
        let vi = source_index(&imaging.source_token)?;
        let range = self
            .isp_range(vi)
            .with_context(|| format!("no video source {vi}"))?;
        range
            .check(&imaging.isp)
            .map_err(|e| anyhow::anyhow!("imaging settings of {:?}: {e}", imaging.source_token))?;
        self.sdk.set_isp_attr(vi, &imaging.isp)?;
        let mut md = self.sdk.motion_attr(vi)?;
        md.enabled = imaging.motion.enabled;
        md.sensitivity = imaging.motion.sensitivity;
        self.sdk.set_motion_attr(vi, &md)?;
        Ok(())
    }

    fn complete_imaging(&self, store: &SettingsStore) -> anyhow::Result<()> {
        let settings = store.get();
        let mut missing = Vec::new();
        for (vi, _) in self.sources.iter().enumerate() {
            let token = source_token(vi as u32);
            if settings.imaging(&token).is_none() {
                let isp = self.sdk.isp_attr(vi as u32)?;
                let md = self.sdk.motion_attr(vi as u32)?;
                let motion = MotionSettings {
                    enabled: md.enabled,
                    sensitivity: md.sensitivity,
                    ..MotionSettings::default()
                };
                missing.push(ImagingSettings {
                    source_token: token,
                    isp,
                    motion,
                });
            }
        }
        if !missing.is_empty() {
            store
                .update(|s| {
                    s.imaging.extend(missing);
                    Ok(())
                })
                .context("saving default imaging settings")?;
        }
        Ok(())
    }

    /// Fits the default encoder configurations to the encoder's caps and saves them: a size
    /// the hardware lacks becomes the largest it has that is no larger (else its smallest),
    /// numbers are clamped to their ranges, a profile or rate control it lacks becomes its
    /// first. Configurations the hardware can do are left exactly as they are.
    fn fit_default_encoders(&self, store: &SettingsStore) -> anyhow::Result<()> {
        let caps = &self.caps;
        let clamp = |v: u32, (lo, hi): (u32, u32)| v.clamp(lo, hi.max(lo));
        let settings = store.get();
        let mut fitted = settings.media.video_encoders.clone();
        let mut changed = false;
        for cfg in &mut fitted {
            if self.encoder_attr(&settings, cfg).is_ok() {
                continue;
            }
            let area = cfg.width * cfg.height;
            if !caps.resolutions.contains(&(cfg.width, cfg.height))
                && let Some(&(w, h)) = caps
                    .resolutions
                    .iter()
                    .find(|(w, h)| w * h <= area)
                    .or(caps.resolutions.last())
            {
                (cfg.width, cfg.height) = (w, h);
            }
            cfg.fps = clamp(cfg.fps, caps.fps);
            cfg.bitrate_kbps = clamp(cfg.bitrate_kbps, caps.bitrate_kbps);
            cfg.gop = clamp(cfg.gop, caps.gop);
            if !caps.h264_profiles.contains(&cfg.h264_profile)
                && let Some(&p) = caps.h264_profiles.first()
            {
                cfg.h264_profile = p;
            }
            if !caps.rc_modes.contains(&cfg.rate_control)
                && let Some(&rc) = caps.rc_modes.first()
            {
                cfg.rate_control = rc;
            }
            tracing::info!(
                token = %cfg.token,
                width = cfg.width,
                height = cfg.height,
                fps = cfg.fps,
                bitrate_kbps = cfg.bitrate_kbps,
                "default encoder configuration fitted to the hardware"
            );
            changed = true;
        }
        if changed {
            store
                .update(|s| {
                    s.media.video_encoders = fitted;
                    Ok(())
                })
                .context("saving the fitted encoder configurations")?;
        }
        Ok(())
    }

    fn lock_channels(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<EncoderChannel>>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the hardware can do: the facts a change is validated against (once, in
/// `camera::change::plan`).
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub caps: &'a EncoderCaps,
    pub sources: &'a [VideoSourceInfo],
    pub isp_ranges: &'a [IspRange],
}

/// ONVIF Quality range (0 worst .. 10 best), mapped onto the quantiser by [`quality_to_qp`].
pub const QUALITY_RANGE: (u32, u32) = (0, 10);

/// Resolutions the encoder can produce from this source: the SDK's list, without sizes
/// larger than the sensor (an encoder does not upscale).
pub fn resolutions(caps: &EncoderCaps, source: &VideoSourceInfo) -> Vec<(u32, u32)> {
    caps.resolutions
        .iter()
        .copied()
        .filter(|&(w, h)| w <= source.width && h <= source.height)
        .collect()
}

/// Frame rates the encoder can produce from this source.
pub fn frame_rates(caps: &EncoderCaps, source: &VideoSourceInfo) -> (u32, u32) {
    let max = caps.fps.1.min(source.max_fps.max(caps.fps.0));
    (caps.fps.0, max)
}

/// The SDK video source an encoder configuration encodes: that of the profile(s) it is in
/// (one sensor: source 0 when it is in none).
pub fn encoder_source(settings: &Settings, encoder_token: &str) -> u32 {
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
pub fn source_token(vi: u32) -> String {
    format!("vs{vi}")
}

/// The SDK video source index of an ONVIF video source token (inverse of [`source_token`]).
pub fn source_index(token: &str) -> anyhow::Result<u32> {
    token
        .strip_prefix("vs")
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("unknown video source token {token:?}"))
}

/// ONVIF Quality (0 worst .. 10 best, [`QUALITY_RANGE`]) to a quantiser in the SDK's range (lower is better).
fn quality_to_qp(quality: u32, (qp_min, qp_max): (u32, u32)) -> u32 {
    let q = quality.min(10);
    qp_max - (qp_max - qp_min) * q / 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_maps_onto_the_qp_range_inverted() {
        assert_eq!(quality_to_qp(0, (10, 50)), 50);
        assert_eq!(quality_to_qp(10, (10, 50)), 10);
        assert_eq!(quality_to_qp(5, (10, 50)), 30);
        assert_eq!(quality_to_qp(99, (10, 50)), 10);
    }
}
