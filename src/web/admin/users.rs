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
use crate::web::pages::Incoming;
use crate::web::pages::{self, see_other};
use crate::web::staff::account::EmptyForm;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Choice, UsersPage, form_page, role_choices, team_choices};

pub async fn users_list(
    (req, state): Incoming,
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

/// The form for a new account; `errors` when it is shown again because of what was sent.
async fn new_user_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    form: &NewUserForm,
    errors: Option<FormErrors>,
) -> Result<HttpResponse, AppError> {
    let teams = state.db.run(|conn| Ok(teams::list(conn)?)).await?;
    let page = |errors| NewUserPage {
        form,
        errors,
        roles: role_choices(&form.role),
        teams: team_choices(&teams, &form.team),
        min_len: NewPassword::MIN_LEN,
    };
    let title = "Create an account";
    Ok(form_page(
        req,
        admin,
        "pages/admin/user_new",
        title,
        errors,
        page,
    ))
}

pub async fn new_user_form(
    (req, state): Incoming,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let form = NewUserForm {
        role: Role::Officer.as_str().to_owned(),
        ..NewUserForm::default()
    };
    new_user_page(&req, &state, &admin, &form, None).await
}

pub async fn create_user(
    (req, state): Incoming,
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
    new_user_page(&req, &state, &admin, &form, Some(errors)).await
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

/// One account with the forms that change it; `errors` when it is shown again because of
/// what was sent.
async fn user_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    id: UserId,
    errors: Option<FormErrors>,
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
    let page = |errors| UserPage {
        roles: role_choices(account.role.as_str()),
        is_self: account.id == admin.id,
        account,
        teams: member_of,
        errors,
        min_len: NewPassword::MIN_LEN,
    };
    Ok(form_page(
        req,
        admin,
        "pages/admin/user",
        &title,
        errors,
        page,
    ))
}

pub async fn user_detail(
    (req, state): Incoming,
    admin: AdminUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    user_page(&req, &state, &admin, path.into_inner(), None).await
}

/// Runs an account change and shows the account again, with the error beside the form if
/// the change was refused.
async fn user_change<F, R>(
    (req, state): Incoming,
    admin: AdminUser,
    id: UserId,
    field: &'static str,
    change: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConn, &Actor, &UserId) -> Result<R, AppError> + Send + 'static,
    R: Send + 'static,
{
    let actor = Actor::Staff(admin.id.clone());
    let target = id.clone();
    match state
        .db
        .run(move |conn| change(conn, &actor, &target))
        .await
    {
        Ok(_) => Ok(see_other(&format!("/admin/users/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(e, field)?;
            user_page(&req, &state, &admin, id, Some(errors)).await
        }
    }
}

/// What a change to an account from its page is given: the request, an administrator, the
/// account and the form.
pub type AccountPost<F> = (
    HttpRequest,
    web::Data<AppState>,
    AdminUser,
    web::Path<UserId>,
    CsrfForm<F>,
);

type Page = Result<HttpResponse, AppError>;

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role((req, state, admin, path, form): AccountPost<RoleForm>) -> Page {
    let form = form.into_inner()?;
    let role = Role::parse(&form.role);
    user_change(
        (req, state),
        admin,
        path.into_inner(),
        "role",
        move |conn, actor, id| {
            let role = role.ok_or_else(|| AppError::invalid("role", "Choose a role."))?;
            users::change_role(conn, actor, id, role)
        },
    )
    .await
}

/// Deactivates or reactivates an account (`change` says which): the two buttons of the
/// account page.
async fn set_active(
    (req, state, admin, path, form): AccountPost<EmptyForm>,
    change: fn(&mut crate::db::DbConn, &Actor, &UserId) -> Result<User, AppError>,
) -> Page {
    form.into_inner()?;
    user_change((req, state), admin, path.into_inner(), "active", change).await
}

pub async fn deactivate(asked: AccountPost<EmptyForm>) -> Page {
    set_active(asked, users::deactivate).await
}

pub async fn reactivate(asked: AccountPost<EmptyForm>) -> Page {
    set_active(asked, users::reactivate).await
}

#[derive(Deserialize)]
pub struct ResetPasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    (req, state, admin, path, form): AccountPost<ResetPasswordForm>,
) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let hash = match NewPassword::parse("password", &form.password) {
        Ok(p) => crate::auth::password::hash_new(p).await?,
        Err(e) => {
            let errors = FormErrors::from_error(e, "password")?;
            return user_page(&req, &state, &admin, id, Some(errors)).await;
        }
    };
    user_change(
        (req, state),
        admin,
        id,
        "password",
        move |conn, actor, id| users::reset_password(conn, actor, id, &hash),
    )
    .await
}
