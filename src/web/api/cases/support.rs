//! Other agencies, referrals and Victims' Code entitlements as JSON: the case's agency
//! contacts (added, ended with a reason), each relative's referrals and entitlements with what
//! is still outstanding, and recording a referral or an entitlement met.

use serde::Deserialize;

use crate::casework::agencies::{self, AgencyContact};
use crate::casework::entitlements::{self, EntitlementRecord, Referral, RelativeStanding};
use crate::casework::input::{self, AgencyFields, EntitlementFields, Picked, ReferralFields};
use crate::casework::limits;
use crate::casework::types::{AgencyRole, Entitlement, ReferralOutcome};
use crate::domain::raw::{OneLine, OptionalEmail, Phone, Text};
use crate::domain::{CaseId, FamilyGroupId, PersonName, RelativeId, Validator};
use crate::web::api::errors::{ApiError, BodyErrors, CaseErrors};
use crate::web::api::{ApiJson, OnCase, Reading, json_answer};

use super::{Answer, ReasonBody, created_on, on_case};

#[utoipa::path(
    get, path = "/api/v1/cases/{id}/agencies", tag = "agencies",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Every agency contact, current first", body = [AgencyContact]),
        CaseErrors,
    ),
)]
pub async fn agencies_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "agencies", |conn, case| {
        Ok(agencies::list(conn, &case.id)?)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyBody {
    name: OneLine<{ PersonName::MAX_LEN }>,
    organisation: OneLine<{ limits::ORGANISATION }>,
    role: AgencyRole,
    /// What they do, where the role needs words ("Victim Support caseworker").
    role_detail: Option<Text<{ limits::NOTE }>>,
    phone: Option<Phone>,
    email: Option<OptionalEmail>,
    hours: Option<Text<{ limits::WORKING_HOURS }>>,
    /// Shown on the family's "Who to contact" page.
    #[serde(default)]
    shared_with_family: bool,
    /// Shown to this family group only; leave out for every group.
    family_group_id: Option<FamilyGroupId>,
}

#[utoipa::path(
    post, path = "/api/v1/cases/{id}/agencies", tag = "agencies",
    params(("id" = CaseId, Path)),
    request_body = AgencyBody,
    responses(
        (status = 201, description = "Added", body = AgencyContact),
        (status = 409, description = "The case is closed", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn agency_add((state, user, path, body): OnCase<CaseId, ApiJson<AgencyBody>>) -> Answer {
    let b = body.into_inner()?;
    let mut v = Validator::default();
    let new = input::agency(
        AgencyFields {
            name: &b.name,
            organisation: &b.organisation,
            role: Picked::Given(b.role),
            role_detail: b.role_detail.as_deref(),
            phone: b.phone.as_deref(),
            email: b.email.as_deref(),
            hours: b.hours.as_deref(),
            shared_with_family: b.shared_with_family,
            group: b.family_group_id.clone().into(),
        },
        &mut v,
    );
    let new = v.finish_api_with(new)?;
    created_on(&state, user.0, path.into_inner(), move |conn, user, id| {
        agencies::add(conn, user, id, &new)
    })
    .await
}

#[utoipa::path(
    post, path = "/api/v1/cases/{id}/agencies/{agency_id}/end", tag = "agencies",
    params(("id" = CaseId, Path), ("agency_id" = String, Path)),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Ended, with the reason kept", body = AgencyContact),
        (status = 409, description = "Ended already", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn agency_end(
    (state, user, path, body): OnCase<(CaseId, String), ApiJson<ReasonBody>>,
) -> Answer {
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (me, (id, agency)) = (user.0, path.into_inner());
    json_answer(&state, move |conn| {
        agencies::end(conn, &me, &id, &agency, &reason)
    })
    .await
}

#[utoipa::path(
    get, path = "/api/v1/cases/{id}/entitlements", tag = "entitlements",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Each relative's referrals, entitlements met and what is outstanding", body = [RelativeStanding]),
        CaseErrors,
    ),
)]
pub async fn entitlements_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "entitlements", |conn, case| {
        Ok(entitlements::standing(conn, &case.id)?)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralBody {
    /// A relative of this case.
    relative_id: RelativeId,
    /// The support service.
    organisation: OneLine<{ limits::ORGANISATION }>,
    /// Not in the future.
    #[schema(format = Date, pattern = r"^(?:19[0-9]{2}|[2-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$")]
    offered_on: String,
    outcome: ReferralOutcome,
    /// The relative agreed to their details being passed on: required for an accepted
    /// referral.
    #[serde(default)]
    consent: bool,
    /// Staff only.
    note: Option<Text<{ limits::NOTE }>>,
}

#[utoipa::path(
    post, path = "/api/v1/cases/{id}/referrals", tag = "entitlements",
    params(("id" = CaseId, Path)),
    request_body = ReferralBody,
    responses(
        (status = 201, description = "Recorded", body = Referral),
        (status = 409, description = "The case is closed", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn referral_record(
    (state, user, path, body): OnCase<CaseId, ApiJson<ReferralBody>>,
) -> Answer {
    let b = body.into_inner()?;
    let mut v = Validator::default();
    let new = input::referral(
        ReferralFields {
            relative: Picked::Given(b.relative_id.clone()),
            organisation: &b.organisation,
            offered_on: &b.offered_on,
            outcome: Picked::Given(b.outcome),
            consent: b.consent,
            note: b.note.as_deref(),
        },
        &mut v,
    );
    let new = v.finish_api_with(new)?;
    created_on(&state, user.0, path.into_inner(), move |conn, user, id| {
        entitlements::refer(conn, user, id, &new)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntitlementBody {
    /// A relative of this case.
    relative_id: RelativeId,
    entitlement: Entitlement,
    /// The day it was met; not in the future.
    #[schema(format = Date, pattern = r"^(?:19[0-9]{2}|[2-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$")]
    met_on: String,
    /// Staff only.
    note: Option<Text<{ limits::NOTE }>>,
}

#[utoipa::path(
    post, path = "/api/v1/cases/{id}/entitlements", tag = "entitlements",
    params(("id" = CaseId, Path)),
    request_body = EntitlementBody,
    responses(
        (status = 201, description = "Recorded", body = EntitlementRecord),
        (status = 409, description = "The case is closed", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn entitlement_record(
    (state, user, path, body): OnCase<CaseId, ApiJson<EntitlementBody>>,
) -> Answer {
    let b = body.into_inner()?;
    let mut v = Validator::default();
    let new = input::entitlement(
        EntitlementFields {
            relative: Picked::Given(b.relative_id.clone()),
            entitlement: Picked::Given(b.entitlement),
            met_on: &b.met_on,
            note: b.note.as_deref(),
        },
        &mut v,
    );
    let new = v.finish_api_with(new)?;
    created_on(&state, user.0, path.into_inner(), move |conn, user, id| {
        entitlements::meet(conn, user, id, &new)
    })
    .await
}
