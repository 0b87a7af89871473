//! The mails of this tenant as the Dashboard lists them: recent ones with their state, and the
//! development outbox's copies (kept readable only while no email provider is configured).

use tessera_store::EmailStatus;

use crate::error::AdminResult;
use crate::service::{Admin, Caller};

/// One mail, as the Dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailView {
    pub id: String,
    pub template: String,
    pub recipient: String,
    pub subject: String,
    /// `queued`, `sent`, `failed` or `outbox`.
    pub status: &'static str,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// An outbox mail's links (the verification or reset link), for a caller who may read them.
    pub links: Vec<String>,
}

/// The `href`s of `html`, `&amp;` unescaped.
fn links_in(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(link, _)| link.replace("&amp;", "&"))
        .collect()
}

impl Admin {
    /// The `limit` most recent mails, newest first. The outbox's copies hold live links to
    /// change a password: only a caller who may change users sees them.
    pub async fn recent_mails(&self, caller: &Caller, limit: u32) -> AdminResult<Vec<MailView>> {
        caller.require("read:users")?;
        let may_follow = caller.require("update:users").is_ok();
        let emails = self.store().recent_emails(limit).await?;
        Ok(emails
            .into_iter()
            .map(|email| MailView {
                links: (may_follow && email.status == EmailStatus::Outbox)
                    .then(|| self.outbox_html(&email))
                    .flatten()
                    .map(|html| links_in(&html))
                    .unwrap_or_default(),
                id: email.id,
                template: email.template,
                recipient: email.recipient,
                subject: email.subject,
                status: email.status.as_str(),
                attempts: email.attempts,
                last_error: email.last_error,
                created_at: email.created_at.rfc3339(),
            })
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn links_are_read_out_of_the_html() {
        let html = r#"<p><a href="https://id.example/u/reset-password?ticket=abc&amp;x=1">Reset</a> <a href="https://b">b</a></p>"#;
        assert_eq!(
            links_in(html),
            [
                "https://id.example/u/reset-password?ticket=abc&x=1",
                "https://b"
            ]
        );
    }
}
