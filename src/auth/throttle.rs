//! Slows down repeated authentication failures from one address (a password-guessing guard
//! shared by SOAP, snapshot and RTSP). Sans-IO: it says how long to wait, the shell waits.
//!
//! After [`AUTH_FAILURES_BEFORE_DELAY`] failures, each further failure's answer is delayed by
//! [`AUTH_FAILURE_DELAY_STEP`] more, up to [`AUTH_FAILURE_DELAY_MAX`]. A success clears the
//! address. The table is bounded; when full, the entry with the oldest last failure goes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::soap::limits::{
    AUTH_FAILURE_DELAY_MAX, AUTH_FAILURE_DELAY_STEP, AUTH_FAILURE_MEMORY, AUTH_FAILURE_TABLE,
    AUTH_FAILURES_BEFORE_DELAY,
};

#[derive(Default)]
pub struct FailureThrottle {
    table: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failure and returns how long to delay the answer.
    pub fn failure(&self, addr: IpAddr, now: Instant) -> Duration {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if t.len() >= AUTH_FAILURE_TABLE && !t.contains_key(&addr) {
            t.retain(|_, (_, last)| now.saturating_duration_since(*last) < AUTH_FAILURE_MEMORY);
            if t.len() >= AUTH_FAILURE_TABLE
                && let Some(oldest) = t.iter().min_by_key(|(_, (_, last))| *last).map(|(a, _)| *a)
            {
                t.remove(&oldest);
            }
        }
        let e = t.entry(addr).or_insert((0, now));
        if now.saturating_duration_since(e.1) >= AUTH_FAILURE_MEMORY {
            e.0 = 0;
        }
        e.0 = e.0.saturating_add(1);
        e.1 = now;
        let over = e.0.saturating_sub(AUTH_FAILURES_BEFORE_DELAY);
        (AUTH_FAILURE_DELAY_STEP * over).min(AUTH_FAILURE_DELAY_MAX)
    }

    /// A success from `addr` forgets its failures.
    pub fn success(&self, addr: IpAddr) {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        t.remove(&addr);
    }

    pub fn tracked(&self) -> usize {
        self.table.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_cap_and_reset() {
        let th = FailureThrottle::new();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let now = Instant::now();
        for _ in 0..AUTH_FAILURES_BEFORE_DELAY {
            assert_eq!(th.failure(a, now), Duration::ZERO);
        }
        assert_eq!(th.failure(a, now), AUTH_FAILURE_DELAY_STEP);
        for _ in 0..100 {
            th.failure(a, now);
        }
        assert_eq!(th.failure(a, now), AUTH_FAILURE_DELAY_MAX);
        // Another address is not affected.
        assert_eq!(
            th.failure("192.0.2.2".parse().unwrap(), now),
            Duration::ZERO
        );
        th.success(a);
        assert_eq!(th.failure(a, now), Duration::ZERO);
        // Forgotten after the memory period.
        for _ in 0..10 {
            th.failure(a, now);
        }
        assert_eq!(th.failure(a, now + AUTH_FAILURE_MEMORY), Duration::ZERO);
    }

    #[test]
    fn table_is_bounded() {
        let th = FailureThrottle::new();
        let now = Instant::now();
        for i in 0..(AUTH_FAILURE_TABLE as u32 * 3) {
            th.failure(IpAddr::from(i.to_be_bytes()), now);
        }
        assert!(th.tracked() <= AUTH_FAILURE_TABLE);
    }
}
