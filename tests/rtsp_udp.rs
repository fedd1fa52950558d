//! UDP delivery as players meet it (issue 13 item 2): receivers with Linux's default receive
//! buffer (`net.core.rmem_default`, 208 KiB: ~90 datagrams of 1.4 kB) must lose nothing, at
//! the start (the cached GOP) and at every IDR. And the first packet every client gets
//! carries the `seq` and `rtptime` PLAY's RTP-Info announced, over UDP, TCP and the HTTP
//! tunnel (multicast: `tests/rtsp_multicast.rs`).
//!
//! Loss is counted twice: RTP sequence gaps as the client sees them, and the datagrams the
//! kernel dropped at this process's own UDP sockets (the `drops` column of `/proc/net/udp`,
//! the per-socket form of `RcvbufErrors`, so other processes' traffic cannot blur it).
//! Nothing here asserts a time.

mod support;

use support::rtsp;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use base64::Engine;
use bytes::Bytes;
use nvt::frame::Frame;
use nvt::rtp::{RtpHub, RtpRegistry};
use nvt::rtsp::{NoAuth, RtspServer, ServerConfig};
use nvt::stream::StreamConfig;
use retina::client::{Transport, UdpTransportOptions};
use support::replay::{FileSource, load_annex_b};
use support::rtsp::{Raw, setup_tcp};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::process::Command;

/// The camera's default main stream (1280x720, 25 fps, 2048 kbit/s, a 2 s GOP, no B
/// frames), 4 s of it, made once per build directory with ffmpeg/libx264 from its test
/// pattern plus noise (so the encoder spends the bits: IDRs of ~80-90 kB, a GOP of ~500 kB,
/// more than twice the default receive buffer). Not committed: 1 MB.
fn main_stream_clip() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("main-1280x720-2M-gop50.h264");
    if path.exists() {
        return path;
    }
    // Made under a name of its own and renamed: tests run in parallel processes.
    let tmp = dir.join(format!("clip-{}.h264", std::process::id()));
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1280x720:rate=25,noise=alls=12:allf=t")
        .args(["-t", "4", "-c:v", "libx264", "-preset", "veryfast"])
        .args([
            "-profile:v",
            "main",
            "-bf",
            "0",
            "-g",
            "50",
            "-keyint_min",
            "50",
        ])
        .args([
            "-sc_threshold",
            "0",
            "-b:v",
            "2M",
            "-maxrate",
            "2.2M",
            "-bufsize",
            "2M",
        ])
        .args(["-pix_fmt", "yuv420p", "-f", "h264"])
        .arg(&tmp)
        .output()
        .expect("ffmpeg runs (scripts/deps.sh)");
    assert!(out.status.success(), "ffmpeg with libx264: {out:?}");
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// A server on loopback fed by a file replay at 25 fps.
struct Camera {
    server: RtspServer,
    hub: Arc<RtpHub>,
    _source: FileSource,
}

impl Camera {
    async fn start(clip: &Path) -> Self {
        let registry = RtpRegistry::new();
        let hub = RtpHub::new(
            "main",
            StreamConfig {
                framerate: Some(rtsp::FPS),
                ..StreamConfig::default()
            },
        );
        registry.register("main", hub.clone());
        let source = FileSource::start(hub.clone(), load_annex_b(clip).unwrap(), rtsp::FPS);
        let server = RtspServer::start(
            ServerConfig::new("127.0.0.1:0".parse().unwrap()),
            registry,
            Arc::new(NoAuth),
        )
        .await
        .unwrap();
        Self {
            server,
            hub,
            _source: source,
        }
    }

    fn url(&self) -> String {
        format!("rtsp://{}/main", self.server.local_addr())
    }

    /// Waits until the cached GOP holds 30-34 frames (~350 kB; the clip has an IDR every 50
    /// frames from its first), so a viewer starting now gets a large GOP to catch up on.
    async fn late_in_gop(&self) {
        let end = tokio::time::Instant::now() + Duration::from_secs(30);
        while !(30..35).contains(&(self.hub.metrics().frames_in % 50)) {
            assert!(tokio::time::Instant::now() < end, "the replay stalled");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Datagrams the kernel dropped at the UDP sockets this process holds open (the `drops`
/// column of `/proc/net/udp{,6}` for the socket inodes in `/proc/self/fd`).
fn own_udp_drops() -> u64 {
    let inodes: HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let mut drops = 0;
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 12 && inodes.contains(cols[9]) {
                drops += cols[12].parse::<u64>().unwrap_or(0);
            }
        }
    }
    drops
}

fn seq_ts(p: &[u8]) -> (u16, u32) {
    (
        u16::from_be_bytes([p[2], p[3]]),
        u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
    )
}

/// A UDP port pair (even RTP, odd RTCP) with default buffers, as players bind.
fn udp_pair() -> (std::net::UdpSocket, std::net::UdpSocket) {
    loop {
        let rtp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = rtp.local_addr().unwrap().port();
        if !port.is_multiple_of(2) {
            continue;
        }
        if let Ok(rtcp) = std::net::UdpSocket::bind(("127.0.0.1", port + 1)) {
            return (rtp, rtcp);
        }
    }
}

/// Frame `n` of a synthetic 2 Mbit/s stream at 25 fps: an IDR of 80 kB (with SPS and PPS)
/// every `gop` frames, P frames of 7.5 kB. Only RTP headers are checked, so the slice bytes
/// do not need to decode.
fn synthetic_frame(n: u32, gop: u32) -> Frame {
    let key = n.is_multiple_of(gop);
    let nals = if key {
        vec![
            Bytes::from_static(&[0x67, 0x4d, 0x00, 0x1f, 0x95, 0xa8]),
            Bytes::from_static(&[0x68, 0xee, 0x3c, 0x80]),
            Bytes::from(vec![0x65; 80_000]),
        ]
    } else {
        vec![Bytes::from(vec![0x41; 7_500])]
    };
    Frame {
        channel: 0,
        seq: n,
        pts: Duration::from_millis(40 * u64::from(n)),
        wallclock: SystemTime::now(),
        keyframe: key,
        nals,
    }
}

/// A player whose decoder keeps it from reading its socket for a moment right after PLAY,
/// while 1.6 s of cached GOP (~370 kB, ~270 packets) is due: sent at once (as before pacing)
/// that overflows the default receive buffer within a millisecond. Paced, the receiver holds
/// one burst plus the stall's worth at the pacing rate (~35 kB for a 20 ms stall), and 3 s of
/// live frames with another IDR follow. Zero loss; the first packet is RTP-Info's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_receiver_busy_right_after_play_loses_nothing() {
    let registry = RtpRegistry::new();
    let hub = RtpHub::new("main", StreamConfig::default());
    registry.register("main", hub.clone());
    let server = RtspServer::start(
        ServerConfig::new("127.0.0.1:0".parse().unwrap()),
        registry,
        Arc::new(NoAuth),
    )
    .await
    .unwrap();
    let url = format!("rtsp://{}/main", server.local_addr());
    for n in 0..40 {
        hub.publish(synthetic_frame(n, 50), std::time::Instant::now());
    }
    let (rtp, _rtcp) = udp_pair();
    let port = rtp.local_addr().unwrap().port();
    let mut c = Raw::connect_addr(server.local_addr()).await;
    let r = c
        .req(&setup_tcp(
            &url,
            1,
            &format!("RTP/AVP;unicast;client_port={port}-{}", port + 1),
        ))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let session = r.session();
    let r = c
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {session}\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    let announced = r.rtp_info();
    // Live from here: 75 more frames at 25 fps, one more IDR among them.
    let live = {
        let hub = hub.clone();
        std::thread::spawn(move || {
            for n in 40..115 {
                std::thread::sleep(Duration::from_millis(40));
                hub.publish(synthetic_frame(n, 50), std::time::Instant::now());
            }
        })
    };
    let reader = std::thread::spawn(move || {
        // Busy decoding: nothing read for 20 ms.
        std::thread::sleep(Duration::from_millis(20));
        rtp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        while let Ok(n) = rtp.recv(&mut buf) {
            got.push(seq_ts(&buf[..n]));
        }
        let drops = own_udp_drops();
        (got, drops)
    });
    live.join().unwrap();
    let (got, drops) = tokio::task::spawn_blocking(move || reader.join().unwrap())
        .await
        .unwrap();
    assert!(got.len() > 300, "only {} packets", got.len());
    assert_eq!(got[0], announced, "first packet is RTP-Info's seq/rtptime");
    let gaps: u64 = got
        .windows(2)
        .map(|w| u64::from(w[1].0.wrapping_sub(w[0].0).wrapping_sub(1)))
        .sum();
    assert_eq!(gaps, 0, "RTP sequence gaps");
    assert_eq!(drops, 0, "datagrams dropped at the receive buffer");
    server.shutdown().await;
}

/// ffmpeg as the issue ran it, five times in a row at default buffers, each starting late in
/// the GOP: never a `missed` packet (the 20-run figure is in docs/rtsp.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_over_udp_misses_no_packet() {
    let cam = Camera::start(&main_stream_clip()).await;
    for run in 0..5 {
        cam.late_in_gop().await;
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-v", "warning"])
            .args(["-rtsp_transport", "udp", "-i", &cam.url()])
            .args(["-t", "3", "-f", "null", "-"])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(60), out)
            .await
            .expect("ffmpeg finishes")
            .expect("ffmpeg runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "run {run}: {stderr}");
        assert!(
            !stderr.contains("missed"),
            "run {run}: ffmpeg lost packets: {stderr}"
        );
        assert!(
            !stderr.contains("error while decoding"),
            "run {run}: {stderr}"
        );
    }
    cam.server.shutdown().await;
}

/// 20 retina viewers over UDP in one process, all starting at once late in the GOP (so 20
/// large cached GOPs are due together), for 10 s: no sequence gap, no loss retina reports, no
/// datagram dropped at any of their sockets (the 60 s figure of one viewer is in
/// docs/rtsp.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_udp_viewers_lose_nothing() {
    const VIEWERS: usize = 20;
    const SECS: u64 = 10;
    let cam = Camera::start(&main_stream_clip()).await;
    cam.late_in_gop().await;
    let tasks: Vec<_> = (0..VIEWERS)
        .map(|_| {
            tokio::spawn(rtsp::retina_play_owned(
                cam.url(),
                Transport::Udp(UdpTransportOptions::default()),
                SECS,
            ))
        })
        .collect();
    // Sample the sockets' drop counters while they are all open.
    let hub = cam.hub.clone();
    let mut drops = None;
    let end = tokio::time::Instant::now() + Duration::from_secs(SECS - 1);
    while tokio::time::Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if hub.metrics().viewers == VIEWERS {
            drops = Some(own_udp_drops());
        }
    }
    let mut packets = 0;
    for t in tasks {
        // retina_play asserts zero gaps and zero retina-reported loss on every packet.
        let stats = t.await.expect("viewer saw no gap");
        assert!(stats.frames >= SECS * 25 - 10, "{stats:?}");
        packets += stats.packets;
    }
    assert_eq!(drops, Some(0), "datagrams dropped at the viewers' sockets");
    eprintln!("{VIEWERS} viewers, {packets} RTP packets, 0 gaps, 0 drops");
    cam.server.shutdown().await;
}

/// RTP-Info of a PLAY over the HTTP tunnel against the first interleaved packet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_tunnel_first_packet_is_rtp_info() {
    let cam = Camera::start(&main_stream_clip()).await;
    let addr = cam.server.local_addr();
    let url = cam.url();
    let mut get = Raw {
        s: TcpStream::connect(addr).await.unwrap(),
        buf: Vec::new(),
    };
    let head = |m: &str| {
        format!(
            "{m} /main HTTP/1.0\r\nx-sessioncookie: udp-pacing-test\r\n\
             Accept: application/x-rtsp-tunnelled\r\nContent-Type: application/x-rtsp-tunnelled\r\n\
             Content-Length: 32767\r\n\r\n"
        )
    };
    let r = get.req(&head("GET")).await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut post = TcpStream::connect(addr).await.unwrap();
    post.write_all(head("POST").as_bytes()).await.unwrap();
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    post.write_all(b64(setup_tcp(&url, 1, "RTP/AVP/TCP;unicast;interleaved=0-1")).as_bytes())
        .await
        .unwrap();
    let r = get.read().await.unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let session = r.session();
    post.write_all(
        b64(format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {session}\r\n\r\n"
        ))
        .as_bytes(),
    )
    .await
    .unwrap();
    let r = get.read().await.unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let announced = r.rtp_info();
    let first = get.frames_on(0, 1).await;
    assert_eq!(seq_ts(&first[0]), announced);
    drop(post);
    cam.server.shutdown().await;
}

/// RTP-Info against the first packet over TCP and UDP, for PLAYs at any point of the GOP and
/// for a stream that has nothing cached yet: the first PLAY comes before any frame, and the
/// stream starts with P frames, so the viewer's first packet is the first IDR's, 10 frames
/// (and their sequence numbers) later; the PLAY waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_packet_is_rtp_info_over_tcp_and_udp() {
    let registry = RtpRegistry::new();
    let hub = RtpHub::new("main", StreamConfig::default());
    registry.register("main", hub.clone());
    let server = RtspServer::start(
        ServerConfig::new("127.0.0.1:0".parse().unwrap()),
        registry,
        Arc::new(NoAuth),
    )
    .await
    .unwrap();
    let url = format!("rtsp://{}/main", server.local_addr());
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = {
        let (hub, stop) = (hub.clone(), stop.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let mut n = 15;
            while !stop.load(Ordering::Relaxed) {
                hub.publish(synthetic_frame(n, 25), std::time::Instant::now());
                n += 1;
                std::thread::sleep(Duration::from_millis(40));
            }
        })
    };
    for round in 0..6 {
        let mut c = Raw::connect_addr(server.local_addr()).await;
        let udp = round % 2 == 1;
        let (rtp, _rtcp) = udp_pair();
        let port = rtp.local_addr().unwrap().port();
        let transport = if udp {
            format!("RTP/AVP;unicast;client_port={port}-{}", port + 1)
        } else {
            "RTP/AVP/TCP;unicast;interleaved=0-1".to_owned()
        };
        let r = c.req(&setup_tcp(&url, 1, &transport)).await;
        assert_eq!(r.status, 200);
        let session = r.session();
        let r = c
            .req(&format!(
                "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {session}\r\n\r\n"
            ))
            .await;
        assert_eq!(r.status, 200);
        let announced = r.rtp_info();
        let first = if udp {
            let mut buf = [0u8; 2048];
            rtp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let n = rtp.recv(&mut buf).expect("RTP over UDP");
            seq_ts(&buf[..n])
        } else {
            seq_ts(&c.frames_on(0, 1).await[0])
        };
        assert_eq!(first, announced, "round {round} ({transport})");
        tokio::time::sleep(Duration::from_millis(170)).await;
    }
    stop.store(true, Ordering::Relaxed);
    feeder.join().unwrap();
    server.shutdown().await;
}

/// Frame `n` of a stream whose NAL units all have distinct sizes: an IDR (SPS, PPS, a slice of
/// 60,000 + n bytes) every 25 frames, else a P slice of 5,000 + 37 n bytes. The sizes a
/// receiver rebuilds from the packets tell whether every datagram was one whole packet.
fn sized_frame(n: u32) -> Frame {
    let key = n.is_multiple_of(25);
    let nals = if key {
        vec![
            Bytes::from_static(&[0x67, 0x4d, 0x00, 0x1f, 0x95, 0xa8]),
            Bytes::from_static(&[0x68, 0xee, 0x3c, 0x80]),
            Bytes::from(vec![0x65; 60_000 + n as usize]),
        ]
    } else {
        vec![Bytes::from(vec![0x41; 5_000 + 37 * n as usize])]
    };
    Frame {
        channel: 0,
        seq: n,
        pts: Duration::from_millis(40 * u64::from(n)),
        wallclock: SystemTime::now(),
        keyframe: key,
        nals,
    }
}

/// The NAL unit sizes a receiver rebuilds from RTP packets (RFC 6184: single NAL unit
/// packets, STAP-A, FU-A), asserting on the way that every FU-A fragment but a NAL unit's last
/// is a full packet (12 + 1,400 bytes, what the packetizer cuts) and that sequence numbers
/// follow each other from `first`.
fn nal_sizes(datagrams: &[Vec<u8>], first: u16) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut fu = None;
    for (i, d) in datagrams.iter().enumerate() {
        assert!(
            d.len() > 12 && d[0] >> 6 == 2,
            "datagram {i} is not RTP: {d:?}"
        );
        let seq = u16::from_be_bytes([d[2], d[3]]);
        assert_eq!(seq, first.wrapping_add(i as u16), "datagram {i}: sequence");
        let p = &d[12..];
        match p[0] & 0x1f {
            24 => {
                let mut at = 1;
                while at + 2 <= p.len() {
                    let len = usize::from(u16::from_be_bytes([p[at], p[at + 1]]));
                    sizes.push(len);
                    at += 2 + len;
                }
                assert_eq!(
                    at,
                    p.len(),
                    "datagram {i}: STAP-A ends with its last NAL unit"
                );
            }
            28 => {
                let (start, end) = (p[1] & 0x80 != 0, p[1] & 0x40 != 0);
                if start {
                    assert!(fu.is_none(), "datagram {i}: FU-A start inside a NAL unit");
                    fu = Some(1);
                }
                let got = fu.as_mut().expect("FU-A fragment after its start");
                *got += p.len() - 2;
                if end {
                    sizes.push(fu.take().unwrap());
                } else {
                    assert_eq!(
                        d.len(),
                        1412,
                        "datagram {i}: a fragment before a NAL's last"
                    );
                }
            }
            _ => sizes.push(p.len()),
        }
    }
    sizes
}

/// A raw UDP socket plays the stream for 60 frames (an IDR of ~60 kB at the start and after
/// 25 frames, P frames of 5-7 kB): each datagram it reads is one whole RTP packet, in order,
/// and the NAL units rebuilt from them are exactly the ones published. With `gso` the server
/// hands each NAL unit's FU-A run to the kernel as one UDP GSO message (src/rtsp/udp_batch.rs)
/// and the kernel cuts it up; without, one datagram per packet (plain `sendmmsg`, what a
/// kernel without GSO gets).
async fn each_rtp_packet_arrives_as_its_own_datagram(gso: bool) {
    let registry = RtpRegistry::new();
    let hub = RtpHub::new("main", StreamConfig::default());
    registry.register("main", hub.clone());
    let server = RtspServer::start(
        ServerConfig::new("127.0.0.1:0".parse().unwrap()).with_udp_gso(gso),
        registry,
        Arc::new(NoAuth),
    )
    .await
    .unwrap();
    let url = format!("rtsp://{}/main", server.local_addr());
    // Frames 0-9 cached (the viewer starts at the IDR, frame 0), 10-59 live.
    for n in 0..10 {
        hub.publish(sized_frame(n), std::time::Instant::now());
    }
    let (rtp, _rtcp) = udp_pair();
    let port = rtp.local_addr().unwrap().port();
    let mut c = Raw::connect_addr(server.local_addr()).await;
    let transport = format!("RTP/AVP;unicast;client_port={port}-{}", port + 1);
    let r = c.req(&setup_tcp(&url, 1, &transport)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let session = r.session();
    let r = c
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {session}\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    let (first_seq, _) = r.rtp_info();
    let live = {
        let hub = hub.clone();
        std::thread::spawn(move || {
            for n in 10..60 {
                std::thread::sleep(Duration::from_millis(40));
                hub.publish(sized_frame(n), std::time::Instant::now());
            }
        })
    };
    let reader = std::thread::spawn(move || {
        rtp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut got = Vec::new();
        // Larger than any datagram: one that held several packets would show its full size.
        let mut buf = vec![0u8; 65_536];
        while let Ok(n) = rtp.recv(&mut buf) {
            got.push(buf[..n].to_vec());
        }
        (got, own_udp_drops())
    });
    live.join().unwrap();
    let (got, drops) = tokio::task::spawn_blocking(move || reader.join().unwrap())
        .await
        .unwrap();
    let expected: Vec<usize> = (0..60)
        .flat_map(|n| sized_frame(n).nals.into_iter().map(|b| b.len()))
        .collect();
    assert_eq!(drops, 0, "datagrams dropped at the receive buffer");
    assert_eq!(
        nal_sizes(&got, first_seq),
        expected,
        "NAL units rebuilt ({} datagrams, gso {gso})",
        got.len()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rtp_packet_arrives_as_its_own_datagram_with_gso() {
    each_rtp_packet_arrives_as_its_own_datagram(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rtp_packet_arrives_as_its_own_datagram_without_gso() {
    each_rtp_packet_arrives_as_its_own_datagram(false).await;
}
