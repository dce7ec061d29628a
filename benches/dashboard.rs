//! The timeliness dashboard of one team at 10,000 contacts in the database against the same
//! request at 1,000,000, in the same run: two databases, one with the medium national demo
//! set (2 teams, 10,000 contacts) and one with the large (200 teams, 1,000,000 contacts,
//! 200,000 follow-ups, 100,000 messages). Team 1 is generated the same in both, so the
//! request is the same and only the rest of the database differs. Also times generating each
//! set (`liaison demo --size medium|large` does the same work).
//!
//!   cargo bench --bench dashboard                       (SQLite)
//!   LIAISON_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench dashboard
//!
//! Target: the large set's median response time at most 1.5 times the medium set's.
//! `BENCH_ROUNDS` (default 5) rounds of `BENCH_REQUESTS` (default 20) requests per period
//! and set, rounds alternating between the sets.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use liaison::Application;
use liaison::config::{Config, Settings};
use liaison::db::{self, Db};
use liaison::demo::{self, national};
use serde_json::{Value, json};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fresh database: a file in `dir`, or a new PostgreSQL database (dropped at the end).
fn database(dir: &std::path::Path, label: &str) -> (String, Option<(String, String)>) {
    match std::env::var("LIAISON_BENCH_DATABASE_URL") {
        Ok(admin) => {
            let name = format!("liaison_bench_{label}_{}", std::process::id());
            let mut conn = diesel::PgConnection::establish(&admin).unwrap();
            conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                .unwrap();
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&name);
            (url.to_string(), Some((admin, name)))
        }
        Err(_) => (
            format!("sqlite://{}", dir.join(format!("{label}.db")).display()),
            None,
        ),
    }
}

/// Loads the demo data and the national set of `size`; how long the national set took.
fn load(url: &str, size: national::Size) -> Duration {
    let db = Db::connect(url, 1).unwrap();
    let mut conn = db.get().unwrap();
    db::migrate(&mut conn).unwrap();
    demo::load(&mut conn).unwrap();
    let started = Instant::now();
    let totals = national::generate(&mut conn, size, db::now(), |_| {}).unwrap();
    let took = started.elapsed();
    println!(
        "  generated {} teams: {} cases, {} contacts, {} follow-ups, {} messages in {:.1} s",
        totals.teams,
        totals.cases,
        totals.contacts,
        totals.follow_ups,
        totals.messages,
        took.as_secs_f64()
    );
    took
}

struct Target {
    base: String,
    token: String,
    team: String,
}

async fn start(url: &str, dir: &std::path::Path) -> Target {
    let settings = Settings {
        data_dir: dir.to_owned(),
        database_url: Some(url.to_owned()),
        bind: "127.0.0.1:0".into(),
        run_worker: false,
        log_level: "warn".into(),
        ..Settings::default()
    };
    let app = Application::build(Config::resolve(settings).unwrap())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    tokio::spawn(app.run_until_stopped());
    let team = tokio::task::spawn_blocking(move || {
        use liaison::db::schema::teams;
        let mut conn = db.get().unwrap();
        teams::table
            .filter(teams::name.eq(national::team_name(0)))
            .select(teams::id)
            .first::<String>(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap();
    let res: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": national::manager_email(0), "password": national::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Target {
        base,
        token: res["access_token"].as_str().unwrap().to_owned(),
        team,
    }
}

/// Times `n` requests one after another; each one's duration.
async fn round(client: &reqwest::Client, t: &Target, query: &str, n: usize) -> Vec<Duration> {
    let url = format!(
        "{}/api/v1/dashboard/timeliness?team_id={}{query}",
        t.base, t.team
    );
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let res = client.get(&url).bearer_auth(&t.token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body = res.bytes().await.unwrap();
        out.push(started.elapsed());
        assert!(body.len() > 1000);
    }
    out
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn p95(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[(v.len() * 95 / 100).min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    db::init_tls();
    let rounds = env_or("BENCH_ROUNDS", 5);
    let requests = env_or("BENCH_REQUESTS", 20);
    let dir = tempfile::tempdir().unwrap();
    let engine = if std::env::var("LIAISON_BENCH_DATABASE_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("dashboard bench on {engine}");
    let (small_url, small_pg) = database(dir.path(), "medium");
    let (large_url, large_pg) = database(dir.path(), "large");
    println!("medium set (10,000 contacts):");
    load(&small_url, national::Size::Medium);
    println!("large set (1,000,000 contacts):");
    load(&large_url, national::Size::Large);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let small = start(&small_url, &dir.path().join("small-data")).await;
        let large = start(&large_url, &dir.path().join("large-data")).await;
        let client = reqwest::Client::new();
        let today = liaison::casework::time::london_date(db::now());
        for (label, days) in [("28 days (the default)", 27), ("366 days (the longest)", 365)] {
            let from = today - chrono::Duration::days(days);
            let query = format!("&from={from}&to={today}");
            // Warm up both.
            round(&client, &small, &query, 3).await;
            round(&client, &large, &query, 3).await;
            let (mut s_all, mut l_all) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                s_all.extend(round(&client, &small, &query, requests).await);
                l_all.extend(round(&client, &large, &query, requests).await);
            }
            let (s_med, l_med) = (median(&mut s_all), median(&mut l_all));
            println!(
                "period {label}: 10,000 contacts median {:.2} ms (p95 {:.2}); 1,000,000 contacts median {:.2} ms (p95 {:.2}); ratio {:.2} (target <= 1.5)",
                ms(s_med),
                ms(p95(&mut s_all)),
                ms(l_med),
                ms(p95(&mut l_all)),
                l_med.as_secs_f64() / s_med.as_secs_f64()
            );
        }
    });
    drop(runtime);
    for (admin, name) in [small_pg, large_pg].into_iter().flatten() {
        let mut conn = diesel::PgConnection::establish(&admin).unwrap();
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
