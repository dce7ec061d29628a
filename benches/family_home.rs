//! The signed-in family home page (`GET /family`, a case with 20 shared timeline items)
//! against an actix-web hello-world, in the same run on the same machine, with the same
//! number of HTTP workers and the same keep-alive load.
//!
//!   cargo bench --bench family_home
//!   BENCH_PHASES=cached,afresh,writer cargo bench --bench family_home            (P1a, P1b, P5)
//!   LIAISON_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     BENCH_PHASES=afresh cargo bench --bench family_home                        (P1b on PostgreSQL, for P6)
//!   BENCH_NATIONAL_DB=target/bench-data/national-large.db \
//!     BENCH_PHASES=afresh,writer cargo bench --bench family_home                 (P7)
//!
//! The portal is the release binary (`liaison serve`) in its own process, so that its
//! resident memory under load can be read from /proc, on SQLite or, with
//! `LIAISON_BENCH_DATABASE_URL`, on a new PostgreSQL database on that server (dropped at the
//! end); the hello-world runs in this process. Each of `BENCH_ROUNDS` (default 3) rounds runs
//! the hello-world, then each phase of `BENCH_PHASES` on the portal; each lasts
//! `BENCH_SECONDS` (default 5) after a one-second warm-up, with `BENCH_CLIENTS` (default 16)
//! keep-alive connections. Ratios are taken within a round; the median over rounds counts.
//!
//! Phases:
//! - `cached` (P1a): `/family`, answered from memory after its first request
//!   (`family::cache`), as a relative opening it again gets it. Targets: throughput at least
//!   0.30 of the hello-world's, p99 latency within 4x of its p99.
//! - `afresh` (P1b): `/family?afresh` (an address with a query is never answered from
//!   memory), read from the database and rendered on every request, as on a first visit.
//!   Targets: 0.15 and 6x.
//! - `writer` (P5): the `afresh` pages while this process, through the API, logs
//!   `BENCH_WRITER_CONTACTS` (default 200) contacts and shares `BENCH_WRITER_UPDATES`
//!   (default 20) updates a second on another family's case. Target: throughput at least
//!   0.85 of the `afresh` phase's in the same round, no error from the readers or the writer,
//!   and the writer at 95 % of its rates or better.
//!
//! Without `BENCH_PHASES`, `BENCH_AFRESH=1` picks `afresh` and otherwise `cached`, as before.
//! `BENCH_STAFF_WRITES=N` has an officer share N updates a second on another family's case
//! during every `cached` and `afresh` phase.
//!
//! `BENCH_NATIONAL_DB=file` starts the portal's SQLite database from a copy of that file (one
//! `liaison demo --size large` made: `benches/demo_load.rs` with `BENCH_KEEP_DATABASE`), and
//! reports the portal's peak anonymous memory (`RssAnon` in /proc/PID/status, sampled every
//! 50 ms, so SQLite's file pages do not count) during the `afresh` and `writer` phases (P7,
//! target at most 64 MiB). Each scenario ends with a `BENCH-RESULT` line (benches/run.sh).

/// The allocator the `liaison` binary uses (src/main.rs), for the hello-world in this process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/mod.rs"]
mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{BenchDb, Outcome, Paced, Peak, Round, Target, env_or, median, mib};
use diesel::prelude::*;
use liaison::Application;
use liaison::accounts::{teams, users};
use liaison::audit::Actor;
use liaison::auth::session::Client;
use liaison::auth::tokens::Audience;
use liaison::config::{Config, Settings};
use liaison::db;
use liaison::domain::{EmailAddress, PersonName, RelativeId, Role, TeamName};
use serde_json::{Value, json};

const TIMELINE_ITEMS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Cached,
    Afresh,
    Writer,
}

impl Phase {
    fn parse(name: &str) -> Phase {
        match name.trim() {
            "cached" => Phase::Cached,
            "afresh" => Phase::Afresh,
            "writer" => Phase::Writer,
            other => panic!("BENCH_PHASES: no phase {other:?} (cached, afresh, writer)"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Phase::Cached => "cached",
            Phase::Afresh => "afresh",
            Phase::Writer => "afresh + writer",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Phase::Cached => "/family",
            Phase::Afresh | Phase::Writer => "/family?afresh",
        }
    }
}

/// The phases asked for, in order; `writer` brings `afresh` (its comparison) with it.
fn phases() -> Vec<Phase> {
    let mut phases: Vec<Phase> = match std::env::var("BENCH_PHASES") {
        Ok(list) => list
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Phase::parse)
            .collect(),
        Err(_) if env_or("BENCH_AFRESH", 0) == 1 => vec![Phase::Afresh],
        Err(_) => vec![Phase::Cached],
    };
    if let Some(at) = phases.iter().position(|p| *p == Phase::Writer)
        && !phases.contains(&Phase::Afresh)
    {
        phases.insert(at, Phase::Afresh);
    }
    let mut seen = Vec::new();
    phases.retain(|p| {
        let first = !seen.contains(p);
        seen.push(*p);
        first
    });
    assert!(!phases.is_empty(), "BENCH_PHASES names no phase");
    phases
}

/// One phase of one round.
struct Measured {
    page: Round,
    peak: Peak,
    /// Contacts logged and updates shared meanwhile.
    contacts: Paced,
    updates: Paced,
}

/// Each round's hello-world, and the measured phases of that round.
type Measurements = Vec<(Round, Vec<(Phase, Measured)>)>;

/// The rounds that ran `phase`: their hello-world and that phase.
fn of_phase(
    measured: &[(Round, Vec<(Phase, Measured)>)],
    phase: Phase,
) -> Vec<(&Round, &Measured)> {
    measured
        .iter()
        .filter_map(|(hello, of_round)| {
            let (_, m) = of_round.iter().find(|(p, _)| *p == phase)?;
            Some((hello, m))
        })
        .collect()
}

/// The median over rounds of `f` of the round's hello-world and phase.
fn median_by(pairs: &[(&Round, &Measured)], f: impl Fn(&Round, &Measured) -> f64) -> f64 {
    median(pairs.iter().map(|&(h, m)| f(h, m)).collect())
}

struct Portal(Child);

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn main() {
    db::init_tls();
    let clients = env_or("BENCH_CLIENTS", 16usize);
    let seconds = env_or("BENCH_SECONDS", 5u64);
    let rounds = env_or("BENCH_ROUNDS", 3usize).max(1);
    let phases = phases();
    let staff_writes_per_second = env_or("BENCH_STAFF_WRITES", 0u64);
    let writer_contacts = env_or("BENCH_WRITER_CONTACTS", 200u64);
    let writer_updates = env_or("BENCH_WRITER_UPDATES", 20u64);
    let national = std::env::var_os("BENCH_NATIONAL_DB").map(std::path::PathBuf::from);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let portal_db = BenchDb::create(dir.path(), "portal");
    let engine = portal_db.engine();
    if let Some(file) = &national {
        let into = portal_db
            .sqlite_path()
            .expect("BENCH_NATIONAL_DB is a SQLite file: run without LIAISON_BENCH_DATABASE_URL");
        common::copy_sqlite(file, &into);
    }
    let database_url = portal_db.url.clone();
    println!(
        "family home bench on {engine}{}: phases {:?}, {rounds} rounds of {seconds} s, {clients} clients",
        national
            .as_ref()
            .map_or_else(String::new, |f| format!(" with {}", f.display())),
        phases.iter().map(|p| p.name()).collect::<Vec<_>>()
    );
    let settings = Settings {
        data_dir: data_dir.clone(),
        database_url: Some(database_url.clone()),
        bind: "127.0.0.1:0".into(),
        run_worker: false,
        log_level: "warn".into(),
        ..Settings::default()
    };

    // A case with a family liaison officer, a relative with portal access and 20 shared
    // updates, written through the API of an app built in this process on the same database.
    let (cookie, officer_token, other_case) = runtime.block_on(async {
        let app = Application::build(Config::resolve(settings).unwrap()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        let db = state.db.clone();
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
                        display_name: PersonName::parse("n", "Alex Bench").unwrap(),
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
        let call = |method: reqwest::Method, path: String, token: String, body: Value| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let mut req = client.request(method, format!("{base}{path}")).json(&body);
                if !token.is_empty() {
                    req = req.bearer_auth(token);
                }
                let res = req.send().await.unwrap();
                assert!(res.status().is_success(), "{path}: {}", res.status());
                res.json::<Value>().await.unwrap()
            }
        };
        use reqwest::Method as M;
        let token = |email: &str| {
            call(M::POST, "/api/v1/auth/token".into(), String::new(), json!({"email": email, "password": "bench password long"}))
        };
        let manager = token("m@example.org").await["access_token"].as_str().unwrap().to_owned();
        let officer = token("o@example.org").await["access_token"].as_str().unwrap().to_owned();
        let me = call(M::GET, "/api/v1/me".into(), officer.clone(), json!(null)).await;
        let case = call(M::POST, "/api/v1/cases".into(), manager.clone(),
            json!({"team_id": team_id, "deceased_name": "Robin Ashdown", "date_of_death": "2026-10-01"})).await;
        let case_id = case["id"].as_str().unwrap().to_owned();
        call(M::POST, format!("/api/v1/cases/{case_id}/assignments"), manager.clone(),
            json!({"user_id": me["id"], "role": "flo", "visible_to_family": true, "contact_phone": "01632 960 555", "working_hours": "Mon-Fri 9-5"})).await;
        let relative = call(M::POST, format!("/api/v1/cases/{case_id}/relatives"), manager.clone(),
            json!({"full_name": "Jo Ashdown", "relationship": "daughter", "email": "jo.ashdown@example.org", "preferred_channel": "email"})).await;
        for i in 0..TIMELINE_ITEMS {
            call(M::POST, format!("/api/v1/cases/{case_id}/updates"), officer.clone(),
                json!({"title": format!("Update {} on the investigation", i + 1),
                       "body": "Your family liaison officer has news about the next steps and will call you to talk it through. Please get in touch at any time if you have questions.",
                       "shared_with_family": true})).await;
        }
        let rid = RelativeId::parse(relative["id"].as_str().unwrap()).unwrap();
        let db = state.db.clone();
        let (sid, version) = tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            use liaison::db::schema::relatives as r;
            diesel::update(r::table.find(&rid)).set(r::access_state.eq("active")).execute(&mut *conn).unwrap();
            let sid = liaison::family::session::create(&mut conn, &rid, Client::Browser, true, false, None, None).unwrap();
            let version: i64 = r::table.find(&rid).select(r::auth_version).first(&mut *conn).unwrap();
            (sid, version)
        })
        .await
        .unwrap();
        let (token, _) = state
            .auth
            .keys
            .issue(Audience::FamilyWeb, relative["id"].as_str().unwrap(), &sid, version, state.config.token_lifetime)
            .unwrap();
        // Another family's case, for the staff writes (BENCH_STAFF_WRITES, the P5 writer).
        let other = call(M::POST, "/api/v1/cases".into(), manager.clone(),
            json!({"team_id": team_id, "deceased_name": "Sam Hollins", "date_of_death": "2026-10-02"})).await;
        let other_id = other["id"].as_str().unwrap().to_owned();
        call(M::POST, format!("/api/v1/cases/{other_id}/assignments"), manager.clone(),
            json!({"user_id": me["id"], "role": "flo", "visible_to_family": true, "working_hours": "Mon-Fri 9-5"})).await;
        (token, officer, other_id)
    });

    // The portal, as deployed: the release binary on the same data directory and database.
    let port = free_port();
    let portal = Portal(
        common::liaison_command()
            .arg("serve")
            .env("LIAISON_BIND", format!("127.0.0.1:{port}"))
            .env("LIAISON_DATA_DIR", &data_dir)
            .env("LIAISON_DATABASE_URL", &database_url)
            .env("LIAISON_RUN_WORKER", "false")
            .env("LIAISON_LOG_LEVEL", "warn")
            .env("LIAISON_HTTP_WORKERS", workers.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the release binary"),
    );
    let pid = portal.0.id();
    let portal_addr = format!("127.0.0.1:{port}");
    let ready = Instant::now();
    while std::net::TcpStream::connect(&portal_addr).is_err() {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "the portal did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss = common::proc_kib(pid, "VmRSS:").unwrap_or(0);
    let idle_anon = common::proc_kib(pid, "RssAnon:").unwrap_or(0);

    // The hello-world, with as many workers.
    let hello_port = free_port();
    let hello_addr = format!("127.0.0.1:{hello_port}");
    let (tx, rx) = std::sync::mpsc::channel();
    let hello_thread = {
        let hello_addr = hello_addr.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new()
                .block_on(async move {
                    let server = actix_web::HttpServer::new(|| {
                        actix_web::App::new()
                            .route("/", actix_web::web::get().to(|| async { "Hello world!" }))
                    })
                    .workers(workers)
                    .bind(&hello_addr)
                    .unwrap()
                    .run();
                    tx.send(server.handle()).unwrap();
                    server.await
                })
                .unwrap();
        })
    };
    let hello_handle = rx.recv().unwrap();

    let family_headers = format!("Cookie: liaison_family={cookie}\r\nAccept: text/html\r\n");
    let hello_request = common::get_request(&hello_addr, "/", "Accept: text/html\r\n");
    let contact_request = common::post_json_request(
        &portal_addr,
        &format!("/api/v1/cases/{other_case}/contacts"),
        &officer_token,
        &common::contact_body(),
    );
    let update_request = common::post_json_request(
        &portal_addr,
        &format!("/api/v1/cases/{other_case}/updates"),
        &officer_token,
        &json!({"title": "An update for another family", "body": "Details.", "shared_with_family": true}).to_string(),
    );
    let mut measured: Measurements = Vec::new();
    runtime.block_on(async {
        // One page of each kind, checked: 20 items, the newest listed.
        for path in ["/family", "/family?afresh"] {
            let request = common::get_request(&portal_addr, path, &family_headers);
            let mut conn = tokio::net::TcpStream::connect(&portal_addr).await.unwrap();
            let mut buf = Vec::new();
            let status = common::exchange(&mut conn, &request, &mut buf).await.unwrap();
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&buf));
            let page = String::from_utf8_lossy(&buf);
            assert!(
                page.contains("Update 20 on the investigation"),
                "the newest update is on the home page"
            );
            println!(
                "family home page ({path}): {} bytes; {} of the case's {TIMELINE_ITEMS} shared updates listed as new",
                buf.len(),
                page.matches("on the investigation").count()
            );
        }
        for _ in 0..rounds {
            let hello = common::load(&hello_addr, hello_request.clone(), b"Hello world!", clients, seconds).await;
            let mut of_round = Vec::new();
            for &phase in &phases {
                let run_for = Duration::from_secs(seconds + 1);
                let (contacts_per_second, updates_per_second) = match phase {
                    Phase::Writer => (writer_contacts, writer_updates),
                    Phase::Cached | Phase::Afresh => (0, staff_writes_per_second),
                };
                let contacts = tokio::spawn(common::paced(
                    portal_addr.clone(),
                    contact_request.clone(),
                    201,
                    contacts_per_second,
                    run_for,
                ));
                let updates = tokio::spawn(common::paced(
                    portal_addr.clone(),
                    update_request.clone(),
                    201,
                    updates_per_second,
                    run_for,
                ));
                let sampler = tokio::spawn(common::peak_memory(pid, Instant::now() + run_for));
                let page = common::load(
                    &portal_addr,
                    common::get_request(&portal_addr, phase.path(), &family_headers),
                    b"Update 20 on the investigation",
                    clients,
                    seconds,
                )
                .await;
                of_round.push((
                    phase,
                    Measured {
                        page,
                        peak: sampler.await.unwrap(),
                        contacts: contacts.await.unwrap(),
                        updates: updates.await.unwrap(),
                    },
                ));
            }
            measured.push((hello, of_round));
        }
    });
    let hwm = common::proc_kib(pid, "VmHWM:").unwrap_or(0);

    for (i, (hello, of_round)) in measured.iter().enumerate() {
        println!(
            "round {}: hello-world {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
            i + 1,
            hello.rate(),
            hello.percentile(0.50),
            hello.percentile(0.99)
        );
        for (phase, m) in of_round {
            let mut writes = String::new();
            if m.contacts.done + m.contacts.errors > 0 {
                writes += &format!(
                    "; {:.1} contacts/s logged ({} errors)",
                    m.contacts.rate(),
                    m.contacts.errors
                );
            }
            if m.updates.done + m.updates.errors > 0 {
                writes += &format!(
                    "; {:.1} updates/s shared ({} errors)",
                    m.updates.rate(),
                    m.updates.errors
                );
            }
            println!(
                "  {:<15} {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors | throughput ratio {:.2}, p99 ratio {:.2} | peak RSS {:.1} MiB, RssAnon {:.1} MiB{writes}",
                phase.name(),
                m.page.rate(),
                m.page.percentile(0.50),
                m.page.percentile(0.99),
                m.page.errors,
                m.page.rate() / hello.rate(),
                m.page.percentile(0.99) / hello.percentile(0.99),
                mib(m.peak.rss),
                mib(m.peak.anon)
            );
        }
    }
    println!(
        "portal memory: idle RSS {:.1} MiB (RssAnon {:.1} MiB); high-water mark {:.1} MiB",
        mib(idle_rss),
        mib(idle_anon),
        mib(hwm)
    );

    for (phase, scenario, min_throughput, max_p99) in [
        (Phase::Cached, "P1a", 0.30, 4.0),
        (Phase::Afresh, "P1b", 0.15, 6.0),
    ] {
        let pairs = of_phase(&measured, phase);
        if pairs.is_empty() {
            continue;
        }
        let errors: u64 = pairs.iter().map(|(_, m)| m.page.errors).sum();
        println!(
            "{scenario} ({}): median over {rounds} rounds ({clients} clients, {seconds} s, {workers} workers each): throughput ratio {:.2} (target >= {min_throughput}), p99 ratio {:.2} (target <= {max_p99})",
            phase.name(),
            median_by(&pairs, |h, m| m.page.rate() / h.rate()),
            median_by(&pairs, |h, m| m.page.percentile(0.99) / h.percentile(0.99)),
        );
        Outcome {
            scenario,
            engine,
            metric: "throughput",
            unit: "req/s",
            figure: median_by(&pairs, |_, m| m.page.rate()),
            baseline: Some(median_by(&pairs, |h, _| h.rate())),
            ratio: Some(median_by(&pairs, |h, m| m.page.rate() / h.rate())),
            target: Target::AtLeast(min_throughput),
            checks: vec![(format!("errors={errors}"), errors == 0)],
        }
        .print();
        Outcome {
            scenario,
            engine,
            metric: "p99",
            unit: "ms",
            figure: median_by(&pairs, |_, m| m.page.percentile(0.99)),
            baseline: Some(median_by(&pairs, |h, _| h.percentile(0.99))),
            ratio: Some(median_by(&pairs, |h, m| {
                m.page.percentile(0.99) / h.percentile(0.99)
            })),
            target: Target::AtMost(max_p99),
            checks: Vec::new(),
        }
        .print();
    }

    // P5: the afresh pages with the writer against those without, round by round.
    let pairs: Vec<(&Measured, &Measured)> = measured
        .iter()
        .filter_map(|(_, of_round)| {
            let (_, alone) = of_round.iter().find(|(p, _)| *p == Phase::Afresh)?;
            let (_, written) = of_round.iter().find(|(p, _)| *p == Phase::Writer)?;
            Some((alone, written))
        })
        .collect();
    if !pairs.is_empty() {
        let errors: u64 = pairs
            .iter()
            .map(|(alone, w)| {
                alone.page.errors + w.page.errors + w.contacts.errors + w.updates.errors
            })
            .sum();
        let contacts = median(pairs.iter().map(|(_, w)| w.contacts.rate()).collect());
        let updates = median(pairs.iter().map(|(_, w)| w.updates.rate()).collect());
        let ratio = median(
            pairs
                .iter()
                .map(|(a, w)| w.page.rate() / a.page.rate())
                .collect(),
        );
        println!(
            "P5: afresh pages with {contacts:.1} contacts/s and {updates:.1} updates/s written (asked: {writer_contacts} and {writer_updates}) against without: median ratio {ratio:.2} (target >= 0.85), {errors} errors (target 0)"
        );
        Outcome {
            scenario: "P5",
            engine,
            metric: "throughput",
            unit: "req/s",
            figure: median(pairs.iter().map(|(_, w)| w.page.rate()).collect()),
            baseline: Some(median(pairs.iter().map(|(a, _)| a.page.rate()).collect())),
            ratio: Some(ratio),
            target: Target::AtLeast(0.85),
            checks: vec![
                (format!("errors={errors}"), errors == 0),
                (
                    format!("contacts_per_s={contacts:.1}"),
                    contacts >= 0.95 * writer_contacts as f64,
                ),
                (
                    format!("updates_per_s={updates:.1}"),
                    updates >= 0.95 * writer_updates as f64,
                ),
            ],
        }
        .print();
    }

    // P7: the portal's anonymous memory at its peak during P1b and P5, with the national set.
    if national.is_some() {
        let peak = measured
            .iter()
            .flat_map(|(_, of_round)| of_round.iter())
            .filter(|(p, _)| matches!(p, Phase::Afresh | Phase::Writer))
            .fold(Peak::default(), |peak, (_, m)| peak.max(m.peak));
        if peak.anon > 0 {
            Outcome {
                scenario: "P7",
                engine,
                metric: "rss_anon_peak",
                unit: "MiB",
                figure: mib(peak.anon),
                baseline: None,
                ratio: None,
                target: Target::AtMost(64.0),
                checks: vec![
                    (format!("vmrss_peak_mib={:.1}", mib(peak.rss)), true),
                    (format!("rss_anon_idle_mib={:.1}", mib(idle_anon)), true),
                ],
            }
            .print();
        }
    }

    runtime.block_on(hello_handle.stop(true));
    hello_thread.join().unwrap();
    drop(portal);
    runtime.shutdown_timeout(Duration::from_secs(5));
    drop(portal_db);
}
