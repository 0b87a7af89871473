//! `GET /healthz` (the process answers), `GET /readyz` (the store answers too) and
//! `GET /metrics` (Prometheus text exposition).

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

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

/// Readiness: 200 while the store answers a trivial query in time, else 503 with
/// `Retry-After`.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let problem = match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => return Json(json!({ "status": "ok" })).into_response(),
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
