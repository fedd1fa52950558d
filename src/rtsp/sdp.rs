//! The DESCRIBE answer (RFC 4566 SDP with the RFC 6184 s8.1 H.264 parameters, and the ONVIF
//! metadata track), sans-IO, and the tracks a stream's presentation has.
//!
//! Written as text: the document is fixed-shape and under 20 lines long, and a builder crate
//! would add a dependency for no safety gain. Tests parse our output back with `sdp-types`.

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use bytes::Bytes;

use crate::rtp::h264::{CLOCK_RATE, PAYLOAD_TYPE};
use crate::rtp::metadata;
use crate::stream::{Description, MulticastConfig};

/// What a track of a presentation carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackKind {
    /// H.264 (RFC 6184): every stream has it, as track 0.
    Video,
    /// ONVIF metadata (`application/vnd.onvif.metadata`, ONVIF Streaming "RTSP session for
    /// a metadata stream"): present while the profile's metadata configuration asks for
    /// content.
    Metadata,
    /// The microphone (`rtp::audio`): present while the profile has an audio encoder
    /// configuration (docs/rtsp.md, "Audio").
    Audio(crate::rtp::audio::AudioFormat),
    /// The ONVIF audio back channel (client to camera, `backchannel`): offered only to a
    /// DESCRIBE with `Require: www.onvif.org/ver20/backchannel`. PCMU always, PCMA when the
    /// speaker decodes it.
    Backchannel { pcma: bool },
}

impl TrackKind {
    /// The track's number in its control URL (`trackID=<id>`). Fixed per kind, so a URL
    /// means the same track whatever else the stream has at the moment (a metadata track
    /// comes and goes with its configuration): video 0, metadata 1, audio 2.
    pub(crate) const fn id(self) -> u8 {
        match self {
            TrackKind::Video => 0,
            TrackKind::Metadata => 1,
            TrackKind::Audio(_) => AUDIO_TRACK,
            TrackKind::Backchannel { .. } => super::backchannel::TRACK_ID,
        }
    }
}

/// The audio track's id (`trackID=2`), whatever its format.
pub(crate) const AUDIO_TRACK: u8 = 2;

/// One track of a stream beyond its video: what DESCRIBE lists and SETUP answers for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackParams {
    pub(crate) kind: TrackKind,
    pub(crate) ssrc: u32,
    /// The track's own multicast group (a metadata configuration's), `None`: the track is
    /// not multicast (SETUP with `multicast` is 461, the multicast URL leaves it out).
    pub(crate) multicast: Option<MulticastConfig>,
}

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
    /// The stream's tracks besides video (track 0), in track id order.
    pub(crate) tracks: Vec<TrackParams>,
    /// A presentation without video (a profile holding a metadata configuration and no
    /// video encoder): the fields above describing video are unused.
    pub(crate) without_video: bool,
}

impl StreamParams {
    /// The SSRC of track `id`, or `None` if the stream has no such track now.
    pub(crate) fn track_ssrc(&self, id: u8) -> Option<u32> {
        if id == TrackKind::Video.id() {
            return (!self.without_video).then_some(self.ssrc);
        }
        self.tracks
            .iter()
            .find(|t| t.kind.id() == id)
            .map(|t| t.ssrc)
    }

    /// Whether any track has a multicast group (the stream has a multicast URL).
    pub(crate) fn has_multicast(&self) -> bool {
        self.track_multicast(TrackKind::Video.id()).is_some()
            || self.tracks.iter().any(|t| t.multicast.is_some())
    }

    /// The track the aggregate URL means: the video, or the first track of a presentation
    /// without video.
    pub(crate) fn first_track(&self) -> u8 {
        match self.tracks.first() {
            Some(t) if self.without_video => t.kind.id(),
            _ => TrackKind::Video.id(),
        }
    }

    /// The multicast group of track `id`, if it has one.
    pub(crate) fn track_multicast(&self, id: u8) -> Option<MulticastConfig> {
        if id == TrackKind::Video.id() {
            return self.multicast.filter(|_| !self.without_video);
        }
        self.tracks
            .iter()
            .find(|t| t.kind.id() == id)
            .and_then(|t| t.multicast)
    }

    pub(crate) fn of(d: Description, ssrc: u32) -> Self {
        Self {
            sps: d.sps,
            pps: d.pps,
            framerate: d.framerate,
            ssrc,
            multicast: d.multicast,
            session_timeout: d.session_timeout,
            tracks: Vec::new(),
            without_video: false,
        }
    }
}

/// Prefix of a track's control URL, relative to Content-Base (RFC 2326 C.1.1):
/// `trackID=<TrackKind::id>`.
pub(crate) const TRACK_CONTROL_PREFIX: &str = "trackID=";

/// Control URL of track `id`, relative to Content-Base.
pub(crate) fn track_control(id: u8) -> String {
    format!("{TRACK_CONTROL_PREFIX}{id}")
}

/// Builds the session description of one stream.
///
/// - `profile-level-id` is the three bytes after the SPS NAL header (RFC 6184 s8.1);
/// - `sprop-parameter-sets` is base64 SPS, comma, base64 PPS (s8.1);
/// - `packetization-mode=1` (s6.3) matches what the packetizer emits;
/// - `a=control:*` at session level and `trackID=<n>` on each media, so both aggregate and
///   per-track URLs work (RFC 2326 C.1.1);
/// - each further track after the video: metadata as `m=application 0 RTP/AVP 107` with
///   `a=rtpmap:107 vnd.onvif.metadata/90000` (ONVIF Streaming, "RTSP session for a metadata
///   stream"). No direction attribute: the ONVIF test cases refuse `a=sendonly` (which
///   would mean a back channel) and the default says what is meant;
/// - audio as `m=audio 0 RTP/AVP <pt>` with its format's `a=rtpmap`/`a=fmtp`
///   (`rtp::audio::AudioFormat::sdp_attributes`: RFC 3551 s4.5.14 for G.711, RFC 3640 s4.1
///   for AAC), no direction attribute either (the back channel's is `a=sendonly`).
///
/// Connection data: the stream URL serves unicast (and multicast on a client's request), so
/// its `c=` is the null address at session level (RFC 2326 C.1.7: the destination is chosen
/// in SETUP). With `multicast` (the stream's multicast URL) the media section carries
/// `c=IN IP4 <group>/<ttl>` (RFC 4566 s5.7: a TTL is required for IPv4 multicast) and its RTP
/// port in `m=`, and there is no session-level `c=`: a receiver can join from the SDP alone,
/// and GStreamer's rtspsrc sees the group and asks for multicast (it reads the media-level
/// `c=` and then the session-level one, keeping the last, so a session-level null address
/// would hide the group). Each track is at its own group on the multicast URL (the video at
/// its encoder configuration's, metadata at its metadata configuration's); a track without
/// one is left out of it. A presentation without video (a profile holding only a metadata
/// configuration) has no `m=video`.
pub(crate) fn describe(
    params: &StreamParams,
    name: &str,
    origin_addr: &str,
    session_id: u64,
    multicast: bool,
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
    if !multicast {
        let null = if ip == "IP6" { "::" } else { "0.0.0.0" };
        let _ = write!(s, "c=IN {ip} {null}\r\n");
    }
    s.push_str("t=0 0\r\na=control:*\r\na=range:npt=now-\r\n");
    // (media port, media-level connection) of a track with group `m` on this URL; `None`:
    // the track is left out (a multicast URL describes only the tracks with a group).
    let place = |m: Option<MulticastConfig>| match (multicast, m) {
        (false, _) => Some((0, None)),
        (true, Some(m)) => Some((m.port, Some(m))),
        (true, None) => None,
    };
    let connection = |s: &mut String, m: Option<MulticastConfig>| {
        if let Some(m) = m {
            let _ = write!(s, "c=IN IP4 {}/{}\r\n", m.group, m.ttl);
        }
    };
    // ONVIF Streaming, "Connection setup for a bi-directional connection": with a back
    // channel, "a=sendonly in each media section representing media being sent from the
    // client to the server and a=recvonly attributes in each media section representing
    // media being sent from the server to the client" (its example marks video and audio
    // recvonly, the back channel sendonly: directions as the client sees them).
    let talk = params
        .tracks
        .iter()
        .any(|t| matches!(t.kind, TrackKind::Backchannel { .. }));
    if !params.without_video
        && let Some((port, group)) = place(params.multicast)
    {
        let _ = write!(s, "m=video {port} RTP/AVP {PAYLOAD_TYPE}\r\n");
        connection(&mut s, group);
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
        let _ = write!(s, "a=control:{}\r\n", track_control(TrackKind::Video.id()));
        if talk {
            s.push_str("a=recvonly\r\n");
        }
    }
    for t in &params.tracks {
        let Some((port, group)) = place(t.multicast) else {
            continue;
        };
        match t.kind {
            TrackKind::Video => continue,
            TrackKind::Metadata => {
                let pt = metadata::PAYLOAD_TYPE;
                let _ = write!(s, "m=application {port} RTP/AVP {pt}\r\n");
                connection(&mut s, group);
                let _ = write!(s, "a=rtpmap:{pt} {}/{CLOCK_RATE}\r\n", metadata::ENCODING);
                if talk {
                    s.push_str("a=recvonly\r\n");
                }
            }
            TrackKind::Audio(format) => {
                let pt = format.payload_type();
                let _ = write!(s, "m=audio {port} RTP/AVP {pt}\r\n");
                connection(&mut s, group);
                s.push_str(&format.sdp_attributes());
                if talk {
                    s.push_str("a=recvonly\r\n");
                }
            }
            TrackKind::Backchannel { pcma } => {
                // Every decoder its own payload type, the client picks (the spec's
                // "multiple decoding capability" example); static types of RFC 3551.
                let (u, a) = (super::backchannel::PT_PCMU, super::backchannel::PT_PCMA);
                if pcma {
                    let _ = write!(
                        s,
                        "m=audio {port} RTP/AVP {u} {a}\r\na=rtpmap:{u} PCMU/8000\r\n\
                         a=rtpmap:{a} PCMA/8000\r\n"
                    );
                } else {
                    let _ = write!(
                        s,
                        "m=audio {port} RTP/AVP {u}\r\na=rtpmap:{u} PCMU/8000\r\n"
                    );
                }
                s.push_str("a=sendonly\r\n");
            }
        }
        let _ = write!(s, "a=control:{}\r\n", track_control(t.kind.id()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_track_2_with_its_rtpmap_after_the_other_tracks() {
        use crate::rtp::aac::AacConfig;
        use crate::rtp::audio::AudioFormat;
        let mut p = StreamParams {
            ssrc: 1,
            ..Default::default()
        };
        p.tracks.push(TrackParams {
            kind: TrackKind::Metadata,
            ssrc: 2,
            multicast: None,
        });
        p.tracks.push(TrackParams {
            kind: TrackKind::Audio(AudioFormat::Pcmu),
            ssrc: 3,
            multicast: None,
        });
        let sdp = describe(&p, "main", "127.0.0.1", 1, false);
        let audio = &sdp[sdp.find("m=audio").expect("an audio section")..];
        assert_eq!(
            audio,
            "m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:trackID=2\r\n"
        );
        assert!(sdp.find("m=application").unwrap() < sdp.find("m=audio").unwrap());
        assert_eq!(p.track_ssrc(2), Some(3));
        let aac = TrackKind::Audio(AudioFormat::Aac(AacConfig {
            sample_rate: 16000,
            channels: 1,
        }));
        p.tracks[1].kind = aac;
        let sdp = describe(&p, "main", "127.0.0.1", 1, false);
        assert!(sdp.contains("m=audio 0 RTP/AVP 97\r\na=rtpmap:97 mpeg4-generic/16000/1\r\n"));
        assert!(
            sdp.contains("config=1408\r\na=control:trackID=2\r\n"),
            "{sdp}"
        );
        // The multicast URL leaves the audio out (it has no group).
        p.multicast = Some(MulticastConfig {
            group: "239.1.1.1".parse().unwrap(),
            port: 5000,
            ttl: 1,
        });
        let sdp = describe(&p, "main", "127.0.0.1", 1, true);
        assert!(
            sdp.contains("m=video 5000") && !sdp.contains("m=audio"),
            "{sdp}"
        );
    }

    #[test]
    fn sdp_has_h264_parameters_and_parses() {
        let p = StreamParams {
            sps: Some(Bytes::from_static(&[0x67, 0x42, 0xc0, 0x1e, 0xd9])),
            pps: Some(Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80])),
            framerate: Some(25.0),
            ssrc: 1,
            multicast: None,
            session_timeout: None,
            tracks: Vec::new(),
            without_video: false,
        };
        let s = describe(&p, "main", "127.0.0.1", 42, false);
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
        let p = StreamParams {
            multicast: Some(m),
            ..Default::default()
        };
        let s = describe(&p, "main", "10.0.0.1", 7, true);
        let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
        assert!(parsed.connection.is_none(), "{s}");
        let media = &parsed.medias[0];
        assert_eq!(media.port, 5004);
        assert_eq!(media.connections.len(), 1);
        assert_eq!(media.connections[0].connection_address, "239.1.2.3/8");
    }

    #[test]
    fn a_metadata_track_follows_the_video_with_its_own_control() {
        let p = StreamParams {
            tracks: vec![TrackParams {
                kind: TrackKind::Metadata,
                ssrc: 9,
                multicast: None,
            }],
            ..Default::default()
        };
        let s = describe(&p, "main", "127.0.0.1", 42, false);
        let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
        assert_eq!(parsed.medias.len(), 2, "{s}");
        let (video, meta) = (&parsed.medias[0], &parsed.medias[1]);
        assert_eq!(video.media, "video");
        assert_eq!(
            video.get_first_attribute_value("control"),
            Some(Some("trackID=0"))
        );
        assert_eq!(meta.media, "application");
        assert_eq!(meta.port, 0);
        assert_eq!(meta.fmt, "107");
        assert_eq!(
            meta.get_first_attribute_value("rtpmap"),
            Some(Some("107 vnd.onvif.metadata/90000"))
        );
        assert_eq!(
            meta.get_first_attribute_value("control"),
            Some(Some("trackID=1"))
        );
        assert!(!s.contains("sendonly"));
        assert_eq!(p.track_ssrc(1), Some(9));
        assert_eq!(p.track_ssrc(2), None);
        // The multicast URL describes the tracks with a group, each at its own.
        let m = MulticastConfig {
            group: "239.1.2.3".parse().unwrap(),
            port: 5004,
            ttl: 8,
        };
        let mut p = StreamParams {
            multicast: Some(m),
            ..p
        };
        let s = describe(&p, "main", "127.0.0.1", 42, true);
        let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
        assert_eq!(parsed.medias.len(), 1, "no group, not described: {s}");
        p.tracks[0].multicast = Some(MulticastConfig {
            group: "239.1.2.4".parse().unwrap(),
            port: 5008,
            ttl: 3,
        });
        let s = describe(&p, "main", "127.0.0.1", 42, true);
        let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
        assert_eq!(parsed.medias.len(), 2, "{s}");
        let meta = &parsed.medias[1];
        assert_eq!((meta.media.as_str(), meta.port), ("application", 5008));
        assert_eq!(meta.connections[0].connection_address, "239.1.2.4/3");
        assert_eq!(
            meta.get_first_attribute_value("control"),
            Some(Some("trackID=1"))
        );
        // The unicast URL still says port 0 and no c= of its own.
        let s = describe(&p, "main", "127.0.0.1", 42, false);
        let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
        assert_eq!(parsed.medias[1].port, 0);
        assert!(parsed.medias[1].connections.is_empty(), "{s}");
        // Without video: the metadata alone, on either URL.
        p.without_video = true;
        for multicast in [false, true] {
            let s = describe(&p, "main", "127.0.0.1", 42, multicast);
            let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
            assert_eq!(parsed.medias.len(), 1, "{s}");
            assert_eq!(parsed.medias[0].media, "application", "{s}");
        }
    }

    #[test]
    fn a_back_channel_is_sendonly_and_the_rest_recvonly() {
        let p = StreamParams {
            tracks: vec![
                TrackParams {
                    kind: TrackKind::Metadata,
                    ssrc: 9,
                    multicast: None,
                },
                TrackParams {
                    kind: TrackKind::Backchannel { pcma: true },
                    ssrc: 10,
                    multicast: None,
                },
            ],
            ..Default::default()
        };
        let s = describe(&p, "main", "127.0.0.1", 42, false);
        let parsed = sdp_types::Session::parse(s.as_bytes()).unwrap();
        assert_eq!(parsed.medias.len(), 3, "{s}");
        let back = &parsed.medias[2];
        assert_eq!((back.media.as_str(), back.fmt.as_str()), ("audio", "0 8"));
        assert!(back.has_attribute("sendonly"), "{s}");
        assert!(!back.has_attribute("recvonly"), "{s}");
        assert_eq!(
            back.get_first_attribute_value("control"),
            Some(Some("trackID=3"))
        );
        assert!(s.contains("a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"));
        for m in &parsed.medias[..2] {
            assert!(
                m.has_attribute("recvonly") && !m.has_attribute("sendonly"),
                "{s}"
            );
        }
        assert_eq!(p.track_ssrc(3), Some(10));
        // Without the back channel nothing carries a direction (as before).
        let p = StreamParams {
            tracks: vec![TrackParams {
                kind: TrackKind::Backchannel { pcma: false },
                ssrc: 1,
                multicast: None,
            }],
            ..Default::default()
        };
        let s = describe(&p, "main", "127.0.0.1", 42, false);
        assert!(
            s.contains("m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"),
            "{s}"
        );
        let plain = describe(&StreamParams::default(), "main", "127.0.0.1", 42, false);
        assert!(!plain.contains("recvonly") && !plain.contains("sendonly"));
    }

    #[test]
    fn without_parameter_sets_still_valid() {
        let s = describe(&StreamParams::default(), "sub", "::1", 1, false);
        assert!(s.contains("IN IP6 ::1"));
        assert!(!s.contains("sprop"));
        sdp_types::Session::parse(s.as_bytes()).unwrap();
    }
}
