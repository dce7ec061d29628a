//! Casework as JSON: `/api/v1/cases/...`. Each handler reads its input, calls the use case in
//! `casework`, and answers JSON. Rules live in the use cases.

pub mod assignments;
pub mod contacts;
pub mod follow_ups;
pub mod groups;
pub mod milestones;
pub mod property;
pub mod relatives;
pub mod support;
pub mod updates;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::session::StaffUser;
use crate::auth::{CaseworkUser, ManagerUser};
use crate::casework::cases::{self, Case, CaseFilter};
use crate::casework::input::{self, CaseFields, NeedsFields, Picked, PlanFields};
use crate::casework::limits;
use crate::casework::timeline::{self, EntryKind};
use crate::casework::types::{CaseStatus, CaseType, ContactChannel, Milestone};
use crate::db::DbConn;
use crate::domain::raw::{self, OneLine, RequiredText, Text};
use crate::domain::{CaseId, PersonName, TeamId, UserId, Validator};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::api::errors::{
    BodyErrors, BreaksARule, CaseErrors, Conflicts, NotAllowed, QueryUnreadable, SignInNeeded,
    Unreadable,
};
use crate::web::api::{ApiJson, created};
use crate::web::api::{ManagerOn, Reading};

pub(super) type Answer = Result<HttpResponse, AppError>;

/// Runs `load` (a read of a case or a change to it) in one database task and answers with
/// the case as it now is.
async fn case_answer(
    state: &AppState,
    load: impl FnOnce(&mut DbConn) -> Result<Case, AppError> + Send + 'static,
) -> Answer {
    crate::web::api::json_answer(state, move |conn| {
        let case = load(conn)?;
        detail(conn, case)
    })
    .await
}

/// What anyone on a case's team may read of it: the read is audited as `what`.
pub(super) async fn on_case<T: serde::Serialize + Send + 'static>(
    state: &AppState,
    user: CaseworkUser,
    id: CaseId,
    what: &'static str,
    read: impl FnOnce(&mut DbConn, &cases::Case) -> Result<T, AppError> + Send + 'static,
) -> Answer {
    let user = user.0;
    let found = state
        .db
        .run(move |conn| {
            let case = crate::casework::read(conn, &user, &id, what)?;
            read(conn, &case)
        })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// A record made on a case by someone allowed to make it: 201 with the record.
pub(super) async fn created_on<T: serde::Serialize + Send + 'static>(
    state: &AppState,
    user: StaffUser,
    id: CaseId,
    make: impl FnOnce(&mut DbConn, &StaffUser, &CaseId) -> Result<T, AppError> + Send + 'static,
) -> Answer {
    let made = state.db.run(move |conn| make(conn, &user, &id)).await?;
    Ok(HttpResponse::Created().json(made))
}

pub(super) fn time(field: &str, raw: &str) -> Result<chrono::NaiveDateTime, AppError> {
    crate::casework::time::parse_rfc3339(field, raw)
}

pub(super) fn date(field: &str, raw: &str) -> Result<chrono::NaiveDate, AppError> {
    crate::casework::time::parse_date(field, raw)
}

// ---- cases -------------------------------------------------------------------------------

/// The filters of the case list. Each may be sent empty, as a form's "any" choice sends it:
/// empty means no filter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the reference, or of the name of the person who died or of a relative.
    pub search: Option<String>,
    #[param(inline, value_type = Option<StatusFilter>)]
    pub status: Option<String>,
    /// Cases whose furthest milestone reached is this one.
    #[param(inline, value_type = Option<MilestoneFilter>)]
    pub milestone: Option<String>,
    #[param(inline, value_type = Option<CaseTypeFilter>)]
    pub case_type: Option<String>,
    /// Cases this officer holds now.
    #[param(inline, value_type = Option<OfficerFilter>)]
    pub officer: Option<String>,
    pub overdue: Option<bool>,
    /// From 0.
    #[param(minimum = 0, maximum = 100000)]
    pub page: Option<i64>,
}

crate::or_empty!(
    /// A case status, or nothing.
    StatusFilter(CaseStatus)
);
crate::or_empty!(
    /// A milestone, or nothing.
    MilestoneFilter(Milestone)
);
crate::or_empty!(
    /// A case type, or nothing.
    CaseTypeFilter(CaseType)
);
crate::or_empty!(
    /// An account id, or nothing.
    OfficerFilter(UserId)
);

/// The last page asked for that is read at all (a page past the end is empty).
const MAX_PAGE: i64 = 100_000;

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
            milestone: match nonempty(&self.milestone) {
                Some(s) => Some(Milestone::parse(&s).ok_or_else(|| {
                    AppError::invalid(
                        "milestone",
                        format!("milestone must be one of: {}", Milestone::codes()),
                    )
                })?),
                None => None,
            },
            case_type: match nonempty(&self.case_type) {
                Some(s) => Some(CaseType::parse(&s).ok_or_else(|| {
                    AppError::invalid(
                        "case_type",
                        format!("case_type must be one of: {}", CaseType::codes()),
                    )
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
            page: match self.page.unwrap_or(0) {
                page @ 0..=MAX_PAGE => page,
                _ => {
                    return Err(AppError::invalid(
                        "page",
                        format!("page must be a whole number from 0 to {MAX_PAGE}."),
                    ));
                }
            },
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
        Unreadable, SignInNeeded, NotAllowed,
        BreaksARule,
    ),
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
    language: Option<Text<{ limits::NEED }>>,
    #[serde(default)]
    interpreter: bool,
    accessibility: Option<Text<{ limits::NEED }>>,
    faith_culture: Option<Text<{ limits::NEED }>>,
    other: Option<Text<{ limits::NEED }>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// Hours between contacts.
    // The maximum is limits::MAX_PLAN_INTERVAL_HOURS.
    #[schema(minimum = 1, maximum = 2160)]
    #[serde(deserialize_with = "raw::whole")]
    interval_hours: i64,
    preferred_channel: ContactChannel,
    #[serde(default)]
    preferred_hours: Text<{ limits::PREFERRED_HOURS }>,
    #[schema(format = Date)]
    agreed_on: String,
}

impl PlanBody {
    fn fields(&self) -> PlanFields<'_> {
        PlanFields {
            interval_hours: Picked::Given(self.interval_hours),
            channel: Picked::Given(self.preferred_channel),
            preferred_hours: &self.preferred_hours,
            agreed_on: Some(&self.agreed_on),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseBody {
    /// One of the caller's teams.
    team_id: TeamId,
    deceased_name: OneLine<{ PersonName::MAX_LEN }>,
    /// From 1900 on, and not in the future.
    #[schema(
        format = Date,
        pattern = r"^(?:19[0-9]{2}|[2-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
    )]
    date_of_death: String,
    circumstances: Option<Text<{ limits::CIRCUMSTANCES }>>,
    #[serde(default)]
    needs: NeedsBody,
    contact_plan: Option<PlanBody>,
    /// Decides the case's milestones; leave out for `other`.
    case_type: Option<CaseType>,
}

/// An operation by id and name.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OperationRef {
    id: crate::domain::OperationId,
    name: String,
}

impl OperationRef {
    fn of_case(conn: &mut crate::db::DbConn, case: &CaseId) -> Result<Option<Self>, AppError> {
        Ok(crate::casework::operations::named_of_case(conn, case)?
            .map(|(id, name)| OperationRef { id, name }))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    case: Case,
    case_type_label: &'static str,
    milestone_label: &'static str,
    /// The type's milestones where they stand, every milestone record, every change of type.
    milestones: crate::casework::milestones::Progress,
    /// The stage history kept from before milestones, under its original names.
    stages: Vec<cases::StageReached>,
    contact_plan: Option<cases::ContactPlan>,
    /// The operation the case is in, if any.
    operation: Option<OperationRef>,
}

fn detail(conn: &mut crate::db::DbConn, case: Case) -> Result<CaseDetail, AppError> {
    Ok(CaseDetail {
        case_type_label: case.case_type.label(),
        milestone_label: case.milestone.label(),
        milestones: crate::casework::milestones::progress(conn, &case)?,
        stages: cases::stage_history(conn, &case.id)?,
        contact_plan: cases::plans(conn, &case.id)?.into_iter().next(),
        operation: OperationRef::of_case(conn, &case.id)?,
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
        SignInNeeded, NotAllowed, BodyErrors,
    ),
)]
pub async fn open(
    state: web::Data<AppState>,
    user: ManagerUser,
    body: ApiJson<OpenCaseBody>,
) -> Answer {
    let body = body.into_inner()?;
    let n = &body.needs;
    let mut v = Validator::default();
    let new = input::case(
        CaseFields {
            team: Picked::Given(body.team_id.clone()),
            deceased_name: &body.deceased_name,
            date_of_death: &body.date_of_death,
            circumstances: body.circumstances.as_deref(),
            needs: NeedsFields {
                language: n.language.as_deref(),
                interpreter: n.interpreter,
                accessibility: n.accessibility.as_deref(),
                faith_culture: n.faith_culture.as_deref(),
                other: n.other.as_deref(),
            },
            plan: body.contact_plan.as_ref().map(PlanBody::fields),
            case_type: body.case_type.into(),
        },
        &mut v,
    );
    let new = v.finish_api_with(new)?;
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
        CaseErrors,
    ),
)]
pub async fn get((state, user, path): Reading<CaseId>) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    case_answer(&state, move |conn| {
        crate::casework::read(conn, &user, &id, "case")
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    how_liaison_ends: RequiredText<{ limits::EXIT_PLAN_PART }>,
    contact_afterwards: RequiredText<{ limits::EXIT_PLAN_PART }>,
    how_to_reactivate: RequiredText<{ limits::EXIT_PLAN_PART }>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/close",
    tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = CloseBody,
    responses(
        (status = 200, description = "Closed", body = CaseDetail),
        Conflicts, CaseErrors, BodyErrors,
    ),
)]
pub async fn close((state, user, path, body): ManagerOn<CaseId, ApiJson<CloseBody>>) -> Answer {
    let body = body.into_inner()?;
    let plan = input::exit_plan(
        &body.how_liaison_ends,
        &body.contact_afterwards,
        &body.how_to_reactivate,
    )?;
    let (user, id) = (user.0, path.into_inner());
    case_answer(&state, move |conn| cases::close(conn, &user, &id, &plan)).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    reason: RequiredText<{ limits::REASON }>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/reopen",
    tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Reopened", body = CaseDetail),
        Conflicts, CaseErrors, BodyErrors,
    ),
)]
pub async fn reopen((state, user, path, body): ManagerOn<CaseId, ApiJson<ReasonBody>>) -> Answer {
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    let (user, id) = (user.0, path.into_inner());
    case_answer(&state, move |conn| cases::reopen(conn, &user, &id, &reason)).await
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/contact-plan",
    tag = "cases",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Every version of the contact plan, newest first", body = [cases::ContactPlan]),
        CaseErrors,
    ),
)]
pub async fn plans((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "contact plan", |conn, case| {
        Ok(cases::plans(conn, &case.id)?)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPlanBody {
    /// Hours between contacts.
    // The maximum is limits::MAX_PLAN_INTERVAL_HOURS.
    #[schema(minimum = 1, maximum = 2160)]
    #[serde(deserialize_with = "raw::whole")]
    interval_hours: i64,
    preferred_channel: ContactChannel,
    #[serde(default)]
    preferred_hours: Text<{ limits::PREFERRED_HOURS }>,
    #[schema(format = Date)]
    agreed_on: String,
    /// Why the plan changes (kept with it).
    reason: RequiredText<{ limits::REASON }>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/contact-plan",
    tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = SetPlanBody,
    responses(
        (status = 201, description = "The plan history with the new plan first", body = [cases::ContactPlan]),
        Conflicts, CaseErrors, BodyErrors,
    ),
)]
pub async fn set_plan(
    (state, user, path, body): ManagerOn<CaseId, ApiJson<SetPlanBody>>,
) -> Answer {
    let body = body.into_inner()?;
    let mut v = Validator::default();
    let plan = input::plan(
        PlanFields {
            interval_hours: Picked::Given(body.interval_hours),
            channel: Picked::Given(body.preferred_channel),
            preferred_hours: &body.preferred_hours,
            agreed_on: Some(&body.agreed_on),
        },
        &mut v,
    );
    let reason = v.check(input::required("reason", &body.reason, limits::REASON));
    let (plan, reason) = v.finish_api_with((|| Some((plan?, reason?)))())?;
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
        QueryUnreadable,
        (status = 200, description = "The timeline, newest first", body = [timeline::Entry]),
        BreaksARule, CaseErrors,
    ),
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
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Comma-separated kinds: contact, correction, update, follow_up, property, milestone, status.
    #[param(
        pattern = r"^ *((contact|correction|update|follow_up|property|milestone|status) *(, *(contact|correction|update|follow_up|property|milestone|status) *)*)?$"
    )]
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

// ---- disclosure --------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/export",
    tag = "cases",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The disclosure record", body = crate::casework::export::Disclosure),
        CaseErrors,
    ),
)]
pub async fn export((state, user, path): Reading<CaseId>) -> Answer {
    let (user, id) = (user.0, path.into_inner());
    let d = state
        .db
        .run(move |conn| crate::casework::export::build(conn, &user, &id))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}
