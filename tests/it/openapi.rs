//! The OpenAPI document matches the implementation: every API route is in it, and real
//! answers (successes and errors) match the schemas it declares.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use liaison::casework::limits;
use liaison::domain::NewPassword;
use liaison::timeliness::Targets;

use crate::support::fixture::{call, fixture};
use crate::support::{routes, spawn_app};

async fn document(app: &crate::support::TestApp) -> Value {
    let res = app
        .api
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the document is public");
    res.json().await.unwrap()
}

#[tokio::test]
async fn every_api_route_is_documented_and_nothing_else_is() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = routes::all()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1") && r.path != "/api/v1/openapi.json")
        .map(|r| (r.method, r.path))
        .collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// Validates `body` against the schema the document declares for `method path` and `status`.
fn check(
    doc: &Value,
    method: &str,
    template: &str,
    status: u16,
    body: &Value,
) -> Result<(), String> {
    let responses = &doc["paths"][template][method.to_lowercase()]["responses"];
    let response = &responses[status.to_string()];
    if response.is_null() {
        return Err(format!(
            "{method} {template}: status {status} is not documented"
        ));
    }
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        return if body.is_null() {
            Ok(())
        } else {
            Err(format!(
                "{method} {template} {status}: a body that is not documented"
            ))
        };
    };
    let mut root = schema.clone();
    root["components"] = doc["components"].clone();
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    let validator = jsonschema::validator_for(&root)
        .map_err(|e| format!("{method} {template}: bad schema: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{method} {template} {status}: {}\n{body}",
            errors.join("; ")
        ))
    }
}

#[tokio::test]
async fn real_answers_match_the_documented_schemas() {
    let f = fixture().await;
    let doc = document(&f.app).await;
    let (_, c) = f
        .log_contact(&f.officer, json!({"channel": "visit", "direction": "outbound", "discussion": "Contract", "relatives": [f.relatives[0]],
            "follow_ups": [{"purpose": "p", "due_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}]}))
        .await;
    let contact = c["original"]["id"].as_str().unwrap().to_owned();
    let (_, fu) = call(
        &f.app,
        Method::GET,
        &f.case("/follow-ups"),
        &f.officer,
        None,
    )
    .await;
    let follow_up = fu[0]["id"].as_str().unwrap().to_owned();
    let id = f.case_id.clone();
    let mut calls: Vec<(Method, String, String, &str, Option<Value>)> = vec![
        (
            Method::GET,
            "/api/v1/me".into(),
            "/api/v1/me".into(),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases".into(),
            "/api/v1/cases".into(),
            "manager",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}".into(),
            format!("/api/v1/cases/{id}"),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}".into(),
            format!("/api/v1/cases/{id}"),
            "other_officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/contacts".into(),
            format!("/api/v1/cases/{id}/contacts"),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/contacts/{contact_id}".into(),
            format!("/api/v1/cases/{id}/contacts/{contact}"),
            "officer",
            None,
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/contacts/{contact_id}/amendments".into(),
            format!("/api/v1/cases/{id}/contacts/{contact}/amendments"),
            "officer",
            Some(json!({"reason": "Typo", "discussion": "Contract."})),
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/contacts/{contact_id}/amendments".into(),
            format!("/api/v1/cases/{id}/contacts/{contact}/amendments"),
            "officer",
            None,
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/contacts".into(),
            format!("/api/v1/cases/{id}/contacts"),
            "officer",
            Some(json!({"channel": "phone", "direction": "inbound", "discussion": ""})),
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/follow-ups".into(),
            format!("/api/v1/cases/{id}/follow-ups"),
            "officer",
            None,
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/follow-ups/{follow_up_id}/complete".into(),
            format!("/api/v1/cases/{id}/follow-ups/{follow_up}/complete"),
            "officer",
            Some(json!({"contact_id": contact})),
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/follow-ups/{follow_up_id}/complete".into(),
            format!("/api/v1/cases/{id}/follow-ups/{follow_up}/complete"),
            "officer",
            Some(json!({})),
        ),
        (
            Method::GET,
            "/api/v1/me/follow-ups".into(),
            "/api/v1/me/follow-ups".into(),
            "officer",
            None,
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/updates".into(),
            format!("/api/v1/cases/{id}/updates"),
            "officer",
            Some(
                json!({"title": "t", "body": "b", "shared_with_family": true, "milestone": "investigation"}),
            ),
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/updates".into(),
            format!("/api/v1/cases/{id}/updates"),
            "officer",
            None,
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/property".into(),
            format!("/api/v1/cases/{id}/property"),
            "officer",
            Some(json!({"description": "Ring"})),
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/property".into(),
            format!("/api/v1/cases/{id}/property"),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/relatives".into(),
            format!("/api/v1/cases/{id}/relatives"),
            "officer",
            None,
        ),
        (
            Method::PUT,
            "/api/v1/cases/{id}/relatives/{relative_id}".into(),
            format!("/api/v1/cases/{id}/relatives/{}", f.relatives[0]),
            "officer",
            Some(
                json!({"full_name": "Ivy Orley", "relationship": "mother", "preferred_channel": "phone", "version": 7}),
            ),
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/assignments".into(),
            format!("/api/v1/cases/{id}/assignments"),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/contact-plan".into(),
            format!("/api/v1/cases/{id}/contact-plan"),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/milestones".into(),
            format!("/api/v1/cases/{id}/milestones"),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/timeline".into(),
            format!("/api/v1/cases/{id}/timeline"),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases/{id}/export".into(),
            format!("/api/v1/cases/{id}/export"),
            "officer",
            None,
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/close".into(),
            format!("/api/v1/cases/{id}/close"),
            "officer",
            Some(json!({})),
        ),
        (
            Method::GET,
            "/api/v1/notifications".into(),
            "/api/v1/notifications".into(),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/users".into(),
            "/api/v1/users".into(),
            "admin",
            None,
        ),
        (
            Method::GET,
            "/api/v1/teams".into(),
            "/api/v1/teams".into(),
            "admin",
            None,
        ),
        (
            Method::GET,
            "/api/v1/audit".into(),
            "/api/v1/audit".into(),
            "admin",
            None,
        ),
        (
            Method::GET,
            "/api/v1/outbox".into(),
            "/api/v1/outbox?status=pending".into(),
            "admin",
            None,
        ),
        (
            Method::GET,
            "/api/v1/users".into(),
            "/api/v1/users".into(),
            "officer",
            None,
        ),
        (
            Method::GET,
            "/api/v1/cases".into(),
            "/api/v1/cases".into(),
            "anonymous",
            None,
        ),
    ];
    let family = crate::support::family::family_token(&f.app, &f.relatives[0]).await;
    for path in crate::support::family::FAMILY_API_READS {
        calls.push((Method::GET, path.into(), path.into(), "relative", None));
    }
    let family_calls: Vec<(Method, &str, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/v1/family/messages",
            Some(json!({"category": "question", "body": "When can we visit?"})),
        ),
        (
            Method::POST,
            "/api/v1/family/messages",
            Some(json!({"category": "question", "body": ""})),
        ),
        (Method::POST, "/api/v1/family/messages/read", None),
        (Method::POST, "/api/v1/family/timeline/read", None),
        (Method::POST, "/api/v1/family/notices/read", None),
        (
            Method::PUT,
            "/api/v1/family/preferences",
            Some(json!({"channel": "email", "language": "cy"})),
        ),
        (
            Method::PUT,
            "/api/v1/family/preferences",
            Some(json!({"channel": "email", "language": "fr"})),
        ),
        (Method::POST, "/api/v1/family/auth/refresh", None),
        (
            Method::POST,
            "/api/v1/family/auth/link",
            Some(json!({"email": "someone@example.org"})),
        ),
        (
            Method::POST,
            "/api/v1/family/auth/token",
            Some(json!({"link_token": "nope"})),
        ),
    ];
    for (method, path, body) in family_calls {
        calls.push((method, path.into(), path.into(), "relative", body));
    }
    for (method, template, body) in [
        (Method::GET, "/api/v1/cases/{id}/messages", None),
        (
            Method::POST,
            "/api/v1/cases/{id}/messages",
            Some(json!({"body": "We will call on Friday."})),
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/messages",
            Some(json!({"body": ""})),
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/relatives/{relative_id}/suspend",
            Some(json!({"reason": ""})),
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/relatives/{relative_id}/reinstate",
            None,
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/relatives/{relative_id}/invite",
            None,
        ),
        (
            Method::POST,
            "/api/v1/cases/{id}/messages/{message_id}/acknowledge",
            None,
        ),
    ] {
        let path = template
            .replace("{id}", &id)
            .replace("{relative_id}", &f.relatives[1])
            .replace("{message_id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
        calls.push((method, template.into(), path, "officer", body));
    }
    for (path, who) in [
        ("/api/v1/dashboard/timeliness", "manager"),
        (
            "/api/v1/dashboard/timeliness?from=2026-11-01&to=2026-12-31",
            "officer",
        ),
        (
            "/api/v1/dashboard/timeliness?from=2026-11-10&to=2026-11-01",
            "manager",
        ),
        (
            "/api/v1/dashboard/timeliness?team_id=01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "manager",
        ),
    ] {
        calls.push((
            Method::GET,
            "/api/v1/dashboard/timeliness".into(),
            path.into(),
            who,
            None,
        ));
    }
    calls.push((
        Method::GET,
        "/api/v1/messages/waiting".into(),
        "/api/v1/messages/waiting".into(),
        "manager",
        None,
    ));
    calls.push((
        Method::GET,
        "/api/v1/family/case".into(),
        "/api/v1/family/case".into(),
        "officer",
        None,
    ));
    calls.push((
        Method::POST,
        "/api/v1/auth/token".into(),
        "/api/v1/auth/token".into(),
        "anonymous",
        Some(json!({"email": "x@example.org", "password": "wrong wrong wrong"})),
    ));
    // The check itself can fail: a wrong type, a missing field, an undocumented status.
    assert!(
        check(
            &doc,
            "GET",
            "/api/v1/cases/{id}",
            404,
            &json!({"error": 5, "message": "x"})
        )
        .is_err()
    );
    assert!(
        check(
            &doc,
            "GET",
            "/api/v1/cases/{id}/updates",
            200,
            &json!([{"id": "x"}])
        )
        .is_err()
    );
    assert!(check(&doc, "GET", "/api/v1/me", 418, &json!({})).is_err());
    let mut failures = Vec::new();
    for (method, template, path, who, body) in calls {
        let token = match who {
            "officer" => f.officer.as_str(),
            "other_officer" => f.other_officer.as_str(),
            "manager" => f.manager.as_str(),
            "admin" => f.admin.as_str(),
            "relative" => family.as_str(),
            _ => "",
        };
        let (status, answer) = call(&f.app, method.clone(), &path, token, body).await;
        if let Err(e) = check(&doc, method.as_str(), &template, status, &answer) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_405_naming_the_ones_it_does() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        ("TRACE", "/api/v1/cases", "GET, POST"),
        (
            "DELETE",
            "/api/v1/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV/contacts",
            "GET, POST",
        ),
        ("PUT", "/api/v1/auth/token", "POST, DELETE"),
    ] {
        let res = app
            .api
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(path),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed");
    }
    // The operation ids are unique, so integrators' generated clients have one name each.
    let doc = document(&app).await;
    let mut seen = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(
                seen.insert(id.clone()),
                "{method} {path}: {id} is used twice"
            );
        }
    }
}

#[tokio::test]
async fn a_page_far_past_the_end_is_refused_not_a_500() {
    let f = fixture().await;
    let (status, body) = call(
        &f.app,
        Method::GET,
        "/api/v1/cases?page=4468564252088298496",
        &f.manager,
        None,
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("page")),
        "{body}"
    );
    let (status, body) = call(
        &f.app,
        Method::GET,
        "/api/v1/cases?page=100000",
        &f.manager,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["cases"], json!([]));
}

/// The numbers the document states as attributes are the ones the API applies (text limits
/// come from the constants themselves, through the field types).
#[tokio::test]
async fn the_document_states_the_limits_the_api_applies() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let field =
        |schema: &str, name: &str| doc["components"]["schemas"][schema]["properties"][name].clone();
    for schema in ["ContactBody", "AmendmentBody"] {
        let duration = field(schema, "duration_minutes");
        assert_eq!(duration["minimum"], 0, "{schema}");
        assert_eq!(
            duration["maximum"],
            limits::MAX_DURATION_MINUTES,
            "{schema}"
        );
    }
    for schema in ["PlanBody", "SetPlanBody"] {
        let interval = field(schema, "interval_hours");
        assert_eq!(interval["minimum"], 1, "{schema}");
        assert_eq!(
            interval["maximum"],
            limits::MAX_PLAN_INTERVAL_HOURS,
            "{schema}"
        );
    }
    assert_eq!(
        field("ContactBody", "follow_ups")["maxItems"],
        limits::ACTIONS_PER_CONTACT
    );
    let password = field("CreateUser", "password");
    assert_eq!(password["minLength"], NewPassword::MIN_LEN);
    assert_eq!(password["maxLength"], NewPassword::MAX_LEN);
    assert_eq!(
        doc["components"]["schemas"]["RequiredText1000"]["maxLength"],
        limits::REASON
    );
    // Each target takes exactly the range the document gives it.
    let lowest = Targets {
        first_contact_hours: 1,
        message_ack_working_days: 1,
        message_answer_working_days: 1,
        update_after_event_working_days: 1,
        entitlements_working_days: 1,
    };
    assert!(lowest.validate().is_ok());
    let set = |name: &str, value: i64| {
        let mut t = lowest;
        match name {
            "first_contact_hours" => t.first_contact_hours = value,
            "message_ack_working_days" => t.message_ack_working_days = value,
            "message_answer_working_days" => t.message_answer_working_days = value,
            "entitlements_working_days" => t.entitlements_working_days = value,
            _ => t.update_after_event_working_days = value,
        }
        t
    };
    for name in [
        "first_contact_hours",
        "message_ack_working_days",
        "message_answer_working_days",
        "update_after_event_working_days",
        "entitlements_working_days",
    ] {
        let bounds = field("TargetsBody", name);
        let (min, max) = (
            bounds["minimum"].as_i64().unwrap(),
            bounds["maximum"].as_i64().unwrap(),
        );
        assert!(
            set(name, min).validate().is_ok() && set(name, max).validate().is_ok(),
            "{name}"
        );
        assert!(
            set(name, min - 1).validate().is_err() && set(name, max + 1).validate().is_err(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_api_takes_what_the_document_allows_and_no_more() {
    let f = fixture().await;
    // Text is counted as sent, as the document's maxLength counts it.
    let long = "x".repeat(limits::DISCUSSION);
    let (status, _) = f
        .log_contact(
            &f.officer,
            json!({"channel": "phone", "direction": "inbound", "discussion": long}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = f
        .log_contact(
            &f.officer,
            json!({"channel": "phone", "direction": "inbound", "discussion": format!("{long} ")}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("discussion")),
        "{body}"
    );
    // A whole number may be written with a zero fraction, as some encoders write every number.
    let (status, body) = f
        .log_contact(
            &f.officer,
            json!({"channel": "phone", "direction": "inbound", "duration_minutes": 30.0, "discussion": "Called back"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["original"]["duration_minutes"], 30);
    let (status, body) = f
        .log_contact(
            &f.officer,
            json!({"channel": "phone", "direction": "inbound", "duration_minutes": 30.5, "discussion": "Called back"}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("duration_minutes"))
    );
}
