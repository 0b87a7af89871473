//! The mail queue and the postman: a mail is queued (in the store, its message sealed) and
//! the postman of whichever node claims it sends it, retrying with back-off on a transient
//! failure and giving up after [`BACKOFF`] runs out or on a permanent refusal. Failures are
//! logged (never the message: it holds a single-use link) and counted.

use lettre::AsyncTransport;
use tessera_core::crypto::random_alphanumeric;
use tessera_protocol::Timestamp;
use tessera_store::{Email, EmailStatus, JobStatus};
use tokio::task::JoinHandle;

use super::provider::{Delivery, SmtpProvider};
use super::templates::{Rendered, TemplateName};
use crate::error::{AdminError, AdminResult};
use crate::service::Admin;

/// The wait after each failed attempt, seconds: about a day in all, then the mail fails.
const BACKOFF: [i64; 8] = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800];
/// A sent, failed or outbox mail is kept this long (for the Dashboard), then purged.
const KEPT: i64 = 7 * 24 * 3600;
/// How long a node holds the mails it claimed before another may try them.
const LEASE: i64 = 120;
/// Mails claimed per round.
const BATCH: u32 = 20;

/// What the sealed message holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Sealed {
    from: String,
    html: String,
}

/// What one attempt came to.
enum Attempt {
    Sent,
    Outbox,
    Failed { error: String, permanent: bool },
}

impl Admin {
    /// Queues `rendered` for `recipient`, for the postman to send; wakes this node's postman.
    pub(crate) async fn queue_email(
        &self,
        template: TemplateName,
        recipient: &str,
        rendered: Rendered,
        job_id: Option<String>,
    ) -> AdminResult<String> {
        let id = format!("email_{}", random_alphanumeric(16)?);
        let sealed = serde_json::to_vec(&Sealed {
            from: rendered.from,
            html: rendered.html,
        })
        .map_err(|e| AdminError::Internal(e.to_string()))?;
        let sealed = self
            .parts()
            .sealer
            .seal(&id, &sealed)
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let now = self.now();
        let retries: i64 = BACKOFF.iter().sum();
        let email = Email {
            id: id.clone(),
            template: template.as_str().to_owned(),
            recipient: recipient.to_owned(),
            subject: rendered.subject,
            sealed_message: Some(sealed),
            status: EmailStatus::Queued,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            job_id,
            created_at: now,
            updated_at: now,
            expires_at: now.plus(retries + LEASE * (BACKOFF.len() as i64 + 1) + KEPT),
        };
        self.store().queue_email(&email).await?;
        self.parts().email.wake.notify_one();
        Ok(id)
    }

    /// Sends mails on this node until aborted: whenever this node queues one, and every poll
    /// interval for those queued elsewhere or due for a retry.
    pub fn spawn_postman(&self) -> JoinHandle<()> {
        let admin = self.clone();
        tokio::spawn(async move {
            match admin.delivery().await {
                Ok(Delivery::Outbox) => tracing::warn!(
                    "no email provider is configured: mails are kept in the development outbox \
                     (Dashboard, Outbox); set [email] in the configuration file or POST /api/v2/emails/provider"
                ),
                Ok(Delivery::Smtp(provider)) => {
                    tracing::info!(host = %provider.host, port = provider.port, "mails are sent by SMTP")
                }
                Err(error) => tracing::warn!(%error, "the email provider could not be read"),
            }
            let setup = &admin.parts().email;
            loop {
                admin.deliver_due().await;
                tokio::select! {
                    () = setup.wake.notified() => {}
                    () = tokio::time::sleep(setup.poll_interval) => {}
                }
            }
        })
    }

    /// One round: claims the mails due and tries each; returns how many were tried.
    pub async fn deliver_due(&self) -> usize {
        let mut tried = 0;
        let mut transport: Option<(SmtpProvider, lettre::AsyncSmtpTransport<_>)> = None;
        loop {
            let delivery = match self.delivery().await {
                Ok(delivery) => delivery,
                Err(error) => {
                    tracing::warn!(%error, "the email provider could not be read; mails wait");
                    return tried;
                }
            };
            let now = self.now();
            let due = match self
                .store()
                .claim_due_emails(now, now.plus(LEASE), BATCH)
                .await
            {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(%error, "mails due could not be read; retrying");
                    return tried;
                }
            };
            let claimed = due.len();
            for email in due {
                let attempt = match &delivery {
                    Delivery::Outbox => Attempt::Outbox,
                    Delivery::Smtp(provider) => {
                        if transport.as_ref().is_none_or(|(p, _)| p != provider) {
                            transport = match provider.transport() {
                                Ok(built) => Some((provider.clone(), built)),
                                Err(error) => {
                                    tracing::warn!(%error, "the SMTP provider is unusable");
                                    None
                                }
                            };
                        }
                        match &transport {
                            Some((provider, smtp)) => self.send(provider, smtp, &email).await,
                            None => Attempt::Failed {
                                error: "the SMTP provider is unusable".to_owned(),
                                permanent: false,
                            },
                        }
                    }
                };
                if let Err(error) = self.settle(email, attempt).await {
                    tracing::warn!(%error, "a mail's outcome could not be stored; it is tried again");
                }
                tried += 1;
            }
            if claimed < BATCH as usize {
                return tried;
            }
        }
    }

    async fn send(
        &self,
        provider: &SmtpProvider,
        smtp: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
        email: &Email,
    ) -> Attempt {
        let sealed = match self.open_message(email) {
            Ok(sealed) => sealed,
            Err(error) => {
                return Attempt::Failed {
                    error,
                    permanent: true,
                }
            }
        };
        let message =
            match provider.message(&sealed.from, &email.recipient, &email.subject, sealed.html) {
                Ok(message) => message,
                Err(error) => {
                    return Attempt::Failed {
                        error,
                        permanent: true,
                    }
                }
            };
        match smtp.send(message).await {
            Ok(_) => Attempt::Sent,
            Err(error) => Attempt::Failed {
                permanent: error.is_permanent(),
                error: error.to_string(),
            },
        }
    }

    fn open_message(&self, email: &Email) -> Result<Sealed, String> {
        let stored = email
            .sealed_message
            .as_deref()
            .ok_or("the message is gone")?;
        let opened = self
            .parts()
            .sealer
            .open(&email.id, stored)
            .map_err(|e| format!("the message cannot be opened: {e}"))?;
        serde_json::from_slice(opened.der()).map_err(|e| format!("the message is unreadable: {e}"))
    }

    /// The development outbox's copy of a mail's HTML, if it still has one.
    pub(crate) fn outbox_html(&self, email: &Email) -> Option<String> {
        self.open_message(email).ok().map(|sealed| sealed.html)
    }

    /// Stores what `attempt` did to `email`, completes its job, counts and logs it.
    async fn settle(&self, mut email: Email, attempt: Attempt) -> AdminResult<()> {
        let now = self.now();
        let counters = &self.parts().email.counters;
        email.attempts += 1;
        email.updated_at = now;
        let job_outcome = match attempt {
            Attempt::Sent => {
                counters.sent.increment(1);
                tracing::info!(email = %email.id, template = %email.template, "mail sent");
                email.status = EmailStatus::Sent;
                email.sealed_message = None;
                email.last_error = None;
                email.expires_at = now.plus(KEPT);
                Some((JobStatus::Completed, None))
            }
            Attempt::Outbox => {
                counters.outboxed.increment(1);
                tracing::info!(email = %email.id, template = %email.template, "mail kept in the development outbox");
                email.status = EmailStatus::Outbox;
                email.expires_at = now.plus(KEPT);
                Some((JobStatus::Completed, None))
            }
            Attempt::Failed { error, permanent } => {
                email.last_error = Some(error.clone());
                match next_attempt(now, email.attempts).filter(|_| !permanent) {
                    Some(next) => {
                        counters.retried.increment(1);
                        tracing::warn!(email = %email.id, template = %email.template, attempts = email.attempts, retry_in_seconds = next.0 - now.0, %error, "a mail could not be sent; it is retried");
                        email.next_attempt_at = next;
                        None
                    }
                    None => {
                        counters.failed.increment(1);
                        tracing::error!(email = %email.id, template = %email.template, attempts = email.attempts, %error, "a mail could not be sent; given up");
                        email.status = EmailStatus::Failed;
                        email.sealed_message = None;
                        email.expires_at = now.plus(KEPT);
                        Some((JobStatus::Failed, Some(error)))
                    }
                }
            }
        };
        self.store().update_email(&email).await?;
        if let (Some(job), Some((status, failure))) = (&email.job_id, job_outcome) {
            self.store()
                .set_job_status(job, status, failure.as_deref(), now)
                .await?;
        }
        Ok(())
    }
}

/// When a mail that failed `attempts` times is tried next, if ever.
fn next_attempt(now: Timestamp, attempts: u32) -> Option<Timestamp> {
    BACKOFF
        .get((attempts as usize).saturating_sub(1))
        .map(|wait| now.plus(*wait))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_for_about_a_day_then_stop() {
        let now = Timestamp(1_000);
        assert_eq!(next_attempt(now, 1), Some(Timestamp(1_030)));
        assert_eq!(next_attempt(now, 8), Some(Timestamp(29_800)));
        assert_eq!(next_attempt(now, 9), None);
        let total: i64 = BACKOFF.iter().sum();
        assert!((12 * 3600..=24 * 3600).contains(&total), "{total}");
    }
}
