//! 1000 connect-and-kill cycles leave fds, RSS, sessions and viewers at baseline. Alone in its
//! test binary because it counts this process's file descriptors.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::rtsp::{Harness, Raw, open_fds, rss_kib, setup_tcp, signal, wait_until};
use tokio::process::Command;

/// One connect-and-kill cycle; `kind` varies how far it gets and how it dies.
async fn cycle(addr: std::net::SocketAddr, url: &str, kind: usize) {
    let mut c = Raw {
        s: tokio::net::TcpStream::connect(addr).await.unwrap(),
        buf: Vec::new(),
    };
    match kind % 4 {
        0 => {}
        1 => c.send("OPTIONS * RTSP/1.0\r\nCSe").await, // dies mid-request
        _ => {
            let r = c
                .req(&setup_tcp(url, 1, "RTP/AVP/TCP;unicast;interleaved=0-1"))
                .await;
            let id = r.session();
            if kind % 4 == 3 {
                let r = c
                    .req(&format!(
                        "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
                    ))
                    .await;
                assert_eq!(r.status, 200);
                c.frames_on(0, 3).await;
            }
        }
    }
    if kind.is_multiple_of(2) {
        // Abortive close (RST), as a killed process's socket may end.
        let _ = socket2::SockRef::from(&c.s).set_linger(Some(Duration::ZERO));
    }
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_connect_and_kill_cycles_return_to_baseline() {
    let h = Harness::start().await;
    let url = h.url();
    let addr = h.server.local_addr();
    // Warm up allocator arenas and runtime structures (tokio's SIGCHLD pipe included: one
    // killed client process), then take the baseline.
    for i in 0..100 {
        cycle(addr, &url, i).await;
    }
    kill_ffmpeg_client(&h, &url).await;
    let server = &h.server;
    wait_until("warm-up connections to close", 20, || {
        server.metrics().connections == 0
    })
    .await;
    let fds = open_fds();
    let rss = rss_kib();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let url = url.clone();
        set.spawn(async move { cycle(addr, &url, i).await });
        if set.len() >= 16 {
            set.join_next().await.unwrap().expect("cycle");
        }
    }
    while let Some(r) = set.join_next().await {
        r.expect("cycle");
    }
    // A few real client processes killed with SIGKILL mid-stream.
    for _ in 0..5 {
        kill_ffmpeg_client(&h, &url).await;
    }
    wait_until("connections to close", 20, || {
        server.metrics().connections == 0
    })
    .await;
    assert_eq!(server.metrics().sessions, 0);
    assert_eq!(h.hub.metrics().viewers, 0);
    assert!(server.metrics().connections_total >= 1105);
    let fds_after = open_fds();
    let rss_after = rss_kib();
    assert!(fds_after <= fds, "fds {fds} -> {fds_after}");
    assert!(rss_after < rss + 8 * 1024, "RSS {rss} -> {rss_after} KiB");
    h.server.shutdown().await;
}

/// Starts ffmpeg playing over TCP, SIGKILLs it once it plays, waits for its viewer to go.
async fn kill_ffmpeg_client(h: &Harness, url: &str) {
    let mut child = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostdin",
            "-v",
            "quiet",
            "-rtsp_transport",
            "tcp",
        ])
        .args(["-i", url, "-f", "null", "-"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg");
    let hub = h.hub.clone();
    wait_until("ffmpeg playing", 20, || hub.metrics().viewers >= 1).await;
    signal(child.id().unwrap(), "KILL");
    let _ = child.wait().await;
    wait_until("viewer gone", 20, || hub.metrics().viewers == 0).await;
}
