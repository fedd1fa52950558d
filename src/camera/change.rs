//! A configuration change, and its plan: the settings it leads to, computed from the current
//! settings and validated once against what the hardware can do ([`Facts`]).
//!
//! Pure: no I/O, no SDK call, no clock. `camera::Core` runs the plan under the settings
//! writer lock, then applies the difference between the old and new settings to the SDK and
//! the streams. ONVIF services only translate SOAP into a [`Change`] and a [`ChangeError`]
//! back into the fault their specification names.
//!
//! This file holds the change ([`Change`]), what it produces ([`Outcome`]) and [`plan`],
//! which hands each change to the area that plans it and then holds the result to the rules
//! every change is checked against. The areas, each with its request types:
//!
//! - `error`: why a change is refused, and the value checks several areas share;
//! - `encoder`, `source`, `metadata`: the Media configurations; `profile`: the profiles and
//!   what one profile may hold;
//! - `audio`: the audio source and audio encoder configurations, against the microphone;
//! - `osd`: on-screen texts, against the overlay of their source;
//! - `ptz`: presets, home, PTZ configurations (tests in `ptz_tests.rs`);
//! - `imaging`: ISP settings; `users`: users and the administrator;
//! - `io`: relay outputs and digital inputs;
//! - `audio_out`: audio output and decoder configurations, against the board's speakers;
//! - `multicast`: which profiles' multicast a client started (it lasts over a restart);
//! - `network`: host name and protocols; `clock`: date and time;
//! - `defaults`: factory reset, and what only the hardware knows at start-up.
//!
//! Every request type and error is re-exported here: services name them
//! `camera::change::X`.

mod audio;
mod audio_out;
mod clock;
mod defaults;
mod encoder;
mod error;
mod imaging;
mod io;
mod metadata;
mod multicast;
mod network;
mod osd;
mod profile;
mod ptz;
mod source;
mod users;

use crate::discovery::scopes;
use crate::settings::validate;
use crate::settings::{DiscoveryMode, ImagingSettings, Settings};

use super::caps::Facts;

pub(crate) use audio_out::output_token;
pub use audio_out::{AudioDecoderRequest, AudioOutputRequest};
use audio_out::{audio_decoder, audio_output};

pub use audio::{AudioEncoderRequest, AudioSourceRequest};
use audio::{audio_encoder, audio_source, check_audio};
pub(crate) use audio::{audio_source_token, rate_khz};
pub use clock::DateTimeRequest;
use clock::date_time;
use defaults::{factory_default, hardware_defaults};
pub use encoder::EncoderRequest;
pub(crate) use encoder::{BitrateMode, H264Request, RateRequest};
use encoder::{check_encoders, encoder};
pub(crate) use error::{ChangeError, IoRefused, NetworkError, PtzError, UserError};
pub use imaging::IspPatch;
use imaging::imaging;
pub use io::{InputRequest, IoChange, RelayRequest};
pub use metadata::MetadataRequest;
pub(crate) use metadata::events_filter;
use metadata::metadata;
use multicast::{keep_started, multicast};
pub use network::ProtocolsRequest;
pub(crate) use network::{ProtocolKind, ProtocolRequest};
use network::{protocols, valid_hostname};
use osd::osd;
pub(crate) use osd::shown_on as osds_shown_on;
pub use osd::{OsdChange, OsdRequest};
pub use profile::{ConfigKind, ConfigRef, ProfileChange};
use profile::{check_encoder_sources, check_ptz_sources, profile};
use ptz::ptz;
pub use ptz::{PtzChange, SpeedRequest};
pub use source::SourceRequest;
use source::video_source;
pub use users::{UserEdit, UsersChange};
use users::{administrator, users};

// The Imaging service's tests check its options against `patch_isp` by this path; nothing
// else outside this module names it today.
#[allow(unused_imports, reason = "named by tests only")]
pub(crate) use imaging::patch_isp;

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
    /// Media and Media2 SetAudioOutputConfiguration (the OutputLevel is the speaker's
    /// volume, applied by the core), DeviceIO SetAudioOutputConfiguration.
    AudioOutput(AudioOutputRequest),
    /// Media and Media2 SetAudioDecoderConfiguration.
    AudioDecoder(AudioDecoderRequest),
    /// Media and Media2 SetAudioSourceConfiguration.
    AudioSource(AudioSourceRequest),
    /// Media and Media2 SetAudioEncoderConfiguration.
    AudioEncoder(AudioEncoderRequest),
    /// Media CreateProfile, DeleteProfile, Add/Remove*Configuration.
    Profile(ProfileChange),
    /// Media and Media2 StartMulticastStreaming (`started`) and StopMulticastStreaming: the
    /// record that makes a started profile's multicast last over a restart (`multicast`).
    Multicast { profile: String, started: bool },
    /// PTZ SetPreset, RemovePreset, SetHomePosition, SetConfiguration (moves are not
    /// changes: they change no setting).
    Ptz(PtzChange),
    /// Media2 and Media CreateOSD, SetOSD, DeleteOSD.
    Osd(OsdChange),
    /// Imaging SetImagingSettings.
    Imaging {
        source_token: String,
        patch: IspPatch,
    },
    /// DeviceIO SetRelayOutputSettings, SetDigitalInputConfigurations; Device
    /// SetRelayOutputSettings. SetRelayOutputState is no change: it sets no setting.
    Io(IoChange),
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopesEdit {
    Set(Vec<String>),
    Add(Vec<String>),
    Remove(Vec<String>),
}

/// What a change produced, beyond the new settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// CreateProfile: the new profile's token.
    ProfileCreated(String),
    /// SetPreset: the preset's token (new or overwritten).
    Preset(String),
    /// CreateOSD: the new OSD's token.
    OsdCreated(String),
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
        Change::AudioOutput(req) => {
            audio_output(facts.ok_or(ChangeError::Stopping)?, &mut next, req)?;
        }
        Change::AudioDecoder(req) => audio_decoder(&mut next, req)?,
        Change::AudioSource(req) => {
            audio_source(facts.ok_or(ChangeError::Stopping)?, &mut next, req)?;
        }
        Change::AudioEncoder(req) => {
            audio_encoder(facts.ok_or(ChangeError::Stopping)?, &mut next, req)?;
        }
        Change::Profile(change) => {
            if let Some(token) = profile(&mut next, facts, change)? {
                outcome = Outcome::ProfileCreated(token);
            }
        }
        Change::Multicast { profile, started } => multicast(&mut next, &profile, started)?,
        Change::Ptz(change) => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            if let Some(token) = ptz(facts, &mut next, change)? {
                outcome = Outcome::Preset(token);
            }
        }
        Change::Osd(change) => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            if let Some(token) = osd(facts, &mut next, change, ctx.now_unix_ms)? {
                outcome = Outcome::OsdCreated(token);
            }
        }
        Change::Imaging {
            source_token,
            patch,
        } => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            imaging(facts, &mut next, &source_token, &patch)?;
        }
        Change::Io(change) => io::io(facts.ok_or(ChangeError::Stopping)?, &mut next, change)?,
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
        Change::FactoryDefault => next = factory_default(current),
        Change::Administrator { username, password } => {
            administrator(&mut next, username, password)?;
        }
        Change::HardwareDefaults {
            imaging,
            fit_encoders,
        } => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            hardware_defaults(facts, &mut next, imaging, fit_encoders);
        }
    }
    keep_started(current, &mut next);
    check_encoder_sources(&next)?;
    check_ptz_sources(&next)?;
    if let Some(facts) = facts {
        check_encoders(facts, current, &next)?;
        check_audio(facts.audio, current, &next)?;
    }
    validate::validate(&next).map_err(ChangeError::Invalid)?;
    validate::keeps_an_administrator(current, &next)
        .map_err(|_| ChangeError::User(UserError::LastAdmin))?;
    Ok((next, outcome))
}

#[cfg(test)]
pub(crate) mod ptz_tests;

/// What the areas' tests share: a plan without hardware, or with some, and users.
#[cfg(test)]
mod testing {
    use super::*;
    use crate::auth::UserLevel;
    use crate::settings::User;

    pub(crate) const NO_HW: Context<'static> = Context {
        facts: None,
        now_unix_ms: 0,
    };

    pub(crate) fn ctx(facts: Facts<'_>) -> Context<'_> {
        Context {
            facts: Some(facts),
            now_unix_ms: 0,
        }
    }

    pub(crate) fn admin(name: &str) -> User {
        User {
            username: name.into(),
            password: "secret-1".into(),
            level: UserLevel::Administrator,
        }
    }

    pub(crate) fn with_users(users: Vec<User>) -> Settings {
        Settings {
            users,
            ..Settings::default()
        }
    }
}
