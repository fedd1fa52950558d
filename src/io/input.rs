//! One digital input's logic, without I/O: the LogicalState its level means under its
//! IdleState, and whether the SDK's event sequence lost changes (then the shell reads the
//! levels again).
//!
//! DeviceIO spec, "DigitalInput State Change": "If a device supports
//! SetDigitalInputConfigurations, the Digital Input LogicalState can be either set at
//! "true" to represent the input in the active state or set at "false" to represent the
//! input in the idle state." nvt supports it, so LogicalState is "not at its idle level".

use crate::settings::IdleState;

/// LogicalState of an input whose circuit is `closed`, under `idle`.
pub(crate) fn active(closed: bool, idle: IdleState) -> bool {
    closed != (idle == IdleState::Closed)
}

/// The sequence numbers of `NVT_GPIO_WaitEvent` (+1 per change, over all inputs).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sequence {
    last: Option<u32>,
}

impl Sequence {
    /// Takes event `seq`; true when changes before it were lost (the SDK's queue overflowed),
    /// so the levels must be read again. The first event after start loses nothing: the
    /// levels were read at start and an event carries an absolute level.
    pub(crate) fn lost_before(&mut self, seq: u32) -> bool {
        let lost = self.last.is_some_and(|l| seq != l.wrapping_add(1));
        self.last = Some(seq);
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_state_is_away_from_idle() {
        assert!(!active(false, IdleState::Open));
        assert!(active(true, IdleState::Open));
        assert!(!active(true, IdleState::Closed));
        assert!(active(false, IdleState::Closed));
    }

    #[test]
    fn a_gap_in_the_sequence_is_a_loss() {
        let mut s = Sequence::default();
        assert!(!s.lost_before(5));
        assert!(!s.lost_before(6));
        assert!(s.lost_before(9));
        assert!(!s.lost_before(10));
        let mut w = Sequence::default();
        w.lost_before(u32::MAX);
        assert!(!w.lost_before(0), "wraps");
    }
}
