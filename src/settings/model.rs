//! Settings types. Serialised as JSON in `settings.json`; every struct rejects unknown fields
//! so a file written by a newer nvt (or hand-edited with a typo) is a clear error, never a
//! setting silently dropped on the next write. Fields added later carry `#[serde(default)]`
//! so older files still load.

use serde::{Deserialize, Serialize};

use crate::auth::UserLevel;
use crate::osd::{Position, TextStyle};
use crate::sdk::{H264Profile, IspAttr, PtzVector, RateControl};

/// Version of the file layout; bumped on an incompatible change (with a migration).
pub(crate) const SETTINGS_FORMAT: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub(crate) format: u32,
    pub device: DeviceSettings,
    /// Empty only before first start completes: the daemon then creates the administrator.
    pub users: Vec<User>,
    pub network: NetworkSettings,
    pub(crate) time: TimeSettings,
    pub discovery: DiscoverySettings,
    pub media: MediaSettings,
    /// One entry per video source.
    pub(crate) imaging: Vec<ImagingSettings>,
    pub events: EventSettings,
    /// What each PTZ node (the head of one video source) keeps: its home and presets. Named
    /// apart from `media.ptz` (the PTZ configurations, which profiles refer to): a node is
    /// the hardware's, a configuration the clients'.
    #[serde(default)]
    pub(crate) ptz_nodes: Vec<PtzNode>,
    /// Relay outputs and digital inputs as clients configured them (DeviceIO).
    #[serde(default)]
    pub(crate) io: IoSettings,
}

/// What the owner may name; the rest of the identity (model, serial, firmware) comes from the
/// SDK and the build, not from the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSettings {
    /// Friendly name (ONVIF `name` scope).
    pub name: String,
    /// ONVIF `location` scope.
    pub location: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub username: String,
    /// Clear text: both ONVIF auth schemes need it (see `auth::Credential`).
    pub password: String,
    pub level: UserLevel,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSettings {
    /// None: report the host's own name.
    pub hostname: Option<String>,
    pub(crate) dns: DnsSettings,
    pub(crate) ntp: NtpSettings,
    pub(crate) default_gateway: Vec<String>,
    /// Accept Basic auth on RTSP and snapshot endpoints (Digest is always on).
    pub(crate) allow_basic_auth: bool,
    /// Ports set by ONVIF SetNetworkProtocols; they win over the command line and config
    /// file, so a port an NVR configured survives restarts.
    #[serde(default)]
    pub protocols: ProtocolSettings,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolSettings {
    /// None: the `--http-port` of the command line or config file.
    pub http_port: Option<u16>,
    /// None: the `--rtsp-port` of the command line or config file.
    pub(crate) rtsp_port: Option<u16>,
    /// false: no RTSP server (streams stay configured; GetStreamUri still answers).
    pub rtsp_enabled: bool,
}

impl Default for ProtocolSettings {
    fn default() -> Self {
        ProtocolSettings {
            http_port: None,
            rtsp_port: None,
            rtsp_enabled: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DnsSettings {
    pub(crate) from_dhcp: bool,
    pub(crate) search_domains: Vec<String>,
    pub(crate) servers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NtpSettings {
    pub(crate) from_dhcp: bool,
    pub(crate) servers: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DateTimeType {
    Manual,
    Ntp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeSettings {
    pub(crate) date_time_type: DateTimeType,
    pub(crate) daylight_savings: bool,
    /// POSIX TZ string, e.g. "CET-1CEST,M3.5.0,M10.5.0/3".
    pub(crate) timezone: String,
    /// SetSystemDateAndTime on a host whose clock nvt must not change: seconds added to the
    /// host clock when reporting the camera's time.
    pub(crate) clock_offset_secs: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiscoveryMode {
    Discoverable,
    NonDiscoverable,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverySettings {
    pub(crate) mode: DiscoveryMode,
    /// Scopes added by clients (AddScopes/SetScopes), beyond the fixed ones and the name
    /// and location scopes (which live in `device`).
    pub extra_scopes: Vec<String>,
    /// WS-Discovery MetadataVersion: bumped whenever the scopes change, and persisted so it
    /// never goes back after a restart (WS-Discovery 2005/04 s.4.1: it increases with any
    /// change of the advertised metadata).
    #[serde(default)]
    pub metadata_version: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    pub profiles: Vec<Profile>,
    pub(crate) video_sources: Vec<VideoSourceConfig>,
    pub video_encoders: Vec<VideoEncoderConfig>,
    pub(crate) metadata: Vec<MetadataConfig>,
    /// ONVIF PTZConfigurations. Created at start for a video source whose SDK reports a
    /// head (`camera::change`, HardwareDefaults), never deleted.
    #[serde(default)]
    pub(crate) ptz: Vec<PtzConfig>,
    /// On-screen texts (ONVIF OSDConfigurations), each shown in one video source
    /// configuration's window, at most the SDK's region count per source
    /// (`camera::change::osd`).
    #[serde(default)]
    pub(crate) osd: Vec<OsdConfig>,
    /// ONVIF AudioSourceConfigurations: which microphone (SDK audio input).
    #[serde(default = "default_audio_sources")]
    pub(crate) audio_sources: Vec<AudioSourceConfig>,
    /// ONVIF AudioEncoderConfigurations: how a profile's audio track is encoded
    /// (`crate::audio`). A profile carries audio only when it names one: none does by
    /// default (docs/settings.md, "Audio").
    #[serde(default = "default_audio_encoders")]
    pub(crate) audio_encoders: Vec<AudioEncoderConfig>,
    /// ONVIF AudioOutputConfigurations: which speaker (SDK audio output) a profile's back
    /// channel plays on, and at what level. Created at start for a board with a speaker
    /// (`camera::change::audio_out`), as PTZ configurations are for a head.
    #[serde(default)]
    pub(crate) audio_outputs: Vec<AudioOutputConfig>,
    /// ONVIF AudioDecoderConfigurations: what the speaker decodes (G.711 at 8 kHz, the
    /// codecs the SDK's AO block reports).
    #[serde(default)]
    pub(crate) audio_decoders: Vec<AudioDecoderConfig>,
    /// Profiles a client started multicast for (StartMulticastStreaming) and has not stopped:
    /// started again at start-up (ONVIF Media WSDL, StartMulticastStreaming: "The streaming
    /// shall continue after a reboot of the device until a StopMulticastStreaming request is
    /// received"). Kept by `camera::change::multicast`.
    #[serde(default)]
    pub(crate) multicast_started: Vec<String>,
}

/// An ONVIF AudioOutputConfiguration (ONVIF Media s5.20, "Audio output configuration").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AudioOutputConfig {
    pub(crate) token: String,
    pub(crate) name: String,
    /// SDK audio output index (`NVT_AO_*`'s `ao`); its ONVIF token is `aout<index>`.
    pub(crate) output: u32,
    /// SendPrimacy (a half-duplex device's direction URI). None: full duplex, as every
    /// board of the contract is (microphone and speaker work at once).
    #[serde(default)]
    pub(crate) send_primacy: Option<String>,
    /// OutputLevel 0..=100: the SDK volume (`NVT_AO_SetVolume`), applied by the camera core.
    pub(crate) output_level: u32,
}

/// An ONVIF AudioDecoderConfiguration (ONVIF Media s5.23): a token and a name. What it
/// decodes is the speaker's: the options list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AudioDecoderConfig {
    pub(crate) token: String,
    pub(crate) name: String,
}

/// An ONVIF AudioSourceConfiguration (ONVIF Media, "Audio source configuration").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AudioSourceConfig {
    pub(crate) token: String,
    pub(crate) name: String,
    /// SDK audio input index (NVT_AI_ATTR_S.ai).
    pub(crate) source: u32,
}

/// The encodings an audio encoder configuration may ask for. Media2 names them by their
/// RTP encoding names (PCMU, PCMA, MPEG4-GENERIC); Media1 says G711 (PCMU) and AAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum AudioEncoding {
    Pcmu,
    Pcma,
    Aac,
}

/// An ONVIF AudioEncoderConfiguration (ONVIF Media, "Audio encoder configuration"): the
/// fields the ONVIF track will translate Set/Get into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AudioEncoderConfig {
    pub(crate) token: String,
    pub(crate) name: String,
    /// SDK AI channel it encodes on.
    pub(crate) channel: u32,
    pub(crate) encoding: AudioEncoding,
    pub(crate) bitrate_kbps: u32,
    pub(crate) sample_rate_hz: u32,
    pub(crate) multicast: Multicast,
    pub(crate) session_timeout_secs: u32,
}

pub(crate) const AUDIO_SOURCE_CONFIG: &str = "asc0";
pub(crate) const AUDIO_ENCODER: &str = "aenc0";

fn default_audio_sources() -> Vec<AudioSourceConfig> {
    vec![AudioSourceConfig {
        token: AUDIO_SOURCE_CONFIG.into(),
        name: "Microphone".into(),
        source: 0,
    }]
}

fn default_audio_encoders() -> Vec<AudioEncoderConfig> {
    vec![AudioEncoderConfig {
        token: AUDIO_ENCODER.into(),
        name: "G.711".into(),
        channel: 0,
        encoding: AudioEncoding::Pcmu,
        bitrate_kbps: 64,
        sample_rate_hz: 8000,
        multicast: multicast(5006),
        session_timeout_secs: 60,
    }]
}

/// An on-screen text (ONVIF `tt:OSDConfiguration` of Type Text; Media2 s."OSD"), rendered by
/// `crate::osd` and blended by the SDK into every stream and snapshot of its source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsdConfig {
    pub(crate) token: String,
    /// The video source configuration it is shown in (its window is the OSD's frame).
    pub(crate) video_source: String,
    pub(crate) position: Position,
    pub(crate) text: TextStyle,
}

/// A media profile: a named combination of configurations (ONVIF `tt:Profile`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub(crate) token: String,
    pub(crate) name: String,
    /// Fixed profiles cannot be deleted.
    pub(crate) fixed: bool,
    pub(crate) video_source: Option<String>,
    pub video_encoder: Option<String>,
    pub(crate) metadata: Option<String>,
    /// The PTZ configuration's token.
    #[serde(default)]
    pub(crate) ptz: Option<String>,
    /// The audio source configuration's token.
    #[serde(default)]
    pub(crate) audio_source: Option<String>,
    /// The audio encoder configuration's token: the profile's RTSP stream has an audio
    /// track (`trackID=2`) while it is set. Off by default: a camera records sound only
    /// when its owner asks (recording sound is regulated in many places).
    #[serde(default)]
    pub(crate) audio_encoder: Option<String>,
    /// The audio output configuration's token: with an audio decoder configuration too, the
    /// profile's RTSP stream offers the ONVIF back channel (docs/rtsp.md "Back channel").
    #[serde(default)]
    pub(crate) audio_output: Option<String>,
    /// The audio decoder configuration's token.
    #[serde(default)]
    pub(crate) audio_decoder: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VideoSourceConfig {
    pub(crate) token: String,
    pub(crate) name: String,
    /// SDK video source index.
    pub(crate) source: u32,
    pub(crate) bounds: Bounds,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Bounds {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// One encoder configuration drives one SDK encoder channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoEncoderConfig {
    pub(crate) token: String,
    pub(crate) name: String,
    /// SDK encoder channel.
    pub(crate) channel: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub(crate) bitrate_kbps: u32,
    pub(crate) rate_control: RateControl,
    pub gop: u32,
    pub(crate) h264_profile: H264Profile,
    /// ONVIF Quality (0..=10 here); mapped to the quantiser for constant-QP rate control.
    pub(crate) quality: u32,
    pub(crate) multicast: Multicast,
    /// RTSP session timeout advertised for streams of this configuration.
    pub session_timeout_secs: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Multicast {
    pub(crate) address: String,
    pub(crate) port: u16,
    pub(crate) ttl: u8,
    pub(crate) auto_start: bool,
}

impl Multicast {
    /// The stream hub's multicast group of this configuration. Settings validation
    /// guarantees a multicast address; only IPv4 groups are served.
    pub(crate) fn group(&self) -> Option<crate::stream::MulticastConfig> {
        self.address
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|group| crate::stream::MulticastConfig {
                group,
                port: self.port,
                ttl: self.ttl,
            })
    }
}

/// An ONVIF PTZConfiguration: which node (head) a profile's PTZ commands move, and the
/// defaults of moves that do not say. Spaces and limits are the node's, not stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtzConfig {
    pub(crate) token: String,
    pub(crate) name: String,
    /// SDK video source index (of the head).
    pub(crate) source: u32,
    /// Token of the node (`Settings::ptz_nodes`) of that source.
    pub(crate) node: String,
    /// How long a ContinuousMove without Timeout runs (ONVIF DefaultPTZTimeout).
    pub(crate) default_timeout_ms: u32,
    /// Speed of a move without Speed (ONVIF DefaultPTZSpeed).
    pub(crate) default_speed: PtzSpeed,
    /// The space of a move's pan/tilt that names none, where the node offers two
    /// (DefaultAbsolutePantTiltPositionSpace, DefaultRelativePanTiltTranslationSpace); every
    /// other use has one space. Absent from the file: the generic spaces.
    #[serde(default, skip_serializing_if = "PtzDefaultSpaces::is_generic")]
    pub(crate) spaces: PtzDefaultSpaces,
}

/// The default pan/tilt spaces of a PTZ configuration (SetConfiguration sets them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtzDefaultSpaces {
    /// Absolute moves: the spherical position space in degrees instead of the generic one.
    #[serde(default)]
    pub(crate) absolute_degrees: bool,
    /// Relative moves: TranslationSpaceFov instead of the generic translation space.
    #[serde(default)]
    pub(crate) relative_fov: bool,
}

impl PtzDefaultSpaces {
    fn is_generic(&self) -> bool {
        *self == PtzDefaultSpaces::default()
    }
}

/// Speeds per axis group, in permille of the head's top speed (0..=1000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtzSpeed {
    pub(crate) pan_tilt: u32,
    pub(crate) zoom: u32,
}

/// Permille of the top speed: [`PtzSpeed`]'s unit, and its default (full speed).
pub(crate) const PTZ_SPEED_FULL: u32 = 1000;
/// DefaultPTZTimeout of a new PTZ configuration. Short: Home Assistant's continuous zoom
/// never sends Stop for the zoom, so it ends only here.
pub(crate) const DEFAULT_PTZ_TIMEOUT_MS: u32 = 5000;

impl Default for PtzSpeed {
    fn default() -> Self {
        PtzSpeed {
            pan_tilt: PTZ_SPEED_FULL,
            zoom: PTZ_SPEED_FULL,
        }
    }
}

/// What a PTZ node keeps across restarts: the head of one video source, its home and its
/// presets. Positions are in the SDK's units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtzNode {
    /// The ONVIF PTZNode token (`PtzConfig::node`).
    pub(crate) token: String,
    /// SDK video source index of the head.
    pub(crate) source: u32,
    /// Set by SetHomePosition; None: the SDK's factory home (`NVT_PTZ_INFO_S.home`).
    pub(crate) home: Option<PtzPosition>,
    pub(crate) presets: Vec<PtzPreset>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtzPreset {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) position: PtzPosition,
}

/// A head position in the SDK's units: pan and tilt in 1/100 degree, zoom in 1/100 x.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtzPosition {
    pub pan: i32,
    pub tilt: i32,
    pub zoom: i32,
}

impl From<PtzVector> for PtzPosition {
    fn from(v: PtzVector) -> Self {
        PtzPosition {
            pan: v.pan,
            tilt: v.tilt,
            zoom: v.zoom,
        }
    }
}

impl From<PtzPosition> for PtzVector {
    fn from(p: PtzPosition) -> Self {
        PtzVector {
            pan: p.pan,
            tilt: p.tilt,
            zoom: p.zoom,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetadataConfig {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) analytics: bool,
    pub(crate) events: bool,
    pub(crate) multicast: Multicast,
    pub(crate) session_timeout_secs: u32,
    /// The Events filter (`tt:MetadataConfiguration/Events/Filter`): which events the
    /// metadata stream carries. Empty: no filter.
    #[serde(default)]
    pub(crate) events_filter: Vec<FilterComponent>,
}

/// One component of a `wsnt:Filter` as the client sent it: kept as text and evaluated
/// against the topic catalog when a stream starts, so the file does not depend on the
/// catalog's order (a topic added later matches a filter that names it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilterComponent {
    /// `TopicExpression` or `MessageContent` (namespace `wsnt:`).
    pub(crate) element: String,
    pub(crate) dialect: String,
    pub(crate) text: String,
    /// The namespace declarations in scope at the component (prefix, URI): its QNames
    /// (`tns1:`, `tt:`) refer to them.
    pub(crate) namespaces: Vec<(String, String)>,
}

/// Image settings of one video source: the ISP in the SDK's units, and motion detection.
///
/// A fresh settings file has none: at first start the daemon takes the SDK's own defaults
/// (which are within the hardware's ranges on any port) and persists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagingSettings {
    /// Video source token this applies to.
    pub(crate) source_token: String,
    pub(crate) isp: IspAttr,
    pub(crate) motion: MotionSettings,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MotionSettings {
    pub(crate) enabled: bool,
    /// 0..=100.
    pub(crate) sensitivity: u32,
    /// Motion must hold this long before it is reported, and stop this long before its end
    /// is, so one noisy frame raises no event.
    pub(crate) debounce_ms: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    pub max_pull_points: u32,
    /// Let push subscriptions target loopback, link-local, multicast or unspecified
    /// addresses. Off by default so the camera cannot be aimed at its own network (SSRF).
    pub allow_private_push_targets: bool,
    /// Sound detection (`tns1:AudioAnalytics/Audio/DetectedSound`).
    #[serde(default)]
    pub(crate) sound: SoundSettings,
}

/// The sound detector's threshold (`events::sound`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SoundSettings {
    /// Sound is detected at this level (dBFS, -96..=0) and over; -40 dBFS is well above a
    /// quiet room's noise at a camera microphone and below speech at a few metres.
    pub(crate) threshold_dbfs: i32,
}

impl Default for SoundSettings {
    fn default() -> Self {
        SoundSettings {
            threshold_dbfs: -40,
        }
    }
}

/// What clients set of the board's relays and digital inputs (DeviceIO
/// SetRelayOutputSettings, SetDigitalInputConfigurations; Device SetRelayOutputSettings). A
/// relay or input without an entry has its defaults (`io::relay_defaults`,
/// `io::input_defaults`); an entry for one the board does not have is kept, not offered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IoSettings {
    pub(crate) relays: Vec<RelaySettings>,
    pub(crate) inputs: Vec<InputSettings>,
}

/// `tt:RelayOutputSettings` of one relay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySettings {
    pub(crate) token: String,
    pub(crate) mode: RelayMode,
    /// How long a monostable relay stays active, within `validate::RELAY_DELAY_MS`.
    pub(crate) delay_ms: u32,
    /// The physical state of the relay while it is inactive.
    pub(crate) idle: IdleState,
}

/// `tt:RelayMode`: a bistable relay keeps the state it is set to; a monostable one returns
/// to inactive after its delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelayMode {
    Monostable,
    Bistable,
}

/// `tt:RelayIdleState` / `tt:DigitalIdleState`: the circuit's state while inactive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdleState {
    Open,
    Closed,
}

/// `tt:DigitalInput`'s configuration: its idle state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSettings {
    pub(crate) token: String,
    pub(crate) idle: IdleState,
}

impl Default for MotionSettings {
    fn default() -> Self {
        MotionSettings {
            enabled: true,
            sensitivity: 50,
            debounce_ms: 200,
        }
    }
}

pub(crate) const MAIN_PROFILE: &str = "main";
pub(crate) const SUB_PROFILE: &str = "sub";
pub(crate) const VIDEO_SOURCE_CONFIG: &str = "vsc0";
pub(crate) const MAIN_ENCODER: &str = "venc_main";
pub(crate) const SUB_ENCODER: &str = "venc_sub";
pub(crate) const METADATA_CONFIG: &str = "meta0";

fn multicast(port: u16) -> Multicast {
    Multicast {
        address: "239.255.42.42".into(),
        port,
        ttl: 1,
        auto_start: false,
    }
}

impl Default for Settings {
    fn default() -> Self {
        let encoder = |token: &str, name: &str, channel, (width, height), fps, kbps, port| {
            VideoEncoderConfig {
                token: token.into(),
                name: name.into(),
                channel,
                width,
                height,
                fps,
                bitrate_kbps: kbps,
                rate_control: RateControl::Cbr,
                gop: fps * 2,
                h264_profile: H264Profile::Main,
                quality: 5,
                multicast: multicast(port),
                session_timeout_secs: 60,
            }
        };
        let profile = |token: &str, name: &str, encoder: &str| Profile {
            token: token.into(),
            name: name.into(),
            fixed: true,
            video_source: Some(VIDEO_SOURCE_CONFIG.into()),
            video_encoder: Some(encoder.into()),
            // A profile holding a metadata configuration carries the metadata track: none
            // until a client adds one (docs/rtsp.md, "Tracks"), so a recorder copying every
            // track (`ffmpeg -map 0 -c copy out.mp4`) is not handed a data track it cannot
            // store.
            metadata: None,
            // Added at first start when the SDK reports a head.
            ptz: None,
            audio_source: None,
            audio_encoder: None,
            // Added at first start when the SDK reports a speaker (the main profile only).
            audio_output: None,
            audio_decoder: None,
        };
        Settings {
            format: SETTINGS_FORMAT,
            device: DeviceSettings {
                name: "nvt".into(),
                location: "unknown".into(),
            },
            users: Vec::new(),
            network: NetworkSettings {
                hostname: None,
                dns: DnsSettings {
                    from_dhcp: true,
                    search_domains: vec![],
                    servers: vec![],
                },
                ntp: NtpSettings {
                    from_dhcp: true,
                    servers: vec![],
                },
                default_gateway: vec![],
                allow_basic_auth: false,
                protocols: ProtocolSettings::default(),
            },
            time: TimeSettings {
                date_time_type: DateTimeType::Ntp,
                daylight_savings: false,
                timezone: "UTC0".into(),
                clock_offset_secs: 0,
            },
            discovery: DiscoverySettings {
                mode: DiscoveryMode::Discoverable,
                extra_scopes: vec![],
                metadata_version: 1,
            },
            media: MediaSettings {
                profiles: vec![
                    profile(MAIN_PROFILE, "Main stream", MAIN_ENCODER),
                    profile(SUB_PROFILE, "Sub stream", SUB_ENCODER),
                ],
                video_sources: vec![VideoSourceConfig {
                    token: VIDEO_SOURCE_CONFIG.into(),
                    name: "Camera".into(),
                    source: 0,
                    bounds: Bounds {
                        x: 0,
                        y: 0,
                        width: 1280,
                        height: 720,
                    },
                }],
                video_encoders: vec![
                    encoder(MAIN_ENCODER, "Main H.264", 0, (1280, 720), 25, 2048, 5000),
                    encoder(SUB_ENCODER, "Sub H.264", 1, (640, 360), 15, 512, 5002),
                ],
                metadata: vec![MetadataConfig {
                    token: METADATA_CONFIG.into(),
                    name: "Events".into(),
                    analytics: true,
                    events: true,
                    multicast: multicast(5004),
                    session_timeout_secs: 60,
                    events_filter: Vec::new(),
                }],
                ptz: Vec::new(),
                osd: Vec::new(),
                audio_sources: default_audio_sources(),
                audio_encoders: default_audio_encoders(),
                audio_outputs: Vec::new(),
                audio_decoders: Vec::new(),
                multicast_started: Vec::new(),
            },
            imaging: Vec::new(),
            events: EventSettings {
                max_pull_points: 16,
                allow_private_push_targets: false,
                sound: SoundSettings::default(),
            },
            ptz_nodes: Vec::new(),
            io: IoSettings::default(),
        }
    }
}

impl Settings {
    pub fn user(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|u| u.username == username)
    }

    pub fn encoder(&self, token: &str) -> Option<&VideoEncoderConfig> {
        self.media.video_encoders.iter().find(|e| e.token == token)
    }

    pub(crate) fn imaging(&self, source_token: &str) -> Option<&ImagingSettings> {
        self.imaging.iter().find(|i| i.source_token == source_token)
    }

    pub(crate) fn profile(&self, token: &str) -> Option<&Profile> {
        self.media.profiles.iter().find(|p| p.token == token)
    }

    pub(crate) fn osd(&self, token: &str) -> Option<&OsdConfig> {
        self.media.osd.iter().find(|o| o.token == token)
    }

    pub(crate) fn audio_encoder(&self, token: &str) -> Option<&AudioEncoderConfig> {
        self.media.audio_encoders.iter().find(|e| e.token == token)
    }

    pub(crate) fn audio_output(&self, token: &str) -> Option<&AudioOutputConfig> {
        self.media.audio_outputs.iter().find(|c| c.token == token)
    }

    pub(crate) fn audio_decoder(&self, token: &str) -> Option<&AudioDecoderConfig> {
        self.media.audio_decoders.iter().find(|c| c.token == token)
    }

    pub(crate) fn ptz_config(&self, token: &str) -> Option<&PtzConfig> {
        self.media.ptz.iter().find(|c| c.token == token)
    }

    pub(crate) fn ptz_node(&self, token: &str) -> Option<&PtzNode> {
        self.ptz_nodes.iter().find(|n| n.token == token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::parse;

    /// A file written before audio (no audio configurations, no profile audio tokens)
    /// loads with the default configurations and every profile without audio.
    #[test]
    fn a_file_without_audio_loads_with_audio_off() {
        let mut old = serde_json::to_value(Settings::default()).unwrap();
        let media = old["media"].as_object_mut().unwrap();
        assert!(media.remove("audio_sources").is_some());
        assert!(media.remove("audio_encoders").is_some());
        for p in old["media"]["profiles"].as_array_mut().unwrap() {
            let p = p.as_object_mut().unwrap();
            p.remove("audio_source");
            p.remove("audio_encoder");
        }
        let s = parse(&serde_json::to_vec(&old).unwrap()).unwrap();
        assert_eq!(s, Settings::default());
        assert!(s.media.profiles.iter().all(|p| p.audio_encoder.is_none()));
        assert_eq!(s.media.audio_encoders[0].encoding, AudioEncoding::Pcmu);
    }

    /// A file written before PTZ (no `media.ptz`, no profile `ptz`, no `ptz_nodes`) loads
    /// unchanged, and what nvt writes back loads again to the same settings.
    #[test]
    fn a_file_without_ptz_loads_and_round_trips() {
        let mut old = serde_json::to_value(Settings::default()).unwrap();
        let root = old.as_object_mut().unwrap();
        assert!(root.remove("ptz_nodes").is_some());
        let media = root["media"].as_object_mut().unwrap();
        assert!(media.remove("ptz").is_some());
        for p in media["profiles"].as_array_mut().unwrap() {
            assert!(p.as_object_mut().unwrap().remove("ptz").is_some());
        }
        let text = serde_json::to_vec_pretty(&old).unwrap();
        assert!(!String::from_utf8_lossy(&text).contains("ptz"));
        let loaded = parse(&text).unwrap();
        assert_eq!(loaded, Settings::default());
        assert!(loaded.media.ptz.is_empty() && loaded.ptz_nodes.is_empty());
        assert!(loaded.media.profiles.iter().all(|p| p.ptz.is_none()));
        let again = serde_json::to_vec(&loaded).unwrap();
        assert_eq!(parse(&again).unwrap(), loaded);
    }

    /// A file without `io` (written before DeviceIO) loads with no relay or input
    /// configured; a client's relay and input settings round-trip, and a delay outside
    /// `RELAY_DELAY_MS` or a token given twice is refused at load.
    #[test]
    fn io_settings_are_optional_and_round_trip() {
        let mut old = serde_json::to_value(Settings::default()).unwrap();
        assert!(old.as_object_mut().unwrap().remove("io").is_some());
        let loaded = parse(&serde_json::to_vec(&old).unwrap()).unwrap();
        assert_eq!(loaded.io, IoSettings::default());
        let mut s = Settings::default();
        s.io.relays.push(RelaySettings {
            token: "relay1".into(),
            mode: RelayMode::Monostable,
            delay_ms: 500,
            idle: IdleState::Closed,
        });
        s.io.inputs.push(InputSettings {
            token: "input0".into(),
            idle: IdleState::Closed,
        });
        let text = serde_json::to_vec(&s).unwrap();
        assert_eq!(parse(&text).unwrap(), s);
        let mut bad = s.clone();
        bad.io.relays[0].delay_ms = 0;
        assert!(parse(&serde_json::to_vec(&bad).unwrap()).is_err());
        let mut twice = s.clone();
        twice.io.inputs.push(twice.io.inputs[0].clone());
        assert!(parse(&serde_json::to_vec(&twice).unwrap()).is_err());
    }

    #[test]
    fn ptz_settings_round_trip() {
        let mut s = Settings::default();
        s.media.ptz.push(PtzConfig {
            token: "ptz_0".into(),
            name: "PTZ".into(),
            source: 0,
            node: "ptz_node_0".into(),
            default_timeout_ms: DEFAULT_PTZ_TIMEOUT_MS,
            default_speed: PtzSpeed::default(),
            spaces: Default::default(),
        });
        s.media.profiles[0].ptz = Some("ptz_0".into());
        let at = |pan| PtzPosition {
            pan,
            tilt: -500,
            zoom: 250,
        };
        s.ptz_nodes.push(PtzNode {
            token: "ptz_node_0".into(),
            source: 0,
            home: Some(at(100)),
            presets: vec![PtzPreset {
                token: "1".into(),
                name: "home".into(),
                position: at(-100),
            }],
        });
        let text = serde_json::to_vec(&s).unwrap();
        assert_eq!(parse(&text).unwrap(), s);
        assert_eq!(s.ptz_node("ptz_node_0").unwrap().presets.len(), 1);
    }
}
