//! Staff pages: sign-in, sign-out, the home page with "my cases", and choosing a password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::accounts::users;
use crate::audit::{self, Actor};
use crate::auth::cookies;
use crate::auth::csrf::CsrfForm;
use crate::auth::device::{self, Account};
use crate::auth::extract::client_ip;
use crate::auth::password;
use crate::auth::session::{self, Client, StaffUser};
use crate::auth::sign_in::{self, Attempt};
use crate::auth::tokens::Audience;
use crate::casework::{cases, follow_ups};
use crate::domain::{NewPassword, Role};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{FormErrors, Validator};
use crate::web::pages::Incoming;
use crate::web::pages::{self, render, see_other, staff_cookie, user_agent};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing)]
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    form: &'a LoginForm,
    errors: FormErrors,
    signed_out: bool,
}

fn login_page(
    req: &HttpRequest,
    status: StatusCode,
    form: &LoginForm,
    errors: FormErrors,
    signed_out: bool,
) -> HttpResponse {
    render(
        req,
        status,
        "pages/staff/login",
        "Sign in",
        None,
        LoginPage {
            form,
            errors,
            signed_out,
        },
    )
}

pub async fn login_form(
    req: HttpRequest,
    user: Option<StaffUser>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    if user.is_some() {
        return see_other(&pages::safe_next(query.next.as_deref(), "/staff"));
    }
    let form = LoginForm {
        next: query.next.clone(),
        ..LoginForm::default()
    };
    login_page(
        &req,
        StatusCode::OK,
        &form,
        FormErrors::default(),
        query.signed_out.is_some(),
    )
}

pub async fn login(
    (req, state): Incoming,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    if form.email.trim().is_empty() {
        v.add("email", "Enter your email address.");
    }
    if form.password.is_empty() {
        v.add("password", "Enter your password.");
    }
    if let Err(errors) = v.finish() {
        return Ok(login_page(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors?,
            false,
        ));
    }
    let attempt = Attempt {
        email: form.email.clone(),
        password: form.password.clone(),
        client: Client::Browser,
        ip: client_ip(&req),
        user_agent: user_agent(&req),
        known_device: device::knows(&req, Account::Staff, &form.email),
    };
    match sign_in::sign_in_staff(&state.auth, attempt).await {
        Ok(signed_in) => {
            let destination = if signed_in.password_change_required {
                "/staff/account/password".to_owned()
            } else {
                pages::safe_next(form.next.as_deref(), "/staff")
            };
            let mut res = see_other(&destination);
            let session = staff_cookie(signed_in.token, state.config.cookie_secure);
            let known = device::remember(&req, Account::Staff, &form.email);
            for cookie in std::iter::once(session).chain(known) {
                res.add_cookie(&cookie).map_err(|e| {
                    AppError::Internal(anyhow::anyhow!("setting a sign-in cookie: {e}"))
                })?;
            }
            Ok(res)
        }
        Err(e @ (AppError::InvalidCredentials | AppError::RateLimited(_))) => {
            let status = actix_web::ResponseError::status_code(&e);
            let mut errors = FormErrors::default();
            errors.add("email", e.to_string());
            Ok(login_page(&req, status, &form, errors, false))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn logout(
    (req, state): Incoming,
    user: StaffUser,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    end_session(&state, user, client_ip(&req), Client::Browser).await?;
    let mut res = see_other("/staff/login?signed_out=1");
    res.add_cookie(&cookies::STAFF_SESSION.removal(state.config.cookie_secure))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("clearing the session cookie: {e}")))?;
    Ok(res)
}

/// Ends a staff session and records the sign-out: from the pages (`Client::Browser`), or by
/// revoking an API token (`Client::Api`, noted as such in the audit log).
pub(crate) async fn end_session(
    state: &AppState,
    user: StaffUser,
    ip: Option<String>,
    client: Client,
) -> Result<(), AppError> {
    let (reason, detail) = match client {
        Client::Browser => ("signed out", ""),
        Client::Api => ("token revoked", "api"),
    };
    state
        .db
        .run(move |conn| {
            crate::db::write(conn, |conn| {
                session::revoke(conn, &user.session_id, reason)?;
                audit::event(&Actor::Staff(user.id.clone()), "auth.sign_out")
                    .record("session", &user.session_id)
                    .ip(ip.as_deref())
                    .detail(detail)
                    .write(conn)?;
                Ok::<_, AppError>(())
            })
        })
        .await
}

#[derive(Serialize)]
struct HomePage {
    cases: Vec<cases::CaseSummary>,
    overdue: Vec<follow_ups::FollowUpView>,
    today: Vec<follow_ups::FollowUpView>,
    this_week: Vec<follow_ups::FollowUpView>,
    password_changed: bool,
}

#[derive(Deserialize)]
pub struct HomeQuery {
    password_changed: Option<String>,
}

pub async fn home(
    (req, state): Incoming,
    user: StaffUser,
    query: web::Query<HomeQuery>,
) -> Result<HttpResponse, AppError> {
    if user.role == Role::Admin {
        return Ok(see_other("/admin"));
    }
    let me = user.clone();
    let (cases, mine) = state
        .db
        .run(move |conn| {
            Ok((
                cases::my_cases(conn, &me)?,
                follow_ups::open_for(conn, &me.id)?,
            ))
        })
        .await?;
    // Grouped by London calendar day.
    let now = crate::db::now();
    let today = crate::casework::time::london_date(now);
    let week_end = today + chrono::Duration::days(7);
    let (mut overdue, mut due_today, mut this_week) = (Vec::new(), Vec::new(), Vec::new());
    for f in mine {
        let day = crate::casework::time::london_date(f.follow_up.due_at);
        if f.follow_up.due_at < now {
            overdue.push(f);
        } else if day == today {
            due_today.push(f);
        } else if day < week_end {
            this_week.push(f);
        }
    }
    Ok(pages::ok(
        &req,
        "pages/staff/home",
        "My cases",
        &user,
        HomePage {
            cases,
            overdue,
            today: due_today,
            this_week,
            password_changed: query.password_changed.is_some(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

#[derive(Serialize)]
struct PasswordPage {
    errors: FormErrors,
    required: bool,
    min_len: usize,
}

fn password_page(
    req: &HttpRequest,
    status: StatusCode,
    user: &StaffUser,
    errors: FormErrors,
) -> HttpResponse {
    render(
        req,
        status,
        "pages/staff/password",
        "Choose a new password",
        Some(user),
        PasswordPage {
            errors,
            required: user.password_change_required,
            min_len: NewPassword::MIN_LEN,
        },
    )
}

pub async fn password_form(req: HttpRequest, user: StaffUser) -> HttpResponse {
    password_page(&req, StatusCode::OK, &user, FormErrors::default())
}

pub async fn change_password(
    (req, state): Incoming,
    user: StaffUser,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let new_password = v.check(NewPassword::parse("new_password", &form.new_password));
    if form.new_password != form.confirm_password {
        v.add("confirm_password", "The two new passwords do not match.");
    }
    if form.current_password == form.new_password && !form.new_password.is_empty() {
        v.add(
            "new_password",
            "Choose a password different from your current one.",
        );
    }
    let checked = sign_in::check_current_password(
        &state.auth,
        &user.id,
        &user.email,
        form.current_password.clone(),
        client_ip(&req),
    )
    .await;
    match checked {
        Ok(true) => {}
        Ok(false) => v.add("current_password", "Your current password is not right."),
        Err(e @ AppError::RateLimited(_)) => {
            let mut errors = FormErrors::default();
            errors.add("current_password", e.to_string());
            return Ok(password_page(
                &req,
                StatusCode::TOO_MANY_REQUESTS,
                &user,
                errors,
            ));
        }
        Err(e) => return Err(e),
    }
    let new_password = match v.finish_with(new_password) {
        Ok(values) => values,
        Err(errors) => {
            return Ok(password_page(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                &user,
                errors?,
            ));
        }
    };
    let hash = password::hash_new(new_password).await?;
    let (uid, sid) = (user.id.clone(), user.session_id.clone());
    let version = state
        .db
        .run(move |conn| users::change_own_password(conn, &uid, &sid, &hash))
        .await?;
    let (token, _) = state.auth.keys.issue(
        Audience::StaffWeb,
        user.id.as_str(),
        &user.session_id,
        version,
        state.config.token_lifetime,
    )?;
    let mut res = see_other("/staff?password_changed=1");
    res.add_cookie(&staff_cookie(token, state.config.cookie_secure))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("setting the session cookie: {e}")))?;
    Ok(res)
}
