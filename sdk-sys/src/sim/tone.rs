//! The simulated microphone's signal: a beep at each whole second of the wall clock the
//! video's burned-in clock shows (`clock::Clock::utc_at`), whose pitch encodes that second,
//! and silence between. A test that decodes the audio finds each beep's onset and knows
//! which second it marks, so it can measure audio against video on one timeline.
//!
//! Everything is a pure function of the sample's instant: no state, no thread.

use super::clock::Clock;

/// Sample rate of the simulated microphone (G.711's, ITU-T G.711 s1).
pub const RATE: u32 = 8000;
/// Length of each beep.
pub const BEEP_US: u64 = 100_000;
/// Peak amplitude: -12 dBFS, loud enough to find, far from clipping.
pub const AMPLITUDE: f64 = 8192.0;

/// The beep's pitch at wall-clock second `second`: 400 Hz plus 100 Hz per unit of the
/// second's last digit (400..1300 Hz, each well inside G.711's 300..3400 Hz band).
pub fn pitch_hz(second: u64) -> u32 {
    400 + 100 * (second % 10) as u32
}

/// Sample `n` of the signal, `n` counted at [`RATE`] from NVT_SYS_Init (`clock.mono0`).
pub fn sample(clock: &Clock, n: u64) -> i16 {
    sample_at(clock, n, RATE)
}

/// Sample `n` of the signal sampled at `rate` Hz (the AAC channels' 16 kHz as well as
/// G.711's 8 kHz), `n` counted from NVT_SYS_Init.
pub fn sample_at(clock: &Clock, n: u64, rate: u32) -> i16 {
    let mono = clock.mono0 + n * 1_000_000 / u64::from(rate);
    let utc = clock.utc_at(mono);
    let into = utc % 1_000_000;
    if into >= BEEP_US {
        return 0;
    }
    let f = f64::from(pitch_hz(utc / 1_000_000));
    let t = into as f64 / 1e6;
    (AMPLITUDE * (std::f64::consts::TAU * f * t).sin()) as i16
}

/// RMS level in whole dBFS of `samples` (a full-scale square wave is 0; silence -96).
pub fn level_dbfs(samples: impl Iterator<Item = i16>) -> i32 {
    let (mut sum, mut n) = (0f64, 0u32);
    for s in samples {
        sum += f64::from(s) * f64::from(s);
        n += 1;
    }
    if n == 0 || sum == 0.0 {
        return -96;
    }
    let rms = (sum / f64::from(n)).sqrt();
    ((20.0 * (rms / 32768.0).log10()).round() as i32).clamp(-96, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(utc0: u64) -> Clock {
        Clock {
            mono0: 5_000_000,
            utc0,
        }
    }

    #[test]
    fn beeps_start_at_each_whole_second_with_the_seconds_pitch() {
        // Init 0.25 s into second 1000: the beep of second 1001 starts 0.75 s later.
        let c = clock(1_000_250_000);
        let first = 750_000 * u64::from(RATE) / 1_000_000;
        assert_eq!(sample(&c, first - 1), 0);
        assert_eq!(sample(&c, first), 0, "sine phase 0 at the onset");
        assert!(sample(&c, first + 1) > 1000);
        // 100 ms of beep, zero crossings at the pitch of second 1001 (500 Hz).
        let beep: Vec<i16> = (first..first + 800).map(|n| sample(&c, n)).collect();
        let crossings = beep.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!((99..=101).contains(&crossings), "{crossings}");
        assert_eq!(sample(&c, first + 800), 0, "silence after 100 ms");
    }

    #[test]
    fn level_follows_the_signal() {
        let c = clock(1_000_000_000);
        let beep = level_dbfs((0..800).map(|n| sample(&c, n)));
        assert_eq!(beep, -15, "a -12 dBFS peak sine is -15 dBFS RMS");
        assert_eq!(level_dbfs((800..1600).map(|n| sample(&c, n))), -96);
        assert_eq!(level_dbfs([i16::MAX, i16::MIN].into_iter()), 0);
    }
}
