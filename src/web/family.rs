//! The family portal's pages: sign-in by link, the case's progress, timeline, named contacts,
//! appointments (with a calendar file), property, messages, notices and preferences. Every
//! word comes from the family's language catalogue (`locales/`), chosen per relative and
//! switchable on every page. Pages work without JavaScript and fit a 320 px screen.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, Outcome};
use crate::auth::AuthSource;
use crate::auth::cookies;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::device::{self, Account};
use crate::auth::drafts::{Author, DraftKeys};
use crate::auth::extract::{
    BoundSession, ClearSessionCookie, audit_rejection, client_ip, state_of,
};
use crate::auth::session::Client;
use crate::auth::throttle;
use crate::auth::tokens::{Audience, TokenError};
use crate::casework::relatives::{self, Preferences};
use crate::db;
use crate::domain::{EmailAddress, FollowUpId, LimitedText, RelativeId, SessionId, new_row_id};
use crate::error::AppError;
use crate::family::cache::{CachedPage, PAGE_TTL, TokenKind, time_until};
use crate::family::links::{self, LinkProblem};
use crate::family::messages::{self, BODY_MAX, Category};
use crate::family::portal::{self, tr};
use crate::family::session::{self as family_session, FamilyUser};
use crate::i18n::Lang;
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};
use crate::state::AppState;
use crate::web::pages::{safe_next, see_other};

type Page = Result<HttpResponse, AppError>;

// ---- who is calling -------------------------------------------------------------------------

#[derive(Clone)]
struct RenewedFamilyToken(String, bool);

/// The language of the relative a request is about before they have signed in (the one a
/// sign-in link was sent to), set by the handler that found out.
#[derive(Clone, Copy)]
struct ReaderLang(Lang);

/// The family cache's epoch when this request began to read (see `family::cache`).
#[derive(Clone, Copy)]
struct ReadSince(u64);

async fn authenticate(req: HttpRequest) -> Result<FamilyUser, AppError> {
    let state = state_of(&req)?;
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
            .keys
            .verify_ignoring_expiry(&token, Audience::FamilyWeb),
        AuthSource::Bearer => state.keys.verify(&token, Audience::FamilyApi),
    };
    let claims = match verified {
        Ok(c) => c,
        Err(e) => {
            if source == AuthSource::Cookie {
                req.extensions_mut().insert(ClearSessionCookie);
            }
            if !matches!(e, TokenError::Expired) {
                audit_rejection(
                    &state,
                    &req,
                    "auth.token_rejected",
                    format!("family token: {e}"),
                )
                .await;
            }
            return Err(AppError::Unauthenticated);
        }
    };
    let idle = state.config.session_idle;
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
            audit_rejection(&state, &req, "auth.session_rejected", detail).await;
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
        let (fresh, _) = state.keys.issue(
            Audience::FamilyWeb,
            user.relative_id.as_str(),
            &user.session_id,
            user.auth_version,
            state.config.token_lifetime,
        )?;
        req.extensions_mut()
            .insert(RenewedFamilyToken(fresh, user.persistent));
    }
    bind_forms(&req, source, &user);
    req.extensions_mut().insert(user.clone());
    Ok(user)
}

/// A browser's forms are bound to the session its cookie opened (see `csrf`).
fn bind_forms(req: &HttpRequest, source: AuthSource, user: &FamilyUser) {
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

fn removal(secure: bool) -> Cookie<'static> {
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
struct FamilyContext<'a, T: Serialize> {
    lang: &'static str,
    other_lang: &'static str,
    other_lang_name: &'static str,
    title: String,
    csrf_token: String,
    family: Option<&'a FamilyUser>,
    draft: Option<DraftKeys>,
    /// This page, for the language switch to come back to.
    here: String,
    page: T,
}

fn render<T: Serialize>(
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

fn html_page(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html)
}

/// The page as HTML, or `None` (logged) if the template failed.
fn render_html<T: Serialize>(
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
        draft: user
            .map(|u| DraftKeys::for_author(&state.keys, Author::Relative(u.relative_id.as_str()))),
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

fn error_page(req: &HttpRequest, status: StatusCode) -> HttpResponse {
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

fn problems(lang: Lang, list: &[(&str, &str)]) -> serde_json::Value {
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

fn no_problems() -> serde_json::Value {
    serde_json::json!({ "list": [], "by_field": {} })
}

// ---- signing in ------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct SignInQuery {
    signed_out: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SignInForm {
    #[serde(default)]
    pub email: String,
}

#[derive(Serialize)]
struct SignInPage<'a> {
    form: &'a SignInForm,
    errors: serde_json::Value,
    signed_out: bool,
}

pub async fn sign_in_form(
    req: HttpRequest,
    user: Option<FamilyUser>,
    query: web::Query<SignInQuery>,
) -> HttpResponse {
    if user.is_some() {
        return see_other("/family");
    }
    render(
        &req,
        StatusCode::OK,
        "pages/family/sign_in",
        "sign-in-title",
        None,
        SignInPage {
            form: &SignInForm::default(),
            errors: no_problems(),
            signed_out: query.signed_out.is_some(),
        },
    )
}

/// Asks for a sign-in link. The answer is the same whether or not the address is known.
pub async fn request_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<SignInForm>,
) -> Page {
    let form = form.into_inner()?;
    let lang = lang_of(&req, None);
    let email = match EmailAddress::parse("email", &form.email) {
        Ok(e) => e,
        Err(_) => {
            let key = if form.email.trim().is_empty() {
                "sign-in-error-empty"
            } else {
                "sign-in-error-format"
            };
            return Ok(render(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/family/sign_in",
                "sign-in-title",
                None,
                SignInPage {
                    form: &form,
                    errors: problems(lang, &[("email", key)]),
                    signed_out: false,
                },
            ));
        }
    };
    let known_device = device::knows(&req, Account::Relative, email.as_str());
    let limited = request_link_for(&state, email, client_ip(&req), known_device).await?;
    if limited {
        return Ok(render(
            &req,
            StatusCode::TOO_MANY_REQUESTS,
            "pages/family/sign_in",
            "sign-in-title",
            None,
            SignInPage {
                form: &form,
                errors: problems(lang, &[("email", "sign-in-error-limited")]),
                signed_out: false,
            },
        ));
    }
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/family/link_sent",
        "link-sent-title",
        None,
        serde_json::json!({ "minutes": links::SIGN_IN_MINUTES }),
    ))
}

/// Sends a sign-in link to every relative with portal access at `email`, within the
/// per-address and per-IP limits (a browser this relative signed in on before is spared the
/// per-IP one). `Ok(true)` when a limit stopped it; the caller answers the same whether or
/// not the address is known.
pub(crate) async fn request_link_for(
    state: &AppState,
    email: EmailAddress,
    ip: Option<String>,
    known_device: bool,
) -> Result<bool, AppError> {
    let window = chrono::Duration::hours(1);
    let address_bucket = format!("family-link:address:{}", email.as_str());
    let ip_bucket = format!("family-link:ip:{}", ip.as_deref().unwrap_or("unknown"));
    state
        .db
        .run(move |conn| {
            db::write(conn, |conn| {
                let limited = throttle::is_limited(
                    conn,
                    &address_bucket,
                    window,
                    links::MAX_REQUESTS_PER_ADDRESS,
                )? || (!known_device
                    && throttle::is_limited(conn, &ip_bucket, window, links::MAX_REQUESTS_PER_IP)?);
                if limited {
                    audit::event(&Actor::Anonymous, "family.sign_in_link_limited")
                        .outcome(Outcome::Denied)
                        .ip(ip.as_deref())
                        .write(conn)?;
                    return Ok::<_, AppError>(true);
                }
                throttle::hit(conn, &address_bucket, window)?;
                if !known_device {
                    throttle::hit(conn, &ip_bucket, window)?;
                }
                use crate::db::schema::relatives as r;
                use diesel::prelude::*;
                let found: Vec<crate::domain::RelativeId> = r::table
                    .filter(r::email.eq(email.as_str()))
                    .filter(r::access_state.eq_any([
                        crate::casework::types::AccessState::Invited,
                        crate::casework::types::AccessState::Active,
                    ]))
                    .select(r::id)
                    .load(conn)?;
                for relative in &found {
                    outbox::enqueue(
                        conn,
                        &Notice {
                            kind: Kind::FamilySignInLink,
                            recipient: Recipient::Relative(relative.clone()),
                            case_id: None,
                            cause: format!("sign-in:{}", new_row_id()),
                            payload: serde_json::json!({ "minutes": links::SIGN_IN_MINUTES }),
                        },
                    )?;
                }
                let mut event = audit::event(&Actor::Anonymous, "family.sign_in_link_requested")
                    .ip(ip.as_deref());
                event = match found.first() {
                    Some(r) => event.record("relative", r),
                    None => event.detail("no relative with portal access has that address"),
                };
                event.write(conn)?;
                Ok(false)
            })
        })
        .await
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    keep: Option<String>,
}

fn link_problem_page(req: &HttpRequest, problem: LinkProblem) -> HttpResponse {
    let (status, key) = match problem {
        LinkProblem::Unknown => (StatusCode::BAD_REQUEST, "link-problem-unknown"),
        LinkProblem::Expired => (StatusCode::GONE, "link-problem-expired"),
        LinkProblem::Used => (StatusCode::GONE, "link-problem-used"),
        LinkProblem::Suspended => (StatusCode::FORBIDDEN, "link-problem-suspended"),
    };
    let lang = lang_of(req, None);
    render(
        req,
        status,
        "pages/family/link_problem",
        "link-problem-title",
        None,
        serde_json::json!({ "message": tr(lang, key), "form": SignInForm::default(), "errors": no_problems() }),
    )
}

/// Checks a link without using it, so that a mail scanner opening it does not spend it. The
/// language is that of the relative the link was sent to, when it names one.
fn check_link(
    conn: &mut db::DbConn,
    token: &str,
) -> diesel::QueryResult<(Result<(), LinkProblem>, Option<Lang>)> {
    use crate::db::schema::{relatives as r, sign_in_tokens as t};
    use diesel::prelude::*;
    if !links::well_formed(token) {
        return Ok((Err(LinkProblem::Unknown), None));
    }
    let hash = links::hash_of(token);
    let found: Option<(
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
        crate::casework::types::AccessState,
        Lang,
    )> = t::table
        .inner_join(r::table.on(r::id.eq(t::relative_id)))
        .filter(t::token_hash.eq(hash))
        .select((t::expires_at, t::used_at, r::access_state, r::language))
        .first(conn)
        .optional()?;
    let lang = found.as_ref().map(|f| f.3);
    let verdict = match found {
        None => Err(LinkProblem::Unknown),
        Some((_, Some(_), _, _)) => Err(LinkProblem::Used),
        Some((exp, None, _, _)) if exp <= db::now() => Err(LinkProblem::Expired),
        Some((_, None, crate::casework::types::AccessState::Suspended, _)) => {
            Err(LinkProblem::Suspended)
        }
        Some(_) => Ok(()),
    };
    Ok((verdict, lang))
}

/// Checks a link, and has the page answer in the language of the relative it was sent to.
async fn check_link_for_reader(
    state: &AppState,
    req: &HttpRequest,
    token: String,
) -> Result<Result<(), LinkProblem>, AppError> {
    let (checked, lang) = state
        .db
        .run(move |conn| Ok(check_link(conn, &token)?))
        .await?;
    if let Some(lang) = lang {
        req.extensions_mut().insert(ReaderLang(lang));
    }
    Ok(checked)
}

/// The page a sign-in link opens: a button that signs in (a GET changes nothing).
pub async fn link_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LinkQuery>,
) -> Page {
    if let Err(problem) = check_link_for_reader(&state, &req, query.token.clone()).await? {
        return Ok(link_problem_page(&req, problem));
    }
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/family/link",
        "link-title",
        None,
        serde_json::json!({ "token": query.token }),
    ))
}

/// Who a sign-in link signed in: the relative, their new session, their auth version (for
/// the token) and their e-mail address (for the browser to remember, see `device`).
pub(crate) struct Redeemed {
    pub relative: RelativeId,
    pub session: SessionId,
    pub auth_version: i64,
    pub email: Option<String>,
}

/// Uses a sign-in link: retires it and starts a session of `client` kind.
pub(crate) async fn redeem_link(
    state: &AppState,
    token: String,
    client: Client,
    persistent: bool,
    ip: Option<String>,
    agent: Option<String>,
) -> Result<Result<Redeemed, LinkProblem>, AppError> {
    state
        .db
        .run(move |conn| {
            db::write(conn, |conn| {
                let relative = match links::redeem(conn, &token)? {
                    Ok(r) => r,
                    Err(problem) => {
                        audit::event(&Actor::Anonymous, "family.sign_in")
                            .outcome(Outcome::Denied)
                            .ip(ip.as_deref())
                            .detail(format!("{problem:?}"))
                            .write(conn)?;
                        return Ok::<_, AppError>(Err(problem));
                    }
                };
                let sid = family_session::create(
                    conn,
                    &relative,
                    client,
                    persistent,
                    ip.as_deref(),
                    agent.as_deref(),
                )?;
                use crate::db::schema::relatives as r;
                use diesel::prelude::*;
                let (version, email): (i64, Option<String>) = r::table
                    .find(&relative)
                    .select((r::auth_version, r::email))
                    .first(conn)?;
                audit::event(&Actor::Relative(relative.clone()), "family.sign_in")
                    .record("session", &sid)
                    .ip(ip.as_deref())
                    .detail(match (client, persistent) {
                        (Client::Browser, true) => "kept signed in",
                        (Client::Browser, false) => "this visit",
                        (Client::Api, true) => "api, kept signed in",
                        (Client::Api, false) => "api",
                    })
                    .write(conn)?;
                Ok(Ok(Redeemed {
                    relative,
                    session: sid,
                    auth_version: version,
                    email,
                }))
            })
        })
        .await
}

/// Uses a sign-in link: starts a session and sets the cookie.
pub async fn use_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<LinkForm>,
) -> Page {
    let form = form.into_inner()?;
    let persistent = form.keep.is_some();
    let ip = client_ip(&req);
    let agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let outcome = redeem_link(
        &state,
        form.token.clone(),
        Client::Browser,
        persistent,
        ip,
        agent,
    )
    .await?;
    let signed_in = match outcome {
        Ok(o) => o,
        Err(problem) => {
            // For the page's language: the link is not spent, so it still names its relative.
            let _still_unspent = check_link_for_reader(&state, &req, form.token.clone()).await?;
            return Ok(link_problem_page(&req, problem));
        }
    };
    let (token, _) = state.keys.issue(
        Audience::FamilyWeb,
        signed_in.relative.as_str(),
        &signed_in.session,
        signed_in.auth_version,
        state.config.token_lifetime,
    )?;
    let mut res = see_other("/family");
    let session = family_cookie(token, state.config.cookie_secure, persistent);
    let known = signed_in
        .email
        .and_then(|email| device::remember(&req, Account::Relative, &email));
    for cookie in std::iter::once(session).chain(known) {
        res.add_cookie(&cookie)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("setting a sign-in cookie: {e}")))?;
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// Ends this session, or every session of the relative, and records it.
pub(crate) async fn end_family_sessions(
    state: &AppState,
    ip: Option<String>,
    user: &FamilyUser,
    everywhere: bool,
) -> Result<(), AppError> {
    let u = user.clone();
    state
        .db
        .run(move |conn| {
            db::write(conn, |conn| {
                if everywhere {
                    family_session::end_all(conn, &u.relative_id, "signed out everywhere")?;
                } else {
                    crate::auth::session::revoke(conn, &u.session_id, "signed out")?;
                }
                audit::event(
                    &Actor::Relative(u.relative_id.clone()),
                    if everywhere {
                        "family.sign_out_everywhere"
                    } else {
                        "family.sign_out"
                    },
                )
                .record("session", &u.session_id)
                .ip(ip.as_deref())
                .write(conn)?;
                Ok::<_, AppError>(())
            })
        })
        .await
}

async fn end_sessions(
    state: &AppState,
    req: &HttpRequest,
    user: &FamilyUser,
    everywhere: bool,
) -> Page {
    end_family_sessions(state, client_ip(req), user, everywhere).await?;
    let mut res = see_other("/family/sign-in?signed_out=1");
    res.add_cookie(&removal(state.config.cookie_secure))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("clearing the family cookie: {e}")))?;
    Ok(res)
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    form: CsrfForm<EmptyForm>,
) -> Page {
    form.into_inner()?;
    end_sessions(&state, &req, &user, false).await
}

pub async fn sign_out_everywhere(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    form: CsrfForm<EmptyForm>,
) -> Page {
    form.into_inner()?;
    end_sessions(&state, &req, &user, true).await
}

#[derive(Debug, Default, Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: Option<String>,
}

/// Switches the language: for the signed-in relative it becomes their preference (and their
/// e-mails' language); before sign-in a cookie remembers it.
pub async fn switch_language(
    state: web::Data<AppState>,
    user: Option<FamilyUser>,
    form: CsrfForm<LanguageForm>,
) -> Page {
    let form = form.into_inner()?;
    let lang = Lang::parse(&form.lang)
        .ok_or_else(|| AppError::invalid("lang", "Choose English (en) or Welsh (cy)."))?;
    if let Some(user) = &user {
        let rid = user.relative_id.clone();
        state
            .db
            .run(move |conn| {
                use crate::db::schema::relatives as r;
                use diesel::prelude::*;
                let (by_email, start, end): (bool, Option<String>, Option<String>) = r::table
                    .find(&rid)
                    .select((r::notify_by_email, r::quiet_hours_start, r::quiet_hours_end))
                    .first(conn)?;
                let quiet = crate::casework::input::quiet_hours(start.as_deref(), end.as_deref())
                    .unwrap_or(None);
                relatives::set_preferences(
                    conn,
                    &rid,
                    &Preferences {
                        notify_by_email: by_email,
                        quiet_hours: quiet,
                        language: lang,
                    },
                )
            })
            .await?;
    }
    let next = safe_next(form.next.as_deref(), "/family");
    let next = if next.starts_with("/family") {
        next
    } else {
        "/family".to_owned()
    };
    let mut res = see_other(&next);
    let cookie = cookies::LANG.build(
        lang.as_str().to_owned(),
        state.config.cookie_secure,
        SameSite::Lax,
        Some(CookieDuration::days(365)),
    );
    res.add_cookie(&cookie)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("setting the language cookie: {e}")))?;
    Ok(res)
}

// ---- reading ------------------------------------------------------------------------------

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
            let unread = messages::unread_for(conn, &u.case_id, &u.relative_id)?;
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

pub async fn timeline(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let u = user.clone();
    let items = state
        .db
        .run(move |conn| {
            let items = portal::timeline(conn, &u)?;
            let shown = items.clone();
            let rid = u.relative_id.clone();
            db::write(conn, move |conn| portal::mark_read(conn, &rid, &shown))?;
            Ok(items)
        })
        .await?;
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/family/timeline",
        "timeline-title",
        Some(&user),
        serde_json::json!({ "items": items }),
    ))
}

pub async fn contacts(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let (cid, lang) = (user.case_id.clone(), user.lang);
    let contacts = state
        .db
        .run(move |conn| Ok(portal::named_contacts(conn, &cid, lang)?))
        .await?;
    let (current, past): (Vec<_>, Vec<_>) = contacts.into_iter().partition(|c| c.current);
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/family/contacts",
        "contacts-title",
        Some(&user),
        serde_json::json!({ "current": current, "past": past }),
    ))
}

pub async fn appointments(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let (cid, rid) = (user.case_id.clone(), user.relative_id.clone());
    let list = state
        .db
        .run(move |conn| Ok(portal::appointments(conn, &cid, &rid)?))
        .await?;
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/family/appointments",
        "appointments-title",
        Some(&user),
        serde_json::json!({ "appointments": list }),
    ))
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
    let items = state
        .db
        .run(move |conn| Ok(portal::property(conn, &cid, lang)?))
        .await?;
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/family/property",
        "property-title",
        Some(&user),
        serde_json::json!({ "items": items }),
    ))
}

pub async fn notices(req: HttpRequest, state: web::Data<AppState>, user: FamilyUser) -> Page {
    let (rid, lang, emails) = (user.relative_id.clone(), user.lang, state.emails.clone());
    let items = state
        .db
        .run(move |conn| {
            Ok(crate::notify::inbox::for_relative(
                conn, &rid, lang, &emails, 100,
            )?)
        })
        .await?;
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/family/notices",
        "notices-title",
        Some(&user),
        serde_json::json!({ "items": items }),
    ))
}

pub async fn notices_read(
    state: web::Data<AppState>,
    user: FamilyUser,
    form: CsrfForm<EmptyForm>,
) -> Page {
    form.into_inner()?;
    let rid = user.relative_id.clone();
    state
        .db
        .run(move |conn| {
            db::write(conn, |conn| {
                crate::notify::inbox::mark_all_read_for_relative(conn, &rid)
            })?;
            Ok(())
        })
        .await?;
    Ok(see_other("/family/notices"))
}

// ---- messages -------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct FamilyMessageForm {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

async fn messages_page(
    req: &HttpRequest,
    state: &AppState,
    user: &FamilyUser,
    status: StatusCode,
    form: &FamilyMessageForm,
    errors: serde_json::Value,
    sent: bool,
) -> Page {
    let u = user.clone();
    let thread = state
        .db
        .run(move |conn| {
            let thread = messages::thread(conn, &u.case_id, Some((&u.relative_id, u.lang)))?;
            let shown = thread.clone();
            let rid = u.relative_id.clone();
            db::write(conn, move |conn| messages::mark_read(conn, &rid, &shown))?;
            Ok(thread)
        })
        .await?;
    let categories: Vec<serde_json::Value> = Category::ALL
        .iter()
        .map(|c| {
            serde_json::json!({
                "value": c.as_str(),
                "text": tr(user.lang, &format!("category-{}", c.as_str())),
                "selected": form.category == c.as_str(),
            })
        })
        .collect();
    Ok(render(
        req,
        status,
        "pages/family/messages",
        "messages-title",
        Some(user),
        serde_json::json!({
            "thread": thread,
            "form": form,
            "errors": errors,
            "categories": categories,
            "sent": sent,
            "limit": BODY_MAX,
        }),
    ))
}

pub async fn messages_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    query: web::Query<SentQuery>,
) -> Page {
    messages_page(
        &req,
        &state,
        &user,
        StatusCode::OK,
        &FamilyMessageForm::default(),
        no_problems(),
        query.sent.is_some(),
    )
    .await
}

pub async fn message_send(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    form: CsrfForm<FamilyMessageForm>,
) -> Page {
    let form = form.into_inner()?;
    let category = Category::parse(form.category.trim());
    let mut errs: Vec<(&str, &str)> = Vec::new();
    if category.is_none() {
        errs.push(("category", "messages-error-category"));
    }
    let body = if form.body.trim().is_empty() {
        errs.push(("body", "messages-error-empty"));
        None
    } else {
        match LimitedText::parse("body", &form.body, BODY_MAX) {
            Ok(b) => Some(b),
            Err(_) => {
                errs.push(("body", "messages-error-long"));
                None
            }
        }
    };
    let (Some(category), Some(body)) = (category, body) else {
        let errors = problems(user.lang, &errs);
        return messages_page(
            &req,
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors,
            false,
        )
        .await;
    };
    let u = user.clone();
    state
        .db
        .run(move |conn| messages::send_from_family(conn, &u, category, &body))
        .await?;
    Ok(see_other("/family/messages?sent=1"))
}

// ---- preferences -----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PreferencesForm {
    /// `email` or `portal`.
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub quiet_hours_start: String,
    #[serde(default)]
    pub quiet_hours_end: String,
    #[serde(default)]
    pub language: String,
}

async fn preferences_page(
    req: &HttpRequest,
    user: &FamilyUser,
    status: StatusCode,
    form: &PreferencesForm,
    errors: serde_json::Value,
    saved: bool,
) -> Page {
    let languages: Vec<serde_json::Value> = Lang::ALL
        .iter()
        .map(|l| {
            serde_json::json!({ "value": l.as_str(), "text": l.label(), "selected": form.language == l.as_str() })
        })
        .collect();
    Ok(render(
        req,
        status,
        "pages/family/preferences",
        "preferences-title",
        Some(user),
        serde_json::json!({
            "form": form,
            "errors": errors,
            "languages": languages,
            "by_email": form.channel == "email",
            "saved": saved,
        }),
    ))
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn preferences(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    query: web::Query<SavedQuery>,
) -> Page {
    let saved = read_preferences(&state, &user).await?;
    let form = PreferencesForm {
        channel: saved.channel.as_str().into(),
        quiet_hours_start: saved.quiet_hours_start.unwrap_or_default(),
        quiet_hours_end: saved.quiet_hours_end.unwrap_or_default(),
        language: saved.language.as_str().into(),
    };
    preferences_page(
        &req,
        &user,
        StatusCode::OK,
        &form,
        no_problems(),
        query.saved.is_some(),
    )
    .await
}

pub async fn preferences_save(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    form: CsrfForm<PreferencesForm>,
) -> Page {
    let form = form.into_inner()?;
    let mut errs: Vec<(&str, &str)> = Vec::new();
    let by_email = match form.channel.as_str() {
        "email" => Some(true),
        "portal" => Some(false),
        _ => {
            errs.push(("channel", "preferences-error-channel"));
            None
        }
    };
    let language = Lang::parse(&form.language);
    if language.is_none() {
        errs.push(("language", "preferences-error-language"));
    }
    let quiet = match crate::casework::input::quiet_hours(
        Some(&form.quiet_hours_start),
        Some(&form.quiet_hours_end),
    ) {
        Ok(q) => Some(q),
        Err(e) => {
            let field = if e.field() == Some("quiet_hours_start") {
                "quiet_hours_start"
            } else {
                "quiet_hours_end"
            };
            errs.push((field, "preferences-error-quiet"));
            None
        }
    };
    let (Some(notify_by_email), Some(language), Some(quiet_hours)) = (by_email, language, quiet)
    else {
        let errors = problems(user.lang, &errs);
        return preferences_page(
            &req,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors,
            false,
        )
        .await;
    };
    let rid = user.relative_id.clone();
    state
        .db
        .run(move |conn| {
            relatives::set_preferences(
                conn,
                &rid,
                &Preferences {
                    notify_by_email,
                    quiet_hours,
                    language,
                },
            )
        })
        .await?;
    Ok(see_other("/family/preferences?saved=1"))
}
