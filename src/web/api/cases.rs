//! Casework as JSON: `/api/v1/cases/...`. Each handler reads its input, calls the use case in
//! `casework`, and answers JSON. Rules live in the use cases.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::{CaseworkCaller, CaseworkUser, ManagerUser};
use crate::casework::cases::{self, Case, CaseFilter, ExitPlan, NewCase};
use crate::casework::contacts::{self, NewAmendment, NewContact};
use crate::casework::follow_ups::{self, NewFollowUp};
use crate::casework::property::{self, Move, NewItem};
use crate::casework::relatives::{self, Edited, RelativeInput};
use crate::casework::timeline::{self, EntryKind};
use crate::casework::types::{
    AssignmentRole, CaseStatus, ContactChannel, Direction, PropertyStatus, Stage,
};
use crate::casework::updates::{self, NewUpdate};
use crate::casework::{assignments, input, limits, links};
use crate::domain::{
    AssignmentId, CaseId, ContactId, EmailAddress, FollowUpId, PersonName, PropertyItemId,
    RelativeId, TeamId, UserId, Validator,
};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::api::ApiJson;

type Answer = Result<HttpResponse, AppError>;

/// Checks that the caller may see the case before anything they sent is looked at, so that a
/// case they may not see answers 404 whatever the body says, exactly as a missing one.
async fn visible_first(
    state: &AppState,
    user: &crate::auth::StaffUser,
    id: &CaseId,
) -> Result<(), AppError> {
    let (user, id) = (user.clone(), id.clone());
    state
        .db
        .run(move |conn| crate::casework::access::require_visible(conn, &user, &id).map(|_| ()))
        .await
}

fn created<T: Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

/// Parses a time sent to the API (RFC 3339).
fn time(field: &str, raw: &str) -> Result<chrono::NaiveDateTime, AppError> {
    crate::casework::time::parse_rfc3339(field, raw)
}

fn date(field: &str, raw: &str) -> Result<chrono::NaiveDate, AppError> {
    crate::casework::time::parse_date(field, raw)
}

// ---- cases -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub search: Option<String>,
    pub status: Option<String>,
    pub stage: Option<String>,
    pub officer: Option<String>,
    pub overdue: Option<bool>,
    pub page: Option<i64>,
}

impl ListQuery {
    pub fn to_filter(&self) -> Result<CaseFilter, AppError> {
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(CaseFilter {
            search: nonempty(&self.search),
            status: match nonempty(&self.status) {
                Some(s) => Some(CaseStatus::parse(&s).ok_or_else(|| {
                    AppError::invalid(
                        "status",
                        format!("status must be one of: {}", CaseStatus::codes()),
                    )
                })?),
                None => None,
            },
            stage: match nonempty(&self.stage) {
                Some(s) => Some(Stage::parse(&s).ok_or_else(|| {
                    AppError::invalid("stage", format!("stage must be one of: {}", Stage::codes()))
                })?),
                None => None,
            },
            officer: match nonempty(&self.officer) {
                Some(s) => Some(UserId::parse(&s).ok_or_else(|| {
                    AppError::invalid("officer", "officer must be an account id.")
                })?),
                None => None,
            },
            overdue: self.overdue.unwrap_or(false),
            page: self.page.unwrap_or(0).max(0),
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseList {
    cases: Vec<cases::CaseSummary>,
    total: i64,
    page: i64,
    page_size: i64,
}

#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of the cases I may see", body = CaseList),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    query: web::Query<ListQuery>,
) -> Answer {
    let filter = query.to_filter()?;
    let page = filter.page;
    let user = user.0;
    let (cases, total) = state
        .db
        .run(move |conn| Ok(cases::list(conn, &user, &filter)?))
        .await?;
    Ok(HttpResponse::Ok().json(CaseList {
        cases,
        total,
        page,
        page_size: cases::PAGE_SIZE,
    }))
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsBody {
    language: Option<String>,
    #[serde(default)]
    interpreter: bool,
    accessibility: Option<String>,
    faith_culture: Option<String>,
    other: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    interval_hours: i64,
    preferred_channel: ContactChannel,
    #[serde(default)]
    preferred_hours: String,
    agreed_on: String,
}

impl PlanBody {
    fn parse(&self) -> Result<cases::PlanInput, AppError> {
        input::plan(
            self.interval_hours,
            self.preferred_channel,
            &self.preferred_hours,
            date("agreed_on", &self.agreed_on)?,
        )
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseBody {
    team_id: TeamId,
    deceased_name: String,
    date_of_death: String,
    circumstances: Option<String>,
    #[serde(default)]
    needs: NeedsBody,
    contact_plan: Option<PlanBody>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    case: Case,
    stage_label: &'static str,
    stages: Vec<cases::StageReached>,
    contact_plan: Option<cases::ContactPlan>,
    links: Vec<links::Link>,
}

fn detail(conn: &mut crate::db::DbConn, case: Case) -> Result<CaseDetail, AppError> {
    Ok(CaseDetail {
        stage_label: case.stage.label(),
        stages: cases::stage_history(conn, &case.id)?,
        contact_plan: cases::plans(conn, &case.id)?.into_iter().next(),
        links: links::list(conn, &case.id)?,
        case,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/cases",
    tag = "cases",
    request_body = OpenCaseBody,
    responses(
        (status = 201, description = "Opened", body = CaseDetail),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 413, description = "Too large", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn open(
    state: web::Data<AppState>,
    user: ManagerUser,
    body: ApiJson<OpenCaseBody>,
) -> Answer {
    let body = body.into_inner()?;
    let mut v = Validator::default();
    let name = v.check(PersonName::parse("deceased_name", &body.deceased_name));
    let died = v.check(input::date_of_death(&body.date_of_death));
    let circumstances = v.check(input::optional(
        "circumstances",
        body.circumstances.as_deref(),
        limits::CIRCUMSTANCES,
    ));
    let n = &body.needs;
    let needs = v.check(input::needs(
        n.language.as_deref(),
        n.interpreter,
        n.accessibility.as_deref(),
        n.faith_culture.as_deref(),
        n.other.as_deref(),
    ));
    let plan = match &body.contact_plan {
        Some(p) => v.check(p.parse()).map(Some),
        None => Some(None),
    };
    v.finish_api()?;
    let (Some(deceased_name), Some(date_of_death), Some(circumstances), Some(needs), Some(plan)) =
        (name, died, circumstances, needs, plan)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let new = NewCase {
        team_id: body.team_id,
        deceased_name,
        date_of_death,
        circumstances,
        needs,
        plan,
    };
    let user = user.0;
    let case = state
        .db
        .run(move |conn| {
            let case = cases::open(conn, &user, new)?;
            detail(conn, case)
        })
        .await?;
    Ok(created(format!("/api/v1/cases/{}", case.case.id), &case))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    tag = "cases",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The case", body = CaseDetail),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn get(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let case = state
        .db
        .run(move |conn| {
            let case = crate::casework::read(conn, &user, &id, "case")?;
            detail(conn, case)
        })
        .await?;
    Ok(HttpResponse::Ok().json(case))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    how_liaison_ends: String,
    contact_afterwards: String,
    how_to_reactivate: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/close",
    tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = CloseBody,
    responses(
        (status = 200, description = "Closed", body = CaseDetail),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn close(
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    body: ApiJson<CloseBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let body = body.into_inner()?;
    let plan = ExitPlan {
        how_liaison_ends: input::required(
            "how_liaison_ends",
            &body.how_liaison_ends,
            limits::EXIT_PLAN_PART,
        )?,
        contact_afterwards: input::required(
            "contact_afterwards",
            &body.contact_afterwards,
            limits::EXIT_PLAN_PART,
        )?,
        how_to_reactivate: input::required(
            "how_to_reactivate",
            &body.how_to_reactivate,
            limits::EXIT_PLAN_PART,
        )?,
    };
    let (user, id) = (user.0, path.into_inner());
    let case = state
        .db
        .run(move |conn| {
            let case = cases::close(conn, &user, &id, &plan)?;
            detail(conn, case)
        })
        .await?;
    Ok(HttpResponse::Ok().json(case))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/reopen",
    tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Reopened", body = CaseDetail),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn reopen(
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    body: ApiJson<ReasonBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (user, id) = (user.0, path.into_inner());
    let case = state
        .db
        .run(move |conn| {
            let case = cases::reopen(conn, &user, &id, &reason)?;
            detail(conn, case)
        })
        .await?;
    Ok(HttpResponse::Ok().json(case))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/contact-plan",
    tag = "cases",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Every version of the contact plan, newest first", body = [cases::ContactPlan]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn plans(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let plans = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "contact plan")?;
            Ok(cases::plans(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(plans))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPlanBody {
    #[serde(flatten)]
    plan: PlanBody,
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/contact-plan",
    tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = SetPlanBody,
    responses(
        (status = 201, description = "The plan history with the new plan first", body = [cases::ContactPlan]),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn set_plan(
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    body: ApiJson<SetPlanBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let body = body.into_inner()?;
    let plan = body.plan.parse()?;
    let reason = input::required("reason", &body.reason, limits::REASON)?;
    let (user, id) = (user.0, path.into_inner());
    let plans = state
        .db
        .run(move |conn| {
            cases::set_plan(conn, &user, &id, &plan, &reason)?;
            Ok(cases::plans(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(plans))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/timeline",
    tag = "cases",
    params(("id" = CaseId, Path), TimelineQuery),
    responses(
        (status = 200, description = "The timeline, newest first", body = [timeline::Entry]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn timeline(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    query: web::Query<TimelineQuery>,
) -> Answer {
    let kinds = query.kinds()?;
    let (user, id) = (user.0, path.into_inner());
    let entries = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "timeline")?;
            Ok(timeline::build(conn, &id, &kinds)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(entries))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TimelineQuery {
    /// Comma-separated kinds: contact, correction, update, follow_up, property, stage, status.
    pub kind: Option<String>,
}

impl TimelineQuery {
    pub fn kinds(&self) -> Result<Vec<EntryKind>, AppError> {
        self.kind
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| {
                EntryKind::parse(k).ok_or_else(|| {
                    AppError::invalid(
                        "kind",
                        format!("kind must be one of: {}", EntryKind::codes()),
                    )
                })
            })
            .collect()
    }
}

// ---- links -------------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/links",
    tag = "links",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Current links", body = [links::Link]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn links_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let list = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "links")?;
            Ok(links::list(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    other_case_id: CaseId,
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/links",
    tag = "links",
    params(("id" = CaseId, Path)),
    request_body = LinkBody,
    responses(
        (status = 201, description = "Linked", body = links::Link),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn link(
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    body: ApiJson<LinkBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let body = body.into_inner()?;
    let reason = input::required("reason", &body.reason, limits::REASON)?;
    let (user, id) = (user.0, path.into_inner());
    let link = state
        .db
        .run(move |conn| links::link(conn, &user, &id, &body.other_case_id, &reason))
        .await?;
    Ok(HttpResponse::Created().json(link))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/links/{link_id}/remove",
    tag = "links",
    params(("id" = CaseId, Path), ("link_id" = String, Path)),
    request_body = ReasonBody,
    responses(
        (status = 204, description = "Unlinked, with the reason kept"),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn unlink(
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<(CaseId, String)>,
    body: ApiJson<ReasonBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (user, (id, link_id)) = (user.0, path.into_inner());
    state
        .db
        .run(move |conn| links::unlink(conn, &user, &id, &link_id, &reason))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- assignments -------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/assignments",
    tag = "named contacts",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Every assignment, current first", body = [assignments::Assignment]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn assignments_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let list = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "assignments")?;
            Ok(assignments::list(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    user_id: UserId,
    role: AssignmentRole,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(default)]
    visible_to_family: bool,
    contact_phone: Option<String>,
    contact_email: Option<String>,
    working_hours: Option<String>,
    cover_user_id: Option<UserId>,
    cover_note: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/assignments",
    tag = "named contacts",
    params(("id" = CaseId, Path)),
    request_body = AssignBody,
    responses(
        (status = 201, description = "Assigned", body = assignments::Assignment),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn assign(
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<CaseId>,
    body: ApiJson<AssignBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let b = body.into_inner()?;
    let new = assignments::NewAssignment {
        user_id: b.user_id,
        role: b.role,
        starts_at: match &b.starts_at {
            Some(t) => time("starts_at", t)?,
            None => crate::db::now(),
        },
        ends_at: b
            .ends_at
            .as_deref()
            .map(|t| time("ends_at", t))
            .transpose()?,
        visible_to_family: b.visible_to_family,
        contact_phone: crate::accounts::users::parse_phone(
            "contact_phone",
            b.contact_phone.as_deref(),
        )?,
        contact_email: b
            .contact_email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(|e| EmailAddress::parse("contact_email", e))
            .transpose()?,
        working_hours: input::optional(
            "working_hours",
            b.working_hours.as_deref(),
            limits::WORKING_HOURS,
        )?,
        cover_user_id: b.cover_user_id,
        cover_note: input::optional("cover_note", b.cover_note.as_deref(), limits::NOTE)?,
    };
    let (user, id) = (user.0, path.into_inner());
    let made = state
        .db
        .run(move |conn| assignments::assign(conn, &user, &id, &new))
        .await?;
    Ok(HttpResponse::Created().json(made))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/assignments/{assignment_id}/end",
    tag = "named contacts",
    params(("id" = CaseId, Path), ("assignment_id" = AssignmentId, Path)),
    request_body = ReasonBody,
    responses(
        (status = 204, description = "Ended"),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn end_assignment(
    state: web::Data<AppState>,
    user: ManagerUser,
    path: web::Path<(CaseId, AssignmentId)>,
    body: ApiJson<ReasonBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (user, (id, assignment)) = (user.0, path.into_inner());
    state
        .db
        .run(move |conn| assignments::end(conn, &user, &id, &assignment, &reason))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- relatives ---------------------------------------------------------------------------

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelativeBody {
    full_name: String,
    relationship: String,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    preferred_channel: ContactChannel,
    #[serde(default = "default_lang")]
    language: Lang,
    #[serde(default)]
    point_of_contact: bool,
    #[serde(default = "yes")]
    notify_by_email: bool,
    quiet_hours_start: Option<String>,
    quiet_hours_end: Option<String>,
    /// Required when editing: the version the change was made from.
    version: Option<i64>,
}

fn default_lang() -> Lang {
    Lang::En
}

fn yes() -> bool {
    true
}

impl RelativeBody {
    fn parse(&self) -> Result<RelativeInput, AppError> {
        let mut v = Validator::default();
        let full_name = v.check(PersonName::parse("full_name", &self.full_name));
        let relationship = v.check(input::required(
            "relationship",
            &self.relationship,
            limits::RELATIONSHIP,
        ));
        let email = match self.email.as_deref().filter(|e| !e.trim().is_empty()) {
            Some(e) => v.check(EmailAddress::parse("email", e)).map(Some),
            None => Some(None),
        };
        let phone = v.check(crate::accounts::users::parse_phone(
            "phone",
            self.phone.as_deref(),
        ));
        let address = v.check(input::optional(
            "address",
            self.address.as_deref(),
            limits::ADDRESS,
        ));
        let quiet = v.check(input::quiet_hours(
            self.quiet_hours_start.as_deref(),
            self.quiet_hours_end.as_deref(),
        ));
        v.finish_api()?;
        match (full_name, relationship, email, phone, address, quiet) {
            (
                Some(full_name),
                Some(relationship),
                Some(email),
                Some(phone),
                Some(address),
                Some(quiet_hours),
            ) => Ok(RelativeInput {
                full_name,
                relationship,
                email,
                phone,
                address,
                preferred_channel: self.preferred_channel,
                language: self.language,
                point_of_contact: self.point_of_contact,
                notify_by_email: self.notify_by_email,
                quiet_hours,
            }),
            _ => Err(AppError::Internal(anyhow::anyhow!(
                "validated fields missing"
            ))),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/relatives",
    tag = "relatives",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Relatives", body = [relatives::Relative]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn relatives_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let list = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "relatives")?;
            Ok(relatives::list(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/relatives",
    tag = "relatives",
    params(("id" = CaseId, Path)),
    request_body = RelativeBody,
    responses(
        (status = 201, description = "Added", body = relatives::Relative),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn relative_add(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    body: ApiJson<RelativeBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let input = body.into_inner()?.parse()?;
    let (user, id) = (user.0, path.into_inner());
    let relative = state
        .db
        .run(move |conn| relatives::add(conn, &user, &id, &input))
        .await?;
    Ok(created(
        format!(
            "/api/v1/cases/{}/relatives/{}",
            relative.case_id, relative.id
        ),
        &relative,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/relatives/{relative_id}",
    tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    responses(
        (status = 200, description = "The relative", body = relatives::Relative),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn relative_get(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, RelativeId)>,
) -> Answer {
    let (user, (id, relative)) = (user.0, path.into_inner());
    let found = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "relative")?;
            relatives::find(conn, &id, &relative)?.ok_or(AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StaleEdit {
    error: &'static str,
    message: &'static str,
    current: relatives::Relative,
}

#[utoipa::path(
    put,
    path = "/api/v1/cases/{id}/relatives/{relative_id}",
    tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    request_body = RelativeBody,
    responses(
        (status = 200, description = "Saved", body = relatives::Relative),
        (status = 409, description = "Someone saved a change first; theirs is in `current`", body = StaleEdit),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn relative_edit(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, RelativeId)>,
    body: ApiJson<RelativeBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let body = body.into_inner()?;
    let version = body.version.ok_or_else(|| {
        AppError::invalid(
            "version",
            "Send the version you are changing (from the record you read).",
        )
    })?;
    let input = body.parse()?;
    let (user, (id, relative)) = (user.0, path.into_inner());
    match state
        .db
        .run(move |conn| relatives::edit(conn, &user, &id, &relative, version, &input))
        .await?
    {
        Edited::Saved(r) => Ok(HttpResponse::Ok().json(r)),
        Edited::Stale(current) => Ok(HttpResponse::Conflict().json(StaleEdit {
            error: "stale_edit",
            message: "Someone changed this record since you read it. Their version is in `current`; apply your change to it and send it again.",
            current,
        })),
    }
}

// ---- contacts ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    purpose: String,
    assignee_id: Option<UserId>,
    due_at: String,
    relative_id: Option<RelativeId>,
    #[serde(default)]
    is_appointment: bool,
    place: Option<String>,
}

impl FollowUpBody {
    fn parse(&self, default_assignee: &UserId) -> Result<NewFollowUp, AppError> {
        Ok(NewFollowUp {
            purpose: input::required("purpose", &self.purpose, limits::PURPOSE)?,
            assignee: self
                .assignee_id
                .clone()
                .unwrap_or_else(|| default_assignee.clone()),
            due_at: input::due_at("due_at", time("due_at", &self.due_at)?)?,
            relative_id: self.relative_id.clone(),
            is_appointment: self.is_appointment,
            place: input::optional("place", self.place.as_deref(), limits::PLACE)?,
        })
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    occurred_at: Option<String>,
    channel: ContactChannel,
    direction: Direction,
    duration_minutes: Option<i64>,
    #[serde(default)]
    relatives: Vec<RelativeId>,
    discussion: String,
    family_summary: Option<String>,
    agreed_actions: Option<String>,
    #[serde(default)]
    follow_ups: Vec<FollowUpBody>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/contacts",
    tag = "contacts",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The contact log, most recent first", body = [contacts::ContactView]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn contacts_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let list = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "contacts")?;
            Ok(contacts::list(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

fn parse_contact(officer: &UserId, b: ContactBody) -> Result<NewContact, AppError> {
    let mut follow_ups = Vec::with_capacity(b.follow_ups.len());
    for (i, f) in b.follow_ups.iter().enumerate() {
        follow_ups.push(f.parse(officer).map_err(|e| e.in_item("follow_ups", i))?);
    }
    Ok(NewContact {
        occurred_at: match &b.occurred_at {
            Some(t) => time("occurred_at", t)?,
            None => crate::db::now(),
        },
        channel: b.channel,
        direction: b.direction,
        duration_minutes: input::duration(b.duration_minutes)?,
        relatives: b.relatives,
        discussion: input::required("discussion", &b.discussion, limits::DISCUSSION)?,
        family_summary: input::optional(
            "family_summary",
            b.family_summary.as_deref(),
            limits::FAMILY_SUMMARY,
        )?,
        agreed_actions: input::optional(
            "agreed_actions",
            b.agreed_actions.as_deref(),
            limits::AGREED_ACTIONS,
        )?,
        follow_ups,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/contacts",
    tag = "contacts",
    params(("id" = CaseId, Path)),
    request_body = ContactBody,
    responses(
        (status = 201, description = "Logged", body = contacts::ContactView),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 413, description = "Too large", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn contact_log(
    state: web::Data<AppState>,
    caller: CaseworkCaller,
    path: web::Path<CaseId>,
    body: ApiJson<ContactBody>,
) -> Answer {
    // The hot path, in one database task: the caller's session, then `contacts::log`, which
    // checks visibility inside its own transaction. Only when something is wrong does more
    // happen: a refusal is answered (and audited) as `CaseworkUser` would; bad input answers
    // 404 first for a case the caller may not see, as a missing one would.
    enum Outcome {
        Logged(Box<contacts::ContactView>),
        Refused(Result<crate::auth::StaffUser, crate::auth::session::SessionRejection>),
        BadInput(crate::auth::StaffUser, AppError),
    }
    let (claims, idle, id) = (
        caller.claims().clone(),
        state.config.session_idle,
        path.into_inner(),
    );
    let body = body.into_inner();
    let outcome = state
        .db
        .run({
            let id = id.clone();
            move |conn| {
                let user = match CaseworkCaller::session(&claims, idle, conn)? {
                    Ok(user) => user,
                    Err(found) => return Ok(Outcome::Refused(found)),
                };
                match body.and_then(|b| parse_contact(&user.id, b)) {
                    Ok(new) => {
                        contacts::log(conn, &user, &id, &new).map(|c| Outcome::Logged(Box::new(c)))
                    }
                    Err(e) => Ok(Outcome::BadInput(user, e)),
                }
            }
        })
        .await?;
    let contact = match outcome {
        Outcome::Logged(contact) => contact,
        Outcome::Refused(found) => return Err(caller.refuse(found).await),
        Outcome::BadInput(user, e) => {
            visible_first(&state, &user, &id).await?;
            return Err(e);
        }
    };
    Ok(created(
        format!(
            "/api/v1/cases/{}/contacts/{}",
            contact.original.case_id, contact.original.id
        ),
        &contact,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/contacts/{contact_id}",
    tag = "contacts",
    params(("id" = CaseId, Path), ("contact_id" = ContactId, Path)),
    responses(
        (status = 200, description = "The contact, its corrections and its current reading", body = contacts::ContactView),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 405, description = "Records here are append-only", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn contact_get(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, ContactId)>,
) -> Answer {
    let (user, (id, contact)) = (user.0, path.into_inner());
    let found = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "contact")?;
            contacts::view(conn, &id, &contact)?.ok_or(AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/contacts/{contact_id}/amendments",
    tag = "contacts",
    params(("id" = CaseId, Path), ("contact_id" = ContactId, Path)),
    responses(
        (status = 200, description = "Corrections, oldest first", body = [contacts::Amendment]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn amendments_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, ContactId)>,
) -> Answer {
    let (user, (id, contact)) = (user.0, path.into_inner());
    let found = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "contact")?;
            contacts::view(conn, &id, &contact)?.ok_or(AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(found.amendments))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendmentBody {
    reason: String,
    occurred_at: Option<String>,
    channel: Option<ContactChannel>,
    direction: Option<Direction>,
    duration_minutes: Option<i64>,
    discussion: Option<String>,
    family_summary: Option<String>,
    agreed_actions: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/contacts/{contact_id}/amendments",
    tag = "contacts",
    params(("id" = CaseId, Path), ("contact_id" = ContactId, Path)),
    request_body = AmendmentBody,
    responses(
        (status = 201, description = "Corrected; the original stands beside it", body = contacts::ContactView),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn amend(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, ContactId)>,
    body: ApiJson<AmendmentBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let b = body.into_inner()?;
    let amendment = NewAmendment {
        reason: Some(input::required("reason", &b.reason, limits::REASON)?),
        occurred_at: b
            .occurred_at
            .as_deref()
            .map(|t| time("occurred_at", t))
            .transpose()?,
        channel: b.channel,
        direction: b.direction,
        duration_minutes: input::duration(b.duration_minutes)?,
        discussion: b
            .discussion
            .as_deref()
            .map(|d| input::required("discussion", d, limits::DISCUSSION))
            .transpose()?,
        family_summary: input::clearable(
            "family_summary",
            b.family_summary.as_deref(),
            limits::FAMILY_SUMMARY,
        )?,
        agreed_actions: input::clearable(
            "agreed_actions",
            b.agreed_actions.as_deref(),
            limits::AGREED_ACTIONS,
        )?,
    };
    let (user, (id, contact)) = (user.0, path.into_inner());
    let view = state
        .db
        .run(move |conn| contacts::amend(conn, &user, &id, &contact, &amendment))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

// ---- follow-ups --------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/follow-ups",
    tag = "follow-ups",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Follow-ups", body = [follow_ups::FollowUpView]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn follow_ups_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let list = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "follow-ups")?;
            Ok(follow_ups::list(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/follow-ups",
    tag = "follow-ups",
    params(("id" = CaseId, Path)),
    request_body = FollowUpBody,
    responses(
        (status = 201, description = "Created", body = follow_ups::FollowUp),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn follow_up_create(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    body: ApiJson<FollowUpBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let user = user.0;
    let new = body.into_inner()?.parse(&user.id)?;
    let id = path.into_inner();
    let made = state
        .db
        .run(move |conn| follow_ups::create(conn, &user, &id, &new))
        .await?;
    Ok(HttpResponse::Created().json(made))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    contact_id: Option<ContactId>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/follow-ups/{follow_up_id}/complete",
    tag = "follow-ups",
    params(("id" = CaseId, Path), ("follow_up_id" = FollowUpId, Path)),
    request_body = CompleteBody,
    responses(
        (status = 200, description = "Done", body = follow_ups::FollowUp),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn follow_up_complete(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, FollowUpId)>,
    body: ApiJson<CompleteBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let b = body.into_inner()?;
    let (user, (id, f)) = (user.0, path.into_inner());
    let done = state
        .db
        .run(move |conn| follow_ups::complete(conn, &user, &id, &f, b.contact_id.as_ref()))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/follow-ups/{follow_up_id}/cancel",
    tag = "follow-ups",
    params(("id" = CaseId, Path), ("follow_up_id" = FollowUpId, Path)),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Cancelled", body = follow_ups::FollowUp),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn follow_up_cancel(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, FollowUpId)>,
    body: ApiJson<ReasonBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (user, (id, f)) = (user.0, path.into_inner());
    let done = state
        .db
        .run(move |conn| follow_ups::cancel(conn, &user, &id, &f, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignBody {
    assignee_id: UserId,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/follow-ups/{follow_up_id}/reassign",
    tag = "follow-ups",
    params(("id" = CaseId, Path), ("follow_up_id" = FollowUpId, Path)),
    request_body = ReassignBody,
    responses(
        (status = 200, description = "Reassigned", body = follow_ups::FollowUp),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn follow_up_reassign(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, FollowUpId)>,
    body: ApiJson<ReassignBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let b = body.into_inner()?;
    let (user, (id, f)) = (user.0, path.into_inner());
    let done = state
        .db
        .run(move |conn| follow_ups::reassign(conn, &user, &id, &f, &b.assignee_id))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    due_at: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/follow-ups/{follow_up_id}/reschedule",
    tag = "follow-ups",
    params(("id" = CaseId, Path), ("follow_up_id" = FollowUpId, Path)),
    request_body = RescheduleBody,
    responses(
        (status = 200, description = "Rescheduled", body = follow_ups::FollowUp),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn follow_up_reschedule(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, FollowUpId)>,
    body: ApiJson<RescheduleBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let due = input::due_at("due_at", time("due_at", &body.into_inner()?.due_at)?)?;
    let (user, (id, f)) = (user.0, path.into_inner());
    let done = state
        .db
        .run(move |conn| follow_ups::reschedule(conn, &user, &id, &f, due))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

#[utoipa::path(
    get,
    path = "/api/v1/me/follow-ups",
    tag = "follow-ups",
    responses(
        (status = 200, description = "My open follow-ups", body = [follow_ups::FollowUpView]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn my_follow_ups(state: web::Data<AppState>, user: CaseworkUser) -> Answer {
    let user = user.0;
    let list = state
        .db
        .run(move |conn| Ok(follow_ups::open_for(conn, &user.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

// ---- updates -----------------------------------------------------------------------------

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    title: String,
    body: String,
    shared_with_family: bool,
    stage: Option<Stage>,
    #[serde(default)]
    key_event: bool,
}

impl UpdateBody {
    fn parse(&self) -> Result<NewUpdate, AppError> {
        Ok(NewUpdate {
            title: input::required("title", &self.title, limits::UPDATE_TITLE)?,
            body: input::required("body", &self.body, limits::UPDATE_BODY)?,
            shared_with_family: self.shared_with_family,
            stage: self.stage,
            key_event: self.key_event || self.stage.is_some(),
        })
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/updates",
    tag = "updates",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Updates, newest first", body = [updates::Update]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn updates_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let list = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "updates")?;
            Ok(updates::list(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/updates",
    tag = "updates",
    params(("id" = CaseId, Path)),
    request_body = UpdateBody,
    responses(
        (status = 201, description = "Posted", body = updates::Update),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn update_post(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    body: ApiJson<UpdateBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let new = body.into_inner()?.parse()?;
    let (user, id) = (user.0, path.into_inner());
    let posted = state
        .db
        .run(move |conn| updates::post(conn, &user, &id, &new))
        .await?;
    Ok(HttpResponse::Created().json(posted))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/updates/linked",
    tag = "updates",
    params(("id" = CaseId, Path)),
    request_body = UpdateBody,
    responses(
        (status = 201, description = "Posted to this case and every linked case", body = [updates::Update]),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn update_post_linked(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    body: ApiJson<UpdateBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let new = body.into_inner()?.parse()?;
    let (user, id) = (user.0, path.into_inner());
    let posted = state
        .db
        .run(move |conn| updates::post_to_linked(conn, &user, &id, &new))
        .await?;
    Ok(HttpResponse::Created().json(posted))
}

// ---- property ----------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/property",
    tag = "property",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The property register", body = [property::ItemView]),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn property_list(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let list = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "property")?;
            Ok(property::list(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyBody {
    description: String,
    held_since: Option<String>,
    staff_notes: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/property",
    tag = "property",
    params(("id" = CaseId, Path)),
    request_body = PropertyBody,
    responses(
        (status = 201, description = "Added", body = property::ItemView),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn property_add(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    body: ApiJson<PropertyBody>,
) -> Answer {
    visible_first(&state, &user, &path).await?;
    let b = body.into_inner()?;
    let new = NewItem {
        description: input::required("description", &b.description, limits::PROPERTY_DESCRIPTION)?,
        held_since: match &b.held_since {
            Some(d) => date("held_since", d)?,
            None => crate::casework::time::london_date(crate::db::now()),
        },
        staff_notes: input::optional("staff_notes", b.staff_notes.as_deref(), limits::NOTE)?,
    };
    let (user, id) = (user.0, path.into_inner());
    let item = state
        .db
        .run(move |conn| property::add(conn, &user, &id, &new))
        .await?;
    Ok(HttpResponse::Created().json(item))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    status: PropertyStatus,
    on: Option<String>,
    received_by: Option<String>,
    note: Option<String>,
    version: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/property/{item_id}/move",
    tag = "property",
    params(("id" = CaseId, Path), ("item_id" = PropertyItemId, Path)),
    request_body = MoveBody,
    responses(
        (status = 200, description = "Moved forward", body = property::ItemView),
        (status = 400, description = "The request could not be read", body = crate::web::api::errors::ApiError),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
        (status = 409, description = "Conflicts with the record as it now stands", body = crate::web::api::errors::ApiError),
        (status = 415, description = "Not JSON", body = crate::web::api::errors::ApiError),
        (status = 422, description = "Breaks a rule; `field` names the input", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn property_move(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, PropertyItemId)>,
    body: ApiJson<MoveBody>,
) -> Answer {
    visible_first(&state, &user, &path.0).await?;
    let b = body.into_inner()?;
    let m = Move {
        status: b.status,
        on: match &b.on {
            Some(d) => date("on", d)?,
            None => crate::casework::time::london_date(crate::db::now()),
        },
        received_by: input::optional("received_by", b.received_by.as_deref(), limits::RECEIVED_BY)?,
        note: input::optional("note", b.note.as_deref(), limits::NOTE)?,
        expected_version: b.version,
    };
    let (user, (id, item)) = (user.0, path.into_inner());
    let moved = state
        .db
        .run(move |conn| property::move_item(conn, &user, &id, &item, &m))
        .await?;
    Ok(HttpResponse::Ok().json(moved))
}

// ---- disclosure --------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/export",
    tag = "cases",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The disclosure record", body = crate::casework::export::Disclosure),
        (status = 401, description = "Not signed in, or the token is no good", body = crate::web::api::errors::ApiError),
        (status = 403, description = "Not allowed for this role", body = crate::web::api::errors::ApiError),
        (status = 404, description = "No such record, or not one you may see", body = crate::web::api::errors::ApiError),
    ),
    security(("bearer" = [])),
)]
pub async fn export(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let d = state
        .db
        .run(move |conn| crate::casework::export::build(conn, &user, &id))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}
