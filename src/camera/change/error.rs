//! Why a change is refused: [`ChangeError`] and the errors of the areas whose refusals a
//! service maps to an ONVIF subcode of its own (network, PTZ, users), plus the checks of a
//! request's values that several areas share. Every area's plan returns these, and nothing
//! here knows of the areas, so each of them can use it.

use crate::discovery::scopes::ScopeError;
use crate::settings::validate::{
    MAX_NAME_LEN, MAX_PRESETS, MAX_PROFILES, MAX_SESSION_TIMEOUT_SECS, MAX_USERS, PasswordError,
};

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
    /// CreateOSD (or SetOSD to another source) past the overlay regions of the source
    /// (Media2 and Media s."CreateOSD": MaxOSDs).
    #[error("at most {0} OSDs on this video source")]
    MaxOsds(u32),
    #[error("{0}")]
    User(#[from] UserError),
    #[error("{0}")]
    Scope(#[from] ScopeError),
    #[error("{0}")]
    Network(#[from] NetworkError),
    #[error("{0}")]
    Ptz(#[from] PtzError),
    #[error("{0}")]
    Io(#[from] IoRefused),
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

/// Why a relay or input change was refused (DeviceIO and Device map these to ONVIF
/// subcodes: RelayToken, ModeError, NoConfig).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum IoRefused {
    #[error("no relay output {0:?}")]
    UnknownRelay(String),
    /// A monostable DelayTime outside what GetRelayOutputOptions offers.
    #[error("{0}")]
    Delay(String),
    #[error("no digital input {0:?}")]
    UnknownInput(String),
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

pub(crate) fn check_name(name: &str) -> Result<(), ChangeError> {
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(ChangeError::Invalid(format!(
            "name must be 1..={MAX_NAME_LEN} characters"
        )));
    }
    Ok(())
}

pub(crate) fn check_session_timeout(secs: u32) -> Result<(), ChangeError> {
    if secs == 0 || u64::from(secs) > MAX_SESSION_TIMEOUT_SECS {
        return Err(ChangeError::Invalid(format!(
            "session timeout {secs} s outside 1..={MAX_SESSION_TIMEOUT_SECS}"
        )));
    }
    Ok(())
}
