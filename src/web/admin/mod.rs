//! Administrator pages: accounts, teams and the audit log. No case content is reachable from
//! here; the policy gives administrators no casework capability.

pub mod audit;
pub mod support;
pub mod targets;
pub mod teams;
pub mod users;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::accounts::{Team, User};
use crate::auth::AdminUser;
use crate::domain::Role;
use crate::error::AppError;
use crate::web::forms::FormErrors;
use crate::web::pages::Incoming;
use crate::web::pages::{self};

#[derive(Serialize)]
pub(super) struct Choice {
    value: String,
    text: String,
    selected: bool,
}

pub(super) fn role_choices(selected: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            text: r.label().to_owned(),
            selected: r.as_str() == selected,
        })
        .collect()
}

pub(super) fn team_choices(teams: &[Team], selected: &str) -> Vec<Choice> {
    teams
        .iter()
        .map(|t| Choice {
            value: t.id.to_string(),
            text: t.name.clone(),
            selected: t.id.as_str() == selected,
        })
        .collect()
}

#[derive(Serialize)]
pub(super) struct HomePage {
    active_users: usize,
    inactive_users: usize,
    teams: usize,
}

pub async fn home((req, state): Incoming, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let (all, teams) = state
        .db
        .run(|conn| {
            Ok((
                crate::accounts::users::list(conn)?,
                crate::accounts::teams::list(conn)?,
            ))
        })
        .await?;
    let active_users = all.iter().filter(|u| u.active).count();
    Ok(pages::ok(
        &req,
        "pages/admin/home",
        "Administration",
        &admin,
        HomePage {
            active_users,
            inactive_users: all.len() - active_users,
            teams: teams.len(),
        },
    ))
}

#[derive(Serialize)]
pub(super) struct UsersPage {
    users: Vec<User>,
}

/// Renders an administrator's form page: 200 when the form is first shown; 422, with the
/// problems beside the form, when it is shown again because of what was sent (`errors`).
/// `page` builds the page around the errors to show.
pub(super) fn form_page<T: Serialize>(
    req: &HttpRequest,
    admin: &AdminUser,
    template: &str,
    title: &str,
    errors: Option<FormErrors>,
    page: impl FnOnce(FormErrors) -> T,
) -> HttpResponse {
    let (status, errors) = match errors {
        None => (StatusCode::OK, FormErrors::default()),
        Some(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
    };
    pages::render(req, status, template, title, Some(admin), page(errors))
}
