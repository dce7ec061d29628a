//! Which cases a staff member may see, and what they may do on them. Officers see cases on
//! which they hold an active assignment; managers see every case of their teams (and any
//! they are assigned to); administrators see none. A case the caller may not see is answered
//! exactly as one that does not exist (404), and the refusal is audited.

use diesel::prelude::*;

use crate::audit::{self, Actor, Outcome};
use crate::auth::session::StaffUser;
use crate::casework::record::{Case, in_force};
use crate::db::schema::{assignments, cases, team_members};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, Role, TeamId, UserId};
use crate::error::AppError;

/// True when `user` holds an assignment on `case_id` now.
pub fn is_assigned(conn: &mut DbConn, user: &UserId, case_id: &CaseId) -> QueryResult<bool> {
    let now = db::now();
    let n: i64 = assignments::table
        .filter(assignments::case_id.eq(case_id))
        .filter(assignments::user_id.eq(user))
        .filter(in_force(now))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The teams `user` belongs to.
pub fn teams_of(conn: &mut DbConn, user: &UserId) -> QueryResult<Vec<TeamId>> {
    team_members::table
        .filter(team_members::user_id.eq(user))
        .select(team_members::team_id)
        .load(conn)
}

/// True when `user` manages the team that owns `case`.
pub fn manages(conn: &mut DbConn, user: &StaffUser, case: &Case) -> QueryResult<bool> {
    if user.role != Role::Manager {
        return Ok(false);
    }
    Ok(teams_of(conn, &user.id)?.contains(&case.team_id))
}

/// Every case `user` may see, by the rule of `find_visible`: for lists that must not read
/// the whole database to find them.
pub fn visible_case_ids(conn: &mut DbConn, user: &StaffUser) -> QueryResult<Vec<CaseId>> {
    let now = db::now();
    let mut ids: Vec<CaseId> = match user.role {
        Role::Admin => return Ok(Vec::new()),
        Role::Officer => Vec::new(),
        Role::Manager => cases::table
            .filter(cases::team_id.eq_any(teams_of(conn, &user.id)?))
            .select(cases::id)
            .load(conn)?,
    };
    ids.extend(
        assignments::table
            .filter(assignments::user_id.eq(&user.id))
            .filter(in_force(now))
            .select(assignments::case_id)
            .load::<CaseId>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The case, if `user` may see it.
pub fn find_visible(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
) -> QueryResult<Option<Case>> {
    let Some(case) = cases::table
        .find(case_id)
        .select(Case::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let visible = match user.role {
        Role::Admin => false,
        Role::Officer => is_assigned(conn, &user.id, case_id)?,
        Role::Manager => manages(conn, user, &case)? || is_assigned(conn, &user.id, case_id)?,
    };
    Ok(visible.then_some(case))
}

/// The case if `user` may see it; otherwise 404, with the refusal audited. Every staff read
/// and write of a case starts here.
pub fn require_visible(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
) -> Result<Case, AppError> {
    match find_visible(conn, user, case_id)? {
        Some(case) => Ok(case),
        None => {
            audit::event(&Actor::Staff(user.id.clone()), "access.denied")
                .outcome(Outcome::Denied)
                .record("case", case_id)
                .case(case_id)
                .detail("case not visible to this account")
                .write(conn)?;
            Err(AppError::NotFound)
        }
    }
}

/// For manager-only actions on a case the caller can see: 403 unless they manage its team.
pub fn require_manager(conn: &mut DbConn, user: &StaffUser, case: &Case) -> Result<(), AppError> {
    if manages(conn, user, case)? {
        return Ok(());
    }
    audit::event(&Actor::Staff(user.id.clone()), "access.denied")
        .outcome(Outcome::Denied)
        .record("case", &case.id)
        .case(&case.id)
        .detail("needs the manager of the case's team")
        .write(conn)?;
    Err(AppError::Forbidden {
        code: "manager_only",
        message: "Only a manager of this case's team can do that.",
    })
}

/// True when `user` is the case's senior investigating officer now.
pub fn is_sio(conn: &mut DbConn, user: &UserId, case_id: &CaseId) -> QueryResult<bool> {
    let n: i64 = assignments::table
        .filter(assignments::case_id.eq(case_id))
        .filter(assignments::user_id.eq(user))
        .filter(assignments::role.eq(crate::casework::types::AssignmentRole::Sio))
        .filter(in_force(db::now()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether `user` is the case's SIO or a manager of its team: who may restrict a relative
/// and read why.
pub fn sio_or_manager(conn: &mut DbConn, user: &StaffUser, case: &Case) -> QueryResult<bool> {
    Ok(manages(conn, user, case)? || is_sio(conn, &user.id, &case.id)?)
}

/// For actions only the case's SIO or a manager may take: 403 otherwise, audited.
pub fn require_sio_or_manager(
    conn: &mut DbConn,
    user: &StaffUser,
    case: &Case,
) -> Result<(), AppError> {
    if sio_or_manager(conn, user, case)? {
        return Ok(());
    }
    audit::event(&Actor::Staff(user.id.clone()), "access.denied")
        .outcome(Outcome::Denied)
        .record("case", &case.id)
        .case(&case.id)
        .detail("needs the case's SIO or a manager of its team")
        .write(conn)?;
    Err(AppError::Forbidden {
        code: "sio_or_manager_only",
        message: "Only the case's senior investigating officer or a manager of its team can do that.",
    })
}
