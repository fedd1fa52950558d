//! The simulated microphone (NVT_AI_*), driven only through the bindgen declarations, as
//! the daemon and a vendor port use it: caps, channels, frames on the video's clock, the
//! per-second beep and the sound level, on a board without AAC (`aac=off`).
#![cfg(feature = "sim")]

use std::ffi::CString;

use sdk_sys::*;

fn mono_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out pointer; CLOCK_MONOTONIC exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

fn attr(codec: NVT_AUDIO_CODEC_E) -> NVT_AI_ATTR_S {
    NVT_AI_ATTR_S {
        ai: 0,
        codec,
        sample_rate: 8000,
        channels: 1,
        bitrate_kbps: 64,
        frame_samples: 160,
    }
}

/// One frame copied out and released.
fn frame(chn: u32) -> (NVT_AI_FRAME_S, Vec<u8>) {
    let mut f = NVT_AI_FRAME_S::default();
    // SAFETY: valid out pointer; the frame's data stays valid until released below.
    let rc = unsafe { NVT_AI_GetFrame(chn, &mut f, 1000) };
    assert_eq!(rc, NVT_OK as i32);
    // SAFETY: the contract: `data` points to `len` bytes until ReleaseFrame.
    let data = unsafe { std::slice::from_raw_parts(f.data, f.len as usize) }.to_vec();
    let meta = f;
    // SAFETY: the frame GetFrame filled.
    assert_eq!(unsafe { NVT_AI_ReleaseFrame(chn, &mut f) }, NVT_OK as i32);
    assert!(f.data.is_null(), "released frames are cleared");
    (meta, data)
}

fn level() -> i32 {
    let mut l = 0;
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_AI_GetLevel(0, &mut l) }, NVT_OK as i32);
    l
}

#[test]
fn the_microphone_beeps_each_second_on_the_video_clock() {
    // A board whose SoC encodes only G.711 (tests/sim_audio_aac.rs has the AAC-LC one).
    let opts = CString::new("aac=off").unwrap();
    let cfg = NVT_SYS_CONFIG_S {
        api_version: NVT_SDK_API_VERSION,
        board_options: opts.as_ptr(),
    };
    // SAFETY: cfg outlives the call.
    assert_eq!(unsafe { NVT_SYS_Init(&cfg) }, NVT_OK as i32);

    let mut caps = NVT_AI_CAPS_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_AI_GetCaps(&mut caps) }, NVT_OK as i32);
    assert_eq!((caps.input_count, caps.max_channels), (1, 1));
    assert_eq!(caps.codecs, 0b11, "G.711 µ-law and A-law, no AAC");
    assert_eq!(&caps.sample_rates[..caps.rate_count as usize], &[8000]);

    let aac = attr(NVT_AUDIO_CODEC_E::NVT_AUDIO_AAC_LC);
    // SAFETY: valid attr.
    assert_eq!(unsafe { NVT_AI_CreateChn(0, &aac) }, NVT_ERR_NOT_SUPPORTED);
    let mut bad = attr(NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U);
    bad.sample_rate = 44_100;
    // SAFETY: valid attr.
    assert_eq!(unsafe { NVT_AI_CreateChn(0, &bad) }, NVT_ERR_INVALID_ARG);
    let a = attr(NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U);
    // SAFETY: valid attr.
    assert_eq!(unsafe { NVT_AI_CreateChn(0, &a) }, NVT_OK as i32);
    let mut f = NVT_AI_FRAME_S::default();
    // SAFETY: valid out pointer; a channel not started has no frames.
    assert_eq!(unsafe { NVT_AI_GetFrame(0, &mut f, 10) }, NVT_ERR_STOPPED);
    // SAFETY: plain value arguments.
    assert_eq!(unsafe { NVT_AI_StartChn(0) }, NVT_OK as i32);

    // 1.3 s of frames: contiguous, 20 ms apart, on the monotonic clock of now.
    let mut frames = Vec::new();
    for _ in 0..65 {
        frames.push(frame(0));
    }
    let now = mono_us();
    let last = &frames.last().unwrap().0;
    assert!(last.pts_us + 20_000 <= now + 2_000 && now < last.pts_us + 200_000);
    let offset = frames[0].0.utc_us - frames[0].0.pts_us;
    for w in frames.windows(2) {
        assert_eq!(w[1].0.seq, w[0].0.seq.wrapping_add(1));
        assert_eq!(w[1].0.pts_us - w[0].0.pts_us, 20_000);
        assert_eq!(
            w[1].0.utc_us - w[1].0.pts_us,
            offset,
            "one clock for utc and pts"
        );
        assert_eq!((w[1].0.samples, w[1].1.len()), (160, 160));
    }

    // The decoded signal: a beep starts within a sample of each whole second of UTC, at
    // that second's pitch.
    let samples: Vec<(u64, i32)> = frames
        .iter()
        .flat_map(|(m, d)| {
            d.iter()
                .enumerate()
                .map(move |(i, &c)| (m.utc_us + i as u64 * 125, decode_ulaw(c)))
        })
        .collect();
    // The sine starts at phase 0 on the whole second, which falls anywhere inside a 125 µs
    // sample period: the beep's first sample can be anything up to 0.85 of full scale, so
    // the loud sample may follow up to two rising ones. The onset is the last silent
    // sample before it (the bug behind tests/rtsp_audio.rs's flake of session 10, and this
    // test's in CI run 28).
    let loud = (80..samples.len())
        .find(|&i| {
            samples[i].1.abs() > 1000 && samples[i - 80..i - 2].iter().all(|s| s.1.abs() < 200)
        })
        .expect("a beep");
    let onset = (loud - 3..loud)
        .rev()
        .find(|&k| samples[k].1.abs() < 200)
        .unwrap_or(loud - 3);
    let (utc, _) = samples[onset];
    let into = (utc % 1_000_000) as i64;
    let from_whole = if into > 500_000 {
        into - 1_000_000
    } else {
        into
    };
    assert!(
        from_whole.abs() <= 250,
        "beep {from_whole} µs from the second"
    );
    let second = (utc + 500_000) / 1_000_000;
    let beep = &samples[onset..onset + 800];
    let crossings = beep
        .windows(2)
        .filter(|w| (w[0].1 < 0) != (w[1].1 < 0))
        .count() as u64;
    let hz = crossings * 10 / 2;
    assert!(
        hz.abs_diff(400 + 100 * (second % 10)) <= 10,
        "{hz} Hz at second {second}"
    );

    // The level follows the beep: loud just after a second starts, silent mid-second.
    let (mut loud, mut quiet) = (None, None);
    let until = mono_us() + 3_000_000;
    while mono_us() < until && (loud.is_none() || quiet.is_none()) {
        let into = (mono_us() + offset) % 1_000_000;
        if (60_000..100_000).contains(&into) {
            loud = Some(level());
        } else if (400_000..900_000).contains(&into) {
            quiet = Some(level());
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(loud.unwrap() >= -19, "{loud:?}");
    assert_eq!(quiet, Some(-96));

    // SAFETY: plain value arguments.
    assert_eq!(unsafe { NVT_AI_StopChn(0) }, NVT_OK as i32);
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_AI_GetFrame(0, &mut f, 10) }, NVT_ERR_STOPPED);
    // SAFETY: plain value arguments.
    assert_eq!(unsafe { NVT_AI_DestroyChn(0) }, NVT_OK as i32);
    // SAFETY: plain value arguments.
    assert_eq!(unsafe { NVT_AI_DestroyChn(0) }, NVT_ERR_UNKNOWN_CHN);
    // SAFETY: no arguments.
    unsafe { NVT_SYS_Exit() };
}

fn decode_ulaw(code: u8) -> i32 {
    i32::from(sdk_sys::sim::g711::ulaw_to_linear(code))
}
