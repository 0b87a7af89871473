//! Signing algorithms and key rotation: access tokens signed with the API's `signing_alg`, ID
//! tokens always RS256, and keys rotated or revoked in the store picked up by a running server
//! without a restart.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tessera_core::clock::Clock;
use tessera_core::keys::{self as cli_keys, RevokeError, Revoked};
use tessera_jwt::{Algorithm, JwkSet, VerifyingKey};
use tessera_store::{KeyStore, SqliteStore};

use crate::support::{http, jwt_header, TestServer};

fn kid(token: &str) -> String {
    jwt_header(token)["kid"].as_str().unwrap().to_owned()
}

fn kids(jwks: &JwkSet) -> Vec<String> {
    jwks.keys.iter().map(|k| k.kid.clone()).collect()
}

/// Verifies `token` with the key the JWKS publishes under its `kid`, as an API would.
fn verify_with(jwks: &JwkSet, token: &str) -> Value {
    let jwk = jwks
        .find(&kid(token))
        .unwrap_or_else(|| panic!("the JWKS has no key {}", kid(token)));
    let key = VerifyingKey::from_jwk(jwk).unwrap();
    let (_, claims): (_, Value) = tessera_jwt::verify(token, &key).unwrap();
    claims
}

async fn userinfo_status(server: &TestServer, token: &str) -> StatusCode {
    http()
        .get(server.url("userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// The sealer the server uses (its generated dev secret, next to its database).
fn sealer_of(server: &TestServer) -> tessera_core::secrets::Sealer {
    tessera::sealer(&server.config).unwrap()
}

async fn store_of(server: &TestServer) -> SqliteStore {
    SqliteStore::connect(&server.config.database_url)
        .await
        .unwrap()
}

/// Polls the JWKS until `done` holds. Keys changed in the store (as by another node or the CLI)
/// reach this server at its next periodic reload (every second here): real time, by design.
async fn wait_for_jwks(server: &TestServer, done: impl Fn(&JwkSet) -> bool) -> JwkSet {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let jwks = server.jwks().await;
        if done(&jwks) {
            return jwks;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not reload its keys: {:?}",
            kids(&jwks)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Tokens of the first access token signed by `kid`, once the server's key reload made it the
/// signer (key_refresh_interval of 1 s; bounded wait).
async fn signed_by(server: &TestServer, kid_wanted: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tokens = server.tokens(&[]).await;
        if kid(tokens["access_token"].as_str().unwrap()) == kid_wanted {
            return tokens;
        }
        assert!(Instant::now() < deadline, "{kid_wanted} never signed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn api_signs_access_tokens_with(alg: &str, kty: &str) {
    let server = TestServer::start_with(|config| {
        config.apis[0].signing_alg = alg.into();
    })
    .await;
    let tokens = server.tokens(&[]).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let jwks = server.jwks().await;

    let header = jwt_header(access_token);
    assert_eq!(header["alg"], alg);
    assert_eq!(header["typ"], "at+jwt");
    let jwk = jwks.find(&kid(access_token)).unwrap();
    assert_eq!(jwk.alg.as_deref(), Some(alg));
    assert_eq!(jwk.kty, kty);
    assert_eq!(jwk.thumbprint(), jwk.kid, "kid is the RFC 7638 thumbprint");
    let claims = verify_with(&jwks, access_token);
    assert_eq!(claims["iss"], server.issuer.as_str());

    // ID tokens stay RS256, with the RS256 key also published.
    assert_eq!(jwt_header(id_token)["alg"], "RS256");
    assert_eq!(
        jwks.find(&kid(id_token)).unwrap().alg.as_deref(),
        Some("RS256")
    );
    verify_with(&jwks, id_token);
    let mut published: Vec<&str> = jwks.keys.iter().filter_map(|k| k.alg.as_deref()).collect();
    published.sort_unstable();
    assert_eq!(
        published.len(),
        4,
        "a current and a next key per algorithm in use"
    );
    published.dedup();
    let mut in_use = vec![alg, "RS256"];
    in_use.sort_unstable();
    assert_eq!(
        published, in_use,
        "as Auth0's, the JWKS holds only the keys of algorithms in use"
    );

    // Tessera's own /userinfo accepts the access token, whatever its algorithm.
    assert_eq!(userinfo_status(&server, access_token).await, StatusCode::OK);
}

#[tokio::test]
async fn api_with_ps256_gets_ps256_access_tokens_and_rs256_id_tokens() {
    api_signs_access_tokens_with("PS256", "RSA").await;
}

#[tokio::test]
async fn api_with_es256_gets_es256_access_tokens_and_rs256_id_tokens() {
    api_signs_access_tokens_with("ES256", "EC").await;
}

#[tokio::test]
async fn api_with_eddsa_gets_eddsa_access_tokens_and_rs256_id_tokens() {
    api_signs_access_tokens_with("EdDSA", "OKP").await;
}

#[tokio::test]
async fn discovery_still_announces_rs256_id_tokens_only() {
    let server = TestServer::start_with(|config| {
        config.apis[0].signing_alg = "ES256".into();
    })
    .await;
    let document = server.discovery().await;
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
}

#[tokio::test]
async fn unsupported_signing_alg_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::seed_config();
    config.database_url = format!("sqlite://{}", dir.path().join("t.db").display());
    config.apis[0].signing_alg = "HS256".into();
    let error = tessera::Tessera::prepare(&config, Clock::system())
        .await
        .err()
        .expect("HS256 is refused");
    let message = error.to_string();
    assert!(message.contains("signing_alg `HS256`"), "{message}");
    assert!(message.contains("ES256"), "{message}");
}

fn rs256_kids(jwks: &tessera_jwt::JwkSet) -> Vec<String> {
    jwks.keys
        .iter()
        .filter(|k| k.alg.as_deref() == Some("RS256"))
        .map(|k| k.kid.clone())
        .collect()
}

#[tokio::test]
async fn keys_per_algorithm_are_generated_once_and_reused_after_a_restart() {
    let server = TestServer::start_with(|config| {
        config.apis[0].signing_alg = "EdDSA".into();
    })
    .await;
    let generated = |keys: Vec<tessera_store::SigningKeyRecord>| {
        keys.into_iter().map(|k| (k.alg, k.kid)).collect::<Vec<_>>()
    };
    let before = generated(store_of(&server).await.signing_keys().await.unwrap());
    assert_eq!(
        before.len(),
        8,
        "a current and a next key per algorithm: {before:?}"
    );
    let published = kids(&server.jwks().await);
    assert_eq!(published.len(), 4, "EdDSA's and RS256's: {published:?}");
    let (dir, config) = server.stop().await;
    let server = TestServer::start_in(dir, config).await;
    let after = generated(store_of(&server).await.signing_keys().await.unwrap());
    assert_eq!(after, before);
    assert_eq!(kids(&server.jwks().await), published);
}

#[tokio::test]
async fn with_only_rs256_apis_the_jwks_holds_only_rsa_keys() {
    let server = TestServer::start().await;
    let jwks = server.jwks().await;
    assert!(!jwks.keys.is_empty());
    for key in &jwks.keys {
        assert_eq!(key.kty, "RSA", "{:?}", kids(&jwks));
        assert_eq!(key.alg.as_deref(), Some("RS256"));
    }
}

#[tokio::test]
async fn rotated_key_signs_after_a_reload_and_the_old_one_stays_published_until_revoked() {
    let server = TestServer::start_with(|config| config.key_refresh_interval = 1).await;
    let before = server.tokens(&[]).await;
    let old_access = before["access_token"].as_str().unwrap().to_owned();
    let old_kid = kid(&old_access);
    assert_eq!(kid(before["id_token"].as_str().unwrap()), old_kid);

    let published_before = rs256_kids(&server.jwks().await);
    assert_eq!(published_before.len(), 2, "the current key and the next");
    assert!(published_before.contains(&old_kid));
    let next_kid = published_before
        .into_iter()
        .find(|kid| *kid != old_kid)
        .unwrap();

    // `tessera keys rotate`, as the CLI does it, against the server's store.
    let store = store_of(&server).await;
    let rotated = cli_keys::rotate(
        &store,
        &sealer_of(&server),
        Algorithm::RS256,
        Clock::system().now(),
    )
    .await
    .unwrap();
    assert_eq!(
        rotated.kid, next_kid,
        "the key that signs now was published before the rotation"
    );
    let after = signed_by(&server, &rotated.kid).await;
    let jwks = server.jwks().await;
    let published = rs256_kids(&jwks);
    assert_eq!(published.len(), 3, "and a new next key: {published:?}");
    assert!(published.contains(&old_kid) && published.contains(&rotated.kid));

    // New tokens carry the new kid; the token signed before still verifies.
    assert_eq!(kid(after["access_token"].as_str().unwrap()), rotated.kid);
    assert_eq!(kid(after["id_token"].as_str().unwrap()), rotated.kid);
    verify_with(&jwks, after["access_token"].as_str().unwrap());
    verify_with(&jwks, &old_access);
    assert_eq!(userinfo_status(&server, &old_access).await, StatusCode::OK);

    // The current signer is not revoked without --force; the previous key is.
    let now = Clock::system().now();
    assert!(matches!(
        cli_keys::revoke(&store, &rotated.kid, false, now).await,
        Err(RevokeError::CurrentSigner { .. })
    ));
    assert_eq!(
        cli_keys::revoke(&store, &old_kid, false, now)
            .await
            .unwrap(),
        Revoked::Revoked {
            alg: "RS256".into()
        }
    );
    let jwks = wait_for_jwks(&server, |jwks| jwks.find(&old_kid).is_none()).await;
    let published = rs256_kids(&jwks);
    assert_eq!(published.len(), 2, "{published:?}");
    assert!(published.contains(&rotated.kid));
    assert_eq!(
        userinfo_status(&server, &old_access).await,
        StatusCode::UNAUTHORIZED,
        "a token of a revoked key no longer verifies"
    );
    let newest = after["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&server, newest).await, StatusCode::OK);
}

#[tokio::test]
async fn plaintext_key_inserted_directly_in_the_store_is_served_and_sealed_after_a_reload() {
    // Another node of an earlier version adds a newer key, in plaintext PKCS#8, straight into
    // the shared store: it is read, used, and sealed in place.
    let server = TestServer::start_with(|config| config.key_refresh_interval = 1).await;
    let old_kid = kids(&server.jwks().await).remove(0);
    let store = store_of(&server).await;
    let newest = store
        .all_signing_keys()
        .await
        .unwrap()
        .iter()
        .map(|r| r.created_at)
        .max()
        .unwrap();
    let key = tessera_jwt::SigningKey::generate(Algorithm::RS256).unwrap();
    let plaintext = key.pkcs8().unwrap();
    let record = tessera_store::SigningKeyRecord {
        kid: key.kid().to_owned(),
        alg: "RS256".into(),
        private_key: plaintext.clone(),
        created_at: newest.plus(1),
        activated_at: Some(newest.plus(1)),
        revoked_at: None,
    };
    store.insert_signing_key(&record).await.unwrap();
    wait_for_jwks(&server, |jwks| jwks.find(&record.kid).is_some()).await;
    let tokens = server.tokens(&[]).await;
    assert_eq!(kid(tokens["access_token"].as_str().unwrap()), record.kid);
    assert!(server.jwks().await.find(&old_kid).is_some());
    let stored = store.signing_keys().await.unwrap();
    let stored = stored.iter().find(|r| r.kid == record.kid).unwrap();
    assert!(stored.private_key.starts_with(b"v1:"), "re-sealed in place");
    let opened = sealer_of(&server)
        .open(&record.kid, &stored.private_key)
        .unwrap();
    assert_eq!(opened.der(), plaintext.as_slice());
}

#[tokio::test]
async fn rotating_the_apis_algorithm_leaves_id_tokens_on_their_key() {
    let server = TestServer::start_with(|config| {
        config.apis[0].signing_alg = "ES256".into();
        config.key_refresh_interval = 1;
    })
    .await;
    let before = server.tokens(&[]).await;
    let store = store_of(&server).await;
    let rotated = cli_keys::rotate(
        &store,
        &sealer_of(&server),
        Algorithm::ES256,
        Clock::system().now(),
    )
    .await
    .unwrap();
    let after = signed_by(&server, &rotated.kid).await;
    assert_eq!(
        kid(after["id_token"].as_str().unwrap()),
        kid(before["id_token"].as_str().unwrap()),
        "the RS256 key did not change"
    );
}

#[tokio::test]
async fn forced_revocation_of_the_only_key_of_an_algorithm_gets_a_new_one_at_reload() {
    let server = TestServer::start_with(|config| {
        config.apis[0].signing_alg = "EdDSA".into();
        config.key_refresh_interval = 1;
    })
    .await;
    let before = server.tokens(&[]).await;
    let old_kid = kid(before["access_token"].as_str().unwrap());
    let store = store_of(&server).await;
    let now = Clock::system().now();
    assert!(matches!(
        cli_keys::revoke(&store, &old_kid, false, now).await,
        Err(RevokeError::CurrentSigner { .. })
    ));
    assert!(matches!(
        cli_keys::revoke(&store, &old_kid, true, now).await.unwrap(),
        Revoked::Revoked { .. }
    ));
    let jwks = wait_for_jwks(&server, |jwks| {
        jwks.find(&old_kid).is_none() && jwks.keys.iter().any(|k| k.alg.as_deref() == Some("EdDSA"))
    })
    .await;
    let after = server.tokens(&[]).await;
    let access_token = after["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(access_token)["alg"], "EdDSA");
    assert_ne!(kid(access_token), old_kid);
    verify_with(&jwks, access_token);
}
