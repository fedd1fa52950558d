//! Real clients against the real server over loopback: ffprobe/ffmpeg and the `retina` crate,
//! over TCP interleaved and UDP unicast.

mod support;

use support::rtsp;

use std::process::Stdio;
use std::time::Duration;

use retina::client::{TcpTransportOptions, Transport, UdpTransportOptions};
use support::rtsp::Harness;
use tokio::process::Command;

/// Decodes `secs` seconds with ffmpeg; returns (decoded frames, stderr).
async fn ffmpeg_decode(url: &str, transport: &str, secs: u32) -> (usize, String) {
    let out = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-rtsp_transport",
            transport,
        ])
        .args(["-i", url, "-t", &secs.to_string(), "-f", "framemd5", "-"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("ffmpeg finishes")
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg failed: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let frames = stdout
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    (frames, String::from_utf8_lossy(&out.stderr).into_owned())
}

async fn ffprobe(url: &str, transport: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-rtsp_transport", transport])
        .args([
            "-show_entries",
            "stream=codec_name,profile,width,height,avg_frame_rate",
        ])
        .args(["-of", "compact", url])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .expect("ffprobe finishes")
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe failed: {out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn ffmpeg_case(transport: &str) {
    let h = Harness::start().await;
    let info = ffprobe(&h.url(), transport).await;
    assert!(info.contains("codec_name=h264"), "{info}");
    assert!(info.contains("width=640|height=360"), "{info}");
    let (frames, stderr) = ffmpeg_decode(&h.url(), transport, 6).await;
    assert!(
        stderr.is_empty(),
        "decoder errors over {transport}: {stderr}"
    );
    // 6 s at 25 fps = 150 frames; allow for the start being at the cached IDR.
    assert!(frames >= 140, "only {frames} frames over {transport}");
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_tcp_decodes_6s_without_error() {
    ffmpeg_case("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_udp_decodes_6s_without_error() {
    ffmpeg_case("udp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_http_tunnel_decodes_6s_without_error() {
    ffmpeg_case("http").await;
}

async fn retina_case(transport: Transport, secs: u64) {
    let h = Harness::start().await;
    let stats = rtsp::retina_play(&h.url(), transport, secs).await;
    // The first packet is the STAP-A with SPS+PPS of the cached IDR.
    assert_eq!(stats.first_nal_type, Some(24));
    assert!(stats.frames >= secs * 25 - 10, "{stats:?}");
    assert!(stats.rtcp >= 1, "a sender report right after PLAY");
    assert!(stats.packets > stats.frames);
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retina_tcp_zero_sequence_gaps() {
    retina_case(Transport::Tcp(TcpTransportOptions::default()), 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retina_udp_zero_sequence_gaps() {
    retina_case(Transport::Udp(UdpTransportOptions::default()), 6).await;
}
