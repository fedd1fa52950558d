//! The lens focus motor of a video source.

use sdk_sys as ffi;

use super::{ErrorCode, Sdk, SdkError, check};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FocusInfo {
    pub supported: bool,
    pub position_min: i32,
    pub position_max: i32,
    /// Position units per second.
    pub speed_max: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FocusState {
    Idle,
    Moving,
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FocusStatus {
    pub position: i32,
    pub state: FocusState,
    /// The error that stopped the last move, if one did.
    pub error: Option<ErrorCode>,
}

impl Sdk {
    pub fn focus_info(&self, vi: u32) -> Result<FocusInfo, SdkError> {
        let mut i = ffi::NVT_FOCUS_INFO_S::default();
        // SAFETY: `i` is a valid, writable struct of the type the function fills.
        check("NVT_FOCUS_GetInfo", unsafe {
            ffi::NVT_FOCUS_GetInfo(vi, &mut i)
        })?;
        Ok(FocusInfo {
            supported: i.supported != 0,
            position_min: i.position_min,
            position_max: i.position_max,
            speed_max: i.speed_max,
        })
    }

    pub fn focus_move_absolute(&self, vi: u32, position: i32, speed: i32) -> Result<(), SdkError> {
        // SAFETY: plain value arguments.
        check("NVT_FOCUS_MoveAbsolute", unsafe {
            ffi::NVT_FOCUS_MoveAbsolute(vi, position, speed)
        })
    }

    pub(crate) fn focus_move_continuous(&self, vi: u32, speed: i32) -> Result<(), SdkError> {
        // SAFETY: plain value arguments.
        check("NVT_FOCUS_MoveContinuous", unsafe {
            ffi::NVT_FOCUS_MoveContinuous(vi, speed)
        })
    }

    pub(crate) fn focus_stop(&self, vi: u32) -> Result<(), SdkError> {
        // SAFETY: plain value argument.
        check("NVT_FOCUS_Stop", unsafe { ffi::NVT_FOCUS_Stop(vi) })
    }

    pub fn focus_status(&self, vi: u32) -> Result<FocusStatus, SdkError> {
        let mut s = ffi::NVT_FOCUS_STATUS_S::default();
        // SAFETY: `s` is a valid, writable struct of the type the function fills.
        check("NVT_FOCUS_GetStatus", unsafe {
            ffi::NVT_FOCUS_GetStatus(vi, &mut s)
        })?;
        let state = match s.state {
            ffi::NVT_FOCUS_STATE_E::NVT_FOCUS_IDLE => FocusState::Idle,
            ffi::NVT_FOCUS_STATE_E::NVT_FOCUS_MOVING => FocusState::Moving,
            _ => FocusState::Unknown,
        };
        let error = (s.error != 0).then(|| ErrorCode::from_raw(s.error));
        Ok(FocusStatus {
            position: s.position,
            state,
            error,
        })
    }
}
