//! Captured pixel formats into the I420 picture the encoder, scaler, snapshot and motion
//! detector share. Pure functions over byte slices; a buffer shorter than its format says
//! (a driver that delivered a truncated frame) is an error, never an out-of-bounds read.

use super::device::Format;
use super::mode::{NV12, YU12, YUYV};
use crate::sim::frame::I420;

/// Converts one captured buffer of format `f` into `out` (resized to the format's size).
pub fn to_i420(f: &Format, src: &[u8], out: &mut I420) -> Result<(), String> {
    let (w, h) = (f.width as usize, f.height as usize);
    if w % 2 != 0 || h % 2 != 0 || w == 0 || h == 0 {
        return Err(format!("odd or empty size {w}x{h}"));
    }
    if (out.width, out.height) != (w, h) {
        *out = I420::new(w, h);
    }
    let fourcc = f.fourcc;
    let min_stride = if fourcc == YUYV { w * 2 } else { w };
    let stride = (f.stride as usize).max(min_stride);
    let need = match fourcc {
        _ if fourcc == YUYV => stride * h,
        // Chroma planes follow the luma plane at the same stride (NV12) or half of it (YU12).
        _ if fourcc == NV12 => stride * h + stride * (h / 2),
        _ if fourcc == YU12 => stride * h + 2 * (stride / 2) * (h / 2),
        other => return Err(format!("format {other} is not converted")),
    };
    if src.len() < need {
        return Err(format!(
            "short frame: {} bytes, {fourcc} {w}x{h} needs {need}",
            src.len()
        ));
    }
    let (y, u, v) = out.planes_mut();
    let (cw, ch) = (w / 2, h / 2);
    if fourcc == YUYV {
        for row in 0..h {
            let line = &src[row * stride..row * stride + w * 2];
            let dst = &mut y[row * w..(row + 1) * w];
            for (d, px) in dst.iter_mut().zip(line.chunks_exact(2)) {
                *d = px[0];
            }
        }
        // 4:2:2 to 4:2:0: the average of each pair of lines' chroma.
        for row in 0..ch {
            let a = &src[2 * row * stride..2 * row * stride + w * 2];
            let b = &src[(2 * row + 1) * stride..(2 * row + 1) * stride + w * 2];
            for col in 0..cw {
                let i = col * 4;
                u[row * cw + col] = ((a[i + 1] as u16 + b[i + 1] as u16 + 1) / 2) as u8;
                v[row * cw + col] = ((a[i + 3] as u16 + b[i + 3] as u16 + 1) / 2) as u8;
            }
        }
    } else if fourcc == NV12 {
        for row in 0..h {
            y[row * w..(row + 1) * w].copy_from_slice(&src[row * stride..row * stride + w]);
        }
        let base = stride * h;
        for row in 0..ch {
            let line = &src[base + row * stride..base + row * stride + w];
            for (col, uv) in line.chunks_exact(2).enumerate() {
                u[row * cw + col] = uv[0];
                v[row * cw + col] = uv[1];
            }
        }
    } else {
        for row in 0..h {
            y[row * w..(row + 1) * w].copy_from_slice(&src[row * stride..row * stride + w]);
        }
        let cstride = stride / 2;
        let ub = stride * h;
        let vb = ub + cstride * ch;
        for row in 0..ch {
            u[row * cw..(row + 1) * cw]
                .copy_from_slice(&src[ub + row * cstride..ub + row * cstride + cw]);
            v[row * cw..(row + 1) * cw]
                .copy_from_slice(&src[vb + row * cstride..vb + row * cstride + cw]);
        }
    }
    Ok(())
}

/// The fuzz target `v4l2_convert` (and the corpus replay test): byte 0 picks the format,
/// bytes 1 and 2 the size (up to 255x255, so each run is cheap; the arithmetic is the same at
/// any size), bytes 3..5 the stride, the rest is the buffer. An error or a picture of the
/// reported size, never a panic.
pub fn fuzz_input(data: &[u8]) {
    use super::device::FourCc;
    use super::mode::CONVERTIBLE;
    if data.len() < 5 {
        return;
    }
    let fourcc = match data[0] % 4 {
        3 => FourCc::new(b"MJPG"),
        i => CONVERTIBLE[i as usize],
    };
    let f = Format {
        fourcc,
        width: data[1] as u32,
        height: data[2] as u32,
        stride: u16::from_le_bytes([data[3], data[4]]) as u32,
        size: 0,
    };
    let mut out = I420::new(2, 2);
    if to_i420(&f, &data[5..], &mut out).is_ok() {
        assert_eq!(
            (out.width, out.height),
            (f.width as usize, f.height as usize)
        );
        assert_eq!(out.data.len(), out.width * out.height * 3 / 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v4l2::device::FourCc;

    fn fmt(fourcc: FourCc, w: u32, h: u32, stride: u32) -> Format {
        Format {
            fourcc,
            width: w,
            height: h,
            stride,
            size: 0,
        }
    }

    #[test]
    fn yuyv_takes_luma_and_averages_chroma_of_line_pairs() {
        // 2x2: line 0 = Y 10,20 U 100 V 200; line 1 = Y 30,40 U 110 V 210; stride padded to 6.
        let src = [10, 100, 20, 200, 0, 0, 30, 110, 40, 210, 0, 0];
        let mut out = I420::new(2, 2);
        to_i420(&fmt(YUYV, 2, 2, 6), &src, &mut out).unwrap();
        assert_eq!(out.data, vec![10, 20, 30, 40, 105, 205]);
    }

    #[test]
    fn nv12_and_yu12_are_deinterleaved_or_copied_with_their_stride() {
        // 4x2, stride 6: Y rows then one UV row.
        let src = [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0, 50, 60, 51, 61, 0, 0];
        let mut out = I420::new(2, 2);
        to_i420(&fmt(NV12, 4, 2, 6), &src, &mut out).unwrap();
        assert_eq!(out.data, vec![1, 2, 3, 4, 5, 6, 7, 8, 50, 51, 60, 61]);
        let src = [1, 2, 3, 4, 5, 6, 7, 8, 50, 51, 60, 61];
        let mut out2 = I420::new(4, 2);
        to_i420(&fmt(YU12, 4, 2, 4), &src, &mut out2).unwrap();
        assert_eq!(out2.data, out.data);
    }

    #[test]
    fn a_short_or_odd_frame_is_an_error_not_a_panic() {
        let mut out = I420::new(2, 2);
        assert!(to_i420(&fmt(YUYV, 4, 4, 8), &[0; 31], &mut out).is_err());
        assert!(to_i420(&fmt(NV12, 4, 4, 4), &[0; 23], &mut out).is_err());
        assert!(to_i420(&fmt(YUYV, 3, 4, 6), &[0; 64], &mut out).is_err());
        assert!(to_i420(&fmt(FourCc::new(b"MJPG"), 4, 4, 4), &[0; 64], &mut out).is_err());
        // A stride the driver reports too small is taken as the packed minimum.
        assert!(to_i420(&fmt(YUYV, 4, 4, 1), &[0; 32], &mut out).is_ok());
    }
}
