//! A configuration change, and its plan: the settings it leads to, computed from the current
//! settings and validated once against what the hardware can do ([`Facts`]).
//!
//! Pure: no I/O, no SDK call, no clock. `camera::Core` runs the plan under the settings
//! writer lock, then applies the difference between the old and new settings to the SDK and
//! the streams. ONVIF services only translate SOAP into a [`Change`] and a [`ChangeError`]
//! back into the fault their specification names.

use crate::auth::UserLevel;
use crate::discovery::scopes::{self, ScopeError};
use crate::sdk::{AutoMode, Codec, H264Profile, IrCutMode, IspAttr, IspRange, Range};
use crate::settings::validate::{
    self, MAX_CREDENTIAL_LEN, MAX_NAME_LEN, MAX_PRESETS, MAX_PROFILES, MAX_SESSION_TIMEOUT_SECS,
    MAX_USERS, PTZ_TIMEOUT_MS, PasswordError, check_new_password, check_preset_name,
    check_profile_token, preset_name_key,
};
use crate::settings::{
    DEFAULT_PTZ_TIMEOUT_MS, DateTimeType, DiscoveryMode, ImagingSettings, MetadataConfig,
    Multicast, PTZ_SPEED_FULL, Profile, PtzConfig, PtzNode, PtzPosition, PtzPreset, PtzSpeed,
    Settings, User, VideoEncoderConfig,
};

use super::caps::{Facts, check_ptz_position};
use super::tokens::{encoder_source, ptz_config_token, ptz_node_token, source_index};

/// What a plan is computed from besides the current settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context<'a> {
    /// What the hardware can do; None: no hardware is attached (only changes that need
    /// none can be planned).
    pub(crate) facts: Option<Facts<'a>>,
    /// The host clock now, in Unix ms (SetSystemDateAndTime stores the camera clock as an
    /// offset from it). Passed in: the plan never reads a clock.
    pub(crate) now_unix_ms: i64,
}

/// One configuration change, as a client asked for it (values not yet validated).
pub enum Change {
    /// Media SetVideoEncoderConfiguration.
    VideoEncoder(EncoderRequest),
    /// Media SetVideoSourceConfiguration.
    VideoSource(SourceRequest),
    /// Media SetMetadataConfiguration.
    Metadata(MetadataRequest),
    /// Media CreateProfile, DeleteProfile, Add/Remove*Configuration.
    Profile(ProfileChange),
    /// PTZ SetPreset, RemovePreset, SetHomePosition, SetConfiguration (moves are not
    /// changes: they change no setting).
    Ptz(PtzChange),
    /// Imaging SetImagingSettings.
    Imaging {
        source_token: String,
        patch: IspPatch,
    },
    /// Device CreateUsers, DeleteUsers, SetUser.
    Users(UsersChange),
    /// Device SetHostname (stored and reported; see docs/settings.md, "Changes").
    Hostname(String),
    /// Device SetNTP: servers already decoded from their declared types.
    Ntp {
        from_dhcp: bool,
        servers: Vec<String>,
    },
    /// Device SetScopes, AddScopes, RemoveScopes; `fixed` are the device's fixed scopes.
    Scopes {
        fixed: Vec<String>,
        edit: ScopesEdit,
    },
    /// Device SetDiscoveryMode.
    DiscoveryMode(DiscoveryMode),
    /// Device SetSystemDateAndTime.
    DateTime(DateTimeRequest),
    /// Device SetNetworkProtocols: the servers restart on the new ports after the answer.
    NetworkProtocols(ProtocolsRequest),
    /// Device SetSystemFactoryDefault (Soft and Hard alike): every setting but the users
    /// back to its default; the daemon restarts on them after the answer.
    FactoryDefault,
    /// Start-up: `username` becomes an Administrator with `password`, created if missing
    /// (first start, or the recovery of a file without administrator: camera::admin).
    Administrator { username: String, password: String },
    /// Start-up: what only the hardware knows. `imaging`: the SDK's own settings of sources
    /// the settings have none for; `fit_encoders` (first start): encoder configurations the
    /// hardware cannot do are fitted to it (`EncoderLimits::fit`). And from the facts: a
    /// source with a PTZ head and no PTZ configuration gets one (and its node), attached to
    /// every fixed profile of that source; only then, so a RemovePTZConfiguration lasts.
    HardwareDefaults {
        imaging: Vec<ImagingSettings>,
        fit_encoders: bool,
    },
}

/// SetImagingSettings' values: only the elements a request has change. Levels are as sent
/// (fractional values are rounded to the SDK's integers once checked against its range).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IspPatch {
    pub(crate) brightness: Option<f32>,
    pub(crate) contrast: Option<f32>,
    pub(crate) saturation: Option<f32>,
    pub(crate) sharpness: Option<f32>,
    /// On/off and level.
    pub(crate) backlight: Option<(bool, Option<f32>)>,
    pub(crate) wdr: Option<(bool, Option<f32>)>,
    /// Mode, exposure time, gain.
    pub(crate) exposure: Option<(AutoMode, Option<f32>, Option<f32>)>,
    pub(crate) ircut: Option<IrCutMode>,
    /// Mode, Cr gain, Cb gain.
    pub(crate) white_balance: Option<(AutoMode, Option<f32>, Option<f32>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopesEdit {
    Set(Vec<String>),
    Add(Vec<String>),
    Remove(Vec<String>),
}

/// SetSystemDateAndTime's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeRequest {
    pub(crate) kind: DateTimeType,
    pub(crate) daylight_savings: bool,
    /// A POSIX TZ string (zone names are resolved by the service: settings::timezone).
    pub(crate) timezone: Option<String>,
    /// Manual: the UTC time to set, in Unix ms.
    pub(crate) utc_unix_ms: Option<i64>,
}

/// SetNetworkProtocols' values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolsRequest {
    pub(crate) protocols: Vec<ProtocolRequest>,
    /// Ports the servers run on now (what a protocol without a stored port has).
    pub(crate) running_http: u16,
    pub(crate) running_rtsp: u16,
    /// Address the servers listen on: a new port is test-bound there before it is accepted.
    pub(crate) bind: std::net::IpAddr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProtocolRequest {
    pub(crate) kind: ProtocolKind,
    pub(crate) enabled: bool,
    /// As sent: zero or one port is accepted.
    pub(crate) ports: Vec<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProtocolKind {
    Http,
    Rtsp,
    /// A protocol nvt does not serve (HTTPS), named for the message.
    Other(String),
}

/// SetVideoEncoderConfiguration's values.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    /// None: an encoding the SDK has no codec for (MPEG4); `label` names it for the message.
    pub(crate) codec: Option<Codec>,
    pub(crate) codec_label: String,
    pub(crate) guaranteed_frame_rate: bool,
    pub(crate) width: i32,
    pub(crate) height: i32,
    pub(crate) quality: f32,
    pub(crate) rate: Option<RateRequest>,
    pub(crate) h264: Option<H264Request>,
    pub(crate) multicast: Multicast,
    pub(crate) session_timeout_secs: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateRequest {
    pub(crate) fps: i32,
    pub(crate) encoding_interval: i32,
    pub(crate) bitrate_kbps: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct H264Request {
    pub(crate) gov_length: i32,
    /// None: a profile the SDK has no counterpart for (Extended); `label` names it.
    pub(crate) profile: Option<H264Profile>,
    pub(crate) label: String,
}

/// SetVideoSourceConfiguration's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) source_token: String,
    /// x, y, width, height.
    pub(crate) bounds: (i32, i32, i32, i32),
}

/// SetMetadataConfiguration's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) analytics: bool,
    pub(crate) events: bool,
    /// PTZ status or position in the metadata stream asked for (not offered).
    pub(crate) ptz_status: bool,
    /// An analytics engine configuration given (none is offered).
    pub(crate) analytics_engine: bool,
    pub(crate) multicast: Multicast,
    pub(crate) session_timeout_secs: u32,
}

/// The profile operations. `config: None` removes that kind of configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileChange {
    Create {
        token: Option<String>,
        name: String,
    },
    Delete {
        token: String,
    },
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
    /// AddPTZConfiguration (replaces the profile's one) and RemovePTZConfiguration (a no-op
    /// when the profile has none: the Media spec calls that fault, NoConfig, obsolete).
    Ptz {
        profile: String,
        config: Option<String>,
    },
}

/// The PTZ service's changes. `config` is the PTZ configuration of the request's profile
/// (the service resolves ProfileToken); positions are in the SDK's units, read from the
/// head by the caller (`Sdk::ptz_status`) where the request takes the current one.
#[derive(Clone, Debug, PartialEq)]
pub enum PtzChange {
    /// SetPreset: `preset` None creates one (new token, name `name` or `Preset <token>`);
    /// Some overwrites that preset's position (and its name, if `name` is given).
    /// [`Outcome::Preset`] carries the token.
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsersChange {
    /// All or nothing.
    Create(Vec<User>),
    Delete(Vec<String>),
    Set(Vec<UserEdit>),
}

/// SetUser of one user: a new level, and a new password when given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEdit {
    pub(crate) username: String,
    pub(crate) password: Option<String>,
    pub(crate) level: UserLevel,
}

/// What a change produced, beyond the new settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// CreateProfile: the new profile's token.
    ProfileCreated(String),
    /// SetPreset: the preset's token (new or overwritten).
    Preset(String),
}

/// Why a change was refused. Nothing changed, in the settings, the file or the hardware.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChangeError {
    #[error("no profile {0:?}")]
    NoProfile(String),
    #[error("no configuration {0:?}")]
    NoConfig(String),
    #[error("no video source {0:?}")]
    NoSource(String),
    /// A value outside what the hardware or the settings model allow.
    #[error("{0}")]
    Invalid(String),
    /// Configurations that cannot go together (Media s5.3).
    #[error("{0}")]
    Conflict(String),
    #[error("profile {0:?} is fixed")]
    FixedProfile(String),
    #[error("at most {MAX_PROFILES} profiles")]
    MaxProfiles,
    #[error("profile {0:?} exists")]
    ProfileExists(String),
    #[error("{0}")]
    BadToken(String),
    #[error("{0}")]
    User(#[from] UserError),
    #[error("{0}")]
    Scope(#[from] ScopeError),
    #[error("{0}")]
    Network(#[from] NetworkError),
    #[error("{0}")]
    Ptz(#[from] PtzError),
    /// The SDK refused values within its advertised ranges.
    #[error("camera SDK: {0}")]
    Hardware(String),
    /// The settings could not be written; memory, file and hardware keep the old ones.
    #[error("cannot save settings: {0}")]
    Storage(String),
    /// The camera is stopping (a shutdown or SystemReboot is under way).
    #[error("the camera is stopping")]
    Stopping,
}

/// Why a network change was refused (ONVIF Core s.8.2 subcodes, mapped by the Device
/// service).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NetworkError {
    #[error("invalid host name")]
    InvalidHostname,
    #[error("one port from 1 to 65535 per protocol")]
    InvalidPort,
    #[error("{0}")]
    ServiceNotSupported(String),
    #[error("{0}")]
    PortInUse(String),
}

/// Why a PTZ change was refused (the PTZ and Media services map these to ONVIF subcodes).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PtzError {
    /// The configuration's video source has no PTZ head (or no node).
    #[error("PTZ configuration {0:?}: its video source has no PTZ head")]
    NotSupported(String),
    #[error("no preset {0:?}")]
    NoPreset(String),
    #[error("a preset named {0:?} exists")]
    PresetExists(String),
    #[error("at most {MAX_PRESETS} presets")]
    TooManyPresets,
    #[error("{0}")]
    InvalidPresetName(String),
    /// A position outside the head's ranges.
    #[error("position outside the PTZ head's range: {0}")]
    InvalidPosition(String),
}

/// Why a users change was refused (ONVIF Core s.8.4 subcodes, mapped by the Device service).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UserError {
    #[error("user name too long")]
    UsernameTooLong,
    #[error("{0}")]
    BadUsername(String),
    #[error("{0}")]
    Password(PasswordError),
    #[error("a password is required")]
    PasswordMissing,
    #[error("user {0:?} exists or is given twice")]
    Clash(String),
    #[error("at most {MAX_USERS} users")]
    TooMany,
    #[error("no user {0:?}")]
    Missing(String),
    #[error("the last administrator cannot be removed or demoted")]
    LastAdmin,
}

/// The settings `change` leads to from `current`, validated once: against the hardware's
/// facts (`camera::caps`, for every encoder configuration whose values or source change) and
/// the settings invariants (`settings::validate`).
pub(crate) fn plan(
    current: &Settings,
    ctx: &Context<'_>,
    change: Change,
) -> Result<(Settings, Outcome), ChangeError> {
    let mut next = current.clone();
    let mut outcome = Outcome::Done;
    let facts = ctx.facts;
    match change {
        Change::VideoEncoder(req) => {
            let old = current
                .encoder(&req.token)
                .ok_or_else(|| ChangeError::NoConfig(req.token.clone()))?;
            let new = encoder(facts.ok_or(ChangeError::Stopping)?, current, old, &req)?;
            *next
                .media
                .video_encoders
                .iter_mut()
                .find(|e| e.token == req.token)
                .expect("found above") = new;
        }
        Change::VideoSource(req) => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            video_source(facts, &mut next, &req)?;
        }
        Change::Metadata(req) => metadata(&mut next, req)?,
        Change::Profile(change) => {
            if let Some(token) = profile(&mut next, facts, change)? {
                outcome = Outcome::ProfileCreated(token);
            }
        }
        Change::Ptz(change) => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            if let Some(token) = ptz(facts, &mut next, change)? {
                outcome = Outcome::Preset(token);
            }
        }
        Change::Imaging {
            source_token,
            patch,
        } => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            imaging(facts, &mut next, &source_token, &patch)?;
        }
        Change::Users(change) => users(&mut next, change)?,
        Change::Hostname(name) => {
            if !valid_hostname(&name) {
                return Err(NetworkError::InvalidHostname.into());
            }
            next.network.hostname = Some(name);
        }
        Change::Ntp { from_dhcp, servers } => {
            next.network.ntp.from_dhcp = from_dhcp;
            next.network.ntp.servers = servers;
        }
        Change::Scopes { fixed, edit } => match edit {
            ScopesEdit::Set(list) => scopes::set(&mut next, &fixed, &list)?,
            ScopesEdit::Add(list) => scopes::add(&mut next, &fixed, &list)?,
            ScopesEdit::Remove(list) => scopes::remove(&mut next, &fixed, &list)?,
        },
        Change::DiscoveryMode(mode) => next.discovery.mode = mode,
        Change::DateTime(req) => date_time(&mut next, ctx.now_unix_ms, req),
        Change::NetworkProtocols(req) => protocols(&mut next, &req)?,
        Change::FactoryDefault => {
            // Both Soft and Hard reset every setting except the users: a reset must never
            // leave the device without an administrator credential (and "admin/admin" is
            // never made up). Scopes go back to the defaults: a new MetadataVersion, never
            // an old one.
            let version = current.discovery.metadata_version;
            next = Settings {
                users: current.users.clone(),
                ..Settings::default()
            };
            next.discovery.metadata_version = version.wrapping_add(1).max(1);
        }
        Change::Administrator { username, password } => {
            check_new_password(&password).map_err(UserError::Password)?;
            match next.users.iter_mut().find(|u| u.username == username) {
                Some(u) => {
                    u.password = password;
                    u.level = UserLevel::Administrator;
                }
                None => next.users.push(User {
                    username,
                    password,
                    level: UserLevel::Administrator,
                }),
            }
        }
        Change::HardwareDefaults {
            imaging,
            fit_encoders,
        } => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            for i in imaging {
                if next.imaging(&i.source_token).is_none() {
                    next.imaging.push(i);
                }
            }
            if fit_encoders {
                let fitted: Vec<VideoEncoderConfig> = (next.media.video_encoders.iter())
                    .map(
                        |e| match facts.encoder_limits(encoder_source(&next, &e.token)) {
                            Some(l) if l.check(e).is_err() => l.fit(e),
                            _ => e.clone(),
                        },
                    )
                    .collect();
                next.media.video_encoders = fitted;
            }
            ptz_defaults(facts, &mut next);
        }
    }
    check_encoder_sources(&next)?;
    check_ptz_sources(&next)?;
    if let Some(facts) = facts {
        check_encoders(facts, current, &next)?;
    }
    validate::validate(&next).map_err(ChangeError::Invalid)?;
    validate::keeps_an_administrator(current, &next)
        .map_err(|_| ChangeError::User(UserError::LastAdmin))?;
    Ok((next, outcome))
}

/// The hardware check of every encoder configuration that changes, or whose video source
/// changes (a profile operation can move an encoder to another sensor).
fn check_encoders(facts: Facts<'_>, before: &Settings, next: &Settings) -> Result<(), ChangeError> {
    for e in &next.media.video_encoders {
        let vi = encoder_source(next, &e.token);
        let unchanged = before
            .encoder(&e.token)
            .is_some_and(|old| old == e && encoder_source(before, &e.token) == vi);
        if unchanged {
            continue;
        }
        let limits = facts
            .encoder_limits(vi)
            .ok_or_else(|| ChangeError::NoSource(super::source_token(vi)))?;
        limits.check(e).map_err(ChangeError::Invalid)?;
    }
    Ok(())
}

/// RFC 1123 host name: labels of letters, digits and '-', not starting or ending with '-',
/// at most 63 octets each and 253 in all.
fn valid_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The camera clock is the host clock plus an offset (nvt does not set a host's clock):
/// Manual with a time sets the offset, NTP clears it (NTP time is the host's synchronised
/// clock), Manual without a time keeps it.
fn date_time(next: &mut Settings, now_unix_ms: i64, req: DateTimeRequest) {
    let t = &mut next.time;
    t.date_time_type = req.kind;
    t.daylight_savings = req.daylight_savings;
    if let Some(tz) = req.timezone {
        t.timezone = tz;
    }
    match (req.kind, req.utc_unix_ms) {
        (DateTimeType::Manual, Some(ms)) => t.clock_offset_secs = (ms - now_unix_ms) / 1000,
        (DateTimeType::Ntp, _) => t.clock_offset_secs = 0,
        (DateTimeType::Manual, None) => {}
    }
}

/// SetNetworkProtocols on the current protocols: a protocol absent from the request, or
/// without a port, keeps what it has. HTTP carries ONVIF itself and cannot be disabled;
/// HTTPS is not offered.
fn protocols(next: &mut Settings, req: &ProtocolsRequest) -> Result<(), ChangeError> {
    let p = &mut next.network.protocols;
    let mut http_port = p.http_port.unwrap_or(req.running_http);
    let mut rtsp_port = p.rtsp_port.unwrap_or(req.running_rtsp);
    let (old_http, old_rtsp) = (http_port, rtsp_port);
    let mut rtsp_enabled = p.rtsp_enabled;
    for item in &req.protocols {
        let port = match item.ports.as_slice() {
            [] => None,
            [one] => Some(
                u16::try_from(*one)
                    .ok()
                    .filter(|n| *n != 0)
                    .ok_or(NetworkError::InvalidPort)?,
            ),
            _ => return Err(NetworkError::InvalidPort.into()),
        };
        match &item.kind {
            ProtocolKind::Http => {
                if !item.enabled {
                    return Err(NetworkError::ServiceNotSupported(
                        "HTTP carries ONVIF itself and cannot be disabled".into(),
                    )
                    .into());
                }
                http_port = port.unwrap_or(http_port);
            }
            ProtocolKind::Rtsp => {
                rtsp_enabled = item.enabled;
                rtsp_port = port.unwrap_or(rtsp_port);
            }
            ProtocolKind::Other(name) => {
                return Err(NetworkError::ServiceNotSupported(format!(
                    "protocol {name} not supported (HTTPS is not offered)"
                ))
                .into());
            }
        }
    }
    if http_port == rtsp_port {
        return Err(NetworkError::PortInUse("HTTP and RTSP need different ports".into()).into());
    }
    if http_port == old_http && rtsp_port == old_rtsp && rtsp_enabled == p.rtsp_enabled {
        return Ok(());
    }
    p.http_port = Some(http_port);
    p.rtsp_port = Some(rtsp_port);
    p.rtsp_enabled = rtsp_enabled;
    Ok(())
}

fn check_name(name: &str) -> Result<(), ChangeError> {
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(ChangeError::Invalid(format!(
            "name must be 1..={MAX_NAME_LEN} characters"
        )));
    }
    Ok(())
}

fn check_session_timeout(secs: u32) -> Result<(), ChangeError> {
    if secs == 0 || u64::from(secs) > MAX_SESSION_TIMEOUT_SECS {
        return Err(ChangeError::Invalid(format!(
            "session timeout {secs} s outside 1..={MAX_SESSION_TIMEOUT_SECS}"
        )));
    }
    Ok(())
}

/// The encoder configuration a SetVideoEncoderConfiguration asks for. What only the request
/// can get wrong (an encoding or option the model has no place for, a value that is no
/// number) is refused here; the values are checked against the hardware with every other
/// changed configuration (`check_encoders`: `EncoderLimits::check`, what GetOptions reports).
fn encoder(
    facts: Facts<'_>,
    settings: &Settings,
    old: &VideoEncoderConfig,
    c: &EncoderRequest,
) -> Result<VideoEncoderConfig, ChangeError> {
    let invalid = |m: String| Err(ChangeError::Invalid(m));
    let vi = encoder_source(settings, &old.token);
    let limits = facts
        .encoder_limits(vi)
        .ok_or_else(|| ChangeError::NoSource(super::source_token(vi)))?;
    check_name(&c.name)?;
    // The RTSP server packetizes H.264 only: another SDK codec is not streamable.
    if c.codec != Some(Codec::H264) || !limits.h264 {
        return invalid(format!(
            "encoding {} is not supported (H264 only)",
            c.codec_label
        ));
    }
    if c.guaranteed_frame_rate {
        return invalid("GuaranteedFrameRate is not supported".into());
    }
    let unsigned = |what: &str, v: i32| {
        u32::try_from(v).map_err(|_| ChangeError::Invalid(format!("{what} {v} is negative")))
    };
    let mut new = old.clone();
    new.name = c.name.clone();
    new.width = unsigned("width", c.width)?;
    new.height = unsigned("height", c.height)?;
    limits
        .check_quality(c.quality)
        .map_err(ChangeError::Invalid)?;
    new.quality = c.quality.round() as u32;
    if let Some(rc) = &c.rate {
        if rc.encoding_interval != 1 {
            return invalid(format!(
                "encoding interval {} is not supported (1 only)",
                rc.encoding_interval
            ));
        }
        new.fps = unsigned("frame rate", rc.fps)?;
        new.bitrate_kbps = unsigned("bitrate", rc.bitrate_kbps)?;
    }
    if let Some(h264) = &c.h264 {
        new.gop = unsigned("GOV length", h264.gov_length)?;
        new.h264_profile = h264.profile.ok_or_else(|| {
            ChangeError::Invalid(format!("H.264 profile {} is not supported", h264.label))
        })?;
    }
    new.multicast = c.multicast.clone();
    new.session_timeout_secs = c.session_timeout_secs;
    Ok(new)
}

/// Name and sensor of a video source configuration. The encoder cannot crop: the bounds
/// are the whole sensor.
fn video_source(
    facts: Facts<'_>,
    next: &mut Settings,
    c: &SourceRequest,
) -> Result<(), ChangeError> {
    if !next.media.video_sources.iter().any(|v| v.token == c.token) {
        return Err(ChangeError::NoConfig(c.token.clone()));
    }
    check_name(&c.name)?;
    let vi = source_index(&c.source_token)
        .ok()
        .filter(|vi| (*vi as usize) < facts.sources.len())
        .ok_or_else(|| ChangeError::Invalid(format!("no video source {:?}", c.source_token)))?;
    let sensor = &facts.sources[vi as usize];
    if c.bounds != (0, 0, sensor.width as i32, sensor.height as i32) {
        return Err(ChangeError::Invalid(format!(
            "bounds must be the whole sensor (0,0 {}x{}): the encoder cannot crop",
            sensor.width, sensor.height
        )));
    }
    let v = next
        .media
        .video_sources
        .iter_mut()
        .find(|v| v.token == c.token)
        .expect("found above");
    v.name = c.name.clone();
    v.source = vi;
    Ok(())
}

/// Name, Analytics, Events, multicast and session timeout (no PTZ status in the metadata
/// stream; no analytics engine configuration is offered).
fn metadata(next: &mut Settings, c: MetadataRequest) -> Result<(), ChangeError> {
    if !next.media.metadata.iter().any(|m| m.token == c.token) {
        return Err(ChangeError::NoConfig(c.token));
    }
    check_name(&c.name)?;
    if c.ptz_status {
        return Err(ChangeError::Invalid(
            "PTZ status in the metadata stream is not offered".into(),
        ));
    }
    if c.analytics_engine {
        return Err(ChangeError::Invalid(
            "analytics engine configuration is not offered".into(),
        ));
    }
    check_session_timeout(c.session_timeout_secs)?;
    let m: &mut MetadataConfig = next
        .media
        .metadata
        .iter_mut()
        .find(|m| m.token == c.token)
        .expect("found above");
    m.name = c.name;
    m.analytics = c.analytics;
    m.events = c.events;
    m.multicast = c.multicast;
    m.session_timeout_secs = c.session_timeout_secs;
    Ok(())
}

fn find_profile<'a>(s: &'a mut Settings, token: &str) -> Result<&'a mut Profile, ChangeError> {
    s.media
        .profiles
        .iter_mut()
        .find(|p| p.token == token)
        .ok_or_else(|| ChangeError::NoProfile(token.to_owned()))
}

/// A fresh profile token: `profile_1`, `profile_2`, ...
fn new_profile_token(s: &Settings) -> String {
    (1..)
        .map(|n| format!("profile_{n}"))
        .find(|t| s.profile(t).is_none())
        .expect("a free token exists")
}

/// Applies a profile operation; returns the token of a created profile.
fn profile(
    next: &mut Settings,
    facts: Option<Facts<'_>>,
    change: ProfileChange,
) -> Result<Option<String>, ChangeError> {
    match change {
        ProfileChange::Create { token, name } => {
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
            });
            Ok(Some(token))
        }
        ProfileChange::Delete { token } => {
            if find_profile(next, &token)?.fixed {
                return Err(ChangeError::FixedProfile(token));
            }
            next.media.profiles.retain(|p| p.token != token);
            Ok(None)
        }
        ProfileChange::VideoSource { profile, config } => {
            if let Some(c) = &config
                && !next.media.video_sources.iter().any(|v| &v.token == c)
            {
                return Err(ChangeError::NoConfig(c.clone()));
            }
            find_profile(next, &profile)?.video_source = config;
            Ok(None)
        }
        ProfileChange::VideoEncoder { profile, config } => {
            if let Some(c) = &config
                && next.encoder(c).is_none()
            {
                return Err(ChangeError::NoConfig(c.clone()));
            }
            find_profile(next, &profile)?.video_encoder = config;
            Ok(None)
        }
        ProfileChange::Metadata { profile, config } => {
            if let Some(c) = &config
                && !next.media.metadata.iter().any(|m| &m.token == c)
            {
                return Err(ChangeError::NoConfig(c.clone()));
            }
            find_profile(next, &profile)?.metadata = config;
            Ok(None)
        }
        ProfileChange::Ptz { profile, config } => {
            if let Some(c) = &config {
                let cfg = next
                    .ptz_config(c)
                    .ok_or_else(|| ChangeError::NoConfig(c.clone()))?;
                let facts = facts.ok_or(ChangeError::Stopping)?;
                if facts.ptz(cfg.source).is_none() {
                    return Err(PtzError::NotSupported(c.clone()).into());
                }
            }
            // Replaces the profile's configuration; removing none leaves none.
            find_profile(next, &profile)?.ptz = config;
            Ok(None)
        }
    }
}

/// Media s5.3 for PTZ: a profile's PTZ configuration moves the head of the profile's video
/// source (checked after every change, so AddVideoSourceConfiguration is held to it too).
fn check_ptz_sources(s: &Settings) -> Result<(), ChangeError> {
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

/// A PTZ change; returns the token of a preset SetPreset created or overwrote.
fn ptz(
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
fn ptz_defaults(facts: Facts<'_>, next: &mut Settings) {
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

/// ONVIF Media s5.3: configurations in one profile must be compatible. An encoder encodes
/// one video source, so every profile holding an encoder configuration must hold the same
/// video source configuration's source (or none).
fn check_encoder_sources(s: &Settings) -> Result<(), ChangeError> {
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

/// A level of `patch` in `r`, rounded to the SDK's integer; `name` names it for the message.
fn level(name: &str, v: f32, r: Range) -> Result<i32, ChangeError> {
    if !v.is_finite() || v < r.min as f32 || v > r.max as f32 {
        return Err(ChangeError::Invalid(format!(
            "{name} {v} outside {}..={}",
            r.min, r.max
        )));
    }
    Ok((v.round() as i32).clamp(r.min, r.max))
}

/// The ISP settings `patch` leads to from `a`, checked against the source's ranges (the
/// same [`IspRange`] Imaging's GetOptions reports): a feature the hardware lacks, a mode it
/// does not offer or a level outside its range is refused.
pub(crate) fn patch_isp(a: &IspAttr, r: &IspRange, p: &IspPatch) -> Result<IspAttr, ChangeError> {
    let unsupported = |what: &str| Err(ChangeError::Invalid(format!("{what} is not supported")));
    let mut a = *a;
    let levels = [
        (
            p.brightness,
            "Brightness",
            r.levels.brightness,
            r.brightness,
            &mut a.brightness,
        ),
        (
            p.contrast,
            "Contrast",
            r.levels.contrast,
            r.contrast,
            &mut a.contrast,
        ),
        (
            p.saturation,
            "ColorSaturation",
            r.levels.saturation,
            r.saturation,
            &mut a.saturation,
        ),
        (
            p.sharpness,
            "Sharpness",
            r.levels.sharpness,
            r.sharpness,
            &mut a.sharpness,
        ),
    ];
    for (value, name, present, range, field) in levels {
        if let Some(v) = value {
            if !present {
                return unsupported(name);
            }
            *field = level(name, v, range)?;
        }
    }
    if let Some((on, lvl)) = p.backlight {
        if !r.has_backlight {
            return unsupported("BacklightCompensation");
        }
        a.backlight = on;
        if let Some(v) = lvl {
            a.backlight_level = level("BacklightCompensation/Level", v, r.backlight_level)?;
        }
    }
    if let Some((on, lvl)) = p.wdr {
        if !r.has_wdr {
            return unsupported("WideDynamicRange");
        }
        a.wdr = on;
        if let Some(v) = lvl {
            a.wdr_level = level("WideDynamicRange/Level", v, r.wdr_level)?;
        }
    }
    if let Some((mode, time, gain)) = p.exposure {
        if !r.exposure_modes.contains(&mode) {
            return unsupported(&format!("Exposure/Mode {mode:?}"));
        }
        a.exposure_mode = mode;
        if let Some(v) = time {
            a.exposure_time_us = level("Exposure/ExposureTime", v, r.exposure_time_us)?;
        }
        if let Some(v) = gain {
            if !r.levels.gain {
                return unsupported("Exposure/Gain");
            }
            a.gain = level("Exposure/Gain", v, r.gain)?;
        }
    }
    if let Some(mode) = p.ircut {
        if !r.ircut_modes.contains(&mode) {
            return unsupported(&format!("IrCutFilter {mode:?}"));
        }
        a.ircut = mode;
    }
    if let Some((mode, cr, cb)) = p.white_balance {
        if !r.wb_modes.contains(&mode) {
            return unsupported(&format!("WhiteBalance/Mode {mode:?}"));
        }
        a.wb_mode = mode;
        if let Some(v) = cr {
            a.wb_cr_gain = level("WhiteBalance/CrGain", v, r.wb_cr_gain)?;
        }
        if let Some(v) = cb {
            a.wb_cb_gain = level("WhiteBalance/CbGain", v, r.wb_cb_gain)?;
        }
    }
    // The fields left alone are the current ones, checked at start (`caps::check_isp`) or
    // by the change that set them.
    Ok(a)
}

fn imaging(
    facts: Facts<'_>,
    next: &mut Settings,
    source_token: &str,
    patch: &IspPatch,
) -> Result<(), ChangeError> {
    let range = source_index(source_token)
        .ok()
        .filter(|&vi| super::source_token(vi) == source_token)
        .and_then(|vi| facts.isp_ranges.get(vi as usize))
        .ok_or_else(|| ChangeError::NoSource(source_token.to_owned()))?;
    let entry: &mut ImagingSettings = next
        .imaging
        .iter_mut()
        .find(|i| i.source_token == source_token)
        .ok_or_else(|| ChangeError::NoSource(source_token.to_owned()))?;
    entry.isp = patch_isp(&entry.isp, range, patch)?;
    Ok(())
}

fn check_user(u: &User) -> Result<(), UserError> {
    if u.username.len() > MAX_CREDENTIAL_LEN {
        return Err(UserError::UsernameTooLong);
    }
    validate::check_username(&u.username).map_err(UserError::BadUsername)?;
    check_new_password(&u.password).map_err(UserError::Password)
}

/// ONVIF Core s.8.4: CreateUsers (all or nothing), DeleteUsers, SetUser; never without an
/// administrator (issue 14 item 11: checked here on the current users, under the lock).
fn users(next: &mut Settings, change: UsersChange) -> Result<(), ChangeError> {
    match change {
        UsersChange::Create(new) => {
            for (i, u) in new.iter().enumerate() {
                check_user(u)?;
                if new[..i].iter().any(|n| n.username == u.username)
                    || next.user(&u.username).is_some()
                {
                    return Err(UserError::Clash(u.username.clone()).into());
                }
            }
            if next.users.len() + new.len() > MAX_USERS {
                return Err(UserError::TooMany.into());
            }
            next.users.extend(new);
        }
        UsersChange::Delete(names) => {
            for name in &names {
                if next.user(name).is_none() {
                    return Err(UserError::Missing(name.clone()).into());
                }
            }
            next.users.retain(|u| !names.contains(&u.username));
        }
        UsersChange::Set(edits) => {
            for e in edits {
                let Some(slot) = next.users.iter_mut().find(|x| x.username == e.username) else {
                    return Err(UserError::Missing(e.username).into());
                };
                if let Some(p) = e.password {
                    check_new_password(&p).map_err(UserError::Password)?;
                    slot.password = p;
                }
                slot.level = e.level;
            }
        }
    }
    if validate::administrators(&next.users) == 0 {
        return Err(UserError::LastAdmin.into());
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod ptz_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::{EncoderCaps, RateControl, VideoSourceInfo};

    const NO_HW: Context<'static> = Context {
        facts: None,
        now_unix_ms: 0,
    };

    fn ctx(facts: Facts<'_>) -> Context<'_> {
        Context {
            facts: Some(facts),
            now_unix_ms: 0,
        }
    }

    fn admin(name: &str) -> User {
        User {
            username: name.into(),
            password: "secret-1".into(),
            level: UserLevel::Administrator,
        }
    }

    fn with_users(users: Vec<User>) -> Settings {
        Settings {
            users,
            ..Settings::default()
        }
    }

    #[test]
    fn the_last_administrator_is_never_removed_whatever_the_order() {
        // Two DeleteUsers planned one after the other on the current settings (as the core
        // runs them, under the lock): the second one is refused.
        let s = with_users(vec![admin("a"), admin("b")]);
        let (s, _) = plan(
            &s,
            &NO_HW,
            Change::Users(UsersChange::Delete(vec!["a".into()])),
        )
        .unwrap();
        let err = plan(
            &s,
            &NO_HW,
            Change::Users(UsersChange::Delete(vec!["b".into()])),
        );
        assert_eq!(err.unwrap_err(), ChangeError::User(UserError::LastAdmin));
        let demote = UserEdit {
            username: "b".into(),
            password: None,
            level: UserLevel::User,
        };
        let err = plan(&s, &NO_HW, Change::Users(UsersChange::Set(vec![demote])));
        assert_eq!(err.unwrap_err(), ChangeError::User(UserError::LastAdmin));
    }

    #[test]
    fn users_follow_the_core_rules() {
        let s = with_users(vec![admin("a")]);
        let create = |u: User| plan(&s, &NO_HW, Change::Users(UsersChange::Create(vec![u])));
        let mut weak = admin("w");
        weak.password = "12345".into();
        assert_eq!(
            create(weak).unwrap_err(),
            ChangeError::User(UserError::Password(PasswordError::TooWeak))
        );
        assert_eq!(
            create(admin("a")).unwrap_err(),
            ChangeError::User(UserError::Clash("a".into()))
        );
        let twice = vec![admin("x"), admin("x")];
        assert_eq!(
            plan(&s, &NO_HW, Change::Users(UsersChange::Create(twice))).unwrap_err(),
            ChangeError::User(UserError::Clash("x".into()))
        );
        let many = (0..MAX_USERS).map(|i| admin(&format!("u{i}"))).collect();
        assert_eq!(
            plan(&s, &NO_HW, Change::Users(UsersChange::Create(many))).unwrap_err(),
            ChangeError::User(UserError::TooMany)
        );
        assert_eq!(
            plan(
                &s,
                &NO_HW,
                Change::Users(UsersChange::Delete(vec!["nobody".into()]))
            )
            .unwrap_err(),
            ChangeError::User(UserError::Missing("nobody".into()))
        );
    }

    #[test]
    fn dot_profile_tokens_are_refused() {
        let s = Settings::default();
        for t in [".", "..", ".hidden"] {
            let c = ProfileChange::Create {
                token: Some(t.into()),
                name: "x".into(),
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
        };
        assert_eq!(
            plan(&s, &NO_HW, Change::Profile(ok)).unwrap().1,
            Outcome::ProfileCreated("cam.1".into())
        );
    }

    #[test]
    fn encoder_values_are_checked_against_the_caps() {
        let caps = EncoderCaps {
            codecs: vec![Codec::H264],
            h264_profiles: vec![H264Profile::Main],
            rc_modes: vec![RateControl::Cbr],
            resolutions: vec![(1280, 720), (640, 360)],
            fps: (1, 30),
            bitrate_kbps: (64, 4096),
            gop: (1, 120),
            qp: (10, 50),
        };
        let sources = [VideoSourceInfo {
            name: "s".into(),
            width: 1280,
            height: 720,
            max_fps: 25,
        }];
        let facts = Facts {
            caps: &caps,
            sources: &sources,
            isp_ranges: &[],
            ptz: &[],
        };
        let s = Settings::default();
        let old = s.encoder("venc_sub").unwrap();
        let req = EncoderRequest {
            token: old.token.clone(),
            name: "sub".into(),
            codec: Some(Codec::H264),
            codec_label: "H264".into(),
            guaranteed_frame_rate: false,
            width: 1280,
            height: 720,
            quality: 4.0,
            rate: Some(RateRequest {
                fps: 25,
                encoding_interval: 1,
                bitrate_kbps: 1000,
            }),
            h264: Some(H264Request {
                gov_length: 50,
                profile: Some(H264Profile::Main),
                label: "Main".into(),
            }),
            multicast: old.multicast.clone(),
            session_timeout_secs: 60,
        };
        let (next, _) = plan(&s, &ctx(facts), Change::VideoEncoder(req.clone())).unwrap();
        let e = next.encoder("venc_sub").unwrap();
        assert_eq!(
            (e.width, e.fps, e.bitrate_kbps, e.quality),
            (1280, 25, 1000, 4)
        );
        let bad = |f: &dyn Fn(&mut EncoderRequest)| {
            let mut r = req.clone();
            f(&mut r);
            plan(&s, &ctx(facts), Change::VideoEncoder(r)).unwrap_err()
        };
        for e in [
            bad(&|r| r.width = 1920),
            bad(&|r| r.rate.as_mut().unwrap().fps = 26),
            bad(&|r| r.rate.as_mut().unwrap().bitrate_kbps = 5000),
            bad(&|r| r.h264.as_mut().unwrap().profile = Some(H264Profile::High)),
            bad(&|r| r.quality = f32::NAN),
            bad(&|r| r.codec = Some(Codec::Mjpeg)),
            bad(&|r| r.session_timeout_secs = 0),
            bad(&|r| r.session_timeout_secs = 86_400),
            bad(&|r| r.multicast.port = 5001),
            bad(&|r| r.multicast.ttl = 0),
            bad(&|r| r.multicast.address = "10.0.0.1".into()),
            bad(&|r| r.width = -1280),
        ] {
            assert!(matches!(e, ChangeError::Invalid(_)), "{e:?}");
        }
        // At first start the default main stream (1280x720@25) is fitted to a hardware
        // without that size: the largest it has that is no larger.
        let small = EncoderCaps {
            resolutions: vec![(800, 600), (640, 360)],
            ..caps.clone()
        };
        let facts = Facts {
            caps: &small,
            ..facts
        };
        let defaults = Change::HardwareDefaults {
            imaging: Vec::new(),
            fit_encoders: true,
        };
        let (next, _) = plan(&s, &ctx(facts), defaults).unwrap();
        let main = next.encoder("venc_main").unwrap();
        assert_eq!((main.width, main.height, main.fps), (800, 600, 25));
        assert_eq!(
            next.encoder("venc_sub"),
            s.encoder("venc_sub"),
            "fits already"
        );
    }

    fn protocols_request(items: Vec<ProtocolRequest>) -> Change {
        Change::NetworkProtocols(ProtocolsRequest {
            protocols: items,
            running_http: 8080,
            running_rtsp: 8554,
            bind: std::net::Ipv4Addr::LOCALHOST.into(),
        })
    }

    fn item(kind: ProtocolKind, enabled: bool, ports: &[i32]) -> ProtocolRequest {
        ProtocolRequest {
            kind,
            enabled,
            ports: ports.to_vec(),
        }
    }

    /// Two SetNetworkProtocols planned one after the other on the current settings (as the
    /// core runs them, under the lock): the second keeps what the first changed.
    #[test]
    fn network_protocols_merge_with_the_current_ones() {
        let s = with_users(vec![admin("a")]);
        let http = protocols_request(vec![item(ProtocolKind::Http, true, &[8081])]);
        let (s, _) = plan(&s, &NO_HW, http).unwrap();
        let rtsp_off = protocols_request(vec![item(ProtocolKind::Rtsp, false, &[])]);
        let (s, _) = plan(&s, &NO_HW, rtsp_off).unwrap();
        let p = &s.network.protocols;
        assert_eq!(
            (p.http_port, p.rtsp_port, p.rtsp_enabled),
            (Some(8081), Some(8554), false)
        );
        let refused = |items| plan(&s, &NO_HW, protocols_request(items)).unwrap_err();
        assert_eq!(
            refused(vec![item(ProtocolKind::Rtsp, true, &[8081])]),
            ChangeError::Network(NetworkError::PortInUse(
                "HTTP and RTSP need different ports".into()
            ))
        );
        assert_eq!(
            refused(vec![item(ProtocolKind::Http, true, &[70000])]),
            ChangeError::Network(NetworkError::InvalidPort)
        );
        assert_eq!(
            refused(vec![item(ProtocolKind::Http, true, &[80, 81])]),
            ChangeError::Network(NetworkError::InvalidPort)
        );
        assert!(matches!(
            refused(vec![item(ProtocolKind::Http, false, &[])]),
            ChangeError::Network(NetworkError::ServiceNotSupported(_))
        ));
        assert!(matches!(
            refused(vec![item(
                ProtocolKind::Other("HTTPS".into()),
                true,
                &[443]
            )]),
            ChangeError::Network(NetworkError::ServiceNotSupported(_))
        ));
    }

    #[test]
    fn the_clock_offset_is_computed_from_the_time_passed_in() {
        let s = with_users(vec![admin("a")]);
        let at = |now_unix_ms| Context {
            facts: None,
            now_unix_ms,
        };
        let manual = |utc| {
            Change::DateTime(DateTimeRequest {
                kind: DateTimeType::Manual,
                daylight_savings: true,
                timezone: Some("CET-1".into()),
                utc_unix_ms: utc,
            })
        };
        let (s, _) = plan(&s, &at(1_000_000), manual(Some(4_600_000))).unwrap();
        assert_eq!(s.time.clock_offset_secs, 3600);
        assert_eq!(s.time.timezone, "CET-1");
        // Manual without a time keeps the offset; NTP clears it.
        let (s, _) = plan(&s, &at(0), manual(None)).unwrap();
        assert_eq!(s.time.clock_offset_secs, 3600);
        let ntp = Change::DateTime(DateTimeRequest {
            kind: DateTimeType::Ntp,
            daylight_savings: false,
            timezone: None,
            utc_unix_ms: None,
        });
        let (s, _) = plan(&s, &at(0), ntp).unwrap();
        assert_eq!(
            (s.time.clock_offset_secs, s.time.timezone.as_str()),
            (0, "CET-1")
        );
    }

    #[test]
    fn factory_default_keeps_the_users_and_moves_the_metadata_version_on() {
        let mut s = with_users(vec![admin("a")]);
        s.network.hostname = Some("cam".into());
        s.discovery.metadata_version = 7;
        let (next, _) = plan(&s, &NO_HW, Change::FactoryDefault).unwrap();
        assert_eq!(next.users, s.users);
        assert_eq!(next.network.hostname, None);
        assert_eq!(next.discovery.metadata_version, 8);
    }

    #[test]
    fn hostnames_follow_rfc_1123() {
        let s = with_users(vec![admin("a")]);
        for bad in ["", "-cam", "cam_1", "a..b", &"x".repeat(64)] {
            assert_eq!(
                plan(&s, &NO_HW, Change::Hostname(bad.into())).unwrap_err(),
                ChangeError::Network(NetworkError::InvalidHostname),
                "{bad:?}"
            );
        }
        let (s, _) = plan(&s, &NO_HW, Change::Hostname("cam-1.local".into())).unwrap();
        assert_eq!(s.network.hostname.as_deref(), Some("cam-1.local"));
    }

    #[test]
    fn the_administrator_is_created_or_restored() {
        let s = Settings::default();
        let change = |p: &str| Change::Administrator {
            username: "admin".into(),
            password: p.into(),
        };
        assert_eq!(
            plan(&s, &NO_HW, change("short")).unwrap_err(),
            ChangeError::User(UserError::Password(PasswordError::TooWeak))
        );
        let (s, _) = plan(&s, &NO_HW, change("first-pass")).unwrap();
        assert_eq!(s.users.len(), 1);
        let mut demoted = s.clone();
        demoted.users[0].level = UserLevel::User;
        demoted.users.push(User {
            username: "u".into(),
            password: "u-secret".into(),
            level: UserLevel::User,
        });
        let (s, _) = plan(&demoted, &NO_HW, change("second-pass")).unwrap();
        assert_eq!(s.users.len(), 2);
        assert_eq!(s.users[0].level, UserLevel::Administrator);
        assert_eq!(s.users[0].password, "second-pass");
    }
}
