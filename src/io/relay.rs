//! One relay output's logic, without I/O: its logical state (active/inactive), the physical
//! level that state means under its IdleState, and when a monostable relay returns to idle.
//! The time is passed in; the shell (`super::board`) drives the SDK and keeps the timer.
//!
//! ONVIF Core s.8.5 (SetRelayOutputSettings, repeated in the DeviceIO spec): "Idle State
//! 'open' means that the relay is open when the relay state is set to 'inactive' ... and
//! closed when the state is set to 'active'"; 'closed' is the inverse. "Monostable – After
//! setting the state, the relay returns to its idle state after the specified time."

use std::time::{Duration, Instant};

use crate::settings::{IdleState, RelayMode, RelaySettings};

/// Whether the relay's circuit is closed in logical state `active` under `idle`.
pub(crate) fn closed(active: bool, idle: IdleState) -> bool {
    active != (idle == IdleState::Closed)
}

/// What the shell does after a decision: drive the relay to `closed` and keep (only) the
/// timer named here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) closed: bool,
    pub(crate) active: bool,
    /// Some((generation, at)): call [`Relay::expire`] with `generation` at `at`. None: no
    /// timer; any earlier one is void (its generation is stale).
    pub(crate) timer: Option<(u64, Instant)>,
}

/// One relay: its settings and logical state, and the generation that makes a timer of an
/// older command void (a newer command replaces the timer, even one already firing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Relay {
    pub(crate) settings: RelaySettings,
    pub(crate) active: bool,
    generation: u64,
    deadline: Option<Instant>,
}

impl Relay {
    /// A relay at start-up: inactive, at its idle level.
    pub(crate) fn new(settings: RelaySettings) -> Relay {
        Relay {
            settings,
            active: false,
            generation: 0,
            deadline: None,
        }
    }

    /// The physical level its logical state means now.
    pub(crate) fn closed(&self) -> bool {
        closed(self.active, self.settings.idle)
    }

    fn delay(&self) -> Duration {
        Duration::from_millis(u64::from(self.settings.delay_ms))
    }

    fn step(&self) -> Step {
        Step {
            closed: self.closed(),
            active: self.active,
            timer: self.deadline.map(|d| (self.generation, d)),
        }
    }

    /// SetRelayOutputState at `now`. A monostable relay set active returns to idle its
    /// delay from now (again, if it was active already); set inactive it has no timer.
    pub(crate) fn command(&mut self, active: bool, now: Instant) -> Step {
        self.generation += 1;
        self.active = active;
        self.deadline =
            (active && self.settings.mode == RelayMode::Monostable).then(|| now + self.delay());
        self.step()
    }

    /// The timer of `generation` fired at `now`: back to inactive if it is still the
    /// relay's current timer and its time has come; None: nothing to do.
    pub(crate) fn expire(&mut self, generation: u64, now: Instant) -> Option<Step> {
        if generation != self.generation || !self.active {
            return None;
        }
        match self.deadline {
            Some(d) if now >= d => {}
            _ => return None,
        }
        self.generation += 1;
        self.active = false;
        self.deadline = None;
        Some(self.step())
    }

    /// New settings at `now`. The logical state is kept, so the level follows a new
    /// IdleState; a relay now bistable has no timer; one now monostable and active returns
    /// to idle its new delay from now (never stuck active).
    pub(crate) fn reconfigure(&mut self, settings: RelaySettings, now: Instant) -> Step {
        self.settings = settings;
        self.generation += 1;
        self.deadline = (self.active && self.settings.mode == RelayMode::Monostable)
            .then(|| now + self.delay());
        self.step()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(mode: RelayMode, delay_ms: u32, idle: IdleState) -> RelaySettings {
        RelaySettings {
            token: "relay0".into(),
            mode,
            delay_ms,
            idle,
        }
    }

    #[test]
    fn the_level_is_the_logical_state_through_the_idle_state() {
        assert!(!closed(false, IdleState::Open));
        assert!(closed(true, IdleState::Open));
        assert!(closed(false, IdleState::Closed));
        assert!(!closed(true, IdleState::Closed));
    }

    #[test]
    fn a_bistable_relay_keeps_its_state() {
        let t0 = Instant::now();
        let mut r = Relay::new(settings(RelayMode::Bistable, 1000, IdleState::Closed));
        assert!(r.closed(), "idle closed: closed at start");
        let s = r.command(true, t0);
        assert_eq!((s.closed, s.active, s.timer), (false, true, None));
        assert_eq!(r.expire(1, t0 + Duration::from_secs(10)), None);
        assert!(r.active);
    }

    #[test]
    fn a_monostable_relay_returns_to_idle_after_its_delay_and_a_newer_command_wins() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut r = Relay::new(settings(RelayMode::Monostable, 500, IdleState::Open));
        let first = r.command(true, t0);
        let (g1, at1) = first.timer.unwrap();
        assert_eq!((first.closed, at1), (true, t0 + ms(500)));
        // Set active again 200 ms later: the first timer is void, the new one runs 500 ms.
        let second = r.command(true, t0 + ms(200));
        let (g2, at2) = second.timer.unwrap();
        assert_eq!(at2, t0 + ms(700));
        assert_eq!(r.expire(g1, at1), None, "the older timer is void");
        assert_eq!(r.expire(g2, t0 + ms(699)), None, "not yet");
        let back = r.expire(g2, at2).unwrap();
        assert_eq!((back.closed, back.active, back.timer), (false, false, None));
        assert_eq!(r.expire(g2, at2), None, "once");
        // Set inactive while active: at once, and its timer is void.
        let s = r.command(true, t0 + ms(1000));
        let (g3, at3) = s.timer.unwrap();
        let off = r.command(false, t0 + ms(1100));
        assert_eq!((off.closed, off.timer), (false, None));
        assert_eq!(r.expire(g3, at3), None);
    }

    #[test]
    fn new_settings_keep_the_logical_state() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut r = Relay::new(settings(RelayMode::Bistable, 500, IdleState::Open));
        r.command(true, t0);
        // Inverted while active: still active, so the level flips.
        let s = r.reconfigure(settings(RelayMode::Bistable, 500, IdleState::Closed), t0);
        assert_eq!((s.active, s.closed, s.timer), (true, false, None));
        // Monostable while active: back to idle after the new delay from now.
        let s = r.reconfigure(
            settings(RelayMode::Monostable, 300, IdleState::Closed),
            t0 + ms(50),
        );
        let (g, at) = s.timer.unwrap();
        assert_eq!(at, t0 + ms(350));
        assert!(r.expire(g, at).is_some());
        // Bistable again while inactive: nothing pending.
        let s = r.reconfigure(settings(RelayMode::Bistable, 300, IdleState::Open), at);
        assert_eq!((s.active, s.closed, s.timer), (false, false, None));
    }
}
