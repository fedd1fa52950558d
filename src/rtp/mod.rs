//! RTP and RTCP, sans-IO: RFC 6184 H.264 packetization, audio (RFC 3551 G.711, RFC 3640 AAC), RFC 3550 sender/receiver reports and
//! their schedule, ONVIF metadata documents, the pacing of RTP over UDP, and RTP as the stream core's packing.

pub mod aac;
pub mod audio;
pub mod g711;
pub mod h264;
pub mod metadata;
pub mod pacing;
pub mod rtcp;
pub mod stream;
pub mod wire;

pub use stream::{AudioHub, AudioRegistry, MetadataHub, MetadataRegistry, RtpHub, RtpRegistry};
pub(crate) use stream::{RtpViewer, RtpWatch};
