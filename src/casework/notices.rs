//! Telling a case's family there is news: one notice per relative who can read the portal,
//! once per cause. Written in the transaction of the record that caused it.

use diesel::prelude::*;

use crate::casework::types::AccessState;
use crate::db::DbConn;
use crate::db::schema::relatives;
use crate::domain::{CaseId, RelativeId};
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

/// The relatives of a case who can read the portal (invited or active, not suspended).
pub fn reachable_relatives(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<RelativeId>> {
    relatives::table
        .filter(relatives::case_id.eq(case_id))
        .filter(relatives::access_state.eq_any([AccessState::Invited, AccessState::Active]))
        .select(relatives::id)
        .load(conn)
}

/// Tells each relative who can read the portal that there is news, once per `cause`.
pub fn notify_family(
    conn: &mut DbConn,
    case_id: &CaseId,
    kind: Kind,
    cause: &str,
) -> QueryResult<()> {
    for relative in reachable_relatives(conn, case_id)? {
        outbox::enqueue(
            conn,
            &Notice {
                kind,
                recipient: Recipient::Relative(relative),
                case_id: Some(case_id.clone()),
                cause: cause.to_owned(),
                payload: serde_json::json!({}),
            },
        )?;
    }
    Ok(())
}
