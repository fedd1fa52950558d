//! The camera's encoder channels published as streams: one capture thread and one
//! [`StreamHub`] per encoder configuration, registered under the token of every profile that
//! uses it (so `rtsp://host/<profile token>` plays that profile's encoder).
//!
//! Channels encode from start to stop. On a real camera encoding is hardware and always on;
//! on the simulator it costs ~16% of one core for the default two channels (measured in
//! sdk-sys/README.md), the price of an instant first picture for every new viewer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::rtp::{RtpHub as StreamHub, RtpRegistry as StreamRegistry};
use crate::sdk::{Capture, EncoderChannel};
use crate::settings::{Settings, VideoEncoderConfig};
use crate::stream::{QueueLimits, StreamConfig};

/// The running streams. Dropping it stops the capture threads.
pub struct Streams {
    pub(crate) registry: Arc<StreamRegistry>,
    /// Encoder configuration token -> its hub.
    hubs: HashMap<String, Arc<StreamHub>>,
    captures: Vec<Capture>,
}

impl Streams {
    /// Starts one capture per encoder configuration of `settings`, on the SDK channel
    /// `channel` gives for its token (the camera's hardware, passed down so this layer does
    /// not reach up into the camera core that drives it).
    pub(crate) fn start(
        channel: impl Fn(&str) -> Option<Arc<EncoderChannel>>,
        settings: &Settings,
    ) -> anyhow::Result<Streams> {
        let registry = StreamRegistry::new();
        let mut hubs = HashMap::new();
        let mut captures = Vec::new();
        for enc in &settings.media.video_encoders {
            let hub = StreamHub::new(enc.token.clone(), stream_config(enc));
            let channel = channel(&enc.token)
                .with_context(|| format!("no encoder channel for {:?}", enc.token))?;
            let idr = channel.clone();
            hub.set_keyframe_source(Box::new(move || {
                // The hub asks from RTSP and HLS tasks: the SDK call (which may block) runs
                // on the blocking pool, never on their async worker.
                let idr = idr.clone();
                let request = move || {
                    if let Err(e) = idr.request_idr() {
                        tracing::warn!(%e, "keyframe request");
                    }
                };
                match tokio::runtime::Handle::try_current() {
                    Ok(rt) => drop(rt.spawn_blocking(request)),
                    Err(_) => request(),
                }
            }));
            let sink = hub.clone();
            let capture = Capture::start(
                channel,
                Box::new(move |frame| {
                    let pts = frame.pts;
                    sink.publish(frame, std::time::Instant::now());
                    sink.record_latency(crate::sdk::capture_clock_now().saturating_sub(pts));
                }),
            )
            .with_context(|| format!("starting encoder channel {}", enc.channel))?;
            captures.push(capture);
            hubs.insert(enc.token.clone(), hub);
        }
        let streams = Streams {
            registry,
            hubs,
            captures,
        };
        streams.sync_profiles(settings);
        Ok(streams)
    }

    /// The hub of an encoder configuration.
    pub(crate) fn hub(&self, encoder_token: &str) -> Option<&Arc<StreamHub>> {
        self.hubs.get(encoder_token)
    }

    /// Makes the RTSP paths match the profiles: `rtsp://host/<profile token>` for every
    /// profile with a video encoder configuration, nothing else. Called at start and after
    /// CreateProfile, DeleteProfile and Add/RemoveVideoEncoderConfiguration. Viewers already
    /// playing a path that goes away keep their session until they end it.
    pub(crate) fn sync_profiles(&self, settings: &Settings) {
        let mut wanted = HashMap::new();
        for profile in &settings.media.profiles {
            if let Some(hub) = profile
                .video_encoder
                .as_ref()
                .and_then(|e| self.hubs.get(e))
            {
                wanted.insert(profile.token.clone(), hub.clone());
            }
        }
        for name in self.registry.names() {
            if !wanted.contains_key(&name) {
                self.registry.unregister(&name);
            }
        }
        for (name, hub) in wanted {
            if !self
                .registry
                .get(&name)
                .is_some_and(|h| Arc::ptr_eq(&h, &hub))
            {
                self.registry.register(name, hub);
            }
        }
    }

    /// Brings an encoder configuration's hub in line with the configuration (frame rate in
    /// the SDP, multicast group, RTSP session timeout).
    pub(crate) fn apply_encoder(&self, enc: &VideoEncoderConfig) {
        if let Some(hub) = self.hubs.get(&enc.token) {
            let c = stream_config(enc);
            hub.set_framerate(c.framerate);
            hub.set_multicast(c.multicast);
            hub.set_session_timeout(c.session_timeout);
        }
    }
}

fn stream_config(enc: &VideoEncoderConfig) -> StreamConfig {
    StreamConfig {
        framerate: Some(f64::from(enc.fps)),
        limits: QueueLimits::default(),
        multicast: enc.multicast.group(),
        // ONVIF Media: SessionTimeout is "the rtsp session timeout for the related video
        // stream"; settings validation keeps it >= 1 s.
        session_timeout: Some(Duration::from_secs(u64::from(enc.session_timeout_secs))),
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        // Stop the producers first; the hubs then simply stop receiving frames.
        self.captures.clear();
    }
}
