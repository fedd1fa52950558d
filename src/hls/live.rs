//! The tokio shell around the segmenter: one [`LiveStream`] per stream hub, producing only
//! while someone is watching.
//!
//! The first request for a stream starts a *session*: a task that subscribes to the hub's
//! raw frames and feeds a [`Segmenter`]. Every request marks the session used; after
//! [`IDLE_TIMEOUT`] without one the task ends and the window is freed. Sequence numbers and
//! initialization-segment generations carry on across sessions, so a player that comes
//! back sees a discontinuity, never a sequence number reused for other media.
//!
//! When the profile's audio encoder is AAC the session also subscribes to the profile's
//! audio hub (`crate::audio`) and feeds its units to the segmenter, which muxes them into
//! the same parts. G.711 is left out: no browser's Media Source Extensions accept it in
//! MP4 (docs/web.md, "Audio"). The session checks every second whether the profile's audio
//! changed (another encoder, AAC on or off) and follows it from the next IDR.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use super::segmenter::{Segmenter, SegmenterConfig};
use crate::frame::Frame;
use crate::rtp::aac::AacConfig;
use crate::rtp::audio::AudioFormat;
use crate::rtp::{AudioHub, AudioRegistry, RtpHub, RtpRegistry};
use crate::settings::SettingsStore;

/// A session with no request for this long stops and frees its segments.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// `EXT-X-PART-INF:PART-TARGET` (a frame interval longer than this raises it to one frame).
pub(crate) const PART_TARGET: Duration = Duration::from_millis(200);
/// Complete segments kept per stream, behind the open one: with 2 s GOPs, 8 s of video,
/// more than the three target durations a playlist must span (RFC 8216bis s6.2.2).
pub(crate) const WINDOW_SEGMENTS: usize = 4;
/// A GOP longer than this is cut into segments that do not start at an IDR.
pub(crate) const MAX_SEGMENT: Duration = Duration::from_secs(10);
/// A client is counted as watching while its last request is this recent.
pub(crate) const WATCHER_WINDOW: Duration = Duration::from_secs(5);
/// Most distinct (address, user) pairs tracked as watchers of one stream.
pub(crate) const MAX_WATCHERS: usize = 256;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One running segmenter and what waits on it.
pub struct Session {
    seg: Mutex<Segmenter>,
    /// Bumped on every new part; blocking requests wait on it.
    version: watch::Sender<u64>,
    last_request: Mutex<Instant>,
    closed: AtomicBool,
}

impl Session {
    /// The segmenter, for reading the window.
    pub fn segmenter(&self) -> MutexGuard<'_, Segmenter> {
        lock(&self.seg)
    }

    /// Waits until `ready` holds on the segmenter or `deadline` passes; returns whether it
    /// held. Wakes on every new part.
    pub async fn wait_for(
        &self,
        deadline: tokio::time::Instant,
        mut ready: impl FnMut(&Segmenter) -> bool,
    ) -> bool {
        let mut rx = self.version.subscribe();
        loop {
            rx.borrow_and_update();
            if ready(&self.segmenter()) {
                return true;
            }
            if self.closed.load(Ordering::Acquire) {
                return false;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return ready(&self.segmenter()),
            }
        }
    }
}

/// HLS state of one stream hub.
pub(crate) struct LiveStream {
    hub: Arc<RtpHub>,
    /// The audio tracks by profile token, and the profile whose audio this stream carries
    /// (the first one requested, when profiles share a video encoder).
    audio: Arc<AudioRegistry>,
    profile: String,
    config: SegmenterConfig,
    session: Mutex<Option<Arc<Session>>>,
    /// (first msn, generation) for the next session.
    resume: Mutex<(u64, u32)>,
    watchers: Mutex<HashMap<(IpAddr, String), Instant>>,
}

impl LiveStream {
    pub fn hub(&self) -> &Arc<RtpHub> {
        &self.hub
    }

    /// The profile's audio hub now, with its AAC configuration if its audio is AAC (the
    /// only audio HLS carries).
    pub(crate) fn audio(&self) -> Option<(Arc<AudioHub>, Option<AacConfig>)> {
        let hub = self.audio.get(&self.profile)?;
        let aac = match hub.packer(|p| p.format()) {
            AudioFormat::Aac(c) => Some(c),
            AudioFormat::Pcmu | AudioFormat::Pcma => None,
        };
        Some((hub, aac))
    }

    /// The profile whose audio the stream carries.
    pub(crate) fn profile(&self) -> &str {
        &self.profile
    }

    /// The AAC configuration HLS muxes, if any.
    pub(crate) fn aac(&self) -> Option<AacConfig> {
        self.audio().and_then(|(_, c)| c)
    }

    /// The running session, started if there is none; marks it used by `who`.
    pub fn session(self: &Arc<Self>, who: (IpAddr, String)) -> Arc<Session> {
        let now = Instant::now();
        {
            let mut w = lock(&self.watchers);
            if w.len() >= MAX_WATCHERS && !w.contains_key(&who) {
                w.retain(|_, t| now.duration_since(*t) < WATCHER_WINDOW);
            }
            if w.len() < MAX_WATCHERS || w.contains_key(&who) {
                w.insert(who, now);
            }
        }
        let mut slot = lock(&self.session);
        if let Some(s) = slot.as_ref().filter(|s| !s.closed.load(Ordering::Acquire)) {
            *lock(&s.last_request) = now;
            return s.clone();
        }
        let (msn, generation) = *lock(&self.resume);
        let mut seg = Segmenter::new(self.config, msn, generation);
        let audio = AudioFeed::start(self.audio(), &mut seg);
        let session = Arc::new(Session {
            seg: Mutex::new(seg),
            version: watch::channel(0).0,
            last_request: Mutex::new(now),
            closed: AtomicBool::new(false),
        });
        let frames = self.hub.subscribe_frames();
        // Segments start at an IDR: ask for one rather than wait up to a GOP for it.
        self.hub.request_keyframe(now);
        tracing::info!(stream = %self.hub.name(), "HLS: session started");
        tokio::spawn(run(self.clone(), session.clone(), frames, audio));
        *slot = Some(session.clone());
        session
    }

    /// The running session, if any (for status pages: does not start one).
    pub fn current(&self) -> Option<Arc<Session>> {
        lock(&self.session)
            .as_ref()
            .filter(|s| !s.closed.load(Ordering::Acquire))
            .cloned()
    }

    /// Distinct (address, user) pairs that requested something in the last
    /// [`WATCHER_WINDOW`].
    pub(crate) fn watchers(&self) -> usize {
        let now = Instant::now();
        lock(&self.watchers)
            .values()
            .filter(|t| now.duration_since(**t) < WATCHER_WINDOW)
            .count()
    }
}

/// The audio a session muxes: the hub it follows (AAC or not) and, for AAC, its units.
struct AudioFeed {
    hub: Option<Arc<AudioHub>>,
    units: Option<tokio::sync::broadcast::Receiver<Arc<Frame>>>,
}

impl AudioFeed {
    /// Follows `audio` (a profile's hub and its AAC configuration): subscribes to its units
    /// when AAC and tells the segmenter.
    fn start(audio: Option<(Arc<AudioHub>, Option<AacConfig>)>, seg: &mut Segmenter) -> Self {
        let (hub, aac) = match audio {
            Some((hub, aac)) => (Some(hub), aac),
            None => (None, None),
        };
        seg.set_audio(aac);
        AudioFeed {
            units: aac.and(hub.as_ref()).map(|h| h.subscribe_frames()),
            hub,
        }
    }

    /// Whether the profile's audio hub is still the one followed.
    fn is_current(&self, now: Option<&Arc<AudioHub>>) -> bool {
        match (&self.hub, now) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    /// The next audio unit; never ready without an AAC feed.
    async fn recv(&mut self) -> Result<Arc<Frame>, RecvError> {
        match self.units.as_mut() {
            Some(rx) => rx.recv().await,
            None => std::future::pending().await,
        }
    }
}

async fn run(
    stream: Arc<LiveStream>,
    session: Arc<Session>,
    mut frames: tokio::sync::broadcast::Receiver<Arc<crate::frame::Frame>>,
    mut audio: AudioFeed,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            r = audio.recv() => match r {
                Ok(unit) => session.segmenter().push_audio(&unit),
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(stream = %stream.hub.name(), lost = n, "HLS: fell behind the audio encoder");
                    session.segmenter().lost_audio();
                }
                // The audio encoder stopped (reconfigured): the tick below finds its successor.
                Err(RecvError::Closed) => audio.units = None,
            },
            r = frames.recv() => match r {
                Ok(frame) => {
                    if session.segmenter().push(frame) {
                        session.version.send_modify(|v| *v += 1);
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(stream = %stream.hub.name(), lost = n, "HLS: fell behind the encoder, resuming at the next IDR");
                    session.segmenter().lost_frames();
                }
                Err(RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                if lock(&session.last_request).elapsed() > IDLE_TIMEOUT {
                    break;
                }
                let now = stream.audio();
                if !audio.is_current(now.as_ref().map(|(h, _)| h)) {
                    tracing::info!(stream = %stream.hub.name(), aac = now.as_ref().is_some_and(|(_, c)| c.is_some()), "HLS: the profile's audio changed");
                    audio = AudioFeed::start(now, &mut session.segmenter());
                    stream.hub.request_keyframe(Instant::now());
                }
            }
        }
    }
    // Stop: later requests start a fresh session that continues the numbering.
    let mut slot = lock(&stream.session);
    session.closed.store(true, Ordering::Release);
    {
        let seg = session.segmenter();
        *lock(&stream.resume) = (seg.next_msn() + 1, seg.generation() + 1);
    }
    if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, &session)) {
        *slot = None;
    }
    drop(slot);
    session.version.send_modify(|v| *v += 1);
    tracing::info!(stream = %stream.hub.name(), "HLS: session stopped (no viewer)");
}

/// The HLS streams by profile token, created on first use from the stream registry.
pub(crate) struct LiveStreams {
    registry: Arc<RtpRegistry>,
    audio: Arc<AudioRegistry>,
    store: Arc<SettingsStore>,
    /// By hub name (the encoder token): profiles sharing an encoder share a segmenter.
    streams: Mutex<HashMap<String, Arc<LiveStream>>>,
}

impl LiveStreams {
    pub fn new(
        registry: Arc<RtpRegistry>,
        audio: Arc<AudioRegistry>,
        store: Arc<SettingsStore>,
    ) -> Self {
        LiveStreams {
            registry,
            audio,
            store,
            streams: Mutex::new(HashMap::new()),
        }
    }

    pub fn registry(&self) -> &Arc<RtpRegistry> {
        &self.registry
    }

    /// The stream of profile `token`, or `None` if no such stream is served.
    pub fn get(&self, token: &str) -> Option<Arc<LiveStream>> {
        let hub = self.registry.get(token)?;
        let mut map = lock(&self.streams);
        if let Some(s) = map.get(hub.name()).filter(|s| Arc::ptr_eq(&s.hub, &hub)) {
            return Some(s.clone());
        }
        let stream = Arc::new(LiveStream {
            config: self.segmenter_config(hub.name()),
            hub: hub.clone(),
            audio: self.audio.clone(),
            profile: token.to_owned(),
            session: Mutex::new(None),
            resume: Mutex::new((0, 0)),
            watchers: Mutex::new(HashMap::new()),
        });
        map.insert(hub.name().to_owned(), stream.clone());
        Some(stream)
    }

    /// The bitrate of profile `token`'s audio encoder, as it is now.
    pub fn audio_kbps(&self, token: &str) -> Option<u32> {
        let settings = self.store.get();
        let enc = settings.profile(token)?.audio_encoder.as_deref()?;
        settings.audio_encoder(enc).map(|a| a.bitrate_kbps)
    }

    /// The settings of encoder `token` (a hub's name), as they are now.
    pub fn encoder(&self, token: &str) -> Option<crate::settings::VideoEncoderConfig> {
        self.store.get().encoder(token).cloned()
    }

    /// Segment and part targets from the encoder's frame rate and GOP.
    fn segmenter_config(&self, encoder: &str) -> SegmenterConfig {
        let settings = self.store.get();
        let (fps, gop) = settings
            .encoder(encoder)
            .map_or((25, 50), |e| (e.fps.max(1), e.gop.max(1)));
        let frame = Duration::from_secs_f64(1.0 / f64::from(fps));
        SegmenterConfig {
            part_target: PART_TARGET.max(frame),
            window: WINDOW_SEGMENTS,
            max_segment: MAX_SEGMENT,
            min_target_duration: gop.div_ceil(fps).clamp(1, MAX_SEGMENT.as_secs() as u32),
        }
    }
}
