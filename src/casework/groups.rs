//! Family groups: a case's family as it really is. Separated parents, a partner estranged
//! from the parents: each side is a group, named by staff and made with its first member.
//! Every relative belongs to exactly one group, and a relative reads only their own group's
//! messages, appointments and named contacts (`family::portal`, `family::messages`). This
//! module keeps the groups themselves; a relative's membership (joining a new group, moving)
//! is changed in `casework::relatives`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::limits;
use crate::db::schema::{family_groups, relatives as relatives_t};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, FamilyGroupId, LimitedText, RelativeId, UserId};
use crate::error::AppError;

/// The name a case's first group takes when staff add its first relative without naming one.
pub const DEFAULT_NAME: &str = "Family";

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = family_groups)]
pub struct FamilyGroup {
    pub id: FamilyGroupId,
    pub case_id: CaseId,
    pub name: String,
    pub created_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
}

/// A group as staff see it: with its members and its points of contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    #[serde(flatten)]
    pub group: FamilyGroup,
    pub members: Vec<RelativeId>,
    pub points_of_contact: Vec<RelativeId>,
}

/// Which group a new relative joins.
#[derive(Debug, Clone)]
pub enum Joining {
    /// An existing group of the case.
    Group(FamilyGroupId),
    /// A new group, made with this relative as its first member.
    New(LimitedText),
    /// The case's only group, or a first group named [`DEFAULT_NAME`] when it has none.
    Only,
}

/// A group's name as staff write it: required, one line, bounded.
pub fn parse_name(field: &str, raw: &str) -> Result<LimitedText, AppError> {
    LimitedText::line(field, raw, limits::GROUP_NAME, "Name the group.")
}

pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<FamilyGroup>> {
    family_groups::table
        .filter(family_groups::case_id.eq(case_id))
        .select(FamilyGroup::as_select())
        .order((family_groups::created_at.asc(), family_groups::id.asc()))
        .load(conn)
}

/// The case's groups with their members, as staff see them.
pub fn views(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<GroupView>> {
    let members: Vec<(RelativeId, Option<FamilyGroupId>, bool)> = relatives_t::table
        .filter(relatives_t::case_id.eq(case_id))
        .select((
            relatives_t::id,
            relatives_t::family_group_id,
            relatives_t::point_of_contact,
        ))
        .order(relatives_t::full_name.asc())
        .load(conn)?;
    Ok(list(conn, case_id)?
        .into_iter()
        .map(|group| {
            let mine = members
                .iter()
                .filter(|(_, g, _)| g.as_ref() == Some(&group.id));
            GroupView {
                members: mine.clone().map(|(r, _, _)| r.clone()).collect(),
                points_of_contact: mine.filter(|m| m.2).map(|(r, _, _)| r.clone()).collect(),
                group,
            }
        })
        .collect())
}

/// The group `id` of this case, or 422 naming `field`: a group of another case is not one
/// of this case's groups.
pub fn require(
    conn: &mut DbConn,
    case_id: &CaseId,
    id: &FamilyGroupId,
    field: &str,
) -> Result<FamilyGroup, AppError> {
    family_groups::table
        .filter(family_groups::id.eq(id))
        .filter(family_groups::case_id.eq(case_id))
        .select(FamilyGroup::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::invalid(field, "This is not a family group of this case."))
}

/// The group something shared with one part of the family goes to: `given`, which must be
/// the case's; otherwise the case's only group. A case with several groups needs a choice
/// (422); one with none has no family to share with yet (409).
pub fn target(
    conn: &mut DbConn,
    case_id: &CaseId,
    given: Option<&FamilyGroupId>,
    field: &str,
) -> Result<FamilyGroupId, AppError> {
    if let Some(id) = given {
        return Ok(require(conn, case_id, id, field)?.id);
    }
    let mut groups = list(conn, case_id)?;
    match groups.len() {
        0 => Err(AppError::conflict(
            "no_family_group",
            "This case has no family group yet. Add a relative first.",
        )),
        1 => Ok(groups.remove(0).id),
        _ => Err(AppError::invalid(
            field,
            "This case has more than one family group. Choose the group this is for.",
        )),
    }
}

/// The group of a relative of the case (every relative has one).
pub fn of_relative(
    conn: &mut DbConn,
    case_id: &CaseId,
    relative: &RelativeId,
) -> Result<FamilyGroupId, AppError> {
    relatives_t::table
        .filter(relatives_t::id.eq(relative))
        .filter(relatives_t::case_id.eq(case_id))
        .select(relatives_t::family_group_id)
        .first::<Option<FamilyGroupId>>(conn)
        .optional()?
        .flatten()
        .ok_or_else(|| AppError::invalid("relative_id", "This is not a relative of this case."))
}

pub(crate) fn insert(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    name: &str,
) -> Result<FamilyGroupId, AppError> {
    let id = FamilyGroupId::new();
    diesel::insert_into(family_groups::table)
        .values((
            family_groups::id.eq(&id),
            family_groups::case_id.eq(case_id),
            family_groups::name.eq(name),
            family_groups::created_by.eq(&user.id),
            family_groups::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    audit::event(&Actor::Staff(user.id.clone()), "family_group.create")
        .record("family_group", &id)
        .case(case_id)
        .write(conn)?;
    Ok(id)
}

/// The group a relative being added joins, made now when it is new (in the caller's
/// transaction, which also adds the relative).
pub fn for_new_relative(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    joining: &Joining,
) -> Result<FamilyGroupId, AppError> {
    match joining {
        Joining::Group(id) => Ok(require(conn, case_id, id, "family_group_id")?.id),
        Joining::New(name) => insert(conn, user, case_id, name.as_str()),
        Joining::Only => match list(conn, case_id)?.as_slice() {
            [] => insert(conn, user, case_id, DEFAULT_NAME),
            [only] => Ok(only.id.clone()),
            _ => Err(AppError::invalid(
                "family_group_id",
                "This case has more than one family group. Choose the relative's group, or name a new one.",
            )),
        },
    }
}
