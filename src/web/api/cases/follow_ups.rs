//! Follow-ups: listing, scheduling, completing, cancelling, reassigning and rescheduling.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::CaseworkOnCase;
use crate::auth::CaseworkUser;
use crate::casework::follow_ups::{self, Change};
use crate::casework::input::{self, FollowUpFields, Moment, Picked};
use crate::casework::limits;
use crate::domain::raw::{RequiredText, Text};
use crate::domain::{CaseId, ContactId, FamilyGroupId, FollowUpId, RelativeId, UserId, Validator};
use crate::state::AppState;
use crate::web::api::ApiJson;
use crate::web::api::{OnCase, Reading};

use super::{Answer, ReasonBody, created_on, on_case, time};

/// A follow-up as the API takes it (also inside a contact, for what was agreed).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    purpose: RequiredText<{ limits::PURPOSE }>,
    /// Someone who works on the case; absent is the caller.
    assignee_id: Option<UserId>,
    /// When it is due: not more than a day in the past.
    #[schema(format = DateTime)]
    due_at: String,
    /// A relative on this case.
    relative_id: Option<RelativeId>,
    /// An appointment with the family; it needs a `place`.
    #[serde(default)]
    is_appointment: bool,
    place: Option<Text<{ limits::PLACE }>>,
    /// For an appointment: the family group it is with. Leave out when it is with a named
    /// relative (their group) or the case has one group.
    #[serde(default)]
    family_group_id: Option<FamilyGroupId>,
    /// For an appointment: the title the family reads ("A visit at home"), in place of the
    /// purpose, which stays staff-only. Left out, the family reads "An appointment with your
    /// family liaison team".
    family_title: Option<Text<{ limits::FAMILY_TITLE }>>,
    /// For an appointment: a note the family reads (what to expect, what to bring).
    family_note: Option<Text<{ limits::FAMILY_NOTE }>>,
}

impl FollowUpBody {
    /// Its fields for `input::follow_up`; without an assignee, it is `default_assignee`'s.
    pub(super) fn fields(&self, default_assignee: &UserId) -> FollowUpFields<'_> {
        FollowUpFields {
            purpose: &self.purpose,
            assignee: Picked::Given(
                self.assignee_id
                    .clone()
                    .unwrap_or_else(|| default_assignee.clone()),
            ),
            due_at: Moment::Exact(&self.due_at),
            relative: self.relative_id.clone().into(),
            is_appointment: self.is_appointment,
            place: self.place.as_deref(),
            group: self.family_group_id.clone().into(),
            family_title: self.family_title.as_deref(),
            family_note: self.family_note.as_deref(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/follow-ups",
    tag = "follow-ups",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Follow-ups", body = [follow_ups::FollowUpView]),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn follow_ups_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "follow-ups", |conn, case| {
        Ok(follow_ups::list(conn, &case.id)?)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/follow-ups",
    tag = "follow-ups",
    params(("id" = CaseId, Path)),
    request_body = FollowUpBody,
    responses(
        (status = 201, description = "Created", body = follow_ups::FollowUp),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn follow_up_create(
    (state, user, path, body): OnCase<CaseId, ApiJson<FollowUpBody>>,
) -> Answer {
    let body = body.into_inner()?;
    let mut v = Validator::default();
    let new = input::follow_up(body.fields(&user.id), str::to_owned, &mut v);
    let new = v.finish_api_with(new)?;
    let id = path.into_inner();
    created_on(&state, user.0, id, move |conn, user, id| {
        follow_ups::create(conn, user, id, &new)
    })
    .await
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
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn follow_up_complete(
    (state, user, path, body): OnCase<(CaseId, FollowUpId), ApiJson<CompleteBody>>,
) -> Answer {
    let b = body.into_inner()?;
    apply(&state, user, path, Change::Complete(b.contact_id)).await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/follow-ups/{follow_up_id}/cancel",
    tag = "follow-ups",
    params(("id" = CaseId, Path), ("follow_up_id" = FollowUpId, Path)),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Cancelled", body = follow_ups::FollowUp),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn follow_up_cancel(
    (state, user, path, body): OnCase<(CaseId, FollowUpId), ApiJson<ReasonBody>>,
) -> Answer {
    let reason = input::required("reason", &body.into_inner()?.reason, limits::REASON)?;
    apply(&state, user, path, Change::Cancel(reason)).await
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
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn follow_up_reassign(
    (state, user, path, body): OnCase<(CaseId, FollowUpId), ApiJson<ReassignBody>>,
) -> Answer {
    let b = body.into_inner()?;
    apply(&state, user, path, Change::Reassign(b.assignee_id)).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    #[schema(format = DateTime)]
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
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn follow_up_reschedule(
    (state, user, path, body): OnCase<(CaseId, FollowUpId), ApiJson<RescheduleBody>>,
) -> Answer {
    let due = input::due_at("due_at", time("due_at", &body.into_inner()?.due_at)?)?;
    apply(&state, user, path, Change::Reschedule(due)).await
}

/// Every change to a follow-up answers the same way: the follow-up as it now stands.
async fn apply(
    state: &AppState,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, FollowUpId)>,
    change: Change,
) -> Answer {
    let (user, (id, f)) = (user.0, path.into_inner());
    let done = state
        .db
        .run(move |conn| follow_ups::change(conn, &user, &id, &f, &change))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

#[utoipa::path(
    get,
    path = "/api/v1/me/follow-ups",
    tag = "follow-ups",
    responses(
        (status = 200, description = "My open follow-ups", body = [follow_ups::FollowUpView]),
        crate::web::api::errors::SignInNeeded,
        crate::web::api::errors::NotAllowed,
    ),
)]
pub async fn my_follow_ups(state: web::Data<AppState>, user: CaseworkUser) -> Answer {
    let user = user.0;
    let list = state
        .db
        .run(move |conn| Ok(follow_ups::open_for(conn, &user.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
