//! Updates on the case timeline ("post-mortem examination completed"), shared with the family
//! or kept to staff, with a stage change where one happened. Sharing an update tells each
//! relative with portal access that there is news (never what it is).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::notices::notify_family;
use crate::casework::record::{self, Case, require_open};
use crate::casework::types::{CaseStatus, Stage};
use crate::db::schema::case_updates;
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, UpdateId, UserId};
use crate::error::AppError;
use crate::notify::Kind;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = case_updates)]
pub struct Update {
    pub id: UpdateId,
    pub case_id: CaseId,
    pub title: String,
    pub body: String,
    pub shared_with_family: bool,
    pub stage: Option<Stage>,
    pub key_event: bool,
    pub link_batch_id: Option<String>,
    pub posted_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub posted_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub title: LimitedText,
    pub body: LimitedText,
    pub shared_with_family: bool,
    /// Set when the update records the case moving to a new stage.
    pub stage: Option<Stage>,
    pub key_event: bool,
}

fn insert(
    conn: &mut DbConn,
    user: &StaffUser,
    case: &Case,
    new: &NewUpdate,
    batch: Option<&str>,
) -> Result<UpdateId, AppError> {
    let id = UpdateId::new();
    diesel::insert_into(case_updates::table)
        .values((
            case_updates::id.eq(&id),
            case_updates::case_id.eq(&case.id),
            case_updates::title.eq(new.title.as_str()),
            case_updates::body.eq(new.body.as_str()),
            case_updates::shared_with_family.eq(new.shared_with_family),
            case_updates::stage.eq(new.stage),
            case_updates::key_event.eq(new.key_event),
            case_updates::link_batch_id.eq(batch),
            case_updates::posted_by.eq(&user.id),
            case_updates::posted_at.eq(db::now()),
        ))
        .execute(conn)?;
    if let Some(stage) = new.stage.filter(|s| *s != case.stage) {
        record::change_stage(conn, &case.id, stage, id.as_str(), &user.id)?;
    }
    if new.shared_with_family {
        notify_family(conn, &case.id, Kind::FamilyNews, &format!("update:{id}"))?;
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

/// Posts the same update on a case and every case linked to it, so that no family hears news
/// second-hand. The caller must be able to see every linked case.
pub fn post_to_linked(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewUpdate,
) -> Result<Vec<Update>, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let batch = crate::domain::new_row_id();
        let mut targets = vec![case];
        for linked in crate::casework::links::linked_ids(conn, case_id)? {
            let Some(other) = access::find_visible(conn, user, &linked)? else {
                return Err(AppError::conflict(
                    "linked_case_not_visible",
                    "One of the linked cases is not one you can work on, so the update was not posted anywhere. Ask its manager to post it.",
                ));
            };
            targets.push(other);
        }
        let mut posted = Vec::new();
        for target in targets.iter().filter(|c| c.status == CaseStatus::Open) {
            // A stage belongs to one case; across linked cases only the words are shared.
            let for_target = NewUpdate {
                stage: if target.id == *case_id {
                    new.stage
                } else {
                    None
                },
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
        stage: None,
        key_event: true,
    };
    Ok(insert(conn, user, case, &new, None)?.to_string())
}

pub fn find(conn: &mut DbConn, id: &UpdateId) -> QueryResult<Option<Update>> {
    case_updates::table
        .find(id)
        .select(Update::as_select())
        .first(conn)
        .optional()
}

/// Every update on a case, newest first.
pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<Update>> {
    case_updates::table
        .filter(case_updates::case_id.eq(case_id))
        .select(Update::as_select())
        .order((case_updates::posted_at.desc(), case_updates::id.desc()))
        .load(conn)
}
