//! The shell of the tamper detector: reads one video source's picture statistics at
//! [`SAMPLE_PERIOD`], each read on tokio's blocking pool (an SDK call never runs on an async
//! worker), feeds the [`Detector`] and reports its changes.

use std::time::Duration;

use super::detector::{Change, Config, Detector};
use crate::sdk::{ErrorCode, Sdk};

/// How often the statistics are read: 4 Hz, so a one-second hold is four pictures, and the
/// cost (one statistics pass per read, under a millisecond at 720p in the simulator;
/// sdk-sys/README.md "Measured") stays small.
pub const SAMPLE_PERIOD: Duration = Duration::from_millis(250);

/// What the sampler tells its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// The first statistics arrived: the source is watched, every condition clear.
    Watching,
    /// A condition was raised or cleared.
    Changed(Change),
}

/// The sampling task of one video source; stops when dropped.
pub struct TamperMonitor {
    task: tokio::task::JoinHandle<()>,
}

impl TamperMonitor {
    /// Starts watching source `vi`. A source without statistics (the SDK answers
    /// `NotSupported`: a replayed recording, a SoC without them) is logged once and reports
    /// nothing; `Timeout` (no picture yet, e.g. a V4L2 device before its first frame) is
    /// asked again.
    pub fn start(
        sdk: Sdk,
        vi: u32,
        config: Config,
        mut report: impl FnMut(Report) + Send + 'static,
    ) -> TamperMonitor {
        let task = tokio::spawn(async move {
            let mut detector = Detector::new(config);
            let mut watching = false;
            let mut errors = 0u64;
            let mut tick = tokio::time::interval(SAMPLE_PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let sdk = sdk.clone();
                let Ok(read) = tokio::task::spawn_blocking(move || sdk.isp_stats(vi)).await else {
                    return;
                };
                match read {
                    Ok(stats) => {
                        if !watching {
                            watching = true;
                            tracing::info!(vi, "tamper detection watching");
                            report(Report::Watching);
                        }
                        let changes = detector.update(&stats, stats.pts);
                        let m = detector.measures();
                        tracing::debug!(
                            vi,
                            seq = stats.seq,
                            black = m.black,
                            white = m.white,
                            changed = ?m.changed,
                            sharpness = ?m.sharpness,
                            focus = ?stats.focus,
                            "tamper measures"
                        );
                        for change in changes {
                            tracing::info!(
                                vi,
                                condition = ?change.condition,
                                raised = change.raised,
                                "tamper condition changed"
                            );
                            report(Report::Changed(change));
                        }
                    }
                    Err(e) if e.code == ErrorCode::NotSupported => {
                        tracing::info!(vi, error = %e, "no picture statistics: no tamper detection for this source");
                        return;
                    }
                    Err(e) if e.code == ErrorCode::Timeout => {}
                    Err(e) => {
                        if errors.is_multiple_of(100) {
                            tracing::warn!(vi, error = %e, "picture statistics failed; retrying");
                        }
                        errors += 1;
                    }
                }
            }
        });
        TamperMonitor { task }
    }
}

impl TamperMonitor {
    /// Stops sampling and returns once the task, and what it holds (the event broker, whose
    /// clock reads the settings store), is gone: a restart that opens the state directory
    /// again right after must not find it still held (a dropped monitor's task is cancelled
    /// only when the runtime next gets to it).
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for TamperMonitor {
    fn drop(&mut self) {
        // A read in flight on the blocking pool finishes on its own (it holds its own `Sdk`
        // clone, so the SDK outlives it).
        self.task.abort();
    }
}
