//! Officer casework through the API: cases, named contacts, relatives, the append-only
//! contact log, follow-ups, updates, operations and property, with the access rules and the
//! bad-input answers of each.

use std::collections::HashSet;

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixture::{Fixture, call, fixture};

fn contact(discussion: &str) -> Value {
    json!({"channel": "visit", "direction": "outbound", "duration_minutes": 40, "discussion": discussion})
}

#[tokio::test]
async fn opening_cases_gives_unique_references_even_all_at_once() {
    let f = fixture().await;
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(f.reference, format!("FL-{year}-00001"));
    let (_, me) = call(&f.app, Method::GET, "/api/v1/me", &f.manager, None).await;
    let team = me["teams"][0]["id"].as_str().unwrap().to_owned();
    let opens = (0..12).map(|i| {
        let (app, token, team) = (&f.app, f.manager.clone(), team.clone());
        async move {
            call(
                app,
                Method::POST,
                "/api/v1/cases",
                &token,
                Some(json!({"team_id": team, "deceased_name": format!("Person {i}"), "date_of_death": "2026-11-01"})),
            )
            .await
        }
    });
    let results = futures_util::future::join_all(opens).await;
    let refs: HashSet<String> = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 201, "{b}");
            b["reference"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(refs.len(), 12, "every reference is different");
    assert!(refs.contains(&format!("FL-{year}-00013")));
    let (status, body) = call(
        &f.app,
        Method::POST,
        "/api/v1/cases",
        &f.other_manager,
        Some(json!({"team_id": team, "deceased_name": "X", "date_of_death": "2026-11-01"})),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("team_id")),
        "a manager opens cases for their own teams only"
    );
}

#[tokio::test]
async fn a_contact_is_logged_with_its_follow_ups_in_one_go_and_never_half_written() {
    let f = fixture().await;
    let body = json!({
        "occurred_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "channel": "visit", "direction": "outbound", "duration_minutes": 55,
        "relatives": [f.relatives[0]],
        "discussion": "Explained the post-mortem process. Ivy asked about viewing.",
        "family_summary": "We talked about what happens next and about arranging a viewing.",
        "agreed_actions": "Ask the coroner's officer about a viewing.",
        "follow_ups": [{"purpose": "Call the coroner's officer about a viewing", "due_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}]
    });
    let (status, c) = f.log_contact(&f.officer, body.clone()).await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["relatives"][0]["name"], "Ivy Orley");
    assert_eq!(c["follow_ups_created"].as_array().unwrap().len(), 1);
    let (_, fus) = call(
        &f.app,
        Method::GET,
        &f.case("/follow-ups"),
        &f.officer,
        None,
    )
    .await;
    assert_eq!(
        fus[0]["assignee_id"],
        f.officer.id.as_str(),
        "follow-ups default to the officer who logged the contact"
    );
    assert_eq!(fus[0]["source_contact_id"], c["original"]["id"]);

    // A follow-up that cannot be created undoes the whole submit.
    let (before_contacts, before_follow_ups) =
        (f.count("contacts").await, f.count("follow_ups").await);
    let mut bad = body.clone();
    bad["follow_ups"][0]["assignee_id"] = json!("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    let (status, err) = f.log_contact(&f.officer, bad).await;
    assert_eq!(status, 422);
    assert_eq!(err["field"], "follow_ups[0].assignee_id");
    assert_eq!(
        f.count("contacts").await,
        before_contacts,
        "no contact was written"
    );
    assert_eq!(f.count("follow_ups").await, before_follow_ups);
    assert_eq!(f.count("contact_relatives").await, 1);
}

#[tokio::test]
async fn impossible_or_missing_contact_details_are_refused_with_the_field_named() {
    let f = fixture().await;
    let future = (chrono::Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
    let skew = (chrono::Utc::now() + chrono::Duration::minutes(3)).to_rfc3339();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"occurred_at": future, "channel": "visit", "direction": "outbound", "discussion": "x"}),
            "occurred_at",
            "future",
        ),
        (
            json!({"occurred_at": "2026-10-31T12:00:00Z", "channel": "visit", "direction": "outbound", "discussion": "x"}),
            "occurred_at",
            "before the date of death",
        ),
        (
            json!({"channel": "visit", "direction": "outbound", "discussion": "   "}),
            "discussion",
            "cannot be empty",
        ),
        (
            json!({"channel": "visit", "direction": "outbound", "discussion": "x".repeat(20_001)}),
            "discussion",
            "20000",
        ),
        (
            json!({"channel": "visit", "direction": "outbound", "discussion": "x", "family_summary": "y".repeat(5_001)}),
            "family_summary",
            "5000",
        ),
        (
            json!({"channel": "pigeon", "direction": "outbound", "discussion": "x"}),
            "channel",
            "visit, phone",
        ),
        (
            json!({"channel": "visit", "direction": "outbound", "discussion": "x", "duration_minutes": 2000}),
            "duration_minutes",
            "1440",
        ),
        (
            json!({"channel": "visit", "direction": "outbound", "discussion": "x", "relatives": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]}),
            "relatives",
            "on this case",
        ),
        (
            json!({"occurred_at": "last tuesday", "channel": "visit", "direction": "outbound", "discussion": "x"}),
            "occurred_at",
            "RFC 3339",
        ),
    ];
    for (body, field, words) in cases {
        let (status, err) = f.log_contact(&f.officer, body.clone()).await;
        assert_eq!(status, 422, "{body} -> {err}");
        assert_eq!(err["field"], field, "{err}");
        assert!(err["message"].as_str().unwrap().contains(words), "{err}");
    }
    let (status, _) = f
        .log_contact(&f.officer, json!({"occurred_at": skew, "channel": "phone", "direction": "inbound", "discussion": "Clock a little ahead"}))
        .await;
    assert_eq!(status, 201, "a few minutes of clock skew is accepted");
    assert_eq!(f.count("contacts").await, 1);
}

#[tokio::test]
async fn a_contact_is_never_edited_or_deleted_only_amended_with_a_reason() {
    let f = fixture().await;
    let (_, c) = f
        .log_contact(
            &f.officer,
            contact("Discussed the funeral plans with the familly."),
        )
        .await;
    let path = f.case(&format!(
        "/contacts/{}",
        c["original"]["id"].as_str().unwrap()
    ));
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let (status, err) = call(
            &f.app,
            method.clone(),
            &path,
            &f.officer,
            Some(json!({"discussion": "rewritten"})),
        )
        .await;
        assert_eq!(status, 405, "{method}");
        assert_eq!(err["error"], "method_not_allowed");
    }
    let amendments = format!("{path}/amendments");
    let amend = |body: Value| call(&f.app, Method::POST, &amendments, &f.officer, Some(body));
    let (status, err) = amend(json!({"reason": "  ", "discussion": "x"})).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("reason")));
    let (status, err) = amend(json!({"reason": "No change", "discussion": "Discussed the funeral plans with the familly."})).await;
    assert_eq!(
        status, 422,
        "an amendment that changes nothing is refused: {err}"
    );
    let (status, v) = amend(json!({"reason": "Spelling", "discussion": "Discussed the funeral plans with the family.", "duration_minutes": 50})).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(
        v["original"]["discussion"], "Discussed the funeral plans with the familly.",
        "the original stands"
    );
    assert_eq!(
        v["current"]["discussion"],
        "Discussed the funeral plans with the family."
    );
    assert_eq!(v["current"]["duration_minutes"], 50);
    assert_eq!(v["amendments"][0]["reason"], "Spelling");
    let (_, list) = call(&f.app, Method::GET, &amendments, &f.officer, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, tl) = call(
        &f.app,
        Method::GET,
        &f.case("/timeline?kind=correction"),
        &f.officer,
        None,
    )
    .await;
    assert_eq!(tl[0]["detail"], "Spelling");
}

#[tokio::test]
async fn relatives_are_edited_from_the_version_read_and_a_stale_edit_is_refused() {
    let f = fixture().await;
    let path = f.case(&format!("/relatives/{}", f.relatives[0]));
    let (_, r) = call(&f.app, Method::GET, &path, &f.officer, None).await;
    assert_eq!(r["version"], 1);
    let edit = |version: i64, phone: &str| {
        json!({"full_name": "Ivy Orley", "relationship": "mother", "email": "ivy.orley@example.org", "phone": phone,
               "preferred_channel": "phone", "language": "cy", "quiet_hours_start": "21:00", "quiet_hours_end": "08:00", "version": version})
    };
    let (status, saved) = call(
        &f.app,
        Method::PUT,
        &path,
        &f.officer,
        Some(edit(1, "07700 900 111")),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (saved["version"].as_i64(), saved["language"].as_str()),
        (Some(2), Some("cy"))
    );
    let (status, stale) = call(
        &f.app,
        Method::PUT,
        &path,
        &f.manager,
        Some(edit(1, "07700 900 222")),
    )
    .await;
    assert_eq!(status, 409, "{stale}");
    assert_eq!(stale["error"], "stale_edit");
    assert_eq!(
        stale["current"]["phone"], "07700 900 111",
        "the conflict shows what the other person saved"
    );
    let versions: i64 = f.count("relative_versions").await;
    assert_eq!(
        versions, 3,
        "two relatives added, one edit: every version is kept"
    );
    let (status, err) = call(
        &f.app,
        Method::PUT,
        &path,
        &f.officer,
        Some(json!({"full_name": "Ivy", "relationship": "mother", "preferred_channel": "phone"})),
    )
    .await;
    assert_eq!((status, err["field"].as_str()), (422, Some("version")));
    let (status, err) = call(&f.app, Method::PUT, &path, &f.officer, Some(json!({"full_name": "Ivy", "relationship": "mother", "preferred_channel": "phone", "version": 2, "quiet_hours_start": "21:00"}))).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (422, Some("quiet_hours_end"))
    );
}

#[tokio::test]
async fn follow_ups_are_completed_once_cancelled_with_a_reason_and_stay_with_the_case_team() {
    let f = fixture().await;
    let due = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let (status, fu) = call(&f.app, Method::POST, &f.case("/follow-ups"), &f.officer, Some(json!({"purpose": "Visit with the coroner's booklet", "due_at": due, "is_appointment": true, "place": "Family home"}))).await;
    assert_eq!(status, 201, "{fu}");
    let id = fu["id"].as_str().unwrap();
    let (_, mine) = call(
        &f.app,
        Method::GET,
        "/api/v1/me/follow-ups",
        &f.officer,
        None,
    )
    .await;
    assert_eq!(mine[0]["id"], id);
    let (_, c) = f
        .log_contact(&f.officer, contact("Delivered the booklet."))
        .await;
    let (status, done) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/follow-ups/{id}/complete")),
        &f.officer,
        Some(json!({"contact_id": c["original"]["id"]})),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "done");
    assert_eq!(done["completed_contact_id"], c["original"]["id"]);
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/follow-ups/{id}/complete")),
        &f.officer,
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("follow_up_already_completed"))
    );

    let (_, fu2) = call(
        &f.app,
        Method::POST,
        &f.case("/follow-ups"),
        &f.officer,
        Some(json!({"purpose": "Ring Sol", "due_at": due})),
    )
    .await;
    let id2 = fu2["id"].as_str().unwrap();
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/follow-ups/{id2}/cancel")),
        &f.officer,
        Some(json!({"reason": ""})),
    )
    .await;
    assert_eq!((status, err["field"].as_str()), (422, Some("reason")));
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/follow-ups/{id2}/reassign")),
        &f.officer,
        Some(json!({"assignee_id": err_user(&f).await})),
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (422, Some("assignee_id")),
        "only someone who works on the case"
    );
    let (status, moved) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/follow-ups/{id2}/reassign")),
        &f.officer,
        Some(json!({"assignee_id": f.manager.id})),
    )
    .await;
    assert_eq!(
        (status, moved["assignee_id"].as_str()),
        (200, Some(f.manager.id.as_str()))
    );
    let (status, _) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/follow-ups/{id2}/cancel")),
        &f.officer,
        Some(json!({"reason": "Sol asked us to talk to Ivy only"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/follow-ups"),
        &f.officer,
        Some(json!({"purpose": "Appointment", "due_at": due, "is_appointment": true})),
    )
    .await;
    assert_eq!((status, err["field"].as_str()), (422, Some("place")));
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/follow-ups"),
        &f.officer,
        Some(json!({"purpose": "Old", "due_at": "2020-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!((status, err["field"].as_str()), (422, Some("due_at")));
}

/// An officer of the same team who is not on the case.
async fn err_user(f: &Fixture) -> String {
    let (_, me) = call(&f.app, Method::GET, "/api/v1/me", &f.other_officer, None).await;
    me["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_shared_update_records_a_milestone_and_tells_relatives_with_portal_access() {
    let f = fixture().await;
    let invited = f.relatives[0].clone();
    f.app
        .with_conn(move |conn| {
            diesel::update(liaison::db::schema::relatives::table.find(&invited))
                .set(liaison::db::schema::relatives::access_state.eq("active"))
                .execute(conn)
                .unwrap();
        })
        .await;
    let (status, u) = call(&f.app, Method::POST, &f.case("/updates"), &f.officer, Some(json!({"title": "Post-mortem examination completed", "body": "The examination took place today.", "shared_with_family": true, "milestone": "post_mortem"}))).await;
    assert_eq!(status, 201, "{u}");
    let (_, case) = call(&f.app, Method::GET, &f.case(""), &f.officer, None).await;
    assert_eq!(case["milestone"], "post_mortem");
    let history = case["milestones"]["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["update_id"], u["id"]);
    let today = liaison::casework::time::london_date(liaison::db::now()).to_string();
    assert_eq!(history[1]["reached_on"], today.as_str());
    let notices: Vec<(Option<String>, String)> = f
        .app
        .with_conn(|conn| {
            use liaison::db::schema::notifications::dsl::*;
            notifications
                .filter(kind.eq("family_news"))
                .select((recipient_relative_id, channel))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        notices.len(),
        2,
        "one relative with access, on two channels: {notices:?}"
    );
    assert!(
        notices
            .iter()
            .all(|(r, _)| r.as_deref() == Some(f.relatives[0].as_str()))
    );
    let (status, _) = call(
        &f.app,
        Method::POST,
        &f.case("/updates"),
        &f.officer,
        Some(json!({"title": "Note", "body": "Staff only", "shared_with_family": false})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        f.count("notifications").await,
        2 + 2,
        "a staff-only update tells nobody (2 more are the assignment notice)"
    );
}

#[tokio::test]
async fn property_moves_forward_only_and_says_who_received_it() {
    let f = fixture().await;
    let (status, item) = call(
        &f.app,
        Method::POST,
        &f.case("/property"),
        &f.officer,
        Some(json!({"description": "Wristwatch", "held_since": "2026-11-02"})),
    )
    .await;
    assert_eq!(status, 201, "{item}");
    let path = f.case(&format!("/property/{}/move", item["id"].as_str().unwrap()));
    let (status, released) = call(
        &f.app,
        Method::POST,
        &path,
        &f.officer,
        Some(json!({"status": "released", "on": "2026-11-10", "version": 1})),
    )
    .await;
    assert_eq!(status, 200, "{released}");
    let (status, err) = call(
        &f.app,
        Method::POST,
        &path,
        &f.officer,
        Some(json!({"status": "held_as_evidence", "version": 2})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("property_status_backwards"))
    );
    let (status, err) = call(
        &f.app,
        Method::POST,
        &path,
        &f.officer,
        Some(json!({"status": "returned_to_family", "on": "2026-11-12", "version": 1})),
    )
    .await;
    assert_eq!((status, err["error"].as_str()), (409, Some("stale_edit")));
    let (status, err) = call(
        &f.app,
        Method::POST,
        &path,
        &f.officer,
        Some(json!({"status": "returned_to_family", "on": "2026-11-12", "version": 2})),
    )
    .await;
    assert_eq!((status, err["field"].as_str()), (422, Some("received_by")));
    let (status, back) = call(&f.app, Method::POST, &path, &f.officer, Some(json!({"status": "returned_to_family", "on": "2026-11-12", "received_by": "Ivy Orley", "version": 2}))).await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["events"].as_array().unwrap().len(), 3);
    assert_eq!(back["released_on"], "2026-11-10");
}

#[tokio::test]
async fn cases_of_an_operation_share_one_update_and_closing_needs_an_exit_plan() {
    let f = fixture().await;
    let (_, me) = call(&f.app, Method::GET, "/api/v1/me", &f.manager, None).await;
    let team = me["teams"][0]["id"].as_str().unwrap().to_owned();
    let (_, second) = call(
        &f.app,
        Method::POST,
        "/api/v1/cases",
        &f.manager,
        Some(json!({"team_id": team, "deceased_name": "Cara Voss", "date_of_death": "2026-11-03"})),
    )
    .await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    let start = json!({"name": "Operation Birch", "case_id": f.case_id, "reason": "Same suspect"});
    let (status, err) = call(
        &f.app,
        Method::POST,
        "/api/v1/operations",
        &f.officer,
        Some(start.clone()),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (403, Some("forbidden")),
        "officers do not link cases"
    );
    let (status, op) = call(
        &f.app,
        Method::POST,
        "/api/v1/operations",
        &f.manager,
        Some(start),
    )
    .await;
    assert_eq!(status, 201, "{op}");
    let add = format!("/api/v1/operations/{}/cases", op["id"].as_str().unwrap());
    let (status, op) = call(
        &f.app,
        Method::POST,
        &add,
        &f.manager,
        Some(json!({"case_id": second_id, "reason": "Same suspect"})),
    )
    .await;
    assert_eq!(status, 200, "{op}");
    let (status, err) = call(
        &f.app,
        Method::POST,
        &add,
        &f.manager,
        Some(json!({"case_id": second_id, "reason": "Again"})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("already_in_operation")),
        "{err}"
    );
    let (status, posted) = call(&f.app, Method::POST, &f.case("/updates/operation"), &f.manager, Some(json!({"title": "An arrest has been made", "body": "A person has been arrested.", "shared_with_family": true}))).await;
    assert_eq!(status, 201, "{posted}");
    assert_eq!(posted.as_array().unwrap().len(), 2);
    assert_eq!(posted[0]["link_batch_id"], posted[1]["link_batch_id"]);
    let (_, other_updates) = call(
        &f.app,
        Method::GET,
        &format!("/api/v1/cases/{second_id}/updates"),
        &f.manager,
        None,
    )
    .await;
    assert_eq!(other_updates[0]["title"], "An arrest has been made");

    let (status, err) = call(&f.app, Method::POST, &f.case("/close"), &f.manager, Some(json!({"how_liaison_ends": "Final visit", "contact_afterwards": "", "how_to_reactivate": "Call the unit"}))).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (422, Some("contact_afterwards"))
    );
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/close"),
        &f.officer,
        Some(json!({"how_liaison_ends": "a", "contact_afterwards": "b", "how_to_reactivate": "c"})),
    )
    .await;
    assert_eq!(status, 403, "{err}");
    let (status, closed) = call(&f.app, Method::POST, &f.case("/close"), &f.manager, Some(json!({"how_liaison_ends": "A final visit on Friday", "contact_afterwards": "The unit's duty officer on 01632 960 000", "how_to_reactivate": "Call the unit and ask for the coordinator"}))).await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["status"], "closed");
    let (_, ups) = call(&f.app, Method::GET, &f.case("/updates"), &f.manager, None).await;
    assert!(
        ups[0]["body"].as_str().unwrap().contains("duty officer"),
        "the exit plan is shared as an update"
    );
    assert_eq!(ups[0]["shared_with_family"], true);
    let (status, err) = f.log_contact(&f.officer, contact("After closing")).await;
    assert_eq!((status, err["error"].as_str()), (409, Some("case_closed")));
    let (status, _) = call(
        &f.app,
        Method::POST,
        &f.case("/reopen"),
        &f.manager,
        Some(json!({"reason": ""})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, reopened) = call(
        &f.app,
        Method::POST,
        &f.case("/reopen"),
        &f.manager,
        Some(json!({"reason": "New evidence; the family asked for contact"})),
    )
    .await;
    assert_eq!((status, reopened["status"].as_str()), (200, Some("open")));
}

#[tokio::test]
async fn the_case_list_searches_filters_and_pages_within_what_the_caller_may_see() {
    let f = fixture().await;
    let (_, me) = call(&f.app, Method::GET, "/api/v1/me", &f.manager, None).await;
    let team = me["teams"][0]["id"].as_str().unwrap().to_owned();
    for i in 0..30 {
        let (status, _) = call(&f.app, Method::POST, "/api/v1/cases", &f.manager, Some(json!({"team_id": team, "deceased_name": format!("Filler Person {i}"), "date_of_death": "2026-10-01"}))).await;
        assert_eq!(status, 201);
    }
    let (_, page0) = call(&f.app, Method::GET, "/api/v1/cases", &f.manager, None).await;
    assert_eq!(page0["total"], 31);
    assert_eq!(page0["cases"].as_array().unwrap().len(), 25);
    let (_, page1) = call(
        &f.app,
        Method::GET,
        "/api/v1/cases?page=1",
        &f.manager,
        None,
    )
    .await;
    assert_eq!(page1["cases"].as_array().unwrap().len(), 6);
    for (q, expect) in [
        ("orley", 1),
        ("ORLEY", 1),
        ("ivy", 1),
        (f.reference.as_str(), 1),
        ("filler person 1", 11),
        ("nobody", 0),
    ] {
        let (_, r) = call(
            &f.app,
            Method::GET,
            &format!("/api/v1/cases?search={}", q.replace(' ', "%20")),
            &f.manager,
            None,
        )
        .await;
        assert_eq!(r["total"], expect, "search {q}");
    }
    let (_, mine) = call(&f.app, Method::GET, "/api/v1/cases", &f.officer, None).await;
    assert_eq!(
        mine["total"], 1,
        "an officer sees only the case they are assigned to"
    );
    let (_, none) = call(&f.app, Method::GET, "/api/v1/cases", &f.other_manager, None).await;
    assert_eq!(none["total"], 0, "another team's manager sees none");
    let (_, by_officer) = call(
        &f.app,
        Method::GET,
        &format!("/api/v1/cases?officer={}", f.officer.id),
        &f.manager,
        None,
    )
    .await;
    assert_eq!(by_officer["total"], 1);
    let (_, by_milestone) = call(
        &f.app,
        Method::GET,
        "/api/v1/cases?milestone=investigation",
        &f.manager,
        None,
    )
    .await;
    assert_eq!(by_milestone["total"], 0);
    let (status, err) = call(
        &f.app,
        Method::GET,
        "/api/v1/cases?milestone=nonsense",
        &f.manager,
        None,
    )
    .await;
    assert_eq!((status, err["field"].as_str()), (422, Some("milestone")));
    let (_, overdue) = call(
        &f.app,
        Method::GET,
        "/api/v1/cases?overdue=true",
        &f.manager,
        None,
    )
    .await;
    assert_eq!(overdue["total"], 0);
    // An empty filter, as a form's "any" choice sends it, is as if it were left out.
    let (_, all) = call(&f.app, Method::GET, "/api/v1/cases", &f.manager, None).await;
    let (status, any) = call(
        &f.app,
        Method::GET,
        "/api/v1/cases?officer=&status=&milestone=%20",
        &f.manager,
        None,
    )
    .await;
    assert_eq!((status, &any["total"]), (200, &all["total"]));
}

#[tokio::test]
async fn reading_a_case_is_audited_and_the_timeline_merges_everything() {
    let f = fixture().await;
    f.log_contact(&f.officer, contact("First visit")).await;
    call(
        &f.app,
        Method::POST,
        &f.case("/updates"),
        &f.officer,
        Some(json!({"title": "Note", "body": "b", "shared_with_family": false})),
    )
    .await;
    let (_, tl) = call(&f.app, Method::GET, &f.case("/timeline"), &f.officer, None).await;
    let kinds: HashSet<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["contact", "update", "milestone", "status"] {
        assert!(kinds.contains(k), "{k} in {kinds:?}");
    }
    let (_, only) = call(
        &f.app,
        Method::GET,
        &f.case("/timeline?kind=contact"),
        &f.officer,
        None,
    )
    .await;
    assert!(
        only.as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] == "contact")
    );
    let (status, _) = call(
        &f.app,
        Method::GET,
        &f.case("/timeline?kind=gossip"),
        &f.officer,
        None,
    )
    .await;
    assert_eq!(status, 422);
    let views = f.app.audit("case.view").await;
    assert!(views.len() >= 2);
    assert!(
        views
            .iter()
            .all(|e| e.case_id.as_deref() == Some(f.case_id.as_str()))
    );
    let writes = f.app.audit("contact.create").await;
    assert_eq!(writes.len(), 1);
}

/// Who may call which casework route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Want {
    Ok,
    Unauthenticated,
    Forbidden,
    NotFound,
}

#[tokio::test]
async fn every_casework_route_answers_each_kind_of_caller_as_it_should() {
    let f = fixture().await;
    let (_, c) = f
        .log_contact(&f.officer, contact("For the access test"))
        .await;
    let contact_id = c["original"]["id"].as_str().unwrap().to_owned();
    let (_, fu) = call(&f.app, Method::POST, &f.case("/follow-ups"), &f.officer, Some(json!({"purpose": "p", "due_at": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()}))).await;
    let follow_up_id = fu["id"].as_str().unwrap().to_owned();
    let (_, item) = call(
        &f.app,
        Method::POST,
        &f.case("/property"),
        &f.officer,
        Some(json!({"description": "Phone"})),
    )
    .await;
    let item_id = item["id"].as_str().unwrap().to_owned();
    let (_, a) = call(
        &f.app,
        Method::GET,
        &f.case("/assignments"),
        &f.manager,
        None,
    )
    .await;
    let assignment_id = a[0]["id"].as_str().unwrap().to_owned();

    let manager_only = ["/close", "/reopen", "/contact-plan", "/assignments"];
    let mut failures = Vec::new();
    for route in crate::support::routes::all()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/cases/{id}"))
    {
        let path = crate::support::routes::fill(
            &route.path,
            &[
                ("id", &f.case_id),
                ("contact_id", &contact_id),
                ("follow_up_id", &follow_up_id),
                ("item_id", &item_id),
                ("assignment_id", &assignment_id),
                ("relative_id", &f.relatives[0]),
            ],
        );
        let writes = route.method != "GET";
        let is_manager_only = writes
            && manager_only.iter().any(|m| {
                let own = format!("/api/v1/cases/{{id}}{m}");
                route.path == own || route.path.starts_with(&format!("{own}/"))
            });
        // Restricting a relative, lifting it and reading why: the case's SIO and managers only
        // (the fixture's officer is its FLO).
        let is_sio_or_manager_only = ["/restrict", "/lift-restriction", "/restrictions"]
            .iter()
            .any(|end| route.path.ends_with(end));
        for (who, token) in [
            ("anonymous", ""),
            ("officer on the case", f.officer.as_str()),
            ("officer not on it", f.other_officer.as_str()),
            ("manager of the team", f.manager.as_str()),
            ("manager of another team", f.other_manager.as_str()),
            ("admin", f.admin.as_str()),
        ] {
            let want = match who {
                "anonymous" => Want::Unauthenticated,
                "admin" => Want::Forbidden,
                "officer on the case" if is_manager_only || is_sio_or_manager_only => {
                    Want::Forbidden
                }
                "officer not on it" if is_manager_only => Want::Forbidden,
                "officer not on it" | "manager of another team" => Want::NotFound,
                _ => Want::Ok,
            };
            // Bodies are deliberately empty: an allowed caller gets past access to validation.
            let (status, body) = call(
                &f.app,
                route.method.parse().unwrap(),
                &path,
                token,
                Some(json!({})),
            )
            .await;
            let got = match status {
                401 => Want::Unauthenticated,
                403 => Want::Forbidden,
                404 if body["error"] == "not_found" && want != Want::Ok => Want::NotFound,
                s if s >= 500 => {
                    failures.push(format!(
                        "{who}: {} {} -> {status}",
                        route.method, route.path
                    ));
                    continue;
                }
                _ => Want::Ok,
            };
            if got != want {
                failures.push(format!(
                    "{who}: {} {} -> {status} (wanted {want:?}) {body}",
                    route.method, route.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn malformed_bodies_on_every_case_route_get_a_clear_answer_and_write_nothing() {
    let f = fixture().await;
    let (_, c) = f.log_contact(&f.officer, contact("Sweep")).await;
    let contact_id = c["original"]["id"].as_str().unwrap().to_owned();
    let writes = || {
        f.app.with_conn(|conn| {
            use liaison::db::schema::audit_events::dsl::*;
            audit_events
                .filter(action.ne("case.view"))
                .filter(action.ne("access.denied"))
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
    };
    let before = writes().await;
    let huge = format!("{{\"discussion\": \"{}\"}}", "x".repeat(300 * 1024));
    let wrong_types = json!({"channel": 5, "direction": [], "discussion": {}, "relatives": "all", "reason": 1,
        "title": true, "body": null, "status": "lost", "version": "one", "user_id": "me", "role": "boss",
        "team_id": 7, "date_of_death": 20261101, "other_case_id": "x", "interval_hours": "often", "due_at": 5})
    .to_string();
    let bodies: [(&str, &str, &str); 6] = [
        ("malformed", "application/json", "{\"discussion\": "),
        ("wrong types", "application/json", &wrong_types),
        ("not an object", "application/json", "[]"),
        ("empty object", "application/json", "{}"),
        ("oversized", "application/json", &huge),
        ("wrong media type", "text/plain", "discussion=x"),
    ];
    let mut failures = Vec::new();
    for route in crate::support::routes::all()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/cases") && r.method != "GET")
    {
        let path = crate::support::routes::fill(
            &route.path,
            &[
                ("id", &f.case_id),
                ("contact_id", &contact_id),
                ("follow_up_id", "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
                ("item_id", "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
                ("assignment_id", "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
                ("relative_id", &f.relatives[0]),
            ],
        );
        // Actions that take no input accept `{}` as a request like any other.
        let takes_no_body = ["/acknowledge", "/invite", "/reinstate"]
            .iter()
            .any(|a| route.path.ends_with(a));
        for (name, content_type, body) in &bodies {
            if takes_no_body && *name == "empty object" {
                continue;
            }
            let res = f
                .app
                .api
                .request(route.method.parse().unwrap(), f.app.url(&path))
                .bearer_auth(&f.manager)
                .header("content-type", *content_type)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let json: Value = res.json().await.unwrap_or(Value::Null);
            let expected: &[u16] = match *name {
                "malformed" | "not an object" => &[400, 422],
                "oversized" => &[413],
                "wrong media type" => &[415],
                _ => &[404, 409, 422],
            };
            if !expected.contains(&status) || json["message"].as_str().is_none_or(str::is_empty) {
                failures.push(format!(
                    "{} {} [{name}] -> {status} {json}",
                    route.method, route.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let written = writes().await;
    assert_eq!(written, before, "no bad request wrote a record");
}
