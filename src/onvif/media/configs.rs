//! The settings' configurations as both media services show them: Media 1 (`trt`) and
//! Media 2 (`tr2`) embed the same `tt:` video source, metadata and PTZ configurations (only
//! the encoder differs: `tt:VideoEncoderConfiguration` vs `tt:VideoEncoder2Configuration`),
//! so one model renders one way in both (issue 18: "one model, two views"). Also what both
//! count the same way: UseCount and the encoder instances a video source feeds.

use crate::camera::caps::Facts;
use crate::camera::source_token;
use crate::onvif::generated::tt;
use crate::settings::{Multicast, Profile, Settings};

/// An xs:duration of whole seconds.
pub(crate) fn duration(secs: u32) -> String {
    format!("PT{secs}S")
}

/// UseCount: the profiles `f` says hold the configuration.
pub(crate) fn use_count(s: &Settings, f: impl Fn(&Profile) -> bool) -> i32 {
    s.media.profiles.iter().filter(|p| f(p)).count() as i32
}

pub(crate) fn multicast_to_tt(m: &Multicast) -> tt::MulticastConfiguration {
    tt::MulticastConfiguration {
        address: tt::IPAddress {
            type_: tt::IPType::IPv4,
            ipv4_address: Some(m.address.clone()),
            ipv6_address: None,
        },
        port: i32::from(m.port),
        ttl: i32::from(m.ttl),
        auto_start: m.auto_start,
        ..Default::default()
    }
}

/// The video source configuration `token`, with its UseCount.
pub(crate) fn video_source(s: &Settings, token: &str) -> Option<tt::VideoSourceConfiguration> {
    let v = s.media.video_sources.iter().find(|v| v.token == token)?;
    Some(tt::VideoSourceConfiguration {
        token: v.token.clone(),
        name: v.name.clone(),
        use_count: use_count(s, |p| p.video_source.as_deref() == Some(token)),
        source_token: source_token(v.source),
        bounds: tt::IntRectangle {
            x: v.bounds.x as i32,
            y: v.bounds.y as i32,
            width: v.bounds.width as i32,
            height: v.bounds.height as i32,
        },
        ..Default::default()
    })
}

/// The metadata configuration `token`, with its UseCount.
pub(crate) fn metadata(s: &Settings, token: &str) -> Option<tt::MetadataConfiguration> {
    let m = s.media.metadata.iter().find(|m| m.token == token)?;
    Some(tt::MetadataConfiguration {
        token: m.token.clone(),
        name: m.name.clone(),
        use_count: use_count(s, |p| p.metadata.as_deref() == Some(token)),
        // Events on and unfiltered is `<tt:Events><tt:Filter/></tt:Events>`, not an empty
        // `<tt:Events/>`: zeep (onvif-zeep, Home Assistant's library) reads an element with
        // no content as None and leaves it out of its Set, so a client's Get-modify-Set of
        // the configuration turned the events off. A wsnt:Filter narrows by each of its
        // components (WS-BaseNotification, Subscribe): an empty one narrows nothing, and a
        // Set of it reads back as it was.
        events: m.events.then(|| tt::EventSubscription {
            filter: Some(super::metadata_filter::filter(&m.events_filter).unwrap_or_default()),
            ..Default::default()
        }),
        analytics: Some(m.analytics),
        multicast: multicast_to_tt(&m.multicast),
        session_timeout: duration(m.session_timeout_secs),
        // No PTZ status in the metadata stream (SetMetadataConfiguration refuses asking for
        // it): said, so a client's Set of the configuration as read comes back as it was
        // (MEDIA2-8-1-1 compares PTZStatus).
        ptz_status: Some(tt::PTZFilter {
            status: false,
            position: false,
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// The PTZ configuration `token` as the PTZ service shows it. None when its video source
/// has no head (any more: a settings file from a camera with one): a configuration nothing
/// can move is not offered to clients.
pub(crate) fn ptz(s: &Settings, facts: &Facts<'_>, token: &str) -> Option<tt::PTZConfiguration> {
    let c = s.ptz_config(token)?;
    let head = facts.ptz(c.source)?;
    Some(crate::onvif::ptz::config::in_settings(s, c, head))
}

/// How many encoders the video source configuration `token` is guaranteed to feed at once
/// (Media 1 GetGuaranteedNumberOfVideoEncoderInstances, Media 2 GetVideoEncoderInstances);
/// None when there is no such configuration. Every encoder configuration has its own SDK
/// channel, always encoding (`Camera::bring_up`), so the number is that of the encoder
/// configurations of the configuration's sensor.
pub(crate) fn encoder_instances(s: &Settings, token: &str) -> Option<u32> {
    let v = s.media.video_sources.iter().find(|v| v.token == token)?;
    let n = (s.media.video_encoders.iter())
        .filter(|e| crate::camera::encoder_source(s, &e.token) == v.source)
        .count();
    Some(n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_instances_count_the_encoders_of_the_source() {
        let s = Settings::default();
        let n = s.media.video_encoders.len() as u32;
        assert!(n >= 2, "the defaults have a main and a sub stream");
        assert_eq!(encoder_instances(&s, "vsc0"), Some(n));
        assert_eq!(encoder_instances(&s, "nope"), None);
    }

    #[test]
    fn use_count_counts_the_profiles_holding_a_configuration() {
        let s = Settings::default();
        let held = use_count(&s, |p| p.video_source.as_deref() == Some("vsc0"));
        assert_eq!(held, s.media.profiles.len() as i32);
        assert_eq!(video_source(&s, "vsc0").map(|v| v.use_count), Some(held));
        assert_eq!(metadata(&s, "nope"), None);
    }
}
