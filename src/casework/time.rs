//! Times as people enter and read them: Europe/London local time, stored as UTC.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Europe::London;

use crate::error::AppError;

/// The London calendar date of a stored UTC time.
pub fn london_date(utc: NaiveDateTime) -> NaiveDate {
    London.from_utc_datetime(&utc).date_naive()
}

/// A stored UTC time as a value for an `<input type="datetime-local">`.
pub fn to_local_input(utc: NaiveDateTime) -> String {
    London
        .from_utc_datetime(&utc)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Reads a London local date and time ("2026-11-23T14:05", as a datetime-local input sends
/// it, or with a space, or with seconds) and returns it in UTC. In the hour the clocks go
/// back the earlier reading is taken; a time skipped when they go forward is refused.
pub fn parse_local(field: &str, raw: &str) -> Result<NaiveDateTime, AppError> {
    let raw = raw.trim();
    let local = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
    .ok_or_else(|| AppError::invalid(field, "Enter a date and time like 2026-11-23 14:05."))?;
    London
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.naive_utc())
        .ok_or_else(|| {
            AppError::invalid(
                field,
                "That time does not exist: the clocks went forward then.",
            )
        })
}

/// Reads a date ("2026-11-23").
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "Enter a date like 2026-11-23."))
}

/// Reads an RFC 3339 timestamp from the API ("2026-11-23T14:05:00Z" or with an offset) as UTC.
pub fn parse_rfc3339(field: &str, raw: &str) -> Result<NaiveDateTime, AppError> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.naive_utc())
        .map_err(|_| {
            AppError::invalid(
                field,
                "Send a time in RFC 3339 form, like 2026-11-23T14:05:00Z.",
            )
        })
}

/// A stored UTC time as people read it, on pages and in messages: London time, like
/// "24 Nov 2026, 10:00".
pub fn london_display(utc: NaiveDateTime) -> String {
    London
        .from_utc_datetime(&utc)
        .format("%-d %b %Y, %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_become_utc_across_the_clock_changes() {
        let winter = parse_local("t", "2026-01-10T14:05").unwrap();
        assert_eq!(winter.to_string(), "2026-01-10 14:05:00");
        let summer = parse_local("t", "2026-07-10 14:05").unwrap();
        assert_eq!(summer.to_string(), "2026-07-10 13:05:00");
        // 25 October 2026: 01:30 happens twice; the first (BST) is taken.
        assert_eq!(
            parse_local("t", "2026-10-25T01:30").unwrap().to_string(),
            "2026-10-25 00:30:00"
        );
        // 29 March 2026: 01:30 never happens.
        assert!(parse_local("t", "2026-03-29T01:30").is_err());
        assert!(parse_local("t", "yesterday").is_err());
        assert_eq!(to_local_input(summer), "2026-07-10T14:05");
    }
}
