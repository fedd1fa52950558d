//! The one SOAP client of the tests: an envelope (every prefix the tests' bodies use), a
//! WS-UsernameToken (PasswordText or PasswordDigest, fresh nonce, Created now) or an HTTP
//! Digest `Authorization`, one POST over a fresh loopback connection (`Connection: close`),
//! and the fault subcodes of the answer.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use base64::Engine as _;

pub const DEVICE: &str = "/onvif/device_service";
pub const MEDIA: &str = "/onvif/media_service";
pub const IMAGING: &str = "/onvif/imaging_service";
pub const PTZ: &str = "/onvif/ptz_service";
pub const EVENTS: &str = "/onvif/events_service";

/// SOAP 1.2 envelope namespace.
pub const ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
const PASSWORD_DIGEST: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";

/// How long one exchange may take (generous: the machine is shared; a hang still ends).
const TIMEOUT: Duration = Duration::from_secs(90);

/// An envelope around `body` with `header` (both may use the prefixes s, tds, trt, timg, tptz, tt,
/// tev, wsnt and wsa).
pub fn envelope(header: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{ENV}" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:timg="http://www.onvif.org/ver20/imaging/wsdl" xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:wsa="http://www.w3.org/2005/08/addressing"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

/// The host's wall clock, in ms since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A WS-Security header with a UsernameToken stamped `created_ms` with a random nonce:
/// PasswordDigest (Base64(SHA-1(nonce + created + password))) when `digest`, else
/// PasswordText (WS-Security UsernameToken Profile 1.0 s.3.1).
pub fn username_token_at(user: &str, password: &str, digest: bool, created_ms: i64) -> String {
    let nonce: [u8; 16] = rand::random();
    let created = nvt::xml::xsd::format_datetime(created_ms);
    let (ty, pw) = if digest {
        (
            PASSWORD_DIGEST,
            nvt::auth::wsse::password_digest(&nonce, &created, password),
        )
    } else {
        (PASSWORD_TEXT, password.to_owned())
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        r#"<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken><wsse:Username>{user}</wsse:Username><wsse:Password Type="{ty}">{pw}</wsse:Password><wsse:Nonce>{}</wsse:Nonce><wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"#,
        b64.encode(nonce)
    )
}

/// [`username_token_at`] stamped now.
pub fn username_token(user: &str, password: &str, digest: bool) -> String {
    username_token_at(user, password, digest, now_ms())
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The whole response as received (status line, headers, body).
    pub raw: String,
}

impl Reply {
    pub fn body(&self) -> &str {
        self.raw.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }

    /// Every value of header `name`.
    pub fn headers(&self, name: &str) -> Vec<&str> {
        let head = self
            .raw
            .split_once("\r\n\r\n")
            .map_or(&*self.raw, |(h, _)| h);
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect()
    }
}

/// POSTs the envelope `xml` to `path` on `to`, from loopback address `from` (the kernel's
/// choice when `None`: the camera gives one address a bounded share of its connections, so
/// tests standing for many NVRs connect from many addresses), with an `Authorization` header
/// if given.
pub fn post_envelope(
    to: SocketAddr,
    from: Option<Ipv4Addr>,
    path: &str,
    authorization: Option<&str>,
    xml: &str,
) -> Reply {
    let mut s = match from {
        None => TcpStream::connect(to).unwrap_or_else(|e| panic!("connect {to}: {e}")),
        Some(ip) => {
            let sock =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            sock.bind(&SocketAddr::from((ip, 0)).into()).unwrap();
            sock.connect(&to.into()).unwrap();
            sock.into()
        }
    };
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/soap+xml; charset=utf-8\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{xml}",
        xml.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {raw:?}"));
    Reply { status, raw }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// POSTs `body` to `path` as `user` (name, password) with a PasswordText UsernameToken, or
/// anonymously.
pub fn call(port: u16, path: &str, user: Option<(&str, &str)>, body: &str) -> Reply {
    let header = user
        .map(|(u, p)| username_token(u, p, false))
        .unwrap_or_default();
    post_envelope(loopback(port), None, path, None, &envelope(&header, body))
}

/// POSTs `body` to `path` as `user` (PasswordText UsernameToken); returns the HTTP status and
/// the response body.
pub fn post(port: u16, path: &str, user: &str, password: &str, body: &str) -> (u16, String) {
    let r = call(port, path, Some((user, password)), body);
    (r.status, r.body().to_owned())
}

/// POSTs `body` to `path` with HTTP Digest (RFC 7616): the anonymous request draws the 401
/// challenge (MD5 taken), the second answers it with qop=auth.
pub fn post_http_digest(port: u16, path: &str, user: &str, password: &str, body: &str) -> Reply {
    let xml = envelope("", body);
    let first = post_envelope(loopback(port), None, path, None, &xml);
    if first.status != 401 {
        return first;
    }
    let ch = super::digest::Challenge::md5(first.headers("WWW-Authenticate"));
    let qop = super::digest::Qop {
        nc: 1,
        cnonce: "0a4f113b",
    };
    let auth = ch.answer(user, password, "POST", path, Some(qop));
    post_envelope(loopback(port), None, path, Some(&auth), &xml)
}

/// The fault codes of a SOAP fault body: the Code's value, then each Subcode's, outermost
/// first (empty when it is no fault or no XML).
pub fn subcodes(body: &str) -> Vec<String> {
    let Ok(doc) = nvt::xml::parse(body.as_bytes()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut code = doc
        .child(ENV, "Body")
        .and_then(|b| b.child(ENV, "Fault"))
        .and_then(|f| f.child(ENV, "Code"));
    while let Some(c) = code {
        if let Some(v) = c.child(ENV, "Value") {
            out.push(v.text.clone());
        }
        code = c.child(ENV, "Subcode");
    }
    out
}
