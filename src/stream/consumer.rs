//! A viewer's end of the fan-out: its queue, shared between the hub (which pushes) and the
//! viewer's writer (which takes), and the wake-ups between them.
//!
//! No clock here either: the writer takes units and reports them sent; the hub judges lag
//! at publishing time with the time its caller passes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use futures_util::task::AtomicWaker;
use tokio::sync::Notify;

use super::packing::Unit;
use super::queue::Queue;

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a stream lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the hub and one viewer share.
pub(super) struct Slot<U> {
    pub(super) queue: Mutex<Queue<U>>,
    /// Wakes the writer, the queue's one consumer. An `AtomicWaker` rather than a `Notify`:
    /// waking it and registering with it are a few atomic operations, where a `Notify`
    /// locks its waiter list on both sides, once per frame per viewer (issue 20).
    ready: AtomicWaker,
    /// Woken on a push while a [`ViewerWatch`] waits (`ready` wakes the writer alone).
    queued: Notify,
    kicked: AtomicBool,
    kick: Notify,
}

impl<U: Unit> Slot<U> {
    pub(super) fn new(queue: Queue<U>) -> Self {
        Self {
            queue: Mutex::new(queue),
            ready: AtomicWaker::new(),
            queued: Notify::new(),
            kicked: AtomicBool::new(false),
            kick: Notify::new(),
        }
    }

    /// Something was queued (the queue's lock released). `watched`: the queue had a
    /// [`ViewerWatch`] waiting when the unit went in ([`Queue::is_watched`], read under the
    /// lock the push held), so the hot path takes no lock of `queued`'s for every unit of
    /// every viewer. A watch registers with the queue before it enables its wake-up and looks
    /// at the queue after, so a push in between is seen by that look.
    pub(super) fn wake(&self, watched: bool) {
        self.ready.wake();
        if watched {
            self.queued.notify_waiters();
        }
    }

    pub(super) fn kick(&self) {
        self.kicked.store(true, Ordering::Release);
        self.kick.notify_one();
        self.ready.wake();
        self.queued.notify_waiters();
    }

    pub(super) fn is_kicked(&self) -> bool {
        self.kicked.load(Ordering::Acquire)
    }
}

/// The viewer was disconnected for exceeding the lag bound (or its hub is gone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("viewer disconnected: lag bound exceeded")]
pub(crate) struct Kicked;

/// Where a dropped [`Viewer`] unsubscribes: its hub, seen only through this, so a viewer's
/// end does not depend on the hub (`super::hub::StreamHub` implements it).
pub(super) trait Roster<U>: Send + Sync {
    fn remove(&self, slot: &Arc<Slot<U>>);
}

/// One viewer's end of the fan-out, owned by its writer. Dropping it unsubscribes.
///
/// Typed by the unit it takes, not by the packer that made it: two streams packed
/// differently into the same unit (RTP: H.264 video and ONVIF metadata, `crate::rtp`) give
/// viewers of one type, which one writer sends side by side.
pub(crate) struct Viewer<U: Unit> {
    pub(super) hub: Weak<dyn Roster<U>>,
    pub(super) slot: Arc<Slot<U>>,
}

/// A look at a viewer's queue from outside its writer: where its first unit starts (what a
/// PLAY reply's RTP-Info announces). Cheap to clone; does not keep the viewer subscribed.
pub(crate) struct ViewerWatch<U>(Arc<Slot<U>>);

impl<U> Clone for ViewerWatch<U> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<U: Unit> ViewerWatch<U> {
    /// The unit the viewer's writer will take next: the queue's first one, or, with nothing
    /// queued, the first one queued from now on (a viewer that waits for a keyframe gets the
    /// keyframe). Asked before the writer runs, that is exactly the first unit it sends;
    /// asked of a running writer (a multicast group a member joins), it is the first whole
    /// unit sent from now on, even when the writer takes it before this watch wakes.
    /// `None` if the viewer is kicked. Waits without a bound: the caller bounds it.
    pub(crate) async fn first(&self) -> Option<Arc<U>> {
        let from = match lock(&self.0.queue).watch_begin() {
            Ok(u) => return (!self.0.is_kicked()).then_some(u),
            Err(from) => from,
        };
        let _begun = Begun(&self.0.queue);
        loop {
            let queued = self.0.queued.notified();
            tokio::pin!(queued);
            // Registered before looking, so a push in between is not missed.
            queued.as_mut().enable();
            if self.0.is_kicked() {
                return None;
            }
            // A running writer may have taken the unit already: the queue kept it for us.
            if let Some(u) = lock(&self.0.queue).watch_poll(from) {
                return Some(u);
            }
            queued.await;
        }
    }
}

/// Ends a [`Queue::watch_begin`] that waits (also when the watch's future is dropped).
struct Begun<'a, U: Unit>(&'a Mutex<Queue<U>>);

impl<U: Unit> Drop for Begun<'_, U> {
    fn drop(&mut self) {
        lock(self.0).watch_end();
    }
}

impl<U: Unit> std::fmt::Debug for Viewer<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer").field("id", &self.id()).finish()
    }
}

impl<U: Unit> Viewer<U> {
    pub fn id(&self) -> u64 {
        lock(&self.slot.queue).metrics().id
    }

    /// A handle on this viewer's queue (see [`ViewerWatch`]).
    pub(crate) fn watch(&self) -> ViewerWatch<U> {
        ViewerWatch(self.slot.clone())
    }

    /// Bytes queued for this viewer behind the unit its writer is sending: the backlog a
    /// paced UDP sender must catch up on (`rtp::pacing::pace_rate`).
    pub(crate) fn queued_bytes(&self) -> usize {
        lock(&self.slot.queue).bytes()
    }

    /// The next whole unit to send; the writer is busy with it until [`Viewer::sent`] or
    /// [`Viewer::failed`].
    pub(crate) async fn next(&self) -> Result<Arc<U>, Kicked> {
        self.next_armed(false).await
    }

    /// As [`Viewer::next`]; `armed`: [`Viewer::sent_armed`] returned true in this same poll
    /// of the calling task (no await between them), so the queue was seen empty after the
    /// task's waker was registered, and the first poll returns `Pending` without looking
    /// again (a lock and a registration fewer per frame per viewer, issue 20). Later polls
    /// look as [`Viewer::next`] does.
    pub(crate) async fn next_armed(&self, mut armed: bool) -> Result<Arc<U>, Kicked> {
        std::future::poll_fn(move |cx| {
            if std::mem::take(&mut armed) {
                return std::task::Poll::Pending;
            }
            // Registered before looking, so a push (or kick) in between wakes this poll's
            // task; an `AtomicWaker` holds the writer's one waker, which is all it needs.
            self.slot.ready.register(cx.waker());
            match self.try_next() {
                Ok(None) => std::task::Poll::Pending,
                Ok(Some(u)) => std::task::Poll::Ready(Ok(u)),
                Err(k) => std::task::Poll::Ready(Err(k)),
            }
        })
        .await
    }

    /// As [`Viewer::next`] without waiting.
    pub(crate) fn try_next(&self) -> Result<Option<Arc<U>>, Kicked> {
        if self.slot.is_kicked() {
            return Err(Kicked);
        }
        Ok(lock(&self.slot.queue).take())
    }

    /// Reports that the unit went out (`bytes` on the wire, framing included).
    pub(crate) fn sent(&self, bytes: usize) {
        lock(&self.slot.queue).done(Some(bytes));
    }

    /// As [`Viewer::sent`], and under the same lock looks whether the queue is empty behind
    /// it: true if so (and the viewer not kicked), when the caller may go straight to sleep
    /// with [`Viewer::next_armed`]. The look needs no registration of its own: the unit just
    /// sent was taken by a poll of [`Viewer::next`] in the same task, which registered its
    /// waker before it looked, and that registration is either still in place, so a later
    /// push wakes the task, or was used by a push since, which already woke the task and
    /// then lies in the queue where this look sees it.
    pub(crate) fn sent_armed(&self, bytes: usize) -> bool {
        let mut q = lock(&self.slot.queue);
        q.done(Some(bytes));
        q.is_empty() && !self.slot.is_kicked()
    }

    /// Lets the publisher put this viewer's units on its wire directly while its queue is
    /// idle (`sink`), or stops it (`None`; also done when the viewer is dropped).
    pub(crate) fn set_direct(&self, sink: Option<Arc<dyn super::DirectSink<U>>>) {
        lock(&self.slot.queue).set_direct(sink);
    }

    /// Counts a unit the writer could not send (e.g. a UDP send error) as dropped.
    pub(crate) fn failed(&self) {
        lock(&self.slot.queue).done(None);
    }

    /// Resolves when the hub kicks this viewer; races a stuck write.
    pub(crate) async fn kicked(&self) {
        while !self.slot.is_kicked() {
            self.slot.kick.notified().await;
        }
    }

    #[cfg(test)]
    pub(crate) fn is_kicked(&self) -> bool {
        self.slot.is_kicked()
    }

    #[cfg(test)]
    pub fn metrics(&self) -> super::metrics::ViewerMetrics {
        lock(&self.slot.queue).metrics().clone()
    }
}

impl<U: Unit> Drop for Viewer<U> {
    fn drop(&mut self) {
        // A watch may keep the slot alive; the sink (and the socket behind it) goes now.
        lock(&self.slot.queue).set_direct(None);
        if let Some(hub) = self.hub.upgrade() {
            hub.remove(&self.slot);
        }
    }
}
