//! The hosted "Forgot password?" page (`/u/reset-password/request`), reached from the login
//! page during an authorization: asks for the email address, answers that a mail is on its
//! way whatever the address, and links back to the login page.

use tessera_admin::email::Application;

use super::{app_identity, csrf_of, load, load_for_post, Interaction, ResetRequestForm};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::browser::BrowserCookies;
use crate::flows::password_reset::{request_reset, ResetAttempt, RESET_THROTTLED};
use crate::i18n::text;
use crate::state::AppState;

/// What the page shows.
#[derive(Debug, Clone)]
pub struct ForgotPasswordView {
    pub state: String,
    pub csrf_token: String,
    pub client_name: String,
    /// The application's `logo_uri`, shown above the heading.
    pub logo: Option<String>,
    pub email: String,
    /// The request was taken: the page says to check the mailbox.
    pub sent: bool,
    /// What to fix, in English (the page translates it).
    pub error: Option<&'static str>,
    pub ui_locales: Option<String>,
}

/// `GET /u/reset-password/request`.
pub async fn forgot_password_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let pending = match load(state, id, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let app = app_identity(state, &pending.request.client_id).await?;
    Ok(Interaction::ForgotPassword(ForgotPasswordView {
        state: pending.id.clone(),
        csrf_token: csrf_of(&pending, cookies),
        client_name: app.name,
        logo: app.logo,
        email: pending.request.login_hint.clone().unwrap_or_default(),
        sent: false,
        error: None,
        ui_locales: pending.request.ui_locales.clone(),
    }))
}

/// `POST /u/reset-password/request`.
pub async fn submit_forgot_password(
    state: &AppState,
    form: ResetRequestForm,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let app = app_identity(state, &pending.request.client_id).await?;
    let mut view = ForgotPasswordView {
        state: pending.id.clone(),
        csrf_token: csrf_of(&pending, cookies),
        client_name: app.name.clone(),
        logo: app.logo,
        email: form.email.clone(),
        sent: false,
        error: None,
        ui_locales: pending.request.ui_locales.clone(),
    };
    if form.email.trim().is_empty() {
        view.error = Some(text("Enter your email address."));
        return Ok(Interaction::ResetRefused(view));
    }
    let application = Application {
        client_id: pending.request.client_id.to_string(),
        name: app.name,
    };
    match request_reset(state, &form.email, Some(application), &origin.context).await? {
        ResetAttempt::Answered => {
            view.sent = true;
            Ok(Interaction::ForgotPassword(view))
        }
        ResetAttempt::Throttled { retry_after } => {
            view.error = Some(RESET_THROTTLED);
            Ok(Interaction::ResetThrottled { view, retry_after })
        }
    }
}
