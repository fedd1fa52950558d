//! The PTZ service (ONVIF PTZ Service Specification, ver20, `tptz`), implementing the
//! generated `PtzService` over the SDK's PTZ head (`NVT_PTZ_*`).
//!
//! - `spaces`: the coordinate spaces offered and the one map to the SDK's units.
//! - `config`: the node, configuration and options as ONVIF shows them (also Media's).
//! - `request`: a move request turned into one SDK command, or its fault.
//! - `timeouts`: the end of a ContinuousMove (its Timeout, else DefaultPTZTimeout).
//!
//! Requests name a media profile; its PTZ configuration names the head (the video source it
//! belongs to). A profile token that is none: `ter:NoProfile`; a profile without a PTZ
//! configuration: `ter:NoPTZProfile` (s.5.3). Moves go straight to the SDK on the blocking
//! pool and change no settings; presets, home and SetConfiguration are camera-core changes
//! (persisted, one transaction). GetStatus reads the SDK only, no settings lock: Frigate polls
//! it without pause while a move runs.
//!
//! The service is registered only when some video source has a head (a camera without one
//! lists no PTZ service, and its requests answer ActionNotSupported as any other unknown
//! service's). Not offered (ActionNotSupported, the generator's rule for operations not in
//! onvif-gen.toml): SendAuxiliaryCommand (the node lists no auxiliary commands), preset
//! tours (MaximumNumberOfPresetTours 0), GeoMove and MoveAndStartTracking (not signalled).

pub(crate) mod config;
pub(crate) mod request;
pub(crate) mod spaces;
pub(crate) mod timeouts;

use std::sync::Arc;

use crate::camera::change::{PtzChange, PtzError, SpeedRequest};
use crate::camera::{Camera, Change, ChangeError, Core, Outcome};
use crate::onvif::device::device_now_ms;
use crate::onvif::directory::{Advertised, Registration};
use crate::onvif::generated::{ptz, ptz::PtzService, tptz, tt};
use crate::onvif::rt::{RequestContext, ToXml};
use crate::sdk::{Axes, ErrorCode, PtzInfo, PtzState, PtzStatus, PtzVector, SdkError};
use crate::settings::{PtzConfig, PtzNode, Settings, SettingsStore};
use crate::soap::{Code, Fault};
use crate::xml::XmlWriter;
use crate::xml::xsd::{format_datetime, parse_duration};

use request::Command;
#[doc(hidden)]
pub use request::fuzz_input as fuzz_request;
use timeouts::Timeouts;

/// The PTZ service over the camera's heads.
pub(crate) struct Ptz {
    camera: Arc<Camera>,
    store: Arc<SettingsStore>,
    /// Presets, home and SetConfiguration go through it.
    core: Arc<Core>,
    /// The head of each video source nvt can drive (`camera::caps::ptz_head`).
    heads: Vec<Option<PtzInfo>>,
    timeouts: Arc<Timeouts>,
}

/// What a request's profile resolves to.
struct Target {
    vi: u32,
    head: PtzInfo,
    config: PtzConfig,
}

impl Ptz {
    /// The service, or None when no video source has a head nvt can drive.
    pub(crate) fn new(camera: Arc<Camera>, core: Arc<Core>) -> Option<Self> {
        let heads = camera.facts().ptz.to_vec();
        if heads.iter().all(Option::is_none) {
            return None;
        }
        Some(Ptz {
            store: core.store().clone(),
            camera,
            core,
            heads,
            timeouts: Arc::default(),
        })
    }

    fn head(&self, vi: u32) -> Option<&PtzInfo> {
        self.heads.get(vi as usize).and_then(Option::as_ref)
    }

    /// The PTZ configuration `token` with its head, or NoConfig.
    fn config(&self, s: &Settings, token: &str) -> Result<(PtzConfig, PtzInfo), Fault> {
        s.ptz_config(token)
            .and_then(|c| Some((c.clone(), *self.head(c.source)?)))
            .ok_or_else(|| no_config(token))
    }

    /// The head a profile's PTZ commands move (s.5.3: NoProfile, NoPTZProfile).
    fn target(&self, profile: &str) -> Result<Target, Fault> {
        let s = self.store.get();
        let p = s.profile(profile).ok_or_else(|| {
            Fault::invalid_arg_val(Some("NoProfile"), format!("no profile {profile:?}"))
        })?;
        let no_ptz = || {
            Fault::invalid_arg_val(
                Some("NoPTZProfile"),
                format!("profile {profile:?} has no PTZ configuration"),
            )
        };
        let token = p.ptz.as_deref().ok_or_else(no_ptz)?;
        let (config, head) = self.config(&s, token).map_err(|_| no_ptz())?;
        Ok(Target {
            vi: config.source,
            head,
            config,
        })
    }

    /// The node of a configuration's head (its presets and home).
    fn node(s: &Settings, c: &PtzConfig) -> Option<PtzNode> {
        s.ptz_node(&c.node).cloned()
    }

    async fn status(&self, vi: u32) -> Result<PtzStatus, Fault> {
        let sdk = self.camera.sdk().clone();
        blocking(move || sdk.ptz_status(vi)).await
    }

    /// Sends a move to the head: a newer command replaces the last on its axes (s.5.3, "A
    /// move command shall override any previous move command"), and a continuous one gets
    /// its end.
    async fn send(&self, vi: u32, cmd: Command) -> Result<(), Fault> {
        let sdk = self.camera.sdk().clone();
        let axes = cmd.axes();
        self.timeouts.superseded(vi, axes);
        blocking(move || match cmd {
            Command::Absolute { to, speed, axes } => sdk.ptz_move_absolute(vi, to, speed, axes),
            Command::Relative { by, speed, axes } => sdk.ptz_move_relative(vi, by, speed, axes),
            Command::Continuous { velocity, axes, .. } => {
                sdk.ptz_move_continuous(vi, velocity, axes)
            }
        })
        .await?;
        if let Command::Continuous {
            timeout_ms: Some(ms),
            ..
        } = cmd
        {
            let sdk = self.camera.sdk().clone();
            self.timeouts
                .arm(vi, axes, ms, move |axes| sdk.ptz_stop(vi, axes));
        }
        Ok(())
    }

    async fn change(&self, change: Change) -> Result<Outcome, Fault> {
        self.core.apply(change).await.map_err(change_fault)
    }

    fn configurations(&self, s: &Settings) -> Vec<tt::PTZConfiguration> {
        s.media
            .ptz
            .iter()
            .filter_map(|c| {
                let head = self.head(c.source)?;
                Some(config::in_settings(s, c, head))
            })
            .collect()
    }
}

impl PtzService for Ptz {
    async fn get_service_capabilities(
        &self,
        _: &RequestContext,
        _: tptz::GetServiceCapabilities,
    ) -> Result<tptz::GetServiceCapabilitiesResponse, Fault> {
        Ok(tptz::GetServiceCapabilitiesResponse {
            capabilities: capabilities(),
        })
    }

    async fn get_nodes(
        &self,
        _: &RequestContext,
        _: tptz::GetNodes,
    ) -> Result<tptz::GetNodesResponse, Fault> {
        let s = self.store.get();
        let ptz_node = (s.ptz_nodes.iter())
            .filter_map(|n| Some(config::node(n, self.head(n.source)?)))
            .collect();
        Ok(tptz::GetNodesResponse { ptz_node })
    }

    async fn get_node(
        &self,
        _: &RequestContext,
        req: tptz::GetNode,
    ) -> Result<tptz::GetNodeResponse, Fault> {
        let s = self.store.get();
        let node = s
            .ptz_node(&req.node_token)
            .and_then(|n| Some(config::node(n, self.head(n.source)?)))
            .ok_or_else(|| {
                Fault::invalid_arg_val(
                    Some("NoEntity"),
                    format!("no PTZ node {:?}", req.node_token),
                )
            })?;
        Ok(tptz::GetNodeResponse { ptz_node: node })
    }

    async fn get_configurations(
        &self,
        _: &RequestContext,
        _: tptz::GetConfigurations,
    ) -> Result<tptz::GetConfigurationsResponse, Fault> {
        let s = self.store.get();
        Ok(tptz::GetConfigurationsResponse {
            ptz_configuration: self.configurations(&s),
        })
    }

    async fn get_configuration(
        &self,
        _: &RequestContext,
        req: tptz::GetConfiguration,
    ) -> Result<tptz::GetConfigurationResponse, Fault> {
        let s = self.store.get();
        let (c, head) = self.config(&s, &req.ptz_configuration_token)?;
        Ok(tptz::GetConfigurationResponse {
            ptz_configuration: config::in_settings(&s, &c, &head),
        })
    }

    async fn get_configuration_options(
        &self,
        _: &RequestContext,
        req: tptz::GetConfigurationOptions,
    ) -> Result<tptz::GetConfigurationOptionsResponse, Fault> {
        let s = self.store.get();
        let (_, head) = self.config(&s, &req.configuration_token)?;
        Ok(tptz::GetConfigurationOptionsResponse {
            ptz_configuration_options: config::options(&head),
        })
    }

    /// The PTZ configurations that can be added to a profile: those of the head of the
    /// profile's video source (any, if it has none yet; AddPTZConfiguration then decides).
    async fn get_compatible_configurations(
        &self,
        _: &RequestContext,
        req: tptz::GetCompatibleConfigurations,
    ) -> Result<tptz::GetCompatibleConfigurationsResponse, Fault> {
        let s = self.store.get();
        let p = s.profile(&req.profile_token).ok_or_else(|| {
            Fault::invalid_arg_val(
                Some("NoProfile"),
                format!("no profile {:?}", req.profile_token),
            )
        })?;
        let source = (p.video_source.as_deref())
            .and_then(|v| s.media.video_sources.iter().find(|c| c.token == v))
            .map(|v| v.source);
        let ptz_configuration = self
            .configurations(&s)
            .into_iter()
            .filter(|c| {
                let cs = s.ptz_config(&c.token).map(|c| c.source);
                source.is_none() || cs == source
            })
            .collect();
        Ok(tptz::GetCompatibleConfigurationsResponse { ptz_configuration })
    }

    /// SetConfiguration (s.5.4.4): Name, DefaultPTZTimeout and DefaultPTZSpeed are stored;
    /// the node, the spaces and the limits are the head's and must stay as GetConfiguration
    /// shows them (else ConfigModify). ForcePersistence is ignored: settings always persist.
    async fn set_configuration(
        &self,
        _: &RequestContext,
        req: tptz::SetConfiguration,
    ) -> Result<tptz::SetConfigurationResponse, Fault> {
        let r = req.ptz_configuration;
        let (c, head) = {
            let s = self.store.get();
            self.config(&s, &r.token)?
        };
        let fixed = config::configuration(&c, &head, 0);
        // The two pan/tilt uses the node offers two spaces for are the client's to choose
        // (MEDIA2-4-1-2 picks one other than the current); the rest is fixed.
        let offered = spaces::supported(&head, true);
        let absolute_degrees = config::default_choice(
            "DefaultAbsolutePantTiltPositionSpace",
            r.default_absolute_pant_tilt_position_space.as_deref(),
            &offered.absolute_pan_tilt_position_space,
            spaces::POSITION_PAN_TILT_DEGREES,
        )
        .map_err(config_modify)?;
        let relative_fov = config::default_choice(
            "DefaultRelativePanTiltTranslationSpace",
            r.default_relative_pan_tilt_translation_space.as_deref(),
            &offered.relative_pan_tilt_translation_space,
            spaces::TRANSLATION_FOV,
        )
        .map_err(config_modify)?;
        let mut rest = r.clone();
        rest.default_absolute_pant_tilt_position_space = None;
        rest.default_relative_pan_tilt_translation_space = None;
        fixed_parts_unchanged(&rest, &fixed, &offered).map_err(config_modify)?;
        let default_timeout_ms = match r.default_ptz_timeout.as_deref() {
            None => None,
            Some(t) => Some(
                parse_duration(t.trim())
                    .filter(|d| !d.negative)
                    .and_then(|d| d.approx_millis())
                    .ok_or_else(|| config_modify(format!("DefaultPTZTimeout {t:?}")))?,
            ),
        };
        let speed = r.default_ptz_speed.as_ref();
        let default_speed = SpeedRequest {
            pan_tilt: speed.and_then(|s| s.pan_tilt.as_ref()).map(|v| v.x),
            zoom: speed.and_then(|s| s.zoom.as_ref()).map(|v| v.x),
        };
        self.change(Change::Ptz(PtzChange::Configuration {
            token: r.token.clone(),
            name: r.name.clone(),
            default_timeout_ms,
            default_speed,
            absolute_degrees,
            relative_fov,
        }))
        .await
        .map_err(|f| match f.subcodes.as_slice() {
            // A value the configuration cannot take is ConfigModify here (s.5.4.4).
            ["InvalidArgVal"] => config_modify(f.reason.into_owned()),
            _ => f,
        })?;
        Ok(tptz::SetConfigurationResponse::default())
    }

    async fn absolute_move(
        &self,
        _: &RequestContext,
        req: tptz::AbsoluteMove,
    ) -> Result<tptz::AbsoluteMoveResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let cmd = request::absolute(&t.head, &t.config, &req.position, req.speed.as_ref())?;
        self.send(t.vi, cmd).await?;
        Ok(tptz::AbsoluteMoveResponse::default())
    }

    async fn relative_move(
        &self,
        _: &RequestContext,
        req: tptz::RelativeMove,
    ) -> Result<tptz::RelativeMoveResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        // The FOV space depends on the current zoom; read it only when it is needed.
        let fov = (req.translation.pan_tilt.as_ref())
            .and_then(|pt| pt.space.as_deref())
            .is_some_and(|u| u.trim() == spaces::TRANSLATION_FOV);
        let zoom = if fov && t.head.axes.zoom {
            self.status(t.vi).await?.position.zoom
        } else {
            100
        };
        let cmd = request::relative(
            &t.head,
            &t.config,
            &req.translation,
            req.speed.as_ref(),
            zoom,
        )?;
        self.send(t.vi, cmd).await?;
        Ok(tptz::RelativeMoveResponse::default())
    }

    async fn continuous_move(
        &self,
        _: &RequestContext,
        req: tptz::ContinuousMove,
    ) -> Result<tptz::ContinuousMoveResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let cmd = request::continuous(&t.head, &t.config, &req.velocity, req.timeout.as_deref())?;
        self.send(t.vi, cmd).await?;
        Ok(tptz::ContinuousMoveResponse::default())
    }

    /// Stop (s.5.3.4): PanTilt and Zoom default to true; a group the head lacks is ignored.
    async fn stop(&self, _: &RequestContext, req: tptz::Stop) -> Result<tptz::StopResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let axes = Axes {
            pan_tilt: req.pan_tilt.unwrap_or(true) && t.head.axes.pan_tilt,
            zoom: req.zoom.unwrap_or(true) && t.head.axes.zoom,
        };
        if !axes.is_empty() {
            self.timeouts.superseded(t.vi, axes);
            let sdk = self.camera.sdk().clone();
            let vi = t.vi;
            blocking(move || sdk.ptz_stop(vi, axes)).await?;
        }
        Ok(tptz::StopResponse::default())
    }

    /// GetStatus (s.5.3.5): position in the generic position spaces, MoveStatus per group,
    /// Error when the head is in an unknown state or a move failed, UtcTime (required) from
    /// the device clock.
    async fn get_status(
        &self,
        _: &RequestContext,
        req: tptz::GetStatus,
    ) -> Result<tptz::GetStatusResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let st = self.status(t.vi).await?;
        let state = |s: PtzState| match s {
            PtzState::Idle => tt::MoveStatus::IDLE,
            PtzState::Moving => tt::MoveStatus::MOVING,
            PtzState::Unknown => tt::MoveStatus::UNKNOWN,
        };
        let unknown = st.pan_tilt == PtzState::Unknown || st.zoom == PtzState::Unknown;
        let error = match st.error {
            Some(e) => Some(format!("the last move failed: {e:?}")),
            None => unknown.then(|| "the head's position is not known".to_owned()),
        };
        Ok(tptz::GetStatusResponse {
            ptz_status: tt::PTZStatus {
                position: Some(spaces::position_to_onvif(&t.head, st.position)),
                move_status: Some(tt::PTZMoveStatus {
                    pan_tilt: t.head.axes.pan_tilt.then(|| state(st.pan_tilt)),
                    zoom: t.head.axes.zoom.then(|| state(st.zoom)),
                }),
                error,
                utc_time: format_datetime(device_now_ms(&self.store)),
                ..Default::default()
            },
        })
    }

    async fn get_presets(
        &self,
        _: &RequestContext,
        req: tptz::GetPresets,
    ) -> Result<tptz::GetPresetsResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let s = self.store.get();
        let preset = Self::node(&s, &t.config)
            .map(|n| n.presets)
            .unwrap_or_default()
            .into_iter()
            .map(|p| tt::PTZPreset {
                token: Some(p.token),
                name: Some(p.name),
                ptz_position: Some(spaces::position_to_onvif(&t.head, p.position.into())),
                ..Default::default()
            })
            .collect();
        Ok(tptz::GetPresetsResponse { preset })
    }

    /// SetPreset (s.5.5.1): the current position, under a new token or over the given one;
    /// refused while the head moves (Receiver/Action/MovingPTZ), as the spec asks.
    async fn set_preset(
        &self,
        _: &RequestContext,
        req: tptz::SetPreset,
    ) -> Result<tptz::SetPresetResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let st = self.status(t.vi).await?;
        if st.pan_tilt == PtzState::Moving || st.zoom == PtzState::Moving {
            return Err(Fault::action("MovingPTZ", "the head is moving"));
        }
        let outcome = self
            .change(Change::Ptz(PtzChange::SetPreset {
                config: t.config.token.clone(),
                preset: req.preset_token.clone(),
                name: req.preset_name.clone(),
                position: st.position.into(),
            }))
            .await?;
        let Outcome::Preset(preset_token) = outcome else {
            return Err(internal("SetPreset returned no preset token"));
        };
        Ok(tptz::SetPresetResponse { preset_token })
    }

    async fn remove_preset(
        &self,
        _: &RequestContext,
        req: tptz::RemovePreset,
    ) -> Result<tptz::RemovePresetResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        self.change(Change::Ptz(PtzChange::RemovePreset {
            config: t.config.token.clone(),
            preset: req.preset_token.clone(),
        }))
        .await?;
        Ok(tptz::RemovePresetResponse::default())
    }

    async fn goto_preset(
        &self,
        _: &RequestContext,
        req: tptz::GotoPreset,
    ) -> Result<tptz::GotoPresetResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let to = {
            let s = self.store.get();
            Self::node(&s, &t.config)
                .and_then(|n| n.presets.into_iter().find(|p| p.token == req.preset_token))
                .map(|p| PtzVector::from(p.position))
                .ok_or_else(|| no_token(&req.preset_token))?
        };
        let cmd = request::to_position(&t.head, &t.config, to, req.speed.as_ref())?;
        self.send(t.vi, cmd).await?;
        Ok(tptz::GotoPresetResponse::default())
    }

    /// GotoHomePosition (s.5.6.1): the home SetHomePosition stored, else the head's factory
    /// home (so a home is always defined: NoHomePosition never applies).
    async fn goto_home_position(
        &self,
        _: &RequestContext,
        req: tptz::GotoHomePosition,
    ) -> Result<tptz::GotoHomePositionResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let home = {
            let s = self.store.get();
            Self::node(&s, &t.config).and_then(|n| n.home)
        };
        let to = home.map(PtzVector::from).unwrap_or(t.head.home);
        let cmd = request::to_position(&t.head, &t.config, to, req.speed.as_ref())?;
        self.send(t.vi, cmd).await?;
        Ok(tptz::GotoHomePositionResponse::default())
    }

    /// SetHomePosition (s.5.6.2): the current position becomes home (FixedHomePosition is
    /// false), persisted.
    async fn set_home_position(
        &self,
        _: &RequestContext,
        req: tptz::SetHomePosition,
    ) -> Result<tptz::SetHomePositionResponse, Fault> {
        let t = self.target(&req.profile_token)?;
        let st = self.status(t.vi).await?;
        self.change(Change::Ptz(PtzChange::SetHome {
            config: t.config.token.clone(),
            position: st.position.into(),
        }))
        .await?;
        Ok(tptz::SetHomePositionResponse::default())
    }
}

/// GetServiceCapabilities (s.5.2): MoveStatus and StatusPosition (GetStatus has both; Frigate's
/// autotracker needs MoveStatus), GetCompatibleConfigurations; no EFlip, Reverse or tracking.
fn capabilities() -> tptz::Capabilities {
    tptz::Capabilities {
        e_flip: Some(false),
        reverse: Some(false),
        get_compatible_configurations: Some(true),
        move_status: Some(true),
        status_position: Some(true),
        ..Default::default()
    }
}

/// The parts of a SetConfiguration request the client cannot change: the node, the default
/// spaces (absent: unchanged) and the limits (absent, or the whole range they are).
fn fixed_parts_unchanged(
    r: &tt::PTZConfiguration,
    fixed: &tt::PTZConfiguration,
    offered: &tt::PTZSpaces,
) -> Result<(), String> {
    if r.node_token != fixed.node_token {
        return Err(format!(
            "NodeToken {:?} is not {:?}",
            r.node_token, fixed.node_token
        ));
    }
    let spaces = [
        (
            "DefaultAbsolutePantTiltPositionSpace",
            &r.default_absolute_pant_tilt_position_space,
            &fixed.default_absolute_pant_tilt_position_space,
        ),
        (
            "DefaultAbsoluteZoomPositionSpace",
            &r.default_absolute_zoom_position_space,
            &fixed.default_absolute_zoom_position_space,
        ),
        (
            "DefaultRelativePanTiltTranslationSpace",
            &r.default_relative_pan_tilt_translation_space,
            &fixed.default_relative_pan_tilt_translation_space,
        ),
        (
            "DefaultRelativeZoomTranslationSpace",
            &r.default_relative_zoom_translation_space,
            &fixed.default_relative_zoom_translation_space,
        ),
        (
            "DefaultContinuousPanTiltVelocitySpace",
            &r.default_continuous_pan_tilt_velocity_space,
            &fixed.default_continuous_pan_tilt_velocity_space,
        ),
        (
            "DefaultContinuousZoomVelocitySpace",
            &r.default_continuous_zoom_velocity_space,
            &fixed.default_continuous_zoom_velocity_space,
        ),
    ];
    for (name, asked, is) in spaces {
        if let Some(a) = asked
            && Some(a.trim()) != is.as_deref()
        {
            return Err(format!("{name} {a:?}: the node offers {is:?}"));
        }
    }
    // Limits (PTZ s.5.4, "PTZ Configuration": a range "mapped to a specific absolute
    // pan/tilt position space"): the client may state them in any absolute space the node
    // offers (the ONVIF test specification's Annex A.9 restates them in the degrees space);
    // nvt has no soft limits, so only the space's whole range is accepted, and a narrower
    // one is refused rather than stored and ignored.
    let same = |a: &tt::FloatRange, b: &tt::FloatRange| {
        (a.min - b.min).abs() < 1e-4 && (a.max - b.max).abs() < 1e-4
    };
    if let Some(a) = &r.pan_tilt_limits {
        let space = (offered.absolute_pan_tilt_position_space.iter())
            .find(|s| s.uri == a.range.uri.trim())
            .ok_or_else(|| {
                format!(
                    "PanTiltLimits in {:?}: not an absolute pan/tilt space of the node",
                    a.range.uri
                )
            })?;
        if !(same(&a.range.x_range, &space.x_range) && same(&a.range.y_range, &space.y_range)) {
            return Err(
                "PanTiltLimits: nvt has no soft limits; the range is the whole space".into(),
            );
        }
    }
    if let Some(a) = &r.zoom_limits {
        let space = (offered.absolute_zoom_position_space.iter())
            .find(|s| s.uri == a.range.uri.trim())
            .ok_or_else(|| {
                format!(
                    "ZoomLimits in {:?}: not an absolute zoom space of the node",
                    a.range.uri
                )
            })?;
        if !same(&a.range.x_range, &space.x_range) {
            return Err("ZoomLimits: nvt has no soft limits; the range is the whole space".into());
        }
    }
    Ok(())
}

fn no_config(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoConfig"), format!("no PTZ configuration {token:?}"))
}

fn no_token(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoToken"), format!("no preset {token:?}"))
}

fn config_modify(reason: String) -> Fault {
    Fault::invalid_arg_val(Some("ConfigModify"), reason)
}

fn internal(reason: impl std::fmt::Display) -> Fault {
    Fault::new(Code::Receiver, &["Action"], reason.to_string())
}

/// The PTZ fault of a refused camera-core change (s.5.4.4, s.5.5).
fn change_fault(e: ChangeError) -> Fault {
    match e {
        ChangeError::NoConfig(t) => no_config(&t),
        ChangeError::Invalid(r) | ChangeError::BadToken(r) => Fault::invalid_arg_val(None, r),
        ChangeError::Ptz(p) => match p {
            PtzError::NoPreset(t) => no_token(&t),
            PtzError::PresetExists(n) => {
                Fault::invalid_arg_val(Some("PresetExist"), format!("a preset named {n:?} exists"))
            }
            PtzError::TooManyPresets => Fault::action("TooManyPresets", p.to_string()),
            PtzError::InvalidPresetName(r) => Fault::invalid_arg_val(Some("InvalidPresetName"), r),
            PtzError::InvalidPosition(r) => Fault::invalid_arg_val(Some("InvalidPosition"), r),
            PtzError::NotSupported(_) => Fault::new(
                Code::Receiver,
                &["ActionNotSupported", "PTZNotSupported"],
                p.to_string(),
            ),
        },
        other => internal(other),
    }
}

fn sdk_fault(e: SdkError) -> Fault {
    match e.code {
        ErrorCode::InvalidArg => Fault::invalid_arg_val(None, format!("camera refused: {e}")),
        ErrorCode::NotSupported => {
            Fault::new(Code::Receiver, &["ActionNotSupported"], e.to_string())
        }
        _ => internal(format!("camera SDK: {e}")),
    }
}

/// Runs SDK calls on tokio's blocking pool: a motor driver may block (a serial line to a
/// pan/tilt controller), and an async worker must never wait on hardware.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SdkError> + Send + 'static,
) -> Result<T, Fault> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| internal(format!("camera SDK call: {e}")))?
        .map_err(sdk_fault)
}

/// Path of the PTZ (ver20) service.
pub(crate) const PATH: &str = "/onvif/ptz_service";

impl Ptz {
    /// The service's one registration: route and GetServices/GetCapabilities entry.
    pub(crate) fn registration(self) -> Registration {
        Registration::new(PtzEntry, ptz::Service(self))
    }
}

/// The PTZ service's entry in GetServices and GetCapabilities.
pub(crate) struct PtzEntry;

impl Advertised for PtzEntry {
    fn namespace(&self) -> &'static str {
        ptz::NAMESPACE
    }

    fn path(&self) -> &'static str {
        PATH
    }

    fn write_capabilities(&self, w: &mut XmlWriter) {
        capabilities().to_xml(w, "tptz:Capabilities");
    }

    fn category(&self) -> tt::CapabilityCategory {
        tt::CapabilityCategory::PTZ
    }

    fn fill_capabilities(&self, caps: &mut tt::Capabilities, xaddr: &str) {
        caps.ptz = Some(tt::PTZCapabilities {
            x_addr: xaddr.to_owned(),
            ..Default::default()
        });
    }
}
