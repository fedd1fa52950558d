//! Per-stream fan-out: packetize once, hand every viewer the same `Arc<RtpFrame>`.
//!
//! One [`StreamHub`] per encoder channel (ONVIF profile). The capture thread calls
//! [`StreamHub::publish`], which never waits for a viewer: it takes the hub lock (held for
//! the packetizing and a push per viewer, microseconds), then each viewer's own queue lock.
//!
//! Per-viewer policy (see `docs/rtsp.md`):
//! - each viewer has a queue of whole frames bounded by [`QueueLimits::max_bytes`] and
//!   [`QueueLimits::max_age`];
//! - when a new frame would break either bound, every queued frame is dropped and the viewer
//!   waits for the next IDR (a *resync*): it never gets half a frame or a frame whose
//!   references it missed;
//! - when the oldest unsent frame, or the frame the writer is stuck sending, is older than
//!   [`QueueLimits::lag_bound`] the viewer is *kicked*: its writer sees it and closes.
//! - a new viewer starts with the cached GOP (from the last IDR), so its first frame decodes.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::frame::Frame;
use crate::rtp::h264::{H264Packetizer, RtpFrame};
use crate::rtp::rtcp::{SenderInfo, ntp_timestamp};

/// Bytes a viewer may have queued before it is resynced (several IDRs of a 1080p stream).
pub const DEFAULT_MAX_QUEUE_BYTES: usize = 4 * 1024 * 1024;
/// Age of the oldest queued frame past which a viewer is resynced.
pub const DEFAULT_MAX_QUEUE_AGE: Duration = Duration::from_millis(1000);
/// Lag past which a viewer is disconnected (issue 3: 3 s).
pub const DEFAULT_LAG_BOUND: Duration = Duration::from_secs(3);
/// Most frames kept as the cached GOP (guards a stream that never sends an IDR).
pub const MAX_GOP_FRAMES: usize = 300;
/// Final metrics of this many most recently kicked viewers are kept for the daemon.
pub const KICKED_LOG_LEN: usize = 16;
/// Frames a frame-level subscriber (HLS) may fall behind before it loses frames
/// (`broadcast` ring slots: ~2.5 s at 25 fps, each an `Arc<Frame>`, no video copied).
pub const FRAME_RING: usize = 64;
/// Keyframe requests from joiners ([`StreamHub::request_keyframe`]) reach the encoder at most
/// this often, so clients joining in a loop cannot turn the stream into all-IDR (each IDR is
/// several P-frames' worth of bits on every viewer's link).
pub const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_secs(1);

/// Per-viewer queue bounds.
#[derive(Clone, Copy, Debug)]
pub struct QueueLimits {
    pub max_bytes: usize,
    pub max_age: Duration,
    pub lag_bound: Duration,
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

/// Where a stream is multicast when a client asks for `RTP/AVP;multicast` (RFC 2326 s12.39:
/// the server chooses the group). RTCP goes to `port + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulticastConfig {
    pub group: std::net::Ipv4Addr,
    /// Even RTP port (RFC 3550 s11).
    pub port: u16,
    pub ttl: u8,
}

/// Static description of a stream (for SDP and SETUP).
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

/// Counters of one viewer; a snapshot is what the daemon reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewerMetrics {
    pub id: u64,
    /// Who it is (peer address) as the server labelled it.
    pub label: String,
    pub bytes: u64,
    pub frames: u64,
    pub frames_dropped: u64,
    pub resyncs: u64,
    pub max_lag: Duration,
    pub kicked: bool,
}

/// Counters of one hub.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HubMetrics {
    pub frames_in: u64,
    pub bytes_in: u64,
    pub viewers: usize,
    /// Viewers disconnected for exceeding the lag bound, since the hub was created.
    pub viewers_kicked: u64,
    pub viewers_total: u64,
}

/// Parameters a DESCRIBE needs.
#[derive(Clone, Debug, Default)]
pub struct StreamParams {
    pub sps: Option<Bytes>,
    pub pps: Option<Bytes>,
    pub framerate: Option<f64>,
    pub ssrc: u32,
    pub multicast: Option<MulticastConfig>,
    /// Session timeout SETUP announces and the server enforces (`None`: server default).
    pub session_timeout: Option<Duration>,
}

struct Queued {
    frame: Arc<RtpFrame>,
    at: Instant,
}

#[derive(Default)]
struct ViewerState {
    queue: VecDeque<Queued>,
    queued_bytes: usize,
    waiting_idr: bool,
    /// When the writer took the frame it is sending now.
    busy_since: Option<Instant>,
    metrics: ViewerMetrics,
}

struct ViewerShared {
    state: Mutex<ViewerState>,
    ready: Notify,
    /// Woken on a push while a [`ViewerWatch`] waits (`ready` wakes the writer alone).
    queued: Notify,
    /// [`ViewerWatch`]es waiting now. A watch waits only at PLAY, so the hot path reads
    /// this one atomic instead of taking `queued`'s waiter lock for every frame.
    watchers: AtomicUsize,
    kicked: AtomicBool,
    kick: Notify,
}

impl ViewerShared {
    fn kick(&self) {
        self.kicked.store(true, Ordering::Release);
        self.kick.notify_one();
        self.ready.notify_one();
        self.queued.notify_waiters();
    }

    /// Something was queued (the state lock released).
    fn wake(&self) {
        self.ready.notify_one();
        // SeqCst pairs with the watch's increment: either the watch, locking the state
        // after its increment, sees this push, or this load sees the watch.
        if self.watchers.load(Ordering::SeqCst) > 0 {
            self.queued.notify_waiters();
        }
    }
}

struct HubInner {
    packetizer: H264Packetizer,
    /// Frame rate, multicast group and session timeout now (they follow encoder
    /// configuration changes).
    framerate: Option<f64>,
    multicast: Option<MulticastConfig>,
    session_timeout: Option<Duration>,
    /// Set when the encoder is being reconfigured: DESCRIBE waits for the parameter sets of
    /// the next IDR, and the cached GOP (old parameters) is not offered to new viewers.
    params_stale: bool,
    /// When [`StreamHub::request_keyframe`] last reached the encoder.
    last_keyframe_request: Option<Instant>,
    gop: Vec<Arc<RtpFrame>>,
    last: Option<Arc<RtpFrame>>,
    viewers: Vec<Arc<ViewerShared>>,
    metrics: HubMetrics,
    kicked_log: VecDeque<ViewerMetrics>,
}

/// The fan-out point of one stream. Cheap to share behind an `Arc`.
pub struct StreamHub {
    name: String,
    config: StreamConfig,
    inner: Mutex<HubInner>,
    next_viewer: AtomicU64,
    params_ready: Notify,
    /// Raw frames for consumers that mux for themselves (HLS); sent to only while one
    /// listens, outside the hub lock.
    frames: tokio::sync::broadcast::Sender<Arc<Frame>>,
    /// Asks the encoder for an IDR; set by the owner of the encoder (a hub fed from a file
    /// has none).
    keyframe_source: std::sync::OnceLock<KeyframeSource>,
}

/// How a hub asks its encoder for an IDR.
pub type KeyframeSource = Box<dyn Fn() + Send + Sync>;

impl std::fmt::Debug for StreamHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamHub")
            .field("name", &self.name)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a hub lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StreamHub {
    /// A hub with a random SSRC, sequence start and timestamp offset (RFC 3550 s5.1, s8).
    pub fn new(name: impl Into<String>, config: StreamConfig) -> Arc<Self> {
        let packetizer = H264Packetizer::new(rand::random(), rand::random(), rand::random());
        let (framerate, multicast, session_timeout) =
            (config.framerate, config.multicast, config.session_timeout);
        Arc::new(Self {
            name: name.into(),
            config,
            inner: Mutex::new(HubInner {
                packetizer,
                framerate,
                multicast,
                session_timeout,
                params_stale: false,
                last_keyframe_request: None,
                gop: Vec::new(),
                last: None,
                viewers: Vec::new(),
                metrics: HubMetrics::default(),
                kicked_log: VecDeque::new(),
            }),
            next_viewer: AtomicU64::new(1),
            params_ready: Notify::new(),
            frames: tokio::sync::broadcast::channel(FRAME_RING).0,
            keyframe_source: std::sync::OnceLock::new(),
        })
    }

    /// Sets how this hub asks its encoder for an IDR (once; later calls are ignored).
    pub fn set_keyframe_source(&self, source: KeyframeSource) {
        let _ = self.keyframe_source.set(source);
    }

    /// Asks the encoder for an IDR now, for a receiver the cached GOP cannot serve: a
    /// multicast member joining a group that is already sending, or an HLS muxer starting
    /// (both would otherwise wait up to a GOP, 2 s by default, for the next IDR). Unicast
    /// viewers never need it: they start at the cached IDR. At most one request per
    /// [`KEYFRAME_REQUEST_INTERVAL`]; returns whether this one reached the encoder.
    pub fn request_keyframe(&self) -> bool {
        let Some(source) = self.keyframe_source.get() else {
            return false;
        };
        let now = Instant::now();
        {
            let mut inner = lock(&self.inner);
            if inner
                .last_keyframe_request
                .is_some_and(|t| now.duration_since(t) < KEYFRAME_REQUEST_INTERVAL)
            {
                return false;
            }
            inner.last_keyframe_request = Some(now);
        }
        source();
        true
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes one frame from the capture thread. Never blocks on a viewer.
    pub fn publish(&self, frame: Frame) {
        let now = Instant::now();
        let mut inner = lock(&self.inner);
        let had_params = inner.packetizer.sps().is_some() && inner.packetizer.pps().is_some();
        let rtp = Arc::new(inner.packetizer.packetize(&frame));
        inner.metrics.frames_in += 1;
        inner.metrics.bytes_in += rtp.bytes as u64;
        if rtp.keyframe {
            inner.gop.clear();
            if inner.params_stale {
                inner.params_stale = false;
                self.params_ready.notify_waiters();
            }
        }
        if !inner.gop.is_empty() || rtp.keyframe {
            if inner.gop.len() >= MAX_GOP_FRAMES {
                inner.gop.clear();
            } else {
                inner.gop.push(rtp.clone());
            }
        }
        inner.last = Some(rtp.clone());
        let limits = self.config.limits;
        let mut kicked = Vec::new();
        inner.viewers.retain(|v| {
            if v.kicked.load(Ordering::Acquire) {
                return false;
            }
            let mut st = lock(&v.state);
            push(&mut st, &rtp, now, &limits);
            let lag = lag(&st, now);
            st.metrics.max_lag = st.metrics.max_lag.max(lag);
            if lag > limits.lag_bound {
                st.metrics.kicked = true;
                kicked.push(st.metrics.clone());
                drop(st);
                v.kick();
                false
            } else {
                drop(st);
                v.wake();
                true
            }
        });
        inner.metrics.viewers_kicked += kicked.len() as u64;
        for m in kicked {
            tracing::info!(stream = %self.name, viewer = %m.label, "viewer kicked: lag bound");
            if inner.kicked_log.len() == KICKED_LOG_LEN {
                inner.kicked_log.pop_front();
            }
            inner.kicked_log.push_back(m);
        }
        inner.metrics.viewers = inner.viewers.len();
        if !had_params && inner.packetizer.sps().is_some() && inner.packetizer.pps().is_some() {
            self.params_ready.notify_waiters();
        }
        drop(inner);
        // One Arc per frame, only while someone listens; a full ring overwrites the oldest
        // slot and the lagging receiver is told so: the producer never waits.
        if self.frames.receiver_count() > 0 {
            let _ = self.frames.send(Arc::new(frame));
        }
    }

    /// Subscribes to the raw frames (not packetized) from the next published one on. A
    /// receiver more than [`FRAME_RING`] frames behind gets `RecvError::Lagged` and must
    /// resume at the next IDR. Dropping the receiver unsubscribes.
    pub fn subscribe_frames(&self) -> tokio::sync::broadcast::Receiver<Arc<Frame>> {
        self.frames.subscribe()
    }

    /// SPS/PPS/SSRC for the SDP, waiting up to `wait` for the first parameter sets.
    pub async fn params(&self, wait: Duration) -> StreamParams {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.params_ready.notified();
            let (p, stale) = {
                let inner = lock(&self.inner);
                (Self::params_of(&inner), inner.params_stale)
            };
            if (p.sps.is_some() && p.pps.is_some() && !stale)
                || tokio::time::Instant::now() >= deadline
            {
                return p;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// SPS/PPS/SSRC as they are now.
    pub fn params_now(&self) -> StreamParams {
        Self::params_of(&lock(&self.inner))
    }

    fn params_of(inner: &HubInner) -> StreamParams {
        StreamParams {
            sps: inner.packetizer.sps().cloned(),
            pps: inner.packetizer.pps().cloned(),
            framerate: inner.framerate,
            ssrc: inner.packetizer.ssrc(),
            multicast: inner.multicast,
            session_timeout: inner.session_timeout,
        }
    }

    /// Announces that the encoder is about to change its parameters (resolution, profile,
    /// rate...). Until the next IDR arrives, DESCRIBE waits for its SPS/PPS (so the SDP
    /// describes the new stream) and new viewers start at that IDR rather than at the cached
    /// GOP of the old configuration. Viewers already playing are not touched: they get the
    /// new SPS/PPS in band with the IDR (RFC 6184 s8.4). Call it before reconfiguring the
    /// encoder, and [`StreamHub::cancel_new_params`] if that fails.
    pub fn expect_new_params(&self) {
        let mut inner = lock(&self.inner);
        inner.params_stale = true;
        inner.gop.clear();
    }

    /// The reconfiguration announced by [`StreamHub::expect_new_params`] did not happen.
    pub fn cancel_new_params(&self) {
        lock(&self.inner).params_stale = false;
        self.params_ready.notify_waiters();
    }

    /// Changes the frame rate the SDP advertises (`a=framerate`).
    pub fn set_framerate(&self, framerate: Option<f64>) {
        lock(&self.inner).framerate = framerate;
    }

    /// Changes the multicast group SETUP offers from now on.
    pub fn set_multicast(&self, multicast: Option<MulticastConfig>) {
        lock(&self.inner).multicast = multicast;
    }

    /// Changes the session timeout SETUP announces from now on; sessions already set up keep
    /// the timeout they were told.
    pub fn set_session_timeout(&self, timeout: Option<Duration>) {
        lock(&self.inner).session_timeout = timeout;
    }

    /// Adds a viewer that starts at the cached GOP's IDR (or the next IDR). Where its first
    /// packet starts (RTP-Info) is [`ViewerWatch::next_start`] before its writer runs.
    pub fn subscribe(self: &Arc<Self>, label: impl Into<String>) -> Viewer {
        let now = Instant::now();
        let id = self.next_viewer.fetch_add(1, Ordering::Relaxed);
        let mut inner = lock(&self.inner);
        let mut st = ViewerState {
            waiting_idr: true,
            ..Default::default()
        };
        st.metrics.id = id;
        st.metrics.label = label.into();
        for f in &inner.gop {
            push(&mut st, f, now, &self.config.limits);
        }
        let shared = Arc::new(ViewerShared {
            state: Mutex::new(st),
            ready: Notify::new(),
            queued: Notify::new(),
            watchers: AtomicUsize::new(0),
            kicked: AtomicBool::new(false),
            kick: Notify::new(),
        });
        shared.ready.notify_one();
        inner.viewers.push(shared.clone());
        inner.metrics.viewers = inner.viewers.len();
        inner.metrics.viewers_total += 1;
        Viewer {
            hub: Arc::downgrade(self),
            shared,
            ssrc: inner.packetizer.ssrc(),
        }
    }

    pub fn metrics(&self) -> HubMetrics {
        lock(&self.inner).metrics.clone()
    }

    /// A snapshot of every current viewer's counters.
    pub fn viewer_metrics(&self) -> Vec<ViewerMetrics> {
        lock(&self.inner)
            .viewers
            .iter()
            .map(|v| lock(&v.state).metrics.clone())
            .collect()
    }

    /// Final counters of the most recently kicked viewers (oldest first).
    pub fn kicked_viewers(&self) -> Vec<ViewerMetrics> {
        lock(&self.inner).kicked_log.iter().cloned().collect()
    }

    fn remove(&self, shared: &Arc<ViewerShared>) {
        let mut inner = lock(&self.inner);
        inner.viewers.retain(|v| !Arc::ptr_eq(v, shared));
        inner.metrics.viewers = inner.viewers.len();
    }
}

/// Queues `f` for one viewer under the drop/resync policy.
fn push(st: &mut ViewerState, f: &Arc<RtpFrame>, now: Instant, limits: &QueueLimits) {
    if st.waiting_idr && !f.keyframe {
        st.metrics.frames_dropped += 1;
        return;
    }
    let too_big = st.queued_bytes + f.bytes > limits.max_bytes && !st.queue.is_empty();
    let too_old = st
        .queue
        .front()
        .is_some_and(|q| now.duration_since(q.at) > limits.max_age);
    if too_big || too_old {
        // Resync: drop every unsent frame, resume at the next IDR.
        st.metrics.frames_dropped += st.queue.len() as u64;
        st.metrics.resyncs += 1;
        st.queue.clear();
        st.queued_bytes = 0;
        if !f.keyframe {
            st.waiting_idr = true;
            st.metrics.frames_dropped += 1;
            return;
        }
    }
    st.waiting_idr = false;
    st.queued_bytes += f.bytes;
    st.queue.push_back(Queued {
        frame: f.clone(),
        at: now,
    });
}

fn lag(st: &ViewerState, now: Instant) -> Duration {
    let queued = st.queue.front().map(|q| now.duration_since(q.at));
    let busy = st.busy_since.map(|t| now.duration_since(t));
    queued.max(busy).unwrap_or_default()
}

/// The viewer was disconnected for exceeding the lag bound (or its hub is gone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("viewer disconnected: lag bound exceeded")]
pub struct Kicked;

/// One viewer's end of the fan-out, owned by its writer. Dropping it unsubscribes.
pub struct Viewer {
    hub: Weak<StreamHub>,
    shared: Arc<ViewerShared>,
    pub ssrc: u32,
}

/// A look at a viewer's queue from outside its writer: where its next frame starts, for the
/// PLAY reply's RTP-Info. Cheap to clone; does not keep the viewer subscribed.
#[derive(Clone)]
pub struct ViewerWatch(Arc<ViewerShared>);

impl ViewerWatch {
    /// Sequence number and RTP timestamp of the first packet of the next whole frame the
    /// viewer's writer will take: the queue's first frame, or, with nothing queued, the first
    /// one queued within `wait` (a viewer that waits for an IDR gets the IDR). Asked before
    /// the writer runs, that is exactly the first packet it sends: what RTP-Info announces
    /// (RFC 2326 s12.33, RFC 7826 s18.45). `None` if nothing was queued in time or the viewer
    /// was kicked.
    pub async fn next_start(&self, wait: Duration) -> Option<(u16, u32)> {
        let deadline = tokio::time::Instant::now() + wait;
        self.0.watchers.fetch_add(1, Ordering::SeqCst);
        let _watching = Watching(&self.0.watchers);
        loop {
            let queued = self.0.queued.notified();
            tokio::pin!(queued);
            // Registered before looking, so a push in between is not missed.
            queued.as_mut().enable();
            if self.0.kicked.load(Ordering::Acquire) {
                return None;
            }
            if let Some(q) = lock(&self.0.state).queue.front() {
                return Some((q.frame.first_seq, q.frame.rtp_ts));
            }
            tokio::time::timeout_at(deadline, queued).await.ok()?;
        }
    }
}

/// Counts a waiting [`ViewerWatch`] for as long as it lives (also when its future is dropped).
struct Watching<'a>(&'a AtomicUsize);

impl Drop for Watching<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer").field("id", &self.id()).finish()
    }
}

impl Viewer {
    pub fn id(&self) -> u64 {
        lock(&self.shared.state).metrics.id
    }

    /// A handle on this viewer's queue (see [`ViewerWatch`]).
    pub fn watch(&self) -> ViewerWatch {
        ViewerWatch(self.shared.clone())
    }

    /// Bytes queued for this viewer behind the frame its writer is sending: the backlog a
    /// paced UDP sender must catch up on (`rtp::pacing::pace_rate`).
    pub fn queued_bytes(&self) -> usize {
        lock(&self.shared.state).queued_bytes
    }

    /// The next whole frame to send; marks the writer busy with it until [`Viewer::sent`].
    pub async fn next(&self) -> Result<Arc<RtpFrame>, Kicked> {
        loop {
            if let Some(f) = self.try_next()? {
                return Ok(f);
            }
            self.shared.ready.notified().await;
        }
    }

    /// As [`Viewer::next`] without waiting.
    pub fn try_next(&self) -> Result<Option<Arc<RtpFrame>>, Kicked> {
        if self.shared.kicked.load(Ordering::Acquire) {
            return Err(Kicked);
        }
        let mut st = lock(&self.shared.state);
        match st.queue.pop_front() {
            Some(q) => {
                st.queued_bytes -= q.frame.bytes;
                st.busy_since = Some(q.at);
                Ok(Some(q.frame))
            }
            None => Ok(None),
        }
    }

    /// Reports that `frame` went out (`bytes` on the wire, framing included).
    pub fn sent(&self, bytes: usize) {
        let mut st = lock(&self.shared.state);
        st.busy_since = None;
        st.metrics.frames += 1;
        st.metrics.bytes += bytes as u64;
    }

    /// Counts a frame the writer could not send (e.g. UDP send error) as dropped.
    pub fn failed(&self) {
        let mut st = lock(&self.shared.state);
        st.busy_since = None;
        st.metrics.frames_dropped += 1;
    }

    /// Resolves when the hub kicks this viewer; races a stuck write.
    pub async fn kicked(&self) {
        while !self.shared.kicked.load(Ordering::Acquire) {
            self.shared.kick.notified().await;
        }
    }

    pub fn is_kicked(&self) -> bool {
        self.shared.kicked.load(Ordering::Acquire)
    }

    pub fn metrics(&self) -> ViewerMetrics {
        lock(&self.shared.state).metrics.clone()
    }

    /// The SR for the moment `frame` was captured, with the hub's shared counters.
    pub fn sender_info(&self, frame: &RtpFrame) -> SenderInfo {
        SenderInfo {
            ssrc: self.ssrc,
            ntp: ntp_timestamp(frame.wallclock),
            rtp_ts: frame.rtp_ts,
            packet_count: frame.packet_count,
            octet_count: frame.octet_count,
        }
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.remove(&self.shared);
        }
    }
}

/// The streams the server can serve, by path name (the ONVIF profile token): filled by the
/// daemon, read by the RTSP server on every DESCRIBE/SETUP.
#[derive(Debug, Default)]
pub struct StreamRegistry {
    hubs: RwLock<HashMap<String, Arc<StreamHub>>>,
}

impl StreamRegistry {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Registers (or replaces) the hub served at `rtsp://host:port/<name>`.
    pub fn register(&self, name: impl Into<String>, hub: Arc<StreamHub>) {
        self.hubs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.into(), hub);
    }

    pub fn unregister(&self, name: &str) -> Option<Arc<StreamHub>> {
        self.hubs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name)
    }

    pub fn get(&self, name: &str) -> Option<Arc<StreamHub>> {
        self.hubs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .hubs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn frame(i: u64, key: bool) -> Frame {
        let mut nals = Vec::new();
        if key {
            nals.push(Bytes::from_static(&[0x67, 0x42, 0xc0, 0x1e, 1, 2]));
            nals.push(Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80]));
            nals.push(Bytes::from(vec![0x65; 3000]));
        } else {
            nals.push(Bytes::from(vec![0x41; 500]));
        }
        Frame {
            channel: 0,
            seq: i as u32,
            pts: Duration::from_millis(40 * i),
            wallclock: SystemTime::now(),
            keyframe: key,
            nals,
        }
    }

    fn hub(limits: QueueLimits) -> Arc<StreamHub> {
        StreamHub::new(
            "main",
            StreamConfig {
                framerate: Some(25.0),
                limits,
                multicast: None,
                session_timeout: None,
            },
        )
    }

    #[test]
    fn keyframe_requests_reach_the_encoder_at_most_once_per_interval() {
        let h = hub(QueueLimits::default());
        assert!(!h.request_keyframe(), "no encoder: nothing to ask");
        let asked = Arc::new(AtomicU64::new(0));
        let counter = asked.clone();
        h.set_keyframe_source(Box::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }));
        assert!(h.request_keyframe());
        for _ in 0..100 {
            assert!(!h.request_keyframe());
        }
        assert_eq!(asked.load(Ordering::Relaxed), 1);
        // Once the interval has passed, the next joiner's request goes through.
        lock(&h.inner).last_keyframe_request = Some(Instant::now() - KEYFRAME_REQUEST_INTERVAL);
        assert!(h.request_keyframe());
        assert_eq!(asked.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn new_viewer_starts_at_cached_idr() {
        let h = hub(QueueLimits::default());
        for i in 0..30 {
            h.publish(frame(i, i % 25 == 0));
        }
        let v = h.subscribe("a");
        let start = v.watch().next_start(Duration::ZERO).await;
        let first = v.try_next().unwrap().unwrap();
        assert!(first.keyframe);
        assert_eq!(start, Some((first.first_seq, first.rtp_ts)), "RTP-Info");
        v.sent(first.bytes);
        // 5 frames of the GOP: IDR + 4 P.
        let mut n = 1;
        while let Some(f) = v.try_next().unwrap() {
            v.sent(f.bytes);
            n += 1;
        }
        assert_eq!(n, 5);
        assert_eq!(h.metrics().viewers, 1);
        drop(v);
        assert_eq!(h.metrics().viewers, 0);
    }

    #[tokio::test]
    async fn a_watch_waiting_for_the_first_idr_is_woken_by_it() {
        let h = hub(QueueLimits::default());
        // P frames only: nothing is queued for a new viewer yet.
        h.publish(frame(0, false));
        let v = h.subscribe("a");
        let watch = v.watch();
        let waiting = tokio::spawn(async move { watch.next_start(Duration::from_secs(30)).await });
        while v.shared.watchers.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        h.publish(frame(1, false));
        h.publish(frame(2, true));
        let start = waiting.await.unwrap();
        let first = v.try_next().unwrap().unwrap();
        assert!(first.keyframe);
        assert_eq!(start, Some((first.first_seq, first.rtp_ts)), "RTP-Info");
        // Done waiting: pushes no longer wake the watch's Notify.
        assert_eq!(v.shared.watchers.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn all_viewers_share_one_sequence_space_without_gaps() {
        let h = hub(QueueLimits::default());
        let a = h.subscribe("a");
        let b = h.subscribe("b");
        let mut seqs = (Vec::new(), Vec::new());
        for i in 0..60 {
            h.publish(frame(i, i % 25 == 0));
            while let Some(f) = a.try_next().unwrap() {
                seqs.0.push((f.first_seq, f.packets.len()));
                a.sent(f.bytes);
            }
            while let Some(f) = b.try_next().unwrap() {
                seqs.1.push((f.first_seq, f.packets.len()));
                b.sent(f.bytes);
            }
        }
        assert_eq!(seqs.0, seqs.1);
        for w in seqs.0.windows(2) {
            assert_eq!(w[0].0.wrapping_add(w[0].1 as u16), w[1].0, "no gap");
        }
        assert_eq!(a.metrics().frames_dropped, 0);
    }

    #[test]
    fn slow_viewer_resyncs_at_idr_with_whole_frames() {
        let h = hub(QueueLimits {
            max_bytes: 6000,
            max_age: Duration::from_secs(60),
            lag_bound: Duration::from_secs(60),
        });
        let slow = h.subscribe("slow");
        let fast = h.subscribe("fast");
        // Ends 5 frames into the GOP that starts at frame 40.
        for i in 0..45 {
            h.publish(frame(i, i % 10 == 0));
            while let Some(f) = fast.try_next().unwrap() {
                fast.sent(f.bytes);
            }
        }
        let m = slow.metrics();
        assert!(m.resyncs >= 1, "{m:?}");
        assert!(m.frames_dropped > 0);
        // What is left starts at an IDR and is contiguous from there.
        let first = slow.try_next().unwrap().unwrap();
        assert!(first.keyframe);
        let mut next = first.first_seq.wrapping_add(first.packets.len() as u16);
        while let Some(f) = slow.try_next().unwrap() {
            assert_eq!(f.first_seq, next);
            next = f.first_seq.wrapping_add(f.packets.len() as u16);
        }
        assert_eq!(fast.metrics().frames_dropped, 0);
        assert_eq!(fast.metrics().frames, 45);
    }

    #[test]
    fn viewer_past_lag_bound_is_kicked_and_counted() {
        let h = hub(QueueLimits {
            max_bytes: usize::MAX,
            max_age: Duration::from_secs(60),
            lag_bound: Duration::from_millis(20),
        });
        let v = h.subscribe("stuck");
        h.publish(frame(0, true));
        let _f = v.try_next().unwrap().unwrap(); // writer takes it and never finishes
        std::thread::sleep(Duration::from_millis(30));
        h.publish(frame(1, false));
        assert!(v.is_kicked());
        assert_eq!(v.try_next().unwrap_err(), Kicked);
        let m = h.metrics();
        assert_eq!(m.viewers_kicked, 1);
        assert_eq!(h.kicked_viewers()[0].label, "stuck");
        assert_eq!(m.viewers, 0);
    }

    #[tokio::test]
    async fn new_parameters_hold_describe_and_new_viewers_until_the_next_idr() {
        let h = hub(QueueLimits::default());
        for i in 0..5 {
            h.publish(frame(i, i == 0));
        }
        let playing = h.subscribe("playing");
        while playing.try_next().unwrap().is_some() {}
        h.expect_new_params();
        // The old GOP is not offered, and DESCRIBE waits for the new parameter sets.
        let late = h.subscribe("late");
        assert!(late.try_next().unwrap().is_none());
        let t = std::time::Instant::now();
        let p = h.params(Duration::from_millis(200)).await;
        assert!(t.elapsed() >= Duration::from_millis(200) && p.sps.is_some());
        // A P frame still goes to the viewer already playing, not to the new one.
        h.publish(frame(5, false));
        assert!(!playing.try_next().unwrap().unwrap().keyframe);
        assert!(late.try_next().unwrap().is_none());
        h.publish(frame(6, true));
        let t = std::time::Instant::now();
        h.params(Duration::from_secs(5)).await;
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "answered at once after the IDR"
        );
        assert!(late.try_next().unwrap().unwrap().keyframe);
        assert!(playing.try_next().unwrap().unwrap().keyframe);
        // Frame rate and multicast group follow the configuration.
        h.set_framerate(Some(12.0));
        assert_eq!(h.params_now().framerate, Some(12.0));
        h.expect_new_params();
        h.cancel_new_params();
        let t = std::time::Instant::now();
        h.params(Duration::from_secs(5)).await;
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "cancel releases DESCRIBE"
        );
    }

    #[test]
    fn frame_subscribers_get_raw_frames_and_lag_without_blocking() {
        let h = hub(QueueLimits::default());
        h.publish(frame(0, true)); // nobody listens: not kept
        let mut rx = h.subscribe_frames();
        h.publish(frame(1, false));
        let f = rx.try_recv().unwrap();
        assert_eq!(f.seq, 1);
        assert_eq!(f.nals[0].len(), 500);
        // A subscriber that never reads loses the oldest frames, the producer goes on.
        for i in 2..(2 + FRAME_RING as u64 + 10) {
            h.publish(frame(i, false));
        }
        assert!(matches!(
            rx.try_recv(),
            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(10))
        ));
        assert_eq!(h.metrics().frames_in, FRAME_RING as u64 + 12);
    }

    #[test]
    fn registry_maps_names() {
        let r = StreamRegistry::new();
        r.register("main", hub(QueueLimits::default()));
        r.register("sub", hub(QueueLimits::default()));
        assert_eq!(r.names(), vec!["main", "sub"]);
        assert!(r.get("main").is_some());
        assert!(r.get("nope").is_none());
    }
}
