//! Follow-ups: scheduled actions on a case, each with an assignee and a due time. An
//! appointment is visible to the family (with place and time) and they are told when one is
//! arranged or changed. Follow-ups are completed (linked to the contact that did it) or
//! cancelled with a reason; every change is an event on the record.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::cases::Case;
use crate::casework::groups;
use crate::casework::notices::{News, notify_groups};
use crate::casework::record::require_open;
use crate::casework::types::FollowUpStatus;
use crate::db::schema::{contacts, follow_up_events, follow_ups, relatives, team_members, users};
use crate::db::{self, DbConn};
use crate::domain::{
    CaseId, ContactId, FamilyGroupId, FollowUpId, LimitedText, RelativeId, Role, UserId, new_row_id,
};
use crate::error::AppError;
use crate::notify::Kind;

/// Reminders go this long before a follow-up falls due; escalation this long after.
pub const REMINDER_WINDOW_HOURS: i64 = 24;
pub const ESCALATION_DELAY_HOURS: i64 = 24;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = follow_ups)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub case_id: CaseId,
    pub purpose: String,
    pub assignee_id: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub due_at: NaiveDateTime,
    pub relative_id: Option<RelativeId>,
    pub is_appointment: bool,
    pub place: Option<String>,
    pub status: FollowUpStatus,
    pub source_contact_id: Option<ContactId>,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub completed_at: Option<NaiveDateTime>,
    pub completed_by: Option<UserId>,
    pub completed_contact_id: Option<ContactId>,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub cancelled_at: Option<NaiveDateTime>,
    pub cancelled_by: Option<UserId>,
    pub cancel_reason: Option<String>,
    pub created_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    pub version: i64,
    /// For an appointment: the family group it is with (only they see it).
    pub family_group_id: Option<FamilyGroupId>,
    /// For an appointment: the title and note the family reads.
    pub family_title: Option<String>,
    pub family_note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewFollowUp {
    pub purpose: LimitedText,
    pub assignee: UserId,
    pub due_at: NaiveDateTime,
    pub relative_id: Option<RelativeId>,
    pub is_appointment: bool,
    pub place: Option<LimitedText>,
    /// For an appointment: the family group it is with.
    pub family_group_id: Option<FamilyGroupId>,
    /// For an appointment: what the family reads, in place of the officer's purpose.
    pub family_title: Option<LimitedText>,
    pub family_note: Option<LimitedText>,
}

/// A follow-up with the names a page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUpView {
    #[serde(flatten)]
    pub follow_up: FollowUp,
    pub assignee_name: String,
    pub overdue: bool,
    pub case_reference: String,
    /// For an appointment: the family's latest answer about its current time.
    pub family_answer: Option<crate::casework::answers::AnswerView>,
}

pub fn find(conn: &mut DbConn, case_id: &CaseId, id: &FollowUpId) -> QueryResult<Option<FollowUp>> {
    follow_ups::table
        .filter(follow_ups::id.eq(id))
        .filter(follow_ups::case_id.eq(case_id))
        .select(FollowUp::as_select())
        .first(conn)
        .optional()
}

fn view(conn: &mut DbConn, f: FollowUp) -> QueryResult<FollowUpView> {
    let assignee_name = users::table
        .find(&f.assignee_id)
        .select(users::display_name)
        .first(conn)?;
    let case_reference = crate::db::schema::cases::table
        .find(&f.case_id)
        .select(crate::db::schema::cases::reference)
        .first(conn)?;
    let overdue = f.status == FollowUpStatus::Open && f.due_at < db::now();
    Ok(FollowUpView {
        follow_up: f,
        assignee_name,
        overdue,
        case_reference,
        family_answer: None,
    })
}

/// Every follow-up on a case: open ones first by due time, then the rest.
pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<FollowUpView>> {
    let rows: Vec<FollowUp> = follow_ups::table
        .filter(follow_ups::case_id.eq(case_id))
        .select(FollowUp::as_select())
        .order((follow_ups::status.desc(), follow_ups::due_at.asc()))
        .load(conn)?;
    let ids: Vec<FollowUpId> = rows
        .iter()
        .filter(|f| f.is_appointment)
        .map(|f| f.id.clone())
        .collect();
    let mut answers = crate::casework::answers::latest(conn, &ids, None)?;
    rows.into_iter()
        .map(|f| {
            let answer = answers.remove(&f.id);
            view(conn, f).map(|v| FollowUpView {
                family_answer: answer,
                ..v
            })
        })
        .collect()
}

/// A staff member's open follow-ups across their cases, by due time.
pub fn open_for(conn: &mut DbConn, user: &UserId) -> QueryResult<Vec<FollowUpView>> {
    let rows: Vec<FollowUp> = follow_ups::table
        .filter(follow_ups::assignee_id.eq(user))
        .filter(follow_ups::status.eq(FollowUpStatus::Open))
        .select(FollowUp::as_select())
        .order(follow_ups::due_at.asc())
        .limit(500)
        .load(conn)?;
    rows.into_iter().map(|f| view(conn, f)).collect()
}

/// The assignee must be able to work on the case: assigned to it, or a manager of its team.
fn require_assignable(conn: &mut DbConn, case: &Case, assignee: &UserId) -> Result<(), AppError> {
    let found: Option<(Role, bool)> = users::table
        .find(assignee)
        .select((users::role, users::active))
        .first(conn)
        .optional()?;
    let ok = match found {
        Some((Role::Officer, true)) => access::is_assigned(conn, assignee, &case.id)?,
        Some((Role::Manager, true)) => {
            access::is_assigned(conn, assignee, &case.id)?
                || team_members::table
                    .filter(team_members::user_id.eq(assignee))
                    .filter(team_members::team_id.eq(&case.team_id))
                    .count()
                    .get_result::<i64>(conn)?
                    > 0
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "assignee_id",
            "Choose someone who works on this case.",
        ))
    }
}

/// The family group an appointment is with: the named relative's (who must not be
/// restricted), else the group chosen, else the case's only group.
fn appointment_group(
    conn: &mut DbConn,
    case: &Case,
    new: &NewFollowUp,
) -> Result<FamilyGroupId, AppError> {
    let chosen = new.family_group_id.as_ref();
    let Some(relative) = &new.relative_id else {
        return groups::target(conn, &case.id, chosen, "family_group_id");
    };
    let found = crate::casework::relatives::find(conn, &case.id, relative)?
        .ok_or_else(|| AppError::invalid("relative_id", "Choose a relative on this case."))?;
    if found.restricted_at.is_some() {
        return Err(AppError::conflict(
            "relative_restricted",
            "This relative is restricted: nothing can be shared with them. Ask the case's SIO or a manager.",
        ));
    }
    let theirs = groups::of_relative(conn, &case.id, relative)?;
    if chosen.is_some_and(|g| *g != theirs) {
        return Err(AppError::invalid(
            "family_group_id",
            "An appointment with a relative is with their family group.",
        ));
    }
    Ok(theirs)
}

fn require_relative_of(
    conn: &mut DbConn,
    case: &Case,
    relative: &Option<RelativeId>,
) -> Result<(), AppError> {
    if let Some(r) = relative {
        let n: i64 = relatives::table
            .filter(relatives::id.eq(r))
            .filter(relatives::case_id.eq(&case.id))
            .count()
            .get_result(conn)?;
        if n == 0 {
            return Err(AppError::invalid(
                "relative_id",
                "Choose a relative on this case.",
            ));
        }
    }
    Ok(())
}

fn event(
    conn: &mut DbConn,
    id: &FollowUpId,
    case_id: &CaseId,
    what: &str,
    detail: &str,
    actor: &UserId,
) -> QueryResult<()> {
    diesel::insert_into(follow_up_events::table)
        .values((
            follow_up_events::id.eq(new_row_id()),
            follow_up_events::follow_up_id.eq(id),
            follow_up_events::case_id.eq(case_id),
            follow_up_events::event.eq(what),
            follow_up_events::detail.eq(detail),
            follow_up_events::actor_id.eq(actor),
            follow_up_events::occurred_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Writes a follow-up inside the caller's transaction (a contact record may create several).
pub fn insert(
    conn: &mut DbConn,
    user: &StaffUser,
    case: &Case,
    new: &NewFollowUp,
    source_contact: Option<&ContactId>,
) -> Result<FollowUpId, AppError> {
    require_assignable(conn, case, &new.assignee)?;
    require_relative_of(conn, case, &new.relative_id)?;
    if new.is_appointment && new.place.is_none() {
        return Err(AppError::invalid(
            "place",
            "Say where the appointment is (or \"by phone\").",
        ));
    }
    let group = if new.is_appointment {
        Some(appointment_group(conn, case, new)?)
    } else {
        None
    };
    let id = FollowUpId::new();
    let now = db::now();
    diesel::insert_into(follow_ups::table)
        .values((
            follow_ups::id.eq(&id),
            follow_ups::case_id.eq(&case.id),
            follow_ups::purpose.eq(new.purpose.as_str()),
            follow_ups::assignee_id.eq(&new.assignee),
            follow_ups::due_at.eq(new.due_at),
            follow_ups::relative_id.eq(new.relative_id.as_ref()),
            follow_ups::is_appointment.eq(new.is_appointment),
            follow_ups::place.eq(new.place.as_ref().map(LimitedText::as_str)),
            follow_ups::status.eq(FollowUpStatus::Open),
            follow_ups::source_contact_id.eq(source_contact),
            follow_ups::reminder_at.eq(Some(new.due_at - Duration::hours(REMINDER_WINDOW_HOURS))),
            follow_ups::escalation_at
                .eq(Some(new.due_at + Duration::hours(ESCALATION_DELAY_HOURS))),
            follow_ups::created_by.eq(&user.id),
            follow_ups::created_at.eq(now),
            follow_ups::updated_at.eq(now),
            follow_ups::version.eq(1_i64),
            follow_ups::family_group_id.eq(&group),
            follow_ups::family_title.eq(new.family_title.as_ref().map(LimitedText::as_str)),
            follow_ups::family_note.eq(new.family_note.as_ref().map(LimitedText::as_str)),
        ))
        .execute(conn)?;
    event(conn, &id, &case.id, "created", "", &user.id)?;
    if let Some(group) = group {
        let cause = format!("appointment:{id}:{}", new.due_at);
        notify_groups(
            conn,
            &case.id,
            &[group],
            &appointment_news(&cause, user, &id),
        )?;
    }
    audit::event(&Actor::Staff(user.id.clone()), "follow_up.create")
        .record("follow_up", &id)
        .case(&case.id)
        .write(conn)?;
    Ok(id)
}

pub fn create(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewFollowUp,
) -> Result<FollowUp, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let id = insert(conn, user, &case, new, None)?;
        find(conn, case_id, &id)?.ok_or(AppError::NotFound)
    })
}

/// Loads an open follow-up on a case the caller can see; 409 if it is done or cancelled.
fn open_one(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &FollowUpId,
) -> Result<(Case, FollowUp), AppError> {
    let case = access::require_visible(conn, user, case_id)?;
    let f = find(conn, case_id, id)?.ok_or(AppError::NotFound)?;
    match f.status {
        FollowUpStatus::Open => Ok((case, f)),
        FollowUpStatus::Done => Err(AppError::conflict(
            "follow_up_already_completed",
            "This follow-up is already done.",
        )),
        FollowUpStatus::Cancelled => Err(AppError::conflict(
            "follow_up_cancelled",
            "This follow-up was cancelled.",
        )),
    }
}

fn bump(conn: &mut DbConn, id: &FollowUpId) -> QueryResult<usize> {
    diesel::update(follow_ups::table.find(id))
        .set((
            follow_ups::updated_at.eq(db::now()),
            follow_ups::version.eq(follow_ups::version + 1),
        ))
        .execute(conn)
}

/// A change to an open follow-up, as the pages and the API ask for it.
#[derive(Debug, Clone)]
pub enum Change {
    /// Done, by the contact that did it where there was one.
    Complete(Option<ContactId>),
    /// Not going ahead, and why.
    Cancel(LimitedText),
    Reassign(UserId),
    Reschedule(NaiveDateTime),
}

/// Applies `change` to an open follow-up of a case the caller may see: the one entry point the
/// pages and the API share. Answers the follow-up as it now stands.
pub fn change(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &FollowUpId,
    change: &Change,
) -> Result<FollowUp, AppError> {
    match change {
        Change::Complete(contact) => complete(conn, user, case_id, id, contact.as_ref()),
        Change::Cancel(reason) => cancel(conn, user, case_id, id, reason),
        Change::Reassign(assignee) => reassign(conn, user, case_id, id, assignee),
        Change::Reschedule(due_at) => reschedule(conn, user, case_id, id, *due_at),
    }
}

/// What a change to a follow-up leaves behind besides the row itself: the event on its record
/// (with its detail), the notice to the family where they must be told, and the audit action.
struct Trail<'a> {
    event: &'a str,
    detail: &'a str,
    family_notice: Option<String>,
    action: &'static str,
}

/// A notice of an appointment arranged or changed, linking to it on the family's page.
fn appointment_news<'a>(cause: &'a str, user: &'a StaffUser, id: &FollowUpId) -> News<'a> {
    News {
        kind: Kind::FamilyAppointment,
        cause,
        by: &user.id,
        path: format!("/family/appointments#appointment-{id}"),
    }
}

/// Ends every change to an open follow-up in the same order: bumps its version, writes the
/// event, tells the family where the trail says so, writes the audit event, and answers the
/// follow-up as it now stands.
fn finish_change(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &FollowUpId,
    trail: Trail<'_>,
) -> Result<FollowUp, AppError> {
    bump(conn, id)?;
    event(conn, id, case_id, trail.event, trail.detail, &user.id)?;
    if let Some(cause) = &trail.family_notice {
        let group = find(conn, case_id, id)?.and_then(|f| f.family_group_id);
        let groups: Vec<FamilyGroupId> = group.into_iter().collect();
        notify_groups(conn, case_id, &groups, &appointment_news(cause, user, id))?;
    }
    audit::event(&Actor::Staff(user.id.clone()), trail.action)
        .record("follow_up", id)
        .case(case_id)
        .write(conn)?;
    find(conn, case_id, id)?.ok_or(AppError::NotFound)
}

/// Gives an open follow-up to someone else who works on the case.
pub fn reassign(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &FollowUpId,
    assignee: &UserId,
) -> Result<FollowUp, AppError> {
    db::write(conn, |conn| {
        let (case, f) = open_one(conn, user, case_id, id)?;
        require_assignable(conn, &case, assignee)?;
        diesel::update(follow_ups::table.find(id))
            .set(follow_ups::assignee_id.eq(assignee))
            .execute(conn)?;
        let detail = format!("{} -> {}", f.assignee_id, assignee);
        let trail = Trail {
            event: "reassigned",
            detail: &detail,
            family_notice: None,
            action: "follow_up.reassign",
        };
        finish_change(conn, user, case_id, id, trail)
    })
}

/// Moves an open follow-up to a new time; for an appointment the family is told.
pub fn reschedule(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &FollowUpId,
    due_at: NaiveDateTime,
) -> Result<FollowUp, AppError> {
    db::write(conn, |conn| {
        let (_, f) = open_one(conn, user, case_id, id)?;
        diesel::update(follow_ups::table.find(id))
            .set((
                follow_ups::due_at.eq(due_at),
                follow_ups::reminder_at.eq(Some(due_at - Duration::hours(REMINDER_WINDOW_HOURS))),
                follow_ups::escalation_at
                    .eq(Some(due_at + Duration::hours(ESCALATION_DELAY_HOURS))),
            ))
            .execute(conn)?;
        let detail = format!("{} -> {}", f.due_at, due_at);
        let trail = Trail {
            event: "rescheduled",
            detail: &detail,
            family_notice: f
                .is_appointment
                .then(|| format!("appointment:{id}:{due_at}")),
            action: "follow_up.reschedule",
        };
        finish_change(conn, user, case_id, id, trail)
    })
}

/// Marks an open follow-up done, optionally naming the contact record that did it.
pub fn complete(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &FollowUpId,
    contact: Option<&ContactId>,
) -> Result<FollowUp, AppError> {
    db::write(conn, |conn| {
        open_one(conn, user, case_id, id)?;
        if let Some(contact) = contact {
            let n: i64 = contacts::table
                .filter(contacts::id.eq(contact))
                .filter(contacts::case_id.eq(case_id))
                .count()
                .get_result(conn)?;
            if n == 0 {
                return Err(AppError::invalid(
                    "contact_id",
                    "Choose a contact record on this case.",
                ));
            }
        }
        let now = db::now();
        diesel::update(follow_ups::table.find(id))
            .set((
                follow_ups::status.eq(FollowUpStatus::Done),
                follow_ups::completed_at.eq(Some(now)),
                follow_ups::completed_by.eq(Some(&user.id)),
                follow_ups::completed_contact_id.eq(contact),
            ))
            .execute(conn)?;
        let trail = Trail {
            event: "completed",
            detail: contact.map(ContactId::as_str).unwrap_or(""),
            family_notice: None,
            action: "follow_up.complete",
        };
        finish_change(conn, user, case_id, id, trail)
    })
}

/// Cancels an open follow-up with the reason on the record.
pub fn cancel(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &FollowUpId,
    reason: &LimitedText,
) -> Result<FollowUp, AppError> {
    db::write(conn, |conn| {
        let (_, f) = open_one(conn, user, case_id, id)?;
        diesel::update(follow_ups::table.find(id))
            .set((
                follow_ups::status.eq(FollowUpStatus::Cancelled),
                follow_ups::cancelled_at.eq(Some(db::now())),
                follow_ups::cancelled_by.eq(Some(&user.id)),
                follow_ups::cancel_reason.eq(Some(reason.as_str())),
            ))
            .execute(conn)?;
        let trail = Trail {
            event: "cancelled",
            detail: reason.as_str(),
            family_notice: f
                .is_appointment
                .then(|| format!("appointment-cancelled:{id}")),
            action: "follow_up.cancel",
        };
        finish_change(conn, user, case_id, id, trail)
    })
}
