//! Operations: liveness, readiness, Prometheus metrics and the request log.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::db;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Middleware: counts and times every request by its route pattern (never by its concrete
/// path, which would carry record ids), and writes one log line per request.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let res = next.call(req).await;
    let elapsed = started.elapsed();
    let (route, status) = match &res {
        Ok(r) => (
            r.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
            r.status().as_u16(),
        ),
        Err(e) => (
            "unmatched".to_owned(),
            e.as_response_error().status_code().as_u16(),
        ),
    };
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    }
    tracing::info!(
        target: "liaison::request",
        method,
        route,
        status,
        ms = (elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
        "request"
    );
    res
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({"status": "ok"}))
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    database: &'static str,
    engine: &'static str,
    migrations: &'static str,
}

/// Ready when the database answers and its schema is the version this binary expects.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let engine = state.db.engine().name();
    let checked = state
        .db
        .run(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1")?;
            Ok(db::migrations_current(conn)?)
        })
        .await;
    let (status, database, migrations) = match checked {
        Ok(true) => ("ready", "ok", "current"),
        Ok(false) => ("not ready", "ok", "pending"),
        Err(_) => ("not ready", "unreachable", "unknown"),
    };
    let body = Readiness {
        status,
        database,
        engine,
        migrations,
    };
    let mut res = if status == "ready" {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header(("Cache-Control", "no-store")).json(body)
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            "Content-Type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(
            state
                .metrics
                .render(state.db.pool_state(), state.family_cache.sizes()),
        )
}
