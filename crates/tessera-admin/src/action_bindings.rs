//! Auth0's Actions triggers and their bindings (`/api/v2/actions/triggers`): the two triggers
//! Tessera runs, and the ordered list of deployed actions bound to each. A new list of bindings
//! is checked whole — every action found, deployed and supporting the trigger — before it
//! replaces the old one in one transaction.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_core::audit::{Event, EventType};
use tessera_store::{Action as StoredAction, ActionBinding as StoredBinding};

use crate::actions::{actions_page, new_uuid, Action, DEFAULT_RUNTIME, TRIGGERS};
use crate::error::{AdminError, AdminResult};
use crate::paging::Paging;
use crate::service::{Admin, Caller};

/// A trigger Tessera runs Actions on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trigger {
    /// `post-login` or `credentials-exchange`.
    pub id: String,
    pub version: String,
    /// `CURRENT`.
    pub status: String,
    pub runtimes: Vec<String>,
    pub default_runtime: String,
    pub compatible_triggers: Vec<serde_json::Value>,
    /// `trigger-bound`: bindings are listed per trigger.
    pub binding_policy: String,
}

/// `{ "triggers": [...] }`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TriggerList {
    pub triggers: Vec<Trigger>,
}

/// An action bound to a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionBinding {
    /// A UUID.
    pub id: String,
    pub trigger_id: String,
    pub display_name: String,
    pub action: Action,
    pub created_at: String,
    pub updated_at: String,
}

/// A page of a trigger's bindings, in the order they run.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionBindingList {
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub bindings: Vec<ActionBinding>,
}

/// The trigger's bindings after an update.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdatedBindings {
    pub bindings: Vec<ActionBinding>,
}

/// How a binding names its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefType {
    ActionId,
    ActionName,
}

/// `{"type": "action_id" | "action_name", "value": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingRef {
    #[serde(rename = "type")]
    pub kind: RefType,
    pub value: String,
}

/// One binding of the new list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingInput {
    #[serde(rename = "ref")]
    pub reference: BindingRef,
    /// The action's name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `{ "bindings": [...] }`: the trigger's bindings, all of them, in the order they run.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingsBody {
    pub bindings: Vec<BindingInput>,
}

impl BindingsBody {
    /// The bindings of the actions `ids`, in this order, each named by its id.
    pub fn by_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> BindingsBody {
        let bindings = ids
            .into_iter()
            .map(|id| BindingInput {
                reference: BindingRef {
                    kind: RefType::ActionId,
                    value: id.to_owned(),
                },
                display_name: None,
            })
            .collect();
        BindingsBody { bindings }
    }
}

fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::InvalidBody(format!("Payload validation error: {}", message.into()))
}

/// The trigger `id`, if Tessera runs it.
fn trigger(id: &str) -> AdminResult<&'static str> {
    TRIGGERS
        .iter()
        .map(|(trigger, _)| *trigger)
        .find(|trigger| *trigger == id)
        .ok_or_else(|| {
            AdminError::InvalidQuery(format!(
                "The trigger `{id}` is not supported: Tessera runs Actions only on `post-login` \
                 and `credentials-exchange`"
            ))
        })
}

impl Admin {
    pub async fn list_triggers(&self, caller: &Caller) -> AdminResult<TriggerList> {
        caller.require("read:actions")?;
        let triggers = TRIGGERS
            .iter()
            .map(|(id, version)| Trigger {
                id: (*id).to_owned(),
                version: (*version).to_owned(),
                status: "CURRENT".into(),
                runtimes: vec![DEFAULT_RUNTIME.to_owned()],
                default_runtime: DEFAULT_RUNTIME.to_owned(),
                compatible_triggers: Vec::new(),
                binding_policy: "trigger-bound".into(),
            })
            .collect();
        Ok(TriggerList { triggers })
    }

    pub async fn trigger_bindings(
        &self,
        caller: &Caller,
        trigger_id: &str,
        paging: &Paging,
    ) -> AdminResult<ActionBindingList> {
        caller.require("read:actions")?;
        let trigger = trigger(trigger_id)?;
        let page = actions_page(paging)?;
        let all = self.store().bindings(trigger).await?;
        let total = all.len() as u64;
        let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let on_page = all
            .iter()
            .skip(start)
            .take(usize::try_from(page.per_page).unwrap_or(0));
        let mut bindings = Vec::new();
        for binding in on_page {
            bindings.push(self.binding_view(binding, None).await?);
        }
        Ok(ActionBindingList {
            total,
            page: page.page,
            per_page: page.per_page,
            bindings,
        })
    }

    /// Replaces the trigger's bindings with `body`'s, in its order.
    pub async fn update_trigger_bindings(
        &self,
        caller: &Caller,
        trigger_id: &str,
        body: BindingsBody,
    ) -> AdminResult<UpdatedBindings> {
        caller.require("update:actions")?;
        let trigger = trigger(trigger_id)?;
        let now = self.now();
        let mut bound = Vec::with_capacity(body.bindings.len());
        let mut seen = BTreeSet::new();
        for (i, input) in body.bindings.into_iter().enumerate() {
            let action = self.bound_action(i, &input.reference, trigger).await?;
            if !seen.insert(action.id.clone()) {
                return Err(invalid(format!(
                    "bindings[{i}]: the action `{}` is bound twice",
                    action.name
                )));
            }
            let binding = StoredBinding {
                id: new_uuid()?,
                trigger_id: trigger.to_owned(),
                action_id: action.id.clone(),
                display_name: input
                    .display_name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| action.name.clone()),
                created_at: now,
                updated_at: now,
            };
            bound.push((binding, action));
        }
        let stored: Vec<StoredBinding> = bound.iter().map(|(b, _)| b.clone()).collect();
        self.store().replace_bindings(trigger, &stored).await?;
        self.changed();
        let names: Vec<&str> = bound.iter().map(|(_, a)| a.name.as_str()).collect();
        let event = Event::new(EventType::ApiOperation)
            .description("Update trigger bindings")
            .details(json!({ "trigger_id": trigger, "actions": names }));
        self.record(caller, caller.event(event));
        let mut bindings = Vec::with_capacity(bound.len());
        for (binding, action) in &bound {
            bindings.push(self.binding_view(binding, Some(action)).await?);
        }
        Ok(UpdatedBindings { bindings })
    }

    /// The action a binding names, once it is found, deployed and supports `trigger`.
    async fn bound_action(
        &self,
        i: usize,
        reference: &BindingRef,
        trigger: &str,
    ) -> AdminResult<StoredAction> {
        let found = match reference.kind {
            RefType::ActionId => self.store().action(&reference.value).await?,
            RefType::ActionName => self.store().action_by_name(&reference.value).await?,
        };
        let action = found.ok_or_else(|| {
            invalid(format!(
                "bindings[{i}]: the action `{}` does not exist",
                reference.value
            ))
        })?;
        if action.deployed_version.is_none() {
            return Err(invalid(format!(
                "bindings[{i}]: trying to create a binding for an action that has not been \
                 deployed: deploy `{}` first",
                action.name
            )));
        }
        if action.draft.trigger_id != trigger {
            return Err(invalid(format!(
                "bindings[{i}]: the action `{}` supports `{}`, not `{trigger}`",
                action.name, action.draft.trigger_id
            )));
        }
        Ok(action)
    }

    async fn binding_view(
        &self,
        binding: &StoredBinding,
        action: Option<&StoredAction>,
    ) -> AdminResult<ActionBinding> {
        let action = match action {
            Some(action) => self.action_view(action).await?,
            None => {
                let stored = self.stored_action(&binding.action_id).await?;
                self.action_view(&stored).await?
            }
        };
        Ok(ActionBinding {
            id: binding.id.clone(),
            trigger_id: binding.trigger_id.clone(),
            display_name: binding.display_name.clone(),
            action,
            created_at: binding.created_at.rfc3339(),
            updated_at: binding.updated_at.rfc3339(),
        })
    }
}
