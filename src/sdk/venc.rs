//! Encoder channels: capabilities, attributes and the channel handle.

use sdk_sys as ffi;
use serde::{Deserialize, Serialize};

use super::{Sdk, SdkError, check};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Codec {
    H264,
    H265,
    Mjpeg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RateControl {
    /// Constant bitrate: the bitrate is the target.
    Cbr,
    /// Variable bitrate: the bitrate is a ceiling.
    Vbr,
    /// Constant quantiser.
    FixQp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum H264Profile {
    Baseline,
    Main,
    High,
}

/// What an encoder channel produces (`NVT_VENC_ATTR_S`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderAttr {
    pub vi: u32,
    pub codec: Codec,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub rc: RateControl,
    pub bitrate_kbps: u32,
    pub gop: u32,
    pub profile: H264Profile,
    pub qp: u32,
}

/// What the encoder hardware can do (`NVT_VENC_CAPS_S`). The camera core checks changes
/// against it and ONVIF options are built from it (`camera::caps`), so clients are offered
/// exactly what encodes; a value outside it that still reaches the SDK gets the SDK's own
/// error (`NVT_ERR_INVALID_ARG`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncoderCaps {
    pub codecs: Vec<Codec>,
    pub h264_profiles: Vec<H264Profile>,
    pub(crate) rc_modes: Vec<RateControl>,
    /// Largest first.
    pub resolutions: Vec<(u32, u32)>,
    pub(crate) fps: (u32, u32),
    pub(crate) bitrate_kbps: (u32, u32),
    pub(crate) gop: (u32, u32),
    pub(crate) qp: (u32, u32),
}

fn bits<T: Copy>(mask: u32, all: &[(u32, T)]) -> Vec<T> {
    all.iter()
        .filter(|(bit, _)| mask & (1 << bit) != 0)
        .map(|&(_, v)| v)
        .collect()
}

const CODECS: [(u32, Codec); 3] = [
    (ffi::NVT_CODEC_E::NVT_CODEC_H264.0, Codec::H264),
    (ffi::NVT_CODEC_E::NVT_CODEC_H265.0, Codec::H265),
    (ffi::NVT_CODEC_E::NVT_CODEC_MJPEG.0, Codec::Mjpeg),
];
const PROFILES: [(u32, H264Profile); 3] = [
    (
        ffi::NVT_H264_PROFILE_E::NVT_H264_PROFILE_BASELINE.0,
        H264Profile::Baseline,
    ),
    (
        ffi::NVT_H264_PROFILE_E::NVT_H264_PROFILE_MAIN.0,
        H264Profile::Main,
    ),
    (
        ffi::NVT_H264_PROFILE_E::NVT_H264_PROFILE_HIGH.0,
        H264Profile::High,
    ),
];
const RC_MODES: [(u32, RateControl); 3] = [
    (ffi::NVT_RC_MODE_E::NVT_RC_CBR.0, RateControl::Cbr),
    (ffi::NVT_RC_MODE_E::NVT_RC_VBR.0, RateControl::Vbr),
    (ffi::NVT_RC_MODE_E::NVT_RC_FIXQP.0, RateControl::FixQp),
];

fn to_raw<T: PartialEq + Copy>(all: &[(u32, T)], v: T) -> u32 {
    all.iter()
        .find(|(_, x)| *x == v)
        .map(|&(raw, _)| raw)
        .expect("every variant is listed")
}

fn from_raw<T: Copy>(call: &'static str, all: &[(u32, T)], raw: u32) -> Result<T, SdkError> {
    all.iter()
        .find(|(r, _)| *r == raw)
        .map(|&(_, v)| v)
        .ok_or_else(|| SdkError::with_code(call, super::ErrorCode::Other(raw as i32)))
}

impl EncoderAttr {
    fn to_ffi(self) -> ffi::NVT_VENC_ATTR_S {
        ffi::NVT_VENC_ATTR_S {
            vi: self.vi,
            codec: ffi::NVT_CODEC_E(to_raw(&CODECS, self.codec)),
            width: self.width,
            height: self.height,
            fps: self.fps,
            rc_mode: ffi::NVT_RC_MODE_E(to_raw(&RC_MODES, self.rc)),
            bitrate_kbps: self.bitrate_kbps,
            gop: self.gop,
            profile: ffi::NVT_H264_PROFILE_E(to_raw(&PROFILES, self.profile)),
            qp: self.qp,
        }
    }

    fn from_ffi(a: &ffi::NVT_VENC_ATTR_S) -> Result<EncoderAttr, SdkError> {
        const CALL: &str = "NVT_VENC_GetAttr";
        Ok(EncoderAttr {
            vi: a.vi,
            codec: from_raw(CALL, &CODECS, a.codec.0)?,
            width: a.width,
            height: a.height,
            fps: a.fps,
            rc: from_raw(CALL, &RC_MODES, a.rc_mode.0)?,
            bitrate_kbps: a.bitrate_kbps,
            gop: a.gop,
            profile: from_raw(CALL, &PROFILES, a.profile.0)?,
            qp: a.qp,
        })
    }
}

impl Sdk {
    pub fn encoder_caps(&self) -> Result<EncoderCaps, SdkError> {
        let mut c = ffi::NVT_VENC_CAPS_S::default();
        // SAFETY: `c` is a valid, writable struct of the type the function fills.
        check("NVT_VENC_GetCaps", unsafe { ffi::NVT_VENC_GetCaps(&mut c) })?;
        let n = (c.resolution_count as usize).min(c.resolutions.len());
        Ok(EncoderCaps {
            codecs: bits(c.codecs, &CODECS),
            h264_profiles: bits(c.h264_profiles, &PROFILES),
            rc_modes: bits(c.rc_modes, &RC_MODES),
            resolutions: c.resolutions[..n]
                .iter()
                .map(|r| (r.width, r.height))
                .collect(),
            fps: (c.fps_min, c.fps_max),
            bitrate_kbps: (c.bitrate_min_kbps, c.bitrate_max_kbps),
            gop: (c.gop_min, c.gop_max),
            qp: (c.qp_min, c.qp_max),
        })
    }

    /// Creates encoder channel `chn`. It encodes nothing until a [`super::Capture`] starts it.
    pub fn create_encoder(&self, chn: u32, attr: &EncoderAttr) -> Result<EncoderChannel, SdkError> {
        let raw = attr.to_ffi();
        // SAFETY: `raw` is a valid attribute struct that lives across the call.
        check("NVT_VENC_CreateChn", unsafe {
            ffi::NVT_VENC_CreateChn(chn, &raw)
        })?;
        Ok(EncoderChannel {
            sdk: self.clone(),
            chn,
        })
    }
}

/// An encoder channel; destroyed when dropped.
#[derive(Debug)]
pub struct EncoderChannel {
    pub(super) sdk: Sdk,
    pub(super) chn: u32,
}

impl EncoderChannel {
    pub fn id(&self) -> u32 {
        self.chn
    }

    pub fn attr(&self) -> Result<EncoderAttr, SdkError> {
        let mut a = ffi::NVT_VENC_ATTR_S::default();
        // SAFETY: `a` is a valid, writable struct of the type the function fills.
        check("NVT_VENC_GetAttr", unsafe {
            ffi::NVT_VENC_GetAttr(self.chn, &mut a)
        })?;
        EncoderAttr::from_ffi(&a)
    }

    /// Applies new attributes at once (the next frame is an IDR with the new SPS/PPS).
    pub fn set_attr(&self, attr: &EncoderAttr) -> Result<(), SdkError> {
        let raw = attr.to_ffi();
        // SAFETY: `raw` is a valid attribute struct that lives across the call.
        check("NVT_VENC_SetAttr", unsafe {
            ffi::NVT_VENC_SetAttr(self.chn, &raw)
        })
    }

    /// Makes the next frame an IDR.
    pub(crate) fn request_idr(&self) -> Result<(), SdkError> {
        // SAFETY: plain value arguments.
        check("NVT_VENC_RequestIDR", unsafe {
            ffi::NVT_VENC_RequestIDR(self.chn)
        })
    }

    pub fn sdk(&self) -> &Sdk {
        &self.sdk
    }
}

impl Drop for EncoderChannel {
    fn drop(&mut self) {
        // SAFETY: plain value argument; the channel exists (we created it) and any capture
        // thread on it has been joined (a `Capture` borrows the channel through an Arc).
        let rc = unsafe { ffi::NVT_VENC_DestroyChn(self.chn) };
        if rc != 0 {
            tracing::warn!(chn = self.chn, error = %SdkError::new("NVT_VENC_DestroyChn", rc), "destroy failed");
        }
    }
}
