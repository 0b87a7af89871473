//! Per-node caches of what nearly every request reads and rarely changes: clients, APIs,
//! client grants, users, the permissions users hold on APIs with RBAC, and the access-token
//! deny list. An entry is served for at most `ttl` after it was read, so a change
//! made on any node (or by the CLI against the database) is seen everywhere within `ttl`; a
//! change made through this node's Management API clears the caches at once
//! ([`Catalog::clear`] runs after every write there).
//!
//! Only hits are cached: an unknown client or user is looked up again each time, so a newly
//! created one works at once and garbage identifiers cannot fill the maps. Permissions are
//! looked up only for a user already found, so an empty set is cached too; so is a trigger's
//! empty list of Actions, which is what nearly every token request finds.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tessera_actions::{Script, Trigger};

use crate::deny_list::DenyList;
use tessera_protocol::{ClientId, RegisteredClient, ResourceServer, ScopeSet};
use tessera_store::{JsonObject, SecretOpener, Store, StoreResult, User};

/// Entries one map holds before it is emptied; far above any real tenant's clients and APIs,
/// and a bound on the memory a stream of distinct users can take.
const MAX_ENTRIES: usize = 50_000;

/// The permissions a user holds on an API, shared with every token that carries them.
type Held = Arc<[String]>;

/// The deployed Actions bound to a trigger, in order.
pub type Bound = Arc<[Arc<Script>]>;

/// Cached reads in front of the store.
#[derive(Clone)]
pub struct Catalog {
    store: Arc<dyn Store>,
    clients: Arc<Expiring<ClientId, RegisteredClient>>,
    apis: Arc<Expiring<String, ResourceServer>>,
    client_grants: Arc<Expiring<(ClientId, String), ScopeSet>>,
    users: Arc<Expiring<String, User>>,
    permissions: Arc<Expiring<(String, String), Held>>,
    actions: Arc<Expiring<Trigger, Bound>>,
    tenant_settings: Arc<Expiring<String, JsonObject>>,
    deny_list: Arc<DenyList>,
}

impl Catalog {
    /// Caches in front of `store`, each entry kept at most `ttl` (zero turns caching off).
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Catalog {
        Catalog {
            clients: Arc::new(Expiring::new(ttl)),
            apis: Arc::new(Expiring::new(ttl)),
            client_grants: Arc::new(Expiring::new(ttl)),
            users: Arc::new(Expiring::new(ttl)),
            permissions: Arc::new(Expiring::new(ttl)),
            actions: Arc::new(Expiring::new(ttl)),
            tenant_settings: Arc::new(Expiring::new(ttl)),
            deny_list: Arc::new(DenyList::new(Arc::clone(&store), ttl)),
            store,
        }
    }

    pub async fn client(&self, client_id: &ClientId) -> StoreResult<Option<Arc<RegisteredClient>>> {
        if let Some(hit) = self.clients.get(client_id) {
            return Ok(Some(hit));
        }
        let found = self.store.client(client_id).await?;
        Ok(found.map(|client| self.clients.insert(client_id.clone(), client)))
    }

    pub async fn api(&self, identifier: &str) -> StoreResult<Option<Arc<ResourceServer>>> {
        if let Some(hit) = self.apis.get(identifier) {
            return Ok(Some(hit));
        }
        let found = self.store.api(identifier).await?;
        Ok(found.map(|api| self.apis.insert(identifier.to_owned(), api)))
    }

    /// The scopes `client_id` was granted for `audience` (machine to machine).
    pub async fn client_grant(
        &self,
        client_id: &ClientId,
        audience: &str,
    ) -> StoreResult<Option<Arc<ScopeSet>>> {
        let key = (client_id.clone(), audience.to_owned());
        if let Some(hit) = self.client_grants.get(&key) {
            return Ok(Some(hit));
        }
        let found = self.store.client_grant(client_id, audience).await?;
        Ok(found.map(|scope| self.client_grants.insert(key, scope)))
    }

    pub async fn user(&self, user_id: &str) -> StoreResult<Option<Arc<User>>> {
        if let Some(hit) = self.users.get(user_id) {
            return Ok(Some(hit));
        }
        let found = self.store.user(user_id).await?;
        Ok(found.map(|user| self.users.insert(user_id.to_owned(), user)))
    }

    /// The permissions `user_id` holds on `api`, through roles or directly: only scopes the
    /// API defines now, sorted.
    pub async fn permissions(
        &self,
        user_id: &str,
        api: &ResourceServer,
    ) -> StoreResult<Arc<[String]>> {
        let key = (user_id.to_owned(), api.identifier.clone());
        if let Some(hit) = self.permissions.get(&key) {
            return Ok(Arc::clone(&hit));
        }
        let defined: HashSet<&str> = api.scopes.iter().map(|s| s.value.as_str()).collect();
        let mut held: Vec<String> = self
            .store
            .effective_permissions(user_id, &api.identifier)
            .await?
            .into_iter()
            .filter(|p| defined.contains(p.as_str()))
            .collect();
        // Both databases sort, but by their own collations: one order whichever answered.
        held.sort_unstable();
        let held: Arc<[String]> = held.into();
        Ok(Arc::clone(&self.permissions.insert(key, held)))
    }

    /// The deployed Actions bound to `trigger`, in order, their secrets opened with `opener`.
    pub async fn actions(&self, trigger: Trigger, opener: &dyn SecretOpener) -> StoreResult<Bound> {
        if let Some(hit) = self.actions.get(&trigger) {
            return Ok(Arc::clone(&hit));
        }
        let deployed = self
            .store
            .deployed_bindings(trigger.as_str(), opener)
            .await?;
        let bound: Bound = deployed
            .into_iter()
            .map(|action| {
                Arc::new(Script {
                    id: action.action_id,
                    name: action.name,
                    version: action.version_number,
                    code: Arc::from(action.code),
                    secrets: action.secrets,
                })
            })
            .collect();
        Ok(Arc::clone(&self.actions.insert(trigger, bound)))
    }

    /// The tenant setting `name` (empty when never set): read by logins and token requests
    /// (the MFA policy and factors), changed rarely.
    pub async fn tenant_setting(&self, name: &str) -> StoreResult<Arc<JsonObject>> {
        if let Some(hit) = self.tenant_settings.get(name) {
            return Ok(hit);
        }
        let stored = self.store.tenant_setting(name).await?.unwrap_or_default();
        Ok(self.tenant_settings.insert(name.to_owned(), stored))
    }

    /// The access tokens revoked before they expire, as this node last read them.
    pub fn deny_list(&self) -> &DenyList {
        &self.deny_list
    }

    /// Forgets `user_id`, whom this node just changed.
    pub fn forget_user(&self, user_id: &str) {
        self.users.remove(user_id);
    }

    /// Forgets everything: the next reads go to the store.
    pub fn clear(&self) {
        self.actions.clear();
        self.tenant_settings.clear();
        self.clients.clear();
        self.apis.clear();
        self.client_grants.clear();
        self.users.clear();
        self.permissions.clear();
        self.deny_list.forget();
    }
}

/// A map whose entries are served for at most `ttl` after they were stored.
struct Expiring<K, V> {
    ttl: Duration,
    entries: RwLock<HashMap<K, (Instant, Arc<V>)>>,
}

impl<K: Eq + Hash, V> Expiring<K, V> {
    fn new(ttl: Duration) -> Self {
        Expiring {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.read().ok()?;
        let (stored_at, value) = entries.get(key)?;
        (stored_at.elapsed() < self.ttl).then(|| Arc::clone(value))
    }

    fn insert(&self, key: K, value: V) -> Arc<V> {
        let value = Arc::new(value);
        if self.ttl.is_zero() {
            return value;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                let ttl = self.ttl;
                entries.retain(|_, (stored_at, _)| stored_at.elapsed() < ttl);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, (Instant::now(), Arc::clone(&value)));
        }
        value
    }

    fn remove<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(key);
        }
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_until_its_ttl_passes() {
        let map = Expiring::new(Duration::from_millis(50));
        map.insert("a".to_owned(), 1);
        assert_eq!(map.get("a").as_deref(), Some(&1));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(map.get("a"), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let map = Expiring::new(Duration::ZERO);
        assert_eq!(*map.insert("a".to_owned(), 1), 1);
        assert_eq!(map.get("a"), None);
    }

    #[test]
    fn clear_forgets_every_entry() {
        let map = Expiring::new(Duration::from_secs(60));
        map.insert("a".to_owned(), 1);
        map.clear();
        assert_eq!(map.get("a"), None);
    }
}
