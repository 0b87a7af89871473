//! This node's copy of the access-token deny list. A request never waits on the store for it:
//! once the copy is a `ttl` old, the next request starts one background read of the store and
//! goes on with the copy it has, so a revocation made on any node is honoured everywhere within
//! `ttl` and one read. A node's own revocations are added to its copy as they are made, so they
//! hold there at once; only a node with no copy yet (or with caching off) reads before answering.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tessera_protocol::claims::AccessTokenClaims;
use tessera_protocol::revocation::{AccessRevocation, RevocationList};
use tessera_protocol::Timestamp;
use tessera_store::{Store, StoreResult};

pub struct DenyList(Arc<Inner>);

struct Inner {
    store: Arc<dyn Store>,
    ttl: Duration,
    loaded: RwLock<Option<(Instant, Arc<RevocationList>)>>,
    /// Bumped by every [`DenyList::note`]: a read that started before it is not kept, so a
    /// revocation noted during a read is never hidden behind the list that read returned.
    generation: AtomicU64,
    /// A background read is under way.
    reading: AtomicBool,
}

impl DenyList {
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> DenyList {
        DenyList(Arc::new(Inner {
            store,
            ttl,
            loaded: RwLock::new(None),
            generation: AtomicU64::new(0),
            reading: AtomicBool::new(false),
        }))
    }

    /// Whether a revocation refuses the access token with `claims`.
    pub async fn refuses(&self, claims: &AccessTokenClaims, now: Timestamp) -> StoreResult<bool> {
        let list = match self.0.loaded() {
            Some((list, fresh)) => {
                if !fresh {
                    self.read_in_background(now);
                }
                list
            }
            None => self.0.read(now).await?,
        };
        Ok(list.refuses(claims))
    }

    /// Stores `revocation`; this node honours it from the next check.
    pub async fn revoke(&self, revocation: &AccessRevocation) -> StoreResult<()> {
        self.0.store.revoke_access(revocation).await?;
        self.note(revocation);
        Ok(())
    }

    /// Adds `revocation`, already stored, to this node's copy: honoured from the next check,
    /// without waiting for a read. The copy counts as stale, so the next check also starts a
    /// read of what other nodes revoked meanwhile.
    pub fn note(&self, revocation: &AccessRevocation) {
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut loaded) = self.0.loaded.write() {
            if let Some((_, list)) = loaded.as_ref() {
                let mut noted = RevocationList::clone(list);
                noted.add(revocation.clone());
                *loaded = Some((self.0.stale_since(), Arc::new(noted)));
            }
        }
    }

    /// The next check starts a read of the list (it answers from the copy meanwhile).
    pub fn forget(&self) {
        if let Ok(mut loaded) = self.0.loaded.write() {
            if let Some((read_at, _)) = loaded.as_mut() {
                *read_at = self.0.stale_since();
            }
        }
    }

    fn read_in_background(&self, now: Timestamp) {
        if self.0.reading.swap(true, Ordering::SeqCst) {
            return;
        }
        let inner = Arc::clone(&self.0);
        tokio::spawn(async move {
            if let Err(error) = inner.read(now).await {
                tracing::warn!(%error, "reading the access-token deny list failed; the last copy stays in use");
            }
            inner.reading.store(false, Ordering::SeqCst);
        });
    }
}

impl Inner {
    /// A read time old enough for the copy to count as stale.
    fn stale_since(&self) -> Instant {
        Instant::now()
            .checked_sub(self.ttl)
            .unwrap_or_else(Instant::now)
    }

    /// The list this node holds, if any, and whether it is younger than the TTL.
    fn loaded(&self) -> Option<(Arc<RevocationList>, bool)> {
        let loaded = self.loaded.read().ok()?;
        let (read_at, list) = loaded.as_ref()?;
        Some((Arc::clone(list), read_at.elapsed() < self.ttl))
    }

    async fn read(&self, now: Timestamp) -> StoreResult<Arc<RevocationList>> {
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
}
