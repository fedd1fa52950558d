//! Which profiles' multicast a client started (Media and Media2 Start/StopMulticastStreaming),
//! kept in the settings so it survives a restart: ONVIF Media WSDL, StartMulticastStreaming,
//! "The streaming shall continue after a reboot of the device until a
//! StopMulticastStreaming request is received" (the Media2 WSDL says the same). The daemon
//! starts these profiles with the AutoStart ones (`onvif::media::Media::auto_start_multicast`).
//!
//! The RTSP server's senders are started and stopped by the services themselves (they answer
//! its errors); this area only keeps the record, and keeps it true after every change
//! ([`keep_started`]): a profile that is deleted, changes video encoder (the core stops what
//! it started then: `camera::core`'s `apply_to_streams`) or no longer has a stream with an
//! IPv4 group is no longer started.

use crate::camera::streamed::Streamed;
use crate::settings::Settings;

use super::error::ChangeError;

/// Records profile `token`'s multicast as started or stopped. Starting needs a profile with
/// a stream that has an IPv4 group (the services check that first, to answer the spec's
/// fault; this only keeps a record that could not be honoured out of the settings).
pub(crate) fn multicast(
    next: &mut Settings,
    token: &str,
    started: bool,
) -> Result<(), ChangeError> {
    let streamed = Streamed::of(next, token).ok_or_else(|| ChangeError::NoProfile(token.into()))?;
    let multicasts = streamed.multicast();
    let list = &mut next.media.multicast_started;
    if !started {
        list.retain(|t| t != token);
        return Ok(());
    }
    if !multicasts {
        return Err(ChangeError::Conflict(format!(
            "profile {token:?} has no stream with an IPv4 multicast group"
        )));
    }
    if !list.iter().any(|t| t == token) {
        list.push(token.to_owned());
    }
    Ok(())
}

/// The rule every change is held to: a started profile still exists, still streams to a
/// group, and kept its video encoder (a profile whose encoder changes stops its multicast).
pub(crate) fn keep_started(current: &Settings, next: &mut Settings) {
    let mut started = std::mem::take(&mut next.media.multicast_started);
    started.retain(|t| {
        let (Some(now), Some(was)) = (next.profile(t), current.profile(t)) else {
            return false;
        };
        now.video_encoder == was.video_encoder
            && Streamed::of(next, t).is_some_and(|s| s.multicast())
    });
    next.media.multicast_started = started;
}

#[cfg(test)]
mod tests {
    use super::super::testing::NO_HW;
    use super::super::{Change, ConfigKind, ConfigRef, ProfileChange, plan};
    use super::*;

    fn start(s: &Settings, token: &str, started: bool) -> Result<Settings, ChangeError> {
        let change = Change::Multicast {
            profile: token.into(),
            started,
        };
        plan(s, &NO_HW, change).map(|(next, _)| next)
    }

    #[test]
    fn start_is_recorded_once_and_stop_clears_it() {
        let s = Settings::default();
        let s = start(&s, "main", true).unwrap();
        let s = start(&s, "main", true).unwrap();
        assert_eq!(s.media.multicast_started, ["main"]);
        let s = start(&s, "sub", true).unwrap();
        assert_eq!(s.media.multicast_started, ["main", "sub"]);
        let s = start(&s, "main", false).unwrap();
        assert_eq!(s.media.multicast_started, ["sub"]);
        // Stopping what never started is no error (Media2: "should" succeed).
        assert_eq!(start(&s, "main", false).unwrap(), s);
        assert!(matches!(
            start(&s, "nope", true),
            Err(ChangeError::NoProfile(_))
        ));
    }

    #[test]
    fn a_profile_without_a_group_is_not_recorded() {
        let mut s = Settings::default();
        for e in &mut s.media.video_encoders {
            e.multicast.address = "ff15::42".into();
        }
        assert!(matches!(
            start(&s, "main", true),
            Err(ChangeError::Conflict(_))
        ));
    }

    #[test]
    fn deleting_the_profile_or_removing_its_encoder_clears_it() {
        let s = Settings::default();
        let configs = [
            (ConfigKind::VideoSource, None),
            (ConfigKind::VideoEncoder, Some("venc_main")),
        ];
        let create = ProfileChange::Create {
            token: Some("mc".into()),
            name: "mc".into(),
            configs: (configs.iter())
                .map(|&(kind, token)| ConfigRef {
                    kind,
                    token: token.map(Into::into),
                })
                .collect(),
        };
        let (s, _) = plan(&s, &NO_HW, Change::Profile(create)).unwrap();
        let s = start(&s, "mc", true).unwrap();
        let s = start(&s, "main", true).unwrap();
        let (deleted, _) = plan(
            &s,
            &NO_HW,
            Change::Profile(ProfileChange::Delete { token: "mc".into() }),
        )
        .unwrap();
        assert_eq!(deleted.media.multicast_started, ["main"]);
        let (removed, _) = plan(
            &s,
            &NO_HW,
            Change::Profile(ProfileChange::VideoEncoder {
                profile: "main".into(),
                config: None,
            }),
        )
        .unwrap();
        assert_eq!(removed.media.multicast_started, ["mc"]);
        // Other changes keep it.
        let (renamed, _) = plan(&s, &NO_HW, Change::Hostname("cam".into())).unwrap();
        assert_eq!(renamed.media.multicast_started, ["mc", "main"]);
    }
}
