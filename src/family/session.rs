//! Relatives' sessions. A relative signs in with a link and gets a server-side session, named
//! by a short-lived signed token in the `liaison_family` cookie (or a bearer token for the
//! family API). An ordinary session ends when the browser closes, after 12 hours, or after
//! the idle limit; "keep me signed in on this device" keeps it for 30 days. Suspension and
//! "sign out everywhere" end every session of the relative at once.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::session::{
    Client, Origin, Principal, SessionRejection, SessionRow, insert, revoke_all,
};
use crate::auth::tokens::Claims;
use crate::casework::types::AccessState;
use crate::db::schema::{relatives, sessions};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, FamilyGroupId, RelativeId, SessionId};
use crate::error::AppError;
use crate::i18n::Lang;

/// The longest an ordinary family session lasts.
pub const SESSION_HOURS: i64 = 12;
/// How long "keep me signed in on this device" lasts, and its idle limit.
pub const PERSISTENT_DAYS: i64 = 30;

/// How often a session's "last seen" time is written while it is in use.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// A signed-in relative, as every family handler sees them.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyUser {
    pub relative_id: RelativeId,
    pub case_id: CaseId,
    /// The relative's family group: they read its messages, appointments and named contacts.
    #[serde(skip)]
    pub family_group_id: FamilyGroupId,
    pub full_name: String,
    pub lang: Lang,
    #[serde(skip)]
    pub session_id: SessionId,
    #[serde(skip)]
    pub auth_version: i64,
    #[serde(skip)]
    pub persistent: bool,
    /// Signed in on a shared or public device: no drafts, a short idle limit with a warning.
    pub shared_device: bool,
    #[serde(skip)]
    pub client: Client,
    /// Unread portal notices, for the navigation.
    pub unread_notices: i64,
    /// Until when this check of the session may be relied on without the database: when its
    /// "last seen" time is next due to be written, or it ends, whichever comes first.
    #[serde(skip)]
    pub recheck_at: NaiveDateTime,
}

/// When a new session of this kind ends at the latest.
pub fn lifetime(persistent: bool) -> Duration {
    if persistent {
        Duration::days(PERSISTENT_DAYS)
    } else {
        Duration::hours(SESSION_HOURS)
    }
}

pub fn create(
    conn: &mut DbConn,
    relative: &RelativeId,
    client: Client,
    persistent: bool,
    shared_device: bool,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> QueryResult<SessionId> {
    let origin = Origin {
        client,
        ip,
        user_agent,
    };
    let expires_at = db::now() + lifetime(persistent);
    let id = insert(
        conn,
        Principal::Relative(relative),
        origin,
        persistent,
        expires_at,
    )?;
    if shared_device {
        diesel::update(sessions::table.find(&id))
            .set(sessions::shared_device.eq(true))
            .execute(conn)?;
    }
    Ok(id)
}

#[derive(Queryable)]
struct Row {
    session: SessionRow,
    persistent: bool,
    shared_device: bool,
    case_id: CaseId,
    full_name: String,
    language: Lang,
    access_state: AccessState,
    auth_version: i64,
    family_group_id: Option<FamilyGroupId>,
    restricted_at: Option<NaiveDateTime>,
}

/// How long a family session may go unused: on the relative's own device, and on a shared or
/// public one.
#[derive(Debug, Clone, Copy)]
pub struct IdleLimits {
    pub own_device: Duration,
    pub shared_device: Duration,
}

/// Checks the session a family token names and returns the relative.
pub fn resolve(
    conn: &mut DbConn,
    claims: &Claims,
    idle_limits: IdleLimits,
) -> Result<Result<FamilyUser, SessionRejection>, AppError> {
    let (Some(sid), Some(rid)) = (
        SessionId::parse(&claims.sid),
        RelativeId::parse(&claims.sub),
    ) else {
        return Ok(Err(SessionRejection::Unknown));
    };
    let found: Option<Row> = sessions::table
        .inner_join(relatives::table.on(relatives::id.nullable().eq(sessions::relative_id)))
        .filter(sessions::id.eq(&sid))
        .filter(relatives::id.eq(&rid))
        .select((
            SessionRow::columns(),
            sessions::persistent,
            sessions::shared_device,
            relatives::case_id,
            relatives::full_name,
            relatives::language,
            relatives::access_state,
            relatives::auth_version,
            relatives::family_group_id,
            relatives::restricted_at,
        ))
        .first(conn)
        .optional()?;
    let Some(row) = found else {
        return Ok(Err(SessionRejection::Unknown));
    };
    let now = db::now();
    let idle = if row.persistent {
        Duration::days(PERSISTENT_DAYS)
    } else if row.shared_device {
        idle_limits.shared_device
    } else {
        idle_limits.own_device
    };
    if let Err(rejection) = row.session.check(now, idle) {
        return Ok(Err(rejection));
    }
    if row.access_state == AccessState::Suspended || row.restricted_at.is_some() {
        return Ok(Err(SessionRejection::AccountInactive));
    }
    // Every relative has a group; one without (which no write makes) reads nothing.
    let Some(family_group_id) = row.family_group_id else {
        return Ok(Err(SessionRejection::AccountInactive));
    };
    if row.auth_version != claims.ver {
        return Ok(Err(SessionRejection::AuthVersionChanged));
    }
    // "Last seen" is kept to within a quarter of the idle limit, so that a short one (a shared
    // device's) is not cut short by a use that was not written down.
    let touch_every = TOUCH_EVERY.min(idle / 4);
    let mut last_seen = row.session.last_seen_at;
    if last_seen + touch_every <= now {
        last_seen = now;
        diesel::update(sessions::table.find(&sid))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
        diesel::update(relatives::table.find(&rid))
            .set(relatives::last_seen_at.eq(now))
            .execute(conn)?;
    }
    let unread_notices = match row.session.client {
        Client::Browser => crate::notify::inbox::unread(
            conn,
            crate::notify::inbox::Recipient::Relative(&rid, row.language),
        )?,
        Client::Api => 0,
    };
    Ok(Ok(FamilyUser {
        relative_id: rid,
        case_id: row.case_id,
        family_group_id,
        full_name: row.full_name,
        lang: row.language,
        session_id: sid,
        auth_version: row.auth_version,
        persistent: row.persistent,
        shared_device: row.shared_device,
        client: row.session.client,
        unread_notices,
        recheck_at: (last_seen + touch_every)
            .min(last_seen + idle)
            .min(row.session.expires_at),
    }))
}

/// The end of the relative's previous visit (their latest session before this one), for
/// "new since your last visit".
pub fn previous_visit(
    conn: &mut DbConn,
    relative: &RelativeId,
    current: &SessionId,
) -> QueryResult<Option<NaiveDateTime>> {
    sessions::table
        .filter(sessions::relative_id.eq(relative))
        .filter(sessions::id.ne(current))
        .select(diesel::dsl::max(sessions::last_seen_at))
        .first(conn)
}

/// Ends every session of a relative and invalidates every token in circulation.
pub fn end_all(conn: &mut DbConn, relative: &RelativeId, reason: &str) -> QueryResult<usize> {
    diesel::update(relatives::table.find(relative))
        .set(relatives::auth_version.eq(relatives::auth_version + 1))
        .execute(conn)?;
    revoke_all(conn, Principal::Relative(relative), reason)
}

/// Records that the relative is using their session now (a shared device's page says so while
/// they type), whatever was written lately.
pub fn touch(conn: &mut DbConn, user: &FamilyUser) -> QueryResult<()> {
    let now = db::now();
    diesel::update(sessions::table.find(&user.session_id))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    diesel::update(relatives::table.find(&user.relative_id))
        .set(relatives::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// When a session ends at the latest.
pub fn ends_at(conn: &mut DbConn, id: &SessionId) -> QueryResult<chrono::NaiveDateTime> {
    sessions::table
        .find(id)
        .select(sessions::expires_at)
        .first(conn)
}
