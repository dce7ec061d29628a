//! What a family meets in their mailbox and inbox: a burst of news is one message after the
//! notice window, saying who it is from and naming the force (unless they asked for discreet
//! messages); quiet hours hold it; invitations and sign-in links are not held by the window;
//! every portal notice links to what it is about. Real HTTP, a real SMTP server on loopback.

use std::time::Duration;

use diesel::prelude::*;
use liaison::db::schema::{notifications, relatives};
use liaison::domain::RelativeId;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::family::{family_token, fixture_with_mail_window};
use crate::support::fixture::{Fixture, call, fixture_with, ok};
use crate::support::smtp::{Received, SmtpServer};

/// The fixture with the worker sending to a real SMTP server and the default notice window
/// (ten minutes).
async fn fixture_with_window() -> (SmtpServer, Fixture) {
    fixture_with_mail_window(600).await
}

/// Both of the fixture's relatives invited, through the API.
async fn invite_both(f: &Fixture) {
    for r in &f.relatives {
        let path = f.case(&format!("/relatives/{r}/invite"));
        let (s, b) = call(&f.app, Method::POST, &path, &f.officer, None).await;
        assert_eq!(s, 200, "{b}");
    }
}

/// Pending news e-mails, as (recipient, attempts, seconds from creation to the planned send,
/// carried by another).
async fn held(f: &Fixture) -> Vec<(String, i32, i64, bool)> {
    f.app
        .with_conn(|conn| {
            notifications::table
                .filter(notifications::channel.eq("email"))
                .filter(notifications::status.eq("pending"))
                .select((
                    notifications::recipient_relative_id,
                    notifications::attempts,
                    notifications::created_at,
                    notifications::next_attempt_at,
                    notifications::merged_into,
                ))
                .load::<(
                    Option<String>,
                    i32,
                    chrono::NaiveDateTime,
                    chrono::NaiveDateTime,
                    Option<String>,
                )>(conn)
                .unwrap()
                .into_iter()
                .map(|(r, a, c, n, m)| {
                    (r.unwrap_or_default(), a, (n - c).num_seconds(), m.is_some())
                })
                .collect()
        })
        .await
}

/// The window has passed: the held notices are made eleven minutes older, as the clock would.
/// First the worker must have seen each of them (and set it aside for the window), or it
/// would set aside what was just made older.
async fn let_the_window_pass(f: &Fixture) {
    for _ in 0..600 {
        let unseen: i64 = f
            .app
            .with_conn(|conn| {
                notifications::table
                    .filter(notifications::channel.eq("email"))
                    .filter(notifications::status.eq("pending"))
                    .filter(notifications::merged_into.is_null())
                    .filter(
                        notifications::next_attempt_at
                            .le(liaison::db::now())
                            .or(notifications::lease_owner.is_not_null()),
                    )
                    .count()
                    .get_result(conn)
                    .unwrap()
            })
            .await;
        if unseen == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f.app
        .with_conn(|conn| {
            // Each engine spells date arithmetic its own way.
            let sql = match conn {
                liaison::db::DbConn::Pg(_) => {
                    "UPDATE notifications SET created_at = created_at - INTERVAL '11 minutes', \
                     next_attempt_at = next_attempt_at - INTERVAL '11 minutes' WHERE status = 'pending'"
                }
                liaison::db::DbConn::Sqlite(_) => {
                    "UPDATE notifications SET created_at = datetime(created_at, '-11 minutes'), \
                     next_attempt_at = datetime(next_attempt_at, '-11 minutes') WHERE status = 'pending'"
                }
            };
            diesel::sql_query(sql).execute(conn).unwrap();
        })
        .await;
}

fn to(mail: &[Received], address: &str) -> Vec<Received> {
    mail.iter()
        .filter(|m| m.to.iter().any(|t| t.contains(address)))
        .cloned()
        .collect()
}

/// What the family received (not the officer's own notices), headers unfolded.
fn family_mail(smtp: &SmtpServer) -> Vec<Received> {
    smtp.received()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.contains("orley")))
        .map(|mut m| {
            m.data = m.data.replace("\r\n ", " ");
            m
        })
        .collect()
}

/// Waits until the family has received `n` messages.
async fn family_wait_for(smtp: &SmtpServer, n: usize) -> Vec<Received> {
    for _ in 0..600 {
        if family_mail(smtp).len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    family_mail(smtp)
}

async fn update(f: &Fixture, token: &str, title: &str) -> String {
    let body =
        json!({"title": title, "body": "Shared with the family.", "shared_with_family": true});
    let u = ok(f, Method::POST, &f.case("/updates"), token, body).await;
    u["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn ten_updates_reach_each_relative_as_one_message_after_the_window() {
    let (smtp, f) = fixture_with_window().await;
    let (ivy, sol) = (f.relatives[0].clone(), f.relatives[1].clone());
    // Invitations are not held by the window.
    invite_both(&f).await;
    let invited = family_wait_for(&smtp, 2).await;
    assert_eq!(
        invited.len(),
        2,
        "two invitations, at once: {:?}",
        invited.iter().map(|m| m.text()).collect::<Vec<_>>()
    );
    for m in &invited {
        let text = m.text();
        assert!(
            text.contains("Northshire Police"),
            "names the force: {text}"
        );
        assert!(
            text.contains("has invited you to a private portal"),
            "says who invited them: {text}"
        );
        assert!(
            !text.contains("email-family"),
            "every word is there: {text}"
        );
        assert!(
            text.contains(&format!(
                "The portal's address is {}/family.",
                f.app.address
            )),
            "states where to come back to: {text}"
        );
    }
    // Sol keeps quiet hours that cover now.
    let now_local = chrono::Utc::now().with_timezone(&chrono_tz::Europe::London);
    let (start, end) = (
        (now_local - chrono::Duration::minutes(60))
            .format("%H:%M")
            .to_string(),
        (now_local + chrono::Duration::minutes(60))
            .format("%H:%M")
            .to_string(),
    );
    let sol_id = RelativeId::parse(&sol).unwrap();
    f.app
        .with_conn(move |conn| {
            diesel::update(relatives::table.find(&sol_id))
                .set((
                    relatives::quiet_hours_start.eq(start),
                    relatives::quiet_hours_end.eq(end),
                ))
                .execute(conn)
                .unwrap();
        })
        .await;

    // Ten updates by the FLO, one after the other.
    let mut updates = Vec::new();
    for i in 1..=10 {
        updates.push(update(&f, &f.officer, &format!("Update {i}")).await);
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        family_mail(&smtp).len(),
        2,
        "nothing more during the window"
    );
    let waiting = held(&f).await;
    assert_eq!(waiting.len(), 20, "ten for each relative: {waiting:?}");
    assert!(
        waiting.iter().all(|(_, attempts, _, _)| *attempts == 0),
        "waiting is not an attempt: {waiting:?}"
    );
    // Each waits the window from when it was written (Sol's, the end of the quiet hours);
    // the first to go carries the rest.
    for (relative, _, wait, carried) in &waiting {
        if *carried {
            continue;
        }
        if *relative == ivy {
            assert!(
                (599..=601).contains(wait),
                "Ivy's wait the window: {waiting:?}"
            );
        } else {
            assert!(
                *wait > 1800,
                "Sol's wait for the end of quiet hours: {waiting:?}"
            );
        }
    }

    // A sign-in link is neither held by the window nor by Sol's quiet hours.
    let (s, b) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/auth/link",
        "",
        Some(json!({"email": "sol.orley@example.org"})),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    let mail = family_wait_for(&smtp, 3).await;
    let link = mail.last().unwrap();
    assert!(link.to[0].contains("sol.orley"), "{:?}", link.to);
    assert!(link.text().contains("/family/sign-in/link?token="));

    let_the_window_pass(&f).await;
    let mail = smtp.wait_for(4, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mail = if smtp.received().len() > mail.len() {
        smtp.received()
    } else {
        mail
    };
    let news_to_ivy: Vec<Received> = to(&mail, "ivy.orley")
        .into_iter()
        .filter(|m| !m.text().contains("invited"))
        .collect();
    assert_eq!(news_to_ivy.len(), 1, "one message for ten updates");
    let text = news_to_ivy[0].text();
    let (_, me) = call(&f.app, Method::GET, "/api/v1/me", &f.officer, None).await;
    let officer = me["display_name"].as_str().unwrap();
    assert!(
        text.contains("Subject: Northshire Police family liaison: 10 new things for you"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Your family liaison officer, {officer}, has shared 10 new things with you."
        )),
        "{text}"
    );
    for u in 1..=10 {
        assert!(!text.contains(&format!("Update {u}")), "never what it says");
    }
    let to_sol = to(&mail, "sol.orley");
    assert_eq!(
        to_sol.len(),
        2,
        "Sol has her invitation and the sign-in link"
    );
    assert!(
        to_sol.iter().all(|m| !m.text().contains("new things")),
        "quiet hours hold the news"
    );
    let statuses: Vec<(String, Option<String>)> = f
        .app
        .with_conn(move |conn| {
            notifications::table
                .filter(notifications::channel.eq("email"))
                .filter(notifications::recipient_relative_id.eq(&ivy))
                .filter(notifications::kind.eq("family_news"))
                .select((notifications::status, notifications::merged_into))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(statuses.len(), 10);
    assert!(statuses.iter().all(|(s, _)| s == "sent"), "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|(_, m)| m.is_some()).count(),
        9,
        "nine carried by the tenth"
    );

    // Ivy's portal notices: one per update, each linking to it on her timeline.
    let token = family_token(&f.app, &f.relatives[0]).await;
    let (s, notices) = call(&f.app, Method::GET, "/api/v1/family/notices", &token, None).await;
    assert_eq!(s, 200, "{notices}");
    let links: Vec<&str> = notices
        .as_array()
        .or_else(|| notices["items"].as_array())
        .unwrap()
        .iter()
        .filter_map(|n| n["link"].as_str())
        .collect();
    for u in &updates {
        let link = format!("/family/timeline#update-{u}");
        assert!(links.contains(&link.as_str()), "{link} in {links:?}");
    }
}

#[tokio::test]
async fn several_people_are_the_team_and_a_discreet_message_names_nobody() {
    let (smtp, f) = fixture_with_window().await;
    let sol = f.relatives[1].clone();
    invite_both(&f).await;
    family_wait_for(&smtp, 2).await;
    // Sol asks for discreet messages.
    let token = family_token(&f.app, &sol).await;
    let (s, b) = call(
        &f.app,
        Method::PUT,
        "/api/v1/family/preferences",
        &token,
        Some(json!({"channel": "email", "language": "en", "discreet": true})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    update(&f, &f.officer, "From the FLO").await;
    update(&f, &f.manager, "From the manager").await;
    let_the_window_pass(&f).await;
    let mail = family_wait_for(&smtp, 4).await;
    let ivy_mail = to(&mail, "ivy.orley").pop().unwrap().text();
    assert!(
        ivy_mail.contains("Your family liaison team has shared 2 new things with you."),
        "{ivy_mail}"
    );
    let sol_mail = to(&mail, "sol.orley").pop().unwrap().text();
    assert!(
        sol_mail.contains("There are 2 new things for you to read."),
        "{sol_mail}"
    );
    let (_, me) = call(&f.app, Method::GET, "/api/v1/me", &f.officer, None).await;
    let officer = me["display_name"].as_str().unwrap().to_owned();
    for never in [
        "Northshire",
        "liaison officer",
        "Test Manager",
        officer.as_str(),
    ] {
        assert!(
            !sol_mail.contains(never),
            "{never} in a discreet message: {sol_mail}"
        );
    }
    assert!(sol_mail.contains(&format!("{}/family", f.app.address)));

    // One person whom the family does not have as a named contact is "the team" too.
    update(&f, &f.manager, "From the manager alone").await;
    let_the_window_pass(&f).await;
    let mail = family_wait_for(&smtp, 6).await;
    let ivy_mail = to(&mail, "ivy.orley").pop().unwrap().text();
    assert!(
        ivy_mail.contains("Your family liaison team has shared something new with you."),
        "{ivy_mail}"
    );
    assert!(!ivy_mail.contains("Test Manager"), "{ivy_mail}");
}

#[tokio::test]
async fn staff_notices_link_to_the_message_they_are_about() {
    let f = fixture_with(|_| {}).await;
    let token = family_token(&f.app, &f.relatives[0]).await;
    let (s, sent) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/messages",
        &token,
        Some(json!({"category": "question", "body": "When can we see him?"})),
    )
    .await;
    assert_eq!(s, 201, "{sent}");
    let id = sent["message"]["id"]
        .as_str()
        .or_else(|| sent[0]["message"]["id"].as_str())
        .or_else(|| sent["id"].as_str())
        .unwrap_or_else(|| panic!("the message's id in {sent}"));
    let (s, inbox) = call(
        &f.app,
        Method::GET,
        "/api/v1/notifications",
        &f.officer,
        None,
    )
    .await;
    assert_eq!(s, 200, "{inbox}");
    let link = format!("/staff/cases/{}/messages#message-{id}", f.case_id);
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["link"] == Value::String(link.clone())),
        "{link} in {inbox}"
    );
}

#[tokio::test]
async fn the_front_door_offers_families_their_sign_in_and_slashes_do_not_matter() {
    let f = fixture_with(|_| {}).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &'static str| {
        let (client, url) = (no_redirects.clone(), f.app.url(path));
        async move {
            let res = client.get(url).send().await.unwrap();
            let location = res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (res.status().as_u16(), location, res.text().await.unwrap())
        }
    };
    let (status, _, home) = get("/").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("href=\"/family/sign-in\"") && home.contains("Family sign in"),
        "families have their own way in: {home}"
    );
    assert!(home.contains("href=\"/staff/login\""));
    for (plain, slashed) in [
        ("/family", "/family/"),
        ("/family/sign-in", "/family/sign-in/"),
        ("/staff/login", "/staff/login/"),
        ("/staff", "/staff/"),
    ] {
        let (a, b) = (get(plain).await, get(slashed).await);
        assert_eq!((a.0, &a.1), (b.0, &b.1), "{slashed} reaches {plain}");
        assert_ne!(b.0, 404, "{slashed}");
    }
}
