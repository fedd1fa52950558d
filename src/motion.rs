//! Motion state of each video source: the SDK's per-frame results, debounced into state
//! changes (so one noisy frame raises no event and a steady state raises none at all).
//!
//! [`Debouncer`] is the pure core; [`MotionMonitor`] is the thread that feeds it from the
//! SDK and hands each change to a callback (the event broker, and the log).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::sdk::{ErrorCode, Sdk};

/// Turns a stream of per-frame motion flags into debounced state changes.
///
/// A change is reported once the new state has held for `hold`, measured on the frames'
/// capture clock (not on when we happen to read them), so the outcome is deterministic for
/// a given stream of results.
#[derive(Debug)]
pub(crate) struct Debouncer {
    hold: Duration,
    state: bool,
    /// Capture time of the first result that disagreed with `state`, while they disagree.
    pending_since: Option<Duration>,
}

impl Debouncer {
    pub(crate) fn new(hold: Duration) -> Debouncer {
        Debouncer {
            hold,
            state: false,
            pending_since: None,
        }
    }

    #[cfg(test)]
    pub fn state(&self) -> bool {
        self.state
    }

    /// Feeds one result; returns the new state when it changes.
    pub(crate) fn update(&mut self, motion: bool, pts: Duration) -> Option<bool> {
        if motion == self.state {
            self.pending_since = None;
            return None;
        }
        let since = *self.pending_since.get_or_insert(pts);
        if pts.saturating_sub(since) >= self.hold {
            self.state = motion;
            self.pending_since = None;
            return Some(motion);
        }
        None
    }
}

/// A debounced motion change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MotionChange {
    pub(crate) vi: u32,
    pub(crate) motion: bool,
    /// Capture time of the frame that completed the change.
    pub(crate) wallclock: SystemTime,
    pub(crate) pts: Duration,
}

/// How long one `NVT_MD_GetResult` waits, which bounds how long stopping takes.
const RESULT_TIMEOUT: Duration = Duration::from_millis(200);

/// The thread that watches one video source's motion results.
pub(crate) struct MotionMonitor {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MotionMonitor {
    pub(crate) fn start(
        sdk: Sdk,
        vi: u32,
        hold: Duration,
        mut on_change: impl FnMut(MotionChange) + Send + 'static,
    ) -> std::io::Result<MotionMonitor> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new().name(format!("motion{vi}")).spawn({
            let stop = stop.clone();
            move || {
                let mut debouncer = Debouncer::new(hold);
                let mut errors = 0u64;
                while !stop.load(Ordering::Acquire) {
                    match sdk.motion_result(vi, RESULT_TIMEOUT) {
                        Ok(r) => {
                            if let Some(motion) = debouncer.update(r.motion, r.pts) {
                                on_change(MotionChange { vi, motion, wallclock: r.wallclock, pts: r.pts });
                            }
                        }
                        // Timeout: detection disabled or the sensor idle; ask again.
                        Err(e) if e.code == ErrorCode::Timeout => {}
                        Err(e) => {
                            if errors.is_multiple_of(100) {
                                tracing::warn!(vi, error = %e, "motion detection error; retrying");
                            }
                            errors += 1;
                            std::thread::sleep(RESULT_TIMEOUT);
                        }
                    }
                }
            }
        })?;
        Ok(MotionMonitor {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for MotionMonitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_short_blip_raises_nothing() {
        let mut d = Debouncer::new(ms(200));
        assert_eq!(d.update(true, ms(0)), None);
        assert_eq!(d.update(true, ms(100)), None);
        assert_eq!(d.update(false, ms(150)), None);
        assert_eq!(d.update(true, ms(300)), None);
        assert!(!d.state());
    }

    #[test]
    fn a_held_change_is_reported_once() {
        let mut d = Debouncer::new(ms(200));
        let changes: Vec<_> = (0..10)
            .filter_map(|i| d.update(true, ms(i * 100)))
            .collect();
        assert_eq!(changes, vec![true]);
        let changes: Vec<_> = (10..20)
            .filter_map(|i| d.update(false, ms(i * 100)))
            .collect();
        assert_eq!(changes, vec![false]);
    }

    #[test]
    fn zero_hold_follows_every_change() {
        let mut d = Debouncer::new(Duration::ZERO);
        assert_eq!(d.update(true, ms(0)), Some(true));
        assert_eq!(d.update(true, ms(1)), None);
        assert_eq!(d.update(false, ms(2)), Some(false));
    }
}
