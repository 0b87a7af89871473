//! A background task that purges expired codes, sessions and pending authorizations, expired
//! and long-revoked refresh tokens, failed-login counters too old to matter, and audit log
//! events past their retention or beyond the log's cap. Safe on many nodes at once: the store
//! deletes in small batches that skip rows another node holds. Paced so that it never stalls
//! requests: after each batch it rests three times as long as the batch took, so a purge takes
//! at most a quarter of one core and no request waits behind more than one short statement.

use std::sync::Arc;
use std::time::Duration;

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
/// After each full batch, housekeeping rests this many times as long as the batch took: the
/// purge's share of a core is at most 1 / (1 + REST), measured to still outrun the inserts of
/// a node at full load (docs/benchmarks.md, scenario H).
const REST: u32 = 3;
/// The shortest rest: lets queued writes through even after a trivial batch.
const MIN_REST: Duration = Duration::from_millis(1);
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
        Ok(total + failures)
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
        while total < limit {
            let batch = BATCH.min(limit - total);
            let started = tokio::time::Instant::now();
            let purged = purge(batch as i64).await?;
            self.metrics.purged(table, purged);
            total += purged;
            if purged < batch {
                break;
            }
            tokio::time::sleep((started.elapsed() * REST).max(MIN_REST)).await;
        }
        Ok(total)
    }
}
