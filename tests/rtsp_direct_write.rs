//! The TCP fan-out's direct write (`rtsp::direct_write`) on the real server over loopback:
//! the races it adds to a connection (the publisher and the connection's writer task both
//! writing to one socket) shown where loopback can show them. Every test reads the bytes
//! as a strict client would: each message is a whole interleaved frame (`$`, channel,
//! length, an RTP or RTCP packet) or a whole RTSP reply, nothing torn between them. No
//! timing is asserted; pauses only make a state (a full socket) likely.

mod support;

use std::sync::Arc;
use std::time::Duration;

use nvt::rtsp::{Limits, NoAuth};
use nvt::stream::StreamConfig;
use support::rtsp::{Harness, Raw, header, setup_tcp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One message off an RTSP connection.
#[derive(Debug)]
enum Msg {
    /// An interleaved frame: channel and packet.
    Frame(u8, Vec<u8>),
    /// A reply: its status and CSeq.
    Reply(u16, u32),
}

/// The next whole message at the front of `buf`, if all of it has arrived; panics on
/// anything that is neither a well-formed interleaved frame nor an RTSP reply.
fn next_msg(buf: &mut Vec<u8>) -> Option<Msg> {
    match buf.first()? {
        b'$' => {
            if buf.len() < 4 {
                return None;
            }
            let n = 4 + usize::from(u16::from_be_bytes([buf[2], buf[3]]));
            if buf.len() < n {
                return None;
            }
            let (ch, p) = (buf[1], buf[4..n].to_vec());
            buf.drain(..n);
            assert!(p.len() >= 8, "a packet too short on channel {ch}: {p:?}");
            assert_eq!(p[0] >> 6, 2, "RTP/RTCP version 2 on channel {ch}");
            match ch {
                0 => assert_eq!(p[1] & 0x7f, 96, "H.264's payload type"),
                1 => assert!((200..=204).contains(&p[1]), "an RTCP packet type: {}", p[1]),
                _ => panic!("a frame on channel {ch}"),
            }
            Some(Msg::Frame(ch, p))
        }
        b'R' => {
            let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
            let head = String::from_utf8(buf[..end].to_vec()).expect("a reply head is text");
            assert!(
                head.starts_with("RTSP/1.0 "),
                "torn or stray bytes: {head:?}"
            );
            let len: usize = header(&head, "Content-Length").map_or(0, |v| v.parse().unwrap());
            if buf.len() < end + 4 + len {
                return None;
            }
            buf.drain(..end + 4 + len);
            let status = head[9..12].parse().unwrap();
            let cseq = header(&head, "CSeq").expect("CSeq").parse().unwrap();
            Some(Msg::Reply(status, cseq))
        }
        b => panic!(
            "a message starting with {b:#04x}: a torn frame or reply ({} bytes buffered)",
            buf.len()
        ),
    }
}

/// Reads whatever arrives within `within` (or until the peer closes) into `c.buf`.
async fn read_for(c: &mut Raw, within: Duration) {
    let end = tokio::time::Instant::now() + within;
    let mut chunk = vec![0u8; 65536];
    while let Ok(Ok(n)) = tokio::time::timeout_at(end, c.s.read(&mut chunk)).await {
        if n == 0 {
            break;
        }
        c.buf.extend_from_slice(&chunk[..n]);
    }
}

/// The next message, reading as needed (10 s at most).
async fn recv(c: &mut Raw) -> Msg {
    let mut chunk = vec![0u8; 65536];
    loop {
        if let Some(m) = next_msg(&mut c.buf) {
            return m;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), c.s.read(&mut chunk))
            .await
            .expect("the server sends")
            .expect("the connection reads");
        assert!(n > 0, "connection closed");
        c.buf.extend_from_slice(&chunk[..n]);
    }
}

/// The reply to CSeq `cseq`, checking every frame before it.
async fn reply(c: &mut Raw, cseq: u32) -> u16 {
    loop {
        match recv(c).await {
            Msg::Reply(status, n) => {
                assert_eq!(n, cseq, "replies in order");
                return status;
            }
            Msg::Frame(..) => {}
        }
    }
}

/// SETUP (interleaved 0-1) and PLAY on `c`; returns the session.
async fn play(c: &mut Raw, url: &str) -> String {
    c.send(&setup_tcp(url, 1, "RTP/AVP/TCP;unicast;interleaved=0-1"))
        .await;
    let r = c.read().await.expect("SETUP answered");
    assert_eq!(r.status, 200);
    let id = r.session();
    c.send(&format!(
        "PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
    ))
    .await;
    assert_eq!(reply(c, 2).await, 200);
    id
}

/// The RTP sequence numbers of the next `n` packets on channel 0 (RTCP checked and skipped).
async fn rtp_seqs(c: &mut Raw, n: usize) -> Vec<u16> {
    let mut seqs = Vec::with_capacity(n);
    while seqs.len() < n {
        match recv(c).await {
            Msg::Frame(0, p) => seqs.push(u16::from_be_bytes([p[2], p[3]])),
            Msg::Frame(..) => {}
            Msg::Reply(s, n) => panic!("an unasked reply {s} (CSeq {n})"),
        }
    }
    seqs
}

/// Frames the publisher wrote directly to the hub's viewers now connected: each test
/// checks the direct path did run, so the queued path alone cannot pass it.
fn direct_frames(h: &Harness) -> u64 {
    h.hub.viewer_metrics().iter().map(|m| m.frames_direct).sum()
}

fn assert_no_gaps(seqs: &[u16], who: &str) {
    for w in seqs.windows(2) {
        assert_eq!(w[0].wrapping_add(1), w[1], "{who}: a gap in {seqs:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_that_stops_reading_resumes_on_whole_frames_and_holds_no_one_up() {
    // Small buffers on both sides, so the stalled viewer's socket fills within a frame or
    // two and direct writes run short or block.
    let limits = Limits {
        tcp_send_buffer: 4096,
        ..Limits::default()
    };
    let h = Harness::start_with(StreamConfig::default(), limits, Arc::new(NoAuth)).await;
    let url = h.url();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(2048).unwrap();
    let mut slow = Raw {
        s: sock.connect(h.server.local_addr()).await.unwrap(),
        buf: Vec::new(),
    };
    let mut fast = Raw::connect(&h).await;
    play(&mut slow, &url).await;
    play(&mut fast, &url).await;
    // The fast viewer reads every packet all along, in chunks, until told to stop.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let fast_task = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while stopped.try_recv().is_err() {
            seqs.extend(rtp_seqs(&mut fast, 10).await);
        }
        seqs
    });
    for round in 0..4 {
        let before = rtp_seqs(&mut slow, 20).await;
        assert_no_gaps(&before, "the slow viewer while it reads");
        // The slow viewer stops reading for 0.4 s (10 frames; well under the queue's 1 s
        // age and the 3 s lag bound).
        tokio::time::sleep(Duration::from_millis(400)).await;
        // Reading again: every message whole (checked by `next_msg`), the stream
        // continuous from where it stopped.
        let after = rtp_seqs(&mut slow, 100).await;
        assert_no_gaps(&after, &format!("the slow viewer after stall {round}"));
        assert_eq!(
            before.last().unwrap().wrapping_add(1),
            *after.first().unwrap(),
            "nothing lost across the stall"
        );
    }
    assert!(direct_frames(&h) > 0, "no frame went out directly");
    stop.send(()).unwrap();
    let seqs = fast_task.await.unwrap();
    assert!(seqs.len() >= 100, "{}", seqs.len());
    assert_no_gaps(&seqs, "the fast viewer beside a stalling one");
    assert!(h.hub.viewer_metrics().iter().all(|m| !m.kicked));
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_frame_follows_a_pause_or_teardown_reply() {
    let h = Harness::start().await;
    let url = h.url();
    let mut c = Raw::connect(&h).await;
    let id = play(&mut c, &url).await;
    let mut cseq = 2;
    let mut direct = 0;
    for _ in 0..8 {
        let seqs = rtp_seqs(&mut c, 30).await;
        assert_no_gaps(&seqs, "playing");
        // The session's viewer goes at the PAUSE: read its count while it plays.
        direct += direct_frames(&h);
        cseq += 1;
        c.send(&format!(
            "PAUSE {url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: {id}\r\n\r\n"
        ))
        .await;
        assert_eq!(reply(&mut c, cseq).await, 200);
        // Three frame intervals and more: nothing at all after the reply.
        read_for(&mut c, Duration::from_millis(300)).await;
        assert!(
            c.buf.is_empty(),
            "{} bytes after PAUSE's reply",
            c.buf.len()
        );
        cseq += 1;
        c.send(&format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: {id}\r\n\r\n"
        ))
        .await;
        assert_eq!(reply(&mut c, cseq).await, 200);
    }
    assert!(direct > 0, "no frame went out directly before a PAUSE");
    rtp_seqs(&mut c, 30).await;
    cseq += 1;
    c.send(&format!(
        "TEARDOWN {url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: {id}\r\n\r\n"
    ))
    .await;
    assert_eq!(reply(&mut c, cseq).await, 200);
    read_for(&mut c, Duration::from_millis(300)).await;
    assert!(
        c.buf.is_empty(),
        "{} bytes after TEARDOWN's reply",
        c.buf.len()
    );
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alives_between_frames_are_answered_whole_and_in_order() {
    let h = Harness::start().await;
    let url = h.url();
    let mut c = Raw::connect(&h).await;
    let id = play(&mut c, &url).await;
    let mut frames = 0usize;
    let mut seqs = Vec::new();
    for cseq in 4..=102u32 {
        // Sent without waiting for the answer to the previous one now and then, so replies
        // meet frames at every point of the stream.
        c.s.write_all(
            format!("GET_PARAMETER {url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: {id}\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        if cseq % 3 != 0 {
            continue;
        }
        for want in cseq - 2..=cseq {
            loop {
                match recv(&mut c).await {
                    Msg::Reply(status, n) => {
                        assert_eq!((status, n), (200, want));
                        break;
                    }
                    Msg::Frame(0, p) => {
                        frames += 1;
                        seqs.push(u16::from_be_bytes([p[2], p[3]]));
                    }
                    Msg::Frame(..) => {}
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    assert!(frames > 0, "frames flowed between the replies");
    assert!(direct_frames(&h) > 0, "no frame went out directly");
    assert_no_gaps(&seqs, "between keep-alives");
    h.server.shutdown().await;
}
