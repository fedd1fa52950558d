//! Pacing of RTP over UDP (sans-IO): when each packet of a frame may leave.
//!
//! Why: UDP has no flow control. Sent as fast as `sendmmsg` goes, a new viewer's cached GOP
//! (hundreds of packets, several times Linux's default 208 KiB receive buffer,
//! `net.core.rmem_default`) and every large IDR land in the receiver's socket buffer within a
//! millisecond or two; a player that is busy decoding for a few milliseconds then loses the
//! overflow (`RcvbufErrors` in `/proc/net/snmp`), and with it the picture until the next IDR.
//! TCP needs none of this: its congestion and flow control pace it.
//!
//! How: one token bucket per UDP destination (a unicast viewer, a multicast group).
//! - Tokens accrue at the *pacing rate* and are capped at [`PACE_BURST`]: a receiver gets at
//!   most `PACE_BURST` bytes at once, then the rate. A receiver descheduled for `t` therefore
//!   holds at most `PACE_BURST + rate * t` bytes, whatever the frame or GOP size.
//! - The pacing rate ([`pace_rate`]) is [`PACE_RATE_FACTOR`] times the stream's own rate
//!   (measured on capture time by [`RateMeter`]), so a viewer keeps up with live and a large
//!   IDR is spread over a few frame intervals; at least [`MIN_PACE_RATE`]; and at least the
//!   backlog over [`CATCH_UP_TIME`], so a viewer that starts at the cached GOP's IDR (or a long
//!   GOP) catches up to live within about that time, well inside the hub's queue age bound
//!   (`stream::DEFAULT_MAX_QUEUE_AGE`, 1 s) that would otherwise resync it.
//!
//! The sender asks [`Pacer::poll`] with the current time and the packets left; it answers
//! how many may go now, or how long to wait. Nothing here reads a clock or touches a socket
//! (DESIGN principle 1): the tests below run it on simulated time.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// The pacing rate is this many times the stream's measured rate: the headroom that lets a
/// viewer starting at the cached GOP catch up with live (a 2 s GOP at 4x the stream rate
/// drains in 2 s / (4 - 1) = 0.67 s), and spreads an IDR of k times the average frame size
/// over about k/4 frame intervals.
pub(crate) const PACE_RATE_FACTOR: u64 = 4;

/// Lowest pacing rate, bytes per second (4 Mbit/s): a low-rate stream's IDR still goes out
/// within a frame interval or two (a 20 KB IDR in 40 ms).
pub(crate) const MIN_PACE_RATE: u64 = 500_000;

/// A viewer's backlog (the cached GOP at start, or frames queued behind the one being sent)
/// is sent at least at `backlog / CATCH_UP_TIME`, whatever the stream's rate: half the hub's
/// queue age bound, so catching up never costs a resync.
pub(crate) const CATCH_UP_TIME: Duration = Duration::from_millis(500);

/// Most bytes sent back to back to one destination (about 11 full-size packets; the
/// default receive buffer holds about 90 of them on Linux, whose accounting charges each
/// datagram its buffer's true size, ~2.3 KB for a 1.4 KB packet).
pub(crate) const PACE_BURST: usize = 16 * 1024;

/// Shortest wait the pacer asks for: the tokio timer's granularity is 1 ms, and waking more
/// often than that would only add wake-ups (the bucket then sends what accrued meanwhile).
pub(crate) const MIN_WAIT: Duration = Duration::from_millis(1);

/// Capture time over which [`RateMeter`] averages the stream's rate: at least one GOP at
/// the default GOP length (2 s), so an IDR does not swing it.
pub(crate) const RATE_WINDOW: Duration = Duration::from_secs(2);

/// The stream's rate in bytes per second of capture time, over the last [`RATE_WINDOW`].
/// Fed with every frame's capture time and size; capture time, not arrival time, so a burst
/// of frames delivered late by the encoder does not read as a rate spike.
#[derive(Debug, Default)]
pub(crate) struct RateMeter {
    frames: VecDeque<(Duration, usize)>,
    bytes: usize,
}

impl RateMeter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one frame (`pts` its capture time, `bytes` what it costs on the wire) and returns
    /// the rate, bytes per second; 0 until two frames with distinct times were seen.
    pub(crate) fn observe(&mut self, pts: Duration, bytes: usize) -> u64 {
        // Capture time going back or jumping past the window (the encoder restarted, a replay
        // looped): the old frames say nothing about the new stream's rate.
        if let Some(&(last, _)) = self.frames.back()
            && (pts < last || pts - last > RATE_WINDOW)
        {
            self.frames.clear();
            self.bytes = 0;
        }
        self.frames.push_back((pts, bytes));
        self.bytes += bytes;
        while let Some(&(first, b)) = self.frames.front() {
            if pts - first <= RATE_WINDOW {
                break;
            }
            self.frames.pop_front();
            self.bytes -= b;
        }
        self.rate()
    }

    /// The rate as of the last frame (see [`RateMeter::observe`]).
    pub(crate) fn rate(&self) -> u64 {
        let (Some(&(first, _)), Some(&(last, _))) = (self.frames.front(), self.frames.back())
        else {
            return 0;
        };
        let n = self.frames.len() as u128;
        let span = (last - first).as_nanos();
        if n < 2 || span == 0 {
            return 0;
        }
        // n frames span n - 1 frame intervals between the first and the last; each frame
        // stands for one interval, so the bytes cover span * n / (n - 1).
        let rate = self.bytes as u128 * (n - 1) * 1_000_000_000 / (span * n);
        u64::try_from(rate).unwrap_or(u64::MAX)
    }
}

/// The pacing rate, bytes per second, for a stream of `stream_rate` bytes/s (0: unknown) with
/// `backlog` bytes waiting to be sent to this destination (the frame being sent included):
/// the largest of [`PACE_RATE_FACTOR`] x the stream rate, `backlog / CATCH_UP_TIME` and
/// [`MIN_PACE_RATE`].
pub(crate) fn pace_rate(stream_rate: u64, backlog: usize) -> u64 {
    let catch_up = backlog as u128 * 1000 / CATCH_UP_TIME.as_millis().max(1);
    let catch_up = u64::try_from(catch_up).unwrap_or(u64::MAX);
    stream_rate
        .saturating_mul(PACE_RATE_FACTOR)
        .max(catch_up)
        .max(MIN_PACE_RATE)
}

/// What the sender should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pace {
    /// Send this many of the packets asked about, now.
    Send(usize),
    /// Send nothing yet; ask again after this long.
    Wait(Duration),
}

/// The token bucket of one UDP destination (see the module documentation).
#[derive(Debug)]
pub(crate) struct Pacer {
    /// Bytes per second.
    rate: u64,
    /// Bytes that may go now; negative after a packet larger than the bucket went out.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    last: Option<Instant>,
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

impl Pacer {
    /// A pacer with a full bucket (a new destination may get one burst at once).
    pub fn new() -> Self {
        Self {
            rate: MIN_PACE_RATE,
            tokens: PACE_BURST as f64,
            last: None,
        }
    }

    /// Sets the rate for the frame about to be sent (see [`pace_rate`]).
    pub(crate) fn start_frame(&mut self, stream_rate: u64, backlog: usize) {
        self.rate = pace_rate(stream_rate, backlog);
    }

    /// How many of `packets` (the ones left of a frame, in order) may be sent at `now`, or
    /// how long to wait before asking again. A `Send(n)` is taken as done: the bucket pays
    /// for those packets.
    pub(crate) fn poll(&mut self, now: Instant, packets: &[Bytes]) -> Pace {
        self.refill(now);
        let mut n = 0;
        let mut bytes = 0usize;
        for p in packets {
            if (bytes + p.len()) as f64 > self.tokens {
                break;
            }
            bytes += p.len();
            n += 1;
        }
        // A packet larger than the whole bucket goes alone once the bucket is full (it could
        // never fit otherwise); the debt is paid back at the rate.
        if n == 0 && !packets.is_empty() && self.tokens >= PACE_BURST as f64 {
            n = 1;
            bytes = packets[0].len();
        }
        if n > 0 || packets.is_empty() {
            self.tokens -= bytes as f64;
            return Pace::Send(n);
        }
        let missing = (packets[0].len() as f64).min(PACE_BURST as f64) - self.tokens;
        let wait = Duration::from_secs_f64(missing.max(0.0) / self.rate as f64);
        Pace::Wait(wait.max(MIN_WAIT))
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let dt = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + dt * self.rate as f64).min(PACE_BURST as f64);
        }
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn packets(sizes: &[usize]) -> Vec<Bytes> {
        sizes.iter().map(|&n| Bytes::from(vec![0u8; n])).collect()
    }

    /// Runs a sender on simulated time: sends `frames` (each `(at, packets)`, queued at `at`)
    /// through `pacer` and a receiver that reads nothing for `stall` after `stall_from`, then
    /// everything at once. Returns (send time of every packet, most bytes the receiver held).
    fn simulate(
        pacer: &mut Pacer,
        frames: &[(Duration, Vec<Bytes>, u64)],
        backlog_of: impl Fn(usize) -> usize,
        stall: (Duration, Duration),
    ) -> (Vec<Duration>, usize) {
        let t0 = Instant::now();
        let mut now = Duration::ZERO;
        let mut sent = Vec::new();
        let mut held: Vec<usize> = Vec::new();
        let mut peak = 0;
        for (i, (at, pkts, rate)) in frames.iter().enumerate() {
            now = now.max(*at);
            pacer.start_frame(*rate, backlog_of(i));
            let mut rest = &pkts[..];
            while !rest.is_empty() {
                match pacer.poll(t0 + now, rest) {
                    Pace::Send(n) => {
                        for p in &rest[..n] {
                            sent.push(now);
                            held.push(p.len());
                        }
                        rest = &rest[n..];
                    }
                    Pace::Wait(d) => {
                        assert!(d >= MIN_WAIT);
                        now += d;
                    }
                }
                peak = peak.max(held.iter().sum());
                // The receiver drains what it holds, except while stalled.
                let (from, len) = stall;
                if !(now >= from && now < from + len) {
                    held.clear();
                }
            }
        }
        (sent, peak)
    }

    #[test]
    fn rate_meter_measures_bytes_per_second_of_capture_time() {
        let mut m = RateMeter::new();
        assert_eq!(m.observe(Duration::ZERO, 10_000), 0, "one frame: unknown");
        // 25 fps, 10 kB each: 250 kB/s.
        let mut r = 0;
        for i in 1..100u64 {
            r = m.observe(Duration::from_millis(40 * i), 10_000);
        }
        assert_eq!(r, 250_000);
        // The window keeps ~2 s: a rate change shows within it.
        for i in 100..160u64 {
            r = m.observe(Duration::from_millis(40 * i), 20_000);
        }
        assert_eq!(r, 500_000);
        // Time going back (encoder restart) starts over.
        assert_eq!(m.observe(Duration::from_millis(5), 1000), 0);
        assert_eq!(m.observe(Duration::from_millis(45), 1000), 25_000);
        // A jump past the window too.
        assert_eq!(m.observe(Duration::from_secs(100), 1000), 0);
    }

    #[test]
    fn pace_rate_takes_the_largest_bound() {
        assert_eq!(pace_rate(0, 0), MIN_PACE_RATE);
        assert_eq!(pace_rate(250_000, 10_000), 1_000_000);
        // A 1 MB backlog must drain in CATCH_UP_TIME: 2 MB/s beats 4 x 250 kB/s.
        assert_eq!(pace_rate(250_000, 1_000_000), 2_000_000);
        assert_eq!(pace_rate(u64::MAX, usize::MAX), u64::MAX);
    }

    #[test]
    fn a_burst_then_the_rate() {
        let mut p = Pacer::new();
        p.start_frame(0, 0);
        let t0 = Instant::now();
        // 100 packets of 1000 bytes: the first 16 fit the bucket.
        let pk = packets(&[1000; 100]);
        assert_eq!(p.poll(t0, &pk), Pace::Send(16));
        // Nothing more until a packet's worth accrued at 500 kB/s: 1000 - 384 bytes.
        let Pace::Wait(w) = p.poll(t0, &pk[16..]) else {
            panic!("must wait")
        };
        assert_eq!(w, Duration::from_secs_f64(616.0 / 500_000.0));
        // 10 ms later 5000 bytes accrued: 5 packets.
        assert_eq!(p.poll(t0 + 10 * MS, &pk[16..]), Pace::Send(5));
        // A long idle refills only up to the burst.
        assert_eq!(p.poll(t0 + 10_000 * MS, &pk[21..]), Pace::Send(16));
    }

    #[test]
    fn packets_larger_than_the_bucket_still_go_one_at_a_time() {
        let mut p = Pacer::new();
        let t0 = Instant::now();
        let big = packets(&[PACE_BURST * 2, PACE_BURST * 2]);
        assert_eq!(p.poll(t0, &big), Pace::Send(1));
        let Pace::Wait(w) = p.poll(t0, &big[1..]) else {
            panic!("must wait")
        };
        // The debt (one bucket) plus a full bucket accrue at 500 kB/s.
        assert_eq!(p.poll(t0 + w, &big[1..]), Pace::Send(1));
        assert!(w >= Duration::from_secs_f64(2.0 * PACE_BURST as f64 / 500_000.0));
    }

    #[test]
    fn cached_gop_is_spread_and_catches_up_at_the_bounded_rate() {
        // A 2 s GOP of a 250 kB/s stream, queued at once when the viewer starts: an IDR of
        // 100 kB and 49 P frames of ~3 kB, 1400-byte packets; 290 kB in all.
        let mut frames = Vec::new();
        let idr: Vec<usize> = vec![1400; 72];
        frames.push((Duration::ZERO, packets(&idr), 250_000));
        for _ in 0..49 {
            frames.push((Duration::ZERO, packets(&[1400, 1400, 300]), 250_000));
        }
        let total: usize = frames
            .iter()
            .map(|(_, p, _)| p.iter().map(Bytes::len).sum::<usize>())
            .sum();
        let sizes: Vec<usize> = frames
            .iter()
            .map(|(_, p, _)| p.iter().map(Bytes::len).sum())
            .collect();
        let backlog = |i: usize| sizes[i..].iter().sum::<usize>();
        let mut p = Pacer::new();
        // The receiver stalls for 20 ms right at the start (a decoder busy with the IDR).
        let (sent, peak) = simulate(&mut p, &frames, backlog, (Duration::ZERO, 20 * MS));
        let end = *sent.last().unwrap();
        // Unpaced, all 290 kB would arrive within the stall, over the default receive
        // buffer's ~130 kB of 1.4 kB datagrams. Paced: one burst plus 20 ms at the rate.
        let rate = pace_rate(250_000, total) as f64;
        assert!(
            (peak as f64) <= PACE_BURST as f64 + rate * 0.021,
            "peak {peak}"
        );
        assert!(peak < 64 * 1024, "peak {peak}");
        // The whole GOP leaves within CATCH_UP_TIME (plus one wait's rounding), not at once.
        assert!(end <= CATCH_UP_TIME, "took {end:?}");
        assert!(end >= 200 * MS, "not spread: {end:?}");
    }

    #[test]
    fn live_idr_is_spread_and_small_frames_go_at_once() {
        // Live: one frame every 40 ms; an IDR of 60 kB every 25 frames, P frames of 6 kB;
        // the stream rate is ~190 kB/s, so packets leave at 4x that.
        let mut frames = Vec::new();
        for i in 0..50u64 {
            let sizes = if i % 25 == 0 {
                vec![1400; 43]
            } else {
                vec![1400, 1400, 1400, 1400, 400]
            };
            frames.push((Duration::from_millis(40 * i), packets(&sizes), 190_000));
        }
        let mut p = Pacer::new();
        let (sent, peak) = simulate(&mut p, &frames, |_| 6_000, (Duration::ZERO, Duration::ZERO));
        assert!(
            peak <= PACE_BURST,
            "a receiver that keeps up holds one burst at most"
        );
        // The IDR (60 kB) takes (60 kB - 16 KiB) / 760 kB/s ~ 59 ms; the P frame queued
        // behind it waits for its tail, and once caught up each P frame (7 kB, under one
        // burst) leaves the moment it is queued.
        let idr_end = sent[42];
        assert!(idr_end > 40 * MS && idr_end < 80 * MS, "{idr_end:?}");
        let p_frame_10 = &sent[43 + 9 * 5..43 + 10 * 5];
        assert!(p_frame_10.iter().all(|t| *t == Duration::from_millis(400)));
    }
}
