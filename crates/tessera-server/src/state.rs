//! The application state every handler receives: settings, store, keys, password hasher, clock,
//! the admin service, and this node's client-authentication throttle.

use std::sync::Arc;

use tessera_admin::Admin;
use tessera_store::Store;

use crate::flows::client_throttle::ClientAuthThrottle;
use crate::metrics::Metrics;
use tessera_core::audit::{Audit, Event, RequestContext};
use tessera_core::brute_force::BruteForce;
use tessera_core::catalog::Catalog;
use tessera_core::clock::Clock;
use tessera_core::crypto::Passwords;
use tessera_core::keys::Keys;

/// Settings derived from the configuration that requests need.
#[derive(Debug, Clone)]
pub struct Settings {
    pub issuer: String,
    pub default_audience: Option<String>,
    pub code_lifetime: i64,
    pub session_lifetime: i64,
    pub id_token_lifetime: i64,
    pub login_timeout: i64,
    /// How long one request may take before it is answered 408.
    pub request_timeout: std::time::Duration,
    /// Cookies get `Secure` when the issuer is https.
    pub secure_cookies: bool,
    pub brute_force: BruteForce,
    /// Whether `GET /metrics` is served.
    pub metrics_endpoint: bool,
    /// Whether the client IP is the last `X-Forwarded-For` hop (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Whether DPoP proofs at the token endpoint must carry a nonce of this server (RFC 9449
    /// §8), which bounds how long a proof made in advance stays usable.
    pub dpop_nonce_required: bool,
}

impl Settings {
    /// An endpoint's URL: the issuer (which ends with `/`) followed by `path`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}

/// Shared by all requests: one reference count to clone, however many parts it has (every
/// request clones it a few times on its way through the layers).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    /// The admin service the Management API and the Dashboard call.
    pub admin: Admin,
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    /// Cached reads of clients, APIs, client grants and users (bounded staleness).
    pub catalog: Catalog,
    /// The signing keys; `keys.current()` is the ring to use for one request.
    pub keys: Arc<Keys>,
    pub passwords: Passwords,
    pub clock: Clock,
    /// This node's count of failed client authentications.
    pub client_auth: Arc<ClientAuthThrottle>,
    pub metrics: Arc<Metrics>,
    /// The audit log; [`AppState::record`] adds an event.
    pub audit: Audit,
    /// The engines Actions run in.
    pub actions: tessera_actions::Engine,
    /// The HTTP client for other identity providers, and their discovery documents.
    pub upstream: crate::providers::Upstream,
}

impl Shared {
    /// Adds `event`, which happened in a request from `request`, to the audit log, dated now;
    /// never waits on the store.
    pub fn record(&self, event: Event, request: &RequestContext) {
        self.audit.record(event.request(request), self.clock.now());
    }
}
