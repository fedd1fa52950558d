//! The exported C functions of `nvt_sdk.h`. Each one checks its arguments, runs its body
//! inside `catch_unwind` (a panic becomes NVT_ERR_HW, never unwinds into C) and delegates
//! to the modules. Order of checks, the same everywhere: not initialised (NVT_ERR_NOT_INIT),
//! then unknown channel / video source (NVT_ERR_UNKNOWN_CHN), then NULL pointers and values
//! (NVT_ERR_INVALID_ARG).

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::clock::mono_us;
use super::venc::{self, Channel, Source};
use super::{
    MAX_OUTSTANDING, OutStream, PendingSnap, Sim, audio_in, focus, gpio, lock, motion, osd, ptz,
    speaker,
};
use crate::*;

type Res = Result<(), i32>;

/// Runs `f`, mapping Ok to NVT_OK and a panic to NVT_ERR_HW.
fn guard(f: impl FnOnce() -> Res) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => NVT_OK as i32,
        Ok(Err(e)) => e,
        Err(_) => NVT_ERR_HW,
    }
}

fn sim() -> Result<Arc<Sim>, i32> {
    super::current().ok_or(NVT_ERR_NOT_INIT)
}

fn check_vi(vi: u32) -> Res {
    if vi == 0 {
        Ok(())
    } else {
        Err(NVT_ERR_UNKNOWN_CHN)
    }
}

/// Writes `v` through `p`, or fails with NVT_ERR_INVALID_ARG if `p` is NULL.
///
/// # Safety
/// `p` must be NULL or valid for writing a `T`.
unsafe fn write_out<T>(p: *mut T, v: T) -> Res {
    if p.is_null() {
        return Err(NVT_ERR_INVALID_ARG);
    }
    // SAFETY: non-NULL, and the caller guarantees it is valid for writes of T.
    unsafe { p.write(v) };
    Ok(())
}

/// Reads `*p`, or fails with NVT_ERR_INVALID_ARG if `p` is NULL.
///
/// # Safety
/// `p` must be NULL or valid for reading a `T`.
unsafe fn read_in<T: Copy>(p: *const T) -> Result<T, i32> {
    if p.is_null() {
        return Err(NVT_ERR_INVALID_ARG);
    }
    // SAFETY: non-NULL, and the caller guarantees it points to a valid T.
    Ok(unsafe { p.read() })
}

fn copy_str(dst: &mut [c_char; 32], s: &str) {
    for (d, b) in dst.iter_mut().zip(s.bytes().take(31)) {
        *d = b as c_char;
    }
}

// ---- SYS ------------------------------------------------------------------------------

/// # Safety
/// `config` must be NULL or point to a valid NVT_SYS_CONFIG_S whose `board_options` is NULL
/// or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_SYS_Init(config: *const NVT_SYS_CONFIG_S) -> i32 {
    guard(|| {
        // SAFETY: the caller passes NULL or a valid config.
        let cfg = unsafe { read_in(config) }?;
        if cfg.api_version != NVT_SDK_API_VERSION {
            return Err(NVT_ERR_VERSION);
        }
        let opts = if cfg.board_options.is_null() {
            String::new()
        } else {
            // SAFETY: non-NULL and NUL-terminated per the contract.
            let s = unsafe { CStr::from_ptr(cfg.board_options) };
            s.to_str().map_err(|_| NVT_ERR_INVALID_ARG)?.to_string()
        };
        // The reason goes to stderr, where a user who mistyped an option looks: the contract
        // has only the error code.
        let options = super::options::Options::parse(&opts).map_err(|e| {
            eprintln!("nvt-sdk: board options: {e}");
            NVT_ERR_INVALID_ARG
        })?;
        // A capture device that cannot be opened or used is a hardware fault (the reason is
        // on stderr); anything else wrong with the options an invalid argument.
        let device = options.source != super::options::Source::Pattern;
        super::install(|| {
            Sim::new(options).map_err(|_| {
                if device {
                    NVT_ERR_HW
                } else {
                    NVT_ERR_INVALID_ARG
                }
            })
        })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_SYS_Exit() -> i32 {
    guard(|| {
        super::uninstall();
        Ok(())
    })
}

/// # Safety
/// `version` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_SYS_GetVersion(version: *mut NVT_SYS_VERSION_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let mut v = NVT_SYS_VERSION_S::default();
        // A V4L2 source names itself: the model becomes the device's card name (the
        // ONVIF hardware scope and GetDeviceInformation's Model).
        let (sdk, model) = if sim.scene.is_pattern() {
            ("nvt-sim", "SIM-X1".to_string())
        } else {
            ("nvt-v4l2", sim.scene.name())
        };
        copy_str(&mut v.sdk_name, sdk);
        copy_str(&mut v.sdk_version, env!("CARGO_PKG_VERSION"));
        copy_str(&mut v.chip_model, &model);
        copy_str(&mut v.manufacturer, "nvt");
        copy_str(&mut v.serial, &sim.options.serial);
        v.video_source_count = 1;
        v.max_venc_channels = venc::MAX_CHANNELS;
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(version, v) }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_SYS_StrError(err: i32) -> *const c_char {
    let s: &'static CStr = match err {
        0 => c"success",
        NVT_ERR_INVALID_ARG => c"invalid argument",
        NVT_ERR_NOT_INIT => c"SDK not initialised",
        NVT_ERR_BUSY => c"resource busy",
        NVT_ERR_NO_MEM => c"out of memory or stream buffers",
        NVT_ERR_TIMEOUT => c"timed out",
        NVT_ERR_NOT_SUPPORTED => c"not supported",
        NVT_ERR_UNKNOWN_CHN => c"unknown channel or video source",
        NVT_ERR_BUF_TOO_SMALL => c"buffer too small",
        NVT_ERR_HW => c"hardware fault",
        NVT_ERR_VERSION => c"SDK API version mismatch",
        NVT_ERR_STOPPED => c"channel stopped",
        _ => c"unknown error",
    };
    s.as_ptr()
}

// ---- VI -------------------------------------------------------------------------------

/// # Safety
/// `info` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_VI_GetInfo(vi: u32, info: *mut NVT_VI_INFO_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        let mut i = NVT_VI_INFO_S::default();
        copy_str(&mut i.name, &sim.scene.name());
        (i.width, i.height) = sim.scene.size();
        i.max_fps = sim.scene.max_fps();
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(info, i) }
    })
}

// ---- VENC -----------------------------------------------------------------------------

fn channel(sim: &Sim, chn: u32) -> Result<Arc<Channel>, i32> {
    lock(&sim.channels)
        .get(chn as usize)
        .and_then(|c| c.clone())
        .ok_or(NVT_ERR_UNKNOWN_CHN)
}

/// Attributes accepted by CreateChn/SetAttr: unsupported codecs are NOT_SUPPORTED, any
/// other value outside the caps INVALID_ARG.
fn check_attr(a: &NVT_VENC_ATTR_S, sim: &Sim) -> Res {
    if a.codec == NVT_CODEC_E::NVT_CODEC_H265 || a.codec == NVT_CODEC_E::NVT_CODEC_MJPEG {
        return Err(NVT_ERR_NOT_SUPPORTED);
    }
    if venc::validate(a, &sim.scene) {
        Ok(())
    } else {
        Err(NVT_ERR_INVALID_ARG)
    }
}

/// # Safety
/// `caps` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_VENC_GetCaps(caps: *mut NVT_VENC_CAPS_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let mut c = venc::caps(&sim.scene);
        if let Some(rec) = &sim.recording {
            // Replay emits the recording as it is: one size, one rate.
            c.resolution_count = 1;
            c.resolutions = Default::default();
            c.resolutions[0] = NVT_RESOLUTION_S {
                width: rec.width,
                height: rec.height,
            };
            c.fps_min = sim.options.replay_fps;
            c.fps_max = sim.options.replay_fps;
        }
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(caps, c) }
    })
}

/// # Safety
/// `attr` must be NULL or point to a valid NVT_VENC_ATTR_S.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_VENC_CreateChn(chn: u32, attr: *const NVT_VENC_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        if chn >= venc::MAX_CHANNELS {
            return Err(NVT_ERR_UNKNOWN_CHN);
        }
        // SAFETY: the caller passes NULL or a valid struct.
        let attr = unsafe { read_in(attr) }?;
        let (attr, source) = match &sim.recording {
            Some(rec) => {
                // Replay: the recording decides size, rate and profile; only what cannot
                // be replayed is refused.
                if attr.vi != 0 {
                    return Err(NVT_ERR_INVALID_ARG);
                }
                if attr.codec != NVT_CODEC_E::NVT_CODEC_H264 {
                    return Err(NVT_ERR_NOT_SUPPORTED);
                }
                (
                    venc::replay_attr(rec, sim.options.replay_fps),
                    Source::Replay(rec.clone()),
                )
            }
            None => {
                check_attr(&attr, &sim)?;
                (attr, Source::Scene(sim.scene.clone()))
            }
        };
        let mut chans = lock(&sim.channels);
        let slot = &mut chans[chn as usize];
        if slot.is_some() {
            return Err(NVT_ERR_BUSY);
        }
        // An `Arc` with V4L2; without it the probe type is uninhabited and `Copy`.
        #[cfg_attr(
            not(all(feature = "v4l2", target_os = "linux")),
            allow(clippy::clone_on_copy)
        )]
        let hw = sim.hw_encoder.clone();
        *slot = Some(Channel::new(attr, source, sim.clock, hw, sim.osd.clone()));
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_VENC_DestroyChn(chn: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        let ch = lock(&sim.channels)
            .get_mut(chn as usize)
            .and_then(|c| c.take())
            .ok_or(NVT_ERR_UNKNOWN_CHN)?;
        ch.stop(true);
        Ok(())
    })
}

/// # Safety
/// `attr` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_VENC_GetAttr(chn: u32, attr: *mut NVT_VENC_ATTR_S) -> i32 {
    guard(|| {
        let ch = channel(&*sim()?, chn)?;
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(attr, ch.attr()) }
    })
}

/// # Safety
/// `attr` must be NULL or point to a valid NVT_VENC_ATTR_S.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_VENC_SetAttr(chn: u32, attr: *const NVT_VENC_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let ch = channel(&sim, chn)?;
        // SAFETY: the caller passes NULL or a valid struct.
        let attr = unsafe { read_in(attr) }?;
        if sim.recording.is_some() {
            // A recording cannot be re-encoded: only its own attributes are accepted.
            return if attr == ch.attr() {
                Ok(())
            } else {
                Err(NVT_ERR_NOT_SUPPORTED)
            };
        }
        check_attr(&attr, &sim)?;
        ch.set_attr(attr);
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_VENC_StartChn(chn: u32) -> i32 {
    guard(|| channel(&*sim()?, chn)?.start().map_err(|_| NVT_ERR_NO_MEM))
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_VENC_StopChn(chn: u32) -> i32 {
    guard(|| {
        channel(&*sim()?, chn)?.stop(false);
        Ok(())
    })
}

/// # Safety
/// `stream` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_VENC_GetStream(
    chn: u32,
    stream: *mut NVT_VENC_STREAM_S,
    timeout_ms: i32,
) -> i32 {
    guard(|| {
        let sim = sim()?;
        let ch = channel(&sim, chn)?;
        if stream.is_null() {
            return Err(NVT_ERR_INVALID_ARG);
        }
        if lock(&sim.out).values().filter(|o| o.chn == chn).count() >= MAX_OUTSTANDING {
            return Err(NVT_ERR_NO_MEM);
        }
        let frame = ch.get(timeout_ms).map_err(|e| match e {
            venc::GetError::Timeout => NVT_ERR_TIMEOUT,
            venc::GetError::Stopped => NVT_ERR_STOPPED,
        })?;
        // Injected faults (board option `fault`): the frame just encoded is lost.
        match injected_fault(&sim) {
            Some(crate::sim::options::Fault::Error) => return Err(NVT_ERR_HW),
            Some(crate::sim::options::Fault::Stall) => return Err(NVT_ERR_TIMEOUT),
            None => {}
        }
        let nalus = frame
            .nals()
            .iter()
            .map(|n| NVT_VENC_NALU_S {
                data: n.as_ptr(),
                len: n.len() as u32,
                nal_type: (n.first().copied().unwrap_or(0) & 0x1F) as u32,
            })
            .collect();
        let out = Box::new(OutStream { chn, frame, nalus });
        let s = NVT_VENC_STREAM_S {
            seq: out.frame.seq,
            pts_us: out.frame.pts_us,
            utc_us: out.frame.utc_us,
            keyframe: out.frame.keyframe as u32,
            nalu_count: out.nalus.len() as u32,
            nalus: out.nalus.as_ptr(),
            priv_: &*out as *const OutStream as *mut std::ffi::c_void,
        };
        lock(&sim.out).insert(s.priv_ as usize, out);
        // SAFETY: checked non-NULL above; the caller guarantees it is writable.
        unsafe { stream.write(s) };
        Ok(())
    })
}

/// The fault in effect now: during the first `fault_ms` of every `fault_period_ms` after
/// the first period.
fn injected_fault(sim: &Sim) -> Option<crate::sim::options::Fault> {
    let o = &sim.options;
    let fault = o.fault?;
    let ms = sim.clock.since_init(mono_us()) / 1000;
    let period = u64::from(o.fault_period_ms);
    (ms >= period && ms % period < u64::from(o.fault_ms)).then_some(fault)
}

/// # Safety
/// `stream` must be NULL or point to a stream filled by NVT_VENC_GetStream.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_VENC_ReleaseStream(chn: u32, stream: *mut NVT_VENC_STREAM_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        if chn >= venc::MAX_CHANNELS {
            return Err(NVT_ERR_UNKNOWN_CHN);
        }
        // SAFETY: the caller passes NULL or a valid stream.
        let s = unsafe { read_in(stream) }?;
        let mut out = lock(&sim.out);
        match out.get(&(s.priv_ as usize)) {
            Some(o) if o.chn == chn => {
                out.remove(&(s.priv_ as usize));
            }
            _ => return Err(NVT_ERR_INVALID_ARG),
        }
        // Leave no dangling pointers in the caller's struct.
        // SAFETY: non-NULL (read above) and writable per the contract.
        unsafe { stream.write(NVT_VENC_STREAM_S::default()) };
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_VENC_RequestIDR(chn: u32) -> i32 {
    guard(|| {
        channel(&*sim()?, chn)?.request_idr();
        Ok(())
    })
}

// ---- ISP ------------------------------------------------------------------------------

/// # Safety
/// `range` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_ISP_GetRange(vi: u32, range: *mut NVT_ISP_RANGE_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(range, sim.scene.isp_range()) }
    })
}

/// # Safety
/// `attr` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_ISP_GetAttr(vi: u32, attr: *mut NVT_ISP_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(attr, sim.scene.isp_attr()) }
    })
}

/// # Safety
/// `attr` must be NULL or point to a valid NVT_ISP_ATTR_S.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_ISP_SetAttr(vi: u32, attr: *const NVT_ISP_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        // SAFETY: the caller passes NULL or a valid struct.
        let attr = unsafe { read_in(attr) }?;
        sim.scene.set_isp_attr(attr)
    })
}

/// # Safety
/// `stats` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_ISP_GetStats(vi: u32, stats: *mut NVT_ISP_STATS_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        if stats.is_null() {
            return Err(NVT_ERR_INVALID_ARG);
        }
        // A replayed recording is not the picture statistics would describe.
        if sim.recording.is_some() {
            return Err(NVT_ERR_NOT_SUPPORTED);
        }
        // No picture yet (a V4L2 device that has delivered none, or is away).
        let frame = sim.scene.latest().ok_or(NVT_ERR_TIMEOUT)?;
        // The simulated lens: its modelled sharpness at the motor's position; a V4L2
        // device's sharpness is all in its picture.
        let sharpness = if focus_motor(&sim).is_ok() {
            focus::sharpness(lock(&sim.focus).status().0)
        } else {
            1000
        };
        let s = sim.stats.of(&frame, sharpness, &sim.scene.isp_attr());
        // SAFETY: checked non-NULL above; writable per the contract.
        unsafe { write_out(stats, s) }
    })
}

// ---- JPEG -----------------------------------------------------------------------------

/// How long a snapshot refused for a small buffer is kept for the retry.
const PENDING_SNAP_US: u64 = 2_000_000;

/// # Safety
/// `buf` must be NULL (only with `buf_len` 0) or valid for `buf_len` bytes of writes;
/// `out_len` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_JPEG_Snap(
    vi: u32,
    width: u32,
    height: u32,
    quality: u32,
    buf: *mut u8,
    buf_len: u32,
    out_len: *mut u32,
) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        if out_len.is_null() || (buf.is_null() && buf_len > 0) {
            return Err(NVT_ERR_INVALID_ARG);
        }
        let (sw, sh) = match &sim.recording {
            Some(rec) => (rec.width, rec.height),
            None => sim.scene.size(),
        };
        if !(16..=sw).contains(&width)
            || !(16..=sh).contains(&height)
            || !(1..=100).contains(&quality)
        {
            return Err(NVT_ERR_INVALID_ARG);
        }
        let key = (width, height, quality);
        let now = mono_us();
        let pending = lock(&sim.pending_snap)
            .take()
            .filter(|p| p.key == key && now < p.at_us + PENDING_SNAP_US);
        let jpeg = match pending {
            Some(p) => p.jpeg,
            // Replay: the picture the viewers see (replay.rs), not the test pattern.
            None if sim.recording.is_some() => {
                let image = replayed_picture(&sim).map_err(|_| NVT_ERR_HW)?;
                super::snapshot::encode(&image, width, height, quality as u8)
                    .map_err(|_| NVT_ERR_HW)?
            }
            None => {
                // A device that is away has no picture: a hardware fault, retried later.
                let frame = sim.scene.latest().ok_or(NVT_ERR_HW)?;
                // Snapshots show the overlay, as the streams do.
                let frame = match &sim.osd {
                    Some(osd) => osd.compose(&frame),
                    None => frame,
                };
                super::snapshot::encode(&frame.image, width, height, quality as u8)
                    .map_err(|_| NVT_ERR_HW)?
            }
        };
        // SAFETY: checked non-NULL above; writable per the contract.
        unsafe { out_len.write(jpeg.len() as u32) };
        if jpeg.len() > buf_len as usize {
            *lock(&sim.pending_snap) = Some(PendingSnap {
                key,
                at_us: now,
                jpeg,
            });
            return Err(NVT_ERR_BUF_TOO_SMALL);
        }
        // SAFETY: buf is non-NULL here (buf_len >= jpeg.len() > 0) and valid for buf_len
        // bytes; the regions cannot overlap (jpeg is our own allocation).
        unsafe { std::ptr::copy_nonoverlapping(jpeg.as_ptr(), buf, jpeg.len()) };
        Ok(())
    })
}

/// Replay: the recording's picture at the access unit the lowest-numbered channel emitted
/// last (its first one before any channel ran).
fn replayed_picture(sim: &Sim) -> Result<Arc<super::frame::I420>, String> {
    let rec = sim.recording.as_ref().ok_or("not replaying")?;
    let index = lock(&sim.channels)
        .iter()
        .flatten()
        .find_map(|c| c.replayed())
        .unwrap_or(0);
    rec.picture(index)
}

// ---- MD -------------------------------------------------------------------------------

/// # Safety
/// `attr` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_MD_GetAttr(vi: u32, attr: *mut NVT_MD_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(attr, sim.motion.attr()) }
    })
}

/// # Safety
/// `attr` must be NULL or point to a valid NVT_MD_ATTR_S.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_MD_SetAttr(vi: u32, attr: *const NVT_MD_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        // SAFETY: the caller passes NULL or a valid struct.
        let attr = unsafe { read_in(attr) }?;
        if !motion::validate(&attr) {
            return Err(NVT_ERR_INVALID_ARG);
        }
        sim.motion.set_attr(attr);
        Ok(())
    })
}

/// # Safety
/// `result` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_MD_GetResult(
    vi: u32,
    result: *mut NVT_MD_RESULT_S,
    timeout_ms: i32,
) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        if result.is_null() {
            return Err(NVT_ERR_INVALID_ARG);
        }
        let r = sim.motion.wait_result(timeout_ms).map_err(|e| match e {
            motion::WaitError::Timeout => NVT_ERR_TIMEOUT,
            motion::WaitError::Stopped => NVT_ERR_STOPPED,
        })?;
        // SAFETY: non-NULL, writable per the contract.
        unsafe { write_out(result, r) }
    })
}

// ---- FOCUS ----------------------------------------------------------------------------

/// # Safety
/// `info` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_FOCUS_GetInfo(vi: u32, info: *mut NVT_FOCUS_INFO_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        let i = NVT_FOCUS_INFO_S {
            supported: focus_motor(&sim).is_ok() as u32,
            position_min: focus::POSITION_MIN,
            position_max: focus::POSITION_MAX,
            speed_max: focus::SPEED_MAX,
        };
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(info, i) }
    })
}

/// The simulated focus motor belongs to the simulated lens: a V4L2 device is reported as a
/// fixed-focus lens (its focus controls are not mapped yet).
fn focus_motor(sim: &Sim) -> Res {
    if sim.scene.is_pattern() {
        Ok(())
    } else {
        Err(NVT_ERR_NOT_SUPPORTED)
    }
}

fn check_speed(speed: i32) -> Res {
    if (1..=focus::SPEED_MAX).contains(&speed) {
        Ok(())
    } else {
        Err(NVT_ERR_INVALID_ARG)
    }
}

fn check_position(p: i64) -> Result<i32, i32> {
    if (focus::POSITION_MIN as i64..=focus::POSITION_MAX as i64).contains(&p) {
        Ok(p as i32)
    } else {
        Err(NVT_ERR_INVALID_ARG)
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_FOCUS_MoveAbsolute(vi: u32, position: i32, speed: i32) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        focus_motor(&sim)?;
        let target = check_position(position as i64)?;
        check_speed(speed)?;
        lock(&sim.focus).move_to(target, speed, mono_us());
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_FOCUS_MoveRelative(vi: u32, distance: i32, speed: i32) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        focus_motor(&sim)?;
        check_speed(speed)?;
        let now = mono_us();
        let mut f = lock(&sim.focus);
        let target = check_position(f.status_at(now).0 as i64 + distance as i64)?;
        f.move_to(target, speed, now);
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_FOCUS_MoveContinuous(vi: u32, speed: i32) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        focus_motor(&sim)?;
        if speed == 0 || speed.unsigned_abs() > focus::SPEED_MAX as u32 {
            return Err(NVT_ERR_INVALID_ARG);
        }
        lock(&sim.focus).move_continuous(speed, mono_us());
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_FOCUS_Stop(vi: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        focus_motor(&sim)?;
        lock(&sim.focus).stop(mono_us());
        Ok(())
    })
}

/// # Safety
/// `status` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_FOCUS_GetStatus(vi: u32, status: *mut NVT_FOCUS_STATUS_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        let (position, moving) = lock(&sim.focus).status();
        let s = NVT_FOCUS_STATUS_S {
            position,
            state: if moving {
                NVT_FOCUS_STATE_E::NVT_FOCUS_MOVING
            } else {
                NVT_FOCUS_STATE_E::NVT_FOCUS_IDLE
            },
            error: NVT_OK as i32,
        };
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(status, s) }
    })
}

// ---- PTZ ------------------------------------------------------------------------------

/// The simulated head belongs to the simulated scene: a V4L2 device has none (its pan/tilt
/// controls, where a webcam has them, are not mapped), and neither has a replayed recording
/// (its picture could not follow the head, and a head that moves nothing would mislead).
fn ptz_head(sim: &Sim) -> Res {
    if sim.scene.is_pattern() && sim.recording.is_none() {
        Ok(())
    } else {
        Err(NVT_ERR_NOT_SUPPORTED)
    }
}

/// A refused move is NVT_ERR_INVALID_ARG: the contract has no room for the reason (nvt
/// checks a request against NVT_PTZ_GetInfo before it calls, and says why to its client).
fn refused(_: ptz::Refused) -> i32 {
    NVT_ERR_INVALID_ARG
}

/// # Safety
/// `info` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_PTZ_GetInfo(vi: u32, info: *mut NVT_PTZ_INFO_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        let i = if ptz_head(&sim).is_ok() {
            ptz::info()
        } else {
            NVT_PTZ_INFO_S::default()
        };
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(info, i) }
    })
}

/// # Safety
/// `position` and `speed` must be NULL or valid for reads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_PTZ_MoveAbsolute(
    vi: u32,
    position: *const NVT_PTZ_VECTOR_S,
    speed: *const NVT_PTZ_VECTOR_S,
    axes: u32,
) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        ptz_head(&sim)?;
        // SAFETY: the caller passes NULL or valid structs.
        let (to, speed) = unsafe { (read_in(position)?, read_in(speed)?) };
        lock(&sim.ptz)
            .move_absolute(&to, &speed, axes, mono_us())
            .map_err(refused)
    })
}

/// # Safety
/// `distance` and `speed` must be NULL or valid for reads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_PTZ_MoveRelative(
    vi: u32,
    distance: *const NVT_PTZ_VECTOR_S,
    speed: *const NVT_PTZ_VECTOR_S,
    axes: u32,
) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        ptz_head(&sim)?;
        // SAFETY: the caller passes NULL or valid structs.
        let (by, speed) = unsafe { (read_in(distance)?, read_in(speed)?) };
        lock(&sim.ptz)
            .move_relative(&by, &speed, axes, mono_us())
            .map_err(refused)
    })
}

/// # Safety
/// `velocity` must be NULL or valid for reads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_PTZ_MoveContinuous(
    vi: u32,
    velocity: *const NVT_PTZ_VECTOR_S,
    axes: u32,
) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        ptz_head(&sim)?;
        // SAFETY: the caller passes NULL or a valid struct.
        let velocity = unsafe { read_in(velocity)? };
        lock(&sim.ptz)
            .move_continuous(&velocity, axes, mono_us())
            .map_err(refused)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_PTZ_Stop(vi: u32, axes: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        ptz_head(&sim)?;
        lock(&sim.ptz).stop(axes, mono_us()).map_err(refused)
    })
}

/// # Safety
/// `status` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_PTZ_GetStatus(vi: u32, status: *mut NVT_PTZ_STATUS_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        ptz_head(&sim)?;
        let s = lock(&sim.ptz).status(mono_us());
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(status, s) }
    })
}

// ---- OSD ------------------------------------------------------------------------------

fn overlay(sim: &Sim) -> Result<&osd::Osd, i32> {
    sim.osd.as_deref().ok_or(NVT_ERR_NOT_SUPPORTED)
}

fn check_region_id(id: u32) -> Res {
    if id < osd::MAX_REGIONS {
        Ok(())
    } else {
        Err(NVT_ERR_INVALID_ARG)
    }
}

/// # Safety
/// `info` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_OSD_GetInfo(vi: u32, info: *mut NVT_OSD_INFO_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        let i = overlay(&sim).map(osd::Osd::info).unwrap_or_default();
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(info, i) }
    })
}

/// # Safety
/// `region` must be NULL or point to a valid NVT_OSD_REGION_S whose `pixels` is NULL or
/// valid for `stride * (height - 1) + 4 * width` bytes of reads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_OSD_SetRegion(
    vi: u32,
    id: u32,
    region: *const NVT_OSD_REGION_S,
) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        let overlay = overlay(&sim)?;
        check_region_id(id)?;
        // SAFETY: the caller passes NULL or a valid struct.
        let r = unsafe { read_in(region) }?;
        let (w, h) = overlay.size();
        // Checked before the pixels are read: their length follows from the checked sizes.
        osd::Region::check(&r, w, h).map_err(|_| NVT_ERR_INVALID_ARG)?;
        if r.pixels.is_null() {
            return Err(NVT_ERR_INVALID_ARG);
        }
        // SAFETY: non-NULL, and the caller guarantees `bytes_needed` readable bytes; the
        // slice lives only for this call (the region copies what it keeps).
        let pixels = unsafe { std::slice::from_raw_parts(r.pixels, osd::Region::bytes_needed(&r)) };
        let converted = osd::Region::new(&r, pixels, w, h).map_err(|_| NVT_ERR_INVALID_ARG)?;
        overlay.set(id, converted);
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_OSD_ClearRegion(vi: u32, id: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        check_vi(vi)?;
        let overlay = overlay(&sim)?;
        check_region_id(id)?;
        overlay.clear(id);
        Ok(())
    })
}

// ---- GPIO -----------------------------------------------------------------------------

fn board_gpio(sim: &Sim) -> Result<&gpio::Gpio, i32> {
    sim.gpio.as_ref().ok_or(NVT_ERR_NOT_SUPPORTED)
}

/// # Safety
/// `info` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_GPIO_GetInfo(info: *mut NVT_GPIO_INFO_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let i = match board_gpio(&sim) {
            Ok(_) => gpio::Gpio::info(),
            Err(_) => NVT_GPIO_INFO_S::default(),
        };
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(info, i) }
    })
}

fn check_relay(relay: u32) -> Res {
    if relay < gpio::RELAYS {
        Ok(())
    } else {
        Err(NVT_ERR_UNKNOWN_CHN)
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_GPIO_SetRelay(relay: u32, closed: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        let g = board_gpio(&sim)?;
        check_relay(relay)?;
        if closed > 1 {
            return Err(NVT_ERR_INVALID_ARG);
        }
        g.set_relay(relay, closed == 1);
        Ok(())
    })
}

/// # Safety
/// `closed` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_GPIO_GetRelay(relay: u32, closed: *mut u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        let g = board_gpio(&sim)?;
        check_relay(relay)?;
        // SAFETY: the caller passes NULL or a writable u32.
        unsafe { write_out(closed, g.relay(relay)) }
    })
}

/// # Safety
/// `closed` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_GPIO_GetInput(input: u32, closed: *mut u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        let g = board_gpio(&sim)?;
        if input >= gpio::INPUTS {
            return Err(NVT_ERR_UNKNOWN_CHN);
        }
        // SAFETY: the caller passes NULL or a writable u32.
        unsafe { write_out(closed, g.input_at(mono_us())) }
    })
}

/// # Safety
/// `event` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_GPIO_WaitEvent(event: *mut NVT_GPIO_EVENT_S, timeout_ms: i32) -> i32 {
    guard(|| {
        let sim = sim()?;
        let g = board_gpio(&sim)?;
        if event.is_null() {
            return Err(NVT_ERR_INVALID_ARG);
        }
        let e = g.wait_event(timeout_ms).map_err(|e| match e {
            gpio::WaitError::Timeout => NVT_ERR_TIMEOUT,
            gpio::WaitError::Stopped => NVT_ERR_STOPPED,
        })?;
        // SAFETY: non-NULL, writable per the contract.
        unsafe { write_out(event, e) }
    })
}

// ---- AI -------------------------------------------------------------------------------

/// The microphone, or NVT_ERR_NOT_SUPPORTED on a board without one (a V4L2 source).
fn mic(sim: &Sim) -> Result<&audio_in::AudioIn, i32> {
    sim.audio_in.as_ref().ok_or(NVT_ERR_NOT_SUPPORTED)
}

fn check_ai_chn(chn: u32) -> Res {
    if chn < audio_in::MAX_CHANNELS {
        Ok(())
    } else {
        Err(NVT_ERR_UNKNOWN_CHN)
    }
}

/// # Safety
/// `caps` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AI_GetCaps(caps: *mut NVT_AI_CAPS_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let c = if sim.audio_in.is_some() {
            mic(&sim)?.caps()
        } else {
            NVT_AI_CAPS_S::default()
        };
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(caps, c) }
    })
}

/// # Safety
/// `attr` must be NULL or point to a valid NVT_AI_ATTR_S.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AI_CreateChn(chn: u32, attr: *const NVT_AI_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let mic = mic(&sim)?;
        check_ai_chn(chn)?;
        // SAFETY: the caller passes NULL or a valid attr.
        let attr = unsafe { read_in(attr) }?;
        mic.create(chn, attr)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_AI_DestroyChn(chn: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        mic(&sim)?.destroy(chn)
    })
}

/// # Safety
/// `attr` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AI_GetAttr(chn: u32, attr: *mut NVT_AI_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let a = mic(&sim)?.attr(chn)?;
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(attr, a) }
    })
}

/// # Safety
/// `attr` must be NULL or point to a valid NVT_AI_ATTR_S.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AI_SetAttr(chn: u32, attr: *const NVT_AI_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let mic = mic(&sim)?;
        mic.attr(chn)?;
        // SAFETY: the caller passes NULL or a valid attr.
        let attr = unsafe { read_in(attr) }?;
        mic.set_attr(chn, attr)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_AI_StartChn(chn: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        mic(&sim)?.start(chn)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_AI_StopChn(chn: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        mic(&sim)?.stop(chn)
    })
}

/// # Safety
/// `frame` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AI_GetFrame(
    chn: u32,
    frame: *mut NVT_AI_FRAME_S,
    timeout_ms: i32,
) -> i32 {
    guard(|| {
        let sim = sim()?;
        let mic = mic(&sim)?;
        mic.attr(chn)?;
        if frame.is_null() {
            return Err(NVT_ERR_INVALID_ARG);
        }
        let held = lock(&sim.audio_out).values().filter(|o| o.0 == chn).count();
        if held >= MAX_OUTSTANDING {
            return Err(NVT_ERR_NO_MEM);
        }
        let f = Box::new(mic.get(chn, timeout_ms).map_err(|e| match e {
            audio_in::GetError::Timeout => NVT_ERR_TIMEOUT,
            audio_in::GetError::Stopped => NVT_ERR_STOPPED,
        })?);
        let out = NVT_AI_FRAME_S {
            seq: f.seq,
            pts_us: f.pts_us,
            utc_us: f.utc_us,
            samples: f.samples,
            data: f.data.as_ptr(),
            len: f.data.len() as u32,
            priv_: &*f as *const audio_in::AudioFrame as *mut std::ffi::c_void,
        };
        lock(&sim.audio_out).insert(out.priv_ as usize, (chn, f));
        // SAFETY: checked non-NULL above; the caller guarantees it is writable.
        unsafe { frame.write(out) };
        Ok(())
    })
}

/// # Safety
/// `frame` must be NULL or point to a frame filled by NVT_AI_GetFrame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AI_ReleaseFrame(chn: u32, frame: *mut NVT_AI_FRAME_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        mic(&sim)?;
        check_ai_chn(chn)?;
        // SAFETY: the caller passes NULL or a valid frame.
        let f = unsafe { read_in(frame) }?;
        let mut out = lock(&sim.audio_out);
        match out.get(&(f.priv_ as usize)) {
            Some((c, _)) if *c == chn => {
                out.remove(&(f.priv_ as usize));
            }
            _ => return Err(NVT_ERR_INVALID_ARG),
        }
        // SAFETY: non-NULL (read above) and writable per the contract.
        unsafe { frame.write(NVT_AI_FRAME_S::default()) };
        Ok(())
    })
}

/// # Safety
/// `level_dbfs` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AI_GetLevel(ai: u32, level_dbfs: *mut i32) -> i32 {
    guard(|| {
        let sim = sim()?;
        let mic = mic(&sim)?;
        if ai != 0 {
            return Err(NVT_ERR_UNKNOWN_CHN);
        }
        // SAFETY: the caller passes NULL or a writable i32.
        unsafe { write_out(level_dbfs, mic.level()) }
    })
}

// ---- AO -------------------------------------------------------------------------------

fn board_speaker(sim: &Sim, ao: u32) -> Result<&speaker::Speaker, i32> {
    let s = sim.speaker.as_ref().ok_or(NVT_ERR_NOT_SUPPORTED)?;
    if ao >= speaker::OUTPUTS {
        return Err(NVT_ERR_UNKNOWN_CHN);
    }
    Ok(s)
}

/// # Safety
/// `caps` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AO_GetCaps(caps: *mut NVT_AO_CAPS_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let c = match sim.speaker {
            Some(_) => speaker::caps(),
            None => NVT_AO_CAPS_S::default(),
        };
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(caps, c) }
    })
}

/// # Safety
/// `attr` must be NULL or point to a valid NVT_AO_ATTR_S.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AO_Open(ao: u32, attr: *const NVT_AO_ATTR_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let s = board_speaker(&sim, ao)?;
        // SAFETY: the caller passes NULL or a valid attribute struct.
        let attr = unsafe { read_in(attr) }?;
        s.open(attr)
    })
}

/// # Safety
/// `data` must be NULL or valid for reading `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AO_Write(ao: u32, data: *const u8, len: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        let s = board_speaker(&sim, ao)?;
        if len == 0 {
            return s.write(&[]);
        }
        if data.is_null() {
            return Err(NVT_ERR_INVALID_ARG);
        }
        // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
        let bytes = unsafe { std::slice::from_raw_parts(data, len as usize) };
        s.write(bytes)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_AO_SetVolume(ao: u32, volume: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        board_speaker(&sim, ao)?.set_volume(volume)
    })
}

/// # Safety
/// `status` must be NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NVT_AO_GetStatus(ao: u32, status: *mut NVT_AO_STATUS_S) -> i32 {
    guard(|| {
        let sim = sim()?;
        let st = board_speaker(&sim, ao)?.status();
        // SAFETY: the caller passes NULL or a writable struct.
        unsafe { write_out(status, st) }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn NVT_AO_Close(ao: u32) -> i32 {
    guard(|| {
        let sim = sim()?;
        board_speaker(&sim, ao)?.close();
        Ok(())
    })
}

/// Compile-time proof that every export has exactly the type of its bindgen declaration
/// (the daemon calls the declarations; a mismatch would be undefined behaviour).
#[allow(dead_code)]
const _: () = {
    macro_rules! same {
        ($($f:ident),* $(,)?) => { $( let _ = [$f, crate::bindings::$f]; )* };
    }
    same!(
        NVT_SYS_Init,
        NVT_SYS_Exit,
        NVT_SYS_GetVersion,
        NVT_SYS_StrError,
        NVT_VI_GetInfo,
        NVT_VENC_GetCaps,
        NVT_VENC_CreateChn,
        NVT_VENC_DestroyChn,
        NVT_VENC_GetAttr,
        NVT_VENC_SetAttr,
        NVT_VENC_StartChn,
        NVT_VENC_StopChn,
        NVT_VENC_GetStream,
        NVT_VENC_ReleaseStream,
        NVT_VENC_RequestIDR,
        NVT_ISP_GetRange,
        NVT_ISP_GetAttr,
        NVT_ISP_SetAttr,
        NVT_ISP_GetStats,
        NVT_JPEG_Snap,
        NVT_MD_GetAttr,
        NVT_MD_SetAttr,
        NVT_MD_GetResult,
        NVT_FOCUS_GetInfo,
        NVT_FOCUS_MoveAbsolute,
        NVT_FOCUS_MoveRelative,
        NVT_FOCUS_MoveContinuous,
        NVT_FOCUS_Stop,
        NVT_FOCUS_GetStatus,
        NVT_PTZ_GetInfo,
        NVT_PTZ_MoveAbsolute,
        NVT_PTZ_MoveRelative,
        NVT_PTZ_MoveContinuous,
        NVT_PTZ_Stop,
        NVT_PTZ_GetStatus,
        NVT_OSD_GetInfo,
        NVT_OSD_SetRegion,
        NVT_OSD_ClearRegion,
        NVT_GPIO_GetInfo,
        NVT_GPIO_SetRelay,
        NVT_GPIO_GetRelay,
        NVT_GPIO_GetInput,
        NVT_GPIO_WaitEvent,
        NVT_AI_GetCaps,
        NVT_AI_CreateChn,
        NVT_AI_DestroyChn,
        NVT_AI_GetAttr,
        NVT_AI_SetAttr,
        NVT_AI_StartChn,
        NVT_AI_StopChn,
        NVT_AI_GetFrame,
        NVT_AI_ReleaseFrame,
        NVT_AI_GetLevel,
        NVT_AO_GetCaps,
        NVT_AO_Open,
        NVT_AO_Write,
        NVT_AO_SetVolume,
        NVT_AO_GetStatus,
        NVT_AO_Close,
    );
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_nvt_err_hw() {
        assert_eq!(guard(|| panic!("boom")), NVT_ERR_HW);
        assert_eq!(guard(|| Err(NVT_ERR_TIMEOUT)), NVT_ERR_TIMEOUT);
        assert_eq!(guard(|| Ok(())), 0);
    }

    #[test]
    fn str_error_is_static_and_total() {
        for e in [-100, -11, -1, 0, 5] {
            // SAFETY: StrError returns a pointer to a static NUL-terminated string.
            let s = unsafe { CStr::from_ptr(NVT_SYS_StrError(e)) };
            assert!(!s.to_bytes().is_empty());
        }
    }
}
