//! A background task that purges expired codes, sessions and pending authorizations,
//! long-revoked refresh tokens, failed-login counters too old to matter, and audit log events
//! past their retention. Safe on many nodes at once: the store deletes in small batches
//! that skip rows another node holds.

use std::sync::Arc;
use std::time::Duration;

use tessera_store::Store;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use tessera_core::brute_force::BruteForce;
use tessera_core::clock::Clock;

/// Rows deleted per statement: small enough to never hold locks for long.
const BATCH: i64 = 500;
/// Revoked refresh tokens are kept a week, for reuse detection and audit.
const KEEP_REVOKED: i64 = 7 * 24 * 3600;

/// Purges every `interval` until aborted.
pub fn spawn(
    store: Arc<dyn Store>,
    clock: Clock,
    interval: Duration,
    brute_force: BruteForce,
    log_retention: Duration,
) -> JoinHandle<()> {
    let keep_logs = i64::try_from(log_retention.as_secs()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval.max(Duration::from_secs(1)));
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = clock.now();
            let mut total = 0;
            let stale_failures = brute_force.stale_before(now);
            loop {
                let purged = match store
                    .purge_expired(now, now.plus(-KEEP_REVOKED), BATCH)
                    .await
                {
                    Ok(expired) => store
                        .purge_login_failures(stale_failures, BATCH)
                        .await
                        .map(|failures| expired + failures),
                    Err(error) => Err(error),
                };
                match purged {
                    Ok(purged) => {
                        total += purged;
                        if purged < BATCH as u64 {
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "housekeeping failed; retrying at the next interval");
                        break;
                    }
                }
            }
            total += purge_logs(store.as_ref(), now.plus(-keep_logs)).await;
            if total > 0 {
                tracing::debug!(purged = total, "expired records purged");
            }
        }
    })
}

/// Deletes the log events dated before `before`, batch by batch.
async fn purge_logs(store: &dyn Store, before: tessera_protocol::Timestamp) -> u64 {
    let mut total = 0;
    loop {
        match store.purge_log_events(before, BATCH).await {
            Ok(purged) => {
                total += purged;
                if purged < BATCH as u64 {
                    return total;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "purging old log events failed; retrying at the next interval");
                return total;
            }
        }
    }
}
