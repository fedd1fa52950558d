//! The DESCRIBE answer (RFC 4566 SDP with the RFC 6184 s8.1 H.264 parameters), sans-IO.
//!
//! Written as text: the document is fixed-shape and 12 lines long, and a builder crate would
//! add a dependency for no safety gain. Tests parse our output back with `sdp-types`.

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use bytes::Bytes;

use crate::rtp::h264::{CLOCK_RATE, PAYLOAD_TYPE};
use crate::stream::{Description, MulticastConfig};

/// What DESCRIBE and SETUP need of a stream: the stream core's description and the SSRC of
/// its RTP packing.
#[derive(Clone, Debug, Default)]
pub struct StreamParams {
    pub(crate) sps: Option<Bytes>,
    pub(crate) pps: Option<Bytes>,
    pub(crate) framerate: Option<f64>,
    pub(crate) ssrc: u32,
    pub(crate) multicast: Option<MulticastConfig>,
    /// Session timeout SETUP announces and the server enforces (`None`: server default).
    pub(crate) session_timeout: Option<std::time::Duration>,
}

impl StreamParams {
    pub(crate) fn of(d: Description, ssrc: u32) -> Self {
        Self {
            sps: d.sps,
            pps: d.pps,
            framerate: d.framerate,
            ssrc,
            multicast: d.multicast,
            session_timeout: d.session_timeout,
        }
    }
}

/// Control URL of the single video track, relative to Content-Base (RFC 2326 C.1.1).
pub(crate) const TRACK_CONTROL: &str = "trackID=0";

/// Builds the session description of one stream.
///
/// - `profile-level-id` is the three bytes after the SPS NAL header (RFC 6184 s8.1);
/// - `sprop-parameter-sets` is base64 SPS, comma, base64 PPS (s8.1);
/// - `packetization-mode=1` (s6.3) matches what the packetizer emits;
/// - `a=control:*` at session level and `trackID=0` on the media, so both aggregate and
///   per-track URLs work (RFC 2326 C.1.1).
///
/// Connection data: the stream URL serves unicast (and multicast on a client's request), so
/// its `c=` is the null address at session level (RFC 2326 C.1.7: the destination is chosen
/// in SETUP). With `multicast` (the stream's multicast URL) the media section carries
/// `c=IN IP4 <group>/<ttl>` (RFC 4566 s5.7: a TTL is required for IPv4 multicast) and its RTP
/// port in `m=`, and there is no session-level `c=`: a receiver can join from the SDP alone,
/// and GStreamer's rtspsrc sees the group and asks for multicast (it reads the media-level
/// `c=` and then the session-level one, keeping the last, so a session-level null address
/// would hide the group).
pub(crate) fn describe(
    params: &StreamParams,
    name: &str,
    origin_addr: &str,
    session_id: u64,
    multicast: Option<MulticastConfig>,
) -> String {
    let mut s = String::with_capacity(512);
    let ip = if origin_addr.contains(':') {
        "IP6"
    } else {
        "IP4"
    };
    let _ = write!(
        s,
        "v=0\r\no=- {session_id} 1 IN {ip} {origin_addr}\r\ns={name}\r\n"
    );
    if multicast.is_none() {
        let null = if ip == "IP6" { "::" } else { "0.0.0.0" };
        let _ = write!(s, "c=IN {ip} {null}\r\n");
    }
    s.push_str("t=0 0\r\na=control:*\r\na=range:npt=now-\r\n");
    let port = multicast.map_or(0, |m| m.port);
    let _ = write!(s, "m=video {port} RTP/AVP {PAYLOAD_TYPE}\r\n");
    if let Some(m) = multicast {
        let _ = write!(s, "c=IN IP4 {}/{}\r\n", m.group, m.ttl);
    }
    let _ = write!(s, "a=rtpmap:{PAYLOAD_TYPE} H264/{CLOCK_RATE}\r\n");
    let _ = write!(s, "a=fmtp:{PAYLOAD_TYPE} packetization-mode=1");
    if let Some(sps) = params.sps.as_ref().filter(|s| s.len() >= 4) {
        let _ = write!(
            s,
            ";profile-level-id={:02X}{:02X}{:02X}",
            sps[1], sps[2], sps[3]
        );
    }
    if let (Some(sps), Some(pps)) = (&params.sps, &params.pps) {
        let _ = write!(
            s,
            ";sprop-parameter-sets={},{}",
            STANDARD.encode(sps),
            STANDARD.encode(pps)
        );
    }
    s.push_str("\r\n");
    if let Some(fps) = params.framerate {
        let _ = write!(s, "a=framerate:{fps}\r\n");
    }
    let _ = write!(s, "a=control:{TRACK_CONTROL}\r\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdp_has_h264_parameters_and_parses() {
        let p = StreamParams {
            sps: Some(Bytes::from_static(&[0x67, 0x42, 0xc0, 0x1e, 0xd9])),
            pps: Some(Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80])),
            framerate: Some(25.0),
            ssrc: 1,
            multicast: None,
            session_timeout: None,
        };
        let s = describe(&p, "main", "127.0.0.1", 42, None);
        assert!(s.contains("profile-level-id=42C01E"), "{s}");
        assert!(s.contains("sprop-parameter-sets=Z0LAHtk=,aM48gA=="), "{s}");
        assert!(s.contains("a=framerate:25\r\n"));
        let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
        assert_eq!(parsed.medias.len(), 1);
        assert_eq!(parsed.medias[0].media, "video");
        assert_eq!(parsed.medias[0].port, 0);
        let c = parsed.connection.as_ref().expect("session-level c=");
        assert_eq!(c.connection_address, "0.0.0.0");
        assert!(parsed.medias[0].connections.is_empty());
    }

    #[test]
    fn multicast_url_carries_group_ttl_and_port_in_the_media() {
        let m = MulticastConfig {
            group: "239.1.2.3".parse().unwrap(),
            port: 5004,
            ttl: 8,
        };
        let s = describe(&StreamParams::default(), "main", "10.0.0.1", 7, Some(m));
        let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
        assert!(parsed.connection.is_none(), "{s}");
        let media = &parsed.medias[0];
        assert_eq!(media.port, 5004);
        assert_eq!(media.connections.len(), 1);
        assert_eq!(media.connections[0].connection_address, "239.1.2.3/8");
    }

    #[test]
    fn without_parameter_sets_still_valid() {
        let s = describe(&StreamParams::default(), "sub", "::1", 1, None);
        assert!(s.contains("IN IP6 ::1"));
        assert!(!s.contains("sprop"));
        sdp_types::Session::parse(s.as_bytes()).unwrap();
    }
}
