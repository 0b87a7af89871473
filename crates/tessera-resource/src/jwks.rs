//! The issuer's keys: fetched on first use, cached, refreshed when a token names an unknown
//! `kid` — at most once per minimum interval, so a flood of forged tokens cannot hammer the
//! issuer — and refetched once the cache is older than its maximum age, so a key the issuer
//! revoked stops being trusted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_jwt::{Jwk, VerifyingKey};
use tokio::sync::{Mutex, RwLock};

use crate::BearerError;

#[derive(Default)]
struct Cached {
    keys: HashMap<String, Arc<VerifyingKey>>,
    /// When the keys were last fetched successfully.
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
    last_error: Option<String>,
}

/// A cache of the verifying keys published at a JWKS URI.
pub(crate) struct KeyCache {
    jwks_uri: String,
    http: reqwest::Client,
    min_refresh: Duration,
    max_age: Duration,
    cached: RwLock<Cached>,
    fetching: Mutex<()>,
}

impl KeyCache {
    pub(crate) fn new(
        jwks_uri: String,
        min_refresh: Duration,
        max_age: Duration,
        timeout: Duration,
    ) -> KeyCache {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        KeyCache {
            jwks_uri,
            http,
            min_refresh,
            max_age,
            cached: RwLock::default(),
            fetching: Mutex::new(()),
        }
    }

    /// The key named `kid`, fetching the JWKS when it is not known yet.
    pub(crate) async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, BearerError> {
        {
            let cached = self.cached.read().await;
            if let Some(key) = cached.keys.get(kid).filter(|_| self.fresh(&cached)) {
                return Ok(Arc::clone(key));
            }
        }
        // One fetch at a time; whoever waited re-checks what the fetch brought.
        let _fetching = self.fetching.lock().await;
        {
            let cached = self.cached.read().await;
            let stale_but_known = cached.keys.get(kid).filter(|_| !self.fresh(&cached));
            if let Some(key) = cached.keys.get(kid).filter(|_| self.fresh(&cached)) {
                return Ok(Arc::clone(key));
            }
            let throttled = cached
                .last_attempt
                .is_some_and(|at| at.elapsed() < self.min_refresh);
            if let (Some(key), true) = (stale_but_known, throttled) {
                return Ok(Arc::clone(key));
            }
            if cached
                .last_attempt
                .is_some_and(|at| at.elapsed() < self.min_refresh)
            {
                return Err(Self::unknown(kid, &cached));
            }
        }
        let fetched = self.fetch().await;
        let mut cached = self.cached.write().await;
        cached.last_attempt = Some(Instant::now());
        match fetched {
            Ok(keys) => {
                cached.keys = keys;
                cached.fetched_at = Some(Instant::now());
                cached.last_error = None;
            }
            Err(error) => {
                tracing::warn!(jwks_uri = %self.jwks_uri, %error, "fetching the issuer's keys failed");
                cached.last_error = Some(error);
            }
        }
        cached
            .keys
            .get(kid)
            .map(Arc::clone)
            .ok_or_else(|| Self::unknown(kid, &cached))
    }

    fn fresh(&self, cached: &Cached) -> bool {
        cached
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.max_age)
    }

    fn unknown(kid: &str, cached: &Cached) -> BearerError {
        match &cached.last_error {
            Some(error) if cached.keys.is_empty() => BearerError::KeysUnavailable(error.clone()),
            _ => {
                BearerError::InvalidToken(format!("the token was signed by an unknown key `{kid}`"))
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<VerifyingKey>>, String> {
        let response = self
            .http
            .get(&self.jwks_uri)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{} answered {}", self.jwks_uri, response.status()));
        }
        let document: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
        let keys = document["keys"]
            .as_array()
            .ok_or("the JWKS has no `keys` array")?;
        // Keys this library cannot use (other key types, encryption keys, keys without a kid)
        // are skipped, not fatal: the issuer may publish more than we need.
        Ok(keys
            .iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value.clone()).ok())
            .filter(|jwk| jwk.use_.as_deref().is_none_or(|u| u == "sig"))
            .filter_map(|jwk| {
                VerifyingKey::from_jwk(&jwk)
                    .ok()
                    .map(|key| (jwk.kid.clone(), Arc::new(key)))
            })
            .collect())
    }
}
