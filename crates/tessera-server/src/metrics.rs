//! Prometheus metrics, per server (no global recorder: several servers may share a process).
//! Hot paths hold registered handles, so recording is an atomic add: no lock, no label
//! formatting. Requests are labelled by the matched route pattern, never the raw path.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use metrics::{Counter, Histogram, Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use tessera_admin::email::EmailCounters;
use tessera_core::audit::{AuditCounters, EventType};
use tessera_protocol::GrantType;
use tower::{Layer, Service};

const REQUESTS: &str = "tessera_http_requests_total";
const DURATION: &str = "tessera_http_request_duration_seconds";
const TOKENS: &str = "tessera_tokens_issued_total";
const LOGIN_FAILURES: &str = "tessera_login_failures_total";
const REFRESH_REUSE: &str = "tessera_refresh_token_reuse_detected_total";
const CODE_REPLAYS: &str = "tessera_authorization_code_replays_total";
const AUDIT_DROPPED: &str = "tessera_audit_events_dropped_total";
const AUDIT_EVENTS: &str = "tessera_audit_events_total";
const PURGED: &str = "tessera_housekeeping_purged_total";
const LOG_EVENTS_CAPPED: &str = "tessera_audit_events_capped_total";
const EMAILS: &str = "tessera_emails_total";

/// Latency buckets, seconds: a token request takes well under a millisecond, a login the
/// password hash's tens of milliseconds.
const BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Statuses whose request counters are cached per route; others take the slow path.
const CACHED_STATUSES: [u16; 16] = [
    200, 201, 204, 302, 303, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503,
];

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// Why a login failed, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    WrongPassword,
    UnknownUser,
    Blocked,
    /// Refused by brute-force protection before any password was checked.
    Throttled,
}

/// The server's metrics and the handles its hot paths record with.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    tokens: [Counter; GrantType::ALL.len()],
    login_failures: [Counter; 4],
    refresh_reuse: Counter,
    code_replays: Counter,
    audit: AuditCounters,
    email: EmailCounters,
    log_events_capped: Counter,
    /// Requests answered, for pacing background work by the load (one relaxed add each).
    served: AtomicU64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// The index of `grant` in [`GrantType::ALL`], which orders the token counters.
fn grant_index(grant: GrantType) -> usize {
    GrantType::ALL.iter().position(|g| *g == grant).unwrap_or(0)
}

impl Metrics {
    pub fn new() -> Metrics {
        let builder = PrometheusBuilder::new();
        // Only an empty bucket list is refused, and this one is not empty.
        let builder = builder
            .set_buckets(&BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        describe(&recorder);
        let counter = |name: &'static str, labels: &[(&'static str, &'static str)]| {
            let labels: Vec<Label> = labels
                .iter()
                .map(|&(k, v)| Label::from_static_parts(k, v))
                .collect();
            recorder.register_counter(&Key::from_parts(name, labels), &METADATA)
        };
        let tokens = GrantType::ALL.map(|g| counter(TOKENS, &[("grant_type", g.as_str())]));
        let login_failures = ["wrong_password", "unknown_user", "blocked", "throttled"]
            .map(|reason| counter(LOGIN_FAILURES, &[("reason", reason)]));
        Metrics {
            tokens,
            login_failures,
            refresh_reuse: counter(REFRESH_REUSE, &[]),
            code_replays: counter(CODE_REPLAYS, &[]),
            audit: AuditCounters {
                by_type: EventType::ALL.map(|t| counter(AUDIT_EVENTS, &[("type", t.code())])),
                dropped: counter(AUDIT_DROPPED, &[]),
            },
            log_events_capped: counter(LOG_EVENTS_CAPPED, &[]),
            email: EmailCounters {
                sent: counter(EMAILS, &[("outcome", "sent")]),
                retried: counter(EMAILS, &[("outcome", "retry")]),
                failed: counter(EMAILS, &[("outcome", "failed")]),
                outboxed: counter(EMAILS, &[("outcome", "outbox")]),
            },
            served: AtomicU64::new(0),
            recorder,
            handle,
        }
    }

    /// The exposition text for `GET /metrics`.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Drains recorded latencies into their histograms; run periodically so that memory stays
    /// bounded when nobody scrapes.
    pub fn spawn_upkeep(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(5));
            loop {
                ticker.tick().await;
                self.handle.run_upkeep();
            }
        })
    }

    pub fn token_issued(&self, grant: GrantType) {
        self.tokens[grant_index(grant)].increment(1);
    }

    pub fn login_failed(&self, why: LoginFailure) {
        self.login_failures[why as usize].increment(1);
    }

    pub fn refresh_reuse_detected(&self) {
        self.refresh_reuse.increment(1);
    }

    pub fn code_replayed(&self) {
        self.code_replays.increment(1);
    }

    /// The counters the audit log counts its events with.
    pub fn audit_counters(&self) -> AuditCounters {
        self.audit.clone()
    }

    /// The counters the postman counts mails with.
    pub fn email_counters(&self) -> EmailCounters {
        self.email.clone()
    }

    /// Housekeeping deleted `rows` from `what` (a table).
    pub fn purged(&self, what: &'static str, rows: u64) {
        let key = Key::from_parts(PURGED, vec![Label::from_static_parts("what", what)]);
        self.recorder
            .register_counter(&key, &METADATA)
            .increment(rows);
    }

    /// Requests answered since the server started.
    pub fn requests_served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Housekeeping deleted `events` before their retention ended, to hold the log's cap.
    pub fn log_events_capped(&self, events: u64) {
        self.log_events_capped.increment(events);
    }

    fn requests(&self, method: &str, route: &str, status: u16) -> Counter {
        let labels = vec![
            Label::new("method", method.to_owned()),
            Label::new("route", route.to_owned()),
            Label::new("status", status.to_string()),
        ];
        self.recorder
            .register_counter(&Key::from_parts(REQUESTS, labels), &METADATA)
    }

    fn duration(&self, method: &str, route: &str) -> Histogram {
        let labels = vec![
            Label::new("method", method.to_owned()),
            Label::new("route", route.to_owned()),
        ];
        self.recorder
            .register_histogram(&Key::from_parts(DURATION, labels), &METADATA)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn describe(recorder: &PrometheusRecorder) {
    let counters = [
        (
            REQUESTS,
            "HTTP requests by method, matched route pattern and status",
        ),
        (TOKENS, "Tokens issued, by grant type"),
        (
            LOGIN_FAILURES,
            "Failed logins at the hosted login page, by reason",
        ),
        (
            REFRESH_REUSE,
            "Rotated refresh tokens presented again (their family is revoked)",
        ),
        (
            CODE_REPLAYS,
            "Authorization codes presented again (what they issued is revoked)",
        ),
        (
            AUDIT_DROPPED,
            "Audit log events dropped because the writer's queue was full or the store failed",
        ),
        (
            AUDIT_EVENTS,
            "Audit events by type, every one, whether the log stores it or not",
        ),
        (PURGED, "Rows deleted by housekeeping, by table"),
        (
            EMAILS,
            "Mail delivery attempts by outcome: sent, retry (failed, tried again later), failed (given up), outbox (no provider)",
        ),
        (
            LOG_EVENTS_CAPPED,
            "Audit log events deleted before their retention ended, to hold log_max_events",
        ),
    ];
    for (name, help) in counters {
        recorder.describe_counter(name.into(), None, help.into());
    }
    recorder.describe_histogram(
        DURATION.into(),
        Some(Unit::Seconds),
        "HTTP request latency by method and matched route pattern".into(),
    );
}

/// A method as a bounded label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The handles of one route and method, made at its first request.
struct RouteHandles {
    method: Method,
    route: String,
    duration: Histogram,
    statuses: [OnceLock<Counter>; CACHED_STATUSES.len()],
}

/// Records every request's route, status and latency. Added with `Router::layer`, so it runs
/// after routing, once per route: each route's instance caches that route's handles.
#[derive(Clone)]
pub struct ObserveLayer {
    metrics: Arc<Metrics>,
}

impl ObserveLayer {
    pub fn new(metrics: Arc<Metrics>) -> ObserveLayer {
        ObserveLayer { metrics }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            layer: self.clone(),
            handles: Arc::new(OnceLock::new()),
        }
    }
}

/// The service [`ObserveLayer`] wraps a route in.
#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
    handles: Arc<OnceLock<RouteHandles>>,
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let method = request.method().clone();
        // The pattern is read (and copied) only until this route's handles exist.
        let cached = self.handles.get().is_some_and(|h| h.method == method);
        let route = (!cached).then(|| {
            request
                .extensions()
                .get::<MatchedPath>()
                .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned())
        });
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let metrics = Arc::clone(&self.layer.metrics);
        let handles = Arc::clone(&self.handles);
        Box::pin(async move {
            let response = inner.call(request).await?;
            record(
                &metrics,
                &handles,
                &method,
                route,
                &response,
                started.elapsed(),
            );
            Ok(response)
        })
    }
}

fn record(
    metrics: &Metrics,
    cell: &OnceLock<RouteHandles>,
    method: &Method,
    route: Option<String>,
    response: &Response,
    elapsed: Duration,
) {
    metrics.served.fetch_add(1, Ordering::Relaxed);
    let status = response.status().as_u16();
    let handles = match &route {
        Some(route) => cell.get_or_init(|| RouteHandles {
            method: method.clone(),
            route: route.clone(),
            duration: metrics.duration(method_label(method), route),
            statuses: Default::default(),
        }),
        None => match cell.get() {
            Some(handles) => handles,
            None => return,
        },
    };
    // One instance serves one route and, but for the fallback and catch-alls, one method.
    if handles.method != *method {
        let (label, route) = (
            method_label(method),
            route.as_deref().unwrap_or(&handles.route),
        );
        metrics.requests(label, route, status).increment(1);
        metrics.duration(label, route).record(elapsed.as_secs_f64());
        return;
    }
    handles.duration.record(elapsed.as_secs_f64());
    let route = &handles.route;
    match CACHED_STATUSES.iter().position(|&s| s == status) {
        Some(slot) => handles.statuses[slot]
            .get_or_init(|| metrics.requests(method_label(method), route, status))
            .increment(1),
        None => metrics
            .requests(method_label(method), route, status)
            .increment(1),
    }
}
