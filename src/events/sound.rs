//! Sound detection: `tns1:AudioAnalytics/Audio/DetectedSound` from the microphone's level
//! (`Sdk::audio_level`, `NVT_AI_GetLevel`: dBFS of the last 100 ms), sampled every
//! [`SAMPLE_PERIOD`] against the threshold of `events.sound` (settings), with hysteresis.
//!
//! The message is the Analytics spec's (doc/Analytics.xml, "Audio Detected"): not a property
//! (`IsProperty="false"`), Source `AudioSourceConfigurationToken`, Data `isSoundDetected`
//! (the spec's spelling), sent when the state changes. The spec's other items
//! (AudioAnalyticsConfigurationToken, Rule, UTCTime, AudioClassifications) are left out:
//! there is no audio analytics configuration or rule on this device, and the message's own
//! UtcTime says when. Reading the level records nothing, so it runs with the microphone's
//! audio tracks off (docs/settings.md "Audio").

use std::sync::Arc;
use std::time::Duration;

use super::Broker;
use super::topics::DETECTED_SOUND;
use crate::sdk::{ErrorCode, Sdk};

/// How often the level is read: half the SDK's 100 ms window, so a 100 ms sound is seen.
pub const SAMPLE_PERIOD: Duration = Duration::from_millis(50);

/// The detector: sound when the level reaches `threshold_dbfs`; silence again once it stays
/// `hysteresis_db` below that for `hold` (so one quiet sample inside a sound, or noise at
/// the threshold, does not toggle the event).
#[derive(Clone, Debug)]
pub(crate) struct Detector {
    threshold_dbfs: i32,
    hysteresis_db: i32,
    hold: Duration,
    detected: bool,
    /// Since when the level has been below the release level, while detected.
    quiet_for: Duration,
}

/// How far below the threshold the level must fall to count as quiet.
pub(crate) const HYSTERESIS_DB: i32 = 6;
/// How long it must stay there.
pub(crate) const HOLD: Duration = Duration::from_millis(200);

impl Detector {
    pub(crate) fn new(threshold_dbfs: i32) -> Detector {
        Detector {
            threshold_dbfs,
            hysteresis_db: HYSTERESIS_DB,
            hold: HOLD,
            detected: false,
            quiet_for: Duration::ZERO,
        }
    }

    /// One sample, `dt` after the previous one; the new state when it changes.
    pub(crate) fn update(&mut self, level_dbfs: i32, dt: Duration) -> Option<bool> {
        if !self.detected {
            if level_dbfs >= self.threshold_dbfs {
                self.detected = true;
                self.quiet_for = Duration::ZERO;
                return Some(true);
            }
            return None;
        }
        if level_dbfs < self.threshold_dbfs - self.hysteresis_db {
            self.quiet_for += dt;
            if self.quiet_for >= self.hold {
                self.detected = false;
                return Some(false);
            }
        } else {
            self.quiet_for = Duration::ZERO;
        }
        None
    }
}

/// The sampling task of one audio input; stops when dropped.
pub(crate) struct SoundMonitor {
    task: tokio::task::JoinHandle<()>,
}

impl SoundMonitor {
    /// Watches audio input `input` for the audio source configuration `token`. An input the
    /// SDK has no level for (`NotSupported`) is logged once and reports nothing.
    pub(crate) fn start(
        sdk: Sdk,
        input: u32,
        token: String,
        threshold_dbfs: i32,
        broker: Arc<Broker>,
    ) -> SoundMonitor {
        let task = tokio::spawn(async move {
            let mut detector = Detector::new(threshold_dbfs);
            let mut tick = tokio::time::interval(SAMPLE_PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut errors = 0u64;
            loop {
                tick.tick().await;
                let sdk = sdk.clone();
                let Ok(read) = tokio::task::spawn_blocking(move || sdk.audio_level(input)).await
                else {
                    return;
                };
                match read {
                    Ok(level) => {
                        if let Some(detected) = detector.update(level, SAMPLE_PERIOD) {
                            tracing::debug!(input, level, detected, "sound detection");
                            broker.publish(
                                DETECTED_SOUND,
                                vec![token.clone()],
                                vec![detected.to_string()],
                            );
                        }
                    }
                    Err(e) if e.code == ErrorCode::NotSupported => {
                        tracing::info!(input, error = %e, "no sound level: no sound detection");
                        return;
                    }
                    Err(e) => {
                        if errors.is_multiple_of(100) {
                            tracing::warn!(input, error = %e, "sound level failed; retrying");
                        }
                        errors += 1;
                    }
                }
            }
        });
        SoundMonitor { task }
    }

    /// Stops sampling and returns once the task (and the broker it holds) is gone.
    pub(crate) async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for SoundMonitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: Duration = SAMPLE_PERIOD;

    /// A beep (the simulator's: 100 ms at each second) raises it at once; it clears only
    /// after HOLD below threshold minus hysteresis, and a level in the hysteresis band or a
    /// short dip keeps it.
    #[test]
    fn raised_at_the_threshold_cleared_after_a_quiet_hold() {
        let mut d = Detector::new(-40);
        assert_eq!(d.update(-96, DT), None);
        assert_eq!(d.update(-41, DT), None);
        assert_eq!(d.update(-40, DT), Some(true));
        assert_eq!(d.update(-10, DT), None);
        // In the band (-46..-40): still sound, however long.
        for _ in 0..20 {
            assert_eq!(d.update(-45, DT), None);
        }
        // A dip shorter than HOLD, then sound again.
        for _ in 0..3 {
            assert_eq!(d.update(-96, DT), None);
        }
        assert_eq!(d.update(-20, DT), None);
        // Quiet for HOLD: cleared once.
        let steps = (HOLD.as_millis() / DT.as_millis()) as usize;
        for _ in 1..steps {
            assert_eq!(d.update(-96, DT), None);
        }
        assert_eq!(d.update(-96, DT), Some(false));
        assert_eq!(d.update(-96, DT), None);
    }
}
