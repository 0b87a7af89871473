//! Roles, their permissions and members, and users' own permissions.

use std::collections::BTreeMap;

use super::*;
use crate::{HeldPermission, Holder, Permission, PermissionSource, Role, RoleMember, RoleStore};

fn role_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Role> {
    Ok(Role {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        created_at: Timestamp(row.try_get("created_at")?),
        updated_at: Timestamp(row.try_get("updated_at")?),
    })
}

fn permission_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Permission> {
    Ok(Permission {
        resource_server_identifier: row.try_get("resource_server_identifier")?,
        permission_name: row.try_get("permission_name")?,
    })
}

/// `text` as a LIKE pattern that matches it anywhere, its wildcards taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn listing<T>(items: Vec<T>, total: i64) -> Listing<T> {
    Listing {
        items,
        total: u64::try_from(total).unwrap_or(0),
    }
}

/// Runs `sql` once per item of `rows` (its two or three binds), all in one transaction.
async fn write_each<'a>(
    backend: &Backend,
    sql: &str,
    rows: impl Iterator<Item = [&'a str; 3]>,
    binds: usize,
) -> StoreResult<()> {
    let mut tx = backend.pool().begin().await?;
    for row in rows {
        let mut query = sqlx::query(sql);
        for value in row.iter().take(binds) {
            query = query.bind(*value);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The table of `holder`'s own permissions, its key column, and the key.
fn holder_table(holder: Holder<'_>) -> (&'static str, &'static str, &str) {
    match holder {
        Holder::Role(id) => ("role_permissions", "role_id", id),
        Holder::User(id) => ("user_permissions", "user_id", id),
    }
}

/// `[holder, API, permission]` for each permission.
fn permission_rows<'a>(
    holder: &'a str,
    permissions: &'a [Permission],
) -> impl Iterator<Item = [&'a str; 3]> {
    permissions.iter().map(move |p| {
        [
            holder,
            p.resource_server_identifier.as_str(),
            p.permission_name.as_str(),
        ]
    })
}

const HELD_BY_USER: &str = "
    SELECT resource_server_identifier, permission_name, NULL AS role_id, NULL AS role_name
      FROM user_permissions WHERE user_id = $1
    UNION ALL
    SELECT rp.resource_server_identifier, rp.permission_name, r.id AS role_id, r.name AS role_name
      FROM user_roles ur
      JOIN role_permissions rp ON rp.role_id = ur.role_id
      JOIN roles r ON r.id = ur.role_id
     WHERE ur.user_id = $1";

#[async_trait]
impl RoleStore for Backend {
    async fn create_role(&self, role: &Role) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO roles (id, name, description, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&role.id)
        .bind(&role.name)
        .bind(&role.description)
        .bind(role.created_at.0)
        .bind(role.updated_at.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as(&format!("A role named `{}`", role.name)))?;
        Ok(())
    }

    async fn role(&self, id: &str) -> StoreResult<Option<Role>> {
        let row = sqlx::query("SELECT * FROM roles WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(role_from_row).transpose()
    }

    async fn update_role(&self, role: &Role) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE roles SET name = $2, description = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(&role.id)
        .bind(&role.name)
        .bind(&role.description)
        .bind(role.updated_at.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as(&format!("A role named `{}`", role.name)))?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_role(&self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM roles WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn list_roles(
        &self,
        page: Page,
        name_filter: Option<&str>,
    ) -> StoreResult<Listing<Role>> {
        const MATCHES: &str =
            "(CAST($1 AS TEXT) IS NULL OR LOWER(name) LIKE CAST($1 AS TEXT) ESCAPE '\\')";
        let pattern = name_filter.map(contains_pattern);
        let rows = sqlx::query(&format!(
            "SELECT * FROM roles WHERE {MATCHES} ORDER BY name, id LIMIT $2 OFFSET $3"
        ))
        .bind(pattern.as_deref())
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM roles WHERE {MATCHES}"))
            .bind(pattern.as_deref())
            .fetch_one(self.pool())
            .await?;
        let items = rows.iter().map(role_from_row).collect::<StoreResult<_>>()?;
        Ok(listing(items, total))
    }

    async fn grant_permissions(
        &self,
        holder: Holder<'_>,
        permissions: &[Permission],
    ) -> StoreResult<()> {
        let (table, column, id) = holder_table(holder);
        let sql = format!(
            "INSERT INTO {table} ({column}, resource_server_identifier, permission_name)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        );
        write_each(self, &sql, permission_rows(id, permissions), 3).await
    }

    async fn revoke_permissions(
        &self,
        holder: Holder<'_>,
        permissions: &[Permission],
    ) -> StoreResult<()> {
        let (table, column, id) = holder_table(holder);
        let sql = format!(
            "DELETE FROM {table}
              WHERE {column} = $1 AND resource_server_identifier = $2 AND permission_name = $3"
        );
        write_each(self, &sql, permission_rows(id, permissions), 3).await
    }

    async fn role_permissions(
        &self,
        role_id: &str,
        page: Page,
    ) -> StoreResult<Listing<Permission>> {
        let rows = sqlx::query(
            "SELECT resource_server_identifier, permission_name FROM role_permissions
              WHERE role_id = $1 ORDER BY resource_server_identifier, permission_name
              LIMIT $2 OFFSET $3",
        )
        .bind(role_id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM role_permissions WHERE role_id = $1")
                .bind(role_id)
                .fetch_one(self.pool())
                .await?;
        let items = rows
            .iter()
            .map(permission_from_row)
            .collect::<StoreResult<_>>()?;
        Ok(listing(items, total))
    }

    async fn add_user_roles(&self, pairs: &[(String, String)]) -> StoreResult<()> {
        let rows = pairs
            .iter()
            .map(|(user, role)| [user.as_str(), role.as_str(), ""]);
        write_each(
            self,
            "INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            rows,
            2,
        )
        .await
    }

    async fn remove_user_roles(&self, pairs: &[(String, String)]) -> StoreResult<()> {
        let rows = pairs
            .iter()
            .map(|(user, role)| [user.as_str(), role.as_str(), ""]);
        write_each(
            self,
            "DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2",
            rows,
            2,
        )
        .await
    }

    async fn role_members(&self, role_id: &str, page: Page) -> StoreResult<Listing<RoleMember>> {
        let rows = sqlx::query(
            "SELECT u.user_id, u.email, u.name, u.picture FROM user_roles ur
               JOIN users u ON u.user_id = ur.user_id
              WHERE ur.role_id = $1 ORDER BY u.user_id LIMIT $2 OFFSET $3",
        )
        .bind(role_id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_roles WHERE role_id = $1")
            .bind(role_id)
            .fetch_one(self.pool())
            .await?;
        let items = rows
            .iter()
            .map(|row| {
                Ok(RoleMember {
                    user_id: row.try_get("user_id")?,
                    email: row.try_get("email")?,
                    name: row.try_get("name")?,
                    picture: row.try_get("picture")?,
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(listing(items, total))
    }

    async fn user_roles(&self, user_id: &str, page: Page) -> StoreResult<Listing<Role>> {
        let rows = sqlx::query(
            "SELECT r.* FROM user_roles ur JOIN roles r ON r.id = ur.role_id
              WHERE ur.user_id = $1 ORDER BY r.name, r.id LIMIT $2 OFFSET $3",
        )
        .bind(user_id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_roles WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.pool())
            .await?;
        let items = rows.iter().map(role_from_row).collect::<StoreResult<_>>()?;
        Ok(listing(items, total))
    }

    async fn user_permissions(
        &self,
        user_id: &str,
        page: Page,
    ) -> StoreResult<Listing<HeldPermission>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM ({HELD_BY_USER}) held
              ORDER BY resource_server_identifier, permission_name,
                       CASE WHEN role_id IS NULL THEN 0 ELSE 1 END, role_name"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        let mut held: BTreeMap<Permission, Vec<PermissionSource>> = BTreeMap::new();
        for row in &rows {
            let role_id: Option<String> = row.try_get("role_id")?;
            let role_name: Option<String> = row.try_get("role_name")?;
            let source = match (role_id, role_name) {
                (Some(id), Some(name)) => PermissionSource::Role { id, name },
                _ => PermissionSource::Direct,
            };
            held.entry(permission_from_row(row)?)
                .or_default()
                .push(source);
        }
        let total = i64::try_from(held.len()).unwrap_or(i64::MAX);
        let items = held
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(page.limit()).unwrap_or(0))
            .map(|(permission, sources)| HeldPermission {
                permission,
                sources,
            })
            .collect();
        Ok(listing(items, total))
    }

    async fn effective_permissions(
        &self,
        user_id: &str,
        audience: &str,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT permission_name FROM user_permissions
              WHERE user_id = $1 AND resource_server_identifier = $2
             UNION
             SELECT rp.permission_name FROM user_roles ur
               JOIN role_permissions rp ON rp.role_id = ur.role_id
              WHERE ur.user_id = $1 AND rp.resource_server_identifier = $2
             ORDER BY 1",
        )
        .bind(user_id)
        .bind(audience)
        .fetch_all(self.readers())
        .await?)
    }

    async fn prune_permissions(&self, audience: &str, kept: &[String]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for table in ["role_permissions", "user_permissions"] {
            let names: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT DISTINCT permission_name FROM {table} WHERE resource_server_identifier = $1"
            ))
            .bind(audience)
            .fetch_all(&mut *tx)
            .await?;
            for name in names.iter().filter(|name| !kept.contains(name)) {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE resource_server_identifier = $1 AND permission_name = $2"
                ))
                .bind(audience)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
