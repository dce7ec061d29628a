//! What the benches share: the bare keep-alive HTTP/1.1 load generator, a paced writer, a
//! process's memory read from /proc, a fresh database on either engine, the release binary
//! started with a clean environment, and the `BENCH-RESULT` line `benches/run.sh` collects.
//!
//! Each bench includes it with `#[path = "common/mod.rs"] mod common;`. It is not a bench
//! itself: Cargo builds `benches/*.rs` and the `[[bench]]` targets only.

// Each bench uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A setting from the environment, or `default` when it is unset or does not parse.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median (the upper one of an even count), or NaN for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// What every bench contact says.
pub const DISCUSSION: &str = "Visited the family at home. Went through the post-mortem process, answered questions about the coroner and agreed to call again on Friday.";

/// The JSON body of a contact, as the contacts bench and the P5 writer log it.
pub fn contact_body() -> String {
    serde_json::json!({
        "channel": "visit",
        "direction": "outbound",
        "duration_minutes": 40,
        "discussion": DISCUSSION
    })
    .to_string()
}

/// The bytes of a `GET` of `path`; `headers` are whole lines, each ending in `\r\n`.
pub fn get_request(addr: &str, path: &str, headers: &str) -> Arc<Vec<u8>> {
    Arc::new(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n").into_bytes())
}

/// The bytes of a `POST` of the JSON `body` to `path` with a bearer token. The load
/// generator sends the same bytes on every exchange (as wrk would), so that on a small
/// machine the clients take as little CPU from the server as they can.
pub fn post_json_request(addr: &str, path: &str, token: &str, body: &str) -> Arc<Vec<u8>> {
    Arc::new(
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn broken(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// Sends one request on a kept-alive connection and reads the whole answer into `buf`; its
/// status.
pub async fn exchange(
    conn: &mut TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<u16> {
    conn.write_all(request).await?;
    buf.clear();
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        read_more(conn, &mut chunk, buf, "the server closed the connection").await?;
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| broken("a head not in UTF-8"))?;
    let status: u16 = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| broken("no status"))?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .ok_or_else(|| broken("no Content-Length"))?;
    while buf.len() < head_end + length {
        let closed = "the server closed the connection mid-answer";
        read_more(conn, &mut chunk, buf, closed).await?;
    }
    Ok(status)
}

/// Reads what has arrived on `conn` onto the end of `buf`; `closed` says what an end of the
/// connection here means.
async fn read_more(
    conn: &mut TcpStream,
    chunk: &mut [u8],
    buf: &mut Vec<u8>,
    closed: &'static str,
) -> std::io::Result<()> {
    let n = conn.read(chunk).await?;
    if n == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            closed,
        ));
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// One measured stretch of closed-loop load.
pub struct Round {
    /// Requests answered 200 while measuring.
    pub requests: usize,
    /// Other answers, and broken or refused connections, while measuring.
    pub errors: u64,
    pub seconds: f64,
    /// Sorted latencies of the answered requests, microseconds.
    latencies: Vec<u32>,
}

impl Round {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// A latency percentile in milliseconds (`p` in 0..=1), NaN if nothing was answered.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        f64::from(self.latencies[i.min(self.latencies.len() - 1)]) / 1000.0
    }
}

/// `clients` keep-alive connections send `request` back to back: a warm-up second, then
/// `seconds` measured. A 200 answer counts, anything else is an error (a broken connection
/// is opened again). The last answer of each connection, when a 200, must contain `expect`.
pub async fn load(
    addr: &str,
    request: Arc<Vec<u8>>,
    expect: &'static [u8],
    clients: usize,
    seconds: u64,
) -> Round {
    let warm_until = Instant::now() + Duration::from_secs(1);
    let stop_at = warm_until + Duration::from_secs(seconds);
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (request, addr) = (request.clone(), addr.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut conn: Option<TcpStream> = None;
            let mut buf = Vec::with_capacity(65536);
            let mut latencies = Vec::with_capacity(200_000);
            let mut errors = 0u64;
            let mut last_ok = false;
            loop {
                let t0 = Instant::now();
                if t0 >= stop_at {
                    break;
                }
                let measured = t0 >= warm_until;
                if conn.is_none() {
                    match TcpStream::connect(addr.as_str()).await {
                        Ok(c) => {
                            let _ = c.set_nodelay(true);
                            conn = Some(c);
                        }
                        Err(_) => {
                            errors += u64::from(measured);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                match exchange(c, &request, &mut buf).await {
                    Ok(200) => {
                        last_ok = true;
                        if measured {
                            latencies.push(t0.elapsed().as_micros() as u32);
                        }
                    }
                    Ok(_) => {
                        last_ok = false;
                        errors += u64::from(measured);
                    }
                    Err(_) => {
                        last_ok = false;
                        errors += u64::from(measured);
                        conn = None;
                    }
                }
            }
            if last_ok {
                assert!(
                    buf.windows(expect.len()).any(|w| w == expect),
                    "the answer is not the page expected: {}",
                    String::from_utf8_lossy(&buf)
                );
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await.expect("a load client");
        latencies.extend(l);
        errors += e;
    }
    latencies.sort_unstable();
    Round {
        requests: latencies.len(),
        errors,
        seconds: seconds as f64,
        latencies,
    }
}

/// What a paced writer did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Paced {
    /// Requests answered with the expected status.
    pub done: u64,
    /// Other answers, and broken or refused connections.
    pub errors: u64,
    pub seconds: f64,
}

impl Paced {
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.seconds
    }
}

/// Sends `request` `per_second` times a second for `run_for`, from one keep-alive connection
/// per ten a second, each on its own schedule, staggered. A connection that falls behind
/// (a slow answer) sends the requests it owes at once, so the rate holds as long as the
/// server keeps up on the whole. Answers other than `ok` are errors.
pub async fn paced(
    addr: String,
    request: Arc<Vec<u8>>,
    ok: u16,
    per_second: u64,
    run_for: Duration,
) -> Paced {
    let seconds = run_for.as_secs_f64();
    if per_second == 0 {
        return Paced {
            seconds,
            ..Paced::default()
        };
    }
    let connections = per_second.div_ceil(10);
    let period = Duration::from_secs_f64(connections as f64 / per_second as f64);
    let start = tokio::time::Instant::now();
    let stop_at = start + run_for;
    let mut tasks = Vec::new();
    for i in 0..connections {
        let (addr, request) = (addr.clone(), request.clone());
        let first = start + period.mul_f64(i as f64 / connections as f64);
        tasks.push(tokio::spawn(async move {
            let mut every = tokio::time::interval_at(first, period);
            let mut conn: Option<TcpStream> = None;
            let mut buf = Vec::with_capacity(4096);
            let (mut done, mut errors) = (0u64, 0u64);
            loop {
                if every.tick().await >= stop_at {
                    break;
                }
                if conn.is_none() {
                    match TcpStream::connect(addr.as_str()).await {
                        Ok(c) => {
                            let _ = c.set_nodelay(true);
                            conn = Some(c);
                        }
                        Err(_) => {
                            errors += 1;
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                match exchange(c, &request, &mut buf).await {
                    Ok(status) if status == ok => done += 1,
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        conn = None;
                    }
                }
            }
            (done, errors)
        }));
    }
    let mut total = Paced {
        seconds,
        ..Paced::default()
    };
    for t in tasks {
        let (done, errors) = t.await.expect("a paced writer");
        total.done += done;
        total.errors += errors;
    }
    total
}

/// A field of `/proc/PID/status` in KiB (`"VmRSS:"`, `"RssAnon:"`, `"VmHWM:"`), or `None`
/// once the process is gone.
pub fn proc_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    field_kib(&status, field)
}

fn field_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// Peak memory of a process as sampled, KiB.
#[derive(Debug, Default, Clone, Copy)]
pub struct Peak {
    /// Resident memory, file pages included.
    pub rss: u64,
    /// Anonymous resident memory only (heap, stacks): SQLite's file pages do not count.
    pub anon: u64,
}

impl Peak {
    pub fn max(self, other: Peak) -> Peak {
        Peak {
            rss: self.rss.max(other.rss),
            anon: self.anon.max(other.anon),
        }
    }
}

/// Samples `VmRSS` and `RssAnon` of `pid` every 50 ms until `until`; the highest of each.
pub async fn peak_memory(pid: u32, until: Instant) -> Peak {
    let mut peak = Peak::default();
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            peak = peak.max(Peak {
                rss: field_kib(&status, "VmRSS:").unwrap_or(0),
                anon: field_kib(&status, "RssAnon:").unwrap_or(0),
            });
        }
        if Instant::now() >= until {
            return peak;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The engine the benches use: PostgreSQL when `LIAISON_BENCH_DATABASE_URL` names a server
/// (`postgres://postgres@127.0.0.1:5432/postgres`), SQLite otherwise. The names are
/// `liaison::db::Engine::name`'s.
pub fn engine() -> &'static str {
    if std::env::var_os("LIAISON_BENCH_DATABASE_URL").is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// A fresh database for one bench: a SQLite file in the bench's directory, or a new
/// PostgreSQL database on the server of `LIAISON_BENCH_DATABASE_URL`, dropped with this.
pub struct BenchDb {
    pub url: String,
    /// The server's admin URL and the database's name, on PostgreSQL.
    pg: Option<(String, String)>,
}

impl BenchDb {
    /// `label`: lower-case letters and underscores (part of a file or database name).
    pub fn create(dir: &Path, label: &str) -> BenchDb {
        match std::env::var("LIAISON_BENCH_DATABASE_URL") {
            Ok(admin) => {
                let name = format!("liaison_bench_{label}_{}", std::process::id());
                let mut conn = diesel::PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("LIAISON_BENCH_DATABASE_URL: {e}"));
                conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                    .unwrap();
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                BenchDb {
                    url: url.to_string(),
                    pg: Some((admin, name)),
                }
            }
            Err(_) => BenchDb {
                url: format!("sqlite://{}", dir.join(format!("{label}.db")).display()),
                pg: None,
            },
        }
    }

    pub fn engine(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// The file, on SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.pg
            .is_none()
            .then(|| PathBuf::from(liaison::db::sqlite_path(&self.url)))
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// `path` with `suffix` added to its file name (`-wal`, `-shm`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Copies a SQLite database file, with its write-ahead log if one was left, to `to`
/// (replacing what was there).
pub fn copy_sqlite(from: &Path, to: &Path) {
    assert!(
        from.is_file(),
        "{} is not a SQLite database file",
        from.display()
    );
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(to, suffix));
    }
    let started = Instant::now();
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
    if with_suffix(from, "-wal").is_file() {
        std::fs::copy(with_suffix(from, "-wal"), with_suffix(to, "-wal")).unwrap();
    }
    println!(
        "copied {} ({:.0} MiB) in {:.1} s",
        from.display(),
        std::fs::metadata(to).map_or(0.0, |m| m.len() as f64 / 1048576.0),
        started.elapsed().as_secs_f64()
    );
}

/// The release binary (`liaison`), as Cargo built it for the benches, with no `LIAISON_*`
/// variable of the caller's environment (the benches' own, such as
/// `LIAISON_BENCH_DATABASE_URL`, are not settings and would be refused) and run from the
/// temporary directory (so that no `liaison.toml` is picked up).
pub fn liaison_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_liaison"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LIAISON_") {
            command.env_remove(&key);
        }
    }
    command.current_dir(std::env::temp_dir());
    command
}

/// When a scenario is met.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    pub fn met(self, value: f64) -> bool {
        match self {
            Target::AtLeast(t) => value >= t,
            Target::AtMost(t) => value <= t,
        }
    }

    fn text(self) -> String {
        match self {
            Target::AtLeast(t) => format!(">={t}"),
            Target::AtMost(t) => format!("<={t}"),
        }
    }
}

/// A figure as the results line gives it: whole above 100, else up to two decimals.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        "-".to_owned()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// One scenario's result, printed as one line for `benches/run.sh`:
///
/// `BENCH-RESULT scenario=P1a engine=sqlite metric=throughput figure=67477 baseline=95602
/// unit=req/s ratio=0.71 target=>=0.3 errors=0 pass=yes`
///
/// Fields are `key=value` separated by single spaces, no value holds a space, `-` stands for
/// none; `scenario`, `engine` and `metric` come first, `pass` last, and any further facts
/// (`errors=0`) just before it.
pub struct Outcome<'a> {
    pub scenario: &'a str,
    pub engine: &'a str,
    pub metric: &'a str,
    pub unit: &'a str,
    pub figure: f64,
    pub baseline: Option<f64>,
    /// What the target is checked against; without one, the figure itself.
    pub ratio: Option<f64>,
    pub target: Target,
    /// Further facts (`key=value`), each with whether it is as the scenario requires.
    pub checks: Vec<(String, bool)>,
}

impl Outcome<'_> {
    pub fn passed(&self) -> bool {
        let judged = self.ratio.unwrap_or(self.figure);
        judged.is_finite() && self.target.met(judged) && self.checks.iter().all(|(_, ok)| *ok)
    }

    pub fn print(&self) {
        let mut line = format!(
            "BENCH-RESULT scenario={} engine={} metric={} figure={} baseline={} unit={} ratio={} target={}",
            self.scenario,
            self.engine,
            self.metric,
            number(self.figure),
            self.baseline.map_or_else(|| "-".to_owned(), number),
            self.unit,
            self.ratio
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
            self.target.text()
        );
        for (fact, _) in &self.checks {
            line.push(' ');
            line.push_str(fact);
        }
        line.push_str(if self.passed() {
            " pass=yes"
        } else {
            " pass=no"
        });
        println!("{line}");
    }
}
