//! Builds the application. `routes` is the one place that lists every route, scoped by
//! audience: operations, static assets, the JSON API (bearer tokens), staff pages and admin
//! pages (session cookie, CSRF, friendly error pages).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use anyhow::Context;
use tokio::sync::watch;

use crate::auth::AuthSource;
use crate::auth::csrf;
use crate::config::Config;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::family::cache::{self as family_cache, FamilyCache};
use crate::metrics::Metrics;
use crate::notify::render::EmailTemplates;
use crate::notify::worker::Worker;
use crate::ops;
use crate::state::{AppState, AuthContext};
use crate::web::api::{
    accounts as api_accounts, auth as api_auth, cases as api_cases, dashboard as api_dashboard,
    doc as api_doc, family as api_family, messages as api_messages, operations as api_operations,
    settings as api_settings, support as api_support,
};
use crate::web::staff::cases as staff_cases;
use crate::web::{admin, assets, dashboard, family, inbox, messages, outbox, pages, staff};

/// Opens the database, applies migrations and loads templates: the state every request
/// handler shares.
async fn app_state(config: Config) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url, config.pool_size)?;
    let migrating = db.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut conn = migrating.get().map_err(|e| anyhow::anyhow!("{e}"))?;
        db::migrate(&mut conn)
    })
    .await
    .context("running migrations")??;
    Ok(AppState {
        auth: Arc::new(AuthContext::new(&config, db.clone())),
        templates: pages::load_templates()?,
        emails: Arc::new(EmailTemplates::load()?),
        metrics: Arc::new(Metrics::new(config.pool_size)),
        family_cache: Arc::new(FamilyCache::new()),
        db,
        config,
    })
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    worker: Option<(watch::Sender<bool>, tokio::task::JoinHandle<()>)>,
    poller: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Binds the configured address (port 0 picks a free port, as the tests do).
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let port = listener.local_addr()?.port();
        if config.public_url.ends_with(":0") {
            config.public_url = format!("{}{port}", config.public_url.trim_end_matches('0'));
        }
        let workers = match config.http_workers {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        };
        let state = web::Data::new(app_state(config).await?);
        let server = serve(listener, state.clone(), workers)?;
        let poller = family_cache::spawn_poller(state.db.clone(), state.family_cache.clone());
        let worker = if state.config.notify.run_worker {
            let worker = Worker::new(
                state.db.clone(),
                state.config.notify.clone(),
                state.emails.clone(),
                &state.config.public_url,
            )?;
            let (stop, stopped) = watch::channel(false);
            Some((stop, tokio::spawn(worker.run(stopped))))
        } else {
            None
        };
        Ok(Application {
            port,
            server,
            state,
            worker,
            poller,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Runs until SIGTERM or SIGINT, then finishes in-flight requests (up to 30 s) and lets
    /// the notification worker finish the message it is sending.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.poller.abort();
        if let Some((stop, handle)) = self.worker {
            let _ = stop.send(true);
            let _ = handle.await;
        }
        result
    }
}

fn security_headers(hsts: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        // Pages and API answers carry personal data: nothing is cached unless a handler says so.
        .add(("Cache-Control", "no-store"));
    if hsts {
        headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    workers: usize,
) -> anyhow::Result<Server> {
    let hsts = state.config.cookie_secure;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::Data::from(state.auth.clone()))
            .app_data(web::Data::from(state.metrics.clone()))
            .configure(routes)
            .default_service(web::to(fallback))
            .wrap(from_fn(ops::track))
            // `/family/` reaches `/family`, as people type and paste it.
            .wrap(actix_web::middleware::NormalizePath::trim())
            .wrap(security_headers(hsts))
    })
    .workers(workers)
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

/// A resource and its methods, declared once: any other method answers 405 with an `Allow`
/// header naming these (RFC 9110).
macro_rules! route {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {
        web::resource($path)
            $(.route(web::$method().to($handler)))+
            .default_service(web::to(|| async {
                method_not_allowed(concat!($(stringify!($method), " "),+))
            }))
    };
}

/// 405, with the methods the resource does take (`"get post "`) in `Allow`.
fn method_not_allowed(methods: &'static str) -> HttpResponse {
    let allow: Vec<String> = methods
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    let mut res = AppError::MethodNotAllowed.error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow.join(", ")) {
        res.headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    res
}

/// Every route of the application.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use web::scope;

    cfg.service(route!("/", get => index))
        .service(route!("/healthz", get => ops::healthz))
        .service(route!("/readyz", get => ops::readyz))
        .service(route!("/metrics", get => ops::metrics))
        .service(route!("/static/{path:.+}", get => assets::serve));

    cfg.service(
        scope("/api/v1")
            .app_data(AuthSource::Bearer)
            .wrap(from_fn(json_errors))
            .service(
                route!("/auth/token", post => api_auth::issue_token, delete => api_auth::revoke_token),
            )
            .service(route!("/openapi.json", get => api_doc::openapi_json))
            .service(route!("/me", get => api_auth::me))
            .service(
                route!("/users", get => api_accounts::list_users, post => api_accounts::create_user),
            )
            .service(
                route!("/users/{id}", get => api_accounts::get_user, patch => api_accounts::update_user),
            )
            .service(
                route!("/users/{id}/deactivate", post => api_accounts::deactivate_user),
            )
            .service(
                route!("/users/{id}/reactivate", post => api_accounts::reactivate_user),
            )
            .service(
                route!("/teams", get => api_accounts::list_teams, post => api_accounts::create_team),
            )
            .service(route!("/teams/{id}", get => api_accounts::get_team))
            .service(route!("/teams/{id}/members", post => api_accounts::add_member))
            .service(
                route!("/teams/{id}/members/{user_id}", delete => api_accounts::remove_member),
            )
            .service(route!("/audit", get => api_accounts::audit_log))
            .service(route!("/notifications", get => inbox::api_list))
            .service(route!("/notifications/read-all", post => inbox::api_read_all))
            .service(route!("/notifications/{id}/read", post => inbox::api_read))
            .service(route!("/outbox", get => outbox::api_list))
            .service(
                route!("/me/follow-ups", get => api_cases::follow_ups::my_follow_ups),
            )
            .service(
                route!("/cases", get => api_cases::list, post => api_cases::open),
            )
            .service(route!("/cases/{id}", get => api_cases::get))
            .service(route!("/cases/{id}/close", post => api_cases::close))
            .service(route!("/cases/{id}/reopen", post => api_cases::reopen))
            .service(
                route!("/cases/{id}/contact-plan", get => api_cases::plans, post => api_cases::set_plan),
            )
            .service(route!("/cases/{id}/timeline", get => api_cases::timeline))
            .service(route!("/cases/{id}/export", get => api_cases::export))
            .service(
                route!("/cases/{id}/assignments", get => api_cases::assignments::assignments_list, post => api_cases::assignments::assign),
            )
            .service(
                route!("/cases/{id}/assignments/{assignment_id}/end", post => api_cases::assignments::end_assignment),
            )
            .service(
                route!("/cases/{id}/relatives", get => api_cases::relatives::relatives_list, post => api_cases::relatives::relative_add),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}", get => api_cases::relatives::relative_get, put => api_cases::relatives::relative_edit),
            )
            .service(
                route!("/cases/{id}/contacts", get => api_cases::contacts::contacts_list, post => api_cases::contacts::contact_log),
            )
            // Contacts are append-only: any other method on a contact answers 405.
            .service(
                route!("/cases/{id}/contacts/{contact_id}", get => api_cases::contacts::contact_get),
            )
            .service(
                route!("/cases/{id}/contacts/{contact_id}/amendments", get => api_cases::contacts::amendments_list, post => api_cases::contacts::amend),
            )
            .service(
                route!("/cases/{id}/follow-ups", get => api_cases::follow_ups::follow_ups_list, post => api_cases::follow_ups::follow_up_create),
            )
            .service(
                route!("/cases/{id}/follow-ups/{follow_up_id}/complete", post => api_cases::follow_ups::follow_up_complete),
            )
            .service(
                route!("/cases/{id}/follow-ups/{follow_up_id}/cancel", post => api_cases::follow_ups::follow_up_cancel),
            )
            .service(
                route!("/cases/{id}/follow-ups/{follow_up_id}/reassign", post => api_cases::follow_ups::follow_up_reassign),
            )
            .service(
                route!("/cases/{id}/follow-ups/{follow_up_id}/reschedule", post => api_cases::follow_ups::follow_up_reschedule),
            )
            .service(
                route!("/cases/{id}/updates", get => api_cases::updates::updates_list, post => api_cases::updates::update_post),
            )
            .service(
                route!("/cases/{id}/updates/operation", post => api_cases::updates::update_post_to_operation),
            )
            .service(
                route!("/cases/{id}/milestones", get => api_cases::milestones::milestones_get),
            )
            .service(
                route!("/cases/{id}/milestones/not-needed", post => api_cases::milestones::not_needed),
            )
            .service(
                route!("/cases/{id}/milestones/needed", post => api_cases::milestones::needed),
            )
            .service(route!("/cases/{id}/type", post => api_cases::milestones::type_change))
            .service(
                route!("/cases/{id}/agencies", get => api_cases::support::agencies_list, post => api_cases::support::agency_add),
            )
            .service(
                route!("/cases/{id}/agencies/{agency_id}/end", post => api_cases::support::agency_end),
            )
            .service(
                route!("/cases/{id}/entitlements", get => api_cases::support::entitlements_list, post => api_cases::support::entitlement_record),
            )
            .service(route!("/cases/{id}/referrals", post => api_cases::support::referral_record))
            .service(
                route!("/cases/{id}/property", get => api_cases::property::property_list, post => api_cases::property::property_add),
            )
            .service(
                route!("/cases/{id}/property/{item_id}/move", post => api_cases::property::property_move),
            )
            .service(
                route!("/cases/{id}/messages", get => api_messages::thread, post => api_messages::send),
            )
            .service(
                route!("/cases/{id}/messages/{message_id}/acknowledge", post => api_messages::acknowledge),
            )
            .service(
                route!("/cases/{id}/messages/{message_id}/close", post => api_messages::close),
            )
            .service(route!("/messages/waiting", get => api_messages::waiting))
            .service(
                route!("/operations", get => api_operations::operations_list, post => api_operations::operation_create),
            )
            .service(route!("/operations/{id}", get => api_operations::operation_get))
            .service(route!("/operations/{id}/cases", post => api_operations::case_add))
            .service(
                route!("/operations/{id}/cases/{case_id}/remove", post => api_operations::case_remove),
            )
            .service(route!("/operations/{id}/merge", post => api_operations::merge))
            .service(
                route!("/settings/targets", get => api_settings::get_targets, put => api_settings::put_targets),
            )
            .service(
                route!("/settings/support-organisations", get => api_support::support_list, post => api_support::support_add),
            )
            .service(
                route!("/settings/support-organisations/{id}", put => api_support::support_edit),
            )
            .service(
                route!("/settings/support-organisations/{id}/remove", post => api_support::support_remove),
            )
            .service(route!("/dashboard/timeliness", get => api_dashboard::timeliness))
            .service(
                route!("/cases/{id}/relatives/{relative_id}/invite", post => api_messages::invite),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/suspend", post => api_messages::suspend),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/reinstate", post => api_messages::reinstate),
            )
            .service(
                route!("/cases/{id}/family-groups", get => api_cases::groups::groups_list, post => api_cases::groups::group_create),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/move", post => api_cases::groups::relative_move),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/restrict", post => api_cases::groups::restrict),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/lift-restriction", post => api_cases::groups::lift),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/restrictions", get => api_cases::groups::restriction_history),
            )
            .service(
                route!("/family/auth/link", post => api_family::sign_in::request_link),
            )
            .service(
                route!("/family/auth/token", post => api_family::sign_in::issue_token, delete => api_family::sign_in::revoke_token),
            )
            .service(
                route!("/family/auth/refresh", post => api_family::sign_in::refresh_token),
            )
            .service(
                route!("/family/auth/sign-out-everywhere", post => api_family::sign_in::sign_out_everywhere),
            )
            .service(route!("/family/case", get => api_family::reading::case))
            .service(route!("/family/timeline", get => api_family::reading::timeline))
            .service(
                route!("/family/timeline/read", post => api_family::reading::timeline_read),
            )
            .service(route!("/family/contacts", get => api_family::reading::contacts))
            .service(route!("/family/agencies", get => api_family::reading::agencies))
            .service(route!("/family/referrals", get => api_family::reading::referrals))
            .service(
                route!("/family/appointments", get => api_family::reading::appointments),
            )
            .service(
                route!("/family/appointments/{follow_up_id}/calendar", get => api_family::reading::appointment_calendar),
            )
            .service(
                route!("/family/appointments/{follow_up_id}/answer", post => api_family::reading::appointment_answer),
            )
            .service(route!("/family/property", get => api_family::reading::property))
            .service(route!("/family/help", get => api_family::reading::help))
            .service(route!("/family/notices", get => api_family::reading::notices))
            .service(
                route!("/family/notices/read", post => api_family::reading::notices_read),
            )
            .service(
                route!("/family/messages", get => api_family::messages::messages_list, post => api_family::messages::message_send),
            )
            .service(
                route!("/family/messages/read", post => api_family::messages::messages_read),
            )
            .service(
                route!("/family/preferences", get => api_family::preferences::preferences, put => api_family::preferences::preferences_save),
            )
            .service(route!("/outbox/{id}/retry", post => outbox::api_retry))
            .default_service(web::to(not_found)),
    );

    cfg.service(
        scope("/staff")
            .wrap(from_fn(pages::html_errors))
            .wrap(from_fn(pages::staff_session_cookie))
            .wrap(from_fn(csrf::ensure_cookie))
            .service(route!("", get => staff::account::home))
            .service(
                route!("/login", get => staff::account::login_form, post => staff::account::login),
            )
            .service(route!("/logout", post => staff::account::logout))
            .service(
                route!("/account/password", get => staff::account::password_form, post => staff::account::change_password),
            )
            .service(
                route!("/cases", get => staff_cases::list, post => staff_cases::open::create_case),
            )
            .service(route!("/dashboard", get => dashboard::page))
            .service(route!("/dashboard.csv", get => dashboard::csv))
            .service(route!("/cases/new", get => staff_cases::open::new_case_form))
            .service(route!("/cases/{id}", get => staff_cases::case))
            .service(
                route!("/cases/{id}/contacts", post => staff_cases::contacts::contact_create),
            )
            .service(
                route!("/cases/{id}/contacts/new", get => staff_cases::contacts::contact_form),
            )
            .service(
                route!("/cases/{id}/contacts/{contact_id}", get => staff_cases::contacts::contact_detail),
            )
            .service(
                route!("/cases/{id}/contacts/{contact_id}/amend", post => staff_cases::contacts::contact_amend),
            )
            .service(
                route!("/cases/{id}/follow-ups", post => staff_cases::follow_ups::follow_up_create),
            )
            .service(
                route!("/cases/{id}/follow-ups/new", get => staff_cases::follow_ups::follow_up_form),
            )
            .service(
                route!("/cases/{id}/follow-ups/{follow_up_id}/complete", post => staff_cases::follow_ups::follow_up_complete),
            )
            .service(
                route!("/cases/{id}/follow-ups/{follow_up_id}/cancel", post => staff_cases::follow_ups::follow_up_cancel),
            )
            .service(
                route!("/cases/{id}/updates", post => staff_cases::updates::update_create),
            )
            .service(
                route!("/cases/{id}/updates/new", get => staff_cases::updates::update_form),
            )
            .service(
                route!("/cases/{id}/milestones", get => staff_cases::milestones::milestones),
            )
            .service(
                route!("/cases/{id}/milestones/not-needed", post => staff_cases::milestones::not_needed),
            )
            .service(
                route!("/cases/{id}/milestones/needed", post => staff_cases::milestones::needed),
            )
            .service(route!("/cases/{id}/type", post => staff_cases::milestones::type_change))
            .service(
                route!("/cases/{id}/agencies", get => staff_cases::support::agencies, post => staff_cases::support::agency_add),
            )
            .service(
                route!("/cases/{id}/agencies/end", post => staff_cases::support::agency_end),
            )
            .service(
                route!("/cases/{id}/entitlements", get => staff_cases::support::entitlements_view, post => staff_cases::support::entitlement_record),
            )
            .service(
                route!("/cases/{id}/referrals", post => staff_cases::support::referral_record),
            )
            .service(
                route!("/cases/{id}/relatives", post => staff_cases::relatives::relative_create),
            )
            .service(
                route!("/cases/{id}/relatives/new", get => staff_cases::relatives::relative_form),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/edit", get => staff_cases::relatives::relative_edit_form, post => staff_cases::relatives::relative_edit),
            )
            .service(
                route!("/cases/{id}/assignments", post => staff_cases::assignments::assign),
            )
            .service(
                route!("/cases/{id}/assignments/new", get => staff_cases::assignments::assign_form),
            )
            .service(
                route!("/cases/{id}/assignments/{assignment_id}/end", post => staff_cases::assignments::end_assignment),
            )
            .service(
                route!("/cases/{id}/property", get => staff_cases::property::property_list, post => staff_cases::property::property_add),
            )
            .service(
                route!("/cases/{id}/property/{item_id}/move", post => staff_cases::property::property_move),
            )
            .service(
                route!("/cases/{id}/export", get => staff_cases::export::export_page),
            )
            .service(
                route!("/cases/{id}/export.csv", get => staff_cases::export::export_csv),
            )
            .service(
                route!("/cases/{id}/export.json", get => staff_cases::export::export_json),
            )
            .service(route!("/cases/{id}/manage", get => staff_cases::manage::manage))
            .service(
                route!("/cases/{id}/manage/plan", post => staff_cases::manage::set_plan),
            )
            .service(
                route!("/cases/{id}/manage/close", post => staff_cases::manage::close),
            )
            .service(
                route!("/cases/{id}/manage/reopen", post => staff_cases::manage::reopen),
            )
            .service(
                route!("/cases/{id}/messages", get => messages::thread, post => messages::send),
            )
            .service(
                route!("/cases/{id}/messages/{message_id}/acknowledge", post => messages::acknowledge),
            )
            .service(
                route!("/cases/{id}/messages/{message_id}/close", post => messages::close),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/invite", post => messages::invite),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/suspend", post => messages::suspend),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/reinstate", post => messages::reinstate),
            )
            .service(
                route!("/cases/{id}/family-groups", post => staff_cases::groups::group_create),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/move", post => staff_cases::groups::relative_move),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/restrict", post => staff_cases::groups::restrict),
            )
            .service(
                route!("/cases/{id}/relatives/{relative_id}/lift-restriction", post => staff_cases::groups::lift),
            )
            .service(route!("/messages", get => messages::inbox))
            .service(
                route!("/operations", get => staff::operations::operations_list, post => staff::operations::operation_create),
            )
            .service(route!("/operations/{id}", get => staff::operations::operation))
            .service(route!("/operations/{id}/cases", post => staff::operations::case_add))
            .service(route!("/operations/{id}/remove", post => staff::operations::case_remove))
            .service(route!("/operations/{id}/merge", post => staff::operations::merge))
            .service(route!("/notifications", get => inbox::page))
            .service(route!("/notifications/read-all", post => inbox::read_all))
            .service(route!("/notifications/{id}/read", post => inbox::read))
            .default_service(web::to(not_found)),
    );

    cfg.service(
        scope("/family")
            .wrap(from_fn(family::family_pages))
            .wrap(from_fn(csrf::ensure_cookie))
            .service(route!("", get => family::reading::home))
            .service(
                route!("/sign-in", get => family::sign_in::sign_in_form, post => family::sign_in::request_link),
            )
            .service(
                route!("/sign-in/link", get => family::sign_in::link_page, post => family::sign_in::use_link),
            )
            .service(route!("/sign-out", post => family::sign_in::sign_out))
            .service(route!("/still-here", get => family::sign_in::still_here))
            .service(
                route!("/sign-out-everywhere", post => family::sign_in::sign_out_everywhere),
            )
            .service(route!("/language", post => family::sign_in::switch_language))
            .service(route!("/timeline", get => family::reading::timeline))
            .service(route!("/contacts", get => family::reading::contacts))
            .service(route!("/appointments", get => family::reading::appointments))
            .service(
                route!("/appointments/{follow_up_id}.ics", get => family::reading::appointment_ics),
            )
            .service(
                route!("/appointments/{follow_up_id}/answer", post => family::reading::appointment_answer),
            )
            .service(route!("/property", get => family::reading::property))
            .service(route!("/help", get => family::reading::help))
            .service(
                route!("/messages", get => family::messages::messages_list, post => family::messages::message_send),
            )
            .service(route!("/notices", get => family::reading::notices))
            .service(route!("/notices/read-all", post => family::reading::notices_read))
            .service(
                route!("/preferences", get => family::preferences::preferences, post => family::preferences::preferences_save),
            )
            .default_service(web::to(family::not_found)),
    );

    cfg.service(
        scope("/admin")
            .wrap(from_fn(pages::html_errors))
            .wrap(from_fn(pages::staff_session_cookie))
            .wrap(from_fn(csrf::ensure_cookie))
            .service(route!("", get => admin::home))
            .service(
                route!("/targets", get => admin::targets::targets, post => admin::targets::save_targets),
            )
            .service(
                route!("/users", get => admin::users::users_list, post => admin::users::create_user),
            )
            .service(route!("/users/new", get => admin::users::new_user_form))
            .service(route!("/users/{id}", get => admin::users::user_detail))
            .service(route!("/users/{id}/role", post => admin::users::change_role))
            .service(route!("/users/{id}/deactivate", post => admin::users::deactivate))
            .service(route!("/users/{id}/reactivate", post => admin::users::reactivate))
            .service(
                route!("/users/{id}/password", post => admin::users::reset_password),
            )
            .service(
                route!("/teams", get => admin::teams::teams_list, post => admin::teams::create_team),
            )
            .service(route!("/teams/{id}", get => admin::teams::team_detail))
            .service(route!("/teams/{id}/members", post => admin::teams::add_member))
            .service(
                route!("/teams/{id}/members/{user_id}/remove", post => admin::teams::remove_member),
            )
            .service(
                route!("/support", get => admin::support::support_list, post => admin::support::support_add),
            )
            .service(
                route!("/support/{id}", get => admin::support::support_entry, post => admin::support::support_edit),
            )
            .service(route!("/support/{id}/remove", post => admin::support::support_remove))
            .service(route!("/audit", get => admin::audit::audit_log))
            .service(route!("/outbox", get => outbox::page))
            .service(route!("/outbox/{id}/retry", post => outbox::retry))
            .service(route!("/mail", get => outbox::mail_files))
            .default_service(web::to(not_found)),
    );
}

async fn index(req: HttpRequest) -> HttpResponse {
    pages::render(
        &req,
        StatusCode::OK,
        "pages/index",
        "Liaison",
        None,
        serde_json::json!({}),
    )
}

/// Unmatched paths inside a scope; the scope's middleware gives it its page or JSON shape.
async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Unmatched paths outside every scope: a page for people, JSON under `/api`.
async fn fallback(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api") {
        AppError::NotFound.error_response()
    } else {
        pages::error_page(&req, StatusCode::NOT_FOUND, AppError::NotFound.to_string())
    }
}

/// Middleware for the API scope: errors raised by the framework itself (an unparseable path
/// or query, a method the resource does not offer) get the same JSON shape as ours.
async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !status.is_client_error() && !status.is_server_error() {
        return Ok(res.map_into_boxed_body());
    }
    // Rewrite only the framework's own answers: an error that is not ours, or a bare status
    // with no body (a resource's 405). A handler's deliberate JSON answer stays as it is.
    let framework_error = res
        .response()
        .error()
        .is_some_and(|e| e.as_error::<AppError>().is_none());
    let bare = res.response().error().is_none()
        && !res
            .response()
            .headers()
            .contains_key(actix_web::http::header::CONTENT_TYPE);
    if !(framework_error || bare) {
        return Ok(res.map_into_boxed_body());
    }
    let detail = res
        .response()
        .error()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let error = match status {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge("The request body is too large.".into())
        }
        s if s.is_client_error() => AppError::BadRequest(if detail.is_empty() {
            "The request could not be understood.".into()
        } else {
            format!("The request could not be understood: {detail}")
        }),
        _ => AppError::Internal(anyhow::anyhow!("framework error: {detail}")),
    };
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, error.error_response()).map_into_boxed_body())
}
