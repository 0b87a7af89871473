//! The Tessera authorization server over HTTP: the OAuth 2.0 / OpenID Connect endpoints and
//! hosted pages, the Management API and the Dashboard (adapters over the admin service), and
//! the background work of a running node. It is given its state ready-made (by the `tessera`
//! binary) and serves it.

pub mod client_ip;
pub mod dashboard;
pub mod error;
pub mod flows;
pub mod housekeeping;
pub mod http;
pub mod i18n;
pub mod management;
pub mod metrics;
pub mod pages;
pub mod providers;
pub mod routes;
pub mod state;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::state::AppState;

/// How a node's background work runs, beside the requests.
#[derive(Debug, Clone)]
pub struct Upkeep {
    /// How often expired records are purged.
    pub housekeeping_interval: Duration,
    /// How long audit log events are kept, and how many at most.
    pub log_retention: tessera_core::audit::Retention,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
}

/// Serves `state` on `listener` until `shutdown` completes, then drains in-flight requests and
/// writes the audit events they queued.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    upkeep: Upkeep,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Keys rotated or revoked in the store (by `tessera keys`, on any node) take effect here.
    let refresh =
        Arc::clone(&state.keys).spawn_refresh(Arc::clone(&state.store), state.clock.clone());
    let purge = housekeeping::Housekeeper {
        store: Arc::clone(&state.store),
        clock: state.clock.clone(),
        brute_force: state.settings.brute_force,
        retention: upkeep.log_retention,
        metrics: Arc::clone(&state.metrics),
    }
    .spawn(upkeep.housekeeping_interval);
    let metrics = Arc::clone(&state.metrics).spawn_upkeep();
    // User imports run on whichever node claims them; one left by a stopped node resumes here.
    let jobs = state.admin.spawn_job_runner();
    // Mails queued here are sent at once, those queued elsewhere or due for a retry soon after.
    let postman = state.admin.spawn_postman();
    // An idle server keeps no hashing memory: the buffers of start-up hashing (seeded users,
    // the first administrator) go now, those of logins once logins stop.
    state.passwords.release_idle(true);
    let hashing_memory = state.passwords.spawn_release();
    let audit = state.audit.clone();
    let app = routes::router(state);
    // Every request carries its peer address (the audit log's and brute-force protection's
    // client IP); slow clients are cut off after `header_read_timeout`.
    http::serve(listener, app, upkeep.header_read_timeout, shutdown).await;
    // The drained requests' events are queued: write them before exiting.
    audit.flush(Duration::from_secs(10)).await;
    refresh.abort();
    purge.abort();
    jobs.abort();
    postman.abort();
    metrics.abort();
    hashing_memory.abort();
}
