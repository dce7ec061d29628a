//! A relative on a shared or public device: said on the sign-in page (and carried to the link
//! page) or on the link page itself. Such a session is never kept past the browser, keeps no
//! drafts, is not remembered as a known device, and ends after 15 minutes without use, while
//! one on the relative's own device does not; using the page keeps it.

use std::time::Duration;

use chrono::Duration as Span;
use diesel::prelude::*;
use liaison::db::schema::sessions;
use liaison::domain::RelativeId;
use liaison::family::links::Purpose;

use crate::support::Browser;
use crate::support::browser::location;
use crate::support::family::link_for;
use crate::support::fixture::{Fixture, fixture};

/// Signs a relative in through the link page with the given boxes ticked; the answer to the
/// form, and the browser.
async fn sign_in_with(
    f: &Fixture,
    relative: &str,
    boxes: &[(&str, &str)],
) -> (Browser, Vec<String>) {
    let token = link_for(&f.app, relative, Purpose::SignIn).await;
    let b = Browser::new(&f.app.address);
    b.get(&format!("/family/sign-in/link?token={token}")).await;
    let mut fields = vec![("token", token.as_str())];
    fields.extend_from_slice(boxes);
    let res = b.post("/family/sign-in/link", &fields).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/family");
    let cookies = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    (b, cookies)
}

/// Makes every session of the relative look unused for `minutes`.
async fn unused_for(f: &Fixture, relative: &str, minutes: i64) {
    let rid = RelativeId::parse(relative).unwrap();
    f.app
        .with_conn(move |conn| {
            diesel::update(sessions::table.filter(sessions::relative_id.eq(&rid)))
                .set(sessions::last_seen_at.eq(liaison::db::now() - Span::minutes(minutes)))
                .execute(conn)
                .unwrap()
        })
        .await;
    // Every instance forgets what it kept of the sessions within a poll.
    tokio::time::sleep(Duration::from_millis(600)).await;
}

#[tokio::test]
async fn a_shared_device_keeps_nothing_and_signs_out_after_fifteen_idle_minutes() {
    let f = fixture().await;
    let (ivy, sol) = (f.relatives[0].clone(), f.relatives[1].clone());

    // Said on the sign-in page, it is ticked already on the link page.
    let b = Browser::new(&f.app.address);
    let (_, page) = b.get("/family/sign-in").await;
    assert!(page.contains("This is a shared or public device"), "{page}");
    let res = b
        .post(
            "/family/sign-in",
            &[("email", "ivy.orley@example.org"), ("shared", "on")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let token = link_for(&f.app, &ivy, Purpose::SignIn).await;
    let (_, link_page) = b.get(&format!("/family/sign-in/link?token={token}")).await;
    assert!(
        link_page.contains(r#"id="shared" name="shared" value="on" checked"#),
        "{link_page}"
    );
    let (_, fresh) = Browser::new(&f.app.address)
        .get(&format!("/family/sign-in/link?token={token}"))
        .await;
    assert!(
        !fresh.contains(r#"value="on" checked"#),
        "another browser is not told"
    );

    // Ticking "keep me signed in" too: a shared device is never kept.
    let (shared, cookies) = sign_in_with(&f, &ivy, &[("shared", "on"), ("keep", "on")]).await;
    let session = cookies
        .iter()
        .find(|c| c.starts_with("liaison_family="))
        .unwrap();
    assert!(
        !session.contains("Max-Age"),
        "ends with the browser: {session}"
    );
    assert!(
        !cookies.iter().any(|c| c.starts_with("liaison_device=")),
        "not remembered: {cookies:?}"
    );
    let (status, home) = shared.get("/family").await;
    assert_eq!(status, 200);
    assert!(
        home.contains(r#"data-idle-seconds="900""#) && !home.contains("data-draft-key"),
        "{home}"
    );
    assert!(home.contains("Are you still there?"));
    assert!(
        f.app
            .audit("family.sign_in")
            .await
            .iter()
            .any(|e| e.detail == "shared device")
    );
    let (status, _) = shared.get("/family/still-here").await;
    assert_eq!(status, 204);

    // Sol on his own device keeps drafts and no idle warning.
    let (own, _) = sign_in_with(&f, &sol, &[]).await;
    let (_, home) = own.get("/family").await;
    assert!(home.contains("data-draft-key") && !home.contains("data-idle-seconds"));

    // Fourteen minutes unused: both still signed in; using the page keeps Ivy's session.
    unused_for(&f, &ivy, 14).await;
    unused_for(&f, &sol, 16).await;
    let (status, _) = shared.get("/family/still-here").await;
    assert_eq!(status, 204);
    let (status, _) = own.get("/family").await;
    assert_eq!(status, 200, "an own device's session lasts two idle hours");
    // Sixteen minutes unused: the shared device's session has ended.
    unused_for(&f, &ivy, 16).await;
    let res = shared
        .client
        .get(shared.url("/family"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).starts_with("/family/sign-in"),
        "{}",
        location(&res)
    );
    let res = shared
        .client
        .get(shared.url("/family/still-here"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 204);
    let anonymous = Browser::new(&f.app.address);
    let res = anonymous
        .client
        .get(anonymous.url("/family/still-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}
