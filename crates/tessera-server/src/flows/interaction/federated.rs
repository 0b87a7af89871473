//! Logging in through another identity provider: a login page's button (or `/authorize`'s
//! `connection=`) sends the browser there, and its answer at `/login/callback` comes back to
//! the pending authorization — the state opened, used once, and accepted only from the browser
//! that started the login — then an SSO session and the next step, as after any login.

use tessera_protocol::error::AuthorizeError;
use tessera_protocol::mfa::Amr;
use tessera_protocol::{AuthorizeErrorCode as Code, SecretDigest};

use super::mfa::after_first_factor;
use super::{app_identity, load, load_for_post, login_refused};
use super::{ConnectionForm, Interaction, Refusal};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::authorize::{request_error, Outcome};
use crate::flows::browser::BrowserCookies;
use crate::flows::credentials;
use crate::flows::upstream::{self, Answer};
use crate::i18n::text;
use crate::state::AppState;

/// `/login/callback`'s parameters.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub state: String,
    pub code: Option<String>,
    /// RFC 9207: the provider's issuer, when it sends it.
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// `POST /u/login/connection`: a button for another identity provider, which the browser is
/// sent to.
pub async fn submit_connection_login(
    state: &AppState,
    form: ConnectionForm,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let client_id = &pending.request.client_id;
    let Some(provider) = state
        .admin
        .upstream_provider(&form.connection, client_id)
        .await?
    else {
        let app = app_identity(state, client_id).await?;
        let message = text("This connection is not enabled for this application.");
        return login_refused(state, &pending, cookies, app, message).await;
    };
    let outcome = match upstream::authorization_url(state, &pending, &provider).await? {
        Ok(location) => Outcome::Interact {
            location,
            browser_cookie: None,
        },
        Err(unreachable) => Outcome::ErrorPage(unreachable),
    };
    Ok(Interaction::Navigate(outcome))
}

/// `GET /login/callback`: the provider's answer.
pub async fn callback(
    state: &AppState,
    answer: Callback,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let Some(transaction) = upstream::open_state(state, &answer.state) else {
        return Ok(refused(
            "the state of the identity provider's answer is not ours",
        ));
    };
    let mut pending = match load(state, &transaction.pending, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    // The state is the transaction: one answer per redirect, however often it is replayed.
    let now = state.clock.now();
    let digest = SecretDigest::of(&answer.state);
    if !state
        .store
        .first_use(&digest, pending.expires_at, now)
        .await?
    {
        return Ok(refused(
            "this answer of the identity provider was used already",
        ));
    }
    let client_id = pending.request.client_id.clone();
    let provider = state
        .admin
        .upstream_provider(&transaction.connection, &client_id)
        .await?;
    let Some(provider) = provider else {
        return Ok(refused(
            "the connection is no longer enabled for this application",
        ));
    };
    if let Some(error) = &answer.error {
        // Auth0 passes the provider's refusal on to the application.
        state.store.finish_pending(&pending.id).await?;
        let description = answer
            .error_description
            .clone()
            .unwrap_or_else(|| format!("the identity provider answered {error}"));
        let error = AuthorizeError::new(Code::AccessDenied, description);
        let response = request_error(state, &pending.request, &error);
        return Ok(Interaction::Navigate(Outcome::ToClient(response)));
    }
    let Some(code) = answer.code else {
        return Ok(refused("the identity provider's answer has no code"));
    };
    let finished =
        upstream::finish(state, &provider, transaction, code, answer.iss.as_deref()).await?;
    let user = match finished {
        Answer::LoggedIn(user) => *user,
        Answer::Blocked => {
            return Ok(refused(
                "This account is blocked. Contact the administrator.",
            ))
        }
        Answer::Unreachable(error) => return Ok(Interaction::Navigate(Outcome::ErrorPage(error))),
        Answer::Refused(why) => return Ok(refused(why)),
    };
    credentials::record_login(state, &user.user_id, origin).await?;
    let app = app_identity(state, &client_id).await?;
    // The tenant's MFA policy holds for these logins too, as at Auth0.
    let first = Amr::federated();
    after_first_factor(
        state,
        &mut pending,
        &user,
        first,
        &app.name,
        cookies,
        origin,
    )
    .await
}

fn refused(why: &str) -> Interaction {
    Interaction::Refused(Refusal::BadRequest(why.to_owned()))
}
