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
//!
//! This is what the camera sees with the PTZ head at home. Elsewhere (`render_view`) the
//! pattern is the central tile of a wider world (`panorama.rs`) and the clock band stays
//! on screen as an overlay, with the head's position burned in.

use super::font;
use super::frame::I420;
use super::panorama::{Mapping, View};

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

    /// Renders the scene at one instant into `out` (which must be WIDTH x HEIGHT), seen
    /// from the head's home position: the pattern itself, with the clock band.
    pub fn render(
        &self,
        out: &mut I420,
        since_init_us: u64,
        clock_text: &str,
        number: u64,
        object: Option<i64>,
    ) {
        self.render_tile(out, since_init_us, number, object);
        draw_band_text(out, clock_text, number);
    }

    /// Renders the scene at one instant as the PTZ head sees it at `view`: the pattern is
    /// the central tile of a wider panorama (`panorama.rs`), and the clock band stays on
    /// screen (an overlay, rows 0..CLOCK_BAND_END) with the head's position burned in at
    /// its right. At home this is exactly `render` (same bytes, same cost); `tile` is a
    /// WIDTH x HEIGHT scratch buffer for the pattern when it is in sight.
    #[allow(clippy::too_many_arguments)]
    pub fn render_view(
        &self,
        out: &mut I420,
        tile: &mut I420,
        since_init_us: u64,
        clock_text: &str,
        number: u64,
        object: Option<i64>,
        view: View,
    ) {
        if view.is_home() {
            return self.render(out, since_init_us, clock_text, number, object);
        }
        let map = Mapping::new(view);
        let seen = map.sees_tile(CLOCK_BAND_END);
        if seen {
            self.render_tile(tile, since_init_us, number, object);
        }
        map.paint(out, seen.then_some(&*tile), CLOCK_BAND_END);
        // The band's background, then its text.
        let (luma, chroma) = (CLOCK_BAND_END * WIDTH, CLOCK_BAND_END / 2 * WIDTH / 2);
        let (by, bu, bv) = self.background.planes();
        let (y, u, v) = out.planes_mut();
        y[..luma].copy_from_slice(&by[..luma]);
        u[..chroma].copy_from_slice(&bu[..chroma]);
        v[..chroma].copy_from_slice(&bv[..chroma]);
        draw_band_text(out, clock_text, number);
        let text = position_text(view);
        let x = WIDTH - POSITION_RIGHT - font::text_width(&text, 4);
        font::draw_text(out.planes_mut().0, WIDTH, HEIGHT, x, 20, 4, 235, &text);
    }

    /// The pattern at one instant, without the clock band's text (the tile of the world).
    fn render_tile(&self, out: &mut I420, since_init_us: u64, number: u64, object: Option<i64>) {
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

/// Right margin of the position text in the clock band, pixels.
const POSITION_RIGHT: usize = 24;

/// The clock band's text: the UTC clock and the frame counter, at the left.
fn draw_band_text(out: &mut I420, clock_text: &str, number: u64) {
    let y = out.planes_mut().0;
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
}

/// The head's position as burned into the band: "P +12.34 T -5.00 Z 2.00x" (the contract's
/// hundredths, as NVT_PTZ_GetStatus reports them).
pub fn position_text(view: View) -> String {
    let (p, t, z) = view.hundredths();
    let signed = |v: i32| {
        let sign = if v < 0 { '-' } else { '+' };
        format!(
            "{sign}{}.{:02}",
            v.unsigned_abs() / 100,
            v.unsigned_abs() % 100
        )
    };
    format!(
        "P {} T {} Z {}.{:02}x",
        signed(p),
        signed(t),
        z / 100,
        z % 100
    )
}

#[cfg(test)]
mod tests {
    use super::super::panorama::LANDMARKS;
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

    fn view(pan: f64, tilt: f64, zoom: f64) -> View {
        View { pan, tilt, zoom }
    }

    /// Renders one instant (without the object) at `v`.
    fn at(pat: &Pattern, v: View) -> I420 {
        let mut out = I420::new(WIDTH, HEIGHT);
        let mut tile = I420::new(WIDTH, HEIGHT);
        pat.render_view(&mut out, &mut tile, 1_000_000, CLOCK, 25, None, v);
        out
    }

    const CLOCK: &str = "2026-01-01 00:00:00.000";

    #[test]
    fn at_home_the_view_is_the_pattern_exactly() {
        let pat = Pattern::new();
        let mut home = I420::new(WIDTH, HEIGHT);
        let mut tile = I420::new(WIDTH, HEIGHT);
        for object in [None, Some(600)] {
            pat.render(&mut home, 1_000_000, CLOCK, 25, object);
            for v in [View::HOME, view(0.004, -0.004, 1.004)] {
                let mut out = I420::new(WIDTH, HEIGHT);
                pat.render_view(&mut out, &mut tile, 1_000_000, CLOCK, 25, object, v);
                assert!(out == home, "{v:?}");
            }
        }
        // The scratch tile is not even touched at home.
        assert!(tile.data.iter().all(|&b| b == 0));
    }

    #[test]
    fn panning_to_a_landmark_centres_it() {
        let pat = Pattern::new();
        for lm in &LANDMARKS {
            let img = at(&pat, view(lm.pan as f64, lm.tilt as f64, 1.0));
            let (y, u, v) = img.planes();
            for (px, py) in [(639, 359), (640, 360), (600, 330), (680, 390)] {
                assert_eq!(y[py * WIDTH + px], lm.yuv[0], "{lm:?} at ({px}, {py})");
                let c = (py / 2) * (WIDTH / 2) + px / 2;
                assert_eq!([u[c], v[c]], [lm.yuv[1], lm.yuv[2]], "{lm:?}");
            }
        }
        // The square at pan +90: 12 degrees = 256 pixels, centred on the picture's centre.
        let sq = LANDMARKS.iter().find(|l| l.pan == 90).unwrap();
        let img = at(&pat, view(90.0, 0.0, 1.0));
        let (mut x0, mut x1, mut y0, mut y1) = (WIDTH, 0, HEIGHT, 0);
        for py in CLOCK_BAND_END..HEIGHT {
            for px in 0..WIDTH {
                if img.y()[py * WIDTH + px] == sq.yuv[0] {
                    (x0, x1, y0, y1) = (x0.min(px), x1.max(px), y0.min(py), y1.max(py));
                }
            }
        }
        assert_eq!((x0, x1, y0, y1), (512, 767, 232, 487));
        // Far from home the pattern is out of sight and the home picture is gone.
        let home = at(&pat, View::HOME);
        let bars = CLOCK_BAND_END * WIDTH..BARS_END * WIDTH;
        let same = bars.clone().filter(|&i| img.y()[i] == home.y()[i]).count();
        assert!(same < bars.len() / 10, "{same}");
    }

    #[test]
    fn tilting_up_moves_the_picture_down() {
        let pat = Pattern::new();
        let home = at(&pat, View::HOME);
        // 3/64 degree a pixel: tilting up 7.5 degrees moves the pattern down 160 rows.
        let up = at(&pat, view(0.0, 7.5, 1.0));
        for row in [200, 300, 400] {
            assert_eq!(
                home.y()[row * WIDTH..][..WIDTH],
                up.y()[(row + 160) * WIDTH..][..WIDTH],
                "row {row}"
            );
        }
        // And panning right by 7.5 degrees moves it left by 160 columns.
        let right = at(&pat, view(7.5, 0.0, 1.0));
        let row = 300 * WIDTH;
        assert_eq!(
            home.y()[row + 160..row + WIDTH],
            right.y()[row..row + WIDTH - 160]
        );
    }

    #[test]
    fn zooming_in_magnifies_the_pattern() {
        let pat = Pattern::new();
        // Looking at pan +20 (10 degrees left of the pattern's right edge), row 400 (bars):
        // the black bar starts at pan +22.5 and the pattern ends at +30.
        let edges = |z: f64| {
            let img = at(&pat, view(20.0, 0.0, z));
            let line = &img.y()[400 * WIDTH..][..WIDTH];
            let start = (640..WIDTH).find(|&x| line[x] == BARS[7].0).unwrap();
            let end = (start..WIDTH).find(|&x| line[x] != BARS[7].0).unwrap();
            (start, end)
        };
        let (s1, e1) = edges(1.0);
        let (s2, e2) = edges(2.0);
        // 1x: 2.5 and 10 degrees right of the centre are 53.3 and 213.3 pixels.
        assert_eq!((s1, e1), (693, 853));
        // 2x: twice as far from the centre (x = 639.5 + 2 d).
        assert_eq!((s2, e2), (747, 1067));
        assert!((e2 as f64 - 639.5 - 2.0 * (e1 as f64 - 639.5)).abs() <= 1.0);
        // The bar is twice as wide: 160 pixels at 1x, 320 at 2x.
        assert_eq!(e1 - s1, 160);
        assert_eq!(e2 - s2, 320);
    }

    #[test]
    fn the_band_stays_put_and_shows_the_position_only_when_moved() {
        let pat = Pattern::new();
        let home = at(&pat, View::HOME);
        let moved = at(&pat, view(12.344, -5.0, 2.0));
        assert_eq!(
            position_text(view(12.344, -5.0, 2.0)),
            "P +12.34 T -5.00 Z 2.00x"
        );
        assert_eq!(
            position_text(view(-0.004, -170.0, 10.0)),
            "P +0.00 T -170.00 Z 10.00x"
        );
        let free = 600;
        let band = |img: &I420, xs: std::ops::Range<usize>| -> Vec<u8> {
            (0..CLOCK_BAND_END)
                .flat_map(|r| img.y()[r * WIDTH..][xs.clone()].to_vec())
                .collect()
        };
        // The clock and the frame counter: the same pixels wherever the head looks.
        assert_eq!(band(&home, 0..free), band(&moved, 0..free));
        let chroma = CLOCK_BAND_END / 2 * WIDTH / 2;
        assert_eq!(home.planes().1[..chroma], moved.planes().1[..chroma]);
        // The band's right part: empty at home, the position text when moved.
        assert!(band(&home, free..WIDTH).iter().all(|&p| p == 32));
        let lit = band(&moved, free..WIDTH)
            .iter()
            .filter(|&&p| p == 235)
            .count();
        assert!(lit > 1000, "{lit}");
        // The longest position text still fits right of the clock.
        let widest = font::text_width("P -170.00 T -45.00 Z 10.00x", 4);
        assert!(WIDTH - POSITION_RIGHT - widest > 24 + font::text_width(CLOCK, 4));
    }
}
