//! Help in plain words: the family's help page explains their case type's milestones, who is
//! who, their rights and how to complain, in English or Welsh, with the support list the
//! administrator keeps (national defaults to start with); terms on other pages link to it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::family::{family_token, signed_in};
use crate::support::fixture::{Fixture, call, fixture, ok};

async fn help_of(f: &Fixture, relative: &str) -> Value {
    let token = family_token(&f.app, relative).await;
    let (s, help) = call(&f.app, Method::GET, "/api/v1/family/help", &token, None).await;
    assert_eq!(s, 200, "{help}");
    help
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_family_reads_what_their_case_types_milestones_mean_and_where_to_get_support() {
    let f = fixture().await;
    ok(
        &f,
        Method::POST,
        &f.case("/type"),
        &f.manager,
        json!({"case_type": "homicide", "reason": "The post-mortem found injuries."}),
    )
    .await;
    let help = help_of(&f, &f.relatives[0]).await;
    let milestones = ids(&help["milestones"]);
    assert!(milestones.contains(&"milestone-second_post_mortem".to_owned()));
    assert!(milestones.contains(&"milestone-charge".to_owned()));
    assert!(
        !milestones.contains(&"milestone-pre_inquest_review".to_owned()),
        "only their case type's milestones: {milestones:?}"
    );
    let second = &help["milestones"].as_array().unwrap()[milestones
        .iter()
        .position(|m| m == "milestone-second_post_mortem")
        .unwrap()];
    assert!(
        second["body"].as_str().unwrap().contains("defence"),
        "{second}"
    );
    assert_eq!(ids(&help["people"]), ["flo", "sio", "coroner", "cps"]);
    assert_eq!(
        ids(&help["rights"]),
        ["victims-code", "vps", "review", "complain"]
    );
    let support: Vec<&str> = help["support"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        support,
        [
            "Emergency services",
            "Police non-emergency number",
            "The national homicide support service",
            "Bereavement support helpline",
            "The coroner's office"
        ]
    );

    // The page, and the terms elsewhere that link to it.
    let ivy = signed_in(&f.app, &f.relatives[0]).await;
    let (status, page) = ivy.get("/family/help").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"milestone-second_post_mortem\""),
        "{page}"
    );
    assert!(page.contains("id=\"complain\""));
    assert!(page.contains("href=\"tel:999\""));
    let (_, home) = ivy.get("/family").await;
    assert!(
        home.contains("href=\"/family/help#milestone-post_mortem\""),
        "{home}"
    );
    let (_, contacts) = ivy.get("/family/contacts").await;
    assert!(contacts.contains("href=\"/family/help#flo\""), "{contacts}");

    // In Welsh, for a relative who reads Welsh.
    let token = family_token(&f.app, &f.relatives[1]).await;
    let (s, _) = call(
        &f.app,
        Method::PUT,
        "/api/v1/family/preferences",
        &token,
        Some(json!({"channel": "email", "language": "cy"})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, cy) = call(&f.app, Method::GET, "/api/v1/family/help", &token, None).await;
    assert_eq!(cy["support"][0]["name"], "Gwasanaethau brys");
    assert_ne!(cy["people"][0]["body"], help["people"][0]["body"]);
}

#[tokio::test]
async fn the_administrator_keeps_the_support_list_and_families_see_it() {
    let f = fixture().await;
    let admin_user = f.app.create_user(liaison::domain::Role::Admin, &[]).await;
    let admin = f.app.browser_for(&admin_user).await;
    let (status, page) = admin.get("/admin/support").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("No number yet"),
        "defaults without a number are flagged"
    );
    // Bad input keeps what was typed and names each problem.
    let res = admin
        .post(
            "/admin/support",
            &[
                ("name", ""),
                (
                    "description",
                    "Peer support from families bereaved by homicide.",
                ),
                ("phone", "call us"),
                ("website", "example.org"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    for words in [
        "Enter the organisation&#x27;s name.",
        "Enter a phone number using digits",
        "Enter the website&#x27;s full address",
        "Peer support from families bereaved by homicide.",
    ] {
        assert!(page.contains(words), "{words} in {page}");
    }
    let before = f.count("support_organisations").await;
    assert_eq!(before, 5, "nothing written");
    let res = admin
        .post(
            "/admin/support",
            &[
                ("name", "Northshire Families After Homicide"),
                (
                    "description",
                    "Peer support from families bereaved by homicide.",
                ),
                ("phone", "01632 960 555"),
                ("website", "https://families-after-homicide.example"),
                ("name_cy", "Teuluoedd ar ôl Lladdiad Northshire"),
                ("position", "3"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let help = help_of(&f, &f.relatives[0]).await;
    let added = help["support"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Northshire Families After Homicide")
        .unwrap_or_else(|| panic!("{help}"))
        .clone();
    assert_eq!(added["phone"], "01632 960 555");

    // The API: list, change, remove; an unknown or removed entry is not found.
    let (s, list) = call(
        &f.app,
        Method::GET,
        "/api/v1/settings/support-organisations",
        &f.admin,
        None,
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Northshire Families After Homicide")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/settings/support-organisations/{id}");
    let (s, changed) = call(&f.app, Method::PUT, &path, &f.admin,
        Some(json!({"name": "Northshire Families After Homicide", "description": "Peer support.", "phone": "01632 960 556"}))).await;
    assert_eq!(
        (s, &changed["phone"]),
        (200, &json!("01632 960 556")),
        "{changed}"
    );
    let (s, b) = call(
        &f.app,
        Method::PUT,
        &path,
        &f.admin,
        Some(json!({"name": "x", "description": "y", "website": "javascript:alert(1)"})),
    )
    .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("website")), "{b}");
    let (s, b) = call(
        &f.app,
        Method::POST,
        "/api/v1/settings/support-organisations",
        &f.admin,
        Some(json!({"name": "   ", "description": "y"})),
    )
    .await;
    assert_eq!(s, 422, "an empty entry: {b}");
    let remove = format!("{path}/remove");
    let (s, _) = call(&f.app, Method::POST, &remove, &f.admin, None).await;
    assert_eq!(s, 204);
    let (s, _) = call(&f.app, Method::POST, &remove, &f.admin, None).await;
    assert_eq!(s, 404, "removed already");
    let (s, _) = call(
        &f.app,
        Method::PUT,
        "/api/v1/settings/support-organisations/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        &f.admin,
        Some(json!({"name": "x", "description": "y"})),
    )
    .await;
    assert_eq!(s, 404);
    let help = help_of(&f, &f.relatives[0]).await;
    assert!(
        !help["support"]
            .to_string()
            .contains("Families After Homicide"),
        "removed from what families read"
    );
    assert_eq!(f.count("support_organisations").await, 6, "the row is kept");
    for action in ["support.add", "support.edit", "support.remove"] {
        assert!(!f.app.audit(action).await.is_empty(), "{action} is audited");
    }
    // Nobody but the administrator changes it.
    for token in [&f.officer.token, &f.manager.token] {
        let (s, _) = call(
            &f.app,
            Method::GET,
            "/api/v1/settings/support-organisations",
            token,
            None,
        )
        .await;
        assert_eq!(s, 403);
    }
}
