//! Logout: Auth0's `GET /v2/logout` and OpenID Connect RP-Initiated Logout (`/oidc/logout`).
//! The SSO session is deleted from the store, so it ends on every node.

use serde_json::Value;
use tessera_protocol::params::Params;
use tessera_protocol::redirect_uri::RedirectUri;
use tessera_protocol::secret::constant_time_eq;
use tessera_protocol::{ClientId, RegisteredClient, SecretDigest};

use crate::error::InternalError;
use crate::flows::authorize::BrowserCookies;
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

async fn client(
    state: &AppState,
    client_id: &str,
) -> Result<Option<RegisteredClient>, InternalError> {
    Ok(state.store.client(&ClientId(client_id.to_owned())).await?)
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
    if let Some(return_to) = return_to {
        let Some(client_id) = client_id else {
            return Ok(LogoutOutcome::Refused(
                "returnTo needs the client_id of the application it belongs to".into(),
            ));
        };
        let allowed = client(state, client_id)
            .await?
            .is_some_and(|c| c.allows_logout_url(return_to));
        if !allowed {
            return Ok(LogoutOutcome::Refused(format!(
                "returnTo `{return_to}` is not in the Allowed Logout URLs of application `{client_id}`"
            )));
        }
        end_session(state, cookies).await?;
        return Ok(LogoutOutcome::Redirect(return_to.to_owned()));
    }
    end_session(state, cookies).await?;
    Ok(LogoutOutcome::LoggedOut)
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
    if let (Some(hinted), Some(given)) = (&hinted, client_id) {
        if hinted != given {
            return Ok(LogoutOutcome::Refused(
                "client_id does not match the id_token_hint's audience".into(),
            ));
        }
    }
    let destination = match redirect {
        None => None,
        Some(uri) => {
            let Some(owner) = hinted.as_deref().or(client_id) else {
                return Ok(LogoutOutcome::Refused(
                    "post_logout_redirect_uri needs an id_token_hint or a client_id".into(),
                ));
            };
            if !client(state, owner)
                .await?
                .is_some_and(|c| c.allows_logout_url(uri))
            {
                return Ok(LogoutOutcome::Refused(format!(
                    "post_logout_redirect_uri `{uri}` is not in the Allowed Logout URLs of application `{owner}`"
                )));
            }
            Some(uri)
        }
    };
    // RP-Initiated Logout §2: without a hint for *this* session, the user is asked first, so a
    // link with someone else's ID token cannot end it.
    if !hint_is_for_this_session(state, cookies, hinted.is_some(), hinted_sid.as_deref()).await? {
        match confirmed(cookies, confirmation)? {
            Confirmation::Confirmed => {}
            Confirmation::Ask(outcome) => return Ok(outcome),
        }
    }
    end_session(state, cookies).await?;
    Ok(match destination {
        Some(uri) => LogoutOutcome::Redirect(with_state(uri, client_state)),
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

/// Whether a valid hint names the browser's current session (or there is none to end).
async fn hint_is_for_this_session(
    state: &AppState,
    cookies: &BrowserCookies,
    hinted: bool,
    sid: Option<&str>,
) -> Result<bool, InternalError> {
    if !hinted {
        return Ok(false);
    }
    let Some(cookie) = &cookies.session else {
        return Ok(true);
    };
    let session = state
        .store
        .session(&SecretDigest::of(cookie), state.clock.now())
        .await?;
    Ok(match session {
        None => true,
        Some(session) => sid.is_some_and(|sid| constant_time_eq(sid, &session.sid)),
    })
}

fn with_state(uri: &str, client_state: Option<&str>) -> String {
    match (RedirectUri::parse(uri), client_state) {
        (Ok(uri), Some(client_state)) => uri.with_query(&[("state", client_state)]),
        _ => uri.to_owned(),
    }
}
