//! The peer: node `oidc-provider` from bench/peer/server.mjs (in memory, seeded like Tessera),
//! started pinned to Tessera's CPUs, and the scenarios that make sense against it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::browser::{sign_in, Cookies};
use crate::flows::Dialect;
use crate::report::{Goal, Judging, Measured, Row};
use crate::scenarios::{Target, SCOPE};
use crate::server::{free_addr, peak_rss_mb, pinned, rss_mb, wait_ready, APIS, DISCOVERY};

/// bench/peer in the source tree this binary was built from.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/peer")
}

/// The running peer.
pub struct Peer {
    pub addr: SocketAddr,
    child: Child,
    /// Exec to the first 200 of its discovery document (it keeps everything in memory).
    pub ready: Duration,
}

/// Fails unless `dir` holds the peer.
pub fn check(dir: &Path) -> Result<(), String> {
    if dir.join("server.mjs").is_file() {
        Ok(())
    } else {
        Err(format!(
            "no server.mjs in {} (pass --peer-dir)",
            dir.display()
        ))
    }
}

/// `npm ci` once, from the committed lock file, so every run measures the same version.
fn install(dir: &Path) -> Result<(), String> {
    if dir.join("node_modules").is_dir() {
        return Ok(());
    }
    eprintln!("installing the peer: npm ci in {}", dir.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run npm (the peer needs Node.js and npm): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("npm ci in {} failed: {status}", dir.display()))
    }
}

impl Peer {
    /// Installs (if needed) and starts the peer from `dir`, pinned to `pin` CPUs if given.
    pub fn start(dir: &Path, pin: Option<&str>) -> Result<Peer, String> {
        check(dir)?;
        install(dir)?;
        let addr = free_addr()?;
        let started = Instant::now();
        let mut child = pinned("node".as_ref(), pin)
            .arg("server.mjs")
            .arg(addr.port().to_string())
            .current_dir(dir)
            .env("NODE_ENV", "production")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start node (the peer needs Node.js): {e}"))?;
        let name = "the peer (node bench/peer/server.mjs)";
        let ready = wait_ready(addr, &mut child, name, started, &[DISCOVERY])?[0];
        Ok(Peer { addr, child, ready })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the peer measured.
pub struct PeerRun {
    pub rows: Vec<Row>,
    pub idle_rss: f64,
    pub rss_256: f64,
    pub peak_rss: f64,
    pub ready: Duration,
}

fn row(rows: &mut Vec<Row>, scenario: impl Into<String>, measured: Measured) {
    let row = Row {
        scenario: scenario.into(),
        measured,
        floor: None,
        goal: Goal::None,
    };
    eprintln!("{}", row.markdown(Judging::default()));
    rows.push(row);
}

/// Starts the peer and runs A (every algorithm), B, C, D (with a login, and with an SSO session
/// and remembered consent), E, and memory at 256 connections.
pub async fn run(
    dir: &Path,
    pin: Option<&str>,
    duration: Duration,
    concurrency: usize,
) -> Result<PeerRun, String> {
    let peer = Peer::start(dir, pin)?;
    let target = Target {
        addr: peer.addr,
        host: peer.addr.to_string(),
        pid: peer.child.id(),
        dialect: Dialect::Peer,
        duration,
        concurrency,
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = rss_mb(target.pid);
    let mut rows = Vec::new();
    eprintln!("the peer, oidc-provider:");

    for (api, alg) in APIS {
        let measured = target.client_credentials(api).await?;
        row(&mut rows, format!("A client_credentials {alg}"), measured);
    }

    let scope = format!("{SCOPE} offline_access");
    let cookies = sign_in(target.addr, &target.host, Dialect::Peer, APIS[0].0, &scope).await?;
    let (measured, codes) = target.code_redemption(&cookies).await?;
    row(
        &mut rows,
        format!("B code redemption + id_token ({codes} codes)"),
        measured,
    );
    let measured = target.refresh_rotation(&cookies).await?;
    row(&mut rows, "C refresh rotation + id_token", measured);

    let measured = target
        .run(target.flows(SCOPE, Some("login consent"), &Cookies::default()))
        .await?;
    row(
        &mut rows,
        "D flow: login + consent + code + token (peer: development login, no password hash)",
        measured,
    );
    // The peer remembers consent in the browser's session, not per user: log in again within it.
    let measured = target
        .run(target.flows(SCOPE, Some("login"), &cookies))
        .await?;
    row(
        &mut rows,
        "D flow: login, remembered consent (peer: development login, no password hash)",
        measured,
    );
    let measured = target.run(target.flows(SCOPE, None, &cookies)).await?;
    row(
        &mut rows,
        "D flow: SSO session, remembered consent",
        measured,
    );

    let measured = target.jwks().await?;
    row(&mut rows, "E JWKS GET", measured);
    let measured = target.userinfo(&cookies).await?;
    row(
        &mut rows,
        "E userinfo GET (peer: opaque token, an in-memory lookup, no signature)",
        measured,
    );

    let rss_256 = target.rss_at_256().await?;
    Ok(PeerRun {
        rows,
        idle_rss,
        rss_256,
        peak_rss: peak_rss_mb(target.pid),
        ready: peer.ready,
    })
}
