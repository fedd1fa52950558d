//! The embedded RTSP 1.0 server (RFC 2326): sans-IO cores (`message`, `transport`, `sdp`,
//! `session`), the tokio shell (`server`) and RTP delivery of the stream core's frames
//! (`delivery`), and the ONVIF audio back channel (`backchannel` sans-IO, `talk` its shell).
//! See `docs/rtsp.md`.

pub mod auth;
pub mod backchannel;
pub mod delivery;
mod direct_write;
pub mod limits;
pub mod message;
pub mod sdp;
pub mod server;
pub mod session;
pub mod talk;
pub mod transport;
pub mod tunnel;
pub mod udp_batch;

pub(crate) use auth::DigestRtspAuth;
pub use auth::{AuthDecision, AuthRequest, NoAuth, RtspAuth};
pub use limits::Limits;
pub(crate) use server::{MulticastControl, MulticastError};
pub use server::{RtspServer, ServerConfig, ServerMetrics, TalkPaths};
pub(crate) use talk::SdkSpeaker;
