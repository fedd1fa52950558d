//! Invariants of the settings model. Checked on load and before every update is persisted,
//! so the file on disk is always one the daemon can run with.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::auth::UserLevel;

use super::model::{Multicast, PTZ_SPEED_FULL, SETTINGS_FORMAT, Settings, User};

/// Longest user name and password accepted (ONVIF Core recommends supporting at least 28
/// bytes of password, s.8.4.3 CreateUsers; a bound keeps the file and digest work small).
pub(crate) const MAX_CREDENTIAL_LEN: usize = 64;
/// Shortest password nvt sets, for users created or changed over ONVIF and for the first
/// administrator (`NVT_ADMIN_PASSWORD`). ONVIF Core leaves the rule to the device (CreateUsers
/// and SetUser answer `ter:PasswordTooWeak`; the optional password-complexity policy has a
/// configurable MinLen, s.8.4.11): six characters is nvt's policy. Files written before the
/// rule may hold shorter passwords; they still load (see [`check_password`]).
pub(crate) const MIN_PASSWORD_LEN: usize = 6;
/// Most users the device keeps (reported in GetServiceCapabilities as MaxUsers).
pub const MAX_USERS: usize = 32;
/// Longest token of a configuration or profile.
pub(crate) const MAX_TOKEN_LEN: usize = 64;
/// Longest configuration or profile name (`tt:Name` is limited to 64 characters).
pub(crate) const MAX_NAME_LEN: usize = 64;
/// Most media profiles (fixed ones included); CreateProfile beyond it faults MaxNVTProfiles.
pub(crate) const MAX_PROFILES: usize = 16;
/// Longest RTSP session timeout a configuration may carry.
pub(crate) const MAX_SESSION_TIMEOUT_SECS: u64 = 3600;
/// Most presets one PTZ node keeps (ONVIF MaximumNumberOfPresets); SetPreset beyond it
/// faults TooManyPresets.
pub(crate) const MAX_PRESETS: usize = 100;
/// Range of a PTZ timeout, in ms: a configuration's DefaultPTZTimeout and a ContinuousMove's
/// Timeout (ONVIF PTZConfigurationOptions/PTZTimeout). 0.1 s: the Node.js `onvif` library
/// sends fractional seconds; 120 s: PTZ-3-1-4 runs a continuous move for 60 s.
pub(crate) const PTZ_TIMEOUT_MS: (u32, u32) = (100, 120_000);
/// The DelayTime a monostable relay may have, in ms (GetRelayOutputOptions' DelayTimes): nvt
/// times it, not the SDK, so the range is nvt's: a 0.1 s pulse to an hour.
pub(crate) const RELAY_DELAY_MS: (u32, u32) = (100, 3_600_000);

/// Returns the first broken invariant, described for a person.
pub fn validate(s: &Settings) -> Result<(), String> {
    validate_structure(s)?;
    check_administrator(s)
}

/// "At least one administrator": a device with accounts has an Administrator, or it can never
/// be administered again over ONVIF (users, network, reboot, factory reset all need one).
/// No user at all is the state before the first start completes (the daemon then creates
/// `admin`, see `camera::admin`).
pub(crate) fn check_administrator(s: &Settings) -> Result<(), String> {
    if s.users.is_empty() || administrators(&s.users) > 0 {
        Ok(())
    } else {
        Err("no user is an Administrator: the device could never be administered again".into())
    }
}

/// The transition rule beside [`check_administrator`]: a change never takes the last
/// administrator away, not even by removing every user.
pub(crate) fn keeps_an_administrator(before: &Settings, after: &Settings) -> Result<(), String> {
    if administrators(&before.users) > 0 && administrators(&after.users) == 0 {
        return Err("the last administrator cannot be removed or demoted".into());
    }
    Ok(())
}

pub fn administrators(users: &[User]) -> usize {
    users
        .iter()
        .filter(|u| u.level == UserLevel::Administrator)
        .count()
}

/// Every invariant except [`check_administrator`] (a file lacking only its administrator
/// still loads, so the daemon can recover it).
pub(crate) fn validate_structure(s: &Settings) -> Result<(), String> {
    if s.format != SETTINGS_FORMAT {
        return Err(format!(
            "format {} is not supported (expected {SETTINGS_FORMAT})",
            s.format
        ));
    }
    unique("user", s.users.iter().map(|u| u.username.as_str()))?;
    for u in &s.users {
        check_username(&u.username)?;
        check_password(&u.password).map_err(|e| format!("user {:?}: {e}", u.username))?;
    }
    let m = &s.media;
    unique("profile", m.profiles.iter().map(|p| p.token.as_str()))?;
    unique(
        "video source configuration",
        m.video_sources.iter().map(|v| v.token.as_str()),
    )?;
    unique(
        "video encoder configuration",
        m.video_encoders.iter().map(|v| v.token.as_str()),
    )?;
    unique(
        "metadata configuration",
        m.metadata.iter().map(|v| v.token.as_str()),
    )?;
    unique("OSD", m.osd.iter().map(|o| o.token.as_str()))?;
    for o in &m.osd {
        check_token("OSD", &o.token)?;
        (o.text.check().and_then(|()| o.position.check()))
            .map_err(|e| format!("OSD {:?}: {e}", o.token))?;
        if !m.video_sources.iter().any(|v| v.token == o.video_source) {
            return Err(format!(
                "OSD {:?} refers to unknown video source configuration {:?}",
                o.token, o.video_source
            ));
        }
    }
    unique(
        "imaging source",
        s.imaging.iter().map(|i| i.source_token.as_str()),
    )?;
    let channels: Vec<String> = m
        .video_encoders
        .iter()
        .map(|e| e.channel.to_string())
        .collect();
    unique("encoder channel", channels.iter().map(String::as_str))?;
    for p in &m.profiles {
        check_profile_token(&p.token)?;
        let refs = [
            (
                "video source configuration",
                &p.video_source,
                m.video_sources
                    .iter()
                    .any(|v| Some(&v.token) == p.video_source.as_ref()),
            ),
            (
                "video encoder configuration",
                &p.video_encoder,
                m.video_encoders
                    .iter()
                    .any(|v| Some(&v.token) == p.video_encoder.as_ref()),
            ),
            (
                "metadata configuration",
                &p.metadata,
                m.metadata
                    .iter()
                    .any(|v| Some(&v.token) == p.metadata.as_ref()),
            ),
            (
                "PTZ configuration",
                &p.ptz,
                m.ptz.iter().any(|v| Some(&v.token) == p.ptz.as_ref()),
            ),
            (
                "audio source configuration",
                &p.audio_source,
                (m.audio_sources.iter()).any(|v| Some(&v.token) == p.audio_source.as_ref()),
            ),
            (
                "audio encoder configuration",
                &p.audio_encoder,
                (m.audio_encoders.iter()).any(|v| Some(&v.token) == p.audio_encoder.as_ref()),
            ),
            (
                "audio output configuration",
                &p.audio_output,
                (m.audio_outputs.iter()).any(|v| Some(&v.token) == p.audio_output.as_ref()),
            ),
            (
                "audio decoder configuration",
                &p.audio_decoder,
                (m.audio_decoders.iter()).any(|v| Some(&v.token) == p.audio_decoder.as_ref()),
            ),
        ];
        for (what, token, found) in refs {
            if let Some(t) = token
                && !found
            {
                return Err(format!(
                    "profile {:?} refers to unknown {what} {t:?}",
                    p.token
                ));
            }
        }
    }
    for e in &m.video_encoders {
        check_token("video encoder configuration", &e.token)?;
        if e.width == 0 || e.height == 0 || e.fps == 0 || e.gop == 0 || e.bitrate_kbps == 0 {
            return Err(format!(
                "video encoder configuration {:?}: size, rate, GOP and bitrate must be non-zero",
                e.token
            ));
        }
        if e.quality > 10 {
            return Err(format!(
                "video encoder configuration {:?}: quality {} outside 0..=10",
                e.token, e.quality
            ));
        }
        // It becomes the RTSP session timeout of the configuration's streams: 0 would expire
        // every session at once. Same bounds as the ONVIF SessionTimeout accepted by Media.
        if e.session_timeout_secs == 0
            || u64::from(e.session_timeout_secs) > MAX_SESSION_TIMEOUT_SECS
        {
            return Err(format!(
                "video encoder configuration {:?}: session timeout {} s outside 1..={}",
                e.token, e.session_timeout_secs, MAX_SESSION_TIMEOUT_SECS
            ));
        }
        check_multicast(&e.token, &e.multicast)?;
    }
    unique(
        "audio encoder configuration",
        m.audio_encoders.iter().map(|v| v.token.as_str()),
    )?;
    for a in &m.audio_encoders {
        check_token("audio encoder configuration", &a.token)?;
        if a.session_timeout_secs == 0
            || u64::from(a.session_timeout_secs) > MAX_SESSION_TIMEOUT_SECS
        {
            return Err(format!(
                "audio encoder configuration {:?}: session timeout {} s outside 1..={}",
                a.token, a.session_timeout_secs, MAX_SESSION_TIMEOUT_SECS
            ));
        }
        check_multicast(&a.token, &a.multicast)?;
    }
    validate_audio_out(m)?;
    for md in &m.metadata {
        check_token("metadata configuration", &md.token)?;
        check_multicast(&md.token, &md.multicast)?;
    }
    for v in &m.video_sources {
        check_token("video source configuration", &v.token)?;
    }
    for i in &s.imaging {
        if i.motion.sensitivity > 100 {
            return Err(format!(
                "imaging {:?}: motion sensitivity {} outside 0..=100",
                i.source_token, i.motion.sensitivity
            ));
        }
    }
    validate_ptz(s)?;
    validate_io(s)?;
    if s.time.timezone.is_empty() || s.time.timezone.len() > 128 {
        return Err("time zone must be a POSIX TZ string of 1..=128 bytes".into());
    }
    if !(-96..=0).contains(&s.events.sound.threshold_dbfs) {
        return Err("events: sound threshold_dbfs must be within -96..=0".into());
    }
    if s.events.max_pull_points == 0 {
        return Err("events: max_pull_points must be at least 1".into());
    }
    Ok(())
}

/// Relays and inputs: tokens unique, delays within [`RELAY_DELAY_MS`] (which relays exist
/// is the hardware's: `camera::change`).
fn validate_io(s: &Settings) -> Result<(), String> {
    unique("relay", s.io.relays.iter().map(|r| r.token.as_str()))?;
    unique(
        "digital input",
        s.io.inputs.iter().map(|i| i.token.as_str()),
    )?;
    let (lo, hi) = RELAY_DELAY_MS;
    for r in &s.io.relays {
        check_token("relay", &r.token)?;
        if !(lo..=hi).contains(&r.delay_ms) {
            return Err(format!(
                "relay {:?}: delay {} ms outside {lo}..={hi}",
                r.token, r.delay_ms
            ));
        }
    }
    for i in &s.io.inputs {
        check_token("digital input", &i.token)?;
    }
    Ok(())
}

/// PTZ configurations and nodes: tokens and names, a configuration's node is the one of its
/// video source (one node per source), presets within [`MAX_PRESETS`] with unique tokens and
/// names. Positions are checked against the head's limits by the camera (`camera::caps`).
/// Audio output and decoder configurations: unique, well-formed tokens; an OutputLevel
/// within the SDK's volume range (`NVT_AO_SetVolume`: 0..=100).
fn validate_audio_out(m: &super::MediaSettings) -> Result<(), String> {
    unique(
        "audio output configuration",
        m.audio_outputs.iter().map(|v| v.token.as_str()),
    )?;
    unique(
        "audio decoder configuration",
        m.audio_decoders.iter().map(|v| v.token.as_str()),
    )?;
    for o in &m.audio_outputs {
        check_token("audio output configuration", &o.token)?;
        if o.output_level > MAX_OUTPUT_LEVEL {
            return Err(format!(
                "audio output configuration {:?}: output level {} outside 0..={MAX_OUTPUT_LEVEL}",
                o.token, o.output_level
            ));
        }
    }
    for d in &m.audio_decoders {
        check_token("audio decoder configuration", &d.token)?;
    }
    Ok(())
}

/// The highest OutputLevel of an audio output configuration: the SDK's full volume.
pub(crate) const MAX_OUTPUT_LEVEL: u32 = 100;

fn validate_ptz(s: &Settings) -> Result<(), String> {
    let m = &s.media;
    unique("PTZ configuration", m.ptz.iter().map(|c| c.token.as_str()))?;
    unique("PTZ node", s.ptz_nodes.iter().map(|n| n.token.as_str()))?;
    let sources: Vec<String> = s.ptz_nodes.iter().map(|n| n.source.to_string()).collect();
    unique(
        "PTZ node of video source",
        sources.iter().map(String::as_str),
    )?;
    for c in &m.ptz {
        check_token("PTZ configuration", &c.token)?;
        check_name(&c.name).map_err(|e| format!("PTZ configuration {:?}: {e}", c.token))?;
        if !m.video_sources.iter().any(|v| v.source == c.source) {
            return Err(format!(
                "PTZ configuration {:?}: no video source configuration has video source {}",
                c.token, c.source
            ));
        }
        match s.ptz_node(&c.node) {
            Some(n) if n.source == c.source => {}
            Some(n) => {
                return Err(format!(
                    "PTZ configuration {:?} is on video source {} but its node {:?} on {}",
                    c.token, c.source, c.node, n.source
                ));
            }
            None => {
                return Err(format!(
                    "PTZ configuration {:?} refers to unknown PTZ node {:?}",
                    c.token, c.node
                ));
            }
        }
        let (lo, hi) = PTZ_TIMEOUT_MS;
        if !(lo..=hi).contains(&c.default_timeout_ms) {
            return Err(format!(
                "PTZ configuration {:?}: default timeout {} ms outside {lo}..={hi}",
                c.token, c.default_timeout_ms
            ));
        }
        let speed = c.default_speed;
        if speed.pan_tilt > PTZ_SPEED_FULL || speed.zoom > PTZ_SPEED_FULL {
            return Err(format!(
                "PTZ configuration {:?}: default speeds are permille, 0..={PTZ_SPEED_FULL}",
                c.token
            ));
        }
    }
    for n in &s.ptz_nodes {
        check_token("PTZ node", &n.token)?;
        if n.presets.len() > MAX_PRESETS {
            return Err(format!(
                "PTZ node {:?}: {} presets, at most {MAX_PRESETS}",
                n.token,
                n.presets.len()
            ));
        }
        unique(
            &format!("preset token of PTZ node {:?}:", n.token),
            n.presets.iter().map(|p| p.token.as_str()),
        )?;
        let names: Vec<String> = n.presets.iter().map(|p| preset_name_key(&p.name)).collect();
        unique(
            &format!("preset name of PTZ node {:?}:", n.token),
            names.iter().map(String::as_str),
        )?;
        for p in &n.presets {
            check_token("preset", &p.token)?;
            check_preset_name(&p.name)
                .map_err(|e| format!("PTZ node {:?}, preset {:?}: {e}", n.token, p.token))?;
        }
    }
    Ok(())
}

/// A preset name: 1..=[`MAX_NAME_LEN`] characters (`tt:Name`), no control characters.
pub(crate) fn check_preset_name(name: &str) -> Result<(), String> {
    check_name(name)?;
    if name.chars().any(char::is_control) {
        return Err(format!(
            "preset name {name:?} must not contain control characters"
        ));
    }
    Ok(())
}

/// What preset names are compared by: two names differing only in case are one name
/// (Frigate finds presets by their lower-cased name).
pub(crate) fn preset_name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A configuration's or preset's name: 1..=[`MAX_NAME_LEN`] characters.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(format!(
            "name {name:?} must be 1..={MAX_NAME_LEN} characters"
        ));
    }
    Ok(())
}

fn unique<'a>(what: &str, items: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let mut seen = HashSet::new();
    for item in items {
        if !seen.insert(item) {
            return Err(format!("duplicate {what} {item:?}"));
        }
    }
    Ok(())
}

/// A profile token is a path segment: `rtsp://host/<token>`, `/snapshot/<token>`, HLS.
/// Beyond [`check_token`], `.` and `..` (and any token starting with a dot) are refused: a
/// path made of them names another directory, not the profile (RFC 3986 s3.3 dot-segments).
pub(crate) fn check_profile_token(token: &str) -> Result<(), String> {
    check_token("profile", token)?;
    if token.starts_with('.') {
        return Err(format!(
            "profile token {token:?} must not start with '.' (it becomes a URL path segment)"
        ));
    }
    Ok(())
}

fn check_token(what: &str, token: &str) -> Result<(), String> {
    if token.is_empty()
        || token.len() > MAX_TOKEN_LEN
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(format!(
            "{what} token {token:?} must be 1..={MAX_TOKEN_LEN} of [A-Za-z0-9_.-]"
        ));
    }
    Ok(())
}

/// User names: printable ASCII without ':' (it separates user and password in HTTP Basic
/// and Digest's A1) and without spaces or quotes (Digest header quoting).
pub(crate) fn check_username(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_CREDENTIAL_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b':' && b != b'"' && b != b'\\');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "user name {name:?} must be 1..={MAX_CREDENTIAL_LEN} printable ASCII characters without ':', '\"' or '\\'"
        ))
    }
}

/// A password being set now (ONVIF CreateUsers/SetUser, `NVT_ADMIN_PASSWORD`): at least
/// [`MIN_PASSWORD_LEN`] characters, and what [`check_password`] requires.
pub(crate) fn check_new_password(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_CREDENTIAL_LEN {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < MIN_PASSWORD_LEN || password.chars().any(char::is_control) {
        return Err(PasswordError::TooWeak);
    }
    Ok(())
}

/// Why a new password is refused (ONVIF's two subcodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PasswordError {
    #[error("a password may have at most {MAX_CREDENTIAL_LEN} bytes")]
    TooLong,
    #[error("a password needs at least {MIN_PASSWORD_LEN} characters and no control characters")]
    TooWeak,
}

/// Stored passwords: 1..=64 bytes without control characters (they would not survive a form
/// or a config file intact). Looser than [`check_new_password`] so that files written before
/// the length rule still load.
pub(crate) fn check_password(password: &str) -> Result<(), String> {
    if password.is_empty() || password.len() > MAX_CREDENTIAL_LEN {
        return Err(format!("password must be 1..={MAX_CREDENTIAL_LEN} bytes"));
    }
    if password.chars().any(char::is_control) {
        return Err("password must not contain control characters".into());
    }
    Ok(())
}

fn check_multicast(owner: &str, m: &Multicast) -> Result<(), String> {
    match m.address.parse::<IpAddr>() {
        Ok(ip) if ip.is_multicast() => {}
        _ => {
            return Err(format!(
                "{owner:?}: multicast address {:?} is not a multicast IP address",
                m.address
            ));
        }
    }
    if m.port == 0 || !m.port.is_multiple_of(2) {
        // RTP takes the even port and RTCP the next odd one (RFC 3550 s11).
        return Err(format!(
            "{owner:?}: multicast port {} must be even and non-zero",
            m.port
        ));
    }
    if m.ttl == 0 {
        return Err(format!("{owner:?}: multicast TTL must be at least 1"));
    }
    Ok(())
}
