//! Auth0's email templates (`/api/v2/email-templates/{templateName}`): Liquid subject, sender
//! and HTML body per kind of mail, with Auth0's variables. A template never saved is Tessera's
//! default (verification and reset on, welcome off), and `GET` answers 404 for it as Auth0
//! does for a template never customized.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_store::JsonObject;

use crate::error::{AdminError, AdminResult, Missing};
use crate::service::{Admin, Caller};

/// The mails Tessera sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateName {
    VerifyEmail,
    ResetEmail,
    WelcomeEmail,
}

/// Auth0's template names Tessera does not send (codes, MFA, invitations, …).
const UNSENT: [&str; 10] = [
    "verify_email_by_code",
    "reset_email_by_code",
    "blocked_account",
    "stolen_credentials",
    "enrollment_email",
    "mfa_oob_code",
    "user_invitation",
    "async_approval",
    "change_password",
    "password_reset",
];

impl TemplateName {
    pub const ALL: [TemplateName; 3] = [
        TemplateName::VerifyEmail,
        TemplateName::ResetEmail,
        TemplateName::WelcomeEmail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateName::VerifyEmail => "verify_email",
            TemplateName::ResetEmail => "reset_email",
            TemplateName::WelcomeEmail => "welcome_email",
        }
    }

    /// The name in a path or body; Auth0's other names are refused as not sent by Tessera.
    pub fn parse(text: &str) -> AdminResult<TemplateName> {
        if let Some(name) = TemplateName::ALL.into_iter().find(|n| n.as_str() == text) {
            return Ok(name);
        }
        if UNSENT.contains(&text) {
            return Err(AdminError::InvalidBody(format!(
                "Tessera does not send `{text}` mails; its templates are verify_email, reset_email and welcome_email"
            )));
        }
        Err(AdminError::InvalidBody(format!(
            "Payload validation error: `{text}` is not a template name"
        )))
    }

    fn setting(self) -> String {
        format!("email_template.{}", self.as_str())
    }

    /// Whether the template's mail carries a link (`url`) that a ticket backs.
    pub fn has_link(self) -> bool {
        !matches!(self, TemplateName::WelcomeEmail)
    }
}

/// Auth0's default link lifetime for verification and reset mails: five days.
pub const DEFAULT_URL_LIFETIME: u64 = 432_000;
/// The longest a mailed link may work: thirty days, as for tickets.
const MAX_URL_LIFETIME: u64 = 2_592_000;

/// An email template, as Auth0's Management API shows and takes it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplate {
    pub template: Option<TemplateName>,
    /// The HTML body (Liquid).
    pub body: Option<String>,
    /// The sender (Liquid); the provider's `default_from_address` when empty.
    pub from: Option<String>,
    /// Where the person is sent after using the link.
    #[serde(rename = "resultUrl")]
    pub result_url: Option<String>,
    /// The subject (Liquid).
    pub subject: Option<String>,
    /// `liquid`, the only syntax.
    pub syntax: Option<String>,
    /// How long the mailed link works, seconds.
    #[serde(rename = "urlLifetimeInSeconds")]
    pub url_lifetime_in_seconds: Option<u64>,
    #[serde(rename = "includeEmailInRedirect")]
    pub include_email_in_redirect: Option<bool>,
    pub enabled: Option<bool>,
}

const VERIFY_SUBJECT: &str = "Verify your email";
const VERIFY_BODY: &str = r#"<html><body style="font-family: sans-serif; line-height: 1.5">
<p>Hello {{ user.name | default: user.email }},</p>
<p>Please confirm that {{ user.email }} is your email address for {{ application.name | default: friendly_name }}.</p>
<p><a href="{{ url }}">Verify my email</a></p>
<p>If you did not sign up, you can ignore this mail.</p>
</body></html>"#;
const RESET_SUBJECT: &str = "Reset your password";
const RESET_BODY: &str = r#"<html><body style="font-family: sans-serif; line-height: 1.5">
<p>Hello {{ user.name | default: user.email }},</p>
<p>Someone asked to reset the password of your account at {{ application.name | default: friendly_name }}. If it was you, choose a new password here:</p>
<p><a href="{{ url }}">Reset my password</a></p>
<p>If it was not you, ignore this mail: your password stays as it is.</p>
</body></html>"#;
const WELCOME_SUBJECT: &str = "Welcome to {{ application.name | default: friendly_name }}";
const WELCOME_BODY: &str = r#"<html><body style="font-family: sans-serif; line-height: 1.5">
<p>Hello {{ user.name | default: user.email }},</p>
<p>Welcome to {{ application.name | default: friendly_name }}: your account is ready.</p>
</body></html>"#;

/// Tessera's template for `name` when none was saved.
pub fn default_template(name: TemplateName) -> EmailTemplate {
    let (subject, body, enabled) = match name {
        TemplateName::VerifyEmail => (VERIFY_SUBJECT, VERIFY_BODY, true),
        TemplateName::ResetEmail => (RESET_SUBJECT, RESET_BODY, true),
        TemplateName::WelcomeEmail => (WELCOME_SUBJECT, WELCOME_BODY, false),
    };
    EmailTemplate {
        template: Some(name),
        body: Some(body.to_owned()),
        from: Some(String::new()),
        result_url: None,
        subject: Some(subject.to_owned()),
        syntax: Some("liquid".to_owned()),
        url_lifetime_in_seconds: Some(DEFAULT_URL_LIFETIME),
        include_email_in_redirect: Some(true),
        enabled: Some(enabled),
    }
}

/// A mail made from a template, ready to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    /// Empty: the provider's default sender.
    pub from: String,
    pub html: String,
}

fn liquid_error(field: &str, error: liquid::Error) -> AdminError {
    AdminError::InvalidBody(format!(
        "Payload validation error: {field} is not a valid Liquid template: {error}"
    ))
}

fn parser() -> AdminResult<liquid::Parser> {
    liquid::ParserBuilder::with_stdlib()
        .build()
        .map_err(|e| AdminError::Internal(e.to_string()))
}

fn render_one(
    parser: &liquid::Parser,
    field: &str,
    text: &str,
    variables: &Value,
) -> AdminResult<String> {
    let template = parser.parse(text).map_err(|e| liquid_error(field, e))?;
    let globals = liquid::model::to_object(variables).map_err(|e| liquid_error(field, e))?;
    template
        .render(&globals)
        .map_err(|e| liquid_error(field, e))
}

/// `value` with every string HTML-escaped: what a person typed into their profile cannot
/// become markup in the body.
fn escaped(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(escape_html(text)),
        Value::Array(items) => Value::Array(items.iter().map(escaped).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), escaped(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl EmailTemplate {
    /// Renders subject, sender and body with Auth0's `variables`; the body sees them escaped.
    pub fn render(&self, variables: &Value) -> AdminResult<Rendered> {
        let parser = parser()?;
        Ok(Rendered {
            subject: render_one(
                &parser,
                "subject",
                self.subject.as_deref().unwrap_or_default(),
                variables,
            )?,
            from: render_one(
                &parser,
                "from",
                self.from.as_deref().unwrap_or_default(),
                variables,
            )?
            .trim()
            .to_owned(),
            html: render_one(
                &parser,
                "body",
                self.body.as_deref().unwrap_or_default(),
                &escaped(variables),
            )?,
        })
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }

    /// How long its link works, seconds.
    pub fn url_lifetime(&self) -> i64 {
        match self.url_lifetime_in_seconds {
            Some(0) | None => DEFAULT_URL_LIFETIME as i64,
            Some(seconds) => seconds.min(MAX_URL_LIFETIME) as i64,
        }
    }

    /// Refuses what could never render or send: bad Liquid, another syntax, a result URL that
    /// is not http(s), a lifetime beyond thirty days.
    fn check(&self) -> AdminResult<()> {
        if let Some(syntax) = self.syntax.as_deref().filter(|s| *s != "liquid") {
            return Err(AdminError::InvalidBody(format!(
                "Payload validation error: syntax `{syntax}` is not supported: use liquid"
            )));
        }
        let parser = parser()?;
        for (field, text) in [
            ("body", &self.body),
            ("subject", &self.subject),
            ("from", &self.from),
        ] {
            if let Some(text) = text {
                parser.parse(text).map_err(|e| liquid_error(field, e))?;
            }
        }
        if let Some(url) = &self.result_url {
            if !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
                return Err(AdminError::InvalidBody(
                    "Payload validation error: resultUrl must be an http(s) URL".to_owned(),
                ));
            }
        }
        if self
            .url_lifetime_in_seconds
            .is_some_and(|s| s > MAX_URL_LIFETIME)
        {
            return Err(AdminError::InvalidBody(format!(
                "Payload validation error: urlLifetimeInSeconds must be at most {MAX_URL_LIFETIME}"
            )));
        }
        Ok(())
    }

    /// `patch`'s fields over this template's.
    fn patched(mut self, patch: EmailTemplate) -> EmailTemplate {
        macro_rules! take {
            ($($field:ident),*) => { $( if patch.$field.is_some() { self.$field = patch.$field; } )* };
        }
        take!(
            body,
            from,
            result_url,
            subject,
            syntax,
            url_lifetime_in_seconds,
            include_email_in_redirect,
            enabled
        );
        self
    }
}

fn template_missing(name: TemplateName) -> AdminError {
    AdminError::NotFound(Missing::Other, format!("The template `{}`", name.as_str()))
}

/// Auth0's variables for a mail to `user` (`user.email`, `application.name`, `url`, …).
pub fn variables(
    user: &tessera_store::User,
    application: Option<&super::Application>,
    friendly_name: &str,
    url: Option<&str>,
) -> Value {
    let profile = &user.profile;
    json!({
        "user": {
            "user_id": user.user_id,
            "email": user.email,
            "email_verified": user.email_verified,
            "name": user.name,
            "nickname": user.nickname(),
            "given_name": profile.given_name,
            "family_name": profile.family_name,
            "picture": profile.picture,
            "user_metadata": profile.user_metadata,
            "app_metadata": profile.app_metadata,
        },
        // Without an application (a mail an administrator asked for), the tenant's name stands
        // in, so that `{{ application.name }}` always renders.
        "application": match application {
            Some(a) => json!({ "name": a.name, "clientID": a.client_id }),
            None => json!({ "name": friendly_name, "clientID": null }),
        },
        "connection": { "name": crate::CONNECTION },
        "friendly_name": friendly_name,
        "tenant": friendly_name,
        "url": url,
    })
}

impl Admin {
    async fn saved_template(&self, name: TemplateName) -> AdminResult<Option<EmailTemplate>> {
        let Some(stored) = self.store().tenant_setting(&name.setting()).await? else {
            return Ok(None);
        };
        serde_json::from_value(Value::Object(stored))
            .map(Some)
            .map_err(|e| AdminError::Internal(format!("stored email template: {e}")))
    }

    async fn save_template(&self, template: &EmailTemplate, name: TemplateName) -> AdminResult<()> {
        let Value::Object(value) =
            serde_json::to_value(template).map_err(|e| AdminError::Internal(e.to_string()))?
        else {
            return Err(AdminError::Internal("a template is an object".to_owned()));
        };
        let value: JsonObject = value.into_iter().filter(|(_, v)| !v.is_null()).collect();
        self.store()
            .set_tenant_setting(&name.setting(), &value)
            .await?;
        Ok(())
    }

    /// The template mails of `name` are made from: the saved one over Tessera's default.
    pub async fn effective_template(&self, name: TemplateName) -> AdminResult<EmailTemplate> {
        let default = default_template(name);
        Ok(match self.saved_template(name).await? {
            Some(saved) => default.patched(saved),
            None => default,
        })
    }

    /// `GET /api/v2/email-templates/{templateName}`.
    pub async fn email_template(&self, caller: &Caller, name: &str) -> AdminResult<EmailTemplate> {
        caller.require("read:email_templates")?;
        let name = TemplateName::parse(name)?;
        self.saved_template(name)
            .await?
            .map(|saved| default_template(name).patched(saved))
            .ok_or_else(|| template_missing(name))
    }

    /// `POST /api/v2/email-templates`: saves a template not saved before.
    pub async fn create_email_template(
        &self,
        caller: &Caller,
        body: EmailTemplate,
    ) -> AdminResult<EmailTemplate> {
        caller.require("create:email_templates")?;
        let name = body
            .template
            .ok_or_else(|| AdminError::missing("template"))?;
        if self.saved_template(name).await?.is_some() {
            return Err(AdminError::Conflict(format!(
                "Template {} already exists.",
                name.as_str()
            )));
        }
        self.put_template(name, body).await
    }

    /// `PUT /api/v2/email-templates/{templateName}`: replaces the template.
    pub async fn replace_email_template(
        &self,
        caller: &Caller,
        name: &str,
        body: EmailTemplate,
    ) -> AdminResult<EmailTemplate> {
        caller.require("update:email_templates")?;
        let name = TemplateName::parse(name)?;
        if body.template.is_some_and(|given| given != name) {
            return Err(AdminError::InvalidBody(
                "Payload validation error: template does not match the path".to_owned(),
            ));
        }
        for (field, given) in [
            ("body", body.body.is_some()),
            ("subject", body.subject.is_some()),
        ] {
            if !given {
                return Err(AdminError::missing(field));
            }
        }
        self.put_template(name, body).await
    }

    /// `PATCH /api/v2/email-templates/{templateName}`: changes the fields given.
    pub async fn update_email_template(
        &self,
        caller: &Caller,
        name: &str,
        patch: EmailTemplate,
    ) -> AdminResult<EmailTemplate> {
        caller.require("update:email_templates")?;
        let name = TemplateName::parse(name)?;
        if patch.template.is_some_and(|given| given != name) {
            return Err(AdminError::InvalidBody(
                "Payload validation error: template does not match the path".to_owned(),
            ));
        }
        let saved = self
            .saved_template(name)
            .await?
            .ok_or_else(|| template_missing(name))?;
        self.put_template(name, saved.patched(patch)).await
    }

    async fn put_template(
        &self,
        name: TemplateName,
        mut template: EmailTemplate,
    ) -> AdminResult<EmailTemplate> {
        template.template = Some(name);
        template.check()?;
        self.save_template(&template, name).await?;
        Ok(default_template(name).patched(template))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn alice() -> tessera_store::User {
        tessera_store::User {
            user_id: "auth0|alice".to_owned(),
            username: "alice".to_owned(),
            email: "alice@example.com".to_owned(),
            email_verified: false,
            name: "Alice <b>".to_owned(),
            password_hash: String::new(),
            blocked: false,
            created_at: tessera_protocol::Timestamp(0),
            updated_at: tessera_protocol::Timestamp(0),
            profile: tessera_store::UserProfile::default(),
            last_login: None,
            last_ip: None,
            logins_count: 0,
        }
    }

    #[test]
    fn the_body_escapes_what_the_person_typed_and_the_subject_does_not() {
        let template = EmailTemplate {
            subject: Some("Hi {{ user.name }}".to_owned()),
            body: Some("<p>{{ user.name }} <a href=\"{{ url }}\">go</a></p>".to_owned()),
            ..default_template(TemplateName::VerifyEmail)
        };
        let vars = variables(
            &alice(),
            None,
            "Tessera",
            Some("https://id.example/u?a=1&b=2"),
        );
        let rendered = template.render(&vars).unwrap();
        assert_eq!(rendered.subject, "Hi Alice <b>");
        assert_eq!(
            rendered.html,
            "<p>Alice &lt;b&gt; <a href=\"https://id.example/u?a=1&amp;b=2\">go</a></p>"
        );
    }

    #[test]
    fn defaults_name_the_application_or_else_the_tenant() {
        let app = super::super::Application {
            client_id: "abc".to_owned(),
            name: "Shop".to_owned(),
        };
        let welcome = default_template(TemplateName::WelcomeEmail);
        let with_app = welcome
            .render(&variables(&alice(), Some(&app), "Tessera", None))
            .unwrap();
        assert_eq!(with_app.subject, "Welcome to Shop");
        let without = welcome
            .render(&variables(&alice(), None, "Tessera", None))
            .unwrap();
        assert_eq!(without.subject, "Welcome to Tessera");
        let bare = EmailTemplate {
            subject: Some("{{ application.name }}/{{ application.clientID }}".to_owned()),
            ..welcome.clone()
        };
        let rendered = bare
            .render(&variables(&alice(), None, "Tessera", None))
            .unwrap();
        assert_eq!(
            rendered.subject, "Tessera/",
            "no application: the tenant stands in"
        );
        assert!(!welcome.is_enabled());
        assert!(default_template(TemplateName::VerifyEmail).is_enabled());
    }

    #[test]
    fn broken_liquid_and_other_syntaxes_are_refused() {
        let broken = EmailTemplate {
            body: Some("{% if %}".to_owned()),
            ..EmailTemplate::default()
        };
        assert!(matches!(broken.check(), Err(AdminError::InvalidBody(m)) if m.contains("body")));
        let handlebars = EmailTemplate {
            syntax: Some("handlebars".to_owned()),
            ..EmailTemplate::default()
        };
        assert!(handlebars.check().is_err());
        let forever = EmailTemplate {
            url_lifetime_in_seconds: Some(MAX_URL_LIFETIME + 1),
            ..EmailTemplate::default()
        };
        assert!(forever.check().is_err());
    }

    #[test]
    fn names_auth0_has_and_tessera_does_not_send_are_told_apart() {
        assert_eq!(
            TemplateName::parse("reset_email").unwrap(),
            TemplateName::ResetEmail
        );
        assert!(matches!(
            TemplateName::parse("mfa_oob_code"),
            Err(AdminError::InvalidBody(m)) if m.contains("does not send")
        ));
        assert!(matches!(
            TemplateName::parse("nonsense"),
            Err(AdminError::InvalidBody(_))
        ));
    }
}
