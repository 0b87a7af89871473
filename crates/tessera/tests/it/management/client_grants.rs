//! `/api/v2/client-grants`: which APIs a machine-to-machine client may get tokens for, with
//! scopes the API defines; `client_credentials` follows them at once.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn client_grant_with_a_scope_the_api_does_not_define_is_refused_naming_it() {
    let m = Mgmt::start().await;
    let client = m.create_m2m_client("Greedy job").await;
    let response = m
        .post(
            "/api/v2/client-grants",
            json!({
                "client_id": client["client_id"],
                "audience": API,
                "scope": ["appointments", "delete:everything"],
            }),
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("delete:everything"), "{message}");
    let listed = m
        .get_ok(&format!(
            "/api/v2/client-grants?client_id={}",
            client["client_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(listed, json!([]), "nothing was created");
}

#[tokio::test]
async fn client_grant_for_an_unknown_api_or_client_is_refused() {
    let m = Mgmt::start().await;
    let client = m.create_m2m_client("Lost job").await;
    let response = m
        .post(
            "/api/v2/client-grants",
            json!({ "client_id": client["client_id"], "audience": "nowhere:api", "scope": [] }),
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("nowhere:api"), "{message}");
    let response = m
        .post(
            "/api/v2/client-grants",
            json!({ "client_id": "no-such-client", "audience": API, "scope": [] }),
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("no-such-client"), "{message}");
}

#[tokio::test]
async fn client_grant_round_trip_governs_client_credentials() {
    let m = Mgmt::start().await;
    let client = m.create_m2m_client("Reporting job").await;
    let id = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();
    expect_oauth_error(
        client_credentials(&m.server, id, secret, API).await,
        StatusCode::FORBIDDEN,
        "access_denied",
    )
    .await;

    let grant = m.grant(id, API, &["appointments"]).await;
    let grant_id = grant["id"].as_str().unwrap();
    assert_eq!(grant["client_id"], id);
    assert_eq!(grant["audience"], API);
    assert_eq!(grant["scope"], json!(["appointments"]));
    let issued = expect_status(
        client_credentials(&m.server, id, secret, API).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        jwt_claims(issued["access_token"].as_str().unwrap())["scope"],
        "appointments"
    );

    let filtered = m
        .get_ok(&format!("/api/v2/client-grants?client_id={id}"))
        .await;
    assert_eq!(filtered, json!([grant]), "only this client's grant");
    let by_audience = m
        .get_ok(&format!(
            "/api/v2/client-grants?audience={}",
            encoded(&m.audience())
        ))
        .await;
    let by_audience = by_audience.as_array().unwrap();
    assert_eq!(
        by_audience.len(),
        1,
        "only the management client's: {by_audience:?}"
    );
    assert_eq!(by_audience[0]["client_id"], m.client_id);

    let path = format!("/api/v2/client-grants/{grant_id}");
    let patched = m
        .patch(&path, json!({ "scope": ["appointments", "contacts"] }))
        .await;
    let patched = expect_status(patched, StatusCode::OK).await;
    assert_eq!(patched["scope"], json!(["appointments", "contacts"]));
    let issued = expect_status(
        client_credentials(&m.server, id, secret, API).await,
        StatusCode::OK,
    )
    .await;
    let scope = jwt_claims(issued["access_token"].as_str().unwrap())["scope"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut scopes: Vec<&str> = scope.split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["appointments", "contacts"]);

    let moved = m.patch(&path, json!({ "audience": "other:api" })).await;
    expect_error(moved, StatusCode::BAD_REQUEST, Some("invalid_body")).await;

    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    expect_oauth_error(
        client_credentials(&m.server, id, secret, API).await,
        StatusCode::FORBIDDEN,
        "access_denied",
    )
    .await;
    expect_error(
        m.delete(&path).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource"),
    )
    .await;
    let patch_gone = m.patch(&path, json!({ "scope": [] })).await;
    expect_error(
        patch_gone,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource"),
    )
    .await;
}

#[tokio::test]
async fn client_grant_twice_for_the_same_client_and_api_is_409() {
    let m = Mgmt::start().await;
    let client = m.create_m2m_client("Twice job").await;
    let id = client["client_id"].as_str().unwrap();
    m.grant(id, API, &["appointments"]).await;
    let again = m
        .post(
            "/api/v2/client-grants",
            json!({ "client_id": id, "audience": API, "scope": ["contacts"] }),
        )
        .await;
    expect_error(again, StatusCode::CONFLICT, Some("already_exists")).await;
}
