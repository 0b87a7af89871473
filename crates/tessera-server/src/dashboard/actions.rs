//! Actions (Auth0's): the list with each trigger's bound Actions in the order they run (moved
//! up, unbound, or bound last), creating one from a template, and an Action's page where its
//! code is edited, saved and deployed. Every change goes through the admin service.

use askama::Template;
use axum::extract::{Path, State};
use tessera_admin::action_bindings::BindingsBody;
use tessera_admin::actions::{Action, ActionBody, ActionQuery, ActionTrigger};
use tessera_admin::paging::Paging;
use tessera_admin::AdminResult;

use crate::dashboard::roles::shown_on_page;
use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

const ACTIONS: &str = "/dashboard/actions";

/// The triggers Tessera runs, with the version an Action declares.
const TRIGGERS: [(&str, &str); 2] = [("post-login", "v3"), ("credentials-exchange", "v2")];

/// What a new Action starts with: Auth0's handler for its trigger.
fn template_code(trigger: &str) -> &'static str {
    match trigger {
        "credentials-exchange" => {
            "exports.onExecuteCredentialsExchange = async (event, api) => {\n  // api.accessToken.setCustomClaim('https://example.com/claim', 'value');\n};\n"
        }
        _ => {
            "exports.onExecutePostLogin = async (event, api) => {\n  // api.idToken.setCustomClaim('https://example.com/roles', event.authorization.roles);\n};\n"
        }
    }
}

/// One trigger's bound Actions, in order, with the orders its buttons would set.
struct Flow {
    trigger: &'static str,
    bound: Vec<Bound>,
    /// Deployed Actions of this trigger that are not bound: what can be added.
    unbound: Vec<Action>,
    /// The current order, as the bind form sends it with the added Action last.
    order: String,
}

struct Bound {
    action: Action,
    /// The order with this Action one place earlier (`None` for the first).
    moved_up: Option<String>,
    /// The order without it.
    removed: String,
}

#[derive(Template)]
#[template(path = "dashboard/actions.html")]
struct ActionsPage<'a> {
    chrome: Chrome,
    actions: Vec<Action>,
    flows: Vec<Flow>,
    form: &'a Fields,
    error: Option<String>,
}

fn joined(ids: &[&str]) -> String {
    ids.join(",")
}

async fn flow(
    state: &AppState,
    signed_in: &SignedIn,
    trigger: &'static str,
    actions: &[Action],
) -> AdminResult<Flow> {
    let bindings = state
        .admin
        .trigger_bindings(&signed_in.caller, trigger, &Paging::nth(0))
        .await?;
    let ids: Vec<&str> = bindings
        .bindings
        .iter()
        .map(|b| b.action.id.as_str())
        .collect();
    let bound = bindings
        .bindings
        .iter()
        .enumerate()
        .map(|(i, binding)| {
            let mut up = ids.clone();
            let moved_up = (i > 0).then(|| {
                up.swap(i - 1, i);
                joined(&up)
            });
            let rest: Vec<&str> = ids
                .iter()
                .copied()
                .filter(|id| *id != binding.action.id)
                .collect();
            Bound {
                action: binding.action.clone(),
                moved_up,
                removed: joined(&rest),
            }
        })
        .collect();
    let unbound = actions
        .iter()
        .filter(|a| a.supported_triggers.iter().any(|t| t.id == trigger))
        .filter(|a| a.deployed_version.is_some() && !ids.contains(&a.id.as_str()))
        .cloned()
        .collect();
    Ok(Flow {
        trigger,
        bound,
        unbound,
        order: joined(&ids),
    })
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: &Fields,
    error: Option<String>,
) -> Page {
    let actions = state
        .admin
        .list_actions(&signed_in.caller, &ActionQuery::default(), &Paging::nth(0))
        .await?
        .actions;
    let mut flows = Vec::new();
    for (trigger, _) in TRIGGERS {
        flows.push(flow(state, signed_in, trigger, &actions).await?);
    }
    let page = ActionsPage {
        chrome: signed_in.chrome("actions"),
        actions,
        flows,
        form,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/actions`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    list_page(&state, &signed_in, &Fields(Vec::new()), None).await
}

fn action_path(id: &str) -> String {
    format!("{ACTIONS}/{}", view::segment(id))
}

/// `POST /dashboard/actions`: a new Action of the chosen trigger, from its template.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let trigger = form.get("trigger");
    let version = TRIGGERS
        .iter()
        .find(|(t, _)| *t == trigger)
        .map(|(_, v)| *v);
    let body = ActionBody {
        name: Some(form.get("name").trim().to_owned()),
        supported_triggers: Some(vec![ActionTrigger {
            id: trigger.to_owned(),
            version: version.map(str::to_owned),
        }]),
        code: Some(template_code(trigger).to_owned()),
        ..ActionBody::default()
    };
    match state.admin.create_action(&signed_in.caller, body).await {
        Ok(action) => Ok(found(&action_path(&action.id))),
        Err(refused) if shown_on_page(&refused) => {
            list_page(&state, &signed_in, &form, Some(refused.to_string())).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/actions/bindings`: a trigger's bound Actions become `order` (ids, in order).
pub async fn bind(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let mut ids = form.lines("order");
    let added = form.get("add");
    if !added.is_empty() {
        ids.push(added.to_owned());
    }
    let body = BindingsBody::by_ids(ids.iter().map(String::as_str));
    let trigger = form.get("trigger");
    match state
        .admin
        .update_trigger_bindings(&signed_in.caller, trigger, body)
        .await
    {
        Ok(_) => Ok(found(ACTIONS)),
        Err(refused) if shown_on_page(&refused) => {
            list_page(
                &state,
                &signed_in,
                &Fields(Vec::new()),
                Some(refused.to_string()),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "dashboard/action.html")]
struct ActionPage {
    chrome: Chrome,
    action: Action,
    /// The code shown: what was just submitted when it was refused, else the draft.
    code: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn action_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    code: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let action = state.admin.action(&signed_in.caller, id).await?;
    let page = ActionPage {
        chrome: signed_in.chrome("actions"),
        code: code.unwrap_or_else(|| action.code.clone()),
        action,
        notice,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/actions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    action_page(&state, &signed_in, &id, None, None, None).await
}

/// `POST /dashboard/actions/{id}`: saves the code, and deploys it when the Deploy button sent
/// the form.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let code = form.get("code").replace("\r\n", "\n");
    let body = ActionBody {
        code: Some(code.clone()),
        ..ActionBody::default()
    };
    let caller = &signed_in.caller;
    if let Err(refused) = state.admin.update_action(caller, &id, body).await {
        return match shown_on_page(&refused) {
            true => {
                action_page(
                    &state,
                    &signed_in,
                    &id,
                    Some(code),
                    None,
                    Some(refused.to_string()),
                )
                .await
            }
            false => Err(refused.into()),
        };
    }
    let notice = if form.checked("deploy") {
        let version = state.admin.deploy_action(caller, &id).await?;
        format!(
            "Deployed as version {}: it runs from the next token on, where it is bound.",
            version.number
        )
    } else {
        "Saved. Deploy it for the change to run.".to_owned()
    };
    action_page(&state, &signed_in, &id, None, Some(notice), None).await
}
