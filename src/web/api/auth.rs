//! API sign-in: exchange an email and password for a short-lived bearer token, and revoke it.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::accounts::teams;
use crate::auth::extract::client_ip;
use crate::auth::session::{self, Client, StaffUser};
use crate::auth::sign_in::{self, Attempt};
use crate::domain::raw::Email;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::api::ApiJson;
use crate::web::api::errors::{ApiError, BodyErrors, NotAllowed, SignInNeeded};
use crate::web::pages::Incoming;
use crate::web::pages::user_agent;
use crate::web::staff::account::end_session;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    email: Email,
    #[schema(min_length = 1)]
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    expires_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse),
        SignInNeeded, NotAllowed,
        (status = 429, description = "Too many attempts", body = ApiError),
        BodyErrors,
    ),
    security(()),
)]
pub async fn issue_token(
    (req, state): Incoming,
    body: ApiJson<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    if body.email.trim().is_empty() {
        return Err(AppError::invalid("email", "Enter an email address."));
    }
    if body.password.is_empty() {
        return Err(AppError::invalid("password", "Enter a password."));
    }
    let signed_in = sign_in::sign_in_staff(
        &state.auth,
        Attempt {
            email: body.email.into(),
            password: body.password,
            client: Client::Api,
            ip: client_ip(&req),
            user_agent: user_agent(&req),
            // An API client keeps no cookies: the address limit always applies.
            known_device: false,
        },
    )
    .await?;
    if signed_in.password_change_required {
        let sid = signed_in.session_id.clone();
        state
            .db
            .run(move |conn| Ok(session::revoke(conn, &sid, "password change required")?))
            .await?;
        return Err(AppError::Forbidden {
            code: "password_change_required",
            message: "Sign in to the staff pages and choose a new password before using the API.",
        });
    }
    Ok(HttpResponse::Ok().json(TokenResponse {
        expires_in: (signed_in.expires_at - chrono::Utc::now())
            .num_seconds()
            .max(0),
        access_token: signed_in.token,
        token_type: "Bearer",
        expires_at: signed_in.expires_at,
    }))
}

#[utoipa::path(
    delete, path = "/api/v1/auth/token", tag = "auth",
    responses((status = 204, description = "Signed out"), SignInNeeded),
)]
pub async fn revoke_token(
    (req, state): Incoming,
    user: StaffUser,
) -> Result<HttpResponse, AppError> {
    end_session(&state, user, client_ip(&req), Client::Api).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    #[serde(flatten)]
    user: StaffUser,
    teams: Vec<teams::Team>,
}

#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "The signed-in account", body = Me), SignInNeeded),
)]
pub async fn me(state: web::Data<AppState>, user: StaffUser) -> Result<HttpResponse, AppError> {
    let id = user.id.clone();
    let teams = state
        .db
        .run(move |conn| Ok(teams::of_user(conn, &id)?))
        .await?;
    Ok(HttpResponse::Ok().json(Me { user, teams }))
}
