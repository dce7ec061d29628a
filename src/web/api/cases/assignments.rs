//! Named contacts on a case: listing, assigning an officer, ending an assignment.

use actix_web::HttpResponse;
use serde::Deserialize;

use crate::casework::input::{self, AssignmentFields, Moment, Picked};
use crate::casework::types::AssignmentRole;
use crate::casework::{assignments, limits};
use crate::domain::raw::{OptionalEmail, Phone, Text};
use crate::domain::{AssignmentId, CaseId, FamilyGroupId, UserId, Validator};
use crate::web::api::ApiJson;
use crate::web::api::{ManagerOn, Reading};

use super::{Answer, ReasonBody, created_on, on_case};

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/assignments",
    tag = "named contacts",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Every assignment, current first", body = [assignments::Assignment]),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn assignments_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "assignments", |conn, case| {
        Ok(assignments::list(conn, &case.id)?)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// An active officer or manager.
    user_id: UserId,
    role: AssignmentRole,
    /// Absent is now.
    #[schema(format = DateTime)]
    starts_at: Option<String>,
    /// After the start; absent is open-ended.
    #[schema(format = DateTime)]
    ends_at: Option<String>,
    #[serde(default)]
    visible_to_family: bool,
    contact_phone: Option<Phone>,
    contact_email: Option<OptionalEmail>,
    working_hours: Option<Text<{ limits::WORKING_HOURS }>>,
    /// An active officer or manager other than `user_id`.
    cover_user_id: Option<UserId>,
    cover_note: Option<Text<{ limits::NOTE }>>,
    /// Named to one family group only (a group's own FLO or deputy); leave out for every
    /// group.
    #[serde(default)]
    family_group_id: Option<FamilyGroupId>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/assignments",
    tag = "named contacts",
    params(("id" = CaseId, Path)),
    request_body = AssignBody,
    responses(
        (status = 201, description = "Assigned", body = assignments::Assignment),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn assign((state, user, path, body): ManagerOn<CaseId, ApiJson<AssignBody>>) -> Answer {
    let b = body.into_inner()?;
    let mut v = Validator::default();
    let new = input::assignment(
        AssignmentFields {
            user: Picked::Given(b.user_id.clone()),
            role: Picked::Given(b.role),
            starts_at: Moment::exact(b.starts_at.as_deref()),
            ends_at: Moment::exact(b.ends_at.as_deref()),
            visible_to_family: b.visible_to_family,
            contact_phone: b.contact_phone.as_deref(),
            contact_email: b.contact_email.as_deref(),
            working_hours: b.working_hours.as_deref(),
            cover: b.cover_user_id.clone().into(),
            cover_note: b.cover_note.as_deref(),
            group: b.family_group_id.clone().into(),
        },
        &mut v,
    );
    let new = v.finish_api_with(new)?;
    let id = path.into_inner();
    created_on(&state, user.0, id, move |conn, user, id| {
        assignments::assign(conn, user, id, &new)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/assignments/{assignment_id}/end",
    tag = "named contacts",
    params(("id" = CaseId, Path), ("assignment_id" = AssignmentId, Path)),
    request_body = ReasonBody,
    responses(
        (status = 204, description = "Ended"),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn end_assignment(
    (state, user, path, body): ManagerOn<(CaseId, AssignmentId), ApiJson<ReasonBody>>,
) -> Answer {
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (user, (id, assignment)) = (user.0, path.into_inner());
    state
        .db
        .run(move |conn| assignments::end(conn, &user, &id, &assignment, &reason))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
