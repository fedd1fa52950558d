//! The server's answers to good and bad request sequences, over real TCP connections with a
//! raw client (so that nothing in a client library smooths the bytes over).

mod support;

use std::sync::Arc;
use std::time::Duration;

use nvt::rtsp::{AuthDecision, AuthRequest, Limits, NoAuth};
use nvt::stream::StreamConfig;
use support::rtsp::{Harness, Raw};

use support::rtsp::setup_tcp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_channels_echoed_and_rtp_info_matches_first_packet() {
    let h = Harness::start().await;
    let url = h.url();
    let mut c = Raw::connect(&h).await;
    let r = c
        .req(&format!("OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("Public").unwrap().contains("GET_PARAMETER"));
    let r = c
        .req(&format!(
            "DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("sprop-parameter-sets="), "{}", r.body);
    assert!(r.body.contains("packetization-mode=1"));
    assert!(r.body.contains("profile-level-id="));
    assert!(r.body.contains("a=framerate:25"));
    assert!(r.body.contains("a=control:trackID=0"));
    let t = "RTP/AVP/TCP;unicast;interleaved=10-11;mode=play";
    let r = c.req(&setup_tcp(&url, 3, t)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Transport").unwrap(), t, "echoed exactly");
    assert!(r.header("Session").unwrap().ends_with(";timeout=60"));
    let id = r.session();
    assert!(id.len() >= 16, "at least 64 bits of id");
    let r = c
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 4\r\nSession: {id}\r\nRange: npt=0.000-\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    let (seq, ts) = r.rtp_info();
    let pkts = c.frames_on(10, 20).await;
    assert_eq!(u16::from_be_bytes([pkts[0][2], pkts[0][3]]), seq);
    assert_eq!(
        u32::from_be_bytes([pkts[0][4], pkts[0][5], pkts[0][6], pkts[0][7]]),
        ts
    );
    assert_eq!(pkts[0][12] & 0x1f, 24, "STAP-A with SPS/PPS first");
    for w in pkts.windows(2) {
        let a = u16::from_be_bytes([w[0][2], w[0][3]]);
        let b = u16::from_be_bytes([w[1][2], w[1][3]]);
        assert_eq!(a.wrapping_add(1), b);
    }
    let sr = c.frames_on(11, 1).await;
    assert_eq!(sr[0][1], 200, "RTCP SR on the odd channel");
    // Keepalive while playing, then TEARDOWN: the answer comes between frames.
    c.send(&format!(
        "GET_PARAMETER {url} RTSP/1.0\r\nCSeq: 5\r\nSession: {id}\r\n\r\n"
    ))
    .await;
    assert_eq!(c.read().await.unwrap().status, 200);
    c.send(&format!(
        "TEARDOWN {url} RTSP/1.0\r\nCSeq: 6\r\nSession: {id}\r\n\r\n"
    ))
    .await;
    assert_eq!(c.read().await.unwrap().status, 200);
    assert_eq!(h.server.metrics().sessions, 0);
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sequences_get_the_right_status() {
    let h = Harness::start().await;
    let url = h.url();
    let mut a = Raw::connect(&h).await;
    let mut b = Raw::connect(&h).await;
    // PLAY before SETUP.
    let r = a
        .req(&format!("PLAY {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
        .await;
    assert_eq!(r.status, 455);
    // Unknown session.
    let r = a
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: 0123456789ABCDEF\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 454);
    // Unknown stream.
    let r = a
        .req(&format!(
            "DESCRIBE rtsp://{}/nope RTSP/1.0\r\nCSeq: 3\r\n\r\n",
            h.server.local_addr()
        ))
        .await;
    assert_eq!(r.status, 404);
    // Third-party destination.
    let r = a
        .req(&setup_tcp(
            &url,
            4,
            "RTP/AVP;unicast;destination=192.0.2.1;client_port=5000-5001",
        ))
        .await;
    assert_eq!(r.status, 403);
    // Unsupported transport.
    let r = a
        .req(&setup_tcp(
            &url,
            5,
            "RTP/SAVP;unicast;client_port=5000-5001",
        ))
        .await;
    assert_eq!(r.status, 461);
    // A real session on A...
    let r = a
        .req(&setup_tcp(&url, 6, "RTP/AVP/TCP;unicast;interleaved=0-1"))
        .await;
    assert_eq!(r.status, 200);
    let id = r.session();
    // ...cannot be played, paused or torn down from B (live555 CVE-2026-41470).
    for m in ["PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER"] {
        let r = b
            .req(&format!(
                "{m} {url} RTSP/1.0\r\nCSeq: 7\r\nSession: {id}\r\n\r\n"
            ))
            .await;
        assert_eq!(r.status, 454, "{m} from another connection");
    }
    // Aggregate operation on another stream.
    let r = a
        .req(&format!(
            "PLAY rtsp://{}/sub RTSP/1.0\r\nCSeq: 8\r\nSession: {id}\r\n\r\n",
            h.server.local_addr()
        ))
        .await;
    assert_eq!(r.status, 459);
    // Still A's and still works.
    let r = a
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 9\r\nSession: {id}\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    a.frames_on(0, 5).await;
    // Missing CSeq.
    let r = b.req(&format!("OPTIONS {url} RTSP/1.0\r\n\r\n")).await;
    assert_eq!(r.status, 400);
    assert!(r.header("CSeq").is_none());
    // Unknown method.
    let r = b
        .req(&format!("FLY {url} RTSP/1.0\r\nCSeq: 10\r\n\r\n"))
        .await;
    assert_eq!(r.status, 501);
    // Malformed request line: 400 and close.
    let mut c = Raw::connect(&h).await;
    let r = c.req("GARBAGE\r\n\r\n").await;
    assert_eq!(r.status, 400);
    assert!(c.closed_within(Duration::from_secs(5)).await);
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_are_refused_and_closed() {
    let h = Harness::start().await;
    let url = h.url();
    let mut c = Raw::connect(&h).await;
    let huge = format!(
        "OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let r = c.req(&huge).await;
    assert_eq!(r.status, 400);
    assert!(c.closed_within(Duration::from_secs(5)).await);
    let mut c = Raw::connect(&h).await;
    let many: String = (0..100).map(|i| format!("X-{i}: y\r\n")).collect();
    let r = c
        .req(&format!("OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n{many}\r\n"))
        .await;
    assert_eq!(r.status, 400);
    let mut c = Raw::connect(&h).await;
    let r = c
        .req(&format!(
            "SET_PARAMETER {url} RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 10000000\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 413);
    // The server is still fine.
    let mut c = Raw::connect(&h).await;
    assert_eq!(
        c.req(&format!("OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
            .await
            .status,
        200
    );
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_and_idle_connections_are_closed() {
    let limits = Limits {
        header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let h = Harness::start_with(StreamConfig::default(), limits, Arc::new(NoAuth)).await;
    let mut slow = Raw::connect(&h).await;
    slow.send("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n").await; // never finishes the head
    let mut idle = Raw::connect(&h).await;
    assert!(
        slow.closed_within(Duration::from_secs(10)).await,
        "slow head closed"
    );
    assert!(
        idle.closed_within(Duration::from_secs(10)).await,
        "idle connection closed"
    );
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_answers_503() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let h = Harness::start_with(StreamConfig::default(), limits, Arc::new(NoAuth)).await;
    let mut a = Raw::connect(&h).await;
    let mut b = Raw::connect(&h).await;
    let url = h.url();
    assert_eq!(
        a.req(&format!("OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
            .await
            .status,
        200
    );
    assert_eq!(
        b.req(&format!("OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
            .await
            .status,
        200
    );
    let mut c = Raw::connect(&h).await;
    assert_eq!(c.read().await.unwrap().status, 503);
    assert_eq!(h.server.metrics().connections_refused, 1);
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_hook_challenges_and_binds_user() {
    let auth = |r: &AuthRequest<'_>| match r.authorization {
        Some("Token alice") => AuthDecision::Allow {
            user: Some("alice".into()),
        },
        Some("Token bob") => AuthDecision::Allow {
            user: Some("bob".into()),
        },
        _ => AuthDecision::Challenge {
            www_authenticate: vec!["Digest realm=\"nvt\", nonce=\"x\"".into()],
        },
    };
    let h = Harness::start_with(StreamConfig::default(), Limits::default(), Arc::new(auth)).await;
    let url = h.url();
    let mut c = Raw::connect(&h).await;
    let r = c
        .req(&format!("DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate").unwrap(),
        "Digest realm=\"nvt\", nonce=\"x\""
    );
    let r = c
        .req(&format!(
            "SETUP {url}/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Token alice\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    let id = r.session();
    // Same connection, another user: the session is not theirs.
    let r = c
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 3\r\nAuthorization: Token bob\r\nSession: {id}\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 454);
    let r = c
        .req(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 4\r\nAuthorization: Token alice\r\nSession: {id}\r\n\r\n"
        ))
        .await;
    assert_eq!(r.status, 200);
    h.server.shutdown().await;
}

/// A UDP session whose client goes silent expires and stops receiving; one that sends RTCP
/// receiver reports from its RTCP port stays alive (RFC 2326 s12.37).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_sessions_expire_unless_refreshed_by_rtcp() {
    let limits = Limits {
        session_timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let h = Harness::start_with(StreamConfig::default(), limits, Arc::new(NoAuth)).await;
    let url = h.url();
    let server_rtcp: std::net::SocketAddr = format!("127.0.0.1:{}", h.server.udp_ports().1)
        .parse()
        .unwrap();
    let play = |rtp: u16| {
        let url = url.clone();
        async move {
            let mut c = Raw::connect_addr(h_addr(&url)).await;
            let r = c
                .req(&setup_tcp(
                    &url,
                    1,
                    &format!("RTP/AVP;unicast;client_port={rtp}-{}", rtp + 1),
                ))
                .await;
            assert_eq!(r.status, 200);
            assert!(r.header("Session").unwrap().ends_with(";timeout=2"));
            let id = r.session();
            let r = c
                .req(&format!(
                    "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
                ))
                .await;
            assert_eq!(r.status, 200);
            c
        }
    };
    let silent_rtp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let p = silent_rtp.local_addr().unwrap().port();
    let live_rtp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let live_rtcp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let lp = live_rtp.local_addr().unwrap().port();
    let _silent = play(p).await;
    // The live client's RTCP port is whatever it bound: named explicitly in client_port.
    let _live = {
        let mut c = Raw::connect_addr(h_addr(&url)).await;
        let t = format!(
            "RTP/AVP;unicast;client_port={lp}-{}",
            live_rtcp.local_addr().unwrap().port()
        );
        let r = c.req(&setup_tcp(&url, 1, &t)).await;
        assert_eq!(r.status, 200);
        let id = r.session();
        let r = c
            .req(&format!(
                "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
            ))
            .await;
        assert_eq!(r.status, 200);
        c
    };
    let mut buf = [0u8; 2048];
    tokio::time::timeout(Duration::from_secs(5), silent_rtp.recv(&mut buf))
        .await
        .expect("silent client first receives RTP")
        .unwrap();
    // An empty RR (RFC 3550 s6.4.2) every 300 ms from the live client's RTCP port.
    let rr = [0x80u8, 201, 0, 1, 0, 0, 0, 9];
    let end = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < end {
        live_rtcp.send_to(&rr, server_rtcp).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Timeout 2 s + reaper tick: the silent session is gone and its RTP has stopped.
    assert_eq!(h.server.metrics().sessions_expired, 1);
    while silent_rtp.try_recv(&mut buf).is_ok() {} // drain what was sent before expiry
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), silent_rtp.recv(&mut buf))
            .await
            .is_err(),
        "expired session still receives RTP"
    );
    // The refreshed one still plays.
    tokio::time::timeout(Duration::from_secs(2), live_rtp.recv(&mut buf))
        .await
        .expect("refreshed session still receives RTP")
        .unwrap();
    assert_eq!(h.server.metrics().sessions, 1);
    h.server.shutdown().await;
}

fn h_addr(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("rtsp://")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The replay source's Annex-B reader (support::replay, moved from src/file_source.rs): NAL
/// units split at 3- and 4-byte start codes, grouped into access units at an AUD/SPS/PPS after
/// a slice or at a slice with first_mb_in_slice 0 (ITU-T H.264 s7.4.1.2.3).
#[test]
fn replay_splits_annex_b_into_access_units() {
    use bytes::Bytes;
    use support::replay::{access_units, split_nals};
    let data = Bytes::from_static(&[
        0, 0, 0, 1, 0x09, 0xf0, // AUD
        0, 0, 0, 1, 0x67, 1, 2, // SPS
        0, 0, 1, 0x68, 3, // PPS
        0, 0, 1, 0x65, 0x88, 4, // IDR, first_mb 0
        0, 0, 1, 0x65, 0x40, 5, // IDR, second slice (first_mb != 0)
        0, 0, 1, 0x41, 0x9a, 6, // P slice, new picture
        0, 0, 1, 0x41, 0x9b, 7, // P slice, new picture
    ]);
    let nals = split_nals(&data);
    assert_eq!(nals.len(), 7);
    assert_eq!(&nals[1][..], &[0x67, 1, 2]);
    let aus = access_units(nals);
    assert_eq!(aus.len(), 3);
    assert_eq!(aus[0].len(), 5);
    assert_eq!(aus[1].len(), 1);
}
