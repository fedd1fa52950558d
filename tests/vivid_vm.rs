//! nvt inside a QEMU VM whose kernel has the virtual video capture driver `vivid`
//! (tests/support/vm.rs), driven from the host through loopback port forwards with the clients
//! the other tests use: raw SOAP, curl (snapshot, Digest), ffprobe over RTSP/TCP and RTSP/UDP.
//!
//! Every test here is `#[ignore = "needs the vivid VM: ..."]`: it needs QEMU and a kernel that
//! a plain `cargo nextest run` does not install. scripts/test-all's "vm tests" stage runs
//! them; by hand:
//!
//! ```sh
//! scripts/vm-kernel.sh     # once: qemu-system-x86, busybox-static, cpio, Debian's kernel
//! cargo nextest run --workspace --locked --no-fail-fast --profile ci \
//!   --run-ignored only -E 'binary(vivid_vm)'
//! ```
//!
//! A VM boots in ~20 s and runs everything ~5-10x slower than the host (software emulation),
//! so each test boots one VM and runs several checks on it.
//!
//! Today nvt runs its simulator in the VM: that proves the harness (boot, forwards, RTP over
//! UDP through QEMU's user network). The camera's V4L2 source (issue 16) will read vivid's
//! /dev/video0; switching a test to it is its `Source` line.

mod support;

use std::path::Path;
use std::process::Command;

use support::soap;
use support::vm::Vm;

const PASSWORD: &str = "vm-Secret1";

/// What nvt captures from in the VM.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// nvt's simulated SoC (no --source): test pattern, main 1280x720 and sub 640x360.
    Simulator,
    /// vivid's /dev/video0 through nvt's V4L2 source, in the capture mode given by the SDK
    /// options (vivid's webcam input offers 640x480 and 1280x720 among others).
    #[allow(dead_code)] // TODO(issue 16): used once the lead's V4L2 source lands in sdk-sys.
    Vivid(Mode),
}

/// A capture mode of vivid.
#[derive(Clone, Copy, Debug)]
struct Mode {
    width: u32,
    height: u32,
    fps: u32,
}

impl Source {
    /// nvt's arguments for this source.
    fn args(self) -> Vec<String> {
        match self {
            Source::Simulator => Vec::new(),
            Source::Vivid(m) => vec![
                "--source".into(),
                "v4l2:/dev/video0".into(),
                "--sdk-options".into(),
                format!("v4l2_size={}x{};v4l2_fps={}", m.width, m.height, m.fps),
            ],
        }
    }
}

/// nvt booted in a VM on `source`, its state in the guest's RAM.
struct Camera {
    vm: Vm,
}

impl Camera {
    fn boot(source: Source) -> Camera {
        let extra = source.args();
        let mut args = vec![
            "--state-dir",
            "/state",
            "--http-port",
            "{http_port}",
            "--rtsp-port",
            "{rtsp_port}",
            "--no-discovery",
        ];
        args.extend(extra.iter().map(String::as_str));
        let vm = Vm::boot(
            Path::new(support::NVT),
            &args,
            &[("NVT_ADMIN_PASSWORD", PASSWORD), ("RUST_LOG", "info")],
        );
        eprintln!("{source:?}: VM booted to SOAP in {:?}", vm.booted_in());
        Camera { vm }
    }

    /// POSTs `body` to the service at `path` as admin (WS-UsernameToken), asserting 200.
    fn soap(&self, path: &str, body: &str) -> nvt::xml::Element {
        let (status, reply) = soap::post(self.vm.http_port(), path, "admin", PASSWORD, body);
        assert_eq!(status, 200, "{body}: {reply}");
        nvt::xml::parse(reply.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {reply}"))
    }

    /// Asserts nvt still runs: when it exits, /init powers the guest off and QEMU ends.
    fn still_running(&mut self) {
        assert!(self.vm.running(), "nvt exited in the guest");
    }

    /// The RTSP URL of profile `name` with admin's credentials.
    fn rtsp_url(&self, name: &str) -> String {
        format!(
            "rtsp://admin:{PASSWORD}@127.0.0.1:{}/{name}",
            self.vm.rtsp_port()
        )
    }
}

/// Every element named `name` (local name) under `el`, depth first.
fn find<'a>(el: &'a nvt::xml::Element, name: &str, out: &mut Vec<&'a nvt::xml::Element>) {
    if el.name == name {
        out.push(el);
    }
    for c in &el.children {
        find(c, name, out);
    }
}

fn all<'a>(el: &'a nvt::xml::Element, name: &str) -> Vec<&'a nvt::xml::Element> {
    let mut out = Vec::new();
    find(el, name, &mut out);
    out
}

/// The text of the first element named `name` under `el`.
fn text(el: &nvt::xml::Element, name: &str) -> String {
    all(el, name)
        .first()
        .unwrap_or_else(|| panic!("no {name} in {el:?}"))
        .text
        .clone()
}

/// What ffprobe decoded of an RTSP stream.
#[derive(Debug)]
struct Decoded {
    width: u32,
    height: u32,
    frames: usize,
    /// Frames per second of stream time (the RTP timestamps: capture time).
    fps: f64,
}

/// Decodes the first `frames` frames of `url` over `transport` (tcp or udp), failing on any
/// decode error (over UDP: any packet lost).
fn decode(url: &str, transport: &str, frames: usize) -> Decoded {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-rtsp_transport", transport])
        // A stream that stops (UDP that never arrives) ends the probe, not the test run.
        .args(["-timeout", "20000000", "-select_streams", "v:0"])
        .args(["-read_intervals", &format!("%+#{frames}")])
        .args([
            "-show_entries",
            "frame=width,height,pts_time",
            "-of",
            "json",
        ])
        .arg(url)
        .output()
        .expect("run ffprobe (apt-get install ffmpeg)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "ffprobe {url} over {transport}: {stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<(u32, u32, f64)> = v["frames"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| {
            Some((
                f["width"].as_u64()? as u32,
                f["height"].as_u64()? as u32,
                f["pts_time"].as_str()?.parse().ok()?,
            ))
        })
        .collect();
    assert!(rows.len() >= 2, "ffprobe decoded {} frames", rows.len());
    let (width, height, first) = rows[0];
    assert!(
        rows.iter().all(|r| (r.0, r.1) == (width, height)),
        "the size changed mid-stream"
    );
    let last = rows.last().unwrap().2;
    Decoded {
        width,
        height,
        frames: rows.len(),
        fps: (rows.len() - 1) as f64 / (last - first),
    }
}

/// A snapshot of profile `name` by HTTP Digest (curl), saved under `dir`.
fn snapshot(cam: &Camera, name: &str, dir: &Path) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.jpg"));
    let out = Command::new("curl")
        .args(["-sS", "-f", "--max-time", "60", "--digest", "-u"])
        .arg(format!("admin:{PASSWORD}"))
        .arg("-o")
        .arg(&path)
        .arg(format!(
            "http://127.0.0.1:{}/snapshot/{name}",
            cam.vm.http_port()
        ))
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "snapshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jpeg = std::fs::read(&path).unwrap();
    assert_eq!(&jpeg[..2], b"\xff\xd8", "not a JPEG: {} bytes", jpeg.len());
    path
}

/// (width, height) of the source GetVideoSources reports, and its frame rate.
fn video_source(cam: &Camera) -> (u32, u32, f64) {
    let r = cam.soap(soap::MEDIA, "<trt:GetVideoSources/>");
    let sources = all(&r, "VideoSources");
    assert_eq!(sources.len(), 1, "{r:?}");
    let s = sources[0];
    (
        text(s, "Width").parse().unwrap(),
        text(s, "Height").parse().unwrap(),
        text(s, "Framerate").parse().unwrap(),
    )
}

/// GetVideoEncoderConfiguration of `token` (`venc_main`, `venc_sub`).
fn encoder(cam: &Camera, token: &str) -> nvt::xml::Element {
    cam.soap(
        soap::MEDIA,
        &format!(
            "<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>{token}</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>"
        ),
    )
}

/// The resolution of video encoder configuration `token`.
fn encoder_size(cam: &Camera, token: &str) -> (u32, u32) {
    let r = encoder(cam, token);
    (
        text(&r, "Width").parse().unwrap(),
        text(&r, "Height").parse().unwrap(),
    )
}

/// Runs a Python client of HA's library (onvif-zeep-async) against the camera; its stdout.
fn zeep(script: &str, args: &[&str]) -> String {
    let out = Command::new(support::python::zeep())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script))
        .args(args)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} {args:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

// ---- The checks. Each takes the booted camera; a test runs several on one VM. ----

/// GetDeviceInformation answers with a model and a serial number (WS-UsernameToken: the
/// guest's clock is the host's, through the emulated RTC).
fn device_information(cam: &Camera) {
    let info = cam.soap(soap::DEVICE, "<tds:GetDeviceInformation/>");
    assert!(!text(&info, "Model").is_empty(), "{info:?}");
    assert!(!text(&info, "SerialNumber").is_empty(), "{info:?}");
}

/// A snapshot of `profile` is a JPEG of `size`.
fn snapshot_is(cam: &Camera, profile: &str, size: (u32, u32)) {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = snapshot(cam, profile, dir.path());
    let probe = support::media::ffprobe(&jpeg);
    assert_eq!((probe.width, probe.height), size, "{probe:?}");
}

/// `profile` decodes at `size` over RTSP/TCP and over RTSP/UDP, live: a new viewer gets the
/// cached frames since the last IDR at once (at most a GOP, in a burst), so more frames than
/// the GOP holds prove frames captured after it connected came through. Returns the rates
/// (TCP, UDP).
fn streams_over_tcp_and_udp(cam: &Camera, profile: &str, size: (u32, u32)) -> (f64, f64) {
    let gop: usize = text(&encoder(cam, &format!("venc_{profile}")), "GovLength")
        .parse()
        .unwrap();
    let mut rates = Vec::new();
    for transport in ["tcp", "udp"] {
        let d = decode(&cam.rtsp_url(profile), transport, gop + 5);
        eprintln!("{profile} over {transport}: {d:?}");
        assert_eq!((d.width, d.height), size, "{transport}: {d:?}");
        assert!(d.frames > gop, "{transport}: {d:?}, GOP {gop}");
        rates.push(d.fps);
    }
    (rates[0], rates[1])
}

/// vivid's capture mode is what the camera says and delivers: GetVideoSources reports it, and
/// the main stream decodes at its size and rate over TCP and UDP.
fn delivers_the_mode(cam: &Camera, mode: Mode) {
    let (w, h, fps) = video_source(cam);
    assert_eq!((w, h), (mode.width, mode.height), "GetVideoSources");
    assert!(
        (fps - f64::from(mode.fps)).abs() < 0.01,
        "GetVideoSources: {fps} fps"
    );
    let (tcp, udp) = streams_over_tcp_and_udp(cam, "main", (mode.width, mode.height));
    for (transport, rate) in [("tcp", tcp), ("udp", udp)] {
        // RTP timestamps are capture times: a frame lost on the way lowers the rate.
        let want = f64::from(mode.fps);
        assert!(
            (rate - want).abs() <= want * 0.1,
            "{transport}: {rate:.2} fps, vivid captures at {want}"
        );
    }
}

/// The sizes vivid's webcam input offers (vivid-vid-cap.c, webcam_sizes, Linux 6.1).
const VIVID_SIZES: &[(u32, u32)] = &[
    (320, 180),
    (640, 360),
    (640, 480),
    (1280, 720),
    (1920, 1080),
    (3840, 2160),
];

/// GetVideoEncoderConfigurationOptions offers only what vivid captures, the mode among them,
/// with a frame rate range holding the mode's rate.
fn options_are_vivids(cam: &Camera, mode: Mode) {
    let r = cam.soap(
        soap::MEDIA,
        "<trt:GetVideoEncoderConfigurationOptions><trt:ProfileToken>main</trt:ProfileToken></trt:GetVideoEncoderConfigurationOptions>",
    );
    let h264 = all(&r, "H264");
    let h264 = h264
        .first()
        .unwrap_or_else(|| panic!("no H264 options: {r:?}"));
    let sizes: Vec<(u32, u32)> = all(h264, "ResolutionsAvailable")
        .iter()
        .map(|e| {
            (
                text(e, "Width").parse().unwrap(),
                text(e, "Height").parse().unwrap(),
            )
        })
        .collect();
    assert!(sizes.contains(&(mode.width, mode.height)), "{sizes:?}");
    assert!(sizes.iter().all(|s| VIVID_SIZES.contains(s)), "{sizes:?}");
    let range = all(h264, "FrameRateRange");
    let range = range.first().unwrap();
    let min: u32 = text(range, "Min").parse().unwrap();
    let max: u32 = text(range, "Max").parse().unwrap();
    assert!((min..=max).contains(&mode.fps), "{min}..={max}");
}

/// SetImagingSettings from the lowest to the highest brightness raises the snapshot's mean
/// luma (the source's own brightness: vivid's control, the simulator's ISP).
fn brightness_changes_the_picture(cam: &Camera) {
    let opts = cam.soap(
        soap::IMAGING,
        "<timg:GetOptions><timg:VideoSourceToken>vs0</timg:VideoSourceToken></timg:GetOptions>",
    );
    let b = all(&opts, "Brightness");
    let b = b
        .first()
        .unwrap_or_else(|| panic!("no Brightness: {opts:?}"));
    let set = |level: &str| {
        cam.soap(
            soap::IMAGING,
            &format!(
                "<timg:SetImagingSettings><timg:VideoSourceToken>vs0</timg:VideoSourceToken><timg:ImagingSettings><tt:Brightness>{level}</tt:Brightness></timg:ImagingSettings></timg:SetImagingSettings>"
            ),
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let luma = || support::media::mean_luma(&snapshot(cam, "sub", dir.path()));
    // The picture follows within frames; the guest is slow, so poll for a while.
    let settle = |want: &dyn Fn(f64) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let l = luma();
            if want(l) || std::time::Instant::now() > deadline {
                return l;
            }
        }
    };
    set(&text(b, "Min"));
    let dark = settle(&|l| l < 60.0);
    set(&text(b, "Max"));
    let bright = settle(&|l| l > dark + 40.0);
    eprintln!("brightness: mean luma {dark:.1} at Min, {bright:.1} at Max");
    assert!(bright > dark + 40.0, "mean luma {dark:.1} -> {bright:.1}");
}

/// SetVideoEncoderConfiguration (HA's library) to another offered size: the main stream
/// decodes at that size afterwards.
fn encoder_change_changes_the_stream(cam: &Camera) {
    let r = cam.soap(
        soap::MEDIA,
        "<trt:GetVideoEncoderConfigurationOptions><trt:ProfileToken>main</trt:ProfileToken></trt:GetVideoEncoderConfigurationOptions>",
    );
    let current = encoder_size(cam, "venc_main");
    // The smallest other size: the cheapest to encode and decode in the emulated guest.
    let h264 = all(&r, "H264");
    let mut sizes: Vec<(u32, u32)> = all(h264[0], "ResolutionsAvailable")
        .iter()
        .map(|e| {
            (
                text(e, "Width").parse().unwrap(),
                text(e, "Height").parse().unwrap(),
            )
        })
        .filter(|s| *s != current)
        .collect();
    sizes.sort_by_key(|(w, h)| w * h);
    let &(w, h) = sizes
        .first()
        .unwrap_or_else(|| panic!("one size offered: {r:?}"));
    let port = cam.vm.http_port().to_string();
    zeep(
        "conformance/onvif-zeep/ha_media.py",
        &[
            "127.0.0.1",
            &port,
            "admin",
            PASSWORD,
            "wsse",
            "set",
            "venc_main",
            &w.to_string(),
            &h.to_string(),
        ],
    );
    let d = decode(&cam.rtsp_url("main"), "tcp", 5);
    assert_eq!((d.width, d.height), (w, h), "{current:?} -> {w}x{h}: {d:?}");
}

/// Home Assistant's ONVIF integration from the config flow to a running entry
/// (conformance/ha_flow_client.py, HA's library onvif-zeep-async): device, profiles, stream
/// (ffprobe), snapshot; motion events (HA's pull-point loop sees a MotionAlarm turn on and
/// off within 30 s); brightness set and read back; SystemReboot and reconnect with the
/// brightness kept. Returns the steps' reports.
fn home_assistant_flow_passes(cam: &Camera) -> Vec<serde_json::Value> {
    let xaddr = format!(
        "http://127.0.0.1:{}/onvif/device_service",
        cam.vm.http_port()
    );
    let out = zeep(
        "conformance/ha_flow_client.py",
        &[&xaddr, "admin", PASSWORD],
    );
    let steps: Vec<serde_json::Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let names: Vec<&str> = steps.iter().filter_map(|s| s["step"].as_str()).collect();
    assert_eq!(
        names,
        [
            "config_flow",
            "setup",
            "events",
            "imaging",
            "reboot_reconnect",
            "done"
        ],
        "{out}"
    );
    assert!(steps.iter().all(|s| s["ok"] == true), "{out}");
    steps
}

/// The harness end to end: SOAP, GetVideoSources, a snapshot, and the RTSP stream decoded
/// over TCP and over UDP (RTP from the guest to 10.0.2.2, which QEMU's user network hands to
/// the host's loopback).
#[test]
#[ignore = "needs the vivid VM: scripts/test-all stage \"vm tests\" runs it"]
fn nvt_in_the_vm_answers_soap_streams_over_tcp_and_udp_and_serves_snapshots() {
    // TODO(issue 16, the lead's V4L2 source in sdk-sys): Source::Vivid(VGA), which runs the
    // vivid checks at the end too.
    let source = Source::Simulator;
    let mut cam = Camera::boot(source);
    // vivid made its capture node, and the binary's log reaches the console (what a failing
    // test prints).
    let console = cam.vm.console();
    assert!(console.contains("vm: /dev/video0 "), "{console}");
    assert!(console.contains("nvt running"), "{console}");
    device_information(&cam);
    // The sub stream: the one the emulated guest encodes fastest; what the camera says its
    // size is, the snapshot and the stream are.
    let sub = encoder_size(&cam, "venc_sub");
    let (w, h, fps) = video_source(&cam);
    assert!(w >= sub.0 && h >= sub.1 && fps > 0.0, "{w}x{h} at {fps}");
    snapshot_is(&cam, "sub", sub);
    let (tcp, udp) = streams_over_tcp_and_udp(&cam, "sub", sub);
    eprintln!("sub: {tcp:.1} fps over TCP, {udp:.1} fps over UDP");
    // On vivid: its mode is what the camera reports, offers and delivers (TCP and UDP).
    if let Source::Vivid(mode) = source {
        delivers_the_mode(&cam, mode);
        options_are_vivids(&cam, mode);
    }
    cam.still_running();
}

/// What Home Assistant and an operator do with the camera: brightness visibly changes the
/// picture, the HA setup flow passes (motion events among its steps), and an encoder change
/// changes the stream's size.
#[test]
#[ignore = "needs the vivid VM: scripts/test-all stage \"vm tests\" runs it"]
fn home_assistant_sets_up_the_camera_in_the_vm_and_changes_take_effect() {
    // TODO(issue 16, the lead's V4L2 source in sdk-sys): Source::Vivid(VGA). Motion needs
    // vivid's pattern to move: it stands still by default (control "Horizontal Movement" =
    // "No Movement"; only its OSD text changes), so the V4L2 source, or the guest, must set
    // horizontal_movement to a moving value (e.g. 5, "Move Right") for the events step.
    let mut cam = Camera::boot(Source::Simulator);
    brightness_changes_the_picture(&cam);
    let steps = home_assistant_flow_passes(&cam);
    eprintln!("Home Assistant flow: {steps:?}");
    // Last: it moves the main stream away from its first size.
    encoder_change_changes_the_stream(&cam);
    cam.still_running();
}

/// vivid's webcam input at 640x480 (it offers 1 to 25 fps there). The rates here are ones the
/// emulated guest keeps up with while capturing and encoding: it runs several times slower
/// than the host, and a frame it cannot encode in time lowers the decoded rate, which the
/// checks would read as vivid's. Measured with the simulator in the VM (-smp 1, the host
/// busy with builds): main 1280x720 plus sub 640x360 sustained 2 fps, not 5 (1.6); both at
/// 640x360 made 6.4 of 10.
#[allow(dead_code)] // TODO(issue 16): the tests' source once the V4L2 source lands.
const VGA: Mode = Mode {
    width: 640,
    height: 480,
    fps: 5,
};

/// vivid's webcam input at 1280x720 (bigger sizes get fewer intervals: 1 to 12.5 fps).
const HD: Mode = Mode {
    width: 1280,
    height: 720,
    fps: 2,
};

/// vivid at 1280x720: GetVideoSources, the encoder options and the decoded main stream (TCP,
/// UDP) are vivid's mode.
// TODO(issue 16): waiting for the lead's V4L2 source in sdk-sys (nvt `--source
// v4l2:/dev/video0`, SDK options v4l2_size/v4l2_fps). When it lands, give this `#[test]` and
// `#[ignore = "needs the vivid VM: scripts/test-all stage \"vm tests\" runs it"]` and drop
// the `allow` (640x480 runs in the first test once its source is vivid).
#[allow(dead_code)]
fn vivid_1280x720_is_reported_and_delivered_as_captured() {
    let cam = Camera::boot(Source::Vivid(HD));
    delivers_the_mode(&cam, HD);
    options_are_vivids(&cam, HD);
}
