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
use crate::domain::{CaseId, LimitedText, RelativeId, new_row_id};
use crate::error::AppError;
use crate::family::{links, session};
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

fn find(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
) -> Result<Relative, AppError> {
    access::require_visible(conn, user, case_id)?;
    relatives::find(conn, case_id, id)?.ok_or(AppError::NotFound)
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
                payload: serde_json::json!({ "hours": links::INVITATION_HOURS }),
            },
        )?;
        audit::event(&Actor::Staff(user.id.clone()), "relative.invite")
            .record("relative", id)
            .case(case_id)
            .write(conn)?;
        relatives::find(conn, case_id, id)?.ok_or(AppError::NotFound)
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
    db::write(conn, |conn| {
        let relative = find(conn, user, case_id, id)?;
        if relative.access_state == AccessState::Suspended {
            return Err(AppError::conflict(
                "already_suspended",
                "This relative's access is already suspended.",
            ));
        }
        let now = db::now();
        diesel::update(relatives_t::table.find(id))
            .set((
                relatives_t::access_state.eq(AccessState::Suspended),
                relatives_t::suspended_reason.eq(reason.as_str()),
                relatives_t::suspended_at.eq(now),
                relatives_t::suspended_by.eq(&user.id),
                relatives_t::updated_at.eq(now),
            ))
            .execute(conn)?;
        session::end_all(conn, id, "portal access suspended")?;
        links::retire_all(conn, id)?;
        audit::event(&Actor::Staff(user.id.clone()), "relative.suspend")
            .record("relative", id)
            .case(case_id)
            .write(conn)?;
        relatives::find(conn, case_id, id)?.ok_or(AppError::NotFound)
    })
}

/// Restores a suspended relative's access: active if they had signed in before, otherwise
/// invited (a fresh invitation is a separate action).
pub fn reinstate(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
) -> Result<Relative, AppError> {
    db::write(conn, |conn| {
        let relative = find(conn, user, case_id, id)?;
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
        diesel::update(relatives_t::table.find(id))
            .set((
                relatives_t::access_state.eq(state),
                relatives_t::suspended_reason.eq(None::<String>),
                relatives_t::suspended_at.eq(None::<chrono::NaiveDateTime>),
                relatives_t::suspended_by.eq(None::<String>),
                relatives_t::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        audit::event(&Actor::Staff(user.id.clone()), "relative.reinstate")
            .record("relative", id)
            .case(case_id)
            .write(conn)?;
        relatives::find(conn, case_id, id)?.ok_or(AppError::NotFound)
    })
}
