//! The Imaging service and the snapshot endpoint of the real `nvt` binary, driven by Home
//! Assistant's client library (onvif-zeep-async) with ffprobe/ffmpeg checking the pictures
//! (conformance/onvif-zeep/imaging.py): snapshots by Digest at each profile's size, 401
//! without credentials, brightness up raising the mean luma, out-of-range values faulting
//! and changing nothing, focus Move/GetStatus/Stop, Imaging in GetCapabilities/GetServices;
//! then a restart with Basic auth allowed: settings kept, Basic snapshot, wrong password 401.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use support::{Daemon, soap};

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
    let py = support::python::zeep();
    let state = support::temp_state();
    let env = [("NVT_ADMIN_PASSWORD", "imaging-secret")];
    let mut nvt = Daemon::start(state.path(), &[], &env);
    let port = nvt.http_port();
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
    let port = nvt.http_port();
    run_phase(&py, port, state.path(), "restarted");
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}

/// POSTs a SOAP `body` to the imaging service as `user` (PasswordText UsernameToken) or
/// anonymously; returns the whole HTTP response.
fn post(port: u16, user: Option<(&str, &str)>, body: &str) -> String {
    soap::call(port, soap::IMAGING, user, body).raw
}

/// Access classes of the Imaging operations (Imaging spec: GetServiceCapabilities PRE_AUTH,
/// Get* READ_MEDIA, SetImagingSettings/Move/Stop ACTUATE) through the real binary.
#[test]
fn imaging_access_classes() {
    let state = support::temp_state();
    let mut nvt = Daemon::start(
        state.path(),
        &[],
        &[("NVT_ADMIN_PASSWORD", "imaging-secret")],
    );
    let port = nvt.http_port();
    let admin = Some(("admin", "imaging-secret"));
    let r = post(
        port,
        admin,
        "<tds:CreateUsers><tds:User><tt:Username>viewer</tt:Username><tt:Password>viewer-pass</tt:Password><tt:UserLevel>User</tt:UserLevel></tds:User><tds:User><tt:Username>operator</tt:Username><tt:Password>operator-pass</tt:Password><tt:UserLevel>Operator</tt:UserLevel></tds:User></tds:CreateUsers>",
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let viewer = Some(("viewer", "viewer-pass"));
    let operator = Some(("operator", "operator-pass"));
    let get = "<timg:GetImagingSettings><timg:VideoSourceToken>vs0</timg:VideoSourceToken></timg:GetImagingSettings>";
    let set = "<timg:SetImagingSettings><timg:VideoSourceToken>vs0</timg:VideoSourceToken><timg:ImagingSettings><tt:Brightness>40</tt:Brightness></timg:ImagingSettings></timg:SetImagingSettings>";
    let mv = "<timg:Move><timg:VideoSourceToken>vs0</timg:VideoSourceToken><timg:Focus><tt:Relative><tt:Distance>10</tt:Distance></tt:Relative></timg:Focus></timg:Move>";

    let r = post(port, None, "<timg:GetServiceCapabilities/>");
    assert!(
        r.starts_with("HTTP/1.1 200") && r.contains("timg:Capabilities"),
        "{r}"
    );
    let r = post(port, None, get);
    assert!(r.starts_with("HTTP/1.1 401"), "{r}");
    let r = post(port, viewer, get);
    assert!(
        r.starts_with("HTTP/1.1 200") && r.contains("<tt:Brightness>50</tt:Brightness>"),
        "{r}"
    );
    for op in [set, mv] {
        let r = post(port, viewer, op);
        assert!(
            r.starts_with("HTTP/1.1 400") && r.contains("ter:NotAuthorized"),
            "{r}"
        );
    }
    let r = post(port, operator, set);
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let r = post(port, operator, mv);
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let r = post(port, viewer, get);
    assert!(r.contains("<tt:Brightness>40</tt:Brightness>"), "{r}");
    // A token that is no video source.
    let r = post(port, viewer, &get.replace("vs0", "vs7"));
    assert!(
        r.starts_with("HTTP/1.1 400") && r.contains("ter:NoSource"),
        "{r}"
    );
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}
