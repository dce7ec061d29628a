//! Server-side sessions. A session row is created at sign-in and checked on every request;
//! revoking it (sign-out, deactivation) or bumping the account's auth version (role change,
//! password change) ends access on the next request, whatever tokens are still in circulation.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::tokens::Claims;
use crate::db::schema::{sessions, users};
use crate::db::{self, DbConn, MultiBackend};
use crate::domain::{RelativeId, Role, SessionId, UserId};
use crate::error::AppError;

crate::text_enum!(
    /// How the session is used: a browser (cookie) or an API client (bearer token).
    Client {
        Browser => "browser" / "Browser",
        Api => "api" / "API client",
    }
);

/// A signed-in staff member, as every staff handler sees them. The role is read from the
/// account on each request, never trusted from the token.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffUser {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    #[serde(skip)]
    pub session_id: SessionId,
    #[serde(skip)]
    pub auth_version: i64,
    pub password_change_required: bool,
    /// Unread items in the portal inbox, for the navigation.
    pub unread_notifications: i64,
}

/// Who a session signs in.
pub enum Principal<'a> {
    Staff(&'a UserId),
    Relative(&'a RelativeId),
}

/// Where and how a session was started.
pub struct Origin<'a> {
    pub client: Client,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Records a new session that ends at `expires_at` at the latest (a staff session is never
/// persistent). The user agent is kept to 300 characters.
pub fn insert(
    conn: &mut DbConn,
    principal: Principal<'_>,
    origin: Origin<'_>,
    persistent: bool,
    expires_at: NaiveDateTime,
) -> QueryResult<SessionId> {
    let id = SessionId::new();
    let now = db::now();
    let (kind, user_id, relative_id) = match principal {
        Principal::Staff(user) => ("staff", Some(user), None),
        Principal::Relative(relative) => ("relative", None, Some(relative)),
    };
    let user_agent = origin
        .user_agent
        .map(|ua| ua.chars().take(300).collect::<String>());
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::principal_kind.eq(kind),
            sessions::user_id.eq(user_id),
            sessions::relative_id.eq(relative_id),
            sessions::client.eq(origin.client),
            sessions::persistent.eq(persistent && relative_id.is_some()),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
            sessions::ip.eq(origin.ip),
            sessions::user_agent.eq(user_agent.as_deref()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// What every session is checked by, whoever it signs in.
#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub client: Client,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_reason: Option<String>,
}

impl SessionRow {
    /// The columns a `SessionRow` is read from, to place in a query's selection.
    pub fn columns() -> <SessionRow as Selectable<MultiBackend>>::SelectExpression {
        <SessionRow as Selectable<MultiBackend>>::construct_selection()
    }

    /// Refuses a session that has ended, or expired, or (in a browser) has been idle for
    /// `idle` by `now`; checked in that order.
    pub fn check(&self, now: NaiveDateTime, idle: Duration) -> Result<(), SessionRejection> {
        if self.revoked_at.is_some() {
            return Err(SessionRejection::Revoked(
                self.revoked_reason.clone().unwrap_or_default(),
            ));
        }
        if self.expires_at <= now {
            return Err(SessionRejection::Expired);
        }
        if self.client == Client::Browser && self.last_seen_at + idle <= now {
            return Err(SessionRejection::Idle);
        }
        Ok(())
    }
}

#[derive(Queryable)]
struct UserRow {
    id: UserId,
    email: String,
    display_name: String,
    role: Role,
    active: bool,
    auth_version: i64,
    password_change_required: bool,
}

/// Why a well-signed token no longer opens anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionRejection {
    Unknown,
    /// Ended, with the reason recorded when it was (signed out, account deactivated, ...).
    Revoked(String),
    Expired,
    Idle,
    AccountInactive,
    AuthVersionChanged,
}

impl SessionRejection {
    pub fn describe(&self) -> String {
        match self {
            SessionRejection::Unknown => "unknown session".into(),
            SessionRejection::Revoked(reason) => format!("session ended: {reason}"),
            SessionRejection::Expired => "session expired".into(),
            SessionRejection::Idle => "session idle too long".into(),
            SessionRejection::AccountInactive => "account deactivated".into(),
            SessionRejection::AuthVersionChanged => "account changed since sign-in".into(),
        }
    }
}

/// Checks the session a staff token names and returns the current account.
pub fn resolve_staff(
    conn: &mut DbConn,
    claims: &Claims,
    idle_limit: Duration,
) -> Result<Result<StaffUser, SessionRejection>, AppError> {
    let (Some(sid), Some(uid)) = (SessionId::parse(&claims.sid), UserId::parse(&claims.sub)) else {
        return Ok(Err(SessionRejection::Unknown));
    };
    // One query for the session and its account.
    let found: Option<(SessionRow, UserRow)> = sessions::table
        .inner_join(users::table.on(users::id.nullable().eq(sessions::user_id)))
        .filter(sessions::id.eq(&sid))
        .filter(users::id.eq(&uid))
        .select((
            SessionRow::columns(),
            (
                users::id,
                users::email,
                users::display_name,
                users::role,
                users::active,
                users::auth_version,
                users::password_change_required,
            ),
        ))
        .first(conn)
        .optional()?;
    let Some((session, user)) = found else {
        return Ok(Err(SessionRejection::Unknown));
    };
    let now = db::now();
    if let Err(rejection) = session.check(now, idle_limit) {
        return Ok(Err(rejection));
    }
    if !user.active {
        return Ok(Err(SessionRejection::AccountInactive));
    }
    if user.auth_version != claims.ver {
        return Ok(Err(SessionRejection::AuthVersionChanged));
    }
    // Record activity at most once a minute, to keep reads from turning into writes.
    if session.last_seen_at + Duration::seconds(60) <= now {
        diesel::update(sessions::table.find(&sid))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    // The unread count is for the pages' navigation; API clients ask for the inbox.
    let unread_notifications = match session.client {
        Client::Browser => {
            crate::notify::inbox::unread(conn, crate::notify::inbox::Recipient::Staff(&user.id))?
        }
        Client::Api => 0,
    };
    Ok(Ok(StaffUser {
        unread_notifications,
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        role: user.role,
        session_id: sid,
        auth_version: user.auth_version,
        password_change_required: user.password_change_required,
    }))
}

/// Ends one session.
pub fn revoke(conn: &mut DbConn, sid: &SessionId, reason: &str) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(sid)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(db::now()),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(conn)
}

/// Ends every session of a staff account.
pub fn revoke_all_for_user(
    conn: &mut DbConn,
    user_id: &UserId,
    reason: &str,
) -> QueryResult<usize> {
    revoke_all(conn, Principal::Staff(user_id), reason)
}

/// Ends every session of `principal` still open, with the reason on each.
pub fn revoke_all(conn: &mut DbConn, principal: Principal<'_>, reason: &str) -> QueryResult<usize> {
    let open = sessions::table.filter(sessions::revoked_at.is_null());
    let ended = (
        sessions::revoked_at.eq(db::now()),
        sessions::revoked_reason.eq(reason),
    );
    match principal {
        Principal::Staff(user) => diesel::update(open.filter(sessions::user_id.eq(user)))
            .set(ended)
            .execute(conn),
        Principal::Relative(relative) => {
            diesel::update(open.filter(sessions::relative_id.eq(relative)))
                .set(ended)
                .execute(conn)
        }
    }
}
