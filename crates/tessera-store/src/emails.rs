//! The mail queue: mails waiting to be sent, retried, sent, given up on, or kept in the
//! development outbox.

use async_trait::async_trait;
use tessera_protocol::Timestamp;

use crate::StoreResult;

/// Where a mail is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    /// Waiting for its next attempt.
    Queued,
    /// The SMTP server took it.
    Sent,
    /// Given up: refused for good, or every attempt failed.
    Failed,
    /// No email provider was configured: kept, readable, in the development outbox.
    Outbox,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Queued => "queued",
            EmailStatus::Sent => "sent",
            EmailStatus::Failed => "failed",
            EmailStatus::Outbox => "outbox",
        }
    }

    pub fn parse(text: &str) -> Option<EmailStatus> {
        [
            EmailStatus::Queued,
            EmailStatus::Sent,
            EmailStatus::Failed,
            EmailStatus::Outbox,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// A mail in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// `email_` and 16 characters.
    pub id: String,
    /// The template it was made from (`verify_email`, `reset_email`, …).
    pub template: String,
    pub recipient: String,
    pub subject: String,
    /// The rendered message, sealed with the master secret; `None` once it left.
    pub sealed_message: Option<Vec<u8>>,
    pub status: EmailStatus,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed (the SMTP server's answer, never the message).
    pub last_error: Option<String>,
    /// The `verification_email` job that asked for it, completed when it is sent.
    pub job_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Housekeeping deletes it then.
    pub expires_at: Timestamp,
}

/// The mail queue.
#[async_trait]
pub trait EmailStore {
    async fn queue_email(&self, email: &Email) -> StoreResult<()>;
    /// Takes up to `limit` queued mails due at `now`, oldest first, for this node until
    /// `lease_until` (their `next_attempt_at`): another node looking meanwhile does not get them.
    async fn claim_due_emails(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Email>>;
    /// Writes what an attempt did: status, attempts, next attempt, error, message, expiry.
    async fn update_email(&self, email: &Email) -> StoreResult<()>;
    /// The `limit` most recent mails, newest first.
    async fn recent_emails(&self, limit: u32) -> StoreResult<Vec<Email>>;
    async fn email(&self, id: &str) -> StoreResult<Option<Email>>;
}
