//! Cases as lists and summaries, scoped by who is asking.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::session::StaffUser;
use crate::db::schema::{assignments, cases, team_members};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, Role};

/// One line of a case list.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct CaseSummary {
    pub id: CaseId,
    pub reference: String,
    pub deceased_name: String,
    pub status: String,
    pub stage: String,
    pub opened_at: NaiveDateTime,
}

/// The ids of cases on which `$user` holds an assignment at `$now`, as a subquery.
macro_rules! assigned_now {
    ($user:expr, $now:expr) => {
        assignments::table
            .filter(assignments::user_id.eq($user.id.clone()))
            .filter(assignments::starts_at.le($now))
            .filter(
                assignments::ends_at
                    .is_null()
                    .or(assignments::ends_at.gt($now)),
            )
            .select(assignments::case_id)
    };
}

/// The cases on a staff member's home page: an officer's active assignments; for a manager,
/// every case of their teams as well. Administrators see none.
pub fn my_cases(conn: &mut DbConn, user: &StaffUser) -> QueryResult<Vec<CaseSummary>> {
    let now = db::now();
    let columns = (
        cases::id,
        cases::reference,
        cases::deceased_name,
        cases::status,
        cases::stage,
        cases::opened_at,
    );
    match user.role {
        Role::Admin => Ok(Vec::new()),
        Role::Officer => cases::table
            .filter(cases::id.eq_any(assigned_now!(user, now)))
            .select(columns)
            .order((cases::status.desc(), cases::opened_at.desc()))
            .load(conn),
        Role::Manager => {
            let teams = team_members::table
                .filter(team_members::user_id.eq(user.id.clone()))
                .select(team_members::team_id);
            cases::table
                .filter(
                    cases::team_id
                        .eq_any(teams)
                        .or(cases::id.eq_any(assigned_now!(user, now))),
                )
                .select(columns)
                .order((cases::status.desc(), cases::opened_at.desc()))
                .load(conn)
        }
    }
}
