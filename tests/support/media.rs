//! ffprobe/ffmpeg as the judges of what the camera produces.

use std::path::Path;
use std::process::Command;

use nvt::frame::Frame;

/// What ffprobe decodes from a file.
#[derive(Debug)]
pub struct Probe {
    pub width: u32,
    pub height: u32,
    pub profile: String,
    /// Frames actually decoded (`-count_frames`).
    pub frames: u32,
}

pub fn ffprobe(path: &Path) -> Probe {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=width,height,profile,nb_read_frames",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe (apt-get install ffmpeg)");
    assert!(
        out.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["streams"][0];
    Probe {
        width: s["width"].as_u64().unwrap() as u32,
        height: s["height"].as_u64().unwrap() as u32,
        profile: s["profile"].as_str().unwrap_or("").to_owned(),
        frames: s["nb_read_frames"].as_str().unwrap().parse().unwrap(),
    }
}

/// Decodes every frame and returns whether each is a keyframe, failing on any decode error.
pub fn keyframes(path: &Path) -> Vec<bool> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=key_frame",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "decode errors: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().trim_end_matches(',') == "1")
        .collect()
}

/// Decodes a file with ffmpeg and fails on any error message (corrupt slices and the like).
pub fn decodes_cleanly(path: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Mean luma (0..255) of a picture, by ffmpeg's signalstats.
pub fn mean_luma(path: &Path) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-v", "info", "-i"])
        .arg(path)
        .args([
            "-vf",
            "signalstats,metadata=print:key=lavfi.signalstats.YAVG",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .find(|l| l.contains("lavfi.signalstats.YAVG="))
        .unwrap_or_else(|| panic!("no YAVG in {text}"));
    line.rsplit('=').next().unwrap().trim().parse().unwrap()
}

/// Writes frames as an Annex-B elementary stream.
pub fn write_h264(path: &Path, frames: &[Frame]) {
    let mut out = Vec::new();
    for f in frames {
        f.write_annex_b(&mut out);
    }
    std::fs::write(path, out).unwrap();
}
