//! The two changes that start from defaults rather than a request: a factory reset (the
//! model's defaults) and, at start-up, what only the hardware knows (its imaging settings,
//! encoder configurations it can do, a PTZ configuration for each head).

use crate::camera::caps::Facts;
use crate::camera::tokens::encoder_source;
use crate::settings::{ImagingSettings, Settings, VideoEncoderConfig};

use super::audio_out::audio_out_defaults;
use super::ptz::ptz_defaults;

/// SetSystemFactoryDefault, Soft and Hard alike: the settings `current` is reset to.
pub(crate) fn factory_default(current: &Settings) -> Settings {
    // Both Soft and Hard reset every setting except the users: a reset must never leave the
    // device without an administrator credential (and "admin/admin" is never made up).
    // Scopes go back to the defaults: a new MetadataVersion, never an old one.
    let version = current.discovery.metadata_version;
    let mut next = Settings {
        users: current.users.clone(),
        ..Settings::default()
    };
    next.discovery.metadata_version = version.wrapping_add(1).max(1);
    next
}

/// Start-up (`Change::HardwareDefaults`): the SDK's imaging settings of sources the settings
/// have none for; with `fit_encoders` (first start), encoder configurations the hardware
/// cannot do fitted to it (`EncoderLimits::fit`); a PTZ configuration for each head that has
/// none.
pub(crate) fn hardware_defaults(
    facts: Facts<'_>,
    next: &mut Settings,
    imaging: Vec<ImagingSettings>,
    fit_encoders: bool,
) {
    for i in imaging {
        if next.imaging(&i.source_token).is_none() {
            next.imaging.push(i);
        }
    }
    if fit_encoders {
        let fitted: Vec<VideoEncoderConfig> = (next.media.video_encoders.iter())
            .map(
                |e| match facts.encoder_limits(encoder_source(next, &e.token)) {
                    Some(l) if l.check(e).is_err() => l.fit(e),
                    _ => e.clone(),
                },
            )
            .collect();
        next.media.video_encoders = fitted;
    }
    ptz_defaults(facts, next);
    audio_out_defaults(facts, next);
}

#[cfg(test)]
mod tests {
    use crate::camera::change::testing::{NO_HW, admin, with_users};
    use crate::camera::change::{Change, plan};

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
}
