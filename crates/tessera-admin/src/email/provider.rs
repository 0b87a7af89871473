//! Auth0's email provider (`/api/v2/emails/provider`), by SMTP: set through the Management API
//! (its password sealed with the master secret, never shown again) or in the configuration
//! file's `[email]`; the first wins. Without either, mails go to the development outbox.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_store::JsonObject;

use crate::error::{AdminError, AdminResult, Missing};
use crate::service::{Admin, Caller};

const SETTING: &str = "email_provider";
/// The associated data the SMTP password is sealed under.
const PASSWORD_CONTEXT: &str = "email-provider:smtp_pass";
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// An SMTP server to send through.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpProvider {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub pass: Option<String>,
    /// The sender of mails whose template names none.
    pub from: String,
}

impl std::fmt::Debug for SmtpProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpProvider")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Where mails go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Smtp(SmtpProvider),
    /// No provider: the development outbox keeps them.
    Outbox,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl SmtpProvider {
    /// A transport for this server: implicit TLS on port 465, STARTTLS required elsewhere;
    /// plain only to a server on this machine (a relay or a development catcher).
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let builder = if is_loopback(&self.host) {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
        } else if self.port == 465 {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host).map_err(|e| e.to_string())?
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                .map_err(|e| e.to_string())?
        };
        let builder = builder.port(self.port).timeout(Some(SMTP_TIMEOUT));
        let builder = match (&self.user, &self.pass) {
            (Some(user), Some(pass)) if !user.is_empty() => {
                builder.credentials(Credentials::new(user.clone(), pass.clone()))
            }
            _ => builder,
        };
        Ok(builder.build())
    }

    /// The message to `to` from `from` (the provider's sender when empty).
    pub fn message(
        &self,
        from: &str,
        to: &str,
        subject: &str,
        html: String,
    ) -> Result<Message, String> {
        let from = if from.is_empty() { &self.from } else { from };
        let from: Mailbox = from.parse().map_err(|e| format!("sender `{from}`: {e}"))?;
        let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_HTML)
            .body(html)
            .map_err(|e| e.to_string())
    }
}

/// SMTP credentials as Auth0 names them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpCredentials {
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_user: Option<String>,
    /// Write-only: never shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_pass: Option<String>,
}

/// The email provider, as Auth0's Management API shows and takes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailProvider {
    /// `smtp`, the only kind Tessera sends through.
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub default_from_address: Option<String>,
    pub credentials: Option<SmtpCredentials>,
    /// Kept as given (Auth0's extra SMTP headers are not added).
    #[schema(value_type = Object)]
    pub settings: Option<JsonObject>,
}

/// The provider as stored: the password sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredProvider {
    enabled: bool,
    default_from_address: String,
    smtp_host: String,
    smtp_port: u16,
    smtp_user: Option<String>,
    sealed_smtp_pass: Option<String>,
    #[serde(default)]
    settings: JsonObject,
}

impl StoredProvider {
    fn view(&self) -> EmailProvider {
        EmailProvider {
            name: Some("smtp".to_owned()),
            enabled: Some(self.enabled),
            default_from_address: Some(self.default_from_address.clone()),
            credentials: Some(SmtpCredentials {
                smtp_host: Some(self.smtp_host.clone()),
                smtp_port: Some(self.smtp_port),
                smtp_user: self.smtp_user.clone(),
                smtp_pass: None,
            }),
            settings: Some(self.settings.clone()),
        }
    }
}

fn invalid(message: &str) -> AdminError {
    AdminError::InvalidBody(format!("Payload validation error: {message}"))
}

fn provider_missing() -> AdminError {
    AdminError::NotFound(Missing::EmailProvider, "The email provider".to_owned())
}

/// Whether `address` is a mailbox (`a@b.c` or `Name <a@b.c>`).
fn is_mailbox(address: &str) -> bool {
    address.parse::<Mailbox>().is_ok()
}

impl Admin {
    async fn stored_provider(&self) -> AdminResult<Option<StoredProvider>> {
        let Some(stored) = self.store().tenant_setting(SETTING).await? else {
            return Ok(None);
        };
        if stored.is_empty() {
            return Ok(None);
        }
        serde_json::from_value(Value::Object(stored))
            .map(Some)
            .map_err(|e| AdminError::Internal(format!("stored email provider: {e}")))
    }

    async fn save_provider(&self, provider: Option<&StoredProvider>) -> AdminResult<()> {
        let value = match provider {
            Some(provider) => match serde_json::to_value(provider) {
                Ok(Value::Object(value)) => value,
                _ => return Err(AdminError::Internal("a provider is an object".to_owned())),
            },
            None => JsonObject::new(),
        };
        self.store().set_tenant_setting(SETTING, &value).await?;
        Ok(())
    }

    /// Where mails go now: the Management API's provider if enabled, else the configuration
    /// file's, else the outbox.
    pub async fn delivery(&self) -> AdminResult<Delivery> {
        if let Some(stored) = self.stored_provider().await? {
            if stored.enabled {
                let pass = match &stored.sealed_smtp_pass {
                    Some(sealed) => Some(self.open_smtp_pass(sealed)?),
                    None => None,
                };
                return Ok(Delivery::Smtp(SmtpProvider {
                    host: stored.smtp_host,
                    port: stored.smtp_port,
                    user: stored.smtp_user,
                    pass,
                    from: stored.default_from_address,
                }));
            }
        }
        Ok(match &self.parts().email.configured {
            Some(provider) => Delivery::Smtp(provider.clone()),
            None => Delivery::Outbox,
        })
    }

    fn open_smtp_pass(&self, sealed: &str) -> AdminResult<String> {
        let opened = self
            .parts()
            .sealer
            .open(PASSWORD_CONTEXT, sealed.as_bytes())
            .map_err(|e| AdminError::Internal(format!("the SMTP password: {e}")))?;
        String::from_utf8(opened.der().to_vec())
            .map_err(|_| AdminError::Internal("the SMTP password is not UTF-8".to_owned()))
    }

    fn seal_smtp_pass(&self, pass: &str) -> AdminResult<String> {
        let sealed = self
            .parts()
            .sealer
            .seal(PASSWORD_CONTEXT, pass.as_bytes())
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        String::from_utf8(sealed).map_err(|e| AdminError::Internal(e.to_string()))
    }

    /// `body` over `base` (all of it for a new provider), checked, the password sealed.
    fn provider_from(
        &self,
        base: Option<StoredProvider>,
        body: EmailProvider,
    ) -> AdminResult<StoredProvider> {
        if let Some(name) = body.name.as_deref().filter(|n| *n != "smtp") {
            return Err(AdminError::InvalidBody(format!(
                "Tessera sends mail by SMTP: the email provider `{name}` is not supported; use name `smtp`"
            )));
        }
        let credentials = body.credentials.unwrap_or_default();
        let host = credentials
            .smtp_host
            .or(base.as_ref().map(|b| b.smtp_host.clone()))
            .ok_or_else(|| AdminError::missing("credentials.smtp_host"))?;
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(invalid("credentials.smtp_host must be a host name"));
        }
        let port = credentials
            .smtp_port
            .or(base.as_ref().map(|b| b.smtp_port))
            .ok_or_else(|| AdminError::missing("credentials.smtp_port"))?;
        if port == 0 {
            return Err(invalid("credentials.smtp_port must be a port"));
        }
        let from = body
            .default_from_address
            .or(base.as_ref().map(|b| b.default_from_address.clone()))
            .ok_or_else(|| AdminError::missing("default_from_address"))?;
        if !is_mailbox(&from) {
            return Err(invalid("default_from_address must be an email address"));
        }
        let sealed_smtp_pass = match credentials.smtp_pass {
            Some(pass) => Some(self.seal_smtp_pass(&pass)?),
            None => base.as_ref().and_then(|b| b.sealed_smtp_pass.clone()),
        };
        Ok(StoredProvider {
            enabled: body
                .enabled
                .or(base.as_ref().map(|b| b.enabled))
                .unwrap_or(true),
            default_from_address: from,
            smtp_host: host,
            smtp_port: port,
            smtp_user: credentials
                .smtp_user
                .or(base.as_ref().and_then(|b| b.smtp_user.clone())),
            sealed_smtp_pass,
            settings: body
                .settings
                .or(base.map(|b| b.settings))
                .unwrap_or_default(),
        })
    }

    /// `GET /api/v2/emails/provider`: the Management API's provider, else the configuration
    /// file's; never a password.
    pub async fn email_provider(&self, caller: &Caller) -> AdminResult<EmailProvider> {
        caller.require("read:email_provider")?;
        if let Some(stored) = self.stored_provider().await? {
            return Ok(stored.view());
        }
        let configured = self
            .parts()
            .email
            .configured
            .as_ref()
            .ok_or_else(provider_missing)?;
        Ok(EmailProvider {
            name: Some("smtp".to_owned()),
            enabled: Some(true),
            default_from_address: Some(configured.from.clone()),
            credentials: Some(SmtpCredentials {
                smtp_host: Some(configured.host.clone()),
                smtp_port: Some(configured.port),
                smtp_user: configured.user.clone(),
                smtp_pass: None,
            }),
            settings: Some(JsonObject::new()),
        })
    }

    /// `POST /api/v2/emails/provider`.
    pub async fn create_email_provider(
        &self,
        caller: &Caller,
        body: EmailProvider,
    ) -> AdminResult<EmailProvider> {
        caller.require("create:email_provider")?;
        if body.name.is_none() {
            return Err(AdminError::missing("name"));
        }
        if self.stored_provider().await?.is_some() {
            return Err(AdminError::Conflict(
                "An email provider is already configured: update it with PATCH".to_owned(),
            ));
        }
        let provider = self.provider_from(None, body)?;
        self.save_provider(Some(&provider)).await?;
        Ok(provider.view())
    }

    /// `PATCH /api/v2/emails/provider`.
    pub async fn update_email_provider(
        &self,
        caller: &Caller,
        body: EmailProvider,
    ) -> AdminResult<EmailProvider> {
        caller.require("update:email_provider")?;
        let stored = self.stored_provider().await?.ok_or_else(provider_missing)?;
        let provider = self.provider_from(Some(stored), body)?;
        self.save_provider(Some(&provider)).await?;
        Ok(provider.view())
    }

    /// `DELETE /api/v2/emails/provider`: back to the configuration file's, or the outbox.
    pub async fn delete_email_provider(&self, caller: &Caller) -> AdminResult<()> {
        caller.require("delete:email_provider")?;
        self.stored_provider().await?.ok_or_else(provider_missing)?;
        self.save_provider(None).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_may_be_reached_without_tls() {
        assert!(is_loopback("localhost"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("smtp.example.com"));
        assert!(!is_loopback("10.0.0.1"));
    }

    #[test]
    fn the_password_never_shows() {
        let provider = SmtpProvider {
            host: "smtp.example.com".to_owned(),
            port: 587,
            user: Some("mailer".to_owned()),
            pass: Some("hunter2".to_owned()),
            from: "id@example.com".to_owned(),
        };
        assert!(!format!("{provider:?}").contains("hunter2"));
    }

    #[test]
    fn a_message_takes_the_provider_sender_unless_the_template_names_one() {
        let provider = SmtpProvider {
            host: "127.0.0.1".to_owned(),
            port: 25,
            user: None,
            pass: None,
            from: "Tessera <id@example.com>".to_owned(),
        };
        let message = provider
            .message("", "alice@example.com", "Hi", "<p>hi</p>".to_owned())
            .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("From: Tessera <id@example.com>"), "{text}");
        let message = provider
            .message("shop@example.com", "alice@example.com", "Hi", String::new())
            .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("From: shop@example.com"), "{text}");
        assert!(provider
            .message("", "not an address", "Hi", String::new())
            .is_err());
    }
}
