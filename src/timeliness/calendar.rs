//! Working time: the hours and days in which targets counted in working days run, in
//! Europe/London, without bank holidays. Targets in plain hours ignore it.
//!
//! Working hours are wall-clock times in London, so a working day is the same length on the
//! days the clocks change (they change at night); the instants are converted to UTC with the
//! offset in force on each day.

use std::collections::BTreeSet;

use anyhow::{Context, bail};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Europe::London;

/// The shipped list of bank holidays in England and Wales.
pub const ENGLAND_AND_WALES: &str = include_str!("bank-holidays-england-and-wales.txt");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    start: NaiveTime,
    end: NaiveTime,
    /// Monday first.
    days: [bool; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl Default for WorkingCalendar {
    /// 09:00 to 17:00, Monday to Friday, England and Wales bank holidays.
    fn default() -> Self {
        WorkingCalendar::parse("09:00-17:00", "mon,tue,wed,thu,fri", ENGLAND_AND_WALES)
            .expect("the shipped calendar is valid")
    }
}

impl WorkingCalendar {
    /// `hours` like `09:00-17:00`; `days` like `mon,tue,wed,thu,fri`; `holidays` one
    /// `YYYY-MM-DD name` per line (`#` starts a comment).
    pub fn parse(hours: &str, days: &str, holidays: &str) -> anyhow::Result<WorkingCalendar> {
        let (start, end) = hours
            .split_once('-')
            .context("working_hours must look like 09:00-17:00")?;
        let time = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .with_context(|| format!("working_hours: {t:?} is not a time like 09:00"))
        };
        let (start, end) = (time(start)?, time(end)?);
        if start >= end {
            bail!("working_hours must end after they start (got {hours})");
        }
        let mut set = [false; 7];
        for day in days.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let wd: Weekday = day
                .parse()
                .map_err(|_| anyhow::anyhow!("working_days: {day:?} is not a day like mon"))?;
            set[wd.num_days_from_monday() as usize] = true;
        }
        if !set.contains(&true) {
            bail!("working_days must name at least one day");
        }
        let mut dates = BTreeSet::new();
        for (n, line) in holidays.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let date = line.split_whitespace().next().unwrap_or("");
            dates.insert(
                NaiveDate::parse_from_str(date, "%Y-%m-%d").with_context(|| {
                    format!("bank holidays, line {}: {date:?} is not a date", n + 1)
                })?,
            );
        }
        Ok(WorkingCalendar {
            start,
            end,
            days: set,
            holidays: dates,
        })
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.days[date.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&date)
    }

    pub fn is_bank_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    /// The working time in one working day.
    pub fn day_length(&self) -> Duration {
        self.end - self.start
    }

    fn to_utc(date: NaiveDate, time: NaiveTime) -> NaiveDateTime {
        let local = date.and_time(time);
        London
            .from_local_datetime(&local)
            .earliest()
            // A time skipped when the clocks go forward: an hour later exists.
            .or_else(|| {
                London
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map_or(local, |t| t.naive_utc())
    }

    /// The instant at which `working` time has passed since `from` (UTC), counting only
    /// working hours on working days.
    pub fn add_working(&self, from: NaiveDateTime, working: Duration) -> NaiveDateTime {
        let mut left = working.max(Duration::zero());
        let local = London.from_utc_datetime(&from).naive_local();
        let mut date = local.date();
        let mut cursor = local.time();
        // Ten years of days is far beyond any target; the bound only guards the loop.
        for _ in 0..3660 {
            if self.is_working_day(date) && cursor < self.end {
                let begin = cursor.max(self.start);
                let available = self.end - begin;
                if left <= available {
                    return Self::to_utc(date, begin + left);
                }
                left -= available;
            }
            date = date.succ_opt().unwrap_or(date);
            cursor = NaiveTime::MIN;
        }
        from + working
    }

    /// `days` working days after `from`: `days` times the length of a working day.
    pub fn add_working_days(&self, from: NaiveDateTime, days: i64) -> NaiveDateTime {
        self.add_working(from, self.day_length() * days as i32)
    }

    /// Working time between two instants (zero if `to` is not after `from`).
    pub fn working_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let a = London.from_utc_datetime(&from).naive_local();
        let b = London.from_utc_datetime(&to).naive_local();
        let mut total = Duration::zero();
        let mut date = a.date();
        while date <= b.date() {
            if self.is_working_day(date) {
                let lo = if date == a.date() {
                    a.time().max(self.start)
                } else {
                    self.start
                };
                let hi = if date == b.date() {
                    b.time().min(self.end)
                } else {
                    self.end
                };
                if hi > lo {
                    total += hi - lo;
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_working_day_after_friday_afternoon_is_monday_afternoon() {
        let cal = WorkingCalendar::default();
        // Friday 20 Nov 2026, 16:00 GMT (= UTC in winter) plus one working day (8 h): one
        // hour on Friday, seven on Monday from 09:00.
        assert_eq!(
            cal.add_working_days(utc("2026-11-20 16:00"), 1),
            utc("2026-11-23 16:00")
        );
    }

    #[test]
    fn bank_holidays_are_skipped() {
        let cal = WorkingCalendar::default();
        // Thursday 24 Dec 2026 at 12:00: Christmas Day (Fri) and the Boxing Day substitute
        // (Mon 28th) are not working days, nor the weekend.
        assert_eq!(
            cal.add_working(utc("2026-12-24 12:00"), Duration::hours(8)),
            utc("2026-12-29 12:00")
        );
        assert!(cal.is_bank_holiday(NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()));
    }

    #[test]
    fn working_time_is_counted_in_london_across_the_clock_change() {
        let cal = WorkingCalendar::default();
        // Friday 27 Mar 2026, 16:00 London (GMT) = 16:00 UTC; the clocks go forward on Sunday
        // 29th; one working day later is Monday 30th, 16:00 London (BST) = 15:00 UTC.
        assert_eq!(
            cal.add_working_days(utc("2026-03-27 16:00"), 1),
            utc("2026-03-30 15:00")
        );
        assert_eq!(
            cal.working_between(utc("2026-03-27 16:00"), utc("2026-03-30 15:00")),
            Duration::hours(8)
        );
    }

    #[test]
    fn out_of_hours_starts_count_from_the_next_opening() {
        let cal = WorkingCalendar::default();
        // Saturday 21 Nov 2026 at 23:00: nothing counts until Monday 09:00.
        assert_eq!(
            cal.add_working(utc("2026-11-21 23:00"), Duration::hours(1)),
            utc("2026-11-23 10:00")
        );
        assert_eq!(
            cal.working_between(utc("2026-11-21 23:00"), utc("2026-11-23 09:00")),
            Duration::zero()
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(WorkingCalendar::parse("17:00-09:00", "mon", "").is_err());
        assert!(WorkingCalendar::parse("09:00-17:00", "", "").is_err());
        assert!(WorkingCalendar::parse("09:00-17:00", "mon,funday", "").is_err());
        assert!(WorkingCalendar::parse("09:00-17:00", "mon", "2026-13-01 Nope").is_err());
    }
}
