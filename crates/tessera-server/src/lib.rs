//! The Tessera authorization server: configuration, state, routes, flows and hosted pages.

pub mod audit;
pub mod catalog;
pub mod cli;
pub mod cli_keys;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod dashboard;
pub mod demo;
pub mod error;
pub mod flows;
pub mod housekeeping;
pub mod http;
pub mod keys;
pub mod management;
pub mod metrics;
pub mod pages;
pub mod routes;
pub mod secrets;
pub mod seed;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tessera_store::{PostgresStore, SqliteStore, Store, StoreError};
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::crypto::{CryptoError, Passwords};
use crate::flows::brute_force::BruteForce;
use crate::flows::client_throttle::ClientAuthThrottle;
use crate::keys::{KeyError, Keys};
use crate::state::{AppState, Settings};

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("signing keys: {0}")]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("master secret: {0}")]
    Secret(#[from] secrets::SecretError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the store `database_url` names.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, ServeError> {
    let url = config.database_url.as_str();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            PostgresStore::connect(url, config.database_max_connections).await?,
        ))
    } else {
        Err(ConfigError::Invalid(format!(
            "database_url `{url}` is not supported: use sqlite://PATH or postgres://USER@HOST/DATABASE"
        ))
        .into())
    }
}

/// The state requests are handled with, for `issuer`: opens and seeds the store, registers the
/// Management API (and returns the management client's credentials if this call created it),
/// and loads the signing keys. Binds nothing: the CLI uses it to serve requests in-process.
pub async fn build_state(
    config: &Config,
    issuer: String,
    clock: Clock,
) -> Result<(AppState, Option<management::bootstrap::NewCredentials>), ServeError> {
    let sealer = secrets::sealer(config)?;
    let store = open_store(config).await?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let passwords = Passwords::new(cores)?;
    let now = clock.now();
    seed::apply(config, store.as_ref(), &passwords, now).await?;
    let new_management_credentials =
        management::bootstrap::ensure(store.as_ref(), &issuer, config.management.as_ref(), now)
            .await?;
    let keys = Keys::load_or_create(
        store.as_ref(),
        now,
        &keys::required_algorithms(config),
        std::time::Duration::from_secs(config.key_refresh_interval),
        sealer,
    )
    .await?;
    let settings = Settings {
        secure_cookies: issuer.starts_with("https:"),
        issuer,
        default_audience: config.default_audience.clone(),
        code_lifetime: config.code_lifetime,
        session_lifetime: config.session_lifetime,
        id_token_lifetime: config.id_token_lifetime,
        login_timeout: config.login_timeout,
        brute_force: BruteForce {
            max_attempts: config.brute_force_max_attempts,
            cooldown: config.brute_force_cooldown,
            ip_max_failures: config.ip_throttle_max_failures,
            ip_window: config.ip_throttle_window,
        },
        metrics_endpoint: config.metrics,
        trust_forwarded_for: config.trust_forwarded_for,
        request_timeout: std::time::Duration::from_secs(config.request_timeout),
    };
    let catalog = catalog::Catalog::new(
        Arc::clone(&store),
        std::time::Duration::from_millis(config.cache_ttl_ms),
    );
    let metrics = Arc::new(metrics::Metrics::new());
    let audit = audit::Audit::start(Arc::clone(&store), Arc::clone(&metrics))?;
    let state = AppState::new(state::Shared {
        settings: Arc::new(settings),
        catalog,
        store,
        keys: Arc::new(keys),
        passwords,
        clock,
        client_auth: Arc::new(ClientAuthThrottle::new(
            config.client_auth_max_failures,
            config.client_auth_window,
        )),
        metrics,
        audit,
    });
    Ok((state, new_management_credentials))
}

/// A bound, ready server: its address and state, not yet serving.
pub struct Tessera {
    pub listener: TcpListener,
    pub addr: SocketAddr,
    pub state: AppState,
    /// The management client created at this (first) start, to show once.
    pub new_management_credentials: Option<management::bootstrap::NewCredentials>,
    /// How often expired records are purged.
    pub housekeeping_interval: std::time::Duration,
    /// How long audit log events are kept.
    pub log_retention: std::time::Duration,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: std::time::Duration,
}

impl Tessera {
    /// Binds the listen address, opens and seeds the store, and loads the signing keys.
    pub async fn prepare(config: &Config, clock: Clock) -> Result<Tessera, ServeError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: config.listen,
                    source,
                })?;
        Self::with_listener(listener, config, clock).await
    }

    /// As [`Tessera::prepare`], on a listener already bound (its address wins over `listen`).
    pub async fn with_listener(
        listener: TcpListener,
        config: &Config,
        clock: Clock,
    ) -> Result<Tessera, ServeError> {
        let addr = listener.local_addr()?;
        let (state, new_management_credentials) =
            build_state(config, config.issuer_for(addr), clock).await?;
        Ok(Tessera {
            listener,
            addr,
            state,
            new_management_credentials,
            housekeeping_interval: std::time::Duration::from_secs(config.housekeeping_interval),
            log_retention: std::time::Duration::from_secs(
                u64::from(config.log_retention_days) * 86_400,
            ),
            header_read_timeout: std::time::Duration::from_secs(config.header_read_timeout),
        })
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let state = &self.state;
        // Keys rotated or revoked in the store (by `tessera keys`, on any node) take effect here.
        let refresh =
            Arc::clone(&state.keys).spawn_refresh(Arc::clone(&state.store), state.clock.clone());
        let purge = housekeeping::spawn(
            Arc::clone(&state.store),
            state.clock.clone(),
            self.housekeeping_interval,
            state.settings.brute_force,
            self.log_retention,
        );
        let upkeep = Arc::clone(&state.metrics).spawn_upkeep();
        // An idle server keeps no hashing memory: the buffers of start-up hashing (seeded users,
        // the first administrator) go now, those of logins once logins stop.
        state.passwords.release_idle(true);
        let hashing_memory = state.passwords.spawn_release();
        let audit = state.audit.clone();
        let app = routes::router(self.state);
        // Every request carries its peer address (the audit log's and brute-force protection's
        // client IP); slow clients are cut off after `header_read_timeout`.
        http::serve(self.listener, app, self.header_read_timeout, shutdown).await;
        // The drained requests' events are queued: write them before exiting.
        audit.flush(std::time::Duration::from_secs(10)).await;
        refresh.abort();
        purge.abort();
        upkeep.abort();
        hashing_memory.abort();
        Ok(())
    }
}
