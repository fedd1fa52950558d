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
        Ok(assemble(&raw, &mut self.params))
    }
}

/// One encoder's Annex B output for one picture as an access unit: the parameter sets are
/// remembered whenever they come, and put before a key frame that lacks them, so every IDR
/// a viewer may start at is decodable on its own.
fn assemble(raw: &[u8], params: &mut Vec<Vec<u8>>) -> EncodedAu {
    let nals = annexb::split(raw);
    let keyframe = nals.iter().any(|n| annexb::nal_type(n) == 5);
    let mut au = EncodedAu {
        keyframe,
        ..Default::default()
    };
    let has_params = nals.iter().any(|n| annexb::nal_type(n) == 7);
    if has_params {
        *params = nals
            .iter()
            .filter(|n| matches!(annexb::nal_type(n), 7 | 8))
            .map(|n| n.to_vec())
            .collect();
    } else if keyframe {
        for p in params.iter() {
            au.push(p);
        }
    }
    for n in nals {
        au.push(n);
    }
    au
}

/// Whether an access unit holds a picture (a VCL NAL unit, types 1-5): some hardware
/// encoders hand out the parameter sets alone in a buffer of their own first.
#[cfg_attr(not(all(feature = "v4l2", target_os = "linux")), allow(dead_code))]
fn has_picture(au: &EncodedAu) -> bool {
    au.nals.iter().any(|&(_, _, t)| (1..=5).contains(&t))
}

/// H.264 from a V4L2 hardware encoder (`crate::v4l2::encoder`) configured from
/// NVT_VENC_ATTR_S: each coded buffer is one access unit, with the picture's own pts (the
/// driver copies the timestamp through).
#[cfg(all(feature = "v4l2", target_os = "linux"))]
pub struct HwH264 {
    encoder: crate::v4l2::encoder::Encoder,
    params: Vec<Vec<u8>>,
}

#[cfg(all(feature = "v4l2", target_os = "linux"))]
impl HwH264 {
    /// The encoder settings for `attr`, in the V4L2 controls' terms; the profile menu value
    /// is the one `probe` has (constrained baseline is what "baseline" means to a camera
    /// client, and what openh264 writes too).
    pub fn config(
        attr: &NVT_VENC_ATTR_S,
        probe: &crate::v4l2::encoder::Probe,
    ) -> crate::v4l2::encoder::Config {
        use crate::v4l2::encoder::{RC_CBR, RC_VBR};
        // v4l2-controls.h, enum v4l2_mpeg_video_h264_profile.
        const CONSTRAINED_BASELINE: i32 = 1;
        const BASELINE: i32 = 0;
        const MAIN: i32 = 2;
        const HIGH: i32 = 4;
        let profile = match attr.profile {
            NVT_H264_PROFILE_E::NVT_H264_PROFILE_MAIN => MAIN,
            NVT_H264_PROFILE_E::NVT_H264_PROFILE_HIGH => HIGH,
            _ if probe.profiles.contains(&CONSTRAINED_BASELINE) => CONSTRAINED_BASELINE,
            _ => BASELINE,
        };
        let fixqp = attr.rc_mode == NVT_RC_MODE_E::NVT_RC_FIXQP;
        crate::v4l2::encoder::Config {
            width: attr.width,
            height: attr.height,
            fps: attr.fps,
            rc_mode: match attr.rc_mode {
                NVT_RC_MODE_E::NVT_RC_CBR => Some(RC_CBR),
                NVT_RC_MODE_E::NVT_RC_VBR => Some(RC_VBR),
                _ => None,
            },
            // VBR's bitrate_kbps is a ceiling: aim below it, as the software encoder does.
            bitrate_bps: match attr.rc_mode {
                NVT_RC_MODE_E::NVT_RC_VBR => Some((attr.bitrate_kbps * 800) as i32),
                _ if fixqp => None,
                _ => Some((attr.bitrate_kbps * 1000) as i32),
            },
            gop: Some(attr.gop as i32),
            profile: Some(profile),
            qp: fixqp.then_some(attr.qp as i32),
        }
    }

    pub fn new(
        attr: &NVT_VENC_ATTR_S,
        probe: &crate::v4l2::encoder::Probe,
    ) -> Result<HwH264, String> {
        let encoder = crate::v4l2::encoder::Encoder::open(probe, &Self::config(attr, probe))
            .map_err(|e| format!("{}: {e}", probe.path.display()))?;
        Ok(HwH264 {
            encoder,
            params: Vec::new(),
        })
    }

    /// Whether a key frame can be asked for; if not, the caller restarts the encoder (a
    /// stateful encoder starts with one).
    pub fn can_force_key(&self) -> bool {
        self.encoder.can_force_key()
    }

    /// Encodes one picture; returns the access units that came out, each with its pts.
    pub fn encode(
        &mut self,
        img: &I420,
        pts_us: u64,
        force_idr: bool,
    ) -> Result<Vec<(u64, EncodedAu)>, String> {
        let coded = self
            .encoder
            .encode(img, pts_us, force_idr)
            .map_err(|e| e.to_string())?;
        Ok(coded
            .into_iter()
            .map(|c| (c.timestamp_us, assemble(&c.bytes, &mut self.params)))
            .filter(|(_, au)| has_picture(au))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annexb(nals: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for n in nals {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(n);
        }
        out
    }

    /// The attributes the daemon sets, in the hardware encoder's control terms
    /// (bcm2835-codec's menus and ranges, as its driver declares them).
    #[cfg(all(feature = "v4l2", target_os = "linux"))]
    #[test]
    fn attributes_become_the_hardware_encoders_controls() {
        use crate::v4l2::encoder::{Probe, RC_CBR, RC_VBR, bcm2835_probe};
        let probe = bcm2835_probe();
        let attr = NVT_VENC_ATTR_S {
            vi: 0,
            codec: NVT_CODEC_E::NVT_CODEC_H264,
            width: 1280,
            height: 720,
            fps: 25,
            rc_mode: NVT_RC_MODE_E::NVT_RC_CBR,
            bitrate_kbps: 2000,
            gop: 50,
            profile: NVT_H264_PROFILE_E::NVT_H264_PROFILE_HIGH,
            qp: 26,
        };
        let c = HwH264::config(&attr, &probe);
        assert_eq!((c.width, c.height, c.fps), (1280, 720, 25));
        assert_eq!((c.rc_mode, c.bitrate_bps), (Some(RC_CBR), Some(2_000_000)));
        assert_eq!((c.gop, c.profile, c.qp), (Some(50), Some(4), None));
        assert_eq!(probe.refuses(&c), None);
        // VBR aims at 4/5 of the ceiling, as openh264 does.
        let vbr = NVT_VENC_ATTR_S {
            rc_mode: NVT_RC_MODE_E::NVT_RC_VBR,
            ..attr
        };
        let c = HwH264::config(&vbr, &probe);
        assert_eq!((c.rc_mode, c.bitrate_bps), (Some(RC_VBR), Some(1_600_000)));
        // FIXQP pins the QP and sets no bitrate.
        let fixqp = NVT_VENC_ATTR_S {
            rc_mode: NVT_RC_MODE_E::NVT_RC_FIXQP,
            ..attr
        };
        let c = HwH264::config(&fixqp, &probe);
        assert_eq!((c.rc_mode, c.bitrate_bps, c.qp), (None, None, Some(26)));
        assert_eq!(probe.refuses(&c), None);
        // Baseline is constrained baseline where offered, plain baseline where not.
        let baseline = NVT_VENC_ATTR_S {
            profile: NVT_H264_PROFILE_E::NVT_H264_PROFILE_BASELINE,
            ..attr
        };
        assert_eq!(HwH264::config(&baseline, &probe).profile, Some(1));
        let old = Probe {
            profiles: vec![0, 2, 4],
            ..probe.clone()
        };
        assert_eq!(HwH264::config(&baseline, &old).profile, Some(0));
        // An encoder without a QP control cannot pin one: that channel stays in software.
        let no_qp = Probe { qp: None, ..probe };
        assert!(no_qp.refuses(&HwH264::config(&fixqp, &no_qp)).is_some());
    }

    #[test]
    fn parameter_sets_alone_are_kept_for_the_next_idr() {
        let mut params = Vec::new();
        // A hardware encoder's first buffer: SPS and PPS only.
        let header = assemble(&annexb(&[&[0x67, 1, 2], &[0x68, 3]]), &mut params);
        assert!(!has_picture(&header));
        assert_eq!(params.len(), 2);
        // The IDR that follows without them gets them in front.
        let idr = assemble(&annexb(&[&[0x65, 9, 9]]), &mut params);
        assert!(idr.keyframe && has_picture(&idr));
        let types: Vec<u8> = idr.nals.iter().map(|n| n.2).collect();
        assert_eq!(types, [7, 8, 5]);
        // A P picture stays as it is.
        let p = assemble(&annexb(&[&[0x41, 7]]), &mut params);
        assert!(!p.keyframe && has_picture(&p));
        assert_eq!(p.nals.len(), 1);
    }
}
