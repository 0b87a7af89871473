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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// One unit of work done (a token issued, a flow completed), checked.
    Success,
    /// A wrong answer: why.
    Failure(String),
    /// An intermediate request of a multi-request flow.
    Continue,
}

impl Step {
    /// Success if `check` passes on a 200, else the failure and why.
    pub fn checked(status: u16, body: &[u8], check: fn(&[u8]) -> Result<(), String>) -> Step {
        if status != 200 {
            return Step::Failure(format!("HTTP {status}: {}", snippet(body)));
        }
        match check(body) {
            Ok(()) => Step::Success,
            Err(why) => Step::Failure(why),
        }
    }
}

/// The start of a body, for a failure's message.
pub fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

/// One virtual client's script.
pub trait Worker: Send + 'static {
    /// The next request, or `None` when this worker has nothing left to do.
    fn next(&mut self) -> Option<Request<Body>>;
    /// Sees each answer (to chain the next request) and says how it counts, checking what it
    /// holds: a 200 with the wrong body is a failure.
    fn done(&mut self, status: u16, headers: &hyper::HeaderMap, body: &[u8]) -> Step;
    /// Whether the request `next` last gave checks a password: its latency is the password
    /// hash's, tens of milliseconds, and is also kept apart so that the token path's tail is
    /// not the hash's (a mix with 1 % logins has its p99 among them otherwise).
    fn checks_a_password(&self) -> bool {
        false
    }
}

/// What a run measured.
#[derive(Debug)]
pub struct Outcome {
    pub ok: u64,
    pub failed: u64,
    /// Why the first failed request failed.
    pub first_failure: Option<String>,
    pub elapsed: Duration,
    /// Latencies in microseconds.
    pub latency: Histogram<u64>,
    /// The latencies of the requests that checked a password, also counted in `latency`.
    pub password_checks: Histogram<u64>,
    /// The latencies of every other request.
    pub token_path: Histogram<u64>,
}

impl Outcome {
    /// Nothing counted yet.
    pub fn empty() -> Result<Outcome, String> {
        Ok(Outcome {
            ok: 0,
            failed: 0,
            first_failure: None,
            elapsed: Duration::ZERO,
            latency: histogram()?,
            password_checks: histogram()?,
            token_path: histogram()?,
        })
    }

    /// Counts what `other` counted and measured here too; the elapsed time is the caller's to
    /// set (runs side by side share it, runs one after another add up).
    pub fn add(&mut self, other: Outcome) -> Result<(), String> {
        self.ok += other.ok;
        self.failed += other.failed;
        self.first_failure = self.first_failure.take().or(other.first_failure);
        for (mine, theirs) in [
            (&mut self.latency, &other.latency),
            (&mut self.password_checks, &other.password_checks),
            (&mut self.token_path, &other.token_path),
        ] {
            mine.add(theirs).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// `Err` with the first failure's reason if any request failed `during` what is named.
    pub fn all_answered(&self, during: &str) -> Result<(), String> {
        match self.failed {
            0 => Ok(()),
            failed => Err(format!(
                "{failed} of {} requests failed {during}, the first with: {}",
                self.requests(),
                self.first_failure.as_deref().unwrap_or("no reason given")
            )),
        }
    }

    /// Requests answered, those within a flow included.
    pub fn requests(&self) -> u64 {
        self.latency.len()
    }

    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn p50_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.50) as f64 / 1000.0
    }

    pub fn p99_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.99) as f64 / 1000.0
    }

    pub fn p999_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.999) as f64 / 1000.0
    }

    /// The p99 of the requests that checked no password.
    pub fn token_path_p99_ms(&self) -> f64 {
        self.token_path.value_at_quantile(0.99) as f64 / 1000.0
    }

    /// The median of the requests that checked a password (0 when there were none).
    pub fn password_check_p50_ms(&self) -> f64 {
        self.password_checks.value_at_quantile(0.50) as f64 / 1000.0
    }
}

/// Latencies from 1 µs to 60 s, 3 significant digits.
fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())
}

/// An open-loop schedule: this worker's requests are due every `interval`, from `first`.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    first: tokio::time::Instant,
    interval: Duration,
}

/// Runs `worker` on its own connection until `deadline`; returns what it measured and the
/// worker, whose state (a refresh token chain, a flow half-way) a later run may continue.
async fn run_worker(
    addr: SocketAddr,
    mut worker: Box<dyn Worker>,
    deadline: Instant,
    schedule: Option<Schedule>,
) -> Result<(Outcome, Box<dyn Worker>), String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let (mut ok, mut failed, mut latency) = (0, 0, histogram()?);
    let (mut password_checks, mut token_path) = (histogram()?, histogram()?);
    let mut first_failure = None;
    let started = Instant::now();
    let mut due = schedule.map(|s| s.first);
    while Instant::now() < deadline {
        // Open-loop pacing: a request is due on its schedule, not when the last one ended, and
        // its latency counts from when it was due — a server that falls behind is charged for
        // the wait too (no coordinated omission).
        let sent = match (due, schedule) {
            (Some(at), Some(schedule)) => {
                tokio::time::sleep_until(at).await;
                due = Some(at + schedule.interval);
                at.into_std()
            }
            _ => Instant::now(),
        };
        let Some(request) = worker.next() else { break };
        let checks_a_password = worker.checks_a_password();
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
        let micros = u64::try_from(sent.elapsed().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let _ = latency.record(micros);
        let _ = match checks_a_password {
            true => password_checks.record(micros),
            false => token_path.record(micros),
        };
        // A worker's own password check (a login) keeps its connection busy for tens of
        // milliseconds; the slots that passed meanwhile are skipped rather than sent late, as
        // the requests of other users would not have waited for this one's login. Every other
        // worker keeps its schedule, so a server that stalls is still charged.
        if let (true, Some(schedule), Some(next)) = (checks_a_password, schedule, due.as_mut()) {
            let now = tokio::time::Instant::now();
            while *next < now {
                *next += schedule.interval;
            }
        }
        match worker.done(status, &headers, &body) {
            Step::Success => ok += 1,
            Step::Failure(why) => {
                failed += 1;
                first_failure.get_or_insert(why);
            }
            Step::Continue => {}
        }
    }
    let outcome = Outcome {
        ok,
        failed,
        first_failure,
        elapsed: started.elapsed(),
        latency,
        password_checks,
        token_path,
    };
    Ok((outcome, worker))
}

/// Runs one worker per `workers` entry against `addr` for at most `duration`, as fast as the
/// server answers or, with `rate`, at that many requests per second in all.
pub async fn drive(
    addr: SocketAddr,
    workers: Vec<Box<dyn Worker>>,
    duration: Duration,
    rate: Option<f64>,
) -> Result<Outcome, String> {
    let (outcome, _) = drive_keeping(addr, workers, duration, rate).await?;
    Ok(outcome)
}

/// [`drive`], and hands the workers back so that the next run continues where this one
/// stopped (a soak measures one interval at a time with the same virtual clients).
pub async fn drive_keeping(
    addr: SocketAddr,
    workers: Vec<Box<dyn Worker>>,
    duration: Duration,
    rate: Option<f64>,
) -> Result<(Outcome, Vec<Box<dyn Worker>>), String> {
    let started = Instant::now();
    let deadline = started + duration;
    let count = workers.len().max(1);
    let interval = rate.map(|r| Duration::from_secs_f64(count as f64 / r.max(1.0)));
    let origin = tokio::time::Instant::now();
    let tasks: Vec<_> = workers
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            // Staggered: worker i's first request is due i/count of an interval in, so the
            // requests of all workers are spread evenly rather than sent in bursts.
            let schedule = interval.map(|interval| Schedule {
                first: origin + interval.mul_f64(i as f64 / count as f64),
                interval,
            });
            tokio::spawn(run_worker(addr, w, deadline, schedule))
        })
        .collect();
    let mut outcome = Outcome::empty()?;
    let mut returned = Vec::with_capacity(count);
    for task in tasks {
        let (worker_outcome, worker) = task.await.map_err(|e| e.to_string())??;
        outcome.add(worker_outcome)?;
        returned.push(worker);
    }
    outcome.elapsed = started.elapsed();
    Ok((outcome, returned))
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

/// Repeats one request; each answer must pass `check`.
pub struct Repeat {
    pub request: Request<Body>,
    pub check: fn(&[u8]) -> Result<(), String>,
}

/// A copy of `request` to send again (its body is shared, not copied).
pub fn copy(template: &Request<Body>) -> Request<Body> {
    let mut request = Request::new(template.body().clone());
    *request.method_mut() = template.method().clone();
    *request.uri_mut() = template.uri().clone();
    *request.headers_mut() = template.headers().clone();
    request
}

impl Worker for Repeat {
    fn next(&mut self) -> Option<Request<Body>> {
        Some(copy(&self.request))
    }

    fn done(&mut self, status: u16, _headers: &hyper::HeaderMap, body: &[u8]) -> Step {
        Step::checked(status, body, self.check)
    }
}
