//! What a stream counts: per viewer, per hub, and the last viewers kicked.

use std::collections::VecDeque;
use std::time::Duration;

/// Final metrics of this many most recently kicked viewers are kept for the daemon.
pub(crate) const KICKED_LOG_LEN: usize = 16;

/// Counters of one viewer; a snapshot is what the daemon reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewerMetrics {
    pub(crate) id: u64,
    /// Who it is (peer address) as the server labelled it.
    pub(crate) label: String,
    pub(crate) bytes: u64,
    pub(crate) frames: u64,
    pub frames_dropped: u64,
    pub resyncs: u64,
    pub max_lag: Duration,
    pub kicked: bool,
}

/// Counters of one hub.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HubMetrics {
    pub frames_in: u64,
    pub(crate) bytes_in: u64,
    pub viewers: usize,
    /// Viewers disconnected for exceeding the lag bound, since the hub was created.
    pub viewers_kicked: u64,
    pub(crate) viewers_total: u64,
}

/// The final metrics of the last [`KICKED_LOG_LEN`] kicked viewers, oldest first.
#[derive(Debug, Default)]
pub(crate) struct KickedLog(VecDeque<ViewerMetrics>);

impl KickedLog {
    pub(crate) fn push(&mut self, m: ViewerMetrics) {
        if self.0.len() == KICKED_LOG_LEN {
            self.0.pop_front();
        }
        self.0.push_back(m);
    }

    pub(crate) fn to_vec(&self) -> Vec<ViewerMetrics> {
        self.0.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kicked_log_keeps_the_last_ones() {
        let mut log = KickedLog::default();
        for id in 0..(KICKED_LOG_LEN as u64 + 3) {
            log.push(ViewerMetrics {
                id,
                ..Default::default()
            });
        }
        let v = log.to_vec();
        assert_eq!(v.len(), KICKED_LOG_LEN);
        assert_eq!(v[0].id, 3);
    }
}
