//! Multicast delivery, received for real: the server runs in one network namespace, ffmpeg in
//! another, joined by a veth pair with `224.0.0.0/4` routed over it on both sides. Nothing
//! touches the host's interfaces. Needs root (CAP_NET_ADMIN) and iproute2: `#[ignore]`d for
//! that, and scripts/test-all runs it when root.
//!
//! The server is this test binary itself, re-executed inside the server namespace with
//! `NVT_MCAST_CHILD` set (so the test does not depend on an example being built); so is a raw
//! RTSP client in the client namespace (`NVT_MCAST_RTP_INFO`) that checks PLAY's RTP-Info
//! against the packets the group carries. Loss is counted in the client namespace: its own
//! `RcvbufErrors` (/proc/net/snmp is per namespace) and ffmpeg's missed packets; both 0
//! (multicast is paced, issue 13).

mod support;

use support::rtsp;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use nvt::rtp::{RtpHub, RtpRegistry};
use nvt::rtsp::{NoAuth, RtspServer, ServerConfig};
use nvt::stream::{MulticastConfig, StreamConfig};
use support::netns::{Netns, SERVER_IP};
use support::replay::{FileSource, load_annex_b};
use support::rtsp::{Raw, setup_tcp};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const GROUP: &str = "239.255.42.1";
const PORT: u16 = 5004;

/// The server half: runs only when re-executed by the test below (ignored, so it never
/// counts as a test of its own; run by hand it fails).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of multicast_received_in_another_network_namespace"]
async fn multicast_server_child() {
    assert!(
        std::env::var_os("NVT_MCAST_CHILD").is_some(),
        "the server child of multicast_received_in_another_network_namespace: run that test"
    );
    let config = StreamConfig {
        framerate: Some(rtsp::FPS),
        multicast: Some(MulticastConfig {
            group: GROUP.parse().unwrap(),
            port: PORT,
            ttl: 1,
        }),
        ..StreamConfig::default()
    };
    let registry = RtpRegistry::new();
    let hub = RtpHub::new("main", config);
    registry.register("main", hub.clone());
    let _source = FileSource::start(hub, load_annex_b(&rtsp::sample()).unwrap(), rtsp::FPS);
    let server = RtspServer::start(
        ServerConfig::new(format!("{SERVER_IP}:8554").parse().unwrap()),
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

/// UDP datagrams dropped at full receive buffers in namespace `ns` so far.
fn rcvbuf_errors(ns: &str) -> u64 {
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", ns, "cat", "/proc/net/snmp"])
        .output()
        .expect("ip netns exec");
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("Udp:"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let i = rows[0].iter().position(|c| *c == "RcvbufErrors").unwrap();
    rows[1][i].parse().unwrap()
}

/// (seq, timestamp, marker) of an RTP packet.
fn rtp_head(p: &[u8]) -> (u16, u32, bool) {
    (
        u16::from_be_bytes([p[2], p[3]]),
        u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
        p[1] & 0x80 != 0,
    )
}

/// SETUP (multicast) and PLAY on a new connection; returns it and the RTP-Info values.
async fn multicast_play(server: std::net::SocketAddr, url: &str) -> (Raw, (u16, u32)) {
    let mut c = Raw::connect_addr(server).await;
    let r = c.req(&setup_tcp(url, 1, "RTP/AVP;multicast")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.header("Transport").unwrap().contains(GROUP));
    let session = r.session();
    let r = c
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {session}\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    (c, r.rtp_info())
}

/// The client half that checks RTP-Info: runs only when re-executed in the client namespace
/// by the test below. The group is joined before any PLAY, as players join at SETUP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of multicast_received_in_another_network_namespace"]
async fn multicast_rtp_info_client_child() {
    let server = std::env::var_os("NVT_MCAST_RTP_INFO").expect(
        "the RTP-Info client child of multicast_received_in_another_network_namespace: run that test",
    );
    let server: std::net::SocketAddr = server.to_str().unwrap().parse().unwrap();
    let url = format!("rtsp://{server}/main");
    let sock = std::net::UdpSocket::bind(("0.0.0.0", PORT)).unwrap();
    sock.join_multicast_v4(&GROUP.parse().unwrap(), &std::net::Ipv4Addr::UNSPECIFIED)
        .unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // Everything the group carries, read as it comes (a player's receive loop).
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (seen, stop) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(n) = sock.recv(&mut buf) {
                    seen.lock()
                        .unwrap()
                        .push((rtp_head(&buf[..n]), buf[12] & 0x1f, n, buf[13]));
                }
            }
        })
    };
    let packets = || seen.lock().unwrap().clone();
    // The first member's PLAY starts the group's sender: the very first packet on the group
    // is the one RTP-Info named (the cached IDR's STAP-A).
    let (_a, first) = multicast_play(server, &url).await;
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while packets().is_empty() {
        assert!(std::time::Instant::now() < end, "no RTP on the group");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ((seq, ts, _), nal, _, _) = packets()[0];
    assert_eq!((seq, ts), first, "first packet on the group vs RTP-Info");
    assert_eq!(nal, 24, "STAP-A with SPS/PPS first");
    // A second member joins the running group: its RTP-Info names the first packet of a
    // whole frame the group carries after its PLAY.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_b, joined) = multicast_play(server, &url).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    reader.join().unwrap();
    let all = packets();
    // One RTP packet per datagram, of the packetizer's sizes, with UDP GSO on as off: no
    // datagram longer than a packet (12 header bytes and at most 1400 of payload), and every
    // FU-A fragment but a NAL unit's last one full (the kernel cuts a GSO message into
    // segments of one size; a datagram holding two packets would be longer, and a
    // sequence gap below).
    let max = all.iter().map(|&(_, _, n, _)| n).max().unwrap_or(0);
    assert!(max <= 12 + 1400, "a datagram of {max} bytes on the group");
    let full: std::collections::BTreeSet<usize> = all
        .iter()
        .filter(|&&(_, nal, _, fu)| nal == 28 && fu & 0x40 == 0)
        .map(|&(_, _, n, _)| n)
        .collect();
    assert_eq!(
        full.len(),
        1,
        "sizes of the FU-A fragments before a NAL's last: {full:?}"
    );
    let seen: Vec<(u16, u32, bool)> = all.into_iter().map(|(h, ..)| h).collect();
    let i = seen
        .iter()
        .position(|&(s, _, _)| s == joined.0)
        .unwrap_or_else(|| panic!("RTP-Info seq {} never sent", joined.0));
    assert_eq!(seen[i].1, joined.1, "RTP-Info rtptime of the joiner");
    assert!(
        i > 0 && seen[i - 1].2,
        "the announced packet starts a frame: {:?}",
        &seen[i.saturating_sub(1)..=i]
    );
    for w in seen.windows(2) {
        assert_eq!(
            w[0].0.wrapping_add(1),
            w[1].0,
            "no sequence gap on the group"
        );
    }
    println!(
        "rtp-info checked: first {first:?}, joiner {joined:?}, {} datagrams, FU-A {full:?} bytes",
        seen.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: network namespaces; scripts/test-all runs them when root"]
async fn multicast_received_in_another_network_namespace() {
    let ns = Netns::pair("");
    let me = std::env::current_exe().unwrap();
    // The server child with UDP GSO off (`NVT_UDP_GSO=0`), then on (the default, which the
    // players below then play): the RTP-Info client checks each.
    let spawn_server = |gso: &str| {
        let mut server = Command::new("ip")
            .args(["netns", "exec", &ns.server])
            .arg(&me)
            .args([
                "--exact",
                "multicast_server_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("NVT_MCAST_CHILD", "1")
            .env("NVT_UDP_GSO", gso)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("server child");
        let lines = BufReader::new(server.stdout.take().unwrap()).lines();
        (server, lines)
    };
    let mut break_with = None;
    for gso in ["0", "1"] {
        let (server, mut lines) = spawn_server(gso);
        let ready = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(l)) = lines.next_line().await {
                if l.contains("listening ") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "server child started (NVT_UDP_GSO={gso})");
        // RTP-Info of a PLAY that starts the group and of one that joins it, against the
        // packets.
        let rtp_info = Command::new("ip")
            .args(["netns", "exec", &ns.client])
            .arg(&me)
            .args([
                "--exact",
                "multicast_rtp_info_client_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("NVT_MCAST_RTP_INFO", format!("{SERVER_IP}:8554"))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let rtp_info = tokio::time::timeout(Duration::from_secs(60), rtp_info)
            .await
            .expect("RTP-Info client finishes")
            .expect("RTP-Info client runs");
        assert!(
            rtp_info.status.success()
                && String::from_utf8_lossy(&rtp_info.stdout).contains("rtp-info checked"),
            "RTP-Info against the group's packets (NVT_UDP_GSO={gso}): {rtp_info:?}"
        );
        if gso == "0" {
            // Stopped (stdin closed) before the next one binds the same port.
            let mut server = server;
            drop(server.stdin.take());
            while let Ok(Some(_)) = lines.next_line().await {}
            let _ = tokio::time::timeout(Duration::from_secs(10), server.wait()).await;
            continue;
        }
        break_with = Some((server, lines));
    }
    let (mut server, mut lines) = break_with.expect("the GSO server child");
    let drops0 = rcvbuf_errors(&ns.client);
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.client,
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
        ])
        .args([
            "-loglevel",
            "level+warning",
            "-rtsp_transport",
            "udp_multicast",
        ])
        .args([
            "-i",
            &format!("rtsp://{SERVER_IP}:8554/main"),
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
    let ffmpeg_drops = rcvbuf_errors(&ns.client) - drops0;
    // GStreamer with its default protocols (UDP unicast first) on the multicast URL: the
    // group in the SDP's media `c=` makes rtspsrc ask for multicast; 125 frames decoded.
    // A multicast receiver may join mid-GOP, so the depayloader waits for a keyframe (what a
    // multicast client is configured to do).
    let gst = Command::new("ip")
        .args(["netns", "exec", &ns.client, "gst-launch-1.0", "rtspsrc"])
        .args([
            &format!("location=rtsp://{SERVER_IP}:8554/main/multicast"),
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
    rtsp::assert_gst_decoded_to_eos(&gst, "multicast");
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
    assert!(
        !stderr.contains("[error]") && !stderr.contains("missed"),
        "decoder errors or packets missed: {stderr}"
    );
    assert_eq!(
        ffmpeg_drops, 0,
        "datagrams dropped at ffmpeg's receive buffer"
    );
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    assert!(frames >= 110, "only {frames} frames over multicast");
    drop(ns);
}
