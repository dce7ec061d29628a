//! Staff actions on a relative's portal access: invite (or send a fresh invitation),
//! suspend with a reason (every session ends at once, no notice reaches them) and reinstate.

use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::record::require_open;
use crate::casework::relatives::{self, Relative};
use crate::casework::types::AccessState;
use crate::db::schema::relatives as relatives_t;
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, RelativeId, UserId, new_row_id};
use crate::error::AppError;
use crate::family::{links, session};
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

/// Ends a change to a relative's access: writes the audit event `action` and answers the
/// relative as they now stand.
fn audited(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
    action: &'static str,
) -> Result<Relative, AppError> {
    audit::event(&Actor::Staff(user.id.clone()), action)
        .record("relative", id)
        .case(case_id)
        .write(conn)?;
    relatives::find(conn, case_id, id)?.ok_or(AppError::NotFound)
}

/// Changes the access of a relative on a case the caller can see, in one transaction: `change`
/// checks the relative as they stand and writes the change, then `audited` ends it.
fn change_access(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
    action: &'static str,
    change: impl FnOnce(&mut DbConn, Relative) -> Result<(), AppError> + Send,
) -> Result<Relative, AppError> {
    db::write(conn, |conn| {
        access::require_visible(conn, user, case_id)?;
        let relative = relatives::find(conn, case_id, id)?.ok_or(AppError::NotFound)?;
        change(conn, relative)?;
        audited(conn, user, case_id, id, action)
    })
}

/// Why a relative's access was suspended, and by whom.
struct Suspension<'a> {
    reason: &'a str,
    by: &'a UserId,
}

/// Sets a relative's access `state`, with the suspension on the record while suspended and
/// cleared otherwise.
fn set_access(
    conn: &mut DbConn,
    id: &RelativeId,
    state: AccessState,
    suspension: Option<Suspension<'_>>,
) -> QueryResult<usize> {
    let now = db::now();
    diesel::update(relatives_t::table.find(id))
        .set((
            relatives_t::access_state.eq(state),
            relatives_t::suspended_reason.eq(suspension.as_ref().map(|s| s.reason)),
            relatives_t::suspended_at.eq(suspension.as_ref().map(|_| now)),
            relatives_t::suspended_by.eq(suspension.as_ref().map(|s| s.by)),
            relatives_t::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Sends the relative an invitation with a single-use link (72 hours).
pub fn invite(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
) -> Result<Relative, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let relative = relatives::find(conn, case_id, id)?.ok_or(AppError::NotFound)?;
        crate::family::restrictions::require_unrestricted(&relative)?;
        if relative.access_state == AccessState::Suspended {
            return Err(AppError::conflict(
                "relative_suspended",
                "This relative's access is suspended. Reinstate it before sending an invitation.",
            ));
        }
        if relative.email.is_none() {
            return Err(AppError::invalid(
                "email",
                "Add an email address for this relative before inviting them: the invitation is sent by email.",
            ));
        }
        if relative.access_state == AccessState::NotInvited {
            diesel::update(relatives_t::table.find(id))
                .set((
                    relatives_t::access_state.eq(AccessState::Invited),
                    relatives_t::updated_at.eq(db::now()),
                ))
                .execute(conn)?;
        }
        outbox::enqueue(
            conn,
            &Notice {
                kind: Kind::FamilyInvitation,
                recipient: Recipient::Relative(id.clone()),
                case_id: Some(case_id.clone()),
                cause: format!("invitation:{}", new_row_id()),
                payload: serde_json::json!({ "hours": links::INVITATION_HOURS, "by": user.id }),
            },
        )?;
        audited(conn, user, case_id, id, "relative.invite")
    })
}

/// Suspends a relative's access: sessions end now, outstanding links are retired, and the
/// worker sends them nothing while suspended.
pub fn suspend(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
    reason: &LimitedText,
) -> Result<Relative, AppError> {
    let suspend = |conn: &mut DbConn, relative: Relative| -> Result<(), AppError> {
        if relative.access_state == AccessState::Suspended {
            return Err(AppError::conflict(
                "already_suspended",
                "This relative's access is already suspended.",
            ));
        }
        let suspension = Suspension {
            reason: reason.as_str(),
            by: &user.id,
        };
        set_access(conn, id, AccessState::Suspended, Some(suspension))?;
        session::end_all(conn, id, "portal access suspended")?;
        links::retire_all(conn, id)?;
        Ok(())
    };
    change_access(conn, user, case_id, id, "relative.suspend", suspend)
}

/// Restores a suspended relative's access: active if they had signed in before, otherwise
/// invited (a fresh invitation is a separate action).
pub fn reinstate(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
) -> Result<Relative, AppError> {
    let reinstate = |conn: &mut DbConn, relative: Relative| -> Result<(), AppError> {
        if relative.access_state != AccessState::Suspended {
            return Err(AppError::conflict(
                "not_suspended",
                "This relative's access is not suspended.",
            ));
        }
        let state = if relative.last_seen_at.is_some() {
            AccessState::Active
        } else {
            AccessState::Invited
        };
        set_access(conn, id, state, None)?;
        Ok(())
    };
    change_access(conn, user, case_id, id, "relative.reinstate", reinstate)
}
