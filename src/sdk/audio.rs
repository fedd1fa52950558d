//! Audio inputs (the contract's AI block, version 5): the microphone's caps, an audio
//! encoder channel and the thread that drains it into [`Frame`]s.
//!
//! An audio frame travels the daemon as a [`Frame`] whose one unit is the encoded frame
//! (as a metadata document does, `rtp::metadata`): the stream core fans it out unchanged.
//! Every audio frame decodes on its own, so each is a keyframe: a viewer may start at any.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use sdk_sys as ffi;

use super::capture::{Drain, FrameSink};
use super::{ErrorCode, Sdk, SdkError, check, pts_from_us, wallclock_from_us};
use crate::frame::Frame;

/// An audio codec of the contract (`NVT_AUDIO_CODEC_E`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 µ-law (RTP PCMU).
    G711Ulaw,
    /// G.711 A-law (RTP PCMA).
    G711Alaw,
    /// MPEG-4 AAC-LC, raw access units.
    AacLc,
}

const CODECS: [(u32, AudioCodec); 3] = [
    (
        ffi::NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U.0,
        AudioCodec::G711Ulaw,
    ),
    (
        ffi::NVT_AUDIO_CODEC_E::NVT_AUDIO_G711A.0,
        AudioCodec::G711Alaw,
    ),
    (
        ffi::NVT_AUDIO_CODEC_E::NVT_AUDIO_AAC_LC.0,
        AudioCodec::AacLc,
    ),
];

impl AudioCodec {
    pub(super) fn to_ffi(self) -> ffi::NVT_AUDIO_CODEC_E {
        let raw = CODECS
            .iter()
            .find(|(_, c)| *c == self)
            .map_or(0, |(r, _)| *r);
        ffi::NVT_AUDIO_CODEC_E(raw)
    }
}

/// What the board's audio inputs can do. `inputs == 0`: no microphone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AudioCaps {
    pub inputs: u32,
    pub max_channels: u32,
    pub codecs: Vec<AudioCodec>,
    pub sample_rates: Vec<u32>,
    /// Audio channels per stream (1 mono, 2 stereo).
    pub max_audio_channels: u32,
    pub bitrate_kbps: (u32, u32),
}

/// The attributes of an audio encoder channel (`NVT_AI_ATTR_S`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioAttr {
    pub input: u32,
    pub codec: AudioCodec,
    pub sample_rate: u32,
    pub channels: u32,
    pub bitrate_kbps: u32,
    /// Samples per channel in one frame (G.711 at 8 kHz: 160 is 20 ms).
    pub frame_samples: u32,
}

impl AudioAttr {
    /// G.711 at 8 kHz mono in 20 ms frames: what every RTSP client plays (RFC 3551 s4.5.14).
    pub fn g711(codec: AudioCodec) -> AudioAttr {
        AudioAttr {
            input: 0,
            codec,
            sample_rate: 8000,
            channels: 1,
            bitrate_kbps: 64,
            frame_samples: 160,
        }
    }

    fn to_ffi(self) -> ffi::NVT_AI_ATTR_S {
        ffi::NVT_AI_ATTR_S {
            ai: self.input,
            codec: self.codec.to_ffi(),
            sample_rate: self.sample_rate,
            channels: self.channels,
            bitrate_kbps: self.bitrate_kbps,
            frame_samples: self.frame_samples,
        }
    }
}

impl Sdk {
    /// The audio inputs' caps; a port without the AI block's hardware reports none.
    pub fn audio_caps(&self) -> Result<AudioCaps, SdkError> {
        let mut c = ffi::NVT_AI_CAPS_S::default();
        // SAFETY: `c` is a valid, writable struct of the type the function fills.
        check("NVT_AI_GetCaps", unsafe { ffi::NVT_AI_GetCaps(&mut c) })?;
        let n = (c.rate_count as usize).min(c.sample_rates.len());
        Ok(AudioCaps {
            inputs: c.input_count,
            max_channels: c.max_ai_channels,
            codecs: CODECS
                .iter()
                .filter(|(raw, _)| *raw < 32 && c.codecs & (1 << raw) != 0)
                .map(|(_, codec)| *codec)
                .collect(),
            sample_rates: c.sample_rates[..n].to_vec(),
            max_audio_channels: c.max_channels,
            bitrate_kbps: (c.bitrate_min_kbps, c.bitrate_max_kbps),
        })
    }

    /// The sound level at audio input `input` now, in dBFS (-96 silence .. 0).
    pub fn audio_level(&self, input: u32) -> Result<i32, SdkError> {
        let mut level = 0i32;
        // SAFETY: `level` is a valid, writable i32.
        check("NVT_AI_GetLevel", unsafe {
            ffi::NVT_AI_GetLevel(input, &mut level)
        })?;
        Ok(level)
    }

    /// Creates audio channel `chn`; it captures nothing until an [`AudioCapture`] starts it.
    pub fn create_audio(&self, chn: u32, attr: &AudioAttr) -> Result<AudioChannel, SdkError> {
        let raw = attr.to_ffi();
        // SAFETY: `raw` is a valid attribute struct that lives across the call.
        check("NVT_AI_CreateChn", unsafe {
            ffi::NVT_AI_CreateChn(chn, &raw)
        })?;
        Ok(AudioChannel {
            _sdk: self.clone(),
            chn,
            attr: *attr,
        })
    }
}

/// An audio encoder channel; destroyed when dropped.
#[derive(Debug)]
pub struct AudioChannel {
    _sdk: Sdk,
    chn: u32,
    attr: AudioAttr,
}

impl AudioChannel {
    pub fn id(&self) -> u32 {
        self.chn
    }

    /// The attributes it was created with.
    pub fn attr(&self) -> AudioAttr {
        self.attr
    }
}

impl Drop for AudioChannel {
    fn drop(&mut self) {
        // SAFETY: plain value argument; the channel exists (we created it) and any capture
        // thread on it has been joined (an `AudioCapture` holds the channel through an Arc).
        let rc = unsafe { ffi::NVT_AI_DestroyChn(self.chn) };
        if rc != 0 {
            tracing::warn!(chn = self.chn, error = %SdkError::new("NVT_AI_DestroyChn", rc), "audio destroy failed");
        }
    }
}

/// How long one `GetFrame` call waits, which bounds how long a stop takes.
const GET_FRAME_TIMEOUT_MS: i32 = 100;
/// Pause after an SDK error before asking again.
const ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// A started audio channel and the thread draining it. Dropping it stops both.
pub struct AudioCapture {
    channel: Arc<AudioChannel>,
    drain: Drain,
}

impl AudioCapture {
    /// Starts the channel and a thread that hands every frame to `sink`.
    pub fn start(channel: Arc<AudioChannel>, sink: FrameSink) -> Result<AudioCapture, SdkError> {
        // SAFETY: plain value argument on a channel this handle owns.
        check("NVT_AI_StartChn", unsafe {
            ffi::NVT_AI_StartChn(channel.chn)
        })?;
        let drain = Drain::spawn(format!("ai{}", channel.chn), {
            let chn = channel.chn;
            move |stop| run(chn, stop, sink)
        })?;
        Ok(AudioCapture { channel, drain })
    }

    pub fn channel(&self) -> &Arc<AudioChannel> {
        &self.channel
    }
}

impl Drop for AudioCapture {
    fn drop(&mut self) {
        let chn = self.channel.chn;
        self.drain.stop(chn, || {
            // SAFETY: plain value argument; wakes a GetFrame blocked on this channel.
            let rc = unsafe { ffi::NVT_AI_StopChn(chn) };
            if rc != 0 {
                tracing::warn!(chn, error = %SdkError::new("NVT_AI_StopChn", rc), "audio stop failed");
            }
        });
    }
}

fn run(chn: u32, stop: &AtomicBool, mut sink: FrameSink) {
    let mut errors: u64 = 0;
    while !stop.load(Ordering::Acquire) {
        match next_frame(chn) {
            // Lost audio frames need no recovery: every frame decodes on its own, and the
            // RTP timestamps (from the PTS) tell a receiver where the gap was.
            Ok(frame) => sink(frame),
            Err(e) if e.code == ErrorCode::Timeout => {}
            Err(e) if e.code == ErrorCode::Stopped && stop.load(Ordering::Acquire) => break,
            Err(e) => {
                if errors.is_multiple_of(100) {
                    tracing::warn!(chn, error = %e, "audio stream error; retrying");
                }
                errors += 1;
                std::thread::sleep(ERROR_BACKOFF);
            }
        }
    }
}

/// Fetches one frame from the SDK, copies it out and releases the SDK's buffer.
fn next_frame(chn: u32) -> Result<Frame, SdkError> {
    let mut f = ffi::NVT_AI_FRAME_S::default();
    // SAFETY: `f` is a valid, writable struct; on success the SDK fills it with a pointer
    // that stays valid until NVT_AI_ReleaseFrame, which we call below before returning.
    check("NVT_AI_GetFrame", unsafe {
        ffi::NVT_AI_GetFrame(chn, &mut f, GET_FRAME_TIMEOUT_MS)
    })?;
    let data = if f.data.is_null() || f.len == 0 {
        None
    } else {
        // SAFETY: the contract: `data` points to `len` readable bytes until release.
        Some(Bytes::copy_from_slice(unsafe {
            std::slice::from_raw_parts(f.data, f.len as usize)
        }))
    };
    let frame = data.map(|d| Frame {
        channel: chn,
        seq: f.seq,
        pts: pts_from_us(f.pts_us),
        wallclock: wallclock_from_us(f.utc_us),
        keyframe: true,
        nals: vec![d],
    });
    // SAFETY: `f` is the struct GetFrame filled and has not been released yet.
    let rc = unsafe { ffi::NVT_AI_ReleaseFrame(chn, &mut f) };
    if rc != 0 {
        tracing::warn!(chn, error = %SdkError::new("NVT_AI_ReleaseFrame", rc), "audio release failed");
    }
    frame.ok_or_else(|| SdkError::with_code("NVT_AI_GetFrame (empty frame)", ErrorCode::Hardware))
}
