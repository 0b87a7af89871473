//! The DPoP proofs a [`crate::Validator`] has accepted, remembered until their `iat` is too old
//! to be accepted anyway (RFC 9449 §11.1), so that each is accepted once. In memory, per process:
//! replicas of an API do not see each other's proofs.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use tessera_jwt::dpop::CheckedProof;

use crate::BearerError;

/// Why a proof is not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotRecorded {
    /// Its `jti` was accepted before, with the same key.
    Replayed,
    /// The cache holds `capacity` live proofs; accepting more would mean forgetting one that
    /// could still be replayed.
    Full,
}

impl From<NotRecorded> for BearerError {
    fn from(why: NotRecorded) -> BearerError {
        match why {
            NotRecorded::Replayed => {
                BearerError::InvalidDpopProof("the DPoP proof was already used".into())
            }
            NotRecorded::Full => BearerError::DpopReplayCacheFull,
        }
    }
}

#[derive(Default)]
struct Seen {
    /// Proof key → until when it is remembered (Unix seconds).
    until: HashMap<[u8; 32], i64>,
    /// The same entries in the order they expire in.
    by_expiry: BTreeSet<(i64, [u8; 32])>,
}

/// A bounded set of accepted proofs, keyed by their key's thumbprint and `jti`.
pub(crate) struct ReplayCache {
    capacity: usize,
    seen: Mutex<Seen>,
}

impl ReplayCache {
    pub(crate) fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity,
            seen: Mutex::default(),
        }
    }

    /// Records `proof` as accepted at `now`, unless it was accepted before.
    pub(crate) fn record(&self, proof: &CheckedProof, now: i64) -> Result<(), NotRecorded> {
        let key = proof.replay_key();
        // Nothing panics while the lock is held, but a poisoned lock must not take the API down.
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.forget_expired(now);
        if seen.until.contains_key(&key) {
            return Err(NotRecorded::Replayed);
        }
        if seen.until.len() >= self.capacity {
            tracing::warn!(
                capacity = self.capacity,
                "the DPoP replay cache is full; refusing proofs until some expire"
            );
            return Err(NotRecorded::Full);
        }
        let until = proof.replay_window_end();
        seen.until.insert(key, until);
        seen.by_expiry.insert((until, key));
        Ok(())
    }
}

impl Seen {
    /// Drops the proofs whose `iat` is now outside the window a proof is accepted in.
    fn forget_expired(&mut self, now: i64) {
        while let Some(first) = self.by_expiry.first() {
            if first.0 > now {
                break;
            }
            if let Some((_, key)) = self.by_expiry.pop_first() {
                self.until.remove(&key);
            }
        }
    }
}
