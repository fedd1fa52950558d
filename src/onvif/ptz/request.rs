//! A move request as ONVIF sends it (AbsoluteMove, RelativeMove, ContinuousMove, and the
//! speed of GotoPreset and GotoHomePosition) turned into one SDK command, or the fault the
//! PTZ Service Specification gives for it (s.5.3.1-s.5.3.3). Pure: the head, the
//! configuration's defaults and the request in; the command out.
//!
//! - An axis group the request leaves out is not affected (s.5.3.1 "If the PanTilt or Zoom
//!   element is omitted, the corresponding axis shall not be affected").
//! - A space the request names must be one the node offers for that use; none means the
//!   configuration's default (always the generic one): else SpaceNotSupported.
//! - A value outside its space: InvalidPosition, InvalidTranslation or InvalidVelocity (the
//!   spec's subcode for ContinuousMove is InvalidVelocity); a speed outside 0..1 InvalidSpeed.
//! - A group the head does not have (a zoom on a fixed lens) is SpaceNotSupported: no space
//!   of the node can carry it.

use crate::onvif::generated::tt;
use crate::sdk::{Axes, PtzInfo, PtzVector};
use crate::settings::PtzConfig;
use crate::settings::validate::PTZ_TIMEOUT_MS;
use crate::soap::Fault;
use crate::xml::xsd::parse_duration;

use super::spaces::{self, OutOfRange};

/// What to tell the SDK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Absolute {
        to: PtzVector,
        speed: PtzVector,
        axes: Axes,
    },
    Relative {
        by: PtzVector,
        speed: PtzVector,
        axes: Axes,
    },
    Continuous {
        velocity: PtzVector,
        axes: Axes,
        /// When nvt stops the axes (ms from now). None: every given velocity is 0, which
        /// stops them now (s.5.3.3).
        timeout_ms: Option<u32>,
    },
}

impl Command {
    /// The axis groups the command moves.
    pub(crate) fn axes(&self) -> Axes {
        match *self {
            Command::Absolute { axes, .. }
            | Command::Relative { axes, .. }
            | Command::Continuous { axes, .. } => axes,
        }
    }
}

fn arg(subcode: &'static str, reason: impl Into<String>) -> Fault {
    Fault::invalid_arg_val(Some(subcode), reason.into())
}

fn space_not_supported(what: &str, uri: Option<&str>) -> Fault {
    arg(
        "SpaceNotSupported",
        match uri {
            Some(u) => format!("{what}: space {u:?} is not supported"),
            None => format!("{what}: the PTZ head has no such axis"),
        },
    )
}

/// Checks a group's space: the head has the group (and the kind of move) and the URI, if any,
/// is the expected one.
fn space(what: &str, has: bool, uri: Option<&str>, expected: &str) -> Result<(), Fault> {
    if !has {
        Err(space_not_supported(what, None))
    } else if !spaces::is(uri, expected) {
        Err(space_not_supported(what, uri))
    } else {
        Ok(())
    }
}

/// The speed of a move: the request's where it gives one (generic speed spaces), else the
/// configuration's DefaultPTZSpeed, in SDK units per axis.
pub(crate) fn speed(
    head: &PtzInfo,
    c: &PtzConfig,
    s: Option<&tt::PTZSpeed>,
) -> Result<PtzVector, Fault> {
    let invalid = |e: OutOfRange| arg("InvalidSpeed", e.0);
    let top = head.speed_max;
    let mut v = PtzVector {
        pan: spaces::permille(top.pan, c.default_speed.pan_tilt),
        tilt: spaces::permille(top.tilt, c.default_speed.pan_tilt),
        zoom: spaces::permille(top.zoom, c.default_speed.zoom),
    };
    let Some(s) = s else { return Ok(v) };
    if let Some(pt) = &s.pan_tilt {
        if !spaces::is(pt.space.as_deref(), spaces::SPEED_PAN_TILT) {
            return Err(space_not_supported("PanTilt speed", pt.space.as_deref()));
        }
        // The generic speed space is one scalar (s.5.7.7): x, for both axes.
        if let Some(f) = spaces::speed("PanTilt speed", 1000, pt.x).map_err(invalid)? {
            let f = f as u32;
            v.pan = spaces::permille(top.pan, f);
            v.tilt = spaces::permille(top.tilt, f);
        }
    }
    if let Some(z) = &s.zoom {
        if !spaces::is(z.space.as_deref(), spaces::SPEED_ZOOM) {
            return Err(space_not_supported("Zoom speed", z.space.as_deref()));
        }
        if let Some(f) = spaces::speed("Zoom speed", 1000, z.x).map_err(invalid)? {
            v.zoom = spaces::permille(top.zoom, f as u32);
        }
    }
    Ok(v)
}

fn no_axis(what: &str) -> Fault {
    arg(
        "InvalidArgVal",
        format!("{what}: the request moves no axis"),
    )
}

/// AbsoluteMove (s.5.3.1).
pub(crate) fn absolute(
    head: &PtzInfo,
    c: &PtzConfig,
    position: &tt::PTZVector,
    s: Option<&tt::PTZSpeed>,
) -> Result<Command, Fault> {
    let invalid = |e: OutOfRange| arg("InvalidPosition", e.0);
    let mut to = PtzVector::default();
    let mut axes = Axes::default();
    if let Some(pt) = &position.pan_tilt {
        let has = head.axes.pan_tilt && head.absolute;
        // No space named: the configuration's default (s.5.4: DefaultAbsolutePantTiltPositionSpace).
        let uri = pt.space.as_deref().or(c
            .spaces
            .absolute_degrees
            .then_some(spaces::POSITION_PAN_TILT_DEGREES));
        (to.pan, to.tilt) = if has && uri.map(str::trim) == Some(spaces::POSITION_PAN_TILT_DEGREES)
        {
            spaces::pan_tilt_degrees(head, pt.x, pt.y).map_err(invalid)?
        } else {
            space("PanTilt", has, uri, spaces::POSITION_PAN_TILT)?;
            spaces::pan_tilt_position(head, pt.x, pt.y).map_err(invalid)?
        };
        axes.pan_tilt = true;
    }
    if let Some(z) = &position.zoom {
        let has = head.axes.zoom && head.absolute;
        space("Zoom", has, z.space.as_deref(), spaces::POSITION_ZOOM)?;
        to.zoom = spaces::zoom_position(head, z.x).map_err(invalid)?;
        axes.zoom = true;
    }
    if axes.is_empty() {
        return Err(no_axis("AbsoluteMove"));
    }
    Ok(Command::Absolute {
        to,
        speed: speed(head, c, s)?,
        axes,
    })
}

/// A stored position (preset, home) as an absolute move of every group the head has.
pub(crate) fn to_position(
    head: &PtzInfo,
    c: &PtzConfig,
    to: PtzVector,
    s: Option<&tt::PTZSpeed>,
) -> Result<Command, Fault> {
    Ok(Command::Absolute {
        to,
        speed: speed(head, c, s)?,
        axes: head.axes,
    })
}

/// RelativeMove (s.5.3.2); `zoom` is where the zoom is now (for the FOV space).
pub(crate) fn relative(
    head: &PtzInfo,
    c: &PtzConfig,
    translation: &tt::PTZVector,
    s: Option<&tt::PTZSpeed>,
    zoom: i32,
) -> Result<Command, Fault> {
    let invalid = |e: OutOfRange| arg("InvalidTranslation", e.0);
    let mut by = PtzVector::default();
    let mut axes = Axes::default();
    if let Some(pt) = &translation.pan_tilt {
        let has = head.axes.pan_tilt && head.relative;
        // No space named: the configuration's default (DefaultRelativePanTiltTranslationSpace).
        let uri =
            (pt.space.as_deref()).or(c.spaces.relative_fov.then_some(spaces::TRANSLATION_FOV));
        (by.pan, by.tilt) = if has && uri.map(str::trim) == Some(spaces::TRANSLATION_FOV) {
            if head.hfov <= 0 || head.vfov <= 0 {
                return Err(space_not_supported("PanTilt", uri));
            }
            spaces::fov_translation(head, zoom, pt.x, pt.y).map_err(invalid)?
        } else {
            space("PanTilt", has, uri, spaces::TRANSLATION_PAN_TILT)?;
            spaces::pan_tilt_translation(head, pt.x, pt.y).map_err(invalid)?
        };
        axes.pan_tilt = true;
    }
    if let Some(z) = &translation.zoom {
        let has = head.axes.zoom && head.relative;
        space("Zoom", has, z.space.as_deref(), spaces::TRANSLATION_ZOOM)?;
        by.zoom = spaces::zoom_translation(head, z.x).map_err(invalid)?;
        axes.zoom = true;
    }
    if axes.is_empty() {
        return Err(no_axis("RelativeMove"));
    }
    Ok(Command::Relative {
        by,
        speed: speed(head, c, s)?,
        axes,
    })
}

/// ContinuousMove's Timeout (s.5.3.3): the configuration's DefaultPTZTimeout when absent;
/// outside the options' PTZTimeout range, or not a duration, TimeoutNotSupported.
fn timeout_ms(c: &PtzConfig, timeout: Option<&str>) -> Result<u32, Fault> {
    let Some(t) = timeout else {
        return Ok(c.default_timeout_ms);
    };
    let (lo, hi) = PTZ_TIMEOUT_MS;
    parse_duration(t.trim())
        .filter(|d| !d.negative)
        .and_then(|d| d.approx_millis())
        .and_then(|ms| u32::try_from(ms).ok())
        .filter(|ms| (lo..=hi).contains(ms))
        .ok_or_else(|| {
            arg(
                "TimeoutNotSupported",
                format!("Timeout {t:?}: from {lo} ms to {hi} ms"),
            )
        })
}

/// ContinuousMove (s.5.3.3).
pub(crate) fn continuous(
    head: &PtzInfo,
    c: &PtzConfig,
    velocity: &tt::PTZSpeed,
    timeout: Option<&str>,
) -> Result<Command, Fault> {
    let invalid = |e: OutOfRange| arg("InvalidVelocity", e.0);
    let top = head.speed_max;
    let mut v = PtzVector::default();
    let mut axes = Axes::default();
    if let Some(pt) = &velocity.pan_tilt {
        let has = head.axes.pan_tilt && head.continuous;
        space(
            "PanTilt",
            has,
            pt.space.as_deref(),
            spaces::VELOCITY_PAN_TILT,
        )?;
        v.pan = spaces::velocity("pan velocity", top.pan, pt.x).map_err(invalid)?;
        v.tilt = spaces::velocity("tilt velocity", top.tilt, pt.y).map_err(invalid)?;
        axes.pan_tilt = true;
    }
    if let Some(z) = &velocity.zoom {
        let has = head.axes.zoom && head.continuous;
        space("Zoom", has, z.space.as_deref(), spaces::VELOCITY_ZOOM)?;
        v.zoom = spaces::velocity("zoom velocity", top.zoom, z.x).map_err(invalid)?;
        axes.zoom = true;
    }
    if axes.is_empty() {
        return Err(no_axis("ContinuousMove"));
    }
    let timeout_ms = timeout_ms(c, timeout)?;
    let moving = v.pan != 0 || v.tilt != 0 || v.zoom != 0;
    Ok(Command::Continuous {
        velocity: v,
        axes,
        timeout_ms: moving.then_some(timeout_ms),
    })
}

/// Entry point of the `ptz_request` fuzz target and its corpus test: any bytes as the body
/// of an AbsoluteMove, RelativeMove or ContinuousMove (by its root element's name), decoded
/// as the dispatcher decodes it and turned into a command for a head like the simulator's.
/// A command must be within the head's ranges; a fault must carry a subcode.
#[doc(hidden)]
pub fn fuzz_input(data: &[u8]) {
    use crate::onvif::generated::tptz;
    use crate::onvif::rt::FromXml;
    use crate::sdk::PtzVector;
    let Ok(el) = crate::xml::parse(data) else {
        return;
    };
    let v = |pan, tilt, zoom| PtzVector { pan, tilt, zoom };
    let head = PtzInfo {
        supported: true,
        absolute: true,
        relative: true,
        continuous: true,
        axes: Axes::ALL,
        min: v(-17_000, -4_500, 100),
        max: v(17_000, 4_500, 1_000),
        speed_max: v(12_000, 9_000, 500),
        home: v(0, 0, 100),
        hfov: 6_000,
        vfov: 3_375,
    };
    let c = PtzConfig {
        token: "ptz_0".into(),
        name: "PTZ".into(),
        source: 0,
        node: "ptz_node_0".into(),
        default_timeout_ms: 5_000,
        default_speed: crate::settings::PtzSpeed::default(),
        spaces: Default::default(),
    };
    let r = match el.name.as_str() {
        "AbsoluteMove" => tptz::AbsoluteMove::from_xml(&el)
            .ok()
            .map(|m| absolute(&head, &c, &m.position, m.speed.as_ref())),
        "RelativeMove" => tptz::RelativeMove::from_xml(&el)
            .ok()
            .map(|m| relative(&head, &c, &m.translation, m.speed.as_ref(), 550)),
        _ => tptz::ContinuousMove::from_xml(&el)
            .ok()
            .map(|m| continuous(&head, &c, &m.velocity, m.timeout.as_deref())),
    };
    match r {
        // Only the axes a command moves carry a position (the others are left alone).
        Some(Ok(Command::Absolute { to, speed, axes })) => {
            assert!(!axes.pan_tilt || (head.min.pan..=head.max.pan).contains(&to.pan));
            assert!(!axes.zoom || (head.min.zoom..=head.max.zoom).contains(&to.zoom));
            assert!(speed.pan >= 1 && speed.pan <= head.speed_max.pan);
        }
        Some(Ok(Command::Continuous { velocity, .. })) => {
            assert!(velocity.pan.abs() <= head.speed_max.pan);
        }
        Some(Ok(Command::Relative { speed, .. })) => assert!(speed.zoom >= 1),
        Some(Err(f)) => assert!(!f.subcodes.is_empty()),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onvif::ptz::spaces::tests::{config, head};

    fn pt(x: f32, y: f32, space: Option<&str>) -> Option<tt::Vector2D> {
        Some(tt::Vector2D {
            x,
            y,
            space: space.map(Into::into),
        })
    }

    fn z(x: f32, space: Option<&str>) -> Option<tt::Vector1D> {
        Some(tt::Vector1D {
            x,
            space: space.map(Into::into),
        })
    }

    fn subcodes(r: Result<Command, Fault>) -> Vec<&'static str> {
        r.expect_err("a fault").subcodes
    }

    #[test]
    fn an_omitted_group_is_not_moved_and_the_default_speed_applies() {
        let p = tt::PTZVector {
            pan_tilt: None,
            zoom: z(1.0, None),
        };
        let c = absolute(&head(), &config(), &p, None).unwrap();
        let Command::Absolute { to, speed, axes } = c else {
            panic!("{c:?}")
        };
        assert_eq!((axes.pan_tilt, axes.zoom), (false, true));
        assert_eq!(to.zoom, 1000);
        assert_eq!((speed.pan, speed.tilt, speed.zoom), (4500, 3000, 300));
    }

    #[test]
    fn an_absolute_move_in_degrees_goes_where_it_says() {
        let (h, c) = (head(), config());
        let p = tt::PTZVector {
            pan_tilt: pt(-45.5, 10.0, Some(spaces::POSITION_PAN_TILT_DEGREES)),
            zoom: None,
        };
        let Command::Absolute { to, axes, .. } = absolute(&h, &c, &p, None).unwrap() else {
            panic!("not an absolute move")
        };
        assert_eq!(
            (to.pan, to.tilt, axes.pan_tilt, axes.zoom),
            (-4550, 1000, true, false)
        );
        // Beyond the head's range in degrees (the test head tilts -30..90).
        let low = tt::PTZVector {
            pan_tilt: pt(0.0, -60.0, Some(spaces::POSITION_PAN_TILT_DEGREES)),
            zoom: None,
        };
        assert_eq!(
            subcodes(absolute(&h, &c, &low, None)),
            ["InvalidArgVal", "InvalidPosition"]
        );
        // A head without absolute moves offers no degrees either.
        let mut no_abs = h;
        no_abs.absolute = false;
        assert_eq!(
            subcodes(absolute(&no_abs, &c, &p, None)),
            ["InvalidArgVal", "SpaceNotSupported"]
        );
    }

    #[test]
    fn a_move_naming_no_space_is_in_the_configurations_default() {
        let h = head();
        let mut c = config();
        c.spaces.absolute_degrees = true;
        c.spaces.relative_fov = true;
        let p = tt::PTZVector {
            pan_tilt: pt(-45.5, 10.0, None),
            zoom: None,
        };
        let Command::Absolute { to, .. } = absolute(&h, &c, &p, None).unwrap() else {
            panic!("not an absolute move")
        };
        assert_eq!((to.pan, to.tilt), (-4550, 1000));
        // Relative at 1x: FOV, one half view (30 of 60 degrees) right.
        let t = tt::PTZVector {
            pan_tilt: pt(1.0, 0.0, None),
            zoom: None,
        };
        let Command::Relative { by, .. } = relative(&h, &c, &t, None, 100).unwrap() else {
            panic!("not a relative move")
        };
        assert_eq!((by.pan, by.tilt), (3000, 0));
        // A named space wins over the default.
        let g = tt::PTZVector {
            pan_tilt: pt(0.5, 0.0, Some(spaces::POSITION_PAN_TILT)),
            zoom: None,
        };
        let Command::Absolute { to, .. } = absolute(&h, &c, &g, None).unwrap() else {
            panic!("not an absolute move")
        };
        assert_eq!(to.pan, 8500);
    }

    #[test]
    fn faults_carry_the_specs_subcodes() {
        let (h, c) = (head(), config());
        let far = tt::PTZVector {
            pan_tilt: pt(1.5, 0.0, None),
            zoom: None,
        };
        assert_eq!(
            subcodes(absolute(&h, &c, &far, None)),
            ["InvalidArgVal", "InvalidPosition"]
        );
        assert_eq!(
            subcodes(relative(&h, &c, &far, None, 100)),
            ["InvalidArgVal", "InvalidTranslation"]
        );
        let wrong = tt::PTZVector {
            pan_tilt: pt(0.0, 0.0, Some(spaces::TRANSLATION_PAN_TILT)),
            zoom: None,
        };
        assert_eq!(
            subcodes(absolute(&h, &c, &wrong, None)),
            ["InvalidArgVal", "SpaceNotSupported"]
        );
        let fast = tt::PTZSpeed {
            pan_tilt: pt(2.0, 0.0, None),
            zoom: None,
        };
        assert_eq!(
            subcodes(continuous(&h, &c, &fast, None)),
            ["InvalidArgVal", "InvalidVelocity"]
        );
        let ok = tt::PTZSpeed {
            pan_tilt: pt(0.5, 0.0, None),
            zoom: None,
        };
        assert_eq!(
            subcodes(continuous(&h, &c, &ok, Some("PT10M"))),
            ["InvalidArgVal", "TimeoutNotSupported"]
        );
        let mut fixed = h;
        fixed.axes.zoom = false;
        let zoom = tt::PTZVector {
            pan_tilt: None,
            zoom: z(0.5, None),
        };
        assert_eq!(
            subcodes(absolute(&fixed, &c, &zoom, None)),
            ["InvalidArgVal", "SpaceNotSupported"]
        );
        let bad_speed = tt::PTZSpeed {
            pan_tilt: None,
            zoom: z(1.5, None),
        };
        assert_eq!(
            subcodes(absolute(&h, &c, &zoom, Some(&bad_speed))),
            ["InvalidArgVal", "InvalidSpeed"]
        );
    }

    #[test]
    fn continuous_timeouts_default_accept_fractions_and_zero_velocity_stops() {
        let (h, c) = (head(), config());
        let v = tt::PTZSpeed {
            pan_tilt: pt(-0.5, 0.25, None),
            zoom: None,
        };
        let Command::Continuous {
            velocity,
            timeout_ms,
            ..
        } = continuous(&h, &c, &v, None).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (velocity.pan, velocity.tilt, timeout_ms),
            (-4500, 1500, Some(5000))
        );
        // agsh's library sends fractional seconds.
        let Command::Continuous { timeout_ms, .. } =
            continuous(&h, &c, &v, Some("PT0.5S")).unwrap()
        else {
            panic!()
        };
        assert_eq!(timeout_ms, Some(500));
        let zero = tt::PTZSpeed {
            pan_tilt: pt(0.0, 0.0, None),
            zoom: z(0.0, None),
        };
        let Command::Continuous {
            timeout_ms, axes, ..
        } = continuous(&h, &c, &zero, None).unwrap()
        else {
            panic!()
        };
        assert_eq!((timeout_ms, axes), (None, Axes::ALL));
    }

    /// The fuzz target's seeds decode as the dispatcher decodes them (so the target starts
    /// from requests that reach the translation, not from decode errors).
    #[test]
    fn the_fuzz_seeds_reach_the_translation() {
        use crate::onvif::generated::tptz;
        use crate::onvif::rt::FromXml;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/ptz_request/");
        let read =
            |f: &str| crate::xml::parse(&std::fs::read(format!("{dir}{f}")).unwrap()).unwrap();
        let m = tptz::AbsoluteMove::from_xml(&read("absolute")).unwrap();
        assert!(absolute(&head(), &config(), &m.position, m.speed.as_ref()).is_ok());
        let m = tptz::RelativeMove::from_xml(&read("relative_fov")).unwrap();
        assert!(relative(&head(), &config(), &m.translation, m.speed.as_ref(), 100).is_ok());
        let m = tptz::ContinuousMove::from_xml(&read("continuous")).unwrap();
        assert!(continuous(&head(), &config(), &m.velocity, m.timeout.as_deref()).is_ok());
        let m = tptz::AbsoluteMove::from_xml(&read("absolute_nan")).unwrap();
        assert!(absolute(&head(), &config(), &m.position, None).is_err());
    }

    /// Frigate's autotracker: a FOV translation with speed 1, and its zoom template seeded
    /// from GetStatus (a legal generic translation, moved as asked).
    #[test]
    fn frigates_fov_relative_move() {
        let (h, c) = (head(), config());
        let t = tt::PTZVector {
            pan_tilt: pt(0.5, -0.5, Some(spaces::TRANSLATION_FOV)),
            zoom: z(0.0, Some(spaces::TRANSLATION_ZOOM)),
        };
        let s = tt::PTZSpeed {
            pan_tilt: pt(1.0, 1.0, None),
            zoom: z(1.0, None),
        };
        let Command::Relative { by, speed, axes } = relative(&h, &c, &t, Some(&s), 200).unwrap()
        else {
            panic!()
        };
        // At 2x the view is 30 degrees wide: half of its half is 7.5 degrees.
        assert_eq!((by.pan, by.tilt, by.zoom), (750, -422, 0));
        assert_eq!((speed.pan, speed.zoom), (9000, 300));
        assert_eq!(axes, Axes::ALL);
    }
}
