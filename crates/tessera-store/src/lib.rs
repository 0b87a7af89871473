//! Tessera's storage: one narrow trait per aggregate, implemented for SQLite and PostgreSQL.
//! No transaction handle leaves the store; consuming a code is one atomic statement.

mod actions;
mod connections;
mod emails;
mod error;
mod jobs;
pub mod maintenance;
mod mfa;
mod postgres;
mod records;
mod roles;
mod rows;
mod sql;
mod sqlite;
mod user_search;

use async_trait::async_trait;
use tessera_protocol::device::Decision;
use tessera_protocol::revocation::AccessRevocation;
use tessera_protocol::token::{CodeGrant, RefreshGrant};
use tessera_protocol::{
    ClientId, RegisteredClient, ResourceServer, ScopeSet, SecretDigest, Timestamp,
};

pub use actions::{
    Action, ActionBinding, ActionCode, ActionDeletion, ActionSecret, ActionStore, ActionVersion,
    DeployedAction, SecretOpener,
};
pub use connections::{
    Connection, ConnectionStore, Identity, IdentityStore, NewIdentity, DATABASE_CONNECTION,
};
pub use emails::{Email, EmailStatus, EmailStore};
pub use error::{StoreError, StoreResult};
pub use jobs::{
    ImportBatch, ImportedTotp, ImportedUser, Job, JobError, JobKind, JobStatus, JobStore,
};
pub use mfa::{Authenticator, AuthenticatorKind, MfaStore};
pub use postgres::PostgresStore;
pub use records::{
    Admin, AdminRole, AdminSession, ClientGrant, Consent, FirstFactor, JsonObject, LogEvent,
    LogFilter, Login, NewUser, PendingAuthorization, Session, SigningKeyRecord, User, UserProfile,
};
pub use roles::{
    HeldPermission, Holder, Permission, PermissionSource, Role, RoleMember, RoleStore,
};
pub use sqlite::SqliteStore;
pub use user_search::{
    FlagField, IdentityField, MetadataField, MetadataKey, RangeField, SortField, TextField,
    TextMatch, UserSearch, UserSort,
};

/// One page of a listing: Auth0's `page` (from 0) and `per_page`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub per_page: u32,
}

impl Page {
    pub fn offset(self) -> i64 {
        i64::from(self.page) * i64::from(self.per_page)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
}

/// A page of results and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// Registered applications.
#[async_trait]
pub trait ClientStore {
    async fn upsert_client(&self, client: &RegisteredClient, now: Timestamp) -> StoreResult<()>;
    async fn client(&self, client_id: &ClientId) -> StoreResult<Option<RegisteredClient>>;
    /// Creates a client; [`StoreError::Conflict`] when its id is taken.
    async fn create_client(&self, client: &RegisteredClient, now: Timestamp) -> StoreResult<()>;
    async fn list_clients(&self, page: Page) -> StoreResult<Listing<RegisteredClient>>;
    /// Deletes a client and its client grants; true if it existed.
    async fn delete_client(&self, client_id: &ClientId) -> StoreResult<bool>;
}

/// APIs (resource servers), keyed by identifier (the audience).
#[async_trait]
pub trait ApiStore {
    async fn upsert_api(&self, api: &ResourceServer, now: Timestamp) -> StoreResult<()>;
    async fn api(&self, identifier: &str) -> StoreResult<Option<ResourceServer>>;
    /// The API whose opaque id or identifier is `id_or_identifier` (Auth0's Management API
    /// accepts either in its paths).
    async fn api_by_id(&self, id_or_identifier: &str) -> StoreResult<Option<ResourceServer>>;
    /// Creates an API; [`StoreError::Conflict`] when its identifier is taken.
    async fn create_api(&self, api: &ResourceServer, now: Timestamp) -> StoreResult<()>;
    async fn list_apis(&self, page: Page) -> StoreResult<Listing<ResourceServer>>;
    /// The distinct `signing_alg` of every API: the algorithms whose keys the JWKS publishes.
    async fn api_signing_algorithms(&self) -> StoreResult<Vec<String>>;
    /// Deletes an API and the client grants for it; true if it existed.
    async fn delete_api(&self, identifier: &str) -> StoreResult<bool>;
}

/// What a user ticket lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKind {
    /// Choose a new password (`/api/v2/tickets/password-change`).
    PasswordChange,
    /// Confirm the email address (`/api/v2/tickets/email-verification`).
    EmailVerification,
}

impl TicketKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::PasswordChange => "password_change",
            TicketKind::EmailVerification => "email_verification",
        }
    }

    pub fn parse(text: &str) -> Option<TicketKind> {
        [TicketKind::PasswordChange, TicketKind::EmailVerification]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// A single-use link for one user, kept by the digest of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTicket {
    pub kind: TicketKind,
    pub user_id: String,
    /// Where the person is sent once the ticket is used.
    pub result_url: Option<String>,
    /// A password change also marks the email verified (the link reached the mailbox).
    pub mark_email_verified: bool,
    pub expires_at: Timestamp,
}

/// User tickets.
#[async_trait]
pub trait UserTicketStore {
    async fn create_user_ticket(
        &self,
        digest: &SecretDigest,
        ticket: &UserTicket,
    ) -> StoreResult<()>;
    /// The ticket of `kind` with this digest, unused and unexpired at `now`, left in place.
    async fn user_ticket(
        &self,
        digest: &SecretDigest,
        kind: TicketKind,
        now: Timestamp,
    ) -> StoreResult<Option<UserTicket>>;
    /// Takes the ticket: at most one caller gets it, and only before it expires.
    async fn take_user_ticket(
        &self,
        digest: &SecretDigest,
        kind: TicketKind,
        now: Timestamp,
    ) -> StoreResult<Option<UserTicket>>;
}

/// Tenant-wide settings, a JSON object each, by name.
#[async_trait]
pub trait TenantSettingsStore {
    /// The setting `name`, or `None` when it was never set.
    async fn tenant_setting(&self, name: &str) -> StoreResult<Option<JsonObject>>;
    /// Replaces the setting `name`.
    async fn set_tenant_setting(&self, name: &str, value: &JsonObject) -> StoreResult<()>;
}

/// The previous passwords kept per user: Auth0's largest `password_history.size`, so that
/// raising the size takes effect on what was kept already.
pub const PASSWORD_HISTORY_KEPT: usize = 24;

/// End users.
#[async_trait]
pub trait UserStore {
    /// Creates the user named `username`, or updates its email, name and password hash.
    async fn upsert_user(&self, user: &NewUser, now: Timestamp) -> StoreResult<User>;
    /// The user whose username or email is `login`.
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>>;
    async fn user(&self, user_id: &str) -> StoreResult<Option<User>>;
    /// The users whose email is exactly `email`.
    async fn users_by_email(&self, email: &str) -> StoreResult<Vec<User>>;
    /// Creates a user; [`StoreError::Conflict`] when the id, username or email is taken.
    async fn create_user(&self, user: &NewUser, now: Timestamp) -> StoreResult<User>;
    /// Writes every field of `user` (found by `user_id`); false if there is no such user.
    async fn update_user(&self, user: &User, now: Timestamp) -> StoreResult<bool>;
    /// Replaces the user's password hash with `new` if it is still `old` (a hash carried over
    /// by an import, rehashed at login); false when the user or the old hash is gone.
    async fn replace_password_hash(&self, user_id: &str, old: &str, new: &str)
        -> StoreResult<bool>;
    /// A successful login: `last_login`, `last_ip` and `logins_count` (the profile's
    /// `updated_at` stays).
    async fn record_user_login(
        &self,
        user_id: &str,
        ip: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Deletes a user with their sessions and consents; true if they existed.
    async fn delete_user(&self, user_id: &str) -> StoreResult<bool>;
    /// Keeps `password_hash` as the user's newest previous password, and at most
    /// [`PASSWORD_HISTORY_KEPT`] of them.
    async fn remember_password(
        &self,
        user_id: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The user's `limit` most recent password hashes, newest first.
    async fn previous_passwords(&self, user_id: &str, limit: usize) -> StoreResult<Vec<String>>;
    /// Users matching `search` (all when `None`), in `sort`'s order (by username when `None`).
    async fn list_users(
        &self,
        page: Page,
        search: Option<&UserSearch>,
        sort: Option<UserSort>,
    ) -> StoreResult<Listing<User>>;
}

/// SSO sessions, keyed by the digest of the session cookie.
#[async_trait]
pub trait SessionStore {
    async fn create_session(
        &self,
        digest: &SecretDigest,
        session: &Session,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The live session with this digest.
    async fn session(&self, digest: &SecretDigest, now: Timestamp) -> StoreResult<Option<Session>>;
    /// Ends the session with this digest (logout); returns it if it existed.
    async fn end_session(&self, digest: &SecretDigest) -> StoreResult<Option<Session>>;
    /// Ends every session of `user_id` (after a password change); returns how many.
    async fn end_sessions_of(&self, user_id: &str) -> StoreResult<u64>;
}

/// Authorizations waiting for the user to log in or consent.
#[async_trait]
pub trait PendingAuthorizationStore {
    async fn create_pending(
        &self,
        pending: &PendingAuthorization,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The unexpired pending authorization with this id.
    async fn pending(&self, id: &str, now: Timestamp) -> StoreResult<Option<PendingAuthorization>>;
    /// Records who logged in during this authorization, and the session it started.
    async fn record_login(&self, id: &str, login: &Login) -> StoreResult<()>;
    /// Records that `first.user_id` passed the first factor and owes a second.
    async fn record_first_factor(&self, id: &str, first: &FirstFactor) -> StoreResult<()>;
    /// Removes it; true only for the one caller that removed it.
    async fn finish_pending(&self, id: &str) -> StoreResult<bool>;
}

/// Consent a user gave a client for an API (`None` audience: /userinfo only).
#[async_trait]
pub trait ConsentStore {
    async fn consent(
        &self,
        user_id: &str,
        client_id: &ClientId,
        audience: Option<&str>,
    ) -> StoreResult<Option<ScopeSet>>;
    /// Stores the consent; `new_id` names it if it is new (an existing one keeps its id).
    #[allow(clippy::too_many_arguments)]
    async fn save_consent(
        &self,
        user_id: &str,
        client_id: &ClientId,
        audience: Option<&str>,
        scope: &ScopeSet,
        new_id: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn consents_of(&self, user_id: &str) -> StoreResult<Vec<Consent>>;
    /// Deletes a consent by id and returns it.
    async fn delete_consent(&self, id: &str) -> StoreResult<Option<Consent>>;
}

/// Authorization codes, stored by digest.
#[async_trait]
pub trait CodeStore {
    async fn insert_code(
        &self,
        digest: &SecretDigest,
        grant: &CodeGrant,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Marks the code used and returns what it grants, in one atomic statement: of racing
    /// callers exactly one gets [`CodeRedemption::Redeemed`]; the others learn it was used.
    async fn consume_code(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
    ) -> StoreResult<CodeRedemption>;
}

/// The result of presenting a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    Redeemed(Box<CodeGrant>),
    /// It was redeemed before: a replay (RFC 6749 §4.1.2).
    AlreadyUsed,
    Unknown,
}

/// Refresh tokens, stored by digest.
#[async_trait]
pub trait RefreshTokenStore {
    async fn insert_refresh_token(
        &self,
        digest: &SecretDigest,
        grant: &RefreshGrant,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn refresh_token(&self, digest: &SecretDigest) -> StoreResult<Option<RefreshGrant>>;
    /// Marks `old` rotated and stores its successor, atomically: false (and nothing stored)
    /// when `old` was already rotated or revoked by a racing request.
    async fn rotate_refresh_token(
        &self,
        old: &SecretDigest,
        new: &SecretDigest,
        grant: &RefreshGrant,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Records a use of a non-rotating token (its inactivity lifetime restarts, so it now
    /// expires at `expires_at`).
    async fn touch_refresh_token(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
        expires_at: Option<Timestamp>,
    ) -> StoreResult<()>;
    /// Revokes every token of a family; returns how many were live.
    async fn revoke_refresh_family(&self, family_id: &str, now: Timestamp) -> StoreResult<u64>;
    /// Revokes a user's refresh tokens, for one client and audience or (with `None`) all.
    async fn revoke_refresh_tokens_of(
        &self,
        user_id: &str,
        grant: Option<(&ClientId, Option<&str>)>,
        now: Timestamp,
    ) -> StoreResult<u64>;
}

/// Device authorizations (RFC 8628), stored by the digest of their device code.
#[async_trait]
pub trait DeviceStore {
    /// Stores a new one; [`StoreError::Conflict`] when its user code is taken.
    async fn create_device_authorization(
        &self,
        digest: &SecretDigest,
        device: &DeviceAuthorization,
    ) -> StoreResult<()>;
    async fn device_by_code(
        &self,
        digest: &SecretDigest,
    ) -> StoreResult<Option<DeviceAuthorization>>;
    async fn device_by_user_code(
        &self,
        user_code: &str,
    ) -> StoreResult<Option<DeviceAuthorization>>;
    async fn device_by_binding(&self, binding: &str) -> StoreResult<Option<DeviceAuthorization>>;
    /// Records a poll at `now`; the device must wait `interval` seconds before the next.
    async fn record_device_poll(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
        interval: i64,
    ) -> StoreResult<()>;
    /// Decides a pending authorization; true only for the decision that landed.
    async fn decide_device(
        &self,
        binding: &str,
        decision: Decision,
        grant: Option<&CodeGrant>,
    ) -> StoreResult<bool>;
    /// Removes a decided authorization; true only for the one caller that removed it.
    async fn finish_device(&self, digest: &SecretDigest) -> StoreResult<bool>;
}

/// A device waiting for (or given) a person's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// What the person types at `/activate` (`XXXX-XXXX`).
    pub user_code: String,
    pub client_id: ClientId,
    pub scope: ScopeSet,
    pub audience: Option<String>,
    /// The `state` the hosted pages carry back to `/activate/done`.
    pub binding: String,
    /// The PKCE verifier of the code the hosted pages issue for it.
    pub code_verifier: String,
    pub decision: Decision,
    /// What was granted, once approved: the redeemed code's grant.
    pub grant: Option<CodeGrant>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub interval: i64,
    pub last_polled_at: Option<Timestamp>,
}

/// Pushed authorization requests (RFC 9126), stored by the digest of their `request_uri`.
#[async_trait]
pub trait PushedRequestStore {
    async fn push_request(&self, digest: &SecretDigest, pushed: &PushedRequest) -> StoreResult<()>;
    /// Removes and returns the request, if it has not expired by `now`: of racing callers one
    /// gets it.
    async fn take_pushed_request(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
    ) -> StoreResult<Option<PushedRequest>>;
}

/// Values that may be used once, by digest, kept until they expire: DPoP proofs (RFC 9449
/// §11.1, a digest of their key and `jti`, until the `iat` window closes), WebAuthn
/// ceremonies and the MFA API's `mfa_token` (each digest names its kind, so they cannot
/// collide). The table is still `dpop_proofs`, its first use.
#[async_trait]
pub trait OneTimeStore {
    /// Records a use: `true` the first time, `false` when the same digest is already
    /// recorded and unexpired at `now` (a replay). Racing callers: exactly one gets `true`.
    async fn first_use(
        &self,
        digest: &SecretDigest,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool>;
}

/// The parameters a client pushed, for its own `/authorize`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequest {
    pub client_id: ClientId,
    pub params: Vec<(String, String)>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// The deny list of access tokens refused before they expire.
#[async_trait]
pub trait RevocationStore {
    /// Adds a revocation; one of the same kind and subject keeps the later times.
    async fn revoke_access(&self, revocation: &AccessRevocation) -> StoreResult<()>;
    /// The revocations still in force at `now` (expiring after it).
    async fn access_revocations(&self, now: Timestamp) -> StoreResult<Vec<AccessRevocation>>;
}

/// Machine-to-machine authorizations: which APIs a client may get tokens for, with which scopes.
#[async_trait]
pub trait ClientGrantStore {
    async fn upsert_client_grant(
        &self,
        client_id: &ClientId,
        audience: &str,
        scope: &ScopeSet,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn client_grant(
        &self,
        client_id: &ClientId,
        audience: &str,
    ) -> StoreResult<Option<ScopeSet>>;
    /// Creates a client grant; [`StoreError::Conflict`] when the pair exists.
    async fn create_client_grant(&self, grant: &ClientGrant, now: Timestamp) -> StoreResult<()>;
    async fn client_grant_by_id(&self, id: &str) -> StoreResult<Option<ClientGrant>>;
    /// Client grants, optionally of one client and/or for one API.
    async fn list_client_grants(
        &self,
        client_id: Option<&ClientId>,
        audience: Option<&str>,
        page: Page,
    ) -> StoreResult<Listing<ClientGrant>>;
    async fn update_client_grant(
        &self,
        id: &str,
        scope: &ScopeSet,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn delete_client_grant(&self, id: &str) -> StoreResult<bool>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore {
    /// Keys not revoked, oldest first (by `created_at`, then `kid`).
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Every key, revoked ones included, in the same order.
    async fn all_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Inserts a key unless one with its kid exists.
    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()>;
    /// Makes the next key `kid` sign from `at`; true only if a live key not yet signing was
    /// activated (so of nodes rotating at once, one wins).
    async fn activate_signing_key(&self, kid: &str, at: Timestamp) -> StoreResult<bool>;
    /// Revokes the key `kid` as of `now`; true only if a live key was revoked (false for an
    /// unknown or already revoked kid).
    async fn revoke_signing_key(&self, kid: &str, now: Timestamp) -> StoreResult<bool>;
    /// Replaces the stored material of `kid` with `new` if it still is `old` (compare and set,
    /// so nodes re-encrypting the same key at once cannot clobber each other); true if replaced.
    async fn replace_signing_key_material(
        &self,
        kid: &str,
        old: &[u8],
        new: &[u8],
    ) -> StoreResult<bool>;
}

/// Failed logins, for brute-force protection. `account` is a user id, or a normalized login
/// name when there is no such user, so unknown names are counted like known ones.
#[async_trait]
pub trait LoginAttemptStore {
    /// Counts a failed login of `account` from `ip` at `now`; returns the consecutive failures,
    /// counting from 1 again when the previous one was at or before `stale_before`.
    async fn record_login_failure(
        &self,
        account: &str,
        ip: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<u32>;
    /// The consecutive failures of `account` from `ip` whose last one was after `since`.
    async fn login_failures(&self, account: &str, ip: &str, since: Timestamp) -> StoreResult<u32>;
    /// Forgets the failures of `account` from `ip` (after a successful login).
    async fn clear_login_failures(&self, account: &str, ip: &str) -> StoreResult<()>;
    /// The IPs from which `account` has at least `threshold` failures, the last after `since`.
    async fn blocked_ips(
        &self,
        account: &str,
        threshold: u32,
        since: Timestamp,
    ) -> StoreResult<Vec<String>>;
    /// Forgets every failure of `account`, from every IP; returns how many IPs it had.
    async fn clear_account_failures(&self, account: &str) -> StoreResult<u64>;
    /// Counts a failed login from `ip` at `now` in its fixed window; a window that started at or
    /// before `stale_before` is over and a new one starts now. Returns the window's failures.
    async fn record_ip_failure(
        &self,
        ip: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<u32>;
    /// The failures from `ip` in its window, if that window started after `since`.
    async fn ip_failures(&self, ip: &str, since: Timestamp) -> StoreResult<u32>;
    /// Deletes at most `batch` rows (per table) last touched at or before `before`.
    async fn purge_login_failures(&self, before: Timestamp, batch: i64) -> StoreResult<u64>;
}

/// Dashboard administrators and their sessions, separate from end users and their sessions.
#[async_trait]
pub trait AdminStore {
    /// Creates an administrator; [`StoreError::Conflict`] when the username is taken.
    async fn create_admin(&self, admin: &Admin) -> StoreResult<()>;
    async fn admin(&self, username: &str) -> StoreResult<Option<Admin>>;
    /// Every administrator, by username.
    async fn list_admins(&self) -> StoreResult<Vec<Admin>>;
    async fn create_admin_session(
        &self,
        digest: &SecretDigest,
        session: &AdminSession,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The live administrator session with this digest.
    async fn admin_session(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
    ) -> StoreResult<Option<AdminSession>>;
    /// Ends the session with this digest (logout); true if it existed.
    async fn end_admin_session(&self, digest: &SecretDigest) -> StoreResult<bool>;
}

/// The audit log: security events, written in batches by a background task.
#[async_trait]
pub trait AuditLogStore {
    /// Stores the events, all or none.
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()>;
    async fn log_event(&self, log_id: &str) -> StoreResult<Option<LogEvent>>;
    async fn list_log_events(
        &self,
        filter: &LogFilter,
        page: Page,
    ) -> StoreResult<Listing<LogEvent>>;
    /// Deletes at most `batch` events of `types` dated before `before`; returns how many went.
    async fn purge_log_events(
        &self,
        before: Timestamp,
        types: EventTypes<'_>,
        batch: i64,
    ) -> StoreResult<u64>;
    /// How many events the log holds.
    async fn count_log_events(&self) -> StoreResult<u64>;
    /// Deletes the `batch` oldest events of `types`; returns how many went.
    async fn purge_oldest_log_events(&self, types: EventTypes<'_>, batch: i64) -> StoreResult<u64>;
}

/// Token exchanges (Auth0's `seacft`, `seccft`, `sertft`): one per token issued, by far the
/// most numerous events and the first the log's cap deletes. They are stored apart from the
/// others so that deleting either kind oldest first empties whole index pages, which
/// PostgreSQL reuses only once they are empty.
pub const EXCHANGE_EVENT_TYPES: [&str; 3] = ["seacft", "seccft", "sertft"];

/// The event types (Auth0's codes) a purge of the audit log applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventTypes<'a> {
    /// Only these.
    Only(&'a [&'a str]),
    /// Every type but these (all of them when empty).
    AllBut(&'a [&'a str]),
}

/// Operations: removing what has expired, in small batches so many nodes can run it at once,
/// and cheap probes of the database for readiness checks.
#[async_trait]
pub trait Housekeeping {
    /// One trivial round trip to the database.
    async fn ping(&self) -> StoreResult<()>;
    /// Rewrites one row with `padding`, fresh bytes: fails with [`StoreError::Full`] when the
    /// database cannot store new data.
    async fn probe_write(&self, padding: &[u8], now: Timestamp) -> StoreResult<()>;
    /// Deletes at most `batch` rows of `what` that expired by `now` (refresh tokens: revoked
    /// before `revoked_before`); returns how many went.
    async fn purge_expired(
        &self,
        what: Expiring,
        now: Timestamp,
        revoked_before: Timestamp,
        batch: i64,
    ) -> StoreResult<u64>;
}

/// What housekeeping deletes once it has expired, one indexed range each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiring {
    AuthorizationCodes,
    Sessions,
    PendingAuthorizations,
    ExpiredRefreshTokens,
    RevokedRefreshTokens,
    AdminSessions,
    AccessRevocations,
    PushedRequests,
    DeviceAuthorizations,
    DpopProofs,
    UserTickets,
    Emails,
}

impl Expiring {
    pub const ALL: [Expiring; 12] = [
        Expiring::AuthorizationCodes,
        Expiring::Sessions,
        Expiring::PendingAuthorizations,
        Expiring::ExpiredRefreshTokens,
        Expiring::RevokedRefreshTokens,
        Expiring::AdminSessions,
        Expiring::AccessRevocations,
        Expiring::PushedRequests,
        Expiring::DeviceAuthorizations,
        Expiring::DpopProofs,
        Expiring::UserTickets,
        Expiring::Emails,
    ];

    /// The table its rows are in.
    pub fn table(self) -> &'static str {
        match self {
            Expiring::AuthorizationCodes => "authorization_codes",
            Expiring::Sessions => "sessions",
            Expiring::PendingAuthorizations => "pending_authorizations",
            Expiring::ExpiredRefreshTokens | Expiring::RevokedRefreshTokens => "refresh_tokens",
            Expiring::AdminSessions => "admin_sessions",
            Expiring::AccessRevocations => "access_revocations",
            Expiring::PushedRequests => "pushed_authorization_requests",
            Expiring::DeviceAuthorizations => "device_authorizations",
            Expiring::DpopProofs => "dpop_proofs",
            Expiring::UserTickets => "user_tickets",
            Expiring::Emails => "emails",
        }
    }
}

/// Everything the server needs from storage.
pub trait Store:
    ClientStore
    + ApiStore
    + UserStore
    + SessionStore
    + PendingAuthorizationStore
    + ConsentStore
    + CodeStore
    + RefreshTokenStore
    + RevocationStore
    + PushedRequestStore
    + OneTimeStore
    + DeviceStore
    + ClientGrantStore
    + KeyStore
    + AdminStore
    + LoginAttemptStore
    + AuditLogStore
    + JobStore
    + ConnectionStore
    + IdentityStore
    + TenantSettingsStore
    + UserTicketStore
    + EmailStore
    + MfaStore
    + RoleStore
    + ActionStore
    + Housekeeping
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: ClientStore
        + ApiStore
        + UserStore
        + SessionStore
        + PendingAuthorizationStore
        + ConsentStore
        + CodeStore
        + RefreshTokenStore
        + RevocationStore
        + PushedRequestStore
        + OneTimeStore
        + DeviceStore
        + ClientGrantStore
        + KeyStore
        + AdminStore
        + LoginAttemptStore
        + AuditLogStore
        + JobStore
        + ConnectionStore
        + IdentityStore
        + TenantSettingsStore
        + UserTicketStore
        + EmailStore
        + MfaStore
        + RoleStore
        + ActionStore
        + Housekeeping
        + Send
        + Sync
{
}
