//! Invariants of the settings model. Checked on load and before every update is persisted,
//! so the file on disk is always one the daemon can run with.

use std::collections::HashSet;
use std::net::IpAddr;

use super::model::{Multicast, SETTINGS_FORMAT, Settings};

/// Longest user name and password accepted (ONVIF Core recommends supporting at least 32
/// characters; a bound keeps the file and digest work small).
pub const MAX_CREDENTIAL_LEN: usize = 64;
/// Longest token or name of a configuration.
pub const MAX_TOKEN_LEN: usize = 64;

/// Returns the first broken invariant, described for a person.
pub fn validate(s: &Settings) -> Result<(), String> {
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
        check_token("profile", &p.token)?;
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
            || u64::from(e.session_timeout_secs) > crate::onvif::media::MAX_SESSION_TIMEOUT_SECS
        {
            return Err(format!(
                "video encoder configuration {:?}: session timeout {} s outside 1..={}",
                e.token,
                e.session_timeout_secs,
                crate::onvif::media::MAX_SESSION_TIMEOUT_SECS
            ));
        }
        check_multicast(&e.token, &e.multicast)?;
    }
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
    if s.time.timezone.is_empty() || s.time.timezone.len() > 128 {
        return Err("time zone must be a POSIX TZ string of 1..=128 bytes".into());
    }
    if s.events.max_pull_points == 0 {
        return Err("events: max_pull_points must be at least 1".into());
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
pub fn check_username(name: &str) -> Result<(), String> {
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

/// Passwords: 1..=64 bytes without control characters (they would not survive a form or a
/// config file intact).
pub fn check_password(password: &str) -> Result<(), String> {
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
