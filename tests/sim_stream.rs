//! The simulated camera through the daemon's own SDK path (safe wrapper -> bindings -> the
//! simulator's C ABI), judged by ffprobe/ffmpeg: frames decode, every encoder attribute shows
//! in the stream, ISP settings move the picture, motion follows the schedule.
//!
//! The SDK is a process-wide singleton: tests in this file take `SDK_LOCK` (nextest runs each
//! test in its own process anyway).

mod support;

use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nvt::frame::Frame;
use nvt::sdk::{Capture, Codec, EncoderAttr, ErrorCode, H264Profile, RateControl, Sdk};
use support::media::*;

static SDK_LOCK: Mutex<()> = Mutex::new(());

fn sdk(options: &str) -> (MutexGuard<'static, ()>, Sdk) {
    let guard = SDK_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    (guard, Sdk::init(options).expect("SDK init"))
}

fn main_attr() -> EncoderAttr {
    EncoderAttr {
        vi: 0,
        codec: Codec::H264,
        width: 1280,
        height: 720,
        fps: 25,
        rc: RateControl::Cbr,
        bitrate_kbps: 2048,
        gop: 50,
        profile: H264Profile::Main,
        qp: 30,
    }
}

/// A started channel whose frames arrive on a channel receiver.
struct Stream {
    capture: Capture,
    rx: Receiver<Frame>,
}

impl Stream {
    fn start(sdk: &Sdk, chn: u32, attr: EncoderAttr) -> Stream {
        let encoder = Arc::new(sdk.create_encoder(chn, &attr).expect("create channel"));
        let (tx, rx) = channel();
        let capture = Capture::start(
            encoder,
            Box::new(move |f| {
                let _ = tx.send(f);
            }),
        )
        .expect("start");
        Stream { capture, rx }
    }

    fn take(&self, n: usize) -> Vec<Frame> {
        (0..n)
            .map(|_| {
                self.rx
                    .recv_timeout(Duration::from_secs(10))
                    .expect("frame within 10 s")
            })
            .collect()
    }

    /// Frames from the first keyframe on (what a decoder joining now would get).
    fn take_from_keyframe(&self, n: usize) -> Vec<Frame> {
        let first = loop {
            let f = self
                .rx
                .recv_timeout(Duration::from_secs(20))
                .expect("keyframe within 20 s");
            if f.keyframe {
                break f;
            }
        };
        let mut v = vec![first];
        v.extend(self.take(n - 1));
        v
    }

    /// Applies new attributes and returns `n` frames encoded with them, from the change's
    /// IDR on. Frames captured before the call are skipped by capture time (pts is
    /// CLOCK_MONOTONIC): under load the receiver may still hold several older GOPs.
    fn set_and_take(&self, attr: EncoderAttr, n: usize) -> Vec<Frame> {
        let before = monotonic_now();
        self.capture.channel().set_attr(&attr).expect("set_attr");
        let first = loop {
            let f = self
                .rx
                .recv_timeout(Duration::from_secs(10))
                .expect("frames after set_attr");
            if f.pts >= before {
                break f;
            }
        };
        assert!(
            first.keyframe && first.nal(nvt::frame::nal_type::SPS).is_some(),
            "a change starts with an IDR carrying SPS"
        );
        let mut v = vec![first];
        v.extend(self.take(n - 1));
        v
    }
}

fn monotonic_now() -> Duration {
    let ts = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).unwrap();
    Duration::new(ts.tv_sec() as u64, ts.tv_nsec() as u32)
}

fn probe_frames(frames: &[Frame]) -> (tempfile::TempDir, std::path::PathBuf, Probe) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.h264");
    write_h264(&path, frames);
    let probe = ffprobe(&path);
    (dir, path, probe)
}

#[test]
fn main_stream_decodes_at_720p25() {
    let (_g, sdk) = sdk("");
    let s = Stream::start(&sdk, 0, main_attr());
    let frames = s.take_from_keyframe(60);
    assert!(
        frames[0].nal(nvt::frame::nal_type::SPS).is_some()
            && frames[0].nal(nvt::frame::nal_type::PPS).is_some()
    );
    let (_d, path, probe) = probe_frames(&frames);
    assert_eq!((probe.width, probe.height), (1280, 720));
    assert_eq!(probe.frames, 60, "every frame decodes");
    decodes_cleanly(&path);
    // Capture timestamps are 1/25 s apart and wall clock follows.
    for w in frames.windows(2) {
        assert_eq!(
            w[1].pts - w[0].pts,
            Duration::from_millis(40),
            "pts spacing"
        );
        assert_eq!(
            w[1].seq,
            w[0].seq.wrapping_add(1),
            "no frame lost between SDK and wrapper"
        );
    }
}

#[test]
fn resolution_change_shows_in_the_stream() {
    let (_g, sdk) = sdk("");
    let s = Stream::start(&sdk, 0, main_attr());
    let _ = s.take_from_keyframe(5);
    let small = sdk
        .encoder_caps()
        .unwrap()
        .resolutions
        .into_iter()
        .find(|&(w, _)| w < 1280)
        .expect("a smaller size");
    let frames = s.set_and_take(
        EncoderAttr {
            width: small.0,
            height: small.1,
            ..main_attr()
        },
        20,
    );
    let (_d, _p, probe) = probe_frames(&frames);
    assert_eq!((probe.width, probe.height), small);
    assert_eq!(probe.frames, 20);
}

#[test]
fn frame_rate_change_shows_in_capture_timestamps() {
    let (_g, sdk) = sdk("");
    let s = Stream::start(
        &sdk,
        0,
        EncoderAttr {
            fps: 10,
            ..main_attr()
        },
    );
    let frames = s.take_from_keyframe(12);
    for w in frames.windows(2) {
        assert_eq!(w[1].pts - w[0].pts, Duration::from_millis(100));
    }
    let frames = s.set_and_take(
        EncoderAttr {
            fps: 5,
            ..main_attr()
        },
        6,
    );
    for w in frames.windows(2) {
        assert_eq!(w[1].pts - w[0].pts, Duration::from_millis(200));
    }
}

#[test]
fn gop_change_shows_in_keyframe_spacing() {
    let (_g, sdk) = sdk("");
    let s = Stream::start(
        &sdk,
        1,
        EncoderAttr {
            width: 640,
            height: 360,
            gop: 10,
            ..main_attr()
        },
    );
    let (_d, path, _) = probe_frames(&s.take_from_keyframe(31));
    let keys: Vec<usize> = keyframes(&path)
        .iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(keys, vec![0, 10, 20, 30]);
    let frames = s.set_and_take(
        EncoderAttr {
            width: 640,
            height: 360,
            gop: 7,
            ..main_attr()
        },
        15,
    );
    let (_d, path, _) = probe_frames(&frames);
    let keys: Vec<usize> = keyframes(&path)
        .iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(keys, vec![0, 7, 14]);
}

#[test]
fn bitrate_change_shows_in_stream_size() {
    let (_g, sdk) = sdk("");
    let attr = |kbps| EncoderAttr {
        width: 640,
        height: 360,
        bitrate_kbps: kbps,
        gop: 25,
        ..main_attr()
    };
    let s = Stream::start(&sdk, 1, attr(200));
    let low: usize = s.take_from_keyframe(75).iter().map(Frame::len).sum();
    let high: usize = s.set_and_take(attr(2000), 75).iter().map(Frame::len).sum();
    // 3 s of video: ~75 kB at 200 kb/s vs ~750 kB at 2000 kb/s. Rate control is not exact,
    // so ask only for a clear separation in the right direction.
    assert!(
        high > low * 3,
        "200 kb/s gave {low} B, 2000 kb/s gave {high} B"
    );
}

#[test]
fn every_advertised_profile_is_what_the_stream_says() {
    let (_g, sdk) = sdk("");
    let caps = sdk.encoder_caps().unwrap();
    assert_eq!(
        caps.codecs,
        vec![Codec::H264],
        "advertise only what encodes"
    );
    assert!(!caps.h264_profiles.is_empty());
    let s = Stream::start(
        &sdk,
        1,
        EncoderAttr {
            width: 640,
            height: 360,
            // Start on the last profile so that every step below is a real change.
            profile: *caps.h264_profiles.last().unwrap(),
            ..main_attr()
        },
    );
    let _ = s.take_from_keyframe(2);
    for &profile in &caps.h264_profiles {
        let attr = EncoderAttr {
            width: 640,
            height: 360,
            profile,
            ..main_attr()
        };
        let (_d, _p, probe) = probe_frames(&s.set_and_take(attr, 10));
        let expected = match profile {
            H264Profile::Baseline => "Constrained Baseline",
            H264Profile::Main => "Main",
            H264Profile::High => "High",
        };
        assert_eq!(probe.profile, expected, "{profile:?}");
    }
}

#[test]
fn invalid_attributes_are_refused_and_change_nothing() {
    let (_g, sdk) = sdk("");
    let s = Stream::start(&sdk, 0, main_attr());
    let ch = s.capture.channel();
    for bad in [
        EncoderAttr {
            width: 1234,
            height: 567,
            ..main_attr()
        },
        EncoderAttr {
            fps: 0,
            ..main_attr()
        },
        EncoderAttr {
            gop: 0,
            ..main_attr()
        },
        EncoderAttr {
            bitrate_kbps: 0,
            ..main_attr()
        },
        EncoderAttr {
            codec: Codec::Mjpeg,
            ..main_attr()
        },
    ] {
        let err = ch.set_attr(&bad).unwrap_err();
        assert!(
            matches!(err.code, ErrorCode::InvalidArg | ErrorCode::NotSupported),
            "{bad:?}: {err}"
        );
        assert_eq!(ch.attr().unwrap(), main_attr());
    }
    let (_d, _p, probe) = probe_frames(&s.take_from_keyframe(5));
    assert_eq!((probe.width, probe.height), (1280, 720));
}

#[test]
fn snapshot_is_a_jpeg_of_the_requested_size_and_brightness_moves_its_luma() {
    let (_g, sdk) = sdk("");
    let range = sdk.isp_range(0).unwrap();
    let base = sdk.isp_attr(0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut lumas = Vec::new();
    for (i, brightness) in [range.brightness.min, base.brightness, range.brightness.max]
        .into_iter()
        .enumerate()
    {
        sdk.set_isp_attr(0, &nvt::sdk::IspAttr { brightness, ..base })
            .unwrap();
        // The ISP applies from the next captured frame.
        std::thread::sleep(Duration::from_millis(200));
        let jpeg = sdk.snapshot_jpeg(0, 640, 360, 80).unwrap();
        assert_eq!(&jpeg[..2], &[0xff, 0xd8], "JPEG SOI marker");
        let path = dir.path().join(format!("snap{i}.jpg"));
        std::fs::write(&path, &jpeg).unwrap();
        let probe = ffprobe(&path);
        assert_eq!((probe.width, probe.height), (640, 360));
        lumas.push(mean_luma(&path));
    }
    assert!(
        lumas[0] + 10.0 < lumas[1] && lumas[1] + 10.0 < lumas[2],
        "mean luma by brightness: {lumas:?}"
    );
    let mut bad = base;
    bad.brightness = range.brightness.max + 1;
    assert_eq!(
        sdk.set_isp_attr(0, &bad).unwrap_err().code,
        ErrorCode::InvalidArg
    );
    assert_eq!(
        sdk.isp_attr(0).unwrap().brightness,
        range.brightness.max,
        "refused value changed nothing"
    );
}

/// The simulator's object is inside the watched region for `on` ms of every `period` ms.
/// Motion results must show exactly that rhythm: onsets one period apart, each lasting `on`.
#[test]
fn motion_results_follow_the_schedule() {
    let (period, on) = (3000u64, 1000u64);
    let (_g, sdk) = sdk(&format!("motion_period_ms={period};motion_on_ms={on}"));
    let attr = sdk.motion_attr(0).unwrap();
    assert!(attr.enabled, "motion detection is on by default");
    let mut results = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_millis(period * 3 + 500);
    while std::time::Instant::now() < deadline {
        match sdk.motion_result(0, Duration::from_secs(2)) {
            Ok(r) => results.push((r.pts, r.motion)),
            Err(e) => panic!("motion result: {e}"),
        }
    }
    let onsets: Vec<Duration> = results
        .windows(2)
        .filter(|w| !w[0].1 && w[1].1)
        .map(|w| w[1].0)
        .collect();
    let ends: Vec<Duration> = results
        .windows(2)
        .filter(|w| w[0].1 && !w[1].1)
        .map(|w| w[1].0)
        .collect();
    assert!(
        onsets.len() >= 2,
        "at least two motion onsets in three periods: {results:?}"
    );
    // One analysis interval of slack at each edge.
    let slack =
        results.windows(2).map(|w| w[1].0 - w[0].0).max().unwrap() + Duration::from_millis(1);
    for w in onsets.windows(2) {
        let d = w[1] - w[0];
        assert!(
            d.abs_diff(Duration::from_millis(period)) <= slack * 2,
            "onsets {d:?} apart, period {period} ms"
        );
    }
    for start in &onsets {
        if let Some(end) = ends.iter().find(|e| *e > start) {
            let d = *end - *start;
            assert!(
                d.abs_diff(Duration::from_millis(on)) <= slack * 2,
                "motion lasted {d:?}, schedule says {on} ms"
            );
        }
    }
}

#[test]
fn focus_moves_then_settles() {
    let (_g, sdk) = sdk("");
    let info = sdk.focus_info(0).unwrap();
    assert!(info.supported);
    let target = info.position_min + (info.position_max - info.position_min) / 4;
    sdk.focus_move_absolute(0, target, info.speed_max).unwrap();
    let first = sdk.focus_status(0).unwrap();
    let mut saw_moving = first.state == nvt::sdk::FocusState::Moving;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let st = sdk.focus_status(0).unwrap();
        saw_moving |= st.state == nvt::sdk::FocusState::Moving;
        if st.state == nvt::sdk::FocusState::Idle && st.position == target {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "focus never reached {target}: {st:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        saw_moving || first.position == target,
        "a move is reported MOVING before IDLE"
    );
    assert!(
        sdk.focus_move_absolute(0, info.position_max + 1, 1)
            .is_err()
    );
}

/// The PTZ head through the daemon's safe wrapper: what it offers, a move seen MOVING then
/// IDLE at its target, a zoom-only move leaving pan and tilt alone, a refusal as an error.
#[test]
fn ptz_head_moves_then_settles_through_the_wrapper() {
    use nvt::sdk::{Axes, PtzState, PtzVector};
    let (_g, sdk) = sdk("");
    let info = sdk.ptz_info(0).unwrap();
    assert!(info.supported && info.absolute && info.relative && info.continuous);
    assert_eq!(info.axes, Axes::ALL);
    assert!(info.hfov > 0 && info.vfov > 0);
    let settled = || {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let s = sdk.ptz_status(0).unwrap();
            if s.pan_tilt == PtzState::Idle && s.zoom == PtzState::Idle {
                return s;
            }
            assert!(std::time::Instant::now() < deadline, "never settled: {s:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert_eq!(settled().position, info.home);
    let to = PtzVector {
        pan: info.max.pan / 2,
        tilt: info.min.tilt / 2,
        zoom: info.home.zoom,
    };
    sdk.ptz_move_absolute(0, to, info.speed_max, Axes::ALL)
        .unwrap();
    assert_eq!(sdk.ptz_status(0).unwrap().pan_tilt, PtzState::Moving);
    assert_eq!(settled().position, to);
    let zoom_only = Axes {
        pan_tilt: false,
        zoom: true,
    };
    let by = PtzVector {
        pan: 1_000,
        tilt: 1_000,
        zoom: 100,
    };
    sdk.ptz_move_relative(0, by, info.speed_max, zoom_only)
        .unwrap();
    let s = settled();
    assert_eq!((s.position.pan, s.position.tilt), (to.pan, to.tilt));
    assert_eq!(s.position.zoom, info.home.zoom + 100);
    let past = PtzVector {
        pan: info.max.pan + 1,
        ..to
    };
    let e = sdk.ptz_move_absolute(0, past, info.speed_max, Axes::ALL);
    assert_eq!(e.unwrap_err().code, ErrorCode::InvalidArg);
}

#[test]
fn sdk_is_one_per_process_and_reinitialises_after_exit() {
    let (_g, sdk) = sdk("");
    assert_eq!(Sdk::init("").unwrap_err().code, ErrorCode::Busy);
    drop(sdk);
    let again = Sdk::init("").expect("init after exit");
    assert!(again.version().unwrap().video_source_count >= 1);
}

#[test]
fn replay_mode_streams_the_file() {
    let clip = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk-sys/tests/data");
    let clip = std::fs::read_dir(&clip)
        .ok()
        .and_then(|mut d| {
            d.find_map(|e| {
                e.ok()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "h264"))
            })
        })
        .expect("a test clip in sdk-sys/tests/data");
    let (_g, sdk) = sdk(&format!("replay={}", clip.display()));
    let source = ffprobe(&clip);
    let ch = Arc::new(
        sdk.create_encoder(0, &main_attr())
            .or_else(|_| {
                sdk.create_encoder(
                    0,
                    &EncoderAttr {
                        width: source.width,
                        height: source.height,
                        ..main_attr()
                    },
                )
            })
            .expect("create replay channel"),
    );
    let attr = ch.attr().unwrap();
    assert_eq!(
        (attr.width, attr.height),
        (source.width, source.height),
        "replay reports the file's size"
    );
    let (tx, rx) = channel();
    let _cap = Capture::start(
        ch,
        Box::new(move |f| {
            let _ = tx.send(f);
        }),
    )
    .unwrap();
    // Two loops of the clip, from its first IDR.
    let n = source.frames as usize * 2;
    let frames: Vec<Frame> = (0..n)
        .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    assert!(frames[0].keyframe);
    let (_d, path, probe) = probe_frames(&frames);
    assert_eq!(probe.frames as usize, n);
    decodes_cleanly(&path);
}

/// Contract version 4 through the wrapper: an OSD bitmap shows in the snapshot and goes,
/// statistics follow the ISP, relays keep their level and the input's edges arrive.
#[test]
fn osd_statistics_and_gpio_round_trip_through_the_wrapper() {
    use nvt::sdk::OsdBitmap;
    let (_g, sdk) = sdk("gpio_input_period_ms=300");
    let dir = tempfile::tempdir().unwrap();
    let snap_luma = |name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, sdk.snapshot_jpeg(0, 640, 360, 80).unwrap()).unwrap();
        mean_luma(&path)
    };

    let info = sdk.osd_info(0).unwrap();
    assert!(info.supported());
    let white = OsdBitmap::filled(1280, 720, 0xFFFF_FFFF).unwrap();
    assert!(info.fits(0, 0, &white));
    let before = snap_luma("before.jpg");
    sdk.osd_set_region(0, 0, 0, 0, &white, 255).unwrap();
    let shown = snap_luma("shown.jpg");
    assert!(before < 180.0 && shown > 225.0, "{before} -> {shown}");
    let odd = OsdBitmap::filled(2, 2, 0xFF00_0000).unwrap();
    assert!(!info.fits(1, 0, &odd));
    assert_eq!(
        sdk.osd_set_region(0, 1, 1, 0, &odd, 255).unwrap_err().code,
        ErrorCode::InvalidArg
    );
    sdk.osd_clear_region(0, 0).unwrap();
    let cleared = snap_luma("cleared.jpg");
    assert!(cleared < 180.0, "{cleared}");

    // The statistics read the picture without the overlay, and follow the ISP.
    let normal = sdk.isp_stats(0).unwrap();
    assert!(normal.focus.is_some_and(|f| f > 0));
    let base = sdk.isp_attr(0).unwrap();
    sdk.set_isp_attr(
        0,
        &nvt::sdk::IspAttr {
            exposure_mode: nvt::sdk::AutoMode::Manual,
            exposure_time_us: 100,
            gain: 0,
            ..base
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let black = sdk.isp_stats(0).unwrap();
    assert!(black.seq > normal.seq && black.pts > normal.pts);
    assert!(black.per_mille_in(0..2) >= 900 && black.mean_luma() < 16);
    assert!(black.ae_at_min && !black.ae_at_max);
    assert!(normal.mean_luma() > 60);

    let gpio = sdk.gpio_info().unwrap();
    assert_eq!((gpio.relays, gpio.inputs), (2, 1));
    assert!(!gpio.relay_closed_at_boot(0));
    sdk.set_relay(1, true).unwrap();
    assert!(sdk.relay(1).unwrap() && !sdk.relay(0).unwrap());
    assert_eq!(
        sdk.set_relay(2, true).unwrap_err().code,
        ErrorCode::UnknownChannel
    );
    let first = sdk.input_event(Duration::from_secs(2)).unwrap();
    let second = sdk.input_event(Duration::from_secs(2)).unwrap();
    assert_eq!((first.seq, first.input, first.closed), (1, 0, true));
    assert_eq!((second.seq, second.closed), (2, false));
    assert_eq!(second.pts - first.pts, Duration::from_millis(300));
}
