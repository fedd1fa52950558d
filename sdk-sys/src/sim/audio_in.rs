//! The simulated microphone's encoder channels (NVT_AI_*): G.711 µ-law or A-law at 8 kHz,
//! or AAC-LC at 8 or 16 kHz ([`super::aac`]), mono, of the [`super::tone`] signal. Like the GPIO input there is no worker thread: frame
//! `k` of a channel covers samples `k * frame_samples ..` on the grid anchored at Init and
//! becomes available once its last sample has been "captured"; `GetFrame` sleeps until then
//! and encodes it. A caller that falls more than [`QUEUE_FRAMES`] behind skips the older
//! frames (a gap in `seq`, as the contract says). An AAC unit needs one frame more of
//! signal than it covers (the encoder's look-ahead, [`super::aac`]).
//!
//! The board option `aac=off` withholds AAC-LC from the caps, for boards whose SoC encodes
//! only G.711.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::clock::{Clock, mono_us};
use super::{aac, g711, lock, tone};
use crate::*;

/// AI channels of the simulated board.
pub const MAX_CHANNELS: u32 = 2;
/// Frames a slow caller may be behind before older ones are dropped (400 ms at 20 ms).
pub const QUEUE_FRAMES: u64 = 20;
/// Frame sizes a G.711 channel accepts.
pub const FRAME_SAMPLES: std::ops::RangeInclusive<u32> = 80..=1024;

#[derive(Debug)]
struct Chn {
    attr: NVT_AI_ATTR_S,
    started: bool,
    /// The next frame to hand out, on the Init grid.
    next: u64,
}

impl Chn {
    /// Frames of signal after a frame's own before it can be encoded.
    fn lookahead(&self) -> u64 {
        u64::from(self.attr.codec == NVT_AUDIO_CODEC_E::NVT_AUDIO_AAC_LC)
    }
}

pub enum GetError {
    Timeout,
    Stopped,
}

/// One encoded frame.
pub struct AudioFrame {
    pub seq: u32,
    pub pts_us: u64,
    pub utc_us: u64,
    pub samples: u32,
    pub data: Vec<u8>,
}

/// The board's one microphone and its channels.
pub struct AudioIn {
    clock: Clock,
    /// Whether the board encodes AAC-LC (board option `aac`).
    aac: bool,
    chns: Mutex<[Option<Chn>; MAX_CHANNELS as usize]>,
    /// Each channel's AAC encoder, apart from `chns` so a channel encodes without blocking
    /// the others.
    encoders: [Mutex<aac::AacChannel>; MAX_CHANNELS as usize],
    cv: Condvar,
}

impl AudioIn {
    pub fn new(clock: Clock, aac: bool) -> AudioIn {
        AudioIn {
            clock,
            aac,
            chns: Mutex::new(Default::default()),
            encoders: Default::default(),
            cv: Condvar::new(),
        }
    }

    /// The caps of the simulated microphone: G.711 at 8 kHz, and AAC-LC at 8 or 16 kHz
    /// unless `aac=off` (then the bitrate range is G.711's 64 kb/s, as before AAC).
    pub fn caps(&self) -> NVT_AI_CAPS_S {
        let mut rates = [0; NVT_AI_MAX_RATES as usize];
        let mut codecs = (1 << NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U.0)
            | (1 << NVT_AUDIO_CODEC_E::NVT_AUDIO_G711A.0);
        let (rate_count, bitrates) = if self.aac {
            codecs |= 1 << NVT_AUDIO_CODEC_E::NVT_AUDIO_AAC_LC.0;
            rates[..aac::RATES.len()].copy_from_slice(&aac::RATES);
            (aac::RATES.len() as u32, aac::BITRATE_KBPS)
        } else {
            rates[0] = tone::RATE;
            (1, (64, 64))
        };
        NVT_AI_CAPS_S {
            input_count: 1,
            max_ai_channels: MAX_CHANNELS,
            codecs,
            rate_count,
            sample_rates: rates,
            max_channels: 1,
            bitrate_min_kbps: bitrates.0,
            bitrate_max_kbps: bitrates.1,
        }
    }

    /// Checks attributes against [`Self::caps`].
    pub fn check(&self, attr: &NVT_AI_ATTR_S) -> Result<(), i32> {
        if attr.ai != 0 {
            return Err(NVT_ERR_UNKNOWN_CHN);
        }
        let ok = match attr.codec {
            NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U | NVT_AUDIO_CODEC_E::NVT_AUDIO_G711A => {
                attr.sample_rate == tone::RATE && FRAME_SAMPLES.contains(&attr.frame_samples)
            }
            NVT_AUDIO_CODEC_E::NVT_AUDIO_AAC_LC if self.aac => {
                let (lo, hi) = aac::BITRATE_KBPS;
                aac::RATES.contains(&attr.sample_rate)
                    && attr.frame_samples == aac::FRAME_SAMPLES
                    && (lo..=hi).contains(&attr.bitrate_kbps)
            }
            NVT_AUDIO_CODEC_E::NVT_AUDIO_AAC_LC => return Err(NVT_ERR_NOT_SUPPORTED),
            _ => return Err(NVT_ERR_INVALID_ARG),
        };
        if !ok || attr.channels != 1 {
            return Err(NVT_ERR_INVALID_ARG);
        }
        Ok(())
    }

    fn frame_us(&self, attr: &NVT_AI_ATTR_S, k: u64) -> u64 {
        self.clock.mono0
            + k * u64::from(attr.frame_samples) * 1_000_000 / u64::from(attr.sample_rate)
    }

    /// The first frame that ends after `mono`.
    fn frame_at(&self, attr: &NVT_AI_ATTR_S, mono: u64) -> u64 {
        let samples = self.clock.since_init(mono) * u64::from(attr.sample_rate) / 1_000_000;
        samples / u64::from(attr.frame_samples)
    }

    fn with<T>(
        &self,
        chn: u32,
        f: impl FnOnce(&mut Option<Chn>) -> Result<T, i32>,
    ) -> Result<T, i32> {
        let mut g = lock(&self.chns);
        let slot = g.get_mut(chn as usize).ok_or(NVT_ERR_UNKNOWN_CHN)?;
        f(slot)
    }

    pub fn create(&self, chn: u32, attr: NVT_AI_ATTR_S) -> Result<(), i32> {
        self.check(&attr)?;
        self.with(chn, |slot| {
            if slot.is_some() {
                return Err(NVT_ERR_BUSY);
            }
            *slot = Some(Chn {
                attr,
                started: false,
                next: 0,
            });
            Ok(())
        })
    }

    pub fn destroy(&self, chn: u32) -> Result<(), i32> {
        self.with(chn, |slot| slot.take().map(drop).ok_or(NVT_ERR_UNKNOWN_CHN))?;
        self.cv.notify_all();
        Ok(())
    }

    pub fn attr(&self, chn: u32) -> Result<NVT_AI_ATTR_S, i32> {
        self.with(chn, |slot| {
            slot.as_ref().map(|c| c.attr).ok_or(NVT_ERR_UNKNOWN_CHN)
        })
    }

    pub fn set_attr(&self, chn: u32, attr: NVT_AI_ATTR_S) -> Result<(), i32> {
        self.check(&attr)?;
        let now = mono_us();
        let next = self.frame_at(&attr, now);
        self.with(chn, |slot| {
            let c = slot.as_mut().ok_or(NVT_ERR_UNKNOWN_CHN)?;
            c.attr = attr;
            // The frame grid changed with the frame size: start again at now.
            c.next = next;
            Ok(())
        })
    }

    pub fn start(&self, chn: u32) -> Result<(), i32> {
        let now = mono_us();
        self.with(chn, |slot| {
            let c = slot.as_mut().ok_or(NVT_ERR_UNKNOWN_CHN)?;
            if !c.started {
                c.started = true;
                c.next = self.frame_at(&c.attr, now);
            }
            Ok(())
        })
    }

    pub fn stop(&self, chn: u32) -> Result<(), i32> {
        self.with(chn, |slot| {
            slot.as_mut().ok_or(NVT_ERR_UNKNOWN_CHN)?.started = false;
            Ok(())
        })?;
        self.cv.notify_all();
        Ok(())
    }

    /// Stops every channel (NVT_SYS_Exit): blocked callers return Stopped.
    pub fn shutdown(&self) {
        for slot in lock(&self.chns).iter_mut() {
            *slot = None;
        }
        self.cv.notify_all();
    }

    /// Waits up to `timeout_ms` (<0: forever) for the channel's next frame.
    pub fn get(&self, chn: u32, timeout_ms: i32) -> Result<AudioFrame, GetError> {
        let deadline = (timeout_ms >= 0).then(|| mono_us() + timeout_ms as u64 * 1000);
        let mut g = lock(&self.chns);
        loop {
            let Some(c) = g.get_mut(chn as usize).and_then(|s| s.as_mut()) else {
                return Err(GetError::Stopped);
            };
            if !c.started {
                return Err(GetError::Stopped);
            }
            let now = mono_us();
            // Frame k is complete when frame k+1 starts; an AAC unit also needs the next.
            let lookahead = c.lookahead();
            let available = self.frame_at(&c.attr, now).saturating_sub(lookahead);
            if available > c.next {
                c.next = c.next.max(available.saturating_sub(QUEUE_FRAMES));
                let k = c.next;
                c.next += 1;
                let attr = c.attr;
                drop(g);
                return Ok(self.encode(chn, &attr, k));
            }
            let ready = self.frame_us(&c.attr, c.next + 1 + lookahead);
            let until = deadline.map_or(ready, |d| d.min(ready));
            if until <= now {
                return Err(GetError::Timeout);
            }
            let (back, _) = self
                .cv
                .wait_timeout(g, Duration::from_micros(until - now))
                .unwrap_or_else(|e| e.into_inner());
            g = back;
        }
    }

    fn encode(&self, chn: u32, attr: &NVT_AI_ATTR_S, k: u64) -> AudioFrame {
        let n = u64::from(attr.frame_samples);
        let data = if attr.codec == NVT_AUDIO_CODEC_E::NVT_AUDIO_AAC_LC {
            lock(&self.encoders[chn as usize]).au(
                &self.clock,
                attr.sample_rate,
                attr.bitrate_kbps,
                k,
            )
        } else {
            let g711: fn(i16) -> u8 = if attr.codec == NVT_AUDIO_CODEC_E::NVT_AUDIO_G711A {
                g711::linear_to_alaw
            } else {
                g711::linear_to_ulaw
            };
            (k * n..(k + 1) * n)
                .map(|i| g711(tone::sample(&self.clock, i)))
                .collect()
        };
        let pts_us = self.frame_us(attr, k);
        AudioFrame {
            // Frames are numbered on the Init grid, so frames a slow caller missed are a gap.
            seq: k as u32,
            pts_us,
            utc_us: self.clock.utc_at(pts_us),
            samples: attr.frame_samples,
            data,
        }
    }

    /// The level of the last 100 ms of the signal (NVT_AI_GetLevel).
    pub fn level(&self) -> i32 {
        let now = self.clock.since_init(mono_us()) * u64::from(tone::RATE) / 1_000_000;
        let from = now.saturating_sub(u64::from(tone::RATE) / 10);
        tone::level_dbfs((from..now).map(|i| tone::sample(&self.clock, i)))
    }
}
