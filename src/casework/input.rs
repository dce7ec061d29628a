//! Parsing casework input from the JSON API and from page forms into the use cases' types.
//! Both adapters call these, so a rule (a length limit, a date check) lives in one place.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::casework::cases::{Needs, PlanInput};
use crate::casework::limits;
use crate::casework::types::ContactChannel;
use crate::domain::{LimitedText, clean_text};
use crate::error::AppError;

/// Optional free text: empty means absent; otherwise bounded.
pub fn optional(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<LimitedText>, AppError> {
    LimitedText::optional(field, raw, max)
}

/// Required free text, bounded.
pub fn required(field: &str, raw: &str, max: usize) -> Result<LimitedText, AppError> {
    if clean_text(field, raw)?.is_empty() {
        return Err(AppError::invalid(field, "This cannot be empty."));
    }
    LimitedText::parse(field, raw, max)
}

/// An optional text field that may be set to empty on purpose (to remove it), bounded.
pub fn clearable(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match raw {
        None => Ok(None),
        Some(s) => {
            let s = clean_text(field, s)?;
            if s.chars().count() > max {
                return Err(AppError::invalid(
                    field,
                    format!("This can be at most {max} characters."),
                ));
            }
            Ok(Some(s))
        }
    }
}

pub fn needs(
    language: Option<&str>,
    interpreter: bool,
    accessibility: Option<&str>,
    faith_culture: Option<&str>,
    other: Option<&str>,
) -> Result<Needs, AppError> {
    Ok(Needs {
        language: optional("needs_language", language, limits::NEED)?,
        interpreter,
        accessibility: optional("needs_accessibility", accessibility, limits::NEED)?,
        faith_culture: optional("needs_faith_culture", faith_culture, limits::NEED)?,
        other: optional("needs_other", other, limits::NEED)?,
    })
}

pub fn plan(
    interval_hours: i64,
    channel: ContactChannel,
    preferred_hours: &str,
    agreed_on: NaiveDate,
) -> Result<PlanInput, AppError> {
    if !(1..=i64::from(limits::MAX_PLAN_INTERVAL_HOURS)).contains(&interval_hours) {
        return Err(AppError::invalid(
            "interval_hours",
            format!(
                "The interval between contacts must be between 1 and {} hours.",
                limits::MAX_PLAN_INTERVAL_HOURS
            ),
        ));
    }
    let preferred_hours = clean_text("preferred_hours", preferred_hours)?;
    if preferred_hours.chars().count() > limits::PREFERRED_HOURS {
        return Err(AppError::invalid(
            "preferred_hours",
            format!(
                "This can be at most {} characters.",
                limits::PREFERRED_HOURS
            ),
        ));
    }
    Ok(PlanInput {
        interval_hours: interval_hours as i32,
        preferred_channel: channel,
        preferred_hours,
        agreed_on,
    })
}

pub fn date_of_death(raw: &str) -> Result<NaiveDate, AppError> {
    let date = crate::casework::time::parse_date("date_of_death", raw)?;
    if date > crate::casework::time::london_date(crate::db::now()) {
        return Err(AppError::invalid(
            "date_of_death",
            "The date of death cannot be in the future.",
        ));
    }
    if date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date) {
        return Err(AppError::invalid(
            "date_of_death",
            "Check the year of the date of death.",
        ));
    }
    Ok(date)
}

pub fn duration(raw: Option<i64>) -> Result<Option<i32>, AppError> {
    match raw {
        None => Ok(None),
        Some(m) if (0..=i64::from(limits::MAX_DURATION_MINUTES)).contains(&m) => Ok(Some(m as i32)),
        Some(_) => Err(AppError::invalid(
            "duration_minutes",
            format!(
                "Enter a duration between 0 and {} minutes.",
                limits::MAX_DURATION_MINUTES
            ),
        )),
    }
}

/// Reads "HH:MM" quiet hours; both or neither.
pub fn quiet_hours(
    start: Option<&str>,
    end: Option<&str>,
) -> Result<Option<(NaiveTime, NaiveTime)>, AppError> {
    let start = start.map(str::trim).filter(|s| !s.is_empty());
    let end = end.map(str::trim).filter(|s| !s.is_empty());
    match (start, end) {
        (None, None) => Ok(None),
        (Some(s), Some(e)) => {
            let s = crate::notify::quiet::parse_time("quiet_hours_start", s)?;
            let e = crate::notify::quiet::parse_time("quiet_hours_end", e)?;
            if s == e {
                return Err(AppError::invalid(
                    "quiet_hours_end",
                    "Quiet hours must end at a different time from when they start.",
                ));
            }
            Ok(Some((s, e)))
        }
        (Some(_), None) => Err(AppError::invalid(
            "quiet_hours_end",
            "Enter when quiet hours end, or clear both.",
        )),
        (None, Some(_)) => Err(AppError::invalid(
            "quiet_hours_start",
            "Enter when quiet hours start, or clear both.",
        )),
    }
}

/// A due time must not be long past (a follow-up is for the future, give or take a day of
/// recording something already arranged).
pub fn due_at(field: &str, t: NaiveDateTime) -> Result<NaiveDateTime, AppError> {
    if t < crate::db::now() - chrono::Duration::days(1) {
        return Err(AppError::invalid(
            field,
            "This is more than a day in the past. Check the date.",
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_empties() {
        assert!(required("discussion", "   ", 10).is_err());
        assert!(required("discussion", &"x".repeat(11), 10).is_err());
        assert_eq!(optional("x", Some("  "), 10).unwrap(), None);
        assert_eq!(clearable("x", Some(""), 10).unwrap(), Some(String::new()));
        assert!(duration(Some(-1)).is_err());
        assert!(duration(Some(1441)).is_err());
        assert_eq!(duration(Some(45)).unwrap(), Some(45));
        assert!(quiet_hours(Some("22:00"), None).is_err());
        assert!(quiet_hours(Some("22:00"), Some("22:00")).is_err());
        assert!(quiet_hours(Some("22:00"), Some("07:00")).unwrap().is_some());
        assert!(date_of_death("2999-01-01").is_err());
    }
}
