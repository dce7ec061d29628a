//! Case types and milestones: the family's stepper shows only the case type's milestones, in
//! order, with their dates and without those marked not needed; recording a milestone checks
//! it against the type, the clock and the date of death and writes nothing when refused; a
//! change of type keeps what was reached.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::family::{family_token, signed_in};
use crate::support::fixture::{Fixture, call, fixture, ok};

fn update(title: &str, milestone: &str, reached_on: Option<&str>) -> Value {
    let mut body = json!({"title": title, "body": "Your officer will explain.", "shared_with_family": true, "milestone": milestone});
    if let Some(on) = reached_on {
        body["reached_on"] = json!(on);
    }
    body
}

/// The milestone codes of the family's stepper, from the family API.
async fn stepper(f: &Fixture, token: &str) -> Vec<(String, Option<String>)> {
    let (status, case) = call(&f.app, Method::GET, "/api/v1/family/case", token, None).await;
    assert_eq!(status, 200, "{case}");
    case["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["milestone"].as_str().unwrap().to_owned(),
                m["reached_on"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn codes(steps: &[(String, Option<String>)]) -> Vec<&str> {
    steps.iter().map(|(m, _)| m.as_str()).collect()
}

#[tokio::test]
async fn the_family_sees_their_case_types_milestones_with_dates_and_not_those_not_needed() {
    let f = fixture().await;
    let o = f.officer.as_str();
    // Opened without a type: "other".
    let progress = ok(&f, Method::GET, &f.case("/milestones"), o, json!(null)).await;
    assert_eq!(progress["case_type"], "other");
    let token = family_token(&f.app, &f.relatives[0]).await;
    assert_eq!(
        codes(&stepper(&f, &token).await),
        [
            "family_liaison_deployed",
            "post_mortem",
            "release_of_body",
            "investigation",
            "charge",
            "trial",
            "verdict",
            "inquest_opened",
            "inquest",
            "concluded"
        ]
    );

    // A road death: its twelve milestones, in order.
    ok(&f, Method::POST, &f.case("/type"), o, json!({"case_type": "road_death", "reason": "A collision, confirmed by the collision investigators."})).await;
    let steps = stepper(&f, &token).await;
    assert_eq!(
        codes(&steps),
        [
            "family_liaison_deployed",
            "post_mortem",
            "release_of_body",
            "investigation",
            "charge",
            "first_hearing",
            "trial",
            "verdict",
            "sentence",
            "inquest_opened",
            "inquest",
            "concluded"
        ]
    );
    assert!(
        steps[0].1.is_some(),
        "reached when the case opened: {steps:?}"
    );

    // Recorded with its date, shared by default with the family.
    ok(
        &f,
        Method::POST,
        &f.case("/updates"),
        o,
        update(
            "The post-mortem examination has taken place",
            "post_mortem",
            Some("2026-11-03"),
        ),
    )
    .await;
    let steps = stepper(&f, &token).await;
    assert_eq!(steps[1], ("post_mortem".into(), Some("2026-11-03".into())));
    let (_, home) = call(&f.app, Method::GET, "/api/v1/family/case", &token, None).await;
    assert_eq!(home["current_milestone_label"], "Post-mortem examination");

    // Not needed: it leaves the stepper; needed after all: it comes back.
    ok(&f, Method::POST, &f.case("/milestones/not-needed"), o, json!({"milestone": "first_hearing", "reason": "The driver has admitted the offence by post."})).await;
    assert!(!codes(&stepper(&f, &token).await).contains(&"first_hearing"));
    let browser = signed_in(&f.app, &f.relatives[1]).await;
    let (_, page) = browser.get("/family").await;
    assert!(
        page.contains("Release of the body for the funeral"),
        "{page}"
    );
    assert!(!page.contains("First court hearing"), "{page}");
    assert!(
        !page.contains("admitted the offence"),
        "the reason is staff only"
    );
    ok(
        &f,
        Method::POST,
        &f.case("/milestones/needed"),
        o,
        json!({"milestone": "first_hearing", "reason": "The plea was withdrawn."}),
    )
    .await;
    assert!(codes(&stepper(&f, &token).await).contains(&"first_hearing"));

    // In Welsh, the same milestones in Welsh.
    browser
        .post("/family/language", &[("lang", "cy"), ("next", "/family")])
        .await;
    let (_, page) = browser.get("/family").await;
    assert!(page.contains("Gwrandawiad llys cyntaf"), "{page}");
    assert!(page.contains("Archwiliad post-mortem"), "{page}");

    // Staff read every record, the reasons included.
    let progress = ok(&f, Method::GET, &f.case("/milestones"), o, json!(null)).await;
    let history = progress["history"].as_array().unwrap();
    let states: Vec<&str> = history
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["reached", "reached", "not_needed", "needed"]);
    assert_eq!(progress["type_changes"][0]["previous_type"], "other");
}

#[tokio::test]
async fn a_milestone_outside_the_type_in_the_future_before_the_death_or_twice_is_refused_and_nothing_is_written()
 {
    let f = fixture().await;
    let o = f.officer.as_str();
    ok(
        &f,
        Method::POST,
        &f.case("/type"),
        o,
        json!({"case_type": "road_death", "reason": "A collision."}),
    )
    .await;
    let updates = f.count("case_updates").await;
    let records = f.count("case_milestones").await;
    let tomorrow = (liaison::casework::time::london_date(liaison::db::now())
        + chrono::Duration::days(1))
    .to_string();
    for (body, status, field) in [
        // A second post-mortem is a homicide's milestone, not a road death's.
        (
            update("Second examination", "second_post_mortem", None),
            422,
            "milestone",
        ),
        (
            update("Charged", "charge", Some(&tomorrow)),
            422,
            "reached_on",
        ),
        // The fixture's death was on 1 November 2026.
        (
            update("Charged", "charge", Some("2026-10-31")),
            422,
            "reached_on",
        ),
        (
            update("Charged", "charge", Some("2026-02-30")),
            422,
            "reached_on",
        ),
        (update("Charged", "not_a_milestone", None), 422, "milestone"),
    ] {
        let (got, err) = call(
            &f.app,
            Method::POST,
            &f.case("/updates"),
            o,
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (got, err["field"].as_str()),
            (status, Some(field)),
            "{body}: {err}"
        );
        assert!(!err["message"].as_str().unwrap_or("").is_empty());
    }
    ok(
        &f,
        Method::POST,
        &f.case("/updates"),
        o,
        update("Charged", "charge", Some("2026-11-20")),
    )
    .await;
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/updates"),
        o,
        Some(update("Charged again", "charge", None)),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("milestone_reached")),
        "{err}"
    );
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("20 November 2026"),
        "{err}"
    );
    // Marking a reached milestone not needed, a milestone of another type, or twice.
    for (body, status) in [
        (json!({"milestone": "charge", "reason": "x"}), 409),
        (
            json!({"milestone": "pre_inquest_review", "reason": "x"}),
            422,
        ),
        (json!({"milestone": "sentence", "reason": "  "}), 422),
        (json!({"milestone": "sentence"}), 422),
    ] {
        let (got, err) = call(
            &f.app,
            Method::POST,
            &f.case("/milestones/not-needed"),
            o,
            Some(body.clone()),
        )
        .await;
        assert_eq!(got, status, "{body}: {err}");
    }
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/milestones/needed"),
        o,
        Some(json!({"milestone": "sentence", "reason": "x"})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("not_marked_not_needed")),
        "{err}"
    );
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/type"),
        o,
        Some(json!({"case_type": "road_death", "reason": "x"})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("type_unchanged")),
        "{err}"
    );
    let (status, _) = call(
        &f.app,
        Method::POST,
        &f.case("/type"),
        o,
        Some(json!({"case_type": "shipwreck", "reason": "x"})),
    )
    .await;
    assert_eq!(status, 422);
    // Only the one update and its milestone were written.
    assert_eq!(f.count("case_updates").await, updates + 1);
    assert_eq!(f.count("case_milestones").await, records + 1);
}

#[tokio::test]
async fn a_change_of_type_keeps_milestones_reached_and_the_family_sees_the_new_types() {
    let f = fixture().await;
    let (o, m) = (f.officer.as_str(), f.manager.as_str());
    ok(
        &f,
        Method::POST,
        &f.case("/updates"),
        o,
        update("Charged", "charge", Some("2026-11-05")),
    )
    .await;
    let case = ok(&f, Method::GET, &f.case(""), o, json!(null)).await;
    assert_eq!(case["milestone"], "charge");
    // A manager of the team may change it too.
    let progress = ok(&f, Method::POST, &f.case("/type"), m, json!({"case_type": "unexplained_death", "reason": "The charge was discontinued; the coroner investigates."})).await;
    assert_eq!(progress["outside_type"][0]["milestone"], "charge");
    assert_eq!(progress["outside_type"][0]["reached_on"], "2026-11-05");
    assert_eq!(progress["current"], "family_liaison_deployed");
    let token = family_token(&f.app, &f.relatives[0]).await;
    let steps = stepper(&f, &token).await;
    assert!(!codes(&steps).contains(&"charge"), "{steps:?}");
    assert!(codes(&steps).contains(&"pre_inquest_review"), "{steps:?}");
    // Back to a type with a charge: the date is still there.
    ok(
        &f,
        Method::POST,
        &f.case("/type"),
        m,
        json!({"case_type": "homicide", "reason": "Re-charged."}),
    )
    .await;
    let steps = stepper(&f, &token).await;
    assert!(
        steps.contains(&("charge".into(), Some("2026-11-05".into()))),
        "{steps:?}"
    );
    let case = ok(&f, Method::GET, &f.case(""), o, json!(null)).await;
    assert_eq!(
        (case["case_type"].as_str(), case["milestone"].as_str()),
        (Some("homicide"), Some("charge"))
    );
    // The staff timeline and the disclosure record keep every step.
    let timeline = ok(
        &f,
        Method::GET,
        &f.case("/timeline?kinds=milestone"),
        o,
        json!(null),
    )
    .await;
    let titles: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Milestone reached: Charge"), "{titles:?}");
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Case type changed: Unexplained death")),
        "{titles:?}"
    );
    let export = ok(&f, Method::GET, &f.case("/export"), o, json!(null)).await;
    assert_eq!(
        export["milestones"]["type_changes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn staff_pages_change_the_type_and_mark_milestones_and_show_errors_beside_their_form() {
    let f = fixture().await;
    let officer = crate::support::family::officer_browser(&f).await;
    let base = format!("/staff/cases/{}", f.case_id);
    let (status, page) = officer.get(&format!("{base}/milestones")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Type: Other"), "{page}");
    let res = officer
        .post(
            &format!("{base}/type"),
            &[("type_case_type", "homicide"), ("type_reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"type_reason-error\""), "{page}");
    let res = officer
        .post(
            &format!("{base}/type"),
            &[
                ("type_case_type", "homicide"),
                ("type_reason", "Post-mortem findings."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = officer
        .post(
            &format!("{base}/milestones/not-needed"),
            &[
                ("not_needed_milestone", "second_post_mortem"),
                ("not_needed_reason", "The defence did not ask for one."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = officer.get(&format!("{base}/milestones")).await;
    assert!(
        page.contains("Not needed: The defence did not ask for one."),
        "{page}"
    );
    assert!(page.contains("Type: Homicide"), "{page}");
    // The update form offers the milestones still to come, with today's date.
    let (_, form) = officer
        .get(&format!("{base}/updates/new?milestone=inquest_opened"))
        .await;
    assert!(
        form.contains("<option value=\"inquest_opened\" selected>"),
        "{form}"
    );
    assert!(
        !form.contains("<option value=\"family_liaison_deployed\""),
        "reached already: {form}"
    );
    let res = officer
        .post(
            &format!("{base}/updates"),
            &[
                ("title", "Inquest opened"),
                ("body", "The coroner opened the inquest."),
                ("shared_with_family", "on"),
                ("milestone", "inquest_opened"),
                ("reached_on", "2026-10-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("before the date of death"), "{page}");
}
