//! JPEG snapshots: the sensor's latest picture, scaled, encoded by `jpeg-encoder` straight
//! from the planar I420 buffer (4:2:0 sampling, so no colour conversion is needed).

use jpeg_encoder::{Encoder, ImageBuffer, JpegColorType, SamplingFactor};

use super::frame::I420;
use super::scale;

/// Feeds an I420 image to the JPEG encoder row by row, cropped to `width` x `height`
/// (the image may be one pixel larger in each direction when the target size is odd).
struct I420Rows<'a> {
    img: &'a I420,
    width: u16,
    height: u16,
}

impl ImageBuffer for I420Rows<'_> {
    fn get_jpeg_color_type(&self) -> JpegColorType {
        JpegColorType::Ycbcr
    }

    fn width(&self) -> u16 {
        self.width
    }

    fn height(&self) -> u16 {
        self.height
    }

    fn fill_buffers(&self, row: u16, buffers: &mut [Vec<u8>; 4]) {
        let (y, u, v) = self.img.planes();
        let w = self.img.width;
        let r = row as usize;
        let yl = &y[r * w..][..self.width as usize];
        let cw = w / 2;
        let ul = &u[(r / 2) * cw..][..cw];
        let vl = &v[(r / 2) * cw..][..cw];
        buffers[0].extend_from_slice(yl);
        for x in 0..self.width as usize {
            buffers[1].push(ul[x / 2]);
            buffers[2].push(vl[x / 2]);
        }
    }
}

/// Encodes `src` scaled to `width` x `height` at `quality` (1..=100).
pub fn encode(src: &I420, width: u32, height: u32, quality: u8) -> Result<Vec<u8>, String> {
    let (ew, eh) = ((width as usize + 1) & !1, (height as usize + 1) & !1);
    let scaled;
    let img = if (ew, eh) == (src.width, src.height) {
        src
    } else {
        scaled = scale::scale(src, ew, eh);
        &scaled
    };
    let mut out = Vec::with_capacity(width as usize * height as usize / 4);
    let mut enc = Encoder::new(&mut out, quality);
    enc.set_sampling_factor(SamplingFactor::F_2_2);
    enc.encode_image(I420Rows {
        img,
        width: width as u16,
        height: height as u16,
    })
    .map_err(|e| format!("jpeg: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_valid_jpeg_of_the_requested_size() {
        let mut img = I420::new(64, 32);
        img.planes_mut().0.fill(200);
        let jpg = encode(&img, 31, 17, 80).unwrap();
        assert_eq!(&jpg[..2], &[0xFF, 0xD8]);
        assert_eq!(&jpg[jpg.len() - 2..], &[0xFF, 0xD9]);
        // SOF0 carries height then width.
        let sof = jpg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        assert_eq!(u16::from_be_bytes([jpg[sof + 5], jpg[sof + 6]]), 17);
        assert_eq!(u16::from_be_bytes([jpg[sof + 7], jpg[sof + 8]]), 31);
    }
}
