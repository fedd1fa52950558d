//! SystemReboot through the real binary: the answer arrives, then the daemon stops cleanly and
//! starts again from its settings file (what a client set before the reboot is still there).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine as _;
use common::Daemon;

fn port_of(line: &str) -> u16 {
    line.split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// POSTs `body` as admin (PasswordText UsernameToken, fresh nonce) and returns the response.
fn admin_post(port: u16, body: &str) -> String {
    let nonce = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let env = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Header><Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><UsernameToken><Username>admin</Username><Password>reboot-secret</Password><Nonce>{nonce}</Nonce><Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">{}</Created></UsernameToken></Security></s:Header><s:Body>{body}</s:Body></s:Envelope>"#,
        nvt::xml::xsd::format_datetime(now)
    );
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /onvif/device_service HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{env}",
        env.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn system_reboot_answers_then_restarts_with_settings_kept() {
    let state = common::temp_state();
    let mut nvt = Daemon::start(
        state.path(),
        &[],
        &[("NVT_ADMIN_PASSWORD", "reboot-secret")],
    );
    let port = port_of(&nvt.wait_for("ONVIF device service at http://", Duration::from_secs(30)));
    let r = admin_post(
        port,
        "<tds:SetHostname><tds:Name>kept-after-reboot</tds:Name></tds:SetHostname>",
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    // An idle keep-alive connection (as every HTTP client library keeps) must not hold the
    // restart up: it is closed when the daemon stops.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(idle, "POST /onvif/device_service HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: 0\r\n\r\n").unwrap();
    let r = admin_post(port, "<tds:SystemReboot/>");
    assert!(
        r.starts_with("HTTP/1.1 200") && r.contains("SystemRebootResponse"),
        "{r}"
    );
    nvt.wait_for("restarting (SystemReboot)", Duration::from_secs(20));
    let line = nvt.wait_for("nvt running", Duration::from_secs(30));
    assert!(line.contains("nvt running"));
    // The ephemeral port chosen at the first start is kept across the restart.
    let again = nvt
        .seen
        .iter()
        .filter_map(|l| match l {
            common::Line::Out(s) | common::Line::Err(s) => {
                s.contains("ONVIF device service at").then(|| port_of(s))
            }
        })
        .collect::<Vec<_>>();
    assert_eq!(again, vec![port, port], "ports across the restart");
    let mut rest = Vec::new();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = idle.read_to_end(&mut rest);
    let r = admin_post(port, "<tds:GetHostname/>");
    assert!(r.contains("kept-after-reboot"), "{r}");
    nvt.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}
