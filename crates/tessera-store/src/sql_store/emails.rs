//! The mail queue.

use super::*;
use crate::{Email, EmailStatus, EmailStore};

fn email_of(row: &<Db as sqlx::Database>::Row) -> StoreResult<Email> {
    let status: String = row.try_get("status")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(Email {
        id: row.try_get("id")?,
        template: row.try_get("template")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        sealed_message: row.try_get("sealed_message")?,
        status: EmailStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("email status {status}")))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: Timestamp(row.try_get("next_attempt_at")?),
        last_error: row.try_get("last_error")?,
        job_id: row.try_get("job_id")?,
        created_at: Timestamp(row.try_get("created_at")?),
        updated_at: Timestamp(row.try_get("updated_at")?),
        expires_at: Timestamp(row.try_get("expires_at")?),
    })
}

#[async_trait]
impl EmailStore for Backend {
    async fn queue_email(&self, email: &Email) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO emails (id, template, recipient, subject, sealed_message, status,
                attempts, next_attempt_at, last_error, job_id, created_at, updated_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&email.id)
        .bind(&email.template)
        .bind(&email.recipient)
        .bind(&email.subject)
        .bind(&email.sealed_message)
        .bind(email.status.as_str())
        .bind(i64::from(email.attempts))
        .bind(email.next_attempt_at.0)
        .bind(&email.last_error)
        .bind(&email.job_id)
        .bind(email.created_at.0)
        .bind(email.updated_at.0)
        .bind(email.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn claim_due_emails(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Email>> {
        // The outer condition is checked again on each row once it is locked, so a mail another
        // node leased meanwhile (its next attempt now in the future) is skipped, not sent twice.
        let rows = sqlx::query(
            "UPDATE emails SET next_attempt_at = $2
             WHERE status = 'queued' AND next_attempt_at <= $1 AND id IN (
                SELECT id FROM emails WHERE status = 'queued' AND next_attempt_at <= $1
                ORDER BY next_attempt_at LIMIT $3)
             RETURNING *",
        )
        .bind(now.0)
        .bind(lease_until.0)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        let mut emails = rows.iter().map(email_of).collect::<StoreResult<Vec<_>>>()?;
        emails.sort_by_key(|email| email.created_at);
        Ok(emails)
    }

    async fn update_email(&self, email: &Email) -> StoreResult<()> {
        sqlx::query(
            "UPDATE emails SET sealed_message = $2, status = $3, attempts = $4,
                next_attempt_at = $5, last_error = $6, updated_at = $7, expires_at = $8
             WHERE id = $1",
        )
        .bind(&email.id)
        .bind(&email.sealed_message)
        .bind(email.status.as_str())
        .bind(i64::from(email.attempts))
        .bind(email.next_attempt_at.0)
        .bind(&email.last_error)
        .bind(email.updated_at.0)
        .bind(email.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn recent_emails(&self, limit: u32) -> StoreResult<Vec<Email>> {
        let rows = sqlx::query("SELECT * FROM emails ORDER BY created_at DESC, id DESC LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(self.readers())
            .await?;
        rows.iter().map(email_of).collect()
    }

    async fn email(&self, id: &str) -> StoreResult<Option<Email>> {
        let row = sqlx::query("SELECT * FROM emails WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(email_of).transpose()
    }
}
