//! The simulated board's speaker (NVT_AO_*): one output that decodes G.711 (µ-law or A-law,
//! 8 kHz) as a SoC's audio block does, "plays" it on a modelled clock, and records what it
//! plays so that a test of the real binary can hear it: with the board option
//! `speaker_file=PATH` every decoded sample (signed 16-bit little-endian, after the volume)
//! is appended to PATH. The output level (peak of the last 100 ms, 0..100) is read back
//! through NVT_AO_GetStatus.
//!
//! The playing clock: from the first write after Open the output consumes `rate` samples a
//! second. A write that finds the output has run dry is an underrun (the talker was late);
//! playing then restarts from that write. What would queue more than [`BUFFER_MS`] ahead of
//! the clock is dropped, as a SoC's fixed audio buffer does, so a flooding talker cannot
//! make the speaker lag without bound.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use super::clock::mono_us;
use super::g711;
use crate::*;

/// Outputs of the simulated board.
pub const OUTPUTS: u32 = 1;
/// How far ahead of the playing clock samples may queue.
pub const BUFFER_MS: u64 = 1000;
/// The window the level is the peak of.
const LEVEL_WINDOW_MS: u64 = 100;

pub fn caps() -> NVT_AO_CAPS_S {
    NVT_AO_CAPS_S {
        output_count: OUTPUTS,
        codecs: (1 << NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U.0)
            | (1 << NVT_AUDIO_CODEC_E::NVT_AUDIO_G711A.0),
        sample_rates: NVT_AO_RATE_8000,
        channels: 1,
    }
}

struct Open {
    codec: NVT_AUDIO_CODEC_E,
    rate: u64,
    /// Playing clock: CLOCK_MONOTONIC when the sample numbered `base_samples` plays.
    base_us: Option<u64>,
    base_samples: u64,
    /// Samples accepted since Open.
    samples: u64,
    underruns: u32,
    /// The last samples played (for the level), at most a level window's.
    recent: VecDeque<i16>,
}

struct State {
    open: Option<Open>,
    volume: u32,
    /// The recording (board option `speaker_file`), kept open from Init.
    file: Option<File>,
}

pub struct Speaker {
    state: Mutex<State>,
}

impl Speaker {
    /// A speaker recording to `record` (appending) if given. A file that cannot be opened is
    /// an error at Init, with the reason.
    pub fn new(record: Option<&Path>) -> Result<Speaker, String> {
        let file = match record {
            Some(p) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("speaker_file {}: {e}", p.display()))?,
            ),
            None => None,
        };
        Ok(Speaker {
            state: Mutex::new(State {
                open: None,
                volume: 100,
                file,
            }),
        })
    }

    pub fn open(&self, attr: NVT_AO_ATTR_S) -> Result<(), i32> {
        let c = caps();
        if attr.codec.0 >= 32 || c.codecs & (1 << attr.codec.0) == 0 || attr.sample_rate != 8000 {
            return Err(NVT_ERR_NOT_SUPPORTED);
        }
        let mut s = super::lock(&self.state);
        if s.open.is_some() {
            return Err(NVT_ERR_BUSY);
        }
        s.open = Some(Open {
            codec: attr.codec,
            rate: u64::from(attr.sample_rate),
            base_us: None,
            base_samples: 0,
            samples: 0,
            underruns: 0,
            recent: VecDeque::new(),
        });
        Ok(())
    }

    pub fn close(&self) {
        super::lock(&self.state).open = None;
    }

    pub fn set_volume(&self, volume: u32) -> Result<(), i32> {
        if volume > 100 {
            return Err(NVT_ERR_INVALID_ARG);
        }
        super::lock(&self.state).volume = volume;
        Ok(())
    }

    /// Decodes and plays `data` at `now_us` (CLOCK_MONOTONIC).
    pub fn write_at(&self, data: &[u8], now_us: u64) -> Result<(), i32> {
        let mut guard = super::lock(&self.state);
        let State { open, volume, file } = &mut *guard;
        let Some(o) = open.as_mut() else {
            return Err(NVT_ERR_STOPPED);
        };
        if data.is_empty() {
            return Ok(());
        }
        // Where the playing clock is: samples played since the base.
        let played = match o.base_us {
            None => {
                o.base_us = Some(now_us);
                o.base_samples = o.samples;
                o.samples
            }
            Some(base) => o.base_samples + now_us.saturating_sub(base) * o.rate / 1_000_000,
        };
        if played > o.samples {
            // Ran dry before this write: a gap in the sound; play on from now.
            o.underruns += 1;
            o.base_us = Some(now_us);
            o.base_samples = o.samples;
        }
        let queued = o.samples.saturating_sub(played.min(o.samples));
        let room = (o.rate * BUFFER_MS / 1000).saturating_sub(queued);
        let take = data.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let decode = if o.codec == NVT_AUDIO_CODEC_E::NVT_AUDIO_G711A {
            g711::alaw_to_linear
        } else {
            g711::ulaw_to_linear
        };
        let vol = i32::try_from(*volume).unwrap_or(100);
        let mut pcm = Vec::with_capacity(take * 2);
        let window = usize::try_from(o.rate * LEVEL_WINDOW_MS / 1000).unwrap_or(800);
        for &b in &data[..take] {
            let v = (i32::from(decode(b)) * vol / 100) as i16;
            pcm.extend_from_slice(&v.to_le_bytes());
            if o.recent.len() >= window {
                o.recent.pop_front();
            }
            o.recent.push_back(v);
        }
        o.samples += take as u64;
        if let Some(f) = file.as_mut() {
            // A full disk loses the recording, never the call: the speaker plays on.
            let _ = f.write_all(&pcm);
        }
        Ok(())
    }

    pub fn status(&self) -> NVT_AO_STATUS_S {
        let s = super::lock(&self.state);
        let mut st = NVT_AO_STATUS_S {
            volume: s.volume,
            ..Default::default()
        };
        if let Some(o) = &s.open {
            let peak = o
                .recent
                .iter()
                .map(|v| i32::from(*v).unsigned_abs())
                .max()
                .unwrap_or(0);
            st.open = 1;
            st.level = (peak * 100 / 32768).min(100);
            st.samples = o.samples;
            st.underruns = o.underruns;
        }
        st
    }

    pub fn write(&self, data: &[u8]) -> Result<(), i32> {
        self.write_at(data, mono_us())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(codec: NVT_AUDIO_CODEC_E) -> NVT_AO_ATTR_S {
        NVT_AO_ATTR_S {
            codec,
            sample_rate: 8000,
        }
    }

    #[test]
    fn decodes_records_and_reports_the_level() {
        let dir = std::env::temp_dir().join(format!("nvt-speaker-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let sp = Speaker::new(Some(&dir)).unwrap();
        assert_eq!(sp.write(&[0]), Err(NVT_ERR_STOPPED));
        sp.open(attr(NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U)).unwrap();
        assert_eq!(
            sp.open(attr(NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U)),
            Err(NVT_ERR_BUSY)
        );
        // Full scale, then silence: the level is the peak of the last 100 ms.
        sp.write_at(&[0x80, 0x00, 0xFF], 1_000_000).unwrap();
        let st = sp.status();
        assert_eq!((st.open, st.samples, st.level, st.volume), (1, 3, 98, 100));
        sp.set_volume(50).unwrap();
        sp.write_at(&[0x80], 1_000_100).unwrap();
        let bytes = std::fs::read(&dir).unwrap();
        let pcm: Vec<i16> = bytes
            .chunks(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(pcm, [32124, -32124, 0, 16062]);
        sp.close();
        assert_eq!(sp.status().open, 0);
        assert_eq!(sp.status().volume, 50, "the volume outlives the channel");
        // A-law.
        sp.open(attr(NVT_AUDIO_CODEC_E::NVT_AUDIO_G711A)).unwrap();
        sp.set_volume(100).unwrap();
        sp.write_at(&[0xD5], 0).unwrap();
        let bytes = std::fs::read(&dir).unwrap();
        assert_eq!(&bytes[bytes.len() - 2..], &8i16.to_le_bytes());
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn a_late_talker_underruns_and_a_flood_is_cut_at_the_buffer() {
        let sp = Speaker::new(None).unwrap();
        assert_eq!(
            sp.open(NVT_AO_ATTR_S {
                codec: NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U,
                sample_rate: 16000
            }),
            Err(NVT_ERR_NOT_SUPPORTED)
        );
        sp.open(attr(NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U)).unwrap();
        // 20 ms at t = 0, the next 20 ms at t = 20 ms: on time.
        sp.write_at(&[0xFF; 160], 0).unwrap();
        sp.write_at(&[0xFF; 160], 20_000).unwrap();
        assert_eq!(sp.status().underruns, 0);
        // Nothing for 100 ms: ran dry.
        sp.write_at(&[0xFF; 160], 140_000).unwrap();
        assert_eq!(sp.status().underruns, 1);
        // 3 s at once: a second is kept, the rest dropped.
        sp.write_at(&[0xFF; 24_000], 140_000).unwrap();
        assert_eq!(sp.status().samples, 480 + 8000 - 160);
    }
}
