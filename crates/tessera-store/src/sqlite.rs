//! The SQLite store: an embedded file in WAL mode, the default for a single node.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use tessera_protocol::token::{CodeGrant, RefreshGrant};
use tessera_protocol::{
    AppType, ClientId, GrantType, RedirectUri, RegisteredClient, ResourceServer, ScopeSet,
    SecretDigest, Timestamp,
};

use crate::{
    ApiStore, ClientStore, CodeStore, ConsentStore, KeyStore, NewUser, PendingAuthorization,
    PendingAuthorizationStore, RefreshTokenStore, Session, SessionStore, SigningKeyRecord,
    StoreError, StoreResult, User, UserStore,
};

/// A store on one SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path`) and migrates it.
    /// WAL with `synchronous=NORMAL`: a power loss may lose the last transactions but never
    /// corrupts the file.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(corrupt)
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(corrupt)
}

fn digest_of(row: &SqliteRow, column: &str) -> StoreResult<SecretDigest> {
    let bytes: Vec<u8> = row.try_get(column)?;
    SecretDigest::from_bytes(&bytes)
        .ok_or_else(|| corrupt(format!("{column} is not a SHA-256 digest")))
}

fn scope_of(text: &str) -> StoreResult<ScopeSet> {
    ScopeSet::parse(text).map_err(corrupt)
}

fn client_from_row(row: &SqliteRow) -> StoreResult<RegisteredClient> {
    let callbacks: Vec<String> = from_json(row.try_get("callbacks")?)?;
    let grant_types: Vec<String> = from_json(row.try_get("grant_types")?)?;
    let app_type: String = row.try_get("app_type")?;
    Ok(RegisteredClient {
        client_id: ClientId(row.try_get("client_id")?),
        name: row.try_get("name")?,
        app_type: AppType::parse(&app_type)
            .ok_or_else(|| corrupt(format!("app_type {app_type}")))?,
        callbacks: callbacks
            .iter()
            .map(|uri| RedirectUri::parse(uri).map_err(corrupt))
            .collect::<StoreResult<_>>()?,
        grant_types: grant_types
            .iter()
            .map(|g| GrantType::parse(g).ok_or_else(|| corrupt(format!("grant type {g}"))))
            .collect::<StoreResult<_>>()?,
        secret_digest: digest_of(row, "secret_digest")?,
    })
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn upsert_client(&self, client: &RegisteredClient, now: Timestamp) -> StoreResult<()> {
        let callbacks: Vec<&str> = client.callbacks.iter().map(RedirectUri::as_str).collect();
        let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
        sqlx::query(
            "INSERT INTO clients (client_id, name, app_type, callbacks, grant_types, secret_digest, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
             ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, app_type = excluded.app_type,
                callbacks = excluded.callbacks, grant_types = excluded.grant_types,
                secret_digest = excluded.secret_digest, updated_at = excluded.updated_at",
        )
        .bind(client.client_id.as_str())
        .bind(&client.name)
        .bind(client.app_type.as_str())
        .bind(to_json(&callbacks)?)
        .bind(to_json(&grant_types)?)
        .bind(client.secret_digest.as_bytes().as_slice())
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn client(&self, client_id: &ClientId) -> StoreResult<Option<RegisteredClient>> {
        let row = sqlx::query("SELECT * FROM clients WHERE client_id = ?1")
            .bind(client_id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(client_from_row).transpose()
    }
}

fn api_from_row(row: &SqliteRow) -> StoreResult<ResourceServer> {
    Ok(ResourceServer {
        identifier: row.try_get("identifier")?,
        name: row.try_get("name")?,
        scopes: from_json(row.try_get("scopes")?)?,
        allow_offline_access: row.try_get("allow_offline_access")?,
        token_lifetime: row.try_get("token_lifetime")?,
        signing_alg: row.try_get("signing_alg")?,
    })
}

#[async_trait]
impl ApiStore for SqliteStore {
    async fn upsert_api(&self, api: &ResourceServer, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO resource_servers (identifier, name, scopes, allow_offline_access, token_lifetime, signing_alg, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
             ON CONFLICT (identifier) DO UPDATE SET name = excluded.name, scopes = excluded.scopes,
                allow_offline_access = excluded.allow_offline_access, token_lifetime = excluded.token_lifetime,
                signing_alg = excluded.signing_alg, updated_at = excluded.updated_at",
        )
        .bind(&api.identifier)
        .bind(&api.name)
        .bind(to_json(&api.scopes)?)
        .bind(api.allow_offline_access)
        .bind(api.token_lifetime)
        .bind(&api.signing_alg)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn api(&self, identifier: &str) -> StoreResult<Option<ResourceServer>> {
        let row = sqlx::query("SELECT * FROM resource_servers WHERE identifier = ?1")
            .bind(identifier)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(api_from_row).transpose()
    }
}

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        email_verified: row.try_get("email_verified")?,
        blocked: row.try_get("blocked")?,
        updated_at: Timestamp(row.try_get("updated_at")?),
    })
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn upsert_user(&self, user: &NewUser, now: Timestamp) -> StoreResult<User> {
        let row = sqlx::query(
            "INSERT INTO users (user_id, username, email, name, password_hash, email_verified, blocked, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, FALSE, ?7, ?7)
             ON CONFLICT (username) DO UPDATE SET email = excluded.email, name = excluded.name,
                password_hash = excluded.password_hash, email_verified = excluded.email_verified,
                updated_at = excluded.updated_at
             RETURNING *",
        )
        .bind(&user.user_id)
        .bind(&user.username)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(user.email_verified)
        .bind(now.0)
        .fetch_one(&self.pool)
        .await?;
        user_from_row(&row)
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE username = ?1 OR email = ?1 LIMIT 1")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user(&self, user_id: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE user_id = ?1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        digest: &SecretDigest,
        session: &Session,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, auth_time, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(&session.user_id)
        .bind(session.auth_time.0)
        .bind(now.0)
        .bind(session.expires_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, digest: &SecretDigest, now: Timestamp) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT user_id, auth_time, expires_at FROM sessions WHERE digest = ?1 AND expires_at > ?2")
            .bind(digest.as_bytes().as_slice())
            .bind(now.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Session {
                user_id: row.try_get("user_id")?,
                auth_time: Timestamp(row.try_get("auth_time")?),
                expires_at: Timestamp(row.try_get("expires_at")?),
            })
        })
        .transpose()
    }
}

fn pending_from_row(row: &SqliteRow) -> StoreResult<PendingAuthorization> {
    let user_id: Option<String> = row.try_get("user_id")?;
    let auth_time: Option<i64> = row.try_get("auth_time")?;
    Ok(PendingAuthorization {
        id: row.try_get("id")?,
        request: from_json(row.try_get("request")?)?,
        browser_digest: digest_of(row, "browser_digest")?,
        csrf_token: row.try_get("csrf_token")?,
        login: user_id.zip(auth_time.map(Timestamp)),
        expires_at: Timestamp(row.try_get("expires_at")?),
    })
}

#[async_trait]
impl PendingAuthorizationStore for SqliteStore {
    async fn create_pending(
        &self,
        pending: &PendingAuthorization,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pending_authorizations (id, request, browser_digest, csrf_token, user_id, auth_time, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(&pending.id)
        .bind(to_json(&pending.request)?)
        .bind(pending.browser_digest.as_bytes().as_slice())
        .bind(&pending.csrf_token)
        .bind(pending.login.as_ref().map(|(user, _)| user.clone()))
        .bind(pending.login.as_ref().map(|(_, at)| at.0))
        .bind(now.0)
        .bind(pending.expires_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn pending(&self, id: &str, now: Timestamp) -> StoreResult<Option<PendingAuthorization>> {
        let row =
            sqlx::query("SELECT * FROM pending_authorizations WHERE id = ?1 AND expires_at > ?2")
                .bind(id)
                .bind(now.0)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(pending_from_row).transpose()
    }

    async fn record_login(&self, id: &str, user_id: &str, auth_time: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE pending_authorizations SET user_id = ?2, auth_time = ?3 WHERE id = ?1")
            .bind(id)
            .bind(user_id)
            .bind(auth_time.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn finish_pending(&self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM pending_authorizations WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }
}

#[async_trait]
impl ConsentStore for SqliteStore {
    async fn consent(
        &self,
        user_id: &str,
        client_id: &ClientId,
        audience: Option<&str>,
    ) -> StoreResult<Option<ScopeSet>> {
        let row = sqlx::query(
            "SELECT scope FROM consents WHERE user_id = ?1 AND client_id = ?2 AND audience = ?3",
        )
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(audience.unwrap_or(""))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| scope_of(row.try_get("scope")?)).transpose()
    }

    async fn save_consent(
        &self,
        user_id: &str,
        client_id: &ClientId,
        audience: Option<&str>,
        scope: &ScopeSet,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, audience, scope, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (user_id, client_id, audience) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(audience.unwrap_or(""))
        .bind(scope.to_string())
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl CodeStore for SqliteStore {
    async fn insert_code(
        &self,
        digest: &SecretDigest,
        grant: &CodeGrant,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO authorization_codes (digest, grant_data, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(digest.as_bytes().as_slice())
            .bind(to_json(grant)?)
            .bind(now.0)
            .bind(grant.expires_at.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn consume_code(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
    ) -> StoreResult<Option<CodeGrant>> {
        let row = sqlx::query(
            "UPDATE authorization_codes SET consumed_at = ?2 WHERE digest = ?1 AND consumed_at IS NULL RETURNING grant_data",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(now.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| from_json(row.try_get("grant_data")?))
            .transpose()
    }
}

#[async_trait]
impl RefreshTokenStore for SqliteStore {
    async fn insert_refresh_token(
        &self,
        digest: &SecretDigest,
        grant: &RefreshGrant,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (digest, client_id, user_id, scope, audience, auth_time, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(grant.client_id.as_str())
        .bind(&grant.user_id)
        .bind(grant.scope.to_string())
        .bind(grant.audience.as_deref())
        .bind(grant.auth_time.0)
        .bind(now.0)
        .bind(grant.expires_at.map(|t| t.0))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn refresh_token(&self, digest: &SecretDigest) -> StoreResult<Option<RefreshGrant>> {
        let row = sqlx::query("SELECT * FROM refresh_tokens WHERE digest = ?1")
            .bind(digest.as_bytes().as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let expires_at: Option<i64> = row.try_get("expires_at")?;
            let revoked_at: Option<i64> = row.try_get("revoked_at")?;
            Ok(RefreshGrant {
                client_id: ClientId(row.try_get("client_id")?),
                user_id: row.try_get("user_id")?,
                scope: scope_of(row.try_get("scope")?)?,
                audience: row.try_get("audience")?,
                auth_time: Timestamp(row.try_get("auth_time")?),
                expires_at: expires_at.map(Timestamp),
                revoked: revoked_at.is_some(),
            })
        })
        .transpose()
    }
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_key, created_at FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at, kid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SigningKeyRecord {
                    kid: row.try_get("kid")?,
                    alg: row.try_get("alg")?,
                    private_key_der: row.try_get("private_key")?,
                    created_at: Timestamp(row.try_get("created_at")?),
                })
            })
            .collect()
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_key, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kid) DO NOTHING",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.private_key_der)
        .bind(key.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
