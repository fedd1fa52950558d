//! A viewer's direct sink: a way for the fan-out to put a unit on a viewer's wire at once,
//! from the publisher, instead of queueing it and waking the viewer's writer task (issue 20:
//! the wake-up, schedule and poll of that task were ~1,500 of the ~2,600 user-space
//! instructions per frame per viewer).
//!
//! The stream core only asks; the protocol shell decides whether it can (RTSP over a bare
//! TCP socket: `crate::rtsp::direct_write`). The core offers a unit to the sink only when
//! the viewer's queue is idle ([`super::queue::Queue::is_idle`]: nothing queued, nothing
//! in its writer's hands, not waiting for a keyframe, no watch waiting), so a unit sent
//! directly is exactly the one the writer would have taken next, and the slow-viewer policy
//! is unchanged: a viewer that is behind has a queue, and a queue is never bypassed.

use std::sync::Arc;

/// What a [`DirectSink`] did with a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direct {
    /// The whole unit went out: `bytes` on the wire. Nothing to queue, no one to wake.
    Whole(usize),
    /// Part of it went out; the sink handed the rest to the viewer's writer, which must be
    /// woken and reports the unit sent when it has finished it. The queue counts the unit as
    /// taken (in the writer's hands), so the lag bound judges a writer stuck on the rest.
    Part,
    /// Nothing went out: queue it as usual.
    Declined,
}

/// Takes a unit straight to a viewer's wire without waiting, or declines.
pub(crate) trait DirectSink<U>: Send + Sync {
    fn try_send(&self, unit: &Arc<U>) -> Direct;
}
