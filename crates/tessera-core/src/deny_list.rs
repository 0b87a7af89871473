//! This node's copy of the access-token deny list: read from the store at most once per `ttl`
//! (by one request at a time; the others wait for it), so a revocation made on any node is
//! honoured everywhere within `ttl`, and at once on the node that made it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tessera_protocol::claims::AccessTokenClaims;
use tessera_protocol::revocation::{AccessRevocation, RevocationList};
use tessera_protocol::Timestamp;
use tessera_store::{Store, StoreResult};

pub struct DenyList {
    store: Arc<dyn Store>,
    ttl: Duration,
    loaded: RwLock<Option<(Instant, Arc<RevocationList>)>>,
    /// Bumped by every [`DenyList::forget`]: a read that started before it is not kept, so a
    /// revocation made during a read is never hidden behind the list that read returned.
    generation: AtomicU64,
    reading: tokio::sync::Mutex<()>,
}

impl DenyList {
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> DenyList {
        DenyList {
            store,
            ttl,
            loaded: RwLock::new(None),
            generation: AtomicU64::new(0),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether a revocation refuses the access token with `claims`.
    pub async fn refuses(&self, claims: &AccessTokenClaims, now: Timestamp) -> StoreResult<bool> {
        Ok(self.current(now).await?.refuses(claims))
    }

    /// Stores `revocation`; this node honours it from the next check.
    pub async fn revoke(&self, revocation: &AccessRevocation) -> StoreResult<()> {
        self.store.revoke_access(revocation).await?;
        self.forget();
        Ok(())
    }

    /// The next check reads the list from the store again.
    pub fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = None;
        }
    }

    async fn current(&self, now: Timestamp) -> StoreResult<Arc<RevocationList>> {
        if let Some(list) = self.fresh() {
            return Ok(list);
        }
        let _one_reader = self.reading.lock().await;
        if let Some(list) = self.fresh() {
            return Ok(list);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let list = Arc::new(RevocationList::of(
            self.store.access_revocations(now).await?,
        ));
        if !self.ttl.is_zero() {
            if let Ok(mut loaded) = self.loaded.write() {
                if self.generation.load(Ordering::SeqCst) == generation {
                    *loaded = Some((Instant::now(), Arc::clone(&list)));
                }
            }
        }
        Ok(list)
    }

    fn fresh(&self) -> Option<Arc<RevocationList>> {
        let loaded = self.loaded.read().ok()?;
        let (read_at, list) = loaded.as_ref()?;
        (read_at.elapsed() < self.ttl).then(|| Arc::clone(list))
    }
}
