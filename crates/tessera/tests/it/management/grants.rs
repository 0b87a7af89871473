//! `/api/v2/grants`: the consents users gave in the browser. Deleting one makes the next
//! authorization ask again and ends the refresh tokens issued under it.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

const OFFLINE_SCOPE: &str = "openid profile appointments contacts offline_access";

#[tokio::test]
async fn grant_given_in_the_browser_is_listed_for_the_user() {
    let m = Mgmt::start().await;
    m.server.offline_tokens_for(CLIENT_ID).await;
    let user_id = m.seed_user_id().await;

    let grants = m
        .get_ok(&format!("/api/v2/grants?user_id={}", encoded(&user_id)))
        .await;
    let grants = grants.as_array().unwrap();
    assert_eq!(grants.len(), 1, "{grants:?}");
    let grant = &grants[0];
    assert!(
        grant["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{grant}"
    );
    assert_eq!(grant["clientID"], CLIENT_ID);
    assert_eq!(grant["user_id"], user_id);
    assert_eq!(grant["audience"], API);
    let scope: Vec<&str> = grant["scope"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for wanted in ["appointments", "contacts"] {
        assert!(scope.contains(&wanted), "{scope:?}");
    }

    let filtered = m
        .get_ok(&format!(
            "/api/v2/grants?user_id={}&client_id=someone-else",
            encoded(&user_id)
        ))
        .await;
    assert_eq!(filtered, json!([]));
}

#[tokio::test]
async fn grants_without_user_id_is_invalid_query_string() {
    let m = Mgmt::start().await;
    let message = expect_error(
        m.get("/api/v2/grants").await,
        StatusCode::BAD_REQUEST,
        Some("invalid_query_string"),
    )
    .await;
    assert!(message.contains("user_id"), "{message}");
}

#[tokio::test]
async fn deleted_grant_asks_for_consent_again_and_ends_its_refresh_tokens() {
    let m = Mgmt::start().await;
    let tokens = m.server.offline_tokens_for(CLIENT_ID).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    expect_status(m.server.refresh(refresh_token).await, StatusCode::OK).await;
    let user_id = m.seed_user_id().await;
    let listed = m
        .get_ok(&format!("/api/v2/grants?user_id={}", encoded(&user_id)))
        .await;
    let grant_id = listed[0]["id"].as_str().unwrap();

    let path = format!("/api/v2/grants/{grant_id}");
    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    expect_error(
        m.delete(&path).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource"),
    )
    .await;
    let left = m
        .get_ok(&format!("/api/v2/grants?user_id={}", encoded(&user_id)))
        .await;
    assert_eq!(left, json!([]));
    // The audit log has the revocation (written in the background: wait for the writer).
    m.server.flush_audit().await;
    let listed = m.get_ok("/api/v2/logs?q=type:consent_revoked").await;
    let revoked = listed.as_array().unwrap().clone();
    assert_eq!(revoked.len(), 1, "{revoked:#?}");
    assert_eq!(revoked[0]["user_id"], json!(user_id));

    expect_oauth_error(
        m.server.refresh(refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;

    let browser = Browser::new();
    let authorize = m.server.authorize_url(&[("scope", OFFLINE_SCOPE)]);
    let (page, url) = browser.open(&authorize).await;
    assert_eq!(url.path(), "/u/login");
    let html = page.text().await.unwrap();
    let login = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let (consent, url) = browser.follow(login, &url).await;
    assert_eq!(url.path(), "/u/consent", "consent is asked again");
    let html = consent.text().await.unwrap();
    assert!(html.contains(r#"name="decision""#), "{html}");
}

#[tokio::test]
async fn deleting_grants_by_user_revokes_them_all() {
    let m = Mgmt::start().await;
    let tokens = m.server.offline_tokens_for(CLIENT_ID).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let user_id = m.seed_user_id().await;
    let path = format!("/api/v2/grants?user_id={}", encoded(&user_id));
    assert_eq!(m.get_ok(&path).await.as_array().unwrap().len(), 1);

    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    assert_eq!(m.get_ok(&path).await, json!([]));
    expect_oauth_error(
        m.server.refresh(refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}
