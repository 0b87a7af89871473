//! Hostile Actions: each one fails the right way, quickly, and the same engine (one worker,
//! so the very same thread) keeps running well-behaved Actions afterwards.

use std::time::{Duration, Instant};

use serde_json::json;
use tessera_actions::{Engine, Failure};

use crate::{engine_with, post_login, script, CPU_LIMIT};

/// After a hostile Action, the same engine still runs a well-behaved one.
async fn still_works(engine: &Engine) {
    let ok = script("ok", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('ok', true); };");
    for _ in 0..2 {
        let outcome = post_login(engine, vec![ok.clone()]).await.unwrap();
        assert_eq!(outcome.id_token_claims["ok"], json!(true));
        assert!(outcome.logs.is_empty(), "{:?}", outcome.logs);
    }
}

#[tokio::test]
async fn infinite_loops_are_stopped_just_after_the_cpu_limit() {
    let engine = engine_with(1);
    let mut worst = Duration::ZERO;
    for code in [
        "exports.onExecutePostLogin = async (event, api) => { while (true) {} };",
        "exports.onExecutePostLogin = async (event, api) => { await null; for (;;) {} };",
        "exports.onExecutePostLogin = (event, api) => { for (;;) {} };",
        "for (;;) {}",
        "exports.onExecutePostLogin = async () => { const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {}); };",
        "exports.onExecutePostLogin = async () => { Promise.resolve().then(() => { for (;;) {} }); throw new Error('left a loop behind'); };",
    ] {
        let started = Instant::now();
        let failure = post_login(&engine, vec![script("loop", code)]).await.unwrap_err();
        let took = started.elapsed();
        // The self-refilling promise chain may exhaust the heap before the clock (in a release
        // build); the allocation failure inside a job leaves the promise pending.
        let spin = code.contains("spin")
            && matches!(&failure, Failure::Threw { message, .. } if message.contains("never settled"));
        assert!(spin || failure == Failure::TimedOut { action: "loop".into() }, "{code}: {failure:?}");
        worst = worst.max(took);
        println!("stopped after {took:?}: {code}");
        // QuickJS polls the deadline every 10,000 operations; the slack is for a busy machine.
        assert!(took < CPU_LIMIT + Duration::from_millis(150), "{code}: {took:?}");
        still_works(&engine).await;
    }
    println!("timeout precision: limit {CPU_LIMIT:?}, slowest stop {worst:?}");
}

#[tokio::test]
async fn huge_allocations_are_stopped_at_the_memory_cap() {
    let engine = engine_with(1);
    for code in [
        "exports.onExecutePostLogin = async () => { 'x'.repeat(1e9); };",
        "exports.onExecutePostLogin = async () => { const a = []; for (;;) a.push(new Array(1e5).fill(1)); };",
        "exports.onExecutePostLogin = async () => { const a = []; for (let i = 0; ; i++) a.push('x'.repeat(1e6) + i); };",
        "exports.onExecutePostLogin = async () => { const m = new Map(); for (let i = 0; ; i++) m.set(i, { i }); };",
    ] {
        let started = Instant::now();
        let failure = post_login(&engine, vec![script("alloc", code)]).await.unwrap_err();
        assert!(
            matches!(failure, Failure::OutOfMemory { .. } | Failure::TimedOut { .. }),
            "{code}: {failure:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{code}");
        still_works(&engine).await;
    }
}

#[tokio::test]
async fn a_one_gigabyte_string_is_out_of_memory() {
    let engine = engine_with(1);
    let code = "exports.onExecutePostLogin = async () => { 'x'.repeat(1e9); };";
    let failure = post_login(&engine, vec![script("big", code)])
        .await
        .unwrap_err();
    assert_eq!(
        failure,
        Failure::OutOfMemory {
            action: "big".into()
        }
    );
    still_works(&engine).await;
}

#[tokio::test]
async fn throwing_rejecting_bad_syntax_missing_export_require_and_recursion_fail_cleanly() {
    let engine = engine_with(1);
    for (code, expected) in [
        ("exports.onExecutePostLogin = async () => { throw new Error('boom'); };", "boom"),
        ("exports.onExecutePostLogin = () => Promise.reject(new Error('rejected'));", "rejected"),
        ("exports.onExecutePostLogin = async () => { throw 'a string'; };", "a string"),
        ("exports.onExecutePostLogin = async (e) => { e.nothing.here(); };", "TypeError"),
        ("exports.onExecutePostLogin = async ( => {", "SyntaxError"),
        ("exports.somethingElse = async () => {};", "does not export onExecutePostLogin"),
        ("throw new Error('at load');", "at load"),
        ("const fs = require('fs'); exports.onExecutePostLogin = async () => {};", "require('fs') is not available in Tessera Actions"),
        ("exports.onExecutePostLogin = async () => { require('axios'); };", "require('axios') is not available"),
        ("exports.onExecutePostLogin = async () => { const f = (n) => f(n + 1) + 1; f(0); };", "Maximum call stack size exceeded"),
        ("exports.onExecutePostLogin = async () => { const f = async (n) => (await f(n + 1)) + 1; await f(0); };", "Maximum call stack size exceeded"),
        ("exports.onExecutePostLogin = () => new Promise(() => {});", "never settled"),
        ("exports.onExecutePostLogin = async () => { await fetch('https://example.com'); };", "fetch is not defined"),
        ("exports.onExecutePostLogin = async () => { process.exit(1); };", "process is not defined"),
        ("exports.onExecutePostLogin = async () => { setTimeout(() => {}, 10); };", "setTimeout is not defined"),
    ] {
        let failure = post_login(&engine, vec![script("bad", code)]).await.unwrap_err();
        match &failure {
            Failure::Threw { action, message } => {
                assert_eq!(action, "bad");
                assert!(message.contains(expected), "{code}: {message}");
            }
            other => panic!("{code}: {other:?}"),
        }
        still_works(&engine).await;
    }
}

#[tokio::test]
async fn an_action_cannot_replace_the_runner_or_the_console() {
    let engine = engine_with(1);
    let code = "globalThis.__tessera_run = async () => '{}'; try { console = null; } catch (e) {} exports.onExecutePostLogin = async (e, api) => { api.accessToken.setCustomClaim('sub', 'x'); console.log('still here'); };";
    for _ in 0..2 {
        let outcome = post_login(&engine, vec![script("tamper", code)])
            .await
            .unwrap();
        assert!(outcome.access_token_claims.is_empty());
        assert!(
            outcome.logs.iter().any(|l| l.ends_with("still here")),
            "{:?}",
            outcome.logs
        );
    }
}
