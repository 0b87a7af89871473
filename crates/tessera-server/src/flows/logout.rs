//! Logout: Auth0's `GET /v2/logout` and OpenID Connect RP-Initiated Logout (`/oidc/logout`).
//! The SSO session is deleted from the store, so it ends on every node.

use serde_json::Value;
use tessera_protocol::logout::{
    self as rules, auth0_return_to, check_return_to, must_confirm, oidc_return_to, LogoutRefused,
    ReturnTo,
};
use tessera_protocol::params::Params;
use tessera_protocol::secret::constant_time_eq;
use tessera_protocol::{ClientId, SecretDigest};

use crate::error::InternalError;
use crate::flows::browser::BrowserCookies;
use crate::flows::own_tokens::verify_own;
use crate::state::AppState;
use tessera_core::crypto::{bound_csrf_token, new_secret};

/// What the browser sees after a logout request.
#[derive(Debug)]
pub enum LogoutOutcome {
    /// The session ended; go to this URL.
    Redirect(String),
    /// The session ended; show the logged-out page.
    LoggedOut,
    /// Without an `id_token_hint`, ask the user first (RP-Initiated Logout §2): a form that
    /// posts back with this CSRF token; `browser_cookie` is set when the browser had none.
    Confirm {
        csrf_token: String,
        browser_cookie: Option<String>,
    },
    /// The request cannot be honoured; shown as an error page, never redirected.
    Refused(String),
}

fn param<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, LogoutOutcome> {
    params
        .get(name)
        .map_err(|repeated| LogoutOutcome::Refused(repeated.to_string()))
}

async fn end_session(state: &AppState, cookies: &BrowserCookies) -> Result<(), InternalError> {
    if let Some(cookie) = &cookies.session {
        if let Some(session) = state.store.end_session(&SecretDigest::of(cookie)).await? {
            tracing::info!(user_id = %session.user_id, "session ended by logout");
        }
    }
    Ok(())
}

/// Refuses the logout unless `return_to` is one of its application's Allowed Logout URLs.
async fn allowed(
    state: &AppState,
    return_to: ReturnTo<'_>,
    parameter: &str,
) -> Result<Result<(), LogoutRefused>, InternalError> {
    let owner = state
        .catalog
        .client(&ClientId(return_to.owner.to_owned()))
        .await?;
    Ok(check_return_to(return_to, owner.as_deref(), parameter))
}

/// `GET /v2/logout?client_id=…&returnTo=…`: `returnTo` must be one of the application's
/// Allowed Logout URLs (exact match), else nothing is redirected.
pub async fn auth0_logout(
    state: &AppState,
    params: &Params,
    cookies: &BrowserCookies,
) -> Result<LogoutOutcome, InternalError> {
    let (return_to, client_id) = match (param(params, "returnTo"), param(params, "client_id")) {
        (Ok(return_to), Ok(client_id)) => (return_to, client_id),
        (Err(refused), _) | (_, Err(refused)) => return Ok(refused),
    };
    let return_to = match auth0_return_to(return_to, client_id) {
        Ok(return_to) => return_to,
        Err(refused) => return Ok(refused.into()),
    };
    if let Some(return_to) = return_to {
        if let Err(refused) = allowed(state, return_to, "returnTo").await? {
            return Ok(refused.into());
        }
    }
    end_session(state, cookies).await?;
    Ok(match return_to {
        Some(return_to) => LogoutOutcome::Redirect(return_to.uri.to_owned()),
        None => LogoutOutcome::LoggedOut,
    })
}

impl From<LogoutRefused> for LogoutOutcome {
    fn from(refused: LogoutRefused) -> Self {
        LogoutOutcome::Refused(refused.0)
    }
}

/// The logout confirmation's CSRF token, bound to the browser cookie.
pub fn logout_csrf(browser_cookie: &str) -> String {
    bound_csrf_token("logout", browser_cookie)
}

/// `GET`/`POST /oidc/logout` (RP-Initiated Logout 1.0 §2–3). `confirmation` is the CSRF token
/// of a submitted confirmation form.
pub async fn oidc_logout(
    state: &AppState,
    params: &Params,
    cookies: &BrowserCookies,
    confirmation: Option<&str>,
) -> Result<LogoutOutcome, InternalError> {
    let names = [
        "id_token_hint",
        "client_id",
        "post_logout_redirect_uri",
        "state",
    ];
    let mut values = Vec::with_capacity(names.len());
    for name in names {
        match param(params, name) {
            Ok(value) => values.push(value),
            Err(refused) => return Ok(refused),
        }
    }
    let [hint, client_id, redirect, client_state] = [values[0], values[1], values[2], values[3]];
    let (hinted, hinted_sid) = match hint {
        None => (None, None),
        Some(hint) => match hinted_client(state, hint).await {
            Ok((aud, sid)) => (Some(aud), sid),
            Err(reason) => return Ok(LogoutOutcome::Refused(format!("id_token_hint: {reason}"))),
        },
    };
    let destination = match oidc_return_to(hinted.as_deref(), client_id, redirect) {
        Ok(destination) => destination,
        Err(refused) => return Ok(refused.into()),
    };
    if let Some(return_to) = destination {
        if let Err(refused) = allowed(state, return_to, "post_logout_redirect_uri").await? {
            return Ok(refused.into());
        }
    }
    // Without a hint the user is asked anyway: the session need not be looked up.
    let session = match hinted {
        Some(_) => current_sid(state, cookies).await?,
        None => None,
    };
    if must_confirm(hinted.is_some(), hinted_sid.as_deref(), session.as_deref()) {
        match confirmed(cookies, confirmation)? {
            Confirmation::Confirmed => {}
            Confirmation::Ask(outcome) => return Ok(outcome),
        }
    }
    end_session(state, cookies).await?;
    Ok(match destination {
        Some(return_to) => LogoutOutcome::Redirect(rules::with_state(return_to.uri, client_state)),
        None => LogoutOutcome::LoggedOut,
    })
}

enum Confirmation {
    Confirmed,
    Ask(LogoutOutcome),
}

fn confirmed(
    cookies: &BrowserCookies,
    confirmation: Option<&str>,
) -> Result<Confirmation, InternalError> {
    match (&cookies.browser, confirmation) {
        (Some(browser), Some(token)) if constant_time_eq(&logout_csrf(browser), token) => {
            Ok(Confirmation::Confirmed)
        }
        (Some(browser), _) => Ok(Confirmation::Ask(LogoutOutcome::Confirm {
            csrf_token: logout_csrf(browser),
            browser_cookie: None,
        })),
        (None, _) => {
            let fresh = new_secret()?;
            Ok(Confirmation::Ask(LogoutOutcome::Confirm {
                csrf_token: logout_csrf(&fresh),
                browser_cookie: Some(fresh),
            }))
        }
    }
}

/// The client an ID token was issued to, and its session id. Its signature and issuer must be
/// ours; an expired hint is still a valid hint (RP-Initiated Logout §2).
async fn hinted_client(
    state: &AppState,
    hint: &str,
) -> Result<(String, Option<String>), &'static str> {
    let claims: Value = verify_own(state, hint, "JWT").await?;
    if claims["iss"] != state.settings.issuer.as_str() {
        return Err("the ID token has another issuer");
    }
    let aud = claims["aud"]
        .as_str()
        .map(str::to_owned)
        .ok_or("the ID token has no audience")?;
    Ok((aud, claims["sid"].as_str().map(str::to_owned)))
}

/// The `sid` of the browser's live SSO session, if it has one.
async fn current_sid(
    state: &AppState,
    cookies: &BrowserCookies,
) -> Result<Option<String>, InternalError> {
    let Some(cookie) = &cookies.session else {
        return Ok(None);
    };
    let session = state
        .store
        .session(&SecretDigest::of(cookie), state.clock.now())
        .await?;
    Ok(session.map(|session| session.sid))
}
