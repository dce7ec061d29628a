//! The timeliness measures of DESIGN §3, worked out for one case from the facts that matter
//! (when it opened, when relatives were contacted, follow-ups, family messages, key events)
//! and a period. Pure functions: loading the facts, and adding cases up per officer, team and
//! week, happen elsewhere, so every rule here is tested against hand-computed cases.
//!
//! Each measure gives an `Outcome` for each thing it judges:
//! - `Met`: done within its target.
//! - `Breached`: done late, or not done and already past its target.
//! - `Pending`: not done yet, and still within its target (counted nowhere but shown).
//!
//! Times are UTC. Targets in hours are plain elapsed time; targets in working days count
//! working time only (`WorkingCalendar`: London working hours, without weekends and bank
//! holidays, right across the clock changes).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Europe::London;
use serde::Serialize;

use crate::timeliness::{TargetHistory, WorkingCalendar};

/// How one judged thing stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Met,
    Breached,
    Pending,
}

/// The half-open period `[from, to)` that a dashboard looks at, and the present moment (not
/// after `to` matters only for open items: an item still open at `to` is judged at `to`, or
/// now if the period has not ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

impl Period {
    fn contains(&self, t: NaiveDateTime) -> bool {
        self.from <= t && t < self.to
    }

    /// The moment open items are judged at: the end of the period, or now if sooner.
    fn judged_at(&self, now: NaiveDateTime) -> NaiveDateTime {
        self.to.min(now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpFacts {
    pub due_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFacts {
    pub received_at: NaiveDateTime,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub answered_at: Option<NaiveDateTime>,
}

/// A milestone reached or key event, and when the family was next told by a shared update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEventFacts {
    pub at: NaiveDateTime,
    pub shared_update_at: Option<NaiveDateTime>,
}

/// What the measures of one case are worked out from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub opened_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    /// When each contact with the family took place, in any order.
    pub contacts: Vec<NaiveDateTime>,
    /// The agreed contact plan's interval, if there is a plan.
    pub plan_interval_hours: Option<i64>,
    pub follow_ups: Vec<FollowUpFacts>,
    pub messages: Vec<MessageFacts>,
    pub key_events: Vec<KeyEventFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FirstContactMeasure {
    pub outcome: Outcome,
    /// Hours from opening to the first contact, or to the judging moment if none yet.
    pub hours: f64,
    pub target_hours: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ContactPlanMeasure {
    pub outcome: Outcome,
    /// The longest gap in the period: between consecutive contacts, from opening to the
    /// first contact, or (for an open case) from the last contact to the judging moment.
    pub longest_gap_hours: f64,
    pub interval_hours: i64,
}

/// Follow-ups due in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FollowUpCounts {
    /// Completed at or before the due time.
    pub on_time: u32,
    /// Completed after the due time.
    pub late: u32,
    /// Still open past the due time.
    pub overdue: u32,
    /// Due later than the judging moment and still open.
    pub not_yet_due: u32,
}

impl FollowUpCounts {
    /// Judged so far: on time, late and overdue.
    pub fn judged(&self) -> u32 {
        self.on_time + self.late + self.overdue
    }
}

/// Outcomes of a working-days target over several items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub met: u32,
    pub breached: u32,
    pub pending: u32,
}

impl Tally {
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Met => self.met += 1,
            Outcome::Breached => self.breached += 1,
            Outcome::Pending => self.pending += 1,
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.met += other.met;
        self.breached += other.breached;
        self.pending += other.pending;
    }
}

/// The measures of one case for one period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseMeasures {
    /// Only for a case opened in the period.
    pub first_contact: Option<FirstContactMeasure>,
    /// Only for a case with a contact plan, open during the period.
    pub contact_plan: Option<ContactPlanMeasure>,
    pub follow_ups: FollowUpCounts,
    /// Family messages received in the period: acknowledged in time?
    pub messages_acknowledged: Tally,
    /// Family messages received in the period: answered in time?
    pub messages_answered: Tally,
    /// Milestones reached and key events in the period: family told in time?
    pub updates_after_events: Tally,
}

impl CaseMeasures {
    /// Whether anything of this case is in breach.
    pub fn in_breach(&self) -> bool {
        !self.breaches().is_empty()
    }

    /// The measures in breach, by name.
    pub fn breaches(&self) -> Vec<&'static str> {
        let breached = |o: Option<Outcome>| o == Some(Outcome::Breached);
        [
            (
                breached(self.first_contact.as_ref().map(|f| f.outcome)),
                "first_contact",
            ),
            (
                breached(self.contact_plan.as_ref().map(|p| p.outcome)),
                "contact_plan",
            ),
            (self.follow_ups.overdue > 0, "follow_ups_overdue"),
            (self.follow_ups.late > 0, "follow_ups_late"),
            (
                self.messages_acknowledged.breached > 0,
                "messages_acknowledged",
            ),
            (self.messages_answered.breached > 0, "messages_answered"),
            (
                self.updates_after_events.breached > 0,
                "updates_after_events",
            ),
        ]
        .into_iter()
        .filter_map(|(breached, name)| breached.then_some(name))
        .collect()
    }
}

fn hours(d: Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

/// Judges something that should happen within `limit` of `start`: `done` is when it did.
fn judge(
    start: NaiveDateTime,
    done: Option<NaiveDateTime>,
    at: NaiveDateTime,
    within: impl Fn(NaiveDateTime, NaiveDateTime) -> bool,
) -> Outcome {
    match done {
        Some(t) if t <= at => {
            if within(start, t) {
                Outcome::Met
            } else {
                Outcome::Breached
            }
        }
        _ => {
            if within(start, at) {
                Outcome::Pending
            } else {
                Outcome::Breached
            }
        }
    }
}

/// Works out the measures of one case for `period`, as they stand at `now`.
pub fn measure(
    facts: &CaseFacts,
    period: Period,
    now: NaiveDateTime,
    targets: &TargetHistory,
    calendar: &WorkingCalendar,
) -> CaseMeasures {
    let at = period.judged_at(now);
    let end = facts.closed_at.map_or(at, |c| c.min(at));
    let mut contacts: Vec<NaiveDateTime> = facts
        .contacts
        .iter()
        .copied()
        .filter(|c| *c >= facts.opened_at && *c <= at)
        .collect();
    contacts.sort_unstable();

    let first_contact = period.contains(facts.opened_at).then(|| {
        let target_hours = targets.at(facts.opened_at).first_contact_hours;
        let limit = Duration::hours(target_hours);
        let first = contacts.first().copied();
        let outcome = judge(facts.opened_at, first, at, |s, t| t - s <= limit);
        let reached = first.filter(|f| *f <= at).unwrap_or(at);
        FirstContactMeasure {
            outcome,
            hours: hours(reached - facts.opened_at),
            target_hours,
        }
    });

    let open_in_period = facts.opened_at < period.to
        && facts.closed_at.is_none_or(|c| c > period.from)
        && facts.opened_at <= at;
    let contact_plan = match (facts.plan_interval_hours, open_in_period) {
        (Some(interval), true) => {
            // Gaps that end in the period (or run on to its judging moment), each measured
            // whole: a gap that began before the period still counts at its full length.
            let mut marks = vec![facts.opened_at];
            marks.extend(contacts.iter().copied());
            let mut longest = Duration::zero();
            for pair in marks.windows(2) {
                if pair[1] >= period.from && pair[1] < period.to {
                    longest = longest.max(pair[1] - pair[0]);
                }
            }
            let last = *marks.last().unwrap_or(&facts.opened_at);
            if end > last && end >= period.from {
                longest = longest.max(end - last);
            }
            Some(ContactPlanMeasure {
                outcome: if longest > Duration::hours(interval) {
                    Outcome::Breached
                } else {
                    Outcome::Met
                },
                longest_gap_hours: hours(longest),
                interval_hours: interval,
            })
        }
        _ => None,
    };

    let mut follow_ups = FollowUpCounts::default();
    for f in facts
        .follow_ups
        .iter()
        .filter(|f| !f.cancelled && period.contains(f.due_at))
    {
        match f.completed_at.filter(|c| *c <= at) {
            Some(c) if c <= f.due_at => follow_ups.on_time += 1,
            Some(_) => follow_ups.late += 1,
            None if f.due_at < at => follow_ups.overdue += 1,
            None => follow_ups.not_yet_due += 1,
        }
    }

    // Within `days` working days: at or before the moment that much working time has passed.
    let within_days = |days: i64| {
        let limit = calendar.day_length() * days as i32;
        move |s: NaiveDateTime, t: NaiveDateTime| t <= calendar.add_working(s, limit)
    };
    let mut messages_acknowledged = Tally::default();
    let mut messages_answered = Tally::default();
    for m in facts
        .messages
        .iter()
        .filter(|m| period.contains(m.received_at))
    {
        // An answer acknowledges too.
        let ack = match (m.acknowledged_at, m.answered_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let t = targets.at(m.received_at);
        messages_acknowledged.add(judge(
            m.received_at,
            ack,
            at,
            within_days(t.message_ack_working_days),
        ));
        messages_answered.add(judge(
            m.received_at,
            m.answered_at,
            at,
            within_days(t.message_answer_working_days),
        ));
    }
    let mut updates_after_events = Tally::default();
    for e in facts.key_events.iter().filter(|e| period.contains(e.at)) {
        updates_after_events.add(judge(
            e.at,
            e.shared_update_at,
            at,
            within_days(targets.at(e.at).update_after_event_working_days),
        ));
    }

    CaseMeasures {
        first_contact,
        contact_plan,
        follow_ups,
        messages_acknowledged,
        messages_answered,
        updates_after_events,
    }
}

/// The Monday (London date) of the week an instant falls in: weeks are London weeks.
pub fn week_of(t: NaiveDateTime) -> NaiveDate {
    let local = London.from_utc_datetime(&t).date_naive();
    local - Duration::days(i64::from(local.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeliness::Targets;

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn case(opened: &str) -> CaseFacts {
        CaseFacts {
            opened_at: utc(opened),
            closed_at: None,
            contacts: vec![],
            plan_interval_hours: None,
            follow_ups: vec![],
            messages: vec![],
            key_events: vec![],
        }
    }

    fn november() -> Period {
        Period {
            from: utc("2026-11-01 00:00"),
            to: utc("2026-12-01 00:00"),
        }
    }

    /// Measures `facts` over November 2026, as seen at `now`.
    fn run(facts: &CaseFacts, now: &str) -> CaseMeasures {
        run_over(facts, november(), now)
    }

    /// Measures `facts` over `period`, as seen at `now`, with the default targets and calendar.
    fn run_over(facts: &CaseFacts, period: Period, now: &str) -> CaseMeasures {
        measure(
            facts,
            period,
            utc(now),
            &TargetHistory::fixed(Targets::default()),
            &WorkingCalendar::default(),
        )
    }

    #[test]
    fn first_contact_within_24_hours_is_met_and_after_is_breached() {
        let mut c = case("2026-11-02 10:00");
        c.contacts = vec![utc("2026-11-03 10:00")];
        let m = run(&c, "2026-11-20 12:00");
        let f = m.first_contact.unwrap();
        assert_eq!(
            (f.outcome, f.hours),
            (Outcome::Met, 24.0),
            "exactly 24 h is on time"
        );
        c.contacts = vec![utc("2026-11-03 10:01"), utc("2026-11-05 09:00")];
        let f = run(&c, "2026-11-20 12:00").first_contact.unwrap();
        assert_eq!(f.outcome, Outcome::Breached);
        assert!((f.hours - (24.0 + 1.0 / 60.0)).abs() < 1e-9);
    }

    #[test]
    fn a_case_with_no_contact_at_all_is_pending_then_breached() {
        let c = case("2026-11-02 10:00");
        let f = run(&c, "2026-11-02 20:00").first_contact.unwrap();
        assert_eq!((f.outcome, f.hours), (Outcome::Pending, 10.0));
        let f = run(&c, "2026-11-04 10:00").first_contact.unwrap();
        assert_eq!((f.outcome, f.hours), (Outcome::Breached, 48.0));
        // A case opened before the period is not judged on first contact in it.
        let old = case("2026-10-20 10:00");
        assert!(run(&old, "2026-11-04 10:00").first_contact.is_none());
    }

    #[test]
    fn the_contact_plan_gap_runs_to_now_for_an_open_case() {
        let mut c = case("2026-11-02 10:00");
        c.plan_interval_hours = Some(72);
        c.contacts = vec![
            utc("2026-11-02 12:00"),
            utc("2026-11-05 12:00"), // a 72 h gap: at the interval, so met
            utc("2026-11-06 12:00"),
        ];
        let p = run(&c, "2026-11-09 11:00").contact_plan.unwrap();
        assert_eq!((p.outcome, p.longest_gap_hours), (Outcome::Met, 72.0));
        // Three days and one hour since the last contact: breached, though no contact came.
        let p = run(&c, "2026-11-09 13:00").contact_plan.unwrap();
        assert_eq!((p.outcome, p.longest_gap_hours), (Outcome::Breached, 73.0));
        // A closed case's gap stops at its closing.
        c.closed_at = Some(utc("2026-11-07 12:00"));
        let p = run(&c, "2026-11-20 13:00").contact_plan.unwrap();
        assert_eq!((p.outcome, p.longest_gap_hours), (Outcome::Met, 72.0));
        // No contact at all: the gap runs from opening.
        let mut silent = case("2026-11-02 10:00");
        silent.plan_interval_hours = Some(48);
        let p = run(&silent, "2026-11-05 10:00").contact_plan.unwrap();
        assert_eq!((p.outcome, p.longest_gap_hours), (Outcome::Breached, 72.0));
    }

    #[test]
    fn a_gap_that_began_before_the_period_counts_whole() {
        let mut c = case("2026-10-01 10:00");
        c.plan_interval_hours = Some(168);
        c.contacts = vec![utc("2026-10-25 10:00"), utc("2026-11-03 10:00")];
        let p = run(&c, "2026-11-04 10:00").contact_plan.unwrap();
        assert_eq!((p.outcome, p.longest_gap_hours), (Outcome::Breached, 216.0));
    }

    #[test]
    fn follow_ups_completed_exactly_at_the_due_time_are_on_time() {
        let mut c = case("2026-10-01 10:00");
        let fu = |due: &str, done: Option<&str>, cancelled: bool| FollowUpFacts {
            due_at: utc(due),
            completed_at: done.map(utc),
            cancelled,
        };
        c.follow_ups = vec![
            fu("2026-11-10 12:00", Some("2026-11-10 12:00"), false),
            fu("2026-11-10 12:00", Some("2026-11-10 12:01"), false),
            fu("2026-11-11 12:00", None, false),
            fu("2026-11-11 12:00", None, true),
            fu("2026-11-30 12:00", None, false),
            fu("2026-10-30 12:00", None, false), // due before the period
        ];
        let m = run(&c, "2026-11-20 09:00");
        assert_eq!(
            m.follow_ups,
            FollowUpCounts {
                on_time: 1,
                late: 1,
                overdue: 1,
                not_yet_due: 1
            }
        );
        assert_eq!(m.follow_ups.judged(), 3);
        assert!(m.in_breach());
    }

    #[test]
    fn message_targets_count_working_days_across_weekends_and_bank_holidays() {
        let mut c = case("2026-10-01 10:00");
        let msg = |rec: &str, ack: Option<&str>, ans: Option<&str>| MessageFacts {
            received_at: utc(rec),
            acknowledged_at: ack.map(utc),
            answered_at: ans.map(utc),
        };
        c.messages = vec![
            // One working day from Friday 16:00 (GMT) ends Monday 16:00: an hour on Friday,
            // seven on Monday. Acknowledged at 15:59: met.
            msg("2026-11-20 16:00", Some("2026-11-23 15:59"), None),
            // Friday 16:00 → Monday 16:01: a minute late.
            msg("2026-11-27 16:00", Some("2026-11-30 16:01"), None),
        ];
        let m = run(&c, "2026-11-30 17:00");
        assert_eq!(
            m.messages_acknowledged,
            Tally {
                met: 1,
                breached: 1,
                pending: 0
            }
        );
        // Neither was answered. Five working days from Friday 20th 16:00 end on Friday 27th
        // 16:00: pending until then, breached after.
        assert_eq!(
            m.messages_answered,
            Tally {
                met: 0,
                breached: 1,
                pending: 1
            }
        );
        assert_eq!(run(&c, "2026-11-27 16:00").messages_answered.pending, 2);
        assert_eq!(run(&c, "2026-11-27 16:01").messages_answered.breached, 1);

        // Christmas: received Thursday 24 Dec 12:00; the 25th, the weekend and Monday 28th
        // (Boxing Day substitute) do not count, so one working day runs to Tue 29th 12:00.
        let december = Period {
            from: utc("2026-12-01 00:00"),
            to: utc("2027-01-01 00:00"),
        };
        let mut x = case("2026-10-01 10:00");
        x.messages = vec![msg("2026-12-24 12:00", Some("2026-12-29 12:00"), None)];
        let m = run_over(&x, december, "2026-12-31 12:00");
        assert_eq!(m.messages_acknowledged.met, 1);
        x.messages = vec![msg("2026-12-24 12:00", Some("2026-12-29 12:01"), None)];
        let m = run_over(&x, december, "2026-12-31 12:00");
        assert_eq!(m.messages_acknowledged.breached, 1);
    }

    #[test]
    fn an_answer_acknowledges_too() {
        let mut c = case("2026-10-01 10:00");
        c.messages = vec![MessageFacts {
            received_at: utc("2026-11-10 10:00"),
            acknowledged_at: None,
            answered_at: Some(utc("2026-11-10 11:00")),
        }];
        let m = run(&c, "2026-11-20 10:00");
        assert_eq!(m.messages_acknowledged.met, 1);
        assert_eq!(m.messages_answered.met, 1);
        assert!(!m.in_breach());
    }

    #[test]
    fn updates_after_key_events_count_working_time_across_the_clock_change() {
        // Friday 23 Oct 2026 16:00 UTC = 17:00 BST (after hours); the clocks go back on
        // Sunday 25th. One working day runs through Monday 26th 09:00-17:00 GMT, which is
        // 09:00-17:00 UTC: an update at 17:00 is in time, at 17:01 late.
        let october = Period {
            from: utc("2026-10-01 00:00"),
            to: utc("2026-11-01 00:00"),
        };
        let mut c = case("2026-10-01 10:00");
        c.key_events = vec![
            KeyEventFacts {
                at: utc("2026-10-23 16:00"),
                shared_update_at: Some(utc("2026-10-26 17:00")),
            },
            KeyEventFacts {
                at: utc("2026-10-23 16:00"),
                shared_update_at: Some(utc("2026-10-26 17:01")),
            },
            KeyEventFacts {
                at: utc("2026-10-30 10:00"),
                shared_update_at: None,
            },
        ];
        let m = run_over(&c, october, "2026-10-30 12:00");
        assert_eq!(
            m.updates_after_events,
            Tally {
                met: 1,
                breached: 1,
                pending: 1
            }
        );
    }

    #[test]
    fn what_happens_after_the_judging_moment_does_not_count() {
        let mut c = case("2026-11-02 10:00");
        c.contacts = vec![utc("2026-11-02 12:00")];
        // Seen from before the contact, the case has none yet.
        let f = run(&c, "2026-11-02 11:00").first_contact.unwrap();
        assert_eq!(f.outcome, Outcome::Pending);
    }

    #[test]
    fn weeks_are_london_weeks_starting_monday() {
        // Sunday 29 Mar 2026 23:30 UTC is Monday 00:30 BST: the new week.
        assert_eq!(
            week_of(utc("2026-03-29 23:30")),
            NaiveDate::from_ymd_opt(2026, 3, 30).unwrap()
        );
        assert_eq!(
            week_of(utc("2026-11-22 23:30")),
            NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()
        );
    }
}
