//! Streaming I/O on a memory-to-memory device (a codec): two multi-planar queues with
//! mmap'ed buffers, OUTPUT carrying pictures in and CAPTURE carrying the coded stream out.
//!
//! Reference: the kernel's "Video for Linux API", sections "Video Memory-To-Memory
//! Interface" and "Memory-to-Memory Stateful Video Encoder Interface" (dev-encoder.rst),
//! and "Single- and multi-planar APIs". Only the multi-planar API is spoken: the hardware
//! encoders nvt targets (the Raspberry Pi's bcm2835-codec, and most SoC codecs) are
//! multi-planar, and every format used here is one contiguous plane (`YU12`, `H264`).

use std::ffi::c_void;
use std::io;

use moq_v4l::sys::*;
use moq_v4l::v4l2::vidioc;

use super::device::{Device, FourCc, ioctl, zeroed};

/// The queue pictures go into.
pub const OUTPUT: u32 = v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
/// The queue coded data comes out of.
pub const CAPTURE: u32 = v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
const MMAP: u32 = v4l2_memory_V4L2_MEMORY_MMAP;

/// A queue's format as the driver set it (one plane).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaneFormat {
    pub fourcc: FourCc,
    pub width: u32,
    pub height: u32,
    /// Bytes per line of the plane (luma for YU12, whose chroma lines are half of it).
    pub stride: u32,
    /// Bytes a buffer of this format holds.
    pub size: u32,
}

impl Device {
    /// Sets one queue's format (VIDIOC_S_FMT, multi-planar, one plane) and returns what the
    /// driver chose. `size` is a hint for coded formats (the CAPTURE buffer size), 0 to let
    /// the driver choose.
    pub fn set_plane_format(
        &self,
        type_: u32,
        fourcc: FourCc,
        width: u32,
        height: u32,
        size: u32,
    ) -> io::Result<PlaneFormat> {
        let mut f: v4l2_format = zeroed();
        f.type_ = type_;
        let mut pix: v4l2_pix_format_mplane = zeroed();
        pix.width = width;
        pix.height = height;
        pix.pixelformat = fourcc.0;
        pix.field = v4l2_field_V4L2_FIELD_NONE;
        pix.num_planes = 1;
        let mut plane: v4l2_plane_pix_format = zeroed();
        plane.sizeimage = size;
        pix.plane_fmt[0] = plane;
        // `pix_mp` is the member for the multi-planar buffer types (writing a union field is
        // safe).
        f.fmt.pix_mp = pix;
        ioctl(self.raw(), vidioc::VIDIOC_S_FMT, &mut f)?;
        self.plane_format_of(&f)
    }

    /// A queue's current format (VIDIOC_G_FMT): an encoder's CAPTURE buffer size follows
    /// the OUTPUT format set after it.
    pub fn plane_format(&self, type_: u32) -> io::Result<PlaneFormat> {
        let mut f: v4l2_format = zeroed();
        f.type_ = type_;
        ioctl(self.raw(), vidioc::VIDIOC_G_FMT, &mut f)?;
        self.plane_format_of(&f)
    }

    fn plane_format_of(&self, f: &v4l2_format) -> io::Result<PlaneFormat> {
        // SAFETY: the driver filled `pix_mp` for a multi-planar buffer type.
        let p = unsafe { f.fmt.pix_mp };
        let planes = p.plane_fmt;
        if p.num_planes != 1 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "{}: format {} has {} planes, one is supported",
                    self.path().display(),
                    FourCc(p.pixelformat),
                    p.num_planes
                ),
            ));
        }
        Ok(PlaneFormat {
            fourcc: FourCc(p.pixelformat),
            width: p.width,
            height: p.height,
            stride: planes[0].bytesperline,
            size: planes[0].sizeimage,
        })
    }

    /// The rate pictures will arrive at (VIDIOC_S_PARM on OUTPUT): an encoder's rate control
    /// spreads its bitrate over it. None if the driver has no such setting.
    pub fn set_output_rate(&self, fps: u32) -> io::Result<Option<u32>> {
        let mut p: v4l2_streamparm = zeroed();
        p.type_ = OUTPUT;
        // `output` is the member for OUTPUT types (writing a union field is safe).
        p.parm.output.timeperframe = v4l2_fract {
            numerator: 1,
            denominator: fps,
        };
        match ioctl(self.raw(), vidioc::VIDIOC_S_PARM, &mut p) {
            Ok(()) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTTY | libc::EINVAL)) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
        // SAFETY: as above, filled by S_PARM.
        let t = unsafe { p.parm.output.timeperframe };
        Ok(t.denominator.checked_div(t.numerator))
    }
}

/// One mapped buffer.
struct Mapping {
    ptr: *mut c_void,
    len: usize,
}

/// One queue's buffers.
struct Queue {
    type_: u32,
    maps: Vec<Mapping>,
    /// Buffers user space holds (not queued to the driver).
    free: Vec<u32>,
}

/// What came out of the CAPTURE queue for one picture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coded {
    pub bytes: Vec<u8>,
    /// The OUTPUT buffer's timestamp, copied by the driver (V4L2_BUF_FLAG_TIMESTAMP_COPY).
    pub timestamp_us: u64,
    /// V4L2_BUF_FLAG_* as the driver set them (KEYFRAME, PFRAME, ERROR, LAST).
    pub flags: u32,
    pub sequence: u32,
}

/// Both queues of an open codec, streaming. Dropping it stops both queues and unmaps and
/// frees the buffers, whatever state the device is in.
pub struct Streams {
    dev: Device,
    output: Queue,
    capture: Queue,
    streaming: bool,
}

// SAFETY: the mappings are owned by this value alone (no other alias hands them out) and
// the kernel never touches a buffer while user space holds it dequeued.
unsafe impl Send for Streams {}

impl Streams {
    /// Allocates and maps `outputs` picture buffers and `captures` coded buffers, queues
    /// every CAPTURE buffer and starts both queues (dev-encoder.rst, "Initialization").
    pub fn start(dev: Device, outputs: u32, captures: u32) -> io::Result<Streams> {
        let mut s = Streams {
            dev,
            output: Queue {
                type_: OUTPUT,
                maps: Vec::new(),
                free: Vec::new(),
            },
            capture: Queue {
                type_: CAPTURE,
                maps: Vec::new(),
                free: Vec::new(),
            },
            streaming: false,
        };
        // On an error below, dropping `s` frees what was set up so far.
        s.output.maps = map_all(&s.dev, OUTPUT, outputs)?;
        s.output.free = (0..s.output.maps.len() as u32).collect();
        s.capture.maps = map_all(&s.dev, CAPTURE, captures)?;
        for index in 0..s.capture.maps.len() as u32 {
            s.queue_capture(index)?;
        }
        s.streaming = true;
        for type_ in [OUTPUT, CAPTURE] {
            let mut kind = type_ as libc::c_int;
            ioctl(s.dev.raw(), vidioc::VIDIOC_STREAMON, &mut kind)?;
        }
        Ok(s)
    }

    /// The device, for its controls while streaming (e.g. forcing a key frame).
    pub fn device(&self) -> &Device {
        &self.dev
    }

    fn queue_capture(&self, index: u32) -> io::Result<()> {
        let mut plane: v4l2_plane = zeroed();
        let mut b = desc(CAPTURE, index, &mut plane);
        ioctl(self.dev.raw(), vidioc::VIDIOC_QBUF, &mut b)
    }

    /// Fills a free OUTPUT buffer with `fill` (which gets the mapped bytes and returns how
    /// many it wrote) and queues it with `timestamp_us`. Reclaims buffers the driver is done
    /// with first, waiting up to `timeout_ms` for one; Ok(false) if none came back.
    pub fn submit(
        &mut self,
        timestamp_us: u64,
        timeout_ms: i32,
        fill: impl FnOnce(&mut [u8]) -> usize,
    ) -> io::Result<bool> {
        self.reclaim_outputs()?;
        if self.output.free.is_empty() {
            if !self.dev.wait(libc::POLLOUT, timeout_ms)? {
                return Ok(false);
            }
            self.reclaim_outputs()?;
        }
        let Some(index) = self.output.free.pop() else {
            return Ok(false);
        };
        let m = &self.output.maps[index as usize];
        // SAFETY: the mapping is live (unmapped only in Drop) and the buffer is not queued,
        // so the driver does not read it until the QBUF below, after `fill` returned and
        // the slice is gone.
        let bytes = unsafe { std::slice::from_raw_parts_mut(m.ptr as *mut u8, m.len) };
        let used = fill(bytes).min(m.len);
        let mut plane: v4l2_plane = zeroed();
        plane.bytesused = used as u32;
        let mut b = desc(OUTPUT, index, &mut plane);
        b.field = v4l2_field_V4L2_FIELD_NONE;
        b.timestamp.tv_sec = (timestamp_us / 1_000_000) as _;
        b.timestamp.tv_usec = (timestamp_us % 1_000_000) as _;
        if let Err(e) = ioctl(self.dev.raw(), vidioc::VIDIOC_QBUF, &mut b) {
            self.output.free.push(index);
            return Err(e);
        }
        Ok(true)
    }

    /// Dequeues every OUTPUT buffer the driver has finished reading.
    fn reclaim_outputs(&mut self) -> io::Result<()> {
        loop {
            let mut plane: v4l2_plane = zeroed();
            let mut b = desc(OUTPUT, 0, &mut plane);
            match ioctl(self.dev.raw(), vidioc::VIDIOC_DQBUF, &mut b) {
                Ok(()) => {
                    if (b.index as usize) < self.output.maps.len()
                        && !self.output.free.contains(&b.index)
                    {
                        self.output.free.push(b.index);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// The next coded buffer, waiting up to `timeout_ms` (0: only what is ready). The
    /// buffer goes back to the driver once its bytes are copied.
    pub fn next_coded(&mut self, timeout_ms: i32) -> io::Result<Option<Coded>> {
        if !self.dev.wait(libc::POLLIN, timeout_ms)? {
            return Ok(None);
        }
        let mut plane: v4l2_plane = zeroed();
        let mut b = desc(CAPTURE, 0, &mut plane);
        match ioctl(self.dev.raw(), vidioc::VIDIOC_DQBUF, &mut b) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            // EPIPE: the last buffer was dequeued (after a drain); nothing more comes.
            Err(e) => return Err(e),
        }
        let index = b.index;
        let Some(m) = self.capture.maps.get(index as usize) else {
            return Err(io::Error::other(format!(
                "driver returned buffer {index} of {}",
                self.capture.maps.len()
            )));
        };
        let offset = (plane.data_offset as usize).min(m.len);
        let used = (plane.bytesused as usize).clamp(offset, m.len);
        // SAFETY: the mapping is live and `offset <= used <= len`; the buffer is dequeued,
        // so the driver does not write it until it is queued again below, after the copy.
        let bytes = unsafe { std::slice::from_raw_parts(m.ptr as *const u8, used) };
        let coded = Coded {
            bytes: bytes[offset..].to_vec(),
            timestamp_us: b.timestamp.tv_sec as u64 * 1_000_000 + b.timestamp.tv_usec as u64,
            flags: b.flags,
            sequence: b.sequence,
        };
        self.queue_capture(index)?;
        Ok(Some(coded))
    }
}

/// A multi-planar buffer descriptor of `type_` pointing at one plane.
fn desc(type_: u32, index: u32, plane: &mut v4l2_plane) -> v4l2_buffer {
    let mut b: v4l2_buffer = zeroed();
    b.index = index;
    b.type_ = type_;
    b.memory = MMAP;
    // `planes` is the member for multi-planar types (writing a union field is safe); the
    // kernel reads and writes `length` planes through it during the ioctl, while `plane`
    // is borrowed by the caller.
    b.m.planes = plane;
    b.length = 1;
    b
}

/// REQBUFS, QUERYBUF and mmap of every buffer of one queue.
fn map_all(dev: &Device, type_: u32, count: u32) -> io::Result<Vec<Mapping>> {
    let mut req: v4l2_requestbuffers = zeroed();
    req.count = count;
    req.type_ = type_;
    req.memory = MMAP;
    ioctl(dev.raw(), vidioc::VIDIOC_REQBUFS, &mut req)?;
    if req.count == 0 {
        return Err(io::Error::other(format!(
            "{}: the driver granted no buffers",
            dev.path().display()
        )));
    }
    let mut maps = Vec::with_capacity(req.count as usize);
    for index in 0..req.count {
        let mut plane: v4l2_plane = zeroed();
        let mut b = desc(type_, index, &mut plane);
        if let Err(e) = ioctl(dev.raw(), vidioc::VIDIOC_QUERYBUF, &mut b) {
            unmap(&mut maps);
            return Err(e);
        }
        // SAFETY: `mem_offset` is the member QUERYBUF fills for MMAP planes.
        let offset = unsafe { plane.m.mem_offset };
        let len = plane.length as usize;
        match dev.map(offset, len) {
            Ok(ptr) => maps.push(Mapping { ptr, len }),
            Err(e) => {
                unmap(&mut maps);
                return Err(e);
            }
        }
    }
    Ok(maps)
}

fn unmap(maps: &mut Vec<Mapping>) {
    for m in maps.drain(..) {
        // SAFETY: each mapping was created by mmap with exactly this pointer and length and
        // is unmapped once; no slice of it outlives the call that made it.
        unsafe { libc::munmap(m.ptr, m.len) };
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        for q in [&mut self.output, &mut self.capture] {
            if self.streaming {
                let mut kind = q.type_ as libc::c_int;
                // Errors are ignored: a vanished device cannot be stopped, and unmapping
                // below is right either way.
                let _ = ioctl(self.dev.raw(), vidioc::VIDIOC_STREAMOFF, &mut kind);
            }
            unmap(&mut q.maps);
            let mut req: v4l2_requestbuffers = zeroed();
            req.type_ = q.type_;
            req.memory = MMAP;
            let _ = ioctl(self.dev.raw(), vidioc::VIDIOC_REQBUFS, &mut req);
        }
    }
}
