//! The HLS muxer's AAC track, checked by ffmpeg: AAC-LC access units from ffmpeg's own
//! encoder (its ADTS frames with the headers stripped, as the SDK hands units over) and the
//! H.264 test clip go through `nvt::hls::segmenter` as a live stream delivers them; ffprobe
//! and ffmpeg then read the initialization segment and the segments back to back and must
//! find, decode and time both tracks.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use nvt::frame::Frame;
use nvt::hls::segmenter::{Segmenter, SegmenterConfig};
use nvt::rtp::aac::AacConfig;

const RATE: u32 = 16_000;
/// One AAC-LC frame at 16 kHz: 1024 samples.
const UNIT: Duration = Duration::from_millis(64);

/// The raw access units of an ADTS stream (ISO/IEC 14496-3 s1.A.2.2: 7-byte header, 9
/// with a CRC; `frame_length` counts the header).
fn adts_units(mut data: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    while data.len() >= 7 {
        assert_eq!((data[0], data[1] & 0xf6), (0xff, 0xf0), "ADTS sync");
        let header = if data[1] & 1 == 1 { 7 } else { 9 };
        let len = (usize::from(data[3] & 3) << 11)
            | (usize::from(data[4]) << 3)
            | usize::from(data[5] >> 5);
        out.push(Bytes::copy_from_slice(&data[header..len]));
        data = &data[len..];
    }
    out
}

/// 4 s of a 1 kHz tone (with ffmpeg's `sine` beep, at 4 kHz, once a second) as AAC-LC,
/// 16 kHz mono.
fn ffmpeg_aac(dir: &Path) -> Vec<Bytes> {
    let path = dir.join("beeps.aac");
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!(
            "sine=frequency=1000:beep_factor=4:sample_rate={RATE}:duration=4"
        ))
        .args(["-c:a", "aac", "-b:a", "32k", "-f", "adts"])
        .arg(&path)
        .status()
        .expect("run ffmpeg");
    assert!(st.success());
    adts_units(&std::fs::read(&path).unwrap())
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("run ffmpeg/ffprobe");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn ffmpeg_decodes_both_tracks_of_the_muxed_segments() {
    let dir = tempfile::tempdir().unwrap();
    let audio = ffmpeg_aac(dir.path());
    assert!(audio.len() >= 62, "{} AAC units", audio.len());
    let video = support::replay::load_annex_b(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/baseline-640x360-25fps.h264"),
    )
    .unwrap();
    assert_eq!(video.len(), 100);

    let mut seg = Segmenter::new(
        SegmenterConfig {
            part_target: Duration::from_millis(200),
            window: 10,
            max_segment: Duration::from_secs(10),
            min_target_duration: 1,
        },
        0,
        0,
    );
    seg.set_audio(Some(AacConfig {
        sample_rate: RATE,
        channels: 1,
    }));
    let t0 = SystemTime::now();
    let mut next_audio = 0;
    for (i, nals) in video.into_iter().enumerate() {
        let pts = Duration::from_millis(40 * i as u64);
        // As live: the audio captured up to this frame arrives before it.
        while next_audio < audio.len() && UNIT * next_audio as u32 <= pts {
            let at = UNIT * next_audio as u32;
            seg.push_audio(&Frame {
                channel: 0,
                seq: next_audio as u32,
                pts: at,
                wallclock: t0 + at,
                keyframe: true,
                nals: vec![audio[next_audio].clone()],
            });
            next_audio += 1;
        }
        let keyframe = nals.iter().any(|n| n[0] & 0x1f == 5);
        seg.push(std::sync::Arc::new(Frame {
            channel: 0,
            seq: i as u32,
            pts,
            wallclock: t0 + pts,
            keyframe,
            nals,
        }));
    }
    // IDRs every 25 frames: 3 complete segments and the open one, every part of all four
    // (the frames after the last part wait for the part to fill).
    assert_eq!(seg.segments().len(), 4);
    let video_secs: f64 = seg.segments().iter().map(|s| s.duration()).sum();
    let frames = (video_secs / 0.04).round() as usize;
    assert!(frames >= 90, "{video_secs} s muxed");
    let mut file = seg.init(0).unwrap().to_vec();
    for s in seg.segments() {
        file.extend_from_slice(&s.data());
    }
    let mp4 = dir.path().join("stream.mp4");
    if let Ok(keep) = std::env::var("NVT_KEEP_MP4") {
        std::fs::write(keep, &file).unwrap();
    }
    std::fs::write(&mp4, &file).unwrap();

    // Both tracks, each decoded to the end.
    let probe = String::from_utf8(run(Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-count_packets", "-show_entries"])
        .args([
            "stream=codec_type,codec_name,profile,sample_rate,channels,width,nb_read_frames,nb_read_packets",
            "-of",
            "compact",
        ])
        .arg(&mp4)))
    .unwrap();
    println!("{probe}");
    let video_line = probe.lines().find(|l| l.contains("codec_type=video"));
    let audio_line = probe.lines().find(|l| l.contains("codec_type=audio"));
    let (video_line, audio_line) = (video_line.unwrap(), audio_line.unwrap());
    assert!(video_line.contains("codec_name=h264") && video_line.contains("width=640"));
    assert!(
        video_line.contains(&format!("nb_read_frames={frames}")),
        "{video_line}, expected {frames}"
    );
    assert!(
        audio_line.contains("codec_name=aac")
            && audio_line.contains("profile=LC")
            && audio_line.contains("sample_rate=16000")
            && audio_line.contains("channels=1"),
        "{audio_line}"
    );
    // The units captured before the last part's end, 64 ms each.
    let units = (0..next_audio)
        .filter(|k| (UNIT * *k as u32).as_secs_f64() < video_secs - 1e-9)
        .count();
    assert!(
        audio_line.contains(&format!("nb_read_frames={units}")),
        "{audio_line}, expected {units}"
    );

    // Packet timing: audio starts with the video and runs as long.
    let packets = String::from_utf8(run(Command::new("ffprobe")
        .args(["-v", "error", "-show_entries"])
        .args([
            "packet=stream_index,pts_time,duration_time",
            "-of",
            "csv=p=0",
        ])
        .arg(&mp4)))
    .unwrap();
    let mut span = [(f64::MAX, 0f64); 2];
    for l in packets.lines() {
        let f: Vec<&str> = l.split(',').collect();
        let (i, pts, dur): (usize, f64, f64) = (
            f[0].parse().unwrap(),
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
        );
        span[i].0 = span[i].0.min(pts);
        span[i].1 = span[i].1.max(pts + dur);
    }
    println!("video {:?}, audio {:?}", span[0], span[1]);
    assert!(
        (span[0].1 - span[0].0 - video_secs).abs() < 1e-3,
        "{span:?}"
    );
    assert!(
        (span[1].1 - span[1].0 - units as f64 * 0.064).abs() < 1e-3,
        "{span:?}"
    );
    assert!((span[1].0 - span[0].0).abs() < 0.064, "{span:?}");

    // The sound decodes to the beeps: loud samples once a second, near silence between.
    let pcm = run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&mp4)
        .args(["-map", "0:a", "-f", "s16le", "-ac", "1", "-"]));
    let samples: Vec<i16> = pcm
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert!(
        samples.len() >= units * 1024 - 1024,
        "{} samples",
        samples.len()
    );
    // The 1 kHz tone at ffmpeg's default amplitude (1/8 of full scale): peaks near 4096.
    let peak = samples
        .iter()
        .map(|s| i32::from(*s).abs())
        .max()
        .unwrap_or(0);
    println!("{} samples, peak {peak}", samples.len());
    assert!(peak > 2000, "silent audio: peak {peak}");
}

/// G.711 in MP4 is refused by browsers' MSE (docs/web.md, "Audio"): a profile whose audio is
/// PCMU keeps a video-only HLS, while the same setup with AAC gets the audio track
/// (tests/web_chromium_audio.rs).
#[test]
fn g711_audio_leaves_hls_video_only() {
    const PASSWORD: &str = "hls-g711-Secret1";
    let state = support::temp_state();
    let (_nvt, http) = support::Daemon::start_admin(state.path(), PASSWORD, &[]);
    let media1 = |op: &str, inner: &str| {
        let r = support::soap::call(
            http,
            support::soap::MEDIA,
            Some(("admin", PASSWORD)),
            &format!("<trt:{op}>{inner}</trt:{op}>"),
        );
        assert_eq!(r.status, 200, "{op} {inner}\n{}", r.raw);
    };
    let add = |config: &str| {
        format!(
            "<trt:ProfileToken>main</trt:ProfileToken>\
             <trt:ConfigurationToken>{config}</trt:ConfigurationToken>"
        )
    };
    media1("AddAudioSourceConfiguration", &add("asc0"));
    media1("AddAudioEncoderConfiguration", &add("aenc0"));
    media1(
        "SetAudioEncoderConfiguration",
        r#"<trt:Configuration token="aenc0"><tt:Name>Mic</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>G711</tt:Encoding><tt:Bitrate>64</tt:Bitrate><tt:SampleRate>8</tt:SampleRate><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5006</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
    );
    let url = format!("http://admin:{PASSWORD}@127.0.0.1:{http}/hls/main/index.m3u8");
    let streams = String::from_utf8(run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name",
        ])
        .args(["-of", "compact"])
        .arg(&url)))
    .unwrap();
    assert!(streams.contains("codec_name=h264"), "{streams}");
    assert!(!streams.contains("codec_type=audio"), "{streams}");
    let multivariant = String::from_utf8(run(Command::new("curl")
        .args(["-sf", "--digest", "-u"])
        .arg(format!("admin:{PASSWORD}"))
        .arg(format!("http://127.0.0.1:{http}/hls/main/index.m3u8"))))
    .unwrap();
    assert!(multivariant.contains("CODECS=\"avc1."), "{multivariant}");
    assert!(!multivariant.contains("mp4a"), "{multivariant}");

    // The contrast that makes the above mean something: the same profile's encoder set to
    // AAC, and the playlist names the AAC track (within the 1 s the session takes to see
    // an audio change).
    media1(
        "SetAudioEncoderConfiguration",
        r#"<trt:Configuration token="aenc0"><tt:Name>Mic</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>AAC</tt:Encoding><tt:Bitrate>64</tt:Bitrate><tt:SampleRate>16</tt:SampleRate><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5006</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let aac = loop {
        let m = String::from_utf8(run(Command::new("curl")
            .args(["-sf", "--digest", "-u"])
            .arg(format!("admin:{PASSWORD}"))
            .arg(format!("http://127.0.0.1:{http}/hls/main/index.m3u8"))))
        .unwrap();
        if m.contains("mp4a.40.2") || std::time::Instant::now() > deadline {
            break m;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert!(aac.contains("mp4a.40.2"), "AAC set, yet: {aac}");
}
