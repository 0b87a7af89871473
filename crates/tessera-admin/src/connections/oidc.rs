//! The options of an `oidc` connection — Auth0's names: `client_id`, `client_secret`,
//! `discovery_url` or `issuer`, `scope`, `type`.

use serde::{Deserialize, Serialize};
use tessera_store::JsonObject;

/// What OpenID Connect Core §5.4 and Auth0 ask for when no scope is given.
const DEFAULT_SCOPE: &str = "openid profile email";
const DISCOVERY_SUFFIX: &str = "/.well-known/openid-configuration";

/// An `oidc` connection's options as given (the client secret is taken out before storing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OidcOptions {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default = "default_scope")]
    pub scope: String,
    /// `back_channel` (the code flow with the client secret, the only one Tessera runs) or
    /// `front_channel`.
    #[serde(default = "back_channel", rename = "type")]
    pub channel: String,
    #[serde(flatten)]
    pub other: JsonObject,
}

fn default_scope() -> String {
    DEFAULT_SCOPE.to_owned()
}

fn back_channel() -> String {
    "back_channel".to_owned()
}

impl OidcOptions {
    /// Reads Auth0's options object; what Tessera cannot run is refused, naming the option.
    /// `secret_kept`: the connection has a client secret already, which options without one
    /// keep.
    pub fn parse(options: JsonObject, secret_kept: bool) -> Result<OidcOptions, String> {
        let mut parsed: OidcOptions = serde_json::from_value(serde_json::Value::Object(options))
            .map_err(|e| e.to_string())?;
        if parsed.client_id.trim().is_empty() {
            return Err("client_id must not be empty".to_owned());
        }
        let has_secret = secret_kept || parsed.client_secret.is_some();
        if !has_secret {
            return Err("client_secret is required".to_owned());
        }
        if parsed.channel == "front_channel" {
            // Tessera logs in through the back channel (the code flow with the secret), which
            // any provider that gave a secret runs.
            parsed.channel = back_channel();
        }
        if parsed.channel != "back_channel" {
            return Err("type must be back_channel or front_channel".to_owned());
        }
        if !parsed.scope.split_whitespace().any(|s| s == "openid") {
            return Err("scope must include openid".to_owned());
        }
        parsed.issuer()?;
        Ok(parsed)
    }

    /// The provider's issuer (without a trailing slash, which providers differ on) and its
    /// discovery document's URL, from `issuer` or from `discovery_url`.
    pub fn issuer(&self) -> Result<(String, String), String> {
        let (issuer, discovery) = match (&self.issuer, &self.discovery_url) {
            (Some(issuer), _) => {
                let issuer = issuer.trim_end_matches('/').to_owned();
                let discovery = format!("{issuer}{DISCOVERY_SUFFIX}");
                (issuer, discovery)
            }
            (None, Some(discovery)) => {
                let issuer = discovery
                    .strip_suffix(DISCOVERY_SUFFIX)
                    .ok_or_else(|| format!("discovery_url must end with {DISCOVERY_SUFFIX}"))?;
                (issuer.trim_end_matches('/').to_owned(), discovery.clone())
            }
            (None, None) => return Err("one of discovery_url and issuer is required".to_owned()),
        };
        let url = url::Url::parse(&discovery).map_err(|e| format!("discovery_url: {e}"))?;
        if !matches!(url.scheme(), "https" | "http") || url.query().is_some() {
            return Err("issuer must be an http or https URL without a query".to_owned());
        }
        Ok((issuer, discovery))
    }

    /// The options as stored and shown: without the client secret.
    pub fn to_object(&self) -> JsonObject {
        let shown = OidcOptions {
            client_secret: None,
            ..self.clone()
        };
        match serde_json::to_value(shown) {
            Ok(serde_json::Value::Object(object)) => object,
            _ => JsonObject::new(),
        }
    }
}
