//! Audio outputs and decoders in Media 1 (Media s5.20-s5.23) and the renderings Media 2 and
//! DeviceIO share: the board's speakers as `tt:AudioOutput`s (token `aout<index>`), the
//! stored configurations, their options from the SDK's AO caps, and a Set* request as a
//! camera-core change. Only translation: the rules are `camera::change::audio_out`'s.
//!
//! A board without a speaker (`NVT_AO_GetCaps` reports no output, or no G.711) answers the
//! faults the Media spec gives a device without audio outputs (AudioOutputNotSupported,
//! AudioDecodingNotSupported); GetAudioOutputs lists none (s5.20.1).

use crate::camera::change::{AudioDecoderRequest, AudioOutputRequest, output_token};
use crate::onvif::generated::tt;
use crate::sdk::{AudioCodec, AudioOutCaps};
use crate::settings::Settings;
use crate::settings::validate::MAX_OUTPUT_LEVEL;

use super::configs::use_count;

/// G.711's bit rate in kbit/s (8 bits a sample at 8 kHz).
pub(crate) const G711_KBPS: i32 = 64;
/// The rate the speaker decodes G.711 at, in kHz (the unit of `tt:G711DecOptions`'s
/// SampleRateRange, as of every audio sample rate in the Media schema).
pub(crate) const G711_KHZ: i32 = 8;

/// The speakers that decode G.711 (the back channel's codecs), as GetAudioOutputs lists
/// them; none on a board without.
pub(crate) fn outputs(speaker: &AudioOutCaps) -> Vec<tt::AudioOutput> {
    if speaker.g711_codecs().is_empty() {
        return Vec::new();
    }
    (0..speaker.outputs)
        .map(|ao| tt::AudioOutput {
            token: output_token(ao),
            ..Default::default()
        })
        .collect()
}

/// An audio output configuration as every service shows it.
pub(crate) fn output_configuration(
    s: &Settings,
    token: &str,
) -> Option<tt::AudioOutputConfiguration> {
    let c = s.audio_output(token)?;
    Some(tt::AudioOutputConfiguration {
        token: c.token.clone(),
        name: c.name.clone(),
        use_count: use_count(s, |p| p.audio_output.as_deref() == Some(token)),
        output_token: output_token(c.output),
        send_primacy: c.send_primacy.clone(),
        output_level: c.output_level as i32,
        ..Default::default()
    })
}

pub(crate) fn output_configurations(s: &Settings) -> Vec<tt::AudioOutputConfiguration> {
    (s.media.audio_outputs.iter())
        .filter_map(|c| output_configuration(s, &c.token))
        .collect()
}

/// An audio decoder configuration as Media and Media 2 show it.
pub(crate) fn decoder_configuration(
    s: &Settings,
    token: &str,
) -> Option<tt::AudioDecoderConfiguration> {
    let c = s.audio_decoder(token)?;
    Some(tt::AudioDecoderConfiguration {
        token: c.token.clone(),
        name: c.name.clone(),
        use_count: use_count(s, |p| p.audio_decoder.as_deref() == Some(token)),
        ..Default::default()
    })
}

pub(crate) fn decoder_configurations(s: &Settings) -> Vec<tt::AudioDecoderConfiguration> {
    (s.media.audio_decoders.iter())
        .filter_map(|c| decoder_configuration(s, &c.token))
        .collect()
}

/// What an audio output configuration may hold: the board's speakers, the SDK's volume
/// range as OutputLevelRange, no SendPrimacyOptions (full duplex: Media s5.20.4, "no
/// special handling is required"), no equaliser presets.
pub(crate) fn output_options(speaker: &AudioOutCaps) -> tt::AudioOutputConfigurationOptions {
    tt::AudioOutputConfigurationOptions {
        output_tokens_available: outputs(speaker).into_iter().map(|o| o.token).collect(),
        output_level_range: tt::IntRange {
            min: 0,
            max: MAX_OUTPUT_LEVEL as i32,
        },
        ..Default::default()
    }
}

/// What the speaker decodes: G.711 (µ-law; A-law when the SDK decodes it too, the back
/// channel offers both as PCMU/PCMA) at 64 kbit/s and 8 kHz, the one rate the AO block
/// opens G.711 at. Media 1's options have one G711DecOptions for both laws.
pub(crate) fn decoder_options(speaker: &AudioOutCaps) -> tt::AudioDecoderConfigurationOptions {
    let g711 = speaker.decodes(AudioCodec::G711Ulaw) || speaker.decodes(AudioCodec::G711Alaw);
    tt::AudioDecoderConfigurationOptions {
        g711_dec_options: g711.then(|| tt::G711DecOptions {
            bitrate: tt::IntItems {
                items: vec![G711_KBPS],
            },
            sample_rate_range: tt::IntItems {
                items: vec![G711_KHZ],
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Media 2's decoder options: one entry per encoding the speaker decodes, named as RTP
/// names it (Media2 spec, "GetAudioDecoderConfigurationOptions"; `tt:AudioEncodingMimeNames`:
/// PCMU, PCMA), at 64 kbit/s and 8 kHz.
pub(crate) fn decoder_options2(
    speaker: &AudioOutCaps,
) -> Vec<tt::AudioEncoder2ConfigurationOptions> {
    (speaker.g711_codecs().into_iter())
        .map(|c| tt::AudioEncoder2ConfigurationOptions {
            encoding: match c {
                AudioCodec::G711Alaw => "PCMA",
                _ => "PCMU",
            }
            .to_owned(),
            bitrate_list: tt::IntItems {
                items: vec![G711_KBPS],
            },
            sample_rate_list: tt::IntItems {
                items: vec![G711_KHZ],
            },
            ..Default::default()
        })
        .collect()
}

/// SetAudioOutputConfiguration's request as a change (Media 1, Media 2 and DeviceIO send
/// the same `tt:AudioOutputConfiguration`).
pub(crate) fn output_request(c: &tt::AudioOutputConfiguration) -> AudioOutputRequest {
    AudioOutputRequest {
        token: c.token.clone(),
        name: c.name.clone(),
        output_token: c.output_token.clone(),
        send_primacy: c.send_primacy.clone(),
        output_level: c.output_level,
    }
}

pub(crate) fn decoder_request(c: &tt::AudioDecoderConfiguration) -> AudioDecoderRequest {
    AudioDecoderRequest {
        token: c.token.clone(),
        name: c.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{AudioDecoderConfig, AudioOutputConfig};

    fn with_speaker() -> Settings {
        let mut s = Settings::default();
        s.media.audio_outputs.push(AudioOutputConfig {
            token: "aoc0".into(),
            name: "Speaker".into(),
            output: 0,
            send_primacy: None,
            output_level: 80,
        });
        s.media.audio_decoders.push(AudioDecoderConfig {
            token: "adec0".into(),
            name: "G.711".into(),
        });
        s.media.profiles[0].audio_output = Some("aoc0".into());
        s
    }

    #[test]
    fn configurations_show_the_output_level_and_use_count() {
        let s = with_speaker();
        let c = output_configuration(&s, "aoc0").unwrap();
        assert_eq!(
            (c.output_token.as_str(), c.output_level, c.use_count),
            ("aout0", 80, 1)
        );
        assert_eq!(decoder_configuration(&s, "adec0").unwrap().use_count, 0);
        assert!(output_configuration(&s, "nope").is_none());
        let req = output_request(&c);
        assert_eq!((req.output_level, req.output_token.as_str()), (80, "aout0"));
    }

    #[test]
    fn options_follow_the_speaker_caps() {
        let one = AudioOutCaps::g711(1);
        assert_eq!(outputs(&one).len(), 1);
        let o = output_options(&one);
        assert_eq!(o.output_tokens_available, vec!["aout0".to_owned()]);
        assert_eq!(
            (o.output_level_range.min, o.output_level_range.max),
            (0, 100)
        );
        let d = decoder_options(&one).g711_dec_options.unwrap();
        assert_eq!(
            (d.bitrate.items, d.sample_rate_range.items),
            (vec![64], vec![8])
        );
        let names: Vec<String> = decoder_options2(&one)
            .into_iter()
            .map(|o| o.encoding)
            .collect();
        assert_eq!(names, ["PCMU", "PCMA"]);
        assert!(outputs(&AudioOutCaps::NONE).is_empty());
        assert!(
            decoder_options(&AudioOutCaps::NONE)
                .g711_dec_options
                .is_none()
        );
    }
}
