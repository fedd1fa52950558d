//! The simulated sensor (video source 0). It has no free-running thread: a frame is
//! rendered when a consumer (an encoder channel, the motion detector, a snapshot) asks for
//! the picture at one of its capture instants, and kept in a small cache so consumers that
//! share an instant (every channel at the same rate, the 5 fps motion detector and a 25 fps
//! channel) share one render. Capture instants lie on per-rate grids anchored at Init, so
//! a 15 fps channel gets frames exactly 66.667 ms apart (as its pts promise) instead of a
//! jittery subset of a 25 fps stream. With nothing asking, nothing runs: idle costs nothing.
//!
//! ISP settings are compiled into lookup tables on NVT_ISP_SetAttr and applied to every
//! frame rendered after that (the cache is keyed by ISP generation too).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::clock::{Clock, format_utc};
use super::frame::{Frame, I420};
use super::isp::{self, Luts};
use super::pattern::{self, Pattern};
use crate::*;

pub const NAME: &str = "sim";
pub const MAX_FPS: u32 = 25;
/// Frames kept for consumers sharing an instant.
const CACHE: usize = 4;

struct IspState {
    attr: NVT_ISP_ATTR_S,
    luts: Arc<Luts>,
    generation: u64,
}

struct Cached {
    frame: Arc<Frame>,
    isp_generation: u64,
}

/// Render statistics, for measurements.
#[derive(Default, Clone, Copy, Debug)]
pub struct RenderStats {
    pub frames: u64,
    pub total_ns: u64,
}

pub struct Sensor {
    clock: Clock,
    period_us: u64,
    on_us: u64,
    pattern: Pattern,
    isp: Mutex<IspState>,
    cache: Mutex<VecDeque<Cached>>,
    stats: Mutex<RenderStats>,
}

impl Sensor {
    pub fn new(clock: Clock, motion_period_ms: u32, motion_on_ms: u32) -> Sensor {
        let attr = isp::default_attr();
        Sensor {
            clock,
            period_us: motion_period_ms as u64 * 1000,
            on_us: motion_on_ms as u64 * 1000,
            pattern: Pattern::new(),
            isp: Mutex::new(IspState {
                attr,
                luts: Arc::new(Luts::new(&attr)),
                generation: 0,
            }),
            cache: Mutex::new(VecDeque::with_capacity(CACHE + 1)),
            stats: Mutex::new(RenderStats::default()),
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn width(&self) -> u32 {
        pattern::WIDTH as u32
    }

    pub fn height(&self) -> u32 {
        pattern::HEIGHT as u32
    }

    pub fn isp_attr(&self) -> NVT_ISP_ATTR_S {
        super::lock(&self.isp).attr
    }

    /// Replaces the ISP settings (already validated); frames captured from now on use them.
    pub fn set_isp_attr(&self, attr: NVT_ISP_ATTR_S) {
        let luts = Arc::new(Luts::new(&attr));
        let mut s = super::lock(&self.isp);
        s.attr = attr;
        s.luts = luts;
        s.generation += 1;
    }

    pub fn stats(&self) -> RenderStats {
        *super::lock(&self.stats)
    }

    /// The picture captured at the monotonic instant `mono` (µs), rendering it if no
    /// consumer has yet.
    pub fn capture(&self, mono: u64) -> Arc<Frame> {
        let (luts, generation) = {
            let s = super::lock(&self.isp);
            (s.luts.clone(), s.generation)
        };
        // The cache lock is held across the render so that two consumers asking for the
        // same instant render it once.
        let mut cache = super::lock(&self.cache);
        if let Some(c) = cache
            .iter()
            .find(|c| c.frame.pts_us == mono && c.isp_generation == generation)
        {
            return c.frame.clone();
        }
        // Reuse the buffer of the oldest frame if no consumer holds it any more.
        let mut image = None;
        if cache.len() >= CACHE
            && let Some(old) = cache.pop_front()
        {
            image = Arc::try_unwrap(old.frame).ok().map(|f| f.image);
        }
        let mut image = image.unwrap_or_else(|| I420::new(pattern::WIDTH, pattern::HEIGHT));
        let started = Instant::now();
        let since = self.clock.since_init(mono);
        let utc = self.clock.utc_at(mono);
        let number = since * MAX_FPS as u64 / 1_000_000;
        let object = pattern::object_x(since, self.period_us, self.on_us);
        self.pattern
            .render(&mut image, since, &format_utc(utc), number, object);
        luts.apply(&mut image);
        {
            let mut st = super::lock(&self.stats);
            st.frames += 1;
            st.total_ns += started.elapsed().as_nanos() as u64;
        }
        let frame = Arc::new(Frame {
            image,
            pts_us: mono,
            utc_us: utc,
            number,
        });
        cache.push_back(Cached {
            frame: frame.clone(),
            isp_generation: generation,
        });
        frame
    }

    /// The most recent capture instant on the 25 fps grid that is not in the future: what
    /// a snapshot shows (shared with a running 25 fps channel when there is one).
    pub fn latest_instant(&self) -> u64 {
        let now = super::clock::mono_us();
        let k = self.clock.next_tick_index(MAX_FPS, now);
        let t = self.clock.tick(MAX_FPS, k);
        if t > now {
            self.clock.tick(MAX_FPS, k.saturating_sub(1))
        } else {
            t
        }
    }
}
