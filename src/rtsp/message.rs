//! Framing of what a client sends on an RTSP connection (sans-IO): requests and interleaved
//! binary data (RFC 2326 s10.12), with the size and header-count limits applied *before* the
//! bytes reach the parser.
//!
//! Request parsing is `rtsp-types` (nom); this module only finds where a message ends, refuses
//! oversize input early, and turns the result into the small [`Request`] the session machine
//! works on.

use bytes::Bytes;
use rtsp_types::Method;

use super::limits::Limits;

/// An RTSP request, as the session state machine sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The request URI exactly as sent on the request line (`*` for `OPTIONS *`).
    pub uri: String,
    pub cseq: Option<u32>,
    /// Header (name, value) pairs in order; look them up with [`Request::header`].
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Request {
    /// The first header of that name (case-insensitive, RFC 2326 s4.2 via RFC 2616 s4.2).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A request for tests and tools: `method uri` with the given headers.
    pub fn new(method: Method, uri: &str, cseq: u32, headers: &[(&str, &str)]) -> Self {
        Self {
            method,
            uri: uri.to_owned(),
            cseq: Some(cseq),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: Bytes::new(),
        }
    }
}

/// One unit read from the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    Request(Request),
    /// `$`, channel, 16-bit length, payload (RFC 2326 s10.12): RTCP from the client.
    Interleaved {
        channel: u8,
        payload: Bytes,
    },
}

/// Why the bytes cannot be a request. Every variant closes the connection after the reply,
/// since the stream can no longer be framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("request head larger than the limit")]
    HeadTooLarge,
    #[error("too many header lines")]
    TooManyHeaders,
    #[error("request body larger than the limit")]
    BodyTooLarge,
    #[error("malformed request")]
    Malformed,
}

impl FrameError {
    /// The RTSP status to answer with (RFC 2326 s7.1.1).
    pub fn status(self) -> u16 {
        match self {
            FrameError::BodyTooLarge => 413,
            FrameError::HeadTooLarge => 400,
            FrameError::TooManyHeaders | FrameError::Malformed => 400,
        }
    }
}

/// Reads one message from the front of `buf`. `Ok(None)`: need more bytes. On success also
/// returns how many bytes it used.
pub fn read(buf: &[u8], limits: &Limits) -> Result<Option<(Incoming, usize)>, FrameError> {
    if buf.first() == Some(&b'$') {
        if buf.len() < 4 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if buf.len() < 4 + len {
            return Ok(None);
        }
        return Ok(Some((
            Incoming::Interleaved {
                channel: buf[1],
                payload: Bytes::copy_from_slice(&buf[4..4 + len]),
            },
            4 + len,
        )));
    }
    // RFC 2326 s15 (via RFC 2616 s4.1): ignore empty lines before a request. They count
    // against the head limit like the head itself: everything buffered before a request is
    // complete is bounded by `max_request_head` (issue 14.2: unbounded CR/LF padding was
    // buffered until the header timeout, 100 MB per connection).
    let skip = buf
        .iter()
        .take(limits.max_request_head)
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    if skip >= limits.max_request_head {
        return Err(FrameError::HeadTooLarge);
    }
    let rest = &buf[skip..];
    let Some(head_len) = find_head_end(rest, limits.max_request_head - skip) else {
        if buf.len() >= limits.max_request_head {
            return Err(FrameError::HeadTooLarge);
        }
        return Ok(None);
    };
    let head = &rest[..head_len];
    let mut content_length = 0usize;
    let mut lines = 0usize;
    for line in head.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        lines += 1;
        if lines > limits.max_headers {
            return Err(FrameError::TooManyHeaders);
        }
        if let Some(v) = header_value(line, b"content-length") {
            content_length = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or(FrameError::Malformed)?;
        }
    }
    if content_length > limits.max_body {
        return Err(FrameError::BodyTooLarge);
    }
    let total = head_len + content_length;
    if rest.len() < total {
        return Ok(None);
    }
    let msg: rtsp_types::Message<Vec<u8>> = match rtsp_types::Message::parse(&rest[..total]) {
        Ok((m, used)) if used == total => m,
        _ => return Err(FrameError::Malformed),
    };
    let rtsp_types::Message::Request(req) = msg else {
        return Err(FrameError::Malformed);
    };
    if req.version() != rtsp_types::Version::V1_0 {
        return Err(FrameError::Malformed);
    }
    // The request-target exactly as sent (not the parsed URL's normalized form): HTTP Digest
    // compares it with the `uri` parameter byte for byte (RFC 7616 s3.4.6).
    let uri = head
        .split(|&b| b == b' ')
        .nth(1)
        .and_then(|u| std::str::from_utf8(u).ok())
        .unwrap_or("*")
        .to_owned();
    let headers: Vec<(String, String)> = req
        .headers()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_str().to_owned()))
        .collect();
    let cseq = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("cseq"))
        .and_then(|(_, v)| v.trim().parse().ok());
    Ok(Some((
        Incoming::Request(Request {
            method: req.method().clone(),
            uri,
            cseq,
            headers,
            body: Bytes::from(req.into_body()),
        }),
        skip + total,
    )))
}

/// Length of the head including its blank line, if complete within `max` bytes.
fn find_head_end(buf: &[u8], max: usize) -> Option<usize> {
    let window = &buf[..buf.len().min(max)];
    window
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

/// The value of a `name: value` line if its name matches (case-insensitive).
fn header_value<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (n, v) = line.split_at(colon);
    n.trim_ascii()
        .eq_ignore_ascii_case(name)
        .then(|| v[1..].trim_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &[u8]) -> Result<Option<(Incoming, usize)>, FrameError> {
        read(s, &Limits::default())
    }

    #[test]
    fn parses_request_and_reports_length() {
        let s = b"OPTIONS rtsp://h/main RTSP/1.0\r\nCSeq: 7\r\nUser-Agent: x\r\n\r\nrest";
        let (m, used) = one(s).unwrap().unwrap();
        assert_eq!(used, s.len() - 4);
        let Incoming::Request(r) = m else { panic!() };
        assert_eq!(r.method, Method::Options);
        assert_eq!(r.cseq, Some(7));
        assert_eq!(r.header("user-agent"), Some("x"));
        assert_eq!(r.uri, "rtsp://h/main");
        let s = b"DESCRIBE rtsp://CAM:554/Main RTSP/1.0\r\nCSeq: 1\r\n\r\n";
        let Incoming::Request(r) = one(s).unwrap().unwrap().0 else {
            panic!()
        };
        assert_eq!(r.uri, "rtsp://CAM:554/Main", "kept byte for byte");
    }

    #[test]
    fn partial_needs_more() {
        assert_eq!(one(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n"), Ok(None));
        assert_eq!(one(b"$\x01\x00\x10abc"), Ok(None));
        let s = b"SET_PARAMETER * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 5\r\n\r\nab";
        assert_eq!(one(s), Ok(None));
    }

    #[test]
    fn interleaved() {
        let (m, used) = one(b"$\x01\x00\x03abcX").unwrap().unwrap();
        assert_eq!(used, 7);
        assert_eq!(
            m,
            Incoming::Interleaved {
                channel: 1,
                payload: Bytes::from_static(b"abc")
            }
        );
    }

    #[test]
    fn leading_empty_lines_count_against_the_head_limit() {
        let limits = Limits::default();
        // A few blank lines before a request are fine (RFC 2326 s15 / RFC 2616 s4.1).
        let s = b"\r\n\r\nOPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n";
        assert_eq!(one(s).unwrap().unwrap().1, s.len());
        // Padding alone up to the limit: refused, not buffered further.
        let pad = vec![b'\n'; limits.max_request_head];
        assert_eq!(one(&pad), Err(FrameError::HeadTooLarge));
        assert_eq!(one(&pad[..limits.max_request_head - 1]), Ok(None));
        // Padding plus a head that together pass the limit.
        let mut s = vec![b'\r'; limits.max_request_head - 20];
        s.extend_from_slice(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
        assert_eq!(one(&s), Err(FrameError::HeadTooLarge));
    }

    #[test]
    fn limits_enforced() {
        let big = vec![b'A'; 9000];
        assert_eq!(one(&big), Err(FrameError::HeadTooLarge));
        let mut many = b"OPTIONS * RTSP/1.0\r\n".to_vec();
        for i in 0..40 {
            many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(one(&many), Err(FrameError::TooManyHeaders));
        let s = b"SET_PARAMETER * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 999999\r\n\r\n";
        assert_eq!(one(s), Err(FrameError::BodyTooLarge));
        assert_eq!(one(b"HELLO\r\n\r\n"), Err(FrameError::Malformed));
        assert_eq!(
            one(b"OPTIONS * RTSP/1.0\r\nContent-Length: x\r\n\r\n"),
            Err(FrameError::Malformed)
        );
    }
}
