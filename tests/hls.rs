//! Live HLS from the real binary, read by real clients over loopback: curl (HTTP Digest),
//! ffprobe/ffmpeg (playlists, fMP4 decoding). The browser test is tests/web_chromium.rs.

mod support;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::Daemon;

const PASSWORD: &str = "hls-secret";

fn start() -> (Daemon, u16, tempfile::TempDir) {
    let state = support::temp_state();
    let (nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    (nvt, port, state)
}

/// `curl` GET: (status, body). `user` None sends no credentials.
fn get(port: u16, path: &str, user: Option<(&str, &str)>) -> (u16, Vec<u8>) {
    let (code, _, body) = curl(port, path, user, &[]);
    (code, body)
}

/// `curl` GET with `extra` arguments: (status, the answer's header block, body).
fn curl(
    port: u16,
    path: &str,
    user: Option<(&str, &str)>,
    extra: &[&str],
) -> (u16, String, Vec<u8>) {
    let headers = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "30", "-w", "\n%{http_code}"]);
    if let Some((u, p)) = user {
        cmd.args(["--digest", "-u", &format!("{u}:{p}")]);
    }
    let out = cmd
        .arg("-D")
        .arg(headers.path())
        .args(extra)
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .expect("run curl");
    assert!(out.status.success(), "curl {path}: {out:?}");
    let body = out.stdout;
    let nl = body.iter().rposition(|b| *b == b'\n').unwrap();
    let code = String::from_utf8_lossy(&body[nl + 1..]).parse().unwrap();
    // With Digest the block holds the 401 challenge's headers, then the answer's: keep the last.
    let all = std::fs::read_to_string(headers.path())
        .unwrap()
        .to_ascii_lowercase();
    let last = all.trim_end().rsplit("\r\n\r\n").next().unwrap().to_owned();
    (code, last, body[..nl].to_vec())
}

fn admin(port: u16, path: &str) -> (u16, Vec<u8>) {
    get(port, path, Some(("admin", PASSWORD)))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ffprobe(args: &[&str]) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Parses `YYYY-MM-DDTHH:MM:SS.mmmZ` into Unix milliseconds.
fn pdt_ms(s: &str) -> i64 {
    nvt::xml::xsd::parse_datetime(s).unwrap_or_else(|| panic!("bad date {s:?}"))
}

#[test]
fn nothing_is_served_without_credentials() {
    let (_nvt, port, _state) = start();
    // Start a session so the segment and part names below exist.
    let (code, _) = admin(port, "/hls/main/stream.m3u8");
    assert_eq!(code, 200);
    for path in [
        "/hls/index.m3u8",
        "/hls/main/index.m3u8",
        "/hls/main/stream.m3u8",
        "/hls/main/stream.m3u8?_HLS_msn=1&_HLS_part=0",
        "/hls/main/init-0.mp4",
        "/hls/main/seg-0.m4s",
        "/hls/main/part-0.0.m4s",
        "/hls/sub/stream.m3u8",
        "/",
        "/api/status",
        "/assets/app.js",
        "/assets/hls.light.min.js",
    ] {
        let (code, body) = get(port, path, None);
        assert_eq!(code, 401, "{path} without credentials: {}", text(&body));
        let (code, _) = get(port, path, Some(("admin", "wrong-password")));
        assert_eq!(code, 401, "{path} with a wrong password");
    }
    assert_eq!(admin(port, "/hls/nope/stream.m3u8").0, 404);
    assert_eq!(admin(port, "/hls/main/seg-x.m4s").0, 400);
}

/// `curl` GET as admin with `extra` arguments: (status, header block, body).
fn get_with(port: u16, path: &str, extra: &[&str]) -> (u16, String, Vec<u8>) {
    curl(port, path, Some(("admin", PASSWORD)), extra)
}

#[test]
fn page_assets_are_whole_and_hls_js_goes_gzip_coded_as_accept_encoding_allows() {
    use std::io::Read;
    let (_nvt, port, _state) = start();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/assets");
    let hls_js = std::fs::read(assets.join("hls.light.min.js")).unwrap();

    // A browser's header (curl --compressed sends one and decodes): the published file.
    let (code, headers, body) = get_with(port, "/assets/hls.light.min.js", &["--compressed"]);
    assert_eq!(code, 200, "{headers}");
    assert!(headers.contains("content-encoding: gzip"), "{headers}");
    assert!(headers.contains("vary: accept-encoding"), "{headers}");
    assert!(body == hls_js, "decoded hls.js differs from src/web/assets");

    // The coded bytes themselves, with gzip asked for and with no Accept-Encoding at all
    // (RFC 9110 §12.5.3: then any coding is acceptable).
    for extra in [&["-H", "Accept-Encoding: gzip;q=0.8, identity"][..], &[]] {
        let (code, headers, coded) = get_with(port, "/assets/hls.light.min.js", extra);
        assert_eq!(code, 200, "{extra:?}: {headers}");
        assert!(headers.contains("content-encoding: gzip"), "{headers}");
        assert!(
            coded.len() < hls_js.len() / 3,
            "{} coded bytes for {}",
            coded.len(),
            hls_js.len()
        );
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&coded[..])
            .read_to_end(&mut decoded)
            .expect("a gzip stream");
        assert!(decoded == hls_js, "{extra:?}: decoded hls.js differs");
    }

    // A client that takes no gzip is told so (§15.5.7), not sent bytes it cannot read.
    // (curl sends an empty field for "Name;".)
    for header in [
        "Accept-Encoding: identity",
        "Accept-Encoding: gzip;q=0",
        "Accept-Encoding;",
    ] {
        let (code, headers, body) = get_with(port, "/assets/hls.light.min.js", &["-H", header]);
        assert_eq!(code, 406, "{header}: {headers}");
        assert!(!headers.contains("content-encoding"), "{headers}");
        assert!(
            text(&body).contains("Accept-Encoding: gzip"),
            "{}",
            text(&body)
        );
    }

    // The small assets go as they are, whatever the client takes.
    for (path, file) in [
        ("/", "index.html"),
        ("/assets/app.js", "app.js"),
        ("/assets/style.css", "style.css"),
        ("/assets/hls.js-LICENSE", "hls.js-LICENSE"),
    ] {
        let (code, headers, body) = get_with(port, path, &["-H", "Accept-Encoding: identity"]);
        assert_eq!(code, 200, "{path}: {headers}");
        assert!(!headers.contains("content-encoding"), "{path}: {headers}");
        assert!(body == std::fs::read(assets.join(file)).unwrap(), "{path}");
    }
}

#[test]
fn ffprobe_reads_the_playlists_and_decodes_the_segments() {
    let (_nvt, port, _state) = start();
    // The multivariant playlist of every profile names both, with codec and size.
    let (code, body) = admin(port, "/hls/index.m3u8");
    assert_eq!(code, 200);
    let all = text(&body);
    assert!(
        all.contains("RESOLUTION=1280x720") && all.contains("main/stream.m3u8"),
        "{all}"
    );
    assert!(
        all.contains("RESOLUTION=640x360") && all.contains("sub/stream.m3u8"),
        "{all}"
    );
    assert!(all.contains("CODECS=\"avc1."), "{all}");

    // ffprobe follows the profile's multivariant playlist (Digest on every request) and
    // decodes four seconds of it.
    for (profile, w, h, min_frames) in [("main", 1280, 720, 50), ("sub", 640, 360, 30)] {
        let url = format!("http://admin:{PASSWORD}@127.0.0.1:{port}/hls/{profile}/index.m3u8");
        let out = ffprobe(&[
            "-select_streams",
            "v:0",
            "-count_frames",
            "-read_intervals",
            "%+4",
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames",
            "-of",
            "csv=p=0",
            &url,
        ]);
        let line = out.lines().next().unwrap_or_default().to_owned();
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(
            &f[..3],
            &["h264", &w.to_string(), &h.to_string()],
            "{profile}: {out}"
        );
        let frames: u32 = f[3].parse().unwrap();
        assert!(
            frames >= min_frames,
            "{profile}: only {frames} frames decoded"
        );
    }

    // A downloaded segment (with its initialization segment) is one whole GOP: 2 s at 25 fps.
    let (_, pl) = admin(port, "/hls/main/stream.m3u8");
    let pl = text(&pl);
    let seg = pl.lines().rfind(|l| l.starts_with("seg-")).unwrap();
    let map = pl
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-MAP:URI=\""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap();
    let (c1, mut file) = admin(port, &format!("/hls/main/{map}"));
    let (c2, media) = admin(port, &format!("/hls/main/{seg}"));
    assert_eq!((c1, c2), (200, 200));
    file.extend_from_slice(&media);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("segment.mp4");
    std::fs::write(&path, &file).unwrap();
    let out = ffprobe(&[
        "-count_frames",
        "-show_entries",
        "stream=codec_name,nb_read_frames",
        "-of",
        "csv=p=0",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.trim(), "h264,50", "{out}");
}

#[test]
fn low_latency_playlist_blocks_for_the_next_part() {
    let (mut nvt, port, _state) = start();
    let (code, body) = admin(port, "/hls/main/stream.m3u8");
    assert_eq!(code, 200);
    let pl = text(&body);
    for tag in [
        "#EXT-X-TARGETDURATION:2\n",
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600\n",
        "#EXT-X-PART-INF:PART-TARGET=0.200\n",
        "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-",
    ] {
        assert!(pl.contains(tag), "missing {tag:?} in\n{pl}");
    }
    // Program date-time is the capture wall clock: close to ours (same machine).
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let last_pdt = pl
        .lines()
        .filter_map(|l| l.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:"))
        .next_back()
        .unwrap();
    let age = now - pdt_ms(last_pdt);
    assert!(
        (-1_000..30_000).contains(&age),
        "PDT {last_pdt} is {age} ms from now"
    );

    // Ask for the hinted part: the answer is the playlist that lists it.
    let hint = pl
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-"))
        .and_then(|l| l.strip_suffix(".m4s\""))
        .unwrap();
    let (msn, part) = hint.split_once('.').unwrap();
    let (code, body) = admin(
        port,
        &format!("/hls/main/stream.m3u8?_HLS_msn={msn}&_HLS_part={part}"),
    );
    assert_eq!(code, 200);
    let next = text(&body);
    let hinted = format!("URI=\"part-{msn}.{part}.m4s\"");
    // The hinted part exists now, or its segment ended first and the next one began.
    let next_msn = msn.parse::<u64>().unwrap() + 1;
    assert!(
        next.contains(&format!("#EXT-X-PART:DURATION=0.20000,{hinted}"))
            || next.contains(&format!("part-{next_msn}.0.m4s")),
        "{hinted} not in\n{next}"
    );
    // The part itself is served.
    let (code, part_bytes) = admin(port, &format!("/hls/main/part-{msn}.{part}.m4s"));
    if code == 200 {
        assert_eq!(&part_bytes[4..8], b"moof");
    }
    // Far ahead of the live edge: a client error, at once (s6.2.5.2).
    let far = msn.parse::<u64>().unwrap() + 10;
    let (code, _) = admin(port, &format!("/hls/main/stream.m3u8?_HLS_msn={far}"));
    assert_eq!(code, 400);

    // Nobody watching: the segmenter stops and its memory is freed.
    nvt.wait_for("HLS: session stopped (no viewer)", Duration::from_secs(40));
}
