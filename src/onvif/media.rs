//! The Media service (ONVIF Media 1, `trt`, ver10), implementing the generated
//! `MediaService` over the settings model, the camera (SDK encoders) and the streams.
//!
//! - Every change goes through `SettingsStore::update` (validated, persisted atomically)
//!   and then to the hardware and the RTSP paths, so what clients read back is what the
//!   encoder does and what survives a restart.
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
//! - Fault subcodes are those of the Media service specification (NoProfile, NoConfig,
//!   ConfigModify, ProfileExists, MaxNVTProfiles, DeletionOfFixedProfile,
//!   IncompleteConfiguration, ConfigurationConflict, InvalidStreamSetup).
//!
//! What is left out is listed in docs/media.md.

pub mod options;

use std::sync::{Arc, Mutex, Weak};

use crate::camera::{Camera, source_index, source_token};
use crate::onvif::directory::Advertised;
use crate::onvif::endpoint::{MEDIA_PATH, SNAPSHOT_PREFIX};
use crate::onvif::generated::{media, trt, tt};
use crate::onvif::rt::{RequestContext, ToXml};
use crate::rtsp::{MulticastControl, MulticastError};
use crate::settings::{
    self, Multicast, Profile, Settings, SettingsStore, UpdateError, VideoEncoderConfig,
    validate::MAX_TOKEN_LEN,
};
use crate::soap::{Code, Fault};
use crate::streams::Streams;
use crate::xml::XmlWriter;

/// Most media profiles (fixed ones included); CreateProfile beyond it faults MaxNVTProfiles.
pub const MAX_PROFILES: usize = 16;
/// Longest configuration or profile name (`tt:Name` is limited to 64 characters).
pub const MAX_NAME_LEN: usize = 64;
/// Longest session timeout a configuration may carry.
pub const MAX_SESSION_TIMEOUT_SECS: u64 = 3600;

/// What the Media service needs of the running daemon.
pub struct MediaHooks {
    /// The RTSP port stream URIs name.
    pub rtsp_port: u16,
    /// Start/StopMulticastStreaming.
    pub multicast: MulticastControl,
}

pub struct Media {
    store: Arc<SettingsStore>,
    /// Weak: a request in flight must not keep the SDK channels alive across a restart
    /// (SystemReboot) or a shutdown.
    camera: Weak<Camera>,
    streams: Weak<Streams>,
    hooks: MediaHooks,
    /// Serialises changes that touch the settings, the SDK and the RTSP paths together.
    changing: Mutex<()>,
}

fn no_profile(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoProfile"), format!("no profile {token:?}"))
}

fn no_config(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoConfig"), format!("no configuration {token:?}"))
}

fn config_modify(reason: impl Into<String>) -> Fault {
    Fault::invalid_arg_val(Some("ConfigModify"), reason.into())
}

fn incomplete(token: &str) -> Fault {
    Fault::action(
        "IncompleteConfiguration",
        format!("profile {token:?} has no video encoder configuration"),
    )
}

fn internal(reason: impl std::fmt::Display) -> Fault {
    Fault::new(Code::Receiver, &["Action"], reason.to_string())
}

/// Settings refused by validation are the client's values (`bad`); a failed write is ours.
fn persist_err(e: UpdateError, bad: fn(String) -> Fault) -> Fault {
    match e {
        UpdateError::Rejected(r) => bad(r),
        UpdateError::Io(e) => internal(format!("cannot save settings: {e}")),
    }
}

fn check_name(name: &str) -> Result<(), Fault> {
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(config_modify(format!(
            "name must be 1..={MAX_NAME_LEN} characters"
        )));
    }
    Ok(())
}

fn duration(secs: u32) -> String {
    format!("PT{secs}S")
}

fn use_count(s: &Settings, f: impl Fn(&Profile) -> bool) -> i32 {
    s.media.profiles.iter().filter(|p| f(p)).count() as i32
}

fn multicast_to_tt(m: &Multicast) -> tt::MulticastConfiguration {
    tt::MulticastConfiguration {
        address: tt::IPAddress {
            type_: tt::IPType::IPv4,
            ipv4_address: Some(m.address.clone()),
            ipv6_address: None,
        },
        port: i32::from(m.port),
        ttl: i32::from(m.ttl),
        auto_start: m.auto_start,
        ..Default::default()
    }
}

fn multicast_from_tt(m: &tt::MulticastConfiguration) -> Result<Multicast, Fault> {
    let address = match (&m.address.type_, &m.address.ipv4_address) {
        (tt::IPType::IPv4, Some(a)) => a.trim().to_owned(),
        _ => return Err(config_modify("only IPv4 multicast groups are supported")),
    };
    match address.parse::<std::net::Ipv4Addr>() {
        Ok(ip) if ip.is_multicast() => {}
        _ => {
            return Err(config_modify(format!(
                "{address:?} is not an IPv4 multicast address"
            )));
        }
    }
    let port = u16::try_from(m.port)
        .ok()
        .filter(|p| *p != 0 && p % 2 == 0)
        .ok_or_else(|| {
            config_modify(format!("multicast port {} must be even, 2..=65534", m.port))
        })?;
    let ttl = u8::try_from(m.ttl)
        .ok()
        .filter(|t| *t != 0)
        .ok_or_else(|| config_modify(format!("multicast TTL {} outside 1..=255", m.ttl)))?;
    Ok(Multicast {
        address,
        port,
        ttl,
        auto_start: m.auto_start,
    })
}

fn session_timeout(s: &str) -> Result<u32, Fault> {
    let d = crate::xml::xsd::parse_duration(s.trim())
        .filter(|d| !d.negative)
        .and_then(|d| d.approx_millis())
        .ok_or_else(|| config_modify(format!("session timeout {s:?} is not a duration")))?;
    let secs = d / 1000;
    if secs == 0 || secs > MAX_SESSION_TIMEOUT_SECS {
        return Err(config_modify(format!(
            "session timeout {s:?} outside PT1S..=PT{MAX_SESSION_TIMEOUT_SECS}S"
        )));
    }
    Ok(secs as u32)
}

/// The host part of a Host header value (`h`, `h:p`, `[v6]`, `[v6]:p`).
fn host_only(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

impl Media {
    pub fn new(
        store: Arc<SettingsStore>,
        camera: &Arc<Camera>,
        streams: &Arc<Streams>,
        hooks: MediaHooks,
    ) -> Self {
        Media {
            store,
            camera: Arc::downgrade(camera),
            streams: Arc::downgrade(streams),
            hooks,
            changing: Mutex::new(()),
        }
    }

    /// Starts multicast for every profile whose encoder configuration has AutoStart.
    pub fn auto_start_multicast(&self) {
        let s = self.store.get();
        for p in &s.media.profiles {
            let auto = p
                .video_encoder
                .as_deref()
                .and_then(|e| s.encoder(e))
                .is_some_and(|e| e.multicast.auto_start);
            if auto {
                match self.hooks.multicast.start(&p.token) {
                    Ok(()) => tracing::info!(profile = %p.token, "multicast started (AutoStart)"),
                    Err(e) => tracing::warn!(profile = %p.token, error = %e, "multicast AutoStart"),
                }
            }
        }
    }

    fn runtime(&self) -> Result<(Arc<Camera>, Arc<Streams>), Fault> {
        match (self.camera.upgrade(), self.streams.upgrade()) {
            (Some(c), Some(s)) => Ok((c, s)),
            _ => Err(internal("the camera is stopping")),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.changing.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn source_configuration(
        &self,
        s: &Settings,
        token: &str,
    ) -> Option<tt::VideoSourceConfiguration> {
        let v = s.media.video_sources.iter().find(|v| v.token == token)?;
        Some(tt::VideoSourceConfiguration {
            token: v.token.clone(),
            name: v.name.clone(),
            use_count: use_count(s, |p| p.video_source.as_deref() == Some(token)),
            source_token: source_token(v.source),
            bounds: tt::IntRectangle {
                x: v.bounds.x as i32,
                y: v.bounds.y as i32,
                width: v.bounds.width as i32,
                height: v.bounds.height as i32,
            },
            ..Default::default()
        })
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

    fn metadata_configuration(
        &self,
        s: &Settings,
        token: &str,
    ) -> Option<tt::MetadataConfiguration> {
        let m = s.media.metadata.iter().find(|m| m.token == token)?;
        Some(tt::MetadataConfiguration {
            token: m.token.clone(),
            name: m.name.clone(),
            use_count: use_count(s, |p| p.metadata.as_deref() == Some(token)),
            events: m.events.then(tt::EventSubscription::default),
            analytics: Some(m.analytics),
            multicast: multicast_to_tt(&m.multicast),
            session_timeout: duration(m.session_timeout_secs),
            ..Default::default()
        })
    }

    fn profile(&self, s: &Settings, p: &Profile) -> tt::Profile {
        tt::Profile {
            token: p.token.clone(),
            fixed: Some(p.fixed),
            name: p.name.clone(),
            video_source_configuration: p
                .video_source
                .as_deref()
                .and_then(|t| self.source_configuration(s, t)),
            video_encoder_configuration: p
                .video_encoder
                .as_deref()
                .and_then(|t| self.encoder_configuration(s, t)),
            metadata_configuration: p
                .metadata
                .as_deref()
                .and_then(|t| self.metadata_configuration(s, t)),
            ..Default::default()
        }
    }

    /// The profile's encoder configuration token, or the fault a streaming operation gives.
    fn streamed_profile(&self, token: &str) -> Result<String, Fault> {
        let s = self.store.get();
        let p = s.profile(token).ok_or_else(|| no_profile(token))?;
        p.video_encoder.clone().ok_or_else(|| incomplete(token))
    }

    /// The sensor the options of a configuration are for (one sensor: the first).
    fn sensor(
        camera: &Camera,
        settings: &Settings,
        encoder: Option<&VideoEncoderConfig>,
    ) -> Result<crate::sdk::VideoSourceInfo, Fault> {
        let vi = encoder
            .and_then(|e| {
                settings
                    .media
                    .profiles
                    .iter()
                    .filter(|p| p.video_encoder.as_deref() == Some(e.token.as_str()))
                    .filter_map(|p| p.video_source.as_deref())
                    .filter_map(|t| settings.media.video_sources.iter().find(|v| v.token == t))
                    .map(|v| v.source)
                    .next()
            })
            .unwrap_or(0);
        camera
            .video_sources()
            .get(vi as usize)
            .cloned()
            .ok_or_else(|| internal(format!("no video source {vi}")))
    }

    /// The new encoder configuration a SetVideoEncoderConfiguration asks for, checked
    /// against the options (the SDK's capabilities for the sensor).
    fn encoder_from_request(
        camera: &Camera,
        sensor: &crate::sdk::VideoSourceInfo,
        old: &VideoEncoderConfig,
        c: &tt::VideoEncoderConfiguration,
    ) -> Result<VideoEncoderConfig, Fault> {
        let caps = camera.encoder_caps();
        check_name(&c.name)?;
        if c.encoding != tt::VideoEncoding::H264 {
            return Err(config_modify(format!(
                "encoding {:?} is not supported (H264 only)",
                c.encoding
            )));
        }
        if c.guaranteed_frame_rate == Some(true) {
            return Err(config_modify("GuaranteedFrameRate is not supported"));
        }
        let mut new = old.clone();
        new.name = c.name.clone();
        let (w, h) = (c.resolution.width, c.resolution.height);
        if !options::resolutions(caps, sensor)
            .iter()
            .any(|&(rw, rh)| rw as i32 == w && rh as i32 == h)
        {
            return Err(config_modify(format!(
                "resolution {w}x{h} is not supported"
            )));
        }
        (new.width, new.height) = (w as u32, h as u32);
        let (qmin, qmax) = options::QUALITY_RANGE;
        if !c.quality.is_finite() || c.quality < qmin as f32 || c.quality > qmax as f32 {
            return Err(config_modify(format!(
                "quality {} outside {qmin}..={qmax}",
                c.quality
            )));
        }
        new.quality = c.quality.round() as u32;
        let within = |v: i32, (lo, hi): (u32, u32)| v >= lo as i32 && v <= hi as i32;
        if let Some(rc) = &c.rate_control {
            let fps = options::frame_rates(caps, sensor);
            if !within(rc.frame_rate_limit, fps) {
                return Err(config_modify(format!(
                    "frame rate {} outside {}..={}",
                    rc.frame_rate_limit, fps.0, fps.1
                )));
            }
            if rc.encoding_interval != 1 {
                return Err(config_modify(format!(
                    "encoding interval {} is not supported (1 only)",
                    rc.encoding_interval
                )));
            }
            if !within(rc.bitrate_limit, caps.bitrate_kbps) {
                return Err(config_modify(format!(
                    "bitrate {} kb/s outside {}..={}",
                    rc.bitrate_limit, caps.bitrate_kbps.0, caps.bitrate_kbps.1
                )));
            }
            new.fps = rc.frame_rate_limit as u32;
            new.bitrate_kbps = rc.bitrate_limit as u32;
        }
        if let Some(h264) = &c.h264 {
            if !within(h264.gov_length, caps.gop) {
                return Err(config_modify(format!(
                    "GOV length {} outside {}..={}",
                    h264.gov_length, caps.gop.0, caps.gop.1
                )));
            }
            let profile = options::sdk_h264_profile(&h264.h264_profile)
                .filter(|p| caps.h264_profiles.contains(p))
                .ok_or_else(|| {
                    config_modify(format!(
                        "H.264 profile {:?} is not supported",
                        h264.h264_profile
                    ))
                })?;
            new.gop = h264.gov_length as u32;
            new.h264_profile = profile;
        }
        new.multicast = multicast_from_tt(&c.multicast)?;
        new.session_timeout_secs = session_timeout(&c.session_timeout)?;
        Ok(new)
    }

    /// Applies a change to the profile composition: validated, conflict-checked, persisted,
    /// pushed to the encoders whose source changed, and the RTSP paths re-synced.
    fn change_profiles(
        &self,
        change: impl FnOnce(&mut Settings) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        let (camera, streams) = self.runtime()?;
        let _guard = self.lock();
        let before = self.store.get();
        let mut next = (*before).clone();
        change(&mut next)?;
        check_encoder_sources(&next)?;
        settings::validate(&next).map_err(|r| Fault::invalid_arg_val(None, r))?;
        // An encoder whose video source changed is reconfigured (same attributes otherwise).
        let mut reapply = Vec::new();
        for e in &next.media.video_encoders {
            let a = camera.encoder_attr(&before, e).ok();
            let b = camera
                .encoder_attr(&next, e)
                .map_err(|e| config_modify(e.to_string()))?;
            if a != Some(b) {
                reapply.push(e.clone());
            }
        }
        self.store
            .update(|s| {
                *s = next.clone();
                Ok(())
            })
            .map_err(|e| persist_err(e, |r| Fault::invalid_arg_val(None, r)))?;
        let after = self.store.get();
        // A path that goes away or changes encoder stops the multicast it started (while
        // the path still resolves to its old hub).
        for p in &before.media.profiles {
            let now = after
                .profile(&p.token)
                .and_then(|q| q.video_encoder.as_deref());
            if p.video_encoder.is_some()
                && now != p.video_encoder.as_deref()
                && self.hooks.multicast.stop(&p.token)
            {
                tracing::info!(profile = %p.token, "multicast stopped (profile changed)");
            }
        }
        for e in &reapply {
            if let Err(err) = camera.apply_encoder(&after, e) {
                tracing::warn!(encoder = %e.token, error = %err, "re-applying encoder after a profile change");
            }
        }
        streams.sync_profiles(&after);
        Ok(())
    }
}

/// ONVIF Media s5.3: configurations in one profile must be compatible. An encoder encodes
/// one video source, so every profile holding an encoder configuration must hold the same
/// video source configuration's source (or none).
fn check_encoder_sources(s: &Settings) -> Result<(), Fault> {
    for e in &s.media.video_encoders {
        let mut sources = s
            .media
            .profiles
            .iter()
            .filter(|p| p.video_encoder.as_deref() == Some(e.token.as_str()))
            .filter_map(|p| p.video_source.as_deref())
            .filter_map(|t| s.media.video_sources.iter().find(|v| v.token == t))
            .map(|v| v.source);
        if let Some(first) = sources.next()
            && sources.any(|v| v != first)
        {
            return Err(Fault::action(
                "ConfigurationConflict",
                format!(
                    "video encoder configuration {:?} would encode two video sources",
                    e.token
                ),
            ));
        }
    }
    Ok(())
}

fn find_profile<'a>(s: &'a mut Settings, token: &str) -> Result<&'a mut Profile, Fault> {
    s.media
        .profiles
        .iter_mut()
        .find(|p| p.token == token)
        .ok_or_else(|| no_profile(token))
}

/// A fresh profile token: `profile_1`, `profile_2`, ...
fn new_profile_token(s: &Settings) -> String {
    (1..)
        .map(|n| format!("profile_{n}"))
        .find(|t| s.profile(t).is_none())
        .expect("a free token exists")
}

fn valid_token(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= MAX_TOKEN_LEN
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
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
        let s = self.store.get();
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
        let s = self.store.get();
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
        check_name(&req.name).map_err(|_| {
            Fault::invalid_arg_val(None, format!("name must be 1..={MAX_NAME_LEN} characters"))
        })?;
        let mut token = String::new();
        self.change_profiles(|s| {
            if s.media.profiles.len() >= MAX_PROFILES {
                return Err(Fault::action(
                    "MaxNVTProfiles",
                    format!("at most {MAX_PROFILES} profiles"),
                ));
            }
            token = match &req.token {
                Some(t) if s.profile(t).is_some() => {
                    return Err(Fault::invalid_arg_val(
                        Some("ProfileExists"),
                        format!("profile {t:?} exists"),
                    ));
                }
                Some(t) if !valid_token(t) => {
                    return Err(Fault::invalid_arg_val(
                        None,
                        format!("token must be 1..={MAX_TOKEN_LEN} of [A-Za-z0-9_.-]"),
                    ));
                }
                Some(t) => t.clone(),
                None => new_profile_token(s),
            };
            s.media.profiles.push(Profile {
                token: token.clone(),
                name: req.name.clone(),
                fixed: false,
                video_source: None,
                video_encoder: None,
                metadata: None,
            });
            Ok(())
        })?;
        let s = self.store.get();
        let p = s.profile(&token).ok_or_else(|| no_profile(&token))?;
        tracing::info!(profile = %token, "profile created");
        Ok(trt::CreateProfileResponse {
            profile: self.profile(&s, p),
        })
    }

    async fn delete_profile(
        &self,
        _: &RequestContext,
        req: trt::DeleteProfile,
    ) -> Result<trt::DeleteProfileResponse, Fault> {
        let token = req.profile_token;
        self.change_profiles(|s| {
            let p = find_profile(s, &token)?;
            if p.fixed {
                return Err(Fault::action(
                    "DeletionOfFixedProfile",
                    format!("profile {token:?} is fixed"),
                ));
            }
            s.media.profiles.retain(|p| p.token != token);
            Ok(())
        })?;
        tracing::info!(profile = %token, "profile deleted");
        Ok(trt::DeleteProfileResponse::default())
    }

    async fn add_video_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddVideoSourceConfiguration,
    ) -> Result<trt::AddVideoSourceConfigurationResponse, Fault> {
        self.change_profiles(|s| {
            if !s
                .media
                .video_sources
                .iter()
                .any(|v| v.token == req.configuration_token)
            {
                return Err(no_config(&req.configuration_token));
            }
            find_profile(s, &req.profile_token)?.video_source =
                Some(req.configuration_token.clone());
            Ok(())
        })?;
        Ok(Default::default())
    }

    async fn remove_video_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveVideoSourceConfiguration,
    ) -> Result<trt::RemoveVideoSourceConfigurationResponse, Fault> {
        self.change_profiles(|s| {
            find_profile(s, &req.profile_token)?.video_source = None;
            Ok(())
        })?;
        Ok(Default::default())
    }

    async fn add_video_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddVideoEncoderConfiguration,
    ) -> Result<trt::AddVideoEncoderConfigurationResponse, Fault> {
        self.change_profiles(|s| {
            if s.encoder(&req.configuration_token).is_none() {
                return Err(no_config(&req.configuration_token));
            }
            find_profile(s, &req.profile_token)?.video_encoder =
                Some(req.configuration_token.clone());
            Ok(())
        })?;
        tracing::info!(profile = %req.profile_token, encoder = %req.configuration_token, "video encoder configuration added");
        Ok(Default::default())
    }

    async fn remove_video_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveVideoEncoderConfiguration,
    ) -> Result<trt::RemoveVideoEncoderConfigurationResponse, Fault> {
        self.change_profiles(|s| {
            find_profile(s, &req.profile_token)?.video_encoder = None;
            Ok(())
        })?;
        Ok(Default::default())
    }

    async fn add_metadata_configuration(
        &self,
        _: &RequestContext,
        req: trt::AddMetadataConfiguration,
    ) -> Result<trt::AddMetadataConfigurationResponse, Fault> {
        self.change_profiles(|s| {
            if !s
                .media
                .metadata
                .iter()
                .any(|m| m.token == req.configuration_token)
            {
                return Err(no_config(&req.configuration_token));
            }
            find_profile(s, &req.profile_token)?.metadata = Some(req.configuration_token.clone());
            Ok(())
        })?;
        Ok(Default::default())
    }

    async fn remove_metadata_configuration(
        &self,
        _: &RequestContext,
        req: trt::RemoveMetadataConfiguration,
    ) -> Result<trt::RemoveMetadataConfigurationResponse, Fault> {
        self.change_profiles(|s| {
            find_profile(s, &req.profile_token)?.metadata = None;
            Ok(())
        })?;
        Ok(Default::default())
    }

    async fn get_video_sources(
        &self,
        _: &RequestContext,
        _: trt::GetVideoSources,
    ) -> Result<trt::GetVideoSourcesResponse, Fault> {
        let (camera, _) = self.runtime()?;
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
        let s = self.store.get();
        Ok(trt::GetVideoSourceConfigurationsResponse {
            configurations: s
                .media
                .video_sources
                .iter()
                .filter_map(|v| self.source_configuration(&s, &v.token))
                .collect(),
        })
    }

    async fn get_video_source_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetVideoSourceConfiguration,
    ) -> Result<trt::GetVideoSourceConfigurationResponse, Fault> {
        let s = self.store.get();
        Ok(trt::GetVideoSourceConfigurationResponse {
            configuration: self
                .source_configuration(&s, &req.configuration_token)
                .ok_or_else(|| no_config(&req.configuration_token))?,
        })
    }

    async fn get_compatible_video_source_configurations(
        &self,
        ctx: &RequestContext,
        req: trt::GetCompatibleVideoSourceConfigurations,
    ) -> Result<trt::GetCompatibleVideoSourceConfigurationsResponse, Fault> {
        if self.store.get().profile(&req.profile_token).is_none() {
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
        let (camera, _) = self.runtime()?;
        let s = self.store.get();
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
        let (camera, _) = self.runtime()?;
        let c = req.configuration;
        let _guard = self.lock();
        let s = self.store.get();
        if !s.media.video_sources.iter().any(|v| v.token == c.token) {
            return Err(no_config(&c.token));
        }
        check_name(&c.name)?;
        let vi = source_index(&c.source_token)
            .ok()
            .filter(|vi| (*vi as usize) < camera.video_sources().len())
            .ok_or_else(|| config_modify(format!("no video source {:?}", c.source_token)))?;
        let sensor = &camera.video_sources()[vi as usize];
        let b = &c.bounds;
        if (b.x, b.y, b.width, b.height) != (0, 0, sensor.width as i32, sensor.height as i32) {
            return Err(config_modify(format!(
                "bounds must be the whole sensor (0,0 {}x{}): the encoder cannot crop",
                sensor.width, sensor.height
            )));
        }
        let mut next = (*s).clone();
        let v = next
            .media
            .video_sources
            .iter_mut()
            .find(|v| v.token == c.token)
            .ok_or_else(|| no_config(&c.token))?;
        v.name = c.name.clone();
        v.source = vi;
        check_encoder_sources(&next)?;
        self.store
            .update(|s| {
                *s = next;
                Ok(())
            })
            .map_err(|e| persist_err(e, config_modify))?;
        Ok(Default::default())
    }

    async fn get_video_encoder_configurations(
        &self,
        _: &RequestContext,
        _: trt::GetVideoEncoderConfigurations,
    ) -> Result<trt::GetVideoEncoderConfigurationsResponse, Fault> {
        let s = self.store.get();
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
        let s = self.store.get();
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
        if self.store.get().profile(&req.profile_token).is_none() {
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
        let (camera, _) = self.runtime()?;
        let s = self.store.get();
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
        let sensor = Self::sensor(&camera, &s, encoder)?;
        Ok(trt::GetVideoEncoderConfigurationOptionsResponse {
            options: options::encoder_options(camera.encoder_caps(), &sensor),
        })
    }

    async fn set_video_encoder_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetVideoEncoderConfiguration,
    ) -> Result<trt::SetVideoEncoderConfigurationResponse, Fault> {
        // ForcePersistence is deprecated and always true (Media s5.6.6): every change persists.
        let (camera, streams) = self.runtime()?;
        let c = req.configuration;
        let _guard = self.lock();
        let before = self.store.get();
        let old = before
            .encoder(&c.token)
            .ok_or_else(|| no_config(&c.token))?
            .clone();
        let sensor = Self::sensor(&camera, &before, Some(&old))?;
        let new = Self::encoder_from_request(&camera, &sensor, &old, &c)?;
        if new == old {
            return Ok(Default::default());
        }
        let mut next = (*before).clone();
        if let Some(e) = next
            .media
            .video_encoders
            .iter_mut()
            .find(|e| e.token == new.token)
        {
            *e = new.clone();
        }
        settings::validate(&next).map_err(config_modify)?;
        let old_attr = camera
            .encoder_attr(&before, &old)
            .map_err(|e| internal(e.to_string()))?;
        let attr = camera
            .encoder_attr(&next, &new)
            .map_err(|e| config_modify(e.to_string()))?;
        let channel = camera
            .channel(&new.token)
            .ok_or_else(|| internal(format!("no encoder channel for {:?}", new.token)))?;
        let hub = streams.hub(&new.token).cloned();
        let reconfigure = attr != old_attr;
        if reconfigure && let Some(h) = &hub {
            h.expect_new_params();
        }
        let result = self.store.update(|s| {
            *s = next.clone();
            if reconfigure {
                channel
                    .set_attr(&attr)
                    .map_err(|e| format!("the encoder refused the configuration: {e}"))?;
                // The SDK contract makes the next frame an IDR; ask anyway, so a port that
                // keeps its GOP for a bitrate change does not hold DESCRIBE back.
                if let Err(e) = channel.request_idr() {
                    tracing::warn!(encoder = %new.token, error = %e, "IDR request after a change");
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            if let Some(h) = &hub {
                h.cancel_new_params();
            }
            if reconfigure && matches!(e, UpdateError::Io(_)) {
                // The encoder took the new attributes but the file did not: put them back so
                // the camera keeps doing what its settings say.
                if let Err(err) = channel.set_attr(&old_attr) {
                    tracing::error!(encoder = %old.token, error = %err, "restoring encoder attributes");
                }
            }
            return Err(persist_err(e, config_modify));
        }
        streams.apply_encoder(&new);
        let after = self.store.get();
        let profiles: Vec<&Profile> = after
            .media
            .profiles
            .iter()
            .filter(|p| p.video_encoder.as_deref() == Some(new.token.as_str()))
            .collect();
        if new.multicast != old.multicast {
            // Profiles of one encoder share its sender: restarting through one is enough.
            if let Some(p) = profiles.first()
                && let Err(e) = self.hooks.multicast.restart(&p.token)
            {
                tracing::warn!(profile = %p.token, error = %e, "multicast restart");
            }
            if new.multicast.auto_start && !old.multicast.auto_start {
                for p in &profiles {
                    if let Err(e) = self.hooks.multicast.start(&p.token) {
                        tracing::warn!(profile = %p.token, error = %e, "multicast AutoStart");
                    }
                }
            }
        }
        tracing::info!(
            encoder = %new.token,
            size = %format!("{}x{}", new.width, new.height),
            fps = new.fps,
            kbps = new.bitrate_kbps,
            gop = new.gop,
            profile = ?new.h264_profile,
            "video encoder configuration changed"
        );
        Ok(Default::default())
    }

    async fn get_guaranteed_number_of_video_encoder_instances(
        &self,
        _: &RequestContext,
        req: trt::GetGuaranteedNumberOfVideoEncoderInstances,
    ) -> Result<trt::GetGuaranteedNumberOfVideoEncoderInstancesResponse, Fault> {
        let s = self.store.get();
        if !s
            .media
            .video_sources
            .iter()
            .any(|v| v.token == req.configuration_token)
        {
            return Err(no_config(&req.configuration_token));
        }
        // Every encoder configuration has its own SDK channel, always encoding.
        let n = s.media.video_encoders.len() as i32;
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
        let encoder = self.streamed_profile(&req.profile_token)?;
        let setup = &req.stream_setup;
        let invalid =
            |why: &str| Fault::invalid_arg_val(Some("InvalidStreamSetup"), why.to_owned());
        match (&setup.stream, &setup.transport.protocol) {
            (tt::StreamType::RTPUnicast, _) => {}
            (tt::StreamType::RTPMulticast, tt::TransportProtocol::UDP) => {
                let s = self.store.get();
                let group = s
                    .encoder(&encoder)
                    .and_then(|e| crate::streams::multicast_config(&e.multicast));
                if group.is_none() {
                    return Err(invalid("the profile has no IPv4 multicast group"));
                }
            }
            (tt::StreamType::RTPMulticast, _) => {
                return Err(invalid("RTP-Multicast is carried over UDP only"));
            }
        }
        if setup.transport.tunnel.is_some() {
            return Err(invalid("nested transport tunnels are not supported"));
        }
        let host = match host_only(&ctx.host) {
            "" => "127.0.0.1",
            h => h,
        };
        // One URI for every transport: the client picks UDP, TCP interleaved, the HTTP
        // tunnel (on the same port) or multicast in its SETUP (docs/media.md).
        Ok(trt::GetStreamUriResponse {
            media_uri: tt::MediaUri {
                uri: format!(
                    "rtsp://{host}:{}/{}",
                    self.hooks.rtsp_port, req.profile_token
                ),
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
                uri: format!("http://{}{SNAPSHOT_PREFIX}{}", ctx.host, req.profile_token),
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
        let encoder = self.streamed_profile(&req.profile_token)?;
        let (camera, _) = self.runtime()?;
        camera
            .channel(&encoder)
            .ok_or_else(|| internal(format!("no encoder channel for {encoder:?}")))?
            .request_idr()
            .map_err(internal)?;
        Ok(Default::default())
    }

    async fn start_multicast_streaming(
        &self,
        _: &RequestContext,
        req: trt::StartMulticastStreaming,
    ) -> Result<trt::StartMulticastStreamingResponse, Fault> {
        self.streamed_profile(&req.profile_token)?;
        match self.hooks.multicast.start(&req.profile_token) {
            Ok(()) => {
                tracing::info!(profile = %req.profile_token, "multicast started");
                Ok(Default::default())
            }
            Err(MulticastError::NoGroup(_)) => Err(Fault::action(
                "IncompleteConfiguration",
                "the profile has no IPv4 multicast group",
            )),
            Err(e) => Err(internal(e)),
        }
    }

    async fn stop_multicast_streaming(
        &self,
        _: &RequestContext,
        req: trt::StopMulticastStreaming,
    ) -> Result<trt::StopMulticastStreamingResponse, Fault> {
        self.streamed_profile(&req.profile_token)?;
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
        let s = self.store.get();
        Ok(trt::GetMetadataConfigurationsResponse {
            configurations: s
                .media
                .metadata
                .iter()
                .filter_map(|m| self.metadata_configuration(&s, &m.token))
                .collect(),
        })
    }

    async fn get_metadata_configuration(
        &self,
        _: &RequestContext,
        req: trt::GetMetadataConfiguration,
    ) -> Result<trt::GetMetadataConfigurationResponse, Fault> {
        let s = self.store.get();
        Ok(trt::GetMetadataConfigurationResponse {
            configuration: self
                .metadata_configuration(&s, &req.configuration_token)
                .ok_or_else(|| no_config(&req.configuration_token))?,
        })
    }

    /// Name, Analytics, Events, multicast and session timeout, checked against
    /// GetMetadataConfigurationOptions (no PTZ status: the device has no PTZ) and persisted.
    /// The configuration is reported to clients; no metadata RTP track is streamed.
    async fn set_metadata_configuration(
        &self,
        _: &RequestContext,
        req: trt::SetMetadataConfiguration,
    ) -> Result<trt::SetMetadataConfigurationResponse, Fault> {
        let c = &req.configuration;
        let s = self.store.get();
        if !s.media.metadata.iter().any(|m| m.token == c.token) {
            return Err(no_config(&c.token));
        }
        check_name(&c.name)?;
        if c.ptz_status
            .as_ref()
            .is_some_and(|p| p.status || p.position)
        {
            return Err(config_modify(
                "PTZ status is not offered: the device has no PTZ",
            ));
        }
        if c.analytics_engine_configuration.is_some() {
            return Err(config_modify(
                "analytics engine configuration is not offered",
            ));
        }
        let multicast = multicast_from_tt(&c.multicast)?;
        let session_timeout_secs = session_timeout(&c.session_timeout)?;
        let token = c.token.clone();
        let (name, analytics, events) = (
            c.name.clone(),
            c.analytics.unwrap_or(false),
            c.events.is_some(),
        );
        self.store
            .update(|s| {
                if let Some(m) = s.media.metadata.iter_mut().find(|m| m.token == token) {
                    m.name = name;
                    m.analytics = analytics;
                    m.events = events;
                    m.multicast = multicast;
                    m.session_timeout_secs = session_timeout_secs;
                }
                Ok(())
            })
            .map_err(|e| persist_err(e, config_modify))?;
        Ok(trt::SetMetadataConfigurationResponse::default())
    }

    async fn get_compatible_metadata_configurations(
        &self,
        ctx: &RequestContext,
        req: trt::GetCompatibleMetadataConfigurations,
    ) -> Result<trt::GetCompatibleMetadataConfigurationsResponse, Fault> {
        if self.store.get().profile(&req.profile_token).is_none() {
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
        let s = self.store.get();
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
        // No PTZ: no PTZ status in the metadata.
        Ok(trt::GetMetadataConfigurationOptionsResponse {
            options: tt::MetadataConfigurationOptions {
                ptz_status_filter_options: tt::PTZStatusFilterOptions {
                    pan_tilt_status_supported: false,
                    zoom_status_supported: false,
                    ..Default::default()
                },
                ..Default::default()
            },
        })
    }
}

/// The Media service's entry in GetServices and GetCapabilities.
pub struct MediaAdvertised;

impl MediaAdvertised {
    fn capabilities() -> trt::Capabilities {
        trt::Capabilities {
            snapshot_uri: Some(true),
            rotation: Some(false),
            video_source_mode: Some(false),
            osd: Some(false),
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
        MEDIA_PATH
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
    fn host_header_without_port() {
        assert_eq!(host_only("10.0.0.5:8080"), "10.0.0.5");
        assert_eq!(host_only("cam.local"), "cam.local");
        assert_eq!(host_only("[fe80::1]:80"), "[fe80::1]");
        assert_eq!(host_only("[::1]"), "[::1]");
    }

    #[test]
    fn session_timeouts_parse_and_are_bounded() {
        assert_eq!(session_timeout("PT60S").unwrap(), 60);
        assert_eq!(session_timeout("PT2M").unwrap(), 120);
        assert!(session_timeout("PT0S").is_err());
        assert!(session_timeout("P1D").is_err());
        assert!(session_timeout("sixty").is_err());
    }

    #[test]
    fn multicast_must_be_an_ipv4_group_with_an_even_port() {
        let ok = multicast_to_tt(&Multicast {
            address: "239.1.2.3".into(),
            port: 5000,
            ttl: 2,
            auto_start: false,
        });
        assert_eq!(multicast_from_tt(&ok).unwrap().port, 5000);
        for (addr, port, ttl) in [
            ("10.0.0.1", 5000, 1),
            ("239.1.2.3", 5001, 1),
            ("239.1.2.3", 5000, 0),
            ("239.1.2.3", 70000, 1),
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
