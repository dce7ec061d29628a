//! Family groups and restricted relatives as JSON: the case's groups, a new group with its
//! first member, moving a relative between groups, and restricting a relative or lifting it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::SioOrManagerOnCase;
use crate::auth::session::StaffUser;
use crate::casework::groups::{self, GroupView};
use crate::casework::input;
use crate::casework::limits;
use crate::casework::relatives::{self, Relative};
use crate::db::DbConn;
use crate::domain::raw::{OneLine, RequiredText};
use crate::domain::{CaseId, FamilyGroupId, RelativeId};
use crate::family::restrictions::{self, Change, RestrictionEvent};
use crate::state::AppState;
use crate::web::api::errors::{ApiError, BodyErrors, CaseErrors, NotAllowed};
use crate::web::api::{ApiJson, OnCase, Reading, created, json_answer};
use crate::web::messages::{AccessChange, Restricting, change_access};

use super::{Answer, on_case};

#[utoipa::path(
    get, path = "/api/v1/cases/{id}/family-groups", tag = "relatives",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The case's family groups, oldest first", body = [GroupView]),
        CaseErrors,
    ),
)]
pub async fn groups_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "family groups", |conn, case| {
        Ok(groups::views(conn, &case.id)?)
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    /// What staff call the group ("the mother and stepfather").
    name: OneLine<{ limits::GROUP_NAME }>,
    /// A relative of the case, who moves into the group and is its point of contact.
    first_member: RelativeId,
}

/// Makes a family group with its first member, moved from their group (which must keep a
/// member and, if it had one, a point of contact).
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/family-groups", tag = "relatives",
    params(("id" = CaseId, Path)),
    request_body = NewGroup,
    responses(
        (status = 201, description = "Made", body = GroupView),
        (status = 409, description = "The first member is the last member or point of contact of their group, or the case is closed", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn group_create((state, user, path, body): OnCase<CaseId, ApiJson<NewGroup>>) -> Answer {
    let body = body.into_inner()?;
    let name = groups::parse_name("name", &body.name)?;
    let (me, id) = (user.0, path.into_inner());
    let group = state
        .db
        .run(move |conn| relatives::start_group(conn, &me, &id, &name, &body.first_member))
        .await?;
    let location = format!("/api/v1/cases/{}/family-groups", group.group.case_id);
    Ok(created(location, &group))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRelative {
    /// Another group of the same case.
    family_group_id: FamilyGroupId,
    /// Why; kept on the record.
    reason: RequiredText<{ limits::REASON }>,
}

/// Moves a relative to another family group of the case. From now on they read that group's
/// thread; what they wrote stays in the group where they wrote it.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/relatives/{relative_id}/move", tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    request_body = MoveRelative,
    responses(
        (status = 200, description = "Moved", body = Relative),
        (status = 409, description = "Already in that group, or the last member or point of contact of their group", body = ApiError),
        CaseErrors, BodyErrors,
    ),
)]
pub async fn relative_move(
    (state, user, path, body): AccessChange<ApiJson<MoveRelative>>,
) -> Answer {
    let body = body.into_inner()?;
    let reason = input::required("reason", &body.reason, limits::REASON)?;
    let to = body.family_group_id;
    let change = move |conn: &mut DbConn, me: &StaffUser, id: &CaseId, relative: &RelativeId| {
        relatives::move_to_group(conn, me, id, relative, &to, &reason)
    };
    Ok(HttpResponse::Ok().json(change_access(&state, user, path, change).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionReason {
    /// Why; only the case's SIO and managers can read it.
    reason: RequiredText<{ limits::RESTRICTION_REASON }>,
}

/// Restricts a relative (the case's SIO or a manager): their sessions end, their queued
/// notices are cancelled, and nothing is shared with them or shows them to the family.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/relatives/{relative_id}/restrict", tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    request_body = RestrictionReason,
    responses(
        (status = 200, description = "Restricted", body = Relative),
        (status = 409, description = "Already restricted", body = ApiError),
        NotAllowed, CaseErrors, BodyErrors,
    ),
)]
pub async fn restrict(asked: Restricting<ApiJson<RestrictionReason>>) -> Answer {
    restriction(asked, Change::Restrict).await
}

/// Restricts a relative or lifts it, and answers with the relative as they now stand.
async fn restriction(
    (state, user, path, body): Restricting<ApiJson<RestrictionReason>>,
    change: Change,
) -> Answer {
    let reason = input::restriction_reason(&body.into_inner()?.reason)?;
    let ((id, relative), me) = (path.into_inner(), user.0);
    json_answer(&state, move |conn| {
        restrictions::change(conn, &me, &id, &relative, &reason, change)
    })
    .await
}

/// Lifts a relative's restriction (the case's SIO or a manager), with a reason.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/relatives/{relative_id}/lift-restriction", tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    request_body = RestrictionReason,
    responses(
        (status = 200, description = "Lifted", body = Relative),
        (status = 409, description = "Not restricted", body = ApiError),
        NotAllowed, CaseErrors, BodyErrors,
    ),
)]
pub async fn lift(asked: Restricting<ApiJson<RestrictionReason>>) -> Answer {
    restriction(asked, Change::Lift).await
}

/// Every restriction of a relative and its lifting, with the reasons, newest first: for the
/// case's SIO and managers only.
#[utoipa::path(
    get, path = "/api/v1/cases/{id}/relatives/{relative_id}/restrictions", tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    responses(
        (status = 200, description = "Restrictions and liftings", body = [RestrictionEvent]),
        NotAllowed, CaseErrors,
    ),
)]
pub async fn restriction_history(
    (state, user, path): (
        web::Data<AppState>,
        SioOrManagerOnCase,
        web::Path<(CaseId, RelativeId)>,
    ),
) -> Answer {
    let ((id, relative), me) = (path.into_inner(), user.0);
    json_answer(&state, move |conn| {
        restrictions::history(conn, &me, &id, &relative)
    })
    .await
}
