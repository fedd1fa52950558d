//! RFC 6184 H.264 RTP packetizer (sans-IO): one [`Frame`] in, one [`RtpFrame`] of complete
//! RTP packets out.
//!
//! Choices, with the RFC section behind each:
//! - packetization-mode=1 (non-interleaved, RFC 6184 s6.3): single NAL unit packets, FU-A and
//!   STAP-A; no interleaving, so decoding order equals transmission order.
//! - SPS and PPS travel in-band in one STAP-A (s5.7.1) before every IDR, so a viewer that joins
//!   or resyncs at any IDR can decode without the SDP's sprop-parameter-sets (s8.4).
//! - NAL units larger than [`MAX_RTP_PAYLOAD`] are split into FU-A fragments (s5.8); the FU
//!   indicator keeps the NRI bits of the original header, the FU header carries S/E and type.
//! - The marker bit is set on the last packet of the access unit (s5.1).
//! - The timestamp is the capture PTS on the 90 kHz clock (s5.1), plus a random offset
//!   (RFC 3550 s5.1), so it advances with the real capture spacing.
//! - Access unit delimiters are dropped: they carry no information an RTP receiver needs and
//!   cost a packet each (s5.4 allows any NAL unit type, but the marker already ends the AU).
//!
//! All packets of a frame are written into one buffer, each behind its RTSP interleaved
//! header (`rtp::wire`), and handed out as `Bytes` slices of it: one allocation per frame
//! however many viewers send it, and one contiguous write per TCP viewer.

use std::time::{Duration, SystemTime};

use bytes::{BufMut, Bytes};

use super::pacing::RateMeter;
use super::wire::{PacketWriter, Wire};
use crate::frame::{Frame, nal_type};

/// Largest RTP payload: 1500-byte Ethernet MTU - 20 (IPv4) - 8 (UDP) - 12 (RTP) leaves 1460;
/// 1400 leaves room for IPv6, VLAN tags and tunnels.
pub(crate) const MAX_RTP_PAYLOAD: usize = 1400;

pub(crate) use super::wire::RTP_HEADER_LEN;

/// Dynamic payload type used for H.264 in our SDP (RFC 3551 s6: 96..=127 are dynamic).
pub(crate) const PAYLOAD_TYPE: u8 = 96;

/// The 90 kHz RTP clock of video (RFC 6184 s5.1).
pub(crate) const CLOCK_RATE: u32 = 90_000;

const STAP_A: u8 = 24;
const FU_A: u8 = 28;

/// One access unit, packetized: complete RTP packets ready to send as they are (UDP) or behind
/// a 4-byte interleaved header (TCP).
#[derive(Debug)]
pub struct RtpFrame {
    /// The stream's SSRC (RFC 3550 s5.1), the same in every packet.
    pub ssrc: u32,
    /// The RTP packets in sending order; slices of one shared buffer, [`RtpFrame::wire`].
    pub packets: Vec<Bytes>,
    /// The same packets as a TCP viewer sends them, each behind its interleaved header.
    pub wire: Wire,
    /// Sequence number of the first packet.
    pub first_seq: u16,
    /// RTP timestamp shared by every packet of the frame.
    pub rtp_ts: u32,
    /// Starts with SPS/PPS and an IDR: a viewer may start (or resync) here.
    pub keyframe: bool,
    /// A new viewer may be given it from the GOP cache (video: yes; a metadata document:
    /// no, see `stream::Unit::cacheable`).
    pub cacheable: bool,
    /// Capture time, monotonic.
    pub pts: Duration,
    /// Capture time, wall clock (the NTP time of sender reports).
    pub wallclock: SystemTime,
    /// Sum of the RTP packets' sizes (interleaved headers not counted).
    pub bytes: usize,
    /// RTCP SR sender's packet count after this frame (RFC 3550 s6.4.1).
    pub packet_count: u32,
    /// RTCP SR sender's octet count (payload octets) after this frame.
    pub octet_count: u32,
    /// The stream's rate as of this frame, bytes of RTP per second of capture time over the
    /// last `pacing::RATE_WINDOW` (0 while unknown): what UDP senders pace by.
    pub stream_rate: u64,
}

/// Stream-wide packetizer state: the SSRC, the sequence space and the parameter sets.
#[derive(Debug)]
pub struct H264Packetizer {
    ssrc: u32,
    next_seq: u16,
    ts_offset: u32,
    max_payload: usize,
    sps: Option<Bytes>,
    pps: Option<Bytes>,
    packet_count: u32,
    octet_count: u32,
    rate: RateMeter,
}

enum Unit {
    Single(Bytes),
    Stap(Bytes, Bytes),
}

impl H264Packetizer {
    /// A packetizer with the given SSRC, initial sequence number and timestamp offset (RFC 3550
    /// s5.1 asks for random initial values; the hub passes random ones).
    pub fn new(ssrc: u32, initial_seq: u16, ts_offset: u32) -> Self {
        Self::with_max_payload(ssrc, initial_seq, ts_offset, MAX_RTP_PAYLOAD)
    }

    /// As [`H264Packetizer::new`] with a chosen payload limit (tests use small ones).
    pub(crate) fn with_max_payload(
        ssrc: u32,
        initial_seq: u16,
        ts_offset: u32,
        max_payload: usize,
    ) -> Self {
        assert!(max_payload >= 16, "payload limit too small for FU-A");
        Self {
            ssrc,
            next_seq: initial_seq,
            ts_offset,
            max_payload,
            sps: None,
            pps: None,
            packet_count: 0,
            octet_count: 0,
            rate: RateMeter::new(),
        }
    }

    pub(crate) fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The RTP timestamp of a capture time.
    pub(crate) fn rtp_timestamp(&self, pts: Duration) -> u32 {
        // 90 kHz ticks, wrapping as RTP timestamps do (RFC 3550 s5.1).
        let ticks = pts.as_nanos() * u128::from(CLOCK_RATE) / 1_000_000_000;
        (ticks as u32).wrapping_add(self.ts_offset)
    }

    /// Latest sequence parameter set seen.
    pub fn sps(&self) -> Option<&Bytes> {
        self.sps.as_ref()
    }

    /// Latest picture parameter set seen.
    pub fn pps(&self) -> Option<&Bytes> {
        self.pps.as_ref()
    }

    /// Packetizes one access unit.
    pub(crate) fn packetize(&mut self, frame: &Frame) -> RtpFrame {
        let mut has_idr = false;
        for nal in &frame.nals {
            match nal.first().map(|b| b & 0x1f) {
                Some(nal_type::SPS) => self.sps = Some(nal.clone()),
                Some(nal_type::PPS) => self.pps = Some(nal.clone()),
                Some(nal_type::IDR) => has_idr = true,
                _ => {}
            }
        }
        let mut units: Vec<Unit> = Vec::with_capacity(frame.nals.len() + 1);
        let keyframe = has_idr && self.sps.is_some() && self.pps.is_some();
        if let (true, Some(sps), Some(pps)) = (has_idr, &self.sps, &self.pps) {
            units.push(Unit::Stap(sps.clone(), pps.clone()));
        }
        for nal in &frame.nals {
            match nal.first().map(|b| b & 0x1f) {
                None | Some(nal_type::AUD) => {}
                // Sent in the STAP-A above when this is an IDR; otherwise (a mid-GOP
                // parameter-set update) sent where the encoder put them.
                Some(nal_type::SPS | nal_type::PPS) if has_idr => {}
                Some(_) => units.push(Unit::Single(nal.clone())),
            }
        }

        let rtp_ts = self.rtp_timestamp(frame.pts);
        let first_seq = self.next_seq;
        let estimate = frame.len() + (frame.len() / self.max_payload + units.len() + 2) * 16;
        let mut buf = PacketWriter::with_capacity(estimate, estimate / self.max_payload + 2);
        let last_unit = units.len().saturating_sub(1);
        for (i, unit) in units.into_iter().enumerate() {
            let last = i == last_unit;
            match unit {
                Unit::Stap(sps, pps) if 1 + 2 + sps.len() + 2 + pps.len() <= self.max_payload => {
                    // STAP-A header takes the highest NRI of its NAL units (RFC 6184 s5.7).
                    let nri = (sps[0] | pps[0]) & 0x60;
                    self.header(&mut buf, last, rtp_ts);
                    buf.put_u8(nri | STAP_A);
                    for n in [&sps, &pps] {
                        buf.put_u16(n.len() as u16);
                        buf.extend_from_slice(n);
                    }
                }
                Unit::Stap(sps, pps) => {
                    // Oversized parameter sets: send each on its own (FU-A if needed).
                    self.nal(&mut buf, &sps, false, rtp_ts);
                    self.nal(&mut buf, &pps, last, rtp_ts);
                }
                Unit::Single(nal) => self.nal(&mut buf, &nal, last, rtp_ts),
            }
        }
        let (wire, packets, bytes) = buf.finish((&mut self.packet_count, &mut self.octet_count));
        RtpFrame {
            ssrc: self.ssrc,
            packets,
            wire,
            first_seq,
            rtp_ts,
            keyframe,
            cacheable: true,
            pts: frame.pts,
            wallclock: frame.wallclock,
            bytes,
            packet_count: self.packet_count,
            octet_count: self.octet_count,
            stream_rate: self.rate.observe(frame.pts, bytes),
        }
    }

    fn nal(&mut self, buf: &mut PacketWriter, nal: &[u8], last: bool, ts: u32) {
        if nal.len() <= self.max_payload {
            // Single NAL unit packet (RFC 6184 s5.6).
            self.header(buf, last, ts);
            buf.extend_from_slice(nal);
            return;
        }
        // FU-A (RFC 6184 s5.8): the NAL header byte is not sent itself; its F/NRI go in the
        // FU indicator and its type in the FU header.
        let indicator = (nal[0] & 0xe0) | FU_A;
        let kind = nal[0] & 0x1f;
        let body = &nal[1..];
        let chunk = self.max_payload - 2;
        let count = body.len().div_ceil(chunk);
        for (i, piece) in body.chunks(chunk).enumerate() {
            let start = i == 0;
            let end = i + 1 == count;
            self.header(buf, last && end, ts);
            buf.put_u8(indicator);
            buf.put_u8((u8::from(start) << 7) | (u8::from(end) << 6) | kind);
            buf.extend_from_slice(piece);
        }
    }

    /// Begins a packet in `buf` with its RTP header.
    fn header(&mut self, buf: &mut PacketWriter, marker: bool, ts: u32) {
        buf.begin();
        // RFC 3550 s5.1: V=2, no padding, no extension, no CSRC.
        buf.put_u8(0x80);
        buf.put_u8((u8::from(marker) << 7) | PAYLOAD_TYPE);
        buf.put_u16(self.next_seq);
        buf.put_u32(ts);
        buf.put_u32(self.ssrc);
        self.next_seq = self.next_seq.wrapping_add(1);
    }
}

/// Reassembles RFC 6184 packets back into NAL units: the inverse of [`H264Packetizer`], used by
/// tests and the load generator to check what went over the wire.
#[derive(Debug, Default)]
#[cfg(test)]
pub(crate) struct Depacketizer {
    fu: Option<Vec<u8>>,
}

#[cfg(test)]
impl Depacketizer {
    /// Feeds one RTP packet; returns the complete NAL units it finished.
    pub fn push(&mut self, packet: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
        if packet.len() < RTP_HEADER_LEN + 1 || packet[0] >> 6 != 2 {
            return Err("not an RTP packet");
        }
        let payload = &packet[RTP_HEADER_LEN..];
        match payload[0] & 0x1f {
            STAP_A => {
                let mut out = Vec::new();
                let mut rest = &payload[1..];
                while rest.len() >= 2 {
                    let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
                    if rest.len() < 2 + len {
                        return Err("truncated STAP-A");
                    }
                    out.push(rest[2..2 + len].to_vec());
                    rest = &rest[2 + len..];
                }
                Ok(out)
            }
            FU_A => {
                if payload.len() < 2 {
                    return Err("truncated FU-A");
                }
                let (ind, hdr) = (payload[0], payload[1]);
                if hdr & 0x80 != 0 {
                    self.fu = Some(vec![(ind & 0xe0) | (hdr & 0x1f)]);
                }
                let Some(fu) = self.fu.as_mut() else {
                    return Err("FU-A without start");
                };
                fu.extend_from_slice(&payload[2..]);
                if hdr & 0x40 != 0 {
                    Ok(vec![self.fu.take().unwrap_or_default()])
                } else {
                    Ok(vec![])
                }
            }
            _ => Ok(vec![payload.to_vec()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(nals: Vec<Vec<u8>>, keyframe: bool, pts_ms: u64) -> Frame {
        Frame {
            channel: 0,
            seq: 0,
            pts: Duration::from_millis(pts_ms),
            wallclock: SystemTime::UNIX_EPOCH,
            keyframe,
            nals: nals.into_iter().map(Bytes::from).collect(),
        }
    }

    fn nal(kind: u8, len: usize) -> Vec<u8> {
        let mut v = vec![0x60 | kind];
        v.extend((0..len - 1).map(|i| i as u8));
        v
    }

    fn seq(p: &Bytes) -> u16 {
        u16::from_be_bytes([p[2], p[3]])
    }

    fn marker(p: &Bytes) -> bool {
        p[1] & 0x80 != 0
    }

    #[test]
    fn idr_gets_stap_a_then_fu_a_with_marker_on_last() {
        let mut p = H264Packetizer::with_max_payload(0x1234_5678, 65_534, 0, 100);
        let f = frame(
            vec![nal(9, 2), nal(7, 10), nal(8, 4), nal(5, 250)],
            true,
            40,
        );
        let out = p.packetize(&f);
        assert!(out.keyframe);
        // STAP-A + ceil(249 / 98) = 3 FU-A fragments.
        assert_eq!(out.packets.len(), 4);
        assert_eq!(out.first_seq, 65_534);
        let seqs: Vec<u16> = out.packets.iter().map(seq).collect();
        assert_eq!(seqs, vec![65_534, 65_535, 0, 1], "sequence wraps");
        assert_eq!(out.packets[0][12] & 0x1f, STAP_A);
        assert_eq!(out.packets[1][12] & 0x1f, FU_A);
        assert_eq!(out.packets[1][13], 0x80 | 5, "start bit and type");
        assert_eq!(out.packets[3][13], 0x40 | 5, "end bit and type");
        let markers: Vec<bool> = out.packets.iter().map(marker).collect();
        assert_eq!(markers, vec![false, false, false, true]);
        assert_eq!(out.rtp_ts, 3600, "40 ms at 90 kHz");
        for pk in &out.packets {
            assert!(pk.len() <= 100 + RTP_HEADER_LEN);
            assert_eq!(&pk[8..12], &0x1234_5678u32.to_be_bytes());
        }
        // Round trip.
        let mut d = Depacketizer::default();
        let nals: Vec<Vec<u8>> = out
            .packets
            .iter()
            .flat_map(|pk| d.push(pk).unwrap())
            .collect();
        assert_eq!(nals, vec![nal(7, 10), nal(8, 4), nal(5, 250)]);
        assert_eq!(out.packet_count, 4);
        assert_eq!(out.bytes, out.packets.iter().map(Bytes::len).sum::<usize>());
    }

    #[test]
    fn parameter_sets_repeated_before_every_idr_even_when_absent() {
        let mut p = H264Packetizer::new(1, 0, 0);
        p.packetize(&frame(vec![nal(7, 10), nal(8, 4), nal(5, 50)], true, 0));
        let p_frame = p.packetize(&frame(vec![nal(1, 30)], false, 40));
        assert!(!p_frame.keyframe);
        assert_eq!(p_frame.packets.len(), 1);
        assert!(marker(&p_frame.packets[0]));
        // An IDR without in-band SPS/PPS still gets the cached ones.
        let idr = p.packetize(&frame(vec![nal(5, 50)], true, 80));
        assert!(idr.keyframe);
        assert_eq!(idr.packets[0][12] & 0x1f, STAP_A);
        assert_eq!(idr.first_seq, 3);
    }

    #[test]
    fn frames_carry_the_stream_rate_on_capture_time() {
        let mut p = H264Packetizer::new(1, 0, 0);
        let a = p.packetize(&frame(vec![nal(7, 10), nal(8, 4), nal(5, 988)], true, 0));
        assert_eq!(a.stream_rate, 0, "unknown from one frame");
        let b = p.packetize(&frame(vec![nal(1, 488)], false, 40));
        // Two frames standing for two 40 ms intervals.
        assert_eq!(b.stream_rate, (a.bytes + b.bytes) as u64 * 1000 / 80);
    }

    #[test]
    fn multi_slice_frame_marks_only_last_nal() {
        let mut p = H264Packetizer::new(1, 0, 0);
        let out = p.packetize(&frame(vec![nal(1, 30), nal(1, 30), nal(1, 30)], false, 0));
        let markers: Vec<bool> = out.packets.iter().map(marker).collect();
        assert_eq!(markers, vec![false, false, true]);
    }

    #[test]
    fn timestamp_wraps_with_offset() {
        let p = H264Packetizer::new(1, 0, u32::MAX);
        assert_eq!(p.rtp_timestamp(Duration::from_secs(1)), 89_999);
    }
}
