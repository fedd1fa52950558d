//! Audio source and audio encoder configurations: Set{AudioSource,AudioEncoder}Configuration's
//! values (Media 1's and Media 2's), the configurations they make, and the hardware check of
//! every audio configuration a change touches ([`check_audio`], against
//! `camera::audio_limits`, what Get*AudioEncoderConfigurationOptions report).
//!
//! Which profiles carry audio is the profiles' area (`profile`: Add/Remove, AddConfiguration
//! with Type AudioSource/AudioEncoder); the RTSP audio track follows the committed settings
//! (`crate::audio::AudioStreams::sync`, run after every commit).

use crate::camera::audio_limits::AudioLimits;
use crate::camera::caps::Facts;
use crate::settings::{AudioEncoding, Multicast, Settings};

use super::error::{ChangeError, check_name, check_session_timeout};

/// The ONVIF token of SDK audio input `ai` (`as0`, ...): what an audio source
/// configuration's SourceToken names.
pub(crate) fn audio_source_token(ai: u32) -> String {
    format!("as{ai}")
}

/// The SDK audio input an audio source token names (inverse of [`audio_source_token`]).
pub(crate) fn audio_source_index(token: &str) -> Option<u32> {
    token.strip_prefix("as")?.parse().ok()
}

/// SetAudioSourceConfiguration's values (`tt:AudioSourceConfiguration`, Media 1 and 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioSourceRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) source_token: String,
}

/// SetAudioEncoderConfiguration's values (Media 1's `tt:AudioEncoderConfiguration` or
/// Media 2's `tt:AudioEncoder2Configuration`; a value Media 2 may leave out is an Option,
/// None keeping the stored one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioEncoderRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    /// Err(label): an encoding the model has no place for (G.726, an unknown MIME name).
    pub(crate) encoding: Result<AudioEncoding, String>,
    pub(crate) bitrate_kbps: i32,
    /// Both services give the sample rate in kHz (Media s."Audio encoder configuration",
    /// Media2 `tt:AudioEncoder2Configuration`): resolved against the offered rates
    /// ([`rate_hz`]).
    pub(crate) sample_rate_khz: i32,
    pub(crate) multicast: Option<Multicast>,
    pub(crate) session_timeout_secs: Option<u32>,
}

/// The offered sample rate a kHz value names: the one that rounds to it (44100 Hz is 44).
pub(crate) fn rate_hz(offered: &[u32], khz: i32) -> Option<u32> {
    let khz = u32::try_from(khz).ok()?;
    offered.iter().copied().find(|&hz| rate_khz(hz) == khz)
}

/// A sample rate in whole kHz, as Media shows it.
pub(crate) fn rate_khz(hz: u32) -> u32 {
    (hz + 500) / 1000
}

/// Name and the SDK audio input the source token names.
pub(crate) fn audio_source(
    facts: Facts<'_>,
    next: &mut Settings,
    c: AudioSourceRequest,
) -> Result<(), ChangeError> {
    if !next.media.audio_sources.iter().any(|a| a.token == c.token) {
        return Err(ChangeError::NoConfig(c.token));
    }
    check_name(&c.name)?;
    let source = audio_source_index(&c.source_token)
        .filter(|&ai| ai < facts.audio.inputs)
        .ok_or_else(|| ChangeError::Invalid(format!("no audio source {:?}", c.source_token)))?;
    let a = (next.media.audio_sources.iter_mut())
        .find(|a| a.token == c.token)
        .expect("found above");
    a.name = c.name;
    a.source = source;
    Ok(())
}

/// The audio encoder configuration a SetAudioEncoderConfiguration asks for. What only the
/// request can get wrong (an encoding the model has no place for, a negative number, a
/// sample rate that is none of the offered ones) is refused here; the values together are
/// checked against the hardware with every other changed audio configuration
/// ([`check_audio`]).
pub(crate) fn audio_encoder(
    facts: Facts<'_>,
    next: &mut Settings,
    c: AudioEncoderRequest,
) -> Result<(), ChangeError> {
    let Some(old) = next.audio_encoder(&c.token) else {
        return Err(ChangeError::NoConfig(c.token));
    };
    let mut new = old.clone();
    check_name(&c.name)?;
    new.name = c.name;
    new.encoding = c
        .encoding
        .map_err(|label| ChangeError::Invalid(format!("encoding {label} is not offered")))?;
    new.bitrate_kbps = u32::try_from(c.bitrate_kbps).map_err(|_| {
        ChangeError::Invalid(format!("bitrate {} kb/s is negative", c.bitrate_kbps))
    })?;
    let offered = (facts.audio.encoding(new.encoding))
        .map(|l| l.sample_rates_hz.as_slice())
        .unwrap_or_default();
    new.sample_rate_hz = rate_hz(offered, c.sample_rate_khz).ok_or_else(|| {
        ChangeError::Invalid(format!(
            "sample rate {} kHz is not offered for {}",
            c.sample_rate_khz,
            crate::camera::audio_limits::name(new.encoding)
        ))
    })?;
    if let Some(m) = c.multicast {
        new.multicast = m;
    }
    if let Some(t) = c.session_timeout_secs {
        check_session_timeout(t)?;
        new.session_timeout_secs = t;
    }
    let slot = (next.media.audio_encoders.iter_mut())
        .find(|e| e.token == c.token)
        .expect("found above");
    *slot = new;
    Ok(())
}

/// The hardware check of every audio configuration that changes: an encoder's encoding,
/// bitrate and sample rate among the offered ones, a source's input on the board.
pub(crate) fn check_audio(
    limits: &AudioLimits,
    before: &Settings,
    next: &Settings,
) -> Result<(), ChangeError> {
    for e in &next.media.audio_encoders {
        if before.audio_encoder(&e.token) == Some(e) {
            continue;
        }
        limits
            .check(e)
            .map_err(|why| ChangeError::Invalid(format!("{}: {why}", e.token)))?;
    }
    for a in &next.media.audio_sources {
        let unchanged = before.media.audio_sources.iter().any(|b| b == a);
        if !unchanged && a.source >= limits.inputs {
            return Err(ChangeError::Invalid(format!(
                "no audio source {:?}",
                audio_source_token(a.source)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::audio_limits::sim_caps;
    use crate::camera::change::ptz_tests::Hw;
    use crate::camera::change::testing::ctx;
    use crate::camera::change::{Change, ConfigKind, ConfigRef, ProfileChange, plan};
    use crate::sdk::{AudioCaps, AudioCodec};
    use crate::settings::AUDIO_ENCODER;

    fn request(s: &Settings) -> AudioEncoderRequest {
        let e = s.audio_encoder(AUDIO_ENCODER).unwrap();
        AudioEncoderRequest {
            token: e.token.clone(),
            name: "A-law".into(),
            encoding: Ok(AudioEncoding::Pcma),
            bitrate_kbps: 64,
            sample_rate_khz: 8,
            multicast: Some(e.multicast.clone()),
            session_timeout_secs: Some(30),
        }
    }

    #[test]
    fn sample_rates_in_khz_name_the_offered_rates() {
        assert_eq!(rate_hz(&[8000, 44100], 44), Some(44100));
        assert_eq!(rate_hz(&[8000, 44100], 8), Some(8000));
        assert_eq!(rate_hz(&[8000], 16), None);
        assert_eq!(rate_hz(&[8000], -8), None);
        assert_eq!((rate_khz(8000), rate_khz(22050)), (8, 22));
        assert_eq!(audio_source_index(&audio_source_token(3)), Some(3));
        assert_eq!(audio_source_index("vs0"), None);
    }

    #[test]
    fn encoder_values_are_checked_against_the_microphone() {
        let hw = Hw::new(vec![None]);
        let limits = AudioLimits::new(&sim_caps());
        let facts = Facts {
            audio: &limits,
            ..hw.facts()
        };
        let s = Settings::default();
        let req = request(&s);
        let (next, _) = plan(&s, &ctx(facts), Change::AudioEncoder(req.clone())).unwrap();
        let e = next.audio_encoder(AUDIO_ENCODER).unwrap();
        assert_eq!(
            (e.encoding, e.sample_rate_hz, e.session_timeout_secs),
            (AudioEncoding::Pcma, 8000, 30)
        );
        assert_eq!(e.name, "A-law");
        let bad = |f: &dyn Fn(&mut AudioEncoderRequest)| {
            let mut r = req.clone();
            f(&mut r);
            plan(&s, &ctx(facts), Change::AudioEncoder(r)).unwrap_err()
        };
        for e in [
            bad(&|r| r.encoding = Ok(AudioEncoding::Aac)),
            bad(&|r| r.encoding = Err("G726".into())),
            bad(&|r| r.bitrate_kbps = 32),
            bad(&|r| r.bitrate_kbps = -64),
            bad(&|r| r.sample_rate_khz = 16),
            bad(&|r| r.session_timeout_secs = Some(0)),
            bad(&|r| r.name = String::new()),
            bad(&|r| r.multicast.as_mut().unwrap().port = 5001),
        ] {
            assert!(matches!(e, ChangeError::Invalid(_)), "{e:?}");
        }
        let e = bad(&|r| r.token = "nope".into());
        assert_eq!(e, ChangeError::NoConfig("nope".into()));
        // Media 2 leaves multicast and the timeout out: the stored ones are kept.
        let media2 = AudioEncoderRequest {
            multicast: None,
            session_timeout_secs: None,
            ..req.clone()
        };
        let (next, _) = plan(&s, &ctx(facts), Change::AudioEncoder(media2)).unwrap();
        let (old, new) = (
            s.audio_encoder(AUDIO_ENCODER).unwrap(),
            next.audio_encoder(AUDIO_ENCODER).unwrap(),
        );
        assert_eq!(
            (&new.multicast, new.session_timeout_secs),
            (&old.multicast, old.session_timeout_secs)
        );
        // With AAC in the caps, AAC at an offered rate and bitrate is taken.
        let aac = AudioLimits::new(&AudioCaps {
            codecs: vec![AudioCodec::AacLc, AudioCodec::G711Ulaw],
            sample_rates: vec![8000, 16000],
            bitrate_kbps: (16, 64),
            ..sim_caps()
        });
        let facts = Facts {
            audio: &aac,
            ..facts
        };
        let r = AudioEncoderRequest {
            encoding: Ok(AudioEncoding::Aac),
            bitrate_kbps: 32,
            sample_rate_khz: 16,
            ..req.clone()
        };
        let (next, _) = plan(&s, &ctx(facts), Change::AudioEncoder(r)).unwrap();
        let e = next.audio_encoder(AUDIO_ENCODER).unwrap();
        assert_eq!((e.sample_rate_hz, e.bitrate_kbps), (16000, 32));
    }

    #[test]
    fn sources_name_a_board_input() {
        let hw = Hw::new(vec![None]);
        let limits = AudioLimits::new(&sim_caps());
        let facts = Facts {
            audio: &limits,
            ..hw.facts()
        };
        let s = Settings::default();
        let req = |source: &str| {
            Change::AudioSource(AudioSourceRequest {
                token: "asc0".into(),
                name: "Mic".into(),
                source_token: source.into(),
            })
        };
        let (next, _) = plan(&s, &ctx(facts), req("as0")).unwrap();
        assert_eq!(next.media.audio_sources[0].name, "Mic");
        for bad in ["as1", "vs0", ""] {
            let e = plan(&s, &ctx(facts), req(bad)).unwrap_err();
            assert!(matches!(e, ChangeError::Invalid(_)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn profiles_take_and_drop_audio_configurations() {
        let hw = Hw::new(vec![None]);
        let limits = AudioLimits::new(&sim_caps());
        let facts = Facts {
            audio: &limits,
            ..hw.facts()
        };
        let s = Settings::default();
        let add = |kind, config: &str| {
            let change = match kind {
                ConfigKind::AudioSource => ProfileChange::AudioSource {
                    profile: "main".into(),
                    config: Some(config.into()),
                },
                _ => ProfileChange::AudioEncoder {
                    profile: "main".into(),
                    config: Some(config.into()),
                },
            };
            Change::Profile(change)
        };
        let (s1, _) = plan(&s, &ctx(facts), add(ConfigKind::AudioSource, "asc0")).unwrap();
        let (s2, _) = plan(&s1, &ctx(facts), add(ConfigKind::AudioEncoder, "aenc0")).unwrap();
        let main = s2.profile("main").unwrap();
        assert_eq!(
            (main.audio_source.as_deref(), main.audio_encoder.as_deref()),
            (Some("asc0"), Some("aenc0"))
        );
        let e = plan(&s, &ctx(facts), add(ConfigKind::AudioEncoder, "nope")).unwrap_err();
        assert_eq!(e, ChangeError::NoConfig("nope".into()));
        let no_profile = Change::Profile(ProfileChange::AudioEncoder {
            profile: "nope".into(),
            config: None,
        });
        let e = plan(&s, &ctx(facts), no_profile).unwrap_err();
        assert_eq!(e, ChangeError::NoProfile("nope".into()));
        // Media 2: both at once, the device picking the tokens; removed by kind.
        let both = Change::Profile(ProfileChange::Add {
            profile: "sub".into(),
            name: None,
            configs: vec![
                ConfigRef {
                    kind: ConfigKind::AudioSource,
                    token: None,
                },
                ConfigRef {
                    kind: ConfigKind::AudioEncoder,
                    token: None,
                },
            ],
        });
        let (s3, _) = plan(&s2, &ctx(facts), both).unwrap();
        let sub = s3.profile("sub").unwrap();
        assert_eq!(sub.audio_encoder.as_deref(), Some("aenc0"));
        assert_eq!(sub.audio_source.as_deref(), Some("asc0"));
        let remove = Change::Profile(ProfileChange::Remove {
            profile: "main".into(),
            kinds: vec![ConfigKind::AudioEncoder],
        });
        let (s4, _) = plan(&s3, &ctx(facts), remove).unwrap();
        let main = s4.profile("main").unwrap();
        assert_eq!(
            (main.audio_source.as_deref(), main.audio_encoder.as_deref()),
            (Some("asc0"), None)
        );
    }
}
