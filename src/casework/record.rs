//! The case record itself, below every use case: the row, finding it, the rule that a closed
//! case takes no new records, and which assignments are in force. Use cases
//! (`cases`, `updates`, `assignments`, ...) build on this and never on each other in a circle.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::casework::types::{CaseStatus, CaseType, Milestone};
use crate::db::DbConn;
use crate::db::schema::{assignments, cases};
use crate::domain::{CaseId, TeamId, UserId};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = cases)]
pub struct Case {
    pub id: CaseId,
    pub reference: String,
    pub team_id: TeamId,
    pub deceased_name: String,
    pub date_of_death: NaiveDate,
    /// Staff only: never on a family page, API answer or e-mail.
    pub circumstances: String,
    pub status: CaseStatus,
    pub case_type: CaseType,
    /// The furthest of the type's milestones reached (`milestones`).
    pub milestone: Milestone,
    pub needs_language: Option<String>,
    pub needs_interpreter: bool,
    pub needs_accessibility: Option<String>,
    pub needs_faith_culture: Option<String>,
    pub needs_other: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub opened_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub closed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub first_contact_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub last_contact_at: Option<NaiveDateTime>,
    pub created_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

pub fn find(conn: &mut DbConn, id: &CaseId) -> QueryResult<Option<Case>> {
    cases::table
        .find(id)
        .select(Case::as_select())
        .first(conn)
        .optional()
}

/// Refuses new records on a closed case.
pub fn require_open(case: &Case) -> Result<(), AppError> {
    if case.status == CaseStatus::Closed {
        return Err(AppError::conflict(
            "case_closed",
            "This case is closed. A manager can reopen it if liaison needs to start again.",
        ));
    }
    Ok(())
}

/// An assignment in force at `now`: begun, and not ended. Every "who holds this case now"
/// reads through this.
#[diesel::dsl::auto_type]
pub fn in_force(now: NaiveDateTime) -> _ {
    assignments::starts_at.le(now).and(
        assignments::ends_at
            .is_null()
            .or(assignments::ends_at.gt(now)),
    )
}
