//! Auth0's user tickets: `POST /api/v2/tickets/password-change` and
//! `POST /api/v2/tickets/email-verification` answer a single-use link (`{"ticket": url}`) that
//! an administrator hands to the user however they like; the hosted pages it opens use it up.
//! The link's secret is 256 random bits, kept only as its SHA-256 digest.

use serde::{Deserialize, Serialize};
use tessera_core::crypto::new_secret;
use tessera_protocol::connection::is_database_user;
use tessera_protocol::password_policy::PasswordRejection;
use tessera_protocol::SecretDigest;
use tessera_store::{TicketKind, User as StoredUser, UserTicket};

use crate::error::{AdminError, AdminResult, Missing};
use crate::passwords::Owner;
use crate::service::{Admin, Caller};
use crate::users::is_email;

/// Auth0's default `ttl_sec`: five days.
const DEFAULT_TTL: u64 = 432_000;
/// Auth0's largest `ttl_sec`: thirty days.
const MAX_TTL: u64 = 2_592_000;

/// `POST /api/v2/tickets/password-change`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeTicketBody {
    /// The user, by id; or `email` with `connection_id`.
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub connection_id: Option<String>,
    /// Where the person is sent once the password is changed.
    pub result_url: Option<String>,
    /// Accepted as Auth0 takes it; the link opens Tessera's page whatever the application.
    pub client_id: Option<String>,
    /// How long the link works, in seconds (default 432000, at most 2592000).
    pub ttl_sec: Option<u64>,
    /// Changing the password also marks the email verified.
    pub mark_email_as_verified: Option<bool>,
    #[serde(rename = "includeEmailInRedirect")]
    pub include_email_in_redirect: Option<bool>,
}

/// `POST /api/v2/tickets/email-verification`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailVerificationTicketBody {
    pub user_id: Option<String>,
    pub result_url: Option<String>,
    pub client_id: Option<String>,
    pub ttl_sec: Option<u64>,
    #[serde(rename = "includeEmailInRedirect")]
    pub include_email_in_redirect: Option<bool>,
}

/// A ticket, as Auth0 answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ticket {
    /// The link to give the user.
    pub ticket: String,
}

/// What using a password-change ticket did.
#[derive(Debug)]
pub enum PasswordChanged {
    /// Done: sessions ended, refresh and access tokens revoked; where to send the person next.
    Changed { result_url: Option<String> },
    /// The new password breaks the policy; the ticket still works.
    Refused(PasswordRejection),
    /// Unknown, used or expired.
    Gone,
}

fn ttl(ttl_sec: Option<u64>) -> AdminResult<i64> {
    match ttl_sec.unwrap_or(DEFAULT_TTL) {
        0 => Ok(DEFAULT_TTL as i64),
        seconds if seconds <= MAX_TTL => Ok(seconds as i64),
        _ => Err(AdminError::InvalidBody(format!(
            "Payload validation error: ttl_sec must be at most {MAX_TTL}"
        ))),
    }
}

fn checked_result_url(url: Option<String>) -> AdminResult<Option<String>> {
    match url {
        Some(url)
            if !url::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) =>
        {
            Err(AdminError::InvalidBody(
                "Payload validation error: result_url must be an http(s) URL".to_owned(),
            ))
        }
        url => Ok(url),
    }
}

impl Admin {
    pub(crate) async fn issue_ticket(&self, ticket: UserTicket, page: &str) -> AdminResult<Ticket> {
        let secret = new_secret()?;
        self.store()
            .create_user_ticket(&SecretDigest::of(&secret), &ticket)
            .await?;
        Ok(Ticket {
            ticket: format!("{}u/{page}?ticket={secret}", self.issuer()),
        })
    }

    async fn ticket_user(&self, body: &PasswordChangeTicketBody) -> AdminResult<StoredUser> {
        if let Some(id) = &body.user_id {
            return self.stored_user(id).await;
        }
        let (Some(email), Some(_)) = (&body.email, &body.connection_id) else {
            return Err(AdminError::InvalidBody(
                "Payload validation error: user_id, or email with connection_id, is required"
                    .to_owned(),
            ));
        };
        if !is_email(email) {
            return Err(AdminError::InvalidBody(
                "Payload validation error: email is not an email address".to_owned(),
            ));
        }
        let found = self.store().users_by_email(&email.to_lowercase()).await?;
        // The email names a user of the database connection (`connection_id`).
        found
            .into_iter()
            .find(|user| is_database_user(&user.user_id))
            .ok_or_else(|| {
                AdminError::NotFound(Missing::User, format!("The user with email `{email}`"))
            })
    }

    pub async fn password_change_ticket(
        &self,
        caller: &Caller,
        body: PasswordChangeTicketBody,
    ) -> AdminResult<Ticket> {
        caller.require("create:user_tickets")?;
        let lifetime = ttl(body.ttl_sec)?;
        let result_url = checked_result_url(body.result_url.clone())?;
        let user = self.ticket_user(&body).await?;
        let ticket = UserTicket {
            kind: TicketKind::PasswordChange,
            user_id: user.user_id,
            result_url,
            mark_email_verified: body.mark_email_as_verified.unwrap_or(false),
            expires_at: self.now().plus(lifetime),
        };
        self.issue_ticket(ticket, "reset-password").await
    }

    pub async fn email_verification_ticket(
        &self,
        caller: &Caller,
        body: EmailVerificationTicketBody,
    ) -> AdminResult<Ticket> {
        caller.require("create:user_tickets")?;
        let lifetime = ttl(body.ttl_sec)?;
        let result_url = checked_result_url(body.result_url)?;
        let id = body.user_id.ok_or_else(|| AdminError::missing("user_id"))?;
        let user = self.stored_user(&id).await?;
        let ticket = UserTicket {
            kind: TicketKind::EmailVerification,
            user_id: user.user_id,
            result_url,
            mark_email_verified: true,
            expires_at: self.now().plus(lifetime),
        };
        self.issue_ticket(ticket, "email-verification").await
    }

    /// The user a password-change ticket is for, while it works (for the page that asks for
    /// the new password).
    pub async fn password_ticket_user(&self, secret: &str) -> AdminResult<Option<StoredUser>> {
        let digest = SecretDigest::of(secret);
        let kind = TicketKind::PasswordChange;
        let Some(ticket) = self.store().user_ticket(&digest, kind, self.now()).await? else {
            return Ok(None);
        };
        Ok(self.store().user(&ticket.user_id).await?)
    }

    /// Sets `password` for the ticket's user if it meets the policy, using the ticket up, and
    /// ends what the old password opened: sessions, refresh tokens and access tokens.
    pub async fn change_password_with_ticket(
        &self,
        secret: &str,
        password: String,
    ) -> AdminResult<PasswordChanged> {
        let Some(mut user) = self.password_ticket_user(secret).await? else {
            return Ok(PasswordChanged::Gone);
        };
        let rules = self.database_options().await?.passwords;
        let hash = match self
            .new_password_hash(&rules, Owner::of(&user), password)
            .await?
        {
            Ok(hash) => hash,
            Err(rejection) => return Ok(PasswordChanged::Refused(rejection)),
        };
        let now = self.now();
        let digest = SecretDigest::of(secret);
        let kind = TicketKind::PasswordChange;
        // Taken only now, so a refused password leaves the link working; and taken once, so
        // two posts of the same link change the password once.
        let Some(ticket) = self.store().take_user_ticket(&digest, kind, now).await? else {
            return Ok(PasswordChanged::Gone);
        };
        user.password_hash = hash;
        user.email_verified |= ticket.mark_email_verified;
        self.store().update_user(&user, now).await?;
        self.remember_password(&user).await?;
        self.store().end_sessions_of(&user.user_id).await?;
        self.revoke_tokens_of(&user.user_id, now).await?;
        self.changed();
        Ok(PasswordChanged::Changed {
            result_url: ticket.result_url,
        })
    }

    /// Marks the ticket's user's email verified, using the ticket up; `None` when the ticket
    /// is unknown, used or expired, else where to send the person next.
    pub async fn verify_email_with_ticket(
        &self,
        secret: &str,
    ) -> AdminResult<Option<Option<String>>> {
        let now = self.now();
        let digest = SecretDigest::of(secret);
        let kind = TicketKind::EmailVerification;
        let Some(ticket) = self.store().take_user_ticket(&digest, kind, now).await? else {
            return Ok(None);
        };
        if let Some(mut user) = self.store().user(&ticket.user_id).await? {
            let newly_verified = !user.email_verified;
            user.email_verified = true;
            self.store().update_user(&user, now).await?;
            self.changed();
            if newly_verified {
                self.mail_welcome(&user, None).await?;
            }
        }
        Ok(Some(ticket.result_url))
    }
}
