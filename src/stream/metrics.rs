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
    /// Of `frames`, those the publisher wrote to the viewer's socket itself
    /// (`stream::direct`), without waking its writer.
    pub frames_direct: u64,
    pub frames_dropped: u64,
    pub resyncs: u64,
    pub max_lag: Duration,
    pub kicked: bool,
}

/// Counters of one hub.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HubMetrics {
    pub frames_in: u64,
    /// Frames the encoder numbered that never reached the hub: the gaps in the SDK's frame
    /// numbers between published frames (the SDK dropped them from its queue because the
    /// capture thread did not keep up, or the capture thread held them back until an IDR
    /// after such a loss). A frozen picture for every viewer, which no RTP sequence gap shows.
    pub frames_lost_at_capture: u64,
    /// SDK frame number of the last published frame.
    pub(crate) last_seq: Option<u32>,
    pub(crate) bytes_in: u64,
    pub viewers: usize,
    /// Viewers disconnected for exceeding the lag bound, since the hub was created.
    pub viewers_kicked: u64,
    pub(crate) viewers_total: u64,
    /// Capture to packets queued for every viewer, over the last frames.
    pub(crate) latency: LatencyWindow,
}

/// The last [`LATENCY_WINDOW`] latencies of a stream (from the SDK's capture timestamp to
/// the frame packed and offered to every viewer), for percentiles on demand: the status
/// page and the V4L2 measurements read them; recording one costs a store into a ring.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LatencyWindow {
    samples: VecDeque<Duration>,
}

pub(crate) const LATENCY_WINDOW: usize = 256;

impl LatencyWindow {
    pub(crate) fn record(&mut self, d: Duration) {
        if self.samples.len() == LATENCY_WINDOW {
            self.samples.pop_front();
        }
        self.samples.push_back(d);
    }

    /// The `q` quantile (0.0..=1.0) of the window, None while it is empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<Duration> {
        let mut v: Vec<Duration> = self.samples.iter().copied().collect();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * q.clamp(0.0, 1.0)).round() as usize;
        v.get(i).copied()
    }
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
    fn the_latency_window_keeps_the_last_samples_and_gives_quantiles() {
        let mut w = LatencyWindow::default();
        assert_eq!(w.quantile(0.5), None);
        for ms in 0..(LATENCY_WINDOW as u64 + 100) {
            w.record(Duration::from_millis(ms));
        }
        // 100..=355 ms remain.
        assert_eq!(w.quantile(0.0), Some(Duration::from_millis(100)));
        assert_eq!(w.quantile(1.0), Some(Duration::from_millis(355)));
        assert_eq!(w.quantile(0.5), Some(Duration::from_millis(228)));
    }

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
