//! The store traits in the SQL that SQLite and PostgreSQL both run, for the store `Backend`,
//! one file per group of aggregates below. Not a module of the crate root: `sqlite.rs` and
//! `postgres.rs` each mount this directory (see [`crate::sql`] for why), so it compiles once
//! against each driver.

mod actions;
mod applications;
mod connections;
mod devices;
mod emails;
mod grants;
mod jobs;
mod keys;
mod mfa;
mod operations;
mod roles;
mod sessions;
mod tokens;
mod users;

// For the stores' own rotation statements: PostgreSQL's uses both, SQLite's only the binding.
#[allow(unused_imports)]
pub(super) use tokens::{bind_refresh, INSERT_REFRESH};

use async_trait::async_trait;
use sqlx::Row;
use tessera_protocol::device::Decision;
use tessera_protocol::mfa::Amr;
use tessera_protocol::revocation::{AccessRevocation, Revoked};
use tessera_protocol::token::{CodeGrant, RefreshGrant};
use tessera_protocol::{
    AppType, ClientId, GrantType, PopMechanism, ProofOfPossession, Rbac, RedirectUri,
    RefreshTokenPolicy, RegisteredClient, ResourceServer, ScopeSet, SecretDigest, Timestamp,
    TokenAuthMethod, TokenDialect,
};

use super::Backend;
use crate::error::conflict_as;
use crate::rows::{corrupt, count_of, from_json, row_mappers, scope_of, to_json};
use crate::sql::Dialect;
use crate::{
    Admin, AdminRole, AdminSession, AdminStore, ApiStore, AuditLogStore, ClientGrant,
    ClientGrantStore, ClientStore, CodeRedemption, CodeStore, Consent, ConsentStore,
    DeviceAuthorization, DeviceStore, EventTypes, Expiring, FirstFactor, Housekeeping, KeyStore,
    Listing, LogEvent, LogFilter, Login, LoginAttemptStore, NewUser, OneTimeStore, Page,
    PendingAuthorization, PendingAuthorizationStore, PushedRequest, PushedRequestStore,
    RefreshTokenStore, RevocationStore, Session, SessionStore, SigningKeyRecord, StoreResult, User,
    UserProfile, UserStore, EXCHANGE_EVENT_TYPES,
};

type Db = <Backend as Dialect>::Db;
type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

row_mappers!(<Db as sqlx::Database>::Row);

async fn count(pool: &sqlx::Pool<Db>, sql: &str) -> StoreResult<u64> {
    let total: i64 = sqlx::query_scalar(sql).fetch_one(pool).await?;
    Ok(u64::try_from(total).unwrap_or(0))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
