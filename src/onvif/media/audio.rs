//! Audio sources and audio encoder configurations as Media 1 shows them (Media
//! s."Audio source", s."Audio encoder configuration"), and what Media 2 shares with it (the
//! same `tt:AudioSourceConfiguration` and its options; the audio source tokens).
//!
//! Only rendering and translation: the settings are the model (`media.audio_sources`,
//! `media.audio_encoders`, a profile's `audio_source`/`audio_encoder`), the offered values
//! are the camera's `AudioLimits` (from the SDK's microphone caps), and every write is a
//! `camera::Change` the camera core checks against those same limits.
//!
//! Media 1 names G.711 without its law (`tt:AudioEncoding` G711): a configuration stored as
//! A-law shows as G711 and stays A-law when a client writes G711 back (the law is Media 2's
//! to choose, PCMU or PCMA); from AAC, G711 is the first law the SDK offers (µ-law, RTP
//! PCMU, when it has both). The RTSP SDP names the law either way (docs/rtsp.md, "Audio").

use crate::camera::audio_limits::AudioLimits;
use crate::camera::change::{
    AudioEncoderRequest, AudioSourceRequest, audio_source_token, rate_khz,
};
use crate::onvif::generated::tt;
use crate::settings::{AudioEncoderConfig, AudioEncoding, Multicast, Settings};
use crate::soap::{Code, Fault};

use super::configs::{duration, multicast_to_tt, use_count};

/// The channels of every audio source: nvt captures mono (`sdk::AudioAttr`, 1 channel).
const CHANNELS: i32 = 1;

/// GetAudioSources: one per SDK audio input.
pub(crate) fn sources(limits: &AudioLimits) -> Vec<tt::AudioSource> {
    (0..limits.inputs)
        .map(|ai| tt::AudioSource {
            token: audio_source_token(ai),
            channels: CHANNELS,
            ..Default::default()
        })
        .collect()
}

/// The audio source configuration `token`, with its UseCount (Media 1 and Media 2 alike).
pub(crate) fn source_configuration(
    s: &Settings,
    token: &str,
) -> Option<tt::AudioSourceConfiguration> {
    let a = s.media.audio_sources.iter().find(|a| a.token == token)?;
    Some(tt::AudioSourceConfiguration {
        token: a.token.clone(),
        name: a.name.clone(),
        use_count: use_count(s, |p| p.audio_source.as_deref() == Some(token)),
        source_token: audio_source_token(a.source),
        ..Default::default()
    })
}

/// Every audio source configuration, in the settings' order.
pub(crate) fn source_configurations(s: &Settings) -> Vec<tt::AudioSourceConfiguration> {
    (s.media.audio_sources.iter())
        .filter_map(|a| source_configuration(s, &a.token))
        .collect()
}

/// GetAudioSourceConfigurationOptions: the board's inputs.
pub(crate) fn source_options(limits: &AudioLimits) -> tt::AudioSourceConfigurationOptions {
    tt::AudioSourceConfigurationOptions {
        input_tokens_available: sources(limits).into_iter().map(|s| s.token).collect(),
        ..Default::default()
    }
}

/// SetAudioSourceConfiguration's request as a change (the same `tt:` type in both
/// services).
pub(crate) fn source_request(c: &tt::AudioSourceConfiguration) -> AudioSourceRequest {
    AudioSourceRequest {
        token: c.token.clone(),
        name: c.name.clone(),
        source_token: c.source_token.trim().to_owned(),
    }
}

/// Media 1's name of an encoding.
fn media1_encoding(e: AudioEncoding) -> tt::AudioEncoding {
    match e {
        AudioEncoding::Pcmu | AudioEncoding::Pcma => tt::AudioEncoding::G711,
        AudioEncoding::Aac => tt::AudioEncoding::AAC,
    }
}

/// The audio encoder configuration `token` as `tt:AudioEncoderConfiguration`, with its
/// UseCount; the sample rate in kHz (Media s."Audio encoder configuration").
pub(crate) fn encoder_configuration(
    s: &Settings,
    token: &str,
) -> Option<tt::AudioEncoderConfiguration> {
    let e = s.audio_encoder(token)?;
    Some(tt::AudioEncoderConfiguration {
        token: e.token.clone(),
        name: e.name.clone(),
        use_count: use_count(s, |p| p.audio_encoder.as_deref() == Some(token)),
        encoding: media1_encoding(e.encoding),
        bitrate: e.bitrate_kbps as i32,
        sample_rate: rate_khz(e.sample_rate_hz) as i32,
        multicast: multicast_to_tt(&e.multicast),
        session_timeout: duration(e.session_timeout_secs),
        ..Default::default()
    })
}

/// Every audio encoder configuration, in the settings' order.
pub(crate) fn encoder_configurations(s: &Settings) -> Vec<tt::AudioEncoderConfiguration> {
    (s.media.audio_encoders.iter())
        .filter_map(|e| encoder_configuration(s, &e.token))
        .collect()
}

/// GetAudioEncoderConfigurationOptions: one entry per Media 1 encoding offered (G711 once
/// for both laws: they have the same 64 kb/s and 8 kHz), bitrates in kb/s and sample rates
/// in kHz.
pub(crate) fn encoder_options(limits: &AudioLimits) -> tt::AudioEncoderConfigurationOptions {
    let mut options: Vec<tt::AudioEncoderConfigurationOption> = Vec::new();
    for l in &limits.encodings {
        let encoding = media1_encoding(l.encoding);
        if options.iter().any(|o| o.encoding == encoding) {
            continue;
        }
        options.push(tt::AudioEncoderConfigurationOption {
            encoding,
            bitrate_list: int_items(l.bitrates_kbps.iter().copied()),
            sample_rate_list: int_items(l.sample_rates_hz.iter().map(|&hz| rate_khz(hz))),
            ..Default::default()
        });
    }
    tt::AudioEncoderConfigurationOptions {
        options,
        ..Default::default()
    }
}

pub(crate) fn int_items(values: impl Iterator<Item = u32>) -> tt::IntItems {
    tt::IntItems {
        items: values.map(|v| v as i32).collect(),
    }
}

/// The law a Media 1 `G711` means for configuration `old`: its own when it is G.711, else
/// the first the SDK offers (µ-law when it has none: refused by the core as not offered).
fn g711_law(old: &AudioEncoderConfig, limits: &AudioLimits) -> AudioEncoding {
    match old.encoding {
        law @ (AudioEncoding::Pcmu | AudioEncoding::Pcma) => law,
        AudioEncoding::Aac => (limits.encodings.iter())
            .map(|l| l.encoding)
            .find(|e| *e != AudioEncoding::Aac)
            .unwrap_or(AudioEncoding::Pcmu),
    }
}

/// SetAudioEncoderConfiguration's request as a change (checked by the camera core);
/// `old` is the stored configuration it replaces; `multicast` and `session_timeout_secs`
/// its Multicast and SessionTimeout, decoded as the video encoder's are
/// (`onvif::media::multicast_from_tt`, `session_timeout`).
pub(crate) fn encoder_request(
    c: &tt::AudioEncoderConfiguration,
    old: &AudioEncoderConfig,
    limits: &AudioLimits,
    (multicast, session_timeout_secs): (Multicast, u32),
) -> AudioEncoderRequest {
    let encoding = match c.encoding {
        tt::AudioEncoding::G711 => Ok(g711_law(old, limits)),
        tt::AudioEncoding::AAC => Ok(AudioEncoding::Aac),
        tt::AudioEncoding::G726 => Err("G726".to_owned()),
    };
    AudioEncoderRequest {
        token: c.token.clone(),
        name: c.name.clone(),
        encoding,
        bitrate_kbps: c.bitrate,
        sample_rate_khz: c.sample_rate,
        multicast: Some(multicast),
        session_timeout_secs: Some(session_timeout_secs),
    }
}

/// Media s5.10-s5.12: what a device without audio answers.
fn no_audio() -> Fault {
    Fault::new(
        Code::Receiver,
        &["ActionNotSupported", "AudioNotSupported"],
        "the device has no audio",
    )
}

/// Media s5.10-s5.12: the fault of every audio source and encoder operation on a device
/// without a microphone nvt can stream.
pub(crate) fn require(limits: &AudioLimits) -> Result<(), Fault> {
    if limits.available() {
        Ok(())
    } else {
        Err(no_audio())
    }
}

/// A value SetAudio*Configuration cannot take.
pub(crate) fn refused(reason: String) -> Fault {
    Fault::invalid_arg_val(Some("ConfigModify"), reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::audio_limits::sim_caps;
    use crate::sdk::{AudioCaps, AudioCodec};
    use crate::settings::AUDIO_ENCODER;

    #[test]
    fn options_list_g711_once_and_aac_only_when_offered() {
        let o = encoder_options(&AudioLimits::new(&sim_caps()));
        assert_eq!(o.options.len(), 1);
        assert_eq!(o.options[0].encoding, tt::AudioEncoding::G711);
        assert_eq!(o.options[0].bitrate_list.items, [64]);
        assert_eq!(o.options[0].sample_rate_list.items, [8]);
        let aac = AudioLimits::new(&AudioCaps {
            codecs: vec![AudioCodec::G711Ulaw, AudioCodec::AacLc],
            sample_rates: vec![8000, 16000, 44100],
            bitrate_kbps: (32, 64),
            ..sim_caps()
        });
        let o = encoder_options(&aac);
        let aac = &o.options[1];
        assert_eq!(aac.encoding, tt::AudioEncoding::AAC);
        assert_eq!(aac.bitrate_list.items, [32, 48, 64]);
        assert_eq!(aac.sample_rate_list.items, [8, 16, 44]);
        assert!(encoder_options(&AudioLimits::default()).options.is_empty());
    }

    #[test]
    fn g711_keeps_its_law_and_round_trips() {
        let limits = AudioLimits::new(&sim_caps());
        let mut s = Settings::default();
        s.media.audio_encoders[0].encoding = AudioEncoding::Pcma;
        let shown = encoder_configuration(&s, AUDIO_ENCODER).unwrap();
        assert_eq!(
            (shown.encoding, shown.bitrate, shown.sample_rate),
            (tt::AudioEncoding::G711, 64, 8)
        );
        assert_eq!(shown.session_timeout, "PT60S");
        let old = s.audio_encoder(AUDIO_ENCODER).unwrap();
        let decoded = (old.multicast.clone(), 60);
        let req = encoder_request(&shown, old, &limits, decoded.clone());
        assert_eq!(req.encoding, Ok(AudioEncoding::Pcma));
        assert_eq!((req.bitrate_kbps, req.sample_rate_khz), (64, 8));
        assert_eq!(req.session_timeout_secs, Some(60));
        assert_eq!(req.multicast.as_ref(), Some(&old.multicast));
        let mut aac = old.clone();
        aac.encoding = AudioEncoding::Aac;
        assert_eq!(
            encoder_request(&shown, &aac, &limits, decoded.clone()).encoding,
            Ok(AudioEncoding::Pcmu)
        );
        let g726 = tt::AudioEncoderConfiguration {
            encoding: tt::AudioEncoding::G726,
            ..shown
        };
        let req = encoder_request(&g726, old, &limits, decoded);
        assert!(req.encoding.is_err());
    }

    #[test]
    fn sources_and_their_configurations() {
        let limits = AudioLimits::new(&sim_caps());
        let list = sources(&limits);
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].token.as_str(), list[0].channels), ("as0", 1));
        assert_eq!(source_options(&limits).input_tokens_available, ["as0"]);
        let mut s = Settings::default();
        let c = source_configuration(&s, "asc0").unwrap();
        assert_eq!((c.source_token.as_str(), c.use_count), ("as0", 0));
        s.media.profiles[0].audio_source = Some("asc0".into());
        assert_eq!(source_configuration(&s, "asc0").unwrap().use_count, 1);
        assert!(source_configuration(&s, "nope").is_none());
        let f = require(&AudioLimits::default()).unwrap_err();
        assert_eq!(f.code, Code::Receiver);
        assert_eq!(f.subcodes, ["ActionNotSupported", "AudioNotSupported"]);
        assert!(require(&limits).is_ok());
    }
}
