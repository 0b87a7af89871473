//! End users, and the Dashboard's administrators and their sessions.

use super::*;

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
