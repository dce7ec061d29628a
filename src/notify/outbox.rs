//! Writing notifications. Call `enqueue` inside the transaction that records the event, so
//! that the event and its notices commit or vanish together.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::notifications;
use crate::db::{self, DbConn};
use crate::domain::{CaseId, NotificationId, RelativeId, UserId};
use crate::notify::{Channel, Kind, Status};

#[derive(Debug, Clone)]
pub enum Recipient {
    Staff(UserId),
    Relative(RelativeId),
}

/// One notice to one recipient. `cause` identifies the event and its occurrence (for
/// example `follow-up:<id>:due:<time>`): the same kind, cause, recipient and channel is
/// written at most once, however many times it is asked for.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: Kind,
    pub recipient: Recipient,
    pub case_id: Option<CaseId>,
    pub cause: String,
    pub payload: serde_json::Value,
}

impl Notice {
    fn dedup_key(&self, channel: Channel) -> String {
        let who = match &self.recipient {
            Recipient::Staff(id) => format!("staff:{id}"),
            Recipient::Relative(id) => format!("relative:{id}"),
        };
        format!("{}|{}|{}|{}", self.kind, self.cause, who, channel)
    }
}

/// Writes the notice for the portal inbox (delivered at once) and for e-mail (delivered by
/// the worker). Returns how many rows were new; a repeat of the same cause adds nothing.
pub fn enqueue(conn: &mut DbConn, notice: &Notice) -> QueryResult<usize> {
    enqueue_at(conn, notice, db::now())
}

/// As `enqueue`, with e-mail held back until `not_before` (quiet hours, a later reminder).
pub fn enqueue_at(
    conn: &mut DbConn,
    notice: &Notice,
    not_before: NaiveDateTime,
) -> QueryResult<usize> {
    let mut written = 0;
    // A sign-in link is useful only in the mailbox; the portal copy would be noise.
    let channels: &[Channel] = if crate::family::links::Purpose::of_kind(notice.kind).is_some() {
        &[Channel::Email]
    } else {
        &[Channel::Portal, Channel::Email]
    };
    for &channel in channels {
        if insert_once(conn, notice, channel, not_before)? {
            written += 1;
        }
    }
    Ok(written)
}

fn insert_once(
    conn: &mut DbConn,
    notice: &Notice,
    channel: Channel,
    not_before: NaiveDateTime,
) -> QueryResult<bool> {
    let key = notice.dedup_key(channel);
    let exists: i64 = notifications::table
        .filter(notifications::dedup_key.eq(&key))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let now = db::now();
    let (user, relative) = match &notice.recipient {
        Recipient::Staff(id) => (Some(id), None),
        Recipient::Relative(id) => (None, Some(id)),
    };
    // The portal copy is delivered by being written.
    let (status, sent_at) = match channel {
        Channel::Portal => (Status::Sent, Some(now)),
        Channel::Email => (Status::Pending, None),
    };
    // A savepoint, so that losing a race with another instance (a unique violation) does not
    // abort the caller's transaction on PostgreSQL.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(notifications::table)
            .values((
                notifications::id.eq(NotificationId::new()),
                notifications::dedup_key.eq(&key),
                notifications::kind.eq(notice.kind),
                notifications::channel.eq(channel),
                notifications::recipient_user_id.eq(user),
                notifications::recipient_relative_id.eq(relative),
                notifications::case_id.eq(notice.case_id.as_ref()),
                notifications::payload.eq(notice.payload.to_string()),
                notifications::status.eq(status),
                notifications::attempts.eq(0),
                notifications::next_attempt_at.eq(not_before.max(now)),
                notifications::created_at.eq(now),
                notifications::sent_at.eq(sent_at),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if db::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// One outbox row as the administrator sees it: who and how, never what about.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxRow {
    pub id: NotificationId,
    pub kind: Kind,
    pub channel: Channel,
    pub status: Status,
    pub recipient: String,
    pub attempts: i32,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub sent_at: Option<NaiveDateTime>,
}

/// Counts by status, for the administrator's overview.
pub fn counts(conn: &mut DbConn) -> QueryResult<Vec<(Status, i64)>> {
    let mut out = Vec::new();
    for status in Status::ALL {
        let n: i64 = notifications::table
            .filter(notifications::channel.eq(Channel::Email))
            .filter(notifications::status.eq(*status))
            .count()
            .get_result(conn)?;
        out.push((*status, n));
    }
    Ok(out)
}

/// E-mail rows in a status, oldest first for failures (the ones to act on), newest otherwise.
pub fn list(conn: &mut DbConn, status: Status, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    use crate::db::schema::{relatives, users};
    type Row = (
        NotificationId,
        Kind,
        Channel,
        Status,
        Option<UserId>,
        Option<RelativeId>,
        i32,
        NaiveDateTime,
        Option<String>,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = notifications::table
        .filter(notifications::channel.eq(Channel::Email))
        .filter(notifications::status.eq(status))
        .select((
            notifications::id,
            notifications::kind,
            notifications::channel,
            notifications::status,
            notifications::recipient_user_id,
            notifications::recipient_relative_id,
            notifications::attempts,
            notifications::next_attempt_at,
            notifications::last_error,
            notifications::created_at,
            notifications::sent_at,
        ))
        .order(notifications::created_at.desc())
        .limit(limit.clamp(1, 500))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (
        id,
        kind,
        channel,
        status,
        user,
        relative,
        attempts,
        next_attempt_at,
        last_error,
        created_at,
        sent_at,
    ) in rows
    {
        let recipient = match (user, relative) {
            (Some(u), _) => users::table
                .find(&u)
                .select(users::display_name)
                .first::<String>(conn)
                .optional()?
                .map(|n| format!("{n} (staff)"))
                .unwrap_or_else(|| "a staff member".into()),
            (_, Some(r)) => relatives::table
                .find(&r)
                .select(relatives::email)
                .first::<Option<String>>(conn)
                .optional()?
                .flatten()
                .map(|e| format!("a relative ({})", crate::domain::mask_email(&e)))
                .unwrap_or_else(|| "a relative".into()),
            _ => "nobody".into(),
        };
        out.push(OutboxRow {
            id,
            kind,
            channel,
            status,
            recipient,
            attempts,
            next_attempt_at,
            last_error,
            created_at,
            sent_at,
        });
    }
    Ok(out)
}

/// Puts a failed e-mail back in the queue for another round of attempts.
pub fn retry(
    conn: &mut DbConn,
    actor: &crate::audit::Actor,
    id: &NotificationId,
) -> Result<(), crate::error::AppError> {
    db::write(conn, |conn| {
        let status: Option<Status> = notifications::table
            .find(id)
            .filter(notifications::channel.eq(Channel::Email))
            .select(notifications::status)
            .first(conn)
            .optional()?;
        match status {
            None => return Err(crate::error::AppError::NotFound),
            Some(Status::Failed) => {}
            Some(_) => {
                return Err(crate::error::AppError::conflict(
                    "not_failed",
                    "Only a notification that failed can be sent again.",
                ));
            }
        }
        // Sent again on its own if it was carried by another; the notices it carried go
        // with it again.
        diesel::update(notifications::table.find(id))
            .set((
                notifications::status.eq(Status::Pending),
                notifications::attempts.eq(0),
                notifications::next_attempt_at.eq(db::now()),
                notifications::lease_owner.eq(None::<String>),
                notifications::lease_until.eq(None::<NaiveDateTime>),
                notifications::merged_into.eq(None::<NotificationId>),
            ))
            .execute(conn)?;
        diesel::update(
            notifications::table
                .filter(notifications::merged_into.eq(id))
                .filter(notifications::status.eq(Status::Failed)),
        )
        .set(notifications::status.eq(Status::Pending))
        .execute(conn)?;
        crate::audit::event(actor, "notification.retry")
            .record("notification", id)
            .write(conn)?;
        Ok(())
    })
}
