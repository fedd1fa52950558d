//! Home Assistant's ONVIF client library (onvif-zeep-async, from a venv) against the real
//! `nvt` binary over loopback: the HA setup sequence (GetSystemDateAndTime, GetServices /
//! GetCapabilities, GetDeviceInformation, GetNetworkInterfaces, SetSystemDateAndTime, clock
//! re-sync) with WS-UsernameToken digest and with HTTP Digest only.
//!
//! The venv is `target/zeep-venv` (created on first run from
//! conformance/onvif-zeep/requirements.txt; needs python3-venv and PyPI), or the interpreter
//! named by `NVT_ZEEP_PYTHON`.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::Daemon;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("NVT_ZEEP_PYTHON") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/zeep-venv");
    let py = venv.join("bin/python");
    let stamp = venv.join("installed");
    if !stamp.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(
            ok.success(),
            "python3 -m venv failed (install python3-venv)"
        );
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(root.join("conformance/onvif-zeep/requirements.txt"))
            .status()
            .unwrap();
        assert!(ok.success(), "pip install onvif-zeep-async failed");
        std::fs::write(&stamp, "").unwrap();
    }
    py
}

#[test]
fn home_assistant_setup_sequence_with_wsse_and_with_http_digest() {
    let py = python();
    let state = common::temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", "zeep-secret")]);
    let line = nvt.wait_for("ONVIF device service at http://", Duration::from_secs(30));
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/onvif-zeep/ha_device_setup.py");
    for mode in ["wsse", "digest"] {
        let out = Command::new(&py)
            .arg(&script)
            .args(["127.0.0.1", &port.to_string(), "admin", "zeep-secret", mode])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("OK"),
            "{mode}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    nvt.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}
