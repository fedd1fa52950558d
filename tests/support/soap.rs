//! A SOAP client for tests: one POST with a WS-UsernameToken (PasswordText, fresh nonce,
//! Created now), over a fresh loopback connection.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine as _;

pub const DEVICE: &str = "/onvif/device_service";
pub const MEDIA: &str = "/onvif/media_service";
pub const IMAGING: &str = "/onvif/imaging_service";

/// POSTs `body` (elements may use the prefixes tds, trt, timg and tt) to `path` as `user`;
/// returns the HTTP status and the response body.
pub fn post(port: u16, path: &str, user: &str, password: &str, body: &str) -> (u16, String) {
    let nonce = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let env = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:timg="http://www.onvif.org/ver20/imaging/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Header><Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><UsernameToken><Username>{user}</Username><Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">{password}</Password><Nonce>{nonce}</Nonce><Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">{}</Created></UsernameToken></Security></s:Header><s:Body>{body}</s:Body></s:Envelope>"#,
        nvt::xml::xsd::format_datetime(now)
    );
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{env}",
        env.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {out:?}"));
    let body = out
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    (status, body)
}

/// The fault subcodes of a SOAP fault body (outermost first, after the code).
pub fn subcodes(body: &str) -> Vec<String> {
    const ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
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

/// The port of the daemon's "ONVIF device service at http://127.0.0.1:PORT/" line.
pub fn port_of(line: &str) -> u16 {
    line.split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}
