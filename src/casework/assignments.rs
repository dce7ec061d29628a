//! Named contacts: who holds which role on a case, from when to when, how the family reaches
//! them, and who covers when they are away. Assigning and ending are manager actions; history
//! is kept (an assignment ends, it is never overwritten), so a family can see who their
//! contact was and who it is now.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::groups;
use crate::casework::notices::{News, notify_family, notify_groups};
use crate::casework::record::require_open;
use crate::casework::types::AssignmentRole;
use crate::db::schema::{assignments, users};
use crate::db::{self, DbConn};
use crate::domain::{AssignmentId, CaseId, EmailAddress, FamilyGroupId, LimitedText, Role, UserId};
use crate::error::AppError;
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    pub id: AssignmentId,
    pub case_id: CaseId,
    pub user_id: UserId,
    pub user_name: String,
    pub role: AssignmentRole,
    pub role_label: &'static str,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub starts_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub ends_at: Option<NaiveDateTime>,
    pub visible_to_family: bool,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub working_hours: String,
    pub cover_user_id: Option<UserId>,
    pub cover_name: Option<String>,
    pub cover_note: Option<String>,
    pub end_reason: Option<String>,
    pub active: bool,
    /// The family group this contact is named to (say, a group's own FLO); `None`: every
    /// group.
    pub family_group_id: Option<FamilyGroupId>,
}

#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub user_id: UserId,
    pub role: AssignmentRole,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub visible_to_family: bool,
    pub contact_phone: Option<String>,
    pub contact_email: Option<EmailAddress>,
    pub working_hours: Option<LimitedText>,
    pub cover_user_id: Option<UserId>,
    pub cover_note: Option<LimitedText>,
    /// Named to one family group only; `None`: to every group.
    pub family_group_id: Option<FamilyGroupId>,
}

type Row = (
    AssignmentId,
    CaseId,
    UserId,
    AssignmentRole,
    NaiveDateTime,
    Option<NaiveDateTime>,
    bool,
    Option<String>,
    Option<String>,
    String,
    Option<UserId>,
    Option<String>,
    Option<String>,
    Option<FamilyGroupId>,
);

fn name_of(conn: &mut DbConn, id: &UserId) -> QueryResult<String> {
    users::table
        .find(id)
        .select(users::display_name)
        .first(conn)
}

/// Every assignment on a case, current first, then by start.
pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<Assignment>> {
    let now = db::now();
    let rows: Vec<Row> = assignments::table
        .filter(assignments::case_id.eq(case_id))
        .select((
            assignments::id,
            assignments::case_id,
            assignments::user_id,
            assignments::role,
            assignments::starts_at,
            assignments::ends_at,
            assignments::visible_to_family,
            assignments::contact_phone,
            assignments::contact_email,
            assignments::working_hours,
            assignments::cover_user_id,
            assignments::cover_note,
            assignments::end_reason,
            assignments::family_group_id,
        ))
        .order((assignments::starts_at.desc(), assignments::id.desc()))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (
        id,
        case_id,
        user_id,
        role,
        starts_at,
        ends_at,
        visible,
        phone,
        email,
        hours,
        cover,
        cover_note,
        end_reason,
        family_group_id,
    ) in rows
    {
        let active = starts_at <= now && ends_at.is_none_or(|e| e > now);
        out.push(Assignment {
            user_name: name_of(conn, &user_id)?,
            cover_name: match &cover {
                Some(c) => Some(name_of(conn, c)?),
                None => None,
            },
            id,
            case_id,
            user_id,
            role,
            role_label: role.label(),
            starts_at,
            ends_at,
            visible_to_family: visible,
            contact_phone: phone,
            contact_email: email,
            working_hours: hours,
            cover_user_id: cover,
            cover_note,
            end_reason,
            active,
            family_group_id,
        });
    }
    out.sort_by_key(|a| !a.active);
    Ok(out)
}

/// Tells the family, or the one group a contact is named to, that their named contacts
/// changed.
fn tell_family(
    conn: &mut DbConn,
    case_id: &CaseId,
    group: Option<&FamilyGroupId>,
    cause: &str,
    by: &UserId,
) -> QueryResult<()> {
    let news = News {
        kind: Kind::FamilyContactChanged,
        cause,
        by,
        path: "/family/contacts".into(),
    };
    match group {
        Some(group) => notify_groups(conn, case_id, std::slice::from_ref(group), &news),
        None => notify_family(conn, case_id, &news),
    }
}

fn require_staff_member(conn: &mut DbConn, id: &UserId, field: &str) -> Result<(), AppError> {
    let found: Option<(Role, bool)> = users::table
        .find(id)
        .select((users::role, users::active))
        .first(conn)
        .optional()?;
    match found {
        Some((Role::Officer | Role::Manager, true)) => Ok(()),
        Some((Role::Admin, _)) => Err(AppError::invalid(
            field,
            "Administrators cannot be named contacts on a case.",
        )),
        Some((_, false)) => Err(AppError::invalid(field, "That account is deactivated.")),
        None => Err(AppError::invalid(field, "Choose a person from the list.")),
    }
}

/// Assigns a staff member to a case (managers only). The assignee is told; if the family sees
/// this contact, they are told their named contacts changed.
pub fn assign(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewAssignment,
) -> Result<Assignment, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        access::require_manager(conn, user, &case)?;
        require_open(&case)?;
        require_staff_member(conn, &new.user_id, "user_id")?;
        if let Some(cover) = &new.cover_user_id {
            require_staff_member(conn, cover, "cover_user_id")?;
            if cover == &new.user_id {
                return Err(AppError::invalid(
                    "cover_user_id",
                    "Someone else must cover when this person is away.",
                ));
            }
        }
        if new.ends_at.is_some_and(|e| e <= new.starts_at) {
            return Err(AppError::invalid(
                "ends_at",
                "The end must be after the start.",
            ));
        }
        if let Some(group) = &new.family_group_id {
            groups::require(conn, case_id, group, "family_group_id")?;
        }
        let id = AssignmentId::new();
        diesel::insert_into(assignments::table)
            .values((
                assignments::id.eq(&id),
                assignments::case_id.eq(case_id),
                assignments::user_id.eq(&new.user_id),
                assignments::role.eq(new.role),
                assignments::starts_at.eq(new.starts_at),
                assignments::ends_at.eq(new.ends_at),
                assignments::visible_to_family.eq(new.visible_to_family),
                assignments::contact_phone.eq(new.contact_phone.as_deref()),
                assignments::contact_email.eq(new.contact_email.as_ref().map(EmailAddress::as_str)),
                assignments::working_hours.eq(new
                    .working_hours
                    .as_ref()
                    .map(LimitedText::as_str)
                    .unwrap_or("")),
                assignments::cover_user_id.eq(new.cover_user_id.as_ref()),
                assignments::cover_note.eq(new.cover_note.as_ref().map(LimitedText::as_str)),
                assignments::created_by.eq(&user.id),
                assignments::created_at.eq(db::now()),
                assignments::family_group_id.eq(new.family_group_id.as_ref()),
            ))
            .execute(conn)?;
        outbox::enqueue(
            conn,
            &Notice {
                kind: Kind::CaseAssigned,
                recipient: Recipient::Staff(new.user_id.clone()),
                case_id: Some(case_id.clone()),
                cause: format!("assignment:{id}"),
                payload: serde_json::json!({ "reference": case.reference, "role_label": new.role.label().to_lowercase() }),
            },
        )?;
        if new.visible_to_family {
            let cause = format!("assignment:{id}");
            tell_family(
                conn,
                case_id,
                new.family_group_id.as_ref(),
                &cause,
                &user.id,
            )?;
        }
        audit::event(&Actor::Staff(user.id.clone()), "assignment.create")
            .record("assignment", &id)
            .case(case_id)
            .detail(format!("{} as {}", new.user_id, new.role))
            .write(conn)?;
        list(conn, case_id)?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(AppError::NotFound)
    })
}

/// Ends an assignment now (managers only), with the reason. The record stays.
pub fn end(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &AssignmentId,
    reason: &LimitedText,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        access::require_manager(conn, user, &case)?;
        let now = db::now();
        let visible: Option<(bool, Option<FamilyGroupId>)> = assignments::table
            .filter(assignments::id.eq(id))
            .filter(assignments::case_id.eq(case_id))
            .filter(
                assignments::ends_at
                    .is_null()
                    .or(assignments::ends_at.gt(now)),
            )
            .select((assignments::visible_to_family, assignments::family_group_id))
            .first(conn)
            .optional()?;
        let Some((visible, group)) = visible else {
            return Err(AppError::NotFound);
        };
        diesel::update(assignments::table.find(id))
            .set((
                assignments::ends_at.eq(Some(now)),
                assignments::ended_by.eq(Some(&user.id)),
                assignments::end_reason.eq(Some(reason.as_str())),
            ))
            .execute(conn)?;
        if visible {
            let cause = format!("assignment-end:{id}");
            tell_family(conn, case_id, group.as_ref(), &cause, &user.id)?;
        }
        audit::event(&Actor::Staff(user.id.clone()), "assignment.end")
            .record("assignment", id)
            .case(case_id)
            .write(conn)?;
        Ok(())
    })
}
