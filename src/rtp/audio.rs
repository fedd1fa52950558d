//! An audio track's RTP stream, sans-IO: what every audio payload format shares (SSRC,
//! sequence space, timestamps on the codec's clock, sender report counts) and the
//! [`AudioPacketizer`] the stream core packs with. The payloads themselves are one file per
//! format: `g711` (RFC 3551 PCMU/PCMA) and `aac` (RFC 3640 AAC-hbr).
//!
//! Timestamps come from the capture PTS on the sample clock (RFC 3550 s5.1: "the sampling
//! instant of the first octet"), the same capture clock the video's 90 kHz timestamps come
//! from; sender reports map both to the wall clock (s6.4.1), which is how a receiver lines
//! audio up with video.

use std::time::{Duration, SystemTime};

use bytes::BufMut;

use super::h264::{RTP_HEADER_LEN, RtpFrame};
use super::pacing::RateMeter;
use super::wire::PacketWriter;
use crate::frame::Frame;
use crate::stream::Packer;

/// The payload format of an audio track.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioFormat {
    /// G.711 µ-law, static payload type 0 (RFC 3551 s4.5.14, Table 4).
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// AAC-LC per RFC 3640 `mpeg4-generic`, mode AAC-hbr, with its AudioSpecificConfig.
    Aac(super::aac::AacConfig),
}

impl AudioFormat {
    /// The RTP payload type: static for G.711 (RFC 3551 s6), dynamic for AAC.
    pub(crate) fn payload_type(&self) -> u8 {
        match self {
            AudioFormat::Pcmu => super::g711::PCMU,
            AudioFormat::Pcma => super::g711::PCMA,
            AudioFormat::Aac(_) => super::aac::PAYLOAD_TYPE,
        }
    }

    /// The RTP clock rate: the sampling rate (RFC 3551 s4.5.14: 8000 for G.711; RFC 3640
    /// s3.2.3.1 for AAC).
    pub(crate) fn clock_rate(&self) -> u32 {
        match self {
            AudioFormat::Pcmu | AudioFormat::Pcma => super::g711::CLOCK_RATE,
            AudioFormat::Aac(c) => c.sample_rate,
        }
    }

    /// The SDP lines after `m=audio`: `a=rtpmap` (and `a=fmtp` where the format has
    /// parameters), each ending in CRLF.
    pub(crate) fn sdp_attributes(&self) -> String {
        match self {
            AudioFormat::Pcmu => format!("a=rtpmap:{} PCMU/8000\r\n", super::g711::PCMU),
            AudioFormat::Pcma => format!("a=rtpmap:{} PCMA/8000\r\n", super::g711::PCMA),
            AudioFormat::Aac(c) => c.sdp_attributes(),
        }
    }
}

/// The stream-wide state of an audio RTP stream, one for every viewer (as video's).
#[derive(Debug)]
pub struct AudioPacketizer {
    format: AudioFormat,
    ssrc: u32,
    next_seq: u16,
    ts_offset: u32,
    packet_count: u32,
    octet_count: u32,
    rate: RateMeter,
}

impl AudioPacketizer {
    /// A packetizer with random SSRC, sequence start and timestamp offset (RFC 3550 s5.1).
    pub fn new(format: AudioFormat) -> Self {
        Self::with_state(format, rand::random(), rand::random(), rand::random())
    }

    pub(crate) fn with_state(format: AudioFormat, ssrc: u32, seq: u16, ts_offset: u32) -> Self {
        Self {
            format,
            ssrc,
            next_seq: seq,
            ts_offset,
            packet_count: 0,
            octet_count: 0,
            rate: RateMeter::new(),
        }
    }

    pub(crate) fn format(&self) -> AudioFormat {
        self.format
    }

    pub(crate) fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The RTP timestamp of a time on the capture clock, at the format's clock rate.
    pub(crate) fn rtp_timestamp(&self, pts: Duration) -> u32 {
        let ticks = pts.as_nanos() * u128::from(self.format.clock_rate()) / 1_000_000_000;
        (ticks as u32).wrapping_add(self.ts_offset)
    }

    /// Packetizes one encoded audio frame captured at `pts`.
    pub(crate) fn packetize(
        &mut self,
        data: &[u8],
        pts: Duration,
        wallclock: SystemTime,
    ) -> RtpFrame {
        let rtp_ts = self.rtp_timestamp(pts);
        // (timestamp, marker, payload) of each packet.
        let payloads: Vec<(u32, bool, Vec<u8>)> = match self.format {
            // Marker 0: audio sent without silence suppression "MUST set the marker bit to
            // zero" (RFC 3551 s4.1).
            AudioFormat::Pcmu | AudioFormat::Pcma => super::g711::payloads(data)
                .into_iter()
                .map(|(offset, p)| (rtp_ts.wrapping_add(offset), false, p))
                .collect(),
            // RFC 3640 s3.2.1: the marker ends an access unit.
            AudioFormat::Aac(_) => super::aac::payloads(data)
                .into_iter()
                .map(|(p, marker)| (rtp_ts, marker, p))
                .collect(),
        };
        let first_seq = self.next_seq;
        let pt = self.format.payload_type();
        let total: usize = payloads.iter().map(|p| p.2.len() + RTP_HEADER_LEN).sum();
        let mut buf = PacketWriter::with_capacity(total, payloads.len());
        for (ts, marker, p) in &payloads {
            // RFC 3550 s5.1: V=2, no padding, extension or CSRC.
            buf.begin();
            buf.put_u8(0x80);
            buf.put_u8((u8::from(*marker) << 7) | pt);
            buf.put_u16(self.next_seq);
            buf.put_u32(*ts);
            buf.put_u32(self.ssrc);
            buf.extend_from_slice(p);
            self.next_seq = self.next_seq.wrapping_add(1);
        }
        let (wire, packets, bytes) = buf.finish((&mut self.packet_count, &mut self.octet_count));
        RtpFrame {
            ssrc: self.ssrc,
            packets,
            wire,
            first_seq,
            rtp_ts,
            // Every audio frame decodes on its own: a viewer may start at any.
            keyframe: true,
            // A new viewer starts with live audio, not a stale frame from the cache.
            cacheable: false,
            pts,
            wallclock,
            bytes,
            packet_count: self.packet_count,
            octet_count: self.octet_count,
            stream_rate: self.rate.observe(pts, bytes),
        }
    }
}

impl Packer for AudioPacketizer {
    type Unit = RtpFrame;

    /// An audio frame is a [`Frame`] whose one unit is the encoded frame
    /// (`crate::sdk::AudioCapture`).
    fn pack(&mut self, frame: &Frame) -> RtpFrame {
        let data = frame.nals.first().map_or(&[][..], |d| &d[..]);
        self.packetize(data, frame.pts, frame.wallclock)
    }
}

impl Default for AudioPacketizer {
    fn default() -> Self {
        Self::new(AudioFormat::Pcmu)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn pcmu_is_one_packet_per_frame_on_the_8khz_clock() {
        let mut p = AudioPacketizer::with_state(AudioFormat::Pcmu, 0x1234_5678, 65535, 1000);
        let t0 = Duration::from_secs(10);
        let a = p.packetize(&[0xFF; 160], t0, SystemTime::UNIX_EPOCH);
        let b = p.packetize(
            &[0x7F; 160],
            t0 + Duration::from_millis(20),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!((a.packets.len(), b.packets.len()), (1, 1));
        let (pa, pb) = (&a.packets[0], &b.packets[0]);
        assert_eq!(pa.len(), 12 + 160);
        assert_eq!(pa[0], 0x80);
        assert_eq!(pa[1], 0, "payload type 0, marker clear (RFC 3551 s4.1)");
        assert_eq!(u16::from_be_bytes([pa[2], pa[3]]), 65535);
        assert_eq!(u16::from_be_bytes([pb[2], pb[3]]), 0, "sequence wraps");
        let ts = |p: &Bytes| u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
        assert_eq!(ts(pa), 80_000 + 1000);
        assert_eq!(ts(pb) - ts(pa), 160, "20 ms at 8 kHz");
        assert_eq!(&pa[8..12], &0x1234_5678u32.to_be_bytes());
        assert_eq!(&pb[12..], &[0x7F; 160]);
        assert_eq!((b.packet_count, b.octet_count), (2, 320));
    }

    #[test]
    fn pcma_is_payload_type_8() {
        let mut p = AudioPacketizer::with_state(AudioFormat::Pcma, 1, 0, 0);
        let f = p.packetize(&[0xD5; 160], Duration::ZERO, SystemTime::UNIX_EPOCH);
        assert_eq!(f.packets[0][1], 8);
        assert_eq!(
            AudioFormat::Pcma.sdp_attributes(),
            "a=rtpmap:8 PCMA/8000\r\n"
        );
        assert_eq!(
            AudioFormat::Pcmu.sdp_attributes(),
            "a=rtpmap:0 PCMU/8000\r\n"
        );
    }
}
