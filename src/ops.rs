//! Operations: liveness, readiness, Prometheus metrics and the request log.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;

use crate::db;
use crate::startup::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The app's metrics. Each app instance has its own registry (no process-wide state), so
/// tests can run several apps in one process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    /// Family pages answered from memory (see `family::cache`).
    pub family_pages_from_memory: Counter,
    family_sessions_kept: Gauge,
    family_pages_kept: Gauge,
}

impl Metrics {
    pub fn new(pool_max: u32) -> Metrics {
        let mut registry = Registry::with_prefix("liaison");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let (pool_connections, pool_idle, pool_max_gauge) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register(
            "http_requests",
            "HTTP requests by route pattern, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route pattern and method",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Configured maximum database connections",
            pool_max_gauge.clone(),
        );
        pool_max_gauge.set(i64::from(pool_max));
        let family_pages_from_memory = Counter::default();
        let (family_sessions_kept, family_pages_kept) = (Gauge::default(), Gauge::default());
        registry.register(
            "family_pages_from_memory",
            "Family pages answered from memory, without the database",
            family_pages_from_memory.clone(),
        );
        registry.register(
            "family_sessions_kept",
            "Relatives' sessions held in memory",
            family_sessions_kept.clone(),
        );
        registry.register(
            "family_pages_kept",
            "Rendered family pages held in memory",
            family_pages_kept.clone(),
        );
        Metrics {
            family_pages_from_memory,
            family_sessions_kept,
            family_pages_kept,
            registry,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max: pool_max_gauge,
        }
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    fn render(&self, pool: (u32, u32), family: (usize, usize)) -> String {
        self.family_sessions_kept.set(family.0 as i64);
        self.family_pages_kept.set(family.1 as i64);
        self.pool_connections.set(i64::from(pool.0));
        self.pool_idle.set(i64::from(pool.1));
        let _ = &self.pool_max;
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics");
        }
        out
    }
}

/// Middleware: counts and times every request by its route pattern (never by its concrete
/// path, which would carry record ids), and writes one log line per request.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
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
    if let Some(state) = state {
        state
            .metrics
            .observe(&method, &route, status, elapsed.as_secs_f64());
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
