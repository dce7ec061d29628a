//! Other agencies and the family's entitlements, for officers on the case and managers: the
//! case's contacts outside the force (add one; end one with a reason), and each relative's
//! referrals to support services and Victims' Code entitlements with what is outstanding
//! (record a referral; record an entitlement met). Fields of a page's second form are named
//! with a prefix (`end_...`, `entitlement_...`) so that each has an id of its own.

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::casework::agencies::{self, AgencyContact};
use crate::casework::entitlements::{self, RelativeStanding};
use crate::casework::input::{self, AgencyFields, EntitlementFields, Picked, ReferralFields};
use crate::casework::limits;
use crate::casework::time::london_date;
use crate::casework::types::{AgencyRole, Entitlement, ReferralOutcome};
use crate::domain::{FamilyGroupId, FormErrors, RelativeId, Validator};

use super::{Asked, CaseGet, CasePost, Choice, Page, case_url, choices, group_choices, save};

// ---- agencies ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AgencyForm {
    name: String,
    organisation: String,
    role: String,
    role_detail: String,
    phone: String,
    email: String,
    hours: String,
    shared_with_family: Option<String>,
    family_group_id: String,
    end_agency_id: String,
    end_reason: String,
}

#[derive(Serialize)]
struct AgenciesPage<'a> {
    agencies: Vec<AgencyContact>,
    current: Vec<Choice>,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
    form: &'a AgencyForm,
    errors: FormErrors,
}

async fn agencies_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &AgencyForm,
    errors: FormErrors,
) -> Page {
    let (_, header) = on.load("agencies").await?;
    let list = on.read(|conn, id| Ok(agencies::list(conn, id)?)).await?;
    let body = AgenciesPage {
        current: list
            .iter()
            .filter(|a| a.ended_at.is_none())
            .map(|a| Choice {
                value: a.id.clone(),
                text: format!("{}, {}", a.name, a.organisation),
                selected: a.id == form.end_agency_id,
            })
            .collect(),
        agencies: list,
        roles: choices(
            AgencyRole::ALL,
            AgencyRole::as_str,
            AgencyRole::label,
            &form.role,
        ),
        groups: group_choices(&header, &form.family_group_id),
        form,
        errors,
    };
    on.page(
        status,
        "pages/staff/agencies",
        "Other agencies",
        header,
        body,
    )
}

pub async fn agencies((req, state, user, path): CaseGet) -> Page {
    let on = Asked::new(&req, &state, &user, &path);
    agencies_page(
        on,
        StatusCode::OK,
        &AgencyForm::default(),
        FormErrors::default(),
    )
    .await
}

pub async fn agency_add((req, state, user, path, form): CasePost<AgencyForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let new = input::agency(
        AgencyFields {
            name: &form.name,
            organisation: &form.organisation,
            role: Picked::text(&form.role, AgencyRole::parse),
            role_detail: Some(&form.role_detail),
            phone: Some(&form.phone),
            email: Some(&form.email),
            hours: Some(&form.hours),
            shared_with_family: form.shared_with_family.is_some(),
            group: Picked::text(&form.family_group_id, FamilyGroupId::parse),
        },
        &mut v,
    );
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        v.finish_with(new),
        move |conn, new| agencies::add(conn, &me, &cid, &new),
        "name",
        |_| format!("{}/agencies?saved=1", case_url(&id)),
        async |errors| {
            let on = Asked::new(&req, &state, &user, &id);
            agencies_page(on, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await
        },
    )
    .await
}

pub async fn agency_end((req, state, user, path, form): CasePost<AgencyForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let agency = form.end_agency_id.trim().to_owned();
    if agency.is_empty() {
        v.add("agency_id", "Choose the contact to end.");
    }
    let reason = v.check(input::required("reason", &form.end_reason, limits::REASON));
    let checked = v.finish_with(reason);
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        checked,
        move |conn, reason| agencies::end(conn, &me, &cid, &agency, &reason),
        "agency_id",
        |_| format!("{}/agencies?saved=1", case_url(&id)),
        async |errors| {
            let on = Asked::new(&req, &state, &user, &id);
            let errors = errors.prefixed("end_");
            agencies_page(on, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await
        },
    )
    .await
}

// ---- referrals and entitlements -----------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EntitlementForm {
    referral_relative_id: String,
    referral_organisation: String,
    referral_offered_on: String,
    referral_outcome: String,
    referral_consent: Option<String>,
    referral_note: String,
    entitlement_relative_id: String,
    entitlement_entitlement: String,
    entitlement_met_on: String,
    entitlement_note: String,
}

#[derive(Serialize)]
struct EntitlementsPage<'a> {
    relatives: Vec<RelativeStanding>,
    referral_relatives: Vec<Choice>,
    entitlement_relatives: Vec<Choice>,
    outcomes: Vec<Choice>,
    kinds: Vec<Choice>,
    form: &'a EntitlementForm,
    errors: FormErrors,
}

async fn entitlements_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &EntitlementForm,
    errors: FormErrors,
) -> Page {
    let (_, header) = on.load("entitlements").await?;
    let relatives = on
        .read(|conn, id| Ok(entitlements::standing(conn, id)?))
        .await?;
    let people = |selected: &str| -> Vec<Choice> {
        relatives
            .iter()
            .map(|r| Choice {
                value: r.relative_id.to_string(),
                text: r.full_name.clone(),
                selected: r.relative_id.as_str() == selected,
            })
            .collect()
    };
    let body = EntitlementsPage {
        referral_relatives: people(&form.referral_relative_id),
        entitlement_relatives: people(&form.entitlement_relative_id),
        outcomes: choices(
            ReferralOutcome::ALL,
            ReferralOutcome::as_str,
            ReferralOutcome::label,
            &form.referral_outcome,
        ),
        kinds: choices(
            Entitlement::ALL,
            Entitlement::as_str,
            Entitlement::label,
            &form.entitlement_entitlement,
        ),
        relatives,
        form,
        errors,
    };
    on.page(
        status,
        "pages/staff/entitlements",
        "Support and entitlements",
        header,
        body,
    )
}

fn today() -> String {
    london_date(crate::db::now()).to_string()
}

pub async fn entitlements_view((req, state, user, path): CaseGet) -> Page {
    let on = Asked::new(&req, &state, &user, &path);
    let form = EntitlementForm {
        referral_offered_on: today(),
        entitlement_met_on: today(),
        ..EntitlementForm::default()
    };
    entitlements_page(on, StatusCode::OK, &form, FormErrors::default()).await
}

/// The end of either form of the entitlements page: the checked input written by `write`,
/// back to the page; or the page again (422) with the errors under the form's `prefix`.
async fn save_entitlement<T: Send + 'static, R: Send + 'static>(
    (req, state, user, path, form): (
        actix_web::HttpRequest,
        actix_web::web::Data<crate::state::AppState>,
        crate::auth::CaseworkOnCase,
        crate::domain::CaseId,
        EntitlementForm,
    ),
    checked: Result<T, Result<FormErrors, crate::error::AppError>>,
    prefix: &'static str,
    write: impl FnOnce(
        &mut crate::db::DbConn,
        &crate::auth::session::StaffUser,
        &crate::domain::CaseId,
        T,
    ) -> Result<R, crate::error::AppError>
    + Send
    + 'static,
) -> Page {
    let (me, cid) = (user.0.clone(), path.clone());
    save(
        &state,
        checked,
        move |conn, new| write(conn, &me, &cid, new),
        "relative_id",
        |_| format!("{}/entitlements?saved=1", case_url(&path)),
        async |errors| {
            let on = Asked::new(&req, &state, &user, &path);
            let errors = errors.prefixed(prefix);
            entitlements_page(on, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await
        },
    )
    .await
}

pub async fn referral_record((req, state, user, path, form): CasePost<EntitlementForm>) -> Page {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let new = input::referral(
        ReferralFields {
            relative: Picked::text(&form.referral_relative_id, RelativeId::parse),
            organisation: &form.referral_organisation,
            offered_on: &form.referral_offered_on,
            outcome: Picked::text(&form.referral_outcome, ReferralOutcome::parse),
            consent: form.referral_consent.is_some(),
            note: Some(&form.referral_note),
        },
        &mut v,
    );
    let checked = v.finish_with(new);
    let asked = (req, state, user, path.into_inner(), form);
    save_entitlement(asked, checked, "referral_", |conn, me, id, new| {
        entitlements::refer(conn, me, id, &new)
    })
    .await
}

pub async fn entitlement_record((req, state, user, path, form): CasePost<EntitlementForm>) -> Page {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let new = input::entitlement(
        EntitlementFields {
            relative: Picked::text(&form.entitlement_relative_id, RelativeId::parse),
            entitlement: Picked::text(&form.entitlement_entitlement, Entitlement::parse),
            met_on: &form.entitlement_met_on,
            note: Some(&form.entitlement_note),
        },
        &mut v,
    );
    let checked = v.finish_with(new);
    let asked = (req, state, user, path.into_inner(), form);
    save_entitlement(asked, checked, "entitlement_", |conn, me, id, new| {
        entitlements::meet(conn, me, id, &new)
    })
    .await
}
