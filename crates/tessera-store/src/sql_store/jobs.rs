//! Jobs, their files and errors, and the database connection they name.

use super::connections::{connection_from_row, SELECT_CONNECTION};
use super::mfa::import_totp;
use super::users::bind_user;
use super::*;
use crate::{
    Connection, ImportBatch, ImportedUser, Job, JobError, JobKind, JobStatus, JobStore,
    TenantSettingsStore, DATABASE_CONNECTION,
};

fn job_from_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<Job> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let count = |column: &str| -> StoreResult<u64> {
        Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
    };
    Ok(Job {
        id: row.try_get("id")?,
        kind: JobKind::parse(&kind).ok_or_else(|| corrupt(format!("job kind {kind}")))?,
        status: JobStatus::parse(&status).ok_or_else(|| corrupt(format!("job status {status}")))?,
        connection_id: row.try_get("connection_id")?,
        external_id: row.try_get("external_id")?,
        upsert: row.try_get("upsert")?,
        send_completion_email: row.try_get("send_completion_email")?,
        position: count("position")?,
        inserted: count("inserted")?,
        updated: count("updated")?,
        failed: count("failed")?,
        failure: row.try_get("failure")?,
        settings: row.try_get("settings")?,
        file_key: row.try_get("file_key")?,
        created_at: Timestamp(row.try_get("created_at")?),
        updated_at: Timestamp(row.try_get("updated_at")?),
        completed_at: row
            .try_get::<Option<i64>, _>("completed_at")?
            .map(Timestamp),
    })
}

fn signed(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Inserts the user unless its id, username or email is taken (then nothing is written).
const INSERT_IMPORTED: &str = "INSERT INTO users (user_id, username, email, name, password_hash,
        email_verified, given_name, family_name, nickname, picture, user_metadata, app_metadata,
        blocked, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
     ON CONFLICT DO NOTHING";

/// An upsert: the user the entry matches — by email, or else id, or else username — takes the
/// file's profile; its password hash only while it is still an imported one (`{…}`), never
/// over a password set in Tessera; its id, username and email stay. Returns that id.
const UPSERT_IMPORTED: &str = "UPDATE users SET name = $4, email_verified = $6, given_name = $7,
        family_name = $8, nickname = $9, picture = $10, user_metadata = $11, app_metadata = $12,
        blocked = $13, updated_at = $14,
        password_hash = CASE WHEN CAST($5 AS TEXT) <> '' AND substr(password_hash, 1, 1) = '{'
            THEN CAST($5 AS TEXT) ELSE password_hash END
     WHERE user_id = (SELECT user_id FROM users
        WHERE (email = $3 OR user_id = $1 OR username = $2) AND user_id LIKE 'auth0|%'
        ORDER BY CASE WHEN email = $3 THEN 0 WHEN user_id = $1 THEN 1 ELSE 2 END LIMIT 1)
     RETURNING user_id";

/// How an imported user was written.
enum Written {
    Inserted,
    Updated,
}

/// Writes an imported user: inserted, or (with `upsert`) over the user it matches. The id of
/// the user written, or `None` when the store refuses it (it exists and the job does not
/// upsert).
async fn write_imported(
    conn: &mut <Db as sqlx::Database>::Connection,
    job: &Job,
    imported: &ImportedUser,
    now: Timestamp,
) -> StoreResult<Option<(String, Written)>> {
    let user = &imported.user;
    let bind = |sql: &'static str| -> StoreResult<Query<'_>> {
        Ok(bind_user(sqlx::query(sql), user)?
            .bind(imported.blocked)
            .bind(now.0))
    };
    if bind(INSERT_IMPORTED)?
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1
    {
        return Ok(Some((user.user_id.clone(), Written::Inserted)));
    }
    if !job.upsert {
        return Ok(None);
    }
    let updated = bind(UPSERT_IMPORTED)?.fetch_optional(&mut *conn).await?;
    updated
        .map(|row| Ok((row.try_get("user_id")?, Written::Updated)))
        .transpose()
}

#[async_trait]
impl JobStore for Backend {
    async fn database_connection(&self) -> StoreResult<Connection> {
        let row = sqlx::query(&format!(
            "{SELECT_CONNECTION} WHERE name = '{DATABASE_CONNECTION}'"
        ))
        .fetch_one(self.readers())
        .await?;
        connection_from_row(&row)
    }

    async fn set_connection_options(
        &self,
        id: &str,
        options: &crate::JsonObject,
    ) -> StoreResult<bool> {
        let updated = sqlx::query("UPDATE connections SET options = $1 WHERE id = $2")
            .bind(crate::rows::to_json(options)?)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn create_job(&self, job: &Job) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO jobs (id, kind, status, connection_id, external_id, upsert,
                send_completion_email, settings, file_key, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&job.id)
        .bind(job.kind.as_str())
        .bind(job.status.as_str())
        .bind(&job.connection_id)
        .bind(&job.external_id)
        .bind(job.upsert)
        .bind(job.send_completion_email)
        .bind(&job.settings)
        .bind(&job.file_key)
        .bind(job.created_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn job(&self, id: &str) -> StoreResult<Option<Job>> {
        let row = sqlx::query("SELECT * FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn ready_job(&self, job: &Job, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET connection_id = $2, external_id = $3, upsert = $4,
                send_completion_email = $5, status = 'pending', updated_at = $6
             WHERE id = $1 AND status = 'uploading'",
        )
        .bind(&job.id)
        .bind(&job.connection_id)
        .bind(&job.external_id)
        .bind(job.upsert)
        .bind(job.send_completion_email)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn recent_jobs(&self, limit: u32) -> StoreResult<Vec<Job>> {
        let rows = sqlx::query("SELECT * FROM jobs ORDER BY created_at DESC, id LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn unfinished_jobs(&self) -> StoreResult<Vec<Job>> {
        let rows = sqlx::query(
            "SELECT * FROM jobs WHERE status IN ('pending', 'processing') ORDER BY created_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn claim_job(
        &self,
        id: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<bool> {
        let claimed = sqlx::query(
            "UPDATE jobs SET status = 'processing', lease_until = $3, updated_at = $2
             WHERE id = $1 AND status IN ('pending', 'processing') AND lease_until <= $2",
        )
        .bind(id)
        .bind(now.0)
        .bind(lease_until.0)
        .execute(self.pool())
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn set_job_status(
        &self,
        id: &str,
        status: JobStatus,
        failure: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        let ended = matches!(status, JobStatus::Completed | JobStatus::Failed);
        sqlx::query(
            "UPDATE jobs SET status = $2, failure = $3, updated_at = $4,
                completed_at = CASE WHEN $5 THEN $4 ELSE completed_at END
             WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(failure)
        .bind(now.0)
        .bind(ended)
        .execute(&mut *tx)
        .await?;
        if ended {
            sqlx::query(
                "DELETE FROM job_files WHERE job_id = $1
                    AND job_id IN (SELECT id FROM jobs WHERE kind = 'users_import')",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_job(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn append_job_file(&self, id: &str, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        sqlx::query("INSERT INTO job_files (job_id, seq, bytes) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(signed(seq))
            .bind(bytes)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn clear_job_file(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM job_files WHERE job_id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn job_file(&self, id: &str, seq: u64) -> StoreResult<Option<Vec<u8>>> {
        let bytes =
            sqlx::query_scalar("SELECT bytes FROM job_files WHERE job_id = $1 AND seq = $2")
                .bind(id)
                .bind(signed(seq))
                .fetch_optional(self.pool())
                .await?;
        Ok(bytes)
    }

    async fn commit_import_batch(
        &self,
        job: &Job,
        batch: &ImportBatch,
        refused: &(dyn for<'u> Fn(&'u ImportedUser) -> JobError + Sync),
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Job> {
        let mut tx = self.pool().begin().await?;
        let (mut inserted, mut updated) = (0u64, 0u64);
        let mut errors: Vec<JobError> = batch.errors.clone();
        for imported in &batch.users {
            let Some((user_id, written)) = write_imported(&mut tx, job, imported, now).await?
            else {
                errors.push(refused(imported));
                continue;
            };
            match written {
                Written::Inserted => inserted += 1,
                Written::Updated => updated += 1,
            }
            if let Some(totp) = &imported.totp {
                import_totp(&mut tx, &user_id, totp, now).await?;
            }
        }
        for error in &errors {
            sqlx::query(
                "INSERT INTO job_errors (job_id, seq, user_json, errors_json) VALUES ($1, $2, $3, $4)",
            )
            .bind(&job.id)
            .bind(signed(error.index))
            .bind(&error.user)
            .bind(&error.errors)
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query(
            "UPDATE jobs SET status = 'processing', position = position + $2,
                inserted = inserted + $3, updated = updated + $4, failed = failed + $5,
                updated_at = $6, lease_until = $7
             WHERE id = $1 RETURNING *",
        )
        .bind(&job.id)
        .bind(signed(batch.entries))
        .bind(signed(inserted))
        .bind(signed(updated))
        .bind(signed(errors.len() as u64))
        .bind(now.0)
        .bind(lease_until.0)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        job_from_row(&row)
    }

    async fn export_progress(
        &self,
        id: &str,
        exported: u64,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET position = $2, inserted = $2, updated_at = $3, lease_until = $4
             WHERE id = $1",
        )
        .bind(id)
        .bind(signed(exported))
        .bind(now.0)
        .bind(lease_until.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn purge_export_files(&self, before: Timestamp) -> StoreResult<u64> {
        let purged = sqlx::query(
            "DELETE FROM job_files WHERE job_id IN (SELECT id FROM jobs
                WHERE kind = 'users_export' AND completed_at IS NOT NULL AND completed_at < $1)",
        )
        .bind(before.0)
        .execute(self.pool())
        .await?;
        Ok(purged.rows_affected())
    }

    async fn users_after(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(
            "SELECT * FROM users WHERE CAST($1 AS TEXT) IS NULL OR user_id > $1
             ORDER BY user_id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn job_errors(&self, id: &str) -> StoreResult<Vec<JobError>> {
        let rows = sqlx::query(
            "SELECT seq, user_json, errors_json FROM job_errors WHERE job_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(JobError {
                    index: u64::try_from(row.try_get::<i64, _>("seq")?).unwrap_or(0),
                    user: row.try_get("user_json")?,
                    errors: row.try_get("errors_json")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl TenantSettingsStore for Backend {
    async fn tenant_setting(&self, name: &str) -> StoreResult<Option<crate::JsonObject>> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT value FROM tenant_settings WHERE name = $1")
                .bind(name)
                .fetch_optional(self.readers())
                .await?;
        value.as_deref().map(crate::rows::from_json).transpose()
    }

    async fn set_tenant_setting(&self, name: &str, value: &crate::JsonObject) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO tenant_settings (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(crate::rows::to_json(value)?)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
