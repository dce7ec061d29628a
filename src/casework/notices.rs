//! Telling a case's family, or some of its groups, there is news: one notice per relative who
//! can read the portal (and is not restricted), once per cause. Written in the transaction of
//! the record that caused it. Each notice says who acted (so the message can name them) and
//! which family page it is about (so the portal notice links to it).

use diesel::prelude::*;

use crate::casework::types::AccessState;
use crate::db::schema::relatives;
use crate::db::{DbConn, MultiBackend};
use crate::domain::{CaseId, FamilyGroupId, RelativeId, UserId};
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

/// What the family is told of: the kind of news, the event it comes from (told once per
/// cause), the staff member who acted and the family page it is about.
pub struct News<'a> {
    pub kind: Kind,
    pub cause: &'a str,
    pub by: &'a UserId,
    /// A path under `/family`, with an anchor where the page has one for the item.
    pub path: String,
}

impl News<'_> {
    fn payload(&self) -> serde_json::Value {
        serde_json::json!({ "by": self.by, "path": self.path })
    }
}

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
pub fn notify_family(conn: &mut DbConn, case_id: &CaseId, news: &News<'_>) -> QueryResult<()> {
    let to_tell = reachable(case_id).select(relatives::id).load(conn)?;
    notify(conn, case_id, to_tell, news)
}

/// Tells the relatives of these family groups who can read the portal that there is news.
pub fn notify_groups(
    conn: &mut DbConn,
    case_id: &CaseId,
    groups: &[FamilyGroupId],
    news: &News<'_>,
) -> QueryResult<()> {
    let to_tell = reachable(case_id)
        .filter(relatives::family_group_id.eq_any(groups))
        .select(relatives::id)
        .load(conn)?;
    notify(conn, case_id, to_tell, news)
}

fn notify(
    conn: &mut DbConn,
    case_id: &CaseId,
    relatives: Vec<RelativeId>,
    news: &News<'_>,
) -> QueryResult<()> {
    let payload = news.payload();
    for relative in relatives {
        outbox::enqueue(
            conn,
            &Notice {
                kind: news.kind,
                recipient: Recipient::Relative(relative),
                case_id: Some(case_id.clone()),
                cause: news.cause.to_owned(),
                payload: payload.clone(),
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
    news: &News<'_>,
) -> QueryResult<()> {
    if with.is_empty() {
        return notify_family(conn, case_id, news);
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
    notify(conn, case_id, to_tell, news)
}
