//! Attacks on the RTSP server's connection handling (issue 14 items 2, 3, 8 and the
//! interleaved-PLAY and tunnel-pairing items), each run for real over loopback against the
//! in-process server. Every test asserts on what the server does (answers, closes, counts it
//! exposes), never on how fast.

mod support;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use nvt::rtsp::{Limits, NoAuth};
use nvt::stream::StreamConfig;
use support::rtsp::{Harness, Raw, setup_tcp};
use tokio::io::AsyncWriteExt;

/// Limits whose header timeout cannot fire during a test: a close must come from the bound
/// under test, not from a timer.
fn no_timers() -> Limits {
    Limits {
        header_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(600),
        ..Limits::default()
    }
}

/// Issue 14.2: CR/LF padding before a request head was skipped before the head limit was
/// checked, so it was buffered until the header timeout (8 connections: 42 MB -> 866 MB RSS).
/// Now it counts against the 8 KiB head limit: 400 and a close, whatever the timers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crlf_padding_before_a_head_is_bounded() {
    let h = Harness::start_with(StreamConfig::default(), no_timers(), Arc::new(NoAuth)).await;
    let mut c = Raw::connect(&h).await;
    let pad = vec![b'\n'; 64 * 1024];
    // The server may close while we still write: a write error is the bound working.
    let mut written = 0usize;
    for _ in 0..16 {
        if c.s.write_all(&pad).await.is_err() {
            break;
        }
        written += pad.len();
    }
    let r = c.read().await;
    assert!(
        r.as_ref().is_some_and(|r| r.status == 400) || written < 16 * pad.len(),
        "padding answered 400 (got {r:?} after {written} bytes)"
    );
    assert!(c.closed_within(Duration::from_secs(20)).await, "closed");
    assert_eq!(h.server.metrics().connections, 0);

    // The same padding through an HTTP tunnel's POST body (base64-decoded into the same
    // framing): refused the same way, the tunnel's GET half is closed.
    let addr = h.server.local_addr();
    let mut get = Raw::connect_addr(addr).await;
    get.send("GET /main HTTP/1.0\r\nx-sessioncookie: pad1\r\n\r\n")
        .await;
    let mut post = Raw::connect_addr(addr).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    post.send("POST /main HTTP/1.0\r\nx-sessioncookie: pad1\r\nContent-Length: 32767\r\n\r\n")
        .await;
    let enc = STANDARD.encode(&pad);
    for _ in 0..4 {
        if post.s.write_all(enc.as_bytes()).await.is_err() {
            break;
        }
    }
    assert!(
        get.closed_within(Duration::from_secs(20)).await,
        "tunnel closed"
    );
    h.server.shutdown().await;
}

/// A TCP connection to `addr` from the loopback address `from` (127.0.0.0/8 is all ours), so a
/// test can be several clients.
async fn connect_from(from: [u8; 4], addr: std::net::SocketAddr) -> Raw {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind((std::net::Ipv4Addr::from(from), 0).into())
        .unwrap();
    Raw {
        s: sock.connect(addr).await.unwrap(),
        buf: Vec::new(),
    }
}

/// Everyone is challenged except `Authorization: Token alice` / `Token bob`.
fn token_auth(r: &nvt::rtsp::AuthRequest<'_>) -> nvt::rtsp::AuthDecision {
    use nvt::rtsp::AuthDecision;
    match r.authorization {
        Some("Token alice") => AuthDecision::Allow {
            user: Some("alice".into()),
        },
        Some("Token bob") => AuthDecision::Allow {
            user: Some("bob".into()),
        },
        _ => AuthDecision::Challenge {
            www_authenticate: vec!["Digest realm=\"nvt\", nonce=\"x\"".into()],
        },
    }
}

/// Issue 14.3 with the limits scaled down (16 slots instead of 1,024): one address opens
/// every slot and keeps each busy with an OPTIONS answered 401. Before: every legitimate
/// client got 503 for as long as the attacker liked. Now the address gets its 4, the 401s do
/// not keep them (closed after the unauthenticated timeout), and a client that authenticates
/// is served and kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_connections_cannot_hold_the_slots() {
    let limits = Limits {
        max_connections: 16,
        max_connections_per_address: 4,
        reserved_connections: 4,
        unauthenticated_timeout: Duration::from_secs(2),
        ..no_timers()
    };
    let h = Harness::start_with(StreamConfig::default(), limits, Arc::new(token_auth)).await;
    let addr = h.server.local_addr();
    let url = h.url();
    let options = |cseq: u32| format!("OPTIONS {url} RTSP/1.0\r\nCSeq: {cseq}\r\n\r\n");
    let mut attacker = Vec::new();
    let mut refused = 0;
    for _ in 0..16 {
        let mut c = connect_from([127, 0, 0, 2], addr).await;
        c.send(&options(1)).await;
        match c.read().await.map(|r| r.status) {
            Some(401) => attacker.push(c),
            Some(503) => refused += 1,
            other => panic!("attacker got {other:?}"),
        }
    }
    assert_eq!(
        (attacker.len(), refused),
        (4, 12),
        "4 slots for one address"
    );
    assert_eq!(h.server.metrics().connections_refused_per_address, 12);
    // A legitimate client from another address is served and stays.
    let mut nvr = connect_from([127, 0, 0, 1], addr).await;
    let r = nvr
        .req(&format!(
            "OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Token alice\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    // The attacker keeps asking (401 each time): its connections are closed anyway.
    for c in attacker.iter_mut() {
        let mut cseq = 2;
        loop {
            if c.s.write_all(options(cseq).as_bytes()).await.is_err() {
                break;
            }
            match c.read().await {
                None => break,
                Some(r) => assert_eq!(r.status, 401),
            }
            cseq += 1;
            assert!(cseq < 300, "still open after {cseq} requests");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(h.server.metrics().connections_unauthenticated_closed, 4);
    // The authenticated connection outlived the unauthenticated timeout.
    let r = nvr
        .req(&format!(
            "OPTIONS {url} RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Token alice\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    h.server.shutdown().await;
}

/// Issue 14.8: a client that stops reading while its replies pile up blocked the session
/// reaper (it awaited that connection's full channel), so no other session ever expired:
/// vanished UDP clients kept receiving video. Now the reaper never waits on a client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_does_not_stop_session_expiry() {
    let limits = Limits {
        session_timeout: Duration::from_secs(2),
        ..no_timers()
    };
    let h = Harness::start_with(StreamConfig::default(), limits, Arc::new(NoAuth)).await;
    let addr = h.server.local_addr();
    let url = h.url();
    // The stuck client: a tiny receive buffer, a UDP session, then thousands of pipelined
    // DESCRIBEs whose answers it never reads.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut stuck = Raw {
        s: sock.connect(addr).await.unwrap(),
        buf: Vec::new(),
    };
    let stuck_rtp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp_play(&mut stuck, &url, stuck_rtp.local_addr().unwrap().port()).await;
    let describe = format!("DESCRIBE {url} RTSP/1.0\r\nCSeq: 3\r\n\r\n").repeat(20_000);
    let (_rd, mut wr) = stuck.s.into_split();
    let flood = tokio::spawn(async move {
        let _ = wr.write_all(describe.as_bytes()).await;
        wr // keep the connection open
    });
    // Its session expires once its requests stop being read.
    assert!(wait_expired(&h, 1).await, "stuck client's session expired");
    // A UDP viewer that vanishes (no RTCP, no request) must expire too.
    let rtp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut gone = Raw::connect(&h).await;
    udp_play(&mut gone, &url, rtp.local_addr().unwrap().port()).await;
    let mut pkt = [0u8; 2048];
    tokio::time::timeout(Duration::from_secs(5), rtp.recv(&mut pkt))
        .await
        .expect("the viewer first gets RTP")
        .unwrap();
    assert!(
        wait_expired(&h, 2).await,
        "vanished viewer's session expired"
    );
    while rtp.try_recv(&mut pkt).is_ok() {}
    assert!(
        tokio::time::timeout(Duration::from_secs(2), rtp.recv(&mut pkt))
            .await
            .is_err(),
        "expired viewer still receives RTP"
    );
    flood.abort();
    h.server.shutdown().await;
}

/// SETUP (UDP to `port`) and PLAY on `c`.
async fn udp_play(c: &mut Raw, url: &str, port: u16) {
    let t = format!("RTP/AVP;unicast;client_port={port}-{}", port + 1);
    let r = c.req(&setup_tcp(url, 1, &t)).await;
    assert_eq!(r.status, 200);
    let id = r.session();
    let r = c
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
}

/// Waits (up to 30 s) until `n` sessions have expired.
async fn wait_expired(h: &Harness, n: u64) -> bool {
    for _ in 0..300 {
        if h.server.metrics().sessions_expired >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A reply the peer does not read is given up after the write timeout: the connection is
/// closed and counted, instead of holding its task (and its slot) for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_have_a_write_timeout() {
    let limits = Limits {
        write_timeout: Duration::from_secs(1),
        ..no_timers()
    };
    let h = Harness::start_with(StreamConfig::default(), limits, Arc::new(NoAuth)).await;
    let url = h.url();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let s = sock.connect(h.server.local_addr()).await.unwrap();
    let describe = format!("DESCRIBE {url} RTSP/1.0\r\nCSeq: 3\r\n\r\n").repeat(20_000);
    let (_rd, mut wr) = s.into_split();
    let flood = tokio::spawn(async move {
        let _ = wr.write_all(describe.as_bytes()).await;
        wr
    });
    let mut closed = false;
    for _ in 0..300 {
        let m = h.server.metrics();
        if m.connections == 0 {
            closed = true;
            assert_eq!(m.connections_write_timeout, 1);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "the non-reading connection was closed");
    flood.abort();
    h.server.shutdown().await;
}

/// Reads interleaved frames until `n` have arrived on each of `channels`; panics (with the
/// counts) if that takes more than 20 s.
async fn frames_on_each(c: &mut Raw, channels: &[u8], n: usize) {
    use tokio::io::AsyncReadExt;
    let mut counts = vec![0usize; channels.len()];
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while counts.iter().any(|&k| k < n) {
        while c.buf.len() >= 4 && c.buf[0] == b'$' {
            let len = 4 + usize::from(u16::from_be_bytes([c.buf[2], c.buf[3]]));
            if c.buf.len() < len {
                break;
            }
            if let Some(i) = channels.iter().position(|&ch| ch == c.buf[1]) {
                counts[i] += 1;
            }
            c.buf.drain(..len);
        }
        let mut chunk = [0u8; 65536];
        let r = tokio::time::timeout_at(end, c.s.read(&mut chunk)).await;
        let Ok(Ok(k)) = r else {
            panic!("frames per channel {channels:?}: {counts:?}")
        };
        assert!(k > 0, "connection closed");
        c.buf.extend_from_slice(&chunk[..k]);
    }
}

/// Two sessions set up and played on one TCP connection (RFC 2326 s10.12 allows several,
/// each on its own channels): before, only the last PLAYed got video. Both must.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_interleaved_plays_on_one_connection_both_get_video() {
    let h = Harness::start().await;
    let url = h.url();
    let mut c = Raw::connect(&h).await;
    let r = c
        .req(&setup_tcp(&url, 1, "RTP/AVP/TCP;unicast;interleaved=0-1"))
        .await;
    assert_eq!(r.status, 200);
    let a = r.session();
    // No channels named: the server picks the lowest free pair.
    let r = c.req(&setup_tcp(&url, 3, "RTP/AVP/TCP;unicast")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("Transport").unwrap().contains("interleaved=2-3"),
        "{r:?}"
    );
    let b = r.session();
    for (cseq, id) in [(4, &a), (5, &b)] {
        let r = c
            .req(&format!(
                "PLAY {url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: {id}\r\n\r\n"
            ))
            .await;
        assert_eq!(r.status, 200);
    }
    frames_on_each(&mut c, &[0, 2], 30).await;
    // The same channels again on this connection: refused, they would mix two streams.
    c.send(&setup_tcp(&url, 2, "RTP/AVP/TCP;unicast;interleaved=0-1"))
        .await;
    assert_eq!(c.read().await.unwrap().status, 461);
    // PAUSE one: the other keeps playing.
    c.send(&format!(
        "PAUSE {url} RTSP/1.0\r\nCSeq: 6\r\nSession: {a}\r\n\r\n"
    ))
    .await;
    assert_eq!(c.read().await.unwrap().status, 200);
    frames_on_each(&mut c, &[2], 30).await;
    h.server.shutdown().await;
}

/// RTSP over HTTP: a POST carrying someone's x-sessioncookie was paired with their GET
/// whoever sent it, so another host could write requests into that tunnel. Now the POST must
/// come from the GET's address and authenticate the GET's user (when the GET's head did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tunnel_post_is_paired_only_with_its_own_get() {
    let h = Harness::start_with(StreamConfig::default(), no_timers(), Arc::new(token_auth)).await;
    let addr = h.server.local_addr();
    let url = h.url();
    let options = STANDARD.encode(format!(
        "OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Token alice\r\n\r\n"
    ));
    let get_head = |cookie: &str, auth: &str| {
        format!("GET /main HTTP/1.0\r\nx-sessioncookie: {cookie}\r\n{auth}\r\n")
    };
    let post_head = |cookie: &str, auth: &str| {
        format!(
            "POST /main HTTP/1.0\r\nx-sessioncookie: {cookie}\r\n{auth}Content-Length: 32767\r\n\r\n"
        )
    };
    // The victim's GET.
    let mut get = connect_from([127, 0, 0, 1], addr).await;
    get.send(&get_head("victim1", "")).await;
    let ok = get.read().await.unwrap();
    assert_eq!(ok.status, 200);
    // Another address posts with the victim's cookie: refused.
    let mut evil = connect_from([127, 0, 0, 2], addr).await;
    evil.send(&(post_head("victim1", "") + &options)).await;
    assert_eq!(evil.read().await.map(|r| r.status), Some(403));
    // The victim's own POST is still paired and answered on the GET.
    let mut post = connect_from([127, 0, 0, 1], addr).await;
    post.send(&(post_head("victim1", "") + &options)).await;
    assert_eq!(get.read().await.map(|r| r.status), Some(200));

    // A GET authenticated as alice in its head: a POST authenticating bob (same address) is
    // refused; alice's is paired.
    let mut get = connect_from([127, 0, 0, 1], addr).await;
    get.send(&get_head("victim2", "Authorization: Token alice\r\n"))
        .await;
    assert_eq!(get.read().await.unwrap().status, 200);
    let mut bob = connect_from([127, 0, 0, 1], addr).await;
    bob.send(&(post_head("victim2", "Authorization: Token bob\r\n") + &options))
        .await;
    assert_eq!(bob.read().await.map(|r| r.status), Some(403));
    let mut alice = connect_from([127, 0, 0, 1], addr).await;
    alice
        .send(&(post_head("victim2", "Authorization: Token alice\r\n") + &options))
        .await;
    assert_eq!(get.read().await.map(|r| r.status), Some(200));
    h.server.shutdown().await;
}
