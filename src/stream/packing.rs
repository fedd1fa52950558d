//! What the stream core asks of a protocol: turn each frame into the unit its consumers send,
//! once per frame for all of them.
//!
//! The core itself never looks inside a unit; it needs only to know where a consumer may start
//! (a keyframe) and what a unit weighs in a queue. RTP implements this in `crate::rtp::stream`
//! (one SSRC and one sequence space shared by every viewer, as multicast would be, RFC 3550
//! s8); [`Unpacked`] hands the frames on as they are.

use crate::frame::Frame;

/// One frame as a protocol sends it, shared by every consumer behind an `Arc`.
pub trait Unit: Send + Sync + 'static {
    /// A consumer may start (or resync) here: it decodes without anything sent before.
    fn is_keyframe(&self) -> bool;
    /// Bytes it holds in a consumer's queue (what [`super::QueueLimits::max_bytes`] counts).
    fn size(&self) -> usize;
    /// A new consumer may be handed this unit from the cache (`super::gop`). Video: yes, the
    /// picture since the last keyframe. An ONVIF metadata document: no, it reports events of
    /// its moment, and a late viewer given it would take old events for new ones.
    fn cacheable(&self) -> bool {
        true
    }
    /// Its capture time on the SDK's clock, for a consumer starting at an instant
    /// (`super::recent`); `None`: the unit has none.
    fn pts(&self) -> Option<std::time::Duration> {
        None
    }
}

/// Packs each published frame into the [`Unit`] consumers get. Called under the hub's lock,
/// once per frame, in publishing order: stream-wide state (sequence numbers, counters) lives
/// here and is the same for every consumer.
pub trait Packer: Send + 'static {
    type Unit: Unit;
    fn pack(&mut self, frame: &Frame) -> Self::Unit;
}

impl Unit for Frame {
    fn is_keyframe(&self) -> bool {
        self.keyframe
    }

    fn size(&self) -> usize {
        self.len()
    }

    fn pts(&self) -> Option<std::time::Duration> {
        Some(self.pts)
    }
}

/// Frames as they are (a clone of the NAL list, no video copied): for a consumer that muxes
/// for itself, and for the core's own tests.
#[derive(Clone, Copy, Debug, Default)]
#[cfg(test)]
pub(crate) struct Unpacked;

#[cfg(test)]
impl Packer for Unpacked {
    type Unit = Frame;

    fn pack(&mut self, frame: &Frame) -> Frame {
        frame.clone()
    }
}
