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
            .any(|c| c.starts_with("__Host-liaison_session=") && c.contains("Secure")),
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

/// Signs in from the sign-in page asked for with `next`, in `browser`.
async fn sign_in_to(browser: &Browser, email: &str, next: &str) -> reqwest::Response {
    browser
        .post(
            "/staff/login",
            &[("email", email), ("password", PASSWORD), ("next", next)],
        )
        .await
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
    let res = sign_in_to(&browser, &admin.email, "/admin/users").await;
    assert_eq!(location(&res), "/admin/users");

    let other = Browser::new(&app.address);
    let res = sign_in_to(&other, &admin.email, "//evil.example/").await;
    assert_eq!(location(&res), "/staff");
}

#[tokio::test]
async fn sign_in_never_sends_a_browser_to_a_path_it_would_read_as_another_site() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    // A browser strips tabs and newlines from a location and reads `\` as `/`, so each of
    // these would become `//evil.example/...`; the newline one used to answer 500.
    let hostile = [
        "/\t/evil.example/phish",
        "/\n/x",
        "/\r\n/evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "//evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\u{0}/evil.example",
        "/ /evil.example",
        "/caf\u{e9}",
        "",
    ];
    for next in hostile {
        let browser = Browser::new(&app.address);
        let res = sign_in_to(&browser, &officer.email, next).await;
        assert_eq!(res.status(), 303, "next={next:?}");
        assert_eq!(location(&res), "/staff", "next={next:?}");
        // Signed in already, the sign-in page sends the browser on at once.
        let query: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        let res = browser
            .client
            .get(browser.url(&format!("/staff/login?next={query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "next={next:?}");
        assert_eq!(location(&res), "/staff", "next={next:?}");
    }
    // A path of this site with a query still counts.
    let res = sign_in_to(
        &Browser::new(&app.address),
        &officer.email,
        "/staff/cases?status=open",
    )
    .await;
    assert_eq!(location(&res), "/staff/cases?status=open");
}

#[tokio::test]
async fn guesses_at_the_current_password_count_against_the_sign_in_limit_and_are_audited() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let browser = app.browser_for(&officer).await;
    browser.get("/staff/account/password").await;
    let new = "a brand new long passphrase";
    let change = |current: &'static str| {
        let browser = &browser;
        async move {
            browser
                .post(
                    "/staff/account/password",
                    &[
                        ("current_password", current),
                        ("new_password", new),
                        ("confirm_password", new),
                    ],
                )
                .await
        }
    };
    for _ in 0..liaison::auth::sign_in::MAX_FAILURES_PER_ACCOUNT {
        assert_eq!(change("a wrong guess").await.status(), 422);
    }
    // The limit is reached: the right password too is refused for now, here and at sign-in.
    let res = change(PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("Too many"));
    let elsewhere = Browser::new(&app.address)
        .sign_in(&officer.email, PASSWORD)
        .await;
    assert_eq!(elsewhere.status(), 429);

    let checks = app.audit("auth.password_check").await;
    let mine = |outcome: &str| {
        checks
            .iter()
            .filter(|e| e.outcome == outcome && e.actor_id.as_deref() == Some(officer.id.as_str()))
            .count()
    };
    assert_eq!(mine("failed"), 10);
    assert_eq!(mine("denied"), 1);
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    for (trusted, expected) in [
        ("", "127.0.0.1"),
        ("127.0.0.0/8, 10.0.0.0/8", "203.0.113.7"),
    ] {
        let app = crate::support::spawn_app_with(|s| s.trusted_proxies = trusted.into()).await;
        let officer = app.create_user(Role::Officer, &[]).await;
        // The nearest hop is a trusted proxy in the second app; what the client itself wrote
        // (the first hop) is never believed.
        let browser = Browser::behind_proxy(&app.address, "198.51.100.1, 203.0.113.7, 10.1.2.3");
        assert_eq!(
            browser.sign_in(&officer.email, PASSWORD).await.status(),
            303
        );
        // The proxies write X-Forwarded-For; a `Forwarded` header is the client's own
        // invention, passed on as it came, and never read.
        let res = app
            .api
            .post(app.url("/api/v1/auth/token"))
            .header("forwarded", "for=192.0.2.99")
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"email": officer.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let events = app.audit("auth.sign_in").await;
        let ips: Vec<Option<&str>> = events
            .iter()
            .filter(|e| e.actor_id.as_deref() == Some(officer.id.as_str()))
            .map(|e| e.ip.as_deref())
            .collect();
        assert_eq!(ips, [Some(expected); 2], "trusted_proxies={trusted:?}");
    }
}

#[tokio::test]
async fn a_sign_in_page_opened_before_another_tab_signed_in_still_signs_in() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let browser = Browser::new(&app.address);
    // Tab 1 shows the sign-in page; tab 2 (the same browser) signs in meanwhile.
    let (_, page) = browser.get("/staff/login").await;
    let first_tab = crate::support::browser::csrf_in(&page).unwrap();
    assert_eq!(
        browser.sign_in(&officer.email, PASSWORD).await.status(),
        303
    );
    let form = |token: &str| {
        vec![
            ("csrf_token", token.to_owned()),
            ("email", officer.email.clone()),
            ("password", PASSWORD.to_owned()),
        ]
    };
    let res = browser
        .client
        .post(browser.url("/staff/login"))
        .form(&form(&first_tab))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/staff");
    let (_, page) = browser.get("/staff").await;
    let signed_in_tab = crate::support::browser::csrf_in(&page).unwrap();

    // Tab 2 signs out; the sign-out button left on another tab finds the browser signed out.
    let stale = browser
        .client
        .post(browser.url("/staff/logout"))
        .form(&[("csrf_token", signed_in_tab.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 303, "the first sign-out");
    let again = browser
        .client
        .post(browser.url("/staff/logout"))
        .form(&[("csrf_token", signed_in_tab.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
    assert!(
        location(&again).starts_with("/staff/login"),
        "{}",
        location(&again)
    );
}

#[tokio::test]
async fn failures_from_a_shared_address_never_lock_out_a_browser_that_signed_in_before() {
    let app = crate::support::spawn_app_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    let manager = app.create_user(Role::Manager, &[]).await;
    let station = "203.0.113.20";
    // The manager has signed in on this browser before.
    let own = Browser::behind_proxy(&app.address, station);
    assert_eq!(own.sign_in(&manager.email, PASSWORD).await.status(), 303);
    own.post("/staff/logout", &[]).await;

    // Someone else at the same address fails, over and over, on other accounts.
    let other = Browser::behind_proxy(&app.address, station);
    for i in 0..liaison::auth::sign_in::MAX_FAILURES_PER_ADDRESS {
        let res = other
            .sign_in(&format!("guess{i}@example.org"), "not the password")
            .await;
        assert_eq!(res.status(), 401);
    }
    // A browser new to the manager at that address is held back by the address limit...
    let fresh = Browser::behind_proxy(&app.address, station);
    assert_eq!(fresh.sign_in(&manager.email, PASSWORD).await.status(), 429);
    // ...and from elsewhere is not.
    let elsewhere = Browser::behind_proxy(&app.address, "198.51.100.30");
    assert_eq!(
        elsewhere.sign_in(&manager.email, PASSWORD).await.status(),
        303
    );
    // The manager's own browser is known to be theirs: the address limit does not apply.
    let res = own.sign_in(&manager.email, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/staff");

    // Never the per-account limit: ten wrong passwords lock even the known browser.
    for _ in 0..liaison::auth::sign_in::MAX_FAILURES_PER_ACCOUNT {
        own.sign_in(&manager.email, "a wrong password").await;
    }
    assert_eq!(own.sign_in(&manager.email, PASSWORD).await.status(), 429);
}

/// A cookie and matching field planted by someone else (the classic way round a
/// double-submit token) are refused, and the refusal is put down to the signed-in person.
#[tokio::test]
async fn a_planted_csrf_cookie_and_field_are_refused_and_audited_against_the_victim() {
    let app = spawn_app().await;
    let officer = app.create_user(Role::Officer, &[]).await;
    let attacker = app.create_user(Role::Officer, &[]).await;

    // The attacker gets a cookie and its form token from the portal, signed out and signed in.
    let theirs = Browser::new(&app.address);
    let res = theirs
        .client
        .get(theirs.url("/staff/login"))
        .send()
        .await
        .unwrap();
    let planted = cookie_value(&res, "liaison_csrf").expect("csrf cookie");
    let anonymous_token = crate::support::browser::csrf_in(&res.text().await.unwrap()).unwrap();
    let theirs = app.browser_for(&attacker).await;
    let (_, page) = theirs.get("/staff").await;
    let signed_in_token = crate::support::browser::csrf_in(&page).unwrap();

    // The victim's own session, with the attacker's cookie planted beside it.
    let victim = Browser::new(&app.address);
    victim.get("/staff/login").await;
    let res = victim
        .post(
            "/staff/login",
            &[("email", &officer.email), ("password", PASSWORD)],
        )
        .await;
    let session = cookie_value(&res, "liaison_session").unwrap();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for token in [&anonymous_token, &signed_in_token] {
        let res = plain
            .post(app.url("/staff/logout"))
            .header(
                "cookie",
                format!("liaison_session={session}; liaison_csrf={planted}"),
            )
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
    // Still signed in: nothing was done in the victim's name.
    assert_eq!(victim.get("/staff").await.0, 200);
    let refusals = app.audit("access.csrf_rejected").await;
    assert_eq!(
        refusals
            .iter()
            .filter(|e| e.actor_id.as_deref() == Some(officer.id.as_str()))
            .count(),
        2,
        "{refusals:?}"
    );
    // The victim's own form still works.
    let res = victim.post("/staff/logout", &[]).await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn over_https_every_cookie_is_a_host_only_cookie() {
    let app = crate::support::spawn_app_with(|s| {
        s.public_url = Some("https://liaison.example.org".into())
    })
    .await;
    let officer = app.create_user(Role::Officer, &[]).await;
    // Cookies by hand: a browser would send `Secure` ones only over https.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = plain.get(app.url("/staff/login")).send().await.unwrap();
    let set: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with("__Host-liaison_csrf=")),
        "{set:?}"
    );
    let token = crate::support::browser::csrf_in(&res.text().await.unwrap()).unwrap();
    let csrf = set
        .iter()
        .find(|c| c.starts_with("__Host-liaison_csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let res = plain
        .post(app.url("/staff/login"))
        .header("cookie", csrf)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", officer.email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let set: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(set.len() >= 2, "{set:?}");
    for cookie in &set {
        assert!(cookie.starts_with("__Host-liaison_"), "{cookie}");
        assert!(
            cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"),
            "{cookie}"
        );
    }
}
