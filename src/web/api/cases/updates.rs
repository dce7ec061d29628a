//! Updates on the case timeline, one case or every linked case at once.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::CaseworkOnCase;
use crate::auth::CaseworkUser;
use crate::casework::types::Stage;
use crate::casework::updates::{self, NewUpdate};
use crate::casework::{input, limits};
use crate::domain::CaseId;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::api::ApiJson;

use super::Answer;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    #[schema(pattern = r"\S")]
    title: String,
    body: String,
    shared_with_family: bool,
    stage: Option<Stage>,
    #[serde(default)]
    key_event: bool,
}

impl UpdateBody {
    fn parse(&self) -> Result<NewUpdate, AppError> {
        Ok(NewUpdate {
            title: input::required("title", &self.title, limits::UPDATE_TITLE)?,
            body: input::required("body", &self.body, limits::UPDATE_BODY)?,
            shared_with_family: self.shared_with_family,
            stage: self.stage,
            key_event: self.key_event || self.stage.is_some(),
        })
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
    security(("bearer" = [])),
)]
pub async fn updates_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let list = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "updates")?;
            Ok(updates::list(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
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
    security(("bearer" = [])),
)]
pub async fn update_post(
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<CaseId>,
    body: ApiJson<UpdateBody>,
) -> Answer {
    let new = body.into_inner()?.parse()?;
    let (user, id) = (user.0, path.into_inner());
    let posted = state
        .db
        .run(move |conn| updates::post(conn, &user, &id, &new))
        .await?;
    Ok(HttpResponse::Created().json(posted))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/updates/linked",
    tag = "updates",
    params(("id" = CaseId, Path)),
    request_body = UpdateBody,
    responses(
        (status = 201, description = "Posted to this case and every linked case", body = [updates::Update]),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn update_post_linked(
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<CaseId>,
    body: ApiJson<UpdateBody>,
) -> Answer {
    let new = body.into_inner()?.parse()?;
    let (user, id) = (user.0, path.into_inner());
    let posted = state
        .db
        .run(move |conn| updates::post_to_linked(conn, &user, &id, &new))
        .await?;
    Ok(HttpResponse::Created().json(posted))
}
