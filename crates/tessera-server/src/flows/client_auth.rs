//! Client authentication at the token, revocation and introspection endpoints (RFC 6749
//! §2.3.1), with failures throttled per client_id and IP: too many refuse further attempts for
//! a while without checking them.

use std::sync::Arc;

use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::params::Params;
use tessera_protocol::token;
use tessera_protocol::RegisteredClient;

use crate::client_ip::ClientIp;
use crate::flows::grant::{internal, TokenFailure};
use crate::state::AppState;

/// The client the request's credentials (HTTP Basic or the body) authenticate.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    params: &Params,
    ip: &ClientIp,
) -> Result<Arc<RegisteredClient>, TokenFailure> {
    let credentials = token::client_credentials(authorization, params)?;
    let client_id = credentials.client_id.as_str();
    let now = state.clock.now();
    if let Some(retry_after) = state.client_auth.retry_after(client_id, ip, now) {
        return Err(TokenFailure::Throttled {
            retry_after,
            reason: "too many failed client authentications from this address",
        });
    }
    let client = state
        .catalog
        .client(&credentials.client_id)
        .await
        .map_err(internal)?;
    let authenticated = token::authenticate_client(&credentials, client.as_deref())
        .map_err(TokenFailure::from)
        .and_then(|()| {
            client.ok_or_else(|| {
                TokenError::new(Code::InvalidClient, "client authentication failed").into()
            })
        });
    match &authenticated {
        Ok(_) => state.client_auth.succeeded(client_id, ip),
        Err(_) => state.client_auth.failed(client_id, ip, now),
    }
    authenticated
}
