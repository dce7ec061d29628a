//! Who may reach which route. Every route in `startup::routes` is tried by every kind of
//! caller; a route added without a rule here fails the test.

use liaison::domain::Role;
use reqwest::Method;

use crate::support::browser::location;
use crate::support::routes::{self, Route};
use crate::support::{Browser, TestApp, spawn_app};

/// What a caller should get from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Anything but 401, 403 and a redirect to sign in.
    Allowed,
    /// 401 with JSON (API) or a redirect to the sign-in page (pages).
    SignIn,
    /// 403.
    Forbidden,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Officer,
    Manager,
    Admin,
    /// A relative signed in to the family portal.
    Relative,
}

const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/static/{path:.+}"),
    ("GET", "/staff/login"),
    ("POST", "/staff/login"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/family/sign-in"),
    ("POST", "/family/sign-in"),
    ("GET", "/family/sign-in/link"),
    ("POST", "/family/sign-in/link"),
    ("POST", "/family/language"),
    ("POST", "/api/v1/family/auth/link"),
    ("POST", "/api/v1/family/auth/token"),
];

/// Routes for any signed-in staff member.
const ANY_STAFF: &[(&str, &str)] = &[
    ("GET", "/staff"),
    ("POST", "/staff/logout"),
    ("GET", "/staff/account/password"),
    ("POST", "/staff/account/password"),
    ("GET", "/api/v1/me"),
    ("DELETE", "/api/v1/auth/token"),
    ("GET", "/staff/notifications"),
    ("POST", "/staff/notifications/read-all"),
    ("POST", "/staff/notifications/{id}/read"),
    ("GET", "/api/v1/notifications"),
    ("POST", "/api/v1/notifications/read-all"),
    ("POST", "/api/v1/notifications/{id}/read"),
];

/// `None`: checked case by case in `casework.rs`, where real case ids are at hand.
fn expectation(route: &Route, caller: Caller) -> Option<Expect> {
    let key = (route.method.as_str(), route.path.as_str());
    if PUBLIC.contains(&key) {
        return Some(Expect::Allowed);
    }
    // The family portal: relatives only; staff credentials open nothing there, nor a
    // relative's anything else.
    if route.path.starts_with("/family") || route.path.starts_with("/api/v1/family/") {
        return Some(if caller == Caller::Relative {
            Expect::Allowed
        } else {
            Expect::SignIn
        });
    }
    if caller == Caller::Anonymous || caller == Caller::Relative {
        return Some(Expect::SignIn);
    }
    if route.path == "/staff/messages"
        || route.path == "/api/v1/messages/waiting"
        || route.path == "/api/v1/dashboard/timeliness"
        || route.path.starts_with("/staff/dashboard")
    {
        return Some(if caller == Caller::Admin {
            Expect::Forbidden
        } else {
            Expect::Allowed
        });
    }
    // Operations: managers only.
    if route.path.starts_with("/api/v1/operations") || route.path.starts_with("/staff/operations") {
        return Some(if caller == Caller::Manager {
            Expect::Allowed
        } else {
            Expect::Forbidden
        });
    }
    if route.path.starts_with("/api/v1/cases")
        || route.path == "/api/v1/me/follow-ups"
        || route.path.starts_with("/staff/cases")
    {
        return match caller {
            Caller::Admin => Some(Expect::Forbidden),
            _ => None,
        };
    }
    Some(rule(route, caller, key))
}

fn rule(route: &Route, caller: Caller, key: (&str, &str)) -> Expect {
    if ANY_STAFF.contains(&key) {
        return Expect::Allowed;
    }
    let admin_only = route.path.starts_with("/admin")
        || [
            "/api/v1/users",
            "/api/v1/teams",
            "/api/v1/audit",
            "/api/v1/outbox",
            "/api/v1/settings",
        ]
        .iter()
        .any(|p| route.path.starts_with(p));
    if admin_only {
        return if caller == Caller::Admin {
            Expect::Allowed
        } else {
            Expect::Forbidden
        };
    }
    panic!(
        "no access rule for {} {}: add one to tests/it/access.rs",
        route.method, route.path
    );
}

struct Callers {
    officer: (Browser, String),
    manager: (Browser, String),
    admin: (Browser, String),
    anonymous: Browser,
    relative: Browser,
    relative_token: String,
    officer_id: String,
    team_id: String,
}

async fn callers(app: &TestApp) -> Callers {
    let team = app.create_team("Team A").await;
    let officer = app.create_user(Role::Officer, &[&team]).await;
    let manager = app.create_user(Role::Manager, &[&team]).await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let anonymous = Browser::new(&app.address);
    anonymous.get("/staff/login").await;
    let with_page = |b: Browser| async move {
        b.get("/staff/account/password").await;
        b
    };
    // A relative with portal access on a case of the team.
    let manager_token = app.token_for(&manager).await;
    let (status, case) = crate::support::fixture::call(
        app,
        Method::POST,
        "/api/v1/cases",
        &manager_token,
        Some(serde_json::json!({"team_id": team, "deceased_name": "Rhys Calder", "date_of_death": "2026-11-01"})),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let (status, relative) = crate::support::fixture::call(
        app,
        Method::POST,
        &format!("/api/v1/cases/{}/relatives", case["id"].as_str().unwrap()),
        &manager_token,
        Some(serde_json::json!({"full_name": "Ffion Calder", "relationship": "sister", "email": "ffion.calder@example.org", "preferred_channel": "email"})),
    )
    .await;
    assert_eq!(status, 201, "{relative}");
    let relative_id = relative["id"].as_str().unwrap();
    let relative_token = crate::support::family::family_token(app, relative_id).await;
    let relative = crate::support::family::signed_in(app, relative_id).await;
    Callers {
        relative,
        relative_token,
        officer: (
            with_page(app.browser_for(&officer).await).await,
            app.token_for(&officer).await,
        ),
        manager: (
            with_page(app.browser_for(&manager).await).await,
            app.token_for(&manager).await,
        ),
        admin: (
            with_page(app.browser_for(&admin).await).await,
            app.token_for(&admin).await,
        ),
        anonymous,
        officer_id: officer.id.to_string(),
        team_id: team.to_string(),
    }
}

async fn call(
    app: &TestApp,
    browser: &Browser,
    token: Option<&str>,
    route: &Route,
    path: &str,
) -> reqwest::Response {
    let method = Method::from_bytes(route.method.as_bytes()).unwrap();
    if route.path.starts_with("/api/") {
        let mut req = app
            .api
            .request(method, app.url(path))
            .header("content-type", "application/json")
            .body("{}");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    } else if method == Method::GET {
        browser.client.get(browser.url(path)).send().await.unwrap()
    } else {
        browser.post(path, &[]).await
    }
}

fn judge(route: &Route, caller: Caller, res: &reqwest::Response) -> Result<(), String> {
    let status = res.status().as_u16();
    let to = location(res);
    let redirect_to_sign_in = status == 303
        && (to.starts_with("/staff/login") || to == "/family/sign-in")
        && !to.contains("signed_out");
    let got = match (status, redirect_to_sign_in) {
        (401, _) | (_, true) => Expect::SignIn,
        (403, _) => Expect::Forbidden,
        _ => Expect::Allowed,
    };
    let Some(want) = expectation(route, caller) else {
        return Ok(());
    };
    if status >= 500 {
        return Err(format!(
            "{caller:?} {} {} answered {status}",
            route.method, route.path
        ));
    }
    if got != want {
        return Err(format!(
            "{caller:?} {} {}: expected {want:?}, got {status} {}",
            route.method,
            route.path,
            location(res)
        ));
    }
    Ok(())
}

#[tokio::test]
async fn every_route_admits_exactly_the_callers_its_rule_allows() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    let mut failures = Vec::new();
    let mut tried = 0;
    // Sign-out routes end sessions, so they run last for each caller.
    let mut all = routes::all();
    all.sort_by_key(|r| {
        r.path.contains("logout")
            || r.path.contains("sign-out")
            || (r.path.ends_with("/auth/token") && r.method == "DELETE")
    });
    for (caller, browser, token) in [
        (Caller::Anonymous, &c.anonymous, None),
        (Caller::Officer, &c.officer.0, Some(c.officer.1.as_str())),
        (Caller::Manager, &c.manager.0, Some(c.manager.1.as_str())),
        (Caller::Admin, &c.admin.0, Some(c.admin.1.as_str())),
        (
            Caller::Relative,
            &c.relative,
            Some(c.relative_token.as_str()),
        ),
    ] {
        for route in &all {
            // Signing out everywhere ends the session the sweep's own sign-out then needs;
            // tests/it/family.rs covers it.
            if caller == Caller::Relative && route.path.ends_with("/sign-out-everywhere") {
                continue;
            }
            // Sign-in forms are exercised by the auth tests; posting an empty one here would
            // only count failed attempts.
            if route.method == "POST"
                && (route.path == "/staff/login" || route.path == "/api/v1/auth/token")
            {
                continue;
            }
            let id = if route.path.contains("/users/") {
                &c.officer_id
            } else {
                &c.team_id
            };
            let path = routes::fill(&route.path, &[("id", id), ("user_id", &c.officer_id)]);
            let res = call(&app, browser, token, route, &path).await;
            if let Err(e) = judge(route, caller, &res) {
                failures.push(e);
            }
            tried += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {tried} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let denied = app.audit("access.denied").await;
    assert!(
        denied.len() >= 10,
        "role refusals are audited ({} found)",
        denied.len()
    );
}

#[tokio::test]
async fn an_administrator_is_sent_from_the_casework_home_to_administration() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let browser = app.browser_for(&admin).await;
    let res = browser
        .client
        .get(browser.url("/staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin");
}
