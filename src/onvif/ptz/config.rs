//! The PTZ node, configuration and configuration options as ONVIF shows them (PTZ
//! Service Specification s.5.3 and s.5.4; onvif.xsd PTZNode, PTZConfiguration,
//! PTZConfigurationOptions), built from the settings and the head's [`PtzInfo`]. Shared by the
//! PTZ service and by Media's profiles, so both show the same configuration.
//!
//! What is fixed and what is stored:
//! - Spaces are the generic ones (`spaces`), defaults included: a configuration cannot name
//!   other spaces, so SetConfiguration refuses other defaults (ConfigModify).
//! - Limits are the whole generic range: nvt has no configurable soft limits, so
//!   SetConfiguration refuses narrower ones the same way.
//! - Stored per configuration: Name, DefaultPTZTimeout (ContinuousMove without Timeout) and
//!   DefaultPTZSpeed.
//! - The node: MaximumNumberOfPresets is nvt's own limit, HomeSupported with a settable home
//!   (FixedHomePosition false), no auxiliary commands, no preset tours, no GeoMove.

use crate::onvif::generated::tt;
use crate::sdk::PtzInfo;
use crate::settings::validate::{MAX_PRESETS, PTZ_TIMEOUT_MS};
use crate::settings::{PTZ_SPEED_FULL, PtzConfig, PtzNode, Settings};

use super::spaces;

/// An `xs:duration` of `ms` milliseconds, in seconds (`PT5S`, `PT0.5S`).
pub(crate) fn duration_ms(ms: u32) -> String {
    let (s, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        format!("PT{s}S")
    } else {
        let f = format!("{frac:03}");
        format!("PT{s}.{}S", f.trim_end_matches('0'))
    }
}

/// DefaultPTZSpeed: the stored permille as the generic speed spaces' fractions.
fn default_speed(c: &PtzConfig, head: &PtzInfo) -> tt::PTZSpeed {
    let f = |permille: u32| permille as f32 / PTZ_SPEED_FULL as f32;
    tt::PTZSpeed {
        // The generic pan/tilt speed space is one scalar, x (PTZ spec s.5.7.7); y carries
        // nothing and is reported as the space's minimum, 0 (what MEDIA2-4-1-2 sets it to).
        pan_tilt: head.axes.pan_tilt.then(|| tt::Vector2D {
            x: f(c.default_speed.pan_tilt),
            y: 0.0,
            space: Some(spaces::SPEED_PAN_TILT.into()),
        }),
        zoom: head.axes.zoom.then(|| tt::Vector1D {
            x: f(c.default_speed.zoom),
            space: Some(spaces::SPEED_ZOOM.into()),
        }),
    }
}

/// The PTZConfiguration `c` (of a head `head`), used by `use_count` profiles.
pub(crate) fn configuration(c: &PtzConfig, head: &PtzInfo, use_count: i32) -> tt::PTZConfiguration {
    let s = spaces::supported(head, true);
    let first_2d = |l: &[tt::Space2DDescription]| l.first().map(|d| d.uri.clone());
    let first_1d = |l: &[tt::Space1DDescription]| l.first().map(|d| d.uri.clone());
    tt::PTZConfiguration {
        token: c.token.clone(),
        name: c.name.clone(),
        use_count,
        node_token: c.node.clone(),
        default_absolute_pant_tilt_position_space: if c.spaces.absolute_degrees {
            Some(spaces::POSITION_PAN_TILT_DEGREES.into())
        } else {
            first_2d(&s.absolute_pan_tilt_position_space)
        },
        default_absolute_zoom_position_space: first_1d(&s.absolute_zoom_position_space),
        default_relative_pan_tilt_translation_space: if c.spaces.relative_fov {
            Some(spaces::TRANSLATION_FOV.into())
        } else {
            first_2d(&s.relative_pan_tilt_translation_space)
        },
        default_relative_zoom_translation_space: first_1d(&s.relative_zoom_translation_space),
        default_continuous_pan_tilt_velocity_space: first_2d(&s.continuous_pan_tilt_velocity_space),
        default_continuous_zoom_velocity_space: first_1d(&s.continuous_zoom_velocity_space),
        default_ptz_speed: Some(default_speed(c, head)),
        default_ptz_timeout: Some(duration_ms(c.default_timeout_ms)),
        pan_tilt_limits: (head.axes.pan_tilt && head.absolute).then(|| tt::PanTiltLimits {
            range: tt::Space2DDescription {
                uri: spaces::POSITION_PAN_TILT.into(),
                x_range: tt::FloatRange {
                    min: -1.0,
                    max: 1.0,
                },
                y_range: tt::FloatRange {
                    min: -1.0,
                    max: 1.0,
                },
            },
        }),
        zoom_limits: (head.axes.zoom && head.absolute).then(|| tt::ZoomLimits {
            range: tt::Space1DDescription {
                uri: spaces::POSITION_ZOOM.into(),
                x_range: tt::FloatRange { min: 0.0, max: 1.0 },
            },
        }),
        ..Default::default()
    }
}

/// The PTZConfiguration `c` as it stands in `s`: its UseCount is the number of profiles
/// holding it (the PTZ service and Media's profiles both show it so).
pub(crate) fn in_settings(s: &Settings, c: &PtzConfig, head: &PtzInfo) -> tt::PTZConfiguration {
    let use_count = (s.media.profiles.iter())
        .filter(|p| p.ptz.as_deref() == Some(c.token.as_str()))
        .count() as i32;
    configuration(c, head, use_count)
}

/// The PTZNode of a head.
pub(crate) fn node(n: &PtzNode, head: &PtzInfo) -> tt::PTZNode {
    tt::PTZNode {
        token: n.token.clone(),
        fixed_home_position: Some(false),
        geo_move: Some(false),
        name: Some(format!("PTZ head {}", n.source)),
        supported_ptz_spaces: spaces::supported(head, true),
        maximum_number_of_presets: MAX_PRESETS as i32,
        home_supported: true,
        extension: Some(tt::PTZNodeExtension {
            supported_preset_tour: Some(tt::PTZPresetTourSupported {
                maximum_number_of_preset_tours: 0,
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// GetConfigurationOptions of a configuration on `head`.
pub(crate) fn options(head: &PtzInfo) -> tt::PTZConfigurationOptions {
    let (lo, hi) = PTZ_TIMEOUT_MS;
    tt::PTZConfigurationOptions {
        spaces: spaces::supported(head, true),
        ptz_timeout: tt::DurationRange {
            min: duration_ms(lo),
            max: duration_ms(hi),
        },
        ..Default::default()
    }
}

/// A SetConfiguration's default space for a pan/tilt use the node offers two spaces for:
/// `Some(true)` the alternative (`alt`), `Some(false)` the generic space (listed first),
/// None: the request names none (unchanged). A space the node does not offer for that use is
/// refused.
pub(crate) fn default_choice(
    what: &str,
    asked: Option<&str>,
    offered: &[tt::Space2DDescription],
    alt: &str,
) -> Result<Option<bool>, String> {
    let Some(a) = asked.map(str::trim) else {
        return Ok(None);
    };
    match offered.iter().position(|sp| sp.uri == a) {
        Some(_) if a == alt => Ok(Some(true)),
        Some(0) => Ok(Some(false)),
        _ => Err(format!(
            "{what} {a:?}: the node offers {:?}",
            offered.iter().map(|sp| sp.uri.as_str()).collect::<Vec<_>>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onvif::ptz::spaces::tests::{config, head};

    #[test]
    fn durations_are_seconds_with_a_fraction_only_when_needed() {
        assert_eq!(duration_ms(5000), "PT5S");
        assert_eq!(duration_ms(100), "PT0.1S");
        assert_eq!(duration_ms(120_000), "PT120S");
        assert_eq!(duration_ms(1250), "PT1.25S");
        for ms in [100, 1250, 5000, 120_000] {
            let d = crate::xml::xsd::parse_duration(&duration_ms(ms)).unwrap();
            assert_eq!(d.approx_millis(), Some(u64::from(ms)));
        }
    }

    /// Frigate and Home Assistant read the features off the profile's configuration: every
    /// default space must be there, and the FOV space must be in the options' relative list.
    #[test]
    fn the_configuration_names_every_default_space_frigate_and_ha_look_for() {
        let c = config();
        let t = configuration(&c, &head(), 2);
        assert_eq!(t.use_count, 2);
        assert_eq!(
            t.default_continuous_pan_tilt_velocity_space.as_deref(),
            Some(spaces::VELOCITY_PAN_TILT)
        );
        assert_eq!(
            t.default_relative_pan_tilt_translation_space.as_deref(),
            Some(spaces::TRANSLATION_PAN_TILT)
        );
        assert!(t.default_absolute_pant_tilt_position_space.is_some());
        assert!(t.default_continuous_zoom_velocity_space.is_some());
        assert_eq!(t.default_ptz_timeout.as_deref(), Some("PT5S"));
        assert_eq!(t.default_ptz_speed.unwrap().pan_tilt.unwrap().x, 0.5);
        let o = options(&head());
        assert!(
            o.spaces
                .relative_pan_tilt_translation_space
                .iter()
                .any(|s| s.uri.contains("TranslationSpaceFov")
                    && s.x_range.min == -1.0
                    && s.x_range.max == 1.0)
        );
        assert_eq!(
            (o.ptz_timeout.min.as_str(), o.ptz_timeout.max.as_str()),
            ("PT0.1S", "PT120S")
        );
    }
}
