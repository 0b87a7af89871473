//! The scenarios both servers run, Tessera and the peer, with the same load generator,
//! concurrency and duration: only the dialect of their requests differs.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::browser::{user_access_token, Cookies, Flow};
use crate::flows::{self, client_credentials, Dialect, Redeem, RefreshChain};
use crate::load::{self, get, Worker};
use crate::report::Measured;
use crate::server::{drive_sampled, rss_mb, APIS};

/// The scope the scenarios' flows ask for; C adds `offline_access`.
pub const SCOPE: &str = "openid profile read";

/// The peer's default in-memory adapter keeps the 1,000 most recently used entries (an LRU):
/// codes minted before the newest ~1,000 are evicted and fail with `invalid_grant`. Only this
/// many of the newest are redeemed there.
const PEER_CODES: usize = 800;

/// A running server to measure.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
    /// Its process, for its memory.
    pub pid: u32,
    pub dialect: Dialect,
    pub duration: Duration,
    pub concurrency: usize,
}

fn boxed<W: Worker>(workers: impl IntoIterator<Item = W>) -> Vec<Box<dyn Worker>> {
    workers
        .into_iter()
        .map(|w| Box::new(w) as Box<dyn Worker>)
        .collect()
}

impl Target {
    /// Drives `workers` for the scenario's duration (or at `rate` requests per second in all).
    pub async fn run_at(
        &self,
        workers: Vec<Box<dyn Worker>>,
        rate: Option<f64>,
    ) -> Result<Measured, String> {
        let (outcome, rss) =
            drive_sampled(self.addr, self.pid, workers, self.duration, rate).await?;
        Ok(Measured {
            outcome,
            rss: Some(rss),
        })
    }

    pub async fn run(&self, workers: Vec<Box<dyn Worker>>) -> Result<Measured, String> {
        self.run_at(workers, None).await
    }

    /// One worker per connection, each repeating `request`; every answer must pass `check`.
    pub fn repeat(
        &self,
        request: impl Fn() -> hyper::Request<load::Body>,
        check: fn(&[u8]) -> Result<(), String>,
    ) -> Vec<Box<dyn Worker>> {
        boxed((0..self.concurrency).map(|_| load::Repeat {
            request: request(),
            check,
        }))
    }

    /// One flow per connection for the first API.
    pub fn flows(
        &self,
        scope: &str,
        prompt: Option<&str>,
        cookies: &Cookies,
    ) -> Vec<Box<dyn Worker>> {
        boxed((0..self.concurrency).map(|_| self.flow(scope, prompt, cookies)))
    }

    fn flow(&self, scope: &str, prompt: Option<&str>, cookies: &Cookies) -> Flow {
        self.flow_for(APIS[0].0, scope, prompt, cookies)
    }

    fn flow_for(
        &self,
        audience: &str,
        scope: &str,
        prompt: Option<&str>,
        cookies: &Cookies,
    ) -> Flow {
        Flow::new(
            &self.host,
            self.dialect,
            Some(audience),
            scope,
            prompt,
            cookies.clone(),
        )
    }

    /// A: client credentials for `api`, one signature per request.
    pub async fn client_credentials(&self, api: &str) -> Result<Measured, String> {
        self.client_credentials_at(api, None).await
    }

    /// Client credentials for `api`, as fast as the server answers or paced at `rate`
    /// requests per second.
    pub async fn client_credentials_at(
        &self,
        api: &str,
        rate: Option<f64>,
    ) -> Result<Measured, String> {
        let workers = self.client_credentials_workers(api);
        self.run_at(workers, rate).await
    }

    /// One worker per connection asking for client-credentials tokens for `api`.
    pub fn client_credentials_workers(&self, api: &str) -> Vec<Box<dyn Worker>> {
        self.repeat(
            || client_credentials(&self.host, self.dialect, api),
            flows::m2m_tokens,
        )
    }

    /// B: mints codes with the SSO session for a scenario's duration, then redeems them (access
    /// and ID token: two signatures each). Returns how many codes there were.
    pub async fn code_redemption(&self, cookies: &Cookies) -> Result<(Measured, usize), String> {
        let codes = Arc::new(Mutex::new(Vec::new()));
        let minters = boxed((0..self.concurrency).map(|_| {
            self.flow(SCOPE, None, cookies)
                .collecting(Arc::clone(&codes), false)
        }));
        load::drive(self.addr, minters, self.duration, None).await?;
        let mut minted: Vec<String> = codes.lock().map(|c| c.clone()).unwrap_or_default();
        if self.dialect == Dialect::Peer && minted.len() > PEER_CODES {
            minted.drain(..minted.len() - PEER_CODES);
        }
        let chunk = minted.len().div_ceil(self.concurrency).max(1);
        let redeemers = boxed(minted.chunks(chunk).map(|c| Redeem {
            host: self.host.clone(),
            codes: c.to_vec(),
        }));
        Ok((self.run(redeemers).await?, minted.len()))
    }

    /// C: one rotating refresh-token chain per connection, an ID token with every rotation
    /// (two signatures per request).
    pub async fn refresh_rotation(&self, cookies: &Cookies) -> Result<Measured, String> {
        self.refresh_rotation_for(APIS[0].0, cookies).await
    }

    /// C for the API `audience`.
    pub async fn refresh_rotation_for(
        &self,
        audience: &str,
        cookies: &Cookies,
    ) -> Result<Measured, String> {
        // OpenID Connect Core §11: the peer grants `offline_access` only with prompt=consent.
        let prompt = match self.dialect {
            Dialect::Tessera => None,
            Dialect::Peer => Some("consent"),
        };
        let scope = format!("{SCOPE} offline_access");
        let tokens = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..5 {
            let getters = boxed((0..self.concurrency).map(|_| {
                self.flow_for(audience, &scope, prompt, cookies)
                    .collecting(Arc::clone(&tokens), true)
            }));
            let window = Duration::from_millis(500).max(self.duration / 10);
            load::drive(self.addr, getters, window, None).await?;
            if tokens.lock().map(|t| t.len()).unwrap_or(0) >= self.concurrency {
                break;
            }
        }
        let tokens: Vec<String> = tokens.lock().map(|t| t.clone()).unwrap_or_default();
        let chains = boxed(
            tokens
                .into_iter()
                .take(self.concurrency)
                .map(|t| RefreshChain {
                    host: self.host.clone(),
                    token: Some(t),
                }),
        );
        self.run(chains).await
    }

    /// E: the JWKS.
    pub async fn jwks(&self) -> Result<Measured, String> {
        self.run(self.repeat(
            || get(&self.host, "/.well-known/jwks.json", &[]),
            flows::jwks,
        ))
        .await
    }

    /// E: userinfo with a user's access token. Tessera's is a JWT for an API it verifies; the
    /// peer accepts only its opaque tokens without a resource there (a lookup, no signature).
    pub async fn userinfo(&self, cookies: &Cookies) -> Result<Measured, String> {
        let audience = match self.dialect {
            Dialect::Tessera => Some(APIS[0].0),
            Dialect::Peer => None,
        };
        let flow = Flow::new(
            &self.host,
            self.dialect,
            audience,
            "openid profile",
            None,
            cookies.clone(),
        );
        let token = user_access_token(self.addr, flow)
            .await
            .map_err(|e| format!("userinfo token: {e}"))?;
        let bearer = format!("Bearer {token}");
        self.run(self.repeat(
            || get(&self.host, "/userinfo", &[("authorization", &bearer)]),
            flows::userinfo,
        ))
        .await
    }

    /// Resident memory while 256 connections fetch the JWKS, MB.
    pub async fn rss_at_256(&self) -> Result<f64, String> {
        let many = boxed((0..256).map(|_| load::Repeat {
            request: get(&self.host, "/.well-known/jwks.json", &[]),
            check: flows::jwks,
        }));
        let load = tokio::spawn(load::drive(self.addr, many, Duration::from_secs(2), None));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let rss = rss_mb(self.pid);
        load.await.map_err(|e| e.to_string())??;
        Ok(rss)
    }
}
