//! The factors a user enrolls and proves at login: an authenticator app's TOTP codes (the
//! secret sealed with the master secret, each code accepted once) and one recovery code (kept
//! as its digest, replaced whenever it is used).

use tessera_core::crypto::{fill_random, random_alphanumeric};
use tessera_protocol::mfa::{
    format_recovery_code, normalize_recovery_code, recovery_code_of, TotpSecret, TOTP_SECRET_BYTES,
};
use tessera_protocol::SecretDigest;
use tessera_store::{Authenticator, AuthenticatorKind};

use crate::error::{AdminError, AdminResult};
use crate::service::Admin;

/// An authenticator app being enrolled: what the enrollment page shows.
#[derive(Debug, Clone)]
pub struct TotpEnrollment {
    pub id: String,
    pub secret: TotpSecret,
    /// The `otpauth://` URI the QR code carries.
    pub otpauth_uri: String,
}

/// A recovery code just made, in groups for reading; shown once, never stored in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct NewRecoveryCode(pub String);

impl std::fmt::Debug for NewRecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewRecoveryCode(..)")
    }
}

/// What a user has enrolled (confirmed factors only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Enrolled {
    pub totp: bool,
    pub recovery_code: bool,
    pub passkey: bool,
}

/// How an authenticator app or a passkey names the user's account: their email, else their
/// user id.
pub fn account_name(user: &tessera_store::User) -> &str {
    if user.email.is_empty() {
        &user.user_id
    } else {
        &user.email
    }
}

/// Auth0's authentication method ids: `<type>|dev_` and 16 letters and digits.
fn new_authenticator_id(kind: AuthenticatorKind) -> AdminResult<String> {
    Ok(format!(
        "{}|dev_{}",
        kind.as_str(),
        random_alphanumeric(16)?
    ))
}

/// The associated data a TOTP secret is sealed under: it opens only as that authenticator's.
fn totp_context(id: &str) -> String {
    format!("totp-secret:{id}")
}

impl Admin {
    pub(crate) fn seal_totp(&self, id: &str, secret: &TotpSecret) -> AdminResult<Vec<u8>> {
        self.parts()
            .sealer
            .seal(&totp_context(id), secret.as_bytes())
            .map_err(|e| AdminError::Internal(e.to_string()))
    }

    fn open_totp(&self, authenticator: &Authenticator) -> AdminResult<TotpSecret> {
        let opened = self
            .parts()
            .sealer
            .open(&totp_context(&authenticator.id), &authenticator.secret)
            .map_err(|e| AdminError::Internal(format!("a TOTP secret: {e}")))?;
        TotpSecret::new(opened.der().to_vec())
            .map_err(|e| AdminError::Internal(format!("a TOTP secret: {e}")))
    }

    fn enrollment_of(
        &self,
        authenticator: &Authenticator,
        account: &str,
    ) -> AdminResult<TotpEnrollment> {
        let secret = self.open_totp(authenticator)?;
        let otpauth_uri = secret
            .otpauth_uri(&self.totp_issuer(), account)
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        Ok(TotpEnrollment {
            id: authenticator.id.clone(),
            secret,
            otpauth_uri,
        })
    }

    /// The issuer an authenticator app lists the account under: this server's host.
    fn totp_issuer(&self) -> String {
        url::Url::parse(self.issuer())
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "Tessera".to_owned())
    }

    /// The factors `user_id` has confirmed.
    pub async fn enrolled_factors(&self, user_id: &str) -> AdminResult<Enrolled> {
        let mut enrolled = Enrolled::default();
        for authenticator in self.store().authenticators(user_id).await? {
            match authenticator.kind {
                AuthenticatorKind::Totp if authenticator.confirmed => enrolled.totp = true,
                AuthenticatorKind::RecoveryCode => enrolled.recovery_code = true,
                AuthenticatorKind::Passkey => enrolled.passkey = true,
                AuthenticatorKind::Totp => {}
            }
        }
        Ok(enrolled)
    }

    /// The user's unfinished TOTP enrollment, or a new one (`account` labels it in the app).
    pub async fn totp_enrollment(
        &self,
        user_id: &str,
        account: &str,
    ) -> AdminResult<TotpEnrollment> {
        let unfinished = self
            .store()
            .authenticators(user_id)
            .await?
            .into_iter()
            .find(|a| a.kind == AuthenticatorKind::Totp && !a.confirmed);
        if let Some(authenticator) = unfinished {
            return self.enrollment_of(&authenticator, account);
        }
        let mut bytes = vec![0u8; TOTP_SECRET_BYTES];
        fill_random(&mut bytes)?;
        let secret = TotpSecret::new(bytes).map_err(|e| AdminError::Internal(e.to_string()))?;
        let id = new_authenticator_id(AuthenticatorKind::Totp)?;
        let authenticator = Authenticator {
            id: id.clone(),
            user_id: user_id.to_owned(),
            kind: AuthenticatorKind::Totp,
            secret: self.seal_totp(&id, &secret)?,
            name: None,
            confirmed: false,
            created_at: self.now(),
            last_auth_at: None,
            last_step: None,
            credential_id: None,
        };
        self.store().begin_enrollment(&authenticator).await?;
        self.enrollment_of(&authenticator, account)
    }

    /// Confirms the unfinished TOTP enrollment `id` with a code from the app: false for a
    /// wrong code or an enrollment that is gone.
    pub async fn confirm_totp_enrollment(
        &self,
        user_id: &str,
        id: &str,
        code: &str,
    ) -> AdminResult<bool> {
        let now = self.now();
        let unfinished = self
            .store()
            .authenticators(user_id)
            .await?
            .into_iter()
            .find(|a| a.id == id && a.kind == AuthenticatorKind::Totp && !a.confirmed);
        let Some(authenticator) = unfinished else {
            return Ok(false);
        };
        let Some(step) = self.open_totp(&authenticator)?.accept(code, now, None) else {
            return Ok(false);
        };
        Ok(self
            .store()
            .confirm_enrollment(user_id, id, step, now)
            .await?)
    }

    /// Checks a code from the user's authenticator app: right, and not used before.
    pub async fn verify_totp(&self, user_id: &str, code: &str) -> AdminResult<bool> {
        let now = self.now();
        for authenticator in self.store().authenticators(user_id).await? {
            if authenticator.kind != AuthenticatorKind::Totp || !authenticator.confirmed {
                continue;
            }
            let secret = self.open_totp(&authenticator)?;
            if let Some(step) = secret.accept(code, now, authenticator.last_step) {
                return Ok(self
                    .store()
                    .accept_totp_step(&authenticator.id, step, now)
                    .await?);
            }
        }
        Ok(false)
    }

    /// A new recovery code for the user, replacing the one they had.
    pub async fn new_recovery_code(&self, user_id: &str) -> AdminResult<NewRecoveryCode> {
        let mut random = [0u8; 15];
        fill_random(&mut random)?;
        let code = recovery_code_of(&random);
        let authenticator = Authenticator {
            id: new_authenticator_id(AuthenticatorKind::RecoveryCode)?,
            user_id: user_id.to_owned(),
            kind: AuthenticatorKind::RecoveryCode,
            secret: SecretDigest::of(&code).as_bytes().to_vec(),
            name: None,
            confirmed: true,
            created_at: self.now(),
            last_auth_at: None,
            last_step: None,
            credential_id: None,
        };
        self.store().save_recovery_code(&authenticator).await?;
        Ok(NewRecoveryCode(format_recovery_code(&code)))
    }

    /// Uses the user's recovery code: true once for the right code, which is then gone.
    pub async fn redeem_recovery_code(&self, user_id: &str, typed: &str) -> AdminResult<bool> {
        let digest = SecretDigest::of(&normalize_recovery_code(typed));
        Ok(self
            .store()
            .redeem_recovery_code(user_id, digest.as_bytes())
            .await?)
    }
}
