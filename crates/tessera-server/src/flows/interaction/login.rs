//! The hosted login: brute-force checks, then the password (argon2id, off the executor), then a
//! second factor when one is due, or else an SSO session and the next step of the authorization;
//! or a passkey the browser offers, which names the account and proves it.

use tessera_core::brute_force::ACCOUNT_BLOCKED;

use tessera_protocol::mfa::Amr;

use super::mfa::{after_first_factor, PASSKEY_REFUSED};
use super::{
    app_identity, csrf_of, load, load_for_post, log_in, login_refused, login_view, Interaction,
    LoginForm, PasskeyForm,
};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::browser::BrowserCookies;
use crate::flows::credentials::{self, Checked, ForClient};
use crate::i18n::text;
use crate::state::AppState;

/// `GET /u/login`.
pub async fn login_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let pending = match load(state, id, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let app = app_identity(state, &pending.request.client_id).await?;
    // OIDC Core §3.1.2.1: login_hint prefills the identifier.
    let hint = pending.request.login_hint.clone().unwrap_or_default();
    Ok(Interaction::Login(
        login_view(state, &pending, csrf_of(&pending, cookies), app, hint, None).await?,
    ))
}

/// `POST /u/login`: brute-force checks, then the password (argon2id, off the executor), then an
/// SSO session.
pub async fn submit_login(
    state: &AppState,
    form: LoginForm,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let mut pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let app = app_identity(state, &pending.request.client_id).await?;
    let client = ForClient {
        client_id: &pending.request.client_id,
        name: &app.name,
    };
    let checked = credentials::check(state, &form.username, form.password, client, origin).await?;
    let user = match checked {
        Checked::Valid(user) => user,
        Checked::Throttled(verdict) => {
            let (message, retry_after) = verdict.refusal().unwrap_or((ACCOUNT_BLOCKED, 0));
            let view = login_view(
                state,
                &pending,
                csrf_of(&pending, cookies),
                app,
                form.username,
                Some(message.into()),
            )
            .await?;
            return Ok(Interaction::Throttled { view, retry_after });
        }
        refused @ (Checked::Wrong | Checked::Blocked) => {
            let message = if matches!(refused, Checked::Blocked) {
                text("This account is blocked. Contact the administrator.")
            } else {
                text("Wrong username or password.")
            };
            return Ok(Interaction::LoginFailed(
                login_view(
                    state,
                    &pending,
                    csrf_of(&pending, cookies),
                    app,
                    form.username,
                    Some(message.into()),
                )
                .await?,
            ));
        }
    };
    after_first_factor(
        state,
        &mut pending,
        &user,
        Amr::password(),
        &app.name,
        cookies,
        origin,
    )
    .await
}

/// `POST /u/login/passkey`: a passkey the browser offered (autofill or the button) names the
/// account and proves it with user verification — two factors in one step, so no second
/// factor is asked.
pub async fn submit_passkey_login(
    state: &AppState,
    form: PasskeyForm,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let mut pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let app = app_identity(state, &pending.request.client_id).await?;
    let proved = state
        .admin
        .finish_passkey_login(&pending.id, &form.ceremony, &form.credential)
        .await?;
    let user = match proved {
        Ok(proof) => state.store.user(&proof.user_id).await?.map(|u| (u, proof)),
        Err(_) => None,
    };
    let (user, proof) = match user {
        Some((user, proof)) if !user.blocked => (user, proof),
        refused => {
            let message = if refused.is_some() {
                text("This account is blocked. Contact the administrator.")
            } else {
                PASSKEY_REFUSED
            };
            return login_refused(state, &pending, cookies, app, message).await;
        }
    };
    let amr = Amr::verified_key(proof.method);
    log_in(state, &mut pending, &user, amr, &app.name, origin).await
}
