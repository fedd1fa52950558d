//! The simulated motorised head's mechanics: one axis driven toward a target or at a
//! velocity, with a top speed and a finite acceleration, so a move takes real time, starts
//! and stops smoothly and never overshoots. Sans-IO: the axis is advanced to a time it is
//! given (the caller reads the monotonic clock), so tests run without sleeping.
//!
//! The controller is the classic time-optimal one for a double integrator with bounded
//! acceleration: the speed wanted at distance `d` from the target is
//! `min(v_max, sqrt(2 a |d|))`, the fastest speed from which braking at `a` still stops on
//! the target; the axis accelerates or brakes toward it by at most `a dt` per step. Steps
//! are 1 ms: the state is advanced lazily, so an idle axis costs nothing and a moving one a
//! thousand cheap steps per second of motion, whoever asks.

/// Integration step, microseconds.
const STEP_US: u64 = 1_000;

/// What an axis is doing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    /// Holding still.
    Idle,
    /// Going to `target` at up to `speed` (units per second, > 0).
    To { target: f64, speed: f64 },
    /// Moving at `velocity` (signed units per second) until told otherwise or an end stop.
    At { velocity: f64 },
}

/// One axis (pan, tilt or zoom) in its own units (e.g. degrees, or zoom steps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    /// Acceleration and deceleration, units per second squared.
    pub accel: f64,
    pos: f64,
    vel: f64,
    /// Monotonic time the state is for, microseconds.
    at_us: u64,
    command: Command,
}

impl Axis {
    /// An axis at rest at `pos` (clamped into `min..=max`) at time `now_us`.
    pub fn new(min: f64, max: f64, accel: f64, pos: f64, now_us: u64) -> Axis {
        Axis {
            min,
            max,
            accel,
            pos: pos.clamp(min, max),
            vel: 0.0,
            at_us: now_us,
            command: Command::Idle,
        }
    }

    /// Position and velocity at `now_us` (earlier times give the latest state).
    pub fn state(&mut self, now_us: u64) -> (f64, f64) {
        self.advance(now_us);
        (self.pos, self.vel)
    }

    /// Whether the axis is moving at `now_us`: a command in progress (a stopping axis counts
    /// until it stands still).
    pub fn moving(&mut self, now_us: u64) -> bool {
        self.advance(now_us);
        self.command != Command::Idle
    }

    /// Goes to `target` (clamped into range) at up to `speed`, from wherever the axis is and
    /// however fast it moves at `now_us`.
    pub fn go_to(&mut self, target: f64, speed: f64, now_us: u64) {
        self.advance(now_us);
        self.command = Command::To {
            target: target.clamp(self.min, self.max),
            speed: speed.abs(),
        };
    }

    /// Moves at `velocity` until `stop`, another command or an end stop.
    pub fn run_at(&mut self, velocity: f64, now_us: u64) {
        self.advance(now_us);
        self.command = Command::At { velocity };
    }

    /// Brakes to a standstill (at the axis's acceleration).
    pub fn stop(&mut self, now_us: u64) {
        self.run_at(0.0, now_us);
    }

    fn advance(&mut self, now_us: u64) {
        while self.at_us < now_us {
            let step = STEP_US.min(now_us - self.at_us);
            self.step(step as f64 / 1e6);
            self.at_us += step;
            if self.command == Command::Idle {
                // At rest nothing changes: jump to the present.
                self.at_us = now_us;
            }
        }
    }

    fn step(&mut self, dt: f64) {
        let dv = self.accel * dt;
        match self.command {
            Command::Idle => {}
            Command::To { target, speed } => {
                let d = target - self.pos;
                // Arrived: within what one step at the current speed covers, and slow enough
                // to stop within a step.
                if d.abs() <= (self.vel.abs() * dt).max(1e-9) && self.vel.abs() <= dv {
                    self.pos = target;
                    self.vel = 0.0;
                    self.command = Command::Idle;
                    return;
                }
                let want = d.signum() * speed.min((2.0 * self.accel * d.abs()).sqrt());
                self.vel += (want - self.vel).clamp(-dv, dv);
                self.pos += self.vel * dt;
                // Never past the target (the last step's remainder).
                if (target - self.pos).signum() != d.signum() {
                    self.pos = target;
                }
            }
            Command::At { velocity } => {
                self.vel += (velocity - self.vel).clamp(-dv, dv);
                self.pos += self.vel * dt;
                if velocity == 0.0 && self.vel == 0.0 {
                    self.command = Command::Idle;
                }
            }
        }
        // End stops: the axis halts there.
        if self.pos <= self.min || self.pos >= self.max {
            self.pos = self.pos.clamp(self.min, self.max);
            let outward = (self.pos == self.min && self.vel < 0.0)
                || (self.pos == self.max && self.vel > 0.0);
            if outward {
                self.vel = 0.0;
                if let Command::At { .. } = self.command {
                    self.command = Command::Idle;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    /// Pan in degrees: -170..170, 100 deg/s^2.
    fn pan() -> Axis {
        Axis::new(-170.0, 170.0, 100.0, 0.0, 0)
    }

    #[test]
    fn a_move_takes_the_time_its_speed_and_acceleration_allow() {
        let mut a = pan();
        // 90 degrees at up to 45 deg/s: 0.45 s to reach speed (10.1 deg), 0.45 s to brake,
        // 69.75 deg at full speed (1.55 s): 2.45 s in all.
        a.go_to(90.0, 45.0, 0);
        assert!(a.moving(S));
        let (p, v) = a.state(S);
        assert!((v - 45.0).abs() < 1e-6, "at full speed after 1 s: {v}");
        assert!((p - 34.875).abs() < 0.1, "{p}");
        assert!(a.moving(2_400_000));
        assert!(!a.moving(2_500_000), "arrived by 2.5 s");
        assert_eq!(a.state(2_500_000), (90.0, 0.0));
    }

    #[test]
    fn it_never_overshoots_and_reverses_smoothly() {
        let mut a = pan();
        a.run_at(50.0, 0);
        a.state(S); // 50 deg/s, heading right
        // Told to go back to 0 while moving right: it brakes, then returns.
        a.go_to(0.0, 50.0, S);
        let mut max = f64::MIN;
        let mut t = S;
        while a.moving(t) {
            let (p, v) = a.state(t);
            max = max.max(p);
            assert!(v.abs() <= 50.0 + 1e-9);
            t += 10_000;
            assert!(t < 10 * S, "never arrived");
        }
        assert_eq!(a.state(t).0, 0.0);
        // It was at 37.5 deg; braking from 50 deg/s at 100 deg/s^2 takes 12.5 deg more.
        assert!(max > 49.5 && max < 50.5, "{max}");
    }

    #[test]
    fn continuous_moves_stop_at_the_end_stops_and_on_stop() {
        let mut a = pan();
        a.run_at(-100.0, 0);
        assert!(a.moving(S));
        assert!(!a.moving(10 * S), "halted at the end stop");
        assert_eq!(a.state(10 * S), (-170.0, 0.0));
        a.run_at(100.0, 10 * S);
        let (p0, _) = a.state(11 * S);
        a.stop(11 * S);
        // 1 s of braking from 100 deg/s covers 50 deg.
        assert!(!a.moving(12 * S + 10_000));
        let (p1, v1) = a.state(13 * S);
        assert_eq!(v1, 0.0);
        assert!((p1 - p0 - 50.0).abs() < 0.2, "{p0} -> {p1}");
    }

    #[test]
    fn targets_outside_the_range_are_clamped_and_an_idle_axis_costs_nothing() {
        let mut a = pan();
        a.go_to(500.0, 200.0, 0);
        assert!(!a.moving(10 * S));
        assert_eq!(a.state(10 * S).0, 170.0);
        // A day later, still there, in one jump.
        assert_eq!(a.state(86_400 * S), (170.0, 0.0));
        // Zero-length moves end at once.
        a.go_to(170.0, 10.0, 86_400 * S);
        assert!(!a.moving(86_400 * S + STEP_US));
    }
}
