//! Every bound of the WS-Discovery responder, in one place (DESIGN.md principle 6), and the
//! repeat filter (the reply budget that uses the rate bounds is `super::budget`). Documented
//! for users in `docs/discovery.md`; change them here only.
//!
//! Why these numbers: a legitimate Probe is 400-1500 bytes and an NVR probes a few times a
//! minute (the Python `WSDiscovery` client repeats each Probe 4 times with one MessageID,
//! which the responder answers once). WS-Discovery reflection attacks send a flood of small
//! spoofed Probes; every bound below caps what such a flood can make us send.

use std::time::{Duration, Instant};

/// Largest datagram parsed; longer ones are dropped unread (SOAP-over-UDP allows 64 KiB, no
/// NVR sends a Probe near 4 KiB).
pub(crate) const MAX_DATAGRAM: usize = 4096;
/// Longest `wsa:MessageID` echoed as `wsa:RelatesTo`; a Probe with a longer one is dropped
/// (a `urn:uuid:` is 45 bytes). Truncating would break the RelatesTo match, so no truncation.
pub(crate) const MAX_MESSAGE_ID: usize = 128;
/// Most Types and most Scopes read from one Probe; a Probe with more is dropped.
pub(crate) const MAX_PROBE_ITEMS: usize = 32;

/// Random delay before a unicast ProbeMatches (WS-Discovery 2005/04 s.2.4, APP_MAX_DELAY):
/// spreads the answers of many devices to one multicast Probe.
pub(crate) const APP_MAX_DELAY: Duration = Duration::from_millis(500);

/// Replies one source address may get: a burst, then a steady rate.
pub const PER_SOURCE_BURST: f64 = 5.0;
pub const PER_SOURCE_PER_SEC: f64 = 1.0;
/// Replies to all sources together: a burst, then a steady rate. Shared out among the
/// addresses asking, least recently answered first (`super::budget`).
pub const GLOBAL_BURST: f64 = 40.0;
pub const GLOBAL_PER_SEC: f64 = 20.0;
/// Most source addresses the budget remembers; when full, the one answered least recently
/// is forgotten (it would be first in line anyway).
pub(crate) const MAX_TRACKED_SOURCES: usize = 1024;
/// Most replies waiting out their delay or a token (one per address at most); more than
/// the global burst, so a burst is never cut by this bound.
pub(crate) const MAX_PENDING: usize = 64;
/// How long past its due time a reply may wait for a token before it is dropped: the
/// answer then comes at most APP_MAX_DELAY + 1 s after the Probe, well within the few
/// seconds clients listen (the Python `WSDiscovery` client: 3 s by default).
pub(crate) const MAX_REPLY_WAIT: Duration = Duration::from_secs(1);
/// Time constant of the exponential decay of each address's request count, by which the
/// budget serves the addresses that ask least first (`super::budget`): an address probing
/// every few seconds counts a few, one flooding at 16 Probes/s about 160.
pub(crate) const DEMAND_DECAY: Duration = Duration::from_secs(10);

/// MessageIDs answered recently (SOAP-over-UDP s.3.3: a receiver ignores repeats of a message
/// it has processed), and how long one is remembered. Only a MessageID whose reply was queued
/// is remembered: a Probe the budget refused may be answered when it is repeated.
pub(crate) const SEEN_MESSAGE_IDS: usize = 256;
pub(crate) const SEEN_MESSAGE_TTL: Duration = Duration::from_secs(10);

/// How often interfaces are re-scanned for address changes (a change sends a new Hello).
pub(crate) const RESCAN_INTERVAL: Duration = Duration::from_secs(5);
/// Most configurable scopes, and the longest scope, accepted by Set/AddScopes (they are
/// sent in every ProbeMatch: this bounds the reply size an administrator can configure).
pub const MAX_CONFIGURABLE_SCOPES: usize = 16;
pub(crate) const MAX_SCOPE_LEN: usize = 256;
/// Most bytes the configurable scopes (name, location and the others) take together in a
/// reply's Scopes list, each counted with its separating space; Set/AddScopes past it are
/// refused (`ter:TooManyScopes`). With it, a ProbeMatches is at most about 1.8 KB with a
/// default model name and one XAddr (`responder::tests::worst_case_amplification`), so
/// that [`MAX_AMPLIFICATION`] still lets every real client's Probe (550 bytes and up) be
/// answered. The defaults (`name/nvt`, `location/unknown`) take 69.
pub const MAX_CONFIGURABLE_SCOPES_BYTES: usize = 512;
/// A reply (ProbeMatches, ResolveMatches or fault) is sent only when it is at most this many
/// times the bytes of the datagram it answers: the amplification factor a spoofed Probe can
/// get, whatever the scopes, model name or addresses. A Probe too small for its reply is
/// dropped silently (an attacker's: real clients send 550-900 bytes; the smallest Probe
/// WS-Discovery allows, with Action, MessageID and To, is about 440).
pub const MAX_AMPLIFICATION: usize = 4;

/// MessageIDs seen recently, bounded in count and age.
#[derive(Debug, Default)]
pub(crate) struct SeenIds {
    ids: std::collections::VecDeque<(String, Instant)>,
}

impl SeenIds {
    fn expire(&mut self, now: Instant) {
        while self
            .ids
            .front()
            .is_some_and(|(_, t)| now.saturating_duration_since(*t) > SEEN_MESSAGE_TTL)
        {
            self.ids.pop_front();
        }
    }

    /// True if `id` was recorded within the TTL.
    pub(crate) fn is_repeat(&mut self, id: &str, now: Instant) -> bool {
        self.expire(now);
        self.ids.iter().any(|(s, _)| s == id)
    }

    /// Records `id` (a reply to it is on its way).
    pub(crate) fn record(&mut self, id: &str, now: Instant) {
        self.expire(now);
        if self.ids.iter().any(|(s, _)| s == id) {
            return;
        }
        if self.ids.len() >= SEEN_MESSAGE_IDS {
            self.ids.pop_front();
        }
        self.ids.push_back((id.to_owned(), now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_expire_and_are_bounded() {
        let t0 = Instant::now();
        let mut s = SeenIds::default();
        assert!(!s.is_repeat("a", t0));
        s.record("a", t0);
        assert!(s.is_repeat("a", t0 + Duration::from_secs(1)));
        assert!(!s.is_repeat("a", t0 + SEEN_MESSAGE_TTL + Duration::from_secs(2)));
        for i in 0..SEEN_MESSAGE_IDS * 2 {
            s.record(&i.to_string(), t0);
        }
        assert!(s.ids.len() <= SEEN_MESSAGE_IDS);
    }
}
