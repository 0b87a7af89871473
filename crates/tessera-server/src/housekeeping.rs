//! A background task that purges expired codes, sessions and pending authorizations, expired
//! and long-revoked refresh tokens, failed-login counters too old to matter, the files of
//! exports a day after they completed, and audit log
//! events past their retention or beyond the log's cap. Safe on many nodes at once: the store
//! deletes in small batches that skip rows another node holds. Paced so that it neither stalls
//! requests nor falls behind: a busy node purges four rows per request it serves (twice what a
//! request inserts at most) and no faster, leaving its CPU to requests; an idle node purges with
//! a sixteenth of a core; the pace never exceeds a quarter of a core unless that is what keeping
//! up takes. No request waits behind more than one short statement.

use std::sync::Arc;
use std::time::Duration;

use tessera_admin::jobs::EXPORT_KEPT;
use tessera_core::audit::{Retention, TypeSet};
use tessera_core::brute_force::BruteForce;
use tessera_core::clock::Clock;
use tessera_protocol::Timestamp;
use tessera_store::{Expiring, Store, StoreResult};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::metrics::Metrics;

/// Rows deleted per statement: a few milliseconds of work.
const BATCH: u64 = 200;
/// After each full batch, housekeeping rests at least this many times as long as the batch
/// took (at most 1 / (1 + SHORTEST_REST) of a core), unless keeping up needs more.
const SHORTEST_REST: u32 = 3;
/// ... and at most this many times (at least 1 / (1 + LONGEST_REST) of a core): the pace of an
/// idle node, whose backlog is small once housekeeping has caught up.
const LONGEST_REST: u32 = 15;
/// The shortest rest: lets queued writes through even after a trivial batch.
const MIN_REST: Duration = Duration::from_millis(1);
/// Rows purged per request served, at least: a request inserts a row or two at most (a
/// refresh: its successor and its audit event), so a busy node's purge outruns its inserts
/// even where a batch is slow (PostgreSQL: docs/benchmarks.md, scenario H).
const ROWS_PER_REQUEST: f64 = 2.0;
/// Rows purged per request served that a busy node aims for: twice the least, so a backlog
/// shrinks by at least two rows per request while the purge leaves the CPU to requests
/// (its share of a core under load is what decides the token path's p99, scenario H).
const BUSY_ROWS_PER_REQUEST: f64 = 4.0;
/// The audit log's table, as the metrics name it.
const LOG_EVENTS: &str = "log_events";
/// Revoked refresh tokens are kept a week, for audit.
const KEEP_REVOKED: i64 = 7 * 24 * 3600;

/// What housekeeping works with.
pub struct Housekeeper {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub brute_force: BruteForce,
    pub retention: Retention,
    pub metrics: Arc<Metrics>,
}

impl Housekeeper {
    /// Purges every `interval` until aborted.
    pub fn spawn(self, interval: Duration) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval.max(Duration::from_secs(1)));
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                self.run_once().await;
            }
        })
    }

    /// One round: everything expired, then the log by age, then the log's cap. A failure is
    /// logged and the round's remaining work waits for the next one.
    pub async fn run_once(&self) {
        let now = self.clock.now();
        let purged = async {
            let mut total = self.purge_expired(now).await?;
            total += self.purge_logs_by_age(now).await?;
            total += self.hold_log_cap().await?;
            StoreResult::Ok(total)
        };
        match purged.await {
            Ok(0) => {}
            Ok(total) => tracing::debug!(purged = total, "expired records purged"),
            Err(error) => {
                tracing::warn!(%error, "housekeeping failed; retrying at the next interval")
            }
        }
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
        let revoked_before = now.plus(-KEEP_REVOKED);
        let mut total = 0;
        for what in Expiring::ALL {
            total += self
                .in_batches(what.table(), u64::MAX, |batch| {
                    self.store.purge_expired(what, now, revoked_before, batch)
                })
                .await?;
        }
        let stale_failures = self.brute_force.stale_before(now);
        let failures = self
            .in_batches("login_failures", u64::MAX, |batch| {
                self.store.purge_login_failures(stale_failures, batch)
            })
            .await?;
        let export_files = self
            .store
            .purge_export_files(now.plus(-EXPORT_KEPT))
            .await?;
        self.metrics.purged("job_files", export_files);
        Ok(total + failures + export_files)
    }

    async fn purge_logs_by_age(&self, now: Timestamp) -> StoreResult<u64> {
        let mut total = 0;
        for (types, keep) in self.retention.rules() {
            let before = now.plus(-keep);
            total += self
                .in_batches(LOG_EVENTS, u64::MAX, |batch| {
                    self.store.purge_log_events(before, types.as_store(), batch)
                })
                .await?;
        }
        Ok(total)
    }

    /// Beyond the cap, the oldest routine events go first, then (with a warning, since events
    /// then leave before their retention) the oldest of any type.
    async fn hold_log_cap(&self) -> StoreResult<u64> {
        let held = self.store.count_log_events().await?;
        let excess = held.saturating_sub(self.retention.max_events);
        if excess == 0 {
            return Ok(0);
        }
        let routine = TypeSet::routine();
        let mut purged = self
            .in_batches(LOG_EVENTS, excess, |batch| {
                self.store
                    .purge_oldest_log_events(routine.as_store(), batch)
            })
            .await?;
        if purged < excess {
            tracing::warn!(
                held,
                cap = self.retention.max_events,
                "the audit log holds more than log_max_events besides token exchanges: \
                 deleting its oldest events before their retention ends"
            );
            let every_type = TypeSet::AllBut(Vec::new());
            purged += self
                .in_batches(LOG_EVENTS, excess - purged, |batch| {
                    self.store
                        .purge_oldest_log_events(every_type.as_store(), batch)
                })
                .await?;
        }
        self.metrics.log_events_capped(purged);
        Ok(purged)
    }

    /// Runs `purge` (given a batch size) until `limit` rows went or a batch comes back short,
    /// resting after each full batch; counts the rows it deleted from `table` as they go.
    async fn in_batches<F, Fut>(
        &self,
        table: &'static str,
        limit: u64,
        purge: F,
    ) -> StoreResult<u64>
    where
        F: Fn(i64) -> Fut,
        Fut: std::future::Future<Output = StoreResult<u64>>,
    {
        let mut total = 0;
        let mut since = (tokio::time::Instant::now(), self.metrics.requests_served());
        while total < limit {
            let batch = BATCH.min(limit - total);
            let started = tokio::time::Instant::now();
            let purged = purge(batch as i64).await?;
            self.metrics.purged(table, purged);
            total += purged;
            if purged < batch {
                break;
            }
            let now = (tokio::time::Instant::now(), self.metrics.requests_served());
            let window = now.0.duration_since(since.0).as_secs_f64();
            let load = now.1.saturating_sub(since.1) as f64 / window.max(f64::MIN_POSITIVE);
            since = now;
            tokio::time::sleep(rest_after(now.0 - started, purged, load)).await;
        }
        Ok(total)
    }
}

/// How long to rest after a batch of `rows` that took `took`, with the node serving
/// `requests_per_second`: what purges [`BUSY_ROWS_PER_REQUEST`] rows per request, within
/// [`SHORTEST_REST`] and [`LONGEST_REST`] times the batch, and never so long that fewer than
/// [`ROWS_PER_REQUEST`] rows per request go.
fn rest_after(took: Duration, rows: u64, requests_per_second: f64) -> Duration {
    let pacing = |rows_per_request: f64| {
        let per_second = rows_per_request * requests_per_second.max(f64::MIN_POSITIVE);
        Duration::try_from_secs_f64(rows as f64 / per_second)
            .unwrap_or(Duration::MAX)
            .saturating_sub(took)
    };
    let busy = pacing(BUSY_ROWS_PER_REQUEST).clamp(took * SHORTEST_REST, took * LONGEST_REST);
    busy.min(pacing(ROWS_PER_REQUEST)).max(MIN_REST)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn an_idle_or_lightly_loaded_node_purges_with_a_sixteenth_of_a_core() {
        assert_eq!(rest_after(4 * MS, 200, 0.0), 60 * MS);
        assert_eq!(rest_after(4 * MS, 200, 100.0), 60 * MS);
        assert_eq!(rest_after(Duration::ZERO, 200, 0.0), MIN_REST);
    }

    #[test]
    fn a_busy_node_purges_four_rows_per_request_within_a_quarter_of_a_core() {
        // 1,000 requests a second: 4,000 rows a second, a batch of 200 every 50 ms.
        assert_eq!(rest_after(4 * MS, 200, 1_000.0), 46 * MS);
        // 4,000 requests a second: four rows each would take more than a quarter of a core.
        assert_eq!(rest_after(4 * MS, 200, 4_000.0), 12 * MS);
    }

    #[test]
    fn slow_batches_still_purge_two_rows_per_request() {
        // 4,000 requests a second: 8,000 rows a second, a batch of 200 every 25 ms.
        assert_eq!(rest_after(20 * MS, 200, 4_000.0), 5 * MS);
        // More than a batch's time can give: no rest but the shortest.
        assert_eq!(rest_after(20 * MS, 200, 10_000.0), MIN_REST);
    }
}
