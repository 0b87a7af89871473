//! User tickets (`/api/v2/tickets/password-change`, `/api/v2/tickets/email-verification`): a
//! single-use, expiring link; a password changed through one ends the user's sessions and
//! revokes their refresh and access tokens.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::management::{expect_status, Mgmt};
use crate::support::*;

const NEW_PASSWORD: &str = "Brand new harbour lantern 7";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn ticket(mgmt: &Mgmt, path: &str, body: Value) -> String {
    let created = mgmt.post(path, body).await;
    let body = expect_status(created, StatusCode::CREATED).await;
    body["ticket"].as_str().unwrap().to_owned()
}

async fn post_new_password(link: &str, password: &str) -> Response {
    let url = reqwest::Url::parse(link).unwrap();
    let secret = query_param(&url, "ticket").unwrap();
    no_redirects()
        .post(url.join("/u/reset-password").unwrap())
        .form(&[("ticket", secret.as_str()), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn logs_in(server: &TestServer, password: &str) -> bool {
    let browser = Browser::new();
    let authorize = server.authorize_url(&[]);
    let base = reqwest::Url::parse(&authorize).unwrap();
    let (page, url) = browser.follow(browser.get(&authorize).await, &base).await;
    let html = page.text().await.unwrap();
    let response = browser.submit_login(&url, &html, USERNAME, password).await;
    response.status() == StatusCode::FOUND
}

#[tokio::test]
async fn a_password_change_ticket_works_once_and_ends_what_the_old_password_opened() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    let tokens = server.offline_tokens_for(CLIENT_ID).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let user_id = mgmt.seed_user_id().await;
    let link = ticket(
        &mgmt,
        "/api/v2/tickets/password-change",
        json!({ "user_id": user_id, "result_url": "http://127.0.0.1:4000/after-reset", "mark_email_as_verified": true }),
    )
    .await;
    assert!(
        link.starts_with(&server.url("/u/reset-password?ticket=")),
        "{link}"
    );

    let page = http().get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(EMAIL) && html.contains("At least 8 characters in length"),
        "{html}"
    );

    // A password the policy refuses leaves the link working.
    let weak = post_new_password(&link, "short").await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert!(weak.text().await.unwrap().contains("Password is too weak."));

    let changed = post_new_password(&link, NEW_PASSWORD).await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let next = reqwest::Url::parse(&location(&changed)).unwrap();
    assert_eq!(next.path(), "/after-reset");
    assert_eq!(query_param(&next, "success").as_deref(), Some("true"));

    assert!(
        !logs_in(server, PASSWORD).await,
        "the old password no longer works"
    );
    assert!(logs_in(server, NEW_PASSWORD).await, "the new one does");
    let refreshed = server.refresh(&refresh_token).await;
    expect_oauth_error(refreshed, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let userinfo = http()
        .get(server.url("/userinfo"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status(),
        StatusCode::UNAUTHORIZED,
        "the old access token is revoked"
    );
    let user = mgmt
        .get_ok(&format!("/api/v2/users/{}", user_id.replace('|', "%7C")))
        .await;
    assert_eq!(user["email_verified"], true);

    // Used once: the link is gone, for the page and the form.
    let again = http().get(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("This link no longer works"));
    let replay = post_new_password(&link, "Another fine passphrase 9").await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(logs_in(server, NEW_PASSWORD).await);
}

#[tokio::test]
async fn tickets_name_their_user_expire_and_verify_an_email_once() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    let by_email = ticket(
        &mgmt,
        "/api/v2/tickets/password-change",
        json!({ "email": EMAIL, "connection_id": "Username-Password-Authentication", "ttl_sec": 60 }),
    )
    .await;
    assert_eq!(
        http().get(&by_email).send().await.unwrap().status(),
        StatusCode::OK
    );
    server.clock.advance(61);
    assert_eq!(
        http().get(&by_email).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST,
        "expired"
    );
    let refused = post_new_password(&by_email, NEW_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        logs_in(server, PASSWORD).await,
        "an expired link changed nothing"
    );

    for (body, status) in [
        (
            json!({ "email": "nobody@example.com", "connection_id": "Username-Password-Authentication" }),
            StatusCode::NOT_FOUND,
        ),
        (json!({ "user_id": "auth0|nobody" }), StatusCode::NOT_FOUND),
        (
            json!({ "result_url": "https://app.example.com/" }),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "user_id": "auth0|x", "ttl_sec": 99_999_999 }),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "user_id": "auth0|x", "result_url": "javascript:alert(1)" }),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let response = mgmt
            .post("/api/v2/tickets/password-change", body.clone())
            .await;
        assert_eq!(response.status(), status, "{body}");
    }

    let user_id = mgmt.seed_user_id().await;
    let path = format!("/api/v2/users/{}", user_id.replace('|', "%7C"));
    expect_status(
        mgmt.patch(&path, json!({ "email_verified": false })).await,
        StatusCode::OK,
    )
    .await;
    let link = ticket(
        &mgmt,
        "/api/v2/tickets/email-verification",
        json!({ "user_id": user_id }),
    )
    .await;
    assert!(
        link.starts_with(&server.url("/u/email-verification?ticket=")),
        "{link}"
    );
    let verified = http().get(&link).send().await.unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
    assert!(verified.text().await.unwrap().contains("Email verified"));
    assert_eq!(mgmt.get_ok(&path).await["email_verified"], true);
    let again = http().get(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let missing = mgmt
        .post("/api/v2/tickets/email-verification", json!({}))
        .await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}
