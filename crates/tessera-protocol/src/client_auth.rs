//! Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::percent_decode_str;

use crate::error::{TokenError, TokenErrorCode as Code};
use crate::params::Params;
use crate::{ClientId, RegisteredClient};

/// How the client authenticated (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// `client_id` alone: a public client (RFC 6749 §2.1).
    None,
}

/// The credentials a client presented.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: ClientId,
    /// Absent for a public client.
    pub secret: Option<String>,
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
    let body_id = params
        .get("client_id")
        .map_err(|repeated| ClientAuthError {
            error: repeated.into(),
            basic_attempted: basic,
        })?;
    let body_secret = params
        .get("client_secret")
        .map_err(|repeated| ClientAuthError {
            error: repeated.into(),
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
            secret: Some(secret),
            method: AuthMethod::ClientSecretBasic,
        });
    }
    match (body_id, body_secret) {
        (Some(id), secret) => Ok(ClientCredentials {
            client_id: ClientId(id.to_owned()),
            secret: secret.map(str::to_owned),
            method: if secret.is_some() {
                AuthMethod::ClientSecretPost
            } else {
                AuthMethod::None
            },
        }),
        (None, _) => Err(fail(
            Code::InvalidClient,
            "no client authentication was included",
        )),
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
    // Every `%` must start a two-digit hex escape; the decoder would keep malformed ones as text.
    let bytes = value.as_bytes();
    let well_formed = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'%')
        .all(|(i, _)| {
            bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
        });
    if !well_formed {
        return None;
    }
    let spaced = value.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// Authenticates `credentials` against the registered client: a confidential client by its
/// secret (constant-time digest check), a public client by presenting no secret at all.
pub fn authenticate_client(
    credentials: &ClientCredentials,
    client: Option<&RegisteredClient>,
) -> Result<(), ClientAuthError> {
    let fail = |description: &str| ClientAuthError {
        error: TokenError::new(Code::InvalidClient, description),
        basic_attempted: credentials.method == AuthMethod::ClientSecretBasic,
    };
    let Some(client) = client else {
        return Err(fail("client authentication failed"));
    };
    match (&client.secret_digest, &credentials.secret) {
        (Some(digest), Some(secret)) if !client.is_public() && digest.verifies(secret) => Ok(()),
        (_, None) if client.is_public() => Ok(()),
        (_, Some(_)) if client.is_public() => Err(fail(
            "this application is public: send client_id without a secret, and use PKCE",
        )),
        (_, None) => Err(fail("the client_secret is missing")),
        _ => Err(fail("client authentication failed")),
    }
}
