//! Audio encoder configurations as Media 2 shows them (`tt:AudioEncoder2Configuration`,
//! `tt:AudioEncoder2ConfigurationOptions`; Media2 spec, "Audio encoder configuration"):
//! encodings named by their IANA audio media subtypes (`tt:AudioEncodingMimeNames`),
//! which are also the RTP encoding names of the SDP (RFC 3551: PCMU, PCMA; RFC 3640:
//! mpeg4-generic, the AAC-hbr packetization `rtp::aac` sends). MP4A-LATM (RFC 6416) is
//! not offered: nvt does not packetize AAC that way. Audio source configurations are Media
//! 1's (`onvif::media::audio`).

use crate::camera::audio_limits::AudioLimits;
use crate::camera::change::{AudioEncoderRequest, rate_khz};
use crate::onvif::generated::tt;
use crate::onvif::media::audio::int_items;
use crate::onvif::media::configs::{multicast_to_tt, use_count};
use crate::onvif::media::multicast_from_tt;
use crate::settings::{AudioEncoding, Settings};
use crate::soap::Fault;

/// The MIME subtype of an encoding.
pub(crate) fn mime_name(e: AudioEncoding) -> &'static str {
    match e {
        AudioEncoding::Pcmu => "PCMU",
        AudioEncoding::Pcma => "PCMA",
        AudioEncoding::Aac => "mpeg4-generic",
    }
}

/// The encoding a MIME subtype names (media subtypes are case-insensitive, RFC 6838
/// s4.2); Err: the name, for the refusal.
fn encoding(name: &str) -> Result<AudioEncoding, String> {
    [AudioEncoding::Pcmu, AudioEncoding::Pcma, AudioEncoding::Aac]
        .into_iter()
        .find(|&e| mime_name(e).eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| name.trim().to_owned())
}

/// The audio encoder configuration `token`, with its UseCount; the sample rate in kHz.
pub(crate) fn encoder(s: &Settings, token: &str) -> Option<tt::AudioEncoder2Configuration> {
    let e = s.audio_encoder(token)?;
    Some(tt::AudioEncoder2Configuration {
        token: e.token.clone(),
        name: e.name.clone(),
        use_count: use_count(s, |p| p.audio_encoder.as_deref() == Some(token)),
        encoding: mime_name(e.encoding).to_owned(),
        multicast: Some(multicast_to_tt(&e.multicast)),
        bitrate: e.bitrate_kbps as i32,
        sample_rate: rate_khz(e.sample_rate_hz) as i32,
        ..Default::default()
    })
}

/// GetAudioEncoderConfigurationOptions: one entry per encoding offered (Media2 spec,
/// "Get<entity>ConfigurationOptions"), bitrates in kb/s, sample rates in kHz.
pub(crate) fn encoder_options(limits: &AudioLimits) -> Vec<tt::AudioEncoder2ConfigurationOptions> {
    (limits.encodings.iter())
        .map(|l| tt::AudioEncoder2ConfigurationOptions {
            encoding: mime_name(l.encoding).to_owned(),
            bitrate_list: int_items(l.bitrates_kbps.iter().copied()),
            sample_rate_list: int_items(l.sample_rates_hz.iter().map(|&hz| rate_khz(hz))),
            ..Default::default()
        })
        .collect()
}

/// SetAudioEncoderConfiguration's request as a change: Media 2 may leave Multicast out
/// (the stored group is kept) and has no SessionTimeout (the stored one is kept).
pub(crate) fn encoder_request(
    c: &tt::AudioEncoder2Configuration,
) -> Result<AudioEncoderRequest, Fault> {
    Ok(AudioEncoderRequest {
        token: c.token.clone(),
        name: c.name.clone(),
        encoding: encoding(&c.encoding),
        bitrate_kbps: c.bitrate,
        sample_rate_khz: c.sample_rate,
        multicast: c.multicast.as_ref().map(multicast_from_tt).transpose()?,
        session_timeout_secs: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::audio_limits::sim_caps;
    use crate::settings::AUDIO_ENCODER;

    #[test]
    fn encodings_are_mime_subtypes() {
        let o = encoder_options(&AudioLimits::new(&sim_caps()));
        let names: Vec<_> = o.iter().map(|o| o.encoding.as_str()).collect();
        assert_eq!(names, ["PCMU", "PCMA"]);
        assert_eq!(
            (&o[1].bitrate_list.items, &o[1].sample_rate_list.items),
            (&vec![64], &vec![8])
        );
        assert_eq!(encoding("pcma"), Ok(AudioEncoding::Pcma));
        assert_eq!(encoding("mpeg4-generic"), Ok(AudioEncoding::Aac));
        assert_eq!(encoding("MP4A-LATM"), Err("MP4A-LATM".into()));
        assert_eq!(encoding("G726"), Err("G726".into()));
    }

    #[test]
    fn the_configuration_round_trips() {
        let s = Settings::default();
        let mut c = encoder(&s, AUDIO_ENCODER).unwrap();
        assert_eq!(
            (c.encoding.as_str(), c.bitrate, c.sample_rate),
            ("PCMU", 64, 8)
        );
        assert_eq!(c.use_count, 0);
        let req = encoder_request(&c).unwrap();
        assert_eq!(req.encoding, Ok(AudioEncoding::Pcmu));
        assert!(req.multicast.is_some());
        c.multicast = None;
        c.encoding = "PCMA".into();
        let req = encoder_request(&c).unwrap();
        assert_eq!(
            (req.encoding, req.multicast),
            (Ok(AudioEncoding::Pcma), None)
        );
        assert_eq!(req.session_timeout_secs, None);
    }
}
