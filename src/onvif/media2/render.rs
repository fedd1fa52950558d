//! The settings model as Media 2 shows it: profiles (`tr2:MediaProfile`, with the
//! configurations GetProfiles' Type asks for), the encoder configuration as
//! `tt:VideoEncoder2Configuration` and its options as `tt:VideoEncoder2ConfigurationOptions`.
//! Everything Media 1 shows the same way (video source, metadata and PTZ configurations) is
//! `onvif::media::configs`, so both services render one model (issue 18).

use crate::camera::EncoderLimits;
use crate::camera::caps::Facts;
use crate::onvif::generated::{tr2, tt};
use crate::onvif::media::audio_out;
use crate::onvif::media::configs::{self, multicast_to_tt, use_count};
use crate::onvif::rt::List;
use crate::sdk::{H264Profile, RateControl};
use crate::settings::{Profile, Settings};

use super::filter::Shown;

/// `tt:VideoEncodingMimeNames` of the one encoding nvt streams (src/rtp packetizes H.264
/// only; issue 18: H.265 only where the SDK encodes it and nvt can packetize it).
pub(crate) const H264: &str = "H264";

/// `tt:VideoEncodingProfiles` (onvif.xsd) of an SDK profile.
pub(crate) fn profile_name(p: H264Profile) -> &'static str {
    match p {
        H264Profile::Baseline => "Baseline",
        H264Profile::Main => "Main",
        H264Profile::High => "High",
    }
}

/// The encoder configuration `token` as `tt:VideoEncoder2Configuration`: the same values
/// Media 1 shows, in Media 2's shape (GOV length and profile as attributes, a float frame
/// rate, ConstantBitRate from the rate control; no SessionTimeout in this type).
pub(crate) fn encoder(s: &Settings, token: &str) -> Option<tt::VideoEncoder2Configuration> {
    let e = s.encoder(token)?;
    Some(tt::VideoEncoder2Configuration {
        token: e.token.clone(),
        name: e.name.clone(),
        use_count: use_count(s, |p| p.video_encoder.as_deref() == Some(token)),
        gov_length: Some(e.gop as i32),
        profile: Some(profile_name(e.h264_profile).to_owned()),
        guaranteed_frame_rate: Some(false),
        encoding: H264.to_owned(),
        resolution: tt::VideoResolution2 {
            width: e.width as i32,
            height: e.height as i32,
            ..Default::default()
        },
        rate_control: Some(tt::VideoRateControl2 {
            constant_bit_rate: Some(e.rate_control == RateControl::Cbr),
            frame_rate_limit: e.fps as f32,
            bitrate_limit: e.bitrate_kbps as i32,
            ..Default::default()
        }),
        multicast: Some(multicast_to_tt(&e.multicast)),
        quality: e.quality as f32,
        ..Default::default()
    })
}

/// GetVideoEncoderConfigurationOptions: a list, one entry per encoding (Media2 spec,
/// "Get<entity>ConfigurationOptions"); H.264 only, and none when the SDK has no H.264. From
/// the same `EncoderLimits` a change is checked against (and Media 1's options rendered
/// from), so what is offered is what is accepted.
///
/// The test specification's sanity checks (MEDIA2-2-3-5) shape two attributes:
/// GovLengthRange is exactly two values, min then max; FrameRatesSupported is sorted highest
/// first. The SDK has a frame-rate range, not a list: every whole rate in it is offered.
pub(crate) fn encoder_options(
    limits: &EncoderLimits,
) -> Vec<tt::VideoEncoder2ConfigurationOptions> {
    if !limits.h264 {
        return Vec::new();
    }
    let (fps_min, fps_max) = limits.fps;
    vec![tt::VideoEncoder2ConfigurationOptions {
        gov_length_range: Some(List(vec![limits.gop.0 as i32, limits.gop.1 as i32])),
        frame_rates_supported: Some(List((fps_min..=fps_max).rev().map(|f| f as f32).collect())),
        profiles_supported: Some(List(
            (limits.h264_profiles.iter())
                .map(|&p| profile_name(p).to_owned())
                .collect(),
        )),
        constant_bit_rate_supported: Some(limits.rc_modes.contains(&RateControl::Cbr)),
        guaranteed_frame_rate_supported: Some(false),
        encoding: H264.to_owned(),
        quality_range: tt::FloatRange {
            min: limits.quality.0 as f32,
            max: limits.quality.1 as f32,
        },
        resolutions_available: (limits.resolutions.iter())
            .map(|&(w, h)| tt::VideoResolution2 {
                width: w as i32,
                height: h as i32,
                ..Default::default()
            })
            .collect(),
        bitrate_range: tt::IntRange {
            min: limits.bitrate_kbps.0 as i32,
            max: limits.bitrate_kbps.1 as i32,
        },
        ..Default::default()
    }]
}

/// A profile as GetProfiles lists it: token, name and `fixed` as Media 1 shows them (the
/// same profile), with the configurations `shown` asks for, or no `Configurations` element
/// when the request named no Type (`shown` None; Media2 spec, "GetProfiles": "If no Type is
/// provided the returned profiles shall not contain any configuration"). With a Type, a
/// profile holding none of the asked kinds carries an empty set.
pub(crate) fn profile(
    s: &Settings,
    facts: &Facts<'_>,
    p: &Profile,
    shown: Option<Shown>,
) -> tr2::MediaProfile {
    let configurations = shown.map(|shown| {
        fn pick(on: bool, token: &Option<String>) -> Option<&str> {
            token.as_deref().filter(|_| on)
        }
        tr2::ConfigurationSet {
            video_source: pick(shown.video_source, &p.video_source)
                .and_then(|t| configs::video_source(s, t)),
            video_encoder: pick(shown.video_encoder, &p.video_encoder).and_then(|t| encoder(s, t)),
            ptz: pick(shown.ptz, &p.ptz).and_then(|t| configs::ptz(s, facts, t)),
            metadata: pick(shown.metadata, &p.metadata).and_then(|t| configs::metadata(s, t)),
            audio_output: pick(shown.audio_output, &p.audio_output)
                .and_then(|t| audio_out::output_configuration(s, t)),
            audio_decoder: pick(shown.audio_decoder, &p.audio_decoder)
                .and_then(|t| audio_out::decoder_configuration(s, t)),
            audio_source: pick(shown.audio_source, &p.audio_source)
                .and_then(|t| crate::onvif::media::audio::source_configuration(s, t)),
            audio_encoder: pick(shown.audio_encoder, &p.audio_encoder)
                .and_then(|t| super::audio::encoder(s, t)),
            ..Default::default()
        }
    });
    tr2::MediaProfile {
        token: p.token.clone(),
        fixed: Some(p.fixed),
        name: p.name.clone(),
        configurations,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::{Codec, EncoderCaps, VideoSourceInfo};

    fn caps() -> EncoderCaps {
        EncoderCaps {
            codecs: vec![Codec::H264, Codec::Mjpeg],
            h264_profiles: vec![H264Profile::Baseline, H264Profile::Main, H264Profile::High],
            rc_modes: vec![RateControl::Cbr],
            resolutions: vec![(1920, 1080), (1280, 720), (640, 360)],
            fps: (5, 60),
            bitrate_kbps: (64, 8000),
            gop: (1, 300),
            qp: (0, 51),
        }
    }

    fn limits() -> EncoderLimits {
        let sensor = VideoSourceInfo {
            name: "s".into(),
            width: 1280,
            height: 720,
            max_fps: 25,
        };
        EncoderLimits::new(&caps(), &sensor)
    }

    #[test]
    fn encoder_options_pass_the_test_specifications_sanity_checks() {
        let options = encoder_options(&limits());
        assert_eq!(options.len(), 1, "one entry per encoding: H.264 only");
        let o = &options[0];
        assert_eq!(o.encoding, "H264");
        // Exactly two values, ascending (MEDIA2-2-3-5).
        assert_eq!(o.gov_length_range.as_ref().unwrap().0, vec![1, 300]);
        // Highest first, every whole rate, capped by the sensor.
        let fps = &o.frame_rates_supported.as_ref().unwrap().0;
        assert_eq!(fps.first(), Some(&25.0));
        assert_eq!(fps.last(), Some(&5.0));
        assert_eq!(fps.len(), 21);
        assert!(fps.windows(2).all(|w| w[0] > w[1]));
        assert_eq!(
            o.profiles_supported.as_ref().unwrap().0,
            ["Baseline", "Main", "High"]
        );
        let sizes: Vec<_> = (o.resolutions_available.iter())
            .map(|r| (r.width, r.height))
            .collect();
        assert_eq!(sizes, [(1280, 720), (640, 360)], "no upscaling");
        assert_eq!((o.bitrate_range.min, o.bitrate_range.max), (64, 8000));
        assert_eq!((o.quality_range.min, o.quality_range.max), (0.0, 10.0));
        assert_eq!(o.constant_bit_rate_supported, Some(true));
    }

    #[test]
    fn no_h264_no_options() {
        let mut l = limits();
        l.h264 = false;
        assert!(encoder_options(&l).is_empty());
    }

    #[test]
    fn the_encoder_shows_the_settings_values() {
        let s = Settings::default();
        let e = &s.media.video_encoders[0];
        let c = encoder(&s, &e.token).unwrap();
        assert_eq!(c.encoding, "H264");
        assert_eq!(
            (c.resolution.width, c.resolution.height),
            (e.width as i32, e.height as i32)
        );
        assert_eq!(c.gov_length, Some(e.gop as i32));
        let rc = c.rate_control.unwrap();
        assert_eq!(rc.frame_rate_limit, e.fps as f32);
        assert_eq!(rc.bitrate_limit, e.bitrate_kbps as i32);
        assert!(c.use_count >= 1);
        assert!(encoder(&s, "nope").is_none());
    }

    #[test]
    fn the_type_filter_decides_what_a_profile_carries() {
        let mut s = Settings::default();
        s.media.profiles[0].metadata = Some(s.media.metadata[0].token.clone());
        let caps = caps();
        let facts = Facts {
            speaker: crate::sdk::AudioOutCaps::NONE,
            caps: &caps,
            sources: &[],
            isp_ranges: &[],
            ptz: &[],
            osd: &[],
            gpio: crate::sdk::GpioInfo::NONE,
            audio: &crate::camera::audio_limits::NO_AUDIO,
        };
        let p = &s.media.profiles[0];
        let bare = profile(&s, &facts, p, None);
        assert_eq!(
            (bare.token.as_str(), bare.fixed),
            (p.token.as_str(), Some(true))
        );
        assert!(bare.configurations.is_none());
        let enc = profile(&s, &facts, p, Some(Shown::from_types(&["VideoEncoder"])));
        let set = enc.configurations.unwrap();
        assert!(set.video_encoder.is_some());
        assert!(set.video_source.is_none() && set.metadata.is_none());
        let all = profile(&s, &facts, p, Some(Shown::from_types(&["All"])));
        let set = all.configurations.unwrap();
        assert!(set.video_source.is_some() && set.video_encoder.is_some());
        assert!(set.metadata.is_some());
        // No head in these facts: no PTZ configuration, even with All.
        assert!(set.ptz.is_none());
    }
}
