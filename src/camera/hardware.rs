//! The hardware as the camera core sees it: the SDK, what it can do (encoder caps, sensors,
//! ISP ranges) and the encoder channels, with the settings model applied to them.
//!
//! At start the camera applies the stored settings, so a restart resumes what clients set.
//! Afterwards only the camera core (`camera::Core`) changes them, one transaction at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;

use crate::sdk::{
    AudioOutCaps, Codec, EncoderAttr, EncoderCaps, EncoderChannel, ErrorCode, GpioInfo, IspRange,
    OsdInfo, PtzInfo, Sdk, SdkVersion, VideoSourceInfo,
};
use crate::settings::{
    AudioOutputConfig, ImagingSettings, MotionSettings, Settings, VideoEncoderConfig,
};

use super::audio_limits::AudioLimits;
use super::caps::{Facts, NO_OSD, check_isp, check_ptz_position, ptz_head};
use super::tokens::{encoder_source, source_index, source_token};

/// The hardware as the rest of the daemon sees it.
pub struct Camera {
    sdk: Sdk,
    identity: SdkVersion,
    caps: EncoderCaps,
    sources: Vec<VideoSourceInfo>,
    isp_ranges: Vec<IspRange>,
    /// The PTZ head of each source (`caps::ptz_head`); None: none nvt can drive.
    ptz: Vec<Option<PtzInfo>>,
    /// The overlay unit of each source (`caps::NO_OSD` where it has none).
    osd: Vec<OsdInfo>,
    /// Held while OSD regions are set (`camera::osd`): a commit's redraw and the clock's
    /// tick never interleave.
    osd_lock: Mutex<()>,
    /// The board's relays and inputs ([`read_gpio`]).
    gpio: GpioInfo,
    /// The board's speakers ([`read_speaker`]).
    speaker: AudioOutCaps,
    /// What the microphone allows ([`read_audio`]).
    audio: AudioLimits,
    /// Encoder configuration token -> its SDK channel.
    channels: Mutex<HashMap<String, Arc<EncoderChannel>>>,
}

impl Camera {
    /// Reads the hardware: identity, encoder caps, sources, their ISP ranges and PTZ heads.
    /// Nothing is
    /// applied yet: the camera core completes the settings from these facts, then
    /// [`Camera::bring_up`] applies them (`Core::start_camera`).
    pub(crate) fn open(sdk: Sdk) -> anyhow::Result<Camera> {
        let identity = sdk.version().context("reading SDK identity")?;
        let caps = sdk.encoder_caps().context("reading encoder capabilities")?;
        let mut sources = Vec::new();
        let mut isp_ranges = Vec::new();
        let mut ptz = Vec::new();
        let mut osd = Vec::new();
        for vi in 0..identity.video_source_count {
            sources.push(
                sdk.video_source(vi)
                    .with_context(|| format!("reading video source {vi}"))?,
            );
            isp_ranges.push(
                sdk.isp_range(vi)
                    .with_context(|| format!("reading ISP ranges of source {vi}"))?,
            );
            ptz.push(read_ptz(&sdk, vi));
            osd.push(read_osd(&sdk, vi));
        }
        let gpio = read_gpio(&sdk);
        let speaker = read_speaker(&sdk);
        let audio = read_audio(&sdk);
        Ok(Camera {
            sdk,
            identity,
            caps,
            sources,
            isp_ranges,
            ptz,
            osd,
            osd_lock: Mutex::new(()),
            gpio,
            speaker,
            audio,
            channels: Mutex::new(HashMap::new()),
        })
    }

    /// Checks the (completed) settings against the hardware and applies them: imaging, and
    /// one encoder channel per encoder configuration. A setting the hardware cannot do (e.g.
    /// a resolution from another camera's file) is an error naming the setting.
    pub(crate) fn bring_up(&self, settings: &Settings) -> anyhow::Result<()> {
        self.check(settings)?;
        for imaging in &settings.imaging {
            self.apply_imaging(imaging)?;
        }
        for o in &settings.media.audio_outputs {
            self.apply_output_level(o)?;
        }
        for cfg in &settings.media.video_encoders {
            let attr = self.encoder_attr(settings, cfg);
            let chn = self
                .sdk
                .create_encoder(cfg.channel, &attr)
                .with_context(|| {
                    format!(
                        "creating encoder channel {} for configuration {:?}",
                        cfg.channel, cfg.token
                    )
                })?;
            self.lock_channels()
                .insert(cfg.token.clone(), Arc::new(chn));
        }
        Ok(())
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

    pub(crate) fn video_sources(&self) -> &[VideoSourceInfo] {
        &self.sources
    }

    pub fn isp_range(&self, vi: u32) -> Option<&IspRange> {
        self.isp_ranges.get(vi as usize)
    }

    /// What the hardware can do, for validating a change and for the options services
    /// report.
    pub(crate) fn facts(&self) -> Facts<'_> {
        Facts {
            caps: &self.caps,
            sources: &self.sources,
            isp_ranges: &self.isp_ranges,
            ptz: &self.ptz,
            osd: &self.osd,
            gpio: self.gpio,
            speaker: self.speaker,
            audio: &self.audio,
        }
    }

    /// Held while OSD regions are set (see the field).
    pub(crate) fn lock_osd(&self) -> std::sync::MutexGuard<'_, ()> {
        self.osd_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The SDK channel of an encoder configuration.
    pub fn channel(&self, encoder_token: &str) -> Option<Arc<EncoderChannel>> {
        self.lock_channels().get(encoder_token).cloned()
    }

    /// Stored settings against this hardware, with the rules a change is planned against
    /// (`camera::caps`): a file from another camera stops the start with a clear message.
    fn check(&self, settings: &Settings) -> anyhow::Result<()> {
        let facts = self.facts();
        for cfg in &settings.media.video_encoders {
            let vi = encoder_source(settings, &cfg.token);
            let limits = facts
                .encoder_limits(vi)
                .with_context(|| format!("no video source {vi}"))?;
            limits
                .check(cfg)
                .map_err(|e| anyhow::anyhow!("video encoder configuration {:?}: {e}", cfg.token))?;
        }
        for imaging in &settings.imaging {
            let vi = source_index(&imaging.source_token)?;
            let range = self
                .isp_range(vi)
                .with_context(|| format!("no video source {vi}"))?;
            check_isp(range, &imaging.isp).map_err(|e| {
                anyhow::anyhow!("imaging settings of {:?}: {e}", imaging.source_token)
            })?;
        }
        for node in &settings.ptz_nodes {
            let Some(head) = facts.ptz(node.source) else {
                // Kept, not refused: a head that stopped answering must not stop the camera.
                // Without a head no PTZ service is offered, so the node is not reachable.
                tracing::warn!(
                    node = %node.token,
                    source = node.source,
                    "stored PTZ node on a video source without a PTZ head: not offered"
                );
                continue;
            };
            let stored = node.home.iter().map(|p| ("home".to_owned(), *p)).chain(
                node.presets
                    .iter()
                    .map(|p| (format!("preset {:?}", p.token), p.position)),
            );
            for (what, position) in stored {
                check_ptz_position(head, position)
                    .map_err(|e| anyhow::anyhow!("PTZ node {:?}, {what}: {e}", node.token))?;
            }
        }
        Ok(())
    }

    /// The SDK attributes of an encoder configuration (checked by the plan, or at start).
    pub(crate) fn encoder_attr(
        &self,
        settings: &Settings,
        cfg: &VideoEncoderConfig,
    ) -> EncoderAttr {
        EncoderAttr {
            vi: encoder_source(settings, &cfg.token),
            codec: Codec::H264,
            width: cfg.width,
            height: cfg.height,
            fps: cfg.fps,
            rc: cfg.rate_control,
            bitrate_kbps: cfg.bitrate_kbps,
            gop: cfg.gop,
            profile: cfg.h264_profile,
            qp: quality_to_qp(cfg.quality, self.caps.qp),
        }
    }

    /// Pushes imaging settings (ISP and motion detection, checked by the plan or at start)
    /// to their video source.
    pub(crate) fn apply_imaging(&self, imaging: &ImagingSettings) -> anyhow::Result<()> {
        let vi = source_index(&imaging.source_token)?;
        self.sdk.set_isp_attr(vi, &imaging.isp)?;
        let mut md = self.sdk.motion_attr(vi)?;
        md.enabled = imaging.motion.enabled;
        md.sensitivity = imaging.motion.sensitivity;
        self.sdk.set_motion_attr(vi, &md)?;
        Ok(())
    }

    /// An audio output configuration's OutputLevel as its speaker's volume (a speaker the
    /// board does not have is skipped: the configuration is kept, not offered).
    pub(crate) fn apply_output_level(&self, o: &AudioOutputConfig) -> anyhow::Result<()> {
        if o.output < self.speaker.outputs {
            (self.sdk.set_audio_out_volume(o.output, o.output_level))
                .with_context(|| format!("volume of audio output {}", o.output))?;
        }
        Ok(())
    }

    /// The SDK's own imaging settings of every source `settings` has none for (so they are
    /// within any port's ranges).
    pub(crate) fn sdk_imaging_defaults(
        &self,
        settings: &Settings,
    ) -> anyhow::Result<Vec<ImagingSettings>> {
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
        Ok(missing)
    }

    fn lock_channels(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<EncoderChannel>>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The PTZ head of source `vi`, if nvt can drive it. A port that cannot say (an error other
/// than NOT_SUPPORTED) costs the PTZ service, not the camera: logged, no head.
fn read_ptz(sdk: &Sdk, vi: u32) -> Option<PtzInfo> {
    let reason = match sdk.ptz_info(vi) {
        Ok(info) if !info.supported => return None,
        Ok(info) => match ptz_head(info) {
            Ok(head) => return Some(head),
            Err(reason) => reason,
        },
        Err(e) if e.code == ErrorCode::NotSupported => return None,
        Err(e) => e.to_string(),
    };
    tracing::warn!(vi, %reason, "PTZ disabled");
    None
}

/// The overlay unit of source `vi`. A port without one (NOT_SUPPORTED, or a contract
/// before version 4) or that cannot say costs the OSD, not the camera: no regions.
fn read_osd(sdk: &Sdk, vi: u32) -> OsdInfo {
    match sdk.osd_info(vi) {
        Ok(info) => info,
        Err(e) => {
            if e.code != ErrorCode::NotSupported {
                tracing::warn!(vi, error = %e, "OSD disabled");
            }
            NO_OSD
        }
    }
}

/// The board's relays and inputs. A port that cannot say (an error other than
/// NOT_SUPPORTED) costs the relays and inputs, not the camera: logged, none.
/// The board's speakers; a port that cannot say has none (the back channel and the audio
/// output configurations are then not offered).
fn read_speaker(sdk: &Sdk) -> AudioOutCaps {
    match sdk.audio_out_caps() {
        Ok(caps) => caps,
        Err(e) => {
            if e.code != ErrorCode::NotSupported {
                tracing::warn!(error = %e, "audio outputs disabled");
            }
            AudioOutCaps::NONE
        }
    }
}

fn read_gpio(sdk: &Sdk) -> GpioInfo {
    match sdk.gpio_info() {
        Ok(info) => info,
        Err(e) if e.code == ErrorCode::NotSupported => GpioInfo::NONE,
        Err(e) => {
            tracing::warn!(error = %e, "relays and digital inputs disabled");
            GpioInfo::NONE
        }
    }
}

/// What the microphone allows. A port without the AI block (NOT_SUPPORTED) or that cannot
/// say costs the audio, not the camera: logged, none.
fn read_audio(sdk: &Sdk) -> AudioLimits {
    match sdk.audio_caps() {
        Ok(caps) => AudioLimits::new(&caps),
        Err(e) => {
            if e.code != ErrorCode::NotSupported {
                tracing::warn!(error = %e, "audio inputs disabled");
            }
            AudioLimits::default()
        }
    }
}

/// ONVIF Quality (0 worst .. 10 best, [`super::caps::QUALITY_RANGE`]) to a quantiser in the SDK's range (lower is better).
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
