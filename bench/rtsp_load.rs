//! N-viewer RTSP load generator (TCP interleaved, or UDP unicast with `--transport udp`):
//! every viewer does DESCRIBE, SETUP, PLAY (answering an HTTP Digest challenge, RFC 7616, when
//! the server sends one), then reads until a common end and checks RTP sequence continuity.
//! UDP viewers bind their port pair with the default receive buffer, as players do.
//!
//! `cargo run --release --example rtsp_load -- --url rtsp://127.0.0.1:8554/main --viewers 200 \
//!     --secs 30 --user admin --password secret --server-pid PID`
//!
//! Viewers start `--stagger-ms` apart; all of them read until `--secs` after the last one
//! started. The steady window, the same instants for every viewer, runs from 2 s after the
//! last one started to 1 s before the end: every viewer is playing.
//!
//! Prints one JSON line: viewers that played, failures, total RTP sequence gaps, what each
//! viewer received (RTP bytes and payload bytes per second of its own playing time), how fast
//! the RTP clock advanced against the wall clock (1.0 = real time; more means the server sent
//! media faster than real time, e.g. after a seek), RTP timestamp regressions (media sent
//! twice), time from sending PLAY to the end of the first complete IDR access unit ("first
//! decodable frame") at p50/p95/max, capture-to-arrival latency of every frame in the steady
//! window at p50/p95/max (arrival of its last packet against its capture time, which the
//! server's RTCP sender reports map from the RTP timestamp: RFC 3550 s6.4.1; same host, same
//! clock), and with `--server-pid` the server's CPU (utime+stime from /proc, % of one core)
//! over the whole run and over the steady window only, and the user-space part (utime) of the
//! latter. Over UDP, `lost` is the sequence gaps plus nothing else: `rcvbuf_drops` (datagrams
//! the kernel dropped at this process's sockets, /proc/net/udp `drops`) says how many of them
//! a full receive buffer explains.
//!
//! Frames delivered: complete access units per viewer in the steady window (all packets of
//! one RTP timestamp up to the marker, no sequence gap), incomplete ones, and frames the RTP
//! clock skipped, against the frames the server produced in the window: nvt's own count with
//! `--status-url` (frames published + frames lost at capture), else window x `--fps`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use nvt::auth::digest::{Algorithm, compute_response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    url: String,
    #[arg(long, default_value_t = 100)]
    viewers: usize,
    /// Seconds every viewer reads after the last one has started (the steady window).
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Start viewers this many milliseconds apart (0: all at once).
    #[arg(long, default_value_t = 2)]
    stagger_ms: u64,
    #[arg(long)]
    user: Option<String>,
    #[arg(long)]
    password: Option<String>,
    /// Server process whose CPU time to sample from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// `tcp` (interleaved) or `udp` (unicast).
    #[arg(long, default_value = "tcp")]
    transport: String,
    /// The stream's frame rate: frames the RTP clock says were sent are counted at it.
    #[arg(long, default_value_t = 25)]
    fps: u32,
    /// nvt's `/api/status` (http://HOST:PORT/api/status, same credentials): frames produced
    /// and lost at capture by the stream played, read at the steady window's start and end.
    /// Without it, frames produced are the window's length times `--fps`.
    #[arg(long)]
    status_url: Option<String>,
}

#[derive(Default, Debug)]
struct Outcome {
    ok: bool,
    gaps: u64,
    bytes: u64,
    payload: u64,
    packets: u64,
    /// RTP timestamp went backwards (same media sent again).
    ts_regressions: u64,
    /// RTP clock ticks covered (sum of forward steps).
    ts_span: u64,
    first_frame: Option<Duration>,
    /// Capture-to-arrival of each frame's last packet in the steady window, ms.
    latency_ms: Vec<f64>,
    /// Access units whose last packet (marker) arrived in the steady window with every packet
    /// of the AU before it: pictures a decoder can show.
    frames_complete: u64,
    /// Access units that ended in the window with a sequence gap inside, or without their
    /// marker: pictures a decoder has to drop or show broken.
    frames_incomplete: u64,
    /// Frames the RTP clock says were sent before this one in the window but of which no
    /// packet came (the timestamp advanced by more than one frame interval): a frozen
    /// picture, whether the frame was lost on the way or before packetising.
    frames_skipped: u64,
    error: Option<String>,
}

/// What one viewer tracks while reading RTP and RTCP, whatever the transport.
#[derive(Default)]
struct Tally {
    expected: Option<u16>,
    last_ts: Option<u32>,
    in_idr: bool,
    /// (NTP time, RTP time) of the last sender report.
    sr: Option<(u64, u32)>,
    /// RTP timestamp of the access unit being received (None between a marker and the next
    /// AU's first packet).
    au_ts: Option<u32>,
    /// A packet of the AU being received is missing.
    au_broken: bool,
    /// Timestamp of the last AU that started, for frames the clock says are missing.
    last_au_ts: Option<u32>,
    /// RTP clock ticks per frame (90 kHz / frame rate).
    frame_ticks: u32,
}

impl Tally {
    fn rtp(&mut self, pkt: &[u8], t0: Instant, window: &Window, o: &mut Outcome) {
        if pkt.len() < 13 {
            return;
        }
        let counted = window.contains(Instant::now());
        let seq = u16::from_be_bytes([pkt[2], pkt[3]]);
        let gap = self.expected.is_some_and(|e| seq != e);
        if let Some(e) = self.expected
            && gap
        {
            o.gaps += u64::from(seq.wrapping_sub(e));
        }
        self.expected = Some(seq.wrapping_add(1));
        let ts = u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]);
        let marker = pkt[1] & 0x80 != 0;
        self.access_unit(ts, gap, marker, counted, o);
        if let Some(prev) = self.last_ts {
            let step = ts.wrapping_sub(prev);
            if step > u32::MAX / 2 {
                o.ts_regressions += 1;
            } else if counted {
                o.ts_span += u64::from(step);
            }
        }
        self.last_ts = Some(ts);
        // RTP header: 12 bytes + 4 per CSRC (+ extension, which neither server uses).
        let header_len = 12 + 4 * usize::from(pkt[0] & 0x0f);
        if counted {
            o.packets += 1;
            o.bytes += pkt.len() as u64;
            o.payload += pkt.len().saturating_sub(header_len) as u64;
            if marker && let Some((ntp, rtp)) = self.sr {
                // Capture time of this frame: the SR's NTP time plus the RTP clock since.
                let since = f64::from(ts.wrapping_sub(rtp) as i32) / 90_000.0;
                let captured = ntp_secs(ntp) + since;
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs_f64();
                o.latency_ms.push((now - captured) * 1000.0);
            }
        }
        if o.first_frame.is_none() {
            if carries_idr(&pkt[header_len.min(pkt.len())..]) {
                self.in_idr = true;
            }
            if self.in_idr && marker {
                o.first_frame = Some(t0.elapsed());
            }
        }
    }

    /// Frame accounting for one RTP packet: a new timestamp starts an access unit (RFC 6184
    /// s5.1: all packets of an AU share it), the marker ends one; a sequence gap before or
    /// inside an AU makes it incomplete (its start or some slice may be what was lost).
    fn access_unit(&mut self, ts: u32, gap: bool, marker: bool, counted: bool, o: &mut Outcome) {
        if self.au_ts != Some(ts) {
            if self.au_ts.is_some() && counted {
                // The previous AU's marker never came.
                o.frames_incomplete += 1;
            }
            if let Some(prev) = self.last_au_ts {
                let step = ts.wrapping_sub(prev);
                if step < u32::MAX / 2 && counted && self.frame_ticks > 0 {
                    let frames = (f64::from(step) / f64::from(self.frame_ticks)).round() as u64;
                    o.frames_skipped += frames.saturating_sub(1);
                }
            }
            self.last_au_ts = Some(ts);
            self.au_ts = Some(ts);
            self.au_broken = gap;
        } else if gap {
            self.au_broken = true;
        }
        if marker {
            if counted {
                if self.au_broken {
                    o.frames_incomplete += 1;
                } else {
                    o.frames_complete += 1;
                }
            }
            self.au_ts = None;
        }
    }

    /// A compound RTCP packet: keeps the sender report's time mapping.
    fn rtcp(&mut self, pkt: &[u8]) {
        if pkt.len() >= 20 && pkt[1] == 200 {
            let ntp = u64::from_be_bytes(pkt[8..16].try_into().unwrap_or_default());
            let rtp = u32::from_be_bytes([pkt[16], pkt[17], pkt[18], pkt[19]]);
            self.sr = Some((ntp, rtp));
        }
    }
}

/// Unix seconds of a 64-bit NTP timestamp (RFC 3550 s4).
fn ntp_secs(ntp: u64) -> f64 {
    (ntp >> 32) as f64 - 2_208_988_800.0 + (ntp & 0xffff_ffff) as f64 / 4_294_967_296.0
}

/// Datagrams the kernel dropped at this process's UDP sockets (`drops` of /proc/net/udp for
/// the socket inodes in /proc/self/fd).
fn own_udp_drops() -> u64 {
    let inodes: std::collections::HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().into_owned();
                    Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let mut drops = 0;
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        for line in std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
        {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 12 && inodes.contains(cols[9]) {
                drops += cols[12].parse::<u64>().unwrap_or(0);
            }
        }
    }
    drops
}

/// An even/odd UDP port pair on `ip` with default buffers.
async fn udp_pair(ip: std::net::IpAddr) -> std::io::Result<(UdpSocket, UdpSocket)> {
    for _ in 0..100 {
        let rtp = UdpSocket::bind((ip, 0)).await?;
        let port = rtp.local_addr()?.port();
        if port % 2 == 0
            && let Ok(rtcp) = UdpSocket::bind((ip, port + 1)).await
        {
            return Ok((rtp, rtcp));
        }
    }
    Err(std::io::Error::other("no free UDP port pair"))
}

/// HTTP Digest state of one connection: the challenge and the nonce count.
struct Digest {
    user: String,
    password: String,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Algorithm,
    qop: bool,
    nc: u32,
}

impl Digest {
    /// From the `WWW-Authenticate` values of a 401: the first Digest challenge we support
    /// (servers list the preferred algorithm first, RFC 7616 s3.7).
    fn from_challenge(head: &str, user: &str, password: &str) -> Option<Digest> {
        head.lines()
            .filter_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case("WWW-Authenticate")
                    .then_some(v.trim())
            })
            .filter_map(|v| v.strip_prefix("Digest "))
            .find_map(|params| {
                let p = auth_params(params);
                let get = |k: &str| {
                    p.iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v.clone())
                };
                let algorithm = match get("algorithm").as_deref() {
                    None | Some("MD5") | Some("md5") => Algorithm::Md5,
                    Some("SHA-256") => Algorithm::Sha256,
                    Some(_) => return None,
                };
                Some(Digest {
                    user: user.to_owned(),
                    password: password.to_owned(),
                    realm: get("realm")?,
                    nonce: get("nonce")?,
                    opaque: get("opaque"),
                    algorithm,
                    qop: get("qop").is_some_and(|q| q.split(',').any(|x| x.trim() == "auth")),
                    nc: 0,
                })
            })
    }

    fn authorization(&mut self, method: &str, uri: &str) -> String {
        self.nc += 1;
        let nc = format!("{:08x}", self.nc);
        let cnonce = format!("{:016x}", rand::random::<u64>());
        let qop = self.qop.then_some((nc.as_str(), cnonce.as_str(), "auth"));
        let response = compute_response(
            self.algorithm,
            &self.user,
            &self.realm,
            &self.password,
            method,
            uri,
            &self.nonce,
            qop,
        );
        let mut h = format!(
            "Authorization: Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", response=\"{response}\", algorithm={}",
            self.user,
            self.realm,
            self.nonce,
            self.algorithm.token()
        );
        if self.qop {
            h.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
        }
        if let Some(o) = &self.opaque {
            h.push_str(&format!(", opaque=\"{o}\""));
        }
        h.push_str("\r\n");
        h
    }
}

/// `k=v, k="v"` pairs of a challenge (no escapes occur in the values we need).
fn auth_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((k, v)) = rest.split_once('=') else {
            break;
        };
        let k = k.trim().trim_start_matches(',').trim().to_owned();
        let v = v.trim_start();
        let (val, after) = if let Some(q) = v.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            (q[..end].to_owned(), q.get(end + 1..).unwrap_or(""))
        } else {
            let end = v.find(',').unwrap_or(v.len());
            (v[..end].trim().to_owned(), &v[end..])
        };
        out.push((k, val));
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    out
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
            let len: usize = header(&head, "Content-Length")
                .and_then(|v| v.parse().ok())
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

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// One RTSP connection: sends requests with CSeq and, once challenged, Digest credentials.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    cseq: u32,
    creds: Option<(String, String)>,
    digest: Option<Digest>,
}

impl Conn {
    /// Sends `method uri` with `extra` header lines; on a 401 answers the challenge once.
    async fn request(
        &mut self,
        method: &str,
        uri: &str,
        extra: &str,
    ) -> std::io::Result<(String, String)> {
        for _ in 0..2 {
            self.cseq += 1;
            let auth = match &mut self.digest {
                Some(d) => d.authorization(method, uri),
                None => String::new(),
            };
            self.s
                .write_all(
                    format!(
                        "{method} {uri} RTSP/1.0\r\nCSeq: {}\r\n{auth}{extra}\r\n",
                        self.cseq
                    )
                    .as_bytes(),
                )
                .await?;
            let (head, body) = read_response_body(&mut self.s, &mut self.buf).await?;
            if head.starts_with("RTSP/1.0 401")
                && let Some((u, p)) = &self.creds
                && let Some(d) = Digest::from_challenge(&head, u, p)
            {
                self.digest = Some(d);
                continue;
            }
            if !head.starts_with("RTSP/1.0 200") {
                return Err(std::io::Error::other(format!(
                    "{method}: {}",
                    head.lines().next().unwrap_or_default()
                )));
            }
            return Ok((head, body));
        }
        Err(std::io::Error::other(format!(
            "{method}: credentials refused"
        )))
    }
}

/// The steady window, common to all viewers: bytes, packets and RTP clock progress are
/// counted only for packets that arrive in it.
#[derive(Clone, Copy)]
struct Window {
    from: Instant,
    to: Instant,
}

impl Window {
    fn contains(&self, t: Instant) -> bool {
        t >= self.from && t < self.to
    }

    fn secs(&self) -> f64 {
        self.to.duration_since(self.from).as_secs_f64()
    }
}

async fn viewer(
    url: String,
    creds: Option<(String, String)>,
    end: Instant,
    window: Window,
    udp: bool,
    fps: u32,
) -> Outcome {
    let mut o = Outcome::default();
    // A server that stops answering must not hang the run: whole-viewer deadline.
    let deadline = (end + Duration::from_secs(15)).saturating_duration_since(Instant::now());
    match tokio::time::timeout(
        deadline,
        viewer_inner(&url, creds, end, window, udp, fps, &mut o),
    )
    .await
    {
        Ok(Ok(())) => {}
        Ok(Err(e)) => o.error = Some(e.to_string()),
        Err(_) => {
            o.ok = false;
            o.error = Some("no answer in time".into());
        }
    }
    o
}

async fn viewer_inner(
    url: &str,
    creds: Option<(String, String)>,
    end: Instant,
    window: Window,
    udp: bool,
    fps: u32,
    o: &mut Outcome,
) -> std::io::Result<()> {
    let hostport = url
        .trim_start_matches("rtsp://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let s = TcpStream::connect(&hostport).await?;
    s.set_nodelay(true)?;
    let mut c = Conn {
        s,
        buf: Vec::new(),
        cseq: 0,
        creds,
        digest: None,
    };
    let (head, sdp) = c
        .request("DESCRIBE", url, "Accept: application/sdp\r\n")
        .await?;
    let base = header(&head, "Content-Base").unwrap_or_else(|| format!("{url}/"));
    // The media's control URL (RFC 2326 C.1.1): the last a=control, relative to Content-Base.
    let control = sdp
        .lines()
        .filter_map(|l| l.trim().strip_prefix("a=control:"))
        .next_back()
        .unwrap_or("*")
        .to_owned();
    let track = if control.starts_with("rtsp://") {
        control
    } else {
        format!("{}/{control}", base.trim_end_matches('/'))
    };
    let pair = if udp {
        Some(udp_pair(c.s.local_addr()?.ip()).await?)
    } else {
        None
    };
    let transport = match &pair {
        Some((rtp, _)) => {
            let p = rtp.local_addr()?.port();
            format!("Transport: RTP/AVP;unicast;client_port={p}-{}\r\n", p + 1)
        }
        None => "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n".to_owned(),
    };
    let (head, _) = c.request("SETUP", &track, &transport).await?;
    let session = header(&head, "Session")
        .ok_or_else(|| std::io::Error::other(format!("SETUP: {head}")))?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let t0 = Instant::now();
    // What ffmpeg, VLC and GStreamer send on PLAY.
    c.request(
        "PLAY",
        url,
        &format!("Session: {session}\r\nRange: npt=0.000-\r\n"),
    )
    .await?;
    let mut tally = Tally {
        frame_ticks: 90_000 / fps.max(1),
        ..Tally::default()
    };
    if let Some((rtp, rtcp)) = &pair {
        let mut pkt = vec![0u8; 64 * 1024];
        let mut ctl = vec![0u8; 2048];
        let mut answers = vec![0u8; 4096];
        let mut next_keepalive = Instant::now() + KEEPALIVE;
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            if now >= next_keepalive {
                // Sessions expire without requests or RTCP (RFC 2326 s12.37).
                next_keepalive = now + KEEPALIVE;
                let auth = match &mut c.digest {
                    Some(d) => d.authorization("GET_PARAMETER", url),
                    None => String::new(),
                };
                c.s.write_all(
                    format!("GET_PARAMETER {url} RTSP/1.0\r\nCSeq: 98\r\nSession: {session}\r\n{auth}\r\n")
                        .as_bytes(),
                )
                .await?;
            }
            tokio::select! {
                r = rtp.recv(&mut pkt) => tally.rtp(&pkt[..r?], t0, &window, o),
                r = rtcp.recv(&mut ctl) => tally.rtcp(&ctl[..r?]),
                // Keepalive answers: read and dropped.
                r = c.s.read(&mut answers) => if r? == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                },
                _ = tokio::time::sleep_until((end.min(next_keepalive)).into()) => {}
            }
        }
        return teardown(&mut c, url, &session, o).await;
    }
    let mut chunk = vec![0u8; 64 * 1024];
    let mut pos = 0;
    let buf = &mut c.buf;
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
            match ch {
                0 => tally.rtp(pkt, t0, &window, o),
                1 => tally.rtcp(pkt),
                _ => {}
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
        match tokio::time::timeout(end - now, c.s.read(&mut chunk)).await {
            Err(_) => break,
            Ok(Ok(0)) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => return Err(e),
        }
    }
    teardown(&mut c, url, &session, o).await
}

/// Sessions are kept alive this often in UDP mode (the session timeout is 60 s).
const KEEPALIVE: Duration = Duration::from_secs(20);

async fn teardown(c: &mut Conn, url: &str, session: &str, o: &mut Outcome) -> std::io::Result<()> {
    let auth = match &mut c.digest {
        Some(d) => d.authorization("TEARDOWN", url),
        None => String::new(),
    };
    let _ =
        c.s.write_all(
            format!("TEARDOWN {url} RTSP/1.0\r\nCSeq: 99\r\nSession: {session}\r\n{auth}\r\n")
                .as_bytes(),
        )
        .await;
    o.ok = true;
    Ok(())
}

/// Whether an RTP payload (RFC 6184) carries (part of) an IDR slice: a single NAL of type 5,
/// a FU-A of one, or a STAP-A holding one (a STAP-A of SPS+PPS alone does not count).
fn carries_idr(payload: &[u8]) -> bool {
    match payload.first().map(|h| h & 0x1f) {
        Some(5) => true,
        Some(28) => payload.get(1).is_some_and(|h| h & 0x1f == 5),
        Some(24) => {
            let mut rest = &payload[1..];
            while rest.len() > 2 {
                let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
                if rest.get(2).is_some_and(|h| h & 0x1f == 5) {
                    return true;
                }
                rest = rest.get(2 + n..).unwrap_or_default();
            }
            false
        }
        _ => false,
    }
}

/// (when the answer came, frames published, frames lost at capture) of the stream `rtsp_url`
/// plays, from nvt's `/api/status` (docs/web.md; the profile whose token is the URL's last
/// path segment).
async fn capture_counters(
    status_url: &str,
    rtsp_url: &str,
    creds: Option<&(String, String)>,
) -> Option<(Instant, u64, u64)> {
    let body = http_get(status_url, creds).await?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    let token = rtsp_url.trim_end_matches('/').rsplit('/').next()?;
    let profile = v["profiles"]
        .as_array()?
        .iter()
        .find(|p| p["token"] == token)?;
    let stream = &profile["stream"];
    Some((
        Instant::now(),
        stream["frames_in"].as_u64()?,
        stream["frames_lost_at_capture"].as_u64()?,
    ))
}

/// GET over HTTP/1.1 answering a Digest challenge (RFC 7616); the body of the 200.
async fn http_get(url: &str, creds: Option<&(String, String)>) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let (hostport, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut digest: Option<Digest> = None;
    for _ in 0..2 {
        let mut s = TcpStream::connect(hostport).await.ok()?;
        let auth = digest
            .as_mut()
            .map(|d| d.authorization("GET", path))
            .unwrap_or_default();
        let req =
            format!("GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n{auth}\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).await.ok()?;
        let resp = String::from_utf8_lossy(&resp).into_owned();
        let (head, body) = resp.split_once("\r\n\r\n")?;
        if head.starts_with("HTTP/1.1 401")
            && digest.is_none()
            && let Some((u, p)) = creds
        {
            digest = Some(Digest::from_challenge(head, u, p)?);
            continue;
        }
        if !head.starts_with("HTTP/1.1 200") {
            eprintln!("{url}: {}", head.lines().next().unwrap_or_default());
            return None;
        }
        return Some(body.to_owned());
    }
    None
}

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

/// (utime, stime) of a process, in seconds.
fn cpu_secs(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name (which may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let user: f64 = f.get(11)?.parse().ok()?;
    let system: f64 = f.get(12)?.parse().ok()?;
    Some((user / clk_tck(), system / clk_tck()))
}

/// Clock ticks per second of /proc times (`getconf CLK_TCK`; run.sh passes it, 100 otherwise).
fn clk_tck() -> f64 {
    std::env::var("CLK_TCK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100.0)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let creds = args.user.clone().zip(args.password.clone());
    let started = Instant::now();
    let cpu0 = args.server_pid.and_then(cpu_secs);
    let ramp = Duration::from_millis(args.stagger_ms * args.viewers as u64);
    // Everyone reads until the same instant: `secs` after the last viewer starts.
    let end = started + ramp + Duration::from_secs(args.secs);
    // Steady window: from 2 s after the last viewer started (its PLAY answered and first
    // frame in, unless the server is struggling) to 1 s before the end.
    let window = Window {
        from: started + ramp + Duration::from_secs(2),
        to: end - Duration::from_secs(1),
    };
    let udp = match args.transport.as_str() {
        "tcp" => false,
        "udp" => true,
        t => panic!("--transport {t}: tcp or udp"),
    };
    let mut tasks = Vec::with_capacity(args.viewers);
    for _ in 0..args.viewers {
        tasks.push(tokio::spawn(viewer(
            args.url.clone(),
            creds.clone(),
            end,
            window,
            udp,
            args.fps,
        )));
        if args.stagger_ms > 0 {
            tokio::time::sleep(Duration::from_millis(args.stagger_ms)).await;
        }
    }
    tokio::time::sleep_until(window.from.into()).await;
    let cpu1 = args.server_pid.and_then(cpu_secs);
    let status1 = match &args.status_url {
        Some(u) => capture_counters(u, &args.url, creds.as_ref()).await,
        None => None,
    };
    tokio::time::sleep_until(window.to.into()).await;
    let cpu2 = args.server_pid.and_then(cpu_secs);
    let status2 = match &args.status_url {
        Some(u) => capture_counters(u, &args.url, creds.as_ref()).await,
        None => None,
    };
    // While every viewer's sockets are still open.
    let rcvbuf_drops = own_udp_drops();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap_or_default());
    }
    // A viewer that got nothing in the steady window is not playing, whatever its RTSP said.
    for o in &mut outcomes {
        if o.ok && o.packets == 0 && args.secs > 3 {
            o.ok = false;
            o.error = Some("no RTP in the steady window".into());
        }
    }
    let ok = outcomes.iter().filter(|o| o.ok).count();
    let gaps: u64 = outcomes.iter().map(|o| o.gaps).sum();
    let regressions: u64 = outcomes.iter().map(|o| o.ts_regressions).sum();
    let played: Vec<&Outcome> = outcomes.iter().filter(|o| o.ok).collect();
    let per_viewer = |f: &dyn Fn(&Outcome) -> f64| -> f64 {
        played.iter().map(|o| f(o)).sum::<f64>() / played.len().max(1) as f64
    };
    let w = window.secs();
    let mbps = per_viewer(&|o| o.bytes as f64 * 8.0 / 1e6 / w);
    let payload_mbps = per_viewer(&|o| o.payload as f64 * 8.0 / 1e6 / w);
    let pkts = per_viewer(&|o| o.packets as f64 / w);
    let clock = per_viewer(&|o| o.ts_span as f64 / 90_000.0 / w);
    let mut ttff: Vec<f64> = outcomes
        .iter()
        .filter_map(|o| o.first_frame)
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    ttff.sort_by(f64::total_cmp);
    let mut latency: Vec<f64> = outcomes
        .iter()
        .flat_map(|o| o.latency_ms.iter().copied())
        .collect();
    latency.sort_by(f64::total_cmp);
    let errors: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.error.as_deref())
        .take(3)
        .collect();
    // Frames the server produced in the window: its own count when it says (frames published
    // plus frames lost at capture), else the frame rate's. A loaded server (or this loaded
    // process) answers the status late, so its count is scaled from the instants the two
    // answers came to the window's length.
    let (produced, lost_at_capture, produced_by) = match (status1, status2) {
        (Some((t1, in1, lost1)), Some((t2, in2, lost2))) => {
            let scale = w / t2.duration_since(t1).as_secs_f64().max(1e-3);
            (
                ((in2 + lost2) - (in1 + lost1)) as f64 * scale,
                Some(lost2 - lost1),
                "server",
            )
        }
        _ => (w * f64::from(args.fps), None, "clock"),
    };
    let complete_mean = per_viewer(&|o| o.frames_complete as f64);
    let complete_min = played.iter().map(|o| o.frames_complete).min().unwrap_or(0);
    let incomplete: u64 = played.iter().map(|o| o.frames_incomplete).sum();
    let skipped: u64 = played.iter().map(|o| o.frames_skipped).sum();
    let wall_all = window.to.duration_since(started).as_secs_f64();
    let wall_steady = w;
    let pct_of =
        |a: Option<(f64, f64)>, b: Option<(f64, f64)>, wall: f64, part: fn((f64, f64)) -> f64| {
            a.zip(b).map(|(a, b)| 100.0 * (part(b) - part(a)) / wall)
        };
    let total: fn((f64, f64)) -> f64 = |(u, s)| u + s;
    let user: fn((f64, f64)) -> f64 = |(u, _)| u;
    let cpu_all = pct_of(cpu0, cpu2, wall_all, total);
    let cpu_steady = pct_of(cpu1, cpu2, wall_steady, total);
    let cpu_user_steady = pct_of(cpu1, cpu2, wall_steady, user);
    println!(
        "{{\"viewers\":{},\"ok\":{ok},\"failed\":{},\"gaps\":{gaps},\"ts_regressions\":{regressions},\
         \"mbps_per_viewer\":{mbps:.3},\"payload_mbps_per_viewer\":{payload_mbps:.3},\
         \"packets_per_s_per_viewer\":{pkts:.1},\"rtp_clock_vs_wall\":{clock:.3},\
         \"ttff_ms_p50\":{:.1},\"ttff_ms_p95\":{:.1},\"ttff_ms_max\":{:.1},\
         \"latency_ms_p50\":{:.1},\"latency_ms_p95\":{:.1},\"latency_ms_max\":{:.1},\
         \"transport\":\"{}\",\"rcvbuf_drops\":{rcvbuf_drops},\
         \"cpu_pct_all\":{:.1},\"cpu_pct_steady\":{:.1},\"cpu_user_pct_steady\":{:.1},\
         \"frames_produced\":{produced:.0},\"frames_produced_by\":\"{produced_by}\",\
         \"frames_lost_at_capture\":{},\"frames_per_viewer\":{complete_mean:.1},\
         \"frames_min_viewer\":{complete_min},\"frames_delivered_ratio\":{:.4},\
         \"frames_delivered_ratio_min\":{:.4},\"frames_incomplete\":{incomplete},\
         \"frames_skipped\":{skipped},\
         \"window_s_all\":{wall_all:.1},\
         \"window_s_steady\":{wall_steady:.1},\"errors\":{:?}}}",
        args.viewers,
        args.viewers - ok,
        pct(&ttff, 0.5),
        pct(&ttff, 0.95),
        pct(&ttff, 1.0),
        pct(&latency, 0.5),
        pct(&latency, 0.95),
        pct(&latency, 1.0),
        args.transport,
        cpu_all.unwrap_or(f64::NAN),
        cpu_steady.unwrap_or(f64::NAN),
        cpu_user_steady.unwrap_or(f64::NAN),
        lost_at_capture.map_or("null".to_owned(), |l| l.to_string()),
        complete_mean / produced.max(1.0),
        complete_min as f64 / produced.max(1.0),
        errors
    );
}
