//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`, and keys that survive a
//! restart on the same database.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera_jwt::{verify, VerifyingKey};

use crate::support::*;

async fn configuration(server: &TestServer) -> Value {
    let response = http()
        .get(server.url(".well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn kids(jwks: &tessera_jwt::JwkSet) -> Vec<String> {
    jwks.keys.iter().map(|k| k.kid.clone()).collect()
}

#[tokio::test]
async fn discovery_document_matches_the_endpoints() {
    let server = TestServer::start().await;
    let doc = configuration(&server).await;
    assert!(server.issuer.ends_with('/'));
    assert_eq!(doc["issuer"], server.issuer.as_str());
    assert_eq!(doc["authorization_endpoint"], server.url("authorize"));
    assert_eq!(doc["token_endpoint"], server.url("oauth/token"));
    assert_eq!(doc["userinfo_endpoint"], server.url("userinfo"));
    assert_eq!(doc["jwks_uri"], server.url(".well-known/jwks.json"));
    assert_eq!(
        doc["response_types_supported"],
        json!(["code", "token", "id_token", "id_token token"])
    );
    assert_eq!(
        doc["grant_types_supported"],
        json!([
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "implicit",
            "password",
            "http://auth0.com/oauth/grant-type/password-realm",
            "urn:ietf:params:oauth:grant-type:device_code",
            "http://auth0.com/oauth/grant-type/mfa-otp",
            "http://auth0.com/oauth/grant-type/mfa-recovery-code"
        ])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["revocation_endpoint"], server.url("oauth/revoke"));
    assert_eq!(
        doc["introspection_endpoint"],
        server.url("oauth/introspect")
    );
    assert_eq!(doc["end_session_endpoint"], server.url("oidc/logout"));
    assert_eq!(
        doc["pushed_authorization_request_endpoint"],
        server.url("oauth/par")
    );
    assert_eq!(doc["require_pushed_authorization_requests"], false);
    assert_eq!(
        doc["device_authorization_endpoint"],
        server.url("oauth/device/code")
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
}

#[tokio::test]
async fn discovery_advertised_endpoints_answer() {
    let server = TestServer::start().await;
    let doc = configuration(&server).await;
    let client = http();
    for name in [
        "authorization_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ] {
        let url = doc[name].as_str().unwrap();
        let status = client.get(url).send().await.unwrap().status();
        assert_ne!(status, StatusCode::NOT_FOUND, "{name} {url}");
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{name} {url}");
    }
    for name in [
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "pushed_authorization_request_endpoint",
        "device_authorization_endpoint",
    ] {
        let url = doc[name].as_str().unwrap();
        let status = client
            .post(url)
            .form(&[("grant_type", "authorization_code")])
            .send()
            .await
            .unwrap()
            .status();
        assert_ne!(status, StatusCode::NOT_FOUND, "{name} {url}");
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{name} {url}");
    }
    // And the JWKS is a usable key set.
    let jwks = server.jwks().await;
    assert!(!jwks.keys.is_empty());
    for jwk in &jwks.keys {
        VerifyingKey::from_jwk(jwk).unwrap();
    }
}

#[tokio::test]
async fn signing_keys_survive_a_restart() {
    let server = TestServer::start().await;
    let before = server.jwks().await;
    let tokens = server.tokens(&[]).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (dir, config) = server.stop().await;

    let restarted = TestServer::start_in(dir, config).await;
    let after = restarted.jwks().await;
    assert_eq!(kids(&before), kids(&after), "the same keys are published");
    assert_eq!(before, after);

    // A token signed before the restart verifies with the restarted server's JWKS.
    let kid = jwt_header(&access)["kid"].as_str().unwrap().to_owned();
    let key = VerifyingKey::from_jwk(after.find(&kid).expect("the token's kid")).unwrap();
    let (_, claims): (_, Value) = verify(&access, &key).unwrap();
    assert_eq!(claims["client_id"], CLIENT_ID);

    // New tokens are signed with the same key.
    let fresh = restarted.tokens(&[]).await;
    assert_eq!(
        jwt_header(fresh["access_token"].as_str().unwrap())["kid"],
        kid.as_str()
    );
}
