//! PTZ settings: the PTZ service's changes (presets, home, SetConfiguration), and the PTZ
//! configuration and node a source with a head gets at start. Moves are not changes (they
//! change no setting); positions are checked against the head (`caps::check_ptz_position`).
//! Tested, through `plan`, in `ptz_tests.rs`.

use crate::camera::caps::{Facts, check_ptz_position};
use crate::camera::tokens::{ptz_config_token, ptz_node_token};
use crate::settings::validate::{MAX_PRESETS, PTZ_TIMEOUT_MS, check_preset_name, preset_name_key};
use crate::settings::{
    DEFAULT_PTZ_TIMEOUT_MS, PTZ_SPEED_FULL, PtzConfig, PtzNode, PtzPosition, PtzPreset, PtzSpeed,
    Settings,
};

use super::error::{ChangeError, PtzError, check_name};

/// The PTZ service's changes. `config` is the PTZ configuration of the request's profile
/// (the service resolves ProfileToken); positions are in the SDK's units, read from the
/// head by the caller (`Sdk::ptz_status`) where the request takes the current one.
#[derive(Clone, Debug, PartialEq)]
pub enum PtzChange {
    /// SetPreset: `preset` None creates one (new token, name `name` or `Preset <token>`);
    /// Some overwrites that preset's position (and its name, if `name` is given).
    /// [`Outcome::Preset`](super::Outcome::Preset) carries the token.
    SetPreset {
        config: String,
        preset: Option<String>,
        name: Option<String>,
        position: PtzPosition,
    },
    RemovePreset {
        config: String,
        preset: String,
    },
    /// SetHomePosition.
    SetHome {
        config: String,
        position: PtzPosition,
    },
    /// SetConfiguration: the name, and what the request has of DefaultPTZTimeout (ms) and
    /// DefaultPTZSpeed; an absent element keeps its value. Spaces, limits and the node are
    /// the service's to check (not settings).
    Configuration {
        token: String,
        name: String,
        default_timeout_ms: Option<u64>,
        default_speed: SpeedRequest,
        /// DefaultAbsolutePantTiltPositionSpace: degrees (true) or generic; None: unchanged.
        absolute_degrees: Option<bool>,
        /// DefaultRelativePanTiltTranslationSpace: FOV (true) or generic; None: unchanged.
        relative_fov: Option<bool>,
    },
}

impl PtzChange {
    /// The PTZ configuration the change is about.
    pub(crate) fn config(&self) -> &str {
        match self {
            PtzChange::SetPreset { config, .. }
            | PtzChange::RemovePreset { config, .. }
            | PtzChange::SetHome { config, .. } => config,
            PtzChange::Configuration { token, .. } => token,
        }
    }
}

/// DefaultPTZSpeed as sent: fractions of the top speed (the generic speed spaces, 0..=1),
/// per axis group; None: the request has none for that group.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SpeedRequest {
    pub(crate) pan_tilt: Option<f32>,
    pub(crate) zoom: Option<f32>,
}

/// A PTZ change; returns the token of a preset SetPreset created or overwrote.
pub(crate) fn ptz(
    facts: Facts<'_>,
    next: &mut Settings,
    change: PtzChange,
) -> Result<Option<String>, ChangeError> {
    let token = change.config().to_owned();
    let config = next
        .ptz_config(&token)
        .ok_or_else(|| ChangeError::NoConfig(token.clone()))?
        .clone();
    let head = facts
        .ptz(config.source)
        .ok_or_else(|| PtzError::NotSupported(token.clone()))?;
    let node = next
        .ptz_nodes
        .iter_mut()
        .find(|n| n.token == config.node)
        .ok_or_else(|| PtzError::NotSupported(token.clone()))?;
    let within = |p: PtzPosition| check_ptz_position(head, p).map_err(PtzError::InvalidPosition);
    match change {
        PtzChange::SetPreset {
            preset,
            name,
            position,
            ..
        } => {
            within(position)?;
            set_preset(node, preset, name, position).map(Some)
        }
        PtzChange::RemovePreset { preset, .. } => {
            let before = node.presets.len();
            node.presets.retain(|p| p.token != preset);
            if node.presets.len() == before {
                return Err(PtzError::NoPreset(preset).into());
            }
            Ok(None)
        }
        PtzChange::SetHome { position, .. } => {
            within(position)?;
            node.home = Some(position);
            Ok(None)
        }
        PtzChange::Configuration {
            name,
            default_timeout_ms,
            default_speed,
            absolute_degrees,
            relative_fov,
            ..
        } => {
            check_name(&name)?;
            let c = next
                .media
                .ptz
                .iter_mut()
                .find(|c| c.token == token)
                .expect("found above");
            c.name = name;
            if let Some(ms) = default_timeout_ms {
                let (lo, hi) = PTZ_TIMEOUT_MS;
                let valid = u32::try_from(ms).ok().filter(|ms| (lo..=hi).contains(ms));
                c.default_timeout_ms = valid.ok_or_else(|| {
                    ChangeError::Invalid(format!("DefaultPTZTimeout {ms} ms outside {lo}..={hi}"))
                })?;
            }
            let permille = |what: &str, v: f32| {
                if !(0.0..=1.0).contains(&v) {
                    return Err(ChangeError::Invalid(format!(
                        "DefaultPTZSpeed {what} {v} outside 0..=1"
                    )));
                }
                Ok((v * PTZ_SPEED_FULL as f32).round() as u32)
            };
            if let Some(v) = default_speed.pan_tilt {
                c.default_speed.pan_tilt = permille("PanTilt", v)?;
            }
            if let Some(v) = default_speed.zoom {
                c.default_speed.zoom = permille("Zoom", v)?;
            }
            // Which spaces the node offers is the service's to check (they are ONVIF's URIs,
            // not the hardware's); the choice is stored.
            if let Some(d) = absolute_degrees {
                c.spaces.absolute_degrees = d;
            }
            if let Some(f) = relative_fov {
                c.spaces.relative_fov = f;
            }
            Ok(None)
        }
    }
}

/// SetPreset on one node (the position already checked); returns the preset's token.
fn set_preset(
    node: &mut PtzNode,
    preset: Option<String>,
    name: Option<String>,
    position: PtzPosition,
) -> Result<String, ChangeError> {
    if let Some(n) = &name {
        check_preset_name(n).map_err(PtzError::InvalidPresetName)?;
    }
    // Names are unique per node, compared without case (`validate::preset_name_key`).
    let taken = |presets: &[PtzPreset], n: &str, except: Option<&str>| {
        presets.iter().any(|p| {
            Some(p.token.as_str()) != except && preset_name_key(&p.name) == preset_name_key(n)
        })
    };
    if let Some(n) = &name
        && taken(&node.presets, n, preset.as_deref())
    {
        return Err(PtzError::PresetExists(n.clone()).into());
    }
    match preset {
        Some(token) => {
            let p = node
                .presets
                .iter_mut()
                .find(|p| p.token == token)
                .ok_or_else(|| PtzError::NoPreset(token.clone()))?;
            p.position = position;
            if let Some(n) = name {
                p.name = n;
            }
            Ok(token)
        }
        None => {
            if node.presets.len() >= MAX_PRESETS {
                return Err(PtzError::TooManyPresets.into());
            }
            // The lowest free number, as cameras number their presets; an unnamed preset is
            // named after it, so the number is one whose name is free too.
            let token = (1..)
                .map(|n: usize| n.to_string())
                .find(|t| {
                    !node.presets.iter().any(|p| &p.token == t)
                        && (name.is_some() || !taken(&node.presets, &unnamed(t), None))
                })
                .expect("a free number exists");
            node.presets.push(PtzPreset {
                name: name.unwrap_or_else(|| unnamed(&token)),
                token: token.clone(),
                position,
            });
            Ok(token)
        }
    }
}

/// The name of a preset SetPreset created without PresetName.
fn unnamed(token: &str) -> String {
    format!("Preset {token}")
}

/// At start, from the facts: a video source with a head and no PTZ configuration gets one,
/// and its node if it has none, attached to every fixed profile of that source. Only a
/// source some video source configuration shows (else no profile could use it).
pub(crate) fn ptz_defaults(facts: Facts<'_>, next: &mut Settings) {
    for vi in 0..facts.ptz.len() as u32 {
        if facts.ptz(vi).is_none()
            || next.media.ptz.iter().any(|c| c.source == vi)
            || !next.media.video_sources.iter().any(|v| v.source == vi)
        {
            continue;
        }
        let node = match next.ptz_nodes.iter().find(|n| n.source == vi) {
            Some(n) => n.token.clone(),
            None => {
                let token = free_token(ptz_node_token(vi), |t| next.ptz_node(t).is_some());
                next.ptz_nodes.push(PtzNode {
                    token: token.clone(),
                    source: vi,
                    home: None,
                    presets: Vec::new(),
                });
                token
            }
        };
        let token = free_token(ptz_config_token(vi), |t| next.ptz_config(t).is_some());
        next.media.ptz.push(PtzConfig {
            token: token.clone(),
            name: "PTZ".into(),
            source: vi,
            node,
            default_timeout_ms: DEFAULT_PTZ_TIMEOUT_MS,
            default_speed: PtzSpeed::default(),
            spaces: Default::default(),
        });
        let shows_vi: Vec<String> = (next.media.video_sources.iter())
            .filter(|v| v.source == vi)
            .map(|v| v.token.clone())
            .collect();
        for p in &mut next.media.profiles {
            if p.fixed
                && p.ptz.is_none()
                && p.video_source
                    .as_ref()
                    .is_some_and(|v| shows_vi.contains(v))
            {
                p.ptz = Some(token.clone());
            }
        }
    }
}

/// `base`, or `base_2`, `base_3`... if taken (only a hand-edited file has it taken).
fn free_token(base: String, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|t| !taken(t))
        .expect("a free token exists")
}
