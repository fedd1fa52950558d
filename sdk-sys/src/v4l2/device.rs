//! A V4L2 capture device: the ioctls nvt needs, each wrapped once with its safety argument,
//! and mmap streaming I/O.
//!
//! The structs and request numbers are `videodev2.h`'s, from `moq-v4l`'s checked-in
//! bindings (arch-independent: `timeval` comes from `libc`, so the request numbers encode
//! the right struct sizes on 32- and 64-bit targets alike). The calls are made here rather
//! than through that crate's streaming layer because its `Drop` and control parsing panic on
//! driver errors, and a camera must survive a driver that misbehaves or vanishes.
//!
//! Reference: the kernel's "Video for Linux API" (Documentation/userspace-api/media/v4l),
//! sections "Streaming I/O (Memory Mapping)" and the ioctl pages cited below.

use std::ffi::c_void;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use moq_v4l::sys::*;
use moq_v4l::v4l2::vidioc;

/// A four-character code naming a pixel format (`v4l2_fourcc`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCc(pub u32);

impl FourCc {
    pub const fn new(code: &[u8; 4]) -> FourCc {
        FourCc(
            code[0] as u32
                | (code[1] as u32) << 8
                | (code[2] as u32) << 16
                | (code[3] as u32) << 24,
        )
    }
}

impl std::fmt::Debug for FourCc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.0.to_le_bytes();
        if b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            write!(f, "{}", String::from_utf8_lossy(&b).trim_end())
        } else {
            write!(f, "{:#010x}", self.0)
        }
    }
}

impl std::fmt::Display for FourCc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// What the driver says it is (VIDIOC_QUERYCAP).
#[derive(Clone, Debug)]
pub struct Info {
    pub driver: String,
    pub card: String,
    pub bus: String,
    /// The node's V4L2_CAP_* bits.
    pub caps: u32,
}

/// A frame size the device offers for a format (VIDIOC_ENUM_FRAMESIZES).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sizes {
    Discrete(u32, u32),
    /// Continuous or stepwise: any size inside, on the steps.
    Range {
        min: (u32, u32),
        max: (u32, u32),
        step: (u32, u32),
    },
}

/// A frame interval the device offers for a format and size (VIDIOC_ENUM_FRAMEINTERVALS),
/// as frames per second rounded down, or a range of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rates {
    Discrete(u32),
    Range { min: u32, max: u32 },
}

/// The format the driver actually set (VIDIOC_S_FMT may change what was asked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    pub fourcc: FourCc,
    pub width: u32,
    pub height: u32,
    /// Bytes per line of the first plane (padding included).
    pub stride: u32,
    pub size: u32,
}

/// One control the device has (VIDIOC_QUERYCTRL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    pub id: u32,
    pub name: String,
    pub kind: ControlKind,
    pub min: i32,
    pub max: i32,
    pub step: i32,
    pub default: i32,
    /// Menu entries the driver really accepts (VIDIOC_QUERYMENU), for menus only.
    pub menu: Vec<i32>,
}

/// What VIDIOC_QUERYCTRL says about one control asked for by id (`Device::query`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub min: i32,
    pub max: i32,
    pub step: i32,
    pub default: i32,
    pub read_only: bool,
    /// Menu entries the driver accepts, for menus only.
    pub menu: Vec<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlKind {
    Integer,
    Boolean,
    Menu,
}

impl Control {
    /// The name `v4l2-ctl --list-ctrls` shows: lower case, every run of other characters
    /// than letters and digits one `_` ("Horizontal Movement" is `horizontal_movement`).
    pub fn key(&self) -> String {
        let mut out = String::new();
        for c in self.name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.trim_end_matches('_').to_string()
    }
}

/// The zero value of a videodev2 struct.
///
/// Every struct this is used for is plain C data (integers, arrays of integers, unions of
/// those, raw pointers), for which all-zero bytes are a valid value; the kernel's API
/// requires reserved fields to be zero anyway.
pub(super) fn zeroed<T>() -> T {
    // SAFETY: see above; only called with videodev2 structs (all-zero is a valid value).
    unsafe { std::mem::zeroed() }
}

/// One ioctl on `fd`, retried on EINTR.
///
/// `T` must be the struct the request number `req` was computed from (`_IOWR('V', n, T)`):
/// every call site below pairs them as `videodev2.h` does.
pub(super) fn ioctl<T>(fd: RawFd, req: vidioc::_IOC_TYPE, arg: &mut T) -> io::Result<()> {
    loop {
        // SAFETY: `arg` is an exclusive reference to an initialised `T`, live for the whole
        // call; the request encodes `size_of::<T>()`, so the kernel reads and writes only
        // within it. `fd` is an open descriptor owned by the caller.
        let rc = unsafe { libc::ioctl(fd, req as _, arg as *mut T as *mut c_void) };
        if rc != -1 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

pub(super) fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

const CAPTURE: u32 = v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE;
const MMAP: u32 = v4l2_memory_V4L2_MEMORY_MMAP;

/// An open capture device node.
pub struct Device {
    fd: OwnedFd,
    path: PathBuf,
}

impl Device {
    /// Opens `path` non-blocking (frames are waited for with poll, so a device that stops
    /// delivering never blocks a thread forever) and checks that it captures video with
    /// streaming I/O.
    pub fn open(path: &Path) -> io::Result<(Device, Info)> {
        let (dev, info) = Device::open_node(path)?;
        if info.caps & V4L2_CAP_VIDEO_CAPTURE == 0 || info.caps & V4L2_CAP_STREAMING == 0 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "{} is not a video capture device with streaming I/O",
                    path.display()
                ),
            ));
        }
        Ok((dev, info))
    }

    /// Opens any video node non-blocking and says what it is (VIDIOC_QUERYCAP), whatever
    /// it can do: a capture device, a memory-to-memory codec (`m2m`), or something else.
    pub fn open_node(path: &Path) -> io::Result<(Device, Info)> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)?;
        let dev = Device {
            fd: file.into(),
            path: path.to_owned(),
        };
        let mut cap: v4l2_capability = zeroed();
        ioctl(dev.raw(), vidioc::VIDIOC_QUERYCAP, &mut cap)?;
        // device_caps describes this node; capabilities the whole physical device.
        let caps = if cap.capabilities & V4L2_CAP_DEVICE_CAPS != 0 {
            cap.device_caps
        } else {
            cap.capabilities
        };
        let info = Info {
            driver: c_string(&cap.driver),
            card: c_string(&cap.card),
            bus: c_string(&cap.bus_info),
            caps,
        };
        Ok((dev, info))
    }

    pub(super) fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pixel formats the device captures (VIDIOC_ENUM_FMT), in its order of preference.
    pub fn formats(&self) -> io::Result<Vec<FourCc>> {
        self.formats_of(CAPTURE)
    }

    /// The pixel formats of one queue (`type_`: a V4L2_BUF_TYPE_*), e.g. the raw formats an
    /// encoder takes on its OUTPUT queue and the coded ones it gives on CAPTURE.
    pub fn formats_of(&self, type_: u32) -> io::Result<Vec<FourCc>> {
        let mut out = Vec::new();
        for index in 0..64 {
            let mut d: v4l2_fmtdesc = zeroed();
            d.index = index;
            d.type_ = type_;
            match ioctl(self.raw(), vidioc::VIDIOC_ENUM_FMT, &mut d) {
                Ok(()) => out.push(FourCc(d.pixelformat)),
                // EINVAL ends the enumeration.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The frame sizes of `fourcc` (VIDIOC_ENUM_FRAMESIZES).
    pub fn sizes(&self, fourcc: FourCc) -> io::Result<Vec<Sizes>> {
        let mut out = Vec::new();
        for index in 0..256 {
            let mut s: v4l2_frmsizeenum = zeroed();
            s.index = index;
            s.pixel_format = fourcc.0;
            match ioctl(self.raw(), vidioc::VIDIOC_ENUM_FRAMESIZES, &mut s) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => break,
                Err(e) => return Err(e),
            }
            if s.type_ == v4l2_frmsizetypes_V4L2_FRMSIZE_TYPE_DISCRETE {
                // SAFETY: `type_` says the driver filled the `discrete` member.
                let d = unsafe { s.__bindgen_anon_1.discrete };
                out.push(Sizes::Discrete(d.width, d.height));
            } else {
                // SAFETY: `type_` says the driver filled the `stepwise` member (continuous
                // sizes use it too, with steps of 1).
                let w = unsafe { s.__bindgen_anon_1.stepwise };
                out.push(Sizes::Range {
                    min: (w.min_width, w.min_height),
                    max: (w.max_width, w.max_height),
                    step: (w.step_width.max(1), w.step_height.max(1)),
                });
                // Only the first entry exists for stepwise and continuous sizes.
                break;
            }
        }
        Ok(out)
    }

    /// The frame rates of `fourcc` at `width` x `height` (VIDIOC_ENUM_FRAMEINTERVALS).
    pub fn rates(&self, fourcc: FourCc, width: u32, height: u32) -> io::Result<Vec<Rates>> {
        let fps = |f: v4l2_fract| f.denominator.checked_div(f.numerator).unwrap_or(0);
        let mut out = Vec::new();
        for index in 0..256 {
            let mut r: v4l2_frmivalenum = zeroed();
            r.index = index;
            r.pixel_format = fourcc.0;
            r.width = width;
            r.height = height;
            match ioctl(self.raw(), vidioc::VIDIOC_ENUM_FRAMEINTERVALS, &mut r) {
                Ok(()) => {}
                // Drivers without the ioctl (ENOTTY) get one unknown rate, set by S_PARM.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => break,
                Err(e) if e.raw_os_error() == Some(libc::ENOTTY) => break,
                Err(e) => return Err(e),
            }
            if r.type_ == v4l2_frmivaltypes_V4L2_FRMIVAL_TYPE_DISCRETE {
                // SAFETY: `type_` says the driver filled the `discrete` member.
                let d = unsafe { r.__bindgen_anon_1.discrete };
                out.push(Rates::Discrete(fps(d)));
            } else {
                // SAFETY: `type_` says the driver filled the `stepwise` member.
                let w = unsafe { r.__bindgen_anon_1.stepwise };
                // The longest interval is the lowest rate.
                out.push(Rates::Range {
                    min: fps(w.max).max(1),
                    max: fps(w.min),
                });
                break;
            }
        }
        Ok(out)
    }

    /// Sets the capture format (VIDIOC_S_FMT) and returns what the driver chose, which may
    /// differ from what was asked.
    pub fn set_format(&self, fourcc: FourCc, width: u32, height: u32) -> io::Result<Format> {
        let mut f: v4l2_format = zeroed();
        f.type_ = CAPTURE;
        // `pix` is the member for VIDEO_CAPTURE (writing a union field is safe).
        f.fmt.pix.pixelformat = fourcc.0;
        f.fmt.pix.width = width;
        f.fmt.pix.height = height;
        f.fmt.pix.field = v4l2_field_V4L2_FIELD_NONE;
        ioctl(self.raw(), vidioc::VIDIOC_S_FMT, &mut f)?;
        // SAFETY: the driver filled `pix` for a VIDEO_CAPTURE format.
        let p = unsafe { f.fmt.pix };
        Ok(Format {
            fourcc: FourCc(p.pixelformat),
            width: p.width,
            height: p.height,
            stride: p.bytesperline,
            size: p.sizeimage,
        })
    }

    /// Asks for `fps` frames per second (VIDIOC_S_PARM) and returns the rate the driver
    /// set, or None if the device has no frame-rate control.
    pub fn set_rate(&self, fps: u32) -> io::Result<Option<u32>> {
        let mut p: v4l2_streamparm = zeroed();
        p.type_ = CAPTURE;
        ioctl(self.raw(), vidioc::VIDIOC_G_PARM, &mut p)?;
        // SAFETY: `capture` is the member for VIDEO_CAPTURE, filled by G_PARM.
        let cap = unsafe { &mut p.parm.capture };
        if cap.capability & V4L2_CAP_TIMEPERFRAME == 0 {
            return Ok(None);
        }
        cap.timeperframe = v4l2_fract {
            numerator: 1,
            denominator: fps,
        };
        ioctl(self.raw(), vidioc::VIDIOC_S_PARM, &mut p)?;
        // SAFETY: as above.
        let t = unsafe { p.parm.capture.timeperframe };
        Ok(t.denominator.checked_div(t.numerator))
    }

    /// Every enabled integer, boolean and menu control (VIDIOC_QUERYCTRL walked with
    /// V4L2_CTRL_FLAG_NEXT_CTRL). Other kinds (buttons, strings, compound) are left out:
    /// no ISP setting maps to them.
    pub fn controls(&self) -> io::Result<Vec<Control>> {
        let mut out = Vec::new();
        let mut id = 0u32;
        for _ in 0..1024 {
            let mut q: v4l2_queryctrl = zeroed();
            q.id = id | V4L2_CTRL_FLAG_NEXT_CTRL;
            match ioctl(self.raw(), vidioc::VIDIOC_QUERYCTRL, &mut q) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => break,
                Err(e) => return Err(e),
            }
            id = q.id;
            if q.flags & (V4L2_CTRL_FLAG_DISABLED | V4L2_CTRL_FLAG_READ_ONLY) != 0 {
                continue;
            }
            let kind = match q.type_ {
                v4l2_ctrl_type_V4L2_CTRL_TYPE_INTEGER => ControlKind::Integer,
                v4l2_ctrl_type_V4L2_CTRL_TYPE_BOOLEAN => ControlKind::Boolean,
                v4l2_ctrl_type_V4L2_CTRL_TYPE_MENU => ControlKind::Menu,
                _ => continue,
            };
            let menu = if kind == ControlKind::Menu {
                self.menu(q.id, q.minimum, q.maximum)?
            } else {
                Vec::new()
            };
            out.push(Control {
                id: q.id,
                name: c_string(&q.name),
                kind,
                min: q.minimum,
                max: q.maximum,
                step: q.step.max(1),
                default: q.default_value,
                menu,
            });
        }
        Ok(out)
    }

    /// One control by id (VIDIOC_QUERYCTRL), None if the device lacks it or has it
    /// disabled. Unlike `controls`, any kind: an encoder's "force key frame" is a button.
    pub fn query(&self, id: u32) -> io::Result<Option<Query>> {
        let mut q: v4l2_queryctrl = zeroed();
        q.id = id;
        match ioctl(self.raw(), vidioc::VIDIOC_QUERYCTRL, &mut q) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Ok(None),
            Err(e) => return Err(e),
        }
        if q.id != id || q.flags & V4L2_CTRL_FLAG_DISABLED != 0 {
            return Ok(None);
        }
        let menu = if q.type_ == v4l2_ctrl_type_V4L2_CTRL_TYPE_MENU {
            self.menu(q.id, q.minimum, q.maximum)?
        } else {
            Vec::new()
        };
        Ok(Some(Query {
            min: q.minimum,
            max: q.maximum,
            step: q.step.max(1),
            default: q.default_value,
            read_only: q.flags & V4L2_CTRL_FLAG_READ_ONLY != 0,
            menu,
        }))
    }

    /// The menu indices a driver accepts (VIDIOC_QUERYMENU fails on the holes).
    fn menu(&self, id: u32, min: i32, max: i32) -> io::Result<Vec<i32>> {
        let mut out = Vec::new();
        for index in min.max(0)..=max.min(min.max(0) + 64) {
            let mut m: v4l2_querymenu = zeroed();
            m.id = id;
            m.index = index as u32;
            match ioctl(self.raw(), vidioc::VIDIOC_QUERYMENU, &mut m) {
                Ok(()) => out.push(index),
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Waits up to `timeout_ms` for `events` (POLLIN: a buffer to dequeue from a capture
    /// queue; POLLOUT: from an output queue); Ok(false) on timeout or a signal. A vanished
    /// device (USB unplug, driver unbound) reports POLLERR forever: that is an error, never a
    /// wait that does not end.
    pub fn wait(&self, events: libc::c_short, timeout_ms: i32) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.raw(),
            events,
            revents: 0,
        };
        // SAFETY: one valid pollfd, live for the call.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            };
        }
        if n == 0 {
            return Ok(false);
        }
        if pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
            && pfd.revents & events == 0
        {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("{}: device error (poll)", self.path.display()),
            ));
        }
        Ok(pfd.revents & events != 0)
    }

    /// Maps a driver buffer (the offset and length VIDIOC_QUERYBUF gave) into this process,
    /// shared and read-write; the caller unmaps it (`munmap`) exactly once.
    pub(super) fn map(&self, offset: u32, len: usize) -> io::Result<*mut c_void> {
        // SAFETY: a fresh shared mapping of the driver's buffer at the offset and length
        // QUERYBUF gave; it stays valid until munmap, whatever the device does.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                self.raw(),
                offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(ptr)
    }

    /// A control's current value (VIDIOC_G_CTRL).
    pub fn get(&self, id: u32) -> io::Result<i32> {
        let mut c = v4l2_control { id, value: 0 };
        ioctl(self.raw(), vidioc::VIDIOC_G_CTRL, &mut c)?;
        Ok(c.value)
    }

    /// Sets a control (VIDIOC_S_CTRL).
    pub fn set(&self, id: u32, value: i32) -> io::Result<()> {
        let mut c = v4l2_control { id, value };
        ioctl(self.raw(), vidioc::VIDIOC_S_CTRL, &mut c)
    }
}

/// One mapped buffer.
struct Mapping {
    ptr: *mut c_void,
    len: usize,
}

/// A dequeued frame's metadata.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    /// The driver's frame counter (gaps are frames it dropped).
    pub sequence: u32,
    /// Capture time in microseconds, on CLOCK_MONOTONIC if `monotonic`.
    pub timestamp_us: u64,
    pub monotonic: bool,
    /// The driver flagged the frame as damaged (V4L2_BUF_FLAG_ERROR).
    pub error: bool,
}

/// Streaming I/O with mmap'ed driver buffers ("Streaming I/O (Memory Mapping)"). Dropping it
/// stops the stream and unmaps and frees the buffers, whatever state the device is in.
pub struct Stream<'d> {
    dev: &'d Device,
    maps: Vec<Mapping>,
    streaming: bool,
}

// SAFETY: the mappings are owned by this value alone (no other alias hands them out) and
// the kernel never writes a buffer while user space holds it dequeued.
unsafe impl Send for Stream<'_> {}

impl<'d> Stream<'d> {
    /// Allocates `count` buffers, maps them, queues them all and starts streaming.
    pub fn start(dev: &'d Device, count: u32) -> io::Result<Stream<'d>> {
        let mut req: v4l2_requestbuffers = zeroed();
        req.count = count;
        req.type_ = CAPTURE;
        req.memory = MMAP;
        ioctl(dev.raw(), vidioc::VIDIOC_REQBUFS, &mut req)?;
        if req.count < 2 {
            return Err(io::Error::other(format!(
                "{}: the driver granted {} capture buffers, 2 at least are needed",
                dev.path.display(),
                req.count
            )));
        }
        let mut stream = Stream {
            dev,
            maps: Vec::with_capacity(req.count as usize),
            streaming: false,
        };
        for index in 0..req.count {
            let mut b = stream.desc(index);
            ioctl(dev.raw(), vidioc::VIDIOC_QUERYBUF, &mut b)?;
            // SAFETY: `offset` is the member QUERYBUF fills for MMAP buffers.
            let offset = unsafe { b.m.offset };
            let len = b.length as usize;
            let ptr = dev.map(offset, len)?;
            stream.maps.push(Mapping { ptr, len });
        }
        for index in 0..req.count {
            stream.queue(index)?;
        }
        let mut kind = CAPTURE as libc::c_int;
        ioctl(dev.raw(), vidioc::VIDIOC_STREAMON, &mut kind)?;
        stream.streaming = true;
        Ok(stream)
    }

    fn desc(&self, index: u32) -> v4l2_buffer {
        let mut b: v4l2_buffer = zeroed();
        b.index = index;
        b.type_ = CAPTURE;
        b.memory = MMAP;
        b
    }

    fn queue(&self, index: u32) -> io::Result<()> {
        let mut b = self.desc(index);
        ioctl(self.dev.raw(), vidioc::VIDIOC_QBUF, &mut b)
    }

    /// Waits up to `timeout_ms` for the next frame and hands its bytes to `f`, then gives the
    /// buffer back to the driver. Ok(None) on timeout.
    pub fn next<R>(
        &mut self,
        timeout_ms: i32,
        f: impl FnOnce(&[u8], Meta) -> R,
    ) -> io::Result<Option<R>> {
        if !self.dev.wait(libc::POLLIN, timeout_ms)? {
            return Ok(None);
        }
        let mut b = self.desc(0);
        match ioctl(self.dev.raw(), vidioc::VIDIOC_DQBUF, &mut b) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        }
        let index = b.index;
        let Some(m) = self.maps.get(index as usize) else {
            return Err(io::Error::other(format!(
                "driver returned buffer {index} of {}",
                self.maps.len()
            )));
        };
        let used = (b.bytesused as usize).min(m.len);
        // SAFETY: the mapping is live (unmapped only in Drop) and `used <= len`; the buffer
        // is dequeued, so the driver does not write it until it is queued again below,
        // after `f` returned and the slice is gone.
        let bytes = unsafe { std::slice::from_raw_parts(m.ptr as *const u8, used) };
        let meta = Meta {
            sequence: b.sequence,
            timestamp_us: b.timestamp.tv_sec as u64 * 1_000_000 + b.timestamp.tv_usec as u64,
            monotonic: b.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC,
            error: b.flags & V4L2_BUF_FLAG_ERROR != 0,
        };
        let r = f(bytes, meta);
        self.queue(index)?;
        Ok(Some(r))
    }
}

impl Drop for Stream<'_> {
    fn drop(&mut self) {
        if self.streaming {
            let mut kind = CAPTURE as libc::c_int;
            // Errors are ignored: a vanished device cannot be stopped, and unmapping below
            // is right either way.
            let _ = ioctl(self.dev.raw(), vidioc::VIDIOC_STREAMOFF, &mut kind);
        }
        for m in self.maps.drain(..) {
            // SAFETY: each mapping was created by mmap with exactly this pointer and length
            // and is unmapped once; no slice of it outlives `next`.
            unsafe { libc::munmap(m.ptr, m.len) };
        }
        let mut req: v4l2_requestbuffers = zeroed();
        req.type_ = CAPTURE;
        req.memory = MMAP;
        let _ = ioctl(self.dev.raw(), vidioc::VIDIOC_REQBUFS, &mut req);
    }
}
