//! The scheduler: reminders before follow-ups fall due, overdue notices, and escalations to
//! the managers of the case's team, each written once however many ticks see it, counted in
//! working time where the target says so; and delivered by e-mail.

use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;
use liaison::db::schema::{messages, notifications, users};
use liaison::notify::scheduler::{self, Rules, Tick};
use reqwest::Method;
use serde_json::json;

use crate::support::fixture::{Fixture, call, fixture, fixture_with};
use crate::support::smtp::SmtpServer;

fn now() -> NaiveDateTime {
    Utc::now().naive_utc().with_nanosecond(0).unwrap()
}

async fn tick(f: &Fixture, at: NaiveDateTime) -> Tick {
    f.app
        .with_conn(move |conn| scheduler::tick(conn, &Rules::default(), at).expect("tick"))
        .await
}

/// Notification rows of one kind, e-mail channel, as (recipient user id, cause key).
async fn rows(f: &Fixture, kind: &'static str) -> Vec<(Option<String>, String)> {
    f.app
        .with_conn(move |conn| {
            notifications::table
                .filter(notifications::kind.eq(kind))
                .filter(notifications::channel.eq("email"))
                .select((notifications::recipient_user_id, notifications::dedup_key))
                .order(notifications::created_at.asc())
                .load(conn)
                .unwrap()
        })
        .await
}

async fn follow_up(f: &Fixture, due: NaiveDateTime) -> String {
    let (status, fu) = call(
        &f.app,
        Method::POST,
        &f.case("/follow-ups"),
        &f.officer,
        Some(
            json!({"purpose": "Ring about the inquest date", "due_at": due.and_utc().to_rfc3339()}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{fu}");
    fu["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_follow_up_is_reminded_then_overdue_then_escalated_once_each_over_many_ticks() {
    let f = fixture().await;
    let start = now();
    let due = start + Duration::hours(30);
    let id = follow_up(&f, due).await;
    // A second follow-up, done before it falls due: nothing is ever said about it.
    let done = follow_up(&f, start + Duration::hours(2)).await;
    let (status, body) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/follow-ups/{done}/complete")),
        &f.officer,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    assert_eq!(tick(&f, start).await.reminders, 0, "30 hours away: not yet");
    let (mut reminders, mut overdue) = (0, 0);
    // Every 10 minutes from 7 hours in (23 hours before it is due) to 3 days after it fell
    // due (other lapses of the case, such as no first contact, escalate meanwhile too).
    let mut at = start + Duration::hours(7);
    while at < due + Duration::days(3) {
        let t = tick(&f, at).await;
        if at < due {
            assert_eq!(t.overdue, 0, "nothing overdue before {due}");
        }
        if at < due + Duration::hours(24) && at + Duration::minutes(10) >= due + Duration::hours(24)
        {
            assert!(
                rows(&f, "escalation_follow_up_overdue").await.is_empty(),
                "no escalation before the delay ({at})"
            );
        }
        reminders += t.reminders;
        overdue += t.overdue;
        at += Duration::minutes(10);
    }
    assert_eq!(
        (reminders, overdue),
        (1, 1),
        "one reminder and one overdue notice over {} ticks",
        (due + Duration::days(3) - start - Duration::hours(7)).num_minutes() / 10
    );
    // The reminder and the overdue notice went to the officer; the escalation to the manager
    // of the case's team only (not the other team's manager).
    let reminder = rows(&f, "follow_up_due_soon").await;
    assert_eq!(reminder.len(), 1);
    assert_eq!(reminder[0].0.as_deref(), Some(f.officer.id.as_str()));
    assert!(reminder[0].1.contains(&id));
    assert_eq!(rows(&f, "follow_up_overdue").await.len(), 1);
    let escalated = rows(&f, "escalation_follow_up_overdue").await;
    assert_eq!(escalated.len(), 1, "one escalation: {escalated:?}");
    assert_eq!(escalated[0].0.as_deref(), Some(f.manager.id.as_str()));
    assert!(
        rows(&f, "follow_up_due_soon")
            .await
            .iter()
            .chain(rows(&f, "follow_up_overdue").await.iter())
            .all(|(_, key)| !key.contains(&done)),
        "the completed follow-up is never mentioned"
    );

    // Moved to a new time, it is a new occurrence: reminded again, once.
    let new_due = due + Duration::days(10);
    let (status, body) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/follow-ups/{id}/reschedule")),
        &f.officer,
        Some(json!({"due_at": new_due.and_utc().to_rfc3339()})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut reminders = 0;
    for h in 0..5 {
        reminders += tick(&f, new_due - Duration::hours(12) + Duration::hours(h))
            .await
            .reminders;
    }
    assert_eq!(reminders, 1);
}

#[tokio::test]
async fn first_contact_and_contact_plan_lapses_escalate_once_per_occurrence() {
    let f = fixture().await;
    let opened = now();
    assert_eq!(tick(&f, opened + Duration::hours(23)).await.escalations, 0);
    let mut escalations = 0;
    for m in 0..30 {
        escalations += tick(&f, opened + Duration::hours(24) + Duration::minutes(m * 7))
            .await
            .escalations;
    }
    assert_eq!(escalations, 1, "first contact late: once");
    assert_eq!(rows(&f, "escalation_first_contact_late").await.len(), 1);

    // A contact now; the plan is every 48 hours.
    let (status, body) = f
        .log_contact(&f.officer, json!({"channel": "phone", "direction": "outbound", "discussion": "Called to arrange a visit."}))
        .await;
    assert_eq!(status, 201, "{body}");
    let contact_at = now();
    assert_eq!(
        tick(&f, contact_at + Duration::hours(47)).await.escalations,
        0
    );
    let mut gaps = 0;
    for h in 48..120 {
        gaps += tick(&f, contact_at + Duration::hours(h) + Duration::minutes(1))
            .await
            .escalations;
    }
    assert_eq!(gaps, 1, "one gap, one escalation");
    assert_eq!(rows(&f, "escalation_contact_plan_gap").await.len(), 1);
    assert_eq!(rows(&f, "escalation_first_contact_late").await.len(), 1);
}

/// A relative's message not acknowledged within one working day (09:00-17:00 London,
/// Monday to Friday, without bank holidays) escalates; acknowledged, it does not.
#[tokio::test]
async fn an_unacknowledged_family_message_escalates_after_one_working_day() {
    let f = fixture().await;
    // Thursday 25 March 2027, 16:00 UTC (GMT). Good Friday, the weekend (the clocks go
    // forward on Sunday 28th) and Easter Monday do not count: the working day ends on
    // Tuesday 30 March at 16:00 BST, which is 15:00 UTC.
    let sent = NaiveDateTime::parse_from_str("2027-03-25 16:00", "%Y-%m-%d %H:%M").unwrap();
    let deadline = NaiveDateTime::parse_from_str("2027-03-30 15:00", "%Y-%m-%d %H:%M").unwrap();
    let (case_id, relative) = (f.case_id.clone(), f.relatives[0].clone());
    let (case2, relative2) = (f.case_id.clone(), f.relatives[1].clone());
    f.app
        .with_conn(move |conn| {
            for (id, case, rel, acknowledged) in [
                ("MSG-WAITING", case_id, relative, None),
                (
                    "MSG-ACKNOWLEDGED",
                    case2,
                    relative2,
                    Some(sent + Duration::hours(1)),
                ),
            ] {
                diesel::insert_into(messages::table)
                    .values((
                        messages::id.eq(id),
                        messages::case_id.eq(case),
                        messages::from_relative_id.eq(rel),
                        messages::category.eq("question"),
                        messages::body.eq("When can we see him?"),
                        messages::sent_at.eq(sent),
                        messages::acknowledged_at.eq(acknowledged),
                    ))
                    .execute(conn)
                    .unwrap();
            }
        })
        .await;
    let mut at = sent;
    while at < deadline {
        tick(&f, at).await;
        at += Duration::hours(3);
    }
    tick(&f, deadline - Duration::minutes(1)).await;
    assert!(
        rows(&f, "escalation_message_unacknowledged")
            .await
            .is_empty(),
        "not before the working day is over"
    );
    for m in 0..20 {
        tick(&f, deadline + Duration::minutes(m * 30)).await;
    }
    let escalated = rows(&f, "escalation_message_unacknowledged").await;
    assert_eq!(escalated.len(), 1, "{escalated:?}");
    assert!(escalated[0].1.contains("MSG-WAITING"));
}

#[tokio::test]
async fn scheduled_notices_are_delivered_by_email_to_the_right_people() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let f = fixture_with(move |s| {
        s.smtp_url = Some(url);
        s.run_worker = true;
        s.worker_poll_ms = 50;
    })
    .await;
    let start = now();
    follow_up(&f, start + Duration::hours(1)).await;
    // The reminder now; then, a day and a half later, the overdue notice, its escalation and
    // the first-contact escalation.
    tick(&f, start).await;
    tick(&f, start + Duration::hours(26)).await;
    // Five with the notice of the officer's assignment to the case.
    let mail = smtp.wait_for(5, StdDuration::from_secs(30)).await;
    assert_eq!(mail.len(), 5, "five e-mails");
    let ((officer, officer_name), (manager, _)): ((String, String), (String, String)) = {
        let (o, m) = (f.officer.id.clone(), f.manager.id.clone());
        f.app
            .with_conn(move |conn| {
                let email = |conn: &mut liaison::db::DbConn, id: &str| -> (String, String) {
                    users::table
                        .find(id)
                        .select((users::email, users::display_name))
                        .first(conn)
                        .unwrap()
                };
                (email(conn, &o), email(conn, &m))
            })
            .await
    };
    let find = |subject: &str| {
        mail.iter()
            .find(|m| m.header("Subject").is_some_and(|s| s.starts_with(subject)))
            .unwrap_or_else(|| panic!("an e-mail starting {subject:?}"))
    };
    let reminder = find("Follow-up due");
    assert!(reminder.header("To").unwrap().contains(&officer));
    assert!(reminder.header("Subject").unwrap().contains(&f.reference));
    let overdue = find("Follow-up overdue");
    assert!(overdue.header("To").unwrap().contains(&officer));
    let escalation = find("Escalation: follow-up overdue");
    assert!(escalation.header("To").unwrap().contains(&manager));
    assert!(
        escalation.text().contains(&officer_name),
        "{}",
        escalation.text()
    );
    let first = find("Escalation: no first contact");
    assert!(first.header("To").unwrap().contains(&manager));
    // The next ticks find nothing new.
    tick(&f, start + Duration::hours(27)).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 5, "nothing sent twice");
}
