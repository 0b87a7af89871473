//! APIs: list, create, settings (offline access, token lifetime, signing algorithm, RBAC,
//! sender-constraining), permissions add/remove, and the Machine to Machine tab (client grants).

use askama::Template;
use axum::extract::{Path, State};
use tessera_admin::client_grants::{ClientGrant, ClientGrantBody, ClientGrantQuery};
use tessera_admin::paging::every;
use tessera_admin::resource_servers::{
    Permission, ProofOfPossession, ResourceServer, ResourceServerBody,
};
use tessera_admin::AdminError;

use crate::dashboard::apps::all_clients;
use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

const ALGORITHMS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

/// The choices of the API's `proof_of_possession`, as the settings form names them.
const SENDER_CONSTRAINING: [(&str, &str); 3] = [
    ("none", "None: Bearer tokens"),
    (
        "dpop",
        "DPoP allowed: tokens bound to the key of a client that sends a proof",
    ),
    (
        "dpop_required",
        "DPoP required: only clients that send a proof get tokens",
    ),
];

#[derive(Template)]
#[template(path = "dashboard/apis.html")]
struct ApisPage<'a> {
    chrome: Chrome,
    apis: Vec<ResourceServer>,
    algorithms: &'a [&'a str],
    name: &'a str,
    identifier: &'a str,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: &Fields,
    error: Option<String>,
) -> Page {
    let caller = &signed_in.caller;
    let apis =
        every(|paging| async move { state.admin.list_resource_servers(caller, &paging).await })
            .await?;
    let page = ApisPage {
        chrome: signed_in.chrome("apis"),
        apis,
        algorithms: &ALGORITHMS,
        name: form.get("name"),
        identifier: form.get("identifier"),
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/apis`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    list_page(&state, &signed_in, &Fields(Vec::new()), None).await
}

fn settings_path(identifier: &str) -> String {
    format!("/dashboard/apis/{}", view::segment(identifier))
}

/// `POST /dashboard/apis`.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let identifier = form.get("identifier").trim();
    let body = ResourceServerBody {
        identifier: Some(identifier.to_owned()),
        name: Some(form.get("name").trim().to_owned()),
        signing_alg: Some(form.get("signing_alg").to_owned()),
        ..ResourceServerBody::default()
    };
    match state
        .admin
        .create_resource_server(&signed_in.caller, body)
        .await
    {
        Ok(_) => Ok(found(&settings_path(identifier))),
        Err(refused @ (AdminError::InvalidBody(_) | AdminError::Conflict(_))) => {
            list_page(&state, &signed_in, &form, Some(refused.to_string())).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "dashboard/api.html")]
struct ApiPage<'a> {
    chrome: Chrome,
    api: ResourceServer,
    algorithms: &'a [&'a str],
    grants: Vec<ClientGrant>,
    /// The machine-to-machine applications, as (client id, name).
    m2m_clients: Vec<(String, String)>,
    error: Option<String>,
}

impl ApiPage<'_> {
    /// Which of [`SENDER_CONSTRAINING`] the API has.
    fn sender_constraining(&self) -> &'static str {
        match &self.api.proof_of_possession {
            None => "none",
            Some(pop) if pop.required => "dpop_required",
            Some(_) => "dpop",
        }
    }
}

async fn settings_page(
    state: &AppState,
    signed_in: &SignedIn,
    identifier: &str,
    error: Option<String>,
) -> Page {
    let caller = &signed_in.caller;
    let api = state.admin.resource_server(caller, identifier).await?;
    let query = ClientGrantQuery {
        audience: Some(identifier.to_owned()),
        ..ClientGrantQuery::default()
    };
    let query = &query;
    let grants =
        every(|paging| async move { state.admin.list_client_grants(caller, query, &paging).await })
            .await?;
    let m2m_clients = all_clients(state, signed_in)
        .await?
        .into_iter()
        .filter(|c| c.app_type == "non_interactive")
        .map(|c| (c.client_id, c.name))
        .collect();
    let page = ApiPage {
        chrome: signed_in.chrome("apis"),
        api,
        algorithms: &ALGORITHMS,
        grants,
        m2m_clients,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/apis/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    settings_page(&state, &signed_in, &id, None).await
}

/// Applies `body` to the API; an invalid change shows the settings page with the message.
async fn change(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    body: ResourceServerBody,
) -> Page {
    match state
        .admin
        .update_resource_server(&signed_in.caller, id, body)
        .await
    {
        Ok(_) => Ok(found(&settings_path(id))),
        Err(AdminError::InvalidBody(message)) => {
            settings_page(state, signed_in, id, Some(message)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/apis/{id}`: saves the settings.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let Ok(lifetime) = form.get("token_lifetime").trim().parse::<i64>() else {
        let message = "Token lifetime: enter a number of seconds".to_owned();
        return settings_page(&state, &signed_in, &id, Some(message)).await;
    };
    let body = ResourceServerBody {
        name: Some(form.get("name").trim().to_owned()),
        allow_offline_access: Some(form.checked("allow_offline_access")),
        skip_consent_for_verifiable_first_party_clients: Some(form.checked("skip_consent")),
        token_lifetime: Some(lifetime),
        signing_alg: Some(form.get("signing_alg").to_owned()),
        enforce_policies: Some(form.checked("enforce_policies")),
        token_dialect: Some(token_dialect(
            form.get("token_profile"),
            form.checked("add_permissions"),
        )),
        proof_of_possession: proof_of_possession(form.get("sender_constraining")),
        ..ResourceServerBody::default()
    };
    change(&state, &signed_in, &id, body).await
}

/// The API's `proof_of_possession` from the form's choice; unchanged without one.
fn proof_of_possession(choice: &str) -> Option<Option<ProofOfPossession>> {
    let dpop = |required| {
        Some(Some(ProofOfPossession {
            mechanism: "dpop".into(),
            required,
        }))
    };
    match choice {
        "none" => Some(None),
        "dpop" => dpop(false),
        "dpop_required" => dpop(true),
        _ => None,
    }
}

/// Auth0's `token_dialect` from its Dashboard's two settings: the profile, and whether the
/// permissions are added (`_authz`).
fn token_dialect(profile: &str, add_permissions: bool) -> String {
    let profile = if profile == "rfc9068_profile" {
        "rfc9068_profile"
    } else {
        "access_token"
    };
    if add_permissions {
        format!("{profile}_authz")
    } else {
        profile.to_owned()
    }
}

/// Sets the API's permissions to `edit` of its current ones.
async fn edit_permissions(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    edit: impl FnOnce(&mut Vec<Permission>),
) -> Page {
    let mut scopes = state
        .admin
        .resource_server(&signed_in.caller, id)
        .await?
        .scopes;
    edit(&mut scopes);
    let body = ResourceServerBody {
        scopes: Some(scopes),
        ..ResourceServerBody::default()
    };
    change(state, signed_in, id, body).await
}

/// `POST /dashboard/apis/{id}/permissions`: adds a permission.
pub async fn add_permission(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let added = Permission {
        value: form.get("value").trim().to_owned(),
        description: form.get("description").trim().to_owned(),
    };
    edit_permissions(&state, &signed_in, &id, |scopes| scopes.push(added)).await
}

/// `POST /dashboard/apis/{id}/permissions/remove`: removes a permission, once confirmed.
pub async fn remove_permission(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = settings_path(&id);
    if form.get("confirmed") != "yes" {
        let message = format!(
            "Applications will no longer be able to request `{}`.",
            form.get("value")
        );
        return Ok(view::confirm(
            signed_in.chrome("apis"),
            "Remove permission",
            &message,
            &format!("{back}/permissions/remove"),
            &form,
            &back,
        ));
    }
    let removed = form.get("value");
    edit_permissions(&state, &signed_in, &id, |scopes| {
        scopes.retain(|p| p.value != removed)
    })
    .await
}

/// `POST /dashboard/apis/{id}/client-grants`: authorizes a machine-to-machine application.
pub async fn add_grant(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let body = ClientGrantBody {
        client_id: Some(form.get("client_id").to_owned()),
        audience: Some(id.clone()),
        scope: Some(form.all("scope")),
    };
    match state
        .admin
        .create_client_grant(&signed_in.caller, body)
        .await
    {
        Ok(_) => Ok(found(&settings_path(&id))),
        Err(
            refused @ (AdminError::InvalidBody(_)
            | AdminError::Conflict(_)
            | AdminError::NotFound(..)),
        ) => settings_page(&state, &signed_in, &id, Some(refused.to_string())).await,
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/apis/{id}/client-grants/remove`: revokes a client grant, once confirmed.
pub async fn remove_grant(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = settings_path(&id);
    if form.get("confirmed") != "yes" {
        return Ok(view::confirm(
            signed_in.chrome("apis"),
            "Revoke access",
            "The application will no longer get tokens for this API.",
            &format!("{back}/client-grants/remove"),
            &form,
            &back,
        ));
    }
    state
        .admin
        .delete_client_grant(&signed_in.caller, form.get("grant_id"))
        .await?;
    Ok(found(&back))
}
