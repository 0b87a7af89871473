//! Device authorizations (RFC 8628): created at `/oauth/device/code`, decided through the
//! hosted pages, polled and finished at the token endpoint.

use super::*;

const COLUMNS: &str = "user_code, client_id, scope, audience, binding, code_verifier, decision,
    grant_data, created_at, expires_at, polling_interval, last_polled_at";

fn device_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<DeviceAuthorization> {
    let decision: String = row.try_get("decision")?;
    let grant: Option<String> = row.try_get("grant_data")?;
    Ok(DeviceAuthorization {
        user_code: row.try_get("user_code")?,
        client_id: ClientId(row.try_get("client_id")?),
        scope: scope_of(row.try_get("scope")?)?,
        audience: row.try_get("audience")?,
        binding: row.try_get("binding")?,
        code_verifier: row.try_get("code_verifier")?,
        decision: Decision::parse(&decision)
            .ok_or_else(|| corrupt(format!("device decision `{decision}`")))?,
        grant: grant.as_deref().map(from_json).transpose()?,
        created_at: Timestamp(row.try_get("created_at")?),
        expires_at: Timestamp(row.try_get("expires_at")?),
        interval: row.try_get("polling_interval")?,
        last_polled_at: row
            .try_get::<Option<i64>, _>("last_polled_at")?
            .map(Timestamp),
    })
}

impl Backend {
    async fn device_where(
        &self,
        condition: &str,
        value: &[u8],
    ) -> StoreResult<Option<DeviceAuthorization>> {
        let sql = format!("SELECT {COLUMNS} FROM device_authorizations WHERE {condition}");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(device_from_row).transpose()
    }

    async fn device_by_text(
        &self,
        column: &str,
        value: &str,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        let sql = format!("SELECT {COLUMNS} FROM device_authorizations WHERE {column} = $1");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(device_from_row).transpose()
    }
}

#[async_trait]
impl DeviceStore for Backend {
    async fn create_device_authorization(
        &self,
        digest: &SecretDigest,
        device: &DeviceAuthorization,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO device_authorizations (digest, user_code, client_id, scope, audience,
                binding, code_verifier, decision, grant_data, created_at, expires_at,
                polling_interval, last_polled_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11, NULL)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(&device.user_code)
        .bind(device.client_id.as_str())
        .bind(device.scope.to_string())
        .bind(device.audience.as_deref())
        .bind(&device.binding)
        .bind(&device.code_verifier)
        .bind(device.decision.as_str())
        .bind(device.created_at.0)
        .bind(device.expires_at.0)
        .bind(device.interval)
        .execute(self.pool())
        .await
        .map_err(conflict_as("user code"))?;
        Ok(())
    }

    async fn device_by_code(
        &self,
        digest: &SecretDigest,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        self.device_where("digest = $1", digest.as_bytes()).await
    }

    async fn device_by_user_code(
        &self,
        user_code: &str,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        self.device_by_text("user_code", user_code).await
    }

    async fn device_by_binding(&self, binding: &str) -> StoreResult<Option<DeviceAuthorization>> {
        self.device_by_text("binding", binding).await
    }

    async fn record_device_poll(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
        interval: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE device_authorizations SET last_polled_at = $2, polling_interval = $3 WHERE digest = $1",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(now.0)
        .bind(interval)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn decide_device(
        &self,
        binding: &str,
        decision: Decision,
        grant: Option<&CodeGrant>,
    ) -> StoreResult<bool> {
        let grant = grant.map(to_json).transpose()?;
        let result = sqlx::query(
            "UPDATE device_authorizations SET decision = $2, grant_data = $3
             WHERE binding = $1 AND decision = 'pending'",
        )
        .bind(binding)
        .bind(decision.as_str())
        .bind(grant)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn finish_device(&self, digest: &SecretDigest) -> StoreResult<bool> {
        let result = sqlx::query(
            "DELETE FROM device_authorizations WHERE digest = $1 AND decision <> 'pending'",
        )
        .bind(digest.as_bytes().as_slice())
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }
}
