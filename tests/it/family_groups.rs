//! Families as they really are: family groups and restricted relatives. A case with two groups
//! and a restricted relative, with a marker in every field each group's own things carry;
//! each relative crawls every family page, API answer, calendar file and e-mail they can
//! reach and finds nothing of the other group's, nor of the restricted relative's.

use std::time::Duration;

use diesel::prelude::*;
use liaison::db::schema::{family_groups, notifications, relative_restrictions, relatives};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::Browser;
use crate::support::family::{
    FAMILY_API_READS, FAMILY_PAGES, family_token, fixture_with_mail, signed_in,
};
use crate::support::fixture::{Fixture, call, fixture, ok};

/// Markers of the second group's things, of the restricted relative's, and of the first
/// group's own (which its members must see, so that the crawl can fail).
const B: &str = "bonly";
const R: &str = "ronly";
const A: &str = "aonly";

async fn refused(f: &Fixture, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(&f.app, Method::POST, path, token, Some(body)).await
}

/// Everything a relative can reach, as one lower-cased text: every family page, every API
/// answer, and each of their appointments' calendar files, page and API alike.
async fn crawl(f: &Fixture, browser: &Browser, token: &str) -> String {
    let mut seen = String::new();
    for page in FAMILY_PAGES {
        let (status, body) = browser.get(page).await;
        assert_eq!(status, 200, "{page}");
        seen.push_str(&body);
    }
    for path in FAMILY_API_READS {
        let (status, body) = call(&f.app, Method::GET, path, token, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        seen.push_str(&body.to_string());
    }
    let (_, appointments) = call(
        &f.app,
        Method::GET,
        "/api/v1/family/appointments",
        token,
        None,
    )
    .await;
    for a in appointments.as_array().unwrap() {
        let id = a["id"].as_str().unwrap();
        let (status, ics) = browser.get(&format!("/family/appointments/{id}.ics")).await;
        assert_eq!(status, 200);
        seen.push_str(&ics);
        let res = f
            .app
            .api
            .get(
                f.app
                    .url(&format!("/api/v1/family/appointments/{id}/calendar")),
            )
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        seen.push_str(&res.text().await.unwrap());
    }
    seen.to_lowercase()
}

#[tokio::test]
async fn each_group_and_a_restricted_relative_are_kept_apart_on_every_page_answer_and_email() {
    let (smtp, f) = fixture_with_mail().await;
    let m = f.manager.as_str();
    let o = f.officer.as_str();
    let (ivy, sol) = (f.relatives[0].clone(), f.relatives[1].clone());

    // The case's relatives became one group when the first was added.
    let groups = ok(&f, Method::GET, &f.case("/family-groups"), o, json!(null)).await;
    assert_eq!(groups.as_array().unwrap().len(), 1, "{groups}");
    let group_a = groups[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(groups[0]["members"].as_array().unwrap().len(), 2);
    ok(
        &f,
        Method::PUT,
        &f.case(&format!("/relatives/{ivy}")),
        o,
        json!({"full_name": "Ivy Orley", "relationship": "mother", "email": "ivy.orley@example.org", "preferred_channel": "phone", "point_of_contact": true, "version": 1}),
    )
    .await;

    // The partner, estranged from the parents: a group of their own, every field marked.
    let rue = ok(
        &f,
        Method::POST,
        &f.case("/relatives"),
        o,
        json!({"full_name": "Rue Bonly", "relationship": "partner bonly", "email": "rue.bonly@example.org",
               "phone": "07700 900 417", "address": "1 Bonly Lane", "preferred_channel": "email",
               "new_family_group": "The partner bonly"}),
    )
    .await;
    let rue_id = rue["id"].as_str().unwrap().to_owned();
    let group_b = rue["family_group_id"].as_str().unwrap().to_owned();
    assert_ne!(group_a, group_b);
    assert_eq!(rue["point_of_contact"], true, "a new group's first member");
    // A cousin in the first group, soon to be restricted.
    let kit = ok(
        &f,
        Method::POST,
        &f.case("/relatives"),
        o,
        json!({"full_name": "Kit Ronly", "relationship": "cousin ronly", "email": "kit.ronly@example.org",
               "preferred_channel": "phone", "family_group_id": group_a}),
    )
    .await;
    let kit_id = kit["id"].as_str().unwrap().to_owned();

    // With two groups, what goes to one part of the family must say which.
    let (status, body) = refused(
        &f,
        &f.case("/relatives"),
        o,
        json!({"full_name": "Nobody Chosen", "relationship": "aunt", "preferred_channel": "phone"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = refused(&f, &f.case("/messages"), o, json!({"body": "To whom?"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("more than one family group")
    );

    // Each group's own things.
    let ivy_b = signed_in(&f.app, &ivy).await;
    let rue_b = signed_in(&f.app, &rue_id).await;
    let kit_b = signed_in(&f.app, &kit_id).await;
    for (b, words) in [
        (&ivy_b, "Has anyone asked the aonly neighbour?"),
        (&rue_b, "Nobody tells me anything, bonly."),
        (&kit_b, "What did the ronly witness say?"),
    ] {
        b.get("/family/messages").await;
        let res = b
            .post(
                "/family/messages",
                &[("category", "investigation_concern"), ("body", words)],
            )
            .await;
        assert_eq!(res.status(), 303);
    }
    ok(
        &f,
        Method::POST,
        &f.case("/messages"),
        o,
        json!({"body": "Answer for the bonly group", "family_group_id": group_b}),
    )
    .await;
    ok(
        &f,
        Method::POST,
        &f.case("/messages"),
        o,
        json!({"body": "Answer for the aonly group", "family_group_id": group_a}),
    )
    .await;
    let due = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    ok(&f, Method::POST, &f.case("/follow-ups"), o, json!({"purpose": "Visit bonly", "family_title": "Visit bonly", "due_at": due, "is_appointment": true, "place": "Bonly Street", "family_group_id": group_b})).await;
    ok(&f, Method::POST, &f.case("/follow-ups"), o, json!({"purpose": "Visit aonly", "family_title": "Visit aonly", "due_at": due, "is_appointment": true, "place": "Aonly Street", "relative_id": ivy})).await;
    let update = ok(&f, Method::POST, &f.case("/updates"), o, json!({"title": "For bonly only", "body": "Bonly news", "shared_with_family": true, "family_group_ids": [group_b]})).await;
    assert_eq!(update["family_group_ids"], json!([group_b]));
    ok(&f, Method::POST, &f.case("/updates"), o, json!({"title": "For aonly only", "body": "Aonly news", "shared_with_family": true, "family_group_ids": [group_a]})).await;
    ok(&f, Method::POST, &f.case("/updates"), o, json!({"title": "For everyone", "body": "Shared with every group", "shared_with_family": true})).await;
    let (_, bonly_contact) = f.log_contact(o, json!({"channel": "visit", "direction": "outbound", "discussion": "x", "relatives": [rue_id], "family_summary": "We saw you, bonly."})).await;
    let bonly_contact = bonly_contact["original"]["id"].as_str().unwrap().to_owned();
    f.log_contact(o, json!({"channel": "visit", "direction": "outbound", "discussion": "x", "relatives": [ivy], "family_summary": "We saw you, aonly."})).await;
    let group_flo = f.app.create_user(liaison::domain::Role::Officer, &[]).await;
    ok(&f, Method::POST, &f.case("/assignments"), m, json!({"user_id": group_flo.id, "role": "flo", "visible_to_family": true, "working_hours": "Bonly hours", "contact_email": "flo.bonly@example.org", "family_group_id": group_b})).await;
    for (group, marker) in [(&group_b, B), (&group_a, A)] {
        ok(&f, Method::POST, &f.case("/agencies"), o, json!({"name": "Nia Cole", "organisation": format!("Language line {marker}"), "role": "interpreter", "shared_with_family": true, "family_group_id": group})).await;
    }
    for (relative, marker) in [(&rue_id, B), (&ivy, A)] {
        ok(&f, Method::POST, &f.case("/referrals"), o, json!({"relative_id": relative, "organisation": format!("Support {marker}"), "offered_on": "2026-11-02", "outcome": "declined"})).await;
    }

    // Kit is restricted: by the SIO or a manager only, with a reason officers cannot read.
    let restrict = f.case(&format!("/relatives/{kit_id}/restrict"));
    let (status, _) = refused(&f, &restrict, o, json!({"reason": "x"})).await;
    assert_eq!(status, 403, "the FLO is not the SIO");
    let (status, _) = refused(&f, &restrict, m, json!({"reason": " "})).await;
    assert_eq!(status, 422, "a reason is needed");
    let restricted = ok(
        &f,
        Method::POST,
        &restrict,
        m,
        json!({"reason": "A person of interest: secret-reason"}),
    )
    .await;
    assert!(restricted["restricted_at"].is_string());
    assert_eq!(restricted["restricted_by"], json!(f.manager.id));
    let (status, body) = refused(&f, &restrict, m, json!({"reason": "again"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_restricted"))
    );
    // Officers see that Kit is restricted and by whom; not why.
    let seen_by_officer = ok(
        &f,
        Method::GET,
        &f.case(&format!("/relatives/{kit_id}")),
        o,
        json!(null),
    )
    .await;
    assert!(seen_by_officer["restricted_at"].is_string());
    assert!(!seen_by_officer.to_string().contains("secret-reason"));
    let history = f.case(&format!("/relatives/{kit_id}/restrictions"));
    let (status, _) = call(&f.app, Method::GET, &history, o, None).await;
    assert_eq!(status, 403);
    let (status, why) = call(&f.app, Method::GET, &history, m, None).await;
    assert_eq!(status, 200);
    assert_eq!(why[0]["reason"], "A person of interest: secret-reason");
    let officer_page = crate::support::family::officer_browser(&f).await;
    let (_, page) = officer_page
        .get(&format!(
            "/staff/cases/{}/relatives/{kit_id}/edit",
            f.case_id
        ))
        .await;
    assert!(
        page.contains("Restricted") && !page.contains("secret-reason"),
        "{page}"
    );
    let (_, page) = officer_page
        .get(&format!("/staff/cases/{}/messages", f.case_id))
        .await;
    assert!(
        page.contains("A relative on this case is restricted"),
        "{page}"
    );
    // The case page: each relative's group, who is restricted, and where updates went.
    let (_, page) = officer_page
        .get(&format!("/staff/cases/{}", f.case_id))
        .await;
    assert!(page.contains("Family group: The partner bonly"), "{page}");
    assert!(page.contains(r#"<span class="tag">restricted</span>"#));
    assert!(page.contains("to The partner bonly only"), "{page}");
    // Their sessions ended at once; nothing can be sent to or shared with them.
    let (_, kit_page) = kit_b.get("/family").await;
    assert!(
        !kit_page.contains("Kit Ronly"),
        "a restricted relative's session ends"
    );
    for (path, body) in [
        (f.case(&format!("/relatives/{kit_id}/invite")), None),
        (
            f.case("/follow-ups"),
            Some(
                json!({"purpose": "Visit", "due_at": due, "is_appointment": true, "place": "Home", "relative_id": kit_id}),
            ),
        ),
    ] {
        let (status, body) = call(&f.app, Method::POST, &path, o, body).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("relative_restricted")),
            "{path}"
        );
    }
    // ...and contacts with them can still be recorded.
    let (status, _) = f.log_contact(o, json!({"channel": "phone", "direction": "inbound", "discussion": "Kit rang", "relatives": [kit_id]})).await;
    assert_eq!(status, 201);
    let kit_rid = liaison::domain::RelativeId::parse(&kit_id).unwrap();
    let pending_for_kit: i64 = f
        .app
        .with_conn(move |conn| {
            notifications::table
                .filter(notifications::recipient_relative_id.eq(&kit_rid))
                .filter(notifications::status.eq("pending"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(pending_for_kit, 0, "their queued notices are cancelled");

    // The crawl: Ivy sees her group's things and nothing of Rue's group or of Kit.
    let ivy_token = family_token(&f.app, &ivy).await;
    let rue_token = family_token(&f.app, &rue_id).await;
    let seen = crawl(&f, &ivy_b, &ivy_token).await;
    for own in [
        "aonly neighbour",
        "answer for the aonly group",
        "visit aonly",
        "aonly news",
        "we saw you, aonly",
        "shared with every group",
    ] {
        assert!(seen.contains(own), "Ivy should see {own:?}");
    }
    for marker in [B, R, "07700 900 417", "flo.bonly"] {
        assert!(!seen.contains(marker), "Ivy reached {marker:?}");
    }
    let seen = crawl(&f, &rue_b, &rue_token).await;
    for own in [
        "nobody tells me anything",
        "answer for the bonly group",
        "visit bonly",
        "bonly news",
        "we saw you, bonly",
        "bonly hours",
        "shared with every group",
    ] {
        assert!(seen.contains(own), "Rue should see {own:?}");
    }
    for marker in [A, R, "ivy orley", "sol orley"] {
        assert!(!seen.contains(marker), "Rue reached {marker:?}");
    }
    // E-mails carry no case detail, and none was sent to a group for another group's news.
    let mail = smtp.wait_for(1, Duration::from_secs(10)).await;
    for m in &mail {
        let to = m.header("To").unwrap_or_default().to_lowercase();
        let text = m.text().to_lowercase();
        let others = if to.contains("ivy.orley") {
            [B, R]
        } else if to.contains("rue.bonly") {
            [A, R]
        } else {
            continue;
        };
        assert!(!others.iter().any(|o| text.contains(o)), "{text}");
    }
    let keys: Vec<(Option<String>, String)> = f
        .app
        .with_conn(|conn| {
            notifications::table
                .select((
                    notifications::recipient_relative_id,
                    notifications::dedup_key,
                ))
                .load(conn)
                .unwrap()
        })
        .await;
    for cause in [update["id"].as_str().unwrap(), bonly_contact.as_str()] {
        let told: Vec<_> = keys
            .iter()
            .filter(|(_, key)| key.contains(cause))
            .map(|(to, _)| to.clone().unwrap_or_default())
            .collect();
        assert!(
            !told.is_empty() && told.iter().all(|to| *to == rue_id),
            "{cause}: {told:?}"
        );
    }

    // Moving Sol to the partner's group: from now on he reads that thread (his cached
    // session is forgotten at once); what he wrote stays where he wrote it.
    let sol_b = signed_in(&f.app, &sol).await;
    sol_b.get("/family/messages").await;
    sol_b
        .post(
            "/family/messages",
            &[("category", "question"), ("body", "Sol asks aonly-side")],
        )
        .await;
    let (_, before) = sol_b.get("/family/messages").await;
    assert!(before.contains("Sol asks aonly-side"));
    ok(&f, Method::POST, &f.case("/follow-ups"), o, json!({"purpose": "Visit Sol", "family_title": "Visit Sol", "due_at": due, "is_appointment": true, "place": "Sol's flat", "relative_id": sol})).await;
    let moved = ok(
        &f,
        Method::POST,
        &f.case(&format!("/relatives/{sol}/move")),
        o,
        json!({"family_group_id": group_b, "reason": "He lives with Rue"}),
    )
    .await;
    assert_eq!(moved["family_group_id"], json!(group_b));
    assert!(!f.app.audit("relative.move").await.is_empty());
    let (_, after) = sol_b.get("/family/messages").await;
    assert!(
        after.contains("Nobody tells me anything") && !after.contains("Sol asks aonly-side"),
        "{after}"
    );
    let (_, ivy_thread) = ivy_b.get("/family/messages").await;
    assert!(ivy_thread.contains("Sol asks aonly-side"));
    let (_, staff_thread) = call(&f.app, Method::GET, &f.case("/messages"), o, None).await;
    assert!(
        staff_thread
            .to_string()
            .contains("What did the ronly witness say?"),
        "staff keep everything"
    );
    // His appointment went with him.
    let (_, sol_appointments) = sol_b.get("/family/appointments").await;
    assert!(sol_appointments.contains("Visit Sol"), "{sol_appointments}");
    let (_, ivy_appointments) = ivy_b.get("/family/appointments").await;
    assert!(!ivy_appointments.contains("Visit Sol"));
    // An answer to what he asked before the move reaches him where he is now, not the group
    // he left; an answer to the restricted relative would reach only others, and is refused.
    let id_of = |words: &str| {
        staff_thread
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["message"]["body"] == words)
            .map(|t| t["message"]["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (sol_question, kit_question) = (
        id_of("Sol asks aonly-side"),
        id_of("What did the ronly witness say?"),
    );
    ok(
        &f,
        Method::POST,
        &f.case("/messages"),
        o,
        json!({"body": "Answer for Sol", "in_reply_to": sol_question}),
    )
    .await;
    let (_, after) = sol_b.get("/family/messages").await;
    assert!(after.contains("Answer for Sol"), "{after}");
    let (_, ivy_thread) = ivy_b.get("/family/messages").await;
    assert!(!ivy_thread.contains("Answer for Sol"));
    let (status, body) = refused(
        &f,
        &f.case("/messages"),
        o,
        json!({"body": "Answer for Kit", "in_reply_to": kit_question}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("relative_restricted")),
        "{body}"
    );

    // Lifting needs a reason; the relative signs in again afterwards.
    let lift = f.case(&format!("/relatives/{kit_id}/lift-restriction"));
    let (status, _) = refused(&f, &lift, m, json!({"reason": ""})).await;
    assert_eq!(status, 422);
    let lifted = ok(
        &f,
        Method::POST,
        &lift,
        m,
        json!({"reason": "Eliminated from the inquiry"}),
    )
    .await;
    assert!(lifted["restricted_at"].is_null());
    let (status, body) = refused(&f, &lift, m, json!({"reason": "again"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("not_restricted"))
    );
    let kit_again = signed_in(&f.app, &kit_id).await;
    let (status, _) = kit_again.get("/family").await;
    assert_eq!(status, 200);
    let rows: i64 = f
        .app
        .with_conn(|conn| {
            relative_restrictions::table
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(rows, 2, "the restriction and its lifting, both kept");
}

#[tokio::test]
async fn a_group_keeps_a_member_and_a_point_of_contact_and_nothing_is_half_written() {
    let f = fixture().await;
    let o = f.officer.as_str();
    let (ivy, sol) = (f.relatives[0].clone(), f.relatives[1].clone());
    let count_groups = || {
        f.app.with_conn(|conn| {
            family_groups::table
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
    };
    // Ivy is the family's point of contact.
    ok(
        &f,
        Method::PUT,
        &f.case(&format!("/relatives/{ivy}")),
        o,
        json!({"full_name": "Ivy Orley", "relationship": "mother", "preferred_channel": "phone", "point_of_contact": true, "version": 1}),
    )
    .await;
    let before = count_groups().await;
    // An empty name; a first member from nowhere; both a group and a new one.
    for (path, body, want) in [
        (
            f.case("/family-groups"),
            json!({"name": "  ", "first_member": sol}),
            422,
        ),
        (
            f.case("/family-groups"),
            json!({"name": "Side", "first_member": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}),
            422,
        ),
        (
            f.case("/relatives"),
            json!({"full_name": "A B", "relationship": "aunt", "preferred_channel": "phone", "family_group_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "new_family_group": "Side"}),
            422,
        ),
    ] {
        let (status, body) = refused(&f, &path, o, body).await;
        assert_eq!(status, want, "{path}: {body}");
    }
    // Taking Ivy, the only point of contact, out of a group Sol stays in.
    let (status, body) = refused(
        &f,
        &f.case("/family-groups"),
        o,
        json!({"name": "Mother", "first_member": ivy}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("last_point_of_contact")),
        "{body}"
    );
    let (status, body) = call(
        &f.app,
        Method::PUT,
        &f.case(&format!("/relatives/{ivy}")),
        o,
        Some(json!({"full_name": "Ivy Orley", "relationship": "mother", "preferred_channel": "phone", "point_of_contact": false, "version": 2})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("last_point_of_contact")),
        "{body}"
    );
    assert_eq!(count_groups().await, before, "nothing half written");
    // Sol can start a group of his own; he is then its only member and cannot leave it.
    let side = ok(
        &f,
        Method::POST,
        &f.case("/family-groups"),
        o,
        json!({"name": "Brother", "first_member": sol}),
    )
    .await;
    assert_eq!(side["members"], json!([sol]));
    assert_eq!(side["points_of_contact"], json!([sol]));
    let group_a = ok(
        &f,
        Method::GET,
        &f.case(&format!("/relatives/{ivy}")),
        o,
        json!(null),
    )
    .await["family_group_id"]
        .clone();
    let (status, body) = refused(
        &f,
        &f.case(&format!("/relatives/{sol}/move")),
        o,
        json!({"family_group_id": group_a, "reason": "Back"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("last_member")),
        "{body}"
    );
    let (status, body) = refused(
        &f,
        &f.case(&format!("/relatives/{ivy}/move")),
        o,
        json!({"family_group_id": group_a, "reason": "Same"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    // A group of another case is not this case's.
    let other = ok(
        &f,
        Method::POST,
        "/api/v1/cases",
        f.manager.as_str(),
        json!({"team_id": ok(&f, Method::GET, &f.case(""), o, json!(null)).await["team_id"], "deceased_name": "Other Person", "date_of_death": "2026-11-02",
               "needs": {"language": "English", "interpreter": false}}),
    )
    .await;
    let other_id = other["id"].as_str().unwrap();
    let other_relative = ok(
        &f,
        Method::POST,
        &format!("/api/v1/cases/{other_id}/relatives"),
        f.manager.as_str(),
        json!({"full_name": "Other Relative", "relationship": "son", "preferred_channel": "phone"}),
    )
    .await;
    let foreign = other_relative["family_group_id"].clone();
    for (path, body) in [
        (
            f.case("/messages"),
            json!({"body": "Hello", "family_group_id": foreign}),
        ),
        (
            f.case("/updates"),
            json!({"title": "t", "body": "b", "shared_with_family": true, "family_group_ids": [foreign]}),
        ),
        (
            f.case(&format!("/relatives/{ivy}/move")),
            json!({"family_group_id": foreign, "reason": "r"}),
        ),
    ] {
        let (status, body) = refused(&f, &path, o, body).await;
        assert_eq!(status, 422, "{path}: {body}");
    }
    let rid = liaison::domain::RelativeId::parse(&ivy).unwrap();
    let group: Option<String> = f
        .app
        .with_conn(move |conn| {
            relatives::table
                .find(&rid)
                .select(relatives::family_group_id)
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(json!(group), group_a, "a refused move moves nobody");
}
