//! RTSP over HTTP on the web-service port. Media2's GetStreamUri (Media2 spec,
//! "GetStreamUri"): "On a request for transport protocol RtspOverHttp a device shall return a
//! URI that uses the same port as the web service." The tunnel itself (Apple's "Tunnelling
//! RTSP and RTP through HTTP": a GET and a POST paired by `x-sessioncookie`) is the RTSP
//! server's (`rtsp::tunnel`); this web server only recognises a request head that opens one
//! of its halves and hands the connection over, unread.
//!
//! Sans-IO: the head's bytes in, a yes or no out. The shell peeks at a connection's first
//! bytes (`server::connection`), so every other request reaches hyper untouched.

/// Longest head looked at: a tunnel half's head is a request line and a few headers (ffmpeg:
/// about 200 bytes; VLC and live555 about the same).
pub(crate) const MAX_HEAD: usize = 2048;

/// What the bytes seen so far say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sniff {
    /// A complete head that opens a tunnel half: hand the connection to the RTSP server.
    Tunnel,
    /// Anything else (another request, or not HTTP): serve it as HTTP.
    Http,
    /// A GET or POST head not complete yet: look again when more has arrived.
    More,
}

/// Looks at the first bytes of a connection. A tunnel half is a `GET` or `POST` whose head
/// carries an `x-sessioncookie` header: the header that pairs the two halves, and one no
/// other client sends. (The halves' `Accept` / `Content-Type: application/x-rtsp-tunnelled`
/// are not required: clients differ in which they send.)
pub(crate) fn sniff(seen: &[u8]) -> Sniff {
    let starts = |m: &[u8]| seen.starts_with(m) || m.starts_with(seen);
    if !(starts(b"GET ") || starts(b"POST ")) {
        return Sniff::Http;
    }
    let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if seen.len() >= MAX_HEAD {
            Sniff::Http
        } else {
            Sniff::More
        };
    };
    let head = &seen[..end];
    let cookie = head.split(|&b| b == b'\n').skip(1).any(|line| {
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        line.contains(&b':') && name.trim_ascii().eq_ignore_ascii_case(b"x-sessioncookie")
    });
    if cookie { Sniff::Tunnel } else { Sniff::Http }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunnel_halves_are_recognised_by_their_cookie() {
        let get =
            b"GET /main HTTP/1.0\r\nUser-Agent: Lavf\r\nAccept: application/x-rtsp-tunnelled\r\n\
x-sessioncookie: 4f8a1c2b\r\n\r\n";
        assert_eq!(sniff(get), Sniff::Tunnel);
        let post = b"POST /main HTTP/1.0\r\nX-SessionCookie : 4f8a1c2b\r\nContent-Type: \
application/x-rtsp-tunnelled\r\nContent-Length: 32767\r\n\r\nREVTQ1JJQkUg";
        assert_eq!(sniff(post), Sniff::Tunnel);
    }

    #[test]
    fn everything_else_is_http() {
        assert_eq!(
            sniff(b"POST /onvif/device_service HTTP/1.1\r\nHost: h\r\n\r\n<s:Envelope"),
            Sniff::Http
        );
        assert_eq!(
            sniff(b"GET / HTTP/1.1\r\nCookie: x-sessioncookie=1\r\n\r\n"),
            Sniff::Http
        );
        assert_eq!(sniff(b"PUT /x HTTP/1.1\r\n\r\n"), Sniff::Http);
        assert_eq!(sniff(b"\x16\x03\x01"), Sniff::Http);
        // A head that never ends is HTTP's to refuse, not a reason to keep looking.
        let mut long = b"GET / HTTP/1.1\r\n".to_vec();
        long.resize(MAX_HEAD, b'a');
        assert_eq!(sniff(&long), Sniff::Http);
    }

    #[test]
    fn a_partial_head_waits() {
        assert_eq!(sniff(b"GE"), Sniff::More);
        assert_eq!(
            sniff(b"POST /main HTTP/1.0\r\nx-sessioncookie: 1\r\n"),
            Sniff::More
        );
        assert_eq!(sniff(b""), Sniff::More);
    }
}
