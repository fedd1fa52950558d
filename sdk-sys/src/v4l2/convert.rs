//! Captured pixel formats into the I420 picture the encoder, scaler, snapshot and motion
//! detector share. Pure functions over byte slices; a buffer shorter than its format says
//! (a driver that delivered a truncated frame) is an error, never an out-of-bounds read.

use super::device::Format;
use super::mode::{MJPG, NV12, YU12, YUYV};
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
    if fourcc == MJPG {
        return mjpeg(src, out);
    }
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
                u[row * cw + col] = (a[i + 1] as u16 + b[i + 1] as u16).div_ceil(2) as u8;
                v[row * cw + col] = (a[i + 3] as u16 + b[i + 3] as u16).div_ceil(2) as u8;
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

/// The fuzz target `v4l2_convert` (and the corpus replay test): byte 0 picks the format
/// (YU12, NV12, YUYV, MJPG or one nvt does not take),
/// bytes 1 and 2 the size (up to 255x255, so each run is cheap; the arithmetic is the same at
/// any size), bytes 3..5 the stride, the rest is the buffer. An error or a picture of the
/// reported size, never a panic.
pub fn fuzz_input(data: &[u8]) {
    use super::device::FourCc;
    use super::mode::CONVERTIBLE;
    if data.len() < 5 {
        return;
    }
    let fourcc = match data[0] % 5 {
        4 => FourCc::new(b"H264"),
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

/// One MJPEG frame into `out` (whose size is the format's): the JPEG must have exactly that
/// size; chroma is averaged over 2x2 pixels whatever the JPEG's own subsampling.
fn mjpeg(src: &[u8], out: &mut I420) -> Result<(), String> {
    use zune_jpeg::JpegDecoder;
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let (w, h) = (out.width, out.height);
    // The size limits keep a corrupt header from asking for a huge buffer.
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::YCbCr)
        .set_max_width(w)
        .set_max_height(h)
        .set_strict_mode(false);
    let mut d = JpegDecoder::new_with_options(ZCursor::new(src), options);
    d.decode_headers().map_err(|e| format!("MJPEG: {e:?}"))?;
    if d.dimensions() != Some((w, h)) {
        return Err(format!("MJPEG frame is {:?}, not {w}x{h}", d.dimensions()));
    }
    let ycc = d.decode().map_err(|e| format!("MJPEG: {e:?}"))?;
    if ycc.len() < w * h * 3 {
        return Err(format!(
            "MJPEG decoded to {} bytes, not {}",
            ycc.len(),
            w * h * 3
        ));
    }
    let (y, u, v) = out.planes_mut();
    for (dst, px) in y.iter_mut().zip(ycc.chunks_exact(3)) {
        *dst = px[0];
    }
    let cw = w / 2;
    for row in 0..h / 2 {
        let a = &ycc[2 * row * w * 3..(2 * row + 1) * w * 3];
        let b = &ycc[(2 * row + 1) * w * 3..(2 * row + 2) * w * 3];
        for col in 0..cw {
            let i = col * 6;
            let avg = |k: usize| {
                ((a[i + k] as u16
                    + a[i + 3 + k] as u16
                    + b[i + k] as u16
                    + b[i + 3 + k] as u16
                    + 2)
                    / 4) as u8
            };
            u[row * cw + col] = avg(1);
            v[row * cw + col] = avg(2);
        }
    }
    Ok(())
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

    /// The simulator's JPEG snapshot of its own test pattern, decoded as an MJPEG frame,
    /// comes back close to the original (JPEG is lossy: mean error per sample, not equality).
    #[test]
    fn mjpeg_frames_decode_to_the_picture_they_were_made_from() {
        let clock = crate::sim::clock::Clock::start();
        let sensor = crate::sim::sensor::Sensor::new(clock, 10_000, 4_000);
        let picture = sensor.capture(clock.tick(25, 3)).image.clone();
        let (w, h) = (picture.width, picture.height);
        let jpeg = crate::sim::snapshot::encode(&picture, w as u32, h as u32, 90).unwrap();
        let mut out = I420::new(2, 2);
        to_i420(&fmt(MJPG, w as u32, h as u32, 0), &jpeg, &mut out).unwrap();
        assert_eq!((out.width, out.height), (w, h));
        let mean_error = |a: &[u8], b: &[u8]| {
            a.iter()
                .zip(b)
                .map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs() as u64)
                .sum::<u64>() as f64
                / a.len() as f64
        };
        let (py, pu, _) = picture.planes();
        let (oy, ou, _) = out.planes();
        assert!(
            mean_error(py, oy) < 3.0,
            "luma error {}",
            mean_error(py, oy)
        );
        assert!(
            mean_error(pu, ou) < 4.0,
            "chroma error {}",
            mean_error(pu, ou)
        );
        // A frame of another size than the format says is refused, not scaled.
        let small = crate::sim::snapshot::encode(&picture, 320, 180, 90).unwrap();
        assert!(to_i420(&fmt(MJPG, w as u32, h as u32, 0), &small, &mut out).is_err());
        // Truncated: an error (or, if the decoder pads, still a picture of the right size).
        let cut = &jpeg[..jpeg.len() / 2];
        if to_i420(&fmt(MJPG, w as u32, h as u32, 0), cut, &mut out).is_ok() {
            assert_eq!((out.width, out.height), (w, h));
        }
    }

    #[test]
    fn a_short_or_odd_frame_is_an_error_not_a_panic() {
        let mut out = I420::new(2, 2);
        assert!(to_i420(&fmt(YUYV, 4, 4, 8), &[0; 31], &mut out).is_err());
        assert!(to_i420(&fmt(NV12, 4, 4, 4), &[0; 23], &mut out).is_err());
        assert!(to_i420(&fmt(YUYV, 3, 4, 6), &[0; 64], &mut out).is_err());
        assert!(to_i420(&fmt(MJPG, 4, 4, 4), &[0; 64], &mut out).is_err());
        assert!(to_i420(&fmt(FourCc::new(b"H264"), 4, 4, 4), &[0; 64], &mut out).is_err());
        // A stride the driver reports too small is taken as the packed minimum.
        assert!(to_i420(&fmt(YUYV, 4, 4, 1), &[0; 32], &mut out).is_ok());
    }
}
