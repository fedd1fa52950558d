//! Motion detection: grid attributes and per-frame results of a video source.

use std::time::{Duration, SystemTime};

use sdk_sys as ffi;
use serde::{Deserialize, Serialize};

use super::{Sdk, SdkError, check, pts_from_us, wallclock_from_us};

pub(crate) const MAX_COLS: u32 = ffi::NVT_MD_MAX_COLS;
pub(crate) const MAX_ROWS: u32 = ffi::NVT_MD_MAX_ROWS;

/// Motion-detection settings: which cells of a `cols` x `rows` grid are watched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MotionAttr {
    pub enabled: bool,
    pub(crate) cols: u32,
    pub(crate) rows: u32,
    /// 0 (least) to 100 (most sensitive).
    pub(crate) sensitivity: u32,
    /// One bitmask per row: bit c set means cell (c, row) is watched. `rows` entries.
    pub(crate) mask: Vec<u32>,
    /// Motion is reported when at least this many watched cells move.
    pub min_cells: u32,
}

impl MotionAttr {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_COLS).contains(&self.cols) || !(1..=MAX_ROWS).contains(&self.rows) {
            return Err(format!(
                "motion grid {}x{} outside 1x1..{MAX_COLS}x{MAX_ROWS}",
                self.cols, self.rows
            ));
        }
        if self.sensitivity > 100 {
            return Err(format!(
                "motion sensitivity {} outside 0..=100",
                self.sensitivity
            ));
        }
        if self.mask.len() != self.rows as usize {
            return Err(format!(
                "motion mask has {} rows, grid has {}",
                self.mask.len(),
                self.rows
            ));
        }
        Ok(())
    }
}

/// The analysis of one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MotionResult {
    pub(crate) seq: u32,
    pub pts: Duration,
    pub(crate) wallclock: SystemTime,
    pub motion: bool,
    pub(crate) active_cells: u32,
    /// One bitmask per grid row: bit c set means cell (c, row) moved.
    pub(crate) cells: Vec<u32>,
}

impl Sdk {
    pub fn motion_attr(&self, vi: u32) -> Result<MotionAttr, SdkError> {
        let mut a = ffi::NVT_MD_ATTR_S::default();
        // SAFETY: `a` is a valid, writable struct of the type the function fills.
        check("NVT_MD_GetAttr", unsafe { ffi::NVT_MD_GetAttr(vi, &mut a) })?;
        let rows = (a.rows as usize).min(a.mask.len());
        Ok(MotionAttr {
            enabled: a.enable != 0,
            cols: a.cols,
            rows: a.rows,
            sensitivity: a.sensitivity,
            mask: a.mask[..rows].to_vec(),
            min_cells: a.min_cells,
        })
    }

    pub(crate) fn set_motion_attr(&self, vi: u32, attr: &MotionAttr) -> Result<(), SdkError> {
        let mut raw = ffi::NVT_MD_ATTR_S {
            enable: attr.enabled.into(),
            cols: attr.cols,
            rows: attr.rows,
            sensitivity: attr.sensitivity,
            min_cells: attr.min_cells,
            ..Default::default()
        };
        for (dst, src) in raw.mask.iter_mut().zip(&attr.mask) {
            *dst = *src;
        }
        // SAFETY: `raw` is a valid attribute struct that lives across the call.
        check("NVT_MD_SetAttr", unsafe { ffi::NVT_MD_SetAttr(vi, &raw) })
    }

    /// Waits up to `timeout` for the next result (`Timeout` error if none came).
    pub fn motion_result(&self, vi: u32, timeout: Duration) -> Result<MotionResult, SdkError> {
        let mut r = ffi::NVT_MD_RESULT_S::default();
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: `r` is a valid, writable struct of the type the function fills.
        check("NVT_MD_GetResult", unsafe {
            ffi::NVT_MD_GetResult(vi, &mut r, ms)
        })?;
        Ok(MotionResult {
            seq: r.seq,
            pts: pts_from_us(r.pts_us),
            wallclock: wallclock_from_us(r.utc_us),
            motion: r.motion != 0,
            active_cells: r.active_cells,
            cells: r.cells.to_vec(),
        })
    }
}
