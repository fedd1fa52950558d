//! On-screen display (NVT_OSD_*): up to eight ARGB8888 regions per video source, blended
//! into the picture on its way to the encoders and the snapshot, the way a SoC's overlay
//! unit sits between the ISP and the encoders (HiSilicon RGN attached before VPSS, Ingenic
//! IMP's OSD group bound between frame source and encoder). The statistics and the motion
//! detector read the picture before the overlay: a once-a-second clock is not motion, and
//! does not change the exposure statistics.
//!
//! A region is converted to the picture's format (BT.601 limited-range Y, U, V, each with
//! its effective alpha) once, when it is set, so a frame pays only a copy of the source
//! picture and a blend of the regions' own rows. One composition per captured picture is
//! kept, so every channel sharing an instant (main, sub, snapshot) shares it. With no region
//! shown, the picture passes through untouched: no copy at all.

use std::sync::{Arc, Mutex, Weak};

use super::frame::{Frame, I420};
use crate::*;

/// Regions per source (`NVT_OSD_INFO_S.max_regions`), as many SoCs offer per channel.
pub const MAX_REGIONS: u32 = 8;
/// Position and size alignment: I420 chroma covers 2x2 pixels, so an even rectangle maps to
/// whole chroma samples (no half-covered chroma at the edges).
pub const ALIGN: u32 = 2;
/// Full 8-bit alpha.
pub const ALPHA_LEVELS: u32 = 256;

/// A region ready to blend: per luma pixel its Y and effective alpha, per 2x2 block its U,
/// V and alpha (the mean of the block's four).
#[derive(Debug)]
pub struct Region {
    x: usize,
    y: usize,
    width: usize,
    height: usize,
    luma: Vec<(u8, u8)>,
    chroma: Vec<(u8, u8, u8)>,
}

/// Why a region is refused (NVT_ERR_INVALID_ARG in every case; kept apart for the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Empty,
    Misaligned,
    OutsideFrame,
    ShortStride,
    Alpha,
}

/// ARGB8888 (native-endian u32: A in the top byte) to BT.601 limited-range Y, U, V: the
/// colour space of the simulator's picture (its landmarks and bars are defined in it).
pub fn argb_to_yuv(px: u32) -> (u8, u8, u8) {
    let (r, g, b) = (
        ((px >> 16) & 0xFF) as i32,
        ((px >> 8) & 0xFF) as i32,
        (px & 0xFF) as i32,
    );
    let y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
    let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
    let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    (y as u8, u.clamp(0, 255) as u8, v.clamp(0, 255) as u8)
}

/// `dst` moved toward `src` by `a`/255, rounded.
fn blend(dst: u8, src: u8, a: u8) -> u8 {
    let (d, s, a) = (dst as u32, src as u32, a as u32);
    ((s * a + d * (255 - a) + 127) / 255) as u8
}

impl Region {
    /// Checks `r` against a `frame_w` x `frame_h` source and converts its pixels, read from
    /// `pixels` (at least `stride * (height - 1) + 4 * width` bytes).
    pub fn new(
        r: &NVT_OSD_REGION_S,
        pixels: &[u8],
        frame_w: u32,
        frame_h: u32,
    ) -> Result<Region, Refused> {
        Region::check(r, frame_w, frame_h)?;
        let (x, y, w, h) = (
            r.x as usize,
            r.y as usize,
            r.width as usize,
            r.height as usize,
        );
        if pixels.len() < Region::bytes_needed(r) {
            return Err(Refused::ShortStride);
        }
        let stride = r.stride as usize;
        let mut luma = Vec::with_capacity(w * h);
        let mut uvs = Vec::with_capacity(w * h);
        for row in 0..h {
            let line = &pixels[row * stride..row * stride + 4 * w];
            for px in line.chunks_exact(4) {
                let px = u32::from_ne_bytes([px[0], px[1], px[2], px[3]]);
                let a = ((px >> 24) * r.alpha + 127) / 255;
                let (yy, u, v) = argb_to_yuv(px);
                luma.push((yy, a as u8));
                uvs.push((u, v));
            }
        }
        // Chroma of each 2x2 block: the alpha-weighted mean of its pixels' U and V, and the
        // mean alpha (a half-covered block is half blended).
        let mut chroma = Vec::with_capacity(w * h / 4);
        for by in (0..h).step_by(2) {
            for bx in (0..w).step_by(2) {
                let idx = [
                    by * w + bx,
                    by * w + bx + 1,
                    (by + 1) * w + bx,
                    (by + 1) * w + bx + 1,
                ];
                let (mut su, mut sv, mut sa) = (0u32, 0u32, 0u32);
                for i in idx {
                    let a = luma[i].1 as u32;
                    su += uvs[i].0 as u32 * a;
                    sv += uvs[i].1 as u32 * a;
                    sa += a;
                }
                let mean = |sum: u32| (sum.checked_add(sa / 2)?).checked_div(sa);
                chroma.push(match (mean(su), mean(sv)) {
                    (Some(u), Some(v)) => (u as u8, v as u8, ((sa + 2) / 4) as u8),
                    // A fully transparent block: its colour does not matter.
                    _ => (128, 128, 0),
                });
            }
        }
        Ok(Region {
            x,
            y,
            width: w,
            height: h,
            luma,
            chroma,
        })
    }

    /// The contract's checks (nvt_sdk.h NVT_OSD_SetRegion), before any pixel is read.
    pub fn check(r: &NVT_OSD_REGION_S, frame_w: u32, frame_h: u32) -> Result<(), Refused> {
        if r.width == 0 || r.height == 0 {
            return Err(Refused::Empty);
        }
        if [r.x, r.y, r.width, r.height].iter().any(|v| v % ALIGN != 0) {
            return Err(Refused::Misaligned);
        }
        if r.x as u64 + r.width as u64 > frame_w as u64
            || r.y as u64 + r.height as u64 > frame_h as u64
        {
            return Err(Refused::OutsideFrame);
        }
        if (r.stride as u64) < 4 * r.width as u64 {
            return Err(Refused::ShortStride);
        }
        if r.alpha > 255 {
            return Err(Refused::Alpha);
        }
        Ok(())
    }

    /// Bytes of `pixels` a checked region reads: every row's stride but the last one's.
    pub fn bytes_needed(r: &NVT_OSD_REGION_S) -> usize {
        r.stride as usize * (r.height as usize - 1) + 4 * r.width as usize
    }

    /// Blends the region into `img`: only its own rows and columns are touched.
    fn blend_into(&self, img: &mut I420) {
        let (fw, cw) = (img.width, img.width / 2);
        let (ys, us, vs) = img.planes_mut();
        for row in 0..self.height {
            let dst = &mut ys[(self.y + row) * fw + self.x..][..self.width];
            let src = &self.luma[row * self.width..][..self.width];
            for (d, &(s, a)) in dst.iter_mut().zip(src) {
                match a {
                    0 => {}
                    255 => *d = s,
                    a => *d = blend(*d, s, a),
                }
            }
        }
        let (bw, bh) = (self.width / 2, self.height / 2);
        for row in 0..bh {
            let at = (self.y / 2 + row) * cw + self.x / 2;
            let src = &self.chroma[row * bw..][..bw];
            let du = &mut us[at..at + bw];
            for (d, &(u, _, a)) in du.iter_mut().zip(src) {
                *d = blend(*d, u, a);
            }
            let dv = &mut vs[at..at + bw];
            for (d, &(_, v, a)) in dv.iter_mut().zip(src) {
                *d = blend(*d, v, a);
            }
        }
    }
}

struct Composed {
    /// The source picture it was made from (a Weak keeps the allocation, so the address
    /// cannot be reused by another frame while it is compared).
    source: Weak<Frame>,
    generation: u64,
    frame: Arc<Frame>,
}

struct State {
    regions: [Option<Arc<Region>>; MAX_REGIONS as usize],
    /// +1 per SetRegion/ClearRegion that changed something: a composition of an older
    /// generation is stale.
    generation: u64,
    last: Option<Composed>,
}

/// The OSD of one video source of `width` x `height` pixels.
pub struct Osd {
    width: u32,
    height: u32,
    state: Mutex<State>,
}

impl Osd {
    pub fn new(width: u32, height: u32) -> Osd {
        Osd {
            width,
            height,
            state: Mutex::new(State {
                regions: Default::default(),
                generation: 0,
                last: None,
            }),
        }
    }

    pub fn info(&self) -> NVT_OSD_INFO_S {
        NVT_OSD_INFO_S {
            max_regions: MAX_REGIONS,
            max_width: self.width,
            max_height: self.height,
            align_x: ALIGN,
            align_y: ALIGN,
            alpha_levels: ALPHA_LEVELS,
        }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Shows `region` as region `id` (< MAX_REGIONS, checked by the caller).
    pub fn set(&self, id: u32, region: Region) {
        let mut s = super::lock(&self.state);
        s.regions[id as usize] = Some(Arc::new(region));
        s.generation += 1;
        s.last = None;
    }

    /// Hides region `id`.
    pub fn clear(&self, id: u32) {
        let mut s = super::lock(&self.state);
        if s.regions[id as usize].take().is_some() {
            s.generation += 1;
            s.last = None;
        }
    }

    /// The picture as the encoders see it: `frame` itself while no region is shown, else a
    /// copy with the regions blended in (lowest id first, so a higher id is on top), shared
    /// by every consumer of the same picture.
    pub fn compose(&self, frame: &Arc<Frame>) -> Arc<Frame> {
        // Held across the blend so that two channels asking for one picture compose it once.
        let mut s = super::lock(&self.state);
        if s.regions.iter().all(Option::is_none) {
            return frame.clone();
        }
        if let Some(c) = &s.last
            && c.generation == s.generation
            && std::ptr::eq(c.source.as_ptr(), Arc::as_ptr(frame))
        {
            return c.frame.clone();
        }
        let mut image = frame.image.clone();
        // A region set for another size (a source whose size changed) is skipped rather
        // than written out of bounds.
        let (w, h) = (image.width, image.height);
        for r in s.regions.iter().flatten() {
            if r.x + r.width <= w && r.y + r.height <= h {
                r.blend_into(&mut image);
            }
        }
        let out = Arc::new(Frame {
            image,
            pts_us: frame.pts_us,
            utc_us: frame.utc_us,
            number: frame.number,
        });
        s.last = Some(Composed {
            source: Arc::downgrade(frame),
            generation: s.generation,
            frame: out.clone(),
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: usize, h: usize, luma: u8) -> Arc<Frame> {
        let mut image = I420::new(w, h);
        let (y, u, v) = image.planes_mut();
        y.fill(luma);
        u.fill(128);
        v.fill(128);
        Arc::new(Frame {
            image,
            pts_us: 1,
            utc_us: 2,
            number: 3,
        })
    }

    fn region(
        x: u32,
        y: u32,
        w: u32,
        h: u32,
        argb: u32,
        alpha: u32,
    ) -> (NVT_OSD_REGION_S, Vec<u8>) {
        let pixels: Vec<u8> = (0..w * h).flat_map(|_| argb.to_ne_bytes()).collect();
        let r = NVT_OSD_REGION_S {
            x,
            y,
            width: w,
            height: h,
            stride: 4 * w,
            pixels: pixels.as_ptr(),
            alpha,
        };
        (r, pixels)
    }

    #[test]
    fn colours_convert_to_bt601_limited_range() {
        assert_eq!(argb_to_yuv(0xFFFF_FFFF), (235, 128, 128));
        assert_eq!(argb_to_yuv(0xFF00_0000), (16, 128, 128));
        // Yellow: the simulator's yellow landmark (210, 16, 146).
        assert_eq!(argb_to_yuv(0xFFFF_FF00), (210, 16, 146));
    }

    #[test]
    fn misplaced_regions_are_refused() {
        for (x, y, w, h, want) in [
            (0, 0, 0, 2, Refused::Empty),
            (1, 0, 2, 2, Refused::Misaligned),
            (0, 0, 3, 2, Refused::Misaligned),
            (0, 0, 2, 5, Refused::Misaligned),
            (62, 0, 4, 2, Refused::OutsideFrame),
            (0, 30, 2, 4, Refused::OutsideFrame),
            (u32::MAX - 1, 0, 2, 2, Refused::OutsideFrame),
        ] {
            let (r, px) = region(x, y, w, h, 0xFFFF_FFFF, 255);
            assert_eq!(
                Region::new(&r, &px, 64, 32).err(),
                Some(want),
                "{x},{y} {w}x{h}"
            );
        }
        let (mut r, px) = region(0, 0, 4, 2, 0xFFFF_FFFF, 255);
        r.stride = 12;
        assert_eq!(
            Region::new(&r, &px, 64, 32).err(),
            Some(Refused::ShortStride)
        );
        r.stride = 16;
        r.alpha = 256;
        assert_eq!(Region::new(&r, &px, 64, 32).err(), Some(Refused::Alpha));
    }

    #[test]
    fn a_region_changes_exactly_its_pixels_and_clears() {
        let osd = Osd::new(64, 32);
        let src = frame(64, 32, 100);
        assert!(Arc::ptr_eq(&osd.compose(&src), &src), "no region: no copy");
        // Opaque white 8x4 at (10, 6); a half-transparent black 4x2 at (40, 20).
        let (r, px) = region(10, 6, 8, 4, 0xFFFF_FFFF, 255);
        osd.set(0, Region::new(&r, &px, 64, 32).unwrap());
        let (r, px) = region(40, 20, 4, 2, 0xFF00_0000, 128);
        osd.set(3, Region::new(&r, &px, 64, 32).unwrap());
        let out = osd.compose(&src);
        assert_eq!((out.pts_us, out.utc_us, out.number), (1, 2, 3));
        let y = out.image.y();
        for row in 0..32 {
            for col in 0..64 {
                let want = if (6..10).contains(&row) && (10..18).contains(&col) {
                    235
                } else if (20..22).contains(&row) && (40..44).contains(&col) {
                    // 100 + (16 - 100) * 128/255, rounded
                    58
                } else {
                    100
                };
                assert_eq!(y[row * 64 + col], want, "({col}, {row})");
            }
        }
        // The source picture is untouched (motion and statistics read it), and a second
        // consumer of the same picture gets the same composition.
        assert!(src.image.y().iter().all(|&v| v == 100));
        assert!(Arc::ptr_eq(&osd.compose(&src), &out));
        osd.clear(0);
        osd.clear(0);
        osd.clear(3);
        assert!(Arc::ptr_eq(&osd.compose(&src), &src));
    }

    #[test]
    fn stride_padding_is_skipped_and_transparent_pixels_leave_the_picture() {
        // 2x2 region with an 8-byte pad per row: row 0 opaque white, row 1 A = 0.
        let mut px = Vec::new();
        px.extend(0xFFFF_FFFFu32.to_ne_bytes().repeat(2));
        px.extend([0xAB; 8]);
        px.extend(0x00FF_FFFFu32.to_ne_bytes().repeat(2));
        let r = NVT_OSD_REGION_S {
            x: 2,
            y: 2,
            width: 2,
            height: 2,
            stride: 16,
            pixels: px.as_ptr(),
            alpha: 255,
        };
        assert_eq!(Region::bytes_needed(&r), 24);
        let osd = Osd::new(8, 8);
        osd.set(1, Region::new(&r, &px, 8, 8).unwrap());
        let out = osd.compose(&frame(8, 8, 50));
        let y = out.image.y();
        assert_eq!((y[2 * 8 + 2], y[2 * 8 + 3]), (235, 235));
        assert_eq!((y[3 * 8 + 2], y[3 * 8 + 3]), (50, 50));
    }
}
