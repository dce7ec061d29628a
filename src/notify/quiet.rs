//! Quiet hours: a relative chooses hours (Europe/London time) in which no notice reaches
//! them; notices wait until the quiet hours end. Staff have no quiet hours.

use chrono::{Duration, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Europe::London;

use crate::error::AppError;

/// Parses "HH:MM".
pub fn parse_time(field: &str, raw: &str) -> Result<NaiveTime, AppError> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map_err(|_| AppError::invalid(field, "Enter a time like 21:30, using the 24-hour clock."))
}

/// When `now_utc` falls inside the quiet hours `start`–`end` (local times, possibly spanning
/// midnight), the UTC instant at which they end; otherwise `None`. Unparseable or equal
/// times mean no quiet hours.
pub fn quiet_until(
    start: Option<&str>,
    end: Option<&str>,
    now_utc: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let start = NaiveTime::parse_from_str(start?, "%H:%M").ok()?;
    let end = NaiveTime::parse_from_str(end?, "%H:%M").ok()?;
    if start == end {
        return None;
    }
    let local = London.from_utc_datetime(&now_utc).naive_local();
    let t = local.time();
    let inside = if start < end {
        t >= start && t < end
    } else {
        t >= start || t < end
    };
    if !inside {
        return None;
    }
    let mut end_date = local.date();
    if t >= end {
        end_date += Duration::days(1);
    }
    let end_local = end_date.and_time(end);
    // On a clock change the local end time may be ambiguous (take the earlier) or missing
    // (take the hour after).
    let end_utc = London
        .from_local_datetime(&end_local)
        .earliest()
        .or_else(|| {
            London
                .from_local_datetime(&(end_local + Duration::hours(1)))
                .earliest()
        })?;
    Some(end_utc.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn overnight_quiet_hours_in_winter_and_summer() {
        // Winter: London = UTC. 23:00 is inside 22:00–07:00; ends 07:00 next day.
        assert_eq!(
            quiet_until(Some("22:00"), Some("07:00"), utc(2026, 1, 10, 23, 0)),
            Some(utc(2026, 1, 11, 7, 0))
        );
        // 03:00 is inside; ends 07:00 the same day.
        assert_eq!(
            quiet_until(Some("22:00"), Some("07:00"), utc(2026, 1, 10, 3, 0)),
            Some(utc(2026, 1, 10, 7, 0))
        );
        assert_eq!(
            quiet_until(Some("22:00"), Some("07:00"), utc(2026, 1, 10, 12, 0)),
            None
        );
        // Summer: London = UTC+1. 21:30 UTC is 22:30 local: inside; ends 07:00 local = 06:00 UTC.
        assert_eq!(
            quiet_until(Some("22:00"), Some("07:00"), utc(2026, 7, 10, 21, 30)),
            Some(utc(2026, 7, 11, 6, 0))
        );
        // 21:30 local (20:30 UTC) is outside.
        assert_eq!(
            quiet_until(Some("22:00"), Some("07:00"), utc(2026, 7, 10, 20, 30)),
            None
        );
    }

    #[test]
    fn daytime_quiet_hours_and_the_clock_change() {
        assert_eq!(
            quiet_until(Some("09:00"), Some("17:00"), utc(2026, 1, 10, 10, 0)),
            Some(utc(2026, 1, 10, 17, 0))
        );
        // Clocks go forward at 01:00 UTC on 29 March 2026: quiet 00:00–01:30 local, at
        // 00:30 UTC (00:30 local) ends at 01:30 local, which does not exist, so 02:30 BST.
        assert_eq!(
            quiet_until(Some("00:00"), Some("01:30"), utc(2026, 3, 29, 0, 30)),
            Some(utc(2026, 3, 29, 1, 30))
        );
        assert_eq!(
            quiet_until(None, Some("07:00"), utc(2026, 1, 10, 3, 0)),
            None
        );
        assert_eq!(
            quiet_until(Some("07:00"), Some("07:00"), utc(2026, 1, 10, 3, 0)),
            None
        );
        assert!(parse_time("quiet_hours_start", "25:00").is_err());
    }
}
