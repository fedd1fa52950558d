//! A boolean condition with hysteresis and hold times: what keeps a picture on the edge of a
//! threshold from flapping between raised and cleared.

use std::time::Duration;

/// Where a sample stands against a condition's two thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Past the raise threshold: the condition holds.
    Raise,
    /// Between the two thresholds: no evidence either way, the state stays.
    Between,
    /// Past the clear threshold: the condition is gone.
    Clear,
}

/// One condition's state. Raised after samples at [`Level::Raise`] for `raise_hold`
/// without a break, cleared after samples at [`Level::Clear`] for `clear_hold`; a sample
/// elsewhere restarts the count. Times are the samples' capture times, so the outcome is a
/// function of the samples alone.
#[derive(Clone, Debug)]
pub struct Latch {
    raise_hold: Duration,
    clear_hold: Duration,
    raised: bool,
    /// Time of the first sample of the current run toward the other state.
    pending_since: Option<Duration>,
}

impl Latch {
    pub fn new(raise_hold: Duration, clear_hold: Duration) -> Latch {
        Latch {
            raise_hold,
            clear_hold,
            raised: false,
            pending_since: None,
        }
    }

    pub fn raised(&self) -> bool {
        self.raised
    }

    /// Whether a change of state is under way (the run has begun, its hold not yet over).
    pub fn pending(&self) -> bool {
        self.pending_since.is_some()
    }

    /// Feeds one sample taken at `now`; returns the new state when it changes.
    pub fn update(&mut self, level: Level, now: Duration) -> Option<bool> {
        let toward = match (self.raised, level) {
            (false, Level::Raise) => true,
            (true, Level::Clear) => false,
            _ => {
                self.pending_since = None;
                return None;
            }
        };
        let since = *self.pending_since.get_or_insert(now);
        let hold = if toward {
            self.raise_hold
        } else {
            self.clear_hold
        };
        if now.saturating_sub(since) >= hold {
            self.raised = toward;
            self.pending_since = None;
            return Some(toward);
        }
        None
    }

    /// Ends any run under way without changing the state (a sample that cannot be judged).
    pub fn interrupt(&mut self) {
        self.pending_since = None;
    }

    /// Clears the state at once (its reference was replaced), returning `Some(false)` if it
    /// was raised.
    pub fn reset(&mut self) -> Option<bool> {
        self.pending_since = None;
        std::mem::replace(&mut self.raised, false).then_some(false)
    }
}

/// The level of `value` against a condition raised at or above `raise` and cleared below
/// `clear` (`clear <= raise`).
pub fn above(value: u32, raise: u32, clear: u32) -> Level {
    if value >= raise {
        Level::Raise
    } else if value < clear {
        Level::Clear
    } else {
        Level::Between
    }
}

/// The level of `value` against a condition raised at or below `raise` and cleared above
/// `clear` (`clear >= raise`).
pub fn below(value: u32, raise: u32, clear: u32) -> Level {
    if value <= raise {
        Level::Raise
    } else if value > clear {
        Level::Clear
    } else {
        Level::Between
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn raised_after_the_hold_and_cleared_after_its_own() {
        let mut l = Latch::new(ms(1000), ms(500));
        assert_eq!(l.update(Level::Raise, ms(0)), None);
        assert!(l.pending());
        assert_eq!(l.update(Level::Raise, ms(750)), None);
        assert_eq!(l.update(Level::Raise, ms(1000)), Some(true));
        assert_eq!(l.update(Level::Raise, ms(1250)), None, "once");
        assert_eq!(l.update(Level::Clear, ms(1500)), None);
        assert_eq!(l.update(Level::Clear, ms(2000)), Some(false));
        assert!(!l.raised() && !l.pending());
    }

    #[test]
    fn a_sample_between_the_thresholds_restarts_the_run_and_keeps_the_state() {
        let mut l = Latch::new(ms(1000), ms(1000));
        assert_eq!(l.update(Level::Raise, ms(0)), None);
        assert_eq!(l.update(Level::Between, ms(500)), None);
        assert!(!l.pending());
        assert_eq!(l.update(Level::Raise, ms(750)), None);
        assert_eq!(
            l.update(Level::Raise, ms(1500)),
            None,
            "the run began at 750"
        );
        assert_eq!(l.update(Level::Raise, ms(1750)), Some(true));
        // Between the thresholds a raised condition stays raised, however long.
        for t in 0..100 {
            assert_eq!(l.update(Level::Between, ms(2000 + t * 250)), None);
        }
        assert!(l.raised());
        // A raise sample does not clear it either.
        assert_eq!(l.update(Level::Raise, ms(30_000)), None);
        assert!(l.raised());
    }

    #[test]
    fn a_value_wobbling_across_one_threshold_does_not_flap() {
        // Raised at <= 40, cleared above 56 (the dark condition's mean-luma shape).
        let mut l = Latch::new(ms(1000), ms(1000));
        // 38, 43, 38, ...: every other sample is between the thresholds, so no run lasts.
        let wobble = |a, b| move |i: u64| if i.is_multiple_of(2) { a } else { b };
        let changes: Vec<_> = (0..200)
            .filter_map(|i| l.update(below(wobble(38, 43)(i), 40, 56), ms(i * 250)))
            .collect();
        assert!(changes.is_empty(), "{changes:?}");
        // Well dark: raised once.
        let changes: Vec<_> = (200..220)
            .filter_map(|i| l.update(below(20, 40, 56), ms(i * 250)))
            .collect();
        assert_eq!(changes, vec![true]);
        // Then around the clear threshold: 54, 59, 54, ... stays raised.
        let changes: Vec<_> = (220..420)
            .filter_map(|i| l.update(below(wobble(54, 59)(i), 40, 56), ms(i * 250)))
            .collect();
        assert!(changes.is_empty(), "{changes:?}");
        assert!(l.raised());
    }

    #[test]
    fn levels_and_reset() {
        assert_eq!(above(800, 800, 600), Level::Raise);
        assert_eq!(above(700, 800, 600), Level::Between);
        assert_eq!(above(599, 800, 600), Level::Clear);
        assert_eq!(below(40, 40, 56), Level::Raise);
        assert_eq!(below(56, 40, 56), Level::Between);
        assert_eq!(below(57, 40, 56), Level::Clear);
        let mut l = Latch::new(Duration::ZERO, Duration::ZERO);
        assert_eq!(l.reset(), None);
        assert_eq!(l.update(Level::Raise, ms(0)), Some(true));
        assert_eq!(l.reset(), Some(false));
        assert!(!l.raised());
    }
}
