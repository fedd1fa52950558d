//! Board options of the simulator: the `NVT_SYS_CONFIG_S.board_options` string,
//! `key=value` pairs separated by `;`. Unknown keys and bad values are errors so that a
//! typo never silently falls back to a default (see sdk-sys/README.md for every key).

use std::path::PathBuf;

/// Parsed board options with their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where pictures come from: the test pattern, or a V4L2 capture device.
    pub source: Source,
    /// V4L2 capture size asked for (None: the largest up to 1920x1080).
    pub v4l2_size: Option<(u32, u32)>,
    /// V4L2 capture rate asked for (None: the highest up to 30 fps).
    pub v4l2_fps: Option<u32>,
    /// V4L2 controls set at start and whenever the device comes back, by name as
    /// `v4l2-ctl --list-ctrls` shows it (e.g. `power_line_frequency`): settings no ONVIF
    /// request reaches.
    pub v4l2_ctrl: Vec<(String, i32)>,
    /// The hardware H.264 encoder for a V4L2 source (`v4l2_encoder=`).
    pub v4l2_encoder: HwEncoder,
    /// Annex-B H.264 file to replay on every channel instead of encoding the test pattern.
    pub replay: Option<PathBuf>,
    /// Access units per second in replay mode.
    pub replay_fps: u32,
    /// Length of one motion cycle, measured from NVT_SYS_Init.
    pub motion_period_ms: u32,
    /// The object crosses the frame during the first `motion_on_ms` of every cycle.
    pub motion_on_ms: u32,
    /// Serial number reported by NVT_SYS_GetVersion.
    pub serial: String,
    /// Fault injection for robustness tests: what NVT_VENC_GetStream does during the
    /// first `fault_ms` of every `fault_period_ms` (cycles counted from Init, the first
    /// cycle spared).
    pub fault: Option<Fault>,
    pub fault_period_ms: u32,
    pub fault_ms: u32,
    /// The pattern board's GPIO (2 relays, 1 input): `gpio=off` for a board without.
    pub gpio: bool,
    /// The simulated digital input changes level every this many ms.
    pub gpio_input_period_ms: u32,
    /// While this file exists the camera is turned on its mount (`mount.rs`): the picture
    /// looks 90 degrees away, the PTZ head does not know.
    pub turned_file: Option<PathBuf>,
    /// The pattern board's speaker (NVT_AO_*): `speaker=off` for a board without.
    pub speaker: bool,
    /// Append every sample the speaker plays (s16le, mono) to this file.
    pub speaker_file: Option<PathBuf>,
    /// The microphone encodes AAC-LC as well as G.711: `aac=off` for a SoC without.
    pub aac: bool,
}

/// The video source (`source=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `pattern` (the default): the rendered test scene.
    Pattern,
    /// `v4l2:/dev/videoN`: a V4L2 capture device.
    V4l2(PathBuf),
}

/// Which H.264 encoder a V4L2 source's channels use (`v4l2_encoder=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HwEncoder {
    /// `auto` (the default): the first V4L2 memory-to-memory H.264 encoder under /dev (the
    /// Raspberry Pi's /dev/video11), else the software encoder.
    Auto,
    /// `off`: always the software encoder.
    Off,
    /// `/dev/videoN`: that encoder; a node that is not one fails NVT_SYS_Init.
    Path(PathBuf),
}

/// An injected encoder fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// GetStream fails with NVT_ERR_HW; the frames encoded meanwhile are lost.
    Error,
    /// GetStream delivers nothing (times out); the frames encoded meanwhile are lost.
    Stall,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            source: Source::Pattern,
            v4l2_size: None,
            v4l2_fps: None,
            v4l2_ctrl: Vec::new(),
            v4l2_encoder: HwEncoder::Auto,
            replay: None,
            replay_fps: 25,
            motion_period_ms: 10_000,
            motion_on_ms: 4_000,
            serial: "SIM-0000001".to_string(),
            fault: None,
            fault_period_ms: 10_000,
            fault_ms: 1_000,
            gpio: true,
            gpio_input_period_ms: 30_000,
            turned_file: None,
            speaker: true,
            speaker_file: None,
            aac: true,
        }
    }
}

fn parse_u32(key: &str, value: &str, min: u32, max: u32) -> Result<u32, String> {
    let v: u32 = value
        .parse()
        .map_err(|_| format!("{key}: not a number: {value:?}"))?;
    if v < min || v > max {
        return Err(format!("{key}: {v} outside {min}..={max}"));
    }
    Ok(v)
}

impl Options {
    /// Parses `k=v;k=v`. Empty pairs (e.g. a trailing `;`) are allowed. A key given twice
    /// is an error (which one was meant?), except `v4l2_ctrl`, whose lists add up.
    pub fn parse(s: &str) -> Result<Options, String> {
        let mut o = Options::default();
        let mut seen = std::collections::HashSet::new();
        for pair in s.split(';') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?}: expected key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            if key != "v4l2_ctrl" && !seen.insert(key) {
                return Err(format!("{key} given twice"));
            }
            match key {
                "source" => {
                    o.source = if value == "pattern" {
                        Source::Pattern
                    } else if let Some(path) = value.strip_prefix("v4l2:") {
                        if !path.starts_with('/') {
                            return Err(format!("source: v4l2:ABSOLUTE_PATH, got {value:?}"));
                        }
                        if !cfg!(all(feature = "v4l2", target_os = "linux")) {
                            return Err("source: this build has no V4L2 support".into());
                        }
                        Source::V4l2(PathBuf::from(path))
                    } else {
                        return Err(format!(
                            "source: pattern or v4l2:/dev/videoN, got {value:?}"
                        ));
                    };
                }
                "v4l2_size" => {
                    let (w, h) = value
                        .split_once('x')
                        .ok_or_else(|| format!("v4l2_size: WIDTHxHEIGHT, got {value:?}"))?;
                    o.v4l2_size =
                        Some((parse_u32(key, w, 16, 8192)?, parse_u32(key, h, 16, 8192)?));
                }
                "v4l2_fps" => o.v4l2_fps = Some(parse_u32(key, value, 1, 240)?),
                "v4l2_ctrl" => {
                    // name:value[,name:value...]
                    for item in value.split(',') {
                        let (name, v) = item.trim().split_once(':').ok_or_else(|| {
                            format!("v4l2_ctrl: name:value[,name:value...], got {item:?}")
                        })?;
                        let name = name.trim();
                        if name.is_empty()
                            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        {
                            return Err(format!("v4l2_ctrl: bad control name {name:?}"));
                        }
                        let v: i32 = v
                            .trim()
                            .parse()
                            .map_err(|_| format!("v4l2_ctrl: {name}: not a number: {v:?}"))?;
                        o.v4l2_ctrl.push((name.to_string(), v));
                    }
                }
                "v4l2_encoder" => {
                    o.v4l2_encoder = match value {
                        "auto" => HwEncoder::Auto,
                        "off" => HwEncoder::Off,
                        path if path.starts_with('/') => HwEncoder::Path(PathBuf::from(path)),
                        _ => {
                            return Err(format!(
                                "v4l2_encoder: auto, off or /dev/videoN, got {value:?}"
                            ));
                        }
                    }
                }
                "replay" => {
                    if value.is_empty() {
                        return Err("replay: empty path".into());
                    }
                    o.replay = Some(PathBuf::from(value));
                }
                "replay_fps" => o.replay_fps = parse_u32(key, value, 1, 120)?,
                "motion_period_ms" => o.motion_period_ms = parse_u32(key, value, 100, 86_400_000)?,
                "motion_on_ms" => o.motion_on_ms = parse_u32(key, value, 1, 86_400_000)?,
                "serial" => {
                    // Must fit NVT_SYS_VERSION_S.serial (31 bytes + NUL), printable ASCII.
                    if value.is_empty()
                        || value.len() > 31
                        || !value.bytes().all(|b| b.is_ascii_graphic())
                    {
                        return Err(format!("serial: 1..31 printable ASCII chars: {value:?}"));
                    }
                    o.serial = value.to_string();
                }
                "fault" => {
                    o.fault = match value {
                        "error" => Some(Fault::Error),
                        "stall" => Some(Fault::Stall),
                        "none" => None,
                        _ => return Err(format!("fault: error, stall or none: {value:?}")),
                    }
                }
                "fault_period_ms" => o.fault_period_ms = parse_u32(key, value, 100, 86_400_000)?,
                "fault_ms" => o.fault_ms = parse_u32(key, value, 1, 86_400_000)?,
                "gpio" => {
                    o.gpio = match value {
                        "on" => true,
                        "off" => false,
                        _ => return Err(format!("gpio: on or off: {value:?}")),
                    }
                }
                "turned_file" => {
                    if value.is_empty() {
                        return Err("turned_file: empty path".into());
                    }
                    o.turned_file = Some(PathBuf::from(value));
                }
                "gpio_input_period_ms" => {
                    o.gpio_input_period_ms = parse_u32(key, value, 100, 86_400_000)?
                }
                "speaker" => {
                    o.speaker = match value {
                        "on" => true,
                        "off" => false,
                        _ => return Err(format!("speaker: on or off: {value:?}")),
                    }
                }
                "speaker_file" => {
                    if value.is_empty() {
                        return Err("speaker_file: empty path".into());
                    }
                    o.speaker_file = Some(PathBuf::from(value));
                }
                "aac" => {
                    o.aac = match value {
                        "on" => true,
                        "off" => false,
                        _ => return Err(format!("aac: on or off: {value:?}")),
                    }
                }
                _ => return Err(format!("unknown board option {key:?}")),
            }
        }
        if o.motion_on_ms > o.motion_period_ms {
            return Err("motion_on_ms must be <= motion_period_ms".into());
        }
        if o.fault_ms >= o.fault_period_ms {
            return Err("fault_ms must be < fault_period_ms".into());
        }
        if o.source != Source::Pattern && o.replay.is_some() {
            return Err("replay and a v4l2 source exclude each other".into());
        }
        // A V4L2 device is a PC's camera: the simulated board's GPIO is not there.
        if o.source != Source::Pattern && (seen.contains("gpio") && o.gpio) {
            return Err("gpio=on needs the pattern source (a V4L2 source has no GPIO)".into());
        }
        if seen.contains("gpio_input_period_ms") && !(o.gpio && o.source == Source::Pattern) {
            return Err("gpio_input_period_ms needs the pattern board's GPIO".into());
        }
        // Like the GPIO, the speaker is the simulated board's: a V4L2 source is a PC camera.
        if o.source != Source::Pattern && (seen.contains("speaker") && o.speaker) {
            return Err("speaker=on needs the pattern source (a V4L2 source has none)".into());
        }
        if o.turned_file.is_some() && (o.source != Source::Pattern || o.replay.is_some()) {
            return Err("turned_file needs the pattern board's rendered picture".into());
        }
        if o.speaker_file.is_some() && !(o.speaker && o.source == Source::Pattern) {
            return Err("speaker_file needs the pattern board's speaker".into());
        }
        if o.source == Source::Pattern
            && (o.v4l2_size.is_some()
                || o.v4l2_fps.is_some()
                || !o.v4l2_ctrl.is_empty()
                || o.v4l2_encoder != HwEncoder::Auto)
        {
            return Err(
                "v4l2_size, v4l2_fps, v4l2_ctrl and v4l2_encoder need source=v4l2:...".into(),
            );
        }
        Ok(o)
    }
}

/// The fuzz target `sdk_board_options` (and the corpus replay test): never a panic, and
/// what parses keeps its invariants.
pub fn fuzz_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(o) = Options::parse(text) {
        assert!(o.motion_on_ms <= o.motion_period_ms);
        assert!(o.fault_ms < o.fault_period_ms);
        assert!(o.source == Source::Pattern || o.replay.is_none());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_options() {
        let o = Options::parse("fault=stall;fault_period_ms=3000;fault_ms=500").unwrap();
        assert_eq!(
            (o.fault, o.fault_period_ms, o.fault_ms),
            (Some(Fault::Stall), 3000, 500)
        );
        assert_eq!(
            Options::parse("fault=error").unwrap().fault,
            Some(Fault::Error)
        );
        assert!(Options::parse("fault=boom").is_err());
        assert!(Options::parse("fault=error;fault_period_ms=1000;fault_ms=1000").is_err());
    }

    #[test]
    fn speaker_options() {
        let o = Options::parse("turned_file=/tmp/t").unwrap();
        assert_eq!(o.turned_file, Some(PathBuf::from("/tmp/t")));
        assert!(Options::parse("turned_file=").is_err());
        assert!(Options::parse("turned_file=/tmp/t;replay=/tmp/x.h264").is_err());
        let o = Options::parse("speaker_file=/tmp/x.s16").unwrap();
        assert!(o.speaker);
        assert_eq!(o.speaker_file, Some(PathBuf::from("/tmp/x.s16")));
        assert!(!Options::parse("speaker=off").unwrap().speaker);
        assert!(Options::parse("").unwrap().aac);
        assert!(!Options::parse("aac=off").unwrap().aac);
        assert!(Options::parse("aac=no").is_err());
        for bad in [
            "speaker=maybe",
            "speaker_file=",
            "speaker=off;speaker_file=/tmp/x",
            "source=v4l2:/dev/video0;speaker=on",
            "source=v4l2:/dev/video0;speaker_file=/tmp/x",
        ] {
            assert!(Options::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gpio_options() {
        let o = Options::parse("gpio_input_period_ms=500").unwrap();
        assert_eq!((o.gpio, o.gpio_input_period_ms), (true, 500));
        assert!(!Options::parse("gpio=off").unwrap().gpio);
        for bad in [
            "gpio=maybe",
            "gpio_input_period_ms=99",
            "gpio=off;gpio_input_period_ms=1000",
            "source=v4l2:/dev/video0;gpio=on",
            "source=v4l2:/dev/video0;gpio_input_period_ms=1000",
        ] {
            assert!(Options::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn empty_gives_defaults() {
        assert_eq!(Options::parse("").unwrap(), Options::default());
        assert_eq!(Options::parse(" ; ;").unwrap(), Options::default());
    }

    #[test]
    fn parses_every_key() {
        let o = Options::parse(
            "replay=/tmp/a.h264; replay_fps=10;motion_period_ms=2000;motion_on_ms=500;serial=ABC-1;",
        )
        .unwrap();
        assert_eq!(
            o.replay.as_deref(),
            Some(std::path::Path::new("/tmp/a.h264"))
        );
        assert_eq!(o.replay_fps, 10);
        assert_eq!(o.motion_period_ms, 2000);
        assert_eq!(o.motion_on_ms, 500);
        assert_eq!(o.serial, "ABC-1");
    }

    #[test]
    fn v4l2_source_options() {
        let o = Options::parse("source=v4l2:/dev/video0;v4l2_size=640x480;v4l2_fps=25").unwrap();
        assert_eq!(o.source, Source::V4l2(PathBuf::from("/dev/video0")));
        assert_eq!((o.v4l2_size, o.v4l2_fps), (Some((640, 480)), Some(25)));
        assert_eq!(o.v4l2_encoder, HwEncoder::Auto);
        // Control lists add up (the only key that may come twice).
        let o = Options::parse("source=v4l2:/dev/video0;v4l2_ctrl=a:1;v4l2_ctrl=b:2").unwrap();
        assert_eq!(o.v4l2_ctrl, [("a".to_string(), 1), ("b".to_string(), 2)]);
        for (text, want) in [
            ("off", HwEncoder::Off),
            ("auto", HwEncoder::Auto),
            (
                "/dev/video11",
                HwEncoder::Path(PathBuf::from("/dev/video11")),
            ),
        ] {
            let o = Options::parse(&format!("source=v4l2:/dev/video0;v4l2_encoder={text}"));
            assert_eq!(o.unwrap().v4l2_encoder, want, "{text}");
        }
        assert_eq!(
            Options::parse("source=pattern").unwrap().source,
            Source::Pattern
        );
        for bad in [
            "source=v4l2:video0",
            "source=usb",
            "v4l2_size=640x480",
            "source=v4l2:/dev/video0;v4l2_size=640",
            "source=v4l2:/dev/video0;v4l2_size=640x0",
            "source=v4l2:/dev/video0;v4l2_fps=0",
            "source=v4l2:/dev/video0;replay=/tmp/a.h264",
            "v4l2_ctrl=brightness:1",
            "source=v4l2:/dev/video0;v4l2_ctrl=brightness",
            "source=v4l2:/dev/video0;v4l2_ctrl=bright ness:1",
            "source=v4l2:/dev/video0;v4l2_ctrl=brightness:x",
            "v4l2_encoder=off",
            "source=v4l2:/dev/video0;v4l2_encoder=video11",
            "source=v4l2:/dev/video0;v4l2_encoder=",
            "source=v4l2:/dev/video0;source=pattern",
            "source=v4l2:/dev/video0;v4l2_fps=10;v4l2_fps=25",
        ] {
            assert!(Options::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "foo=1",
            "replay_fps",
            "replay_fps=0",
            "replay_fps=x",
            "replay=",
            "motion_period_ms=1000;motion_on_ms=2000",
            "serial=has space",
            "serial=0123456789012345678901234567890123",
        ] {
            assert!(Options::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
