//! RTCP (RFC 3550 s6), sans-IO: sender reports out, receiver reports in.
//!
//! We send one compound packet per report: SR followed by SDES with a CNAME, because every
//! compound packet must start with a report and carry a CNAME (RFC 3550 s6.1). We parse what
//! receivers send (RR, SR, SDES, BYE, APP, feedback) only as far as the server needs: any valid
//! packet from a session's receiver refreshes the session (RFC 2326 s12.37 allows RTCP as a
//! liveness sign), and RR report blocks feed the viewer metrics.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};

use super::h264::RtpFrame;

/// RTCP packet types (RFC 3550 s12.1).
pub mod packet_type {
    pub const SR: u8 = 200;
    pub const RR: u8 = 201;
    pub(crate) const SDES: u8 = 202;
    pub(crate) const BYE: u8 = 203;
}

/// Seconds between 1900-01-01 (NTP epoch) and 1970-01-01 (Unix epoch).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp (RFC 3550 s4) of a wall-clock time.
pub(crate) fn ntp_timestamp(t: SystemTime) -> u64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// What goes into a sender report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SenderInfo {
    pub ssrc: u32,
    /// Wall-clock capture time of the frame whose RTP timestamp is `rtp_ts`.
    pub ntp: u64,
    pub rtp_ts: u32,
    pub packet_count: u32,
    pub octet_count: u32,
}

/// Writes an SR (no report blocks: we receive no RTP) + SDES CNAME compound packet
/// (RFC 3550 s6.4.1, s6.5.1).
pub(crate) fn sender_report(info: &SenderInfo, cname: &str) -> Bytes {
    let cname = &cname.as_bytes()[..cname.len().min(255)];
    let mut b = BytesMut::with_capacity(28 + 12 + cname.len() + 4);
    b.put_u8(0x80); // V=2, P=0, RC=0
    b.put_u8(packet_type::SR);
    b.put_u16(6); // length in 32-bit words minus one
    b.put_u32(info.ssrc);
    b.put_u64(info.ntp);
    b.put_u32(info.rtp_ts);
    b.put_u32(info.packet_count);
    b.put_u32(info.octet_count);
    put_sdes_cname(&mut b, info.ssrc, cname);
    b.freeze()
}

/// Appends the SDES packet every compound packet carries (RFC 3550 s6.1): one chunk for
/// `ssrc` holding its CNAME item (s6.5.1), a null item ending the list, padded to 32 bits
/// (s6.5). `cname` is at most 255 bytes (its length is one octet).
fn put_sdes_cname(b: &mut BytesMut, ssrc: u32, cname: &[u8]) {
    let chunk = 4 + 2 + cname.len() + 1;
    let padded = chunk.div_ceil(4) * 4;
    b.put_u8(0x81); // V=2, P=0, SC=1
    b.put_u8(packet_type::SDES);
    b.put_u16((padded / 4) as u16); // length in 32-bit words minus one (the header's)
    b.put_u32(ssrc);
    b.put_u8(1); // CNAME
    b.put_u8(cname.len() as u8);
    b.extend_from_slice(cname);
    b.put_bytes(0, padded - chunk + 1); // the null item, then padding
}

/// Writes an RR (RFC 3550 s6.4.2: what a participant that receives RTP and sends none
/// reports) with `blocks` (at most 31) + SDES CNAME compound packet: the back channel's
/// reports to a talker.
pub(crate) fn receiver_report(ssrc: u32, blocks: &[ReportBlock], cname: &str) -> Bytes {
    let blocks = &blocks[..blocks.len().min(31)];
    let cname = &cname.as_bytes()[..cname.len().min(255)];
    let mut b = BytesMut::with_capacity(8 + 24 * blocks.len() + 12 + cname.len() + 4);
    b.put_u8(0x80 | blocks.len() as u8); // V=2, P=0, RC
    b.put_u8(packet_type::RR);
    b.put_u16((1 + 6 * blocks.len()) as u16);
    b.put_u32(ssrc);
    for r in blocks {
        b.put_u32(r.ssrc);
        b.put_u8(r.fraction_lost);
        // Cumulative lost: 24-bit two's complement, clamped (s6.4.1).
        let lost = r.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32 & 0xFF_FFFF;
        b.put_uint(u64::from(lost), 3);
        b.put_u32(r.highest_seq);
        b.put_u32(r.jitter);
        b.put_u32(r.last_sr);
        b.put_u32(r.delay_since_last_sr);
    }
    put_sdes_cname(&mut b, ssrc, cname);
    b.freeze()
}

/// One reception report block (RFC 3550 s6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReportBlock {
    pub ssrc: u32,
    pub fraction_lost: u8,
    /// Cumulative number of packets lost (24-bit signed).
    pub cumulative_lost: i32,
    pub highest_seq: u32,
    pub jitter: u32,
    pub last_sr: u32,
    pub delay_since_last_sr: u32,
}

/// A parsed RTCP packet; unknown types are kept as `Other`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RtcpPacket {
    SenderReport { ssrc: u32, blocks: Vec<ReportBlock> },
    ReceiverReport { ssrc: u32, blocks: Vec<ReportBlock> },
    Bye { ssrcs: Vec<u32> },
    Other { packet_type: u8 },
}

/// Why a datagram is not RTCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RtcpError {
    #[error("packet shorter than an RTCP header")]
    Short,
    #[error("RTCP version is not 2")]
    Version,
    #[error("RTCP length field runs past the datagram")]
    Length,
    #[error("report count does not fit the packet")]
    Count,
}

/// Parses a compound RTCP packet (RFC 3550 s6.1). Checks the header of every packet; an error
/// anywhere rejects the whole datagram, as s6.1's validity checks ask.
pub(crate) fn parse_compound(mut buf: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
    let mut out = Vec::new();
    if buf.is_empty() {
        return Err(RtcpError::Short);
    }
    while !buf.is_empty() {
        if buf.len() < 4 {
            return Err(RtcpError::Short);
        }
        if buf[0] >> 6 != 2 {
            return Err(RtcpError::Version);
        }
        let count = usize::from(buf[0] & 0x1f);
        let pt = buf[1];
        let len = (usize::from(u16::from_be_bytes([buf[2], buf[3]])) + 1) * 4;
        if len > buf.len() {
            return Err(RtcpError::Length);
        }
        let body = &buf[4..len];
        out.push(match pt {
            packet_type::SR => {
                if body.len() < 24 + count * 24 {
                    return Err(RtcpError::Count);
                }
                RtcpPacket::SenderReport {
                    ssrc: be32(body, 0),
                    blocks: blocks(&body[24..], count),
                }
            }
            packet_type::RR => {
                if body.len() < 4 + count * 24 {
                    return Err(RtcpError::Count);
                }
                RtcpPacket::ReceiverReport {
                    ssrc: be32(body, 0),
                    blocks: blocks(&body[4..], count),
                }
            }
            packet_type::BYE => {
                if body.len() < count * 4 {
                    return Err(RtcpError::Count);
                }
                RtcpPacket::Bye {
                    ssrcs: (0..count).map(|i| be32(body, i * 4)).collect(),
                }
            }
            other => RtcpPacket::Other { packet_type: other },
        });
        buf = &buf[len..];
    }
    Ok(out)
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn blocks(b: &[u8], count: usize) -> Vec<ReportBlock> {
    (0..count)
        .map(|i| {
            let o = i * 24;
            let lost = be32(b, o + 4) & 0x00ff_ffff;
            // Sign-extend the 24-bit cumulative loss.
            let lost = ((lost << 8) as i32) >> 8;
            ReportBlock {
                ssrc: be32(b, o),
                fraction_lost: b[o + 4],
                cumulative_lost: lost,
                highest_seq: be32(b, o + 8),
                jitter: be32(b, o + 12),
                last_sr: be32(b, o + 16),
                delay_since_last_sr: be32(b, o + 20),
            }
        })
        .collect()
}

/// When one RTP sender (a viewer, a multicast group) sends its sender reports: with its
/// first frame, so a receiver can map RTP to wall-clock time from the start (lip sync,
/// latency), and then with the first frame at least `interval` after the last report
/// (RFC 3550 s6.2: every few seconds; the daemon uses `rtsp::limits::SR_INTERVAL`). Sans-IO:
/// the sender passes the time it sends at ([`SrSchedule::report`]), or lets the frame's
/// capture time stand for it ([`SrSchedule::report_by_capture`]).
#[derive(Debug)]
pub(crate) struct SrSchedule {
    interval: Duration,
    cname: String,
    last: Option<Instant>,
    /// The capture time of the frame the last report went with (`report_by_capture`).
    last_capture: Option<Duration>,
}

impl SrSchedule {
    pub fn new(interval: Duration, cname: impl Into<String>) -> Self {
        Self {
            interval,
            cname: cname.into(),
            last: None,
            last_capture: None,
        }
    }

    /// The SR + SDES compound to send before `frame`, sent at `now`, if one is due.
    pub fn report(&mut self, now: Instant, frame: &RtpFrame) -> Option<Bytes> {
        if self
            .last
            .is_some_and(|t| now.saturating_duration_since(t) < self.interval)
        {
            return None;
        }
        self.last = Some(now);
        Some(sender_report(&frame.sender_info(), &self.cname))
    }

    /// [`SrSchedule::report_by_capture`]'s rule: a frame captured at `at` goes without a
    /// report after one that went with the frame captured at `last`. Shared with the TCP
    /// direct write (`rtsp::direct_write`), which leaves every due report to the writer.
    pub(crate) fn quiet_by_capture(
        last: Option<Duration>,
        at: Duration,
        interval: Duration,
    ) -> bool {
        last.is_some_and(|t| at >= t && at - t < interval)
    }

    /// The capture time of the frame the last report went with (`report_by_capture`).
    pub(crate) fn last_capture(&self) -> Option<Duration> {
        self.last_capture
    }

    /// As [`SrSchedule::report`], timed by the frames' capture times instead of a clock read
    /// per frame: a report with the first frame and then with the first frame captured at
    /// least `interval` after the last report's (or before it: a source that restarted its
    /// clock). The frame carries its wall/RTP pair already (`RtpFrame::sender_info`), so the
    /// sender needs no clock at all: a TCP writer sends every frame of a viewer and read the
    /// clock for nothing but this, once per frame per viewer (~95 instructions, issue 20).
    /// A viewer that falls behind and resyncs at a later keyframe gets its report early,
    /// which RFC 3550 s6.2 allows ("every few seconds").
    pub fn report_by_capture(&mut self, frame: &RtpFrame) -> Option<Bytes> {
        let at = frame.pts;
        if Self::quiet_by_capture(self.last_capture, at, self.interval) {
            return None;
        }
        self.last_capture = Some(at);
        Some(sender_report(&frame.sender_info(), &self.cname))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rr_layout_and_parse_back() {
        let block = ReportBlock {
            ssrc: 0x5a1e_0001,
            fraction_lost: 12,
            cumulative_lost: -3,
            highest_seq: 0x1_0010,
            jitter: 7,
            last_sr: 0,
            delay_since_last_sr: 0,
        };
        let rr = receiver_report(0xfeed, &[block], "nvt");
        assert_eq!(rr.len() % 4, 0);
        assert_eq!(rr[0], 0x81, "V=2, one report block");
        assert_eq!(
            parse_compound(&rr).unwrap(),
            vec![
                RtcpPacket::ReceiverReport {
                    ssrc: 0xfeed,
                    blocks: vec![block]
                },
                RtcpPacket::Other {
                    packet_type: packet_type::SDES
                }
            ]
        );
        let empty = receiver_report(1, &[], "nvt");
        assert_eq!(
            (empty[0], empty[1], be32(&empty, 0) & 0xFFFF),
            (0x80, 201, 1)
        );
    }

    #[test]
    fn sr_layout_and_parse_back() {
        let info = SenderInfo {
            ssrc: 0xdead_beef,
            ntp: ntp_timestamp(UNIX_EPOCH + Duration::from_millis(1500)),
            rtp_ts: 1234,
            packet_count: 10,
            octet_count: 9999,
        };
        let sr = sender_report(&info, "nvt@cam");
        assert_eq!(sr.len() % 4, 0);
        assert_eq!(&sr[8..12], &((NTP_UNIX_OFFSET + 1) as u32).to_be_bytes());
        assert_eq!(be32(&sr, 12), 1 << 31, "half a second as NTP fraction");
        let parsed = parse_compound(&sr).unwrap();
        assert_eq!(
            parsed,
            vec![
                RtcpPacket::SenderReport {
                    ssrc: 0xdead_beef,
                    blocks: vec![]
                },
                RtcpPacket::Other {
                    packet_type: packet_type::SDES
                }
            ]
        );
    }

    #[test]
    fn rr_with_block() {
        let mut b = vec![0x81, 201, 0, 7];
        b.extend_from_slice(&7u32.to_be_bytes());
        b.extend_from_slice(&0xdead_beefu32.to_be_bytes());
        b.extend_from_slice(&[0x10, 0xff, 0xff, 0xfe]); // 1/16 lost, cumulative -2
        b.extend_from_slice(&70_000u32.to_be_bytes());
        b.extend_from_slice(&[0; 12]);
        let p = parse_compound(&b).unwrap();
        let RtcpPacket::ReceiverReport { ssrc, blocks } = &p[0] else {
            panic!("{p:?}")
        };
        assert_eq!(*ssrc, 7);
        assert_eq!(blocks[0].fraction_lost, 0x10);
        assert_eq!(blocks[0].cumulative_lost, -2);
        assert_eq!(blocks[0].highest_seq, 70_000);
    }

    #[test]
    fn malformed_rejected() {
        assert_eq!(parse_compound(&[]), Err(RtcpError::Short));
        assert_eq!(parse_compound(&[0x80, 201, 0]), Err(RtcpError::Short));
        assert_eq!(parse_compound(&[0x40, 201, 0, 0]), Err(RtcpError::Version));
        assert_eq!(
            parse_compound(&[0x80, 201, 0, 5, 0, 0, 0, 0]),
            Err(RtcpError::Length)
        );
        assert_eq!(
            parse_compound(&[0x81, 201, 0, 1, 0, 0, 0, 0]),
            Err(RtcpError::Count)
        );
    }

    #[test]
    fn sender_reports_go_with_the_first_frame_then_every_interval() {
        use crate::frame::Frame;
        use crate::rtp::h264::H264Packetizer;
        let mut p = H264Packetizer::new(0x1234, 0, 0);
        let f = p.packetize(&Frame {
            channel: 0,
            seq: 0,
            pts: Duration::ZERO,
            wallclock: UNIX_EPOCH + Duration::from_secs(1),
            keyframe: false,
            nals: vec![Bytes::from_static(&[0x41, 1, 2])],
        });
        let t0 = Instant::now();
        let mut s = SrSchedule::new(Duration::from_secs(5), "cam");
        let first = s.report(t0, &f).expect("with the first frame");
        let parsed = parse_compound(&first).unwrap();
        assert!(
            matches!(parsed[0], RtcpPacket::SenderReport { ssrc: 0x1234, .. }),
            "{parsed:?}"
        );
        // 25 fps for 20 s: one more report every 5 s.
        let sent = (1..500u32)
            .filter(|i| s.report(t0 + Duration::from_millis(40) * *i, &f).is_some())
            .count();
        assert_eq!(sent, 3);
    }

    #[test]
    fn capture_timed_reports_follow_the_frames_clock_and_survive_a_restart() {
        use crate::frame::Frame;
        use crate::rtp::h264::H264Packetizer;
        let mut p = H264Packetizer::new(0x1234, 0, 0);
        let mut frame = |i: u32| {
            p.packetize(&Frame {
                channel: 0,
                seq: i,
                pts: Duration::from_millis(40) * i,
                wallclock: UNIX_EPOCH + Duration::from_secs(1) + Duration::from_millis(40) * i,
                keyframe: false,
                nals: vec![Bytes::from_static(&[0x41, 1, 2])],
            })
        };
        let mut s = SrSchedule::new(Duration::from_secs(5), "cam");
        // 25 fps for 20 s of capture time: with frames 0, 125, 250 and 375.
        let with: Vec<u32> = (0..500u32)
            .filter(|&i| s.report_by_capture(&frame(i)).is_some())
            .collect();
        assert_eq!(with, vec![0, 125, 250, 375]);
        // The SR names the frame it goes with (its capture instant as NTP time).
        let sr = s
            .report_by_capture(&frame(1000))
            .expect("5 s after frame 375");
        assert_eq!(sr[1], 200, "an SR");
        assert_eq!(&sr[8..12], &((NTP_UNIX_OFFSET + 41) as u32).to_be_bytes());
        // A source that restarts its clock gets a report at once, then every 5 s again.
        assert!(s.report_by_capture(&frame(0)).is_some());
        assert!(s.report_by_capture(&frame(1)).is_none());
    }
}
