//! The timeliness dashboard's API: figures per team, officer, week and case, from real
//! records on either engine; who may see which figures; and periods that make no sense.
//! The rules of each measure are tested case by case in `src/timeliness/measures.rs`.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixture::{call, fixture};

const BOARD: &str = "/api/v1/dashboard/timeliness";

#[tokio::test]
async fn the_dashboard_counts_each_measure_and_lists_cases_in_breach_first() {
    let f = fixture().await;
    // Case A (the fixture's): the FLO logs a contact at once, and acknowledges a message.
    let (s, b) = f.log_contact(&f.officer, json!({"channel": "visit", "direction": "outbound", "discussion": "First visit.", "relatives": [f.relatives[0]]})).await;
    assert_eq!(s, 201, "{b}");
    let family = crate::support::family::family_token(&f.app, &f.relatives[0]).await;
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
        .find(|o| o["user_id"] == f.officer.id.as_str())
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
    // Once handed over, the case is no longer the officer's to see, here as anywhere.
    let (_, assignments) = call(
        &f.app,
        Method::GET,
        &f.case("/assignments"),
        &f.manager,
        None,
    )
    .await;
    let flo = assignments
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user_id"] == f.officer.id.as_str() && a["role"] == "flo")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/assignments/{flo}/end")),
        &f.manager,
        Some(json!({"reason": "Handed over to the night team"})),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    let (_, after) = call(&f.app, Method::GET, BOARD, &f.officer, None).await;
    assert_eq!(after["summary"]["cases"], 0, "{after}");
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
    let family = crate::support::family::family_token(&f.app, &f.relatives[0]).await;
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
    assert_eq!(s, 200, "cut to today, then within 366 days: {b}");
    assert!(b["note"].as_str().unwrap().contains("cut to end today"));
    let (s, b) = ask("to=-262144-01-01").await;
    assert_eq!((s, b["field"].as_str()), (422, Some("to")), "{b}");
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

#[tokio::test]
async fn the_dashboard_page_and_its_csv_show_the_same_figures() {
    let f = fixture().await;
    // A case in breach: opened two days ago, nobody in touch.
    let (_, case) = call(&f.app, Method::GET, &f.case(""), &f.manager, None).await;
    let case_id = f.case_id.clone();
    let opened = liaison::db::now() - chrono::Duration::days(2);
    f.app
        .with_conn(move |conn| {
            use liaison::db::schema::cases;
            diesel::update(cases::table.find(case_id))
                .set(cases::opened_at.eq(opened))
                .execute(conn)
                .unwrap()
        })
        .await;
    let team = liaison::domain::TeamId::parse(case["team_id"].as_str().unwrap()).unwrap();
    let user = f
        .app
        .create_user(liaison::domain::Role::Manager, &[&team])
        .await;
    let manager = f.app.browser_for(&user).await;
    let (s, page) = manager.get("/staff/dashboard").await;
    assert_eq!(s, 200, "{page}");
    assert!(
        page.contains(&format!("href=\"/staff/cases/{}\"", f.case_id)),
        "the case in breach links to its page"
    );
    assert!(page.contains("first contact late"));
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 6);
    assert!(
        page.contains("0 of 1 (0%)"),
        "first contact: none of one met"
    );
    let (s, page) = manager
        .get("/staff/dashboard?from=2026-11-20&to=2026-11-01")
        .await;
    assert_eq!(s, 422);
    assert!(
        page.contains("after it ends") && page.contains("value=\"2026-11-20\""),
        "the error, and what was typed"
    );

    let res = manager
        .client
        .get(manager.url("/staff/dashboard.csv?table=cases"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("timeliness-cases-")
    );
    let body = res.text().await.unwrap();
    let mut lines = body.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("\"from\",\"to\",\"reference\"")
    );
    let row = lines.next().expect("one case");
    assert!(
        row.contains(&format!("\"{}\"", case["reference"].as_str().unwrap()))
            && row.contains("\"breached\""),
        "{row}"
    );
    for table in ["officers", "teams", "weeks"] {
        let res = manager
            .client
            .get(manager.url(&format!("/staff/dashboard.csv?table={table}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{table}");
        assert!(
            res.text().await.unwrap().lines().count() >= 2,
            "{table} has a header and rows"
        );
    }
    let res = manager
        .client
        .get(manager.url("/staff/dashboard.csv?table=everything"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn an_administrator_changes_a_target_which_applies_from_then_on() {
    let f = fixture().await;
    let body = |hours: i64| json!({"first_contact_hours": hours, "message_ack_working_days": 1, "message_answer_working_days": 5, "update_after_event_working_days": 1});
    let (s, b) = call(
        &f.app,
        Method::PUT,
        "/api/v1/settings/targets",
        &f.admin,
        Some(body(0)),
    )
    .await;
    assert_eq!(
        (s, b["field"].as_str()),
        (422, Some("first_contact_hours")),
        "{b}"
    );
    let (s, _) = call(
        &f.app,
        Method::PUT,
        "/api/v1/settings/targets",
        &f.manager,
        Some(body(48)),
    )
    .await;
    assert_eq!(s, 403, "only administrators set targets");
    let (s, b) = call(
        &f.app,
        Method::PUT,
        "/api/v1/settings/targets",
        &f.admin,
        Some(body(48)),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["targets"]["first_contact_hours"], 48);
    assert_eq!(b["changes"][0]["key"], "target.first_contact_hours");
    assert_eq!(b["changes"][0]["old_value"], "24");
    assert_eq!(b["changes"][0]["new_value"], "48");
    assert_eq!(f.app.audit("settings.targets_change").await.len(), 1);
    let (s, again) = call(
        &f.app,
        Method::PUT,
        "/api/v1/settings/targets",
        &f.admin,
        Some(body(48)),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        again["changes"].as_array().unwrap().len(),
        1,
        "saving the same values changes nothing"
    );

    // Say the change was made 40 hours ago. A case opened 50 hours ago (before it) is judged
    // by 24 hours; one opened 30 hours ago (after it) by 48.
    let now = liaison::db::now();
    let (_, case) = call(&f.app, Method::GET, &f.case(""), &f.manager, None).await;
    let (s, b) = call(&f.app, Method::POST, "/api/v1/cases", &f.manager,
        Some(json!({"team_id": case["team_id"], "deceased_name": "Ada Penrose", "date_of_death": "2026-11-01"}))).await;
    assert_eq!(s, 201, "{b}");
    let (older, newer) = (f.case_id.clone(), b["id"].as_str().unwrap().to_owned());
    f.app
        .with_conn(move |conn| {
            use liaison::db::schema::{cases, setting_changes};
            diesel::update(setting_changes::table)
                .set(setting_changes::effective_from.eq(now - chrono::Duration::hours(40)))
                .execute(conn)
                .unwrap();
            diesel::update(cases::table.find(older))
                .set(cases::opened_at.eq(now - chrono::Duration::hours(50)))
                .execute(conn)
                .unwrap();
            diesel::update(cases::table.find(newer))
                .set(cases::opened_at.eq(now - chrono::Duration::hours(30)))
                .execute(conn)
                .unwrap();
        })
        .await;
    let (s, board) = call(&f.app, Method::GET, BOARD, &f.manager, None).await;
    assert_eq!(s, 200, "{board}");
    assert_eq!(
        board["summary"]["first_contact"],
        json!({"met": 0, "breached": 1, "pending": 1}),
        "{board}"
    );
    let by_ref = |r: &str| {
        board["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["reference"] == r)
            .unwrap()["measures"]["first_contact"]
            .clone()
    };
    assert_eq!(by_ref(&f.reference)["target_hours"], 24);
    assert_eq!(by_ref(b["reference"].as_str().unwrap())["target_hours"], 48);
    assert_eq!(board["targets"]["first_contact_hours"], 48);
    assert_eq!(board["target_changes"][0]["key"], "first_contact_hours");
    assert_eq!(board["target_changes"][0]["value"], 48);
}

#[tokio::test]
async fn the_targets_page_keeps_what_was_typed_and_records_each_change() {
    let f = fixture().await;
    let user = f.app.create_user(liaison::domain::Role::Admin, &[]).await;
    let admin = f.app.browser_for(&user).await;
    let (s, page) = admin.get("/admin/targets").await;
    assert_eq!(s, 200);
    assert!(page.contains("value=\"24\"") && page.contains("the defaults apply"));
    let form = [
        ("first_contact_hours", "twelve"),
        ("message_ack_working_days", "2"),
        ("message_answer_working_days", "5"),
        ("update_after_event_working_days", "1"),
        ("entitlements_working_days", "10"),
    ];
    let res = admin.post("/admin/targets", &form).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("value=\"twelve\"") && page.contains("Enter a whole number"),
        "{page}"
    );
    let mut form = form;
    form[0].1 = "12";
    let res = admin.post("/admin/targets", &form).await;
    assert_eq!(res.status(), 303);
    let (_, page) = admin.get("/admin/targets?saved=1").await;
    assert!(page.contains("They apply from now on"));
    assert!(
        page.contains("target.first_contact_hours")
            && page.contains("target.message_ack_working_days")
    );
    let (s, b) = call(
        &f.app,
        Method::GET,
        "/api/v1/settings/targets",
        &f.admin,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["targets"]["first_contact_hours"], 12);
    assert_eq!(b["changes"].as_array().unwrap().len(), 2);
    // Officers and managers cannot reach the page.
    let officer = f.app.create_user(liaison::domain::Role::Officer, &[]).await;
    let b = f.app.browser_for(&officer).await;
    assert_eq!(b.get("/admin/targets").await.0, 403);
}

#[tokio::test]
async fn a_familys_open_concern_shows_on_the_dashboard_until_it_is_closed() {
    let f = fixture().await;
    let family = crate::support::family::family_token(&f.app, &f.relatives[0]).await;
    let (s, thread) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/messages",
        &family,
        Some(json!({"category": "investigation_concern", "body": "Nobody has looked at the doorbell camera across the road.\nPlease check it."})),
    )
    .await;
    assert_eq!(s, 201, "{thread}");
    let message = thread[0]["message"]["id"].as_str().unwrap().to_owned();
    // A plain question is not a concern.
    let (s, _) = call(
        &f.app,
        Method::POST,
        "/api/v1/family/messages",
        &family,
        Some(json!({"category": "question", "body": "When is the inquest?"})),
    )
    .await;
    assert_eq!(s, 201);

    for token in [&f.manager, &f.officer] {
        let (s, board) = call(&f.app, Method::GET, BOARD, token, None).await;
        assert_eq!(s, 200);
        let concerns = board["open_concerns"].as_array().unwrap();
        assert_eq!(concerns.len(), 1, "{board}");
        assert_eq!(concerns[0]["message_id"], message.as_str());
        assert_eq!(concerns[0]["reference"], f.reference.as_str());
        assert!(concerns[0]["acknowledged_at"].is_null());
        assert_eq!(
            concerns[0]["excerpt"],
            "Nobody has looked at the doorbell camera across the road. Please check it."
        );
    }
    // Not another team's manager's, nor an officer's who does not hold the case.
    for token in [&f.other_manager, &f.other_officer] {
        let (s, board) = call(&f.app, Method::GET, BOARD, token, None).await;
        assert_eq!(s, 200);
        assert_eq!(board["open_concerns"], json!([]));
    }

    // The page and the CSV say the same, with a link to the case's messages.
    let (_, case) = call(&f.app, Method::GET, &f.case(""), &f.manager, None).await;
    let team = liaison::domain::TeamId::parse(case["team_id"].as_str().unwrap()).unwrap();
    let user = f
        .app
        .create_user(liaison::domain::Role::Manager, &[&team])
        .await;
    let browser = f.app.browser_for(&user).await;
    let (s, page) = browser.get("/staff/dashboard").await;
    assert_eq!(s, 200);
    assert!(page.contains("Open concerns about the investigation"));
    assert!(page.contains(&format!("href=\"/staff/cases/{}/messages\"", f.case_id)));
    assert!(page.contains("Not acknowledged"));
    let (s, csv) = browser.get("/staff/dashboard.csv?table=concerns").await;
    assert_eq!(s, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].contains("message_id") && lines[1].contains(&message),
        "{csv}"
    );

    // Acknowledged, answered: still open until closed on the record.
    let (s, _) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/messages/{message}/acknowledge")),
        &f.officer,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (_, board) = call(&f.app, Method::GET, BOARD, &f.manager, None).await;
    assert!(board["open_concerns"][0]["acknowledged_at"].is_string());
    let (s, _) = call(
        &f.app,
        Method::POST,
        &f.case(&format!("/messages/{message}/close")),
        &f.officer,
        Some(json!({"response": "We have the footage and are going through it."})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, board) = call(&f.app, Method::GET, BOARD, &f.manager, None).await;
    assert_eq!(board["open_concerns"], json!([]));
    let (_, page) = browser.get("/staff/dashboard").await;
    assert!(page.contains("No family has an open concern about the investigation."));
}

#[tokio::test]
async fn concurrent_target_saves_all_succeed_and_each_records_what_it_replaced() {
    let f = fixture().await;
    let saves = (0..8).map(|i| {
        let (app, admin) = (&f.app, f.admin.clone());
        async move {
            call(
                app,
                Method::PUT,
                "/api/v1/settings/targets",
                &admin,
                Some(json!({"first_contact_hours": 30 + i, "message_ack_working_days": 1, "message_answer_working_days": 5, "update_after_event_working_days": 1})),
            )
            .await
        }
    });
    for (s, b) in futures_util::future::join_all(saves).await {
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = call(
        &f.app,
        Method::GET,
        "/api/v1/settings/targets",
        &f.admin,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let changes = b["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 8, "{b}");
    // A chain: each change replaced the value another set (the first, the default 24), and
    // the value in force now is the one nothing replaced.
    let field = |k: &str| -> Vec<String> {
        changes
            .iter()
            .map(|c| c[k].as_str().unwrap().to_owned())
            .collect()
    };
    let (mut olds, news) = (field("old_value"), field("new_value"));
    let now = b["targets"]["first_contact_hours"].to_string();
    let mut expected: Vec<String> = news.iter().filter(|n| **n != now).cloned().collect();
    expected.push("24".to_owned());
    olds.sort();
    expected.sort();
    assert_eq!(olds, expected, "{b}");
}
