//! Restricted relatives. The case's SIO or a manager may restrict a relative (a person of
//! interest to the investigation, say), with a reason only they can read. Restriction ends
//! the relative's sessions and sign-in links at once, cancels the notices queued for them,
//! takes them out of what the rest of the family sees (their past messages stay on the record
//! for staff) and blocks inviting them or sharing anything with them. Officers still see that
//! the relative is restricted and who restricted them, and can still record contacts with
//! them. Lifting a restriction needs a reason too; every restriction and lifting is kept in
//! `relative_restrictions`, which the database refuses to change.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::relatives::{self, Relative};
use crate::db::schema::{notifications, relative_restrictions, relatives as relatives_t, users};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, RelativeId, UserId, new_row_id};
use crate::error::AppError;
use crate::family::{links, session};
use crate::notify::Status;

/// One restriction or lifting, as the SIO and managers read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RestrictionEvent {
    /// True for a restriction, false for its lifting.
    pub restricted: bool,
    pub reason: String,
    pub recorded_by: UserId,
    pub recorded_by_name: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

/// Refuses to share with or invite a restricted relative: 409.
pub fn require_unrestricted(relative: &Relative) -> Result<(), AppError> {
    if relative.restricted_at.is_some() {
        return Err(AppError::conflict(
            "relative_restricted",
            "This relative is restricted: nothing can be shared with them or sent to them. Ask the case's SIO or a manager.",
        ));
    }
    Ok(())
}

/// Whether the case has a restricted relative now (every form that shares or sends something
/// to the family warns then).
pub fn case_has_restricted(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<bool> {
    let n: i64 = relatives_t::table
        .filter(relatives_t::case_id.eq(case_id))
        .filter(relatives_t::restricted_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether the relative has ever been restricted (their page then shows the history to the
/// SIO and managers).
pub fn ever_restricted(conn: &mut DbConn, id: &RelativeId) -> QueryResult<bool> {
    let n: i64 = relative_restrictions::table
        .filter(relative_restrictions::relative_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

fn record(
    conn: &mut DbConn,
    user: &StaffUser,
    relative: &Relative,
    restricted: bool,
    reason: &LimitedText,
) -> QueryResult<()> {
    diesel::insert_into(relative_restrictions::table)
        .values((
            relative_restrictions::id.eq(new_row_id()),
            relative_restrictions::relative_id.eq(&relative.id),
            relative_restrictions::case_id.eq(&relative.case_id),
            relative_restrictions::restricted.eq(restricted),
            relative_restrictions::reason.eq(reason.as_str()),
            relative_restrictions::recorded_by.eq(&user.id),
            relative_restrictions::recorded_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Sets or clears the restriction on the relative's row and keeps the change as a version.
fn set(
    conn: &mut DbConn,
    user: &StaffUser,
    relative: &Relative,
    restricted: bool,
    action: &'static str,
) -> Result<Relative, AppError> {
    let now = db::now();
    diesel::update(relatives_t::table.find(&relative.id))
        .set((
            relatives_t::restricted_at.eq(restricted.then_some(now)),
            relatives_t::restricted_by.eq(restricted.then_some(&user.id)),
            relatives_t::version.eq(relatives_t::version + 1),
            relatives_t::updated_at.eq(now),
        ))
        .execute(conn)?;
    let saved =
        relatives::find(conn, &relative.case_id, &relative.id)?.ok_or(AppError::NotFound)?;
    relatives::keep_version(conn, &saved, Some(&user.id))?;
    // The reason is not written to the audit log, which more people read than may know it.
    audit::event(&Actor::Staff(user.id.clone()), action)
        .record("relative", &relative.id)
        .case(&relative.case_id)
        .write(conn)?;
    Ok(saved)
}

/// The relative of a case the caller may restrict: they must see the case and be its SIO or
/// a manager of its team.
fn restrictable(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
) -> Result<Relative, AppError> {
    let case = access::require_visible(conn, user, case_id)?;
    access::require_sio_or_manager(conn, user, &case)?;
    relatives::find(conn, case_id, id)?.ok_or(AppError::NotFound)
}

/// What the SIO or a manager does to a relative's restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Restricts them: their sessions and links end, their queued notices are cancelled.
    Restrict,
    /// Lifts the restriction: their access is as it was before (they sign in again).
    Lift,
}

/// Restricts a relative or lifts their restriction, with the reason kept for the SIO and
/// managers; restricting twice, or lifting what is not there, is a 409.
pub fn change(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
    reason: &LimitedText,
    change: Change,
) -> Result<Relative, AppError> {
    db::write(conn, |conn| {
        let relative = restrictable(conn, user, case_id, id)?;
        let restrict = change == Change::Restrict;
        match (restrict, relative.restricted_at.is_some()) {
            (true, true) => {
                return Err(AppError::conflict(
                    "already_restricted",
                    "This relative is already restricted.",
                ));
            }
            (false, false) => {
                return Err(AppError::conflict(
                    "not_restricted",
                    "This relative is not restricted.",
                ));
            }
            _ => {}
        }
        record(conn, user, &relative, restrict, reason)?;
        if restrict {
            session::end_all(conn, id, "relative restricted")?;
            links::retire_all(conn, id)?;
            diesel::update(
                notifications::table
                    .filter(notifications::recipient_relative_id.eq(id))
                    .filter(notifications::status.eq(Status::Pending)),
            )
            .set((
                notifications::status.eq(Status::Cancelled),
                notifications::last_error.eq("recipient restricted"),
            ))
            .execute(conn)?;
        }
        let action = if restrict {
            "relative.restrict"
        } else {
            "relative.lift_restriction"
        };
        set(conn, user, &relative, restrict, action)
    })
}

/// Every restriction and lifting of a relative, newest first, with the reasons: for the SIO
/// and managers only. The read is audited.
pub fn history(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
) -> Result<Vec<RestrictionEvent>, AppError> {
    restrictable(conn, user, case_id, id)?;
    audit::event(&Actor::Staff(user.id.clone()), "relative.restriction_read")
        .record("relative", id)
        .case(case_id)
        .write(conn)?;
    let rows: Vec<(bool, String, UserId, String, NaiveDateTime)> = relative_restrictions::table
        .inner_join(users::table.on(users::id.eq(relative_restrictions::recorded_by)))
        .filter(relative_restrictions::relative_id.eq(id))
        .select((
            relative_restrictions::restricted,
            relative_restrictions::reason,
            relative_restrictions::recorded_by,
            users::display_name,
            relative_restrictions::recorded_at,
        ))
        .order((
            relative_restrictions::recorded_at.desc(),
            relative_restrictions::id.desc(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(restricted, reason, recorded_by, recorded_by_name, recorded_at)| RestrictionEvent {
                restricted,
                reason,
                recorded_by,
                recorded_by_name,
                recorded_at,
            },
        )
        .collect())
}
