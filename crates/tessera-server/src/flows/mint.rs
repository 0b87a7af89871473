//! Minting tokens, below every grant: RFC 9068 access tokens and OIDC ID tokens signed with
//! the cached keys, the token response, and the record of what was issued.

use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_core::crypto::random_token;
use tessera_protocol::claims::{
    self, AccessTokenClaims, Confirmation, CustomClaims, IdTokenClaims, IdTokenFacts, Profile,
    TokenContext, WithCustomClaims,
};
use tessera_protocol::mfa::Amr;
use tessera_protocol::revocation::token_id;
use tessera_protocol::scope::OPENID;
use tessera_protocol::{
    ClientId, GrantType, RegisteredClient, ResourceServer, ScopeSet, Timestamp,
};
use tessera_store::{JsonObject, User};

use crate::error::InternalError;
use crate::flows::grant::{internal, TokenFailure};
use crate::state::AppState;

/// Lifetime of an access token for /userinfo only (no API), as Auth0's default.
const USERINFO_TOKEN_LIFETIME: i64 = 86_400;

pub fn profile_of(user: &User) -> Profile {
    Profile {
        sub: user.user_id.clone(),
        name: user.name.clone(),
        given_name: user.profile.given_name.clone(),
        family_name: user.profile.family_name.clone(),
        nickname: user.nickname(),
        picture: user.profile.picture.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        updated_at: user.updated_at,
    }
}

/// Signs an access token with the API's algorithm (RFC 9068 §2.1: typed `at+jwt`).
fn sign_access_token(
    state: &AppState,
    api: Option<&ResourceServer>,
    claims: &AccessTokenClaims,
    custom: Option<&JsonObject>,
) -> Result<String, InternalError> {
    // The API's `signing_alg` (RS256 for /userinfo-only tokens), with its current key.
    let alg = api.map_or("RS256", |api| api.signing_alg.as_str());
    let keys = state.keys.current();
    let signer = keys.signer_for(alg)?;
    Ok(match custom.filter(|custom| !custom.is_empty()) {
        None => signer.sign("at+jwt", claims)?,
        Some(custom) => signer.sign("at+jwt", &WithCustomClaims { claims, custom })?,
    })
}

/// Signs an ID token with RS256, the algorithm every OpenID Connect client accepts.
fn sign_id_token(
    state: &AppState,
    claims: &IdTokenClaims,
    custom: Option<&JsonObject>,
) -> Result<String, InternalError> {
    let keys = state.keys.current();
    let signer = keys.id_token_signer()?;
    Ok(match custom.filter(|custom| !custom.is_empty()) {
        None => signer.sign("JWT", claims)?,
        Some(custom) => signer.sign("JWT", &WithCustomClaims { claims, custom })?,
    })
}

/// Who the tokens are about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A user: the ID token (when `openid` is granted) carries their profile.
    User(&'a User),
    /// A client acting for itself (client credentials): `sub` is `client_id@clients`.
    Client,
}

/// What the tokens of one response are minted from.
#[derive(Debug, Clone, Copy)]
pub struct Mint<'a> {
    pub client_id: &'a ClientId,
    pub subject: Subject<'a>,
    pub scope: &'a ScopeSet,
    /// The access token's `permissions` claim (an API with RBAC and an `_authz` dialect).
    pub permissions: Option<&'a Arc<[String]>>,
    pub api: Option<&'a ResourceServer>,
    /// What Actions added to these tokens.
    pub custom_claims: Option<&'a CustomClaims>,
    pub auth_time: Timestamp,
    pub nonce: Option<&'a str>,
    pub sid: Option<&'a str>,
    /// How the user authenticated, for the ID token's `amr`.
    pub amr: Option<&'a Amr>,
    /// The refresh-token family the tokens belong to (a code's, and its rotations'), named in
    /// the access token's `jti` so that revoking the family refuses them too.
    pub family: Option<&'a str>,
    /// The DPoP key the access token is bound to (RFC 9449 §6.1), as
    /// [`tessera_protocol::dpop::bound_key`] decided.
    pub dpop_jkt: Option<&'a str>,
    pub now: Timestamp,
}

/// The tokens minted for one response.
#[derive(Debug)]
pub struct Minted {
    pub access_token: Option<String>,
    pub id_token: Option<String>,
    pub expires_in: i64,
}

/// Mints the access token and, for a user with `openid`, the ID token that goes with it.
pub fn mint(
    state: &AppState,
    m: Mint<'_>,
    with_access_token: bool,
) -> Result<Minted, InternalError> {
    let settings = &state.settings;
    let machine_subject = format!("{}@clients", m.client_id);
    let subject = match m.subject {
        Subject::User(user) => user.user_id.as_str(),
        Subject::Client => machine_subject.as_str(),
    };
    let ctx = TokenContext {
        issuer: &settings.issuer,
        client_id: m.client_id,
        user_id: subject,
        scope: m.scope,
        now: m.now,
    };
    let lifetime = m.api.map_or(USERINFO_TOKEN_LIFETIME, |a| a.token_lifetime);
    let access_token = if with_access_token {
        let mut claims = claims::access_token_claims(
            ctx,
            m.api.map(|a| a.identifier.as_str()),
            lifetime,
            token_id(m.family, &random_token(16)?),
        );
        claims.permissions = m.permissions.cloned();
        claims.cnf = m.dpop_jkt.map(|jkt| Confirmation {
            jkt: jkt.to_owned(),
        });
        let custom = m.custom_claims.map(|c| &c.access_token);
        Some(sign_access_token(state, m.api, &claims, custom)?)
    } else {
        None
    };
    let id_token = match m.subject {
        Subject::User(user) if m.scope.contains(OPENID) => {
            let profile = profile_of(user);
            let facts = IdTokenFacts {
                profile: &profile,
                auth_time: m.auth_time,
                nonce: m.nonce,
                access_token: access_token.as_deref(),
                sid: m.sid,
                amr: m.amr,
                lifetime: settings.id_token_lifetime,
            };
            let custom = m.custom_claims.map(|c| &c.id_token);
            let claims = claims::id_token_claims(ctx, facts);
            Some(sign_id_token(state, &claims, custom)?)
        }
        _ => None,
    };
    Ok(Minted {
        access_token,
        id_token,
        expires_in: lifetime,
    })
}

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
    /// Auth0's MFA API: the recovery code that replaces the one just used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// The token endpoint's answer to `client`'s `grant`: mints the tokens of `m`, counts them and
/// records the exchange in the audit log.
pub fn respond(
    state: &AppState,
    grant: GrantType,
    client: &RegisteredClient,
    m: Mint<'_>,
    refresh_token: Option<String>,
    request: &RequestContext,
) -> Result<TokenResponse, TokenFailure> {
    let minted = mint(state, m, true).map_err(TokenFailure::Internal)?;
    let access_token = minted
        .access_token
        .ok_or_else(|| internal(InternalError::Jwt(tessera_jwt::JwtError::SigningFailed)))?;
    issued(state, grant, client, &m, request);
    Ok(TokenResponse {
        access_token,
        id_token: minted.id_token,
        refresh_token,
        // RFC 9449 §5: a bound access token is of type DPoP.
        token_type: if m.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        },
        expires_in: minted.expires_in,
        scope: m.scope.clone(),
        recovery_code: None,
    })
}

/// Tokens were issued to `client` with `grant`, as minted from `m`: counted, and an Auth0
/// event (`seacft`, `sertft`, `seccft`) in the audit log.
fn issued(
    state: &AppState,
    grant: GrantType,
    client: &RegisteredClient,
    m: &Mint<'_>,
    request: &RequestContext,
) {
    state.metrics.token_issued(grant);
    let event_type = match grant {
        GrantType::AuthorizationCode => EventType::CodeExchanged,
        GrantType::RefreshToken => EventType::RefreshTokenExchanged,
        GrantType::ClientCredentials => EventType::ClientCredentialsExchanged,
        GrantType::Password | GrantType::PasswordRealm => EventType::PasswordExchanged,
        GrantType::DeviceCode => EventType::DeviceCodeExchanged,
        GrantType::MfaOtp | GrantType::MfaRecoveryCode => EventType::MfaExchanged,
        GrantType::Implicit => return,
    };
    let details = json!({
        "grant_type": grant.as_str(),
        "audience": m.api.map(|api| api.identifier.as_str()),
        "scope": m.scope.to_string(),
    });
    let mut event = Event::new(event_type)
        .client(client.client_id.as_str(), Some(&client.name))
        .details(details);
    if let Subject::User(user) = m.subject {
        event = event.user(&user.user_id, &user.email);
    }
    state.record(event, request);
}
