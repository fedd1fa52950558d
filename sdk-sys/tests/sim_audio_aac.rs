//! The simulated microphone's AAC-LC channels (NVT_AI_*), driven only through the bindgen
//! declarations as nvt uses them: the caps, the checks at CreateChn, raw access units of
//! 1024 samples on the video's clock, and ffmpeg decoding them to the per-second beeps.
//! (G.711 and `aac=off` are tests/sim_audio.rs; each file is its own process, as the SDK
//! is one per process.)
#![cfg(feature = "sim")]

use std::ffi::CString;

use sdk_sys::*;

#[path = "../../tests/support/adts.rs"]
mod adts;

fn mono_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out pointer; CLOCK_MONOTONIC exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

fn aac(rate: u32, kbps: u32) -> NVT_AI_ATTR_S {
    NVT_AI_ATTR_S {
        ai: 0,
        codec: NVT_AUDIO_CODEC_E::NVT_AUDIO_AAC_LC,
        sample_rate: rate,
        channels: 1,
        bitrate_kbps: kbps,
        frame_samples: 1024,
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
    (meta, data)
}

#[test]
fn aac_units_decode_to_the_beeps_on_the_video_clock() {
    let opts = CString::new("").unwrap();
    let cfg = NVT_SYS_CONFIG_S {
        api_version: NVT_SDK_API_VERSION,
        board_options: opts.as_ptr(),
    };
    // SAFETY: cfg outlives the call.
    assert_eq!(unsafe { NVT_SYS_Init(&cfg) }, NVT_OK as i32);

    let mut caps = NVT_AI_CAPS_S::default();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { NVT_AI_GetCaps(&mut caps) }, NVT_OK as i32);
    assert_eq!(caps.codecs, 0b111, "G.711 both laws and AAC-LC");
    assert_eq!(
        &caps.sample_rates[..caps.rate_count as usize],
        &[8000, 16000]
    );
    assert_eq!((caps.bitrate_min_kbps, caps.bitrate_max_kbps), (16, 64));

    // What the caps do not list is refused.
    for bad in [
        NVT_AI_ATTR_S {
            frame_samples: 160,
            ..aac(16000, 32)
        },
        aac(44_100, 32),
        aac(16000, 8),
        aac(16000, 128),
        NVT_AI_ATTR_S {
            channels: 2,
            ..aac(16000, 32)
        },
    ] {
        // SAFETY: valid attr.
        assert_eq!(
            unsafe { NVT_AI_CreateChn(0, &bad) },
            NVT_ERR_INVALID_ARG,
            "{bad:?}"
        );
    }
    // G.711 stays 8 kHz only.
    let g711_16k = NVT_AI_ATTR_S {
        codec: NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U,
        frame_samples: 320,
        ..aac(16000, 64)
    };
    // SAFETY: valid attr.
    assert_eq!(
        unsafe { NVT_AI_CreateChn(0, &g711_16k) },
        NVT_ERR_INVALID_ARG
    );

    // 4 bits a sample: at half that, pre-echo moves the onset found by up to 14 ms.
    // 3.3 s: the first whole second whose beep has the quiet before it that the detector
    // needs falls in the first 1.3 s, and its beep and the silence after it (0.7 s) fit.
    for (rate, kbps, seconds) in [(16000, 64, 3.3), (8000, 32, 3.3)] {
        let a = aac(rate, kbps);
        // SAFETY: valid attr; plain value arguments.
        unsafe {
            assert_eq!(NVT_AI_CreateChn(0, &a), NVT_OK as i32);
            assert_eq!(NVT_AI_StartChn(0), NVT_OK as i32);
        }
        let frame_us = 1024 * 1_000_000 / u64::from(rate);
        let count = (seconds * 1e6 / frame_us as f64) as usize;
        let frames: Vec<_> = (0..count).map(|_| frame(0)).collect();
        // Each unit arrives once the frame after it is captured (the encoder's look-ahead).
        let now = mono_us();
        let last = &frames.last().unwrap().0;
        assert!(
            last.pts_us + 2 * frame_us <= now + 2_000 && now < last.pts_us + 2 * frame_us + 200_000,
            "unit of {} µs handed out at {now} µs",
            last.pts_us
        );
        let offset = frames[0].0.utc_us - frames[0].0.pts_us;
        for w in frames.windows(2) {
            assert_eq!(w[1].0.seq, w[0].0.seq.wrapping_add(1));
            assert_eq!(w[1].0.pts_us - w[0].0.pts_us, frame_us);
            assert_eq!(w[1].0.utc_us - w[1].0.pts_us, offset);
            assert_eq!(w[1].0.samples, 1024);
            assert!(!w[1].1.is_empty());
            assert_ne!(&w[1].1[..2], &[0xFF, 0xF1], "raw units, no ADTS header");
        }

        // ffmpeg decodes sample i of the units at frames[0]'s instant + i / rate.
        let units: Vec<Vec<u8>> = frames.iter().map(|f| f.1.clone()).collect();
        let pcm = adts::decode_units(rate, &units);
        assert_eq!(
            pcm.len(),
            count * 1024,
            "every unit decodes to 1024 samples"
        );
        let utc = |i: usize| frames[0].0.utc_us + i as u64 * 1_000_000 / u64::from(rate);
        // A beep starts at phase 0 on the whole second with a -12 dBFS peak (8192). AAC
        // spreads quantisation noise ahead of an onset (pre-echo). The onset is the first
        // sample past 5000 after 300 ms of silence: measured (the encoder alone, 9
        // alignments of the beeps on the frame grid, 17 beeps each) 0.1..0.4 ms after the
        // true onset at 64 kb/s and 16 kHz and at 32 kb/s and 8 kHz; at 32 and 16 kb/s
        // pre-echo past 5000 came up to 14 ms early, quantisation made it 10 ms late.
        // The quiet looked at ends 150 ms before the onset: pre-echo fills at most the
        // onset's frame (1024 samples: 128 ms at 8 kHz), and a window ending 50 ms before
        // it once took pre-echo past 500 for the beep itself, which was then missed
        // (test-all, 2026-12-07: the next beep was found, too late for the 2.2 s decoded).
        // Nothing past 5000 in those 150 ms: `i` is the beep's first loud sample, not one
        // inside a beep the decoded audio began in.
        let quiet = rate as usize * 3 / 10;
        let guard = rate as usize * 15 / 100;
        let loud = (quiet..pcm.len())
            .find(|&i| {
                pcm[i].unsigned_abs() > 5000
                    && pcm[i - quiet..i - guard]
                        .iter()
                        .all(|s| s.unsigned_abs() < 500)
                    && pcm[i - guard..i].iter().all(|s| s.unsigned_abs() <= 5000)
            })
            .expect("a beep");
        assert!(
            loud < rate as usize * 13 / 10,
            "the first beep with quiet before it at sample {loud} of {} ({rate} Hz): one missed",
            pcm.len()
        );
        let into = (utc(loud) % 1_000_000) as i64;
        let from_whole = if into > 500_000 {
            into - 1_000_000
        } else {
            into
        };
        assert!(
            (-1_000..2_000).contains(&from_whole),
            "beep {from_whole} µs from the second at {rate} Hz"
        );
        // The pitch, counted over 50 ms from 10 ms into the beep (past the onset's noise).
        let second = (utc(loud) + 500_000) / 1_000_000;
        let at = loud + rate as usize / 100;
        let beep = &pcm[at..at + rate as usize / 20];
        let crossings = beep.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count() as u64;
        let hz = crossings * 10;
        assert!(
            hz.abs_diff(400 + 100 * (second % 10)) <= 30,
            "{hz} Hz at second {second}"
        );
        // Silence between the beeps decodes to silence.
        let mid = loud + rate as usize / 2;
        assert!(pcm[mid..mid + rate as usize / 5].iter().all(|s| *s == 0));

        // SAFETY: plain value arguments.
        unsafe {
            assert_eq!(NVT_AI_StopChn(0), NVT_OK as i32);
            assert_eq!(NVT_AI_DestroyChn(0), NVT_OK as i32);
        }
    }
    // SAFETY: no arguments.
    unsafe { NVT_SYS_Exit() };
}
