//! Keyframe requests: how a stream asks its encoder for an IDR, and the throttle that keeps
//! clients joining in a loop from turning the stream into all-IDR (each IDR costs several
//! P-frames' worth of bits on every viewer's link).

use std::time::{Duration, Instant};

/// Keyframe requests reach the encoder at most this often per stream.
pub(crate) const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_secs(1);

/// How a hub asks its encoder for an IDR.
pub(crate) type KeyframeSource = Box<dyn Fn() + Send + Sync>;

/// At most one request per [`KEYFRAME_REQUEST_INTERVAL`], on the time its caller passes.
#[derive(Debug, Default)]
pub(crate) struct KeyframeThrottle {
    last: Option<Instant>,
}

impl KeyframeThrottle {
    /// Whether a request made at `now` may reach the encoder (and, if so, it counts as made).
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        if self
            .last
            .is_some_and(|t| now.saturating_duration_since(t) < KEYFRAME_REQUEST_INTERVAL)
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_per_interval_on_simulated_time() {
        let t0 = Instant::now();
        let mut t = KeyframeThrottle::default();
        assert!(t.allow(t0));
        let mut allowed = 0;
        // A joiner every 10 ms for 10 s: one request per second gets through.
        for i in 1..1000u32 {
            if t.allow(t0 + Duration::from_millis(10) * i) {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 9);
        assert!(!t.allow(t0 + Duration::from_millis(9999)));
        assert!(t.allow(t0 + Duration::from_secs(10)));
    }
}
