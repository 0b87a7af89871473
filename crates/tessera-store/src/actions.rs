//! Auth0's Actions: an action's draft, the immutable versions deploying it snapshots, and the
//! ordered bindings of actions to triggers. Secret values are stored sealed (the admin service
//! seals them with the master secret); only [`ActionStore::deployed_bindings`], the read the
//! token path makes, opens them, with the [`SecretOpener`] it is given.

use std::fmt;

use async_trait::async_trait;
use tessera_protocol::Timestamp;

use crate::{Listing, Page, StoreResult};

/// A secret of an action: its name, and its value sealed.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActionSecret {
    pub name: String,
    /// The value sealed with the master secret (`v1:…`), never the value itself.
    #[serde(rename = "value")]
    pub sealed: String,
    pub updated_at: Timestamp,
}

impl fmt::Debug for ActionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionSecret")
            .field("name", &self.name)
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

/// What an action runs: what a deploy snapshots into a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionCode {
    /// The trigger it supports (`post-login`, `credentials-exchange`) and its version.
    pub trigger_id: String,
    pub trigger_version: String,
    pub code: String,
    pub runtime: String,
    /// Auth0's `dependencies` as JSON text (`[{name, version}]`), kept as given.
    pub dependencies: String,
    pub secrets: Vec<ActionSecret>,
}

/// An action: its draft and which version of it is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// A UUID, as Auth0's.
    pub id: String,
    pub name: String,
    pub draft: ActionCode,
    /// The number of the deployed version (the latest), if it was ever deployed.
    pub deployed_version: Option<u32>,
    /// False once the draft changes after the last deploy.
    pub all_changes_deployed: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An immutable version of an action, made by a deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionVersion {
    /// A UUID.
    pub id: String,
    pub action_id: String,
    /// 1, 2, 3… in the order of the deploys.
    pub number: u32,
    pub code: ActionCode,
    pub created_at: Timestamp,
}

/// An action bound to a trigger, at its place in the trigger's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionBinding {
    /// A UUID.
    pub id: String,
    pub trigger_id: String,
    pub action_id: String,
    pub display_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A deployed action bound to a trigger, ready to run: its deployed version's code and secrets,
/// the secrets opened.
#[derive(Clone, PartialEq, Eq)]
pub struct DeployedAction {
    pub action_id: String,
    pub name: String,
    pub version_number: u32,
    pub code: String,
    /// `(name, value)`, the values opened.
    pub secrets: Vec<(String, String)>,
}

impl fmt::Debug for DeployedAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.secrets.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("DeployedAction")
            .field("action_id", &self.action_id)
            .field("name", &self.name)
            .field("version_number", &self.version_number)
            .field("secrets", &names)
            .finish_non_exhaustive()
    }
}

/// Opens the sealed value of an action's secret (the master secret's sealer implements it).
pub trait SecretOpener: Send + Sync {
    /// The value sealed as `sealed` for the secret `name` of `action_id`; `None` when it does
    /// not open (another master secret, or damaged).
    fn open_secret(&self, action_id: &str, name: &str, sealed: &str) -> Option<String>;
}

/// Actions, their versions and the triggers' bindings.
#[async_trait]
pub trait ActionStore {
    /// Creates an action; [`crate::StoreError::Conflict`] when its name is taken.
    async fn create_action(&self, action: &Action) -> StoreResult<()>;
    async fn action(&self, id: &str) -> StoreResult<Option<Action>>;
    async fn action_by_name(&self, name: &str) -> StoreResult<Option<Action>>;
    /// Writes the name and draft and marks the draft not deployed; false if there is no such
    /// action, a conflict when the name is another action's.
    async fn update_action(&self, action: &Action) -> StoreResult<bool>;
    /// Deletes an action with its versions; unless `force`, only if no trigger binds it.
    async fn delete_action(&self, id: &str, force: bool) -> StoreResult<ActionDeletion>;
    /// Actions by name, optionally only those supporting `trigger_id` or named `name`.
    async fn list_actions(
        &self,
        page: Page,
        trigger_id: Option<&str>,
        name: Option<&str>,
    ) -> StoreResult<Listing<Action>>;

    /// Snapshots the draft into a new version numbered after the last, as the deployed one, in
    /// one transaction; `None` if there is no such action.
    async fn deploy_action(
        &self,
        id: &str,
        version_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ActionVersion>>;
    /// An action's versions, newest first.
    async fn action_versions(
        &self,
        action_id: &str,
        page: Page,
    ) -> StoreResult<Listing<ActionVersion>>;
    async fn action_version(
        &self,
        action_id: &str,
        number: u32,
    ) -> StoreResult<Option<ActionVersion>>;

    /// The trigger's bindings, in the order they run.
    async fn bindings(&self, trigger_id: &str) -> StoreResult<Vec<ActionBinding>>;
    /// Replaces the trigger's bindings with `bindings`, in that order, in one transaction.
    async fn replace_bindings(
        &self,
        trigger_id: &str,
        bindings: &[ActionBinding],
    ) -> StoreResult<()>;
    /// The triggers binding the action.
    async fn triggers_binding(&self, action_id: &str) -> StoreResult<Vec<String>>;

    /// What the trigger runs: the deployed version of each bound action, in binding order,
    /// secrets opened with `opener` (one statement). An action's secret that does not open is
    /// [`crate::StoreError::Corrupt`].
    async fn deployed_bindings(
        &self,
        trigger_id: &str,
        opener: &dyn SecretOpener,
    ) -> StoreResult<Vec<DeployedAction>>;
}

/// What deleting an action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionDeletion {
    Deleted,
    NotFound,
    /// A trigger binds it and `force` was not given: nothing was deleted.
    Bound,
}
