//! What a profile streams, in the settings' terms: the one answer Media 1 and Media 2 give
//! to GetStreamUri and Start/StopMulticastStreaming (whether the profile has a stream at
//! all, and whether any of its streams has a multicast group).
//!
//! A profile's RTSP presentation carries its video encoder's stream, its metadata
//! configuration's and its audio encoder's (docs/rtsp.md, "Tracks"); any one of them makes a
//! presentation (`rtsp::server`'s `RegistryStreams` serves each alone, and
//! `MulticastControl::start` starts every one with a group). ONVIF Media, GetStreamUri: "If a
//! multicast stream is requested at least one of VideoEncoderConfiguration,
//! AudioEncoderConfiguration and MetadataConfiguration shall have a valid multicast setting"
//! (else InvalidMulticastSettings); StartMulticastStreaming's IncompleteConfiguration is for
//! a profile with none of "a video encoder ..., an audio encoder ... or a metadata
//! configuration". The Media2 spec says the same of its GetStreamUri. An audio track needs
//! no more than its encoder configuration (`crate::audio` captures for each one a profile
//! names), as the video needs no more than its encoder's.

use crate::settings::{
    AudioEncoderConfig, MetadataConfig, Multicast, Settings, VideoEncoderConfig,
};

/// The configurations whose streams a profile's presentation carries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Streamed<'a> {
    pub(crate) video: Option<&'a VideoEncoderConfig>,
    pub(crate) metadata: Option<&'a MetadataConfig>,
    pub(crate) audio: Option<&'a AudioEncoderConfig>,
}

impl<'a> Streamed<'a> {
    /// The streams of profile `token`; `None`: no such profile.
    pub(crate) fn of(settings: &'a Settings, token: &str) -> Option<Streamed<'a>> {
        let p = settings.profile(token)?;
        Some(Streamed {
            video: p.video_encoder.as_deref().and_then(|t| settings.encoder(t)),
            metadata: (p.metadata.as_deref())
                .and_then(|t| settings.media.metadata.iter().find(|m| m.token == t)),
            audio: p
                .audio_encoder
                .as_deref()
                .and_then(|t| settings.audio_encoder(t)),
        })
    }

    /// Whether the profile streams anything (else IncompleteConfiguration).
    pub(crate) fn any(&self) -> bool {
        self.video.is_some() || self.metadata.is_some() || self.audio.is_some()
    }

    /// Whether any of its streams has an IPv4 multicast group, the only kind served (else
    /// InvalidMulticastSettings).
    pub(crate) fn multicast(&self) -> bool {
        let group = |m: &Multicast| m.group().is_some();
        self.video.is_some_and(|e| group(&e.multicast))
            || self.metadata.is_some_and(|m| group(&m.multicast))
            || self.audio.is_some_and(|a| group(&a.multicast))
    }

    /// Whether any of its multicast streams asks to start with the device (AutoStart).
    pub(crate) fn auto_start(&self) -> bool {
        let auto = |m: &Multicast| m.auto_start && m.group().is_some();
        self.video.is_some_and(|e| auto(&e.multicast))
            || self.metadata.is_some_and(|m| auto(&m.multicast))
            || self.audio.is_some_and(|a| auto(&a.multicast))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_of_only_audio_streams_and_multicasts_its_audio() {
        let mut s = Settings::default();
        let sub = s
            .media
            .profiles
            .iter_mut()
            .find(|p| p.token == "sub")
            .unwrap();
        sub.video_source = None;
        sub.video_encoder = None;
        sub.metadata = None;
        let streamed = Streamed::of(&s, "sub").unwrap();
        assert!(!streamed.any() && !streamed.multicast());

        let sub = s
            .media
            .profiles
            .iter_mut()
            .find(|p| p.token == "sub")
            .unwrap();
        sub.audio_source = Some("asc0".into());
        sub.audio_encoder = Some("aenc0".into());
        let streamed = Streamed::of(&s, "sub").unwrap();
        assert!(streamed.any() && streamed.video.is_none());
        // The default audio encoder configuration has its group (239.255.42.42:5006).
        assert!(streamed.multicast(), "{streamed:?}");
        assert!(!streamed.auto_start());
        s.media.audio_encoders[0].multicast.auto_start = true;
        assert!(Streamed::of(&s, "sub").unwrap().auto_start());
        // An IPv6 group is not served: no multicast stream then, and no AutoStart.
        s.media.audio_encoders[0].multicast.address = "ff15::42".into();
        let streamed = Streamed::of(&s, "sub").unwrap();
        assert!(streamed.any() && !streamed.multicast() && !streamed.auto_start());
        assert!(Streamed::of(&s, "nope").is_none());
    }
}
