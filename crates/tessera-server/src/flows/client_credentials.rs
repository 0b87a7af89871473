//! The client credentials grant (RFC 6749 §4.4) with Auth0's client grants: a client gets a
//! token for one API with at most the scopes its client grant holds; `sub` is
//! `client_id@clients`.

use std::sync::Arc;

use tessera_core::audit::RequestContext;
use tessera_protocol::dpop::bound_key;
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::token::{client_credentials_audience, client_credentials_scope};
use tessera_protocol::{GrantType, RegisteredClient, ScopeSet, Timestamp};

use crate::flows::actions::event::ExchangeFacts;
use crate::flows::actions::{self, refused};
use crate::flows::grant::{internal, TokenFailure};
use crate::flows::mint::{respond, Mint, Subject, TokenResponse};
use crate::state::AppState;

/// Issues `client` an access token for `audience` (or the default audience).
pub async fn issue(
    state: &AppState,
    client: &RegisteredClient,
    audience: Option<String>,
    requested: Option<&ScopeSet>,
    proven_key: Option<&str>,
    now: Timestamp,
    request: &RequestContext,
) -> Result<TokenResponse, TokenFailure> {
    let audience =
        client_credentials_audience(audience, state.settings.default_audience.as_deref())?;
    let api = state
        .catalog
        .api(&audience)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            // Auth0's status, code and message, which its SDKs and apps match on.
            TokenError::new(Code::AccessDenied, format!("Service not found: {audience}"))
        })?;
    let granted = state
        .catalog
        .client_grant(&client.client_id, &audience)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            TokenError::new(
                Code::AccessDenied,
                format!(
                    "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API."
                ),
            )
        })?;
    let scope = client_credentials_scope(requested, &granted)?;
    let dpop_jkt = bound_key(Some(&api), client, proven_key)?;
    // A machine-to-machine token's permissions are its client grant's scopes (as Auth0's).
    let permissions: Option<Arc<[String]>> = api
        .rbac
        .adds_permissions()
        .then(|| scope.iter().map(|s| s.to_string()).collect());
    let facts = ExchangeFacts {
        client,
        api: &api,
        scope: &scope,
        request,
    };
    let custom_claims = actions::credentials_exchange(state, facts)
        .await
        .map_err(internal)?
        .map_err(refused)?;
    let m = Mint {
        client_id: &client.client_id,
        subject: Subject::Client,
        scope: &scope,
        permissions: permissions.as_ref(),
        api: Some(&api),
        custom_claims: custom_claims.as_ref(),
        auth_time: now,
        nonce: None,
        sid: None,
        amr: None,
        family: None,
        dpop_jkt,
        now,
    };
    respond(
        state,
        GrantType::ClientCredentials,
        client,
        m,
        None,
        request,
    )
}
