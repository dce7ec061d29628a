//! Teams: the list, creating one, and adding and removing members.

use crate::accounts::{Team, User, teams, users};
use crate::audit::Actor;
use crate::auth::AdminUser;
use crate::auth::csrf::CsrfForm;
use crate::domain::{Role, TeamId, TeamName, UserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::pages::Incoming;
use crate::web::pages::see_other;
use crate::web::staff::account::EmptyForm;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Choice, form_page};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TeamForm {
    name: String,
}

#[derive(Serialize)]
struct TeamsPage<'a> {
    teams: Vec<Team>,
    form: &'a TeamForm,
    errors: FormErrors,
}

/// The list of teams with the form for a new one; `errors` when it is shown again because of
/// what was sent.
async fn teams_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    form: &TeamForm,
    errors: Option<FormErrors>,
) -> Result<HttpResponse, AppError> {
    let teams = state.db.run(|conn| Ok(teams::list(conn)?)).await?;
    let page = |errors| TeamsPage {
        teams,
        form,
        errors,
    };
    Ok(form_page(
        req,
        admin,
        "pages/admin/teams",
        "Teams",
        errors,
        page,
    ))
}

pub async fn teams_list(
    (req, state): Incoming,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    teams_page(&req, &state, &admin, &TeamForm::default(), None).await
}

pub async fn create_team(
    (req, state): Incoming,
    admin: AdminUser,
    form: CsrfForm<TeamForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let actor = Actor::Staff(admin.id.clone());
    let result = match TeamName::parse("name", &form.name) {
        Ok(name) => {
            state
                .db
                .run(move |conn| teams::create(conn, &actor, &name))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(team) => Ok(see_other(&format!("/admin/teams/{}", team.id))),
        Err(e) => {
            let errors = FormErrors::from_error(e, "name")?;
            teams_page(&req, &state, &admin, &form, Some(errors)).await
        }
    }
}

#[derive(Serialize)]
struct TeamPage {
    team: Team,
    members: Vec<User>,
    candidates: Vec<Choice>,
    errors: FormErrors,
}

/// One team with its members and the form to add one; `errors` when it is shown again
/// because of what was sent.
async fn team_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    id: TeamId,
    errors: Option<FormErrors>,
) -> Result<HttpResponse, AppError> {
    let (team, members, everyone) = state
        .db
        .run(move |conn| {
            let team = teams::find(conn, &id)?.ok_or(AppError::NotFound)?;
            Ok((team, teams::members(conn, &id)?, users::list(conn)?))
        })
        .await?;
    let candidates = everyone
        .iter()
        .filter(|u| u.active && u.role != Role::Admin && !members.iter().any(|m| m.id == u.id))
        .map(|u| Choice {
            value: u.id.to_string(),
            text: format!("{} ({})", u.display_name, u.role.label()),
            selected: false,
        })
        .collect();
    let title = team.name.clone();
    let page = |errors| TeamPage {
        team,
        members,
        candidates,
        errors,
    };
    Ok(form_page(
        req,
        admin,
        "pages/admin/team",
        &title,
        errors,
        page,
    ))
}

pub async fn team_detail(
    (req, state): Incoming,
    admin: AdminUser,
    path: web::Path<TeamId>,
) -> Result<HttpResponse, AppError> {
    team_page(&req, &state, &admin, path.into_inner(), None).await
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    user_id: String,
}

pub async fn add_member(
    (req, state): Incoming,
    admin: AdminUser,
    path: web::Path<TeamId>,
    form: CsrfForm<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let team_id = path.into_inner();
    let actor = Actor::Staff(admin.id.clone());
    let result = match UserId::parse(form.user_id.trim()) {
        Some(user_id) => {
            let team_id = team_id.clone();
            state
                .db
                .run(move |conn| teams::add_member(conn, &actor, &team_id, &user_id))
                .await
        }
        None => Err(AppError::invalid(
            "user_id",
            "Choose a person from the list.",
        )),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/teams/{team_id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(e, "user_id")?;
            team_page(&req, &state, &admin, team_id, Some(errors)).await
        }
    }
}

pub async fn remove_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(TeamId, UserId)>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let (team_id, user_id) = path.into_inner();
    let actor = Actor::Staff(admin.id.clone());
    let team = team_id.clone();
    state
        .db
        .run(move |conn| teams::remove_member(conn, &actor, &team, &user_id))
        .await?;
    Ok(see_other(&format!("/admin/teams/{team_id}")))
}
