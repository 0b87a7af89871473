//! Signing keys: list, rotate, revoke. A change is served by this node at once and by every
//! other node within its `key_refresh_interval`.

use serde::{Deserialize, Serialize};
use tessera_core::audit::key_changed;
use tessera_core::keys::{self, KeyStatus, RevokeError, Revoked};
use tessera_jwt::Algorithm;
use tessera_store::SigningKeyRecord;

use crate::error::{AdminError, AdminResult, Missing};
use crate::service::{Admin, Caller, Principal};

/// The algorithm of a rotation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RotateQuery {
    /// The new key's algorithm: `RS256` (when absent), `PS256`, `ES256` or `EdDSA`.
    pub alg: Option<String>,
}

/// A signing key (its public part is in `/.well-known/jwks.json` unless revoked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SigningKey {
    /// The RFC 7638 thumbprint.
    pub kid: String,
    pub alg: String,
    /// Signs new tokens of its algorithm.
    pub current: bool,
    /// Published ahead of signing: becomes current at the next rotation.
    pub next: bool,
    /// Published, no longer signing.
    pub previous: bool,
    pub revoked: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub revoked_at: Option<String>,
}

impl SigningKey {
    fn of(record: &SigningKeyRecord, all: &[SigningKeyRecord]) -> SigningKey {
        let status = KeyStatus::of(record, all);
        SigningKey {
            kid: record.kid.clone(),
            alg: record.alg.clone(),
            current: status == KeyStatus::Current,
            next: status == KeyStatus::Next,
            previous: status == KeyStatus::Previous,
            revoked: status == KeyStatus::Revoked,
            created_at: record.created_at.rfc3339(),
            revoked_at: record.revoked_at.map(|at| at.rfc3339()),
        }
    }

    /// `current`, `next`, `previous` or `revoked`.
    pub fn status(&self) -> &'static str {
        if self.revoked {
            KeyStatus::Revoked.as_str()
        } else if self.current {
            KeyStatus::Current.as_str()
        } else if self.next {
            KeyStatus::Next.as_str()
        } else {
            KeyStatus::Previous.as_str()
        }
    }
}

/// The key a rotation created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RotatedKey {
    pub kid: String,
    pub alg: String,
}

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRevocation {
    pub key: SigningKey,
    /// It was revoked before; nothing changed.
    pub already_revoked: bool,
}

impl Admin {
    /// Every signing key, oldest first.
    pub async fn list_signing_keys(&self, caller: &Caller) -> AdminResult<Vec<SigningKey>> {
        caller.require("read:signing_keys")?;
        let all = self.store().all_signing_keys().await?;
        Ok(all.iter().map(|r| SigningKey::of(r, &all)).collect())
    }

    /// The next key (published already) signs `alg` tokens from now on and a new next key is
    /// published; the previous one stays published until revoked.
    pub async fn rotate_signing_key(
        &self,
        caller: &Caller,
        query: &RotateQuery,
    ) -> AdminResult<RotatedKey> {
        caller.require("create:signing_keys")?;
        caller.require("update:signing_keys")?;
        let alg = Algorithm::parse(query.alg.as_deref().unwrap_or("RS256")).map_err(|_| {
            AdminError::InvalidQuery("alg must be RS256, PS256, ES256 or EdDSA".into())
        })?;
        let record = keys::rotate(self.store(), &self.parts().sealer, alg, self.now()).await?;
        self.reload_keys().await?;
        let event = key_changed("Rotate the signing key", &record.kid, &record.alg);
        self.record(caller, caller.event(event));
        Ok(RotatedKey {
            kid: record.kid,
            alg: record.alg,
        })
    }

    /// The key leaves the JWKS: tokens it signed stop verifying. The current signer of an
    /// algorithm is refused unless `force` (which only the CLI offers).
    pub async fn revoke_signing_key(
        &self,
        caller: &Caller,
        kid: &str,
        force: bool,
    ) -> AdminResult<KeyRevocation> {
        caller.require("update:signing_keys")?;
        let outcome = match keys::revoke(self.store(), kid, force, self.now()).await {
            Ok(outcome) => outcome,
            Err(RevokeError::Unknown(_)) => {
                return Err(AdminError::NotFound(
                    Missing::Other,
                    format!("The signing key `{kid}`"),
                ))
            }
            Err(refused @ RevokeError::CurrentSigner { .. }) => {
                return Err(current_signer(caller, kid, &refused))
            }
            Err(RevokeError::Store(error)) => return Err(error.into()),
        };
        self.reload_keys().await?;
        let all = self.store().all_signing_keys().await?;
        let record = all.iter().find(|r| r.kid == kid).ok_or_else(|| {
            AdminError::NotFound(Missing::Other, format!("The signing key `{kid}`"))
        })?;
        if let Revoked::Revoked { alg } = &outcome {
            let event = key_changed("Revoke a signing key", kid, alg);
            self.record(caller, caller.event(event));
        }
        Ok(KeyRevocation {
            key: SigningKey::of(record, &all),
            already_revoked: outcome == Revoked::AlreadyRevoked,
        })
    }

    /// This node signs and verifies with the store's keys at once.
    pub(crate) async fn reload_keys(&self) -> AdminResult<()> {
        if let Some(live) = &self.parts().live {
            live.keys.reload(self.store(), self.now()).await?;
        }
        Ok(())
    }
}

/// Refusing to revoke the current signer: the CLI can force it, the Management API cannot.
fn current_signer(caller: &Caller, kid: &str, refused: &RevokeError) -> AdminError {
    match caller.principal {
        Principal::Cli => AdminError::InvalidBody(refused.to_string()),
        _ => AdminError::InvalidBody(format!(
            "`{kid}` is the current signing key; rotate first, then revoke it"
        )),
    }
}
