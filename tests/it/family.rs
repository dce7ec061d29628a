//! The family portal through HTTP, as a relative's browser (without JavaScript) and the
//! case team's would use it: sign-in links, sessions and suspension, what a relative can
//! read (and what never reaches them), messages answered on the record, read receipts,
//! preferences and language.

use std::collections::BTreeSet;
use std::time::Duration;

use diesel::prelude::*;
use liaison::db::schema::{relatives, sign_in_tokens};
use liaison::domain::{RelativeId, Role};
use liaison::family::links::Purpose;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::browser::location;
use crate::support::family::{fixture_with_mail, link_for, officer_browser, signed_in};
use crate::support::fixture::{call, fixture, fixture_with};
use crate::support::{Browser, TestApp};

fn strip_tokens(page: &str) -> String {
    page.lines()
        .filter(|l| !l.contains("csrf_token"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn an_invitation_email_signs_a_relative_in_once() {
    let (smtp, f) = fixture_with_mail().await;
    let officer = officer_browser(&f).await;
    let path = format!(
        "/staff/cases/{}/relatives/{}/invite",
        f.case_id, f.relatives[0]
    );
    officer
        .get(&format!(
            "/staff/cases/{}/relatives/{}/edit",
            f.case_id, f.relatives[0]
        ))
        .await;
    let res = officer.post(&path, &[]).await;
    assert_eq!(res.status(), 303);
    // The FLO's and the new deputy's assignment notices, and the invitation.
    let mail = smtp.wait_for(3, Duration::from_secs(20)).await;
    let invitation: Vec<_> = mail
        .iter()
        .filter(|m| {
            m.header("To")
                .unwrap_or_default()
                .contains("ivy.orley@example.org")
        })
        .collect();
    assert_eq!(invitation.len(), 1);
    let text = invitation[0].text();
    assert!(text.contains("invited"), "{text}");
    assert!(
        !text.contains("stairwell"),
        "case detail in an e-mail: {text}"
    );
    let at = text.find("/family/sign-in/link?token=").expect("a link");
    let token: String = text[at + "/family/sign-in/link?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 43);
    // Only the hash is stored.
    let stored: Vec<String> = f
        .app
        .with_conn(|conn| {
            sign_in_tokens::table
                .select(sign_in_tokens::token_hash)
                .load(conn)
                .unwrap()
        })
        .await;
    assert!(!stored.iter().any(|h| h.contains(&token)));
    assert_eq!(stored.len(), 1);

    let b = Browser::new(&f.app.address);
    b.get(&format!("/family/sign-in/link?token={token}")).await;
    let res = b.post("/family/sign-in/link", &[("token", &token)]).await;
    assert_eq!(res.status(), 303);
    let (status, home) = b.get("/family").await;
    assert_eq!(status, 200);
    assert!(home.contains("About Nathan Orley"), "{home}");
    // The link works once.
    let again = Browser::new(&f.app.address);
    let (status, page) = again
        .get(&format!("/family/sign-in/link?token={token}"))
        .await;
    assert_eq!(status, 410);
    assert!(page.contains("already been used"), "{page}");
    let state: String = f
        .app
        .with_conn({
            let rid = RelativeId::parse(&f.relatives[0]).unwrap();
            move |conn| {
                relatives::table
                    .find(&rid)
                    .select(relatives::access_state)
                    .first(conn)
                    .unwrap()
            }
        })
        .await;
    assert_eq!(state, "active");
    assert!(!f.app.audit("family.sign_in").await.is_empty());

    // A message from the family reaches the FLO's mailbox, without its words.
    b.get("/family/messages").await;
    let res = b
        .post(
            "/family/messages",
            &[
                ("category", "practical_matter"),
                ("body", "Where is his bicycle kept?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // The FLO and the deputy are both told.
    let mail = smtp.wait_for(5, Duration::from_secs(20)).await;
    let told = mail
        .iter()
        .find(|m| m.header("Subject").unwrap_or_default().contains("message"))
        .expect("the FLO is told of the family's message");
    assert!(!told.text().contains("bicycle"));
    // A sign-in link asked for later arrives too, and signs in.
    let later = Browser::new(&f.app.address);
    later.get("/family/sign-in").await;
    let res = later
        .post("/family/sign-in", &[("email", "ivy.orley@example.org")])
        .await;
    assert_eq!(res.status(), 200);
    let mail = smtp.wait_for(6, Duration::from_secs(20)).await;
    let text = mail
        .iter()
        .map(|m| m.text())
        .find(|t| t.contains("works once and for 15 minutes"))
        .expect("a sign-in link e-mail");
    let at = text.find("token=").unwrap();
    let token: String = text[at + 6..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    later
        .get(&format!("/family/sign-in/link?token={token}"))
        .await;
    let res = later
        .post("/family/sign-in/link", &[("token", &token), ("keep", "on")])
        .await;
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("liaison_family="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Max-Age="),
        "{cookie}"
    );
    assert_eq!(later.get("/family").await.0, 200);
}

#[tokio::test]
async fn a_sign_in_request_answers_the_same_for_known_and_unknown_addresses_and_is_limited() {
    let f = fixture().await;
    link_for(&f.app, &f.relatives[0], Purpose::Invitation).await;
    let b = Browser::new(&f.app.address);
    b.get("/family/sign-in").await;
    let known = b
        .post("/family/sign-in", &[("email", "ivy.orley@example.org")])
        .await;
    let (known_status, known_page) = (known.status(), known.text().await.unwrap());
    let unknown = b
        .post("/family/sign-in", &[("email", "nobody.here@example.org")])
        .await;
    let (unknown_status, unknown_page) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(known_status, 200);
    assert_eq!(known_status, unknown_status);
    assert_eq!(strip_tokens(&known_page), strip_tokens(&unknown_page));
    // Only the known, invited address got a link in the outbox.
    let queued: i64 = f
        .app
        .with_conn(|conn| {
            use liaison::db::schema::notifications as n;
            n::table
                .filter(n::kind.eq("family_sign_in_link"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(queued, 1);
    // Empty and malformed addresses keep what was typed.
    let res = b
        .post("/family/sign-in", &[("email", "not-an-address")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("value=\"not-an-address\"")
    );
    // Per address: the sixth request in the hour is refused, whoever asks.
    for _ in 0..4 {
        let res = b
            .post("/family/sign-in", &[("email", "ivy.orley@example.org")])
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = b
        .post("/family/sign-in", &[("email", "IVY.ORLEY@example.org")])
        .await;
    assert_eq!(res.status(), 429);
    let limited = res.text().await.unwrap();
    assert!(
        limited.contains("family liaison officer can send you a new link")
            && limited.contains("on 101."),
        "the person at the limit is told who can help, with the force's number: {limited}"
    );
    // The same answer for an address nobody has, once it too is at its limit.
    for _ in 0..5 {
        b.post("/family/sign-in", &[("email", "nobody.here@example.org")])
            .await;
    }
    let unknown = b
        .post("/family/sign-in", &[("email", "nobody.here@example.org")])
        .await;
    assert_eq!(unknown.status(), 429);
    let unknown = unknown.text().await.unwrap();
    assert_eq!(
        limited.replace("IVY.ORLEY@example.org", "x"),
        unknown.replace("nobody.here@example.org", "x"),
        "known and unknown addresses at the limit read alike"
    );
}

#[tokio::test]
async fn broken_expired_used_and_suspended_links_get_a_clear_page() {
    let f = fixture().await;
    let b = Browser::new(&f.app.address);
    for (token, status, words) in [
        ("short", 400, "not complete"),
        (&"A".repeat(43)[..], 400, "not complete"),
    ] {
        let (s, page) = b.get(&format!("/family/sign-in/link?token={token}")).await;
        assert_eq!(s, status, "{page}");
        assert!(
            page.contains(words) && page.contains("Get a new link"),
            "{page}"
        );
        let res = b.post("/family/sign-in/link", &[("token", token)]).await;
        assert_eq!(res.status().as_u16(), status);
    }
    let expired = link_for(&f.app, &f.relatives[0], Purpose::SignIn).await;
    f.app
        .with_conn(|conn| {
            diesel::update(sign_in_tokens::table)
                .set(
                    sign_in_tokens::expires_at
                        .eq(liaison::db::now() - chrono::Duration::seconds(1)),
                )
                .execute(conn)
                .unwrap()
        })
        .await;
    let (s, page) = b
        .get(&format!("/family/sign-in/link?token={expired}"))
        .await;
    assert_eq!(s, 410);
    assert!(page.contains("expired"), "{page}");
    let res = b.post("/family/sign-in/link", &[("token", &expired)]).await;
    assert_eq!(res.status(), 410);
    // Using one link retires the relative's other links.
    let first = link_for(&f.app, &f.relatives[0], Purpose::SignIn).await;
    let second = link_for(&f.app, &f.relatives[0], Purpose::SignIn).await;
    b.get("/family/sign-in").await;
    assert_eq!(
        b.post("/family/sign-in/link", &[("token", &first)])
            .await
            .status(),
        303
    );
    let other = Browser::new(&f.app.address);
    let (s, _) = other
        .get(&format!("/family/sign-in/link?token={second}"))
        .await;
    assert_eq!(s, 410);
}

#[tokio::test]
async fn suspension_ends_every_session_at_once_and_reinstatement_restores_access() {
    let f = fixture().await;
    let relative = signed_in(&f.app, &f.relatives[0]).await;
    let second_device = signed_in(&f.app, &f.relatives[0]).await;
    assert_eq!(relative.get("/family").await.0, 200);
    let officer = officer_browser(&f).await;
    let edit = format!(
        "/staff/cases/{}/relatives/{}/edit",
        f.case_id, f.relatives[0]
    );
    officer.get(&edit).await;
    let suspend = format!(
        "/staff/cases/{}/relatives/{}/suspend",
        f.case_id, f.relatives[0]
    );
    let res = officer.post(&suspend, &[("reason", "")]).await;
    assert_eq!(res.status(), 422);
    let res = officer
        .post(&suspend, &[("reason", "Investigation requires it")])
        .await;
    assert_eq!(res.status(), 303);
    for b in [&relative, &second_device] {
        let res = b.client.get(b.url("/family")).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/family/sign-in");
    }
    // No link reaches a suspended relative, and old ones are dead.
    let token = link_for(&f.app, &f.relatives[0], Purpose::SignIn).await;
    let (s, page) = relative
        .get(&format!("/family/sign-in/link?token={token}"))
        .await;
    assert_eq!(s, 403, "{page}");
    let (_, page) = officer.get(&edit).await;
    assert!(page.contains("Investigation requires it"));
    let res = officer
        .post(
            &format!(
                "/staff/cases/{}/relatives/{}/reinstate",
                f.case_id, f.relatives[0]
            ),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    let back = signed_in(&f.app, &f.relatives[0]).await;
    assert_eq!(back.get("/family").await.0, 200);
    assert_eq!(f.app.audit("relative.suspend").await.len(), 1);
    assert_eq!(f.app.audit("relative.reinstate").await.len(), 1);
}

#[tokio::test]
async fn sign_out_everywhere_ends_other_devices() {
    let f = fixture().await;
    let phone = signed_in(&f.app, &f.relatives[0]).await;
    let laptop = signed_in(&f.app, &f.relatives[0]).await;
    phone.get("/family/preferences").await;
    let res = phone.post("/family/sign-out-everywhere", &[]).await;
    assert_eq!(res.status(), 303);
    let res = laptop
        .client
        .get(laptop.url("/family"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/family/sign-in");
    // Staff sessions do not open family pages, nor family sessions staff pages.
    let res = phone
        .client
        .get(phone.url("/staff/cases"))
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/staff/login"));
    let staff = officer_browser(&f).await;
    let res = staff.client.get(staff.url("/family")).send().await.unwrap();
    assert_eq!(location(&res), "/family/sign-in");
}

/// Fills every staff-only field with a marker, shares some things, and crawls every family
/// page and file: no marker may appear; what was shared must.
#[tokio::test]
async fn nothing_staff_only_reaches_a_family_page() {
    let f = fixture().await;
    let m = &f.manager;
    let o = &f.officer;
    let mut markers: Vec<String> = Vec::new();
    let mut mark = |what: &str| {
        let m = format!("ZZSTAFF{}{}", what.to_uppercase(), markers.len());
        markers.push(m.clone());
        m
    };
    let (discussion, actions, staff_update, staff_body, reason, purpose, notes) = (
        mark("discussion"),
        mark("actions"),
        mark("update"),
        mark("updatebody"),
        mark("amendreason"),
        mark("purpose"),
        mark("notes"),
    );
    let (cancel_reason, plan_reason, link_reason, needs, suspended_reason) = (
        mark("cancel"),
        mark("plan"),
        mark("link"),
        mark("needs"),
        mark("suspend"),
    );
    // The officer's own wording of an appointment stays staff-only; the family reads its title.
    let appointment_purpose = mark("apptpurpose");
    let ok = |(s, b): (u16, Value)| {
        assert!((200..300).contains(&s), "{s} {b}");
        b
    };
    let contact = ok(f
        .log_contact(
            o,
            json!({"channel": "visit", "direction": "outbound", "discussion": discussion,
                   "agreed_actions": actions, "family_summary": "We talked about the next steps together."}),
        )
        .await);
    let contact_id = contact["original"]["id"].as_str().unwrap().to_owned();
    ok(call(&f.app, Method::POST, &f.case(&format!("/contacts/{contact_id}/amendments")), o,
        Some(json!({"reason": reason, "family_summary": "We talked about the next steps and the post-mortem."}))).await);
    ok(call(
        &f.app,
        Method::POST,
        &f.case("/updates"),
        o,
        Some(json!({"title": staff_update, "body": staff_body, "shared_with_family": false})),
    )
    .await);
    ok(call(&f.app, Method::POST, &f.case("/updates"), o,
        Some(json!({"title": "The post-mortem examination has taken place", "body": "Your liaison officer will explain the results.", "shared_with_family": true, "milestone": "post_mortem"}))).await);
    let due = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let staff_fu = ok(call(
        &f.app,
        Method::POST,
        &f.case("/follow-ups"),
        o,
        Some(json!({"purpose": purpose, "assignee_id": f.officer.id, "due_at": due})),
    )
    .await);
    ok(call(&f.app, Method::POST, &f.case("/follow-ups"), o,
        Some(json!({"purpose": appointment_purpose, "family_title": "Visit at home to talk through the examination", "assignee_id": f.officer.id, "due_at": due, "is_appointment": true, "place": "Your home"}))).await);
    let cancelled = ok(call(&f.app, Method::POST, &f.case("/follow-ups"), o,
        Some(json!({"purpose": "Meeting that was called off", "assignee_id": f.officer.id, "due_at": due, "is_appointment": true, "place": "The station"}))).await);
    ok(call(
        &f.app,
        Method::POST,
        &f.case(&format!(
            "/follow-ups/{}/cancel",
            cancelled["id"].as_str().unwrap()
        )),
        o,
        Some(json!({"reason": cancel_reason})),
    )
    .await);
    let _ = staff_fu;
    ok(call(&f.app, Method::POST, &f.case("/property"), o,
        Some(json!({"description": "Blue wristwatch", "held_since": "2026-11-02", "staff_notes": notes}))).await);
    ok(call(&f.app, Method::POST, &f.case("/contact-plan"), m,
        Some(json!({"interval_hours": 72, "preferred_channel": "phone", "preferred_hours": "", "agreed_on": "2026-11-05", "reason": plan_reason}))).await);
    let (_, other) = call(&f.app, Method::POST, "/api/v1/cases", m,
        Some(json!({"team_id": ok(call(&f.app, Method::GET, &f.case(""), m, None).await)["team_id"], "deceased_name": "Other Person", "date_of_death": "2026-11-01", "circumstances": mark("othercase")}))).await;
    let operation = ok(call(
        &f.app,
        Method::POST,
        "/api/v1/operations",
        m,
        Some(json!({"name": mark("operationname"), "case_id": f.case_id, "reason": link_reason})),
    )
    .await);
    ok(call(
        &f.app,
        Method::POST,
        &format!(
            "/api/v1/operations/{}/cases",
            operation["id"].as_str().unwrap()
        ),
        m,
        Some(json!({"case_id": other["id"], "reason": mark("linkother")})),
    )
    .await);
    ok(call(
        &f.app,
        Method::POST,
        &f.case("/type"),
        o,
        Some(json!({"case_type": "homicide", "reason": mark("typereason")})),
    )
    .await);
    ok(call(
        &f.app,
        Method::POST,
        &f.case("/milestones/not-needed"),
        o,
        Some(json!({"milestone": "second_post_mortem", "reason": mark("milestonereason")})),
    )
    .await);
    ok(call(&f.app, Method::POST, &f.case("/agencies"), o,
        Some(json!({"name": "Kept Private", "organisation": mark("agencyorg"), "role": "other", "role_detail": mark("agencyrole"), "shared_with_family": false}))).await);
    ok(call(&f.app, Method::POST, &f.case("/referrals"), o,
        Some(json!({"relative_id": f.relatives[0], "organisation": "Homicide Service", "offered_on": "2026-11-02", "outcome": "declined", "note": mark("referralnote")}))).await);
    ok(call(&f.app, Method::POST, &f.case("/entitlements"), o,
        Some(json!({"relative_id": f.relatives[0], "entitlement": "vps_offered", "met_on": "2026-11-02", "note": mark("entitlementnote")}))).await);
    f.app
        .with_conn({
            let needs = needs.clone();
            let case_id = f.case_id.clone();
            move |conn| {
                use liaison::db::schema::cases;
                diesel::update(cases::table.filter(cases::id.eq(case_id)))
                    .set(cases::needs_other.eq(needs))
                    .execute(conn)
                    .unwrap()
            }
        })
        .await;
    let officer = officer_browser(&f).await;
    let edit = format!(
        "/staff/cases/{}/relatives/{}/edit",
        f.case_id, f.relatives[1]
    );
    officer.get(&edit).await;
    link_for(&f.app, &f.relatives[1], Purpose::Invitation).await;
    let res = officer
        .post(
            &format!(
                "/staff/cases/{}/relatives/{}/suspend",
                f.case_id, f.relatives[1]
            ),
            &[("reason", &suspended_reason)],
        )
        .await;
    assert_eq!(res.status(), 303);
    // The circumstances of the fixture's case are staff-only too.
    markers.push("stairwell".into());

    let family = signed_in(&f.app, &f.relatives[0]).await;
    family.get("/family/messages").await;
    let res = family
        .post(
            "/family/messages",
            &[("category", "question"), ("body", "When can we see him?")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let mut pages = vec![
        "/family".to_owned(),
        "/family/timeline".into(),
        "/family/contacts".into(),
        "/family/appointments".into(),
        "/family/property".into(),
        "/family/messages".into(),
        "/family/notices".into(),
        "/family/preferences".into(),
    ];
    let (_, appointments) = family.get("/family/appointments").await;
    let at = appointments.find(".ics\"").expect("a calendar link");
    let start = appointments[..at].rfind("/family/").unwrap();
    pages.push(format!("{}.ics", &appointments[start..at]));
    let mut seen = String::new();
    for page in &pages {
        let res = family.client.get(family.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{page}");
        seen.push_str(&res.text().await.unwrap());
    }
    // The same through the family API.
    let token = crate::support::family::family_token(&f.app, &f.relatives[0]).await;
    let (_, list) = call(
        &f.app,
        Method::GET,
        "/api/v1/family/appointments",
        &token,
        None,
    )
    .await;
    let mut api = vec![
        "/api/v1/family/case".to_owned(),
        "/api/v1/family/timeline".into(),
        "/api/v1/family/contacts".into(),
        "/api/v1/family/appointments".into(),
        "/api/v1/family/property".into(),
        "/api/v1/family/messages".into(),
        "/api/v1/family/notices".into(),
        "/api/v1/family/preferences".into(),
    ];
    for a in list.as_array().unwrap() {
        api.push(format!(
            "/api/v1/family/appointments/{}/calendar",
            a["id"].as_str().unwrap()
        ));
    }
    let mut seen_api = String::new();
    for path in &api {
        let res = f
            .app
            .api
            .get(f.app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        seen_api.push_str(&res.text().await.unwrap());
    }
    for marker in &markers {
        assert!(
            !seen.contains(marker.as_str()),
            "{marker} reached a family page"
        );
        assert!(
            !seen_api.contains(marker.as_str()),
            "{marker} reached a family API answer"
        );
    }
    for shared in [
        "We talked about the next steps and the post-mortem.",
        "Visit at home to talk through the examination",
        "Blue wristwatch",
        "When can we see him?",
    ] {
        assert!(
            seen_api.contains(shared),
            "{shared} missing from the family API"
        );
    }
    for shared in [
        "We talked about the next steps and the post-mortem.",
        "The post-mortem examination has taken place",
        "Visit at home to talk through the examination",
        "Blue wristwatch",
        "When can we see him?",
        "BEGIN:VCALENDAR",
    ] {
        assert!(
            seen.contains(shared),
            "{shared} missing from the family pages"
        );
    }
    assert!(!seen.contains("Meeting that was called off"));
    // The staff-only deputy is not a named contact; the FLO is.
    assert!(seen.contains("01632 960 101"));
}

#[tokio::test]
async fn a_message_is_acknowledged_answered_and_a_concern_closed_on_the_record() {
    let f = fixture().await;
    let sio = f.app.create_user(Role::Officer, &[]).await;
    let (s, b) = call(&f.app, Method::POST, &f.case("/assignments"), &f.manager,
        Some(json!({"user_id": sio.id, "role": "sio", "visible_to_family": true, "working_hours": "Mon-Fri"}))).await;
    assert_eq!(s, 201, "{b}");
    let family = signed_in(&f.app, &f.relatives[0]).await;
    family.get("/family/messages").await;
    // Bad input keeps the text.
    let long = "x".repeat(5001);
    for (category, body, field_text) in [
        ("question", "   ", "Write your message."),
        ("question", long.as_str(), "too long"),
        ("gossip", "Kept text", "Choose what your message is about."),
        ("", "Kept text", "Choose what your message is about."),
    ] {
        let res = family
            .post(
                "/family/messages",
                &[("category", category), ("body", body)],
            )
            .await;
        assert_eq!(res.status(), 422, "{category} {}", body.len());
        let page = res.text().await.unwrap();
        assert!(page.contains(field_text), "{page}");
        if body == "Kept text" {
            assert!(page.contains(">Kept text</textarea>"));
        }
    }
    let res = family
        .post(
            "/family/messages",
            &[
                ("category", "question"),
                ("body", "Who is looking after his car?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = family
        .post(
            "/family/messages",
            &[
                ("category", "investigation_concern"),
                ("body", "Nobody has spoken to the neighbours."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // The officer and, for the concern, the SIO are told.
    let sio_token = f.app.token_for(&sio).await;
    let (_, inbox) = call(
        &f.app,
        Method::GET,
        "/api/v1/notifications",
        &sio_token,
        None,
    )
    .await;
    let told = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "family_message")
        .count();
    assert_eq!(told, 1, "the SIO hears of the concern only: {inbox}");

    let officer = officer_browser(&f).await;
    let (_, waiting) = officer.get("/staff/messages").await;
    assert!(
        waiting.contains("Who is looking after his car?") || waiting.contains(&f.reference),
        "{waiting}"
    );
    assert!(waiting.contains("Concern about the investigation"));
    let (_, thread) = officer
        .get(&format!("/staff/cases/{}/messages", f.case_id))
        .await;
    let ids: Vec<String> = thread
        .match_indices("/messages/")
        .map(|(i, _)| thread[i + 10..i + 36].to_owned())
        .filter(|id| id.len() == 26 && !id.contains('/'))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (question, concern) = if thread.find(&ids[0]) > thread.find(&ids[1]) {
        (ids[0].clone(), ids[1].clone())
    } else {
        (ids[1].clone(), ids[0].clone())
    };
    let base = format!("/staff/cases/{}/messages", f.case_id);
    let res = officer
        .post(&format!("{base}/{question}/acknowledge"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let res = officer
        .post(&base, &[("in_reply_to", &question), ("body", "")])
        .await;
    assert_eq!(res.status(), 422);
    let res = officer
        .post(
            &base,
            &[
                ("in_reply_to", &question),
                ("body", "I will collect it on Friday."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // A question is answered, not closed; a concern needs a response to close.
    let res = officer
        .post(&format!("{base}/{question}/close"), &[("response", "Done")])
        .await;
    assert_eq!(res.status(), 409);
    let res = officer
        .post(&format!("{base}/{concern}/close"), &[("response", " ")])
        .await;
    assert_eq!(res.status(), 422);
    let (_, concerns) = officer.get("/staff/messages").await;
    assert!(concerns.contains("Open concerns") && !concerns.contains("No open concerns."));
    let res = officer
        .post(
            &format!("{base}/{concern}/close"),
            &[("response", "We spoke to every neighbour on 20 November.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = officer
        .post(&format!("{base}/{concern}/close"), &[("response", "Again")])
        .await;
    assert_eq!(res.status(), 409);
    let (_, after) = officer.get("/staff/messages").await;
    assert!(after.contains("No open concerns."), "{after}");

    let (_, page) = family.get("/family/messages").await;
    for expected in [
        "I will collect it on Friday.",
        "We spoke to every neighbour on 20 November.",
        "Acknowledged by",
        "Answered by",
        "Closed by",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    assert_eq!(f.app.audit("message.acknowledge").await.len(), 1);
    assert_eq!(f.app.audit("message.close_concern").await.len(), 1);
}

#[tokio::test]
async fn staff_see_when_each_relative_first_read_a_shared_update() {
    let f = fixture().await;
    let (s, _) = call(&f.app, Method::POST, &f.case("/updates"), &f.officer,
        Some(json!({"title": "Funeral arrangements", "body": "The coroner has released him.", "shared_with_family": true}))).await;
    assert_eq!(s, 201);
    let officer = officer_browser(&f).await;
    let case_page = format!("/staff/cases/{}", f.case_id);
    let (_, page) = officer.get(&case_page).await;
    assert!(page.contains("Not read by the family yet"));
    let family = signed_in(&f.app, &f.relatives[0]).await;
    let (_, home) = family.get("/family").await;
    assert!(
        home.contains("Funeral arrangements"),
        "new on the home page"
    );
    let (_, timeline) = family.get("/family/timeline").await;
    assert!(timeline.contains("Funeral arrangements") && timeline.contains(">New<"));
    let (_, again) = family.get("/family/timeline").await;
    assert!(!again.contains(">New<"), "read items are no longer new");
    let (_, page) = officer.get(&case_page).await;
    assert!(page.contains("Read by Ivy Orley"), "{page}");
}

#[tokio::test]
async fn preferences_and_language_are_the_relatives_own() {
    let f = fixture().await;
    let family = signed_in(&f.app, &f.relatives[0]).await;
    let (_, page) = family.get("/family/preferences").await;
    assert!(page.contains("<html lang=\"en\">"));
    let res = family
        .post(
            "/family/preferences",
            &[
                ("channel", "email"),
                ("quiet_hours_start", "21:00"),
                ("quiet_hours_end", ""),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("value=\"21:00\""), "typed values kept");
    let res = family
        .post(
            "/family/preferences",
            &[
                ("channel", "portal"),
                ("quiet_hours_start", "21:00"),
                ("quiet_hours_end", "08:00"),
                ("language", "cy"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = family.get("/family").await;
    assert!(page.contains("<html lang=\"cy\">"), "{page}");
    assert!(
        !page.contains("Where things are now"),
        "English text on a Welsh page"
    );
    let rid = RelativeId::parse(&f.relatives[0]).unwrap();
    let (by_email, start, lang): (bool, Option<String>, String) = f
        .app
        .with_conn(move |conn| {
            relatives::table
                .find(&rid)
                .select((
                    relatives::notify_by_email,
                    relatives::quiet_hours_start,
                    relatives::language,
                ))
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        (by_email, start.as_deref(), lang.as_str()),
        (false, Some("21:00"), "cy")
    );
    // The switch on every page changes it back.
    let res = family
        .post(
            "/family/language",
            &[("lang", "en"), ("next", "/family/contacts")],
        )
        .await;
    assert_eq!(location(&res), "/family/contacts");
    let (_, page) = family.get("/family/contacts").await;
    assert!(page.contains("<html lang=\"en\">"));
    // A staff edit made from the copy before the family's change is stale.
    let (s, _) = call(&f.app, Method::PUT, &f.case(&format!("/relatives/{}", f.relatives[0])), &f.officer,
        Some(json!({"version": 1, "full_name": "Ivy Orley", "relationship": "mother", "preferred_channel": "phone"}))).await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn a_relative_reaches_only_their_own_case() {
    let f = fixture().await;
    let due = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let (_, a) = call(&f.app, Method::POST, &f.case("/follow-ups"), &f.officer,
        Some(json!({"purpose": "Meet at the station", "assignee_id": f.officer.id, "due_at": due, "is_appointment": true, "place": "Riverside station"}))).await;
    let appointment = a["id"].as_str().unwrap().to_owned();
    // A relative of another case.
    let (_, other) = call(&f.app, Method::POST, "/api/v1/cases", &f.manager,
        Some(json!({"team_id": call(&f.app, Method::GET, &f.case(""), &f.manager, None).await.1["team_id"], "deceased_name": "Mara Quill", "date_of_death": "2026-11-03", "circumstances": "x"}))).await;
    let other_id = other["id"].as_str().unwrap();
    let (s, r) = call(&f.app, Method::POST, &format!("/api/v1/cases/{other_id}/relatives"), &f.manager,
        Some(json!({"full_name": "Tom Quill", "relationship": "son", "email": "tom.quill@example.org", "preferred_channel": "email"}))).await;
    assert_eq!(s, 201, "{r}");
    let stranger_id = r["id"].as_str().unwrap();
    let stranger = signed_in(&f.app, stranger_id).await;
    let (s, _) = stranger
        .get(&format!("/family/appointments/{appointment}.ics"))
        .await;
    assert_eq!(s, 404);
    // The refusal is audited, as a staff member's would be.
    let denied = f.app.audit("access.denied").await;
    let event = denied
        .iter()
        .find(|e| e.actor_id.as_deref() == Some(stranger_id))
        .expect("the refusal is on the audit log");
    assert_eq!(
        (event.actor_kind.as_str(), event.outcome.as_str()),
        ("relative", "denied")
    );
    assert_eq!(event.record_id.as_deref(), Some(appointment.as_str()));
    assert_eq!(event.case_id.as_deref(), Some(other_id));
    let (_, home) = stranger.get("/family").await;
    assert!(home.contains("Mara Quill") && !home.contains("Nathan Orley"));
    let own = signed_in(&f.app, &f.relatives[0]).await;
    let res = own
        .client
        .get(own.url(&format!("/family/appointments/{appointment}.ics")))
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
}

/// Every key used by a family page or e-mail exists in every language, and every catalogue
/// has the same keys.
#[test]
fn every_family_text_exists_in_english_and_welsh() {
    let root = env!("CARGO_MANIFEST_DIR");
    let keys = |lang: &str| -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(format!("{root}/locales/{lang}")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((k, _)) = line.split_once(" = ")
                    && !k.starts_with('#')
                    && !k.starts_with(' ')
                {
                    keys.insert(k.trim().to_owned());
                }
            }
        }
        keys
    };
    let (en, cy) = (keys("en"), keys("cy"));
    assert!(en.len() > 100, "{}", en.len());
    let only_en: Vec<_> = en.difference(&cy).collect();
    let only_cy: Vec<_> = cy.difference(&en).collect();
    assert!(
        only_en.is_empty() && only_cy.is_empty(),
        "missing in cy: {only_en:?}; missing in en: {only_cy:?}"
    );
    let mut used = BTreeSet::new();
    let mut scan = |dir: &str| {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("{{t \"") {
                let rest = &text[i + 5..];
                used.insert(rest[..rest.find('"').unwrap()].to_owned());
            }
        }
    };
    scan("templates/pages/family");
    scan("templates/partials");
    scan("templates/email/family");
    let missing: Vec<_> = used.iter().filter(|k| !en.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "used but not in the catalogues: {missing:?}"
    );
}

/// Every family form, sent malformed by a signed-in relative: a clear refusal, never a 500.
#[tokio::test]
async fn malformed_family_forms_get_a_clear_answer_never_a_500() {
    let f = fixture().await;
    let family = signed_in(&f.app, &f.relatives[0]).await;
    family.get("/family/preferences").await;
    let csrf = family.csrf();
    let huge = format!("csrf_token={csrf}&body={}", "x".repeat(300 * 1024));
    let garbage = format!("csrf_token={csrf}&%zz=%%&category=%FF%FE&token=..%2F..&lang=%00");
    let bodies: [(&str, &str, String); 3] = [
        (
            "wrong media type",
            "application/json",
            format!("{{\"csrf_token\": \"{csrf}\"}}"),
        ),
        ("oversized", "application/x-www-form-urlencoded", huge),
        ("garbage", "application/x-www-form-urlencoded", garbage),
    ];
    let mut failures = Vec::new();
    let mut routes = crate::support::routes::all();
    routes.sort_by_key(|r| r.path.contains("sign-out"));
    for route in routes
        .iter()
        .filter(|r| r.path.starts_with("/family") && r.method == "POST")
        .filter(|r| !r.path.contains("sign-out"))
    {
        for (name, content_type, body) in &bodies {
            // A well-formed id, so that the form itself is what is judged.
            let path = crate::support::routes::fill(
                &route.path,
                &[("follow_up_id", "01ARZ3NDEKTSV4RRFFQ69G5FAV")],
            );
            let res = family
                .client
                .post(family.url(&path))
                .header("content-type", *content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let wanted: &[u16] = match *name {
                "wrong media type" => &[415],
                "oversized" => &[413],
                // Marking notices read takes no fields.
                _ if route.path.ends_with("/read-all") => &[303],
                _ => &[400, 422],
            };
            if !wanted.contains(&status) {
                failures.push(format!("POST {} [{name}] -> {status}", route.path));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Still signed in: none of that ended the session.
    assert_eq!(family.get("/family").await.0, 200);
}

/// News shared with the family shows in the relative's portal inbox with an unread count,
/// in their language, until they mark it read.
#[tokio::test]
async fn a_relatives_notices_show_unread_until_read() {
    let f = fixture().await;
    let family = signed_in(&f.app, &f.relatives[0]).await;
    let (_, home) = family.get("/family").await;
    assert!(!home.contains("unread</span>"), "nothing unread yet");
    let (s, _) = call(&f.app, Method::POST, &f.case("/updates"), &f.officer,
        Some(json!({"title": "The inquest has been opened", "body": "It was adjourned.", "shared_with_family": true}))).await;
    assert_eq!(s, 201);
    let (_, home) = family.get("/family").await;
    assert!(
        home.contains("1<span class=\"visually-hidden\"> unread</span>"),
        "{home}"
    );
    let (_, notices) = family.get("/family/notices").await;
    assert!(
        notices.contains("There is news about your case"),
        "{notices}"
    );
    assert!(
        !notices.contains("inquest"),
        "a notice says there is news, never what it is"
    );
    let res = family.post("/family/notices/read-all", &[]).await;
    assert_eq!(res.status(), 303);
    let (_, home) = family.get("/family").await;
    assert!(!home.contains("unread</span>"));
    // In Welsh for a Welsh reader.
    family
        .post(
            "/family/language",
            &[("lang", "cy"), ("next", "/family/notices")],
        )
        .await;
    let (_, notices) = family.get("/family/notices").await;
    assert!(
        !notices.contains("There is news about your case"),
        "{notices}"
    );
}

/// Sets a relative's language, as their preferences would.
async fn speaks_welsh(app: &TestApp, relative: &str) {
    let rid = RelativeId::parse(relative).unwrap();
    app.with_conn(move |conn| {
        diesel::update(relatives::table.find(&rid))
            .set(relatives::language.eq("cy"))
            .execute(conn)
            .unwrap()
    })
    .await;
}

#[tokio::test]
async fn a_welsh_relative_meets_welsh_from_the_link_in_their_email_on() {
    let f = fixture().await;
    speaks_welsh(&f.app, &f.relatives[0]).await;
    let token = link_for(&f.app, &f.relatives[0], Purpose::SignIn).await;
    // A browser that has never been here, and asks for English.
    let b = Browser::new(&f.app.address);
    let (status, page) = b.get(&format!("/family/sign-in/link?token={token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"cy\">"), "{page}");
    // The switch on the page still works.
    let other = Browser::new(&f.app.address);
    let here = format!("/family/sign-in/link?token={token}");
    other.get(&here).await;
    let res = other
        .post("/family/language", &[("lang", "en"), ("next", &here)])
        .await;
    assert_eq!(location(&res), here);
    let (_, page) = other.get(&here).await;
    assert!(page.contains("<html lang=\"en\">"), "{page}");

    let res = b.post("/family/sign-in/link", &[("token", &token)]).await;
    assert_eq!(res.status(), 303);
    // The same link again: the problem is explained in Welsh too.
    let (status, page) = Browser::new(&f.app.address)
        .get(&format!("/family/sign-in/link?token={token}"))
        .await;
    assert_eq!(status, 410);
    assert!(page.contains("<html lang=\"cy\">"), "{page}");
    let res = Browser::new(&f.app.address)
        .post("/family/sign-in/link", &[("token", &token)])
        .await;
    assert_eq!(res.status(), 410);
    assert!(res.text().await.unwrap().contains("<html lang=\"cy\">"));

    // Signed in, an unknown family path is "not found" in Welsh, with their navigation.
    let (status, page) = b.get("/family/no-such-page").await;
    assert_eq!(status, 404);
    assert!(page.contains("<html lang=\"cy\">"), "{page}");
    assert!(
        page.contains("/family/sign-out"),
        "signed in on the error page"
    );
    // Signed out, an unknown link still gets the neutral page (English by default).
    let (status, page) = Browser::new(&f.app.address)
        .get(&format!("/family/sign-in/link?token={}", "B".repeat(43)))
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn link_requests_from_a_shared_address_never_lock_out_a_relative_who_signed_in_before() {
    let f = fixture_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    let home = "203.0.113.40";
    // Ivy signed in on the family's computer before.
    let token = link_for(&f.app, &f.relatives[0], Purpose::SignIn).await;
    let ivy = Browser::behind_proxy(&f.app.address, home);
    ivy.get(&format!("/family/sign-in/link?token={token}"))
        .await;
    assert_eq!(
        ivy.post("/family/sign-in/link", &[("token", &token)])
            .await
            .status(),
        303
    );
    ivy.get("/family").await;
    ivy.post("/family/sign-out", &[]).await;

    // Someone else behind the same address asks for links for many addresses.
    let other = Browser::behind_proxy(&f.app.address, home);
    other.get("/family/sign-in").await;
    for i in 0..liaison::family::links::MAX_REQUESTS_PER_IP {
        let res = other
            .post(
                "/family/sign-in",
                &[("email", &format!("someone{i}@example.org"))],
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let fresh = Browser::behind_proxy(&f.app.address, home);
    fresh.get("/family/sign-in").await;
    let res = fresh
        .post("/family/sign-in", &[("email", "ivy.orley@example.org")])
        .await;
    assert_eq!(
        res.status(),
        429,
        "a browser new to Ivy is held by the address limit"
    );
    ivy.get("/family/sign-in").await;
    let res = ivy
        .post("/family/sign-in", &[("email", "ivy.orley@example.org")])
        .await;
    assert_eq!(res.status(), 200, "Ivy's own browser is not");
}
