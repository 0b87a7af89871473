//! The token endpoint's flow (RFC 6749 §4.1.3–4.1.4, §6): authenticate the client, redeem the
//! code or refresh token, and mint the tokens.

use serde::Serialize;
use tessera_protocol::claims::{self, Profile, TokenContext};
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::params::Params;
use tessera_protocol::scope::{OFFLINE_ACCESS, OPENID};
use tessera_protocol::token::{self, ClientAuthError, CodeGrant, RefreshGrant, TokenRequest};
use tessera_protocol::{
    ClientId, GrantType, RegisteredClient, ResourceServer, ScopeSet, SecretDigest, Timestamp,
};
use tessera_store::User;

use crate::crypto::{new_secret, random_token};
use crate::error::InternalError;
use crate::state::AppState;

/// Lifetime of an access token for /userinfo only (no API), as Auth0's default.
const USERINFO_TOKEN_LIFETIME: i64 = 86_400;

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

fn internal(error: impl Into<InternalError>) -> TokenFailure {
    TokenFailure::Internal(error.into())
}

/// Handles `POST /oauth/token`.
pub async fn exchange(
    state: &AppState,
    authorization: Option<&str>,
    params: &Params,
) -> Result<TokenResponse, TokenFailure> {
    let now = state.clock.now();
    let credentials = token::client_credentials(authorization, params)?;
    let client = state
        .store
        .client(&credentials.client_id)
        .await
        .map_err(internal)?;
    token::authenticate_client(&credentials, client.as_ref())?;
    let client = client
        .ok_or_else(|| TokenError::new(Code::InvalidClient, "client authentication failed"))?;
    let request = token::parse_token_request(params)?;
    if !client.allows_grant(request.grant_type()) {
        return Err(TokenError::new(
            Code::UnauthorizedClient,
            format!(
                "the application is not allowed the {} grant",
                request.grant_type().as_str()
            ),
        )
        .into());
    }
    match request {
        TokenRequest::AuthorizationCode { code, redirect_uri } => {
            redeem_code(state, &client, &code, redirect_uri.as_deref(), now).await
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
        } => refresh(state, &client, &refresh_token, scope.as_ref(), now).await,
    }
}

fn invalid_grant(description: &str) -> TokenFailure {
    TokenError::new(Code::InvalidGrant, description).into()
}

async fn redeem_code(
    state: &AppState,
    client: &RegisteredClient,
    code: &str,
    redirect_uri: Option<&str>,
    now: Timestamp,
) -> Result<TokenResponse, TokenFailure> {
    let grant: CodeGrant = state
        .store
        .consume_code(&SecretDigest::of(code), now)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            invalid_grant("the authorization code is invalid, expired or already used")
        })?;
    token::check_code(&grant, &client.client_id, redirect_uri, now)?;
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
            expires_at: Some(now.plus(state.settings.refresh_token_lifetime)),
            revoked: false,
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
    let minted = Mint {
        client_id: &client.client_id,
        user: &user,
        scope: &grant.scope,
        api: api.as_ref(),
        auth_time: grant.auth_time,
        nonce: grant.nonce.as_deref(),
        now,
    };
    mint(state, minted, refresh_token)
}

async fn refresh(
    state: &AppState,
    client: &RegisteredClient,
    presented: &str,
    requested: Option<&ScopeSet>,
    now: Timestamp,
) -> Result<TokenResponse, TokenFailure> {
    let grant = state
        .store
        .refresh_token(&SecretDigest::of(presented))
        .await
        .map_err(internal)?
        .ok_or_else(|| invalid_grant("the refresh token is invalid"))?;
    let scope = token::check_refresh(&grant, &client.client_id, requested, now)?;
    let user = live_user(state, &grant.user_id).await?;
    let api = api_of(state, grant.audience.as_deref()).await?;
    let minted = Mint {
        client_id: &client.client_id,
        user: &user,
        scope: &scope,
        api: api.as_ref(),
        auth_time: grant.auth_time,
        nonce: None,
        now,
    };
    // Non-rotating: the same refresh token stays valid (rotation is a per-client option to come).
    mint(state, minted, Some(presented.to_owned()))
}

async fn live_user(state: &AppState, user_id: &str) -> Result<User, TokenFailure> {
    match state.store.user(user_id).await.map_err(internal)? {
        Some(user) if !user.blocked => Ok(user),
        _ => Err(invalid_grant("the user no longer exists or is blocked")),
    }
}

async fn api_of(
    state: &AppState,
    audience: Option<&str>,
) -> Result<Option<ResourceServer>, TokenFailure> {
    match audience {
        Some(identifier) => match state.store.api(identifier).await.map_err(internal)? {
            Some(api) => Ok(Some(api)),
            None => Err(invalid_grant("the API this grant was for no longer exists")),
        },
        None => Ok(None),
    }
}

/// What the tokens of one response are minted from.
struct Mint<'a> {
    client_id: &'a ClientId,
    user: &'a User,
    scope: &'a ScopeSet,
    api: Option<&'a ResourceServer>,
    auth_time: Timestamp,
    nonce: Option<&'a str>,
    now: Timestamp,
}

pub fn profile_of(user: &User) -> Profile {
    Profile {
        sub: user.user_id.clone(),
        name: user.name.clone(),
        nickname: user.username.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        updated_at: user.updated_at,
    }
}

fn mint(
    state: &AppState,
    m: Mint<'_>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, TokenFailure> {
    let settings = &state.settings;
    let ctx = TokenContext {
        issuer: &settings.issuer,
        client_id: m.client_id,
        user_id: &m.user.user_id,
        scope: m.scope,
        now: m.now,
    };
    let lifetime = m.api.map_or(USERINFO_TOKEN_LIFETIME, |a| a.token_lifetime);
    let jti = random_token(16).map_err(internal)?;
    let claims =
        claims::access_token_claims(ctx, m.api.map(|a| a.identifier.as_str()), lifetime, jti);
    let signer = state.keys.signer();
    // RFC 9068 §2.1: access tokens are typed `at+jwt`.
    let access_token = signer.sign("at+jwt", &claims).map_err(internal)?;
    let id_token = if m.scope.contains(OPENID) {
        let profile = profile_of(m.user);
        let id_claims = claims::id_token_claims(
            ctx,
            &profile,
            m.auth_time,
            m.nonce,
            &access_token,
            settings.id_token_lifetime,
        );
        Some(signer.sign("JWT", &id_claims).map_err(internal)?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        id_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: lifetime,
        scope: m.scope.clone(),
    })
}
