//! Asking the issuer whether a token is still active (RFC 7662), for APIs that must refuse a
//! revoked access token at once instead of when it expires. Each validated token costs one
//! round trip to the issuer, so it is off unless [`crate::ValidatorOptions::introspection`]
//! turns it on.

use std::time::Duration;

use serde::Deserialize;

use crate::BearerError;

/// The client an API introspects as: a confidential client of the issuer (Tessera answers
/// introspection only to confidential clients).
#[derive(Clone)]
pub struct IntrospectionOptions {
    /// Default `{issuer}oauth/introspect`.
    pub endpoint: Option<String>,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for IntrospectionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionOptions")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Answer {
    active: bool,
}

pub(crate) struct Introspector {
    endpoint: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
}

impl Introspector {
    pub(crate) fn new(options: IntrospectionOptions, base: &str, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Introspector {
            endpoint: options
                .endpoint
                .unwrap_or_else(|| format!("{base}oauth/introspect")),
            client_id: options.client_id,
            client_secret: options.client_secret,
            http,
        }
    }

    /// Ok when the issuer says `token` is active.
    pub(crate) async fn check(&self, token: &str) -> Result<(), BearerError> {
        let unavailable = |detail: String| BearerError::IntrospectionUnavailable(detail);
        let response = self
            .http
            .post(&self.endpoint)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|error| unavailable(format!("introspection failed: {error}")))?;
        if !response.status().is_success() {
            return Err(unavailable(format!(
                "introspection answered {}",
                response.status()
            )));
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|error| unavailable(format!("introspection's answer: {error}")))?;
        if answer.active {
            Ok(())
        } else {
            Err(BearerError::InvalidToken(
                "the token has been revoked".into(),
            ))
        }
    }
}
