//! How a stream describes itself to a client (an SDP, an HLS codec string): its H.264
//! parameter sets, as the encoder last sent them, and the settings that follow the encoder
//! configuration (frame rate, multicast group, session timeout).

use std::time::Duration;

use bytes::Bytes;

use super::queue::QueueLimits;
use crate::frame::{Frame, nal_type};

/// Where a stream is multicast when a client asks for `RTP/AVP;multicast` (RFC 2326 s12.39:
/// the server chooses the group). RTCP goes to `port + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulticastConfig {
    pub group: std::net::Ipv4Addr,
    /// Even RTP port (RFC 3550 s11).
    pub port: u16,
    pub ttl: u8,
}

/// A stream as it is created.
#[derive(Clone, Debug, Default)]
pub struct StreamConfig {
    /// Nominal frame rate, advertised as `a=framerate` (RFC 4566 s6).
    pub framerate: Option<f64>,
    pub limits: QueueLimits,
    /// Multicast group of this stream; `None` refuses multicast SETUPs (461).
    pub multicast: Option<MulticastConfig>,
    /// RTSP session timeout of this stream (ONVIF video encoder configuration
    /// SessionTimeout); `None` uses the server's default (`rtsp::limits::SESSION_TIMEOUT`).
    pub session_timeout: Option<Duration>,
}

/// What describes a stream now.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Description {
    pub(crate) sps: Option<Bytes>,
    pub(crate) pps: Option<Bytes>,
    pub(crate) framerate: Option<f64>,
    pub(crate) multicast: Option<MulticastConfig>,
    /// Session timeout SETUP announces and the server enforces (`None`: server default).
    pub(crate) session_timeout: Option<Duration>,
}

/// The parameter sets of a stream and whether they are current.
#[derive(Debug, Default)]
pub(crate) struct ParamSets {
    sps: Option<Bytes>,
    pps: Option<Bytes>,
    /// The encoder is being reconfigured: the sets held are the old ones until the next
    /// keyframe brings the new ones.
    stale: bool,
}

impl ParamSets {
    /// Takes the sets a published frame carries (`keyframe`: it is one, as its packing
    /// judged). Returns true when the sets just became current: DESCRIBEs waiting for them
    /// may go on.
    pub(crate) fn observe(&mut self, frame: &Frame, keyframe: bool) -> bool {
        let was = self.current();
        for nal in &frame.nals {
            match nal.first().map(|b| b & 0x1f) {
                Some(nal_type::SPS) => self.sps = Some(nal.clone()),
                Some(nal_type::PPS) => self.pps = Some(nal.clone()),
                _ => {}
            }
        }
        if keyframe {
            self.stale = false;
        }
        !was && self.current()
    }

    /// Both sets are known and belong to the encoder's current configuration.
    pub(crate) fn current(&self) -> bool {
        self.sps.is_some() && self.pps.is_some() && !self.stale
    }

    /// The encoder is about to change its parameters.
    pub(crate) fn expect_new(&mut self) {
        self.stale = true;
    }

    /// It did not change them after all.
    pub(crate) fn cancel_new(&mut self) {
        self.stale = false;
    }

    pub(crate) fn sps(&self) -> Option<&Bytes> {
        self.sps.as_ref()
    }

    pub(crate) fn pps(&self) -> Option<&Bytes> {
        self.pps.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn frame(key: bool) -> Frame {
        let mut nals = vec![];
        if key {
            nals.push(Bytes::from_static(&[0x67, 0x42, 0xc0, 0x1e]));
            nals.push(Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80]));
            nals.push(Bytes::from_static(&[0x65, 1]));
        } else {
            nals.push(Bytes::from_static(&[0x41, 1]));
        }
        Frame {
            channel: 0,
            seq: 0,
            pts: Duration::ZERO,
            wallclock: SystemTime::UNIX_EPOCH,
            keyframe: key,
            nals,
        }
    }

    #[test]
    fn sets_are_current_from_the_first_keyframe_until_a_change_is_announced() {
        let mut p = ParamSets::default();
        assert!(!p.observe(&frame(false), false));
        assert!(
            p.observe(&frame(true), true),
            "became current: wake DESCRIBE"
        );
        assert!(!p.observe(&frame(true), true), "already current");
        p.expect_new();
        assert!(!p.current());
        assert!(
            !p.observe(&frame(false), false),
            "a P frame brings no new sets"
        );
        assert!(p.observe(&frame(true), true));
        p.expect_new();
        p.cancel_new();
        assert!(p.current());
    }
}
