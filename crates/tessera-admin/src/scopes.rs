//! The Management API's scopes and audience, Auth0's: `{verb}:{resource}` for every resource,
//! `{read,create,delete}:role_members`, `read:logs` for the read-only audit log, and the
//! audience `{issuer}api/v2/`.

use tessera_protocol::ScopeSet;
use tessera_store::AdminRole;

/// The resources the Management API manages, each with read/create/update/delete scopes.
pub const RESOURCES: [&str; 17] = [
    "clients",
    "connections",
    "resource_servers",
    "users",
    "grants",
    "client_grants",
    "signing_keys",
    "roles",
    "actions",
    "branding",
    "user_tickets",
    "email_provider",
    "email_templates",
    // Multi-factor authentication: the tenant's factors and policy, users' authenticators.
    "guardian_factors",
    "mfa_policies",
    "authentication_methods",
    "guardian_enrollments",
];

/// Auth0's scopes for who holds a role (there is no `update:role_members`).
pub const ROLE_MEMBERS: [&str; 3] = [
    "read:role_members",
    "create:role_members",
    "delete:role_members",
];

/// The scope that reads the audit log.
pub const READ_LOGS: &str = "read:logs";

/// Every scope of the Management API (`read:clients`, `create:clients`, …, and `read:logs`).
pub fn management_scopes() -> Vec<String> {
    RESOURCES
        .iter()
        .flat_map(|resource| {
            ["read", "create", "update", "delete"].map(|verb| format!("{verb}:{resource}"))
        })
        .chain(ROLE_MEMBERS.map(str::to_owned))
        .chain(std::iter::once(READ_LOGS.to_owned()))
        .collect()
}

/// The Management API's identifier: `{issuer}api/v2/`, as Auth0's.
pub fn management_audience(issuer: &str) -> String {
    format!("{issuer}api/v2/")
}

/// The Management API scopes of a Dashboard administrator: everything, or only the `read:`
/// ones.
pub fn scopes_of(role: AdminRole) -> ScopeSet {
    let scopes: Vec<String> = management_scopes()
        .into_iter()
        .filter(|scope| role == AdminRole::Admin || scope.starts_with("read:"))
        .collect();
    scope_set(&scopes)
}

/// Every Management API scope, as a set.
pub fn all() -> ScopeSet {
    scope_set(&management_scopes())
}

/// The scopes are well-formed by construction (`verb:resource`), so parsing cannot refuse them.
fn scope_set(scopes: &[String]) -> ScopeSet {
    ScopeSet::parse(&scopes.join(" ")).unwrap_or_default()
}
