//! Housekeeping on a real store, one round at a time on the test's clock: the audit log kept
//! by each type's retention and under its cap (token exchanges leave first), expired rows
//! gone, live ones kept, and every deleted row counted in the metrics.

use std::sync::Arc;

use tessera_core::audit::{EventType, Retention};
use tessera_core::brute_force::BruteForce;
use tessera_core::clock::ManualClock;
use tessera_protocol::Timestamp;
use tessera_server::housekeeping::Housekeeper;
use tessera_server::metrics::Metrics;
use tessera_store::{LogEvent, LogFilter, Page, SqliteStore, Store};

const NOW: Timestamp = Timestamp(1_900_000_000);
const DAY: i64 = 86_400;

fn event(n: usize, event_type: EventType, date: Timestamp) -> LogEvent {
    LogEvent {
        log_id: format!("{:08}", n),
        date,
        event_type: event_type.code().to_owned(),
        description: event_type.description().to_owned(),
        client_id: Some("c".into()),
        client_name: None,
        ip: None,
        user_agent: None,
        user_id: None,
        user_name: None,
        details: serde_json::json!({}),
    }
}

async fn housekeeper(retention: Retention) -> (Housekeeper, Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    let keeper = Housekeeper {
        store: Arc::clone(&store),
        clock: ManualClock::at(NOW).clock(),
        brute_force: BruteForce {
            max_attempts: 10,
            cooldown: 900,
            ip_max_failures: 100,
            ip_window: 3600,
        },
        retention,
        metrics: Arc::new(Metrics::new()),
    };
    (keeper, store, dir)
}

async fn types_left(store: &dyn Store) -> Vec<String> {
    let page = Page {
        page: 0,
        per_page: 100,
    };
    let listed = store
        .list_log_events(&LogFilter::default(), page)
        .await
        .unwrap();
    listed.items.into_iter().map(|e| e.event_type).collect()
}

fn purged_metric(keeper: &Housekeeper, what: &str) -> u64 {
    let text = keeper.metrics.render();
    let prefix = format!("tessera_housekeeping_purged_total{{what=\"{what}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn each_type_is_kept_for_its_own_retention_and_the_default_for_the_rest() {
    let retention = Retention {
        default: 30 * DAY,
        by_type: vec![
            (EventType::ClientCredentialsExchanged, DAY),
            (EventType::ApiOperation, 365 * DAY),
        ],
        max_events: 1_000_000,
    };
    let (keeper, store, _dir) = housekeeper(retention).await;
    let events = [
        (EventType::ClientCredentialsExchanged, NOW.plus(-2 * DAY)), // past its 1 day
        (EventType::ClientCredentialsExchanged, NOW.plus(-DAY / 2)), // kept
        (EventType::WrongPassword, NOW.plus(-31 * DAY)),             // past the default 30
        (EventType::WrongPassword, NOW.plus(-29 * DAY)),             // kept
        (EventType::ApiOperation, NOW.plus(-100 * DAY)),             // kept for a year
        (EventType::ApiOperation, NOW.plus(-400 * DAY)),             // past its year
    ];
    let events: Vec<_> = events
        .iter()
        .enumerate()
        .map(|(n, &(t, date))| event(n, t, date))
        .collect();
    store.insert_log_events(&events).await.unwrap();

    keeper.run_once().await;

    assert_eq!(types_left(store.as_ref()).await, ["sapi", "fp", "seccft"]);
    assert_eq!(purged_metric(&keeper, "log_events"), 3);
}

#[tokio::test]
async fn beyond_the_cap_token_exchanges_leave_first_then_the_oldest_of_any_type() {
    let retention = Retention {
        default: 30 * DAY,
        by_type: Vec::new(),
        max_events: 1_000,
    };
    let (keeper, store, _dir) = housekeeper(retention).await;
    // 1,200 events, each a second apart: failed logins first (the oldest), then exchanges.
    let events: Vec<_> = (0..1_200)
        .map(|n| {
            let event_type = if n < 100 {
                EventType::WrongPassword
            } else {
                EventType::ClientCredentialsExchanged
            };
            event(n, event_type, NOW.plus(n as i64 - 2_000))
        })
        .collect();
    store.insert_log_events(&events).await.unwrap();

    keeper.run_once().await;
    assert_eq!(store.count_log_events().await.unwrap(), 1_000);
    let failures = store
        .list_log_events(
            &LogFilter {
                event_type: Some("fp".into()),
                ..LogFilter::default()
            },
            Page {
                page: 0,
                per_page: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        failures.total, 100,
        "the 200 over the cap were token exchanges, though the failures are older"
    );

    // Security events alone over the cap: the oldest go, whatever their type.
    let failures: Vec<_> = (0..1_100)
        .map(|n| event(10_000 + n, EventType::WrongPassword, NOW.plus(-1_000)))
        .collect();
    store.insert_log_events(&failures).await.unwrap();
    keeper.run_once().await;
    assert_eq!(store.count_log_events().await.unwrap(), 1_000);
    assert!(
        types_left(store.as_ref()).await.iter().all(|t| t == "fp"),
        "every exchange went before any failure"
    );
    assert_eq!(purged_metric(&keeper, "log_events"), 200 + 1_100);
    assert!(keeper
        .metrics
        .render()
        .contains("tessera_audit_events_capped_total 1300"));
}
