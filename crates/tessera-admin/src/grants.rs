//! Grants: the consents users gave applications. Revoking one also revokes the refresh tokens
//! issued under it, so the next authorization asks for consent again.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_core::audit::{Event, EventType};
use tessera_protocol::revocation::AccessRevocation;
use tessera_store::Consent;

use crate::error::{AdminError, AdminResult, Missing};
use crate::service::{Admin, Caller};

/// Which consents a list or a revocation is about.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantQuery {
    /// The user whose consents these are (required).
    pub user_id: Option<String>,
    /// Only the consents given to this application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Only the consents for this API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// A consent a user gave an application for an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Grant {
    pub id: String,
    #[serde(rename = "clientID")]
    pub client_id: String,
    pub user_id: String,
    /// The API, or null for a consent to OpenID Connect scopes alone.
    pub audience: Option<String>,
    pub scope: Vec<String>,
}

impl Grant {
    fn of(consent: &Consent) -> Grant {
        Grant {
            id: consent.id.clone(),
            client_id: consent.client_id.to_string(),
            user_id: consent.user_id.clone(),
            audience: consent.audience.clone(),
            scope: consent.scope.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Admin {
    /// A user's consents, optionally to one application and/or for one API.
    pub async fn list_grants(
        &self,
        caller: &Caller,
        query: &GrantQuery,
    ) -> AdminResult<Vec<Grant>> {
        caller.require("read:grants")?;
        Ok(self.consents(query).await?.iter().map(Grant::of).collect())
    }

    async fn consents(&self, query: &GrantQuery) -> AdminResult<Vec<Consent>> {
        let user_id = query
            .user_id
            .as_deref()
            .ok_or_else(|| AdminError::InvalidQuery("user_id is required".into()))?;
        let all = self.store().consents_of(user_id).await?;
        Ok(all
            .into_iter()
            .filter(|c| {
                query
                    .client_id
                    .as_deref()
                    .is_none_or(|id| c.client_id.as_str() == id)
            })
            .filter(|c| {
                query
                    .audience
                    .as_deref()
                    .is_none_or(|a| c.audience.as_deref() == Some(a))
            })
            .collect())
    }

    /// Revokes one consent and the refresh tokens issued under it.
    pub async fn delete_grant(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("delete:grants")?;
        let consent = self
            .store()
            .delete_consent(id)
            .await?
            .ok_or_else(|| AdminError::NotFound(Missing::Other, format!("The grant `{id}`")))?;
        self.revoked(caller, &consent).await
    }

    /// Revokes every consent `query` matches (a user's, at least).
    pub async fn delete_grants(&self, caller: &Caller, query: &GrantQuery) -> AdminResult<()> {
        caller.require("delete:grants")?;
        for consent in self.consents(query).await? {
            if let Some(deleted) = self.store().delete_consent(&consent.id).await? {
                self.revoked(caller, &deleted).await?;
            }
        }
        Ok(())
    }

    /// What follows the deletion of a consent: its refresh tokens go, and the log says so.
    async fn revoked(&self, caller: &Caller, consent: &Consent) -> AdminResult<()> {
        let grant = Some((&consent.client_id, consent.audience.as_deref()));
        let revoked = self
            .store()
            .revoke_refresh_tokens_of(&consent.user_id, grant, self.now())
            .await?;
        self.revoke_access(AccessRevocation::consent(
            &consent.user_id,
            &consent.client_id,
            self.now(),
        ))
        .await?;
        tracing::info!(user_id = %consent.user_id, client_id = %consent.client_id, revoked, "consent revoked");
        let details = json!({
            "grant_id": consent.id,
            "audience": consent.audience,
            "scope": consent.scope.to_string(),
            "refresh_tokens_revoked": revoked,
        });
        let mut event = Event::new(EventType::ConsentRevoked)
            .client(consent.client_id.as_str(), None)
            .details(details);
        event.user_id = Some(consent.user_id.clone());
        self.record(caller, event);
        Ok(())
    }
}
