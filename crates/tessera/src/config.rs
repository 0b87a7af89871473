//! Configuration: a TOML file with Auth0's names, overridden by `TESSERA_*` environment variables.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;
use tessera_core::audit::{EventType, Recording, Retention};

/// Environment variables with the `TESSERA_` prefix that are not settings (the last three are
/// the CLI's remote-mode options).
const NOT_SETTINGS: [&str; 5] = ["CONFIG", "LOG", "SERVER", "CLIENT_ID", "CLIENT_SECRET"];

/// The whole configuration.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Socket address to listen on.
    pub listen: SocketAddr,
    /// The issuer URL, Auth0 style with a trailing slash; defaults to `http://{listen}/`.
    /// A missing trailing slash is added.
    pub issuer: Option<String>,
    /// `sqlite://path` (created if missing) or `postgres://user@host/database`.
    pub database_url: String,
    /// PostgreSQL pool size per node.
    pub database_max_connections: u32,
    /// How often expired codes, sessions and revoked tokens are purged, seconds.
    pub housekeeping_interval: u64,
    /// The API an authorization without `audience` is for.
    pub default_audience: Option<String>,
    /// Authorization code lifetime, seconds.
    pub code_lifetime: i64,
    /// SSO session lifetime, seconds.
    pub session_lifetime: i64,
    /// ID token lifetime, seconds (Auth0's default is 36000).
    pub id_token_lifetime: i64,
    /// How long a user may take to log in and consent, seconds.
    pub login_timeout: i64,
    /// How long any one request to another identity provider (a connection's discovery
    /// document, keys, token endpoint or profile URL) may take, milliseconds: a provider
    /// that is slow to answer gets the person a clear page after this, not a hung login.
    pub connection_timeout_ms: u64,
    /// How often each node reloads the signing keys from the store, seconds (at least 1), so
    /// that a key rotated or revoked with `tessera keys` is used without a restart.
    pub key_refresh_interval: u64,
    /// How long a node serves clients, APIs, client grants and users from its cache,
    /// milliseconds: a change made elsewhere is seen within this time (0 turns caching off).
    pub cache_ttl_ms: u64,
    /// Brute-force protection: consecutive failed logins of one account from one IP before
    /// that account is blocked for that IP (Auth0's default: 10).
    pub brute_force_max_attempts: u32,
    /// Seconds after the last failed login before a blocked account is unblocked on its own.
    pub brute_force_cooldown: i64,
    /// Failed logins from one IP, across accounts, before its logins are refused for the rest
    /// of the window (Auth0's suspicious IP throttling).
    pub ip_throttle_max_failures: u32,
    /// The window of `ip_throttle_max_failures`, seconds.
    pub ip_throttle_window: i64,
    /// Failed client authentications of one client_id from one IP at the token, revocation
    /// and introspection endpoints before further attempts are refused for the window.
    pub client_auth_max_failures: u32,
    /// The window of `client_auth_max_failures`, seconds.
    pub client_auth_window: i64,
    /// The master secret private signing keys are encrypted with (at least 32 characters).
    /// All nodes sharing a store must use the same one.
    pub secret: Option<String>,
    /// A file holding the master secret, instead of `secret`.
    pub secret_file: Option<PathBuf>,
    /// How long one request may take, body included, before it is answered 408, seconds.
    pub request_timeout: u64,
    /// How long a client may take to send a request's line and headers before the connection
    /// is closed, seconds (against slow clients holding connections open).
    pub header_read_timeout: u64,
    pub apis: Vec<ApiConfig>,
    pub clients: Vec<ClientConfig>,
    pub users: Vec<UserConfig>,
    /// Machine-to-machine authorizations (Auth0's client grants).
    pub client_grants: Vec<ClientGrantConfig>,
    /// The Management API's client; without it one is created at the first start.
    pub management: Option<ManagementConfig>,
    /// `[email]`: the SMTP server mails go through, unless the Management API sets one;
    /// without either they are kept in the development outbox.
    pub email: Option<EmailConfig>,
    /// How often a node looks for mails due (queued elsewhere, or to retry), seconds.
    pub email_poll_interval: u64,
    /// Serve Prometheus metrics at `GET /metrics` (unauthenticated: keep it off the public
    /// network, or set false).
    pub metrics: bool,
    /// Take the client IP of audit log events from the last `X-Forwarded-For` hop; only
    /// behind a proxy that sets it.
    pub trust_forwarded_for: bool,
    /// DPoP proofs at the token endpoint must carry a nonce of this server (RFC 9449 §8):
    /// a proof made in advance stays usable at most the nonce's 300 s. Costs a client one
    /// extra round trip when its nonce is stale.
    pub dpop_require_nonce: bool,
    /// Audit log events older than this many days are purged (at least 1).
    pub log_retention_days: u32,
    /// Days events of a type (Auth0's code, e.g. `seccft = 2`, `sapi = 365`) are kept instead.
    pub log_retention_days_by_type: BTreeMap<String, u32>,
    /// Events the audit log holds at most; housekeeping deletes the oldest token exchanges
    /// first, then the oldest of any type. Bounds the log's size whatever the load.
    pub log_max_events: u64,
    /// Token exchange events (`seacft`, `seccft`, `sertft`, one per token): `recorded` (all),
    /// `sampled` (one in `log_sample_every`) or `counted` (metrics only). Every other event
    /// is always recorded.
    pub log_token_exchanges: TokenExchangeLogging,
    /// With `log_token_exchanges = "sampled"`, one token exchange in this many is recorded.
    pub log_sample_every: u32,
    /// JavaScript engines that run Actions (each a thread with a warm QuickJS heap); 0: one
    /// per core.
    pub actions_engines: usize,
    /// CPU time one Action may take in one execution, milliseconds; past it the Action is
    /// stopped and the login refused.
    pub actions_cpu_time_ms: u64,
    /// The heap of one Actions engine, MiB.
    pub actions_memory_mb: usize,
}

/// How token exchange events are logged (see [`Config::log_token_exchanges`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenExchangeLogging {
    Recorded,
    Sampled,
    Counted,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            issuer: None,
            database_url: "sqlite://tessera.db".into(),
            database_max_connections: 10,
            housekeeping_interval: 60,
            default_audience: None,
            code_lifetime: 60,
            session_lifetime: 7 * 24 * 3600,
            id_token_lifetime: 36_000,
            login_timeout: 15 * 60,
            connection_timeout_ms: 10_000,
            key_refresh_interval: 10,
            cache_ttl_ms: 1000,
            brute_force_max_attempts: 10,
            brute_force_cooldown: 15 * 60,
            ip_throttle_max_failures: 100,
            ip_throttle_window: 3600,
            client_auth_max_failures: 20,
            client_auth_window: 300,
            secret: None,
            secret_file: None,
            request_timeout: 30,
            header_read_timeout: 10,
            apis: Vec::new(),
            clients: Vec::new(),
            users: Vec::new(),
            client_grants: Vec::new(),
            management: None,
            email: None,
            email_poll_interval: 5,
            metrics: true,
            trust_forwarded_for: false,
            dpop_require_nonce: false,
            log_retention_days: 30,
            log_retention_days_by_type: BTreeMap::new(),
            log_max_events: 1_000_000,
            log_token_exchanges: TokenExchangeLogging::Sampled,
            actions_engines: 0,
            actions_cpu_time_ms: 1000,
            actions_memory_mb: 64,
            log_sample_every: 100,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("issuer", &self.issuer)
            .field("database_url", &self.database_url)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_file", &self.secret_file)
            .field("apis", &self.apis.len())
            .field("clients", &self.clients.len())
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

/// An `[[apis]]` entry (Auth0's resource server).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    pub identifier: String,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<ScopeConfig>,
    #[serde(default)]
    pub allow_offline_access: bool,
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime: i64,
    #[serde(default = "default_signing_alg")]
    pub signing_alg: String,
    /// Auth0's `skip_consent_for_verifiable_first_party_clients`.
    #[serde(default)]
    pub skip_consent_for_verifiable_first_party_clients: bool,
    /// Auth0's `enforce_policies` (RBAC): users get only the scopes they hold as permissions.
    #[serde(default)]
    pub enforce_policies: bool,
    /// Auth0's `token_dialect`; the `_authz` ones add the `permissions` claim.
    #[serde(default = "default_token_dialect")]
    pub token_dialect: String,
    /// Auth0's `proof_of_possession`: access tokens bound to the client's DPoP key (RFC 9449);
    /// absent is Auth0's "none" (Bearer tokens).
    #[serde(default)]
    pub proof_of_possession: Option<ProofOfPossessionConfig>,
}

/// An API's `proof_of_possession = { mechanism = "dpop", required = false }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofOfPossessionConfig {
    /// `dpop`, the only mechanism Tessera implements (Auth0's `mtls` is refused).
    pub mechanism: String,
    /// Only clients that send a DPoP proof get tokens for the API.
    #[serde(default)]
    pub required: bool,
}

/// One `{ value, description }` permission of an API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeConfig {
    pub value: String,
    #[serde(default)]
    pub description: String,
}

fn default_token_lifetime() -> i64 {
    86_400
}

fn default_token_dialect() -> String {
    "access_token".into()
}

fn default_signing_alg() -> String {
    "RS256".into()
}

/// A `[[clients]]` entry (Auth0's application).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub client_id: String,
    /// Required for confidential clients; absent for `spa` and `native` apps.
    #[serde(default)]
    pub client_secret: Option<String>,
    pub name: String,
    /// `regular_web`, `spa`, `native` or `non_interactive` (machine to machine).
    #[serde(default = "default_app_type")]
    pub app_type: String,
    #[serde(default)]
    pub callbacks: Vec<String>,
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    /// Auth0's Allowed Web Origins: pages that may get silent authentication's `web_message`
    /// answer and call the token endpoint from JavaScript.
    #[serde(default)]
    pub web_origins: Vec<String>,
    /// Auth0's Allowed Origins (CORS): pages that may call the token endpoint from JavaScript
    /// (the callbacks' origins may already).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Defaults per app type: `authorization_code` + `refresh_token`, or `client_credentials`
    /// for `non_interactive`.
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    /// `none`, `client_secret_post` or `client_secret_basic`; `none` for `spa`/`native` apps.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub refresh_token: RefreshTokenConfig,
    /// Accept PKCE's `plain` method (never by default).
    #[serde(default)]
    pub allow_plain_pkce: bool,
    /// Auth0's `is_first_party` (true: the tenant's own application).
    #[serde(default = "first_party")]
    pub is_first_party: bool,
    /// Auth0's `require_pushed_authorization_requests`: authorization requests only through `/oauth/par`.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Auth0's `require_proof_of_possession`: tokens only with a DPoP proof (RFC 9449).
    #[serde(default)]
    pub require_proof_of_possession: bool,
    /// Auth0's `logo_uri`: the logo the hosted pages show, an absolute `https` URL (`http`
    /// only for localhost).
    #[serde(default)]
    pub logo_uri: Option<String>,
}

fn first_party() -> bool {
    true
}

impl Default for ClientConfig {
    /// A confidential regular web app with Auth0's defaults; callers set id, secret and name.
    fn default() -> Self {
        ClientConfig {
            client_id: String::new(),
            client_secret: None,
            name: String::new(),
            app_type: default_app_type(),
            callbacks: Vec::new(),
            allowed_logout_urls: Vec::new(),
            web_origins: Vec::new(),
            allowed_origins: Vec::new(),
            grant_types: None,
            token_endpoint_auth_method: None,
            refresh_token: RefreshTokenConfig::default(),
            allow_plain_pkce: false,
            is_first_party: true,
            require_pushed_authorization_requests: false,
            require_proof_of_possession: false,
            logo_uri: None,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn default_app_type() -> String {
    "regular_web".into()
}

/// A client's `refresh_token` settings, with Auth0's names and defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RefreshTokenConfig {
    /// `rotating` or `non-rotating`.
    pub rotation_type: String,
    /// Seconds a rotated token stays usable, for racing retries.
    pub leeway: i64,
    /// Absolute lifetime, seconds.
    pub token_lifetime: i64,
    pub infinite_token_lifetime: bool,
    /// Inactivity lifetime, seconds.
    pub idle_token_lifetime: i64,
    pub infinite_idle_token_lifetime: bool,
}

impl Default for RefreshTokenConfig {
    fn default() -> Self {
        RefreshTokenConfig {
            rotation_type: "non-rotating".into(),
            leeway: 0,
            token_lifetime: 31_557_600,
            infinite_token_lifetime: false,
            idle_token_lifetime: 2_592_000,
            infinite_idle_token_lifetime: false,
        }
    }
}

/// `[management]`: the client that may use the Management API (all its scopes).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementConfig {
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for ManagementConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementConfig")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// `[email]`: an SMTP server. Port 465 speaks TLS, other ports must offer STARTTLS; a server
/// on this machine (`localhost`, `127.0.0.1`) may be plain.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub smtp_host: String,
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
    pub smtp_user: Option<String>,
    pub smtp_pass: Option<String>,
    /// The sender of mails whose template names none, e.g. `Example <login@example.com>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailConfig")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_user", &self.smtp_user)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// A `[[client_grants]]` entry: `client_id` may get tokens for the API `audience` with
/// `client_credentials`, with at most `scope`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantConfig {
    pub client_id: String,
    pub audience: String,
    #[serde(default)]
    pub scope: Vec<String>,
}

/// A `[[users]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub username: String,
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email_verified: bool,
}

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("configuration: {0}")]
    Merged(String),
    #[error("configuration: {0}")]
    Invalid(String),
}

/// An http(s) URL without query or fragment, ending with `/` (Auth0's issuer ends with a slash,
/// and endpoint URLs are built by appending to it).
fn normalized_issuer(issuer: String) -> Result<String, ConfigError> {
    let url = url::Url::parse(&issuer)
        .map_err(|e| ConfigError::Invalid(format!("issuer `{issuer}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(ConfigError::Invalid(format!(
            "issuer `{issuer}` must be an http(s) URL without query or fragment"
        )));
    }
    Ok(if issuer.ends_with('/') {
        issuer
    } else {
        format!("{issuer}/")
    })
}

impl Config {
    /// Reads `path` (if any), then applies `TESSERA_*` environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = path {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            // Parsing the file alone first gives errors with the line, the key and what was
            // expected; figment's merged errors know the key but not the line.
            toml::from_str::<Config>(&text).map_err(|e| ConfigError::File {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
            figment = figment.merge(Toml::string(&text));
        }
        let env = Env::prefixed("TESSERA_").ignore(&NOT_SETTINGS);
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError::Merged(e.to_string()))?;
        config.validated()
    }

    fn validated(mut self) -> Result<Config, ConfigError> {
        for (name, value) in [
            ("code_lifetime", self.code_lifetime),
            ("session_lifetime", self.session_lifetime),
            ("id_token_lifetime", self.id_token_lifetime),
            ("login_timeout", self.login_timeout),
            ("brute_force_cooldown", self.brute_force_cooldown),
            ("ip_throttle_window", self.ip_throttle_window),
            ("client_auth_window", self.client_auth_window),
        ] {
            if value <= 0 {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be a positive number of seconds"
                )));
            }
        }
        for (name, value) in [
            ("brute_force_max_attempts", self.brute_force_max_attempts),
            ("ip_throttle_max_failures", self.ip_throttle_max_failures),
            ("client_auth_max_failures", self.client_auth_max_failures),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
            }
        }
        if self.secret.is_some() && self.secret_file.is_some() {
            return Err(ConfigError::Invalid(
                "set either secret or secret_file, not both".into(),
            ));
        }
        for (name, value) in [
            ("request_timeout", self.request_timeout),
            ("header_read_timeout", self.header_read_timeout),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be a positive number of seconds"
                )));
            }
        }
        if self.log_retention_days == 0 {
            return Err(ConfigError::Invalid(
                "log_retention_days must be at least 1".into(),
            ));
        }
        for (code, days) in &self.log_retention_days_by_type {
            if EventType::parse(code).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "log_retention_days_by_type: {code} is not an event type"
                )));
            }
            if *days == 0 {
                return Err(ConfigError::Invalid(format!(
                    "log_retention_days_by_type: {code} must be kept at least 1 day"
                )));
            }
        }
        if self.log_sample_every == 0 {
            return Err(ConfigError::Invalid(
                "log_sample_every must be at least 1".into(),
            ));
        }
        if self.log_max_events < 1_000 {
            return Err(ConfigError::Invalid(
                "log_max_events must be at least 1000".into(),
            ));
        }
        if let Some(issuer) = self.issuer.take() {
            self.issuer = Some(normalized_issuer(issuer)?);
        }
        Ok(self)
    }

    /// How token exchange events are stored.
    pub fn token_exchange_recording(&self) -> Recording {
        match self.log_token_exchanges {
            TokenExchangeLogging::Recorded => Recording::Recorded,
            TokenExchangeLogging::Sampled => NonZeroU32::new(self.log_sample_every)
                .map_or(Recording::Recorded, Recording::Sampled),
            TokenExchangeLogging::Counted => Recording::Counted,
        }
    }

    /// How long audit events are kept, and how many at most.
    pub fn log_retention(&self) -> Retention {
        let seconds = |days: u32| i64::from(days) * 86_400;
        Retention {
            default: seconds(self.log_retention_days),
            by_type: self
                .log_retention_days_by_type
                .iter()
                .filter_map(|(code, days)| Some((EventType::parse(code)?, seconds(*days))))
                .collect(),
            max_events: self.log_max_events,
        }
    }

    /// The issuer: the configured one, or `http://{address actually bound}/`.
    pub fn issuer_for(&self, bound: SocketAddr) -> String {
        self.issuer
            .clone()
            .unwrap_or_else(|| format!("http://{bound}/"))
    }
}
