//! End-to-end tests of the simulated SoC, driven only through the bindgen `extern "C"`
//! declarations (`sdk_sys::NVT_*`), i.e. the FFI path the daemon and a vendor port use.
//! The SDK is a process-wide singleton, so every test takes `LOCK` and does its own
//! Init/Exit. Streams are checked by real decoders (ffprobe/ffmpeg).
#![cfg(feature = "sim")]

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sdk_sys::*;

static LOCK: Mutex<()> = Mutex::new(());

/// Holds the test lock and an initialised SDK; exits on drop (also when the test fails).
struct Sdk {
    _guard: MutexGuard<'static, ()>,
    /// CLOCK_MONOTONIC just before and just after NVT_SYS_Init.
    init_window: (u64, u64),
}

impl Drop for Sdk {
    fn drop(&mut self) {
        // SAFETY: no arguments; Exit is idempotent.
        unsafe { NVT_SYS_Exit() };
    }
}

fn mono_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out pointer; CLOCK_MONOTONIC exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn init_with(guard: MutexGuard<'static, ()>, options: &str) -> Result<Sdk, i32> {
    let opts = CString::new(options).unwrap();
    let cfg = NVT_SYS_CONFIG_S {
        api_version: NVT_SDK_API_VERSION,
        board_options: opts.as_ptr(),
    };
    let before = mono_us();
    // SAFETY: cfg and the string it points to outlive the call.
    let rc = unsafe { NVT_SYS_Init(&cfg) };
    let after = mono_us();
    if rc != 0 {
        return Err(rc);
    }
    Ok(Sdk {
        _guard: guard,
        init_window: (before, after),
    })
}

fn init(options: &str) -> Sdk {
    init_with(lock(), options).expect("NVT_SYS_Init")
}

fn venc_attr(width: u32, height: u32, fps: u32) -> NVT_VENC_ATTR_S {
    NVT_VENC_ATTR_S {
        vi: 0,
        codec: NVT_CODEC_E::NVT_CODEC_H264,
        width,
        height,
        fps,
        rc_mode: NVT_RC_MODE_E::NVT_RC_CBR,
        bitrate_kbps: 2000,
        gop: 25,
        profile: NVT_H264_PROFILE_E::NVT_H264_PROFILE_BASELINE,
        qp: 26,
    }
}

fn create_start(chn: u32, attr: &NVT_VENC_ATTR_S) {
    // SAFETY: attr is a valid struct for the duration of the call.
    assert_eq!(unsafe { NVT_VENC_CreateChn(chn, attr) }, 0);
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_VENC_StartChn(chn) }, 0);
}

/// A frame copied out of the SDK.
#[derive(Debug, Clone)]
struct Got {
    seq: u32,
    pts_us: u64,
    utc_us: u64,
    keyframe: bool,
    nals: Vec<Vec<u8>>,
}

impl Got {
    fn types(&self) -> Vec<u8> {
        self.nals.iter().map(|n| n[0] & 0x1F).collect()
    }
    fn bytes(&self) -> usize {
        self.nals.iter().map(|n| n.len()).sum()
    }
}

fn get(chn: u32, timeout_ms: i32) -> Result<Got, i32> {
    let mut s = NVT_VENC_STREAM_S::default();
    // SAFETY: `s` is a valid, writable stream struct.
    let rc = unsafe { NVT_VENC_GetStream(chn, &mut s, timeout_ms) };
    if rc != 0 {
        return Err(rc);
    }
    // SAFETY: on success the SDK filled `nalus` with `nalu_count` descriptors whose data
    // stay valid until ReleaseStream.
    let nals = unsafe { std::slice::from_raw_parts(s.nalus, s.nalu_count as usize) }
        .iter()
        .map(|n| {
            // SAFETY: as above, each descriptor points to `len` readable bytes.
            let d = unsafe { std::slice::from_raw_parts(n.data, n.len as usize) };
            assert_eq!(
                n.nal_type,
                (d[0] & 0x1F) as u32,
                "nal_type matches the header"
            );
            d.to_vec()
        })
        .collect();
    let got = Got {
        seq: s.seq,
        pts_us: s.pts_us,
        utc_us: s.utc_us,
        keyframe: s.keyframe == 1,
        nals,
    };
    // SAFETY: releasing the stream just obtained.
    assert_eq!(unsafe { NVT_VENC_ReleaseStream(chn, &mut s) }, 0);
    Ok(got)
}

fn collect(chn: u32, n: usize) -> Vec<Got> {
    (0..n).map(|_| get(chn, 3000).expect("GetStream")).collect()
}

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn write_annexb(name: &str, frames: &[Got]) -> PathBuf {
    let mut out = Vec::new();
    for f in frames {
        for n in &f.nals {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(n);
        }
    }
    let p = tmp(name);
    std::fs::write(&p, out).unwrap();
    p
}

/// ffprobe's view of the first video stream after decoding every frame.
fn probe(path: &Path) -> HashMap<String, String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=width,height,profile,nb_read_frames",
        ])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(path)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// key_frame flag of every decoded frame.
fn key_frames(path: &Path) -> Vec<bool> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_frames"])
        .args(["-show_entries", "frame=key_frame", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().starts_with('1'))
        .collect()
}

#[test]
fn encodes_720p_that_ffprobe_decodes() {
    let _sdk = init("");
    create_start(0, &venc_attr(1280, 720, 25));
    let frames = collect(0, 30);
    assert!(frames[0].keyframe);
    assert_eq!(&frames[0].types()[..3], &[7, 8, 5], "SPS, PPS, IDR");
    for w in frames.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1));
        assert_eq!(w[1].pts_us - w[0].pts_us, 40_000, "25 fps pts spacing");
        assert_eq!(w[1].utc_us - w[0].utc_us, 40_000);
    }
    // Capture times are recent CLOCK_MONOTONIC instants.
    let last = frames.last().unwrap().pts_us;
    assert!(last <= mono_us() && mono_us() - last < 2_000_000);
    let p = write_annexb("enc720.h264", &frames);
    let info = probe(&p);
    assert_eq!(info["width"], "1280");
    assert_eq!(info["height"], "720");
    assert_eq!(info["nb_read_frames"], "30");
    assert!(info["profile"].contains("Baseline"), "{info:?}");
}

#[test]
fn every_advertised_profile_is_what_the_decoder_sees() {
    let _sdk = init("");
    let mut caps = NVT_VENC_CAPS_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_VENC_GetCaps(&mut caps) }, 0);
    assert_eq!(caps.codecs, 1 << NVT_CODEC_E::NVT_CODEC_H264.0);
    assert!(caps.resolution_count >= 2);
    assert_eq!(
        (caps.resolutions[0].width, caps.resolutions[0].height),
        (1280, 720)
    );
    let names = [("Baseline", 0u32), ("Main", 1), ("High", 2)];
    let mut checked = 0;
    for (name, p) in names {
        if caps.h264_profiles & (1 << p) == 0 {
            continue;
        }
        let mut a = venc_attr(640, 360, 25);
        a.profile = NVT_H264_PROFILE_E(p);
        create_start(1, &a);
        let frames = collect(1, 5);
        // SAFETY: plain integer argument.
        assert_eq!(unsafe { NVT_VENC_DestroyChn(1) }, 0);
        let info = probe(&write_annexb(&format!("profile{p}.h264"), &frames));
        assert!(info["profile"].contains(name), "asked {name}, got {info:?}");
        assert_eq!(info["nb_read_frames"], "5");
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn every_advertised_resolution_encodes_and_decodes() {
    let _sdk = init("");
    let mut caps = NVT_VENC_CAPS_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_VENC_GetCaps(&mut caps) }, 0);
    let sizes = &caps.resolutions[..caps.resolution_count as usize];
    assert!(
        sizes
            .windows(2)
            .all(|w| w[0].width * w[0].height > w[1].width * w[1].height)
    );
    let mut a = venc_attr(sizes[0].width, sizes[0].height, 25);
    a.rc_mode = NVT_RC_MODE_E::NVT_RC_VBR;
    create_start(0, &a);
    for (i, r) in sizes.iter().enumerate() {
        assert_eq!(r.width * 9, r.height * 16, "16:9");
        a.width = r.width;
        a.height = r.height;
        // SAFETY: valid attr pointer.
        assert_eq!(unsafe { NVT_VENC_SetAttr(0, &a) }, 0);
        let frames = collect(0, 3);
        let info = probe(&write_annexb(&format!("res{i}.h264"), &frames));
        assert_eq!(info["width"], r.width.to_string());
        assert_eq!(info["height"], r.height.to_string());
        assert_eq!(info["nb_read_frames"], "3");
    }
}

#[test]
fn set_attr_applies_at_once_resolution_gop_bitrate() {
    let _sdk = init("");
    let mut a = venc_attr(640, 360, 25);
    a.gop = 10;
    create_start(0, &a);
    let before = collect(0, 20);
    let kf = key_frames(&write_annexb("gop10.h264", &before));
    assert_eq!(kf.len(), 20);
    let idx: Vec<usize> = kf
        .iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(idx, vec![0, 10], "IDR every 10 frames");

    // Change size and GOP on the running channel: the next frame is an IDR of the new size.
    a.width = 1280;
    a.height = 720;
    a.gop = 5;
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_VENC_SetAttr(0, &a) }, 0);
    let after = collect(0, 15);
    assert!(
        after[0].keyframe && after[0].types()[0] == 7,
        "{:?}",
        after[0].types()
    );
    assert!(after[0].seq > before.last().unwrap().seq);
    let p = write_annexb("gop5.h264", &after);
    let info = probe(&p);
    assert_eq!(
        (info["width"].as_str(), info["height"].as_str()),
        ("1280", "720")
    );
    let kf = key_frames(&p);
    let idx: Vec<usize> = kf
        .iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(idx, vec![0, 5, 10]);
    // The SDK's keyframe flag agrees with the decoder, and every IDR carries SPS and PPS.
    for (f, k) in after.iter().zip(&kf) {
        assert_eq!(f.keyframe, *k);
        if f.keyframe {
            assert_eq!(&f.types()[..3], &[7, 8, 5]);
        }
    }
    let mut got = NVT_VENC_ATTR_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_VENC_GetAttr(0, &mut got) }, 0);
    assert_eq!(got, a);

    // Bitrate: the same 25 frames (after the IDR) are much larger at 4000 than at 150 kbps.
    let mut sizes = Vec::new();
    for kbps in [150, 4000] {
        a.bitrate_kbps = kbps;
        a.gop = 100;
        // SAFETY: valid attr pointer.
        assert_eq!(unsafe { NVT_VENC_SetAttr(0, &a) }, 0);
        let fr = collect(0, 26);
        assert!(fr[0].keyframe);
        sizes.push(fr[1..].iter().map(Got::bytes).sum::<usize>());
    }
    assert!(
        sizes[1] > sizes[0] * 3,
        "150 kbps: {} B, 4000 kbps: {} B",
        sizes[0],
        sizes[1]
    );

    // Profile: High on the running channel, and the decoder sees High.
    a.profile = NVT_H264_PROFILE_E::NVT_H264_PROFILE_HIGH;
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_VENC_SetAttr(0, &a) }, 0);
    let high = collect(0, 5);
    assert!(high[0].keyframe);
    let info = probe(&write_annexb("set_high.h264", &high));
    assert_eq!(info["profile"], "High", "{info:?}");

    // Invalid attributes change nothing.
    let mut bad = a;
    bad.width = 1000;
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_VENC_SetAttr(0, &bad) }, NVT_ERR_INVALID_ARG);
    bad = a;
    bad.gop = 0;
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_VENC_SetAttr(0, &bad) }, NVT_ERR_INVALID_ARG);
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_VENC_GetAttr(0, &mut got) }, 0);
    assert_eq!(got, a);
}

#[test]
fn fixqp_quantiser_changes_the_size() {
    let _sdk = init("");
    let mut a = venc_attr(640, 360, 25);
    a.rc_mode = NVT_RC_MODE_E::NVT_RC_FIXQP;
    a.bitrate_kbps = 0; // ignored in FIXQP
    a.gop = 100;
    create_start(0, &a);
    let mut sizes = Vec::new();
    for qp in [20, 40] {
        a.qp = qp;
        // SAFETY: valid attr pointer.
        assert_eq!(unsafe { NVT_VENC_SetAttr(0, &a) }, 0);
        let fr = collect(0, 10);
        assert!(fr[0].keyframe);
        sizes.push(fr.iter().map(Got::bytes).sum::<usize>());
    }
    assert!(
        sizes[0] > sizes[1] * 2,
        "qp 20: {} B, qp 40: {} B",
        sizes[0],
        sizes[1]
    );
}

#[test]
fn two_channels_keep_their_own_rates() {
    let _sdk = init("");
    create_start(0, &venc_attr(1280, 720, 25));
    create_start(1, &venc_attr(640, 360, 15));
    let main = collect(0, 10);
    let sub = collect(1, 10);
    for w in main.windows(2) {
        assert_eq!(w[1].pts_us - w[0].pts_us, 40_000);
    }
    for w in sub.windows(2) {
        let d = w[1].pts_us - w[0].pts_us;
        assert!((66_666..=66_667).contains(&d), "15 fps spacing {d}");
    }
    // A new rate on the running channel: the next frames are 1/5 s apart, starting with an IDR.
    let mut a = venc_attr(640, 360, 5);
    a.bitrate_kbps = 2000;
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_VENC_SetAttr(1, &a) }, 0);
    let slow = collect(1, 4);
    assert!(slow[0].keyframe);
    for w in slow.windows(2) {
        assert_eq!(w[1].pts_us - w[0].pts_us, 200_000, "5 fps spacing");
    }
    let info = probe(&write_annexb("sub.h264", &sub));
    assert_eq!(
        (info["width"].as_str(), info["nb_read_frames"].as_str()),
        ("640", "10")
    );
}

#[test]
fn request_idr_and_queue_overflow() {
    let _sdk = init("");
    let mut a = venc_attr(320, 180, 25);
    a.gop = 300;
    create_start(0, &a);
    let first = collect(0, 3);
    assert!(first[0].keyframe && !first[2].keyframe);
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_VENC_RequestIDR(0) }, 0);
    let next = collect(0, 3);
    assert!(next.iter().any(|f| f.keyframe && f.types()[..2] == [7, 8]));

    // Not reading for 1 s at 25 fps: only the newest 8 frames are kept, seq shows the gap.
    let last = next.last().unwrap().seq;
    std::thread::sleep(Duration::from_millis(1000));
    let queued = collect(0, 8);
    assert!(
        queued[0].seq > last + 10,
        "gap expected: {} then {}",
        last,
        queued[0].seq
    );
    for w in queued.windows(2) {
        assert_eq!(w[1].seq, w[0].seq + 1);
    }
}

#[test]
fn get_stream_timeouts_stop_and_destroy() {
    let _sdk = init("");
    let mut a = venc_attr(320, 180, 1);
    a.gop = 1;
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_VENC_CreateChn(2, &a) }, 0);
    // Created but not started.
    assert_eq!(get(2, 100).unwrap_err(), NVT_ERR_STOPPED);
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_VENC_StartChn(2) }, 0);
    get(2, 3000).expect("first frame");
    // At 1 fps, the next frame is ~1 s away: a poll and a 150 ms wait time out.
    assert_eq!(get(2, 0).unwrap_err(), NVT_ERR_TIMEOUT);
    let t = Instant::now();
    assert_eq!(get(2, 150).unwrap_err(), NVT_ERR_TIMEOUT);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_millis(600),
        "{waited:?}"
    );
    // Stop: GetStream says STOPPED.
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_VENC_StopChn(2) }, 0);
    assert_eq!(get(2, 500).unwrap_err(), NVT_ERR_STOPPED);
    // Destroy wakes a GetStream blocked forever.
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_VENC_StartChn(2) }, 0);
    get(2, 3000).expect("frame after restart");
    let waiter = std::thread::spawn(|| {
        let t = Instant::now();
        (get(2, -1).map(|_| ()), t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_VENC_DestroyChn(2) }, 0);
    let (res, elapsed) = waiter.join().unwrap();
    assert_eq!(res.unwrap_err(), NVT_ERR_STOPPED);
    assert!(
        elapsed < Duration::from_millis(900),
        "woken by destroy, not by a frame: {elapsed:?}"
    );
    assert_eq!(get(2, 0).unwrap_err(), NVT_ERR_UNKNOWN_CHN);
}

fn snap(width: u32, height: u32, quality: u32) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u32;
    // SAFETY: buf is valid for buf.len() bytes, len is a valid out pointer.
    let rc = unsafe {
        NVT_JPEG_Snap(
            0,
            width,
            height,
            quality,
            buf.as_mut_ptr(),
            buf.len() as u32,
            &mut len,
        )
    };
    assert_eq!(rc, 0);
    buf.truncate(len as usize);
    buf
}

/// Decodes a JPEG with ffmpeg into raw I420 planes.
fn decode_jpeg(name: &str, jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let p = tmp(name);
    std::fs::write(&p, jpeg).unwrap();
    let info = probe(&p);
    let (w, h): (usize, usize) = (
        info["width"].parse().unwrap(),
        info["height"].parse().unwrap(),
    );
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&p)
        .args(["-pix_fmt", "yuv420p", "-f", "rawvideo", "-"])
        .output()
        .expect("ffmpeg");
    assert!(out.status.success());
    (w, h, out.stdout)
}

fn mean(p: &[u8]) -> f64 {
    p.iter().map(|&x| x as f64).sum::<f64>() / p.len() as f64
}

fn set_isp(f: impl Fn(&mut NVT_ISP_ATTR_S)) -> i32 {
    let mut a = NVT_ISP_ATTR_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_ISP_GetAttr(0, &mut a) }, 0);
    f(&mut a);
    // SAFETY: valid attr pointer.
    unsafe { NVT_ISP_SetAttr(0, &a) }
}

#[test]
fn jpeg_snapshot_follows_isp_settings() {
    let _sdk = init("");
    let jpeg = snap(640, 360, 80);
    let (w, h, yuv) = decode_jpeg("snap.jpg", &jpeg);
    assert_eq!((w, h), (640, 360));
    let base_chroma_spread = {
        let u = &yuv[w * h..w * h + w * h / 4];
        u.iter().max().unwrap() - u.iter().min().unwrap()
    };
    assert!(base_chroma_spread > 100, "colour bars have colour");

    let mut means = Vec::new();
    for b in [20, 50, 80] {
        assert_eq!(set_isp(|a| a.brightness = b), 0);
        let (w, h, yuv) = decode_jpeg(&format!("b{b}.jpg"), &snap(640, 360, 80));
        means.push(mean(&yuv[..w * h]));
    }
    assert!(
        means[0] + 10.0 < means[1] && means[1] + 10.0 < means[2],
        "{means:?}"
    );

    // NIGHT: monochrome.
    assert_eq!(set_isp(|a| a.ircut = NVT_IRCUT_MODE_E::NVT_IRCUT_NIGHT), 0);
    let (w, h, yuv) = decode_jpeg("night.jpg", &snap(640, 360, 80));
    let chroma = &yuv[w * h..];
    assert!(
        chroma.iter().all(|&c| (124..=132).contains(&c)),
        "night is grey"
    );

    // Out of range: refused, nothing changed.
    let mut before = NVT_ISP_ATTR_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_ISP_GetAttr(0, &mut before) }, 0);
    assert_eq!(set_isp(|a| a.contrast = 101), NVT_ERR_INVALID_ARG);
    assert_eq!(set_isp(|a| a.exposure_time_us = 1), NVT_ERR_INVALID_ARG);
    let mut after = NVT_ISP_ATTR_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_ISP_GetAttr(0, &mut after) }, 0);
    assert_eq!(before, after);
    let mut range = NVT_ISP_RANGE_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_ISP_GetRange(0, &mut range) }, 0);
    assert_eq!((range.brightness.min, range.brightness.max), (0, 100));

    // A small buffer: BUF_TOO_SMALL with the size needed, then success with that size.
    let mut small = vec![0u8; 100];
    let mut need = 0u32;
    // SAFETY: small is valid for 100 bytes; need is a valid out pointer.
    let rc = unsafe { NVT_JPEG_Snap(0, 320, 180, 50, small.as_mut_ptr(), 100, &mut need) };
    assert_eq!(rc, NVT_ERR_BUF_TOO_SMALL);
    assert!(need > 100);
    let mut buf = vec![0u8; need as usize];
    let mut len = 0;
    // SAFETY: buf is valid for `need` bytes.
    let rc = unsafe { NVT_JPEG_Snap(0, 320, 180, 50, buf.as_mut_ptr(), need, &mut len) };
    assert_eq!((rc, len), (0, need));
    assert_eq!(&buf[..2], &[0xFF, 0xD8]);
    // SAFETY: invalid sizes are rejected before any pointer is used.
    assert_eq!(
        unsafe { NVT_JPEG_Snap(0, 8, 8, 50, buf.as_mut_ptr(), need, &mut len) },
        NVT_ERR_INVALID_ARG
    );
}

#[test]
fn motion_results_follow_the_schedule() {
    // A short cycle keeps the test fast: the object crosses during the first 1.2 s of every 3 s.
    let (period, on) = (3_000_000u64, 1_200_000u64);
    let sdk = init("motion_period_ms=3000;motion_on_ms=1200");
    let mut attr = NVT_MD_ATTR_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_MD_GetAttr(0, &mut attr) }, 0);
    assert_eq!(
        (attr.enable, attr.cols, attr.rows, attr.min_cells),
        (1, 22, 18, 1)
    );
    let (t0_lo, t0_hi) = sdk.init_window;
    let inside = |t: u64, t0: u64| {
        let since = t.saturating_sub(t0);
        let phase = since % period;
        phase > 0 && phase < on
    };
    let interval = 200_000; // 5 fps analysis
    let started = Instant::now();
    let (mut agree, mut ones, mut zeros, mut last_seq) = (0, 0, 0, None);
    while started.elapsed() < Duration::from_millis(6500) {
        let mut r = NVT_MD_RESULT_S::default();
        // SAFETY: valid out pointer.
        assert_eq!(unsafe { NVT_MD_GetResult(0, &mut r, 2000) }, 0);
        if let Some(s) = last_seq {
            assert!(r.seq > s);
        }
        last_seq = Some(r.seq);
        // Motion is expected while the object is inside the frame now or was at the
        // previous analysed frame (it then moved or left).
        let expect = |t0| inside(r.pts_us, t0) || inside(r.pts_us.saturating_sub(interval), t0);
        let (lo, hi) = (expect(t0_lo), expect(t0_hi));
        let near_edge = [0u64, on].iter().any(|&edge| {
            let since = r.pts_us.saturating_sub(t0_lo) % period;
            let d = since.abs_diff(edge).min(period - since.abs_diff(edge));
            d <= interval + (t0_hi - t0_lo) + 1000
        });
        if lo == hi && !near_edge {
            assert_eq!(
                r.motion == 1,
                lo,
                "result at {} us after init: {r:?}",
                r.pts_us - t0_lo
            );
            agree += 1;
        }
        if r.motion == 1 {
            ones += 1;
            assert!(r.active_cells >= 1);
            // Only the object's rows (8 and 9 of the 22x18 grid) can move.
            for (row, bits) in r.cells.iter().enumerate() {
                assert!(*bits == 0 || row == 8 || row == 9, "row {row} moved");
            }
        } else {
            zeros += 1;
        }
    }
    assert!(
        ones >= 6 && zeros >= 6 && agree >= 12,
        "ones {ones} zeros {zeros} agree {agree}"
    );

    // Masking the object's rows silences detection.
    attr.mask[8] = 0;
    attr.mask[9] = 0;
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_MD_SetAttr(0, &attr) }, 0);
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(1500) {
        let mut r = NVT_MD_RESULT_S::default();
        // SAFETY: valid out pointer.
        assert_eq!(unsafe { NVT_MD_GetResult(0, &mut r, 2000) }, 0);
        assert_eq!(r.motion, 0);
    }
    attr.cols = 40;
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_MD_SetAttr(0, &attr) }, NVT_ERR_INVALID_ARG);
}

/// Motion detection looks at the rendered picture, so it follows the head's view: the still
/// scene gives no motion, a pan moves the picture's edges across the grid, and it is still
/// again once the head stops.
#[test]
fn motion_follows_the_ptz_heads_view() {
    // The scheduled object stays away (it would cross only in the first 1 ms of a day).
    let _sdk = init("motion_period_ms=86400000;motion_on_ms=1");
    let results = |ms: u64| {
        let t = Instant::now();
        let mut out = Vec::new();
        while t.elapsed() < Duration::from_millis(ms) {
            let mut r = NVT_MD_RESULT_S::default();
            // SAFETY: valid out pointer.
            assert_eq!(unsafe { NVT_MD_GetResult(0, &mut r, 2000) }, 0);
            out.push(r);
        }
        out
    };
    // Skip the first analysed frames (no older frame to compare with yet).
    results(600);
    assert!(
        results(800).iter().all(|r| r.motion == 0),
        "a still view moved"
    );
    let v = NVT_PTZ_VECTOR_S {
        pan: 3_000,
        tilt: 0,
        zoom: 0,
    };
    // SAFETY: valid vector pointer.
    assert_eq!(
        unsafe { NVT_PTZ_MoveContinuous(0, &v, NVT_PTZ_AXES_PAN_TILT) },
        0
    );
    let panning = results(1_200);
    let moved: Vec<u32> = panning.iter().map(|r| r.active_cells).collect();
    // The pattern's flat areas look the same shifted, so not every cell moves; the grid
    // lines, landmarks and bars do (36-84 of 396 cells per analysis here).
    assert!(
        panning.iter().filter(|r| r.motion == 1).count() >= 5
            && moved.iter().filter(|&&c| c >= 20).count() >= 5,
        "active cells while panning: {moved:?}"
    );
    // SAFETY: plain arguments.
    assert_eq!(unsafe { NVT_PTZ_Stop(0, NVT_PTZ_AXES_PAN_TILT) }, 0);
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        results(800).iter().all(|r| r.motion == 0),
        "still after the stop"
    );
}

fn focus_status() -> NVT_FOCUS_STATUS_S {
    let mut s = NVT_FOCUS_STATUS_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_FOCUS_GetStatus(0, &mut s) }, 0);
    s
}

#[test]
fn focus_moves_in_the_background() {
    let _sdk = init("");
    let mut info = NVT_FOCUS_INFO_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_FOCUS_GetInfo(0, &mut info) }, 0);
    assert_eq!(
        (
            info.supported,
            info.position_min,
            info.position_max,
            info.speed_max
        ),
        (1, 0, 1000, 250)
    );
    let start = focus_status().position;
    // SAFETY: plain integer arguments.
    assert_eq!(unsafe { NVT_FOCUS_MoveAbsolute(0, 700, 250) }, 0);
    std::thread::sleep(Duration::from_millis(200));
    let s = focus_status();
    assert_eq!(s.state, NVT_FOCUS_STATE_E::NVT_FOCUS_MOVING);
    assert!(s.position > start && s.position < 700);
    std::thread::sleep(Duration::from_millis(1200));
    let s = focus_status();
    assert_eq!(
        (s.position, s.state),
        (700, NVT_FOCUS_STATE_E::NVT_FOCUS_IDLE)
    );
    // Continuous move stops at the end stop.
    // SAFETY: plain integer arguments.
    assert_eq!(unsafe { NVT_FOCUS_MoveContinuous(0, 250) }, 0);
    std::thread::sleep(Duration::from_millis(1400));
    let s = focus_status();
    assert_eq!(
        (s.position, s.state),
        (1000, NVT_FOCUS_STATE_E::NVT_FOCUS_IDLE)
    );
    // Stop freezes the position.
    // SAFETY: plain integer arguments.
    assert_eq!(unsafe { NVT_FOCUS_MoveRelative(0, -500, 100) }, 0);
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_FOCUS_Stop(0) }, 0);
    let p = focus_status().position;
    assert!(p < 1000 && p > 500);
    std::thread::sleep(Duration::from_millis(300));
    let s = focus_status();
    assert_eq!(
        (s.position, s.state),
        (p, NVT_FOCUS_STATE_E::NVT_FOCUS_IDLE)
    );
    // SAFETY: plain integer arguments.
    unsafe {
        assert_eq!(NVT_FOCUS_MoveAbsolute(0, 1001, 10), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_FOCUS_MoveAbsolute(0, 10, 251), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_FOCUS_MoveRelative(0, 5000, 10), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_FOCUS_MoveContinuous(0, -300), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_FOCUS_Stop(1), NVT_ERR_UNKNOWN_CHN);
    }
}

fn ptz_status() -> NVT_PTZ_STATUS_S {
    let mut s = NVT_PTZ_STATUS_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_PTZ_GetStatus(0, &mut s) }, 0);
    s
}

fn ptz(pan: i32, tilt: i32, zoom: i32) -> NVT_PTZ_VECTOR_S {
    NVT_PTZ_VECTOR_S { pan, tilt, zoom }
}

/// Waits (up to 10 s) for the head to stand still, and returns its status then.
fn ptz_settled() -> NVT_PTZ_STATUS_S {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = ptz_status();
        if s.pan_tilt == NVT_PTZ_STATE_E::NVT_PTZ_IDLE && s.zoom == NVT_PTZ_STATE_E::NVT_PTZ_IDLE {
            return s;
        }
        assert!(std::time::Instant::now() < deadline, "still moving: {s:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_ptz_head_moves_in_the_background_through_the_c_abi() {
    let _sdk = init("");
    let mut info = NVT_PTZ_INFO_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_PTZ_GetInfo(0, &mut info) }, 0);
    assert_eq!(info.supported, 1);
    assert_eq!(info.axes, NVT_PTZ_AXES_PAN_TILT | NVT_PTZ_AXES_ZOOM);
    assert_eq!(
        (info.min, info.max),
        (ptz(-17_000, -4_500, 100), ptz(17_000, 4_500, 1_000))
    );
    assert_eq!(info.home, ptz(0, 0, 100));
    assert_eq!(ptz_settled().position, info.home);
    let all = NVT_PTZ_AXES_PAN_TILT | NVT_PTZ_AXES_ZOOM;
    // An absolute move is seen in progress, then done at the target.
    // SAFETY: valid pointers to live structs.
    let rc = unsafe { NVT_PTZ_MoveAbsolute(0, &ptz(4_500, 1_000, 300), &info.speed_max, all) };
    assert_eq!(rc, 0);
    let s = ptz_status();
    assert_eq!(s.pan_tilt, NVT_PTZ_STATE_E::NVT_PTZ_MOVING, "{s:?}");
    assert_eq!(ptz_settled().position, ptz(4_500, 1_000, 300));
    // Relative, past the end: stops at the end stop.
    // SAFETY: valid pointers to live structs.
    let rc = unsafe { NVT_PTZ_MoveRelative(0, &ptz(-90_000, 0, 0), &info.speed_max, all) };
    assert_eq!(rc, 0);
    assert_eq!(ptz_settled().position, ptz(-17_000, 1_000, 300));
    // Continuous zoom in, then Stop: it halts between the ends.
    // SAFETY: valid pointer to a live struct.
    let rc = unsafe { NVT_PTZ_MoveContinuous(0, &ptz(0, 0, 200), NVT_PTZ_AXES_ZOOM) };
    assert_eq!(rc, 0);
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: plain integer arguments.
    assert_eq!(unsafe { NVT_PTZ_Stop(0, NVT_PTZ_AXES_ZOOM) }, 0);
    let z = ptz_settled().position.zoom;
    assert!(z > 300 && z < 1_000, "{z}");
    // Refused: a target out of range, a speed of 0, no axes, a NULL, another source.
    // SAFETY: valid pointers to live structs, or NULL where NULL is the point.
    unsafe {
        let fast = info.speed_max;
        assert_eq!(
            NVT_PTZ_MoveAbsolute(0, &ptz(0, 5_000, 100), &fast, all),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(
            NVT_PTZ_MoveAbsolute(0, &ptz(0, 0, 100), &ptz(0, 1, 1), all),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(
            NVT_PTZ_MoveAbsolute(0, &ptz(0, 0, 100), &fast, 0),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(
            NVT_PTZ_MoveAbsolute(0, std::ptr::null(), &fast, all),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(
            NVT_PTZ_MoveContinuous(0, &ptz(0, 0, 501), all),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(NVT_PTZ_Stop(1, all), NVT_ERR_UNKNOWN_CHN);
    }
}

/// Mean Y, U, V of a snapshot's block `xs` x `ys` (in the 640x360 snapshot's pixels, even).
fn snap_block(name: &str, xs: std::ops::Range<usize>, ys: std::ops::Range<usize>) -> [f64; 3] {
    let (w, h, yuv) = decode_jpeg(name, &snap(640, 360, 90));
    assert_eq!((w, h), (640, 360));
    let (y, u, v) = (
        &yuv[..w * h],
        &yuv[w * h..][..w * h / 4],
        &yuv[w * h * 5 / 4..],
    );
    let luma: Vec<u8> = ys
        .clone()
        .flat_map(|r| y[r * w..][xs.clone()].to_vec())
        .collect();
    let (cx, cy) = (xs.start / 2..xs.end / 2, ys.start / 2..ys.end / 2);
    let chroma = |p: &[u8]| -> Vec<u8> {
        cy.clone()
            .flat_map(|r| p[r * w / 2..][cx.clone()].to_vec())
            .collect()
    };
    [mean(&luma), mean(&chroma(u)), mean(&chroma(v))]
}

/// Whether a block's mean is the colour `want` (as the simulator draws it); ffmpeg takes the
/// JPEG for full range and converts it to limited range, so the expectation is converted too.
fn near(got: [f64; 3], want: [u8; 3]) -> bool {
    let y = 16.0 + want[0] as f64 * 219.0 / 255.0;
    let c = |v: u8| 128.0 + (v as f64 - 128.0) * 224.0 / 255.0;
    let want = [y, c(want[1]), c(want[2])];
    let ok = got.iter().zip(want).all(|(g, w)| (g - w).abs() < 6.0);
    if !ok {
        eprintln!("got {got:?}, want {want:?}");
    }
    ok
}

#[test]
fn the_picture_follows_the_ptz_head() {
    let _sdk = init("");
    let mut info = NVT_PTZ_INFO_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_PTZ_GetInfo(0, &mut info) }, 0);
    // Just right of the centre, and the clock band's right part (free at home).
    let (cx, cy) = (330..340, 174..186);
    let (bx, by) = (300..628, 10..24);
    // At home: the pattern, its magenta bar right of the centre, no position text (the
    // band is luma 32, 43 once ffmpeg has converted the range).
    let magenta = [84, 184, 198];
    assert!(near(
        snap_block("home.jpg", cx.clone(), cy.clone()),
        magenta
    ));
    let band_home = snap_block("home-band.jpg", bx.clone(), by.clone())[0];
    assert!(band_home < 50.0, "{band_home}");
    // Pan to +90: the yellow square landmark there fills the centre; the position shows.
    // SAFETY: valid pointers to live structs.
    let rc = unsafe {
        NVT_PTZ_MoveAbsolute(
            0,
            &ptz(9_000, 0, 100),
            &info.speed_max,
            NVT_PTZ_AXES_PAN_TILT,
        )
    };
    assert_eq!(rc, 0);
    assert_eq!(ptz_settled().position, ptz(9_000, 0, 100));
    // The latest 25 fps instant is then after the arrival.
    std::thread::sleep(Duration::from_millis(100));
    let got = snap_block("pan90.jpg", cx.clone(), cy.clone());
    assert!(near(got, [210, 16, 146]), "{got:?}");
    let band_moved = snap_block("pan90-band.jpg", bx.clone(), by.clone())[0];
    assert!(band_moved > band_home + 20.0, "{band_home} -> {band_moved}");
    // Back home: the pattern again.
    // SAFETY: valid pointers to live structs.
    let rc = unsafe { NVT_PTZ_MoveAbsolute(0, &info.home, &info.speed_max, NVT_PTZ_AXES_PAN_TILT) };
    assert_eq!(rc, 0);
    assert_eq!(ptz_settled().position, info.home);
    std::thread::sleep(Duration::from_millis(100));
    assert!(near(snap_block("home2.jpg", cx, cy), magenta));
    assert!(snap_block("home2-band.jpg", bx, by)[0] < 50.0);
}

fn replay_file() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/testsrc2-640x360-baseline.h264")
        .display()
        .to_string()
}

#[test]
fn replay_emits_the_recording_in_a_loop() {
    let _sdk = init(&format!("replay={};replay_fps=10", replay_file()));
    // A recording has no PTZ head: its picture could not follow one.
    let mut info = NVT_PTZ_INFO_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_PTZ_GetInfo(0, &mut info) }, 0);
    assert_eq!(info.supported, 0);
    // The daemon's default request is accepted; the recording decides the attributes.
    create_start(0, &venc_attr(1280, 720, 25));
    let mut a = NVT_VENC_ATTR_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_VENC_GetAttr(0, &mut a) }, 0);
    assert_eq!((a.width, a.height, a.fps, a.gop), (640, 360, 10, 25));
    // SAFETY: valid attr pointer; same attributes are accepted, others are not.
    unsafe {
        assert_eq!(NVT_VENC_SetAttr(0, &a), 0);
        let mut b = a;
        b.bitrate_kbps += 1;
        assert_eq!(NVT_VENC_SetAttr(0, &b), NVT_ERR_NOT_SUPPORTED);
    }
    let frames = collect(0, 52);
    let keys: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.keyframe)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        keys,
        vec![0, 25, 50],
        "IDR at the file's GOP and at the loop"
    );
    for k in &keys {
        assert_eq!(&frames[*k].types()[..2], &[7, 8]);
    }
    assert_eq!(frames[0].nals, frames[50].nals, "the loop repeats the file");
    for w in frames.windows(2) {
        assert_eq!(w[1].pts_us - w[0].pts_us, 100_000, "replay_fps=10");
    }
    let replayed = write_annexb("replay.h264", &frames[..50]);
    let info = probe(&replayed);
    assert_eq!(
        (info["width"].as_str(), info["height"].as_str()),
        ("640", "360")
    );
    assert_eq!(info["nb_read_frames"], "50");
    // The replayed stream decodes to exactly the recording's pictures.
    assert_eq!(frame_md5s(&replayed), frame_md5s(Path::new(&replay_file())));
}

/// MD5 of every decoded picture.
fn frame_md5s(path: &Path) -> Vec<String> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg");
    assert!(out.status.success());
    let md5s: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|m| m.trim().to_string()))
        .collect();
    assert!(!md5s.is_empty());
    md5s
}

/// Replay (issue 20): what a capture thread that lost frames asks for works, and nothing
/// runs on a picture nobody streams. An IDR request yields an IDR at the next frame, one
/// frame interval later (the recording rewound to the IDR of the current GOP: a replayed
/// file cannot encode its present picture as one); motion detection has no picture to
/// analyse, so it has no result; a snapshot is the replayed picture, not the test pattern.
#[test]
fn replay_answers_an_idr_request_at_the_next_frame_and_snapshots_its_own_picture() {
    let _sdk = init(&format!("replay={};replay_fps=10", replay_file()));
    create_start(0, &venc_attr(1280, 720, 25));
    // Access units 0..=5 of a 25-frame GOP: the next one in the file is a P-frame.
    let first = collect(0, 6);
    assert!(first[0].keyframe && first[1..].iter().all(|f| !f.keyframe));
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_VENC_RequestIDR(0) }, 0);
    let asked = mono_us();
    // A frame made after the request has its capture instant after it (a worker only makes
    // a frame once its instant has come); one queued before it may still be waiting.
    let mut after = collect(0, 3);
    let at = after.iter().position(|f| f.pts_us > asked).unwrap();
    let idr = after.remove(at);
    assert!(idr.keyframe, "the first frame after the request is an IDR");
    assert_eq!(&idr.types()[..2], &[7, 8], "SPS and PPS first");
    assert_eq!(idr.nals, first[0].nals, "the GOP's own IDR");
    let prev = if at == 0 { &first[5] } else { &after[at - 1] };
    assert_eq!(idr.seq, prev.seq + 1, "no frame skipped");
    assert_eq!(
        idr.pts_us - prev.pts_us,
        100_000,
        "one frame interval later"
    );

    // Motion detection is on (its settings are kept) but has nothing to analyse.
    let mut attr = NVT_MD_ATTR_S::default();
    let mut r = NVT_MD_RESULT_S::default();
    // SAFETY: valid out pointers.
    unsafe {
        assert_eq!(NVT_MD_GetAttr(0, &mut attr), 0);
        assert_eq!(attr.enable, 1);
        assert_eq!(NVT_MD_GetResult(0, &mut r, 600), NVT_ERR_TIMEOUT);
    }

    // The snapshot is one of the recording's pictures (the one a channel emitted last),
    // at the recording's size, which is also its largest.
    // Samples compared as stored, without range conversion: the JPEG carries the decoded
    // samples as they are (as it does the pattern's), yuvj420p keeps them, and yuv420p keeps
    // the recording's.
    let (w, h) = (640, 360);
    let raw = |input: &Path, pix_fmt: &str| {
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(input)
            .args(["-pix_fmt", pix_fmt, "-f", "rawvideo", "-"])
            .output()
            .expect("ffmpeg");
        assert!(out.status.success());
        out.stdout
    };
    let jpeg = tmp("replay-snap.jpg");
    std::fs::write(&jpeg, snap(w as u32, h as u32, 90)).unwrap();
    let planes = raw(&jpeg, "yuvj420p");
    assert_eq!(planes.len(), w * h * 3 / 2, "640x360");
    let luma = &planes[..w * h];
    let recorded = raw(Path::new(&replay_file()), "yuv420p");
    let mad = |frame: &[u8]| {
        frame
            .iter()
            .zip(luma)
            .map(|(&a, &b)| a.abs_diff(b) as f64)
            .sum::<f64>()
            / luma.len() as f64
    };
    let diffs: Vec<f64> = (recorded.chunks_exact(w * h * 3 / 2))
        .map(|f| mad(&f[..w * h]))
        .collect();
    assert_eq!(diffs.len(), 50);
    let best = diffs.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        best < 3.0,
        "closest recorded picture differs by {best:.2} per pixel"
    );
    let mut bigger = 0u32;
    // SAFETY: out pointer valid; the size is refused before anything is written.
    let rc = unsafe { NVT_JPEG_Snap(0, 1280, 720, 80, std::ptr::null_mut(), 0, &mut bigger) };
    assert_eq!(rc, NVT_ERR_INVALID_ARG, "larger than the recording");
}

#[test]
fn errors_and_lifecycle() {
    let guard = lock();
    // SAFETY: every pointer passed is NULL or valid; the SDK must reject, not crash.
    unsafe {
        NVT_SYS_Exit();
        assert_eq!(NVT_SYS_Exit(), 0, "Exit is idempotent");
        let mut v = NVT_SYS_VERSION_S::default();
        assert_eq!(NVT_SYS_GetVersion(&mut v), NVT_ERR_NOT_INIT);
        let mut caps = NVT_VENC_CAPS_S::default();
        assert_eq!(NVT_VENC_GetCaps(&mut caps), NVT_ERR_NOT_INIT);
        assert_eq!(NVT_VENC_StartChn(0), NVT_ERR_NOT_INIT);
        assert_eq!(NVT_FOCUS_Stop(0), NVT_ERR_NOT_INIT);
        assert_eq!(NVT_SYS_Init(std::ptr::null()), NVT_ERR_INVALID_ARG);
        let bad_version = NVT_SYS_CONFIG_S {
            api_version: 99,
            board_options: std::ptr::null(),
        };
        assert_eq!(NVT_SYS_Init(&bad_version), NVT_ERR_VERSION);
    }
    for bad in [
        "bogus=1",
        "replay_fps=0",
        "replay=/nonexistent.h264",
        "motion_on_ms=x",
    ] {
        let g = init_with(lock_free(), bad);
        assert_eq!(g.err(), Some(NVT_ERR_INVALID_ARG), "{bad}");
    }
    let sdk = init_with(lock_free(), "serial=UNIT-42").unwrap();
    // SAFETY: as above.
    unsafe {
        let cfg = NVT_SYS_CONFIG_S {
            api_version: NVT_SDK_API_VERSION,
            board_options: std::ptr::null(),
        };
        assert_eq!(NVT_SYS_Init(&cfg), NVT_ERR_BUSY);
        let mut v = NVT_SYS_VERSION_S::default();
        assert_eq!(NVT_SYS_GetVersion(&mut v), 0);
        assert_eq!(
            CStr::from_ptr(v.serial.as_ptr()).to_str().unwrap(),
            "UNIT-42"
        );
        assert_eq!(
            CStr::from_ptr(v.sdk_name.as_ptr()).to_str().unwrap(),
            "nvt-sim"
        );
        assert_eq!((v.video_source_count, v.max_venc_channels), (1, 4));
        assert_eq!(
            NVT_SYS_GetVersion(std::ptr::null_mut()),
            NVT_ERR_INVALID_ARG
        );
        let mut info = NVT_VI_INFO_S::default();
        assert_eq!(NVT_VI_GetInfo(0, &mut info), 0);
        assert_eq!((info.width, info.height, info.max_fps), (1280, 720, 25));
        assert_eq!(NVT_VI_GetInfo(1, &mut info), NVT_ERR_UNKNOWN_CHN);
        let a = venc_attr(1280, 720, 25);
        assert_eq!(NVT_VENC_CreateChn(4, &a), NVT_ERR_UNKNOWN_CHN);
        assert_eq!(NVT_VENC_CreateChn(0, std::ptr::null()), NVT_ERR_INVALID_ARG);
        let mut odd = a;
        odd.width = 333;
        assert_eq!(NVT_VENC_CreateChn(0, &odd), NVT_ERR_INVALID_ARG);
        let mut fast = a;
        fast.fps = 26;
        assert_eq!(NVT_VENC_CreateChn(0, &fast), NVT_ERR_INVALID_ARG);
        let mut h265 = a;
        h265.codec = NVT_CODEC_E::NVT_CODEC_H265;
        assert_eq!(NVT_VENC_CreateChn(0, &h265), NVT_ERR_NOT_SUPPORTED);
        assert_eq!(NVT_VENC_CreateChn(0, &a), 0);
        assert_eq!(NVT_VENC_CreateChn(0, &a), NVT_ERR_BUSY);
        assert_eq!(
            NVT_VENC_GetStream(0, std::ptr::null_mut(), 0),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(
            NVT_VENC_ReleaseStream(0, std::ptr::null_mut()),
            NVT_ERR_INVALID_ARG
        );
        let mut bogus = NVT_VENC_STREAM_S::default();
        assert_eq!(NVT_VENC_ReleaseStream(0, &mut bogus), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_VENC_RequestIDR(3), NVT_ERR_UNKNOWN_CHN);
        assert_eq!(NVT_VENC_DestroyChn(3), NVT_ERR_UNKNOWN_CHN);
        assert_eq!(
            NVT_MD_GetResult(0, std::ptr::null_mut(), 0),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(NVT_ISP_SetAttr(0, std::ptr::null()), NVT_ERR_INVALID_ARG);
        assert_eq!(
            NVT_JPEG_Snap(0, 64, 64, 50, std::ptr::null_mut(), 0, std::ptr::null_mut()),
            NVT_ERR_INVALID_ARG
        );
        // StrError: static, distinct texts, never NULL.
        let texts: std::collections::HashSet<String> = (-11..=0)
            .map(|e| {
                CStr::from_ptr(NVT_SYS_StrError(e))
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(texts.len(), 12);
        assert!(!NVT_SYS_StrError(-1234).is_null());
    }
    drop(sdk);
    // Init after Exit works again, and a fresh channel table is empty.
    let sdk = init_with(lock_free(), "").unwrap();
    let a = venc_attr(640, 360, 25);
    // SAFETY: valid attr pointer.
    assert_eq!(unsafe { NVT_VENC_CreateChn(0, &a) }, 0);
    drop(sdk);
    drop(guard);
}

/// A guard for code paths that already hold `LOCK` (the test itself serialises them):
/// a second static mutex that is never contended.
fn lock_free() -> MutexGuard<'static, ()> {
    static FREE: Mutex<()> = Mutex::new(());
    FREE.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn unreleased_streams_are_bounded_and_outlive_destroy() {
    let _sdk = init("");
    create_start(3, &venc_attr(320, 180, 25));
    let mut held: Vec<NVT_VENC_STREAM_S> = Vec::new();
    for _ in 0..4 {
        let mut s = NVT_VENC_STREAM_S::default();
        // SAFETY: valid, writable stream struct.
        assert_eq!(unsafe { NVT_VENC_GetStream(3, &mut s, 3000) }, 0);
        held.push(s);
    }
    let mut s = NVT_VENC_STREAM_S::default();
    // SAFETY: valid, writable stream struct.
    assert_eq!(
        unsafe { NVT_VENC_GetStream(3, &mut s, 3000) },
        NVT_ERR_NO_MEM
    );
    // Streams stay readable after the channel is destroyed, until released.
    // SAFETY: plain integer argument.
    assert_eq!(unsafe { NVT_VENC_DestroyChn(3) }, 0);
    for s in &mut held {
        // SAFETY: the SDK keeps the stream's descriptors and bytes alive until release.
        let first = unsafe { *(*s.nalus).data };
        assert_eq!(first & 0x80, 0, "forbidden_zero_bit of a live NAL header");
        // SAFETY: releasing a stream obtained above.
        assert_eq!(unsafe { NVT_VENC_ReleaseStream(3, s) }, 0);
        assert!(s.nalus.is_null(), "release clears the caller's struct");
    }
}

#[test]
fn cbr_holds_the_target_and_vbr_stays_under_the_ceiling() {
    let _sdk = init("");
    let mut cbr = venc_attr(640, 360, 25);
    cbr.bitrate_kbps = 1000;
    cbr.gop = 50;
    let mut vbr = cbr;
    vbr.rc_mode = NVT_RC_MODE_E::NVT_RC_VBR;
    create_start(0, &cbr);
    create_start(1, &vbr);
    // Both channels are drained at once so neither drops frames.
    let rate = |chn| {
        std::thread::spawn(move || {
            let frames = collect(chn, 100);
            for w in frames.windows(2) {
                assert_eq!(w[1].seq, w[0].seq + 1, "no frame dropped");
            }
            // Skip the first second (rate control settling), measure the next three.
            let bytes: usize = frames[25..].iter().map(Got::bytes).sum();
            (bytes * 8 * 25 / 75 / 1000) as u32
        })
    };
    let (c, v) = (rate(0), rate(1));
    let (c, v) = (c.join().unwrap(), v.join().unwrap());
    assert!(
        (750..=1250).contains(&c),
        "CBR 1000 kbit/s target produced {c}"
    );
    assert!(v <= 1050 && v > 300, "VBR 1000 kbit/s ceiling produced {v}");
}

// ---- Contract version 4: OSD, statistics, GPIO -----------------------------------------

/// An opaque ARGB8888 region of one colour, with its pixels (which must outlive the call).
fn osd_region(x: u32, y: u32, w: u32, h: u32, argb: u32) -> (NVT_OSD_REGION_S, Vec<u8>) {
    let pixels: Vec<u8> = (0..w * h).flat_map(|_| argb.to_ne_bytes()).collect();
    let r = NVT_OSD_REGION_S {
        x,
        y,
        width: w,
        height: h,
        stride: 4 * w,
        pixels: pixels.as_ptr(),
        alpha: 255,
    };
    (r, pixels)
}

fn set_region(id: u32, r: &NVT_OSD_REGION_S) -> i32 {
    // SAFETY: r points to a live struct whose pixels hold stride * height bytes.
    unsafe { NVT_OSD_SetRegion(0, id, r) }
}

/// Mean luma of block `xs` x `ys` of the last picture of a 640x360 stream, decoded by
/// ffmpeg (the decoder's own Y plane: no range conversion).
fn stream_luma(
    name: &str,
    frames: &[Got],
    xs: std::ops::Range<usize>,
    ys: std::ops::Range<usize>,
) -> f64 {
    let p = write_annexb(name, frames);
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&p)
        .args(["-pix_fmt", "yuv420p", "-f", "rawvideo", "-"])
        .output()
        .expect("ffmpeg");
    assert!(out.status.success());
    let (w, h) = (640, 360);
    let last = &out.stdout[out.stdout.len() - w * h * 3 / 2..];
    let luma: Vec<u8> = ys
        .flat_map(|r| last[r * w..][xs.clone()].to_vec())
        .collect();
    mean(&luma)
}

#[test]
fn an_osd_region_shows_in_the_scaled_stream_and_the_snapshot_until_cleared() {
    let _sdk = init("");
    let mut info = NVT_OSD_INFO_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_OSD_GetInfo(0, &mut info) }, 0);
    assert_eq!(
        (info.max_regions, info.max_width, info.max_height),
        (8, 1280, 720)
    );
    assert_eq!((info.align_x, info.align_y, info.alpha_levels), (2, 2, 256));
    // A sub stream: 640x360, scaled from the 1280x720 source.
    create_start(0, &venc_attr(640, 360, 25));
    // White (BT.601: 235, 128, 128) 320x160 at (640, 200) in source pixels, over the
    // magenta and red bars (luma under 90): (320..480, 100..180) in the half-size stream
    // and snapshot; the block measured is well inside it.
    let white = [235, 128, 128];
    let (bx, by) = (340..460, 110..170);
    assert!(!near(
        snap_block("osd-before.jpg", bx.clone(), by.clone()),
        white
    ));
    let (region, _pixels) = osd_region(640, 200, 320, 160, 0xFFFF_FFFF);
    assert_eq!(set_region(2, &region), 0);
    let got = snap_block("osd-shown.jpg", bx.clone(), by.clone());
    assert!(near(got, white), "snapshot: {got:?}");
    collect(0, 3); // frames possibly encoded before the region was set
    let shown = stream_luma("osd-shown.h264", &collect(0, 25), bx.clone(), by.clone());
    assert!((shown - 235.0).abs() < 6.0, "stream luma {shown}");

    // Refused regions change nothing: misaligned, outside the frame, too many, NULL pixels.
    let (odd, _p1) = osd_region(641, 200, 320, 160, 0xFF00_FF00);
    let (out, _p2) = osd_region(1000, 200, 320, 160, 0xFF00_FF00);
    let (short, _p3) = osd_region(640, 200, 320, 160, 0xFF00_FF00);
    let short = NVT_OSD_REGION_S {
        stride: 4 * 320 - 4,
        ..short
    };
    let null = NVT_OSD_REGION_S {
        pixels: std::ptr::null(),
        ..region
    };
    for (id, r) in [(2, &odd), (2, &out), (2, &short), (2, &null), (8, &region)] {
        assert_eq!(set_region(id, r), NVT_ERR_INVALID_ARG);
    }
    assert!(near(
        snap_block("osd-kept.jpg", bx.clone(), by.clone()),
        white
    ));

    // Cleared (twice: hiding a hidden region is OK): gone from both.
    // SAFETY: plain integer arguments.
    unsafe {
        assert_eq!(NVT_OSD_ClearRegion(0, 2), 0);
        assert_eq!(NVT_OSD_ClearRegion(0, 2), 0);
        assert_eq!(NVT_OSD_ClearRegion(0, 8), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_OSD_ClearRegion(1, 0), NVT_ERR_UNKNOWN_CHN);
    }
    assert!(!near(
        snap_block("osd-cleared.jpg", bx.clone(), by.clone()),
        white
    ));
    collect(0, 3);
    let cleared = stream_luma("osd-cleared.h264", &collect(0, 25), bx, by);
    assert!((cleared - 235.0).abs() > 100.0, "stream luma {cleared}");
}

fn stats() -> NVT_ISP_STATS_S {
    let mut s = NVT_ISP_STATS_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_ISP_GetStats(0, &mut s) }, 0);
    s
}

/// Stats of a picture captured after now (the next 25 fps instant and a margin).
fn fresh_stats() -> NVT_ISP_STATS_S {
    let after = mono_us();
    std::thread::sleep(Duration::from_millis(60));
    let s = stats();
    assert!(s.pts_us > after);
    s
}

fn hist_mean(s: &NVT_ISP_STATS_S) -> f64 {
    s.hist
        .iter()
        .enumerate()
        .map(|(b, &n)| (b * 8 + 4) as f64 * n as f64)
        .sum::<f64>()
        / 1000.0
}

#[test]
fn statistics_follow_exposure_focus_and_the_head() {
    let _sdk = init("");
    let base = stats();
    assert!(base.seq >= 1 && base.focus_valid == 1);
    let bins: u32 = base.hist.iter().map(|&b| b as u32).sum();
    assert!((968..=1000).contains(&bins), "{bins}");
    assert_eq!((base.ae_at_max, base.ae_at_min), (0, 0));
    // Asked again for the same picture: the same statistics.
    let again = stats();
    if again.pts_us == base.pts_us {
        assert_eq!(again.seq, base.seq);
    }
    let mid = hist_mean(&base);

    // Brightness at its ends moves the histogram.
    assert_eq!(set_isp(|a| a.brightness = 0), 0);
    let dark = fresh_stats();
    assert_eq!(set_isp(|a| a.brightness = 100), 0);
    let bright = fresh_stats();
    assert!(hist_mean(&dark) + 40.0 < mid && mid + 40.0 < hist_mean(&bright));
    assert!(dark.seq > base.seq && bright.seq > dark.seq);

    // Manual exposure at its ends: a black picture with AE at its floor, a white one at
    // its ceiling, as a covered or blinded camera.
    assert_eq!(
        set_isp(|a| {
            a.brightness = 50;
            a.exposure_mode = NVT_AUTO_MODE_E::NVT_MODE_MANUAL;
            a.exposure_time_us = 100;
            a.gain = 0;
        }),
        0
    );
    let black = fresh_stats();
    assert!(black.hist[0] + black.hist[1] >= 900, "{:?}", black.hist);
    assert!(black.zone_luma.iter().flatten().all(|&z| z < 16));
    assert_eq!((black.ae_at_max, black.ae_at_min), (0, 1));
    assert_eq!(
        set_isp(|a| {
            a.exposure_time_us = 40_000;
            a.gain = 100;
        }),
        0
    );
    let white = fresh_stats();
    assert!(white.hist[30] + white.hist[31] >= 900, "{:?}", white.hist);
    assert_eq!((white.ae_at_max, white.ae_at_min), (1, 0));
    assert_eq!(
        set_isp(|a| a.exposure_mode = NVT_AUTO_MODE_E::NVT_MODE_AUTO),
        0
    );

    // Focus far off lowers the focus value (the modelled sharpness: 38 per mille at the
    // end stop); back in focus, it returns.
    let sharp = fresh_stats().focus_value;
    assert!(sharp > 0);
    // SAFETY: plain integer arguments.
    assert_eq!(unsafe { NVT_FOCUS_MoveAbsolute(0, 1000, 250) }, 0);
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(focus_status().position, 1000);
    let blurred = fresh_stats().focus_value;
    assert!(blurred * 10 < sharp, "{sharp} -> {blurred}");
    // SAFETY: plain integer arguments.
    assert_eq!(unsafe { NVT_FOCUS_MoveAbsolute(0, 500, 250) }, 0);
    std::thread::sleep(Duration::from_millis(2100));
    let back = fresh_stats().focus_value;
    assert!(
        back * 10 > sharp * 8 && back * 10 < sharp * 12,
        "{sharp} -> {back}"
    );

    // A PTZ jump changes most zones at once.
    let before = fresh_stats().zone_luma;
    let mut info = NVT_PTZ_INFO_S::default();
    // SAFETY: valid pointers to live structs.
    unsafe {
        assert_eq!(NVT_PTZ_GetInfo(0, &mut info), 0);
        let to = ptz(9_000, 0, 100);
        assert_eq!(
            NVT_PTZ_MoveAbsolute(0, &to, &info.speed_max, NVT_PTZ_AXES_PAN_TILT),
            0
        );
    }
    ptz_settled();
    let after = fresh_stats().zone_luma;
    let changed = before
        .iter()
        .flatten()
        .zip(after.iter().flatten())
        .filter(|(a, b)| a.abs_diff(**b) > 25)
        .count();
    assert!(
        changed * 2 > before.len() * before[0].len(),
        "{changed} zones"
    );

    // SAFETY: NULL and unknown source are refused.
    unsafe {
        assert_eq!(
            NVT_ISP_GetStats(0, std::ptr::null_mut()),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(
            NVT_ISP_GetStats(1, &mut NVT_ISP_STATS_S::default()),
            NVT_ERR_UNKNOWN_CHN
        );
    }
}

#[test]
fn the_osd_and_statistics_are_absent_in_replay() {
    let _sdk = init(&format!("replay={}", replay_file()));
    let mut info = NVT_OSD_INFO_S::default();
    // SAFETY: valid out pointers; the other calls are refused before any pointer is used.
    unsafe {
        assert_eq!(NVT_OSD_GetInfo(0, &mut info), 0);
        assert_eq!(info.max_regions, 0);
        assert_eq!(NVT_OSD_ClearRegion(0, 0), NVT_ERR_NOT_SUPPORTED);
        assert_eq!(
            NVT_ISP_GetStats(0, &mut NVT_ISP_STATS_S::default()),
            NVT_ERR_NOT_SUPPORTED
        );
    }
}

fn wait_gpio(timeout_ms: i32) -> Result<NVT_GPIO_EVENT_S, i32> {
    let mut e = NVT_GPIO_EVENT_S::default();
    // SAFETY: valid out pointer.
    match unsafe { NVT_GPIO_WaitEvent(&mut e, timeout_ms) } {
        0 => Ok(e),
        rc => Err(rc),
    }
}

#[test]
fn relays_keep_their_level_and_the_input_toggles_on_its_schedule() {
    let sdk = init("gpio_input_period_ms=300");
    let mut info = NVT_GPIO_INFO_S::default();
    let mut level = 9u32;
    // SAFETY: valid out pointers; plain integer arguments.
    unsafe {
        assert_eq!(NVT_GPIO_GetInfo(&mut info), 0);
        assert_eq!(
            (
                info.relay_count,
                info.input_count,
                info.relay_closed_at_boot
            ),
            (2, 1, 0)
        );
        assert_eq!(NVT_GPIO_SetRelay(1, 1), 0);
        assert_eq!(NVT_GPIO_GetRelay(1, &mut level), 0);
        assert_eq!(level, 1);
        assert_eq!(NVT_GPIO_GetRelay(0, &mut level), 0);
        assert_eq!(level, 0);
        assert_eq!(NVT_GPIO_SetRelay(1, 0), 0);
        assert_eq!(NVT_GPIO_GetRelay(1, &mut level), 0);
        assert_eq!(level, 0);
        assert_eq!(NVT_GPIO_SetRelay(2, 1), NVT_ERR_UNKNOWN_CHN);
        assert_eq!(NVT_GPIO_SetRelay(0, 2), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_GPIO_GetInput(1, &mut level), NVT_ERR_UNKNOWN_CHN);
        assert_eq!(
            NVT_GPIO_GetRelay(0, std::ptr::null_mut()),
            NVT_ERR_INVALID_ARG
        );
    }
    // Every edge, in order, stamped with its instant on the schedule (Init + k x 300 ms).
    let (init_lo, init_hi) = sdk.init_window;
    for k in 1..=3u64 {
        let e = wait_gpio(2000).expect("an edge");
        assert_eq!((e.seq as u64, e.input, e.closed as u64), (k, 0, k % 2));
        assert!(
            (init_lo + k * 300_000..=init_hi + k * 300_000).contains(&e.pts_us),
            "edge {k} at {}",
            e.pts_us
        );
        assert!(mono_us() >= e.pts_us);
    }
    assert_eq!(wait_gpio(0), Err(NVT_ERR_TIMEOUT));
    // NVT_SYS_Exit wakes a waiter.
    let waiter = std::thread::spawn(|| wait_gpio(-1));
    std::thread::sleep(Duration::from_millis(50));
    // SAFETY: no arguments.
    assert_eq!(unsafe { NVT_SYS_Exit() }, 0);
    let woken = waiter.join().unwrap();
    assert!(
        woken == Err(NVT_ERR_STOPPED) || woken == Err(NVT_ERR_NOT_INIT),
        "{woken:?}"
    );
    drop(sdk);

    // A board without GPIO.
    let _sdk = init("gpio=off");
    // SAFETY: valid out pointer; plain integer arguments.
    unsafe {
        assert_eq!(NVT_GPIO_GetInfo(&mut info), 0);
        assert_eq!((info.relay_count, info.input_count), (0, 0));
        assert_eq!(NVT_GPIO_SetRelay(0, 1), NVT_ERR_NOT_SUPPORTED);
    }
    assert_eq!(wait_gpio(0), Err(NVT_ERR_NOT_SUPPORTED));
}
