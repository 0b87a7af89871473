//! Logout rules: Auth0's `GET /v2/logout` and OpenID Connect RP-Initiated Logout 1.0
//! (`/oidc/logout`) — which parameters must come together, which URL the browser may be sent
//! back to, and when the user must be asked before their session ends.

use crate::redirect_uri::RedirectUri;
use crate::secret::constant_time_eq;
use crate::RegisteredClient;

/// Why a logout request cannot be honoured; shown on an error page, never redirected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LogoutRefused(pub String);

/// Where a logout may send the browser: `uri`, one of `owner`'s Allowed Logout URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnTo<'a> {
    pub uri: &'a str,
    pub owner: &'a str,
}

/// Auth0's `/v2/logout`: `returnTo` is checked against the Allowed Logout URLs of the
/// application `client_id` names, so it needs one.
pub fn auth0_return_to<'a>(
    return_to: Option<&'a str>,
    client_id: Option<&'a str>,
) -> Result<Option<ReturnTo<'a>>, LogoutRefused> {
    match (return_to, client_id) {
        (None, _) => Ok(None),
        (Some(uri), Some(owner)) => Ok(Some(ReturnTo { uri, owner })),
        (Some(_), None) => Err(LogoutRefused(
            "returnTo needs the client_id of the application it belongs to".into(),
        )),
    }
}

/// RP-Initiated Logout §2: a `client_id` sent with an `id_token_hint` must be the hint's
/// audience, and `post_logout_redirect_uri` belongs to the client the hint or `client_id`
/// names (without either it cannot be checked, so it is refused).
pub fn oidc_return_to<'a>(
    hinted: Option<&'a str>,
    client_id: Option<&'a str>,
    post_logout_redirect_uri: Option<&'a str>,
) -> Result<Option<ReturnTo<'a>>, LogoutRefused> {
    if let (Some(hinted), Some(given)) = (hinted, client_id) {
        if hinted != given {
            return Err(LogoutRefused(
                "client_id does not match the id_token_hint's audience".into(),
            ));
        }
    }
    let Some(uri) = post_logout_redirect_uri else {
        return Ok(None);
    };
    match hinted.or(client_id) {
        Some(owner) => Ok(Some(ReturnTo { uri, owner })),
        None => Err(LogoutRefused(
            "post_logout_redirect_uri needs an id_token_hint or a client_id".into(),
        )),
    }
}

/// The URL is one of the owner's Allowed Logout URLs (exact match); `parameter` names it in
/// the refusal.
pub fn check_return_to(
    return_to: ReturnTo<'_>,
    owner: Option<&RegisteredClient>,
    parameter: &str,
) -> Result<(), LogoutRefused> {
    if owner.is_some_and(|client| client.allows_logout_url(return_to.uri)) {
        Ok(())
    } else {
        Err(LogoutRefused(format!(
            "{parameter} `{}` is not in the Allowed Logout URLs of application `{}`",
            return_to.uri, return_to.owner
        )))
    }
}

/// RP-Initiated Logout §2: without an `id_token_hint` naming this browser's session, the user
/// is asked first, so a link with someone else's ID token cannot end it. `hint_sid` is the
/// `sid` of a valid hint (`hinted` says whether there was one); `session_sid` is the browser's
/// live session, if it has one (with none, there is nothing to protect).
pub fn must_confirm(hinted: bool, hint_sid: Option<&str>, session_sid: Option<&str>) -> bool {
    if !hinted {
        return true;
    }
    match session_sid {
        None => false,
        Some(session) => !hint_sid.is_some_and(|sid| constant_time_eq(sid, session)),
    }
}

/// RP-Initiated Logout §3: the client's `state` goes back with the redirect.
pub fn with_state(uri: &str, client_state: Option<&str>) -> String {
    match (RedirectUri::parse(uri), client_state) {
        (Ok(uri), Some(client_state)) => uri.with_query(&[("state", client_state)]),
        _ => uri.to_owned(),
    }
}
