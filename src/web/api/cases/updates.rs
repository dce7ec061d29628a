//! Updates on the case timeline, one case or every case of its operation at once.

use serde::Deserialize;

use crate::casework::input::{self, Picked, UpdateFields};
use crate::casework::limits;
use crate::casework::types::Milestone;
use crate::casework::updates::{self, NewUpdate};
use crate::domain::raw::RequiredText;
use crate::domain::{CaseId, FamilyGroupId, Validator};
use crate::error::AppError;
use crate::web::api::ApiJson;
use crate::web::api::{OnCase, Reading};

use super::{Answer, created_on, on_case};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    title: RequiredText<{ limits::UPDATE_TITLE }>,
    body: RequiredText<{ limits::UPDATE_BODY }>,
    shared_with_family: bool,
    /// A milestone of the case's type that this update records as reached.
    milestone: Option<Milestone>,
    /// The day the milestone was reached: not in the future, not before the death. Leave out
    /// for today. Read only with `milestone`.
    #[schema(
        format = Date,
        pattern = r"^(?:19[0-9]{2}|[2-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
    )]
    reached_on: Option<String>,
    #[serde(default)]
    key_event: bool,
    /// The family groups of this case a shared update goes to; leave out for every group. (An
    /// update posted to the operation reaches every group of each other case.)
    #[serde(default)]
    family_group_ids: Vec<FamilyGroupId>,
}

impl UpdateBody {
    fn parse(&self) -> Result<NewUpdate, AppError> {
        let mut v = Validator::default();
        let new = input::update(
            UpdateFields {
                title: &self.title,
                body: &self.body,
                shared_with_family: self.shared_with_family,
                milestone: self.milestone.into(),
                reached_on: self.reached_on.as_deref(),
                key_event: self.key_event,
                groups: self
                    .family_group_ids
                    .iter()
                    .cloned()
                    .map(Picked::Given)
                    .collect(),
            },
            &mut v,
        );
        v.finish_api_with(new)
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/updates",
    tag = "updates",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Updates, newest first", body = [updates::Update]),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn updates_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "updates", |conn, case| {
        Ok(updates::list(conn, &case.id)?)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/updates",
    tag = "updates",
    params(("id" = CaseId, Path)),
    request_body = UpdateBody,
    responses(
        (status = 201, description = "Posted", body = updates::Update),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn update_post((state, user, path, body): OnCase<CaseId, ApiJson<UpdateBody>>) -> Answer {
    let new = body.into_inner()?.parse()?;
    let id = path.into_inner();
    created_on(&state, user.0, id, move |conn, user, id| {
        updates::post(conn, user, id, &new)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/updates/operation",
    tag = "updates",
    params(("id" = CaseId, Path)),
    request_body = UpdateBody,
    responses(
        (status = 201, description = "Posted to this case and every other case of its operation", body = [updates::Update]),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn update_post_to_operation(
    (state, user, path, body): OnCase<CaseId, ApiJson<UpdateBody>>,
) -> Answer {
    let new = body.into_inner()?.parse()?;
    let id = path.into_inner();
    created_on(&state, user.0, id, move |conn, user, id| {
        updates::post_to_operation(conn, user, id, &new)
    })
    .await
}
