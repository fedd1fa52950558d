//! The PTZ head of a video source (`NVT_PTZ_*`): a motorised pan/tilt and a zoom lens.
//! Positions are in the contract's units: pan and tilt in hundredths of a degree, zoom in
//! hundredths of magnification (100 = 1x); speeds in those units per second.

use sdk_sys as ffi;

use super::{ErrorCode, Sdk, SdkError, check};

/// Pan, tilt and zoom, in the contract's units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PtzVector {
    pub pan: i32,
    pub tilt: i32,
    pub zoom: i32,
}

impl From<ffi::NVT_PTZ_VECTOR_S> for PtzVector {
    fn from(v: ffi::NVT_PTZ_VECTOR_S) -> Self {
        PtzVector {
            pan: v.pan,
            tilt: v.tilt,
            zoom: v.zoom,
        }
    }
}

impl From<PtzVector> for ffi::NVT_PTZ_VECTOR_S {
    fn from(v: PtzVector) -> Self {
        ffi::NVT_PTZ_VECTOR_S {
            pan: v.pan,
            tilt: v.tilt,
            zoom: v.zoom,
        }
    }
}

/// Which axis groups a call applies to; the other keeps doing what it does. ONVIF moves
/// name them the same way (a request with only a PanTilt element leaves the zoom alone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Axes {
    pub pan_tilt: bool,
    pub zoom: bool,
}

impl Axes {
    pub const ALL: Axes = Axes {
        pan_tilt: true,
        zoom: true,
    };

    fn bits(self) -> u32 {
        (if self.pan_tilt {
            ffi::NVT_PTZ_AXES_PAN_TILT
        } else {
            0
        }) | (if self.zoom { ffi::NVT_PTZ_AXES_ZOOM } else { 0 })
    }

    pub fn is_empty(self) -> bool {
        !self.pan_tilt && !self.zoom
    }
}

/// What the head can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtzInfo {
    /// False: no head (every move is NOT_SUPPORTED).
    pub supported: bool,
    pub absolute: bool,
    pub relative: bool,
    pub continuous: bool,
    /// The axis groups it has.
    pub axes: Axes,
    pub min: PtzVector,
    pub max: PtzVector,
    pub speed_max: PtzVector,
    /// The factory home position.
    pub home: PtzVector,
    /// Field of view at 1x, hundredths of a degree.
    pub hfov: i32,
    pub vfov: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtzState {
    Idle,
    Moving,
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtzStatus {
    pub position: PtzVector,
    pub pan_tilt: PtzState,
    pub zoom: PtzState,
    /// The error that stopped the last move, if one did.
    pub error: Option<ErrorCode>,
}

fn state(s: ffi::NVT_PTZ_STATE_E) -> PtzState {
    match s {
        ffi::NVT_PTZ_STATE_E::NVT_PTZ_IDLE => PtzState::Idle,
        ffi::NVT_PTZ_STATE_E::NVT_PTZ_MOVING => PtzState::Moving,
        _ => PtzState::Unknown,
    }
}

impl Sdk {
    pub fn ptz_info(&self, vi: u32) -> Result<PtzInfo, SdkError> {
        let mut i = ffi::NVT_PTZ_INFO_S::default();
        // SAFETY: `i` is a valid, writable struct of the type the function fills.
        check("NVT_PTZ_GetInfo", unsafe {
            ffi::NVT_PTZ_GetInfo(vi, &mut i)
        })?;
        let has = |bit: u32| i.moves & bit != 0;
        Ok(PtzInfo {
            supported: i.supported != 0,
            absolute: has(ffi::NVT_PTZ_MOVE_ABSOLUTE),
            relative: has(ffi::NVT_PTZ_MOVE_RELATIVE),
            continuous: has(ffi::NVT_PTZ_MOVE_CONTINUOUS),
            axes: Axes {
                pan_tilt: i.axes & ffi::NVT_PTZ_AXES_PAN_TILT != 0,
                zoom: i.axes & ffi::NVT_PTZ_AXES_ZOOM != 0,
            },
            min: i.min.into(),
            max: i.max.into(),
            speed_max: i.speed_max.into(),
            home: i.home.into(),
            hfov: i.hfov,
            vfov: i.vfov,
        })
    }

    pub fn ptz_move_absolute(
        &self,
        vi: u32,
        to: PtzVector,
        speed: PtzVector,
        axes: Axes,
    ) -> Result<(), SdkError> {
        let (to, speed) = (to.into(), speed.into());
        // SAFETY: both pointers are to live structs for the duration of the call.
        check("NVT_PTZ_MoveAbsolute", unsafe {
            ffi::NVT_PTZ_MoveAbsolute(vi, &to, &speed, axes.bits())
        })
    }

    pub fn ptz_move_relative(
        &self,
        vi: u32,
        by: PtzVector,
        speed: PtzVector,
        axes: Axes,
    ) -> Result<(), SdkError> {
        let (by, speed) = (by.into(), speed.into());
        // SAFETY: both pointers are to live structs for the duration of the call.
        check("NVT_PTZ_MoveRelative", unsafe {
            ffi::NVT_PTZ_MoveRelative(vi, &by, &speed, axes.bits())
        })
    }

    pub fn ptz_move_continuous(
        &self,
        vi: u32,
        velocity: PtzVector,
        axes: Axes,
    ) -> Result<(), SdkError> {
        let velocity = velocity.into();
        // SAFETY: the pointer is to a live struct for the duration of the call.
        check("NVT_PTZ_MoveContinuous", unsafe {
            ffi::NVT_PTZ_MoveContinuous(vi, &velocity, axes.bits())
        })
    }

    pub fn ptz_stop(&self, vi: u32, axes: Axes) -> Result<(), SdkError> {
        // SAFETY: plain value arguments.
        check("NVT_PTZ_Stop", unsafe {
            ffi::NVT_PTZ_Stop(vi, axes.bits())
        })
    }

    pub fn ptz_status(&self, vi: u32) -> Result<PtzStatus, SdkError> {
        let mut s = ffi::NVT_PTZ_STATUS_S::default();
        // SAFETY: `s` is a valid, writable struct of the type the function fills.
        check("NVT_PTZ_GetStatus", unsafe {
            ffi::NVT_PTZ_GetStatus(vi, &mut s)
        })?;
        Ok(PtzStatus {
            position: s.position.into(),
            pan_tilt: state(s.pan_tilt),
            zoom: state(s.zoom),
            error: (s.error != 0).then(|| ErrorCode::from_raw(s.error)),
        })
    }
}
