//! Administrators manage accounts and teams, through pages and the API, and read the audit log.

use liaison::domain::Role;
use serde_json::{Value, json};

use crate::support::browser::location;
use crate::support::{Browser, spawn_app};

#[tokio::test]
async fn an_admin_creates_an_account_who_then_signs_in_and_must_choose_a_password() {
    let app = spawn_app().await;
    let team = app.create_team("Riverside").await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let browser = app.browser_for(&admin).await;

    let (status, page) = browser.get("/admin/users/new").await;
    assert_eq!(status, 200);
    assert!(page.contains("Riverside"));
    let res = browser
        .post(
            "/admin/users",
            &[
                ("display_name", "Jess Whitlow"),
                ("email", "Jess.Whitlow@Example.org"),
                ("role", "officer"),
                ("team", team.as_str()),
                ("phone", "01632 960 555"),
                ("password", "temporary password one"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let account_page = location(&res);
    assert!(account_page.starts_with("/admin/users/"));
    let (_, page) = browser.get(&account_page).await;
    assert!(page.contains("Jess Whitlow"));
    assert!(
        page.contains("jess.whitlow@example.org"),
        "emails are stored lower-cased"
    );
    assert!(page.contains("Riverside"));

    let newcomer = Browser::new(&app.address);
    let res = newcomer
        .sign_in("jess.whitlow@example.org", "temporary password one")
        .await;
    assert_eq!(location(&res), "/staff/account/password");
    assert!(!app.audit("user.create").await.is_empty());
}

#[tokio::test]
async fn a_bad_account_form_comes_back_with_every_problem_and_what_was_typed() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let browser = app.browser_for(&admin).await;
    browser.get("/admin/users/new").await;
    let res = browser
        .post(
            "/admin/users",
            &[
                ("display_name", "   "),
                ("email", "not-an-email"),
                ("role", "overlord"),
                ("team", "not-a-team"),
                ("phone", "call me"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    for message in [
        "Enter a name.",
        "Enter an email address in the correct format",
        "Choose a role.",
        "Choose a team from the list.",
        "Enter a phone number",
        "at least 12 characters",
    ] {
        assert!(page.contains(message), "missing {message:?}");
    }
    assert!(
        page.contains("value=\"not-an-email\""),
        "typed values are kept"
    );
    assert!(page.contains("value=\"call me\""));
    assert!(page.contains("There is a problem"));
    assert!(
        !page.contains("value=\"short\""),
        "passwords are never sent back"
    );

    let existing = app.create_user(Role::Officer, &[]).await;
    let res = browser
        .post(
            "/admin/users",
            &[
                ("display_name", "Someone Else"),
                ("email", &existing.email),
                ("role", "officer"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("already an account with this email")
    );
}

#[tokio::test]
async fn deactivating_and_reactivating_through_the_pages() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let officer_browser = app.browser_for(&officer).await;
    let browser = app.browser_for(&admin).await;
    browser.get(&format!("/admin/users/{}", officer.id)).await;

    let res = browser
        .post(&format!("/admin/users/{}/deactivate", officer.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = browser.get(&format!("/admin/users/{}", officer.id)).await;
    assert!(page.contains("Deactivated"));
    let res = officer_browser
        .client
        .get(officer_browser.url("/staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signed out at once");

    browser
        .post(&format!("/admin/users/{}/reactivate", officer.id), &[])
        .await;
    assert_eq!(app.browser_for(&officer).await.get("/staff").await.0, 200);
    assert_eq!(app.audit("user.deactivate").await.len(), 1);
    assert_eq!(app.audit("user.reactivate").await.len(), 1);
}

#[tokio::test]
async fn the_last_administrator_cannot_be_removed() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let token = app.token_for(&admin).await;
    let res = app
        .api
        .post(app.url(&format!("/api/v1/users/{}/deactivate", admin.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "last_admin");
    let res = app
        .api
        .patch(app.url(&format!("/api/v1/users/{}", admin.id)))
        .bearer_auth(&token)
        .json(&json!({"role": "officer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    let browser = app.browser_for(&admin).await;
    browser.get(&format!("/admin/users/{}", admin.id)).await;
    let res = browser
        .post(&format!("/admin/users/{}/deactivate", admin.id), &[])
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("only active administrator")
    );
}

#[tokio::test]
async fn teams_are_created_and_staffed_through_the_pages() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let browser = app.browser_for(&admin).await;
    browser.get("/admin/teams").await;

    let res = browser.post("/admin/teams", &[("name", "")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Enter a team name."));
    let res = browser.post("/admin/teams", &[("name", "Hillcrest")]).await;
    assert_eq!(res.status(), 303);
    let team_page = location(&res);
    let res = browser.post("/admin/teams", &[("name", "Hillcrest")]).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("already a team with this name")
    );

    let (_, page) = browser.get(&team_page).await;
    assert!(page.contains(&officer.display_name));
    assert!(
        !page.contains(&format!("value=\"{}\"", admin.id)),
        "administrators are not offered"
    );
    let res = browser
        .post(
            &format!("{team_page}/members"),
            &[("user_id", officer.id.as_str())],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = browser.get(&team_page).await;
    assert!(page.contains(&format!("/admin/users/{}", officer.id)));
    let res = browser
        .post(
            &format!("{team_page}/members"),
            &[("user_id", admin.id.as_str())],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Administrators do not join teams")
    );

    browser.get(&team_page).await;
    let res = browser
        .post(&format!("{team_page}/members/{}/remove", officer.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    let res = browser
        .post(&format!("{team_page}/members/{}/remove", officer.id), &[])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.audit("team.member_remove").await.len(), 1);
}

#[tokio::test]
async fn the_api_manages_accounts_and_teams() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let token = app.token_for(&admin).await;

    let res = app
        .api
        .post(app.url("/api/v1/teams"))
        .bearer_auth(&token)
        .json(&json!({"name": "Northgate"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let team: Value = res.json().await.unwrap();
    let team_id = team["id"].as_str().unwrap().to_owned();

    let res = app
        .api
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({
            "email": "ola.brenn@example.org",
            "display_name": "Ola Brenn",
            "role": "manager",
            "password": "a temporary passphrase",
            "teams": [team_id],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["role"], "manager");
    assert_eq!(user["password_change_required"], true);
    assert_eq!(user["teams"], json!([team_id]));
    assert!(
        user.get("password_hash").is_none(),
        "hashes never leave the server"
    );
    assert_eq!(
        location,
        format!("/api/v1/users/{}", user["id"].as_str().unwrap())
    );

    let res = app.api_get(&location, &token).await;
    assert_eq!(res.status(), 200);
    let list: Value = app
        .api_get("/api/v1/users", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let teams: Value = app
        .api_get("/api/v1/teams", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(teams[0]["members"].as_array().unwrap().len(), 1);

    let res = app
        .api
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({
            "email": "ola.brenn@example.org",
            "display_name": "Ola Again",
            "role": "officer",
            "password": "a temporary passphrase",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "email_taken");

    let member = user["id"].as_str().unwrap();
    let res = app
        .api
        .delete(app.url(&format!("/api/v1/teams/{team_id}/members/{member}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .api
        .post(app.url(&format!("/api/v1/teams/{team_id}/members")))
        .bearer_auth(&token)
        .json(&json!({"user_id": member}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let audit: Value = app
        .api_get("/api/v1/audit?action=user.create", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["record_id"] == user["id"])
    );
}

#[tokio::test]
async fn the_audit_log_page_lists_sign_ins_and_refusals() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let officer_browser = app.browser_for(&officer).await;
    officer_browser
        .client
        .get(officer_browser.url("/admin"))
        .send()
        .await
        .unwrap();
    let browser = app.browser_for(&admin).await;
    let (status, page) = browser.get("/admin/audit").await;
    assert_eq!(status, 200);
    assert!(page.contains("auth.sign_in"));
    assert!(page.contains("access.denied"));
    let (_, filtered) = browser.get("/admin/audit?outcome=denied").await;
    assert!(filtered.contains("access.denied"));
    assert!(!filtered.contains("<td>auth.sign_in</td>"));
}
