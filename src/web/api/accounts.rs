//! Accounts, teams and the audit log as JSON, for administrators.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::accounts::users::UserFields;
use crate::accounts::{Team, User, teams, users};
use crate::audit::{self, Actor};
use crate::auth::{AdminUser, AuditReader};
use crate::domain::raw::{Email, OneLine, Phone};
use crate::domain::{PersonName, Picked, Role, TeamId, TeamName, UserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::admin::audit::AuditFilter;
use crate::web::api::ApiJson;
use crate::web::forms::Validator;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserWithTeams {
    #[serde(flatten)]
    user: User,
    teams: Vec<TeamId>,
}

fn with_teams(conn: &mut crate::db::DbConn, user: User) -> Result<UserWithTeams, AppError> {
    let teams = teams::of_user(conn, &user.id)?
        .into_iter()
        .map(|t| t.id)
        .collect();
    Ok(UserWithTeams { user, teams })
}

#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "accounts",
    responses(
        (status = 200, description = "Every account", body = [UserWithTeams]),
        crate::web::api::errors::SignInNeeded,
        crate::web::api::errors::NotAllowed,
    ),
)]
pub async fn list_users(
    state: web::Data<AppState>,
    _admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let all = state
        .db
        .run(|conn| {
            users::list(conn)?
                .into_iter()
                .map(|u| with_teams(conn, u))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(all))
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "accounts",
    params(("id" = UserId, Path)),
    responses(
        (status = 200, description = "The account", body = UserWithTeams),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn get_user(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user = state
        .db
        .run(move |conn| {
            let user = users::find(conn, &id)?.ok_or(AppError::NotFound)?;
            with_teams(conn, user)
        })
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    email: Email,
    display_name: OneLine<{ PersonName::MAX_LEN }>,
    role: Role,
    #[serde(default)]
    phone: Option<Phone>,
    /// Chosen for the person, who must change it when they first sign in.
    // The bounds are NewPassword::MIN_LEN and NewPassword::MAX_LEN.
    #[schema(min_length = 12, max_length = 256)]
    password: String,
    #[serde(default)]
    teams: Vec<TeamId>,
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "accounts",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserWithTeams),
        crate::web::api::errors::SignInNeeded,
        crate::web::api::errors::NotAllowed,
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn create_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: ApiJson<CreateUser>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let mut v = Validator::default();
    let checked = users::check_new(
        UserFields {
            email: &body.email,
            display_name: &body.display_name,
            role: Picked::Given(body.role),
            phone: body.phone.as_deref(),
            password: &body.password,
            teams: body.teams.iter().cloned().map(Picked::Given).collect(),
        },
        &mut v,
    );
    let new = v.finish_api_with(checked)?.hashed().await?;
    let actor = Actor::Staff(admin.id.clone());
    let user = state
        .db
        .run(move |conn| {
            let user = users::create(conn, &actor, new)?;
            with_teams(conn, user)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", user.user.id)))
        .json(user))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    role: Role,
}

#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "accounts",
    params(("id" = UserId, Path)),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "Changed", body = UserWithTeams),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn update_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
    body: ApiJson<UpdateUser>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let (id, actor) = (path.into_inner(), Actor::Staff(admin.id.clone()));
    let user = state
        .db
        .run(move |conn| {
            let user = users::change_role(conn, &actor, &id, body.role)?;
            with_teams(conn, user)
        })
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/deactivate",
    tag = "accounts",
    params(("id" = UserId, Path)),
    responses(
        (status = 200, description = "Deactivated; every session ended", body = UserWithTeams),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (path.into_inner(), Actor::Staff(admin.id.clone()));
    let user = state
        .db
        .run(move |conn| {
            let user = users::deactivate(conn, &actor, &id)?;
            with_teams(conn, user)
        })
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/reactivate",
    tag = "accounts",
    params(("id" = UserId, Path)),
    responses(
        (status = 200, description = "Reactivated", body = UserWithTeams),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn reactivate_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (path.into_inner(), Actor::Staff(admin.id.clone()));
    let user = state
        .db
        .run(move |conn| {
            let user = users::reactivate(conn, &actor, &id)?;
            with_teams(conn, user)
        })
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    team: Team,
    members: Vec<UserId>,
}

fn with_members(conn: &mut crate::db::DbConn, team: Team) -> Result<TeamWithMembers, AppError> {
    let members = teams::members(conn, &team.id)?
        .into_iter()
        .map(|u| u.id)
        .collect();
    Ok(TeamWithMembers { team, members })
}

#[utoipa::path(
    get,
    path = "/api/v1/teams",
    tag = "accounts",
    responses(
        (status = 200, description = "Every team", body = [TeamWithMembers]),
        crate::web::api::errors::SignInNeeded,
        crate::web::api::errors::NotAllowed,
    ),
)]
pub async fn list_teams(
    state: web::Data<AppState>,
    _admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let all = state
        .db
        .run(|conn| {
            teams::list(conn)?
                .into_iter()
                .map(|t| with_members(conn, t))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(all))
}

#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}",
    tag = "accounts",
    params(("id" = TeamId, Path)),
    responses(
        (status = 200, description = "The team", body = TeamWithMembers),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn get_team(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<TeamId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let team = state
        .db
        .run(move |conn| {
            let team = teams::find(conn, &id)?.ok_or(AppError::NotFound)?;
            with_members(conn, team)
        })
        .await?;
    Ok(HttpResponse::Ok().json(team))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    name: OneLine<{ TeamName::MAX_LEN }>,
}

#[utoipa::path(
    post,
    path = "/api/v1/teams",
    tag = "accounts",
    request_body = CreateTeam,
    responses(
        (status = 201, description = "Created", body = TeamWithMembers),
        crate::web::api::errors::SignInNeeded,
        crate::web::api::errors::NotAllowed,
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn create_team(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: ApiJson<CreateTeam>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let name = TeamName::parse("name", &body.name)?;
    let actor = Actor::Staff(admin.id.clone());
    let team = state
        .db
        .run(move |conn| {
            let team = teams::create(conn, &actor, &name)?;
            with_members(conn, team)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/teams/{}", team.team.id)))
        .json(team))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    user_id: UserId,
}

#[utoipa::path(
    post,
    path = "/api/v1/teams/{id}/members",
    tag = "accounts",
    params(("id" = TeamId, Path)),
    request_body = AddMember,
    responses(
        (status = 200, description = "Added", body = TeamWithMembers),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn add_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<TeamId>,
    body: ApiJson<AddMember>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let (team_id, actor) = (path.into_inner(), Actor::Staff(admin.id.clone()));
    let team = state
        .db
        .run(move |conn| {
            teams::add_member(conn, &actor, &team_id, &body.user_id)?;
            let team = teams::find(conn, &team_id)?.ok_or(AppError::NotFound)?;
            with_members(conn, team)
        })
        .await?;
    Ok(HttpResponse::Ok().json(team))
}

#[utoipa::path(
    delete,
    path = "/api/v1/teams/{id}/members/{user_id}",
    tag = "accounts",
    params(("id" = TeamId, Path), ("user_id" = UserId, Path)),
    responses(
        (status = 204, description = "Removed"),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn remove_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(TeamId, UserId)>,
) -> Result<HttpResponse, AppError> {
    let ((team_id, user_id), actor) = (path.into_inner(), Actor::Staff(admin.id.clone()));
    state
        .db
        .run(move |conn| teams::remove_member(conn, &actor, &team_id, &user_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(AuditFilter),
    responses(
        (status = 200, description = "Audit events, newest first", body = [audit::AuditEvent]),
        crate::web::api::errors::Unreadable,
        crate::web::api::errors::SignInNeeded,
        crate::web::api::errors::NotAllowed,
    ),
)]
pub async fn audit_log(
    state: web::Data<AppState>,
    _reader: AuditReader,
    filter: web::Query<AuditFilter>,
) -> Result<HttpResponse, AppError> {
    let query = filter.to_query();
    let events = state
        .db
        .run(move |conn| Ok(audit::list(conn, &query)?))
        .await?;
    Ok(HttpResponse::Ok().json(events))
}
