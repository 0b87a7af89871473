//! Auth0 Actions, run unchanged in a sandbox. An Action is JavaScript exporting
//! `onExecutePostLogin(event, api)` or `onExecuteCredentialsExchange(event, api)`, as in Auth0;
//! it runs in QuickJS (no file system, no process, no network, no `require` of npm modules),
//! on a pool of warm engines, each execution under a CPU-time limit and each engine under a
//! memory cap. What the Actions ask for comes back as plain values ([`Outcome`]); a denial,
//! an exception, a timeout or an exhausted heap as a [`Failure`] — never a panic.

mod claims;
mod engine;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

pub use claims::{is_restricted_claim, RESTRICTED_CLAIMS};
pub use engine::{engine_memory, Engine};

/// The Auth0 triggers Tessera runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// At a user's login and at every refresh token exchange.
    PostLogin,
    /// At a client credentials exchange.
    CredentialsExchange,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::PostLogin => "post-login",
            Trigger::CredentialsExchange => "credentials-exchange",
        }
    }

    pub fn parse(id: &str) -> Option<Trigger> {
        match id {
            "post-login" => Some(Trigger::PostLogin),
            "credentials-exchange" => Some(Trigger::CredentialsExchange),
            _ => None,
        }
    }
}

/// One deployed version of an Action.
#[derive(Clone)]
pub struct Script {
    pub id: String,
    pub name: String,
    /// The deployed version: engines keep the compiled script per id and version.
    pub version: u32,
    pub code: Arc<str>,
    /// `event.secrets`, seen by this Action only.
    pub secrets: Vec<(String, String)>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secrets: Vec<&str> = self.secrets.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Script")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("secrets", &secrets)
            .finish_non_exhaustive()
    }
}

/// The sandbox's bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The heap of one engine (all the Actions it has loaded).
    pub memory_bytes: usize,
    /// CPU time one Action may take in one execution.
    pub cpu_time: Duration,
    /// The JavaScript stack: deep recursion fails with a `RangeError` well before the thread's.
    pub stack_bytes: usize,
}

impl Default for Limits {
    /// 64 MiB of heap, 1 s per Action (Auth0 allows 20 s of wall time for I/O-bound Actions;
    /// with no network here an Action is pure computation, and a second of it is a runaway),
    /// 512 KiB of stack.
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            cpu_time: Duration::from_secs(1),
            stack_bytes: 512 << 10,
        }
    }
}

/// What the Actions of one execution asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub id_token_claims: Map<String, Value>,
    pub access_token_claims: Map<String, Value>,
    pub scopes_added: Vec<String>,
    pub scopes_removed: Vec<String>,
    /// Keys set with `api.user.setAppMetadata` (`null`: removed).
    pub app_metadata: Map<String, Value>,
    pub user_metadata: Map<String, Value>,
    /// What the Actions wrote to `console`, and the claims refused as restricted.
    pub logs: Vec<String>,
}

/// Why the Actions stopped the transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// `api.access.deny(reason)`; for credentials exchange, `api.access.deny(code, reason)`.
    #[error("{reason}")]
    Denied {
        action: String,
        reason: String,
        code: Option<String>,
    },
    #[error("Action '{action}' failed: {message}")]
    Threw { action: String, message: String },
    #[error("Action '{action}' exceeded its CPU time limit")]
    TimedOut { action: String },
    #[error("Action '{action}' exceeded its memory limit")]
    OutOfMemory { action: String },
    #[error("Actions are unavailable")]
    Unavailable,
}
