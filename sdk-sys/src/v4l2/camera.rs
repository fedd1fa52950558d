//! A V4L2 device as the video source: a free-running capture thread that converts every
//! frame into the shared I420 picture, keeps the latest for whoever asks (encoder channels,
//! motion, snapshots), and survives the device: a device that vanishes (unplugged, driver
//! unbound), stops delivering or refuses the format gets one log line, and the thread
//! reopens it every second until it is back in the same mode; consumers meanwhile simply
//! get no new picture, and their streams resume with the first frame after.
//!
//! The mode is chosen once, at NVT_SYS_Init (`mode.rs`), because the contract reports one
//! fixed sensor size; a device that comes back unable to give that mode stays "lost".

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::controls::IspMap;
use super::convert;
use super::device::{Device, Format, Info, Rates, Sizes, Stream};
use super::mode::{self, Mode, Offer, Want};
use crate::sim::clock::{Clock, mono_us};
use crate::sim::frame::{Frame, I420};
use crate::sim::lock;
use crate::*;

/// Driver buffers: enough that a conversion running late never starves the driver.
const BUFFERS: u32 = 4;
/// A device that delivers nothing for this long is treated as lost and reopened.
const STALL: Duration = Duration::from_secs(2);
/// Pause between attempts to reopen a lost device.
const RETRY: Duration = Duration::from_secs(1);

/// One line on stderr, as a vendor SDK logs: the daemon's own log is on the same stream.
pub(crate) fn log(msg: std::fmt::Arguments<'_>) {
    eprintln!("nvt-sdk v4l2: {msg}");
}

struct Latest {
    frame: Option<Arc<Frame>>,
    /// Frames captured since Init (the number of the latest).
    count: u64,
}

struct Shared {
    path: PathBuf,
    mode: Mode,
    /// Controls of the board option `v4l2_ctrl`, by id: set at open and on every reopen.
    fixed: Vec<(u32, i32)>,
    clock: Clock,
    map: IspMap,
    latest: Mutex<Latest>,
    cv: Condvar,
    /// The settings the device should have; reapplied when it comes back.
    isp: Mutex<NVT_ISP_ATTR_S>,
    /// The open device, for control writes from other threads (ioctls on one fd may come
    /// from any thread).
    device: Mutex<Option<Arc<Device>>>,
    stop: AtomicBool,
}

/// The capture device and its thread. Dropping it stops the thread.
pub struct Camera {
    shared: Arc<Shared>,
    info: Info,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// Every size and rate the device offers, for the mode chooser.
fn offers(dev: &Device) -> std::io::Result<Vec<Offer>> {
    let mut out = Vec::new();
    for fourcc in dev.formats()? {
        for s in dev.sizes(fourcc)? {
            let sizes: Vec<(u32, u32)> = match s {
                Sizes::Discrete(w, h) => vec![(w, h)],
                Sizes::Range { min, max, step } => mode::RANGE_CANDIDATES
                    .iter()
                    .copied()
                    .filter(|&(w, h)| {
                        (min.0..=max.0).contains(&w)
                            && (min.1..=max.1).contains(&h)
                            && (w - min.0) % step.0 == 0
                            && (h - min.1) % step.1 == 0
                    })
                    .collect(),
            };
            for (w, h) in sizes {
                let rates: Vec<Rates> = dev.rates(fourcc, w, h)?;
                out.push(Offer {
                    fourcc,
                    width: w,
                    height: h,
                    rates,
                });
            }
        }
    }
    Ok(out)
}

/// Sets `mode` on `dev`; the driver must take it as it is.
fn configure(dev: &Device, mode: &Mode) -> Result<Format, String> {
    let f = dev
        .set_format(mode.fourcc, mode.width, mode.height)
        .map_err(|e| {
            format!(
                "VIDIOC_S_FMT {} {}x{}: {e}",
                mode.fourcc, mode.width, mode.height
            )
        })?;
    if (f.fourcc, f.width, f.height) != (mode.fourcc, mode.width, mode.height) {
        return Err(format!(
            "the driver refused {} {}x{} (it set {} {}x{})",
            mode.fourcc, mode.width, mode.height, f.fourcc, f.width, f.height
        ));
    }
    // A device without a rate control runs at its own rate; the encoder channels take
    // frames at theirs either way.
    let _ = dev.set_rate(mode.fps);
    Ok(f)
}

impl Camera {
    /// Opens `path`, chooses and sets the mode and starts capturing. Errors say what is
    /// wrong in words (no such device, not a capture device, no usable format).
    pub fn open(
        path: &Path,
        want: Want,
        fixed: &[(String, i32)],
        clock: Clock,
    ) -> Result<Camera, String> {
        let (dev, info) =
            Device::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let offers =
            offers(&dev).map_err(|e| format!("{}: enumerating formats: {e}", path.display()))?;
        let mode = mode::choose(&offers, want).map_err(|e| format!("{}: {e}", path.display()))?;
        let format = configure(&dev, &mode).map_err(|e| format!("{}: {e}", path.display()))?;
        let controls = dev
            .controls()
            .map_err(|e| format!("{}: listing controls: {e}", path.display()))?;
        let map = IspMap::new(&controls);
        let fixed = fixed
            .iter()
            .map(|(name, value)| {
                let c = controls.iter().find(|c| c.key() == *name).ok_or_else(|| {
                    let names: Vec<String> = controls.iter().map(|c| c.key()).collect();
                    format!(
                        "{}: no control {name:?} (it has: {})",
                        path.display(),
                        names.join(", ")
                    )
                })?;
                dev.set(c.id, *value)
                    .map_err(|e| format!("{}: setting {name} to {value}: {e}", path.display()))?;
                Ok((c.id, *value))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let isp = map.read(|id| dev.get(id).ok());
        log(format_args!(
            "{} ({}, {}): capturing {} {}x{} at {} fps",
            path.display(),
            info.card,
            info.driver,
            mode.fourcc,
            mode.width,
            mode.height,
            mode.fps
        ));
        let shared = Arc::new(Shared {
            path: path.to_owned(),
            mode,
            fixed,
            clock,
            map,
            latest: Mutex::new(Latest {
                frame: None,
                count: 0,
            }),
            cv: Condvar::new(),
            isp: Mutex::new(isp),
            device: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let thread = std::thread::Builder::new()
            .name("nvt-v4l2".into())
            .spawn({
                let shared = shared.clone();
                move || run(&shared, Some((Arc::new(dev), format)))
            })
            .map_err(|e| format!("capture thread: {e}"))?;
        Ok(Camera {
            shared,
            info,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn name(&self) -> &str {
        &self.info.card
    }

    pub fn mode(&self) -> Mode {
        self.shared.mode
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The latest picture, or None before the first frame and while the device is lost.
    pub fn latest(&self) -> Option<Arc<Frame>> {
        lock(&self.shared.latest).frame.clone()
    }

    /// The first picture newer than number `after`, waiting up to `timeout`.
    pub fn wait_newer(&self, after: u64, timeout: Duration) -> Option<Arc<Frame>> {
        let deadline = Instant::now() + timeout;
        let mut l = lock(&self.shared.latest);
        loop {
            if let Some(f) = &l.frame
                && f.number > after
            {
                return Some(f.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            l = self
                .shared
                .cv
                .wait_timeout(l, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub fn isp_range(&self) -> NVT_ISP_RANGE_S {
        self.shared.map.range()
    }

    pub fn isp_attr(&self) -> NVT_ISP_ATTR_S {
        *lock(&self.shared.isp)
    }

    /// Validates and applies new settings. The device gets only the controls that changed;
    /// if it is lost, it gets them all when it is back. A control the device refuses leaves
    /// it as it was: the controls already written are put back.
    pub fn set_isp_attr(&self, attr: NVT_ISP_ATTR_S) -> Result<(), i32> {
        if !self.shared.map.validate(&attr) {
            return Err(NVT_ERR_INVALID_ARG);
        }
        let mut isp = lock(&self.shared.isp);
        let device = lock(&self.shared.device).clone();
        if let Some(dev) = device {
            for (id, value) in self.shared.map.writes(Some(&isp), &attr) {
                if let Err(e) = dev.set(id, value) {
                    log(format_args!(
                        "{}: setting control {id:#x} to {value}: {e}",
                        self.shared.path.display()
                    ));
                    for (id, value) in self.shared.map.writes(Some(&attr), &isp) {
                        let _ = dev.set(id, value);
                    }
                    return Err(NVT_ERR_HW);
                }
            }
        }
        *isp = attr;
        Ok(())
    }

    /// Stops the capture thread (waits for it).
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.cv.notify_all();
        if let Some(t) = lock(&self.thread).take() {
            let _ = t.join();
        }
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sleeps up to `d`, returning early (true) when asked to stop.
fn pause(shared: &Shared, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if shared.stop.load(Ordering::Acquire) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50).min(end - Instant::now()));
    }
    shared.stop.load(Ordering::Acquire)
}

/// The thread: capture until the device fails, then reopen it until it works again.
fn run(shared: &Shared, mut opened: Option<(Arc<Device>, Format)>) {
    let mut last_error: Option<String> = None;
    while !shared.stop.load(Ordering::Acquire) {
        let (dev, format) = match opened.take() {
            Some(d) => d,
            None => match reopen(shared) {
                Ok(d) => {
                    log(format_args!(
                        "{}: back, capturing again",
                        shared.path.display()
                    ));
                    d
                }
                Err(e) => {
                    // One line per distinct failure, not one a second.
                    if last_error.as_deref() != Some(e.as_str()) {
                        log(format_args!("{e}; retrying every {} s", RETRY.as_secs()));
                        last_error = Some(e);
                    }
                    if pause(shared, RETRY) {
                        break;
                    }
                    continue;
                }
            },
        };
        *lock(&shared.device) = Some(dev.clone());
        let result = capture(shared, &dev, &format);
        *lock(&shared.device) = None;
        // No stale picture while the device is away: a snapshot fails rather than
        // showing the past as the present.
        lock(&shared.latest).frame = None;
        match result {
            Ok(()) => break,
            Err(e) => {
                log(format_args!("{}: {e}; reopening", shared.path.display()));
                last_error = None;
                if pause(shared, Duration::from_millis(200)) {
                    break;
                }
            }
        }
    }
}

fn reopen(shared: &Shared) -> Result<(Arc<Device>, Format), String> {
    let path = shared.path.display();
    let (dev, _) = Device::open(&shared.path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let format = configure(&dev, &shared.mode).map_err(|e| format!("{path}: {e}"))?;
    // The device forgot its controls (a replug resets them): give it the current settings.
    let isp = *lock(&shared.isp);
    for (id, value) in shared
        .fixed
        .iter()
        .copied()
        .chain(shared.map.writes(None, &isp))
    {
        if let Err(e) = dev.set(id, value) {
            log(format_args!("{path}: restoring control {id:#x}: {e}"));
        }
    }
    Ok((Arc::new(dev), format))
}

/// Streams from `dev` until asked to stop (Ok) or the device fails (Err).
fn capture(shared: &Shared, dev: &Device, format: &Format) -> Result<(), String> {
    let mut stream =
        Stream::start(dev, BUFFERS).map_err(|e| format!("starting the stream: {e}"))?;
    let mut last_frame = Instant::now();
    let mut spare: Option<I420> = None;
    let mut bad_frames = 0u64;
    while !shared.stop.load(Ordering::Acquire) {
        let got = stream
            .next(100, |bytes, meta| {
                if meta.error {
                    return Err("the driver flagged the frame as damaged".to_string());
                }
                let mut image = spare
                    .take()
                    .unwrap_or_else(|| I420::new(format.width as usize, format.height as usize));
                convert::to_i420(format, bytes, &mut image)?;
                // Driver timestamps are CLOCK_MONOTONIC, the contract's pts clock, when the
                // driver says so; otherwise the dequeue time stands in.
                let pts = if meta.monotonic && meta.timestamp_us > 0 {
                    meta.timestamp_us
                } else {
                    mono_us()
                };
                Ok((image, pts))
            })
            .map_err(|e| format!("capture failed: {e}"))?;
        match got {
            None => {
                if last_frame.elapsed() >= STALL {
                    return Err(format!("delivered no frame for {} s", STALL.as_secs()));
                }
            }
            Some(Err(e)) => {
                // A damaged or short frame is skipped; the encoder takes the next one.
                if bad_frames.is_multiple_of(100) {
                    log(format_args!(
                        "{}: frame skipped: {e}",
                        shared.path.display()
                    ));
                }
                bad_frames += 1;
            }
            Some(Ok((image, pts))) => {
                last_frame = Instant::now();
                let mut l = lock(&shared.latest);
                l.count += 1;
                let frame = Arc::new(Frame {
                    image,
                    pts_us: pts,
                    utc_us: shared.clock.utc_at(pts),
                    number: l.count,
                });
                // Reuse the previous picture's buffer if no consumer holds it any more.
                if let Some(old) = l.frame.replace(frame) {
                    spare = Arc::try_unwrap(old).ok().map(|f| f.image);
                }
                drop(l);
                shared.cv.notify_all();
            }
        }
    }
    Ok(())
}
