//! A video encoder configuration: SetVideoEncoderConfiguration's values and the
//! configuration they make, and the one hardware check of every encoder configuration a
//! change touches (`EncoderLimits::check`, what GetVideoEncoderConfigurationOptions reports).

use crate::camera::caps::Facts;
use crate::camera::tokens::{encoder_source, source_token};
use crate::sdk::{Codec, H264Profile, RateControl};
use crate::settings::{Multicast, Settings, VideoEncoderConfig};

use super::error::{ChangeError, check_name};

/// SetVideoEncoderConfiguration's values (Media 1's, or Media 2's: a value Media 2 may leave
/// out is an Option, None keeping the stored one).
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
    /// Media 2 `RateControl@ConstantBitRate`: true is CBR; false is "not CBR" (the stored
    /// mode if it is none, else VBR). None: the stored mode.
    pub(crate) constant_bit_rate: Option<bool>,
    /// None: the stored group (Media 2's Multicast element is optional).
    pub(crate) multicast: Option<Multicast>,
    /// None: the stored timeout (Media 2's configuration has no SessionTimeout).
    pub(crate) session_timeout_secs: Option<u32>,
    /// What an out-of-range BitrateLimit gets.
    pub(crate) bitrate: BitrateMode,
}

/// What becomes of a BitrateLimit outside the hardware's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BitrateMode {
    /// Refused like every other value out of range (Media 1: its clients and tests expect
    /// ConfigModify).
    Refuse,
    /// Clamped into the range (Media2 spec, "Set<entity>Configuration": "A device shall
    /// adapt an out of range BitrateLimit instead of returning a fault"). Only the bitrate:
    /// every other value is still held to `EncoderLimits::check`.
    Clamp,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RateRequest {
    /// Frames per second. Media 2's FrameRateLimit is a float: a rate within
    /// [`FPS_TOLERANCE`] of a whole one is that one (the whole rates are what
    /// FrameRatesSupported lists, and a client may send back their float rendering); any
    /// other fraction is refused, the SDK encodes whole rates only.
    pub(crate) fps: f32,
    pub(crate) encoding_interval: i32,
    pub(crate) bitrate_kbps: i32,
}

/// How far a FrameRateLimit may be from a whole rate and still be that rate (float
/// rendering: `25`, `25.0`, `24.999998`).
pub(crate) const FPS_TOLERANCE: f32 = 0.01;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct H264Request {
    /// None: the stored one (Media 2's `GovLength` attribute is optional).
    pub(crate) gov_length: Option<i32>,
    /// None: the stored one (Media 2's `Profile` attribute is optional). `Err(label)`: a
    /// profile the SDK has no counterpart for (Extended, or a name no H.264 profile has).
    pub(crate) profile: Option<Result<H264Profile, String>>,
}

/// A whole frame rate from a requested one (see [`RateRequest::fps`]).
fn whole_fps(fps: f32) -> Result<u32, ChangeError> {
    let whole = fps.round();
    if !fps.is_finite() || (fps - whole).abs() > FPS_TOLERANCE || whole < 0.0 {
        return Err(ChangeError::Invalid(format!(
            "frame rate {fps} is not a whole rate of FrameRatesSupported"
        )));
    }
    Ok(whole as u32)
}

/// The encoder configuration a SetVideoEncoderConfiguration asks for. What only the request
/// can get wrong (an encoding or option the model has no place for, a value that is no
/// number) is refused here; the values are checked against the hardware with every other
/// changed configuration (`check_encoders`: `EncoderLimits::check`, what GetOptions reports).
/// The one adaptation is the bitrate's, in [`BitrateMode::Clamp`].
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
        new.fps = whole_fps(rc.fps)?;
        new.bitrate_kbps = match c.bitrate {
            BitrateMode::Refuse => unsigned("bitrate", rc.bitrate_kbps)?,
            BitrateMode::Clamp => {
                let (lo, hi) = limits.bitrate_kbps;
                let clamped =
                    i64::from(rc.bitrate_kbps).clamp(i64::from(lo), i64::from(hi.max(lo)));
                clamped as u32
            }
        };
    }
    if let Some(h264) = &c.h264 {
        if let Some(gov) = h264.gov_length {
            new.gop = unsigned("GOV length", gov)?;
        }
        if let Some(profile) = &h264.profile {
            new.h264_profile = profile.clone().map_err(|label| {
                ChangeError::Invalid(format!("H.264 profile {label} is not supported"))
            })?;
        }
    }
    match c.constant_bit_rate {
        Some(true) => new.rate_control = RateControl::Cbr,
        Some(false) if old.rate_control == RateControl::Cbr => {
            new.rate_control = RateControl::Vbr;
        }
        Some(false) | None => {}
    }
    if let Some(m) = &c.multicast {
        new.multicast = m.clone();
    }
    if let Some(t) = c.session_timeout_secs {
        new.session_timeout_secs = t;
    }
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
    use crate::sdk::{EncoderCaps, VideoSourceInfo};

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
            speaker: crate::sdk::AudioOutCaps::NONE,
            caps: &caps,
            sources: &sources,
            isp_ranges: &[],
            ptz: &[],
            osd: &[],
            gpio: crate::sdk::GpioInfo::NONE,
            audio: &crate::camera::audio_limits::NO_AUDIO,
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
                fps: 25.0,
                encoding_interval: 1,
                bitrate_kbps: 1000,
            }),
            h264: Some(H264Request {
                gov_length: Some(50),
                profile: Some(Ok(H264Profile::Main)),
            }),
            constant_bit_rate: None,
            multicast: Some(old.multicast.clone()),
            session_timeout_secs: Some(60),
            bitrate: BitrateMode::Refuse,
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
            bad(&|r| r.rate.as_mut().unwrap().fps = 26.0),
            bad(&|r| r.rate.as_mut().unwrap().fps = 24.5),
            bad(&|r| r.rate.as_mut().unwrap().bitrate_kbps = 5000),
            bad(&|r| r.h264.as_mut().unwrap().profile = Some(Ok(H264Profile::High))),
            bad(&|r| r.h264.as_mut().unwrap().profile = Some(Err("Extended".into()))),
            bad(&|r| r.constant_bit_rate = Some(false)),
            bad(&|r| r.quality = f32::NAN),
            bad(&|r| r.codec = Some(Codec::Mjpeg)),
            bad(&|r| r.session_timeout_secs = Some(0)),
            bad(&|r| r.session_timeout_secs = Some(86_400)),
            bad(&|r| r.multicast.as_mut().unwrap().port = 5001),
            bad(&|r| r.multicast.as_mut().unwrap().ttl = 0),
            bad(&|r| r.multicast.as_mut().unwrap().address = "10.0.0.1".into()),
            bad(&|r| r.width = -1280),
        ] {
            assert!(matches!(e, ChangeError::Invalid(_)), "{e:?}");
        }
        // Media 2: a FrameRateLimit rendered as a float is its whole rate; an out-of-range
        // bitrate is clamped (either end), every other value is still refused.
        let media2 = |f: &dyn Fn(&mut EncoderRequest)| {
            let mut r = EncoderRequest {
                bitrate: BitrateMode::Clamp,
                session_timeout_secs: None,
                multicast: None,
                ..req.clone()
            };
            f(&mut r);
            plan(&s, &ctx(facts), Change::VideoEncoder(r)).map(|(n, _)| n)
        };
        let clamped = |kbps: i32| {
            let n = media2(&|r| r.rate.as_mut().unwrap().bitrate_kbps = kbps).unwrap();
            n.encoder("venc_sub").unwrap().bitrate_kbps
        };
        assert_eq!((clamped(5000), clamped(1), clamped(-7)), (4096, 64, 64));
        assert_eq!(clamped(2000), 2000);
        let n = media2(&|r| r.rate.as_mut().unwrap().fps = 24.999_998).unwrap();
        let e = n.encoder("venc_sub").unwrap();
        assert_eq!(e.fps, 25);
        assert_eq!(
            (&e.multicast, e.session_timeout_secs),
            (&old.multicast, old.session_timeout_secs),
            "left out: kept"
        );
        let refused: [&dyn Fn(&mut EncoderRequest); 3] = [
            &|r| r.rate.as_mut().unwrap().fps = 26.0,
            &|r| r.width = 1920,
            &|r| r.rate.as_mut().unwrap().fps = 12.5,
        ];
        for f in refused {
            assert!(matches!(media2(f), Err(ChangeError::Invalid(_))));
        }
        let n = media2(&|r| r.constant_bit_rate = Some(true)).unwrap();
        assert_eq!(
            n.encoder("venc_sub").unwrap().rate_control,
            RateControl::Cbr
        );
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
