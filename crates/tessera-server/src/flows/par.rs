//! Pushed authorization requests (RFC 9126): a client posts its authorization request to
//! `/oauth/par`, authenticated as at the token endpoint, and gets a short-lived, single-use
//! `request_uri`; `/authorize` then takes only `client_id` and that reference, so the request
//! never travels in the browser's URL and is checked before any user sees a page.

use tessera_core::crypto::new_secret;
use tessera_protocol::authorize::trusted_redirect;
use tessera_protocol::error::{AuthorizeError, AuthorizeErrorCode as Code};
use tessera_protocol::params::Params;
use tessera_protocol::{SecretDigest, Timestamp};
use tessera_store::PushedRequest;

use crate::client_ip::ClientIp;
use crate::error::InternalError;
use crate::flows::authorize::validated;
use crate::flows::client_auth::authenticate;
use crate::flows::grant::{internal, TokenFailure};
use crate::state::AppState;

/// RFC 9126 §2.2: the reference's URN prefix.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Seconds a pushed request waits for its `/authorize` (RFC 9126 §2.2 suggests a short time;
/// Auth0's is 30).
pub const PUSHED_REQUEST_LIFETIME: i64 = 30;

/// Client authentication parameters: checked at the push, never stored with the request.
const CLIENT_CREDENTIALS: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// The answer to a push (RFC 9126 §2.2).
#[derive(Debug, serde::Serialize)]
pub struct Pushed {
    pub request_uri: String,
    pub expires_in: i64,
}

/// Why a push was refused.
#[derive(Debug)]
pub enum PushRefused {
    /// The client did not authenticate (or was throttled): as at the token endpoint.
    Client(TokenFailure),
    /// The authorization request itself is wrong, with the error `/authorize` would give.
    Request(AuthorizeError),
}

impl From<InternalError> for PushRefused {
    fn from(error: InternalError) -> Self {
        PushRefused::Client(TokenFailure::Internal(error))
    }
}

fn invalid_request(description: impl Into<String>) -> AuthorizeError {
    AuthorizeError::new(Code::InvalidRequest, description)
}

/// `POST /oauth/par`: authenticates the client, checks the request as `/authorize` would, and
/// stores it under a fresh reference.
pub async fn push(
    state: &AppState,
    authorization: Option<&str>,
    params: &Params,
    ip: &ClientIp,
) -> Result<Pushed, PushRefused> {
    let client = authenticate(state, authorization, params, ip)
        .await
        .map_err(PushRefused::Client)?;
    if params.get("request_uri").ok().flatten().is_some() {
        return Err(PushRefused::Request(invalid_request(
            "request_uri is not allowed in a pushed authorization request (RFC 9126 §2.1)",
        )));
    }
    if params.get("request").ok().flatten().is_some() {
        return Err(PushRefused::Request(AuthorizeError::new(
            Code::InvalidRequest,
            "request objects are not supported",
        )));
    }
    let mut pairs: Vec<(String, String)> = params
        .pairs()
        .iter()
        .filter(|(name, _)| !CLIENT_CREDENTIALS.contains(&name.as_str()))
        .cloned()
        .collect();
    match params.get("client_id").ok().flatten() {
        None => pairs.push(("client_id".into(), client.client_id.to_string())),
        Some(named) if named == client.client_id.as_str() => {}
        Some(_) => {
            return Err(PushRefused::Request(invalid_request(
                "client_id names another application than the one authenticated",
            )))
        }
    }
    let request = Params::new(pairs);
    let redirect = trusted_redirect(&request, Some(&client)).map_err(PushRefused::Request)?;
    validated(state, &request, &client, redirect)
        .await?
        .map_err(PushRefused::Request)?;
    let reference = new_secret()
        .map_err(internal)
        .map_err(PushRefused::Client)?;
    let now = state.clock.now();
    let pushed = PushedRequest {
        client_id: client.client_id.clone(),
        params: request.pairs().to_vec(),
        created_at: now,
        expires_at: now.plus(PUSHED_REQUEST_LIFETIME),
    };
    state
        .store
        .push_request(&SecretDigest::of(&reference), &pushed)
        .await
        .map_err(internal)
        .map_err(PushRefused::Client)?;
    Ok(Pushed {
        request_uri: format!("{REQUEST_URI_PREFIX}{reference}"),
        expires_in: PUSHED_REQUEST_LIFETIME,
    })
}

/// What `/authorize` was given.
#[derive(Debug)]
pub enum Pulled {
    /// No `request_uri`: the request is in the query.
    NotPushed,
    /// The pushed request, in place of the query (RFC 9126 §4: only its parameters count).
    Pushed(Params),
    /// A `request_uri` that names nothing usable: an error page, never a redirect.
    Refused(AuthorizeError),
}

/// The pushed request an `/authorize` query names, taken (it works once).
pub async fn pull(
    state: &AppState,
    query: &Params,
    now: Timestamp,
) -> Result<Pulled, InternalError> {
    let request_uri = match query.get("request_uri") {
        Ok(None) => return Ok(Pulled::NotPushed),
        Ok(Some(request_uri)) => request_uri,
        Err(repeated) => return Ok(Pulled::Refused(invalid_request(repeated.to_string()))),
    };
    let Some(client_id) = query.get("client_id").ok().flatten() else {
        return Ok(Pulled::Refused(invalid_request(
            "the client_id parameter is missing",
        )));
    };
    let unusable = || {
        Pulled::Refused(invalid_request(
            "the request_uri is unknown, expired, already used, or not this application's",
        ))
    };
    let Some(reference) = request_uri.strip_prefix(REQUEST_URI_PREFIX) else {
        return Ok(unusable());
    };
    let taken = state
        .store
        .take_pushed_request(&SecretDigest::of(reference), now)
        .await?;
    Ok(match taken {
        Some(pushed) if pushed.client_id.as_str() == client_id => {
            Pulled::Pushed(Params::new(pushed.params))
        }
        _ => unusable(),
    })
}
