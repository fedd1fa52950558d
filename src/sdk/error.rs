//! SDK error codes (nvt_sdk.h "Error codes") as Rust errors.

use sdk_sys as ffi;

/// The documented error codes of the SDK contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidArg,
    NotInit,
    Busy,
    NoMem,
    Timeout,
    NotSupported,
    UnknownChannel,
    BufTooSmall,
    Hardware,
    Version,
    Stopped,
    /// A code the contract does not define (a port bug); kept for the log.
    Other(i32),
}

impl ErrorCode {
    pub(crate) fn from_raw(rc: i32) -> ErrorCode {
        match rc {
            ffi::NVT_ERR_INVALID_ARG => ErrorCode::InvalidArg,
            ffi::NVT_ERR_NOT_INIT => ErrorCode::NotInit,
            ffi::NVT_ERR_BUSY => ErrorCode::Busy,
            ffi::NVT_ERR_NO_MEM => ErrorCode::NoMem,
            ffi::NVT_ERR_TIMEOUT => ErrorCode::Timeout,
            ffi::NVT_ERR_NOT_SUPPORTED => ErrorCode::NotSupported,
            ffi::NVT_ERR_UNKNOWN_CHN => ErrorCode::UnknownChannel,
            ffi::NVT_ERR_BUF_TOO_SMALL => ErrorCode::BufTooSmall,
            ffi::NVT_ERR_HW => ErrorCode::Hardware,
            ffi::NVT_ERR_VERSION => ErrorCode::Version,
            ffi::NVT_ERR_STOPPED => ErrorCode::Stopped,
            other => ErrorCode::Other(other),
        }
    }
}

/// A failed SDK call: which call, and the code it returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{call} failed: {message} ({code:?})")]
pub struct SdkError {
    pub(crate) call: &'static str,
    pub code: ErrorCode,
    message: String,
}

impl SdkError {
    pub(super) fn new(call: &'static str, rc: i32) -> SdkError {
        SdkError {
            call,
            code: ErrorCode::from_raw(rc),
            message: super::strerror(rc),
        }
    }

    pub(super) fn with_code(call: &'static str, code: ErrorCode) -> SdkError {
        SdkError {
            call,
            code,
            message: format!("{code:?}"),
        }
    }
}
