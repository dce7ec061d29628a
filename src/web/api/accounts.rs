//! Accounts, teams and the audit log as JSON, for administrators.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::accounts::users::UserFields;
use crate::accounts::{Team, User, teams, users};
use crate::audit::{self, Actor};
use crate::auth::{AdminUser, AuditReader};
use crate::db::DbConn;
use crate::domain::raw::{Email, OneLine, Phone};
use crate::domain::{PersonName, Picked, Role, TeamId, TeamName, UserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::admin::audit::AuditFilter;
use crate::web::api::errors::{
    BodyErrors, CaseErrors, Conflicts, NotAllowed, SignInNeeded, Unreadable,
};
use crate::web::api::{Answer, ApiJson, created, json_answer};
use crate::web::forms::Validator;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserWithTeams {
    #[serde(flatten)]
    user: User,
    teams: Vec<TeamId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    team: Team,
    members: Vec<UserId>,
}

/// What an administrator's read of an account or a team, or a change without a body, is
/// given: the administrator and the record's path.
pub type AdminRead<P> = (web::Data<AppState>, AdminUser, web::Path<P>);

/// What an administrator's change to an account or a team is given: the administrator
/// (checked before the body is read), the record's path and the body.
pub type AdminOn<P, B> = (web::Data<AppState>, AdminUser, web::Path<P>, B);

/// An account as the API shows it: with the ids of its teams.
fn with_teams(conn: &mut DbConn, user: User) -> Result<UserWithTeams, AppError> {
    let teams = teams::of_user(conn, &user.id)?;
    let teams = teams.into_iter().map(|t| t.id).collect();
    Ok(UserWithTeams { user, teams })
}

/// A team as the API shows it: with the ids of its members.
fn with_members(conn: &mut DbConn, team: Team) -> Result<TeamWithMembers, AppError> {
    let members = teams::members(conn, &team.id)?;
    let members = members.into_iter().map(|u| u.id).collect();
    Ok(TeamWithMembers { team, members })
}

/// Answers with every record `list` finds, each shown with `show`.
async fn answer_all<R, T, E>(
    state: &AppState,
    list: fn(&mut DbConn) -> Result<Vec<R>, E>,
    show: fn(&mut DbConn, R) -> Result<T, AppError>,
) -> Answer
where
    AppError: From<E>,
    E: 'static,
    R: 'static,
    T: Serialize + Send + 'static,
{
    json_answer(state, move |conn| {
        list(conn)?
            .into_iter()
            .map(|record| show(conn, record))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
}

/// Runs `load` (a read or a change) in one database task and shows the record it gives with
/// `show`.
async fn shown<R, T>(
    state: &AppState,
    load: impl FnOnce(&mut DbConn) -> Result<R, AppError> + Send + 'static,
    show: fn(&mut DbConn, R) -> Result<T, AppError>,
) -> Result<T, AppError>
where
    R: 'static,
    T: Send + 'static,
{
    state
        .db
        .run(move |conn| {
            let record = load(conn)?;
            show(conn, record)
        })
        .await
}

/// Answers with the record `find` finds by `id`, shown with `show`; 404 when there is none.
async fn answer_one<I, R, T, E>(
    state: &AppState,
    id: I,
    find: fn(&mut DbConn, &I) -> Result<Option<R>, E>,
    show: fn(&mut DbConn, R) -> Result<T, AppError>,
) -> Answer
where
    AppError: From<E>,
    E: 'static,
    I: Send + 'static,
    R: 'static,
    T: Serialize + Send + 'static,
{
    let load = move |conn: &mut DbConn| find(conn, &id)?.ok_or(AppError::NotFound);
    Ok(HttpResponse::Ok().json(shown(state, load, show).await?))
}

/// Runs an administrator's change to the account `id` and answers with the account as it
/// now is.
async fn change_user(
    state: &AppState,
    admin: &AdminUser,
    id: UserId,
    change: impl FnOnce(&mut DbConn, &Actor, &UserId) -> Result<User, AppError> + Send + 'static,
) -> Answer {
    let actor = Actor::Staff(admin.id.clone());
    let load = move |conn: &mut DbConn| change(conn, &actor, &id);
    Ok(HttpResponse::Ok().json(shown(state, load, with_teams).await?))
}

#[utoipa::path(
    get, path = "/api/v1/users", tag = "accounts",
    responses(
        (status = 200, description = "Every account", body = [UserWithTeams]),
        SignInNeeded, NotAllowed,
    ),
)]
pub async fn list_users(state: web::Data<AppState>, _admin: AdminUser) -> Answer {
    answer_all(&state, users::list, with_teams).await
}

#[utoipa::path(
    get, path = "/api/v1/users/{id}", tag = "accounts",
    params(("id" = UserId, Path)),
    responses((status = 200, description = "The account", body = UserWithTeams), CaseErrors),
)]
pub async fn get_user((state, _admin, path): AdminRead<UserId>) -> Answer {
    answer_one(&state, path.into_inner(), users::find, with_teams).await
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
    post, path = "/api/v1/users", tag = "accounts",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserWithTeams),
        SignInNeeded, NotAllowed, Conflicts, BodyErrors,
    ),
)]
pub async fn create_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: ApiJson<CreateUser>,
) -> Answer {
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
    let create = move |conn: &mut DbConn| users::create(conn, &actor, new);
    let user = shown(&state, create, with_teams).await?;
    Ok(created(format!("/api/v1/users/{}", user.user.id), &user))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    role: Role,
}

#[utoipa::path(
    patch, path = "/api/v1/users/{id}", tag = "accounts",
    params(("id" = UserId, Path)),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "Changed", body = UserWithTeams),
        Conflicts, CaseErrors, BodyErrors,
    ),
)]
pub async fn update_user(
    (state, admin, path, body): AdminOn<UserId, ApiJson<UpdateUser>>,
) -> Answer {
    let role = body.into_inner()?.role;
    change_user(&state, &admin, path.into_inner(), move |conn, actor, id| {
        users::change_role(conn, actor, id, role)
    })
    .await
}

#[utoipa::path(
    post, path = "/api/v1/users/{id}/deactivate", tag = "accounts",
    params(("id" = UserId, Path)),
    responses(
        (status = 200, description = "Deactivated; every session ended", body = UserWithTeams),
        Conflicts, CaseErrors,
    ),
)]
pub async fn deactivate_user((state, admin, path): AdminRead<UserId>) -> Answer {
    change_user(&state, &admin, path.into_inner(), users::deactivate).await
}

#[utoipa::path(
    post, path = "/api/v1/users/{id}/reactivate", tag = "accounts",
    params(("id" = UserId, Path)),
    responses((status = 200, description = "Reactivated", body = UserWithTeams), CaseErrors),
)]
pub async fn reactivate_user((state, admin, path): AdminRead<UserId>) -> Answer {
    change_user(&state, &admin, path.into_inner(), users::reactivate).await
}

#[utoipa::path(
    get, path = "/api/v1/teams", tag = "accounts",
    responses(
        (status = 200, description = "Every team", body = [TeamWithMembers]),
        SignInNeeded, NotAllowed,
    ),
)]
pub async fn list_teams(state: web::Data<AppState>, _admin: AdminUser) -> Answer {
    answer_all(&state, teams::list, with_members).await
}

#[utoipa::path(
    get, path = "/api/v1/teams/{id}", tag = "accounts",
    params(("id" = TeamId, Path)),
    responses((status = 200, description = "The team", body = TeamWithMembers), CaseErrors),
)]
pub async fn get_team((state, _admin, path): AdminRead<TeamId>) -> Answer {
    answer_one(&state, path.into_inner(), teams::find, with_members).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    name: OneLine<{ TeamName::MAX_LEN }>,
}

#[utoipa::path(
    post, path = "/api/v1/teams", tag = "accounts",
    request_body = CreateTeam,
    responses(
        (status = 201, description = "Created", body = TeamWithMembers),
        SignInNeeded, NotAllowed, Conflicts, BodyErrors,
    ),
)]
pub async fn create_team(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: ApiJson<CreateTeam>,
) -> Answer {
    let name = TeamName::parse("name", &body.into_inner()?.name)?;
    let actor = Actor::Staff(admin.id.clone());
    let create = move |conn: &mut DbConn| teams::create(conn, &actor, &name);
    let team = shown(&state, create, with_members).await?;
    Ok(created(format!("/api/v1/teams/{}", team.team.id), &team))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    user_id: UserId,
}

#[utoipa::path(
    post, path = "/api/v1/teams/{id}/members", tag = "accounts",
    params(("id" = TeamId, Path)),
    request_body = AddMember,
    responses(
        (status = 200, description = "Added", body = TeamWithMembers),
        Conflicts, CaseErrors, BodyErrors,
    ),
)]
pub async fn add_member((state, admin, path, body): AdminOn<TeamId, ApiJson<AddMember>>) -> Answer {
    let user_id = body.into_inner()?.user_id;
    let (team_id, actor) = (path.into_inner(), Actor::Staff(admin.id.clone()));
    let add = move |conn: &mut DbConn| {
        teams::add_member(conn, &actor, &team_id, &user_id)?;
        teams::find(conn, &team_id)?.ok_or(AppError::NotFound)
    };
    Ok(HttpResponse::Ok().json(shown(&state, add, with_members).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/teams/{id}/members/{user_id}", tag = "accounts",
    params(("id" = TeamId, Path), ("user_id" = UserId, Path)),
    responses((status = 204, description = "Removed"), CaseErrors),
)]
pub async fn remove_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(TeamId, UserId)>,
) -> Answer {
    let ((team_id, user_id), actor) = (path.into_inner(), Actor::Staff(admin.id.clone()));
    state
        .db
        .run(move |conn| teams::remove_member(conn, &actor, &team_id, &user_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    params(AuditFilter),
    responses(
        (status = 200, description = "Audit events, newest first", body = [audit::AuditEvent]),
        Unreadable, SignInNeeded, NotAllowed,
    ),
)]
pub async fn audit_log(
    state: web::Data<AppState>,
    _reader: AuditReader,
    filter: web::Query<AuditFilter>,
) -> Answer {
    let query = filter.to_query();
    json_answer(&state, move |conn| Ok(audit::list(conn, &query)?)).await
}
