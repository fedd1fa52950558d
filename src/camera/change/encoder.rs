//! A video encoder configuration: SetVideoEncoderConfiguration's values and the
//! configuration they make, and the one hardware check of every encoder configuration a
//! change touches (`EncoderLimits::check`, what GetVideoEncoderConfigurationOptions reports).

use crate::camera::caps::Facts;
use crate::camera::tokens::{encoder_source, source_token};
use crate::sdk::{Codec, H264Profile};
use crate::settings::{Multicast, Settings, VideoEncoderConfig};

use super::error::{ChangeError, check_name};

/// SetVideoEncoderConfiguration's values.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    /// None: an encoding the SDK has no codec for (MPEG4); `label` names it for the message.
    pub(crate) codec: Option<Codec>,
    pub(crate) codec_label: String,
    pub(crate) guaranteed_frame_rate: bool,
    pub(crate) width: i32,
    pub(crate) height: i32,
    pub(crate) quality: f32,
    pub(crate) rate: Option<RateRequest>,
    pub(crate) h264: Option<H264Request>,
    pub(crate) multicast: Multicast,
    pub(crate) session_timeout_secs: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateRequest {
    pub(crate) fps: i32,
    pub(crate) encoding_interval: i32,
    pub(crate) bitrate_kbps: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct H264Request {
    pub(crate) gov_length: i32,
    /// None: a profile the SDK has no counterpart for (Extended); `label` names it.
    pub(crate) profile: Option<H264Profile>,
    pub(crate) label: String,
}

/// The encoder configuration a SetVideoEncoderConfiguration asks for. What only the request
/// can get wrong (an encoding or option the model has no place for, a value that is no
/// number) is refused here; the values are checked against the hardware with every other
/// changed configuration (`check_encoders`: `EncoderLimits::check`, what GetOptions reports).
pub(crate) fn encoder(
    facts: Facts<'_>,
    settings: &Settings,
    old: &VideoEncoderConfig,
    c: &EncoderRequest,
) -> Result<VideoEncoderConfig, ChangeError> {
    let invalid = |m: String| Err(ChangeError::Invalid(m));
    let vi = encoder_source(settings, &old.token);
    let limits = facts
        .encoder_limits(vi)
        .ok_or_else(|| ChangeError::NoSource(source_token(vi)))?;
    check_name(&c.name)?;
    // The RTSP server packetizes H.264 only: another SDK codec is not streamable.
    if c.codec != Some(Codec::H264) || !limits.h264 {
        return invalid(format!(
            "encoding {} is not supported (H264 only)",
            c.codec_label
        ));
    }
    if c.guaranteed_frame_rate {
        return invalid("GuaranteedFrameRate is not supported".into());
    }
    let unsigned = |what: &str, v: i32| {
        u32::try_from(v).map_err(|_| ChangeError::Invalid(format!("{what} {v} is negative")))
    };
    let mut new = old.clone();
    new.name = c.name.clone();
    new.width = unsigned("width", c.width)?;
    new.height = unsigned("height", c.height)?;
    limits
        .check_quality(c.quality)
        .map_err(ChangeError::Invalid)?;
    new.quality = c.quality.round() as u32;
    if let Some(rc) = &c.rate {
        if rc.encoding_interval != 1 {
            return invalid(format!(
                "encoding interval {} is not supported (1 only)",
                rc.encoding_interval
            ));
        }
        new.fps = unsigned("frame rate", rc.fps)?;
        new.bitrate_kbps = unsigned("bitrate", rc.bitrate_kbps)?;
    }
    if let Some(h264) = &c.h264 {
        new.gop = unsigned("GOV length", h264.gov_length)?;
        new.h264_profile = h264.profile.ok_or_else(|| {
            ChangeError::Invalid(format!("H.264 profile {} is not supported", h264.label))
        })?;
    }
    new.multicast = c.multicast.clone();
    new.session_timeout_secs = c.session_timeout_secs;
    Ok(new)
}

/// The hardware check of every encoder configuration that changes, or whose video source
/// changes (a profile operation can move an encoder to another sensor).
pub(crate) fn check_encoders(
    facts: Facts<'_>,
    before: &Settings,
    next: &Settings,
) -> Result<(), ChangeError> {
    for e in &next.media.video_encoders {
        let vi = encoder_source(next, &e.token);
        let unchanged = before
            .encoder(&e.token)
            .is_some_and(|old| old == e && encoder_source(before, &e.token) == vi);
        if unchanged {
            continue;
        }
        let limits = facts
            .encoder_limits(vi)
            .ok_or_else(|| ChangeError::NoSource(source_token(vi)))?;
        limits.check(e).map_err(ChangeError::Invalid)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::testing::ctx;
    use crate::camera::change::{Change, plan};
    use crate::sdk::{EncoderCaps, RateControl, VideoSourceInfo};

    #[test]
    fn encoder_values_are_checked_against_the_caps() {
        let caps = EncoderCaps {
            codecs: vec![Codec::H264],
            h264_profiles: vec![H264Profile::Main],
            rc_modes: vec![RateControl::Cbr],
            resolutions: vec![(1280, 720), (640, 360)],
            fps: (1, 30),
            bitrate_kbps: (64, 4096),
            gop: (1, 120),
            qp: (10, 50),
        };
        let sources = [VideoSourceInfo {
            name: "s".into(),
            width: 1280,
            height: 720,
            max_fps: 25,
        }];
        let facts = Facts {
            caps: &caps,
            sources: &sources,
            isp_ranges: &[],
            ptz: &[],
            gpio: crate::sdk::GpioInfo::NONE,
        };
        let s = Settings::default();
        let old = s.encoder("venc_sub").unwrap();
        let req = EncoderRequest {
            token: old.token.clone(),
            name: "sub".into(),
            codec: Some(Codec::H264),
            codec_label: "H264".into(),
            guaranteed_frame_rate: false,
            width: 1280,
            height: 720,
            quality: 4.0,
            rate: Some(RateRequest {
                fps: 25,
                encoding_interval: 1,
                bitrate_kbps: 1000,
            }),
            h264: Some(H264Request {
                gov_length: 50,
                profile: Some(H264Profile::Main),
                label: "Main".into(),
            }),
            multicast: old.multicast.clone(),
            session_timeout_secs: 60,
        };
        let (next, _) = plan(&s, &ctx(facts), Change::VideoEncoder(req.clone())).unwrap();
        let e = next.encoder("venc_sub").unwrap();
        assert_eq!(
            (e.width, e.fps, e.bitrate_kbps, e.quality),
            (1280, 25, 1000, 4)
        );
        let bad = |f: &dyn Fn(&mut EncoderRequest)| {
            let mut r = req.clone();
            f(&mut r);
            plan(&s, &ctx(facts), Change::VideoEncoder(r)).unwrap_err()
        };
        for e in [
            bad(&|r| r.width = 1920),
            bad(&|r| r.rate.as_mut().unwrap().fps = 26),
            bad(&|r| r.rate.as_mut().unwrap().bitrate_kbps = 5000),
            bad(&|r| r.h264.as_mut().unwrap().profile = Some(H264Profile::High)),
            bad(&|r| r.quality = f32::NAN),
            bad(&|r| r.codec = Some(Codec::Mjpeg)),
            bad(&|r| r.session_timeout_secs = 0),
            bad(&|r| r.session_timeout_secs = 86_400),
            bad(&|r| r.multicast.port = 5001),
            bad(&|r| r.multicast.ttl = 0),
            bad(&|r| r.multicast.address = "10.0.0.1".into()),
            bad(&|r| r.width = -1280),
        ] {
            assert!(matches!(e, ChangeError::Invalid(_)), "{e:?}");
        }
        // At first start the default main stream (1280x720@25) is fitted to a hardware
        // without that size: the largest it has that is no larger.
        let small = EncoderCaps {
            resolutions: vec![(800, 600), (640, 360)],
            ..caps.clone()
        };
        let facts = Facts {
            caps: &small,
            ..facts
        };
        let defaults = Change::HardwareDefaults {
            imaging: Vec::new(),
            fit_encoders: true,
        };
        let (next, _) = plan(&s, &ctx(facts), defaults).unwrap();
        let main = next.encoder("venc_main").unwrap();
        assert_eq!((main.width, main.height, main.fps), (800, 600, 25));
        assert_eq!(
            next.encoder("venc_sub"),
            s.encoder("venc_sub"),
            "fits already"
        );
    }
}
