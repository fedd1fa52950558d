//! The board's speakers (`NVT_AO_*`, contract version 5): caps, one open channel per talker
//! (closed when its handle drops), encoded writes the SDK decodes, volume and a read-back of
//! the level. The RTSP back channel (`rtsp::talk`) is the one user.

use sdk_sys as ffi;

use super::{AudioCodec, Sdk, SdkError, check};

/// What the board's speakers take; `outputs` 0: no speaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioOutCaps {
    pub outputs: u32,
    codecs: u32,
    sample_rates: u32,
}

impl AudioOutCaps {
    pub const NONE: AudioOutCaps = AudioOutCaps {
        outputs: 0,
        codecs: 0,
        sample_rates: 0,
    };

    /// `outputs` speakers decoding G.711 µ-law and A-law at 8000 Hz, as the simulator's
    /// (for tests of what is built from the caps).
    pub fn g711(outputs: u32) -> AudioOutCaps {
        AudioOutCaps {
            outputs,
            codecs: (1 << ffi::NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U.0)
                | (1 << ffi::NVT_AUDIO_CODEC_E::NVT_AUDIO_G711A.0),
            sample_rates: ffi::NVT_AO_RATE_8000,
        }
    }

    /// The G.711 codecs the speakers decode at 8000 Hz (what the back channel offers).
    pub fn g711_codecs(&self) -> Vec<AudioCodec> {
        [AudioCodec::G711Ulaw, AudioCodec::G711Alaw]
            .into_iter()
            .filter(|c| self.decodes(*c))
            .collect()
    }

    /// Whether the speakers decode `codec` at 8000 Hz (G.711's only rate).
    pub fn decodes(&self, codec: AudioCodec) -> bool {
        self.outputs > 0
            && self.codecs & (1 << codec.to_ffi().0) != 0
            && self.sample_rates & ffi::NVT_AO_RATE_8000 != 0
    }
}

/// A speaker's state, as the SDK reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioOutStatus {
    pub open: bool,
    pub volume: u32,
    /// Peak of the last 100 ms played, 0..100.
    pub level: u32,
    /// Samples played since the channel was opened.
    pub samples: u64,
    pub underruns: u32,
}

/// An open speaker channel; closed when dropped.
pub struct AudioOut {
    sdk: Sdk,
    ao: u32,
}

impl std::fmt::Debug for AudioOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AudioOut({})", self.ao)
    }
}

impl Sdk {
    pub fn audio_out_caps(&self) -> Result<AudioOutCaps, SdkError> {
        let mut c = ffi::NVT_AO_CAPS_S::default();
        // SAFETY: `c` is a valid, writable struct of the type the function fills.
        check("NVT_AO_GetCaps", unsafe { ffi::NVT_AO_GetCaps(&mut c) })?;
        Ok(AudioOutCaps {
            outputs: c.output_count.min(ffi::NVT_AO_MAX_OUTPUTS),
            codecs: c.codecs,
            sample_rates: c.sample_rates,
        })
    }

    /// Opens speaker `ao` for `codec` at 8000 Hz.
    pub fn open_audio_out(&self, ao: u32, codec: AudioCodec) -> Result<AudioOut, SdkError> {
        let attr = ffi::NVT_AO_ATTR_S {
            codec: codec.to_ffi(),
            sample_rate: 8000,
        };
        // SAFETY: `attr` is a valid struct that lives across the call.
        check("NVT_AO_Open", unsafe { ffi::NVT_AO_Open(ao, &attr) })?;
        Ok(AudioOut {
            sdk: self.clone(),
            ao,
        })
    }

    pub fn set_audio_out_volume(&self, ao: u32, volume: u32) -> Result<(), SdkError> {
        // SAFETY: plain value arguments.
        check("NVT_AO_SetVolume", unsafe {
            ffi::NVT_AO_SetVolume(ao, volume)
        })
    }

    pub fn audio_out_status(&self, ao: u32) -> Result<AudioOutStatus, SdkError> {
        let mut s = ffi::NVT_AO_STATUS_S::default();
        // SAFETY: `s` is a valid, writable struct of the type the function fills.
        check("NVT_AO_GetStatus", unsafe {
            ffi::NVT_AO_GetStatus(ao, &mut s)
        })?;
        Ok(AudioOutStatus {
            open: s.open != 0,
            volume: s.volume,
            level: s.level,
            samples: s.samples,
            underruns: s.underruns,
        })
    }
}

impl AudioOut {
    /// Queues encoded audio for playing (G.711: one byte a sample); returns once the SDK has
    /// copied it.
    pub fn write(&self, data: &[u8]) -> Result<(), SdkError> {
        // An RTP payload is at most 64 KiB: always fits.
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        // SAFETY: `data` is readable for `len` bytes for the duration of the call; the SDK
        // copies what it keeps.
        check("NVT_AO_Write", unsafe {
            ffi::NVT_AO_Write(self.ao, data.as_ptr(), len)
        })
    }

    pub fn status(&self) -> Result<AudioOutStatus, SdkError> {
        self.sdk.audio_out_status(self.ao)
    }
}

impl Drop for AudioOut {
    fn drop(&mut self) {
        // SAFETY: plain value argument; closing is idempotent per the contract.
        let rc = unsafe { ffi::NVT_AO_Close(self.ao) };
        if rc != 0 {
            tracing::warn!(error = %SdkError::new("NVT_AO_Close", rc), "closing the speaker");
        }
    }
}
