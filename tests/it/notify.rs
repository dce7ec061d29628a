//! Notifications against a real SMTP server on loopback: delivery and content, no loss in an
//! outage, no duplicates across workers, quiet hours, and send-time checks.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use liaison::db::schema::{notifications, relatives};
use liaison::domain::{RelativeId, Role};
use liaison::notify::outbox::{self, Notice, Recipient};
use liaison::notify::{Kind, Status};
use serde_json::{Value, json};

use crate::support::smtp::{SmtpServer, reserve_port};
use crate::support::{TestApp, spawn_app_with};

async fn app_with_mail(smtp_url: Option<String>, worker: bool) -> TestApp {
    spawn_app_with(move |s| {
        s.smtp_url = smtp_url;
        s.run_worker = worker;
        s.worker_poll_ms = 50;
        s.notify_retry_base_seconds = 1;
        s.notify_lease_seconds = 3;
        // These tests count every e-mail: the scheduler's reminders about the demo cases
        // would be counted too (tests/it/scheduler.rs covers it).
        s.scheduler_interval_seconds = 0;
    })
    .await
}

fn assigned(user: &liaison::domain::UserId, cause: &str) -> Notice {
    Notice {
        kind: Kind::CaseAssigned,
        recipient: Recipient::Staff(user.clone()),
        case_id: None,
        cause: cause.to_owned(),
        payload: json!({"reference": "FL-2026-00077", "role_label": "family liaison officer"}),
    }
}

async fn enqueue(app: &TestApp, notices: Vec<Notice>) -> usize {
    app.with_conn(move |conn| {
        liaison::db::write(conn, |conn| {
            let mut n = 0;
            for notice in &notices {
                n += outbox::enqueue(conn, notice)?;
            }
            Ok::<_, diesel::result::Error>(n)
        })
        .unwrap()
    })
    .await
}

async fn statuses(app: &TestApp) -> Vec<(String, String, i32, Option<String>)> {
    app.with_conn(|conn| {
        notifications::table
            .filter(notifications::channel.eq("email"))
            .select((
                notifications::id,
                notifications::status,
                notifications::attempts,
                notifications::last_error,
            ))
            .load(conn)
            .unwrap()
    })
    .await
}

async fn wait_until(
    app: &TestApp,
    what: &str,
    check: impl Fn(&[(String, String, i32, Option<String>)]) -> bool,
) {
    // Generous: the whole suite shares two cores.
    for _ in 0..2400 {
        if check(&statuses(app).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "timed out waiting for {what}: {:?}",
        statuses(app).await.iter().take(5).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_notice_reaches_the_mailbox_and_the_portal_inbox() {
    let smtp = SmtpServer::start();
    let app = app_with_mail(Some(smtp.url()), true).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    assert_eq!(
        enqueue(&app, vec![assigned(&officer.id, "assignment:1")]).await,
        2,
        "one e-mail row, one portal row"
    );

    let mail = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert!(m.to[0].contains(&officer.email));
    assert!(m.header("Subject").unwrap().contains("FL-2026-00077"));
    assert!(m.data.contains("multipart/alternative"));
    assert!(m.data.contains("text/plain") && m.data.contains("text/html"));
    // The server has the message a moment before the worker records the delivery.
    wait_until(&app, "the delivery to be recorded", |rows| {
        rows.first().is_some_and(|r| r.1 == "sent")
    })
    .await;
    let (id, status, attempts, _) = statuses(&app).await.remove(0);
    assert_eq!((status.as_str(), attempts), ("sent", 1));
    assert_eq!(
        m.message_id(),
        format!("<{}@127.0.0.1>", id.to_lowercase()),
        "Message-ID derives from the notification id"
    );

    let token = app.token_for(&officer).await;
    let inbox: Value = app
        .api_get("/api/v1/notifications", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["unread"], 1);
    assert!(
        inbox["items"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("FL-2026-00077")
    );
    let browser = app.browser_for(&officer).await;
    let (_, page) = browser.get("/staff/notifications").await;
    assert!(page.contains("You have been assigned to case FL-2026-00077"));
    assert!(
        page.contains("class=\"badge\">1"),
        "the unread count shows in the navigation"
    );
    let res = browser.post("/staff/notifications/read-all", &[]).await;
    assert_eq!(res.status(), 303);
    let inbox: Value = app
        .api_get("/api/v1/notifications", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["unread"], 0);

    let other = app.create_user(Role::Officer, &[]).await;
    let other_token = app.token_for(&other).await;
    let item = inbox["items"][0]["id"].as_str().unwrap();
    let res = app
        .api
        .post(app.url(&format!("/api/v1/notifications/{item}/read")))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "someone else's notification is not there"
    );
}

#[tokio::test]
async fn the_same_cause_is_written_once_however_often_it_is_raised() {
    let app = app_with_mail(None, false).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    assert_eq!(
        enqueue(&app, vec![assigned(&officer.id, "assignment:7")]).await,
        2
    );
    assert_eq!(
        enqueue(
            &app,
            vec![
                assigned(&officer.id, "assignment:7"),
                assigned(&officer.id, "assignment:7")
            ]
        )
        .await,
        0
    );
    assert_eq!(statuses(&app).await.len(), 1);
    assert_eq!(
        enqueue(&app, vec![assigned(&officer.id, "assignment:8")]).await,
        2,
        "a new occurrence is a new notice"
    );
}

/// The demo's relatives, with the outbox emptied of the demo's own assignment notices so the
/// test sees only what it sends.
async fn demo_relatives(app: &TestApp) -> Vec<(RelativeId, String, String)> {
    app.with_conn(|conn| {
        liaison::db::write(conn, |conn| {
            liaison::demo::load(conn)?;
            diesel::delete(notifications::table).execute(conn)?;
            Ok::<_, anyhow::Error>(())
        })
        .unwrap();
        relatives::table
            .select((relatives::id, relatives::full_name, relatives::language))
            .load(conn)
            .unwrap()
    })
    .await
}

fn family_notice(kind: Kind, relative: &RelativeId, cause: &str) -> Notice {
    Notice {
        kind,
        recipient: Recipient::Relative(relative.clone()),
        case_id: None,
        cause: cause.to_owned(),
        payload: json!({}),
    }
}

#[tokio::test]
async fn family_emails_speak_the_relatives_language_and_carry_no_case_detail() {
    let smtp = SmtpServer::start();
    let app = app_with_mail(Some(smtp.url()), true).await;
    let relatives = demo_relatives(&app).await;
    let welsh = relatives.iter().find(|r| r.2 == "cy").unwrap();
    let english = relatives.iter().find(|r| r.2 == "en").unwrap();
    enqueue(
        &app,
        vec![
            family_notice(Kind::FamilyNews, &welsh.0, "update:1"),
            family_notice(Kind::FamilyNews, &english.0, "update:1"),
        ],
    )
    .await;
    let mail = smtp.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(mail.len(), 2);
    let to_welsh = mail.iter().find(|m| m.to[0].contains("carys")).unwrap();
    let to_english = mail.iter().find(|m| !m.to[0].contains("carys")).unwrap();
    assert!(
        to_welsh.text().contains("Annwyl Carys Pryce"),
        "{}",
        to_welsh.text()
    );
    assert!(to_english.text().contains(&format!("Dear {}", english.1)));
    for m in &mail {
        let text = m.text();
        // Deceased names, case references and staff-only circumstances never reach a family e-mail.
        for secret in [
            "Daniel Fenwick",
            "Aled Pryce",
            "Grace Oyelaran",
            "FL-2026",
            "Demo data",
            "collision",
            "balcony",
        ] {
            assert!(
                !text.contains(secret),
                "{secret} leaked into the e-mail to {}",
                m.to[0]
            );
        }
        assert!(text.contains("/family"), "the e-mail links to the portal");
    }
}

#[tokio::test]
async fn an_outage_of_the_mail_server_delays_1000_notices_and_loses_none() {
    let port = reserve_port();
    let app = app_with_mail(Some(format!("smtp://127.0.0.1:{port}")), true).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let notices: Vec<Notice> = (0..1000)
        .map(|i| assigned(&officer.id, &format!("outage:{i}")))
        .collect();
    enqueue(&app, notices).await;
    // Every notice has been tried and found the server down.
    wait_until(&app, "a failed first attempt for every notice", |rows| {
        rows.len() == 1000
            && rows
                .iter()
                .all(|r| r.2 >= 1 && r.3.is_some() && r.1 == "pending")
    })
    .await;
    let smtp = SmtpServer::start_on(port);
    let mail = smtp.wait_for(1000, Duration::from_secs(120)).await;
    wait_until(&app, "every notice sent", |rows| {
        rows.iter().all(|r| r.1 == "sent")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mail_now = smtp.received();
    let ids: HashSet<String> = mail_now.iter().map(|m| m.message_id()).collect();
    assert_eq!(
        mail.len().max(mail_now.len()),
        1000,
        "0 lost and 0 duplicated"
    );
    assert_eq!(ids.len(), 1000);
}

#[tokio::test]
async fn a_refused_mailbox_is_marked_failed_with_the_reason_and_can_be_sent_again() {
    let smtp = SmtpServer::start();
    smtp.refuse_for_good("gone");
    let app = app_with_mail(Some(smtp.url()), true).await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let gone_id = officer.id.clone();
    app.with_conn(move |conn| {
        diesel::update(liaison::db::schema::users::table.find(&gone_id))
            .set(liaison::db::schema::users::email.eq("gone@example.org"))
            .execute(conn)
            .unwrap();
    })
    .await;
    enqueue(&app, vec![assigned(&officer.id, "x")]).await;
    wait_until(&app, "a failure", |rows| {
        rows.iter().all(|r| r.1 == "failed")
    })
    .await;
    let (id, _, attempts, error) = statuses(&app).await.remove(0);
    assert_eq!(attempts, 1, "a permanent refusal is not retried");
    assert!(
        error.unwrap().contains("550"),
        "the server's reason is kept"
    );

    let browser = app.browser_for(&admin).await;
    let (_, page) = browser.get("/admin/outbox").await;
    assert!(page.contains("Mailbox unavailable"));
    assert!(page.contains(&format!("/admin/outbox/{id}/retry")));
    let res = browser
        .post(&format!("/admin/outbox/{id}/retry"), &[])
        .await;
    assert_eq!(res.status(), 303);
    wait_until(&app, "the second failure", |rows| {
        rows.iter().all(|r| r.1 == "failed" && r.2 == 1)
    })
    .await;
    assert_eq!(app.audit("notification.retry").await.len(), 1);
    let token = app.token_for(&admin).await;
    let res = app
        .api
        .post(app.url(&format!(
            "/api/v1/outbox/{}/retry",
            liaison::domain::NotificationId::new()
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_until_it_goes_through() {
    let smtp = SmtpServer::start();
    smtp.refuse_for_now(true);
    let app = app_with_mail(Some(smtp.url()), true).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    enqueue(&app, vec![assigned(&officer.id, "y")]).await;
    wait_until(&app, "a temporary failure", |rows| {
        rows[0].2 >= 1 && rows[0].3.as_deref().is_some_and(|e| e.contains("451"))
    })
    .await;
    assert_eq!(statuses(&app).await[0].1, "pending");
    smtp.refuse_for_now(false);
    assert_eq!(smtp.wait_for(1, Duration::from_secs(30)).await.len(), 1);
    wait_until(&app, "sent", |rows| rows[0].1 == "sent").await;
}

#[tokio::test]
async fn quiet_hours_hold_a_family_notice_until_they_end() {
    use chrono::TimeZone;
    let smtp = SmtpServer::start();
    let app = app_with_mail(Some(smtp.url()), true).await;
    let relatives = demo_relatives(&app).await;
    let relative = relatives[0].0.clone();
    let now_local = chrono_tz::Europe::London.from_utc_datetime(&chrono::Utc::now().naive_utc());
    let start = (now_local - chrono::Duration::minutes(30))
        .format("%H:%M")
        .to_string();
    let end = (now_local + chrono::Duration::minutes(30))
        .format("%H:%M")
        .to_string();
    let rid = relative.clone();
    app.with_conn(move |conn| {
        diesel::update(relatives::table.find(&rid))
            .set((
                relatives::quiet_hours_start.eq(start),
                relatives::quiet_hours_end.eq(end),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
    enqueue(
        &app,
        vec![family_notice(Kind::FamilyNews, &relative, "quiet")],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(smtp.received().is_empty(), "nothing arrives in quiet hours");
    let next: chrono::NaiveDateTime = app
        .with_conn(|conn| {
            notifications::table
                .filter(notifications::channel.eq("email"))
                .select(notifications::next_attempt_at)
                .first(conn)
                .unwrap()
        })
        .await;
    let wait = next - chrono::Utc::now().naive_utc();
    assert!(
        wait > chrono::Duration::minutes(28) && wait <= chrono::Duration::minutes(31),
        "held until the end: {wait}"
    );
    assert_eq!(
        statuses(&app).await[0].2,
        0,
        "waiting for quiet hours is not an attempt"
    );

    // The quiet hours end (here: the relative clears them and the held time arrives).
    app.with_conn(|conn| {
        diesel::update(relatives::table)
            .set(relatives::quiet_hours_start.eq(None::<String>))
            .execute(conn)
            .unwrap();
        diesel::update(notifications::table)
            .set(notifications::next_attempt_at.eq(liaison::db::now()))
            .execute(conn)
            .unwrap();
    })
    .await;
    assert_eq!(smtp.wait_for(1, Duration::from_secs(20)).await.len(), 1);
}

#[tokio::test]
async fn suspension_and_preferences_are_checked_when_sending() {
    let smtp = SmtpServer::start();
    let app = app_with_mail(Some(smtp.url()), false).await;
    let relatives = demo_relatives(&app).await;
    let (suspended, portal_only, deactivated_staff) = (
        relatives[0].0.clone(),
        relatives[1].0.clone(),
        app.create_user(Role::Officer, &[]).await,
    );
    enqueue(
        &app,
        vec![
            family_notice(Kind::FamilyNews, &suspended, "a"),
            family_notice(Kind::FamilyNews, &portal_only, "a"),
            assigned(&deactivated_staff.id, "a"),
        ],
    )
    .await;
    // Things change after the notices were written.
    let (s, p, d) = (
        suspended.clone(),
        portal_only.clone(),
        deactivated_staff.id.clone(),
    );
    app.with_conn(move |conn| {
        diesel::update(relatives::table.find(&s))
            .set(relatives::access_state.eq("suspended"))
            .execute(conn)
            .unwrap();
        diesel::update(relatives::table.find(&p))
            .set(relatives::notify_by_email.eq(false))
            .execute(conn)
            .unwrap();
        liaison::accounts::users::deactivate(conn, &liaison::audit::Actor::System, &d).unwrap();
    })
    .await;
    let state = {
        let app_state = liaison::config::Config::resolve(crate::support::settings_for(
            &app.database,
            &app.secret,
        ))
        .unwrap();
        app_state.notify
    };
    let worker = liaison::notify::worker::Worker::new(
        app.db.clone(),
        liaison::config::NotifyConfig {
            smtp_url: Some(smtp.url()),
            ..state
        },
        std::sync::Arc::new(liaison::notify::render::EmailTemplates::load().unwrap()),
        &app.address,
    )
    .unwrap();
    let round = worker.round(1).await.unwrap();
    assert_eq!((round.claimed, round.cancelled, round.sent), (3, 3, 0));
    let reasons: Vec<String> = statuses(&app)
        .await
        .into_iter()
        .filter_map(|r| r.3)
        .collect();
    assert!(reasons.iter().any(|r| r.contains("suspended")));
    assert!(reasons.iter().any(|r| r.contains("portal notices only")));
    assert!(reasons.iter().any(|r| r.contains("deactivated")));
    assert!(smtp.received().is_empty());
    assert!(
        statuses(&app)
            .await
            .iter()
            .all(|r| r.1 == Status::Cancelled.as_str())
    );
}

/// `liaison worker` as its own process. `lease_seconds` is short only where a test kills a
/// worker and must wait for its leases to run out.
fn worker_process(
    app: &TestApp,
    smtp: &SmtpServer,
    until_idle: bool,
    lease_seconds: u32,
) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_liaison"));
    cmd.arg("worker");
    if until_idle {
        cmd.arg("--until-idle");
    }
    cmd.current_dir(app.database.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LIAISON_DATABASE_URL", &app.database.url)
        .env("LIAISON_DATA_DIR", app.database.dir.path().join("data"))
        .env("LIAISON_SMTP_URL", smtp.url())
        .env("LIAISON_PUBLIC_URL", &app.address)
        .env("LIAISON_WORKER_POLL_MS", "50")
        .env("LIAISON_NOTIFY_LEASE_SECONDS", lease_seconds.to_string())
        .env("LIAISON_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn two_workers_drain_2000_notices_without_a_duplicate() {
    let smtp = SmtpServer::start();
    let app = app_with_mail(Some(smtp.url()), false).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    enqueue(
        &app,
        (0..2000)
            .map(|i| assigned(&officer.id, &format!("pair:{i}")))
            .collect(),
    )
    .await;
    let mut a = worker_process(&app, &smtp, true, 120);
    let mut b = worker_process(&app, &smtp, true, 120);
    let (ra, rb) = tokio::task::spawn_blocking(move || (a.wait().unwrap(), b.wait().unwrap()))
        .await
        .unwrap();
    assert!(
        ra.success() && rb.success(),
        "workers exited with {ra:?} and {rb:?}"
    );
    let mail = smtp.wait_for(2000, Duration::from_secs(10)).await;
    let ids: HashSet<String> = mail.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 2000, "every notice delivered");
    assert_eq!(mail.len(), 2000, "no notice delivered twice");
    assert!(
        statuses(&app)
            .await
            .iter()
            .all(|r| r.1 == "sent" && r.2 == 1)
    );
}

#[tokio::test]
async fn a_worker_killed_mid_batch_loses_nothing_and_duplicates_only_what_was_in_flight() {
    let smtp = SmtpServer::start();
    let app = app_with_mail(Some(smtp.url()), false).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    enqueue(
        &app,
        (0..600)
            .map(|i| assigned(&officer.id, &format!("kill:{i}")))
            .collect(),
    )
    .await;
    let mut worker = worker_process(&app, &smtp, false, 2);
    smtp.wait_for(150, Duration::from_secs(60)).await;
    Command::new("kill")
        .args(["-KILL", &worker.id().to_string()])
        .status()
        .unwrap();
    worker.wait().unwrap();
    let at_kill = smtp.received().len();
    // In flight: claimed (leased) but not recorded, so their outcome is unknown.
    let in_flight = statuses(&app)
        .await
        .iter()
        .filter(|r| r.1 == "pending" && r.2 >= 1)
        .count();
    assert!(
        at_kill < 600,
        "the worker was stopped mid-way ({at_kill} delivered)"
    );

    tokio::time::sleep(Duration::from_millis(2200)).await; // the dead worker's leases run out
    let mut again = worker_process(&app, &smtp, true, 2);
    assert!(
        tokio::task::spawn_blocking(move || again.wait().unwrap())
            .await
            .unwrap()
            .success()
    );
    let mail = smtp.wait_for(600, Duration::from_secs(10)).await;
    let ids: HashSet<String> = mail.iter().map(|m| m.message_id()).collect();
    let duplicates = mail.len() - ids.len();
    eprintln!(
        "SIGKILL report: {at_kill} delivered before the kill, {in_flight} in flight, {duplicates} delivered twice"
    );
    assert_eq!(ids.len(), 600, "0 lost");
    assert!(
        duplicates <= in_flight,
        "duplicates ({duplicates}) only among notices in flight ({in_flight})"
    );
    assert!(statuses(&app).await.iter().all(|r| r.1 == "sent"));
}

#[tokio::test]
async fn without_smtp_mail_is_written_to_files_that_the_admin_can_list() {
    let app = app_with_mail(None, true).await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    enqueue(&app, vec![assigned(&officer.id, "files")]).await;
    wait_until(&app, "written", |rows| rows.iter().all(|r| r.1 == "sent")).await;
    let dir = app.database.dir.path().join("data").join("mail");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    let browser = app.browser_for(&admin).await;
    let (status, page) = browser.get("/admin/mail").await;
    assert_eq!(status, 200);
    assert!(page.contains("You have been assigned to case FL-2026-00077"));
    assert!(!page.contains(&officer.email), "addresses are masked");
}
