//! The scenarios' requests and token workers (machine-to-machine tokens, code redemption,
//! refresh rotation) in Tessera's dialect or the peer's (`oidc-provider`, bench/peer/server.mjs).
//! Whole flows through the login and consent pages are in `browser.rs`.

use std::net::SocketAddr;

use http_body_util::BodyExt;
use hyper::HeaderMap;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::load::{post_form, snippet, Body, Step, Worker};
use crate::server::{CALLBACK, M2M_CLIENT, M2M_SECRET, WEB_CLIENT, WEB_SECRET};

pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Who the bench talks to. Both serve the same paths (the peer is configured with Tessera's);
/// they differ in how an API is named and in their login and consent pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Auth0's `audience`; hosted pages at `/u/login` and `/u/consent` with a CSRF token.
    Tessera,
    /// RFC 8707's `resource`; `oidc-provider`'s development pages at `/interaction/{uid}`,
    /// resumed at `/authorize/{uid}`.
    Peer,
}

impl Dialect {
    fn api_parameter(self) -> &'static str {
        match self {
            Dialect::Tessera => "audience",
            Dialect::Peer => "resource",
        }
    }
}

/// The token request of the client-credentials grant for `audience`.
pub fn client_credentials(host: &str, dialect: Dialect, audience: &str) -> Request<Body> {
    let mut form = format!(
        "grant_type=client_credentials&client_id={M2M_CLIENT}&client_secret={}&{}={}",
        encode(M2M_SECRET),
        dialect.api_parameter(),
        encode(audience)
    );
    if dialect == Dialect::Peer {
        // Tessera grants the client grant's scopes when none are asked; the peer grants only
        // what is asked, so ask for the same `read`.
        form += "&scope=read";
    }
    post_form(host, "/oauth/token", &form)
}

pub fn redeem_form(code: &str) -> String {
    format!(
        "grant_type=authorization_code&client_id={WEB_CLIENT}&client_secret={}&code={}&redirect_uri={}",
        encode(WEB_SECRET),
        encode(code),
        encode(CALLBACK)
    )
}

pub fn refresh_form(token: &str) -> String {
    format!(
        "grant_type=refresh_token&client_id={WEB_CLIENT}&client_secret={}&refresh_token={}",
        encode(WEB_SECRET),
        encode(token)
    )
}

/// The path and query of an authorization request (for `audience`, or for no API at all).
pub fn authorize_path(
    dialect: Dialect,
    audience: Option<&str>,
    scope: &str,
    prompt: Option<&str>,
) -> String {
    let mut path = format!(
        "/authorize?response_type=code&client_id={WEB_CLIENT}&redirect_uri={}&scope={}&state=bench",
        encode(CALLBACK),
        encode(scope)
    );
    if let Some(audience) = audience {
        path += &format!("&{}={}", dialect.api_parameter(), encode(audience));
    }
    if let Some(prompt) = prompt {
        path += &format!("&prompt={}", encode(prompt));
    }
    path
}

/// A token response (RFC 6749 §5.1) for a grant that issues no ID token (client credentials):
/// a non-empty `access_token`, `token_type` Bearer, a positive `expires_in`.
pub fn access_token(body: &[u8]) -> Result<serde_json::Value, String> {
    access_token_of_type(body, "Bearer")
}

/// [`access_token`] with `token_type` `token_type` (RFC 9449 §5: `DPoP` for a bound token).
pub fn access_token_of_type(body: &[u8], token_type: &str) -> Result<serde_json::Value, String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("the token response is not JSON ({e}): {}", snippet(body)))?;
    if value["access_token"].as_str().is_none_or(str::is_empty) {
        return Err(format!("no access_token: {value}"));
    }
    // RFC 6749 §7.1: the type is case-insensitive.
    if !value["token_type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(token_type))
    {
        return Err(format!("token_type is not {token_type}: {value}"));
    }
    if value["expires_in"].as_i64().is_none_or(|s| s <= 0) {
        return Err(format!("no positive expires_in: {value}"));
    }
    Ok(value)
}

/// An access token response, as `grant_type=client_credentials` answers.
pub fn m2m_tokens(body: &[u8]) -> Result<(), String> {
    access_token(body).map(|_| ())
}

/// An access token and an ID token (OIDC Core §3.1.3.3: `openid` was asked for).
pub fn user_tokens(body: &[u8]) -> Result<(), String> {
    let value = access_token(body)?;
    match value["id_token"].as_str() {
        Some(token) if token.split('.').count() == 3 => Ok(()),
        _ => Err(format!("no id_token: {value}")),
    }
}

/// User tokens and the refresh token that continues the chain.
pub fn rotated_tokens(body: &[u8]) -> Result<(), String> {
    user_tokens(body)?;
    match json_field(body, "refresh_token") {
        Some(token) if !token.is_empty() => Ok(()),
        _ => Err(format!("no refresh_token: {}", snippet(body))),
    }
}

/// A JWK set with at least one key.
pub fn jwks(body: &[u8]) -> Result<(), String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
    match value["keys"].as_array() {
        Some(keys) if !keys.is_empty() => Ok(()),
        _ => Err(format!("a JWKS without keys: {}", snippet(body))),
    }
}

/// Userinfo claims (OIDC Core §5.3.2): at least `sub`.
pub fn userinfo(body: &[u8]) -> Result<(), String> {
    match json_field(body, "sub") {
        Some(sub) if !sub.is_empty() => Ok(()),
        _ => Err(format!("userinfo without sub: {}", snippet(body))),
    }
}

pub fn json_field(body: &[u8], field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value[field].as_str().map(str::to_owned)
}

/// One request on a fresh connection, for setup.
pub async fn call(
    addr: SocketAddr,
    request: Request<Body>,
) -> Result<(u16, HeaderMap, Vec<u8>), String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes()
        .to_vec();
    Ok((status, headers, body))
}

/// Redeems pre-minted codes, one each.
pub struct Redeem {
    pub host: String,
    pub codes: Vec<String>,
}

impl Worker for Redeem {
    fn next(&mut self) -> Option<Request<Body>> {
        let code = self.codes.pop()?;
        Some(post_form(&self.host, "/oauth/token", &redeem_form(&code)))
    }

    fn done(&mut self, status: u16, _headers: &HeaderMap, body: &[u8]) -> Step {
        Step::checked(status, body, user_tokens)
    }
}

/// Uses a rotating refresh token again and again: each answer carries its successor.
pub struct RefreshChain {
    pub host: String,
    pub token: Option<String>,
}

impl Worker for RefreshChain {
    fn next(&mut self) -> Option<Request<Body>> {
        let token = self.token.as_ref()?;
        Some(post_form(&self.host, "/oauth/token", &refresh_form(token)))
    }

    fn done(&mut self, status: u16, _headers: &HeaderMap, body: &[u8]) -> Step {
        // A failed rotation ends the chain: the presented token is spent either way.
        self.token = json_field(body, "refresh_token").filter(|_| status == 200);
        Step::checked(status, body, rotated_tokens)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn token_responses_are_checked_field_by_field() {
        let m2m = br#"{"access_token":"at","token_type":"Bearer","expires_in":86400}"#;
        assert_eq!(m2m_tokens(m2m), Ok(()));
        assert!(user_tokens(m2m).unwrap_err().contains("id_token"));
        let user =
            br#"{"access_token":"at","token_type":"bearer","expires_in":60,"id_token":"h.p.s"}"#;
        assert_eq!(user_tokens(user), Ok(()));
        assert!(rotated_tokens(user).unwrap_err().contains("refresh_token"));
        for wrong in [
            &br#"{"token_type":"Bearer","expires_in":60}"#[..],
            br#"{"access_token":"at","token_type":"DPoP","expires_in":60}"#,
            br#"{"access_token":"at","token_type":"Bearer"}"#,
            b"not json",
        ] {
            assert!(
                m2m_tokens(wrong).is_err(),
                "{}",
                String::from_utf8_lossy(wrong)
            );
        }
        assert!(jwks(br#"{"keys":[]}"#).is_err());
        assert_eq!(jwks(br#"{"keys":[{"kty":"RSA"}]}"#), Ok(()));
        assert!(userinfo(br#"{"name":"x"}"#).is_err());
    }
}
