//! The token endpoint's flow (RFC 6749 §4.1.3, §4.4, §6): authenticate the client, redeem the
//! code, refresh token or client credentials, and mint the tokens.

use std::sync::Arc;

use serde::Serialize;
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::params::Params;
use tessera_protocol::scope::OFFLINE_ACCESS;
use tessera_protocol::token::{self, ClientAuthError, RefreshGrant, TokenRequest};
use tessera_protocol::{
    GrantType, RegisteredClient, ResourceServer, ScopeSet, SecretDigest, Timestamp,
};
use tessera_store::{CodeRedemption, User};

use crate::client_ip::ClientIp;
use crate::error::InternalError;
use crate::flows::mint::{mint, Mint, Subject};
pub use crate::flows::mint::{mint_implicit, profile_of, ImplicitTokens};
use crate::flows::refresh;
use crate::state::AppState;
use tessera_core::crypto::new_secret;

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: ScopeSet,
}

/// Why no tokens were issued.
#[derive(Debug)]
pub enum TokenFailure {
    /// A protocol error for the client; `basic_challenge` adds `WWW-Authenticate: Basic`.
    Protocol {
        error: TokenError,
        basic_challenge: bool,
    },
    /// Too many failed client authentications from this IP: retry after so many seconds.
    Throttled {
        retry_after: i64,
    },
    Internal(InternalError),
}

impl From<TokenError> for TokenFailure {
    fn from(error: TokenError) -> Self {
        TokenFailure::Protocol {
            error,
            basic_challenge: false,
        }
    }
}

impl From<ClientAuthError> for TokenFailure {
    fn from(failure: ClientAuthError) -> Self {
        TokenFailure::Protocol {
            error: failure.error,
            basic_challenge: failure.basic_attempted,
        }
    }
}

pub(crate) fn internal(error: impl Into<InternalError>) -> TokenFailure {
    TokenFailure::Internal(error.into())
}

pub(crate) fn invalid_grant(description: &str) -> TokenFailure {
    TokenError::new(Code::InvalidGrant, description).into()
}

/// Authenticates the client of a token, revocation or introspection request. Failures count
/// per client_id and IP; too many refuse further attempts for a while without checking them.
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
        return Err(TokenFailure::Throttled { retry_after });
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

/// Handles `POST /oauth/token`.
pub async fn exchange(
    state: &AppState,
    authorization: Option<&str>,
    params: &Params,
    ip: &ClientIp,
) -> Result<TokenResponse, TokenFailure> {
    let now = state.clock.now();
    let client = authenticate(state, authorization, params, ip).await?;
    let request = token::parse_token_request(params)?;
    if !client.allows_grant(request.grant_type()) {
        let grant = request.grant_type().as_str();
        return Err(TokenError::new(
            Code::UnauthorizedClient,
            format!("the application is not allowed the {grant} grant"),
        )
        .into());
    }
    match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            redeem_code(
                state,
                &client,
                &code,
                redirect_uri.as_deref(),
                code_verifier.as_deref(),
                now,
            )
            .await
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
        } => refresh::refresh(state, &client, &refresh_token, scope.as_ref(), now).await,
        TokenRequest::ClientCredentials { audience, scope } => {
            client_credentials(state, &client, audience, scope.as_ref(), now).await
        }
    }
}

/// Refresh tokens issued from a code form a family named after the code, so a replayed code
/// can revoke them (RFC 6749 §4.1.2).
fn family_of_code(code: &SecretDigest) -> String {
    code.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

async fn redeem_code(
    state: &AppState,
    client: &RegisteredClient,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: Timestamp,
) -> Result<TokenResponse, TokenFailure> {
    let digest = SecretDigest::of(code);
    let grant = match state
        .store
        .consume_code(&digest, now)
        .await
        .map_err(internal)?
    {
        CodeRedemption::Redeemed(grant) => grant,
        CodeRedemption::AlreadyUsed => {
            // RFC 6749 §4.1.2: the code was used before; revoke what it issued.
            let revoked = state
                .store
                .revoke_refresh_family(&family_of_code(&digest), now)
                .await
                .map_err(internal)?;
            tracing::warn!(client_id = %client.client_id, revoked, "authorization code replayed");
            crate::audit::code_replayed(state, client, revoked);
            return Err(invalid_grant(
                "the authorization code has already been used",
            ));
        }
        CodeRedemption::Unknown => {
            return Err(invalid_grant(
                "the authorization code is invalid or expired",
            ))
        }
    };
    token::check_code(&grant, &client.client_id, redirect_uri, code_verifier, now)?;
    let user = live_user(state, &grant.user_id).await?;
    let api = api_of(state, grant.audience.as_deref()).await?;
    let offline = grant.scope.contains(OFFLINE_ACCESS)
        && api.as_ref().is_some_and(|a| a.allow_offline_access)
        && client.allows_grant(GrantType::RefreshToken);
    let refresh_token = if offline {
        let refresh = new_secret().map_err(internal)?;
        let refresh_grant = RefreshGrant {
            client_id: client.client_id.clone(),
            user_id: user.user_id.clone(),
            scope: grant.scope.clone(),
            audience: grant.audience.clone(),
            auth_time: grant.auth_time,
            family_id: family_of_code(&digest),
            family_created_at: now,
            last_used_at: now,
            rotated_at: None,
            revoked: false,
            sid: grant.sid.clone(),
        };
        state
            .store
            .insert_refresh_token(&SecretDigest::of(&refresh), &refresh_grant, now)
            .await
            .map_err(internal)?;
        Some(refresh)
    } else {
        None
    };
    let m = Mint {
        client_id: &client.client_id,
        subject: Subject::User(&user),
        scope: &grant.scope,
        api: api.as_deref(),
        auth_time: grant.auth_time,
        nonce: grant.nonce.as_deref(),
        sid: grant.sid.as_deref(),
        now,
    };
    let tokens = respond(state, m, refresh_token)?;
    crate::audit::tokens_issued(state, GrantType::AuthorizationCode, client, &m);
    Ok(tokens)
}

/// RFC 6749 §4.4 with Auth0's client grants: the client may get a token for `audience` with at
/// most the scopes granted to it; `sub` is `client_id@clients`.
async fn client_credentials(
    state: &AppState,
    client: &RegisteredClient,
    audience: Option<String>,
    requested: Option<&ScopeSet>,
    now: Timestamp,
) -> Result<TokenResponse, TokenFailure> {
    let audience = audience
        .or_else(|| state.settings.default_audience.clone())
        .ok_or_else(|| {
            TokenError::new(Code::InvalidRequest, "the audience parameter is missing")
        })?;
    let api = state
        .catalog
        .api(&audience)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            TokenError::new(
                Code::InvalidRequest,
                format!("Service not found: `{audience}` is not a registered API identifier"),
            )
        })?;
    let granted = state.catalog.client_grant(&client.client_id, &audience).await.map_err(internal)?.ok_or_else(|| {
        TokenError::new(
            Code::UnauthorizedClient,
            format!("the application is not authorized to access `{audience}`: create a client grant for it"),
        )
    })?;
    let scope = match requested {
        None => ScopeSet::clone(&granted),
        Some(scope) if scope.is_subset_of(&granted) => scope.clone(),
        Some(_) => {
            return Err(TokenError::new(
                Code::InvalidScope,
                "the requested scope exceeds the client grant",
            )
            .into());
        }
    };
    let m = Mint {
        client_id: &client.client_id,
        subject: Subject::Client,
        scope: &scope,
        api: Some(&api),
        auth_time: now,
        nonce: None,
        sid: None,
        now,
    };
    let tokens = respond(state, m, None)?;
    crate::audit::tokens_issued(state, GrantType::ClientCredentials, client, &m);
    Ok(tokens)
}

pub(crate) async fn live_user(state: &AppState, user_id: &str) -> Result<Arc<User>, TokenFailure> {
    match state.catalog.user(user_id).await.map_err(internal)? {
        Some(user) if !user.blocked => Ok(user),
        _ => Err(invalid_grant("the user no longer exists or is blocked")),
    }
}

pub(crate) async fn api_of(
    state: &AppState,
    audience: Option<&str>,
) -> Result<Option<Arc<ResourceServer>>, TokenFailure> {
    match audience {
        Some(identifier) => match state.catalog.api(identifier).await.map_err(internal)? {
            Some(api) => Ok(Some(api)),
            None => Err(invalid_grant("the API this grant was for no longer exists")),
        },
        None => Ok(None),
    }
}

/// Mints the tokens and shapes the response.
pub(crate) fn respond(
    state: &AppState,
    m: Mint<'_>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, TokenFailure> {
    let minted = mint(state, m, true).map_err(TokenFailure::Internal)?;
    let access_token = minted
        .access_token
        .ok_or_else(|| internal(InternalError::Jwt(tessera_jwt::JwtError::SigningFailed)))?;
    Ok(TokenResponse {
        access_token,
        id_token: minted.id_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: minted.expires_in,
        scope: m.scope.clone(),
    })
}
