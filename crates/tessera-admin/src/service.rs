//! The admin service itself: what it works on ([`AdminParts`]), who calls it ([`Caller`]), and
//! what it keeps in step after a change ([`Live`]: a running node's caches and key ring).

use std::sync::Arc;

use tessera_core::audit::{Audit, Event, RequestContext};
use tessera_core::brute_force::BruteForce;
use tessera_core::catalog::Catalog;
use tessera_core::clock::Clock;
use tessera_core::crypto::Passwords;
use tessera_core::keys::Keys;
use tessera_core::secrets::Sealer;
use tessera_protocol::revocation::AccessRevocation;
use tessera_protocol::{ClientId, ScopeSet, Timestamp};
use tessera_store::Store;

use crate::error::{AdminError, AdminResult};

/// Who asks for an admin operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A client with a Management API access token (`client_credentials`).
    Client(ClientId),
    /// An administrator signed in to the Dashboard.
    Administrator(String),
    /// The `tessera` command on the local store: whoever can open the store can change it all.
    Cli,
}

impl Principal {
    /// The client the audit log names for this principal's changes.
    pub fn client_id(&self) -> &str {
        match self {
            Principal::Client(client_id) => client_id.as_str(),
            Principal::Administrator(_) => "tessera-dashboard",
            Principal::Cli => "tessera-cli",
        }
    }
}

/// The caller of an operation: who, with which Management API scopes, from where.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    scopes: ScopeSet,
    /// The client of the request, for the audit log (empty for the CLI).
    pub request: RequestContext,
}

impl Caller {
    pub fn new(principal: Principal, scopes: ScopeSet, request: RequestContext) -> Caller {
        Caller {
            principal,
            scopes,
            request,
        }
    }

    /// Refuses unless the caller holds `scope` (e.g. `read:clients`).
    pub fn require(&self, scope: &str) -> AdminResult<()> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(AdminError::InsufficientScope(scope.to_owned()))
        }
    }

    /// Refuses unless the caller holds one of `scopes` (Auth0 lists several for the
    /// operations on role members: any of them will do).
    pub fn require_any(&self, scopes: &[&str]) -> AdminResult<()> {
        if scopes.iter().any(|scope| self.scopes.contains(scope)) {
            Ok(())
        } else {
            Err(AdminError::InsufficientScope(scopes.join(", ")))
        }
    }

    /// An audit event of this caller's doing: it names the caller as its client (and the
    /// administrator, for the Dashboard).
    pub(crate) fn event(&self, event: Event) -> Event {
        let event = event.client(self.principal.client_id(), None);
        match &self.principal {
            Principal::Administrator(username) => event.user_name(username.clone()),
            _ => event,
        }
    }
}

/// What a running node keeps in memory and refreshes after a change made through it; the CLI
/// has none (running nodes see its changes within their cache TTL and key reload interval).
#[derive(Clone)]
pub struct Live {
    pub catalog: Catalog,
    pub keys: Arc<Keys>,
}

/// What the admin service works on.
pub struct AdminParts {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    /// The issuer (`https://…/`): the Management API's audience is `{issuer}api/v2/`.
    pub issuer: String,
    pub passwords: Passwords,
    /// Seals the private keys of new signing keys.
    pub sealer: Sealer,
    pub audit: Audit,
    pub brute_force: BruteForce,
    /// Where mail goes and what it counts.
    pub email: crate::email::EmailSetup,
    pub live: Option<Live>,
}

/// The admin service; cheap to clone.
#[derive(Clone)]
pub struct Admin(Arc<Shared>);

/// The parts, and what is derived from them once for the service's life.
struct Shared {
    parts: AdminParts,
    /// The WebAuthn relying party of the issuer; none for an issuer at an IP address.
    relying_party: Option<webauthn_rs::Webauthn>,
}

/// The WebAuthn relying party of `issuer`: its host, at its origin; none for an issuer at an
/// IP address (browsers refuse those as RP ids).
fn relying_party_of(issuer: &str) -> Option<webauthn_rs::Webauthn> {
    let issuer = url::Url::parse(issuer).ok()?;
    let host = issuer.domain()?.to_owned();
    let origin = url::Url::parse(&issuer.origin().ascii_serialization()).ok()?;
    webauthn_rs::WebauthnBuilder::new(&host, &origin)
        .and_then(|builder| builder.rp_name(&host).build())
        .ok()
}

impl std::ops::Deref for Shared {
    type Target = AdminParts;

    fn deref(&self) -> &AdminParts {
        &self.parts
    }
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("issuer", &self.0.issuer)
            .finish_non_exhaustive()
    }
}

impl Admin {
    pub fn new(parts: AdminParts) -> Admin {
        let relying_party = relying_party_of(&parts.issuer);
        Admin(Arc::new(Shared {
            parts,
            relying_party,
        }))
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.0.store.as_ref()
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.0.clock.now()
    }

    pub(crate) fn parts(&self) -> &AdminParts {
        &self.0.parts
    }

    /// The WebAuthn relying party, made once from the issuer.
    pub(crate) fn relying_party(&self) -> Option<&webauthn_rs::Webauthn> {
        self.0.relying_party.as_ref()
    }

    /// The issuer this service manages.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// Queues an audit event that happened in `caller`'s request.
    pub(crate) fn record(&self, caller: &Caller, event: Event) {
        self.0
            .audit
            .record(event.request(&caller.request), self.now());
    }

    /// After a write: this node serves the change at once (other nodes within their cache TTL).
    pub(crate) fn changed(&self) {
        if let Some(live) = &self.0.live {
            live.catalog.clear();
        }
    }

    /// Refuses the access tokens `revocation` names from now on: at once on this node, on the
    /// others within their cache TTL.
    pub(crate) async fn revoke_access(&self, revocation: AccessRevocation) -> AdminResult<()> {
        self.store().revoke_access(&revocation).await?;
        if let Some(live) = &self.0.live {
            live.catalog.deny_list().note(&revocation);
        }
        Ok(())
    }

    /// Waits until the audit events queued so far are stored (the CLI exits right after).
    pub async fn flush_audit(&self) {
        self.0.audit.flush(std::time::Duration::from_secs(10)).await;
    }
}
