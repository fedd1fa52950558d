//! The media change producer: `tns1:Media/ProfileChanged` and `tns1:Media/ConfigurationChanged`
//! (Media2 service spec s.5.16, doc/Media2.xml), published after a configuration change
//! commits. Which profiles and configurations a change touched is the camera core's to say
//! (`camera::touched`, a diff of the settings before and after); this is only their messages.
//!
//! Both topics are occurrences, not properties (the spec's message descriptions carry no
//! IsProperty): a subscriber learns of changes made while it is subscribed, and nothing is
//! re-sent as `Initialized`.

use super::Broker;
use super::topics::{CONFIGURATION_CHANGED, PROFILE_CHANGED};

/// The Type item of `ConfigurationChanged`: Media2 s.5.16.2 says "pass the appropriate
/// ConfigurationEnumeration value" (tr2:ConfigurationEnumeration, ver20 media.wsdl). Only the
/// kinds of configuration the device has; imaging settings and PTZ presets are no media
/// configurations (the enumeration names neither).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ConfigurationType {
    VideoSource,
    VideoEncoder,
    Metadata,
    Ptz,
    AudioSource,
    AudioEncoder,
    AudioOutput,
    AudioDecoder,
}

impl ConfigurationType {
    /// The tr2:ConfigurationEnumeration value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ConfigurationType::VideoSource => "VideoSource",
            ConfigurationType::VideoEncoder => "VideoEncoder",
            ConfigurationType::Metadata => "Metadata",
            ConfigurationType::Ptz => "PTZ",
            ConfigurationType::AudioSource => "AudioSource",
            ConfigurationType::AudioEncoder => "AudioEncoder",
            ConfigurationType::AudioOutput => "AudioOutput",
            ConfigurationType::AudioDecoder => "AudioDecoder",
        }
    }
}

/// Publishes one ProfileChanged per profile token (Source `Token`) and one
/// ConfigurationChanged per configuration (Source `Token`, `Type`), in that order.
pub(crate) fn publish(
    broker: &Broker,
    profiles: &[String],
    configurations: &[(String, ConfigurationType)],
) {
    for p in profiles {
        broker.publish(PROFILE_CHANGED, vec![p.clone()], Vec::new());
    }
    for (token, ty) in configurations {
        broker.publish(
            CONFIGURATION_CHANGED,
            vec![token.clone(), ty.as_str().to_owned()],
            Vec::new(),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::events::broker::Kind;
    use crate::events::filter::Filter;
    use crate::events::share::Requester;

    const USER: Requester<'static> = Requester {
        user: Some("u"),
        admin: false,
    };

    /// A subscriber gets each change once, with the spec's Source items and no operation;
    /// a later subscriber and a SetSynchronizationPoint get nothing (no state is kept).
    #[tokio::test]
    async fn changes_reach_subscribers_once_and_are_not_states() {
        let b = Broker::new(4, Arc::new(|| 1_000));
        let s = b
            .subscribe(Kind::PullPoint, Filter::ALL, Duration::from_secs(10), USER)
            .unwrap();
        publish(
            &b,
            &["p1".into()],
            &[("venc_main".into(), ConfigurationType::VideoEncoder)],
        );
        let m = s.next(Duration::ZERO, 10).await;
        let got: Vec<_> = m
            .iter()
            .map(|m| (m.topic, m.source.clone(), m.operation, m.data.len()))
            .collect();
        assert_eq!(
            got,
            [
                (PROFILE_CHANGED, vec!["p1".to_owned()], None, 0),
                (
                    CONFIGURATION_CHANGED,
                    vec!["venc_main".to_owned(), "VideoEncoder".to_owned()],
                    None,
                    0
                ),
            ]
        );
        assert_eq!(m[0].utc_ms, 1_000, "stamped with the device clock");
        b.synchronize(&s.id).unwrap();
        assert!(s.next(Duration::ZERO, 10).await.is_empty());
        let late = b
            .subscribe(Kind::PullPoint, Filter::ALL, Duration::from_secs(10), USER)
            .unwrap();
        assert!(late.next(Duration::ZERO, 10).await.is_empty());
    }

    #[test]
    fn types_are_configuration_enumeration_values() {
        let all = [
            ConfigurationType::VideoSource,
            ConfigurationType::VideoEncoder,
            ConfigurationType::Metadata,
            ConfigurationType::Ptz,
        ];
        assert_eq!(
            all.map(ConfigurationType::as_str),
            ["VideoSource", "VideoEncoder", "Metadata", "PTZ"]
        );
    }
}
