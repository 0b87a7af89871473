//! Minting tokens: RFC 9068 access tokens and OIDC ID tokens, signed with the cached keys.

use tessera_protocol::authorize::AuthorizationRequest;
use tessera_protocol::claims::{
    self, AccessTokenClaims, IdTokenClaims, IdTokenFacts, Profile, TokenContext,
};
use tessera_protocol::scope::OPENID;
use tessera_protocol::{ClientId, ResourceServer, ScopeSet, Timestamp};
use tessera_store::User;

use crate::error::InternalError;
use crate::flows::authorize::Authenticated;
use crate::state::AppState;
use tessera_core::crypto::random_token;

/// Lifetime of an access token for /userinfo only (no API), as Auth0's default.
const USERINFO_TOKEN_LIFETIME: i64 = 86_400;

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

/// Signs an access token with the API's algorithm (RFC 9068 §2.1: typed `at+jwt`).
fn sign_access_token(
    state: &AppState,
    api: Option<&ResourceServer>,
    claims: &AccessTokenClaims,
) -> Result<String, InternalError> {
    // The API's `signing_alg` (RS256 for /userinfo-only tokens), with its current key.
    let alg = api.map_or("RS256", |api| api.signing_alg.as_str());
    Ok(state
        .keys
        .current()
        .signer_for(alg)?
        .sign("at+jwt", claims)?)
}

/// Signs an ID token with RS256, the algorithm every OpenID Connect client accepts.
fn sign_id_token(state: &AppState, claims: &IdTokenClaims) -> Result<String, InternalError> {
    Ok(state
        .keys
        .current()
        .id_token_signer()?
        .sign("JWT", claims)?)
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
    pub api: Option<&'a ResourceServer>,
    pub auth_time: Timestamp,
    pub nonce: Option<&'a str>,
    pub sid: Option<&'a str>,
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
        let claims = claims::access_token_claims(
            ctx,
            m.api.map(|a| a.identifier.as_str()),
            lifetime,
            random_token(16)?,
        );
        Some(sign_access_token(state, m.api, &claims)?)
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
                lifetime: settings.id_token_lifetime,
            };
            Some(sign_id_token(state, &claims::id_token_claims(ctx, facts))?)
        }
        _ => None,
    };
    Ok(Minted {
        access_token,
        id_token,
        expires_in: lifetime,
    })
}

/// Tokens returned directly from the authorization endpoint (implicit grant).
#[derive(Debug)]
pub struct ImplicitTokens {
    pub access_token: Option<String>,
    pub id_token: Option<String>,
    pub expires_in: i64,
    pub scope: ScopeSet,
}

/// RFC 6749 §4.2.2 and OIDC Core §3.2.2.5: the tokens a `token`, `id_token` or
/// `id_token token` response carries. Never a refresh token (RFC 6749 §4.2.2).
pub async fn mint_implicit(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &Authenticated,
    now: Timestamp,
) -> Result<ImplicitTokens, InternalError> {
    let profile = state.catalog.user(&user.user_id).await?;
    let api = match &request.audience {
        Some(identifier) => state.catalog.api(identifier).await?,
        None => None,
    };
    let scope = request
        .scope
        .filter(|s| s.as_str() != tessera_protocol::scope::OFFLINE_ACCESS);
    let Some(profile) = profile else {
        return Ok(ImplicitTokens {
            access_token: None,
            id_token: None,
            expires_in: 0,
            scope,
        });
    };
    let m = Mint {
        client_id: &request.client_id,
        subject: Subject::User(&profile),
        scope: &scope,
        api: api.as_deref(),
        auth_time: user.auth.auth_time,
        nonce: request.nonce.as_deref(),
        sid: Some(&user.sid),
        now,
    };
    let minted = mint(state, m, request.response_type.issues_access_token())?;
    state
        .metrics
        .token_issued(tessera_protocol::GrantType::Implicit);
    let id_token = minted
        .id_token
        .filter(|_| request.response_type.issues_id_token());
    Ok(ImplicitTokens {
        access_token: minted.access_token,
        id_token,
        expires_in: minted.expires_in,
        scope,
    })
}
