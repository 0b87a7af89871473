//! Actions as Auth0's documentation writes them, and hostile ones, on a real QuickJS pool.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tessera_actions::{Engine, Failure, Limits, Outcome, Script, Trigger};

fn engine() -> Engine {
    let limits = Limits {
        cpu_time: Duration::from_millis(200),
        memory_bytes: 32 << 20,
        ..Limits::default()
    };
    Engine::new(2, limits).unwrap()
}

fn script(name: &str, code: &str) -> Arc<Script> {
    Arc::new(Script {
        id: format!("id-{name}"),
        name: name.to_owned(),
        version: 1,
        code: Arc::from(code),
        secrets: Vec::new(),
    })
}

fn event() -> Value {
    json!({
        "user": { "user_id": "auth0|1", "email": "ada@example.com", "app_metadata": { "plan": "gold" }, "user_metadata": {} },
        "client": { "client_id": "web", "name": "Web" },
        "request": { "ip": "10.0.0.7", "user_agent": "test", "query": {} },
        "authorization": { "roles": ["admin", "editor"] },
        "stats": { "logins_count": 1 },
        "transaction": { "requested_scopes": ["openid", "read"] },
    })
}

async fn post_login(engine: &Engine, scripts: Vec<Arc<Script>>) -> Result<Outcome, Failure> {
    engine
        .run(Trigger::PostLogin, scripts.into(), event())
        .await
}

/// After a hostile Action, the same engine still runs a well-behaved one.
async fn still_works(engine: &Engine) {
    let ok = script("ok", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('ok', true); };");
    for _ in 0..2 {
        let outcome = post_login(engine, vec![ok.clone()]).await.unwrap();
        assert_eq!(outcome.id_token_claims["ok"], json!(true));
    }
}

#[tokio::test]
async fn auth0_sample_adding_roles_to_tokens_runs_unchanged() {
    let code = r#"
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://my-app.example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
    api.accessToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
  }
};"#;
    let outcome = post_login(&engine(), vec![script("roles", code)])
        .await
        .unwrap();
    let roles = json!(["admin", "editor"]);
    assert_eq!(
        outcome.id_token_claims["https://my-app.example.com/roles"],
        roles
    );
    assert_eq!(
        outcome.access_token_claims["https://my-app.example.com/roles"],
        roles
    );
}

#[tokio::test]
async fn auth0_samples_email_claim_metadata_on_first_login_and_scopes() {
    let email = "exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('https://my-app.example.com/email', event.user.email); };";
    let first = r#"exports.onExecutePostLogin = async (event, api) => {
  if (event.stats.logins_count !== 1) { return; }
  api.user.setAppMetadata('onboarded', false);
  api.user.setUserMetadata('theme', { dark: true });
  api.accessToken.addScope('write'); api.accessToken.removeScope('read');
};"#;
    let outcome = post_login(
        &engine(),
        vec![script("email", email), script("first", first)],
    )
    .await
    .unwrap();
    assert_eq!(
        outcome.access_token_claims["https://my-app.example.com/email"],
        json!("ada@example.com")
    );
    assert_eq!(outcome.app_metadata["onboarded"], json!(false));
    assert_eq!(outcome.user_metadata["theme"], json!({ "dark": true }));
    assert_eq!(outcome.scopes_added, vec!["write"]);
    assert_eq!(outcome.scopes_removed, vec!["read"]);
}

#[tokio::test]
async fn deny_by_ip_and_by_app_metadata_stop_the_later_actions() {
    let by_ip = r#"exports.onExecutePostLogin = async (event, api) => {
  if (event.request.ip === '10.0.0.7') { api.access.deny('Access from your IP address is not allowed.'); }
};"#;
    let later =
        "exports.onExecutePostLogin = async (event, api) => { throw new Error('must not run'); };";
    let failure = post_login(&engine(), vec![script("ip", by_ip), script("later", later)])
        .await
        .unwrap_err();
    assert_eq!(
        failure,
        Failure::Denied {
            action: "ip".into(),
            reason: "Access from your IP address is not allowed.".into(),
            code: None
        }
    );
    let by_plan = "exports.onExecutePostLogin = async (event, api) => { if (event.user.app_metadata.plan === 'gold') api.access.deny('gold is closed'); };";
    let failure = post_login(&engine(), vec![script("plan", by_plan)])
        .await
        .unwrap_err();
    assert!(matches!(failure, Failure::Denied { reason, .. } if reason == "gold is closed"));
}

#[tokio::test]
async fn credentials_exchange_adds_claims_and_denies_with_a_code() {
    let engine = engine();
    let claim = "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://api.example.com/tier', event.client.name); };";
    let outcome = engine
        .run(
            Trigger::CredentialsExchange,
            vec![script("tier", claim)].into(),
            event(),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome.access_token_claims["https://api.example.com/tier"],
        json!("Web")
    );
    let deny = "exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_request', 'no machines today'); };";
    let failure = engine
        .run(
            Trigger::CredentialsExchange,
            vec![script("deny", deny)].into(),
            event(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        failure,
        Failure::Denied {
            action: "deny".into(),
            reason: "no machines today".into(),
            code: Some("invalid_request".into())
        }
    );
}

#[tokio::test]
async fn restricted_claims_are_left_out_and_logged() {
    let code = "exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('sub', 'evil'); api.idToken.setCustomClaim('https://tenant.auth0.com/x', 1); api.idToken.setCustomClaim('fine', 1); console.log('done', {a: 1}); };";
    let outcome = post_login(&engine(), vec![script("restricted", code)])
        .await
        .unwrap();
    assert!(outcome.access_token_claims.is_empty());
    assert_eq!(outcome.id_token_claims.len(), 1);
    assert!(outcome.logs.iter().any(|l| l.contains("'sub'")));
    assert!(outcome
        .logs
        .iter()
        .any(|l| l.contains("log: done {\"a\":1}")));
}

#[tokio::test]
async fn secrets_are_each_actions_own() {
    let mut first = (*script("first", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('first', event.secrets); };")).clone();
    first.secrets = vec![("KEY".into(), "one".into())];
    let second = script("second", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('second', event.secrets); };");
    let outcome = post_login(&engine(), vec![Arc::new(first), second])
        .await
        .unwrap();
    assert_eq!(outcome.id_token_claims["first"], json!({ "KEY": "one" }));
    assert_eq!(outcome.id_token_claims["second"], json!({}));
}

#[tokio::test]
async fn infinite_loops_are_stopped_at_the_cpu_limit() {
    let engine = engine();
    for code in [
        "exports.onExecutePostLogin = async (event, api) => { while (true) {} };",
        "exports.onExecutePostLogin = async (event, api) => { await null; for (;;) {} };",
        "for (;;) {}",
    ] {
        let started = Instant::now();
        let failure = post_login(&engine, vec![script(code, code)])
            .await
            .unwrap_err();
        assert_eq!(
            failure,
            Failure::TimedOut {
                action: code.into()
            }
        );
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
        still_works(&engine).await;
    }
}

#[tokio::test]
async fn huge_allocations_are_stopped_at_the_memory_cap() {
    let engine = engine();
    for code in [
        "exports.onExecutePostLogin = async () => { 'x'.repeat(1e9); };",
        "exports.onExecutePostLogin = async () => { const a = []; for (;;) a.push(new Array(1e5).fill(1)); };",
    ] {
        let failure = post_login(&engine, vec![script(&code[..60], code)]).await.unwrap_err();
        assert!(matches!(failure, Failure::OutOfMemory { .. }), "{failure:?}");
        still_works(&engine).await;
    }
}

#[tokio::test]
async fn throwing_rejecting_bad_syntax_missing_export_require_and_recursion_fail_cleanly() {
    let engine = engine();
    for (i, code) in [
        ("exports.onExecutePostLogin = async () => { throw new Error('boom'); };", "boom"),
        ("exports.onExecutePostLogin = () => Promise.reject(new Error('rejected'));", "rejected"),
        ("exports.onExecutePostLogin = async ( => {", "unexpected token"),
        ("exports.somethingElse = async () => {};", "does not export onExecutePostLogin"),
        ("const fs = require('fs'); exports.onExecutePostLogin = async () => {};", "require('fs') is not available"),
        ("exports.onExecutePostLogin = async () => { const f = (n) => f(n + 1) + 1; f(0); };", "stack"),
        ("exports.onExecutePostLogin = () => new Promise(() => {});", "never settled"),
        ("exports.onExecutePostLogin = async (e, api) => { api.redirect.sendUserTo('https://x'); };", "not supported by Tessera"),
    ]
    .into_iter()
    .enumerate()
    {
        let (code, expected) = code;
        let failure = post_login(&engine, vec![script(&format!("bad{i}"), code)])
            .await
            .unwrap_err();
        match &failure {
            Failure::Threw { message, .. } => assert!(message.contains(expected), "{code}: {message}"),
            other => panic!("{code}: {other:?}"),
        }
        still_works(&engine).await;
    }
}

#[tokio::test]
async fn fifty_concurrent_runs_on_two_workers_all_complete() {
    let engine = engine();
    let code = script("c", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('n', event.stats.logins_count); };");
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

/// Not a timing assertion: prints what one warm execution costs, for docs/benchmarks.md.
#[tokio::test]
async fn warm_execution_cost_and_engine_memory_are_reported() {
    let engine = Engine::new(1, Limits::default()).unwrap();
    let code = script("two", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://a.example.com/x', 1); api.accessToken.setCustomClaim('https://a.example.com/y', event.user.email); };");
    post_login(&engine, vec![code.clone()]).await.unwrap();
    let mut times = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        post_login(&engine, vec![code.clone()]).await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "warm execution of an Action setting two claims: p50 {:?}, p99 {:?}",
        times[100], times[198]
    );
    let bytes = tessera_actions::engine_memory(&code, Trigger::PostLogin, &event()).unwrap();
    println!("one engine with the Action loaded: {} KiB", bytes / 1024);
    assert!(bytes > 0);
}
