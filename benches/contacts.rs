//! Contacts logged per second through `POST /api/v1/cases/{id}/contacts` (the real app on
//! loopback: authentication, visibility, validation, the contact, its audit event, the
//! case's contact times; each contact atomic on its own, concurrent ones sharing a group
//! commit) against a bare SQLite loop inserting the same row with the same pragmas, one
//! transaction each, in the same run. Three rounds, alternating; the median ratio counts.
//!
//!   cargo bench --bench contacts
//!
//! Target: the API at least half the bare loop's rate. `BENCH_CLIENTS` (default 8) sets the
//! number of concurrent clients, `BENCH_POOL` (default 8) the app's connection pool size.

use std::time::Instant;

/// The allocator the `liaison` binary uses (src/main.rs), so that the app in this process
/// runs as it does when deployed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use liaison::Application;
use liaison::accounts::{teams, users};
use liaison::audit::Actor;
use liaison::config::{Config, Settings};
use liaison::db::{self, Db};
use liaison::domain::{EmailAddress, PersonName, Role, TeamName};
use serde_json::{Value, json};

const N: usize = 2000;
const ROUNDS: usize = 3;
fn concurrency() -> usize {
    std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}
const DISCUSSION: &str = "Visited the family at home. Went through the post-mortem process, answered questions about the coroner and agreed to call again on Friday.";

/// Sends one request on a kept-alive connection and reads the whole answer; its status.
async fn exchange(conn: &mut tokio::net::TcpStream, request: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.write_all(request).await.unwrap();
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).unwrap();
    let status: u16 = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .expect("a Content-Length");
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
    status
}

/// The bare loop: the same row, the same pragmas, one transaction per insert.
fn bare_loop(dir: &std::path::Path, round: usize) -> std::time::Duration {
    let bare_path = dir.join(format!("bare-{round}.db"));
    let bare_db = Db::connect(&format!("sqlite://{}", bare_path.display()), 1).unwrap();
    let mut bare = bare_db.get().unwrap();
    bare.batch_execute(
        "CREATE TABLE contacts (id TEXT PRIMARY KEY NOT NULL, case_id TEXT NOT NULL, occurred_at TIMESTAMP NOT NULL,
         officer_id TEXT NOT NULL, channel TEXT NOT NULL, direction TEXT NOT NULL, duration_minutes INTEGER,
         discussion TEXT NOT NULL, family_summary TEXT, agreed_actions TEXT, recorded_by TEXT NOT NULL, recorded_at TIMESTAMP NOT NULL);
         CREATE INDEX contacts_case_time ON contacts (case_id, occurred_at);",
    )
    .unwrap();
    diesel::table! {
        contacts (id) {
            id -> Text, case_id -> Text, occurred_at -> Timestamp, officer_id -> Text, channel -> Text,
            direction -> Text, duration_minutes -> Nullable<Integer>, discussion -> Text,
            family_summary -> Nullable<Text>, agreed_actions -> Nullable<Text>, recorded_by -> Text, recorded_at -> Timestamp,
        }
    }
    let start = Instant::now();
    for _ in 0..N {
        db::write(&mut bare, |conn| {
            diesel::insert_into(contacts::table)
                .values((
                    contacts::id.eq(liaison::domain::new_row_id()),
                    contacts::case_id.eq("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
                    contacts::occurred_at.eq(db::now()),
                    contacts::officer_id.eq("01ARZ3NDEKTSV4RRFFQ69G5FAW"),
                    contacts::channel.eq("visit"),
                    contacts::direction.eq("outbound"),
                    contacts::duration_minutes.eq(Some(40)),
                    contacts::discussion.eq(DISCUSSION),
                    contacts::recorded_by.eq("01ARZ3NDEKTSV4RRFFQ69G5FAW"),
                    contacts::recorded_at.eq(db::now()),
                ))
                .execute(conn)
        })
        .unwrap();
    }
    start.elapsed()
}

fn main() {
    db::init_tls();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The app.
    let settings = Settings {
        data_dir: dir.path().join("data"),
        database_url: Some(format!("sqlite://{}", dir.path().join("app.db").display())),
        bind: "127.0.0.1:0".into(),
        run_worker: false,
        pool_size: std::env::var("BENCH_POOL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(8),
        log_level: "warn".into(),
        ..Settings::default()
    };
    let bare_dir = dir.path().to_owned();
    let rounds = runtime.block_on(async move {
        let app = Application::build(Config::resolve(settings).unwrap()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let db = app.state().db.clone();
        tokio::spawn(app.run_until_stopped());
        let team_id = tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            let team = teams::create(&mut conn, &Actor::System, &TeamName::parse("n", "Bench").unwrap()).unwrap();
            let hash = liaison::auth::password::hash("bench password long").unwrap();
            for (role, email) in [(Role::Manager, "m@example.org"), (Role::Officer, "o@example.org")] {
                users::create(
                    &mut conn,
                    &Actor::System,
                    users::NewUser {
                        email: EmailAddress::parse("e", email).unwrap(),
                        display_name: PersonName::parse("n", "Bench").unwrap(),
                        role,
                        phone: None,
                        password_hash: hash.clone(),
                        password_change_required: false,
                        teams: vec![team.id.clone()],
                    },
                )
                .unwrap();
            }
            team.id
        })
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let token = |email: &'static str| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let res: Value = client
                    .post(format!("{base}/api/v1/auth/token"))
                    .json(&json!({"email": email, "password": "bench password long"}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                res["access_token"].as_str().unwrap().to_owned()
            }
        };
        let manager = token("m@example.org").await;
        let officer = token("o@example.org").await;
        let me: Value = client.get(format!("{base}/api/v1/me")).bearer_auth(&officer).send().await.unwrap().json().await.unwrap();
        let case: Value = client
            .post(format!("{base}/api/v1/cases"))
            .bearer_auth(&manager)
            .json(&json!({"team_id": team_id, "deceased_name": "Bench Case", "date_of_death": "2026-01-01"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let case_id = case["id"].as_str().unwrap().to_owned();
        client
            .post(format!("{base}/api/v1/cases/{case_id}/assignments"))
            .bearer_auth(&manager)
            .json(&json!({"user_id": me["id"], "role": "flo"}))
            .send()
            .await
            .unwrap();
        let url = format!("{base}/api/v1/cases/{case_id}/contacts");
        let body = json!({"channel": "visit", "direction": "outbound", "duration_minutes": 40, "discussion": DISCUSSION});
        // The load generator is a bare keep-alive HTTP/1.1 client sending the same bytes (as
        // wrk would), so that on a small machine the clients take as little CPU from the
        // server as they can.
        let body = body.to_string();
        let path = url.strip_prefix(&base).unwrap().to_owned();
        let addr = base.strip_prefix("http://").unwrap().to_owned();
        let request = std::sync::Arc::new(
            format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {officer}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        );
        let mut rounds = Vec::new();
        for round in 0..ROUNDS {
            let bare_dir = bare_dir.clone();
            let bare_time = tokio::task::spawn_blocking(move || bare_loop(&bare_dir, round)).await.unwrap();
            let start = Instant::now();
            let mut tasks = Vec::new();
            let clients = concurrency();
            for worker in 0..clients {
                let request = request.clone();
                let addr = addr.clone();
                tasks.push(tokio::spawn(async move {
                    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
                    conn.set_nodelay(true).unwrap();
                    let mut ok = 0;
                    for _ in (worker..N).step_by(clients) {
                        assert_eq!(exchange(&mut conn, &request).await, 201);
                        ok += 1;
                    }
                    ok
                }));
            }
            let mut logged = 0;
            for t in tasks {
                logged += t.await.unwrap();
            }
            assert_eq!(logged, N);
            rounds.push((bare_time, start.elapsed()));
        }
        rounds
    });
    let rate = |d: std::time::Duration| N as f64 / d.as_secs_f64();
    let mut ratios = Vec::new();
    for (round, (bare_time, api_time)) in rounds.iter().enumerate() {
        let ratio = rate(*api_time) / rate(*bare_time);
        ratios.push(ratio);
        println!(
            "round {}: bare SQLite insert loop {:.0} rows/s; POST /api/v1/cases/{{id}}/contacts ({} clients) {:.0} contacts/s; ratio {:.2}",
            round + 1,
            rate(*bare_time),
            concurrency(),
            rate(*api_time),
            ratio
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "median ratio api/bare over {ROUNDS} rounds: {:.2} (target >= 0.50)",
        ratios[ratios.len() / 2]
    );
}
