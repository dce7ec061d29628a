//! What a relative reads: home (kept in memory, see `family::cache`), updates, named contacts, appointments and their calendar files, belongings and notices.

use crate::auth::csrf::{self, CsrfForm};
use crate::casework::limits;
use crate::db::{self, DbConn};
use crate::domain::FollowUpId;
use crate::error::AppError;
use crate::family::appointments::{self, AnswerKind};
use crate::family::cache::{CachedPage, PAGE_TTL, time_until};
use crate::family::messages::{self};
use crate::family::portal::{self, mark_notices_read, notices_of, timeline_marked_read, tr};
use crate::family::session::FamilyUser;
use crate::state::AppState;
use crate::web::pages::{Incoming, see_other};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::sign_in::EmptyForm;
use super::{Page, ReadSince, form_problems, html_page, render, render_html};

/// The home page. It is kept in memory for the session (see `family::cache`) and served
/// from there until something on it changes.
pub async fn home(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let cache = &state.family_cache;
    let csrf_token = csrf::token_of(&req);
    let cacheable = req.query_string().is_empty();
    if cacheable && let Some(html) = cache.page(&user.session_id, CachedPage::Home, &csrf_token) {
        state.metrics.family_pages_from_memory.inc();
        return Ok(html_page(StatusCode::OK, html));
    }
    let epoch = req.extensions().get::<ReadSince>().map(|r| r.0);
    let u = user.clone();
    let (overview, unread) = state
        .db
        .run(move |conn| {
            let overview = portal::overview(conn, &u)?;
            let unread = messages::unread_for(conn, &u)?;
            Ok((overview, unread))
        })
        .await?;
    // The next appointment stays on the page until two hours after it starts.
    let valid_for = overview
        .next_appointment
        .as_ref()
        .map_or(PAGE_TTL, |a| time_until(a.at + chrono::Duration::hours(2)));
    let html = render_html(
        &req,
        "pages/family/home",
        "home-title",
        Some(&user),
        serde_json::json!({ "overview": overview, "unread_messages": unread }),
        cache.placeholder().to_owned(),
    )
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the home page did not render")))?;
    if let Some(epoch) = epoch.filter(|_| cacheable) {
        cache.keep_page(epoch, &user, CachedPage::Home, &html, valid_for);
    }
    Ok(html_page(
        StatusCode::OK,
        html.replace(cache.placeholder(), &csrf_token),
    ))
}

/// Reads what a page shows in one database task and renders it for the signed-in relative:
/// the template `pages/family/{name}`, titled by the words `{name}-title`.
async fn reading_page<T: Serialize + Send + 'static>(
    req: &HttpRequest,
    state: &AppState,
    user: &FamilyUser,
    name: &str,
    read: impl FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
) -> Page {
    let page = state.db.run(read).await?;
    let (template, title) = (format!("pages/family/{name}"), format!("{name}-title"));
    Ok(render(
        req,
        StatusCode::OK,
        &template,
        &title,
        Some(user),
        page,
    ))
}

pub async fn timeline(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let u = user.clone();
    reading_page(&req, &state, &user, "timeline", move |conn| {
        Ok(serde_json::json!({ "items": timeline_marked_read(conn, &u)? }))
    })
    .await
}

pub async fn contacts(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let u = user.clone();
    reading_page(&req, &state, &user, "contacts", move |conn| {
        let contacts = portal::named_contacts(conn, &u)?;
        let (current, past): (Vec<_>, Vec<_>) = contacts.into_iter().partition(|c| c.current);
        let (agencies, referrals) = (portal::agencies(conn, &u)?, portal::referrals(conn, &u)?);
        Ok(serde_json::json!({
            "current": current,
            "past": past,
            "agencies": agencies,
            "referrals": referrals,
        }))
    })
    .await
}

/// One appointment as a calendar file.
pub async fn appointment_ics(
    state: web::Data<AppState>,
    user: FamilyUser,
    path: web::Path<FollowUpId>,
) -> Page {
    let (reader, id) = (user.clone(), path.into_inner());
    let appointment = state
        .db
        .run(move |conn| portal::appointment(conn, &reader, &id))
        .await?;
    let host = url::Url::parse(&state.config.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "liaison".into());
    let body = crate::family::ics::calendar(
        &appointment,
        &tr(user.lang, "appointments-calendar-title"),
        &host,
        db::now(),
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"appointment-{}.ics\"",
                appointment.id
            ),
        ))
        .body(body))
}

pub async fn property(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let (cid, lang) = (user.case_id.clone(), user.lang);
    reading_page(&req, &state, &user, "property", move |conn| {
        Ok(serde_json::json!({ "items": portal::property(conn, &cid, lang)? }))
    })
    .await
}

pub async fn notices(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let (u, emails) = (user.clone(), state.emails.clone());
    reading_page(&req, &state, &user, "notices", move |conn| {
        Ok(serde_json::json!({ "items": notices_of(conn, &u, &emails)? }))
    })
    .await
}

pub async fn notices_read(
    state: web::Data<AppState>,
    user: FamilyUser,
    form: CsrfForm<EmptyForm>,
) -> Page {
    form.into_inner()?;
    state
        .db
        .run(move |conn| mark_notices_read(conn, &user))
        .await?;
    Ok(see_other("/family/notices"))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AnswerForm {
    /// `suits` or `change`.
    pub answer: String,
    pub note: String,
}

#[derive(Deserialize)]
pub struct AnsweredQuery {
    answered: Option<String>,
}

/// An answer that was not taken: the appointment, what was sent, what was wrong, the status.
type Failed<'a> = (
    &'a FollowUpId,
    &'a AnswerForm,
    &'a [(&'a str, &'a str)],
    StatusCode,
);

/// The appointments with their answer forms; `problems` (for appointment `failed`) with what
/// was sent when it is shown again.
async fn appointments_page(
    req: &HttpRequest,
    state: &AppState,
    user: &FamilyUser,
    failed: Option<Failed<'_>>,
    answered: bool,
) -> Page {
    let u = user.clone();
    let appointments = state
        .db
        .run(move |conn| Ok(portal::appointments(conn, &u)?))
        .await?;
    let (_, errors) = form_problems(user.lang, failed.map_or(&[][..], |f| f.2));
    let status = failed.map_or(StatusCode::OK, |f| f.3);
    Ok(render(
        req,
        status,
        "pages/family/appointments",
        "appointments-title",
        Some(user),
        serde_json::json!({
            "appointments": appointments,
            "errors": errors,
            "failed": failed.map(|(id, _, _, _)| id),
            "form": failed.map(|(_, form, _, _)| form),
            "closed": failed.is_some_and(|(_, _, _, status)| status == StatusCode::CONFLICT),
            "answered": answered,
        }),
    ))
}

pub async fn appointments(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    query: web::Query<AnsweredQuery>,
) -> Page {
    appointments_page(&req, &state, &user, None, query.answered.is_some()).await
}

/// "This suits me" or "please change it", with a note, for one of the group's appointments.
pub async fn appointment_answer(
    (req, state): Incoming,
    user: FamilyUser,
    path: web::Path<FollowUpId>,
    form: CsrfForm<AnswerForm>,
) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let answer = AnswerKind::parse(form.answer.trim());
    let note = crate::casework::input::optional("note", Some(&form.note), limits::FAMILY_NOTE);
    let mut problems: Vec<(&str, &str)> = Vec::new();
    if answer.is_none() {
        problems.push(("answer", "appointments-error-answer"));
    }
    if note.is_err() {
        problems.push(("note", "appointments-error-note"));
    }
    let (Some(answer), Ok(note)) = (answer, note) else {
        let failed = (&id, &form, &problems[..], StatusCode::UNPROCESSABLE_ENTITY);
        return appointments_page(&req, &state, &user, Some(failed), false).await;
    };
    let (u, fid) = (user.clone(), id.clone());
    let saved = state
        .db
        .run(move |conn| appointments::answer(conn, &u, &fid, answer, note.as_ref()))
        .await;
    match saved {
        Ok(()) => Ok(see_other(&format!(
            "/family/appointments?answered=1#appointment-{id}"
        ))),
        // Cancelled, done or past: it may no longer be listed, so the page says why at the top.
        Err(AppError::Conflict { .. }) => {
            let failed = (&id, &form, &[][..], StatusCode::CONFLICT);
            appointments_page(&req, &state, &user, Some(failed), false).await
        }
        Err(e) => Err(e),
    }
}

/// Help in plain words: the case type's milestones, who is who, rights and support.
pub async fn help(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let u = user.clone();
    reading_page(&req, &state, &user, "help", move |conn| {
        portal::help(conn, &u)
    })
    .await
}
