//! A V4L2 stateful video encoder (a memory-to-memory codec such as the Raspberry Pi's
//! `bcm2835-codec` at /dev/video11): finding one, what it can do, and encoding pictures
//! through it. Codec-neutral: the coded format is a parameter (H.264 on a board, the kernel's
//! test codec `vicodec`'s FWHT in the VM tests); the H.264 specifics (NAL units, parameter
//! sets) live in `sim::encoder`.
//!
//! Reference: "Memory-to-Memory Stateful Video Encoder Interface" (dev-encoder.rst):
//! the CAPTURE (coded) format is set first, then the OUTPUT (raw) format, then the rate
//! (S_PARM on OUTPUT) and the codec controls, then both queues stream; a picture queued on
//! OUTPUT comes back coded on CAPTURE with its timestamp copied.

use std::io;
use std::path::{Path, PathBuf};

use moq_v4l::sys::*;

use super::device::{Device, FourCc, Sizes};
use super::m2m::{CAPTURE, Coded, OUTPUT, PlaneFormat, Streams};
use crate::sim::frame::I420;

/// H.264 (`V4L2_PIX_FMT_H264`, Annex B byte stream).
pub const H264: FourCc = FourCc::new(b"H264");
/// The test codec's format (`V4L2_PIX_FMT_FWHT`), for the VM tests.
pub const FWHT: FourCc = FourCc::new(b"FWHT");
/// Planar 4:2:0, the simulator's own picture layout (`V4L2_PIX_FMT_YUV420`).
pub const YU12: FourCc = FourCc::new(b"YU12");

/// Picture and coded buffers: enough for the encoder to work on one picture while the next
/// is being filled; more only adds latency.
const OUTPUT_BUFFERS: u32 = 3;
const CAPTURE_BUFFERS: u32 = 4;

/// How long `encode` waits for a picture's coded data before returning without it (it
/// comes out with a later call): a hardware encoder takes a few ms per picture.
const CODED_WAIT_MS: i32 = 200;

/// Rate control modes (the V4L2_CID_MPEG_VIDEO_BITRATE_MODE menu).
pub const RC_VBR: i32 = v4l2_mpeg_video_bitrate_mode_V4L2_MPEG_VIDEO_BITRATE_MODE_VBR as i32;
pub const RC_CBR: i32 = v4l2_mpeg_video_bitrate_mode_V4L2_MPEG_VIDEO_BITRATE_MODE_CBR as i32;

/// An encoder found on the board and what it offers, read once at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub path: PathBuf,
    pub card: String,
    pub coded: FourCc,
    /// Picture sizes it takes (min, max, step); None if it does not say.
    pub sizes: Option<Sizes>,
    /// Values of the V4L2_CID_MPEG_VIDEO_H264_PROFILE menu it accepts (empty: no choice).
    pub profiles: Vec<i32>,
    /// Values of the bitrate mode menu it accepts (RC_VBR, RC_CBR; empty: no choice).
    pub rc_modes: Vec<i32>,
    /// Bitrate range in bit/s, if it has a bitrate control.
    pub bitrate: Option<(i32, i32)>,
    /// Key frame interval range, if it has one (H264_I_PERIOD, or GOP_SIZE).
    pub gop: Option<(i32, i32)>,
    /// A fixed QP: min and max QP controls it has (both needed to pin the QP).
    pub qp: Option<(i32, i32)>,
    /// It can be told to make the next picture a key frame.
    pub force_key: bool,
}

/// How an encoder is asked to run. None leaves the encoder's own default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub rc_mode: Option<i32>,
    pub bitrate_bps: Option<i32>,
    pub gop: Option<i32>,
    pub profile: Option<i32>,
    /// Pins the QP (min = max = qp).
    pub qp: Option<i32>,
}

impl Probe {
    /// Reads what the encoder at `path` offers for `coded`, or says why it is not one.
    pub fn read(path: &Path, coded: FourCc) -> io::Result<Probe> {
        let (dev, info) = Device::open_node(path)?;
        let not = |why: String| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                format!("{}: not a {coded} encoder: {why}", path.display()),
            )
        };
        if info.caps & V4L2_CAP_VIDEO_M2M_MPLANE == 0 || info.caps & V4L2_CAP_STREAMING == 0 {
            return Err(not(format!(
                "{} ({}) is no multi-planar memory-to-memory device",
                info.card, info.driver
            )));
        }
        if !dev.formats_of(CAPTURE)?.contains(&coded) {
            return Err(not(format!("{} does not produce {coded}", info.card)));
        }
        if !dev.formats_of(OUTPUT)?.contains(&YU12) {
            return Err(not(format!("{} does not take YU12 pictures", info.card)));
        }
        let sizes = dev.sizes(coded).ok().and_then(|s| s.into_iter().next());
        let range = |id| -> io::Result<Option<(i32, i32)>> {
            Ok(dev
                .query(id)?
                .filter(|q| !q.read_only)
                .map(|q| (q.min, q.max)))
        };
        let menu = |id| -> io::Result<Vec<i32>> {
            Ok(dev
                .query(id)?
                .filter(|q| !q.read_only)
                .map(|q| q.menu)
                .unwrap_or_default())
        };
        let gop = match range(V4L2_CID_MPEG_VIDEO_H264_I_PERIOD)? {
            Some(r) => Some(r),
            None => range(V4L2_CID_MPEG_VIDEO_GOP_SIZE)?,
        };
        let qp = match (
            range(V4L2_CID_MPEG_VIDEO_H264_MIN_QP)?,
            range(V4L2_CID_MPEG_VIDEO_H264_MAX_QP)?,
        ) {
            (Some((lo, _)), Some((_, hi))) => Some((lo, hi)),
            _ => None,
        };
        Ok(Probe {
            path: path.to_owned(),
            card: info.card,
            coded,
            sizes,
            profiles: menu(V4L2_CID_MPEG_VIDEO_H264_PROFILE)?,
            rc_modes: menu(V4L2_CID_MPEG_VIDEO_BITRATE_MODE)?
                .into_iter()
                .filter(|m| [RC_VBR, RC_CBR].contains(m))
                .collect(),
            bitrate: range(V4L2_CID_MPEG_VIDEO_BITRATE)?,
            gop,
            qp,
            force_key: dev.query(V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME)?.is_some(),
        })
    }

    /// Why this encoder cannot run `c` exactly, if it cannot: a channel it cannot serve as
    /// asked is encoded in software instead, never served something else.
    pub fn refuses(&self, c: &Config) -> Option<String> {
        if let Some(Sizes::Range { min, max, step }) = self.sizes {
            let fits = |v: u32, lo: u32, hi: u32, st: u32| {
                (lo..=hi).contains(&v) && (v - lo).is_multiple_of(st.max(1))
            };
            if !fits(c.width, min.0, max.0, step.0) || !fits(c.height, min.1, max.1, step.1) {
                return Some(format!(
                    "{}x{} is outside {}x{}..{}x{} (steps {}x{})",
                    c.width, c.height, min.0, min.1, max.0, max.1, step.0, step.1
                ));
            }
        }
        if let Some(Sizes::Discrete(w, h)) = self.sizes
            && (w, h) != (c.width, c.height)
        {
            return Some(format!("{}x{} is not its size {w}x{h}", c.width, c.height));
        }
        let within =
            |v: i32, r: Option<(i32, i32)>| r.is_some_and(|(lo, hi)| (lo..=hi).contains(&v));
        if let Some(m) = c.rc_mode
            && !self.rc_modes.contains(&m)
        {
            return Some(format!("no bitrate mode {m}"));
        }
        if let Some(b) = c.bitrate_bps
            && !within(b, self.bitrate)
        {
            return Some(format!("bitrate {b} bit/s is outside {:?}", self.bitrate));
        }
        if let Some(g) = c.gop
            && !within(g, self.gop)
        {
            return Some(format!("key frame interval {g} is outside {:?}", self.gop));
        }
        if let Some(p) = c.profile
            && !self.profiles.contains(&p)
        {
            return Some(format!("no profile {p} (has {:?})", self.profiles));
        }
        if let Some(q) = c.qp
            && !within(q, self.qp)
        {
            return Some(format!("fixed QP {q}: QP range {:?}", self.qp));
        }
        None
    }
}

/// Every node under /dev that is an encoder producing `coded`, in name order.
pub fn find(coded: FourCc) -> Vec<Probe> {
    let mut nodes: Vec<(u32, PathBuf)> = std::fs::read_dir("/dev")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix("video")?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    nodes.sort();
    nodes
        .into_iter()
        .filter_map(|(_, path)| Probe::read(&path, coded).ok())
        .collect()
}

/// An encoder configured and streaming.
pub struct Encoder {
    streams: Streams,
    raw: PlaneFormat,
    force_key: bool,
    /// Pictures queued whose coded data has not come out yet.
    in_flight: u32,
}

impl Encoder {
    /// Configures the encoder `probe` describes for `c` and starts it.
    pub fn open(probe: &Probe, c: &Config) -> io::Result<Encoder> {
        if let Some(why) = probe.refuses(c) {
            return Err(io::Error::new(io::ErrorKind::Unsupported, why));
        }
        let (dev, _) = Device::open_node(&probe.path)?;
        let path = probe.path.display();
        dev.set_plane_format(CAPTURE, probe.coded, c.width, c.height, 0)?;
        let raw = dev.set_plane_format(OUTPUT, YU12, c.width, c.height, 0)?;
        if (raw.fourcc, raw.width, raw.height) != (YU12, c.width, c.height) {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "{path}: asked for YU12 {}x{}, the driver set {} {}x{}",
                    c.width, c.height, raw.fourcc, raw.width, raw.height
                ),
            ));
        }
        if raw.stride < c.width || (raw.size as usize) < yu12_size(&raw) {
            return Err(io::Error::other(format!(
                "{path}: YU12 buffer of {} bytes, stride {}: too small for {}x{}",
                raw.size, raw.stride, c.width, c.height
            )));
        }
        // The coded buffer size follows the raw format.
        dev.plane_format(CAPTURE)?;
        dev.set_output_rate(c.fps)?;
        let set = |id: u32, v: Option<i32>| -> io::Result<()> {
            match v {
                Some(v) => dev.set(id, v).map_err(|e| {
                    io::Error::new(e.kind(), format!("{path}: control {id:#x} = {v}: {e}"))
                }),
                None => Ok(()),
            }
        };
        let has = |id: u32| -> io::Result<bool> { Ok(dev.query(id)?.is_some()) };
        set(V4L2_CID_MPEG_VIDEO_BITRATE_MODE, c.rc_mode)?;
        set(V4L2_CID_MPEG_VIDEO_BITRATE, c.bitrate_bps)?;
        if has(V4L2_CID_MPEG_VIDEO_H264_I_PERIOD)? {
            set(V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, c.gop)?;
        } else {
            set(V4L2_CID_MPEG_VIDEO_GOP_SIZE, c.gop)?;
        }
        set(V4L2_CID_MPEG_VIDEO_H264_PROFILE, c.profile)?;
        if let Some(qp) = c.qp {
            // Maximum first: the minimum may not exceed it.
            set(V4L2_CID_MPEG_VIDEO_H264_MAX_QP, Some(qp))?;
            set(V4L2_CID_MPEG_VIDEO_H264_MIN_QP, Some(qp))?;
        }
        // Parameter sets with every key frame, so a viewer joining at any IDR can decode
        // (sim::encoder also caches and repeats them should the encoder not).
        if has(V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER)? {
            set(V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, Some(1))?;
        }
        let streams = Streams::start(dev, OUTPUT_BUFFERS, CAPTURE_BUFFERS)?;
        Ok(Encoder {
            streams,
            raw,
            force_key: probe.force_key,
            in_flight: 0,
        })
    }

    /// Whether `encode(.., force_key = true)` is honoured.
    pub fn can_force_key(&self) -> bool {
        self.force_key
    }

    /// Queues one picture taken at `pts_us` and returns the coded data that is ready: this
    /// picture's, after a short wait, and any an earlier call left behind. An encoder that
    /// cannot take the picture (all its buffers busy past the wait) is an error, so a
    /// stalled encoder is noticed rather than waited on forever.
    pub fn encode(&mut self, img: &I420, pts_us: u64, force_key: bool) -> io::Result<Vec<Coded>> {
        if force_key && self.force_key {
            self.streams
                .device()
                .set(V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 1)?;
        }
        let raw = self.raw;
        let queued = self
            .streams
            .submit(pts_us, CODED_WAIT_MS, |buf| write_yu12(img, &raw, buf))?;
        if !queued {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{}: the encoder returned no picture buffer in {CODED_WAIT_MS} ms",
                    self.streams.device().path().display()
                ),
            ));
        }
        self.in_flight += 1;
        let mut out = Vec::new();
        let mut wait = CODED_WAIT_MS;
        while let Some(c) = self.streams.next_coded(wait)? {
            self.in_flight = self.in_flight.saturating_sub(1);
            if c.flags & V4L2_BUF_FLAG_ERROR == 0 && !c.bytes.is_empty() {
                out.push(c);
            }
            // Only the first wait is long: after it, just what is ready.
            wait = 0;
        }
        Ok(out)
    }

    /// Pictures queued whose coded data has not come out yet.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// The coded data of every picture still in flight, waiting up to `timeout_ms` for each
    /// (what has not come by then is left).
    pub fn finish(&mut self, timeout_ms: i32) -> io::Result<Vec<Coded>> {
        let mut out = Vec::new();
        while self.in_flight > 0 {
            let Some(c) = self.streams.next_coded(timeout_ms)? else {
                break;
            };
            self.in_flight -= 1;
            if c.flags & V4L2_BUF_FLAG_ERROR == 0 && !c.bytes.is_empty() {
                out.push(c);
            }
        }
        Ok(out)
    }
}

/// Bytes of a YU12 picture in `f`'s layout: luma `stride` x `height`, each chroma plane a
/// quarter of it (the V4L2 YU12 layout: planes back to back, chroma lines half as long).
fn yu12_size(f: &PlaneFormat) -> usize {
    let luma = f.stride as usize * f.height as usize;
    luma + 2 * (luma / 4)
}

/// Copies `img` (I420, tightly packed) into a YU12 buffer of layout `f`; returns the bytes
/// used. The sizes match (checked when the encoder opened).
fn write_yu12(img: &I420, f: &PlaneFormat, buf: &mut [u8]) -> usize {
    let (w, h) = (img.width, img.height);
    let stride = f.stride as usize;
    let (y, u, v) = img.planes();
    let need = yu12_size(f);
    if buf.len() < need || w > stride || h > f.height as usize {
        return 0;
    }
    let luma = stride * f.height as usize;
    for row in 0..h {
        buf[row * stride..row * stride + w].copy_from_slice(&y[row * w..(row + 1) * w]);
    }
    let (cw, ch, cs) = (w / 2, h / 2, stride / 2);
    for (plane, base) in [(u, luma), (v, luma + luma / 4)] {
        for row in 0..ch {
            let at = base + row * cs;
            buf[at..at + cw].copy_from_slice(&plane[row * cw..(row + 1) * cw]);
        }
    }
    need
}

/// What the Raspberry Pi's bcm2835-codec encoder declares (its driver's sizes, menus and
/// ranges): the fixture of the tests that map attributes onto an encoder's controls.
#[cfg(test)]
pub(crate) fn bcm2835_probe() -> Probe {
    Probe {
        path: "/dev/video11".into(),
        card: "bcm2835-codec-encode".into(),
        coded: H264,
        sizes: Some(Sizes::Range {
            min: (32, 32),
            max: (1920, 1920),
            step: (2, 2),
        }),
        profiles: vec![0, 1, 2, 4],
        rc_modes: vec![RC_VBR, RC_CBR],
        bitrate: Some((25_000, 25_000_000)),
        gop: Some((0, 2_147_483_647)),
        qp: Some((0, 51)),
        force_key: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe() -> Probe {
        bcm2835_probe()
    }

    fn config() -> Config {
        Config {
            width: 1280,
            height: 720,
            fps: 25,
            rc_mode: Some(RC_CBR),
            bitrate_bps: Some(2_000_000),
            gop: Some(50),
            profile: Some(4),
            qp: None,
        }
    }

    #[test]
    fn an_encoder_serves_only_what_it_can_do_exactly() {
        let p = probe();
        assert_eq!(p.refuses(&config()), None);
        let refused = |c: Config| p.refuses(&c).is_some();
        assert!(
            refused(Config {
                width: 3840,
                ..config()
            }),
            "too wide"
        );
        assert!(
            refused(Config {
                width: 1281,
                ..config()
            }),
            "off the step"
        );
        assert!(refused(Config {
            bitrate_bps: Some(30_000_000),
            ..config()
        }));
        assert!(
            refused(Config {
                profile: Some(3),
                ..config()
            }),
            "extended"
        );
        assert!(
            refused(Config {
                rc_mode: Some(2),
                ..config()
            }),
            "constant quality"
        );
        let no_qp = Probe {
            qp: None,
            ..probe()
        };
        assert!(
            no_qp
                .refuses(&Config {
                    qp: Some(30),
                    ..config()
                })
                .is_some()
        );
        // A setting the encoder has no control for cannot be honoured either.
        let bare = Probe {
            bitrate: None,
            profiles: vec![],
            ..probe()
        };
        assert!(bare.refuses(&config()).is_some());
        assert_eq!(
            bare.refuses(&Config {
                bitrate_bps: None,
                profile: None,
                ..config()
            }),
            None
        );
    }

    #[test]
    fn pictures_are_laid_out_on_the_drivers_stride() {
        let mut img = I420::new(4, 2);
        let (y, u, v) = img.planes_mut();
        y.copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        u.copy_from_slice(&[9, 10]);
        v.copy_from_slice(&[11, 12]);
        let f = PlaneFormat {
            fourcc: YU12,
            width: 4,
            height: 2,
            stride: 8,
            size: 24,
        };
        let mut buf = vec![0u8; 24];
        assert_eq!(write_yu12(&img, &f, &mut buf), 24);
        assert_eq!(
            &buf[..16],
            &[1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0]
        );
        assert_eq!(&buf[16..20], &[9, 10, 0, 0]);
        assert_eq!(&buf[20..24], &[11, 12, 0, 0]);
        // A buffer too small is not written past its end.
        assert_eq!(write_yu12(&img, &f, &mut [0u8; 10]), 0);
    }
}
