//! The administrator's view of e-mail delivery: what is waiting, what failed and why, a
//! button to try a failed notice again, and (without SMTP) the .eml files written instead.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::audit::Actor;
use crate::auth::AdminUser;
use crate::auth::csrf::CsrfForm;
use crate::domain::NotificationId;
use crate::error::AppError;
use crate::notify::Status;
use crate::notify::outbox::{self, OutboxRow};
use crate::state::AppState;
use crate::web::api::errors::{
    BreaksARule, CaseErrors, Conflicts, NotAllowed, QueryUnreadable, SignInNeeded,
};
use crate::web::api::json_answer;
use crate::web::pages::Incoming;
use crate::web::pages::{self, see_other};
use crate::web::staff::account::EmptyForm;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Default: `failed`.
    #[param(inline, value_type = Option<StatusFilter>)]
    status: Option<String>,
}

crate::or_empty!(
    /// A delivery status, or nothing.
    StatusFilter(Status)
);

fn status_of(query: &OutboxQuery) -> Result<Status, AppError> {
    match query.status.as_deref() {
        None => Ok(Status::Failed),
        Some(s) if s.trim().is_empty() => Ok(Status::Failed),
        Some(s) => Status::parse(s).ok_or_else(|| {
            AppError::invalid(
                "status",
                format!("status must be one of: {}", Status::codes()),
            )
        }),
    }
}

#[derive(Serialize)]
struct CountView {
    status: Status,
    label: &'static str,
    count: i64,
    current: bool,
}

#[derive(Serialize)]
struct OutboxPage {
    counts: Vec<CountView>,
    rows: Vec<OutboxRow>,
    status: Status,
    status_label: &'static str,
    failed: bool,
}

pub async fn page(
    (req, state): Incoming,
    admin: AdminUser,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let status = status_of(&query)?;
    let (counts, rows) = state
        .db
        .run(move |conn| Ok((outbox::counts(conn)?, outbox::list(conn, status, 200)?)))
        .await?;
    let counts = counts
        .into_iter()
        .map(|(s, count)| CountView {
            status: s,
            label: s.label(),
            count,
            current: s == status,
        })
        .collect();
    Ok(pages::ok(
        &req,
        "pages/admin/outbox",
        "Outbox",
        &admin,
        OutboxPage {
            counts,
            rows,
            status,
            status_label: status.label(),
            failed: status == Status::Failed,
        },
    ))
}

/// Queues a notice that failed to be sent again, as the administrator (page and API alike).
async fn retry_notice(
    state: &AppState,
    admin: &AdminUser,
    path: web::Path<NotificationId>,
) -> Result<(), AppError> {
    let (id, actor) = (path.into_inner(), Actor::Staff(admin.id.clone()));
    state
        .db
        .run(move |conn| outbox::retry(conn, &actor, &id))
        .await
}

pub async fn retry(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<NotificationId>,
    form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    retry_notice(&state, &admin, path).await?;
    Ok(see_other("/admin/outbox"))
}

#[utoipa::path(
    get, operation_id = "outbox_list", path = "/api/v1/outbox", tag = "notifications",
    params(OutboxQuery),
    responses(
        QueryUnreadable,
        (status = 200, description = "E-mail notifications in a status", body = [OutboxRow]),
        SignInNeeded, NotAllowed, BreaksARule,
    ),
)]
pub async fn api_list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let status = status_of(&query)?;
    json_answer(&state, move |conn| Ok(outbox::list(conn, status, 500)?)).await
}

#[utoipa::path(
    post, path = "/api/v1/outbox/{id}/retry", tag = "notifications",
    params(("id" = NotificationId, Path)),
    responses((status = 204, description = "Queued again"), Conflicts, CaseErrors),
)]
pub async fn api_retry(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<NotificationId>,
) -> Result<HttpResponse, AppError> {
    retry_notice(&state, &admin, path).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize)]
struct MailFile {
    name: String,
    to: String,
    subject: String,
    date: String,
}

#[derive(Serialize)]
struct MailPage {
    smtp: bool,
    directory: String,
    files: Vec<MailFile>,
}

fn header(text: &str, name: &str) -> String {
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
        .unwrap_or("")
        .to_owned()
}

/// The newest .eml files written instead of sending (demo mode, no SMTP configured).
pub async fn mail_files(
    (req, state): Incoming,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let notify = state.config.notify.clone();
    let files = tokio::task::spawn_blocking(move || -> Vec<MailFile> {
        if notify.smtp_url.is_some() {
            return Vec::new();
        }
        let Ok(entries) = std::fs::read_dir(&notify.mail_dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".eml"))
            .collect();
        names.sort_unstable_by(|a, b| b.cmp(a));
        names
            .into_iter()
            .take(100)
            .filter_map(|name| {
                let text = std::fs::read_to_string(notify.mail_dir.join(&name)).ok()?;
                Some(MailFile {
                    to: crate::domain::mask_email(
                        header(&text, "To")
                            .trim_end_matches('>')
                            .rsplit('<')
                            .next()
                            .unwrap_or(""),
                    ),
                    subject: header(&text, "Subject"),
                    date: header(&text, "Date"),
                    name,
                })
            })
            .collect()
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("reading mail files: {e}")))?;
    Ok(pages::ok(
        &req,
        "pages/admin/mail",
        "Mail written to files",
        &admin,
        MailPage {
            smtp: state.config.notify.smtp_url.is_some(),
            directory: state.config.notify.mail_dir.display().to_string(),
            files,
        },
    ))
}
