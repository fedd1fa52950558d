//! The end of a ContinuousMove: the head runs until Stop, another move of that axis group,
//! an end stop, or the move's Timeout (PTZ Service Specification s.5.3.3: "the PTZ unit
//! shall move for the duration of the timeout"). The SDK has no timeout of its own, so nvt
//! keeps one per head and axis group and calls `NVT_PTZ_Stop` when it passes.
//!
//! Each group has at most one timer: a new move or a Stop of the group aborts it (so a
//! client that floods ContinuousMove leaves no trail of sleeping tasks), and a generation
//! number closes the race of a timer that fired while the newer command was being sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::AbortHandle;

use crate::sdk::{Axes, SdkError};

/// The two axis groups a move can be made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Group {
    PanTilt,
    Zoom,
}

fn groups(axes: Axes) -> impl Iterator<Item = Group> {
    [(axes.pan_tilt, Group::PanTilt), (axes.zoom, Group::Zoom)]
        .into_iter()
        .filter_map(|(on, g)| on.then_some(g))
}

/// The continuous-move timers of every head.
#[derive(Default)]
pub(crate) struct Timeouts {
    groups: Mutex<HashMap<(u32, Group), Timer>>,
}

/// One group's state: its generation and its pending timer, if any.
#[derive(Default)]
struct Timer {
    generation: u64,
    pending: Option<AbortHandle>,
}

impl Timeouts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(u32, Group), Timer>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Another command on `axes` (absolute, relative, continuous, Stop): their timers are
    /// void.
    pub(crate) fn superseded(&self, vi: u32, axes: Axes) {
        let mut g = self.lock();
        for group in groups(axes) {
            let t = g.entry((vi, group)).or_default();
            t.generation += 1;
            if let Some(h) = t.pending.take() {
                h.abort();
            }
        }
    }

    /// A continuous move of `axes` on head `vi` started (after [`Self::superseded`]): stop
    /// each group after `ms` (with `stop`, on the blocking pool: `NVT_PTZ_Stop` of those
    /// axes) unless something newer moved or stopped it first.
    pub(crate) fn arm<F>(self: &Arc<Self>, vi: u32, axes: Axes, ms: u32, stop: F)
    where
        F: Fn(Axes) -> Result<(), SdkError> + Clone + Send + 'static,
    {
        let mut g = self.lock();
        for group in groups(axes) {
            let t = g.entry((vi, group)).or_default();
            let armed = t.generation;
            let (this, stop) = (self.clone(), stop.clone());
            let task = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
                {
                    let mut g = this.lock();
                    let t = g.entry((vi, group)).or_default();
                    if t.generation != armed {
                        return;
                    }
                    t.pending = None;
                }
                let axes = match group {
                    Group::PanTilt => Axes {
                        pan_tilt: true,
                        zoom: false,
                    },
                    Group::Zoom => Axes {
                        pan_tilt: false,
                        zoom: true,
                    },
                };
                match tokio::task::spawn_blocking(move || stop(axes)).await {
                    Ok(Ok(())) => tracing::debug!(vi, ?group, "continuous move timed out: stopped"),
                    Ok(Err(e)) => {
                        tracing::warn!(vi, error = %e, "stopping a timed-out move failed")
                    }
                    Err(e) => tracing::warn!(vi, error = %e, "stopping a timed-out move failed"),
                }
            });
            // Two ContinuousMoves racing between `superseded` and here: the later one's
            // timer is the one that stands.
            if let Some(h) = t.pending.replace(task.abort_handle()) {
                h.abort();
            }
        }
    }

    /// How many timers are pending (tests).
    #[cfg(test)]
    fn pending(&self) -> usize {
        self.lock().values().filter(|t| t.pending.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flood of continuous moves leaves one timer per group, and a Stop of one group
    /// leaves the other's timer standing.
    #[tokio::test]
    async fn one_timer_per_group_however_many_moves() {
        let t = Arc::new(Timeouts::default());
        for _ in 0..1000 {
            t.superseded(0, Axes::ALL);
            t.arm(0, Axes::ALL, 60_000, |_| Ok(()));
        }
        assert_eq!(t.pending(), 2);
        t.superseded(
            0,
            Axes {
                pan_tilt: false,
                zoom: true,
            },
        );
        assert_eq!(t.pending(), 1, "the pan/tilt timer still stands");
        t.superseded(1, Axes::ALL);
        assert_eq!(t.pending(), 1, "heads are apart");
    }

    /// A timer that is due stops its group, once.
    #[tokio::test]
    async fn a_due_timer_stops_its_group() {
        let t = Arc::new(Timeouts::default());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        t.superseded(0, Axes::ALL);
        t.arm(0, Axes::ALL, 10, move |axes| {
            tx.send(axes).unwrap();
            Ok(())
        });
        let mut stopped = [rx.recv().await.unwrap(), rx.recv().await.unwrap()];
        stopped.sort_by_key(|a| a.zoom);
        assert_eq!(
            stopped[0],
            Axes {
                pan_tilt: true,
                zoom: false
            }
        );
        assert_eq!(
            stopped[1],
            Axes {
                pan_tilt: false,
                zoom: true
            }
        );
        assert_eq!(t.pending(), 0);
    }
}
