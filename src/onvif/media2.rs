//! The Media2 service (ONVIF Media2 Service Specification, ver20, `tr2`), implementing the
//! generated `Media2Service` over the same settings model as Media 1: the same profiles
//! (tokens, names, `fixed`) and the same configurations (issue 18, "one model, two views"),
//! so a change through either service shows in both.
//!
//! - `audio`: the audio encoder configuration and its options in Media 2's types (MIME
//!   encoding names; the audio source configuration is Media 1's: `onvif::media::audio`).
//! - `filter`: GetProfiles' Type filter and the configuration kinds the profiles can hold.
//! - `render`: profiles, the encoder configuration and its options in Media 2's types (the
//!   video source, metadata and PTZ configurations are Media 1's: `onvif::media::configs`).
//! - `stream`: the GetStreamUri protocols served (RtspUnicast, RtspMulticast, RTSP,
//!   RtspOverHttp) and refused (RTSPS: no TLS).
//! - `write`: the writes' requests as camera-core changes, and the refusals as faults.
//!
//! Reads: capabilities, profiles, configurations, options, encoder instances, stream and
//! snapshot URIs. Writes (Create/DeleteProfile, Add/RemoveConfiguration,
//! Set{VideoSource,VideoEncoder,Metadata}Configuration) are `camera::Change`s run by the
//! camera core, the transaction Media 1's writes take: the same rules, one settings write,
//! the media events from its diff. SetSynchronizationPoint and Start/StopMulticastStreaming
//! act on the profile's encoder as Media 1's do. The OSD operations answer
//! `ter:ActionNotSupported`, the generated default (docs/media2.md).
//!
//! Media 2 has no element of its own in GetCapabilities (Core, GetCapabilities: the
//! `tt:Capabilities` categories predate it, and its extension lists none): it is listed by
//! GetServices only.

pub(crate) mod audio;
pub(crate) mod filter;
pub(crate) mod render;
pub(crate) mod stream;
pub(crate) mod write;

use std::sync::Arc;

use crate::camera::change::ProfileChange;
use crate::camera::streamed::Streamed;
use crate::camera::{Camera, Change, Core, Outcome, encoder_source};
use crate::onvif::directory::{Advertised, Registration};
use crate::onvif::generated::{media2, tr2, tt};
use crate::onvif::media::audio as media_audio;
use crate::onvif::media::{
    NOTHING_TO_STREAM, audio_out, configs, incomplete, metadata_request, options, source_request,
    start_multicast, uri,
};
use crate::onvif::osd;
use crate::onvif::rt::{List, RequestContext, ToXml};
use crate::sdk::Codec;
use crate::settings::Settings;
use crate::settings::validate::MAX_PROFILES;
use crate::soap::{Code, Fault};
use crate::xml::XmlWriter;

use filter::Shown;
use stream::{Protocol, Refused};

/// Path of the Media2 (ver20) service.
pub(crate) const PATH: &str = "/onvif/media2_service";

/// The ports Media 2's URIs name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ports {
    pub(crate) rtsp: u16,
    pub(crate) http: u16,
}

/// The Media2 service over the camera core's settings and facts.
pub(crate) struct Media2 {
    core: Arc<Core>,
    /// The RTSP port stream URIs name.
    rtsp_port: u16,
    /// The web service's port, which RtspOverHttp URIs name (the web server passes tunnel
    /// halves to the RTSP server).
    http_port: u16,
    /// The PTZ service is registered (a video source has a head): profiles can hold PTZ.
    ptz: bool,
    /// The camera has a microphone nvt streams (`camera::audio_limits`): profiles can hold
    /// audio source and encoder configurations.
    audio: bool,
    /// The profiles' metadata tracks, which SetSynchronizationPoint restarts.
    metadata: Arc<crate::rtp::MetadataRegistry>,
}

fn no_profile(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoProfile"), format!("no profile {token:?}"))
}

fn no_config(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoConfig"), format!("no configuration {token:?}"))
}

fn invalid_stream_setup(reason: String) -> Fault {
    Fault::invalid_arg_val(Some("InvalidStreamSetup"), reason)
}

fn internal(reason: impl std::fmt::Display) -> Fault {
    Fault::new(Code::Receiver, &["Action"], reason.to_string())
}

fn config_modify(reason: String) -> Fault {
    Fault::invalid_arg_val(Some("ConfigModify"), reason)
}

/// A value CreateProfile or AddConfiguration cannot take (a name): the spec names no
/// subcode for it.
fn invalid(reason: String) -> Fault {
    Fault::invalid_arg_val(None, reason)
}

/// The Get<entity>Configurations request's tokens checked (Media2 spec,
/// "Get<entity>Configurations"): a profile that is none is NoProfile, a configuration that
/// is none NoConfig. Returns the one configuration asked for, if one was. Every
/// configuration is compatible with every profile (one model, any subset of configurations
/// per profile), so a profile token narrows nothing.
fn asked<'r>(
    s: &Settings,
    req: &'r tr2::GetConfiguration,
    exists: impl Fn(&str) -> bool,
) -> Result<Option<&'r str>, Fault> {
    if let Some(p) = &req.profile_token
        && s.profile(p).is_none()
    {
        return Err(no_profile(p));
    }
    match req.configuration_token.as_deref() {
        Some(t) if !exists(t) => Err(no_config(t)),
        t => Ok(t),
    }
}

impl Media2 {
    /// The board's speakers when it has one decoding G.711 (audio outputs and decoders are
    /// offered then only).
    fn speaker(&self) -> Option<crate::sdk::AudioOutCaps> {
        let speaker = self.core.camera()?.facts().speaker;
        (!audio_out::outputs(&speaker).is_empty()).then_some(speaker)
    }

    fn has_speaker(&self) -> bool {
        self.speaker().is_some()
    }

    /// The speaker, or the fault of a device without one (Media2 spec: a configuration
    /// type the device does not support is ActionNotSupported).
    fn need_speaker(&self, what: &str) -> Result<crate::sdk::AudioOutCaps, Fault> {
        self.speaker().ok_or_else(|| {
            Fault::new(
                Code::Receiver,
                &["ActionNotSupported", "AudioOutputNotSupported"],
                format!("the device has no audio output ({what})"),
            )
        })
    }
    /// `ptz`: whether the PTZ service is registered (ConfigurationsSupported names PTZ then).
    /// `core` must have the camera attached (`Core::with_hardware`).
    pub(crate) fn new(
        core: Arc<Core>,
        ports: Ports,
        ptz: bool,
        metadata: Arc<crate::rtp::MetadataRegistry>,
    ) -> Self {
        let audio = (core.camera()).is_some_and(|c| c.facts().audio.available());
        Media2 {
            core,
            rtsp_port: ports.rtsp,
            http_port: ports.http,
            ptz,
            audio,
            metadata,
        }
    }

    /// The microphone's limits, or the fault of a device without one (Media s5.10's
    /// AudioNotSupported: the Media2 spec names none of its own).
    fn audio_camera(&self) -> Result<Arc<Camera>, Fault> {
        let camera = self.camera()?;
        crate::onvif::media::audio::require(camera.facts().audio)?;
        Ok(camera)
    }

    fn settings(&self) -> Arc<Settings> {
        self.core.store().get()
    }

    fn camera(&self) -> Result<Arc<Camera>, Fault> {
        self.core
            .camera()
            .ok_or_else(|| internal("the camera is stopping"))
    }

    /// Runs a change through the camera core (one transaction: the rules Media 1's writes
    /// are held to, one settings write, the media events); `invalid` is the fault for a
    /// refused value.
    async fn change(&self, change: Change, invalid: fn(String) -> Fault) -> Result<Outcome, Fault> {
        self.core
            .apply(change)
            .await
            .map_err(|e| write::fault(e, invalid))
    }

    fn profile_exists(&self, token: &str) -> Result<(), Fault> {
        match self.settings().profile(token) {
            Some(_) => Ok(()),
            None => Err(no_profile(token)),
        }
    }

    /// The profile's encoder configuration token, or the fault a streaming operation gives
    /// (NoProfile, IncompleteConfiguration).
    fn streamed_profile(s: &Settings, token: &str) -> Result<String, Fault> {
        let p = s.profile(token).ok_or_else(|| no_profile(token))?;
        (p.video_encoder.clone()).ok_or_else(|| incomplete(token, "no video encoder configuration"))
    }

    /// The service's one registration: route and GetServices entry.
    pub(crate) fn registration(self) -> Registration {
        let entry = Media2Advertised {
            ptz: self.ptz,
            speaker: self.has_speaker(),
            audio: self.audio,
        };
        Registration::new(entry, media2::Service(self))
    }
}

impl media2::Media2Service for Media2 {
    async fn get_service_capabilities(
        &self,
        _: &RequestContext,
        _: tr2::GetServiceCapabilities,
    ) -> Result<tr2::GetServiceCapabilitiesResponse, Fault> {
        Ok(tr2::GetServiceCapabilitiesResponse {
            capabilities: capabilities(self.ptz, self.audio, self.has_speaker()),
        })
    }

    async fn get_profiles(
        &self,
        _: &RequestContext,
        req: tr2::GetProfiles,
    ) -> Result<tr2::GetProfilesResponse, Fault> {
        let s = self.settings();
        let camera = self.camera()?;
        let facts = camera.facts();
        let shown = (!req.type_.is_empty()).then(|| Shown::from_types(&req.type_));
        let listed: Vec<_> = match &req.token {
            Some(t) => vec![s.profile(t).ok_or_else(|| no_profile(t))?],
            None => s.media.profiles.iter().collect(),
        };
        Ok(tr2::GetProfilesResponse {
            profiles: listed
                .into_iter()
                .map(|p| render::profile(&s, &facts, p, shown))
                .collect(),
        })
    }

    /// Media2 spec, "CreateProfile": the device names the profile (`profile_N`, the lowest
    /// free N) and adds the listed configurations in the same change: a reference that is no
    /// configuration (NoConfig) or a conflict fails the create, and nothing is created.
    async fn create_profile(
        &self,
        _: &RequestContext,
        req: tr2::CreateProfile,
    ) -> Result<tr2::CreateProfileResponse, Fault> {
        let configs = write::to_add(&req.configuration, self.ptz, self.audio)?;
        let create = ProfileChange::Create {
            token: None,
            name: req.name,
            configs,
        };
        match self.change(Change::Profile(create), invalid).await? {
            Outcome::ProfileCreated(token) => Ok(tr2::CreateProfileResponse { token }),
            _ => Err(internal("no profile was created")),
        }
    }

    /// Media2 spec, "DeleteProfile": a fixed profile is `env:Sender/ter:Action/
    /// ter:DeletionOfFixedProfile`.
    async fn delete_profile(
        &self,
        _: &RequestContext,
        req: tr2::DeleteProfile,
    ) -> Result<tr2::DeleteProfileResponse, Fault> {
        let delete = ProfileChange::Delete { token: req.token };
        self.change(Change::Profile(delete), invalid).await?;
        Ok(Default::default())
    }

    /// Media2 spec, "AddConfiguration": the listed configurations (each replacing the one
    /// of its kind) and the new Name, all or none, as one change.
    async fn add_configuration(
        &self,
        _: &RequestContext,
        req: tr2::AddConfiguration,
    ) -> Result<tr2::AddConfigurationResponse, Fault> {
        self.profile_exists(&req.profile_token)?;
        let configs = write::to_add(&req.configuration, self.ptz, self.audio)?;
        let add = ProfileChange::Add {
            profile: req.profile_token,
            name: req.name,
            configs,
        };
        self.change(Change::Profile(add), invalid).await?;
        Ok(Default::default())
    }

    /// Media2 spec, "RemoveConfiguration": the listed kinds (tokens ignored), every kind
    /// for `All`, fixed profiles too; a kind the profile does not hold is no error.
    async fn remove_configuration(
        &self,
        _: &RequestContext,
        req: tr2::RemoveConfiguration,
    ) -> Result<tr2::RemoveConfigurationResponse, Fault> {
        let remove = ProfileChange::Remove {
            profile: req.profile_token,
            kinds: write::to_remove(&req.configuration),
        };
        self.change(Change::Profile(remove), invalid).await?;
        Ok(Default::default())
    }

    /// The change Media 1's SetVideoSourceConfiguration makes (the same `tt:` type).
    async fn set_video_source_configuration(
        &self,
        _: &RequestContext,
        req: tr2::SetVideoSourceConfiguration,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        let change = Change::VideoSource(source_request(&req.configuration));
        self.change(change, config_modify).await?;
        Ok(Default::default())
    }

    /// Media 2's encoder configuration through the same check as Media 1's
    /// (`EncoderLimits::check`), but for the bitrate, clamped into range (Media2 spec,
    /// "Set<entity>Configuration"), and the values Media 2 may leave out, kept
    /// (`write::encoder_request`).
    async fn set_video_encoder_configuration(
        &self,
        _: &RequestContext,
        req: tr2::SetVideoEncoderConfiguration,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        let c = req.configuration;
        if self.settings().encoder(&c.token).is_none() {
            return Err(no_config(&c.token));
        }
        let request = write::encoder_request(&c)?;
        self.change(Change::VideoEncoder(request), config_modify)
            .await?;
        Ok(Default::default())
    }

    /// The change Media 1's SetMetadataConfiguration makes (the same `tt:` type).
    async fn set_metadata_configuration(
        &self,
        _: &RequestContext,
        req: tr2::SetMetadataConfiguration,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        let c = &req.configuration;
        if configs::metadata(&self.settings(), &c.token).is_none() {
            return Err(no_config(&c.token));
        }
        self.change(Change::Metadata(metadata_request(c)?), config_modify)
            .await?;
        Ok(Default::default())
    }

    /// Media2 spec, "SetSynchronizationPoint": an IDR on the profile's encoder and a new
    /// metadata document, as Media 1 ([`super::media::synchronize`]); a profile without
    /// either has nothing to do (the spec's only fault is NoProfile).
    async fn set_synchronization_point(
        &self,
        _: &RequestContext,
        req: tr2::SetSynchronizationPoint,
    ) -> Result<tr2::SetSynchronizationPointResponse, Fault> {
        let s = self.settings();
        let p = (s.profile(&req.profile_token)).ok_or_else(|| no_profile(&req.profile_token))?;
        let encoder = p.video_encoder.clone();
        super::media::synchronize(
            self.camera()?.as_ref(),
            encoder.as_deref(),
            &self.metadata,
            &req.profile_token,
        )
        .await
        .map_err(internal)?;
        Ok(Default::default())
    }

    /// Media2 spec, "StartMulticastStreaming": the profile's encoder configuration's group,
    /// as Media 1 starts it (the same sender: one per encoder).
    async fn start_multicast_streaming(
        &self,
        _: &RequestContext,
        req: tr2::StartStopMulticastStreaming,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        self.profile_exists(&req.profile_token)?;
        let multicast =
            (self.core.multicast()).ok_or_else(|| internal("the camera is stopping"))?;
        let fault = |e| write::fault(e, config_modify);
        start_multicast(&self.core, multicast, &req.profile_token, fault).await?;
        Ok(Default::default())
    }

    /// Media2 spec, "StopMulticastStreaming": success also when none runs ("should").
    async fn stop_multicast_streaming(
        &self,
        _: &RequestContext,
        req: tr2::StartStopMulticastStreaming,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        self.profile_exists(&req.profile_token)?;
        let record = Change::Multicast {
            profile: req.profile_token.clone(),
            started: false,
        };
        self.change(record, config_modify).await?;
        if let Some(m) = self.core.multicast()
            && m.stop(&req.profile_token)
        {
            tracing::info!(profile = %req.profile_token, "multicast stopped (Media 2)");
        }
        Ok(Default::default())
    }

    async fn get_video_source_configurations(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetVideoSourceConfigurationsResponse, Fault> {
        let s = self.settings();
        let one = asked(&s, &req, |t| configs::video_source(&s, t).is_some())?;
        Ok(tr2::GetVideoSourceConfigurationsResponse {
            configurations: (s.media.video_sources.iter())
                .filter(|v| one.is_none_or(|t| t == v.token))
                .filter_map(|v| configs::video_source(&s, &v.token))
                .collect(),
        })
    }

    async fn get_video_encoder_configurations(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetVideoEncoderConfigurationsResponse, Fault> {
        let s = self.settings();
        let one = asked(&s, &req, |t| s.encoder(t).is_some())?;
        Ok(tr2::GetVideoEncoderConfigurationsResponse {
            configurations: (s.media.video_encoders.iter())
                .filter(|e| one.is_none_or(|t| t == e.token))
                .filter_map(|e| render::encoder(&s, &e.token))
                .collect(),
        })
    }

    // Audio outputs and decoders (Media2 spec, "Audio output configuration", "Audio decoder
    // configuration"): rendered as Media 1 does (`media::audio_out`).

    async fn get_audio_output_configurations(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetAudioOutputConfigurationsResponse, Fault> {
        self.need_speaker("GetAudioOutputConfigurations")?;
        let s = self.settings();
        let one = asked(&s, &req, |t| s.audio_output(t).is_some())?;
        // With a profile: those compatible with it, which is every one (a speaker belongs to
        // no video source).
        Ok(tr2::GetAudioOutputConfigurationsResponse {
            configurations: audio_out::output_configurations(&s)
                .into_iter()
                .filter(|c| one.is_none_or(|t| t == c.token))
                .collect(),
        })
    }

    async fn get_audio_output_configuration_options(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetAudioOutputConfigurationOptionsResponse, Fault> {
        let speaker = self.need_speaker("GetAudioOutputConfigurationOptions")?;
        let s = self.settings();
        asked(&s, &req, |t| s.audio_output(t).is_some())?;
        Ok(tr2::GetAudioOutputConfigurationOptionsResponse {
            options: audio_out::output_options(&speaker),
        })
    }

    async fn set_audio_output_configuration(
        &self,
        _: &RequestContext,
        req: tr2::SetAudioOutputConfiguration,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        self.need_speaker("SetAudioOutputConfiguration")?;
        let change = Change::AudioOutput(audio_out::output_request(&req.configuration));
        self.change(change, config_modify).await?;
        Ok(Default::default())
    }

    async fn get_audio_decoder_configurations(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetAudioDecoderConfigurationsResponse, Fault> {
        self.need_speaker("GetAudioDecoderConfigurations")?;
        let s = self.settings();
        let one = asked(&s, &req, |t| s.audio_decoder(t).is_some())?;
        Ok(tr2::GetAudioDecoderConfigurationsResponse {
            configurations: audio_out::decoder_configurations(&s)
                .into_iter()
                .filter(|c| one.is_none_or(|t| t == c.token))
                .collect(),
        })
    }

    async fn get_audio_decoder_configuration_options(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetAudioDecoderConfigurationOptionsResponse, Fault> {
        let speaker = self.need_speaker("GetAudioDecoderConfigurationOptions")?;
        let s = self.settings();
        asked(&s, &req, |t| s.audio_decoder(t).is_some())?;
        Ok(tr2::GetAudioDecoderConfigurationOptionsResponse {
            options: audio_out::decoder_options2(&speaker),
        })
    }

    async fn set_audio_decoder_configuration(
        &self,
        _: &RequestContext,
        req: tr2::SetAudioDecoderConfiguration,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        self.need_speaker("SetAudioDecoderConfiguration")?;
        let change = Change::AudioDecoder(audio_out::decoder_request(&req.configuration));
        self.change(change, config_modify).await?;
        Ok(Default::default())
    }

    async fn get_metadata_configurations(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetMetadataConfigurationsResponse, Fault> {
        let s = self.settings();
        let one = asked(&s, &req, |t| configs::metadata(&s, t).is_some())?;
        Ok(tr2::GetMetadataConfigurationsResponse {
            configurations: (s.media.metadata.iter())
                .filter(|m| one.is_none_or(|t| t == m.token))
                .filter_map(|m| configs::metadata(&s, &m.token))
                .collect(),
        })
    }

    async fn get_video_source_configuration_options(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetVideoSourceConfigurationOptionsResponse, Fault> {
        let s = self.settings();
        asked(&s, &req, |t| configs::video_source(&s, t).is_some())?;
        Ok(tr2::GetVideoSourceConfigurationOptionsResponse {
            options: options::source_options(self.camera()?.video_sources()),
        })
    }

    /// The options of the encoder asked for, of the profile's encoder, else of any encoder
    /// of the sensor the profile's video source (or the first) names: one entry per
    /// encoding the SDK has and nvt streams.
    async fn get_video_encoder_configuration_options(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetVideoEncoderConfigurationOptionsResponse, Fault> {
        let s = self.settings();
        let asked_encoder = asked(&s, &req, |t| s.encoder(t).is_some())?;
        let profile = req.profile_token.as_deref().and_then(|t| s.profile(t));
        let encoder = asked_encoder.or(profile.and_then(|p| p.video_encoder.as_deref()));
        let source = profile
            .and_then(|p| p.video_source.as_deref())
            .and_then(|t| s.media.video_sources.iter().find(|v| v.token == t));
        let vi = match (encoder, source) {
            (Some(e), _) => encoder_source(&s, e),
            (None, Some(v)) => v.source,
            (None, None) => 0,
        };
        let camera = self.camera()?;
        let limits = (camera.facts().encoder_limits(vi))
            .ok_or_else(|| internal(format!("no video source {vi}")))?;
        Ok(tr2::GetVideoEncoderConfigurationOptionsResponse {
            options: render::encoder_options(&limits),
        })
    }

    async fn get_metadata_configuration_options(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetMetadataConfigurationOptionsResponse, Fault> {
        let s = self.settings();
        asked(&s, &req, |t| configs::metadata(&s, t).is_some())?;
        Ok(tr2::GetMetadataConfigurationOptionsResponse {
            options: options::metadata_options(),
        })
    }

    /// Media2 spec, "GetVideoEncoderInstances": every encoder configuration has its own SDK
    /// channel, always encoding, so the guaranteed number is that of the encoder
    /// configurations of the configuration's sensor, all H.264 (the one encoding nvt
    /// streams).
    async fn get_video_encoder_instances(
        &self,
        _: &RequestContext,
        req: tr2::GetVideoEncoderInstances,
    ) -> Result<tr2::GetVideoEncoderInstancesResponse, Fault> {
        let s = self.settings();
        let n = configs::encoder_instances(&s, &req.configuration_token)
            .ok_or_else(|| no_config(&req.configuration_token))? as i32;
        let h264 = self.camera()?.encoder_caps().codecs.contains(&Codec::H264);
        let codec = (h264 && n > 0)
            .then(|| tr2::EncoderInstance {
                encoding: render::H264.to_owned(),
                number: n,
                ..Default::default()
            })
            .into_iter()
            .collect();
        Ok(tr2::GetVideoEncoderInstancesResponse {
            info: tr2::EncoderInstanceInfo {
                codec,
                total: n,
                ..Default::default()
            },
        })
    }

    /// Media2 spec, "GetStreamUri": the profile's RTSP URI, its multicast URL for
    /// RtspMulticast (`stream`); RTSPS is InvalidStreamSetup (no TLS), multicast without an
    /// IPv4 group InvalidMulticastSettings, a profile with no video encoder, metadata or
    /// audio encoder configuration IncompleteConfiguration.
    async fn get_stream_uri(
        &self,
        ctx: &RequestContext,
        req: tr2::GetStreamUri,
    ) -> Result<tr2::GetStreamUriResponse, Fault> {
        let s = self.settings();
        // Its video encoder's, metadata configuration's or audio encoder's stream, or any
        // of them (a profile of only audio is what the RTSS spec's HelperDeviceConfiguration
        // ForAudioStreamingUsingOnlyAudioInProfile streams; one of only metadata, the RTSS
        // metadata multicast cases): `camera::streamed`.
        let streamed =
            Streamed::of(&s, &req.profile_token).ok_or_else(|| no_profile(&req.profile_token))?;
        if !streamed.any() {
            return Err(incomplete(&req.profile_token, NOTHING_TO_STREAM));
        }
        let protocol = Protocol::parse(&req.protocol).map_err(|why| {
            invalid_stream_setup(match why {
                Refused::Secure => format!("{}: the device has no RTSPS (SRTP)", req.protocol),
                Refused::Unknown => format!("{:?} is no transport protocol", req.protocol),
            })
        })?;
        if protocol == Protocol::RtspMulticast && !streamed.multicast() {
            return Err(Fault::invalid_arg_val(
                Some("InvalidMulticastSettings"),
                "the profile's configurations have no IPv4 multicast group",
            ));
        }
        let uri = match protocol {
            Protocol::RtspMulticast => {
                uri::multicast(&ctx.host, self.rtsp_port, &req.profile_token)
            }
            Protocol::RtspOverHttp => uri::over_http(&ctx.host, self.http_port, &req.profile_token),
            _ => uri::stream(&ctx.host, self.rtsp_port, &req.profile_token),
        };
        // Only a long host name in the Host header gets here, or a long token with an IPv6
        // literal and the multicast suffix (`uri::MAX_URI_LEN`): the client can address the
        // camera by its IPv4 address.
        if uri.len() > uri::MAX_URI_LEN {
            return Err(internal(format!(
                "the stream URI would be {} octets, more than the {} Media 2 allows: \
                 address the camera by its IP address",
                uri.len(),
                uri::MAX_URI_LEN
            )));
        }
        Ok(tr2::GetStreamUriResponse { uri })
    }

    async fn get_snapshot_uri(
        &self,
        ctx: &RequestContext,
        req: tr2::GetSnapshotUri,
    ) -> Result<tr2::GetSnapshotUriResponse, Fault> {
        Self::streamed_profile(&self.settings(), &req.profile_token)?;
        Ok(tr2::GetSnapshotUriResponse {
            uri: uri::snapshot(&ctx.host, &req.profile_token),
        })
    }

    // Audio source and encoder configurations (`audio`; AudioNotSupported without a
    // microphone). Every one goes with every profile (one microphone): a profile token
    // narrows nothing, as for video (`asked`).

    async fn get_audio_source_configurations(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetAudioSourceConfigurationsResponse, Fault> {
        self.audio_camera()?;
        let s = self.settings();
        let one = asked(&s, &req, |t| {
            media_audio::source_configuration(&s, t).is_some()
        })?;
        Ok(tr2::GetAudioSourceConfigurationsResponse {
            configurations: (s.media.audio_sources.iter())
                .filter(|a| one.is_none_or(|t| t == a.token))
                .filter_map(|a| media_audio::source_configuration(&s, &a.token))
                .collect(),
        })
    }

    async fn get_audio_encoder_configurations(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetAudioEncoderConfigurationsResponse, Fault> {
        self.audio_camera()?;
        let s = self.settings();
        let one = asked(&s, &req, |t| s.audio_encoder(t).is_some())?;
        Ok(tr2::GetAudioEncoderConfigurationsResponse {
            configurations: (s.media.audio_encoders.iter())
                .filter(|e| one.is_none_or(|t| t == e.token))
                .filter_map(|e| audio::encoder(&s, &e.token))
                .collect(),
        })
    }

    async fn get_audio_source_configuration_options(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetAudioSourceConfigurationOptionsResponse, Fault> {
        let camera = self.audio_camera()?;
        let s = self.settings();
        asked(&s, &req, |t| {
            media_audio::source_configuration(&s, t).is_some()
        })?;
        Ok(tr2::GetAudioSourceConfigurationOptionsResponse {
            options: media_audio::source_options(camera.facts().audio),
        })
    }

    /// One entry per encoding the microphone offers (`camera::audio_limits`).
    async fn get_audio_encoder_configuration_options(
        &self,
        _: &RequestContext,
        req: tr2::GetConfiguration,
    ) -> Result<tr2::GetAudioEncoderConfigurationOptionsResponse, Fault> {
        let camera = self.audio_camera()?;
        let s = self.settings();
        asked(&s, &req, |t| s.audio_encoder(t).is_some())?;
        Ok(tr2::GetAudioEncoderConfigurationOptionsResponse {
            options: audio::encoder_options(camera.facts().audio),
        })
    }

    /// The change Media 1's SetAudioSourceConfiguration makes (the same `tt:` type).
    async fn set_audio_source_configuration(
        &self,
        _: &RequestContext,
        req: tr2::SetAudioSourceConfiguration,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        self.audio_camera()?;
        let change = Change::AudioSource(media_audio::source_request(&req.configuration));
        self.change(change, config_modify).await?;
        Ok(Default::default())
    }

    /// Encoding (a MIME subtype), bitrate and sample rate among the options, else
    /// ConfigModify; Multicast kept when left out. The profiles' RTSP audio tracks follow
    /// for new sessions (`crate::audio`).
    async fn set_audio_encoder_configuration(
        &self,
        _: &RequestContext,
        req: tr2::SetAudioEncoderConfiguration,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        self.audio_camera()?;
        let c = &req.configuration;
        if self.settings().audio_encoder(&c.token).is_none() {
            return Err(no_config(&c.token));
        }
        let request = audio::encoder_request(c)?;
        self.change(Change::AudioEncoder(request), config_modify)
            .await?;
        Ok(Default::default())
    }

    // On-screen display (Media2 s."OSD"): shared with Media 1 in `onvif::osd`.

    async fn get_os_ds(
        &self,
        _: &RequestContext,
        req: tr2::GetOSDs,
    ) -> Result<tr2::GetOSDsResponse, Fault> {
        let s = self.settings();
        let (osd_token, config) = (req.osd_token.as_deref(), req.configuration_token.as_deref());
        Ok(tr2::GetOSDsResponse {
            os_ds: osd::list(&s, osd_token, config)?,
        })
    }

    async fn get_osd_options(
        &self,
        _: &RequestContext,
        req: tr2::GetOSDOptions,
    ) -> Result<tr2::GetOSDOptionsResponse, Fault> {
        Ok(tr2::GetOSDOptionsResponse {
            osd_options: osd::options(&self.core, &req.configuration_token)?,
        })
    }

    async fn create_osd(
        &self,
        _: &RequestContext,
        req: tr2::CreateOSD,
    ) -> Result<tr2::CreateOSDResponse, Fault> {
        Ok(tr2::CreateOSDResponse {
            osd_token: osd::create(&self.core, osd::Service::Media2, &req.osd).await?,
        })
    }

    async fn set_osd(
        &self,
        _: &RequestContext,
        req: tr2::SetOSD,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        osd::set(&self.core, osd::Service::Media2, &req.osd).await?;
        Ok(tr2::SetConfigurationResponse::default())
    }

    async fn delete_osd(
        &self,
        _: &RequestContext,
        req: tr2::DeleteOSD,
    ) -> Result<tr2::SetConfigurationResponse, Fault> {
        osd::delete(&self.core, osd::Service::Media2, &req.osd_token).await?;
        Ok(tr2::SetConfigurationResponse::default())
    }
}

/// GetServiceCapabilities (Media2 spec, "GetServiceCapabilities"), also GetServices' entry:
/// what nvt really does. Snapshots, RTSP over UDP, TCP, the HTTP tunnel and multicast;
/// MaximumNumberOfProfiles and ConfigurationsSupported (both "shall"); multicast without
/// RTSP (AutoStartMulticast: StartMulticastStreaming, and an encoder configuration's
/// AutoStart); OSD (text: `onvif::osd`). Not offered: temporary OSD text, rotation, video
/// source modes, masks, RTSPS, RTSP over WebSocket.
fn capabilities(ptz: bool, audio: bool, speaker: bool) -> tr2::Capabilities2 {
    tr2::Capabilities2 {
        snapshot_uri: Some(true),
        rotation: Some(false),
        video_source_mode: Some(false),
        osd: Some(true),
        temporary_osd_text: Some(false),
        mask: Some(false),
        source_mask: Some(false),
        profile_capabilities: tr2::ProfileCapabilities {
            maximum_number_of_profiles: Some(MAX_PROFILES as i32),
            configurations_supported: Some(List(filter::configurations_supported(
                ptz, audio, speaker,
            ))),
            ..Default::default()
        },
        streaming_capabilities: tr2::StreamingCapabilities {
            rtsp_streaming: Some(true),
            rtp_multicast: Some(true),
            rtp_rtsp_tcp: Some(true),
            non_aggregate_control: Some(false),
            auto_start_multicast: Some(true),
            secure_rtsp_streaming: Some(false),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The Media2 service's entry in GetServices.
pub(crate) struct Media2Advertised {
    ptz: bool,
    /// The board has a speaker (AudioOutput and AudioDecoder in ConfigurationsSupported).
    speaker: bool,
    audio: bool,
}

impl Advertised for Media2Advertised {
    fn namespace(&self) -> &'static str {
        media2::NAMESPACE
    }

    fn path(&self) -> &'static str {
        PATH
    }

    fn write_capabilities(&self, w: &mut XmlWriter) {
        capabilities(self.ptz, self.audio, self.speaker).to_xml(w, "tr2:Capabilities");
    }

    /// GetCapabilities has no Media2 category (its `tt:Capabilities` names Analytics,
    /// Device, Events, Imaging, Media, PTZ and, under Extension, services Media2 is none
    /// of): asking for `Media` is answered by Media 1, which fills it.
    fn category(&self) -> tt::CapabilityCategory {
        tt::CapabilityCategory::Media
    }

    /// Nothing: see [`Self::category`]. GetServices is where clients find Media 2.
    fn fill_capabilities(&self, _: &mut tt::Capabilities, _: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_name_what_is_served() {
        let c = capabilities(true, true, false);
        assert_eq!(c.snapshot_uri, Some(true));
        assert_eq!(c.osd, Some(true), "OSD: onvif::osd");
        let p = &c.profile_capabilities;
        assert_eq!(p.maximum_number_of_profiles, Some(MAX_PROFILES as i32));
        assert_eq!(
            p.configurations_supported.as_ref().unwrap().0,
            [
                "VideoSource",
                "VideoEncoder",
                "AudioSource",
                "AudioEncoder",
                "Metadata",
                "PTZ"
            ]
        );
        let st = &c.streaming_capabilities;
        assert_eq!(
            (st.rtsp_streaming, st.rtp_multicast, st.rtp_rtsp_tcp),
            (Some(true), Some(true), Some(true))
        );
        assert_eq!(st.secure_rtsp_streaming, Some(false));
        // Start/StopMulticastStreaming and AutoStart: multicast without RTSP.
        assert_eq!(st.auto_start_multicast, Some(true));
        assert!(st.rtsp_web_socket_uri.is_none());
        let without = capabilities(false, false, false);
        assert!(
            !(without
                .profile_capabilities
                .configurations_supported
                .unwrap()
                .0)
                .contains(&"PTZ".to_owned())
        );
    }

    /// GetServices' entry and GetServiceCapabilities are one value (MEDIA2-7-1-2), and
    /// GetCapabilities gets nothing from Media 2.
    #[test]
    fn advertised_in_get_services_only() {
        let entry = Media2Advertised {
            ptz: false,
            speaker: false,
            audio: false,
        };
        let mut w = XmlWriter::new();
        entry.write_capabilities(&mut w);
        let mut direct = XmlWriter::new();
        capabilities(false, false, false).to_xml(&mut direct, "tr2:Capabilities");
        assert_eq!(w.as_str(), direct.as_str());
        assert!(
            w.as_str()
                .contains("ConfigurationsSupported=\"VideoSource VideoEncoder Metadata\"")
        );
        let mut caps = tt::Capabilities::default();
        entry.fill_capabilities(&mut caps, "http://x/onvif/media2_service");
        assert_eq!(caps, tt::Capabilities::default());
    }

    #[test]
    fn configuration_requests_check_their_tokens() {
        let s = Settings::default();
        let req = |profile: Option<&str>, config: Option<&str>| tr2::GetConfiguration {
            profile_token: profile.map(String::from),
            configuration_token: config.map(String::from),
        };
        let exists = |t: &str| t == "vsc0";
        assert_eq!(asked(&s, &req(None, None), exists).unwrap(), None);
        assert_eq!(
            asked(&s, &req(Some("main"), Some("vsc0")), exists).unwrap(),
            Some("vsc0")
        );
        let f = asked(&s, &req(Some("nope"), None), exists).unwrap_err();
        assert_eq!(f.subcodes, ["InvalidArgVal", "NoProfile"]);
        let f = asked(&s, &req(None, Some("vsc9")), exists).unwrap_err();
        assert_eq!(f.subcodes, ["InvalidArgVal", "NoConfig"]);
    }
}
