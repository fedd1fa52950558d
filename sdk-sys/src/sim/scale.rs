//! I420 scaling for the encoder channels and the snapshot: bilinear with 8-bit fixed-point
//! weights and pixel-centre alignment, so an exact 2:1 reduction is a 2x2 box average.
//! Coefficients are computed once per call (a few thousand entries), the inner loop is
//! integer only.

use super::frame::I420;

/// Source index and weight of the next pixel (0..=256) for each destination position.
fn taps(src: usize, dst: usize) -> Vec<(u32, u32)> {
    (0..dst)
        .map(|i| {
            // Centre of destination pixel i mapped to source coordinates, in 1/256 px.
            let pos = ((2 * i + 1) * src * 256 / (2 * dst)) as i64 - 128;
            let pos = pos.clamp(0, ((src - 1) * 256) as i64) as u32;
            (pos >> 8, pos & 0xFF)
        })
        .collect()
}

fn scale_plane(src: &[u8], sw: usize, sh: usize, dst: &mut [u8], dw: usize, dh: usize) {
    if sw == dw && sh == dh {
        dst.copy_from_slice(src);
        return;
    }
    let xt = taps(sw, dw);
    let yt = taps(sh, dh);
    for (dy, &(sy, fy)) in yt.iter().enumerate() {
        let r0 = &src[sy as usize * sw..][..sw];
        let r1 = &src[(sy as usize + 1).min(sh - 1) * sw..][..sw];
        let out = &mut dst[dy * dw..][..dw];
        for (o, &(sx, fx)) in out.iter_mut().zip(xt.iter()) {
            let x0 = sx as usize;
            let x1 = (x0 + 1).min(sw - 1);
            let top = r0[x0] as u32 * (256 - fx) + r0[x1] as u32 * fx;
            let bot = r1[x0] as u32 * (256 - fx) + r1[x1] as u32 * fx;
            *o = ((top * (256 - fy) + bot * fy + (1 << 15)) >> 16) as u8;
        }
    }
}

/// Scales `src` into a new image of `width` x `height` (both even).
pub fn scale(src: &I420, width: usize, height: usize) -> I420 {
    let mut dst = I420::new(width, height);
    scale_into(src, &mut dst);
    dst
}

/// Scales `src` into `dst`, whose size is the target size.
pub fn scale_into(src: &I420, dst: &mut I420) {
    let (dw, dh) = (dst.width, dst.height);
    let (sy, su, sv) = src.planes();
    let (oy, ou, ov) = dst.planes_mut();
    scale_plane(sy, src.width, src.height, oy, dw, dh);
    let (scw, sch, dcw, dch) = (src.width / 2, src.height / 2, dw / 2, dh / 2);
    scale_plane(su, scw, sch, ou, dcw, dch);
    scale_plane(sv, scw, sch, ov, dcw, dch);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(w: usize, h: usize) -> I420 {
        let mut img = I420::new(w, h);
        let (y, u, v) = img.planes_mut();
        for (i, p) in y.iter_mut().enumerate() {
            *p = ((i % w) * 255 / (w - 1)) as u8;
        }
        u.fill(90);
        v.fill(200);
        img
    }

    #[test]
    fn identity_is_a_copy() {
        let src = ramp(64, 32);
        assert_eq!(scale(&src, 64, 32), src);
    }

    #[test]
    fn half_size_is_a_box_average() {
        let mut src = I420::new(4, 4);
        src.planes_mut().0.copy_from_slice(&[
            0, 100, 10, 20, //
            50, 150, 30, 40, //
            0, 0, 200, 200, //
            0, 0, 200, 200,
        ]);
        let dst = scale(&src, 2, 2);
        assert_eq!(dst.y(), &[75, 25, 0, 200]);
    }

    #[test]
    fn keeps_ramp_monotonic_and_flat_planes_flat() {
        let src = ramp(1280, 720);
        for (w, h) in [(640, 360), (320, 180), (1024, 576), (1280, 720)] {
            let d = scale(&src, w, h);
            let row = &d.y()[w * (h / 2)..][..w];
            assert!(
                row.windows(2).all(|p| p[0] <= p[1]),
                "{w}x{h} not monotonic"
            );
            assert!(row[0] < 5 && row[w - 1] > 250);
            let (_, u, v) = d.planes();
            assert!(u.iter().all(|&p| p == 90) && v.iter().all(|&p| p == 200));
        }
    }
}
