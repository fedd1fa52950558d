//! The ONVIF audio back channel (ONVIF Streaming, "Back channel connection"), sans-IO: the
//! `Require` feature tag, the RTP a talker sends (RFC 3550 s5.1 header, RFC 3551 PT 0 PCMU
//! and 8 PCMA), and the policy that keeps a hostile talker from hurting anyone. The shell
//! (`talk`, `server`) moves the bytes; nothing here does IO or reads a clock.
//!
//! - **Require** (RFC 2326 s12.32): a request naming a feature tag the server does not know
//!   is answered 551 Option Not Supported with the tags in `Unsupported`. The back-channel
//!   tag is known only while the board has a speaker; without one, the spec's example answer
//!   (Streaming, "Describe example for a server without backchannel support") is exactly
//!   that 551.
//! - **Depacketizing**: version 2 only; CSRCs, a header extension and padding are skipped
//!   as RFC 3550 s5.1/s5.3.1 define them; a packet whose lengths do not add up is dropped.
//! - **Jitter: no reorder window.** Packets play in arrival order and a packet older than
//!   the newest one played (a reordered or duplicated one) is dropped as late. Over TCP
//!   (interleaved, most NVRs) nothing is ever reordered; on a LAN UDP reorders rarely, and a
//!   dropped 20 ms packet is one click where a reorder window would add its whole depth to
//!   every word of every talker (talk-back latency is what an intercom user hears).
//! - **Bounds**: a payload over [`MAX_TALK_PAYLOAD`] is dropped (G.711 at 8 kHz sends 160
//!   bytes per 20 ms; 1 KiB is 128 ms); the first SSRC is the talker's, another is dropped;
//!   a payload type the back channel did not offer is dropped; samples beyond real time
//!   plus [`FLOOD_BURST`] are dropped (a flood plays at most at the speaker's rate). Every
//!   drop is counted by reason; the session lives on.

use std::time::{Duration, Instant};

use super::message::Request;
use crate::rtp::rtcp::ReportBlock;
use crate::sdk::AudioCodec;

/// The feature tag of ONVIF's back channel (Streaming, "RTSP Require tag").
pub(crate) const REQUIRE_TAG: &str = "www.onvif.org/ver20/backchannel";

/// The back channel's track id (`trackID=3`): video 0, metadata 1, audio 2 (see
/// `sdp::TrackKind::id`).
pub(crate) const TRACK_ID: u8 = 3;

/// Largest RTP payload a talker may send.
pub(crate) const MAX_TALK_PAYLOAD: usize = 1024;

/// How far ahead of real time a talker may send (samples beyond are dropped).
pub(crate) const FLOOD_BURST: Duration = Duration::from_secs(1);

/// G.711's clock rate (RFC 3551 s4.5.14): one byte per sample.
const G711_RATE: u64 = 8000;

/// RTP payload types of RFC 3551 table 4.
pub(crate) const PT_PCMU: u8 = 0;
pub(crate) const PT_PCMA: u8 = 8;

/// What a request's `Require` header asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Required {
    /// No `Require`, or only tags the server knows but the back channel.
    Plain,
    /// The back channel's tag.
    Backchannel,
    /// Tags the server does not support: 551 with these in `Unsupported`.
    Unsupported(Vec<String>),
}

/// Reads every `Require` header of `req` (comma-separated tags, RFC 2326 s12.32). The
/// back-channel tag is known only when `talk` (the board has a speaker).
pub(crate) fn required(req: &Request, talk: bool) -> Required {
    let mut backchannel = false;
    let mut unknown = Vec::new();
    for (_, v) in req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Require"))
    {
        for tag in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if talk && tag.eq_ignore_ascii_case(REQUIRE_TAG) {
                backchannel = true;
            } else if unknown.len() < 8 {
                // Echoed back: bounded in count and length (the head is bounded anyway).
                unknown.push(tag.chars().take(128).collect());
            }
        }
    }
    if !unknown.is_empty() {
        Required::Unsupported(unknown)
    } else if backchannel {
        Required::Backchannel
    } else {
        Required::Plain
    }
}

/// The codec of an RTP payload type the back channel offers (static types only: the SDP
/// offers no dynamic one).
pub(crate) fn codec_of(pt: u8) -> Option<AudioCodec> {
    match pt {
        PT_PCMU => Some(AudioCodec::G711Ulaw),
        PT_PCMA => Some(AudioCodec::G711Alaw),
        _ => None,
    }
}

/// One RTP packet, borrowed from the buffer it came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub payload_type: u8,
    pub marker: bool,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: &'a [u8],
}

/// Why a datagram is not an RTP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("shorter than its header")]
    Short,
    #[error("not RTP version 2")]
    Version,
    #[error("padding longer than the packet")]
    Padding,
    /// RTCP on the RTP channel (RFC 5761 s4: payload types 72-76 with the marker are RTCP's
    /// packet types 200-204).
    #[error("RTCP, not RTP")]
    Rtcp,
}

/// Parses an RTP packet (RFC 3550 s5.1): fixed header, CSRC list, header extension
/// (s5.3.1), padding (the last byte counts it, itself included).
pub fn parse_rtp(buf: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    if buf.len() < 12 {
        return Err(RtpError::Short);
    }
    if buf[0] >> 6 != 2 {
        return Err(RtpError::Version);
    }
    let padding = buf[0] & 0x20 != 0;
    let extension = buf[0] & 0x10 != 0;
    let csrc = usize::from(buf[0] & 0x0F);
    if (200..=204).contains(&buf[1]) {
        return Err(RtpError::Rtcp);
    }
    let mut start = 12 + 4 * csrc;
    if extension {
        let ext = buf.get(start..start + 4).ok_or(RtpError::Short)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
    }
    let mut end = buf.len();
    if start > end {
        return Err(RtpError::Short);
    }
    if padding {
        let n = usize::from(buf[end - 1]);
        if n == 0 || n > end - start {
            return Err(RtpError::Padding);
        }
        end -= n;
    }
    Ok(RtpPacket {
        payload_type: buf[1] & 0x7F,
        marker: buf[1] & 0x80 != 0,
        seq: u16::from_be_bytes([buf[2], buf[3]]),
        timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
        ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
        payload: &buf[start..end],
    })
}

/// Why a talker's packet was not played.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    Malformed,
    /// A payload type the back channel did not offer.
    PayloadType,
    Oversize,
    /// Another SSRC than the talker's first.
    Ssrc,
    /// Older than (or the same as) the newest packet played.
    Late,
    /// Beyond real time plus [`FLOOD_BURST`].
    Flood,
}

/// A talker's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TalkStats {
    pub packets: u64,
    pub samples: u64,
    pub malformed: u64,
    pub payload_type: u64,
    pub oversize: u64,
    pub ssrc: u64,
    pub late: u64,
    pub flood: u64,
    /// Packets the speaker's queue had no room for (counted by the shell).
    pub overflow: u64,
}

impl TalkStats {
    pub fn dropped(&self) -> u64 {
        self.malformed
            + self.payload_type
            + self.oversize
            + self.ssrc
            + self.late
            + self.flood
            + self.overflow
    }

    fn count(&mut self, why: DropReason) {
        let c = match why {
            DropReason::Malformed => &mut self.malformed,
            DropReason::PayloadType => &mut self.payload_type,
            DropReason::Oversize => &mut self.oversize,
            DropReason::Ssrc => &mut self.ssrc,
            DropReason::Late => &mut self.late,
            DropReason::Flood => &mut self.flood,
        };
        *c += 1;
    }
}

/// One talker's receive state: which packets play.
#[derive(Debug)]
pub struct Talk {
    /// Codecs the back channel offered (the speaker decodes).
    offered: Vec<AudioCodec>,
    ssrc: Option<u32>,
    last_seq: Option<u16>,
    /// When the first sample played, and samples since: the flood budget.
    start: Option<Instant>,
    samples: u64,
    reception: Reception,
    pub stats: TalkStats,
}

/// Reception statistics of the talker's SSRC (RFC 3550 A.3 and A.8), for the receiver
/// reports the camera sends it: the ONVIF back-channel cases (RTSS-6-1-*, MEDIA2_RTSS-3-1-*)
/// fail a camera that sends no RTCP while a client talks, and RFC 3550 s6.4.2 has a
/// participant that receives RTP and sends none report with RR.
#[derive(Debug, Default)]
struct Reception {
    base_seq: u16,
    max_seq: u16,
    /// Sequence-number wraps, times 2^16 (A.1's `cycles`).
    cycles: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// A.8's integer estimate, scaled by 16.
    jitter: u32,
    /// Arrival clock origin and the last packet's relative transit time, in samples.
    origin: Option<Instant>,
    transit: Option<i64>,
}

impl Reception {
    /// One packet of the talker's SSRC; `newer`: ahead of every one before (not late).
    fn update(&mut self, seq: u16, timestamp: u32, now: Instant, newer: bool) {
        let origin = *self.origin.get_or_insert_with(|| {
            self.base_seq = seq;
            self.max_seq = seq;
            now
        });
        self.received = self.received.wrapping_add(1);
        if newer {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(1 << 16);
            }
            self.max_seq = seq;
        }
        // A.8: arrival on the RTP clock (8 kHz), transit relative to the timestamp.
        let arrival = (now.saturating_duration_since(origin).as_micros() as u64 * G711_RATE
            / 1_000_000) as i64;
        let transit = arrival - i64::from(timestamp);
        if let Some(last) = self.transit.replace(transit) {
            // In u64 and clamped: a hostile talker's timestamps may jump by 2^31 each packet.
            let (j, d) = (u64::from(self.jitter), (transit - last).unsigned_abs());
            let j = j + d.min(u64::from(u32::MAX)) - ((j + 8) >> 4);
            self.jitter = j.min(u64::from(u32::MAX)) as u32;
        }
    }

    /// The report block about `ssrc` since the last one (A.3).
    fn block(&mut self, ssrc: u32) -> ReportBlock {
        let highest = self.cycles.wrapping_add(u32::from(self.max_seq));
        let expected = highest
            .wrapping_sub(u32::from(self.base_seq))
            .wrapping_add(1);
        let lost = i64::from(expected) - i64::from(self.received);
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: lost.clamp(-0x80_0000, 0x7F_FFFF) as i32,
            highest_seq: highest,
            jitter: self.jitter >> 4,
            // The talker's sender reports are not read: no LSR/DLSR (s6.4.1 allows 0).
            last_sr: 0,
            delay_since_last_sr: 0,
        }
    }
}

impl Talk {
    pub fn new(offered: Vec<AudioCodec>) -> Talk {
        Talk {
            offered,
            ssrc: None,
            last_seq: None,
            start: None,
            samples: 0,
            reception: Reception::default(),
            stats: TalkStats::default(),
        }
    }

    /// The report block about the talker for the next receiver report (none before its
    /// first packet).
    pub(crate) fn report_block(&mut self) -> Option<ReportBlock> {
        let ssrc = self.ssrc?;
        Some(self.reception.block(ssrc))
    }

    /// The codec and payload to play of one packet received at `now`, or why it is
    /// dropped (counted).
    pub fn accept<'a>(
        &mut self,
        packet: &'a [u8],
        now: Instant,
    ) -> Result<(AudioCodec, &'a [u8]), DropReason> {
        let r = self.judge(packet, now);
        match r {
            Ok((_, p)) => {
                self.stats.packets += 1;
                self.stats.samples += p.len() as u64;
            }
            Err(why) => self.stats.count(why),
        }
        r
    }

    fn judge<'a>(
        &mut self,
        packet: &'a [u8],
        now: Instant,
    ) -> Result<(AudioCodec, &'a [u8]), DropReason> {
        let p = parse_rtp(packet).map_err(|_| DropReason::Malformed)?;
        if p.payload.len() > MAX_TALK_PAYLOAD {
            return Err(DropReason::Oversize);
        }
        let codec = codec_of(p.payload_type)
            .filter(|c| self.offered.contains(c))
            .ok_or(DropReason::PayloadType)?;
        match self.ssrc {
            Some(s) if s != p.ssrc => return Err(DropReason::Ssrc),
            _ => {}
        }
        if let Some(last) = self.last_seq {
            // RFC 3550 A.1: sequence numbers compare modulo 2^16; ahead is 1..2^15.
            let ahead = p.seq.wrapping_sub(last);
            if ahead == 0 || ahead >= 0x8000 {
                if self.ssrc == Some(p.ssrc) {
                    self.reception.update(p.seq, p.timestamp, now, false);
                }
                return Err(DropReason::Late);
            }
        }
        let start = *self.start.get_or_insert(now);
        let allowed = (now.saturating_duration_since(start) + FLOOD_BURST).as_micros() as u64
            * G711_RATE
            / 1_000_000;
        if self.samples + p.payload.len() as u64 > allowed {
            return Err(DropReason::Flood);
        }
        self.ssrc = Some(p.ssrc);
        self.last_seq = Some(p.seq);
        self.samples += p.payload.len() as u64;
        self.reception.update(p.seq, p.timestamp, now, true);
        Ok((codec, p.payload))
    }
}

/// The fuzz target `rtp_talk` (and its corpus replay test): never a panic, and what parses
/// lies inside the packet.
pub fn fuzz_input(data: &[u8]) {
    if let Ok(p) = parse_rtp(data) {
        assert!(p.payload.len() + 12 <= data.len());
        assert!(p.payload_type < 128);
    }
    let mut talk = Talk::new(vec![AudioCodec::G711Ulaw, AudioCodec::G711Alaw]);
    let now = Instant::now();
    // The same bytes as a stream of packets, split by their first byte's length.
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n).min(tail.len());
        let (pkt, more) = tail.split_at(n);
        if let Ok((_, payload)) = talk.accept(pkt, now) {
            assert!(payload.len() <= MAX_TALK_PAYLOAD);
        }
        rest = more;
    }
    let s = talk.stats;
    assert!(s.samples <= G711_RATE * FLOOD_BURST.as_secs());
    assert_eq!(
        s.packets + s.dropped(),
        s.packets + s.malformed + s.payload_type + s.oversize + s.ssrc + s.late + s.flood
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(pt: u8, seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x80, pt];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        v.extend_from_slice(&ssrc.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn jitter_of_wild_timestamps_saturates() {
        let mut talk = Talk::new(vec![AudioCodec::G711Ulaw]);
        let t0 = Instant::now();
        for i in 0..200u16 {
            let mut p = rtp(0, i, 0x5A1E, &[0xFF; 8]);
            p[4..8].copy_from_slice(&(u32::from(i % 2) << 31).to_be_bytes());
            let _ = talk.accept(&p, t0);
        }
        let b = talk.report_block().unwrap();
        assert!(b.jitter > 1 << 26, "{}", b.jitter);
    }

    #[test]
    fn receiver_report_block_counts_what_the_talker_sent() {
        let mut talk = Talk::new(vec![AudioCodec::G711Ulaw]);
        let t0 = Instant::now();
        assert_eq!(talk.report_block(), None, "nothing received yet");
        // 0xFFFE.. across the wrap, one packet (0x0001) lost, one repeated (late).
        for (i, seq) in [0xFFFEu16, 0xFFFF, 0x0000, 0x0002, 0x0003, 0x0002]
            .into_iter()
            .enumerate()
        {
            let at = t0 + Duration::from_millis(20 * i as u64);
            let _ = talk.accept(&rtp(0, seq, 0x5A1E, &[0xFF; 160]), at);
        }
        assert_eq!(talk.stats.late, 1);
        let b = talk.report_block().unwrap();
        assert_eq!(b.ssrc, 0x5A1E);
        assert_eq!(b.highest_seq, 0x1_0003, "one wrap");
        // Expected 6 (0xFFFE..=0x10003), received 6 (the late duplicate counts): 0 lost.
        assert_eq!((b.cumulative_lost, b.fraction_lost), (0, 0));
        // The next interval: 4 expected, 2 received.
        for (i, seq) in [0x0005u16, 0x0007].into_iter().enumerate() {
            let at = t0 + Duration::from_millis(200 + 40 * i as u64);
            talk.accept(&rtp(0, seq, 0x5A1E, &[0xFF; 160]), at).unwrap();
        }
        let b = talk.report_block().unwrap();
        assert_eq!(b.highest_seq, 0x1_0007);
        assert_eq!((b.cumulative_lost, b.fraction_lost), (2, 128));
    }

    #[test]
    fn parses_the_header_csrcs_extension_and_padding() {
        let first = rtp(0x80, 7, 0xAABBCCDD, &[1, 2, 3]);
        let p = parse_rtp(&first).unwrap();
        assert_eq!(
            (
                p.payload_type,
                p.marker,
                p.seq,
                p.timestamp,
                p.ssrc,
                p.payload
            ),
            (0, true, 7, 1120, 0xAABBCCDD, &[1u8, 2, 3][..])
        );
        // 1 CSRC, an extension of one word, 2 bytes of padding.
        let mut v = vec![0x80 | 0x20 | 0x10 | 1, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        v.extend_from_slice(&[0xC5, 0xC5, 0xC5, 0xC5]); // CSRC
        v.extend_from_slice(&[0xBE, 0xDE, 0, 1, 1, 2, 3, 4]); // extension
        v.extend_from_slice(&[0xD5, 0xD5, 0, 2]); // payload + padding
        let p = parse_rtp(&v).unwrap();
        assert_eq!((p.payload_type, p.payload), (8, &[0xD5u8, 0xD5][..]));
        assert_eq!(parse_rtp(&[0x80; 11]), Err(RtpError::Short));
        assert_eq!(
            parse_rtp(&rtp(0, 1, 1, &[])[..]).unwrap().payload,
            &[] as &[u8]
        );
        let mut v1 = rtp(0, 1, 1, &[]);
        v1[0] = 0x40;
        assert_eq!(parse_rtp(&v1), Err(RtpError::Version));
        let mut pad = rtp(0, 1, 1, &[0, 0, 9]);
        pad[0] |= 0x20;
        assert_eq!(parse_rtp(&pad), Err(RtpError::Padding));
        let mut ext = rtp(0, 1, 1, &[0xBE, 0xDE, 0x00, 0x10]);
        ext[0] |= 0x10;
        assert_eq!(parse_rtp(&ext), Err(RtpError::Short));
        assert_eq!(parse_rtp(&rtp(200, 1, 1, &[])), Err(RtpError::Rtcp));
    }

    #[test]
    fn a_talker_plays_in_order_and_everything_else_is_dropped_and_counted() {
        let t0 = Instant::now();
        let mut t = Talk::new(vec![AudioCodec::G711Ulaw]);
        let first = rtp(0, 10, 5, &[0xFF; 160]);
        let ok = t.accept(&first, t0).unwrap();
        assert_eq!((ok.0, ok.1.len()), (AudioCodec::G711Ulaw, 160));
        assert_eq!(
            t.accept(&rtp(8, 11, 5, &[0; 160]), t0),
            Err(DropReason::PayloadType)
        );
        assert_eq!(
            t.accept(&rtp(96, 11, 5, &[0; 160]), t0),
            Err(DropReason::PayloadType)
        );
        assert_eq!(
            t.accept(&rtp(0, 11, 6, &[0; 160]), t0),
            Err(DropReason::Ssrc)
        );
        assert_eq!(
            t.accept(&rtp(0, 10, 5, &[0; 160]), t0),
            Err(DropReason::Late)
        );
        assert_eq!(
            t.accept(&rtp(0, 9, 5, &[0; 160]), t0),
            Err(DropReason::Late)
        );
        assert_eq!(
            t.accept(&rtp(0, 11, 5, &[0; MAX_TALK_PAYLOAD + 1]), t0),
            Err(DropReason::Oversize)
        );
        assert_eq!(t.accept(b"garbage", t0), Err(DropReason::Malformed));
        assert!(
            t.accept(&rtp(0, 12, 5, &[0; 160]), t0).is_ok(),
            "a gap is fine"
        );
        // Sequence numbers wrap.
        let mut w = Talk::new(vec![AudioCodec::G711Ulaw]);
        assert!(w.accept(&rtp(0, 65535, 1, &[0; 8]), t0).is_ok());
        assert!(w.accept(&rtp(0, 0, 1, &[0; 8]), t0).is_ok());
        let s = t.stats;
        assert_eq!((s.packets, s.samples), (2, 320));
        assert_eq!(
            (s.payload_type, s.ssrc, s.late, s.oversize, s.malformed),
            (2, 1, 2, 1, 1)
        );
        assert_eq!(s.dropped(), 7);
    }

    #[test]
    fn a_flood_plays_at_most_real_time_plus_the_burst() {
        let t0 = Instant::now();
        let mut t = Talk::new(vec![AudioCodec::G711Ulaw]);
        let mut played = 0;
        for seq in 0..200u16 {
            if t.accept(&rtp(0, seq, 1, &[0; 160]), t0).is_ok() {
                played += 1;
            }
        }
        // One second of burst: 50 packets of 20 ms at the same instant.
        assert_eq!(played, 50);
        assert_eq!(t.stats.flood, 150);
        // Half a second later, 25 more.
        let later = t0 + Duration::from_millis(500);
        let more = (200..300u16)
            .filter(|&s| t.accept(&rtp(0, s, 1, &[0; 160]), later).is_ok())
            .count();
        assert_eq!(more, 25);
    }

    #[test]
    fn require_knows_the_backchannel_tag_only_with_a_speaker() {
        let req = |v: &[&str]| {
            let h: Vec<(&str, &str)> = v.iter().map(|v| ("Require", *v)).collect();
            Request::new(rtsp_types::Method::Describe, "rtsp://h/main", 1, &h)
        };
        assert_eq!(required(&req(&[]), true), Required::Plain);
        assert_eq!(
            required(&req(&["www.onvif.org/ver20/backchannel"]), true),
            Required::Backchannel
        );
        assert_eq!(
            required(&req(&["www.onvif.org/ver20/backchannel"]), false),
            Required::Unsupported(vec![REQUIRE_TAG.to_owned()])
        );
        assert_eq!(
            required(
                &req(&["www.onvif.org/ver20/backchannel, x.example/y"]),
                true
            ),
            Required::Unsupported(vec!["x.example/y".to_owned()])
        );
        assert_eq!(
            required(&req(&["a", "b"]), true),
            Required::Unsupported(vec!["a".to_owned(), "b".to_owned()])
        );
    }

    #[test]
    fn fuzz_input_holds_on_samples() {
        fuzz_input(&[]);
        fuzz_input(&rtp(0, 1, 1, &[0; 20]));
        let mut stream = Vec::new();
        for s in 0..5u16 {
            let p = rtp(0, s, 1, &[0xFF; 40]);
            stream.push(p.len() as u8);
            stream.extend_from_slice(&p);
        }
        fuzz_input(&stream);
    }
}
