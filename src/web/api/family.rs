//! The family portal as JSON, for a future app: the same words and the same rules as the
//! pages in `web::family`, and only what staff shared with the family.
//!
//! A relative signs in with the token from a sign-in link (`POST /api/v1/family/auth/token`)
//! and gets a short-lived bearer token for the `liaison:family-api` audience, renewable with
//! `POST /api/v1/family/auth/refresh` while the session lasts (12 hours, or 30 days with
//! `keep_signed_in`). Staff tokens do not open these routes, nor family tokens staff routes.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::extract::client_ip;
use crate::auth::session::Client;
use crate::auth::tokens::Audience;
use crate::casework::relatives::{self, Preferences};
use crate::db;
use crate::domain::{EmailAddress, FollowUpId, LimitedText};
use crate::error::AppError;
use crate::family::links::{self, LinkProblem};
use crate::family::messages::{self, BODY_MAX, Category, ThreadItem};
use crate::family::portal::{
    self, Appointment, NamedContact, Overview, PropertyView, TimelineItem, tr,
};
use crate::family::session::{self as family_session, FamilyUser};
use crate::i18n::Lang;
use crate::notify::inbox::InboxItem;
use crate::state::AppState;
use crate::web::api::ApiJson;
use crate::web::api::errors::{ApiError, BodyErrors};
use crate::web::family::{end_family_sessions, read_preferences, redeem_link, request_link_for};

type Answer = Result<HttpResponse, AppError>;

/// The error answers every signed-in family route can give.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum FamilyErrors {
    /// Not signed in, the token expired or was revoked, or access is suspended.
    #[response(status = 401)]
    Unauthenticated(#[to_schema] ApiError),
    /// Not found, or not this family's to see.
    #[response(status = 404)]
    NotFound(#[to_schema] ApiError),
}

fn agent_of(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

// ---- signing in ---------------------------------------------------------------------------

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The address the case team holds for the relative.
    email: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkRequested {
    /// The same words whether or not the address is known.
    message: String,
    /// How long the link in the e-mail lasts.
    valid_minutes: i64,
}

/// Asks for a sign-in link by e-mail. The answer is the same whether or not the address is
/// known; at most 5 requests an hour per address and 30 per network address.
#[utoipa::path(
    post,
    path = "/api/v1/family/auth/link",
    tag = "family",
    request_body = LinkRequest,
    responses(
        (status = 202, description = "If the address has portal access, a link is on its way", body = LinkRequested),
        (status = 429, description = "Too many requests; try again in an hour", body = ApiError),
        BodyErrors,
    ),
)]
pub async fn request_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<LinkRequest>,
) -> Answer {
    let body = body.into_inner()?;
    if body.email.trim().is_empty() {
        return Err(AppError::invalid("email", "Enter an email address."));
    }
    let email = EmailAddress::parse("email", &body.email)?;
    if request_link_for(&state, email, client_ip(&req), false).await? {
        return Err(AppError::RateLimited(60));
    }
    let lang = crate::web::family::lang_of(&req, None);
    let message = crate::i18n::text(
        lang,
        "link-sent-body",
        &[("minutes", links::SIGN_IN_MINUTES.to_string())],
    )
    .unwrap_or_default();
    Ok(HttpResponse::Accepted().json(LinkRequested {
        message,
        valid_minutes: links::SIGN_IN_MINUTES,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyTokenRequest {
    /// The `token` of the sign-in link from the e-mail.
    link_token: String,
    /// Keep the session for 30 days on this device instead of 12 hours.
    #[serde(default)]
    keep_signed_in: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FamilyToken {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    expires_at: chrono::DateTime<chrono::Utc>,
    /// When the session ends and a new sign-in link is needed.
    #[serde(serialize_with = "crate::domain::utc::utc")]
    session_ends_at: chrono::NaiveDateTime,
}

fn token_answer(
    state: &AppState,
    relative: &crate::domain::RelativeId,
    session: &crate::domain::SessionId,
    version: i64,
    session_ends_at: chrono::NaiveDateTime,
) -> Result<FamilyToken, AppError> {
    let (access_token, expires_at) = state.keys.issue(
        Audience::FamilyApi,
        relative.as_str(),
        session,
        version,
        state.config.api_token_lifetime,
    )?;
    Ok(FamilyToken {
        expires_in: (expires_at - chrono::Utc::now()).num_seconds().max(0),
        access_token,
        token_type: "Bearer",
        expires_at,
        session_ends_at,
    })
}

fn link_problem(problem: LinkProblem) -> AppError {
    match problem {
        LinkProblem::Unknown => AppError::invalid(
            "link_token",
            "This sign-in link is not one we recognise. Check it was copied in full, or ask for a new link.",
        ),
        LinkProblem::Expired => AppError::Gone {
            code: "link_expired",
            message: "This sign-in link has expired. Ask for a new link with POST /api/v1/family/auth/link.".into(),
        },
        LinkProblem::Used => AppError::Gone {
            code: "link_used",
            message: "This sign-in link has already been used. Ask for a new link with POST /api/v1/family/auth/link.".into(),
        },
        LinkProblem::Suspended => AppError::Forbidden {
            code: "access_suspended",
            message: "Access to the family portal is paused for this person. Please call your family liaison officer.",
        },
    }
}

/// Signs in with the token of a sign-in link (single use) and returns a bearer token.
#[utoipa::path(
    post,
    path = "/api/v1/family/auth/token",
    tag = "family",
    request_body = FamilyTokenRequest,
    responses(
        (status = 200, description = "Signed in", body = FamilyToken),
        (status = 403, description = "Portal access is suspended", body = ApiError),
        (status = 410, description = "The link expired or was already used; ask for a new one", body = ApiError),
        BodyErrors,
    ),
)]
pub async fn issue_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<FamilyTokenRequest>,
) -> Answer {
    let body = body.into_inner()?;
    let outcome = redeem_link(
        &state,
        body.link_token.trim().to_owned(),
        Client::Api,
        body.keep_signed_in,
        client_ip(&req),
        agent_of(&req),
    )
    .await?;
    let signed_in = outcome.map_err(link_problem)?;
    let ends = db::now() + family_session::lifetime(body.keep_signed_in);
    Ok(HttpResponse::Ok().json(token_answer(
        &state,
        &signed_in.relative,
        &signed_in.session,
        signed_in.auth_version,
        ends,
    )?))
}

/// A fresh token for the same session, while the session lasts.
#[utoipa::path(
    post,
    path = "/api/v1/family/auth/refresh",
    tag = "family",
    responses(
        (status = 200, description = "A new token; the old one still works until it expires", body = FamilyToken),
        FamilyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn refresh_token(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let sid = user.session_id.clone();
    let ends: chrono::NaiveDateTime = state
        .db
        .run(move |conn| {
            use crate::db::schema::sessions as s;
            use diesel::prelude::*;
            Ok(s::table.find(&sid).select(s::expires_at).first(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(token_answer(
        &state,
        &user.relative_id,
        &user.session_id,
        user.auth_version,
        ends,
    )?))
}

/// Signs out this session.
#[utoipa::path(
    delete,
    path = "/api/v1/family/auth/token",
    tag = "family",
    responses((status = 204, description = "Signed out"), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
) -> Answer {
    end_family_sessions(&state, client_ip(&req), &user, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Signs out every session of this relative, on every device and in the browser.
#[utoipa::path(
    post,
    path = "/api/v1/family/auth/sign-out-everywhere",
    tag = "family",
    responses((status = 204, description = "Every session ended"), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn sign_out_everywhere(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
) -> Answer {
    end_family_sessions(&state, client_ip(&req), &user, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- reading ------------------------------------------------------------------------------

#[derive(Serialize, utoipa::ToSchema)]
pub struct FamilyHome {
    /// Who is signed in.
    full_name: String,
    language: Lang,
    #[serde(flatten)]
    overview: Overview,
    /// Messages from the case team not yet opened.
    unread_messages: i64,
    /// Portal notices not yet read.
    unread_notices: i64,
}

/// The case's progress: stage with dates, what is new since the last visit, the next
/// appointment and, once liaison has ended, how to reach the team.
#[utoipa::path(
    get,
    path = "/api/v1/family/case",
    tag = "family",
    responses((status = 200, description = "The family's view of the case", body = FamilyHome), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn case(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let u = user.clone();
    let (overview, unread_messages, unread_notices) = state
        .db
        .run(move |conn| {
            let overview = portal::overview(conn, &u)?;
            let unread = messages::unread_for(conn, &u.case_id, &u.relative_id)?;
            let notices = crate::notify::inbox::unread_for_relative(conn, &u.relative_id)?;
            Ok((overview, unread, notices))
        })
        .await?;
    Ok(HttpResponse::Ok().json(FamilyHome {
        full_name: user.full_name,
        language: user.lang,
        overview,
        unread_messages,
        unread_notices,
    }))
}

/// Shared updates and shared summaries of contacts, newest first; `new` marks what this
/// relative has not yet read.
#[utoipa::path(
    get,
    path = "/api/v1/family/timeline",
    tag = "family",
    responses((status = 200, description = "The timeline", body = Vec<TimelineItem>), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn timeline(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let items = state
        .db
        .run(move |conn| portal::timeline(conn, &user))
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Marks every item of the timeline read (the case team sees when each relative first read
/// a shared update).
#[utoipa::path(
    post,
    path = "/api/v1/family/timeline/read",
    tag = "family",
    responses((status = 204, description = "Marked read"), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn timeline_read(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    state
        .db
        .run(move |conn| {
            let items = portal::timeline(conn, &user)?;
            Ok(db::write(conn, |conn| {
                portal::mark_read(conn, &user.relative_id, &items)
            })?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who to call: the named contacts the family may see, current and past, with cover.
#[utoipa::path(
    get,
    path = "/api/v1/family/contacts",
    tag = "family",
    responses((status = 200, description = "Named contacts, current first", body = Vec<NamedContact>), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn contacts(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let mut list = state
        .db
        .run(move |conn| Ok(portal::named_contacts(conn, &user.case_id, user.lang)?))
        .await?;
    list.sort_by_key(|c| !c.current);
    Ok(HttpResponse::Ok().json(list))
}

/// Upcoming appointments, soonest first.
#[utoipa::path(
    get,
    path = "/api/v1/family/appointments",
    tag = "family",
    responses((status = 200, description = "Upcoming appointments", body = Vec<Appointment>), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn appointments(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let list = state
        .db
        .run(move |conn| {
            Ok(portal::appointments(
                conn,
                &user.case_id,
                &user.relative_id,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One appointment as a calendar file (`text/calendar`).
#[utoipa::path(
    get,
    path = "/api/v1/family/appointments/{follow_up_id}/calendar",
    tag = "family",
    params(("follow_up_id" = String, Path, description = "The appointment's id")),
    responses(
        (status = 200, description = "An iCalendar file", content_type = "text/calendar", body = String),
        FamilyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn appointment_calendar(
    state: web::Data<AppState>,
    user: FamilyUser,
    path: web::Path<FollowUpId>,
) -> Answer {
    crate::web::family::appointment_ics(state, user, path).await
}

/// Belongings and their status: held as evidence, released, returned to the family.
#[utoipa::path(
    get,
    path = "/api/v1/family/property",
    tag = "family",
    responses((status = 200, description = "Property", body = Vec<PropertyView>), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn property(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let items = state
        .db
        .run(move |conn| Ok(portal::property(conn, &user.case_id, user.lang)?))
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Portal notices, newest first (the same words as the e-mails, never case detail).
#[utoipa::path(
    get,
    path = "/api/v1/family/notices",
    tag = "family",
    responses((status = 200, description = "Notices", body = Vec<InboxItem>), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn notices(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let emails = state.emails.clone();
    let items = state
        .db
        .run(move |conn| {
            Ok(crate::notify::inbox::for_relative(
                conn,
                &user.relative_id,
                user.lang,
                &emails,
                100,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Marks every notice read.
#[utoipa::path(
    post,
    path = "/api/v1/family/notices/read",
    tag = "family",
    responses((status = 204, description = "Marked read"), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn notices_read(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    state
        .db
        .run(move |conn| {
            db::write(conn, |conn| {
                crate::notify::inbox::mark_all_read_for_relative(conn, &user.relative_id)
            })?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- messages -----------------------------------------------------------------------------

/// The family's messages with the case team, each with its replies, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/family/messages",
    tag = "family",
    responses((status = 200, description = "The thread", body = Vec<ThreadItem>), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn messages_list(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let thread = state
        .db
        .run(move |conn| {
            Ok(messages::thread(
                conn,
                &user.case_id,
                Some((&user.relative_id, user.lang)),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(thread))
}

/// Marks every message from the case team read.
#[utoipa::path(
    post,
    path = "/api/v1/family/messages/read",
    tag = "family",
    responses((status = 204, description = "Marked read"), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn messages_read(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    state
        .db
        .run(move |conn| {
            let thread =
                messages::thread(conn, &user.case_id, Some((&user.relative_id, user.lang)))?;
            Ok(db::write(conn, |conn| {
                messages::mark_read(conn, &user.relative_id, &thread)
            })?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFamilyMessage {
    category: Category,
    /// At most 5000 characters.
    body: String,
}

/// Writes to the case team. A concern about the investigation also goes to the senior
/// investigating officer and stays on the managers' list until it is closed with a response.
#[utoipa::path(
    post,
    path = "/api/v1/family/messages",
    tag = "family",
    request_body = NewFamilyMessage,
    responses(
        (status = 201, description = "Sent; the thread with the new message", body = Vec<ThreadItem>),
        FamilyErrors,
        BodyErrors,
    ),
    security(("bearer" = [])),
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
            Ok(messages::thread(
                conn,
                &user.case_id,
                Some((&user.relative_id, user.lang)),
            )?)
        })
        .await?;
    Ok(HttpResponse::Created().json(thread))
}

// ---- preferences --------------------------------------------------------------------------

pub use crate::family::preferences::{FamilyPreferences, NoticeChannel};

/// How and when the relative hears from the portal, and in which language.
#[utoipa::path(
    get,
    path = "/api/v1/family/preferences",
    tag = "family",
    responses((status = 200, description = "The relative's preferences", body = FamilyPreferences), FamilyErrors),
    security(("bearer" = [])),
)]
pub async fn preferences(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    Ok(HttpResponse::Ok().json(read_preferences(&state, &user).await?))
}

/// Saves the relative's preferences (the case team sees the new version).
#[utoipa::path(
    put,
    path = "/api/v1/family/preferences",
    tag = "family",
    request_body = FamilyPreferences,
    responses(
        (status = 200, description = "Saved", body = FamilyPreferences),
        FamilyErrors,
        BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn preferences_save(
    state: web::Data<AppState>,
    user: FamilyUser,
    body: ApiJson<FamilyPreferences>,
) -> Answer {
    let body = body.into_inner()?;
    let quiet_hours = crate::casework::input::quiet_hours(
        body.quiet_hours_start.as_deref(),
        body.quiet_hours_end.as_deref(),
    )?;
    let rid = user.relative_id.clone();
    let prefs = Preferences {
        notify_by_email: body.channel == NoticeChannel::Email,
        quiet_hours,
        language: body.language,
    };
    state
        .db
        .run(move |conn| relatives::set_preferences(conn, &rid, &prefs))
        .await?;
    Ok(HttpResponse::Ok().json(read_preferences(&state, &user).await?))
}
