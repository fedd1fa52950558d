//! RTP and RTCP, sans-IO: RFC 6184 H.264 packetization, RFC 3550 sender/receiver reports and
//! the pacing of RTP over UDP.

pub mod h264;
pub mod pacing;
pub mod rtcp;
