//! HLS audio in a real browser (issue 19, "HLS audio plays in headless Chromium"): the `main`
//! profile's audio is set to AAC over ONVIF Media 1, then Debian's Chromium (headless,
//! playwright-core from scripts/deps.sh in target/node) opens the camera page, and
//! tests/web/hls_audio.cjs checks that the muxed HLS plays with its audio decoded and heard.
//! ffprobe reads the same live playlist and must see both tracks.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{Daemon, soap};

const PASSWORD: &str = "hls-audio-Secret1";

fn media1(port: u16, op: &str, inner: &str) {
    let r = soap::call(
        port,
        soap::MEDIA,
        Some(("admin", PASSWORD)),
        &format!("<trt:{op}>{inner}</trt:{op}>"),
    );
    assert_eq!(r.status, 200, "{op} {inner}\n{}", r.raw);
}

#[test]
fn camera_page_plays_hls_audio_in_chromium() {
    let state = support::temp_state();
    let (_nvt, http) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    let add = |config: &str| {
        format!(
            "<trt:ProfileToken>main</trt:ProfileToken>\
             <trt:ConfigurationToken>{config}</trt:ConfigurationToken>"
        )
    };
    media1(http, "AddAudioSourceConfiguration", &add("asc0"));
    media1(http, "AddAudioEncoderConfiguration", &add("aenc0"));
    media1(
        http,
        "SetAudioEncoderConfiguration",
        r#"<trt:Configuration token="aenc0"><tt:Name>Mic</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>AAC</tt:Encoding><tt:Bitrate>64</tt:Bitrate><tt:SampleRate>16</tt:SampleRate><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5006</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
    );

    // ffprobe on the live playlist: H.264 and AAC-LC 16 kHz mono in the one variant.
    let url = format!("http://admin:{PASSWORD}@127.0.0.1:{http}/hls/main/index.m3u8");
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries"])
        .args([
            "stream=codec_type,codec_name,profile,sample_rate,channels",
            "-of",
            "compact",
        ])
        .arg(&url)
        .output()
        .expect("run ffprobe");
    let streams = String::from_utf8_lossy(&probe.stdout);
    assert!(
        probe.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    println!("{streams}");
    assert!(
        streams.contains("codec_name=h264") && streams.contains("codec_type=video"),
        "{streams}"
    );
    let audio = streams
        .lines()
        .find(|l| l.contains("codec_type=audio"))
        .unwrap_or_else(|| panic!("no audio stream: {streams}"));
    assert!(
        audio.contains("codec_name=aac")
            && audio.contains("profile=LC")
            && audio.contains("sample_rate=16000")
            && audio.contains("channels=1"),
        "{audio}"
    );

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let run = Command::new("node")
        .arg(root.join("tests/web/hls_audio.cjs"))
        .arg(format!("http://127.0.0.1:{http}"))
        .args(["admin", PASSWORD])
        .env("NVT_NODE_MODULES", root.join("target/node/node_modules"))
        .output()
        .expect("run node (scripts/deps.sh installs it)");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "browser checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = stdout.lines().last().unwrap_or_default();
    // The measured figures, reported with the test's output (docs/web.md records them).
    println!("chromium HLS audio: {report}");
    assert!(report.contains("\"audio_decoded_bytes\""), "{report}");
}
