//! Connections, the applications they serve, and users' identities at them.

use super::*;
use crate::{
    Connection, ConnectionStore, Identity, IdentityStore, JsonObject, NewIdentity,
    DATABASE_CONNECTION,
};

pub(super) const SELECT_CONNECTION: &str =
    "SELECT id, name, display_name, strategy, options, sealed_secret, created_at FROM connections";

pub(super) fn connection_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Connection> {
    let options: String = row.try_get("options")?;
    Ok(Connection {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        strategy: row.try_get("strategy")?,
        options: from_json(&options)?,
        sealed_secret: row.try_get("sealed_secret")?,
        created_at: Timestamp(row.try_get("created_at")?),
    })
}

const SELECT_IDENTITY: &str =
    "SELECT i.connection_id, c.name AS connection_name, c.strategy, i.upstream_id, i.user_id,
        i.profile, i.created_at
     FROM user_identities i JOIN connections c ON c.id = i.connection_id";

fn identity_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Identity> {
    let profile: String = row.try_get("profile")?;
    Ok(Identity {
        connection_id: row.try_get("connection_id")?,
        connection_name: row.try_get("connection_name")?,
        strategy: row.try_get("strategy")?,
        upstream_id: row.try_get("upstream_id")?,
        user_id: row.try_get("user_id")?,
        profile: from_json(&profile)?,
        created_at: Timestamp(row.try_get("created_at")?),
    })
}

#[async_trait]
impl ConnectionStore for Backend {
    async fn connections(&self) -> StoreResult<Vec<Connection>> {
        let sql = format!("{SELECT_CONNECTION} ORDER BY (name <> '{DATABASE_CONNECTION}'), name");
        let rows = sqlx::query(&sql).fetch_all(self.readers()).await?;
        rows.iter().map(connection_from_row).collect()
    }

    async fn connection(&self, id: &str) -> StoreResult<Option<Connection>> {
        let sql = format!("{SELECT_CONNECTION} WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(connection_from_row).transpose()
    }

    async fn connection_named(&self, name: &str) -> StoreResult<Option<Connection>> {
        let sql = format!("{SELECT_CONNECTION} WHERE name = $1");
        let row = sqlx::query(&sql)
            .bind(name)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(connection_from_row).transpose()
    }

    async fn create_connection(&self, connection: &Connection) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO connections (id, name, display_name, strategy, options, sealed_secret,
                created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&connection.id)
        .bind(&connection.name)
        .bind(&connection.display_name)
        .bind(&connection.strategy)
        .bind(to_json(&connection.options)?)
        .bind(&connection.sealed_secret)
        .bind(connection.created_at.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as("a connection with this name"))?;
        Ok(())
    }

    async fn update_connection(&self, connection: &Connection) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE connections SET display_name = $2, options = $3, sealed_secret = $4
             WHERE id = $1",
        )
        .bind(&connection.id)
        .bind(&connection.display_name)
        .bind(to_json(&connection.options)?)
        .bind(&connection.sealed_secret)
        .execute(self.pool())
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn delete_connection(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        // A user whose own id names this connection goes with it (Auth0 deletes a
        // connection's users); identities of it linked to other users go by the cascade.
        sqlx::query(
            "DELETE FROM users WHERE user_id IN (
                SELECT i.user_id FROM user_identities i JOIN connections c
                    ON c.id = i.connection_id
                WHERE i.connection_id = $1
                  AND i.user_id LIKE c.strategy || '|%' AND i.user_id LIKE '%|' || i.upstream_id)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query(&format!(
            "DELETE FROM connections WHERE id = $1 AND name <> '{DATABASE_CONNECTION}'"
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn enabled_clients(&self, connection_id: &str) -> StoreResult<Vec<String>> {
        let clients = sqlx::query_scalar(
            "SELECT client_id FROM connection_clients WHERE connection_id = $1 ORDER BY client_id",
        )
        .bind(connection_id)
        .fetch_all(self.readers())
        .await?;
        Ok(clients)
    }

    async fn set_enabled_clients(
        &self,
        connection_id: &str,
        changes: &[(String, bool)],
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for (client_id, enabled) in changes {
            let sql = if *enabled {
                "INSERT INTO connection_clients (connection_id, client_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM connection_clients WHERE connection_id = $1 AND client_id = $2"
            };
            sqlx::query(sql)
                .bind(connection_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn connections_of_client(&self, client_id: &str) -> StoreResult<Vec<Connection>> {
        let sql = format!(
            "{SELECT_CONNECTION} WHERE id IN (
                SELECT connection_id FROM connection_clients WHERE client_id = $1)
             ORDER BY name"
        );
        let rows = sqlx::query(&sql)
            .bind(client_id)
            .fetch_all(self.readers())
            .await?;
        rows.iter().map(connection_from_row).collect()
    }
}

#[async_trait]
impl IdentityStore for Backend {
    async fn identity(
        &self,
        connection_id: &str,
        upstream_id: &str,
    ) -> StoreResult<Option<Identity>> {
        let sql = format!("{SELECT_IDENTITY} WHERE i.connection_id = $1 AND i.upstream_id = $2");
        let row = sqlx::query(&sql)
            .bind(connection_id)
            .bind(upstream_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    async fn identities_of(&self, user_id: &str) -> StoreResult<Vec<Identity>> {
        let sql = format!("{SELECT_IDENTITY} WHERE i.user_id = $1 ORDER BY i.created_at, c.name");
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(self.readers())
            .await?;
        rows.iter().map(identity_from_row).collect()
    }

    async fn create_federated_user(
        &self,
        user: &NewUser,
        identity: &NewIdentity,
        now: Timestamp,
    ) -> StoreResult<User> {
        let mut tx = self.pool().begin().await?;
        let sql = format!("{} RETURNING *", super::users::INSERT_USER);
        let row = super::users::bind_user(sqlx::query(&sql), user)?
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_as("a user with this id"))?;
        sqlx::query(
            "INSERT INTO user_identities (connection_id, upstream_id, user_id, profile, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&identity.connection_id)
        .bind(&identity.upstream_id)
        .bind(&user.user_id)
        .bind(to_json(&identity.profile)?)
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(conflict_as("this identity"))?;
        tx.commit().await?;
        user_from_row(&row)
    }

    async fn link_user(&self, primary: &str, secondary: &str) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let present: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE user_id IN ($1, $2)")
                .bind(primary)
                .bind(secondary)
                .fetch_one(&mut *tx)
                .await?;
        if present != 2 {
            return Ok(false);
        }
        sqlx::query("UPDATE user_identities SET user_id = $1 WHERE user_id = $2")
            .bind(primary)
            .bind(secondary)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE user_id = $1")
            .bind(secondary)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn unlink_identity(
        &self,
        from: &str,
        connection_id: &str,
        upstream_id: &str,
        restored: &NewUser,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let sql = format!("{} RETURNING user_id", super::users::INSERT_USER);
        super::users::bind_user(sqlx::query(&sql), restored)?
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_as("a user with this id"))?;
        let moved = sqlx::query(
            "UPDATE user_identities SET user_id = $1
             WHERE connection_id = $2 AND upstream_id = $3 AND user_id = $4",
        )
        .bind(&restored.user_id)
        .bind(connection_id)
        .bind(upstream_id)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn update_identity_profile(
        &self,
        connection_id: &str,
        upstream_id: &str,
        profile: &JsonObject,
    ) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE user_identities SET profile = $3 WHERE connection_id = $1 AND upstream_id = $2",
        )
        .bind(connection_id)
        .bind(upstream_id)
        .bind(to_json(profile)?)
        .execute(self.pool())
        .await?;
        Ok(updated.rows_affected() == 1)
    }
}
