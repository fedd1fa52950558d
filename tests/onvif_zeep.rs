//! Home Assistant's ONVIF client library (onvif-zeep-async, from a venv) against the real
//! `nvt` binary over loopback: the HA setup sequence (GetSystemDateAndTime, GetServices /
//! GetCapabilities, GetDeviceInformation, GetNetworkInterfaces, SetSystemDateAndTime, clock
//! re-sync) with WS-UsernameToken digest and with HTTP Digest only.
//!
//! The venv is `target/zeep-venv` (created on first run from
//! conformance/onvif-zeep/requirements.txt; needs python3-venv and PyPI), or the interpreter
//! named by `NVT_ZEEP_PYTHON`.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::Daemon;

#[test]
fn home_assistant_setup_sequence_with_wsse_and_with_http_digest() {
    let py = support::python::zeep();
    let state = support::temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", "zeep-secret")]);
    let port = nvt.http_port();
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
