//! Sign-up (Universal Login): the hosted page reached from the login page and by
//! `screen_hint=signup`, Auth0's `POST /dbconnections/signup`, and the database connection's
//! options at `/api/v2/connections` (password policy, history, disabled sign-up).

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::management::{expect_status, Mgmt};
use crate::support::*;

const NEW_PASSWORD: &str = "Quiet harbour 42 lanterns";

async fn signup_api(server: &TestServer, body: Value) -> Response {
    http()
        .post(server.url("/dbconnections/signup"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn signup_body(email: &str, password: &str) -> Value {
    json!({
        "client_id": CLIENT_ID,
        "connection": "Username-Password-Authentication",
        "email": email,
        "password": password,
    })
}

async fn database_connection(mgmt: &Mgmt) -> Value {
    let list = mgmt.get_ok("/api/v2/connections").await;
    list[0].clone()
}

async fn set_options(mgmt: &Mgmt, change: impl FnOnce(&mut Value)) -> Value {
    let connection = database_connection(mgmt).await;
    let mut options = connection["options"].clone();
    change(&mut options);
    let id = connection["id"].as_str().unwrap().to_owned();
    let response = mgmt
        .patch(
            &format!("/api/v2/connections/{id}"),
            json!({ "options": options }),
        )
        .await;
    expect_status(response, StatusCode::OK).await
}

async fn users_with_email(mgmt: &Mgmt, email: &str) -> usize {
    let found = mgmt
        .get_ok(&format!("/api/v2/users-by-email?email={email}"))
        .await;
    found.as_array().unwrap().len()
}

/// Submits the sign-up form on `page` (its HTML `html`).
async fn submit_signup(
    browser: &Browser,
    page: &reqwest::Url,
    html: &str,
    email: &str,
    password: &str,
) -> Response {
    let state = form_value(html, "state").expect("state field");
    let csrf = form_value(html, "csrf_token").expect("csrf_token field");
    browser
        .post_form(
            page.join("/u/signup").unwrap().as_str(),
            &[
                ("state", &state),
                ("csrf_token", &csrf),
                ("email", email),
                ("password", password),
            ],
        )
        .await
}

#[tokio::test]
async fn a_person_signs_up_from_the_login_page_and_comes_back_to_the_app_with_tokens() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let authorize = server.authorize_url(&[]);
    let base = reqwest::Url::parse(&authorize).unwrap();
    let (login, login_url) = browser.follow(browser.get(&authorize).await, &base).await;
    assert_eq!(login_url.path(), "/u/login");
    let html = login.text().await.unwrap();
    assert!(html.contains(r#"id="signup-link""#), "{html}");
    let signup_href = html
        .split(r#"<a href=""#)
        .find(|link| link.contains(r#"id="signup-link""#))
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let signup_url = login_url.join(&html_unescape(signup_href)).unwrap();
    assert_eq!(signup_url.path(), "/u/signup");
    let page = browser.get(signup_url.as_str()).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("At least 8 characters in length"), "{html}");

    // A common password and a short one are refused with the reason; nothing is written.
    let common = submit_signup(
        &browser,
        &signup_url,
        &html,
        "new.person@example.com",
        "password1",
    )
    .await;
    assert_eq!(common.status(), StatusCode::BAD_REQUEST);
    let refused = common.text().await.unwrap();
    assert!(refused.contains("Password is too common."), "{refused}");
    let short = submit_signup(
        &browser,
        &signup_url,
        &refused,
        "new.person@example.com",
        "Ab1!",
    )
    .await;
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    let refused = short.text().await.unwrap();
    assert!(
        refused.contains("At least 8 characters in length"),
        "{refused}"
    );
    assert!(
        refused.contains("new.person@example.com"),
        "the email is kept: {refused}"
    );

    let created = submit_signup(
        &browser,
        &signup_url,
        &refused,
        "New.Person@example.com",
        NEW_PASSWORD,
    )
    .await;
    let (consent, consent_url) = browser.follow(created, &signup_url).await;
    assert_eq!(consent_url.path(), "/u/consent");
    let html = consent.text().await.unwrap();
    let done = browser.submit_consent(&consent_url, &html, "allow").await;
    let (_, callback) = browser.follow(done, &consent_url).await;
    let code = query_param(&callback, "code").expect("a code for the app");
    let tokens = server.redeem(&code).await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert!(
        claims["sub"].as_str().unwrap().starts_with("auth0|"),
        "{claims}"
    );
    assert_eq!(claims["email"], "new.person@example.com");
    assert_eq!(claims["email_verified"], false);

    // The new account logs in like any other, in a browser that never saw the sign-up.
    let other = Browser::new();
    let (login, url) = other
        .follow(other.get(&server.authorize_url(&[])).await, &base)
        .await;
    let html = login.text().await.unwrap();
    let logged_in = other
        .submit_login(&url, &html, "new.person@example.com", NEW_PASSWORD)
        .await;
    let (_, next) = other.follow(logged_in, &url).await;
    assert!(
        query_param(&next, "code").is_some(),
        "the new user logs in with their password, consent remembered: {next}"
    );
}

#[tokio::test]
async fn screen_hint_signup_opens_the_signup_page_and_a_taken_email_is_refused_vaguely() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let authorize = server.authorize_url(&[("screen_hint", "signup")]);
    let base = reqwest::Url::parse(&authorize).unwrap();
    let (page, url) = browser.follow(browser.get(&authorize).await, &base).await;
    assert_eq!(url.path(), "/u/signup");
    let html = page.text().await.unwrap();
    let taken = submit_signup(&browser, &url, &html, "jane@example.com", NEW_PASSWORD).await;
    assert_eq!(taken.status(), StatusCode::BAD_REQUEST);
    let html = taken.text().await.unwrap();
    assert!(
        html.contains("We could not sign you up with these details"),
        "{html}"
    );
}

#[tokio::test]
async fn dbconnections_signup_answers_as_auth0_and_writes_nothing_it_refuses() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;

    let created = signup_api(
        server,
        json!({
            "client_id": CLIENT_ID,
            "connection": "Username-Password-Authentication",
            "email": "Ada@Example.com",
            "password": NEW_PASSWORD,
            "given_name": "Ada",
            "user_metadata": { "plan": "free" },
        }),
    )
    .await;
    let body = expect_status(created, StatusCode::OK).await;
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["email_verified"], false);
    assert_eq!(body["given_name"], "Ada");
    assert_eq!(body["user_metadata"], json!({ "plan": "free" }));
    let id = body["_id"].as_str().unwrap();
    assert!(!id.starts_with("auth0|") && !id.is_empty(), "{body}");
    let user = mgmt.get_ok(&format!("/api/v2/users/auth0%7C{id}")).await;
    assert_eq!(user["email"], "ada@example.com");

    let again = signup_api(server, signup_body("ada@example.com", NEW_PASSWORD)).await;
    let body = expect_status(again, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body,
        json!({"name": "BadRequestError", "code": "invalid_signup", "description": "Invalid sign up", "statusCode": 400})
    );

    // Auth0's "good" policy: a password of two kinds of characters is too weak, with the rules.
    set_options(&mgmt, |o| o["passwordPolicy"] = json!("good")).await;
    let weak = signup_api(
        server,
        signup_body("weak@example.com", "lowercase and spaces"),
    )
    .await;
    let body = expect_status(weak, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["name"], "PasswordStrengthError");
    assert_eq!(body["code"], "invalid_password");
    assert_eq!(body["statusCode"], 400);
    let rules = body["description"]["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r["code"] == "containsAtLeast" && r["verified"] == false),
        "{body}"
    );
    assert!(body["policy"]
        .as_str()
        .unwrap()
        .contains("At least 8 characters in length"));
    let common = signup_api(server, signup_body("common@example.com", "Password1")).await;
    let body = expect_status(common, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["name"], "PasswordDictionaryError", "{body}");
    set_options(&mgmt, |o| {
        o["password_no_personal_info"] = json!({ "enable": true })
    })
    .await;
    let personal = signup_api(
        server,
        signup_body("grace.hopper@example.com", "Grace.Hopper-1906"),
    )
    .await;
    let body = expect_status(personal, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["name"], "PasswordNoUserInfoError", "{body}");

    let unknown = signup_api(server, json!({ "client_id": "nobody", "connection": "Username-Password-Authentication", "email": "x@example.com", "password": NEW_PASSWORD })).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let no_connection = signup_api(server, json!({ "client_id": CLIENT_ID, "connection": "google-oauth2", "email": "x@example.com", "password": NEW_PASSWORD })).await;
    assert_eq!(no_connection.status(), StatusCode::BAD_REQUEST);
    let no_password = signup_api(server, json!({ "client_id": CLIENT_ID, "connection": "Username-Password-Authentication", "email": "x@example.com" })).await;
    assert_eq!(no_password.status(), StatusCode::BAD_REQUEST);

    // Sign-up disabled: Auth0's answer, and the login page has no sign-up link any more.
    set_options(&mgmt, |o| o["disable_signup"] = json!(true)).await;
    let disabled = signup_api(server, signup_body("late@example.com", NEW_PASSWORD)).await;
    let body = expect_status(disabled, StatusCode::BAD_REQUEST).await;
    assert_eq!(body, json!({ "error": "public signup is disabled" }));
    let browser = Browser::new();
    let authorize = server.authorize_url(&[("screen_hint", "signup")]);
    let base = reqwest::Url::parse(&authorize).unwrap();
    let (page, url) = browser.follow(browser.get(&authorize).await, &base).await;
    assert_eq!(
        url.path(),
        "/u/login",
        "a disabled sign-up page sends to the login page"
    );
    assert!(!page.text().await.unwrap().contains("signup-link"));

    for email in [
        "weak@example.com",
        "common@example.com",
        "grace.hopper@example.com",
        "x@example.com",
        "late@example.com",
    ] {
        assert_eq!(users_with_email(&mgmt, email).await, 0, "{email}");
    }
}

#[tokio::test]
async fn connection_options_are_validated_and_password_history_refuses_a_reused_password() {
    let mgmt = Mgmt::start().await;
    let connection = database_connection(&mgmt).await;
    assert_eq!(connection["strategy"], "auth0");
    assert_eq!(connection["options"]["passwordPolicy"], "low");
    assert_eq!(
        connection["options"]["password_complexity_options"]["min_length"],
        8
    );
    let id = connection["id"].as_str().unwrap().to_owned();
    for bad in [
        json!({ "options": { "passwordPolicy": "strongest" } }),
        json!({ "options": { "password_history": { "enable": true, "size": 25 } } }),
        json!({ "options": { "brute_force_protection": false } }),
        json!({ "name": "renamed" }),
    ] {
        let refused = mgmt
            .patch(&format!("/api/v2/connections/{id}"), bad.clone())
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(
        database_connection(&mgmt).await["options"],
        connection["options"],
        "nothing changed"
    );

    let updated = set_options(&mgmt, |o| {
        o["password_history"] = json!({ "enable": true, "size": 2 });
        o["import_mode"] = json!(false);
    })
    .await;
    assert_eq!(updated["options"]["password_history"]["size"], 2);
    assert_eq!(
        updated["options"]["import_mode"], false,
        "other options are kept as given"
    );

    let user = mgmt
        .create("/api/v2/users", json!({ "email": "hist@example.com", "password": "first passphrase 1", "connection": "Username-Password-Authentication" }))
        .await;
    let path = format!(
        "/api/v2/users/{}",
        user["user_id"].as_str().unwrap().replace('|', "%7C")
    );
    let change = |password: &str| json!({ "password": password, "connection": "Username-Password-Authentication" });
    expect_status(
        mgmt.patch(&path, change("second passphrase 2")).await,
        StatusCode::OK,
    )
    .await;
    let reused = mgmt.patch(&path, change("first passphrase 1")).await;
    let body = expect_status(reused, StatusCode::BAD_REQUEST).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("PasswordHistoryError"),
        "{body}"
    );
    expect_status(
        mgmt.patch(&path, change("third passphrase 3")).await,
        StatusCode::OK,
    )
    .await;
    // Two back is beyond a history of 2 (the current password and the one before).
    expect_status(
        mgmt.patch(&path, change("first passphrase 1")).await,
        StatusCode::OK,
    )
    .await;
    let short = mgmt.patch(&path, change("short")).await;
    let body = expect_status(short, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body["message"],
        "PasswordStrengthError: Password is too weak"
    );
}

#[tokio::test]
async fn sign_ups_from_one_ip_are_throttled_after_fifty_a_minute_on_the_api_and_the_page() {
    let server = TestServer::start().await;
    for n in 0..50 {
        let refused = signup_api(
            &server,
            signup_body(&format!("not an email {n}"), NEW_PASSWORD),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "attempt {n}");
    }
    let throttled = signup_api(&server, signup_body("fine@example.com", NEW_PASSWORD)).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&throttled, "retry-after").as_deref(), Some("60"));
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["error"], "too_many_attempts");

    let browser = Browser::new();
    let authorize = server.authorize_url(&[("screen_hint", "signup")]);
    let base = reqwest::Url::parse(&authorize).unwrap();
    let (page, url) = browser.follow(browser.get(&authorize).await, &base).await;
    let html = page.text().await.unwrap();
    let on_page = submit_signup(&browser, &url, &html, "fine@example.com", NEW_PASSWORD).await;
    assert_eq!(on_page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(on_page
        .text()
        .await
        .unwrap()
        .contains("Too many sign-up attempts"));

    server.clock.advance(61);
    let created = signup_api(&server, signup_body("fine@example.com", NEW_PASSWORD)).await;
    assert_eq!(
        created.status(),
        StatusCode::OK,
        "a new window takes sign-ups again"
    );
}
