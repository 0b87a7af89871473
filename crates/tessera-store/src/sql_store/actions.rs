//! Actions, their versions and the triggers' bindings.

use super::*;
use crate::{
    Action, ActionBinding, ActionCode, ActionDeletion, ActionSecret, ActionStore, ActionVersion,
    DeployedAction, SecretOpener,
};

/// The columns of an action's code, in `actions` and `action_versions` alike.
const CODE_COLUMNS: &str = "trigger_id, trigger_version, code, runtime, dependencies, secrets";

fn code_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<ActionCode> {
    Ok(ActionCode {
        trigger_id: row.try_get("trigger_id")?,
        trigger_version: row.try_get("trigger_version")?,
        code: row.try_get("code")?,
        runtime: row.try_get("runtime")?,
        dependencies: row.try_get("dependencies")?,
        secrets: from_json(row.try_get("secrets")?)?,
    })
}

fn number_of(stored: i64) -> StoreResult<u32> {
    u32::try_from(stored).map_err(|_| corrupt(format!("action version number {stored}")))
}

fn action_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Action> {
    let deployed: Option<i64> = row.try_get("deployed_version")?;
    Ok(Action {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        draft: code_from_row(row)?,
        deployed_version: deployed.map(number_of).transpose()?,
        all_changes_deployed: row.try_get("all_changes_deployed")?,
        created_at: Timestamp(row.try_get("created_at")?),
        updated_at: Timestamp(row.try_get("updated_at")?),
    })
}

fn version_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<ActionVersion> {
    Ok(ActionVersion {
        id: row.try_get("id")?,
        action_id: row.try_get("action_id")?,
        number: number_of(row.try_get("number")?)?,
        code: code_from_row(row)?,
        created_at: Timestamp(row.try_get("created_at")?),
    })
}

fn binding_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<ActionBinding> {
    Ok(ActionBinding {
        id: row.try_get("id")?,
        trigger_id: row.try_get("trigger_id")?,
        action_id: row.try_get("action_id")?,
        display_name: row.try_get("display_name")?,
        created_at: Timestamp(row.try_get("created_at")?),
        updated_at: Timestamp(row.try_get("updated_at")?),
    })
}

fn name_taken(name: &str) -> String {
    format!("An action named `{name}`")
}

#[async_trait]
impl ActionStore for Backend {
    async fn create_action(&self, action: &Action) -> StoreResult<()> {
        let draft = &action.draft;
        sqlx::query(&format!(
            "INSERT INTO actions (id, name, {CODE_COLUMNS}, deployed_version,
                                  all_changes_deployed, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, FALSE, $9, $10)"
        ))
        .bind(&action.id)
        .bind(&action.name)
        .bind(&draft.trigger_id)
        .bind(&draft.trigger_version)
        .bind(&draft.code)
        .bind(&draft.runtime)
        .bind(&draft.dependencies)
        .bind(to_json(&draft.secrets)?)
        .bind(action.created_at.0)
        .bind(action.updated_at.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as(&name_taken(&action.name)))?;
        Ok(())
    }

    async fn action(&self, id: &str) -> StoreResult<Option<Action>> {
        let row = sqlx::query("SELECT * FROM actions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(action_from_row).transpose()
    }

    async fn action_by_name(&self, name: &str) -> StoreResult<Option<Action>> {
        let row = sqlx::query("SELECT * FROM actions WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(action_from_row).transpose()
    }

    async fn update_action(&self, action: &Action) -> StoreResult<bool> {
        let draft = &action.draft;
        let result = sqlx::query(
            "UPDATE actions SET name = $2, trigger_id = $3, trigger_version = $4, code = $5,
                    runtime = $6, dependencies = $7, secrets = $8, updated_at = $9,
                    all_changes_deployed = FALSE
              WHERE id = $1",
        )
        .bind(&action.id)
        .bind(&action.name)
        .bind(&draft.trigger_id)
        .bind(&draft.trigger_version)
        .bind(&draft.code)
        .bind(&draft.runtime)
        .bind(&draft.dependencies)
        .bind(to_json(&draft.secrets)?)
        .bind(action.updated_at.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as(&name_taken(&action.name)))?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_action(&self, id: &str, force: bool) -> StoreResult<ActionDeletion> {
        // One statement: a binding made meanwhile cannot slip past the check.
        let result = sqlx::query(
            "DELETE FROM actions WHERE id = $1
                AND ($2 OR NOT EXISTS (SELECT 1 FROM action_bindings WHERE action_id = $1))",
        )
        .bind(id)
        .bind(force)
        .execute(self.pool())
        .await?;
        if result.rows_affected() == 1 {
            return Ok(ActionDeletion::Deleted);
        }
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM actions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match exists {
            Some(_) => ActionDeletion::Bound,
            None => ActionDeletion::NotFound,
        })
    }

    async fn list_actions(
        &self,
        page: Page,
        trigger_id: Option<&str>,
        name: Option<&str>,
    ) -> StoreResult<Listing<Action>> {
        const MATCHES: &str = "(CAST($1 AS TEXT) IS NULL OR trigger_id = CAST($1 AS TEXT))
                           AND (CAST($2 AS TEXT) IS NULL OR name = CAST($2 AS TEXT))";
        let rows = sqlx::query(&format!(
            "SELECT * FROM actions WHERE {MATCHES} ORDER BY name, id LIMIT $3 OFFSET $4"
        ))
        .bind(trigger_id)
        .bind(name)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM actions WHERE {MATCHES}"))
                .bind(trigger_id)
                .bind(name)
                .fetch_one(self.pool())
                .await?;
        let items = rows
            .iter()
            .map(action_from_row)
            .collect::<StoreResult<_>>()?;
        Ok(Listing {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn deploy_action(
        &self,
        id: &str,
        version_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ActionVersion>> {
        let mut tx = self.pool().begin().await?;
        // The UPDATE locks the action's row: concurrent deploys number their versions in turn.
        let number: Option<i64> = sqlx::query_scalar(
            "UPDATE actions SET deployed_version = COALESCE(deployed_version, 0) + 1,
                    all_changes_deployed = TRUE
              WHERE id = $1 RETURNING deployed_version",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(number) = number else {
            // Ended here, not left to the drop: sqlx only queues a dropped transaction's
            // rollback, and the pooled connection would sit idle in it, holding its locks.
            tx.rollback().await?;
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "INSERT INTO action_versions (id, action_id, number, {CODE_COLUMNS}, created_at)
             SELECT $2, id, $3, {CODE_COLUMNS}, $4 FROM actions WHERE id = $1
             RETURNING *"
        ))
        .bind(id)
        .bind(version_id)
        .bind(number)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await?;
        let version = version_from_row(&row)?;
        tx.commit().await?;
        Ok(Some(version))
    }

    async fn action_versions(
        &self,
        action_id: &str,
        page: Page,
    ) -> StoreResult<Listing<ActionVersion>> {
        let rows = sqlx::query(
            "SELECT * FROM action_versions WHERE action_id = $1
              ORDER BY number DESC LIMIT $2 OFFSET $3",
        )
        .bind(action_id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM action_versions WHERE action_id = $1")
                .bind(action_id)
                .fetch_one(self.pool())
                .await?;
        let items = rows
            .iter()
            .map(version_from_row)
            .collect::<StoreResult<_>>()?;
        Ok(Listing {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn action_version(
        &self,
        action_id: &str,
        number: u32,
    ) -> StoreResult<Option<ActionVersion>> {
        let row = sqlx::query("SELECT * FROM action_versions WHERE action_id = $1 AND number = $2")
            .bind(action_id)
            .bind(i64::from(number))
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(version_from_row).transpose()
    }

    async fn bindings(&self, trigger_id: &str) -> StoreResult<Vec<ActionBinding>> {
        let rows =
            sqlx::query("SELECT * FROM action_bindings WHERE trigger_id = $1 ORDER BY position")
                .bind(trigger_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(binding_from_row).collect()
    }

    async fn replace_bindings(
        &self,
        trigger_id: &str,
        bindings: &[ActionBinding],
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM action_bindings WHERE trigger_id = $1")
            .bind(trigger_id)
            .execute(&mut *tx)
            .await?;
        for (position, binding) in (0_i64..).zip(bindings) {
            sqlx::query(
                "INSERT INTO action_bindings
                        (id, trigger_id, position, action_id, display_name, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&binding.id)
            .bind(trigger_id)
            .bind(position)
            .bind(&binding.action_id)
            .bind(&binding.display_name)
            .bind(binding.created_at.0)
            .bind(binding.updated_at.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn triggers_binding(&self, action_id: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT trigger_id FROM action_bindings WHERE action_id = $1 ORDER BY 1",
        )
        .bind(action_id)
        .fetch_all(self.pool())
        .await?)
    }

    async fn deployed_bindings(
        &self,
        trigger_id: &str,
        opener: &dyn SecretOpener,
    ) -> StoreResult<Vec<DeployedAction>> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, v.number, v.code, v.secrets
               FROM action_bindings b
               JOIN actions a ON a.id = b.action_id
               JOIN action_versions v ON v.action_id = a.id AND v.number = a.deployed_version
              WHERE b.trigger_id = $1
              ORDER BY b.position",
        )
        .bind(trigger_id)
        .fetch_all(self.readers())
        .await?;
        rows.iter()
            .map(|row| {
                let action_id: String = row.try_get("id")?;
                let sealed: Vec<ActionSecret> = from_json(row.try_get("secrets")?)?;
                let secrets = sealed
                    .into_iter()
                    .map(|secret| {
                        opener
                            .open_secret(&action_id, &secret.name, &secret.sealed)
                            .map(|value| (secret.name.clone(), value))
                            .ok_or_else(|| {
                                corrupt(format!(
                                    "the secret `{}` of the action `{action_id}` does not open \
                                     with the configured master secret",
                                    secret.name
                                ))
                            })
                    })
                    .collect::<StoreResult<_>>()?;
                Ok(DeployedAction {
                    name: row.try_get("name")?,
                    version_number: number_of(row.try_get("number")?)?,
                    code: row.try_get("code")?,
                    secrets,
                    action_id,
                })
            })
            .collect()
    }
}
