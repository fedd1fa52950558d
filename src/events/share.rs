//! Who gets a subscription slot when the table of one kind (pull points, or push
//! subscriptions) is full: one policy for a client that loops creating subscriptions without
//! unsubscribing (issue 13) and for a user that holds every slot (issue 14), decided from
//! the table alone (no clock read: the caller passes each slot's last use).
//!
//! The slots are shared max-min fairly between users (the owner is the authenticated user
//! name). With the table full, a request from user R, holding `r` slots while the biggest
//! holder holds `m`:
//! 1. R is (one of) the biggest holders (`r == m`): R recycles its own least recently used
//!    slot that no PullMessages is waiting on. A client that loops creating pull points
//!    replaces its oldest, forever, and never touches anyone else's. When all of R's slots
//!    are being pulled, R is refused (its clients are alive: evicting one would only make it
//!    come back and evict another), unless R is an administrator and someone else holds
//!    slots (rule 2).
//! 2. Some user holds at least two more than R (`m >= r + 2`), or R is an administrator: the
//!    least recently used slot of the biggest holder(s) other than R is reclaimed (idle ones
//!    before those with a pull waiting). After it, that user still holds at least as many as
//!    R, so two users never take slots back and forth.
//! 3. Otherwise every holder holds at most one more than R: the table is fairly shared, and
//!    R is refused.
//!
//! What this guarantees, with a table of `C` slots and `k` users asking for more than
//! they hold: each of them can get `ceil((C + 1) / k) - 1` slots at least (with 16: 8
//! each for 2 users, 4 each for 4, 1 each for 16); an administrator always gets a slot
//! unless the administrators' own pulled subscriptions fill the whole table. One user
//! alone may use the whole table: shares only matter when someone else asks.

use std::collections::HashMap;
use std::time::Instant;

/// One live slot as the policy sees it.
#[derive(Clone, Debug)]
pub(crate) struct Slot<'a> {
    pub(crate) id: &'a str,
    /// The user who created it (None: created without authentication).
    pub(crate) owner: Option<&'a str>,
    /// Created, pulled (start or end of a PullMessages), renewed or re-synchronized last.
    pub(crate) last_used: Instant,
    /// A PullMessages is waiting on it right now.
    pub(crate) pulled: bool,
}

/// Who asks for a new slot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Requester<'a> {
    pub(crate) user: Option<&'a str>,
    pub(crate) admin: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Room left: create.
    Create,
    /// End this slot (by id), then create.
    Reclaim(String),
    /// No slot for this requester.
    Refuse(Refusal),
}

/// Why a full table has no slot for the requester (said in the fault's reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every slot of the requester is being pulled right now.
    OwnSlotsInUse,
    /// No holder holds more than one slot over the requester's count.
    FairlyShared,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::OwnSlotsInUse => "every subscription of this user is being pulled",
            Refusal::FairlyShared => "the subscriptions are shared fairly between users already",
        })
    }
}

/// The least recently used slot among `slots`: idle ones first, then pulled ones (when
/// `pulled_too`).
fn lru<'s, 'a>(slots: impl Iterator<Item = &'s Slot<'a>>, pulled_too: bool) -> Option<String>
where
    'a: 's,
{
    slots
        .filter(|s| pulled_too || !s.pulled)
        .min_by_key(|s| (s.pulled, s.last_used))
        .map(|s| s.id.to_owned())
}

/// Decides what a request for a new slot gets, with `slots` the live slots of this kind and
/// `cap` the table's size.
pub(crate) fn admit(slots: &[Slot<'_>], cap: usize, who: Requester<'_>) -> Admission {
    if slots.len() < cap {
        return Admission::Create;
    }
    let mut held: HashMap<Option<&str>, usize> = HashMap::new();
    for s in slots {
        *held.entry(s.owner).or_default() += 1;
    }
    let mine = held.get(&who.user).copied().unwrap_or(0);
    let others_max = held
        .iter()
        .filter(|(u, _)| **u != who.user)
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    // The least recently used slot of the biggest holder(s) other than the requester.
    let from_biggest_other = || {
        lru(
            slots
                .iter()
                .filter(|s| s.owner != who.user && held[&s.owner] == others_max),
            true,
        )
    };
    if mine > 0 && mine >= others_max {
        if let Some(id) = lru(slots.iter().filter(|s| s.owner == who.user), false) {
            return Admission::Reclaim(id);
        }
        if who.admin
            && others_max > 0
            && let Some(id) = from_biggest_other()
        {
            return Admission::Reclaim(id);
        }
        return Admission::Refuse(Refusal::OwnSlotsInUse);
    }
    if (others_max >= mine + 2 || (who.admin && others_max > 0))
        && let Some(id) = from_biggest_other()
    {
        return Admission::Reclaim(id);
    }
    Admission::Refuse(Refusal::FairlyShared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A table as (owner, pulled) in creation order; slot i was last used at t0 + i s.
    struct Table {
        t0: Instant,
        rows: Vec<(String, Option<String>, u64, bool)>,
        next: u64,
    }

    impl Table {
        fn new() -> Table {
            Table {
                t0: Instant::now(),
                rows: Vec::new(),
                next: 0,
            }
        }

        fn add(&mut self, owner: Option<&str>, pulled: bool) -> String {
            let id = format!("s{}", self.next);
            self.rows
                .push((id.clone(), owner.map(str::to_owned), self.next, pulled));
            self.next += 1;
            id
        }

        fn slots(&self) -> Vec<Slot<'_>> {
            self.rows
                .iter()
                .map(|(id, o, t, p)| Slot {
                    id,
                    owner: o.as_deref(),
                    last_used: self.t0 + Duration::from_secs(*t),
                    pulled: *p,
                })
                .collect()
        }

        fn count(&self, owner: &str) -> usize {
            self.rows
                .iter()
                .filter(|r| r.1.as_deref() == Some(owner))
                .count()
        }

        /// Runs a request through the policy and applies it; true if a slot was given.
        fn ask(&mut self, cap: usize, user: &str, admin: bool) -> bool {
            let who = Requester {
                user: Some(user),
                admin,
            };
            match admit(&self.slots(), cap, who) {
                Admission::Create => {}
                Admission::Reclaim(id) => self.rows.retain(|r| r.0 != id),
                Admission::Refuse(_) => return false,
            }
            self.add(Some(user), false);
            true
        }
    }

    fn user(u: &str) -> Requester<'_> {
        Requester {
            user: Some(u),
            admin: false,
        }
    }

    #[test]
    fn room_left_creates() {
        let mut t = Table::new();
        t.add(Some("u"), false);
        assert_eq!(admit(&t.slots(), 2, user("u")), Admission::Create);
    }

    #[test]
    fn a_looping_client_recycles_its_own_least_recently_used_slot() {
        let mut t = Table::new();
        for _ in 0..16 {
            assert!(t.ask(16, "loop", false));
        }
        // The table is full: the 17th..100th each replace the oldest of its own.
        for i in 16..100 {
            let oldest = t.rows[0].0.clone();
            assert_eq!(
                admit(&t.slots(), 16, user("loop")),
                Admission::Reclaim(oldest),
                "request {i}"
            );
            assert!(t.ask(16, "loop", false));
        }
        assert_eq!(t.count("loop"), 16);
    }

    #[test]
    fn pulled_slots_are_reclaimed_last_and_never_from_their_own_user() {
        let mut t = Table::new();
        let idle = t.add(Some("a"), false);
        t.add(Some("a"), true);
        t.add(Some("a"), true);
        // The idle one goes, though it was used last.
        t.rows[0].2 = 100;
        assert_eq!(admit(&t.slots(), 3, user("a")), Admission::Reclaim(idle));
        // All pulled: the user's clients are alive; refused.
        t.rows[0].3 = true;
        assert_eq!(
            admit(&t.slots(), 3, user("a")),
            Admission::Refuse(Refusal::OwnSlotsInUse)
        );
        // Another user (holding 0 < 3 - 1) takes the least recently used, pulled or not.
        assert_eq!(
            admit(&t.slots(), 3, user("b")),
            Admission::Reclaim("s1".into())
        );
    }

    #[test]
    fn one_user_holding_everything_cannot_lock_out_the_admin_or_another_user() {
        let mut t = Table::new();
        for _ in 0..16 {
            assert!(t.ask(16, "hog", false));
        }
        // All of hog's are being pulled: it still holds far more than its share.
        for r in &mut t.rows {
            r.3 = true;
        }
        assert!(t.ask(16, "admin", true));
        assert!(t.ask(16, "nvr", false));
        assert_eq!(
            (t.count("hog"), t.count("admin"), t.count("nvr")),
            (14, 1, 1)
        );
        // hog asks again: it is the biggest holder, so only its own (idle) slots are
        // recycled; its pulled ones are all it has, so it is refused.
        assert!(!t.ask(16, "hog", false));
        assert_eq!(
            (t.count("hog"), t.count("admin"), t.count("nvr")),
            (14, 1, 1)
        );
        // nvr can go on taking from hog down to the max-min share: 8 each.
        while t.ask(16, "nvr", false) {}
        assert_eq!(t.count("nvr") + t.count("admin"), 16 - t.count("hog"));
        assert!(t.count("hog") <= t.count("nvr") + 1);
    }

    #[test]
    fn evenly_shared_tables_refuse_users_but_never_an_administrator() {
        let mut t = Table::new();
        for u in 0..4 {
            for _ in 0..4 {
                assert!(t.ask(16, &format!("u{u}"), false));
            }
        }
        // u4 holds 0, the others 4: it takes from the biggest holders until none holds two
        // more than it: ceil(17 / 5) - 1 = 3 for 5 users.
        let mut got = 0;
        while t.ask(16, "u4", false) {
            got += 1;
        }
        assert_eq!(got, 3);
        assert!((0..4).all(|u| t.count(&format!("u{u}")) >= 3));
        // Every holder holds one slot: a new user is refused, the administrator is not.
        let mut t = Table::new();
        for u in 0..4 {
            assert!(t.ask(4, &format!("u{u}"), false));
        }
        assert_eq!(
            admit(&t.slots(), 4, user("u4")),
            Admission::Refuse(Refusal::FairlyShared)
        );
        assert!(t.ask(4, "admin", true));
        assert_eq!(
            t.count("u0"),
            0,
            "the least recently used of the biggest holders"
        );
        // The administrator now holds as many as the biggest: it recycles its own, and with
        // its own slot pulled, takes another user's.
        assert_eq!(
            admit(
                &t.slots(),
                4,
                Requester {
                    user: Some("admin"),
                    admin: true
                }
            ),
            Admission::Reclaim(t.rows.last().unwrap().0.clone())
        );
        t.rows.last_mut().unwrap().3 = true;
        assert_eq!(
            admit(
                &t.slots(),
                4,
                Requester {
                    user: Some("admin"),
                    admin: true
                }
            ),
            Admission::Reclaim("s1".into())
        );
    }

    /// The documented guarantee: with k users each asking until refused, in any order of
    /// arrival, every one ends with at least ceil((C + 1) / k) - 1 slots, and two users
    /// never take slots back and forth forever.
    #[test]
    fn max_min_guarantee() {
        for cap in [1usize, 2, 3, 5, 8, 16] {
            for k in 1..=6usize {
                let mut t = Table::new();
                let names: Vec<String> = (0..k).map(|i| format!("u{i}")).collect();
                // Round after round, everyone asks once; stop when a round changes no count
                // (recycling one's own slot changes none).
                let mut rounds = 0;
                loop {
                    let before: Vec<usize> = names.iter().map(|n| t.count(n)).collect();
                    for n in &names {
                        t.ask(cap, n, false);
                    }
                    let after: Vec<usize> = names.iter().map(|n| t.count(n)).collect();
                    rounds += 1;
                    if before == after {
                        break;
                    }
                    assert!(rounds < 10 * cap + 10, "no fixed point: cap {cap}, k {k}");
                }
                let floor = (cap + 1).div_ceil(k) - 1;
                for n in &names {
                    assert!(
                        t.count(n) >= floor,
                        "cap {cap}, {k} users: {n} holds {} < {floor}",
                        t.count(n)
                    );
                }
                assert_eq!(t.rows.len(), cap);
            }
        }
    }
}
