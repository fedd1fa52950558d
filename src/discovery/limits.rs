//! Every bound of the WS-Discovery responder, in one place (DESIGN.md principle 6), and the
//! reply rate limiter. Documented for users in `docs/discovery.md`; change them here only.
//!
//! Why these numbers: a legitimate Probe is 400-1500 bytes and an NVR probes a few times a
//! minute (the Python `WSDiscovery` client repeats each Probe 4 times with one MessageID,
//! which the responder answers once). WS-Discovery reflection attacks send a flood of small
//! spoofed Probes; every bound below caps what such a flood can make us send.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Largest datagram parsed; longer ones are dropped unread (SOAP-over-UDP allows 64 KiB, no
/// NVR sends a Probe near 4 KiB).
pub const MAX_DATAGRAM: usize = 4096;
/// Longest `wsa:MessageID` echoed as `wsa:RelatesTo`; a Probe with a longer one is dropped
/// (a `urn:uuid:` is 45 bytes). Truncating would break the RelatesTo match, so no truncation.
pub const MAX_MESSAGE_ID: usize = 128;
/// Most Types and most Scopes read from one Probe; a Probe with more is dropped.
pub const MAX_PROBE_ITEMS: usize = 32;

/// Random delay before a unicast ProbeMatches (WS-Discovery 2005/04 s.2.4, APP_MAX_DELAY):
/// spreads the answers of many devices to one multicast Probe.
pub const APP_MAX_DELAY: Duration = Duration::from_millis(500);

/// Replies one source address may get: a burst, then a steady rate.
pub const PER_SOURCE_BURST: f64 = 5.0;
pub const PER_SOURCE_PER_SEC: f64 = 1.0;
/// Replies to all sources together: a burst, then a steady rate.
pub const GLOBAL_BURST: f64 = 40.0;
pub const GLOBAL_PER_SEC: f64 = 20.0;
/// Most source addresses tracked by the limiter; beyond it, new sources get no reply until
/// idle entries expire (fail closed).
pub const MAX_TRACKED_SOURCES: usize = 1024;

/// Recently seen MessageIDs (SOAP-over-UDP s.3.3: a receiver ignores repeats of a message it
/// has seen), and how long one is remembered.
pub const SEEN_MESSAGE_IDS: usize = 256;
pub const SEEN_MESSAGE_TTL: Duration = Duration::from_secs(10);

/// How often interfaces are re-scanned for address changes (a change sends a new Hello).
pub const RESCAN_INTERVAL: Duration = Duration::from_secs(5);
/// Most configurable scopes, and the longest scope, accepted by Set/AddScopes (they are
/// sent in every ProbeMatch: this bounds the reply size an administrator can configure).
pub const MAX_CONFIGURABLE_SCOPES: usize = 16;
pub const MAX_SCOPE_LEN: usize = 256;
/// Most bytes the configurable scopes (name, location and the others) take together in a
/// reply's Scopes list, each counted with its separating space; Set/AddScopes past it are
/// refused (`ter:TooManyScopes`). AddScopes of long scopes (16 of 256 bytes) took the
/// ProbeMatches to 18.4 times the smallest Probe answered; with this bound, it stays under
/// 2 KB. The defaults (`name/nvt`, `location/unknown`) take 69.
pub const MAX_CONFIGURABLE_SCOPES_BYTES: usize = 512;

/// A token bucket.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(now: Instant, burst: f64) -> Bucket {
        Bucket {
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant, rate: f64, burst: f64) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * rate).min(burst);
        self.last = now;
    }
}

/// Reply budget per source address and overall. A reply is sent only when both buckets hold
/// a token; a refusal costs nothing.
#[derive(Debug)]
pub struct RateLimiter {
    sources: HashMap<IpAddr, Bucket>,
    global: Bucket,
}

impl RateLimiter {
    pub fn new(now: Instant) -> RateLimiter {
        RateLimiter {
            sources: HashMap::new(),
            global: Bucket::full(now, GLOBAL_BURST),
        }
    }

    /// Takes one reply token for `source`, or says no.
    pub fn allow(&mut self, source: IpAddr, now: Instant) -> bool {
        self.global.refill(now, GLOBAL_PER_SEC, GLOBAL_BURST);
        if self.global.tokens < 1.0 {
            return false;
        }
        if !self.sources.contains_key(&source) && self.sources.len() >= MAX_TRACKED_SOURCES {
            // A bucket that has refilled completely carries no state: forget it.
            let refilled = Duration::from_secs_f64(PER_SOURCE_BURST / PER_SOURCE_PER_SEC);
            self.sources
                .retain(|_, b| now.saturating_duration_since(b.last) < refilled);
            if self.sources.len() >= MAX_TRACKED_SOURCES {
                return false;
            }
        }
        let b = self
            .sources
            .entry(source)
            .or_insert_with(|| Bucket::full(now, PER_SOURCE_BURST));
        b.refill(now, PER_SOURCE_PER_SEC, PER_SOURCE_BURST);
        if b.tokens < 1.0 {
            return false;
        }
        b.tokens -= 1.0;
        self.global.tokens -= 1.0;
        true
    }

    /// Most replies `allow` can grant one source over `elapsed` (burst plus refill).
    pub fn per_source_bound(elapsed: Duration) -> u64 {
        (PER_SOURCE_BURST + PER_SOURCE_PER_SEC * elapsed.as_secs_f64()).floor() as u64
    }
}

/// MessageIDs seen recently, bounded in count and age.
#[derive(Debug, Default)]
pub struct SeenIds {
    ids: std::collections::VecDeque<(String, Instant)>,
}

impl SeenIds {
    /// Records `id`; returns false if it was already seen within the TTL.
    pub fn first_time(&mut self, id: &str, now: Instant) -> bool {
        while self
            .ids
            .front()
            .is_some_and(|(_, t)| now.saturating_duration_since(*t) > SEEN_MESSAGE_TTL)
        {
            self.ids.pop_front();
        }
        if self.ids.iter().any(|(s, _)| s == id) {
            return false;
        }
        if self.ids.len() >= SEEN_MESSAGE_IDS {
            self.ids.pop_front();
        }
        self.ids.push_back((id.to_owned(), now));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_source_burst_then_rate() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(t0);
        let a: IpAddr = "10.0.0.2".parse().unwrap();
        let b: IpAddr = "10.0.0.3".parse().unwrap();
        let granted = (0..100).filter(|_| l.allow(a, t0)).count();
        assert_eq!(granted, PER_SOURCE_BURST as usize);
        // Another source has its own budget.
        assert!(l.allow(b, t0));
        // One second later: one more token for `a`.
        let t1 = t0 + Duration::from_secs(1);
        assert!(l.allow(a, t1));
        assert!(!l.allow(a, t1));
        assert_eq!(
            RateLimiter::per_source_bound(Duration::from_secs(1)),
            (PER_SOURCE_BURST + PER_SOURCE_PER_SEC) as u64
        );
    }

    #[test]
    fn global_budget_caps_many_sources() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(t0);
        let granted = (0..500u32)
            .filter(|i| l.allow(IpAddr::from((0x0a00_0000 + i).to_be_bytes()), t0))
            .count();
        assert_eq!(granted, GLOBAL_BURST as usize);
    }

    #[test]
    fn source_table_is_bounded() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(t0);
        // Slower than the global rate, so every new source is served; the table evicts
        // refilled entries instead of growing.
        let mut t = t0;
        for i in 0..(2 * MAX_TRACKED_SOURCES) as u32 {
            t += Duration::from_millis(60);
            assert!(l.allow(IpAddr::from((0x0a00_0000 + i).to_be_bytes()), t));
            assert!(l.sources.len() <= MAX_TRACKED_SOURCES);
        }
    }

    #[test]
    fn seen_ids_expire_and_are_bounded() {
        let t0 = Instant::now();
        let mut s = SeenIds::default();
        assert!(s.first_time("a", t0));
        assert!(!s.first_time("a", t0 + Duration::from_secs(1)));
        assert!(s.first_time("a", t0 + SEEN_MESSAGE_TTL + Duration::from_secs(2)));
        for i in 0..SEEN_MESSAGE_IDS * 2 {
            s.first_time(&i.to_string(), t0);
        }
        assert!(s.ids.len() <= SEEN_MESSAGE_IDS);
    }
}
