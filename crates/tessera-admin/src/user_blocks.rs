//! Brute-force blocks: the IPs an account is blocked for, and lifting them — by user id, or by
//! identifier (username or email; a name with no user behind it is blocked and unblocked like
//! any other, so these answers reveal no accounts either).

use serde::{Deserialize, Serialize};
use tessera_core::brute_force::account_key;

use crate::error::{AdminError, AdminResult};
use crate::service::{Admin, Caller};
use crate::users::CONNECTION;

/// The identifier a block lookup is about.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlockQuery {
    /// A username or email (required).
    pub identifier: Option<String>,
}

/// One block: an identifier blocked for an IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserBlock {
    pub identifier: String,
    pub ip: String,
    pub connection: String,
}

/// A user's or identifier's brute-force blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserBlocks {
    pub blocked_for: Vec<UserBlock>,
}

/// Whose blocks: the brute-force counters' key, and the identifier to show.
struct Account {
    key: String,
    identifier: String,
}

impl Admin {
    /// The IPs the user `id` is blocked for.
    pub async fn user_blocks(&self, caller: &Caller, id: &str) -> AdminResult<UserBlocks> {
        caller.require("read:users")?;
        let account = self.account_of_user(id).await?;
        self.blocks(&account).await
    }

    /// Unblocks the user `id` from every IP.
    pub async fn delete_user_blocks(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("update:users")?;
        let account = self.account_of_user(id).await?;
        self.unblock(&account).await
    }

    /// The IPs the identifier of `query` is blocked for.
    pub async fn identifier_blocks(
        &self,
        caller: &Caller,
        query: &BlockQuery,
    ) -> AdminResult<UserBlocks> {
        caller.require("read:users")?;
        let account = self.account_of_identifier(query).await?;
        self.blocks(&account).await
    }

    /// Unblocks the identifier of `query` from every IP.
    pub async fn delete_identifier_blocks(
        &self,
        caller: &Caller,
        query: &BlockQuery,
    ) -> AdminResult<()> {
        caller.require("update:users")?;
        let account = self.account_of_identifier(query).await?;
        self.unblock(&account).await
    }

    async fn account_of_user(&self, id: &str) -> AdminResult<Account> {
        let user = self.stored_user(id).await?;
        Ok(Account {
            key: user.user_id,
            identifier: user.username,
        })
    }

    async fn account_of_identifier(&self, query: &BlockQuery) -> AdminResult<Account> {
        let identifier = query
            .identifier
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .ok_or_else(|| AdminError::InvalidQuery("identifier is required".into()))?;
        let user = self.store().user_by_login(identifier).await?;
        Ok(Account {
            key: account_key(user.as_ref(), identifier),
            identifier: identifier.to_owned(),
        })
    }

    async fn blocks(&self, account: &Account) -> AdminResult<UserBlocks> {
        let ips = self
            .parts()
            .brute_force
            .blocked_ips(self.store(), &account.key, self.now())
            .await?;
        let blocked_for = ips
            .into_iter()
            .map(|ip| UserBlock {
                identifier: account.identifier.clone(),
                ip,
                connection: CONNECTION.to_owned(),
            })
            .collect();
        Ok(UserBlocks { blocked_for })
    }

    async fn unblock(&self, account: &Account) -> AdminResult<()> {
        let cleared = self.store().clear_account_failures(&account.key).await?;
        tracing::info!(cleared, "brute-force blocks lifted");
        Ok(())
    }
}
