//! Actions on a real QuickJS pool: Auth0's documentation samples run unchanged, Auth0's flow
//! rules, hostile Actions contained, and the pool under concurrency (with the figures the
//! crate's README quotes).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod flow;
mod hostile;
mod pool;
mod samples;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tessera_actions::{Engine, Failure, Limits, Outcome, Script, Trigger};

/// The CPU limit the tests run under: short, so runaway tests end quickly.
pub const CPU_LIMIT: Duration = Duration::from_millis(200);

/// An engine of `workers` threads with a 200 ms CPU limit and a 32 MiB heap.
pub fn engine_with(workers: usize) -> Engine {
    let limits = Limits {
        cpu_time: CPU_LIMIT,
        memory_bytes: 32 << 20,
        ..Limits::default()
    };
    Engine::new(workers, limits).unwrap()
}

pub fn engine() -> Engine {
    engine_with(2)
}

pub fn script(name: &str, code: &str) -> Arc<Script> {
    Arc::new(Script {
        id: format!("id-{name}"),
        name: name.to_owned(),
        version: 1,
        code: Arc::from(code),
        secrets: Vec::new(),
    })
}

/// A post-login event in Auth0's shape.
pub fn event() -> Value {
    json!({
        "user": {
            "user_id": "auth0|1", "email": "ada@example.com",
            "app_metadata": { "plan": "gold" }, "user_metadata": {}
        },
        "client": { "client_id": "web", "name": "Web", "metadata": {} },
        "connection": { "name": "Username-Password-Authentication", "strategy": "auth0" },
        "request": { "ip": "10.0.0.7", "user_agent": "test", "query": {} },
        "authorization": { "roles": ["admin", "editor"] },
        "resource_server": { "identifier": "https://api.example.com" },
        "stats": { "logins_count": 1 },
        "tenant": { "id": "tessera" },
        "transaction": { "requested_scopes": ["openid", "read"] },
    })
}

/// A credentials-exchange event in Auth0's shape.
pub fn m2m_event() -> Value {
    json!({
        "accessToken": { "customClaims": {}, "scope": ["read:reports"] },
        "client": { "client_id": "m2m", "name": "Reports job", "metadata": { "tier": "gold" } },
        "request": { "ip": "10.0.0.8", "body": {} },
        "resource_server": { "identifier": "https://api.example.com" },
        "tenant": { "id": "tessera" },
        "transaction": { "requested_scopes": ["read:reports"] },
    })
}

pub async fn post_login(engine: &Engine, scripts: Vec<Arc<Script>>) -> Result<Outcome, Failure> {
    engine
        .run(Trigger::PostLogin, scripts.into(), event())
        .await
}

pub async fn exchange(engine: &Engine, scripts: Vec<Arc<Script>>) -> Result<Outcome, Failure> {
    engine
        .run(Trigger::CredentialsExchange, scripts.into(), m2m_event())
        .await
}

/// A denial's reason and code, whatever metadata it kept.
pub fn denial(failure: &Failure) -> (&str, Option<&str>) {
    match failure {
        Failure::Denied { reason, code, .. } => (reason, code.as_deref()),
        other => panic!("not a denial: {other:?}"),
    }
}
