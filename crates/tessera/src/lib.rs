//! The `tessera` binary's library: the configuration file, seeding the store from it, the
//! state a node serves, the CLI and `tessera demo`. The integration tests drive Tessera through
//! this crate, as a person would through the binary.

pub mod admins;
pub mod cli;
pub mod config;
pub mod demo;
pub mod healthcheck;
pub mod maintenance;
pub mod seed;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tessera_admin::bootstrap::{self, ConfiguredClient, NewCredentials};
use tessera_admin::email::{EmailCounters, EmailSetup, SmtpProvider};
use tessera_admin::{Admin, AdminError, AdminParts, Live};
use tessera_core::audit::Audit;
use tessera_core::brute_force::BruteForce;
use tessera_core::catalog::Catalog;
use tessera_core::clock::Clock;
use tessera_core::crypto::{CryptoError, Passwords};
use tessera_core::keys::{self, KeyError, Keys};
use tessera_core::secrets::{self, SecretSource};
use tessera_protocol::Timestamp;
use tessera_server::flows::client_throttle::ClientAuthThrottle;
use tessera_server::metrics::Metrics;
use tessera_server::state::{AppState, Settings, Shared};
use tessera_server::Upkeep;
use tessera_store::{PostgresStore, SqliteStore, Store, StoreError};
use tokio::net::TcpListener;

use crate::config::{Config, ConfigError};

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
    #[error("{0}")]
    Admin(#[from] AdminError),
    #[error("the HTTP client for identity providers: {0}")]
    HttpClient(#[from] reqwest::Error),
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

/// The sealer of the master secret the configuration names.
pub fn sealer(config: &Config) -> Result<secrets::Sealer, secrets::SecretError> {
    secrets::sealer(SecretSource {
        secret: config.secret.as_deref(),
        secret_file: config.secret_file.as_deref(),
        database_url: &config.database_url,
    })
}

/// The brute-force protection the configuration sets.
pub fn brute_force(config: &Config) -> BruteForce {
    BruteForce {
        max_attempts: config.brute_force_max_attempts,
        cooldown: config.brute_force_cooldown,
        ip_max_failures: config.ip_throttle_max_failures,
        ip_window: config.ip_throttle_window,
    }
}

/// How mail is set up: the configuration file's SMTP server, counted with `counters`.
pub fn email_setup(config: &Config, counters: EmailCounters) -> EmailSetup {
    let configured = config.email.as_ref().map(|email| SmtpProvider {
        host: email.smtp_host.clone(),
        port: email.smtp_port,
        user: email.smtp_user.clone(),
        pass: email.smtp_pass.clone(),
        from: email.from.clone(),
    });
    EmailSetup::new(
        configured,
        counters,
        Duration::from_secs(config.email_poll_interval.max(1)),
    )
}

/// Makes the store hold what the configuration declares and the Management API with its
/// client; returns the management client's credentials if this call created it.
pub async fn prepare_store(
    config: &Config,
    store: &dyn Store,
    issuer: &str,
    passwords: &Passwords,
    now: Timestamp,
) -> Result<Option<NewCredentials>, ServeError> {
    seed::apply(config, store, passwords, now).await?;
    let configured = config.management.as_ref().map(|m| ConfiguredClient {
        client_id: &m.client_id,
        client_secret: &m.client_secret,
    });
    Ok(bootstrap::ensure(store, issuer, configured, now).await?)
}

/// What requests need from the configuration.
fn settings(config: &Config, issuer: String) -> Settings {
    Settings {
        secure_cookies: issuer.starts_with("https:"),
        issuer,
        default_audience: config.default_audience.clone(),
        code_lifetime: config.code_lifetime,
        session_lifetime: config.session_lifetime,
        id_token_lifetime: config.id_token_lifetime,
        login_timeout: config.login_timeout,
        brute_force: brute_force(config),
        metrics_endpoint: config.metrics,
        trust_forwarded_for: config.trust_forwarded_for,
        dpop_nonce_required: config.dpop_require_nonce,
        request_timeout: Duration::from_secs(config.request_timeout),
    }
}

/// The state requests are handled with, for `issuer`: opens and seeds the store, registers the
/// Management API (and returns the management client's credentials if this call created it),
/// and loads the signing keys. Binds nothing.
pub async fn build_state(
    config: &Config,
    issuer: String,
    clock: Clock,
) -> Result<(AppState, Option<NewCredentials>), ServeError> {
    let sealer = sealer(config)?;
    let store = open_store(config).await?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let passwords = Passwords::new(cores)?;
    let now = clock.now();
    let new_management_credentials =
        prepare_store(config, store.as_ref(), &issuer, &passwords, now).await?;
    let keys = Keys::load_or_create(
        store.as_ref(),
        now,
        &keys::required_algorithms(),
        Duration::from_secs(config.key_refresh_interval),
        sealer,
    )
    .await?;
    let catalog = Catalog::new(
        Arc::clone(&store),
        Duration::from_millis(config.cache_ttl_ms),
    );
    let metrics = Arc::new(Metrics::new());
    let audit = Audit::start(
        Arc::clone(&store),
        metrics.audit_counters(),
        config.token_exchange_recording(),
    )?;
    let keys = Arc::new(keys);
    let settings = settings(config, issuer);
    let admin = Admin::new(AdminParts {
        store: Arc::clone(&store),
        clock: clock.clone(),
        issuer: settings.issuer.clone(),
        passwords: passwords.clone(),
        sealer: keys.sealer().clone(),
        audit: audit.clone(),
        brute_force: settings.brute_force,
        email: email_setup(config, metrics.email_counters()),
        live: Some(Live {
            catalog: catalog.clone(),
            keys: Arc::clone(&keys),
        }),
    });
    let engines = match config.actions_engines {
        0 => cores,
        n => n,
    };
    let limits = tessera_actions::Limits {
        memory_bytes: config.actions_memory_mb.saturating_mul(1 << 20),
        cpu_time: Duration::from_millis(config.actions_cpu_time_ms),
        ..tessera_actions::Limits::default()
    };
    let actions = tessera_actions::Engine::new(engines, limits)?;
    let state = AppState::new(Shared {
        admin,
        actions,
        settings: Arc::new(settings),
        catalog,
        store,
        keys,
        passwords,
        clock,
        client_auth: Arc::new(ClientAuthThrottle::new(
            config.client_auth_max_failures,
            config.client_auth_window,
        )),
        metrics,
        audit,
        upstream: tessera_server::providers::Upstream::new(Duration::from_millis(
            config.connection_timeout_ms.max(1),
        ))?,
    });
    Ok((state, new_management_credentials))
}

/// A bound, ready server: its address and state, not yet serving.
pub struct Tessera {
    pub listener: TcpListener,
    pub addr: SocketAddr,
    pub state: AppState,
    /// The management client created at this (first) start, to show once.
    pub new_management_credentials: Option<NewCredentials>,
    pub upkeep: Upkeep,
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
            upkeep: Upkeep {
                housekeeping_interval: Duration::from_secs(config.housekeeping_interval),
                log_retention: config.log_retention(),
                header_read_timeout: Duration::from_secs(config.header_read_timeout),
            },
        })
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        tessera_server::serve(self.listener, self.state, self.upkeep, shutdown).await;
        Ok(())
    }
}
