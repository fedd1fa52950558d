//! The kernel floor of RTSP fan-out over TCP: the least CPU any server can spend sending a
//! live stream's bytes to N interleaved viewers on this machine, the yardstick `run.sh`
//! reports nvt and its peers against (issue 20).
//!
//! `cargo run --release --example rtsp_floor -- --clip CLIP.h264 --port 8554`
//!
//! It sends what nvt sends: the clip is split into access units by the simulator's own replay
//! parser (`sdk_sys::sim::replay`, so the same AUs from the same first IDR, AUDs dropped, SPS
//! and PPS first on keyframes) and packetized by nvt's rules (RFC 6184 packetization-mode 1:
//! SPS and PPS in one STAP-A before each IDR, FU-A above 1400 payload bytes, the marker on an
//! AU's last packet), each packet behind its 4-byte interleaved header (RFC 2326 s10.12), and
//! an RTCP sender report + SDES every 5 s as nvt does (`rtsp::limits::SR_INTERVAL`). So the
//! byte count per frame matches and `rtsp_load` counts it like any server (gaps, frames,
//! capture-to-arrival latency from the SRs).
//!
//! And nothing else: every 1/FPS s one thread builds the frame's bytes once and gives them to
//! every playing viewer's socket in **one `write`** each (the same bytes for all: one SSRC,
//! one sequence space). No per-viewer header, queue, lock or allocation; no readiness polling
//! (blocking sockets: on loopback with a reader that keeps up a write never waits). RTSP is
//! answered with canned replies and no authentication by one thread per connection (64 KiB
//! stacks), which after PLAY only waits in `read` for the viewer to go: none of that runs in
//! the steady window `rtsp_load` reads the CPU over. A viewer joins at the next frame (no GOP
//! burst, so its first decodable frame is the next IDR).
//!
//! Why Rust with threads rather than the C program of issue 20 or an epoll loop: `run.sh`
//! already builds the examples with cargo (no C toolchain step), the crate denies `unsafe`
//! outside the SDK wrapper (epoll would need it or a new dependency), and a blocking `write`
//! per viewer per frame is exactly the syscall a C version makes.
//!
//! TCP only: a UDP SETUP is answered 461 Unsupported Transport.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use clap::Parser;
use sdk_sys::sim::replay::{Recording, ReplayAu};

#[derive(Parser)]
struct Args {
    /// Annex-B H.264 clip, looped.
    #[arg(long)]
    clip: PathBuf,
    #[arg(long, default_value_t = 8554)]
    port: u16,
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    #[arg(long, default_value_t = 25)]
    fps: u32,
}

/// nvt's largest RTP payload (`rtp::h264::MAX_RTP_PAYLOAD`).
const MAX_PAYLOAD: usize = 1400;
/// nvt's sender report interval (`rtsp::limits::SR_INTERVAL`).
const SR_INTERVAL: Duration = Duration::from_secs(5);
const SSRC: u32 = 0x6e76_7446;
const STAP_A: u8 = 24;
const FU_A: u8 = 28;

/// The RTP state of the one stream every viewer shares.
struct Stream {
    seq: u16,
    packets: u32,
    octets: u32,
}

impl Stream {
    /// Appends one interleaved RTP packet (channel 0) holding `parts` as payload.
    fn packet(&mut self, out: &mut Vec<u8>, parts: &[&[u8]], marker: bool, ts: u32) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        out.push(b'$');
        out.push(0);
        out.extend_from_slice(&((12 + len) as u16).to_be_bytes());
        out.push(0x80);
        out.push((u8::from(marker) << 7) | 96);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&ts.to_be_bytes());
        out.extend_from_slice(&SSRC.to_be_bytes());
        for p in parts {
            out.extend_from_slice(p);
        }
        self.seq = self.seq.wrapping_add(1);
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(len as u32);
    }

    /// Appends one NAL unit: a single NAL unit packet, or FU-A fragments (RFC 6184 s5.8).
    fn nal(&mut self, out: &mut Vec<u8>, nal: &[u8], last: bool, ts: u32) {
        if nal.len() <= MAX_PAYLOAD {
            self.packet(out, &[nal], last, ts);
            return;
        }
        let indicator = (nal[0] & 0xe0) | FU_A;
        let kind = nal[0] & 0x1f;
        let chunks: Vec<&[u8]> = nal[1..].chunks(MAX_PAYLOAD - 2).collect();
        for (i, piece) in chunks.iter().enumerate() {
            let end = i + 1 == chunks.len();
            let fu = (u8::from(i == 0) << 7) | (u8::from(end) << 6) | kind;
            self.packet(out, &[&[indicator, fu], piece], last && end, ts);
        }
    }

    /// Appends one access unit as nvt's packetizer sends it (`rtp::h264`).
    fn access_unit(&mut self, out: &mut Vec<u8>, au: &ReplayAu, ts: u32) {
        let nals: Vec<&[u8]> = au.nals.iter().map(Vec::as_slice).collect();
        let (params, rest) = if au.keyframe && nals.len() > 2 {
            nals.split_at(2)
        } else {
            nals.split_at(0)
        };
        if let [sps, pps] = params {
            let nri = (sps[0] | pps[0]) & 0x60;
            let (sl, pl) = (
                (sps.len() as u16).to_be_bytes(),
                (pps.len() as u16).to_be_bytes(),
            );
            self.packet(out, &[&[nri | STAP_A], &sl, sps, &pl, pps], false, ts);
        }
        for (i, nal) in rest.iter().enumerate() {
            self.nal(out, nal, i + 1 == rest.len(), ts);
        }
    }

    /// Appends an RTCP SR + SDES CNAME compound (channel 1) for a frame captured at `wall`.
    fn sender_report(&self, out: &mut Vec<u8>, wall: SystemTime, ts: u32) {
        let d = wall.duration_since(UNIX_EPOCH).unwrap_or_default();
        let ntp = ((d.as_secs() + 2_208_988_800) << 32)
            | ((u64::from(d.subsec_nanos()) << 32) / 1_000_000_000);
        let cname = b"floor";
        let mut p = Vec::with_capacity(48);
        p.extend_from_slice(&[0x80, 200, 0, 6]);
        p.extend_from_slice(&SSRC.to_be_bytes());
        p.extend_from_slice(&ntp.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&self.packets.to_be_bytes());
        p.extend_from_slice(&self.octets.to_be_bytes());
        let chunk = 4 + 2 + cname.len() + 1;
        let padded = chunk.div_ceil(4) * 4;
        p.extend_from_slice(&[0x81, 202]);
        p.extend_from_slice(&((padded / 4) as u16).to_be_bytes());
        p.extend_from_slice(&SSRC.to_be_bytes());
        p.extend_from_slice(&[1, cname.len() as u8]);
        p.extend_from_slice(cname);
        p.resize(p.len() + padded - chunk + 1, 0);
        out.push(b'$');
        out.push(1);
        out.extend_from_slice(&(p.len() as u16).to_be_bytes());
        out.extend_from_slice(&p);
    }
}

/// Viewers whose PLAY has been answered, waiting for the sender to take them.
type Joining = Arc<Mutex<Vec<TcpStream>>>;

/// Answers one connection's RTSP requests with canned replies; after PLAY hands a clone of
/// the socket to the sender and reads (and drops) whatever comes until the viewer goes.
fn serve(mut s: TcpStream, sdp: Arc<String>, joining: Joining, session: u64) {
    let _ = s.set_nodelay(true);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut playing = false;
    loop {
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let body_len: usize = header(&head, "Content-Length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if buf.len() < end + 4 + body_len {
                break;
            }
            buf.drain(..end + 4 + body_len);
            if playing {
                // The sender owns the write side now (a reply could split a frame).
                continue;
            }
            let mut words = head.split_whitespace();
            let (method, uri) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            let cseq = header(&head, "CSeq").unwrap_or_default();
            let reply = match method {
                "OPTIONS" => format!(
                    "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n\
                     Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n\r\n"
                ),
                "DESCRIBE" => format!(
                    "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Base: {}/\r\n\
                     Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                    uri.trim_end_matches('/'),
                    sdp.len()
                ),
                "SETUP" => match header(&head, "Transport") {
                    Some(t) if t.contains("TCP") => format!(
                        "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n\
                         Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc={SSRC:08X}\r\n\
                         Session: {session:016X};timeout=60\r\n\r\n"
                    ),
                    _ => format!("RTSP/1.0 461 Unsupported Transport\r\nCSeq: {cseq}\r\n\r\n"),
                },
                "PLAY" => format!(
                    "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: {session:016X}\r\n\
                     Range: npt=now-\r\n\r\n"
                ),
                "TEARDOWN" | "GET_PARAMETER" => {
                    format!("RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: {session:016X}\r\n\r\n")
                }
                _ => format!("RTSP/1.0 501 Not Implemented\r\nCSeq: {cseq}\r\n\r\n"),
            };
            if s.write_all(reply.as_bytes()).is_err() {
                return;
            }
            if method == "PLAY" {
                let Ok(w) = s.try_clone() else { return };
                joining.lock().unwrap_or_else(|e| e.into_inner()).push(w);
                playing = true;
            }
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) if !playing => buf.extend_from_slice(&chunk[..n]),
            // Only requests are parsed, never kept once playing (nothing is answered then).
            Ok(_) => buf.clear(),
        }
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

/// The SDP of the stream (RFC 6184 s8.1 parameters from the clip's SPS and PPS).
fn sdp(rec: &Recording, fps: u32) -> String {
    let key = rec
        .aus
        .iter()
        .find(|a| a.keyframe)
        .expect("the clip has an IDR");
    let (sps, pps) = (&key.nals[0], &key.nals[1]);
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=floor\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
         m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
         a=fmtp:96 packetization-mode=1;profile-level-id={:02X}{:02X}{:02X};\
         sprop-parameter-sets={},{}\r\na=framerate:{fps}\r\na=control:trackID=0\r\n",
        sps[1],
        sps[2],
        sps[3],
        b64.encode(sps),
        b64.encode(pps)
    )
}

fn main() {
    let args = Args::parse();
    let rec = Recording::load(&args.clip, args.fps).unwrap_or_else(|e| panic!("{e}"));
    let sdp = Arc::new(sdp(&rec, args.fps));
    let listener = TcpListener::bind((args.bind.as_str(), args.port)).expect("bind");
    eprintln!(
        "floor: {} access units, listening on {}",
        rec.aus.len(),
        listener.local_addr().expect("bound")
    );
    let joining: Joining = Arc::default();
    {
        let joining = joining.clone();
        std::thread::spawn(move || {
            for (s, session) in listener.incoming().flatten().zip(1u64..) {
                let (sdp, joining) = (sdp.clone(), joining.clone());
                let spawned = std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || serve(s, sdp, joining, session));
                if let Err(e) = spawned {
                    eprintln!("floor: no thread for a viewer: {e}");
                }
            }
        });
    }
    let period = Duration::from_secs(1) / args.fps;
    let tick = 90_000 / args.fps;
    let mut stream = Stream {
        seq: 0x2345,
        packets: 0,
        octets: 0,
    };
    let mut viewers: Vec<TcpStream> = Vec::new();
    let mut frame = Vec::with_capacity(1 << 20);
    let t0 = Instant::now();
    let mut last_sr: Option<Instant> = None;
    for n in 0u64.. {
        let due = t0 + period * n as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let ts = 0x1000_0000u32.wrapping_add(tick.wrapping_mul(n as u32));
        frame.clear();
        stream.access_unit(&mut frame, &rec.aus[n as usize % rec.aus.len()], ts);
        let now = Instant::now();
        if last_sr.is_none_or(|t| now.duration_since(t) >= SR_INTERVAL) {
            last_sr = Some(now);
            stream.sender_report(&mut frame, SystemTime::now(), ts);
        }
        let mut joined = std::mem::take(&mut *joining.lock().unwrap_or_else(|e| e.into_inner()));
        if !joined.is_empty() {
            // A new viewer gets a sender report with its first frame, as from nvt (RFC 3550
            // s6.2 lets the first one go at once); capture-to-arrival needs it.
            let mut sr = Vec::with_capacity(64);
            stream.sender_report(&mut sr, SystemTime::now(), ts);
            joined.retain_mut(|v| v.write_all(&sr).is_ok());
            viewers.append(&mut joined);
        }
        // One write per viewer per frame; a viewer gone is dropped.
        viewers.retain_mut(|v| v.write_all(&frame).is_ok());
    }
}
