//! Measures the simulated SoC: render cost per 1280x720 frame (at the PTZ head's home and
//! looking elsewhere), scaling, H.264 encode rate,
//! JPEG snapshot time, the OSD blend and the picture statistics, the microphone's AAC-LC
//! encoder (CPU per second of audio), and the CPU the SDK burns when idle with and without motion
//! detection. Run with `cargo run -p sdk-sys --example sim_bench` (sdk-sys and its
//! dependencies are built at opt-level 3 even in the dev profile) or with `--release`.

use std::ffi::CString;
use std::time::{Duration, Instant};

use sdk_sys::sim::aac::AacChannel;
use sdk_sys::sim::clock::{Clock, mono_us};
use sdk_sys::sim::encoder::H264Encoder;
use sdk_sys::sim::frame::I420;
use sdk_sys::sim::osd::{Osd, Region};
use sdk_sys::sim::panorama::View;
use sdk_sys::sim::pattern::{self, Pattern};
use sdk_sys::sim::{scale, sensor::Sensor, snapshot, stats};
use sdk_sys::*;

fn cpu_seconds() -> f64 {
    // SAFETY: rusage is plain integers, for which all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid out pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

fn main() {
    let clock = Clock::start();
    aac(clock);
    let sensor = Sensor::new(clock, 10_000, 4_000);

    // Render: distinct instants so nothing comes from the cache; frames are dropped at
    // once, as consumers do, so buffers are recycled (steady state).
    let n = 300;
    for k in 0..n {
        sensor.capture(clock.tick(25, k));
    }
    let st = sensor.stats();
    println!(
        "render 1280x720 (default ISP): {:.2} ms/frame ({} frames)",
        st.total_ns as f64 / st.frames as f64 / 1e6,
        st.frames
    );
    // The PTZ head's view: the pattern alone (home), or resampled into the panorama.
    let pat = Pattern::new();
    let (mut out, mut tile) = (
        I420::new(pattern::WIDTH, pattern::HEIGHT),
        I420::new(pattern::WIDTH, pattern::HEIGHT),
    );
    for (label, pan, tilt, zoom) in [
        ("home (the pattern, no resampling)", 0.0, 0.0, 1.0),
        (
            "pan 12.34 tilt -5 (part pattern, part panorama)",
            12.34,
            -5.0,
            1.0,
        ),
        ("pan 90 (panorama only)", 90.0, 0.0, 1.0),
        ("pan 5 tilt 2 zoom 2.5x (pattern magnified)", 5.0, 2.0, 2.5),
        ("zoom 10x on home", 0.0, 0.0, 10.0),
    ] {
        let view = View { pan, tilt, zoom };
        let t = Instant::now();
        for k in 0..n {
            let obj = pattern::object_x(k * 40_000, 10_000_000, 4_000_000);
            let clock_text = "2026-01-01 00:00:00.000";
            pat.render_view(&mut out, &mut tile, k * 40_000, clock_text, k, obj, view);
            std::hint::black_box(&out);
        }
        println!(
            "render 1280x720 {label}: {:.2} ms/frame",
            t.elapsed().as_secs_f64() * 1e3 / n as f64
        );
    }

    let mut isp = sensor.isp_attr();
    isp.brightness = 70;
    isp.contrast = 60;
    isp.saturation = 30;
    isp.sharpness = 80;
    sensor.set_isp_attr(isp);
    let before = sensor.stats();
    for k in n..2 * n {
        sensor.capture(clock.tick(25, k));
    }
    let after = sensor.stats();
    println!(
        "render 1280x720 (ISP tables + sharpness): {:.2} ms/frame",
        (after.total_ns - before.total_ns) as f64 / (after.frames - before.frames) as f64 / 1e6
    );
    // Frames for the scaler, encoder and JPEG measurements.
    let frames: Vec<_> = (2 * n..2 * n + 100)
        .map(|k| sensor.capture(clock.tick(25, k)))
        .collect();

    let t = Instant::now();
    for f in frames.iter().take(100) {
        std::hint::black_box(scale::scale(&f.image, 640, 360));
    }
    println!(
        "scale 1280x720 -> 640x360: {:.2} ms",
        t.elapsed().as_secs_f64() * 10.0
    );

    // OSD: the composition a channel or snapshot pays per picture while regions are shown
    // (a copy of the source picture, then each region's own rows): a 480x48 clock-sized
    // text box with a half-transparent background, and all 8 regions of that size.
    let text_box: Vec<u8> = (0..480 * 48)
        .flat_map(|i: u32| {
            let px: u32 = if i.is_multiple_of(7) {
                0xFFFF_FFFF
            } else {
                0x8000_0000
            };
            px.to_ne_bytes()
        })
        .collect();
    let region = |y: u32| NVT_OSD_REGION_S {
        x: 32,
        y,
        width: 480,
        height: 48,
        stride: 480 * 4,
        pixels: text_box.as_ptr(),
        alpha: 255,
    };
    for count in [1u32, 8] {
        let osd = Osd::new(1280, 720);
        for id in 0..count {
            let r = region(32 + id * 80);
            osd.set(id, Region::new(&r, &text_box, 1280, 720).expect("region"));
        }
        let t = Instant::now();
        for f in &frames {
            std::hint::black_box(osd.compose(f));
        }
        println!(
            "OSD compose 1280x720, {count} region(s) of 480x48: {:.3} ms/picture",
            t.elapsed().as_secs_f64() * 1e3 / frames.len() as f64
        );
    }
    let t = Instant::now();
    for f in &frames {
        std::hint::black_box(stats::measure(&f.image));
    }
    println!(
        "ISP statistics 1280x720 (zones, histogram, focus value): {:.3} ms/picture; \
         focus value of the pattern (ISP as set above) {}..{}",
        t.elapsed().as_secs_f64() * 1e3 / frames.len() as f64,
        frames
            .iter()
            .map(|f| stats::measure(&f.image).gradient)
            .min()
            .unwrap_or(0),
        frames
            .iter()
            .map(|f| stats::measure(&f.image).gradient)
            .max()
            .unwrap_or(0),
    );

    for (w, h, profile) in [(1280, 720, 0), (1280, 720, 2), (640, 360, 0)] {
        let attr = NVT_VENC_ATTR_S {
            vi: 0,
            codec: NVT_CODEC_E::NVT_CODEC_H264,
            width: w,
            height: h,
            fps: 25,
            rc_mode: NVT_RC_MODE_E::NVT_RC_CBR,
            bitrate_kbps: 2000,
            gop: 50,
            profile: NVT_H264_PROFILE_E(profile),
            qp: 26,
        };
        let mut enc = H264Encoder::new(&attr).unwrap();
        let imgs: Vec<_> = frames
            .iter()
            .map(|f| scale::scale(&f.image, w as usize, h as usize))
            .collect();
        let t = Instant::now();
        let mut bytes = 0;
        for (k, img) in imgs.iter().enumerate() {
            bytes += enc
                .encode(img, k as u64 * 40_000, false)
                .unwrap()
                .data
                .len();
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "encode {w}x{h} profile {profile} CBR 2000 kbps: {:.1} fps ({:.0} kbit/s at 25 fps)",
            imgs.len() as f64 / secs,
            bytes as f64 * 8.0 * 25.0 / imgs.len() as f64 / 1000.0
        );
    }

    for (w, h) in [(1280, 720), (640, 360)] {
        let t = Instant::now();
        let mut size = 0;
        for f in frames.iter().take(50) {
            size = snapshot::encode(&f.image, w, h, 80).unwrap().len();
        }
        println!(
            "jpeg {w}x{h} q80: {:.2} ms ({} bytes)",
            t.elapsed().as_secs_f64() * 20.0,
            size
        );
    }

    // Idle CPU through the C API: nothing started, MD disabled vs enabled (the default).
    let opts = CString::new("").unwrap();
    let cfg = NVT_SYS_CONFIG_S {
        api_version: NVT_SDK_API_VERSION,
        board_options: opts.as_ptr(),
    };
    // SAFETY: cfg outlives the call.
    assert_eq!(unsafe { NVT_SYS_Init(&cfg) }, 0);
    let mut md = NVT_MD_ATTR_S::default();
    // SAFETY: valid pointers.
    unsafe {
        NVT_MD_GetAttr(0, &mut md);
        md.enable = 0;
        NVT_MD_SetAttr(0, &md);
    }
    let measure = |label: &str| {
        std::thread::sleep(Duration::from_millis(500));
        let (c0, t0) = (cpu_seconds(), mono_us());
        std::thread::sleep(Duration::from_secs(5));
        let (c1, t1) = (cpu_seconds(), mono_us());
        println!(
            "idle CPU, {label}: {:.2} % of one core",
            (c1 - c0) * 1e8 / (t1 - t0) as f64
        );
    };
    measure("nothing started, MD disabled");
    md.enable = 1;
    // SAFETY: valid pointer.
    unsafe { NVT_MD_SetAttr(0, &md) };
    measure("nothing started, MD enabled (5 fps analysis)");

    // The daemon's default load: 1280x720@25 main + 640x360@15 sub, drained by readers.
    for (chn, w, h, fps) in [(0u32, 1280, 720, 25), (1, 640, 360, 15)] {
        let attr = NVT_VENC_ATTR_S {
            vi: 0,
            codec: NVT_CODEC_E::NVT_CODEC_H264,
            width: w,
            height: h,
            fps,
            rc_mode: NVT_RC_MODE_E::NVT_RC_CBR,
            bitrate_kbps: if chn == 0 { 2000 } else { 512 },
            gop: 50,
            profile: NVT_H264_PROFILE_E::NVT_H264_PROFILE_MAIN,
            qp: 26,
        };
        // SAFETY: valid attr pointer.
        unsafe {
            assert_eq!(NVT_VENC_CreateChn(chn, &attr), 0);
            assert_eq!(NVT_VENC_StartChn(chn), 0);
        }
        std::thread::spawn(move || {
            let mut s = NVT_VENC_STREAM_S::default();
            // SAFETY: valid stream struct; released right after each successful get.
            loop {
                match unsafe { NVT_VENC_GetStream(chn, &mut s, 1000) } {
                    0 => unsafe { NVT_VENC_ReleaseStream(chn, &mut s) },
                    NVT_ERR_TIMEOUT => continue,
                    _ => break,
                };
            }
        });
    }
    measure("720p25 + 360p15 encoding, MD enabled");
    // SAFETY: no arguments.
    unsafe { NVT_SYS_Exit() };
}

/// The microphone's AAC-LC encoder: CPU (all threads: the crate encodes a chunk's frames
/// in parallel) per second of the beep signal, as a channel asks for its units.
fn aac(clock: Clock) {
    for (rate, kbps) in [(16000, 32), (16000, 64), (8000, 16)] {
        let seconds = 30;
        let units = u64::from(seconds * rate / 1024);
        let mut ch = AacChannel::default();
        let cpu = cpu_seconds();
        let bytes: usize = (0..units).map(|k| ch.au(&clock, rate, kbps, k).len()).sum();
        let cpu = cpu_seconds() - cpu;
        println!(
            "AAC-LC {} kHz {kbps} kb/s: {:.1} ms CPU per second of audio ({:.1} kb/s of beeps)",
            rate / 1000,
            cpu * 1e3 / f64::from(seconds),
            bytes as f64 * 8.0 / f64::from(seconds) / 1000.0
        );
    }
}
