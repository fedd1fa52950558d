//! The board's relay outputs and digital inputs as ONVIF sees them (DeviceIO service spec,
//! doc/DeviceIo.xml; ONVIF Core s.8.5 "Input/Output"): tokens, the settings a relay or
//! input has when no client configured it, and the runtime that drives the SDK's GPIO block
//! (`NVT_GPIO_*`, physical levels only) with the ONVIF logic on top.
//!
//! - `relay`: one relay's logic (active/inactive through IdleState, the monostable timer),
//!   pure, time passed in;
//! - `input`: one input's LogicalState through IdleState, and lost-event detection, pure;
//! - `board`: the shell: the SDK calls, one timer task per relay, the blocking thread on
//!   `NVT_GPIO_WaitEvent`, and the `tns1:Device/Trigger/Relay` and `.../DigitalInput`
//!   property events.
//!
//! Configuration (SetRelayOutputSettings, SetDigitalInputConfigurations) is a camera-core
//! change (`camera::change`, `Change::Io`), persisted in `settings.io`; the core hands the
//! new settings to [`Io::reconfigure`] before it commits them. SetRelayOutputState is no
//! configuration (the Core spec: "There is no GetRelayState command; the current logical
//! state of the relay output is transmitted via notification"): it goes straight to
//! [`Io::set_state`], like a PTZ move.

mod board;
mod input;
mod relay;

pub(crate) use board::{Io, IoError};

use crate::sdk::GpioInfo;
use crate::settings::{IdleState, InputSettings, IoSettings, RelayMode, RelaySettings};

/// How long a monostable relay stays active when no client set a delay.
pub(crate) const DEFAULT_DELAY_MS: u32 = 1000;

/// The ONVIF token of relay `r` (`relay0`, `relay1`, ...).
pub(crate) fn relay_token(r: u32) -> String {
    format!("relay{r}")
}

/// The ONVIF token of digital input `i` (`input0`, ...).
pub(crate) fn input_token(i: u32) -> String {
    format!("input{i}")
}

/// The relay a token names on a board with `count` relays.
pub(crate) fn relay_index(token: &str, count: u32) -> Option<u32> {
    index(token, "relay", count)
}

/// The input a token names on a board with `count` inputs.
pub(crate) fn input_index(token: &str, count: u32) -> Option<u32> {
    index(token, "input", count)
}

fn index(token: &str, prefix: &str, count: u32) -> Option<u32> {
    let n: u32 = token.strip_prefix(prefix)?.parse().ok()?;
    // `relay01` or `relay+1` parse too: only the canonical spelling names the relay.
    (n < count && format!("{prefix}{n}") == token).then_some(n)
}

/// Relay `r`'s settings: a client's, else bistable with the level the board powers up
/// with as its idle state (so an unconfigured relay is not switched at start).
pub(crate) fn relay_settings(io: &IoSettings, gpio: &GpioInfo, r: u32) -> RelaySettings {
    let token = relay_token(r);
    io.relays
        .iter()
        .find(|s| s.token == token)
        .cloned()
        .unwrap_or_else(|| RelaySettings {
            token,
            mode: RelayMode::Bistable,
            delay_ms: DEFAULT_DELAY_MS,
            idle: if gpio.relay_closed_at_boot(r) {
                IdleState::Closed
            } else {
                IdleState::Open
            },
        })
}

/// Input `i`'s settings: a client's, else idle open (a normally-open contact).
pub(crate) fn input_settings(io: &IoSettings, i: u32) -> InputSettings {
    let token = input_token(i);
    io.inputs
        .iter()
        .find(|s| s.token == token)
        .cloned()
        .unwrap_or(InputSettings {
            token,
            idle: IdleState::Open,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_existing_relays_and_inputs_only() {
        assert_eq!(relay_index(&relay_token(1), 2), Some(1));
        assert_eq!(relay_index("relay2", 2), None);
        assert_eq!(relay_index("relay01", 2), None);
        assert_eq!(relay_index("OnvifTest123", 2), None);
        assert_eq!(input_index(&input_token(0), 1), Some(0));
        assert_eq!(input_index("relay0", 1), None);
        assert_eq!(input_index("input0", 0), None);
    }

    #[test]
    fn defaults_keep_the_power_up_level_and_a_clients_settings_win() {
        let gpio = GpioInfo {
            relays: 2,
            inputs: 1,
            relays_closed_at_boot: 0b10,
        };
        let mut io = IoSettings::default();
        assert_eq!(relay_settings(&io, &gpio, 0).idle, IdleState::Open);
        assert_eq!(relay_settings(&io, &gpio, 1).idle, IdleState::Closed);
        io.relays.push(RelaySettings {
            token: "relay1".into(),
            mode: RelayMode::Monostable,
            delay_ms: 500,
            idle: IdleState::Open,
        });
        assert_eq!(relay_settings(&io, &gpio, 1).mode, RelayMode::Monostable);
        assert_eq!(input_settings(&io, 0).idle, IdleState::Open);
    }
}
