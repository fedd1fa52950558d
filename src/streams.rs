//! The camera's encoder channels published as streams: one capture thread and one
//! [`StreamHub`] per encoder configuration, registered under the token of every profile that
//! uses it (so `rtsp://host/<profile token>` plays that profile's encoder).
//!
//! Channels encode from start to stop. On a real camera encoding is hardware and always on;
//! on the simulator it costs ~16% of one core for the default two channels (measured in
//! sdk-sys/README.md), the price of an instant first picture for every new viewer.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use anyhow::Context;

use crate::camera::Camera;
use crate::sdk::Capture;
use crate::settings::{Settings, VideoEncoderConfig};
use crate::stream_hub::{MulticastConfig, QueueLimits, StreamConfig, StreamHub, StreamRegistry};

/// The running streams. Dropping it stops the capture threads.
pub struct Streams {
    pub registry: Arc<StreamRegistry>,
    captures: Vec<Capture>,
}

impl Streams {
    pub fn start(camera: &Camera, settings: &Settings) -> anyhow::Result<Streams> {
        let registry = StreamRegistry::new();
        let mut hubs = HashMap::new();
        let mut captures = Vec::new();
        for enc in &settings.media.video_encoders {
            let hub = StreamHub::new(enc.token.clone(), stream_config(enc));
            let channel = camera
                .channel(&enc.token)
                .with_context(|| format!("no encoder channel for {:?}", enc.token))?;
            let sink = hub.clone();
            let capture = Capture::start(channel, Box::new(move |frame| sink.publish(frame)))
                .with_context(|| format!("starting encoder channel {}", enc.channel))?;
            captures.push(capture);
            hubs.insert(enc.token.clone(), hub);
        }
        for profile in &settings.media.profiles {
            if let Some(hub) = profile.video_encoder.as_ref().and_then(|e| hubs.get(e)) {
                registry.register(profile.token.clone(), hub.clone());
            }
        }
        Ok(Streams { registry, captures })
    }
}

fn stream_config(enc: &VideoEncoderConfig) -> StreamConfig {
    // Settings validation guarantees a multicast address; only IPv4 groups are served.
    let multicast = enc
        .multicast
        .address
        .parse::<Ipv4Addr>()
        .ok()
        .map(|group| MulticastConfig {
            group,
            port: enc.multicast.port,
            ttl: enc.multicast.ttl,
        });
    StreamConfig {
        framerate: Some(f64::from(enc.fps)),
        limits: QueueLimits::default(),
        multicast,
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        // Stop the producers first; the hubs then simply stop receiving frames.
        self.captures.clear();
    }
}
