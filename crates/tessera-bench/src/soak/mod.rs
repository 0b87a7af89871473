//! The soak (`--soak DURATION`): one server, the mixed load of `mix.rs` paced at half its
//! measured maximum for the whole duration, a row per interval (latency, memory, open files,
//! the database's size), and a verdict at the end on whether anything grows that should not.
//! The server's lifetimes are scaled to the duration, and the audit log's cap to what the
//! calibrated load logs, so that everything the store holds expires, or is capped, within the
//! first third.

mod judging;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::browser::sign_in;
use crate::flows::Dialect;
use crate::load::{drive_keeping, Worker};
use crate::metrics::counter;
use crate::mix::{MixedClient, MIX_SCOPE};
use crate::report;
use crate::server::{open_fds, rss_mb, AuditLog, Server, Settings, TokenExchangeLogging, APIS};
use crate::store::Store;

use judging::{judge, Sample};

/// Closed-loop load before calibrating: every client's first operation is a login, and their
/// password checks would otherwise count against the maximum.
const WARM_UP: Duration = Duration::from_secs(2);
/// How long the mix's maximum throughput is measured.
const CALIBRATION: Duration = Duration::from_secs(5);
/// Events the audit log holds at most (`log_max_events`), unless a short soak logs fewer in a
/// sixth of its duration.
const LOG_CAP: u64 = 50_000;
/// The smallest cap the server accepts.
const LOG_CAP_FLOOR: u64 = 1_000;
/// Counts every audit event, stored or not (with every token exchange recorded, all are).
const AUDIT_EVENTS: &str = "tessera_audit_events_total";

/// What a soak runs on.
pub struct Plan {
    pub duration: Duration,
    pub interval: Duration,
    pub concurrency: usize,
    pub binary: PathBuf,
    pub pin: Option<String>,
    pub store: Store,
}

/// The server's settings for a soak of `duration`: sessions, login pages and idle refresh
/// tokens live a sixth of it (at least 20 s), codes a minute, and every token exchange is
/// logged into a log capped at `log_cap` events, so that the store reaches its steady size
/// within the first third; housekeeping runs every 1 to 5 s.
pub fn settings(duration: Duration, log_cap: u64) -> Settings {
    Settings {
        code_lifetime: 60,
        housekeeping_interval: Some(Duration::from_secs((duration.as_secs() / 600).clamp(1, 5))),
        expiry: Some((duration / 6).max(Duration::from_secs(20))),
        audit_log: Some(AuditLog {
            token_exchanges: TokenExchangeLogging::Recorded,
            max_events: Some(log_cap),
        }),
    }
}

/// The log's cap for a soak of `duration` logging `events_per_second`: [`LOG_CAP`], or what a
/// sixth of the soak logs where that is less — a cap reached only late would leave the log,
/// and the database, growing into the judged thirds.
pub fn log_cap(duration: Duration, events_per_second: f64) -> u64 {
    let sixth = events_per_second * duration.as_secs_f64() / 6.0;
    (sixth as u64).clamp(LOG_CAP_FLOOR, LOG_CAP)
}

const HEADER: &str =
    "| elapsed | requests | errors | p50 ms | p99 ms | p99.9 ms | token path p99 ms \
                      | password check p50 ms | RSS MiB | open fds | DB MiB |";
const SEPARATOR: &str = "|---|---|---|---|---|---|---|---|---|---|---|";

impl Sample {
    fn markdown(&self) -> String {
        format!(
            "| {} s | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {:.1} |",
            self.at.as_secs(),
            self.requests,
            self.errors,
            self.p50_ms,
            self.p99_ms,
            self.p999_ms,
            self.token_path_p99_ms,
            self.password_check_p50_ms,
            self.rss_mib,
            self.open_fds,
            self.database_bytes as f64 / 1024.0 / 1024.0
        )
    }
}

/// Runs the soak of `plan` and judges it: `Err` with the reasons if it failed.
pub async fn run(plan: Plan) -> Result<(), String> {
    eprintln!(
        "soak: {} s, a row every {} s",
        plan.duration.as_secs(),
        plan.interval.as_secs()
    );
    let url = plan.store.url();
    // A deployment's PostgreSQL runs autovacuum (it is on by default); where this one's is
    // off, the soak stands in for it, or deleted rows would grow the database however well
    // the server deletes.
    let vacuum = plan.store.autovacuum_off().await?;
    if vacuum {
        eprintln!(
            "soak: PostgreSQL's autovacuum is off on this server: the soak runs VACUUM at each \
             row, as autovacuum would"
        );
    }
    let calibrating = settings(plan.duration, LOG_CAP);
    let (mut server, _) = Server::start(plan.binary.clone(), &url, plan.pin.clone(), &calibrating)?;
    let consent = sign_in(
        server.addr,
        &server.host,
        Dialect::Tessera,
        APIS[0].0,
        MIX_SCOPE,
    );
    consent.await?;
    let clients: Vec<Box<dyn Worker>> = (0..plan.concurrency)
        .map(|_| Box::new(MixedClient::new(&server.host)) as Box<dyn Worker>)
        .collect();
    let (warm_up, clients) = drive_keeping(server.addr, clients, WARM_UP, None).await?;
    warm_up.all_answered("while warming up")?;
    let (max, clients) = drive_keeping(server.addr, clients, CALIBRATION, None).await?;
    max.all_answered("while calibrating")?;
    let rate = max.requests() as f64 / max.elapsed.as_secs_f64() / 2.0;
    let events = counter(server.addr, &server.host, AUDIT_EVENTS).await?;
    let events_per_request = events as f64 / (warm_up.requests() + max.requests()).max(1) as f64;
    let settings = settings(
        plan.duration,
        log_cap(plan.duration, rate * events_per_request),
    );
    eprintln!(
        "soak: the mix's maximum is {:.0} requests/s ({} connections, closed loop), {:.2} audit \
         events a request; paced at {rate:.0}/s with {settings:?}",
        rate * 2.0,
        plan.concurrency,
        events_per_request
    );
    server.reconfigure(&settings)?;
    let samples = paced(&plan, &server, clients, rate, vacuum).await?;
    let verdicts = judge(&samples, plan.duration)?;
    let mut failed = Vec::new();
    for (check, verdict) in &verdicts {
        let met = if verdict.met { "met" } else { "NOT met" };
        println!("soak: {}: {met} ({})", check.describe(), verdict.detail);
        if !verdict.met {
            failed.push(format!("{}: {}", check.describe(), verdict.detail));
        }
    }
    report::conclude("soak", verdicts.len(), &failed)
}

/// The paced load, one interval at a time with the same clients, and a sample of each (after a
/// `vacuum` of the store where autovacuum is off). Stops at the first failed request.
async fn paced(
    plan: &Plan,
    server: &Server,
    mut clients: Vec<Box<dyn Worker>>,
    rate: f64,
    vacuum: bool,
) -> Result<Vec<Sample>, String> {
    println!("{HEADER}");
    println!("{SEPARATOR}");
    let started = Instant::now();
    let mut samples = Vec::new();
    for n in 1.. {
        let at = (plan.interval * n).min(plan.duration);
        let left = (started + at).saturating_duration_since(Instant::now());
        let (outcome, returned) = drive_keeping(server.addr, clients, left, Some(rate)).await?;
        clients = returned;
        if vacuum {
            plan.store.vacuum().await?;
        }
        let sample = Sample {
            at,
            requests: outcome.requests(),
            errors: outcome.failed,
            p50_ms: outcome.p50_ms(),
            p99_ms: outcome.p99_ms(),
            p999_ms: outcome.p999_ms(),
            token_path_p99_ms: outcome.token_path_p99_ms(),
            password_check_p50_ms: outcome.password_check_p50_ms(),
            rss_mib: rss_mb(server.pid()),
            open_fds: open_fds(server.pid()).ok_or("cannot count the server's open files")?,
            database_bytes: plan.store.size_bytes().await?,
        };
        println!("{}", sample.markdown());
        outcome.all_answered(&format!("in the interval ending at {} s", at.as_secs()))?;
        samples.push(sample);
        if at >= plan.duration {
            break;
        }
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn lifetimes_scale_with_the_soak_so_the_first_third_reaches_steady_state() {
        let hour = settings(Duration::from_secs(3600), LOG_CAP);
        assert_eq!(hour.expiry, Some(Duration::from_secs(600)));
        assert_eq!(hour.housekeeping_interval, Some(Duration::from_secs(5)));
        let short = settings(Duration::from_secs(120), LOG_CAP);
        assert_eq!(short.expiry, Some(Duration::from_secs(20)));
        assert_eq!(short.housekeeping_interval, Some(Duration::from_secs(1)));
        assert_eq!(short.code_lifetime, 60);
        let ci = settings(Duration::from_secs(180), LOG_CAP);
        assert_eq!(ci.expiry, Some(Duration::from_secs(30)));
    }

    #[test]
    fn the_log_cap_is_reached_within_a_sixth_of_the_soak() {
        let hour = Duration::from_secs(3600);
        assert_eq!(log_cap(hour, 500.0), LOG_CAP);
        assert_eq!(log_cap(Duration::from_secs(180), 500.0), 15_000);
        assert_eq!(log_cap(Duration::from_secs(60), 10.0), LOG_CAP_FLOOR);
    }
}
