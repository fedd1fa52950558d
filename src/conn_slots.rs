//! Who gets a connection slot: the admission policy shared by the RTSP and HTTP servers
//! (issue 14 items 3 and 4), sans-IO with time passed in.
//!
//! A server has `max_connections` slots. Without more policy than that, one address that
//! opens them all and keeps them open (idle, or sending a request that is answered 401 now
//! and then) locks every other client out. The table below makes that impossible:
//!
//! - **Per address:** one address holds at most `max_per_address` slots.
//! - **Proof:** a connection is *unproven* until the server sees it make progress (RTSP: a
//!   request that passed authentication; HTTP: a request answered with anything but 401).
//!   The shell closes a connection still unproven `unproven_timeout` after it was accepted;
//!   a 401 is not progress, so sending requests without credentials does not keep a slot.
//! - **Reserve:** unproven connections may fill only `max_connections - reserve` slots. The
//!   last `reserve` slots go to an address that holds no slot yet (a new client) or that has
//!   proved itself within `trusted_memory` (an NVR opening its second stream), so a flood
//!   from some addresses never keeps a new or known client out.
//!
//! What an attacker with many addresses can still do is documented in `docs/security.md`
//! ("Connection slots"): each address costs it a slot that times out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most addresses remembered as recently proven (the oldest is forgotten first).
pub(crate) const TRUSTED_TABLE: usize = 1024;

/// The numbers of one server's policy (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotPolicy {
    pub max_connections: usize,
    pub max_per_address: usize,
    /// Slots that unproven connections from addresses already holding one may not take
    /// (capped at a quarter of `max_connections`).
    pub reserve: usize,
    /// An unproven connection is closed this long after it was accepted.
    pub unproven_timeout: Duration,
    /// How long an address that proved itself may still use the reserve.
    pub trusted_memory: Duration,
}

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every slot is taken, or only reserved ones are left and this address may not use them.
    Full,
    /// This address already holds `max_per_address` slots.
    PerAddress,
}

/// One admitted connection; give it back with [`SlotTable::release`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    ip: IpAddr,
    proven: bool,
    /// When it was admitted (its unproven deadline counts from here).
    pub admitted: Instant,
}

impl Slot {}

#[derive(Debug, Default)]
struct Addr {
    open: usize,
    proven: usize,
}

/// The slots of one server.
#[derive(Debug)]
pub(crate) struct SlotTable {
    policy: SlotPolicy,
    open: usize,
    unproven: usize,
    addrs: HashMap<IpAddr, Addr>,
    /// Addresses that proved themselves, with when they last did.
    trusted: HashMap<IpAddr, Instant>,
}

impl SlotTable {
    pub fn new(policy: SlotPolicy) -> Self {
        Self {
            policy,
            open: 0,
            unproven: 0,
            addrs: HashMap::new(),
            trusted: HashMap::new(),
        }
    }

    /// Slots taken now.
    #[cfg(test)]
    pub fn open(&self) -> usize {
        self.open
    }

    /// Slots taken now by unproven connections.
    #[cfg(test)]
    pub(crate) fn unproven(&self) -> usize {
        self.unproven
    }

    /// Slots `ip` holds now.
    #[cfg(test)]
    pub(crate) fn held_by(&self, ip: IpAddr) -> usize {
        self.addrs.get(&ip).map_or(0, |a| a.open)
    }

    /// Admits a connection from `ip` at `now`, or says why not.
    pub(crate) fn admit(&mut self, ip: IpAddr, now: Instant) -> Result<Slot, Refusal> {
        let p = self.policy;
        if self.open >= p.max_connections {
            return Err(Refusal::Full);
        }
        let (open, proven) = self.addrs.get(&ip).map_or((0, 0), |a| (a.open, a.proven));
        if open >= p.max_per_address {
            return Err(Refusal::PerAddress);
        }
        // The reserve is at most a quarter of the slots, so a small server still serves.
        let reserve = p.reserve.min(p.max_connections / 4);
        if self.unproven >= p.max_connections - reserve {
            let trusted = self
                .trusted
                .get(&ip)
                .is_some_and(|t| now.saturating_duration_since(*t) <= p.trusted_memory);
            if open > 0 && proven == 0 && !trusted {
                return Err(Refusal::Full);
            }
        }
        self.open += 1;
        self.unproven += 1;
        self.addrs.entry(ip).or_default().open += 1;
        Ok(Slot {
            ip,
            proven: false,
            admitted: now,
        })
    }

    /// The connection made progress (see the module doc): it no longer counts as unproven,
    /// and its address may use the reserve for `trusted_memory`.
    pub(crate) fn prove(&mut self, slot: &mut Slot, now: Instant) {
        if slot.proven {
            return;
        }
        slot.proven = true;
        self.unproven -= 1;
        if let Some(a) = self.addrs.get_mut(&slot.ip) {
            a.proven += 1;
        }
        if !self.trusted.contains_key(&slot.ip) && self.trusted.len() >= TRUSTED_TABLE {
            let oldest = self
                .trusted
                .iter()
                .min_by_key(|(_, t)| **t)
                .map(|(ip, _)| *ip);
            if let Some(ip) = oldest {
                self.trusted.remove(&ip);
            }
        }
        self.trusted.insert(slot.ip, now);
    }

    /// Gives a slot back (the connection closed).
    pub fn release(&mut self, slot: Slot) {
        self.open -= 1;
        if !slot.proven {
            self.unproven -= 1;
        }
        if let Some(a) = self.addrs.get_mut(&slot.ip) {
            a.open -= 1;
            if slot.proven {
                a.proven -= 1;
            }
            if a.open == 0 {
                self.addrs.remove(&slot.ip);
            }
        }
    }

    /// When an unproven connection admitted at `admitted` is closed.
    pub(crate) fn unproven_deadline(&self, admitted: Instant) -> Instant {
        admitted + self.policy.unproven_timeout
    }
}

/// A [`SlotTable`] shared by a server's tasks.
pub(crate) type SharedSlots = Arc<Mutex<SlotTable>>;

fn lock(m: &Mutex<SlotTable>) -> std::sync::MutexGuard<'_, SlotTable> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The slot(s) held by a connection task: released when dropped, however the task ends. An
/// RTSP-over-HTTP tunnel holds two (its GET and POST sockets, see [`SlotGuard::join`]).
#[derive(Debug)]
pub(crate) struct SlotGuard {
    table: SharedSlots,
    /// The first is the connection's own; its admission time sets the unproven deadline.
    slots: Vec<Slot>,
}

impl SlotGuard {
    /// Admits `ip` in `table`.
    pub(crate) fn admit(table: &SharedSlots, ip: IpAddr, now: Instant) -> Result<Self, Refusal> {
        let slot = lock(table).admit(ip, now)?;
        Ok(Self {
            table: table.clone(),
            slots: vec![slot],
        })
    }

    /// Takes over `other`'s slots (same table): they are proven and released with this one's.
    pub fn join(&mut self, mut other: SlotGuard) {
        self.slots.append(&mut other.slots);
    }

    /// See [`SlotTable::prove`].
    pub(crate) fn prove(&mut self, now: Instant) {
        if self.is_proven() {
            return;
        }
        let mut t = lock(&self.table);
        for s in &mut self.slots {
            t.prove(s, now);
        }
    }

    pub(crate) fn is_proven(&self) -> bool {
        self.slots.iter().all(|s| s.proven)
    }

    /// When this connection is closed if it is still unproven.
    pub(crate) fn unproven_deadline(&self) -> Option<Instant> {
        if self.is_proven() {
            return None;
        }
        let first = self.slots.first()?;
        Some(lock(&self.table).unproven_deadline(first.admitted))
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut t = lock(&self.table);
        for s in self.slots.drain(..) {
            t.release(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SlotPolicy {
        SlotPolicy {
            max_connections: 12,
            max_per_address: 5,
            reserve: 3,
            unproven_timeout: Duration::from_secs(20),
            trusted_memory: Duration::from_secs(600),
        }
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn one_address_gets_at_most_its_share() {
        let mut t = SlotTable::new(policy());
        let now = Instant::now();
        let held: Vec<Slot> = (0..5).map(|_| t.admit(ip(1), now).unwrap()).collect();
        assert_eq!(t.admit(ip(1), now), Err(Refusal::PerAddress));
        assert!(t.admit(ip(2), now).is_ok());
        for s in held {
            t.release(s);
        }
        assert_eq!(t.held_by(ip(1)), 0);
        assert!(t.admit(ip(1), now).is_ok());
    }

    #[test]
    fn the_reserve_is_for_new_and_proven_addresses() {
        let mut t = SlotTable::new(policy());
        let now = Instant::now();
        // Three flooding addresses fill the 9 unreserved slots.
        let mut flood = Vec::new();
        for i in 0..9 {
            flood.push(t.admit(ip(1 + (i % 3) as u8), now).unwrap());
        }
        assert_eq!(t.unproven(), 9);
        // Their next connections are refused although slots are free...
        assert_eq!(t.admit(ip(1), now), Err(Refusal::Full));
        assert_eq!(t.admit(ip(2), now), Err(Refusal::Full));
        // ...which a new address still gets, once (then it is no longer new).
        let mut nvr = t.admit(ip(7), now).unwrap();
        assert_eq!(t.admit(ip(7), now), Err(Refusal::Full));
        // Proven, it may open its second stream from the reserve.
        t.prove(&mut nvr, now);
        let second = t.admit(ip(7), now).unwrap();
        assert_eq!(t.open(), 11);
        // Every slot is a hard limit, reserve or not.
        let last = t.admit(ip(8), now).unwrap();
        assert_eq!(t.admit(ip(9), now), Err(Refusal::Full));
        t.release(last);
        t.release(second);
        t.release(nvr);
        // Remembered: even with its connections gone, ip(7) proved itself recently.
        let again = t.admit(ip(7), now).unwrap();
        assert!(t.admit(ip(7), now + Duration::from_secs(1)).is_ok());
        t.release(again);
        let later = now + Duration::from_secs(601);
        let s = t.admit(ip(6), later).unwrap();
        assert_eq!(t.admit(ip(6), later), Err(Refusal::Full));
        t.release(s);
        for s in flood {
            t.release(s);
        }
    }

    #[test]
    fn counts_return_to_zero() {
        let mut t = SlotTable::new(policy());
        let now = Instant::now();
        let mut a = t.admit(ip(1), now).unwrap();
        let b = t.admit(ip(1), now).unwrap();
        t.prove(&mut a, now);
        t.prove(&mut a, now);
        assert_eq!((t.open(), t.unproven()), (2, 1));
        t.release(a);
        t.release(b);
        assert_eq!((t.open(), t.unproven(), t.held_by(ip(1))), (0, 0, 0));
        assert_eq!(
            t.unproven_deadline(now),
            now + Duration::from_secs(20),
            "deadline counts from admission"
        );
    }

    #[test]
    fn a_guard_can_hold_a_tunnels_two_slots() {
        let table: SharedSlots = Arc::new(Mutex::new(SlotTable::new(policy())));
        let now = Instant::now();
        let mut get = SlotGuard::admit(&table, ip(1), now).unwrap();
        let post = SlotGuard::admit(&table, ip(1), now + Duration::from_secs(1)).unwrap();
        get.join(post);
        assert_eq!(get.unproven_deadline(), Some(now + Duration::from_secs(20)));
        get.prove(now);
        assert!(get.is_proven() && get.unproven_deadline().is_none());
        assert_eq!(lock(&table).unproven(), 0);
        drop(get);
        assert_eq!(lock(&table).open(), 0);
    }

    #[test]
    fn trusted_table_is_bounded() {
        let mut t = SlotTable::new(SlotPolicy {
            max_connections: 4 * TRUSTED_TABLE,
            ..policy()
        });
        let now = Instant::now();
        for i in 0..(TRUSTED_TABLE + 10) as u32 {
            let mut s = t
                .admit(
                    IpAddr::from((i + 1).to_be_bytes()),
                    now + Duration::from_millis(i.into()),
                )
                .unwrap();
            t.prove(&mut s, now + Duration::from_millis(i.into()));
            t.release(s);
        }
        assert_eq!(t.trusted.len(), TRUSTED_TABLE);
        assert!(!t.trusted.contains_key(&IpAddr::from(1u32.to_be_bytes())));
    }
}
