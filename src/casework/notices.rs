//! Telling a case's family, or some of its groups, there is news: one notice per relative who
//! can read the portal (and is not restricted), once per cause. Written in the transaction of
//! the record that caused it.

use diesel::prelude::*;

use crate::casework::types::AccessState;
use crate::db::schema::relatives;
use crate::db::{DbConn, MultiBackend};
use crate::domain::{CaseId, FamilyGroupId, RelativeId};
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

/// The relatives of a case who can read the portal: invited or active (not suspended), and
/// not restricted.
fn reachable(case_id: &CaseId) -> relatives::BoxedQuery<'_, MultiBackend> {
    relatives::table
        .filter(relatives::case_id.eq(case_id))
        .filter(relatives::access_state.eq_any([AccessState::Invited, AccessState::Active]))
        .filter(relatives::restricted_at.is_null())
        .into_boxed()
}

/// Tells each relative who can read the portal that there is news, once per `cause`.
pub fn notify_family(
    conn: &mut DbConn,
    case_id: &CaseId,
    kind: Kind,
    cause: &str,
) -> QueryResult<()> {
    let to_tell = reachable(case_id).select(relatives::id).load(conn)?;
    notify(conn, case_id, to_tell, kind, cause)
}

/// Tells the relatives of these family groups who can read the portal that there is news.
pub fn notify_groups(
    conn: &mut DbConn,
    case_id: &CaseId,
    groups: &[FamilyGroupId],
    kind: Kind,
    cause: &str,
) -> QueryResult<()> {
    let to_tell = reachable(case_id)
        .filter(relatives::family_group_id.eq_any(groups))
        .select(relatives::id)
        .load(conn)?;
    notify(conn, case_id, to_tell, kind, cause)
}

fn notify(
    conn: &mut DbConn,
    case_id: &CaseId,
    relatives: Vec<RelativeId>,
    kind: Kind,
    cause: &str,
) -> QueryResult<()> {
    for relative in relatives {
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

/// Tells the family groups of the relatives a contact was with (not restricted ones) that
/// there is news; every group when it names nobody.
pub fn notify_groups_of(
    conn: &mut DbConn,
    case_id: &CaseId,
    with: &[RelativeId],
    kind: Kind,
    cause: &str,
) -> QueryResult<()> {
    if with.is_empty() {
        return notify_family(conn, case_id, kind, cause);
    }
    // One query: the reachable relatives of the groups of those it was with.
    let with_them = diesel::alias!(relatives as with_them);
    let groups = with_them
        .filter(with_them.field(relatives::id).eq_any(with))
        .filter(with_them.field(relatives::case_id).eq(case_id))
        .filter(with_them.field(relatives::restricted_at).is_null())
        .select(with_them.field(relatives::family_group_id));
    let to_tell = reachable(case_id)
        .filter(relatives::family_group_id.eq_any(groups))
        .select(relatives::id)
        .load(conn)?;
    notify(conn, case_id, to_tell, kind, cause)
}
