//! Auth0's Actions (`/api/v2/actions/actions`), with Auth0's paths, fields and scopes: an
//! action's draft (code, dependencies, secrets), deploying it into an immutable numbered version,
//! and its versions. Tessera runs Actions on two triggers, `post-login` and
//! `credentials-exchange`; their bindings are in [`crate::action_bindings`]. Secret values are
//! sealed with the master secret before they are stored and never shown again.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_core::audit::{Event, EventType};
use tessera_core::crypto::fill_random;
use tessera_store::{
    Action as StoredAction, ActionCode, ActionDeletion, ActionSecret,
    ActionVersion as StoredVersion,
};

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{Page, Paging};
use crate::service::{Admin, Caller};

/// The triggers Tessera runs, each with the version of it Auth0 reports as current.
pub const TRIGGERS: [(&str, &str); 2] = [("post-login", "v3"), ("credentials-exchange", "v2")];
/// The runtime of an action that names none.
pub const DEFAULT_RUNTIME: &str = "node18";
/// Actions per page when none is asked for, as Auth0's Actions lists.
const DEFAULT_PER_PAGE: u32 = 20;

/// A trigger an action supports: `{id, version}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionTrigger {
    /// `post-login` or `credentials-exchange`.
    pub id: String,
    /// `v3` for post-login, `v2` for credentials-exchange (filled in when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// An npm module the action depends on, kept and shown as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDependency {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_url: Option<String>,
}

/// A secret in a request: its value is required for a new name, and may be left out to keep
/// the value a name has.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretInput {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretInput")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A secret as Auth0 shows it: its name and when its value last changed, never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionSecretView {
    pub name: String,
    pub updated_at: String,
}

/// An action to create, or the fields of one to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Exactly one: `post-login` or `credentials-exchange`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported_triggers: Option<Vec<ActionTrigger>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `node18` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<ActionDependency>>,
    /// The action's secrets, all of them: a name left out is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretInput>>,
    /// Create only: deploy the action once created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<bool>,
}

/// The action a version belongs to (Auth0's `ActionBase`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionSummary {
    pub id: String,
    pub name: String,
    pub supported_triggers: Vec<ActionTrigger>,
    pub all_changes_deployed: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// An immutable version of an action, made by a deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionVersion {
    /// A UUID.
    pub id: String,
    pub action_id: String,
    pub code: String,
    pub dependencies: Vec<ActionDependency>,
    /// Whether it is the version that runs.
    pub deployed: bool,
    pub runtime: String,
    pub secrets: Vec<ActionSecretView>,
    /// `built`: Tessera builds nothing.
    pub status: String,
    /// 1, 2, 3… in the order of the deploys.
    pub number: u32,
    pub errors: Vec<serde_json::Value>,
    pub action: ActionSummary,
    pub built_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub supported_triggers: Vec<ActionTrigger>,
}

/// An action as the Management API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Action {
    /// A UUID.
    pub id: String,
    pub name: String,
    pub supported_triggers: Vec<ActionTrigger>,
    /// False when the draft changed after the last deploy (or it was never deployed).
    pub all_changes_deployed: bool,
    pub created_at: String,
    pub updated_at: String,
    pub code: String,
    pub dependencies: Vec<ActionDependency>,
    pub runtime: String,
    pub secrets: Vec<ActionSecretView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_version: Option<ActionVersion>,
    /// `built`.
    pub status: String,
}

/// Which actions a list returns (Auth0's `triggerId` and `actionName`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// Only actions supporting this trigger.
    #[serde(rename = "triggerId", skip_serializing_if = "Option::is_none")]
    pub trigger_id: Option<String>,
    /// Only the action of this name.
    #[serde(rename = "actionName", skip_serializing_if = "Option::is_none")]
    pub action_name: Option<String>,
}

/// `DELETE /actions/actions/{id}?force=true`: delete a bound action, unbinding it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

/// A page of actions, as Auth0's Actions lists are: always with their totals.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionList {
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub actions: Vec<Action>,
}

/// A page of an action's versions, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionVersionList {
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub versions: Vec<ActionVersion>,
}

/// A new UUID (version 4), as Auth0's action, version and binding ids.
pub(crate) fn new_uuid() -> AdminResult<String> {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// A page of an Actions list: `per_page` is 20 when absent.
pub(crate) fn actions_page(paging: &Paging) -> AdminResult<Page> {
    Paging {
        per_page: paging.per_page.or(Some(DEFAULT_PER_PAGE)),
        ..*paging
    }
    .page()
}

pub(crate) fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::Other, format!("The action `{id}`"))
}

fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::InvalidBody(format!("Payload validation error: {}", message.into()))
}

/// The trigger an action supports: exactly one, of the two Tessera runs, at its version.
fn supported_trigger(triggers: &[ActionTrigger]) -> AdminResult<(String, String)> {
    let [trigger] = triggers else {
        return Err(invalid(
            "supported_triggers must name exactly one trigger: `post-login` or \
             `credentials-exchange`",
        ));
    };
    let Some((id, version)) = TRIGGERS.iter().find(|(id, _)| *id == trigger.id) else {
        return Err(invalid(format!(
            "the trigger `{}` is not supported: Tessera runs Actions only on `post-login` and \
             `credentials-exchange`",
            trigger.id
        )));
    };
    match trigger.version.as_deref() {
        None => Ok(((*id).to_owned(), (*version).to_owned())),
        Some(given) if given == *version => Ok(((*id).to_owned(), (*version).to_owned())),
        Some(given) => Err(invalid(format!(
            "the trigger `{id}` runs at version `{version}` in Tessera, not `{given}`"
        ))),
    }
}

/// `nodeNN`, as Auth0 names its runtimes.
fn runtime(given: Option<String>) -> AdminResult<String> {
    let runtime = given.unwrap_or_else(|| DEFAULT_RUNTIME.to_owned());
    let digits = runtime.strip_prefix("node").unwrap_or("");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!(
            "runtime `{runtime}` is not a Node runtime (`node18`)"
        )));
    }
    Ok(runtime)
}

fn summary(action: &StoredAction) -> ActionSummary {
    ActionSummary {
        id: action.id.clone(),
        name: action.name.clone(),
        supported_triggers: triggers_of(&action.draft),
        all_changes_deployed: action.all_changes_deployed,
        created_at: action.created_at.rfc3339(),
        updated_at: action.updated_at.rfc3339(),
    }
}

fn triggers_of(code: &ActionCode) -> Vec<ActionTrigger> {
    vec![ActionTrigger {
        id: code.trigger_id.clone(),
        version: Some(code.trigger_version.clone()),
    }]
}

fn secrets_of(code: &ActionCode) -> Vec<ActionSecretView> {
    code.secrets
        .iter()
        .map(|secret| ActionSecretView {
            name: secret.name.clone(),
            updated_at: secret.updated_at.rfc3339(),
        })
        .collect()
}

fn dependencies_of(code: &ActionCode) -> AdminResult<Vec<ActionDependency>> {
    serde_json::from_str(&code.dependencies)
        .map_err(|e| AdminError::Internal(format!("stored dependencies: {e}")))
}

pub(crate) fn version_view(
    action: &StoredAction,
    version: &StoredVersion,
) -> AdminResult<ActionVersion> {
    let created_at = version.created_at.rfc3339();
    Ok(ActionVersion {
        id: version.id.clone(),
        action_id: action.id.clone(),
        code: version.code.code.clone(),
        dependencies: dependencies_of(&version.code)?,
        deployed: action.deployed_version == Some(version.number),
        runtime: version.code.runtime.clone(),
        secrets: secrets_of(&version.code),
        status: "built".into(),
        number: version.number,
        errors: Vec::new(),
        action: summary(action),
        built_at: created_at.clone(),
        updated_at: created_at.clone(),
        created_at,
        supported_triggers: triggers_of(&version.code),
    })
}

impl Admin {
    pub async fn list_actions(
        &self,
        caller: &Caller,
        query: &ActionQuery,
        paging: &Paging,
    ) -> AdminResult<ActionList> {
        caller.require("read:actions")?;
        let page = actions_page(paging)?;
        let trigger = query.trigger_id.as_deref().filter(|t| !t.is_empty());
        let name = query.action_name.as_deref().filter(|n| !n.is_empty());
        let listing = self.store().list_actions(page, trigger, name).await?;
        let mut actions = Vec::with_capacity(listing.items.len());
        for action in &listing.items {
            actions.push(self.action_view(action).await?);
        }
        Ok(ActionList {
            total: listing.total,
            page: page.page,
            per_page: page.per_page,
            actions,
        })
    }

    pub async fn action(&self, caller: &Caller, id: &str) -> AdminResult<Action> {
        caller.require("read:actions")?;
        let action = self.stored_action(id).await?;
        self.action_view(&action).await
    }

    pub(crate) async fn stored_action(&self, id: &str) -> AdminResult<StoredAction> {
        self.store().action(id).await?.ok_or_else(|| not_found(id))
    }

    pub(crate) async fn action_view(&self, action: &StoredAction) -> AdminResult<Action> {
        let deployed_version = match action.deployed_version {
            Some(number) => match self.store().action_version(&action.id, number).await? {
                Some(version) => Some(version_view(action, &version)?),
                None => None,
            },
            None => None,
        };
        Ok(Action {
            id: action.id.clone(),
            name: action.name.clone(),
            supported_triggers: triggers_of(&action.draft),
            all_changes_deployed: action.all_changes_deployed,
            created_at: action.created_at.rfc3339(),
            updated_at: action.updated_at.rfc3339(),
            code: action.draft.code.clone(),
            dependencies: dependencies_of(&action.draft)?,
            runtime: action.draft.runtime.clone(),
            secrets: secrets_of(&action.draft),
            deployed_version,
            status: "built".into(),
        })
    }

    pub async fn create_action(&self, caller: &Caller, body: ActionBody) -> AdminResult<Action> {
        caller.require("create:actions")?;
        let name = body
            .name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| AdminError::missing("name"))?;
        let triggers = body
            .supported_triggers
            .ok_or_else(|| AdminError::missing("supported_triggers"))?;
        let (trigger_id, trigger_version) = supported_trigger(&triggers)?;
        let code = body.code.ok_or_else(|| AdminError::missing("code"))?;
        let id = new_uuid()?;
        let now = self.now();
        let draft = ActionCode {
            trigger_id,
            trigger_version,
            code,
            runtime: runtime(body.runtime)?,
            dependencies: dependencies_json(body.dependencies.unwrap_or_default())?,
            secrets: self.sealed_secrets(&id, body.secrets.unwrap_or_default(), &[])?,
        };
        let mut action = StoredAction {
            id,
            name,
            draft,
            deployed_version: None,
            all_changes_deployed: false,
            created_at: now,
            updated_at: now,
        };
        self.store().create_action(&action).await?;
        self.action_changed(caller, "Create an action", &action, json!({}));
        if body.deploy == Some(true) {
            self.deploy_stored(caller, &action.id).await?;
            action = self.stored_action(&action.id).await?;
        }
        self.action_view(&action).await
    }

    pub async fn update_action(
        &self,
        caller: &Caller,
        id: &str,
        body: ActionBody,
    ) -> AdminResult<Action> {
        caller.require("update:actions")?;
        if body.deploy.is_some() {
            return Err(invalid(
                "deploy is for creating an action; deploy a change with POST /actions/actions/{id}/deploy",
            ));
        }
        let mut action = self.stored_action(id).await?;
        if let Some(name) = body.name {
            if name.trim().is_empty() {
                return Err(invalid("name must not be empty"));
            }
            action.name = name;
        }
        if let Some(triggers) = body.supported_triggers {
            let (trigger_id, trigger_version) = supported_trigger(&triggers)?;
            if trigger_id != action.draft.trigger_id
                && !self.store().triggers_binding(id).await?.is_empty()
            {
                return Err(invalid(format!(
                    "can't upgrade to this trigger: the action is bound to `{}`; remove its \
                     binding first",
                    action.draft.trigger_id
                )));
            }
            (action.draft.trigger_id, action.draft.trigger_version) = (trigger_id, trigger_version);
        }
        if let Some(code) = body.code {
            action.draft.code = code;
        }
        if let Some(given) = body.runtime {
            action.draft.runtime = runtime(Some(given))?;
        }
        if let Some(dependencies) = body.dependencies {
            action.draft.dependencies = dependencies_json(dependencies)?;
        }
        if let Some(secrets) = body.secrets {
            action.draft.secrets = self.sealed_secrets(id, secrets, &action.draft.secrets)?;
        }
        action.updated_at = self.now();
        if !self.store().update_action(&action).await? {
            return Err(not_found(id));
        }
        action.all_changes_deployed = false;
        self.action_changed(caller, "Update an action", &action, json!({}));
        self.action_view(&action).await
    }

    /// Deletes an action and its versions; a bound one only with `force` (its bindings go too).
    pub async fn delete_action(
        &self,
        caller: &Caller,
        id: &str,
        query: &DeleteQuery,
    ) -> AdminResult<()> {
        caller.require("delete:actions")?;
        let action = self.stored_action(id).await?;
        match self
            .store()
            .delete_action(id, query.force.unwrap_or(false))
            .await?
        {
            ActionDeletion::Deleted => {}
            ActionDeletion::NotFound => return Err(not_found(id)),
            ActionDeletion::Bound => {
                return Err(AdminError::InvalidQuery(format!(
                    "The action `{}` is bound to the `{}` trigger: remove its binding first, or \
                     delete it with force=true",
                    action.name, action.draft.trigger_id
                )))
            }
        }
        self.action_changed(caller, "Delete an action", &action, json!({}));
        Ok(())
    }

    /// Deploys the action's draft as a new version, which runs from now on where it is bound.
    pub async fn deploy_action(&self, caller: &Caller, id: &str) -> AdminResult<ActionVersion> {
        caller.require("create:actions")?;
        self.deploy_stored(caller, id).await
    }

    async fn deploy_stored(&self, caller: &Caller, id: &str) -> AdminResult<ActionVersion> {
        let version_id = new_uuid()?;
        let version = self
            .store()
            .deploy_action(id, &version_id, self.now())
            .await?
            .ok_or_else(|| not_found(id))?;
        let action = self.stored_action(id).await?;
        let details = json!({ "version": version.number });
        self.action_changed(caller, "Deploy an action", &action, details);
        version_view(&action, &version)
    }

    pub async fn action_versions(
        &self,
        caller: &Caller,
        id: &str,
        paging: &Paging,
    ) -> AdminResult<ActionVersionList> {
        caller.require("read:actions")?;
        let page = actions_page(paging)?;
        let action = self.stored_action(id).await?;
        let listing = self.store().action_versions(id, page).await?;
        let versions = listing
            .items
            .iter()
            .map(|version| version_view(&action, version))
            .collect::<AdminResult<_>>()?;
        Ok(ActionVersionList {
            total: listing.total,
            page: page.page,
            per_page: page.per_page,
            versions,
        })
    }

    /// The secrets of `body`, sealed for the action `action_id`: names unique and not empty, a
    /// value for each new name; a name without a value keeps its value in `current`.
    fn sealed_secrets(
        &self,
        action_id: &str,
        body: Vec<SecretInput>,
        current: &[ActionSecret],
    ) -> AdminResult<Vec<ActionSecret>> {
        let mut names = BTreeSet::new();
        let now = self.now();
        body.into_iter()
            .enumerate()
            .map(|(i, secret)| {
                if secret.name.trim().is_empty() {
                    return Err(invalid(format!("secrets[{i}].name must not be empty")));
                }
                if !names.insert(secret.name.clone()) {
                    return Err(invalid(format!(
                        "secrets[{i}]: the secret `{}` is named twice",
                        secret.name
                    )));
                }
                match (secret.value, current.iter().find(|s| s.name == secret.name)) {
                    (Some(value), _) => Ok(ActionSecret {
                        sealed: self
                            .parts()
                            .sealer
                            .seal_action_secret(action_id, &secret.name, &value)
                            .map_err(|e| AdminError::Internal(e.to_string()))?,
                        name: secret.name,
                        updated_at: now,
                    }),
                    (None, Some(kept)) => Ok(kept.clone()),
                    (None, None) => Err(AdminError::missing(&format!("secrets[{i}].value"))),
                }
            })
            .collect()
    }

    /// After a change to an action or a trigger's bindings: the token path's cache is cleared
    /// and the change is in the audit log (never the code or a secret).
    pub(crate) fn action_changed(
        &self,
        caller: &Caller,
        description: &str,
        action: &StoredAction,
        details: serde_json::Value,
    ) {
        let mut details = details;
        details["action_id"] = json!(action.id);
        details["name"] = json!(action.name);
        self.changed();
        let event = Event::new(EventType::ApiOperation)
            .description(description)
            .details(details);
        self.record(caller, caller.event(event));
    }
}

fn dependencies_json(dependencies: Vec<ActionDependency>) -> AdminResult<String> {
    for (i, dependency) in dependencies.iter().enumerate() {
        if dependency.name.trim().is_empty() {
            return Err(invalid(format!("dependencies[{i}].name must not be empty")));
        }
    }
    serde_json::to_string(&dependencies).map_err(|e| AdminError::Internal(e.to_string()))
}
