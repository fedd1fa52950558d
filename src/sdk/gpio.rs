//! The board's relay outputs and digital inputs (`NVT_GPIO_*`, contract version 4). Levels
//! are physical (closed or open); the ONVIF logic above them (idle state, active/inactive,
//! monostable timing) is nvt's.

use std::time::Duration;

use sdk_sys as ffi;

use super::{ErrorCode, Sdk, SdkError, check, pts_from_us};

/// How many relays and inputs the board has; both 0: no GPIO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpioInfo {
    pub relays: u32,
    pub inputs: u32,
    /// Bit r: relay r is closed at power-up.
    pub(crate) relays_closed_at_boot: u32,
}

impl GpioInfo {
    /// A board without relays or inputs.
    pub const NONE: GpioInfo = GpioInfo {
        relays: 0,
        inputs: 0,
        relays_closed_at_boot: 0,
    };

    pub fn relay_closed_at_boot(&self, relay: u32) -> bool {
        relay < 32 && self.relays_closed_at_boot & (1 << relay) != 0
    }
}

/// A change of a digital input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputEvent {
    /// +1 per change over all inputs: a gap means changes were lost.
    pub seq: u32,
    /// When the change was seen, on the capture clock (CLOCK_MONOTONIC).
    pub pts: Duration,
    pub input: u32,
    /// The new level.
    pub closed: bool,
}

fn level(raw: u32, call: &'static str) -> Result<bool, SdkError> {
    match raw {
        0 => Ok(false),
        1 => Ok(true),
        // A port bug: the contract has only 0 and 1.
        other => Err(SdkError::with_code(
            call,
            ErrorCode::Other(i32::try_from(other).unwrap_or(i32::MAX)),
        )),
    }
}

impl Sdk {
    pub fn gpio_info(&self) -> Result<GpioInfo, SdkError> {
        let mut i = ffi::NVT_GPIO_INFO_S::default();
        // SAFETY: `i` is a valid, writable struct of the type the function fills.
        check("NVT_GPIO_GetInfo", unsafe { ffi::NVT_GPIO_GetInfo(&mut i) })?;
        // More than the header allows is a port bug; nvt uses no more than it can name.
        Ok(GpioInfo {
            relays: i.relay_count.min(ffi::NVT_GPIO_MAX_RELAYS),
            inputs: i.input_count.min(ffi::NVT_GPIO_MAX_INPUTS),
            relays_closed_at_boot: i.relay_closed_at_boot,
        })
    }

    /// Closes or opens relay `relay`; returns once the level is applied.
    pub fn set_relay(&self, relay: u32, closed: bool) -> Result<(), SdkError> {
        // SAFETY: plain value arguments.
        check("NVT_GPIO_SetRelay", unsafe {
            ffi::NVT_GPIO_SetRelay(relay, closed.into())
        })
    }

    pub fn relay(&self, relay: u32) -> Result<bool, SdkError> {
        let mut raw = 0u32;
        // SAFETY: `raw` is a valid, writable u32.
        check("NVT_GPIO_GetRelay", unsafe {
            ffi::NVT_GPIO_GetRelay(relay, &mut raw)
        })?;
        level(raw, "NVT_GPIO_GetRelay")
    }

    pub fn input(&self, input: u32) -> Result<bool, SdkError> {
        let mut raw = 0u32;
        // SAFETY: `raw` is a valid, writable u32.
        check("NVT_GPIO_GetInput", unsafe {
            ffi::NVT_GPIO_GetInput(input, &mut raw)
        })?;
        level(raw, "NVT_GPIO_GetInput")
    }

    /// Waits up to `timeout` for the next input change (`Timeout` error if none came).
    /// Called from one thread: the SDK reports every change once.
    pub fn input_event(&self, timeout: Duration) -> Result<InputEvent, SdkError> {
        let mut e = ffi::NVT_GPIO_EVENT_S::default();
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: `e` is a valid, writable struct of the type the function fills.
        check("NVT_GPIO_WaitEvent", unsafe {
            ffi::NVT_GPIO_WaitEvent(&mut e, ms)
        })?;
        Ok(InputEvent {
            seq: e.seq,
            pts: pts_from_us(e.pts_us),
            input: e.input,
            closed: level(e.closed, "NVT_GPIO_WaitEvent")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_0_or_1_and_boot_bits_name_relays() {
        assert_eq!(level(0, "x"), Ok(false));
        assert_eq!(level(1, "x"), Ok(true));
        assert_eq!(level(2, "x").map_err(|e| e.code), Err(ErrorCode::Other(2)));
        let info = GpioInfo {
            relays: 2,
            inputs: 1,
            relays_closed_at_boot: 0b10,
        };
        assert!(!info.relay_closed_at_boot(0));
        assert!(info.relay_closed_at_boot(1));
        assert!(!info.relay_closed_at_boot(40));
    }
}
