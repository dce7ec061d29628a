//! Signing in by link: asking for one, the page a link opens, using it, signing out (here or everywhere) and choosing a language.

use crate::audit::{self, Actor};
use crate::auth::cookies;
use crate::auth::csrf::CsrfForm;
use crate::auth::device::{self, Account};
use crate::auth::extract::client_ip;
use crate::auth::session::Client;
use crate::db;
use crate::domain::EmailAddress;
use crate::error::AppError;
use crate::family::links::{self, LinkProblem};
use crate::family::portal::tr;
use crate::family::session::{self as family_session, FamilyUser};
use crate::family::sign_in::{self as family_sign_in, Redeemed};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::pages::Incoming;
use crate::web::pages::{safe_next, see_other, user_agent};
use actix_web::cookie::{SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{
    Page, ReaderLang, family_cookie, lang_of, no_problems, problems, removal, render, web_token,
};

#[derive(Deserialize)]
pub struct SignInQuery {
    signed_out: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SignInForm {
    pub email: String,
    /// "This is a shared or public device": the link page then says so already.
    pub shared: Option<String>,
}

#[derive(Serialize)]
struct SignInPage<'a> {
    form: &'a SignInForm,
    errors: serde_json::Value,
    signed_out: bool,
    /// At the link limit: the force's family liaison number, to call instead of waiting.
    limited_phone: Option<&'a str>,
}

/// The page that asks for an address; `list` holds what was wrong with the one sent, if
/// anything, as (field, words).
fn sign_in_page(
    req: &HttpRequest,
    status: StatusCode,
    form: &SignInForm,
    list: &[(&str, &str)],
    signed_out: bool,
) -> HttpResponse {
    let errors = problems(lang_of(req, None), list);
    let state = req.app_data::<web::Data<AppState>>();
    let limited_phone = state
        .filter(|_| list.iter().any(|(_, key)| *key == "sign-in-error-limited"))
        .map(|s| s.config.force.family_liaison_phone.as_str());
    render(
        req,
        status,
        "pages/family/sign_in",
        "sign-in-title",
        None,
        SignInPage {
            form,
            errors,
            signed_out,
            limited_phone,
        },
    )
}

pub async fn sign_in_form(
    req: HttpRequest,
    user: Option<FamilyUser>,
    query: web::Query<SignInQuery>,
) -> HttpResponse {
    if user.is_some() {
        return see_other("/family");
    }
    let signed_out = query.signed_out.is_some();
    sign_in_page(
        &req,
        StatusCode::OK,
        &SignInForm::default(),
        &[],
        signed_out,
    )
}

/// Asks for a sign-in link. The answer is the same whether or not the address is known.
pub async fn request_link((req, state): Incoming, form: CsrfForm<SignInForm>) -> Page {
    let form = form.into_inner()?;
    let email = match EmailAddress::parse("email", &form.email) {
        Ok(e) => e,
        Err(_) => {
            let key = if form.email.trim().is_empty() {
                "sign-in-error-empty"
            } else {
                "sign-in-error-format"
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(sign_in_page(&req, status, &form, &[("email", key)], false));
        }
    };
    let known_device = device::knows(&req, Account::Relative, email.as_str());
    let limited = request_link_for(&state, email, client_ip(&req), known_device).await?;
    if limited {
        let problem = [("email", "sign-in-error-limited")];
        return Ok(sign_in_page(
            &req,
            StatusCode::TOO_MANY_REQUESTS,
            &form,
            &problem,
            false,
        ));
    }
    let mut res = render(
        &req,
        StatusCode::OK,
        "pages/family/link_sent",
        "link-sent-title",
        None,
        serde_json::json!({ "minutes": links::SIGN_IN_MINUTES, "shared": form.shared.is_some() }),
    );
    if form.shared.is_some() {
        let secure = state.config.cookie_secure;
        let hint = cookies::SHARED_DEVICE.build("1".into(), secure, SameSite::Lax, None);
        res.add_cookie(&hint)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("setting a cookie: {e}")))?;
    }
    Ok(res)
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
    state
        .db
        .run(move |conn| family_sign_in::request_links(conn, &email, ip.as_deref(), known_device))
        .await
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    token: String,
    keep: Option<String>,
    /// A shared or public device: never kept signed in, no drafts, a short idle limit.
    shared: Option<String>,
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

/// Checks a link, and has the page answer in the language of the relative it was sent to.
async fn check_link_for_reader(
    state: &AppState,
    req: &HttpRequest,
    token: String,
) -> Result<Result<(), LinkProblem>, AppError> {
    let (checked, lang) = state
        .db
        .run(move |conn| Ok(family_sign_in::check(conn, &token)?))
        .await?;
    if let Some(lang) = lang {
        req.extensions_mut().insert(ReaderLang(lang));
    }
    Ok(checked)
}

/// The page a sign-in link opens: a button that signs in (a GET changes nothing).
pub async fn link_page((req, state): Incoming, query: web::Query<LinkQuery>) -> Page {
    if let Err(problem) = check_link_for_reader(&state, &req, query.token.clone()).await? {
        return Ok(link_problem_page(&req, problem));
    }
    let shared = cookies::SHARED_DEVICE
        .read(&req, state.config.cookie_secure)
        .is_some();
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/family/link",
        "link-title",
        None,
        serde_json::json!({ "token": query.token, "shared": shared }),
    ))
}

/// Uses a sign-in link: retires it and starts a session of `client` kind.
pub(crate) async fn redeem_link(
    state: &AppState,
    token: String,
    client: Client,
    persistent: bool,
    shared_device: bool,
    ip: Option<String>,
    agent: Option<String>,
) -> Result<Result<Redeemed, LinkProblem>, AppError> {
    state
        .db
        .run(move |conn| {
            family_sign_in::redeem(
                conn,
                &token,
                client,
                persistent,
                shared_device,
                ip.as_deref(),
                agent.as_deref(),
            )
        })
        .await
}

/// Uses a sign-in link: starts a session and sets the cookie.
pub async fn use_link((req, state): Incoming, form: CsrfForm<LinkForm>) -> Page {
    let form = form.into_inner()?;
    // A shared or public device is never kept signed in, nor remembered.
    let shared = form.shared.is_some();
    let persistent = form.keep.is_some() && !shared;
    let outcome = redeem_link(
        &state,
        form.token.clone(),
        Client::Browser,
        persistent,
        shared,
        client_ip(&req),
        user_agent(&req),
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
    let token = web_token(
        &state,
        &signed_in.relative,
        &signed_in.session,
        signed_in.auth_version,
    )?;
    let mut res = see_other("/family");
    let session = family_cookie(token, state.config.cookie_secure, persistent);
    let known = signed_in
        .email
        .filter(|_| !shared)
        .and_then(|email| device::remember(&req, Account::Relative, &email));
    let hint = cookies::SHARED_DEVICE.removal(state.config.cookie_secure);
    for cookie in [session, hint].into_iter().chain(known) {
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

/// Signs out from a page: this session, or every session of the relative.
async fn end_sessions(
    (req, state): Incoming,
    user: FamilyUser,
    form: CsrfForm<EmptyForm>,
    everywhere: bool,
) -> Page {
    form.into_inner()?;
    end_family_sessions(&state, client_ip(&req), &user, everywhere).await?;
    let mut res = see_other("/family/sign-in?signed_out=1");
    res.add_cookie(&removal(state.config.cookie_secure))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("clearing the family cookie: {e}")))?;
    Ok(res)
}

/// Keeps a session on a shared or public device alive while the relative uses the page
/// (typing counts), which asks at most once a minute: "last seen" is written now, and the
/// answer is 204 No Content. A session that has
/// ended answers as every family page does, with the way to sign in.
pub async fn still_here(state: web::Data<AppState>, user: FamilyUser) -> Page {
    state
        .db
        .run(move |conn| Ok(family_session::touch(conn, &user)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn sign_out(incoming: Incoming, user: FamilyUser, form: CsrfForm<EmptyForm>) -> Page {
    end_sessions(incoming, user, form, false).await
}

pub async fn sign_out_everywhere(
    incoming: Incoming,
    user: FamilyUser,
    form: CsrfForm<EmptyForm>,
) -> Page {
    end_sessions(incoming, user, form, true).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LanguageForm {
    lang: String,
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
            .run(move |conn| crate::family::preferences::set_language(conn, &rid, lang))
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
