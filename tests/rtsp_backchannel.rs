//! The ONVIF audio back channel (issue 19, ONVIF Streaming "Back channel connection") on the
//! real binary: an NVR-like client DESCRIBEs with `Require: www.onvif.org/ver20/backchannel`,
//! sets up the `sendonly` audio track (`trackID=3`) over TCP interleaved or UDP, PLAYs, and
//! sends RTP PCMU of a 1 kHz tone made by ffmpeg (a real encoder); the simulated speaker
//! records what it plays (`--sdk-options speaker_file=...`), and that recording is compared
//! with ffmpeg's own decoding of the same bytes. Around it: a second talker gets 453, a user
//! below ACTUATE gets 403, an unknown `Require` gets 551, a garbage packet is dropped and
//! counted while the session lives on, and the slot frees at TEARDOWN.

mod support;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::rtsp_client::Rtsp;
use support::{Daemon, soap};

const PASSWORD: &str = "talk-Secret1";
const OP_PASSWORD: &str = "operator-Secret1";
const VIEWER_PASSWORD: &str = "viewer-Secret1";
const REQUIRE: (&str, &str) = ("Require", "www.onvif.org/ver20/backchannel");

/// The daemon recording its speaker to `speaker`, with an operator `op` and a user
/// `viewer`: (daemon, the `main` profile's RTSP URL).
fn start(state: &Path, speaker: &Path) -> (Daemon, String) {
    let (nvt, url, _) = start_port(state, speaker);
    (nvt, url)
}

/// [`start`], and the HTTP port.
fn start_port(state: &Path, speaker: &Path) -> (Daemon, String, u16) {
    let options = format!("speaker_file={}", speaker.display());
    let mut nvt = Daemon::start(
        state,
        &["--sdk-options", &options],
        &[("NVT_ADMIN_PASSWORD", PASSWORD)],
    );
    let url = nvt.rtsp_url("/main");
    let port = nvt.http_port();
    nvt.wait_running();
    for (user, password, level) in [
        ("op", OP_PASSWORD, "Operator"),
        ("viewer", VIEWER_PASSWORD, "User"),
    ] {
        let body = format!(
            "<tds:CreateUsers><tds:User><tt:Username>{user}</tt:Username><tt:Password>{password}</tt:Password><tt:UserLevel>{level}</tt:UserLevel></tds:User></tds:CreateUsers>"
        );
        let (status, text) = soap::post(port, soap::DEVICE, "admin", PASSWORD, &body);
        assert_eq!(status, 200, "CreateUsers {user}: {text}");
    }
    (nvt, url, port)
}

/// The tone as ffmpeg encodes it to µ-law (the bytes sent), and ffmpeg's own decoding of
/// those bytes to s16le (the reference the speaker must play).
fn tone(dir: &Path) -> (Vec<u8>, Vec<i16>) {
    let ul = dir.join("tone.ul");
    let raw = dir.join("tone.s16");
    let run = |args: &[&str]| {
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(args)
            .output()
            .expect("ffmpeg (scripts/deps.sh installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (ul_s, raw_s) = (ul.to_str().unwrap(), raw.to_str().unwrap());
    run(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=1000:sample_rate=8000",
        "-t",
        "2",
        "-f",
        "mulaw",
        "-ar",
        "8000",
        "-ac",
        "1",
        ul_s,
    ]);
    run(&[
        "-f", "mulaw", "-ar", "8000", "-ac", "1", "-i", ul_s, "-f", "s16le", raw_s,
    ]);
    let bytes = std::fs::read(&ul).unwrap();
    let pcm = samples(&std::fs::read(&raw).unwrap());
    assert_eq!(bytes.len(), 16_000, "2 s at 8 kHz");
    assert_eq!(pcm.len(), bytes.len());
    (bytes, pcm)
}

fn samples(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// RTP PCMU packets of 20 ms (160 samples), RFC 3551: PT 0, timestamps in samples.
fn packets(audio: &[u8], ssrc: u32) -> Vec<Vec<u8>> {
    audio
        .chunks(160)
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = vec![0x80, if i == 0 { 0x80 } else { 0 }];
            p.extend_from_slice(&(1000 + i as u16).to_be_bytes());
            p.extend_from_slice(&(i as u32 * 160).to_be_bytes());
            p.extend_from_slice(&ssrc.to_be_bytes());
            p.extend_from_slice(chunk);
            p
        })
        .collect()
}

/// Sends `packets` paced at real time (one every 20 ms on an absolute schedule) through
/// `send`; after `garbage_at` packets, one garbage packet too.
fn talk(packets: &[Vec<u8>], garbage_at: Option<usize>, mut send: impl FnMut(&[u8])) -> Instant {
    let start = Instant::now();
    for (i, p) in packets.iter().enumerate() {
        if garbage_at == Some(i) {
            send(b"\xde\xad not an RTP packet at all");
        }
        let due = start + Duration::from_millis(20 * i as u64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        send(p);
    }
    Instant::now()
}

/// Waits until the recording holds `n` samples: the latency from the last RTP packet sent
/// to its samples played.
fn recorded(path: &Path, n: usize, last_sent: Instant) -> (Vec<i16>, Duration) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let len = std::fs::metadata(path)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        if len >= 2 * n {
            let latency = last_sent.elapsed();
            return (samples(&std::fs::read(path).unwrap()), latency);
        }
        assert!(
            Instant::now() < deadline,
            "the speaker played {} of {n} samples",
            len / 2
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The speaker's recording against ffmpeg's decoding: the same samples, or (if something
/// was lost) a normalised correlation >= 0.99 at the best offset. Returns (correlation,
/// offset in samples).
fn compare(got: &[i16], want: &[i16]) -> (f64, i64) {
    if got == want {
        return (1.0, 0);
    }
    let mut best = (f64::MIN, 0i64);
    for off in -800i64..=800 {
        let (mut xy, mut xx, mut yy) = (0f64, 0f64, 0f64);
        for (i, &w) in want.iter().enumerate() {
            let j = i as i64 + off;
            if j < 0 || j as usize >= got.len() {
                continue;
            }
            let (x, y) = (f64::from(got[j as usize]), f64::from(w));
            xy += x * y;
            xx += x * x;
            yy += y * y;
        }
        let c = xy / (xx.sqrt() * yy.sqrt()).max(1.0);
        if c > best.0 {
            best = (c, off);
        }
    }
    best
}

fn describe_backchannel(c: &mut Rtsp, url: &str) {
    let d = c.req("DESCRIBE", url, &[("Accept", "application/sdp"), REQUIRE]);
    assert_eq!(d.status, 200, "{}", d.body);
    let sdp = &d.body;
    // ONVIF Streaming: the back channel `sendonly`, what the server sends `recvonly`.
    let back = sdp
        .split("m=")
        .find(|m| m.contains("trackID=3"))
        .expect(sdp);
    assert!(back.starts_with("audio 0 RTP/AVP 0 8"), "{sdp}");
    assert!(
        back.contains("a=rtpmap:0 PCMU/8000") && back.contains("a=sendonly"),
        "{sdp}"
    );
    let video = sdp.split("m=").find(|m| m.starts_with("video")).unwrap();
    assert!(video.contains("a=recvonly"), "{sdp}");
}

fn temp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    (dir, file)
}

#[test]
fn talk_over_tcp_is_heard_and_garbage_is_dropped() {
    let state = tempfile::tempdir().unwrap();
    let (work, speaker) = temp("speaker.s16");
    let (mut nvt, url) = start(state.path(), &speaker);
    let (audio, reference) = tone(work.path());

    // Without Require there is no back channel in the SDP, as before.
    let mut op = Rtsp::connect(&url, "op", OP_PASSWORD);
    let plain = op.req("DESCRIBE", &url, &[]);
    assert_eq!(plain.status, 200);
    assert!(!plain.body.contains("trackID=3") && !plain.body.contains("recvonly"));
    // A feature the server does not know: 551 with it in Unsupported (RFC 2326 s12.32).
    let odd = op.req("DESCRIBE", &url, &[("Require", "com.example.teleport")]);
    assert_eq!(odd.status, 551);
    assert_eq!(odd.header("Unsupported"), Some("com.example.teleport"));

    describe_backchannel(&mut op, &url);
    let setup = op.req(
        "SETUP",
        &format!("{url}/trackID=3"),
        &[
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=4-5"),
            REQUIRE,
        ],
    );
    assert_eq!(setup.status, 200, "{:?}", setup.headers);
    assert_eq!(
        setup.header("Transport"),
        Some("RTP/AVP/TCP;unicast;interleaved=4-5")
    );
    let session = setup.session();
    let play = op.req("PLAY", &url, &[("Session", &session), REQUIRE]);
    assert_eq!(play.status, 200);

    let sent = packets(&audio, 0x7A1C);
    let last = talk(&sent, Some(40), |p| op.send_interleaved(4, p));
    let (got, latency) = recorded(&speaker, reference.len(), last);
    let (corr, offset) = compare(&got, &reference);
    eprintln!(
        "TCP: {} samples played of {}, identical: {}, correlation {corr:.4} at offset {offset}, \
         last packet to speaker {latency:?}",
        got.len(),
        reference.len(),
        got == reference
    );
    assert!(corr >= 0.99, "correlation {corr} at {offset}");

    // The session lived on through the garbage: it still answers, and TEARDOWN counts it.
    let keep = op.req("GET_PARAMETER", &url, &[("Session", &session)]);
    assert_eq!(keep.status, 200);
    // The camera reports what it received on the talker's RTCP channel (RFC 3550 s6.4.2,
    // the ONVIF cases' "valid RTCP"): an RR + SDES whose one block is about the talker's
    // SSRC, every packet received (the garbage is no RTP), the highest sequence number sent.
    let (channel, rr) = op.packet();
    assert_eq!(channel, 5, "the back channel's RTCP channel");
    assert_eq!((rr[0], rr[1]), (0x81, 201), "RR with one block: {rr:02x?}");
    let word = |at: usize| u32::from_be_bytes(rr[at..at + 4].try_into().unwrap());
    assert_eq!(word(8), 0x7A1C, "the block is about the talker");
    assert_eq!(word(12) & 0xFF_FFFF, 0, "nothing lost");
    assert_eq!(word(16), 1000 + 99, "highest sequence number received");
    assert_eq!(
        rr[4 * (usize::from(u16::from_be_bytes([rr[2], rr[3]])) + 1) + 1],
        202,
        "SDES follows"
    );
    let down = op.req("TEARDOWN", &url, &[("Session", &session), REQUIRE]);
    assert_eq!(down.status, 200);
    let gone = nvt.wait_for("back channel: talker gone", Duration::from_secs(10));
    assert!(gone.contains("TEARDOWN"), "{gone}");
    assert!(
        gone.contains("packets=100") && gone.contains("malformed=1"),
        "{gone}"
    );
    assert!(gone.contains("dropped=1"), "{gone}");
}

#[test]
fn talk_over_udp_one_talker_at_a_time_and_only_operators() {
    let state = tempfile::tempdir().unwrap();
    let (work, speaker) = temp("speaker.s16");
    let (mut nvt, url) = start(state.path(), &speaker);
    let (audio, reference) = tone(work.path());

    // The talker, as the spec's example: video and the back channel over UDP.
    let video_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let talk_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let vport = video_sock.local_addr().unwrap().port();
    let tport = talk_sock.local_addr().unwrap().port();
    let mut op = Rtsp::connect(&url, "op", OP_PASSWORD);
    describe_backchannel(&mut op, &url);
    let v = op.req(
        "SETUP",
        &format!("{url}/trackID=0"),
        &[
            (
                "Transport",
                &format!("RTP/AVP;unicast;client_port={vport}-{}", vport + 1),
            ),
            REQUIRE,
        ],
    );
    assert_eq!(v.status, 200);
    let session = v.session();
    let t = op.req(
        "SETUP",
        &format!("{url}/trackID=3"),
        &[
            (
                "Transport",
                &format!("RTP/AVP;unicast;client_port={tport}-{}", tport + 1),
            ),
            ("Session", &session),
            REQUIRE,
        ],
    );
    assert_eq!(t.status, 200, "{:?}", t.headers);
    let transport = t.header("Transport").unwrap().to_owned();
    let server_port: u16 = transport
        .split(';')
        .find_map(|p| p.strip_prefix("server_port="))
        .and_then(|p| p.split('-').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{transport}"));

    // A second operator may watch, but not talk while the first one holds the speaker.
    let mut second = Rtsp::connect(&url, "op", OP_PASSWORD);
    describe_backchannel(&mut second, &url);
    let busy = second.req(
        "SETUP",
        &format!("{url}/trackID=3"),
        &[
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"),
            REQUIRE,
        ],
    );
    assert_eq!(busy.status, 453, "a second talker");
    // A user (READ_MEDIA) may watch and even see the back channel, never talk.
    let mut viewer = Rtsp::connect(&url, "viewer", VIEWER_PASSWORD);
    describe_backchannel(&mut viewer, &url);
    let refused = viewer.req(
        "SETUP",
        &format!("{url}/trackID=3"),
        &[
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"),
            REQUIRE,
        ],
    );
    assert_eq!(refused.status, 403, "a User below ACTUATE");
    let watch = viewer.req(
        "SETUP",
        &format!("{url}/trackID=0"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(watch.status, 200, "the same user may watch");

    let play = op.req("PLAY", &url, &[("Session", &session), REQUIRE]);
    assert_eq!(play.status, 200);
    let to = ("127.0.0.1", server_port);
    let sent = packets(&audio, 0x5EED);
    // A packet from another port (not the talker's client_port) is not the talker's.
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    stranger.send_to(&sent[0], to).unwrap();
    let last = talk(&sent, None, |p| {
        talk_sock.send_to(p, to).unwrap();
    });
    let (got, latency) = recorded(&speaker, reference.len(), last);
    let (corr, offset) = compare(&got, &reference);
    eprintln!(
        "UDP: {} samples played of {}, identical: {}, correlation {corr:.4} at offset {offset}, \
         last packet to speaker {latency:?}",
        got.len(),
        reference.len(),
        got == reference
    );
    assert!(corr >= 0.99, "correlation {corr} at {offset}");
    assert_eq!(
        got.len(),
        reference.len(),
        "the stranger's packet was not played"
    );

    // TEARDOWN frees the speaker: the second operator may talk now.
    let down = op.req("TEARDOWN", &url, &[("Session", &session), REQUIRE]);
    assert_eq!(down.status, 200);
    nvt.wait_for("back channel: talker gone", Duration::from_secs(10));
    let now_free = second.req(
        "SETUP",
        &format!("{url}/trackID=3"),
        &[
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"),
            REQUIRE,
        ],
    );
    assert_eq!(now_free.status, 200, "the slot freed at TEARDOWN");
    // Closing its connection frees it again.
    drop(second);
    nvt.wait_for("back channel: talker gone", Duration::from_secs(10));
}

/// The counter `name=N` of a "talker gone" log line.
fn counter(line: &str, name: &str) -> u64 {
    let key = format!(" {name}=");
    let at = line
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        + key.len();
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_hostile_talker_does_not_hurt_a_viewer() {
    let state = tempfile::tempdir().unwrap();
    let (_work, speaker) = temp("speaker.s16");
    let (mut nvt, url) = start(state.path(), &speaker);

    // A viewer on TCP, counting video packets and sequence gaps on its own thread.
    let mut viewer = Rtsp::connect(&url, "admin", PASSWORD);
    let v = viewer.req(
        "SETUP",
        &format!("{url}/trackID=0"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(v.status, 200);
    let vs = v.session();
    assert_eq!(viewer.req("PLAY", &url, &[("Session", &vs)]).status, 200);
    let watching = std::thread::spawn(move || {
        let (mut packets, mut frames, mut gaps, mut last) = (0u64, 0u64, 0u64, None::<u16>);
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            let (channel, p) = viewer.packet();
            if channel != 0 {
                continue; // RTCP
            }
            let seq = u16::from_be_bytes([p[2], p[3]]);
            if last.is_some_and(|l| seq != l.wrapping_add(1)) {
                gaps += 1;
            }
            last = Some(seq);
            packets += 1;
            frames += u64::from(p[1] & 0x80 != 0);
        }
        (packets, frames, gaps)
    });

    // The talker floods over UDP: 40x real time, garbage and 60 KB datagrams among it.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let mut op = Rtsp::connect(&url, "op", OP_PASSWORD);
    describe_backchannel(&mut op, &url);
    let t = op.req(
        "SETUP",
        &format!("{url}/trackID=3"),
        &[
            (
                "Transport",
                &format!("RTP/AVP;unicast;client_port={port}-{}", port + 1),
            ),
            REQUIRE,
        ],
    );
    assert_eq!(t.status, 200);
    let session = t.session();
    let transport = t.header("Transport").unwrap().to_owned();
    let server_port: u16 = transport
        .split(';')
        .find_map(|p| p.strip_prefix("server_port="))
        .and_then(|p| p.split('-').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    assert_eq!(op.req("PLAY", &url, &[("Session", &session)]).status, 200);
    let to = ("127.0.0.1", server_port);
    let huge = vec![0x80u8; 60_000];
    let start = Instant::now();
    let mut seq = 0u16;
    let mut sent = 0u64;
    while start.elapsed() < Duration::from_secs(3) {
        for _ in 0..20 {
            let mut p = vec![0x80, 0];
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
            p.extend_from_slice(&0xF100Du32.to_be_bytes());
            p.extend_from_slice(&[0xFF; 160]);
            sock.send_to(&p, to).unwrap();
            seq = seq.wrapping_add(1);
            sent += 1;
        }
        sock.send_to(b"\x00garbage", to).unwrap();
        sock.send_to(&huge, to).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let (packets, frames, gaps) = watching.join().unwrap();
    eprintln!("viewer during the flood: {packets} packets, {frames} frames, {gaps} gaps");
    assert_eq!(gaps, 0, "the viewer lost video");
    assert!(frames >= 50, "the viewer got {frames} frames in 5 s");

    assert_eq!(
        op.req("TEARDOWN", &url, &[("Session", &session)]).status,
        200
    );
    let gone = nvt.wait_for("back channel: talker gone", Duration::from_secs(10));
    let played = counter(&gone, "packets");
    eprintln!(
        "flood: {sent} valid packets sent in 3 s, {played} played, flood {} malformed {} \
         oversize {}",
        counter(&gone, "flood"),
        counter(&gone, "malformed"),
        counter(&gone, "oversize")
    );
    // Real time (3 s) plus the 1 s burst, at 50 packets a second, and some slack for the
    // sender's clock against the server's.
    assert!(played <= 4 * 50 + 10, "{played} played: {gone}");
    assert!(
        counter(&gone, "flood") > 0 && counter(&gone, "oversize") > 0,
        "{gone}"
    );
    assert!(counter(&gone, "malformed") > 0, "{gone}");
}

#[test]
fn a_silent_talker_loses_the_speaker_after_its_session_timeout() {
    let state = tempfile::tempdir().unwrap();
    let (_work, speaker) = temp("speaker.s16");
    let (mut nvt, url, port) = start_port(state.path(), &speaker);
    // The main stream's RTSP session timeout: 3 s (Media SessionTimeout).
    let body = r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="venc_main"><tt:Name>Main H.264</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1280</tt:Width><tt:Height>720</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2048</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5000</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT3S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#;
    let (status, text) = soap::post(port, soap::MEDIA, "admin", PASSWORD, body);
    assert_eq!(status, 200, "{text}");

    let mut op = Rtsp::connect(&url, "op", OP_PASSWORD);
    describe_backchannel(&mut op, &url);
    let t = op.req(
        "SETUP",
        &format!("{url}/trackID=3"),
        &[
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"),
            REQUIRE,
        ],
    );
    assert_eq!(t.status, 200);
    assert!(
        t.header("Session").unwrap().ends_with(";timeout=3"),
        "{:?}",
        t.headers
    );
    let session = t.session();
    assert_eq!(op.req("PLAY", &url, &[("Session", &session)]).status, 200);
    let played = Instant::now();
    // Keepalives, no audio: the session lives, the speaker does not stay taken.
    let mut second = Rtsp::connect(&url, "op", OP_PASSWORD);
    let freed = loop {
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            op.req("GET_PARAMETER", &url, &[("Session", &session)])
                .status,
            200
        );
        let s = second.req(
            "SETUP",
            &format!("{url}/trackID=3"),
            &[
                ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"),
                REQUIRE,
            ],
        );
        if s.status == 200 {
            break played.elapsed();
        }
        assert_eq!(s.status, 453);
        assert!(
            played.elapsed() < Duration::from_secs(10),
            "the silent talker kept the slot"
        );
    };
    eprintln!("a silent talker lost the speaker {freed:?} after PLAY (timeout 3 s)");
    assert!(freed >= Duration::from_secs(3), "freed after {freed:?}");
    let gone = nvt.wait_for("back channel: talker gone", Duration::from_secs(10));
    assert!(gone.contains("silent"), "{gone}");
    assert_eq!(
        op.req("GET_PARAMETER", &url, &[("Session", &session)])
            .status,
        200
    );
}

/// Media 1 SOAP as the administrator; the reply's body, asserting a 200.
fn media(port: u16, body: &str) -> String {
    let (status, text) = soap::post(port, soap::MEDIA, "admin", PASSWORD, body);
    assert_eq!(status, 200, "{body}: {text}");
    text
}

/// The back channel is a profile's when it holds an audio output and an audio decoder
/// configuration (ONVIF Streaming, "Back channel connection"; docs/rtsp.md "Back channel"):
/// a board with a speaker starts with them in `main` only, so `sub` answers 551 to the
/// back-channel tag until a client adds them over ONVIF (AddAudioOutputConfiguration and
/// AddAudioDecoderConfiguration); then a talker on `sub` is heard by the speaker, at the
/// OutputLevel SetAudioOutputConfiguration sets (the speaker records after its volume), and
/// `main` loses the back channel when its audio output configuration is removed.
#[test]
fn the_back_channel_follows_the_profiles_audio_output_configuration() {
    let state = tempfile::tempdir().unwrap();
    let (work, speaker) = temp("speaker.s16");
    let (_nvt, main_url, port) = start_port(state.path(), &speaker);
    let (audio, reference) = tone(work.path());
    let sub_url = main_url.replace("/main", "/sub");

    let outputs = media(port, "<trt:GetAudioOutputs/>");
    assert!(outputs.contains(r#"token="aout0""#), "{outputs}");
    let profiles = media(port, "<trt:GetProfiles/>");
    let main = profiles.split("<trt:Profiles").nth(1).unwrap();
    assert!(
        main.contains("AudioOutputConfiguration") && main.contains("AudioDecoderConfiguration"),
        "{profiles}"
    );

    let mut op = Rtsp::connect(&sub_url, "op", OP_PASSWORD);
    let refused = op.req(
        "DESCRIBE",
        &sub_url,
        &[("Accept", "application/sdp"), REQUIRE],
    );
    assert_eq!(refused.status, 551, "sub holds no audio output yet");
    assert_eq!(refused.header("Unsupported"), Some(REQUIRE.1));
    // Without the tag the stream plays as always.
    assert_eq!(op.req("DESCRIBE", &sub_url, &[]).status, 200);

    media(
        port,
        "<trt:AddAudioOutputConfiguration><trt:ProfileToken>sub</trt:ProfileToken><trt:ConfigurationToken>aoc0</trt:ConfigurationToken></trt:AddAudioOutputConfiguration>",
    );
    let half = op.req(
        "DESCRIBE",
        &sub_url,
        &[("Accept", "application/sdp"), REQUIRE],
    );
    assert_eq!(
        half.status, 551,
        "an output without a decoder decodes nothing"
    );
    media(
        port,
        "<trt:AddAudioDecoderConfiguration><trt:ProfileToken>sub</trt:ProfileToken><trt:ConfigurationToken>adec0</trt:ConfigurationToken></trt:AddAudioDecoderConfiguration>",
    );
    media(
        port,
        "<trt:SetAudioOutputConfiguration><trt:Configuration token=\"aoc0\"><tt:Name>Door</tt:Name><tt:UseCount>2</tt:UseCount><tt:OutputToken>aout0</tt:OutputToken><tt:OutputLevel>50</tt:OutputLevel></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetAudioOutputConfiguration>",
    );
    let read = media(
        port,
        "<trt:GetAudioOutputConfiguration><trt:ConfigurationToken>aoc0</trt:ConfigurationToken></trt:GetAudioOutputConfiguration>",
    );
    assert!(read.contains("OutputLevel>50<"), "{read}");

    describe_backchannel(&mut op, &sub_url);
    let setup = op.req(
        "SETUP",
        &format!("{sub_url}/trackID=3"),
        &[
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=4-5"),
            REQUIRE,
        ],
    );
    assert_eq!(setup.status, 200, "{:?}", setup.headers);
    let session = setup.session();
    let play = op.req("PLAY", &sub_url, &[("Session", &session), REQUIRE]);
    assert_eq!(play.status, 200);
    let last = talk(&packets(&audio, 0x5B), None, |p| op.send_interleaved(4, p));
    let (got, _) = recorded(&speaker, reference.len(), last);
    let (corr, offset) = compare(&got, &reference);
    let rms = |v: &[i16]| {
        (v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt()
    };
    let ratio = rms(&got[..reference.len()]) / rms(&reference);
    eprintln!("sub: correlation {corr:.4} at offset {offset}, level ratio {ratio:.3}");
    assert!(corr >= 0.99, "correlation {corr} at {offset}");
    assert!(
        (0.45..=0.55).contains(&ratio),
        "OutputLevel 50: ratio {ratio}"
    );
    assert_eq!(
        op.req("TEARDOWN", &sub_url, &[("Session", &session)])
            .status,
        200
    );

    media(
        port,
        "<trt:RemoveAudioOutputConfiguration><trt:ProfileToken>main</trt:ProfileToken></trt:RemoveAudioOutputConfiguration>",
    );
    let mut again = Rtsp::connect(&main_url, "op", OP_PASSWORD);
    let gone = again.req(
        "DESCRIBE",
        &main_url,
        &[("Accept", "application/sdp"), REQUIRE],
    );
    assert_eq!(gone.status, 551, "main no longer holds an audio output");
}
