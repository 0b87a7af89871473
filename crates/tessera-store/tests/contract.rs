//! The store contract: behaviour every backend must have, run against SQLite and PostgreSQL
//! (`POSTGRES_TEST_URL`, default `postgres://postgres@127.0.0.1:5432/test`; each test
//! gets its own schema). The cases are in `contract/cases.rs`, included once per backend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tempfile::TempDir;

use tessera_protocol::authorize::{AuthorizationRequest, Prompt, ResponseMode, ResponseType};

use tessera_protocol::device::Decision;
use tessera_protocol::mfa::{Amr, AuthMethod};
use tessera_protocol::revocation::AccessRevocation;
use tessera_protocol::token::{CodeGrant, RefreshGrant};

use tessera_protocol::{
    ApiScope, AppType, ClientId, GrantType, PopMechanism, ProofOfPossession, Rbac, RedirectUri,
    RefreshTokenPolicy, RegisteredClient, ResourceServer, Rotation, Scope, ScopeSet, SecretDigest,
    Timestamp, TokenAuthMethod, TokenDialect,
};

use sqlx::postgres::PgConnectOptions;
use tessera_store::{
    Admin, AdminRole, AdminSession, ClientStore, CodeRedemption, Connection, DeviceAuthorization,
    EventTypes, Expiring, FirstFactor, FlagField, Holder, LogEvent, LogFilter, Login,
    MetadataField, MetadataKey, NewIdentity, NewUser, Page, PendingAuthorization, Permission,
    PermissionSource, PostgresStore, PushedRequest, RangeField, Role, Session, SigningKeyRecord,
    SortField, SqliteStore, Store, StoreError, TextField, TextMatch, UserProfile, UserSearch,
    UserSort, DATABASE_CONNECTION,
};

const NOW: Timestamp = Timestamp(1_800_000_000);

fn client(id: &str) -> RegisteredClient {
    RegisteredClient {
        client_id: ClientId(id.into()),
        name: "App".into(),
        app_type: AppType::RegularWeb,
        callbacks: vec![RedirectUri::parse("https://app.example.com/cb").unwrap()],
        allowed_logout_urls: vec!["https://app.example.com/".into()],
        web_origins: vec![tessera_protocol::WebOrigin::parse("https://app.example.com").unwrap()],
        allowed_origins: vec![
            tessera_protocol::WebOrigin::parse("https://admin.example.com").unwrap(),
        ],
        grant_types: vec![GrantType::AuthorizationCode],
        token_endpoint_auth_method: TokenAuthMethod::ClientSecretPost,
        secret_digest: Some(SecretDigest::of("secret")),
        refresh_token: RefreshTokenPolicy::default(),
        allow_plain_pkce: false,
        is_first_party: true,
        require_pushed_authorization_requests: false,
        require_proof_of_possession: false,
        logo_uri: None,
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
        profile: UserProfile::default(),
    }
}

fn scopes(text: &str) -> ScopeSet {
    ScopeSet::parse(text).unwrap()
}

fn code_grant(user_id: &str) -> CodeGrant {
    CodeGrant {
        amr: Default::default(),
        client_id: ClientId("c".into()),
        redirect_uri: RedirectUri::parse("https://app.example.com/cb").unwrap(),
        redirect_uri_explicit: true,
        user_id: user_id.into(),
        scope: scopes("openid read"),
        audience: Some("api".into()),
        nonce: Some("n".into()),
        auth_time: NOW,
        expires_at: NOW.plus(60),
        code_challenge: None,
        sid: Some("sid-1".into()),
        custom_claims: Default::default(),
    }
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
            response_type: ResponseType::Code,
            response_mode: ResponseMode::FormPost,
            code_challenge: None,
            login_hint: Some("jane".into()),
            screen_hint: tessera_protocol::authorize::ScreenHint::Login,
            connection: None,
            ui_locales: None,
            skip_consent: false,
            acr_values: None,
        },
        browser_digest: SecretDigest::of("browser"),
        login: None,
        first_factor: None,
        expires_at: NOW.plus(600),
    }
}

fn refresh_grant(family: &str) -> RefreshGrant {
    RefreshGrant {
        client_id: ClientId("c".into()),
        user_id: "auth0|u1".into(),
        scope: scopes("openid offline_access read"),
        audience: Some("api".into()),
        auth_time: NOW,
        family_id: family.into(),
        family_created_at: NOW,
        last_used_at: NOW,
        rotated_at: None,
        revoked: false,
        sid: Some("sid-1".into()),
        expires_at: Some(NOW.plus(3600)),
        dpop_jkt: None,
    }
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

fn log_event(
    id: &str,
    at: i64,
    event_type: &str,
    user: Option<&str>,
    client: Option<&str>,
) -> LogEvent {
    LogEvent {
        log_id: id.into(),
        date: Timestamp(at),
        event_type: event_type.into(),
        description: format!("event {id}"),
        client_id: client.map(Into::into),
        client_name: client.map(|c| format!("{c} app")),
        ip: Some("203.0.113.7".into()),
        user_agent: Some("test-agent/1.0".into()),
        user_id: user.map(Into::into),
        user_name: user.map(|u| format!("{u}@example.com")),
        details: serde_json::json!({ "scope": "openid", "n": at }),
    }
}

fn log_ids(events: &[LogEvent]) -> Vec<&str> {
    events.iter().map(|e| e.log_id.as_str()).collect()
}

fn signing_key(kid: &str, alg: &str, at: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.into(),
        alg: alg.into(),
        private_key: vec![7, 8, 9],
        created_at: Timestamp(at),
        activated_at: Some(Timestamp(at)),
        revoked_at: None,
    }
}

fn kids(records: &[SigningKeyRecord]) -> Vec<&str> {
    records.iter().map(|k| k.kid.as_str()).collect()
}

/// Keeps a test's database alive, and removes it at the end.
enum Guard {
    Sqlite(#[allow(dead_code)] TempDir),
    Postgres { url: String, schema: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres { url, schema } = self {
            let (url, schema) = (url.clone(), schema.clone());
            // Dropping runs outside any runtime that could be blocked on: use a thread of its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    use sqlx::Connection;
                    let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
                    // The test's store is still open here, and a transaction it abandoned (its
                    // rollback waits for the connection's next use) can hold a lock on the
                    // schema: leave the schema behind rather than wait for it forever.
                    sqlx::query("SET lock_timeout = '5s'")
                        .execute(&mut connection)
                        .await
                        .unwrap();
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut connection)
                        .await;
                });
            })
            .join();
        }
    }
}

async fn sqlite_store() -> (Arc<dyn Store>, Guard) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (
        Arc::new(SqliteStore::connect(&url).await.unwrap()),
        Guard::Sqlite(dir),
    )
}

fn postgres_url() -> String {
    std::env::var("POSTGRES_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh schema on the test PostgreSQL. No PostgreSQL is a failure, never a skip.
async fn postgres_store() -> (Arc<dyn Store>, Guard) {
    let url = postgres_url();
    let schema = format!("tessera_test_{}", std::process::id()) + &format!("_{}", rand_suffix());
    let admin = sqlx::PgPool::connect(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is not reachable at {url} ({e}); start it or set POSTGRES_TEST_URL")
    });
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let options: PgConnectOptions = url.parse().unwrap();
    let options = options.options([("search_path", schema.as_str())]);
    let store = PostgresStore::connect_with(options, 8).await.unwrap();
    (Arc::new(store), Guard::Postgres { url, schema })
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}_{}", nanos, NEXT.fetch_add(1, Ordering::Relaxed))
}

mod sqlite {
    use super::*;

    async fn store() -> (Arc<dyn Store>, Guard) {
        sqlite_store().await
    }

    include!("contract/cases.rs");
}

mod postgres {
    use super::*;

    async fn store() -> (Arc<dyn Store>, Guard) {
        postgres_store().await
    }

    include!("contract/cases.rs");
}
