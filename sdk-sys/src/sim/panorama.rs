//! The world the simulated PTZ head looks at: the test pattern (`pattern.rs`) is one tile of
//! a wider, procedurally drawn panorama, and the picture is the window of it the head's view
//! (pan, tilt, zoom) frames.
//!
//! ```text
//!  tilt +61.9 +--------------------------------------------------------------------+
//!             | sky (bluish, darker upward)         (O) cyan disc: pan 0, tilt +30  |
//!             |    light grey grid lines every 10 degrees of pan and tilt          |
//!    tilt 0 - | <> magenta   (O) red       +-------------+   [] yellow  /\ green   |
//!             |   pan -150    pan -90      | the pattern |     pan +90   pan +150  |
//!             | ground (olive)             +-------------+                         |
//!             |                       [] blue square: pan 0, tilt -30               |
//!  tilt -61.9 +--------------------------------------------------------------------+
//!          pan -200                        pan 0                               pan +200
//! ```
//!
//! - **Mapping**: equirectangular, linear in degrees. At 1x a picture pixel is 60/1280 =
//!   33.75/720 = 3/64 degree (square pixels); zoom z divides that by z, so the view spans
//!   60/z x 33.75/z degrees around (pan, tilt). Angles are integers in 1/3072 degree
//!   (`UNITS_PER_DEG`), so one 1x pixel is exactly 144 units and the pattern's pixel
//!   grid falls on whole units.
//! - **The tile**: the 1280x720 pattern spans pan -30..+30 and tilt -16.875..+16.875
//!   degrees, so at home (pan 0, tilt 0, 1x) the view is exactly the pattern, pixel for
//!   pixel, and zooming in magnifies it (nearest neighbour).
//! - **Around it**: sky above the horizon (tilt 0), ground below, a grid line every 10
//!   degrees of pan and tilt, and six landmarks (`LANDMARKS`): large shapes of distinct
//!   colours at fixed angles, so a test (or a person) can tell where the camera looks. Pan
//!   wraps around: pan +190 shows what pan -170 shows.
//!
//! Cost: per frame, one angle per picture column and one per row (f64, no trigonometry);
//! per row, a few span fills (sky or ground, grid, landmarks found by binary search in the
//! monotonic column angles) and a gather of the tile's row through a per-column index
//! table (a plain copy at 1x, and a copy of the row above when zooming in repeats a tile
//! row). No per-pixel arithmetic beyond that lookup.

use super::frame::I420;
use super::pattern::{HEIGHT, WIDTH};

/// Angle units per degree: one pixel of the 1x picture (3/64 degree) is `PX` units.
pub const UNITS_PER_DEG: i64 = 3072;
/// One pixel of the 1x picture, in angle units.
pub const PX: i64 = 144;
/// The pattern tile's edges, in angle units: pan -30..+30, tilt +16.875..-16.875.
pub const TILE_LEFT: i64 = -30 * UNITS_PER_DEG;
pub const TILE_RIGHT: i64 = TILE_LEFT + WIDTH as i64 * PX;
pub const TILE_TOP: i64 = HEIGHT as i64 * PX / 2;
pub const TILE_BOTTOM: i64 = TILE_TOP - HEIGHT as i64 * PX;
/// Grid lines every 10 degrees, 1/6 degree wide (3.6 pixels at 1x).
const GRID: i64 = 10 * UNITS_PER_DEG;
const GRID_HALF: i64 = UNITS_PER_DEG / 12;
const GRID_YUV: [u8; 3] = [200, 128, 128];
/// A full turn, for the wrap-around.
const TURN: i64 = 360 * UNITS_PER_DEG;

/// Where the camera looks: the picture centre's pan and tilt in degrees (tilt up positive)
/// and the zoom as a magnification (1.0 = widest, 60 x 33.75 degrees).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub pan: f64,
    pub tilt: f64,
    pub zoom: f64,
}

impl View {
    pub const HOME: View = View {
        pan: 0.0,
        tilt: 0.0,
        zoom: 1.0,
    };

    /// Position in the contract's units (hundredths of a degree, of magnification), as
    /// NVT_PTZ_GetStatus reports it.
    pub fn hundredths(&self) -> (i32, i32, i32) {
        let h = |v: f64| (v * 100.0).round() as i32;
        (h(self.pan), h(self.tilt), h(self.zoom))
    }

    /// At home to the contract's resolution: the picture is then exactly the pattern.
    pub fn is_home(&self) -> bool {
        self.hundredths() == (0, 0, 100)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Square,
    Disc,
    Diamond,
    /// Apex up.
    Triangle,
}

/// A large coloured shape fixed in the world: centred on (`pan`, `tilt`) degrees, `half`
/// degrees from the centre to the edge (a 12-degree shape is 256 pixels at 1x).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Landmark {
    pub pan: i32,
    pub tilt: i32,
    pub half: i32,
    pub shape: Shape,
    /// BT.601 limited-range colour; every landmark has its own luma and chroma.
    pub yuv: [u8; 3],
}

const fn mark(pan: i32, tilt: i32, shape: Shape, yuv: [u8; 3]) -> Landmark {
    Landmark {
        pan,
        tilt,
        half: 6,
        shape,
        yuv,
    }
}

/// The landmarks: four on the horizon, one above and one below the pattern.
pub const LANDMARKS: [Landmark; 6] = [
    mark(90, 0, Shape::Square, [210, 16, 146]),     // yellow
    mark(-90, 0, Shape::Disc, [81, 90, 240]),       // red
    mark(150, 0, Shape::Triangle, [145, 54, 34]),   // green
    mark(-150, 0, Shape::Diamond, [106, 202, 222]), // magenta
    mark(0, 30, Shape::Disc, [170, 166, 16]),       // cyan
    mark(0, -30, Shape::Square, [41, 240, 110]),    // blue
];

impl Landmark {
    /// The pan interval (angle units, half-open) the shape covers on the row at tilt `e`.
    fn span(&self, e: i64) -> Option<(i64, i64)> {
        let (lp, lt) = (
            self.pan as i64 * UNITS_PER_DEG,
            self.tilt as i64 * UNITS_PER_DEG,
        );
        let h = self.half as i64 * UNITS_PER_DEG;
        let dy = e - lt;
        if dy.abs() > h {
            return None;
        }
        let hw = match self.shape {
            Shape::Square => h,
            Shape::Disc => ((h * h - dy * dy) as f64).sqrt() as i64,
            Shape::Diamond => h - dy.abs(),
            Shape::Triangle => (h - dy) / 2,
        };
        (hw > 0).then_some((lp - hw, lp + hw))
    }
}

/// Sky above the horizon (bluish, darker upward), ground below (olive).
fn base(e: i64) -> [u8; 3] {
    let deg = e / UNITS_PER_DEG;
    if e >= 0 {
        [(140 - deg / 2).clamp(100, 140) as u8, 150, 112]
    } else {
        [(92 + deg.abs() / 4).clamp(92, 110) as u8, 108, 124]
    }
}

fn on_grid(a: i64) -> bool {
    let r = a.rem_euclid(GRID);
    r <= GRID_HALF || r >= GRID - GRID_HALF
}

/// The world angles the picture's pixels see at one view.
pub struct Mapping {
    /// Pan seen by each picture column's pixel centres, angle units.
    cols: Vec<i64>,
    /// Tilt seen by each picture row's pixel centres, angle units.
    rows: Vec<i64>,
}

impl Mapping {
    /// Column x sees pan `pan + (x + 1/2 - W/2) px / zoom` and row y tilt
    /// `tilt - (y + 1/2 - H/2) px / zoom`: the pixel centres, so at home pixel (x, y) is
    /// the tile's pixel (x, y) exactly.
    pub fn new(view: View) -> Mapping {
        let zoom = view.zoom.max(0.01);
        let at = |centre: f64, i: usize, n: usize| {
            (centre * UNITS_PER_DEG as f64
                + (2 * i as i64 - (n as i64 - 1)) as f64 * (PX / 2) as f64 / zoom)
                .round() as i64
        };
        Mapping {
            cols: (0..WIDTH).map(|x| at(view.pan, x, WIDTH)).collect(),
            rows: (0..HEIGHT).map(|y| -at(-view.tilt, y, HEIGHT)).collect(),
        }
    }

    /// Pan seen by picture column `x`, in angle units.
    pub fn col(&self, x: usize) -> i64 {
        self.cols[x]
    }

    /// Tilt seen by picture row `y`, in angle units.
    pub fn row(&self, y: usize) -> i64 {
        self.rows[y]
    }

    /// Whether any picture row from `from_row` down sees the pattern tile.
    pub fn sees_tile(&self, from_row: usize) -> bool {
        let cols = self.cols.first().is_some_and(|&a| a < TILE_RIGHT)
            && self.cols.last().is_some_and(|&a| a >= TILE_LEFT);
        // Rows see decreasing tilts.
        let rows = self.rows[from_row..]
            .iter()
            .any(|&e| e <= TILE_TOP && e > TILE_BOTTOM);
        cols && rows
    }

    /// Paints picture rows `from_row..` of `out` (WIDTH x HEIGHT) with the world; `tile`
    /// is the pattern at this instant, needed when `sees_tile`.
    pub fn paint(&self, out: &mut I420, tile: Option<&I420>, from_row: usize) {
        let (y, u, v) = out.planes_mut();
        let planes = tile.map(|t| t.planes());
        self.paint_plane(y, 1, 0, planes.map(|p| p.0), from_row);
        self.paint_plane(u, 2, 1, planes.map(|p| p.1), from_row / 2);
        self.paint_plane(v, 2, 2, planes.map(|p| p.2), from_row / 2);
    }

    /// One plane subsampled by `sub` (1 luma, 2 chroma): a plane pixel takes the angles of
    /// its top-left luma pixel. `comp` picks the colour component.
    fn paint_plane(
        &self,
        plane: &mut [u8],
        sub: usize,
        comp: usize,
        tile: Option<&[u8]>,
        from: usize,
    ) {
        let (pw, ph) = (WIDTH / sub, HEIGHT / sub);
        let cols: Vec<i64> = (0..pw).map(|c| self.cols[c * sub]).collect();
        let first = |a: i64| cols.partition_point(|&c| c < a);
        // Vertical grid lines: column spans.
        let mut grid = Vec::new();
        let mut c = 0;
        while c < pw {
            if on_grid(cols[c]) {
                let start = c;
                while c < pw && on_grid(cols[c]) {
                    c += 1;
                }
                grid.push(start..c);
            } else {
                c += 1;
            }
        }
        // The tile's columns and, for each, the tile pixel it shows.
        let (t0, t1) = (first(TILE_LEFT), first(TILE_RIGHT));
        let tile_x: Vec<usize> = cols[t0..t1]
            .iter()
            .map(|&a| ((a - TILE_LEFT) / PX) as usize / sub)
            .collect();
        // At 1x the tile's pixels are consecutive: a row is a copy, not a gather.
        let contiguous = tile_x.windows(2).all(|w| w[1] == w[0] + 1);
        let full_width = t0 == 0 && t1 == pw;
        // The tile row the previous picture row showed across its whole width.
        let mut previous: Option<usize> = None;
        for r in from..ph {
            let e = self.rows[r * sub];
            let in_tile = tile.is_some() && e <= TILE_TOP && e > TILE_BOTTOM;
            let ty = ((TILE_TOP - e).max(0) / PX) as usize / sub;
            if in_tile && full_width && previous == Some(ty) {
                // Zoomed in, several picture rows show one tile row.
                plane.copy_within((r - 1) * pw..r * pw, r * pw);
                continue;
            }
            previous = (in_tile && full_width).then_some(ty);
            let row = &mut plane[r * pw..][..pw];
            if on_grid(e) {
                row.fill(GRID_YUV[comp]);
            } else {
                row.fill(base(e)[comp]);
                for g in &grid {
                    row[g.clone()].fill(GRID_YUV[comp]);
                }
            }
            for lm in &LANDMARKS {
                let Some((a0, a1)) = lm.span(e) else {
                    continue;
                };
                for turn in [-TURN, 0, TURN] {
                    let (c0, c1) = (first(a0 + turn), first(a1 + turn));
                    row[c0..c1].fill(lm.yuv[comp]);
                }
            }
            if let Some(tile) = tile
                && in_tile
            {
                let src = &tile[ty * pw..][..pw];
                match tile_x.first() {
                    Some(&x0) if contiguous => {
                        row[t0..t1].copy_from_slice(&src[x0..x0 + tile_x.len()]);
                    }
                    _ => {
                        for (p, &tx) in row[t0..t1].iter_mut().zip(&tile_x) {
                            *p = src[tx];
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(pan: f64, tilt: f64, zoom: f64) -> View {
        View { pan, tilt, zoom }
    }

    #[test]
    fn at_home_every_pixel_sees_its_own_tile_pixel() {
        let m = Mapping::new(View::HOME);
        for x in 0..WIDTH {
            assert_eq!((m.col(x) - TILE_LEFT).div_euclid(PX), x as i64);
        }
        for y in 0..HEIGHT {
            assert_eq!((TILE_TOP - m.row(y)).div_euclid(PX), y as i64);
        }
        assert!(View::HOME.is_home());
        assert!(view(0.004, -0.004, 1.004).is_home());
        assert!(!view(0.006, 0.0, 1.0).is_home());
    }

    #[test]
    fn zoom_narrows_the_field_of_view() {
        for z in [1.0, 2.0, 4.0, 10.0] {
            let m = Mapping::new(view(12.0, -5.0, z));
            // Edge to edge: 60/z degrees less one pixel (pixel centres).
            let across = (m.col(WIDTH - 1) - m.col(0)) as f64 / UNITS_PER_DEG as f64;
            let expect = 60.0 / z * (WIDTH - 1) as f64 / WIDTH as f64;
            assert!((across - expect).abs() < 0.001, "{z}: {across}");
            let down = (m.row(0) - m.row(HEIGHT - 1)) as f64 / UNITS_PER_DEG as f64;
            let expect = 33.75 / z * (HEIGHT - 1) as f64 / HEIGHT as f64;
            assert!((down - expect).abs() < 0.001, "{z}: {down}");
            // Centred on the view.
            let mid = (m.col(WIDTH / 2 - 1) + m.col(WIDTH / 2)) / 2;
            assert_eq!(mid, 12 * UNITS_PER_DEG);
            let mid = (m.row(HEIGHT / 2 - 1) + m.row(HEIGHT / 2)) / 2;
            assert_eq!(mid, -5 * UNITS_PER_DEG);
        }
    }

    #[test]
    fn landmarks_are_distinct_and_clear_of_the_tile() {
        for (i, a) in LANDMARKS.iter().enumerate() {
            for b in &LANDMARKS[i + 1..] {
                assert_ne!(a.yuv[0], b.yuv[0]);
                assert_ne!(a.yuv[1..], b.yuv[1..]);
            }
            let h = a.half as i64 * UNITS_PER_DEG;
            let (p, t) = (a.pan as i64 * UNITS_PER_DEG, a.tilt as i64 * UNITS_PER_DEG);
            let overlaps =
                p + h > TILE_LEFT && p - h < TILE_RIGHT && t - h < TILE_TOP && t + h > TILE_BOTTOM;
            assert!(!overlaps, "{a:?}");
            // Within the head's reach: pan +-170, tilt +-45.
            assert!(a.pan.abs() <= 170 && a.tilt.abs() <= 45);
        }
    }

    #[test]
    fn pan_wraps_around() {
        let paint = |pan| {
            let mut img = I420::new(WIDTH, HEIGHT);
            Mapping::new(view(pan, 0.0, 1.0)).paint(&mut img, None, 0);
            img
        };
        // +190 and -170 are the same direction.
        assert_eq!(paint(190.0), paint(-170.0));
    }

    /// The world pixel by pixel, the slow obvious way, to check the span painter against.
    fn reference(m: &Mapping, tile: &I420, out: &mut I420, from_row: usize) {
        let (tp, (y, u, v)) = (tile.planes(), out.planes_mut());
        let tiles = [tp.0, tp.1, tp.2];
        for (comp, plane) in [y, u, v].into_iter().enumerate() {
            let sub = if comp == 0 { 1 } else { 2 };
            let pw = WIDTH / sub;
            for r in from_row / sub..HEIGHT / sub {
                for c in 0..pw {
                    let (a, e) = (m.col(c * sub), m.row(r * sub));
                    let mut p = if on_grid(a) || on_grid(e) {
                        GRID_YUV[comp]
                    } else {
                        base(e)[comp]
                    };
                    for lm in &LANDMARKS {
                        if let Some((a0, a1)) = lm.span(e)
                            && [-TURN, 0, TURN]
                                .iter()
                                .any(|t| (a0 + t..a1 + t).contains(&a))
                        {
                            p = lm.yuv[comp];
                        }
                    }
                    if (TILE_LEFT..TILE_RIGHT).contains(&a) && e <= TILE_TOP && e > TILE_BOTTOM {
                        let (tx, ty) = ((a - TILE_LEFT) / PX, (TILE_TOP - e) / PX);
                        p = tiles[comp][ty as usize / sub * pw + tx as usize / sub];
                    }
                    plane[r * pw + c] = p;
                }
            }
        }
    }

    #[test]
    fn the_span_painter_matches_the_pixel_by_pixel_reference() {
        let mut tile = I420::new(WIDTH, HEIGHT);
        for (i, b) in tile.data.iter_mut().enumerate() {
            *b = (i as u32).wrapping_mul(2_654_435_761).rotate_left(7) as u8;
        }
        for v in [
            View::HOME,
            view(12.34, -5.0, 1.0),
            view(-27.0, 14.0, 1.0),
            view(5.0, 2.0, 2.5),
            view(0.0, 0.0, 10.0),
            view(90.0, 0.0, 1.0),
            view(-150.0, 10.0, 1.7),
            view(170.0, -45.0, 1.0),
            view(-3.21, 40.0, 3.3),
        ] {
            let m = Mapping::new(v);
            let (mut fast, mut slow) = (I420::new(WIDTH, HEIGHT), I420::new(WIDTH, HEIGHT));
            m.paint(&mut fast, Some(&tile), 120);
            reference(&m, &tile, &mut slow, 120);
            let bad = fast
                .data
                .iter()
                .zip(&slow.data)
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(bad, 0, "{v:?}");
        }
    }
}
