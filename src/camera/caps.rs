//! What the hardware can do, and the one check of a configuration against it.
//!
//! The SDK reports its encoder caps, sensors and ISP ranges once at start ([`Facts`]). From
//! them come, in one place:
//! - what Media and Imaging offer clients (GetVideoEncoderConfigurationOptions from
//!   [`EncoderLimits`], GetOptions from the [`IspRange`]);
//! - the check a change is planned against (`camera::change::plan`) and the stored settings
//!   are checked against at start ([`EncoderLimits::check`], [`check_isp`]).
//!
//! The PTZ head of each source is read the same way ([`ptz_head`]): its ranges are what the
//! PTZ service's spaces map onto and what a stored position (preset, home) is checked
//! against ([`check_ptz_position`]).
//!
//! So a client is offered exactly what is accepted, and nothing downstream (the SDK wrapper,
//! the settings validation) repeats these rules: the settings validation keeps the rules of
//! the model itself (tokens, references, non-zero numbers), which hold on any hardware.

use crate::sdk::{
    AudioOutCaps, Codec, EncoderCaps, GpioInfo, H264Profile, IspAttr, IspRange, OsdInfo, PtzInfo,
    PtzVector, RateControl, VideoSourceInfo,
};
use crate::settings::{PtzPosition, VideoEncoderConfig};

use super::audio_limits::AudioLimits;

/// What the hardware can do: the facts a change is validated against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts<'a> {
    pub(crate) caps: &'a EncoderCaps,
    pub(crate) sources: &'a [VideoSourceInfo],
    pub(crate) isp_ranges: &'a [IspRange],
    /// The PTZ head of each video source ([`ptz_head`]); None: the source has none.
    pub(crate) ptz: &'a [Option<PtzInfo>],
    /// The overlay unit of each video source (a source past the list has none).
    pub(crate) osd: &'a [OsdInfo],
    /// The board's relays and digital inputs (`NVT_GPIO_GetInfo`; none: counts 0).
    pub(crate) gpio: GpioInfo,
    /// The board's speakers (`NVT_AO_GetCaps`; none: outputs 0).
    pub(crate) speaker: AudioOutCaps,
    /// What the microphone allows (`camera::audio_limits`; none: `NO_AUDIO`).
    pub(crate) audio: &'a AudioLimits,
}

impl<'a> Facts<'a> {
    /// The PTZ head of video source `vi`, if it has one.
    pub(crate) fn ptz(&self, vi: u32) -> Option<&'a PtzInfo> {
        self.ptz.get(vi as usize).and_then(Option::as_ref)
    }

    /// The overlay unit of video source `vi`: no regions when it has none.
    pub(crate) fn osd(&self, vi: u32) -> OsdInfo {
        self.osd.get(vi as usize).copied().unwrap_or(NO_OSD)
    }

    /// What an encoder fed by video source `vi` can do; None for a source that does not
    /// exist.
    pub(crate) fn encoder_limits(&self, vi: u32) -> Option<EncoderLimits> {
        let source = self.sources.get(vi as usize)?;
        Some(EncoderLimits::new(self.caps, source))
    }
}

/// A source without an overlay unit (or whose SDK cannot say).
pub(crate) const NO_OSD: OsdInfo = OsdInfo {
    max_regions: 0,
    max_width: 0,
    max_height: 0,
    align_x: 1,
    align_y: 1,
    alpha_levels: 256,
};

/// ONVIF Quality range (0 worst .. 10 best), mapped onto the SDK's quantiser range.
pub(crate) const QUALITY_RANGE: (u32, u32) = (0, 10);

/// Resolutions the encoder can produce from this source: the SDK's list, without sizes
/// larger than the sensor (an encoder does not upscale).
pub fn resolutions(caps: &EncoderCaps, source: &VideoSourceInfo) -> Vec<(u32, u32)> {
    caps.resolutions
        .iter()
        .copied()
        .filter(|&(w, h)| w <= source.width && h <= source.height)
        .collect()
}

/// Frame rates the encoder can produce from this source.
pub(crate) fn frame_rates(caps: &EncoderCaps, source: &VideoSourceInfo) -> (u32, u32) {
    let max = caps.fps.1.min(source.max_fps.max(caps.fps.0));
    (caps.fps.0, max)
}

/// What one encoder configuration may hold on this hardware, from one video source: the
/// options Media reports and the rules a change is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EncoderLimits {
    /// The SDK encodes H.264 (the only codec the RTSP server packetizes: another SDK codec
    /// is not streamable, so none is offered).
    pub(crate) h264: bool,
    /// Largest first.
    pub(crate) resolutions: Vec<(u32, u32)>,
    pub(crate) fps: (u32, u32),
    pub(crate) bitrate_kbps: (u32, u32),
    pub(crate) gop: (u32, u32),
    pub(crate) h264_profiles: Vec<H264Profile>,
    pub(crate) rc_modes: Vec<RateControl>,
    pub(crate) quality: (u32, u32),
}

impl EncoderLimits {
    pub(crate) fn new(caps: &EncoderCaps, source: &VideoSourceInfo) -> EncoderLimits {
        EncoderLimits {
            h264: caps.codecs.contains(&Codec::H264),
            resolutions: resolutions(caps, source),
            fps: frame_rates(caps, source),
            bitrate_kbps: caps.bitrate_kbps,
            gop: caps.gop,
            h264_profiles: caps.h264_profiles.clone(),
            rc_modes: caps.rc_modes.clone(),
            quality: QUALITY_RANGE,
        }
    }

    /// Whether a (fractional) ONVIF Quality is within [`Self::quality`].
    pub(crate) fn check_quality(&self, q: f32) -> Result<(), String> {
        let (lo, hi) = self.quality;
        if !q.is_finite() || q < lo as f32 || q > hi as f32 {
            return Err(format!("quality {q} outside {lo}..={hi}"));
        }
        Ok(())
    }

    /// The one check of an encoder configuration against the hardware, naming the first
    /// offending value.
    pub(crate) fn check(&self, c: &VideoEncoderConfig) -> Result<(), String> {
        let within = |v: u32, (lo, hi): (u32, u32)| v >= lo && v <= hi;
        if !self.h264 {
            return Err("the encoder has no H.264".into());
        }
        if !self.resolutions.contains(&(c.width, c.height)) {
            return Err(format!(
                "resolution {}x{} is not supported",
                c.width, c.height
            ));
        }
        if !within(c.fps, self.fps) {
            return Err(format!(
                "frame rate {} outside {}..={}",
                c.fps, self.fps.0, self.fps.1
            ));
        }
        if !within(c.bitrate_kbps, self.bitrate_kbps) {
            return Err(format!(
                "bitrate {} kb/s outside {}..={}",
                c.bitrate_kbps, self.bitrate_kbps.0, self.bitrate_kbps.1
            ));
        }
        if !within(c.gop, self.gop) {
            return Err(format!(
                "GOV length {} outside {}..={}",
                c.gop, self.gop.0, self.gop.1
            ));
        }
        if !self.h264_profiles.contains(&c.h264_profile) {
            return Err(format!(
                "H.264 profile {:?} is not supported",
                c.h264_profile
            ));
        }
        if !self.rc_modes.contains(&c.rate_control) {
            return Err(format!(
                "rate control {:?} is not supported",
                c.rate_control
            ));
        }
        if !within(c.quality, self.quality) {
            return Err(format!(
                "quality {} outside {}..={}",
                c.quality, self.quality.0, self.quality.1
            ));
        }
        Ok(())
    }

    /// `c` made to fit: a size the hardware lacks becomes the largest it has that is no
    /// larger (else its smallest), numbers are clamped to their ranges, a profile or rate
    /// control it lacks becomes its first. What already fits is left as it is.
    pub(crate) fn fit(&self, c: &VideoEncoderConfig) -> VideoEncoderConfig {
        let clamp = |v: u32, (lo, hi): (u32, u32)| v.clamp(lo, hi.max(lo));
        let mut cfg = c.clone();
        let area = cfg.width * cfg.height;
        if !self.resolutions.contains(&(cfg.width, cfg.height))
            && let Some(&(w, h)) = self
                .resolutions
                .iter()
                .find(|(w, h)| w * h <= area)
                .or(self.resolutions.last())
        {
            (cfg.width, cfg.height) = (w, h);
        }
        cfg.fps = clamp(cfg.fps, self.fps);
        cfg.bitrate_kbps = clamp(cfg.bitrate_kbps, self.bitrate_kbps);
        cfg.gop = clamp(cfg.gop, self.gop);
        cfg.quality = clamp(cfg.quality, self.quality);
        if !self.h264_profiles.contains(&cfg.h264_profile)
            && let Some(&p) = self.h264_profiles.first()
        {
            cfg.h264_profile = p;
        }
        if !self.rc_modes.contains(&cfg.rate_control)
            && let Some(&rc) = self.rc_modes.first()
        {
            cfg.rate_control = rc;
        }
        cfg
    }
}

/// The PTZ head the SDK reports for a video source (`NVT_PTZ_GetInfo`), if nvt can drive it;
/// else why not: not supported, no axis group, or an empty range or no top speed on an axis
/// it has (a port bug: better no PTZ than a head every move of which is refused). Its ranges
/// are in the SDK's units: pan and tilt in 1/100 degree, zoom in 1/100 x.
pub(crate) fn ptz_head(i: PtzInfo) -> Result<PtzInfo, String> {
    if !i.supported {
        return Err("no PTZ head".into());
    }
    if i.axes.is_empty() {
        return Err("the PTZ head reports no axis".into());
    }
    for (name, axis) in ptz_axes(&i) {
        let (lo, hi, speed) = (axis(&i.min), axis(&i.max), axis(&i.speed_max));
        if lo > hi || speed <= 0 {
            return Err(format!(
                "the PTZ head reports {name} range {lo}..={hi} at top speed {speed}"
            ));
        }
    }
    Ok(i)
}

/// An axis of a head: its name, and that axis of a vector.
type Axis = (&'static str, fn(&PtzVector) -> i32);

/// The axes a head has.
fn ptz_axes(i: &PtzInfo) -> impl Iterator<Item = Axis> {
    const PAN_TILT: [Axis; 2] = [("pan", |v| v.pan), ("tilt", |v| v.tilt)];
    const ZOOM: [Axis; 1] = [("zoom", |v| v.zoom)];
    let pan_tilt = if i.axes.pan_tilt { &PAN_TILT[..] } else { &[] };
    let zoom = if i.axes.zoom { &ZOOM[..] } else { &[] };
    pan_tilt.iter().chain(zoom).copied()
}

/// The one check of a stored position (a preset, a home) against a head's ranges, naming the
/// first axis outside. An axis group the head lacks is not looked at.
pub(crate) fn check_ptz_position(i: &PtzInfo, p: PtzPosition) -> Result<(), String> {
    let p = PtzVector::from(p);
    for (name, axis) in ptz_axes(i) {
        let (v, lo, hi) = (axis(&p), axis(&i.min), axis(&i.max));
        if v < lo || v > hi {
            return Err(format!("{name} {v} outside {lo}..={hi}"));
        }
    }
    Ok(())
}

/// The one check of ISP settings against a video source's ranges, naming the first
/// offending field.
pub(crate) fn check_isp(r: &IspRange, a: &IspAttr) -> Result<(), String> {
    let levels = [
        ("brightness", a.brightness, r.brightness),
        ("contrast", a.contrast, r.contrast),
        ("saturation", a.saturation, r.saturation),
        ("sharpness", a.sharpness, r.sharpness),
        ("backlight level", a.backlight_level, r.backlight_level),
        ("WDR level", a.wdr_level, r.wdr_level),
        ("exposure time", a.exposure_time_us, r.exposure_time_us),
        ("gain", a.gain, r.gain),
        ("white balance Cr gain", a.wb_cr_gain, r.wb_cr_gain),
        ("white balance Cb gain", a.wb_cb_gain, r.wb_cb_gain),
    ];
    for (name, v, range) in levels {
        if !range.contains(v) {
            return Err(format!("{name} {v} outside {}..={}", range.min, range.max));
        }
    }
    // A feature with no mode at all (a webcam has no IR cut filter) is absent: its field
    // is not looked at.
    if !r.ircut_modes.is_empty() && !r.ircut_modes.contains(&a.ircut) {
        return Err(format!("IR cut filter mode {:?} is not supported", a.ircut));
    }
    if a.backlight && !r.has_backlight {
        return Err("backlight compensation is not supported".into());
    }
    if a.wdr && !r.has_wdr {
        return Err("wide dynamic range is not supported".into());
    }
    if !r.exposure_modes.is_empty() && !r.exposure_modes.contains(&a.exposure_mode) {
        return Err(format!(
            "exposure mode {:?} is not supported",
            a.exposure_mode
        ));
    }
    if !r.wb_modes.is_empty() && !r.wb_modes.contains(&a.wb_mode) {
        return Err(format!(
            "white balance mode {:?} is not supported",
            a.wb_mode
        ));
    }
    Ok(())
}
