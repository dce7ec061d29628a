//! Staff casework pages under `/staff/cases`. Forms keep every value on a validation error;
//! the contact form also keeps a draft in the browser until the server confirms the save.
//! Each handler calls the same use case as the JSON API.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::auth::{CaseworkUser, ManagerUser};
use crate::casework::cases::{self, Case, ExitPlan, NewCase};
use crate::casework::contacts::{self, NewAmendment, NewContact};
use crate::casework::follow_ups::{self, NewFollowUp};
use crate::casework::property::{self, Move, NewItem};
use crate::casework::relatives::{self, Edited, RelativeInput};
use crate::casework::time::{london_date, parse_date, parse_local, to_local_input};
use crate::casework::timeline::{self, EntryKind};
use crate::casework::types::{AssignmentRole, ContactChannel, Direction, PropertyStatus, Stage};
use crate::casework::updates::{self, NewUpdate};
use crate::casework::{access, assignments, input, limits, links};
use crate::db::{self, DbConn};
use crate::domain::{
    AssignmentId, CaseId, ContactId, EmailAddress, FollowUpId, FormErrors, PersonName,
    PropertyItemId, RelativeId, TeamId, UserId, Validator,
};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::pages::{render, see_other};

type Page = Result<HttpResponse, AppError>;

/// Checks that the caller may see the case before anything they sent is looked at, so that a
/// case they may not see answers 404 whatever the form says, exactly as a missing one.
pub(crate) async fn visible_first(
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
) -> Result<(), AppError> {
    let (user, id) = (user.clone(), id.clone());
    state
        .db
        .run(move |conn| access::require_visible(conn, &user, &id).map(|_| ()))
        .await
}

#[derive(Serialize)]
struct Choice {
    value: String,
    text: String,
    selected: bool,
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
    selected: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: code(*v).to_owned(),
            text: label(*v).to_owned(),
            selected: code(*v) == selected,
        })
        .collect()
}

fn channel_choices(selected: &str) -> Vec<Choice> {
    choices(
        ContactChannel::ALL,
        ContactChannel::as_str,
        ContactChannel::label,
        selected,
    )
}

/// The summary every case page shows at the top.
#[derive(Serialize)]
pub(crate) struct CaseHeader {
    id: CaseId,
    reference: String,
    deceased_name: String,
    stage_label: &'static str,
    status: String,
    open: bool,
    manages: bool,
}

fn header(conn: &mut DbConn, user: &StaffUser, case: &Case) -> Result<CaseHeader, AppError> {
    Ok(CaseHeader {
        id: case.id.clone(),
        reference: case.reference.clone(),
        deceased_name: case.deceased_name.clone(),
        stage_label: case.stage.label(),
        status: case.status.label().to_owned(),
        open: case.status == crate::casework::types::CaseStatus::Open,
        manages: access::manages(conn, user, case)?,
    })
}

/// Renders a case page: the header plus the page's own context.
#[derive(Serialize)]
struct OnCase<T: Serialize> {
    case: CaseHeader,
    #[serde(flatten)]
    body: T,
}

pub(crate) fn case_page<T: Serialize>(
    req: &HttpRequest,
    status: StatusCode,
    template: &str,
    title: String,
    user: &StaffUser,
    case: CaseHeader,
    body: T,
) -> HttpResponse {
    let title = format!("{title} – {}", case.reference);
    render(
        req,
        status,
        template,
        &title,
        Some(user),
        OnCase { case, body },
    )
}

pub(crate) fn case_url(id: &CaseId) -> String {
    format!("/staff/cases/{id}")
}

/// Loads a case the caller may see, auditing the read, with its header.
pub(crate) async fn load(
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    what: &'static str,
) -> Result<(Case, CaseHeader), AppError> {
    let (user, id) = (user.clone(), id.clone());
    state
        .db
        .run(move |conn| {
            let case = crate::casework::read(conn, &user, &id, what)?;
            let header = header(conn, &user, &case)?;
            Ok((case, header))
        })
        .await
}

/// Turns a rule broken in a use case into form errors; anything else is an error page.
fn form_errors(e: AppError, default_field: &str) -> Result<FormErrors, AppError> {
    FormErrors::from_error(e, default_field)
}

// ---- the case list -----------------------------------------------------------------------

#[derive(Serialize)]
struct ListPage {
    cases: Vec<cases::CaseSummary>,
    total: i64,
    search: String,
    stages: Vec<Choice>,
    statuses: Vec<Choice>,
    overdue: bool,
    previous: Option<String>,
    next: Option<String>,
    showing: String,
    can_open: bool,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    query: web::Query<crate::web::api::cases::ListQuery>,
) -> Page {
    let filter = match query.to_filter() {
        Ok(f) => f,
        Err(e) => return Err(AppError::BadRequest(e.to_string())),
    };
    let f2 = filter.clone();
    let me = user.0.clone();
    let (cases, total) = state
        .db
        .run(move |conn| Ok(cases::list(conn, &me, &f2)?))
        .await?;
    let link = |page: i64| {
        let mut q: Vec<(String, String)> = Vec::new();
        if let Some(s) = &filter.search {
            q.push(("search".into(), s.clone()));
        }
        if let Some(s) = filter.status {
            q.push(("status".into(), s.as_str().into()));
        }
        if let Some(s) = filter.stage {
            q.push(("stage".into(), s.as_str().into()));
        }
        if filter.overdue {
            q.push(("overdue".into(), "true".into()));
        }
        q.push(("page".into(), page.to_string()));
        format!(
            "/staff/cases?{}",
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    };
    let first = filter.page * cases::PAGE_SIZE;
    let page = ListPage {
        showing: if total == 0 {
            "No cases match.".into()
        } else {
            format!(
                "Showing {} to {} of {total}",
                first + 1,
                (first + cases.len() as i64).min(total)
            )
        },
        previous: (filter.page > 0).then(|| link(filter.page - 1)),
        next: (first + (cases.len() as i64) < total).then(|| link(filter.page + 1)),
        cases,
        total,
        search: filter.search.clone().unwrap_or_default(),
        stages: choices(
            Stage::ALL,
            Stage::as_str,
            Stage::label,
            filter.stage.map(Stage::as_str).unwrap_or(""),
        ),
        statuses: choices(
            crate::casework::types::CaseStatus::ALL,
            crate::casework::types::CaseStatus::as_str,
            crate::casework::types::CaseStatus::label,
            filter.status.map(|s| s.as_str()).unwrap_or(""),
        ),
        overdue: filter.overdue,
        can_open: user.role == crate::domain::Role::Manager,
    };
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/staff/cases",
        "Cases",
        Some(&user),
        page,
    ))
}

// ---- opening a case ----------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CaseForm {
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    deceased_name: String,
    #[serde(default)]
    date_of_death: String,
    #[serde(default)]
    circumstances: String,
    #[serde(default)]
    needs_language: String,
    #[serde(default)]
    needs_interpreter: Option<String>,
    #[serde(default)]
    needs_accessibility: String,
    #[serde(default)]
    needs_faith_culture: String,
    #[serde(default)]
    needs_other: String,
    #[serde(default)]
    interval_hours: String,
    #[serde(default)]
    preferred_channel: String,
    #[serde(default)]
    preferred_hours: String,
}

#[derive(Serialize)]
struct NewCasePage<'a> {
    form: &'a CaseForm,
    errors: FormErrors,
    teams: Vec<Choice>,
    channels: Vec<Choice>,
}

async fn new_case_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    status: StatusCode,
    form: &CaseForm,
    errors: FormErrors,
) -> Page {
    let uid = user.id.clone();
    let teams = state
        .db
        .run(move |conn| Ok(crate::accounts::teams::of_user(conn, &uid)?))
        .await?;
    let teams = teams
        .into_iter()
        .map(|t| Choice {
            selected: t.id.as_str() == form.team_id,
            value: t.id.to_string(),
            text: t.name,
        })
        .collect();
    Ok(render(
        req,
        status,
        "pages/staff/case_new",
        "Open a case",
        Some(user),
        NewCasePage {
            form,
            errors,
            teams,
            channels: channel_choices(&form.preferred_channel),
        },
    ))
}

pub async fn new_case_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
) -> Page {
    let form = CaseForm {
        interval_hours: "48".into(),
        preferred_channel: "phone".into(),
        ..CaseForm::default()
    };
    new_case_page(
        &req,
        &state,
        &user,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn create_case(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    form: CsrfForm<CaseForm>,
) -> Page {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let team = v.check(
        TeamId::parse(form.team_id.trim())
            .ok_or_else(|| AppError::invalid("team_id", "Choose a team.")),
    );
    let name = v.check(PersonName::parse("deceased_name", &form.deceased_name));
    let died = v.check(input::date_of_death(&form.date_of_death));
    let circumstances = v.check(input::optional(
        "circumstances",
        Some(&form.circumstances),
        limits::CIRCUMSTANCES,
    ));
    let needs = v.check(input::needs(
        Some(&form.needs_language),
        form.needs_interpreter.is_some(),
        Some(&form.needs_accessibility),
        Some(&form.needs_faith_culture),
        Some(&form.needs_other),
    ));
    let plan = match form.interval_hours.trim() {
        "" => Some(None),
        hours => {
            let interval = v.check(hours.parse::<i64>().map_err(|_| {
                AppError::invalid(
                    "interval_hours",
                    "Enter the number of hours between contacts, like 48.",
                )
            }));
            let channel = v.check(ContactChannel::parse(&form.preferred_channel).ok_or_else(
                || {
                    AppError::invalid(
                        "preferred_channel",
                        "Choose how the family prefers to be contacted.",
                    )
                },
            ));
            match (interval, channel) {
                (Some(i), Some(c)) => v
                    .check(input::plan(
                        i,
                        c,
                        &form.preferred_hours,
                        london_date(db::now()),
                    ))
                    .map(Some),
                _ => None,
            }
        }
    };
    if let Err(errors) = v.finish() {
        return new_case_page(
            &req,
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors?,
        )
        .await;
    }
    let (
        Some(team_id),
        Some(deceased_name),
        Some(date_of_death),
        Some(circumstances),
        Some(needs),
        Some(plan),
    ) = (team, name, died, circumstances, needs, plan)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let new = NewCase {
        team_id,
        deceased_name,
        date_of_death,
        circumstances,
        needs,
        plan,
    };
    let me = user.0.clone();
    match state.db.run(move |conn| cases::open(conn, &me, new)).await {
        Ok(case) => Ok(see_other(&case_url(&case.id))),
        Err(e) => {
            let errors = form_errors(e, "team_id")?;
            new_case_page(
                &req,
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

// ---- the case page -----------------------------------------------------------------------

#[derive(Deserialize)]
pub struct CaseQuery {
    kind: Option<String>,
    saved: Option<String>,
}

#[derive(Serialize)]
struct KindFilter {
    value: &'static str,
    text: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct CaseView {
    detail: Case,
    team_name: String,
    plan: Option<cases::ContactPlan>,
    plan_every: Option<String>,
    named_contacts: Vec<assignments::Assignment>,
    relatives: Vec<relatives::Relative>,
    follow_ups: Vec<follow_ups::FollowUpView>,
    timeline: Vec<timeline::Entry>,
    kinds: Vec<KindFilter>,
    links: Vec<links::Link>,
    exit_plans: Vec<cases::ExitPlanRecord>,
    saved: Option<String>,
    clear_draft: Option<String>,
    recent_contacts: Vec<Choice>,
}

/// "every 48 hours", "every 2 days".
pub fn every(hours: i32) -> String {
    if hours % 24 == 0 {
        let days = hours / 24;
        if days == 1 {
            "every day".into()
        } else {
            format!("every {days} days")
        }
    } else {
        format!("every {hours} hours")
    }
}

pub async fn case(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    query: web::Query<CaseQuery>,
) -> Page {
    let kind = query.kind.as_deref().and_then(EntryKind::parse);
    let (user, id) = (user.0, path.into_inner());
    let me = user.clone();
    let (header, view) = state
        .db
        .run(move |conn| {
            let case = crate::casework::read(conn, &me, &id, "case page")?;
            let header = header(conn, &me, &case)?;
            let plan = cases::plans(conn, &id)?.into_iter().next();
            let contacts_for_completion: Vec<Choice> = contacts::list(conn, &id)?
                .into_iter()
                .take(10)
                .map(|c| Choice {
                    value: c.original.id.to_string(),
                    text: format!(
                        "{} – {}",
                        crate::casework::time::london_display(c.current.occurred_at),
                        c.current.channel.label()
                    ),
                    selected: false,
                })
                .collect();
            let view = CaseView {
                team_name: crate::accounts::teams::find(conn, &case.team_id)?
                    .map(|t| t.name)
                    .unwrap_or_default(),
                plan_every: plan.as_ref().map(|p| every(p.interval_hours)),
                plan,
                named_contacts: assignments::list(conn, &id)?,
                relatives: relatives::list(conn, &id)?,
                follow_ups: follow_ups::list(conn, &id)?,
                timeline: timeline::build(conn, &id, &kind.into_iter().collect::<Vec<_>>())?,
                kinds: std::iter::once(KindFilter {
                    value: "",
                    text: "Everything",
                    current: kind.is_none(),
                })
                .chain(EntryKind::ALL.iter().map(|k| KindFilter {
                    value: k.as_str(),
                    text: k.label(),
                    current: Some(*k) == kind,
                }))
                .collect(),
                links: links::list(conn, &id)?,
                exit_plans: cases::exit_plans(conn, &id)?,
                saved: None,
                clear_draft: None,
                recent_contacts: contacts_for_completion,
                detail: case,
            };
            Ok((header, view))
        })
        .await?;
    let view = CaseView {
        clear_draft: (query.saved.as_deref() == Some("contact"))
            .then(|| format!("contact-{}", header.id)),
        saved: query.saved.clone(),
        ..view
    };
    let title = header.deceased_name.clone();
    Ok(case_page(
        &req,
        StatusCode::OK,
        "pages/staff/case",
        title,
        &user,
        header,
        view,
    ))
}

// ---- the contact log ---------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ContactForm {
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    relatives: Vec<String>,
    #[serde(default)]
    discussion: String,
    #[serde(default)]
    family_summary: String,
    #[serde(default)]
    agreed_actions: String,
    #[serde(default)]
    follow_up_purpose: Vec<String>,
    #[serde(default)]
    follow_up_due: Vec<String>,
}

#[derive(Serialize)]
struct FollowUpRow {
    n: usize,
    purpose: String,
    due: String,
    purpose_error: Option<String>,
    due_error: Option<String>,
}

#[derive(Serialize)]
struct ContactPage<'a> {
    form: &'a ContactForm,
    errors: FormErrors,
    channels: Vec<Choice>,
    directions: Vec<Choice>,
    relatives: Vec<Choice>,
    follow_up_rows: Vec<FollowUpRow>,
    draft_key: String,
    limits: serde_json::Value,
}

async fn contact_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    status: StatusCode,
    form: &ContactForm,
    errors: FormErrors,
) -> Page {
    let (_, header) = load(state, user, id, "contact form").await?;
    let cid = id.clone();
    let people = state
        .db
        .run(move |conn| Ok(relatives::list(conn, &cid)?))
        .await?;
    let relatives = people
        .into_iter()
        .map(|r| Choice {
            selected: form.relatives.contains(&r.id.to_string()),
            value: r.id.to_string(),
            text: format!("{} ({})", r.full_name, r.relationship),
        })
        .collect();
    let follow_up_rows = (0..2)
        .map(|i| FollowUpRow {
            n: i + 1,
            purpose: form.follow_up_purpose.get(i).cloned().unwrap_or_default(),
            due: form.follow_up_due.get(i).cloned().unwrap_or_default(),
            purpose_error: errors
                .by_field
                .get(&format!("follow_up_{}_purpose", i + 1))
                .cloned(),
            due_error: errors
                .by_field
                .get(&format!("follow_up_{}_due", i + 1))
                .cloned(),
        })
        .collect();
    let body = ContactPage {
        form,
        errors,
        channels: channel_choices(&form.channel),
        directions: choices(
            Direction::ALL,
            Direction::as_str,
            Direction::label,
            &form.direction,
        ),
        relatives,
        follow_up_rows,
        draft_key: format!("contact-{id}"),
        limits: serde_json::json!({ "discussion": limits::DISCUSSION, "family_summary": limits::FAMILY_SUMMARY, "agreed_actions": limits::AGREED_ACTIONS }),
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/contact_new",
        "Log a contact".into(),
        user,
        header,
        body,
    ))
}

pub async fn contact_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let form = ContactForm {
        occurred_at: to_local_input(db::now()),
        channel: "phone".into(),
        direction: "outbound".into(),
        ..ContactForm::default()
    };
    contact_page(
        &req,
        &state,
        &user,
        &path,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

fn parse_contact(form: &ContactForm, me: &UserId) -> Result<NewContact, FormErrors> {
    let mut v = Validator::default();
    let occurred_at = v.check(parse_local("occurred_at", &form.occurred_at));
    let channel = v.check(
        ContactChannel::parse(&form.channel)
            .ok_or_else(|| AppError::invalid("channel", "Choose how the contact happened.")),
    );
    let direction = v.check(
        Direction::parse(&form.direction)
            .ok_or_else(|| AppError::invalid("direction", "Choose who made contact.")),
    );
    let duration = match form.duration_minutes.trim() {
        "" => Some(None),
        d => match d.parse::<i64>() {
            Ok(m) => v.check(input::duration(Some(m))),
            Err(_) => {
                v.add(
                    "duration_minutes",
                    "Enter the duration as a number of minutes, like 30.",
                );
                None
            }
        },
    };
    let mut relatives = Vec::new();
    for r in &form.relatives {
        match RelativeId::parse(r) {
            Some(id) => relatives.push(id),
            None => v.add("relatives", "Choose relatives from the list."),
        }
    }
    let discussion = v.check(input::required(
        "discussion",
        &form.discussion,
        limits::DISCUSSION,
    ));
    let summary = v.check(input::optional(
        "family_summary",
        Some(&form.family_summary),
        limits::FAMILY_SUMMARY,
    ));
    let actions = v.check(input::optional(
        "agreed_actions",
        Some(&form.agreed_actions),
        limits::AGREED_ACTIONS,
    ));
    let mut follow_ups = Vec::new();
    for (i, purpose) in form.follow_up_purpose.iter().enumerate() {
        let due = form.follow_up_due.get(i).map(String::as_str).unwrap_or("");
        if purpose.trim().is_empty() && due.trim().is_empty() {
            continue;
        }
        let field = |f: &str| format!("follow_up_{}_{f}", i + 1);
        let purpose = v.check(input::required(&field("purpose"), purpose, limits::PURPOSE));
        let due =
            v.check(parse_local(&field("due"), due).and_then(|t| input::due_at(&field("due"), t)));
        if let (Some(purpose), Some(due_at)) = (purpose, due) {
            follow_ups.push(NewFollowUp {
                purpose,
                assignee: me.clone(),
                due_at,
                relative_id: None,
                is_appointment: false,
                place: None,
            });
        }
    }
    match v.finish() {
        Ok(()) => match (
            occurred_at,
            channel,
            direction,
            duration,
            discussion,
            summary,
            actions,
        ) {
            (
                Some(occurred_at),
                Some(channel),
                Some(direction),
                Some(duration_minutes),
                Some(discussion),
                Some(family_summary),
                Some(agreed_actions),
            ) => Ok(NewContact {
                occurred_at,
                channel,
                direction,
                duration_minutes,
                relatives,
                discussion,
                family_summary,
                agreed_actions,
                follow_ups,
            }),
            _ => Err(FormErrors::default()),
        },
        Err(Ok(errors)) => Err(errors),
        Err(Err(e)) => {
            let mut errors = FormErrors::default();
            errors.add("form", e.to_string());
            Err(errors)
        }
    }
}

pub async fn contact_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    form: CsrfForm<ContactForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    let id = path.into_inner();
    let new = match parse_contact(&form, &user.id) {
        Ok(new) => new,
        Err(errors) => {
            return contact_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await;
        }
    };
    let (me, cid) = (user.0.clone(), id.clone());
    match state
        .db
        .run(move |conn| contacts::log(conn, &me, &cid, &new))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}?saved=contact#timeline",
            case_url(&id)
        ))),
        Err(e) => {
            let errors = form_errors(e, "discussion")?;
            contact_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct AmendForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    discussion: String,
    #[serde(default)]
    family_summary: String,
    #[serde(default)]
    agreed_actions: String,
}

#[derive(Serialize)]
struct ContactDetailPage<'a> {
    contact: contacts::ContactView,
    form: &'a AmendForm,
    errors: FormErrors,
    channels: Vec<Choice>,
    directions: Vec<Choice>,
}

#[allow(clippy::too_many_arguments)]
async fn contact_detail_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    contact: &ContactId,
    status: StatusCode,
    form: Option<&AmendForm>,
    errors: FormErrors,
) -> Page {
    let (_, header) = load(state, user, id, "contact").await?;
    let (cid, contact) = (id.clone(), contact.clone());
    let view = state
        .db
        .run(move |conn| contacts::view(conn, &cid, &contact)?.ok_or(AppError::NotFound))
        .await?;
    let current = &view.current;
    let default_form = AmendForm {
        reason: String::new(),
        occurred_at: to_local_input(current.occurred_at),
        channel: current.channel.as_str().into(),
        direction: current.direction.as_str().into(),
        duration_minutes: current
            .duration_minutes
            .map(|d| d.to_string())
            .unwrap_or_default(),
        discussion: current.discussion.clone(),
        family_summary: current.family_summary.clone().unwrap_or_default(),
        agreed_actions: current.agreed_actions.clone().unwrap_or_default(),
    };
    let form = form.unwrap_or(&default_form);
    let body = ContactDetailPage {
        channels: channel_choices(&form.channel),
        directions: choices(
            Direction::ALL,
            Direction::as_str,
            Direction::label,
            &form.direction,
        ),
        contact: view,
        form,
        errors,
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/contact",
        "Contact record".into(),
        user,
        header,
        body,
    ))
}

pub async fn contact_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, ContactId)>,
) -> Page {
    let (id, contact) = path.into_inner();
    contact_detail_page(
        &req,
        &state,
        &user,
        &id,
        &contact,
        StatusCode::OK,
        None,
        FormErrors::default(),
    )
    .await
}

pub async fn contact_amend(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, ContactId)>,
    form: CsrfForm<AmendForm>,
) -> Page {
    visible_first(&state, &user, &path.0).await?;
    let form = form.into_inner()?;
    let (id, contact) = path.into_inner();
    let mut v = Validator::default();
    let reason = v.check(input::required("reason", &form.reason, limits::REASON));
    let occurred_at = v.check(parse_local("occurred_at", &form.occurred_at));
    let channel = v.check(
        ContactChannel::parse(&form.channel)
            .ok_or_else(|| AppError::invalid("channel", "Choose how the contact happened.")),
    );
    let direction = v.check(
        Direction::parse(&form.direction)
            .ok_or_else(|| AppError::invalid("direction", "Choose who made contact.")),
    );
    let duration = match form.duration_minutes.trim() {
        "" => Some(None),
        d => match d.parse::<i64>() {
            Ok(m) => v.check(input::duration(Some(m))),
            Err(_) => {
                v.add(
                    "duration_minutes",
                    "Enter the duration as a number of minutes, like 30.",
                );
                None
            }
        },
    };
    let discussion = v.check(input::required(
        "discussion",
        &form.discussion,
        limits::DISCUSSION,
    ));
    let summary = v.check(input::clearable(
        "family_summary",
        Some(&form.family_summary),
        limits::FAMILY_SUMMARY,
    ));
    let actions = v.check(input::clearable(
        "agreed_actions",
        Some(&form.agreed_actions),
        limits::AGREED_ACTIONS,
    ));
    if let Err(errors) = v.finish() {
        return contact_detail_page(
            &req,
            &state,
            &user,
            &id,
            &contact,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&form),
            errors?,
        )
        .await;
    }
    let amendment = NewAmendment {
        reason,
        occurred_at,
        channel,
        direction,
        duration_minutes: duration.flatten(),
        discussion,
        family_summary: summary.flatten(),
        agreed_actions: actions.flatten(),
    };
    let (me, cid, ctid) = (user.0.clone(), id.clone(), contact.clone());
    match state
        .db
        .run(move |conn| contacts::amend(conn, &me, &cid, &ctid, &amendment))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}/contacts/{contact}?saved=1",
            case_url(&id)
        ))),
        Err(e) => {
            let errors = form_errors(e, "reason")?;
            contact_detail_page(
                &req,
                &state,
                &user,
                &id,
                &contact,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&form),
                errors,
            )
            .await
        }
    }
}

// ---- follow-ups --------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct FollowUpForm {
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    due_at: String,
    #[serde(default)]
    relative_id: String,
    #[serde(default)]
    is_appointment: Option<String>,
    #[serde(default)]
    place: String,
}

#[derive(Serialize)]
struct FollowUpPage<'a> {
    form: &'a FollowUpForm,
    errors: FormErrors,
    people: Vec<Choice>,
    relatives: Vec<Choice>,
}

async fn follow_up_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    status: StatusCode,
    form: &FollowUpForm,
    errors: FormErrors,
) -> Page {
    let (_, header) = load(state, user, id, "follow-up form").await?;
    let cid = id.clone();
    let (named, people) = state
        .db
        .run(move |conn| Ok((assignments::list(conn, &cid)?, relatives::list(conn, &cid)?)))
        .await?;
    let mut seen = std::collections::HashSet::new();
    let mut staff: Vec<Choice> = vec![Choice {
        value: user.id.to_string(),
        text: format!("{} (me)", user.display_name),
        selected: form.assignee_id.is_empty() || form.assignee_id == user.id.as_str(),
    }];
    seen.insert(user.id.to_string());
    for a in named.into_iter().filter(|a| a.active) {
        if seen.insert(a.user_id.to_string()) {
            staff.push(Choice {
                selected: form.assignee_id == a.user_id.as_str(),
                value: a.user_id.to_string(),
                text: format!("{} ({})", a.user_name, a.role_label),
            });
        }
    }
    let body = FollowUpPage {
        form,
        errors,
        people: staff,
        relatives: people
            .into_iter()
            .map(|r| Choice {
                selected: form.relative_id == r.id.as_str(),
                value: r.id.to_string(),
                text: r.full_name,
            })
            .collect(),
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/follow_up_new",
        "Add a follow-up".into(),
        user,
        header,
        body,
    ))
}

pub async fn follow_up_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let form = FollowUpForm {
        due_at: to_local_input(db::now() + chrono::Duration::days(1)),
        ..FollowUpForm::default()
    };
    follow_up_page(
        &req,
        &state,
        &user,
        &path,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn follow_up_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    form: CsrfForm<FollowUpForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let purpose = v.check(input::required("purpose", &form.purpose, limits::PURPOSE));
    let assignee = v.check(
        UserId::parse(form.assignee_id.trim())
            .ok_or_else(|| AppError::invalid("assignee_id", "Choose who will do it.")),
    );
    let due = v.check(parse_local("due_at", &form.due_at).and_then(|t| input::due_at("due_at", t)));
    let relative = match form.relative_id.trim() {
        "" => Some(None),
        r => v
            .check(RelativeId::parse(r).ok_or_else(|| {
                AppError::invalid("relative_id", "Choose a relative from the list.")
            }))
            .map(Some),
    };
    let place = v.check(input::optional("place", Some(&form.place), limits::PLACE));
    if let Err(errors) = v.finish() {
        return follow_up_page(
            &req,
            &state,
            &user,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors?,
        )
        .await;
    }
    let (Some(purpose), Some(assignee), Some(due_at), Some(relative_id), Some(place)) =
        (purpose, assignee, due, relative, place)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let new = NewFollowUp {
        purpose,
        assignee,
        due_at,
        relative_id,
        is_appointment: form.is_appointment.is_some(),
        place,
    };
    let (me, cid) = (user.0.clone(), id.clone());
    match state
        .db
        .run(move |conn| follow_ups::create(conn, &me, &cid, &new))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}?saved=follow_up#follow-ups",
            case_url(&id)
        ))),
        Err(e) => {
            let errors = form_errors(e, "purpose")?;
            follow_up_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    contact_id: String,
}

pub async fn follow_up_complete(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, FollowUpId)>,
    form: CsrfForm<CompleteForm>,
) -> Page {
    visible_first(&state, &user, &path.0).await?;
    let form = form.into_inner()?;
    let contact =
        match form.contact_id.trim() {
            "" => None,
            c => Some(ContactId::parse(c).ok_or_else(|| {
                AppError::invalid("contact_id", "Choose a contact from the list.")
            })?),
        };
    let (me, (id, f)) = (user.0, path.into_inner());
    let back = case_url(&id);
    state
        .db
        .run(move |conn| follow_ups::complete(conn, &me, &id, &f, contact.as_ref()))
        .await?;
    Ok(see_other(&format!(
        "{back}?saved=follow_up_done#follow-ups"
    )))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub async fn follow_up_cancel(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, FollowUpId)>,
    form: CsrfForm<ReasonForm>,
) -> Page {
    visible_first(&state, &user, &path.0).await?;
    let reason = input::required("reason", &form.into_inner()?.reason, limits::REASON)?;
    let (me, (id, f)) = (user.0, path.into_inner());
    let back = case_url(&id);
    state
        .db
        .run(move |conn| follow_ups::cancel(conn, &me, &id, &f, &reason))
        .await?;
    Ok(see_other(&format!(
        "{back}?saved=follow_up_cancelled#follow-ups"
    )))
}

// ---- updates -----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct UpdateForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    shared_with_family: Option<String>,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    to_linked: Option<String>,
}

#[derive(Serialize)]
struct UpdatePage<'a> {
    form: &'a UpdateForm,
    errors: FormErrors,
    stages: Vec<Choice>,
    has_links: bool,
}

async fn update_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    status: StatusCode,
    form: &UpdateForm,
    errors: FormErrors,
) -> Page {
    let (_, header) = load(state, user, id, "update form").await?;
    let cid = id.clone();
    let has_links = !state
        .db
        .run(move |conn| Ok(links::linked_ids(conn, &cid)?))
        .await?
        .is_empty();
    let body = UpdatePage {
        form,
        errors,
        stages: choices(Stage::ALL, Stage::as_str, Stage::label, &form.stage),
        has_links,
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/update_new",
        "Post an update".into(),
        user,
        header,
        body,
    ))
}

pub async fn update_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let form = UpdateForm {
        shared_with_family: Some("on".into()),
        ..UpdateForm::default()
    };
    update_page(
        &req,
        &state,
        &user,
        &path,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn update_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    form: CsrfForm<UpdateForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let title = v.check(input::required("title", &form.title, limits::UPDATE_TITLE));
    let body = v.check(input::required("body", &form.body, limits::UPDATE_BODY));
    let stage = match form.stage.trim() {
        "" => Some(None),
        s => v
            .check(
                Stage::parse(s)
                    .ok_or_else(|| AppError::invalid("stage", "Choose a stage from the list.")),
            )
            .map(Some),
    };
    if let Err(errors) = v.finish() {
        return update_page(
            &req,
            &state,
            &user,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors?,
        )
        .await;
    }
    let (Some(title), Some(body), Some(stage)) = (title, body, stage) else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let new = NewUpdate {
        title,
        body,
        shared_with_family: form.shared_with_family.is_some(),
        stage,
        key_event: stage.is_some(),
    };
    let (me, cid, linked) = (user.0.clone(), id.clone(), form.to_linked.is_some());
    let result = state
        .db
        .run(move |conn| {
            if linked {
                updates::post_to_linked(conn, &me, &cid, &new).map(|_| ())
            } else {
                updates::post(conn, &me, &cid, &new).map(|_| ())
            }
        })
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "{}?saved=update#timeline",
            case_url(&id)
        ))),
        Err(e) => {
            let errors = form_errors(e, "title")?;
            update_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

// ---- relatives ---------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
pub struct RelativeForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    relationship: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    preferred_channel: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    point_of_contact: Option<String>,
    #[serde(default)]
    notify_by_email: Option<String>,
    #[serde(default)]
    quiet_hours_start: String,
    #[serde(default)]
    quiet_hours_end: String,
    #[serde(default)]
    version: String,
}

impl RelativeForm {
    fn from_record(r: &relatives::Relative) -> RelativeForm {
        RelativeForm {
            full_name: r.full_name.clone(),
            relationship: r.relationship.clone(),
            email: r.email.clone().unwrap_or_default(),
            phone: r.phone.clone().unwrap_or_default(),
            address: r.address.clone().unwrap_or_default(),
            preferred_channel: r.preferred_channel.as_str().into(),
            language: r.language.as_str().into(),
            point_of_contact: r.point_of_contact.then(|| "on".into()),
            notify_by_email: r.notify_by_email.then(|| "on".into()),
            quiet_hours_start: r.quiet_hours_start.clone().unwrap_or_default(),
            quiet_hours_end: r.quiet_hours_end.clone().unwrap_or_default(),
            version: r.version.to_string(),
        }
    }

    fn parse(&self) -> Result<RelativeInput, Result<FormErrors, AppError>> {
        let mut v = Validator::default();
        let full_name = v.check(PersonName::parse("full_name", &self.full_name));
        let relationship = v.check(input::required(
            "relationship",
            &self.relationship,
            limits::RELATIONSHIP,
        ));
        let email = match self.email.trim() {
            "" => Some(None),
            e => v.check(EmailAddress::parse("email", e)).map(Some),
        };
        let phone = v.check(crate::accounts::users::parse_phone(
            "phone",
            Some(&self.phone),
        ));
        let address = v.check(input::optional(
            "address",
            Some(&self.address),
            limits::ADDRESS,
        ));
        let channel = v.check(
            ContactChannel::parse(&self.preferred_channel).ok_or_else(|| {
                AppError::invalid(
                    "preferred_channel",
                    "Choose how they prefer to be contacted.",
                )
            }),
        );
        let language = v.check(
            Lang::parse(&self.language)
                .ok_or_else(|| AppError::invalid("language", "Choose a language.")),
        );
        let quiet = v.check(input::quiet_hours(
            Some(&self.quiet_hours_start),
            Some(&self.quiet_hours_end),
        ));
        v.finish()?;
        match (
            full_name,
            relationship,
            email,
            phone,
            address,
            channel,
            language,
            quiet,
        ) {
            (
                Some(full_name),
                Some(relationship),
                Some(email),
                Some(phone),
                Some(address),
                Some(preferred_channel),
                Some(language),
                Some(quiet_hours),
            ) => Ok(RelativeInput {
                full_name,
                relationship,
                email,
                phone,
                address,
                preferred_channel,
                language,
                point_of_contact: self.point_of_contact.is_some(),
                notify_by_email: self.notify_by_email.is_some(),
                quiet_hours,
            }),
            _ => Err(Err(AppError::Internal(anyhow::anyhow!(
                "validated fields missing"
            )))),
        }
    }
}

#[derive(Serialize)]
struct RelativePage<'a> {
    form: &'a RelativeForm,
    errors: FormErrors,
    channels: Vec<Choice>,
    languages: Vec<Choice>,
    action: String,
    editing: bool,
    /// On a stale edit: what the other person saved.
    theirs: Option<RelativeForm>,
    /// When editing: the relative's portal access, for the invite and suspend forms.
    access: Option<relatives::Relative>,
}

#[allow(clippy::too_many_arguments)]
async fn relative_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    relative: Option<&RelativeId>,
    status: StatusCode,
    form: &RelativeForm,
    errors: FormErrors,
    theirs: Option<RelativeForm>,
) -> Page {
    let (_, header) = load(state, user, id, "relative form").await?;
    let access = match relative {
        Some(r) => {
            let (cid, rid) = (id.clone(), r.clone());
            state
                .db
                .run(move |conn| Ok(relatives::find(conn, &cid, &rid)?))
                .await?
        }
        None => None,
    };
    let action = match relative {
        Some(r) => format!("{}/relatives/{r}/edit", case_url(id)),
        None => format!("{}/relatives", case_url(id)),
    };
    let body = RelativePage {
        form,
        errors,
        channels: channel_choices(&form.preferred_channel),
        languages: choices(Lang::ALL, Lang::as_str, Lang::label, &form.language),
        action,
        editing: relative.is_some(),
        theirs,
        access,
    };
    let title = if relative.is_some() {
        "Change a relative's details"
    } else {
        "Add a relative"
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/relative",
        title.into(),
        user,
        header,
        body,
    ))
}

pub async fn relative_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let form = RelativeForm {
        preferred_channel: "phone".into(),
        language: "en".into(),
        notify_by_email: Some("on".into()),
        ..RelativeForm::default()
    };
    relative_page(
        &req,
        &state,
        &user,
        &path,
        None,
        StatusCode::OK,
        &form,
        FormErrors::default(),
        None,
    )
    .await
}

pub async fn relative_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    form: CsrfForm<RelativeForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    let id = path.into_inner();
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            return relative_page(
                &req,
                &state,
                &user,
                &id,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors?,
                None,
            )
            .await;
        }
    };
    let (me, cid) = (user.0.clone(), id.clone());
    match state
        .db
        .run(move |conn| relatives::add(conn, &me, &cid, &input))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}?saved=relative#relatives",
            case_url(&id)
        ))),
        Err(e) => {
            let errors = form_errors(e, "full_name")?;
            relative_page(
                &req,
                &state,
                &user,
                &id,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
                None,
            )
            .await
        }
    }
}

pub async fn relative_edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, RelativeId)>,
) -> Page {
    let (id, relative) = path.into_inner();
    let (me, cid, rid) = (user.0.clone(), id.clone(), relative.clone());
    let record = state
        .db
        .run(move |conn| {
            access::require_visible(conn, &me, &cid)?;
            relatives::find(conn, &cid, &rid)?.ok_or(AppError::NotFound)
        })
        .await?;
    let form = RelativeForm::from_record(&record);
    relative_page(
        &req,
        &state,
        &user,
        &id,
        Some(&relative),
        StatusCode::OK,
        &form,
        FormErrors::default(),
        None,
    )
    .await
}

pub async fn relative_edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, RelativeId)>,
    form: CsrfForm<RelativeForm>,
) -> Page {
    visible_first(&state, &user, &path.0).await?;
    let form = form.into_inner()?;
    let (id, relative) = path.into_inner();
    let version: i64 = form.version.trim().parse().map_err(|_| {
        AppError::BadRequest("The form is missing its version; reload the page.".into())
    })?;
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            return relative_page(
                &req,
                &state,
                &user,
                &id,
                Some(&relative),
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors?,
                None,
            )
            .await;
        }
    };
    let (me, cid, rid) = (user.0.clone(), id.clone(), relative.clone());
    match state
        .db
        .run(move |conn| relatives::edit(conn, &me, &cid, &rid, version, &input))
        .await?
    {
        Edited::Saved(_) => Ok(see_other(&format!(
            "{}?saved=relative#relatives",
            case_url(&id)
        ))),
        Edited::Stale(current) => {
            let mut errors = FormErrors::default();
            errors.add(
                "full_name",
                "Someone else changed these details while you were editing. Their version is shown below; your changes are still in the form. Check both, then save again.",
            );
            let mut mine = form.clone();
            mine.version = current.version.to_string();
            let theirs = RelativeForm::from_record(&current);
            relative_page(
                &req,
                &state,
                &user,
                &id,
                Some(&relative),
                StatusCode::CONFLICT,
                &mine,
                errors,
                Some(theirs),
            )
            .await
        }
    }
}

// ---- named contacts (managers) -----------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct AssignForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    visible_to_family: Option<String>,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    working_hours: String,
    #[serde(default)]
    cover_user_id: String,
    #[serde(default)]
    cover_note: String,
}

#[derive(Serialize)]
struct AssignPage<'a> {
    form: &'a AssignForm,
    errors: FormErrors,
    people: Vec<Choice>,
    cover: Vec<Choice>,
    roles: Vec<Choice>,
}

async fn assign_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    status: StatusCode,
    form: &AssignForm,
    errors: FormErrors,
) -> Page {
    let (case, header) = load(state, user, id, "assignment form").await?;
    let team = case.team_id.clone();
    let members = state
        .db
        .run(move |conn| Ok(crate::accounts::teams::members(conn, &team)?))
        .await?;
    let staff = |selected: &str| -> Vec<Choice> {
        members
            .iter()
            .filter(|u| u.active)
            .map(|u| Choice {
                value: u.id.to_string(),
                text: format!("{} ({})", u.display_name, u.role.label()),
                selected: u.id.as_str() == selected,
            })
            .collect()
    };
    let body = AssignPage {
        people: staff(&form.user_id),
        cover: staff(&form.cover_user_id),
        roles: choices(
            AssignmentRole::ALL,
            AssignmentRole::as_str,
            AssignmentRole::label,
            &form.role,
        ),
        form,
        errors,
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/assignment_new",
        "Name a contact".into(),
        user,
        header,
        body,
    ))
}

pub async fn assign_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
) -> Page {
    let form = AssignForm {
        role: "flo".into(),
        visible_to_family: Some("on".into()),
        ..AssignForm::default()
    };
    assign_page(
        &req,
        &state,
        &user,
        &path,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    form: CsrfForm<AssignForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let person = v.check(
        UserId::parse(form.user_id.trim())
            .ok_or_else(|| AppError::invalid("user_id", "Choose a person.")),
    );
    let role = v.check(
        AssignmentRole::parse(&form.role)
            .ok_or_else(|| AppError::invalid("role", "Choose a role.")),
    );
    let phone = v.check(crate::accounts::users::parse_phone(
        "contact_phone",
        Some(&form.contact_phone),
    ));
    let email = match form.contact_email.trim() {
        "" => Some(None),
        e => v.check(EmailAddress::parse("contact_email", e)).map(Some),
    };
    let hours = v.check(input::optional(
        "working_hours",
        Some(&form.working_hours),
        limits::WORKING_HOURS,
    ));
    let cover = match form.cover_user_id.trim() {
        "" => Some(None),
        c => v
            .check(
                UserId::parse(c)
                    .ok_or_else(|| AppError::invalid("cover_user_id", "Choose a person.")),
            )
            .map(Some),
    };
    let cover_note = v.check(input::optional(
        "cover_note",
        Some(&form.cover_note),
        limits::NOTE,
    ));
    if let Err(errors) = v.finish() {
        return assign_page(
            &req,
            &state,
            &user,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors?,
        )
        .await;
    }
    let (
        Some(user_id),
        Some(role),
        Some(contact_phone),
        Some(contact_email),
        Some(working_hours),
        Some(cover_user_id),
        Some(cover_note),
    ) = (person, role, phone, email, hours, cover, cover_note)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let new = assignments::NewAssignment {
        user_id,
        role,
        starts_at: db::now(),
        ends_at: None,
        visible_to_family: form.visible_to_family.is_some(),
        contact_phone,
        contact_email,
        working_hours,
        cover_user_id,
        cover_note,
    };
    let (me, cid) = (user.0.clone(), id.clone());
    match state
        .db
        .run(move |conn| assignments::assign(conn, &me, &cid, &new))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}?saved=assignment#contacts",
            case_url(&id)
        ))),
        Err(e) => {
            let errors = form_errors(e, "user_id")?;
            assign_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

pub async fn end_assignment(
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<(CaseId, AssignmentId)>,
    form: CsrfForm<ReasonForm>,
) -> Page {
    visible_first(&state, &user, &path.0).await?;
    let reason = input::required("reason", &form.into_inner()?.reason, limits::REASON)?;
    let (me, (id, a)) = (user.0, path.into_inner());
    let back = case_url(&id);
    state
        .db
        .run(move |conn| assignments::end(conn, &me, &id, &a, &reason))
        .await?;
    Ok(see_other(&format!(
        "{back}?saved=assignment_ended#contacts"
    )))
}

// ---- property ----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PropertyForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    held_since: String,
    #[serde(default)]
    staff_notes: String,
}

#[derive(Serialize)]
struct PropertyPage<'a> {
    form: &'a PropertyForm,
    errors: FormErrors,
    items: Vec<property::ItemView>,
    statuses: Vec<Choice>,
    today: String,
}

async fn property_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    status: StatusCode,
    form: &PropertyForm,
    errors: FormErrors,
) -> Page {
    let (_, header) = load(state, user, id, "property").await?;
    let cid = id.clone();
    let items = state
        .db
        .run(move |conn| Ok(property::list(conn, &cid)?))
        .await?;
    let body = PropertyPage {
        form,
        errors,
        items,
        statuses: choices(
            &PropertyStatus::ALL[1..],
            PropertyStatus::as_str,
            PropertyStatus::label,
            "",
        ),
        today: london_date(db::now()).to_string(),
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/property",
        "Property".into(),
        user,
        header,
        body,
    ))
}

pub async fn property_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let form = PropertyForm {
        held_since: london_date(db::now()).to_string(),
        ..PropertyForm::default()
    };
    property_page(
        &req,
        &state,
        &user,
        &path,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn property_add(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    form: CsrfForm<PropertyForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let description = v.check(input::required(
        "description",
        &form.description,
        limits::PROPERTY_DESCRIPTION,
    ));
    let held = v.check(parse_date("held_since", &form.held_since));
    let notes = v.check(input::optional(
        "staff_notes",
        Some(&form.staff_notes),
        limits::NOTE,
    ));
    if let Err(errors) = v.finish() {
        return property_page(
            &req,
            &state,
            &user,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors?,
        )
        .await;
    }
    let (Some(description), Some(held_since), Some(staff_notes)) = (description, held, notes)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let new = NewItem {
        description,
        held_since,
        staff_notes,
    };
    let (me, cid) = (user.0.clone(), id.clone());
    match state
        .db
        .run(move |conn| property::add(conn, &me, &cid, &new))
        .await
    {
        Ok(_) => Ok(see_other(&format!("{}/property?saved=1", case_url(&id)))),
        Err(e) => {
            let errors = form_errors(e, "description")?;
            property_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    received_by: String,
    #[serde(default)]
    version: String,
}

pub async fn property_move(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, PropertyItemId)>,
    form: CsrfForm<MoveForm>,
) -> Page {
    visible_first(&state, &user, &path.0).await?;
    let form = form.into_inner()?;
    let m = Move {
        status: PropertyStatus::parse(&form.status)
            .ok_or_else(|| AppError::invalid("status", "Choose what happened to the item."))?,
        on: parse_date("on", &form.on)?,
        received_by: input::optional("received_by", Some(&form.received_by), limits::RECEIVED_BY)?,
        note: None,
        expected_version: form.version.trim().parse().map_err(|_| {
            AppError::BadRequest("The form is missing its version; reload the page.".into())
        })?,
    };
    let (me, (id, item)) = (user.0, path.into_inner());
    let back = case_url(&id);
    state
        .db
        .run(move |conn| property::move_item(conn, &me, &id, &item, &m))
        .await?;
    Ok(see_other(&format!("{back}/property?saved=1")))
}

// ---- manager forms: plan, close, reopen, links -------------------------------------------

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ManageForm {
    #[serde(default)]
    interval_hours: String,
    #[serde(default)]
    preferred_channel: String,
    #[serde(default)]
    preferred_hours: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    how_liaison_ends: String,
    #[serde(default)]
    contact_afterwards: String,
    #[serde(default)]
    how_to_reactivate: String,
    #[serde(default)]
    other_reference: String,
}

#[derive(Serialize)]
struct ManagePage<'a> {
    form: &'a ManageForm,
    errors: FormErrors,
    channels: Vec<Choice>,
    links: Vec<links::Link>,
    open: bool,
}

async fn manage_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    status: StatusCode,
    form: &ManageForm,
    errors: FormErrors,
) -> Page {
    let (case, header) = load(state, user, id, "manage").await?;
    let cid = id.clone();
    let links = state
        .db
        .run(move |conn| Ok(links::list(conn, &cid)?))
        .await?;
    let body = ManagePage {
        form,
        errors,
        channels: channel_choices(&form.preferred_channel),
        links,
        open: case.status == crate::casework::types::CaseStatus::Open,
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/case_manage",
        "Manage the case".into(),
        user,
        header,
        body,
    ))
}

pub async fn manage(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
) -> Page {
    let id = path.into_inner();
    let (me, cid) = (user.0.clone(), id.clone());
    let plan = state
        .db
        .run(move |conn| {
            let case = access::require_visible(conn, &me, &cid)?;
            access::require_manager(conn, &me, &case)?;
            Ok(cases::plans(conn, &cid)?.into_iter().next())
        })
        .await?;
    let form = ManageForm {
        interval_hours: plan
            .as_ref()
            .map(|p| p.interval_hours.to_string())
            .unwrap_or_else(|| "48".into()),
        preferred_channel: plan
            .as_ref()
            .map(|p| p.preferred_channel.as_str().to_owned())
            .unwrap_or_else(|| "phone".into()),
        preferred_hours: plan.map(|p| p.preferred_hours).unwrap_or_default(),
        ..ManageForm::default()
    };
    manage_page(
        &req,
        &state,
        &user,
        &id,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

/// Runs a manager action from the manage page; a broken rule shows the page again.
#[allow(clippy::too_many_arguments)]
async fn manage_action<F>(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    id: CaseId,
    form: ManageForm,
    field: &'static str,
    saved: &str,
    action: F,
) -> Page
where
    F: FnOnce(&mut DbConn, &StaffUser, &CaseId, &ManageForm) -> Result<(), AppError>
        + Send
        + 'static,
{
    let (me, cid) = (user.0.clone(), id.clone());
    let form_copy = form.clone();
    match state
        .db
        .run(move |conn| action(conn, &me, &cid, &form_copy))
        .await
    {
        Ok(()) => Ok(see_other(&format!("{}?saved={saved}", case_url(&id)))),
        Err(e) => {
            let errors = form_errors(e, field)?;
            manage_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

pub async fn set_plan(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    form: CsrfForm<ManageForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    manage_action(
        req,
        state,
        user,
        path.into_inner(),
        form,
        "interval_hours",
        "plan",
        |conn, me, id, f| {
            let hours = f.interval_hours.trim().parse::<i64>().map_err(|_| {
                AppError::invalid(
                    "interval_hours",
                    "Enter the number of hours between contacts, like 48.",
                )
            })?;
            let channel = ContactChannel::parse(&f.preferred_channel)
                .ok_or_else(|| AppError::invalid("preferred_channel", "Choose a channel."))?;
            let plan = input::plan(hours, channel, &f.preferred_hours, london_date(db::now()))?;
            let reason = input::required("reason", &f.reason, limits::REASON)?;
            cases::set_plan(conn, me, id, &plan, &reason)
        },
    )
    .await
}

pub async fn close(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    form: CsrfForm<ManageForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    manage_action(
        req,
        state,
        user,
        path.into_inner(),
        form,
        "how_liaison_ends",
        "closed",
        |conn, me, id, f| {
            let plan = ExitPlan {
                how_liaison_ends: input::required(
                    "how_liaison_ends",
                    &f.how_liaison_ends,
                    limits::EXIT_PLAN_PART,
                )?,
                contact_afterwards: input::required(
                    "contact_afterwards",
                    &f.contact_afterwards,
                    limits::EXIT_PLAN_PART,
                )?,
                how_to_reactivate: input::required(
                    "how_to_reactivate",
                    &f.how_to_reactivate,
                    limits::EXIT_PLAN_PART,
                )?,
            };
            cases::close(conn, me, id, &plan).map(|_| ())
        },
    )
    .await
}

pub async fn reopen(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    form: CsrfForm<ManageForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    manage_action(
        req,
        state,
        user,
        path.into_inner(),
        form,
        "reason",
        "reopened",
        |conn, me, id, f| {
            let reason = input::required("reason", &f.reason, limits::REASON)?;
            cases::reopen(conn, me, id, &reason).map(|_| ())
        },
    )
    .await
}

pub async fn link(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    form: CsrfForm<ManageForm>,
) -> Page {
    visible_first(&state, &user, &path).await?;
    let form = form.into_inner()?;
    manage_action(
        req,
        state,
        user,
        path.into_inner(),
        form,
        "other_reference",
        "linked",
        |conn, me, id, f| {
            use diesel::prelude::*;
            let reason = input::required("reason", &f.reason, limits::REASON)?;
            let other: Option<CaseId> = crate::db::schema::cases::table
                .filter(
                    crate::db::schema::cases::reference.eq(f.other_reference.trim().to_uppercase()),
                )
                .select(crate::db::schema::cases::id)
                .first(conn)
                .optional()?;
            let other = other.ok_or_else(|| {
                AppError::invalid(
                    "other_reference",
                    "There is no case you can see with that reference.",
                )
            })?;
            links::link(conn, me, id, &other, &reason).map(|_| ())
        },
    )
    .await
}

// ---- the disclosure export ---------------------------------------------------------------

async fn disclosure(
    state: &AppState,
    user: &StaffUser,
    id: CaseId,
) -> Result<crate::casework::export::Disclosure, AppError> {
    let me = user.clone();
    state
        .db
        .run(move |conn| crate::casework::export::build(conn, &me, &id))
        .await
}

pub async fn export_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let d = disclosure(&state, &user, path.into_inner()).await?;
    let title = format!("Disclosure record – {}", d.case.reference);
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/staff/export",
        &title,
        Some(&user),
        d,
    ))
}

fn download(content_type: &str, filename: String, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Content-Type", content_type.to_owned()))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

pub async fn export_csv(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let d = disclosure(&state, &user, path.into_inner()).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("{}-disclosure.csv", d.case.reference),
        crate::casework::export::to_csv(&d),
    ))
}

pub async fn export_json(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let d = disclosure(&state, &user, path.into_inner()).await?;
    let body = serde_json::to_string_pretty(&d).map_err(|e| AppError::Internal(e.into()))?;
    Ok(download(
        "application/json",
        format!("{}-disclosure.json", d.case.reference),
        body,
    ))
}
