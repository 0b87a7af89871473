//! The signing keys in use: loaded from the store (generated on demand), parsed once, with the
//! JWKS document rendered once. One current signer per algorithm — the last activated key of
//! that algorithm not revoked — and, as Auth0 has, a next key published before it signs, so
//! that APIs caching the JWKS know a rotation's key before it is used. The JWKS publishes, as Auth0's does, only the keys of algorithms in
//! use: ID tokens' (RS256) and every API's `signing_alg` (SDKs that load every published key as
//! RSA fail on others); tokens still verify here against any key not revoked. [`Keys`] reloads
//! them from the store, so a key rotated by `tessera keys` or an API given another algorithm on
//! any node is served and used without a restart.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tessera_jwt::{Algorithm, JwkSet, JwtError, SigningKey, VerifyingKey};
use tessera_protocol::Timestamp;
use tessera_store::{SigningKeyRecord, Store, StoreError};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::clock::Clock;
use crate::secrets::{Opened, Sealer, SecretError};

mod rotation;

pub use rotation::{revoke, rotate, KeyStatus, RevokeError, Revoked};

/// The algorithm of ID tokens (discovery's `id_token_signing_alg_values_supported`).
pub const ID_TOKEN_ALGORITHM: Algorithm = Algorithm::RS256;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Jwt(#[from] JwtError),
    #[error("serializing the JWKS: {0}")]
    Json(#[from] serde_json::Error),
    #[error("generating a key: {0}")]
    Generate(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// One consistent set of keys: the signers, the verifiers of every published key, the JWKS.
#[derive(Debug)]
pub struct KeyRing {
    /// Every key not revoked, oldest first, as the store orders them.
    published: Vec<Arc<SigningKey>>,
    signers: HashMap<Algorithm, Arc<SigningKey>>,
    verifiers: HashMap<String, VerifyingKey>,
    /// The algorithms whose keys the JWKS publishes.
    in_use: BTreeSet<Algorithm>,
    jwks_json: String,
}

impl KeyRing {
    /// Builds the ring from the store's live keys (oldest first), publishing the keys of the
    /// algorithms `in_use`, reusing the parsed keys of `previous` so a reload parses only the
    /// keys that are new.
    pub fn from_records(
        records: &[SigningKeyRecord],
        in_use: BTreeSet<Algorithm>,
        previous: Option<&KeyRing>,
        sealer: &Sealer,
    ) -> Result<KeyRing, KeyError> {
        let mut published = Vec::with_capacity(records.len());
        for record in records.iter().filter(|r| r.revoked_at.is_none()) {
            let reused = previous.and_then(|ring| {
                ring.published
                    .iter()
                    .find(|k| k.kid() == record.kid && k.algorithm().as_str() == record.alg)
            });
            published.push(match reused {
                Some(key) => Arc::clone(key),
                None => Arc::new(parse(record, sealer)?),
            });
        }
        let current = current_signers(records);
        let signers = published
            .iter()
            .filter(|key| current.get(key.algorithm().as_str()) == Some(&key.kid()))
            .map(|key| (key.algorithm(), Arc::clone(key)))
            .collect();
        let live: Vec<_> = published.iter().map(|key| key.public_jwk()).collect();
        let verifiers = live
            .iter()
            .map(|jwk| Ok((jwk.kid.clone(), VerifyingKey::from_jwk(jwk)?)))
            .collect::<Result<HashMap<_, _>, JwtError>>()?;
        let jwks = JwkSet {
            keys: published
                .iter()
                .zip(live)
                .filter(|(key, _)| in_use.contains(&key.algorithm()))
                .map(|(_, jwk)| jwk)
                .collect(),
        };
        Ok(KeyRing {
            published,
            signers,
            verifiers,
            in_use,
            jwks_json: serde_json::to_string(&jwks)?,
        })
    }

    /// The current signer for `alg`, if the ring has a key of that algorithm.
    pub fn signer(&self, alg: Algorithm) -> Option<&SigningKey> {
        self.signers.get(&alg).map(AsRef::as_ref)
    }

    /// The current signer for the algorithm named `alg` (an API's `signing_alg`).
    pub fn signer_for(&self, alg: &str) -> Result<&SigningKey, JwtError> {
        let alg = Algorithm::parse(alg)?;
        self.signer(alg)
            .ok_or_else(|| JwtError::InvalidKey(format!("there is no current {alg} signing key")))
    }

    /// The signer of ID tokens (RS256).
    pub fn id_token_signer(&self) -> Result<&SigningKey, JwtError> {
        self.signer_for(ID_TOKEN_ALGORITHM.as_str())
    }

    /// The verifier of the published key `kid`.
    pub fn verifier(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifiers.get(kid)
    }

    /// The key ids published, oldest first.
    pub fn kids(&self) -> Vec<&str> {
        self.published.iter().map(|key| key.kid()).collect()
    }

    /// The JWKS document (`/.well-known/jwks.json`).
    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    /// Whether the ring holds exactly the live keys among `records`, in their order, signs with
    /// their current signers, and publishes those of `in_use`.
    fn is_built_from(&self, records: &[SigningKeyRecord], in_use: &BTreeSet<Algorithm>) -> bool {
        let live = records.iter().filter(|r| r.revoked_at.is_none());
        let signers = current_signers(records);
        self.in_use == *in_use
            && self.signers.len() == signers.len()
            && self
                .signers
                .iter()
                .all(|(alg, key)| signers.get(alg.as_str()) == Some(&key.kid()))
            && self.published.len() == live.clone().count()
            && self
                .published
                .iter()
                .zip(live)
                .all(|(k, r)| k.kid() == r.kid)
    }
}

fn parse(record: &SigningKeyRecord, sealer: &Sealer) -> Result<SigningKey, KeyError> {
    let opened = sealer.open(&record.kid, &record.private_key)?;
    Ok(SigningKey::from_pkcs8(
        Algorithm::parse(&record.alg)?,
        opened.der(),
    )?)
}

/// The kid of the current signer of each algorithm among `records`: the key of that algorithm
/// activated last and not revoked (ties: the newer, then the greater kid, so every node picks
/// the same). The server and `tessera keys` agree through this one rule.
pub fn current_signers(records: &[SigningKeyRecord]) -> HashMap<&str, &str> {
    let mut signing: Vec<&SigningKeyRecord> = records
        .iter()
        .filter(|r| r.revoked_at.is_none() && r.activated_at.is_some())
        .collect();
    signing.sort_by_key(|r| (r.activated_at, r.created_at, r.kid.as_str()));
    signing
        .into_iter()
        .map(|r| (r.alg.as_str(), r.kid.as_str()))
        .collect()
}

/// The next key of `alg` among `records`: the oldest live key not yet signing.
pub fn next_key<'a>(records: &'a [SigningKeyRecord], alg: &str) -> Option<&'a SigningKeyRecord> {
    records
        .iter()
        .filter(|r| r.alg == alg && r.revoked_at.is_none() && r.activated_at.is_none())
        .min_by_key(|r| (r.created_at, r.kid.as_str()))
}

/// The algorithms the server must be able to sign with: all of them, so an API created or
/// changed at runtime (Management API, dashboard) can use any `signing_alg` at once. Keys are
/// generated once, at the first start.
pub fn required_algorithms() -> Vec<Algorithm> {
    Algorithm::ALL.to_vec()
}

/// The algorithms whose keys the JWKS publishes: ID tokens' and every API's `signing_alg` (an
/// algorithm Tessera cannot sign with is not among the keys anyway).
pub async fn algorithms_in_use(store: &dyn Store) -> Result<BTreeSet<Algorithm>, KeyError> {
    let mut in_use = BTreeSet::from([ID_TOKEN_ALGORITHM]);
    for alg in store.api_signing_algorithms().await? {
        if let Ok(alg) = Algorithm::parse(&alg) {
            in_use.insert(alg);
        }
    }
    Ok(in_use)
}

/// Generates a key for `alg` off the async executor (RSA generation takes a while), sealed; it
/// signs from `activated_at`, or is a next key when that is `None`.
pub async fn generate(
    alg: Algorithm,
    now: Timestamp,
    activated_at: Option<Timestamp>,
    sealer: &Sealer,
) -> Result<SigningKeyRecord, KeyError> {
    let key = tokio::task::spawn_blocking(move || SigningKey::generate(alg)).await??;
    Ok(SigningKeyRecord {
        kid: key.kid().to_owned(),
        alg: alg.as_str().to_owned(),
        private_key: sealer.seal(key.kid(), &key.pkcs8()?)?,
        created_at: now,
        activated_at,
        revoked_at: None,
    })
}

/// The store's live keys, after generating for each algorithm in `required` a signing key and a
/// next key where it has none. Nodes racing here may each add one; the store's order picks the
/// same signer for all, and a rotation activates the oldest next key.
async fn live_keys_with(
    store: &dyn Store,
    required: &[Algorithm],
    now: Timestamp,
    sealer: &Sealer,
) -> Result<Vec<SigningKeyRecord>, KeyError> {
    let mut records = store.signing_keys().await?;
    if reseal_legacy(store, &records, sealer).await? {
        records = store.signing_keys().await?;
    }
    let signing = current_signers(&records);
    let mut missing = Vec::new();
    for alg in required {
        if !signing.contains_key(alg.as_str()) {
            missing.push((*alg, Some(now)));
        }
        if next_key(&records, alg.as_str()).is_none() {
            missing.push((*alg, None));
        }
    }
    if missing.is_empty() {
        return Ok(records);
    }
    for (alg, activated_at) in missing {
        let record = generate(alg, now, activated_at, sealer).await?;
        let role = if activated_at.is_some() {
            "signing"
        } else {
            "next"
        };
        tracing::info!(kid = %record.kid, %alg, role, "generated a signing key");
        store.insert_signing_key(&record).await?;
    }
    Ok(store.signing_keys().await?)
}

/// Seals the keys stored in plaintext by versions before keys were sealed; true if any was.
/// Compare-and-set: a node racing here changes nothing twice.
async fn reseal_legacy(
    store: &dyn Store,
    records: &[SigningKeyRecord],
    sealer: &Sealer,
) -> Result<bool, KeyError> {
    let mut resealed = false;
    for record in records {
        if let Opened::Legacy(der) = sealer.open(&record.kid, &record.private_key)? {
            let sealed = sealer.seal(&record.kid, &der)?;
            if store
                .replace_signing_key_material(&record.kid, &record.private_key, &sealed)
                .await?
            {
                tracing::info!(kid = %record.kid, "sealed a signing key stored in plaintext");
                resealed = true;
            }
        }
    }
    Ok(resealed)
}

/// The key ring in use, swapped as a whole when the store's keys change.
#[derive(Debug)]
pub struct Keys {
    ring: RwLock<Arc<KeyRing>>,
    required: Vec<Algorithm>,
    sealer: Sealer,
    refresh_interval: Duration,
    /// When a token with an unknown `kid` last forced a reload (at most one a second).
    forced_reload: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Keys {
    /// Loads the store's keys, first generating one for each `required` algorithm that has
    /// none. `refresh_interval` is how often [`Keys::spawn_refresh`] reloads them.
    pub async fn load_or_create(
        store: &dyn Store,
        now: Timestamp,
        required: &[Algorithm],
        refresh_interval: Duration,
        sealer: Sealer,
    ) -> Result<Keys, KeyError> {
        let records = live_keys_with(store, required, now, &sealer).await?;
        let in_use = algorithms_in_use(store).await?;
        Ok(Keys {
            ring: RwLock::new(Arc::new(KeyRing::from_records(
                &records, in_use, None, &sealer,
            )?)),
            required: required.to_vec(),
            sealer,
            // tokio's interval refuses a zero period.
            refresh_interval: refresh_interval.max(Duration::from_secs(1)),
            forced_reload: std::sync::Mutex::new(None),
        })
    }

    /// A ring that knows `kid` if the store has it: the current one, or — at most once a second,
    /// so forged kids cannot hammer the store — a fresh reload. Another node may have just
    /// generated or rotated the key that signed a token presented here.
    pub async fn ring_with(&self, kid: &str, store: &dyn Store, now: Timestamp) -> Arc<KeyRing> {
        let ring = self.current();
        if ring.verifier(kid).is_some() {
            return ring;
        }
        let may_reload = {
            let mut last = self
                .forced_reload
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let due = last.is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
            if due {
                *last = Some(std::time::Instant::now());
            }
            due
        };
        if may_reload {
            if let Err(error) = self.reload(store, now).await {
                tracing::warn!(%error, "reloading the signing keys for an unknown kid failed");
            }
        }
        self.current()
    }

    /// What new keys are sealed with.
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The ring to use for this request: hold the `Arc`, not the lock.
    pub fn current(&self) -> Arc<KeyRing> {
        Arc::clone(&self.ring.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reloads from the store (generating a key for a required algorithm left without one, e.g.
    /// after a forced revocation), with the algorithms the APIs use now. True when the ring
    /// changed.
    pub async fn reload(&self, store: &dyn Store, now: Timestamp) -> Result<bool, KeyError> {
        let records = live_keys_with(store, &self.required, now, &self.sealer).await?;
        let in_use = algorithms_in_use(store).await?;
        let current = self.current();
        if current.is_built_from(&records, &in_use) {
            return Ok(false);
        }
        let ring = Arc::new(KeyRing::from_records(
            &records,
            in_use,
            Some(&current),
            &self.sealer,
        )?);
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = ring;
        Ok(true)
    }

    /// Reloads every `refresh_interval` until the task is aborted; a failed reload keeps the
    /// current keys and is retried at the next tick.
    pub fn spawn_refresh(self: Arc<Self>, store: Arc<dyn Store>, clock: Clock) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(self.refresh_interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker.tick().await; // The first tick is immediate; the keys were just loaded.
            loop {
                ticker.tick().await;
                match self.reload(store.as_ref(), clock.now()).await {
                    Ok(true) => {
                        let ring = self.current();
                        tracing::info!(kids = ?ring.kids(), "signing keys reloaded");
                    }
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(%error, "reloading the signing keys failed; keeping the current ones");
                    }
                }
            }
        })
    }
}
