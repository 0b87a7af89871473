//! The factors users enrolled for multi-factor authentication.

use super::*;
use crate::{Authenticator, AuthenticatorKind, ImportedTotp, MfaStore, StoreError};

fn authenticator_of(row: &<Db as sqlx::Database>::Row) -> StoreResult<Authenticator> {
    let kind: String = row.try_get("kind")?;
    Ok(Authenticator {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: AuthenticatorKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("authenticator kind {kind}")))?,
        secret: row.try_get("secret")?,
        credential_id: row.try_get("credential_id")?,
        name: row.try_get("name")?,
        confirmed: row.try_get("confirmed")?,
        created_at: Timestamp(row.try_get("created_at")?),
        last_auth_at: row
            .try_get::<Option<i64>, _>("last_auth_at")?
            .map(Timestamp),
        last_step: row.try_get("last_step")?,
    })
}

fn insert(authenticator: &Authenticator) -> Query<'_> {
    sqlx::query(
        "INSERT INTO authenticators (id, user_id, kind, secret, name, confirmed, created_at,
            last_auth_at, last_step, credential_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&authenticator.id)
    .bind(&authenticator.user_id)
    .bind(authenticator.kind.as_str())
    .bind(&authenticator.secret)
    .bind(&authenticator.name)
    .bind(authenticator.confirmed)
    .bind(authenticator.created_at.0)
    .bind(authenticator.last_auth_at.map(|t| t.0))
    .bind(authenticator.last_step)
    .bind(&authenticator.credential_id)
}

/// Gives `user_id` the imported authenticator app `totp`, confirmed, on the connection of an
/// import batch's transaction — unless they have a confirmed one: an upsert never replaces a
/// factor the user enrolled. As `begin_enrollment`, it drops the user's unfinished enrollment,
/// which it supersedes. False when they kept theirs.
pub(super) async fn import_totp(
    conn: &mut <Db as sqlx::Database>::Connection,
    user_id: &str,
    totp: &ImportedTotp,
    now: Timestamp,
) -> StoreResult<bool> {
    let kind = AuthenticatorKind::Totp;
    let has_app: Option<String> = sqlx::query_scalar(
        "SELECT id FROM authenticators WHERE user_id = $1 AND kind = $2 AND confirmed = $3
         LIMIT 1",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(true)
    .fetch_optional(&mut *conn)
    .await?;
    if has_app.is_some() {
        return Ok(false);
    }
    sqlx::query("DELETE FROM authenticators WHERE user_id = $1 AND kind = $2 AND confirmed = $3")
        .bind(user_id)
        .bind(kind.as_str())
        .bind(false)
        .execute(&mut *conn)
        .await?;
    let authenticator = Authenticator {
        id: totp.id.clone(),
        user_id: user_id.to_owned(),
        kind,
        secret: totp.secret.clone(),
        credential_id: None,
        name: None,
        confirmed: true,
        created_at: now,
        last_auth_at: None,
        last_step: None,
    };
    insert(&authenticator).execute(&mut *conn).await?;
    Ok(true)
}

#[async_trait]
impl MfaStore for Backend {
    async fn authenticators(&self, user_id: &str) -> StoreResult<Vec<Authenticator>> {
        let rows =
            sqlx::query("SELECT * FROM authenticators WHERE user_id = $1 ORDER BY created_at, id")
                .bind(user_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(authenticator_of).collect()
    }

    async fn begin_enrollment(&self, authenticator: &Authenticator) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "DELETE FROM authenticators WHERE user_id = $1 AND kind = $2 AND confirmed = $3",
        )
        .bind(&authenticator.user_id)
        .bind(authenticator.kind.as_str())
        .bind(false)
        .execute(&mut *tx)
        .await?;
        insert(authenticator).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn confirm_enrollment(
        &self,
        user_id: &str,
        id: &str,
        step: i64,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE authenticators SET confirmed = $3, last_step = $4, last_auth_at = $5
             WHERE id = $1 AND user_id = $2 AND confirmed = $6",
        )
        .bind(id)
        .bind(user_id)
        .bind(true)
        .bind(step)
        .bind(now.0)
        .bind(false)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn accept_totp_step(&self, id: &str, step: i64, now: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE authenticators SET last_step = $2, last_auth_at = $3
             WHERE id = $1 AND confirmed = $4 AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(id)
        .bind(step)
        .bind(now.0)
        .bind(true)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn save_recovery_code(&self, code: &Authenticator) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM authenticators WHERE user_id = $1 AND kind = $2")
            .bind(&code.user_id)
            .bind(AuthenticatorKind::RecoveryCode.as_str())
            .execute(&mut *tx)
            .await?;
        insert(code).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn redeem_recovery_code(&self, user_id: &str, digest: &[u8]) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM authenticators WHERE user_id = $1 AND kind = $2 AND secret = $3",
        )
        .bind(user_id)
        .bind(AuthenticatorKind::RecoveryCode.as_str())
        .bind(digest)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn add_passkey(&self, passkey: &Authenticator) -> StoreResult<bool> {
        match insert(passkey)
            .execute(self.pool())
            .await
            .map_err(conflict_as("passkey"))
        {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn passkey(&self, credential_id: &str) -> StoreResult<Option<Authenticator>> {
        let row =
            sqlx::query("SELECT * FROM authenticators WHERE credential_id = $1 AND kind = $2")
                .bind(credential_id)
                .bind(AuthenticatorKind::Passkey.as_str())
                .fetch_optional(self.pool())
                .await?;
        row.as_ref().map(authenticator_of).transpose()
    }

    async fn record_passkey_use(
        &self,
        id: &str,
        previous: &[u8],
        updated: &[u8],
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE authenticators SET secret = $3, last_auth_at = $4
             WHERE id = $1 AND secret = $2",
        )
        .bind(id)
        .bind(previous)
        .bind(updated)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_authenticator(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM authenticators WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_authenticators(&self, user_id: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM authenticators WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
