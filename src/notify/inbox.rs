//! The portal inbox: the portal copy of each notification, with unread counts. Reading an
//! item marks it read for that recipient only.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::db::schema::notifications;
use crate::db::{self, DbConn};
use crate::domain::{CaseId, NotificationId, RelativeId, UserId};
use crate::error::AppError;
use crate::notify::render::{self, EmailTemplates};
use crate::notify::{Channel, Kind};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: NotificationId,
    pub kind: Kind,
    pub summary: String,
    pub case_id: Option<CaseId>,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub read_at: Option<NaiveDateTime>,
}

pub fn unread_for_staff(conn: &mut DbConn, user: &UserId) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::recipient_user_id.eq(user))
        .filter(notifications::channel.eq(Channel::Portal))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// A staff member's inbox, newest first.
pub fn for_staff(
    conn: &mut DbConn,
    user: &UserId,
    templates: &EmailTemplates,
    limit: i64,
) -> QueryResult<Vec<InboxItem>> {
    type Row = (
        NotificationId,
        Kind,
        Option<CaseId>,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = notifications::table
        .filter(notifications::recipient_user_id.eq(user))
        .filter(notifications::channel.eq(Channel::Portal))
        .select((
            notifications::id,
            notifications::kind,
            notifications::case_id,
            notifications::payload,
            notifications::created_at,
            notifications::read_at,
        ))
        .order(notifications::created_at.desc())
        .limit(limit.clamp(1, 200))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, case_id, payload, created_at, read_at)| {
            let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
            let summary = templates
                .subject(kind, &render::staff_context("", "", &payload))
                .unwrap_or_else(|_| kind.label().to_owned());
            InboxItem {
                id,
                kind,
                summary,
                case_id,
                created_at,
                read_at,
            }
        })
        .collect())
}

/// Marks one item (or, with `None`, every item) read. Returns how many changed.
pub fn mark_read_for_staff(
    conn: &mut DbConn,
    user: &UserId,
    id: Option<&NotificationId>,
) -> QueryResult<usize> {
    let mine = notifications::table
        .filter(notifications::recipient_user_id.eq(user))
        .filter(notifications::channel.eq(Channel::Portal))
        .filter(notifications::read_at.is_null());
    match id {
        Some(id) => diesel::update(mine.filter(notifications::id.eq(id)))
            .set(notifications::read_at.eq(Some(db::now())))
            .execute(conn),
        None => diesel::update(mine)
            .set(notifications::read_at.eq(Some(db::now())))
            .execute(conn),
    }
}

pub fn unread_for_relative(conn: &mut DbConn, relative: &RelativeId) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::recipient_relative_id.eq(relative))
        .filter(notifications::channel.eq(Channel::Portal))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// A relative's portal notices, newest first, each summarised in their language (the same
/// words as the e-mail's subject, so never any case detail).
pub fn for_relative(
    conn: &mut DbConn,
    relative: &RelativeId,
    lang: crate::i18n::Lang,
    templates: &EmailTemplates,
    limit: i64,
) -> QueryResult<Vec<InboxItem>> {
    type Row = (
        NotificationId,
        Kind,
        Option<CaseId>,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = notifications::table
        .filter(notifications::recipient_relative_id.eq(relative))
        .filter(notifications::channel.eq(Channel::Portal))
        .select((
            notifications::id,
            notifications::kind,
            notifications::case_id,
            notifications::created_at,
            notifications::read_at,
        ))
        .order(notifications::created_at.desc())
        .limit(limit.clamp(1, 200))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, case_id, created_at, read_at)| {
            let ctx = render::family_context(kind, lang, "", "", &Value::Null);
            let summary = templates
                .subject(kind, &ctx)
                .unwrap_or_else(|_| kind.label().to_owned());
            InboxItem {
                id,
                kind,
                summary,
                case_id,
                created_at,
                read_at,
            }
        })
        .collect())
}

/// Marks every unread notice of a relative read.
pub fn mark_all_read_for_relative(conn: &mut DbConn, relative: &RelativeId) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::recipient_relative_id.eq(relative))
            .filter(notifications::channel.eq(Channel::Portal))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(db::now())))
    .execute(conn)
}

/// A staff member's own notice, or 404 (someone else's is as good as missing).
pub fn require_own(conn: &mut DbConn, user: &UserId, id: &NotificationId) -> Result<(), AppError> {
    let n: i64 = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::recipient_user_id.eq(user))
        .count()
        .get_result(conn)?;
    if n == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}
