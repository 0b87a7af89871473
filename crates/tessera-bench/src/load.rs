//! A small async load generator: fixed concurrency, one keep-alive HTTP/1.1 connection per
//! worker, latencies in an HDR histogram. Workers may chain requests (a refresh token's
//! successor) or run out of work (pre-minted codes).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub type Body = Full<Bytes>;

/// How an answer counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// One unit of work done (a token issued, a flow completed).
    Success,
    Failure,
    /// An intermediate request of a multi-request flow.
    Continue,
}

/// One virtual client's script.
pub trait Worker: Send + 'static {
    /// The next request, or `None` when this worker has nothing left to do.
    fn next(&mut self) -> Option<Request<Body>>;
    /// Sees each answer (to chain the next request) and says how it counts.
    fn done(&mut self, status: u16, headers: &hyper::HeaderMap, body: &[u8]) -> Step {
        let _ = (headers, body);
        if status == 200 {
            Step::Success
        } else {
            Step::Failure
        }
    }
}

/// What a run measured.
#[derive(Debug)]
pub struct Outcome {
    pub ok: u64,
    pub failed: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds.
    pub latency: Histogram<u64>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn p50_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.50) as f64 / 1000.0
    }

    pub fn p99_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.99) as f64 / 1000.0
    }
}

/// Latencies from 1 µs to 60 s, 3 significant digits.
fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())
}

async fn run_worker(
    addr: SocketAddr,
    mut worker: Box<dyn Worker>,
    deadline: Instant,
    pace: Option<Duration>,
) -> Result<Outcome, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let (mut ok, mut failed, mut latency) = (0, 0, histogram()?);
    let started = Instant::now();
    let mut slot = tokio::time::Instant::now();
    while Instant::now() < deadline {
        if let Some(interval) = pace {
            // Open-loop pacing: requests start on a schedule, not when the last one ended.
            slot += interval;
            tokio::time::sleep_until(slot).await;
        }
        let Some(request) = worker.next() else { break };
        let sent = Instant::now();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let _ = latency.record(
            u64::try_from(sent.elapsed().as_micros())
                .unwrap_or(u64::MAX)
                .max(1),
        );
        match worker.done(status, &headers, &body) {
            Step::Success => ok += 1,
            Step::Failure => failed += 1,
            Step::Continue => {}
        }
    }
    Ok(Outcome {
        ok,
        failed,
        elapsed: started.elapsed(),
        latency,
    })
}

/// Runs one worker per `workers` entry against `addr` for at most `duration`, as fast as the
/// server answers or, with `rate`, at that many requests per second in all.
pub async fn drive(
    addr: SocketAddr,
    workers: Vec<Box<dyn Worker>>,
    duration: Duration,
    rate: Option<f64>,
) -> Result<Outcome, String> {
    let started = Instant::now();
    let deadline = started + duration;
    let pace = rate.map(|r| Duration::from_secs_f64(workers.len() as f64 / r.max(1.0)));
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|w| tokio::spawn(run_worker(addr, w, deadline, pace)))
        .collect();
    let (mut ok, mut failed, mut latency) = (0, 0, histogram()?);
    for task in tasks {
        let outcome = task.await.map_err(|e| e.to_string())??;
        ok += outcome.ok;
        failed += outcome.failed;
        latency.add(&outcome.latency).map_err(|e| e.to_string())?;
    }
    Ok(Outcome {
        ok,
        failed,
        elapsed: started.elapsed(),
        latency,
    })
}

/// A form POST.
pub fn post_form(host: &str, path: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header("host", host)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form.to_owned())))
        .unwrap_or_default()
}

/// A GET with optional extra headers.
pub fn get(host: &str, path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::get(path).header("host", host);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::new(Bytes::new())).unwrap_or_default()
}

/// Repeats one request.
pub struct Repeat(pub Request<Body>);

impl Worker for Repeat {
    fn next(&mut self) -> Option<Request<Body>> {
        let mut request = Request::new(self.0.body().clone());
        *request.method_mut() = self.0.method().clone();
        *request.uri_mut() = self.0.uri().clone();
        *request.headers_mut() = self.0.headers().clone();
        Some(request)
    }
}
