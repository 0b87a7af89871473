//! Client grants: which APIs a machine-to-machine application may get tokens for with
//! `client_credentials`, and with which scopes (each defined by the API).

use serde::{Deserialize, Serialize};
use tessera_core::crypto::random_hex;
use tessera_protocol::{ClientId, ScopeSet};
use tessera_store::ClientGrant as StoredGrant;

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{list_shapes, Listed, Paging};
use crate::service::{Admin, Caller};

/// A client grant to create, or (only `scope`) to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The API's identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
}

/// Which client grants a list returns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientGrantQuery {
    /// Only this client's grants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Only the grants for this API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// A machine-to-machine authorization: `client_id` may get tokens for `audience`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientGrant {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
}

impl ClientGrant {
    fn of(grant: &StoredGrant) -> ClientGrant {
        ClientGrant {
            id: grant.id.clone(),
            client_id: grant.client_id.to_string(),
            audience: grant.audience.clone(),
            scope: grant.scope.iter().map(|s| s.to_string()).collect(),
        }
    }
}

list_shapes! {
    ClientGrantList, ClientGrantPage, ClientGrant, client_grants, "client grants";
}

impl Admin {
    pub async fn list_client_grants(
        &self,
        caller: &Caller,
        query: &ClientGrantQuery,
        paging: &Paging,
    ) -> AdminResult<Listed<ClientGrant>> {
        caller.require("read:client_grants")?;
        let page = paging.page()?;
        let client_id = query.client_id.clone().map(ClientId);
        let listing = self
            .store()
            .list_client_grants(client_id.as_ref(), query.audience.as_deref(), page)
            .await?;
        Ok(Listed::of(page, listing, ClientGrant::of))
    }

    /// The scopes, each defined by the API `audience`.
    async fn scopes_of(&self, audience: &str, scope: &[String]) -> AdminResult<ScopeSet> {
        let invalid = |message: String| AdminError::InvalidBody(message);
        let api = self.store().api(audience).await?.ok_or_else(|| {
            invalid(format!(
                "Payload validation error: audience `{audience}` is not a resource server"
            ))
        })?;
        let set = ScopeSet::parse(&scope.join(" "))
            .map_err(|e| invalid(format!("Payload validation error: scope: {e}")))?;
        if let Some(unknown) = set.iter().find(|s| !api.defines(s)) {
            return Err(invalid(format!(
                "Payload validation error: scope `{unknown}` is not defined by `{audience}`"
            )));
        }
        Ok(set)
    }

    pub async fn create_client_grant(
        &self,
        caller: &Caller,
        body: ClientGrantBody,
    ) -> AdminResult<ClientGrant> {
        caller.require("create:client_grants")?;
        let client_id = ClientId(
            body.client_id
                .ok_or_else(|| AdminError::missing("client_id"))?,
        );
        let audience = body
            .audience
            .ok_or_else(|| AdminError::missing("audience"))?;
        let scope = body.scope.ok_or_else(|| AdminError::missing("scope"))?;
        let scope = self.scopes_of(&audience, &scope).await?;
        if self.store().client(&client_id).await?.is_none() {
            return Err(AdminError::InvalidBody(format!(
                "Payload validation error: client `{client_id}` does not exist"
            )));
        }
        let grant = StoredGrant {
            id: format!("cgr_{}", random_hex(8)?),
            client_id,
            audience,
            scope,
        };
        self.store().create_client_grant(&grant, self.now()).await?;
        self.changed();
        Ok(ClientGrant::of(&grant))
    }

    /// Changes a client grant's scopes (its client and API are fixed).
    pub async fn update_client_grant(
        &self,
        caller: &Caller,
        id: &str,
        body: ClientGrantBody,
    ) -> AdminResult<ClientGrant> {
        caller.require("update:client_grants")?;
        let mut grant = self
            .store()
            .client_grant_by_id(id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if body.client_id.is_some() || body.audience.is_some() {
            return Err(AdminError::InvalidBody(
                "Payload validation error: only scope can be changed".into(),
            ));
        }
        if let Some(scope) = body.scope {
            grant.scope = self.scopes_of(&grant.audience, &scope).await?;
            self.store()
                .update_client_grant(id, &grant.scope, self.now())
                .await?;
            self.changed();
        }
        Ok(ClientGrant::of(&grant))
    }

    /// The client can no longer get tokens for the API.
    pub async fn delete_client_grant(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("delete:client_grants")?;
        if !self.store().delete_client_grant(id).await? {
            return Err(not_found(id));
        }
        self.changed();
        Ok(())
    }
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::Other, format!("The client grant `{id}`"))
}
