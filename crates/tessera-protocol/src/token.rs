//! The token request (RFC 6749 §4.1.3, §6), client authentication (§2.3), and the checks a
//! presented code or refresh token must pass.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::{TokenError, TokenErrorCode as Code};
use crate::params::Params;
use crate::{ClientId, GrantType, RedirectUri, RegisteredClient, ScopeSet, Timestamp};

/// A token request, typed by its `grant_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
        scope: Option<ScopeSet>,
    },
}

impl TokenRequest {
    pub fn grant_type(&self) -> GrantType {
        match self {
            TokenRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            TokenRequest::RefreshToken { .. } => GrantType::RefreshToken,
        }
    }
}

fn get<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, TokenError> {
    params
        .get(name)
        .map_err(|repeated| TokenError::new(Code::InvalidRequest, repeated.to_string()))
}

fn require<'a>(params: &'a Params, name: &str) -> Result<&'a str, TokenError> {
    get(params, name)?.ok_or_else(|| {
        TokenError::new(
            Code::InvalidRequest,
            format!("the {name} parameter is missing"),
        )
    })
}

/// Parses the grant-specific parameters of a token request.
pub fn parse_token_request(params: &Params) -> Result<TokenRequest, TokenError> {
    let grant_type = require(params, "grant_type")?;
    match GrantType::parse(grant_type) {
        Some(GrantType::AuthorizationCode) => Ok(TokenRequest::AuthorizationCode {
            code: require(params, "code")?.to_owned(),
            redirect_uri: get(params, "redirect_uri")?.map(str::to_owned),
        }),
        Some(GrantType::RefreshToken) => Ok(TokenRequest::RefreshToken {
            refresh_token: require(params, "refresh_token")?.to_owned(),
            scope: get(params, "scope")?
                .map(ScopeSet::parse)
                .transpose()
                .map_err(|e| TokenError::new(Code::InvalidScope, e.to_string()))?,
        }),
        None => Err(TokenError::new(
            Code::UnsupportedGrantType,
            format!("grant_type `{grant_type}` is not supported"),
        )),
    }
}

/// How the client authenticated (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
}

/// The credentials a client presented.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: ClientId,
    pub secret: String,
    pub method: AuthMethod,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// A client authentication failure, remembering whether Basic was attempted so the response
/// can carry `WWW-Authenticate` (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuthError {
    pub error: TokenError,
    pub basic_attempted: bool,
}

/// Extracts client credentials from the `Authorization` header or the body, refusing more than
/// one method (RFC 6749 §2.3: the client MUST NOT use more than one authentication method).
pub fn client_credentials(
    authorization: Option<&str>,
    params: &Params,
) -> Result<ClientCredentials, ClientAuthError> {
    let basic = authorization
        .and_then(|h| h.get(..6))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic "));
    let fail = |code, description: &str| ClientAuthError {
        error: TokenError::new(code, description),
        basic_attempted: basic,
    };
    let body_id = get(params, "client_id").map_err(|error| ClientAuthError {
        error,
        basic_attempted: basic,
    })?;
    let body_secret = get(params, "client_secret").map_err(|error| ClientAuthError {
        error,
        basic_attempted: basic,
    })?;
    if basic {
        if body_secret.is_some() {
            return Err(fail(
                Code::InvalidRequest,
                "use either HTTP Basic or client_secret in the body, not both",
            ));
        }
        let (id, secret) = decode_basic(authorization.unwrap_or_default()).ok_or_else(|| {
            fail(
                Code::InvalidClient,
                "the Authorization header is not valid HTTP Basic",
            )
        })?;
        if body_id.is_some_and(|body_id| body_id != id) {
            return Err(fail(
                Code::InvalidRequest,
                "client_id in the body differs from the HTTP Basic one",
            ));
        }
        return Ok(ClientCredentials {
            client_id: ClientId(id),
            secret,
            method: AuthMethod::ClientSecretBasic,
        });
    }
    match (body_id, body_secret) {
        (Some(id), Some(secret)) => Ok(ClientCredentials {
            client_id: ClientId(id.to_owned()),
            secret: secret.to_owned(),
            method: AuthMethod::ClientSecretPost,
        }),
        (None, _) => Err(fail(
            Code::InvalidClient,
            "no client authentication was included",
        )),
        (Some(_), None) => Err(fail(Code::InvalidClient, "the client_secret is missing")),
    }
}

/// RFC 6749 §2.3.1: the client id and secret are form-urlencoded, then joined by `:` and
/// base64-encoded.
fn decode_basic(header: &str) -> Option<(String, String)> {
    let encoded = header.get(6..)?.trim();
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = form_decode(id)?;
    let secret = form_decode(secret)?;
    (!id.is_empty()).then_some((id, secret))
}

fn form_decode(value: &str) -> Option<String> {
    let replaced = value.replace('+', " ");
    let bytes = replaced.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Authenticates `credentials` against the registered client (constant-time digest check).
pub fn authenticate_client(
    credentials: &ClientCredentials,
    client: Option<&RegisteredClient>,
) -> Result<(), ClientAuthError> {
    let authenticated = client.is_some_and(|c| c.secret_digest.verifies(&credentials.secret));
    if authenticated {
        Ok(())
    } else {
        Err(ClientAuthError {
            error: TokenError::new(Code::InvalidClient, "client authentication failed"),
            basic_attempted: credentials.method == AuthMethod::ClientSecretBasic,
        })
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
}

/// RFC 6749 §4.1.3: the code was issued to this client, is unexpired, and `redirect_uri` is
/// identical to the one in the authorization request.
pub fn check_code(
    grant: &CodeGrant,
    client_id: &ClientId,
    redirect_uri: Option<&str>,
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
        Some(given) if grant.redirect_uri.matches(given) => Ok(()),
        None if !grant.redirect_uri_explicit => Ok(()),
        None => Err(TokenError::new(
            Code::InvalidRequest,
            "the redirect_uri parameter is missing",
        )),
        Some(_) => Err(TokenError::new(
            Code::InvalidGrant,
            "redirect_uri does not match the one used in the authorization request",
        )),
    }
}

/// What a refresh token carries forward from the authorization that created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    pub client_id: ClientId,
    pub user_id: String,
    pub scope: ScopeSet,
    pub audience: Option<String>,
    pub auth_time: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
}

/// RFC 6749 §6: the token belongs to this client and is live; a requested scope may narrow the
/// original grant but never widen it. Returns the scope of the new access token.
pub fn check_refresh(
    grant: &RefreshGrant,
    client_id: &ClientId,
    requested: Option<&ScopeSet>,
    now: Timestamp,
) -> Result<ScopeSet, TokenError> {
    if &grant.client_id != client_id {
        return Err(TokenError::new(
            Code::InvalidGrant,
            "the refresh token was issued to another client",
        ));
    }
    if grant.revoked || grant.expires_at.is_some_and(|at| now >= at) {
        return Err(TokenError::new(
            Code::InvalidGrant,
            "the refresh token is expired or revoked",
        ));
    }
    match requested {
        None => Ok(grant.scope.clone()),
        Some(scope) if scope.is_subset_of(&grant.scope) => Ok(scope.clone()),
        Some(_) => Err(TokenError::new(
            Code::InvalidScope,
            "the requested scope exceeds the scope originally granted",
        )),
    }
}
