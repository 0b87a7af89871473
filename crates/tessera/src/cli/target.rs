//! Where a command's request goes: in-process to the router on a state built over the local
//! store (no socket is bound), or over HTTP to a running server, with a `client_credentials`
//! token for its Management API.

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use serde_json::{json, Value};
use tessera_protocol::{ClientId, ResourceServer, ScopeSet};
use tower::ServiceExt;

use crate::cli::call::{Call, Noun, View};
use crate::cli::{credentials_notice, render, Remote};
use crate::config::Config;
use tessera_core::clock::Clock;
use tessera_server::flows::mint::{mint, Mint, Subject};
use tessera_server::management::{management_audience, management_scopes};
use tessera_server::state::AppState;

/// The client id of the in-process token the CLI gives itself on the local store.
const CLI_CLIENT_ID: &str = "tessera-cli";
/// That token's lifetime: one command.
const CLI_TOKEN_LIFETIME: i64 = 300;
/// Items per page when listing everything.
const PER_PAGE: usize = 100;
/// The Management API's default page size.
const FIRST_PAGE: usize = 50;
/// At most this many pages are fetched (10,000 items).
const MAX_PAGES: u32 = 100;

/// A status and a JSON body (`Null` when empty, a string when not JSON).
struct Reply {
    status: u16,
    body: Value,
}

/// Where requests go.
pub enum Target {
    Local {
        router: Router,
        token: String,
        /// Flushed after each call: the process may exit right after.
        audit: tessera_core::audit::Audit,
    },
    Remote {
        base: String,
        token: String,
        http: reqwest::Client,
    },
}

impl Target {
    /// The server `--server` names, or else the local store the configuration names.
    pub async fn connect(
        remote: &Remote,
        config: Option<&Path>,
        clock: Clock,
    ) -> Result<Target, String> {
        match &remote.server {
            Some(server) => Target::remote(server, remote).await,
            None => Target::local(config, clock).await,
        }
    }

    async fn local(config: Option<&Path>, clock: Clock) -> Result<Target, String> {
        let config = Config::load(config).map_err(|e| e.to_string())?;
        let issuer = config.issuer_for(config.listen);
        let (state, created) = crate::build_state(&config, issuer, clock)
            .await
            .map_err(|e| {
                format!(
                    "{e}\nhint: check database_url (--config or TESSERA_DATABASE_URL), \
                     or pass --server URL to manage a running Tessera"
                )
            })?;
        if let Some(credentials) = &created {
            eprint!(
                "{}",
                credentials_notice(credentials, &state.settings.issuer)
            );
        }
        let token = local_token(&state).await?;
        let audit = state.audit.clone();
        Ok(Target::Local {
            router: tessera_server::routes::router(state),
            token,
            audit,
        })
    }

    async fn remote(server: &str, remote: &Remote) -> Result<Target, String> {
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
        let token = remote_token(&http, &base, &issuer, client_id, client_secret).await?;
        Ok(Target::Remote { base, token, http })
    }

    /// Sends `call`; a list gets every page. The error says what went wrong and what to do.
    pub async fn send(&self, call: &Call) -> Result<Value, String> {
        if call.view != View::List || !call.noun.paged() {
            let answer = self.once(call, &call.query).await?;
            let first_page = matches!(call.noun, Noun::Users | Noun::ClientGrants)
                && answer.as_array().is_some_and(|a| a.len() == FIRST_PAGE);
            if first_page && call.view == View::List {
                eprintln!(
                    "Only the first {FIRST_PAGE} are listed: narrow the list with its options."
                );
            }
            return Ok(answer);
        }
        let mut all = Vec::new();
        for page in 0..MAX_PAGES {
            let mut query = call.query.clone();
            query.push(("page", page.to_string()));
            query.push(("per_page", PER_PAGE.to_string()));
            let Value::Array(items) = self.once(call, &query).await? else {
                return Err(format!("{} did not answer a list", call.path));
            };
            let last = items.len() < PER_PAGE;
            all.extend(items);
            if last {
                break;
            }
        }
        Ok(Value::Array(all))
    }

    async fn once(&self, call: &Call, query: &[(&str, String)]) -> Result<Value, String> {
        let mut target = call.path.clone();
        if !query.is_empty() {
            let mut encoded = url::form_urlencoded::Serializer::new(String::new());
            encoded.extend_pairs(query);
            target = format!("{target}?{}", encoded.finish());
        }
        let reply = match self {
            Target::Local {
                router,
                token,
                audit,
            } => {
                let reply =
                    in_process(router, token, &call.method, &target, call.body.as_ref()).await?;
                audit.flush(Duration::from_secs(10)).await;
                reply
            }
            Target::Remote { base, token, http } => {
                let url = format!("{base}{}", target.trim_start_matches('/'));
                let mut request = http.request(call.method.clone(), url).bearer_auth(token);
                if let Some(body) = &call.body {
                    request = request.json(body);
                }
                let response = request.send().await.map_err(|e| unreachable(base, &e))?;
                let status = response.status().as_u16();
                let bytes = response.bytes().await.map_err(|e| unreachable(base, &e))?;
                Reply {
                    status,
                    body: parsed(&bytes),
                }
            }
        };
        if reply.status >= 400 {
            return Err(render::failure(reply.status, &reply.body, call.noun));
        }
        Ok(reply.body)
    }
}

/// The request through the router, as a server would handle it, without a socket.
async fn in_process(
    router: &Router,
    token: &str,
    method: &Method,
    target: &str,
    body: Option<&Value>,
) -> Result<Reply, String> {
    let builder = Request::builder()
        .method(method.clone())
        .uri(target)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let request = match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .map_err(|e| e.to_string())?;
    let response = match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Reply {
        status,
        body: parsed(&bytes),
    })
}

fn parsed(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// A Management API token minted in-process, with every management scope: whoever can open
/// the store can already change everything in it.
async fn local_token(state: &AppState) -> Result<String, String> {
    let audience = management_audience(&state.settings.issuer);
    let api = state
        .store
        .api(&audience)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the Management API `{audience}` is not registered"))?;
    let api = ResourceServer {
        token_lifetime: CLI_TOKEN_LIFETIME,
        ..api
    };
    let scope = ScopeSet::parse(&management_scopes().join(" ")).map_err(|e| e.to_string())?;
    let client_id = ClientId(CLI_CLIENT_ID.into());
    let now = state.clock.now();
    let m = Mint {
        client_id: &client_id,
        subject: Subject::Client,
        scope: &scope,
        api: Some(&api),
        auth_time: now,
        nonce: None,
        sid: None,
        now,
    };
    mint(state, m, true)
        .map_err(|e| e.to_string())?
        .access_token
        .ok_or_else(|| "no management token was minted".to_owned())
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
async fn remote_token(
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
