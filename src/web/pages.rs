//! Server-rendered pages: the template registry (strict, so a missing field fails a test
//! instead of rendering blank), the context every page shares, and the middleware that turns
//! errors into friendly pages and keeps the staff session cookie fresh.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, NaiveDateTime};
use handlebars::{Handlebars, handlebars_helper};
use rust_embed::RustEmbed;
use serde::Serialize;

use crate::auth::cookies;
use crate::auth::csrf;
use crate::auth::drafts::{Author, DraftKeys};
use crate::auth::extract::{ClearSessionCookie, RenewedStaffToken};
use crate::auth::policy::{self, Capability};
use crate::auth::session::StaffUser;
use crate::error::AppError;
use crate::state::AppState;

/// What a page handler starts from: the request and the app's shared state.
pub type Incoming = (HttpRequest, web::Data<AppState>);

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

pub fn format_date(d: &NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

handlebars_helper!(datetime_helper: |s: str| {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .map(crate::casework::time::london_display)
        .unwrap_or_else(|_| s.to_owned())
});
handlebars_helper!(date_helper: |s: str| {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| format_date(&d)).unwrap_or_else(|_| s.to_owned())
});
handlebars_helper!(eq_helper: |a: Json, b: Json| a == b);
handlebars_helper!(label_helper: |kind: str, code: str| {
    use crate::casework::types::*;
    let label = match kind {
        "stage" => Stage::parse(code).map(Stage::label),
        "milestone" => Milestone::parse(code).map(Milestone::label),
        "milestone_state" => MilestoneState::parse(code).map(MilestoneState::label),
        "case_type" => CaseType::parse(code).map(CaseType::label),
        "agency_role" => AgencyRole::parse(code).map(AgencyRole::label),
        "referral_outcome" => ReferralOutcome::parse(code).map(ReferralOutcome::label),
        "entitlement" => Entitlement::parse(code).map(Entitlement::label),
        "outstanding" => crate::casework::entitlements::Outstanding::parse(code)
            .map(crate::casework::entitlements::Outstanding::label),
        "status" => CaseStatus::parse(code).map(CaseStatus::label),
        "channel" => ContactChannel::parse(code).map(ContactChannel::label),
        "direction" => Direction::parse(code).map(Direction::label),
        "assignment_role" => AssignmentRole::parse(code).map(AssignmentRole::label),
        "follow_up_status" => FollowUpStatus::parse(code).map(FollowUpStatus::label),
        "property_status" => PropertyStatus::parse(code).map(PropertyStatus::label),
        "access" => AccessState::parse(code).map(AccessState::label),
        "role" => crate::domain::Role::parse(code).map(crate::domain::Role::label),
        "lang" => crate::i18n::Lang::parse(code).map(crate::i18n::Lang::label),
        _ => None,
    };
    label.unwrap_or(code).to_owned()
});

/// Loads every template under `templates/` (embedded in release builds).
pub fn load_templates() -> anyhow::Result<Handlebars<'static>> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_embed_templates_with_extension::<TemplateFiles>(".hbs")
        .map_err(|e| anyhow::anyhow!("loading templates: {e}"))?;
    hb.register_helper("datetime", Box::new(datetime_helper));
    hb.register_helper("date", Box::new(date_helper));
    hb.register_helper("eq", Box::new(eq_helper));
    hb.register_helper("label_of", Box::new(label_helper));
    hb.register_helper("t", Box::new(crate::i18n::TranslateHelper));
    hb.register_helper("when", Box::new(crate::i18n::WhenHelper));
    Ok(hb)
}

/// What the navigation shows for the signed-in staff member.
#[derive(Serialize)]
struct Nav {
    casework: bool,
    manager: bool,
    admin: bool,
    role_label: &'static str,
}

#[derive(Serialize)]
struct PageContext<'a, T: Serialize> {
    title: &'a str,
    lang: &'static str,
    csrf_token: String,
    user: Option<&'a StaffUser>,
    nav: Option<Nav>,
    draft: Option<DraftKeys>,
    page: T,
}

/// Renders a page with the shared context.
pub fn render<T: Serialize>(
    req: &HttpRequest,
    status: StatusCode,
    template: &str,
    title: &str,
    user: Option<&StaffUser>,
    page: T,
) -> HttpResponse {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return HttpResponse::InternalServerError().finish();
    };
    let ctx = PageContext {
        title,
        lang: "en",
        csrf_token: csrf::token_of(req),
        user,
        nav: user.map(|u| Nav {
            casework: policy::allows(u.role, Capability::Casework),
            manager: policy::allows(u.role, Capability::ManageCases),
            admin: policy::allows(u.role, Capability::Administer),
            role_label: u.role.label(),
        }),
        draft: user.map(|u| DraftKeys::for_author(&state.auth.keys, Author::Staff(u.id.as_str()))),
        page,
    };
    match state.templates.render(template, &ctx) {
        Ok(html) => HttpResponse::build(status)
            .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(html),
        Err(e) => {
            tracing::error!(template, error = %e, "template failed to render");
            HttpResponse::InternalServerError()
                .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body("Something went wrong on our side. Please try again.")
        }
    }
}

pub fn ok<T: Serialize>(
    req: &HttpRequest,
    template: &str,
    title: &str,
    user: &StaffUser,
    page: T,
) -> HttpResponse {
    render(req, StatusCode::OK, template, title, Some(user), page)
}

/// 303 See Other: the answer to every successful form post (post/redirect/get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    heading: &'static str,
    message: String,
}

fn heading_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "We could not read that request",
        403 => "You cannot do that",
        404 => "Page not found",
        405 => "That action is not available",
        409 => "That has changed since you opened it",
        413 => "That was too large to send",
        415 => "We could not read that request",
        422 => "There is a problem with what was entered",
        429 => "Too many attempts",
        503 => "The service is busy",
        _ => "Sorry, something went wrong",
    }
}

/// Only same-site paths may be used as a return address after sign-in.
/// Where to go after signing in: `next` when it is a path on this site, else `default`.
/// Browsers drop tabs and newlines from a location and read `\` as `/`, so anything that
/// could turn into `//host` (and so another site) is refused, and so is any character a
/// location header cannot carry as it is (white space, control characters, non-ASCII: a
/// link of this site's own is percent-encoded).
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_owned(),
        _ => default.to_owned(),
    }
}

fn is_local_path(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && n.len() < 500
        && n.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

fn login_redirect(req: &HttpRequest) -> HttpResponse {
    let path = if req.method() == actix_web::http::Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/staff")
    } else {
        "/staff"
    };
    let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    see_other(&format!("/staff/login?next={next}"))
}

/// Renders the error page for a status, signed in or not.
pub fn error_page(req: &HttpRequest, status: StatusCode, message: String) -> HttpResponse {
    let user = req.extensions().get::<StaffUser>().cloned();
    render(
        req,
        status,
        "pages/error",
        heading_for(status),
        user.as_ref(),
        ErrorPage {
            status: status.as_u16(),
            heading: heading_for(status),
            message,
        },
    )
}

/// Middleware for page scopes: an error becomes a page (or, for "sign in first", a redirect
/// to the sign-in page that comes back here afterwards).
pub async fn html_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let Some(error) = res.response().error() else {
        // The framework's own bare 404 and 405 answers get a page too.
        if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED {
            let page = error_page(
                res.request(),
                status,
                "Check the address or go back and try again.".to_owned(),
            );
            let (req, _) = res.into_parts();
            return Ok(ServiceResponse::new(req, page).map_into_boxed_body());
        }
        return Ok(res.map_into_boxed_body());
    };
    let replacement = match error.as_error::<AppError>() {
        Some(AppError::Unauthenticated) => Some(login_redirect(res.request())),
        Some(AppError::Forbidden {
            code: "password_change_required",
            ..
        }) => Some(see_other("/staff/account/password")),
        Some(app) => Some(error_page(res.request(), status, app.to_string())),
        // Errors raised by actix itself (a malformed path or query, say).
        None => Some(error_page(
            res.request(),
            status,
            if status.is_server_error() {
                AppError::Internal(anyhow::anyhow!("")).to_string()
            } else {
                "Check the address or go back and try again.".to_owned()
            },
        )),
    };
    match replacement {
        Some(page) => {
            let (req, _) = res.into_parts();
            Ok(ServiceResponse::new(req, page).map_into_boxed_body())
        }
        None => Ok(res.map_into_boxed_body()),
    }
}

pub fn staff_cookie(value: String, secure: bool) -> Cookie<'static> {
    cookies::STAFF_SESSION.build(value, secure, SameSite::Strict, None)
}

/// Middleware for staff page scopes: applies a renewed session token, or clears a dead one.
pub async fn staff_session_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.cookie_secure)
        .unwrap_or(true);
    let mut res = next.call(req).await?;
    // A handler that set the cookie itself (sign-in, sign-out, password change) has the last word.
    if res
        .response()
        .cookies()
        .any(|c| c.name() == cookies::STAFF_SESSION.on(secure))
    {
        return Ok(res);
    }
    let (renewed, clear) = {
        let ext = res.request().extensions();
        (
            ext.get::<RenewedStaffToken>().cloned(),
            ext.get::<ClearSessionCookie>().is_some(),
        )
    };
    if let Some(RenewedStaffToken(token)) = renewed {
        res.response_mut()
            .add_cookie(&staff_cookie(token, secure))?;
    } else if clear {
        res.response_mut()
            .add_cookie(&cookies::STAFF_SESSION.removal(secure))?;
    }
    Ok(res)
}

/// The caller's user agent as sent (kept with a new session), if it is readable text.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The query of a page that a successful form post comes back to, saying so: `?saved=1`.
#[derive(serde::Deserialize)]
pub struct SavedQuery {
    pub saved: Option<String>,
}
