//! Cases: opening one (with a reference unique across every instance) at its first
//! milestone, the stage history kept from before milestones, the contact plan and its
//! history, closing with a recorded exit plan, and reopening. Lists are always scoped by the caller.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::milestones;
use crate::casework::record::in_force;
pub use crate::casework::record::{Case, find};
use crate::casework::types::{CaseStatus, CaseType, ContactChannel, Milestone, Stage};
use crate::db::schema::{
    assignments, case_stage_history, case_status_changes, cases, contact_plans, exit_plans,
    reference_counters, relatives, team_members,
};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, PersonName, Role, TeamId, UserId, new_row_id};
use crate::error::AppError;

/// The family's needs, all optional.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub language: Option<LimitedText>,
    pub interpreter: bool,
    pub accessibility: Option<LimitedText>,
    pub faith_culture: Option<LimitedText>,
    pub other: Option<LimitedText>,
}

/// A parsed contact plan.
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub interval_hours: i32,
    pub preferred_channel: ContactChannel,
    pub preferred_hours: String,
    pub agreed_on: NaiveDate,
}

/// A parsed request to open a case.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub team_id: TeamId,
    pub deceased_name: PersonName,
    pub date_of_death: NaiveDate,
    pub circumstances: Option<LimitedText>,
    pub needs: Needs,
    pub plan: Option<PlanInput>,
    pub case_type: CaseType,
}

/// Allocates the next reference for `year`: `FL-2026-00042`. The counter row is updated in the
/// caller's transaction, so concurrent instances on one PostgreSQL queue on its row lock and
/// never hand out the same number; a lost race to create the year's row retries once.
pub fn next_reference(conn: &mut DbConn, year: i32) -> QueryResult<String> {
    let n = reserve_references(conn, year, 1)?;
    Ok(format!("FL-{year}-{n:05}"))
}

/// Reserves `count` consecutive reference numbers of `year` (at least one) and returns the
/// first, as `next_reference` does for one.
pub fn reserve_references(conn: &mut DbConn, year: i32, count: i64) -> QueryResult<i64> {
    let scope = format!("FL-{year}");
    let count = count.max(1);
    for _ in 0..2 {
        let bumped = diesel::update(reference_counters::table.find(&scope))
            .set(reference_counters::last_value.eq(reference_counters::last_value + count))
            .execute(conn)?;
        if bumped == 0 {
            let created = conn.transaction(|conn| {
                diesel::insert_into(reference_counters::table)
                    .values((
                        reference_counters::scope.eq(&scope),
                        reference_counters::last_value.eq(count),
                    ))
                    .execute(conn)
            });
            match created {
                Ok(_) => {}
                Err(e) if db::is_unique_violation(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        let last: i64 = reference_counters::table
            .find(&scope)
            .select(reference_counters::last_value)
            .first(conn)?;
        return Ok(last - count + 1);
    }
    Err(diesel::result::Error::RollbackTransaction)
}

fn text(t: &Option<LimitedText>) -> Option<&str> {
    t.as_ref().map(LimitedText::as_str)
}

/// Opens a case for one of the manager's teams.
pub fn open(conn: &mut DbConn, user: &StaffUser, new: NewCase) -> Result<Case, AppError> {
    db::write(conn, |conn| {
        if user.role != Role::Manager || !access::teams_of(conn, &user.id)?.contains(&new.team_id) {
            return Err(AppError::invalid(
                "team_id",
                "Choose one of your own teams.",
            ));
        }
        let now = db::now();
        let local_year = crate::casework::time::london_date(now)
            .format("%Y")
            .to_string();
        let reference = next_reference(conn, local_year.parse().unwrap_or(2026))?;
        let id = CaseId::new();
        diesel::insert_into(cases::table)
            .values((
                cases::id.eq(&id),
                cases::reference.eq(&reference),
                cases::team_id.eq(&new.team_id),
                cases::deceased_name.eq(new.deceased_name.as_str()),
                cases::date_of_death.eq(new.date_of_death),
                cases::circumstances.eq(text(&new.circumstances).unwrap_or("")),
                cases::status.eq(CaseStatus::Open),
                cases::case_type.eq(new.case_type),
                cases::milestone.eq(Milestone::FamilyLiaisonDeployed),
                cases::needs_language.eq(text(&new.needs.language)),
                cases::needs_interpreter.eq(new.needs.interpreter),
                cases::needs_accessibility.eq(text(&new.needs.accessibility)),
                cases::needs_faith_culture.eq(text(&new.needs.faith_culture)),
                cases::needs_other.eq(text(&new.needs.other)),
                cases::opened_at.eq(now),
                cases::created_by.eq(&user.id),
                cases::updated_at.eq(now),
                cases::version.eq(1_i64),
            ))
            .execute(conn)?;
        let today = crate::casework::time::london_date(now);
        let first = Milestone::FamilyLiaisonDeployed;
        milestones::insert_reached(conn, &id, first, today, None, &user.id)?;
        record_status(conn, &id, CaseStatus::Open, "Case opened", &user.id)?;
        if let Some(plan) = &new.plan {
            insert_plan(conn, &id, plan, "Agreed when the case was opened", &user.id)?;
        }
        audit::event(&Actor::Staff(user.id.clone()), "case.open")
            .record("case", &id)
            .case(&id)
            .write(conn)?;
        find(conn, &id)?.ok_or(AppError::NotFound)
    })
}

/// The case with this reference (`fl-2026-00042` and ` FL-2026-00042 ` count as the same),
/// visible or not: the use case that acts on it checks.
pub fn id_by_reference(conn: &mut DbConn, reference: &str) -> QueryResult<Option<CaseId>> {
    cases::table
        .filter(cases::reference.eq(reference.trim().to_uppercase()))
        .select(cases::id)
        .first(conn)
        .optional()
}

fn record_status(
    conn: &mut DbConn,
    id: &CaseId,
    status: CaseStatus,
    reason: &str,
    by: &UserId,
) -> QueryResult<()> {
    diesel::insert_into(case_status_changes::table)
        .values((
            case_status_changes::id.eq(new_row_id()),
            case_status_changes::case_id.eq(id),
            case_status_changes::status.eq(status),
            case_status_changes::reason.eq(reason),
            case_status_changes::changed_by.eq(by),
            case_status_changes::changed_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

fn insert_plan(
    conn: &mut DbConn,
    id: &CaseId,
    plan: &PlanInput,
    reason: &str,
    by: &UserId,
) -> QueryResult<()> {
    diesel::insert_into(contact_plans::table)
        .values((
            contact_plans::id.eq(new_row_id()),
            contact_plans::case_id.eq(id),
            contact_plans::interval_hours.eq(plan.interval_hours),
            contact_plans::preferred_channel.eq(plan.preferred_channel),
            contact_plans::preferred_hours.eq(&plan.preferred_hours),
            contact_plans::agreed_on.eq(plan.agreed_on),
            contact_plans::reason.eq(reason),
            contact_plans::recorded_by.eq(by),
            contact_plans::recorded_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// One version of a case's contact plan.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct ContactPlan {
    pub id: String,
    pub interval_hours: i32,
    pub preferred_channel: ContactChannel,
    pub preferred_hours: String,
    pub agreed_on: NaiveDate,
    pub reason: String,
    pub recorded_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

/// Every version of the contact plan, newest first.
pub fn plans(conn: &mut DbConn, id: &CaseId) -> QueryResult<Vec<ContactPlan>> {
    contact_plans::table
        .filter(contact_plans::case_id.eq(id))
        .select((
            contact_plans::id,
            contact_plans::interval_hours,
            contact_plans::preferred_channel,
            contact_plans::preferred_hours,
            contact_plans::agreed_on,
            contact_plans::reason,
            contact_plans::recorded_by,
            contact_plans::recorded_at,
        ))
        .order((contact_plans::recorded_at.desc(), contact_plans::id.desc()))
        .load(conn)
}

/// Sets a new contact plan (managers only); the old one stays in the history with the reason
/// for the change.
pub fn set_plan(
    conn: &mut DbConn,
    user: &StaffUser,
    id: &CaseId,
    plan: &PlanInput,
    reason: &LimitedText,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, id)?;
        access::require_manager(conn, user, &case)?;
        insert_plan(conn, id, plan, reason.as_str(), &user.id)?;
        touch(conn, id)?;
        audit::event(&Actor::Staff(user.id.clone()), "case.plan_change")
            .record("case", id)
            .case(id)
            .write(conn)?;
        Ok(())
    })
}

fn touch(conn: &mut DbConn, id: &CaseId) -> QueryResult<usize> {
    diesel::update(cases::table.find(id))
        .set((
            cases::updated_at.eq(db::now()),
            cases::version.eq(cases::version + 1),
        ))
        .execute(conn)
}

/// A dated stage reached, from the stage history kept from before milestones.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct StageReached {
    pub stage: Stage,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub reached_at: NaiveDateTime,
    pub update_id: Option<String>,
}

pub fn stage_history(conn: &mut DbConn, id: &CaseId) -> QueryResult<Vec<StageReached>> {
    case_stage_history::table
        .filter(case_stage_history::case_id.eq(id))
        .select((
            case_stage_history::stage,
            case_stage_history::reached_at,
            case_stage_history::update_id,
        ))
        .order((
            case_stage_history::reached_at.asc(),
            case_stage_history::id.asc(),
        ))
        .load(conn)
}

/// How liaison ends, recorded before a case closes and shared with the family.
#[derive(Debug, Clone)]
pub struct ExitPlan {
    pub how_liaison_ends: LimitedText,
    pub contact_afterwards: LimitedText,
    pub how_to_reactivate: LimitedText,
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct ExitPlanRecord {
    pub how_liaison_ends: String,
    pub contact_afterwards: String,
    pub how_to_reactivate: String,
    pub update_id: Option<String>,
    pub recorded_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

pub fn exit_plans(conn: &mut DbConn, id: &CaseId) -> QueryResult<Vec<ExitPlanRecord>> {
    exit_plans::table
        .filter(exit_plans::case_id.eq(id))
        .select((
            exit_plans::how_liaison_ends,
            exit_plans::contact_afterwards,
            exit_plans::how_to_reactivate,
            exit_plans::update_id,
            exit_plans::recorded_by,
            exit_plans::recorded_at,
        ))
        .order(exit_plans::recorded_at.desc())
        .load(conn)
}

/// Closes a case (managers only), recording the exit plan and sharing it with the family as
/// an update on their timeline.
pub fn close(
    conn: &mut DbConn,
    user: &StaffUser,
    id: &CaseId,
    plan: &ExitPlan,
) -> Result<Case, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, id)?;
        access::require_manager(conn, user, &case)?;
        if case.status == CaseStatus::Closed {
            return Err(AppError::conflict(
                "case_closed",
                "This case is already closed.",
            ));
        }
        let body = format!(
            "How liaison ends: {}\n\nWho to contact from now on: {}\n\nIf you need us again: {}",
            plan.how_liaison_ends.as_str(),
            plan.contact_afterwards.as_str(),
            plan.how_to_reactivate.as_str()
        );
        let update_id = crate::casework::updates::insert_shared_notice(
            conn,
            user,
            &case,
            "Family liaison is ending",
            &body,
        )?;
        let now = db::now();
        diesel::insert_into(exit_plans::table)
            .values((
                exit_plans::id.eq(new_row_id()),
                exit_plans::case_id.eq(id),
                exit_plans::how_liaison_ends.eq(plan.how_liaison_ends.as_str()),
                exit_plans::contact_afterwards.eq(plan.contact_afterwards.as_str()),
                exit_plans::how_to_reactivate.eq(plan.how_to_reactivate.as_str()),
                exit_plans::update_id.eq(&update_id),
                exit_plans::recorded_by.eq(&user.id),
                exit_plans::recorded_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(cases::table.find(id))
            .set((
                cases::status.eq(CaseStatus::Closed),
                cases::closed_at.eq(Some(now)),
                cases::updated_at.eq(now),
                cases::version.eq(cases::version + 1),
            ))
            .execute(conn)?;
        record_status(
            conn,
            id,
            CaseStatus::Closed,
            "Closed with an exit plan",
            &user.id,
        )?;
        audit::event(&Actor::Staff(user.id.clone()), "case.close")
            .record("case", id)
            .case(id)
            .write(conn)?;
        find(conn, id)?.ok_or(AppError::NotFound)
    })
}

/// Reopens a closed case (managers only), with the reason on the record.
pub fn reopen(
    conn: &mut DbConn,
    user: &StaffUser,
    id: &CaseId,
    reason: &LimitedText,
) -> Result<Case, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, id)?;
        access::require_manager(conn, user, &case)?;
        if case.status == CaseStatus::Open {
            return Err(AppError::conflict(
                "case_open",
                "This case is already open.",
            ));
        }
        let now = db::now();
        diesel::update(cases::table.find(id))
            .set((
                cases::status.eq(CaseStatus::Open),
                cases::closed_at.eq(None::<NaiveDateTime>),
                cases::updated_at.eq(now),
                cases::version.eq(cases::version + 1),
            ))
            .execute(conn)?;
        record_status(conn, id, CaseStatus::Open, reason.as_str(), &user.id)?;
        audit::event(&Actor::Staff(user.id.clone()), "case.reopen")
            .record("case", id)
            .case(id)
            .write(conn)?;
        find(conn, id)?.ok_or(AppError::NotFound)
    })
}

/// One line of a case list.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub id: CaseId,
    pub reference: String,
    pub deceased_name: String,
    pub status: CaseStatus,
    pub case_type: CaseType,
    pub milestone: Milestone,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub opened_at: NaiveDateTime,
}

/// Filters for the case list; all optional.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Matches the reference, the deceased's name or a relative's name.
    pub search: Option<String>,
    pub status: Option<CaseStatus>,
    /// Cases whose furthest milestone reached is this one.
    pub milestone: Option<Milestone>,
    pub case_type: Option<CaseType>,
    /// Cases this officer holds an active assignment on.
    pub officer: Option<UserId>,
    /// Cases with an open follow-up past its due time.
    pub overdue: bool,
    pub page: i64,
}

pub const PAGE_SIZE: i64 = 25;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// A page of the cases `user` may see, newest first, with the total count.
pub fn list(
    conn: &mut DbConn,
    user: &StaffUser,
    filter: &CaseFilter,
) -> QueryResult<(Vec<CaseSummary>, i64)> {
    let now = db::now();
    // The cases someone holds an assignment on now.
    let held_by = |holder: &UserId| {
        assignments::table
            .filter(assignments::user_id.eq(holder.clone()))
            .filter(in_force(now))
            .select(assignments::case_id)
    };
    let build = || {
        let mut q = cases::table.into_boxed::<crate::db::MultiBackend>();
        q = match user.role {
            Role::Admin => q.filter(cases::id.eq("")),
            Role::Officer => q.filter(cases::id.eq_any(held_by(&user.id))),
            Role::Manager => q.filter(
                cases::team_id
                    .eq_any(
                        team_members::table
                            .filter(team_members::user_id.eq(user.id.clone()))
                            .select(team_members::team_id),
                    )
                    .or(cases::id.eq_any(held_by(&user.id))),
            ),
        };
        if let Some(search) = filter
            .search
            .as_ref()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
            q = q.filter(
                lower(cases::reference)
                    .like(pattern.clone())
                    .or(lower(cases::deceased_name).like(pattern.clone()))
                    .or(cases::id.eq_any(
                        relatives::table
                            .filter(lower(relatives::full_name).like(pattern))
                            .select(relatives::case_id),
                    )),
            );
        }
        if let Some(status) = filter.status {
            q = q.filter(cases::status.eq(status));
        }
        if let Some(milestone) = filter.milestone {
            q = q.filter(cases::milestone.eq(milestone));
        }
        if let Some(case_type) = filter.case_type {
            q = q.filter(cases::case_type.eq(case_type));
        }
        if let Some(officer) = &filter.officer {
            q = q.filter(cases::id.eq_any(held_by(officer)));
        }
        if filter.overdue {
            use crate::db::schema::follow_ups;
            q = q.filter(
                cases::id.eq_any(
                    follow_ups::table
                        .filter(follow_ups::status.eq("open"))
                        .filter(follow_ups::due_at.lt(now))
                        .select(follow_ups::case_id),
                ),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .select((
            cases::id,
            cases::reference,
            cases::deceased_name,
            cases::status,
            cases::case_type,
            cases::milestone,
            cases::opened_at,
        ))
        .order((cases::opened_at.desc(), cases::id.desc()))
        .offset(filter.page.max(0) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .load(conn)?;
    Ok((rows, total))
}

/// The cases on a staff member's home page: open cases they hold an assignment on, and for
/// a manager every open case of their teams.
pub fn my_cases(conn: &mut DbConn, user: &StaffUser) -> QueryResult<Vec<CaseSummary>> {
    let filter = CaseFilter {
        status: Some(CaseStatus::Open),
        ..CaseFilter::default()
    };
    Ok(list(conn, user, &filter)?.0)
}
