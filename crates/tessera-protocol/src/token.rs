//! The token request (RFC 6749 §4.1.3, §4.4, §6) and the checks a presented code must pass.
//! Client authentication is in [`crate::client_auth`], refresh token rules in
//! [`crate::refresh`]; both are re-exported here.

use serde::{Deserialize, Serialize};

use crate::claims::CustomClaims;
pub use crate::client_auth::{
    authenticate_client, client_credentials, AuthMethod, ClientAuthError, ClientCredentials,
};
use crate::error::{TokenError, TokenErrorCode as Code};
use crate::mfa::Amr;
use crate::params::Params;
use crate::pkce::{self, CodeChallenge};
pub use crate::refresh::{check_refresh, RefreshGrant, RefreshUse};
use crate::scope::OFFLINE_ACCESS;
use crate::{
    ClientId, GrantType, RedirectUri, RegisteredClient, ResourceServer, ScopeSet, Timestamp,
};

/// A token request, typed by its `grant_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
        scope: Option<ScopeSet>,
    },
    /// Machine to machine (RFC 6749 §4.4), for one API (Auth0's `audience`).
    ClientCredentials {
        audience: Option<String>,
        scope: Option<ScopeSet>,
    },
    /// A user's own username and password (RFC 6749 §4.3); with Auth0's `realm`, the
    /// connection they belong to.
    Password {
        username: String,
        password: String,
        realm: Option<String>,
        audience: Option<String>,
        scope: Option<ScopeSet>,
    },
    /// A device polling for the decision on its device code (RFC 8628 §3.4).
    DeviceCode { device_code: String },
    /// Auth0's MFA API: the second factor of a password grant that answered `mfa_required`.
    Mfa { mfa_token: String, proof: MfaProof },
}

/// What a request of Auth0's MFA API grants proves the second factor with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaProof {
    /// `otp`: a code from the user's authenticator app.
    Otp(String),
    /// `recovery_code`.
    RecoveryCode(String),
}

impl TokenRequest {
    pub fn grant_type(&self) -> GrantType {
        match self {
            TokenRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            TokenRequest::RefreshToken { .. } => GrantType::RefreshToken,
            TokenRequest::ClientCredentials { .. } => GrantType::ClientCredentials,
            TokenRequest::Password { realm: None, .. } => GrantType::Password,
            TokenRequest::Password { realm: Some(_), .. } => GrantType::PasswordRealm,
            TokenRequest::DeviceCode { .. } => GrantType::DeviceCode,
            TokenRequest::Mfa {
                proof: MfaProof::Otp(_),
                ..
            } => GrantType::MfaOtp,
            TokenRequest::Mfa {
                proof: MfaProof::RecoveryCode(_),
                ..
            } => GrantType::MfaRecoveryCode,
        }
    }
}

fn get<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, TokenError> {
    Ok(params.get(name)?)
}

fn require<'a>(params: &'a Params, name: &str) -> Result<&'a str, TokenError> {
    get(params, name)?.ok_or_else(|| {
        TokenError::new(
            Code::InvalidRequest,
            format!("the {name} parameter is missing"),
        )
    })
}

fn scope(params: &Params) -> Result<Option<ScopeSet>, TokenError> {
    get(params, "scope")?
        .map(ScopeSet::parse)
        .transpose()
        .map_err(|e| TokenError::new(Code::InvalidScope, e.to_string()))
}

/// `audience`, or RFC 8707 `resource` as its synonym; the two naming different APIs is an error.
fn audience(params: &Params) -> Result<Option<String>, TokenError> {
    match (get(params, "audience")?, get(params, "resource")?) {
        (Some(a), Some(r)) if a != r => Err(TokenError::new(
            Code::InvalidRequest,
            "audience and resource name different APIs",
        )),
        (Some(a), _) | (None, Some(a)) => Ok(Some(a.to_owned())),
        (None, None) => Ok(None),
    }
}

/// Parses the grant-specific parameters of a token request.
pub fn parse_token_request(params: &Params) -> Result<TokenRequest, TokenError> {
    let grant_type = require(params, "grant_type")?;
    match GrantType::parse(grant_type) {
        Some(GrantType::AuthorizationCode) => Ok(TokenRequest::AuthorizationCode {
            code: require(params, "code")?.to_owned(),
            redirect_uri: get(params, "redirect_uri")?.map(str::to_owned),
            code_verifier: get(params, "code_verifier")?.map(str::to_owned),
        }),
        Some(GrantType::RefreshToken) => Ok(TokenRequest::RefreshToken {
            refresh_token: require(params, "refresh_token")?.to_owned(),
            scope: scope(params)?,
        }),
        Some(GrantType::ClientCredentials) => Ok(TokenRequest::ClientCredentials {
            audience: audience(params)?,
            scope: scope(params)?,
        }),
        Some(grant @ (GrantType::Password | GrantType::PasswordRealm)) => {
            Ok(TokenRequest::Password {
                username: require(params, "username")?.to_owned(),
                password: require(params, "password")?.to_owned(),
                realm: match grant {
                    GrantType::PasswordRealm => Some(require(params, "realm")?.to_owned()),
                    _ => None,
                },
                audience: audience(params)?,
                scope: scope(params)?,
            })
        }
        Some(GrantType::DeviceCode) => Ok(TokenRequest::DeviceCode {
            device_code: require(params, "device_code")?.to_owned(),
        }),
        Some(GrantType::MfaOtp) => Ok(TokenRequest::Mfa {
            mfa_token: require(params, "mfa_token")?.to_owned(),
            proof: MfaProof::Otp(require(params, "otp")?.to_owned()),
        }),
        Some(GrantType::MfaRecoveryCode) => Ok(TokenRequest::Mfa {
            mfa_token: require(params, "mfa_token")?.to_owned(),
            proof: MfaProof::RecoveryCode(require(params, "recovery_code")?.to_owned()),
        }),
        Some(GrantType::Implicit) | None => Err(TokenError::new(
            Code::UnsupportedGrantType,
            format!("grant_type `{grant_type}` is not supported"),
        )),
    }
}

/// What an authorization code is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    pub redirect_uri_explicit: bool,
    pub user_id: String,
    pub scope: ScopeSet,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: Timestamp,
    pub expires_at: Timestamp,
    #[serde(default)]
    pub code_challenge: Option<CodeChallenge>,
    /// The SSO session the code was issued in (the ID token's `sid`).
    #[serde(default)]
    pub sid: Option<String>,
    /// What the login's post-login Actions added to its tokens.
    #[serde(default, skip_serializing_if = "CustomClaims::is_empty")]
    pub custom_claims: CustomClaims,
    /// How the user authenticated, for the ID token's `amr`.
    #[serde(default, skip_serializing_if = "Amr::is_empty")]
    pub amr: Amr,
}

/// RFC 6749 §4.1.3: the code was issued to this client, is unexpired, and `redirect_uri` is
/// identical to the one in the authorization request; RFC 7636 §4.6: the verifier matches.
pub fn check_code(
    grant: &CodeGrant,
    client_id: &ClientId,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: Timestamp,
) -> Result<(), TokenError> {
    if &grant.client_id != client_id {
        return Err(TokenError::new(
            Code::InvalidGrant,
            "the code was issued to another client",
        ));
    }
    if now >= grant.expires_at {
        return Err(TokenError::new(Code::InvalidGrant, "the code has expired"));
    }
    match redirect_uri {
        Some(given) if grant.redirect_uri.matches(given) => {}
        None if !grant.redirect_uri_explicit => {}
        None => {
            return Err(TokenError::new(
                Code::InvalidRequest,
                "the redirect_uri parameter is missing",
            ))
        }
        Some(_) => {
            return Err(TokenError::new(
                Code::InvalidGrant,
                "redirect_uri does not match the one used in the authorization request",
            ))
        }
    }
    check_verifier(grant.code_challenge.as_ref(), code_verifier)
}

fn check_verifier(
    challenge: Option<&CodeChallenge>,
    verifier: Option<&str>,
) -> Result<(), TokenError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (Some(challenge), Some(verifier)) if pkce::verifies(challenge, verifier) => Ok(()),
        (Some(_), Some(_)) => Err(TokenError::new(
            Code::InvalidGrant,
            "the code_verifier does not match the code_challenge",
        )),
        (Some(_), None) => Err(TokenError::new(
            Code::InvalidGrant,
            "the code_verifier is missing",
        )),
        // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade
        // attempt and is refused.
        (None, Some(_)) => Err(TokenError::new(
            Code::InvalidGrant,
            "a code_verifier was sent but the authorization request had no code_challenge",
        )),
    }
}

/// Whether a code exchange issues a refresh token: Auth0 issues one only when `offline_access`
/// was granted, the API allows offline access, and the application may use the refresh token
/// grant (OIDC Core §11: offline access is asked for, never assumed).
pub fn issues_refresh_token(
    scope: &ScopeSet,
    api: Option<&ResourceServer>,
    client: &RegisteredClient,
) -> bool {
    scope.contains(OFFLINE_ACCESS)
        && api.is_some_and(|api| api.allow_offline_access)
        && client.allows_grant(GrantType::RefreshToken)
}

/// The scope of a password grant for `api`: what was asked for — standard OpenID Connect
/// scopes and the API's own, `offline_access` only where the API allows it — or, when nothing
/// was, every scope the API defines (Auth0: the application is trusted with the password).
pub fn password_scope(
    requested: Option<&ScopeSet>,
    api: Option<&ResourceServer>,
) -> Result<ScopeSet, TokenError> {
    let Some(requested) = requested else {
        let mut all = ScopeSet::default();
        for scope in api.iter().flat_map(|api| &api.scopes) {
            all.insert(scope.value.clone());
        }
        return Ok(all);
    };
    crate::authorize::validate_scope(&requested.to_string(), api)
        .map_err(|refused| TokenError::new(Code::InvalidScope, refused.description))
}

/// The API a `client_credentials` request is for: the `audience` asked for, else the server's
/// default audience; Auth0 refuses the request without either.
pub fn client_credentials_audience(
    requested: Option<String>,
    default: Option<&str>,
) -> Result<String, TokenError> {
    requested
        .or_else(|| default.map(str::to_owned))
        .ok_or_else(|| TokenError::new(Code::InvalidRequest, "the audience parameter is missing"))
}

/// RFC 6749 §4.4.2 with Auth0's client grants: without `scope`, every scope the client grant
/// holds; with one, at most those (RFC 6749 §3.3: otherwise `invalid_scope`).
pub fn client_credentials_scope(
    requested: Option<&ScopeSet>,
    granted: &ScopeSet,
) -> Result<ScopeSet, TokenError> {
    match requested {
        None => Ok(granted.clone()),
        Some(scope) if scope.is_subset_of(granted) => Ok(scope.clone()),
        Some(_) => Err(TokenError::new(
            Code::InvalidScope,
            "the requested scope exceeds the client grant",
        )),
    }
}
