//! The H.264 encoder of one channel: openh264 configured from NVT_VENC_ATTR_S, producing
//! access units of bare NAL units (the contract's shape).

use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, Profile, QpRange,
    RateControlMode, UsageType,
};
use openh264::formats::YUVSlices;
use openh264::{OpenH264API, Timestamp};

use super::annexb;
use super::frame::I420;
use crate::*;

/// One encoded access unit: NAL units stored back to back in `data`.
#[derive(Debug, Default)]
pub struct EncodedAu {
    pub data: Vec<u8>,
    /// (offset, length, nal_unit_type) per NAL unit.
    pub nals: Vec<(usize, usize, u8)>,
    pub keyframe: bool,
}

impl EncodedAu {
    pub fn push(&mut self, nal: &[u8]) {
        self.nals
            .push((self.data.len(), nal.len(), annexb::nal_type(nal)));
        self.data.extend_from_slice(nal);
    }
}

pub struct H264Encoder {
    encoder: Encoder,
    /// SPS and PPS of the current configuration, repeated before an IDR should the encoder
    /// ever omit them.
    params: Vec<Vec<u8>>,
}

impl H264Encoder {
    pub fn new(attr: &NVT_VENC_ATTR_S) -> Result<H264Encoder, String> {
        // Measured on the simulated scene at 1280x720 (steady state, frame skipping off):
        // openh264's timestamp mode holds the target best (500 -> 498, 2000 -> 2172 kbit/s),
        // so it is CBR. Its bitrate mode overshoots by ~15% (500 -> 573, 2000 -> 2303), and
        // its quality mode ignores the bitrate altogether, so VBR ("bitrate_kbps is the
        // ceiling") is bitrate mode aimed at 4/5 of the ceiling, which lands below it.
        let rc = match attr.rc_mode {
            NVT_RC_MODE_E::NVT_RC_CBR => RateControlMode::Timestamp,
            NVT_RC_MODE_E::NVT_RC_VBR => RateControlMode::Bitrate,
            // openh264's RC_OFF_MODE takes its QP from a parameter the crate does not expose
            // (it always encodes at QP 26), so FIXQP is rate control pinned to [qp, qp].
            NVT_RC_MODE_E::NVT_RC_FIXQP => RateControlMode::Bitrate,
            _ => RateControlMode::Bitrate,
        };
        let profile = match attr.profile {
            NVT_H264_PROFILE_E::NVT_H264_PROFILE_MAIN => Profile::Main,
            NVT_H264_PROFILE_E::NVT_H264_PROFILE_HIGH => Profile::High,
            _ => Profile::Baseline,
        };
        let qp = if attr.rc_mode == NVT_RC_MODE_E::NVT_RC_FIXQP {
            QpRange::new(attr.qp as u8, attr.qp as u8)
        } else {
            // The whole range: without frame skipping, QP is rate control's only lever.
            QpRange::new(12, 51)
        };
        // FIXQP ignores bitrate_kbps (it may be anything); give the pinned rate control a
        // ceiling it never reaches.
        let bps = match attr.rc_mode {
            NVT_RC_MODE_E::NVT_RC_FIXQP => 20_000_000,
            NVT_RC_MODE_E::NVT_RC_VBR => attr.bitrate_kbps * 800,
            _ => attr.bitrate_kbps * 1000,
        };
        let config = EncoderConfig::new()
            .usage_type(UsageType::CameraVideoRealTime)
            // Every sensor frame must come out: the contract's pts spacing is 1/fps.
            .skip_frames(false)
            .bitrate(BitRate::from_bps(bps))
            .max_frame_rate(FrameRate::from_hz(attr.fps as f32))
            .rate_control_mode(rc)
            .intra_frame_period(IntraFramePeriod::from_num_frames(attr.gop))
            .profile(profile)
            .complexity(Complexity::Low)
            .qp(qp)
            .num_threads(1);
        let mut encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| format!("openh264: {e}"))?;
        // openh264 warns on stderr, at every (re)configuration, that skip-frame off limits
        // its rate control; that is our deliberate choice (every frame must come out), so
        // silence its log before the first encode configures it.
        let mut quiet: std::ffi::c_int = 0; // WELS_LOG_QUIET
        // SAFETY: the encoder instance exists (created above); ENCODER_OPTION_TRACE_LEVEL
        // (25 in codec_app_def.h) reads one int through the pointer, which is valid for
        // the duration of the call. It changes logging only, nothing the crate relies on.
        unsafe {
            encoder
                .raw_api()
                .set_option(25 as _, (&raw mut quiet).cast());
        }
        Ok(H264Encoder {
            encoder,
            params: Vec::new(),
        })
    }

    /// Encodes one picture captured at `pts_us` (the timestamp drives CBR's rate control).
    pub fn encode(
        &mut self,
        img: &I420,
        pts_us: u64,
        force_idr: bool,
    ) -> Result<EncodedAu, String> {
        if force_idr {
            self.encoder.force_intra_frame();
        }
        let (y, u, v) = img.planes();
        let (w, h) = (img.width, img.height);
        let src = YUVSlices::new((y, u, v), (w, h), (w, w / 2, w / 2));
        let ts = Timestamp::from_millis(pts_us / 1000);
        let bs = self
            .encoder
            .encode_at(&src, ts)
            .map_err(|e| format!("openh264: {e}"))?;
        let mut raw = Vec::new();
        bs.write_vec(&mut raw);
        let nals = annexb::split(&raw);
        let keyframe = nals.iter().any(|n| annexb::nal_type(n) == 5);
        let mut au = EncodedAu {
            keyframe,
            ..Default::default()
        };
        let has_params = nals.iter().any(|n| annexb::nal_type(n) == 7);
        if has_params {
            self.params = nals
                .iter()
                .filter(|n| matches!(annexb::nal_type(n), 7 | 8))
                .map(|n| n.to_vec())
                .collect();
        } else if keyframe {
            for p in &self.params {
                au.push(p);
            }
        }
        for n in nals {
            au.push(n);
        }
        Ok(au)
    }
}
