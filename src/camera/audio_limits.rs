//! What an audio encoder configuration may hold on this hardware: the encodings, bitrates
//! and sample rates the SDK's microphone caps (`NVT_AI_GetCaps`, `sdk::AudioCaps`) allow and
//! nvt can stream. One place, as `caps::EncoderLimits` is for video: the Media and Media2
//! Get*AudioEncoderConfigurationOptions render these lists, and a change is checked against
//! them (`camera::change`'s audio area), so a client is offered exactly what is accepted.
//!
//! - G.711 µ-law and A-law (RTP PCMU/PCMA) are 8 kHz, 64 kb/s by definition (ITU-T G.711;
//!   RFC 3551 s4.5.14 gives them the fixed 8000 Hz clock): offered when the SDK lists the
//!   codec and 8000 Hz, with those single values, whatever bitrate range the SDK reports.
//! - AAC-LC (RTP `mpeg4-generic`, RFC 3640) only when the SDK lists it: at the SDK's sample
//!   rates and the usual AAC bitrates within its bitrate range ([`AAC_BITRATES`]; the range's
//!   ends when none of them is in it).
//! - No microphone (`inputs == 0`): nothing.

use crate::sdk::{AudioCaps, AudioCodec};
use crate::settings::{AudioEncoderConfig, AudioEncoding};

/// G.711's one sample rate and bitrate.
pub(crate) const G711_RATE_HZ: u32 = 8000;
pub(crate) const G711_KBPS: u32 = 64;

/// The AAC-LC bitrates offered, where the SDK's range holds them (mono speech and ambient
/// sound: what cameras commonly list).
const AAC_BITRATES: [u32; 8] = [16, 24, 32, 48, 64, 96, 128, 192];

/// One encoding's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AudioEncodingLimits {
    pub(crate) encoding: AudioEncoding,
    /// kb/s, ascending.
    pub(crate) bitrates_kbps: Vec<u32>,
    /// Hz, ascending.
    pub(crate) sample_rates_hz: Vec<u32>,
}

/// What the microphone allows: the SDK's audio inputs and the encodings offered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AudioLimits {
    /// SDK audio inputs (an audio source configuration's `source` is below this).
    pub(crate) inputs: u32,
    /// In the order Media lists them: G.711 µ-law, A-law, AAC.
    pub(crate) encodings: Vec<AudioEncodingLimits>,
}

impl AudioLimits {
    pub(crate) fn new(caps: &AudioCaps) -> AudioLimits {
        if caps.inputs == 0 {
            return AudioLimits::default();
        }
        let mut encodings = Vec::new();
        let g711 = caps.sample_rates.contains(&G711_RATE_HZ);
        for (codec, encoding) in [
            (AudioCodec::G711Ulaw, AudioEncoding::Pcmu),
            (AudioCodec::G711Alaw, AudioEncoding::Pcma),
        ] {
            if g711 && caps.codecs.contains(&codec) {
                encodings.push(AudioEncodingLimits {
                    encoding,
                    bitrates_kbps: vec![G711_KBPS],
                    sample_rates_hz: vec![G711_RATE_HZ],
                });
            }
        }
        if caps.codecs.contains(&AudioCodec::AacLc) && !caps.sample_rates.is_empty() {
            let (lo, hi) = caps.bitrate_kbps;
            let mut bitrates: Vec<u32> = AAC_BITRATES
                .into_iter()
                .filter(|b| (lo..=hi).contains(b))
                .collect();
            if bitrates.is_empty() && lo > 0 && lo <= hi {
                bitrates = if lo == hi { vec![lo] } else { vec![lo, hi] };
            }
            let mut rates = caps.sample_rates.clone();
            rates.sort_unstable();
            rates.dedup();
            if !bitrates.is_empty() {
                encodings.push(AudioEncodingLimits {
                    encoding: AudioEncoding::Aac,
                    bitrates_kbps: bitrates,
                    sample_rates_hz: rates,
                });
            }
        }
        AudioLimits {
            inputs: caps.inputs,
            encodings,
        }
    }

    /// Whether the device has a microphone nvt can stream from.
    pub(crate) fn available(&self) -> bool {
        !self.encodings.is_empty()
    }

    pub(crate) fn encoding(&self, e: AudioEncoding) -> Option<&AudioEncodingLimits> {
        self.encodings.iter().find(|l| l.encoding == e)
    }

    /// A configuration's values against the lists; Err: why not, for ConfigModify.
    pub(crate) fn check(&self, c: &AudioEncoderConfig) -> Result<(), String> {
        let l = self
            .encoding(c.encoding)
            .ok_or_else(|| format!("encoding {} is not offered", name(c.encoding)))?;
        if !l.bitrates_kbps.contains(&c.bitrate_kbps) {
            return Err(format!(
                "bitrate {} kb/s is not one of {:?} for {}",
                c.bitrate_kbps,
                l.bitrates_kbps,
                name(c.encoding)
            ));
        }
        if !l.sample_rates_hz.contains(&c.sample_rate_hz) {
            return Err(format!(
                "sample rate {} Hz is not one of {:?} for {}",
                c.sample_rate_hz,
                l.sample_rates_hz,
                name(c.encoding)
            ));
        }
        Ok(())
    }
}

/// An encoding's name in messages.
pub(crate) fn name(e: AudioEncoding) -> &'static str {
    match e {
        AudioEncoding::Pcmu => "G.711 mu-law",
        AudioEncoding::Pcma => "G.711 A-law",
        AudioEncoding::Aac => "AAC",
    }
}

/// A device without a microphone (the facts of tests without audio).
#[cfg(test)]
pub(crate) static NO_AUDIO: AudioLimits = AudioLimits {
    inputs: 0,
    encodings: Vec::new(),
};

/// The simulator's microphone caps with `aac=off` (a G.711-only SoC): G.711 both laws,
/// 8 kHz, 64 kb/s.
#[cfg(test)]
pub(crate) fn sim_caps() -> AudioCaps {
    AudioCaps {
        inputs: 1,
        max_channels: 4,
        codecs: vec![AudioCodec::G711Ulaw, AudioCodec::G711Alaw],
        sample_rates: vec![8000],
        max_audio_channels: 1,
        bitrate_kbps: (64, 64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim() -> AudioCaps {
        sim_caps()
    }

    #[test]
    fn g711_is_8_khz_64_kbps_and_aac_only_when_offered() {
        let l = AudioLimits::new(&sim());
        let list: Vec<_> = l.encodings.iter().map(|e| e.encoding).collect();
        assert_eq!(list, [AudioEncoding::Pcmu, AudioEncoding::Pcma]);
        assert_eq!(l.encodings[1].bitrates_kbps, [64]);
        assert_eq!(l.encodings[1].sample_rates_hz, [8000]);
        let aac = AudioCaps {
            codecs: vec![AudioCodec::AacLc, AudioCodec::G711Ulaw],
            sample_rates: vec![48000, 16000, 8000],
            bitrate_kbps: (20, 100),
            ..sim()
        };
        let l = AudioLimits::new(&aac);
        let a = l.encoding(AudioEncoding::Aac).unwrap();
        assert_eq!(a.bitrates_kbps, [24, 32, 48, 64, 96]);
        assert_eq!(a.sample_rates_hz, [8000, 16000, 48000]);
        assert!(l.encoding(AudioEncoding::Pcma).is_none());
        // A range holding none of the usual bitrates offers its ends.
        let odd = AudioCaps {
            bitrate_kbps: (200, 250),
            ..aac.clone()
        };
        let l = AudioLimits::new(&odd);
        assert_eq!(
            l.encoding(AudioEncoding::Aac).unwrap().bitrates_kbps,
            [200, 250]
        );
        // No microphone, or no 8 kHz for G.711: nothing offered.
        assert!(!AudioLimits::new(&AudioCaps::default()).available());
        let no8k = AudioCaps {
            sample_rates: vec![16000],
            ..sim()
        };
        assert!(!AudioLimits::new(&no8k).available());
    }

    #[test]
    fn a_configuration_is_checked_against_the_lists() {
        let l = AudioLimits::new(&sim());
        let mut c = crate::settings::Settings::default().media.audio_encoders[0].clone();
        assert_eq!(l.check(&c), Ok(()));
        c.encoding = AudioEncoding::Pcma;
        assert_eq!(l.check(&c), Ok(()));
        c.bitrate_kbps = 32;
        assert!(l.check(&c).unwrap_err().contains("bitrate"));
        c.bitrate_kbps = 64;
        c.sample_rate_hz = 16000;
        assert!(l.check(&c).unwrap_err().contains("sample rate"));
        c.sample_rate_hz = 8000;
        c.encoding = AudioEncoding::Aac;
        assert!(l.check(&c).unwrap_err().contains("not offered"));
    }
}
