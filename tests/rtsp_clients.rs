//! Real clients against the real server over loopback: ffprobe/ffmpeg and the `retina` crate,
//! over TCP interleaved and UDP unicast.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::Harness;
use futures::StreamExt;
use retina::client::{
    PacketItem, PlayOptions, SessionOptions, SetupOptions, TcpTransportOptions, Transport,
    UdpTransportOptions,
};
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

/// Plays with retina for `secs` seconds; checks every RTP sequence number follows the last.
async fn retina_case(transport: Transport, secs: u64) {
    let h = Harness::start().await;
    let url = url::Url::parse(&h.url()).unwrap();
    let mut session = retina::client::Session::describe(url, SessionOptions::default())
        .await
        .expect("DESCRIBE");
    assert_eq!(session.streams().len(), 1);
    assert_eq!(session.streams()[0].encoding_name(), "h264");
    assert_eq!(session.streams()[0].framerate(), Some(25.0));
    session
        .setup(0, SetupOptions::default().transport(transport))
        .await
        .expect("SETUP");
    let mut playing = session.play(PlayOptions::default()).await.expect("PLAY");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let mut last_seq: Option<u16> = None;
    let (mut packets, mut markers, mut rtcp) = (0u64, 0u64, 0u64);
    let mut first_payload_type = None;
    while tokio::time::Instant::now() < deadline {
        let item = tokio::time::timeout(Duration::from_secs(5), playing.next())
            .await
            .expect("packets keep coming")
            .expect("stream open")
            .expect("no error");
        match item {
            PacketItem::Rtp(p) => {
                assert_eq!(p.loss(), 0, "retina saw loss");
                if let Some(l) = last_seq {
                    assert_eq!(p.sequence_number(), l.wrapping_add(1), "sequence gap");
                }
                first_payload_type.get_or_insert(p.payload()[0] & 0x1f);
                last_seq = Some(p.sequence_number());
                packets += 1;
                markers += u64::from(p.mark());
            }
            PacketItem::Rtcp(_) => rtcp += 1,
            _ => {}
        }
    }
    // The first packet is the STAP-A with SPS+PPS of the cached IDR.
    assert_eq!(first_payload_type, Some(24));
    assert!(markers >= secs * 25 - 10, "{markers} frames in {secs} s");
    assert!(rtcp >= 1, "a sender report right after PLAY");
    assert!(packets > markers);
    drop(playing);
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
