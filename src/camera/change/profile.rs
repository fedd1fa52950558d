//! Media profiles: CreateProfile, DeleteProfile and the Add/Remove*Configuration
//! operations, and the rules every change is held to about what one profile holds (ONVIF
//! Media s5.3: its configurations must be compatible).

use crate::camera::caps::Facts;
use crate::settings::validate::{MAX_PROFILES, check_profile_token};
use crate::settings::{Profile, Settings};

use super::error::{ChangeError, PtzError, check_name};

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
pub(crate) fn profile(
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
    use crate::camera::change::testing::NO_HW;
    use crate::camera::change::{Change, Outcome, plan};

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
}
