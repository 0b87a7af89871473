//! Tessera's admin service: every Auth0 Management resource Tessera has — applications, APIs,
//! users, roles, Actions, grants, client grants, signing keys, the audit log, brute-force blocks — as typed
//! requests and responses (serde, and the OpenAPI schemas generated from the same types), and
//! the methods over them. Each method takes the [`Caller`] (who asks, with which scopes) and
//! returns a typed result or an [`AdminError`]. The Management API's HTTP handlers, the
//! Dashboard and the CLI's local mode are thin adapters over [`Admin`].

pub mod action_bindings;
pub mod actions;
pub mod administrators;
pub mod bootstrap;
pub mod branding;
pub mod client_grants;
pub mod clients;
pub mod connections;
pub mod email;
mod error;
pub mod grants;
pub mod identities;
pub mod jobs;
pub mod keys;
pub mod logs;
pub mod mfa;
pub mod paging;
pub mod passwords;
pub mod resource_servers;
pub mod roles;
pub mod scopes;
mod service;
pub mod signup;
pub mod tickets;
pub mod user_blocks;
pub mod user_export;
pub mod user_import;
pub mod user_search;
pub mod users;

pub use error::{AdminError, AdminResult};

/// Auth0's name for the username/password store, Tessera's one database connection.
pub const CONNECTION: &str = "Username-Password-Authentication";
pub use service::{Admin, AdminParts, Caller, Live, Principal};
