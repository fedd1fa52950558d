//! Real clients' logins that used to fail (issue 13), against the real `nvt` binary over
//! loopback: a client that logs in to RTSP exactly as live555 does (VLC, openRTSP, many NVRs;
//! conformance/live555_client.py), over UDP and TCP; and `curl --digest` calling a SOAP
//! operation (its first POST has no body).

mod support;

use std::process::Command;

use support::*;

const PASSWORD: &str = "cam-Pass1";

fn live555(url: &str, password: &str, transport: &str) -> serde_json::Value {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/live555_client.py");
    let out = Command::new("python3")
        .arg(script)
        .args([url, "admin", password, transport, "4"])
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output: {}", String::from_utf8_lossy(&out.stderr)));
    serde_json::from_str(line).unwrap()
}

/// Issue 13.1: live555 reads `Digest realm="..", nonce=".."` in that order from the last
/// Digest challenge, answers without qop, and signs every request over its base URL (SETUP of
/// `<base>/trackID=0` too). It plays over UDP and TCP; a wrong password still gets nothing.
#[test]
fn live555_style_client_plays_over_udp_and_tcp() {
    let (_nvt, url, _, _state) = start_with_admin(PASSWORD);
    for transport in ["udp", "tcp"] {
        let r = live555(&url, PASSWORD, transport);
        println!("{transport}: {r}");
        assert_eq!(r["ok"], true, "live555-style client over {transport}: {r}");
        assert!(r["packets"].as_u64().unwrap() > 10, "{r}");
    }
    let r = live555(&url, "wrong", "tcp");
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["statuses"], serde_json::json!([401, 401]), "{r}");
}

/// Issue 13.3: `curl --digest -u admin:PASS --data @GetUsers.xml .../onvif/device_service`
/// returns the users.
#[test]
fn curl_digest_calls_soap() {
    let (_nvt, _, port, state) = start_with_admin(PASSWORD);
    let body = state.path().join("GetUsers.xml");
    std::fs::write(
        &body,
        r#"<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetUsers xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>"#,
    )
    .unwrap();
    let out = Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "30",
            "-w",
            "\n%{http_code}",
            "--digest",
            "-u",
        ])
        .arg(format!("admin:{PASSWORD}"))
        .args([
            "-H",
            "Content-Type: application/soap+xml; charset=utf-8",
            "--data",
        ])
        .arg(format!("@{}", body.display()))
        .arg(format!("http://127.0.0.1:{port}/onvif/device_service"))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.ends_with("\n200"), "{text}");
    assert!(
        text.contains("GetUsersResponse") && text.contains("<tt:Username>admin</tt:Username>"),
        "{text}"
    );
}
