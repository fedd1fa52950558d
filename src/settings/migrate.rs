//! Older settings files brought to the current layout ([`SETTINGS_FORMAT`]) when they load.
//!
//! A migration runs once, in memory, right after the file is parsed and before it is
//! validated; the daemon writes the migrated settings back at start
//! (`SettingsStore::open`), so the file on disk says the format it holds and an older nvt
//! started on it later stops with "format N is not supported" instead of misreading it.
//!
//! Each step keeps what a client sees of the camera's streams exactly as it was: a
//! migration changes how a choice is stored, never the choice.

#[cfg(doc)]
use super::model::SETTINGS_FORMAT;
use super::model::Settings;

/// Brings `s` from its `format` to [`SETTINGS_FORMAT`]. A format this nvt does not know
/// (0, or newer than it) is left as it is for validation to refuse by name.
pub(crate) fn migrate(s: &mut Settings) {
    if s.format == 1 {
        metadata_out_of_default_profiles(s);
        s.format = 2;
    }
}

/// Format 1 to 2: a profile holding a metadata configuration carries the metadata track
/// (ONVIF Streaming, "RTP for Metadata stream"; issue 18). In format 1 the track came only
/// with an Events *filter*, and every profile held `meta0` from the defaults, without one.
/// A format 1 profile holding a configuration with no filter therefore had no track: it
/// keeps having none by no longer holding the configuration, which stays offered
/// (GetMetadataConfigurations, AddMetadataConfiguration). A profile whose configuration
/// has a filter had its track and keeps it.
fn metadata_out_of_default_profiles(s: &mut Settings) {
    let media = &mut s.media;
    for p in &mut media.profiles {
        let filtered = p.metadata.as_deref().is_some_and(|t| {
            media
                .metadata
                .iter()
                .any(|m| m.token == t && m.events && !m.events_filter.is_empty())
        });
        if !filtered {
            p.metadata = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::FilterComponent;
    use crate::settings::model::SETTINGS_FORMAT;

    fn format_1() -> Settings {
        let mut s = Settings {
            format: 1,
            ..Default::default()
        };
        for p in &mut s.media.profiles {
            p.metadata = Some(s.media.metadata[0].token.clone());
        }
        s
    }

    #[test]
    fn an_unfiltered_configuration_leaves_the_profiles() {
        let mut s = format_1();
        migrate(&mut s);
        assert_eq!(s.format, SETTINGS_FORMAT);
        assert!(s.media.profiles.iter().all(|p| p.metadata.is_none()));
        assert_eq!(s.media.metadata.len(), 1, "the configuration stays offered");
        crate::settings::validate(&s).unwrap_or_else(|e| {
            // Users are not part of this migration; an empty list is the only fault.
            assert!(e.contains("administrator"), "{e}")
        });
    }

    #[test]
    fn a_filtered_configuration_keeps_its_track() {
        let mut s = format_1();
        s.media.metadata[0].events_filter = vec![FilterComponent {
            element: "TopicExpression".into(),
            dialect: "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet".into(),
            text: "tns1:VideoSource/MotionAlarm".into(),
            namespaces: vec![],
        }];
        let before = s.media.profiles.clone();
        migrate(&mut s);
        assert_eq!(s.media.profiles, before);
        assert_eq!(s.format, 2);
    }

    #[test]
    fn the_current_and_unknown_formats_are_left_alone() {
        for format in [0, SETTINGS_FORMAT, SETTINGS_FORMAT + 1] {
            let mut s = format_1();
            s.format = format;
            let before = s.clone();
            migrate(&mut s);
            assert_eq!(s, before);
        }
    }
}
