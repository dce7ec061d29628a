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
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::family::cache::{self as family_cache, FamilyCache};
use crate::metrics::Metrics;
use crate::notify::render::EmailTemplates;
use crate::notify::worker::Worker;
use crate::ops;
use crate::state::AppState;
use crate::web::api::{
    accounts as api_accounts, auth as api_auth, cases as api_cases, dashboard as api_dashboard,
    doc as api_doc, family as api_family, messages as api_messages, settings as api_settings,
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
        keys: TokenKeys::new(&config.secret),
        templates: pages::load_templates()?,
        emails: Arc::new(EmailTemplates::load()?),
        metrics: Metrics::new(config.pool_size),
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
            .configure(routes)
            .default_service(web::to(fallback))
            .wrap(from_fn(ops::track))
            .wrap(security_headers(hsts))
    })
    .workers(workers)
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Every route of the application.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, patch, post, put, resource, scope};

    cfg.service(resource("/").route(get().to(index)))
        .service(resource("/healthz").route(get().to(ops::healthz)))
        .service(resource("/readyz").route(get().to(ops::readyz)))
        .service(resource("/metrics").route(get().to(ops::metrics)))
        .service(resource("/static/{path:.+}").route(get().to(assets::serve)));

    cfg.service(
        scope("/api/v1")
            .app_data(AuthSource::Bearer)
            .wrap(from_fn(json_errors))
            .service(
                resource("/auth/token")
                    .route(post().to(api_auth::issue_token))
                    .route(delete().to(api_auth::revoke_token)),
            )
            .service(resource("/openapi.json").route(get().to(api_doc::openapi_json)))
            .service(resource("/me").route(get().to(api_auth::me)))
            .service(
                resource("/users")
                    .route(get().to(api_accounts::list_users))
                    .route(post().to(api_accounts::create_user)),
            )
            .service(
                resource("/users/{id}")
                    .route(get().to(api_accounts::get_user))
                    .route(patch().to(api_accounts::update_user)),
            )
            .service(
                resource("/users/{id}/deactivate").route(post().to(api_accounts::deactivate_user)),
            )
            .service(
                resource("/users/{id}/reactivate").route(post().to(api_accounts::reactivate_user)),
            )
            .service(
                resource("/teams")
                    .route(get().to(api_accounts::list_teams))
                    .route(post().to(api_accounts::create_team)),
            )
            .service(resource("/teams/{id}").route(get().to(api_accounts::get_team)))
            .service(resource("/teams/{id}/members").route(post().to(api_accounts::add_member)))
            .service(
                resource("/teams/{id}/members/{user_id}")
                    .route(delete().to(api_accounts::remove_member)),
            )
            .service(resource("/audit").route(get().to(api_accounts::audit_log)))
            .service(resource("/notifications").route(get().to(inbox::api_list)))
            .service(resource("/notifications/read-all").route(post().to(inbox::api_read_all)))
            .service(resource("/notifications/{id}/read").route(post().to(inbox::api_read)))
            .service(resource("/outbox").route(get().to(outbox::api_list)))
            .service(
                resource("/me/follow-ups").route(get().to(api_cases::follow_ups::my_follow_ups)),
            )
            .service(
                resource("/cases")
                    .route(get().to(api_cases::list))
                    .route(post().to(api_cases::open)),
            )
            .service(resource("/cases/{id}").route(get().to(api_cases::get)))
            .service(resource("/cases/{id}/close").route(post().to(api_cases::close)))
            .service(resource("/cases/{id}/reopen").route(post().to(api_cases::reopen)))
            .service(
                resource("/cases/{id}/contact-plan")
                    .route(get().to(api_cases::plans))
                    .route(post().to(api_cases::set_plan)),
            )
            .service(resource("/cases/{id}/timeline").route(get().to(api_cases::timeline)))
            .service(resource("/cases/{id}/export").route(get().to(api_cases::export)))
            .service(
                resource("/cases/{id}/links")
                    .route(get().to(api_cases::links::links_list))
                    .route(post().to(api_cases::links::link)),
            )
            .service(
                resource("/cases/{id}/links/{link_id}/remove")
                    .route(post().to(api_cases::links::unlink)),
            )
            .service(
                resource("/cases/{id}/assignments")
                    .route(get().to(api_cases::assignments::assignments_list))
                    .route(post().to(api_cases::assignments::assign)),
            )
            .service(
                resource("/cases/{id}/assignments/{assignment_id}/end")
                    .route(post().to(api_cases::assignments::end_assignment)),
            )
            .service(
                resource("/cases/{id}/relatives")
                    .route(get().to(api_cases::relatives::relatives_list))
                    .route(post().to(api_cases::relatives::relative_add)),
            )
            .service(
                resource("/cases/{id}/relatives/{relative_id}")
                    .route(get().to(api_cases::relatives::relative_get))
                    .route(put().to(api_cases::relatives::relative_edit)),
            )
            .service(
                resource("/cases/{id}/contacts")
                    .route(get().to(api_cases::contacts::contacts_list))
                    .route(post().to(api_cases::contacts::contact_log)),
            )
            // Contacts are append-only: any other method on a contact answers 405.
            .service(
                resource("/cases/{id}/contacts/{contact_id}")
                    .route(get().to(api_cases::contacts::contact_get)),
            )
            .service(
                resource("/cases/{id}/contacts/{contact_id}/amendments")
                    .route(get().to(api_cases::contacts::amendments_list))
                    .route(post().to(api_cases::contacts::amend)),
            )
            .service(
                resource("/cases/{id}/follow-ups")
                    .route(get().to(api_cases::follow_ups::follow_ups_list))
                    .route(post().to(api_cases::follow_ups::follow_up_create)),
            )
            .service(
                resource("/cases/{id}/follow-ups/{follow_up_id}/complete")
                    .route(post().to(api_cases::follow_ups::follow_up_complete)),
            )
            .service(
                resource("/cases/{id}/follow-ups/{follow_up_id}/cancel")
                    .route(post().to(api_cases::follow_ups::follow_up_cancel)),
            )
            .service(
                resource("/cases/{id}/follow-ups/{follow_up_id}/reassign")
                    .route(post().to(api_cases::follow_ups::follow_up_reassign)),
            )
            .service(
                resource("/cases/{id}/follow-ups/{follow_up_id}/reschedule")
                    .route(post().to(api_cases::follow_ups::follow_up_reschedule)),
            )
            .service(
                resource("/cases/{id}/updates")
                    .route(get().to(api_cases::updates::updates_list))
                    .route(post().to(api_cases::updates::update_post)),
            )
            .service(
                resource("/cases/{id}/updates/linked")
                    .route(post().to(api_cases::updates::update_post_linked)),
            )
            .service(
                resource("/cases/{id}/property")
                    .route(get().to(api_cases::property::property_list))
                    .route(post().to(api_cases::property::property_add)),
            )
            .service(
                resource("/cases/{id}/property/{item_id}/move")
                    .route(post().to(api_cases::property::property_move)),
            )
            .service(
                resource("/cases/{id}/messages")
                    .route(get().to(api_messages::thread))
                    .route(post().to(api_messages::send)),
            )
            .service(
                resource("/cases/{id}/messages/{message_id}/acknowledge")
                    .route(post().to(api_messages::acknowledge)),
            )
            .service(
                resource("/cases/{id}/messages/{message_id}/close")
                    .route(post().to(api_messages::close)),
            )
            .service(resource("/messages/waiting").route(get().to(api_messages::waiting)))
            .service(
                resource("/settings/targets")
                    .route(get().to(api_settings::get_targets))
                    .route(put().to(api_settings::put_targets)),
            )
            .service(resource("/dashboard/timeliness").route(get().to(api_dashboard::timeliness)))
            .service(
                resource("/cases/{id}/relatives/{relative_id}/invite")
                    .route(post().to(api_messages::invite)),
            )
            .service(
                resource("/cases/{id}/relatives/{relative_id}/suspend")
                    .route(post().to(api_messages::suspend)),
            )
            .service(
                resource("/cases/{id}/relatives/{relative_id}/reinstate")
                    .route(post().to(api_messages::reinstate)),
            )
            .service(
                resource("/family/auth/link").route(post().to(api_family::sign_in::request_link)),
            )
            .service(
                resource("/family/auth/token")
                    .route(post().to(api_family::sign_in::issue_token))
                    .route(delete().to(api_family::sign_in::revoke_token)),
            )
            .service(
                resource("/family/auth/refresh")
                    .route(post().to(api_family::sign_in::refresh_token)),
            )
            .service(
                resource("/family/auth/sign-out-everywhere")
                    .route(post().to(api_family::sign_in::sign_out_everywhere)),
            )
            .service(resource("/family/case").route(get().to(api_family::reading::case)))
            .service(resource("/family/timeline").route(get().to(api_family::reading::timeline)))
            .service(
                resource("/family/timeline/read")
                    .route(post().to(api_family::reading::timeline_read)),
            )
            .service(resource("/family/contacts").route(get().to(api_family::reading::contacts)))
            .service(
                resource("/family/appointments").route(get().to(api_family::reading::appointments)),
            )
            .service(
                resource("/family/appointments/{follow_up_id}/calendar")
                    .route(get().to(api_family::reading::appointment_calendar)),
            )
            .service(resource("/family/property").route(get().to(api_family::reading::property)))
            .service(resource("/family/notices").route(get().to(api_family::reading::notices)))
            .service(
                resource("/family/notices/read")
                    .route(post().to(api_family::reading::notices_read)),
            )
            .service(
                resource("/family/messages")
                    .route(get().to(api_family::messages::messages_list))
                    .route(post().to(api_family::messages::message_send)),
            )
            .service(
                resource("/family/messages/read")
                    .route(post().to(api_family::messages::messages_read)),
            )
            .service(
                resource("/family/preferences")
                    .route(get().to(api_family::preferences::preferences))
                    .route(put().to(api_family::preferences::preferences_save)),
            )
            .service(resource("/outbox/{id}/retry").route(post().to(outbox::api_retry)))
            .default_service(web::to(not_found)),
    );

    cfg.service(
        scope("/staff")
            .wrap(from_fn(pages::html_errors))
            .wrap(from_fn(pages::staff_session_cookie))
            .wrap(from_fn(csrf::ensure_cookie))
            .service(resource("").route(get().to(staff::account::home)))
            .service(
                resource("/login")
                    .route(get().to(staff::account::login_form))
                    .route(post().to(staff::account::login)),
            )
            .service(resource("/logout").route(post().to(staff::account::logout)))
            .service(
                resource("/account/password")
                    .route(get().to(staff::account::password_form))
                    .route(post().to(staff::account::change_password)),
            )
            .service(
                resource("/cases")
                    .route(get().to(staff_cases::list))
                    .route(post().to(staff_cases::open::create_case)),
            )
            .service(resource("/dashboard").route(get().to(dashboard::page)))
            .service(resource("/dashboard.csv").route(get().to(dashboard::csv)))
            .service(resource("/cases/new").route(get().to(staff_cases::open::new_case_form)))
            .service(resource("/cases/{id}").route(get().to(staff_cases::case)))
            .service(
                resource("/cases/{id}/contacts")
                    .route(post().to(staff_cases::contacts::contact_create)),
            )
            .service(
                resource("/cases/{id}/contacts/new")
                    .route(get().to(staff_cases::contacts::contact_form)),
            )
            .service(
                resource("/cases/{id}/contacts/{contact_id}")
                    .route(get().to(staff_cases::contacts::contact_detail)),
            )
            .service(
                resource("/cases/{id}/contacts/{contact_id}/amend")
                    .route(post().to(staff_cases::contacts::contact_amend)),
            )
            .service(
                resource("/cases/{id}/follow-ups")
                    .route(post().to(staff_cases::follow_ups::follow_up_create)),
            )
            .service(
                resource("/cases/{id}/follow-ups/new")
                    .route(get().to(staff_cases::follow_ups::follow_up_form)),
            )
            .service(
                resource("/cases/{id}/follow-ups/{follow_up_id}/complete")
                    .route(post().to(staff_cases::follow_ups::follow_up_complete)),
            )
            .service(
                resource("/cases/{id}/follow-ups/{follow_up_id}/cancel")
                    .route(post().to(staff_cases::follow_ups::follow_up_cancel)),
            )
            .service(
                resource("/cases/{id}/updates")
                    .route(post().to(staff_cases::updates::update_create)),
            )
            .service(
                resource("/cases/{id}/updates/new")
                    .route(get().to(staff_cases::updates::update_form)),
            )
            .service(
                resource("/cases/{id}/relatives")
                    .route(post().to(staff_cases::relatives::relative_create)),
            )
            .service(
                resource("/cases/{id}/relatives/new")
                    .route(get().to(staff_cases::relatives::relative_form)),
            )
            .service(
                resource("/cases/{id}/relatives/{relative_id}/edit")
                    .route(get().to(staff_cases::relatives::relative_edit_form))
                    .route(post().to(staff_cases::relatives::relative_edit)),
            )
            .service(
                resource("/cases/{id}/assignments")
                    .route(post().to(staff_cases::assignments::assign)),
            )
            .service(
                resource("/cases/{id}/assignments/new")
                    .route(get().to(staff_cases::assignments::assign_form)),
            )
            .service(
                resource("/cases/{id}/assignments/{assignment_id}/end")
                    .route(post().to(staff_cases::assignments::end_assignment)),
            )
            .service(
                resource("/cases/{id}/property")
                    .route(get().to(staff_cases::property::property_list))
                    .route(post().to(staff_cases::property::property_add)),
            )
            .service(
                resource("/cases/{id}/property/{item_id}/move")
                    .route(post().to(staff_cases::property::property_move)),
            )
            .service(
                resource("/cases/{id}/export").route(get().to(staff_cases::export::export_page)),
            )
            .service(
                resource("/cases/{id}/export.csv").route(get().to(staff_cases::export::export_csv)),
            )
            .service(
                resource("/cases/{id}/export.json")
                    .route(get().to(staff_cases::export::export_json)),
            )
            .service(resource("/cases/{id}/manage").route(get().to(staff_cases::manage::manage)))
            .service(
                resource("/cases/{id}/manage/plan").route(post().to(staff_cases::manage::set_plan)),
            )
            .service(
                resource("/cases/{id}/manage/close").route(post().to(staff_cases::manage::close)),
            )
            .service(
                resource("/cases/{id}/manage/reopen").route(post().to(staff_cases::manage::reopen)),
            )
            .service(
                resource("/cases/{id}/manage/link").route(post().to(staff_cases::manage::link)),
            )
            .service(
                resource("/cases/{id}/messages")
                    .route(get().to(messages::thread))
                    .route(post().to(messages::send)),
            )
            .service(
                resource("/cases/{id}/messages/{message_id}/acknowledge")
                    .route(post().to(messages::acknowledge)),
            )
            .service(
                resource("/cases/{id}/messages/{message_id}/close")
                    .route(post().to(messages::close)),
            )
            .service(
                resource("/cases/{id}/relatives/{relative_id}/invite")
                    .route(post().to(messages::invite)),
            )
            .service(
                resource("/cases/{id}/relatives/{relative_id}/suspend")
                    .route(post().to(messages::suspend)),
            )
            .service(
                resource("/cases/{id}/relatives/{relative_id}/reinstate")
                    .route(post().to(messages::reinstate)),
            )
            .service(resource("/messages").route(get().to(messages::inbox)))
            .service(resource("/notifications").route(get().to(inbox::page)))
            .service(resource("/notifications/read-all").route(post().to(inbox::read_all)))
            .service(resource("/notifications/{id}/read").route(post().to(inbox::read)))
            .default_service(web::to(not_found)),
    );

    cfg.service(
        scope("/family")
            .wrap(from_fn(family::family_pages))
            .wrap(from_fn(csrf::ensure_cookie))
            .service(resource("").route(get().to(family::reading::home)))
            .service(
                resource("/sign-in")
                    .route(get().to(family::sign_in::sign_in_form))
                    .route(post().to(family::sign_in::request_link)),
            )
            .service(
                resource("/sign-in/link")
                    .route(get().to(family::sign_in::link_page))
                    .route(post().to(family::sign_in::use_link)),
            )
            .service(resource("/sign-out").route(post().to(family::sign_in::sign_out)))
            .service(
                resource("/sign-out-everywhere")
                    .route(post().to(family::sign_in::sign_out_everywhere)),
            )
            .service(resource("/language").route(post().to(family::sign_in::switch_language)))
            .service(resource("/timeline").route(get().to(family::reading::timeline)))
            .service(resource("/contacts").route(get().to(family::reading::contacts)))
            .service(resource("/appointments").route(get().to(family::reading::appointments)))
            .service(
                resource("/appointments/{follow_up_id}.ics")
                    .route(get().to(family::reading::appointment_ics)),
            )
            .service(resource("/property").route(get().to(family::reading::property)))
            .service(
                resource("/messages")
                    .route(get().to(family::messages::messages_list))
                    .route(post().to(family::messages::message_send)),
            )
            .service(resource("/notices").route(get().to(family::reading::notices)))
            .service(resource("/notices/read-all").route(post().to(family::reading::notices_read)))
            .service(
                resource("/preferences")
                    .route(get().to(family::preferences::preferences))
                    .route(post().to(family::preferences::preferences_save)),
            )
            .default_service(web::to(family::not_found)),
    );

    cfg.service(
        scope("/admin")
            .wrap(from_fn(pages::html_errors))
            .wrap(from_fn(pages::staff_session_cookie))
            .wrap(from_fn(csrf::ensure_cookie))
            .service(resource("").route(get().to(admin::home)))
            .service(
                resource("/targets")
                    .route(get().to(admin::targets::targets))
                    .route(post().to(admin::targets::save_targets)),
            )
            .service(
                resource("/users")
                    .route(get().to(admin::users::users_list))
                    .route(post().to(admin::users::create_user)),
            )
            .service(resource("/users/new").route(get().to(admin::users::new_user_form)))
            .service(resource("/users/{id}").route(get().to(admin::users::user_detail)))
            .service(resource("/users/{id}/role").route(post().to(admin::users::change_role)))
            .service(resource("/users/{id}/deactivate").route(post().to(admin::users::deactivate)))
            .service(resource("/users/{id}/reactivate").route(post().to(admin::users::reactivate)))
            .service(
                resource("/users/{id}/password").route(post().to(admin::users::reset_password)),
            )
            .service(
                resource("/teams")
                    .route(get().to(admin::teams::teams_list))
                    .route(post().to(admin::teams::create_team)),
            )
            .service(resource("/teams/{id}").route(get().to(admin::teams::team_detail)))
            .service(resource("/teams/{id}/members").route(post().to(admin::teams::add_member)))
            .service(
                resource("/teams/{id}/members/{user_id}/remove")
                    .route(post().to(admin::teams::remove_member)),
            )
            .service(resource("/audit").route(get().to(admin::audit::audit_log)))
            .service(resource("/outbox").route(get().to(outbox::page)))
            .service(resource("/outbox/{id}/retry").route(post().to(outbox::retry)))
            .service(resource("/mail").route(get().to(outbox::mail_files)))
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
