//! The simulated PTZ head: pan, tilt and zoom axes (`head::Axis`) with a dome camera's
//! ranges and speeds, in the contract's units (hundredths of a degree; zoom in hundredths of
//! magnification). The FFI checks arguments and calls these; the picture follows the
//! position (the view of the test pattern's wider scene).

use super::head::Axis;
use crate::*;

/// Pan range: +-170 degrees.
pub const PAN: (i32, i32) = (-17_000, 17_000);
/// Tilt range: 45 degrees down to 45 up.
pub const TILT: (i32, i32) = (-4_500, 4_500);
/// Zoom: 1x to 10x.
pub const ZOOM: (i32, i32) = (100, 1_000);
/// Top speeds: 120 and 90 degrees per second, 5x per second.
pub const SPEED_MAX: NVT_PTZ_VECTOR_S = NVT_PTZ_VECTOR_S {
    pan: 12_000,
    tilt: 9_000,
    zoom: 500,
};
/// Acceleration per axis (units per second squared): a full-speed pan brakes in 0.5 s.
const ACCEL: NVT_PTZ_VECTOR_S = NVT_PTZ_VECTOR_S {
    pan: 24_000,
    tilt: 18_000,
    zoom: 1_000,
};
/// Field of view at 1x: 60 degrees across, 16:9.
pub const HFOV: i32 = 6_000;
pub const VFOV: i32 = 3_375;
pub const HOME: NVT_PTZ_VECTOR_S = NVT_PTZ_VECTOR_S {
    pan: 0,
    tilt: 0,
    zoom: 100,
};

pub const PAN_TILT: u32 = NVT_PTZ_AXES_PAN_TILT;
pub const ZOOM_AXIS: u32 = NVT_PTZ_AXES_ZOOM;

pub fn info() -> NVT_PTZ_INFO_S {
    NVT_PTZ_INFO_S {
        supported: 1,
        moves: NVT_PTZ_MOVE_ABSOLUTE | NVT_PTZ_MOVE_RELATIVE | NVT_PTZ_MOVE_CONTINUOUS,
        axes: PAN_TILT | ZOOM_AXIS,
        min: NVT_PTZ_VECTOR_S {
            pan: PAN.0,
            tilt: TILT.0,
            zoom: ZOOM.0,
        },
        max: NVT_PTZ_VECTOR_S {
            pan: PAN.1,
            tilt: TILT.1,
            zoom: ZOOM.1,
        },
        speed_max: SPEED_MAX,
        home: HOME,
        hfov: HFOV,
        vfov: VFOV,
    }
}

/// The head's three axes.
#[derive(Clone, Copy, Debug)]
pub struct Head {
    pub pan: Axis,
    pub tilt: Axis,
    pub zoom: Axis,
}

/// Why a move was refused (the FFI's NVT_ERR_INVALID_ARG).
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl Head {
    /// At home, at rest, at time `now_us`.
    pub fn new(now_us: u64) -> Head {
        let axis = |(min, max): (i32, i32), accel: i32, pos: i32| {
            Axis::new(min as f64, max as f64, accel as f64, pos as f64, now_us)
        };
        Head {
            pan: axis(PAN, ACCEL.pan, HOME.pan),
            tilt: axis(TILT, ACCEL.tilt, HOME.tilt),
            zoom: axis(ZOOM, ACCEL.zoom, HOME.zoom),
        }
    }

    /// Position (rounded to the contract's units) at `now_us`.
    pub fn position(&mut self, now_us: u64) -> NVT_PTZ_VECTOR_S {
        NVT_PTZ_VECTOR_S {
            pan: self.pan.state(now_us).0.round() as i32,
            tilt: self.tilt.state(now_us).0.round() as i32,
            zoom: self.zoom.state(now_us).0.round() as i32,
        }
    }

    /// The view at `now_us` in the units the renderer wants: pan and tilt in degrees, zoom
    /// as a magnification (1.0 = the widest).
    pub fn view(&mut self, now_us: u64) -> (f64, f64, f64) {
        (
            self.pan.state(now_us).0 / 100.0,
            self.tilt.state(now_us).0 / 100.0,
            self.zoom.state(now_us).0 / 100.0,
        )
    }

    pub fn status(&mut self, now_us: u64) -> NVT_PTZ_STATUS_S {
        let state = |moving: bool| {
            if moving {
                NVT_PTZ_STATE_E::NVT_PTZ_MOVING
            } else {
                NVT_PTZ_STATE_E::NVT_PTZ_IDLE
            }
        };
        let pan_tilt = self.pan.moving(now_us) || self.tilt.moving(now_us);
        NVT_PTZ_STATUS_S {
            position: self.position(now_us),
            pan_tilt: state(pan_tilt),
            zoom: state(self.zoom.moving(now_us)),
            error: NVT_OK as i32,
        }
    }

    /// MoveAbsolute: every target in range, every speed 1..speed_max.
    pub fn move_absolute(
        &mut self,
        to: &NVT_PTZ_VECTOR_S,
        speed: &NVT_PTZ_VECTOR_S,
        axes: u32,
        now_us: u64,
    ) -> Result<(), Refused> {
        check_axes(axes)?;
        check_speed(speed, axes)?;
        if axes & PAN_TILT != 0 {
            in_range("pan", to.pan, PAN)?;
            in_range("tilt", to.tilt, TILT)?;
        }
        if axes & ZOOM_AXIS != 0 {
            in_range("zoom", to.zoom, ZOOM)?;
        }
        self.go(to, speed, axes, now_us);
        Ok(())
    }

    /// MoveRelative: from the current position; a target past an end stop stops there.
    pub fn move_relative(
        &mut self,
        by: &NVT_PTZ_VECTOR_S,
        speed: &NVT_PTZ_VECTOR_S,
        axes: u32,
        now_us: u64,
    ) -> Result<(), Refused> {
        check_axes(axes)?;
        check_speed(speed, axes)?;
        let at = self.position(now_us);
        // In i64: a distance near i32::MAX must not wrap.
        let add = |a: i32, d: i32, (lo, hi): (i32, i32)| {
            (a as i64 + d as i64).clamp(lo as i64, hi as i64) as i32
        };
        let to = NVT_PTZ_VECTOR_S {
            pan: add(at.pan, by.pan, PAN),
            tilt: add(at.tilt, by.tilt, TILT),
            zoom: add(at.zoom, by.zoom, ZOOM),
        };
        self.go(&to, speed, axes, now_us);
        Ok(())
    }

    /// MoveContinuous: signed velocities within the top speeds.
    pub fn move_continuous(
        &mut self,
        velocity: &NVT_PTZ_VECTOR_S,
        axes: u32,
        now_us: u64,
    ) -> Result<(), Refused> {
        check_axes(axes)?;
        // Every axis is checked before any moves: a refused request changes nothing.
        let within = |name: &str, v: i32, max: i32| {
            if v.unsigned_abs() > max as u32 {
                Err(Refused(format!("{name} velocity {v} outside +-{max}")))
            } else {
                Ok(())
            }
        };
        if axes & PAN_TILT != 0 {
            within("pan", velocity.pan, SPEED_MAX.pan)?;
            within("tilt", velocity.tilt, SPEED_MAX.tilt)?;
        }
        if axes & ZOOM_AXIS != 0 {
            within("zoom", velocity.zoom, SPEED_MAX.zoom)?;
        }
        if axes & PAN_TILT != 0 {
            self.pan.run_at(velocity.pan as f64, now_us);
            self.tilt.run_at(velocity.tilt as f64, now_us);
        }
        if axes & ZOOM_AXIS != 0 {
            self.zoom.run_at(velocity.zoom as f64, now_us);
        }
        Ok(())
    }

    pub fn stop(&mut self, axes: u32, now_us: u64) -> Result<(), Refused> {
        check_axes(axes)?;
        if axes & PAN_TILT != 0 {
            self.pan.stop(now_us);
            self.tilt.stop(now_us);
        }
        if axes & ZOOM_AXIS != 0 {
            self.zoom.stop(now_us);
        }
        Ok(())
    }

    fn go(&mut self, to: &NVT_PTZ_VECTOR_S, speed: &NVT_PTZ_VECTOR_S, axes: u32, now_us: u64) {
        if axes & PAN_TILT != 0 {
            self.pan.go_to(to.pan as f64, speed.pan as f64, now_us);
            self.tilt.go_to(to.tilt as f64, speed.tilt as f64, now_us);
        }
        if axes & ZOOM_AXIS != 0 {
            self.zoom.go_to(to.zoom as f64, speed.zoom as f64, now_us);
        }
    }
}

fn check_axes(axes: u32) -> Result<(), Refused> {
    if axes == 0 || axes & !(PAN_TILT | ZOOM_AXIS) != 0 {
        return Err(Refused(format!("axes {axes:#x}: PAN_TILT and/or ZOOM")));
    }
    Ok(())
}

fn check_speed(speed: &NVT_PTZ_VECTOR_S, axes: u32) -> Result<(), Refused> {
    let within = |name: &str, v: i32, max: i32| {
        if (1..=max).contains(&v) {
            Ok(())
        } else {
            Err(Refused(format!("{name} speed {v} outside 1..={max}")))
        }
    };
    if axes & PAN_TILT != 0 {
        within("pan", speed.pan, SPEED_MAX.pan)?;
        within("tilt", speed.tilt, SPEED_MAX.tilt)?;
    }
    if axes & ZOOM_AXIS != 0 {
        within("zoom", speed.zoom, SPEED_MAX.zoom)?;
    }
    Ok(())
}

fn in_range(name: &str, v: i32, (lo, hi): (i32, i32)) -> Result<(), Refused> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Refused(format!("{name} {v} outside {lo}..={hi}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;
    const FAST: NVT_PTZ_VECTOR_S = SPEED_MAX;

    fn v(pan: i32, tilt: i32, zoom: i32) -> NVT_PTZ_VECTOR_S {
        NVT_PTZ_VECTOR_S { pan, tilt, zoom }
    }

    #[test]
    fn an_absolute_move_is_seen_moving_then_idle_at_the_target() {
        let mut h = Head::new(0);
        h.move_absolute(&v(9_000, -1_000, 400), &FAST, PAN_TILT | ZOOM_AXIS, 0)
            .unwrap();
        let s = h.status(S / 10);
        assert_eq!(s.pan_tilt, NVT_PTZ_STATE_E::NVT_PTZ_MOVING);
        assert_eq!(s.zoom, NVT_PTZ_STATE_E::NVT_PTZ_MOVING);
        let s = h.status(5 * S);
        assert_eq!(s.position, v(9_000, -1_000, 400));
        assert_eq!(
            (s.pan_tilt, s.zoom),
            (NVT_PTZ_STATE_E::NVT_PTZ_IDLE, NVT_PTZ_STATE_E::NVT_PTZ_IDLE)
        );
        assert_eq!(h.view(5 * S), (90.0, -10.0, 4.0));
    }

    #[test]
    fn only_the_axes_named_move() {
        let mut h = Head::new(0);
        h.move_continuous(&v(0, 0, 500), ZOOM_AXIS, 0).unwrap();
        // A pan/tilt move meanwhile leaves the zoom running.
        h.move_absolute(&v(1_000, 0, 0), &FAST, PAN_TILT, S / 2)
            .unwrap();
        let s = h.status(S);
        assert_eq!(s.zoom, NVT_PTZ_STATE_E::NVT_PTZ_MOVING);
        h.stop(ZOOM_AXIS, S).unwrap();
        let s = h.status(3 * S);
        assert_eq!(s.position.pan, 1_000);
        assert_eq!(s.zoom, NVT_PTZ_STATE_E::NVT_PTZ_IDLE);
        assert!(s.position.zoom > 300, "{:?}", s.position);
    }

    #[test]
    fn bad_moves_are_refused_and_relative_ones_stop_at_the_end() {
        let mut h = Head::new(0);
        let all = PAN_TILT | ZOOM_AXIS;
        assert!(h.move_absolute(&v(20_000, 0, 100), &FAST, all, 0).is_err());
        assert!(h.move_absolute(&v(0, 0, 50), &FAST, all, 0).is_err());
        assert!(h.move_absolute(&v(0, 0, 100), &v(0, 1, 1), all, 0).is_err());
        assert!(h.move_absolute(&v(0, 0, 100), &FAST, 0, 0).is_err());
        assert!(h.move_absolute(&v(0, 0, 100), &FAST, 4, 0).is_err());
        assert!(h.move_continuous(&v(12_001, 0, 0), PAN_TILT, 0).is_err());
        // A refused continuous move changes nothing, not even the axes it did check.
        assert!(h.move_continuous(&v(1_000, 0, 9_999), all, 0).is_err());
        assert_eq!(h.status(S).pan_tilt, NVT_PTZ_STATE_E::NVT_PTZ_IDLE);
        // A zoom-only move does not look at pan/tilt values (or speeds).
        h.move_absolute(&v(99_999, 99_999, 200), &v(0, 0, 100), ZOOM_AXIS, 0)
            .unwrap();
        h.move_relative(&v(i32::MAX, i32::MIN, 0), &FAST, PAN_TILT, 0)
            .unwrap();
        let s = h.status(10 * S);
        assert_eq!(s.position, v(PAN.1, TILT.0, 200));
    }
}
