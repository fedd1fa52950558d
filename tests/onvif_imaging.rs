//! The Imaging service and the snapshot endpoint of the real `nvt` binary, driven by Home
//! Assistant's client library (onvif-zeep-async) with ffprobe/ffmpeg checking the pictures
//! (conformance/onvif-zeep/imaging.py): snapshots by Digest at each profile's size, 401
//! without credentials, brightness up raising the mean luma, out-of-range values faulting
//! and changing nothing, focus Move/GetStatus/Stop, Imaging in GetCapabilities/GetServices;
//! then a restart with Basic auth allowed: settings kept, Basic snapshot, wrong password 401.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Daemon;
use nix::sys::signal::Signal;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("NVT_ZEEP_PYTHON") {
        return PathBuf::from(p);
    }
    let py = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/zeep-venv/bin/python");
    assert!(
        py.exists(),
        "{} missing: run scripts/deps.sh (it creates the onvif-zeep venv)",
        py.display()
    );
    py
}

fn http_port(nvt: &mut Daemon) -> u16 {
    let line = nvt.wait_for("ONVIF device service at http://", Duration::from_secs(60));
    line.split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

fn run_phase(py: &Path, port: u16, state: &Path, phase: &str) -> String {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/onvif-zeep/imaging.py");
    let out = Command::new(py)
        .arg(&script)
        .args(["127.0.0.1", &port.to_string(), "admin", "imaging-secret"])
        .arg(state)
        .arg(phase)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.contains("OK"),
        "{phase}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{phase}: {stdout}");
    stdout
}

fn settings(state: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(state.join("settings.json")).unwrap()).unwrap()
}

#[test]
fn imaging_and_snapshots_with_onvif_zeep_across_a_restart() {
    let py = python();
    let state = common::temp_state();
    let env = [("NVT_ADMIN_PASSWORD", "imaging-secret")];
    let mut nvt = Daemon::start(state.path(), &[], &env);
    let port = http_port(&mut nvt);
    run_phase(&py, port, state.path(), "first");
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());

    // What the client set is in the file, in the SDK's units.
    let mut s = settings(state.path());
    let isp = &s["imaging"][0]["isp"];
    assert_eq!(isp["brightness"], 100, "{isp}");
    assert_eq!(isp["contrast"], 60, "{isp}");
    s["network"]["allow_basic_auth"] = serde_json::Value::Bool(true);
    std::fs::write(
        state.path().join("settings.json"),
        serde_json::to_vec_pretty(&s).unwrap(),
    )
    .unwrap();

    let mut nvt = Daemon::start(state.path(), &[], &env);
    let port = http_port(&mut nvt);
    run_phase(&py, port, state.path(), "restarted");
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}
