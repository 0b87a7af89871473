//! The issuer's keys: lazy fetch, caching, rotation, refresh rate limiting, outages.

use std::time::Duration;

use crate::common::*;
use axum::response::IntoResponse;
use serde_json::json;
use tessera_resource::{BearerError, Validator, ValidatorOptions};

fn options(min_refresh_interval: Duration) -> ValidatorOptions {
    ValidatorOptions {
        min_refresh_interval,
        ..Default::default()
    }
}

/// A correctly signed token whose `kid` the issuer has never published.
fn token_with_kid(issuer: &str, kid: &str) -> String {
    let header = json!({ "alg": "RS256", "typ": "at+jwt", "kid": kid });
    sign_raw(attacker_key(), &header, &claims(issuer))
}

#[tokio::test]
async fn jwks_is_fetched_lazily_and_cached() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::new(server.issuer(), AUDIENCE);
    assert_eq!(server.fetches(), 0, "Validator::new must not fetch");

    let token = mint(issuer_key(), &claims(&server.issuer()));
    validator.validate(&token).await.unwrap();
    assert_eq!(server.fetches(), 1);

    for _ in 0..10 {
        validator.validate(&token).await.unwrap();
    }
    assert_eq!(server.fetches(), 1, "the keys are cached");

    // Clones share the cache.
    validator.clone().validate(&token).await.unwrap();
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn explicit_jwks_uri_is_used() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let issuer = "https://tessera.example.com/";
    let validator = Validator::with_options(
        issuer,
        AUDIENCE,
        ValidatorOptions {
            jwks_uri: Some(format!("{}.well-known/jwks.json", server.issuer())),
            ..Default::default()
        },
    );
    assert_eq!(validator.issuer(), issuer);
    assert_eq!(validator.audience(), AUDIENCE);
    let token = mint(issuer_key(), &claims(issuer));
    validator.validate(&token).await.unwrap();
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn issuer_without_trailing_slash_still_finds_the_jwks() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let issuer = server.issuer().trim_end_matches('/').to_owned();
    let validator = Validator::new(issuer.clone(), AUDIENCE);
    let token = mint(issuer_key(), &claims(&issuer));
    validator.validate(&token).await.unwrap();
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn rotated_key_is_picked_up_by_refetching() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::with_options(
        server.issuer(),
        AUDIENCE,
        options(Duration::from_millis(200)),
    );
    let old_token = mint(issuer_key(), &claims(&server.issuer()));
    validator.validate(&old_token).await.unwrap();
    assert_eq!(server.fetches(), 1);

    // The issuer rotates: a new key is published and tokens are signed with it.
    let rotated = new_key();
    server.publish(&rotated);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let new_token = mint(&rotated, &claims(&server.issuer()));

    let claims = validator.validate(&new_token).await.unwrap();
    assert_eq!(claims.sub, SUB);
    assert_eq!(server.fetches(), 2, "the unknown kid caused one refetch");

    // Both keys are now cached.
    validator.validate(&old_token).await.unwrap();
    validator.validate(&new_token).await.unwrap();
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn rotated_key_is_picked_up_when_the_old_key_is_retired() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::with_options(
        server.issuer(),
        AUDIENCE,
        options(Duration::from_millis(200)),
    );
    let old_token = mint(issuer_key(), &claims(&server.issuer()));
    validator.validate(&old_token).await.unwrap();

    let rotated = new_key();
    server.set_keys(&[&rotated]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let new_token = mint(&rotated, &claims(&server.issuer()));
    validator.validate(&new_token).await.unwrap();
    assert_eq!(server.fetches(), 2);
    // The cache now mirrors the published set: the retired key is gone.
    assert_invalid_token(validator.validate(&old_token).await);
}

#[tokio::test]
async fn flood_of_unknown_kids_triggers_at_most_one_extra_fetch() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator =
        Validator::with_options(server.issuer(), AUDIENCE, options(Duration::from_secs(60)));
    let good = mint(issuer_key(), &claims(&server.issuer()));
    validator.validate(&good).await.unwrap();
    assert_eq!(server.fetches(), 1);

    for i in 0..50 {
        let kid = format!("unknown-{i}-{}", now());
        let token = token_with_kid(&server.issuer(), &kid);
        assert_invalid_token(validator.validate(&token).await);
    }
    let fetches = server.fetches();
    assert!(
        fetches <= 2,
        "50 unknown kids caused {} fetches",
        fetches - 1
    );

    // The known key still works, from the cache.
    validator.validate(&good).await.unwrap();
    assert_eq!(server.fetches(), fetches);
}

#[tokio::test]
async fn concurrent_flood_of_unknown_kids_on_a_cold_cache_fetches_once() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator =
        Validator::with_options(server.issuer(), AUDIENCE, options(Duration::from_secs(60)));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let validator = validator.clone();
        let token = token_with_kid(&server.issuer(), &format!("random-kid-{i}"));
        tasks.spawn(async move { validator.validate(&token).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_invalid_token(result.unwrap());
    }
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn unknown_kid_after_the_interval_refetches_again() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::with_options(
        server.issuer(),
        AUDIENCE,
        options(Duration::from_millis(200)),
    );
    let forged = token_with_kid(&server.issuer(), "nope");
    assert_invalid_token(validator.validate(&forged).await);
    assert_eq!(server.fetches(), 1);
    assert_invalid_token(validator.validate(&forged).await);
    assert_eq!(server.fetches(), 1, "within the interval: no refetch");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_invalid_token(validator.validate(&forged).await);
    assert_eq!(server.fetches(), 2, "after the interval: one refetch");
}

#[tokio::test]
async fn issuer_unreachable_gives_keys_unavailable() {
    let issuer = closed_port_issuer();
    let validator = Validator::with_options(
        issuer.clone(),
        AUDIENCE,
        ValidatorOptions {
            fetch_timeout: Duration::from_secs(2),
            ..Default::default()
        },
    );
    let token = mint(issuer_key(), &claims(&issuer));

    let error = validator.validate(&token).await.unwrap_err();
    assert!(
        matches!(error, BearerError::KeysUnavailable(_)),
        "expected KeysUnavailable, got {error:?}"
    );
    assert_eq!(error.status().as_u16(), 503);
    assert_eq!(error.code(), None);
    let response = error.clone().into_response();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "5");

    // Still unavailable (not "invalid") on the next attempt within the interval.
    let again = validator.validate(&token).await.unwrap_err();
    assert!(
        matches!(again, BearerError::KeysUnavailable(_)),
        "{again:?}"
    );
}

#[tokio::test]
async fn jwks_server_error_gives_keys_unavailable_then_recovers() {
    let server = JwksServer::start(&[issuer_key()]).await;
    server.set_failing(true);
    let validator = Validator::with_options(
        server.issuer(),
        AUDIENCE,
        options(Duration::from_millis(200)),
    );
    let token = mint(issuer_key(), &claims(&server.issuer()));

    let error = validator.validate(&token).await.unwrap_err();
    assert!(
        matches!(error, BearerError::KeysUnavailable(_)),
        "{error:?}"
    );
    assert_eq!(server.fetches(), 1);

    server.set_failing(false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    validator.validate(&token).await.unwrap();
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn failed_refresh_keeps_the_cached_keys() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::with_options(
        server.issuer(),
        AUDIENCE,
        options(Duration::from_millis(100)),
    );
    let token = mint(issuer_key(), &claims(&server.issuer()));
    validator.validate(&token).await.unwrap();

    server.set_failing(true);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // An unknown kid triggers a refresh, which fails: the token is invalid (keys are known)...
    let forged = token_with_kid(&server.issuer(), "unknown");
    assert_invalid_token(validator.validate(&forged).await);
    assert_eq!(server.fetches(), 2);
    // ...and the cached key still validates.
    validator.validate(&token).await.unwrap();
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn unsupported_keys_in_the_jwks_are_skipped() {
    // jwks.rs promises: "Keys this library cannot use (other key types or algorithms) are
    // skipped, not fatal." Issuers commonly publish EC keys next to RSA ones.
    let server = JwksServer::start(&[issuer_key()]).await;
    server.add_raw_key(json!({
        "kty": "EC",
        "kid": "ec-key-1",
        "use": "sig",
        "alg": "ES256",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    }));
    let validator = Validator::new(server.issuer(), AUDIENCE);
    let token = mint(issuer_key(), &claims(&server.issuer()));
    let result = validator.validate(&token).await;
    assert!(
        result.is_ok(),
        "an EC key next to the RSA key made validation fail: {result:?}"
    );
}

#[tokio::test]
async fn rsa_keys_with_other_algorithms_are_skipped() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let mut other = new_key().public_jwk();
    other.alg = Some("RS512".into());
    other.kid = "rs512-key".into();
    server.add_raw_key(serde_json::to_value(&other).unwrap());
    let validator = Validator::new(server.issuer(), AUDIENCE);
    let token = mint(issuer_key(), &claims(&server.issuer()));
    validator.validate(&token).await.unwrap();
}

#[tokio::test]
async fn hanging_issuer_times_out_as_keys_unavailable() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let validator = Validator::with_options(
        issuer.clone(),
        AUDIENCE,
        ValidatorOptions {
            fetch_timeout: Duration::from_millis(300),
            ..Default::default()
        },
    );
    let token = mint(issuer_key(), &claims(&issuer));
    let started = std::time::Instant::now();
    let error = validator.validate(&token).await.unwrap_err();
    assert!(
        matches!(error, BearerError::KeysUnavailable(_)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    hold.abort();
}

#[tokio::test]
async fn keys_older_than_max_key_age_are_refetched_so_revoked_keys_stop_working() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let options = ValidatorOptions {
        min_refresh_interval: Duration::from_millis(100),
        max_key_age: Duration::from_millis(300),
        ..Default::default()
    };
    let validator = Validator::with_options(server.issuer(), AUDIENCE, options);
    let token = mint(issuer_key(), &claims(&server.issuer()));
    validator.validate(&token).await.unwrap();
    assert_eq!(server.fetches(), 1);
    server.set_keys(&[]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_invalid_token(validator.validate(&token).await);
    assert_eq!(server.fetches(), 2, "a stale cache is refetched");
}
