//! Authorization codes and refresh tokens, consumed and rotated atomically; the deny list of
//! access tokens; DPoP proofs already presented.

use super::*;

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

/// Inserts a refresh token; [`bind_refresh`] binds `$1`–`$12`.
pub(in super::super) const INSERT_REFRESH: &str =
    "INSERT INTO refresh_tokens (digest, family_id, client_id, user_id, scope, audience, auth_time,
        sid, family_created_at, created_at, last_used_at, expires_at, dpop_jkt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)";

/// Binds a refresh token's digest and grant, as `$1`–`$12`, to an insert of it.
pub(in super::super) fn bind_refresh<'q>(
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
        .bind(grant.expires_at.map(|at| at.0))
        .bind(grant.dpop_jkt.as_deref())
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

    async fn touch_refresh_token(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
        expires_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE refresh_tokens SET last_used_at = $2, expires_at = $3 WHERE digest = $1",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(now.0)
        .bind(expires_at.map(|at| at.0))
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

#[async_trait]
impl RevocationStore for Backend {
    async fn revoke_access(&self, revocation: &AccessRevocation) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO access_revocations (kind, subject, revoked_at, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kind, subject) DO UPDATE SET
                revoked_at = CASE WHEN excluded.revoked_at > access_revocations.revoked_at
                    THEN excluded.revoked_at ELSE access_revocations.revoked_at END,
                expires_at = CASE WHEN excluded.expires_at > access_revocations.expires_at
                    THEN excluded.expires_at ELSE access_revocations.expires_at END",
        )
        .bind(revocation.kind.as_str())
        .bind(&revocation.subject)
        .bind(revocation.revoked_at.0)
        .bind(revocation.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn access_revocations(&self, now: Timestamp) -> StoreResult<Vec<AccessRevocation>> {
        let rows = sqlx::query(
            "SELECT kind, subject, revoked_at, expires_at FROM access_revocations WHERE expires_at > $1",
        )
        .bind(now.0)
        .fetch_all(self.readers())
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(AccessRevocation {
                    kind: Revoked::parse(&kind)
                        .ok_or_else(|| corrupt(format!("unknown revocation kind `{kind}`")))?,
                    subject: row.try_get("subject")?,
                    revoked_at: Timestamp(row.try_get("revoked_at")?),
                    expires_at: Timestamp(row.try_get("expires_at")?),
                })
            })
            .collect()
    }
}

#[async_trait]
impl OneTimeStore for Backend {
    /// RFC 9449 §11.1: one statement, so of racing callers exactly one inserts (or takes over
    /// an expired row); the others find an unexpired row and change nothing.
    async fn first_use(
        &self,
        digest: &SecretDigest,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let recorded = sqlx::query(
            "INSERT INTO dpop_proofs (digest, expires_at) VALUES ($1, $2)
             ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at
             WHERE dpop_proofs.expires_at <= $3",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(expires_at.0)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(recorded.rows_affected() == 1)
    }
}
