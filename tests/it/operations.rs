//! Operations: cases linked under one name, transitively. An update posted on one case of an
//! operation reaches every family of every case once, restricted relatives excepted; an
//! operation spans teams, and each manager sees the other teams' cases by reference and team
//! only; someone who cannot see every case posts nothing.

use reqwest::Method;
use serde_json::json;

use crate::support::fixture::{Fixture, call, fixture, ok};

/// Opens a case on `team` with a relative for each name, each invited to the portal; returns
/// the case's id and the relatives' ids.
async fn case_with_family(
    f: &Fixture,
    token: &str,
    team: &str,
    names: &[&str],
) -> (String, Vec<String>) {
    let case = ok(
        f,
        Method::POST,
        "/api/v1/cases",
        token,
        json!({"team_id": team, "deceased_name": "Mara Keel", "date_of_death": "2026-11-02"}),
    )
    .await;
    let id = case["id"].as_str().unwrap().to_owned();
    let mut relatives = Vec::new();
    for name in names {
        let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
        let r = ok(f, Method::POST, &format!("/api/v1/cases/{id}/relatives"), token, json!({"full_name": name, "relationship": "sister", "email": email, "preferred_channel": "email"})).await;
        relatives.push(r["id"].as_str().unwrap().to_owned());
    }
    (id, relatives)
}

async fn team_of(f: &Fixture, token: &str) -> String {
    let (_, me) = call(&f.app, Method::GET, "/api/v1/me", token, None).await;
    me["teams"][0]["id"].as_str().unwrap().to_owned()
}

async fn invite(f: &Fixture, token: &str, case: &str, relative: &str) {
    ok(
        f,
        Method::POST,
        &format!("/api/v1/cases/{case}/relatives/{relative}/invite"),
        token,
        json!({}),
    )
    .await;
}

/// How many e-mails of news the relative has (each also has the portal's copy).
async fn news_for(f: &Fixture, relative: &str) -> i64 {
    let relative = relative.to_owned();
    f.app
        .with_conn(move |conn| {
            use diesel::prelude::*;
            use liaison::db::schema::notifications;
            notifications::table
                .filter(notifications::recipient_relative_id.eq(relative))
                .filter(notifications::kind.eq("family_news"))
                .filter(notifications::channel.eq("email"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await
}

#[tokio::test]
async fn an_update_on_the_second_case_of_a_chain_of_four_reaches_all_eight_relatives_once() {
    let f = fixture().await;
    let m = f.manager.as_str();
    let team = team_of(&f, m).await;
    let mut cases = vec![(f.case_id.clone(), f.relatives.clone())];
    for names in [
        ["Ada Keel", "Ben Keel"],
        ["Cy Marr", "Di Marr"],
        ["Ed Toft", "Flo Toft"],
    ] {
        cases.push(case_with_family(&f, m, &team, &names).await);
    }
    // A relative of the third case under restriction: nothing reaches them.
    let (_, restricted) = call(&f.app, Method::POST, &format!("/api/v1/cases/{}/relatives", cases[2].0), m,
        Some(json!({"full_name": "Gil Marr", "relationship": "brother", "email": "gil.marr@example.org", "preferred_channel": "email"}))).await;
    let restricted = restricted["id"].as_str().unwrap().to_owned();
    for (case, relatives) in &cases {
        for r in relatives {
            invite(&f, m, case, r).await;
        }
    }
    invite(&f, m, &cases[2].0, &restricted).await;
    ok(
        &f,
        Method::POST,
        &format!(
            "/api/v1/cases/{}/relatives/{restricted}/restrict",
            cases[2].0
        ),
        m,
        json!({"reason": "Arrested on suspicion."}),
    )
    .await;

    // Two operations of two cases each, then one merged into the other: a chain of four.
    let larch = ok(&f, Method::POST, "/api/v1/operations", m, json!({"name": "Operation Larch", "case_id": cases[0].0, "reason": "Found near the canal."})).await;
    let larch = larch["id"].as_str().unwrap().to_owned();
    ok(
        &f,
        Method::POST,
        &format!("/api/v1/operations/{larch}/cases"),
        m,
        json!({"case_id": cases[1].0, "reason": "Same canal path, a week later."}),
    )
    .await;
    let alder = ok(&f, Method::POST, "/api/v1/operations", m, json!({"name": "Operation Alder", "case_id": cases[2].0, "reason": "Same pub the night before."})).await;
    let alder = alder["id"].as_str().unwrap().to_owned();
    ok(
        &f,
        Method::POST,
        &format!("/api/v1/operations/{alder}/cases"),
        m,
        json!({"case_id": cases[3].0, "reason": "Same pub."}),
    )
    .await;
    let (status, err) = call(
        &f.app,
        Method::POST,
        &format!("/api/v1/operations/{larch}/cases"),
        m,
        Some(json!({"case_id": cases[3].0, "reason": "x"})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("in_another_operation")),
        "{err}"
    );
    let merged = ok(
        &f,
        Method::POST,
        &format!("/api/v1/operations/{larch}/merge"),
        m,
        json!({"operation_id": alder, "reason": "The same man met each of them."}),
    )
    .await;
    assert_eq!(merged["cases"].as_array().unwrap().len(), 4);
    let (status, err) = call(
        &f.app,
        Method::POST,
        &format!("/api/v1/operations/{alder}/cases"),
        m,
        Some(json!({"case_id": cases[0].0, "reason": "x"})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("operation_merged")),
        "{err}"
    );
    let list = ok(&f, Method::GET, "/api/v1/operations", m, json!(null)).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "a merged operation is not listed: {list}"
    );

    // The officer of the first case cannot see the others: nothing is posted.
    let before = f.count("case_updates").await;
    let update = json!({"title": "An arrest has been made", "body": "A man has been arrested in connection with all four deaths.", "shared_with_family": true});
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/updates/operation"),
        &f.officer,
        Some(update.clone()),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("operation_case_not_visible")),
        "{err}"
    );
    assert_eq!(f.count("case_updates").await, before);

    // The manager posts it on the second case: every case gets it, every relative one notice.
    let posted = ok(
        &f,
        Method::POST,
        &format!("/api/v1/cases/{}/updates/operation", cases[1].0),
        m,
        update,
    )
    .await;
    let posted = posted.as_array().unwrap();
    assert_eq!(posted.len(), 4);
    assert!(
        posted
            .iter()
            .all(|u| u["link_batch_id"] == posted[0]["link_batch_id"])
    );
    let mut reached = 0;
    for (_, relatives) in &cases {
        for r in relatives {
            assert_eq!(news_for(&f, r).await, 1, "relative {r}");
            reached += 1;
        }
    }
    assert_eq!(reached, 8);
    assert_eq!(news_for(&f, &restricted).await, 0, "a restricted relative");
    // The case page's answer names the operation; the disclosure record keeps the merge.
    let case = ok(
        &f,
        Method::GET,
        &format!("/api/v1/cases/{}", cases[3].0),
        m,
        json!(null),
    )
    .await;
    assert_eq!(case["operation"]["name"], "Operation Larch");
    let export = ok(
        &f,
        Method::GET,
        &format!("/api/v1/cases/{}/export", cases[3].0),
        m,
        json!(null),
    )
    .await;
    let history = export["operations"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(
        history[0]["removal_reason"]
            .as_str()
            .unwrap()
            .contains("The same man met each of them.")
    );
}

#[tokio::test]
async fn an_operation_spans_two_teams_and_each_manager_sees_the_others_case_by_reference_and_team()
{
    let f = fixture().await;
    let (a, b) = (f.manager.as_str(), f.other_manager.as_str());
    let team_b = team_of(&f, b).await;
    let (theirs, _) = case_with_family(&f, b, &team_b, &["Hal Bryn"]).await;
    let op = ok(
        &f,
        Method::POST,
        "/api/v1/operations",
        a,
        json!({"name": "Operation Rowan", "case_id": f.case_id, "reason": "A stairwell fall."}),
    )
    .await;
    let op = op["id"].as_str().unwrap().to_owned();
    // Team B's manager finds it in the list, sees none of it, and adds their case.
    let list = ok(&f, Method::GET, "/api/v1/operations", b, json!(null)).await;
    assert_eq!(
        (list[0]["cases"].as_i64(), list[0]["visible_cases"].as_i64()),
        (Some(1), Some(0))
    );
    ok(
        &f,
        Method::POST,
        &format!("/api/v1/operations/{op}/cases"),
        b,
        json!({"case_id": theirs, "reason": "Another stairwell fall, two streets away."}),
    )
    .await;
    for (who, own) in [(a, &f.case_id), (b, &theirs)] {
        let seen = ok(
            &f,
            Method::GET,
            &format!("/api/v1/operations/{op}"),
            who,
            json!(null),
        )
        .await;
        let cases = seen["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 2);
        for c in cases {
            let mine = c["case_id"].as_str() == Some(own.as_str());
            assert_eq!(c["visible"], mine, "{c}");
            assert!(c["reference"].as_str().unwrap().starts_with("FL-"), "{c}");
            assert!(!c["team_name"].as_str().unwrap().is_empty(), "{c}");
            if !mine {
                assert!(
                    c["deceased_name"].is_null() && c["reason"].is_null() && c["case_id"].is_null(),
                    "{c}"
                );
            }
        }
    }
    // Neither can post to the whole operation: each names the case they cannot open.
    let (_, theirs_case) = call(
        &f.app,
        Method::GET,
        &format!("/api/v1/cases/{theirs}"),
        b,
        None,
    )
    .await;
    let update = json!({"title": "News", "body": "Words.", "shared_with_family": true});
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/updates/operation"),
        a,
        Some(update),
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains(theirs_case["reference"].as_str().unwrap()),
        "{err}"
    );
    // Nor touch the other's case.
    let (status, _) = call(
        &f.app,
        Method::POST,
        &format!("/api/v1/operations/{op}/cases/{theirs}/remove"),
        a,
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &f.app,
        Method::POST,
        "/api/v1/operations",
        b,
        Some(json!({"name": "Mine", "case_id": f.case_id, "reason": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    // A merge needs a case of each: B's own operation cannot swallow A's.
    let (other, _) = case_with_family(&f, b, &team_b, &["Ivo Bryn"]).await;
    let mine = ok(
        &f,
        Method::POST,
        "/api/v1/operations",
        b,
        json!({"name": "Operation Ash", "case_id": other, "reason": "Unrelated."}),
    )
    .await;
    ok(
        &f,
        Method::POST,
        &format!("/api/v1/operations/{op}/cases/{theirs}/remove"),
        b,
        json!({"reason": "The post-mortem found a natural cause."}),
    )
    .await;
    let (status, err) = call(
        &f.app,
        Method::POST,
        &format!("/api/v1/operations/{}/merge", mine["id"].as_str().unwrap()),
        b,
        Some(json!({"operation_id": op, "reason": "x"})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (403, Some("not_your_operation")),
        "{err}"
    );
    // Bad input: a blank name or reason, an operation that does not exist.
    for (path, body, want) in [
        (
            "/api/v1/operations".to_owned(),
            json!({"name": " ", "case_id": other, "reason": "x"}),
            422,
        ),
        (
            "/api/v1/operations".to_owned(),
            json!({"name": "Two\nlines", "case_id": other, "reason": "x"}),
            422,
        ),
        (
            format!("/api/v1/operations/{op}/cases"),
            json!({"case_id": other, "reason": ""}),
            422,
        ),
        (
            "/api/v1/operations/01ARZ3NDEKTSV4RRFFQ69G5FAV/cases".to_owned(),
            json!({"case_id": other, "reason": "x"}),
            404,
        ),
    ] {
        let (status, err) = call(&f.app, Method::POST, &path, b, Some(body.clone())).await;
        assert_eq!(status, want, "{path} {body}: {err}");
        assert!(!err["message"].as_str().unwrap_or("").is_empty(), "{err}");
    }
}

#[tokio::test]
async fn managers_run_operations_from_the_pages() {
    let f = fixture().await;
    let team = team_of(&f, f.manager.as_str()).await;
    let team = liaison::domain::TeamId::parse(&team).unwrap();
    let user = f
        .app
        .create_user(liaison::domain::Role::Manager, &[&team])
        .await;
    let manager = f.app.browser_for(&user).await;
    let (status, page) = manager.get("/staff/operations").await;
    assert_eq!(status, 200);
    assert!(page.contains("Start an operation"), "{page}");
    let res = manager
        .post(
            "/staff/operations",
            &[
                ("name", "Operation Elm"),
                ("case_id", &f.case_id),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"reason-error\""), "{page}");
    assert!(
        page.contains("value=\"Operation Elm\""),
        "what was typed is kept: {page}"
    );
    let res = manager
        .post(
            "/staff/operations",
            &[
                ("name", "Operation Elm"),
                ("case_id", &f.case_id),
                ("reason", "Found by the river."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = crate::support::browser::location(&res);
    let (_, page) = manager.get(&to).await;
    assert!(
        page.contains("Operation Elm") && page.contains("Found by the river."),
        "{page}"
    );
    let res = manager
        .post(
            &format!("{to}/remove"),
            &[("remove_case_id", &f.case_id), ("remove_reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("id=\"remove_reason-error\"")
    );
    // The case page names the operation; the update form offers to post to all of it.
    let (_, case) = manager.get(&format!("/staff/cases/{}", f.case_id)).await;
    assert!(case.contains("Operation: Operation Elm"), "{case}");
    let (_, form) = manager
        .get(&format!("/staff/cases/{}/updates/new", f.case_id))
        .await;
    assert!(
        form.contains("Post to every case of Operation Elm too"),
        "{form}"
    );
}
