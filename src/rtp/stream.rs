//! RTP as the stream core's packing: each frame is packetized once, when it is published,
//! into one [`RtpFrame`] that every RTP viewer (TCP interleaved, UDP unicast, the multicast
//! sender) sends as it is: one SSRC and one sequence space for the stream, as a multicast
//! group would have (RFC 3550 s8), one allocation per frame whatever the number of viewers.

use crate::frame::Frame;
use crate::rtp::h264::{H264Packetizer, RtpFrame};
use crate::rtp::metadata::MetadataPacketizer;
use crate::rtp::rtcp::{SenderInfo, ntp_timestamp};
use crate::stream::{Packer, StreamHub, StreamRegistry, Unit, Viewer, ViewerWatch};

/// A camera stream as the daemon serves it: the stream core packing RTP.
pub type RtpHub = StreamHub<H264Packetizer>;
/// The daemon's streams by path.
pub type RtpRegistry = StreamRegistry<H264Packetizer>;
/// A profile's ONVIF metadata stream (`rtp::metadata`): documents fanned out as video is.
pub type MetadataHub = StreamHub<MetadataPacketizer>;
/// The metadata streams by path (the profile token, as the video's).
pub type MetadataRegistry = StreamRegistry<MetadataPacketizer>;
/// A profile's audio track (`rtp::audio`): the microphone's frames fanned out as video is.
pub type AudioHub = StreamHub<crate::rtp::audio::AudioPacketizer>;
/// The audio streams by path (the profile token, as the video's).
pub type AudioRegistry = StreamRegistry<crate::rtp::audio::AudioPacketizer>;
/// An RTP viewer's end of a hub (video or metadata: both pack into [`RtpFrame`]).
pub(crate) type RtpViewer = Viewer<RtpFrame>;
/// A look at where an RTP viewer starts (RTP-Info).
pub(crate) type RtpWatch = ViewerWatch<RtpFrame>;

impl Default for H264Packetizer {
    /// A random SSRC, sequence start and timestamp offset (RFC 3550 s5.1, s8).
    fn default() -> Self {
        H264Packetizer::new(rand::random(), rand::random(), rand::random())
    }
}

impl Packer for H264Packetizer {
    type Unit = RtpFrame;

    fn pack(&mut self, frame: &Frame) -> RtpFrame {
        self.packetize(frame)
    }
}

impl Unit for RtpFrame {
    fn is_keyframe(&self) -> bool {
        self.keyframe
    }

    fn size(&self) -> usize {
        self.bytes
    }

    fn cacheable(&self) -> bool {
        self.cacheable
    }

    fn pts(&self) -> Option<std::time::Duration> {
        Some(self.pts)
    }
}

impl RtpFrame {
    /// The sender report for the moment this frame was captured (RFC 3550 s6.4.1: NTP and
    /// RTP timestamps of the same instant, counts as of this frame).
    pub(crate) fn sender_info(&self) -> SenderInfo {
        SenderInfo {
            ssrc: self.ssrc,
            ntp: ntp_timestamp(self.wallclock),
            rtp_ts: self.rtp_ts,
            packet_count: self.packet_count,
            octet_count: self.octet_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use futures::FutureExt;

    use super::*;
    use crate::stream::{QueueLimits, StreamConfig};

    fn frame(i: u32, key: bool) -> Frame {
        crate::frame::test_frame(i, key, 3000)
    }

    fn hub(limits: QueueLimits) -> std::sync::Arc<RtpHub> {
        RtpHub::new(
            "main",
            StreamConfig {
                framerate: Some(25.0),
                limits,
                ..Default::default()
            },
        )
    }

    #[test]
    fn all_viewers_share_one_sequence_space_without_gaps() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        let a = h.subscribe("a", t0);
        let b = h.subscribe("b", t0);
        let ssrc = h.packer(|p| p.ssrc());
        let mut seqs = (Vec::new(), Vec::new());
        for i in 0..60 {
            h.publish(frame(i, i % 25 == 0), t0 + Duration::from_millis(40) * i);
            while let Some(f) = a.try_next().unwrap() {
                assert_eq!(f.ssrc, ssrc);
                seqs.0.push((f.first_seq, f.packets.len()));
                a.sent(f.bytes);
            }
            while let Some(f) = b.try_next().unwrap() {
                seqs.1.push((f.first_seq, f.packets.len()));
                b.sent(f.bytes);
            }
        }
        assert_eq!(seqs.0, seqs.1);
        for w in seqs.0.windows(2) {
            assert_eq!(w[0].0.wrapping_add(w[0].1 as u16), w[1].0, "no gap");
        }
        assert_eq!(a.metrics().frames_dropped, 0);
    }

    #[test]
    fn a_new_viewer_starts_at_the_cached_idr_named_by_its_watch() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        for i in 0..30 {
            h.publish(frame(i, i % 25 == 0), t0);
        }
        let v = h.subscribe("a", t0);
        let watched = v.watch().first().now_or_never().flatten().unwrap();
        let first = v.try_next().unwrap().unwrap();
        assert!(first.keyframe);
        assert_eq!(
            (watched.first_seq, watched.rtp_ts),
            (first.first_seq, first.rtp_ts),
            "RTP-Info names the first packet sent"
        );
    }

    #[test]
    fn a_slow_viewer_resumes_contiguous_from_an_idr() {
        let t0 = Instant::now();
        let h = hub(QueueLimits {
            max_bytes: 6000,
            max_age: Duration::from_secs(60),
            lag_bound: Duration::from_secs(60),
        });
        let slow = h.subscribe("slow", t0);
        for i in 0..45 {
            h.publish(frame(i, i % 10 == 0), t0);
        }
        assert!(slow.metrics().resyncs >= 1);
        let first = slow.try_next().unwrap().unwrap();
        assert!(first.keyframe);
        let mut next = first.first_seq.wrapping_add(first.packets.len() as u16);
        while let Some(f) = slow.try_next().unwrap() {
            assert_eq!(f.first_seq, next);
            next = f.first_seq.wrapping_add(f.packets.len() as u16);
        }
    }
}
