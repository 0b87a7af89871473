//! `/api/v2/keys/signing`: rotation publishes the new key beside the previous one at once on
//! this node; revocation removes a key from the JWKS; the current key cannot be revoked.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

fn kids(jwks: &tessera_jwt::JwkSet) -> Vec<String> {
    serde_json::to_value(jwks).unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn find<'a>(keys: &'a Value, kid: &str) -> &'a Value {
    keys.as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("key {kid} in {keys}"))
}

#[tokio::test]
async fn signing_keys_rotate_and_revoke_through_the_api() {
    let m = Mgmt::start().await;
    let keys = m.get_ok("/api/v2/keys/signing").await;
    let current: Vec<&Value> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["current"] == true && k["alg"] == "RS256")
        .collect();
    assert_eq!(current.len(), 1, "one current RS256 key: {keys}");
    assert_eq!(current[0]["revoked"], false);
    assert!(current[0]["revoked_at"].is_null());
    let old = current[0]["kid"].as_str().unwrap().to_owned();
    let next: Vec<&Value> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["next"] == true && k["alg"] == "RS256")
        .collect();
    assert_eq!(next.len(), 1, "as Auth0, a next key: {keys}");
    let next = next[0]["kid"].as_str().unwrap().to_owned();
    assert!(
        kids(&m.server.jwks().await).contains(&next),
        "published before it signs"
    );

    let rotated = m.post("/api/v2/keys/signing/rotate", json!({})).await;
    let rotated = expect_status(rotated, StatusCode::OK).await;
    let new = rotated["kid"].as_str().unwrap().to_owned();
    assert_eq!(new, next, "the next key signs now");
    assert_eq!(rotated["alg"], "RS256");

    let keys = m.get_ok("/api/v2/keys/signing").await;
    assert_eq!(find(&keys, &new)["current"], true, "{keys}");
    assert_eq!(find(&keys, &old)["current"], false, "{keys}");
    assert_eq!(find(&keys, &old)["previous"], true, "{keys}");
    assert_eq!(find(&keys, &new)["next"], false, "{keys}");
    let published = kids(&m.server.jwks().await);
    assert!(
        published.contains(&new) && published.contains(&old),
        "{published:?}"
    );

    // Tokens are signed with the new key at once.
    let token = m.fresh_token().await;
    assert_eq!(jwt_header(&token)["kid"], new);

    let refused = m
        .send(
            reqwest::Method::PUT,
            &format!("/api/v2/keys/signing/{new}/revoke"),
            None,
        )
        .await;
    let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains(&new), "{message}");

    let revoked = m
        .send(
            reqwest::Method::PUT,
            &format!("/api/v2/keys/signing/{old}/revoke"),
            None,
        )
        .await;
    let revoked = expect_status(revoked, StatusCode::OK).await;
    assert_eq!(revoked["kid"], old);
    assert_eq!(revoked["revoked"], true);
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let published = kids(&m.server.jwks().await);
    assert!(!published.contains(&old), "{published:?}");
    assert!(published.contains(&new), "{published:?}");

    // The harness' token was signed by the revoked key: it stops working at once.
    let stale = m.get("/api/v2/keys/signing").await;
    expect_error(stale, StatusCode::UNAUTHORIZED, None).await;
    let fresh = m.fresh_token().await;
    let response = send_as(
        &m.server,
        Some(&fresh),
        reqwest::Method::GET,
        "/api/v2/keys/signing",
        None,
    )
    .await;
    expect_status(response, StatusCode::OK).await;
}

#[tokio::test]
async fn revoking_an_unknown_key_is_404() {
    let m = Mgmt::start().await;
    let response = m
        .send(
            reqwest::Method::PUT,
            "/api/v2/keys/signing/no-such-kid/revoke",
            None,
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, Some("inexistent_resource")).await;
}

#[tokio::test]
async fn rotating_to_an_unknown_algorithm_is_invalid_query_string() {
    let m = Mgmt::start().await;
    let response = m
        .post("/api/v2/keys/signing/rotate?alg=HS256", json!({}))
        .await;
    let message = expect_error(
        response,
        StatusCode::BAD_REQUEST,
        Some("invalid_query_string"),
    )
    .await;
    assert!(message.contains("alg"), "{message}");
}
