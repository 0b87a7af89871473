//! Auth0's Guardian settings: the factors (`/api/v2/guardian/factors`) and the policy
//! (`/api/v2/guardian/policies`), kept as tenant settings.

use serde::{Deserialize, Serialize};
use tessera_store::JsonObject;

use crate::error::AdminResult;
use crate::service::Admin;

/// The tenant setting the factors' switches are kept under: `{"otp": true, …}`.
pub(crate) const FACTORS_SETTING: &str = "guardian_factors";
/// The tenant setting the policy is kept under: `{"policies": ["all-applications"]}`.
pub(crate) const POLICIES_SETTING: &str = "guardian_policies";
/// Auth0's policy that asks every login for a second factor.
pub const ALL_APPLICATIONS: &str = "all-applications";

/// An MFA factor, as Auth0 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Factor {
    PushNotification,
    Sms,
    Email,
    Duo,
    Otp,
    WebauthnRoaming,
    WebauthnPlatform,
    RecoveryCode,
}

impl Factor {
    pub const ALL: [Factor; 8] = [
        Factor::PushNotification,
        Factor::Sms,
        Factor::Email,
        Factor::Duo,
        Factor::Otp,
        Factor::WebauthnRoaming,
        Factor::WebauthnPlatform,
        Factor::RecoveryCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Factor::PushNotification => "push-notification",
            Factor::Sms => "sms",
            Factor::Email => "email",
            Factor::Duo => "duo",
            Factor::Otp => "otp",
            Factor::WebauthnRoaming => "webauthn-roaming",
            Factor::WebauthnPlatform => "webauthn-platform",
            Factor::RecoveryCode => "recovery-code",
        }
    }

    pub fn parse(name: &str) -> Option<Factor> {
        Factor::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// Tessera can enroll and challenge it.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            Factor::Otp | Factor::RecoveryCode | Factor::WebauthnRoaming | Factor::WebauthnPlatform
        )
    }
}

/// What the login flow needs to know of the Guardian settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MfaSettings {
    /// The policy asks every login for a second factor (`all-applications`).
    pub always: bool,
    pub otp: bool,
    pub recovery_code: bool,
    /// A passkey as the second factor (`webauthn-platform` or `webauthn-roaming`: Tessera
    /// enrolls either kind of authenticator for both), when this server can offer passkeys.
    pub passkey: bool,
}

impl MfaSettings {
    /// There is a second factor to enroll.
    pub fn any_factor(&self) -> bool {
        self.otp || self.passkey
    }

    /// A second factor is due at every login, and there is one to enroll.
    pub fn required(&self) -> bool {
        self.always && self.any_factor()
    }
}

impl Admin {
    /// A Guardian setting, through the running node's cache (the login flow and the password
    /// grant read these at every login), or from the store for the CLI.
    async fn guardian_setting(&self, name: &str) -> AdminResult<JsonObject> {
        Ok(match &self.parts().live {
            Some(live) => live.catalog.tenant_setting(name).await?.as_ref().clone(),
            None => self.store().tenant_setting(name).await?.unwrap_or_default(),
        })
    }

    /// The factors switched on (every factor is off until switched on, as at Auth0).
    pub(crate) async fn enabled_factors(&self) -> AdminResult<Vec<Factor>> {
        let stored = self.guardian_setting(FACTORS_SETTING).await?;
        Ok(Factor::ALL
            .into_iter()
            .filter(|f| stored.get(f.as_str()).and_then(|v| v.as_bool()) == Some(true))
            .collect())
    }

    /// The policies set (none: MFA is never asked for by policy).
    pub(crate) async fn mfa_policies(&self) -> AdminResult<Vec<String>> {
        let stored = self.guardian_setting(POLICIES_SETTING).await?;
        Ok(stored
            .get("policies")
            .and_then(|v| v.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The settings the hosted login decides by.
    pub async fn mfa_settings(&self) -> AdminResult<MfaSettings> {
        let factors = self.enabled_factors().await?;
        let policies = self.mfa_policies().await?;
        Ok(MfaSettings {
            always: policies.iter().any(|p| p == ALL_APPLICATIONS),
            otp: factors.contains(&Factor::Otp),
            recovery_code: factors.contains(&Factor::RecoveryCode),
            passkey: self.passkeys_available()
                && (factors.contains(&Factor::WebauthnPlatform)
                    || factors.contains(&Factor::WebauthnRoaming)),
        })
    }
}
