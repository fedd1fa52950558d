//! The PTZ plans: hardware defaults, Add/RemovePTZConfiguration, presets, home and
//! SetConfiguration, each refusal with the error the services map to an ONVIF subcode.

use super::*;
use crate::sdk::{
    Axes, Codec, EncoderCaps, H264Profile, PtzInfo, PtzVector, RateControl, VideoSourceInfo,
};
use crate::settings::validate::MAX_PRESETS;
use crate::settings::{PtzConfig, PtzNode, PtzPosition, PtzPreset, PtzSpeed, VideoSourceConfig};

/// A dome: pan -170..170 degrees, tilt -30..90, zoom 1x..10x (the simulator's figures).
pub(crate) fn dome() -> PtzInfo {
    PtzInfo {
        supported: true,
        absolute: true,
        relative: true,
        continuous: true,
        axes: Axes::ALL,
        min: PtzVector {
            pan: -17_000,
            tilt: -3_000,
            zoom: 100,
        },
        max: PtzVector {
            pan: 17_000,
            tilt: 9_000,
            zoom: 1_000,
        },
        speed_max: PtzVector {
            pan: 10_000,
            tilt: 5_000,
            zoom: 500,
        },
        home: PtzVector {
            pan: 0,
            tilt: 0,
            zoom: 100,
        },
        hfov: 6_000,
        vfov: 3_400,
    }
}

/// The hardware a plan is made against: sources, and the head of each.
pub(crate) struct Hw {
    caps: EncoderCaps,
    sources: Vec<VideoSourceInfo>,
    ptz: Vec<Option<PtzInfo>>,
}

impl Hw {
    pub(crate) fn new(ptz: Vec<Option<PtzInfo>>) -> Hw {
        Hw {
            caps: EncoderCaps {
                codecs: vec![Codec::H264],
                h264_profiles: vec![H264Profile::Main],
                rc_modes: vec![RateControl::Cbr],
                resolutions: vec![(1280, 720), (640, 360)],
                fps: (1, 30),
                bitrate_kbps: (64, 4096),
                gop: (1, 120),
                qp: (10, 50),
            },
            sources: ptz
                .iter()
                .map(|_| VideoSourceInfo {
                    name: "s".into(),
                    width: 1280,
                    height: 720,
                    max_fps: 25,
                })
                .collect(),
            ptz,
        }
    }

    pub(crate) fn facts(&self) -> Facts<'_> {
        Facts {
            speaker: crate::sdk::AudioOutCaps::NONE,
            caps: &self.caps,
            sources: &self.sources,
            isp_ranges: &[],
            ptz: &self.ptz,
            osd: &[],
            gpio: crate::sdk::GpioInfo::NONE,
            audio: &crate::camera::audio_limits::NO_AUDIO,
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            facts: Some(self.facts()),
            now_unix_ms: 0,
        }
    }

    /// Plans `change` on `s`; the new settings replace `s` when it is accepted.
    fn apply(&self, s: &mut Settings, change: Change) -> Result<Outcome, ChangeError> {
        let (next, outcome) = plan(s, &self.ctx(), change)?;
        *s = next;
        Ok(outcome)
    }
}

const NO_HW: Context<'static> = Context {
    facts: None,
    now_unix_ms: 0,
};

fn defaults() -> Change {
    Change::HardwareDefaults {
        imaging: Vec::new(),
        fit_encoders: false,
    }
}

/// The defaults on a camera with a dome on source 0.
fn started(hw: &Hw) -> Settings {
    let mut s = Settings::default();
    hw.apply(&mut s, defaults()).unwrap();
    s
}

fn attach(profile: &str, config: Option<&str>) -> Change {
    Change::Profile(ProfileChange::Ptz {
        profile: profile.into(),
        config: config.map(str::to_owned),
    })
}

fn at(pan: i32, tilt: i32, zoom: i32) -> PtzPosition {
    PtzPosition { pan, tilt, zoom }
}

fn set_preset(preset: Option<&str>, name: Option<&str>, position: PtzPosition) -> Change {
    Change::Ptz(PtzChange::SetPreset {
        config: "ptz_0".into(),
        preset: preset.map(str::to_owned),
        name: name.map(str::to_owned),
        position,
    })
}

fn presets(s: &Settings) -> Vec<(String, String, PtzPosition)> {
    s.ptz_node("ptz_node_0")
        .unwrap()
        .presets
        .iter()
        .map(|p| (p.token.clone(), p.name.clone(), p.position))
        .collect()
}

fn ptz_of(s: &Settings, profile: &str) -> Option<String> {
    s.profile(profile).unwrap().ptz.clone()
}

#[test]
fn hardware_defaults_create_the_configuration_once() {
    let hw = Hw::new(vec![Some(dome())]);
    let mut s = Settings::default();
    // A profile a client made: not a fixed one, so it gets no PTZ configuration.
    hw.apply(
        &mut s,
        Change::Profile(ProfileChange::Create {
            token: Some("mine".into()),
            name: "mine".into(),
            configs: Vec::new(),
        }),
    )
    .unwrap();
    hw.apply(
        &mut s,
        Change::Profile(ProfileChange::VideoSource {
            profile: "mine".into(),
            config: Some("vsc0".into()),
        }),
    )
    .unwrap();
    hw.apply(&mut s, defaults()).unwrap();
    assert_eq!(
        s.media.ptz,
        vec![PtzConfig {
            token: "ptz_0".into(),
            name: "PTZ".into(),
            source: 0,
            node: "ptz_node_0".into(),
            default_timeout_ms: 5000,
            default_speed: PtzSpeed {
                pan_tilt: 1000,
                zoom: 1000,
            },
            spaces: Default::default(),
        }]
    );
    assert_eq!(
        s.ptz_nodes,
        vec![PtzNode {
            token: "ptz_node_0".into(),
            source: 0,
            home: None,
            presets: Vec::new(),
        }]
    );
    assert_eq!(ptz_of(&s, "main").as_deref(), Some("ptz_0"));
    assert_eq!(ptz_of(&s, "sub").as_deref(), Some("ptz_0"));
    assert_eq!(ptz_of(&s, "mine"), None);

    // A client removes it from the main profile: the next start keeps that.
    hw.apply(&mut s, attach("main", None)).unwrap();
    let (again, _) = plan(&s, &hw.ctx(), defaults()).unwrap();
    assert_eq!(again, s, "nothing created or attached twice");
    assert_eq!(ptz_of(&again, "main"), None);
}

#[test]
fn no_head_no_configuration() {
    // No head; and a head on a source no video source configuration shows.
    for ptz in [vec![None], vec![None, Some(dome())]] {
        let hw = Hw::new(ptz);
        let s = started(&hw);
        assert!(s.media.ptz.is_empty() && s.ptz_nodes.is_empty());
        assert!(s.media.profiles.iter().all(|p| p.ptz.is_none()));
    }
}

#[test]
fn factory_default_lets_the_next_start_create_it_again() {
    let hw = Hw::new(vec![Some(dome())]);
    let mut s = started(&hw);
    hw.apply(&mut s, attach("main", None)).unwrap();
    hw.apply(&mut s, set_preset(None, Some("door"), at(0, 0, 100)))
        .unwrap();
    hw.apply(&mut s, Change::FactoryDefault).unwrap();
    assert!(
        s.media.ptz.is_empty() && s.ptz_nodes.is_empty(),
        "presets go too"
    );
    hw.apply(&mut s, defaults()).unwrap();
    assert_eq!(ptz_of(&s, "main").as_deref(), Some("ptz_0"));
}

/// A second PTZ configuration on the same head, and a second source with its own head,
/// configuration and video source configuration.
fn two_heads() -> (Hw, Settings) {
    let hw = Hw::new(vec![Some(dome()), Some(dome())]);
    let mut s = Settings::default();
    let mut vsc1: VideoSourceConfig = s.media.video_sources[0].clone();
    vsc1.token = "vsc1".into();
    vsc1.source = 1;
    s.media.video_sources.push(vsc1);
    hw.apply(&mut s, defaults()).unwrap();
    let mut other = s.ptz_config("ptz_0").unwrap().clone();
    other.token = "ptz_b".into();
    s.media.ptz.push(other);
    validate::validate(&s).unwrap();
    assert!(s.ptz_config("ptz_1").is_some() && s.ptz_node("ptz_node_1").is_some());
    (hw, s)
}

#[test]
fn add_replaces_and_remove_without_one_is_no_error() {
    let (hw, mut s) = two_heads();
    assert_eq!(
        hw.apply(&mut s, attach("main", Some("ptz_b"))),
        Ok(Outcome::Done)
    );
    assert_eq!(ptz_of(&s, "main").as_deref(), Some("ptz_b"), "replaced");
    hw.apply(&mut s, attach("main", None)).unwrap();
    assert_eq!(ptz_of(&s, "main"), None);
    let (again, outcome) = plan(&s, &NO_HW, attach("main", None)).unwrap();
    assert_eq!((again, outcome), (s.clone(), Outcome::Done), "a no-op");
}

#[test]
fn add_refusals() {
    let (hw, s) = two_heads();
    let refused = |change| plan(&s, &hw.ctx(), change).unwrap_err();
    assert_eq!(
        refused(attach("main", Some("nope"))),
        ChangeError::NoConfig("nope".into())
    );
    assert_eq!(
        refused(attach("nope", Some("ptz_0"))),
        ChangeError::NoProfile("nope".into())
    );
    assert_eq!(
        refused(attach("nope", None)),
        ChangeError::NoProfile("nope".into())
    );
    // ptz_1 moves source 1's head; the main profile shows source 0.
    assert!(matches!(
        refused(attach("main", Some("ptz_1"))),
        ChangeError::Conflict(_)
    ));
    // The same rule the other way: a video source of another head under a PTZ configuration.
    assert!(matches!(
        refused(Change::Profile(ProfileChange::VideoSource {
            profile: "main".into(),
            config: Some("vsc1".into()),
        })),
        ChangeError::Conflict(_)
    ));
    // Without the hardware a configuration cannot be checked against its head.
    assert_eq!(
        plan(&s, &NO_HW, attach("main", Some("ptz_b"))).unwrap_err(),
        ChangeError::Stopping
    );
    // A head that is gone (a stored configuration, this start found no head).
    let headless = Hw::new(vec![Some(dome()), None]);
    assert_eq!(
        plan(&s, &headless.ctx(), attach("main", None)).map(|r| r.1),
        Ok(Outcome::Done)
    );
    let mut custom = s.clone();
    custom.media.profiles[0].video_source = None;
    assert_eq!(
        plan(&custom, &headless.ctx(), attach("main", Some("ptz_1"))).unwrap_err(),
        ChangeError::Ptz(PtzError::NotSupported("ptz_1".into()))
    );
}

#[test]
fn set_preset_creates_overwrites_and_names() {
    let hw = Hw::new(vec![Some(dome())]);
    let mut s = started(&hw);
    let mut set = |preset, name, position| hw.apply(&mut s, set_preset(preset, name, position));
    assert_eq!(
        set(None, None, at(100, 200, 300)),
        Ok(Outcome::Preset("1".into()))
    );
    assert_eq!(
        set(None, Some("Door"), at(-100, 0, 100)),
        Ok(Outcome::Preset("2".into()))
    );
    assert_eq!(
        set(None, Some("door"), at(0, 0, 100)),
        Err(PtzError::PresetExists("door".into()).into()),
        "names are unique without case"
    );
    assert_eq!(
        set(Some("1"), Some("DOOR"), at(0, 0, 100)),
        Err(PtzError::PresetExists("DOOR".into()).into()),
        "nor by renaming another"
    );
    // Overwriting keeps the token; the name changes only when given.
    assert_eq!(
        set(Some("2"), Some("door"), at(5, 5, 500)),
        Ok(Outcome::Preset("2".into()))
    );
    assert_eq!(
        set(Some("1"), None, at(7, 7, 700)),
        Ok(Outcome::Preset("1".into()))
    );
    assert_eq!(
        set(Some("9"), None, at(0, 0, 100)),
        Err(PtzError::NoPreset("9".into()).into())
    );
    for bad in ["", &"x".repeat(65), "a\nb"] {
        assert!(
            matches!(
                set(None, Some(bad), at(0, 0, 100)),
                Err(ChangeError::Ptz(PtzError::InvalidPresetName(_)))
            ),
            "{bad:?}"
        );
    }
    assert_eq!(
        presets(&s),
        vec![
            ("1".into(), "Preset 1".into(), at(7, 7, 700)),
            ("2".into(), "door".into(), at(5, 5, 500)),
        ]
    );
    // Tokens: the lowest free number. An unnamed preset is named after its token, so a
    // number whose name is taken is skipped.
    hw.apply(
        &mut s,
        Change::Ptz(PtzChange::RemovePreset {
            config: "ptz_0".into(),
            preset: "1".into(),
        }),
    )
    .unwrap();
    let mut set = |preset, name, position| hw.apply(&mut s, set_preset(preset, name, position));
    assert_eq!(
        set(None, Some("preset 3"), at(0, 0, 100)),
        Ok(Outcome::Preset("1".into()))
    );
    assert_eq!(
        set(None, None, at(0, 0, 100)),
        Ok(Outcome::Preset("4".into()))
    );
    assert_eq!(
        presets(&s)
            .into_iter()
            .map(|(t, n, _)| (t, n))
            .collect::<Vec<_>>(),
        vec![
            ("2".into(), "door".into()),
            ("1".into(), "preset 3".into()),
            ("4".into(), "Preset 4".into()),
        ]
    );
    validate::validate(&s).unwrap();
}

#[test]
fn the_101st_preset_is_refused() {
    let hw = Hw::new(vec![Some(dome())]);
    let mut s = started(&hw);
    for n in 1..=MAX_PRESETS {
        assert_eq!(
            hw.apply(&mut s, set_preset(None, None, at(0, 0, 100))),
            Ok(Outcome::Preset(n.to_string()))
        );
    }
    assert_eq!(
        hw.apply(&mut s, set_preset(None, Some("one more"), at(0, 0, 100))),
        Err(PtzError::TooManyPresets.into())
    );
    // Full, a preset can still be overwritten, and one removed makes room.
    assert_eq!(
        hw.apply(&mut s, set_preset(Some("50"), None, at(1, 1, 101))),
        Ok(Outcome::Preset("50".into()))
    );
    hw.apply(
        &mut s,
        Change::Ptz(PtzChange::RemovePreset {
            config: "ptz_0".into(),
            preset: "7".into(),
        }),
    )
    .unwrap();
    assert_eq!(
        hw.apply(&mut s, set_preset(None, Some("seven"), at(0, 0, 100))),
        Ok(Outcome::Preset("7".into()))
    );
}

#[test]
fn positions_outside_the_head_are_refused() {
    let hw = Hw::new(vec![Some(dome())]);
    let mut s = started(&hw);
    let home = |position| {
        Change::Ptz(PtzChange::SetHome {
            config: "ptz_0".into(),
            position,
        })
    };
    for (change, axis) in [
        (set_preset(None, None, at(17_001, 0, 100)), "pan 17001"),
        (set_preset(None, None, at(0, -3_001, 100)), "tilt -3001"),
        (home(at(0, 0, 99)), "zoom 99"),
        (home(at(0, 0, 1_001)), "zoom 1001"),
    ] {
        match plan(&s, &hw.ctx(), change) {
            Err(ChangeError::Ptz(PtzError::InvalidPosition(m))) => {
                assert!(m.starts_with(axis), "{m}")
            }
            other => panic!("{axis}: {other:?}"),
        }
    }
    assert_eq!(
        hw.apply(&mut s, home(at(-17_000, 9_000, 1_000))),
        Ok(Outcome::Done)
    );
    assert_eq!(
        s.ptz_node("ptz_node_0").unwrap().home,
        Some(at(-17_000, 9_000, 1_000))
    );
    // A head without zoom: the zoom of a position is not looked at.
    let mut fixed_lens = dome();
    fixed_lens.axes.zoom = false;
    let hw = Hw::new(vec![Some(fixed_lens)]);
    assert_eq!(
        hw.apply(&mut s, home(at(0, 0, 0))),
        Ok(Outcome::Done),
        "zoom 0 on a head without zoom"
    );
}

#[test]
fn ptz_changes_name_what_is_missing() {
    let hw = Hw::new(vec![Some(dome())]);
    let s = started(&hw);
    let refused = |change| plan(&s, &hw.ctx(), Change::Ptz(change)).unwrap_err();
    assert_eq!(
        refused(PtzChange::RemovePreset {
            config: "ptz_0".into(),
            preset: "1".into(),
        }),
        PtzError::NoPreset("1".into()).into()
    );
    let on = |config: &str| {
        [
            PtzChange::SetPreset {
                config: config.into(),
                preset: None,
                name: None,
                position: at(0, 0, 100),
            },
            PtzChange::RemovePreset {
                config: config.into(),
                preset: "1".into(),
            },
            PtzChange::SetHome {
                config: config.into(),
                position: at(0, 0, 100),
            },
            PtzChange::Configuration {
                token: config.into(),
                name: "x".into(),
                default_timeout_ms: None,
                default_speed: SpeedRequest::default(),
                absolute_degrees: None,
                relative_fov: None,
            },
        ]
    };
    for change in on("nope") {
        assert_eq!(refused(change), ChangeError::NoConfig("nope".into()));
    }
    for change in on("ptz_0") {
        assert_eq!(
            plan(&s, &NO_HW, Change::Ptz(change)).unwrap_err(),
            ChangeError::Stopping
        );
    }
    let headless = Hw::new(vec![None]);
    for change in on("ptz_0") {
        assert_eq!(
            plan(&s, &headless.ctx(), Change::Ptz(change)).unwrap_err(),
            PtzError::NotSupported("ptz_0".into()).into()
        );
    }
}

#[test]
fn set_configuration() {
    let hw = Hw::new(vec![Some(dome())]);
    let mut s = started(&hw);
    let configure = |name: &str, ms: Option<u64>, pan_tilt: Option<f32>, zoom: Option<f32>| {
        Change::Ptz(PtzChange::Configuration {
            token: "ptz_0".into(),
            name: name.into(),
            default_timeout_ms: ms,
            default_speed: SpeedRequest { pan_tilt, zoom },
            absolute_degrees: None,
            relative_fov: None,
        })
    };
    hw.apply(&mut s, configure("Dome", Some(120_000), Some(0.5), None))
        .unwrap();
    let c = s.ptz_config("ptz_0").unwrap();
    assert_eq!(
        (c.name.as_str(), c.default_timeout_ms, c.default_speed),
        (
            "Dome",
            120_000,
            PtzSpeed {
                pan_tilt: 500,
                zoom: 1000,
            }
        )
    );
    // Absent elements keep their values.
    hw.apply(&mut s, configure("Dome", None, None, Some(0.25)))
        .unwrap();
    let c = s.ptz_config("ptz_0").unwrap();
    assert_eq!(
        (c.default_timeout_ms, c.default_speed),
        (
            120_000,
            PtzSpeed {
                pan_tilt: 500,
                zoom: 250,
            }
        )
    );
    for bad in [
        configure("", None, None, None),
        configure(&"n".repeat(65), None, None, None),
        configure("x", Some(99), None, None),
        configure("x", Some(120_001), None, None),
        configure("x", Some(u64::MAX), None, None),
        configure("x", None, Some(1.01), None),
        configure("x", None, None, Some(-0.1)),
        configure("x", None, Some(f32::NAN), None),
    ] {
        assert!(
            matches!(plan(&s, &hw.ctx(), bad), Err(ChangeError::Invalid(_))),
            "refused"
        );
    }
}

#[test]
fn stored_ptz_settings_are_validated() {
    let hw = Hw::new(vec![Some(dome())]);
    let s = started(&hw);
    let broken = |f: &dyn Fn(&mut Settings)| {
        let mut b = s.clone();
        f(&mut b);
        validate::validate(&b).unwrap_err()
    };
    let preset = |token: &str, name: &str| PtzPreset {
        token: token.into(),
        name: name.into(),
        position: at(0, 0, 100),
    };
    for (why, err) in [
        (
            "unknown PTZ configuration",
            broken(&|b| b.media.profiles[0].ptz = Some("nope".into())),
        ),
        (
            "duplicate PTZ configuration",
            broken(&|b| {
                let c = b.media.ptz[0].clone();
                b.media.ptz.push(c)
            }),
        ),
        (
            "unknown PTZ node",
            broken(&|b| b.media.ptz[0].node = "nope".into()),
        ),
        (
            "no video source configuration has video source 3",
            broken(&|b| b.media.ptz[0].source = 3),
        ),
        (
            "default timeout",
            broken(&|b| b.media.ptz[0].default_timeout_ms = 0),
        ),
        (
            "permille",
            broken(&|b| b.media.ptz[0].default_speed.zoom = 1001),
        ),
        (
            "PTZ configuration token \"a b\"",
            broken(&|b| {
                b.media.ptz[0].token = "a b".into();
                b.media.profiles.iter_mut().for_each(|p| p.ptz = None);
            }),
        ),
        ("name", broken(&|b| b.media.ptz[0].name = String::new())),
        (
            "at most 100",
            broken(&|b| {
                b.ptz_nodes[0].presets = (1..=101)
                    .map(|n| preset(&n.to_string(), &format!("p{n}")))
                    .collect()
            }),
        ),
        (
            "duplicate preset name",
            broken(&|b| b.ptz_nodes[0].presets = vec![preset("1", "Door"), preset("2", "door")]),
        ),
        (
            "duplicate preset token",
            broken(&|b| b.ptz_nodes[0].presets = vec![preset("1", "a"), preset("1", "b")]),
        ),
        (
            "PTZ node of video source",
            broken(&|b| {
                let mut n = b.ptz_nodes[0].clone();
                n.token = "other".into();
                b.ptz_nodes.push(n)
            }),
        ),
    ] {
        assert!(err.contains(why), "{why}: {err}");
    }
}

#[test]
fn heads_and_positions_in_caps() {
    use crate::camera::caps::{check_ptz_position, ptz_head};
    assert_eq!(ptz_head(dome()), Ok(dome()));
    let no = PtzInfo {
        supported: false,
        ..dome()
    };
    assert!(ptz_head(no).is_err());
    let mut empty = dome();
    empty.min.tilt = 9_001;
    assert!(ptz_head(empty).unwrap_err().contains("tilt"));
    let mut still = dome();
    still.speed_max.zoom = 0;
    assert!(ptz_head(still).unwrap_err().contains("zoom"));
    // Without pan/tilt, only the zoom range counts.
    let mut zoom_only = dome();
    zoom_only.axes.pan_tilt = false;
    zoom_only.min.pan = 1;
    let zoom_only = ptz_head(zoom_only).unwrap();
    assert_eq!(check_ptz_position(&zoom_only, at(99_999, 0, 100)), Ok(()));
    assert!(check_ptz_position(&zoom_only, at(0, 0, 50)).is_err());
}
