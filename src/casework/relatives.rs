//! Relatives on a case: who they are, how to reach them, their language and quiet hours.
//! Edits are versioned with optimistic locking: an edit made from a stale copy is refused
//! (409) rather than silently overwriting someone else's change, and every version is kept.

use chrono::{NaiveDateTime, NaiveTime};
use diesel::dsl::Eq;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::types::{AccessState, ContactChannel};
use crate::db::schema::{relative_versions, relatives};
use crate::db::{self, DbConn};
use crate::domain::{
    CaseId, EmailAddress, LimitedText, PersonName, RelativeId, UserId, new_row_id,
};
use crate::error::AppError;
use crate::i18n::Lang;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = relatives)]
pub struct Relative {
    pub id: RelativeId,
    pub case_id: CaseId,
    pub full_name: String,
    pub relationship: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub preferred_channel: ContactChannel,
    pub language: Lang,
    pub point_of_contact: bool,
    pub access_state: AccessState,
    pub suspended_reason: Option<String>,
    pub notify_by_email: bool,
    pub quiet_hours_start: Option<String>,
    pub quiet_hours_end: Option<String>,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub last_seen_at: Option<NaiveDateTime>,
    pub created_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub updated_at: NaiveDateTime,
}

/// A parsed relative, for adding or editing.
#[derive(Debug, Clone)]
pub struct RelativeInput {
    pub full_name: PersonName,
    pub relationship: LimitedText,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    pub address: Option<LimitedText>,
    pub preferred_channel: ContactChannel,
    pub language: Lang,
    pub point_of_contact: bool,
    pub notify_by_email: bool,
    pub quiet_hours: Option<(NaiveTime, NaiveTime)>,
}

/// Quiet hours as the `quiet_hours_start` and `quiet_hours_end` columns hold them ("HH:MM").
fn quiet(hours: Option<(NaiveTime, NaiveTime)>) -> (Option<String>, Option<String>) {
    match hours {
        Some((start, end)) => (
            Some(start.format("%H:%M").to_string()),
            Some(end.format("%H:%M").to_string()),
        ),
        None => (None, None),
    }
}

/// The columns staff set from a `RelativeInput`, written alike when a relative is added and
/// when they are edited.
type Details<'a> = (
    Eq<relatives::full_name, &'a str>,
    Eq<relatives::relationship, &'a str>,
    Eq<relatives::email, Option<&'a str>>,
    Eq<relatives::phone, Option<&'a str>>,
    Eq<relatives::address, Option<&'a str>>,
    Eq<relatives::preferred_channel, ContactChannel>,
    Eq<relatives::language, Lang>,
    Eq<relatives::point_of_contact, bool>,
    Eq<relatives::notify_by_email, bool>,
    Eq<relatives::quiet_hours_start, Option<String>>,
    Eq<relatives::quiet_hours_end, Option<String>>,
);

/// `input` as the columns it sets.
fn details(input: &RelativeInput) -> Details<'_> {
    let (quiet_start, quiet_end) = quiet(input.quiet_hours);
    (
        relatives::full_name.eq(input.full_name.as_str()),
        relatives::relationship.eq(input.relationship.as_str()),
        relatives::email.eq(input.email.as_ref().map(EmailAddress::as_str)),
        relatives::phone.eq(input.phone.as_deref()),
        relatives::address.eq(input.address.as_ref().map(LimitedText::as_str)),
        relatives::preferred_channel.eq(input.preferred_channel),
        relatives::language.eq(input.language),
        relatives::point_of_contact.eq(input.point_of_contact),
        relatives::notify_by_email.eq(input.notify_by_email),
        relatives::quiet_hours_start.eq(quiet_start),
        relatives::quiet_hours_end.eq(quiet_end),
    )
}

pub fn find(conn: &mut DbConn, case_id: &CaseId, id: &RelativeId) -> QueryResult<Option<Relative>> {
    relatives::table
        .filter(relatives::id.eq(id))
        .filter(relatives::case_id.eq(case_id))
        .select(Relative::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<Relative>> {
    relatives::table
        .filter(relatives::case_id.eq(case_id))
        .select(Relative::as_select())
        .order((
            relatives::point_of_contact.desc(),
            relatives::full_name.asc(),
        ))
        .load(conn)
}

/// Keeps a copy of this version of a relative, changed by a staff member or (`None`) by the
/// relative themselves.
fn snapshot(conn: &mut DbConn, relative: &Relative, by: Option<&UserId>) -> QueryResult<()> {
    diesel::insert_into(relative_versions::table)
        .values((
            relative_versions::id.eq(new_row_id()),
            relative_versions::relative_id.eq(&relative.id),
            relative_versions::version.eq(relative.version),
            relative_versions::snapshot.eq(serde_json::to_string(relative).unwrap_or_default()),
            relative_versions::changed_by.eq(by),
            relative_versions::changed_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Adds a relative to a case the caller works on.
pub fn add(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    input: &RelativeInput,
) -> Result<Relative, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        crate::casework::record::require_open(&case)?;
        let id = RelativeId::new();
        let now = db::now();
        diesel::insert_into(relatives::table)
            .values((
                relatives::id.eq(&id),
                relatives::case_id.eq(case_id),
                details(input),
                relatives::access_state.eq(AccessState::NotInvited),
                relatives::auth_version.eq(1_i64),
                relatives::version.eq(1_i64),
                relatives::created_by.eq(&user.id),
                relatives::created_at.eq(now),
                relatives::updated_at.eq(now),
            ))
            .execute(conn)?;
        let relative = find(conn, case_id, &id)?.ok_or(AppError::NotFound)?;
        snapshot(conn, &relative, Some(&user.id))?;
        audit::event(&Actor::Staff(user.id.clone()), "relative.add")
            .record("relative", &id)
            .case(case_id)
            .write(conn)?;
        Ok(relative)
    })
}

/// The outcome of an edit made from version `expected`.
pub enum Edited {
    Saved(Relative),
    /// Someone else saved first; here is what they saved.
    Stale(Relative),
}

/// Edits a relative if nobody has changed them since `expected_version`.
pub fn edit(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
    expected_version: i64,
    input: &RelativeInput,
) -> Result<Edited, AppError> {
    db::write(conn, |conn| {
        access::require_visible(conn, user, case_id)?;
        let current = find(conn, case_id, id)?.ok_or(AppError::NotFound)?;
        let changed = diesel::update(
            relatives::table
                .filter(relatives::id.eq(id))
                .filter(relatives::case_id.eq(case_id))
                .filter(relatives::version.eq(expected_version)),
        )
        .set((
            details(input),
            relatives::version.eq(relatives::version + 1),
            relatives::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Ok(Edited::Stale(current));
        }
        let saved = find(conn, case_id, id)?.ok_or(AppError::NotFound)?;
        snapshot(conn, &saved, Some(&user.id))?;
        audit::event(&Actor::Staff(user.id.clone()), "relative.edit")
            .record("relative", id)
            .case(case_id)
            .detail(format!("version {}", saved.version))
            .write(conn)?;
        Ok(Edited::Saved(saved))
    })
}

/// A relative's own choices, set from the family portal.
#[derive(Debug, Clone)]
pub struct Preferences {
    pub notify_by_email: bool,
    pub quiet_hours: Option<(NaiveTime, NaiveTime)>,
    pub language: Lang,
}

/// Saves a relative's preferences as a new version (so a staff edit made from an older copy
/// is refused as stale, not silently overwriting the family's choice).
pub fn set_preferences(
    conn: &mut DbConn,
    id: &RelativeId,
    prefs: &Preferences,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        let (start, end) = quiet(prefs.quiet_hours);
        diesel::update(relatives::table.find(id))
            .set((
                relatives::notify_by_email.eq(prefs.notify_by_email),
                relatives::quiet_hours_start.eq(start),
                relatives::quiet_hours_end.eq(end),
                relatives::language.eq(prefs.language),
                relatives::version.eq(relatives::version + 1),
                relatives::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        let saved: Relative = relatives::table
            .find(id)
            .select(Relative::as_select())
            .first(conn)?;
        snapshot(conn, &saved, None)?;
        audit::event(&Actor::Relative(id.clone()), "relative.preferences")
            .record("relative", id)
            .case(&saved.case_id)
            .detail(format!("version {}", saved.version))
            .write(conn)?;
        Ok(())
    })
}
