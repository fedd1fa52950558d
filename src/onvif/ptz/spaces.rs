//! The PTZ coordinate spaces nvt offers (PTZ Service Specification s.5.7 "Generic spaces"
//! and the informative TranslationSpaceFov) and the one map between them and the SDK's units
//! (pan and tilt in 1/100 degree, zoom in 1/100 x). Pure: a head's [`PtzInfo`] in, numbers out.
//!
//! - **Positions** (absolute): pan/tilt `-1..1` span the head's whole range, zoom `0..1` from
//!   the widest view to the longest focal length (s.5.7.1, s.5.7.2). Pan/tilt also in the
//!   spherical position space in degrees (s.5.7.1, `SphericalPositionSpaceDegrees`, which
//!   Profile T's "Absolute PTZ Move" requires): the SDK's own axes in its units' degrees,
//!   whose conventions are the spec's (pan positive turns the view right, so the picture
//!   moves left; tilt positive looks up; 0/0 the mechanical centre, the horizon for a
//!   ceiling dome whose port reports it so), with the head's real range as the space's
//!   range (the spec: "the actual ranges are device specific").
//! - **Translations** (relative): the generic pan/tilt translation is in the position space's
//!   own units (a translation of 2 crosses the whole range; s.5.7.3 "the span covers the full
//!   range of the Generic Pan/Tilt Position Space"), clipped to `-1..1` as advertised; zoom
//!   likewise. A target past an end stop moves along the border (s.5.3.2).
//! - **FOV translation** (`TranslationSpaceFov`, s.5.7 informative annex): `(1, 1)` is the
//!   upper-right corner of the current view, so a click on the picture centres it. The spec
//!   proposes an unbounded range; nvt advertises `-1..1`, because Frigate's autotracker
//!   interpolates its targets into the advertised range and an infinite one gives it NaN.
//!   The view spans `hfov / zoom` (the simulator renders it so; a real lens is close to that
//!   for the small angles of a tele view).
//! - **Velocities** (continuous): `-1..1` of the head's top speed (s.5.7.5).
//! - **Speeds**: `0..1` of the top speed (s.5.7.7); the SDK wants at least 1 unit per second.

use crate::onvif::generated::tt;
use crate::sdk::{PtzInfo, PtzVector};

pub(crate) const POSITION_PAN_TILT: &str =
    "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace";
pub(crate) const POSITION_PAN_TILT_DEGREES: &str =
    "http://www.onvif.org/ver10/tptz/PanTiltSpaces/SphericalPositionSpaceDegrees";
pub(crate) const POSITION_ZOOM: &str =
    "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace";
pub(crate) const TRANSLATION_PAN_TILT: &str =
    "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationGenericSpace";
pub(crate) const TRANSLATION_FOV: &str =
    "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov";
pub(crate) const TRANSLATION_ZOOM: &str =
    "http://www.onvif.org/ver10/tptz/ZoomSpaces/TranslationGenericSpace";
pub(crate) const VELOCITY_PAN_TILT: &str =
    "http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace";
pub(crate) const VELOCITY_ZOOM: &str =
    "http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace";
pub(crate) const SPEED_PAN_TILT: &str =
    "http://www.onvif.org/ver10/tptz/PanTiltSpaces/GenericSpeedSpace";
pub(crate) const SPEED_ZOOM: &str =
    "http://www.onvif.org/ver10/tptz/ZoomSpaces/ZoomGenericSpeedSpace";

/// Slack on a range check, for a value that went through a client's float formatting: a
/// position GetStatus reported as 1 may come back as 1.0000001.
const SLACK: f32 = 1e-4;

fn range(min: f32, max: f32) -> tt::FloatRange {
    tt::FloatRange { min, max }
}

fn space_2d(uri: &str, min: f32, max: f32) -> tt::Space2DDescription {
    tt::Space2DDescription {
        uri: uri.to_owned(),
        x_range: range(min, max),
        y_range: range(min, max),
    }
}

/// The head's pan/tilt range in degrees (SDK hundredths of a degree / 100).
fn degrees_2d(head: &PtzInfo) -> tt::Space2DDescription {
    let deg = |v: i32| v as f32 / 100.0;
    tt::Space2DDescription {
        uri: POSITION_PAN_TILT_DEGREES.to_owned(),
        x_range: range(deg(head.min.pan), deg(head.max.pan)),
        y_range: range(deg(head.min.tilt), deg(head.max.tilt)),
    }
}

fn space_1d(uri: &str, min: f32, max: f32) -> tt::Space1DDescription {
    tt::Space1DDescription {
        uri: uri.to_owned(),
        x_range: range(min, max),
    }
}

/// The spaces a head supports, generic first in every list (clients such as the agsh
/// library take entry 0 as "the" space). `fov`: TranslationSpaceFov is offered (only where
/// a profile shows a video source, s.5.7 annex "shall not be available in profiles without a
/// VideoSourceConfiguration"; the node lists it, it has a source).
pub(crate) fn supported(head: &PtzInfo, fov: bool) -> tt::PTZSpaces {
    let mut s = tt::PTZSpaces::default();
    if head.axes.pan_tilt {
        if head.absolute {
            s.absolute_pan_tilt_position_space =
                vec![space_2d(POSITION_PAN_TILT, -1.0, 1.0), degrees_2d(head)];
        }
        if head.relative {
            s.relative_pan_tilt_translation_space = vec![space_2d(TRANSLATION_PAN_TILT, -1.0, 1.0)];
            if fov && head.hfov > 0 && head.vfov > 0 {
                s.relative_pan_tilt_translation_space
                    .push(space_2d(TRANSLATION_FOV, -1.0, 1.0));
            }
        }
        if head.continuous {
            s.continuous_pan_tilt_velocity_space = vec![space_2d(VELOCITY_PAN_TILT, -1.0, 1.0)];
        }
        s.pan_tilt_speed_space = vec![space_1d(SPEED_PAN_TILT, 0.0, 1.0)];
    }
    if head.axes.zoom {
        if head.absolute {
            s.absolute_zoom_position_space = vec![space_1d(POSITION_ZOOM, 0.0, 1.0)];
        }
        if head.relative {
            s.relative_zoom_translation_space = vec![space_1d(TRANSLATION_ZOOM, -1.0, 1.0)];
        }
        if head.continuous {
            s.continuous_zoom_velocity_space = vec![space_1d(VELOCITY_ZOOM, -1.0, 1.0)];
        }
        s.zoom_speed_space = vec![space_1d(SPEED_ZOOM, 0.0, 1.0)];
    }
    s
}

/// Whether `uri` is a space of nvt's for that use (None: the request named none, so the
/// configuration's default, which is this one).
pub(crate) fn is(uri: Option<&str>, expected: &str) -> bool {
    uri.is_none_or(|u| u.trim() == expected)
}

/// A value outside its space's range (or not a number).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OutOfRange(pub(crate) String);

fn check(what: &str, v: f32, lo: f32, hi: f32) -> Result<f32, OutOfRange> {
    if v.is_finite() && v >= lo - SLACK && v <= hi + SLACK {
        Ok(v.clamp(lo, hi))
    } else {
        Err(OutOfRange(format!("{what} {v} outside {lo}..{hi}")))
    }
}

/// `lo..=hi` as `a..b` at fraction `f` of the way, rounded.
fn lerp(lo: i32, hi: i32, f: f32) -> i32 {
    (lo as f64 + f64::from(f) * (hi as f64 - lo as f64)).round() as i32
}

/// Where `v` lies in `lo..=hi`, `0..1` (0 for an axis that cannot move).
fn fraction(lo: i32, hi: i32, v: i32) -> f32 {
    if hi <= lo {
        return 0.0;
    }
    ((v as f64 - lo as f64) / (hi as f64 - lo as f64)).clamp(0.0, 1.0) as f32
}

/// A position of the head in the generic position spaces (GetStatus, GetPresets), with the
/// axis groups it has.
pub(crate) fn position_to_onvif(head: &PtzInfo, p: PtzVector) -> tt::PTZVector {
    let pan_tilt = head.axes.pan_tilt.then(|| tt::Vector2D {
        x: fraction(head.min.pan, head.max.pan, p.pan) * 2.0 - 1.0,
        y: fraction(head.min.tilt, head.max.tilt, p.tilt) * 2.0 - 1.0,
        space: Some(POSITION_PAN_TILT.into()),
    });
    let zoom = head.axes.zoom.then(|| tt::Vector1D {
        x: fraction(head.min.zoom, head.max.zoom, p.zoom),
        space: Some(POSITION_ZOOM.into()),
    });
    tt::PTZVector { pan_tilt, zoom }
}

/// Generic pan/tilt position `x, y` (-1..1) as SDK pan and tilt.
pub(crate) fn pan_tilt_position(head: &PtzInfo, x: f32, y: f32) -> Result<(i32, i32), OutOfRange> {
    let x = check("pan", x, -1.0, 1.0)?;
    let y = check("tilt", y, -1.0, 1.0)?;
    Ok((
        lerp(head.min.pan, head.max.pan, (x + 1.0) / 2.0),
        lerp(head.min.tilt, head.max.tilt, (y + 1.0) / 2.0),
    ))
}

/// Spherical pan/tilt position `x, y` in degrees as SDK pan and tilt, within the head's range
/// (the space's range, as advertised).
pub(crate) fn pan_tilt_degrees(head: &PtzInfo, x: f32, y: f32) -> Result<(i32, i32), OutOfRange> {
    let deg = |v: i32| v as f32 / 100.0;
    // The slack is in degrees here: a range end sent back as 170.00001 is still the end.
    let x = check("pan (degrees)", x, deg(head.min.pan), deg(head.max.pan))?;
    let y = check("tilt (degrees)", y, deg(head.min.tilt), deg(head.max.tilt))?;
    let sdk = |v: f32, lo: i32, hi: i32| ((f64::from(v) * 100.0).round() as i32).clamp(lo, hi);
    Ok((
        sdk(x, head.min.pan, head.max.pan),
        sdk(y, head.min.tilt, head.max.tilt),
    ))
}

/// Generic zoom position (0..1) as SDK zoom.
pub(crate) fn zoom_position(head: &PtzInfo, x: f32) -> Result<i32, OutOfRange> {
    let x = check("zoom", x, 0.0, 1.0)?;
    Ok(lerp(head.min.zoom, head.max.zoom, x))
}

/// A distance over `lo..=hi` as the fraction `f` of its span, rounded.
fn span(lo: i32, hi: i32, f: f32) -> i32 {
    (f64::from(f) * (hi as f64 - lo as f64)).round() as i32
}

/// Generic pan/tilt translation (-1..1, in position units: the span is 2) as SDK distances.
pub(crate) fn pan_tilt_translation(
    head: &PtzInfo,
    x: f32,
    y: f32,
) -> Result<(i32, i32), OutOfRange> {
    let x = check("pan translation", x, -1.0, 1.0)?;
    let y = check("tilt translation", y, -1.0, 1.0)?;
    Ok((
        span(head.min.pan, head.max.pan, x / 2.0),
        span(head.min.tilt, head.max.tilt, y / 2.0),
    ))
}

/// FOV translation (-1..1 of the half view) at the current zoom (SDK units) as SDK
/// distances: the view spans `hfov * 100 / zoom` hundredths of a degree.
pub(crate) fn fov_translation(
    head: &PtzInfo,
    zoom: i32,
    x: f32,
    y: f32,
) -> Result<(i32, i32), OutOfRange> {
    let x = check("FOV pan translation", x, -1.0, 1.0)?;
    let y = check("FOV tilt translation", y, -1.0, 1.0)?;
    // A head without zoom is at 1x; a port reporting 0 would divide by zero.
    let magnification = if head.axes.zoom { zoom.max(1) } else { 100 } as f64 / 100.0;
    let half = |fov: i32, f: f32| (f64::from(f) * fov as f64 / 2.0 / magnification).round() as i32;
    Ok((half(head.hfov, x), half(head.vfov, y)))
}

/// Generic zoom translation (-1..1 of the zoom position space, whose span is 1).
pub(crate) fn zoom_translation(head: &PtzInfo, x: f32) -> Result<i32, OutOfRange> {
    let x = check("zoom translation", x, -1.0, 1.0)?;
    Ok(span(head.min.zoom, head.max.zoom, x))
}

/// Generic velocity (-1..1 of the top speed) as SDK units per second.
pub(crate) fn velocity(what: &str, top: i32, v: f32) -> Result<i32, OutOfRange> {
    let v = check(what, v, -1.0, 1.0)?;
    Ok((f64::from(v) * top as f64).round() as i32)
}

/// Generic speed (0..1 of the top speed) as SDK units per second, at least 1 (the SDK's
/// floor). None: 0, which the caller replaces with the configuration's default (a client
/// that sends 0 for an axis it does not move means "don't care", not "don't move").
pub(crate) fn speed(what: &str, top: i32, s: f32) -> Result<Option<i32>, OutOfRange> {
    let s = check(what, s, 0.0, 1.0)?;
    if s == 0.0 {
        return Ok(None);
    }
    Ok(Some(
        ((f64::from(s) * top as f64).round() as i32).clamp(1, top.max(1)),
    ))
}

/// A speed in permille of the top speed (a configuration's default) as SDK units.
pub(crate) fn permille(top: i32, permille: u32) -> i32 {
    ((top as f64 * f64::from(permille) / 1000.0).round() as i32).clamp(1, top.max(1))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sdk::Axes;

    /// A head like the simulator's but with an asymmetric tilt (-30..90 degrees), so a
    /// mapping that assumes a centred range fails: pan -170..170, zoom 1..10x, a 60 x 33.75
    /// degree view.
    pub(crate) fn head() -> PtzInfo {
        PtzInfo {
            supported: true,
            absolute: true,
            relative: true,
            continuous: true,
            axes: Axes::ALL,
            min: PtzVector {
                pan: -17000,
                tilt: -3000,
                zoom: 100,
            },
            max: PtzVector {
                pan: 17000,
                tilt: 9000,
                zoom: 1000,
            },
            speed_max: PtzVector {
                pan: 9000,
                tilt: 6000,
                zoom: 300,
            },
            home: PtzVector {
                pan: 0,
                tilt: 0,
                zoom: 100,
            },
            hfov: 6000,
            vfov: 3375,
        }
    }

    /// A PTZ configuration on that head: half speed for pan/tilt by default, 5 s timeout.
    pub(crate) fn config() -> crate::settings::PtzConfig {
        crate::settings::PtzConfig {
            token: "ptz_0".into(),
            name: "PTZ".into(),
            source: 0,
            node: "ptz_node_0".into(),
            default_timeout_ms: 5000,
            default_speed: crate::settings::PtzSpeed {
                pan_tilt: 500,
                zoom: 1000,
            },
            spaces: Default::default(),
        }
    }

    #[test]
    fn positions_round_trip_through_the_generic_spaces() {
        let h = head();
        for (x, y, z) in [
            (-1.0, -1.0, 0.0),
            (0.0, 0.0, 0.5),
            (1.0, 1.0, 1.0),
            (0.25, -0.5, 0.1),
        ] {
            let (pan, tilt) = pan_tilt_position(&h, x, y).unwrap();
            let zoom = zoom_position(&h, z).unwrap();
            let v = position_to_onvif(&h, PtzVector { pan, tilt, zoom });
            let pt = v.pan_tilt.unwrap();
            assert!(
                (pt.x - x).abs() < 1e-4 && (pt.y - y).abs() < 1e-4,
                "{x},{y} -> {pt:?}"
            );
            assert!((v.zoom.unwrap().x - z).abs() < 1e-4);
        }
        // The ends are the head's ends; the middle of tilt -30..90 is 30 degrees.
        assert_eq!(pan_tilt_position(&h, -1.0, 0.0).unwrap(), (-17000, 3000));
        assert_eq!(zoom_position(&h, 1.0).unwrap(), 1000);
    }

    #[test]
    fn the_spherical_space_is_the_heads_range_in_degrees() {
        let h = head();
        let s = supported(&h, true);
        let abs: Vec<_> = s.absolute_pan_tilt_position_space.iter().collect();
        // Generic first (clients take entry 0), then degrees with the head's own range.
        assert_eq!(abs[0].uri, POSITION_PAN_TILT);
        assert_eq!(abs[1].uri, POSITION_PAN_TILT_DEGREES);
        assert_eq!((abs[1].x_range.min, abs[1].x_range.max), (-170.0, 170.0));
        assert_eq!((abs[1].y_range.min, abs[1].y_range.max), (-30.0, 90.0));
        assert_eq!(pan_tilt_degrees(&h, -170.0, 90.0).unwrap(), (-17000, 9000));
        assert_eq!(pan_tilt_degrees(&h, 12.345, -0.5).unwrap(), (1235, -50));
        assert_eq!(
            pan_tilt_degrees(&h, 170.000_01, -30.0).unwrap(),
            (17000, -3000)
        );
        assert!(pan_tilt_degrees(&h, 0.0, -45.0).is_err());
        assert!(pan_tilt_degrees(&h, 180.0, 0.0).is_err());
        assert!(pan_tilt_degrees(&h, f32::INFINITY, 0.0).is_err());
    }

    #[test]
    fn values_outside_a_space_are_refused_but_float_noise_is_not() {
        let h = head();
        assert!(pan_tilt_position(&h, 1.5, 0.0).is_err());
        assert!(pan_tilt_position(&h, f32::NAN, 0.0).is_err());
        assert!(zoom_position(&h, -0.1).is_err());
        assert!(velocity("pan", 9000, 1.01).is_err());
        assert!(speed("zoom", 300, -0.5).is_err());
        assert_eq!(
            pan_tilt_position(&h, 1.000_01, -1.000_01).unwrap(),
            (17000, -3000)
        );
    }

    #[test]
    fn a_generic_translation_of_one_moves_half_the_range() {
        let h = head();
        assert_eq!(pan_tilt_translation(&h, 1.0, -1.0).unwrap(), (17000, -6000));
        assert_eq!(zoom_translation(&h, 0.5).unwrap(), 450);
    }

    #[test]
    fn a_fov_translation_of_one_moves_half_the_view_at_the_current_zoom() {
        let h = head();
        // 1x: half of 60 degrees; 2x: half of 30; the corner (1, 1) is up and right.
        assert_eq!(fov_translation(&h, 100, 1.0, 1.0).unwrap(), (3000, 1688));
        assert_eq!(fov_translation(&h, 200, -1.0, 0.0).unwrap(), (-1500, 0));
        assert!(fov_translation(&h, 100, 2.0, 0.0).is_err());
    }

    #[test]
    fn speeds_are_fractions_of_the_top_speed_with_zero_meaning_the_default() {
        assert_eq!(speed("pan", 9000, 0.5).unwrap(), Some(4500));
        assert_eq!(speed("pan", 9000, 0.0).unwrap(), None);
        assert_eq!(speed("zoom", 300, 0.0001).unwrap(), Some(1));
        assert_eq!(permille(9000, 1000), 9000);
        assert_eq!(permille(300, 0), 1);
        assert_eq!(velocity("pan", 9000, -0.5).unwrap(), -4500);
    }

    #[test]
    fn the_spaces_follow_what_the_head_can_do() {
        let mut h = head();
        let s = supported(&h, true);
        let uris: Vec<_> = s
            .relative_pan_tilt_translation_space
            .iter()
            .map(|s| &s.uri)
            .collect();
        assert_eq!(uris, [TRANSLATION_PAN_TILT, TRANSLATION_FOV]);
        assert_eq!(s.continuous_zoom_velocity_space[0].uri, VELOCITY_ZOOM);
        assert!(
            supported(&h, false)
                .relative_pan_tilt_translation_space
                .len()
                == 1
        );
        h.axes.zoom = false;
        h.absolute = false;
        let s = supported(&h, true);
        assert!(s.absolute_pan_tilt_position_space.is_empty());
        assert!(s.zoom_speed_space.is_empty() && s.continuous_zoom_velocity_space.is_empty());
        assert!(is(None, VELOCITY_PAN_TILT) && is(Some(VELOCITY_PAN_TILT), VELOCITY_PAN_TILT));
        assert!(!is(Some(TRANSLATION_FOV), TRANSLATION_PAN_TILT));
    }
}
