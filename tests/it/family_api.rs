//! The family portal as JSON (`/api/v1/family/...`): sign-in with a link token, the same
//! shared-only view as the pages, messages and preferences, and the same walls between
//! families, and between families and staff.

use diesel::prelude::*;
use liaison::family::links::Purpose;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::browser::location;
use crate::support::family::{family_token, link_for, officer_browser, signed_in};
use crate::support::fixture::{Fixture, call, fixture};

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = call(app, Method::GET, path, token, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn share_things(f: &Fixture) -> String {
    let (s, b) = call(&f.app, Method::POST, &f.case("/updates"), &f.officer,
        Some(json!({"title": "The post-mortem examination has taken place", "body": "Your liaison officer will explain the results.", "shared_with_family": true, "milestone": "post_mortem"}))).await;
    assert_eq!(s, 201, "{b}");
    let due = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let (s, a) = call(&f.app, Method::POST, &f.case("/follow-ups"), &f.officer,
        Some(json!({"purpose": "Meet at the station", "assignee_id": f.officer.id, "due_at": due, "is_appointment": true, "place": "Riverside station"}))).await;
    assert_eq!(s, 201, "{a}");
    let (s, p) = call(
        &f.app,
        Method::POST,
        &f.case("/property"),
        &f.officer,
        Some(json!({"description": "Blue wristwatch", "held_since": "2026-11-02"})),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    a["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_relative_signs_in_with_a_link_and_reads_their_case_as_json() {
    let f = fixture().await;
    let appointment = share_things(&f).await;
    let link = link_for(&f.app, &f.relatives[0], Purpose::SignIn).await;

    // Broken, used and expired links each get an answer a person can act on.
    let (s, b) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/auth/token",
        "",
        Some(json!({"link_token": "not-a-link"})),
    )
    .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("link_token")), "{b}");
    let (s, b) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/auth/token",
        "",
        Some(json!({"link_token": "A".repeat(43)})),
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (401, Some("link_unknown")), "{b}");
    let (s, b) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/auth/token",
        "",
        Some(json!({"link_token": link, "keep_signed_in": true})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let token = b["access_token"].as_str().unwrap().to_owned();
    let ends =
        chrono::DateTime::parse_from_rfc3339(b["session_ends_at"].as_str().unwrap()).unwrap();
    assert!(
        ends > chrono::Utc::now() + chrono::Duration::days(29),
        "kept signed in for 30 days: {b}"
    );
    let (s, b) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/auth/token",
        "",
        Some(json!({"link_token": link})),
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (410, Some("link_used")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("new link"));

    let home = get(&f.app, "/api/v1/family/case", &token).await;
    assert_eq!(home["reference"], f.reference.as_str());
    assert_eq!(home["full_name"], "Ivy Orley");
    assert_eq!(home["deceased_name"], "Nathan Orley");
    assert_eq!(
        home["current_milestone_label"], "Post-mortem examination",
        "{home}"
    );
    assert_eq!(home["next_appointment"]["place"], "Riverside station");
    assert!(home.get("circumstances").is_none());

    let timeline = get(&f.app, "/api/v1/family/timeline", &token).await;
    let update = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "The post-mortem examination has taken place")
        .expect("the shared update")
        .clone();
    assert_eq!(update["new"], true);
    // Reading the timeline changes nothing; marking it read does, and staff see it.
    let again = get(&f.app, "/api/v1/family/timeline", &token).await;
    assert!(again.as_array().unwrap().iter().any(|i| i["new"] == true));
    let (s, _) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/timeline/read",
        &token,
        None,
    )
    .await;
    assert_eq!(s, 204);
    let after = get(&f.app, "/api/v1/family/timeline", &token).await;
    assert!(
        after.as_array().unwrap().iter().all(|i| i["new"] == false),
        "{after}"
    );
    let staff = get(&f.app, &f.case("/timeline"), &f.officer).await;
    let seen = staff.to_string();
    assert!(seen.contains("Ivy Orley"), "staff see who read it: {seen}");

    let contacts = get(&f.app, "/api/v1/family/contacts", &token).await;
    assert_eq!(contacts[0]["phone"], "01632 960 101");
    assert_eq!(contacts[0]["role"], "flo");

    let list = get(&f.app, "/api/v1/family/appointments", &token).await;
    assert_eq!(list[0]["id"], appointment.as_str());
    let res = f
        .app
        .api
        .get(f.app.url(&format!(
            "/api/v1/family/appointments/{appointment}/calendar"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    assert!(res.text().await.unwrap().contains("Riverside station"));
    let (s, _) = call(
        &f.app,
        Method::GET,
        "/api/v1/family/appointments/01ARZ3NDEKTSV4RRFFQ69G5FAV/calendar",
        &token,
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, b) = call(
        &f.app,
        Method::GET,
        "/api/v1/family/appointments/nonsense/calendar",
        &token,
        None,
    )
    .await;
    assert_eq!(s, 404, "{b}");

    let property = get(&f.app, "/api/v1/family/property", &token).await;
    assert_eq!(property[0]["description"], "Blue wristwatch");
    assert_eq!(property[0]["status"], "held_as_evidence");
    assert!(property[0].get("staff_notes").is_none());

    // A fresh token for the same session; signing out ends it.
    let (s, fresh) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/auth/refresh",
        &token,
        None,
    )
    .await;
    assert_eq!(s, 200, "{fresh}");
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    get(&f.app, "/api/v1/family/case", &fresh).await;
    let (s, _) = call(
        &f.app,
        Method::DELETE,
        "/api/v1/family/auth/token",
        &fresh,
        None,
    )
    .await;
    assert_eq!(s, 204);
    for t in [&token, &fresh] {
        let (s, b) = call(&f.app, Method::GET, "/api/v1/family/case", t, None).await;
        assert_eq!((s, b["error"].as_str()), (401, Some("unauthenticated")));
    }
    assert!(!f.app.audit("family.sign_in").await.is_empty());
    assert_eq!(f.app.audit("family.sign_out").await.len(), 1);
}

#[tokio::test]
async fn messages_and_preferences_through_the_api_follow_the_pages_rules() {
    let f = fixture().await;
    let token = family_token(&f.app, &f.relatives[0]).await;
    let post = |body: Value| {
        let (app, token) = (&f.app, token.clone());
        async move {
            call(
                app,
                Method::POST,
                "/api/v1/family/messages",
                &token,
                Some(body),
            )
            .await
        }
    };
    let (s, b) = post(json!({"category": "question", "body": "   "})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("body")), "{b}");
    let (s, b) = post(json!({"category": "question", "body": "x".repeat(5001)})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("body")), "{b}");
    let (s, b) = post(json!({"category": "gossip", "body": "Hello"})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("category")), "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("investigation_concern"),
        "{b}"
    );
    assert_eq!(
        f.count("messages").await,
        0,
        "nothing written by a refused message"
    );
    let (s, thread) = post(json!({"category": "investigation_concern", "body": "Nobody has asked about the man he met."})).await;
    assert_eq!(s, 201, "{thread}");
    assert_eq!(thread[0]["message"]["is_concern"], true);
    assert_eq!(thread[0]["message"]["waiting"], true);
    // The case team answers; the family sees both times and who answered.
    let message_id = thread[0]["message"]["id"].as_str().unwrap().to_owned();
    let staff = officer_browser(&f).await;
    let page = format!("/staff/cases/{}/messages", f.case_id);
    staff.get(&page).await;
    let res = staff
        .post(
            &page,
            &[
                ("in_reply_to", &message_id),
                ("body", "We are looking into it and will call you tomorrow."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let thread = get(&f.app, "/api/v1/family/messages", &token).await;
    let m = &thread[0]["message"];
    assert!(
        m["acknowledged_at"].is_string() && m["answered_at"].is_string(),
        "{thread}"
    );
    assert_eq!(thread[0]["replies"][0]["new"], true);
    let (s, _) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/messages/read",
        &token,
        None,
    )
    .await;
    assert_eq!(s, 204);
    let thread = get(&f.app, "/api/v1/family/messages", &token).await;
    assert_eq!(thread[0]["replies"][0]["new"], false);

    let prefs = get(&f.app, "/api/v1/family/preferences", &token).await;
    assert_eq!(prefs["language"], "en");
    let put = |body: Value| {
        let (app, token) = (&f.app, token.clone());
        async move {
            call(
                app,
                Method::PUT,
                "/api/v1/family/preferences",
                &token,
                Some(body),
            )
            .await
        }
    };
    let (s, b) =
        put(json!({"channel": "email", "quiet_hours_start": "22:00", "language": "cy"})).await;
    assert_eq!(s, 422, "both quiet-hours times or neither: {b}");
    let (s, b) = put(json!({"channel": "pigeon", "language": "cy"})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("channel")), "{b}");
    let (s, b) = put(json!({"channel": "portal", "quiet_hours_start": "22:00", "quiet_hours_end": "07:30", "language": "cy"})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"channel": "portal", "quiet_hours_start": "22:00", "quiet_hours_end": "07:30", "language": "cy", "discreet": false})
    );
    let (s, b) = put(json!({"channel": "email", "language": "cy", "discreet": true})).await;
    assert_eq!((s, &b["discreet"]), (200, &json!(true)), "{b}");
    let (s, b) = put(json!({"channel": "portal", "quiet_hours_start": "22:00", "quiet_hours_end": "07:30", "language": "cy"})).await;
    assert_eq!(
        (s, &b["discreet"]),
        (200, &json!(true)),
        "left out, it stays as it was: {b}"
    );
    // Now in Welsh, through the API and on the pages.
    let home = get(&f.app, "/api/v1/family/case", &token).await;
    assert_eq!(home["language"], "cy");
    let (s, b) = post(json!({"category": "other", "body": ""})).await;
    assert_eq!(s, 422);
    assert_ne!(
        b["message"].as_str().unwrap(),
        "Enter a message.",
        "the relative's language: {b}"
    );
    let browser = signed_in(&f.app, &f.relatives[0]).await;
    let (_, page) = browser.get("/family").await;
    assert!(page.contains("lang=\"cy\""));
}

#[tokio::test]
async fn family_tokens_open_only_their_own_family_routes() {
    let f = fixture().await;
    let appointment = share_things(&f).await;
    let own = family_token(&f.app, &f.relatives[0]).await;
    // A relative of another case sees their own case, never this one.
    let (_, other) = call(&f.app, Method::POST, "/api/v1/cases", &f.manager,
        Some(json!({"team_id": call(&f.app, Method::GET, &f.case(""), &f.manager, None).await.1["team_id"], "deceased_name": "Mara Quill", "date_of_death": "2026-11-03", "circumstances": "x"}))).await;
    let (s, r) = call(&f.app, Method::POST, &format!("/api/v1/cases/{}/relatives", other["id"].as_str().unwrap()), &f.manager,
        Some(json!({"full_name": "Tom Quill", "relationship": "son", "email": "tom.quill@example.org", "preferred_channel": "email"}))).await;
    assert_eq!(s, 201, "{r}");
    let stranger = family_token(&f.app, r["id"].as_str().unwrap()).await;
    let (s, _) = call(
        &f.app,
        Method::GET,
        &format!("/api/v1/family/appointments/{appointment}/calendar"),
        &stranger,
        None,
    )
    .await;
    assert_eq!(s, 404);
    let home = get(&f.app, "/api/v1/family/case", &stranger).await;
    assert_eq!(home["deceased_name"], "Mara Quill");
    assert_eq!(
        get(&f.app, "/api/v1/family/appointments", &stranger).await,
        json!([])
    );
    assert_eq!(
        get(&f.app, "/api/v1/family/property", &stranger).await,
        json!([])
    );

    // Staff tokens open no family route; family tokens no staff route, and no page.
    for staff in [&f.officer, &f.manager, &f.admin] {
        let (s, _) = call(&f.app, Method::GET, "/api/v1/family/case", staff, None).await;
        assert_eq!(s, 401);
    }
    for path in ["/api/v1/me", "/api/v1/cases", &f.case("")] {
        let (s, _) = call(&f.app, Method::GET, path, &own, None).await;
        assert_eq!(s, 401, "{path}");
    }
    let res = f
        .app
        .api
        .get(f.app.url("/family"))
        .bearer_auth(&own)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/family/sign-in");

    // Suspension ends API sessions at once; sign-in is refused while suspended.
    let staff = officer_browser(&f).await;
    let edit = format!(
        "/staff/cases/{}/relatives/{}/edit",
        f.case_id, f.relatives[0]
    );
    staff.get(&edit).await;
    let res = staff
        .post(
            &format!(
                "/staff/cases/{}/relatives/{}/suspend",
                f.case_id, f.relatives[0]
            ),
            &[("reason", "At the family's request")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (s, _) = call(&f.app, Method::GET, "/api/v1/family/case", &own, None).await;
    assert_eq!(s, 401);
    let link = link_for(&f.app, &f.relatives[0], Purpose::SignIn).await;
    let (s, b) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/auth/token",
        "",
        Some(json!({"link_token": link})),
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (403, Some("access_suspended")),
        "{b}"
    );

    // Signing out everywhere from the app also ends the browser session.
    let browser = signed_in(&f.app, r["id"].as_str().unwrap()).await;
    let (s, _) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/auth/sign-out-everywhere",
        &stranger,
        None,
    )
    .await;
    assert_eq!(s, 204);
    let res = browser
        .client
        .get(browser.url("/family"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/family/sign-in");
    let (s, _) = call(&f.app, Method::GET, "/api/v1/family/case", &stranger, None).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn asking_for_a_link_answers_the_same_for_any_address_and_is_limited() {
    let f = fixture().await;
    let ask = |email: &'static str| {
        let app = &f.app;
        async move {
            call(
                app,
                Method::POST,
                "/api/v1/family/auth/link",
                "",
                Some(json!({"email": email})),
            )
            .await
        }
    };
    let (s, b) = ask("").await;
    assert_eq!((s, b["field"].as_str()), (422, Some("email")));
    let (s, b) = ask("not an address").await;
    assert_eq!(s, 422, "{b}");
    let known = ask("ivy.orley@example.org").await;
    let unknown = ask("nobody.here@example.org").await;
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown, "no hint whether the address is known");
    assert!(
        known.1["message"].as_str().unwrap().contains("15 minutes"),
        "{known:?}"
    );
    for _ in 0..4 {
        assert_eq!(ask("ivy.orley@example.org").await.0, 202);
    }
    let (s, b) = ask("ivy.orley@example.org").await;
    assert_eq!((s, b["error"].as_str()), (429, Some("rate_limited")), "{b}");
}

/// Every family route that takes a body, sent malformed bodies by a signed-in relative.
#[tokio::test]
async fn malformed_family_api_bodies_get_json_errors_never_500() {
    let f = fixture().await;
    let token = family_token(&f.app, &f.relatives[0]).await;
    let huge = format!("{{\"body\": \"{}\"}}", "x".repeat(300 * 1024));
    let bodies: [(&str, &str, &str); 7] = [
        ("malformed", "application/json", "{\"body\": "),
        ("trailing", "application/json", "{} {}"),
        (
            "wrong types",
            "application/json",
            "{\"category\": 5, \"body\": [], \"channel\": {}, \"language\": 1, \"link_token\": 2, \"email\": false}",
        ),
        (
            "unknown field",
            "application/json",
            "{\"category\": \"other\", \"body\": \"x\", \"case_id\": \"x\"}",
        ),
        ("not an object", "application/json", "[1, 2, 3]"),
        ("oversized", "application/json", &huge),
        ("wrong media type", "text/plain", "body=a"),
    ];
    let mut failures = Vec::new();
    for path in [
        "/api/v1/family/messages",
        "/api/v1/family/preferences",
        "/api/v1/family/auth/token",
        "/api/v1/family/auth/link",
    ] {
        let method = if path.ends_with("preferences") {
            Method::PUT
        } else {
            Method::POST
        };
        for (name, content_type, body) in &bodies {
            let res = f
                .app
                .api
                .request(method.clone(), f.app.url(path))
                .bearer_auth(&token)
                .header("content-type", *content_type)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let json: Value = res.json().await.unwrap_or(Value::Null);
            if !(400..500).contains(&status) || json["message"].as_str().is_none_or(str::is_empty) {
                failures.push(format!("{method} {path} [{name}] -> {status} {json}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(f.count("messages").await, 0);
}

#[tokio::test]
async fn the_case_team_answers_and_closes_a_concern_and_manages_access_through_the_api() {
    let f = fixture().await;
    let family = family_token(&f.app, &f.relatives[0]).await;
    let (s, thread) = call(&f.app, Method::POST, "/api/v1/family/messages", &family,
        Some(json!({"category": "investigation_concern", "body": "Was the neighbour's camera checked?"}))).await;
    assert_eq!(s, 201, "{thread}");
    let message = thread[0]["message"]["id"].as_str().unwrap().to_owned();

    let waiting = get(&f.app, "/api/v1/messages/waiting", &f.officer).await;
    assert_eq!(
        waiting["waiting"][0]["message_id"],
        message.as_str(),
        "{waiting}"
    );
    assert_eq!(waiting["concerns"][0]["message_id"], message.as_str());
    let (s, _) = call(
        &f.app,
        Method::GET,
        "/api/v1/messages/waiting",
        &f.admin,
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = call(
        &f.app,
        Method::GET,
        &f.case("/messages"),
        &f.other_officer,
        None,
    )
    .await;
    assert_eq!(s, 404, "an officer not on the case");
    let (s, _) = call(
        &f.app,
        Method::GET,
        &f.case("/messages"),
        &f.other_manager,
        None,
    )
    .await;
    assert_eq!(s, 404, "a manager of another team");

    let ack = f.case(&format!("/messages/{message}/acknowledge"));
    let (s, b) = call(
        &f.app,
        Method::POST,
        &ack,
        &f.officer,
        Some(json!({"note": "x"})),
    )
    .await;
    assert_eq!(
        (s, b["field"].as_str()),
        (422, Some("note")),
        "ignored input is refused: {b}"
    );
    let res = f
        .app
        .api
        .post(f.app.url(&ack))
        .bearer_auth(&f.officer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "no body at all");
    let thread: Value = res.json().await.unwrap();
    let first_ack = thread[0]["message"]["acknowledged_at"].clone();
    assert!(first_ack.is_string());
    let (s, thread) = call(&f.app, Method::POST, &ack, &f.manager, None).await;
    assert_eq!(s, 200);
    assert_eq!(
        thread[0]["message"]["acknowledged_at"], first_ack,
        "the first acknowledgement stands"
    );

    let (s, b) = call(
        &f.app,
        Method::POST,
        &f.case("/messages"),
        &f.officer,
        Some(json!({"body": " ", "in_reply_to": message})),
    )
    .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("body")));
    let (s, thread) = call(&f.app, Method::POST, &f.case("/messages"), &f.officer,
        Some(json!({"body": "Yes; we will tell you what it showed on Friday.", "in_reply_to": message}))).await;
    assert_eq!(s, 201, "{thread}");
    assert!(thread[0]["message"]["answered_at"].is_string());
    let close = f.case(&format!("/messages/{message}/close"));
    let (s, b) = call(
        &f.app,
        Method::POST,
        &close,
        &f.officer,
        Some(json!({"response": ""})),
    )
    .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("response")));
    let (s, _) = call(&f.app, Method::POST, &close, &f.officer,
        Some(json!({"response": "The footage was reviewed; it showed nothing of use. We are sorry."}))).await;
    assert_eq!(s, 200);
    let (s, b) = call(
        &f.app,
        Method::POST,
        &close,
        &f.officer,
        Some(json!({"response": "Again"})),
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (409, Some("already_closed")));
    let waiting = get(&f.app, "/api/v1/messages/waiting", &f.manager).await;
    assert_eq!(waiting["concerns"], json!([]));
    let theirs = get(&f.app, "/api/v1/family/messages", &family).await;
    assert_eq!(
        theirs[0]["message"]["closing_response"],
        "The footage was reviewed; it showed nothing of use. We are sorry."
    );

    // Portal access.
    let suspend = f.case(&format!("/relatives/{}/suspend", f.relatives[0]));
    let (s, b) = call(
        &f.app,
        Method::POST,
        &suspend,
        &f.officer,
        Some(json!({"reason": ""})),
    )
    .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("reason")));
    let (s, r) = call(
        &f.app,
        Method::POST,
        &suspend,
        &f.officer,
        Some(json!({"reason": "The family asked for a pause"})),
    )
    .await;
    assert_eq!(
        (s, r["access_state"].as_str()),
        (200, Some("suspended")),
        "{r}"
    );
    let (s, _) = call(&f.app, Method::GET, "/api/v1/family/case", &family, None).await;
    assert_eq!(s, 401, "the relative's sessions ended at once");
    let (s, b) = call(
        &f.app,
        Method::POST,
        &suspend,
        &f.officer,
        Some(json!({"reason": "Again"})),
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (409, Some("already_suspended")));
    let invite = f.case(&format!("/relatives/{}/invite", f.relatives[0]));
    let (s, _) = call(&f.app, Method::POST, &invite, &f.officer, None).await;
    assert_eq!(s, 409, "no invitation while suspended");
    let (s, r) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/relatives/{}/reinstate", f.relatives[0])),
        &f.manager,
        None,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_ne!(r["access_state"], "suspended");
    let (s, _) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/relatives/{}/invite", f.relatives[1])),
        &f.other_officer,
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, r) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/relatives/{}/invite", f.relatives[1])),
        &f.officer,
        None,
    )
    .await;
    assert_eq!(
        (s, r["access_state"].as_str()),
        (200, Some("invited")),
        "{r}"
    );
    for action in [
        "message.acknowledge",
        "message.close_concern",
        "relative.suspend",
        "relative.reinstate",
        "relative.invite",
    ] {
        assert!(!f.app.audit(action).await.is_empty(), "{action} is audited");
    }
}

#[tokio::test]
async fn the_waiting_list_finds_a_teams_messages_however_many_other_teams_have_waiting() {
    let f = fixture().await;
    // Team B: a case with a relative and 600 messages waiting since last month, older than
    // anything of team A.
    let team_b: String = f
        .app
        .with_conn(|conn| {
            use liaison::db::schema::teams;
            teams::table
                .filter(teams::name.eq("Team B"))
                .select(teams::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let (s, case) = call(&f.app, Method::POST, "/api/v1/cases", &f.other_manager,
        Some(json!({"team_id": team_b, "deceased_name": "Rowan Vell", "date_of_death": "2026-10-01"}))).await;
    assert_eq!(s, 201, "{case}");
    let case_b = case["id"].as_str().unwrap().to_owned();
    let (s, r) = call(&f.app, Method::POST, &format!("/api/v1/cases/{case_b}/relatives"), &f.other_manager,
        Some(json!({"full_name": "Ada Vell", "relationship": "sister", "preferred_channel": "phone"}))).await;
    assert_eq!(s, 201, "{r}");
    let relative_b = r["id"].as_str().unwrap().to_owned();
    let month_ago = liaison::db::now() - chrono::Duration::days(30);
    let inserted = case_b.clone();
    f.app
        .with_conn(move |conn| {
            use liaison::db::schema::messages;
            for i in 0..600 {
                diesel::insert_into(messages::table)
                    .values((
                        messages::id.eq(liaison::domain::new_row_id()),
                        messages::case_id.eq(&inserted),
                        messages::from_relative_id.eq(Some(&relative_b)),
                        messages::category.eq(Some("question")),
                        messages::body.eq("Any news?"),
                        messages::sent_at.eq(month_ago + chrono::Duration::minutes(i)),
                    ))
                    .execute(conn)
                    .unwrap();
            }
        })
        .await;
    // Team A's family writes now.
    let family = family_token(&f.app, &f.relatives[0]).await;
    let (s, thread) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/messages",
        &family,
        Some(json!({"category": "question", "body": "Is there a date for the inquest?"})),
    )
    .await;
    assert_eq!(s, 201, "{thread}");
    let message = thread[0]["message"]["id"].as_str().unwrap().to_owned();

    let mine = get(&f.app, "/api/v1/messages/waiting", &f.manager).await;
    let waiting = mine["waiting"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "only team A's message: {mine}");
    assert_eq!(waiting[0]["message_id"], message.as_str());
    let theirs = get(&f.app, "/api/v1/messages/waiting", &f.other_manager).await;
    let waiting = theirs["waiting"].as_array().unwrap();
    assert_eq!(waiting.len(), 500, "the 500 longest waiting");
    assert!(waiting.iter().all(|w| w["case_id"] == case_b.as_str()));
    assert!(
        waiting
            .windows(2)
            .all(|p| p[0]["sent_at"].as_str() <= p[1]["sent_at"].as_str()),
        "longest waiting first"
    );
}
