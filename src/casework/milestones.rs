//! A case's type and its milestones. The type (homicide, road death, ...) decides which
//! milestones the case has and in what order (`CaseType::milestones`). Staff record a
//! milestone reached, with its date, by posting an update (`updates::post`, shared with the
//! family by default); a milestone that does not apply is marked not needed with a reason and
//! drops from the family's stepper, and may be marked needed again. Every record is kept in
//! `case_milestones`, which the database refuses to change: where a milestone stands is its
//! latest record. `cases.milestone` is the furthest of the type's milestones reached, written
//! with each record. A change of type keeps every milestone reached (those the new type lacks
//! stay in the history) and is kept in `case_type_changes` with its reason.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::record::{Case, require_open};
use crate::casework::time::london_date;
use crate::casework::types::{CaseType, Milestone, MilestoneState};
use crate::db::schema::{case_milestones, case_type_changes, cases};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, UpdateId, UserId, new_row_id};
use crate::error::AppError;

/// One record of a milestone, as staff read it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = case_milestones)]
pub struct MilestoneRecord {
    pub id: String,
    pub milestone: Milestone,
    pub state: MilestoneState,
    pub reached_on: Option<NaiveDate>,
    /// Why it is not needed, or needed after all.
    pub reason: Option<String>,
    pub update_id: Option<String>,
    /// The stage this record was written under before milestones ("court_or_inquest").
    pub mapped_from: Option<String>,
    pub recorded_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

/// A change of the case's type.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = case_type_changes)]
pub struct TypeChange {
    pub id: String,
    pub previous_type: CaseType,
    pub case_type: CaseType,
    pub reason: String,
    pub changed_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub changed_at: NaiveDateTime,
}

/// Where one milestone stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub milestone: Milestone,
    pub label: &'static str,
    /// Its latest record; none while it is still to come.
    pub state: Option<MilestoneState>,
    pub reached_on: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// A case's type and milestones, as staff read them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub case_type: CaseType,
    pub case_type_label: &'static str,
    /// The furthest of the type's milestones reached.
    pub current: Milestone,
    pub current_label: &'static str,
    /// The type's milestones, in order.
    pub steps: Vec<Step>,
    /// Milestones recorded that the type does not have (kept from an earlier type).
    pub outside_type: Vec<Step>,
    /// Every record, oldest first.
    pub history: Vec<MilestoneRecord>,
    pub type_changes: Vec<TypeChange>,
}

/// A milestone reached, as an update records it.
#[derive(Debug, Clone, Copy)]
pub struct Reached {
    pub milestone: Milestone,
    /// The day it was reached; today (London) when not given.
    pub on: Option<NaiveDate>,
}

/// Marking a milestone as not needed, or needed after all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    NotNeeded,
    Needed,
}

/// Every record of the case's milestones, oldest first.
pub fn history(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<MilestoneRecord>> {
    case_milestones::table
        .filter(case_milestones::case_id.eq(case_id))
        .select(MilestoneRecord::as_select())
        .order((
            case_milestones::recorded_at.asc(),
            case_milestones::id.asc(),
        ))
        .load(conn)
}

pub fn type_changes(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<TypeChange>> {
    case_type_changes::table
        .filter(case_type_changes::case_id.eq(case_id))
        .select(TypeChange::as_select())
        .order((
            case_type_changes::changed_at.asc(),
            case_type_changes::id.asc(),
        ))
        .load(conn)
}

/// Each milestone's latest record.
fn standing(history: &[MilestoneRecord]) -> HashMap<Milestone, &MilestoneRecord> {
    history.iter().map(|r| (r.milestone, r)).collect()
}

/// The furthest of `case_type`'s milestones whose latest record says reached; the first
/// milestone when none is.
fn furthest(case_type: CaseType, history: &[MilestoneRecord]) -> Milestone {
    let now = standing(history);
    case_type
        .milestones()
        .iter()
        .rev()
        .find(|m| {
            now.get(m)
                .is_some_and(|r| r.state == MilestoneState::Reached)
        })
        .copied()
        .unwrap_or(Milestone::FamilyLiaisonDeployed)
}

fn step(milestone: Milestone, record: Option<&&MilestoneRecord>) -> Step {
    Step {
        milestone,
        label: milestone.label(),
        state: record.map(|r| r.state),
        reached_on: record.and_then(|r| r.reached_on),
        reason: record.and_then(|r| r.reason.clone()),
    }
}

pub fn progress(conn: &mut DbConn, case: &Case) -> QueryResult<Progress> {
    let history = history(conn, &case.id)?;
    let now = standing(&history);
    let steps = case
        .case_type
        .milestones()
        .iter()
        .map(|m| step(*m, now.get(m)))
        .collect();
    let outside_type = Milestone::ALL
        .iter()
        .filter(|m| !case.case_type.has(**m) && now.contains_key(*m))
        .map(|m| step(*m, now.get(m)))
        .collect();
    let current = furthest(case.case_type, &history);
    Ok(Progress {
        case_type: case.case_type,
        case_type_label: case.case_type.label(),
        current,
        current_label: current.label(),
        steps,
        outside_type,
        type_changes: type_changes(conn, &case.id)?,
        history,
    })
}

/// Writes `cases.milestone` from the records, with the case's version.
fn refresh(conn: &mut DbConn, case_id: &CaseId, case_type: CaseType) -> QueryResult<()> {
    let current = furthest(case_type, &history(conn, case_id)?);
    diesel::update(cases::table.find(case_id))
        .set((
            cases::case_type.eq(case_type),
            cases::milestone.eq(current),
            cases::updated_at.eq(db::now()),
            cases::version.eq(cases::version + 1),
        ))
        .execute(conn)?;
    Ok(())
}

fn not_of_type(case: &Case, milestone: Milestone) -> AppError {
    AppError::invalid(
        "milestone",
        format!(
            "“{}” is not a milestone of a case of type “{}”. If the type is wrong, change it first.",
            milestone.label(),
            case.case_type.label()
        ),
    )
}

fn already_reached(record: &MilestoneRecord) -> AppError {
    AppError::conflict(
        "milestone_reached",
        format!(
            "“{}” was already recorded as reached{}.",
            record.milestone.label(),
            record
                .reached_on
                .map(|d| format!(" on {}", d.format("%-d %B %Y")))
                .unwrap_or_default()
        ),
    )
}

/// Checks that `reached` may be recorded on the case: a milestone of its type, not reached
/// already, on a day neither in the future nor before the death. The day it was reached.
pub(crate) fn check_reached(
    conn: &mut DbConn,
    case: &Case,
    reached: &Reached,
) -> Result<NaiveDate, AppError> {
    if !case.case_type.has(reached.milestone) {
        return Err(not_of_type(case, reached.milestone));
    }
    let today = london_date(db::now());
    let on = reached.on.unwrap_or(today);
    if on > today {
        return Err(AppError::invalid(
            "reached_on",
            "The day a milestone was reached cannot be in the future.",
        ));
    }
    if on < case.date_of_death {
        return Err(AppError::invalid(
            "reached_on",
            format!(
                "A milestone cannot be reached before the date of death ({}).",
                case.date_of_death.format("%-d %B %Y")
            ),
        ));
    }
    let history = history(conn, &case.id)?;
    if let Some(r) = standing(&history)
        .get(&reached.milestone)
        .filter(|r| r.state == MilestoneState::Reached)
    {
        return Err(already_reached(r));
    }
    Ok(on)
}

/// Records a milestone reached on `on`, checked by `check_reached`, and the update that
/// recorded it.
pub(crate) fn record_reached(
    conn: &mut DbConn,
    user: &UserId,
    case: &Case,
    milestone: Milestone,
    on: NaiveDate,
    update_id: Option<&UpdateId>,
) -> QueryResult<()> {
    insert_reached(conn, &case.id, milestone, on, update_id, user)?;
    refresh(conn, &case.id, case.case_type)
}

/// Writes one milestone reached, without touching the case row: for a case being opened (its
/// first milestone) and the demo data, which write the case row themselves.
pub(crate) fn insert_reached(
    conn: &mut DbConn,
    case_id: &CaseId,
    milestone: Milestone,
    on: NaiveDate,
    update_id: Option<&UpdateId>,
    by: &UserId,
) -> QueryResult<()> {
    diesel::insert_into(case_milestones::table)
        .values((
            case_milestones::id.eq(new_row_id()),
            case_milestones::case_id.eq(case_id),
            case_milestones::milestone.eq(milestone),
            case_milestones::state.eq(MilestoneState::Reached),
            case_milestones::reached_on.eq(Some(on)),
            case_milestones::update_id.eq(update_id.map(UpdateId::as_str)),
            case_milestones::recorded_by.eq(by),
            case_milestones::recorded_at.eq(db::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// The case as it now stands after a change the caller was allowed to make, with its progress.
fn reloaded(conn: &mut DbConn, case_id: &CaseId) -> Result<Progress, AppError> {
    let case = crate::casework::record::find(conn, case_id)?.ok_or(AppError::NotFound)?;
    Ok(progress(conn, &case)?)
}

/// Marks one of the case's milestones as not needed, or needed after all, with the reason.
pub fn mark(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    milestone: Milestone,
    mark: Mark,
    reason: &LimitedText,
) -> Result<Progress, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        if !case.case_type.has(milestone) {
            return Err(not_of_type(&case, milestone));
        }
        let history = history(conn, case_id)?;
        let state = standing(&history).get(&milestone).map(|r| (*r).clone());
        match (mark, state.as_ref().map(|r| r.state)) {
            (_, Some(MilestoneState::Reached)) => {
                return Err(already_reached(state.as_ref().expect("reached")));
            }
            (Mark::NotNeeded, Some(MilestoneState::NotNeeded)) => {
                return Err(AppError::conflict(
                    "already_not_needed",
                    format!("“{}” is already marked not needed.", milestone.label()),
                ));
            }
            (Mark::Needed, None | Some(MilestoneState::Needed)) => {
                return Err(AppError::conflict(
                    "not_marked_not_needed",
                    format!(
                        "“{}” is not marked not needed, so there is nothing to undo.",
                        milestone.label()
                    ),
                ));
            }
            _ => {}
        }
        let (state, action) = match mark {
            Mark::NotNeeded => (MilestoneState::NotNeeded, "milestone.not_needed"),
            Mark::Needed => (MilestoneState::Needed, "milestone.needed"),
        };
        let id = new_row_id();
        diesel::insert_into(case_milestones::table)
            .values((
                case_milestones::id.eq(&id),
                case_milestones::case_id.eq(case_id),
                case_milestones::milestone.eq(milestone),
                case_milestones::state.eq(state),
                case_milestones::reason.eq(Some(reason.as_str())),
                case_milestones::recorded_by.eq(&user.id),
                case_milestones::recorded_at.eq(db::now()),
            ))
            .execute(conn)?;
        refresh(conn, case_id, case.case_type)?;
        audit::event(&Actor::Staff(user.id.clone()), action)
            .record("case_milestone", &id)
            .case(case_id)
            .detail(milestone.as_str())
            .write(conn)?;
        reloaded(conn, case_id)
    })
}

/// Changes the case's type, with the reason. Milestones reached keep their dates; those the
/// new type lacks stay in the history.
pub fn change_type(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    case_type: CaseType,
    reason: &LimitedText,
) -> Result<Progress, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        if case.case_type == case_type {
            return Err(AppError::conflict(
                "type_unchanged",
                format!("This case is already of type “{}”.", case_type.label()),
            ));
        }
        let id = new_row_id();
        diesel::insert_into(case_type_changes::table)
            .values((
                case_type_changes::id.eq(&id),
                case_type_changes::case_id.eq(case_id),
                case_type_changes::previous_type.eq(case.case_type),
                case_type_changes::case_type.eq(case_type),
                case_type_changes::reason.eq(reason.as_str()),
                case_type_changes::changed_by.eq(&user.id),
                case_type_changes::changed_at.eq(db::now()),
            ))
            .execute(conn)?;
        refresh(conn, case_id, case_type)?;
        audit::event(&Actor::Staff(user.id.clone()), "case.type")
            .record("case_type_change", &id)
            .case(case_id)
            .detail(case_type.as_str())
            .write(conn)?;
        reloaded(conn, case_id)
    })
}
