//! A configuration change, and its plan: the settings it leads to, computed from the current
//! settings and validated once against what the hardware can do ([`Facts`]).
//!
//! Pure: no I/O, no SDK call, no clock. `camera::Core` runs the plan under the settings
//! writer lock, then applies the difference between the old and new settings to the SDK and
//! the streams. ONVIF services only translate SOAP into a [`Change`] and a [`ChangeError`]
//! back into the fault their specification names.

use crate::auth::UserLevel;
use crate::sdk::{Codec, H264Profile, IspAttr, IspRange};
use crate::settings::validate::{
    self, MAX_CREDENTIAL_LEN, MAX_NAME_LEN, MAX_PROFILES, MAX_SESSION_TIMEOUT_SECS, MAX_USERS,
    PasswordError, check_new_password, check_profile_token,
};
use crate::settings::{
    ImagingSettings, MetadataConfig, Multicast, Profile, Settings, User, VideoEncoderConfig,
};

use super::hardware::{Facts, QUALITY_RANGE, frame_rates, resolutions, source_index};

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
    /// Imaging SetImagingSettings: `edit` maps the current ISP attributes and the source's
    /// ranges to the new attributes (only the elements the request has change).
    Imaging { source_token: String, edit: IspEdit },
    /// Device CreateUsers, DeleteUsers, SetUser.
    Users(UsersChange),
}

/// The imaging part of a change: current attributes and ranges in, new attributes out, or
/// why not (the first offending element).
pub type IspEdit = Box<dyn FnOnce(&IspAttr, &IspRange) -> Result<IspAttr, String> + Send>;

/// SetVideoEncoderConfiguration's values.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderRequest {
    pub token: String,
    pub name: String,
    /// None: an encoding the SDK has no codec for (MPEG4); `label` names it for the message.
    pub codec: Option<Codec>,
    pub codec_label: String,
    pub guaranteed_frame_rate: bool,
    pub width: i32,
    pub height: i32,
    pub quality: f32,
    pub rate: Option<RateRequest>,
    pub h264: Option<H264Request>,
    pub multicast: Multicast,
    pub session_timeout_secs: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateRequest {
    pub fps: i32,
    pub encoding_interval: i32,
    pub bitrate_kbps: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H264Request {
    pub gov_length: i32,
    /// None: a profile the SDK has no counterpart for (Extended); `label` names it.
    pub profile: Option<H264Profile>,
    pub label: String,
}

/// SetVideoSourceConfiguration's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRequest {
    pub token: String,
    pub name: String,
    pub source_token: String,
    /// x, y, width, height.
    pub bounds: (i32, i32, i32, i32),
}

/// SetMetadataConfiguration's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataRequest {
    pub token: String,
    pub name: String,
    pub analytics: bool,
    pub events: bool,
    /// PTZ status or position asked for (the device has no PTZ).
    pub ptz_status: bool,
    /// An analytics engine configuration given (none is offered).
    pub analytics_engine: bool,
    pub multicast: Multicast,
    pub session_timeout_secs: u32,
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
    pub username: String,
    pub password: Option<String>,
    pub level: UserLevel,
}

/// What a change produced, beyond the new settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// CreateProfile: the new profile's token.
    ProfileCreated(String),
}

/// Why a change was refused. Nothing changed, in the settings, the file or the hardware.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
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

/// Why a users change was refused (ONVIF Core s.8.4 subcodes, mapped by the Device service).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
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

/// The settings `change` leads to from `current`, validated against `facts` (None: no
/// hardware is attached, so only changes that need none can be planned).
pub fn plan(
    current: &Settings,
    facts: Option<Facts<'_>>,
    change: Change,
) -> Result<(Settings, Outcome), ChangeError> {
    let mut next = current.clone();
    let mut outcome = Outcome::Done;
    match change {
        Change::VideoEncoder(req) => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            let old = current
                .encoder(&req.token)
                .ok_or_else(|| ChangeError::NoConfig(req.token.clone()))?;
            let new = encoder(facts, current, old, &req)?;
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
            if let Some(token) = profile(&mut next, change)? {
                outcome = Outcome::ProfileCreated(token);
            }
        }
        Change::Imaging { source_token, edit } => {
            let facts = facts.ok_or(ChangeError::Stopping)?;
            imaging(facts, &mut next, &source_token, edit)?;
        }
        Change::Users(change) => users(&mut next, change)?,
    }
    check_encoder_sources(&next)?;
    validate::validate(&next).map_err(ChangeError::Invalid)?;
    validate::keeps_an_administrator(current, &next)
        .map_err(|_| ChangeError::User(UserError::LastAdmin))?;
    Ok((next, outcome))
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

/// The encoder configuration a SetVideoEncoderConfiguration asks for, checked against what
/// the encoder can do from the configuration's sensor (the same facts GetOptions reports).
fn encoder(
    facts: Facts<'_>,
    settings: &Settings,
    old: &VideoEncoderConfig,
    c: &EncoderRequest,
) -> Result<VideoEncoderConfig, ChangeError> {
    let invalid = |m: String| Err(ChangeError::Invalid(m));
    let caps = facts.caps;
    let vi = super::hardware::encoder_source(settings, &old.token);
    let sensor = facts
        .sources
        .get(vi as usize)
        .ok_or_else(|| ChangeError::NoSource(super::source_token(vi)))?;
    check_name(&c.name)?;
    // The RTSP server packetizes H.264 only: another SDK codec is not streamable.
    if c.codec != Some(Codec::H264) || !caps.codecs.contains(&Codec::H264) {
        return invalid(format!(
            "encoding {} is not supported (H264 only)",
            c.codec_label
        ));
    }
    if c.guaranteed_frame_rate {
        return invalid("GuaranteedFrameRate is not supported".into());
    }
    let mut new = old.clone();
    new.name = c.name.clone();
    let (w, h) = (c.width, c.height);
    if !resolutions(caps, sensor)
        .iter()
        .any(|&(rw, rh)| rw as i32 == w && rh as i32 == h)
    {
        return invalid(format!("resolution {w}x{h} is not supported"));
    }
    (new.width, new.height) = (w as u32, h as u32);
    let (qmin, qmax) = QUALITY_RANGE;
    if !c.quality.is_finite() || c.quality < qmin as f32 || c.quality > qmax as f32 {
        return invalid(format!("quality {} outside {qmin}..={qmax}", c.quality));
    }
    new.quality = c.quality.round() as u32;
    let within = |v: i32, (lo, hi): (u32, u32)| v >= lo as i32 && v <= hi as i32;
    if let Some(rc) = &c.rate {
        let fps = frame_rates(caps, sensor);
        if !within(rc.fps, fps) {
            return invalid(format!(
                "frame rate {} outside {}..={}",
                rc.fps, fps.0, fps.1
            ));
        }
        if rc.encoding_interval != 1 {
            return invalid(format!(
                "encoding interval {} is not supported (1 only)",
                rc.encoding_interval
            ));
        }
        if !within(rc.bitrate_kbps, caps.bitrate_kbps) {
            return invalid(format!(
                "bitrate {} kb/s outside {}..={}",
                rc.bitrate_kbps, caps.bitrate_kbps.0, caps.bitrate_kbps.1
            ));
        }
        new.fps = rc.fps as u32;
        new.bitrate_kbps = rc.bitrate_kbps as u32;
    }
    if let Some(h264) = &c.h264 {
        if !within(h264.gov_length, caps.gop) {
            return invalid(format!(
                "GOV length {} outside {}..={}",
                h264.gov_length, caps.gop.0, caps.gop.1
            ));
        }
        let profile = h264
            .profile
            .filter(|p| caps.h264_profiles.contains(p))
            .ok_or_else(|| {
                ChangeError::Invalid(format!("H.264 profile {} is not supported", h264.label))
            })?;
        new.gop = h264.gov_length as u32;
        new.h264_profile = profile;
    }
    check_session_timeout(c.session_timeout_secs)?;
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

/// Name, Analytics, Events, multicast and session timeout (no PTZ status: the device has no
/// PTZ; no analytics engine configuration is offered).
fn metadata(next: &mut Settings, c: MetadataRequest) -> Result<(), ChangeError> {
    if !next.media.metadata.iter().any(|m| m.token == c.token) {
        return Err(ChangeError::NoConfig(c.token));
    }
    check_name(&c.name)?;
    if c.ptz_status {
        return Err(ChangeError::Invalid(
            "PTZ status is not offered: the device has no PTZ".into(),
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
fn profile(next: &mut Settings, change: ProfileChange) -> Result<Option<String>, ChangeError> {
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
    }
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

fn imaging(
    facts: Facts<'_>,
    next: &mut Settings,
    source_token: &str,
    edit: IspEdit,
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
    entry.isp = edit(&entry.isp, range).map_err(ChangeError::Invalid)?;
    range.check(&entry.isp).map_err(ChangeError::Invalid)?;
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
mod tests {
    use super::*;
    use crate::sdk::{EncoderCaps, RateControl, VideoSourceInfo};

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
            None,
            Change::Users(UsersChange::Delete(vec!["a".into()])),
        )
        .unwrap();
        let err = plan(
            &s,
            None,
            Change::Users(UsersChange::Delete(vec!["b".into()])),
        );
        assert_eq!(err.unwrap_err(), ChangeError::User(UserError::LastAdmin));
        let demote = UserEdit {
            username: "b".into(),
            password: None,
            level: UserLevel::User,
        };
        let err = plan(&s, None, Change::Users(UsersChange::Set(vec![demote])));
        assert_eq!(err.unwrap_err(), ChangeError::User(UserError::LastAdmin));
    }

    #[test]
    fn users_follow_the_core_rules() {
        let s = with_users(vec![admin("a")]);
        let create = |u: User| plan(&s, None, Change::Users(UsersChange::Create(vec![u])));
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
            plan(&s, None, Change::Users(UsersChange::Create(twice))).unwrap_err(),
            ChangeError::User(UserError::Clash("x".into()))
        );
        let many = (0..MAX_USERS).map(|i| admin(&format!("u{i}"))).collect();
        assert_eq!(
            plan(&s, None, Change::Users(UsersChange::Create(many))).unwrap_err(),
            ChangeError::User(UserError::TooMany)
        );
        assert_eq!(
            plan(
                &s,
                None,
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
                    plan(&s, None, Change::Profile(c)),
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
            plan(&s, None, Change::Profile(ok)).unwrap().1,
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
        let (next, _) = plan(&s, Some(facts), Change::VideoEncoder(req.clone())).unwrap();
        let e = next.encoder("venc_sub").unwrap();
        assert_eq!(
            (e.width, e.fps, e.bitrate_kbps, e.quality),
            (1280, 25, 1000, 4)
        );
        let bad = |f: &dyn Fn(&mut EncoderRequest)| {
            let mut r = req.clone();
            f(&mut r);
            plan(&s, Some(facts), Change::VideoEncoder(r)).unwrap_err()
        };
        for e in [
            bad(&|r| r.width = 1920),
            bad(&|r| r.rate.as_mut().unwrap().fps = 26),
            bad(&|r| r.rate.as_mut().unwrap().bitrate_kbps = 5000),
            bad(&|r| r.h264.as_mut().unwrap().profile = Some(H264Profile::High)),
            bad(&|r| r.quality = f32::NAN),
            bad(&|r| r.codec = Some(Codec::Mjpeg)),
            bad(&|r| r.session_timeout_secs = 0),
        ] {
            assert!(matches!(e, ChangeError::Invalid(_)), "{e:?}");
        }
    }
}
