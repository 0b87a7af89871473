//! H: purging keeps up with the inserts without stalling the token path. A backlog of expired
//! rows (log events past their retention; codes, sessions, pending authorizations and refresh
//! tokens past their expiry) must be purged faster than client credentials at full load insert
//! audit rows, and a paced half load during the purge must keep its p99 within 20 % of the same
//! load on a store without a backlog. Each measurement runs on a fresh store of its own, with
//! housekeeping every second and every token exchange logged (one audit row per token).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::flows::Dialect;
use crate::load::{drive_keeping, Outcome};
use crate::metrics::counter;
use crate::populate::{add_backlog, unix_now, Backlog};
use crate::report::{Goal, Measured, Row};
use crate::scenarios::Target;
use crate::server::{AuditLog, Server, Settings, TokenExchangeLogging, APIS};
use crate::store::Store;

/// The server's counter of rows deleted by housekeeping, one series per table (`what`).
const PURGED: &str = "tessera_housekeeping_purged_total";
/// How often `/metrics` is read while a backlog is purged.
const POLL: Duration = Duration::from_millis(100);
/// The full load runs in slices this long, so that it can stop soon after the purge ends.
const SLICE: Duration = Duration::from_secs(1);
/// How long a backlog may take to purge under full load before the rate is taken as it stands.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);
/// p99 during a purge may be this many times p99 without one.
const P99_WITHIN: f64 = 1.2;
/// Paced load, not counted, on a just-restarted server before its paced load is measured, with
/// and without a backlog alike. One second was not enough on SQLite (docs/benchmarks.md, H); the
/// purge goes on for over a minute after it.
const WARM_UP: Duration = Duration::from_secs(5);

/// What the scenario runs with.
pub struct Setup<'a> {
    pub binary: &'a Path,
    pub pin: Option<&'a str>,
    /// The run's store: the scenario's stores are made beside it.
    pub store: &'a Store,
    pub dir: &'a Path,
    pub duration: Duration,
    pub concurrency: usize,
    pub backlog: Backlog,
}

fn settings() -> Settings {
    Settings {
        housekeeping_interval: Some(Duration::from_secs(1)),
        audit_log: Some(AuditLog {
            token_exchanges: TokenExchangeLogging::Recorded,
            max_events: None,
        }),
        ..Settings::default()
    }
}

impl Setup<'_> {
    fn start(&self, store: &Store) -> Result<Server, String> {
        let pin = self.pin.map(str::to_owned);
        let (server, _) = Server::start(self.binary.to_owned(), &store.url(), pin, &settings())?;
        Ok(server)
    }

    fn target(&self, server: &Server) -> Target {
        Target {
            addr: server.addr,
            host: server.host.clone(),
            pid: server.pid(),
            dialect: Dialect::Tessera,
            duration: self.duration,
            concurrency: self.concurrency,
        }
    }
}

/// The scenario's rows: the paced baseline, the purge against the inserts, and the paced load
/// during a purge against the baseline.
pub async fn run(setup: &Setup<'_>) -> Result<Vec<Row>, String> {
    let clean = setup.store.fresh(setup.dir, "housekeeping_clean").await?;
    let measured = without_backlog(setup, &clean).await;
    clean.remove().await?;
    let (rate, baseline) = measured?;
    let backlogged = setup.store.fresh(setup.dir, "housekeeping_backlog").await?;
    let measured = with_backlog(setup, &backlogged, rate, baseline.outcome.p99_ms()).await;
    backlogged.remove().await?;
    let mut rows = vec![Row {
        scenario: "H RS256 at half of max, no backlog (paced, after a restart)".to_owned(),
        measured: baseline,
        floor: None,
        goal: Goal::None,
    }];
    rows.extend(measured?);
    Ok(rows)
}

/// Half the maximum client-credentials rate on a store with nothing to purge, and the paced
/// load at that rate there on the restarted server, measured as it is during a purge: so that
/// the two differ only in the backlog, not in how long the server has been running.
async fn without_backlog(setup: &Setup<'_>, store: &Store) -> Result<(f64, Measured), String> {
    let mut server = setup.start(store)?;
    let max = setup.target(&server).client_credentials(APIS[0].0).await?;
    max.outcome.all_answered("at full load without a backlog")?;
    let rate = max.outcome.per_second() / 2.0;
    server.restart()?;
    let paced = warmed_paced(&setup.target(&server), rate).await?;
    Ok((rate, paced))
}

/// The purge under full load, then (with a second backlog) the paced load at `rate` during a
/// purge, judged against `baseline_p99_ms`.
async fn with_backlog(
    setup: &Setup<'_>,
    store: &Store,
    rate: f64,
    baseline_p99_ms: f64,
) -> Result<Vec<Row>, String> {
    // The first start creates the schema the backlog is written into.
    let mut server = setup.start(store)?;
    let mut rows = Vec::new();
    for generation in [1, 2] {
        server.stop();
        let backlog = Backlog {
            generation,
            ..setup.backlog
        };
        eprintln!("adding a backlog: {}…", backlog.describe());
        add_backlog(&store.url(), backlog, unix_now()?).await?;
        let exec = Instant::now();
        server.restart()?;
        let target = setup.target(&server);
        let row = match generation {
            1 => purge_against_inserts(&target, exec, backlog).await?,
            _ => paced_during_purge(&target, rate, baseline_p99_ms, backlog).await?,
        };
        rows.push(row);
    }
    Ok(rows)
}

/// Client credentials at full load from the server's start until `backlog` is purged (for the
/// scenario's duration at least): audit rows inserted per second against rows purged.
async fn purge_against_inserts(
    target: &Target,
    exec: Instant,
    backlog: Backlog,
) -> Result<Row, String> {
    let rows = u64::try_from(backlog.rows()).map_err(|e| e.to_string())?;
    let watch = tokio::spawn(watch_purge(target.addr, target.host.clone(), exec, rows));
    let mut workers = target.client_credentials_workers(APIS[0].0);
    let mut outcome = Outcome::empty()?;
    let started = Instant::now();
    loop {
        let (slice, returned) = drive_keeping(target.addr, workers, SLICE, None).await?;
        workers = returned;
        outcome.add(slice)?;
        let elapsed = started.elapsed();
        if elapsed >= DRAIN_LIMIT || (elapsed >= target.duration && watch.is_finished()) {
            break;
        }
    }
    outcome.elapsed = started.elapsed();
    let purge = watch.await.map_err(|e| e.to_string())??;
    let within = match purge.complete {
        true => format!("all purged in {:.1} s", purge.took.as_secs_f64()),
        false => format!(
            "{} purged in {:.0} s, a lower bound",
            purge.rows,
            purge.took.as_secs_f64()
        ),
    };
    Ok(Row {
        scenario: format!(
            "H client_credentials RS256, each an audit row, over {rows} expired rows ({within})"
        ),
        measured: Measured { outcome, rss: None },
        floor: Some((1.0, purge.per_second(), "purged rows/s")),
        goal: Goal::RatioBelow(1.0),
    })
}

/// The paced load at `rate` on a server that has just started purging `backlog`.
async fn paced_during_purge(
    target: &Target,
    rate: f64,
    baseline_ms: f64,
    backlog: Backlog,
) -> Result<Row, String> {
    let measured = warmed_paced(target, rate).await?;
    let purged = counter(target.addr, &target.host, PURGED).await?;
    Ok(Row {
        scenario: format!(
            "H RS256 at half of max during a purge (paced; {purged} of {} expired rows counted \
             purged by its end)",
            backlog.rows()
        ),
        measured,
        floor: None,
        goal: Goal::P99Within {
            baseline_ms,
            times: P99_WITHIN,
        },
    })
}

/// The paced load at `rate` on a just-restarted server, after [`WARM_UP`] at the same rate.
async fn warmed_paced(target: &Target, rate: f64) -> Result<Measured, String> {
    let warming = Target {
        addr: target.addr,
        host: target.host.clone(),
        pid: target.pid,
        dialect: target.dialect,
        duration: WARM_UP,
        concurrency: target.concurrency,
    };
    let warm_up = warming.client_credentials_at(APIS[0].0, Some(rate)).await?;
    warm_up
        .outcome
        .all_answered("while warming up before a paced load")?;
    target.client_credentials_at(APIS[0].0, Some(rate)).await
}

/// How a backlog went: rows purged since the server started, and how long after its exec.
#[derive(Debug, Clone, Copy)]
struct Purge {
    rows: u64,
    took: Duration,
    /// Whether the whole backlog went (otherwise the limit ended the wait).
    complete: bool,
}

impl Purge {
    fn per_second(&self) -> f64 {
        self.rows as f64 / self.took.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// Reads the purge counter every [`POLL`] until `backlog` rows went or [`DRAIN_LIMIT`] passed
/// since `exec`. The time runs from the server's exec, before it could purge anything, so the
/// rate cannot flatter.
async fn watch_purge(
    addr: SocketAddr,
    host: String,
    exec: Instant,
    backlog: u64,
) -> Result<Purge, String> {
    loop {
        let rows = counter(addr, &host, PURGED).await?;
        let took = exec.elapsed();
        if rows >= backlog || took >= DRAIN_LIMIT {
            return Ok(Purge {
                rows,
                took,
                complete: rows >= backlog,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_purge_rate_counts_from_the_servers_exec() {
        let purge = Purge {
            rows: 30_000,
            took: Duration::from_millis(1500),
            complete: true,
        };
        assert_eq!(purge.per_second(), 20_000.0);
    }
}
