//! One viewer's queue and the slow-viewer policy, sans-IO: units and the time come in,
//! decisions go out; nothing here reads a clock or wakes a task.
//!
//! The policy (docs/rtsp.md, "Fan-out policy"):
//! - a viewer holds whole units only, bounded by [`QueueLimits::max_bytes`] and
//!   [`QueueLimits::max_age`];
//! - when a new unit would break either bound, every queued unit is dropped and the viewer
//!   waits for the next keyframe (a *resync*): it never gets half a frame, nor a frame whose
//!   references it missed;
//! - when the oldest unsent unit, or the one the writer is stuck sending, is older than
//!   [`QueueLimits::lag_bound`], the viewer is to be *kicked* ([`Verdict::Kick`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::direct::{Direct, DirectSink};
use super::metrics::ViewerMetrics;
use super::packing::Unit;

/// Bytes a viewer may have queued before it is resynced (several IDRs of a 1080p stream).
pub(crate) const DEFAULT_MAX_QUEUE_BYTES: usize = 4 * 1024 * 1024;
/// Age of the oldest queued frame past which a viewer is resynced.
pub(crate) const DEFAULT_MAX_QUEUE_AGE: Duration = Duration::from_millis(1000);
/// Lag past which a viewer is disconnected (issue 3: 3 s).
pub(crate) const DEFAULT_LAG_BOUND: Duration = Duration::from_secs(3);

/// Per-viewer queue bounds.
#[derive(Clone, Copy, Debug)]
pub struct QueueLimits {
    pub(crate) max_bytes: usize,
    pub(crate) max_age: Duration,
    pub(crate) lag_bound: Duration,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_QUEUE_BYTES,
            max_age: DEFAULT_MAX_QUEUE_AGE,
            lag_bound: DEFAULT_LAG_BOUND,
        }
    }
}

/// What the fan-out must do with a viewer after offering it a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Still within the lag bound: wake its writer.
    Keep,
    /// Past the lag bound: disconnect it (its metrics say `kicked`).
    Kick,
}

struct Queued<U> {
    unit: Arc<U>,
    at: Instant,
    /// Which accepted unit this is (0, 1, ...): how a watch tells units queued before it
    /// began from those queued after.
    index: u64,
}

/// The queue of one viewer.
pub(crate) struct Queue<U> {
    items: VecDeque<Queued<U>>,
    bytes: usize,
    waiting_keyframe: bool,
    /// When the unit the writer is sending now was queued.
    busy_since: Option<Instant>,
    /// Units accepted so far: the index of the next one.
    accepted: u64,
    /// Watches waiting for a unit ([`Queue::watch_begin`] .. [`Queue::watch_end`]).
    watching: usize,
    /// While a watch waits: the unit the writer took last, with its index. A running writer
    /// usually takes a unit before the woken watch looks at the queue; the watch still finds
    /// it here. Not kept otherwise (the hot path pays one branch).
    taken: Option<(u64, Arc<U>)>,
    /// Where an idle viewer's next unit may go at once ([`Queue::offer_direct`]); set by its
    /// writer while it can take units that way.
    direct: Option<Arc<dyn DirectSink<U>>>,
    metrics: ViewerMetrics,
}

impl<U: Unit> Queue<U> {
    /// An empty queue that accepts nothing before a keyframe.
    pub(crate) fn new(id: u64, label: String) -> Self {
        Self {
            items: VecDeque::new(),
            bytes: 0,
            waiting_keyframe: true,
            busy_since: None,
            accepted: 0,
            watching: 0,
            taken: None,
            direct: None,
            metrics: ViewerMetrics {
                id,
                label,
                ..Default::default()
            },
        }
    }

    /// Offers the stream's newest unit at `now` and judges the viewer's lag.
    pub(crate) fn offer(&mut self, unit: &Arc<U>, now: Instant, limits: &QueueLimits) -> Verdict {
        self.push(unit, now, limits);
        let lag = self.lag(now);
        self.metrics.max_lag = self.metrics.max_lag.max(lag);
        if lag > limits.lag_bound {
            self.metrics.kicked = true;
            Verdict::Kick
        } else {
            Verdict::Keep
        }
    }

    /// As [`Queue::offer`], but an idle queue ([`Queue::is_idle`]) with a direct sink first
    /// offers the unit to the sink (`crate::stream::direct`). Returns the verdict and whether
    /// the writer must be woken: not when the whole unit went out directly.
    pub(crate) fn offer_direct(
        &mut self,
        unit: &Arc<U>,
        now: Instant,
        limits: &QueueLimits,
    ) -> (Verdict, bool) {
        if let Some(sink) = &self.direct
            && self.is_idle()
        {
            match sink.try_send(unit) {
                Direct::Whole(bytes) => {
                    self.accepted += 1;
                    self.metrics.frames += 1;
                    self.metrics.frames_direct += 1;
                    self.metrics.bytes += bytes as u64;
                    return (Verdict::Keep, false);
                }
                Direct::Part => {
                    // In the writer's hands from now, as if it had taken it: it finishes the
                    // unit and reports it `done`; the lag bound judges it meanwhile.
                    self.push(unit, now, limits);
                    let _in_hand = self.take();
                    return (Verdict::Keep, true);
                }
                Direct::Declined => {}
            }
        }
        (self.offer(unit, now, limits), true)
    }

    /// Nothing queued, nothing in the writer's hands, not waiting for a keyframe, no watch
    /// waiting: the next unit is the one the writer would send at once, so it may go
    /// directly.
    pub(crate) fn is_idle(&self) -> bool {
        self.items.is_empty()
            && self.busy_since.is_none()
            && !self.waiting_keyframe
            && self.watching == 0
    }

    /// Sets (or with `None` removes) the viewer's direct sink.
    pub(crate) fn set_direct(&mut self, sink: Option<Arc<dyn DirectSink<U>>>) {
        self.direct = sink;
    }

    /// Queues `unit` under the drop/resync policy (also how a new viewer is primed with the
    /// cached GOP: its first unit is the GOP's keyframe).
    pub(crate) fn push(&mut self, unit: &Arc<U>, now: Instant, limits: &QueueLimits) {
        let key = unit.is_keyframe();
        if self.waiting_keyframe && !key {
            self.metrics.frames_dropped += 1;
            return;
        }
        let too_big = self.bytes + unit.size() > limits.max_bytes && !self.items.is_empty();
        let too_old = self
            .items
            .front()
            .is_some_and(|q| now.saturating_duration_since(q.at) > limits.max_age);
        if too_big || too_old {
            // Resync: drop every unsent unit, resume at the next keyframe.
            self.metrics.frames_dropped += self.items.len() as u64;
            self.metrics.resyncs += 1;
            self.items.clear();
            self.bytes = 0;
            if !key {
                self.waiting_keyframe = true;
                self.metrics.frames_dropped += 1;
                return;
            }
        }
        self.waiting_keyframe = false;
        self.bytes += unit.size();
        self.items.push_back(Queued {
            unit: unit.clone(),
            at: now,
            index: self.accepted,
        });
        self.accepted += 1;
    }

    /// How far behind the viewer is at `now`: the age of its oldest unsent unit or of the one
    /// its writer is stuck sending, whichever is older.
    pub(crate) fn lag(&self, now: Instant) -> Duration {
        let queued = self
            .items
            .front()
            .map(|q| now.saturating_duration_since(q.at));
        let busy = self.busy_since.map(|t| now.saturating_duration_since(t));
        queued.max(busy).unwrap_or_default()
    }

    /// The next unit for the writer, which is busy with it until [`Queue::done`].
    pub(crate) fn take(&mut self) -> Option<Arc<U>> {
        let q = self.items.pop_front()?;
        self.bytes -= q.unit.size();
        self.busy_since = Some(q.at);
        if self.watching > 0 {
            self.taken = Some((q.index, q.unit.clone()));
        }
        Some(q.unit)
    }

    /// The unit [`Queue::take`] would return.
    #[cfg(test)]
    fn front(&self) -> Option<&Arc<U>> {
        self.items.front().map(|q| &q.unit)
    }

    /// Starts watching for the first unit the writer sends from now on: the queue's first
    /// one, or, with nothing queued, `Err(from)`, the index of the next unit accepted, to
    /// pass to [`Queue::watch_poll`] after each push. End every `Err` with
    /// [`Queue::watch_end`].
    pub(crate) fn watch_begin(&mut self) -> Result<Arc<U>, u64> {
        match self.items.front() {
            Some(q) => Ok(q.unit.clone()),
            None => {
                self.watching += 1;
                Err(self.accepted)
            }
        }
    }

    /// The first unit accepted at or after index `from`, whether the writer has taken it
    /// yet or not; if the writer took several meanwhile, the last it took (still the start
    /// of a whole unit sent after the watch began).
    pub(crate) fn watch_poll(&self, from: u64) -> Option<Arc<U>> {
        if let Some((i, u)) = &self.taken
            && *i >= from
        {
            return Some(u.clone());
        }
        self.items
            .iter()
            .find(|q| q.index >= from)
            .map(|q| q.unit.clone())
    }

    /// A watch waits for this queue's next unit (its writer's wake-ups must reach it too).
    pub(crate) fn is_watched(&self) -> bool {
        self.watching > 0
    }

    /// A watch begun with `Err` has ended.
    pub(crate) fn watch_end(&mut self) {
        self.watching -= 1;
        if self.watching == 0 {
            self.taken = None;
        }
    }

    /// The writer finished its unit: `Some(bytes)` went out on the wire, `None` could not be
    /// sent (counted as dropped).
    pub(crate) fn done(&mut self, sent: Option<usize>) {
        self.busy_since = None;
        match sent {
            Some(bytes) => {
                self.metrics.frames += 1;
                self.metrics.bytes += bytes as u64;
            }
            None => self.metrics.frames_dropped += 1,
        }
    }

    /// Nothing is queued behind the unit being sent.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Bytes queued behind the unit being sent.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn metrics(&self) -> &ViewerMetrics {
        &self.metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit of `size` bytes; `key` marks a keyframe.
    #[derive(Debug)]
    struct U(usize, bool);

    impl Unit for U {
        fn is_keyframe(&self) -> bool {
            self.1
        }
        fn size(&self) -> usize {
            self.0
        }
    }

    fn unit(key: bool) -> Arc<U> {
        Arc::new(U(if key { 3000 } else { 500 }, key))
    }

    const FRAME: Duration = Duration::from_millis(40);

    fn limits(max_bytes: usize, max_age_ms: u64, lag_ms: u64) -> QueueLimits {
        QueueLimits {
            max_bytes,
            max_age: Duration::from_millis(max_age_ms),
            lag_bound: Duration::from_millis(lag_ms),
        }
    }

    #[test]
    fn nothing_is_queued_before_the_first_keyframe() {
        let t0 = Instant::now();
        let l = QueueLimits::default();
        let mut q = Queue::new(1, "v".into());
        q.push(&unit(false), t0, &l);
        q.push(&unit(false), t0 + FRAME, &l);
        assert!(q.front().is_none());
        assert_eq!(q.metrics().frames_dropped, 2);
        q.push(&unit(true), t0 + 2 * FRAME, &l);
        assert!(q.take().unwrap().is_keyframe());
    }

    #[test]
    fn a_viewer_that_keeps_up_loses_nothing() {
        let t0 = Instant::now();
        let l = limits(6000, 100, 200);
        let mut q = Queue::new(1, "v".into());
        for i in 0..1000u32 {
            let now = t0 + FRAME * i;
            assert_eq!(q.offer(&unit(i % 25 == 0), now, &l), Verdict::Keep);
            let u = q.take().unwrap();
            q.done(Some(u.size()));
        }
        let m = q.metrics();
        assert_eq!((m.frames, m.frames_dropped, m.resyncs), (1000, 0, 0));
        assert_eq!(m.max_lag, Duration::ZERO);
    }

    #[test]
    fn too_many_bytes_resync_at_the_next_keyframe() {
        let t0 = Instant::now();
        let l = limits(6000, 60_000, 60_000);
        let mut q = Queue::new(1, "slow".into());
        // IDR (3000) + 6 P (500) = 6000 fits; the 7th P breaks the bound.
        for i in 0..8u32 {
            q.offer(&unit(i == 0), t0 + FRAME * i, &l);
        }
        assert!(
            q.front().is_none(),
            "everything dropped, waiting for an IDR"
        );
        assert_eq!(q.metrics().resyncs, 1);
        assert_eq!(q.metrics().frames_dropped, 8);
        q.offer(&unit(false), t0 + FRAME * 8, &l);
        assert!(q.front().is_none(), "a P frame is no place to resume");
        q.offer(&unit(true), t0 + FRAME * 9, &l);
        assert!(q.take().unwrap().is_keyframe());
    }

    #[test]
    fn too_old_a_queue_resyncs_on_simulated_time() {
        let t0 = Instant::now();
        let l = limits(usize::MAX, 1000, 60_000);
        let mut q = Queue::new(1, "slow".into());
        q.offer(&unit(true), t0, &l);
        q.offer(&unit(false), t0 + Duration::from_millis(1000), &l);
        assert_eq!(q.metrics().resyncs, 0, "exactly at the bound is still fine");
        q.offer(&unit(true), t0 + Duration::from_millis(1001), &l);
        assert_eq!(q.metrics().resyncs, 1);
        assert_eq!(q.metrics().frames_dropped, 2);
        // A keyframe resumes at once: it is the only thing left.
        assert!(q.take().unwrap().is_keyframe());
        assert!(q.front().is_none());
    }

    #[test]
    fn a_writer_stuck_past_the_lag_bound_is_kicked_on_simulated_time() {
        let t0 = Instant::now();
        let l = limits(usize::MAX, 60_000, 20);
        let mut q = Queue::new(1, "stuck".into());
        assert_eq!(q.offer(&unit(true), t0, &l), Verdict::Keep);
        let _sending = q.take().unwrap(); // and never done
        assert_eq!(
            q.offer(&unit(false), t0 + Duration::from_millis(20), &l),
            Verdict::Keep
        );
        assert_eq!(
            q.offer(&unit(false), t0 + Duration::from_millis(21), &l),
            Verdict::Kick
        );
        assert!(q.metrics().kicked);
        assert_eq!(q.metrics().max_lag, Duration::from_millis(21));
    }

    #[test]
    fn a_watch_finds_the_first_unit_after_it_began_taken_or_not() {
        let t0 = Instant::now();
        let l = QueueLimits::default();
        let mut q = Queue::new(1, "v".into());
        q.push(&unit(true), t0, &l);
        let queued = q.watch_begin().expect("a queued unit answers at once");
        assert!(Arc::ptr_eq(&queued, &q.take().unwrap()));
        q.done(Some(1));
        let from = q.watch_begin().expect_err("nothing queued");
        assert!(q.watch_poll(from).is_none());
        let (a, b) = (unit(false), unit(false));
        q.push(&a, t0 + FRAME, &l);
        assert!(Arc::ptr_eq(&q.watch_poll(from).unwrap(), &a), "queued");
        q.take();
        assert!(Arc::ptr_eq(&q.watch_poll(from).unwrap(), &a), "taken");
        q.push(&b, t0 + FRAME * 2, &l);
        assert!(
            Arc::ptr_eq(&q.watch_poll(from).unwrap(), &a),
            "the earliest"
        );
        q.done(Some(1));
        q.take();
        assert!(
            Arc::ptr_eq(&q.watch_poll(from).unwrap(), &b),
            "the last taken"
        );
        q.watch_end();
        q.push(&unit(false), t0 + FRAME * 3, &l);
        q.take();
        assert!(q.watch_poll(0).is_none(), "no watch: nothing kept");
    }

    #[test]
    fn bytes_count_what_is_queued_behind_the_writer() {
        let t0 = Instant::now();
        let l = QueueLimits::default();
        let mut q = Queue::new(1, "v".into());
        q.push(&unit(true), t0, &l);
        q.push(&unit(false), t0, &l);
        assert_eq!(q.bytes(), 3500);
        q.take();
        assert_eq!(q.bytes(), 500);
        q.done(None);
        assert_eq!(q.metrics().frames_dropped, 1);
    }

    /// A sink that answers what it is told to and counts the units it was offered.
    struct Sink(Direct, std::sync::atomic::AtomicUsize);

    impl DirectSink<U> for Sink {
        fn try_send(&self, _: &Arc<U>) -> Direct {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.0
        }
    }

    fn sink(answer: Direct) -> Arc<Sink> {
        Arc::new(Sink(answer, Default::default()))
    }

    fn asked(s: &Sink) -> usize {
        s.1.load(std::sync::atomic::Ordering::Relaxed)
    }

    #[test]
    fn only_an_idle_queue_offers_its_unit_to_the_direct_sink() {
        let t0 = Instant::now();
        let l = QueueLimits::default();
        let whole = sink(Direct::Whole(500));
        let mut q = Queue::new(1, "v".into());
        q.set_direct(Some(whole.clone()));
        // Waiting for a keyframe: queued (the policy decides), the sink is not asked.
        assert_eq!(q.offer_direct(&unit(true), t0, &l), (Verdict::Keep, true));
        assert_eq!(asked(&whole), 0);
        // Queued behind the keyframe: not asked either.
        assert_eq!(q.offer_direct(&unit(false), t0, &l), (Verdict::Keep, true));
        let _key = q.take().unwrap();
        // In the writer's hands: not asked.
        q.offer_direct(&unit(false), t0, &l);
        assert_eq!(asked(&whole), 0);
        q.done(Some(3000));
        let _p = q.take().unwrap();
        q.done(Some(500));
        let _p = q.take().unwrap();
        q.done(Some(500));
        // Idle: the sink takes it whole, nothing queued, no one to wake.
        assert_eq!(q.offer_direct(&unit(false), t0, &l), (Verdict::Keep, false));
        assert_eq!(asked(&whole), 1);
        assert!(q.is_idle());
        assert_eq!((q.metrics().frames, q.metrics().bytes), (4, 4500));
        assert_eq!(q.metrics().frames_direct, 1);
        // No sink: the usual offer.
        q.set_direct(None);
        assert_eq!(q.offer_direct(&unit(false), t0, &l), (Verdict::Keep, true));
        assert!(!q.is_empty());
    }

    #[test]
    fn a_short_direct_write_is_in_the_writers_hands_and_judged_by_the_lag_bound() {
        let t0 = Instant::now();
        let l = limits(usize::MAX, 60_000, 20);
        let mut q = Queue::new(1, "v".into());
        q.push(&unit(true), t0, &l);
        let _k = q.take().unwrap();
        q.done(Some(3000));
        q.set_direct(Some(sink(Direct::Part)));
        assert_eq!(q.offer_direct(&unit(false), t0, &l), (Verdict::Keep, true));
        assert!(q.is_empty() && !q.is_idle(), "taken, not queued");
        // The next unit queues behind it; the writer stuck on the rest is kicked in time.
        assert_eq!(
            q.offer_direct(&unit(false), t0 + Duration::from_millis(21), &l),
            (Verdict::Kick, true)
        );
    }

    #[test]
    fn a_declined_direct_write_queues_the_unit() {
        let t0 = Instant::now();
        let l = QueueLimits::default();
        let mut q = Queue::new(1, "v".into());
        q.push(&unit(true), t0, &l);
        let _k = q.take().unwrap();
        q.done(Some(3000));
        q.set_direct(Some(sink(Direct::Declined)));
        assert_eq!(q.offer_direct(&unit(false), t0, &l), (Verdict::Keep, true));
        assert!(q.take().is_some());
    }
}
