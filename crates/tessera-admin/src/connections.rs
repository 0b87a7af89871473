//! `/api/v2/connections`, read-only for now: the database connection, with the `con_…` id that
//! user import jobs name (Auth0's SDKs look it up here).

use serde::{Deserialize, Serialize};
use tessera_store::Connection;

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{every, Paging};
use crate::service::{Admin, Caller};

/// Filters of a connection list, as Auth0's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectionQuery {
    /// Only connections of this strategy (`auth0`: the database).
    pub strategy: Option<String>,
    /// Only the connection of this name.
    pub name: Option<String>,
}

/// A connection, as Auth0 shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectionView {
    /// `con_` and 16 characters.
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// `auth0`: users and their passwords kept by Tessera.
    pub strategy: String,
    /// Every application may log users in with it.
    pub enabled_clients: Vec<String>,
    pub realms: Vec<String>,
    pub is_domain_connection: bool,
}

impl Admin {
    pub async fn list_connections(
        &self,
        caller: &Caller,
        query: &ConnectionQuery,
    ) -> AdminResult<Vec<ConnectionView>> {
        caller.require("read:connections")?;
        let connection = self.store().database_connection().await?;
        let wanted = query
            .strategy
            .as_ref()
            .is_none_or(|s| *s == connection.strategy)
            && query.name.as_ref().is_none_or(|n| *n == connection.name);
        if !wanted {
            return Ok(Vec::new());
        }
        Ok(vec![self.view(connection).await?])
    }

    pub async fn connection(&self, caller: &Caller, id: &str) -> AdminResult<ConnectionView> {
        caller.require("read:connections")?;
        let connection = self.store().database_connection().await?;
        if connection.id != id {
            return Err(AdminError::NotFound(
                Missing::Other,
                format!("The connection `{id}`"),
            ));
        }
        self.view(connection).await
    }

    async fn view(&self, connection: Connection) -> AdminResult<ConnectionView> {
        let clients = every(|paging: Paging| async move {
            let page = paging.page()?;
            let listing = self.store().list_clients(page).await?;
            Ok(crate::paging::Listed::of(page, listing, |c| {
                c.client_id.to_string()
            }))
        })
        .await?;
        Ok(ConnectionView {
            id: connection.id,
            display_name: connection.name.clone(),
            realms: vec![connection.name.clone()],
            name: connection.name,
            strategy: connection.strategy,
            enabled_clients: clients,
            is_domain_connection: false,
        })
    }
}
