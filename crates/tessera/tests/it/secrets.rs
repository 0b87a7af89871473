//! Private signing keys at rest: sealed with the master secret, never readable in the store;
//! a restart with the same secret signs with the same keys, a different secret is a clear
//! startup error.

use tessera::Tessera;
use tessera_core::clock::Clock;
use tessera_jwt::{Algorithm, SigningKey};
use tessera_store::{KeyStore, SqliteStore};

use crate::support::*;

const SECRET: &str = "the-master-secret-of-this-test-0123456789";

fn with_secret(config: &mut tessera::config::Config) {
    config.secret = Some(SECRET.into());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn stored_private_keys_are_not_readable_without_the_secret() {
    let server = TestServer::start_with(with_secret).await;
    let store = SqliteStore::connect(&server.config.database_url)
        .await
        .unwrap();
    let records = store.all_signing_keys().await.unwrap();
    assert_eq!(
        records.len(),
        2 * Algorithm::ALL.len(),
        "a signing key and a next key per algorithm"
    );
    let sealer = tessera_core::secrets::Sealer::new(SECRET.as_bytes()).unwrap();
    for record in &records {
        let alg = Algorithm::parse(&record.alg).unwrap();
        assert!(
            SigningKey::from_pkcs8(alg, &record.private_key).is_err(),
            "{} is not PKCS#8 DER",
            record.kid
        );
        let text = String::from_utf8_lossy(&record.private_key);
        assert!(!text.contains("PRIVATE KEY"), "not PEM");
        assert!(text.starts_with("v1:"), "the versioned sealed encoding");
        let der = sealer.open(&record.kid, &record.private_key).unwrap();
        assert!(SigningKey::from_pkcs8(alg, der.der()).is_ok());
        assert!(
            !contains(&record.private_key, der.der()),
            "the plaintext DER is not in the column"
        );
    }
}

#[tokio::test]
async fn a_restart_with_the_same_secret_signs_with_the_same_key() {
    let server = TestServer::start_with(with_secret).await;
    let before = server.tokens(&[]).await;
    let (dir, config) = server.stop().await;
    let server = TestServer::start_in(dir, config).await;
    let after = server.tokens(&[]).await;
    let kid = |tokens: &serde_json::Value| {
        jwt_header(tokens["access_token"].as_str().unwrap())["kid"].clone()
    };
    assert_eq!(kid(&before), kid(&after));
}

#[tokio::test]
async fn a_restart_with_another_secret_is_a_clear_startup_error() {
    let server = TestServer::start_with(with_secret).await;
    let (_dir, mut config) = server.stop().await;
    config.secret = Some("a-different-master-secret-0123456789abcdef".into());
    let error = match Tessera::prepare(&config, Clock::system()).await {
        Ok(_) => panic!("started with the wrong secret"),
        Err(error) => error.to_string(),
    };
    assert!(
        error.contains("cannot be decrypted with the configured master secret"),
        "{error}"
    );
}

#[tokio::test]
async fn a_secret_file_works_like_the_secret_and_a_short_secret_is_refused() {
    let server = TestServer::start_with(with_secret).await;
    let before = server.tokens(&[]).await;
    let (dir, mut config) = server.stop().await;
    let file = dir.path().join("master.secret");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    config.secret = None;
    config.secret_file = Some(file);
    let server = TestServer::start_in(dir, config).await;
    let after = server.tokens(&[]).await;
    assert_eq!(
        jwt_header(before["access_token"].as_str().unwrap())["kid"],
        jwt_header(after["access_token"].as_str().unwrap())["kid"]
    );
    let (_dir, mut config) = server.stop().await;
    config.secret_file = None;
    config.secret = Some("too short".into());
    let error = Tessera::prepare(&config, Clock::system())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("at least 32 characters"), "{error}");
}
