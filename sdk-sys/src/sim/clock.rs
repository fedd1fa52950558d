//! Time base of the simulated SoC. Capture times are CLOCK_MONOTONIC microseconds (what
//! the contract's `pts_us` is); wall-clock times are derived from the offset sampled once at
//! NVT_SYS_Init, so pts and utc of one frame always advance together.

use std::time::{SystemTime, UNIX_EPOCH};

/// CLOCK_MONOTONIC now, in microseconds.
pub fn mono_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    debug_assert_eq!(rc, 0);
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The instant of NVT_SYS_Init on both clocks.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub mono0: u64,
    pub utc0: u64,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            mono0: mono_us(),
            utc0: wall_us(),
        }
    }

    pub fn utc_at(&self, mono: u64) -> u64 {
        self.utc0 + mono.saturating_sub(self.mono0)
    }

    /// Microseconds since Init of a monotonic instant.
    pub fn since_init(&self, mono: u64) -> u64 {
        mono.saturating_sub(self.mono0)
    }

    /// Tick `k` of a clock running at `fps`, on the grid anchored at Init. Channels at the
    /// same rate therefore share capture instants (and rendered frames).
    pub fn tick(&self, fps: u32, k: u64) -> u64 {
        self.mono0 + k * 1_000_000 / fps as u64
    }

    /// First tick index whose time is >= `mono`.
    pub fn next_tick_index(&self, fps: u32, mono: u64) -> u64 {
        let d = self.since_init(mono) as u128 * fps as u128;
        d.div_ceil(1_000_000) as u64
    }
}

/// Sleeps until CLOCK_MONOTONIC reaches `deadline_us` (returns at once if it has).
pub fn sleep_until(deadline_us: u64) {
    let now = mono_us();
    if deadline_us > now {
        std::thread::sleep(std::time::Duration::from_micros(deadline_us - now));
    }
}

/// Formats wall-clock microseconds as UTC `YYYY-MM-DD HH:MM:SS.mmm`.
pub fn format_utc(utc_us: u64) -> String {
    let secs = utc_us / 1_000_000;
    let ms = (utc_us / 1000) % 1000;
    let days = (secs / 86_400) as i64;
    let sod = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm), valid for the whole u64 range we use.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00.000");
        // 2024-02-29 23:59:59.999 (leap day)
        assert_eq!(format_utc(1_709_251_199_999_000), "2024-02-29 23:59:59.999");
        assert_eq!(format_utc(1_795_000_000_123_456), "2026-11-18 11:06:40.123");
    }

    #[test]
    fn ticks_are_on_the_init_grid() {
        let c = Clock {
            mono0: 1_000_000,
            utc0: 0,
        };
        assert_eq!(c.tick(25, 3), 1_120_000);
        assert_eq!(c.next_tick_index(25, 1_120_000), 3);
        assert_eq!(c.next_tick_index(25, 1_120_001), 4);
        assert_eq!(c.tick(15, 1) - c.tick(15, 0), 66_666);
    }
}
