//! The simulated scene: what the sensor "sees". A static background (colour bars with a
//! textured strip) is computed once; each frame copies it and draws the moving parts:
//!
//! ```text
//!  y    0..120  clock band: UTC wall clock and frame counter (changes every frame)
//!  y  120..600  colour bars, static; textured strip at y 480..600 (static)
//!               the object (96x80 checkerboard box) crosses y 320..400 on the schedule
//!  y  600..660  gradient band scrolling left to right at 200 px/s
//!  y  660..720  fresh random noise every frame (makes bitrate settings visible)
//! ```
//! Everything is a function of the capture time, so two renders of one instant are equal.

use super::font;
use super::frame::I420;

pub const WIDTH: usize = 1280;
pub const HEIGHT: usize = 720;
pub const CLOCK_BAND_END: usize = 120;
pub const BARS_END: usize = 600;
pub const TEXTURE_Y: usize = 480;
pub const GRADIENT_END: usize = 660;
pub const OBJECT_Y: usize = 320;
pub const OBJECT_W: usize = 96;
pub const OBJECT_H: usize = 80;
/// Pixels per second of the scrolling gradient.
const GRADIENT_SPEED: u64 = 200;

/// 75% colour bars in BT.601 limited-range YUV: white, yellow, cyan, green, magenta, red,
/// blue, black.
const BARS: [(u8, u8, u8); 8] = [
    (180, 128, 128),
    (162, 44, 142),
    (131, 156, 44),
    (112, 72, 58),
    (84, 184, 198),
    (65, 100, 212),
    (35, 212, 114),
    (16, 128, 128),
];

/// Cheap integer hash for deterministic texture.
fn hash(x: u32) -> u32 {
    let mut h = x.wrapping_mul(0x9E37_79B1);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85EB_CA77);
    h ^ (h >> 13)
}

/// Object position on the fixed schedule: during the first `on_us` of every `period_us`
/// (counted from NVT_SYS_Init) the box moves at constant speed from just outside the left
/// edge (x = -96 at phase 0) to just outside the right edge (x = 1280 at phase `on_us`);
/// the rest of the period it is out of the picture (`None`).
pub fn object_x(since_init_us: u64, period_us: u64, on_us: u64) -> Option<i64> {
    let phase = since_init_us % period_us;
    if phase >= on_us {
        return None;
    }
    let travel = (WIDTH + OBJECT_W) as u64;
    Some(phase * travel / on_us).map(|d| d as i64 - OBJECT_W as i64)
}

/// The static background, computed once.
pub struct Pattern {
    background: I420,
}

impl Default for Pattern {
    fn default() -> Self {
        Self::new()
    }
}

impl Pattern {
    pub fn new() -> Pattern {
        let mut bg = I420::new(WIDTH, HEIGHT);
        let (y, u, v) = bg.planes_mut();
        for row in 0..HEIGHT {
            for x in 0..WIDTH {
                let (by, bu, bv) = if row < CLOCK_BAND_END {
                    (32, 128, 128)
                } else if row < BARS_END {
                    BARS[x * BARS.len() / WIDTH]
                } else {
                    (128, 128, 128)
                };
                let mut l = by as i32;
                if (TEXTURE_Y..BARS_END).contains(&row) {
                    l += (hash((row * WIDTH + x) as u32) % 49) as i32 - 24;
                }
                y[row * WIDTH + x] = l.clamp(16, 235) as u8;
                if row % 2 == 0 && x % 2 == 0 {
                    let ci = (row / 2) * (WIDTH / 2) + x / 2;
                    u[ci] = bu;
                    v[ci] = bv;
                }
            }
        }
        Pattern { background: bg }
    }

    /// Renders the scene at one instant into `out` (which must be WIDTH x HEIGHT).
    pub fn render(
        &self,
        out: &mut I420,
        since_init_us: u64,
        clock_text: &str,
        number: u64,
        object: Option<i64>,
    ) {
        out.data.copy_from_slice(&self.background.data);
        let (y, u, v) = out.planes_mut();

        // Scrolling gradient: a triangle ramp, one row computed then copied.
        let off = (since_init_us * GRADIENT_SPEED / 1_000_000) as usize;
        let (head, rest) = y[BARS_END * WIDTH..GRADIENT_END * WIDTH].split_at_mut(WIDTH);
        for (x, p) in head.iter_mut().enumerate() {
            let t = (x + WIDTH * 4 - off % (WIDTH * 4)) % 512;
            *p = (16 + if t < 256 { t } else { 511 - t } * 219 / 255) as u8;
        }
        for row in rest.chunks_exact_mut(WIDTH) {
            row.copy_from_slice(head);
        }

        // Noise band: new random luma every frame, seeded by the frame number.
        let mut s = hash(number as u32 ^ 0xA5A5_5A5A) as u64 | 1 << 40;
        for chunk in y[GRADIENT_END * WIDTH..].chunks_mut(8) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            for (i, p) in chunk.iter_mut().enumerate() {
                // Mid-grey +-32: costly enough that the bitrate shows, not so wild that
                // rate control cannot hold 2 Mbit/s at 720p.
                *p = 96 + ((s >> (i * 8)) as u8 >> 2);
            }
        }

        // Clock band text.
        font::draw_text(y, WIDTH, HEIGHT, 24, 20, 4, 235, clock_text);
        font::draw_text(
            y,
            WIDTH,
            HEIGHT,
            24,
            68,
            4,
            200,
            &format!("NVT SIM  FRAME {number:08}"),
        );

        // The object: a high-contrast checkerboard with its own colour, clipped to the frame.
        if let Some(ox) = object {
            let x0 = ox.max(0) as usize;
            let x1 = (ox + OBJECT_W as i64).clamp(0, WIDTH as i64) as usize;
            for row in OBJECT_Y..OBJECT_Y + OBJECT_H {
                let line = &mut y[row * WIDTH..][..WIDTH];
                for (x, p) in line.iter_mut().enumerate().take(x1).skip(x0) {
                    let cx = (x as i64 - ox) as usize / 16;
                    let cy = (row - OBJECT_Y) / 16;
                    *p = if (cx + cy).is_multiple_of(2) { 235 } else { 16 };
                }
            }
            for row in OBJECT_Y / 2..(OBJECT_Y + OBJECT_H) / 2 {
                let cw = WIDTH / 2;
                u[row * cw + x0 / 2..row * cw + x1 / 2].fill(64);
                v[row * cw + x0 / 2..row * cw + x1 / 2].fill(200);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_follows_the_schedule() {
        let (p, on) = (10_000_000, 4_000_000);
        assert_eq!(object_x(0, p, on), Some(-(OBJECT_W as i64)));
        assert_eq!(
            object_x(2_000_000, p, on),
            Some((WIDTH as i64 - OBJECT_W as i64) / 2)
        );
        assert_eq!(object_x(4_000_000, p, on), None);
        assert_eq!(object_x(9_999_999, p, on), None);
        assert_eq!(object_x(12_000_000, p, on), object_x(2_000_000, p, on));
    }

    #[test]
    fn renders_deterministically_and_only_moving_parts_change() {
        let pat = Pattern::new();
        let mut a = I420::new(WIDTH, HEIGHT);
        let mut b = I420::new(WIDTH, HEIGHT);
        pat.render(&mut a, 1_000_000, "2026-01-01 00:00:00.000", 25, None);
        pat.render(&mut b, 1_000_000, "2026-01-01 00:00:00.000", 25, None);
        assert_eq!(a, b);
        pat.render(&mut b, 1_040_000, "2026-01-01 00:00:00.040", 26, None);
        // Without the object, the bars region (y 120..600) is identical between frames...
        let bars = CLOCK_BAND_END * WIDTH..BARS_END * WIDTH;
        assert_eq!(a.y()[bars.clone()], b.y()[bars.clone()]);
        // ...while the clock band, gradient and noise changed.
        assert_ne!(
            a.y()[..CLOCK_BAND_END * WIDTH],
            b.y()[..CLOCK_BAND_END * WIDTH]
        );
        assert_ne!(a.y()[BARS_END * WIDTH..], b.y()[BARS_END * WIDTH..]);
        // With the object, pixels inside its box differ from the background.
        pat.render(&mut b, 1_000_000, "2026-01-01 00:00:00.000", 25, Some(600));
        let diff = (0..WIDTH * HEIGHT)
            .filter(|&i| a.y()[i] != b.y()[i])
            .count();
        assert!(diff > OBJECT_W * OBJECT_H / 3, "{diff}");
        let outside = (0..bars.end).filter(|&i| {
            let (x, y) = (i % WIDTH, i / WIDTH);
            a.y()[i] != b.y()[i]
                && !(600..696).contains(&x) | !(OBJECT_Y..OBJECT_Y + OBJECT_H).contains(&y)
        });
        assert_eq!(outside.count(), 0);
    }
}
