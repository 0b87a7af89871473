//! `tessera demo`: the authorization server on the embedded default, the seed's appointments
//! API and its regular web app, on localhost ports, seeded with the seed's example.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tessera_example_webapp::WebAppConfig;
use tessera_resource::Validator;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{ApiConfig, ClientConfig, Config, ScopeConfig, UserConfig};
use crate::{ServeError, Tessera};
use tessera_core::clock::Clock;
use tessera_core::crypto::new_client_secret;

/// The demo user's login.
pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_EMAIL: &str = "demo@example.com";
pub const DEMO_PASSWORD: &str = "tessera-demo";
pub const DEMO_CLIENT_ID: &str = "myclientapp";

/// The three listeners, bound by the caller (fixed ports for people, port 0 for tests).
pub struct DemoListeners {
    pub auth: TcpListener,
    pub api: TcpListener,
    pub app: TcpListener,
}

impl DemoListeners {
    pub async fn bind(
        auth: SocketAddr,
        api: SocketAddr,
        app: SocketAddr,
    ) -> Result<DemoListeners, ServeError> {
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Bind { addr, source })
        };
        Ok(DemoListeners {
            auth: bind(auth).await?,
            api: bind(api).await?,
            app: bind(app).await?,
        })
    }
}

/// A demo ready to serve.
pub struct Demo {
    pub tessera: Tessera,
    pub app_url: String,
    pub api_url: String,
    pub data_dir: PathBuf,
    api: (TcpListener, axum::Router),
    app: (TcpListener, axum::Router),
}

/// The seed's example, with the web app's callback on its actual port.
pub fn demo_config(dir: &Path, issuer: &str, app_url: &str, client_secret: String) -> Config {
    Config {
        issuer: Some(issuer.to_owned()),
        database_url: format!("sqlite://{}", dir.join("tessera.db").display()),
        apis: vec![ApiConfig {
            identifier: tessera_example_api::AUDIENCE.into(),
            name: "Appointments API".into(),
            scopes: vec![
                ScopeConfig {
                    value: "appointments".into(),
                    description: "Read and manage your appointments".into(),
                },
                ScopeConfig {
                    value: "contacts".into(),
                    description: "Read your contacts".into(),
                },
            ],
            allow_offline_access: true,
            token_lifetime: 86_400,
            signing_alg: "RS256".into(),
            skip_consent_for_verifiable_first_party_clients: false,
            enforce_policies: false,
            token_dialect: "access_token".into(),
            proof_of_possession: None,
        }],
        clients: vec![ClientConfig {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: Some(client_secret),
            name: "My Client App".into(),
            callbacks: vec![format!("{app_url}callback")],
            allowed_logout_urls: vec![app_url.to_owned()],
            ..ClientConfig::default()
        }],
        users: vec![UserConfig {
            username: DEMO_USERNAME.into(),
            email: DEMO_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            name: "Demo User".into(),
            email_verified: true,
        }],
        ..Config::default()
    }
}

impl Demo {
    /// Prepares all three on `listeners`, with Tessera's data in `dir` (created if missing).
    pub async fn prepare(dir: &Path, listeners: DemoListeners) -> Result<Demo, ServeError> {
        Demo::prepare_with(dir, listeners, |_| {}).await
    }

    /// As [`Demo::prepare`], with Tessera's configuration changed by `adjust` (e.g. an SMTP
    /// server for its mails).
    pub async fn prepare_with(
        dir: &Path,
        listeners: DemoListeners,
        adjust: impl FnOnce(&mut Config),
    ) -> Result<Demo, ServeError> {
        Demo::prepare_on(dir, listeners, adjust, Clock::system()).await
    }

    /// As [`Demo::prepare_with`], with Tessera on `clock` (a test's, to move time for codes
    /// that change every 30 seconds).
    pub async fn prepare_on(
        dir: &Path,
        listeners: DemoListeners,
        adjust: impl FnOnce(&mut Config),
        clock: Clock,
    ) -> Result<Demo, ServeError> {
        std::fs::create_dir_all(dir)?;
        let issuer = format!("http://{}/", listeners.auth.local_addr()?);
        let api_url = format!("http://{}/", listeners.api.local_addr()?);
        let app_url = format!("http://{}/", listeners.app.local_addr()?);
        // A fresh secret each run: it is upserted into the store and handed to the app.
        let client_secret = new_client_secret(32)?;
        let mut config = demo_config(dir, &issuer, &app_url, client_secret.clone());
        adjust(&mut config);
        // `adjust` may name the issuer otherwise (`localhost`, which passkeys need).
        let issuer = config.issuer.clone().unwrap_or(issuer);
        let tessera = Tessera::with_listener(listeners.auth, &config, clock).await?;
        let api = tessera_example_api::router(Validator::new(
            issuer.clone(),
            tessera_example_api::AUDIENCE,
        ));
        let app = tessera_example_webapp::router(WebAppConfig {
            issuer,
            client_id: DEMO_CLIENT_ID.into(),
            client_secret,
            base_url: app_url.clone(),
            api_url: api_url.clone(),
            audience: tessera_example_api::AUDIENCE.into(),
        });
        Ok(Demo {
            tessera,
            app_url,
            api_url,
            data_dir: dir.to_owned(),
            api: (listeners.api, api),
            app: (listeners.app, app),
        })
    }

    /// Serves all three until `stop` completes.
    pub async fn serve(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        };
        let (api_listener, api) = self.api;
        let (app_listener, app) = self.app;
        let api = axum::serve(api_listener, api).with_graceful_shutdown(stopped(stop_rx.clone()));
        let app = axum::serve(app_listener, app).with_graceful_shutdown(stopped(stop_rx.clone()));
        let auth = self.tessera.serve(stopped(stop_rx));
        tokio::spawn(async move {
            stop.await;
            let _ = stop_tx.send(true);
        });
        let (auth, api, app) = tokio::join!(auth, api, app);
        auth?;
        api?;
        app?;
        Ok(())
    }
}
