//! The simulated board's GPIO (NVT_GPIO_*): two relays whose levels are kept (and logged on
//! stderr when they change) and one digital input that toggles on a schedule: open at Init,
//! then a change every `gpio_input_period_ms` (closed during odd periods). Like the focus
//! motor it has no thread: the input's level and its edges are functions of the time since
//! Init, queued for NVT_GPIO_WaitEvent when a caller looks, so every edge is reported in
//! order with its own instant as `pts_us`, whenever the caller asks.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::clock::mono_us;
use crate::*;

pub const RELAYS: u32 = 2;
pub const INPUTS: u32 = 1;
/// Edges kept for a caller that does not keep up; older ones are dropped (a gap in seq).
pub const QUEUE: u64 = 64;

struct State {
    /// Bit r: relay r closed.
    relays: u32,
    /// Edges up to this number (edge k at Init + k periods) are queued or delivered.
    queued_to: u64,
    queue: VecDeque<NVT_GPIO_EVENT_S>,
    stopped: bool,
}

pub enum WaitError {
    Timeout,
    Stopped,
}

pub struct Gpio {
    /// CLOCK_MONOTONIC at Init: the input's schedule starts there.
    start_us: u64,
    period_us: u64,
    state: Mutex<State>,
    cv: Condvar,
}

impl Gpio {
    pub fn new(start_us: u64, period_ms: u32) -> Gpio {
        Gpio {
            start_us,
            period_us: period_ms.max(1) as u64 * 1000,
            state: Mutex::new(State {
                relays: 0,
                queued_to: 0,
                queue: VecDeque::new(),
                stopped: false,
            }),
            cv: Condvar::new(),
        }
    }

    pub fn info() -> NVT_GPIO_INFO_S {
        NVT_GPIO_INFO_S {
            relay_count: RELAYS,
            input_count: INPUTS,
            relay_closed_at_boot: 0,
        }
    }

    /// Edges of the input from Init up to `now`.
    fn edges_until(&self, now: u64) -> u64 {
        now.saturating_sub(self.start_us) / self.period_us
    }

    /// The input's level at `now`: 1 closed.
    pub fn input_at(&self, now: u64) -> u32 {
        (self.edges_until(now) % 2) as u32
    }

    pub fn relay(&self, relay: u32) -> u32 {
        (super::lock(&self.state).relays >> relay) & 1
    }

    pub fn set_relay(&self, relay: u32, closed: bool) {
        let mut s = super::lock(&self.state);
        let before = s.relays;
        if closed {
            s.relays |= 1 << relay;
        } else {
            s.relays &= !(1 << relay);
        }
        if s.relays != before {
            eprintln!(
                "nvt-sdk: relay {relay} {}",
                if closed { "closed" } else { "opened" }
            );
        }
    }

    /// Queues the edges that have come by `now`; only the last QUEUE of a long unread
    /// stretch are kept.
    fn queue_edges(&self, s: &mut State, now: u64) {
        let due = self.edges_until(now);
        if due <= s.queued_to {
            return;
        }
        let first = (s.queued_to + 1).max(due.saturating_sub(QUEUE - 1));
        for k in first..=due {
            s.queue.push_back(NVT_GPIO_EVENT_S {
                seq: k as u32,
                pts_us: self.start_us + k * self.period_us,
                input: 0,
                closed: (k % 2) as u32,
            });
        }
        while s.queue.len() as u64 > QUEUE {
            s.queue.pop_front();
        }
        s.queued_to = due;
    }

    /// The next input change, waiting up to `timeout_ms` (<0: forever) for it.
    pub fn wait_event(&self, timeout_ms: i32) -> Result<NVT_GPIO_EVENT_S, WaitError> {
        let deadline = (timeout_ms >= 0).then(|| mono_us() + timeout_ms as u64 * 1000);
        let mut s = super::lock(&self.state);
        loop {
            if s.stopped {
                return Err(WaitError::Stopped);
            }
            let now = mono_us();
            self.queue_edges(&mut s, now);
            if let Some(e) = s.queue.pop_front() {
                return Ok(e);
            }
            let next_edge = self.start_us + (s.queued_to + 1) * self.period_us;
            let until = match deadline {
                Some(d) if d <= now => return Err(WaitError::Timeout),
                Some(d) => d.min(next_edge),
                None => next_edge,
            };
            s = self
                .cv
                .wait_timeout(s, Duration::from_micros(until.saturating_sub(now)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Wakes a waiting caller with Stopped (NVT_SYS_Exit).
    pub fn stop(&self) {
        super::lock(&self.state).stopped = true;
        self.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_toggles_every_period_and_every_edge_is_queued() {
        // Started 2.5 periods of 1 s ago: two edges have come (closed, then open).
        let now = mono_us();
        let g = Gpio::new(now - 2_500_000, 1000);
        assert_eq!(g.input_at(now), 0);
        assert_eq!(g.input_at(now - 1_000_000), 1);
        let e1 = g.wait_event(0).ok().unwrap();
        let e2 = g.wait_event(0).ok().unwrap();
        assert_eq!((e1.seq, e1.closed, e1.pts_us), (1, 1, now - 1_500_000));
        assert_eq!((e2.seq, e2.closed, e2.pts_us), (2, 0, now - 500_000));
        assert!(matches!(g.wait_event(0), Err(WaitError::Timeout)));
        // The next edge comes 0.5 s from now: a wait of 2 s gets it then.
        let e3 = g.wait_event(2000).ok().unwrap();
        assert_eq!((e3.seq, e3.closed, e3.pts_us), (3, 1, now + 500_000));
        assert!(mono_us() >= e3.pts_us);
    }

    #[test]
    fn a_long_unread_stretch_keeps_the_last_edges_and_shows_the_gap() {
        let now = mono_us();
        let g = Gpio::new(now - 1000 * 1000, 10); // 100 edges ago... and counting
        let first = g.wait_event(0).ok().unwrap();
        assert!(
            first.seq > 1,
            "older edges dropped: seq {} shows the gap",
            first.seq
        );
        let second = g.wait_event(0).ok().unwrap();
        assert_eq!(second.seq, first.seq + 1);
        assert_ne!(second.closed, first.closed);
    }

    #[test]
    fn relays_keep_their_level_and_stop_wakes_a_waiter() {
        let g = Gpio::new(mono_us(), 60_000);
        assert_eq!((g.relay(0), g.relay(1)), (0, 0));
        g.set_relay(1, true);
        assert_eq!((g.relay(0), g.relay(1)), (0, 1));
        g.set_relay(1, false);
        g.set_relay(0, true);
        assert_eq!((g.relay(0), g.relay(1)), (1, 0));
        std::thread::scope(|sc| {
            let waiter = sc.spawn(|| g.wait_event(-1));
            std::thread::sleep(Duration::from_millis(50));
            g.stop();
            assert!(matches!(waiter.join().unwrap(), Err(WaitError::Stopped)));
        });
    }
}
