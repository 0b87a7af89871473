//! Applications (clients) and APIs (resource servers).

use super::*;

const INSERT_CLIENT: &str = "INSERT INTO clients (client_id, name, app_type, callbacks, allowed_logout_urls, grant_types,
        token_endpoint_auth_method, secret_digest, refresh_token, allow_plain_pkce, created_at, updated_at, is_first_party,
        web_origins, allowed_origins, require_pushed_authorization_requests, require_proof_of_possession,
        logo_uri)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17)";

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
        .bind(client.is_first_party)
        .bind(to_json(&client.web_origins)?)
        .bind(to_json(&client.allowed_origins)?)
        .bind(client.require_pushed_authorization_requests)
        .bind(client.require_proof_of_possession)
        .bind(client.logo_uri.as_deref()))
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
                is_first_party = excluded.is_first_party, web_origins = excluded.web_origins,
                allowed_origins = excluded.allowed_origins,
                require_pushed_authorization_requests = excluded.require_pushed_authorization_requests,
                require_proof_of_possession = excluded.require_proof_of_possession,
                logo_uri = excluded.logo_uri"
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
        signing_alg, created_at, updated_at, skip_consent_for_verifiable_first_party_clients, id,
        enforce_policies, token_dialect, pop_mechanism, pop_required)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13)";

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
        .bind(api.skip_consent_for_verifiable_first_party_clients)
        .bind(&api.id)
        .bind(api.rbac.enforce_policies)
        .bind(api.rbac.token_dialect.as_str())
        .bind(api.proof_of_possession.map(|pop| pop.mechanism.as_str()))
        .bind(api.proof_of_possession.is_some_and(|pop| pop.required)))
}

#[async_trait]
impl ApiStore for Backend {
    async fn upsert_api(&self, api: &ResourceServer, now: Timestamp) -> StoreResult<()> {
        let sql = format!(
            "{INSERT_API} ON CONFLICT (identifier) DO UPDATE SET name = excluded.name, scopes = excluded.scopes,
                allow_offline_access = excluded.allow_offline_access, token_lifetime = excluded.token_lifetime,
                signing_alg = excluded.signing_alg, updated_at = excluded.updated_at,
                skip_consent_for_verifiable_first_party_clients = excluded.skip_consent_for_verifiable_first_party_clients,
                enforce_policies = excluded.enforce_policies, token_dialect = excluded.token_dialect,
                pop_mechanism = excluded.pop_mechanism, pop_required = excluded.pop_required"
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

    async fn api_signing_algorithms(&self) -> StoreResult<Vec<String>> {
        let algorithms =
            sqlx::query_scalar("SELECT DISTINCT signing_alg FROM resource_servers ORDER BY 1")
                .fetch_all(self.readers())
                .await?;
        Ok(algorithms)
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

    async fn api_by_id(&self, id_or_identifier: &str) -> StoreResult<Option<ResourceServer>> {
        let row = sqlx::query(
            "SELECT * FROM resource_servers WHERE id = $1 OR identifier = $1 ORDER BY id = $1 DESC LIMIT 1",
        )
        .bind(id_or_identifier)
        .fetch_optional(self.readers())
        .await?;
        row.as_ref().map(api_from_row).transpose()
    }
}
