//! The staff portal inbox, as a page and as JSON.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::domain::NotificationId;
use crate::error::AppError;
use crate::notify::inbox::{self, InboxItem};
use crate::state::AppState;
use crate::web::api::errors::{NotFoundHere, SignInNeeded};
use crate::web::pages::Incoming;
use crate::web::pages::{self, see_other};
use crate::web::staff::account::EmptyForm;

const PAGE_SIZE: i64 = 100;

#[derive(Serialize)]
struct InboxPage {
    items: Vec<InboxItem>,
    unread: usize,
}

async fn load(state: &AppState, user: &StaffUser) -> Result<Vec<InboxItem>, AppError> {
    let (id, templates) = (user.id.clone(), state.emails.clone());
    state
        .db
        .run(move |conn| {
            Ok(inbox::list(
                conn,
                inbox::Recipient::Staff(&id),
                &templates,
                PAGE_SIZE,
            )?)
        })
        .await
}

pub async fn page((req, state): Incoming, user: StaffUser) -> Result<HttpResponse, AppError> {
    let items = load(&state, &user).await?;
    let unread = items.iter().filter(|i| i.read_at.is_none()).count();
    Ok(pages::ok(
        &req,
        "pages/staff/notifications",
        "Notifications",
        &user,
        InboxPage { items, unread },
    ))
}

async fn mark(
    state: &AppState,
    user: &StaffUser,
    id: Option<NotificationId>,
) -> Result<(), AppError> {
    let uid = user.id.clone();
    state
        .db
        .run(move |conn| {
            if let Some(id) = &id {
                inbox::require_own(conn, &uid, id)?;
            }
            inbox::mark_read(conn, inbox::Recipient::Staff(&uid), id.as_ref())?;
            Ok(())
        })
        .await
}

pub async fn read(
    state: web::Data<AppState>,
    user: StaffUser,
    path: web::Path<NotificationId>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    mark(&state, &user, Some(path.into_inner())).await?;
    Ok(see_other("/staff/notifications"))
}

pub async fn read_all(
    state: web::Data<AppState>,
    user: StaffUser,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    mark(&state, &user, None).await?;
    Ok(see_other("/staff/notifications"))
}

#[utoipa::path(
    get, operation_id = "notifications_list", path = "/api/v1/notifications", tag = "notifications",
    responses((status = 200, description = "My portal inbox", body = InboxList), SignInNeeded),
)]
pub async fn api_list(
    state: web::Data<AppState>,
    user: StaffUser,
) -> Result<HttpResponse, AppError> {
    let items = load(&state, &user).await?;
    let unread = items.iter().filter(|i| i.read_at.is_none()).count();
    Ok(HttpResponse::Ok().json(InboxList { unread, items }))
}

/// The portal inbox with its unread count.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InboxList {
    unread: usize,
    items: Vec<InboxItem>,
}

#[utoipa::path(
    post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = NotificationId, Path)),
    responses((status = 204, description = "Marked read"), SignInNeeded, NotFoundHere),
)]
pub async fn api_read(
    state: web::Data<AppState>,
    user: StaffUser,
    path: web::Path<NotificationId>,
) -> Result<HttpResponse, AppError> {
    mark(&state, &user, Some(path.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 204, description = "All marked read"), SignInNeeded),
)]
pub async fn api_read_all(
    state: web::Data<AppState>,
    user: StaffUser,
) -> Result<HttpResponse, AppError> {
    mark(&state, &user, None).await?;
    Ok(HttpResponse::NoContent().finish())
}
