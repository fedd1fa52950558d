//! RTP and RTCP, sans-IO: RFC 6184 H.264 packetization and RFC 3550 sender/receiver reports.

pub mod h264;
pub mod rtcp;
