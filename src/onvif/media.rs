//! The Media service (ONVIF Media 1, `trt`, ver10), implementing the generated
//! `MediaService` over the settings model, the camera (SDK encoders) and the streams.
//!
//! - Every change is translated into a `camera::Change` and run by the camera core (one
//!   transaction under the settings writer lock: validated once, applied to the SDK,
//!   persisted atomically, then to the RTSP paths), so what clients read back is what the
//!   encoder does and what survives a restart, and no change from another service is lost.
//! - SetVideoEncoderConfiguration reconfigures the SDK encoder at once. Viewers already
//!   playing stay connected and get the next IDR with the new SPS/PPS in band (RFC 6184 s8.4);
//!   the next DESCRIBE waits for those parameter sets, so it describes the new stream
//!   (`StreamHub::expect_new_params`). Values outside the SDK's capabilities are refused with
//!   `env:Sender/ter:InvalidArgVal/ter:ConfigModify` before anything changes.
//! - Profiles are the RTSP paths: `rtsp://host:port/<profile token>` plays the profile's
//!   video encoder configuration; CreateProfile/DeleteProfile and Add/Remove of a video
//!   encoder configuration add and remove paths (`Streams::sync_profiles`).
//! - A video encoder configuration's SessionTimeout is the RTSP session timeout of its
//!   streams (`Streams::apply_encoder` sets it on the hub); sessions keep the value their
//!   SETUP announced.
//! - A profile's PTZ configuration is shown as the PTZ service shows it
//!   (`onvif::ptz::config::configuration`, one rendering for both services): Frigate and
//!   Home Assistant read the default spaces off the profile. Add/RemovePTZConfiguration are
//!   profile changes like the others (Media service specification, "Media Profile").
//! - The OSD operations (Media s."OSD") delegate to `onvif::osd`, which Media 2 shares.
//! - Fault subcodes are those of the Media service specification (NoProfile, NoConfig,
//!   ConfigModify, ProfileExists, MaxNVTProfiles, DeletionOfFixedProfile,
//!   IncompleteConfiguration, ConfigurationConflict, InvalidStreamSetup, PTZNotSupported).
//!
//! What is left out is listed in docs/media.md.

pub(crate) mod audio;
pub(crate) mod audio_out;
pub mod configs;
pub(crate) mod metadata_filter;
pub mod options;
pub mod uri;

use std::sync::Arc;

use crate::camera::change::{
    BitrateMode, EncoderRequest, H264Request, MetadataRequest, ProfileChange, RateRequest,
    SourceRequest,
};
use crate::camera::streamed::Streamed;
use crate::camera::{
    Camera, Change, ChangeError, Core, EncoderLimits, Outcome, encoder_source, source_token,
};
use crate::onvif::directory::{Advertised, Registration};
use crate::onvif::generated::{media, trt, tt};
use crate::onvif::osd;
use crate::onvif::rt::{RequestContext, ToXml};
use crate::rtsp::{MulticastControl, MulticastError};
use crate::sdk::Codec;
pub(crate) use crate::settings::validate::MAX_PROFILES;
use crate::settings::{Multicast, Profile, Settings, VideoEncoderConfig};
use crate::soap::{Code, Fault};
use crate::xml::XmlWriter;
use configs::{duration, multicast_to_tt, use_count};

/// What the Media service needs of the running daemon.
pub struct MediaHooks {
    /// The RTSP port stream URIs name.
    pub rtsp_port: u16,
    /// Start/StopMulticastStreaming.
    pub multicast: MulticastControl,
    /// The profiles' metadata tracks: SetSynchronizationPoint starts a new document of
    /// their current states (ONVIF Streaming, "RTP for Metadata stream").
    pub metadata: Arc<crate::rtp::MetadataRegistry>,
}

/// SetSynchronizationPoint of both Media services (Media s5.17.x, Media2 s5.x
/// "SetSynchronizationPoint"): an IDR on the profile's encoder, if it has one, and, where
/// the profile carries a metadata track, a new document of the current states ("the
/// previous XML document shall be closed and a new one started"; throttled with PLAY's
/// requests: one a second per stream). An audio track needs nothing: every G.711 packet
/// and every AAC access unit decodes on its own, so any packet is a synchronization point.
pub(crate) async fn synchronize(
    camera: &Camera,
    encoder: Option<&str>,
    metadata: &crate::rtp::MetadataRegistry,
    profile: &str,
) -> Result<(), String> {
    if let Some(encoder) = encoder {
        let channel = camera
            .channel(encoder)
            .ok_or_else(|| format!("no encoder channel for {encoder:?}"))?;
        // An SDK call may block: on the blocking pool, never on an async worker.
        tokio::task::spawn_blocking(move || channel.request_idr())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    if let Some(m) = metadata.get(profile) {
        m.request_keyframe(std::time::Instant::now());
    }
    Ok(())
}

pub struct Media {
    /// Every change goes through it; reads take the settings and the camera from it.
    core: Arc<Core>,
    hooks: MediaHooks,
}

/// The fault for a multicast sender that could not start (Media and Media2
/// StartMulticastStreaming).
fn multicast_start_fault(token: &str, e: MulticastError) -> Fault {
    match e {
        // No stream to send: an audio-only profile on a board without a microphone has no
        // audio track.
        MulticastError::NoStream(_) => {
            incomplete(token, "no stream to send (no microphone for its audio)")
        }
        MulticastError::NoGroup(_) => Fault::action(
            "IncompleteConfiguration",
            "the profile has no IPv4 multicast group",
        ),
        e => internal(e),
    }
}

/// StartMulticastStreaming of both Media services, once the profile is known to stream:
/// starts its senders and records it, so it continues after a reboot (Media and Media2
/// WSDL, StartMulticastStreaming: "The streaming shall continue after a reboot of the
/// device until a StopMulticastStreaming request is received"). What cannot be recorded
/// does not run either. `fault` maps the record's error as the service does.
pub(crate) async fn start_multicast(
    core: &Arc<Core>,
    multicast: &MulticastControl,
    token: &str,
    fault: impl FnOnce(ChangeError) -> Fault,
) -> Result<(), Fault> {
    (multicast.start(token)).map_err(|e| multicast_start_fault(token, e))?;
    let record = Change::Multicast {
        profile: token.to_owned(),
        started: true,
    };
    if let Err(e) = core.apply(record).await {
        multicast.stop(token);
        return Err(fault(e));
    }
    tracing::info!(profile = %token, "multicast started");
    Ok(())
}

/// What a profile that streams nothing lacks (IncompleteConfiguration's text).
pub(crate) const NOTHING_TO_STREAM: &str =
    "nothing to stream (no video encoder, metadata or audio encoder configuration)";

fn no_profile(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoProfile"), format!("no profile {token:?}"))
}

fn no_config(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoConfig"), format!("no configuration {token:?}"))
}

fn config_modify(reason: impl Into<String>) -> Fault {
    Fault::invalid_arg_val(Some("ConfigModify"), reason.into())
}

/// IncompleteConfiguration (Media and Media2): the profile lacks what the request needs
/// (`missing`, as "has ...").
pub(crate) fn incomplete(token: &str, missing: &str) -> Fault {
    Fault::action(
        "IncompleteConfiguration",
        format!("profile {token:?} has {missing}"),
    )
}

/// Media spec, AddPTZConfiguration: on a device (or a configuration's video source) without
/// a PTZ head.
fn no_ptz(reason: impl Into<String>) -> Fault {
    Fault::new(
        Code::Receiver,
        &["ActionNotSupported", "PTZNotSupported"],
        reason.into(),
    )
}

/// Media s5.21-s5.22: no audio output.
fn no_audio_output() -> Fault {
    Fault::new(
        Code::Receiver,
        &["ActionNotSupported", "AudioOutputNotSupported"],
        "the device has no audio output",
    )
}

/// Media s5.23: no audio decoding.
fn no_audio_decoding() -> Fault {
    Fault::new(
        Code::Receiver,
        &["ActionNotSupported", "AudioDecodingNotSupported"],
        "the device has no audio decoder",
    )
}

fn internal(reason: impl std::fmt::Display) -> Fault {
    Fault::new(Code::Receiver, &["Action"], reason.to_string())
}

/// A profile's audio output and decoder configurations (`tt:ProfileExtension`); None when it
/// holds neither.
fn audio_extension(s: &Settings, p: &Profile) -> Option<tt::ProfileExtension> {
    let output = (p.audio_output.as_deref()).and_then(|t| audio_out::output_configuration(s, t));
    let decoder = (p.audio_decoder.as_deref()).and_then(|t| audio_out::decoder_configuration(s, t));
    (output.is_some() || decoder.is_some()).then(|| tt::ProfileExtension {
        audio_output_configuration: output,
        audio_decoder_configuration: decoder,
        ..Default::default()
    })
}

/// The Media fault for a refused change; `invalid` is the fault of a value the operation
/// cannot take (ConfigModify for Set*, plain InvalidArgVal for CreateProfile). Media 2 gives
/// the same subcodes (its spec names the same ones).
pub(crate) fn change_fault(e: ChangeError, invalid: fn(String) -> Fault) -> Fault {
    match e {
        ChangeError::NoProfile(t) => no_profile(&t),
        ChangeError::NoConfig(t) => no_config(&t),
        ChangeError::NoSource(t) => config_modify(format!("no video source {t:?}")),
        ChangeError::Invalid(r) => invalid(r),
        ChangeError::Conflict(r) => Fault::action("ConfigurationConflict", r),
        ChangeError::FixedProfile(t) => {
            Fault::action("DeletionOfFixedProfile", format!("profile {t:?} is fixed"))
        }
        ChangeError::MaxProfiles => {
            Fault::action("MaxNVTProfiles", format!("at most {MAX_PROFILES} profiles"))
        }
        ChangeError::MaxOsds(n) => {
            Fault::action("MaxOSDs", format!("at most {n} OSDs on this video source"))
        }
        ChangeError::ProfileExists(t) => {
            Fault::invalid_arg_val(Some("ProfileExists"), format!("profile {t:?} exists"))
        }
        // Media 1 has no subcode for a malformed token: env:Sender/ter:InvalidArgVal.
        ChangeError::BadToken(r) => Fault::invalid_arg_val(None, r),
        // Of the PTZ refusals only one reaches Media (AddPTZConfiguration of a configuration
        // whose video source has no head): Receiver/ActionNotSupported/PTZNotSupported.
        ChangeError::Ptz(e) => no_ptz(e.to_string()),
        e @ (ChangeError::User(_)
        | ChangeError::Scope(_)
        | ChangeError::Network(_)
        | ChangeError::Io(_)
        | ChangeError::Hardware(_)
        | ChangeError::Storage(_)
        | ChangeError::Stopping) => internal(e),
    }
}

/// A MulticastConfiguration in the model's terms. Only decoding: the rules (a multicast
/// group, an even RTP port, a TTL of at least 1) are the settings model's, checked once by
/// the camera core's plan (`settings::validate`).
pub(crate) fn multicast_from_tt(m: &tt::MulticastConfiguration) -> Result<Multicast, Fault> {
    let address = match (&m.address.type_, &m.address.ipv4_address) {
        (tt::IPType::IPv4, Some(a)) => a.trim().to_owned(),
        _ => return Err(config_modify("only IPv4 multicast groups are supported")),
    };
    if address.parse::<std::net::Ipv4Addr>().is_err() {
        return Err(config_modify(format!("{address:?} is not an IPv4 address")));
    }
    let port = u16::try_from(m.port)
        .map_err(|_| config_modify(format!("multicast port {} outside 0..=65535", m.port)))?;
    let ttl = u8::try_from(m.ttl)
        .map_err(|_| config_modify(format!("multicast TTL {} outside 0..=255", m.ttl)))?;
    Ok(Multicast {
        address,
        port,
        ttl,
        auto_start: m.auto_start,
    })
}

/// A SessionTimeout duration in whole seconds (its bounds are checked by the camera core's
/// plan, with the other values).
fn session_timeout(s: &str) -> Result<u32, Fault> {
    let d = crate::xml::xsd::parse_duration(s.trim())
        .filter(|d| !d.negative)
        .and_then(|d| d.approx_millis())
        .ok_or_else(|| config_modify(format!("session timeout {s:?} is not a duration")))?;
    Ok(u32::try_from(d / 1000).unwrap_or(u32::MAX))
}

/// SetVideoSourceConfiguration's request as a change (Media 1 and Media 2 send the same
/// `tt:VideoSourceConfiguration`).
pub(crate) fn source_request(c: &tt::VideoSourceConfiguration) -> SourceRequest {
    let b = &c.bounds;
    SourceRequest {
        token: c.token.clone(),
        name: c.name.clone(),
        source_token: c.source_token.clone(),
        bounds: (b.x, b.y, b.width, b.height),
    }
}

/// SetMetadataConfiguration's request as a change (Media 1 and Media 2 send the same
/// `tt:MetadataConfiguration`).
pub(crate) fn metadata_request(c: &tt::MetadataConfiguration) -> Result<MetadataRequest, Fault> {
    Ok(MetadataRequest {
        token: c.token.clone(),
        name: c.name.clone(),
        analytics: c.analytics.unwrap_or(false),
        events: c.events.is_some(),
        ptz_status: c
            .ptz_status
            .as_ref()
            .is_some_and(|p| p.status || p.position),
        analytics_engine: c.analytics_engine_configuration.is_some(),
        multicast: multicast_from_tt(&c.multicast)?,
        session_timeout_secs: session_timeout(&c.session_timeout)?,
        events_filter: metadata_filter::components(c.events.as_ref()),
    })
}

impl Media {
    /// The profiles' metadata tracks (Media 2 synchronises them too).
    pub(crate) fn metadata_tracks(&self) -> Arc<crate::rtp::MetadataRegistry> {
        self.hooks.metadata.clone()
    }

    /// `core` must have the camera and the streams attached (`Core::with_hardware`).
    pub fn new(core: Arc<Core>, hooks: MediaHooks) -> Self {
        Media { core, hooks }
    }

    fn settings(&self) -> Arc<Settings> {
        self.core.store().get()
    }

    /// Runs a change through the camera core; `invalid` is the fault for refused values.
    async fn change(&self, change: Change, invalid: fn(String) -> Fault) -> Result<Outcome, Fault> {
        self.core
            .apply(change)
            .await
            .map_err(|e| change_fault(e, invalid))
    }

    /// Starts multicast for every profile one of whose streams' configurations (video
    /// encoder, metadata, audio encoder) has AutoStart, and for every profile a client
    /// started and did not stop (`multicast_started`).
    pub(crate) fn auto_start_multicast(&self) {
        let s = self.settings();
        for p in &s.media.profiles {
            let auto = Streamed::of(&s, &p.token).is_some_and(|st| st.auto_start());
            // Started by a client before the restart, never stopped (Media WSDL,
            // StartMulticastStreaming: "shall continue after a reboot").
            let started = s.media.multicast_started.contains(&p.token);
            if auto || started {
                let why = if started {
                    "started before"
                } else {
                    "AutoStart"
                };
                match self.hooks.multicast.start(&p.token) {
                    Ok(()) => tracing::info!(profile = %p.token, "multicast started ({why})"),
                    Err(e) => tracing::warn!(profile = %p.token, error = %e, "multicast AutoStart"),
                }
            }
        }
    }

    fn camera(&self) -> Result<Arc<Camera>, Fault> {
        self.core
            .camera()
            .ok_or_else(|| internal("the camera is stopping"))
    }

    fn encoder_configuration(
        &self,
        s: &Settings,
        token: &str,
    ) -> Option<tt::VideoEncoderConfiguration> {
        let e = s.encoder(token)?;
        Some(tt::VideoEncoderConfiguration {
            token: e.token.clone(),
            name: e.name.clone(),
            use_count: use_count(s, |p| p.video_encoder.as_deref() == Some(token)),
            guaranteed_frame_rate: Some(false),
            encoding: tt::VideoEncoding::H264,
            resolution: tt::VideoResolution {
                width: e.width as i32,
                height: e.height as i32,
            },
            quality: e.quality as f32,
            rate_control: Some(tt::VideoRateControl {
                frame_rate_limit: e.fps as i32,
                encoding_interval: 1,
                bitrate_limit: e.bitrate_kbps as i32,
            }),
            h264: Some(tt::H264Configuration {
                gov_length: e.gop as i32,
                h264_profile: options::h264_profile(e.h264_profile),
            }),
            multicast: multicast_to_tt(&e.multicast),
            session_timeout: duration(e.session_timeout_secs),
            ..Default::default()
        })
    }

    /// The PTZ configuration `token` as the PTZ service shows it (None without a head).
    fn ptz_configuration(&self, s: &Settings, token: &str) -> Option<tt::PTZConfiguration> {
        configs::ptz(s, &self.core.camera()?.facts(), token)
    }

    fn profile(&self, s: &Settings, p: &Profile) -> tt::Profile {
        tt::Profile {
            token: p.token.clone(),
            fixed: Some(p.fixed),
            name: p.name.clone(),
            video_source_configuration: p
                .video_source
                .as_deref()
                .and_then(|t| configs::video_source(s, t)),
            video_encoder_configuration: p
                .video_encoder
                .as_deref()
                .and_then(|t| self.encoder_configuration(s, t)),
            metadata_configuration: p.metadata.as_deref().and_then(|t| configs::metadata(s, t)),
            ptz_configuration: p.ptz.as_deref().and_then(|t| self.ptz_configuration(s, t)),
            extension: audio_extension(s, p),
            audio_source_configuration: (p.audio_source.as_deref())
                .and_then(|t| audio::source_configuration(s, t)),
            audio_encoder_configuration: (p.audio_encoder.as_deref())
                .and_then(|t| audio::encoder_configuration(s, t)),
            ..Default::default()
        }
    }

    /// The board's speakers, or the fault of a device without audio outputs (Media s5.21).
    fn speaker(&self) -> Result<crate::sdk::AudioOutCaps, Fault> {
        let speaker = self.camera()?.facts().speaker;
        if audio_out::outputs(&speaker).is_empty() {
            return Err(no_audio_output());
        }
        Ok(speaker)
    }

    /// The board's speakers, or the fault of a device without audio decoding (Media s5.23).
    fn decoder(&self) -> Result<crate::sdk::AudioOutCaps, Fault> {
        self.speaker().map_err(|_| no_audio_decoding())
    }

    /// The camera, when it has a microphone nvt can stream (else the spec's
    /// AudioNotSupported: Media s5.10-s5.12).
    fn audio_camera(&self) -> Result<Arc<Camera>, Fault> {
        let camera = self.camera()?;
        audio::require(camera.facts().audio)?;
        Ok(camera)
    }

    /// A profile token checked (NoProfile), for the GetCompatible* and Get*Options
    /// requests.
    fn check_profile(&self, token: Option<&str>) -> Result<(), Fault> {
        match token {
            Some(t) if self.settings().profile(t).is_none() => Err(no_profile(t)),
            _ => Ok(()),
        }
    }

    /// The profile's encoder configuration token, or the fault a streaming operation gives.
    fn streamed_profile(&self, token: &str) -> Result<String, Fault> {
        let s = self.settings();
        let p = s.profile(token).ok_or_else(|| no_profile(token))?;
        (p.video_encoder.clone()).ok_or_else(|| incomplete(token, "no video encoder configuration"))
    }

    /// Whether the profile streams anything (its video, metadata or audio: a profile of
    /// only audio configurations streams its sound, RTSS-2-2-11), and whether any of that
    /// has a multicast group; NoProfile or IncompleteConfiguration otherwise.
    fn stream_of(&self, token: &str) -> Result<bool, Fault> {
        let s = self.settings();
        let streamed = Streamed::of(&s, token).ok_or_else(|| no_profile(token))?;
        if !streamed.any() {
            return Err(incomplete(token, NOTHING_TO_STREAM));
        }
        Ok(streamed.multicast())
    }

    /// What a configuration may hold on this hardware (the limits the camera core checks
    /// a change against), from the video source it encodes.
    fn limits(
        camera: &Camera,
        settings: &Settings,
        encoder: Option<&VideoEncoderConfig>,
    ) -> Result<EncoderLimits, Fault> {
        let vi = encoder.map_or(0, |e| encoder_source(settings, &e.token));
        camera
            .facts()
            .encoder_limits(vi)
            .ok_or_else(|| internal(format!("no video source {vi}")))
    }

    /// SetVideoEncoderConfiguration's request as a change (checked by the camera core).
    fn encoder_request(c: &tt::VideoEncoderConfiguration) -> Result<EncoderRequest, Fault> {
        let codec = match c.encoding {
            tt::VideoEncoding::H264 => Some(Codec::H264),
            tt::VideoEncoding::JPEG => Some(Codec::Mjpeg),
            tt::VideoEncoding::MPEG4 => None,
        };
        Ok(EncoderRequest {
            token: c.token.clone(),
            name: c.name.clone(),
            codec,
            codec_label: format!("{:?}", c.encoding),
            guaranteed_frame_rate: c.guaranteed_frame_rate == Some(true),
            width: c.resolution.width,
            height: c.resolution.height,
            quality: c.quality,
            rate: c.rate_control.as_ref().map(|rc| RateRequest {
                fps: rc.frame_rate_limit as f32,
                encoding_interval: rc.encoding_interval,
                bitrate_kbps: rc.bitrate_limit,
            }),
            h264: c.h264.as_ref().map(|h| H264Request {
                gov_length: Some(h.gov_length),
                profile: Some(
                    options::sdk_h264_profile(&h.h264_profile)
                        .ok_or_else(|| format!("{:?}", h.h264_profile)),
                ),
            }),
            // Media 1's configuration has no ConstantBitRate: the stored rate control.
            constant_bit_rate: None,
            multicast: Some(multicast_from_tt(&c.multicast)?),
            session_timeout_secs: Some(session_timeout(&c.session_timeout)?),
            bitrate: BitrateMode::Refuse,
        })
    }

    /// A profile operation through the camera core.
    async fn change_profile(&self, change: ProfileChange) -> Result<Outcome, Fault> {
        self.change(Change::Profile(change), |r| Fault::invalid_arg_val(None, r))
            .await
    }
}

impl media::MediaService for Media {
    async fn get_service_capabilities(
        &self,
        _: &RequestContext,
        _: trt::GetServiceCapabilities,
    ) -> Result<trt::GetServiceCapabilitiesResponse, Fault> {
        Ok(trt::GetServiceCapabilitiesResponse {
            capabilities: MediaAdvertised::capabilities(),
        })
    }

    async fn get_profiles(
        &self,
        _: &RequestContext,
        _: trt::GetProfiles,
    ) -> Result<trt::GetProfilesResponse, Fault> {
        let s = self.settings();
        Ok(trt::GetProfilesResponse {
            profiles: s
                .media
                .profiles
                .iter()
                .map(|p| self.profile(&s, p))
                .collect(),
        })
    }

    async fn get_profile(
        &self,
        _: &RequestContext,
        req: trt::GetProfile,
    ) -> Result<trt::GetProfileResponse, Fault> {
        let s = self.settings();
        let p = s
            .profile(&req.profile_token)
            .ok_or_else(|| no_profile(&req.profile_token))?;
        Ok(trt::GetProfileResponse {
            profile: self.profile(&s, p),
        })
    }

    async fn create_profile(
        &self,
        _: &RequestContext,
        req: trt::CreateProfile,
    ) -> Result<trt::CreateProfileResponse, Fault> {
        let created = self
            .change_profile(ProfileChange::Create {
                token: req.token,
                name: req.name,
                configs: Vec::new(),
            })
            .await?;
        let Outcome::ProfileCreated(token) = created else {
            return Err(internal("no profile was created"));
        };
        let s = self.settings();
        let p = s.profile(&token).ok_or_else(|| no_profile(&token))?;
        Ok(trt::CreateProfileResponse {
            profile: self.profile(&s, p),
        })
    }

    async fn delete_profile(
        &self,
        _: &RequestContext,
        req: trt::DeleteProfile,
    ) -> Result<trt::DeleteProfileResponse, Fault> {
        self.change_profile(ProfileChange::Delete {
            token: req.profile_token,
        })
        .await?;
        Ok(trt::DeleteProfileResponse::default())
    }

    async fn add_video_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddVideoSourceConfiguration,
    ) -> Result<trt::AddVideoSourceConfigurationResponse, Fault> {
        self.change_profile(ProfileChange::VideoSource {
            profile: req.profile_token,
            config: Some(req.configuration_token),
        })
        .await?;
        Ok(Default::default())
    }

    async fn remove_video_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveVideoSourceConfiguration,
    ) -> Result<trt::RemoveVideoSourceConfigurationResponse, Fault> {
        self.change_profile(ProfileChange::VideoSource {
            profile: req.profile_token,
            config: None,
        })
        .await?;
        Ok(Default::default())
    }

    async fn add_video_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddVideoEncoderConfiguration,
    ) -> Result<trt::AddVideoEncoderConfigurationResponse, Fault> {
        self.change_profile(ProfileChange::VideoEncoder {
            profile: req.profile_token,
            config: Some(req.configuration_token),
        })
        .await?;
        Ok(Default::default())
    }

    async fn remove_video_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveVideoEncoderConfiguration,
    ) -> Result<trt::RemoveVideoEncoderConfigurationResponse, Fault> {
        self.change_profile(ProfileChange::VideoEncoder {
            profile: req.profile_token,
            config: None,
        })
        .await?;
        Ok(Default::default())
    }

    async fn add_metadata_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddMetadataConfiguration,
    ) -> Result<trt::AddMetadataConfigurationResponse, Fault> {
        self.change_profile(ProfileChange::Metadata {
            profile: req.profile_token,
            config: Some(req.configuration_token),
        })
        .await?;
        Ok(Default::default())
    }

    async fn remove_metadata_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveMetadataConfiguration,
    ) -> Result<trt::RemoveMetadataConfigurationResponse, Fault> {
        self.change_profile(ProfileChange::Metadata {
            profile: req.profile_token,
            config: None,
        })
        .await?;
        Ok(Default::default())
    }

    /// Media spec, AddPTZConfiguration: replaces the profile's PTZ configuration; persisted. The plan checks
    /// the profile, the configuration and that its video source has a head
    /// (PTZNotSupported), and that it moves the head of the profile's video source
    /// (ConfigurationConflict).
    async fn add_ptz_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddPTZConfiguration,
    ) -> Result<trt::AddPTZConfigurationResponse, Fault> {
        // A device without any head has no configuration a token could name: "the device
        // does not support PTZ" says more than NoConfig would.
        if !self.camera()?.facts().ptz.iter().any(Option::is_some) {
            return Err(no_ptz("the device has no PTZ head"));
        }
        self.change_profile(ProfileChange::Ptz {
            profile: req.profile_token,
            config: Some(req.configuration_token),
        })
        .await?;
        Ok(Default::default())
    }

    /// Media spec, RemovePTZConfiguration: a profile without a PTZ configuration is left as it is, without a fault
    /// (the spec's NoConfig for that case is marked obsolete); persisted.
    async fn remove_ptz_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemovePTZConfiguration,
    ) -> Result<trt::RemovePTZConfigurationResponse, Fault> {
        self.change_profile(ProfileChange::Ptz {
            profile: req.profile_token,
            config: None,
        })
        .await?;
        Ok(Default::default())
    }

    async fn get_video_sources(
        &self,
        _: &RequestContext,
        _: trt::GetVideoSources,
    ) -> Result<trt::GetVideoSourcesResponse, Fault> {
        let camera = self.camera()?;
        Ok(trt::GetVideoSourcesResponse {
            video_sources: camera
                .video_sources()
                .iter()
                .enumerate()
                .map(|(vi, v)| tt::VideoSource {
                    token: source_token(vi as u32),
                    framerate: v.max_fps as f32,
                    resolution: tt::VideoResolution {
                        width: v.width as i32,
                        height: v.height as i32,
                    },
                    ..Default::default()
                })
                .collect(),
        })
    }

    async fn get_video_source_configurations(
        &self,
        _: &RequestContext,
        _: trt::GetVideoSourceConfigurations,
    ) -> Result<trt::GetVideoSourceConfigurationsResponse, Fault> {
        let s = self.settings();
        Ok(trt::GetVideoSourceConfigurationsResponse {
            configurations: s
                .media
                .video_sources
                .iter()
                .filter_map(|v| configs::video_source(&s, &v.token))
                .collect(),
        })
    }

    async fn get_video_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetVideoSourceConfiguration,
    ) -> Result<trt::GetVideoSourceConfigurationResponse, Fault> {
        let s = self.settings();
        Ok(trt::GetVideoSourceConfigurationResponse {
            configuration: configs::video_source(&s, &req.configuration_token)
                .ok_or_else(|| no_config(&req.configuration_token))?,
        })
    }

    async fn get_compatible_video_source_configurations(
        &self,
        ctx: &RequestContext,
        req: trt::GetCompatibleVideoSourceConfigurations,
    ) -> Result<trt::GetCompatibleVideoSourceConfigurationsResponse, Fault> {
        if self.settings().profile(&req.profile_token).is_none() {
            return Err(no_profile(&req.profile_token));
        }
        // Every video source configuration can go into any profile (one sensor).
        let all = self
            .get_video_source_configurations(ctx, Default::default())
            .await?;
        Ok(trt::GetCompatibleVideoSourceConfigurationsResponse {
            configurations: all.configurations,
        })
    }

    async fn get_video_source_configuration_options(
        &self,
        _: &RequestContext,
        req: trt::GetVideoSourceConfigurationOptions,
    ) -> Result<trt::GetVideoSourceConfigurationOptionsResponse, Fault> {
        let camera = self.camera()?;
        let s = self.settings();
        if let Some(t) = &req.configuration_token
            && !s.media.video_sources.iter().any(|v| &v.token == t)
        {
            return Err(no_config(t));
        }
        if let Some(t) = &req.profile_token
            && s.profile(t).is_none()
        {
            return Err(no_profile(t));
        }
        Ok(trt::GetVideoSourceConfigurationOptionsResponse {
            options: options::source_options(camera.video_sources()),
        })
    }

    async fn set_video_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetVideoSourceConfiguration,
    ) -> Result<trt::SetVideoSourceConfigurationResponse, Fault> {
        self.change(
            Change::VideoSource(source_request(&req.configuration)),
            config_modify,
        )
        .await?;
        Ok(Default::default())
    }

    async fn get_video_encoder_configurations(
        &self,
        _: &RequestContext,
        _: trt::GetVideoEncoderConfigurations,
    ) -> Result<trt::GetVideoEncoderConfigurationsResponse, Fault> {
        let s = self.settings();
        Ok(trt::GetVideoEncoderConfigurationsResponse {
            configurations: s
                .media
                .video_encoders
                .iter()
                .filter_map(|e| self.encoder_configuration(&s, &e.token))
                .collect(),
        })
    }

    async fn get_video_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetVideoEncoderConfiguration,
    ) -> Result<trt::GetVideoEncoderConfigurationResponse, Fault> {
        let s = self.settings();
        Ok(trt::GetVideoEncoderConfigurationResponse {
            configuration: self
                .encoder_configuration(&s, &req.configuration_token)
                .ok_or_else(|| no_config(&req.configuration_token))?,
        })
    }

    async fn get_compatible_video_encoder_configurations(
        &self,
        ctx: &RequestContext,
        req: trt::GetCompatibleVideoEncoderConfigurations,
    ) -> Result<trt::GetCompatibleVideoEncoderConfigurationsResponse, Fault> {
        if self.settings().profile(&req.profile_token).is_none() {
            return Err(no_profile(&req.profile_token));
        }
        // Every encoder configuration encodes the one sensor.
        let all = self
            .get_video_encoder_configurations(ctx, Default::default())
            .await?;
        Ok(trt::GetCompatibleVideoEncoderConfigurationsResponse {
            configurations: all.configurations,
        })
    }

    async fn get_video_encoder_configuration_options(
        &self,
        _: &RequestContext,
        req: trt::GetVideoEncoderConfigurationOptions,
    ) -> Result<trt::GetVideoEncoderConfigurationOptionsResponse, Fault> {
        let camera = self.camera()?;
        let s = self.settings();
        let mut encoder = None;
        if let Some(t) = &req.configuration_token {
            encoder = Some(s.encoder(t).ok_or_else(|| no_config(t))?);
        }
        if let Some(t) = &req.profile_token {
            let p = s.profile(t).ok_or_else(|| no_profile(t))?;
            if encoder.is_none() {
                encoder = p.video_encoder.as_deref().and_then(|e| s.encoder(e));
            }
        }
        let limits = Self::limits(&camera, &s, encoder)?;
        Ok(trt::GetVideoEncoderConfigurationOptionsResponse {
            options: options::encoder_options(&limits),
        })
    }

    async fn set_video_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetVideoEncoderConfiguration,
    ) -> Result<trt::SetVideoEncoderConfigurationResponse, Fault> {
        // ForcePersistence is deprecated and always true (Media s5.6.6): every change persists.
        let c = req.configuration;
        if self.settings().encoder(&c.token).is_none() {
            return Err(no_config(&c.token));
        }
        let request = Self::encoder_request(&c)?;
        self.change(Change::VideoEncoder(request), config_modify)
            .await?;
        Ok(Default::default())
    }

    async fn get_guaranteed_number_of_video_encoder_instances(
        &self,
        _: &RequestContext,
        req: trt::GetGuaranteedNumberOfVideoEncoderInstances,
    ) -> Result<trt::GetGuaranteedNumberOfVideoEncoderInstancesResponse, Fault> {
        // Every encoder configuration has its own SDK channel, always encoding.
        let n = configs::encoder_instances(&self.settings(), &req.configuration_token)
            .ok_or_else(|| no_config(&req.configuration_token))? as i32;
        Ok(trt::GetGuaranteedNumberOfVideoEncoderInstancesResponse {
            total_number: n,
            h264: Some(n),
            jpeg: None,
            mpeg4: None,
        })
    }

    async fn get_stream_uri(
        &self,
        ctx: &RequestContext,
        req: trt::GetStreamUri,
    ) -> Result<trt::GetStreamUriResponse, Fault> {
        let multicast = self.stream_of(&req.profile_token)?;
        let setup = &req.stream_setup;
        let invalid =
            |why: &str| Fault::invalid_arg_val(Some("InvalidStreamSetup"), why.to_owned());
        match (&setup.stream, &setup.transport.protocol) {
            (tt::StreamType::RTPUnicast, _) => {}
            (tt::StreamType::RTPMulticast, tt::TransportProtocol::UDP) => {
                // Media spec, GetStreamUri: "at least one of VideoEncoderConfiguration,
                // AudioEncoderConfiguration and MetadataConfiguration shall have a valid
                // multicast setting", else InvalidMulticastSettings.
                if !multicast {
                    return Err(Fault::invalid_arg_val(
                        Some("InvalidMulticastSettings"),
                        "none of the profile's configurations has an IPv4 multicast group",
                    ));
                }
            }
            (tt::StreamType::RTPMulticast, _) => {
                return Err(invalid("RTP-Multicast is carried over UDP only"));
            }
        }
        if setup.transport.tunnel.is_some() {
            return Err(invalid("nested transport tunnels are not supported"));
        }
        // One URI for every transport: the client picks UDP, TCP interleaved, the HTTP
        // tunnel (on the same port) or multicast in its SETUP (docs/media.md).
        Ok(trt::GetStreamUriResponse {
            media_uri: tt::MediaUri {
                uri: uri::stream(&ctx.host, self.hooks.rtsp_port, &req.profile_token),
                invalid_after_connect: false,
                invalid_after_reboot: false,
                timeout: "PT0S".into(),
                ..Default::default()
            },
        })
    }

    async fn get_snapshot_uri(
        &self,
        ctx: &RequestContext,
        req: trt::GetSnapshotUri,
    ) -> Result<trt::GetSnapshotUriResponse, Fault> {
        self.streamed_profile(&req.profile_token)?;
        Ok(trt::GetSnapshotUriResponse {
            media_uri: tt::MediaUri {
                uri: uri::snapshot(&ctx.host, &req.profile_token),
                invalid_after_connect: false,
                invalid_after_reboot: false,
                timeout: "PT0S".into(),
                ..Default::default()
            },
        })
    }

    async fn set_synchronization_point(
        &self,
        _: &RequestContext,
        req: trt::SetSynchronizationPoint,
    ) -> Result<trt::SetSynchronizationPointResponse, Fault> {
        // Any stream of the profile (an audio-only one too) can be synchronised; a profile
        // that streams nothing is IncompleteConfiguration.
        self.stream_of(&req.profile_token)?;
        let encoder =
            (self.settings().profile(&req.profile_token)).and_then(|p| p.video_encoder.clone());
        synchronize(
            self.camera()?.as_ref(),
            encoder.as_deref(),
            &self.hooks.metadata,
            &req.profile_token,
        )
        .await
        .map_err(internal)?;
        Ok(Default::default())
    }

    async fn start_multicast_streaming(
        &self,
        _: &RequestContext,
        req: trt::StartMulticastStreaming,
    ) -> Result<trt::StartMulticastStreamingResponse, Fault> {
        let token = &req.profile_token;
        self.stream_of(token)?;
        let fault = |e| change_fault(e, config_modify);
        start_multicast(&self.core, &self.hooks.multicast, token, fault).await?;
        Ok(Default::default())
    }

    async fn stop_multicast_streaming(
        &self,
        _: &RequestContext,
        req: trt::StopMulticastStreaming,
    ) -> Result<trt::StopMulticastStreamingResponse, Fault> {
        self.stream_of(&req.profile_token)?;
        let record = Change::Multicast {
            profile: req.profile_token.clone(),
            started: false,
        };
        self.change(record, config_modify).await?;
        if self.hooks.multicast.stop(&req.profile_token) {
            tracing::info!(profile = %req.profile_token, "multicast stopped");
        }
        Ok(Default::default())
    }

    async fn get_metadata_configurations(
        &self,
        _: &RequestContext,
        _: trt::GetMetadataConfigurations,
    ) -> Result<trt::GetMetadataConfigurationsResponse, Fault> {
        let s = self.settings();
        Ok(trt::GetMetadataConfigurationsResponse {
            configurations: s
                .media
                .metadata
                .iter()
                .filter_map(|m| configs::metadata(&s, &m.token))
                .collect(),
        })
    }

    async fn get_metadata_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetMetadataConfiguration,
    ) -> Result<trt::GetMetadataConfigurationResponse, Fault> {
        let s = self.settings();
        Ok(trt::GetMetadataConfigurationResponse {
            configuration: configs::metadata(&s, &req.configuration_token)
                .ok_or_else(|| no_config(&req.configuration_token))?,
        })
    }

    /// Name, Analytics, Events, multicast and session timeout, checked against
    /// GetMetadataConfigurationOptions (no PTZ status: nvt does not put the head's status
    /// into metadata yet) and persisted.
    /// An Events filter gives the configuration's profiles a metadata RTP track
    /// (docs/rtsp.md, "Tracks").
    async fn set_metadata_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetMetadataConfiguration,
    ) -> Result<trt::SetMetadataConfigurationResponse, Fault> {
        let c = &req.configuration;
        if !self
            .settings()
            .media
            .metadata
            .iter()
            .any(|m| m.token == c.token)
        {
            return Err(no_config(&c.token));
        }
        self.change(Change::Metadata(metadata_request(c)?), config_modify)
            .await?;
        Ok(trt::SetMetadataConfigurationResponse::default())
    }

    async fn get_compatible_metadata_configurations(
        &self,
        ctx: &RequestContext,
        req: trt::GetCompatibleMetadataConfigurations,
    ) -> Result<trt::GetCompatibleMetadataConfigurationsResponse, Fault> {
        if self.settings().profile(&req.profile_token).is_none() {
            return Err(no_profile(&req.profile_token));
        }
        let all = self
            .get_metadata_configurations(ctx, Default::default())
            .await?;
        Ok(trt::GetCompatibleMetadataConfigurationsResponse {
            configurations: all.configurations,
        })
    }

    async fn get_metadata_configuration_options(
        &self,
        _: &RequestContext,
        req: trt::GetMetadataConfigurationOptions,
    ) -> Result<trt::GetMetadataConfigurationOptionsResponse, Fault> {
        let s = self.settings();
        if let Some(t) = &req.configuration_token
            && !s.media.metadata.iter().any(|m| &m.token == t)
        {
            return Err(no_config(t));
        }
        if let Some(t) = &req.profile_token
            && s.profile(t).is_none()
        {
            return Err(no_profile(t));
        }
        Ok(trt::GetMetadataConfigurationOptionsResponse {
            options: options::metadata_options(),
        })
    }

    // Audio: sources and encoders (`audio`; AudioNotSupported without a microphone);
    // outputs and decoders (`audio_out`; the faults Media s5.21-s5.23 name without a
    // speaker).

    async fn get_audio_outputs(
        &self,
        _: &RequestContext,
        _: trt::GetAudioOutputs,
    ) -> Result<trt::GetAudioOutputsResponse, Fault> {
        Ok(trt::GetAudioOutputsResponse {
            audio_outputs: audio_out::outputs(&self.camera()?.facts().speaker),
        })
    }

    async fn get_audio_sources(
        &self,
        _: &RequestContext,
        _: trt::GetAudioSources,
    ) -> Result<trt::GetAudioSourcesResponse, Fault> {
        let camera = self.audio_camera()?;
        Ok(trt::GetAudioSourcesResponse {
            audio_sources: audio::sources(camera.facts().audio),
        })
    }

    async fn get_audio_source_configurations(
        &self,
        _: &RequestContext,
        _: trt::GetAudioSourceConfigurations,
    ) -> Result<trt::GetAudioSourceConfigurationsResponse, Fault> {
        self.audio_camera()?;
        Ok(trt::GetAudioSourceConfigurationsResponse {
            configurations: audio::source_configurations(&self.settings()),
        })
    }

    async fn get_audio_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetAudioSourceConfiguration,
    ) -> Result<trt::GetAudioSourceConfigurationResponse, Fault> {
        self.audio_camera()?;
        let token = &req.configuration_token;
        Ok(trt::GetAudioSourceConfigurationResponse {
            configuration: audio::source_configuration(&self.settings(), token)
                .ok_or_else(|| no_config(token))?,
        })
    }

    /// Every audio source configuration goes with every profile (one microphone).
    async fn get_compatible_audio_source_configurations(
        &self,
        _: &RequestContext,
        req: trt::GetCompatibleAudioSourceConfigurations,
    ) -> Result<trt::GetCompatibleAudioSourceConfigurationsResponse, Fault> {
        self.audio_camera()?;
        self.check_profile(Some(&req.profile_token))?;
        Ok(trt::GetCompatibleAudioSourceConfigurationsResponse {
            configurations: audio::source_configurations(&self.settings()),
        })
    }

    async fn get_audio_source_configuration_options(
        &self,
        _: &RequestContext,
        req: trt::GetAudioSourceConfigurationOptions,
    ) -> Result<trt::GetAudioSourceConfigurationOptionsResponse, Fault> {
        let camera = self.audio_camera()?;
        if let Some(t) = &req.configuration_token
            && audio::source_configuration(&self.settings(), t).is_none()
        {
            return Err(no_config(t));
        }
        self.check_profile(req.profile_token.as_deref())?;
        Ok(trt::GetAudioSourceConfigurationOptionsResponse {
            options: audio::source_options(camera.facts().audio),
        })
    }

    /// Media spec, SetAudioSourceConfiguration: name and input, persisted.
    async fn set_audio_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetAudioSourceConfiguration,
    ) -> Result<trt::SetAudioSourceConfigurationResponse, Fault> {
        self.audio_camera()?;
        let change = Change::AudioSource(audio::source_request(&req.configuration));
        self.change(change, audio::refused).await?;
        Ok(Default::default())
    }

    async fn get_audio_encoder_configurations(
        &self,
        _: &RequestContext,
        _: trt::GetAudioEncoderConfigurations,
    ) -> Result<trt::GetAudioEncoderConfigurationsResponse, Fault> {
        self.audio_camera()?;
        Ok(trt::GetAudioEncoderConfigurationsResponse {
            configurations: audio::encoder_configurations(&self.settings()),
        })
    }

    async fn get_audio_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetAudioEncoderConfiguration,
    ) -> Result<trt::GetAudioEncoderConfigurationResponse, Fault> {
        self.audio_camera()?;
        let token = &req.configuration_token;
        Ok(trt::GetAudioEncoderConfigurationResponse {
            configuration: audio::encoder_configuration(&self.settings(), token)
                .ok_or_else(|| no_config(token))?,
        })
    }

    /// Every audio encoder configuration encodes the one microphone.
    async fn get_compatible_audio_encoder_configurations(
        &self,
        _: &RequestContext,
        req: trt::GetCompatibleAudioEncoderConfigurations,
    ) -> Result<trt::GetCompatibleAudioEncoderConfigurationsResponse, Fault> {
        self.audio_camera()?;
        self.check_profile(Some(&req.profile_token))?;
        Ok(trt::GetCompatibleAudioEncoderConfigurationsResponse {
            configurations: audio::encoder_configurations(&self.settings()),
        })
    }

    async fn get_audio_encoder_configuration_options(
        &self,
        _: &RequestContext,
        req: trt::GetAudioEncoderConfigurationOptions,
    ) -> Result<trt::GetAudioEncoderConfigurationOptionsResponse, Fault> {
        let camera = self.audio_camera()?;
        if let Some(t) = &req.configuration_token
            && self.settings().audio_encoder(t).is_none()
        {
            return Err(no_config(t));
        }
        self.check_profile(req.profile_token.as_deref())?;
        Ok(trt::GetAudioEncoderConfigurationOptionsResponse {
            options: audio::encoder_options(camera.facts().audio),
        })
    }

    /// Media spec, SetAudioEncoderConfiguration: encoding, bitrate and sample rate among
    /// the options (else ConfigModify), multicast and session timeout; persisted. The
    /// profiles' RTSP audio tracks follow for new sessions (`crate::audio`).
    async fn set_audio_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetAudioEncoderConfiguration,
    ) -> Result<trt::SetAudioEncoderConfigurationResponse, Fault> {
        let camera = self.audio_camera()?;
        let c = &req.configuration;
        let s = self.settings();
        let old = s
            .audio_encoder(&c.token)
            .ok_or_else(|| no_config(&c.token))?;
        let decoded = (
            multicast_from_tt(&c.multicast)?,
            session_timeout(&c.session_timeout)?,
        );
        let request = audio::encoder_request(c, old, camera.facts().audio, decoded);
        self.change(Change::AudioEncoder(request), audio::refused)
            .await?;
        Ok(Default::default())
    }

    async fn add_audio_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddAudioSourceConfiguration,
    ) -> Result<trt::AddAudioSourceConfigurationResponse, Fault> {
        self.audio_camera()?;
        self.change_profile(ProfileChange::AudioSource {
            profile: req.profile_token,
            config: Some(req.configuration_token),
        })
        .await?;
        Ok(Default::default())
    }

    async fn remove_audio_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveAudioSourceConfiguration,
    ) -> Result<trt::RemoveAudioSourceConfigurationResponse, Fault> {
        self.audio_camera()?;
        self.change_profile(ProfileChange::AudioSource {
            profile: req.profile_token,
            config: None,
        })
        .await?;
        Ok(Default::default())
    }

    /// Media spec, AddAudioEncoderConfiguration: the profile's RTSP stream gets an audio
    /// track (`trackID=2`) for new sessions.
    async fn add_audio_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddAudioEncoderConfiguration,
    ) -> Result<trt::AddAudioEncoderConfigurationResponse, Fault> {
        self.audio_camera()?;
        self.change_profile(ProfileChange::AudioEncoder {
            profile: req.profile_token,
            config: Some(req.configuration_token),
        })
        .await?;
        Ok(Default::default())
    }

    async fn remove_audio_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveAudioEncoderConfiguration,
    ) -> Result<trt::RemoveAudioEncoderConfigurationResponse, Fault> {
        self.audio_camera()?;
        self.change_profile(ProfileChange::AudioEncoder {
            profile: req.profile_token,
            config: None,
        })
        .await?;
        Ok(Default::default())
    }

    // Audio outputs and decoders (Media s5.20-s5.23): `media::audio_out`.

    async fn get_audio_output_configurations(
        &self,
        _: &RequestContext,
        _: trt::GetAudioOutputConfigurations,
    ) -> Result<trt::GetAudioOutputConfigurationsResponse, Fault> {
        self.speaker()?;
        Ok(trt::GetAudioOutputConfigurationsResponse {
            configurations: audio_out::output_configurations(&self.settings()),
        })
    }

    async fn get_audio_output_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetAudioOutputConfiguration,
    ) -> Result<trt::GetAudioOutputConfigurationResponse, Fault> {
        self.speaker()?;
        let t = &req.configuration_token;
        Ok(trt::GetAudioOutputConfigurationResponse {
            configuration: audio_out::output_configuration(&self.settings(), t)
                .ok_or_else(|| no_config(t))?,
        })
    }

    async fn get_compatible_audio_output_configurations(
        &self,
        _: &RequestContext,
        req: trt::GetCompatibleAudioOutputConfigurations,
    ) -> Result<trt::GetCompatibleAudioOutputConfigurationsResponse, Fault> {
        self.speaker()?;
        let s = self.settings();
        s.profile(&req.profile_token)
            .ok_or_else(|| no_profile(&req.profile_token))?;
        // Every output configuration fits every profile: a speaker is no video source's.
        Ok(trt::GetCompatibleAudioOutputConfigurationsResponse {
            configurations: audio_out::output_configurations(&s),
        })
    }

    async fn get_audio_output_configuration_options(
        &self,
        _: &RequestContext,
        req: trt::GetAudioOutputConfigurationOptions,
    ) -> Result<trt::GetAudioOutputConfigurationOptionsResponse, Fault> {
        let speaker = self.speaker()?;
        let s = self.settings();
        if let Some(t) = &req.configuration_token
            && s.audio_output(t).is_none()
        {
            return Err(no_config(t));
        }
        if let Some(t) = &req.profile_token
            && s.profile(t).is_none()
        {
            return Err(no_profile(t));
        }
        Ok(trt::GetAudioOutputConfigurationOptionsResponse {
            options: audio_out::output_options(&speaker),
        })
    }

    async fn set_audio_output_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetAudioOutputConfiguration,
    ) -> Result<trt::SetAudioOutputConfigurationResponse, Fault> {
        self.speaker()?;
        let change = Change::AudioOutput(audio_out::output_request(&req.configuration));
        self.change(change, config_modify).await?;
        Ok(trt::SetAudioOutputConfigurationResponse::default())
    }

    async fn add_audio_output_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddAudioOutputConfiguration,
    ) -> Result<trt::AddAudioOutputConfigurationResponse, Fault> {
        self.speaker()?;
        self.change_profile(ProfileChange::AudioOutput {
            profile: req.profile_token,
            config: Some(req.configuration_token),
        })
        .await?;
        Ok(trt::AddAudioOutputConfigurationResponse::default())
    }

    async fn remove_audio_output_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveAudioOutputConfiguration,
    ) -> Result<trt::RemoveAudioOutputConfigurationResponse, Fault> {
        self.speaker()?;
        self.change_profile(ProfileChange::AudioOutput {
            profile: req.profile_token,
            config: None,
        })
        .await?;
        Ok(trt::RemoveAudioOutputConfigurationResponse::default())
    }

    async fn get_audio_decoder_configurations(
        &self,
        _: &RequestContext,
        _: trt::GetAudioDecoderConfigurations,
    ) -> Result<trt::GetAudioDecoderConfigurationsResponse, Fault> {
        self.decoder()?;
        Ok(trt::GetAudioDecoderConfigurationsResponse {
            configurations: audio_out::decoder_configurations(&self.settings()),
        })
    }

    async fn get_audio_decoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetAudioDecoderConfiguration,
    ) -> Result<trt::GetAudioDecoderConfigurationResponse, Fault> {
        self.decoder()?;
        let t = &req.configuration_token;
        Ok(trt::GetAudioDecoderConfigurationResponse {
            configuration: audio_out::decoder_configuration(&self.settings(), t)
                .ok_or_else(|| no_config(t))?,
        })
    }

    async fn get_compatible_audio_decoder_configurations(
        &self,
        _: &RequestContext,
        req: trt::GetCompatibleAudioDecoderConfigurations,
    ) -> Result<trt::GetCompatibleAudioDecoderConfigurationsResponse, Fault> {
        self.decoder()?;
        let s = self.settings();
        s.profile(&req.profile_token)
            .ok_or_else(|| no_profile(&req.profile_token))?;
        Ok(trt::GetCompatibleAudioDecoderConfigurationsResponse {
            configurations: audio_out::decoder_configurations(&s),
        })
    }

    async fn get_audio_decoder_configuration_options(
        &self,
        _: &RequestContext,
        req: trt::GetAudioDecoderConfigurationOptions,
    ) -> Result<trt::GetAudioDecoderConfigurationOptionsResponse, Fault> {
        let speaker = self.decoder()?;
        let s = self.settings();
        if let Some(t) = &req.configuration_token
            && s.audio_decoder(t).is_none()
        {
            return Err(no_config(t));
        }
        if let Some(t) = &req.profile_token
            && s.profile(t).is_none()
        {
            return Err(no_profile(t));
        }
        Ok(trt::GetAudioDecoderConfigurationOptionsResponse {
            options: audio_out::decoder_options(&speaker),
        })
    }

    async fn set_audio_decoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetAudioDecoderConfiguration,
    ) -> Result<trt::SetAudioDecoderConfigurationResponse, Fault> {
        self.decoder()?;
        let change = Change::AudioDecoder(audio_out::decoder_request(&req.configuration));
        self.change(change, config_modify).await?;
        Ok(trt::SetAudioDecoderConfigurationResponse::default())
    }

    async fn add_audio_decoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddAudioDecoderConfiguration,
    ) -> Result<trt::AddAudioDecoderConfigurationResponse, Fault> {
        self.decoder()?;
        self.change_profile(ProfileChange::AudioDecoder {
            profile: req.profile_token,
            config: Some(req.configuration_token),
        })
        .await?;
        Ok(trt::AddAudioDecoderConfigurationResponse::default())
    }

    async fn remove_audio_decoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveAudioDecoderConfiguration,
    ) -> Result<trt::RemoveAudioDecoderConfigurationResponse, Fault> {
        self.decoder()?;
        self.change_profile(ProfileChange::AudioDecoder {
            profile: req.profile_token,
            config: None,
        })
        .await?;
        Ok(trt::RemoveAudioDecoderConfigurationResponse::default())
    }

    // On-screen display (Media s."OSD"): shared with Media 2 in `onvif::osd`.

    async fn get_os_ds(
        &self,
        _: &RequestContext,
        req: trt::GetOSDs,
    ) -> Result<trt::GetOSDsResponse, Fault> {
        let s = self.core.store().get();
        Ok(trt::GetOSDsResponse {
            os_ds: osd::list(&s, None, req.configuration_token.as_deref())?,
        })
    }

    async fn get_osd(
        &self,
        _: &RequestContext,
        req: trt::GetOSD,
    ) -> Result<trt::GetOSDResponse, Fault> {
        Ok(trt::GetOSDResponse {
            osd: osd::one(&self.core.store().get(), &req.osd_token)?,
            ..Default::default()
        })
    }

    async fn get_osd_options(
        &self,
        _: &RequestContext,
        req: trt::GetOSDOptions,
    ) -> Result<trt::GetOSDOptionsResponse, Fault> {
        Ok(trt::GetOSDOptionsResponse {
            osd_options: osd::options(&self.core, &req.configuration_token)?,
            ..Default::default()
        })
    }

    async fn create_osd(
        &self,
        _: &RequestContext,
        req: trt::CreateOSD,
    ) -> Result<trt::CreateOSDResponse, Fault> {
        Ok(trt::CreateOSDResponse {
            osd_token: osd::create(&self.core, osd::Service::Media, &req.osd).await?,
            ..Default::default()
        })
    }

    async fn set_osd(
        &self,
        _: &RequestContext,
        req: trt::SetOSD,
    ) -> Result<trt::SetOSDResponse, Fault> {
        osd::set(&self.core, osd::Service::Media, &req.osd).await?;
        Ok(trt::SetOSDResponse::default())
    }

    async fn delete_osd(
        &self,
        _: &RequestContext,
        req: trt::DeleteOSD,
    ) -> Result<trt::DeleteOSDResponse, Fault> {
        osd::delete(&self.core, osd::Service::Media, &req.osd_token).await?;
        Ok(trt::DeleteOSDResponse::default())
    }
}

/// Path of the Media (ver10) service.
pub(crate) const PATH: &str = "/onvif/media_service";

impl Media {
    /// The service's one registration: route and GetServices/GetCapabilities entry.
    pub(crate) fn registration(self) -> Registration {
        Registration::new(MediaAdvertised, media::Service(self))
    }
}

/// The Media service's entry in GetServices and GetCapabilities.
pub(crate) struct MediaAdvertised;

impl MediaAdvertised {
    fn capabilities() -> trt::Capabilities {
        trt::Capabilities {
            snapshot_uri: Some(true),
            rotation: Some(false),
            video_source_mode: Some(false),
            // OSD: Media s."OSD", `onvif::osd`; texts always persist.
            osd: Some(true),
            temporary_osd_text: Some(false),
            exi_compression: Some(false),
            profile_capabilities: trt::ProfileCapabilities {
                maximum_number_of_profiles: Some(MAX_PROFILES as i32),
                ..Default::default()
            },
            streaming_capabilities: trt::StreamingCapabilities {
                rtp_multicast: Some(true),
                rtp_tcp: Some(true),
                rtp_rtsp_tcp: Some(true),
                non_aggregate_control: Some(false),
                no_rtsp_streaming: Some(false),
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

impl Advertised for MediaAdvertised {
    fn namespace(&self) -> &'static str {
        media::NAMESPACE
    }

    fn path(&self) -> &'static str {
        PATH
    }

    fn write_capabilities(&self, w: &mut XmlWriter) {
        Self::capabilities().to_xml(w, "trt:Capabilities");
    }

    fn category(&self) -> tt::CapabilityCategory {
        tt::CapabilityCategory::Media
    }

    fn fill_capabilities(&self, caps: &mut tt::Capabilities, xaddr: &str) {
        caps.media = Some(tt::MediaCapabilities {
            x_addr: xaddr.to_owned(),
            streaming_capabilities: tt::RealTimeStreamingCapabilities {
                rtp_multicast: Some(true),
                rtp_tcp: Some(true),
                rtp_rtsp_tcp: Some(true),
                ..Default::default()
            },
            extension: Some(tt::MediaCapabilitiesExtension {
                profile_capabilities: tt::ProfileCapabilities {
                    maximum_number_of_profiles: MAX_PROFILES as i32,
                    ..Default::default()
                },
                ..Default::default()
            }),
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_timeouts_parse() {
        assert_eq!(session_timeout("PT60S").unwrap(), 60);
        assert_eq!(session_timeout("PT2M").unwrap(), 120);
        // Bounds are the plan's (camera::change tests).
        assert_eq!(session_timeout("P1D").unwrap(), 86_400);
        assert!(session_timeout("-PT1S").is_err());
        assert!(session_timeout("sixty").is_err());
    }

    /// The PTZ refusal that reaches Media (a configuration whose source has no head) is the
    /// spec's PTZNotSupported; a conflicting video source is ConfigurationConflict.
    #[test]
    fn ptz_refusals_have_the_media_subcodes() {
        let not_supported = ChangeError::Ptz(crate::camera::change::PtzError::NotSupported(
            "ptz_1".into(),
        ));
        let f = change_fault(not_supported, config_modify);
        assert_eq!(f.code, Code::Receiver);
        assert_eq!(f.subcodes, vec!["ActionNotSupported", "PTZNotSupported"]);
        let f = change_fault(ChangeError::Conflict("two sources".into()), config_modify);
        assert_eq!(f.code, Code::Receiver);
        assert_eq!(f.subcodes, vec!["Action", "ConfigurationConflict"]);
    }

    #[test]
    fn multicast_is_decoded_as_ipv4() {
        let ok = multicast_to_tt(&Multicast {
            address: "239.1.2.3".into(),
            port: 5000,
            ttl: 2,
            auto_start: false,
        });
        assert_eq!(multicast_from_tt(&ok).unwrap().port, 5000);
        // What is no IPv4 address, port or TTL at all; the model's rules (a group, an even
        // port, TTL >= 1) are checked by the plan.
        for (addr, port, ttl) in [
            ("ff02::1", 5000, 1),
            ("239.1.2", 5000, 1),
            ("239.1.2.3", 70000, 1),
            ("239.1.2.3", 5000, 256),
        ] {
            let mut m = ok.clone();
            m.address.ipv4_address = Some(addr.into());
            m.port = port;
            m.ttl = ttl;
            let f = multicast_from_tt(&m).unwrap_err();
            assert_eq!(
                f.subcodes,
                vec!["InvalidArgVal", "ConfigModify"],
                "{addr} {port} {ttl}"
            );
        }
    }
}
