//! Local calendar time and the date and time formats an OSD shows.
//!
//! The formats are those onvif.xsd lists for `tt:OSDTextConfiguration` DateFormat and
//! TimeFormat (.NET-style patterns: `yyyy` year, `MMMM` month name, `MM`/`M` month, `dddd`
//! weekday name, `dd`/`d` day, `HH`/`H` 24-hour, `hh`/`h` 12-hour, `mm` minutes, `ss`
//! seconds, `tt` AM/PM); names are English, as in the schema's examples.

use crate::xml::xsd::civil_from_days;

/// DateFormat values offered (GetOSDOptions) and taken.
pub const DATE_FORMATS: [&str; 8] = [
    "M/d/yyyy",
    "MM/dd/yyyy",
    "dd/MM/yyyy",
    "yyyy/MM/dd",
    "yyyy-MM-dd",
    "dddd, MMMM dd, yyyy",
    "MMMM dd, yyyy",
    "dd MMMM, yyyy",
];

/// TimeFormat values offered (GetOSDOptions) and taken.
pub const TIME_FORMATS: [&str; 4] = ["h:mm:ss tt", "hh:mm:ss tt", "H:mm:ss", "HH:mm:ss"];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A broken-down local time (the camera clock with its time zone applied by the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    /// 0 Sunday ..= 6 Saturday
    pub weekday: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl LocalTime {
    /// `ms`: local time as Unix milliseconds (UTC plus the zone's offset).
    pub fn from_unix_ms(ms: i64) -> LocalTime {
        let secs = ms.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        LocalTime {
            year,
            month,
            day,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as u32,
            hour: (sod / 3600) as u32,
            minute: (sod % 3600 / 60) as u32,
            second: (sod % 60) as u32,
        }
    }

    /// The time in `pattern` (see the module doc); characters that are no pattern letter
    /// are copied.
    pub fn format(&self, pattern: &str) -> String {
        let mut out = String::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let run = chars[i..].iter().take_while(|&&x| x == c).count();
            i += run;
            let h12 = match self.hour % 12 {
                0 => 12,
                h => h,
            };
            match (c, run) {
                ('y', _) => out.push_str(&format!("{:04}", self.year)),
                ('M', 1) => out.push_str(&self.month.to_string()),
                ('M', 2) => out.push_str(&format!("{:02}", self.month)),
                ('M', _) => out.push_str(MONTHS[(self.month as usize + 11) % 12]),
                ('d', 1) => out.push_str(&self.day.to_string()),
                ('d', 2) => out.push_str(&format!("{:02}", self.day)),
                ('d', _) => out.push_str(WEEKDAYS[self.weekday as usize % 7]),
                ('H', 1) => out.push_str(&self.hour.to_string()),
                ('H', _) => out.push_str(&format!("{:02}", self.hour)),
                ('h', 1) => out.push_str(&h12.to_string()),
                ('h', _) => out.push_str(&format!("{h12:02}")),
                ('m', _) => out.push_str(&format!("{:02}", self.minute)),
                ('s', _) => out.push_str(&format!("{:02}", self.second)),
                ('t', _) => out.push_str(if self.hour < 12 { "AM" } else { "PM" }),
                (c, n) => out.extend(std::iter::repeat_n(c, n)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema's own examples: 2013-03-06 (a Wednesday) at 14:14:21.
    #[test]
    fn the_schema_examples() {
        // 2013-03-06T14:14:21 as Unix ms.
        let t = LocalTime::from_unix_ms(1_362_579_261_000);
        assert_eq!((t.year, t.month, t.day, t.weekday), (2013, 3, 6, 3));
        let expect = [
            ("M/d/yyyy", "3/6/2013"),
            ("MM/dd/yyyy", "03/06/2013"),
            ("dd/MM/yyyy", "06/03/2013"),
            ("yyyy/MM/dd", "2013/03/06"),
            ("yyyy-MM-dd", "2013-03-06"),
            ("dddd, MMMM dd, yyyy", "Wednesday, March 06, 2013"),
            ("MMMM dd, yyyy", "March 06, 2013"),
            ("dd MMMM, yyyy", "06 March, 2013"),
            ("h:mm:ss tt", "2:14:21 PM"),
            ("hh:mm:ss tt", "02:14:21 PM"),
            ("H:mm:ss", "14:14:21"),
            ("HH:mm:ss", "14:14:21"),
        ];
        for (f, want) in expect {
            assert_eq!(t.format(f), want, "{f}");
        }
        assert_eq!(DATE_FORMATS.len() + TIME_FORMATS.len(), expect.len());
    }

    #[test]
    fn midnight_noon_and_before_the_epoch() {
        let midnight = LocalTime::from_unix_ms(0);
        assert_eq!(midnight.format("h:mm:ss tt"), "12:00:00 AM");
        assert_eq!(midnight.format("dddd"), "Thursday");
        let noon = LocalTime::from_unix_ms(12 * 3_600_000);
        assert_eq!(noon.format("hh:mm:ss tt"), "12:00:00 PM");
        let before = LocalTime::from_unix_ms(-1);
        assert_eq!(before.format("yyyy-MM-dd HH:mm:ss"), "1969-12-31 23:59:59");
        assert_eq!(before.format("dddd"), "Wednesday");
        // Extreme instants format without a panic.
        let _ = LocalTime::from_unix_ms(i64::MAX).format(DATE_FORMATS[5]);
        let _ = LocalTime::from_unix_ms(i64::MIN).format(DATE_FORMATS[5]);
    }
}
