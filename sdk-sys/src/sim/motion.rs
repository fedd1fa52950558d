//! Motion detection on the rendered picture. While enabled, a worker captures a frame at
//! 5 fps (on the Init-anchored grid, so it shares renders with a 25 fps channel), reduces the
//! luma 4x4 (1280x720 -> 320x180) and compares each grid cell with the previous analysed
//! frame: a watched cell "moves" when the mean absolute difference of its pixels exceeds a
//! threshold derived from the sensitivity. This is the simulator's only always-on cost
//! (MD is enabled by default), about 5 renders per second.
//!
//! The default grid is 22x18 (cells of 58.2 x 40 px at 1280x720) watching rows 3..=14 only:
//! rows 0..=2 hold the clock band and rows 15..=17 the scrolling gradient and noise, which
//! change every frame. Inside the watched rows the picture is static except for the
//! object, so with the default attributes `motion == 1` exactly while the object crosses.
//!
//! In replay mode there is no picture to analyse: the channels emit the recording's access
//! units as they are and nothing decodes them, and rendering the test pattern only for the
//! detector would analyse a picture nobody streams (and cost 5 renders + analyses a second,
//! most of a replaying camera's fixed cost, issue 20). So the detector has no source
//! (`Motion::start(None)`): its attributes are kept and validated as usual, and
//! `NVT_MD_GetResult` never has a result (it times out, as a sensor with nothing new does).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::clock::mono_us;
use super::frame::I420;
use super::scene::Scene;
use crate::*;

pub const MD_FPS: u32 = 5;
const SMALL_W: usize = 320;
const SMALL_H: usize = 180;
pub const DEFAULT_COLS: u32 = 22;
pub const DEFAULT_ROWS: u32 = 18;

pub fn default_attr() -> NVT_MD_ATTR_S {
    let mut mask = [0u32; 32];
    for m in mask.iter_mut().take(15).skip(3) {
        *m = (1 << DEFAULT_COLS) - 1;
    }
    NVT_MD_ATTR_S {
        enable: 1,
        cols: DEFAULT_COLS,
        rows: DEFAULT_ROWS,
        sensitivity: 50,
        mask,
        min_cells: 1,
    }
}

pub fn validate(a: &NVT_MD_ATTR_S) -> bool {
    let cols_ok = (1..=NVT_MD_MAX_COLS).contains(&a.cols);
    let rows_ok = (1..=NVT_MD_MAX_ROWS).contains(&a.rows);
    a.enable <= 1
        && cols_ok
        && rows_ok
        && a.sensitivity <= 100
        && a.min_cells >= 1
        && a.min_cells <= a.cols * a.rows
        // No mask bits outside the grid.
        && a.mask.iter().enumerate().all(|(r, &m)| {
            (r as u32) < a.rows && (a.cols == 32 || m >> a.cols == 0) || (r as u32) >= a.rows && m == 0
        })
}

/// Mean absolute difference above which a cell moved.
fn threshold(sensitivity: u32) -> u32 {
    3 + (100 - sensitivity.min(100)) / 2
}

/// Box reduction of the luma plane to the SMALL_W x SMALL_H analysis grid (4x4 for the
/// simulator's 1280x720; nearest pixel for a source smaller than the grid).
pub fn reduce(img: &I420) -> Vec<u8> {
    let (w, y) = (img.width, img.y());
    if img.width < SMALL_W || img.height < SMALL_H {
        // A source smaller than the grid (a small V4L2 mode): nearest pixel per cell.
        let mut out = vec![0u8; SMALL_W * SMALL_H];
        for sy in 0..SMALL_H {
            for sx in 0..SMALL_W {
                out[sy * SMALL_W + sx] = y[(sy * img.height / SMALL_H) * w + sx * w / SMALL_W];
            }
        }
        return out;
    }
    let (fx, fy) = (img.width / SMALL_W, img.height / SMALL_H);
    let mut out = vec![0u8; SMALL_W * SMALL_H];
    for sy in 0..SMALL_H {
        for sx in 0..SMALL_W {
            let mut sum = 0u32;
            for dy in 0..fy {
                let row = &y[(sy * fy + dy) * w + sx * fx..][..fx];
                sum += row.iter().map(|&p| p as u32).sum::<u32>();
            }
            out[sy * SMALL_W + sx] = (sum / (fx * fy) as u32) as u8;
        }
    }
    out
}

/// Compares two reduced frames cell by cell.
pub fn analyse(prev: &[u8], cur: &[u8], attr: &NVT_MD_ATTR_S) -> (u32, [u32; 32]) {
    let thr = threshold(attr.sensitivity);
    let mut cells = [0u32; 32];
    let mut active = 0;
    for (r, moved) in cells.iter_mut().enumerate().take(attr.rows as usize) {
        let (y0, y1) = (
            r * SMALL_H / attr.rows as usize,
            (r + 1) * SMALL_H / attr.rows as usize,
        );
        for c in 0..attr.cols as usize {
            if attr.mask[r] & (1 << c) == 0 {
                continue;
            }
            let (x0, x1) = (
                c * SMALL_W / attr.cols as usize,
                (c + 1) * SMALL_W / attr.cols as usize,
            );
            let mut sum = 0u32;
            for y in y0..y1 {
                let a = &prev[y * SMALL_W + x0..y * SMALL_W + x1];
                let b = &cur[y * SMALL_W + x0..y * SMALL_W + x1];
                sum += a
                    .iter()
                    .zip(b)
                    .map(|(&p, &q)| p.abs_diff(q) as u32)
                    .sum::<u32>();
            }
            let n = ((y1 - y0) * (x1 - x0)).max(1) as u32;
            if sum / n > thr {
                *moved |= 1 << c;
                active += 1;
            }
        }
    }
    (active, cells)
}

struct State {
    attr: NVT_MD_ATTR_S,
    generation: u64,
    exit: bool,
    latest: Option<NVT_MD_RESULT_S>,
    /// seq of the result last handed out by GetResult.
    delivered: Option<u32>,
}

pub struct Motion {
    state: Mutex<State>,
    cv: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
}

pub enum WaitError {
    Timeout,
    Stopped,
}

impl Motion {
    /// The detector on `scene`'s pictures; `None`: a source without pictures to analyse (a
    /// replayed recording), whose detector never has a result and runs no thread.
    pub fn start(scene: Option<Scene>) -> Arc<Motion> {
        let m = Arc::new(Motion {
            state: Mutex::new(State {
                attr: default_attr(),
                generation: 0,
                exit: false,
                latest: None,
                delivered: None,
            }),
            cv: Condvar::new(),
            thread: Mutex::new(None),
        });
        let Some(scene) = scene else {
            return m;
        };
        let worker = m.clone();
        let handle = std::thread::Builder::new()
            .name("nvt-sim-md".into())
            .spawn(move || {
                // Should the worker panic, readers get NVT_ERR_STOPPED instead of waiting.
                let run =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker.run(&scene)));
                if run.is_err() {
                    super::lock(&worker.state).exit = true;
                    worker.cv.notify_all();
                }
            })
            .expect("spawn motion thread");
        *super::lock(&m.thread) = Some(handle);
        m
    }

    pub fn attr(&self) -> NVT_MD_ATTR_S {
        super::lock(&self.state).attr
    }

    pub fn set_attr(&self, attr: NVT_MD_ATTR_S) {
        let mut s = super::lock(&self.state);
        s.attr = attr;
        s.generation += 1;
        self.cv.notify_all();
    }

    pub fn stop(&self) {
        super::lock(&self.state).exit = true;
        self.cv.notify_all();
        if let Some(h) = super::lock(&self.thread).take() {
            let _ = h.join();
        }
    }

    /// Waits for a result newer than the last one returned.
    pub fn wait_result(&self, timeout_ms: i32) -> Result<NVT_MD_RESULT_S, WaitError> {
        let deadline = (timeout_ms >= 0).then(|| mono_us() + timeout_ms as u64 * 1000);
        let mut s = super::lock(&self.state);
        loop {
            if s.exit {
                return Err(WaitError::Stopped);
            }
            if let Some(r) = s.latest
                && s.delivered != Some(r.seq)
            {
                s.delivered = Some(r.seq);
                return Ok(r);
            }
            match deadline {
                None => s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = mono_us();
                    if now >= d {
                        return Err(WaitError::Timeout);
                    }
                    s = self
                        .cv
                        .wait_timeout(s, std::time::Duration::from_micros(d - now))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }

    fn run(&self, scene: &Scene) {
        let clock = *scene.clock();
        let mut prev: Option<(u64, Vec<u8>)> = None;
        let mut seq: u32 = 0;
        // Number of the last picture analysed (a device's pictures are compared only with
        // an older one).
        let mut last_number = 0u64;
        let mut s = super::lock(&self.state);
        loop {
            if s.exit {
                return;
            }
            if s.attr.enable == 0 {
                prev = None;
                s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let generation = s.generation;
            let t = clock.tick(MD_FPS, clock.next_tick_index(MD_FPS, mono_us()));
            // Sleep until the capture instant; an attribute change or exit wakes us early.
            let now = mono_us();
            if t > now {
                s = self
                    .cv
                    .wait_timeout(s, std::time::Duration::from_micros(t - now))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                if s.exit || s.generation != generation || mono_us() < t {
                    continue;
                }
            }
            let attr = s.attr;
            drop(s);
            let Some(frame) = scene.picture_at(t, last_number) else {
                // A device that is away: nothing to compare until it is back.
                prev = None;
                s = super::lock(&self.state);
                continue;
            };
            last_number = frame.number;
            let small = reduce(&frame.image);
            let result = match &prev {
                Some((g, p)) if *g == generation => {
                    let (active, cells) = analyse(p, &small, &attr);
                    seq = seq.wrapping_add(1);
                    Some(NVT_MD_RESULT_S {
                        seq,
                        pts_us: frame.pts_us,
                        utc_us: frame.utc_us,
                        motion: (active >= attr.min_cells) as u32,
                        active_cells: active,
                        cells,
                    })
                }
                _ => None,
            };
            prev = Some((generation, small));
            s = super::lock(&self.state);
            if let Some(r) = result {
                s.latest = Some(r);
                self.cv.notify_all();
            }
            // Never analyse the same instant twice.
            let now = mono_us();
            if now < t + 1 {
                drop(s);
                super::clock::sleep_until(t + 1);
                s = super::lock(&self.state);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_smaller_than_the_grid_is_sampled_not_divided_by_zero() {
        let mut img = I420::new(160, 120);
        img.data[..160 * 120]
            .iter_mut()
            .enumerate()
            .for_each(|(i, p)| *p = (i % 160) as u8);
        let small = reduce(&img);
        assert_eq!(small.len(), SMALL_W * SMALL_H);
        // Column x of the grid shows source column x * 160 / SMALL_W.
        assert_eq!(small[SMALL_W - 1], ((SMALL_W - 1) * 160 / SMALL_W) as u8);
    }

    #[test]
    fn default_attr_is_valid_and_watches_the_middle_rows() {
        let a = default_attr();
        assert!(validate(&a));
        assert_eq!(a.mask[2], 0);
        assert_eq!(a.mask[3], 0x3F_FFFF);
        assert_eq!(a.mask[14], 0x3F_FFFF);
        assert_eq!(a.mask[15], 0);
        let mut bad = a;
        bad.mask[20] = 1; // outside the 18 rows
        assert!(!validate(&bad));
        let mut bad = a;
        bad.cols = 33;
        assert!(!validate(&bad));
    }

    #[test]
    fn detects_a_changed_cell_only() {
        let prev = vec![100u8; SMALL_W * SMALL_H];
        let mut cur = prev.clone();
        // Change the area of cell (col 5, row 8) of the default grid.
        let (x0, x1) = (5 * SMALL_W / 22, 6 * SMALL_W / 22);
        let (y0, y1) = (8 * SMALL_H / 18, 9 * SMALL_H / 18);
        for y in y0..y1 {
            for x in x0..x1 {
                cur[y * SMALL_W + x] = 200;
            }
        }
        let a = default_attr();
        let (active, cells) = analyse(&prev, &cur, &a);
        assert_eq!(active, 1);
        assert_eq!(cells[8], 1 << 5);
        // Masked out: no motion.
        let mut masked = a;
        masked.mask[8] = 0;
        assert_eq!(analyse(&prev, &cur, &masked).0, 0);
        // A faint change is seen only by a sensitive detector.
        let faint: Vec<u8> = prev.iter().map(|&p| p + 10).collect();
        assert_eq!(analyse(&prev, &faint, &a).0, 0);
        let mut sensitive = a;
        sensitive.sensitivity = 100;
        assert_eq!(analyse(&prev, &faint, &sensitive).0, 12 * 22);
    }
}
