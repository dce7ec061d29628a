//! Links between cases that may be connected (same suspect, place or circumstances). A
//! manager links two cases with a reason; each case then shows the link, and an update can
//! be posted to every linked family at once (`updates::post_to_linked`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::db::schema::{case_links, cases};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, UserId, new_row_id};
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub id: String,
    pub other_case_id: CaseId,
    pub other_reference: String,
    pub reason: String,
    pub created_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
}

/// Orders a pair so that each link is stored once.
fn pair<'a>(a: &'a CaseId, b: &'a CaseId) -> (&'a CaseId, &'a CaseId) {
    if a < b { (a, b) } else { (b, a) }
}

/// The ids of cases currently linked to `case_id`.
pub fn linked_ids(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<CaseId>> {
    let rows: Vec<(CaseId, CaseId)> = case_links::table
        .filter(case_links::removed_at.is_null())
        .filter(
            case_links::case_id_a
                .eq(case_id)
                .or(case_links::case_id_b.eq(case_id)),
        )
        .select((case_links::case_id_a, case_links::case_id_b))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, b)| if &a == case_id { b } else { a })
        .collect())
}

/// Current links of a case, with the other case's reference.
pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<Link>> {
    let rows: Vec<(String, CaseId, CaseId, String, UserId, NaiveDateTime)> = case_links::table
        .filter(case_links::removed_at.is_null())
        .filter(
            case_links::case_id_a
                .eq(case_id)
                .or(case_links::case_id_b.eq(case_id)),
        )
        .select((
            case_links::id,
            case_links::case_id_a,
            case_links::case_id_b,
            case_links::reason,
            case_links::created_by,
            case_links::created_at,
        ))
        .order(case_links::created_at.asc())
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, a, b, reason, created_by, created_at) in rows {
        let other = if &a == case_id { b } else { a };
        let other_reference: String = cases::table
            .find(&other)
            .select(cases::reference)
            .first(conn)?;
        out.push(Link {
            id,
            other_case_id: other,
            other_reference,
            reason,
            created_by,
            created_at,
        });
    }
    Ok(out)
}

/// Links two cases the manager can see, giving the reason. Managing either case's team is
/// enough; the other case must at least be visible to them.
pub fn link(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    other: &CaseId,
    reason: &LimitedText,
) -> Result<Link, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        let other_case = access::find_visible(conn, user, other)?.ok_or_else(|| {
            AppError::invalid("other_case", "Choose a case you can see to link to.")
        })?;
        if !(access::manages(conn, user, &case)? || access::manages(conn, user, &other_case)?) {
            access::require_manager(conn, user, &case)?;
        }
        if case.id == other_case.id {
            return Err(AppError::invalid(
                "other_case",
                "A case cannot be linked to itself.",
            ));
        }
        if linked_ids(conn, case_id)?.contains(other) {
            return Err(AppError::conflict(
                "already_linked",
                "These cases are already linked.",
            ));
        }
        let (a, b) = pair(case_id, other);
        let id = new_row_id();
        diesel::insert_into(case_links::table)
            .values((
                case_links::id.eq(&id),
                case_links::case_id_a.eq(a),
                case_links::case_id_b.eq(b),
                case_links::reason.eq(reason.as_str()),
                case_links::created_by.eq(&user.id),
                case_links::created_at.eq(db::now()),
            ))
            .execute(conn)?;
        for c in [case_id, other] {
            audit::event(&Actor::Staff(user.id.clone()), "case.link")
                .record("case_link", &id)
                .case(c)
                .write(conn)?;
        }
        list(conn, case_id)?
            .into_iter()
            .find(|l| l.id == id)
            .ok_or(AppError::NotFound)
    })
}

/// Removes a link (managers only), keeping it on the record with the reason.
pub fn unlink(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    link_id: &str,
    reason: &LimitedText,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        access::require_manager(conn, user, &case)?;
        let removed = diesel::update(
            case_links::table
                .filter(case_links::id.eq(link_id))
                .filter(case_links::removed_at.is_null())
                .filter(
                    case_links::case_id_a
                        .eq(case_id)
                        .or(case_links::case_id_b.eq(case_id)),
                ),
        )
        .set((
            case_links::removed_at.eq(Some(db::now())),
            case_links::removed_by.eq(Some(&user.id)),
            case_links::removal_reason.eq(Some(reason.as_str())),
        ))
        .execute(conn)?;
        if removed == 0 {
            return Err(AppError::NotFound);
        }
        audit::event(&Actor::Staff(user.id.clone()), "case.unlink")
            .record("case_link", link_id)
            .case(case_id)
            .write(conn)?;
        Ok(())
    })
}
