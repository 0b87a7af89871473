//! Machine-to-machine client grants.

use super::*;

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
