//! The Media service end to end, as Home Assistant meets it: onvif-zeep-async
//! (conformance/onvif-zeep/ha_media.py) configures the real `nvt` binary and ffprobe, ffmpeg
//! and GStreamer judge what the stream URIs it got really play.
//!
//! Needs the venv made by scripts/deps.sh (`target/zeep-venv`, or `NVT_ZEEP_PYTHON`),
//! ffmpeg and gstreamer1.0-tools. The multicast case needs root (network namespaces).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use support::Daemon;
use support::netns::{Netns, SERVER_IP};

const PASSWORD: &str = "media-Secret1";
const START: Duration = Duration::from_secs(60);

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/onvif-zeep/ha_media.py")
}

/// Runs one ha_media.py command (with `wrapper`, e.g. `ip netns exec NS`) and returns the
/// JSON it printed; panics with its output when it failed.
fn zeep_in(
    wrapper: &[&str],
    host: &str,
    port: u16,
    mode: &str,
    args: &[&str],
) -> serde_json::Value {
    let py = support::python::zeep();
    let mut cmd = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&py);
            c
        }
        None => Command::new(&py),
    };
    let out = cmd
        .arg(script())
        .args([host, &port.to_string(), "admin", PASSWORD, mode])
        .args(args)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ha_media.py {mode} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn zeep(port: u16, mode: &str, args: &[&str]) -> serde_json::Value {
    zeep_in(&[], "127.0.0.1", port, mode, args)
}

fn with_user(uri: &str) -> String {
    uri.replacen("rtsp://", &format!("rtsp://admin:{PASSWORD}@"), 1)
}

/// ffprobe of an RTSP URI: `codec,profile,width,height` (ffprobe's order) or the error
/// output.
fn ffprobe(uri: &str, transport: &str) -> Result<String, String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-rtsp_transport", transport])
        .args(["-rw_timeout", "15000000", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=codec_name,width,height,profile"])
        .args(["-of", "csv=p=0"])
        .arg(uri)
        .output()
        .expect("run ffprobe");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() && !text.is_empty() {
        Ok(text)
    } else {
        Err(format!("{text}{}", String::from_utf8_lossy(&out.stderr)))
    }
}

fn start(state: &Path) -> (Daemon, u16) {
    Daemon::start_admin(state, PASSWORD, &[])
}

#[test]
fn home_assistant_finds_an_h264_profile_whose_uris_play_on_every_transport() {
    let state = support::temp_state();
    let (mut nvt, port) = start(state.path());
    // WS-UsernameToken (HA's default) and HTTP Digest only: same answers.
    let found = zeep(port, "wsse", &["discover"]);
    assert_eq!(zeep(port, "digest", &["discover"])["uris"], found["uris"]);
    let uris = &found["uris"];
    let uri = |k: &str| {
        uris[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}: {found}"))
            .to_owned()
    };

    // Credentials in the URL; ffmpeg answers the Digest challenge with them.
    for (key, transport) in [
        ("main/RTP-Unicast/UDP", "udp"),
        ("main/RTP-Unicast/RTSP", "tcp"),
        ("main/RTP-Unicast/HTTP", "http"),
    ] {
        let got = ffprobe(&with_user(&uri(key)), transport);
        assert_eq!(
            got.as_deref(),
            Ok("h264,Main,1280,720"),
            "{key} over {transport}"
        );
    }
    let got = ffprobe(&with_user(&uri("sub/RTP-Unicast/RTSP")), "tcp");
    assert!(
        got.as_deref()
            .is_ok_and(|s| s.starts_with("h264,Main,640,360")),
        "{got:?}"
    );

    // Credentials not in the URL: GStreamer answers the Digest challenge from its
    // properties, 50 frames decoded to EOS.
    let out = Command::new("gst-launch-1.0")
        .args([
            "-q",
            "rtspsrc",
            &format!("location={}", uri("main/RTP-Unicast/RTSP")),
        ])
        .args([
            "user-id=admin",
            &format!("user-pw={PASSWORD}"),
            "protocols=tcp",
            "!",
        ])
        .args(["rtph264depay", "!", "h264parse", "!", "avdec_h264", "!"])
        .args([
            "identity",
            "eos-after=50",
            "error-after=-1",
            "!",
            "fakesink",
            "sync=false",
        ])
        .env("GST_DEBUG", "*:1")
        .stdin(Stdio::null())
        .output()
        .expect("gst-launch-1.0 (gstreamer1.0-tools)");
    assert!(out.status.success(), "gst-launch: {out:?}");

    // Without credentials: refused.
    let got = ffprobe(&uri("main/RTP-Unicast/RTSP"), "tcp");
    assert!(got.as_ref().is_err_and(|e| e.contains("401")), "{got:?}");
    nvt.stop();
}

/// The picture size a DESCRIBE announces (sprop-parameter-sets, parsed by retina) and how
/// long the DESCRIBE took.
fn describe_size(uri_with_user: &str) -> ((u32, u32), Duration) {
    let mut url = url::Url::parse(uri_with_user).unwrap();
    let creds = retina::client::Credentials {
        username: url.username().to_owned(),
        password: url.password().unwrap_or_default().to_owned(),
    };
    url.set_username("").unwrap();
    url.set_password(None).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let t = Instant::now();
        let session = retina::client::Session::describe(
            url,
            retina::client::SessionOptions::default().creds(Some(creds)),
        )
        .await
        .expect("DESCRIBE");
        let took = t.elapsed();
        let size = match session.streams()[0].parameters() {
            Some(retina::codec::ParametersRef::Video(v)) => v.pixel_dimensions(),
            other => panic!("no video parameters in the SDP: {other:?}"),
        };
        (size, took)
    })
}

/// Frame sizes of a recorded Annex-B file, run-length encoded, after checking that every
/// frame decodes without an error.
fn decoded_sizes(path: &Path) -> Vec<((u32, u32), usize)> {
    support::media::decodes_cleanly(path);
    probed_sizes(path)
}

/// Frame sizes of an Annex-B file (complete or being written), run-length encoded.
fn probed_sizes(path: &Path) -> Vec<((u32, u32), usize)> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "frame=width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    let mut runs: Vec<((u32, u32), usize)> = Vec::new();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        // A file being written may end in a cut frame: skip what does not parse (a complete
        // file was checked by `decoded_sizes` first).
        let Some((w, h)) = l.trim_end_matches(',').split_once(',') else {
            continue;
        };
        let (Ok(w), Ok(h)) = (w.parse(), h.parse()) else {
            continue;
        };
        let size = (w, h);
        match runs.last_mut() {
            Some((s, n)) if *s == size => *n += 1,
            _ => runs.push((size, 1)),
        }
    }
    runs
}

#[test]
fn set_video_encoder_configuration_takes_effect_for_new_and_playing_viewers() {
    let state = support::temp_state();
    let (mut nvt, port) = start(state.path());
    let uri = with_user(
        zeep(port, "wsse", &["profile", "main"])["uri"]
            .as_str()
            .unwrap(),
    );

    // A viewer that plays across the change, recording what it receives.
    let rec = state.path().join("viewer.h264");
    let viewer = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-nostdin",
            "-rtsp_transport",
            "tcp",
            "-i",
            &uri,
        ])
        // Records until told to stop (SIGINT, below) once it has frames of both sizes: how
        // long the change takes to be asked for is not what this test is about (a loaded
        // machine starts python and ffmpeg slowly).
        .args(["-t", "120", "-c", "copy", "-f", "h264"])
        .arg(&rec)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg");
    std::thread::sleep(Duration::from_secs(3));

    let set = zeep(
        port,
        "wsse",
        &["set", "venc_main", "640", "360", "20", "1000", "20", "High"],
    );
    let changed = Instant::now();
    assert_eq!(set["encoder"]["fps"], 20, "{set}");
    assert_eq!(set["encoder"]["gov"], 20, "{set}");
    // The first DESCRIBE after the answer already describes the new stream, well within the
    // 2 s the issue allows (timed on the server's part, a DESCRIBE; ffprobe's own start-up
    // on a loaded 2-core machine is not ours to bound).
    let (size, described) = describe_size(&uri);
    assert_eq!(
        size,
        (640, 360),
        "DESCRIBE after SetVideoEncoderConfiguration"
    );
    assert!(
        described < Duration::from_secs(2),
        "DESCRIBE took {described:?}"
    );
    let got = ffprobe(&uri, "tcp");
    let seen = changed.elapsed();
    assert_eq!(
        got.as_deref(),
        Ok("h264,High,640,360"),
        "after SetVideoEncoderConfiguration"
    );
    eprintln!(
        "SetVideoEncoderConfiguration answered -> DESCRIBE with 640x360 in {described:?}, \
         ffprobe done after {seen:?}"
    );

    // Invalid values fault with ConfigModify (checked by the script) and change nothing.
    let unchanged = zeep(port, "digest", &["invalid"]);
    assert_eq!(unchanged["unchanged"]["width"], 640, "{unchanged}");
    assert_eq!(ffprobe(&uri, "udp").as_deref(), Ok("h264,High,640,360"));

    // The viewer that was playing kept decoding: 1280x720 frames, then 640x360 ones.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !probed_sizes(&rec)
        .last()
        .is_some_and(|&(size, n)| size == (640, 360) && n >= 30)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(500));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(viewer.id() as i32),
        Signal::SIGINT,
    )
    .unwrap();
    let out = viewer.wait_with_output().expect("ffmpeg viewer");
    // ffmpeg ends on SIGINT as on `-t` (exit status 255); `-v error` prints only errors.
    assert!(
        out.stderr.is_empty(),
        "viewer: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = decoded_sizes(&rec);
    eprintln!("viewer across the change: {runs:?}");
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0].0, (1280, 720));
    assert_eq!(runs[1].0, (640, 360));
    assert!(runs[0].1 >= 25 && runs[1].1 >= 25, "{runs:?}");
    nvt.stop();

    // The change persisted.
    let (mut nvt, port) = start(state.path());
    let after = zeep(port, "wsse", &["profile", "main"]);
    assert_eq!(after["encoder"]["width"], 640, "{after}");
    assert_eq!(after["encoder"]["profile"], "High", "{after}");
    assert_eq!(
        ffprobe(&with_user(after["uri"].as_str().unwrap()), "tcp").as_deref(),
        Ok("h264,High,640,360")
    );
    nvt.stop();
}

/// The `timeout=` a raw RTSP SETUP of `uri` (`rtsp://admin:pw@host:port/path`) is answered
/// with (RFC 2326 s12.37), after the Digest challenge (answered RFC 2069 style, as live555
/// clients do).
fn setup_timeout(uri_with_user: &str) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    use support::digest::Challenge;

    let url = url::Url::parse(uri_with_user).unwrap();
    let (user, password) = (
        url.username().to_owned(),
        url.password().unwrap().to_owned(),
    );
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(554));
    let track = format!(
        "rtsp://{addr}{}/trackID=0",
        url.path().trim_end_matches('/')
    );
    let stream = std::net::TcpStream::connect(&addr).expect("connect RTSP");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut exchange = |cseq: u32, auth: Option<&str>| -> (u16, Vec<(String, String)>) {
        let mut req = format!(
            "SETUP {track} RTSP/1.0\r\nCSeq: {cseq}\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
        );
        if let Some(a) = auth {
            req.push_str(&format!("Authorization: {a}\r\n"));
        }
        req.push_str("\r\n");
        writer.write_all(req.as_bytes()).unwrap();
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        let code = status
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("status line {status:?}"));
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (n, v) = line.split_once(':').unwrap();
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
        if let Some((_, len)) = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        {
            let mut body = vec![0; len.parse().unwrap()];
            reader.read_exact(&mut body).unwrap();
        }
        (code, headers)
    };
    let (code, headers) = exchange(1, None);
    assert_eq!(code, 401, "{headers:?}");
    // RTSP clients answer without qop (live555 never sends it).
    let auth = Challenge::md5(
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("WWW-Authenticate"))
            .map(|(_, v)| v.as_str()),
    )
    .answer(&user, &password, "SETUP", &track, None);
    let (code, headers) = exchange(2, Some(&auth));
    assert_eq!(code, 200, "{headers:?}");
    let session = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Session"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no Session in {headers:?}"));
    session
        .split_once(";timeout=")
        .unwrap_or_else(|| panic!("no timeout in {session:?}"))
        .1
        .to_owned()
}

/// ONVIF Media: the video encoder configuration's SessionTimeout is "the rtsp session timeout
/// for the related video stream". Setting it changes what SETUP on that profile announces,
/// not the other profile's, and survives a restart.
#[test]
fn session_timeout_of_the_encoder_configuration_is_the_rtsp_session_timeout() {
    let state = support::temp_state();
    let (mut nvt, port) = start(state.path());
    let main = with_user(
        zeep(port, "wsse", &["profile", "main"])["uri"]
            .as_str()
            .unwrap(),
    );
    let sub = with_user(
        zeep(port, "wsse", &["profile", "sub"])["uri"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(setup_timeout(&main), "60");
    assert_eq!(setup_timeout(&sub), "60");

    let set = zeep(port, "wsse", &["set-session-timeout", "venc_sub", "PT30S"]);
    assert_eq!(set["session_timeout_secs"], 30.0, "{set}");
    assert_eq!(setup_timeout(&sub), "30");
    assert_eq!(setup_timeout(&main), "60");
    nvt.stop();

    let (mut nvt, port) = start(state.path());
    let main = with_user(
        zeep(port, "wsse", &["profile", "main"])["uri"]
            .as_str()
            .unwrap(),
    );
    let sub = with_user(
        zeep(port, "wsse", &["profile", "sub"])["uri"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(setup_timeout(&sub), "30");
    assert_eq!(setup_timeout(&main), "60");
    nvt.stop();
}

#[test]
fn created_profile_plays_survives_a_restart_and_can_be_deleted() {
    let state = support::temp_state();
    let (mut nvt, port) = start(state.path());
    let created = zeep(port, "wsse", &["create", "nvr1", "venc_sub"]);
    let uri = created["uri"].as_str().unwrap().to_owned();
    assert!(uri.ends_with("/nvr1"), "{created}");
    assert_eq!(created["metadata"], "meta0", "{created}");
    let got = ffprobe(&with_user(&uri), "tcp");
    assert!(
        got.as_deref()
            .is_ok_and(|s| s.starts_with("h264,Main,640,360")),
        "{got:?}"
    );
    nvt.stop();

    let (mut nvt, port) = start(state.path());
    let again = zeep(port, "wsse", &["profile", "nvr1"]);
    let uri = with_user(again["uri"].as_str().unwrap());
    let got = ffprobe(&uri, "udp");
    assert!(
        got.as_deref()
            .is_ok_and(|s| s.starts_with("h264,Main,640,360")),
        "{got:?}"
    );

    zeep(port, "digest", &["delete", "nvr1"]);
    let got = ffprobe(&uri, "tcp");
    assert!(got.as_ref().is_err_and(|e| e.contains("404")), "{got:?}");
    nvt.stop();
}

/// Home Assistant's library reads an empty `<tt:Events/>` as None and leaves it out of its
/// Set: the camera's Get must not hand it one, or a client's Get-modify-Set of the metadata
/// configuration (here its multicast port) turns the metadata's events off.
#[test]
fn a_zeep_get_modify_set_of_the_metadata_configuration_keeps_its_events() {
    let state = support::temp_state();
    let (mut nvt, port) = start(state.path());
    let set = zeep(
        port,
        "wsse",
        &["set-metadata-multicast", "meta0", "239.255.42.42", "5014"],
    );
    assert_eq!(set["metadata"]["multicast"][1], 5014, "{set}");
    assert_eq!(set["metadata"]["events"], true, "{set}");
    nvt.stop();
    let stored = std::fs::read_to_string(state.path().join("settings.json")).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["media"]["metadata"][0]["events"], true, "{stored}");
}

#[test]
#[ignore = "needs root: network namespaces; scripts/test-all runs them when root"]
fn multicast_uri_plays_and_start_stop_multicast_streaming_in_network_namespaces() {
    let ns = Netns::pair("M");
    let state = support::temp_state();
    let mut nvt = ns.start_nvt(state.path(), PASSWORD);
    let port = nvt.http_port();
    nvt.wait_for("nvt running", START);
    let client = ns.in_client();
    let found = zeep_in(&client, SERVER_IP, port, "wsse", &["discover"]);
    let uri = found["uris"]["main/RTP-Multicast/UDP"]
        .as_str()
        .unwrap()
        .to_owned();
    let (group, mport) = {
        let m = &found["encoders"][0]["multicast"];
        (
            m[0].as_str().unwrap().to_owned(),
            m[1].as_u64().unwrap() as u16,
        )
    };

    // The multicast URI plays: ffmpeg in the other namespace SETUPs multicast and decodes.
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
            "-v",
            "error",
            "-rtsp_transport",
            "udp_multicast",
            "-i",
            &with_user(&uri),
        ])
        .args(["-t", "4", "-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "ffmpeg multicast: {stderr}"
    );
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    // That it plays, not how many frames: a loaded machine drops frames at capture (55 of
    // 100 in 4 s at load average 11, beside five builds); frame counts under load are
    // bench/'s to measure (issue 20), not a test's.
    assert!(frames >= 25, "only {frames} frames over multicast");

    // StartMulticastStreaming sends to the configuration's group without any RTSP session;
    // StopMulticastStreaming stops it.
    let onvif = |args: &[&str]| zeep_in(&client, SERVER_IP, port, "wsse", args);
    let packets = |secs| support::netns::count_group_packets(&ns.client, &group, mport, secs);
    onvif(&["multicast", "start", "main"]);
    let running = packets(3);
    assert!(running > 50, "{running} RTP packets while started");
    // A new group port while it runs: the sender moves there.
    let moved = mport + 10;
    let set = onvif(&["set-multicast", "venc_main", &group, &moved.to_string()]);
    assert_eq!(set["encoder"]["multicast"][1], moved, "{set}");
    let on_new = support::netns::count_group_packets(&ns.client, &group, moved, 3);
    assert!(on_new > 50, "{on_new} RTP packets on the new port");
    assert_eq!(
        packets(2),
        0,
        "RTP packets on the old port after the change"
    );
    onvif(&["set-multicast", "venc_main", &group, &mport.to_string()]);

    onvif(&["multicast", "stop", "main"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(packets(2), 0, "RTP packets after StopMulticastStreaming");

    // Two profiles on one encoder share its group: stopping one keeps the other's running;
    // deleting a profile stops what it started.
    onvif(&["create", "mc2", "venc_main"]);
    onvif(&["multicast", "start", "mc2"]);
    // mc2 holds the metadata configuration too (default profiles hold none): its track goes
    // to that configuration's group (5004 by default), and a new port there moves its
    // sender, as the encoder's did. Its documents come with events (the simulator's motion,
    // every 5 s), and each count asks for one more (SetSynchronizationPoint) while it
    // listens.
    let documents = |port: u16| {
        let ns = ns.client.clone();
        let group = group.clone();
        let listen =
            std::thread::spawn(move || support::netns::count_group_packets(&ns, &group, port, 8));
        std::thread::sleep(Duration::from_millis(1500));
        onvif(&["sync", "mc2"]);
        listen.join().unwrap()
    };
    let before = documents(5004);
    assert!(
        before >= 1,
        "{before} metadata packets on the metadata group"
    );
    let set = onvif(&["set-metadata-multicast", "meta0", &group, "5014"]);
    assert_eq!(set["metadata"]["multicast"][1], 5014, "{set}");
    let on_new = documents(5014);
    assert!(on_new >= 1, "{on_new} metadata packets on the new port");
    assert_eq!(
        documents(5004),
        0,
        "metadata on the old port after the change"
    );
    onvif(&["set-metadata-multicast", "meta0", &group, "5004"]);
    onvif(&["multicast", "start", "main"]);
    onvif(&["multicast", "start", "mc2"]);
    onvif(&["multicast", "stop", "main"]);
    let shared = packets(3);
    assert!(shared > 50, "{shared} RTP packets with mc2 still started");
    onvif(&["delete", "mc2"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(packets(2), 0, "RTP packets after DeleteProfile");
    // No profile left to ask for a document: 8 s hold at least one motion change.
    let after = support::netns::count_group_packets(&ns.client, &group, 5004, 8);
    assert_eq!(after, 0, "metadata after DeleteProfile");

    nvt.signal(Signal::SIGTERM);
    assert!(
        nvt.wait_exit(Duration::from_secs(20)).success(),
        "{:?}",
        nvt.seen
    );
    drop(ns);
}

/// StartMulticastStreaming lasts over a restart until StopMulticastStreaming (ONVIF Media
/// WSDL, StartMulticastStreaming: "The streaming shall continue after a reboot of the device
/// until a StopMulticastStreaming request is received"); AutoStart set on a metadata or an
/// audio encoder configuration starts the profiles holding it at once, as the video
/// encoder's does.
#[test]
#[ignore = "needs root: network namespaces; scripts/test-all runs them when root"]
fn started_multicast_survives_a_restart_and_autostart_applies_at_once_in_network_namespaces() {
    let ns = Netns::pair("R");
    let state = support::temp_state();
    let client = ns.in_client();
    // The default configurations' group: main's encoder sends to 5000, metadata to 5004,
    // the audio encoder to 5006.
    let group = "239.255.42.42";
    let packets = |port, secs| support::netns::count_group_packets(&ns.client, group, port, secs);
    let start = || {
        let mut nvt = ns.start_nvt(state.path(), PASSWORD);
        let port = nvt.http_port();
        nvt.wait_for("nvt running", START);
        (nvt, port)
    };
    let stop = |mut nvt: Daemon| {
        nvt.signal(Signal::SIGTERM);
        assert!(
            nvt.wait_exit(Duration::from_secs(20)).success(),
            "{:?}",
            nvt.seen
        );
        nvt
    };
    let onvif = |port: u16, args: &[&str]| zeep_in(&client, SERVER_IP, port, "wsse", args);

    let (nvt, port) = start();
    assert_eq!(packets(5000, 2), 0, "RTP packets before any start");
    onvif(port, &["multicast", "start", "main"]);
    let running = packets(5000, 3);
    assert!(running > 50, "{running} RTP packets while started");
    stop(nvt);

    // The restart resumes it without a new Start.
    let (nvt, port) = start();
    let resumed = packets(5000, 3);
    assert!(resumed > 50, "{resumed} RTP packets after the restart");
    assert!(
        format!("{:?}", nvt.seen).contains("multicast started (started before)"),
        "{:?}",
        nvt.seen
    );
    onvif(port, &["multicast", "stop", "main"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        packets(5000, 2),
        0,
        "RTP packets after StopMulticastStreaming"
    );
    stop(nvt);

    // Stopped before the restart: nothing after it.
    let (nvt, port) = start();
    assert_eq!(
        packets(5000, 3),
        0,
        "RTP packets after a stop and a restart"
    );

    // AutoStart on the metadata configuration: a profile holding it (mc2 holds meta0) starts
    // at once; its documents come with SetSynchronizationPoint while the group listens.
    onvif(port, &["create", "mc2", "venc_main"]);
    let documents = |port_m: u16| {
        let ns = ns.client.clone();
        let listen =
            std::thread::spawn(move || support::netns::count_group_packets(&ns, group, port_m, 6));
        std::thread::sleep(Duration::from_millis(1500));
        onvif(port, &["sync", "mc2"]);
        listen.join().unwrap()
    };
    assert_eq!(documents(5014), 0, "metadata before AutoStart");
    onvif(
        port,
        &["set-metadata-multicast", "meta0", group, "5014", "true"],
    );
    let on = documents(5014);
    assert!(on >= 1, "{on} metadata packets after AutoStart was set");

    // AutoStart on the audio encoder configuration: the profile holding it sends its audio.
    onvif(port, &["add-audio", "sub"]);
    assert_eq!(packets(5006, 2), 0, "audio before AutoStart");
    let set = onvif(
        port,
        &["set-audio-multicast", "aenc0", group, "5006", "true"],
    );
    assert_eq!(set["audio"]["multicast"][2], true, "{set}");
    let audio = packets(5006, 3);
    assert!(
        audio > 20,
        "{audio} audio RTP packets after AutoStart was set"
    );
    stop(nvt);
    drop(ns);
}
