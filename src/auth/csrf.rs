//! CSRF protection for every form: a random token in an HttpOnly, SameSite=Strict cookie,
//! repeated in a hidden field of each form and compared in constant time on submit (the
//! double-submit pattern). `CsrfForm<T>` is the only way a page handler reads a form, so a
//! form without a matching token is refused with 403 before any handler code runs.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::audit::{self, Actor, Outcome};
use crate::auth::extract::client_ip;
use crate::error::AppError;
use crate::startup::AppState;

pub const CSRF_COOKIE: &str = "liaison_csrf";
pub const CSRF_FIELD: &str = "csrf_token";
/// The largest form body accepted.
pub const FORM_LIMIT: usize = 256 * 1024;

/// The token for this request, for templates to put in forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Middleware for page scopes: makes sure the browser holds a CSRF cookie and exposes its
/// value to the handler.
pub async fn ensure_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let existing = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| well_formed(v));
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (generate(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let secure = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.cookie_secure)
        .unwrap_or(true);
    let mut res = next.call(req).await?;
    if fresh {
        let cookie = Cookie::build(CSRF_COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

/// The CSRF token of the current request (empty outside page scopes).
pub fn token_of(req: &HttpRequest) -> String {
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

/// A URL-encoded form whose CSRF token matched. Fields stay strings in `T` where a person
/// types them, so that a form can be shown again exactly as it was sent.
///
/// A missing or wrong CSRF token fails the request at once (403). Any other problem with the
/// body is kept for the handler to return after authorisation has passed (actix polls a
/// handler's extractors together, so an early body error could otherwise answer first).
pub struct CsrfForm<T>(Result<T, AppError>);

impl<T> CsrfForm<T> {
    pub fn into_inner(self) -> Result<T, AppError> {
        self.0
    }
}

/// Outer error: refuse the request now (CSRF). Inner error: the body, for the handler.
async fn read_form<T: DeserializeOwned>(
    req: HttpRequest,
    mut payload: Payload,
) -> Result<Result<T, AppError>, AppError> {
    let content_type = req.content_type().to_ascii_lowercase();
    if content_type != "application/x-www-form-urlencoded" {
        return Ok(Err(AppError::UnsupportedMediaType(
            "Send this form as application/x-www-form-urlencoded.".into(),
        )));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return Ok(Err(AppError::BadRequest(
                "The form could not be read; please send it again.".into(),
            )));
        };
        if body.len() + chunk.len() > FORM_LIMIT {
            return Ok(Err(AppError::PayloadTooLarge(format!(
                "This form is larger than {} KiB. Shorten the longest text and send it again.",
                FORM_LIMIT / 1024
            ))));
        }
        body.extend_from_slice(&chunk);
    }
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return Ok(Err(AppError::BadRequest(
            "The form could not be read; please send it again.".into(),
        )));
    };
    let sent = pairs
        .iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.as_str());
    let expected = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned());
    let matches = match (sent, expected.as_deref()) {
        (Some(sent), Some(expected)) if well_formed(expected) => {
            bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
        }
        _ => false,
    };
    if !matches {
        if let Some(state) = req.app_data::<web::Data<AppState>>() {
            let (ip, path) = (client_ip(&req), req.path().to_owned());
            let _ = state
                .db
                .run(move |conn| {
                    audit::event(&Actor::Anonymous, "access.csrf_rejected")
                        .outcome(Outcome::Denied)
                        .ip(ip.as_deref())
                        .detail(path)
                        .write(conn)?;
                    Ok(())
                })
                .await;
        }
        return Err(AppError::csrf());
    }
    Ok(
        // serde_html_form reads repeated names (checkboxes) into lists.
        serde_html_form::from_bytes(&body).map_err(|e| AppError::Invalid {
            field: None,
            message: format!("The form is incomplete: {e}."),
        }),
    )
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<CsrfForm<T>, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move { read_form(req, payload).await.map(CsrfForm) })
    }
}
