//! Bad input of every kind gets a clear 4xx with a message a person can act on: never a 500,
//! never a panic. Every route that takes a body is sent malformed, mistyped, oversized and
//! mislabelled bodies by an authorised caller, so that the input handling itself is reached.

use liaison::domain::Role;
use serde_json::{Value, json};

use crate::support::routes::{self, Route};
use crate::support::spawn_app;

fn takes_body(route: &Route) -> bool {
    matches!(route.method.as_str(), "POST" | "PATCH" | "PUT")
}

#[tokio::test]
async fn malformed_api_bodies_get_json_errors_never_500() {
    let app = spawn_app().await;
    let team = app.create_team("Team A").await;
    let officer = app.create_user(Role::Officer, &[&team]).await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let token = app.token_for(&admin).await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let wrong_types = json!({
        "email": 5, "password": [], "display_name": {}, "role": "overlord", "name": 7,
        "user_id": "not-an-id", "teams": ["nope"], "phone": 1
    })
    .to_string();
    let bodies: [(&str, &str, &str); 6] = [
        ("malformed", "application/json", "{\"email\": "),
        ("trailing", "application/json", "{} {}"),
        ("wrong types", "application/json", &wrong_types),
        ("not an object", "application/json", "[1, 2, 3]"),
        ("oversized", "application/json", &huge),
        ("wrong media type", "text/plain", "email=a"),
    ];
    let mut failures = Vec::new();
    for route in routes::all()
        .iter()
        .filter(|r| r.path.starts_with("/api/") && takes_body(r))
    {
        let path = routes::fill(
            &route.path,
            &[
                (
                    "id",
                    if route.path.contains("/users/") {
                        officer.id.as_str()
                    } else {
                        team.as_str()
                    },
                ),
                ("user_id", officer.id.as_str()),
            ],
        );
        for (name, content_type, body) in &bodies {
            let res = app
                .api
                .request(route.method.parse().unwrap(), app.url(&path))
                .bearer_auth(&token)
                .header("content-type", *content_type)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let json: Value = res.json().await.unwrap_or(Value::Null);
            if status >= 500 {
                failures.push(format!(
                    "{} {path} [{name}] -> {status} {json}",
                    route.method
                ));
            } else if status >= 400
                && (json["error"].as_str().is_none()
                    || json["message"].as_str().is_none_or(str::is_empty))
            {
                failures.push(format!(
                    "{} {path} [{name}] -> {status} without an error body: {json}",
                    route.method
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn each_kind_of_bad_json_has_its_own_status_and_names_the_field() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let token = app.token_for(&admin).await;
    let post = |body: String, content_type: &'static str| {
        app.api
            .post(app.url("/api/v1/users"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let res = post("{\"email\": ".into(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );

    let res = post(
        json!({"email": "a@example.org", "display_name": "A", "role": "officer", "password": 42})
            .to_string(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "password");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("expected a string"),
        "{body}"
    );

    let res = post(json!({"email": "a@example.org", "display_name": "A", "role": "overlord", "password": "long enough password"}).to_string(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "role");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("officer, manager, admin"),
        "{body}"
    );

    let res = post(json!({"email": "a@example.org", "display_name": "A", "role": "officer", "password": "long enough password", "teams": ["x"]}).to_string(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "teams[0]");

    let res = post(json!({"email": "bad", "display_name": "A", "role": "officer", "password": "long enough password"}).to_string(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "email");

    let res = post(json!({"display_name": "A"}).to_string(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("missing field")
    );

    let res = post(
        json!({"email": "a@example.org", "surprise": true}).to_string(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);

    let res = post("x".repeat(300 * 1024), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let res = post("{}".into(), "text/plain").await.unwrap();
    assert_eq!(res.status(), 415);

    let before: i64 = app
        .with_conn(|conn| {
            use diesel::prelude::*;
            liaison::db::schema::users::table
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(before, 1, "no failed request wrote an account");
}

#[tokio::test]
async fn bad_ids_and_queries_are_404_and_400_not_500() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let token = app.token_for(&admin).await;
    for path in [
        "/api/v1/users/not-an-id",
        "/api/v1/users/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "/api/v1/teams/%00%FF",
        "/api/v1/teams/01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ] {
        let res = app.api_get(path, &token).await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "not_found");
    }
    let res = app.api_get("/api/v1/audit?limit=lots", &token).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "bad_request");

    let browser = app.browser_for(&admin).await;
    for path in [
        "/admin/users/not-an-id",
        "/admin/teams/01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ] {
        let (status, page) = browser.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("Page not found"));
    }
    let (status, page) = browser.get("/admin/audit?limit=lots").await;
    assert_eq!(status, 400);
    assert!(page.contains("We could not read that request"));
}

#[tokio::test]
async fn malformed_forms_never_reach_a_500() {
    let app = spawn_app().await;
    let team = app.create_team("Team A").await;
    let officer = app.create_user(Role::Officer, &[&team]).await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let manager = app.create_user(Role::Manager, &[&team]).await;
    let mut failures = Vec::new();
    // Operations are a manager's; every other form here is swept as an administrator.
    for (who, home) in [(&admin, "/admin"), (&manager, "/staff")] {
        let browser = app.browser_for(who).await;
        browser.get(home).await;
        let csrf = browser.csrf();
        let huge = format!("csrf_token={csrf}&name={}", "x".repeat(300 * 1024));
        let garbage =
            format!("csrf_token={csrf}&%zz=%%&role=%FF%FE&user_id=..%2F..&password=&name=%00");
        // Refused bodies first: a well-formed sign-out form really does sign out.
        let bodies: [(&str, &str, String); 4] = [
            (
                "wrong media type",
                "application/json",
                format!("{{\"csrf_token\": \"{csrf}\"}}"),
            ),
            ("oversized", "application/x-www-form-urlencoded", huge),
            ("garbage", "application/x-www-form-urlencoded", garbage),
            (
                "fields only",
                "application/x-www-form-urlencoded",
                format!("csrf_token={csrf}"),
            ),
        ];
        let mut routes = routes::all();
        // Signing out would end the session the sweep runs in; it goes last.
        routes.sort_by_key(|r| r.path.contains("logout"));
        for route in routes.iter().filter(|r| {
            // The family portal's forms are swept by tests/it/family.rs as a relative.
            !r.path.starts_with("/api/")
                && !r.path.starts_with("/staff/cases")
                && !r.path.starts_with("/family")
                && r.path.starts_with("/staff/operations") == (home == "/staff")
                && takes_body(r)
        }) {
            let path = routes::fill(
                &route.path,
                &[
                    (
                        "id",
                        if route.path.contains("/users/") {
                            officer.id.as_str()
                        } else {
                            team.as_str()
                        },
                    ),
                    ("user_id", officer.id.as_str()),
                ],
            );
            for (name, content_type, body) in &bodies {
                let res = browser
                    .client
                    .post(browser.url(&path))
                    .header("content-type", *content_type)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let expected_status = match *name {
                    "oversized" => Some(413),
                    "wrong media type" => Some(415),
                    _ => None,
                };
                if status >= 500 || expected_status.is_some_and(|s| s != status) {
                    failures.push(format!("POST {path} [{name}] -> {status}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
