//! One encoded video frame (an H.264 access unit), as it leaves the SDK wrapper.
//!
//! This is the unit the rest of the daemon shares: the RTSP stream hub packetizes it once,
//! HLS muxes it, viewers hold it behind an `Arc`. The NAL units are slices of one `Bytes`
//! buffer, so cloning a frame or a NAL never copies video data.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

/// H.264 `nal_unit_type` values this daemon cares about (ITU-T H.264 Table 7-1).
pub mod nal_type {
    pub const SLICE: u8 = 1;
    pub const IDR: u8 = 5;
    pub const SEI: u8 = 6;
    pub const SPS: u8 = 7;
    pub const PPS: u8 = 8;
    pub const AUD: u8 = 9;
}

/// An encoded access unit from one encoder channel.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Encoder channel that produced it.
    pub channel: u32,
    /// Frame number on that channel from the SDK; a jump means the SDK dropped frames.
    pub seq: u32,
    /// Capture time on the monotonic clock (since an arbitrary origin fixed per boot).
    /// RTP timestamps derive from it, so they advance with real capture spacing.
    pub pts: Duration,
    /// Capture time on the wall clock (RTCP sender-report NTP time, HLS program date-time).
    pub wallclock: SystemTime,
    /// An IDR access unit; SPS and PPS are among its NAL units.
    pub keyframe: bool,
    /// NAL units in decoding order, without Annex-B start codes; never empty.
    pub nals: Vec<Bytes>,
}

impl Frame {
    /// Total payload size in bytes (NAL units without start codes).
    pub fn len(&self) -> usize {
        self.nals.iter().map(Bytes::len).sum()
    }

    /// True when the frame carries no NAL bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first NAL unit of the given type, if any.
    pub fn nal(&self, kind: u8) -> Option<&Bytes> {
        self.nals
            .iter()
            .find(|n| n.first().map(|b| b & 0x1f) == Some(kind))
    }

    /// Writes the frame as an Annex-B byte stream (start code before each NAL unit), as
    /// `.h264` files and ffmpeg's raw demuxer expect.
    pub fn write_annex_b(&self, out: &mut Vec<u8>) {
        for nal in &self.nals {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
    }
}

/// A synthetic frame for unit tests: frame `i` of a 25 fps stream; a keyframe is SPS, PPS and
/// an IDR slice of `idr_len` bytes, any other frame a 500-byte P slice.
#[cfg(test)]
pub(crate) fn test_frame(i: u32, key: bool, idr_len: usize) -> Frame {
    let nals = if key {
        vec![
            Bytes::from_static(&[0x67, 0x42, 0xc0, 0x1e, 1, 2]),
            Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80]),
            Bytes::from(vec![0x65; idr_len]),
        ]
    } else {
        vec![Bytes::from(vec![0x41; 500])]
    };
    Frame {
        channel: 0,
        seq: i,
        pts: Duration::from_millis(40) * i,
        wallclock: SystemTime::UNIX_EPOCH,
        keyframe: key,
        nals,
    }
}
