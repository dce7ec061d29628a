//! Administrator pages: accounts, teams and the audit log. No case content is reachable from
//! here; the policy gives administrators no casework capability.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::accounts::{Team, User, teams, users};
use crate::audit::{self, Actor, AuditQuery};
use crate::auth::csrf::CsrfForm;
use crate::auth::password;
use crate::auth::{AdminUser, AuditReader};
use crate::domain::{EmailAddress, NewPassword, PersonName, Role, TeamId, TeamName, UserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{FormErrors, Validator};
use crate::web::pages::{self, render, see_other};
use crate::web::staff::account::EmptyForm;

#[derive(Serialize)]
struct Choice {
    value: String,
    text: String,
    selected: bool,
}

fn role_choices(selected: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            text: r.label().to_owned(),
            selected: r.as_str() == selected,
        })
        .collect()
}

fn team_choices(teams: &[Team], selected: &str) -> Vec<Choice> {
    teams
        .iter()
        .map(|t| Choice {
            value: t.id.to_string(),
            text: t.name.clone(),
            selected: t.id.as_str() == selected,
        })
        .collect()
}

pub async fn hash_password(password: NewPassword) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password::hash(password.expose()))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing failed: {e}")))?
        .map_err(AppError::Internal)
}

#[derive(Serialize)]
struct HomePage {
    active_users: usize,
    inactive_users: usize,
    teams: usize,
}

pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let (all, teams) = state
        .db
        .run(|conn| Ok((users::list(conn)?, teams::list(conn)?)))
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
struct UsersPage {
    users: Vec<User>,
}

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
    let name = v.check(PersonName::parse("display_name", &form.display_name));
    let email = v.check(EmailAddress::parse("email", &form.email));
    let role =
        v.check(Role::parse(&form.role).ok_or_else(|| AppError::invalid("role", "Choose a role.")));
    let phone = v.check(users::parse_phone("phone", Some(&form.phone)));
    let team = match form.team.trim() {
        "" => None,
        t => v.check(
            TeamId::parse(t)
                .ok_or_else(|| AppError::invalid("team", "Choose a team from the list.")),
        ),
    };
    let password = v.check(NewPassword::parse("password", &form.password));
    if let Err(errors) = v.finish() {
        return new_user_page(
            &req,
            &state,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors?,
        )
        .await;
    }
    let (Some(name), Some(email), Some(role), Some(phone), Some(password)) =
        (name, email, role, phone, password)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let new = users::NewUser {
        email,
        display_name: name,
        role,
        phone,
        password_hash: hash_password(password).await?,
        password_change_required: true,
        teams: team.into_iter().collect(),
    };
    let actor = Actor::Staff(admin.id.clone());
    match state
        .db
        .run(move |conn| users::create(conn, &actor, new))
        .await
    {
        Ok(user) => Ok(see_other(&format!("/admin/users/{}", user.id))),
        Err(e) => {
            let errors = FormErrors::from_error(e, "email")?;
            new_user_page(
                &req,
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
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
        Ok(p) => hash_password(p).await?,
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

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TeamForm {
    #[serde(default)]
    name: String,
}

#[derive(Serialize)]
struct TeamsPage<'a> {
    teams: Vec<Team>,
    form: &'a TeamForm,
    errors: FormErrors,
}

async fn teams_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    form: &TeamForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let teams = state.db.run(|conn| Ok(teams::list(conn)?)).await?;
    Ok(render(
        req,
        status,
        "pages/admin/teams",
        "Teams",
        Some(admin),
        TeamsPage {
            teams,
            form,
            errors,
        },
    ))
}

pub async fn teams_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    teams_page(
        &req,
        &state,
        &admin,
        StatusCode::OK,
        &TeamForm::default(),
        FormErrors::default(),
    )
    .await
}

pub async fn create_team(
    req: HttpRequest,
    state: web::Data<AppState>,
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
            teams_page(
                &req,
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
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

async fn team_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    id: TeamId,
    status: StatusCode,
    errors: FormErrors,
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
    Ok(render(
        req,
        status,
        "pages/admin/team",
        &title,
        Some(admin),
        TeamPage {
            team,
            members,
            candidates,
            errors,
        },
    ))
}

pub async fn team_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<TeamId>,
) -> Result<HttpResponse, AppError> {
    team_page(
        &req,
        &state,
        &admin,
        path.into_inner(),
        StatusCode::OK,
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    user_id: String,
}

pub async fn add_member(
    req: HttpRequest,
    state: web::Data<AppState>,
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
            team_page(
                &req,
                &state,
                &admin,
                team_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
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

#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct AuditFilter {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub actor_id: Option<String>,
    #[serde(default)]
    pub case_id: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
}

impl AuditFilter {
    pub fn to_query(&self) -> AuditQuery {
        let nonempty = |s: &Option<String>| {
            s.as_ref()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        AuditQuery {
            action: nonempty(&self.action),
            actor_id: nonempty(&self.actor_id),
            case_id: nonempty(&self.case_id),
            outcome: nonempty(&self.outcome),
            before: nonempty(&self.before),
            limit: self.limit.unwrap_or(100),
        }
    }
}

#[derive(Serialize)]
struct AuditPage<'a> {
    events: Vec<audit::AuditEvent>,
    filter: &'a AuditFilter,
    older: Option<String>,
}

pub async fn audit_log(
    req: HttpRequest,
    state: web::Data<AppState>,
    reader: AuditReader,
    filter: web::Query<AuditFilter>,
) -> Result<HttpResponse, AppError> {
    let query = filter.to_query();
    let limit = query.limit.clamp(1, 500);
    let events = state
        .db
        .run(move |conn| Ok(audit::list(conn, &query)?))
        .await?;
    let older = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.id.clone()))
        .flatten();
    Ok(pages::ok(
        &req,
        "pages/admin/audit",
        "Audit log",
        &reader,
        AuditPage {
            events,
            filter: &filter,
            older,
        },
    ))
}

// ---- timeliness targets -------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TargetsForm {
    #[serde(default)]
    first_contact_hours: String,
    #[serde(default)]
    message_ack_working_days: String,
    #[serde(default)]
    message_answer_working_days: String,
    #[serde(default)]
    update_after_event_working_days: String,
}

#[derive(Serialize)]
struct TargetsPage<'a> {
    form: &'a TargetsForm,
    errors: FormErrors,
    changes: Vec<crate::timeliness::TargetChange>,
    saved: bool,
}

async fn targets_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    form: Option<&TargetsForm>,
    errors: FormErrors,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let (current, changes) = state
        .db
        .run(|conn| {
            Ok((
                crate::timeliness::Targets::load(conn)?,
                crate::timeliness::target_changes(conn, 50)?,
            ))
        })
        .await?;
    let shown = TargetsForm {
        first_contact_hours: current.first_contact_hours.to_string(),
        message_ack_working_days: current.message_ack_working_days.to_string(),
        message_answer_working_days: current.message_answer_working_days.to_string(),
        update_after_event_working_days: current.update_after_event_working_days.to_string(),
    };
    Ok(render(
        req,
        status,
        "pages/admin/targets",
        "Timeliness targets",
        Some(admin),
        TargetsPage {
            form: form.unwrap_or(&shown),
            errors,
            changes,
            saved,
        },
    ))
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn targets(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    targets_page(
        &req,
        &state,
        &admin,
        StatusCode::OK,
        None,
        FormErrors::default(),
        query.saved.is_some(),
    )
    .await
}

pub async fn save_targets(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    form: CsrfForm<TargetsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let number = |field: &str, raw: &str| -> Result<i64, AppError> {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid(field, "Enter a whole number, like 24."))
    };
    let parsed = (|| -> Result<crate::timeliness::Targets, AppError> {
        let t = crate::timeliness::Targets {
            first_contact_hours: number("first_contact_hours", &form.first_contact_hours)?,
            message_ack_working_days: number(
                "message_ack_working_days",
                &form.message_ack_working_days,
            )?,
            message_answer_working_days: number(
                "message_answer_working_days",
                &form.message_answer_working_days,
            )?,
            update_after_event_working_days: number(
                "update_after_event_working_days",
                &form.update_after_event_working_days,
            )?,
        };
        t.validate()?;
        Ok(t)
    })();
    match parsed {
        Ok(t) => {
            let by = admin.id.clone();
            state
                .db
                .run(move |conn| crate::timeliness::set_targets(conn, &by, &t))
                .await?;
            Ok(see_other("/admin/targets?saved=1"))
        }
        Err(e) => {
            let errors = FormErrors::from_error(e, "first_contact_hours")?;
            targets_page(
                &req,
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&form),
                errors,
                false,
            )
            .await
        }
    }
}
