//! The timeliness dashboard of one team at 10,000 contacts in the database against the same
//! request at 1,000,000, in the same run: two databases, one with the medium national demo
//! set (2 teams, 10,000 contacts) and one with the large (200 teams, 1,000,000 contacts,
//! 200,000 follow-ups, 100,000 messages). Team 1 is generated the same in both, so the
//! request is the same and only the rest of the database differs. Also times generating each
//! set (`liaison demo --size medium|large` does the same work). P3.
//!
//!   cargo bench --bench dashboard                       (SQLite)
//!   LIAISON_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench dashboard
//!
//! Target: the large set's median response time at most 1.5 times the medium set's.
//! `BENCH_ROUNDS` (default 5) rounds of `BENCH_REQUESTS` (default 20) requests per period
//! and set, rounds alternating between the sets.
//!
//! `BENCH_LARGE_DB=file` (SQLite only) starts the large side from a copy of a database that
//! `liaison demo --size large` made (`benches/demo_load.rs` with `BENCH_KEEP_DATABASE`)
//! instead of generating it again. `BENCH_LARGE_SIZE=medium` generates the medium set on the
//! large side too (a quick run's smoke test: the ratio then shows noise only). Each period
//! ends with a `BENCH-RESULT` line (benches/run.sh).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{BenchDb, Outcome, Target, env_or};
use diesel::prelude::*;
use liaison::Application;
use liaison::config::{Config, Settings};
use liaison::db::{self, Db};
use liaison::demo::{self, national};
use serde_json::{Value, json};

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

/// Contacts in a national set of `size`.
fn contacts(size: national::Size) -> usize {
    size.teams() * national::CONTACTS_PER_TEAM
}

/// One app serving one of the two databases, and its team 1 manager's token.
struct Served {
    base: String,
    token: String,
    team: String,
}

async fn start(url: &str, dir: &std::path::Path) -> Served {
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
    Served {
        base,
        token: res["access_token"].as_str().unwrap().to_owned(),
        team,
    }
}

/// Times `n` requests one after another; each one's duration.
async fn round(client: &reqwest::Client, t: &Served, query: &str, n: usize) -> Vec<Duration> {
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
    let rounds = env_or("BENCH_ROUNDS", 5usize).max(1);
    let requests = env_or("BENCH_REQUESTS", 20usize).max(1);
    let large_file = std::env::var_os("BENCH_LARGE_DB").map(std::path::PathBuf::from);
    let large_size = match std::env::var("BENCH_LARGE_SIZE").as_deref() {
        Ok("medium") => national::Size::Medium,
        Ok("large") | Err(_) => national::Size::Large,
        Ok(other) => panic!("BENCH_LARGE_SIZE: {other:?} is not medium or large"),
    };
    let dir = tempfile::tempdir().unwrap();
    let engine = common::engine();
    println!("dashboard bench on {engine}");
    let small = BenchDb::create(dir.path(), "medium");
    let large = BenchDb::create(dir.path(), "large");
    println!(
        "medium set ({} contacts):",
        contacts(national::Size::Medium)
    );
    load(&small.url, national::Size::Medium);
    let large_contacts = match &large_file {
        Some(file) => {
            let into = large
                .sqlite_path()
                .expect("BENCH_LARGE_DB is a SQLite file: run without LIAISON_BENCH_DATABASE_URL");
            println!("large set: a copy of {}", file.display());
            common::copy_sqlite(file, &into);
            contacts(national::Size::Large)
        }
        None => {
            println!("large set ({} contacts):", contacts(large_size));
            load(&large.url, large_size);
            contacts(large_size)
        }
    };
    let small_contacts = contacts(national::Size::Medium);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let small_app = start(&small.url, &dir.path().join("small-data")).await;
        let large_app = start(&large.url, &dir.path().join("large-data")).await;
        let client = reqwest::Client::new();
        let today = liaison::casework::time::london_date(db::now());
        for (label, metric, days) in [
            ("28 days (the default)", "p50-28d", 27),
            ("366 days (the longest)", "p50-366d", 365),
        ] {
            let from = today - chrono::Duration::days(days);
            let query = format!("&from={from}&to={today}");
            // Warm up both.
            round(&client, &small_app, &query, 3).await;
            round(&client, &large_app, &query, 3).await;
            let (mut s_all, mut l_all) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                s_all.extend(round(&client, &small_app, &query, requests).await);
                l_all.extend(round(&client, &large_app, &query, requests).await);
            }
            let (s_med, l_med) = (median(&mut s_all), median(&mut l_all));
            let (s_p95, l_p95) = (p95(&mut s_all), p95(&mut l_all));
            let ratio = l_med.as_secs_f64() / s_med.as_secs_f64();
            println!(
                "period {label}: {small_contacts} contacts median {:.2} ms (p95 {:.2}); {large_contacts} contacts median {:.2} ms (p95 {:.2}); ratio {ratio:.2} (target <= 1.5)",
                ms(s_med),
                ms(s_p95),
                ms(l_med),
                ms(l_p95),
            );
            Outcome {
                scenario: "P3",
                engine,
                metric,
                unit: "ms",
                figure: ms(l_med),
                baseline: Some(ms(s_med)),
                ratio: Some(ratio),
                target: Target::AtMost(1.5),
                checks: vec![
                    (format!("contacts={large_contacts}/{small_contacts}"), true),
                    (format!("p95_ms={:.2}/{:.2}", ms(l_p95), ms(s_p95)), true),
                ],
            }
            .print();
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    drop(small);
    drop(large);
}
