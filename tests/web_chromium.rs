//! The camera page in a real browser: Debian's Chromium, headless, driven by playwright-core
//! (installed by scripts/deps.sh into target/node) through tests/web/live_view.cjs. An
//! ffmpeg RTSP client watches at the same time, so the page has an RTSP viewer to list.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use support::Daemon;

const PASSWORD: &str = "page-secret";

/// Kills the child (a process this test started) when dropped.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn camera_page_plays_live_in_chromium() {
    let state = support::temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", PASSWORD)]);
    let rtsp = nvt.rtsp_port();
    let http = nvt.http_port();
    nvt.wait_running();

    // One RTSP viewer (copying, not decoding: cheap on a shared machine).
    let _viewer = Kill(
        Command::new("ffmpeg")
            .args(["-v", "error", "-rtsp_transport", "tcp", "-i"])
            .arg(format!("rtsp://admin:{PASSWORD}@127.0.0.1:{rtsp}/main"))
            .args(["-c", "copy", "-f", "null", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run ffmpeg"),
    );

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let run = Command::new("node")
        .arg(root.join("tests/web/live_view.cjs"))
        .arg(format!("http://127.0.0.1:{http}"))
        .args(["admin", PASSWORD])
        .arg(out.path())
        .env("NVT_NODE_MODULES", root.join("target/node/node_modules"))
        .env("NVT_EXPECT_RTSP_VIEWERS", "1")
        .output()
        .expect("run node (scripts/deps.sh installs it)");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "browser checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = stdout.lines().last().unwrap_or_default();
    // The measured delay, reported with the test's output (docs/web.md records it).
    println!("chromium live view: {report}");
    assert!(report.contains("\"latency_ms\""), "{report}");
    assert!(out.path().join("page.png").exists());
    // Keep the screenshot where a person can look at it.
    let keep = root.join("target/web-test");
    let _ = std::fs::create_dir_all(&keep);
    let _ = std::fs::copy(out.path().join("page.png"), keep.join("page.png"));
}
