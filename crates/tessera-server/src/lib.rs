//! The Tessera authorization server: configuration, state, routes, flows and hosted pages.

pub mod cli_keys;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod flows;
pub mod keys;
pub mod management;
pub mod pages;
pub mod routes;
pub mod seed;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tessera_store::{SqliteStore, Store, StoreError};
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::crypto::{CryptoError, Passwords};
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
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the store `database_url` names.
pub async fn open_store(database_url: &str) -> Result<Arc<dyn Store>, ServeError> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(database_url).await?))
    } else {
        Err(ConfigError::Invalid(format!(
            "database_url `{database_url}` is not supported: use sqlite://PATH"
        ))
        .into())
    }
}

/// A bound, ready server: its address and state, not yet serving.
pub struct Tessera {
    pub listener: TcpListener,
    pub addr: SocketAddr,
    pub state: AppState,
    /// The management client created at this (first) start, to show once.
    pub new_management_credentials: Option<management::bootstrap::NewCredentials>,
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
        let issuer = config.issuer_for(addr);
        let store = open_store(&config.database_url).await?;
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
        };
        let state = AppState {
            settings: Arc::new(settings),
            store,
            keys: Arc::new(keys),
            passwords,
            clock,
        };
        Ok(Tessera {
            listener,
            addr,
            state,
            new_management_credentials,
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
        let app = routes::router(self.state);
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        refresh.abort();
        served?;
        Ok(())
    }
}
