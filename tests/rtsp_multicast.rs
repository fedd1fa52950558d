//! Multicast delivery, received for real: the server runs in one network namespace, ffmpeg in
//! another, joined by a veth pair with `224.0.0.0/4` routed over it on both sides. Nothing
//! touches the host's interfaces. Needs root (CAP_NET_ADMIN) and iproute2; skipped with a
//! message otherwise.
//!
//! The server is this test binary itself, re-executed inside the server namespace with
//! `NVT_MCAST_CHILD` set (so the test does not depend on an example being built).

mod rtsp_support;
use rtsp_support as common;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use nvt::file_source::{FileSource, load_annex_b};
use nvt::rtsp::{NoAuth, RtspServer, ServerConfig};
use nvt::stream_hub::{MulticastConfig, StreamConfig, StreamHub, StreamRegistry};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const GROUP: &str = "239.255.42.1";
const PORT: u16 = 5004;

fn ip(args: &[&str]) -> bool {
    std::process::Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Two namespaces and a veth pair; removed on drop.
struct Netns {
    server: String,
    client: String,
}

impl Netns {
    fn create() -> Option<Self> {
        let id = std::process::id() % 100_000;
        let n = Self {
            server: format!("nvtS{id}"),
            client: format!("nvtC{id}"),
        };
        let (vs, vc) = (format!("vS{id}"), format!("vC{id}"));
        let ok = ip(&["netns", "add", &n.server])
            && ip(&["netns", "add", &n.client])
            && ip(&["link", "add", &vs, "type", "veth", "peer", "name", &vc])
            && ip(&["link", "set", &vs, "netns", &n.server])
            && ip(&["link", "set", &vc, "netns", &n.client])
            && ip(&["-n", &n.server, "addr", "add", "10.213.0.1/24", "dev", &vs])
            && ip(&["-n", &n.client, "addr", "add", "10.213.0.2/24", "dev", &vc])
            && ip(&["-n", &n.server, "link", "set", &vs, "up"])
            && ip(&["-n", &n.client, "link", "set", &vc, "up"])
            && ip(&["-n", &n.server, "link", "set", "lo", "up"])
            && ip(&["-n", &n.client, "link", "set", "lo", "up"])
            && ip(&["-n", &n.server, "route", "add", "224.0.0.0/4", "dev", &vs])
            && ip(&["-n", &n.client, "route", "add", "224.0.0.0/4", "dev", &vc]);
        ok.then_some(n)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespaces deletes the veth pair with them.
        ip(&["netns", "del", &self.server]);
        ip(&["netns", "del", &self.client]);
    }
}

/// The server half: runs only when re-executed by the test below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multicast_server_child() {
    if std::env::var_os("NVT_MCAST_CHILD").is_none() {
        return;
    }
    let config = StreamConfig {
        framerate: Some(common::FPS),
        multicast: Some(MulticastConfig {
            group: GROUP.parse().unwrap(),
            port: PORT,
            ttl: 1,
        }),
        ..StreamConfig::default()
    };
    let registry = StreamRegistry::new();
    let hub = StreamHub::new("main", config);
    registry.register("main", hub.clone());
    let _source = FileSource::start(hub, load_annex_b(&common::sample()).unwrap(), common::FPS);
    let server = RtspServer::start(
        ServerConfig::new("10.213.0.1:8554".parse().unwrap()),
        registry,
        Arc::new(NoAuth),
    )
    .await
    .unwrap();
    println!("listening {}", server.local_addr());
    // Serve until the parent closes our stdin.
    let mut line = String::new();
    let _ = BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await;
    // How many PLAYs the server served by multicast, for the parent to check that each
    // client really got multicast (not a unicast fallback).
    println!(
        "multicast sessions: {}",
        server.metrics().sessions_multicast_total
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multicast_received_in_another_network_namespace() {
    let Some(ns) = Netns::create() else {
        eprintln!("SKIPPED: cannot create network namespaces (needs root and iproute2)");
        return;
    };
    let me = std::env::current_exe().unwrap();
    let mut server = Command::new("ip")
        .args(["netns", "exec", &ns.server])
        .arg(&me)
        .args([
            "--exact",
            "multicast_server_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NVT_MCAST_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("server child");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(l)) = lines.next_line().await {
            if l.contains("listening ") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "server child started");
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.client,
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
        ])
        .args(["-v", "error", "-rtsp_transport", "udp_multicast"])
        .args([
            "-i",
            "rtsp://10.213.0.1:8554/main",
            "-t",
            "5",
            "-f",
            "framemd5",
            "-",
        ])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("ffmpeg finishes")
        .expect("ffmpeg runs");
    // GStreamer with its default protocols (UDP unicast first) on the multicast URL: the
    // group in the SDP's media `c=` makes rtspsrc ask for multicast; 125 frames decoded.
    // A multicast receiver may join mid-GOP, so the depayloader waits for a keyframe (what a
    // multicast client is configured to do).
    let gst = Command::new("ip")
        .args(["netns", "exec", &ns.client, "gst-launch-1.0", "rtspsrc"])
        .args([
            "location=rtsp://10.213.0.1:8554/main/multicast",
            "latency=0",
            "!",
        ])
        .args([
            "rtph264depay",
            "wait-for-keyframe=true",
            "!",
            "h264parse",
            "!",
        ])
        .args([
            "avdec_h264",
            "!",
            "identity",
            "eos-after=125",
            "error-after=-1",
            "!",
        ])
        .args(["fakesink", "sync=false"])
        .env("GST_DEBUG", "*:1")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let gst = tokio::time::timeout(Duration::from_secs(60), gst)
        .await
        .expect("gst-launch finishes")
        .expect("gst-launch runs");
    drop(server.stdin.take());
    let server_out = tokio::time::timeout(Duration::from_secs(10), async {
        let mut rest = Vec::new();
        while let Ok(Some(l)) = lines.next_line().await {
            rest.push(l);
        }
        rest
    })
    .await
    .unwrap_or_default();
    let _ = tokio::time::timeout(Duration::from_secs(10), server.wait()).await;
    common::assert_gst_decoded_to_eos(&gst, "multicast");
    let multicast_plays = server_out
        .iter()
        .find_map(|l| l.strip_prefix("multicast sessions: "))
        .and_then(|n| n.trim().parse::<u64>().ok());
    assert!(
        multicast_plays >= Some(2),
        "both clients were served by multicast: {server_out:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffmpeg failed: {stderr}");
    assert!(stderr.is_empty(), "decoder errors: {stderr}");
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    assert!(frames >= 110, "only {frames} frames over multicast");
    drop(ns);
}
