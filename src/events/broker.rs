//! The event broker: producers publish [`Message`]s on topics, property topics keep their
//! current state, and every live subscription whose filter matches gets the message in its
//! own bounded queue. Publishing never waits on a subscriber: a full queue drops its oldest
//! message (counted), so one slow consumer costs only itself.
//!
//! Pull points are drained by PullMessages; push subscriptions by their delivery task
//! ([`super::push`]). Both expire at their termination time and are then forgotten, with
//! their queues. When the table of one kind is full, a new subscription may reclaim an
//! existing one under the fair-share policy of [`super::share`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::Notify;

use super::filter::Filter;
use super::limits::{DEFAULT_LIFETIME, MAX_LIFETIME, MAX_PUSH_SUBSCRIPTIONS, QUEUE_MESSAGES};
use super::message::{Message, PropertyOperation};
use super::share::{self, Admission, Refusal, Requester, Slot};
use super::topics::{TOPICS, TopicId};

/// What kind of subscription, and where push messages go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    PullPoint,
    /// Push (base notification) to this consumer address.
    Push {
        consumer: String,
    },
    /// A profile's metadata stream (ONVIF Streaming, "RTP for Metadata stream"): the
    /// device's own subscription, one per stream whatever its viewers, made by
    /// [`Broker::subscribe_stream`]. Not a client's: it takes no pull point or push slot and
    /// does not expire; it ends when its stream stops ([`Broker::unsubscribe`]).
    Stream,
}

/// Why a subscription operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BrokerError {
    #[error("no such subscription (unknown, unsubscribed or expired)")]
    UnknownSubscription,
    #[error("the device has {cap} subscriptions of this kind already, and {why}")]
    TooManySubscriptions { cap: usize, why: Refusal },
    #[error("termination time: {0}")]
    Termination(String),
}

struct SubState {
    queue: VecDeque<Arc<Message>>,
    /// Messages dropped because the queue was full.
    dropped: u64,
    expires: Instant,
    /// For a pull point created or renewed with a relative time (or none): each PullMessages
    /// moves its termination to this long after the pull (event.wsdl: TerminationTime is when
    /// the pull point "will be shut down without further pull requests").
    keepalive: Option<Duration>,
    closed: bool,
    /// Created, pulled, renewed or re-synchronized last: what the fair-share policy reclaims
    /// by (least recently used first).
    last_used: Instant,
    /// PullMessages waiting on it now (see [`Subscription::begin_pull`]).
    pulls: u32,
}

/// One subscription: its filter, queue and lifetime.
pub(crate) struct Subscription {
    /// Unguessable id, the last segment of its address.
    pub(crate) id: String,
    pub(crate) kind: Kind,
    /// The user who created it (None: no authentication), whose share it counts in.
    pub(crate) owner: Option<String>,
    /// Topics and message content expressions (ONVIF Core s.9.4.4); every message queued,
    /// Initialized re-sends included, passes it.
    pub filter: Filter,
    state: Mutex<SubState>,
    /// Woken on every new message, on expiry and on Unsubscribe.
    notify: Notify,
}

impl Subscription {
    fn lock(&self) -> MutexGuard<'_, SubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, m: Arc<Message>) {
        let mut s = self.lock();
        if s.closed {
            return;
        }
        if s.queue.len() >= QUEUE_MESSAGES {
            s.queue.pop_front();
            s.dropped += 1;
            if s.dropped.is_power_of_two() {
                tracing::debug!(id = %self.id, dropped = s.dropped, "subscription queue full, oldest dropped");
            }
        }
        s.queue.push_back(m);
        drop(s);
        self.notify.notify_waiters();
    }

    /// Sets (or clears) the lifetime a PullMessages renews; see `SubState::keepalive`.
    pub(crate) fn set_keepalive(&self, keepalive: Option<Duration>) {
        self.lock().keepalive = keepalive;
    }

    /// A pull begins (`wait` is its timeout) or ends (`wait` zero): the pull point lives at
    /// least `keepalive` past it, and never expires during a pending pull. Returns the
    /// termination before the call, so the end of a pull can keep a longer one.
    pub(crate) fn touch(&self, wait: Duration, floor: Option<Instant>) -> Instant {
        let mut s = self.lock();
        let before = s.expires;
        if let Some(k) = s.keepalive
            && !s.closed
            && s.expires > Instant::now()
        {
            let at = Instant::now() + wait + k;
            s.expires = match floor {
                Some(f) => at.max(f),
                None => at.max(s.expires),
            };
        }
        before
    }

    /// A PullMessages begins: the subscription counts as in use until the guard is dropped
    /// (when the pull returns, or its request is abandoned), and as used now.
    pub(crate) fn begin_pull(self: &Arc<Self>) -> PullGuard {
        let mut s = self.lock();
        s.pulls += 1;
        s.last_used = Instant::now();
        drop(s);
        PullGuard(self.clone())
    }

    /// Records a use by its client (Renew, SetSynchronizationPoint).
    fn used(&self) {
        self.lock().last_used = Instant::now();
    }

    /// Messages dropped so far because the queue was full.
    #[cfg(test)]
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    pub(crate) fn is_closed(&self) -> bool {
        let s = self.lock();
        s.closed || s.expires <= Instant::now()
    }

    /// Time left before expiry (zero once expired).
    pub(crate) fn remaining(&self) -> Duration {
        self.lock()
            .expires
            .saturating_duration_since(Instant::now())
    }

    /// Waits until messages are queued (returns up to `limit` of them at once), `timeout`
    /// passes (returns none), or the subscription ends (returns none).
    pub(crate) async fn next(&self, timeout: Duration, limit: usize) -> Vec<Arc<Message>> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Registered before looking at the queue, so a message pushed in between wakes us.
            notified.as_mut().enable();
            let wait_until = {
                let mut s = self.lock();
                if !s.queue.is_empty() {
                    let n = limit.max(1).min(s.queue.len());
                    return s.queue.drain(..n).collect();
                }
                if s.closed || s.expires <= Instant::now() {
                    return Vec::new();
                }
                deadline.min(s.expires)
            };
            if Instant::now() >= deadline {
                return Vec::new();
            }
            let _ = tokio::time::timeout_at(wait_until.into(), notified).await;
        }
    }
}

/// Holds a subscription "being pulled" (see [`Subscription::begin_pull`]).
pub(crate) struct PullGuard(Arc<Subscription>);

impl Drop for PullGuard {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.pulls = s.pulls.saturating_sub(1);
        s.last_used = Instant::now();
    }
}

/// How long a [`Kind::Stream`] subscription lives: for ever, in practice.
const STREAM_LIFETIME: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

struct Inner {
    subs: HashMap<String, Arc<Subscription>>,
    /// Current state of every property: (topic, source values) -> last message.
    properties: BTreeMap<(TopicId, Vec<String>), Arc<Message>>,
}

/// The broker. Cheap to share (`Arc<Broker>`); every method is synchronous and short except
/// [`Subscription::next`].
pub(crate) struct Broker {
    inner: Mutex<Inner>,
    /// Device clock, Unix milliseconds (system clock plus the SetSystemDateAndTime offset).
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    max_pull_points: usize,
}

impl Broker {
    pub(crate) fn new(max_pull_points: usize, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> Broker {
        Broker {
            inner: Mutex::new(Inner {
                subs: HashMap::new(),
                properties: BTreeMap::new(),
            }),
            clock,
            max_pull_points,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Device time now, Unix milliseconds.
    pub(crate) fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    pub(crate) fn max_pull_points(&self) -> usize {
        self.max_pull_points
    }

    /// Publishes the state of a property topic. Nothing is sent when the state is the one
    /// already held (state changes only); the first state is `Initialized`, later ones
    /// `Changed`.
    pub(crate) fn set_property(
        &self,
        topic: TopicId,
        source: Vec<String>,
        data: Vec<String>,
        utc_ms: i64,
    ) {
        debug_assert!(TOPICS[topic].property);
        let mut inner = self.lock();
        let key = (topic, source.clone());
        let operation = match inner.properties.get(&key) {
            Some(old) if old.data == data => return,
            Some(_) => PropertyOperation::Changed,
            None => PropertyOperation::Initialized,
        };
        let m = Arc::new(Message {
            topic,
            utc_ms,
            operation: Some(operation),
            source,
            data,
        });
        inner.properties.insert(key, m.clone());
        let now = Instant::now();
        for s in inner.subs.values() {
            if s.filter.matches(&m) && s.lock().expires > now {
                s.push(m.clone());
            }
        }
    }

    /// Publishes a message of a topic that is not a property (an occurrence, such as a
    /// configuration change): no operation, no state kept, so a later subscriber or a
    /// SetSynchronizationPoint re-sends nothing (ONVIF Core s.9.2.1.1: PropertyOperation is
    /// for properties only). Every live subscription whose filter matches gets it.
    pub(crate) fn publish(&self, topic: TopicId, source: Vec<String>, data: Vec<String>) {
        debug_assert!(!TOPICS[topic].property);
        let inner = self.lock();
        let m = Arc::new(Message {
            topic,
            utc_ms: self.now_ms(),
            operation: None,
            source,
            data,
        });
        let now = Instant::now();
        for s in inner.subs.values() {
            if s.filter.matches(&m) && s.lock().expires > now {
                s.push(m.clone());
            }
        }
    }

    /// Creates a subscription for `who` living `lifetime` (already validated, see
    /// [`lifetime`]), and queues the current state of every matching property as
    /// `Initialized` (ONVIF Core s.9.1.2: a new subscriber learns the properties' state
    /// first). With the table of its kind full, [`share::admit`] decides: an existing
    /// subscription is reclaimed (ended at once, as by Unsubscribe) or the request refused.
    pub(crate) fn subscribe(
        &self,
        kind: Kind,
        filter: Filter,
        lifetime: Duration,
        who: Requester<'_>,
    ) -> Result<Arc<Subscription>, BrokerError> {
        let mut inner = self.lock();
        self.reap_locked(&mut inner);
        let pull = kind == Kind::PullPoint;
        let cap = if pull {
            self.max_pull_points
        } else {
            MAX_PUSH_SUBSCRIPTIONS
        };
        let same: Vec<(Arc<Subscription>, Instant, bool)> = inner
            .subs
            .values()
            .filter(|s| s.kind != Kind::Stream && (s.kind == Kind::PullPoint) == pull)
            .map(|s| {
                let st = s.lock();
                (s.clone(), st.last_used, st.pulls > 0)
            })
            .collect();
        let slots: Vec<Slot<'_>> = same
            .iter()
            .map(|(s, last_used, pulled)| Slot {
                id: &s.id,
                owner: s.owner.as_deref(),
                last_used: *last_used,
                pulled: *pulled,
            })
            .collect();
        match share::admit(&slots, cap, who) {
            Admission::Create => {}
            Admission::Reclaim(id) => {
                if let Some(old) = inner.subs.remove(&id) {
                    tracing::info!(
                        id = %old.id,
                        owner = old.owner.as_deref().unwrap_or("-"),
                        user = who.user.unwrap_or("-"),
                        pull,
                        "subscription table full: least recently used subscription reclaimed"
                    );
                    close(&old);
                }
            }
            Admission::Refuse(why) => {
                tracing::info!(
                    user = who.user.unwrap_or("-"),
                    pull,
                    %why,
                    "subscription table full: request refused"
                );
                return Err(BrokerError::TooManySubscriptions { cap, why });
            }
        }
        let id = loop {
            let id: String = format!("{:032x}", rand::rng().random::<u128>());
            if !inner.subs.contains_key(&id) {
                break id;
            }
        };
        let now = Instant::now();
        let sub = Arc::new(Subscription {
            id: id.clone(),
            kind,
            owner: who.user.map(str::to_owned),
            filter,
            state: Mutex::new(SubState {
                queue: VecDeque::new(),
                dropped: 0,
                expires: now + lifetime,
                keepalive: None,
                closed: false,
                last_used: now,
                pulls: 0,
            }),
            notify: Notify::new(),
        });
        self.initialize_locked(&inner, &sub);
        inner.subs.insert(id, sub.clone());
        Ok(sub)
    }

    /// A metadata stream's subscription ([`Kind::Stream`]): `filter` as a client's, the
    /// current property states queued first as for any subscriber, no expiry, outside the
    /// clients' shares (a stream exists because the operator configured it, not because a
    /// client asked, so it must neither take a client's slot nor be reclaimed for one).
    pub(crate) fn subscribe_stream(&self, filter: Filter) -> Arc<Subscription> {
        let mut inner = self.lock();
        let id = loop {
            let id: String = format!("{:032x}", rand::rng().random::<u128>());
            if !inner.subs.contains_key(&id) {
                break id;
            }
        };
        let now = Instant::now();
        let sub = Arc::new(Subscription {
            id: id.clone(),
            kind: Kind::Stream,
            owner: None,
            filter,
            state: Mutex::new(SubState {
                queue: VecDeque::new(),
                dropped: 0,
                // "Never" (an Instant a century on cannot overflow on Linux).
                expires: now + STREAM_LIFETIME,
                keepalive: None,
                closed: false,
                last_used: now,
                pulls: 0,
            }),
            notify: Notify::new(),
        });
        self.initialize_locked(&inner, &sub);
        inner.subs.insert(id, sub.clone());
        sub
    }

    fn initialize_locked(&self, inner: &Inner, sub: &Subscription) {
        let now = self.now_ms();
        for m in inner.properties.values() {
            let m = Message {
                utc_ms: now,
                operation: Some(PropertyOperation::Initialized),
                ..(**m).clone()
            };
            if sub.filter.matches(&m) {
                sub.push(Arc::new(m));
            }
        }
    }

    /// The live subscription `id`.
    pub(crate) fn get(&self, id: &str) -> Result<Arc<Subscription>, BrokerError> {
        let mut inner = self.lock();
        let live = inner.subs.get(id).is_some_and(|s| !s.is_closed());
        if !live {
            // Expired ones go now rather than at the next reap.
            if let Some(s) = inner.subs.remove(id) {
                close(&s);
            }
            return Err(BrokerError::UnknownSubscription);
        }
        Ok(inner.subs[id].clone())
    }

    /// SetSynchronizationPoint: queues every matching property's state again as
    /// `Initialized`.
    pub(crate) fn synchronize(&self, id: &str) -> Result<(), BrokerError> {
        let sub = self.get(id)?;
        sub.used();
        let inner = self.lock();
        self.initialize_locked(&inner, &sub);
        Ok(())
    }

    /// Renew: the subscription now lives `lifetime` from now.
    pub(crate) fn renew(&self, id: &str, lifetime: Duration) -> Result<(), BrokerError> {
        let sub = self.get(id)?;
        let mut st = sub.lock();
        st.expires = Instant::now() + lifetime;
        st.last_used = Instant::now();
        Ok(())
    }

    /// Unsubscribe: ends the subscription and frees its queue at once.
    pub(crate) fn unsubscribe(&self, id: &str) -> Result<(), BrokerError> {
        self.get(id)?;
        let removed = self.lock().subs.remove(id);
        match removed {
            Some(s) => {
                close(&s);
                Ok(())
            }
            None => Err(BrokerError::UnknownSubscription),
        }
    }

    /// Forgets expired subscriptions (their queues are freed, waiting pulls return).
    pub(crate) fn reap(&self) {
        let mut inner = self.lock();
        self.reap_locked(&mut inner);
    }

    fn reap_locked(&self, inner: &mut Inner) {
        let now = Instant::now();
        inner.subs.retain(|_, s| {
            let live = {
                let st = s.lock();
                !st.closed && st.expires > now
            };
            if !live {
                tracing::debug!(id = %s.id, "subscription expired");
                close(s);
            }
            live
        });
    }

    /// Ends every subscription (daemon stop or restart).
    pub(crate) fn close_all(&self) {
        let subs: Vec<_> = self.lock().subs.drain().map(|(_, s)| s).collect();
        subs.iter().for_each(|s| close(s));
    }

    /// Live subscriptions: (pull points, push).
    #[cfg(test)]
    pub fn counts(&self) -> (usize, usize) {
        let inner = self.lock();
        let pull = inner
            .subs
            .values()
            .filter(|s| s.kind == Kind::PullPoint)
            .count();
        let stream = inner
            .subs
            .values()
            .filter(|s| s.kind == Kind::Stream)
            .count();
        (pull, inner.subs.len() - pull - stream)
    }
}

fn close(s: &Subscription) {
    let mut st = s.lock();
    st.closed = true;
    st.queue = VecDeque::new();
    drop(st);
    s.notify.notify_waiters();
}

/// A requested termination time (WS-BaseNotification InitialTerminationTime / Renew
/// TerminationTime): an `xs:duration` relative to now or an `xs:dateTime` on the device
/// clock. Absent: [`DEFAULT_LIFETIME`]. Longer than [`MAX_LIFETIME`]: cut to it (the answer's
/// TerminationTime says so). Unparsable, zero, negative or in the past: refused.
pub(crate) fn lifetime(requested: Option<&str>, now_ms: i64) -> Result<Duration, BrokerError> {
    let Some(text) = requested.map(str::trim) else {
        return Ok(DEFAULT_LIFETIME);
    };
    let bad = |m: &str| {
        BrokerError::Termination(format!(
            "{m}: {:?}",
            text.chars().take(64).collect::<String>()
        ))
    };
    let ms: i64 = if text.starts_with('P') || text.starts_with("-P") {
        let d = crate::xml::xsd::parse_duration(text).ok_or_else(|| bad("not an xs:duration"))?;
        if d.negative {
            return Err(bad("negative duration"));
        }
        d.approx_millis()
            .map(|m| i64::try_from(m).unwrap_or(i64::MAX))
            .unwrap_or(i64::MAX)
    } else {
        let at = crate::xml::xsd::parse_datetime(text)
            .ok_or_else(|| bad("neither an xs:duration nor an xs:dateTime"))?;
        at.saturating_sub(now_ms)
    };
    if ms <= 0 {
        return Err(bad("termination time is not in the future"));
    }
    Ok(Duration::from_millis(ms as u64).min(MAX_LIFETIME))
}

#[cfg(test)]
mod tests {
    use super::super::topics::{CELL_MOTION, MOTION_ALARM};
    use super::*;

    const USER: Requester<'static> = Requester {
        user: Some("u"),
        admin: false,
    };

    fn broker(max: usize) -> Broker {
        Broker::new(max, Arc::new(|| 1_000_000))
    }

    fn motion(b: &Broker, on: bool) {
        b.set_property(MOTION_ALARM, vec!["vs0".into()], vec![on.to_string()], 5);
    }

    #[tokio::test]
    async fn new_subscribers_get_initialized_states_then_changes_only() {
        let b = broker(4);
        motion(&b, false);
        let s = b
            .subscribe(Kind::PullPoint, Filter::ALL, Duration::from_secs(10), USER)
            .unwrap();
        let m = s.next(Duration::ZERO, 10).await;
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].operation, Some(PropertyOperation::Initialized));
        motion(&b, false); // same state: nothing
        motion(&b, true);
        let m = s.next(Duration::from_secs(1), 10).await;
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].operation, Some(PropertyOperation::Changed));
        assert_eq!(m[0].data, vec!["true"]);
        b.synchronize(&s.id).unwrap();
        let m = s.next(Duration::ZERO, 10).await;
        assert_eq!(m[0].operation, Some(PropertyOperation::Initialized));
        assert_eq!(m[0].data, vec!["true"]);
    }

    #[tokio::test]
    async fn content_filters_apply_to_changes_and_initialized_states() {
        use super::super::content_filter::parse;
        use super::super::topics::TT;
        let b = broker(4);
        motion(&b, false);
        let on = parse(
            r#"boolean(//tt:SimpleItem[@Name="State" and @Value="true"])"#,
            &|_| Some(TT),
        )
        .unwrap();
        let f = Filter {
            content: vec![on],
            ..Filter::ALL
        };
        let s = b
            .subscribe(Kind::PullPoint, f, Duration::from_secs(10), USER)
            .unwrap();
        // The state held is off: no Initialized message passes.
        assert!(s.next(Duration::ZERO, 10).await.is_empty());
        b.synchronize(&s.id).unwrap();
        assert!(s.next(Duration::ZERO, 10).await.is_empty());
        motion(&b, true);
        let m = s.next(Duration::ZERO, 10).await;
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].data, vec!["true"]);
        b.synchronize(&s.id).unwrap();
        let m = s.next(Duration::ZERO, 10).await;
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].operation, Some(PropertyOperation::Initialized));
        motion(&b, false);
        assert!(s.next(Duration::ZERO, 10).await.is_empty());
    }

    #[tokio::test]
    async fn filters_queues_and_caps() {
        let b = broker(2);
        let only_alarm = Filter::ALL;
        let a = b
            .subscribe(
                Kind::PullPoint,
                only_alarm.clone(),
                Duration::from_secs(10),
                USER,
            )
            .unwrap();
        let b2 = b
            .subscribe(
                Kind::PullPoint,
                only_alarm.clone(),
                Duration::from_secs(10),
                USER,
            )
            .unwrap();
        // Full, and both are being pulled: refused.
        let pulling = (a.begin_pull(), b2.begin_pull());
        assert_eq!(
            b.subscribe(
                Kind::PullPoint,
                only_alarm.clone(),
                Duration::from_secs(10),
                USER
            )
            .err(),
            Some(BrokerError::TooManySubscriptions {
                cap: 2,
                why: Refusal::OwnSlotsInUse
            })
        );
        // Once b2's pull is over, the user's next subscription reclaims it (share::admit).
        drop(pulling.1);
        let _b3 = b
            .subscribe(
                Kind::PullPoint,
                only_alarm.clone(),
                Duration::from_secs(10),
                USER,
            )
            .unwrap();
        assert_eq!(b.get(&b2.id).err(), Some(BrokerError::UnknownSubscription));
        assert!(b2.is_closed());
        drop(pulling.0);
        for i in 0..QUEUE_MESSAGES + 5 {
            b.set_property(CELL_MOTION, vec![i.to_string()], vec!["true".into()], 0);
        }
        assert_eq!(a.dropped(), 5);
        let got = a.next(Duration::ZERO, usize::MAX).await;
        assert_eq!(got.len(), QUEUE_MESSAGES);
        assert_eq!(got[0].source, vec!["5"]);
        b.unsubscribe(&a.id).unwrap();
        assert_eq!(b.get(&a.id).err(), Some(BrokerError::UnknownSubscription));
        assert!(
            b.subscribe(
                Kind::PullPoint,
                only_alarm.clone(),
                Duration::from_secs(10),
                USER
            )
            .is_ok()
        );
    }

    #[tokio::test]
    async fn a_waiting_pull_wakes_on_publish_and_on_expiry() {
        let b = Arc::new(broker(4));
        let s = b
            .subscribe(
                Kind::PullPoint,
                Filter::ALL,
                Duration::from_millis(300),
                USER,
            )
            .unwrap();
        let b2 = b.clone();
        let t = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            motion(&b2, true);
        });
        let got = s.next(Duration::from_secs(5), 10).await;
        assert_eq!(got.len(), 1);
        t.await.unwrap();
        let started = Instant::now();
        assert!(s.next(Duration::from_secs(5), 10).await.is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "expiry ends the wait"
        );
        b.reap();
        assert_eq!(b.counts(), (0, 0));
    }

    #[test]
    fn termination_times() {
        let now = 1_700_000_000_000;
        assert_eq!(lifetime(None, now), Ok(DEFAULT_LIFETIME));
        assert_eq!(lifetime(Some("PT60S"), now), Ok(Duration::from_secs(60)));
        assert_eq!(lifetime(Some("P30D"), now), Ok(MAX_LIFETIME));
        assert_eq!(
            lifetime(Some("2023-11-14T22:13:27Z"), now),
            Ok(Duration::from_secs(7))
        );
        for bad in ["PT0S", "-PT5S", "soon", "2001-01-01T00:00:00Z", "P", ""] {
            assert!(lifetime(Some(bad), now).is_err(), "{bad}");
        }
    }
}
