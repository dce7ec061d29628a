//! Named contacts outside the force: a coroner's officer, Crown Prosecution Service witness
//! care, a homicide support caseworker, an interpreter, another force's FLO. Officers on the
//! case and managers add them, with organisation, role, phone, e-mail and hours, and choose
//! whether the family sees them (every family group, or one). A contact is ended with a
//! reason and kept; new details are a new contact.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::groups;
use crate::casework::record::require_open;
use crate::casework::types::AgencyRole;
use crate::db::schema::agency_contacts;
use crate::db::{self, DbConn};
use crate::domain::{CaseId, EmailAddress, FamilyGroupId, LimitedText, UserId, new_row_id};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = agency_contacts)]
pub struct AgencyContact {
    pub id: String,
    pub case_id: CaseId,
    pub name: String,
    pub organisation: String,
    pub role: AgencyRole,
    /// What they do, in the organisation's words, where the role needs it.
    pub role_detail: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub hours: Option<String>,
    pub shared_with_family: bool,
    /// The one family group that sees them; none: every group (when shared).
    pub family_group_id: Option<FamilyGroupId>,
    pub added_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub added_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub ended_at: Option<NaiveDateTime>,
    pub ended_by: Option<UserId>,
    pub end_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAgencyContact {
    pub name: LimitedText,
    pub organisation: LimitedText,
    pub role: AgencyRole,
    pub role_detail: Option<LimitedText>,
    pub phone: Option<String>,
    pub email: Option<EmailAddress>,
    pub hours: Option<LimitedText>,
    pub shared_with_family: bool,
    pub family_group_id: Option<FamilyGroupId>,
}

/// Every agency contact of the case, current first, then by when they were added.
pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<AgencyContact>> {
    let mut all: Vec<AgencyContact> = agency_contacts::table
        .filter(agency_contacts::case_id.eq(case_id))
        .select(AgencyContact::as_select())
        .order((agency_contacts::added_at.asc(), agency_contacts::id.asc()))
        .load(conn)?;
    all.sort_by_key(|a| a.ended_at.is_some());
    Ok(all)
}

fn text(t: &Option<LimitedText>) -> Option<&str> {
    t.as_ref().map(LimitedText::as_str)
}

/// Adds an agency contact to the case (officers on it and managers).
pub fn add(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewAgencyContact,
) -> Result<AgencyContact, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        if let Some(group) = &new.family_group_id {
            if !new.shared_with_family {
                return Err(AppError::invalid(
                    "family_group_id",
                    "Only a contact shared with the family is shown to a family group.",
                ));
            }
            groups::require(conn, case_id, group, "family_group_id")?;
        }
        let id = new_row_id();
        diesel::insert_into(agency_contacts::table)
            .values((
                agency_contacts::id.eq(&id),
                agency_contacts::case_id.eq(case_id),
                agency_contacts::name.eq(new.name.as_str()),
                agency_contacts::organisation.eq(new.organisation.as_str()),
                agency_contacts::role.eq(new.role),
                agency_contacts::role_detail.eq(text(&new.role_detail)),
                agency_contacts::phone.eq(&new.phone),
                agency_contacts::email.eq(new.email.as_ref().map(EmailAddress::as_str)),
                agency_contacts::hours.eq(text(&new.hours)),
                agency_contacts::shared_with_family.eq(new.shared_with_family),
                agency_contacts::family_group_id.eq(&new.family_group_id),
                agency_contacts::added_by.eq(&user.id),
                agency_contacts::added_at.eq(db::now()),
            ))
            .execute(conn)?;
        audit::event(&Actor::Staff(user.id.clone()), "agency.add")
            .record("agency_contact", &id)
            .case(case_id)
            .write(conn)?;
        Ok(agency_contacts::table
            .find(&id)
            .select(AgencyContact::as_select())
            .first(conn)?)
    })
}

/// Ends an agency contact with the reason; it stays on the record.
pub fn end(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &str,
    reason: &LimitedText,
) -> Result<AgencyContact, AppError> {
    db::write(conn, |conn| {
        access::require_visible(conn, user, case_id)?;
        let ended = diesel::update(
            agency_contacts::table
                .filter(agency_contacts::id.eq(id))
                .filter(agency_contacts::case_id.eq(case_id))
                .filter(agency_contacts::ended_at.is_null()),
        )
        .set((
            agency_contacts::ended_at.eq(Some(db::now())),
            agency_contacts::ended_by.eq(Some(&user.id)),
            agency_contacts::end_reason.eq(Some(reason.as_str())),
        ))
        .execute(conn)?;
        let found: Option<AgencyContact> = agency_contacts::table
            .filter(agency_contacts::id.eq(id))
            .filter(agency_contacts::case_id.eq(case_id))
            .select(AgencyContact::as_select())
            .first(conn)
            .optional()?;
        let Some(found) = found else {
            return Err(AppError::NotFound);
        };
        if ended == 0 {
            return Err(AppError::conflict(
                "already_ended",
                "This contact was ended already.",
            ));
        }
        audit::event(&Actor::Staff(user.id.clone()), "agency.end")
            .record("agency_contact", id)
            .case(case_id)
            .write(conn)?;
        Ok(found)
    })
}
