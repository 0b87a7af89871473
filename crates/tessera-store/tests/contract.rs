//! The store contract: behaviour every backend must have, run here against SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tempfile::TempDir;
use tessera_protocol::authorize::{AuthorizationRequest, Prompt};
use tessera_protocol::token::{CodeGrant, RefreshGrant};
use tessera_protocol::{
    ApiScope, AppType, ClientId, GrantType, RedirectUri, RegisteredClient, ResourceServer, Scope,
    ScopeSet, SecretDigest, Timestamp,
};
use tessera_store::{
    ClientStore, NewUser, PendingAuthorization, Session, SigningKeyRecord, SqliteStore, Store,
};

const NOW: Timestamp = Timestamp(1_800_000_000);

async fn store() -> (Arc<dyn Store>, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (Arc::new(SqliteStore::connect(&url).await.unwrap()), dir)
}

fn client(id: &str) -> RegisteredClient {
    RegisteredClient {
        client_id: ClientId(id.into()),
        name: "App".into(),
        app_type: AppType::RegularWeb,
        callbacks: vec![RedirectUri::parse("https://app.example.com/cb").unwrap()],
        grant_types: vec![GrantType::AuthorizationCode],
        secret_digest: SecretDigest::of("secret"),
    }
}

fn new_user(username: &str, id: &str) -> NewUser {
    NewUser {
        user_id: id.into(),
        username: username.into(),
        email: format!("{username}@example.com"),
        name: username.into(),
        password_hash: "$argon2id$fake".into(),
        email_verified: true,
    }
}

fn scopes(text: &str) -> ScopeSet {
    ScopeSet::parse(text).unwrap()
}

fn code_grant(user_id: &str) -> CodeGrant {
    CodeGrant {
        client_id: ClientId("c".into()),
        redirect_uri: RedirectUri::parse("https://app.example.com/cb").unwrap(),
        redirect_uri_explicit: true,
        user_id: user_id.into(),
        scope: scopes("openid read"),
        audience: Some("api".into()),
        nonce: Some("n".into()),
        auth_time: NOW,
        expires_at: NOW.plus(60),
    }
}

#[tokio::test]
async fn client_round_trips_and_upsert_replaces() {
    let (store, _dir) = store().await;
    let mut app = client("c1");
    store.upsert_client(&app, NOW).await.unwrap();
    assert_eq!(
        store.client(&app.client_id).await.unwrap(),
        Some(app.clone())
    );
    app.name = "Renamed".into();
    app.grant_types.push(GrantType::RefreshToken);
    store.upsert_client(&app, NOW).await.unwrap();
    assert_eq!(store.client(&app.client_id).await.unwrap(), Some(app));
    assert_eq!(
        store.client(&ClientId("missing".into())).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn api_round_trips() {
    let (store, _dir) = store().await;
    let api = ResourceServer {
        identifier: "appointments:api".into(),
        name: "Appointments".into(),
        scopes: vec![ApiScope {
            value: Scope::parse("appointments").unwrap(),
            description: "Manage".into(),
        }],
        allow_offline_access: true,
        token_lifetime: 600,
        signing_alg: "RS256".into(),
    };
    store.upsert_api(&api, NOW).await.unwrap();
    assert_eq!(store.api("appointments:api").await.unwrap(), Some(api));
    assert_eq!(store.api("other").await.unwrap(), None);
}

#[tokio::test]
async fn user_upsert_keeps_the_first_id_and_finds_by_username_or_email() {
    let (store, _dir) = store().await;
    let first = store
        .upsert_user(&new_user("jane", "auth0|1"), NOW)
        .await
        .unwrap();
    let mut changed = new_user("jane", "auth0|2");
    changed.name = "Jane D".into();
    let second = store.upsert_user(&changed, NOW.plus(5)).await.unwrap();
    assert_eq!(first.user_id, "auth0|1");
    assert_eq!(second.user_id, "auth0|1");
    assert_eq!(second.name, "Jane D");
    assert_eq!(second.updated_at, NOW.plus(5));
    assert_eq!(
        store.user_by_login("jane").await.unwrap().unwrap().user_id,
        "auth0|1"
    );
    assert_eq!(
        store
            .user_by_login("jane@example.com")
            .await
            .unwrap()
            .unwrap()
            .user_id,
        "auth0|1"
    );
    assert!(store.user_by_login("nobody").await.unwrap().is_none());
    assert!(store.user("auth0|1").await.unwrap().is_some());
}

#[tokio::test]
async fn session_is_found_until_it_expires() {
    let (store, _dir) = store().await;
    store
        .upsert_user(&new_user("jane", "u1"), NOW)
        .await
        .unwrap();
    let digest = SecretDigest::of("cookie");
    let session = Session {
        user_id: "u1".into(),
        auth_time: NOW,
        expires_at: NOW.plus(100),
    };
    store.create_session(&digest, &session, NOW).await.unwrap();
    assert_eq!(
        store.session(&digest, NOW.plus(99)).await.unwrap(),
        Some(session)
    );
    assert_eq!(store.session(&digest, NOW.plus(100)).await.unwrap(), None);
    assert_eq!(
        store
            .session(&SecretDigest::of("other"), NOW)
            .await
            .unwrap(),
        None
    );
}

fn pending(id: &str) -> PendingAuthorization {
    PendingAuthorization {
        id: id.into(),
        request: AuthorizationRequest {
            client_id: ClientId("c".into()),
            redirect_uri: RedirectUri::parse("https://app.example.com/cb").unwrap(),
            redirect_uri_explicit: true,
            scope: scopes("openid read"),
            audience: Some("api".into()),
            state: Some("s t".into()),
            nonce: None,
            prompt: Prompt {
                login: true,
                ..Prompt::default()
            },
            max_age: Some(30),
        },
        browser_digest: SecretDigest::of("browser"),
        csrf_token: "csrf".into(),
        login: None,
        expires_at: NOW.plus(600),
    }
}

#[tokio::test]
async fn pending_authorization_records_login_and_finishes_once() {
    let (store, _dir) = store().await;
    let record = pending("p1");
    store.create_pending(&record, NOW).await.unwrap();
    assert_eq!(
        store.pending("p1", NOW).await.unwrap(),
        Some(record.clone())
    );
    store.record_login("p1", "u1", NOW.plus(3)).await.unwrap();
    let loaded = store.pending("p1", NOW).await.unwrap().unwrap();
    assert_eq!(loaded.login, Some(("u1".into(), NOW.plus(3))));
    assert!(store.finish_pending("p1").await.unwrap());
    assert!(!store.finish_pending("p1").await.unwrap());
    assert_eq!(store.pending("p1", NOW).await.unwrap(), None);
}

#[tokio::test]
async fn pending_authorization_expires() {
    let (store, _dir) = store().await;
    store.create_pending(&pending("p2"), NOW).await.unwrap();
    assert!(store.pending("p2", NOW.plus(600)).await.unwrap().is_none());
}

#[tokio::test]
async fn consent_is_per_user_client_and_audience() {
    let (store, _dir) = store().await;
    store
        .upsert_user(&new_user("jane", "u1"), NOW)
        .await
        .unwrap();
    let c = ClientId("c".into());
    store
        .save_consent("u1", &c, Some("api"), &scopes("read"), NOW)
        .await
        .unwrap();
    assert_eq!(
        store.consent("u1", &c, Some("api")).await.unwrap(),
        Some(scopes("read"))
    );
    assert_eq!(store.consent("u1", &c, None).await.unwrap(), None);
    assert_eq!(
        store
            .consent("u1", &ClientId("d".into()), Some("api"))
            .await
            .unwrap(),
        None
    );
    store
        .save_consent("u1", &c, Some("api"), &scopes("read write"), NOW)
        .await
        .unwrap();
    assert_eq!(
        store.consent("u1", &c, Some("api")).await.unwrap(),
        Some(scopes("read write"))
    );
}

#[tokio::test]
async fn code_is_consumed_once() {
    let (store, _dir) = store().await;
    let digest = SecretDigest::of("code");
    store
        .insert_code(&digest, &code_grant("u1"), NOW)
        .await
        .unwrap();
    assert_eq!(
        store.consume_code(&digest, NOW).await.unwrap(),
        Some(code_grant("u1"))
    );
    assert_eq!(store.consume_code(&digest, NOW).await.unwrap(), None);
    assert_eq!(
        store
            .consume_code(&SecretDigest::of("unknown"), NOW)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn racing_redemptions_of_one_code_have_exactly_one_winner() {
    let (store, _dir) = store().await;
    let digest = SecretDigest::of("raced");
    store
        .insert_code(&digest, &code_grant("u1"), NOW)
        .await
        .unwrap();
    let attempts = (0..32).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.consume_code(&digest, NOW).await.unwrap() })
    });
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.unwrap().is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn refresh_token_round_trips() {
    let (store, _dir) = store().await;
    let grant = RefreshGrant {
        client_id: ClientId("c".into()),
        user_id: "u1".into(),
        scope: scopes("openid offline_access read"),
        audience: Some("api".into()),
        auth_time: NOW,
        expires_at: Some(NOW.plus(1000)),
        revoked: false,
    };
    let digest = SecretDigest::of("refresh");
    store
        .insert_refresh_token(&digest, &grant, NOW)
        .await
        .unwrap();
    assert_eq!(store.refresh_token(&digest).await.unwrap(), Some(grant));
    assert_eq!(
        store.refresh_token(&SecretDigest::of("x")).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn signing_keys_insert_once_per_kid_oldest_first() {
    let (store, _dir) = store().await;
    let key = |kid: &str, at: i64| SigningKeyRecord {
        kid: kid.into(),
        alg: "RS256".into(),
        private_key_der: vec![1, 2, 3],
        created_at: Timestamp(at),
    };
    store.insert_signing_key(&key("b", 2)).await.unwrap();
    store.insert_signing_key(&key("a", 1)).await.unwrap();
    store.insert_signing_key(&key("a", 5)).await.unwrap();
    let kids: Vec<_> = store
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.kid, k.created_at.0))
        .collect();
    assert_eq!(kids, vec![("a".to_string(), 1), ("b".to_string(), 2)]);
}

#[tokio::test]
async fn reopening_the_file_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    {
        let store = SqliteStore::connect(&url).await.unwrap();
        store.upsert_client(&client("kept"), NOW).await.unwrap();
    }
    let store = SqliteStore::connect(&url).await.unwrap();
    assert!(store
        .client(&ClientId("kept".into()))
        .await
        .unwrap()
        .is_some());
}
