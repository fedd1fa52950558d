//! The simulated SoC: implements every function of `include/nvt_sdk.h` in Rust and exports
//! it under its C name (see `ffi.rs`), so nvt reaches it through the same FFI path a vendor
//! port uses. One module per idea:
//!
//! - `ffi`: the exported C functions (argument checks, panics caught at the boundary)
//! - `options`: board options; `clock`: time base; `frame`: the I420 buffer
//! - `pattern` + `font`: the test scene; `panorama`: the wider world around it that the
//!   PTZ head's view frames; `isp`: image settings; `sensor`: captures on demand
//! - `scene`: where pictures come from (the sensor, or a V4L2 device: `crate::v4l2`)
//! - `scale`: I420 scaler; `encoder`: openh264; `venc`: channels, workers and queues
//! - `annexb` + `sps` + `replay`: replaying a recorded H.264 file
//! - `snapshot`: JPEG; `motion`: motion detection; `focus`: the focus motor
//! - `head`: the mechanics of one axis of a motorised pan/tilt/zoom head; `ptz`: the head
//! - `osd`: overlay regions blended into the encoded picture; `stats`: the ISP's picture
//!   statistics; `gpio`: the board's relays and digital input
//! - `audio_in`: the microphone's encoder channels; `tone`: its signal (a beep per second of
//!   the clock); `g711`: µ-law and A-law; `aac`: AAC-LC
//! - `speaker`: the board's speaker (decodes with `g711`; the recording tests hear)
//!
//! The modules are public for benchmarks and white-box tests; nvt itself uses only the C
//! functions.

pub mod aac;
pub mod annexb;
pub mod audio_in;
pub mod clock;
pub mod encoder;
pub mod ffi;
pub mod focus;
pub mod font;
pub mod frame;
pub mod g711;
pub mod gpio;
pub mod head;
pub mod isp;
pub mod motion;
pub mod mount;
pub mod options;
pub mod osd;
pub mod panorama;
pub mod pattern;
pub mod ptz;
pub mod replay;
pub mod scale;
pub mod scene;
pub mod sensor;
pub mod snapshot;
pub mod speaker;
pub mod sps;
pub mod stats;
pub mod tone;
pub mod venc;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use clock::Clock;
use focus::Focus;
use motion::Motion;
use options::Options;
use replay::Recording;
use scene::Scene;
use sensor::Sensor;
use venc::Channel;

/// A frame handed out by NVT_VENC_GetStream and not yet released: it owns the bytes the
/// caller's NAL descriptors point into.
pub struct OutStream {
    pub chn: u32,
    pub frame: venc::Queued,
    pub nalus: Vec<crate::NVT_VENC_NALU_S>,
}

// SAFETY: the raw pointers in `nalus` point into heap buffers owned by `frame` (which never
// moves or mutates them while the OutStream exists); nothing else aliases them mutably.
unsafe impl Send for OutStream {}

/// Frames handed out per channel and not yet released; more is NVT_ERR_NO_MEM (the
/// contract's "small fixed pool of stream buffers").
pub const MAX_OUTSTANDING: usize = 4;

/// A snapshot kept after NVT_ERR_BUF_TOO_SMALL so that the retry gets the same bytes.
pub struct PendingSnap {
    pub key: (u32, u32, u32),
    pub at_us: u64,
    pub jpeg: Vec<u8>,
}

/// Everything that exists between NVT_SYS_Init and NVT_SYS_Exit.
pub struct Sim {
    pub options: Options,
    pub clock: Clock,
    pub scene: Scene,
    pub recording: Option<Arc<Recording>>,
    /// The board's hardware H.264 encoder (a V4L2 source only; `v4l2_encoder=`).
    pub hw_encoder: Option<venc::HwProbe>,
    pub channels: Mutex<[Option<Arc<Channel>>; venc::MAX_CHANNELS as usize]>,
    pub motion: Arc<Motion>,
    pub focus: Mutex<Focus>,
    /// The PTZ head (the pattern's only: a V4L2 device has none); the sensor renders its
    /// view.
    pub ptz: Arc<Mutex<ptz::Head>>,
    /// The overlay of video source 0, blended into every channel and snapshot (none in
    /// replay mode: a recording's picture cannot carry it).
    pub osd: Option<Arc<osd::Osd>>,
    /// The latest picture statistics of video source 0.
    pub stats: stats::Stats,
    /// The board's relays and input (the pattern board only, unless `gpio=off`).
    pub gpio: Option<gpio::Gpio>,
    /// The board's speaker (the pattern board only, unless `speaker=off`).
    pub speaker: Option<speaker::Speaker>,
    /// Outstanding streams keyed by their `priv` handle.
    pub out: Mutex<HashMap<usize, Box<OutStream>>>,
    /// The microphone (the pattern board only, unless `microphone=off`: a V4L2 device's
    /// audio is not captured).
    pub audio_in: Option<audio_in::AudioIn>,
    /// Audio frames handed out by NVT_AI_GetFrame and not yet released, by `priv`:
    /// (channel, the frame owning the bytes).
    pub audio_out: Mutex<HashMap<usize, (u32, Box<audio_in::AudioFrame>)>>,
    pub pending_snap: Mutex<Option<PendingSnap>>,
}

static SIM: Mutex<Option<Arc<Sim>>> = Mutex::new(None);

/// Locks ignoring poisoning: a panic caught at the FFI boundary must not make the SDK
/// unusable for every later call.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sim {
    pub fn new(options: Options) -> Result<Sim, String> {
        let recording = match &options.replay {
            Some(path) => Some(Arc::new(Recording::load(path, options.replay_fps)?)),
            None => None,
        };
        // Checked before the camera is opened: a wrong encoder is a configuration error,
        // whatever the camera's state.
        let hw_encoder = hw_encoder(&options)?;
        let clock = Clock::start();
        let head = Arc::new(Mutex::new(ptz::Head::new(clock::mono_us())));
        let scene = match &options.source {
            options::Source::Pattern => Scene::Pattern(Arc::new(
                Sensor::new(clock, options.motion_period_ms, options.motion_on_ms)
                    .with_head(head.clone())
                    .with_mount(mount::Mount::new(options.turned_file.clone())),
            )),
            #[cfg(all(feature = "v4l2", target_os = "linux"))]
            options::Source::V4l2(path) => {
                let want = crate::v4l2::mode::Want {
                    size: options.v4l2_size,
                    fps: options.v4l2_fps,
                };
                let camera = crate::v4l2::Camera::open(path, want, &options.v4l2_ctrl, clock)
                    .inspect_err(|e| {
                        crate::v4l2::camera::log(format_args!("{e}"));
                    })?;
                Scene::Device(Arc::new(camera))
            }
            #[cfg(not(all(feature = "v4l2", target_os = "linux")))]
            options::Source::V4l2(_) => return Err("this build has no V4L2 support".into()),
        };
        // A replayed recording is not decoded: no picture for the detector (motion.rs).
        let motion = Motion::start(recording.is_none().then(|| scene.clone()));
        let (width, height) = scene.size();
        let osd = recording
            .is_none()
            .then(|| Arc::new(osd::Osd::new(width, height)));
        let aac = options.aac;
        let mic = scene.is_pattern() && options.microphone;
        let gpio = (scene.is_pattern() && options.gpio)
            .then(|| gpio::Gpio::new(clock::mono_us(), options.gpio_input_period_ms));
        let speaker = if scene.is_pattern() && options.speaker {
            Some(speaker::Speaker::new(options.speaker_file.as_deref())?)
        } else {
            None
        };
        Ok(Sim {
            options,
            clock,
            scene,
            recording,
            hw_encoder,
            channels: Mutex::new(Default::default()),
            motion,
            focus: Mutex::new(Focus::default()),
            ptz: head,
            osd,
            stats: stats::Stats::default(),
            gpio,
            speaker,
            out: Mutex::new(HashMap::new()),
            audio_in: mic.then(|| audio_in::AudioIn::new(clock, aac)),
            audio_out: Mutex::new(HashMap::new()),
            pending_snap: Mutex::new(None),
        })
    }

    /// Stops every worker; the Sim is unusable afterwards.
    pub fn shutdown(&self) {
        let channels: Vec<_> = lock(&self.channels)
            .iter_mut()
            .filter_map(|c| c.take())
            .collect();
        for ch in channels {
            ch.stop(true);
        }
        self.motion.stop();
        if let Some(a) = &self.audio_in {
            a.shutdown();
        }
        lock(&self.audio_out).clear();
        if let Some(g) = &self.gpio {
            g.stop();
        }
        self.scene.stop();
        lock(&self.out).clear();
    }
}

/// The hardware H.264 encoder `v4l2_encoder=` names or `auto` finds, for a V4L2 source.
#[cfg(all(feature = "v4l2", target_os = "linux"))]
fn hw_encoder(options: &Options) -> Result<Option<venc::HwProbe>, String> {
    use crate::v4l2::camera::log;
    use crate::v4l2::encoder::{H264, Probe, find};
    use options::HwEncoder;
    if options.source == options::Source::Pattern {
        return Ok(None);
    }
    let probe = match &options.v4l2_encoder {
        HwEncoder::Off => None,
        HwEncoder::Auto => find(H264).into_iter().next(),
        HwEncoder::Path(path) => Some(Probe::read(path, H264).map_err(|e| {
            log(format_args!("v4l2_encoder: {e}"));
            format!("v4l2_encoder: {e}")
        })?),
    };
    match &probe {
        Some(p) => log(format_args!(
            "hardware H.264 encoder: {} ({}): profiles {:?}, bitrate {:?} bit/s, key frame \
             interval {:?}, forced key frames {}",
            p.card,
            p.path.display(),
            p.profiles,
            p.bitrate,
            p.gop,
            if p.force_key { "yes" } else { "no" }
        )),
        None if options.v4l2_encoder == HwEncoder::Off => {}
        None => log(format_args!(
            "no V4L2 H.264 encoder found: H.264 in software (openh264)"
        )),
    }
    Ok(probe.map(Arc::new))
}

#[cfg(not(all(feature = "v4l2", target_os = "linux")))]
fn hw_encoder(_: &Options) -> Result<Option<venc::HwProbe>, String> {
    Ok(None)
}

/// The running instance, or None before Init / after Exit.
pub fn current() -> Option<Arc<Sim>> {
    lock(&SIM).clone()
}

/// Installs a new instance unless one exists.
pub fn install(make: impl FnOnce() -> Result<Sim, i32>) -> Result<(), i32> {
    let mut g = lock(&SIM);
    if g.is_some() {
        return Err(crate::NVT_ERR_BUSY);
    }
    *g = Some(Arc::new(make()?));
    Ok(())
}

/// Removes the instance (if any) and shuts it down.
pub fn uninstall() {
    let sim = lock(&SIM).take();
    if let Some(sim) = sim {
        sim.shutdown();
    }
}
