//! Management commands against a running server (`--server URL`): each operation is a
//! Management API request with a `client_credentials` token, and its JSON answer is read back
//! into the admin service's own types. Lists are fetched a page at a time.

use std::time::Duration;

use axum::http::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use tessera_admin::action_bindings::{ActionBindingList, BindingsBody};
use tessera_admin::actions::{Action, ActionList, ActionVersion};
use tessera_admin::connections::{ConnectionQuery, ConnectionView};
use tessera_admin::jobs::JobView;
use tessera_admin::paging::MAX_PER_PAGE;
use tessera_admin::scopes::management_audience;

use crate::cli::local::follow_job;
use crate::cli::operation::{
    done_message, statuses, ActionOp, Answer, ApiOp, Change, ClientGrantOp, ClientOp, ConnectionOp,
    Failure, GrantOp, KeyOp, Operation, Refused, RoleOp, UserOp,
};
use crate::cli::{render, Remote};

const CLIENTS: &str = "/api/v2/clients";
const APIS: &str = "/api/v2/resource-servers";
const USERS: &str = "/api/v2/users";
const GRANTS: &str = "/api/v2/grants";
const CLIENT_GRANTS: &str = "/api/v2/client-grants";
const KEYS: &str = "/api/v2/keys/signing";
const ROLES: &str = "/api/v2/roles";
const JOBS: &str = "/api/v2/jobs/users-imports";
const ACTIONS: &str = "/api/v2/actions/actions";
const CONNECTIONS: &str = "/api/v2/connections";
/// At most this many pages are fetched (10,000 items).
const MAX_PAGES: u32 = 100;

/// A running server's Management API, with a token for it.
pub struct Server {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// One request: method, path (segments percent-encoded), query and body.
struct Request {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
}

impl Request {
    fn get(path: impl Into<String>) -> Request {
        Request {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    fn with(method: Method, path: impl Into<String>, body: Option<Value>) -> Request {
        Request {
            body,
            method,
            ..Request::get(path)
        }
    }

    /// Adds the fields of `query` that have a value as query parameters.
    fn query(mut self, query: &impl Serialize) -> Request {
        if let Ok(Value::Object(fields)) = serde_json::to_value(query) {
            for (name, value) in fields {
                if let Value::String(text) = value {
                    self.query.push((name, text));
                }
            }
        }
        self
    }
}

/// `base/segment`, the segment percent-encoded (ids such as `auth0|…` or an API identifier
/// `https://api.example.com/` are one path segment).
pub fn path(base: &str, segment: &str) -> String {
    let mut out = format!("{base}/");
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `base/segment/sub`, the segment percent-encoded.
fn of(base: &str, segment: &str, sub: &str) -> String {
    format!("{}/{sub}", path(base, segment))
}

fn body(value: &impl Serialize) -> Option<Value> {
    Some(serde_json::to_value(value).unwrap_or(Value::Null))
}

impl Server {
    /// Gets a Management API token for the management client `remote` names.
    pub async fn connect(server: &str, remote: &Remote) -> Result<Server, String> {
        let (Some(client_id), Some(client_secret)) = (&remote.client_id, &remote.client_secret)
        else {
            return Err(
                "--server needs --client-id and --client-secret (or TESSERA_CLIENT_ID and \
                 TESSERA_CLIENT_SECRET)\nhint: use the management client `tessera serve` printed \
                 at its first start, or the [management] client_id/client_secret of its config"
                    .into(),
            );
        };
        let base = base_url(server)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let issuer = discover_issuer(&http, &base).await?;
        let token = token(&http, &base, &issuer, client_id, client_secret).await?;
        Ok(Server { base, token, http })
    }

    pub async fn run(&self, operation: Operation) -> Result<Answer, Failure> {
        match operation {
            Operation::Clients(op) => self.clients(op).await,
            Operation::Apis(op) => self.apis(op).await,
            Operation::Users(op) => self.users(op).await,
            Operation::Grants(op) => self.grants(op).await,
            Operation::ClientGrants(op) => self.client_grants(op).await,
            Operation::Keys(op) => self.keys(op).await,
            Operation::Roles(op) => self.roles(op).await,
            Operation::Actions(op) => self.actions(op).await,
            Operation::Connections(op) => self.connections(op).await,
        }
    }

    async fn clients(&self, op: ClientOp) -> Result<Answer, Failure> {
        Ok(match op {
            ClientOp::List => Answer::Clients(self.every(Request::get(CLIENTS)).await?),
            ClientOp::Get(id) => Answer::Client(self.one(Request::get(path(CLIENTS, &id))).await?),
            ClientOp::Create(b) => Answer::Client(
                self.one(Request::with(Method::POST, CLIENTS, body(&b)))
                    .await?,
            ),
            ClientOp::Update(id, b) => Answer::Client(
                self.one(Request::with(Method::PATCH, path(CLIENTS, &id), body(&b)))
                    .await?,
            ),
            ClientOp::Delete(id) => {
                self.send(Request::with(Method::DELETE, path(CLIENTS, &id), None))
                    .await?;
                Answer::Done(format!("Deleted the application `{id}`."))
            }
            ClientOp::RotateSecret(id) => {
                let rotate = format!("{}/rotate-secret", path(CLIENTS, &id));
                Answer::Client(self.one(Request::with(Method::POST, rotate, None)).await?)
            }
        })
    }

    async fn apis(&self, op: ApiOp) -> Result<Answer, Failure> {
        Ok(match op {
            ApiOp::List => Answer::Apis(self.every(Request::get(APIS)).await?),
            ApiOp::Get(id) => Answer::Api(self.one(Request::get(path(APIS, &id))).await?),
            ApiOp::Create(b) => Answer::Api(
                self.one(Request::with(Method::POST, APIS, body(&b)))
                    .await?,
            ),
            ApiOp::Update(id, b) => Answer::Api(
                self.one(Request::with(Method::PATCH, path(APIS, &id), body(&b)))
                    .await?,
            ),
            ApiOp::Delete(id) => {
                self.send(Request::with(Method::DELETE, path(APIS, &id), None))
                    .await?;
                Answer::Done(format!("Deleted the API `{id}`."))
            }
        })
    }

    async fn users(&self, op: UserOp) -> Result<Answer, Failure> {
        Ok(match op {
            UserOp::List { search } => Answer::Users(
                self.every(Request::get(USERS).query(&json!({ "q": search })))
                    .await?,
            ),
            UserOp::Get(id) => Answer::User(self.one(Request::get(path(USERS, &id))).await?),
            UserOp::Create(b) => Answer::User(
                self.one(Request::with(Method::POST, USERS, body(&b)))
                    .await?,
            ),
            UserOp::Update(id, b) => Answer::User(
                self.one(Request::with(Method::PATCH, path(USERS, &id), body(&b)))
                    .await?,
            ),
            UserOp::Import { file, upsert } => Answer::Job(self.import(&file, upsert).await?),
            UserOp::Roles(id) => {
                Answer::Roles(self.every(Request::get(of(USERS, &id, "roles"))).await?)
            }
            UserOp::AssignRoles(id, b) => {
                let post = Request::with(Method::POST, of(USERS, &id, "roles"), body(&b));
                self.send(post).await?;
                Answer::Done(done_message(Change::UserRoles {
                    user: &id,
                    added: true,
                }))
            }
            UserOp::RemoveRoles(id, b) => {
                let delete = Request::with(Method::DELETE, of(USERS, &id, "roles"), body(&b));
                self.send(delete).await?;
                Answer::Done(done_message(Change::UserRoles {
                    user: &id,
                    added: false,
                }))
            }
            UserOp::Permissions(id) => Answer::UserPermissions(
                self.every(Request::get(of(USERS, &id, "permissions")))
                    .await?,
            ),
            UserOp::AddPermissions(id, b) => {
                let post = Request::with(Method::POST, of(USERS, &id, "permissions"), body(&b));
                self.send(post).await?;
                Answer::Done(done_message(Change::UserPermissions {
                    user: &id,
                    added: true,
                }))
            }
            UserOp::RemovePermissions(id, b) => {
                let delete = Request::with(Method::DELETE, of(USERS, &id, "permissions"), body(&b));
                self.send(delete).await?;
                Answer::Done(done_message(Change::UserPermissions {
                    user: &id,
                    added: false,
                }))
            }
            UserOp::Delete(id) => {
                self.send(Request::with(Method::DELETE, path(USERS, &id), None))
                    .await?;
                Answer::Done(format!(
                    "Deleted the user `{id}`; their refresh tokens no longer work."
                ))
            }
        })
    }

    async fn grants(&self, op: GrantOp) -> Result<Answer, Failure> {
        Ok(match op {
            GrantOp::List(query) => {
                Answer::Grants(self.one(Request::get(GRANTS).query(&query)).await?)
            }
            GrantOp::Delete(id) => {
                self.send(Request::with(Method::DELETE, path(GRANTS, &id), None))
                    .await?;
                Answer::Done(format!(
                    "Revoked the grant `{id}` and the refresh tokens issued under it."
                ))
            }
        })
    }

    async fn client_grants(&self, op: ClientGrantOp) -> Result<Answer, Failure> {
        Ok(match op {
            ClientGrantOp::List(query) => Answer::ClientGrants(
                self.every(Request::get(CLIENT_GRANTS).query(&query))
                    .await?,
            ),
            ClientGrantOp::Create(b) => Answer::ClientGrant(
                self.one(Request::with(Method::POST, CLIENT_GRANTS, body(&b)))
                    .await?,
            ),
            ClientGrantOp::Update(id, b) => Answer::ClientGrant(
                self.one(Request::with(
                    Method::PATCH,
                    path(CLIENT_GRANTS, &id),
                    body(&b),
                ))
                .await?,
            ),
            ClientGrantOp::Delete(id) => {
                let delete = Request::with(Method::DELETE, path(CLIENT_GRANTS, &id), None);
                self.send(delete).await?;
                Answer::Done(format!("Deleted the client grant `{id}`."))
            }
        })
    }

    async fn actions(&self, op: ActionOp) -> Result<Answer, Failure> {
        let all = |request: Request| {
            let mut request = request;
            request
                .query
                .push(("per_page".into(), MAX_PER_PAGE.to_string()));
            request
        };
        match op {
            ActionOp::List => {
                let list: ActionList = self.one(all(Request::get(ACTIONS))).await?;
                Ok(Answer::Actions(list.actions))
            }
            ActionOp::Deploy(source) => {
                let named = Request::get(ACTIONS).query(&json!({ "actionName": source.name }));
                let found: ActionList = self.one(all(named)).await?;
                let action: Action = match found.actions.into_iter().next() {
                    Some(action) => {
                        let patch = Request::with(
                            Method::PATCH,
                            path(ACTIONS, &action.id),
                            body(&source.body(false)),
                        );
                        self.one(patch).await?
                    }
                    None => {
                        let create = Request::with(Method::POST, ACTIONS, body(&source.body(true)));
                        self.one(create).await?
                    }
                };
                let deploy = Request::with(Method::POST, of(ACTIONS, &action.id, "deploy"), None);
                let version: ActionVersion = self.one(deploy).await?;
                let bindings = format!("/api/v2/actions/triggers/{}/bindings", source.trigger);
                let bound: ActionBindingList = self.one(all(Request::get(&bindings))).await?;
                let ids: Vec<String> = bound.bindings.iter().map(|b| b.action.id.clone()).collect();
                let newly_bound = !ids.contains(&action.id);
                if newly_bound {
                    let ids = ids.iter().map(String::as_str).chain([action.id.as_str()]);
                    let update = BindingsBody::by_ids(ids);
                    self.send(Request::with(Method::PATCH, bindings, body(&update)))
                        .await?;
                }
                Ok(Answer::Done(done_message(Change::ActionDeployed {
                    name: &source.name,
                    trigger: &source.trigger,
                    version: version.number,
                    newly_bound,
                })))
            }
        }
    }

    async fn roles(&self, op: RoleOp) -> Result<Answer, Failure> {
        Ok(match op {
            RoleOp::List { name_filter } => Answer::Roles(
                self.every(Request::get(ROLES).query(&json!({ "name_filter": name_filter })))
                    .await?,
            ),
            RoleOp::Get(id) => Answer::Role(self.one(Request::get(path(ROLES, &id))).await?),
            RoleOp::Create(b) => Answer::Role(
                self.one(Request::with(Method::POST, ROLES, body(&b)))
                    .await?,
            ),
            RoleOp::Update(id, b) => Answer::Role(
                self.one(Request::with(Method::PATCH, path(ROLES, &id), body(&b)))
                    .await?,
            ),
            RoleOp::Delete(id) => {
                self.send(Request::with(Method::DELETE, path(ROLES, &id), None))
                    .await?;
                Answer::Done(done_message(Change::RoleDeleted(&id)))
            }
            RoleOp::Permissions(id) => Answer::RolePermissions(
                self.every(Request::get(of(ROLES, &id, "permissions")))
                    .await?,
            ),
            RoleOp::AddPermissions(id, b) => {
                let post = Request::with(Method::POST, of(ROLES, &id, "permissions"), body(&b));
                self.send(post).await?;
                Answer::Done(done_message(Change::RolePermissions {
                    role: &id,
                    added: true,
                }))
            }
            RoleOp::RemovePermissions(id, b) => {
                let delete = Request::with(Method::DELETE, of(ROLES, &id, "permissions"), body(&b));
                self.send(delete).await?;
                Answer::Done(done_message(Change::RolePermissions {
                    role: &id,
                    added: false,
                }))
            }
            RoleOp::Users(id) => {
                Answer::RoleUsers(self.every(Request::get(of(ROLES, &id, "users"))).await?)
            }
            RoleOp::AddUsers(id, b) => {
                let post = Request::with(Method::POST, of(ROLES, &id, "users"), body(&b));
                self.send(post).await?;
                Answer::Done(done_message(Change::RoleUsers(&id)))
            }
        })
    }

    async fn connections(&self, op: ConnectionOp) -> Result<Answer, Failure> {
        Ok(match op {
            ConnectionOp::List { strategy } => {
                let query = ConnectionQuery {
                    strategy,
                    name: None,
                };
                Answer::Connections(self.one(Request::get(CONNECTIONS).query(&query)).await?)
            }
            ConnectionOp::Get(id) => {
                Answer::Connection(self.one(Request::get(path(CONNECTIONS, &id))).await?)
            }
            ConnectionOp::Create(b) => Answer::Connection(
                self.one(Request::with(Method::POST, CONNECTIONS, body(&b)))
                    .await?,
            ),
            ConnectionOp::Update(id, change) => {
                let current: Option<ConnectionView> = if change.changes_options() {
                    Some(self.one(Request::get(path(CONNECTIONS, &id))).await?)
                } else {
                    None
                };
                let update = change.update(current.as_ref()).map_err(|message| Failure {
                    refused: Refused::Other,
                    message,
                    status: None,
                })?;
                let patch = Request::with(Method::PATCH, path(CONNECTIONS, &id), body(&update));
                Answer::Connection(self.one(patch).await?)
            }
            ConnectionOp::Delete(id) => {
                self.send(Request::with(Method::DELETE, path(CONNECTIONS, &id), None))
                    .await?;
                Answer::Done(done_message(Change::ConnectionDeleted(&id)))
            }
            ConnectionOp::Clients {
                id,
                client_ids,
                enabled,
            } => {
                let changes = statuses(client_ids, enabled);
                let patch = Request::with(
                    Method::PATCH,
                    of(CONNECTIONS, &id, "clients"),
                    body(&changes),
                );
                self.send(patch).await?;
                Answer::Done(done_message(Change::ConnectionClients {
                    connection: &id,
                    enabled,
                }))
            }
        })
    }

    async fn keys(&self, op: KeyOp) -> Result<Answer, Failure> {
        Ok(match op {
            KeyOp::List => Answer::Keys(self.one(Request::get(KEYS)).await?),
            KeyOp::Rotate(query) => {
                let rotate = Request::with(Method::POST, format!("{KEYS}/rotate"), None);
                Answer::RotatedKey(self.one(rotate.query(&query)).await?)
            }
            KeyOp::Revoke { force: true, .. } => {
                return Err(Failure {
                    refused: Refused::Other,
                    message: "--force works only on the local store (without --server)\nhint: \
                              rotate first (`tessera keys rotate --server URL --alg ALG`) so \
                              that another key signs, then revoke this one"
                        .into(),
                    status: None,
                })
            }
            KeyOp::Revoke { kid, force: false } => {
                let revoke = format!("{}/revoke", path(KEYS, &kid));
                let key = self.one(Request::with(Method::PUT, revoke, None)).await?;
                Answer::RevokedKey {
                    key,
                    already_revoked: false,
                }
            }
        })
    }

    /// Every item of a list, [`MAX_PER_PAGE`] at a time.
    async fn every<T: DeserializeOwned>(&self, request: Request) -> Result<Vec<T>, Failure> {
        let mut all = Vec::new();
        for page in 0..MAX_PAGES {
            let mut paged = Request {
                query: request.query.clone(),
                ..Request::get(request.path.clone())
            };
            paged.query.push(("page".into(), page.to_string()));
            paged
                .query
                .push(("per_page".into(), MAX_PER_PAGE.to_string()));
            let items: Vec<T> = self.one(paged).await?;
            let last = items.len() < MAX_PER_PAGE as usize;
            all.extend(items);
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// One request whose answer is a `T`.
    async fn one<T: DeserializeOwned>(&self, request: Request) -> Result<T, Failure> {
        let path = request.path.clone();
        let answer = self.send(request).await?;
        serde_json::from_value(answer).map_err(|e| Failure {
            refused: Refused::Other,
            message: format!("{path} answered something else than expected: {e}"),
            status: None,
        })
    }

    /// Sends one request; an error status is a [`Failure`] with the API's message.
    /// Uploads the file as Auth0's SDKs do (`POST /api/v2/jobs/users-imports`) and follows the
    /// job to its end.
    async fn import(&self, file: &std::path::Path, upsert: bool) -> Result<JobView, Failure> {
        let other = |message: String| Failure {
            refused: Refused::Other,
            message,
            status: None,
        };
        let bytes = std::fs::read(file).map_err(|e| other(format!("{}: {e}", file.display())))?;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("users.json")
            .mime_str("application/json")
            .map_err(|e| other(e.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .text("connection_id", tessera_admin::CONNECTION)
            .text("upsert", upsert.to_string())
            .part("users", part);
        let url = format!("{}{}", self.base, JOBS.trim_start_matches('/'));
        let response = self
            .http
            .post(url)
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(30 * 60))
            .multipart(form)
            .send()
            .await
            .map_err(|e| other(unreachable(&self.base, &e)))?;
        let status = response.status().as_u16();
        let body = parsed(&response.bytes().await.map_err(|e| other(e.to_string()))?);
        if status >= 400 {
            return Err(refused(status, &body));
        }
        let job: JobView = serde_json::from_value(body).map_err(|e| other(e.to_string()))?;
        follow_job(|| self.one(Request::get(format!("/api/v2/jobs/{}", job.id)))).await
    }

    async fn send(&self, request: Request) -> Result<Value, Failure> {
        let url = format!("{}{}", self.base, request.path.trim_start_matches('/'));
        let mut builder = self
            .http
            .request(request.method, url)
            .bearer_auth(&self.token)
            .query(&request.query);
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let unreachable = |e: reqwest::Error| Failure {
            refused: Refused::Other,
            message: unreachable(&self.base, &e),
            status: None,
        };
        let response = builder.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = parsed(&response.bytes().await.map_err(unreachable)?);
        if status >= 400 {
            return Err(refused(status, &body));
        }
        Ok(body)
    }
}

/// What a refusal from the server says.
fn refused(status: u16, body: &Value) -> Failure {
    let message = ["message", "error_description", "error"]
        .iter()
        .find_map(|k| body[*k].as_str())
        .or(body.as_str())
        .map_or_else(|| format!("the server answered {status}"), str::to_owned);
    let refused = match status {
        401 => Refused::Unauthorized,
        403 if body["errorCode"] == "insufficient_scope" => {
            Refused::InsufficientScope(message.rsplit(": ").next().unwrap_or_default().to_owned())
        }
        404 => Refused::NotFound,
        409 => Refused::Conflict,
        _ => Refused::Other,
    };
    Failure {
        refused,
        message,
        status: Some(status),
    }
}

fn parsed(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// `server` as a base URL ending with `/`.
fn base_url(server: &str) -> Result<String, String> {
    let url = url::Url::parse(server)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            format!("--server `{server}` is not an http(s) URL: write e.g. http://127.0.0.1:3000/")
        })?;
    let base = url.as_str().trim_end_matches('/');
    Ok(format!("{base}/"))
}

fn unreachable(base: &str, error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    format!(
        "cannot reach {base}: {cause}\nhint: is Tessera running at {base}? Start it with \
         `tessera serve`, or leave out --server to work on the local store"
    )
}

/// The server's issuer, from its discovery document: the Management API's audience is
/// `{issuer}api/v2/` even when the server is reached by another URL.
async fn discover_issuer(http: &reqwest::Client, base: &str) -> Result<String, String> {
    let url = format!("{base}.well-known/openid-configuration");
    let response = http
        .get(&url)
        .send()
        .await
        .map_err(|e| unreachable(base, &e))?;
    let status = response.status();
    let document: Value = response.json().await.unwrap_or(Value::Null);
    match document["issuer"].as_str() {
        Some(issuer) if status.is_success() => Ok(issuer.to_owned()),
        _ => Err(format!(
            "{url} answered {status} without an issuer\nhint: is {base} a Tessera server? \
             --server takes its issuer URL, e.g. http://127.0.0.1:3000/"
        )),
    }
}

/// A Management API token with `client_credentials`.
async fn token(
    http: &reqwest::Client,
    base: &str,
    issuer: &str,
    client_id: &str,
    client_secret: &str,
) -> Result<String, String> {
    let audience = management_audience(issuer);
    let response = http
        .post(format!("{base}oauth/token"))
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": audience,
        }))
        .send()
        .await
        .map_err(|e| unreachable(base, &e))?;
    let status = response.status().as_u16();
    let body = parsed(&response.bytes().await.map_err(|e| unreachable(base, &e))?);
    match body["access_token"].as_str() {
        Some(token) if status == 200 => Ok(token.to_owned()),
        _ => Err(render::token_failure(status, &body, client_id, &audience)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(
            path("/api/v2/users", "auth0|0a1B"),
            "/api/v2/users/auth0%7C0a1B"
        );
        assert_eq!(
            path("/api/v2/resource-servers", "https://api.example.com/"),
            "/api/v2/resource-servers/https%3A%2F%2Fapi.example.com%2F"
        );
    }
}
