//! N-viewer RTSP load generator (TCP interleaved): every viewer does DESCRIBE, SETUP, PLAY,
//! then reads for the given time and checks RTP sequence continuity.
//!
//! `cargo run --release --example rtsp_load -- --url rtsp://127.0.0.1:8554/main --viewers 200 --secs 20`
//!
//! Prints one JSON line: viewers that played, failures, total RTP sequence gaps, received
//! Mbit/s, and time from sending PLAY to the end of the first complete IDR access unit
//! ("first decodable frame") at p50/p95/max.

use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    url: String,
    #[arg(long, default_value_t = 100)]
    viewers: usize,
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Start viewers this many milliseconds apart (0: all at once).
    #[arg(long, default_value_t = 2)]
    stagger_ms: u64,
}

#[derive(Default, Debug)]
struct Outcome {
    ok: bool,
    gaps: u64,
    bytes: u64,
    packets: u64,
    first_frame: Option<Duration>,
    error: Option<String>,
}

/// Reads one response; returns its head and body.
async fn read_response_body(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<(String, String)> {
    loop {
        // Some servers (GStreamer's) send interleaved RTP before the PLAY response: skip it.
        while buf.len() >= 4 && buf[0] == b'$' {
            let n = 4 + usize::from(u16::from_be_bytes([buf[2], buf[3]]));
            if buf.len() < n {
                break;
            }
            buf.drain(..n);
        }
        if buf.first() == Some(&b'$') {
            // A partial interleaved frame: read more.
        } else if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Content-Length:")
                        .or(l.strip_prefix("Content-length:"))
                })
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= p + 4 + len {
                let body = String::from_utf8_lossy(&buf[p + 4..p + 4 + len]).into_owned();
                buf.drain(..p + 4 + len);
                return Ok((head, body));
            }
        }
        let mut chunk = [0u8; 8192];
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<String> {
    Ok(read_response_body(s, buf).await?.0)
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

async fn viewer(url: String, secs: u64) -> Outcome {
    let mut o = Outcome::default();
    // A server that stops answering must not hang the run: whole-viewer deadline.
    let deadline = Duration::from_secs(secs + 15);
    match tokio::time::timeout(deadline, viewer_inner(&url, secs, &mut o)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => o.error = Some(e.to_string()),
        Err(_) => {
            o.ok = false;
            o.error = Some("no answer in time".into());
        }
    }
    o
}

async fn viewer_inner(url: &str, secs: u64, o: &mut Outcome) -> std::io::Result<()> {
    let hostport = url
        .trim_start_matches("rtsp://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut s = TcpStream::connect(&hostport).await?;
    s.set_nodelay(true)?;
    let mut buf = Vec::new();
    s.write_all(
        format!("DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n").as_bytes(),
    )
    .await?;
    let (head, sdp) = read_response_body(&mut s, &mut buf).await?;
    if !head.starts_with("RTSP/1.0 200") {
        return Err(std::io::Error::other(head));
    }
    let base = header(&head, "Content-Base").unwrap_or_else(|| format!("{url}/"));
    // The media's control URL (RFC 2326 C.1.1): the last a=control, relative to Content-Base.
    let control = sdp
        .lines()
        .filter_map(|l| l.trim().strip_prefix("a=control:"))
        .last()
        .unwrap_or("*")
        .to_owned();
    let track = if control.starts_with("rtsp://") {
        control
    } else {
        format!("{}/{control}", base.trim_end_matches('/'))
    };
    s.write_all(
        format!(
            "SETUP {track} RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n"
        )
        .as_bytes(),
    )
    .await?;
    let head = read_response(&mut s, &mut buf).await?;
    let session = header(&head, "Session")
        .ok_or_else(|| std::io::Error::other(format!("SETUP: {head}")))?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let t0 = Instant::now();
    s.write_all(
        format!(
            "PLAY {url} RTSP/1.0\r\nCSeq: 3\r\nSession: {session}\r\nRange: npt=0.000-\r\n\r\n"
        )
        .as_bytes(),
    )
    .await?;
    let head = read_response(&mut s, &mut buf).await?;
    if !head.starts_with("RTSP/1.0 200") {
        return Err(std::io::Error::other(head));
    }
    let end = t0 + Duration::from_secs(secs);
    let mut expected: Option<u16> = None;
    let mut in_idr = false;
    let mut chunk = vec![0u8; 256 * 1024];
    let mut pos = 0;
    loop {
        // Parse whole interleaved frames from buf[pos..].
        while buf.len() - pos >= 4 {
            if buf[pos] != b'$' {
                // An RTSP response (e.g. to a keepalive): skip to its end.
                match buf[pos..].windows(4).position(|w| w == b"\r\n\r\n") {
                    Some(p) => {
                        pos += p + 4;
                        continue;
                    }
                    None => break,
                }
            }
            let len = usize::from(u16::from_be_bytes([buf[pos + 2], buf[pos + 3]]));
            if buf.len() - pos < 4 + len {
                break;
            }
            let ch = buf[pos + 1];
            let pkt = &buf[pos + 4..pos + 4 + len];
            if ch == 0 && pkt.len() >= 13 {
                let seq = u16::from_be_bytes([pkt[2], pkt[3]]);
                if let Some(e) = expected
                    && seq != e
                {
                    o.gaps += u64::from(seq.wrapping_sub(e));
                }
                expected = Some(seq.wrapping_add(1));
                o.packets += 1;
                o.bytes += pkt.len() as u64;
                let nal = pkt[12] & 0x1f;
                if o.first_frame.is_none() {
                    if nal == 24
                        || (nal == 28 && pkt.get(13).is_some_and(|h| h & 0x1f == 5))
                        || nal == 5
                    {
                        in_idr = true;
                    }
                    if in_idr && pkt[1] & 0x80 != 0 {
                        o.first_frame = Some(t0.elapsed());
                    }
                }
            }
            pos += 4 + len;
        }
        if pos > 0 {
            buf.drain(..pos);
            pos = 0;
        }
        let now = Instant::now();
        if now >= end {
            break;
        }
        match tokio::time::timeout(end - now, s.read(&mut chunk)).await {
            Err(_) => break,
            Ok(Ok(0)) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => return Err(e),
        }
    }
    let _ = s
        .write_all(
            format!("TEARDOWN {url} RTSP/1.0\r\nCSeq: 4\r\nSession: {session}\r\n\r\n").as_bytes(),
        )
        .await;
    o.ok = true;
    Ok(())
}

fn pct(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.viewers);
    for _ in 0..args.viewers {
        tasks.push(tokio::spawn(viewer(args.url.clone(), args.secs)));
        if args.stagger_ms > 0 {
            tokio::time::sleep(Duration::from_millis(args.stagger_ms)).await;
        }
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap_or_default());
    }
    let ok = outcomes.iter().filter(|o| o.ok).count();
    let gaps: u64 = outcomes.iter().map(|o| o.gaps).sum();
    let bytes: u64 = outcomes.iter().map(|o| o.bytes).sum();
    let mut ttff: Vec<Duration> = outcomes.iter().filter_map(|o| o.first_frame).collect();
    ttff.sort();
    let errors: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.error.as_deref())
        .take(3)
        .collect();
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{{\"viewers\":{},\"ok\":{ok},\"failed\":{},\"gaps\":{gaps},\"mbps\":{:.1},\"ttff_ms_p50\":{:.1},\"ttff_ms_p95\":{:.1},\"ttff_ms_max\":{:.1},\"errors\":{:?}}}",
        args.viewers,
        args.viewers - ok,
        bytes as f64 * 8.0 / 1e6 / args.secs as f64,
        pct(&ttff, 0.5),
        pct(&ttff, 0.95),
        pct(&ttff, 1.0),
        errors
    );
    let _ = wall;
}
