//! The microphone published as the profiles' audio tracks: one SDK audio channel, capture
//! thread and [`AudioHub`] per audio encoder configuration that a profile uses, registered
//! under the token of every such profile (`rtsp://host/<profile token>`, `trackID=2`).
//!
//! Nothing captures sound unless a profile names an audio encoder configuration: none does
//! by default (docs/settings.md, "Audio"), so the default camera has no channel open on its
//! microphone at all. [`AudioStreams::sync`] follows the profiles at start and after every
//! committed change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::rtp::aac::AacConfig;
use crate::rtp::audio::{AudioFormat, AudioPacketizer};
use crate::rtp::{AudioHub, AudioRegistry};
use crate::sdk::{AudioAttr, AudioCapture, AudioCodec, Sdk};
use crate::settings::{AudioEncoderConfig, AudioEncoding, Settings};
use crate::stream::{QueueLimits, StreamConfig};

/// One running audio encoder configuration.
struct Running {
    config: AudioEncoderConfig,
    hub: Arc<AudioHub>,
    _capture: AudioCapture,
}

/// The running audio tracks. Dropping it stops the capture threads.
pub struct AudioStreams {
    sdk: Sdk,
    registry: Arc<AudioRegistry>,
    /// Audio encoder configuration token -> its capture and hub.
    running: Mutex<HashMap<String, Running>>,
}

impl AudioStreams {
    pub(crate) fn new(sdk: Sdk) -> AudioStreams {
        AudioStreams {
            sdk,
            registry: AudioRegistry::new(),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// The audio tracks by profile token, for the RTSP server.
    pub(crate) fn registry(&self) -> Arc<AudioRegistry> {
        self.registry.clone()
    }

    /// Makes the captures and the RTSP audio tracks match the profiles: a capture per audio
    /// encoder configuration some profile names (with video or alone: Media2's profile of
    /// only audio configurations streams audio alone), stopped when none does.
    /// Failures (no microphone, a codec the SDK lacks) are logged and leave that profile
    /// without audio; the video is never affected.
    pub(crate) fn sync(&self, settings: &Settings) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let mut wanted: HashMap<String, Vec<String>> = HashMap::new();
        for p in &settings.media.profiles {
            if let Some(enc) = &p.audio_encoder {
                wanted.entry(enc.clone()).or_default().push(p.token.clone());
            }
        }
        // Stop what is no longer wanted or changed.
        running.retain(|token, r| {
            settings.audio_encoder(token) == Some(&r.config) && wanted.contains_key(token)
        });
        for token in wanted.keys() {
            if running.contains_key(token) {
                continue;
            }
            let Some(config) = settings.audio_encoder(token) else {
                continue;
            };
            match self.start(config) {
                Ok(r) => {
                    tracing::info!(encoder = %token, encoding = ?config.encoding, "audio capture started");
                    running.insert(token.clone(), r);
                }
                Err(e) => {
                    tracing::warn!(encoder = %token, error = %e, "no audio for this configuration")
                }
            }
        }
        let mut paths: HashMap<String, Arc<AudioHub>> = HashMap::new();
        for (token, profiles) in &wanted {
            if let Some(r) = running.get(token) {
                r.hub.keep_recent(recent_span(settings, profiles));
                for p in profiles {
                    paths.insert(p.clone(), r.hub.clone());
                }
            }
        }
        for name in self.registry.names() {
            if !paths.contains_key(&name) {
                self.registry.unregister(&name);
            }
        }
        for (name, hub) in paths {
            if !self
                .registry
                .get(&name)
                .is_some_and(|h| Arc::ptr_eq(&h, &hub))
            {
                self.registry.register(name, hub);
            }
        }
    }

    fn start(&self, config: &AudioEncoderConfig) -> anyhow::Result<Running> {
        let caps = self.sdk.audio_caps()?;
        anyhow::ensure!(caps.inputs > 0, "the camera has no microphone");
        let (codec, format, frame_samples) = match config.encoding {
            AudioEncoding::Pcmu => (AudioCodec::G711Ulaw, AudioFormat::Pcmu, 160),
            AudioEncoding::Pcma => (AudioCodec::G711Alaw, AudioFormat::Pcma, 160),
            AudioEncoding::Aac => (
                AudioCodec::AacLc,
                AudioFormat::Aac(AacConfig {
                    sample_rate: config.sample_rate_hz,
                    channels: 1,
                }),
                1024,
            ),
        };
        anyhow::ensure!(
            caps.codecs.contains(&codec),
            "the SDK does not encode {codec:?} (it offers {:?})",
            caps.codecs
        );
        let attr = AudioAttr {
            codec,
            sample_rate: format.clock_rate(),
            bitrate_kbps: config.bitrate_kbps,
            frame_samples,
            ..AudioAttr::g711(codec)
        };
        let channel = Arc::new(self.sdk.create_audio(config.channel, &attr)?);
        // Named apart from the video hubs: the RTSP server keys group senders by hub name.
        let hub = AudioHub::with_packer(
            format!("{} audio", config.token),
            StreamConfig {
                framerate: None,
                limits: QueueLimits::default(),
                // RTSP multicast SETUP and StartMulticastStreaming send the track to the
                // configuration's own group.
                multicast: config.multicast.group(),
                session_timeout: Some(std::time::Duration::from_secs(u64::from(
                    config.session_timeout_secs,
                ))),
            },
            AudioPacketizer::new(format),
        );
        let sink = hub.clone();
        let capture = AudioCapture::start(
            channel,
            Box::new(move |frame| sink.publish(frame, std::time::Instant::now())),
        )?;
        Ok(Running {
            config: config.clone(),
            hub,
            _capture: capture,
        })
    }
}

/// Margin over a GOP kept of audio: the cached GOP is a GOP plus a frame interval old at
/// most, on an encoder that keeps up; a loaded one publishes late, so its IDR is older
/// against the audio (tests/rtsp_audio.rs saw the cached IDR 3.9 s before the PLAY with a
/// 2 s GOP, load average 15 on 2 cores). 300 G.711 frames at the default GOP: ~110 KB.
const RECENT_MARGIN: Duration = Duration::from_secs(4);
/// The most audio kept for late viewers, whatever the GOP (`stream::recent` bounds the
/// count too).
const MAX_RECENT: Duration = Duration::from_secs(15);

/// How much audio a hub keeps so a new viewer's sound starts with its picture, at the
/// cached IDR (`StreamHub::subscribe_from`): the longest GOP of the video encoders of the
/// `profiles` it plays in, plus [`RECENT_MARGIN`], at most [`MAX_RECENT`].
fn recent_span(settings: &Settings, profiles: &[String]) -> Duration {
    let gop = profiles
        .iter()
        .filter_map(|p| settings.profile(p)?.video_encoder.as_deref())
        .filter_map(|e| settings.encoder(e))
        .map(|e| Duration::from_secs_f64(f64::from(e.gop) / f64::from(e.fps.max(1))))
        .max()
        .unwrap_or_default();
    (gop + RECENT_MARGIN).min(MAX_RECENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_kept_for_the_longest_gop_it_plays_beside() {
        let mut s = Settings::default();
        let profiles = vec!["main".to_owned(), "sub".to_owned()];
        // main: 50 frames at 25 fps, sub: 30 at 15 fps, both 2 s.
        assert_eq!(recent_span(&s, &profiles), Duration::from_secs(6));
        s.media.video_encoders[1].gop = 60;
        assert_eq!(recent_span(&s, &profiles), Duration::from_secs(8));
        s.media.video_encoders[1].gop = 6000;
        assert_eq!(recent_span(&s, &profiles), MAX_RECENT);
        assert_eq!(recent_span(&s, &[]), RECENT_MARGIN);
    }
}
