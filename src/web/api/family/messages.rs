//! Messages to and from the case team, as JSON.

use crate::domain::LimitedText;
use crate::domain::raw::RequiredText;
use crate::error::AppError;
use crate::family::messages::{self, BODY_MAX, Category, ThreadItem};
use crate::family::messages::{thread_marked_read, thread_of};
use crate::family::portal::tr;
use crate::family::session::FamilyUser;
use crate::state::AppState;
use crate::web::api::errors::BodyErrors;
use crate::web::api::{ApiJson, json_answer, no_content};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{Answer, FamilyErrors};

/// The family's messages with the case team, each with its replies, newest first.
#[utoipa::path(
    get, path = "/api/v1/family/messages", tag = "family",
    responses((status = 200, description = "The thread", body = Vec<ThreadItem>), FamilyErrors),
)]
pub async fn messages_list(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    json_answer(&state, move |conn| Ok(thread_of(conn, &user)?)).await
}

/// Marks every message from the case team read.
#[utoipa::path(
    post, path = "/api/v1/family/messages/read", tag = "family",
    responses((status = 204, description = "Marked read"), FamilyErrors),
)]
pub async fn messages_read(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    no_content(&state, move |conn| thread_marked_read(conn, &user)).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFamilyMessage {
    category: Category,
    body: RequiredText<{ BODY_MAX }>,
}

/// Writes to the case team. A concern about the investigation also goes to the senior
/// investigating officer and stays on the managers' list until it is closed with a response.
#[utoipa::path(
    post, path = "/api/v1/family/messages", tag = "family",
    request_body = NewFamilyMessage,
    responses(
        (status = 201, description = "Sent; the thread with the new message", body = Vec<ThreadItem>),
        FamilyErrors, BodyErrors,
    ),
)]
pub async fn message_send(
    state: web::Data<AppState>,
    user: FamilyUser,
    body: ApiJson<NewFamilyMessage>,
) -> Answer {
    let body = body.into_inner()?;
    if body.body.trim().is_empty() {
        return Err(AppError::invalid(
            "body",
            tr(user.lang, "messages-error-empty"),
        ));
    }
    let text = LimitedText::parse("body", &body.body, BODY_MAX)
        .map_err(|_| AppError::invalid("body", tr(user.lang, "messages-error-long")))?;
    let thread = state
        .db
        .run(move |conn| {
            messages::send_from_family(conn, &user, body.category, &text)?;
            Ok(thread_of(conn, &user)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(thread))
}
