//! The scheduler: turns the passing of time into notices (DESIGN §5). Each tick looks for
//! follow-ups about to fall due or overdue, and for lapses that escalate to the managers of a
//! case's team: a follow-up still overdue after the escalation delay, a family message not
//! acknowledged within its target (in working time), no contact for longer than the contact
//! plan, and no first contact within its target.
//!
//! Every notice carries a cause naming the case or record and the occurrence (the due time,
//! the contact the gap started from), so a tick may run as often as it likes, on as many
//! instances as there are: each occurrence is written once. A new occurrence (a follow-up
//! moved to a new time, a new gap after a later contact) is a new cause and notifies again.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::casework::time::london_display;
use crate::casework::types::{CaseStatus, FollowUpStatus};
use crate::db::schema::{cases, contact_plans, follow_ups, messages, team_members, users};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, Role, TeamId, UserId};
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};
use crate::timeliness::{Targets, WorkingCalendar};

/// How far back a tick looks for lapses it may not yet have notified (a scheduler that was
/// stopped for up to this long catches up; older lapses are on the dashboard).
pub const LOOKBACK_DAYS: i64 = 14;

/// What the scheduler is told by the configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    /// How long before a follow-up falls due its officer is reminded.
    pub reminder_window: Duration,
    /// How long a follow-up may stay overdue before the managers hear of it.
    pub escalation_delay: Duration,
    pub calendar: std::sync::Arc<WorkingCalendar>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            reminder_window: Duration::hours(24),
            escalation_delay: Duration::hours(24),
            calendar: Default::default(),
        }
    }
}

/// New notices written by one tick (each counted once, however many channels).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub reminders: usize,
    pub overdue: usize,
    pub escalations: usize,
}

struct Writer<'a> {
    conn: &'a mut DbConn,
    managers: HashMap<TeamId, Vec<UserId>>,
}

impl Writer<'_> {
    fn managers_of(&mut self, team: &TeamId) -> QueryResult<Vec<UserId>> {
        if let Some(m) = self.managers.get(team) {
            return Ok(m.clone());
        }
        let found: Vec<UserId> = team_members::table
            .inner_join(users::table.on(users::id.eq(team_members::user_id)))
            .filter(team_members::team_id.eq(team))
            .filter(users::role.eq(Role::Manager))
            .filter(users::active.eq(true))
            .select(users::id)
            .order(users::id.asc())
            .load(self.conn)?;
        self.managers.insert(team.clone(), found.clone());
        Ok(found)
    }

    /// One notice to one person; true if it was new.
    fn send(
        &mut self,
        kind: Kind,
        to: &UserId,
        case_id: &CaseId,
        cause: &str,
        payload: serde_json::Value,
    ) -> QueryResult<bool> {
        let written = outbox::enqueue(
            self.conn,
            &Notice {
                kind,
                recipient: Recipient::Staff(to.clone()),
                case_id: Some(case_id.clone()),
                cause: cause.to_owned(),
                payload,
            },
        )?;
        Ok(written > 0)
    }

    /// The same escalation to every manager of the team; true if any was new.
    fn escalate(
        &mut self,
        kind: Kind,
        team: &TeamId,
        case_id: &CaseId,
        cause: &str,
        payload: serde_json::Value,
    ) -> QueryResult<bool> {
        let mut any = false;
        for manager in self.managers_of(team)? {
            any |= self.send(kind, &manager, case_id, cause, payload.clone())?;
        }
        Ok(any)
    }
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn interval_words(hours: i32) -> String {
    match hours {
        h if h % 24 == 0 && h / 24 == 1 => "day".to_owned(),
        h if h % 24 == 0 => format!("{} days", h / 24),
        1 => "hour".to_owned(),
        h => format!("{h} hours"),
    }
}

/// One pass of the scheduler as at `now`, in one write transaction.
pub fn tick(conn: &mut DbConn, rules: &Rules, now: NaiveDateTime) -> QueryResult<Tick> {
    db::write(conn, |conn| {
        let targets = Targets::load(conn)?;
        let mut w = Writer {
            conn,
            managers: HashMap::new(),
        };
        let mut out = Tick::default();
        follow_up_notices(&mut w, rules, now, &mut out)?;
        message_escalations(&mut w, rules, &targets, now, &mut out)?;
        case_escalations(&mut w, &targets, now, &mut out)?;
        Ok(out)
    })
}

fn follow_up_notices(
    w: &mut Writer<'_>,
    rules: &Rules,
    now: NaiveDateTime,
    out: &mut Tick,
) -> QueryResult<()> {
    let earliest = now - rules.escalation_delay - Duration::days(LOOKBACK_DAYS);
    let rows: Vec<(
        String,
        CaseId,
        String,
        TeamId,
        UserId,
        String,
        NaiveDateTime,
    )> = follow_ups::table
        .inner_join(cases::table.on(cases::id.eq(follow_ups::case_id)))
        .inner_join(users::table.on(users::id.eq(follow_ups::assignee_id)))
        .filter(follow_ups::status.eq(FollowUpStatus::Open))
        .filter(cases::status.eq(CaseStatus::Open))
        .filter(follow_ups::due_at.le(now + rules.reminder_window))
        .filter(follow_ups::due_at.gt(earliest))
        .select((
            follow_ups::id,
            cases::id,
            cases::reference,
            cases::team_id,
            follow_ups::assignee_id,
            users::display_name,
            follow_ups::due_at,
        ))
        .order(follow_ups::due_at.asc())
        .load(w.conn)?;
    for (id, case_id, reference, team, assignee, officer, due) in rows {
        let payload = json!({
            "reference": reference, "due": london_display(due), "officer": officer,
            "path": format!("/staff/cases/{case_id}#follow-up-{id}"),
        });
        let when = stamp(due);
        if due > now {
            if w.send(
                Kind::FollowUpDueSoon,
                &assignee,
                &case_id,
                &format!("follow-up:{id}:due:{when}"),
                payload,
            )? {
                out.reminders += 1;
            }
            continue;
        }
        if due > now - Duration::days(LOOKBACK_DAYS)
            && w.send(
                Kind::FollowUpOverdue,
                &assignee,
                &case_id,
                &format!("follow-up:{id}:overdue:{when}"),
                payload.clone(),
            )?
        {
            out.overdue += 1;
        }
        if due + rules.escalation_delay <= now
            && w.escalate(
                Kind::EscalationFollowUpOverdue,
                &team,
                &case_id,
                &format!("follow-up:{id}:escalation:{when}"),
                payload,
            )?
        {
            out.escalations += 1;
        }
    }
    Ok(())
}

fn message_escalations(
    w: &mut Writer<'_>,
    rules: &Rules,
    targets: &Targets,
    now: NaiveDateTime,
    out: &mut Tick,
) -> QueryResult<()> {
    let rows: Vec<(String, CaseId, String, TeamId, NaiveDateTime)> = messages::table
        .inner_join(cases::table.on(cases::id.eq(messages::case_id)))
        .filter(messages::from_relative_id.is_not_null())
        .filter(messages::acknowledged_at.is_null())
        .filter(messages::closed_at.is_null())
        .filter(cases::status.eq(CaseStatus::Open))
        .filter(messages::sent_at.gt(now - Duration::days(LOOKBACK_DAYS + 30)))
        .filter(messages::sent_at.le(now))
        .select((
            messages::id,
            cases::id,
            cases::reference,
            cases::team_id,
            messages::sent_at,
        ))
        .load(w.conn)?;
    for (id, case_id, reference, team, sent) in rows {
        let deadline = rules
            .calendar
            .add_working_days(sent, targets.message_ack_working_days);
        if deadline <= now
            && w.escalate(
                Kind::EscalationMessageUnacknowledged,
                &team,
                &case_id,
                &format!("message:{id}:unacknowledged"),
                json!({
                    "reference": reference, "received": london_display(sent),
                    "path": format!("/staff/cases/{case_id}/messages#message-{id}"),
                }),
            )?
        {
            out.escalations += 1;
        }
    }
    Ok(())
}

fn case_escalations(
    w: &mut Writer<'_>,
    targets: &Targets,
    now: NaiveDateTime,
    out: &mut Tick,
) -> QueryResult<()> {
    type Row = (
        CaseId,
        String,
        TeamId,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let open: Vec<Row> = cases::table
        .filter(cases::status.eq(CaseStatus::Open))
        .select((
            cases::id,
            cases::reference,
            cases::team_id,
            cases::opened_at,
            cases::first_contact_at,
            cases::last_contact_at,
        ))
        .load(w.conn)?;
    // The plan in force on each open case: its latest.
    let plans: Vec<(CaseId, i32)> = contact_plans::table
        .inner_join(cases::table.on(cases::id.eq(contact_plans::case_id)))
        .filter(cases::status.eq(CaseStatus::Open))
        .select((contact_plans::case_id, contact_plans::interval_hours))
        .order((contact_plans::case_id, contact_plans::recorded_at.asc()))
        .load(w.conn)?;
    let plans: HashMap<CaseId, i32> = plans.into_iter().collect();
    for (case_id, reference, team, opened, first, last) in open {
        let first_due = opened + Duration::hours(targets.first_contact_hours);
        if first.is_none()
            && first_due <= now
            && w.escalate(
                Kind::EscalationFirstContactLate,
                &team,
                &case_id,
                &format!("case:{case_id}:first-contact"),
                json!({ "reference": reference, "opened": london_display(opened) }),
            )?
        {
            out.escalations += 1;
        }
        let Some(&interval) = plans.get(&case_id) else {
            continue;
        };
        // With no contact yet, the first-contact escalation speaks for the case.
        let Some(since) = last else {
            continue;
        };
        if since + Duration::hours(i64::from(interval)) <= now
            && w.escalate(
                Kind::EscalationContactPlanGap,
                &team,
                &case_id,
                &format!("case:{case_id}:plan-gap:{}", stamp(since)),
                json!({
                    "reference": reference,
                    "since": london_display(since),
                    "interval": interval_words(interval),
                }),
            )?
        {
            out.escalations += 1;
        }
    }
    Ok(())
}
