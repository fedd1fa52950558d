//! Where video source 0's pictures come from: the rendered test pattern (`sensor.rs`), which
//! renders a picture for any instant asked, or a V4L2 capture device (`crate::v4l2`), which
//! delivers at its own pace. Everything downstream (encoder channels, snapshots, motion)
//! asks the scene, so the two behave alike through the contract: the same caps rules, the
//! same ISP calls, the same frames.

use std::sync::Arc;
#[cfg(all(feature = "v4l2", target_os = "linux"))]
use std::time::Duration;

use super::clock::Clock;
use super::frame::Frame;
use super::isp;
use super::sensor::{self, Sensor};
use crate::*;

#[derive(Clone)]
pub enum Scene {
    Pattern(Arc<Sensor>),
    #[cfg(all(feature = "v4l2", target_os = "linux"))]
    Device(Arc<crate::v4l2::Camera>),
}

/// Encoder sizes offered for a source of `width` x `height` other than the pattern's: the
/// source size and fractions of it (3/4, 2/3, 1/2, 1/3, 1/4), even, at least 16x16.
pub fn derived_resolutions(width: u32, height: u32) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (num, den) in [(1, 1), (3, 4), (2, 3), (1, 2), (1, 3), (1, 4)] {
        let (w, h) = ((width * num / den) & !1, (height * num / den) & !1);
        if w >= 16 && h >= 16 && !out.contains(&(w, h)) {
            out.push((w, h));
        }
    }
    out
}

impl Scene {
    /// The simulated sensor: its lens has the simulated focus motor, its chip the simulator's
    /// model name.
    pub fn is_pattern(&self) -> bool {
        matches!(self, Scene::Pattern(_))
    }

    /// The sensor name NVT_VI_GetInfo reports.
    pub fn name(&self) -> String {
        match self {
            Scene::Pattern(_) => sensor::NAME.to_string(),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.name().to_string(),
        }
    }

    pub fn size(&self) -> (u32, u32) {
        match self {
            Scene::Pattern(s) => (s.width(), s.height()),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => (c.mode().width, c.mode().height),
        }
    }

    pub fn max_fps(&self) -> u32 {
        match self {
            Scene::Pattern(_) => sensor::MAX_FPS,
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.mode().fps,
        }
    }

    /// Encoder sizes, largest first.
    pub fn resolutions(&self) -> Vec<(u32, u32)> {
        match self {
            Scene::Pattern(_) => super::venc::RESOLUTIONS.to_vec(),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => derived_resolutions(c.mode().width, c.mode().height),
        }
    }

    pub fn clock(&self) -> &Clock {
        match self {
            Scene::Pattern(s) => s.clock(),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.clock(),
        }
    }

    /// The picture for a consumer sampling at its own instant `t` (motion detection): the
    /// pattern renders that instant; a device gives its first frame newer than number
    /// `after` (the consumer's last), waiting for it a little, so two samples never compare
    /// a frame with itself (None while the device is away).
    pub fn picture_at(&self, t: u64, after: u64) -> Option<Arc<Frame>> {
        match self {
            Scene::Pattern(s) => {
                let _ = after;
                Some(s.capture(t))
            }
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.wait_newer(after, Duration::from_millis(500)),
        }
    }

    /// The latest picture, for a snapshot (None while a device is lost).
    pub fn latest(&self) -> Option<Arc<Frame>> {
        match self {
            Scene::Pattern(s) => Some(s.capture(s.latest_instant())),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.latest(),
        }
    }

    pub fn isp_range(&self) -> NVT_ISP_RANGE_S {
        match self {
            Scene::Pattern(_) => isp::range(),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.isp_range(),
        }
    }

    pub fn isp_attr(&self) -> NVT_ISP_ATTR_S {
        match self {
            Scene::Pattern(s) => s.isp_attr(),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.isp_attr(),
        }
    }

    /// Validates and applies ISP settings: INVALID_ARG for a value out of range, HW if the
    /// device refused a control.
    pub fn set_isp_attr(&self, attr: NVT_ISP_ATTR_S) -> Result<(), i32> {
        match self {
            Scene::Pattern(s) => {
                if !isp::validate(&attr) {
                    return Err(NVT_ERR_INVALID_ARG);
                }
                s.set_isp_attr(attr);
                Ok(())
            }
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.set_isp_attr(attr),
        }
    }

    /// Stops a device's capture thread.
    pub fn stop(&self) {
        match self {
            Scene::Pattern(_) => {}
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            Scene::Device(c) => c.stop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_sizes_are_even_fractions_of_the_source() {
        assert_eq!(
            derived_resolutions(640, 480),
            vec![
                (640, 480),
                (480, 360),
                (426, 320),
                (320, 240),
                (212, 160),
                (160, 120)
            ]
        );
        assert_eq!(
            derived_resolutions(1280, 720)[..4],
            [(1280, 720), (960, 540), (852, 480), (640, 360)]
        );
        assert_eq!(
            derived_resolutions(32, 32),
            vec![(32, 32), (24, 24), (20, 20), (16, 16)]
        );
    }
}
