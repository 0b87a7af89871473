//! `GET /healthz` (the process answers), `GET /readyz` (the store answers and can store new
//! data) and `GET /metrics` (Prometheus text exposition).

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tessera_core::crypto::fill_random;
use tessera_store::StoreError;

use crate::state::AppState;

/// How long the store may take to answer a readiness probe.
const READY_TIMEOUT: Duration = Duration::from_secs(2);
/// When a load balancer should ask again after a 503, seconds.
const RETRY_AFTER: &str = "5";

/// Liveness: answers without touching the store, so a slow database never gets the process
/// restarted.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Bytes the readiness probe writes: a few pages, fresh each time, so that it fails when the
/// database cannot grow.
const PROBE_BYTES: usize = 8192;

/// Readiness: 200 while the store answers a trivial query and stores a few fresh pages in
/// time, else 503 with `Retry-After` and the reason (a full disk among them).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let probe = async {
        state.store.ping().await?;
        let mut padding = vec![0u8; PROBE_BYTES];
        // Unpredictable bytes cannot be compressed away: the probe really needs the space.
        if fill_random(&mut padding).is_err() {
            padding.fill(0xA5);
        }
        state.store.probe_write(&padding, state.clock.now()).await
    };
    let problem = match tokio::time::timeout(READY_TIMEOUT, probe).await {
        Ok(Ok(())) => return Json(json!({ "status": "ok" })).into_response(),
        Ok(Err(StoreError::Full(error))) => {
            tracing::warn!(%error, "readiness probe: the store cannot write");
            "the database cannot store new data: its disk is full"
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness probe: the store failed");
            "the store failed to answer"
        }
        Err(_) => {
            tracing::warn!("readiness probe: the store did not answer in time");
            "the store did not answer in time"
        }
    };
    let body = json!({ "status": "unavailable", "error": problem });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
    response
}

/// The metrics in Prometheus' text format (version 0.0.4).
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
