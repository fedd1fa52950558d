//! The picture buffer shared by the sensor, the scaler, the encoders, the snapshot and the
//! motion detector: planar I420 with tightly packed planes (stride = width).

/// A planar YUV 4:2:0 image; width and height are even.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct I420 {
    pub width: usize,
    pub height: usize,
    /// Y plane, then U, then V, each with stride = its width.
    pub data: Vec<u8>,
}

impl I420 {
    pub fn new(width: usize, height: usize) -> I420 {
        debug_assert!(width.is_multiple_of(2) && height.is_multiple_of(2));
        I420 {
            width,
            height,
            data: vec![0; width * height * 3 / 2],
        }
    }

    pub fn luma_len(&self) -> usize {
        self.width * self.height
    }

    pub fn chroma_len(&self) -> usize {
        (self.width / 2) * (self.height / 2)
    }

    pub fn y(&self) -> &[u8] {
        &self.data[..self.luma_len()]
    }

    /// (Y, U, V) planes, mutable.
    pub fn planes_mut(&mut self) -> (&mut [u8], &mut [u8], &mut [u8]) {
        let (l, c) = (self.luma_len(), self.chroma_len());
        let (y, uv) = self.data.split_at_mut(l);
        let (u, v) = uv.split_at_mut(c);
        (y, u, v)
    }

    /// (Y, U, V) planes.
    pub fn planes(&self) -> (&[u8], &[u8], &[u8]) {
        let (l, c) = (self.luma_len(), self.chroma_len());
        let (y, uv) = self.data.split_at(l);
        let (u, v) = uv.split_at(c);
        (y, u, v)
    }
}

/// A picture captured by the sensor at one instant.
#[derive(Debug)]
pub struct Frame {
    pub image: I420,
    /// Capture time on CLOCK_MONOTONIC, microseconds.
    pub pts_us: u64,
    /// Capture time on the wall clock, microseconds since 1970.
    pub utc_us: u64,
    /// Sensor frame number (25 fps periods since NVT_SYS_Init), as burned into the picture.
    pub number: u64,
}
