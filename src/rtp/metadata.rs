//! ONVIF metadata over RTP (ONVIF Streaming Specification, "RTP for Metadata stream"),
//! sans-IO: one XML document in, one [`RtpFrame`] of complete RTP packets out.
//!
//! Choices, with the rule behind each:
//! - a dynamic payload type ("A dynamic payload type (96-127) shall be used"): 107, the one
//!   the specification's SDP example uses, so it never collides with video's 96;
//! - the marker bit on the last packet of each document ("The RTP marker bit shall be set
//!   to 1 when the XML document is closed"); a document larger than one packet is cut into
//!   [`MAX_RTP_PAYLOAD`] pieces in order, the receiver concatenating payloads up to the
//!   marker (the specification sets "no limitation on the size of the XML document");
//! - the 90 kHz clock ("It is RECOMMENDED to use an RTP timestamp representing the creation
//!   time of the RTP packet with a RTP clock rate of 90000 Hz"), and the creation time read
//!   on the video's capture clock with the wall clock of the same moment, so the sender
//!   reports of both tracks map them to one NTP timeline ("The synchronization of video and
//!   audio data streams is done using RTCP") and a client can place an event against the
//!   frames around it;
//! - every document stands alone (a viewer may start or resync at any of them), and none is
//!   replayed to a viewer that joins later ([`RtpFrame::cacheable`] false): a document
//!   reports the events of its moment.
//!
//! A document enters the stream core as a [`Frame`] whose one unit is the document
//! ([`document_frame`]): the core fans out whatever its packer makes of a frame, so the
//! metadata stream gets the same bounded per-viewer queues as video (a slow viewer loses
//! documents, never holds up the others).

use std::time::{Duration, SystemTime};

use bytes::{BufMut, Bytes};

use super::h264::{CLOCK_RATE, MAX_RTP_PAYLOAD, RTP_HEADER_LEN, RtpFrame};
use super::pacing::RateMeter;
use super::wire::PacketWriter;
use crate::frame::Frame;

/// Dynamic payload type of the metadata track in our SDP (the specification's example).
pub(crate) const PAYLOAD_TYPE: u8 = 107;

/// The SDP encoding name of uncompressed ONVIF metadata (ONVIF Streaming, "RTSP session for
/// a metadata stream"); the media type is `application`.
pub(crate) const ENCODING: &str = "vnd.onvif.metadata";

/// The stream-wide state of a metadata RTP stream: its SSRC and sequence space (one for
/// every viewer, as for video), and the sender report counts.
#[derive(Debug)]
pub struct MetadataPacketizer {
    ssrc: u32,
    next_seq: u16,
    ts_offset: u32,
    max_payload: usize,
    packet_count: u32,
    octet_count: u32,
    rate: RateMeter,
}

impl Default for MetadataPacketizer {
    /// A random SSRC, sequence start and timestamp offset (RFC 3550 s5.1, s8).
    fn default() -> Self {
        Self::new(rand::random(), rand::random(), rand::random())
    }
}

impl MetadataPacketizer {
    pub fn new(ssrc: u32, initial_seq: u16, ts_offset: u32) -> Self {
        Self::with_max_payload(ssrc, initial_seq, ts_offset, MAX_RTP_PAYLOAD)
    }

    /// As [`MetadataPacketizer::new`] with a chosen payload limit (tests use small ones).
    pub(crate) fn with_max_payload(
        ssrc: u32,
        initial_seq: u16,
        ts_offset: u32,
        max_payload: usize,
    ) -> Self {
        assert!(max_payload > 0);
        Self {
            ssrc,
            next_seq: initial_seq,
            ts_offset,
            max_payload,
            packet_count: 0,
            octet_count: 0,
            rate: RateMeter::new(),
        }
    }

    pub(crate) fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The sequence number the next document's first packet will carry.
    pub(crate) fn next_seq(&self) -> u16 {
        self.next_seq
    }

    /// The RTP timestamp of a time on the capture clock (90 kHz, wrapping, RFC 3550 s5.1).
    pub(crate) fn rtp_timestamp(&self, pts: Duration) -> u32 {
        let ticks = pts.as_nanos() * u128::from(CLOCK_RATE) / 1_000_000_000;
        (ticks as u32).wrapping_add(self.ts_offset)
    }

    /// Packetizes one document created at `pts` (capture clock) and `wallclock`.
    pub(crate) fn packetize(
        &mut self,
        doc: &[u8],
        pts: Duration,
        wallclock: SystemTime,
    ) -> RtpFrame {
        let rtp_ts = self.rtp_timestamp(pts);
        let first_seq = self.next_seq;
        let count = doc.len().div_ceil(self.max_payload).max(1);
        let mut buf = PacketWriter::with_capacity(doc.len() + count * RTP_HEADER_LEN, count);
        let mut pieces: Vec<&[u8]> = doc.chunks(self.max_payload).collect();
        if pieces.is_empty() {
            pieces.push(&[]);
        }
        let last = pieces.len() - 1;
        for (i, piece) in pieces.into_iter().enumerate() {
            // RFC 3550 s5.1: V=2, no padding, no extension, no CSRC; M on the document's end.
            buf.begin();
            buf.put_u8(0x80);
            buf.put_u8((u8::from(i == last) << 7) | PAYLOAD_TYPE);
            buf.put_u16(self.next_seq);
            buf.put_u32(rtp_ts);
            buf.put_u32(self.ssrc);
            buf.extend_from_slice(piece);
            self.next_seq = self.next_seq.wrapping_add(1);
        }
        let (wire, packets, bytes) = buf.finish((&mut self.packet_count, &mut self.octet_count));
        RtpFrame {
            ssrc: self.ssrc,
            packets,
            wire,
            first_seq,
            rtp_ts,
            keyframe: true,
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

/// A document as the stream core carries it: a [`Frame`] whose one unit is the whole
/// document, stamped with its creation time on the capture clock (`pts`) and the wall clock.
pub(crate) fn document_frame(doc: Bytes, pts: Duration, wallclock: SystemTime) -> Frame {
    Frame {
        channel: 0,
        seq: 0,
        pts,
        wallclock,
        keyframe: true,
        nals: vec![doc],
    }
}

impl crate::stream::Packer for MetadataPacketizer {
    type Unit = RtpFrame;

    fn pack(&mut self, frame: &Frame) -> RtpFrame {
        match frame.nals.as_slice() {
            [doc] => self.packetize(doc, frame.pts, frame.wallclock),
            nals => self.packetize(&nals.concat(), frame.pts, frame.wallclock),
        }
    }
}

/// Reassembles metadata documents from RTP packets in sequence order: the payloads up to
/// and including the one with the marker bit. The inverse of [`MetadataPacketizer`], for
/// tests and the load generator.
#[derive(Debug, Default)]
#[cfg(test)]
pub(crate) struct Reassembler {
    doc: Vec<u8>,
}

#[cfg(test)]
impl Reassembler {
    /// Feeds one packet; returns the document it completed.
    pub(crate) fn push(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        let marker = packet.get(1)? & 0x80 != 0;
        self.doc.extend_from_slice(packet.get(RTP_HEADER_LEN..)?);
        marker.then(|| std::mem::take(&mut self.doc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(p: &[u8]) -> u16 {
        u16::from_be_bytes([p[2], p[3]])
    }

    #[test]
    fn a_small_document_is_one_packet_with_the_marker() {
        let mut p = MetadataPacketizer::new(0x1234_5678, 65535, 10);
        let doc = b"<tt:MetadataStream/>";
        let f = p.packetize(doc, Duration::from_secs(1), SystemTime::UNIX_EPOCH);
        assert_eq!(f.packets.len(), 1);
        let pkt = &f.packets[0];
        assert_eq!(pkt[0], 0x80);
        assert_eq!(pkt[1], 0x80 | PAYLOAD_TYPE, "marker set, PT 107");
        assert_eq!(seq(pkt), 65535);
        assert_eq!(
            u32::from_be_bytes(pkt[4..8].try_into().unwrap()),
            90_000 + 10,
            "90 kHz capture clock plus the offset"
        );
        assert_eq!(&pkt[8..12], &0x1234_5678u32.to_be_bytes());
        assert_eq!(&pkt[12..], doc);
        assert!(f.keyframe && !f.cacheable);
        assert_eq!(p.next_seq(), 0, "wrapped");
    }

    #[test]
    fn a_large_document_is_fragmented_and_marked_at_its_end() {
        let mut p = MetadataPacketizer::with_max_payload(1, 100, 0, 64);
        let doc: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let f = p.packetize(&doc, Duration::from_millis(40), SystemTime::UNIX_EPOCH);
        assert_eq!(f.packets.len(), 1000usize.div_ceil(64));
        let mut r = Reassembler::default();
        let mut out = None;
        for (i, pkt) in f.packets.iter().enumerate() {
            assert_eq!(seq(pkt), 100 + i as u16);
            assert!(pkt.len() <= RTP_HEADER_LEN + 64);
            let marker = pkt[1] & 0x80 != 0;
            assert_eq!(marker, i + 1 == f.packets.len());
            assert_eq!(
                &pkt[4..8],
                &f.rtp_ts.to_be_bytes(),
                "one timestamp per document"
            );
            if let Some(d) = r.push(pkt) {
                out = Some(d);
            }
        }
        assert_eq!(out.unwrap(), doc);
        assert_eq!(f.packet_count, f.packets.len() as u32);
        assert_eq!(f.octet_count, 1000);
        let g = p.packetize(b"<x/>", Duration::from_millis(80), SystemTime::UNIX_EPOCH);
        assert_eq!(g.first_seq, 100 + f.packets.len() as u16, "no gap");
    }

    #[test]
    fn timestamps_follow_the_capture_clock_like_video() {
        let mut m = MetadataPacketizer::new(1, 0, 0);
        let v = crate::rtp::h264::H264Packetizer::new(2, 0, 0);
        let pts = Duration::from_millis(123_456);
        let f = m.packetize(b"<x/>", pts, SystemTime::UNIX_EPOCH);
        assert_eq!(f.rtp_ts, v.rtp_timestamp(pts));
    }
}
