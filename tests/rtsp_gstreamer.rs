//! GStreamer's rtspsrc against the server over TCP and UDP: 5 s of frames depayloaded and
//! decoded by avdec_h264 to EOS with no error. Needs gstreamer1.0-tools,
//! gstreamer1.0-plugins-good/-bad and gstreamer1.0-libav (see docs/rtsp.md).

mod support;

use support::rtsp;

use std::process::Stdio;
use std::time::Duration;

use support::rtsp::Harness;
use tokio::process::Command;

async fn gst_case(protocols: &str) {
    let h = Harness::start().await;
    let location = format!("location={}", h.url());
    let proto = format!("protocols={protocols}");
    // 125 decoded frames = 5 s at 25 fps, then EOS.
    let out = Command::new("gst-launch-1.0")
        .args(["rtspsrc", &location, &proto, "latency=0", "!"])
        .args(["rtph264depay", "!", "h264parse", "!", "avdec_h264", "!"])
        .args([
            "identity",
            "eos-after=125",
            "error-after=-1",
            "!",
            "fakesink",
            "sync=false",
        ])
        .env("GST_DEBUG", "*:1")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("gst-launch finishes")
        .expect("gst-launch runs (is gstreamer1.0-tools installed?)");
    rtsp::assert_gst_decoded_to_eos(&out, protocols);
    let m = h.hub.viewer_metrics();
    assert!(m.iter().all(|v| v.frames_dropped == 0), "{m:?}");
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gstreamer_rtspsrc_tcp_decodes_5s() {
    gst_case("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gstreamer_rtspsrc_udp_decodes_5s() {
    gst_case("udp").await;
}
