//! The raw-frame tap: frames as published, for consumers that mux for themselves (HLS) and
//! so want the frame rather than a protocol's packing of it.
//!
//! A `tokio::sync::broadcast` ring: one `Arc<Frame>` per frame (no video copied), made only
//! while someone listens; a receiver that falls [`FRAME_RING`] frames behind is told it
//! lagged and resumes at the next keyframe. The publisher never waits.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::frame::Frame;

/// Frames a tap receiver may fall behind before it loses frames (~2.5 s at 25 fps).
pub(crate) const FRAME_RING: usize = 64;

/// The sending end, owned by the hub.
#[derive(Debug)]
pub(crate) struct FrameTap(broadcast::Sender<Arc<Frame>>);

impl Default for FrameTap {
    fn default() -> Self {
        Self(broadcast::channel(FRAME_RING).0)
    }
}

impl FrameTap {
    /// Hands `frame` to the receivers, if there are any (none: nothing is allocated).
    pub(crate) fn send(&self, frame: Frame) {
        if self.0.receiver_count() > 0 {
            let _ = self.0.send(Arc::new(frame));
        }
    }

    /// Frames from the next one sent on. Dropping the receiver unsubscribes.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Frame>> {
        self.0.subscribe()
    }
}
