//! The audit log of security events, with Auth0's event type codes. Recording never waits on
//! the database: events go into a bounded queue (dropped and counted when it is full) that a
//! background task writes in batches. Nothing secret goes into an event. Every event is
//! counted by type; routine ones (token exchanges) are stored as the [`Recording`] says.

mod event;
mod policy;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use metrics::Counter;
use tessera_protocol::Timestamp;
use tessera_store::{LogEvent, Store};
use tokio::sync::{mpsc, oneshot};

pub use event::{Event, EventType, RequestContext};
pub use policy::{Recording, Retention, TypeSet};

use serde_json::json;

/// A signing key was rotated or revoked (Management API, Dashboard or `tessera keys`).
pub fn key_changed(description: &str, kid: &str, alg: &str) -> Event {
    Event::new(EventType::ApiOperation)
        .description(description)
        .details(json!({ "kid": kid, "alg": alg }))
}

/// Events queued at most; beyond, new ones are dropped (and counted).
const QUEUE: usize = 16_384;
/// Events written per statement batch at most.
const BATCH: usize = 256;
/// How long the writer gathers events before writing a partial batch.
const GATHER: Duration = Duration::from_millis(200);

/// Unique log ids that sort as the events were recorded: the second, this process' random
/// prefix, then a counter.
#[derive(Debug)]
pub struct LogIds {
    node: String,
    next: AtomicU64,
}

impl LogIds {
    pub fn new() -> Result<LogIds, crate::crypto::CryptoError> {
        Ok(LogIds {
            node: crate::crypto::random_hex(4)?,
            next: AtomicU64::new(0),
        })
    }

    pub fn next(&self, now: Timestamp) -> String {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{:011x}{}{seq:012x}", now.0.max(0), self.node)
    }
}

// Events are nearly every item: boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
enum Queued {
    Event(LogEvent),
    /// Write everything queued before, then answer.
    Flush(oneshot::Sender<()>),
}

/// The counters the audit log keeps: events by type (every one, stored or not), and events
/// dropped unstored.
#[derive(Clone)]
pub struct AuditCounters {
    pub by_type: [Counter; EventType::ALL.len()],
    pub dropped: Counter,
}

impl AuditCounters {
    /// Counters that count nothing (the CLI's local mode, tests).
    pub fn noop() -> AuditCounters {
        AuditCounters {
            by_type: EventType::ALL.map(|_| Counter::noop()),
            dropped: Counter::noop(),
        }
    }
}

/// The handle flows record events with; cheap to clone.
#[derive(Clone)]
pub struct Audit {
    queue: mpsc::Sender<Queued>,
    ids: Arc<LogIds>,
    counters: AuditCounters,
    routine: Recording,
    routine_seen: Arc<AtomicU64>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Audit")
    }
}

impl Audit {
    /// Starts the background writer into `store`; it ends when every handle is dropped.
    /// Routine events are stored as `routine` says.
    pub fn start(
        store: Arc<dyn Store>,
        counters: AuditCounters,
        routine: Recording,
    ) -> Result<Audit, crate::crypto::CryptoError> {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write(store, receiver, counters.dropped.clone()));
        Ok(Audit {
            queue,
            ids: Arc::new(LogIds::new()?),
            counters,
            routine,
            routine_seen: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Counts `event` and queues it, dated `now`, unless it is a routine one the policy leaves
    /// unstored; never waits.
    pub fn record(&self, mut event: Event, now: Timestamp) {
        self.counters.by_type[event.event_type as usize].increment(1);
        if event.event_type.is_routine() && !self.keeps_routine(&mut event) {
            return;
        }
        let record = event.into_log_event(self.ids.next(now), now);
        if self.queue.try_send(Queued::Event(record)).is_err() {
            self.counters.dropped.increment(1);
        }
    }

    /// Whether a routine event is stored, marking a sampled one with its rate. Only sampling
    /// counts them: the shared counter stays off the token path otherwise.
    fn keeps_routine(&self, event: &mut Event) -> bool {
        let Recording::Sampled(every) = self.routine else {
            return self.routine == Recording::Recorded;
        };
        let nth = self.routine_seen.fetch_add(1, Ordering::Relaxed);
        if !self.routine.keeps(nth) {
            return false;
        }
        if let Some(details) = event.details.as_object_mut() {
            details.insert("sampled_one_in".to_owned(), every.get().into());
        }
        true
    }

    /// Waits (at most `limit`) until every event queued so far is written.
    pub async fn flush(&self, limit: Duration) {
        let (done, written) = oneshot::channel();
        let flushed = async {
            if self.queue.send(Queued::Flush(done)).await.is_ok() {
                let _ = written.await;
            }
        };
        if tokio::time::timeout(limit, flushed).await.is_err() {
            tracing::warn!("audit log events not written within {limit:?}");
        }
    }
}

/// The writer: gathers up to [`BATCH`] events or for [`GATHER`], then writes them at once.
async fn write(store: Arc<dyn Store>, mut queue: mpsc::Receiver<Queued>, dropped: Counter) {
    let mut received = Vec::with_capacity(BATCH);
    let mut events = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut received, BATCH).await > 0 {
        let deadline = tokio::time::Instant::now() + GATHER;
        let mut flushes = Vec::new();
        loop {
            for item in received.drain(..) {
                match item {
                    Queued::Event(event) => events.push(event),
                    Queued::Flush(done) => flushes.push(done),
                }
            }
            if !flushes.is_empty() || events.len() >= BATCH {
                break;
            }
            let more = tokio::time::timeout_at(
                deadline,
                queue.recv_many(&mut received, BATCH - events.len()),
            );
            match more.await {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
        if !events.is_empty() {
            if let Err(error) = store.insert_log_events(&events).await {
                tracing::warn!(%error, dropped = events.len(), "audit log events not stored");
                dropped.increment(events.len() as u64);
            }
            events.clear();
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}
