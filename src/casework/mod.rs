//! Casework use cases: cases, named contacts, relatives, the contact log, follow-ups,
//! updates, operations and property. Every function here is scoped by the caller: a case the
//! caller may not see is indistinguishable from one that does not exist. Each write checks
//! the rules, writes its records, audit event and notifications in one transaction.

pub mod access;
pub mod agencies;
pub mod answers;
pub mod assignments;
pub mod cases;
pub mod contacts;
pub mod entitlements;
pub mod export;
pub mod follow_ups;
pub mod groups;
pub mod input;
pub mod limits;
pub mod milestones;
pub mod notices;
pub mod operations;
pub mod property;
pub mod record;
pub mod relatives;
pub mod time;
pub mod timeline;
pub mod types;
pub mod updates;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::db::DbConn;
use crate::domain::CaseId;
use crate::error::AppError;

/// Opens a case for reading: the caller must be able to see it, and the read is audited
/// (`what` names the part read: "case", "contacts", "export", ...).
pub fn read(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    what: &str,
) -> Result<cases::Case, AppError> {
    let case = access::require_visible(conn, user, case_id)?;
    audit::event(&Actor::Staff(user.id.clone()), "case.view")
        .record("case", case_id)
        .case(case_id)
        .detail(what)
        .write(conn)?;
    Ok(case)
}
