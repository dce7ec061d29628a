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
use crate::i18n::Lang;
use crate::notify::render::{self, EmailTemplates};
use crate::notify::{Channel, Kind};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: NotificationId,
    pub kind: Kind,
    pub summary: String,
    /// The page of the item the notice is about.
    pub link: String,
    pub case_id: Option<CaseId>,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub read_at: Option<NaiveDateTime>,
}

/// Whose portal inbox.
#[derive(Clone, Copy)]
pub enum Recipient<'a> {
    Staff(&'a UserId),
    /// A relative reads their notices in their language.
    Relative(&'a RelativeId, Lang),
}

/// The portal copies of `recipient`'s notifications.
fn portal_of<'a>(
    recipient: Recipient<'a>,
) -> notifications::BoxedQuery<'a, crate::db::MultiBackend> {
    let portal = notifications::table
        .filter(notifications::channel.eq(Channel::Portal))
        .into_boxed();
    match recipient {
        Recipient::Staff(user) => portal.filter(notifications::recipient_user_id.eq(user)),
        Recipient::Relative(relative, _) => {
            portal.filter(notifications::recipient_relative_id.eq(relative))
        }
    }
}

pub fn unread(conn: &mut DbConn, recipient: Recipient<'_>) -> QueryResult<i64> {
    portal_of(recipient)
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// An inbox, newest first. A relative's notices are summarised in the same words as the
/// e-mail's subject, so never with any case detail; staff summaries name the case.
pub fn list(
    conn: &mut DbConn,
    recipient: Recipient<'_>,
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
    let rows: Vec<Row> = portal_of(recipient)
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
            let (summary, link) = match recipient {
                Recipient::Staff(_) => {
                    let summary = templates
                        .subject(kind, &render::staff_context("", "", &payload))
                        .unwrap_or_else(|_| kind.label().to_owned());
                    let link = render::staff_path(&payload, case_id.as_ref())
                        .unwrap_or_else(|| "/staff".to_owned());
                    (summary, link)
                }
                Recipient::Relative(_, lang) => {
                    let link = match payload.get("path").and_then(Value::as_str) {
                        Some(path) if path.starts_with("/family/") => path.to_owned(),
                        _ => "/family".to_owned(),
                    };
                    (render::family_summary(kind, lang), link)
                }
            };
            InboxItem {
                id,
                kind,
                summary,
                link,
                case_id,
                created_at,
                read_at,
            }
        })
        .collect())
}

/// Marks one unread item (or, with `None`, every one) read. Returns how many changed.
pub fn mark_read(
    conn: &mut DbConn,
    recipient: Recipient<'_>,
    id: Option<&NotificationId>,
) -> QueryResult<usize> {
    let ids = portal_of(recipient)
        .filter(notifications::read_at.is_null())
        .select(notifications::id);
    let ids: Vec<NotificationId> = match id {
        Some(id) => ids.filter(notifications::id.eq(id)).load(conn)?,
        None => ids.load(conn)?,
    };
    diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
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
