//! The casework fixture most tests start from, and a JSON call helper.

use diesel::prelude::*;
use liaison::accounts::User;
use liaison::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app_with};

/// Someone the tests call the API as: who they are, their role, and the bearer token they
/// hold. It reads as its token wherever a token (`&str`) is asked for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub role: Role,
    pub token: String,
}

impl std::ops::Deref for Caller {
    type Target = str;

    fn deref(&self) -> &str {
        &self.token
    }
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.token)
    }
}

impl Caller {
    pub fn as_str(&self) -> &str {
        &self.token
    }

    pub async fn of(app: &TestApp, user: &User) -> Caller {
        Caller {
            id: user.id.to_string(),
            role: user.role,
            token: app.token_for(user).await,
        }
    }
}

/// Two teams; on team A a manager, an officer assigned to the case and one who is not; on
/// team B a manager; an administrator; and one open case on team A with two relatives.
pub struct Fixture {
    pub app: TestApp,
    pub officer: Caller,
    pub other_officer: Caller,
    pub manager: Caller,
    pub other_manager: Caller,
    pub admin: Caller,
    pub case_id: String,
    pub reference: String,
    pub relatives: Vec<String>,
}

pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.api.request(method, app.url(path));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A call that must succeed (2xx); its answer.
pub async fn ok(f: &Fixture, method: Method, path: &str, token: &str, body: Value) -> Value {
    let (status, answer) = call(&f.app, method.clone(), path, token, Some(body)).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    answer
}

pub async fn fixture() -> Fixture {
    fixture_with(|_| {}).await
}

/// The fixture, with settings adjusted (the worker is off unless `adjust` turns it on).
pub async fn fixture_with(adjust: impl FnOnce(&mut liaison::config::Settings)) -> Fixture {
    let app = spawn_app_with(|s| {
        s.run_worker = false;
        adjust(s);
    })
    .await;
    let team_a = app.create_team("Team A").await;
    let team_b = app.create_team("Team B").await;
    let manager = app.create_user(Role::Manager, &[&team_a]).await;
    let officer = app.create_user(Role::Officer, &[&team_a]).await;
    let other_officer = app.create_user(Role::Officer, &[&team_a]).await;
    let other_manager = app.create_user(Role::Manager, &[&team_b]).await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let m = app.token_for(&manager).await;
    let (status, case) = call(
        &app,
        Method::POST,
        "/api/v1/cases",
        &m,
        Some(json!({
            "team_id": team_a, "deceased_name": "Nathan Orley", "date_of_death": "2026-11-01",
            "circumstances": "Found at the foot of a stairwell.",
            "needs": {"language": "English", "interpreter": false},
            "contact_plan": {"interval_hours": 48, "preferred_channel": "phone", "preferred_hours": "Evenings", "agreed_on": "2026-11-02"}
        })),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let case_id = case["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("/api/v1/cases/{case_id}/assignments"),
        &m,
        Some(json!({"user_id": officer.id, "role": "flo", "visible_to_family": true, "contact_phone": "01632 960 101", "working_hours": "Mon-Fri 9-5"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mut relatives = Vec::new();
    for (name, rel) in [("Ivy Orley", "mother"), ("Sol Orley", "brother")] {
        let (status, r) = call(
            &app,
            Method::POST,
            &format!("/api/v1/cases/{case_id}/relatives"),
            &m,
            Some(json!({"full_name": name, "relationship": rel, "email": format!("{}@example.org", name.to_lowercase().replace(' ', ".")), "preferred_channel": "phone"})),
        )
        .await;
        assert_eq!(status, 201, "{r}");
        relatives.push(r["id"].as_str().unwrap().to_owned());
    }
    Fixture {
        officer: Caller::of(&app, &officer).await,
        other_officer: Caller::of(&app, &other_officer).await,
        manager: Caller {
            id: manager.id.to_string(),
            role: manager.role,
            token: m,
        },
        other_manager: Caller::of(&app, &other_manager).await,
        admin: Caller::of(&app, &admin).await,
        reference: case["reference"].as_str().unwrap().to_owned(),
        case_id,
        relatives,
        app,
    }
}

impl Fixture {
    pub fn case(&self, rest: &str) -> String {
        format!("/api/v1/cases/{}{}", self.case_id, rest)
    }

    pub async fn log_contact(&self, token: &str, body: Value) -> (u16, Value) {
        call(
            &self.app,
            Method::POST,
            &self.case("/contacts"),
            token,
            Some(body),
        )
        .await
    }

    pub async fn count(&self, table: &'static str) -> i64 {
        self.app
            .with_conn(move |conn| {
                #[derive(QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                    .get_result::<N>(conn)
                    .unwrap()
                    .n
            })
            .await
    }
}
