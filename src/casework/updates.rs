//! Updates on the case timeline ("post-mortem examination completed"), shared with the family
//! or kept to staff, with the milestone reached where there is one (`milestones`). A shared update goes to every
//! family group of the case unless staff choose groups. Sharing it tells each relative of
//! those groups with portal access that there is news (never what it is).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::groups;
use crate::casework::milestones::{self, Reached};
use crate::casework::notices::{News, notify_family, notify_groups};
use crate::casework::operations;
use crate::casework::record::{self, Case, require_open};
use crate::casework::types::{CaseStatus, Milestone};
use crate::db::schema::{case_updates, update_groups};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, FamilyGroupId, LimitedText, UpdateId, UserId};
use crate::error::AppError;
use crate::notify::Kind;

/// An update as staff and the API see it: with the family groups it went to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Update {
    #[serde(flatten)]
    pub record: UpdateRecord,
    /// The family groups a shared update went to; empty when it went to every group.
    pub family_group_ids: Vec<FamilyGroupId>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = case_updates)]
pub struct UpdateRecord {
    pub id: UpdateId,
    pub case_id: CaseId,
    pub title: String,
    pub body: String,
    pub shared_with_family: bool,
    pub key_event: bool,
    pub link_batch_id: Option<String>,
    pub posted_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub posted_at: NaiveDateTime,
    /// The milestone this update recorded as reached.
    pub milestone: Option<Milestone>,
}

#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub title: LimitedText,
    pub body: LimitedText,
    pub shared_with_family: bool,
    /// Set when the update records a milestone reached.
    pub milestone: Option<Reached>,
    pub key_event: bool,
    /// The family groups a shared update goes to; empty: every group of the case.
    pub groups: Vec<FamilyGroupId>,
}

fn insert(
    conn: &mut DbConn,
    user: &StaffUser,
    case: &Case,
    new: &NewUpdate,
    batch: Option<&str>,
) -> Result<UpdateId, AppError> {
    if !new.groups.is_empty() && !new.shared_with_family {
        return Err(AppError::invalid(
            "family_group_ids",
            "Only an update shared with the family goes to family groups.",
        ));
    }
    let reached = match &new.milestone {
        Some(r) => Some((r.milestone, milestones::check_reached(conn, case, r)?)),
        None => None,
    };
    let id = UpdateId::new();
    diesel::insert_into(case_updates::table)
        .values((
            case_updates::id.eq(&id),
            case_updates::case_id.eq(&case.id),
            case_updates::title.eq(new.title.as_str()),
            case_updates::body.eq(new.body.as_str()),
            case_updates::shared_with_family.eq(new.shared_with_family),
            case_updates::milestone.eq(reached.map(|(m, _)| m)),
            case_updates::key_event.eq(new.key_event),
            case_updates::link_batch_id.eq(batch),
            case_updates::posted_by.eq(&user.id),
            case_updates::posted_at.eq(db::now()),
        ))
        .execute(conn)?;
    if let Some((milestone, on)) = reached {
        milestones::record_reached(conn, &user.id, case, milestone, on, Some(&id))?;
    }
    for group in &new.groups {
        let group = groups::require(conn, &case.id, group, "family_group_ids")?;
        diesel::insert_into(update_groups::table)
            .values((
                update_groups::update_id.eq(&id),
                update_groups::family_group_id.eq(&group.id),
                update_groups::case_id.eq(&case.id),
            ))
            .execute(conn)?;
    }
    let cause = format!("update:{id}");
    let news = News {
        kind: Kind::FamilyNews,
        cause: &cause,
        by: &user.id,
        path: format!("/family/timeline#update-{id}"),
    };
    match (new.shared_with_family, new.groups.is_empty()) {
        (false, _) => {}
        (true, true) => notify_family(conn, &case.id, &news)?,
        (true, false) => notify_groups(conn, &case.id, &new.groups, &news)?,
    }
    audit::event(&Actor::Staff(user.id.clone()), "update.post")
        .record("update", &id)
        .case(&case.id)
        .detail(if new.shared_with_family {
            "shared"
        } else {
            "staff only"
        })
        .write(conn)?;
    Ok(id)
}

/// Posts an update on one case.
pub fn post(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewUpdate,
) -> Result<Update, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let id = insert(conn, user, &case, new, None)?;
        find(conn, &id)?.ok_or(AppError::NotFound)
    })
}

/// Posts the same update on a case and on every other case of its operation, so that no
/// family hears news second-hand: every family group of every case (restricted relatives
/// excepted). The caller must be able to see every case of the operation; otherwise the
/// answer names those they cannot and nothing is posted.
pub fn post_to_operation(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewUpdate,
) -> Result<Vec<Update>, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let Some(operation) = operations::of_case(conn, case_id)? else {
            return Err(AppError::conflict(
                "not_in_operation",
                "This case is in no operation, so the update was not posted. Post it to this case alone.",
            ));
        };
        let batch = crate::domain::new_row_id();
        let mut targets = vec![case];
        let mut unseen = Vec::new();
        for other in operations::case_ids(conn, &operation)? {
            if other == *case_id {
                continue;
            }
            match access::find_visible(conn, user, &other)? {
                Some(found) => targets.push(found),
                None => unseen.push(
                    record::find(conn, &other)?
                        .ok_or(AppError::NotFound)?
                        .reference,
                ),
            }
        }
        if !unseen.is_empty() {
            unseen.sort();
            return Err(AppError::conflict(
                "operation_case_not_visible",
                format!(
                    "You cannot open {} of this operation, so the update was not posted anywhere. Ask a manager who can see every case of the operation to post it.",
                    unseen.join(", ")
                ),
            ));
        }
        let mut posted = Vec::new();
        for target in targets.iter().filter(|c| c.status == CaseStatus::Open) {
            // A milestone and family groups belong to one case; across the operation only the
            // words are shared, with every group of each other case.
            let own = target.id == *case_id;
            let for_target = NewUpdate {
                milestone: if own { new.milestone } else { None },
                groups: if own { new.groups.clone() } else { Vec::new() },
                ..new.clone()
            };
            let id = insert(conn, user, target, &for_target, Some(&batch))?;
            posted.push(find(conn, &id)?.ok_or(AppError::NotFound)?);
        }
        Ok(posted)
    })
}

/// A shared update written by the system on a staff member's behalf (the exit plan).
pub fn insert_shared_notice(
    conn: &mut DbConn,
    user: &StaffUser,
    case: &Case,
    title: &str,
    body: &str,
) -> Result<String, AppError> {
    let new = NewUpdate {
        title: LimitedText::parse("title", title, crate::casework::limits::UPDATE_TITLE)?,
        body: LimitedText::parse(
            "body",
            body,
            crate::casework::limits::UPDATE_BODY + 3 * crate::casework::limits::EXIT_PLAN_PART,
        )?,
        shared_with_family: true,
        milestone: None,
        key_event: true,
        groups: Vec::new(),
    };
    Ok(insert(conn, user, case, &new, None)?.to_string())
}

/// Each update with the groups it went to.
fn with_groups(conn: &mut DbConn, records: Vec<UpdateRecord>) -> QueryResult<Vec<Update>> {
    let ids: Vec<&UpdateId> = records.iter().map(|r| &r.id).collect();
    let rows: Vec<(UpdateId, FamilyGroupId)> = update_groups::table
        .filter(update_groups::update_id.eq_any(ids))
        .select((update_groups::update_id, update_groups::family_group_id))
        .order(update_groups::family_group_id.asc())
        .load(conn)?;
    Ok(records
        .into_iter()
        .map(|record| Update {
            family_group_ids: rows
                .iter()
                .filter(|(u, _)| *u == record.id)
                .map(|(_, g)| g.clone())
                .collect(),
            record,
        })
        .collect())
}

pub fn find(conn: &mut DbConn, id: &UpdateId) -> QueryResult<Option<Update>> {
    let found: Vec<UpdateRecord> = case_updates::table
        .find(id)
        .select(UpdateRecord::as_select())
        .load(conn)?;
    Ok(with_groups(conn, found)?.pop())
}

/// Every update on a case, newest first.
pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<Update>> {
    let records = case_updates::table
        .filter(case_updates::case_id.eq(case_id))
        .select(UpdateRecord::as_select())
        .order((case_updates::posted_at.desc(), case_updates::id.desc()))
        .load(conn)?;
    with_groups(conn, records)
}
