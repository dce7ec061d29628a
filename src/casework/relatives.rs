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
use crate::casework::groups::{self, GroupView, Joining};
use crate::casework::record::require_open;
use crate::casework::types::{AccessState, ContactChannel, FollowUpStatus};
use crate::db::schema::{follow_ups, relative_versions, relatives};
use crate::db::{self, DbConn};
use crate::domain::{
    CaseId, EmailAddress, FamilyGroupId, LimitedText, PersonName, RelativeId, UserId, new_row_id,
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
    /// The family group the relative belongs to.
    pub family_group_id: Option<FamilyGroupId>,
    /// Since when the relative is restricted (the reason is kept apart, for the SIO and
    /// managers); `None` when they are not.
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub restricted_at: Option<NaiveDateTime>,
    /// Who restricted them: whom officers ask about it.
    pub restricted_by: Option<UserId>,
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
pub fn keep_version(
    conn: &mut DbConn,
    relative: &Relative,
    by: Option<&UserId>,
) -> QueryResult<()> {
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

/// Adds a relative to a case the caller works on, in the family group `joining` names (made
/// now when it is new, with them as its first member and point of contact).
pub fn add(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    input: &RelativeInput,
    joining: &Joining,
) -> Result<Relative, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let group = groups::for_new_relative(conn, user, case_id, joining)?;
        // A new group's first member is its point of contact.
        let input = &RelativeInput {
            point_of_contact: input.point_of_contact || matches!(joining, Joining::New(_)),
            ..input.clone()
        };
        let id = RelativeId::new();
        let now = db::now();
        diesel::insert_into(relatives::table)
            .values((
                relatives::id.eq(&id),
                relatives::case_id.eq(case_id),
                details(input),
                relatives::family_group_id.eq(&group),
                relatives::access_state.eq(AccessState::NotInvited),
                relatives::auth_version.eq(1_i64),
                relatives::version.eq(1_i64),
                relatives::created_by.eq(&user.id),
                relatives::created_at.eq(now),
                relatives::updated_at.eq(now),
            ))
            .execute(conn)?;
        let relative = find(conn, case_id, &id)?.ok_or(AppError::NotFound)?;
        keep_version(conn, &relative, Some(&user.id))?;
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
        if current.version == expected_version {
            check_point_of_contact(conn, &current, input.point_of_contact)?;
        }
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
        keep_version(conn, &saved, Some(&user.id))?;
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
    /// Messages that name neither the force nor an officer (a shared phone or inbox).
    pub discreet: bool,
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
                relatives::discreet_notices.eq(prefs.discreet),
                relatives::version.eq(relatives::version + 1),
                relatives::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        let saved: Relative = relatives::table
            .find(id)
            .select(Relative::as_select())
            .first(conn)?;
        keep_version(conn, &saved, None)?;
        audit::event(&Actor::Relative(id.clone()), "relative.preferences")
            .record("relative", id)
            .case(&saved.case_id)
            .detail(format!("version {}", saved.version))
            .write(conn)?;
        Ok(())
    })
}

// ---- family groups: joining and moving ------------------------------------------------

/// Whether each other member of `relative`'s group is a point of contact.
fn others_in_group(conn: &mut DbConn, relative: &Relative) -> QueryResult<Vec<bool>> {
    let Some(group) = &relative.family_group_id else {
        return Ok(Vec::new());
    };
    relatives::table
        .filter(relatives::family_group_id.eq(group))
        .filter(relatives::id.ne(&relative.id))
        .select(relatives::point_of_contact)
        .load(conn)
}

fn last_point_of_contact() -> AppError {
    AppError::conflict(
        "last_point_of_contact",
        "This relative is their group's only point of contact. Nominate another member of the group first.",
    )
}

/// Refuses to take `relative` out of their group when that would leave the group with no
/// member, or with members but no point of contact.
fn check_leaving(conn: &mut DbConn, relative: &Relative) -> Result<(), AppError> {
    if relative.family_group_id.is_none() {
        return Ok(());
    }
    let others = others_in_group(conn, relative)?;
    if others.is_empty() {
        return Err(AppError::conflict(
            "last_member",
            "This relative is the only member of their family group. A group keeps at least one member.",
        ));
    }
    if relative.point_of_contact && !others.contains(&true) {
        return Err(last_point_of_contact());
    }
    Ok(())
}

/// Refuses an edit that takes away the last point of contact of a group that has one.
pub fn check_point_of_contact(
    conn: &mut DbConn,
    current: &Relative,
    stays_point_of_contact: bool,
) -> Result<(), AppError> {
    if current.point_of_contact
        && !stays_point_of_contact
        && !others_in_group(conn, current)?.contains(&true)
    {
        return Err(last_point_of_contact());
    }
    Ok(())
}

/// Puts `relative` into `group`, keeping the change as a version of the relative, and audits
/// it as `action`. The rules of leaving their old group are checked first.
fn place(
    conn: &mut DbConn,
    user: &StaffUser,
    relative: &Relative,
    group: &FamilyGroupId,
    point_of_contact: bool,
    detail: String,
) -> Result<Relative, AppError> {
    if relative.family_group_id.as_ref() == Some(group) {
        return Err(AppError::conflict(
            "already_in_group",
            "This relative is already in that family group.",
        ));
    }
    check_leaving(conn, relative)?;
    diesel::update(relatives::table.find(&relative.id))
        .set((
            relatives::family_group_id.eq(group),
            relatives::point_of_contact.eq(point_of_contact),
            relatives::version.eq(relatives::version + 1),
            relatives::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    // Their own open appointments go with them.
    diesel::update(
        follow_ups::table
            .filter(follow_ups::relative_id.eq(&relative.id))
            .filter(follow_ups::is_appointment.eq(true))
            .filter(follow_ups::status.eq(FollowUpStatus::Open)),
    )
    .set(follow_ups::family_group_id.eq(group))
    .execute(conn)?;
    let moved = find(conn, &relative.case_id, &relative.id)?.ok_or(AppError::NotFound)?;
    keep_version(conn, &moved, Some(&user.id))?;
    audit::event(&Actor::Staff(user.id.clone()), "relative.move")
        .record("relative", &relative.id)
        .case(&relative.case_id)
        .detail(detail)
        .write(conn)?;
    Ok(moved)
}

/// Makes a new group on a case with its first member, an existing relative of the case, who
/// becomes its point of contact.
pub fn start_group(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    name: &LimitedText,
    first_member: &RelativeId,
) -> Result<GroupView, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let relative = find(conn, case_id, first_member)?.ok_or_else(|| {
            AppError::invalid("first_member", "This is not a relative of this case.")
        })?;
        let id = groups::insert(conn, user, case_id, name.as_str())?;
        let detail = format!(
            "to new group {id} from {}",
            relative
                .family_group_id
                .as_ref()
                .map_or("none", |g| g.as_str())
        );
        place(conn, user, &relative, &id, true, detail)?;
        groups::views(conn, case_id)?
            .into_iter()
            .find(|g| g.group.id == id)
            .ok_or(AppError::NotFound)
    })
}

/// Moves a relative to another group of their case. They see that group's thread from now
/// on; what they wrote stays where it was written. They are not the new group's point of
/// contact unless staff nominate them.
pub fn move_to_group(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &RelativeId,
    to: &FamilyGroupId,
    reason: &LimitedText,
) -> Result<Relative, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let relative = find(conn, case_id, id)?.ok_or(AppError::NotFound)?;
        let to = groups::require(conn, case_id, to, "family_group_id")?.id;
        let detail = format!(
            "from {} to {to}: {}",
            relative
                .family_group_id
                .as_ref()
                .map_or("none", |g| g.as_str()),
            reason.as_str()
        );
        place(conn, user, &relative, &to, false, detail)
    })
}
