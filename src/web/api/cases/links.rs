//! Linked cases (an operation): listing, linking with a reason, unlinking.

use actix_web::HttpResponse;
use serde::Deserialize;

use crate::casework::{input, limits, links};
use crate::domain::CaseId;
use crate::domain::raw::RequiredText;
use crate::web::api::ApiJson;
use crate::web::api::{ManagerOn, Reading};

use super::{Answer, ReasonBody, created_on, on_case};

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/links",
    tag = "links",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Current links", body = [links::Link]),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn links_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "links", |conn, id| {
        Ok(links::list(conn, id)?)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Another case the caller can see.
    other_case_id: CaseId,
    reason: RequiredText<{ limits::REASON }>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/links",
    tag = "links",
    params(("id" = CaseId, Path)),
    request_body = LinkBody,
    responses(
        (status = 201, description = "Linked", body = links::Link),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn link((state, user, path, body): ManagerOn<CaseId, ApiJson<LinkBody>>) -> Answer {
    let body = body.into_inner()?;
    let reason = input::required("reason", &body.reason, limits::REASON)?;
    let id = path.into_inner();
    created_on(&state, user.0, id, move |conn, user, id| {
        links::link(conn, user, id, &body.other_case_id, &reason)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/links/{link_id}/remove",
    tag = "links",
    params(("id" = CaseId, Path), ("link_id" = String, Path)),
    request_body = ReasonBody,
    responses(
        (status = 204, description = "Unlinked, with the reason kept"),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn unlink(
    (state, user, path, body): ManagerOn<(CaseId, String), ApiJson<ReasonBody>>,
) -> Answer {
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (user, (id, link_id)) = (user.0, path.into_inner());
    state
        .db
        .run(move |conn| links::unlink(conn, &user, &id, &link_id, &reason))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
