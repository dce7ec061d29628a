//! Relatives in tests: a sign-in link as the e-mail carries it, a relative's browser signed in
//! through it, a family API token, and the case team's browser.

use diesel::prelude::*;
use liaison::db::schema::relatives;
use liaison::domain::{RelativeId, Role};
use liaison::family::links::{self, Purpose};
use reqwest::Method;
use serde_json::json;

use crate::support::browser::location;
use crate::support::fixture::{Fixture, call, fixture_with};
use crate::support::smtp::SmtpServer;
use crate::support::{Browser, TestApp};

/// Every page a signed-in relative can read.
pub const FAMILY_PAGES: [&str; 8] = [
    "/family",
    "/family/timeline",
    "/family/contacts",
    "/family/appointments",
    "/family/property",
    "/family/messages",
    "/family/notices",
    "/family/preferences",
];

/// Every API read a relative's token opens (calendar files aside).
pub const FAMILY_API_READS: [&str; 10] = [
    "/api/v1/family/case",
    "/api/v1/family/timeline",
    "/api/v1/family/contacts",
    "/api/v1/family/agencies",
    "/api/v1/family/referrals",
    "/api/v1/family/appointments",
    "/api/v1/family/property",
    "/api/v1/family/notices",
    "/api/v1/family/messages",
    "/api/v1/family/preferences",
];

/// The fixture with the notification worker sending to a real SMTP server, quickly, and the
/// scheduler off; the server, to read what it received.
pub async fn fixture_with_mail() -> (SmtpServer, Fixture) {
    fixture_with_mail_window(0).await
}

/// As `fixture_with_mail`, with news for a relative waiting `seconds` for more to join it.
pub async fn fixture_with_mail_window(seconds: i64) -> (SmtpServer, Fixture) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let f = fixture_with(move |s| {
        s.run_worker = true;
        s.smtp_url = Some(url);
        s.worker_poll_ms = 50;
        s.scheduler_interval_seconds = 0;
        s.notice_window_seconds = seconds;
    })
    .await;
    (smtp, f)
}

/// A sign-in link for a relative, as the e-mail would carry it.
pub async fn link_for(app: &TestApp, relative: &str, purpose: Purpose) -> String {
    let rid = RelativeId::parse(relative).unwrap();
    app.with_conn(move |conn| {
        diesel::update(relatives::table.find(&rid))
            .filter(relatives::access_state.eq("not_invited"))
            .set(relatives::access_state.eq("invited"))
            .execute(conn)
            .unwrap();
        links::mint(conn, &rid, purpose, None).unwrap()
    })
    .await
}

/// Signs a relative in through the link page, as their browser would.
pub async fn signed_in(app: &TestApp, relative: &str) -> Browser {
    let token = link_for(app, relative, Purpose::SignIn).await;
    let b = Browser::new(&app.address);
    let (status, page) = b.get(&format!("/family/sign-in/link?token={token}")).await;
    assert_eq!(status, 200, "{page}");
    let res = b.post("/family/sign-in/link", &[("token", &token)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/family");
    b
}

/// The officer on the fixture's case, signed in to the staff pages.
pub async fn officer_browser(f: &Fixture) -> Browser {
    let user = f.app.create_user(Role::Officer, &[]).await;
    let m = &f.manager;
    let (status, body) = call(
        &f.app,
        Method::POST,
        &f.case("/assignments"),
        m,
        Some(json!({"user_id": user.id, "role": "deputy_flo", "visible_to_family": false, "working_hours": "Mon-Fri"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let b = f.app.browser_for(&user).await;
    b.get("/staff").await;
    b
}

/// Signs a relative in to the API with a fresh sign-in link; returns the bearer token.
pub async fn family_token(app: &TestApp, relative: &str) -> String {
    let link = link_for(app, relative, Purpose::SignIn).await;
    let (status, body) = call(
        app,
        Method::POST,
        "/api/v1/family/auth/token",
        "",
        Some(json!({"link_token": link})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().unwrap().to_owned()
}
