//! Auth0 Actions, run unchanged in a sandbox. An Action is JavaScript exporting
//! `onExecutePostLogin(event, api)` or `onExecuteCredentialsExchange(event, api)` in CommonJS
//! style (`exports.x = ...` or `module.exports = {...}`), as in Auth0. It runs in QuickJS on a
//! pool of warm engines ([`Engine`]), each execution under a CPU-time limit and each engine
//! under a heap cap ([`Limits`]). What the Actions ask for comes back as plain values
//! ([`Outcome`]); a denial, an exception, a timeout or an exhausted heap as a [`Failure`] —
//! never a panic, never a hang.
//!
//! What an Action can use: the JavaScript language (ES2023 with `async`/`await` and Promises),
//! `console.log/info/warn/error/debug` (captured into [`Outcome::logs`]), `event` (a copy per
//! Action, with its own `event.secrets`) and the `api` object below. What it cannot, unlike on
//! Auth0's Node.js runtime: `require` of any module, Node or npm (it throws "require('x') is
//! not available in Tessera Actions"), `fetch` or any network, the file system, `process`,
//! `Buffer`, timers (`setTimeout`). An Action that needs those does not run here.
//!
//! The `api` object follows Auth0's reference ("Actions Triggers: post-login - API Object";
//! "credentials-exchange - API Object"); each method returns `api`, as Auth0's do:
//!
//! | trigger | supported |
//! |---|---|
//! | post-login | `api.access.deny(reason)`, `api.multifactor.enable(provider, options)` (`any`, `guardian`, `google-authenticator`: an authenticator app; `duo` throws; `options` ignored), `api.idToken.setCustomClaim(name, value)`, `api.accessToken.setCustomClaim(name, value)`, `api.accessToken.addScope(scope)`, `api.accessToken.removeScope(scope)`, `api.user.setAppMetadata(key, value)`, `api.user.setUserMetadata(key, value)` |
//! | credentials-exchange | `api.access.deny(code, reason)` (`code` one of `invalid_scope`, `invalid_request`, `server_error`), `api.accessToken.setCustomClaim(name, value)` |
//!
//! Every other member (`api.redirect.sendUserTo`, `api.cache.get`,
//! `api.authentication.challengeWith`, `api.session`, `api.samlResponse`...) throws
//! "api.x.y is not supported by Tessera Actions" rather than "not a function".
//!
//! Auth0's rules kept here, with their source:
//! - Actions of a trigger run in the order they are bound; `api.access.deny` stops the flow
//!   after the denying Action completes and no later Action runs ("post-login API object").
//! - A denial does not cancel the metadata changes requested before it (same page): they come
//!   back in [`Failure::Denied`].
//! - Metadata set with `api.user.setAppMetadata`/`setUserMetadata` is aggregated and saved once,
//!   at the end of the flow; later Actions of the same flow already see it in
//!   `event.user.app_metadata`/`user_metadata` (Auth0 support, "Add or Update User Metadata in
//!   Post-Login Actions": an optimistic update of the event that propagates through the
//!   pipeline). `null` or `undefined` removes the key, as a Management API PATCH does.
//! - In credentials exchange, later Actions see earlier Actions' claims in
//!   `event.accessToken.customClaims` ("credentials-exchange event object").
//! - Custom claims: see [`is_restricted_claim`] and [`MAX_CUSTOM_CLAIMS_BYTES`].
//!
//! An Action's top-level state lives as long as its engine keeps it warm, as module state does
//! in Auth0's Node.js workers: an Action must not keep one user's data for the next.

mod claims;
mod engine;
mod flow;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

pub use claims::{is_restricted_claim, MAX_CUSTOM_CLAIMS_BYTES, RESTRICTED_CLAIMS};
pub use engine::{engine_memory, Engine};

/// The Auth0 triggers Tessera runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// At a user's login and at every refresh token exchange (Auth0: "post-login").
    PostLogin,
    /// At a client credentials exchange (Auth0: "credentials-exchange").
    CredentialsExchange,
}

impl Trigger {
    /// Auth0's trigger id.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::PostLogin => "post-login",
            Trigger::CredentialsExchange => "credentials-exchange",
        }
    }

    /// The trigger with Auth0's id `id`.
    pub fn parse(id: &str) -> Option<Trigger> {
        match id {
            "post-login" => Some(Trigger::PostLogin),
            "credentials-exchange" => Some(Trigger::CredentialsExchange),
            _ => None,
        }
    }
}

/// One deployed version of an Action. Its `Debug` names the secrets, never their values.
#[derive(Clone)]
pub struct Script {
    pub id: String,
    /// The Action's name, as [`Failure`]s and log lines name it.
    pub name: String,
    /// The deployed version: engines keep the compiled script per id and version, so a new
    /// deployment must bring a new version.
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
    /// The heap of one engine (all the Actions it keeps warm); an Action that needs more fails
    /// with [`Failure::OutOfMemory`] and the engine is replaced.
    pub memory_bytes: usize,
    /// The time one Action may take in one execution, measured on the engine's own thread
    /// (wall time there, so never less than its CPU time); past it the Action is interrupted
    /// with [`Failure::TimedOut`] and the engine is replaced.
    pub cpu_time: Duration,
    /// The JavaScript stack: deep recursion fails with a `RangeError` ([`Failure::Threw`]).
    /// Each engine thread gets this plus 2 MiB for the native frames.
    pub stack_bytes: usize,
}

impl Default for Limits {
    /// 64 MiB of heap: an engine with a loaded Action uses about 140 KiB, so this leaves room
    /// for many warm Actions and any sane working set. 1 s per Action: Auth0 allows 20 s of wall
    /// time, but mostly for network calls, and Tessera's Actions have no network; pure
    /// computation that takes a second on a token request is a runaway (a warm Action setting
    /// two claims takes about 0.03 ms). 512 KiB of stack: thousands of frames of recursion.
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            cpu_time: Duration::from_secs(1),
            stack_bytes: 512 << 10,
        }
    }
}

/// What the Actions of one execution asked for, merged in order (a later Action wins a claim
/// or a metadata key an earlier one set).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// `api.idToken.setCustomClaim`, restricted names left out.
    pub id_token_claims: Map<String, Value>,
    /// `api.accessToken.setCustomClaim`, restricted names left out.
    pub access_token_claims: Map<String, Value>,
    /// `api.accessToken.addScope` (post-login), without scopes removed after.
    pub scopes_added: Vec<String>,
    /// `api.accessToken.removeScope` (post-login), without scopes added after.
    pub scopes_removed: Vec<String>,
    /// Keys set with `api.user.setAppMetadata`; `null`: remove the key.
    pub app_metadata: Map<String, Value>,
    /// Keys set with `api.user.setUserMetadata`; `null`: remove the key.
    pub user_metadata: Map<String, Value>,
    /// `api.multifactor.enable(provider)`: the provider the last Action that asked named
    /// (`any`, `guardian` or `google-authenticator`): the login needs a second factor.
    pub multifactor: Option<String>,
    /// What the Actions wrote to `console` (`"<action>: <level>: <text>"`), and the claims left
    /// out as restricted: at most [`MAX_LOG_LINES`] lines of at most [`MAX_LOG_LINE`] bytes.
    pub logs: Vec<String>,
}

/// The most lines [`Outcome::logs`] keeps for one execution (the first ones).
pub const MAX_LOG_LINES: usize = 100;
/// The longest line [`Outcome::logs`] keeps, in bytes; longer ones are cut.
pub const MAX_LOG_LINE: usize = 1024;

/// Metadata changes Auth0 keeps although the login was denied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataChanges {
    /// Keys set with `api.user.setAppMetadata`; `null`: remove the key.
    pub app_metadata: Map<String, Value>,
    /// Keys set with `api.user.setUserMetadata`; `null`: remove the key.
    pub user_metadata: Map<String, Value>,
}

/// Why the Actions stopped the transaction. The first failing Action stops the flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// `api.access.deny(reason)`; for credentials exchange, `api.access.deny(code, reason)`.
    /// Auth0 sends `reason` to the client as `error_description`.
    #[error("{reason}")]
    Denied {
        action: String,
        reason: String,
        /// The credentials-exchange code: `invalid_scope`, `invalid_request` or `server_error`.
        code: Option<String>,
        /// What this and earlier Actions set with `api.user.set*Metadata`: Auth0's "This will
        /// NOT cancel other user-related side effects (such as metadata changes)".
        metadata: Box<MetadataChanges>,
    },
    /// An exception, a rejected promise, a syntax error, a missing export, a promise that
    /// never settles, or claims over Auth0's size limit.
    #[error("Action '{action}' failed: {message}")]
    Threw { action: String, message: String },
    /// The Action ran past [`Limits::cpu_time`].
    #[error("Action '{action}' exceeded its CPU time limit")]
    TimedOut { action: String },
    /// The Action's engine ran out of [`Limits::memory_bytes`].
    #[error("Action '{action}' exceeded its memory limit")]
    OutOfMemory { action: String },
    /// No engine could run the Actions (the pool is gone, or an engine could not start).
    #[error("Actions are unavailable")]
    Unavailable,
}
