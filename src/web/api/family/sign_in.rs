//! Signing in as a relative through the API: asking for a link, spending it for a token, refreshing and ending sessions.

use crate::auth::extract::client_ip;
use crate::auth::session::Client;
use crate::auth::tokens::Audience;
use crate::db;
use crate::domain::EmailAddress;
use crate::domain::raw::Email;
use crate::error::AppError;
use crate::family::links::{self, LinkProblem};
use crate::family::session::{self as family_session, FamilyUser};
use crate::state::AppState;
use crate::web::api::ApiJson;
use crate::web::api::errors::{ApiError, BodyErrors};
use crate::web::family::sign_in::{end_family_sessions, redeem_link, request_link_for};
use crate::web::pages::Incoming;
use crate::web::pages::user_agent;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Answer, FamilyErrors};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The address the case team holds for the relative.
    email: Email,
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
    post, path = "/api/v1/family/auth/link", tag = "family",
    request_body = LinkRequest,
    responses(
        (status = 202, description = "If the address has portal access, a link is on its way", body = LinkRequested),
        (status = 429, description = "Too many requests; try again in an hour", body = ApiError),
        BodyErrors,
    ),
    security(()),
)]
pub async fn request_link((req, state): Incoming, body: ApiJson<LinkRequest>) -> Answer {
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
    #[schema(pattern = r"^[A-Za-z0-9_-]{43}$")]
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
    let (access_token, expires_at) = state.auth.keys.issue(
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
        LinkProblem::Unknown => AppError::NotRecognised {
            code: "link_unknown",
            message: "This sign-in link is not one we recognise. Check it was copied in full, or ask for a new link.",
        },
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
    post, operation_id = "family_issue_token", path = "/api/v1/family/auth/token", tag = "family",
    request_body = FamilyTokenRequest,
    responses(
        (status = 200, description = "Signed in", body = FamilyToken),
        (status = 403, description = "Portal access is suspended", body = ApiError),
        (status = 401, description = "The link is not one we know (`link_unknown`)", body = ApiError),
        (status = 410, description = "The link expired or was already used; ask for a new one", body = ApiError),
        BodyErrors,
    ),
    security(()),
)]
pub async fn issue_token((req, state): Incoming, body: ApiJson<FamilyTokenRequest>) -> Answer {
    let body = body.into_inner()?;
    let token = body.link_token.trim().to_owned();
    if !crate::family::links::well_formed(&token) {
        return Err(AppError::invalid(
            "link_token",
            "This is not a whole sign-in link token: it has 43 letters, digits, - and _.",
        ));
    }
    let outcome = redeem_link(
        &state,
        token,
        Client::Api,
        body.keep_signed_in,
        false,
        client_ip(&req),
        user_agent(&req),
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
    post, path = "/api/v1/family/auth/refresh", tag = "family",
    responses(
        (status = 200, description = "A new token; the old one still works until it expires", body = FamilyToken),
        FamilyErrors,
    ),
)]
pub async fn refresh_token(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let sid = user.session_id.clone();
    let ends: chrono::NaiveDateTime = state
        .db
        .run(move |conn| Ok(family_session::ends_at(conn, &sid)?))
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
    delete, operation_id = "family_revoke_token",
    path = "/api/v1/family/auth/token", tag = "family",
    responses((status = 204, description = "Signed out"), FamilyErrors),
)]
pub async fn revoke_token((req, state): Incoming, user: FamilyUser) -> Answer {
    end_family_sessions(&state, client_ip(&req), &user, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Signs out every session of this relative, on every device and in the browser.
#[utoipa::path(
    post, path = "/api/v1/family/auth/sign-out-everywhere", tag = "family",
    responses((status = 204, description = "Every session ended"), FamilyErrors),
)]
pub async fn sign_out_everywhere((req, state): Incoming, user: FamilyUser) -> Answer {
    end_family_sessions(&state, client_ip(&req), &user, true).await?;
    Ok(HttpResponse::NoContent().finish())
}
