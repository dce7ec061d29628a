//! Staff casework pages under `/staff/cases`. Forms keep every value on a validation error;
//! the contact form also keeps a draft in the browser until the server confirms the save.
//! Each handler calls the same use case as the JSON API.

pub mod assignments;
pub mod contacts;
pub mod export;
pub mod follow_ups;
pub mod groups;
pub mod manage;
pub mod milestones;
pub mod open;
pub mod property;
pub mod relatives;
pub mod support;
pub mod updates;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::CaseworkUser;
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::cases::{self, Case};
use crate::casework::timeline::{self, EntryKind};
use crate::casework::types::{CaseType, ContactChannel, Milestone};
use crate::db::DbConn;
use crate::domain::{CaseId, FamilyGroupId, FormErrors};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::Incoming;
use crate::web::pages::{render, see_other};

pub(crate) type Page = Result<HttpResponse, AppError>;

#[derive(Serialize)]
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) text: String,
    pub(crate) selected: bool,
}

pub(super) fn choices<T: Copy + PartialEq>(
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

pub(super) fn channel_choices(selected: &str) -> Vec<Choice> {
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
    case_type_label: &'static str,
    /// The furthest milestone reached.
    milestone_label: &'static str,
    status: String,
    open: bool,
    manages: bool,
    /// The case's family groups, for the forms that share with some of them.
    groups: Vec<GroupLabel>,
    several_groups: bool,
    /// A relative of the case is restricted: every form that shares or sends something to
    /// the family warns.
    has_restricted: bool,
}

#[derive(Serialize)]
pub(crate) struct GroupLabel {
    id: FamilyGroupId,
    name: String,
}

impl CaseHeader {
    /// Each group's name by its id, for pages that mark what belongs to which group.
    pub(crate) fn group_names(&self) -> std::collections::HashMap<String, String> {
        self.groups
            .iter()
            .map(|g| (g.id.to_string(), g.name.clone()))
            .collect()
    }
}

/// The case's family groups as a form's choices, `selected` chosen.
pub(crate) fn group_choices(header: &CaseHeader, selected: &str) -> Vec<Choice> {
    header
        .groups
        .iter()
        .map(|g| Choice {
            value: g.id.to_string(),
            text: g.name.clone(),
            selected: g.id.as_str() == selected,
        })
        .collect()
}

pub(super) fn header(
    conn: &mut DbConn,
    user: &StaffUser,
    case: &Case,
) -> Result<CaseHeader, AppError> {
    let groups: Vec<GroupLabel> = crate::casework::groups::list(conn, &case.id)?
        .into_iter()
        .map(|g| GroupLabel {
            id: g.id,
            name: g.name,
        })
        .collect();
    Ok(CaseHeader {
        several_groups: groups.len() > 1,
        groups,
        has_restricted: crate::family::restrictions::case_has_restricted(conn, &case.id)?,
        id: case.id.clone(),
        reference: case.reference.clone(),
        deceased_name: case.deceased_name.clone(),
        case_type_label: case.case_type.label(),
        milestone_label: case.milestone.label(),
        status: case.status.label().to_owned(),
        open: case.status == crate::casework::types::CaseStatus::Open,
        manages: access::manages(conn, user, case)?,
    })
}

/// Renders a case page: the header plus the page's own context.
#[derive(Serialize)]
pub(super) struct OnCase<T: Serialize> {
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

/// What a page of a case is given: the request, someone on the case team, and the case.
pub type CaseGet = (
    HttpRequest,
    web::Data<AppState>,
    CaseworkUser,
    web::Path<CaseId>,
);

/// What a case form is given when it is sent: the request, someone who may change the case
/// (checked before the form is read), the case and the form.
pub type CasePost<F> = (
    HttpRequest,
    web::Data<AppState>,
    crate::auth::CaseworkOnCase,
    web::Path<CaseId>,
    crate::auth::csrf::CsrfForm<F>,
);

/// Who asks for a page of a case, and about which case: what every case page is drawn for.
#[derive(Clone, Copy)]
pub(crate) struct Asked<'a> {
    pub req: &'a HttpRequest,
    pub state: &'a AppState,
    pub user: &'a StaffUser,
    pub id: &'a CaseId,
}

impl<'a> Asked<'a> {
    pub(crate) fn new(
        req: &'a HttpRequest,
        state: &'a AppState,
        user: &'a StaffUser,
        id: &'a CaseId,
    ) -> Asked<'a> {
        Asked {
            req,
            state,
            user,
            id,
        }
    }

    /// The case, read for `what` (audited), with its header.
    pub(crate) async fn load(&self, what: &'static str) -> Result<(Case, CaseHeader), AppError> {
        load(self.state, self.user, self.id, what).await
    }

    /// More of the case for the page, in one database task.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&mut DbConn, &CaseId) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let id = self.id.clone();
        self.state.db.run(move |conn| read(conn, &id)).await
    }

    /// The page, under the case's header.
    pub(crate) fn page<T: Serialize>(
        &self,
        status: StatusCode,
        template: &str,
        title: &str,
        header: CaseHeader,
        body: T,
    ) -> Page {
        let title = title.to_owned();
        Ok(case_page(
            self.req, status, template, title, self.user, header, body,
        ))
    }
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
pub(super) fn form_errors(e: AppError, default_field: &str) -> Result<FormErrors, AppError> {
    FormErrors::from_error(e, default_field)
}

/// The end of every case form: the checked input written by `write`, then on to `done`; bad
/// input, or a write the rules refuse, shows the form again (422) with every error, the
/// refusal beside `default_field`.
pub(crate) async fn save<T: Send + 'static, R: Send + 'static>(
    state: &AppState,
    checked: Result<T, Result<FormErrors, AppError>>,
    write: impl FnOnce(&mut DbConn, T) -> Result<R, AppError> + Send + 'static,
    default_field: &str,
    done: impl FnOnce(R) -> String,
    again: impl AsyncFnOnce(FormErrors) -> Page,
) -> Page {
    let errors = match checked {
        Ok(value) => match state.db.run(move |conn| write(conn, value)).await {
            Ok(written) => return Ok(see_other(&done(written))),
            Err(e) => form_errors(e, default_field)?,
        },
        Err(errors) => errors?,
    };
    again(errors).await
}

/// A form that gives only a reason (cancelling, ending an assignment, reopening).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

// ---- the case list -----------------------------------------------------------------------

#[derive(Serialize)]
struct ListPage {
    cases: Vec<cases::CaseSummary>,
    total: i64,
    search: String,
    milestones: Vec<Choice>,
    types: Vec<Choice>,
    statuses: Vec<Choice>,
    overdue: bool,
    previous: Option<String>,
    next: Option<String>,
    showing: String,
    can_open: bool,
}

pub async fn list(
    (req, state): Incoming,
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
        if let Some(m) = filter.milestone {
            q.push(("milestone".into(), m.as_str().into()));
        }
        if let Some(t) = filter.case_type {
            q.push(("case_type".into(), t.as_str().into()));
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
        milestones: choices(
            Milestone::ALL,
            Milestone::as_str,
            Milestone::label,
            filter.milestone.map(Milestone::as_str).unwrap_or(""),
        ),
        types: choices(
            CaseType::ALL,
            CaseType::as_str,
            CaseType::label,
            filter.case_type.map(CaseType::as_str).unwrap_or(""),
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
    named_contacts: Vec<crate::casework::assignments::Assignment>,
    relatives: Vec<crate::casework::relatives::Relative>,
    follow_ups: Vec<crate::casework::follow_ups::FollowUpView>,
    timeline: Vec<timeline::Entry>,
    kinds: Vec<KindFilter>,
    /// Relatives with Victims' Code entitlements outstanding.
    outstanding: Vec<crate::casework::entitlements::RelativeStanding>,
    /// The operation the case is in, as the reader may see it.
    operation: Option<crate::casework::operations::Operation>,
    exit_plans: Vec<cases::ExitPlanRecord>,
    saved: Option<String>,
    clear_draft: Option<String>,
    recent_contacts: Vec<Choice>,
    /// Each family group's name by its id.
    group_names: std::collections::HashMap<String, String>,
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
    (req, state): Incoming,
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
            let contacts_for_completion: Vec<Choice> = crate::casework::contacts::list(conn, &id)?
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
                named_contacts: crate::casework::assignments::list(conn, &id)?,
                relatives: crate::casework::relatives::list(conn, &id)?,
                follow_ups: crate::casework::follow_ups::list(conn, &id)?,
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
                outstanding: crate::casework::entitlements::standing(conn, &id)?
                    .into_iter()
                    .filter(|r| !r.outstanding.is_empty())
                    .collect(),
                operation: match crate::casework::operations::of_case(conn, &id)? {
                    Some(op) => Some(crate::casework::operations::read(conn, &me, &op)?),
                    None => None,
                },
                exit_plans: cases::exit_plans(conn, &id)?,
                saved: None,
                clear_draft: None,
                recent_contacts: contacts_for_completion,
                group_names: header.group_names(),
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
