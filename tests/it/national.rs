//! The generated national demo set (`liaison demo --size medium`; `large` is the same per
//! team, a hundred times over): what it writes, that it is consistent with itself, that a run
//! again adds nothing, and that a national manager's dashboard over it gives the figures the
//! full contact history gives.

use std::collections::HashMap;
use std::process::Command;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use liaison::db::schema::{cases, contact_plans, contacts, follow_ups, messages, teams};
use liaison::domain::CaseId;
use liaison::timeliness::dashboard::DashboardDates;
use liaison::timeliness::measures::{self, CaseFacts, Period};
use liaison::timeliness::{TargetHistory, WorkingCalendar};
use serde_json::{Value, json};

use crate::support::spawn_app;

fn demo(app: &crate::support::TestApp) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_liaison"))
        .current_dir(app.database.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LIAISON_DATABASE_URL", &app.database.url)
        .env("LIAISON_DATA_DIR", app.database.dir.path().join("data"))
        .env("LIAISON_LOG_LEVEL", "warn")
        .args(["demo", "--size", "medium"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[derive(Debug, PartialEq, Eq)]
struct Counts {
    teams: i64,
    cases: i64,
    contacts: i64,
    follow_ups: i64,
    messages: i64,
}

async fn counts(app: &crate::support::TestApp) -> Counts {
    app.with_conn(|conn| Counts {
        teams: teams::table
            .filter(teams::name.like("National demo unit %"))
            .count()
            .get_result(conn)
            .unwrap(),
        cases: cases::table.count().get_result(conn).unwrap(),
        contacts: contacts::table.count().get_result(conn).unwrap(),
        follow_ups: follow_ups::table.count().get_result(conn).unwrap(),
        messages: messages::table.count().get_result(conn).unwrap(),
    })
    .await
}

#[tokio::test]
async fn the_medium_national_set_is_written_once_whole_and_consistent() {
    let app = spawn_app().await;
    let (stdout, _) = demo(&app);
    assert!(
        stdout.contains("manager.n001@demo.liaison.test"),
        "{stdout}"
    );
    assert!(stdout.contains("demo-national-password"), "{stdout}");
    // Six hand-written demo cases (no contacts or follow-ups, one family message) and two
    // teams of a hundred generated ones.
    let first = counts(&app).await;
    assert_eq!(
        first,
        Counts {
            teams: 2,
            cases: 206,
            contacts: 10_000,
            follow_ups: 2_000,
            messages: 1_001,
        }
    );

    // Each case's stored first and last contact times are those of its contacts; references
    // are unique and each year's counter is past the highest.
    app.with_conn(|conn| {
        let spans: Vec<(CaseId, Option<NaiveDateTime>, Option<NaiveDateTime>)> = contacts::table
            .group_by(contacts::case_id)
            .select((
                contacts::case_id,
                diesel::dsl::min(contacts::occurred_at),
                diesel::dsl::max(contacts::occurred_at),
            ))
            .load(conn)
            .unwrap();
        let stored: HashMap<CaseId, (Option<NaiveDateTime>, Option<NaiveDateTime>)> = cases::table
            .select((cases::id, cases::first_contact_at, cases::last_contact_at))
            .load::<(CaseId, Option<NaiveDateTime>, Option<NaiveDateTime>)>(conn)
            .unwrap()
            .into_iter()
            .map(|(id, a, b)| (id, (a, b)))
            .collect();
        assert_eq!(spans.len(), 200);
        for (case, first, last) in spans {
            assert_eq!(stored[&case], (first, last), "case {case}");
        }
        let references: Vec<String> = cases::table.select(cases::reference).load(conn).unwrap();
        let mut unique = references.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), references.len());
        for r in &references {
            let (year, n) = r.trim_start_matches("FL-").split_once('-').unwrap();
            let last: i64 = liaison::db::schema::reference_counters::table
                .find(format!("FL-{year}"))
                .select(liaison::db::schema::reference_counters::last_value)
                .first(conn)
                .unwrap();
            assert!(n.parse::<i64>().unwrap() <= last, "{r} is past its counter");
        }
    })
    .await;

    // Nothing happens after its case closed or after now; nobody holds a case twice.
    app.with_conn(|conn| {
        use liaison::db::schema::assignments;
        let now = liaison::db::now();
        let late_follow_ups: i64 = follow_ups::table
            .inner_join(cases::table.on(cases::id.eq(follow_ups::case_id)))
            .filter(follow_ups::completed_at.gt(cases::closed_at))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(
            late_follow_ups, 0,
            "follow-ups done after their case closed"
        );
        let late_handling: i64 = messages::table
            .inner_join(cases::table.on(cases::id.eq(messages::case_id)))
            .filter(
                messages::acknowledged_at
                    .gt(cases::closed_at)
                    .or(messages::answered_at.gt(cases::closed_at))
                    .or(messages::sent_at.nullable().gt(cases::closed_at)),
            )
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(late_handling, 0, "messages handled after their case closed");
        let left_open: i64 = messages::table
            .inner_join(cases::table.on(cases::id.eq(messages::case_id)))
            .filter(cases::closed_at.is_not_null())
            .filter(messages::from_relative_id.is_not_null())
            .filter(messages::closed_at.is_null())
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(left_open, 0, "family messages left open on closed cases");
        let future: i64 = messages::table
            .filter(messages::sent_at.gt(now))
            .count()
            .get_result(conn)
            .unwrap();
        let future_contacts: i64 = contacts::table
            .filter(contacts::occurred_at.gt(now))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(
            (future, future_contacts),
            (0, 0),
            "nothing dated in the future"
        );
        let mut held: Vec<(String, String)> = assignments::table
            .filter(assignments::ends_at.is_null())
            .select((assignments::case_id, assignments::user_id))
            .load(conn)
            .unwrap();
        let all = held.len();
        held.sort();
        held.dedup();
        assert_eq!(held.len(), all, "an officer holds a case twice");
    })
    .await;

    // Run again: nothing is added.
    let (stdout, _) = demo(&app);
    assert!(
        stdout.contains("0 teams written now") && stdout.contains("2 already there"),
        "{stdout}"
    );
    assert_eq!(counts(&app).await, first);

    // A national manager signs in with the demo password and opens a case: its reference
    // follows the generated ones.
    let res = app
        .api
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "manager.n001@demo.liaison.test", "password": "demo-national-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (team1, team2): (String, String) = app
        .with_conn(|conn| {
            let mut id = |name: &str| -> String {
                teams::table
                    .filter(teams::name.eq(name))
                    .select(teams::id)
                    .first(conn)
                    .unwrap()
            };
            let one = id("National demo unit 001");
            (one, id("National demo unit 002"))
        })
        .await;
    let res = app
        .api
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&token)
        .json(
            &json!({"team_id": team1, "deceased_name": "Orla Test", "date_of_death": "2026-11-01"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // Their dashboard over the last 90 days: every case of the team open then, and each
    // case's first contact and longest gap as the whole contact history gives them.
    let today = liaison::casework::time::london_date(liaison::db::now());
    let from = today - Duration::days(89);
    let res = app
        .api_get(
            &format!("/api/v1/dashboard/timeliness?team_id={team1}&from={from}&to={today}"),
            &token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let board: Value = res.json().await.unwrap();
    let listed: HashMap<String, Value> = board["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["case_id"].as_str().unwrap().to_owned(),
                c["measures"].clone(),
            )
        })
        .collect();
    let period: Period = DashboardDates { from, to: today }.period();
    let now = liaison::db::now();
    let expected: Vec<(String, CaseFacts)> = app
        .with_conn(move |conn| {
            let rows: Vec<(CaseId, NaiveDateTime, Option<NaiveDateTime>)> = cases::table
                .filter(cases::team_id.eq(&team1))
                .filter(cases::opened_at.lt(period.to))
                .filter(
                    cases::closed_at
                        .is_null()
                        .or(cases::closed_at.gt(period.from)),
                )
                .select((cases::id, cases::opened_at, cases::closed_at))
                .load(conn)
                .unwrap();
            rows.into_iter()
                .map(|(id, opened_at, closed_at)| {
                    let all: Vec<NaiveDateTime> = contacts::table
                        .filter(contacts::case_id.eq(&id))
                        .select(contacts::occurred_at)
                        .load(conn)
                        .unwrap();
                    let interval: Option<i32> = contact_plans::table
                        .filter(contact_plans::case_id.eq(&id))
                        .filter(contact_plans::recorded_at.lt(period.to))
                        .select(contact_plans::interval_hours)
                        .first(conn)
                        .optional()
                        .unwrap();
                    (
                        id.to_string(),
                        CaseFacts {
                            opened_at,
                            closed_at,
                            contacts: all,
                            plan_interval_hours: interval.map(i64::from),
                            follow_ups: vec![],
                            messages: vec![],
                            key_events: vec![],
                        },
                    )
                })
                .collect()
        })
        .await;
    assert!(expected.len() > 20, "a team has many cases in 90 days");
    // (The case opened above is among them.)
    assert_eq!(listed.len(), expected.len());
    let history = app
        .with_conn(|conn| TargetHistory::load(conn).unwrap())
        .await;
    let calendar = WorkingCalendar::default();
    let mut gaps_checked = 0;
    for (id, facts) in &expected {
        let m = measures::measure(facts, period, now, &history, &calendar);
        let got = &listed[id];
        match &m.contact_plan {
            Some(plan) => {
                let shown = got["contact_plan"]["longest_gap_hours"].as_f64().unwrap();
                assert!(
                    (shown - plan.longest_gap_hours).abs() < 0.01,
                    "case {id}: longest gap {shown} h shown, {} h in the full history",
                    plan.longest_gap_hours
                );
                gaps_checked += 1;
            }
            None => assert!(got["contact_plan"].is_null(), "case {id}"),
        }
        match &m.first_contact {
            Some(f) => assert!(
                (got["first_contact"]["hours"].as_f64().unwrap() - f.hours).abs() < 0.01,
                "case {id}"
            ),
            None => assert!(got["first_contact"].is_null(), "case {id}"),
        }
    }
    assert!(gaps_checked > 20);

    // The other national team's figures are not this manager's.
    let res = app
        .api_get(
            &format!("/api/v1/dashboard/timeliness?team_id={team2}"),
            &token,
        )
        .await;
    assert_eq!(res.status(), 404);
}
