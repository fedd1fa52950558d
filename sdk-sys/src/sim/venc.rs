//! Encoder channels: attributes and caps, the per-channel worker thread, and the bounded
//! queue GetStream reads from.
//!
//! Each started channel owns one thread. At every tick of its own rate (a grid anchored at
//! Init, so pts deltas are exactly 1/fps) it captures the sensor picture of that instant,
//! scales it to the channel size and encodes it with openh264 (or, in replay mode, takes
//! the next access unit of the recording). The frame goes into a queue of QUEUE_LEN frames;
//! when the reader does not keep up the oldest frame is dropped and `seq` shows the gap.
//! A SetAttr bumps the channel's generation: queued frames of the old configuration are
//! discarded and the worker re-creates the encoder, so the next frame is an IDR with the
//! new SPS/PPS.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::clock::{Clock, mono_us};
#[cfg(all(feature = "v4l2", target_os = "linux"))]
use super::encoder::HwH264;
use super::encoder::{EncodedAu, H264Encoder};
use super::frame::{Frame, I420};
use super::osd::Osd;
use super::replay::{Recording, ReplayAu};
use super::scale;
use super::scene::Scene;
use crate::*;

pub const MAX_CHANNELS: u32 = 4;
pub const QUEUE_LEN: usize = 8;
/// How far behind its tick grid a worker may fall before it skips instead of catching up.
const CATCH_UP_US: u64 = 1_000_000;

/// 16:9 sizes the scaler and encoder accept from the test pattern, largest first (a V4L2
/// source offers fractions of its own size: `scene::derived_resolutions`).
pub const RESOLUTIONS: [(u32, u32); 10] = [
    (1280, 720),
    (1024, 576),
    (960, 540),
    (896, 504),
    (768, 432),
    (640, 360),
    (512, 288),
    (480, 270),
    (384, 216),
    (320, 180),
];

/// Profiles whose profile_idc openh264 really writes (checked with ffprobe by the tests).
pub const PROFILES: u32 = (1 << NVT_H264_PROFILE_E::NVT_H264_PROFILE_BASELINE.0)
    | (1 << NVT_H264_PROFILE_E::NVT_H264_PROFILE_MAIN.0)
    | (1 << NVT_H264_PROFILE_E::NVT_H264_PROFILE_HIGH.0);
pub const RC_MODES: u32 = (1 << NVT_RC_MODE_E::NVT_RC_CBR.0)
    | (1 << NVT_RC_MODE_E::NVT_RC_VBR.0)
    | (1 << NVT_RC_MODE_E::NVT_RC_FIXQP.0);

pub fn caps(scene: &Scene) -> NVT_VENC_CAPS_S {
    let sizes = scene.resolutions();
    let mut c = NVT_VENC_CAPS_S {
        codecs: 1 << NVT_CODEC_E::NVT_CODEC_H264.0,
        h264_profiles: PROFILES,
        rc_modes: RC_MODES,
        resolution_count: sizes.len().min(NVT_MAX_RESOLUTIONS as usize) as u32,
        fps_min: 1,
        fps_max: scene.max_fps(),
        bitrate_min_kbps: 32,
        bitrate_max_kbps: 8000,
        gop_min: 1,
        gop_max: 300,
        qp_min: 0,
        qp_max: 51,
        ..Default::default()
    };
    for (i, &(width, height)) in sizes.iter().take(NVT_MAX_RESOLUTIONS as usize).enumerate() {
        c.resolutions[i] = NVT_RESOLUTION_S { width, height };
    }
    c
}

/// Checks attributes against the caps. Bitrate is ignored (not checked) in FIXQP mode.
pub fn validate(a: &NVT_VENC_ATTR_S, scene: &Scene) -> bool {
    let c = caps(scene);
    a.vi == 0
        && a.codec.0 < 32
        && c.codecs & (1 << a.codec.0) != 0
        && c.resolutions[..c.resolution_count as usize]
            .iter()
            .any(|r| (r.width, r.height) == (a.width, a.height))
        && (c.fps_min..=c.fps_max).contains(&a.fps)
        && a.rc_mode.0 < 32
        && c.rc_modes & (1 << a.rc_mode.0) != 0
        && (a.rc_mode == NVT_RC_MODE_E::NVT_RC_FIXQP
            || (c.bitrate_min_kbps..=c.bitrate_max_kbps).contains(&a.bitrate_kbps))
        && (c.gop_min..=c.gop_max).contains(&a.gop)
        && a.profile.0 < 32
        && c.h264_profiles & (1 << a.profile.0) != 0
        && (c.qp_min..=c.qp_max).contains(&a.qp)
}

/// The attributes a replay channel reports: the recording's, whatever was asked.
pub fn replay_attr(rec: &Recording, fps: u32) -> NVT_VENC_ATTR_S {
    NVT_VENC_ATTR_S {
        vi: 0,
        codec: NVT_CODEC_E::NVT_CODEC_H264,
        width: rec.width,
        height: rec.height,
        fps,
        rc_mode: NVT_RC_MODE_E::NVT_RC_VBR,
        bitrate_kbps: rec.bitrate_kbps,
        gop: rec.gop,
        profile: match rec.profile_idc {
            77 => NVT_H264_PROFILE_E::NVT_H264_PROFILE_MAIN,
            100 => NVT_H264_PROFILE_E::NVT_H264_PROFILE_HIGH,
            _ => NVT_H264_PROFILE_E::NVT_H264_PROFILE_BASELINE,
        },
        qp: 0,
    }
}

/// A hardware encoder a channel may use (`crate::v4l2::encoder`), found at Init.
#[cfg(all(feature = "v4l2", target_os = "linux"))]
pub type HwProbe = Arc<crate::v4l2::encoder::Probe>;
/// No hardware encoder exists in a build without V4L2.
#[cfg(not(all(feature = "v4l2", target_os = "linux")))]
pub type HwProbe = std::convert::Infallible;

/// The encoder a channel runs: openh264, or the board's hardware encoder when it can do
/// exactly what the channel's attributes ask.
enum Backend {
    Soft(Box<H264Encoder>),
    #[cfg(all(feature = "v4l2", target_os = "linux"))]
    Hw(HwH264),
}

/// Where a channel's frames come from.
#[derive(Clone)]
pub enum Source {
    Scene(Scene),
    Replay(Arc<Recording>),
}

#[derive(Debug)]
pub enum Payload {
    Encoded(EncodedAu),
    Replay(Arc<ReplayAu>),
}

/// A frame waiting in a channel's queue.
#[derive(Debug)]
pub struct Queued {
    pub seq: u32,
    pub pts_us: u64,
    pub utc_us: u64,
    pub keyframe: bool,
    pub payload: Payload,
}

impl Queued {
    /// The NAL units as slices.
    pub fn nals(&self) -> Vec<&[u8]> {
        match &self.payload {
            Payload::Encoded(au) => au
                .nals
                .iter()
                .map(|&(o, l, _)| &au.data[o..o + l])
                .collect(),
            Payload::Replay(au) => au.nals.iter().map(|n| n.as_slice()).collect(),
        }
    }
}

pub struct State {
    pub attr: NVT_VENC_ATTR_S,
    pub generation: u64,
    pub running: bool,
    pub destroyed: bool,
    pub idr_requested: bool,
    pub queue: VecDeque<Queued>,
    pub seq: u32,
    /// Frames dropped because the reader did not keep up.
    pub dropped: u64,
    pub last_error: Option<String>,
}

pub struct Channel {
    pub state: Mutex<State>,
    /// Signalled on every new frame and every state change (stop, destroy, attributes).
    pub cv: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
    source: Source,
    clock: Clock,
    /// Read only where a hardware encoder can exist (V4L2 on Linux).
    #[cfg_attr(not(all(feature = "v4l2", target_os = "linux")), allow(dead_code))]
    hw: Option<HwProbe>,
    /// The source's overlay, blended into each picture before it is scaled and encoded.
    osd: Option<Arc<Osd>>,
    /// Replay: 1 + the index of the access unit last emitted (0: none yet), what a snapshot
    /// decodes (`Recording::picture`).
    replayed: AtomicUsize,
}

pub enum GetError {
    Timeout,
    Stopped,
}

impl Channel {
    /// A channel; `hw` is the board's hardware encoder, if it has one; `osd` the source's
    /// overlay, if it has one.
    pub fn new(
        attr: NVT_VENC_ATTR_S,
        source: Source,
        clock: Clock,
        hw: Option<HwProbe>,
        osd: Option<Arc<Osd>>,
    ) -> Arc<Channel> {
        Arc::new(Channel {
            state: Mutex::new(State {
                attr,
                generation: 0,
                running: false,
                destroyed: false,
                idr_requested: false,
                queue: VecDeque::with_capacity(QUEUE_LEN),
                seq: 0,
                dropped: 0,
                last_error: None,
            }),
            cv: Condvar::new(),
            thread: Mutex::new(None),
            source,
            clock,
            hw,
            osd,
            replayed: AtomicUsize::new(0),
        })
    }

    /// Replay: the index of the access unit this channel emitted last, if any.
    pub fn replayed(&self) -> Option<usize> {
        self.replayed.load(Ordering::Relaxed).checked_sub(1)
    }

    pub fn start(self: &Arc<Self>) -> Result<(), String> {
        let mut th = super::lock(&self.thread);
        {
            let mut s = super::lock(&self.state);
            if s.running {
                return Ok(());
            }
            s.running = true;
            s.generation += 1;
        }
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("nvt-sim-venc".into())
            .spawn(move || {
                // A panicking worker must not leave readers waiting forever: the channel
                // reads as stopped (GetStream: NVT_ERR_STOPPED) until started again.
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| me.run()));
                if run.is_err() {
                    let mut s = super::lock(&me.state);
                    s.running = false;
                    s.last_error = Some("encoder worker panicked".into());
                    me.cv.notify_all();
                }
            });
        match spawned {
            Ok(handle) => {
                *th = Some(handle);
                Ok(())
            }
            Err(e) => {
                super::lock(&self.state).running = false;
                Err(e.to_string())
            }
        }
    }

    /// Stops the worker (waits for it) and drops queued frames.
    pub fn stop(&self, destroy: bool) {
        let mut th = super::lock(&self.thread);
        {
            let mut s = super::lock(&self.state);
            s.running = false;
            s.destroyed |= destroy;
            s.queue.clear();
            self.cv.notify_all();
        }
        if let Some(h) = th.take() {
            let _ = h.join();
        }
    }

    pub fn attr(&self) -> NVT_VENC_ATTR_S {
        super::lock(&self.state).attr
    }

    /// Applies new (validated) attributes; a no-op if nothing changed.
    pub fn set_attr(&self, attr: NVT_VENC_ATTR_S) {
        let mut s = super::lock(&self.state);
        if s.attr == attr {
            return;
        }
        s.attr = attr;
        s.generation += 1;
        s.queue.clear();
        self.cv.notify_all();
    }

    pub fn request_idr(&self) {
        super::lock(&self.state).idr_requested = true;
    }

    /// The oldest queued frame, waiting up to `timeout_ms` (<0: forever).
    pub fn get(&self, timeout_ms: i32) -> Result<Queued, GetError> {
        let deadline = (timeout_ms >= 0).then(|| mono_us() + timeout_ms as u64 * 1000);
        let mut s = super::lock(&self.state);
        loop {
            if s.destroyed || !s.running {
                return Err(GetError::Stopped);
            }
            if let Some(f) = s.queue.pop_front() {
                return Ok(f);
            }
            match deadline {
                None => s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = mono_us();
                    if now >= d {
                        return Err(GetError::Timeout);
                    }
                    s = self
                        .cv
                        .wait_timeout(s, Duration::from_micros(d - now))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }

    fn push(&self, s: &mut State, pts_us: u64, keyframe: bool, payload: Payload) {
        if s.queue.len() >= QUEUE_LEN {
            s.queue.pop_front();
            s.dropped += 1;
        }
        let seq = s.seq;
        s.seq = s.seq.wrapping_add(1);
        let utc_us = self.clock.utc_at(pts_us);
        s.queue.push_back(Queued {
            seq,
            pts_us,
            utc_us,
            keyframe,
            payload,
        });
        self.cv.notify_all();
    }

    /// The worker: one frame per tick until stopped (a V4L2 device: one per captured frame
    /// due at the channel's rate, see `run_live`).
    fn run(&self) {
        #[cfg(all(feature = "v4l2", target_os = "linux"))]
        if let Source::Scene(Scene::Device(camera)) = &self.source {
            return self.run_live(camera);
        }
        let mut encoder: Option<Backend> = None;
        let mut scaled: Option<I420> = None;
        let mut generation = u64::MAX;
        let mut fps = 1;
        let mut k = 0u64;
        let mut replay_pos = 0usize;
        let mut s = super::lock(&self.state);
        loop {
            if !s.running || s.destroyed {
                return;
            }
            if s.generation != generation {
                generation = s.generation;
                // In replay mode attr.fps is replay_fps (see replay_attr).
                fps = s.attr.fps;
                encoder = None;
                replay_pos = 0;
                k = self.clock.next_tick_index(fps, mono_us());
            }
            let t = self.clock.tick(fps, k);
            let now = mono_us();
            if t > now {
                s = self
                    .cv
                    .wait_timeout(s, Duration::from_micros(t - now))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                continue; // re-check stop/attributes, and the time
            }
            let attr = s.attr;
            let force_idr = std::mem::take(&mut s.idr_requested);
            drop(s);
            let produced = match &self.source {
                Source::Scene(scene) => match scene.picture_at(t, 0) {
                    Some(frame) => self.encode(&frame, &attr, &mut encoder, &mut scaled, force_idr),
                    None => Err("no picture".into()),
                },
                Source::Replay(rec) => {
                    if force_idr {
                        // Rewind to the IDR that starts the current GOP.
                        while replay_pos > 0 && !rec.aus[replay_pos].keyframe {
                            replay_pos -= 1;
                        }
                    }
                    let au = rec.aus[replay_pos].clone();
                    self.replayed.store(replay_pos + 1, Ordering::Relaxed);
                    replay_pos = (replay_pos + 1) % rec.aus.len();
                    Ok(vec![(t, au.keyframe, Payload::Replay(au))])
                }
            };
            s = super::lock(&self.state);
            match produced {
                // A frame of a configuration replaced meanwhile is not queued.
                Ok(frames) if s.generation == generation && s.running => {
                    for (pts, key, payload) in frames {
                        self.push(&mut s, pts, key, payload);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    s.last_error = Some(e);
                    encoder = None;
                }
            }
            // Next tick. A worker that fell behind (a loaded machine) catches up on the
            // missed instants, so pts spacing stays exactly 1/fps; only after a long stall
            // (over CATCH_UP_US, e.g. a suspended process) does it jump to the present.
            k += 1;
            let now = mono_us();
            if self.clock.tick(fps, k) + CATCH_UP_US < now {
                k = self.clock.next_tick_index(fps, now);
            }
        }
    }

    /// Encodes one picture: the access units that came out, each with its pts (one for
    /// openh264; a hardware encoder may hand a picture's data out with a later call).
    fn encode(
        &self,
        frame: &Arc<Frame>,
        attr: &NVT_VENC_ATTR_S,
        encoder: &mut Option<Backend>,
        scaled: &mut Option<I420>,
        force_idr: bool,
    ) -> Result<Vec<(u64, bool, Payload)>, String> {
        // The overlay goes in at the source's size, so a scaled channel shows it scaled.
        let frame = match &self.osd {
            Some(osd) => osd.compose(frame),
            None => frame.clone(),
        };
        let t = frame.pts_us;
        let (w, h) = (attr.width as usize, attr.height as usize);
        let img = if (w, h) == (frame.image.width, frame.image.height) {
            &frame.image
        } else {
            let buf = scaled.get_or_insert_with(|| I420::new(w, h));
            if (buf.width, buf.height) != (w, h) {
                *buf = I420::new(w, h);
            }
            scale::scale_into(&frame.image, buf);
            buf
        };
        // A hardware encoder that cannot be told to make a key frame is restarted: a
        // stateful encoder begins with one. Reopened directly (the choice of encoder is
        // made, and logged, once per configuration); the old one is closed first, as a
        // device may allow one instance only. If it will not reopen, the choice is made
        // again below.
        #[cfg(all(feature = "v4l2", target_os = "linux"))]
        if force_idr
            && matches!(encoder, Some(Backend::Hw(hw)) if !hw.can_force_key())
            && let Some(probe) = &self.hw
        {
            *encoder = None;
            *encoder = HwH264::new(attr, probe).ok().map(Backend::Hw);
        }
        let backend = match encoder {
            Some(b) => b,
            None => encoder.insert(self.new_backend(attr)?),
        };
        let one = |au: EncodedAu| vec![(t, au.keyframe, Payload::Encoded(au))];
        match backend {
            Backend::Soft(e) => Ok(one(e.encode(img, t, force_idr)?)),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Backend::Hw(e) => Ok(e
                .encode(img, t, force_idr)?
                .into_iter()
                .map(|(pts, au)| (pts, au.keyframe, Payload::Encoded(au)))
                .collect()),
        }
    }

    /// The encoder for `attr`: the hardware one if the board has one that can do exactly
    /// this, else openh264. Says which on the log, and why not the hardware one.
    fn new_backend(&self, attr: &NVT_VENC_ATTR_S) -> Result<Backend, String> {
        #[cfg(all(feature = "v4l2", target_os = "linux"))]
        if let Some(probe) = &self.hw {
            let why = match probe.refuses(&HwH264::config(attr, probe)) {
                Some(why) => why,
                None => match HwH264::new(attr, probe) {
                    Ok(hw) => {
                        crate::v4l2::camera::log(format_args!(
                            "{}x{}@{}: H.264 from {} ({})",
                            attr.width,
                            attr.height,
                            attr.fps,
                            probe.card,
                            probe.path.display()
                        ));
                        return Ok(Backend::Hw(hw));
                    }
                    Err(e) => e,
                },
            };
            crate::v4l2::camera::log(format_args!(
                "{}x{}@{}: software H.264, not {}: {why}",
                attr.width,
                attr.height,
                attr.fps,
                probe.path.display()
            ));
        }
        Ok(Backend::Soft(Box::new(H264Encoder::new(attr)?)))
    }

    /// The worker for a V4L2 device: frames arrive at the device's pace, and the channel
    /// takes the first frame due on its own grid of 1/fps (half a device period early is
    /// still on time), so a 25 fps device feeds a 10 fps channel every 2nd or 3rd frame
    /// with even spacing; pts is the device's capture time. While the device is away the
    /// worker just waits; the first frame after it returns is an IDR, so viewers resume
    /// cleanly.
    #[cfg(all(feature = "v4l2", target_os = "linux"))]
    fn run_live(&self, camera: &crate::v4l2::Camera) {
        /// How long one wait for a frame lasts, which bounds how long stop takes.
        const POLL: Duration = Duration::from_millis(100);
        let half_device_period = 500_000 / camera.mode().fps.max(1) as u64;
        let mut encoder: Option<Backend> = None;
        let mut scaled: Option<I420> = None;
        let mut generation = u64::MAX;
        let mut last_number = 0u64;
        let mut due: Option<u64> = None;
        let mut period = 0u64;
        // Waits in a row that got no frame.
        let mut idle: u32 = 0;
        let mut s = super::lock(&self.state);
        loop {
            if !s.running || s.destroyed {
                return;
            }
            if s.generation != generation {
                generation = s.generation;
                period = 1_000_000 / s.attr.fps.max(1) as u64;
                encoder = None;
                due = None;
            }
            drop(s);
            let frame = camera.wait_newer(last_number, POLL);
            s = super::lock(&self.state);
            let Some(frame) = frame else {
                // A device away for a second: an IDR starts the stream again when it is back
                // (a merely slow device keeps its GOP).
                idle += 1;
                if idle as u128 * POLL.as_millis() >= 1000 {
                    s.idr_requested = true;
                }
                continue;
            };
            idle = 0;
            last_number = frame.number;
            if !s.running || s.destroyed || s.generation != generation {
                continue;
            }
            if let Some(d) = due
                && frame.pts_us + half_device_period < d
            {
                continue; // not yet due at this channel's rate
            }
            // Next due instant on the grid; after a gap (device away, worker late) the grid
            // restarts at this frame rather than bursting to catch up.
            due = Some(match due {
                Some(d) if frame.pts_us < d + period => d + period,
                _ => frame.pts_us + period,
            });
            let attr = s.attr;
            let force_idr = std::mem::take(&mut s.idr_requested);
            drop(s);
            let produced = self.encode(&frame, &attr, &mut encoder, &mut scaled, force_idr);
            s = super::lock(&self.state);
            match produced {
                Ok(frames) if s.generation == generation && s.running => {
                    for (pts, key, payload) in frames {
                        self.push(&mut s, pts, key, payload);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    s.last_error = Some(e);
                    encoder = None;
                }
            }
        }
    }
}
