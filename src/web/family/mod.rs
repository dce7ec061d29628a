//! The family portal's pages: sign-in by link, the case's progress, timeline, named contacts,
//! appointments (with a calendar file), property, messages, notices and preferences. Every
//! word comes from the family's language catalogue (`locales/`), chosen per relative and
//! switchable on every page. Pages work without JavaScript and fit a 320 px screen.

pub mod messages;
pub mod preferences;
pub mod reading;
pub mod sign_in;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use futures_util::future::LocalBoxFuture;
use serde::Serialize;

use crate::auth::AuthSource;
use crate::auth::cookies;
use crate::auth::csrf::{self};
use crate::auth::drafts::{Author, DraftKeys};
use crate::auth::extract::{BoundSession, ClearSessionCookie, audit_rejection};
use crate::auth::tokens::{Audience, TokenError};
use crate::domain::{RelativeId, SessionId};
use crate::error::AppError;
use crate::family::cache::{TokenKind, time_until};
use crate::family::portal::tr;
use crate::family::session::{self as family_session, FamilyUser};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::pages::see_other;

pub(super) type Page = Result<HttpResponse, AppError>;

// ---- who is calling -------------------------------------------------------------------------

#[derive(Clone)]
pub(super) struct RenewedFamilyToken(String, bool);

/// The language of the relative a request is about before they have signed in (the one a
/// sign-in link was sent to), set by the handler that found out.
#[derive(Clone, Copy)]
pub(super) struct ReaderLang(Lang);

/// The family cache's epoch when this request began to read (see `family::cache`).
#[derive(Clone, Copy)]
pub(super) struct ReadSince(u64);

pub(super) async fn authenticate(req: HttpRequest) -> Result<FamilyUser, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))?;
    let source = req
        .app_data::<AuthSource>()
        .copied()
        .unwrap_or(AuthSource::Cookie);
    let token = match source {
        AuthSource::Cookie => cookies::FAMILY_SESSION.read(&req, state.config.cookie_secure),
        AuthSource::Bearer => req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_owned()),
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(AppError::Unauthenticated);
    };
    let cache = &state.family_cache;
    let kind = match source {
        AuthSource::Cookie => TokenKind::Cookie,
        AuthSource::Bearer => TokenKind::Bearer,
    };
    let half_life = state.config.token_lifetime.num_seconds() / 2;
    // On failure memory is not used, and the database answers below.
    cache.look_if_needed(&state.db).await;
    // What is read from here on may be kept, unless a change is noticed meanwhile.
    let epoch = cache.epoch();
    req.extensions_mut().insert(ReadSince(epoch));
    if let Some(user) = cache.session(kind, &token, half_life) {
        bind_forms(&req, source, &user);
        req.extensions_mut().insert(user.clone());
        return Ok(user);
    }
    // In the browser the server-side session decides how long a relative stays signed in
    // (see `verify_ignoring_expiry`); an API token is refused once expired.
    let verified = match source {
        AuthSource::Cookie => state
            .auth
            .keys
            .verify_ignoring_expiry(&token, Audience::FamilyWeb),
        AuthSource::Bearer => state.auth.keys.verify(&token, Audience::FamilyApi),
    };
    let claims = match verified {
        Ok(c) => c,
        Err(e) => {
            if source == AuthSource::Cookie {
                req.extensions_mut().insert(ClearSessionCookie);
            }
            if !matches!(e, TokenError::Expired) {
                audit_rejection(
                    &state.auth,
                    &req,
                    "auth.token_rejected",
                    format!("family token: {e}"),
                )
                .await;
            }
            return Err(AppError::Unauthenticated);
        }
    };
    let idle = family_session::IdleLimits {
        own_device: state.config.session_idle,
        shared_device: state.config.shared_device_idle,
    };
    let resolved = state
        .db
        .run({
            let claims = claims.clone();
            move |conn| family_session::resolve(conn, &claims, idle)
        })
        .await?;
    let user = match resolved {
        Ok(u) => u,
        Err(rejection) => {
            if source == AuthSource::Cookie {
                req.extensions_mut().insert(ClearSessionCookie);
            }
            let detail = format!("family session: {}", rejection.describe());
            audit_rejection(&state.auth, &req, "auth.session_rejected", detail).await;
            return Err(AppError::Unauthenticated);
        }
    };
    let now = chrono::Utc::now().timestamp();
    let mut keep_until = user.recheck_at;
    if source == AuthSource::Bearer {
        let expires = chrono::DateTime::from_timestamp(claims.exp, 0).map(|t| t.naive_utc());
        keep_until = keep_until.min(expires.unwrap_or_default());
    }
    cache.keep_session(
        epoch,
        kind,
        &token,
        &user,
        claims.iat,
        time_until(keep_until),
    );
    if source == AuthSource::Cookie && now - claims.iat >= half_life {
        let fresh = web_token(
            &state,
            &user.relative_id,
            &user.session_id,
            user.auth_version,
        )?;
        req.extensions_mut()
            .insert(RenewedFamilyToken(fresh, user.persistent));
    }
    bind_forms(&req, source, &user);
    req.extensions_mut().insert(user.clone());
    Ok(user)
}

/// A token for the family session cookie: the relative's browser session, for the configured
/// lifetime.
pub(super) fn web_token(
    state: &AppState,
    relative: &RelativeId,
    session: &SessionId,
    auth_version: i64,
) -> Result<String, AppError> {
    let (token, _) = state.auth.keys.issue(
        Audience::FamilyWeb,
        relative.as_str(),
        session,
        auth_version,
        state.config.token_lifetime,
    )?;
    Ok(token)
}

/// A browser's forms are bound to the session its cookie opened (see `csrf`).
pub(super) fn bind_forms(req: &HttpRequest, source: AuthSource, user: &FamilyUser) {
    if source == AuthSource::Cookie {
        req.extensions_mut()
            .insert(BoundSession(user.session_id.as_str().to_owned()));
    }
}

impl FromRequest for FamilyUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<FamilyUser, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(user) = req.extensions().get::<FamilyUser>() {
            let user = user.clone();
            return Box::pin(async move { Ok(user) });
        }
        Box::pin(authenticate(req.clone()))
    }
}

/// The family session cookie: HttpOnly, Secure, SameSite=Lax (so that the link in a notice
/// e-mail opens the portal signed in; every form still carries a CSRF token). Persistent
/// only when the relative chose "keep me signed in on this device".
pub fn family_cookie(value: String, secure: bool, persistent: bool) -> Cookie<'static> {
    let max_age = persistent.then(|| CookieDuration::days(family_session::PERSISTENT_DAYS));
    cookies::FAMILY_SESSION.build(value, secure, SameSite::Lax, max_age)
}

pub(super) fn removal(secure: bool) -> Cookie<'static> {
    cookies::FAMILY_SESSION.removal(secure)
}

/// Middleware for the family scope: renews or clears the session cookie, turns errors into
/// pages in the family's language, and sends "sign in first" to the family sign-in page.
pub async fn family_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.cookie_secure)
        .unwrap_or(true);
    let res = next.call(req).await?;
    let status = res.status();
    let error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    let mut res = match (error, status) {
        (Some(AppError::Unauthenticated), _) => {
            let (req, _) = res.into_parts();
            ServiceResponse::new(req, see_other("/family/sign-in")).map_into_boxed_body()
        }
        (Some(_), s) | (None, s @ (StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED))
            if s.is_client_error() || s.is_server_error() =>
        {
            let page = error_page(res.request(), s);
            let (req, _) = res.into_parts();
            ServiceResponse::new(req, page).map_into_boxed_body()
        }
        _ => res.map_into_boxed_body(),
    };
    if res
        .response()
        .cookies()
        .any(|c| c.name() == cookies::FAMILY_SESSION.on(secure))
    {
        return Ok(res);
    }
    let (renewed, clear) = {
        let ext = res.request().extensions();
        (
            ext.get::<RenewedFamilyToken>().cloned(),
            ext.get::<ClearSessionCookie>().is_some(),
        )
    };
    if let Some(RenewedFamilyToken(token, persistent)) = renewed {
        res.response_mut()
            .add_cookie(&family_cookie(token, secure, persistent))?;
    } else if clear {
        res.response_mut().add_cookie(&removal(secure))?;
    }
    Ok(res)
}

/// The relative's settings, for the page and the API.
pub(crate) async fn read_preferences(
    state: &AppState,
    user: &FamilyUser,
) -> Result<crate::family::preferences::FamilyPreferences, AppError> {
    let relative = user.relative_id.clone();
    state
        .db
        .run(move |conn| Ok(crate::family::preferences::of(conn, &relative)?))
        .await
}

/// An unknown family path: "not found" in the reader's language, which for a signed-in
/// relative is their own.
pub async fn not_found(_reader: Option<FamilyUser>) -> Page {
    Err(AppError::NotFound)
}

// ---- rendering -----------------------------------------------------------------------------

/// The reader's language: theirs when signed in, else the language cookie, else the browser's
/// first choice when it is Welsh, else English.
pub(crate) fn lang_of(req: &HttpRequest, user: Option<&FamilyUser>) -> Lang {
    if let Some(u) = user.or(req.extensions().get::<FamilyUser>()) {
        return u.lang;
    }
    // A choice made on this browser wins over the language of the relative a link was sent
    // to, so that the switch on the link page works.
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_none_or(|s| s.config.cookie_secure);
    if let Some(l) = cookies::LANG
        .read(req, secure)
        .and_then(|v| Lang::parse(&v))
    {
        return l;
    }
    if let Some(ReaderLang(l)) = req.extensions().get::<ReaderLang>() {
        return *l;
    }
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("cy") {
        Lang::Cy
    } else {
        Lang::En
    }
}

#[derive(Serialize)]
pub(super) struct FamilyContext<'a, T: Serialize> {
    lang: &'static str,
    other_lang: &'static str,
    other_lang_name: &'static str,
    title: String,
    csrf_token: String,
    family: Option<&'a FamilyUser>,
    draft: Option<DraftKeys>,
    /// On a shared or public device: the seconds without use after which the session ends
    /// (the page warns first); nothing typed is kept on the device.
    idle_seconds: Option<i64>,
    /// How many minutes a session on a shared or public device lasts without use, for the
    /// words that say so.
    shared_idle_minutes: i64,
    /// This page, for the language switch to come back to.
    here: String,
    page: T,
}

pub(super) fn render<T: Serialize>(
    req: &HttpRequest,
    status: StatusCode,
    template: &str,
    title_key: &str,
    user: Option<&FamilyUser>,
    page: T,
) -> HttpResponse {
    match render_html(req, template, title_key, user, page, csrf::token_of(req)) {
        Some(html) => html_page(status, html),
        None => HttpResponse::InternalServerError()
            .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("Something went wrong on our side. Please try again."),
    }
}

pub(super) fn html_page(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html)
}

/// The page as HTML, or `None` (logged) if the template failed.
pub(super) fn render_html<T: Serialize>(
    req: &HttpRequest,
    template: &str,
    title_key: &str,
    user: Option<&FamilyUser>,
    page: T,
    csrf_token: String,
) -> Option<String> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let lang = lang_of(req, user);
    let other = match lang {
        Lang::En => Lang::Cy,
        Lang::Cy => Lang::En,
    };
    let ctx = FamilyContext {
        lang: lang.as_str(),
        other_lang: other.as_str(),
        other_lang_name: other.label(),
        title: tr(lang, title_key),
        csrf_token,
        family: user,
        draft: user.filter(|u| !u.shared_device).map(|u| {
            DraftKeys::for_author(&state.auth.keys, Author::Relative(u.relative_id.as_str()))
        }),
        idle_seconds: user
            .filter(|u| u.shared_device)
            .map(|_| state.config.shared_device_idle.num_seconds()),
        shared_idle_minutes: (state.config.shared_device_idle.num_seconds() + 59) / 60,
        here: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/family".into()),
        page,
    };
    state
        .templates
        .render(template, &ctx)
        .map_err(|e| tracing::error!(template, error = %e, "template failed to render"))
        .ok()
}

pub(super) fn error_page(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    let user = req.extensions().get::<FamilyUser>().cloned();
    let key = match status.as_u16() {
        400 | 415 => "error-400",
        403 => "error-403",
        404 => "error-404",
        405 => "error-405",
        409 => "error-409",
        413 => "error-413",
        422 => "error-422",
        429 => "error-429",
        503 => "error-503",
        _ => "error-500",
    };
    #[derive(Serialize)]
    struct ErrorPage {
        heading: String,
        message: String,
    }
    let lang = lang_of(req, user.as_ref());
    render(
        req,
        status,
        "pages/family/error",
        &format!("{key}-heading"),
        user.as_ref(),
        ErrorPage {
            heading: tr(lang, &format!("{key}-heading")),
            message: tr(lang, &format!("{key}-message")),
        },
    )
}

pub(super) fn problems(lang: Lang, list: &[(&str, &str)]) -> serde_json::Value {
    let by_field: serde_json::Map<String, serde_json::Value> = list
        .iter()
        .map(|(f, k)| ((*f).to_owned(), serde_json::Value::String(tr(lang, k))))
        .collect();
    let items: Vec<serde_json::Value> = list
        .iter()
        .map(|(f, k)| serde_json::json!({ "field": f, "message": tr(lang, k) }))
        .collect();
    serde_json::json!({ "list": items, "by_field": by_field })
}

pub(super) fn no_problems() -> serde_json::Value {
    serde_json::json!({ "list": [], "by_field": {} })
}

/// The status and problems of a form page: 200 and none when nothing was wrong with what was
/// sent, else 422 and each problem in the reader's language.
pub(super) fn form_problems(lang: Lang, list: &[(&str, &str)]) -> (StatusCode, serde_json::Value) {
    let status = if list.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, problems(lang, list))
}
