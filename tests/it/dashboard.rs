//! The timeliness dashboard's API: figures per team, officer, week and case, from real
//! records on either engine; who may see which figures; and periods that make no sense.
//! The rules of each measure are tested case by case in `src/timeliness/measures.rs`.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::casework::{call, fixture};

const BOARD: &str = "/api/v1/dashboard/timeliness";

#[tokio::test]
async fn the_dashboard_counts_each_measure_and_lists_cases_in_breach_first() {
    let f = fixture().await;
    // Case A (the fixture's): the FLO logs a contact at once, and acknowledges a message.
    let (s, b) = f.log_contact(&f.officer, json!({"channel": "visit", "direction": "outbound", "discussion": "First visit.", "relatives": [f.relatives[0]]})).await;
    assert_eq!(s, 201, "{b}");
    let family = crate::family_api::family_token(&f.app, &f.relatives[0]).await;
    let (s, thread) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/messages",
        &family,
        Some(json!({"category": "question", "body": "When is the inquest?"})),
    )
    .await;
    assert_eq!(s, 201);
    let message = thread[0]["message"]["id"].as_str().unwrap().to_owned();
    let (s, _) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/messages/{message}/acknowledge")),
        &f.officer,
        None,
    )
    .await;
    assert_eq!(s, 200);
    // Case B, same team: opened three days ago and nobody has been in touch.
    let (_, team) = call(&f.app, Method::GET, &f.case(""), &f.manager, None).await;
    let team_id = team["team_id"].as_str().unwrap().to_owned();
    let (s, b) = call(&f.app, Method::POST, "/api/v1/cases", &f.manager,
        Some(json!({"team_id": team_id, "deceased_name": "Elin Marsh", "date_of_death": "2026-11-01"}))).await;
    assert_eq!(s, 201, "{b}");
    let quiet_ref = b["reference"].as_str().unwrap().to_owned();
    let quiet_id = b["id"].as_str().unwrap().to_owned();
    let opened = liaison::db::now() - chrono::Duration::days(3);
    f.app
        .with_conn(move |conn| {
            use liaison::db::schema::cases;
            diesel::update(cases::table.find(quiet_id))
                .set(cases::opened_at.eq(opened))
                .execute(conn)
                .unwrap()
        })
        .await;

    let (s, board) = call(&f.app, Method::GET, BOARD, &f.manager, None).await;
    assert_eq!(s, 200, "{board}");
    let sum = &board["summary"];
    assert_eq!(sum["cases"], 2, "{board}");
    assert_eq!(sum["cases_in_breach"], 1);
    assert_eq!(
        sum["first_contact"],
        json!({"met": 1, "breached": 1, "pending": 0})
    );
    assert_eq!(
        sum["messages_acknowledged"],
        json!({"met": 1, "breached": 0, "pending": 0})
    );
    assert_eq!(
        sum["messages_answered"],
        json!({"met": 0, "breached": 0, "pending": 1})
    );
    // The fixture's case has a 48-hour plan and was contacted today.
    assert_eq!(
        sum["contact_plan"],
        json!({"met": 1, "breached": 0, "pending": 0})
    );
    assert_eq!(board["cases"][0]["reference"], quiet_ref.as_str());
    assert_eq!(board["cases"][0]["breaches"], json!(["first_contact"]));
    assert!(
        board["cases"][0]["measures"]["first_contact"]["hours"]
            .as_f64()
            .unwrap()
            >= 72.0
    );
    assert_eq!(board["cases"][1]["reference"], f.reference.as_str());
    assert!(board["cases"][1]["officer"].is_string());
    assert_eq!(board["teams"].as_array().unwrap().len(), 1);
    assert_eq!(board["teams"][0]["summary"]["cases"], 2);
    let officer = board["officers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["user_id"] == f.officer_id.as_str())
        .expect("the FLO has a row");
    assert_eq!(officer["summary"]["cases"], 1);
    assert_eq!(officer["workload"]["active_cases"], 1);
    assert_eq!(
        officer["workload"]["waiting_messages"], 1,
        "acknowledged but not answered"
    );
    let weeks = board["weeks"].as_array().unwrap();
    // The default four weeks, shortened to start when case B opened.
    assert!(!weeks.is_empty(), "{board}");
    assert!(board["note"].as_str().unwrap().contains("shortened"));
    let this_week = weeks.last().unwrap();
    assert_eq!(this_week["summary"]["messages_acknowledged"]["met"], 1);
    assert_eq!(board["targets"]["first_contact_hours"], 24);

    // The officer sees their own figures only: the case they are FLO on.
    let (s, own) = call(&f.app, Method::GET, BOARD, &f.officer, None).await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(own["summary"]["cases"], 1);
    assert_eq!(own["officers"].as_array().unwrap().len(), 1);
    let (s, _) = call(
        &f.app,
        Method::GET,
        &format!("{BOARD}?team_id={team_id}"),
        &f.officer,
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (_, none) = call(&f.app, Method::GET, BOARD, &f.other_officer, None).await;
    assert_eq!(none["summary"]["cases"], 0);
    assert_eq!(none["cases"], json!([]));
}

#[tokio::test]
async fn managers_see_their_own_teams_only_and_nobody_else_sees_any() {
    let f = fixture().await;
    let (_, case) = call(&f.app, Method::GET, &f.case(""), &f.manager, None).await;
    let team_a = case["team_id"].as_str().unwrap().to_owned();
    let (s, theirs) = call(&f.app, Method::GET, BOARD, &f.other_manager, None).await;
    assert_eq!(s, 200);
    assert_eq!(
        theirs["summary"]["cases"], 0,
        "another team's manager sees none of team A"
    );
    for (team, want) in [
        (team_a.as_str(), 404),
        ("01ARZ3NDEKTSV4RRFFQ69G5FAV", 404),
        ("not-a-team", 404),
    ] {
        let (s, b) = call(
            &f.app,
            Method::GET,
            &format!("{BOARD}?team_id={team}"),
            &f.other_manager,
            None,
        )
        .await;
        assert_eq!(s, want, "{team}: {b}");
    }
    let (s, mine) = call(
        &f.app,
        Method::GET,
        &format!("{BOARD}?team_id={team_a}"),
        &f.manager,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(mine["summary"]["cases"], 1);
    let (s, _) = call(&f.app, Method::GET, BOARD, &f.admin, None).await;
    assert_eq!(s, 403, "administrators see no case figures");
    let (s, _) = call(&f.app, Method::GET, BOARD, "", None).await;
    assert_eq!(s, 401);
    let family = crate::family_api::family_token(&f.app, &f.relatives[0]).await;
    let (s, _) = call(&f.app, Method::GET, BOARD, &family, None).await;
    assert_eq!(s, 401, "relatives see none");
}

#[tokio::test]
async fn periods_that_make_no_sense_get_a_clear_answer() {
    let f = fixture().await;
    let ask = |q: &'static str| {
        let f = &f;
        async move {
            call(
                &f.app,
                Method::GET,
                &format!("{BOARD}?{q}"),
                &f.manager,
                None,
            )
            .await
        }
    };
    let (s, b) = ask("from=2026-11-20&to=2026-11-01").await;
    assert_eq!((s, b["field"].as_str()), (422, Some("from")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("after it ends"));
    let (s, b) = ask("from=2024-01-01&to=2026-11-01").await;
    assert_eq!(s, 422, "{b}");
    assert!(b["message"].as_str().unwrap().contains("366"));
    let (s, b) = ask("from=the-first").await;
    assert_eq!((s, b["field"].as_str()), (422, Some("from")), "{b}");
    // Wider than the data: cut to the first case's opening and to today, and said so.
    let (s, b) = ask("from=2026-01-01&to=2099-12-31").await;
    assert_eq!(s, 422, "longer than 366 days: {b}");
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(300);
    let (s, b): (u16, Value) = call(
        &f.app,
        Method::GET,
        &format!(
            "{BOARD}?from={from}&to={}",
            today + chrono::Duration::days(30)
        ),
        &f.manager,
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let note = b["note"].as_str().unwrap();
    assert!(
        note.contains("cut to end today") && note.contains("shortened to start"),
        "{note}"
    );
    assert!(b["dates"]["from"].as_str().unwrap() > from.to_string().as_str());
    // A period before any case: nothing, and no error.
    let (s, b) = ask("from=2020-01-01&to=2020-12-31").await;
    assert_eq!(s, 200);
    assert_eq!(b["summary"]["cases"], 0);
}
