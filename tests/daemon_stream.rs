//! The whole camera, as an NVR meets it: the real `nvt` binary on the simulator serves each
//! profile over RTSP, to the ONVIF users only (Digest), at the configured resolutions.

mod support;

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use support::*;

const START: Duration = Duration::from_secs(60);

fn ffprobe_rtsp(url: &str, transport: &str) -> (bool, String) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-rtsp_transport",
            transport,
            "-rw_timeout",
            "15000000",
        ])
        .args([
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(url)
        .output()
        .expect("run ffprobe");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn profiles_stream_over_rtsp_to_onvif_users_only() {
    let state = temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", "cam-Pass1")]);
    let main = nvt.rtsp_url("/main");
    let sub = nvt.rtsp_url("/sub");
    nvt.wait_for("nvt running", START);
    let with_user = |url: &str| url.replacen("rtsp://", "rtsp://admin:cam-Pass1@", 1);

    for transport in ["tcp", "udp"] {
        let (ok, out) = ffprobe_rtsp(&with_user(&main), transport);
        assert!(
            ok && out.trim() == "h264,1280,720",
            "main over {transport}: {out}"
        );
    }
    let (ok, out) = ffprobe_rtsp(&with_user(&sub), "tcp");
    assert!(ok && out.trim() == "h264,640,360", "sub: {out}");

    // No credentials, or a wrong password: refused with 401.
    let (ok, out) = ffprobe_rtsp(&main, "tcp");
    assert!(!ok && out.contains("401"), "no credentials: {out}");
    let (ok, out) = ffprobe_rtsp(&main.replacen("rtsp://", "rtsp://admin:wrong@", 1), "tcp");
    assert!(!ok && out.contains("401"), "wrong password: {out}");

    nvt.signal(Signal::SIGTERM);
    assert!(
        nvt.wait_exit(Duration::from_secs(15)).success(),
        "{:?}",
        nvt.seen
    );
}

/// An RTSP OPTIONS from curl with `--basic`: curl sends `Authorization: Basic` up front (a
/// real client doing Basic; ffmpeg and GStreamer both pick Digest whenever it is offered, and
/// nvt always offers it). Returns the response head.
fn curl_basic_options(url: &str, user: &str, password: &str) -> String {
    let out = Command::new("curl")
        .args(["-sS", "-i", "--max-time", "15", "--basic", "-u"])
        .arg(format!("{user}:{password}"))
        .arg(url)
        .output()
        .expect("run curl");
    assert!(out.status.success(), "curl: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn set_allow_basic_auth(state: &std::path::Path, allow: bool) {
    let path = state.join("settings.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["network"]["allow_basic_auth"] = serde_json::Value::Bool(allow);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn rtsp_basic_auth_only_when_the_setting_allows_it() {
    let state = temp_state();
    let env = [("NVT_ADMIN_PASSWORD", "cam-Pass1")];

    // Default (allow_basic_auth = false): Basic refused, only Digest offered.
    let mut nvt = Daemon::start(state.path(), &[], &env);
    let main = nvt.rtsp_url("/main");
    nvt.wait_for("nvt running", START);
    let head = curl_basic_options(&main, "admin", "cam-Pass1");
    assert!(head.starts_with("RTSP/1.0 401"), "{head}");
    assert!(head.contains("WWW-Authenticate: Digest"), "{head}");
    assert!(!head.contains("Basic"), "Basic offered while off: {head}");
    let with_user = |url: &str| url.replacen("rtsp://", "rtsp://admin:cam-Pass1@", 1);
    let (ok, out) = ffprobe_rtsp(&with_user(&main), "tcp");
    assert!(
        ok && out.trim() == "h264,1280,720",
        "Digest still works: {out}"
    );
    nvt.stop();

    // Turned on: Basic with the right password passes, the wrong one does not; the challenge
    // offers Basic after Digest; ffprobe (Digest) is unaffected.
    set_allow_basic_auth(state.path(), true);
    let mut nvt = Daemon::start(state.path(), &[], &env);
    let main = nvt.rtsp_url("/main");
    nvt.wait_for("nvt running", START);
    let head = curl_basic_options(&main, "admin", "cam-Pass1");
    assert!(head.starts_with("RTSP/1.0 200"), "{head}");
    assert!(head.contains("Public:"), "{head}");
    let head = curl_basic_options(&main, "admin", "wrong");
    assert!(head.starts_with("RTSP/1.0 401"), "{head}");
    let challenges: Vec<&str> = head
        .lines()
        .filter_map(|l| l.strip_prefix("WWW-Authenticate: "))
        .collect();
    assert!(challenges.len() >= 2, "{head}");
    assert!(challenges[0].starts_with("Digest "), "{head}");
    assert_eq!(
        challenges.last().map(|c| c.trim()),
        Some("Basic realm=\"nvt\", charset=\"UTF-8\""),
        "{head}"
    );
    let head = curl_basic_options(&main, "nobody", "cam-Pass1");
    assert!(head.starts_with("RTSP/1.0 401"), "{head}");
    let (ok, out) = ffprobe_rtsp(&with_user(&main), "tcp");
    assert!(
        ok && out.trim() == "h264,1280,720",
        "Digest with Basic on: {out}"
    );
    nvt.stop();
}

/// `--replay` on a first start: the default encoder configurations (1280x720 and 640x360)
/// are fitted to the recording (the only size a replay channel can do), saved, and every
/// profile streams the recording.
#[test]
fn replay_mode_serves_the_recording_on_every_profile() {
    let state = temp_state();
    let clip = data_dir().join("baseline-640x360-25fps.h264");
    let clip = path_str(&clip);
    let env = [("NVT_ADMIN_PASSWORD", "cam-Pass1")];
    let mut nvt = Daemon::start(state.path(), &["--replay", &clip], &env);
    let main = nvt.rtsp_url("/main");
    let sub = nvt.rtsp_url("/sub");
    nvt.wait_for("nvt running", START);
    let with_user = |url: &str| url.replacen("rtsp://", "rtsp://admin:cam-Pass1@", 1);
    for url in [&main, &sub] {
        let (ok, out) = ffprobe_rtsp(&with_user(url), "tcp");
        assert!(ok && out.trim() == "h264,640,360", "{url}: {out}");
    }
    nvt.stop();
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.path().join("settings.json")).unwrap())
            .unwrap();
    for enc in saved["media"]["video_encoders"].as_array().unwrap() {
        assert_eq!(
            (enc["width"].as_u64(), enc["height"].as_u64()),
            (Some(640), Some(360))
        );
    }
    // A second start with the same recording uses the saved, fitted settings.
    let mut nvt = Daemon::start(state.path(), &["--replay", &clip], &env);
    nvt.wait_for("nvt running", START);
    nvt.stop();
}
