//! The simulated focus motor. It has no thread: a move is stored as (start position,
//! start time, signed speed, optional target) and the position is computed from the elapsed
//! time whenever it is asked for, so moves "proceed in the background" for free.

use super::clock::mono_us;

pub const POSITION_MIN: i32 = 0;
pub const POSITION_MAX: i32 = 1000;
pub const SPEED_MAX: i32 = 250;
/// Where the simulated lens is in focus on the scene (the position at Init).
pub const IN_FOCUS: i32 = 500;
/// Defocus at which the modelled sharpness has halved.
const HALF_SHARP: f64 = 100.0;

/// The lens's modelled sharpness at `position`, in per mille of the in-focus sharpness:
/// 1 / (1 + (d / 100)²) for a distance d from IN_FOCUS, a smooth fall-off like a
/// lens's through-focus curve (500 at 100 units off, 38 at the end stops). The rendered
/// picture does not blur; the statistics' focus value follows this (`stats.rs`).
pub fn sharpness(position: i32) -> u32 {
    let d = (position - IN_FOCUS) as f64 / HALF_SHARP;
    (1000.0 / (1.0 + d * d)).round() as u32
}

#[derive(Debug, Clone, Copy)]
pub struct Focus {
    start_pos: f64,
    start_us: u64,
    /// Position units per second, signed; 0 when idle.
    speed: f64,
    /// Where an absolute/relative move stops; None for continuous moves (end stops).
    target: Option<i32>,
}

impl Default for Focus {
    fn default() -> Self {
        Focus {
            start_pos: 500.0,
            start_us: 0,
            speed: 0.0,
            target: None,
        }
    }
}

impl Focus {
    /// (position, moving) at monotonic time `now`.
    pub fn status_at(&self, now: u64) -> (i32, bool) {
        if self.speed == 0.0 {
            return (self.start_pos.round() as i32, false);
        }
        let dt = now.saturating_sub(self.start_us) as f64 / 1e6;
        let mut pos = self.start_pos + self.speed * dt;
        let (lo, hi) = match self.target {
            Some(t) if self.speed > 0.0 => (f64::MIN, t as f64),
            Some(t) => (t as f64, f64::MAX),
            None => (f64::MIN, f64::MAX),
        };
        let lo = lo.max(POSITION_MIN as f64);
        let hi = hi.min(POSITION_MAX as f64);
        let mut moving = true;
        if pos >= hi {
            pos = hi;
            moving = self.speed < 0.0;
        }
        if pos <= lo {
            pos = lo;
            moving = self.speed > 0.0;
        }
        (pos.round() as i32, moving)
    }

    pub fn status(&self) -> (i32, bool) {
        self.status_at(mono_us())
    }

    fn current(&self, now: u64) -> f64 {
        let (p, moving) = self.status_at(now);
        if moving {
            let dt = now.saturating_sub(self.start_us) as f64 / 1e6;
            (self.start_pos + self.speed * dt).clamp(POSITION_MIN as f64, POSITION_MAX as f64)
        } else {
            p as f64
        }
    }

    /// Moves toward `target` at `speed` (both validated by the caller).
    pub fn move_to(&mut self, target: i32, speed: i32, now: u64) {
        let pos = self.current(now);
        let dir = if (target as f64) >= pos { 1.0 } else { -1.0 };
        *self = Focus {
            start_pos: pos,
            start_us: now,
            speed: dir * speed as f64,
            target: Some(target),
        };
    }

    /// Moves at signed `speed` until stopped or an end stop.
    pub fn move_continuous(&mut self, speed: i32, now: u64) {
        let pos = self.current(now);
        *self = Focus {
            start_pos: pos,
            start_us: now,
            speed: speed as f64,
            target: None,
        };
    }

    pub fn stop(&mut self, now: u64) {
        let pos = self.current(now);
        *self = Focus {
            start_pos: pos,
            start_us: now,
            speed: 0.0,
            target: None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_move_progresses_then_stops_at_target() {
        let mut f = Focus::default();
        f.move_to(700, 100, 0);
        assert_eq!(f.status_at(1_000_000), (600, true));
        assert_eq!(f.status_at(2_000_000), (700, false));
        assert_eq!(f.status_at(9_000_000), (700, false));
        f.move_to(100, 250, 9_000_000);
        assert_eq!(f.status_at(10_000_000), (450, true));
    }

    #[test]
    fn sharpness_falls_off_away_from_the_in_focus_position() {
        assert_eq!(sharpness(IN_FOCUS), 1000);
        assert_eq!(sharpness(IN_FOCUS + 100), 500);
        assert_eq!(sharpness(IN_FOCUS - 100), 500);
        assert_eq!(sharpness(POSITION_MIN), 38);
        assert_eq!(sharpness(POSITION_MAX), 38);
        assert!(sharpness(550) > sharpness(600));
    }

    #[test]
    fn continuous_move_stops_at_end_stops_and_stop_freezes() {
        let mut f = Focus::default();
        f.move_continuous(-250, 0);
        assert_eq!(f.status_at(1_000_000), (250, true));
        assert_eq!(f.status_at(3_000_000), (0, false));
        f.move_continuous(200, 3_000_000);
        f.stop(4_000_000);
        assert_eq!(f.status_at(9_000_000), (200, false));
    }
}
