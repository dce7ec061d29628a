//! Health, readiness, metrics and the headers every answer carries.

use diesel::prelude::*;
use serde_json::Value;

use crate::support::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let res = app.api.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["migrations"], "current");
    assert_eq!(
        body["engine"],
        if app.database.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
}

#[tokio::test]
async fn not_ready_when_the_schema_is_behind_the_binary() {
    let app = spawn_app().await;
    app.with_conn(|conn| {
        diesel::sql_query("DELETE FROM __diesel_schema_migrations")
            .execute(conn)
            .unwrap();
    })
    .await;
    let res = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["migrations"], "pending");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_report_the_pool() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.api.get(app.url("/healthz")).send().await.unwrap();
    }
    app.api
        .get(app.url("/api/v1/users/01ARZ3NDEKTSV4RRFFQ69G5FAV"))
        .send()
        .await
        .unwrap();
    let res = app.api.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("openmetrics-text")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            r#"liaison_http_requests_total{method="GET",route="/healthz",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/users/{id}",status="401""#),
        "ids never appear in labels, the pattern does: {text}"
    );
    assert!(!text.contains("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
    assert!(text.contains("liaison_http_request_duration_seconds_bucket"));
    assert!(text.contains("liaison_db_pool_connections"));
    assert!(text.contains("liaison_db_pool_max_connections 4"));
}

#[tokio::test]
async fn every_answer_carries_strict_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/staff/login",
        "/api/v1/me",
        "/healthz",
        "/no-such-page",
    ] {
        let res = app.api.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("CSP on {path}"))
            .to_str()
            .unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn pages_use_only_local_assets_with_landmarks_and_a_skip_link() {
    let app = spawn_app().await;
    let page = app
        .api
        .get(app.url("/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r##"<a class="skip-link" href="#main">"##));
    assert!(page.contains("<main id=\"main\""));
    assert!(page.contains("<header") && page.contains("<footer"));
    assert!(page.contains("<html lang=\"en\">"));
    for asset in [
        "/static/css/liaison.css",
        "/static/js/liaison.js",
        "/static/favicon.svg",
    ] {
        assert!(page.contains(asset), "{asset} is linked");
        let res = app.api.get(app.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
    }
    assert!(!page.contains("https://"), "no asset from another site");
    let missing = app
        .api
        .get(app.url("/static/nope.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn unknown_addresses_get_a_page_for_people_and_json_for_programs() {
    let app = spawn_app().await;
    let page = app.api.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Page not found"));
    let api = app
        .api
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(api.json::<Value>().await.unwrap()["error"], "not_found");
    let method = app
        .api
        .put(app.url("/api/v1/auth/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(method.status(), 405);
    assert_eq!(
        method.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );
}
