//! Entry points shared by the cargo-fuzz targets in `fuzz/` and the corpus replay test
//! (`tests/fuzz_corpus.rs`), so stable CI runs every corpus file through the same code.
//!
//! Each entry feeds arbitrary bytes to one parser and checks the invariants the server relies
//! on; a panic is a bug.

use crate::rtsp::{Limits, message, transport, tunnel};

/// The RTSP framing + request parser, on a stream of several messages.
pub fn rtsp_request(data: &[u8]) {
    let limits = Limits::default();
    let mut rest = data;
    while let Ok(Some((msg, used))) = message::read(rest, &limits) {
        assert!(used > 0 && used <= rest.len());
        if let message::Incoming::Request(r) = &msg {
            assert!(r.body.len() <= limits.max_body);
            assert!(r.headers.len() <= limits.max_headers);
        }
        rest = &rest[used..];
    }
}

/// The interleaved `$` frame reader: every prefix of a valid frame is "need more".
pub fn interleaved(data: &[u8]) {
    let limits = Limits::default();
    let mut framed = vec![b'$', data.first().copied().unwrap_or(0)];
    let len = data.len().min(u16::MAX as usize);
    framed.extend_from_slice(&(len as u16).to_be_bytes());
    framed.extend_from_slice(&data[..len]);
    for cut in [0, 1, 3, framed.len() / 2] {
        if cut < framed.len() {
            assert_eq!(message::read(&framed[..cut], &limits), Ok(None));
        }
    }
    match message::read(&framed, &limits) {
        Ok(Some((message::Incoming::Interleaved { payload, .. }, used))) => {
            assert_eq!(used, framed.len());
            assert_eq!(&payload[..], &data[..len]);
        }
        other => panic!("interleaved frame misread: {other:?}"),
    }
    rtsp_request(data);
}

/// The Transport header parser.
pub fn transport(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(specs) = transport::parse(s)
    {
        for spec in specs {
            let _ = spec.is_play();
            let _ = spec.interleaved_reply((0, 1));
        }
    }
}

/// The RTCP compound parser.
pub fn rtcp(data: &[u8]) {
    let _ = crate::rtp::rtcp::parse_compound(data);
}

/// The HTTP tunnel head parser and base64 decoder.
pub fn tunnel(data: &[u8]) {
    let _ = tunnel::parse_head(data, Limits::default().max_headers);
    let mut out = Vec::new();
    let _ = tunnel::Base64Decoder::default().feed(data, &mut out);
}

/// The HLS request-target parser: never panics; what it accepts names a profile made of
/// token characters and is one of the documented resources.
pub fn hls_path(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = crate::hls::path::parse(s) {
        let p = r.profile();
        assert!(p.len() <= 64 && !p.contains('/') && !p.starts_with('.'));
    }
}

/// `Accept-Encoding` negotiation (`crate::http::content_coding`): the input is split at
/// newlines into header fields. Never a panic; an empty list of fields accepts gzip (no
/// field: any coding), and adding a field that names gzip with weight 1 makes it accepted.
pub fn accept_encoding(data: &[u8]) {
    use crate::http::content_coding::accepts_gzip;
    let fields: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    accepts_gzip(fields.iter().copied());
    assert!(accepts_gzip(std::iter::empty()));
    let refusals = fields.iter().any(|f| {
        f.split(|&b| b == b',').any(|m| {
            String::from_utf8_lossy(m)
                .to_ascii_lowercase()
                .contains("gzip")
        })
    });
    if !refusals {
        // No member mentions gzip, so a later one naming it decides.
        assert!(accepts_gzip(fields.iter().copied().chain([&b"gzip"[..]])));
    }
}
