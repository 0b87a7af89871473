//! The HTTP client Tessera talks to other identity providers with (a connection's discovery
//! document, keys, token endpoint and profile URL), and the discovery documents it fetched
//! lately.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use openidconnect::core::CoreProviderMetadata;
use tessera_protocol::Timestamp;

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
        let response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("discovery: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("discovery: HTTP {}", response.status()));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("discovery: {e}"))?;
        let document: CoreProviderMetadata =
            serde_json::from_slice(&body).map_err(|e| format!("discovery document: {e}"))?;
        if let Ok(mut documents) = self.documents.lock() {
            documents.insert(url.to_owned(), (now, document.clone()));
        }
        Ok(document)
    }

    fn cached(&self, url: &str) -> Option<(Timestamp, CoreProviderMetadata)> {
        self.documents.lock().ok()?.get(url).cloned()
    }
}
