//! Staff sign-in, tokens, sessions and CSRF, as a browser and an API client meet them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use liaison::audit::Actor;
use liaison::auth::tokens::{Audience, Claims, TokenKeys};
use liaison::config::Secret;
use liaison::domain::{Role, SessionId};
use serde_json::{Value, json};

use crate::support::browser::{cookie_value, location};
use crate::support::{Browser, PASSWORD, spawn_app};

#[tokio::test]
async fn staff_sign_in_sets_a_hardened_cookie_and_opens_the_home_page() {
    let app = spawn_app().await;
    let team = app.create_team("Riverside").await;
    let officer = app.create_user(Role::Officer, &[&team]).await;
    let browser = Browser::new(&app.address);

    let (status, page) = browser.get("/staff/login").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Sign in</h1>"));
    let res = browser
        .post(
            "/staff/login",
            &[("email", &officer.email), ("password", PASSWORD)],
        )
        .await;

    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/staff");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("liaison_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http on loopback must not set Secure: {cookie}"
    );
    let (status, home) = browser.get("/staff").await;
    assert_eq!(status, 200);
    assert!(home.contains("My cases"));
    assert!(home.contains("Test Family liaison officer"));

    let events = app.audit("auth.sign_in").await;
    assert!(
        events
            .iter()
            .any(|e| e.outcome == "ok" && e.actor_id.as_deref() == Some(officer.id.as_str()))
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_portal_is_served_over_https() {
    let app = crate::support::spawn_app_with(|s| {
        s.public_url = Some("https://liaison.example.org".into())
    })
    .await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let browser = Browser::new(&app.address);
    browser.get("/staff/login").await;
    let res = browser
        .post(
            "/staff/login",
            &[("email", &officer.email), ("password", PASSWORD)],
        )
        .await;
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("liaison_session=") && c.contains("Secure")),
        "{cookies:?}"
    );
    assert!(res.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn unknown_account_and_wrong_password_get_the_identical_answer() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;

    let wrong = Browser::new(&app.address)
        .sign_in(&officer.email, "not the password at all")
        .await;
    let (wrong_status, wrong_body) = (wrong.status(), wrong.text().await.unwrap());
    let unknown = Browser::new(&app.address)
        .sign_in("nobody@example.org", "not the password at all")
        .await;
    let (unknown_status, unknown_body) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(wrong_status, 401);
    assert_eq!(unknown_status, 401);
    let strip = |html: &str| {
        html.split("<main")
            .nth(1)
            .unwrap()
            .replace(&officer.email, "EMAIL")
            .replace("nobody@example.org", "EMAIL")
    };
    let without_csrf = |html: String| {
        let at = html.find("csrf_token\" value=\"").unwrap();
        format!("{}{}", &html[..at], &html[at + 62..])
    };
    assert_eq!(
        without_csrf(strip(&wrong_body)),
        without_csrf(strip(&unknown_body))
    );
    assert!(wrong_body.contains("The email address or password is not right."));
    assert!(
        wrong_body.contains(&format!("value=\"{}\"", officer.email)),
        "the email typed is kept"
    );

    let api_wrong = app
        .api
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": officer.email, "password": "nope nope nope"}))
        .send()
        .await
        .unwrap();
    let api_unknown = app
        .api
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "nobody@example.org", "password": "nope nope nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api_wrong.status(), 401);
    assert_eq!(api_unknown.status(), 401);
    assert_eq!(
        api_wrong.json::<Value>().await.unwrap(),
        api_unknown.json::<Value>().await.unwrap()
    );

    let failures = app.audit("auth.sign_in").await;
    assert_eq!(failures.iter().filter(|e| e.outcome == "failed").count(), 4);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let browser = Browser::new(&app.address);
    for _ in 0..liaison::auth::sign_in::MAX_FAILURES_PER_ACCOUNT {
        assert_eq!(
            browser
                .sign_in(&officer.email, "wrong password here")
                .await
                .status(),
            401
        );
    }
    let res = browser.sign_in(&officer.email, PASSWORD).await;
    assert_eq!(
        res.status(),
        429,
        "even the right password waits once the limit is reached"
    );
    assert!(res.text().await.unwrap().contains("Too many attempts"));
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let browser = Browser::new(&app.address);
    browser.get("/staff/login").await;

    let missing = browser
        .post_without_csrf(
            "/staff/login",
            &[("email", &officer.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(missing.status(), 403);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("This form has expired")
    );

    let forged = browser
        .post_without_csrf(
            "/staff/login",
            &[
                ("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ("email", &officer.email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status(), 403);

    // Signed in, a state-changing form without the token still fails.
    let signed_in = app.browser_for(&officer).await;
    assert_eq!(
        signed_in
            .post_without_csrf("/staff/logout", &[])
            .await
            .status(),
        403
    );
    assert_eq!(signed_in.get("/staff").await.0, 200, "still signed in");
    assert!(!app.audit("access.csrf_rejected").await.is_empty());
}

#[tokio::test]
async fn sign_out_ends_the_session_even_for_a_copied_cookie() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let browser = Browser::new(&app.address);
    let res = browser.sign_in(&officer.email, PASSWORD).await;
    // Keep a copy of the session token, as someone who copied the cookie would.
    let token = cookie_value(&res, "liaison_session").expect("session cookie");

    browser.get("/staff").await;
    let res = browser.post("/staff/logout", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/staff/login?signed_out=1");

    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = replay
        .get(app.url("/staff"))
        .header("cookie", format!("liaison_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/staff/login"));
    assert!(!app.audit("auth.sign_out").await.is_empty());
}

#[tokio::test]
async fn deactivation_and_role_change_take_effect_on_the_next_request() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let manager = app.create_user(Role::Manager, &[]).await;
    let browser_o = app.browser_for(&officer).await;
    let browser_m = app.browser_for(&manager).await;
    let token_o = app.token_for(&officer).await;
    assert_eq!(browser_o.get("/staff").await.0, 200);
    assert_eq!(app.api_get("/api/v1/me", &token_o).await.status(), 200);

    let (id_o, id_m) = (officer.id.clone(), manager.id.clone());
    app.with_conn(move |conn| {
        liaison::accounts::users::deactivate(conn, &Actor::System, &id_o).unwrap();
        liaison::accounts::users::change_role(conn, &Actor::System, &id_m, Role::Officer).unwrap();
    })
    .await;

    let res = browser_o
        .client
        .get(browser_o.url("/staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "deactivated account is signed out");
    assert_eq!(app.api_get("/api/v1/me", &token_o).await.status(), 401);
    let res = browser_m
        .client
        .get(browser_m.url("/staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "role change signs the person out");
    let again = Browser::new(&app.address)
        .sign_in(&officer.email, PASSWORD)
        .await;
    assert_eq!(again.status(), 401, "a deactivated account cannot sign in");
    let rejected = app.audit("auth.session_rejected").await;
    assert!(
        rejected
            .iter()
            .any(|e| e.detail.contains("session ended: account deactivated")),
        "{rejected:?}"
    );
}

/// Claims for a real session of `user`, for forging variations of its token.
async fn real_claims(app: &crate::support::TestApp, role: Role) -> (Claims, String) {
    let user = app.create_user(role, &[]).await;
    let token = app.token_for(&user).await;
    let keys = TokenKeys::new(&Secret::from_bytes(app.secret.clone()).unwrap());
    (keys.verify(&token, Audience::Api).unwrap(), token)
}

fn sign(claims: &Claims, alg: Algorithm, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
}

async fn status_with(app: &crate::support::TestApp, token: &str) -> (u16, Value) {
    let res = app.api_get("/api/v1/me", token).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn api_tokens_that_are_expired_tampered_foreign_or_oddly_signed_are_refused() {
    let app = spawn_app().await;
    let (claims, good) = real_claims(&app, Role::Officer).await;
    assert_eq!(status_with(&app, &good).await.0, 200);

    let expired = Claims {
        iat: claims.iat - 3600,
        exp: claims.iat - 1800,
        ..claims.clone()
    };
    let (status, body) = status_with(&app, &sign(&expired, Algorithm::HS256, &app.secret)).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthenticated");

    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["sub"] = json!("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    assert_eq!(
        status_with(&app, &parts.join(".")).await.0,
        401,
        "tampered payload"
    );

    assert_eq!(
        status_with(
            &app,
            &sign(
                &claims,
                Algorithm::HS256,
                b"another key that is thirty-two bytes!"
            )
        )
        .await
        .0,
        401,
        "signed with another key"
    );
    assert_eq!(
        status_with(&app, &sign(&claims, Algorithm::HS512, &app.secret))
            .await
            .0,
        401,
        "another algorithm with the right key"
    );
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let none_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    assert_eq!(
        status_with(&app, &format!("{none_header}.{none_payload}."))
            .await
            .0,
        401,
        "alg none"
    );

    let web_audience = Claims {
        aud: Audience::StaffWeb.as_str().into(),
        ..claims.clone()
    };
    assert_eq!(
        status_with(&app, &sign(&web_audience, Algorithm::HS256, &app.secret))
            .await
            .0,
        401,
        "a browser-session token is not an API token"
    );
    let other_issuer = Claims {
        iss: "someone-else".into(),
        ..claims.clone()
    };
    assert_eq!(
        status_with(&app, &sign(&other_issuer, Algorithm::HS256, &app.secret))
            .await
            .0,
        401
    );
    let unknown_session = Claims {
        sid: SessionId::new().to_string(),
        ..claims.clone()
    };
    assert_eq!(
        status_with(&app, &sign(&unknown_session, Algorithm::HS256, &app.secret))
            .await
            .0,
        401
    );
    for garbage in ["", "Bearer", "not.a.jwt", "a.b.c.d"] {
        assert_eq!(status_with(&app, garbage).await.0, 401, "{garbage:?}");
    }

    let rejected = app.audit("auth.token_rejected").await;
    assert!(
        rejected.len() >= 5,
        "rejected tokens are audited: {}",
        rejected.len()
    );
    assert!(rejected.iter().all(|e| e.outcome == "denied"));
}

#[tokio::test]
async fn an_api_token_does_not_open_pages_and_a_page_cookie_does_not_open_the_api() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let token = app.token_for(&officer).await;
    let res = app
        .api
        .get(app.url("/staff"))
        .header("cookie", format!("liaison_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    let browser = app.browser_for(&officer).await;
    let res = browser
        .client
        .get(browser.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the API takes bearer tokens only");
}

#[tokio::test]
async fn revoking_an_api_token_ends_it() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let token = app.token_for(&officer).await;
    let res = app
        .api
        .delete(app.url("/api/v1/auth/token"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.api_get("/api/v1/me", &token).await.status(), 401);
}

#[tokio::test]
async fn an_account_with_a_temporary_password_must_choose_its_own_first() {
    let app = spawn_app().await;
    let officer = app.create_user_with(Role::Officer, &[], true).await;
    let browser = Browser::new(&app.address);
    let res = browser.sign_in(&officer.email, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/staff/account/password");
    let res = browser
        .client
        .get(browser.url("/staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        "/staff/account/password",
        "other pages wait"
    );

    let api = app
        .api
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": officer.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 403);
    assert_eq!(
        api.json::<Value>().await.unwrap()["error"],
        "password_change_required"
    );

    browser.get("/staff/account/password").await;
    let res = browser
        .post(
            "/staff/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "different"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("at least 12 characters"));
    assert!(page.contains("do not match"));

    let new = "a brand new long passphrase";
    let res = browser
        .post(
            "/staff/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        browser.get("/staff").await.0,
        200,
        "the session continues with a fresh token"
    );
    let again = Browser::new(&app.address)
        .sign_in(&officer.email, new)
        .await;
    assert_eq!(again.status(), 303);
    assert_eq!(location(&again), "/staff");
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for_but_never_off_site() {
    let app = spawn_app().await;
    let admin = app.create_user(Role::Admin, &[]).await;
    let browser = Browser::new(&app.address);
    let res = browser
        .client
        .get(browser.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/staff/login?next=%2Fadmin%2Fusers");
    browser.get("/staff/login?next=%2Fadmin%2Fusers").await;
    let res = browser
        .post(
            "/staff/login",
            &[
                ("email", &admin.email),
                ("password", PASSWORD),
                ("next", "/admin/users"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/users");

    let other = Browser::new(&app.address);
    other.get("/staff/login").await;
    let res = other
        .post(
            "/staff/login",
            &[
                ("email", &admin.email),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/staff");
}
