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
//!
//! The PTZ head (`with_head`) decides the view: a frame shows the world (`panorama.rs`) as
//! the head frames it at the capture instant, read once, when the instant is rendered. The
//! cache is keyed by instant (and ISP generation) only, not by view: the view is a function
//! of the instant, and reading it once per render means that every consumer of an instant
//! sees the same picture, even if the head has moved on (or been advanced by a GetStatus)
//! by the time a later consumer asks. Consumers ask for instants that have come (they sleep
//! until them), so the view is the head's position at that instant; one rendered late (a
//! worker catching up) shows the head's latest position, which is at most that lateness
//! away. The head is never advanced past the present: a move commanded now starts now.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::clock::{Clock, format_utc};
use super::frame::{Frame, I420};
use super::isp::{self, Luts};
use super::mount::Mount;
use super::panorama::View;
use super::pattern::{self, Pattern};
use super::ptz::Head;
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
    /// Scratch for the pattern tile when the head looks away from home (locked under
    /// `cache`).
    tile: Mutex<Option<I420>>,
    /// The PTZ head whose view the pictures show (none: always at home).
    head: Option<Arc<Mutex<Head>>>,
    /// The mount the camera sits on: turned by hand in tests (`mount.rs`).
    mount: Mount,
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
            tile: Mutex::new(None),
            head: None,
            mount: Mount::new(None),
            stats: Mutex::new(RenderStats::default()),
        }
    }

    /// The sensor on the PTZ head `head` (shared with the FFI that moves it): pictures show
    /// its view at their capture instant.
    pub fn with_head(mut self, head: Arc<Mutex<Head>>) -> Sensor {
        self.head = Some(head);
        self
    }

    /// The sensor on `mount` (a camera turned by hand shows another view).
    pub fn with_mount(mut self, mount: Mount) -> Sensor {
        self.mount = mount;
        self
    }

    /// The view at the capture instant `mono` (never advancing the head past now), turned
    /// by the mount's offset (the panorama wraps around).
    fn view(&self, mono: u64) -> View {
        let mut view = match &self.head {
            Some(h) => {
                let (pan, tilt, zoom) = super::lock(h).view(mono.min(super::clock::mono_us()));
                View { pan, tilt, zoom }
            }
            None => View::HOME,
        };
        view.pan += self.mount.pan_offset(mono);
        view
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
        let view = self.view(mono);
        if view.is_home() {
            self.pattern
                .render(&mut image, since, &format_utc(utc), number, object);
        } else {
            let mut tile = super::lock(&self.tile);
            let tile = tile.get_or_insert_with(|| I420::new(pattern::WIDTH, pattern::HEIGHT));
            self.pattern.render_view(
                &mut image,
                tile,
                since,
                &format_utc(utc),
                number,
                object,
                view,
            );
        }
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

#[cfg(test)]
mod tests {
    use super::super::clock::mono_us;
    use super::super::panorama::LANDMARKS;
    use super::super::ptz::{self, Head};
    use super::*;

    const PAN_90: NVT_PTZ_VECTOR_S = NVT_PTZ_VECTOR_S {
        pan: 9_000,
        tilt: 0,
        zoom: 100,
    };

    #[test]
    fn pictures_follow_the_head_and_an_instant_keeps_its_view() {
        let clock = Clock::start();
        let plain = Sensor::new(clock, 10_000, 4_000);
        let head = Arc::new(Mutex::new(Head::new(mono_us())));
        let sensor = Sensor::new(clock, 10_000, 4_000).with_head(head.clone());
        let t0 = clock.tick(MAX_FPS, 0);
        // At home: exactly the picture of a sensor without a head.
        let home = sensor.capture(t0);
        assert_eq!(home.image, plain.capture(t0).image);
        // The head starts panning: an instant already rendered keeps its picture...
        super::super::lock(&head)
            .move_absolute(&PAN_90, &ptz::SPEED_MAX, ptz::PAN_TILT, mono_us())
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(Arc::ptr_eq(&home, &sensor.capture(t0)));
        // ...and a later one shows the head on its way (1.2 degrees = 25 pixels after 0.1 s).
        let t1 = sensor.latest_instant();
        assert!(t1 > t0);
        assert_ne!(sensor.capture(t1).image, plain.capture(t1).image);

        // A head that set off for pan +90 at boot (CLOCK_MONOTONIC 0) has long arrived: the
        // square landmark there fills the picture's centre.
        let far = Arc::new(Mutex::new(Head::new(0)));
        super::super::lock(&far)
            .move_absolute(&PAN_90, &ptz::SPEED_MAX, ptz::PAN_TILT, 0)
            .unwrap();
        let sensor = Sensor::new(clock, 10_000, 4_000).with_head(far);
        let frame = sensor.capture(t0);
        let square = LANDMARKS.iter().find(|l| l.pan == 90).unwrap();
        let centre = 360 * pattern::WIDTH + 640;
        assert_eq!(frame.image.y()[centre], square.yuv[0]);
    }
}
