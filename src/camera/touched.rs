//! Which media profiles and configurations a committed change touched, for the events
//! `tns1:Media/ProfileChanged` and `tns1:Media/ConfigurationChanged` (Media2 s.5.16).
//!
//! Computed from the settings before and after the change, by token, never from the kind
//! of change: whichever service or operation made it (Media1, Media2, PTZ SetConfiguration,
//! a factory reset), a profile or configuration whose stored values differ is reported, and
//! one whose values stay the same is not. Pure.
//!
//! - A profile is touched when it was created or deleted, or any of its stored fields
//!   changed: a configuration added, removed or replaced (Media2 s.5.16.1 names these) and
//!   also its name (Media2 AddConfiguration may rename it; the spec's list says when the
//!   event "should" be raised at least, and a renamed profile has changed).
//! - A configuration is touched when its stored values changed, or it was created or
//!   deleted. Being added to or removed from a profile does not change it (its UseCount is
//!   derived, not stored): that is the profile's ProfileChanged.
//! - OSDs (`media.osd`) touch nothing: tr2:ConfigurationEnumeration, the event's Type, has
//!   no OSD value (Media2 s."Configuration Change": "pass the appropriate
//!   ConfigurationEnumeration value", and none is), and an OSD is an object of its own that
//!   refers to its video source configuration, whose stored values it does not change.
//! - Settings outside the media configurations (users, network, clock, discovery, imaging,
//!   PTZ presets and home) touch nothing: tr2:ConfigurationEnumeration names none of them.

use crate::events::media::ConfigurationType;
use crate::settings::Settings;

/// See the module doc. Tokens in the settings' order (deleted ones where they were, created
/// ones after).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Touched {
    pub(crate) profiles: Vec<String>,
    pub(crate) configurations: Vec<(String, ConfigurationType)>,
}

impl Touched {
    pub(crate) fn between(before: &Settings, next: &Settings) -> Touched {
        let (b, n) = (&before.media, &next.media);
        let profiles = changed(&b.profiles, &n.profiles, |p| &p.token);
        let mut configurations = Vec::new();
        let mut add = |tokens: Vec<String>, ty| {
            configurations.extend(tokens.into_iter().map(|t| (t, ty)));
        };
        // One line per configuration list of `MediaSettings` (a test fails when a list is
        // added without one).
        add(
            changed(&b.video_sources, &n.video_sources, |c| &c.token),
            ConfigurationType::VideoSource,
        );
        add(
            changed(&b.video_encoders, &n.video_encoders, |c| &c.token),
            ConfigurationType::VideoEncoder,
        );
        add(
            changed(&b.metadata, &n.metadata, |c| &c.token),
            ConfigurationType::Metadata,
        );
        add(
            changed(&b.ptz, &n.ptz, |c| &c.token),
            ConfigurationType::Ptz,
        );
        add(
            changed(&b.audio_sources, &n.audio_sources, |c| &c.token),
            ConfigurationType::AudioSource,
        );
        add(
            changed(&b.audio_encoders, &n.audio_encoders, |c| &c.token),
            ConfigurationType::AudioEncoder,
        );
        add(
            changed(&b.audio_outputs, &n.audio_outputs, |c| &c.token),
            ConfigurationType::AudioOutput,
        );
        add(
            changed(&b.audio_decoders, &n.audio_decoders, |c| &c.token),
            ConfigurationType::AudioDecoder,
        );
        // `osd`: no ConfigurationChanged Type names an OSD (see the module doc).
        // `multicast_started`: Start/StopMulticastStreaming change no profile or
        // configuration, only whether its stream runs (and runs again after a restart).
        Touched {
            profiles,
            configurations,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.profiles.is_empty() && self.configurations.is_empty()
    }
}

/// Tokens of the entries that differ between `before` and `next`: changed or deleted (in
/// `before`'s order), then created.
fn changed<T: PartialEq>(before: &[T], next: &[T], token: impl Fn(&T) -> &String) -> Vec<String> {
    let in_list = |list: &[T], t: &String| list.iter().position(|x| token(x) == t);
    let gone_or_changed = before
        .iter()
        .filter(|old| in_list(next, token(old)).map(|i| &next[i]) != Some(*old));
    let created = next
        .iter()
        .filter(|new| in_list(before, token(new)).is_none());
    gone_or_changed
        .chain(created)
        .map(|x| token(x).clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::{self, Change, Context, ProfileChange};
    use crate::sdk::{AutoMode, IrCutMode, IspAttr};
    use crate::settings::{ImagingSettings, PtzConfig, PtzNode, PtzPosition, PtzSpeed};

    use ConfigurationType::*;

    /// Default settings with a PTZ configuration on `main` (as a camera with a head has) and
    /// the imaging settings of `vs0`.
    fn with_ptz() -> Settings {
        let mut s = Settings::default();
        s.media.ptz.push(PtzConfig {
            token: "ptz_0".into(),
            name: "PTZ".into(),
            source: 0,
            node: "ptz_node_0".into(),
            default_timeout_ms: 5000,
            default_speed: PtzSpeed::default(),
            spaces: Default::default(),
        });
        s.ptz_nodes.push(PtzNode {
            token: "ptz_node_0".into(),
            source: 0,
            home: None,
            presets: Vec::new(),
        });
        s.media.profiles[0].ptz = Some("ptz_0".into());
        s.imaging.push(ImagingSettings {
            source_token: "vs0".into(),
            isp: IspAttr {
                brightness: 50,
                contrast: 50,
                saturation: 50,
                sharpness: 50,
                ircut: IrCutMode::Auto,
                backlight: false,
                backlight_level: 50,
                wdr: false,
                wdr_level: 50,
                exposure_mode: AutoMode::Auto,
                exposure_time_us: 10_000,
                gain: 0,
                wb_mode: AutoMode::Auto,
                wb_cr_gain: 50,
                wb_cb_gain: 50,
            },
            motion: Default::default(),
        });
        s
    }

    fn touched(before: &Settings, edit: impl FnOnce(&mut Settings)) -> Touched {
        let mut next = before.clone();
        edit(&mut next);
        Touched::between(before, &next)
    }

    fn configs(list: &[(&str, ConfigurationType)]) -> Vec<(String, ConfigurationType)> {
        list.iter().map(|(t, ty)| (t.to_string(), *ty)).collect()
    }

    #[test]
    fn a_changed_configuration_is_reported_with_its_type_and_no_profile() {
        let s = with_ptz();
        let t = touched(&s, |n| n.media.video_encoders[0].bitrate_kbps = 1024);
        assert_eq!(t.configurations, configs(&[("venc_main", VideoEncoder)]));
        assert!(t.profiles.is_empty(), "{t:?}");
        let t = touched(&s, |n| n.media.video_sources[0].bounds.width = 640);
        assert_eq!(t.configurations, configs(&[("vsc0", VideoSource)]));
        let t = touched(&s, |n| n.media.metadata[0].analytics = false);
        assert_eq!(t.configurations, configs(&[("meta0", Metadata)]));
        let t = touched(&s, |n| n.media.ptz[0].default_timeout_ms = 2500);
        assert_eq!(t.configurations, configs(&[("ptz_0", Ptz)]));
        // Two at once, in the settings' order of kinds.
        let t = touched(&s, |n| {
            n.media.ptz[0].name = "Dome".into();
            n.media.video_encoders[1].fps = 10;
        });
        assert_eq!(
            t.configurations,
            configs(&[("venc_sub", VideoEncoder), ("ptz_0", Ptz)])
        );
    }

    #[test]
    fn profiles_created_deleted_or_recomposed_are_reported_not_their_configurations() {
        let s = with_ptz();
        let mut p = s.media.profiles[1].clone();
        p.token = "p1".into();
        p.fixed = false;
        let t = touched(&s, |n| n.media.profiles.push(p));
        assert_eq!((t.profiles, t.configurations), (vec!["p1".into()], vec![]));
        let t = touched(&s, |n| {
            n.media.profiles.remove(0);
        });
        assert_eq!(t.profiles, ["main"]);
        let t = touched(&s, |n| n.media.profiles[1].ptz = Some("ptz_0".into()));
        assert_eq!((t.profiles, t.configurations), (vec!["sub".into()], vec![]));
        let t = touched(&s, |n| n.media.profiles[0].video_encoder = None);
        assert_eq!(t.profiles, ["main"]);
        let t = touched(&s, |n| n.media.profiles[0].name = "Renamed".into());
        assert_eq!(t.profiles, ["main"]);
    }

    #[test]
    fn deleted_configurations_are_reported_where_they_were_then_created_ones() {
        let s = with_ptz();
        let t = touched(&s, |n| {
            let mut c = n.media.video_encoders.remove(0);
            c.token = "venc_new".into();
            n.media.video_encoders.push(c);
        });
        assert_eq!(
            t.configurations,
            configs(&[("venc_main", VideoEncoder), ("venc_new", VideoEncoder)])
        );
    }

    /// Changes of other settings are no media changes, nor are OSDs (no Type names them).
    #[test]
    fn users_network_clock_imaging_and_presets_touch_nothing() {
        let s = with_ptz();
        type Edit = (&'static str, fn(&mut Settings));
        let edits: [Edit; 8] = [
            ("users", |n| n.users.clear()),
            ("hostname", |n| n.network.hostname = Some("cam".into())),
            ("clock", |n| n.time.clock_offset_secs = 3600),
            ("scopes", |n| n.discovery.extra_scopes.push("x".into())),
            ("imaging", |n| n.imaging[0].isp.brightness = 60),
            ("osd", |n| {
                n.media.osd.push(crate::settings::OsdConfig {
                    token: "osd_0".into(),
                    video_source: "vsc0".into(),
                    position: crate::osd::Position::UpperLeft,
                    text: crate::osd::TextStyle {
                        content: crate::osd::Content::Plain("x".into()),
                        font_size: None,
                        font_colour: None,
                        background: None,
                    },
                })
            }),
            ("motion", |n| n.imaging[0].motion.sensitivity = 80),
            ("preset", |n| {
                n.ptz_nodes[0].home = Some(PtzPosition {
                    pan: 100,
                    tilt: 0,
                    zoom: 100,
                })
            }),
        ];
        for (what, edit) in edits {
            let t = touched(&s, edit);
            assert!(t.is_empty(), "{what}: {t:?}");
        }
        assert!(Touched::between(&s, &s).is_empty());
    }

    /// Through the planner, as the core computes it: a Media1 CreateProfile and an
    /// AddVideoEncoderConfiguration replacing the one a profile had.
    #[test]
    fn planned_profile_changes() {
        let s = with_ptz();
        let ctx = Context {
            facts: None,
            now_unix_ms: 0,
        };
        let apply = |s: &Settings, c: ProfileChange| {
            let (next, _) = change::plan(s, &ctx, Change::Profile(c)).unwrap();
            (Touched::between(s, &next), next)
        };
        let (t, s) = apply(
            &s,
            ProfileChange::Create {
                token: Some("p1".into()),
                name: "extra".into(),
                configs: Vec::new(),
            },
        );
        assert_eq!(t.profiles, ["p1"]);
        let (t, _) = apply(
            &s,
            ProfileChange::Metadata {
                profile: "p1".into(),
                config: Some("meta0".into()),
            },
        );
        assert_eq!((t.profiles, t.configurations), (vec!["p1".into()], vec![]));
    }

    /// Every configuration list of the media settings has its line in [`Touched::between`]:
    /// a new one (OSD, audio...) fails here until its author says which Type it raises (or
    /// that it raises none) and adds it to this list.
    #[test]
    fn every_media_configuration_list_is_diffed() {
        let json = serde_json::to_value(&Settings::default().media).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "audio_decoders",
                "audio_encoders",
                "audio_outputs",
                "audio_sources",
                "metadata",
                "multicast_started",
                "osd",
                "profiles",
                "ptz",
                "video_encoders",
                "video_sources"
            ],
            "a media settings list was added or renamed: diff it in Touched::between"
        );
    }
}
