//! The pool under load, and what one warm execution and one engine cost.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use tessera_actions::{Engine, Limits, Trigger};

use crate::{engine, event, post_login, script};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_runs_on_two_workers_all_complete() {
    let engine = engine();
    let code = script("c", "exports.onExecutePostLogin = async (event, api) => { await null; api.idToken.setCustomClaim('n', event.stats.logins_count); };");
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (engine, code) = (engine.clone(), code.clone());
            tokio::spawn(async move { post_login(&engine, vec![code]).await })
        })
        .collect();
    for handle in handles {
        let outcome = handle.await.unwrap().unwrap();
        assert_eq!(outcome.id_token_claims["n"], json!(1));
    }
}

#[tokio::test]
async fn a_runaway_on_one_worker_does_not_stop_the_other() {
    let engine = engine();
    let runaway = script(
        "runaway",
        "exports.onExecutePostLogin = async () => { for (;;) {} };",
    );
    let slow = {
        let engine = engine.clone();
        tokio::spawn(async move { post_login(&engine, vec![runaway]).await })
    };
    // On this current-thread runtime, yielding lets the spawned task queue the runaway first.
    tokio::task::yield_now().await;
    let ok = script(
        "ok",
        "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('ok', 1); };",
    );
    post_login(&engine, vec![ok]).await.unwrap();
    // Answered by the other worker while the runaway still holds the first (it ends only at
    // its CPU limit): no wall-clock bound needed.
    assert!(
        !slow.is_finished(),
        "the runaway ended before the other run"
    );
    assert!(slow.await.unwrap().is_err());
}

/// Not a timing assertion: prints what one warm execution and one engine cost, for the
/// crate's README (`cargo test --release -p tessera-actions --test actions costs -- --nocapture`).
#[tokio::test]
async fn costs_of_a_warm_execution_and_of_an_engine_are_reported() {
    let engine = Engine::new(1, Limits::default()).unwrap();
    let code = script("two", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://a.example.com/x', 1); api.accessToken.setCustomClaim('https://a.example.com/y', event.user.email); };");
    let scripts: Arc<[_]> = vec![code.clone()].into();
    let event = event();
    for _ in 0..100 {
        engine
            .run(Trigger::PostLogin, scripts.clone(), event.clone())
            .await
            .unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..2000 {
        let started = Instant::now();
        engine
            .run(Trigger::PostLogin, scripts.clone(), event.clone())
            .await
            .unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "warm execution of an Action setting two claims (through Engine::run): p50 {:?}, p90 {:?}, p99 {:?}",
        at(0.5),
        at(0.9),
        at(0.99)
    );
    let bytes = tessera_actions::engine_memory(&code, Trigger::PostLogin, &event).unwrap();
    println!(
        "one engine with the Action loaded and run: {} KiB",
        bytes / 1024
    );
    assert!(bytes > 0);
}
