//! RTSP over HTTP tunnelling (Apple's "Tunnelling RTSP and RTP through HTTP", as implemented
//! by QuickTime, live555, ffmpeg and VLC).
//!
//! The client opens two HTTP connections carrying the same `x-sessioncookie`:
//! - `GET`: the server answers `200 OK` with `Content-Type: application/x-rtsp-tunnelled` and
//!   then writes RTSP responses and `$`-interleaved RTP on it, raw;
//! - `POST`: the client writes its RTSP requests on it, base64-encoded, and never reads.
//!
//! The server pairs them by cookie and runs one ordinary RTSP connection whose reader is the
//! base64-decoded POST body and whose writer is the GET socket. This module is the sans-IO
//! part (HTTP head parsing) plus the base64 decoding reader.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncRead, ReadBuf};

/// Longest `x-sessioncookie` accepted (clients use 22-32 characters).
pub(crate) const MAX_COOKIE_LEN: usize = 128;

/// The two halves of a tunnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TunnelRole {
    Get,
    Post,
}

/// A parsed HTTP request head that opens a tunnel half.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TunnelHead {
    pub(crate) role: TunnelRole,
    pub(crate) path: String,
    pub(crate) cookie: String,
    /// The head's `Authorization` header, if any (the tunnel is bound to its user).
    pub(crate) authorization: Option<String>,
    /// Bytes the head used (the POST body follows).
    pub(crate) head_len: usize,
}

/// Why an HTTP head cannot open a tunnel (answered `400`, connection closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TunnelError {
    #[error("not an HTTP GET/POST request")]
    NotHttp,
    #[error("missing or bad x-sessioncookie")]
    Cookie,
    #[error("too many header lines")]
    TooManyHeaders,
}

/// True if `buf` starts like an HTTP request line we tunnel (checked before RTSP parsing).
pub(crate) fn looks_like_http(buf: &[u8]) -> bool {
    buf.starts_with(b"GET ") || buf.starts_with(b"POST ")
}

/// Parses a complete HTTP/1.x head (up to and including the blank line).
pub(crate) fn parse_head(head: &[u8], max_headers: usize) -> Result<TunnelHead, TunnelError> {
    let text = std::str::from_utf8(head).map_err(|_| TunnelError::NotHttp)?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().ok_or(TunnelError::NotHttp)?;
    let mut parts = request_line.split(' ');
    let role = match parts.next() {
        Some("GET") => TunnelRole::Get,
        Some("POST") => TunnelRole::Post,
        _ => return Err(TunnelError::NotHttp),
    };
    let path = parts.next().ok_or(TunnelError::NotHttp)?.to_owned();
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(TunnelError::NotHttp);
    }
    let mut cookie = None;
    let mut authorization = None;
    for (i, line) in lines.take_while(|l| !l.is_empty()).enumerate() {
        if i >= max_headers {
            return Err(TunnelError::TooManyHeaders);
        }
        if let Some((n, v)) = line.split_once(':')
            && n.trim().eq_ignore_ascii_case("x-sessioncookie")
        {
            cookie = Some(v.trim().to_owned());
        } else if let Some((n, v)) = line.split_once(':')
            && n.trim().eq_ignore_ascii_case("authorization")
        {
            authorization = Some(v.trim().to_owned());
        }
    }
    let cookie = cookie
        .filter(|c| !c.is_empty() && c.len() <= MAX_COOKIE_LEN)
        .filter(|c| c.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(TunnelError::Cookie)?;
    Ok(TunnelHead {
        role,
        path,
        cookie,
        authorization,
        head_len: head.len(),
    })
}

/// The answer to the GET half.
pub(crate) const GET_RESPONSE: &[u8] = b"HTTP/1.0 200 OK\r\nServer: nvt\r\nConnection: close\r\n\
Cache-Control: no-store\r\nPragma: no-cache\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\n";

/// Decodes a stream of base64 (4-character groups, whitespace ignored, padding allowed at the
/// end of every request as clients encode each request separately).
#[derive(Debug, Default)]
pub(crate) struct Base64Decoder {
    pending: Vec<u8>,
}

impl Base64Decoder {
    /// Feeds encoded bytes; appends what decodes to `out`. Invalid base64 is an error.
    pub(crate) fn feed(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), base64::DecodeError> {
        self.pending
            .extend(input.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        let whole = self.pending.len() / 4 * 4;
        for group in self.pending[..whole].chunks(4) {
            out.extend_from_slice(&STANDARD.decode(group)?);
        }
        self.pending.drain(..whole);
        Ok(())
    }
}

/// An `AsyncRead` that base64-decodes what it reads (the POST half).
pub(crate) struct Base64Reader<R> {
    inner: R,
    decoder: Base64Decoder,
    out: Vec<u8>,
    pos: usize,
}

impl<R> Base64Reader<R> {
    /// `initial` is body bytes that arrived with the POST head.
    pub(crate) fn new(inner: R, initial: &[u8]) -> std::io::Result<Self> {
        let mut r = Self {
            inner,
            decoder: Base64Decoder::default(),
            out: Vec::new(),
            pos: 0,
        };
        r.decoder
            .feed(initial, &mut r.out)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(r)
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Base64Reader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            let this = &mut *self;
            if this.pos < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.pos);
                buf.put_slice(&this.out[this.pos..this.pos + n]);
                this.pos += n;
                if this.pos == this.out.len() {
                    this.out.clear();
                    this.pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            let mut raw = [0u8; 4096];
            let mut rb = ReadBuf::new(&mut raw);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            if rb.filled().is_empty() {
                return Poll::Ready(Ok(())); // EOF
            }
            this.decoder
                .feed(rb.filled(), &mut this.out)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_halves() {
        let get = b"GET /main HTTP/1.0\r\nx-sessioncookie: abc123\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n";
        let h = parse_head(get, 32).unwrap();
        assert_eq!(h.role, TunnelRole::Get);
        assert_eq!(h.cookie, "abc123");
        assert_eq!(h.path, "/main");
        assert_eq!(h.authorization, None);
        let get = b"GET /main HTTP/1.0\r\nx-sessioncookie: c\r\nAuthorization: Basic YTpi\r\n\r\n";
        assert_eq!(
            parse_head(get, 32).unwrap().authorization.as_deref(),
            Some("Basic YTpi")
        );
        let post =
            b"POST /main HTTP/1.0\r\nX-SessionCookie: abc123\r\nContent-Length: 32767\r\n\r\n";
        assert_eq!(parse_head(post, 32).unwrap().role, TunnelRole::Post);
        assert_eq!(
            parse_head(b"GET / HTTP/1.0\r\n\r\n", 32),
            Err(TunnelError::Cookie)
        );
        assert_eq!(
            parse_head(b"PUT / HTTP/1.0\r\n\r\n", 32),
            Err(TunnelError::NotHttp)
        );
        assert_eq!(
            parse_head(b"GET / RTSP/1.0\r\n\r\n", 32),
            Err(TunnelError::NotHttp)
        );
    }

    #[test]
    fn decodes_concatenated_padded_requests_in_pieces() {
        let a = STANDARD.encode("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
        let b = STANDARD.encode("X\r\n");
        let all = format!("{a}\r\n{b}");
        let mut d = Base64Decoder::default();
        let mut out = Vec::new();
        for piece in all.as_bytes().chunks(5) {
            d.feed(piece, &mut out).unwrap();
        }
        assert_eq!(out, b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\nX\r\n");
        assert!(d.feed(b"!!!!", &mut out).is_err());
    }
}
