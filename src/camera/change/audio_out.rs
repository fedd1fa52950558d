//! Audio outputs and decoders (ONVIF Media s5.20-s5.23; Media2 "Audio output
//! configuration", "Audio decoder configuration"): the values of SetAudioOutputConfiguration
//! and SetAudioDecoderConfiguration checked against the board's speakers, and the
//! configurations a board with a speaker starts with.

use crate::camera::caps::Facts;
use crate::settings::validate::MAX_OUTPUT_LEVEL;
use crate::settings::{AudioDecoderConfig, AudioOutputConfig, MAIN_PROFILE, Settings};

use super::error::{ChangeError, check_name};

/// The ONVIF token of SDK audio output `ao` (`tt:AudioOutput`, GetAudioOutputs).
pub(crate) fn output_token(ao: u32) -> String {
    format!("{OUTPUT_PREFIX}{ao}")
}

/// The SDK audio output a token names (`aout0` is output 0).
fn output_index(token: &str) -> Option<u32> {
    let n = token.strip_prefix(OUTPUT_PREFIX)?;
    // `aout01` is no token of ours: one spelling per output.
    (!n.starts_with('0') || n == "0").then(|| n.parse().ok())?
}

const OUTPUT_PREFIX: &str = "aout";
/// The audio output configuration a board with a speaker starts with.
pub(crate) const AUDIO_OUTPUT_CONFIG: &str = "aoc0";
/// The audio decoder configuration a board with a speaker starts with.
pub(crate) const AUDIO_DECODER_CONFIG: &str = "adec0";

/// SetAudioOutputConfiguration's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioOutputRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) output_token: String,
    pub(crate) send_primacy: Option<String>,
    pub(crate) output_level: i32,
}

/// SetAudioDecoderConfiguration's values (a decoder configuration holds only its name: what
/// it decodes is the speaker's, listed by its options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioDecoderRequest {
    pub(crate) token: String,
    pub(crate) name: String,
}

/// Name, output, SendPrimacy and OutputLevel of an audio output configuration. The output
/// must be one of the board's speakers; no SendPrimacy is taken (the device is full duplex,
/// so its options list none: Media s5.20.4 "SendPrimacyOptions"); the level is the SDK's
/// volume range, 0..=100, what GetAudioOutputConfigurationOptions offers.
pub(crate) fn audio_output(
    facts: Facts<'_>,
    next: &mut Settings,
    req: AudioOutputRequest,
) -> Result<(), ChangeError> {
    if next.audio_output(&req.token).is_none() {
        return Err(ChangeError::NoConfig(req.token));
    }
    check_name(&req.name)?;
    let output = output_index(&req.output_token)
        .filter(|ao| *ao < facts.speaker.outputs)
        .ok_or_else(|| ChangeError::Invalid(format!("no audio output {:?}", req.output_token)))?;
    if let Some(p) = req.send_primacy.as_deref().filter(|p| !p.trim().is_empty()) {
        return Err(ChangeError::Invalid(format!(
            "SendPrimacy {p:?}: the device is full duplex and offers none"
        )));
    }
    let level = u32::try_from(req.output_level)
        .ok()
        .filter(|l| *l <= MAX_OUTPUT_LEVEL)
        .ok_or_else(|| {
            ChangeError::Invalid(format!(
                "output level {} outside 0..={MAX_OUTPUT_LEVEL}",
                req.output_level
            ))
        })?;
    let c = (next.media.audio_outputs.iter_mut())
        .find(|c| c.token == req.token)
        .expect("found above");
    c.name = req.name;
    c.output = output;
    c.send_primacy = None;
    c.output_level = level;
    Ok(())
}

/// An audio decoder configuration's name.
pub(crate) fn audio_decoder(
    next: &mut Settings,
    req: AudioDecoderRequest,
) -> Result<(), ChangeError> {
    check_name(&req.name)?;
    let c = (next.media.audio_decoders.iter_mut())
        .find(|c| c.token == req.token)
        .ok_or(ChangeError::NoConfig(req.token))?;
    c.name = req.name;
    Ok(())
}

/// Start-up (`Change::HardwareDefaults`): a board whose speaker decodes G.711 and that has
/// no audio output configuration gets one (speaker 0 at the SDK's power-up volume, 100) and
/// a decoder configuration, both in the main profile: a camera with a speaker ships
/// talk-ready on its main stream (docs/settings.md "Audio": an NVR shows its talk button
/// only for a profile holding them, and few add them themselves; talking needs an Operator
/// anyway). Only then, so a RemoveAudioOutputConfiguration lasts across restarts.
pub(crate) fn audio_out_defaults(facts: Facts<'_>, next: &mut Settings) {
    if facts.speaker.g711_codecs().is_empty() || !next.media.audio_outputs.is_empty() {
        return;
    }
    next.media.audio_outputs.push(AudioOutputConfig {
        token: AUDIO_OUTPUT_CONFIG.into(),
        name: "Speaker".into(),
        output: 0,
        send_primacy: None,
        output_level: MAX_OUTPUT_LEVEL,
    });
    if next.audio_decoder(AUDIO_DECODER_CONFIG).is_none() {
        next.media.audio_decoders.push(AudioDecoderConfig {
            token: AUDIO_DECODER_CONFIG.into(),
            name: "G.711".into(),
        });
    }
    if let Some(p) = (next.media.profiles.iter_mut()).find(|p| p.token == MAIN_PROFILE) {
        p.audio_output = Some(AUDIO_OUTPUT_CONFIG.into());
        p.audio_decoder = Some(AUDIO_DECODER_CONFIG.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::ptz_tests::Hw;
    use crate::camera::change::testing::ctx;
    use crate::camera::change::{Change, ConfigKind, ConfigRef, ProfileChange, plan};
    use crate::sdk::AudioOutCaps;

    fn facts_with(hw: &Hw, speaker: AudioOutCaps) -> Facts<'_> {
        Facts {
            speaker,
            ..hw.facts()
        }
    }

    fn started(hw: &Hw, speaker: AudioOutCaps) -> Settings {
        let defaults = Change::HardwareDefaults {
            imaging: Vec::new(),
            fit_encoders: false,
        };
        plan(
            &Settings::default(),
            &ctx(facts_with(hw, speaker)),
            defaults,
        )
        .unwrap()
        .0
    }

    fn set(level: i32, output: &str, primacy: Option<&str>) -> Change {
        Change::AudioOutput(AudioOutputRequest {
            token: AUDIO_OUTPUT_CONFIG.into(),
            name: "Door".into(),
            output_token: output.into(),
            send_primacy: primacy.map(String::from),
            output_level: level,
        })
    }

    #[test]
    fn output_tokens_name_one_output_each() {
        assert_eq!(output_token(0), "aout0");
        assert_eq!(output_index("aout0"), Some(0));
        assert_eq!(output_index("aout12"), Some(12));
        for bad in ["aout", "aout01", "aout-1", "aoutx", "out0", ""] {
            assert_eq!(output_index(bad), None, "{bad}");
        }
    }

    /// A board with a speaker starts with the main profile talk-ready; one without has no
    /// audio output configuration; a removal lasts across restarts.
    #[test]
    fn a_speaker_makes_the_main_profile_talk_ready_once() {
        let hw = Hw::new(vec![None]);
        let s = started(&hw, AudioOutCaps::g711(1));
        let main = s.profile(MAIN_PROFILE).unwrap();
        assert_eq!(main.audio_output.as_deref(), Some(AUDIO_OUTPUT_CONFIG));
        assert_eq!(main.audio_decoder.as_deref(), Some(AUDIO_DECODER_CONFIG));
        assert!(s.profile("sub").unwrap().audio_output.is_none());
        assert_eq!(
            s.audio_output(AUDIO_OUTPUT_CONFIG).unwrap().output_level,
            100
        );
        let bare = started(&hw, AudioOutCaps::NONE);
        assert!(bare.media.audio_outputs.is_empty() && bare.media.audio_decoders.is_empty());

        let facts = facts_with(&hw, AudioOutCaps::g711(1));
        let remove = Change::Profile(ProfileChange::AudioOutput {
            profile: MAIN_PROFILE.into(),
            config: None,
        });
        let (removed, _) = plan(&s, &ctx(facts), remove).unwrap();
        assert!(
            removed
                .profile(MAIN_PROFILE)
                .unwrap()
                .audio_output
                .is_none()
        );
        let again = Change::HardwareDefaults {
            imaging: Vec::new(),
            fit_encoders: false,
        };
        let (restarted, _) = plan(&removed, &ctx(facts), again).unwrap();
        assert_eq!(restarted, removed);
    }

    #[test]
    fn set_audio_output_is_checked_against_the_speakers() {
        let hw = Hw::new(vec![None]);
        let s = started(&hw, AudioOutCaps::g711(1));
        let c = ctx(facts_with(&hw, AudioOutCaps::g711(1)));
        let (next, _) = plan(&s, &c, set(40, "aout0", None)).unwrap();
        let o = next.audio_output(AUDIO_OUTPUT_CONFIG).unwrap();
        assert_eq!((o.name.as_str(), o.output, o.output_level), ("Door", 0, 40));
        // An empty SendPrimacy is no value.
        assert!(plan(&s, &c, set(0, "aout0", Some(""))).is_ok());
        for bad in [
            set(101, "aout0", None),
            set(-1, "aout0", None),
            set(50, "aout1", None),
            set(50, "vs0", None),
            set(50, "aout0", Some("www.onvif.org/ver20/HalfDuplex/Server")),
        ] {
            assert!(matches!(plan(&s, &c, bad), Err(ChangeError::Invalid(_))));
        }
        let unknown = Change::AudioOutput(AudioOutputRequest {
            token: "nope".into(),
            name: "x".into(),
            output_token: "aout0".into(),
            send_primacy: None,
            output_level: 1,
        });
        assert_eq!(
            plan(&s, &c, unknown).err(),
            Some(ChangeError::NoConfig("nope".into()))
        );
    }

    #[test]
    fn decoders_are_renamed_and_added_to_profiles() {
        let hw = Hw::new(vec![None]);
        let s = started(&hw, AudioOutCaps::g711(1));
        let c = ctx(facts_with(&hw, AudioOutCaps::g711(1)));
        let rename = Change::AudioDecoder(AudioDecoderRequest {
            token: AUDIO_DECODER_CONFIG.into(),
            name: "Talk".into(),
        });
        let (next, _) = plan(&s, &c, rename).unwrap();
        assert_eq!(
            next.audio_decoder(AUDIO_DECODER_CONFIG).unwrap().name,
            "Talk"
        );
        let add = Change::Profile(ProfileChange::Add {
            profile: "sub".into(),
            name: None,
            configs: vec![
                ConfigRef {
                    kind: ConfigKind::AudioOutput,
                    token: None,
                },
                ConfigRef {
                    kind: ConfigKind::AudioDecoder,
                    token: Some(AUDIO_DECODER_CONFIG.into()),
                },
            ],
        });
        let (next, _) = plan(&s, &c, add).unwrap();
        let sub = next.profile("sub").unwrap();
        assert_eq!(sub.audio_output.as_deref(), Some(AUDIO_OUTPUT_CONFIG));
        assert_eq!(sub.audio_decoder.as_deref(), Some(AUDIO_DECODER_CONFIG));
        let missing = Change::Profile(ProfileChange::AudioDecoder {
            profile: "sub".into(),
            config: Some("adec9".into()),
        });
        assert_eq!(
            plan(&s, &c, missing).err(),
            Some(ChangeError::NoConfig("adec9".into()))
        );
    }
}
