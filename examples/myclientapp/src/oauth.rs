//! The app's side of the protocol: the authorize URL, the signed `state` cookie, the code
//! exchange with ID token verification, and calls to the API.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{constant_time, hmac, rand};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::Value;
use tessera_jwt::{JwkSet, VerifyingKey};

use crate::WebAppConfig;

const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'/');

/// A signed-in user of the app.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The verified ID token's claims.
    pub claims: Value,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// What the API answered.
#[derive(Debug, Clone)]
pub struct ApiAnswer {
    pub status: u16,
    pub body: String,
}

/// A random value for `state` and session ids.
pub fn random() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    rand::fill(&mut bytes).map_err(|_| "the random generator failed".to_owned())?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

pub struct OAuth {
    config: WebAppConfig,
    http: reqwest::Client,
    state_key: hmac::Key,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    id_token: Option<String>,
    refresh_token: Option<String>,
    #[serde(default)]
    scope: String,
    token_type: String,
}

impl OAuth {
    pub fn new(config: WebAppConfig) -> OAuth {
        let mut secret = [0u8; 32];
        // A failed fill leaves zeros; the key then still signs, only predictably, and the
        // random generator failing is not something to recover from in a demo.
        let _ = rand::fill(&mut secret);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        OAuth {
            config,
            http,
            state_key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        }
    }

    fn redirect_uri(&self) -> String {
        format!("{}callback", self.config.base_url)
    }

    /// The seed's Sign In link: `/authorize?scope=…&audience=…&response_type=code&client_id=…
    /// &redirect_uri=…&state=…`.
    pub fn authorize_url(&self, scope: &str, state: &str) -> String {
        let c = &self.config;
        let encode = |v: &str| utf8_percent_encode(v, QUERY).to_string();
        format!(
            "{}authorize?scope={}&audience={}&response_type=code&client_id={}&redirect_uri={}&state={}",
            c.issuer,
            encode(scope),
            encode(&c.audience),
            encode(&c.client_id),
            encode(&self.redirect_uri()),
            encode(state)
        )
    }

    /// `state.signature`, for the state cookie.
    pub fn sign_state(&self, state: &str) -> String {
        let tag = hmac::sign(&self.state_key, state.as_bytes());
        format!("{state}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// The state in a cookie this app signed, if the signature holds.
    pub fn verify_state(&self, cookie: &str) -> Option<String> {
        let (state, tag) = cookie.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        hmac::verify(&self.state_key, state.as_bytes(), &tag).ok()?;
        Some(state.to_owned())
    }

    /// Exchanges the code with the client secret in a JSON body, exactly as Auth0's example.
    pub async fn exchange(&self, code: &str) -> Result<SignedIn, String> {
        let c = &self.config;
        let body = serde_json::json!({
            "grant_type": "authorization_code",
            "client_id": c.client_id,
            "client_secret": c.client_secret,
            "code": code,
            "redirect_uri": self.redirect_uri(),
        });
        let response = self
            .http
            .post(format!("{}oauth/token", c.issuer))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("the token endpoint could not be reached: {e}"))?;
        if !response.status().is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(format!("the token endpoint refused the code: {text}"));
        }
        let tokens: TokenResponse = response
            .json()
            .await
            .map_err(|e| format!("unexpected token response: {e}"))?;
        if !tokens.token_type.eq_ignore_ascii_case("bearer") {
            return Err(format!("unexpected token_type {}", tokens.token_type));
        }
        let id_token = tokens.id_token.ok_or("no id_token in the token response")?;
        let claims = self.verify_id_token(&id_token).await?;
        Ok(SignedIn {
            claims,
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            scope: tokens.scope,
        })
    }

    /// OIDC Core §3.1.3.7: signature with the issuer's key, `iss`, `aud`, `exp`.
    async fn verify_id_token(&self, token: &str) -> Result<Value, String> {
        let c = &self.config;
        let header = tessera_jwt::decode_header(token).map_err(|e| e.to_string())?;
        let jwks: JwkSet = self
            .http
            .get(format!("{}.well-known/jwks.json", c.issuer))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let jwk = header
            .kid
            .as_deref()
            .and_then(|kid| jwks.find(kid))
            .ok_or("the id_token's key is not in the JWKS")?;
        let key = VerifyingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
        let (_, claims): (_, Value) =
            tessera_jwt::verify(token, &key).map_err(|e| format!("id_token: {e}"))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let fresh = claims["exp"].as_u64().is_some_and(|exp| exp > now);
        if claims["iss"] != c.issuer.as_str() || claims["aud"] != c.client_id.as_str() || !fresh {
            return Err("the id_token's issuer, audience or expiry is wrong".into());
        }
        Ok(claims)
    }

    /// `GET {api}{path}` with `Authorization: Bearer`.
    pub async fn call_api(&self, path: &str, access_token: &str) -> ApiAnswer {
        let url = format!("{}{path}", self.config.api_url);
        match self.http.get(&url).bearer_auth(access_token).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let challenge = response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let text = response.text().await.unwrap_or_default();
                let body = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or(text);
                let body = match challenge {
                    Some(challenge) if status >= 400 => {
                        format!("{body}\nWWW-Authenticate: {challenge}")
                    }
                    _ => body,
                };
                ApiAnswer { status, body }
            }
            Err(error) => ApiAnswer {
                status: 502,
                body: format!("the API could not be reached: {error}"),
            },
        }
    }
}

/// Whether two strings are equal, in constant time.
pub fn same(a: &str, b: &str) -> bool {
    constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}
