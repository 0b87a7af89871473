//! Integration tests: the real server on an ephemeral port with a temporary SQLite file and a
//! clock the test moves, driven over HTTP — by the `openidconnect` crate where a client library
//! would be used, and by a cookie-keeping HTTP client where a person's browser would be; the
//! built binary as a process (`binary`, `logs`); several nodes on PostgreSQL (`multinode`).
//! One test binary: each links the whole server, so fewer binaries build faster. Chromium
//! (`browser.rs`) and the fault tests that stop PostgreSQL (`faults.rs`) have their own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Shared by every test binary; each uses only part of it.
#[path = "../support/mod.rs"]
#[allow(dead_code)]
mod support;

mod skip_consent;
mod tickets;

mod access_revocation;
mod actions;
mod audit_log;
mod authorize_errors;
mod binary;
mod branding;
mod brute_force;
mod client_credentials;
mod code_reuse;
mod connections;
mod cors;
mod dashboard;
mod device;
mod discovery;
mod dpop;
mod emails;
mod flow;
mod guardian;
mod hostile_input;
mod housekeeping;
mod implicit;
mod interaction;
mod keys;
mod languages;
mod logout;
mod logs;
mod maintenance;
mod management;
mod management_openapi;
mod mfa;
mod mfa_api;
mod multinode;
mod observability;
mod oidc_details;
mod par;
mod passkeys;
mod password_grant;
mod pkce;
mod rbac;
mod refresh_rotation;
mod revocation;
mod secrets;
mod security_bcp;
mod signup;
mod smtp_sink;
mod token_errors;
mod upgrade;
mod userinfo;
mod web_message;
