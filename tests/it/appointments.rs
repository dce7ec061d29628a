//! Appointments a family can answer: the family reads the title and note staff wrote for
//! them (never the officer's own wording), with the weekday; a relative answers "this suits
//! me" or "please change it" with a note, on the page or through the API; the officer is
//! told and the case page shows it. Other groups' and cases', cancelled and past
//! appointments cannot be answered, and a refused answer writes nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::family::{family_token, officer_browser, signed_in};
use crate::support::fixture::{Fixture, call, fixture, ok};

async fn appointment(f: &Fixture, due: chrono::DateTime<chrono::Utc>, extra: Value) -> String {
    let mut body = json!({
        "purpose": "Take Ivy the coroner's leaflet; check on Sol",
        "due_at": due.to_rfc3339(), "is_appointment": true, "place": "Your home",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let made = ok(f, Method::POST, &f.case("/follow-ups"), &f.officer, body).await;
    made["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_relative_answers_an_appointment_and_the_officer_sees_it() {
    let f = fixture().await;
    let due = chrono::Utc::now() + chrono::Duration::days(3);
    let id = appointment(
        &f,
        due,
        json!({"family_title": "A visit at home to talk about the post-mortem",
               "family_note": "Priya will bring the coroner's leaflet."}),
    )
    .await;
    let ivy = signed_in(&f.app, &f.relatives[0]).await;
    let (status, page) = ivy.get("/family/appointments").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("A visit at home to talk about the post-mortem"),
        "{page}"
    );
    assert!(
        page.contains("Priya will bring the coroner&#x27;s leaflet."),
        "{page}"
    );
    assert!(
        !page.contains("check on Sol"),
        "the officer's wording stays staff-only"
    );
    let local = due.with_timezone(&chrono_tz::Europe::London);
    let weekday = local.format("%A").to_string();
    assert!(
        page.contains(&weekday),
        "the day of the week ({weekday}) is shown"
    );

    // Ivy asks for a change, with a note.
    let res = ivy
        .post(
            &format!("/family/appointments/{id}/answer"),
            &[
                ("answer", "change"),
                ("note", "Mornings are hard; could it be after two?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = ivy.get("/family/appointments?answered=1").await;
    assert!(
        page.contains("Your family liaison officer has been told"),
        "{page}"
    );
    assert!(page.contains("Ivy Orley said: Please change it"), "{page}");

    // The officer is told, with a link to the appointment on the case page, which shows it.
    let (_, inbox) = call(
        &f.app,
        Method::GET,
        "/api/v1/notifications",
        &f.officer,
        None,
    )
    .await;
    let told = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "appointment_answered")
        .unwrap_or_else(|| panic!("the officer is told: {inbox}"));
    assert_eq!(
        told["link"],
        format!("/staff/cases/{}#follow-up-{id}", f.case_id)
    );
    let officer = officer_browser(&f).await;
    let (_, case_page) = officer.get(&format!("/staff/cases/{}", f.case_id)).await;
    assert!(
        case_page.contains("Ivy Orley: Please change it")
            && case_page.contains("Mornings are hard; could it be after two?"),
        "{case_page}"
    );
    let list = ok(
        &f,
        Method::GET,
        &f.case("/follow-ups"),
        &f.officer,
        Value::Null,
    )
    .await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id.as_str())
        .unwrap();
    assert_eq!(listed["family_answer"]["answer"], "change");

    // Sol answers through the API: his is now the latest.
    let token = family_token(&f.app, &f.relatives[1]).await;
    let (s, answered) = call(
        &f.app,
        Method::POST,
        &format!("/api/v1/family/appointments/{id}/answer"),
        &token,
        Some(json!({"answer": "suits"})),
    )
    .await;
    assert_eq!(s, 201, "{answered}");
    assert_eq!(answered[0]["answer"]["answer"], "suits");
    assert_eq!(answered[0]["answer"]["relative_name"], "Sol Orley");
    assert_eq!(
        answered[0]["title"],
        "A visit at home to talk about the post-mortem"
    );
    assert!(answered[0].get("purpose").is_none(), "{answered}");

    // Moved to a new time, it asks again: the earlier answers were about the old time.
    let later = (due + chrono::Duration::days(1)).to_rfc3339();
    ok(
        &f,
        Method::POST,
        &f.case(&format!("/follow-ups/{id}/reschedule")),
        &f.officer,
        json!({"due_at": later}),
    )
    .await;
    let (_, now) = call(
        &f.app,
        Method::GET,
        "/api/v1/family/appointments",
        &token,
        None,
    )
    .await;
    assert!(now[0]["answer"].is_null(), "{now}");
    assert_eq!(
        f.count("appointment_answers").await,
        2,
        "both answers are kept"
    );
}

#[tokio::test]
async fn answers_the_family_cannot_give_are_refused_and_write_nothing() {
    let f = fixture().await;
    let token = family_token(&f.app, &f.relatives[0]).await;
    let soon = chrono::Utc::now() + chrono::Duration::days(2);
    let open = appointment(&f, soon, json!({})).await;
    let answer = |id: String, body: Value| {
        let (app, token) = (&f.app, token.clone());
        async move {
            call(
                app,
                Method::POST,
                &format!("/api/v1/family/appointments/{id}/answer"),
                &token,
                Some(body),
            )
            .await
        }
    };
    // Without words or with too many.
    let (s, b) = answer(open.clone(), json!({"answer": "maybe"})).await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = answer(
        open.clone(),
        json!({"answer": "change", "note": "x".repeat(1001)}),
    )
    .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("note")), "{b}");
    // Cancelled, and past.
    let cancelled = appointment(&f, soon, json!({})).await;
    ok(
        &f,
        Method::POST,
        &f.case(&format!("/follow-ups/{cancelled}/cancel")),
        &f.officer,
        json!({"reason": "The family is away"}),
    )
    .await;
    let (s, b) = answer(cancelled, json!({"answer": "suits"})).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (409, Some("appointment_closed")),
        "{b}"
    );
    let past = appointment(
        &f,
        chrono::Utc::now() - chrono::Duration::hours(1),
        json!({}),
    )
    .await;
    let (s, b) = answer(past, json!({"answer": "suits"})).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (409, Some("appointment_past")),
        "{b}"
    );
    // A follow-up that is not an appointment, and another case's appointment: not found.
    let task = ok(
        &f,
        Method::POST,
        &f.case("/follow-ups"),
        &f.officer,
        json!({"purpose": "Ring the coroner", "due_at": soon.to_rfc3339()}),
    )
    .await;
    let (s, _) = answer(
        task["id"].as_str().unwrap().into(),
        json!({"answer": "suits"}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = answer(
        "01ARZ3NDEKTSV4RRFFQ69G5FAV".into(),
        json!({"answer": "suits"}),
    )
    .await;
    assert_eq!(s, 404);
    assert!(
        f.app
            .audit("access.denied")
            .await
            .iter()
            .any(|e| e.record_id.as_deref() == Some("01ARZ3NDEKTSV4RRFFQ69G5FAV")),
        "the refusal is audited"
    );
    // Another family group's appointment.
    let group = ok(
        &f,
        Method::POST,
        &f.case("/family-groups"),
        &f.manager,
        json!({"name": "Sol's household", "first_member": f.relatives[1]}),
    )
    .await;
    let theirs = appointment(
        &f,
        soon,
        json!({"family_group_id": group["id"], "family_title": "Visit Sol"}),
    )
    .await;
    let (s, _) = answer(theirs, json!({"answer": "suits"})).await;
    assert_eq!(s, 404, "another group's appointment is not there");
    assert_eq!(f.count("appointment_answers").await, 0, "nothing written");

    // On the page: a missing answer keeps the note typed, and a cancelled one says why.
    let ivy = signed_in(&f.app, &f.relatives[0]).await;
    let res = ivy
        .post(
            &format!("/family/appointments/{open}/answer"),
            &[("answer", ""), ("note", "Typed before the mistake")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Choose whether this time suits you."),
        "{page}"
    );
    assert!(page.contains("Typed before the mistake"), "{page}");
}
