//! A V4L2 capture device (a USB webcam, a Raspberry Pi camera through its ISP node, the
//! kernel's `vivid` test driver) as the video source of the software SoC: the device gives
//! the pictures, the simulator's own encoder, scaler, JPEG snapshot and motion detector do
//! the rest, and the ISP settings drive the device's controls. Chosen at run time by the
//! board option `source=v4l2:/dev/videoN` (see sdk-sys/README.md); one module per idea:
//!
//! - `device`: the ioctls and mmap streaming I/O (the only `unsafe` here)
//! - `mode`: choosing format, size and rate from what the device enumerates
//! - `convert`: YUYV / NV12 / YU12 into I420
//! - `controls`: ISP settings onto the device's controls, with their real ranges
//! - `camera`: the capture thread, the latest picture, recovery from a lost device
//! - `m2m`: streaming I/O on a memory-to-memory device (two queues)
//! - `encoder`: a stateful hardware encoder (the Pi's bcm2835-codec): finding it, what it
//!   offers, encoding through it

pub mod camera;
pub mod controls;
pub mod convert;
pub mod device;
pub mod encoder;
pub mod m2m;
pub mod mode;

pub use camera::Camera;
