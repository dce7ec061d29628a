//! A case's type and milestones as JSON: where each milestone stands, changing the type, and
//! marking a milestone not needed or needed after all. A milestone is recorded as reached by
//! an update (`POST .../updates` with `milestone` and `reached_on`).

use serde::Deserialize;

use crate::casework::input;
use crate::casework::limits;
use crate::casework::milestones::{self, Mark, Progress};
use crate::casework::types::{CaseType, Milestone};
use crate::domain::CaseId;
use crate::domain::raw::RequiredText;
use crate::web::api::errors::{ApiError, BodyErrors, CaseErrors};
use crate::web::api::{ApiJson, OnCase, Reading, json_answer};

use super::{Answer, on_case};

#[utoipa::path(
    get, path = "/api/v1/cases/{id}/milestones", tag = "cases",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The case's type, its milestones where they stand, every milestone record and every change of type", body = Progress),
        CaseErrors,
    ),
)]
pub async fn milestones_get((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "milestones", |conn, case| {
        let case = crate::casework::cases::find(conn, &case.id)?
            .ok_or(crate::error::AppError::NotFound)?;
        Ok(milestones::progress(conn, &case)?)
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeChangeBody {
    case_type: CaseType,
    /// Why; kept on the case's record.
    reason: RequiredText<{ limits::REASON }>,
}

/// Changes the case's type, which decides its milestones. Milestones reached keep their
/// dates; those the new type lacks stay in the history.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/type", tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = TypeChangeBody,
    responses(
        (status = 200, description = "Changed", body = Progress),
        (status = 409, description = "The case is already of that type, or closed", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn type_change(
    (state, user, path, body): OnCase<CaseId, ApiJson<TypeChangeBody>>,
) -> Answer {
    let body = body.into_inner()?;
    let reason = input::type_change_reason(&body.reason)?;
    let (me, id, case_type) = (user.0, path.into_inner(), body.case_type);
    json_answer(&state, move |conn| {
        milestones::change_type(conn, &me, &id, case_type, &reason)
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkBody {
    /// One of the case type's milestones.
    milestone: Milestone,
    /// Why; kept on the case's record (staff only).
    reason: RequiredText<{ limits::REASON }>,
}

async fn mark((state, user, path, body): OnCase<CaseId, ApiJson<MarkBody>>, how: Mark) -> Answer {
    let body = body.into_inner()?;
    let reason = input::milestone_reason(&body.reason)?;
    let (me, id, milestone) = (user.0, path.into_inner(), body.milestone);
    json_answer(&state, move |conn| {
        milestones::mark(conn, &me, &id, milestone, how, &reason)
    })
    .await
}

/// Marks a milestone that does not apply to this case as not needed: it drops from the
/// family's stepper.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/milestones/not-needed", tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = MarkBody,
    responses(
        (status = 200, description = "Marked", body = Progress),
        (status = 409, description = "Reached already, marked already, or the case is closed", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn not_needed(asked: OnCase<CaseId, ApiJson<MarkBody>>) -> Answer {
    mark(asked, Mark::NotNeeded).await
}

/// Marks a milestone that was marked not needed as needed after all: it returns to the
/// family's stepper.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/milestones/needed", tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = MarkBody,
    responses(
        (status = 200, description = "Marked", body = Progress),
        (status = 409, description = "Not marked not needed, or the case is closed", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn needed(asked: OnCase<CaseId, ApiJson<MarkBody>>) -> Answer {
    mark(asked, Mark::Needed).await
}
