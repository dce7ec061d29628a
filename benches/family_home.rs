//! The signed-in family home page (`GET /family`, a case with 20 shared timeline items)
//! against an actix-web hello-world, in the same run on the same machine, with the same
//! number of HTTP workers and the same keep-alive load.
//!
//!   cargo bench --bench family_home
//!
//! The portal is the release binary (`liaison serve`) in its own process on SQLite, so that
//! its resident memory under load can be read from /proc; the hello-world runs in this
//! process. Rounds alternate (hello, portal, hello, portal, ...); each lasts `BENCH_SECONDS`
//! (default 5) after a one-second warm-up, with `BENCH_CLIENTS` (default 16) keep-alive
//! connections. Targets: throughput at least 0.30 of the hello-world's and p99 latency
//! within 4x of its p99.
//!
//! After its first request the page is answered from memory (`family::cache`), as a relative
//! opening it again would be; `BENCH_AFRESH=1` asks for `/family?afresh` instead, which is
//! read from the database and rendered on every request. `BENCH_STAFF_WRITES=N` has an
//! officer share N updates a second on another family's case during each family round.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

const ROUNDS: usize = 3;
const TIMELINE_ITEMS: usize = 20;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sends one request on a kept-alive connection and reads the whole answer; its status.
async fn exchange(conn: &mut tokio::net::TcpStream, request: &[u8], buf: &mut Vec<u8>) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.write_all(request).await.unwrap();
    buf.clear();
    let mut chunk = [0u8; 16384];
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

struct Round {
    requests: usize,
    elapsed: Duration,
    /// Sorted latencies, microseconds.
    latencies: Vec<u32>,
}

impl Round {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        f64::from(self.latencies[i.min(self.latencies.len() - 1)]) / 1000.0
    }
}

/// `clients` connections send `request` back to back: a warm-up second, then `seconds`
/// measured.
async fn load(
    addr: &str,
    request: Arc<Vec<u8>>,
    expect: &'static [u8],
    clients: usize,
    seconds: u64,
) -> Round {
    let warm_until = Instant::now() + Duration::from_secs(1);
    let stop_at = warm_until + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (request, addr) = (request.clone(), addr.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
            conn.set_nodelay(true).unwrap();
            let mut buf = Vec::with_capacity(65536);
            let mut latencies = Vec::with_capacity(200_000);
            loop {
                let t0 = Instant::now();
                if t0 >= stop_at {
                    break;
                }
                let status = exchange(&mut conn, &request, &mut buf).await;
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&buf));
                if t0 >= warm_until {
                    latencies.push(t0.elapsed().as_micros() as u32);
                }
            }
            assert!(
                buf.windows(expect.len()).any(|w| w == expect),
                "the answer is not the page expected"
            );
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    latencies.sort_unstable();
    Round {
        requests: latencies.len(),
        elapsed: Duration::from_secs(seconds),
        latencies,
    }
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}

/// An officer shares updates on another family's case, `per_second` a second, for
/// `seconds`; how many. Each write is database work in the portal's process, after which
/// the next family request first reads what changed.
async fn staff_writes(
    addr: String,
    token: String,
    case: String,
    per_second: u64,
    seconds: u64,
) -> u64 {
    if per_second == 0 {
        return 0;
    }
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/v1/cases/{case}/updates");
    let stop_at = Instant::now() + Duration::from_secs(seconds);
    let mut every = tokio::time::interval(Duration::from_micros(1_000_000 / per_second));
    let mut written = 0;
    while Instant::now() < stop_at {
        every.tick().await;
        let res = client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"title": "An update for another family", "body": "Details.", "shared_with_family": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        written += 1;
    }
    written
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
    let clients = env_or("BENCH_CLIENTS", 16) as usize;
    let seconds = env_or("BENCH_SECONDS", 5);
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
    let database_url = format!("sqlite://{}", dir.path().join("portal.db").display());
    let settings = Settings {
        data_dir: data_dir.clone(),
        database_url: Some(database_url.clone()),
        bind: "127.0.0.1:0".into(),
        run_worker: false,
        log_level: "warn".into(),
        ..Settings::default()
    };

    // A case with a family liaison officer, a relative with portal access and 20 shared
    // updates, written through the API of an app built in this process on the same files.
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
            let sid = liaison::family::session::create(&mut conn, &rid, Client::Browser, true, None, None).unwrap();
            let version: i64 = r::table.find(&rid).select(r::auth_version).first(&mut *conn).unwrap();
            (sid, version)
        })
        .await
        .unwrap();
        let (token, _) = state
            .keys
            .issue(Audience::FamilyWeb, relative["id"].as_str().unwrap(), &sid, version, state.config.token_lifetime)
            .unwrap();
        // Another family's case, for the staff writes of BENCH_STAFF_WRITES.
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
        Command::new(env!("CARGO_BIN_EXE_liaison"))
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
    let idle_rss = rss_kib(pid, "VmRSS:");

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

    // An address with a query is never answered from memory.
    let staff_writes_per_second = env_or("BENCH_STAFF_WRITES", 0);
    let path = if env_or("BENCH_AFRESH", 0) == 1 {
        "/family?afresh"
    } else {
        "/family"
    };
    let family_request = Arc::new(
        format!("GET {path} HTTP/1.1\r\nHost: {portal_addr}\r\nCookie: liaison_family={cookie}\r\nAccept: text/html\r\n\r\n").into_bytes(),
    );
    let hello_request = Arc::new(
        format!("GET / HTTP/1.1\r\nHost: {hello_addr}\r\nAccept: text/html\r\n\r\n").into_bytes(),
    );
    let mut pairs = Vec::new();
    let mut peak_rss_under_load = 0;
    runtime.block_on(async {
        // One page, checked: 20 items, and the relative's name.
        let mut conn = tokio::net::TcpStream::connect(&portal_addr).await.unwrap();
        let mut buf = Vec::new();
        assert_eq!(exchange(&mut conn, &family_request, &mut buf).await, 200);
        let page = String::from_utf8_lossy(&buf);
        let shown = page.matches("on the investigation").count();
        assert!(
            page.contains("Update 20 on the investigation"),
            "the newest update is on the home page"
        );
        println!(
            "family home page: {} bytes; {shown} of the case's {TIMELINE_ITEMS} shared updates listed as new",
            buf.len()
        );
        for _ in 0..ROUNDS {
            let h = load(
                &hello_addr,
                hello_request.clone(),
                b"Hello world!",
                clients,
                seconds,
            )
            .await;
            let writer = tokio::spawn(staff_writes(
                portal_addr.clone(),
                officer_token.clone(),
                other_case.clone(),
                staff_writes_per_second,
                seconds + 1,
            ));
            let sampler = tokio::spawn(async move {
                let mut peak = 0;
                for _ in 0..(seconds * 4 + 4) {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    peak = peak.max(rss_kib(pid, "VmRSS:"));
                }
                peak
            });
            let f = load(
                &portal_addr,
                family_request.clone(),
                b"Update 20 on the investigation",
                clients,
                seconds,
            )
            .await;
            peak_rss_under_load = peak_rss_under_load.max(sampler.await.unwrap());
            let written = writer.await.unwrap();
            if staff_writes_per_second > 0 {
                println!("staff wrote {written} shared updates on another case during the round");
            }
            pairs.push((h, f));
        }
    });
    let hwm = rss_kib(pid, "VmHWM:");
    let mut throughput = Vec::new();
    let mut p99s = Vec::new();
    for (i, (h, f)) in pairs.iter().enumerate() {
        let (t, p) = (f.rate() / h.rate(), f.percentile(0.99) / h.percentile(0.99));
        throughput.push(t);
        p99s.push(p);
        println!(
            "round {}: hello-world {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms | family home {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms | throughput ratio {:.2}, p99 ratio {:.2}",
            i + 1,
            h.rate(),
            h.percentile(0.50),
            h.percentile(0.99),
            f.rate(),
            f.percentile(0.50),
            f.percentile(0.99),
            t,
            p
        );
    }
    throughput.sort_by(f64::total_cmp);
    p99s.sort_by(f64::total_cmp);
    println!(
        "median over {ROUNDS} rounds ({clients} clients, {seconds} s, {workers} workers each): throughput ratio {:.2} (target >= 0.30), p99 ratio {:.2} (target <= 4.0)",
        throughput[ROUNDS / 2],
        p99s[ROUNDS / 2]
    );
    println!(
        "portal RSS: idle {:.1} MiB, peak sampled under load {:.1} MiB, high-water mark {:.1} MiB",
        idle_rss as f64 / 1024.0,
        peak_rss_under_load as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    runtime.block_on(hello_handle.stop(true));
    hello_thread.join().unwrap();
    drop(portal);
}
