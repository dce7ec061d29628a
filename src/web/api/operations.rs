//! Operations as JSON, for managers: the list, one operation (every case of it the manager
//! may see, the reference and team of the rest), making one with a first case, adding and
//! removing a case of the manager's team, and merging another operation into one.

use actix_web::web;
use serde::Deserialize;

use crate::auth::ManagerUser;
use crate::casework::input;
use crate::casework::limits;
use crate::casework::operations::{self, Operation, OperationLine};
use crate::domain::raw::{OneLine, RequiredText};
use crate::domain::{CaseId, OperationId};
use crate::state::AppState;
use crate::web::api::errors::{ApiError, BodyErrors, NotAllowed, NotFoundHere, SignInNeeded};
use crate::web::api::{Answer, ApiJson, created, json_answer};

/// What a manager's change to an operation is given: the path (the operation, and a case of
/// it) and the body.
type OnOperation<B, P = OperationId> = (web::Data<AppState>, ManagerUser, web::Path<P>, B);

#[utoipa::path(
    get, path = "/api/v1/operations", tag = "operations",
    responses(
        (status = 200, description = "Every operation not merged into another, by name", body = [OperationLine]),
        SignInNeeded, NotAllowed,
    ),
)]
pub async fn operations_list(state: web::Data<AppState>, user: ManagerUser) -> Answer {
    let me = user.0;
    json_answer(&state, move |conn| Ok(operations::list(conn, &me)?)).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOperation {
    /// What the operation is called ("Operation Birch").
    name: OneLine<{ limits::OPERATION_NAME }>,
    /// Its first case, of one of the manager's teams.
    case_id: CaseId,
    /// Why the case belongs to it; kept on the record.
    reason: RequiredText<{ limits::REASON }>,
}

#[utoipa::path(
    post, path = "/api/v1/operations", tag = "operations",
    request_body = NewOperation,
    responses(
        (status = 201, description = "Made, with its first case", body = Operation),
        (status = 404, description = "No such case, or not one you may see", body = ApiError),
        (status = 409, description = "The case is in an operation already", body = ApiError),
        SignInNeeded, NotAllowed, BodyErrors,
    ),
)]
pub async fn operation_create(
    state: web::Data<AppState>,
    user: ManagerUser,
    body: ApiJson<NewOperation>,
) -> Answer {
    let body = body.into_inner()?;
    let name = operations::parse_name(&body.name)?;
    let reason = input::required("reason", &body.reason, limits::REASON)?;
    let me = user.0;
    let made = state
        .db
        .run(move |conn| operations::create(conn, &me, &name, &body.case_id, &reason))
        .await?;
    Ok(created(format!("/api/v1/operations/{}", made.id), &made))
}

#[utoipa::path(
    get, path = "/api/v1/operations/{id}", tag = "operations",
    params(("id" = OperationId, Path)),
    responses(
        (status = 200, description = "The operation", body = Operation),
        SignInNeeded, NotAllowed, NotFoundHere,
    ),
)]
pub async fn operation_get(
    (state, user, path): (web::Data<AppState>, ManagerUser, web::Path<OperationId>),
) -> Answer {
    let (me, id) = (user.0, path.into_inner());
    json_answer(&state, move |conn| operations::read(conn, &me, &id)).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseToAdd {
    /// A case of one of the manager's teams, in no operation yet.
    case_id: CaseId,
    /// Why it belongs to the operation; kept on the record.
    reason: RequiredText<{ limits::REASON }>,
}

#[utoipa::path(
    post, path = "/api/v1/operations/{id}/cases", tag = "operations",
    params(("id" = OperationId, Path)),
    request_body = CaseToAdd,
    responses(
        (status = 200, description = "Added", body = Operation),
        (status = 404, description = "No such operation or case, or not one you may see", body = ApiError),
        (status = 409, description = "The case is in an operation already, or this one was merged", body = ApiError),
        SignInNeeded, NotAllowed, BodyErrors,
    ),
)]
pub async fn case_add((state, user, path, body): OnOperation<ApiJson<CaseToAdd>>) -> Answer {
    let body = body.into_inner()?;
    let reason = input::required("reason", &body.reason, limits::REASON)?;
    let (me, id) = (user.0, path.into_inner());
    json_answer(&state, move |conn| {
        operations::add(conn, &me, &id, &body.case_id, &reason)
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Why {
    /// Kept on the record.
    reason: RequiredText<{ limits::REASON }>,
}

#[utoipa::path(
    post, path = "/api/v1/operations/{id}/cases/{case_id}/remove", tag = "operations",
    params(("id" = OperationId, Path), ("case_id" = CaseId, Path)),
    request_body = Why,
    responses(
        (status = 200, description = "Removed, with the reason kept", body = Operation),
        SignInNeeded, NotAllowed, NotFoundHere, BodyErrors,
    ),
)]
pub async fn case_remove(
    (state, user, path, body): OnOperation<ApiJson<Why>, (OperationId, CaseId)>,
) -> Answer {
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (me, (id, case_id)) = (user.0, path.into_inner());
    json_answer(&state, move |conn| {
        operations::remove(conn, &me, &id, &case_id, &reason)
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The operation whose cases move into this one.
    operation_id: OperationId,
    /// Kept on the record.
    reason: RequiredText<{ limits::REASON }>,
}

#[utoipa::path(
    post, path = "/api/v1/operations/{id}/merge", tag = "operations",
    params(("id" = OperationId, Path)),
    request_body = MergeBody,
    responses(
        (status = 200, description = "Merged: every case of the other operation is now in this one", body = Operation),
        (status = 409, description = "One of them was merged already", body = ApiError),
        SignInNeeded, NotAllowed, NotFoundHere, BodyErrors,
    ),
)]
pub async fn merge((state, user, path, body): OnOperation<ApiJson<MergeBody>>) -> Answer {
    let body = body.into_inner()?;
    let reason = input::required("reason", &body.reason, limits::REASON)?;
    let (me, id) = (user.0, path.into_inner());
    json_answer(&state, move |conn| {
        operations::merge(conn, &me, &id, &body.operation_id, &reason)
    })
    .await
}
