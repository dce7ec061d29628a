//! Staff pages for the family side of a case: the message thread with acknowledge, answer
//! and close, the inbox of family messages waiting across my cases, and a relative's portal
//! access (invite, suspend, reinstate).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::CaseworkUser;
use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::auth::{CaseworkOnCase, SioOrManagerOnCase};
use crate::casework::input;
use crate::casework::relatives::Relative;
use crate::db::DbConn;
use crate::domain::{CaseId, FamilyGroupId, LimitedText, MessageId, RelativeId};
use crate::error::AppError;
use crate::family::access as family_access;
use crate::family::messages::{self, BODY_MAX, ThreadItem, Waiting};
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::pages::Incoming;
use crate::web::pages::{ok, see_other};
use crate::web::staff::cases::{Asked, CasePost, case_url, group_choices, save};

type Page = Result<HttpResponse, AppError>;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MessageForm {
    pub body: String,
    pub in_reply_to: String,
    /// The family group a new message goes to (an answer goes to its message's group).
    pub family_group_id: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CloseForm {
    pub response: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ReasonForm {
    pub reason: String,
}

#[derive(Deserialize)]
pub struct EmptyForm {}

#[derive(Deserialize)]
pub struct ThreadQuery {
    sent: Option<String>,
}

#[derive(Serialize)]
struct ThreadPage<'a> {
    thread: Vec<ThreadItem>,
    form: &'a MessageForm,
    groups: Vec<crate::web::staff::cases::Choice>,
    group_names: std::collections::HashMap<String, String>,
    errors: FormErrors,
    /// The message whose answer form failed, so that its form shows the error and the text.
    failed_reply: String,
    sent: bool,
    limit: usize,
}

#[allow(clippy::too_many_arguments)]
async fn thread_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &MessageForm,
    errors: FormErrors,
    sent: bool,
) -> Page {
    let (state, id) = (on.state, on.id);
    let (_, header) = on.load("family messages").await?;
    let cid = id.clone();
    let thread = state
        .db
        .run(move |conn| Ok(messages::thread(conn, &cid, None)?))
        .await?;
    let body = ThreadPage {
        thread,
        groups: group_choices(&header, &form.family_group_id),
        group_names: header.group_names(),
        failed_reply: form.in_reply_to.clone(),
        form,
        errors,
        sent,
        limit: BODY_MAX,
    };
    on.page(
        status,
        "pages/staff/messages",
        "Family messages",
        header,
        body,
    )
}

pub async fn thread(
    (req, state): Incoming,
    user: CaseworkUser,
    path: web::Path<CaseId>,
    query: web::Query<ThreadQuery>,
) -> Page {
    thread_page(
        Asked::new(&req, &state, &user, &path),
        StatusCode::OK,
        &MessageForm::default(),
        FormErrors::default(),
        query.sent.is_some(),
    )
    .await
}

fn parse_body(field: &str, raw: &str, what: &str) -> Result<LimitedText, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::invalid(field, format!("Write {what}.")));
    }
    LimitedText::parse(field, raw, BODY_MAX)
}

pub async fn send((req, state, user, path, form): CasePost<MessageForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let in_reply_to = match form.in_reply_to.trim() {
        "" => None,
        raw => Some(MessageId::parse(raw).ok_or(AppError::NotFound)?),
    };
    let group = match form.family_group_id.trim() {
        "" => None,
        raw => Some(FamilyGroupId::parse(raw).ok_or_else(|| {
            AppError::invalid(
                "family_group_id",
                "Choose one of this case's family groups.",
            )
        })),
    }
    .transpose();
    let checked = parse_body("body", &form.body, "your message")
        .and_then(|body| Ok((body, group?)))
        .map_err(|e| FormErrors::from_error(e, "body"));
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        checked,
        move |conn, (body, group)| {
            let (to, group) = (in_reply_to.as_ref(), group.as_ref());
            messages::send_from_staff(conn, &me, &cid, &body, to, group)
        },
        "body",
        |_| format!("{}/messages?sent=1", case_url(&id)),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            thread_page(
                Asked::new(&req, &state, &user, &id),
                status,
                &form,
                errors,
                false,
            )
            .await
        },
    )
    .await
}

/// Acknowledges a family message for someone on the case team (page and API alike); the case.
pub(crate) async fn acknowledged(
    state: &AppState,
    user: &CaseworkOnCase,
    path: web::Path<(CaseId, MessageId)>,
) -> Result<CaseId, AppError> {
    let (id, message) = path.into_inner();
    let (me, cid) = (user.0.clone(), id.clone());
    state
        .db
        .run(move |conn| messages::acknowledge(conn, &me, &cid, &message))
        .await?;
    Ok(id)
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, MessageId)>,
    form: CsrfForm<EmptyForm>,
) -> Page {
    form.into_inner()?;
    let id = acknowledged(&state, &user, path).await?;
    Ok(see_other(&format!("{}/messages", case_url(&id))))
}

pub async fn close(
    (req, state): Incoming,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, MessageId)>,
    form: CsrfForm<CloseForm>,
) -> Page {
    let form = form.into_inner()?;
    let (id, message) = path.into_inner();
    let response = match parse_body("response", &form.response, "the response to the family") {
        Ok(r) => r,
        Err(e) => {
            let errors = FormErrors::from_error(e, "response")?;
            let reply = MessageForm {
                body: form.response.clone(),
                in_reply_to: message.to_string(),
                ..MessageForm::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return thread_page(
                Asked::new(&req, &state, &user, &id),
                status,
                &reply,
                errors,
                false,
            )
            .await;
        }
    };
    // Closing what is not an open concern is a conflict with the record, answered as such.
    let (me, cid) = (user.0.clone(), id.clone());
    state
        .db
        .run(move |conn| messages::close_concern(conn, &me, &cid, &message, &response))
        .await?;
    Ok(see_other(&format!("{}/messages", case_url(&id))))
}

#[derive(Serialize)]
struct InboxPage {
    waiting: Vec<Waiting>,
    concerns: Vec<Waiting>,
}

/// Family messages waiting for an answer on my cases, longest first, and open concerns.
pub async fn inbox(req: HttpRequest, state: web::Data<AppState>, user: CaseworkUser) -> Page {
    let me = user.0.clone();
    let (waiting, concerns) = state
        .db
        .run(move |conn| Ok(messages::waiting_and_concerns(conn, &me)?))
        .await?;
    Ok(ok(
        &req,
        "pages/staff/messages_inbox",
        "Family messages",
        &user,
        InboxPage { waiting, concerns },
    ))
}

fn relative_url(id: &CaseId, relative: &RelativeId) -> String {
    format!("{}/relatives/{relative}/edit", case_url(id))
}

/// What a change to a relative's portal access is given, on a page or through the API:
/// someone who may change the case (checked before the rest is read), the case and the
/// relative, and the form or body.
pub type AccessChange<B> = (
    web::Data<AppState>,
    CaseworkOnCase,
    web::Path<(CaseId, RelativeId)>,
    B,
);

/// What restricting a relative, or lifting it, is given: the case's SIO or a manager of its
/// team (checked before the body is read), the case and the relative, and the body or form.
pub type Restricting<B> = (
    web::Data<AppState>,
    SioOrManagerOnCase,
    web::Path<(CaseId, RelativeId)>,
    B,
);

/// Runs a change to a relative's portal access; the relative as they now stand.
pub(crate) async fn change_access(
    state: &AppState,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, RelativeId)>,
    change: impl FnOnce(&mut DbConn, &StaffUser, &CaseId, &RelativeId) -> Result<Relative, AppError>
    + Send
    + 'static,
) -> Result<Relative, AppError> {
    let ((id, relative), me) = (path.into_inner(), user.0);
    state
        .db
        .run(move |conn| change(conn, &me, &id, &relative))
        .await
}

/// Back to the relative's page after a change to their access.
fn to_relative(relative: &Relative) -> HttpResponse {
    see_other(&relative_url(&relative.case_id, &relative.id))
}

pub async fn invite((state, user, path, form): AccessChange<CsrfForm<EmptyForm>>) -> Page {
    form.into_inner()?;
    let changed = change_access(&state, user, path, family_access::invite).await?;
    Ok(to_relative(&changed))
}

pub async fn suspend((state, user, path, form): AccessChange<CsrfForm<ReasonForm>>) -> Page {
    let reason = input::suspension_reason(&form.into_inner()?.reason)?;
    let suspend = move |conn: &mut DbConn, me: &StaffUser, id: &CaseId, relative: &RelativeId| {
        family_access::suspend(conn, me, id, relative, &reason)
    };
    let changed = change_access(&state, user, path, suspend).await?;
    Ok(to_relative(&changed))
}

pub async fn reinstate((state, user, path, form): AccessChange<CsrfForm<EmptyForm>>) -> Page {
    form.into_inner()?;
    let changed = change_access(&state, user, path, family_access::reinstate).await?;
    Ok(to_relative(&changed))
}
