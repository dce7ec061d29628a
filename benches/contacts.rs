//! Contacts logged per second through `POST /api/v1/cases/{id}/contacts` (the real app on
//! loopback: authentication, visibility, validation, the contact, its audit event, the
//! case's contact times; each contact atomic on its own, concurrent ones sharing a group
//! commit) against a bare SQLite loop inserting the same row with the same pragmas, one
//! transaction each, in the same run. Rounds alternate; the median ratio counts (P2).
//!
//!   cargo bench --bench contacts
//!   LIAISON_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench contacts
//!
//! Target: the API at least half the bare loop's rate. `BENCH_CLIENTS` (default 8) sets the
//! number of concurrent clients, `BENCH_POOL` (default 8) the app's connection pool size,
//! `BENCH_ROUNDS` (default 3) the rounds and `BENCH_CONTACTS` (default 2000) the contacts of
//! each. With `LIAISON_BENCH_DATABASE_URL` the app runs on a new PostgreSQL database on that
//! server (dropped at the end) and the bare loop stays on SQLite: its API figure against the
//! one on SQLite is P6. Ends with a `BENCH-RESULT` line (benches/run.sh).

use std::time::Instant;

/// The allocator the `liaison` binary uses (src/main.rs), so that the app in this process
/// runs as it does when deployed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/mod.rs"]
mod common;

use common::{BenchDb, DISCUSSION, Outcome, Target, env_or, median};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use liaison::Application;
use liaison::accounts::{teams, users};
use liaison::audit::Actor;
use liaison::config::{Config, Settings};
use liaison::db::{self, Db};
use liaison::domain::{EmailAddress, PersonName, Role, TeamName};
use serde_json::{Value, json};

/// The bare loop: the same row, the same pragmas, one transaction per insert.
fn bare_loop(dir: &std::path::Path, round: usize, n: usize) -> std::time::Duration {
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
    for _ in 0..n {
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
    let clients = env_or("BENCH_CLIENTS", 8usize).max(1);
    let rounds = env_or("BENCH_ROUNDS", 3usize).max(1);
    let n = env_or("BENCH_CONTACTS", 2000usize).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app_db = BenchDb::create(dir.path(), "contacts");
    let engine = app_db.engine();
    // The app.
    let settings = Settings {
        data_dir: dir.path().join("data"),
        database_url: Some(app_db.url.clone()),
        bind: "127.0.0.1:0".into(),
        run_worker: false,
        pool_size: env_or("BENCH_POOL", 8),
        log_level: "warn".into(),
        ..Settings::default()
    };
    let bare_dir = dir.path().to_owned();
    let measured = runtime.block_on(async move {
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
        let addr = base.strip_prefix("http://").unwrap().to_owned();
        let request = common::post_json_request(
            &addr,
            &format!("/api/v1/cases/{case_id}/contacts"),
            &officer,
            &common::contact_body(),
        );
        let mut measured = Vec::new();
        for round in 0..rounds {
            let bare_dir = bare_dir.clone();
            let bare_time = tokio::task::spawn_blocking(move || bare_loop(&bare_dir, round, n)).await.unwrap();
            let start = Instant::now();
            let mut tasks = Vec::new();
            for worker in 0..clients {
                let request = request.clone();
                let addr = addr.clone();
                tasks.push(tokio::spawn(async move {
                    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
                    conn.set_nodelay(true).unwrap();
                    let mut buf = Vec::with_capacity(4096);
                    let mut ok = 0;
                    for _ in (worker..n).step_by(clients) {
                        let status = common::exchange(&mut conn, &request, &mut buf).await.unwrap();
                        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&buf));
                        ok += 1;
                    }
                    ok
                }));
            }
            let mut logged = 0;
            for t in tasks {
                logged += t.await.unwrap();
            }
            assert_eq!(logged, n);
            measured.push((bare_time, start.elapsed()));
        }
        measured
    });
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    let mut ratios = Vec::new();
    for (round, (bare_time, api_time)) in measured.iter().enumerate() {
        let ratio = rate(*api_time) / rate(*bare_time);
        ratios.push(ratio);
        println!(
            "round {}: bare SQLite insert loop {:.0} rows/s; POST /api/v1/cases/{{id}}/contacts on {engine} ({clients} clients) {:.0} contacts/s; ratio {:.2}",
            round + 1,
            rate(*bare_time),
            rate(*api_time),
            ratio
        );
    }
    let ratio = median(ratios);
    println!("median ratio api/bare over {rounds} rounds: {ratio:.2} (target >= 0.50)");
    Outcome {
        scenario: "P2",
        engine,
        metric: "throughput",
        unit: "rows/s",
        figure: median(measured.iter().map(|(_, api)| rate(*api)).collect()),
        baseline: Some(median(
            measured.iter().map(|(bare, _)| rate(*bare)).collect(),
        )),
        ratio: Some(ratio),
        target: Target::AtLeast(0.5),
        checks: Vec::new(),
    }
    .print();
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    drop(app_db);
}
