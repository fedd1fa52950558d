//! The end of a ContinuousMove: the head runs until Stop, another move of that axis group,
//! an end stop, or the move's Timeout (PTZ Service Specification s.5.3.3: "the PTZ unit
//! shall move for the duration of the timeout"). The SDK has no timeout of its own, so nvt
//! keeps one per head and axis group and calls `NVT_PTZ_Stop` when it passes.
//!
//! Each group has a generation number: a new move or a Stop of the group bumps it, and a
//! timer stops the group only if its generation is still the one it was armed with. So a
//! timer never stops a newer move, and nothing needs cancelling.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sdk::{Axes, Sdk};

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
    generation: Mutex<HashMap<(u32, Group), u64>>,
}

impl Timeouts {
    /// A move or Stop of `axes` on head `vi`: a pending timeout of those groups no longer
    /// applies. Returns the new generation of each group.
    fn bump(&self, vi: u32, axes: Axes) -> Vec<(Group, u64)> {
        let mut g = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        groups(axes)
            .map(|group| {
                let n = g.entry((vi, group)).or_default();
                *n += 1;
                (group, *n)
            })
            .collect()
    }

    /// Another command on `axes` (absolute, relative, Stop): their timers are void.
    pub(crate) fn superseded(&self, vi: u32, axes: Axes) {
        self.bump(vi, axes);
    }

    /// A continuous move of `axes` on head `vi` started: stop them after `ms` unless
    /// something newer moved or stopped them first.
    pub(crate) fn arm(self: &Arc<Self>, sdk: Sdk, vi: u32, axes: Axes, ms: u32) {
        let armed = self.bump(vi, axes);
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
            let due = {
                let g = this.generation.lock().unwrap_or_else(|e| e.into_inner());
                let mut due = Axes::default();
                for (group, n) in armed {
                    if g.get(&(vi, group)) == Some(&n) {
                        match group {
                            Group::PanTilt => due.pan_tilt = true,
                            Group::Zoom => due.zoom = true,
                        }
                    }
                }
                due
            };
            if due.is_empty() {
                return;
            }
            let stopped = tokio::task::spawn_blocking(move || sdk.ptz_stop(vi, due)).await;
            match stopped {
                Ok(Ok(())) => tracing::debug!(vi, ?due, "continuous move timed out: stopped"),
                Ok(Err(e)) => tracing::warn!(vi, error = %e, "stopping a timed-out move failed"),
                Err(e) => tracing::warn!(vi, error = %e, "stopping a timed-out move failed"),
            }
        });
    }

    /// The current generation of a group of head `vi`.
    #[cfg(test)]
    fn generation(&self, vi: u32, group: Group) -> u64 {
        let g = self.generation.lock().unwrap();
        g.get(&(vi, group)).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_command_voids_only_the_groups_it_moves() {
        let t = Timeouts::default();
        let pt = Axes {
            pan_tilt: true,
            zoom: false,
        };
        let armed = t.bump(0, Axes::ALL);
        assert_eq!(armed, [(Group::PanTilt, 1), (Group::Zoom, 1)]);
        t.superseded(0, pt);
        assert_eq!(t.generation(0, Group::PanTilt), 2);
        assert_eq!(
            t.generation(0, Group::Zoom),
            1,
            "the zoom timer still stands"
        );
        assert_eq!(t.generation(1, Group::PanTilt), 0, "heads are apart");
    }
}
