//! The store traits in the SQL that SQLite and PostgreSQL both run, for the store `Backend`.
//! Not a module of the crate root: `sqlite.rs` and `postgres.rs` each mount this file (see
//! [`crate::sql`] for why), so it compiles once against each driver.

use async_trait::async_trait;
use sqlx::Row;
use tessera_protocol::token::{CodeGrant, RefreshGrant};
use tessera_protocol::{
    AppType, ClientId, GrantType, RedirectUri, RefreshTokenPolicy, RegisteredClient,
    ResourceServer, ScopeSet, SecretDigest, Timestamp, TokenAuthMethod,
};

use super::Backend;
use crate::error::conflict_as;
use crate::rows::{corrupt, count_of, from_json, row_mappers, scope_of, to_json};
use crate::sql::Dialect;
use crate::{
    Admin, AdminRole, AdminSession, AdminStore, ApiStore, AuditLogStore, ClientGrant,
    ClientGrantStore, ClientStore, CodeRedemption, CodeStore, Consent, ConsentStore, Housekeeping,
    KeyStore, Listing, LogEvent, LogFilter, Login, LoginAttemptStore, NewUser, Page,
    PendingAuthorization, PendingAuthorizationStore, RefreshTokenStore, Session, SessionStore,
    SigningKeyRecord, StoreResult, User, UserStore,
};

type Db = <Backend as Dialect>::Db;
type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

row_mappers!(<Db as sqlx::Database>::Row);

async fn count(pool: &sqlx::Pool<Db>, sql: &str) -> StoreResult<u64> {
    let total: i64 = sqlx::query_scalar(sql).fetch_one(pool).await?;
    Ok(u64::try_from(total).unwrap_or(0))
}

const INSERT_CLIENT: &str = "INSERT INTO clients (client_id, name, app_type, callbacks, allowed_logout_urls, grant_types,
        token_endpoint_auth_method, secret_digest, refresh_token, allow_plain_pkce, created_at, updated_at, is_first_party)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)";

fn bind_client<'q>(
    query: Query<'q>,
    client: &'q RegisteredClient,
    now: Timestamp,
) -> StoreResult<Query<'q>> {
    let callbacks: Vec<&str> = client.callbacks.iter().map(RedirectUri::as_str).collect();
    let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    Ok(query
        .bind(client.client_id.as_str())
        .bind(&client.name)
        .bind(client.app_type.as_str())
        .bind(to_json(&callbacks)?)
        .bind(to_json(&client.allowed_logout_urls)?)
        .bind(to_json(&grant_types)?)
        .bind(client.token_endpoint_auth_method.as_str())
        .bind(client.secret_digest.as_ref().map(|d| d.as_bytes().to_vec()))
        .bind(to_json(&client.refresh_token)?)
        .bind(client.allow_plain_pkce)
        .bind(now.0)
        .bind(client.is_first_party))
}

#[async_trait]
impl ClientStore for Backend {
    async fn upsert_client(&self, client: &RegisteredClient, now: Timestamp) -> StoreResult<()> {
        let sql = format!(
            "{INSERT_CLIENT} ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, app_type = excluded.app_type,
                callbacks = excluded.callbacks, allowed_logout_urls = excluded.allowed_logout_urls,
                grant_types = excluded.grant_types, token_endpoint_auth_method = excluded.token_endpoint_auth_method,
                secret_digest = excluded.secret_digest, refresh_token = excluded.refresh_token,
                allow_plain_pkce = excluded.allow_plain_pkce, updated_at = excluded.updated_at,
                is_first_party = excluded.is_first_party"
        );
        bind_client(sqlx::query(&sql), client, now)?
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn create_client(&self, client: &RegisteredClient, now: Timestamp) -> StoreResult<()> {
        bind_client(sqlx::query(INSERT_CLIENT), client, now)?
            .execute(self.pool())
            .await
            .map_err(conflict_as(&format!("client `{}`", client.client_id)))?;
        Ok(())
    }

    async fn list_clients(&self, page: Page) -> StoreResult<Listing<RegisteredClient>> {
        let rows =
            sqlx::query("SELECT * FROM clients ORDER BY created_at, client_id LIMIT $1 OFFSET $2")
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.pool())
                .await?;
        let items = rows
            .iter()
            .map(client_from_row)
            .collect::<StoreResult<_>>()?;
        Ok(Listing {
            items,
            total: count(self.pool(), "SELECT COUNT(*) FROM clients").await?,
        })
    }

    async fn delete_client(&self, client_id: &ClientId) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM client_grants WHERE client_id = $1")
            .bind(client_id.as_str())
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn client(&self, client_id: &ClientId) -> StoreResult<Option<RegisteredClient>> {
        let row = sqlx::query("SELECT * FROM clients WHERE client_id = $1")
            .bind(client_id.as_str())
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(client_from_row).transpose()
    }
}

const INSERT_API: &str =
    "INSERT INTO resource_servers (identifier, name, scopes, allow_offline_access, token_lifetime,
        signing_alg, created_at, updated_at, skip_consent_for_verifiable_first_party_clients)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)";

fn bind_api<'q>(
    query: Query<'q>,
    api: &'q ResourceServer,
    now: Timestamp,
) -> StoreResult<Query<'q>> {
    Ok(query
        .bind(&api.identifier)
        .bind(&api.name)
        .bind(to_json(&api.scopes)?)
        .bind(api.allow_offline_access)
        .bind(api.token_lifetime)
        .bind(&api.signing_alg)
        .bind(now.0)
        .bind(api.skip_consent_for_verifiable_first_party_clients))
}

#[async_trait]
impl ApiStore for Backend {
    async fn upsert_api(&self, api: &ResourceServer, now: Timestamp) -> StoreResult<()> {
        let sql = format!(
            "{INSERT_API} ON CONFLICT (identifier) DO UPDATE SET name = excluded.name, scopes = excluded.scopes,
                allow_offline_access = excluded.allow_offline_access, token_lifetime = excluded.token_lifetime,
                signing_alg = excluded.signing_alg, updated_at = excluded.updated_at,
                skip_consent_for_verifiable_first_party_clients = excluded.skip_consent_for_verifiable_first_party_clients"
        );
        bind_api(sqlx::query(&sql), api, now)?
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn create_api(&self, api: &ResourceServer, now: Timestamp) -> StoreResult<()> {
        bind_api(sqlx::query(INSERT_API), api, now)?
            .execute(self.pool())
            .await
            .map_err(conflict_as(&format!("API `{}`", api.identifier)))?;
        Ok(())
    }

    async fn list_apis(&self, page: Page) -> StoreResult<Listing<ResourceServer>> {
        let rows = sqlx::query(
            "SELECT * FROM resource_servers ORDER BY created_at, identifier LIMIT $1 OFFSET $2",
        )
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let items = rows.iter().map(api_from_row).collect::<StoreResult<_>>()?;
        Ok(Listing {
            items,
            total: count(self.pool(), "SELECT COUNT(*) FROM resource_servers").await?,
        })
    }

    async fn delete_api(&self, identifier: &str) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM client_grants WHERE audience = $1")
            .bind(identifier)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM resource_servers WHERE identifier = $1")
            .bind(identifier)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn api(&self, identifier: &str) -> StoreResult<Option<ResourceServer>> {
        let row = sqlx::query("SELECT * FROM resource_servers WHERE identifier = $1")
            .bind(identifier)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(api_from_row).transpose()
    }
}

/// Users whose username, email or name contains `$1` (all users when it is NULL), found with
/// [`Dialect::POSITION`].
fn user_matches(position: &str) -> String {
    format!(
        "(CAST($1 AS TEXT) IS NULL OR {position}(lower(username), lower($1)) > 0
            OR {position}(lower(email), lower($1)) > 0 OR {position}(lower(name), lower($1)) > 0)"
    )
}

#[async_trait]
impl UserStore for Backend {
    async fn upsert_user(&self, user: &NewUser, now: Timestamp) -> StoreResult<User> {
        let row = sqlx::query(
            "INSERT INTO users (user_id, username, email, name, password_hash, email_verified, blocked, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $7)
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
        .fetch_one(self.pool())
        .await?;
        user_from_row(&row)
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1 OR email = $1 LIMIT 1")
            .bind(login)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user(&self, user_id: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_user(&self, user: &NewUser, now: Timestamp) -> StoreResult<User> {
        let row = sqlx::query(
            "INSERT INTO users (user_id, username, email, name, password_hash, email_verified, blocked, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $7) RETURNING *",
        )
        .bind(&user.user_id)
        .bind(&user.username)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(user.email_verified)
        .bind(now.0)
        .fetch_one(self.pool())
        .await
        .map_err(conflict_as("a user with this username or email"))?;
        user_from_row(&row)
    }

    async fn update_user(&self, user: &User, now: Timestamp) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE users SET username = $2, email = $3, name = $4, password_hash = $5, email_verified = $6,
                blocked = $7, updated_at = $8 WHERE user_id = $1",
        )
        .bind(&user.user_id)
        .bind(&user.username)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(user.email_verified)
        .bind(user.blocked)
        .bind(now.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as("a user with this username or email"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_user(&self, user_id: &str) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM users WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn list_users(&self, page: Page, search: Option<&str>) -> StoreResult<Listing<User>> {
        let matches = user_matches(Self::POSITION);
        let rows = sqlx::query(&format!(
            "SELECT * FROM users WHERE {matches} ORDER BY username LIMIT $2 OFFSET $3"
        ))
        .bind(search)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users WHERE {matches}"))
            .bind(search)
            .fetch_one(self.pool())
            .await?;
        let items = rows.iter().map(user_from_row).collect::<StoreResult<_>>()?;
        Ok(Listing {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

#[async_trait]
impl SessionStore for Backend {
    async fn create_session(
        &self,
        digest: &SecretDigest,
        session: &Session,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (digest, sid, user_id, auth_time, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(&session.sid)
        .bind(&session.user_id)
        .bind(session.auth_time.0)
        .bind(now.0)
        .bind(session.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session(&self, digest: &SecretDigest, now: Timestamp) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT sid, user_id, auth_time, expires_at FROM sessions WHERE digest = $1 AND expires_at > $2")
            .bind(digest.as_bytes().as_slice())
            .bind(now.0)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn end_session(&self, digest: &SecretDigest) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "DELETE FROM sessions WHERE digest = $1 RETURNING sid, user_id, auth_time, expires_at",
        )
        .bind(digest.as_bytes().as_slice())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }
}

#[async_trait]
impl PendingAuthorizationStore for Backend {
    async fn create_pending(
        &self,
        pending: &PendingAuthorization,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pending_authorizations (id, request, browser_digest, user_id, auth_time, sid, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&pending.id)
        .bind(to_json(&pending.request)?)
        .bind(pending.browser_digest.as_bytes().as_slice())
        .bind(pending.login.as_ref().map(|login| login.user_id.clone()))
        .bind(pending.login.as_ref().map(|login| login.auth_time.0))
        .bind(pending.login.as_ref().map(|login| login.sid.clone()))
        .bind(now.0)
        .bind(pending.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn pending(&self, id: &str, now: Timestamp) -> StoreResult<Option<PendingAuthorization>> {
        let row =
            sqlx::query("SELECT * FROM pending_authorizations WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(now.0)
                .fetch_optional(self.readers())
                .await?;
        row.as_ref().map(pending_from_row).transpose()
    }

    async fn record_login(&self, id: &str, login: &Login) -> StoreResult<()> {
        sqlx::query("UPDATE pending_authorizations SET user_id = $2, auth_time = $3, sid = $4 WHERE id = $1")
            .bind(id)
            .bind(&login.user_id)
            .bind(login.auth_time.0)
            .bind(&login.sid)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn finish_pending(&self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM pending_authorizations WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }
}

#[async_trait]
impl ConsentStore for Backend {
    async fn consent(
        &self,
        user_id: &str,
        client_id: &ClientId,
        audience: Option<&str>,
    ) -> StoreResult<Option<ScopeSet>> {
        let row = sqlx::query(
            "SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2 AND audience = $3",
        )
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(audience.unwrap_or(""))
        .fetch_optional(self.readers())
        .await?;
        row.map(|row| scope_of(row.try_get("scope")?)).transpose()
    }

    async fn save_consent(
        &self,
        user_id: &str,
        client_id: &ClientId,
        audience: Option<&str>,
        scope: &ScopeSet,
        new_id: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (id, user_id, client_id, audience, scope, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (user_id, client_id, audience) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
        )
        .bind(new_id)
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(audience.unwrap_or(""))
        .bind(scope.to_string())
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn consents_of(&self, user_id: &str) -> StoreResult<Vec<Consent>> {
        let rows = sqlx::query("SELECT * FROM consents WHERE user_id = $1 ORDER BY created_at, id")
            .bind(user_id)
            .fetch_all(self.readers())
            .await?;
        rows.iter().map(consent_from_row).collect()
    }

    async fn delete_consent(&self, id: &str) -> StoreResult<Option<Consent>> {
        let row = sqlx::query("DELETE FROM consents WHERE id = $1 RETURNING *")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(consent_from_row).transpose()
    }
}

#[async_trait]
impl CodeStore for Backend {
    async fn insert_code(
        &self,
        digest: &SecretDigest,
        grant: &CodeGrant,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO authorization_codes (digest, grant_data, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(digest.as_bytes().as_slice())
            .bind(to_json(grant)?)
            .bind(now.0)
            .bind(grant.expires_at.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn consume_code(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
    ) -> StoreResult<CodeRedemption> {
        let row = sqlx::query(
            "UPDATE authorization_codes SET consumed_at = $2 WHERE digest = $1 AND consumed_at IS NULL RETURNING grant_data",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(now.0)
        .fetch_optional(self.pool())
        .await?;
        if let Some(row) = row {
            let grant = from_json(row.try_get("grant_data")?)?;
            return Ok(CodeRedemption::Redeemed(Box::new(grant)));
        }
        let used = sqlx::query("SELECT 1 FROM authorization_codes WHERE digest = $1")
            .bind(digest.as_bytes().as_slice())
            .fetch_optional(self.pool())
            .await?;
        Ok(if used.is_some() {
            CodeRedemption::AlreadyUsed
        } else {
            CodeRedemption::Unknown
        })
    }
}

/// Inserts a refresh token; [`bind_refresh`] binds `$1`–`$10`.
pub(super) const INSERT_REFRESH: &str =
    "INSERT INTO refresh_tokens (digest, family_id, client_id, user_id, scope, audience, auth_time,
        sid, family_created_at, created_at, last_used_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)";

/// Binds a refresh token's digest and grant, as `$1`–`$10`, to an insert of it.
pub(super) fn bind_refresh<'q>(
    query: Query<'q>,
    digest: &'q SecretDigest,
    grant: &'q RefreshGrant,
    now: Timestamp,
) -> Query<'q> {
    query
        .bind(digest.as_bytes().as_slice())
        .bind(&grant.family_id)
        .bind(grant.client_id.as_str())
        .bind(&grant.user_id)
        .bind(grant.scope.to_string())
        .bind(grant.audience.as_deref())
        .bind(grant.auth_time.0)
        .bind(grant.sid.as_deref())
        .bind(grant.family_created_at.0)
        .bind(now.0)
}

#[async_trait]
impl RefreshTokenStore for Backend {
    async fn insert_refresh_token(
        &self,
        digest: &SecretDigest,
        grant: &RefreshGrant,
        now: Timestamp,
    ) -> StoreResult<()> {
        bind_refresh(sqlx::query(INSERT_REFRESH), digest, grant, now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn refresh_token(&self, digest: &SecretDigest) -> StoreResult<Option<RefreshGrant>> {
        let row = sqlx::query("SELECT * FROM refresh_tokens WHERE digest = $1")
            .bind(digest.as_bytes().as_slice())
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(refresh_from_row).transpose()
    }

    async fn rotate_refresh_token(
        &self,
        old: &SecretDigest,
        new: &SecretDigest,
        grant: &RefreshGrant,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.rotate_refresh(old, new, grant, now).await
    }

    async fn touch_refresh_token(&self, digest: &SecretDigest, now: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE refresh_tokens SET last_used_at = $2 WHERE digest = $1")
            .bind(digest.as_bytes().as_slice())
            .bind(now.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn revoke_refresh_family(&self, family_id: &str, now: Timestamp) -> StoreResult<u64> {
        let result = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected())
    }

    async fn revoke_refresh_tokens_of(
        &self,
        user_id: &str,
        grant: Option<(&ClientId, Option<&str>)>,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let (client_id, audience) = match grant {
            Some((client_id, audience)) => (Some(client_id.as_str()), Some(audience.unwrap_or(""))),
            None => (None, None),
        };
        let result = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $4 WHERE user_id = $1 AND revoked_at IS NULL
                AND (CAST($2 AS TEXT) IS NULL OR client_id = $2)
                AND (CAST($3 AS TEXT) IS NULL OR COALESCE(audience, '') = $3)",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(audience)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected())
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait]
impl ClientGrantStore for Backend {
    async fn upsert_client_grant(
        &self,
        client_id: &ClientId,
        audience: &str,
        scope: &ScopeSet,
        now: Timestamp,
    ) -> StoreResult<()> {
        let id = format!(
            "cgr_{}",
            hex_of(&SecretDigest::of(&format!("{client_id}\u{0}{audience}")).as_bytes()[..8])
        );
        sqlx::query(
            "INSERT INTO client_grants (id, client_id, audience, scope, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (client_id, audience) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(client_id.as_str())
        .bind(audience)
        .bind(scope.to_string())
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn client_grant(
        &self,
        client_id: &ClientId,
        audience: &str,
    ) -> StoreResult<Option<ScopeSet>> {
        let row =
            sqlx::query("SELECT scope FROM client_grants WHERE client_id = $1 AND audience = $2")
                .bind(client_id.as_str())
                .bind(audience)
                .fetch_optional(self.readers())
                .await?;
        row.map(|row| scope_of(row.try_get("scope")?)).transpose()
    }

    async fn create_client_grant(&self, grant: &ClientGrant, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO client_grants (id, client_id, audience, scope, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&grant.id)
        .bind(grant.client_id.as_str())
        .bind(&grant.audience)
        .bind(grant.scope.to_string())
        .bind(now.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as(&format!("a client grant of `{}` for `{}`", grant.client_id, grant.audience)))?;
        Ok(())
    }

    async fn client_grant_by_id(&self, id: &str) -> StoreResult<Option<ClientGrant>> {
        let row = sqlx::query("SELECT * FROM client_grants WHERE id = $1")
            .bind(id)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(client_grant_from_row).transpose()
    }

    async fn list_client_grants(
        &self,
        client_id: Option<&ClientId>,
        audience: Option<&str>,
        page: Page,
    ) -> StoreResult<Listing<ClientGrant>> {
        const MATCHES: &str = "(CAST($1 AS TEXT) IS NULL OR client_id = $1)
            AND (CAST($2 AS TEXT) IS NULL OR audience = $2)";
        let client_id = client_id.map(ClientId::as_str);
        let rows = sqlx::query(&format!("SELECT * FROM client_grants WHERE {MATCHES} ORDER BY created_at, id LIMIT $3 OFFSET $4"))
            .bind(client_id)
            .bind(audience)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(self.pool())
            .await?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM client_grants WHERE {MATCHES}"
        ))
        .bind(client_id)
        .bind(audience)
        .fetch_one(self.pool())
        .await?;
        let items = rows
            .iter()
            .map(client_grant_from_row)
            .collect::<StoreResult<_>>()?;
        Ok(Listing {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn update_client_grant(
        &self,
        id: &str,
        scope: &ScopeSet,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let result =
            sqlx::query("UPDATE client_grants SET scope = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(scope.to_string())
                .bind(now.0)
                .execute(self.pool())
                .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_client_grant(&self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM client_grants WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }
}

#[async_trait]
impl KeyStore for Backend {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_key, created_at, revoked_at FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at, kid",
        )
        .fetch_all(self.readers())
        .await?;
        rows.iter().map(signing_key_from_row).collect()
    }

    async fn all_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_key, created_at, revoked_at FROM signing_keys ORDER BY created_at, kid",
        )
        .fetch_all(self.readers())
        .await?;
        rows.iter().map(signing_key_from_row).collect()
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_key, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kid) DO NOTHING",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.private_key)
        .bind(key.created_at.0)
        .bind(key.revoked_at.map(|t| t.0))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn revoke_signing_key(&self, kid: &str, now: Timestamp) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE signing_keys SET revoked_at = $2 WHERE kid = $1 AND revoked_at IS NULL",
        )
        .bind(kid)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn replace_signing_key_material(
        &self,
        kid: &str,
        old: &[u8],
        new: &[u8],
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE signing_keys SET private_key = $3 WHERE kid = $1 AND private_key = $2",
        )
        .bind(kid)
        .bind(old)
        .bind(new)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }
}

/// What housekeeping deletes: `$1` is now, `$2` the revocation cutoff, `$3` the batch size.
const EXPIRED: [(&str, &str); 5] = [
    ("authorization_codes", "expires_at <= $1"),
    ("sessions", "expires_at <= $1"),
    ("pending_authorizations", "expires_at <= $1"),
    ("refresh_tokens", "revoked_at < $2"),
    ("admin_sessions", "expires_at <= $1"),
];

#[async_trait]
impl Housekeeping for Backend {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    async fn purge_expired(
        &self,
        now: Timestamp,
        revoked_before: Timestamp,
        batch: i64,
    ) -> StoreResult<u64> {
        let mut purged = 0;
        for (table, condition) in EXPIRED {
            let sql = Self::batch_delete(table, condition, "$3");
            let result = sqlx::query(&sql)
                .bind(now.0)
                .bind(revoked_before.0)
                .bind(batch)
                .execute(self.pool())
                .await?;
            purged += result.rows_affected();
        }
        Ok(purged)
    }
}

#[async_trait]
impl AdminStore for Backend {
    async fn create_admin(&self, admin: &Admin) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO admins (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&admin.username)
        .bind(&admin.password_hash)
        .bind(admin.role.as_str())
        .bind(admin.created_at.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as("admin"))?;
        Ok(())
    }

    async fn admin(&self, username: &str) -> StoreResult<Option<Admin>> {
        let row = sqlx::query(
            "SELECT username, password_hash, role, created_at FROM admins WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.readers())
        .await?;
        row.as_ref().map(admin_from_row).transpose()
    }

    async fn list_admins(&self) -> StoreResult<Vec<Admin>> {
        let rows = sqlx::query(
            "SELECT username, password_hash, role, created_at FROM admins ORDER BY username",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(admin_from_row).collect()
    }

    async fn create_admin_session(
        &self,
        digest: &SecretDigest,
        session: &AdminSession,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO admin_sessions (digest, username, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(&session.username)
        .bind(now.0)
        .bind(session.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn admin_session(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
    ) -> StoreResult<Option<AdminSession>> {
        let row = sqlx::query(
            "SELECT username, expires_at FROM admin_sessions WHERE digest = $1 AND expires_at > $2",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(now.0)
        .fetch_optional(self.readers())
        .await?;
        row.map(|row| -> StoreResult<AdminSession> {
            Ok(AdminSession {
                username: row.try_get("username")?,
                expires_at: Timestamp(row.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    async fn end_admin_session(&self, digest: &SecretDigest) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM admin_sessions WHERE digest = $1")
            .bind(digest.as_bytes().as_slice())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
/// Stale login failures: `$1` is the cutoff, `$2` the batch size.
const STALE_LOGIN_FAILURES: [(&str, &str); 2] = [
    ("login_failures", "last_failed_at <= $1"),
    ("ip_login_failures", "window_started_at <= $1"),
];

#[async_trait]
impl LoginAttemptStore for Backend {
    async fn record_login_failure(
        &self,
        account: &str,
        ip: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<u32> {
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (account, ip, failures, last_failed_at) VALUES ($1, $2, 1, $3)
             ON CONFLICT (account, ip) DO UPDATE SET
                failures = CASE WHEN login_failures.last_failed_at <= $4 THEN 1 ELSE login_failures.failures + 1 END,
                last_failed_at = excluded.last_failed_at
             RETURNING failures",
        )
        .bind(account)
        .bind(ip)
        .bind(now.0)
        .bind(stale_before.0)
        .fetch_one(self.pool())
        .await?;
        Ok(count_of(failures))
    }

    async fn login_failures(&self, account: &str, ip: &str, since: Timestamp) -> StoreResult<u32> {
        let failures: Option<i64> = sqlx::query_scalar(
            "SELECT failures FROM login_failures WHERE account = $1 AND ip = $2 AND last_failed_at > $3",
        )
        .bind(account)
        .bind(ip)
        .bind(since.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(failures.map_or(0, count_of))
    }

    async fn clear_login_failures(&self, account: &str, ip: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE account = $1 AND ip = $2")
            .bind(account)
            .bind(ip)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn blocked_ips(
        &self,
        account: &str,
        threshold: u32,
        since: Timestamp,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT ip FROM login_failures WHERE account = $1 AND failures >= $2 AND last_failed_at > $3 ORDER BY ip",
        )
        .bind(account)
        .bind(i64::from(threshold))
        .bind(since.0)
        .fetch_all(self.pool())
        .await?)
    }

    async fn clear_account_failures(&self, account: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM login_failures WHERE account = $1")
            .bind(account)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    async fn record_ip_failure(
        &self,
        ip: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<u32> {
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO ip_login_failures (ip, failures, window_started_at) VALUES ($1, 1, $2)
             ON CONFLICT (ip) DO UPDATE SET
                failures = CASE WHEN ip_login_failures.window_started_at <= $3 THEN 1 ELSE ip_login_failures.failures + 1 END,
                window_started_at = CASE WHEN ip_login_failures.window_started_at <= $3 THEN excluded.window_started_at ELSE ip_login_failures.window_started_at END
             RETURNING failures",
        )
        .bind(ip)
        .bind(now.0)
        .bind(stale_before.0)
        .fetch_one(self.pool())
        .await?;
        Ok(count_of(failures))
    }

    async fn ip_failures(&self, ip: &str, since: Timestamp) -> StoreResult<u32> {
        let failures: Option<i64> = sqlx::query_scalar(
            "SELECT failures FROM ip_login_failures WHERE ip = $1 AND window_started_at > $2",
        )
        .bind(ip)
        .bind(since.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(failures.map_or(0, count_of))
    }

    async fn purge_login_failures(&self, before: Timestamp, batch: i64) -> StoreResult<u64> {
        let mut purged = 0;
        for (table, condition) in STALE_LOGIN_FAILURES {
            let sql = Self::batch_delete(table, condition, "$2");
            let result = sqlx::query(&sql)
                .bind(before.0)
                .bind(batch)
                .execute(self.pool())
                .await?;
            purged += result.rows_affected();
        }
        Ok(purged)
    }
}

const LOG_MATCHES: &str = "(CAST($1 AS TEXT) IS NULL OR user_id = $1)
    AND (CAST($2 AS TEXT) IS NULL OR client_id = $2) AND (CAST($3 AS TEXT) IS NULL OR type = $3)";

#[async_trait]
impl AuditLogStore for Backend {
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        // Many rows per statement: one statement per event costs more than the rows themselves.
        for chunk in events.chunks(Self::LOG_ROWS_PER_INSERT) {
            let details = chunk
                .iter()
                .map(|event| to_json(&event.details))
                .collect::<StoreResult<Vec<String>>>()?;
            let mut insert = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO log_events (log_id, date, type, description, client_id, client_name, ip,
                    user_agent, user_id, user_name, details) ",
            );
            insert.push_values(chunk.iter().zip(&details), |mut row, (event, details)| {
                row.push_bind(&event.log_id)
                    .push_bind(event.date.0)
                    .push_bind(&event.event_type)
                    .push_bind(&event.description)
                    .push_bind(event.client_id.as_deref())
                    .push_bind(event.client_name.as_deref())
                    .push_bind(event.ip.as_deref())
                    .push_bind(event.user_agent.as_deref())
                    .push_bind(event.user_id.as_deref())
                    .push_bind(event.user_name.as_deref())
                    .push_bind(details.as_str());
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn log_event(&self, log_id: &str) -> StoreResult<Option<LogEvent>> {
        let row = sqlx::query("SELECT * FROM log_events WHERE log_id = $1")
            .bind(log_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(log_event_from_row).transpose()
    }

    async fn list_log_events(
        &self,
        filter: &LogFilter,
        page: Page,
    ) -> StoreResult<Listing<LogEvent>> {
        let order = if filter.newest_first {
            "date DESC, log_id DESC"
        } else {
            "date, log_id"
        };
        let rows = sqlx::query(&format!(
            "SELECT * FROM log_events WHERE {LOG_MATCHES} ORDER BY {order} LIMIT $4 OFFSET $5"
        ))
        .bind(filter.user_id.as_deref())
        .bind(filter.client_id.as_deref())
        .bind(filter.event_type.as_deref())
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM log_events WHERE {LOG_MATCHES}"
        ))
        .bind(filter.user_id.as_deref())
        .bind(filter.client_id.as_deref())
        .bind(filter.event_type.as_deref())
        .fetch_one(self.pool())
        .await?;
        let items = rows
            .iter()
            .map(log_event_from_row)
            .collect::<StoreResult<_>>()?;
        Ok(Listing {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn purge_log_events(&self, before: Timestamp, batch: i64) -> StoreResult<u64> {
        let sql = Self::batch_delete("log_events", "date < $1", "$2");
        let result = sqlx::query(&sql)
            .bind(before.0)
            .bind(batch)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }
}
