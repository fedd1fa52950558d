//! The shell of the tamper detector: reads one video source's picture statistics and its
//! PTZ head's status at [`SAMPLE_PERIOD`], each read on tokio's blocking pool (an SDK call
//! never runs on an async worker), feeds the [`Detector`] and reports its changes.

use std::time::Duration;

use super::detector::{Change, Config, Detector};
use crate::sdk::{ErrorCode, PtzState, PtzStatus, PtzVector, Sdk};

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
            let mut head = Head::default();
            let mut tick = tokio::time::interval(SAMPLE_PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let sdk = sdk.clone();
                let ask_head = head.present;
                let Ok((read, status)) = tokio::task::spawn_blocking(move || {
                    let status = ask_head.then(|| sdk.ptz_status(vi));
                    (sdk.isp_stats(vi), status)
                })
                .await
                else {
                    return;
                };
                let moved = head.moved(status);
                match read {
                    Ok(stats) => {
                        if !watching {
                            watching = true;
                            tracing::info!(vi, "tamper detection watching");
                            report(Report::Watching);
                        }
                        if moved {
                            detector.head_moved(stats.pts);
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

/// What the sampler knows of the source's PTZ head, to tell a move someone asked for from a
/// camera turned by hand ([`Detector::head_moved`]).
#[derive(Debug)]
struct Head {
    /// False once the SDK said there is no head to ask about: not asked again.
    present: bool,
    /// The position at the last read.
    last: Option<PtzVector>,
}

impl Default for Head {
    fn default() -> Head {
        Head {
            present: true,
            last: None,
        }
    }
}

impl Head {
    /// Whether the head moved since the last read: it says it is moving, or its position
    /// changed (a move quicker than the sampling period ends between two reads).
    fn moved(&mut self, status: Option<Result<PtzStatus, crate::sdk::SdkError>>) -> bool {
        match status {
            None => false,
            Some(Ok(s)) => {
                let moving = s.pan_tilt == PtzState::Moving || s.zoom == PtzState::Moving;
                let changed = self.last.is_some_and(|p| p != s.position);
                self.last = Some(s.position);
                moving || changed
            }
            Some(Err(e)) if e.code == ErrorCode::NotSupported => {
                self.present = false;
                false
            }
            // A read that failed tells nothing; the next one will.
            Some(Err(_)) => false,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::SdkError;

    fn status(pan: i32, state: PtzState) -> Option<Result<PtzStatus, SdkError>> {
        Some(Ok(PtzStatus {
            position: PtzVector {
                pan,
                tilt: 0,
                zoom: 100,
            },
            pan_tilt: state,
            zoom: PtzState::Idle,
            error: None,
        }))
    }

    #[test]
    fn a_head_moved_when_it_says_so_or_its_position_changed() {
        let mut h = Head::default();
        assert!(!h.moved(status(0, PtzState::Idle)), "the first read");
        assert!(!h.moved(status(0, PtzState::Idle)));
        assert!(h.moved(status(0, PtzState::Moving)));
        assert!(h.moved(status(9000, PtzState::Idle)), "ended between reads");
        assert!(!h.moved(status(9000, PtzState::Idle)));
        assert!(!h.moved(None));
        assert!(h.present);
    }
}
