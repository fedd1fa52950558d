//! The producers: motion (the SDK's debounced results, [`crate::motion`]) and device
//! monitoring (LastReboot, ProcessorUsage).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::Broker;
use super::limits::PROCESSOR_USAGE_PERIOD;
use super::topics::{
    CELL_MOTION, LAST_REBOOT, MOTION_ALARM, MOTION_ANALYTICS_TOKEN, MOTION_RULE, PROCESSOR_TOKEN,
    PROCESSOR_USAGE,
};
use crate::motion::MotionChange;

fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The motion tokens of one video source.
#[derive(Clone, Debug)]
pub(crate) struct MotionSource {
    /// Video source token (`VideoSource/MotionAlarm` Source).
    pub(crate) source: String,
    /// Video source configuration token (`CellMotionDetector/Motion` Source).
    pub(crate) configuration: String,
}

impl MotionSource {
    /// Publishes one motion state on both motion topics, stamped with `capture` (the frame
    /// that completed the debounced change) moved onto the device clock.
    pub(crate) fn publish(&self, broker: &Broker, motion: bool, capture: SystemTime) {
        let offset = broker.now_ms() - unix_ms(SystemTime::now());
        let at = unix_ms(capture) + offset;
        let state = motion.to_string();
        broker.set_property(
            MOTION_ALARM,
            vec![self.source.clone()],
            vec![state.clone()],
            at,
        );
        broker.set_property(
            CELL_MOTION,
            vec![
                self.configuration.clone(),
                MOTION_ANALYTICS_TOKEN.into(),
                MOTION_RULE.into(),
            ],
            vec![state],
            at,
        );
    }

    /// The callback for [`crate::motion::MotionMonitor`]: starts from "no motion" so
    /// subscribers have a state from the first moment, then follows the changes.
    pub(crate) fn sink(self, broker: Arc<Broker>) -> impl FnMut(MotionChange) + Send + 'static {
        self.publish(&broker, false, SystemTime::now());
        move |change: MotionChange| {
            tracing::info!(
                vi = change.vi,
                motion = change.motion,
                "motion state changed"
            );
            self.publish(&broker, change.motion, change.wallclock);
        }
    }
}

/// CPU time counters of `/proc/stat`'s first line: (busy, total) jiffies.
pub(crate) fn cpu_times(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if v.len() < 4 {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest is already in user).
    let total: u64 = v.iter().take(8).sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Publishes LastReboot (the daemon's start, device clock) at once and the processor usage
/// of the whole device every [`PROCESSOR_USAGE_PERIOD`], when its whole-percent value changes.
pub(crate) fn spawn(broker: Arc<Broker>) -> tokio::task::JoinHandle<()> {
    let now = broker.now_ms();
    broker.set_property(
        LAST_REBOOT,
        vec![],
        vec![crate::xml::xsd::format_datetime(now)],
        now,
    );
    tokio::spawn(async move {
        let read = || {
            std::fs::read_to_string("/proc/stat")
                .ok()
                .as_deref()
                .and_then(cpu_times)
        };
        let mut last = read();
        let mut tick = tokio::time::interval(PROCESSOR_USAGE_PERIOD);
        tick.tick().await;
        loop {
            tick.tick().await;
            let cur = read();
            if let (Some((b0, t0)), Some((b1, t1))) = (last, cur)
                && t1 > t0
            {
                let pct = ((b1.saturating_sub(b0)) * 100 + (t1 - t0) / 2) / (t1 - t0);
                broker.set_property(
                    PROCESSOR_USAGE,
                    vec![PROCESSOR_TOKEN.into()],
                    vec![pct.to_string()],
                    broker.now_ms(),
                );
            }
            last = cur;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat() {
        let s = "cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(cpu_times(s), Some((155, 1000)));
        assert_eq!(cpu_times("intr 1 2"), None);
        assert_eq!(cpu_times("cpu  x y"), None);
    }
}
