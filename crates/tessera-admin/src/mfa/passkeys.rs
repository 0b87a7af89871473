//! Passkeys (WebAuthn, verified by `webauthn-rs`): registering one, and proving one — as a
//! second factor of a known user, or as a login of its own in which the authenticator names
//! the account (a discoverable credential, offered by the browser's autofill).
//!
//! A ceremony's state goes to the browser sealed with the master secret, bound to what it is
//! for (its kind, and the pending authorization or session it belongs to): it cannot be forged,
//! read, or finished elsewhere. It is accepted for five minutes and once: its digest is recorded
//! with the other one-time values (as DPoP proofs' are), so a replayed response is refused on
//! every node. The relying party is the issuer's host; an issuer at an IP address has none
//! (browsers refuse IP addresses as RP ids), and passkeys are then not offered.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tessera_core::crypto::random_alphanumeric;
use tessera_protocol::mfa::AuthMethod;
use tessera_protocol::SecretDigest;
use tessera_store::{Authenticator, AuthenticatorKind};
use webauthn_rs::prelude::{
    AuthenticationResult, Credential, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Uuid, Webauthn,
    WebauthnError,
};

use crate::error::{AdminError, AdminResult};
use crate::service::Admin;

/// How long a begun ceremony can be finished: WebAuthn's own default timeout.
const CEREMONY_SECONDS: i64 = 300;

/// What a ceremony does; sealed into its state, so that one kind cannot finish another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// A new passkey for a known user.
    Registration,
    /// A known user proves one of their passkeys.
    SecondFactor,
    /// Someone proves a passkey, which names their account.
    Login,
}

impl CeremonyKind {
    fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Registration => "registration",
            CeremonyKind::SecondFactor => "second-factor",
            CeremonyKind::Login => "login",
        }
    }
}

/// A ceremony begun: the options for `navigator.credentials` (JSON) and the sealed state the
/// page posts back with the browser's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub options: String,
    pub sealed: String,
}

/// A ceremony's state as sealed into the page.
#[derive(Serialize, Deserialize)]
struct Sealed<S> {
    state: S,
    begun_at: i64,
}

/// A passkey as stored: the credential (public key, counter) and the user handle its
/// authenticator keeps and returns at a discoverable login.
#[derive(Serialize, Deserialize)]
struct StoredPasskey {
    user_handle: Uuid,
    passkey: Passkey,
}

/// A passkey proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyProof {
    pub user_id: String,
    /// RFC 8176: `hwk` for a key bound to its device, `swk` for one a platform syncs.
    pub method: AuthMethod,
}

/// Why a ceremony's answer was refused (each a clear message for the page; the details go to
/// the log, never to the browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyRefusal {
    /// Sealed for something else, unreadable, or older than five minutes.
    Expired,
    /// Finished once already.
    Replayed,
    /// The browser's answer did not verify: wrong origin, RP id, challenge, signature or
    /// counter, or no user verification.
    Unverified,
    /// No such passkey (removed, or never registered here).
    Unknown,
    /// The credential is registered already.
    Taken,
}

fn internal(what: &str) -> impl Fn(serde_json::Error) -> AdminError + '_ {
    move |e| AdminError::Internal(format!("{what}: {e}"))
}

/// A WebAuthn check's outcome: why it failed goes to the log, never to the browser.
fn verified<T>(outcome: Result<T, WebauthnError>) -> Result<T, PasskeyRefusal> {
    outcome.map_err(|error| {
        tracing::info!(%error, "a passkey answer did not verify");
        PasskeyRefusal::Unverified
    })
}

fn stored(authenticator: &Authenticator) -> AdminResult<StoredPasskey> {
    serde_json::from_slice(&authenticator.secret).map_err(internal("a stored passkey"))
}

/// RFC 8176: a key its platform may copy to other devices is software-protected.
fn key_method(backup_eligible: bool) -> AuthMethod {
    if backup_eligible {
        AuthMethod::Swk
    } else {
        AuthMethod::Hwk
    }
}

impl Admin {
    /// Passkeys can be used here (the issuer has a domain name).
    pub fn passkeys_available(&self) -> bool {
        self.relying_party().is_some()
    }

    fn ceremony_context(kind: CeremonyKind, bound_to: &str) -> String {
        format!("webauthn-{}:{bound_to}", kind.as_str())
    }

    fn seal_ceremony<S: Serialize, O: Serialize>(
        &self,
        kind: CeremonyKind,
        bound_to: &str,
        options: &O,
        state: S,
    ) -> AdminResult<Ceremony> {
        let sealed = Sealed {
            state,
            begun_at: self.now().0,
        };
        let context = Self::ceremony_context(kind, bound_to);
        Ok(Ceremony {
            options: serde_json::to_string(options).map_err(internal("passkey options"))?,
            sealed: self
                .parts()
                .sealer
                .seal_json(&context, &sealed)
                .map_err(|e| AdminError::Internal(e.to_string()))?,
        })
    }

    /// The state of a ceremony posted back: unsealed, within its time, and spent.
    async fn spend_ceremony<S: DeserializeOwned>(
        &self,
        kind: CeremonyKind,
        bound_to: &str,
        sealed: &str,
    ) -> AdminResult<Result<S, PasskeyRefusal>> {
        let context = Self::ceremony_context(kind, bound_to);
        let Some(ceremony) = self.parts().sealer.open_json::<Sealed<S>>(&context, sealed) else {
            return Ok(Err(PasskeyRefusal::Expired));
        };
        let now = self.now();
        let expires_at = tessera_protocol::Timestamp(ceremony.begun_at + CEREMONY_SECONDS);
        if now.0 >= expires_at.0 || now.0 < ceremony.begun_at {
            return Ok(Err(PasskeyRefusal::Expired));
        }
        let digest = SecretDigest::of(&format!("{context}\n{sealed}"));
        if !self.store().first_use(&digest, expires_at, now).await? {
            return Ok(Err(PasskeyRefusal::Replayed));
        }
        Ok(Ok(ceremony.state))
    }

    /// A ceremony's answer posted back: the relying party, the ceremony's state (spent) and
    /// the browser's answer, parsed; or why it cannot be checked.
    async fn answered<S: DeserializeOwned, A: DeserializeOwned>(
        &self,
        kind: CeremonyKind,
        bound_to: &str,
        sealed: &str,
        answer: &str,
    ) -> AdminResult<Result<(&Webauthn, S, A), PasskeyRefusal>> {
        let Some(rp) = self.relying_party() else {
            return Ok(Err(PasskeyRefusal::Expired));
        };
        let state = match self.spend_ceremony(kind, bound_to, sealed).await? {
            Ok(state) => state,
            Err(refusal) => return Ok(Err(refusal)),
        };
        Ok(match serde_json::from_str::<A>(answer) {
            Ok(answer) => Ok((rp, state, answer)),
            Err(_) => Err(PasskeyRefusal::Unverified),
        })
    }

    async fn passkeys_of(&self, user_id: &str) -> AdminResult<Vec<(Authenticator, StoredPasskey)>> {
        let mut passkeys = Vec::new();
        for authenticator in self.store().authenticators(user_id).await? {
            if authenticator.kind == AuthenticatorKind::Passkey {
                let passkey = stored(&authenticator)?;
                passkeys.push((authenticator, passkey));
            }
        }
        Ok(passkeys)
    }

    /// Begins registering a passkey for the user (`account` names it in the authenticator),
    /// for the pending authorization or session `bound_to`. A discoverable credential is asked
    /// for, so that it can later sign in without a name; the user's passkeys are excluded.
    pub async fn begin_passkey_registration(
        &self,
        user_id: &str,
        account: &str,
        bound_to: &str,
    ) -> AdminResult<Option<Ceremony>> {
        let Some(rp) = self.relying_party() else {
            return Ok(None);
        };
        let existing = self.passkeys_of(user_id).await?;
        let user_handle = existing
            .first()
            .map(|(_, stored)| stored.user_handle)
            .unwrap_or_else(Uuid::new_v4);
        let exclude = existing
            .iter()
            .map(|(_, stored)| stored.passkey.cred_id().clone())
            .collect::<Vec<_>>();
        let (options, state) = rp
            .start_passkey_registration(user_handle, account, account, Some(exclude))
            .map_err(|e| AdminError::Internal(format!("a passkey registration: {e}")))?;
        let mut options = serde_json::to_value(options).map_err(internal("passkey options"))?;
        // A discoverable credential, which webauthn-rs only prefers: without it, the passkey
        // could not sign in before a name is typed.
        if let Some(selection) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(|v| v.as_object_mut())
        {
            selection.insert("residentKey".into(), "required".into());
            selection.insert("requireResidentKey".into(), true.into());
        }
        let state: (Uuid, PasskeyRegistration) = (user_handle, state);
        self.seal_ceremony(CeremonyKind::Registration, bound_to, &options, state)
            .map(Some)
    }

    /// Finishes a registration: the browser's `response` verified against the sealed state
    /// (with user verification), and the passkey stored for the user; or why it was refused.
    pub async fn finish_passkey_registration(
        &self,
        user_id: &str,
        bound_to: &str,
        sealed: &str,
        response: &str,
    ) -> AdminResult<Result<PasskeyProof, PasskeyRefusal>> {
        let kind = CeremonyKind::Registration;
        let (rp, (user_handle, state), response): (_, (Uuid, PasskeyRegistration), _) =
            match self.answered(kind, bound_to, sealed, response).await? {
                Ok(answered) => answered,
                Err(refusal) => return Ok(Err(refusal)),
            };
        let response: RegisterPublicKeyCredential = response;
        let passkey = match verified(rp.finish_passkey_registration(&response, &state)) {
            Ok(passkey) => passkey,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id());
        let synced = Credential::from(passkey.clone()).backup_eligible;
        let id = format!(
            "{}|dev_{}",
            AuthenticatorKind::Passkey.as_str(),
            random_alphanumeric(16)?
        );
        let record = StoredPasskey {
            user_handle,
            passkey,
        };
        let authenticator = Authenticator {
            id: id.clone(),
            user_id: user_id.to_owned(),
            kind: AuthenticatorKind::Passkey,
            secret: serde_json::to_vec(&record).map_err(internal("a passkey"))?,
            credential_id: Some(credential_id),
            name: None,
            confirmed: true,
            created_at: self.now(),
            last_auth_at: None,
            last_step: None,
        };
        if !self.store().add_passkey(&authenticator).await? {
            return Ok(Err(PasskeyRefusal::Taken));
        }
        Ok(Ok(PasskeyProof {
            user_id: user_id.to_owned(),
            method: key_method(synced),
        }))
    }

    /// Begins asking the user for one of their passkeys; none when they have none.
    pub async fn begin_passkey_challenge(
        &self,
        user_id: &str,
        bound_to: &str,
    ) -> AdminResult<Option<Ceremony>> {
        let Some(rp) = self.relying_party() else {
            return Ok(None);
        };
        let passkeys: Vec<Passkey> = self
            .passkeys_of(user_id)
            .await?
            .into_iter()
            .map(|(_, stored)| stored.passkey)
            .collect();
        if passkeys.is_empty() {
            return Ok(None);
        }
        let (options, state) = rp
            .start_passkey_authentication(&passkeys)
            .map_err(|e| AdminError::Internal(format!("a passkey challenge: {e}")))?;
        self.seal_ceremony(CeremonyKind::SecondFactor, bound_to, &options, state)
            .map(Some)
    }

    /// Finishes a challenge: one of the user's passkeys, verified, its counter recorded.
    pub async fn finish_passkey_challenge(
        &self,
        user_id: &str,
        bound_to: &str,
        sealed: &str,
        response: &str,
    ) -> AdminResult<Result<PasskeyProof, PasskeyRefusal>> {
        let kind = CeremonyKind::SecondFactor;
        let (rp, state, response): (_, PasskeyAuthentication, PublicKeyCredential) =
            match self.answered(kind, bound_to, sealed, response).await? {
                Ok(answered) => answered,
                Err(refusal) => return Ok(Err(refusal)),
            };
        let result = match verified(rp.finish_passkey_authentication(&response, &state)) {
            Ok(result) => result,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let credential_id = URL_SAFE_NO_PAD.encode(result.cred_id());
        match self.store().passkey(&credential_id).await? {
            Some(authenticator) if authenticator.user_id == user_id => {
                self.record_use(authenticator, &result).await
            }
            _ => Ok(Err(PasskeyRefusal::Unknown)),
        }
    }

    /// Begins a login by passkey in which the authenticator names the account (autofill).
    pub fn begin_passkey_login(&self, bound_to: &str) -> AdminResult<Option<Ceremony>> {
        let Some(rp) = self.relying_party() else {
            return Ok(None);
        };
        let (options, state) = rp
            .start_discoverable_authentication()
            .map_err(|e| AdminError::Internal(format!("a passkey login: {e}")))?;
        self.seal_ceremony(CeremonyKind::Login, bound_to, &options, state)
            .map(Some)
    }

    /// Finishes a login by passkey: the passkey the authenticator chose, verified against the
    /// user handle it was registered with, its counter recorded.
    pub async fn finish_passkey_login(
        &self,
        bound_to: &str,
        sealed: &str,
        response: &str,
    ) -> AdminResult<Result<PasskeyProof, PasskeyRefusal>> {
        let kind = CeremonyKind::Login;
        let (rp, state, response): (_, DiscoverableAuthentication, PublicKeyCredential) =
            match self.answered(kind, bound_to, sealed, response).await? {
                Ok(answered) => answered,
                Err(refusal) => return Ok(Err(refusal)),
            };
        let Ok((user_handle, credential_id)) = rp.identify_discoverable_authentication(&response)
        else {
            return Ok(Err(PasskeyRefusal::Unverified));
        };
        let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
        let Some(authenticator) = self.store().passkey(&credential_id).await? else {
            return Ok(Err(PasskeyRefusal::Unknown));
        };
        let record = stored(&authenticator)?;
        if record.user_handle != user_handle {
            return Ok(Err(PasskeyRefusal::Unverified));
        }
        let verifying = rp.finish_discoverable_authentication_v2(&response, state, &record.passkey);
        let result = match verified(verifying) {
            Ok(result) => result,
            Err(refusal) => return Ok(Err(refusal)),
        };
        self.record_use(authenticator, &result).await
    }

    /// Records the new signature counter of a passkey just used; a use that lost a race with
    /// another of the same counter value is refused.
    async fn record_use(
        &self,
        authenticator: Authenticator,
        result: &AuthenticationResult,
    ) -> AdminResult<Result<PasskeyProof, PasskeyRefusal>> {
        let mut record = stored(&authenticator)?;
        record.passkey.update_credential(result);
        let updated = serde_json::to_vec(&record).map_err(internal("a passkey"))?;
        if !self
            .store()
            .record_passkey_use(
                &authenticator.id,
                &authenticator.secret,
                &updated,
                self.now(),
            )
            .await?
        {
            return Ok(Err(PasskeyRefusal::Replayed));
        }
        Ok(Ok(PasskeyProof {
            user_id: authenticator.user_id,
            method: key_method(result.backup_eligible()),
        }))
    }
}
