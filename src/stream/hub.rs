//! The fan-out point of one stream: a frame in, its unit in every viewer's queue.
//!
//! One [`StreamHub`] per encoder channel. The capture thread calls [`StreamHub::publish`],
//! which never waits for a viewer: under the hub lock it packs the frame once (the
//! [`Packer`]), updates the GOP cache and the parameter sets, and offers the one
//! `Arc<Unit>` to each viewer's queue (its own lock, microseconds); the raw frame then goes
//! to the [`FrameTap`] outside the lock. Every decision that depends on time (queue age,
//! lag bound, keyframe throttle) takes `now` from the caller: the core reads no clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use tokio::sync::Notify;

use super::consumer::{Roster, Slot, Viewer, lock};
use super::gop::GopCache;
use super::keyframe::{KeyframeSource, KeyframeThrottle};
use super::metrics::{HubMetrics, KickedLog, ViewerMetrics};
use super::packing::{Packer, Unit};
use super::params::{Description, MulticastConfig, ParamSets, StreamConfig};
use super::queue::{Queue, QueueLimits, Verdict};
use super::recent::Recent;
use super::tap::FrameTap;
use crate::frame::Frame;

/// At most this many viewers of one frame are written directly by the publisher
/// (`stream::direct`); the rest are queued for their writers. The publisher is the capture
/// thread, which must be back for the SDK's next frame within its few-frame queue: at 1000
/// TCP viewers, writing every 4 Mbit/s viewer itself cost it 55 frames lost at capture in 20 s
/// (docs/PERFORMANCE.md, "Step 5"). 512 lost none at 1000 viewers and took less CPU than 256
/// at 500 and 1000 (the same run, back to back).
pub(crate) const DIRECT_WRITES_PER_FRAME: usize = 512;

struct Inner<P: Packer> {
    packer: P,
    params: ParamSets,
    /// Frame rate, multicast group and session timeout now (they follow encoder
    /// configuration changes).
    framerate: Option<f64>,
    multicast: Option<MulticastConfig>,
    session_timeout: Option<std::time::Duration>,
    throttle: KeyframeThrottle,
    gop: GopCache<P::Unit>,
    /// The last units by capture time, for a viewer starting at an instant (audio).
    recent: Recent<P::Unit>,
    viewers: Vec<Arc<Slot<P::Unit>>>,
    metrics: HubMetrics,
    kicked: KickedLog,
}

/// The fan-out point of one stream. Cheap to share behind an `Arc`.
pub struct StreamHub<P: Packer> {
    name: String,
    limits: QueueLimits,
    inner: Mutex<Inner<P>>,
    next_viewer: AtomicU64,
    /// Woken when the parameter sets become current (DESCRIBE waits on it).
    params_ready: Notify,
    tap: FrameTap,
    /// Asks the encoder for an IDR; set by the owner of the encoder (a hub fed from a file
    /// has none).
    keyframe_source: OnceLock<KeyframeSource>,
}

impl<P: Packer> std::fmt::Debug for StreamHub<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamHub")
            .field("name", &self.name)
            .finish()
    }
}

impl<P: Packer + Default> StreamHub<P> {
    /// A hub packing with `P::default()`.
    pub fn new(name: impl Into<String>, config: StreamConfig) -> Arc<Self> {
        Self::with_packer(name, config, P::default())
    }
}

impl<P: Packer> StreamHub<P> {
    pub(crate) fn with_packer(
        name: impl Into<String>,
        config: StreamConfig,
        packer: P,
    ) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            limits: config.limits,
            inner: Mutex::new(Inner {
                packer,
                params: ParamSets::default(),
                framerate: config.framerate,
                multicast: config.multicast,
                session_timeout: config.session_timeout,
                throttle: KeyframeThrottle::default(),
                gop: GopCache::default(),
                recent: Recent::default(),
                viewers: Vec::new(),
                metrics: HubMetrics::default(),
                kicked: KickedLog::default(),
            }),
            next_viewer: AtomicU64::new(1),
            params_ready: Notify::new(),
            tap: FrameTap::default(),
            keyframe_source: OnceLock::new(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Takes one frame captured by now. Never blocks on a viewer.
    pub fn publish(&self, frame: Frame, now: Instant) {
        let mut inner = lock(&self.inner);
        let unit = Arc::new(inner.packer.pack(&frame));
        let Inner {
            params,
            gop,
            recent,
            viewers,
            metrics,
            kicked,
            ..
        } = &mut *inner;
        metrics.frames_in += 1;
        metrics.bytes_in += unit.size() as u64;
        if let Some(prev) = metrics.last_seq {
            // Forward jumps only: a restarted or looping source may number from 0 again.
            let gap = frame.seq.wrapping_sub(prev).wrapping_sub(1);
            if gap < u32::MAX / 2 {
                metrics.frames_lost_at_capture += u64::from(gap);
            }
        }
        metrics.last_seq = Some(frame.seq);
        if params.observe(&frame, unit.is_keyframe()) {
            self.params_ready.notify_waiters();
        }
        gop.push(&unit);
        recent.push(&unit);
        let mut direct_left = DIRECT_WRITES_PER_FRAME;
        viewers.retain(|v| {
            if v.is_kicked() {
                return false;
            }
            let mut q = lock(&v.queue);
            // An idle viewer with a direct sink may take the unit at once, and then its
            // writer is not woken at all (`stream::direct`).
            let offered = if direct_left > 0 {
                q.offer_direct(&unit, now, &self.limits)
            } else {
                (q.offer(&unit, now, &self.limits), true)
            };
            match offered {
                (Verdict::Keep, false) => {
                    direct_left -= 1;
                    true
                }
                (Verdict::Keep, true) => {
                    let watched = q.is_watched();
                    drop(q);
                    v.wake(watched);
                    true
                }
                (Verdict::Kick, _) => {
                    let m = q.metrics().clone();
                    drop(q);
                    v.kick();
                    tracing::info!(stream = %self.name, viewer = %m.label, "viewer kicked: lag bound");
                    kicked.push(m);
                    metrics.viewers_kicked += 1;
                    false
                }
            }
        });
        metrics.viewers = viewers.len();
        drop(inner);
        self.tap.send(frame);
    }

    /// Adds a viewer at `now`; it starts at the cached GOP's keyframe (or the next one).
    /// What it will send first is [`super::ViewerWatch::first`] before its writer runs.
    pub(crate) fn subscribe(
        self: &Arc<Self>,
        label: impl Into<String>,
        now: Instant,
    ) -> Viewer<P::Unit> {
        self.subscribe_from(label, now, None)
    }

    /// As [`StreamHub::subscribe`], but with `from`, a capture time, a hub keeping its recent
    /// units ([`StreamHub::keep_recent`]) starts the viewer with those captured at or after
    /// it instead of the GOP cache: an audio
    /// viewer starts at the instant of its video's first frame, the cached IDR. Units
    /// published from now on follow them, with none missed or repeated (both under the
    /// hub's lock).
    pub(crate) fn subscribe_from(
        self: &Arc<Self>,
        label: impl Into<String>,
        now: Instant,
        from: Option<std::time::Duration>,
    ) -> Viewer<P::Unit> {
        let id = self.next_viewer.fetch_add(1, Ordering::Relaxed);
        let mut inner = lock(&self.inner);
        let mut queue = Queue::new(id, label.into());
        let start: Vec<&Arc<P::Unit>> = match from {
            // A stream keeping its recent units (audio) has no GOP to speak of.
            Some(from) if inner.recent.enabled() => inner.recent.since(from).collect(),
            _ => inner.gop.units().iter().collect(),
        };
        for u in start {
            queue.push(u, now, &self.limits);
        }
        let slot = Arc::new(Slot::new(queue));
        inner.viewers.push(slot.clone());
        inner.metrics.viewers = inner.viewers.len();
        inner.metrics.viewers_total += 1;
        let hub: std::sync::Weak<dyn Roster<P::Unit>> =
            Arc::downgrade(self) as std::sync::Weak<Self>;
        Viewer { hub, slot }
    }

    /// Subscribes to the raw frames (not packed) from the next published one on (see
    /// [`FrameTap`]).
    pub(crate) fn subscribe_frames(&self) -> tokio::sync::broadcast::Receiver<Arc<Frame>> {
        self.tap.subscribe()
    }

    /// Sets how this hub asks its encoder for an IDR (once; later calls are ignored).
    pub(crate) fn set_keyframe_source(&self, source: KeyframeSource) {
        let _ = self.keyframe_source.set(source);
    }

    /// Asks the encoder for an IDR at `now`, for a receiver the cached GOP cannot serve: a
    /// multicast member joining a group that is already sending, or an HLS muxer starting
    /// (both would otherwise wait up to a GOP, 2 s by default, for the next IDR). Unicast
    /// viewers never need it: they start at the cached IDR. At most one request per
    /// [`super::KEYFRAME_REQUEST_INTERVAL`]; returns whether this one reached the encoder.
    pub(crate) fn request_keyframe(&self, now: Instant) -> bool {
        let Some(source) = self.keyframe_source.get() else {
            return false;
        };
        if !lock(&self.inner).throttle.allow(now) {
            return false;
        }
        source();
        true
    }

    /// The stream's description as it is now.
    pub(crate) fn description(&self) -> Description {
        let inner = lock(&self.inner);
        Description {
            sps: inner.params.sps().cloned(),
            pps: inner.params.pps().cloned(),
            framerate: inner.framerate,
            multicast: inner.multicast,
            session_timeout: inner.session_timeout,
        }
    }

    /// The description once the parameter sets are current: at once, or when the next
    /// keyframe brings them (or a change is cancelled). Unbounded: the caller bounds the
    /// wait (and then takes [`StreamHub::description`]).
    pub(crate) async fn described(&self) -> Description {
        loop {
            let notified = self.params_ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if lock(&self.inner).params.current() {
                return self.description();
            }
            notified.await;
        }
    }

    /// Reads the packer's stream-wide state (an RTP SSRC, say).
    pub(crate) fn packer<R>(&self, f: impl FnOnce(&P) -> R) -> R {
        f(&lock(&self.inner).packer)
    }

    /// Announces that the encoder is about to change its parameters (resolution, profile,
    /// rate...). Until the next keyframe arrives, DESCRIBE waits for its SPS/PPS (so the SDP
    /// describes the new stream) and new viewers start at that keyframe rather than at the
    /// cached GOP of the old configuration. Viewers already playing are not touched: they
    /// get the new SPS/PPS in band with the IDR (RFC 6184 s8.4). Call it before
    /// reconfiguring the encoder, and [`StreamHub::cancel_new_params`] if that fails.
    pub(crate) fn expect_new_params(&self) {
        let mut inner = lock(&self.inner);
        inner.params.expect_new();
        inner.gop.clear();
    }

    /// The reconfiguration announced by [`StreamHub::expect_new_params`] did not happen.
    pub(crate) fn cancel_new_params(&self) {
        lock(&self.inner).params.cancel_new();
        self.params_ready.notify_waiters();
    }

    /// Keeps the units of the last `span` of capture time for viewers that start in the
    /// past ([`StreamHub::subscribe_from`]); zero keeps none (the default).
    pub(crate) fn keep_recent(&self, span: std::time::Duration) {
        lock(&self.inner).recent.set_span(span);
    }

    /// Changes the frame rate the SDP advertises (`a=framerate`).
    pub(crate) fn set_framerate(&self, framerate: Option<f64>) {
        lock(&self.inner).framerate = framerate;
    }

    /// Changes the multicast group SETUP offers from now on.
    pub(crate) fn set_multicast(&self, multicast: Option<MulticastConfig>) {
        lock(&self.inner).multicast = multicast;
    }

    /// Changes the session timeout SETUP announces from now on; sessions already set up keep
    /// the timeout they were told.
    pub(crate) fn set_session_timeout(&self, timeout: Option<std::time::Duration>) {
        lock(&self.inner).session_timeout = timeout;
    }

    pub fn metrics(&self) -> HubMetrics {
        lock(&self.inner).metrics.clone()
    }

    /// Records how long a published frame took from capture to every viewer's queue (the
    /// shell measures it: the core reads no clock).
    pub(crate) fn record_latency(&self, d: std::time::Duration) {
        lock(&self.inner).metrics.latency.record(d);
    }

    /// A snapshot of every current viewer's counters.
    pub fn viewer_metrics(&self) -> Vec<ViewerMetrics> {
        lock(&self.inner)
            .viewers
            .iter()
            .map(|v| lock(&v.queue).metrics().clone())
            .collect()
    }

    /// Final counters of the most recently kicked viewers (oldest first).
    pub fn kicked_viewers(&self) -> Vec<ViewerMetrics> {
        lock(&self.inner).kicked.to_vec()
    }
}

impl<P: Packer> Roster<P::Unit> for StreamHub<P> {
    fn remove(&self, slot: &Arc<Slot<P::Unit>>) {
        let mut inner = lock(&self.inner);
        inner.viewers.retain(|v| !Arc::ptr_eq(v, slot));
        inner.metrics.viewers = inner.viewers.len();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::FutureExt;

    use super::*;
    use crate::stream::Kicked;
    use crate::stream::packing::Unpacked;
    use crate::stream::tap::FRAME_RING;

    type Hub = StreamHub<Unpacked>;

    /// Frame `i` of a 25 fps stream: an IDR of 3000 bytes (with SPS/PPS) or a P of 500.
    fn frame(i: u32, key: bool) -> Frame {
        crate::frame::test_frame(i, key, 2990)
    }

    const FRAME: Duration = Duration::from_millis(40);

    fn hub(limits: QueueLimits) -> Arc<Hub> {
        Hub::new(
            "main",
            StreamConfig {
                framerate: Some(25.0),
                limits,
                ..Default::default()
            },
        )
    }

    fn drain(v: &Viewer<Frame>) -> Vec<u32> {
        let mut seqs = Vec::new();
        while let Some(f) = v.try_next().unwrap() {
            seqs.push(f.seq);
            v.sent(f.len());
        }
        seqs
    }

    /// A direct sink that takes every unit whole, counting them.
    #[derive(Default)]
    struct Taker(std::sync::atomic::AtomicUsize);

    impl crate::stream::DirectSink<Frame> for Taker {
        fn try_send(&self, f: &Arc<Frame>) -> crate::stream::Direct {
            self.0.fetch_add(1, Ordering::Relaxed);
            crate::stream::Direct::Whole(f.len())
        }
    }

    #[test]
    fn the_publisher_writes_at_most_its_budget_of_viewers_directly() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        let n = DIRECT_WRITES_PER_FRAME + 3;
        let taker = Arc::new(Taker::default());
        let viewers: Vec<_> = (0..n).map(|i| h.subscribe(format!("v{i}"), t0)).collect();
        for v in &viewers {
            v.set_direct(Some(taker.clone()));
        }
        h.publish(frame(0, true), t0);
        for v in &viewers {
            assert_eq!(drain(v), vec![0], "the keyframe queued: none waited idle");
        }
        assert_eq!(taker.0.load(Ordering::Relaxed), 0);
        h.publish(frame(1, false), t0 + FRAME);
        assert_eq!(taker.0.load(Ordering::Relaxed), DIRECT_WRITES_PER_FRAME);
        let queued: Vec<_> = viewers
            .iter()
            .map(drain)
            .filter(|q| !q.is_empty())
            .collect();
        assert_eq!(
            queued,
            vec![vec![1]; 3],
            "the rest queued for their writers"
        );
        assert!(viewers.iter().all(|v| v.metrics().frames == 2));
    }

    #[tokio::test]
    async fn a_new_viewer_starts_at_the_cached_keyframe() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        for i in 0..30 {
            h.publish(frame(i, i % 25 == 0), t0 + FRAME * i);
        }
        let v = h.subscribe("a", t0 + FRAME * 30);
        let first = v.watch().first().now_or_never().flatten().unwrap();
        assert_eq!(first.seq, 25, "the watch names what the writer takes first");
        assert_eq!(drain(&v), vec![25, 26, 27, 28, 29]);
        assert_eq!(h.metrics().viewers, 1);
        drop(v);
        assert_eq!(h.metrics().viewers, 0);
    }

    #[test]
    fn a_viewer_from_an_instant_starts_with_the_recent_units_captured_at_or_after_it() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        // Audio-like: every unit stands alone, 40 ms apart; 1 s of them kept.
        h.keep_recent(Duration::from_secs(1));
        for i in 0..100 {
            h.publish(frame(i, true), t0 + FRAME * i);
        }
        // The video's IDR was captured at 3.5 s (frame 87.5): audio from frame 88 on.
        let v = h.subscribe_from("audio", t0 + FRAME * 100, Some(Duration::from_millis(3500)));
        h.publish(frame(100, true), t0 + FRAME * 100);
        assert_eq!(drain(&v), (88..=100).collect::<Vec<_>>());
        // Older than the span (1 s before the newest, 3.96 s): from the oldest kept on.
        let late = h.subscribe_from("late", t0 + FRAME * 101, Some(Duration::ZERO));
        assert_eq!(drain(&late)[0], 75);
        // Without an instant: the GOP cache as before (here the last unit: every one is a
        // keyframe; real audio units are not cacheable, so an audio viewer starts live).
        let live = h.subscribe("live", t0 + FRAME * 101);
        assert_eq!(drain(&live), vec![100]);
    }

    #[tokio::test]
    async fn a_watch_waiting_for_the_first_keyframe_is_woken_by_it() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        // P frames only: nothing is queued for a new viewer yet.
        h.publish(frame(0, false), t0);
        let v = h.subscribe("a", t0);
        let watch = v.watch();
        let waiting = tokio::spawn(async move { watch.first().await });
        while !lock(&v.slot.queue).is_watched() {
            tokio::task::yield_now().await;
        }
        h.publish(frame(1, false), t0 + FRAME);
        h.publish(frame(2, true), t0 + FRAME * 2);
        let first = waiting.await.unwrap().expect("not kicked");
        assert_eq!(first.seq, 2);
        assert_eq!(
            v.try_next().unwrap().unwrap().seq,
            2,
            "what the writer takes first"
        );
        // Done waiting: pushes no longer wake the watch's Notify.
        assert!(!lock(&v.slot.queue).is_watched());
    }

    /// A member joining a running multicast group watches the group's sender, whose writer
    /// is awake and takes each frame as it comes, often before the woken watch looks (CI
    /// once saw a joiner's PLAY go 2 s without RTP-Info that way).
    #[tokio::test]
    async fn a_watch_on_a_running_writer_names_the_frame_it_took_first() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        let v = h.subscribe("group sender", t0);
        h.publish(frame(0, true), t0);
        assert_eq!(v.try_next().unwrap().unwrap().seq, 0);
        v.sent(100);
        let watch = v.watch();
        let waiting = tokio::spawn(async move { watch.first().await });
        while !lock(&v.slot.queue).is_watched() {
            tokio::task::yield_now().await;
        }
        // The writer takes the next two frames before the watch runs again.
        h.publish(frame(1, false), t0 + FRAME);
        assert_eq!(v.try_next().unwrap().unwrap().seq, 1);
        v.sent(100);
        // Before the fix the watch waited for a frame after the one it missed (forever here).
        let first = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("the watch named no frame")
            .unwrap()
            .expect("not kicked");
        assert_eq!(first.seq, 1, "the first frame after the watch began");
        // Done waiting: the queue keeps no taken frame for watches any more.
        assert!(lock(&v.slot.queue).watch_poll(0).is_none());
    }

    /// The RTSP writer's sleep after a frame ([`Viewer::sent_armed`], then
    /// [`Viewer::next_armed`] without a look of its own): no push is missed, whether it lands
    /// while the frame is written, after the writer went to sleep, or between the report and
    /// the sleep.
    #[test]
    fn a_writer_that_sleeps_armed_after_a_frame_misses_no_push() {
        use std::sync::atomic::AtomicUsize;
        use std::task::{Context, Poll};
        struct Wakes(AtomicUsize);
        impl futures::task::ArcWake for Wakes {
            fn wake_by_ref(w: &Arc<Self>) {
                w.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        let waker = futures::task::waker(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let woken = || wakes.0.load(Ordering::SeqCst);
        let seq = |p: Poll<Result<Arc<Frame>, Kicked>>| match p {
            Poll::Ready(Ok(f)) => Some(f.seq),
            Poll::Ready(Err(_)) => panic!("kicked"),
            Poll::Pending => None,
        };
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        let v = h.subscribe("a", t0);
        h.publish(frame(0, true), t0);
        assert_eq!(seq(Box::pin(v.next()).as_mut().poll(&mut cx)), Some(0));
        // A push while frame 0 is written: the report sees it queued and does not arm.
        h.publish(frame(1, false), t0 + FRAME);
        assert_eq!(woken(), 1);
        assert!(!v.sent_armed(100));
        assert_eq!(seq(Box::pin(v.next()).as_mut().poll(&mut cx)), Some(1));
        // Nothing behind frame 1: armed, the first poll sleeps without looking; a push
        // wakes the task (the registration of the poll that took frame 1), whose next poll
        // takes it.
        assert!(v.sent_armed(100));
        let mut next = Box::pin(v.next_armed(true));
        assert_eq!(seq(next.as_mut().poll(&mut cx)), None);
        h.publish(frame(2, false), t0 + FRAME * 2);
        assert_eq!(woken(), 2);
        assert_eq!(seq(next.as_mut().poll(&mut cx)), Some(2));
        // A push between the armed report and the sleep wakes the task all the same.
        assert!(v.sent_armed(100));
        h.publish(frame(3, false), t0 + FRAME * 3);
        assert_eq!(woken(), 3);
        let mut next = Box::pin(v.next_armed(true));
        assert_eq!(seq(next.as_mut().poll(&mut cx)), None);
        assert_eq!(seq(next.as_mut().poll(&mut cx)), Some(3));
        assert!(v.sent_armed(100));
        assert_eq!(v.metrics().frames, 4);
        // A kick is no frame: the report after it does not arm, and the next look says so.
        h.publish(frame(4, false), t0 + FRAME * 4);
        assert_eq!(seq(Box::pin(v.next()).as_mut().poll(&mut cx)), Some(4));
        v.slot.kick();
        assert!(!v.sent_armed(100));
        assert!(matches!(
            Box::pin(v.next()).as_mut().poll(&mut cx),
            Poll::Ready(Err(Kicked))
        ));
    }

    #[test]
    fn no_frame_is_lost_for_any_viewer_that_keeps_up() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        let a = h.subscribe("a", t0);
        let b = h.subscribe("b", t0);
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        for i in 0..500 {
            h.publish(frame(i, i % 25 == 0), t0 + FRAME * i);
            sa.extend(drain(&a));
            sb.extend(drain(&b));
        }
        assert_eq!(sa, (0..500).collect::<Vec<_>>());
        assert_eq!(sa, sb);
        assert_eq!(a.metrics().frames_dropped, 0);
        assert_eq!(h.metrics().frames_in, 500);
        assert_eq!(h.metrics().frames_lost_at_capture, 0);
    }

    #[test]
    fn frames_the_encoder_numbered_but_never_published_count_as_lost_at_capture() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        // 0..=2, then 3..=6 lost (the SDK's queue overflowed), then 7..=9; then the source
        // restarts its numbering, which is no loss.
        for i in [0, 1, 2, 7, 8, 9, 0, 1] {
            h.publish(frame(i, i % 7 == 0), t0 + FRAME * i);
        }
        let m = h.metrics();
        assert_eq!((m.frames_in, m.frames_lost_at_capture), (8, 4));
    }

    #[test]
    fn a_slow_viewer_resyncs_at_a_keyframe_and_costs_only_itself() {
        let t0 = Instant::now();
        let h = hub(QueueLimits {
            max_bytes: 6000,
            max_age: Duration::from_secs(60),
            lag_bound: Duration::from_secs(60),
        });
        let slow = h.subscribe("slow", t0);
        let fast = h.subscribe("fast", t0);
        let mut got = Vec::new();
        // Ends 5 frames into the GOP that starts at frame 40.
        for i in 0..45 {
            h.publish(frame(i, i % 10 == 0), t0 + FRAME * i);
            got.extend(drain(&fast));
        }
        let m = slow.metrics();
        assert!(m.resyncs >= 1 && m.frames_dropped > 0, "{m:?}");
        assert_eq!(
            drain(&slow),
            vec![40, 41, 42, 43, 44],
            "whole GOP from its IDR"
        );
        assert_eq!(got, (0..45).collect::<Vec<_>>());
        assert_eq!(fast.metrics().frames_dropped, 0);
    }

    #[test]
    fn a_viewer_past_the_lag_bound_is_kicked_and_counted_on_simulated_time() {
        let t0 = Instant::now();
        let h = hub(QueueLimits {
            max_bytes: usize::MAX,
            max_age: Duration::from_secs(60),
            lag_bound: Duration::from_millis(20),
        });
        let v = h.subscribe("stuck", t0);
        h.publish(frame(0, true), t0);
        let _f = v.try_next().unwrap().unwrap(); // the writer takes it and never finishes
        h.publish(frame(1, false), t0 + Duration::from_millis(20));
        assert!(!v.is_kicked(), "at the bound: kept");
        h.publish(frame(2, false), t0 + Duration::from_millis(30));
        assert!(v.is_kicked());
        assert_eq!(v.try_next().unwrap_err(), Kicked);
        assert!(v.watch().first().now_or_never().unwrap().is_none());
        let m = h.metrics();
        assert_eq!(m.viewers_kicked, 1);
        assert_eq!(m.viewers, 0);
        let k = h.kicked_viewers();
        assert_eq!(k[0].label, "stuck");
        assert_eq!(k[0].max_lag, Duration::from_millis(30));
    }

    #[test]
    fn new_parameters_hold_describe_and_new_viewers_until_the_next_keyframe() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        assert!(h.described().now_or_never().is_none(), "no SPS/PPS yet");
        for i in 0..5 {
            h.publish(frame(i, i == 0), t0 + FRAME * i);
        }
        assert!(h.described().now_or_never().unwrap().sps.is_some());
        let playing = h.subscribe("playing", t0);
        drain(&playing);
        h.expect_new_params();
        // The old GOP is not offered, and DESCRIBE waits for the new parameter sets.
        let late = h.subscribe("late", t0);
        assert!(late.try_next().unwrap().is_none());
        let mut describe = Box::pin(h.described());
        assert!((&mut describe).now_or_never().is_none());
        assert!(
            h.description().sps.is_some(),
            "the old sets, for a bounded wait"
        );
        // A P frame still goes to the viewer already playing, not to the new one.
        h.publish(frame(5, false), t0 + FRAME * 5);
        assert!((&mut describe).now_or_never().is_none());
        assert_eq!(drain(&playing), vec![5]);
        assert!(late.try_next().unwrap().is_none());
        h.publish(frame(6, true), t0 + FRAME * 6);
        assert!(
            describe.now_or_never().is_some(),
            "answered by the keyframe"
        );
        assert_eq!(drain(&late), vec![6]);
        assert_eq!(drain(&playing), vec![6]);
        // Frame rate follows the configuration; a cancelled change releases DESCRIBE.
        h.set_framerate(Some(12.0));
        assert_eq!(h.description().framerate, Some(12.0));
        h.expect_new_params();
        let mut describe = Box::pin(h.described());
        assert!((&mut describe).now_or_never().is_none());
        h.cancel_new_params();
        assert!(
            describe.now_or_never().is_some(),
            "cancel releases DESCRIBE"
        );
    }

    #[test]
    fn frame_subscribers_get_raw_frames_and_lag_without_blocking() {
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        h.publish(frame(0, true), t0); // nobody listens: not kept
        let mut rx = h.subscribe_frames();
        h.publish(frame(1, false), t0 + FRAME);
        let f = rx.try_recv().unwrap();
        assert_eq!(f.seq, 1);
        assert_eq!(f.nals[0].len(), 500);
        // A subscriber that never reads loses the oldest frames, the producer goes on.
        for i in 2..(2 + FRAME_RING as u32 + 10) {
            h.publish(frame(i, false), t0 + FRAME * i);
        }
        assert!(matches!(
            rx.try_recv(),
            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(10))
        ));
        assert_eq!(h.metrics().frames_in, FRAME_RING as u64 + 12);
    }

    #[test]
    fn keyframe_requests_reach_the_encoder_at_most_once_per_interval() {
        use std::sync::atomic::AtomicU64;
        let t0 = Instant::now();
        let h = hub(QueueLimits::default());
        assert!(!h.request_keyframe(t0), "no encoder: nothing to ask");
        let asked = Arc::new(AtomicU64::new(0));
        let counter = asked.clone();
        h.set_keyframe_source(Box::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }));
        assert!(h.request_keyframe(t0));
        for i in 1..100u32 {
            assert!(!h.request_keyframe(t0 + Duration::from_millis(10) * i));
        }
        assert_eq!(asked.load(Ordering::Relaxed), 1);
        // Once the interval has passed, the next joiner's request goes through.
        assert!(h.request_keyframe(t0 + crate::stream::keyframe::KEYFRAME_REQUEST_INTERVAL));
        assert_eq!(asked.load(Ordering::Relaxed), 2);
    }
}
