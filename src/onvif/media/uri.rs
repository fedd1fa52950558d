//! The URIs both media services hand out for a profile: its RTSP stream (every transport:
//! the client picks UDP, TCP interleaved, the HTTP tunnel or multicast in its SETUP) and its
//! snapshot. They name the host the client addressed (its Host header), so they are
//! reachable from that client, and never carry credentials.

use crate::onvif::endpoint::SNAPSHOT_PREFIX;

/// Media 2 GetStreamUri: "a device shall not generate URIs longer than 128 octets" (for
/// full compatibility with other ONVIF services). An IP-literal host always fits: `rtsp://`,
/// the longest bracketed IPv6 address (47), `:65535`, `/` and a 64-character token make 125.
pub(crate) const MAX_URI_LEN: usize = 128;

/// The host part of a Host header value (`h`, `h:p`, `[v6]`, `[v6]:p`).
pub(crate) fn host_only(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// `rtsp://<host the client addressed>:<RTSP port>/<profile token>`: the profile is the
/// RTSP path (docs/media.md).
pub(crate) fn stream(host_header: &str, rtsp_port: u16, profile: &str) -> String {
    let host = match host_only(host_header) {
        "" => "127.0.0.1",
        h => h,
    };
    format!("rtsp://{host}:{rtsp_port}/{profile}")
}

/// `http://<host the client addressed>:<web service port>/<profile token>`: Media 2's
/// RtspOverHttp URI. "On a request for transport protocol RtspOverHttp a device shall return
/// a URI that uses the same port as the web service" (Media2 spec, GetStreamUri): the web
/// server hands a tunnel half arriving there to the RTSP server (`http::tunnel`). Clients
/// speak RTSP to the same host and port through the tunnel (`rtsp://` in their requests,
/// as ffmpeg's `-rtsp_transport http` does).
pub(crate) fn over_http(host_header: &str, http_port: u16, profile: &str) -> String {
    let host = match host_only(host_header) {
        "" => "127.0.0.1",
        h => h,
    };
    format!("http://{host}:{http_port}/{profile}")
}

/// The stream's multicast URL, `rtsp://<host>:<RTSP port>/<profile token>/multicast`: its
/// DESCRIBE names the encoder configuration's group, port and TTL, so a receiver joins the
/// group from the SDP alone (docs/rtsp.md).
pub(crate) fn multicast(host_header: &str, rtsp_port: u16, profile: &str) -> String {
    let base = stream(host_header, rtsp_port, profile);
    format!("{base}{}", crate::rtsp::session::MULTICAST_SUFFIX)
}

/// `http://<Host header>/snapshot/<profile token>` (the snapshot handler, HTTP Digest).
pub(crate) fn snapshot(host_header: &str, profile: &str) -> String {
    format!("http://{host_header}{SNAPSHOT_PREFIX}{profile}")
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
    fn stream_uri_names_the_addressed_host_and_the_rtsp_port() {
        assert_eq!(
            stream("10.0.0.5:8080", 8554, "main"),
            "rtsp://10.0.0.5:8554/main"
        );
        assert_eq!(stream("", 554, "sub"), "rtsp://127.0.0.1:554/sub");
        assert_eq!(
            multicast("[::1]:80", 8554, "main"),
            "rtsp://[::1]:8554/main/multicast"
        );
        assert_eq!(
            snapshot("10.0.0.5:8080", "main"),
            "http://10.0.0.5:8080/snapshot/main"
        );
    }

    /// The longest IP-literal host and the longest token the settings allow still fit the
    /// 128 octets Media 2 allows a stream URI (the snapshot URI too, with an IPv4 host).
    #[test]
    fn the_longest_ip_literal_uri_fits_128_octets() {
        let token = "t".repeat(crate::settings::validate::MAX_TOKEN_LEN);
        let v6 = "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535";
        assert_eq!(stream(v6, 65535, &token).len(), 125);
        assert!(snapshot("255.255.255.255:65535", &token).len() <= MAX_URI_LEN);
    }
}
