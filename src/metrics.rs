//! The app's Prometheus metrics: requests by route pattern, latency, the database pool and
//! the family portal's memory. Counted by `ops::track`, read at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

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

    pub(crate) fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
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

    pub(crate) fn render(&self, pool: (u32, u32), family: (usize, usize)) -> String {
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
