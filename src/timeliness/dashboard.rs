//! The timeliness dashboard's figures: which cases a caller may measure, their facts loaded
//! in a few batched queries, each case measured (`measures`), and the results added up per
//! team, per officer and per week, with the cases in breach listed.

use crate::casework::record::in_force;
use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Europe::London;
use diesel::prelude::*;
use serde::Serialize;

use crate::casework::types::{AssignmentRole, CaseStatus, FollowUpStatus, MilestoneState};
use crate::db::DbConn;
use crate::db::schema::{
    assignments, case_milestones, case_updates, cases, contact_plans, contacts, follow_ups,
    messages, team_members, teams, users,
};
use crate::domain::{CaseId, TeamId, UserId};
use crate::timeliness::measures::{
    self, CaseFacts, CaseMeasures, FollowUpCounts, FollowUpFacts, KeyEventFacts, MessageFacts,
    Outcome, Period, Tally,
};
use crate::timeliness::{TargetHistory, WorkingCalendar};

/// The widest period a dashboard covers.
pub const MAX_DAYS: i64 = 366;
/// Ids per `IN (...)` list, well inside SQLite's parameter limit.
const CHUNK: usize = 500;

/// Whose figures: a manager's teams (optionally one team, or one officer of them), or an
/// officer's own.
#[derive(Debug, Clone)]
pub enum Scope {
    Teams(Vec<TeamId>),
    Officer(UserId),
}

/// A period in London dates, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DashboardDates {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DashboardDates {
    fn start_of(d: NaiveDate) -> NaiveDateTime {
        London
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .earliest()
            .map_or(d.and_time(NaiveTime::MIN), |t| t.naive_utc())
    }

    /// The UTC instants of London midnight at the start of `from` and after `to`.
    pub fn period(&self) -> Period {
        Period {
            from: Self::start_of(self.from),
            to: Self::start_of(self.to + Duration::days(1)),
        }
    }
}

/// Counts of one scope for one period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TimelinessSummary {
    pub cases: u32,
    pub cases_in_breach: u32,
    pub first_contact: Tally,
    pub contact_plan: Tally,
    pub follow_ups: FollowUpCounts,
    pub messages_acknowledged: Tally,
    pub messages_answered: Tally,
    pub updates_after_events: Tally,
}

impl TimelinessSummary {
    fn add(&mut self, m: &CaseMeasures) {
        self.cases += 1;
        if m.in_breach() {
            self.cases_in_breach += 1;
        }
        if let Some(f) = &m.first_contact {
            self.first_contact.add(f.outcome);
        }
        if let Some(p) = &m.contact_plan {
            self.contact_plan.add(p.outcome);
        }
        let f = &m.follow_ups;
        self.follow_ups.on_time += f.on_time;
        self.follow_ups.late += f.late;
        self.follow_ups.overdue += f.overdue;
        self.follow_ups.not_yet_due += f.not_yet_due;
        self.messages_acknowledged.merge(&m.messages_acknowledged);
        self.messages_answered.merge(&m.messages_answered);
        self.updates_after_events.merge(&m.updates_after_events);
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamFigures {
    pub team_id: TeamId,
    pub name: String,
    pub summary: TimelinessSummary,
}

/// What an officer carries now, whatever the period.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Workload {
    /// Open cases on which they are FLO or deputy.
    pub active_cases: u32,
    pub open_follow_ups: u32,
    /// Family messages not yet answered on their active cases.
    pub waiting_messages: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficerFigures {
    pub user_id: UserId,
    pub name: String,
    /// Cases on which they were the FLO during the period.
    pub summary: TimelinessSummary,
    pub workload: Workload,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WeekFigures {
    /// The Monday (London) the week starts on.
    pub week_start: NaiveDate,
    pub summary: TimelinessSummary,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseFigures {
    pub case_id: CaseId,
    pub reference: String,
    pub team_id: TeamId,
    /// The FLO during the period (the latest, if several), if any.
    pub officer: Option<String>,
    pub in_breach: bool,
    /// The measures that are breached, by name.
    pub breaches: Vec<&'static str>,
    pub measures: CaseMeasures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub dates: DashboardDates,
    /// Set when the period asked for began before any of these cases: it was shortened to
    /// start at the first case's opening, and this says so.
    pub note: Option<String>,
    /// The targets in force at the end of the period (or now).
    pub targets: TargetsView,
    /// Targets changed during the period: each item is judged by the target in force when
    /// it began (a case's opening, a message's arrival, an event).
    pub target_changes: Vec<AppliedChange>,
    pub summary: TimelinessSummary,
    pub teams: Vec<TeamFigures>,
    pub officers: Vec<OfficerFigures>,
    pub weeks: Vec<WeekFigures>,
    /// Cases in breach first, then by reference.
    pub cases: Vec<CaseFigures>,
    /// Families' concerns about the investigation not yet closed, whatever the period: on
    /// every case of the teams (open or closed), or the cases the officer holds now; oldest
    /// first.
    pub open_concerns: Vec<OpenConcern>,
    /// Open cases with Victims' Code entitlements outstanding past the target, whatever the
    /// period, most overdue first.
    pub entitlements_due: Vec<EntitlementsDue>,
}

/// An open case whose relatives' Victims' Code entitlements are not all met by the target's
/// number of working days after it opened.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntitlementsDue {
    pub case_id: CaseId,
    pub reference: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub opened_at: NaiveDateTime,
    /// When every entitlement should have been met.
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub due_at: NaiveDateTime,
    /// How many entitlements are outstanding, over every relative.
    pub outstanding: usize,
}

/// Open cases in scope with entitlements outstanding past their due time, most overdue first.
fn entitlements_due(
    conn: &mut DbConn,
    scope: &Scope,
    now: NaiveDateTime,
    days: i64,
    calendar: &WorkingCalendar,
) -> QueryResult<Vec<EntitlementsDue>> {
    let open: Vec<(CaseId, String, NaiveDateTime)> = match scope {
        Scope::Teams(ids) => cases::table
            .filter(cases::team_id.eq_any(ids))
            .filter(cases::status.eq(CaseStatus::Open))
            .select((cases::id, cases::reference, cases::opened_at))
            .load(conn)?,
        Scope::Officer(user) => cases::table
            .filter(cases::id.eq_any(held_as_flo(user.clone(), now)))
            .filter(cases::status.eq(CaseStatus::Open))
            .select((cases::id, cases::reference, cases::opened_at))
            .load(conn)?,
    };
    let due: Vec<(CaseId, String, NaiveDateTime, NaiveDateTime)> = open
        .into_iter()
        .map(|(id, reference, opened)| {
            (
                id,
                reference,
                opened,
                calendar.add_working_days(opened, days),
            )
        })
        .filter(|(_, _, _, due_at)| *due_at <= now)
        .collect();
    let ids: Vec<CaseId> = due.iter().map(|(id, _, _, _)| id.clone()).collect();
    let counts = crate::casework::entitlements::outstanding_by_case(conn, &ids)?;
    let mut out: Vec<EntitlementsDue> = due
        .into_iter()
        .filter_map(|(case_id, reference, opened_at, due_at)| {
            counts.get(&case_id).map(|n| EntitlementsDue {
                outstanding: *n,
                case_id,
                reference,
                opened_at,
                due_at,
            })
        })
        .collect();
    out.sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.reference.cmp(&b.reference)));
    Ok(out)
}

/// A family's concern about the investigation, open until an officer closes it on the record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenConcern {
    pub case_id: CaseId,
    pub reference: String,
    pub message_id: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub received_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub acknowledged_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub answered_at: Option<NaiveDateTime>,
    /// The message's first words.
    pub excerpt: String,
}

/// The first `max` characters of `text` on one line, with an ellipsis if cut.
fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max).collect();
    if let Some(space) = cut.rfind(' ') {
        cut.truncate(space);
    }
    cut.push('…');
    cut
}

/// Open concerns on the scope's cases: a team's cases, or the cases an officer holds now.
fn open_concerns(
    conn: &mut DbConn,
    scope: &Scope,
    now: NaiveDateTime,
) -> QueryResult<Vec<OpenConcern>> {
    let in_scope: Vec<(CaseId, String)> = match scope {
        Scope::Teams(ids) => cases::table
            .filter(cases::team_id.eq_any(ids))
            .select((cases::id, cases::reference))
            .load(conn)?,
        Scope::Officer(user) => cases::table
            .filter(cases::id.eq_any(held_as_flo(user.clone(), now)))
            .select((cases::id, cases::reference))
            .load(conn)?,
    };
    let references: HashMap<CaseId, String> = in_scope.into_iter().collect();
    let ids: Vec<CaseId> = references.keys().cloned().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        // Through the (case, time) index; closed ones are sorted out here (see `workload`).
        type Row = (
            String,
            CaseId,
            NaiveDateTime,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            String,
        );
        let rows: Vec<Row> = messages::table
            .filter(messages::case_id.eq_any(chunk))
            .filter(messages::from_relative_id.is_not_null())
            .filter(messages::category.eq("investigation_concern"))
            .select((
                messages::id,
                messages::case_id,
                messages::sent_at,
                messages::acknowledged_at,
                messages::answered_at,
                messages::closed_at,
                messages::body,
            ))
            .load(conn)?;
        for (id, case_id, sent, acked, answered, closed, body) in rows {
            if closed.is_some() {
                continue;
            }
            out.push(OpenConcern {
                reference: references.get(&case_id).cloned().unwrap_or_default(),
                case_id,
                message_id: id,
                received_at: sent,
                acknowledged_at: acked.or(answered),
                answered_at: answered,
                excerpt: excerpt(&body, 120),
            });
        }
    }
    out.sort_by(|a, b| {
        a.received_at
            .cmp(&b.received_at)
            .then(a.message_id.cmp(&b.message_id))
    });
    Ok(out)
}

/// A target changed during the period, and from when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppliedChange {
    /// The target's name, as in `TargetsView`.
    pub key: String,
    pub value: i64,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub effective_from: NaiveDateTime,
}

/// The targets that applied.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetsView {
    pub first_contact_hours: i64,
    pub message_ack_working_days: i64,
    pub message_answer_working_days: i64,
    pub update_after_event_working_days: i64,
    pub entitlements_working_days: i64,
    /// The contact plan's target is each case's own agreed interval.
    pub contact_plan: &'static str,
    pub follow_ups: &'static str,
}

struct CaseRow {
    id: CaseId,
    reference: String,
    team_id: TeamId,
    opened_at: NaiveDateTime,
    closed_at: Option<NaiveDateTime>,
}

/// The FLO assignments that overlap the period, per case: (user, starts, ends).
type Flos = HashMap<CaseId, Vec<(UserId, NaiveDateTime, Option<NaiveDateTime>)>>;

/// The cases `user` holds as FLO at `now`: an officer's scope, as everywhere else.
#[diesel::dsl::auto_type]
fn held_as_flo(user: UserId, now: NaiveDateTime) -> _ {
    let flo: AssignmentRole = AssignmentRole::Flo;
    let held_now: in_force = in_force(now);
    assignments::table
        .filter(assignments::user_id.eq(user))
        .filter(assignments::role.eq(flo))
        .filter(held_now)
        .select(assignments::case_id)
}

/// The earliest case opening in scope, for clamping the period.
pub fn earliest_opening(conn: &mut DbConn, scope: &Scope) -> QueryResult<Option<NaiveDateTime>> {
    match scope {
        Scope::Teams(ids) => cases::table
            .filter(cases::team_id.eq_any(ids))
            .select(diesel::dsl::min(cases::opened_at))
            .first(conn),
        Scope::Officer(user) => cases::table
            .filter(cases::id.eq_any(held_as_flo(user.clone(), crate::db::now())))
            .select(diesel::dsl::min(cases::opened_at))
            .first(conn),
    }
}

/// Works out the dashboard for `scope` over `dates`, as things stand at `now`.
pub fn build(
    conn: &mut DbConn,
    scope: &Scope,
    dates: DashboardDates,
    note: Option<String>,
    now: NaiveDateTime,
    history: &TargetHistory,
    calendar: &WorkingCalendar,
) -> QueryResult<Dashboard> {
    let period = dates.period();
    let targets = history;
    let mut case_query = cases::table
        .filter(cases::opened_at.lt(period.to))
        .filter(
            cases::closed_at
                .is_null()
                .or(cases::closed_at.gt(period.from)),
        )
        .into_boxed();
    match scope {
        Scope::Teams(ids) => {
            case_query = case_query.filter(cases::team_id.eq_any(ids.clone()));
        }
        Scope::Officer(user) => {
            case_query = case_query.filter(cases::id.eq_any(held_as_flo(user.clone(), now)));
        }
    }
    let rows: Vec<(CaseId, String, TeamId, NaiveDateTime, Option<NaiveDateTime>)> = case_query
        .select((
            cases::id,
            cases::reference,
            cases::team_id,
            cases::opened_at,
            cases::closed_at,
        ))
        .order(cases::reference.asc())
        .load(conn)?;
    let rows: Vec<CaseRow> = rows
        .into_iter()
        .map(|(id, reference, team_id, opened_at, closed_at)| CaseRow {
            id,
            reference,
            team_id,
            opened_at,
            closed_at,
        })
        .collect();
    // FLO assignments overlapping the period, of these cases (by the cases' index, so the
    // cost follows the cases in scope, not every assignment there is).
    let mut flos: Flos = HashMap::new();
    let ids: Vec<CaseId> = rows.iter().map(|r| r.id.clone()).collect();
    for chunk in ids.chunks(CHUNK) {
        let mut flo_query = assignments::table
            .filter(assignments::case_id.eq_any(chunk))
            .filter(assignments::role.eq(AssignmentRole::Flo))
            .filter(assignments::starts_at.lt(period.to))
            .filter(
                assignments::ends_at
                    .is_null()
                    .or(assignments::ends_at.gt(period.from)),
            )
            .into_boxed();
        if let Scope::Officer(user) = scope {
            flo_query = flo_query.filter(assignments::user_id.eq(user.clone()));
        }
        let flo_rows: Vec<(CaseId, UserId, NaiveDateTime, Option<NaiveDateTime>)> = flo_query
            .select((
                assignments::case_id,
                assignments::user_id,
                assignments::starts_at,
                assignments::ends_at,
            ))
            .load(conn)?;
        for (case, user, starts, ends) in flo_rows {
            flos.entry(case).or_default().push((user, starts, ends));
        }
    }
    let facts = load_facts(conn, &rows, period)?;

    // Names.
    let mut officer_ids: Vec<UserId> = flos
        .values()
        .flat_map(|v| v.iter().map(|(u, _, _)| u.clone()))
        .collect();
    if let Scope::Officer(u) = scope {
        officer_ids.push(u.clone());
    }
    officer_ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    officer_ids.dedup();
    let names: HashMap<UserId, String> = users::table
        .filter(users::id.eq_any(&officer_ids))
        .select((users::id, users::display_name))
        .load::<(UserId, String)>(conn)?
        .into_iter()
        .collect();
    let team_ids: Vec<TeamId> = match scope {
        Scope::Teams(ids) => ids.clone(),
        Scope::Officer(_) => {
            let mut t: Vec<TeamId> = rows.iter().map(|r| r.team_id.clone()).collect();
            t.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            t.dedup();
            t
        }
    };
    let team_names: Vec<(TeamId, String)> = teams::table
        .filter(teams::id.eq_any(&team_ids))
        .select((teams::id, teams::name))
        .order(teams::name.asc())
        .load(conn)?;

    let mut summary = TimelinessSummary::default();
    let mut by_team: HashMap<TeamId, TimelinessSummary> = HashMap::new();
    let mut by_officer: BTreeMap<String, (UserId, TimelinessSummary)> = BTreeMap::new();
    let mut case_figures = Vec::with_capacity(rows.len());
    let weeks = week_starts(dates);
    let mut by_week: Vec<TimelinessSummary> = vec![TimelinessSummary::default(); weeks.len()];
    for row in &rows {
        let f = facts.get(&row.id).cloned().unwrap_or_else(|| CaseFacts {
            opened_at: row.opened_at,
            closed_at: row.closed_at,
            contacts: vec![],
            plan_interval_hours: None,
            follow_ups: vec![],
            messages: vec![],
            key_events: vec![],
        });
        let m = measures::measure(&f, period, now, targets, calendar);
        summary.add(&m);
        by_team.entry(row.team_id.clone()).or_default().add(&m);
        let officers = flos.get(&row.id).cloned().unwrap_or_default();
        let mut seen: Vec<&UserId> = Vec::new();
        for (user, _, _) in &officers {
            if let Scope::Officer(me) = scope
                && user != me
            {
                continue;
            }
            if seen.contains(&user) {
                continue;
            }
            seen.push(user);
            let name = names.get(user).cloned().unwrap_or_default();
            by_officer
                .entry(format!("{name}\u{0}{user}"))
                .or_insert_with(|| (user.clone(), TimelinessSummary::default()))
                .1
                .add(&m);
        }
        for (i, week) in weeks.iter().enumerate() {
            let w = DashboardDates {
                from: (*week).max(dates.from),
                to: (*week + Duration::days(6)).min(dates.to),
            };
            if w.period().from > now {
                continue;
            }
            let wp = w.period();
            if row.opened_at < wp.to && row.closed_at.is_none_or(|c| c > wp.from) {
                by_week[i].add(&measures::measure(&f, wp, now, targets, calendar));
            }
        }
        let latest = officers
            .iter()
            .max_by_key(|(_, starts, _)| *starts)
            .and_then(|(u, _, _)| names.get(u).cloned());
        case_figures.push(CaseFigures {
            case_id: row.id.clone(),
            reference: row.reference.clone(),
            team_id: row.team_id.clone(),
            officer: latest,
            in_breach: m.in_breach(),
            breaches: m.breaches(),
            measures: m,
        });
    }
    case_figures.sort_by(|a, b| {
        b.in_breach
            .cmp(&a.in_breach)
            .then(a.reference.cmp(&b.reference))
    });
    let officer_list: Vec<UserId> = by_officer.values().map(|(u, _)| u.clone()).collect();
    let workloads = workload(conn, &officer_list, now)?;
    let in_force = history.at(period.to.min(now));
    let target_changes = history
        .changes_between(period.from, period.to)
        .into_iter()
        .map(|(at, key, value)| AppliedChange {
            key: key.trim_start_matches("target.").to_owned(),
            value,
            effective_from: at,
        })
        .collect();
    Ok(Dashboard {
        dates,
        note,
        target_changes,
        targets: TargetsView {
            first_contact_hours: in_force.first_contact_hours,
            message_ack_working_days: in_force.message_ack_working_days,
            message_answer_working_days: in_force.message_answer_working_days,
            update_after_event_working_days: in_force.update_after_event_working_days,
            entitlements_working_days: in_force.entitlements_working_days,
            contact_plan: "each case's agreed interval",
            follow_ups: "every follow-up completed by its due time",
        },
        summary,
        teams: team_names
            .into_iter()
            .map(|(id, name)| TeamFigures {
                summary: by_team.remove(&id).unwrap_or_default(),
                team_id: id,
                name,
            })
            .collect(),
        officers: by_officer
            .into_values()
            .map(|(user, summary)| OfficerFigures {
                name: names.get(&user).cloned().unwrap_or_default(),
                workload: workloads.get(&user).cloned().unwrap_or_default(),
                user_id: user,
                summary,
            })
            .collect(),
        weeks: weeks
            .into_iter()
            .zip(by_week)
            .map(|(week_start, summary)| WeekFigures {
                week_start,
                summary,
            })
            .collect(),
        cases: case_figures,
        open_concerns: open_concerns(conn, scope, now)?,
        entitlements_due: entitlements_due(
            conn,
            scope,
            now,
            in_force.entitlements_working_days,
            calendar,
        )?,
    })
}

fn week_starts(dates: DashboardDates) -> Vec<NaiveDate> {
    use chrono::Datelike;
    let mut monday =
        dates.from - Duration::days(i64::from(dates.from.weekday().num_days_from_monday()));
    let mut out = Vec::new();
    while monday <= dates.to {
        out.push(monday);
        monday += Duration::days(7);
    }
    out
}

fn load_facts(
    conn: &mut DbConn,
    rows: &[CaseRow],
    period: Period,
) -> QueryResult<HashMap<CaseId, CaseFacts>> {
    let mut facts: HashMap<CaseId, CaseFacts> = rows
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                CaseFacts {
                    opened_at: r.opened_at,
                    closed_at: r.closed_at,
                    contacts: vec![],
                    plan_interval_hours: None,
                    follow_ups: vec![],
                    messages: vec![],
                    key_events: vec![],
                },
            )
        })
        .collect();
    let ids: Vec<CaseId> = rows.iter().map(|r| r.id.clone()).collect();
    for chunk in ids.chunks(CHUNK) {
        // Contacts in the period, and the last one before it (which starts the gap that runs
        // into the period): both from the (case, time) index, the second from the index
        // alone (its entries before the period, not the contact rows).
        for (case, at) in contacts::table
            .filter(contacts::case_id.eq_any(chunk))
            .filter(contacts::occurred_at.ge(period.from))
            .filter(contacts::occurred_at.lt(period.to))
            .select((contacts::case_id, contacts::occurred_at))
            .load::<(CaseId, NaiveDateTime)>(conn)?
        {
            if let Some(f) = facts.get_mut(&case) {
                f.contacts.push(at);
            }
        }
        for (case, at) in contacts::table
            .filter(contacts::case_id.eq_any(chunk))
            .filter(contacts::occurred_at.lt(period.from))
            .group_by(contacts::case_id)
            .select((contacts::case_id, diesel::dsl::max(contacts::occurred_at)))
            .load::<(CaseId, Option<NaiveDateTime>)>(conn)?
        {
            if let (Some(f), Some(at)) = (facts.get_mut(&case), at) {
                f.contacts.push(at);
            }
        }
        // The plan in force: the latest recorded.
        for (case, interval, at) in contact_plans::table
            .filter(contact_plans::case_id.eq_any(chunk))
            .filter(contact_plans::recorded_at.lt(period.to))
            .select((
                contact_plans::case_id,
                contact_plans::interval_hours,
                contact_plans::recorded_at,
            ))
            .order(contact_plans::recorded_at.asc())
            .load::<(CaseId, i32, NaiveDateTime)>(conn)?
        {
            let _ = at;
            if let Some(f) = facts.get_mut(&case) {
                f.plan_interval_hours = Some(i64::from(interval));
            }
        }
        for (case, due, done, status) in follow_ups::table
            .filter(follow_ups::case_id.eq_any(chunk))
            .filter(follow_ups::due_at.ge(period.from))
            .filter(follow_ups::due_at.lt(period.to))
            .select((
                follow_ups::case_id,
                follow_ups::due_at,
                follow_ups::completed_at,
                follow_ups::status,
            ))
            .load::<(CaseId, NaiveDateTime, Option<NaiveDateTime>, FollowUpStatus)>(conn)?
        {
            if let Some(f) = facts.get_mut(&case) {
                f.follow_ups.push(FollowUpFacts {
                    due_at: due,
                    completed_at: done,
                    cancelled: status == FollowUpStatus::Cancelled,
                });
            }
        }
        for (case, sent, ack, ans) in messages::table
            .filter(messages::case_id.eq_any(chunk))
            .filter(messages::from_relative_id.is_not_null())
            .filter(messages::sent_at.ge(period.from))
            .filter(messages::sent_at.lt(period.to))
            .select((
                messages::case_id,
                messages::sent_at,
                messages::acknowledged_at,
                messages::answered_at,
            ))
            .load::<(
                CaseId,
                NaiveDateTime,
                Option<NaiveDateTime>,
                Option<NaiveDateTime>,
            )>(conn)?
        {
            if let Some(f) = facts.get_mut(&case) {
                f.messages.push(MessageFacts {
                    received_at: sent,
                    acknowledged_at: ack,
                    answered_at: ans,
                });
            }
        }
        // Key events: milestones reached, and key-event updates that record no milestone,
        // each when it was recorded. The family is told by the first shared update at or
        // after the event.
        let mut events: Vec<(CaseId, NaiveDateTime)> = case_milestones::table
            .filter(case_milestones::case_id.eq_any(chunk))
            .filter(case_milestones::state.eq(MilestoneState::Reached))
            // The milestone a case opens at is not news; every other comes with its update.
            .filter(case_milestones::update_id.is_not_null())
            .filter(case_milestones::recorded_at.ge(period.from))
            .filter(case_milestones::recorded_at.lt(period.to))
            .select((case_milestones::case_id, case_milestones::recorded_at))
            .load(conn)?;
        events.extend(
            case_updates::table
                .filter(case_updates::case_id.eq_any(chunk))
                .filter(case_updates::key_event.eq(true))
                .filter(case_updates::milestone.is_null())
                .filter(case_updates::posted_at.ge(period.from))
                .filter(case_updates::posted_at.lt(period.to))
                .select((case_updates::case_id, case_updates::posted_at))
                .load::<(CaseId, NaiveDateTime)>(conn)?,
        );
        let shared: Vec<(CaseId, NaiveDateTime)> = case_updates::table
            .filter(case_updates::case_id.eq_any(chunk))
            .filter(case_updates::shared_with_family.eq(true))
            .filter(case_updates::posted_at.ge(period.from))
            .select((case_updates::case_id, case_updates::posted_at))
            .load(conn)?;
        let mut shared_by_case: HashMap<&CaseId, Vec<NaiveDateTime>> = HashMap::new();
        for (case, at) in &shared {
            shared_by_case.entry(case).or_default().push(*at);
        }
        for (case, at) in events {
            let told = shared_by_case
                .get(&case)
                .and_then(|v| v.iter().filter(|t| **t >= at).min().copied());
            if let Some(f) = facts.get_mut(&case) {
                f.key_events.push(KeyEventFacts {
                    at,
                    shared_update_at: told,
                });
            }
        }
    }
    Ok(facts)
}

/// Each officer's current load.
fn workload(
    conn: &mut DbConn,
    officers: &[UserId],
    now: NaiveDateTime,
) -> QueryResult<HashMap<UserId, Workload>> {
    let mut out: HashMap<UserId, Workload> = HashMap::new();
    if officers.is_empty() {
        return Ok(out);
    }
    let active: Vec<(UserId, CaseId)> = assignments::table
        .inner_join(cases::table.on(cases::id.eq(assignments::case_id)))
        .filter(assignments::user_id.eq_any(officers))
        .filter(assignments::role.eq_any([AssignmentRole::Flo, AssignmentRole::DeputyFlo]))
        .filter(in_force(now))
        .filter(cases::status.eq(CaseStatus::Open))
        .select((assignments::user_id, assignments::case_id))
        .load(conn)?;
    let mut case_ids: Vec<CaseId> = active.iter().map(|(_, c)| c.clone()).collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    // Read through the messages' (case, time) index and sorted out here: with a filter on
    // `answered_at IS NULL` SQLite's planner would walk every unanswered message in the
    // database instead.
    let mut waiting_by_case: HashMap<CaseId, u32> = HashMap::new();
    for chunk in case_ids.chunks(CHUNK) {
        let rows: Vec<(CaseId, Option<NaiveDateTime>, Option<NaiveDateTime>)> = messages::table
            .filter(messages::case_id.eq_any(chunk))
            .filter(messages::from_relative_id.is_not_null())
            .select((
                messages::case_id,
                messages::answered_at,
                messages::closed_at,
            ))
            .load(conn)?;
        for (case, answered, closed) in rows {
            if answered.is_none() && closed.is_none() {
                *waiting_by_case.entry(case).or_default() += 1;
            }
        }
    }
    for (user, case) in &active {
        let w = out.entry(user.clone()).or_default();
        w.active_cases += 1;
        w.waiting_messages += waiting_by_case.get(case).copied().unwrap_or(0);
    }
    let open: Vec<UserId> = follow_ups::table
        .filter(follow_ups::assignee_id.eq_any(officers))
        .filter(follow_ups::status.eq(FollowUpStatus::Open))
        .select(follow_ups::assignee_id)
        .load(conn)?;
    for u in open {
        out.entry(u).or_default().open_follow_ups += 1;
    }
    Ok(out)
}

/// The teams a manager may see: theirs.
pub fn teams_of_manager(conn: &mut DbConn, user: &UserId) -> QueryResult<Vec<TeamId>> {
    team_members::table
        .filter(team_members::user_id.eq(user))
        .select(team_members::team_id)
        .load(conn)
}

/// The tables of the dashboard that can be downloaded as CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Cases,
    Officers,
    Teams,
    Weeks,
    Concerns,
}

impl Table {
    pub fn parse(s: &str) -> Option<Table> {
        match s {
            "cases" => Some(Table::Cases),
            "officers" => Some(Table::Officers),
            "teams" => Some(Table::Teams),
            "weeks" => Some(Table::Weeks),
            "concerns" => Some(Table::Concerns),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Table::Cases => "cases",
            Table::Officers => "officers",
            Table::Teams => "teams",
            Table::Weeks => "weeks",
            Table::Concerns => "concerns",
        }
    }
}

const SUMMARY_HEADERS: [&str; 20] = [
    "cases",
    "cases_in_breach",
    "first_contact_met",
    "first_contact_breached",
    "first_contact_pending",
    "contact_plan_met",
    "contact_plan_breached",
    "follow_ups_on_time",
    "follow_ups_late",
    "follow_ups_overdue",
    "follow_ups_not_yet_due",
    "messages_acknowledged_met",
    "messages_acknowledged_breached",
    "messages_acknowledged_pending",
    "messages_answered_met",
    "messages_answered_breached",
    "messages_answered_pending",
    "updates_after_events_met",
    "updates_after_events_breached",
    "updates_after_events_pending",
];

fn summary_cells(s: &TimelinessSummary) -> Vec<String> {
    [
        s.cases,
        s.cases_in_breach,
        s.first_contact.met,
        s.first_contact.breached,
        s.first_contact.pending,
        s.contact_plan.met,
        s.contact_plan.breached,
        s.follow_ups.on_time,
        s.follow_ups.late,
        s.follow_ups.overdue,
        s.follow_ups.not_yet_due,
        s.messages_acknowledged.met,
        s.messages_acknowledged.breached,
        s.messages_acknowledged.pending,
        s.messages_answered.met,
        s.messages_answered.breached,
        s.messages_answered.pending,
        s.updates_after_events.met,
        s.updates_after_events.breached,
        s.updates_after_events.pending,
    ]
    .iter()
    .map(u32::to_string)
    .collect()
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Met => "met",
        Outcome::Breached => "breached",
        Outcome::Pending => "pending",
    }
}

/// One table of the dashboard as CSV (quoted cells, formulas neutralised), with the period
/// in every row so that a file stands on its own.
pub fn to_csv(board: &Dashboard, table: Table) -> String {
    let mut out = String::new();
    let mut row = |cells: Vec<String>| {
        let line: Vec<String> = cells
            .iter()
            .map(|c| crate::casework::export::cell(c))
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    let (from, to) = (board.dates.from.to_string(), board.dates.to.to_string());
    let lead = |mut v: Vec<String>| {
        let mut cells = vec![from.clone(), to.clone()];
        cells.append(&mut v);
        cells
    };
    let headers = |first: &[&str]| {
        let mut h = vec!["from".to_owned(), "to".to_owned()];
        h.extend(first.iter().map(|s| (*s).to_owned()));
        h
    };
    match table {
        Table::Teams => {
            let mut h = headers(&["team_id", "team"]);
            h.extend(SUMMARY_HEADERS.iter().map(|s| (*s).to_owned()));
            row(h);
            for t in &board.teams {
                let mut c = vec![t.team_id.to_string(), t.name.clone()];
                c.extend(summary_cells(&t.summary));
                row(lead(c));
            }
        }
        Table::Officers => {
            let mut h = headers(&["user_id", "officer"]);
            h.extend(SUMMARY_HEADERS.iter().map(|s| (*s).to_owned()));
            h.extend(
                ["active_cases", "open_follow_ups", "waiting_messages"]
                    .iter()
                    .map(|s| (*s).to_owned()),
            );
            row(h);
            for o in &board.officers {
                let mut c = vec![o.user_id.to_string(), o.name.clone()];
                c.extend(summary_cells(&o.summary));
                c.extend([
                    o.workload.active_cases.to_string(),
                    o.workload.open_follow_ups.to_string(),
                    o.workload.waiting_messages.to_string(),
                ]);
                row(lead(c));
            }
        }
        Table::Concerns => {
            row(headers(&[
                "reference",
                "case_id",
                "message_id",
                "received_at",
                "acknowledged_at",
                "answered_at",
                "excerpt",
            ]));
            let stamp = |t: Option<NaiveDateTime>| {
                t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default()
            };
            for c in &board.open_concerns {
                row(lead(vec![
                    c.reference.clone(),
                    c.case_id.to_string(),
                    c.message_id.clone(),
                    stamp(Some(c.received_at)),
                    stamp(c.acknowledged_at),
                    stamp(c.answered_at),
                    c.excerpt.clone(),
                ]));
            }
        }
        Table::Weeks => {
            let mut h = headers(&["week_start"]);
            h.extend(SUMMARY_HEADERS.iter().map(|s| (*s).to_owned()));
            row(h);
            for w in &board.weeks {
                let mut c = vec![w.week_start.to_string()];
                c.extend(summary_cells(&w.summary));
                row(lead(c));
            }
        }
        Table::Cases => {
            row(headers(&[
                "reference",
                "case_id",
                "team_id",
                "officer",
                "in_breach",
                "breaches",
                "first_contact",
                "first_contact_hours",
                "contact_plan",
                "longest_gap_hours",
                "interval_hours",
                "follow_ups_on_time",
                "follow_ups_late",
                "follow_ups_overdue",
                "messages_acknowledged_breached",
                "messages_answered_breached",
                "updates_after_events_breached",
            ]));
            for c in &board.cases {
                let m = &c.measures;
                row(lead(vec![
                    c.reference.clone(),
                    c.case_id.to_string(),
                    c.team_id.to_string(),
                    c.officer.clone().unwrap_or_default(),
                    c.in_breach.to_string(),
                    c.breaches.join(";"),
                    m.first_contact
                        .as_ref()
                        .map(|f| outcome_name(f.outcome).to_owned())
                        .unwrap_or_default(),
                    m.first_contact
                        .as_ref()
                        .map(|f| format!("{:.1}", f.hours))
                        .unwrap_or_default(),
                    m.contact_plan
                        .as_ref()
                        .map(|p| outcome_name(p.outcome).to_owned())
                        .unwrap_or_default(),
                    m.contact_plan
                        .as_ref()
                        .map(|p| format!("{:.1}", p.longest_gap_hours))
                        .unwrap_or_default(),
                    m.contact_plan
                        .as_ref()
                        .map(|p| p.interval_hours.to_string())
                        .unwrap_or_default(),
                    m.follow_ups.on_time.to_string(),
                    m.follow_ups.late.to_string(),
                    m.follow_ups.overdue.to_string(),
                    m.messages_acknowledged.breached.to_string(),
                    m.messages_answered.breached.to_string(),
                    m.updates_after_events.breached.to_string(),
                ]));
            }
        }
    }
    out
}
