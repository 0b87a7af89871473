//! The Management API over MFA: Auth0's Guardian factors and policies, and each user's
//! authentication methods.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_core::audit::{Event, EventType};
use tessera_store::{Authenticator, AuthenticatorKind, Listing};

use crate::error::{AdminError, AdminResult, Missing};
use crate::mfa::guardian::{Factor, ALL_APPLICATIONS, FACTORS_SETTING, POLICIES_SETTING};
use crate::paging::{list_shapes, Listed, Paging};
use crate::service::{Admin, Caller};

/// A factor and whether it is switched on: an item of `GET /api/v2/guardian/factors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FactorStatus {
    pub name: Factor,
    pub enabled: bool,
    /// Always false: no factor here is a trial.
    pub trial_expired: bool,
}

/// The body and the answer of `PUT /api/v2/guardian/factors/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorSwitch {
    pub enabled: bool,
}

/// An MFA policy Tessera applies. Auth0's other one, `confidence-score` (adaptive MFA), is not
/// offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum MfaPolicy {
    /// Every login asks for a second factor.
    #[serde(rename = "all-applications")]
    AllApplications,
}

impl MfaPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaPolicy::AllApplications => ALL_APPLICATIONS,
        }
    }

    /// A policy as Auth0 names it; a 400 says why another is refused.
    pub fn parse(name: &str) -> AdminResult<MfaPolicy> {
        match name {
            ALL_APPLICATIONS => Ok(MfaPolicy::AllApplications),
            "confidence-score" => Err(AdminError::InvalidBody(
                "The MFA policy `confidence-score` (adaptive MFA) is not supported by Tessera; \
                 use `all-applications`, or no policy"
                    .to_owned(),
            )),
            other => Err(AdminError::InvalidBody(format!(
                "`{other}` is not an MFA policy; use `all-applications`, or no policy"
            ))),
        }
    }
}

/// The kind of an authentication method, as Auth0 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MethodType {
    /// An authenticator app's one-time codes.
    Totp,
    /// A one-time code that stands in for the other factors.
    RecoveryCode,
    /// A WebAuthn credential.
    Passkey,
}

impl From<AuthenticatorKind> for MethodType {
    fn from(kind: AuthenticatorKind) -> Self {
        match kind {
            AuthenticatorKind::Totp => MethodType::Totp,
            AuthenticatorKind::RecoveryCode => MethodType::RecoveryCode,
            AuthenticatorKind::Passkey => MethodType::Passkey,
        }
    }
}

/// A factor a user enrolled (or began to), as Auth0 shows it; never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthenticationMethod {
    /// `totp|dev_…`, `recovery-code|dev_…` or `passkey|dev_…`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: MethodType,
    /// False while an enrollment is unfinished.
    pub confirmed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; absent until the factor was first used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_auth_at: Option<String>,
}

impl AuthenticationMethod {
    pub fn of(authenticator: &Authenticator) -> AuthenticationMethod {
        AuthenticationMethod {
            id: authenticator.id.clone(),
            kind: authenticator.kind.into(),
            confirmed: authenticator.confirmed,
            name: authenticator.name.clone(),
            created_at: authenticator.created_at.rfc3339(),
            last_auth_at: authenticator.last_auth_at.map(|at| at.rfc3339()),
        }
    }
}

list_shapes! {
    AuthenticationMethodList, AuthenticationMethodPage, AuthenticationMethod, authenticators,
        "authentication methods";
}

fn method_not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::Other, format!("The authentication method `{id}`"))
}

/// `otp`, `webauthn-roaming`, `webauthn-platform` and `recovery-code`, for messages.
fn supported_factors() -> String {
    let names: Vec<String> = Factor::ALL
        .into_iter()
        .filter(|f| f.is_supported())
        .map(|f| format!("`{}`", f.as_str()))
        .collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl Admin {
    /// Every factor Auth0 has, and whether it is switched on.
    pub async fn guardian_factors(&self, caller: &Caller) -> AdminResult<Vec<FactorStatus>> {
        caller.require("read:guardian_factors")?;
        let enabled = self.enabled_factors().await?;
        Ok(Factor::ALL
            .into_iter()
            .map(|name| FactorStatus {
                name,
                enabled: enabled.contains(&name),
                trial_expired: false,
            })
            .collect())
    }

    /// Switches the factor `name` on or off; only the factors Tessera can challenge go on.
    pub async fn switch_guardian_factor(
        &self,
        caller: &Caller,
        name: &str,
        switch: FactorSwitch,
    ) -> AdminResult<FactorSwitch> {
        caller.require("update:guardian_factors")?;
        let factor = Factor::parse(name)
            .ok_or_else(|| AdminError::NotFound(Missing::Other, format!("The factor `{name}`")))?;
        if switch.enabled && !factor.is_supported() {
            return Err(AdminError::InvalidBody(format!(
                "The factor `{name}` is not supported by Tessera: only {} can be enabled",
                supported_factors()
            )));
        }
        let webauthn = matches!(factor, Factor::WebauthnRoaming | Factor::WebauthnPlatform);
        if switch.enabled && webauthn && !self.passkeys_available() {
            return Err(AdminError::InvalidBody(format!(
                "The factor `{name}` needs an issuer with a domain name: browsers refuse IP \
                 addresses as WebAuthn relying parties"
            )));
        }
        let mut stored = self
            .store()
            .tenant_setting(FACTORS_SETTING)
            .await?
            .unwrap_or_default();
        stored.insert(factor.as_str().to_owned(), json!(switch.enabled));
        self.store()
            .set_tenant_setting(FACTORS_SETTING, &stored)
            .await?;
        self.changed();
        let verb = if switch.enabled { "Enable" } else { "Disable" };
        let event = Event::new(EventType::MfaFactorSwitched)
            .description(format!("{verb} the MFA factor {name}"))
            .details(json!({ "factor": name, "enabled": switch.enabled }));
        self.record(caller, caller.event(event));
        Ok(switch)
    }

    /// The MFA policies set: none, or `all-applications`.
    pub async fn guardian_policies(&self, caller: &Caller) -> AdminResult<Vec<MfaPolicy>> {
        caller.require("read:mfa_policies")?;
        Ok(self
            .mfa_policies()
            .await?
            .iter()
            .filter_map(|name| MfaPolicy::parse(name).ok())
            .collect())
    }

    /// Replaces the MFA policies with `names` (Auth0's body: an array of policy names).
    pub async fn set_guardian_policies(
        &self,
        caller: &Caller,
        names: &[String],
    ) -> AdminResult<Vec<MfaPolicy>> {
        caller.require("update:mfa_policies")?;
        let mut policies = Vec::new();
        for name in names {
            let policy = MfaPolicy::parse(name)?;
            if !policies.contains(&policy) {
                policies.push(policy);
            }
        }
        let mut stored = self
            .store()
            .tenant_setting(POLICIES_SETTING)
            .await?
            .unwrap_or_default();
        stored.insert("policies".to_owned(), json!(policies));
        self.store()
            .set_tenant_setting(POLICIES_SETTING, &stored)
            .await?;
        self.changed();
        let event = Event::new(EventType::ApiOperation)
            .description("Set the MFA policies")
            .details(json!({ "policies": policies }));
        self.record(caller, caller.event(event));
        Ok(policies)
    }

    /// The user's authenticators, oldest first; 404 for an unknown user.
    async fn authenticators_of(&self, user_id: &str) -> AdminResult<Vec<Authenticator>> {
        self.stored_user(user_id).await?;
        Ok(self.store().authenticators(user_id).await?)
    }

    /// The factors the user enrolled or began to, a page at a time.
    pub async fn authentication_methods(
        &self,
        caller: &Caller,
        user_id: &str,
        paging: &Paging,
    ) -> AdminResult<Listed<AuthenticationMethod>> {
        caller.require("read:authentication_methods")?;
        let page = paging.page()?;
        let all = self.authenticators_of(user_id).await?;
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(page.per_page as usize)
            .collect();
        Ok(Listed::of(
            page,
            Listing { items, total },
            AuthenticationMethod::of,
        ))
    }

    pub async fn authentication_method(
        &self,
        caller: &Caller,
        user_id: &str,
        id: &str,
    ) -> AdminResult<AuthenticationMethod> {
        caller.require("read:authentication_methods")?;
        self.authenticators_of(user_id)
            .await?
            .iter()
            .find(|a| a.id == id)
            .map(AuthenticationMethod::of)
            .ok_or_else(|| method_not_found(id))
    }

    /// Removes one of the user's factors; 404 when the user has no such one.
    pub async fn delete_authentication_method(
        &self,
        caller: &Caller,
        user_id: &str,
        id: &str,
    ) -> AdminResult<()> {
        caller.require("delete:authentication_methods")?;
        self.stored_user(user_id).await?;
        if !self.store().delete_authenticator(user_id, id).await? {
            return Err(method_not_found(id));
        }
        let details = json!({ "authentication_method_id": id });
        self.unenrolled(caller, user_id, "Delete an authentication method", details);
        Ok(())
    }

    /// Removes every factor of the user.
    pub async fn delete_authentication_methods(
        &self,
        caller: &Caller,
        user_id: &str,
    ) -> AdminResult<()> {
        caller.require("delete:authentication_methods")?;
        self.remove_authenticators(
            caller,
            user_id,
            "Delete the authentication methods of a user",
        )
        .await
    }

    /// Auth0's "reset MFA" (`DELETE /api/v2/users/{id}/authenticators`): every factor of the
    /// user goes, and their next login enrolls anew if MFA is required.
    pub async fn reset_authenticators(&self, caller: &Caller, user_id: &str) -> AdminResult<()> {
        caller.require("delete:guardian_enrollments")?;
        self.remove_authenticators(caller, user_id, "Reset the MFA of a user")
            .await
    }

    async fn remove_authenticators(
        &self,
        caller: &Caller,
        user_id: &str,
        description: &str,
    ) -> AdminResult<()> {
        self.stored_user(user_id).await?;
        let removed = self.store().delete_authenticators(user_id).await?;
        if removed > 0 {
            let details = json!({ "removed": removed });
            self.unenrolled(caller, user_id, description, details);
        }
        Ok(())
    }

    fn unenrolled(
        &self,
        caller: &Caller,
        user_id: &str,
        description: &str,
        details: serde_json::Value,
    ) {
        let mut event = Event::new(EventType::MfaUnenrolled)
            .description(description)
            .details(details);
        event.user_id = Some(user_id.to_owned());
        self.record(caller, caller.event(event));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]

    use super::*;

    #[test]
    fn only_all_applications_is_a_policy_and_confidence_score_is_named() {
        assert_eq!(
            MfaPolicy::parse("all-applications"),
            Ok(MfaPolicy::AllApplications)
        );
        let Err(AdminError::InvalidBody(message)) = MfaPolicy::parse("confidence-score") else {
            panic!("confidence-score is refused")
        };
        assert!(message.contains("not supported"), "{message}");
        assert!(matches!(
            MfaPolicy::parse("All-Applications"),
            Err(AdminError::InvalidBody(_))
        ));
        assert_eq!(
            serde_json::to_value([MfaPolicy::AllApplications]).ok(),
            Some(json!(["all-applications"]))
        );
    }

    #[test]
    fn the_supported_factors_are_named_for_messages() {
        assert_eq!(
            supported_factors(),
            "`otp`, `webauthn-roaming`, `webauthn-platform` and `recovery-code`"
        );
    }
}
