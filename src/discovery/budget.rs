//! The reply budget, sans-IO: which replies are sent, and when, so that a flood from some
//! addresses cannot starve the others (issue 14: 40 on-link addresses sending 660 Probes/s
//! left a real NVR unanswered 16 times out of 16 when the budget went first come, first
//! served).
//!
//! Every reply waits out its random delay anyway (WS-Discovery 2005/04 s.5.3, APP_MAX_DELAY),
//! so it is queued here rather than sent at once, and the global budget (a token bucket of
//! [`GLOBAL_BURST`], [`GLOBAL_PER_SEC`]) is handed out among the replies that are due, in
//! this order:
//! 1. **the address that asks least**: each address's requests are counted with an
//!    exponential decay (time constant [`DEMAND_DECAY`]), refused ones included, so a
//!    flooding address (16 Probes/s: about 160) always comes after an NVR probing every few
//!    seconds (a few);
//! 2. then the address answered least recently (never answered first);
//! 3. then the earliest due.
//!
//! So an address that asks now and then is answered at the next token whatever the flood's
//! rate, and the flooders share what is left (max-min fairness: the light demands are met
//! in full). On top of that, each address has its own token bucket ([`PER_SOURCE_BURST`],
//! [`PER_SOURCE_PER_SEC`]) and at most one reply waiting: a Probe from an address whose
//! reply is still waiting, or whose bucket is empty, is dropped at once. A reply that finds
//! no token within [`MAX_REPLY_WAIT`] of its due time is dropped (the client has moved on).
//! State is bounded: [`MAX_TRACKED_SOURCES`] addresses (when full, the one asking least with
//! nothing waiting is forgotten: it would come back as a light demand anyway) and
//! [`MAX_PENDING`] waiting replies (when full, a new reply displaces the one that would go
//! last, if the new one goes before it).
//!
//! Limits of the guarantee: fairness is per source address. An attacker who spoofs the
//! victim's own address spends the victim's share (nothing at this layer can tell them
//! apart), and one who asks from many addresses, each as seldom as the victim, is
//! indistinguishable from that many NVRs: the victim then gets its share of the global rate
//! among them. More addresses than [`MAX_TRACKED_SOURCES`] are forgotten and start afresh.
//! The global budget bounds what is sent in every case.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::limits::{
    DEMAND_DECAY, GLOBAL_BURST, GLOBAL_PER_SEC, MAX_PENDING, MAX_REPLY_WAIT, MAX_TRACKED_SOURCES,
    PER_SOURCE_BURST, PER_SOURCE_PER_SEC,
};

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
        if now > self.last {
            let dt = (now - self.last).as_secs_f64();
            self.tokens = (self.tokens + dt * rate).min(burst);
            self.last = now;
        }
    }

    /// When the next whole token is there (None: there is one now).
    fn next_token(&self, rate: f64) -> Option<Instant> {
        (self.tokens < 1.0).then(|| self.last + Duration::from_secs_f64((1.0 - self.tokens) / rate))
    }
}

#[derive(Debug)]
struct Source {
    bucket: Bucket,
    /// Requests counted with exponential decay, as of `demand_at`.
    demand: f64,
    demand_at: Instant,
    /// When this address was last sent a reply.
    answered: Option<Instant>,
    /// A reply to it is waiting.
    waiting: bool,
}

impl Source {
    fn new(now: Instant) -> Source {
        Source {
            bucket: Bucket::full(now, PER_SOURCE_BURST),
            demand: 0.0,
            demand_at: now,
            answered: None,
            waiting: false,
        }
    }

    /// The decayed request count at `now`.
    fn demand(&self, now: Instant) -> f64 {
        let dt = now.saturating_duration_since(self.demand_at).as_secs_f64();
        self.demand * (-dt / DEMAND_DECAY.as_secs_f64()).exp()
    }

    /// The order replies go in (smaller first): see the module documentation.
    fn rank(&self, due: Instant, now: Instant) -> Rank {
        Rank {
            demand: self.demand(now),
            answered: self.answered,
            due,
        }
    }
}

/// Sort key of a waiting reply: smaller goes first.
#[derive(Clone, Copy, Debug)]
struct Rank {
    demand: f64,
    /// Never answered sorts before any time.
    answered: Option<Instant>,
    due: Instant,
}

impl Rank {
    fn cmp(&self, other: &Rank) -> Ordering {
        self.demand
            .total_cmp(&other.demand)
            .then(self.answered.cmp(&other.answered))
            .then(self.due.cmp(&other.due))
    }
}

#[derive(Debug)]
struct Pending<T> {
    source: IpAddr,
    item: T,
    due: Instant,
}

/// Why a reply was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The address's own bucket is empty, or a reply to it is waiting already.
    Source,
    /// Every waiting slot holds a reply that goes before this one.
    Busy,
}

/// The budget; `T` is what is sent (the responder's reply).
#[derive(Debug)]
pub(crate) struct Budget<T> {
    global: Bucket,
    sources: HashMap<IpAddr, Source>,
    pending: Vec<Pending<T>>,
}

impl<T> Budget<T> {
    pub fn new(now: Instant) -> Budget<T> {
        Budget {
            global: Bucket::full(now, GLOBAL_BURST),
            sources: HashMap::new(),
            pending: Vec::new(),
        }
    }

    fn rank(&self, source: &IpAddr, due: Instant, now: Instant) -> Rank {
        match self.sources.get(source) {
            Some(s) => s.rank(due, now),
            None => Source::new(now).rank(due, now),
        }
    }

    /// Drops replies that waited past [`MAX_REPLY_WAIT`].
    fn expire(&mut self, now: Instant) {
        let sources = &mut self.sources;
        self.pending.retain(|p| {
            let live = now <= p.due + MAX_REPLY_WAIT;
            if !live && let Some(s) = sources.get_mut(&p.source) {
                s.waiting = false;
            }
            live
        });
    }

    /// The entry of `source`, made if need be; when the table is full, the address asking
    /// least with nothing waiting is forgotten (None if every address has a reply waiting,
    /// which MAX_PENDING < MAX_TRACKED_SOURCES rules out).
    fn source(&mut self, source: IpAddr, now: Instant) -> Option<&mut Source> {
        if !self.sources.contains_key(&source) && self.sources.len() >= MAX_TRACKED_SOURCES {
            let lightest = self
                .sources
                .iter()
                .filter(|(_, s)| !s.waiting)
                .min_by(|a, b| a.1.demand(now).total_cmp(&b.1.demand(now)))
                .map(|(a, _)| *a)?;
            self.sources.remove(&lightest);
        }
        Some(
            self.sources
                .entry(source)
                .or_insert_with(|| Source::new(now)),
        )
    }

    /// Whether a reply to `source` due at `due` would be queued now; `Some(i)`: in the place
    /// of `pending[i]`.
    fn check(&self, source: IpAddr, due: Instant, now: Instant) -> Result<Option<usize>, Refused> {
        if let Some(s) = self.sources.get(&source) {
            let mut bucket = s.bucket;
            bucket.refill(now, PER_SOURCE_PER_SEC, PER_SOURCE_BURST);
            if s.waiting || bucket.tokens < 1.0 {
                return Err(Refused::Source);
            }
        }
        if self.pending.len() < MAX_PENDING {
            return Ok(None);
        }
        // Full: displace the waiting reply that would go last, if the new one goes before it.
        let (worst, worst_rank) = self
            .pending
            .iter()
            .enumerate()
            .map(|(i, p)| (i, self.rank(&p.source, p.due, now)))
            .max_by(|a, b| a.1.cmp(&b.1))
            .expect("MAX_PENDING > 0");
        if worst_rank.cmp(&self.rank(&source, due, now)) != Ordering::Greater {
            return Err(Refused::Busy);
        }
        Ok(Some(worst))
    }

    /// Counts a request from `source` (its demand) and says whether [`offer`](Self::offer)
    /// would queue a reply to it due at `due`, so that the caller builds a reply only when it
    /// can go. Call it once per request.
    pub(crate) fn admits(
        &mut self,
        source: IpAddr,
        due: Instant,
        now: Instant,
    ) -> Result<(), Refused> {
        self.expire(now);
        let s = self.source(source, now).ok_or(Refused::Busy)?;
        s.demand = s.demand(now) + 1.0;
        s.demand_at = now;
        self.check(source, due, now).map(|_| ())
    }

    /// Queues `item` for `source`, to be sent at `due` or later (see [`take_due`]).
    ///
    /// [`take_due`]: Self::take_due
    pub(crate) fn offer(
        &mut self,
        source: IpAddr,
        item: T,
        due: Instant,
        now: Instant,
    ) -> Result<(), Refused> {
        self.expire(now);
        let displace = self.check(source, due, now)?;
        if let Some(i) = displace {
            let gone = self.pending.swap_remove(i);
            if let Some(s) = self.sources.get_mut(&gone.source) {
                s.waiting = false;
            }
        }
        let s = self.source(source, now).ok_or(Refused::Busy)?;
        s.bucket.refill(now, PER_SOURCE_PER_SEC, PER_SOURCE_BURST);
        s.waiting = true;
        self.pending.push(Pending { source, item, due });
        Ok(())
    }

    /// The replies to send now: while the global bucket holds a token, the due reply that
    /// goes first (see the module documentation).
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<(IpAddr, T)> {
        self.expire(now);
        self.global.refill(now, GLOBAL_PER_SEC, GLOBAL_BURST);
        let mut out = Vec::new();
        while self.global.tokens >= 1.0 {
            let next = self
                .pending
                .iter()
                .enumerate()
                .filter(|(_, p)| p.due <= now)
                .map(|(i, p)| (i, self.rank(&p.source, p.due, now)))
                .min_by(|a, b| a.1.cmp(&b.1))
                .map(|(i, _)| i);
            let Some(i) = next else { break };
            let p = self.pending.swap_remove(i);
            self.global.tokens -= 1.0;
            if let Some(s) = self.sources.get_mut(&p.source) {
                s.bucket.refill(now, PER_SOURCE_PER_SEC, PER_SOURCE_BURST);
                s.bucket.tokens -= 1.0;
                s.answered = Some(now);
                s.waiting = false;
            }
            out.push((p.source, p.item));
        }
        out
    }

    /// When [`take_due`](Self::take_due) may next have something to send (None: nothing
    /// waits).
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        let token = self.global.next_token(GLOBAL_PER_SEC);
        self.pending
            .iter()
            .map(|p| token.map_or(p.due, |t| p.due.max(t)))
            .min()
    }

    /// Replies waiting.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// Most replies one address can be sent over `elapsed` (burst plus refill).
    #[cfg(test)]
    pub(crate) fn per_source_bound(elapsed: Duration) -> u64 {
        (PER_SOURCE_BURST + PER_SOURCE_PER_SEC * elapsed.as_secs_f64()).floor() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(i: u32) -> IpAddr {
        IpAddr::from((0x0a00_0000 + i).to_be_bytes())
    }

    #[test]
    fn per_source_burst_then_rate_and_one_waiting_reply_each() {
        let t0 = Instant::now();
        let mut b = Budget::new(t0);
        let a = addr(2);
        // One waiting reply per address: the second offer is refused until the first goes.
        assert_eq!(b.offer(a, 0, t0, t0), Ok(()));
        assert_eq!(b.offer(a, 1, t0, t0), Err(Refused::Source));
        let mut sent = b.take_due(t0).len();
        for i in 0..100 {
            if b.offer(a, i, t0, t0).is_ok() {
                sent += b.take_due(t0).len();
            }
        }
        assert_eq!(sent, PER_SOURCE_BURST as usize);
        // Another address has its own bucket.
        assert!(b.offer(addr(3), 0, t0, t0).is_ok());
        assert_eq!(b.take_due(t0).len(), 1);
        // One second later, one more for `a`.
        let t1 = t0 + Duration::from_secs(1);
        assert!(b.offer(a, 0, t1, t1).is_ok());
        assert_eq!(b.take_due(t1).len(), 1);
        assert_eq!(b.offer(a, 0, t1, t1), Err(Refused::Source));
        assert_eq!(
            Budget::<u8>::per_source_bound(Duration::from_secs(1)),
            (PER_SOURCE_BURST + PER_SOURCE_PER_SEC) as u64
        );
    }

    #[test]
    fn nothing_goes_before_its_due_time_and_next_wake_says_when() {
        let t0 = Instant::now();
        let mut b = Budget::new(t0);
        let due = t0 + Duration::from_millis(300);
        b.offer(addr(1), "x", due, t0).unwrap();
        assert_eq!(b.next_wake(), Some(due));
        assert!(b.take_due(t0 + Duration::from_millis(299)).is_empty());
        assert_eq!(b.take_due(due), vec![(addr(1), "x")]);
        assert_eq!(b.next_wake(), None);
    }

    #[test]
    fn global_budget_caps_many_sources() {
        let t0 = Instant::now();
        let mut b = Budget::new(t0);
        for i in 0..MAX_PENDING as u32 {
            b.offer(addr(i), i, t0, t0).unwrap();
        }
        assert_eq!(b.take_due(t0).len(), GLOBAL_BURST as usize);
        // The rest wait for tokens: one per 1/GLOBAL_PER_SEC.
        let wake = b.next_wake().unwrap();
        assert!(wake > t0 && wake <= t0 + Duration::from_secs_f64(1.0 / GLOBAL_PER_SEC));
        assert_eq!(b.take_due(wake).len(), 1);
        // Those that find no token within MAX_REPLY_WAIT are dropped.
        let late = t0 + MAX_REPLY_WAIT + Duration::from_millis(1);
        let sent = b.take_due(late).len();
        assert!(sent as f64 <= GLOBAL_PER_SEC * (MAX_REPLY_WAIT.as_secs_f64() + 0.01));
        assert_eq!(b.waiting(), 0);
    }

    #[test]
    fn the_address_answered_least_recently_goes_first() {
        let t0 = Instant::now();
        let mut b = Budget::new(t0);
        // Drain the global burst on address 1 and 2 (answered at t0).
        b.global.tokens = 2.0;
        b.offer(addr(1), 1, t0, t0).unwrap();
        b.offer(addr(2), 2, t0, t0).unwrap();
        assert_eq!(b.take_due(t0).len(), 2);
        // Now 1 and 2 (answered) and 3 (never answered) wait; 3 came last, goes first.
        let t1 = t0 + Duration::from_millis(10);
        b.offer(addr(1), 1, t1, t1).unwrap();
        b.offer(addr(2), 2, t1, t1).unwrap();
        b.offer(addr(3), 3, t1, t1).unwrap();
        let wake = b.next_wake().unwrap();
        assert_eq!(b.take_due(wake), vec![(addr(3), 3)]);
    }

    #[test]
    fn the_address_asking_least_goes_first() {
        let t0 = Instant::now();
        let mut b = Budget::new(t0);
        b.global.tokens = 0.0;
        // Address 1 asks 10 times a second for 3 s (refused while its reply waits), address
        // 2 once: 2 goes first though 1 asked first and was never answered either.
        let mut t = t0;
        for _ in 0..30 {
            if b.admits(addr(1), t, t).is_ok() {
                b.offer(addr(1), 1, t, t).unwrap();
            }
            t += Duration::from_millis(100);
        }
        b.admits(addr(2), t, t).unwrap();
        b.offer(addr(2), 2, t, t).unwrap();
        b.global.tokens = 1.0;
        b.global.last = t;
        assert_eq!(b.take_due(t), vec![(addr(2), 2)]);
        // The demand decays: after a quiet minute, 1 counts as little as anyone.
        let later = t + Duration::from_secs(60);
        assert!(b.sources[&addr(1)].demand(later) < 0.1);
    }

    #[test]
    fn a_full_queue_keeps_the_least_recently_answered() {
        let t0 = Instant::now();
        let mut b = Budget::new(t0);
        let n = MAX_PENDING as u32;
        b.global.tokens = f64::from(n) + 1.0;
        for i in 0..n {
            b.offer(addr(i), i, t0, t0).unwrap();
        }
        assert_eq!(b.take_due(t0).len(), MAX_PENDING);
        // Address n is answered a little later than the others.
        let t = t0 + Duration::from_millis(1);
        b.offer(addr(n), n, t, t).unwrap();
        assert_eq!(b.take_due(t).len(), 1);
        // The others wait again: the queue is full.
        let t1 = t0 + Duration::from_secs(2);
        for i in 0..n {
            b.offer(addr(i), i, t1, t1).unwrap();
        }
        // n, answered more recently than all of them, does not get in...
        assert_eq!(b.offer(addr(n), n, t1, t1), Err(Refused::Busy));
        // ...a new address does, in the place of one answered before.
        assert_eq!(b.offer(addr(9999), 9999, t1, t1), Ok(()));
        assert_eq!(b.waiting(), MAX_PENDING);
        let wake = b.next_wake().unwrap();
        assert_eq!(b.take_due(wake)[0], (addr(9999), 9999));
    }

    #[test]
    fn the_source_table_is_bounded() {
        let t0 = Instant::now();
        let mut b = Budget::new(t0);
        let mut t = t0;
        for i in 0..(2 * MAX_TRACKED_SOURCES) as u32 {
            t += Duration::from_millis(60);
            assert!(b.offer(addr(i), i, t, t).is_ok(), "{i}");
            assert_eq!(b.take_due(t).len(), 1);
            assert!(b.sources.len() <= MAX_TRACKED_SOURCES);
        }
    }
}
