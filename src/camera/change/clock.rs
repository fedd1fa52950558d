//! The camera clock: SetSystemDateAndTime's values, stored as an offset from the host
//! clock (computed from the time the core passes in: the plan reads no clock).

use crate::settings::{DateTimeType, Settings};

/// SetSystemDateAndTime's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeRequest {
    pub(crate) kind: DateTimeType,
    pub(crate) daylight_savings: bool,
    /// A POSIX TZ string (zone names are resolved by the service: settings::timezone).
    pub(crate) timezone: Option<String>,
    /// Manual: the UTC time to set, in Unix ms.
    pub(crate) utc_unix_ms: Option<i64>,
}

/// The camera clock is the host clock plus an offset (nvt does not set a host's clock):
/// Manual with a time sets the offset, NTP clears it (NTP time is the host's synchronised
/// clock), Manual without a time keeps it.
pub(crate) fn date_time(next: &mut Settings, now_unix_ms: i64, req: DateTimeRequest) {
    let t = &mut next.time;
    t.date_time_type = req.kind;
    t.daylight_savings = req.daylight_savings;
    if let Some(tz) = req.timezone {
        t.timezone = tz;
    }
    match (req.kind, req.utc_unix_ms) {
        (DateTimeType::Manual, Some(ms)) => t.clock_offset_secs = (ms - now_unix_ms) / 1000,
        (DateTimeType::Ntp, _) => t.clock_offset_secs = 0,
        (DateTimeType::Manual, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::testing::{admin, with_users};
    use crate::camera::change::{Change, Context, plan};

    #[test]
    fn the_clock_offset_is_computed_from_the_time_passed_in() {
        let s = with_users(vec![admin("a")]);
        let at = |now_unix_ms| Context {
            facts: None,
            now_unix_ms,
        };
        let manual = |utc| {
            Change::DateTime(DateTimeRequest {
                kind: DateTimeType::Manual,
                daylight_savings: true,
                timezone: Some("CET-1".into()),
                utc_unix_ms: utc,
            })
        };
        let (s, _) = plan(&s, &at(1_000_000), manual(Some(4_600_000))).unwrap();
        assert_eq!(s.time.clock_offset_secs, 3600);
        assert_eq!(s.time.timezone, "CET-1");
        // Manual without a time keeps the offset; NTP clears it.
        let (s, _) = plan(&s, &at(0), manual(None)).unwrap();
        assert_eq!(s.time.clock_offset_secs, 3600);
        let ntp = Change::DateTime(DateTimeRequest {
            kind: DateTimeType::Ntp,
            daylight_savings: false,
            timezone: None,
            utc_unix_ms: None,
        });
        let (s, _) = plan(&s, &at(0), ntp).unwrap();
        assert_eq!(
            (s.time.clock_offset_secs, s.time.timezone.as_str()),
            (0, "CET-1")
        );
    }
}
