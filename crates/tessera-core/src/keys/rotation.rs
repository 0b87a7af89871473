//! Changing the signing keys in the store: rotation (the next key of an algorithm, already
//! published, becomes its signer and a new next key is published) and revocation (a key
//! leaves the JWKS). The Management API, the Dashboard and `tessera keys`
//! all change keys through here; nodes pick changes up at their next key reload.

use tessera_jwt::Algorithm;
use tessera_protocol::Timestamp;
use tessera_store::{SigningKeyRecord, Store};

use super::{current_signers, generate, next_key, KeyError};
use crate::secrets::Sealer;

/// Why a key was not revoked.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("no signing key has the kid `{0}` (see `tessera keys list`)")]
    Unknown(String),
    #[error(
        "`{kid}` is the current {alg} signing key: rotate first (`tessera keys rotate --alg {alg}`) \
         so that another key signs, or pass --force to revoke it anyway"
    )]
    CurrentSigner { kid: String, alg: String },
    #[error(transparent)]
    Store(#[from] tessera_store::StoreError),
}

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// The key was live and is revoked now; its algorithm.
    Revoked {
        alg: String,
    },
    AlreadyRevoked,
}

/// Where a key stands: signing, published ahead of signing, still published, or withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Signs new tokens of its algorithm.
    Current,
    /// Published, signs from the next rotation.
    Next,
    /// Published (tokens it signed still verify), no longer signing.
    Previous,
    Revoked,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Current => "current",
            KeyStatus::Next => "next",
            KeyStatus::Previous => "previous",
            KeyStatus::Revoked => "revoked",
        }
    }

    /// The status of `record` among every stored key `records`.
    pub fn of(record: &SigningKeyRecord, records: &[SigningKeyRecord]) -> KeyStatus {
        if record.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if record.activated_at.is_none() {
            KeyStatus::Next
        } else if current_signers(records).get(record.alg.as_str()) == Some(&record.kid.as_str()) {
            KeyStatus::Current
        } else {
            KeyStatus::Previous
        }
    }
}

/// Makes the next key of `alg` (published already) its current signer, generating one if
/// there is none, then generates and stores a new next key; returns the new signer. Its
/// `activated_at` is after every stored key's, so it is the newest signer even within the same
/// second or when another node's clock ran ahead.
/// New keys are sealed with `sealer`, which must open the live keys (a key sealed with a
/// different secret than the servers' would stop their key reloads).
pub async fn rotate(
    store: &dyn Store,
    sealer: &Sealer,
    alg: Algorithm,
    now: Timestamp,
) -> Result<SigningKeyRecord, KeyError> {
    let records = store.all_signing_keys().await?;
    for record in records.iter().filter(|r| r.revoked_at.is_none()) {
        sealer.open(&record.kid, &record.private_key)?;
    }
    let after_all = records
        .iter()
        .map(|r| r.activated_at.unwrap_or(r.created_at).plus(1))
        .max();
    let at = after_all.map_or(now, |after| after.max(now));
    let signer = match next_key(&records, alg.as_str()) {
        Some(next) if store.activate_signing_key(&next.kid, at).await? => SigningKeyRecord {
            activated_at: Some(at),
            ..next.clone()
        },
        _ => {
            let record = generate(alg, at, Some(at), sealer).await?;
            store.insert_signing_key(&record).await?;
            record
        }
    };
    store
        .insert_signing_key(&generate(alg, at, None, sealer).await?)
        .await?;
    Ok(signer)
}

/// Revokes `kid`, refusing the current signer of its algorithm unless `force`.
pub async fn revoke(
    store: &dyn Store,
    kid: &str,
    force: bool,
    now: Timestamp,
) -> Result<Revoked, RevokeError> {
    let records = store.all_signing_keys().await?;
    let record = records
        .iter()
        .find(|r| r.kid == kid)
        .ok_or_else(|| RevokeError::Unknown(kid.to_owned()))?;
    if record.revoked_at.is_some() {
        return Ok(Revoked::AlreadyRevoked);
    }
    if !force && KeyStatus::of(record, &records) == KeyStatus::Current {
        return Err(RevokeError::CurrentSigner {
            kid: kid.to_owned(),
            alg: record.alg.clone(),
        });
    }
    Ok(if store.revoke_signing_key(kid, now).await? {
        Revoked::Revoked {
            alg: record.alg.clone(),
        }
    } else {
        Revoked::AlreadyRevoked
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kid: &str, alg: &str, at: i64, revoked: bool) -> SigningKeyRecord {
        SigningKeyRecord {
            activated_at: Some(Timestamp(at)),
            kid: kid.into(),
            alg: alg.into(),
            private_key: Vec::new(),
            created_at: Timestamp(at),
            revoked_at: revoked.then_some(Timestamp(at + 5)),
        }
    }

    #[test]
    fn the_signer_is_the_key_activated_last_and_a_key_not_yet_activated_is_next() {
        let records = vec![
            record("old", "RS256", 1, false),
            SigningKeyRecord {
                activated_at: Some(Timestamp(9)),
                ..record("activated-late", "RS256", 2, false)
            },
            record("newer", "RS256", 5, false),
            SigningKeyRecord {
                activated_at: None,
                ..record("upcoming", "RS256", 10, false)
            },
        ];
        let statuses: Vec<_> = records
            .iter()
            .map(|r| KeyStatus::of(r, &records).as_str())
            .collect();
        assert_eq!(statuses, ["previous", "current", "previous", "next"]);
        assert_eq!(
            next_key(&records, "RS256").map(|r| r.kid.as_str()),
            Some("upcoming")
        );
        assert_eq!(next_key(&records, "ES256"), None);
    }

    #[test]
    fn status_is_current_for_the_newest_live_key_of_each_algorithm() {
        let records = vec![
            record("a", "RS256", 1, false),
            record("b", "ES256", 2, false),
            record("c", "RS256", 3, false),
            record("d", "RS256", 4, true),
        ];
        let statuses: Vec<_> = records
            .iter()
            .map(|r| KeyStatus::of(r, &records).as_str())
            .collect();
        assert_eq!(statuses, ["previous", "current", "current", "revoked"]);
    }
}
