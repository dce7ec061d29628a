//! Other agencies, referrals and Victims' Code entitlements: a family sees the agency contacts
//! staff shared and only their own referrals; a referral accepted without consent is refused
//! and nothing is written; what is outstanding shows on the case and, past the target, on the
//! manager's dashboard until it is recorded.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::family::{family_token, signed_in};
use crate::support::fixture::{call, fixture, ok};

#[tokio::test]
async fn the_family_sees_the_agency_contacts_staff_shared_until_they_end() {
    let f = fixture().await;
    let o = f.officer.as_str();
    let coroner = ok(&f, Method::POST, &f.case("/agencies"), o, json!({
        "name": "Dana Whitlow", "organisation": "Northshire Coroner's Office", "role": "coroners_officer",
        "phone": "01632 960 222", "email": "coroners.officer@example.org", "hours": "Mon-Fri 9-4",
        "shared_with_family": true})).await;
    ok(
        &f,
        Method::POST,
        &f.case("/agencies"),
        o,
        json!({
        "name": "Quill Marten", "organisation": "Witness Care Unit", "role": "cps_witness_care",
        "shared_with_family": false}),
    )
    .await;
    let token = family_token(&f.app, &f.relatives[0]).await;
    let (_, seen) = call(&f.app, Method::GET, "/api/v1/family/agencies", &token, None).await;
    let names: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Dana Whitlow"], "{seen}");
    assert_eq!(seen[0]["role_label"], "Coroner's officer");
    let browser = signed_in(&f.app, &f.relatives[1]).await;
    let (_, page) = browser.get("/family/contacts").await;
    assert!(
        page.contains("Dana Whitlow") && page.contains("Northshire Coroner&#x27;s Office")
            || page.contains("Northshire Coroner's Office"),
        "{page}"
    );
    assert!(
        !page.contains("Quill Marten"),
        "a contact kept to staff: {page}"
    );

    let end = f.case(&format!(
        "/agencies/{}/end",
        coroner["id"].as_str().unwrap()
    ));
    ok(
        &f,
        Method::POST,
        &end,
        o,
        json!({"reason": "The inquest has concluded."}),
    )
    .await;
    let (status, err) = call(
        &f.app,
        Method::POST,
        &end,
        o,
        Some(json!({"reason": "Again"})),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("already_ended"))
    );
    let (_, seen) = call(&f.app, Method::GET, "/api/v1/family/agencies", &token, None).await;
    assert_eq!(seen.as_array().unwrap().len(), 0, "{seen}");
    let list = ok(&f, Method::GET, &f.case("/agencies"), o, json!(null)).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "ended contacts stay on the record"
    );

    for (body, field) in [
        (
            json!({"name": "A B", "organisation": " ", "role": "interpreter"}),
            "organisation",
        ),
        (
            json!({"name": "A B", "organisation": "Lingua", "role": "interpreter", "email": "not an address"}),
            "email",
        ),
        (
            json!({"name": "A B", "organisation": "Lingua", "role": "interpreter", "phone": "call me"}),
            "phone",
        ),
        (
            json!({"name": "", "organisation": "Lingua", "role": "interpreter"}),
            "name",
        ),
    ] {
        let (status, err) = call(
            &f.app,
            Method::POST,
            &f.case("/agencies"),
            o,
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, err["field"].as_str()),
            (422, Some(field)),
            "{body}: {err}"
        );
    }
}

#[tokio::test]
async fn referrals_need_consent_and_each_relative_sees_only_their_own() {
    let f = fixture().await;
    let o = f.officer.as_str();
    let referrals = f.count("referrals").await;
    let refer = |relative: &str, outcome: &str, consent: bool| {
        json!({
        "relative_id": relative, "organisation": "Homicide Service", "offered_on": "2026-11-03",
        "outcome": outcome, "consent": consent, "note": "Spoke at the kitchen table."})
    };
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/referrals"),
        o,
        Some(refer(&f.relatives[0], "accepted", false)),
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (422, Some("consent")),
        "{err}"
    );
    assert!(err["message"].as_str().unwrap().contains("consent"));
    assert_eq!(f.count("referrals").await, referrals, "nothing written");
    ok(
        &f,
        Method::POST,
        &f.case("/referrals"),
        o,
        refer(&f.relatives[0], "accepted", true),
    )
    .await;
    ok(
        &f,
        Method::POST,
        &f.case("/referrals"),
        o,
        refer(&f.relatives[1], "declined", false),
    )
    .await;
    let tomorrow = (liaison::casework::time::london_date(liaison::db::now())
        + chrono::Duration::days(1))
    .to_string();
    let mut future = refer(&f.relatives[0], "declined", false);
    future["offered_on"] = json!(tomorrow);
    let (status, err) = call(&f.app, Method::POST, &f.case("/referrals"), o, Some(future)).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (422, Some("offered_on")),
        "{err}"
    );
    let (status, err) = call(
        &f.app,
        Method::POST,
        &f.case("/referrals"),
        o,
        Some(refer("01ARZ3NDEKTSV4RRFFQ69G5FAV", "declined", false)),
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (422, Some("relative_id")),
        "{err}"
    );

    for (i, outcome) in [(0, "accepted"), (1, "declined")] {
        let token = family_token(&f.app, &f.relatives[i]).await;
        let (_, seen) = call(
            &f.app,
            Method::GET,
            "/api/v1/family/referrals",
            &token,
            None,
        )
        .await;
        let seen = seen.as_array().unwrap();
        assert_eq!(seen.len(), 1, "only their own: {seen:?}");
        assert_eq!(seen[0]["outcome"], outcome);
        assert!(
            !serde_json::to_string(seen).unwrap().contains("kitchen"),
            "the note is staff only"
        );
    }
}

#[tokio::test]
async fn entitlements_outstanding_show_on_the_case_and_past_the_target_on_the_dashboard() {
    let f = fixture().await;
    let (o, m) = (f.officer.as_str(), f.manager.as_str());
    let standing = ok(&f, Method::GET, &f.case("/entitlements"), o, json!(null)).await;
    for r in standing.as_array().unwrap() {
        assert_eq!(r["outstanding"].as_array().unwrap().len(), 4, "{r}");
    }
    // The case opened 30 days ago: past the ten working days.
    let case_id = f.case_id.clone();
    f.app
        .with_conn(move |conn| {
            use diesel::prelude::*;
            use liaison::db::schema::cases;
            diesel::update(cases::table.find(case_id))
                .set(cases::opened_at.eq(liaison::db::now() - chrono::Duration::days(30)))
                .execute(conn)
                .unwrap()
        })
        .await;
    let due = |board: &Value| -> Option<i64> {
        board["entitlements_due"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["case_id"] == f.case_id.as_str())
            .map(|c| c["outstanding"].as_i64().unwrap())
    };
    let board = ok(
        &f,
        Method::GET,
        "/api/v1/dashboard/timeliness",
        m,
        json!(null),
    )
    .await;
    assert_eq!(due(&board), Some(8), "two relatives, four each");
    let browser = crate::support::family::officer_browser(&f).await;
    let (_, page) = browser.get(&format!("/staff/cases/{}", f.case_id)).await;
    assert!(page.contains("Still outstanding for the family"), "{page}");

    for r in &f.relatives {
        ok(&f, Method::POST, &f.case("/referrals"), o, json!({"relative_id": r, "organisation": "Support After Murder and Manslaughter", "offered_on": "2026-11-04", "outcome": "declined"})).await;
        for e in [
            "vps_offered",
            "vps_declined",
            "review_right_explained",
            "complaint_route_given",
        ] {
            ok(
                &f,
                Method::POST,
                &f.case("/entitlements"),
                o,
                json!({"relative_id": r, "entitlement": e, "met_on": "2026-11-05"}),
            )
            .await;
        }
    }
    let (status, err) = call(&f.app, Method::POST, &f.case("/entitlements"), o, Some(json!({"relative_id": f.relatives[0], "entitlement": "vps_forgotten", "met_on": "2026-11-05"}))).await;
    assert_eq!(status, 422, "{err}");
    let board = ok(
        &f,
        Method::GET,
        "/api/v1/dashboard/timeliness",
        m,
        json!(null),
    )
    .await;
    assert_eq!(due(&board), None, "{}", board["entitlements_due"]);
    let (_, page) = browser.get(&format!("/staff/cases/{}", f.case_id)).await;
    assert!(!page.contains("Still outstanding for the family"), "{page}");
    // The staff page records one by its form, and says what is wrong beside the field.
    let res = browser
        .post(
            &format!("/staff/cases/{}/referrals", f.case_id),
            &[
                ("referral_relative_id", f.relatives[0].as_str()),
                ("referral_organisation", "Brake"),
                ("referral_offered_on", "2026-11-06"),
                ("referral_outcome", "accepted"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"referral_consent-error\""), "{page}");
    assert!(page.contains("value=\"Brake\""), "what was typed is kept");
}
