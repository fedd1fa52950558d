//! AAC-LC for the simulated microphone: raw access units (ISO/IEC 14496-3 raw_data_block,
//! no ADTS header) of 1024 samples of the [`super::tone`] signal, encoded by `rusty_aac`
//! (pure Rust; sdk-sys/README.md, "Audio in", says why this crate and what it costs).
//!
//! Access unit `k` of a channel is the MDCT of samples `1024 k .. 1024 (k + 2)`, so an
//! AAC decoder's output for it is samples `1024 k .. 1024 (k + 1)`: its PTS is the capture
//! time of sample `1024 k`, as for G.711, and it becomes available one frame later (the
//! encoder's look-ahead, 64 ms at 16 kHz, as a real SoC's AAC encoder has).
//!
//! The crate encodes a whole buffer at a time, choosing each frame's window sequence
//! (long, or eight short blocks around an onset, ISO/IEC 14496-3 4.5.2.3) from its
//! neighbours. The signal is a pure function of the sample index, so a channel encodes
//! [`CHUNK`] access units at once with [`MARGIN`] frames of real signal either side: the
//! decisions for the frames kept are then those of one continuous stream, and the units
//! of consecutive chunks fit together (the unit test checks them byte for byte against
//! one long encode).

use rusty_aac::{AacEncoder, AacEncoderConfig};

use super::clock::Clock;
use super::tone;

/// Samples per access unit (AAC-LC's frame length).
pub const FRAME_SAMPLES: u32 = 1024;
/// Sample rates offered: the microphone's 8 kHz and 16 kHz wideband speech.
pub const RATES: [u32; 2] = [8000, 16000];
/// Bitrates accepted, kb/s. 8 kb/s per channel is the least the rate loop fits a beep
/// into; a frame holds at most 6144 bits per channel (ISO/IEC 14496-3 4.5.3.1), which at
/// 8 kHz is 48 kb/s: asked for more, the encoder stays below that.
pub const BITRATE_KBPS: (u32, u32) = (16, 64);
/// Access units encoded per call: 1 s at 16 kHz.
const CHUNK: u64 = 16;
/// Frames of context either side of a chunk. A frame's window sequence depends on the
/// transient flags of its neighbours up to two frames away, and the transient detector's
/// running energy average forgets within a frame.
const MARGIN: u64 = 3;

/// One channel's encoder state: the last chunk of access units.
#[derive(Default)]
pub struct AacChannel {
    key: Option<(u32, u32)>,
    first: u64,
    aus: Vec<Vec<u8>>,
}

impl AacChannel {
    /// Access unit `k` of the signal at `rate` Hz and `kbps`.
    pub fn au(&mut self, clock: &Clock, rate: u32, kbps: u32, k: u64) -> Vec<u8> {
        let key = Some((rate, kbps));
        if self.key != key || k < self.first || k >= self.first + self.aus.len() as u64 {
            self.key = key;
            self.first = k;
            self.aus = encode(clock, rate, kbps, k, CHUNK);
        }
        self.aus[(k - self.first) as usize].clone()
    }
}

/// Access units `first .. first + count`.
fn encode(clock: &Clock, rate: u32, kbps: u32, first: u64, count: u64) -> Vec<Vec<u8>> {
    let frame = i64::from(FRAME_SAMPLES);
    // The buffer starts MARGIN frames before the first unit's samples; the encoder's block
    // b is the MDCT of buffer samples 1024 (b - 1) .. 1024 (b + 1), so unit `first` is
    // block MARGIN + 1.
    let start = (first as i64 - MARGIN as i64) * frame;
    let end = (first + count + MARGIN + 1) as i64 * frame;
    let pcm: Vec<f32> = (start..end)
        .map(|n| {
            // Before Init the microphone was not capturing: silence.
            u64::try_from(n).map_or(0.0, |n| {
                f32::from(tone::sample_at(clock, n, rate)) / 32768.0
            })
        })
        .collect();
    let mut enc = AacEncoder::new(AacEncoderConfig {
        bitrate_bps: kbps * 1000,
        ..AacEncoderConfig::default()
    });
    // The rate is one of RATES (checked at CreateChn) and the channel mono: cannot fail.
    if enc.push_pcm(&pcm, 1, rate).is_err() {
        return vec![Vec::new(); count as usize];
    }
    enc.finish();
    std::iter::from_fn(|| enc.next_packet().ok())
        .skip(MARGIN as usize + 1)
        .take(count as usize)
        .map(|p| p.data)
        .collect()
}

/// The AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) of a mono AAC-LC stream at `rate`.
pub fn audio_specific_config(rate: u32) -> Vec<u8> {
    rusty_aac::audio_specific_config_bytes(rate, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock {
            mono0: 5_000_000,
            // Init 0.3 s into a second: the chunks cut beeps anywhere.
            utc0: 1_000_300_000,
        }
    }

    #[test]
    fn chunks_fit_together_as_one_stream() {
        let c = clock();
        let mut ch = AacChannel::default();
        let aus: Vec<Vec<u8>> = (0..40).map(|k| ch.au(&c, 16000, 32, k)).collect();
        // One long encode of the same samples (silence before Init), starting at unit 0.
        let whole = encode(&c, 16000, 32, 0, 40);
        assert_eq!(aus.len(), whole.len());
        for (k, (a, w)) in aus.iter().zip(&whole).enumerate() {
            assert_eq!(a, w, "unit {k} differs from the continuous stream");
        }
        // A channel asked out of order (a slow caller skipping) encodes the same units.
        let mut late = AacChannel::default();
        assert_eq!(late.au(&c, 16000, 32, 21), aus[21]);
        assert_eq!(late.au(&c, 16000, 32, 22), aus[22]);
        // Silence is a few bytes; a beep's frames carry it.
        assert!(aus.iter().any(|a| a.len() < 16));
        assert!(aus.iter().any(|a| a.len() > 100));
    }

    #[test]
    fn the_config_is_aac_lc_mono_at_the_rate() {
        // object type 2 (5 bits), sampling frequency index 8 (16 kHz) / 11 (8 kHz), 1 channel.
        assert_eq!(audio_specific_config(16000), [0x14, 0x08]);
        assert_eq!(audio_specific_config(8000), [0x15, 0x88]);
    }
}
