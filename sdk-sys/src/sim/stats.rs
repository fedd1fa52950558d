//! Picture statistics (NVT_ISP_GetStats): what a SoC's ISP computes for its auto exposure
//! and auto focus, here computed from the source picture (the ISP's output, before any OSD
//! overlay) when asked for, on the latest captured frame. Nothing runs while nobody asks.
//!
//! - zone luma (16 x 12 means) and a 32-bin histogram from a pass over every 4th pixel of
//!   every 4th row (1/16 of the pixels: 57 600 samples at 1280x720);
//! - the focus value: the mean absolute horizontal luma difference of neighbouring pixels
//!   on those rows, at full resolution (a gradient-energy measure, like the high-pass
//!   filters of AF statistics), x 100. It follows the picture: the ISP's sharpness level
//!   (which really softens or sharpens), a darker or flatter picture, the scene.
//! - The simulated lens does not blur the rendered picture when the focus motor is away
//!   from its in-focus position; its modelled sharpness (`focus::sharpness`) scales the
//!   measured value instead, so a focus far off really lowers `focus_value`.
//! - `ae_at_max` / `ae_at_min`: manual exposure at the ends of its exposure and gain
//!   ranges; in auto exposure the simulated AE has no headroom left when the picture is
//!   still dark (mean luma < 40) or bright (> 215) after it, since the scene's light is
//!   fixed.

use std::sync::{Arc, Mutex, Weak};

use super::frame::{Frame, I420};
use super::isp;
use crate::*;

const STEP: usize = 4;
const COLS: usize = NVT_ISP_ZONE_COLS as usize;
const ROWS: usize = NVT_ISP_ZONE_ROWS as usize;
const BINS: usize = NVT_ISP_HIST_BINS as usize;
/// Mean luma under which an auto exposure is taken to be at its upper limit.
pub const AE_DARK: u32 = 40;
/// Mean luma over which an auto exposure is taken to be at its lower limit.
pub const AE_BRIGHT: u32 = 215;

/// What one pass over a picture gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    pub zone_luma: [[u8; COLS]; ROWS],
    pub hist: [u16; BINS],
    pub mean_luma: u32,
    /// Mean absolute horizontal difference x 100.
    pub gradient: u32,
}

/// Measures the luma plane of `img`.
pub fn measure(img: &I420) -> Measured {
    let (w, h) = (img.width, img.height);
    let y = img.y();
    let mut zone_sum = [[0u32; COLS]; ROWS];
    let mut zone_n = [[0u32; COLS]; ROWS];
    let mut hist = [0u32; BINS];
    let (mut total, mut samples) = (0u64, 0u64);
    let (mut grad, mut pairs) = (0u64, 0u64);
    let zone_col: Vec<usize> = (0..w).step_by(STEP).map(|x| x * COLS / w).collect();
    for row in (0..h).step_by(STEP) {
        let line = &y[row * w..(row + 1) * w];
        let zr = row * ROWS / h;
        for (&zc, &v) in zone_col.iter().zip(line.iter().step_by(STEP)) {
            zone_sum[zr][zc] += v as u32;
            zone_n[zr][zc] += 1;
            hist[v as usize >> 3] += 1;
            total += v as u64;
            samples += 1;
        }
        grad += line
            .windows(2)
            .map(|p| p[0].abs_diff(p[1]) as u64)
            .sum::<u64>();
        pairs += (w - 1) as u64;
    }
    let mut zone_luma = [[0u8; COLS]; ROWS];
    for (r, row) in zone_luma.iter_mut().enumerate() {
        for (c, z) in row.iter_mut().enumerate() {
            let n = zone_n[r][c].max(1);
            *z = ((zone_sum[r][c] + n / 2) / n) as u8;
        }
    }
    let samples = samples.max(1);
    Measured {
        zone_luma,
        hist: hist.map(|n| (n as u64 * 1000 / samples) as u16),
        mean_luma: ((total + samples / 2) / samples) as u32,
        gradient: (grad * 100 / pairs.max(1)) as u32,
    }
}

/// Whether the exposure is at its upper / lower limit (see the module comment).
pub fn ae_limits(attr: &NVT_ISP_ATTR_S, mean_luma: u32) -> (bool, bool) {
    if attr.exposure_mode == NVT_AUTO_MODE_E::NVT_MODE_MANUAL {
        let (t, g) = (isp::EXPOSURE_US, isp::GAIN);
        (
            attr.exposure_time_us == t.max && attr.gain == g.max,
            attr.exposure_time_us == t.min && attr.gain == g.min,
        )
    } else {
        (mean_luma < AE_DARK, mean_luma > AE_BRIGHT)
    }
}

struct Last {
    /// The picture analysed (a Weak keeps its address from being reused meanwhile).
    source: Weak<Frame>,
    sharpness: u32,
    stats: NVT_ISP_STATS_S,
}

/// The statistics of one video source: the latest, and their sequence number.
#[derive(Default)]
pub struct Stats {
    state: Mutex<(u32, Option<Last>)>,
}

impl Stats {
    /// The statistics of `frame` (the latest picture), analysed once however often asked:
    /// `seq` moves on only with a new picture. `sharpness` is the lens's modelled
    /// sharpness in per mille (1000: in focus), `attr` the ISP settings.
    pub fn of(&self, frame: &Arc<Frame>, sharpness: u32, attr: &NVT_ISP_ATTR_S) -> NVT_ISP_STATS_S {
        let mut s = super::lock(&self.state);
        if let Some(last) = &s.1
            && last.sharpness == sharpness
            && std::ptr::eq(last.source.as_ptr(), Arc::as_ptr(frame))
        {
            return last.stats;
        }
        let m = measure(&frame.image);
        let (at_max, at_min) = ae_limits(attr, m.mean_luma);
        let seq = s.0.wrapping_add(1);
        let stats = NVT_ISP_STATS_S {
            seq,
            pts_us: frame.pts_us,
            zone_luma: m.zone_luma,
            hist: m.hist,
            focus_value: (m.gradient as u64 * sharpness as u64 / 1000) as u32,
            focus_valid: 1,
            ae_at_max: at_max as u32,
            ae_at_min: at_min as u32,
        };
        *s = (
            seq,
            Some(Last {
                source: Arc::downgrade(frame),
                sharpness,
                stats,
            }),
        );
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> I420 {
        let mut img = I420::new(w, h);
        let (y, _, _) = img.planes_mut();
        for r in 0..h {
            for c in 0..w {
                y[r * w + c] = f(c, r);
            }
        }
        img
    }

    #[test]
    fn zones_histogram_and_mean_of_a_split_picture() {
        // Left half black (16), right half white (235).
        let img = picture(128, 96, |c, _| if c < 64 { 16 } else { 235 });
        let m = measure(&img);
        for row in m.zone_luma {
            assert_eq!(row[..8], [16; 8]);
            assert_eq!(row[8..], [235; 8]);
        }
        assert_eq!(m.hist[16 >> 3], 500);
        assert_eq!(m.hist[235 >> 3], 500);
        assert_eq!(m.hist.iter().map(|&b| b as u32).sum::<u32>(), 1000);
        assert_eq!(m.mean_luma, 126, "(16 + 235) / 2, rounded");
        // One edge per row of 127 pairs: 219 / 127 x 100.
        assert_eq!(m.gradient, 219 * 100 / 127);
    }

    #[test]
    fn a_flat_picture_has_no_gradient_and_a_fine_one_a_large_one() {
        assert_eq!(measure(&picture(64, 48, |_, _| 128)).gradient, 0);
        let stripes = measure(&picture(64, 48, |c, _| if c % 2 == 0 { 100 } else { 140 }));
        assert_eq!(stripes.gradient, 4000);
    }

    #[test]
    fn exposure_limits() {
        let mut a = isp::default_attr();
        assert_eq!(ae_limits(&a, 20), (true, false));
        assert_eq!(ae_limits(&a, 120), (false, false));
        assert_eq!(ae_limits(&a, 230), (false, true));
        a.exposure_mode = NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
        assert_eq!(ae_limits(&a, 20), (false, false), "manual, not at a limit");
        a.exposure_time_us = isp::EXPOSURE_US.max;
        a.gain = isp::GAIN.max;
        assert_eq!(ae_limits(&a, 250), (true, false));
        a.exposure_time_us = isp::EXPOSURE_US.min;
        a.gain = isp::GAIN.min;
        assert_eq!(ae_limits(&a, 5), (false, true));
    }

    #[test]
    fn the_same_picture_is_analysed_once_and_sharpness_scales_focus() {
        let stats = Stats::default();
        let frame = Arc::new(Frame {
            image: picture(64, 48, |c, _| if c % 2 == 0 { 100 } else { 140 }),
            pts_us: 7,
            utc_us: 0,
            number: 0,
        });
        let attr = isp::default_attr();
        let a = stats.of(&frame, 1000, &attr);
        assert_eq!(
            (a.seq, a.pts_us, a.focus_value, a.focus_valid),
            (1, 7, 4000, 1)
        );
        assert_eq!(stats.of(&frame, 1000, &attr).seq, 1);
        let blurred = stats.of(&frame, 250, &attr);
        assert_eq!((blurred.seq, blurred.focus_value), (2, 1000));
    }
}
