//! The contact log: listing, logging (with follow-ups agreed in the same request), reading one, and amendments.

use actix_web::web;
use serde::Deserialize;

use crate::auth::CaseworkCaller;
use crate::casework::contacts::{self, NewContact};
use crate::casework::input::{self, AmendmentFields, ContactFields, Moment, Picked};
use crate::casework::limits;
use crate::casework::types::{ContactChannel, Direction};
use crate::domain::raw::{self, RequiredText, Text};
use crate::domain::{CaseId, ContactId, RelativeId, UserId, Validator};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::api::ApiJson;
use crate::web::api::{OnCase, Reading};

use super::follow_ups::FollowUpBody;
use super::{Answer, created, created_on, on_case};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// When it happened; absent is now. Not in the future, nor before the date of death.
    #[schema(format = DateTime)]
    occurred_at: Option<String>,
    channel: ContactChannel,
    direction: Direction,
    // The maximum is limits::MAX_DURATION_MINUTES.
    #[schema(minimum = 0, maximum = 1440)]
    #[serde(default, deserialize_with = "raw::optional_whole")]
    duration_minutes: Option<i64>,
    #[serde(default)]
    relatives: Vec<RelativeId>,
    /// What was discussed (staff only).
    discussion: RequiredText<{ limits::DISCUSSION }>,
    family_summary: Option<Text<{ limits::FAMILY_SUMMARY }>>,
    agreed_actions: Option<Text<{ limits::AGREED_ACTIONS }>>,
    /// Follow-ups agreed in the contact.
    #[serde(default)]
    // The maximum is limits::ACTIONS_PER_CONTACT.
    #[schema(max_items = 10)]
    follow_ups: Vec<FollowUpBody>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/contacts",
    tag = "contacts",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The contact log, most recent first", body = [contacts::ContactView]),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn contacts_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "contacts", |conn, case| {
        Ok(contacts::list(conn, &case.id)?)
    })
    .await
}

fn parse_contact(officer: &UserId, b: &ContactBody) -> Result<NewContact, AppError> {
    let mut v = Validator::default();
    let new = input::contact(
        ContactFields {
            occurred_at: Moment::exact(b.occurred_at.as_deref()),
            channel: Picked::Given(b.channel),
            direction: Picked::Given(b.direction),
            duration_minutes: b.duration_minutes.into(),
            relatives: b.relatives.iter().cloned().map(Picked::Given).collect(),
            discussion: &b.discussion,
            family_summary: b.family_summary.as_deref(),
            agreed_actions: b.agreed_actions.as_deref(),
            follow_ups: b.follow_ups.iter().map(|f| f.fields(officer)).collect(),
            follow_up_field: |i, field| format!("follow_ups[{i}].{field}"),
        },
        &mut v,
    );
    v.finish_api_with(new)
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/contacts",
    tag = "contacts",
    params(("id" = CaseId, Path)),
    request_body = ContactBody,
    responses(
        (status = 201, description = "Logged", body = contacts::ContactView),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
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
    // 404 first for a case the caller may not see, as a missing one would (same task).
    enum Outcome {
        Logged(Box<contacts::ContactView>),
        Refused(Result<crate::auth::StaffUser, crate::auth::session::SessionRejection>),
        BadInput(AppError),
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
                match body.and_then(|b| parse_contact(&user.id, &b)) {
                    Ok(new) => {
                        contacts::log(conn, &user, &id, &new).map(|c| Outcome::Logged(Box::new(c)))
                    }
                    Err(e) => {
                        // Bad input answers 404 first for a case the caller may not see.
                        crate::casework::access::require_visible(conn, &user, &id)?;
                        Ok(Outcome::BadInput(e))
                    }
                }
            }
        })
        .await?;
    let contact = match outcome {
        Outcome::Logged(contact) => contact,
        Outcome::Refused(found) => return Err(caller.refuse(found).await),
        Outcome::BadInput(e) => return Err(e),
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
        (status = 405, description = "Records here are append-only", body = crate::web::api::errors::ApiError),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn contact_get((state, user, path): Reading<(CaseId, ContactId)>) -> Answer {
    let (id, contact) = path.into_inner();
    on_case(&state, user, id, "contact", move |conn, case| {
        contacts::view(conn, &case.id, &contact)?.ok_or(AppError::NotFound)
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/contacts/{contact_id}/amendments",
    tag = "contacts",
    params(("id" = CaseId, Path), ("contact_id" = ContactId, Path)),
    responses(
        (status = 200, description = "Corrections, oldest first", body = [contacts::Amendment]),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn amendments_list((state, user, path): Reading<(CaseId, ContactId)>) -> Answer {
    let (id, contact) = path.into_inner();
    on_case(&state, user, id, "contact", move |conn, case| {
        let found = contacts::view(conn, &case.id, &contact)?.ok_or(AppError::NotFound)?;
        Ok(found.amendments)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendmentBody {
    reason: RequiredText<{ limits::REASON }>,
    #[schema(format = DateTime)]
    occurred_at: Option<String>,
    channel: Option<ContactChannel>,
    direction: Option<Direction>,
    // The maximum is limits::MAX_DURATION_MINUTES.
    #[schema(minimum = 0, maximum = 1440)]
    #[serde(default, deserialize_with = "raw::optional_whole")]
    duration_minutes: Option<i64>,
    discussion: Option<RequiredText<{ limits::DISCUSSION }>>,
    /// Empty removes it.
    family_summary: Option<Text<{ limits::FAMILY_SUMMARY }>>,
    /// Empty removes it.
    agreed_actions: Option<Text<{ limits::AGREED_ACTIONS }>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/contacts/{contact_id}/amendments",
    tag = "contacts",
    params(("id" = CaseId, Path), ("contact_id" = ContactId, Path)),
    request_body = AmendmentBody,
    responses(
        (status = 201, description = "Corrected; the original stands beside it", body = contacts::ContactView),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn amend(
    (state, user, path, body): OnCase<(CaseId, ContactId), ApiJson<AmendmentBody>>,
) -> Answer {
    let b = body.into_inner()?;
    let mut v = Validator::default();
    let amendment = input::amendment(
        AmendmentFields {
            reason: &b.reason,
            occurred_at: Moment::exact(b.occurred_at.as_deref()),
            channel: b.channel.into(),
            direction: b.direction.into(),
            duration_minutes: b.duration_minutes.into(),
            discussion: b.discussion.as_deref(),
            family_summary: b.family_summary.as_deref(),
            agreed_actions: b.agreed_actions.as_deref(),
        },
        &mut v,
    );
    let amendment = v.finish_api_with(amendment)?;
    let (id, contact) = path.into_inner();
    created_on(&state, user.0, id, move |conn, user, id| {
        contacts::amend(conn, user, id, &contact, &amendment)
    })
    .await
}
