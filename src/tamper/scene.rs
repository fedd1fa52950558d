//! The reference picture of the global scene change: the zone lumas the scene is expected to
//! have, following slow changes (daylight) and learning a new scene once a change is
//! reported.

use std::time::Duration;

use crate::sdk::{ZONE_COLS, ZONE_ROWS};

/// Zone lumas, as the ISP reports them (16 x 12 zone means).
pub type Zones = [[u8; ZONE_COLS]; ZONE_ROWS];

const N: usize = ZONE_COLS * ZONE_ROWS;

/// The scene's reference, in fractional luma so that slow adaptation does not stall on
/// rounding.
#[derive(Clone, Debug)]
pub struct Reference {
    zones: [f32; N],
}

fn flat(z: &Zones) -> impl Iterator<Item = f32> + '_ {
    z.iter().flatten().map(|&v| f32::from(v))
}

impl Reference {
    pub fn new(z: &Zones) -> Reference {
        let mut zones = [0.0; N];
        zones.iter_mut().zip(flat(z)).for_each(|(r, v)| *r = v);
        Reference { zones }
    }

    /// Per mille of the zones of `z` whose luma differs from the reference by more than
    /// `delta`, once the change common to the picture is taken out: a uniform change of
    /// light (exposure, a cloud, the brightness setting) moves every zone alike and is no
    /// scene change; what changes is the pattern of light and dark across the picture (a pan,
    /// a covered or turned camera, a large object in front of the lens). The common change
    /// is the median of the zones' differences, not their mean, so that a large change in
    /// part of the picture is not spread over the rest.
    pub fn changed_per_mille(&self, z: &Zones, delta: u8) -> u32 {
        let mut diff = [0.0f32; N];
        diff.iter_mut()
            .zip(flat(z).zip(self.zones.iter()))
            .for_each(|(d, (v, r))| *d = v - r);
        let mut sorted = diff;
        sorted.sort_unstable_by(f32::total_cmp);
        let common = (sorted[N / 2 - 1] + sorted[N / 2]) / 2.0;
        let changed = diff
            .iter()
            .filter(|&&d| (d - common).abs() > f32::from(delta))
            .count();
        (changed * 1000 / N) as u32
    }

    /// Moves the reference toward `z` as a first-order filter of time constant `tau` over
    /// `dt` (the fraction `1 - e^(-dt/tau)` of the way).
    pub fn adapt(&mut self, z: &Zones, dt: Duration, tau: Duration) {
        let k = if tau.is_zero() {
            1.0
        } else {
            1.0 - (-dt.as_secs_f32() / tau.as_secs_f32()).exp()
        };
        self.zones
            .iter_mut()
            .zip(flat(z))
            .for_each(|(r, v)| *r += (v - *r) * k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scene: a bright left half, a dark right half.
    pub(crate) fn halves(left: u8, right: u8) -> Zones {
        let mut z = [[right; ZONE_COLS]; ZONE_ROWS];
        z.iter_mut().for_each(|row| row[..ZONE_COLS / 2].fill(left));
        z
    }

    #[test]
    fn a_uniform_change_of_light_is_no_change_of_scene() {
        let r = Reference::new(&halves(160, 60));
        assert_eq!(r.changed_per_mille(&halves(160, 60), 24), 0);
        assert_eq!(r.changed_per_mille(&halves(100, 0), 24), 0);
        assert_eq!(r.changed_per_mille(&halves(215, 115), 24), 0);
    }

    #[test]
    fn a_swapped_picture_changes_every_zone_and_a_covered_lens_the_structured_ones() {
        let r = Reference::new(&halves(160, 60));
        assert_eq!(r.changed_per_mille(&halves(60, 160), 24), 1000);
        // All black: the halves differ by 160 and 60, the median of the differences is
        // between them, 50 from either.
        assert_eq!(r.changed_per_mille(&[[0; ZONE_COLS]; ZONE_ROWS], 24), 1000);
        // A quarter of the picture covered by something dark: that quarter only.
        let mut z = halves(160, 60);
        z[..ZONE_ROWS / 2]
            .iter_mut()
            .for_each(|row| row[..ZONE_COLS / 2].fill(20));
        assert_eq!(r.changed_per_mille(&z, 24), 250);
    }

    #[test]
    fn adaptation_is_first_order() {
        let mut r = Reference::new(&halves(100, 100));
        let target = halves(200, 100);
        // One time constant: 63 % of the way, the left half at 163.2; the right half stays.
        r.adapt(&target, Duration::from_secs(2), Duration::from_secs(2));
        assert_eq!(r.zones[N - 1], 100.0);
        // Split into small steps, the same place.
        let mut s = Reference::new(&halves(100, 100));
        for _ in 0..8 {
            s.adapt(&target, Duration::from_millis(250), Duration::from_secs(2));
        }
        let gap = |x: &Reference| (x.zones[0] - 163.2).abs();
        assert!(
            gap(&r) < 0.5 && gap(&s) < 0.5,
            "{} {}",
            r.zones[0],
            s.zones[0]
        );
        // Zero time constant: the reference is the picture.
        r.adapt(&target, Duration::from_millis(1), Duration::ZERO);
        assert_eq!(r.changed_per_mille(&target, 0), 0);
    }
}
