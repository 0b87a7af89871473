//! The HTTP client Tessera talks to other identity providers with (a connection's discovery
//! document, keys, token endpoint and profile URL), and the discovery documents it fetched
//! lately.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use openidconnect::core::CoreProviderMetadata;
use tessera_protocol::Timestamp;

/// Why a provider's JSON could not be had.
#[derive(Debug)]
pub enum Fetched {
    /// The request did not get an answer (refused, timed out).
    Unreachable(String),
    /// The answer was an error, or not JSON.
    Refused(String),
}

/// How long a provider's discovery document is used before it is fetched again, seconds.
const DISCOVERY_TTL: i64 = 300;

/// The HTTP client for providers, and the discovery documents it fetched lately (one per URL
/// a connection's options named).
pub struct Upstream {
    pub(crate) http: reqwest::Client,
    documents: Mutex<HashMap<String, (Timestamp, CoreProviderMetadata)>>,
}

impl Upstream {
    /// Each request bounded by `timeout`, and no redirects followed (a provider's endpoints are
    /// the ones its options or discovery document name).
    pub fn new(timeout: Duration) -> Result<Upstream, reqwest::Error> {
        let http = reqwest::Client::builder()
            // GitHub's API refuses requests without one.
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Upstream {
            http,
            documents: Mutex::new(HashMap::new()),
        })
    }

    /// The discovery document at `url`, fetched at most every [`DISCOVERY_TTL`] seconds.
    pub(crate) async fn discovery(
        &self,
        url: &str,
        now: Timestamp,
    ) -> Result<CoreProviderMetadata, String> {
        if let Some((fetched, document)) = self.cached(url) {
            if now.0 - fetched.0 < DISCOVERY_TTL {
                return Ok(document);
            }
        }
        let answer = self.get_json(url, None).await.map_err(|e| match e {
            Fetched::Unreachable(why) | Fetched::Refused(why) => format!("discovery: {why}"),
        })?;
        let document: CoreProviderMetadata =
            serde_json::from_value(answer).map_err(|e| format!("discovery document: {e}"))?;
        if let Ok(mut documents) = self.documents.lock() {
            documents.insert(url.to_owned(), (now, document.clone()));
        }
        Ok(document)
    }

    /// The JSON a provider answers at `url` (with the access token `bearer`, if any).
    pub(crate) async fn get_json(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<serde_json::Value, Fetched> {
        let request = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json");
        let request = match bearer {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| Fetched::Unreachable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(Fetched::Refused(format!("HTTP {}", response.status())));
        }
        response
            .json()
            .await
            .map_err(|e| Fetched::Refused(e.to_string()))
    }

    fn cached(&self, url: &str) -> Option<(Timestamp, CoreProviderMetadata)> {
        self.documents.lock().ok()?.get(url).cloned()
    }
}
