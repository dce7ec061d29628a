//! Accounts: the list, creating one (the person chooses their own password at first sign-in), changing a role, deactivating, reactivating and resetting a password.

use crate::accounts::users::UserFields;
use crate::accounts::{Team, User, teams, users};
use crate::audit::Actor;
use crate::auth::AdminUser;
use crate::auth::csrf::CsrfForm;
use crate::domain::{NewPassword, Picked, Role, TeamId, UserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{FormErrors, Validator};
use crate::web::pages::{self, render, see_other};
use crate::web::staff::account::EmptyForm;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Choice, UsersPage, role_choices, team_choices};

pub async fn users_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let users = state.db.run(|conn| Ok(users::list(conn)?)).await?;
    Ok(pages::ok(
        &req,
        "pages/admin/users",
        "Accounts",
        &admin,
        UsersPage { users },
    ))
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct NewUserForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    team: String,
    #[serde(default, skip_serializing)]
    password: String,
}

#[derive(Serialize)]
struct NewUserPage<'a> {
    form: &'a NewUserForm,
    errors: FormErrors,
    roles: Vec<Choice>,
    teams: Vec<Choice>,
    min_len: usize,
}

async fn new_user_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    form: &NewUserForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let teams = state.db.run(|conn| Ok(teams::list(conn)?)).await?;
    Ok(render(
        req,
        status,
        "pages/admin/user_new",
        "Create an account",
        Some(admin),
        NewUserPage {
            form,
            errors,
            roles: role_choices(&form.role),
            teams: team_choices(&teams, &form.team),
            min_len: NewPassword::MIN_LEN,
        },
    ))
}

pub async fn new_user_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let form = NewUserForm {
        role: Role::Officer.as_str().to_owned(),
        ..NewUserForm::default()
    };
    new_user_page(
        &req,
        &state,
        &admin,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn create_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: CsrfForm<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let checked = users::check_new(
        UserFields {
            email: &form.email,
            display_name: &form.display_name,
            role: Picked::text(&form.role, Role::parse),
            phone: Some(&form.phone),
            password: &form.password,
            teams: vec![Picked::text(&form.team, TeamId::parse)],
        },
        &mut v,
    );
    let errors = match v.finish_with(checked) {
        Ok(checked) => {
            let new = checked.hashed().await?;
            let actor = Actor::Staff(admin.id.clone());
            match state
                .db
                .run(move |conn| users::create(conn, &actor, new))
                .await
            {
                Ok(user) => return Ok(see_other(&format!("/admin/users/{}", user.id))),
                Err(e) => FormErrors::from_error(e, "email")?,
            }
        }
        Err(errors) => errors?,
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    new_user_page(&req, &state, &admin, status, &form, errors).await
}

#[derive(Serialize)]
struct UserPage {
    account: User,
    teams: Vec<Team>,
    roles: Vec<Choice>,
    errors: FormErrors,
    is_self: bool,
    min_len: usize,
}

async fn user_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    id: UserId,
    status: StatusCode,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let (account, member_of) = state
        .db
        .run(move |conn| {
            let account = users::find(conn, &id)?.ok_or(AppError::NotFound)?;
            let member_of = teams::of_user(conn, &id)?;
            Ok((account, member_of))
        })
        .await?;
    let title = account.display_name.clone();
    Ok(render(
        req,
        status,
        "pages/admin/user",
        &title,
        Some(admin),
        UserPage {
            roles: role_choices(account.role.as_str()),
            is_self: account.id == admin.id,
            account,
            teams: member_of,
            errors,
            min_len: NewPassword::MIN_LEN,
        },
    ))
}

pub async fn user_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    user_page(
        &req,
        &state,
        &admin,
        path.into_inner(),
        StatusCode::OK,
        FormErrors::default(),
    )
    .await
}

/// Runs an account change and shows the account again, with the error beside the form if
/// the change was refused.
async fn user_change<F>(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: UserId,
    field: &'static str,
    change: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConn, &Actor, &UserId) -> Result<(), AppError> + Send + 'static,
{
    let actor = Actor::Staff(admin.id.clone());
    let target = id.clone();
    match state
        .db
        .run(move |conn| change(conn, &actor, &target))
        .await
    {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(e, field)?;
            user_page(
                &req,
                &state,
                &admin,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
    form: CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let role = Role::parse(&form.role);
    user_change(
        req,
        state,
        admin,
        path.into_inner(),
        "role",
        move |conn, actor, id| {
            let role = role.ok_or_else(|| AppError::invalid("role", "Choose a role."))?;
            users::change_role(conn, actor, id, role).map(|_| ())
        },
    )
    .await
}

pub async fn deactivate(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    user_change(
        req,
        state,
        admin,
        path.into_inner(),
        "active",
        |conn, actor, id| users::deactivate(conn, actor, id).map(|_| ()),
    )
    .await
}

pub async fn reactivate(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    user_change(
        req,
        state,
        admin,
        path.into_inner(),
        "active",
        |conn, actor, id| users::reactivate(conn, actor, id).map(|_| ()),
    )
    .await
}

#[derive(Deserialize)]
pub struct ResetPasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<UserId>,
    form: CsrfForm<ResetPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let hash = match NewPassword::parse("password", &form.password) {
        Ok(p) => crate::auth::password::hash_new(p).await?,
        Err(e) => {
            let errors = FormErrors::from_error(e, "password")?;
            return user_page(
                &req,
                &state,
                &admin,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await;
        }
    };
    user_change(req, state, admin, id, "password", move |conn, actor, id| {
        users::reset_password(conn, actor, id, &hash)
    })
    .await
}
