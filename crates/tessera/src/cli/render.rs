//! Showing answers: tables for lists, field by field for one item, the Management API's JSON
//! with `--json`; and refusals as the message plus what to do next.

use std::fmt::Write as _;

use serde_json::Value;
use tessera_admin::client_grants::ClientGrant;
use tessera_admin::clients::Client;
use tessera_admin::connections::ConnectionView;
use tessera_admin::grants::Grant;
use tessera_admin::jobs::JobView;
use tessera_admin::keys::SigningKey;
use tessera_admin::resource_servers::ResourceServer;
use tessera_admin::roles::{Role, RolePermission, RoleUser, UserPermission};
use tessera_admin::users::User;

use crate::cli::operation::{Answer, Failure, Noun, Refused};

/// A users import as it ended: its counts, and where its refusals and failure are.
fn job_summary(job: &JobView) -> String {
    let s = job.summary;
    let mut out = format!(
        "Job {} {}: {} users read, {} inserted, {} updated, {} refused.\n",
        job.id, job.status, s.total, s.inserted, s.updated, s.failed
    );
    if let Some(details) = &job.status_details {
        let _ = writeln!(out, "{details}");
    }
    if s.failed > 0 {
        let _ = writeln!(
            out,
            "The refused users and why: GET /api/v2/jobs/{}/errors",
            job.id
        );
    }
    out
}

/// What to print for `answer`: JSON as the Management API would answer, or for people.
pub fn shown(answer: &Answer, json: bool) -> String {
    if json {
        return match answer {
            Answer::Done(_) => String::new(),
            other => format!("{}\n", pretty(other)),
        };
    }
    match answer {
        Answer::Clients(items) => table(items, Noun::Clients),
        Answer::Apis(items) => table(items, Noun::Apis),
        Answer::Users(items) => table(items, Noun::Users),
        Answer::Grants(items) => table(items, Noun::Grants),
        Answer::ClientGrants(items) => table(items, Noun::ClientGrants),
        Answer::Keys(items) => table(items, Noun::Keys),
        Answer::Client(client) => with_secret(client),
        Answer::Api(api) => detail(api, "identifier"),
        Answer::User(user) => detail(user, "user_id"),
        Answer::ClientGrant(grant) => detail(grant, "id"),
        Answer::RotatedKey(key) => format!(
            "Generated the {alg} signing key {kid}.\nServers sign new {alg} tokens with it from \
             their next key reload (key_refresh_interval, 10 s by default; at once on a server \
             that rotated it); the previous key stays published until you revoke it.\n",
            alg = key.alg,
            kid = key.kid
        ),
        Answer::RevokedKey {
            key,
            already_revoked: true,
        } => format!("{} was already revoked.\n", key.kid),
        Answer::RevokedKey { key, .. } => format!(
            "Revoked {}: servers drop it from the JWKS at their next key reload.\n",
            key.kid
        ),
        Answer::Job(job) => job_summary(job),
        Answer::Roles(items) => table(items, Noun::Roles),
        Answer::Actions(items) => table(items, Noun::Actions),
        Answer::Connections(items) => table(items, Noun::Connections),
        Answer::Connection(connection) => connection_detail(connection),
        Answer::Role(role) => detail(role, "id"),
        Answer::RolePermissions(items) => table_or(
            items,
            "No permissions: add some with \
             `tessera roles add-permissions ROLE_ID --api IDENTIFIER --permission NAME`.",
        ),
        Answer::RoleUsers(items) => table_or(
            items,
            "Nobody holds this role: give it with `tessera roles add-users ROLE_ID --user USER_ID`.",
        ),
        Answer::UserPermissions(items) => table_or(
            items,
            "No permissions: give roles with `tessera users roles add USER_ID --role ROLE_ID`.",
        ),
        Answer::Done(message) => format!("{message}\n"),
    }
}

/// Indented JSON.
fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A list of words, `-` when empty.
fn words(items: &[String], separator: &str) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(separator)
    }
}

/// The columns of a resource's table.
pub trait Row {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

impl Row for tessera_admin::actions::Action {
    const HEADER: &'static [&'static str] = &["ID", "NAME", "TRIGGER", "DEPLOYED", "UP TO DATE"];
    fn cells(&self) -> Vec<String> {
        let triggers: Vec<&str> = self
            .supported_triggers
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        let deployed = self
            .deployed_version
            .as_ref()
            .map_or_else(|| "-".to_owned(), |v| format!("v{}", v.number));
        vec![
            self.id.clone(),
            self.name.clone(),
            triggers.join(" "),
            deployed,
            self.all_changes_deployed.to_string(),
        ]
    }
}

impl Row for ConnectionView {
    const HEADER: &'static [&'static str] =
        &["ID", "NAME", "STRATEGY", "DISPLAY_NAME", "APPLICATIONS"];
    fn cells(&self) -> Vec<String> {
        // The database connection serves every application, those registered later too.
        let applications = if self.strategy == "auth0" {
            "all".to_owned()
        } else {
            self.enabled_clients.len().to_string()
        };
        vec![
            self.id.clone(),
            self.name.clone(),
            self.strategy.clone(),
            self.display_name.clone(),
            applications,
        ]
    }
}

impl Row for Client {
    const HEADER: &'static [&'static str] = &["CLIENT_ID", "NAME", "APP_TYPE", "GRANTS"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.client_id.clone(),
            self.name.clone(),
            self.app_type.clone(),
            words(&self.grant_types, " "),
        ]
    }
}

impl Row for ResourceServer {
    const HEADER: &'static [&'static str] = &["IDENTIFIER", "NAME", "ALG", "OFFLINE", "SCOPES"];
    fn cells(&self) -> Vec<String> {
        let scopes: Vec<String> = self.scopes.iter().map(|s| s.value.clone()).collect();
        vec![
            self.identifier.clone(),
            self.name.clone(),
            self.signing_alg.clone(),
            self.allow_offline_access.to_string(),
            words(&scopes, " "),
        ]
    }
}

impl Row for User {
    const HEADER: &'static [&'static str] = &["USER_ID", "EMAIL", "NAME", "BLOCKED"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.user_id.clone(),
            self.email.clone(),
            self.name.clone(),
            self.blocked.to_string(),
        ]
    }
}

impl Row for Grant {
    const HEADER: &'static [&'static str] = &["ID", "CLIENT_ID", "AUDIENCE", "SCOPE"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.client_id.clone(),
            self.audience.clone().unwrap_or_else(|| "-".into()),
            words(&self.scope, " "),
        ]
    }
}

impl Row for ClientGrant {
    const HEADER: &'static [&'static str] = &["ID", "CLIENT_ID", "AUDIENCE", "SCOPE"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.client_id.clone(),
            self.audience.clone(),
            words(&self.scope, " "),
        ]
    }
}

impl Row for SigningKey {
    const HEADER: &'static [&'static str] = &["KID", "ALG", "CREATED", "STATUS"];
    fn cells(&self) -> Vec<String> {
        let status = match &self.revoked_at {
            Some(at) => format!("{} {at}", self.status()),
            None => self.status().to_owned(),
        };
        vec![
            self.kid.clone(),
            self.alg.clone(),
            self.created_at.clone(),
            status,
        ]
    }
}

impl Row for Role {
    const HEADER: &'static [&'static str] = &["ID", "NAME", "DESCRIPTION"];
    fn cells(&self) -> Vec<String> {
        vec![self.id.clone(), self.name.clone(), self.description.clone()]
    }
}

impl Row for RolePermission {
    const HEADER: &'static [&'static str] = &["API", "PERMISSION", "DESCRIPTION"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.resource_server_identifier.clone(),
            self.permission_name.clone(),
            self.description.clone(),
        ]
    }
}

impl Row for RoleUser {
    const HEADER: &'static [&'static str] = &["USER_ID", "EMAIL", "NAME"];
    fn cells(&self) -> Vec<String> {
        vec![self.user_id.clone(), self.email.clone(), self.name.clone()]
    }
}

impl Row for UserPermission {
    const HEADER: &'static [&'static str] = &["API", "PERMISSION", "SOURCES"];
    fn cells(&self) -> Vec<String> {
        let sources: Vec<String> = self
            .sources
            .iter()
            .map(|s| match s.source_type.as_str() {
                "ROLE" => format!("role {}", s.source_name),
                _ => "direct".to_owned(),
            })
            .collect();
        vec![
            self.resource_server_identifier.clone(),
            self.permission_name.clone(),
            words(&sources, ", "),
        ]
    }
}

/// What an empty list says.
fn empty(noun: Noun) -> &'static str {
    match noun {
        Noun::Clients => {
            "No applications yet: register one with \
             `tessera clients create --name NAME --app-type TYPE`."
        }
        Noun::Apis => {
            "No APIs yet: register one with `tessera apis create --identifier ID --name NAME`."
        }
        Noun::Users => {
            "No users found: create one with \
             `tessera users create --email EMAIL --password PASSWORD`."
        }
        Noun::Grants => "No grants: this user has not consented to any application.",
        Noun::ClientGrants => {
            "No client grants found: create one with \
             `tessera client-grants create --client ID --audience API --scope SCOPE`."
        }
        Noun::Roles => "No roles yet: create one with `tessera roles create --name NAME`.",
        Noun::Connections => {
            "No connections found: connect an OpenID provider with `tessera connections create \
             --name NAME --issuer URL --provider-client-id ID --provider-client-secret SECRET`."
        }
        Noun::Actions => {
            "No actions yet: deploy one with \
             `tessera actions deploy FILE.js --trigger post-login`."
        }
        Noun::Keys => {
            "No signing keys yet: a server generates them at its first start \
             (or run `tessera keys rotate`)."
        }
    }
}

/// Items as a table with a header row; columns as wide as their widest cell.
pub fn table<T: Row>(items: &[T], noun: Noun) -> String {
    table_or(items, empty(noun))
}

/// Items as a table, or `when_empty`.
fn table_or<T: Row>(items: &[T], when_empty: &str) -> String {
    if items.is_empty() {
        return format!("{when_empty}\n");
    }
    let mut rows = vec![T::HEADER
        .iter()
        .map(|h| (*h).to_owned())
        .collect::<Vec<_>>()];
    rows.extend(items.iter().map(Row::cells));
    let widths: Vec<usize> = (0..T::HEADER.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A field's value as one line: lists joined by `, `, a permission as `value (description)`.
fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => match (map.get("value"), map.get("description")) {
            (Some(Value::String(v)), Some(Value::String(d))) if !d.is_empty() => {
                format!("{v} ({d})")
            }
            (Some(Value::String(v)), _) => v.clone(),
            _ => value.to_string(),
        },
        other => other.to_string(),
    }
}

/// One item field by field, in its declared order with `first` (its id) and `name` first.
pub fn detail(item: &impl serde::Serialize, first: &str) -> String {
    let Ok(Value::Object(fields)) = serde_json::to_value(item) else {
        return String::new();
    };
    let rank = |name: &str| match name {
        _ if name == first => 0,
        "name" => 1,
        _ => 2,
    };
    let mut fields: Vec<_> = fields
        .iter()
        .filter(|(name, _)| *name != "client_secret")
        .collect();
    fields.sort_by_key(|(name, _)| rank(name));
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, value) in fields {
        let _ = writeln!(out, "{name:<width$}  {}", text(value));
    }
    out
}

/// A connection field by field, each option as its own `options.NAME` line (never a client
/// secret, which the admin service does not show either).
fn connection_detail(connection: &ConnectionView) -> String {
    let Ok(Value::Object(mut fields)) = serde_json::to_value(connection) else {
        return String::new();
    };
    if let Some(Value::Object(options)) = fields.remove("options") {
        for (name, value) in options {
            if name != "client_secret" {
                fields.insert(format!("options.{name}"), value);
            }
        }
    }
    detail(&fields, "id")
}

/// An application field by field, and a new secret last with a word that it is shown only once.
fn with_secret(client: &Client) -> String {
    let mut out = detail(client, "client_id");
    if let Some(secret) = &client.client_secret {
        let _ = write!(
            out,
            "\nclient_secret: {secret}\n\nThe client secret is shown only this once: store it now. \
             `tessera clients rotate {}` replaces it.\n",
            client.client_id
        );
    }
    out
}

const UNAUTHORIZED_HINT: &str = "check --client-id/--client-secret (or TESSERA_CLIENT_ID/\
     TESSERA_CLIENT_SECRET), or run against the local store (without --server)";

/// A refused operation: the message, then what to do next.
pub fn failure(failure: &Failure, noun: Noun) -> String {
    let hint = match &failure.refused {
        Refused::Unauthorized => Some(UNAUTHORIZED_HINT.to_owned()),
        Refused::InsufficientScope(scope) => Some(format!(
            "the management client lacks the scope `{scope}`: its client grant for the \
             Management API must include it (`tessera client-grants list --client CLIENT_ID`)"
        )),
        Refused::NotFound => Some(format!("list them with `{}`", noun.list_command())),
        Refused::Conflict => Some(format!(
            "list the existing ones with `{}`",
            noun.list_command()
        )),
        Refused::Other => None,
    };
    let message = match failure.status {
        Some(status) => format!("{} ({status})", failure.message),
        None => failure.message.clone(),
    };
    match hint {
        Some(hint) => format!("{message}\nhint: {hint}"),
        None => message,
    }
}

/// The token endpoint refused the management client.
pub fn token_failure(status: u16, body: &Value, client_id: &str, audience: &str) -> String {
    let error = body["error"].as_str().unwrap_or("error");
    let description = body["error_description"]
        .as_str()
        .or(body.as_str())
        .unwrap_or("no description");
    let hint = if status == 401 || error == "invalid_client" {
        UNAUTHORIZED_HINT.to_owned()
    } else {
        format!(
            "`{client_id}` needs the client_credentials grant and a client grant for `{audience}`"
        )
    };
    format!(
        "the management client `{client_id}` got no token: {description} ({error}, {status})\n\
         hint: {hint}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, name: &str, app_type: &str, grants: &[&str]) -> Client {
        Client {
            client_id: id.into(),
            name: name.into(),
            app_type: app_type.into(),
            callbacks: Vec::new(),
            allowed_logout_urls: Vec::new(),
            web_origins: Vec::new(),
            allowed_origins: Vec::new(),
            grant_types: grants.iter().map(|g| (*g).to_owned()).collect(),
            token_endpoint_auth_method: "none".into(),
            refresh_token: Default::default(),
            allow_plain_pkce: false,
            is_first_party: true,
            require_pushed_authorization_requests: false,
            require_proof_of_possession: false,
            logo_uri: None,
            oidc_conformant: true,
            client_secret: None,
        }
    }

    #[test]
    fn table_pads_every_column_but_the_last() {
        let clients = [
            client("abc", "App", "spa", &["implicit"]),
            client("a", "Longer name", "regular_web", &[]),
        ];
        assert_eq!(
            table(&clients, Noun::Clients),
            "CLIENT_ID  NAME         APP_TYPE     GRANTS\n\
             abc        App          spa          implicit\n\
             a          Longer name  regular_web  -\n"
        );
    }

    #[test]
    fn not_found_suggests_the_list_command() {
        let refused = Failure {
            refused: Refused::NotFound,
            message: "The client `x` does not exist".into(),
            status: Some(404),
        };
        let message = failure(&refused, Noun::Clients);
        assert!(message.contains("`tessera clients list`"), "{message}");
        assert!(message.contains("(404)"), "{message}");
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let refused = Failure {
            refused: Refused::InsufficientScope("read:users".into()),
            message: "Insufficient scope, expected any of: read:users".into(),
            status: Some(403),
        };
        let message = failure(&refused, Noun::Users);
        assert!(
            message.contains("lacks the scope `read:users`"),
            "{message}"
        );
    }

    #[test]
    fn detail_shows_a_new_secret_once_with_a_warning() {
        let mut created = client("c1", "A", "regular_web", &[]);
        created.client_secret = Some("s3cret".into());
        let text = shown(&Answer::Client(created), false);
        assert!(text.starts_with("client_id"), "{text}");
        assert!(text.contains("client_secret: s3cret"), "{text}");
        assert!(text.contains("shown only this once"), "{text}");
        assert_eq!(text.matches("s3cret").count(), 1, "{text}");
    }
}
