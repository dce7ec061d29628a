//! Casework through the staff pages, as a browser without JavaScript uses them: forms keep
//! what was typed, stale edits show both versions, and every case page is closed to those
//! who may not see the case.

use liaison::domain::Role;
use reqwest::Method;
use serde_json::json;

use crate::support::Browser;
use crate::support::browser::location;
use crate::support::fixture::{call, fixture};

async fn browser(f: &crate::support::fixture::Fixture, token: &str) -> Browser {
    let (_, me) = call(&f.app, Method::GET, "/api/v1/me", token, None).await;
    let email = me["email"].as_str().unwrap().to_owned();
    let b = Browser::new(&f.app.address);
    let res = b.sign_in(&email, crate::support::PASSWORD).await;
    assert_eq!(res.status(), 303);
    b
}

#[tokio::test]
async fn an_officer_logs_a_contact_through_the_form_and_typed_text_survives_errors() {
    let f = fixture().await;
    let officer = browser(&f, &f.officer).await;
    let form = format!("/staff/cases/{}/contacts/new", f.case_id);
    let (status, page) = officer.get(&form).await;
    assert_eq!(status, 200);
    assert!(page.contains("Log a contact") && page.contains("Ivy Orley (mother)"));
    assert!(
        page.contains("data-draft=\"contact-"),
        "the form keeps a draft when JavaScript runs"
    );

    let post = format!("/staff/cases/{}/contacts", f.case_id);
    let res = officer
        .post(
            &post,
            &[
                ("occurred_at", "2026-11-20T10:15"),
                ("channel", "visit"),
                ("direction", "outbound"),
                ("relatives", &f.relatives[0]),
                ("relatives", &f.relatives[1]),
                ("duration_minutes", "forty"),
                ("discussion", ""),
                ("family_summary", "We met at home."),
                ("follow_up_purpose", "Call back"),
                ("follow_up_due", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    for message in [
        "This cannot be empty.",
        "number of minutes",
        "Enter a date and time",
    ] {
        assert!(page.contains(message), "{message}");
    }
    assert!(
        page.contains("value=\"2026-11-20T10:15\""),
        "the time typed is kept"
    );
    assert!(
        page.contains(">We met at home.</textarea>"),
        "the summary typed is kept"
    );
    assert!(page.contains("value=\"Call back\""));
    assert!(
        page.matches(&format!("value=\"{}\" checked", f.relatives[0]))
            .count()
            == 1
            && page
                .matches(&format!("value=\"{}\" checked", f.relatives[1]))
                .count()
                == 1,
        "both relatives stay ticked"
    );
    assert_eq!(f.count("contacts").await, 0);

    let res = officer
        .post(
            &post,
            &[
                ("occurred_at", "2026-11-20T10:15"),
                ("channel", "visit"),
                ("direction", "outbound"),
                ("relatives", &f.relatives[0]),
                ("duration_minutes", "40"),
                ("discussion", "Talked through the post-mortem."),
                ("family_summary", "We met at home."),
                ("follow_up_purpose", "Call back"),
                ("follow_up_due", "2030-01-01T09:00"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).ends_with("?saved=contact#timeline"));
    let (_, page) = officer
        .get(&format!("/staff/cases/{}?saved=contact", f.case_id))
        .await;
    assert!(page.contains("Talked through the post-mortem."));
    assert!(
        page.contains("data-clear-draft=\"contact-"),
        "the saved page tells the browser to drop the draft"
    );
    assert!(page.contains("Call back"), "the follow-up is listed");
    let (_, contacts) = call(&f.app, Method::GET, &f.case("/contacts"), &f.officer, None).await;
    assert_eq!(
        contacts[0]["original"]["occurred_at"], "2026-11-20T10:15:00Z",
        "London time in November is UTC"
    );
}

#[tokio::test]
async fn a_correction_is_made_from_the_contact_page_and_the_original_stays() {
    let f = fixture().await;
    let (_, c) = f
        .log_contact(&f.officer, json!({"channel": "phone", "direction": "inbound", "discussion": "Ivy rang about the funral."}))
        .await;
    let officer = browser(&f, &f.officer).await;
    let page_path = format!(
        "/staff/cases/{}/contacts/{}",
        f.case_id,
        c["original"]["id"].as_str().unwrap()
    );
    let (status, page) = officer.get(&page_path).await;
    assert_eq!(status, 200);
    let amend = format!("{page_path}/amend");
    let fields = |reason: &str, at: &str, discussion: &str| -> Vec<(&'static str, String)> {
        vec![
            ("reason", reason.to_owned()),
            ("occurred_at", at.to_owned()),
            ("channel", "phone".into()),
            ("direction", "inbound".into()),
            ("duration_minutes", String::new()),
            ("discussion", discussion.to_owned()),
            ("family_summary", String::new()),
            ("agreed_actions", String::new()),
        ]
    };
    fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        v.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
    // The page offers the current time of the contact in the form.
    let input = page.split("id=\"occurred_at\"").nth(1).unwrap();
    let at = input.split("value=\"").nth(1).unwrap();
    let at = at[..at.find('"').unwrap()].to_owned();
    let res = officer
        .post(
            &amend,
            &refs(&fields("", &at, "Ivy rang about the funeral.")),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Ivy rang about the funeral."),
        "the corrected text is kept"
    );
    let res = officer
        .post(
            &amend,
            &refs(&fields("Spelling", &at, "Ivy rang about the funeral.")),
        )
        .await;
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let (_, page) = officer.get(&page_path).await;
    assert!(page.contains("Reason:</strong> Spelling"));
    assert!(
        page.contains("Ivy rang about the funral."),
        "the original is still shown"
    );
}

#[tokio::test]
async fn a_stale_edit_of_a_relative_shows_both_versions_and_keeps_the_typing() {
    let f = fixture().await;
    let officer = browser(&f, &f.officer).await;
    let manager = browser(&f, &f.manager).await;
    let edit = format!(
        "/staff/cases/{}/relatives/{}/edit",
        f.case_id, f.relatives[1]
    );
    officer.get(&edit).await;
    manager.get(&edit).await;
    let form = |phone: &'static str| {
        vec![
            ("version", "1"),
            ("full_name", "Sol Orley"),
            ("relationship", "brother"),
            ("email", "sol.orley@example.org"),
            ("phone", phone),
            ("address", ""),
            ("preferred_channel", "phone"),
            ("language", "en"),
            ("notify_by_email", "on"),
            ("quiet_hours_start", ""),
            ("quiet_hours_end", ""),
        ]
    };
    assert_eq!(
        manager.post(&edit, &form("07700 900 333")).await.status(),
        303
    );
    let res = officer.post(&edit, &form("07700 900 444")).await;
    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert!(page.contains("Someone else changed these details"));
    assert!(page.contains("What the other person saved"));
    assert!(page.contains("07700 900 333"), "their version is shown");
    assert!(
        page.contains("value=\"07700 900 444\""),
        "your typing is kept in the form"
    );
    assert!(
        page.contains("name=\"version\" value=\"2\""),
        "saving again now applies to their version"
    );
}

#[tokio::test]
async fn case_pages_are_closed_to_everyone_who_may_not_see_the_case() {
    let f = fixture().await;
    let other = browser(&f, &f.other_officer).await;
    let other_manager = browser(&f, &f.other_manager).await;
    let admin = browser(&f, &f.admin).await;
    let officer = browser(&f, &f.officer).await;
    let manager = browser(&f, &f.manager).await;
    let anonymous = Browser::new(&f.app.address);
    let (_, c) = f
        .log_contact(
            &f.officer,
            json!({"channel": "phone", "direction": "inbound", "discussion": "x"}),
        )
        .await;
    let contact = c["original"]["id"].as_str().unwrap().to_owned();
    let mut failures = Vec::new();
    for route in crate::support::routes::all()
        .into_iter()
        .filter(|r| r.path.starts_with("/staff/cases/{id}"))
    {
        let path = crate::support::routes::fill(
            &route.path,
            &[
                ("id", &f.case_id),
                ("contact_id", &contact),
                ("relative_id", &f.relatives[0]),
            ],
        );
        let manager_only = route.path.contains("/manage") || route.path.contains("/assignments");
        // The fixture's officer is the case's FLO, not its SIO.
        let sio_or_manager_only =
            route.path.ends_with("/restrict") || route.path.ends_with("/lift-restriction");
        for (who, b, want) in [
            ("anonymous", &anonymous, "sign in"),
            (
                "officer not on the case",
                &other,
                if manager_only { "403" } else { "404" },
            ),
            ("manager of another team", &other_manager, "404"),
            ("admin", &admin, "403"),
            (
                "officer on the case",
                &officer,
                if manager_only || sio_or_manager_only {
                    "403"
                } else {
                    "ok"
                },
            ),
            ("manager of the team", &manager, "ok"),
        ] {
            let res = if route.method == "GET" {
                b.client.get(b.url(&path)).send().await.unwrap()
            } else {
                b.get("/staff/login").await;
                b.post(&path, &[]).await
            };
            let status = res.status().as_u16();
            let got = match status {
                303 if location(&res).starts_with("/staff/login") => "sign in",
                403 => "403",
                404 => "404",
                s if s >= 500 => "500",
                _ => "ok",
            };
            // An allowed caller posting an empty form gets past access (to a 422, 400 or 404
            // for the empty ids); that counts as allowed.
            let allowed_empty_post =
                want == "ok" && route.method == "POST" && matches!(status, 400 | 404 | 422);
            if got != want && !allowed_empty_post {
                failures.push(format!(
                    "{who}: {} {} -> {status}",
                    route.method, route.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let _ = Role::Officer;
}

#[tokio::test]
async fn a_manager_opens_a_case_from_the_form() {
    let f = fixture().await;
    let manager = browser(&f, &f.manager).await;
    let (status, page) = manager.get("/staff/cases/new").await;
    assert_eq!(status, 200);
    let team = page.split("<option value=\"").nth(1).unwrap();
    let team = team[..team.find('"').unwrap()].to_owned();
    let res = manager
        .post(
            "/staff/cases",
            &[
                ("team_id", &team),
                ("deceased_name", "Rhian Teale"),
                ("date_of_death", "2099-01-01"),
                ("interval_hours", "24"),
                ("preferred_channel", "phone"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("cannot be in the future")
    );
    let res = manager
        .post(
            "/staff/cases",
            &[
                ("team_id", &team),
                ("deceased_name", "Rhian Teale"),
                ("date_of_death", "2026-11-15"),
                ("interval_hours", "24"),
                ("preferred_channel", "phone"),
                ("needs_interpreter", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = manager.get(&location(&res)).await;
    assert!(page.contains("Rhian Teale"));
    assert!(page.contains("every day, by Phone call"));
    assert!(page.contains("Needs an interpreter."));
}

#[tokio::test]
async fn malformed_casework_forms_get_a_clear_answer_never_a_500() {
    let f = fixture().await;
    let manager = browser(&f, &f.manager).await;
    manager.get("/staff/cases").await;
    let csrf = manager.csrf();
    let huge = format!("csrf_token={csrf}&discussion={}", "x".repeat(300 * 1024));
    let garbage = format!(
        "csrf_token={csrf}&%zz=%%&channel=%FF%FE&relatives=..%2F&version=x&status=lost&occurred_at=never&interval_hours=-5"
    );
    let bodies: [(&str, &str, String); 4] = [
        ("wrong media type", "application/json", "{}".to_owned()),
        ("oversized", "application/x-www-form-urlencoded", huge),
        ("garbage", "application/x-www-form-urlencoded", garbage),
        (
            "only the token",
            "application/x-www-form-urlencoded",
            format!("csrf_token={csrf}"),
        ),
    ];
    let mut failures = Vec::new();
    for route in crate::support::routes::all()
        .into_iter()
        .filter(|r| r.path.starts_with("/staff/cases") && r.method == "POST")
    {
        let path = crate::support::routes::fill(
            &route.path,
            &[("id", &f.case_id), ("relative_id", &f.relatives[0])],
        );
        for (name, content_type, body) in &bodies {
            let res = manager
                .client
                .post(manager.url(&path))
                .header("content-type", *content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let wanted: &[u16] = match *name {
                "wrong media type" => &[415],
                "oversized" => &[413],
                // An invitation takes no fields: any well-formed post is a valid one.
                _ if route.path.ends_with("/invite") => &[303],
                _ => &[400, 404, 409, 422],
            };
            if !wanted.contains(&status) {
                failures.push(format!("POST {} [{name}] -> {status}", route.path));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(f.count("contacts").await, 0);
}

#[tokio::test]
async fn the_disclosure_record_has_every_correction_and_everyone_who_looked() {
    let f = fixture().await;
    let (_, c) = f
        .log_contact(&f.officer, json!({"channel": "visit", "direction": "outbound", "discussion": "=SUM(A1) typed by mistake"}))
        .await;
    let cid = c["original"]["id"].as_str().unwrap().to_owned();
    call(
        &f.app,
        Method::POST,
        &f.case(&format!("/contacts/{cid}/amendments")),
        &f.officer,
        Some(json!({"reason": "Wrong text pasted", "discussion": "Visited the family at home."})),
    )
    .await;
    call(&f.app, Method::GET, &f.case(""), &f.manager, None).await;

    let (status, d) = call(&f.app, Method::GET, &f.case("/export"), &f.officer, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        d["contacts"][0]["original"]["discussion"],
        "=SUM(A1) typed by mistake"
    );
    assert_eq!(
        d["contacts"][0]["amendments"][0]["reason"],
        "Wrong text pasted"
    );
    let access = d["access"].as_array().unwrap();
    assert!(
        access
            .iter()
            .any(|a| a["action"] == "case.view" && a["who"].as_str().unwrap().contains("Manager"))
    );
    assert!(access.iter().any(|a| a["action"] == "contact.amend"));
    assert!(
        !f.app.audit("case.export").await.is_empty(),
        "making an export is recorded"
    );

    let officer = browser(&f, &f.officer).await;
    let res = officer
        .client
        .get(officer.url(&format!("/staff/cases/{}/export.csv", f.case_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&f.reference)
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("\"section\",\"record_id\",\"at_utc\""));
    assert!(
        csv.contains("'=SUM(A1)") || csv.contains("Original: =SUM(A1)"),
        "the original is there"
    );
    assert!(!csv.contains("\"=SUM"), "no cell starts with a formula");
    assert!(csv.contains("Correction") && csv.contains("Wrong text pasted"));
    assert!(csv.contains("\"access\""));
    let (status, page) = officer
        .get(&format!("/staff/cases/{}/export", f.case_id))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Who read or changed this record"));
    assert!(page.contains("As first recorded"));
    let (status, _) = call(
        &f.app,
        Method::GET,
        &f.case("/export"),
        &f.other_officer,
        None,
    )
    .await;
    assert_eq!(status, 404);
}
