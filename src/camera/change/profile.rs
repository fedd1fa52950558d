//! Media profiles: CreateProfile, DeleteProfile and the Add/Remove*Configuration
//! operations, and the rules every change is held to about what one profile holds (ONVIF
//! Media s5.3: its configurations must be compatible).

use crate::camera::caps::Facts;
use crate::camera::tokens::encoder_source;
use crate::settings::validate::{MAX_PROFILES, check_profile_token};
use crate::settings::{Profile, Settings};

use super::error::{ChangeError, PtzError, check_name};

/// A kind of configuration a profile holds: the values of `tr2:ConfigurationEnumeration`
/// nvt has (no analytics or receiver configurations exist on this device).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigKind {
    VideoSource,
    VideoEncoder,
    AudioSource,
    AudioEncoder,
    Metadata,
    Ptz,
    AudioOutput,
    AudioDecoder,
}

impl ConfigKind {
    /// Every kind, in `tr2:ConfigurationEnumeration`'s order (Media2 RemoveConfiguration
    /// `All`).
    pub const ALL: [ConfigKind; 8] = [
        ConfigKind::VideoSource,
        ConfigKind::VideoEncoder,
        ConfigKind::AudioSource,
        ConfigKind::AudioEncoder,
        ConfigKind::AudioOutput,
        ConfigKind::AudioDecoder,
        ConfigKind::Metadata,
        ConfigKind::Ptz,
    ];

    /// The profile's slot for this kind.
    fn slot(self, p: &mut Profile) -> &mut Option<String> {
        match self {
            ConfigKind::VideoSource => &mut p.video_source,
            ConfigKind::VideoEncoder => &mut p.video_encoder,
            ConfigKind::AudioSource => &mut p.audio_source,
            ConfigKind::AudioEncoder => &mut p.audio_encoder,
            ConfigKind::Metadata => &mut p.metadata,
            ConfigKind::Ptz => &mut p.ptz,
            ConfigKind::AudioOutput => &mut p.audio_output,
            ConfigKind::AudioDecoder => &mut p.audio_decoder,
        }
    }
}

/// A configuration to put into a profile (`tr2:ConfigurationRef`): its kind and token. No
/// token: the device picks one ([`pick`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRef {
    pub(crate) kind: ConfigKind,
    pub(crate) token: Option<String>,
}

/// The profile operations. `config: None` removes that kind of configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileChange {
    /// Media 1 CreateProfile (the client may name the token) and Media 2 CreateProfile (the
    /// device names it; `configs` are added in the same change, as by [`Self::Add`]).
    Create {
        token: Option<String>,
        name: String,
        configs: Vec<ConfigRef>,
    },
    Delete {
        token: String,
    },
    /// Media 2 AddConfiguration: `name` renames the profile; each listed configuration
    /// replaces the one of its kind. All of them or none: the rules are checked on the
    /// profile they make together (so a video source and the encoder that needs it go in one
    /// request), never on a profile half way.
    Add {
        profile: String,
        name: Option<String>,
        configs: Vec<ConfigRef>,
    },
    /// Media 2 RemoveConfiguration: a kind the profile does not hold is no error (Media2
    /// spec, "RemoveConfiguration": "shall be ignored"). Fixed profiles too: "fixed" only
    /// means the profile cannot be deleted (Media2 spec, "Media profiles").
    Remove {
        profile: String,
        kinds: Vec<ConfigKind>,
    },
    /// Media 1 Add/RemoveVideoSourceConfiguration: one kind of [`Self::Add`] or
    /// [`Self::Remove`], as are the three below.
    VideoSource {
        profile: String,
        config: Option<String>,
    },
    VideoEncoder {
        profile: String,
        config: Option<String>,
    },
    Metadata {
        profile: String,
        config: Option<String>,
    },
    /// Media 1 Add/RemoveAudioOutputConfiguration and Add/RemoveAudioDecoderConfiguration.
    AudioOutput {
        profile: String,
        config: Option<String>,
    },
    AudioDecoder {
        profile: String,
        config: Option<String>,
    },
    /// Media 1 Add/RemoveAudioSourceConfiguration and Add/RemoveAudioEncoderConfiguration.
    AudioSource {
        profile: String,
        config: Option<String>,
    },
    AudioEncoder {
        profile: String,
        config: Option<String>,
    },
    /// AddPTZConfiguration (replaces the profile's one) and RemovePTZConfiguration (a no-op
    /// when the profile has none: the Media spec calls that fault, NoConfig, obsolete).
    Ptz {
        profile: String,
        config: Option<String>,
    },
}

fn find_profile<'a>(s: &'a mut Settings, token: &str) -> Result<&'a mut Profile, ChangeError> {
    s.media
        .profiles
        .iter_mut()
        .find(|p| p.token == token)
        .ok_or_else(|| ChangeError::NoProfile(token.to_owned()))
}

/// A fresh profile token: `profile_1`, `profile_2`, ... (the lowest free one).
fn new_profile_token(s: &Settings) -> String {
    (1..)
        .map(|n| format!("profile_{n}"))
        .find(|t| s.profile(t).is_none())
        .expect("a free token exists")
}

/// Applies a profile operation; returns the token of a created profile.
pub(crate) fn profile(
    next: &mut Settings,
    facts: Option<Facts<'_>>,
    change: ProfileChange,
) -> Result<Option<String>, ChangeError> {
    let one = |kind, profile, config: Option<String>| match config {
        Some(token) => ProfileChange::Add {
            profile,
            name: None,
            configs: vec![ConfigRef {
                kind,
                token: Some(token),
            }],
        },
        None => ProfileChange::Remove {
            profile,
            kinds: vec![kind],
        },
    };
    match change {
        ProfileChange::Create {
            token,
            name,
            configs,
        } => {
            check_name(&name)?;
            if next.media.profiles.len() >= MAX_PROFILES {
                return Err(ChangeError::MaxProfiles);
            }
            let token = match token {
                Some(t) if next.profile(&t).is_some() => {
                    return Err(ChangeError::ProfileExists(t));
                }
                Some(t) => {
                    // Tokens become URL path segments (RTSP, snapshot, HLS): never `.`/`..`.
                    check_profile_token(&t).map_err(ChangeError::BadToken)?;
                    t
                }
                None => new_profile_token(next),
            };
            next.media.profiles.push(Profile {
                token: token.clone(),
                name,
                fixed: false,
                video_source: None,
                video_encoder: None,
                metadata: None,
                ptz: None,
                audio_source: None,
                audio_encoder: None,
                audio_output: None,
                audio_decoder: None,
            });
            add(next, facts, &token, configs)?;
            Ok(Some(token))
        }
        ProfileChange::Delete { token } => {
            if find_profile(next, &token)?.fixed {
                return Err(ChangeError::FixedProfile(token));
            }
            next.media.profiles.retain(|p| p.token != token);
            Ok(None)
        }
        ProfileChange::Add {
            profile,
            name,
            configs,
        } => {
            let p = find_profile(next, &profile)?;
            if let Some(name) = name {
                check_name(&name)?;
                p.name = name;
            }
            add(next, facts, &profile, configs)?;
            Ok(None)
        }
        ProfileChange::Remove { profile, kinds } => {
            let p = find_profile(next, &profile)?;
            for kind in kinds {
                *kind.slot(p) = None;
            }
            Ok(None)
        }
        ProfileChange::VideoSource { profile, config } => {
            self::profile(next, facts, one(ConfigKind::VideoSource, profile, config))
        }
        ProfileChange::VideoEncoder { profile, config } => {
            self::profile(next, facts, one(ConfigKind::VideoEncoder, profile, config))
        }
        ProfileChange::Metadata { profile, config } => {
            self::profile(next, facts, one(ConfigKind::Metadata, profile, config))
        }
        ProfileChange::AudioSource { profile, config } => {
            self::profile(next, facts, one(ConfigKind::AudioSource, profile, config))
        }
        ProfileChange::AudioEncoder { profile, config } => {
            self::profile(next, facts, one(ConfigKind::AudioEncoder, profile, config))
        }
        ProfileChange::Ptz { profile, config } => {
            self::profile(next, facts, one(ConfigKind::Ptz, profile, config))
        }
        ProfileChange::AudioOutput { profile, config } => {
            self::profile(next, facts, one(ConfigKind::AudioOutput, profile, config))
        }
        ProfileChange::AudioDecoder { profile, config } => {
            self::profile(next, facts, one(ConfigKind::AudioDecoder, profile, config))
        }
    }
}

/// Puts `configs` into profile `token`, in the order given (a later one of a kind replaces an
/// earlier one). A token that names no configuration of its kind is NoConfig; a PTZ
/// configuration whose video source has no head is refused (PTZNotSupported). The rules
/// between a profile's configurations (`check_encoder_sources`, `check_ptz_sources`) are
/// checked by `plan` once the whole change is made.
fn add(
    next: &mut Settings,
    facts: Option<Facts<'_>>,
    token: &str,
    configs: Vec<ConfigRef>,
) -> Result<(), ChangeError> {
    for c in configs {
        let config = match c.token {
            Some(t) => {
                if !exists(next, c.kind, &t) {
                    return Err(ChangeError::NoConfig(t));
                }
                t
            }
            None => pick(next, facts, token, c.kind)?,
        };
        if c.kind == ConfigKind::Ptz {
            let source = next.ptz_config(&config).expect("exists").source;
            let facts = facts.ok_or(ChangeError::Stopping)?;
            if facts.ptz(source).is_none() {
                return Err(PtzError::NotSupported(config).into());
            }
        }
        *c.kind.slot(find_profile(next, token)?) = Some(config);
    }
    Ok(())
}

/// Whether `token` names a configuration of that kind.
fn exists(s: &Settings, kind: ConfigKind, token: &str) -> bool {
    match kind {
        ConfigKind::VideoSource => s.media.video_sources.iter().any(|v| v.token == token),
        ConfigKind::VideoEncoder => s.encoder(token).is_some(),
        ConfigKind::AudioSource => s.media.audio_sources.iter().any(|a| a.token == token),
        ConfigKind::AudioEncoder => s.audio_encoder(token).is_some(),
        ConfigKind::Metadata => s.media.metadata.iter().any(|m| m.token == token),
        ConfigKind::Ptz => s.ptz_config(token).is_some(),
        ConfigKind::AudioOutput => s.audio_output(token).is_some(),
        ConfigKind::AudioDecoder => s.audio_decoder(token).is_some(),
    }
}

/// The configuration the device picks for a reference without a token (Media2
/// CreateProfile and AddConfiguration, `tr2:ConfigurationRef`: the schema asks clients for
/// the token, a device that is given none picks a suitable one rather than refuse): the one
/// the profile holds already; else the first of the kind that fits the profile's video
/// source (an encoder of that sensor, a PTZ configuration of its head); else NoConfig.
fn pick(
    s: &Settings,
    facts: Option<Facts<'_>>,
    profile: &str,
    kind: ConfigKind,
) -> Result<String, ChangeError> {
    let p = s.profile(profile).expect("the caller found it");
    let held = match kind {
        ConfigKind::VideoSource => &p.video_source,
        ConfigKind::VideoEncoder => &p.video_encoder,
        ConfigKind::AudioSource => &p.audio_source,
        ConfigKind::AudioEncoder => &p.audio_encoder,
        ConfigKind::Metadata => &p.metadata,
        ConfigKind::Ptz => &p.ptz,
        ConfigKind::AudioOutput => &p.audio_output,
        ConfigKind::AudioDecoder => &p.audio_decoder,
    };
    if let Some(t) = held {
        return Ok(t.clone());
    }
    let source = (p.video_source.as_deref())
        .and_then(|t| s.media.video_sources.iter().find(|v| v.token == t))
        .map(|v| v.source);
    let fits = |vi: u32| source.is_none_or(|s| s == vi);
    let found = match kind {
        ConfigKind::VideoSource => s.media.video_sources.first().map(|v| &v.token),
        ConfigKind::VideoEncoder => (s.media.video_encoders.iter())
            .find(|e| fits(encoder_source(s, &e.token)))
            .map(|e| &e.token),
        ConfigKind::AudioSource => s.media.audio_sources.first().map(|a| &a.token),
        ConfigKind::AudioEncoder => s.media.audio_encoders.first().map(|e| &e.token),
        ConfigKind::Metadata => s.media.metadata.first().map(|m| &m.token),
        ConfigKind::Ptz => (s.media.ptz.iter())
            .find(|c| fits(c.source) && facts.is_some_and(|f| f.ptz(c.source).is_some()))
            .map(|c| &c.token),
        ConfigKind::AudioOutput => s.media.audio_outputs.first().map(|c| &c.token),
        ConfigKind::AudioDecoder => s.media.audio_decoders.first().map(|c| &c.token),
    };
    found
        .cloned()
        .ok_or_else(|| ChangeError::NoConfig(format!("(a {kind:?} configuration for {profile:?})")))
}

/// ONVIF Media s5.3: configurations in one profile must be compatible. An encoder encodes
/// one video source, so every profile holding an encoder configuration must hold the same
/// video source configuration's source (or none).
pub(crate) fn check_encoder_sources(s: &Settings) -> Result<(), ChangeError> {
    for e in &s.media.video_encoders {
        let mut sources = s
            .media
            .profiles
            .iter()
            .filter(|p| p.video_encoder.as_deref() == Some(e.token.as_str()))
            .filter_map(|p| p.video_source.as_deref())
            .filter_map(|t| s.media.video_sources.iter().find(|v| v.token == t))
            .map(|v| v.source);
        if let Some(first) = sources.next()
            && sources.any(|v| v != first)
        {
            return Err(ChangeError::Conflict(format!(
                "video encoder configuration {:?} would encode two video sources",
                e.token
            )));
        }
    }
    Ok(())
}

/// Media s5.3 for PTZ: a profile's PTZ configuration moves the head of the profile's video
/// source (checked after every change, so AddVideoSourceConfiguration is held to it too).
pub(crate) fn check_ptz_sources(s: &Settings) -> Result<(), ChangeError> {
    for p in &s.media.profiles {
        let (Some(ptz), Some(vsc)) = (&p.ptz, &p.video_source) else {
            continue;
        };
        let config = s.ptz_config(ptz);
        let source = s.media.video_sources.iter().find(|v| &v.token == vsc);
        if let (Some(c), Some(v)) = (config, source)
            && c.source != v.source
        {
            return Err(ChangeError::Conflict(format!(
                "PTZ configuration {ptz:?} moves the head of video source {} but profile {:?} \
                 shows video source {}",
                c.source, p.token, v.source
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::ptz_tests::{Hw, dome};
    use crate::camera::change::testing::{NO_HW, ctx};
    use crate::camera::change::{Change, Outcome, plan};
    use crate::settings::{Bounds, VideoSourceConfig};

    use ConfigKind::*;

    fn r(kind: ConfigKind, token: &str) -> ConfigRef {
        ConfigRef {
            kind,
            token: Some(token.into()),
        }
    }

    fn any(kind: ConfigKind) -> ConfigRef {
        ConfigRef { kind, token: None }
    }

    fn create(name: &str, configs: Vec<ConfigRef>) -> Change {
        Change::Profile(ProfileChange::Create {
            token: None,
            name: name.into(),
            configs,
        })
    }

    fn add(profile: &str, name: Option<&str>, configs: Vec<ConfigRef>) -> Change {
        Change::Profile(ProfileChange::Add {
            profile: profile.into(),
            name: name.map(String::from),
            configs,
        })
    }

    /// Default settings with a second sensor (`vs1`, configuration `vsc1`) and the PTZ
    /// configuration of the dome on the first, as a camera with that hardware starts.
    fn two_sensors(hw: &Hw) -> Settings {
        let mut s = Settings::default();
        s.media.video_sources.push(VideoSourceConfig {
            token: "vsc1".into(),
            name: "Second".into(),
            source: 1,
            bounds: Bounds {
                x: 0,
                y: 0,
                width: 1280,
                height: 720,
            },
        });
        let defaults = Change::HardwareDefaults {
            imaging: Vec::new(),
            fit_encoders: false,
        };
        plan(&s, &ctx(hw.facts()), defaults).unwrap().0
    }

    #[test]
    fn created_profiles_get_the_lowest_free_token_and_their_configurations() {
        let hw = Hw::new(vec![Some(dome()), None]);
        let s = two_sensors(&hw);
        let c = ctx(hw.facts());
        let (s, out) = plan(&s, &c, create("a", vec![r(VideoSource, "vsc0")])).unwrap();
        assert_eq!(out, Outcome::ProfileCreated("profile_1".into()));
        let (s, out) = plan(&s, &c, create("b", vec![])).unwrap();
        assert_eq!(out, Outcome::ProfileCreated("profile_2".into()));
        let delete = Change::Profile(ProfileChange::Delete {
            token: "profile_1".into(),
        });
        let (s, _) = plan(&s, &c, delete).unwrap();
        let all = vec![
            r(VideoSource, "vsc0"),
            r(VideoEncoder, "venc_sub"),
            r(Metadata, "meta0"),
            r(Ptz, "ptz_0"),
        ];
        let (s, out) = plan(&s, &c, create("c", all)).unwrap();
        assert_eq!(out, Outcome::ProfileCreated("profile_1".into()), "reused");
        let p = s.profile("profile_1").unwrap();
        assert_eq!(
            (p.video_source.as_deref(), p.video_encoder.as_deref()),
            (Some("vsc0"), Some("venc_sub"))
        );
        assert_eq!(
            (p.metadata.as_deref(), p.ptz.as_deref()),
            (Some("meta0"), Some("ptz_0"))
        );
        assert!(!p.fixed);
    }

    /// One bad reference fails the whole change: nothing is created or added.
    #[test]
    fn a_bad_reference_changes_nothing() {
        let hw = Hw::new(vec![Some(dome()), None]);
        let s = two_sensors(&hw);
        let c = ctx(hw.facts());
        let bad = vec![r(VideoSource, "vsc0"), r(VideoEncoder, "nope")];
        assert_eq!(
            plan(&s, &c, create("x", bad.clone())).unwrap_err(),
            ChangeError::NoConfig("nope".into())
        );
        assert_eq!(
            plan(&s, &c, add("sub", Some("renamed"), bad)).unwrap_err(),
            ChangeError::NoConfig("nope".into())
        );
        // A token of another kind is no configuration of this one.
        assert!(matches!(
            plan(&s, &c, add("sub", None, vec![r(Metadata, "vsc0")])),
            Err(ChangeError::NoConfig(_))
        ));
        // The encoder `main` and `sub` share would encode two sensors.
        let conflict = add(
            "sub",
            None,
            vec![r(VideoSource, "vsc1"), r(VideoEncoder, "venc_main")],
        );
        assert!(matches!(
            plan(&s, &c, conflict),
            Err(ChangeError::Conflict(_))
        ));
        // The dome is on sensor 0: not on a profile of sensor 1.
        let ptz = add("sub", None, vec![r(VideoSource, "vsc1"), r(Ptz, "ptz_0")]);
        assert!(matches!(plan(&s, &c, ptz), Err(ChangeError::Conflict(_))));
        assert!(matches!(
            plan(&s, &c, add("nope", None, vec![])),
            Err(ChangeError::NoProfile(_))
        ));
        assert!(matches!(
            plan(&s, &c, add("sub", Some(""), vec![])),
            Err(ChangeError::Invalid(_))
        ));
    }

    #[test]
    fn max_profiles_refuses_a_create() {
        let mut s = Settings::default();
        while s.media.profiles.len() < MAX_PROFILES {
            s = plan(&s, &NO_HW, create("p", vec![])).unwrap().0;
        }
        assert_eq!(
            plan(&s, &NO_HW, create("p", vec![])).unwrap_err(),
            ChangeError::MaxProfiles
        );
    }

    /// AddConfiguration: several kinds at once, the name with them, a later one of a kind
    /// replacing the profile's; the source and the encoder that needs it in one request.
    #[test]
    fn add_is_one_change_with_the_rename() {
        let hw = Hw::new(vec![None, None]);
        let s = two_sensors(&hw);
        let c = ctx(hw.facts());
        let (s, _) = plan(&s, &c, create("bare", vec![])).unwrap();
        // Moving `sub` to sensor 1 with its own encoder (used by `sub` alone): one request.
        let both = add(
            "sub",
            Some("Second sensor"),
            vec![r(VideoSource, "vsc1"), r(VideoEncoder, "venc_sub")],
        );
        let (next, _) = plan(&s, &c, both).unwrap();
        let p = next.profile("sub").unwrap();
        assert_eq!(p.name, "Second sensor");
        assert_eq!(p.video_source.as_deref(), Some("vsc1"));
        assert_eq!(crate::camera::encoder_source(&next, "venc_sub"), 1);
        // A later reference of a kind replaces an earlier one.
        let twice = add(
            "profile_1",
            None,
            vec![r(VideoSource, "vsc0"), r(VideoSource, "vsc1")],
        );
        let (next, _) = plan(&s, &c, twice).unwrap();
        assert_eq!(
            next.profile("profile_1").unwrap().video_source.as_deref(),
            Some("vsc1")
        );
        let (next, _) = plan(&s, &c, add("profile_1", None, vec![r(Metadata, "meta0")])).unwrap();
        assert_eq!(
            next.profile("profile_1").unwrap().metadata.as_deref(),
            Some("meta0")
        );
        assert_eq!(
            next.profile("profile_1").unwrap().name,
            "bare",
            "no Name: kept"
        );
    }

    /// A reference without a token: the one the profile holds, else the first that fits the
    /// profile's video source; NoConfig when none does.
    #[test]
    fn the_device_picks_a_configuration_for_a_reference_without_token() {
        let hw = Hw::new(vec![None, Some(dome())]);
        let mut s = two_sensors(&hw);
        // The head is on sensor 1 here: its configuration is ptz_1.
        let c = ctx(hw.facts());
        let picked = vec![any(VideoSource), any(VideoEncoder), any(Metadata)];
        let (next, out) = plan(&s, &c, create("auto", picked)).unwrap();
        let Outcome::ProfileCreated(t) = out else {
            panic!()
        };
        let p = next.profile(&t).unwrap();
        assert_eq!(p.video_source.as_deref(), Some("vsc0"));
        assert_eq!(p.video_encoder.as_deref(), Some("venc_main"));
        assert_eq!(p.metadata.as_deref(), Some("meta0"));
        // No PTZ configuration moves the head of sensor 0.
        assert!(matches!(
            plan(&next, &c, add(&t, None, vec![any(Ptz)])),
            Err(ChangeError::NoConfig(_))
        ));
        let on_one = add(&t, None, vec![r(VideoSource, "vsc1"), any(Ptz)]);
        s = plan(&s, &c, create("auto", vec![])).unwrap().0;
        let t = "profile_1";
        let (next, _) = plan(&s, &c, on_one).unwrap();
        assert_eq!(next.profile(t).unwrap().ptz.as_deref(), Some("ptz_1"));
        // Held already: kept.
        let (again, _) = plan(&next, &c, add(t, None, vec![any(VideoSource)])).unwrap();
        assert_eq!(
            again.profile(t).unwrap().video_source.as_deref(),
            Some("vsc1")
        );
    }

    /// RemoveConfiguration: the listed kinds, every kind for `All` (fixed profiles too); a
    /// kind the profile does not hold is no error.
    #[test]
    fn remove_empties_fixed_profiles_too() {
        let s = Settings::default();
        let all = Change::Profile(ProfileChange::Remove {
            profile: "main".into(),
            kinds: ConfigKind::ALL.to_vec(),
        });
        let (next, _) = plan(&s, &NO_HW, all).unwrap();
        let p = next.profile("main").unwrap();
        assert!(p.fixed);
        assert_eq!(
            (&p.video_source, &p.video_encoder, &p.metadata, &p.ptz),
            (&None, &None, &None, &None)
        );
        let absent = Change::Profile(ProfileChange::Remove {
            profile: "main".into(),
            kinds: vec![Ptz, Metadata],
        });
        let (again, _) = plan(&next, &NO_HW, absent).unwrap();
        assert_eq!(again, next);
        // And back, all at once (MEDIA2-1-1-7), without hardware for these kinds.
        let restore = add(
            "main",
            None,
            vec![
                r(VideoSource, "vsc0"),
                r(VideoEncoder, "venc_main"),
                r(Metadata, "meta0"),
            ],
        );
        let (back, _) = plan(&again, &NO_HW, restore).unwrap();
        let mut expected = s.clone();
        expected.media.profiles[0].metadata = Some("meta0".into());
        assert_eq!(back, expected);
    }

    /// A PTZ configuration whose source has no head is PTZNotSupported (Media 1's rule).
    #[test]
    fn ptz_needs_a_head() {
        let with_head = Hw::new(vec![Some(dome()), None]);
        let s = two_sensors(&with_head);
        // The same settings on a port whose SDK reports no head.
        let headless = Hw::new(vec![None, None]);
        let c = ctx(headless.facts());
        let (s, _) = plan(&s, &c, create("bare", vec![])).unwrap();
        let e = plan(&s, &c, add("profile_1", None, vec![r(Ptz, "ptz_0")])).unwrap_err();
        assert_eq!(e, PtzError::NotSupported("ptz_0".into()).into());
        let e = plan(&s, &c, create("x", vec![r(Ptz, "ptz_0")])).unwrap_err();
        assert_eq!(e, PtzError::NotSupported("ptz_0".into()).into());
    }

    #[test]
    fn dot_profile_tokens_are_refused() {
        let s = Settings::default();
        for t in [".", "..", ".hidden"] {
            let c = ProfileChange::Create {
                token: Some(t.into()),
                name: "x".into(),
                configs: Vec::new(),
            };
            assert!(
                matches!(
                    plan(&s, &NO_HW, Change::Profile(c)),
                    Err(ChangeError::BadToken(_))
                ),
                "{t}"
            );
        }
        let ok = ProfileChange::Create {
            token: Some("cam.1".into()),
            name: "x".into(),
            configs: Vec::new(),
        };
        assert_eq!(
            plan(&s, &NO_HW, Change::Profile(ok)).unwrap().1,
            Outcome::ProfileCreated("cam.1".into())
        );
    }
}
