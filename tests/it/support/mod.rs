//! The test harness: a real app on a random port, against a fresh SQLite file or (when
//! LIAISON_TEST_DATABASE_URL is set) a fresh PostgreSQL database created for the test and
//! dropped after it, driven over HTTP like a browser or an API client would.

#![allow(dead_code)]

pub mod browser;
pub mod family;
pub mod fixture;
pub mod routes;
pub mod smtp;

use base64::Engine as _;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use liaison::Application;
use liaison::accounts::users::{self, NewUser};
use liaison::accounts::{User, teams};
use liaison::audit::{self, Actor, AuditEvent, AuditQuery};
use liaison::config::{Config, Settings};
use liaison::db::{Db, DbConn};
use liaison::domain::{EmailAddress, PersonName, Role, TeamId, TeamName};
use serde_json::Value;

pub use browser::Browser;

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A database for one test: a temporary SQLite file, or a PostgreSQL database that is
/// dropped when the test ends.
pub struct TestDatabase {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_admin_url: Option<String>,
    pg_name: Option<String>,
}

impl TestDatabase {
    pub fn new() -> TestDatabase {
        liaison::db::init_tls();
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("LIAISON_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = format!(
                    "liaison_test_{}",
                    ulid::Ulid::generate().to_string().to_lowercase()
                );
                let mut admin = PgConnection::establish(&admin_url)
                    .expect("connect to LIAISON_TEST_DATABASE_URL");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let mut url =
                    url::Url::parse(&admin_url).expect("LIAISON_TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDatabase {
                    url: url.to_string(),
                    dir,
                    pg_admin_url: Some(admin_url),
                    pg_name: Some(name),
                }
            }
            None => TestDatabase {
                url: format!("sqlite://{}", dir.path().join("liaison.db").display()),
                dir,
                pg_admin_url: None,
                pg_name: None,
            },
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_name.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let (Some(admin_url), Some(name)) = (&self.pg_admin_url, &self.pg_name)
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: Db,
    pub secret: Vec<u8>,
    pub database: TestDatabase,
    pub api: reqwest::Client,
}

pub fn settings_for(database: &TestDatabase, secret: &[u8]) -> Settings {
    Settings {
        data_dir: database.dir.path().join("data"),
        database_url: Some(database.url.clone()),
        bind: "127.0.0.1:0".into(),
        secret: Some(base64::engine::general_purpose::STANDARD.encode(secret)),
        pool_size: 4,
        http_workers: 1,
        // Family notices go at once unless a test is about the window that joins them.
        notice_window_seconds: 0,
        ..Settings::default()
    }
}

/// Starts the app with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after letting the test adjust its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::new();
    let mut secret = vec![0u8; 32];
    rand::fill(&mut secret[..]);
    let mut settings = settings_for(&database, &secret);
    adjust(&mut settings);
    let config = Config::resolve(settings).expect("test configuration");
    let app = Application::build(config).await.expect("app builds");
    let port = app.port();
    let db = app.state().db.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        secret,
        database,
        api: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn conn(&self) -> liaison::db::PooledConn {
        self.db.get().expect("test connection")
    }

    /// Runs blocking database work for arranging or checking a test.
    pub async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> T + Send + 'static,
    ) -> T {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().expect("test connection");
            f(&mut conn)
        })
        .await
        .expect("database task")
    }

    pub async fn create_team(&self, name: &str) -> TeamId {
        let name = TeamName::parse("name", name).unwrap();
        self.with_conn(move |conn| teams::create(conn, &Actor::System, &name).expect("team").id)
            .await
    }

    /// Creates an account that has chosen its own password.
    pub async fn create_user(&self, role: Role, teams: &[&TeamId]) -> User {
        self.create_user_with(role, teams, false).await
    }

    pub async fn create_user_with(&self, role: Role, teams: &[&TeamId], must_change: bool) -> User {
        let suffix = ulid::Ulid::generate().to_string().to_lowercase();
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            &suffix[suffix.len() - 8..]
        );
        let teams: Vec<TeamId> = teams.iter().map(|t| (*t).clone()).collect();
        let hash = tokio::task::spawn_blocking(|| liaison::auth::password::hash(PASSWORD).unwrap())
            .await
            .unwrap();
        self.with_conn(move |conn| {
            users::create(
                conn,
                &Actor::System,
                NewUser {
                    email: EmailAddress::parse("email", &email).unwrap(),
                    display_name: PersonName::parse("name", &format!("Test {}", role.label()))
                        .unwrap(),
                    role,
                    phone: None,
                    password_hash: hash,
                    password_change_required: must_change,
                    teams,
                },
            )
            .expect("user")
        })
        .await
    }

    /// A bearer token for the API.
    pub async fn token_for(&self, user: &User) -> String {
        let res = self
            .api
            .post(self.url("/api/v1/auth/token"))
            .json(&serde_json::json!({"email": user.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "token for {}", user.email);
        res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn api_get(&self, path: &str, token: &str) -> reqwest::Response {
        self.api
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// A browser signed in as `user`.
    pub async fn browser_for(&self, user: &User) -> Browser {
        let browser = Browser::new(&self.address);
        let res = browser.sign_in(&user.email, PASSWORD).await;
        assert_eq!(res.status(), 303, "sign-in of {}", user.email);
        browser
    }

    pub async fn audit(&self, action: &str) -> Vec<AuditEvent> {
        let action = action.to_owned();
        self.with_conn(move |conn| {
            audit::list(
                conn,
                &AuditQuery {
                    action: Some(action),
                    limit: 500,
                    ..AuditQuery::default()
                },
            )
            .unwrap()
        })
        .await
    }
}
