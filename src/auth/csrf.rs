//! CSRF protection for every form. The browser holds a random value in an HttpOnly,
//! SameSite=Strict cookie; each form carries a keyed digest of that value and of the
//! browser's signed-in session, compared in constant time on submit. A cookie and field
//! planted by someone else are refused, for they cannot make the digest for this person's
//! session. `CsrfForm<T>` is the only way a page handler reads a form, so a form without a
//! matching token is refused with 403 before any handler code runs.

use actix_web::body::MessageBody;
use actix_web::cookie::SameSite;
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
use crate::auth::cookies;
use crate::auth::extract::{BoundSession, ClearSessionCookie, client_ip};
use crate::auth::tokens::Audience;
use crate::domain::{RelativeId, UserId};
use crate::error::AppError;
use crate::state::AuthContext;

pub const CSRF_FIELD: &str = "csrf_token";
/// The largest form body accepted.
pub const FORM_LIMIT: usize = 256 * 1024;

/// The random half of this browser's token, from its cookie.
#[derive(Debug, Clone)]
struct CsrfCookie(String);

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

/// Middleware for page scopes: makes sure the browser holds a CSRF cookie and keeps its value
/// for the forms of this request.
pub async fn ensure_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = req
        .app_data::<web::Data<AuthContext>>()
        .is_none_or(|s| s.cookie_secure);
    let existing = cookies::CSRF
        .read(req.request(), secure)
        .filter(|v| well_formed(v));
    let (value, fresh) = match existing {
        Some(t) => (t, false),
        None => (generate(), true),
    };
    req.extensions_mut().insert(CsrfCookie(value.clone()));
    let mut res = next.call(req).await?;
    if fresh {
        let cookie = cookies::CSRF.build(value, secure, SameSite::Strict, None);
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

/// Forms that sign in. The page may have been made before this browser held the session it
/// now sends (another tab signed in meanwhile; a SameSite=Strict cookie held back when the
/// page was opened from a link elsewhere), so a token made for no session is good for them
/// too. None of them acts in a signed-in person's name.
const SIGN_IN_FORMS: &[&str] = &["/staff/login", "/family/sign-in", "/family/sign-in/link"];

/// Forms that sign out: from a tab left open after signing out elsewhere, the form finds the
/// browser signed out already rather than refused.
const SIGN_OUT_FORMS: &[&str] = &[
    "/staff/logout",
    "/family/sign-out",
    "/family/sign-out-everywhere",
];

/// Who the browser is signed in as on this part of the site, from its signed session cookie
/// (signature checked, expiry not: a session past its token's life is still the one the
/// forms were made for). `None` when it is not signed in.
fn signed_in_as(req: &HttpRequest, state: &AuthContext) -> Option<(String, Actor)> {
    let secure = state.cookie_secure;
    let family = req.path().starts_with("/family");
    let (cookie, audience) = if family {
        (cookies::FAMILY_SESSION, Audience::FamilyWeb)
    } else {
        (cookies::STAFF_SESSION, Audience::StaffWeb)
    };
    let token = cookie.read(req, secure)?;
    let claims = state.keys.verify_ignoring_expiry(&token, audience).ok()?;
    let actor = if family {
        Actor::Relative(RelativeId::parse(&claims.sub)?)
    } else {
        Actor::Staff(UserId::parse(&claims.sub)?)
    };
    Some((claims.sid, actor))
}

/// The token for a form: the digest of the browser's random value and the session it is
/// bound to (none before signing in).
fn token_for(state: &AuthContext, random: &str, session: &str) -> String {
    state.keys.mac("csrf", &[random, session])
}

/// The CSRF token for this request's forms (empty outside page scopes).
pub fn token_of(req: &HttpRequest) -> String {
    let ext = req.extensions();
    let (Some(CsrfCookie(random)), Some(state)) = (
        ext.get::<CsrfCookie>(),
        req.app_data::<web::Data<AuthContext>>(),
    ) else {
        return String::new();
    };
    let session = match ext.get::<BoundSession>() {
        Some(BoundSession(sid)) => sid.clone(),
        // The answer clears a dead session cookie: the next form comes without one.
        None if ext.get::<ClearSessionCookie>().is_some() => String::new(),
        None => signed_in_as(req, state)
            .map(|(sid, _)| sid)
            .unwrap_or_default(),
    };
    token_for(state, random, &session)
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
    let state = req
        .app_data::<web::Data<AuthContext>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))?;
    let random = cookies::CSRF
        .read(&req, state.cookie_secure)
        .filter(|v| well_formed(v));
    let signed_in = signed_in_as(&req, state);
    let path = req.path();
    let matches = match (sent, random) {
        (Some(sent), Some(random)) => {
            let is = |session: &str| {
                bool::from(
                    sent.as_bytes()
                        .ct_eq(token_for(state, &random, session).as_bytes()),
                )
            };
            match &signed_in {
                Some((sid, _)) => is(sid) || (SIGN_IN_FORMS.contains(&path) && is("")),
                None => is(""),
            }
        }
        _ => false,
    };
    if !matches && signed_in.is_none() && SIGN_OUT_FORMS.contains(&path) {
        // Signed out already (in another tab): the stale form finds the browser signed out.
        return Err(AppError::Unauthenticated);
    }
    if !matches {
        let actor = signed_in
            .map(|(_, actor)| actor)
            .unwrap_or(Actor::Anonymous);
        let (ip, path) = (client_ip(&req), req.path().to_owned());
        let logged = state
            .db
            .run(move |conn| {
                audit::event(&actor, "access.csrf_rejected")
                    .outcome(Outcome::Denied)
                    .ip(ip.as_deref())
                    .detail(path)
                    .write(conn)?;
                Ok(())
            })
            .await;
        if let Err(e) = logged {
            tracing::warn!(error = %e, "could not record a refused CSRF token");
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
