//! The case team's side of family messages, and relatives' portal access, as JSON:
//! `/api/v1/cases/{id}/messages/...`, `/api/v1/messages/waiting` and
//! `/api/v1/cases/{id}/relatives/{relative_id}/invite|suspend|reinstate`. The same rules as
//! the staff pages (`web::messages`): only the case's team, every read and write audited.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::CaseworkUser;
use crate::auth::session::StaffUser;
use crate::casework::relatives::Relative;
use crate::casework::{input, limits};
use crate::db::DbConn;
use crate::domain::raw::RequiredText;
use crate::domain::{CaseId, FamilyGroupId, LimitedText, MessageId, RelativeId};
use crate::error::AppError;
use crate::family::access as family_access;
use crate::family::messages::{self, BODY_MAX, ThreadItem, Waiting};
use crate::state::AppState;
use crate::web::api::errors::CaseErrors;
use crate::web::api::{ApiJson, NoBody};
use crate::web::api::{OnCase, Reading};
use crate::web::messages::{AccessChange, acknowledged, change_access};

type Answer = Result<HttpResponse, AppError>;

fn text(field: &str, raw: &str, what: &str) -> Result<LimitedText, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::invalid(field, format!("Write {what}.")));
    }
    LimitedText::parse(field, raw, BODY_MAX)
}

async fn thread_of(
    state: &AppState,
    user: &crate::auth::StaffUser,
    id: &CaseId,
) -> Result<Vec<ThreadItem>, AppError> {
    let (user, id) = (user.clone(), id.clone());
    state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "family messages")?;
            Ok(messages::thread(conn, &id, None)?)
        })
        .await
}

/// The case's family messages with the team's replies, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/messages",
    tag = "messages",
    params(("id" = CaseId, Path)),
    responses((status = 200, description = "The thread", body = Vec<ThreadItem>), CaseErrors),
)]
pub async fn thread((state, user, path): Reading<CaseId>) -> Answer {
    Ok(HttpResponse::Ok().json(thread_of(&state, &user, &path).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMessage {
    body: RequiredText<{ BODY_MAX }>,
    /// The family message this answers; the first answer records who answered and when (and
    /// acknowledges it if nobody had). Leave out to write to the family unprompted.
    #[serde(default)]
    in_reply_to: Option<MessageId>,
    /// The family group to write to. An answer goes to its message's group; otherwise this
    /// is needed when the case has more than one group.
    #[serde(default)]
    family_group_id: Option<FamilyGroupId>,
}

/// Writes to the family, or answers one of their messages. The family is told by a notice.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/messages",
    tag = "messages",
    params(("id" = CaseId, Path)),
    request_body = StaffMessage,
    responses(
        (status = 201, description = "Sent; the thread", body = Vec<ThreadItem>),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn send((state, user, path, body): OnCase<CaseId, ApiJson<StaffMessage>>) -> Answer {
    let body = body.into_inner()?;
    let text = text("body", &body.body, "your message")?;
    let (me, id) = (user.0.clone(), path.into_inner());
    let cid = id.clone();
    state
        .db
        .run(move |conn| {
            let (to, group) = (body.in_reply_to.as_ref(), body.family_group_id.as_ref());
            messages::send_from_staff(conn, &me, &cid, &text, to, group)
        })
        .await?;
    let thread = thread_of(&state, &user, &id).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/cases/{id}/messages")))
        .json(thread))
}

/// Acknowledges a family message: the family sees who did and when.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/messages/{message_id}/acknowledge",
    tag = "messages",
    params(("id" = CaseId, Path), ("message_id" = MessageId, Path)),
    responses(
        (status = 200, description = "Acknowledged (again is harmless: the first time stands); the thread", body = Vec<ThreadItem>),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn acknowledge((state, user, path, body): OnCase<(CaseId, MessageId), NoBody>) -> Answer {
    body.into_inner()?;
    let id = acknowledged(&state, &user, path).await?;
    Ok(HttpResponse::Ok().json(thread_of(&state, &user, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseConcern {
    /// The response to the family, on the record and shown to them.
    response: RequiredText<{ BODY_MAX }>,
}

/// Closes a concern about the investigation with a recorded response.
#[utoipa::path(
    post,
    operation_id = "close_message",
    path = "/api/v1/cases/{id}/messages/{message_id}/close",
    tag = "messages",
    params(("id" = CaseId, Path), ("message_id" = MessageId, Path)),
    request_body = CloseConcern,
    responses(
        (status = 200, description = "Closed; the thread", body = Vec<ThreadItem>),
        (status = 409, description = "Not an open concern", body = crate::web::api::errors::ApiError),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn close(
    (state, user, path, body): OnCase<(CaseId, MessageId), ApiJson<CloseConcern>>,
) -> Answer {
    let body = body.into_inner()?;
    let response = text("response", &body.response, "the response to the family")?;
    let (id, message) = path.into_inner();
    let (me, cid) = (user.0.clone(), id.clone());
    state
        .db
        .run(move |conn| messages::close_concern(conn, &me, &cid, &message, &response))
        .await?;
    Ok(HttpResponse::Ok().json(thread_of(&state, &user, &id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WaitingMessages {
    /// Family messages not yet answered, longest waiting first.
    waiting: Vec<Waiting>,
    /// Concerns about the investigation not yet closed.
    concerns: Vec<Waiting>,
}

/// Family messages waiting on my cases (every case of my teams, for a manager), with how
/// long each has waited, and the open concerns about the investigation.
#[utoipa::path(
    get,
    path = "/api/v1/messages/waiting",
    tag = "messages",
    responses(
        (status = 200, description = "What is waiting", body = WaitingMessages),
        crate::web::api::errors::SignInNeeded,
        crate::web::api::errors::NotAllowed,
    ),
)]
pub async fn waiting(state: web::Data<AppState>, user: CaseworkUser) -> Answer {
    let me = user.0.clone();
    let (waiting, concerns) = state
        .db
        .run(move |conn| Ok(messages::waiting_and_concerns(conn, &me)?))
        .await?;
    Ok(HttpResponse::Ok().json(WaitingMessages { waiting, concerns }))
}

/// Invites a relative to the family portal: an email with a sign-in link that works once and
/// for 72 hours. Needs their email address.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/relatives/{relative_id}/invite",
    tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    responses(
        (status = 200, description = "Invited", body = Relative),
        (status = 409, description = "Access suspended, or the case is closed", body = crate::web::api::errors::ApiError),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn invite((state, user, path, body): AccessChange<NoBody>) -> Answer {
    body.into_inner()?;
    Ok(HttpResponse::Ok().json(change_access(&state, user, path, family_access::invite).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendAccess {
    /// Why; kept on the record, staff only.
    reason: RequiredText<{ limits::SUSPENSION_REASON }>,
}

/// Suspends a relative's portal access: their sessions end at once and nothing is sent to
/// them until reinstated.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/relatives/{relative_id}/suspend",
    tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    request_body = SuspendAccess,
    responses(
        (status = 200, description = "Suspended", body = Relative),
        (status = 409, description = "Already suspended", body = crate::web::api::errors::ApiError),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn suspend((state, user, path, body): AccessChange<ApiJson<SuspendAccess>>) -> Answer {
    let reason = input::suspension_reason(&body.into_inner()?.reason)?;
    let suspend = move |conn: &mut DbConn, me: &StaffUser, id: &CaseId, relative: &RelativeId| {
        family_access::suspend(conn, me, id, relative, &reason)
    };
    Ok(HttpResponse::Ok().json(change_access(&state, user, path, suspend).await?))
}

/// Restores a suspended relative's access.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/relatives/{relative_id}/reinstate",
    tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    responses(
        (status = 200, description = "Reinstated", body = Relative),
        (status = 409, description = "Not suspended", body = crate::web::api::errors::ApiError),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn reinstate((state, user, path, body): AccessChange<NoBody>) -> Answer {
    body.into_inner()?;
    Ok(HttpResponse::Ok().json(change_access(&state, user, path, family_access::reinstate).await?))
}
