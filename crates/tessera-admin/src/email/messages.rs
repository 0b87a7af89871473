//! The mails Tessera sends: a verification link at sign-up (or when an administrator asks),
//! a reset link when someone asks for one, and a welcome once the address is verified.

use serde::{Deserialize, Serialize};
use tessera_protocol::connection::is_database_user;
use tessera_store::{JobKind, JobStatus, TicketKind, User as StoredUser, UserTicket};

use super::templates::{variables, EmailTemplate, TemplateName};
use super::Application;
use crate::error::{AdminError, AdminResult};
use crate::jobs::JobView;
use crate::service::{Admin, Caller};

/// What a password-reset request came to; the person asking is told the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRequested {
    Sent,
    /// No such user (or a blocked one, or the template is off): nothing was sent.
    NotSent,
}

/// `POST /api/v2/jobs/verification-email`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationEmailJobBody {
    pub user_id: Option<String>,
    /// The application the mail names.
    pub client_id: Option<String>,
    /// Accepted as Auth0 takes it; Tessera's users have one identity.
    #[schema(value_type = Object)]
    pub identity: Option<serde_json::Value>,
    pub organization_id: Option<String>,
}

impl Admin {
    /// The name mails give the tenant: the issuer's host.
    fn friendly_name(&self) -> String {
        url::Url::parse(self.issuer())
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "Tessera".to_owned())
    }

    /// Renders `template` for `user` (with a fresh ticket's link where it has one) and queues
    /// the mail.
    async fn mail_user(
        &self,
        name: TemplateName,
        template: &EmailTemplate,
        user: &StoredUser,
        application: Option<&Application>,
        job_id: Option<String>,
    ) -> AdminResult<String> {
        let url = match name {
            TemplateName::WelcomeEmail => None,
            TemplateName::VerifyEmail | TemplateName::ResetEmail => {
                let (kind, page) = match name {
                    TemplateName::VerifyEmail => {
                        (TicketKind::EmailVerification, "email-verification")
                    }
                    _ => (TicketKind::PasswordChange, "reset-password"),
                };
                let ticket = UserTicket {
                    kind,
                    user_id: user.user_id.clone(),
                    result_url: template.result_url.clone(),
                    // The reset link reached the mailbox: that verifies the address too.
                    mark_email_verified: true,
                    expires_at: self.now().plus(template.url_lifetime()),
                };
                Some(self.issue_ticket(ticket, page).await?.ticket)
            }
        };
        let vars = variables(user, application, &self.friendly_name(), url.as_deref());
        let rendered = template.render(&vars)?;
        self.queue_email(name, &user.email, rendered, job_id).await
    }

    /// After a sign-up: the verification mail if its template is on, else the welcome mail if
    /// that one is.
    pub async fn mail_new_user(
        &self,
        user: &StoredUser,
        application: Option<&Application>,
    ) -> AdminResult<()> {
        if user.email_verified || !self.mail_verification(user, application).await? {
            self.mail_welcome(user, application).await?;
        }
        Ok(())
    }

    /// The verification mail, if its template is on; whether it was queued.
    pub(crate) async fn mail_verification(
        &self,
        user: &StoredUser,
        application: Option<&Application>,
    ) -> AdminResult<bool> {
        let verify = self.effective_template(TemplateName::VerifyEmail).await?;
        if !verify.is_enabled() {
            return Ok(false);
        }
        self.mail_user(TemplateName::VerifyEmail, &verify, user, application, None)
            .await?;
        Ok(true)
    }

    /// The welcome mail, if its template is on.
    pub(crate) async fn mail_welcome(
        &self,
        user: &StoredUser,
        application: Option<&Application>,
    ) -> AdminResult<()> {
        let welcome = self.effective_template(TemplateName::WelcomeEmail).await?;
        if welcome.is_enabled() {
            self.mail_user(
                TemplateName::WelcomeEmail,
                &welcome,
                user,
                application,
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// "Forgot password?": mails a reset link to the user with this email, if there is one
    /// who may log in. The caller answers the same whatever this returns.
    pub async fn request_password_reset(
        &self,
        email: &str,
        application: Option<&Application>,
    ) -> AdminResult<ResetRequested> {
        let email = email.trim().to_lowercase();
        let users = self.store().users_by_email(&email).await?;
        // Only the database connection's users have a password to reset.
        let Some(user) = users
            .into_iter()
            .find(|user| !user.blocked && is_database_user(&user.user_id))
        else {
            return Ok(ResetRequested::NotSent);
        };
        let template = self.effective_template(TemplateName::ResetEmail).await?;
        if !template.is_enabled() {
            return Ok(ResetRequested::NotSent);
        }
        self.mail_user(
            TemplateName::ResetEmail,
            &template,
            &user,
            application,
            None,
        )
        .await?;
        Ok(ResetRequested::Sent)
    }

    /// `POST /api/v2/jobs/verification-email`: a job completed once the mail is sent.
    pub async fn verification_email_job(
        &self,
        caller: &Caller,
        body: VerificationEmailJobBody,
    ) -> AdminResult<JobView> {
        caller.require("update:users")?;
        let id = body.user_id.ok_or_else(|| AdminError::missing("user_id"))?;
        let user = self.stored_user(&id).await?;
        let application = match &body.client_id {
            Some(client_id) => Some(self.mail_application(client_id).await?),
            None => None,
        };
        let connection = self.store().database_connection().await?;
        let job = self.new_job(
            JobKind::VerificationEmail,
            JobStatus::Pending,
            connection.id,
        )?;
        self.store().create_job(&job).await?;
        let template = self.effective_template(TemplateName::VerifyEmail).await?;
        let queued = self
            .mail_user(
                TemplateName::VerifyEmail,
                &template,
                &user,
                application.as_ref(),
                Some(job.id.clone()),
            )
            .await;
        if let Err(error) = queued {
            // No mail will complete it: the job goes with the refusal.
            self.store().delete_job(&job.id).await?;
            return Err(error);
        }
        self.job(caller, &job.id).await
    }

    /// The application `client_id` names, for a mail.
    pub async fn mail_application(&self, client_id: &str) -> AdminResult<Application> {
        let client = self.registered_client(client_id).await?;
        Ok(Application {
            client_id: client_id.to_owned(),
            name: client.name,
        })
    }
}
