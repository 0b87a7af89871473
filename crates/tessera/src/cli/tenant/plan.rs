//! What an import of a Deploy CLI export would do to a Tessera: for each API, application and
//! client grant, create it, update the fields that differ, or leave it alone — and a note for
//! each thing Tessera cannot carry over. Pure: it takes the export and what Tessera holds.

use std::collections::BTreeMap;

use serde_json::Value;
use tessera_admin::client_grants::{ClientGrant, ClientGrantBody};
use tessera_admin::clients::{Client, ClientBody, RefreshToken};
use tessera_admin::resource_servers::{
    Permission, ProofOfPossession, ResourceServer, ResourceServerBody,
};
use tessera_admin::roles::{PermissionRef, Role, RoleBody, RolePermission};
use tessera_protocol::{registration, AppType, GrantType, PopMechanism, TokenAuthMethod};

use super::export::Export;

/// What Tessera holds now.
#[derive(Debug, Default)]
pub struct Existing {
    pub apis: Vec<ResourceServer>,
    pub clients: Vec<Client>,
    pub client_grants: Vec<ClientGrant>,
    /// Each role with the permissions it grants.
    pub roles: Vec<(Role, Vec<RolePermission>)>,
}

/// What to do with one resource.
#[derive(Debug, Clone)]
pub enum Action<B> {
    Create(B),
    /// Send `body` (only the changed `fields`) to the resource with this id.
    Update {
        id: String,
        body: B,
        fields: Vec<&'static str>,
    },
    Unchanged,
}

/// The application a client grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRef {
    /// Known now: kept from the export or matched in Tessera.
    Id(String),
    /// Created by this import with a new id: the application with this name.
    New(String),
}

/// One resource of the export and what to do with it.
#[derive(Debug, Clone)]
pub enum Step {
    Api {
        identifier: String,
        action: Action<ResourceServerBody>,
    },
    Client {
        name: String,
        action: Action<ClientBody>,
    },
    Grant {
        client: ClientRef,
        client_name: String,
        audience: String,
        action: Action<ClientGrantBody>,
    },
    /// A role, then the permissions it gains and loses (to grant exactly the exported ones).
    Role {
        name: String,
        action: Action<RoleBody>,
        add: Vec<PermissionRef>,
        remove: Vec<PermissionRef>,
    },
}

/// The steps, in an order that works (APIs, then applications, then their grants), and the notes.
#[derive(Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
}

/// Plans the import of `export` into what Tessera holds; `secrets` maps Auth0 client ids to
/// their secrets.
pub fn plan(export: &Export, secrets: &BTreeMap<String, String>, existing: &Existing) -> Plan {
    let mut plan = Plan::default();
    let mut apis = Apis::of(existing);
    for exported in &export.resource_servers {
        plan_api(exported, existing, &mut apis, &mut plan);
    }
    let mut clients = Vec::new();
    for exported in &export.clients {
        if let Some(planned) = plan_client(exported, secrets, existing, &mut plan) {
            clients.push(planned);
        }
    }
    for exported in &export.client_grants {
        plan_grant(exported, &clients, &apis, existing, &mut plan);
    }
    for exported in &export.roles {
        plan_role(exported, &apis, existing, &mut plan);
    }
    note_databases(&export.databases, &mut plan.notes);
    if let Some(tenant) = &export.tenant {
        note_tenant(tenant, &mut plan.notes);
    }
    for (kind, count) in &export.others {
        plan.notes.push(format!(
            "{kind}: {count} not carried over: {}",
            why_not(kind)
        ));
    }
    plan
}

/// The scopes each API will define once the import is done, by identifier, and the identifier
/// of Tessera's Management API.
struct Apis {
    scopes: BTreeMap<String, Vec<String>>,
    management: Option<String>,
}

impl Apis {
    fn of(existing: &Existing) -> Apis {
        Apis {
            scopes: existing
                .apis
                .iter()
                .map(|api| (api.identifier.clone(), values(&api.scopes)))
                .collect(),
            management: existing
                .apis
                .iter()
                .find(|api| api.is_system)
                .map(|api| api.identifier.clone()),
        }
    }
}

fn values(scopes: &[Permission]) -> Vec<String> {
    scopes.iter().map(|p| p.value.clone()).collect()
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn flag(value: &Value, field: &str) -> Option<bool> {
    value.get(field).and_then(Value::as_bool)
}

fn strings(value: &Value, field: &str) -> Option<Vec<String>> {
    value.get(field).and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

/// Auth0's own Management API (`https://TENANT.auth0.com/api/v2/`), whose grants become grants
/// of Tessera's.
fn is_auth0_management_api(identifier: &str) -> bool {
    identifier.ends_with("/api/v2/")
}

fn plan_api(exported: &Value, existing: &Existing, apis: &mut Apis, plan: &mut Plan) {
    let Some(identifier) = text(exported, "identifier") else {
        plan.notes
            .push("an API without an identifier was skipped".into());
        return;
    };
    if flag(exported, "is_system") == Some(true) || is_auth0_management_api(&identifier) {
        return;
    }
    let name = text(exported, "name").unwrap_or_else(|| identifier.clone());
    let mut body = ResourceServerBody {
        name: Some(name.clone()),
        scopes: exported.get("scopes").and_then(Value::as_array).map(|s| {
            s.iter()
                .filter_map(|p| {
                    Some(Permission {
                        value: text(p, "value")?,
                        description: text(p, "description").unwrap_or_default(),
                    })
                })
                .collect()
        }),
        allow_offline_access: flag(exported, "allow_offline_access"),
        token_lifetime: exported.get("token_lifetime").and_then(Value::as_i64),
        skip_consent_for_verifiable_first_party_clients: flag(
            exported,
            "skip_consent_for_verifiable_first_party_clients",
        ),
        enforce_policies: flag(exported, "enforce_policies"),
        token_dialect: text(exported, "token_dialect"),
        proof_of_possession: proof_of_possession(exported, &name, &mut plan.notes),
        ..ResourceServerBody::default()
    };
    match text(exported, "signing_alg").as_deref() {
        Some("HS256") => plan.notes.push(format!(
            "API `{name}`: signing_alg HS256 is not carried over (a shared secret would let \
             every API forge tokens); its tokens are signed RS256, so the API must verify \
             them with the JWKS"
        )),
        Some(alg) => body.signing_alg = Some(alg.to_owned()),
        None => {}
    }
    let web_lifetime = exported
        .get("token_lifetime_for_web")
        .and_then(Value::as_i64);
    if web_lifetime.is_some() && web_lifetime != body.token_lifetime {
        plan.notes.push(format!(
            "API `{name}`: token_lifetime_for_web is not carried over; browser apps get \
             token_lifetime too"
        ));
    }
    let scopes = body.scopes.as_deref().map(values);
    let action = match existing.apis.iter().find(|a| a.identifier == identifier) {
        None => Action::Create(ResourceServerBody {
            identifier: Some(identifier.clone()),
            ..body
        }),
        Some(current) => api_changes(current, body),
    };
    if let Some(scopes) = scopes {
        apis.scopes.insert(identifier.clone(), scopes);
    } else {
        apis.scopes.entry(identifier.clone()).or_default();
    }
    plan.steps.push(Step::Api { identifier, action });
}

/// An exported API's `proof_of_possession`: absent keeps Tessera's setting, `null` (Auth0's
/// "none") clears it, `dpop` carries over; another mechanism (Auth0's `mtls`) is a note.
fn proof_of_possession(
    exported: &Value,
    name: &str,
    notes: &mut Vec<String>,
) -> Option<Option<ProofOfPossession>> {
    let setting = exported.get("proof_of_possession")?;
    if setting.is_null() {
        return Some(None);
    }
    match text(setting, "mechanism") {
        Some(mechanism) if PopMechanism::parse(&mechanism).is_some() => {
            Some(Some(ProofOfPossession {
                mechanism,
                required: flag(setting, "required").unwrap_or(false),
            }))
        }
        mechanism => {
            notes.push(format!(
                "API `{name}`: proof_of_possession with mechanism `{}` is not carried over \
                 (Tessera implements only dpop); its access tokens are not sender-constrained",
                mechanism.unwrap_or_default()
            ));
            None
        }
    }
}

/// Moves `wanted.$field` into `body` (naming it in `fields`) when it differs from `current`.
macro_rules! differs {
    ($wanted:ident, $body:ident, $fields:ident, $field:ident, $current:expr) => {
        if let Some(value) = $wanted.$field.filter(|v| *v != $current) {
            $body.$field = Some(value);
            $fields.push(stringify!($field));
        }
    };
}

/// Keeps in `wanted` only the fields that differ from `current`.
fn api_changes(current: &ResourceServer, wanted: ResourceServerBody) -> Action<ResourceServerBody> {
    let mut fields = Vec::new();
    let mut body = ResourceServerBody::default();
    let sorted = |scopes: &[Permission]| {
        let mut pairs: Vec<_> = scopes
            .iter()
            .map(|p| (p.value.clone(), p.description.clone()))
            .collect();
        pairs.sort();
        pairs
    };
    differs!(wanted, body, fields, name, current.name);
    if let Some(scopes) = wanted
        .scopes
        .filter(|s| sorted(s) != sorted(&current.scopes))
    {
        body.scopes = Some(scopes);
        fields.push("scopes");
    }
    differs!(
        wanted,
        body,
        fields,
        allow_offline_access,
        current.allow_offline_access
    );
    differs!(wanted, body, fields, token_lifetime, current.token_lifetime);
    differs!(wanted, body, fields, signing_alg, current.signing_alg);
    differs!(
        wanted,
        body,
        fields,
        skip_consent_for_verifiable_first_party_clients,
        current.skip_consent_for_verifiable_first_party_clients
    );
    differs!(
        wanted,
        body,
        fields,
        enforce_policies,
        current.enforce_policies
    );
    differs!(wanted, body, fields, token_dialect, current.token_dialect);
    differs!(
        wanted,
        body,
        fields,
        proof_of_possession,
        current.proof_of_possession
    );
    changes(current.identifier.clone(), body, fields)
}

fn changes<B>(id: String, body: B, fields: Vec<&'static str>) -> Action<B> {
    if fields.is_empty() {
        Action::Unchanged
    } else {
        Action::Update { id, body, fields }
    }
}

/// An exported application as planned: how grants name it, and how they reach it.
struct PlannedClient {
    exported_id: Option<String>,
    name: String,
    reference: ClientRef,
}

fn plan_client(
    exported: &Value,
    secrets: &BTreeMap<String, String>,
    existing: &Existing,
    plan: &mut Plan,
) -> Option<PlannedClient> {
    if flag(exported, "global") == Some(true) {
        return None;
    }
    let Some(name) = text(exported, "name").filter(|n| !n.is_empty()) else {
        plan.notes
            .push("an application without a name was skipped".into());
        return None;
    };
    let notes = &mut plan.notes;
    let app_type = text(exported, "app_type");
    if let Some(unsupported) = app_type.as_deref().filter(|t| AppType::parse(t).is_none()) {
        notes.push(format!(
            "application `{name}`: app_type `{unsupported}` is not supported (regular_web, \
             spa, native, non_interactive); skipped"
        ));
        return None;
    }
    let exported_id = text(exported, "client_id");
    let mut body = ClientBody {
        name: Some(name.clone()),
        app_type: app_type.clone(),
        callbacks: exact_urls(exported, "callbacks", &name, notes),
        allowed_logout_urls: exact_urls(exported, "allowed_logout_urls", &name, notes),
        web_origins: exact_urls(exported, "web_origins", &name, notes),
        allowed_origins: exact_urls(exported, "allowed_origins", &name, notes),
        grant_types: strings(exported, "grant_types").map(|grants| {
            let (kept, dropped): (Vec<_>, Vec<_>) = grants
                .into_iter()
                .partition(|g| GrantType::parse(g).is_some());
            if !dropped.is_empty() {
                notes.push(format!(
                    "application `{name}`: grant types not supported, not carried over: {}",
                    dropped.join(", ")
                ));
            }
            kept
        }),
        refresh_token: exported.get("refresh_token").map(refresh_token),
        is_first_party: flag(exported, "is_first_party"),
        require_pushed_authorization_requests: flag(
            exported,
            "require_pushed_authorization_requests",
        ),
        require_proof_of_possession: flag(exported, "require_proof_of_possession"),
        logo_uri: logo_uri(exported, &name, notes),
        ..ClientBody::default()
    };
    match text(exported, "token_endpoint_auth_method") {
        Some(method) if TokenAuthMethod::parse(&method).is_some() => {
            body.token_endpoint_auth_method = Some(method);
        }
        Some(method) => notes.push(format!(
            "application `{name}`: token_endpoint_auth_method `{method}` is not supported; it \
             authenticates with client_secret_post or client_secret_basic"
        )),
        None => {}
    }
    note_client_extras(exported, &name, notes);
    let current = match &exported_id {
        Some(id) => existing.clients.iter().find(|c| c.client_id == *id),
        None => unique_by_name(&existing.clients, &name),
    };
    let (action, reference) = match current {
        Some(current) => (
            client_changes(current, body),
            ClientRef::Id(current.client_id.clone()),
        ),
        None => {
            let public = is_public(&body);
            body.client_id = exported_id.clone();
            body.client_secret = exported_id
                .as_ref()
                .and_then(|id| secrets.get(id).cloned())
                .or_else(|| text(exported, "client_secret"))
                .filter(|_| !public);
            let reference = match &exported_id {
                Some(id) => ClientRef::Id(id.clone()),
                None => ClientRef::New(name.clone()),
            };
            (Action::Create(body), reference)
        }
    };
    plan.steps.push(Step::Client {
        name: name.clone(),
        action,
    });
    Some(PlannedClient {
        exported_id,
        name,
        reference,
    })
}

/// An exported application's `logo_uri`: absent keeps Tessera's, `null` or empty removes it;
/// one the hosted pages could not show safely (not `https`, say) is a note.
fn logo_uri(exported: &Value, name: &str, notes: &mut Vec<String>) -> Option<Option<String>> {
    let logo = exported.get("logo_uri")?;
    if logo.is_null() {
        return Some(None);
    }
    let checked = match logo.as_str() {
        Some(uri) => registration::logo_uri(Some(uri)).map_err(|e| e.to_string()),
        None => Err("logo_uri must be a string".to_owned()),
    };
    match checked {
        Ok(logo) => Some(logo),
        Err(why) => {
            notes.push(format!(
                "application `{name}`: logo_uri {logo} not carried over: {why}"
            ));
            None
        }
    }
}

/// The only Tessera application named `name` (matching by name alone when several share it
/// would pick one at random).
fn unique_by_name<'a>(clients: &'a [Client], name: &str) -> Option<&'a Client> {
    let mut named = clients.iter().filter(|c| c.name == name);
    match (named.next(), named.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Whether the application will have no secret: its method, or its type's default.
fn is_public(body: &ClientBody) -> bool {
    match body.token_endpoint_auth_method.as_deref() {
        Some(method) => method == TokenAuthMethod::None.as_str(),
        None => body
            .app_type
            .as_deref()
            .and_then(AppType::parse)
            .is_some_and(|t| matches!(t, AppType::Spa | AppType::Native)),
    }
}

/// The URLs of `field` without Auth0's wildcards: Tessera matches redirect URIs and origins
/// exactly (RFC 9700 §2.1), so a wildcard cannot be carried over.
fn exact_urls(
    exported: &Value,
    field: &str,
    name: &str,
    notes: &mut Vec<String>,
) -> Option<Vec<String>> {
    let urls = strings(exported, field)?;
    let (exact, wildcards): (Vec<_>, Vec<_>) = urls.into_iter().partition(|u| !u.contains('*'));
    if !wildcards.is_empty() {
        notes.push(format!(
            "application `{name}`: {field} with wildcards not carried over (Tessera matches \
             URLs exactly; list each one): {}",
            wildcards.join(", ")
        ));
    }
    Some(exact)
}

/// Auth0's `refresh_token` object, its absent fields at Tessera's defaults.
fn refresh_token(exported: &Value) -> RefreshToken {
    let defaults = RefreshToken::default();
    let number = |field: &str, default: i64| {
        exported
            .get(field)
            .and_then(Value::as_i64)
            .unwrap_or(default)
    };
    RefreshToken {
        rotation_type: text(exported, "rotation_type").unwrap_or(defaults.rotation_type),
        leeway: number("leeway", defaults.leeway),
        token_lifetime: number("token_lifetime", defaults.token_lifetime),
        infinite_token_lifetime: flag(exported, "infinite_token_lifetime")
            .unwrap_or(defaults.infinite_token_lifetime),
        idle_token_lifetime: number("idle_token_lifetime", defaults.idle_token_lifetime),
        infinite_idle_token_lifetime: flag(exported, "infinite_idle_token_lifetime")
            .unwrap_or(defaults.infinite_idle_token_lifetime),
    }
}

/// A refresh token policy as the Management API shows it: an infinite lifetime as 0, whatever
/// number was set beside it.
fn as_shown(policy: &RefreshToken) -> RefreshToken {
    RefreshToken {
        token_lifetime: if policy.infinite_token_lifetime {
            0
        } else {
            policy.token_lifetime
        },
        idle_token_lifetime: if policy.infinite_idle_token_lifetime {
            0
        } else {
            policy.idle_token_lifetime
        },
        ..policy.clone()
    }
}

/// Notes for the application settings Tessera has no counterpart for.
fn note_client_extras(exported: &Value, name: &str, notes: &mut Vec<String>) {
    let mut extras = Vec::new();
    let non_empty = |field: &str| {
        exported
            .get(field)
            .is_some_and(|v| v.as_object().is_some_and(|o| !o.is_empty()))
    };
    for field in ["client_metadata", "addons", "mobile", "native_social_login"] {
        if non_empty(field) {
            extras.push(field.to_owned());
        }
    }
    for field in ["custom_login_page_on", "cross_origin_authentication"] {
        if flag(exported, field) == Some(true) {
            extras.push(field.to_owned());
        }
    }
    for field in ["initiate_login_uri", "organization_usage"] {
        if text(exported, field).is_some_and(|v| !v.is_empty() && v != "deny") {
            extras.push(field.to_owned());
        }
    }
    if exported
        .pointer("/jwt_configuration/alg")
        .and_then(Value::as_str)
        .is_some_and(|alg| alg != "RS256")
    {
        extras.push("jwt_configuration.alg (ID tokens are signed RS256)".to_owned());
    }
    if !extras.is_empty() {
        notes.push(format!(
            "application `{name}`: not carried over: {}",
            extras.join(", ")
        ));
    }
}

/// Keeps in `wanted` only the fields that differ from `current`. A secret is set only when the
/// application is created: Tessera keeps a digest, so an existing one cannot be compared.
fn client_changes(current: &Client, wanted: ClientBody) -> Action<ClientBody> {
    let mut fields = Vec::new();
    let mut body = ClientBody::default();
    differs!(wanted, body, fields, name, current.name);
    differs!(wanted, body, fields, app_type, current.app_type);
    differs!(wanted, body, fields, callbacks, current.callbacks);
    differs!(
        wanted,
        body,
        fields,
        allowed_logout_urls,
        current.allowed_logout_urls
    );
    differs!(wanted, body, fields, web_origins, current.web_origins);
    differs!(
        wanted,
        body,
        fields,
        allowed_origins,
        current.allowed_origins
    );
    differs!(
        wanted,
        body,
        fields,
        token_endpoint_auth_method,
        current.token_endpoint_auth_method
    );
    if let Some(policy) = wanted
        .refresh_token
        .filter(|p| as_shown(p) != as_shown(&current.refresh_token))
    {
        body.refresh_token = Some(policy);
        fields.push("refresh_token");
    }
    differs!(wanted, body, fields, is_first_party, current.is_first_party);
    differs!(
        wanted,
        body,
        fields,
        require_pushed_authorization_requests,
        current.require_pushed_authorization_requests
    );
    differs!(
        wanted,
        body,
        fields,
        require_proof_of_possession,
        current.require_proof_of_possession
    );
    differs!(wanted, body, fields, logo_uri, current.logo_uri);
    let sorted = |grants: &[String]| {
        let mut grants = grants.to_vec();
        grants.sort();
        grants
    };
    if let Some(grants) = wanted
        .grant_types
        .filter(|g| sorted(g) != sorted(&current.grant_types))
    {
        body.grant_types = Some(grants);
        fields.push("grant_types");
    }
    changes(current.client_id.clone(), body, fields)
}

fn plan_grant(
    exported: &Value,
    clients: &[PlannedClient],
    apis: &Apis,
    existing: &Existing,
    plan: &mut Plan,
) {
    let (Some(client), Some(exported_audience)) =
        (text(exported, "client_id"), text(exported, "audience"))
    else {
        plan.notes
            .push("a client grant without client_id or audience was skipped".into());
        return;
    };
    // The Deploy CLI names the application by its name unless ids were exported.
    let planned = clients
        .iter()
        .find(|c| c.exported_id.as_deref() == Some(client.as_str()))
        .or_else(|| clients.iter().find(|c| c.name == client));
    let (reference, client_name) = match planned {
        Some(planned) => (planned.reference.clone(), planned.name.clone()),
        None => match existing.clients.iter().find(|c| c.client_id == client) {
            Some(known) => (ClientRef::Id(known.client_id.clone()), known.name.clone()),
            None => {
                plan.notes.push(format!(
                    "client grant of `{client}` for {exported_audience}: no such application \
                     in the export or in Tessera; skipped"
                ));
                return;
            }
        },
    };
    let audience = match (
        apis.scopes.contains_key(&exported_audience),
        &apis.management,
    ) {
        (true, _) => exported_audience.clone(),
        (false, Some(management)) if is_auth0_management_api(&exported_audience) => {
            management.clone()
        }
        _ => {
            plan.notes.push(format!(
                "client grant of `{client_name}` for {exported_audience}: no such API; skipped"
            ));
            return;
        }
    };
    let defined = apis.scopes.get(&audience).cloned().unwrap_or_default();
    let (scope, undefined): (Vec<_>, Vec<_>) = strings(exported, "scope")
        .unwrap_or_default()
        .into_iter()
        .partition(|s| defined.contains(s));
    if !undefined.is_empty() {
        plan.notes.push(format!(
            "client grant of `{client_name}` for {audience}: scopes the API does not define, \
             not carried over: {}",
            undefined.join(", ")
        ));
    }
    let current = match &reference {
        ClientRef::Id(id) => existing
            .client_grants
            .iter()
            .find(|g| g.client_id == *id && g.audience == audience),
        ClientRef::New(_) => None,
    };
    let action = match current {
        None => Action::Create(ClientGrantBody {
            client_id: match &reference {
                ClientRef::Id(id) => Some(id.clone()),
                ClientRef::New(_) => None,
            },
            audience: Some(audience.clone()),
            scope: Some(scope),
        }),
        Some(current) => {
            let sorted = |s: &[String]| {
                let mut s = s.to_vec();
                s.sort();
                s
            };
            let fields = if sorted(&scope) == sorted(&current.scope) {
                Vec::new()
            } else {
                vec!["scope"]
            };
            let body = ClientGrantBody {
                scope: Some(scope),
                ..ClientGrantBody::default()
            };
            changes(current.id.clone(), body, fields)
        }
    };
    plan.steps.push(Step::Grant {
        client: reference,
        client_name,
        audience,
        action,
    });
}

/// A role matched by name: its description, and its permissions made exactly the exported ones
/// (those of APIs Tessera has, that the API defines).
fn plan_role(exported: &Value, apis: &Apis, existing: &Existing, plan: &mut Plan) {
    let Some(name) = text(exported, "name").filter(|n| !n.is_empty()) else {
        plan.notes.push("a role without a name was skipped".into());
        return;
    };
    let mut wanted = Vec::new();
    for permission in exported
        .get("permissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(api), Some(permission_name)) = (
            text(permission, "resource_server_identifier"),
            text(permission, "permission_name"),
        ) else {
            continue;
        };
        if apis
            .scopes
            .get(&api)
            .is_some_and(|scopes| scopes.contains(&permission_name))
        {
            wanted.push(PermissionRef {
                resource_server_identifier: api,
                permission_name,
            });
        } else {
            plan.notes.push(format!(
                "role `{name}`: permission {permission_name} of {api} not carried over: no such \
                 API or permission in Tessera"
            ));
        }
    }
    let description = text(exported, "description").unwrap_or_default();
    let Some((role, granted)) = existing.roles.iter().find(|(role, _)| role.name == name) else {
        let body = RoleBody {
            name: Some(name.clone()),
            description: Some(description),
        };
        plan.steps.push(Step::Role {
            name,
            action: Action::Create(body),
            add: wanted,
            remove: Vec::new(),
        });
        return;
    };
    let granted: Vec<PermissionRef> = granted
        .iter()
        .map(|p| PermissionRef {
            resource_server_identifier: p.resource_server_identifier.clone(),
            permission_name: p.permission_name.clone(),
        })
        .collect();
    let add: Vec<PermissionRef> = wanted
        .iter()
        .filter(|p| !granted.contains(p))
        .cloned()
        .collect();
    let remove: Vec<PermissionRef> = granted
        .iter()
        .filter(|p| !wanted.contains(p))
        .cloned()
        .collect();
    let mut fields = Vec::new();
    let mut body = RoleBody::default();
    if description != role.description {
        body.description = Some(description);
        fields.push("description");
    }
    if !add.is_empty() || !remove.is_empty() {
        fields.push("permissions");
    }
    plan.steps.push(Step::Role {
        name,
        action: changes(role.id.clone(), body, fields),
        add,
        remove,
    });
}

/// The connection Tessera's database answers as, and the settings it cannot take yet.
fn note_databases(databases: &[Value], notes: &mut Vec<String>) {
    for database in databases {
        let name = text(database, "name").unwrap_or_default();
        if name != tessera_admin::CONNECTION {
            notes.push(format!(
                "database connection `{name}`: Tessera has one database, `{}`; import its users \
                 there (tessera users import FILE)",
                tessera_admin::CONNECTION
            ));
        }
        let mut settings: Vec<String> = database
            .get("options")
            .and_then(Value::as_object)
            .map(|options| {
                options
                    .iter()
                    .filter(|(_, v)| !matches!(v, Value::Null | Value::Bool(false)))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        if strings(database, "enabled_clients").is_some_and(|c| !c.is_empty()) {
            settings.push("enabled_clients".to_owned());
        }
        if !settings.is_empty() {
            notes.push(format!(
                "database connection `{name}`: settings not carried over (every application \
                 logs in with Tessera's database; password policy and sign-up are not \
                 configurable yet): {}",
                settings.join(", ")
            ));
        }
    }
}

/// Tenant settings with their place in `tessera.toml` where Tessera has one.
fn note_tenant(tenant: &Value, notes: &mut Vec<String>) {
    let Some(settings) = tenant.as_object() else {
        return;
    };
    for (key, value) in settings {
        let hint = match (key.as_str(), value) {
            ("session_lifetime" | "idle_session_lifetime", v) => v.as_f64().map(|hours| {
                format!(
                    "set session_lifetime = {} (seconds) in tessera.toml",
                    (hours * 3600.0).round()
                )
            }),
            ("default_audience", Value::String(audience)) if !audience.is_empty() => Some(format!(
                "set default_audience = \"{audience}\" in tessera.toml"
            )),
            _ => None,
        };
        notes.push(match hint {
            Some(hint) => format!("tenant setting {key}: {hint}"),
            None => format!("tenant setting {key}: not carried over"),
        });
    }
}

/// Why a resource type of the export is not carried over.
fn why_not(kind: &str) -> &'static str {
    match kind {
        "rules" | "rulesConfigs" | "hooks" | "actions" | "triggers" => {
            "Tessera does not run Auth0 Rules, Hooks or Actions yet; rebuild what they add \
             to tokens"
        }
        "connections" => "Tessera logs users in with its own database only",
        "customDomains" => "serve Tessera at your domain and set its issuer to it",
        "emailProvider" | "emailTemplates" | "pages" | "branding" | "themes" | "prompts" => {
            "Tessera's hosted pages and emails are not customizable this way"
        }
        "guardianFactors"
        | "guardianFactorProviders"
        | "guardianFactorTemplates"
        | "guardianPolicies"
        | "guardianPhoneFactorSelectedProvider"
        | "guardianPhoneFactorMessageTypes" => "Tessera has no multi-factor authentication yet",
        "attackProtection" => {
            "Tessera's brute-force protection is set in tessera.toml (brute_force_*)"
        }
        _ => "Tessera has no such resource",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use serde_json::json;

    use super::*;

    fn web_export() -> Value {
        json!({
            "name": "Web", "client_id": "web-1", "app_type": "regular_web",
            "callbacks": ["https://app.example/callback", "https://*.example/callback"],
            "grant_types": ["authorization_code", "refresh_token", "http://auth0.com/oauth/grant-type/passwordless/otp"],
            "token_endpoint_auth_method": "client_secret_post",
        })
    }

    fn export_of(clients: Vec<Value>, apis: Vec<Value>, grants: Vec<Value>) -> Export {
        Export {
            clients,
            resource_servers: apis,
            client_grants: grants,
            ..Export::default()
        }
    }

    fn tessera_client(id: &str, name: &str) -> Client {
        Client {
            client_id: id.into(),
            name: name.into(),
            app_type: "regular_web".into(),
            callbacks: vec!["https://app.example/callback".into()],
            allowed_logout_urls: vec![],
            web_origins: vec![],
            allowed_origins: vec![],
            grant_types: vec!["refresh_token".into(), "authorization_code".into()],
            token_endpoint_auth_method: "client_secret_post".into(),
            refresh_token: RefreshToken::default(),
            allow_plain_pkce: false,
            is_first_party: true,
            require_pushed_authorization_requests: false,
            require_proof_of_possession: false,
            logo_uri: None,
            oidc_conformant: true,
            client_secret: None,
        }
    }

    fn api(identifier: &str, scopes: &[&str], system: bool) -> ResourceServer {
        ResourceServer {
            id: format!("id-{identifier}"),
            identifier: identifier.into(),
            name: identifier.into(),
            scopes: scopes
                .iter()
                .map(|s| Permission {
                    value: (*s).into(),
                    description: String::new(),
                })
                .collect(),
            allow_offline_access: false,
            token_lifetime: 86_400,
            signing_alg: "RS256".into(),
            skip_consent_for_verifiable_first_party_clients: false,
            is_system: system,
            enforce_policies: false,
            token_dialect: "access_token".into(),
            proof_of_possession: None,
        }
    }

    #[test]
    fn a_new_application_keeps_its_id_and_secret_without_wildcards_or_unsupported_grants() {
        let secrets = BTreeMap::from([("web-1".to_owned(), "s".repeat(40))]);
        let plan = plan(
            &export_of(vec![web_export()], vec![], vec![]),
            &secrets,
            &Existing::default(),
        );
        let Step::Client {
            action: Action::Create(body),
            ..
        } = &plan.steps[0]
        else {
            panic!("{:?}", plan.steps)
        };
        assert_eq!(body.client_id.as_deref(), Some("web-1"));
        assert_eq!(body.client_secret.as_deref(), Some("s".repeat(40).as_str()));
        assert_eq!(
            body.callbacks.as_deref(),
            Some(&["https://app.example/callback".to_owned()][..])
        );
        assert_eq!(
            body.grant_types.as_deref(),
            Some(&["authorization_code".to_owned(), "refresh_token".to_owned()][..])
        );
        let notes = plan.notes.join("\n");
        assert!(notes.contains("https://*.example/callback"), "{notes}");
        assert!(
            notes.contains("not carried over: http://auth0.com/oauth/grant-type/passwordless/otp"),
            "{notes}"
        );
    }

    #[test]
    fn a_public_application_gets_no_secret() {
        let spa = json!({"name": "SPA", "client_id": "spa-1", "app_type": "spa"});
        let secrets = BTreeMap::from([("spa-1".to_owned(), "s".repeat(40))]);
        let plan = plan(
            &export_of(vec![spa], vec![], vec![]),
            &secrets,
            &Existing::default(),
        );
        let Step::Client {
            action: Action::Create(body),
            ..
        } = &plan.steps[0]
        else {
            panic!("{:?}", plan.steps)
        };
        assert_eq!(body.client_secret, None);
    }

    #[test]
    fn an_application_as_it_is_is_unchanged_and_a_changed_one_updates_only_what_differs() {
        let existing = Existing {
            clients: vec![tessera_client("web-1", "Web")],
            ..Existing::default()
        };
        let same = plan(
            &export_of(vec![web_export()], vec![], vec![]),
            &BTreeMap::new(),
            &existing,
        );
        assert!(matches!(
            same.steps[0],
            Step::Client {
                action: Action::Unchanged,
                ..
            }
        ));
        let mut changed = web_export();
        changed["callbacks"] = json!(["https://app.example/other"]);
        let plan = plan(
            &export_of(vec![changed], vec![], vec![]),
            &BTreeMap::new(),
            &existing,
        );
        let Step::Client {
            action: Action::Update { id, body, fields },
            ..
        } = &plan.steps[0]
        else {
            panic!("{:?}", plan.steps)
        };
        assert_eq!(id, "web-1");
        assert_eq!(fields, &vec!["callbacks"]);
        assert_eq!(body.name, None);
    }

    #[test]
    fn an_application_without_an_exported_id_is_matched_by_a_unique_name() {
        let mut exported = web_export();
        exported.as_object_mut().unwrap().remove("client_id");
        let existing = Existing {
            clients: vec![tessera_client("tessera-id", "Web")],
            ..Existing::default()
        };
        let matched = plan(
            &export_of(vec![exported.clone()], vec![], vec![]),
            &BTreeMap::new(),
            &existing,
        );
        assert!(matches!(
            matched.steps[0],
            Step::Client {
                action: Action::Unchanged,
                ..
            }
        ));
        let twice = Existing {
            clients: vec![tessera_client("a", "Web"), tessera_client("b", "Web")],
            ..Existing::default()
        };
        let ambiguous = plan(
            &export_of(vec![exported], vec![], vec![]),
            &BTreeMap::new(),
            &twice,
        );
        assert!(matches!(
            ambiguous.steps[0],
            Step::Client {
                action: Action::Create(_),
                ..
            }
        ));
    }

    #[test]
    fn grants_of_auth0_s_management_api_become_grants_of_tessera_s_with_its_scopes() {
        let worker = json!({"name": "Worker", "app_type": "non_interactive"});
        let grant = json!({
            "client_id": "Worker",
            "audience": "https://acme.eu.auth0.com/api/v2/",
            "scope": ["read:users", "read:hooks"],
        });
        let existing = Existing {
            apis: vec![api("https://id.example/api/v2/", &["read:users"], true)],
            ..Existing::default()
        };
        let plan = plan(
            &export_of(vec![worker], vec![], vec![grant]),
            &BTreeMap::new(),
            &existing,
        );
        let Step::Grant {
            client,
            audience,
            action: Action::Create(body),
            ..
        } = &plan.steps[1]
        else {
            panic!("{:?}", plan.steps)
        };
        assert_eq!(client, &ClientRef::New("Worker".into()));
        assert_eq!(audience, "https://id.example/api/v2/");
        assert_eq!(body.scope.as_deref(), Some(&["read:users".to_owned()][..]));
        assert!(
            plan.notes.iter().any(|n| n.contains("read:hooks")),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn an_api_is_created_then_unchanged_and_its_grants_follow_its_exported_scopes() {
        let orders = json!({
            "name": "Orders", "identifier": "https://orders.example",
            "scopes": [{"value": "read:orders", "description": "Read"}],
            "signing_alg": "HS256", "enforce_policies": true,
        });
        let grant = json!({"client_id": "w-1", "audience": "https://orders.example", "scope": ["read:orders"]});
        let worker = json!({"name": "Worker", "client_id": "w-1", "app_type": "non_interactive"});
        let export = export_of(vec![worker], vec![orders], vec![grant]);
        let first = plan(&export, &BTreeMap::new(), &Existing::default());
        assert_eq!(first.steps.len(), 3);
        assert!(first.steps.iter().all(|s| matches!(
            s,
            Step::Api {
                action: Action::Create(_),
                ..
            } | Step::Client {
                action: Action::Create(_),
                ..
            } | Step::Grant {
                action: Action::Create(_),
                ..
            }
        )));
        let notes = first.notes.join("\n");
        assert!(notes.contains("HS256"), "{notes}");

        let mut created = api("https://orders.example", &[], false);
        created.name = "Orders".into();
        created.enforce_policies = true;
        created.scopes = vec![Permission {
            value: "read:orders".into(),
            description: "Read".into(),
        }];
        let mut worker = tessera_client("w-1", "Worker");
        worker.app_type = "non_interactive".into();
        let existing = Existing {
            apis: vec![created],
            clients: vec![worker],
            client_grants: vec![ClientGrant {
                id: "cgr_1".into(),
                client_id: "w-1".into(),
                audience: "https://orders.example".into(),
                scope: vec!["read:orders".into()],
            }],
            roles: Vec::new(),
        };
        let second = plan(&export, &BTreeMap::new(), &existing);
        assert!(
            second.steps.iter().all(|s| matches!(
                s,
                Step::Api {
                    action: Action::Unchanged,
                    ..
                } | Step::Client {
                    action: Action::Unchanged,
                    ..
                } | Step::Grant {
                    action: Action::Unchanged,
                    ..
                }
            )),
            "{:?}",
            second.steps
        );
    }

    #[test]
    fn dpop_settings_are_carried_over_and_mtls_is_noted() {
        let orders = |pop: Value| json!({"name": "Orders", "identifier": "https://orders.example", "proof_of_possession": pop});
        let mut web = web_export();
        web["require_proof_of_possession"] = json!(true);
        let export = export_of(
            vec![web],
            vec![orders(json!({"mechanism": "dpop", "required": true}))],
            vec![],
        );
        let first = plan(&export, &BTreeMap::new(), &Existing::default());
        let Step::Api {
            action: Action::Create(api_body),
            ..
        } = &first.steps[0]
        else {
            panic!("{:?}", first.steps)
        };
        let dpop = ProofOfPossession {
            mechanism: "dpop".into(),
            required: true,
        };
        assert_eq!(api_body.proof_of_possession, Some(Some(dpop.clone())));
        let Step::Client {
            action: Action::Create(client_body),
            ..
        } = &first.steps[1]
        else {
            panic!("{:?}", first.steps)
        };
        assert_eq!(client_body.require_proof_of_possession, Some(true));

        let mut created = api("https://orders.example", &[], false);
        created.name = "Orders".into();
        created.proof_of_possession = Some(dpop);
        let mut web = tessera_client("web-1", "Web");
        web.require_proof_of_possession = true;
        let existing = Existing {
            apis: vec![created],
            clients: vec![web],
            ..Existing::default()
        };
        let again = plan(&export, &BTreeMap::new(), &existing);
        assert!(
            again.steps.iter().all(|s| matches!(
                s,
                Step::Api {
                    action: Action::Unchanged,
                    ..
                } | Step::Client {
                    action: Action::Unchanged,
                    ..
                }
            )),
            "{:?}",
            again.steps
        );

        let cleared = plan(
            &export_of(vec![], vec![orders(Value::Null)], vec![]),
            &BTreeMap::new(),
            &existing,
        );
        let Step::Api {
            action: Action::Update { body, fields, .. },
            ..
        } = &cleared.steps[0]
        else {
            panic!("{:?}", cleared.steps)
        };
        assert_eq!(fields, &vec!["proof_of_possession"]);
        assert_eq!(body.proof_of_possession, Some(None), "null: Auth0's none");

        let mtls = plan(
            &export_of(
                vec![],
                vec![orders(json!({"mechanism": "mtls", "required": true}))],
                vec![],
            ),
            &BTreeMap::new(),
            &Existing::default(),
        );
        let Step::Api {
            action: Action::Create(body),
            ..
        } = &mtls.steps[0]
        else {
            panic!("{:?}", mtls.steps)
        };
        assert_eq!(body.proof_of_possession, None);
        let notes = mtls.notes.join("\n");
        assert!(
            notes.contains("mechanism `mtls` is not carried over (Tessera implements only dpop)"),
            "{notes}"
        );
    }

    #[test]
    fn a_logo_uri_is_carried_over_kept_cleared_by_null_and_noted_when_unsafe() {
        let logo = "https://cdn.example/logo.png";
        let with_logo = |value: Value| {
            let mut web = web_export();
            web["logo_uri"] = value;
            export_of(vec![web], vec![], vec![])
        };
        let client_action = |plan: &Plan| match &plan.steps[0] {
            Step::Client { action, .. } => action.clone(),
            other => panic!("{other:?}"),
        };
        let created = plan(
            &with_logo(json!(logo)),
            &BTreeMap::new(),
            &Existing::default(),
        );
        let Action::Create(body) = client_action(&created) else {
            panic!("{:?}", created.steps)
        };
        assert_eq!(body.logo_uri, Some(Some(logo.to_owned())));

        let mut web = tessera_client("web-1", "Web");
        web.logo_uri = Some(logo.into());
        let existing = Existing {
            clients: vec![web],
            ..Existing::default()
        };
        for same in [
            with_logo(json!(logo)),
            export_of(vec![web_export()], vec![], vec![]),
        ] {
            let again = plan(&same, &BTreeMap::new(), &existing);
            assert!(
                matches!(client_action(&again), Action::Unchanged),
                "the same logo, or none exported, keeps it: {:?}",
                again.steps
            );
        }
        for removed in [Value::Null, json!("")] {
            let cleared = plan(&with_logo(removed), &BTreeMap::new(), &existing);
            let Action::Update { body, fields, .. } = client_action(&cleared) else {
                panic!("{:?}", cleared.steps)
            };
            assert_eq!(fields, vec!["logo_uri"]);
            assert_eq!(body.logo_uri, Some(None));
        }

        let unsafe_logo = plan(
            &with_logo(json!("http://cdn.example/logo.png")),
            &BTreeMap::new(),
            &existing,
        );
        assert!(
            matches!(client_action(&unsafe_logo), Action::Unchanged),
            "{:?}",
            unsafe_logo.steps
        );
        let notes = unsafe_logo.notes.join("\n");
        assert!(
            notes.contains(
                "application `Web`: logo_uri \"http://cdn.example/logo.png\" not carried over: \
                 logo_uri must be"
            ),
            "{notes}"
        );
    }

    #[test]
    fn what_cannot_be_carried_over_is_noted_with_what_to_do() {
        let export = Export {
            databases: vec![json!({
                "name": "Legacy-DB",
                "options": {"passwordPolicy": "good", "disable_signup": true, "brute_force_protection": false},
                "enabled_clients": ["Web"],
            })],
            tenant: Some(json!({"session_lifetime": 168, "friendly_name": "Acme"})),
            roles: vec![json!({"name": "admin"})],
            others: vec![("rules".into(), 2), ("customDomains".into(), 1)],
            ..Export::default()
        };
        let notes = plan(&export, &BTreeMap::new(), &Existing::default())
            .notes
            .join("\n");
        for expected in [
            "`Legacy-DB`: Tessera has one database",
            "disable_signup, passwordPolicy, enabled_clients",
            "session_lifetime = 604800 (seconds)",
            "tenant setting friendly_name: not carried over",
            "rules: 2 not carried over: Tessera does not run",
            "customDomains: 1 not carried over: serve Tessera",
        ] {
            assert!(notes.contains(expected), "{expected} in {notes}");
        }
    }
}

#[cfg(test)]
mod role_tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use serde_json::json;

    use super::*;

    fn orders(scopes: &[&str]) -> ResourceServer {
        ResourceServer {
            id: "id".into(),
            identifier: "https://orders.example/".into(),
            name: "Orders".into(),
            scopes: scopes
                .iter()
                .map(|s| Permission {
                    value: (*s).into(),
                    description: String::new(),
                })
                .collect(),
            allow_offline_access: false,
            token_lifetime: 86_400,
            signing_alg: "RS256".into(),
            skip_consent_for_verifiable_first_party_clients: false,
            is_system: false,
            enforce_policies: true,
            token_dialect: "access_token_authz".into(),
            proof_of_possession: None,
        }
    }

    fn exported_role() -> Value {
        json!({
            "name": "Clerk", "description": "Desk",
            "permissions": [
                {"permission_name": "read", "resource_server_identifier": "https://orders.example/"},
                {"permission_name": "refund", "resource_server_identifier": "https://orders.example/"},
                {"permission_name": "x", "resource_server_identifier": "https://gone.example/"},
            ],
        })
    }

    fn granted(names: &[&str]) -> Vec<RolePermission> {
        names
            .iter()
            .map(|n| RolePermission {
                resource_server_identifier: "https://orders.example/".into(),
                permission_name: (*n).into(),
                resource_server_name: "Orders".into(),
                description: String::new(),
            })
            .collect()
    }

    #[test]
    fn a_role_is_created_with_the_permissions_tessera_has_then_kept_exactly_as_exported() {
        let export = Export {
            roles: vec![exported_role()],
            ..Export::default()
        };
        let mut existing = Existing {
            apis: vec![orders(&["read", "refund", "delete"])],
            ..Existing::default()
        };
        let first = plan(&export, &BTreeMap::new(), &existing);
        let Step::Role {
            action: Action::Create(body),
            add,
            ..
        } = &first.steps[0]
        else {
            panic!("{:?}", first.steps)
        };
        assert_eq!(body.description.as_deref(), Some("Desk"));
        assert_eq!(
            add.len(),
            2,
            "the permission of an API Tessera lacks is left out"
        );
        assert!(first
            .notes
            .iter()
            .any(|n| n.contains("https://gone.example/")));

        let role = Role {
            id: "rol_1".into(),
            name: "Clerk".into(),
            description: "Desk".into(),
        };
        existing.roles = vec![(role.clone(), granted(&["read", "refund"]))];
        let same = plan(&export, &BTreeMap::new(), &existing);
        assert!(matches!(
            same.steps[0],
            Step::Role {
                action: Action::Unchanged,
                ..
            }
        ));

        existing.roles = vec![(role, granted(&["read", "delete"]))];
        let drifted = plan(&export, &BTreeMap::new(), &existing);
        let Step::Role {
            action: Action::Update { fields, .. },
            add,
            remove,
            ..
        } = &drifted.steps[0]
        else {
            panic!("{:?}", drifted.steps)
        };
        assert_eq!(fields, &vec!["permissions"]);
        assert_eq!(add[0].permission_name, "refund");
        assert_eq!(remove[0].permission_name, "delete");
    }
}
