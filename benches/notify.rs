//! Notification delivery throughput: the worker (claim, render, send, record) against a
//! plain lettre send loop of the same messages to the same loopback SMTP server, in one run
//! (P4).
//!
//!   cargo bench --bench notify                      # SQLite
//!   LIAISON_BENCH_DATABASE_URL=postgres://... cargo bench --bench notify
//!
//! Prints messages per second for both and their ratio (target: the worker at least half),
//! then a `BENCH-RESULT` line (benches/run.sh). `BENCH_MESSAGES` (default 2000) messages each.

/// The allocator the `liaison` binary uses (src/main.rs), for the worker in this process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/mod.rs"]
mod common;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::{BenchDb, Outcome, Target, env_or};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use liaison::accounts::users::{self, NewUser};
use liaison::audit::Actor;
use liaison::config::{Config, Settings};
use liaison::db::{self, Db};
use liaison::domain::{EmailAddress, PersonName, Role};
use liaison::notify::outbox::{self, Notice, Recipient};
use liaison::notify::render::EmailTemplates;
use liaison::notify::worker::Worker;
use liaison::notify::{Kind, render};
use mailin_embedded::{Handler, Server, SslConfig, response};

#[derive(Clone)]
struct Counter(Arc<Mutex<usize>>);

impl Handler for Counter {
    fn data_end(&mut self) -> mailin_embedded::Response {
        *self.0.lock().unwrap() += 1;
        response::OK
    }
}

fn smtp() -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(Mutex::new(0));
    let mut server = Server::new(Counter(count.clone()));
    server
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_num_threads(64)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (format!("smtp://127.0.0.1:{port}"), count)
}

fn main() {
    db::init_tls();
    let n = env_or("BENCH_MESSAGES", 2000usize).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let _inside_runtime = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let (smtp_url, received) = smtp();
    let bench_db = BenchDb::create(dir.path(), "notify");
    let db_url = bench_db.url.clone();
    let config = Config::resolve(Settings {
        data_dir: dir.path().join("data"),
        database_url: Some(db_url.clone()),
        smtp_url: Some(smtp_url.clone()),
        ..Settings::default()
    })
    .unwrap();
    let db = Db::connect(&db_url, 4).unwrap();
    let mut conn = db.get().unwrap();
    db::migrate(&mut conn).unwrap();
    let user = users::create(
        &mut conn,
        &Actor::System,
        NewUser {
            email: EmailAddress::parse("email", "bench.officer@example.org").unwrap(),
            display_name: PersonName::parse("name", "Bench Officer").unwrap(),
            role: Role::Officer,
            phone: None,
            password_hash: "x".into(),
            password_change_required: false,
            teams: vec![],
        },
    )
    .unwrap();
    let templates = Arc::new(EmailTemplates::load().unwrap());
    let payload =
        serde_json::json!({"reference": "FL-2026-00001", "role_label": "family liaison officer"});

    // Baseline: the same rendered message, sent n times by a plain lettre loop.
    let ctx = render::staff_context("Bench Officer", "http://127.0.0.1/staff", &payload);
    let rendered = templates.render(Kind::CaseAssigned, &ctx).unwrap();
    let from: Mailbox = "Liaison <liaison@localhost>".parse().unwrap();
    let to: Mailbox = "Bench Officer <bench.officer@example.org>".parse().unwrap();
    let baseline = runtime.block_on(async {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp_url)
            .unwrap()
            .build();
        let start = Instant::now();
        for i in 0..n {
            let message = Message::builder()
                .from(from.clone())
                .to(to.clone())
                .subject(rendered.subject.clone())
                .message_id(Some(format!("<baseline-{i}@localhost>")))
                .multipart(MultiPart::alternative_plain_html(
                    rendered.text.clone(),
                    rendered.html.clone(),
                ))
                .unwrap();
            transport.send(message).await.unwrap();
        }
        start.elapsed()
    });
    assert_eq!(*received.lock().unwrap(), n);

    // The worker: n notices written to the outbox, then drained.
    db::write(&mut conn, |conn| {
        for i in 0..n {
            outbox::enqueue(
                conn,
                &Notice {
                    kind: Kind::CaseAssigned,
                    recipient: Recipient::Staff(user.id.clone()),
                    case_id: None,
                    cause: format!("bench:{i}"),
                    payload: payload.clone(),
                },
            )?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
    drop(conn);
    let worker = Worker::new(
        db.clone(),
        config.notify.clone(),
        templates,
        "http://127.0.0.1",
    )
    .unwrap();
    let drained = runtime.block_on(async {
        let start = Instant::now();
        let mut round = 0;
        loop {
            round += 1;
            if worker.round(round).await.unwrap().claimed == 0 {
                break;
            }
        }
        start.elapsed()
    });
    assert_eq!(
        *received.lock().unwrap(),
        2 * n,
        "every notice was delivered once"
    );

    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    let engine = bench_db.engine();
    println!("engine: {}", db.engine().name());
    println!(
        "plain lettre loop: {n} messages in {:.2} s = {:.0} msg/s",
        baseline.as_secs_f64(),
        rate(baseline)
    );
    println!(
        "liaison worker:    {n} messages in {:.2} s = {:.0} msg/s",
        drained.as_secs_f64(),
        rate(drained)
    );
    let ratio = rate(drained) / rate(baseline);
    println!("ratio worker/baseline: {ratio:.2} (target >= 0.50)");
    Outcome {
        scenario: "P4",
        engine,
        metric: "throughput",
        unit: "msg/s",
        figure: rate(drained),
        baseline: Some(rate(baseline)),
        ratio: Some(ratio),
        target: Target::AtLeast(0.5),
        checks: vec![(format!("messages={n}"), true)],
    }
    .print();
    drop(db);
    drop(bench_db);
}
