//! The family home page kept in memory (`family::cache`): it is served without the database
//! while nothing on it changes, and a change made through this instance shows on the very next
//! request, one made through another instance on the same database soon after, and a
//! suspension made elsewhere signs the relative out there too.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::support::browser::location;
use crate::support::family::signed_in;
use crate::support::fixture::{Fixture, call, fixture};
use crate::support::{Browser, TestApp};

/// The count of family pages this app answered from memory.
async fn from_memory(app_address: &str) -> u64 {
    let text = reqwest::get(format!("{app_address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("liaison_family_pages_from_memory_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .expect("the metric is published") as u64
}

/// Opens the home page until it comes from memory (the first opening reads the database);
/// the page.
async fn home_from_memory(app_address: &str, family: &Browser) -> String {
    for _ in 0..3 {
        let before = from_memory(app_address).await;
        let (status, page) = family.get("/family").await;
        assert_eq!(status, 200, "{page}");
        if from_memory(app_address).await > before {
            return page;
        }
    }
    panic!("the home page never came from memory");
}

/// Whether the home page sends this browser to sign in.
async fn sent_to_sign_in(family: &Browser) -> bool {
    let res = family
        .client
        .get(family.url("/family"))
        .send()
        .await
        .unwrap();
    res.status() == 303 && location(&res) == "/family/sign-in"
}

/// Opens the home page until `shows` holds, for at most `within`; how long it took.
async fn home_until(
    family: &Browser,
    within: Duration,
    shows: impl Fn(&str) -> bool,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        let (_, page) = family.get("/family").await;
        if shows(&page) {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// A second instance of the portal on the same database and secret, as behind a load balancer:
/// the `liaison` binary in its own process, so that nothing but the database connects them.
struct SecondInstance {
    child: std::process::Child,
    address: String,
}

impl Drop for SecondInstance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn second_instance(app: &TestApp) -> SecondInstance {
    use base64::Engine as _;
    let port = crate::support::smtp::reserve_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_liaison"))
        .arg("serve")
        .current_dir(app.database.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LIAISON_DATABASE_URL", &app.database.url)
        .env(
            "LIAISON_DATA_DIR",
            app.database.dir.path().join("data-second"),
        )
        .env(
            "LIAISON_SECRET",
            base64::engine::general_purpose::STANDARD.encode(&app.secret),
        )
        .env("LIAISON_BIND", format!("127.0.0.1:{port}"))
        .env("LIAISON_RUN_WORKER", "false")
        .env("LIAISON_LOG_LEVEL", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the liaison binary");
    let second = SecondInstance {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    let start = Instant::now();
    while reqwest::get(format!("{}/healthz", second.address))
        .await
        .is_err()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the second instance did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second
}

async fn share(f: &Fixture, body: serde_json::Value) {
    let (status, answer) = call(
        &f.app,
        Method::POST,
        &f.case("/updates"),
        &f.officer,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test]
async fn a_change_through_this_instance_shows_on_the_next_request() {
    let f = fixture().await;
    let family = signed_in(&f.app, &f.relatives[0]).await;
    let address = f.app.address.clone();

    let page = home_from_memory(&address, &family).await;
    assert!(!page.contains("The post-mortem examination is done"));
    share(&f, json!({"title": "The post-mortem examination is done", "body": "Your officer will call.", "shared_with_family": true})).await;
    let (_, page) = family.get("/family").await;
    assert!(
        page.contains("The post-mortem examination is done"),
        "{page}"
    );

    let page = home_from_memory(&address, &family).await;
    assert!(
        !page.contains("Where things stand: Investigation"),
        "{page}"
    );
    share(&f, json!({"title": "The investigation has begun", "body": "A team is assigned.", "shared_with_family": true, "milestone": "investigation"})).await;
    let (_, page) = family.get("/family").await;
    assert!(page.contains("Where things stand: Investigation"), "{page}");

    home_from_memory(&address, &family).await;
    let due = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let (status, body) = call(&f.app, Method::POST, &f.case("/follow-ups"), &f.officer,
        Some(json!({"purpose": "Visit Ivy, take the coroner's leaflet", "family_title": "Visit to talk through the examination", "assignee_id": f.officer.id, "due_at": due, "is_appointment": true, "place": "Your home"}))).await;
    assert_eq!(status, 201, "{body}");
    let (_, page) = family.get("/family").await;
    assert!(
        page.contains("Visit to talk through the examination"),
        "{page}"
    );

    // What the relative does is on their next page too.
    home_from_memory(&address, &family).await;
    let res = family
        .post("/family/language", &[("lang", "cy"), ("next", "/family")])
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = family.get("/family").await;
    assert!(page.contains("<html lang=\"cy\">"), "{page}");

    // Kept pages carry each browser's own CSRF token, and forms still work from them.
    let page = home_from_memory(&address, &family).await;
    assert!(
        page.contains(&family.csrf()),
        "the kept page carries this browser's token"
    );
    let res = family.post("/family/sign-out", &[]).await;
    assert_eq!(res.status(), 303);
    assert!(sent_to_sign_in(&family).await, "signed out at once");
}

#[tokio::test]
async fn a_change_through_another_instance_shows_there_soon_after() {
    let f = fixture().await;
    let second = second_instance(&f.app).await;
    let other = &second.address;
    let family = signed_in(&f.app, &f.relatives[0]).await;
    let here = f.app.address.clone();
    let api = reqwest::Client::new();

    home_from_memory(&here, &family).await;
    let res = api
        .post(format!("{other}/api/v1/cases/{}/updates", f.case_id))
        .bearer_auth(&f.officer)
        .json(&json!({"title": "News from the other office", "body": "Details to follow.", "shared_with_family": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let took = home_until(&family, Duration::from_secs(5), |p| {
        p.contains("News from the other office")
    })
    .await
    .expect("the update made through the other instance shows here");
    println!("shown here {took:?} after it was shared through the other instance");

    // A suspension through the other instance ends the session here too.
    home_from_memory(&here, &family).await;
    let res = api
        .post(format!(
            "{other}/api/v1/cases/{}/relatives/{}/suspend",
            f.case_id, f.relatives[0]
        ))
        .bearer_auth(&f.manager)
        .json(&json!({"reason": "Investigation requires it"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let start = Instant::now();
    let signed_out = loop {
        if sent_to_sign_in(&family).await {
            break Some(start.elapsed());
        }
        if start.elapsed() > Duration::from_secs(5) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = signed_out.expect("the suspension through the other instance signs out here");
    println!("signed out here {took:?} after the suspension through the other instance");
}

/// The home page without the CSRF token and the language form's way back (which carries the
/// address asked for), so that a page from memory and one read afresh compare.
fn comparable(page: &str) -> String {
    page.lines()
        .filter(|l| !l.contains("csrf_token") && !l.contains("name=\"next\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn whatever_the_case_team_does_the_page_from_memory_is_the_page_read_afresh() {
    let f = fixture().await;
    let family = signed_in(&f.app, &f.relatives[0]).await;
    let address = f.app.address.clone();
    let o = f.officer.clone();
    // Each step starts from a page in memory, changes something a family sees through the
    // API, and then the page must be the one read from the database (an address with a query
    // is never answered from memory), and must have changed.
    let mut before = comparable(&home_from_memory(&address, &family).await);
    let mut check = async |what: &str| {
        let (_, kept) = family.get("/family").await;
        let (_, fresh) = family.get("/family?afresh").await;
        let (kept, fresh) = (comparable(&kept), comparable(&fresh));
        assert_eq!(kept, fresh, "after {what}");
        assert_ne!(kept, before, "{what} changes the home page");
        before = comparable(&home_from_memory(&address, &family).await);
    };
    let post = |path: String, token: &str, body: serde_json::Value| {
        let (app, token) = (&f.app, token.to_owned());
        async move {
            let (status, answer) = call(app, Method::POST, &path, &token, Some(body)).await;
            assert!(status == 200 || status == 201, "{path}: {status} {answer}");
            answer
        }
    };

    post(f.case("/updates"), &o, json!({"title": "The examination is done", "body": "Your officer will call.", "shared_with_family": true})).await;
    check("a shared update (and its notice)").await;
    post(f.case("/updates"), &o, json!({"title": "Charging decision", "body": "Papers are with the CPS.", "shared_with_family": true, "milestone": "charge"})).await;
    check("a milestone reached").await;
    let contact = post(
        f.case("/contacts"),
        &o,
        json!({
        "occurred_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "channel": "visit", "direction": "outbound", "relatives": [f.relatives[0]],
        "discussion": "Staff-only detail.", "family_summary": "We talked about the funeral."}),
    )
    .await;
    check("a contact with a summary for the family").await;
    post(f.case(&format!("/contacts/{}/amendments", contact["original"]["id"].as_str().unwrap())), &o,
        json!({"reason": "Wrong word", "family_summary": "We talked about the funeral arrangements."})).await;
    check("an amended summary").await;
    let due = |days| (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339();
    let appointment = post(f.case("/follow-ups"), &o, json!({"purpose": "Visit at home", "assignee_id": f.officer.id, "due_at": due(3), "is_appointment": true, "place": "Your home"})).await;
    check("an appointment").await;
    let id = appointment["id"].as_str().unwrap();
    post(
        f.case(&format!("/follow-ups/{id}/reschedule")),
        &o,
        json!({"due_at": due(4)}),
    )
    .await;
    check("a rescheduled appointment").await;
    post(
        f.case(&format!("/follow-ups/{id}/cancel")),
        &o,
        json!({"reason": "The family asked to move it"}),
    )
    .await;
    check("a cancelled appointment").await;
    post(
        f.case("/messages"),
        &o,
        json!({"body": "Would Thursday suit you for a visit?"}),
    )
    .await;
    check("a message from the team").await;
    post(f.case("/close"), &f.manager, json!({"how_liaison_ends": "A final visit on Friday", "contact_afterwards": "The unit's duty officer", "how_to_reactivate": "Call the unit"})).await;
    check("closing the case, with how liaison ends").await;
}
