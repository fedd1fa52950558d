//! The safe wrapper over the camera SDK (`sdk-sys`): the only module of the daemon with
//! `unsafe` code. Everything above it sees typed handles, Rust enums and `SdkError`s.
//!
//! The SDK is a process-wide singleton (as vendor SDKs are): [`Sdk::init`] succeeds once
//! until the last [`Sdk`] clone is dropped, which calls `NVT_SYS_Exit`. Channels, sources
//! and capture threads hold an `Sdk` clone, so the SDK outlives everything that uses it.
//!
//! Panics never cross the FFI boundary: the wrapper only calls into C (never the other way),
//! and the simulator catches panics inside each exported function.
#![allow(unsafe_code)]

mod audio;
mod audio_out;
mod capture;
mod error;
mod focus;
mod gpio;
mod isp;
mod motion;
mod osd;
mod ptz;
mod venc;

use std::ffi::{CStr, CString, c_char};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sdk_sys as ffi;

pub use audio::{AudioAttr, AudioCaps, AudioCapture, AudioChannel, AudioCodec};
pub use audio_out::{AudioOut, AudioOutCaps, AudioOutStatus};
pub use capture::Capture;
pub use error::{ErrorCode, SdkError};
pub use focus::{FocusInfo, FocusState};
pub use gpio::{GpioInfo, InputEvent};
#[cfg(test)]
pub(crate) use isp::Levels;
pub(crate) use isp::Range;
pub use isp::{AutoMode, IrCutMode, IspAttr, IspRange, IspStats};
pub(crate) use isp::{ZONE_COLS, ZONE_ROWS};
pub use osd::{BitmapError, OsdBitmap, OsdInfo};
pub use ptz::{Axes, PtzInfo, PtzState, PtzStatus, PtzVector};
pub use venc::{Codec, EncoderAttr, EncoderCaps, EncoderChannel, H264Profile, RateControl};

/// Identity and size of the camera, as the SDK reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdkVersion {
    pub(crate) sdk_name: String,
    pub(crate) sdk_version: String,
    pub(crate) chip_model: String,
    pub(crate) manufacturer: String,
    pub(crate) serial: String,
    pub video_source_count: u32,
    pub(crate) max_venc_channels: u32,
}

/// A sensor (video source) of the camera.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoSourceInfo {
    pub(crate) name: String,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) max_fps: u32,
}

/// A handle on the initialised SDK. Cheap to clone; the SDK exits when the last clone drops.
#[derive(Clone)]
pub struct Sdk {
    _exit_guard: Arc<SdkInner>,
}

struct SdkInner;

impl Drop for SdkInner {
    fn drop(&mut self) {
        // SAFETY: NVT_SYS_Exit takes no arguments and is idempotent per the contract; every
        // handle that could still call into the SDK holds an `Sdk` clone, so none is left.
        let rc = unsafe { ffi::NVT_SYS_Exit() };
        if rc != 0 {
            tracing::warn!(error = %SdkError::new("NVT_SYS_Exit", rc), "SDK exit failed");
        }
    }
}

impl std::fmt::Debug for Sdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sdk")
    }
}

impl Sdk {
    /// Initialises the SDK with the board options string (`key=value;...`, meaning defined by
    /// the port; see sdk-sys/README.md). Fails with `Busy` while another `Sdk` is alive.
    pub fn init(board_options: &str) -> Result<Sdk, SdkError> {
        let options = CString::new(board_options)
            .map_err(|_| SdkError::with_code("NVT_SYS_Init", ErrorCode::InvalidArg))?;
        let config = ffi::NVT_SYS_CONFIG_S {
            api_version: ffi::NVT_SDK_API_VERSION,
            board_options: options.as_ptr(),
        };
        // SAFETY: `config` and the string it points to live across the call; the SDK copies
        // what it keeps (the contract never lets it retain caller pointers).
        check("NVT_SYS_Init", unsafe { ffi::NVT_SYS_Init(&config) })?;
        Ok(Sdk {
            _exit_guard: Arc::new(SdkInner),
        })
    }

    pub fn version(&self) -> Result<SdkVersion, SdkError> {
        let mut v = ffi::NVT_SYS_VERSION_S::default();
        // SAFETY: `v` is a valid, writable struct of the type the function fills.
        check("NVT_SYS_GetVersion", unsafe {
            ffi::NVT_SYS_GetVersion(&mut v)
        })?;
        Ok(SdkVersion {
            sdk_name: c_chars(&v.sdk_name),
            sdk_version: c_chars(&v.sdk_version),
            chip_model: c_chars(&v.chip_model),
            manufacturer: c_chars(&v.manufacturer),
            serial: c_chars(&v.serial),
            video_source_count: v.video_source_count,
            max_venc_channels: v.max_venc_channels,
        })
    }

    pub(crate) fn video_source(&self, vi: u32) -> Result<VideoSourceInfo, SdkError> {
        let mut info = ffi::NVT_VI_INFO_S::default();
        // SAFETY: `info` is a valid, writable struct of the type the function fills.
        check("NVT_VI_GetInfo", unsafe {
            ffi::NVT_VI_GetInfo(vi, &mut info)
        })?;
        Ok(VideoSourceInfo {
            name: c_chars(&info.name),
            width: info.width,
            height: info.height,
            max_fps: info.max_fps,
        })
    }

    /// A JPEG of the latest captured frame of `vi`, scaled to `width` x `height`.
    pub fn snapshot_jpeg(
        &self,
        vi: u32,
        width: u32,
        height: u32,
        quality: u32,
    ) -> Result<Vec<u8>, SdkError> {
        // Most snapshots fit; the SDK reports the size needed when one does not.
        let mut buf = vec![0u8; (width as usize * height as usize / 4).max(64 * 1024)];
        for _ in 0..3 {
            let mut out_len = 0u32;
            let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
            // SAFETY: `buf` is writable for `len` bytes and `out_len` is a valid u32.
            let rc = unsafe {
                ffi::NVT_JPEG_Snap(
                    vi,
                    width,
                    height,
                    quality,
                    buf.as_mut_ptr(),
                    len,
                    &mut out_len,
                )
            };
            match check("NVT_JPEG_Snap", rc) {
                Ok(()) => {
                    buf.truncate(out_len as usize);
                    return Ok(buf);
                }
                Err(e) if e.code == ErrorCode::BufTooSmall && out_len as usize > buf.len() => {
                    if out_len as usize > MAX_SNAPSHOT_BYTES {
                        return Err(e);
                    }
                    buf.resize(out_len as usize, 0);
                }
                Err(e) => return Err(e),
            }
        }
        Err(SdkError::with_code("NVT_JPEG_Snap", ErrorCode::BufTooSmall))
    }
}

/// Largest JPEG the wrapper will allocate for: far above any sane snapshot, low enough that a
/// broken port cannot make the daemon allocate without bound.
pub(crate) const MAX_SNAPSHOT_BYTES: usize = 32 * 1024 * 1024;

/// Turns an SDK return code into a `Result`.
fn check(call: &'static str, rc: i32) -> Result<(), SdkError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(SdkError::new(call, rc))
    }
}

/// A fixed-size, NUL-padded C string field as a Rust string (lossy, never past the array).
fn c_chars(field: &[c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Now on the clock of the SDK's capture timestamps (`pts_us`: CLOCK_MONOTONIC), to measure
/// how old a frame is.
pub(crate) fn capture_clock_now() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(Duration::from)
        .unwrap_or_default()
}

/// Capture time from the SDK's microsecond stamps.
fn pts_from_us(us: u64) -> Duration {
    Duration::from_micros(us)
}

fn wallclock_from_us(us: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(us)
}

/// The SDK's text for an error code (static storage per the contract).
fn strerror(rc: i32) -> String {
    // SAFETY: the contract guarantees a non-NULL pointer to a static NUL-terminated string.
    unsafe { CStr::from_ptr(ffi::NVT_SYS_StrError(rc)) }
        .to_string_lossy()
        .into_owned()
}
