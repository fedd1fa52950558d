//! The recent past of a stream whose every unit decodes alone (audio): the units of the
//! last `span` of capture time, so a new viewer can start at an instant in the past, the
//! instant of the cached IDR its video starts at (docs/rtsp.md, "Audio"). Without it the
//! viewer's sound begins now while its picture begins up to a GOP earlier, and a player
//! lining the two up by their sender reports plays the first second or two silent.
//!
//! The GOP cache (`super::gop`) cannot hold these: it keeps units since the last keyframe,
//! and every audio unit is one. Bounded twice: by the span (a GOP's worth, set by the
//! stream's owner) and by [`MAX_RECENT_UNITS`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::packing::Unit;

/// Most units kept whatever the span (15 s of 20 ms audio frames).
pub(crate) const MAX_RECENT_UNITS: usize = 750;

/// The units of the last `span` of capture time, oldest first.
pub(crate) struct Recent<U> {
    span: Duration,
    units: VecDeque<Arc<U>>,
}

impl<U> Default for Recent<U> {
    /// Keeps nothing (a span of zero): video and metadata streams.
    fn default() -> Self {
        Self {
            span: Duration::ZERO,
            units: VecDeque::new(),
        }
    }
}

impl<U: Unit> Recent<U> {
    /// Keeps the units of the last `span` from now on (zero: none).
    pub(crate) fn set_span(&mut self, span: Duration) {
        self.span = span;
        if span.is_zero() {
            self.units.clear();
        }
    }

    /// Whether it keeps anything (a span above zero).
    pub(crate) fn enabled(&self) -> bool {
        !self.span.is_zero()
    }

    /// Adds the stream's newest unit and forgets those older than the span before it. A
    /// unit without a capture time is not kept; one older than the newest kept (a source
    /// that restarted its clock) starts the ring again.
    pub(crate) fn push(&mut self, unit: &Arc<U>) {
        if self.span.is_zero() {
            return;
        }
        let Some(pts) = unit.pts() else {
            return;
        };
        if self
            .units
            .back()
            .and_then(|u| u.pts())
            .is_some_and(|last| last > pts)
        {
            self.units.clear();
        }
        self.units.push_back(unit.clone());
        while self.units.len() > MAX_RECENT_UNITS
            || self
                .units
                .front()
                .and_then(|u| u.pts())
                .is_some_and(|first| first + self.span < pts)
        {
            self.units.pop_front();
        }
    }

    /// The units captured at or after `from`, oldest first.
    pub(crate) fn since(&self, from: Duration) -> impl Iterator<Item = &Arc<U>> {
        self.units
            .iter()
            .filter(move |u| u.pts().is_some_and(|p| p >= from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct A(Duration);

    impl Unit for A {
        fn is_keyframe(&self) -> bool {
            true
        }
        fn size(&self) -> usize {
            1
        }
        fn pts(&self) -> Option<Duration> {
            Some(self.0)
        }
    }

    const FRAME: Duration = Duration::from_millis(20);

    fn pts(r: &Recent<A>, from: Duration) -> Vec<u128> {
        r.since(from).map(|u| u.0.as_millis()).collect()
    }

    #[test]
    fn keeps_the_span_and_hands_what_is_at_or_after_an_instant() {
        let mut r = Recent::default();
        r.push(&Arc::new(A(FRAME)));
        assert!(r.since(Duration::ZERO).next().is_none(), "off by default");
        r.set_span(Duration::from_millis(100));
        for i in 0..20 {
            r.push(&Arc::new(A(FRAME * i)));
        }
        // 380 ms is the newest: 280..=380 are within 100 ms of it.
        assert_eq!(pts(&r, Duration::ZERO), [280, 300, 320, 340, 360, 380]);
        // The IDR at 330 ms: the frames that start at or after it.
        assert_eq!(pts(&r, Duration::from_millis(330)), [340, 360, 380]);
        assert!(r.since(Duration::from_secs(1)).next().is_none());
        // A clock that starts again starts the ring again.
        r.push(&Arc::new(A(FRAME)));
        assert_eq!(pts(&r, Duration::ZERO), [20]);
        r.set_span(Duration::ZERO);
        assert!(r.since(Duration::ZERO).next().is_none());
    }

    #[test]
    fn bounded_by_count_whatever_the_span() {
        let mut r = Recent::default();
        r.set_span(Duration::from_secs(3600));
        for i in 0..(MAX_RECENT_UNITS as u32 + 10) {
            r.push(&Arc::new(A(FRAME * i)));
        }
        assert_eq!(r.since(Duration::ZERO).count(), MAX_RECENT_UNITS);
        assert_eq!(r.since(Duration::ZERO).next().unwrap().0, FRAME * 10);
    }
}
