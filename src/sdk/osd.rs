//! The on-screen display of a video source (`NVT_OSD_*`, contract version 4): nvt renders
//! text into ARGB8888 bitmaps and the SDK places and blends them (nvt_sdk.h "OSD": SoCs
//! overlay bitmaps, none renders text). Positions are in the source's pixels, top-left
//! origin.

use sdk_sys as ffi;

use super::{Sdk, SdkError, check};

/// What the overlay unit of a source can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsdInfo {
    /// Regions per source; 0: no OSD.
    pub max_regions: u32,
    pub max_width: u32,
    pub max_height: u32,
    /// Position and size must be multiples of these.
    pub align_x: u32,
    pub align_y: u32,
    /// Distinct opacity steps the hardware blends (2: on/off; 256: full).
    pub alpha_levels: u32,
}

impl OsdInfo {
    pub fn supported(&self) -> bool {
        self.max_regions > 0
    }

    /// Whether a `bitmap` at (`x`, `y`) is a region this hardware takes (the checks the
    /// SDK makes too, apart from the frame's bounds, which only the source size tells),
    /// so a caller can lay text out before it calls.
    pub fn fits(&self, x: u32, y: u32, bitmap: &OsdBitmap) -> bool {
        let aligned = |v: u32, a: u32| a == 0 || v.is_multiple_of(a);
        self.supported()
            && bitmap.width <= self.max_width
            && bitmap.height <= self.max_height
            && aligned(x, self.align_x)
            && aligned(bitmap.width, self.align_x)
            && aligned(y, self.align_y)
            && aligned(bitmap.height, self.align_y)
    }
}

/// Why pixels do not make a bitmap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BitmapError {
    #[error("an OSD bitmap has at least one pixel")]
    Empty,
    #[error("stride {stride} is less than 4 bytes x width {width}")]
    ShortStride { stride: u32, width: u32 },
    #[error("{have} bytes of pixels, {need} needed")]
    ShortData { have: usize, need: usize },
}

/// ARGB8888 pixels as the contract takes them (nvt_sdk.h `NVT_OSD_REGION_S`): `width` x
/// `height`, rows `stride` bytes apart, each pixel a native-endian `u32` with A in the top
/// byte (0 transparent, 255 opaque). Constructed only with a stride and a buffer that hold
/// every row, so the pointer handed to the SDK is always valid for what it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsdBitmap {
    width: u32,
    height: u32,
    stride: u32,
    data: Vec<u8>,
}

impl OsdBitmap {
    /// Pixels laid out with `stride` bytes per row (padding allowed, not read).
    pub fn new(width: u32, height: u32, stride: u32, data: Vec<u8>) -> Result<Self, BitmapError> {
        if width == 0 || height == 0 {
            return Err(BitmapError::Empty);
        }
        if u64::from(stride) < 4 * u64::from(width) {
            return Err(BitmapError::ShortStride { stride, width });
        }
        // The last row needs only its pixels, not its padding (the SDK reads no more).
        // In u64: no overflow on a 32-bit board.
        let need = u64::from(stride) * (u64::from(height) - 1) + 4 * u64::from(width);
        if (data.len() as u64) < need {
            return Err(BitmapError::ShortData {
                have: data.len(),
                need: usize::try_from(need).unwrap_or(usize::MAX),
            });
        }
        Ok(OsdBitmap {
            width,
            height,
            stride,
            data,
        })
    }

    /// Tightly packed pixels, row by row.
    pub fn from_pixels(width: u32, height: u32, pixels: &[u32]) -> Result<Self, BitmapError> {
        let data = pixels.iter().flat_map(|p| p.to_ne_bytes()).collect();
        OsdBitmap::new(width, height, width.saturating_mul(4), data)
    }

    /// One colour everywhere.
    pub fn filled(width: u32, height: u32, argb: u32) -> Result<Self, BitmapError> {
        let n = width as usize * height as usize;
        OsdBitmap::from_pixels(width, height, &vec![argb; n])
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixel at (`x`, `y`), if inside.
    pub fn pixel(&self, x: u32, y: u32) -> Option<u32> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let at = y as usize * self.stride as usize + 4 * x as usize;
        let b = self.data.get(at..at + 4)?;
        Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Sdk {
    pub fn osd_info(&self, vi: u32) -> Result<OsdInfo, SdkError> {
        let mut i = ffi::NVT_OSD_INFO_S::default();
        // SAFETY: `i` is a valid, writable struct of the type the function fills.
        check("NVT_OSD_GetInfo", unsafe {
            ffi::NVT_OSD_GetInfo(vi, &mut i)
        })?;
        Ok(OsdInfo {
            max_regions: i.max_regions,
            max_width: i.max_width,
            max_height: i.max_height,
            align_x: i.align_x,
            align_y: i.align_y,
            alpha_levels: i.alpha_levels,
        })
    }

    /// Shows `bitmap` at (`x`, `y`) as region `id` of source `vi`, at whole-region opacity
    /// `alpha` (multiplied with each pixel's own), replacing what the region showed. A
    /// region the hardware refuses (misaligned, outside the frame) changes nothing.
    pub fn osd_set_region(
        &self,
        vi: u32,
        id: u32,
        x: u32,
        y: u32,
        bitmap: &OsdBitmap,
        alpha: u8,
    ) -> Result<(), SdkError> {
        let region = ffi::NVT_OSD_REGION_S {
            x,
            y,
            width: bitmap.width,
            height: bitmap.height,
            stride: bitmap.stride,
            pixels: bitmap.data.as_ptr(),
            alpha: alpha.into(),
        };
        // SAFETY: `region` lives across the call and its `pixels` points into `bitmap.data`,
        // which OsdBitmap::new checked holds `stride * (height - 1) + 4 * width` bytes, all
        // the SDK reads; the SDK copies them before it returns (nvt_sdk.h).
        check("NVT_OSD_SetRegion", unsafe {
            ffi::NVT_OSD_SetRegion(vi, id, &region)
        })
    }

    /// Hides region `id` of source `vi` (hiding a hidden region is no error).
    pub fn osd_clear_region(&self, vi: u32, id: u32) -> Result<(), SdkError> {
        // SAFETY: plain value arguments.
        check("NVT_OSD_ClearRegion", unsafe {
            ffi::NVT_OSD_ClearRegion(vi, id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bitmap_holds_every_row_it_claims() {
        assert_eq!(OsdBitmap::new(0, 1, 0, vec![]), Err(BitmapError::Empty));
        assert_eq!(
            OsdBitmap::new(4, 2, 12, vec![0; 32]),
            Err(BitmapError::ShortStride {
                stride: 12,
                width: 4
            })
        );
        // Two rows of 4 pixels, stride 20: the last row's padding is not needed.
        assert_eq!(
            OsdBitmap::new(4, 2, 20, vec![0; 35]),
            Err(BitmapError::ShortData { have: 35, need: 36 })
        );
        let b = OsdBitmap::new(4, 2, 20, vec![0; 36]).unwrap();
        assert_eq!((b.width(), b.height()), (4, 2));
        assert!(OsdBitmap::from_pixels(2, 2, &[1, 2, 3]).is_err());
        // A width whose stride would overflow u32 is refused, not wrapped.
        assert!(OsdBitmap::from_pixels(u32::MAX, 1, &[]).is_err());
    }

    #[test]
    fn pixels_read_back_through_the_stride() {
        let b = OsdBitmap::from_pixels(2, 2, &[0xFF00_0000, 0x80FF_FFFF, 1, 2]).unwrap();
        assert_eq!(b.pixel(1, 0), Some(0x80FF_FFFF));
        assert_eq!(b.pixel(0, 1), Some(1));
        assert_eq!(b.pixel(2, 0), None);
        let mut padded = Vec::new();
        padded.extend(7u32.to_ne_bytes());
        padded.extend([0xEE; 4]);
        padded.extend(9u32.to_ne_bytes());
        let b = OsdBitmap::new(1, 2, 8, padded).unwrap();
        assert_eq!((b.pixel(0, 0), b.pixel(0, 1)), (Some(7), Some(9)));
    }

    #[test]
    fn fits_checks_size_and_alignment() {
        let info = OsdInfo {
            max_regions: 8,
            max_width: 64,
            max_height: 32,
            align_x: 16,
            align_y: 2,
            alpha_levels: 256,
        };
        let b = OsdBitmap::filled(32, 8, 0xFFFF_FFFF).unwrap();
        assert!(info.fits(16, 4, &b));
        assert!(!info.fits(8, 4, &b), "x not a multiple of 16");
        assert!(!info.fits(16, 3, &b), "y odd");
        assert!(!info.fits(0, 0, &OsdBitmap::filled(24, 8, 0).unwrap()));
        assert!(!info.fits(0, 0, &OsdBitmap::filled(80, 8, 0).unwrap()));
        let none = OsdInfo {
            max_regions: 0,
            ..info
        };
        assert!(!none.fits(16, 4, &b));
    }
}
