//! The GOP cache: the units from the last keyframe on, so a new viewer starts with a picture
//! at once instead of waiting up to a GOP (2 s by default) for the next keyframe.

use std::sync::Arc;

use super::packing::Unit;

/// Most units kept as the cached GOP (guards a stream that never sends a keyframe again).
pub(crate) const MAX_GOP_FRAMES: usize = 300;

/// Units since the last keyframe, that keyframe first.
pub(crate) struct GopCache<U> {
    units: Vec<Arc<U>>,
}

impl<U> Default for GopCache<U> {
    fn default() -> Self {
        Self { units: Vec::new() }
    }
}

impl<U: Unit> GopCache<U> {
    /// Adds the stream's newest unit: a keyframe starts a new GOP; anything before the first
    /// keyframe is not kept; a GOP longer than [`MAX_GOP_FRAMES`] is dropped whole (a viewer
    /// then starts at the next keyframe, as it would with no cache).
    /// A unit that is not [`Unit::cacheable`] empties the cache.
    pub(crate) fn push(&mut self, unit: &Arc<U>) {
        if !unit.cacheable() {
            self.units.clear();
            return;
        }
        if unit.is_keyframe() {
            self.units.clear();
        } else if self.units.is_empty() {
            return;
        }
        if self.units.len() >= MAX_GOP_FRAMES {
            self.units.clear();
        } else {
            self.units.push(unit.clone());
        }
    }

    /// Forgets the GOP (the encoder is about to change parameters: the old GOP would not
    /// decode with the new ones).
    pub(crate) fn clear(&mut self) {
        self.units.clear();
    }

    /// The cached units, keyframe first (empty when there is none).
    pub(crate) fn units(&self) -> &[Arc<U>] {
        &self.units
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct U(bool);

    impl Unit for U {
        fn is_keyframe(&self) -> bool {
            self.0
        }
        fn size(&self) -> usize {
            1
        }
    }

    #[test]
    fn keeps_the_last_gop_from_its_keyframe() {
        let mut g = GopCache::default();
        g.push(&Arc::new(U(false)));
        assert!(g.units().is_empty(), "nothing before the first keyframe");
        for i in 0..30 {
            g.push(&Arc::new(U(i % 25 == 0)));
        }
        assert_eq!(g.units().len(), 5);
        assert!(g.units()[0].is_keyframe());
        g.clear();
        assert!(g.units().is_empty());
        g.push(&Arc::new(U(false)));
        assert!(
            g.units().is_empty(),
            "after a clear, nothing before the next keyframe"
        );
    }

    #[test]
    fn a_gop_past_the_cap_is_dropped() {
        let mut g = GopCache::default();
        g.push(&Arc::new(U(true)));
        for _ in 1..MAX_GOP_FRAMES {
            g.push(&Arc::new(U(false)));
        }
        assert_eq!(g.units().len(), MAX_GOP_FRAMES);
        g.push(&Arc::new(U(false)));
        assert!(g.units().is_empty());
    }
}
