//! What the media services (Media 1 and 2) offer clients, rendered from the facts the camera
//! core checks changes against: encoder options from `camera::EncoderLimits` (resolutions,
//! frame-rate, bitrate and GOP ranges, H.264 profiles, quality), video source options from
//! the sensor. (Media 2's encoder options, another type from the same limits, are
//! `onvif::media2::render`'s.)
//! Nothing here is a constant a port could contradict, and nothing here is checked again.

use crate::camera::EncoderLimits;
use crate::onvif::generated::tt;
use crate::sdk::{H264Profile, VideoSourceInfo};

pub(crate) fn h264_profile(p: H264Profile) -> tt::H264Profile {
    match p {
        H264Profile::Baseline => tt::H264Profile::Baseline,
        H264Profile::Main => tt::H264Profile::Main,
        H264Profile::High => tt::H264Profile::High,
    }
}

/// The SDK profile of an ONVIF one; `Extended` has no SDK counterpart.
pub(crate) fn sdk_h264_profile(p: &tt::H264Profile) -> Option<H264Profile> {
    match p {
        tt::H264Profile::Baseline => Some(H264Profile::Baseline),
        tt::H264Profile::Main => Some(H264Profile::Main),
        tt::H264Profile::High => Some(H264Profile::High),
        tt::H264Profile::Extended => None,
    }
}

fn range((min, max): (u32, u32)) -> tt::IntRange {
    tt::IntRange {
        min: min as i32,
        max: max as i32,
    }
}

/// GetVideoEncoderConfigurationOptions: H.264 only (the RTSP server packetizes H.264; an
/// SDK that also offers JPEG or H.265 does not make them streamable), with the bitrate range
/// in the Media 1 extension (`tt:Extension/tt:H264/tt:BitrateRange`).
pub(crate) fn encoder_options(limits: &EncoderLimits) -> tt::VideoEncoderConfigurationOptions {
    let mut options = tt::VideoEncoderConfigurationOptions {
        guaranteed_frame_rate_supported: Some(false),
        quality_range: range(limits.quality),
        ..Default::default()
    };
    if !limits.h264 {
        return options;
    }
    let resolutions_available: Vec<tt::VideoResolution> = (limits.resolutions.iter())
        .map(|&(w, h)| tt::VideoResolution {
            width: w as i32,
            height: h as i32,
        })
        .collect();
    let profiles: Vec<tt::H264Profile> = limits
        .h264_profiles
        .iter()
        .map(|&p| h264_profile(p))
        .collect();
    let gov = range(limits.gop);
    let fps = range(limits.fps);
    // Only every frame is encoded (EncodingInterval 1).
    let interval = range((1, 1));
    options.h264 = Some(tt::H264Options {
        resolutions_available: resolutions_available.clone(),
        gov_length_range: gov.clone(),
        frame_rate_range: fps.clone(),
        encoding_interval_range: interval.clone(),
        h264_profiles_supported: profiles.clone(),
    });
    options.extension = Some(tt::VideoEncoderOptionsExtension {
        h264: Some(tt::H264Options2 {
            resolutions_available,
            gov_length_range: gov,
            frame_rate_range: fps,
            encoding_interval_range: interval,
            h264_profiles_supported: profiles,
            bitrate_range: range(limits.bitrate_kbps),
            ..Default::default()
        }),
        ..Default::default()
    });
    options
}

/// GetVideoSourceConfigurationOptions: the full sensor area only (the SDK has no crop), on
/// the sources that exist.
pub(crate) fn source_options(sources: &[VideoSourceInfo]) -> tt::VideoSourceConfigurationOptions {
    let (w, h) = sources
        .first()
        .map(|s| (s.width, s.height))
        .unwrap_or((0, 0));
    tt::VideoSourceConfigurationOptions {
        maximum_number_of_profiles: Some(crate::settings::validate::MAX_PROFILES as i32),
        bounds_range: tt::IntRectangleRange {
            x_range: range((0, 0)),
            y_range: range((0, 0)),
            width_range: range((w, w)),
            height_range: range((h, h)),
        },
        video_source_tokens_available: (0..sources.len() as u32)
            .map(crate::camera::source_token)
            .collect(),
        ..Default::default()
    }
}

/// GetMetadataConfigurationOptions (Media 1 and 2): no PTZ status in the metadata, head or
/// not: nvt streams no metadata yet (issue 18's metadata stream), so it offers none
/// (PTZStatusFilterOptions false is legal).
pub(crate) fn metadata_options() -> tt::MetadataConfigurationOptions {
    tt::MetadataConfigurationOptions {
        ptz_status_filter_options: tt::PTZStatusFilterOptions {
            pan_tilt_status_supported: false,
            zoom_status_supported: false,
            ..Default::default()
        },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::{Codec, EncoderCaps, RateControl};

    fn caps() -> EncoderCaps {
        EncoderCaps {
            codecs: vec![Codec::H264, Codec::Mjpeg],
            h264_profiles: vec![H264Profile::Baseline, H264Profile::High],
            rc_modes: vec![RateControl::Cbr],
            resolutions: vec![(1920, 1080), (1280, 720), (640, 360)],
            fps: (1, 60),
            bitrate_kbps: (32, 8000),
            gop: (1, 300),
            qp: (0, 51),
        }
    }

    fn sensor() -> VideoSourceInfo {
        VideoSourceInfo {
            name: "s".into(),
            width: 1280,
            height: 720,
            max_fps: 30,
        }
    }

    #[test]
    fn encoder_options_follow_the_caps_and_the_sensor() {
        let o = encoder_options(&EncoderLimits::new(&caps(), &sensor()));
        let h = o.h264.unwrap();
        let sizes: Vec<(i32, i32)> = h
            .resolutions_available
            .iter()
            .map(|r| (r.width, r.height))
            .collect();
        assert_eq!(sizes, vec![(1280, 720), (640, 360)], "no upscaling");
        assert_eq!((h.frame_rate_range.min, h.frame_rate_range.max), (1, 30));
        assert_eq!((h.gov_length_range.min, h.gov_length_range.max), (1, 300));
        assert_eq!(
            h.h264_profiles_supported,
            vec![tt::H264Profile::Baseline, tt::H264Profile::High]
        );
        // JPEG is an SDK codec but does not stream: not offered.
        assert!(o.jpeg.is_none() && o.mpeg4.is_none());
        let ext = o.extension.unwrap().h264.unwrap();
        assert_eq!((ext.bitrate_range.min, ext.bitrate_range.max), (32, 8000));
    }

    #[test]
    fn no_h264_means_no_encoding_offered() {
        let mut c = caps();
        c.codecs = vec![Codec::Mjpeg];
        let o = encoder_options(&EncoderLimits::new(&c, &sensor()));
        assert!(o.h264.is_none() && o.extension.is_none());
    }
}
