//! GetProfiles' `Type` filter (Media2 spec, "GetProfiles", doc/Media2.xml L713-768;
//! `tr2:ConfigurationEnumeration`, ver20 media.wsdl): which configurations a listed profile carries. "Type never changes how many
//! profiles come back", only what is inside each.

/// The configurations GetProfiles puts into each profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shown {
    pub(crate) video_source: bool,
    pub(crate) video_encoder: bool,
    pub(crate) audio_source: bool,
    pub(crate) audio_encoder: bool,
    pub(crate) metadata: bool,
    pub(crate) ptz: bool,
    pub(crate) audio_output: bool,
    pub(crate) audio_decoder: bool,
}

impl Shown {
    /// From the request's Type values: none, "profiles without any configuration"; `All`,
    /// every configuration; else only the listed types. A value may hold several
    /// whitespace-separated types (the schema's type is a string; clients built from a list
    /// type send them that way). Types the device has none of (analytics, receiver)
    /// and values no version of the enumeration has select nothing: the spec gives no
    /// fault for them, and a profile holds no such configuration either way.
    pub(crate) fn from_types<S: AsRef<str>>(types: &[S]) -> Shown {
        let mut shown = Shown::default();
        for ty in types
            .iter()
            .flat_map(|t| t.as_ref().split_ascii_whitespace())
        {
            match ty {
                "All" => {
                    return Shown {
                        video_source: true,
                        video_encoder: true,
                        audio_source: true,
                        audio_encoder: true,
                        metadata: true,
                        ptz: true,
                        audio_output: true,
                        audio_decoder: true,
                    };
                }
                "VideoSource" => shown.video_source = true,
                "VideoEncoder" => shown.video_encoder = true,
                "AudioSource" => shown.audio_source = true,
                "AudioEncoder" => shown.audio_encoder = true,
                "Metadata" => shown.metadata = true,
                "PTZ" => shown.ptz = true,
                "AudioOutput" => shown.audio_output = true,
                "AudioDecoder" => shown.audio_decoder = true,
                _ => {}
            }
        }
        shown
    }
}

/// `ProfileCapabilities@ConfigurationsSupported` (Media2 spec, "GetServiceCapabilities":
/// "shall"): the
/// ConfigurationEnumeration values the device's profiles can hold, without `All`. PTZ only
/// where the PTZ service is (a head exists); audio source and encoder only with a microphone
/// nvt can stream (`camera::audio_limits`); AudioOutput and AudioDecoder only with a
/// speaker.
pub(crate) fn configurations_supported(ptz: bool, audio: bool, speaker: bool) -> Vec<String> {
    let mut v: Vec<String> = ["VideoSource", "VideoEncoder"]
        .into_iter()
        .map(String::from)
        .collect();
    if audio {
        v.push("AudioSource".into());
        v.push("AudioEncoder".into());
    }
    v.push("Metadata".into());
    if ptz {
        v.push("PTZ".into());
    }
    if speaker {
        v.extend(["AudioOutput".into(), "AudioDecoder".into()]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_type_shows_nothing_all_shows_everything() {
        assert_eq!(Shown::from_types::<&str>(&[]), Shown::default());
        let all = Shown::from_types(&["All"]);
        assert!(all.video_source && all.video_encoder && all.metadata && all.ptz);
        assert!(all.audio_output && all.audio_decoder);
        assert!(all.audio_source && all.audio_encoder);
        // "All" among others is still everything.
        assert_eq!(Shown::from_types(&["VideoSource", "All"]), all);
    }

    #[test]
    fn listed_types_only() {
        let s = Shown::from_types(&["VideoEncoder", "PTZ"]);
        assert_eq!(
            s,
            Shown {
                video_encoder: true,
                ptz: true,
                ..Default::default()
            }
        );
        // One value holding a list, and types the device has none of.
        let s = Shown::from_types(&["VideoSource Metadata", "AudioEncoder", "Bogus"]);
        assert_eq!(
            s,
            Shown {
                video_source: true,
                audio_encoder: true,
                metadata: true,
                ..Default::default()
            }
        );
    }

    #[test]
    fn ptz_and_audio_are_supported_only_with_their_hardware() {
        assert_eq!(
            configurations_supported(false, false, false),
            ["VideoSource", "VideoEncoder", "Metadata"]
        );
        assert_eq!(
            configurations_supported(true, false, false).last().unwrap(),
            "PTZ"
        );
        assert_eq!(
            configurations_supported(false, false, true)[3..],
            ["AudioOutput", "AudioDecoder"]
        );
        assert_eq!(
            configurations_supported(false, true, false),
            [
                "VideoSource",
                "VideoEncoder",
                "AudioSource",
                "AudioEncoder",
                "Metadata"
            ]
        );
    }
}
