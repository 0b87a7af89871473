//! The application state every handler receives: settings, store, keys, password hasher, clock.

use std::sync::Arc;

use tessera_store::Store;

use crate::clock::Clock;
use crate::crypto::Passwords;
use crate::keys::Keys;

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
}

impl Settings {
    /// An endpoint's URL: the issuer (which ends with `/`) followed by `path`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}

/// Shared by all requests; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    /// The signing keys; `keys.current()` is the ring to use for one request.
    pub keys: Arc<Keys>,
    pub passwords: Passwords,
    pub clock: Clock,
}
