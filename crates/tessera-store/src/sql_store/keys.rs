//! Signing keys.

use super::*;

#[async_trait]
impl KeyStore for Backend {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_key, created_at, activated_at, revoked_at FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at, kid",
        )
        .fetch_all(self.readers())
        .await?;
        rows.iter().map(signing_key_from_row).collect()
    }

    async fn all_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_key, created_at, activated_at, revoked_at FROM signing_keys ORDER BY created_at, kid",
        )
        .fetch_all(self.readers())
        .await?;
        rows.iter().map(signing_key_from_row).collect()
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_key, created_at, revoked_at, activated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kid) DO NOTHING",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.private_key)
        .bind(key.created_at.0)
        .bind(key.revoked_at.map(|t| t.0))
        .bind(key.activated_at.map(|t| t.0))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn activate_signing_key(&self, kid: &str, at: Timestamp) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE signing_keys SET activated_at = $2 WHERE kid = $1 AND activated_at IS NULL AND revoked_at IS NULL",
        )
        .bind(kid)
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
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
