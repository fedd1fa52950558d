//! Relay outputs and digital inputs: SetRelayOutputSettings (DeviceIO and Device) and
//! SetDigitalInputConfigurations, checked against the relays and inputs the SDK reports
//! (`Facts::gpio`) and stored in `settings.io`.

use crate::camera::caps::Facts;
use crate::io::{input_index, relay_index, relay_settings};
use crate::settings::validate::RELAY_DELAY_MS;
use crate::settings::{IdleState, InputSettings, RelayMode, RelaySettings, Settings};

use super::error::{ChangeError, IoRefused};

/// A relay or input configuration change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IoChange {
    /// SetRelayOutputSettings.
    Relay(RelayRequest),
    /// SetDigitalInputConfigurations: all of them or none (DeviceIO spec: "If one of the
    /// provided configurations is invalid, ... apply none of the configurations").
    Inputs(Vec<InputRequest>),
}

/// SetRelayOutputSettings' values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayRequest {
    pub(crate) token: String,
    pub(crate) mode: RelayMode,
    /// The DelayTime in ms; None: no duration nvt can time (not an xs:duration, negative,
    /// or in months).
    pub(crate) delay_ms: Option<u64>,
    pub(crate) idle: IdleState,
}

/// One input of SetDigitalInputConfigurations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputRequest {
    pub(crate) token: String,
    pub(crate) idle: IdleState,
}

pub(crate) fn io(
    facts: Facts<'_>,
    next: &mut Settings,
    change: IoChange,
) -> Result<(), ChangeError> {
    match change {
        IoChange::Relay(req) => {
            let r = relay_index(&req.token, facts.gpio.relays)
                .ok_or_else(|| IoRefused::UnknownRelay(req.token.clone()))?;
            let old = relay_settings(&next.io, &facts.gpio, r);
            let (lo, hi) = RELAY_DELAY_MS;
            let offered = req
                .delay_ms
                .filter(|d| (u64::from(lo)..=u64::from(hi)).contains(d))
                .map(|d| d as u32);
            let delay_ms = match (req.mode, offered) {
                (_, Some(d)) => d,
                // Core s.8.5: "If the relay is set to bistable mode the value of the parameter
                // shall be ignored": the stored delay stays.
                (RelayMode::Bistable, None) => old.delay_ms,
                (RelayMode::Monostable, None) => {
                    return Err(IoRefused::Delay(format!(
                        "a monostable DelayTime is {}..={} s",
                        f64::from(lo) / 1000.0,
                        f64::from(hi) / 1000.0
                    ))
                    .into());
                }
            };
            let new = RelaySettings {
                token: old.token,
                mode: req.mode,
                delay_ms,
                idle: req.idle,
            };
            match next.io.relays.iter_mut().find(|s| s.token == new.token) {
                Some(s) => *s = new,
                None => next.io.relays.push(new),
            }
        }
        IoChange::Inputs(list) => {
            for req in list {
                input_index(&req.token, facts.gpio.inputs)
                    .ok_or_else(|| IoRefused::UnknownInput(req.token.clone()))?;
                let new = InputSettings {
                    token: req.token,
                    idle: req.idle,
                };
                match next.io.inputs.iter_mut().find(|s| s.token == new.token) {
                    Some(s) => *s = new,
                    None => next.io.inputs.push(new),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::testing::ctx;
    use crate::camera::change::{Change, plan};
    use crate::sdk::{EncoderCaps, GpioInfo};

    /// No encoder changes in these plans: the caps are never consulted.
    fn caps() -> EncoderCaps {
        EncoderCaps {
            codecs: Vec::new(),
            h264_profiles: Vec::new(),
            rc_modes: Vec::new(),
            resolutions: Vec::new(),
            fps: (1, 1),
            bitrate_kbps: (1, 1),
            gop: (1, 1),
            qp: (1, 1),
        }
    }

    fn board(caps: &EncoderCaps) -> Facts<'_> {
        Facts {
            speaker: crate::sdk::AudioOutCaps::NONE,
            caps,
            sources: &[],
            isp_ranges: &[],
            ptz: &[],
            osd: &[],
            gpio: GpioInfo {
                relays: 2,
                inputs: 1,
                relays_closed_at_boot: 0,
            },
            audio: &crate::camera::audio_limits::NO_AUDIO,
        }
    }

    fn relay(token: &str, mode: RelayMode, delay_ms: Option<u64>) -> Change {
        Change::Io(IoChange::Relay(RelayRequest {
            token: token.into(),
            mode,
            delay_ms,
            idle: IdleState::Closed,
        }))
    }

    #[test]
    fn relay_settings_are_checked_against_the_board() {
        let caps = caps();
        let facts = board(&caps);
        let s = Settings::default();
        let (next, _) = plan(
            &s,
            &ctx(facts),
            relay("relay1", RelayMode::Monostable, Some(500)),
        )
        .unwrap();
        assert_eq!(
            next.io.relays,
            [RelaySettings {
                token: "relay1".into(),
                mode: RelayMode::Monostable,
                delay_ms: 500,
                idle: IdleState::Closed,
            }]
        );
        let refused = |c| plan(&next, &ctx(facts), c).unwrap_err();
        assert_eq!(
            refused(relay("relay2", RelayMode::Bistable, Some(500))),
            ChangeError::Io(IoRefused::UnknownRelay("relay2".into()))
        );
        for bad in [None, Some(0), Some(99), Some(3_600_001)] {
            assert!(matches!(
                refused(relay("relay1", RelayMode::Monostable, bad)),
                ChangeError::Io(IoRefused::Delay(_))
            ));
        }
        // Bistable ignores a delay it cannot use: the stored one stays.
        let (bi, _) = plan(
            &next,
            &ctx(facts),
            relay("relay1", RelayMode::Bistable, None),
        )
        .unwrap();
        assert_eq!(
            (
                bi.io.relays.len(),
                bi.io.relays[0].mode,
                bi.io.relays[0].delay_ms
            ),
            (1, RelayMode::Bistable, 500)
        );
    }

    #[test]
    fn input_configurations_are_all_or_nothing() {
        let caps = caps();
        let facts = board(&caps);
        let s = Settings::default();
        let input = |token: &str| InputRequest {
            token: token.into(),
            idle: IdleState::Closed,
        };
        let both = Change::Io(IoChange::Inputs(vec![input("input0"), input("input1")]));
        assert_eq!(
            plan(&s, &ctx(facts), both).unwrap_err(),
            ChangeError::Io(IoRefused::UnknownInput("input1".into()))
        );
        let one = Change::Io(IoChange::Inputs(vec![input("input0")]));
        let (next, _) = plan(&s, &ctx(facts), one).unwrap();
        assert_eq!(next.io.inputs[0].idle, IdleState::Closed);
    }
}
