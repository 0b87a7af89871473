//! The scenarios' workers: machine-to-machine tokens, code redemption, refresh rotation, and
//! whole browserless authorization flows (with a login, with remembered consent, with SSO), in
//! Tessera's dialect or the peer's (`oidc-provider`, see bench/peer/server.mjs).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use hyper::HeaderMap;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::load::{get, post_form, Body, Step, Worker};
use crate::server::{CALLBACK, M2M_CLIENT, M2M_SECRET, PASSWORD, USER, WEB_CLIENT, WEB_SECRET};

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Who the bench talks to. Both serve the same paths (the peer is configured with Tessera's);
/// they differ in how an API is named and in their login and consent pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Auth0's `audience`; hosted pages at `/u/login` and `/u/consent` with a CSRF token.
    Tessera,
    /// RFC 8707's `resource`; `oidc-provider`'s development pages at `/interaction/{uid}`,
    /// resumed at `/authorize/{uid}`.
    Peer,
}

impl Dialect {
    fn api_parameter(self) -> &'static str {
        match self {
            Dialect::Tessera => "audience",
            Dialect::Peer => "resource",
        }
    }
}

/// The token request of the client-credentials grant for `audience`.
pub fn client_credentials(host: &str, dialect: Dialect, audience: &str) -> Request<Body> {
    let mut form = format!(
        "grant_type=client_credentials&client_id={M2M_CLIENT}&client_secret={}&{}={}",
        encode(M2M_SECRET),
        dialect.api_parameter(),
        encode(audience)
    );
    if dialect == Dialect::Peer {
        // Tessera grants the client grant's scopes when none are asked; the peer grants only
        // what is asked, so ask for the same `read`.
        form += "&scope=read";
    }
    post_form(host, "/oauth/token", &form)
}

fn redeem_form(code: &str) -> String {
    format!(
        "grant_type=authorization_code&client_id={WEB_CLIENT}&client_secret={}&code={}&redirect_uri={}",
        encode(WEB_SECRET),
        encode(code),
        encode(CALLBACK)
    )
}

fn refresh_form(token: &str) -> String {
    format!(
        "grant_type=refresh_token&client_id={WEB_CLIENT}&client_secret={}&refresh_token={}",
        encode(WEB_SECRET),
        encode(token)
    )
}

/// The path and query of an authorization request (for `audience`, or for no API at all).
pub fn authorize_path(
    dialect: Dialect,
    audience: Option<&str>,
    scope: &str,
    prompt: Option<&str>,
) -> String {
    let mut path = format!(
        "/authorize?response_type=code&client_id={WEB_CLIENT}&redirect_uri={}&scope={}&state=bench",
        encode(CALLBACK),
        encode(scope)
    );
    if let Some(audience) = audience {
        path += &format!("&{}={}", dialect.api_parameter(), encode(audience));
    }
    if let Some(prompt) = prompt {
        path += &format!("&prompt={}", encode(prompt));
    }
    path
}

/// Cookies as a browser keeps them.
#[derive(Debug, Clone, Default)]
pub struct Cookies(HashMap<String, String>);

impl Cookies {
    fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            if let Some((name, rest)) = value.split_once('=') {
                // An empty value is how both servers delete a cookie.
                match rest.split(';').next().unwrap_or("") {
                    "" => self.0.remove(name),
                    value => self.0.insert(name.to_owned(), value.to_owned()),
                };
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `url` as a path when it points at `host` (the peer writes absolute URLs), else unchanged.
fn local(url: &str, host: &str) -> String {
    url.strip_prefix("http://")
        .and_then(|rest| rest.strip_prefix(host))
        .filter(|path| path.starts_with('/'))
        .unwrap_or(url)
        .to_owned()
}

fn location(headers: &HeaderMap, host: &str) -> String {
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    local(location, host)
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The text between `marker` and the next `"`.
fn quoted_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

fn form_value(html: &str, name: &str) -> Option<String> {
    quoted_after(html, &format!("name=\"{name}\" value=\""))
}

fn json_field(body: &[u8], field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value[field].as_str().map(str::to_owned)
}

/// One request on a fresh connection, for setup.
pub async fn call(
    addr: SocketAddr,
    request: Request<Body>,
) -> Result<(u16, HeaderMap, Vec<u8>), String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes()
        .to_vec();
    Ok((status, headers, body))
}

/// Where a flow stands.
#[derive(Debug, Clone)]
enum Stage {
    Authorize,
    /// A page to read: Tessera's login or consent page, the peer's interaction page.
    Page(String),
    /// Tessera's hosted forms, filled in.
    Login {
        state: String,
        csrf: String,
    },
    Consent {
        state: String,
        csrf: String,
    },
    /// The peer's interaction form (`prompt` is `login` or `consent`), posted to `action`.
    Interaction {
        action: String,
        prompt: String,
    },
    /// A redirect back into the server: the peer resuming the authorization after a form.
    Follow(String),
    Token(String),
}

/// A browserless authorization flow, repeated: authorize → (login) → (consent) → code → token.
pub struct Flow {
    host: String,
    dialect: Dialect,
    authorize: String,
    cookies: Cookies,
    stage: Stage,
    /// Shared with the caller, e.g. to collect codes or refresh tokens instead of redeeming.
    collect: Option<Arc<Mutex<Vec<String>>>>,
    redeem: bool,
}

impl Flow {
    /// `prompt` forces the steps: `login consent` (first time), `login` (remembered consent),
    /// none (SSO session and remembered consent: no page at all). Without `audience` the
    /// access token is for the server's own userinfo endpoint.
    pub fn new(
        host: &str,
        dialect: Dialect,
        audience: Option<&str>,
        scope: &str,
        prompt: Option<&str>,
        cookies: Cookies,
    ) -> Flow {
        Flow {
            host: host.to_owned(),
            dialect,
            authorize: authorize_path(dialect, audience, scope, prompt),
            cookies,
            stage: Stage::Authorize,
            collect: None,
            redeem: true,
        }
    }

    /// Collects each token response's refresh token (when `redeem`) or each code (otherwise).
    pub fn collecting(mut self, into: Arc<Mutex<Vec<String>>>, redeem: bool) -> Flow {
        self.collect = Some(into);
        self.redeem = redeem;
        self
    }

    fn browser_get(&self, path: &str) -> Request<Body> {
        let cookie = self.cookies.header();
        get(&self.host, path, &[("cookie", &cookie)])
    }

    fn browser_post(&self, path: &str, form: &str) -> Request<Body> {
        let mut request = post_form(&self.host, path, form);
        if let Ok(value) = self.cookies.header().parse() {
            request.headers_mut().insert("cookie", value);
        }
        request
    }

    fn after_redirect(&mut self, headers: &HeaderMap) -> Step {
        let next = location(headers, &self.host);
        if next.starts_with(CALLBACK) {
            let Some(code) = query_value(&next, "code") else {
                return self.restart(Step::Failure);
            };
            if self.redeem {
                self.stage = Stage::Token(code);
                return Step::Continue;
            }
            if let Some(collect) = &self.collect {
                if let Ok(mut codes) = collect.lock() {
                    codes.push(code);
                }
            }
            return self.restart(Step::Success);
        }
        self.stage = match self.dialect {
            Dialect::Tessera if next.starts_with("/u/login") || next.starts_with("/u/consent") => {
                Stage::Page(next)
            }
            Dialect::Peer if next.starts_with("/interaction/") => Stage::Page(next),
            Dialect::Peer if next.starts_with("/authorize/") => Stage::Follow(next),
            _ => return self.restart(Step::Failure),
        };
        Step::Continue
    }

    /// Finds the form a person would submit on the page at `path`.
    fn read_page(&mut self, path: &str, html: &str) -> Step {
        self.stage = match self.dialect {
            Dialect::Tessera => match (form_value(html, "state"), form_value(html, "csrf_token")) {
                (Some(state), Some(csrf)) if path.starts_with("/u/login") => {
                    Stage::Login { state, csrf }
                }
                (Some(state), Some(csrf)) => Stage::Consent { state, csrf },
                _ => return self.restart(Step::Failure),
            },
            Dialect::Peer => match (quoted_after(html, "action=\""), form_value(html, "prompt")) {
                (Some(action), Some(prompt)) => Stage::Interaction {
                    action: local(&action, &self.host),
                    prompt,
                },
                _ => return self.restart(Step::Failure),
            },
        };
        Step::Continue
    }

    fn restart(&mut self, step: Step) -> Step {
        self.stage = Stage::Authorize;
        step
    }
}

impl Worker for Flow {
    fn next(&mut self) -> Option<Request<Body>> {
        Some(match &self.stage {
            Stage::Authorize => self.browser_get(&self.authorize),
            Stage::Page(path) | Stage::Follow(path) => self.browser_get(path),
            Stage::Login { state, csrf } => {
                let form = format!(
                    "state={state}&csrf_token={csrf}&username={USER}&password={}",
                    encode(PASSWORD)
                );
                self.browser_post("/u/login", &form)
            }
            Stage::Consent { state, csrf } => self.browser_post(
                "/u/consent",
                &format!("state={state}&csrf_token={csrf}&decision=allow"),
            ),
            Stage::Interaction { action, prompt } => {
                let form = if prompt == "login" {
                    // The peer's development login takes any password and checks none.
                    format!("prompt=login&login={USER}&password={}", encode(PASSWORD))
                } else {
                    format!("prompt={}", encode(prompt))
                };
                self.browser_post(action, &form)
            }
            Stage::Token(code) => post_form(&self.host, "/oauth/token", &redeem_form(code)),
        })
    }

    fn done(&mut self, status: u16, headers: &HeaderMap, body: &[u8]) -> Step {
        self.cookies.absorb(headers);
        // Tessera redirects with 302, the peer with 303.
        let redirect = status == 302 || status == 303;
        match self.stage.clone() {
            Stage::Authorize
            | Stage::Login { .. }
            | Stage::Consent { .. }
            | Stage::Interaction { .. }
            | Stage::Follow(_)
                if redirect =>
            {
                self.after_redirect(headers)
            }
            Stage::Page(path) if status == 200 => {
                self.read_page(&path, &String::from_utf8_lossy(body))
            }
            Stage::Token(_) if status == 200 => {
                if let (Some(collect), Some(refresh)) =
                    (&self.collect, json_field(body, "refresh_token"))
                {
                    if let Ok(mut tokens) = collect.lock() {
                        tokens.push(refresh);
                    }
                }
                self.restart(Step::Success)
            }
            _ => self.restart(Step::Failure),
        }
    }
}

/// Redeems pre-minted codes, one each.
pub struct Redeem {
    pub host: String,
    pub codes: Vec<String>,
}

impl Worker for Redeem {
    fn next(&mut self) -> Option<Request<Body>> {
        let code = self.codes.pop()?;
        Some(post_form(&self.host, "/oauth/token", &redeem_form(&code)))
    }
}

/// Uses a rotating refresh token again and again: each answer carries its successor.
pub struct RefreshChain {
    pub host: String,
    pub token: Option<String>,
}

impl Worker for RefreshChain {
    fn next(&mut self) -> Option<Request<Body>> {
        let token = self.token.as_ref()?;
        Some(post_form(&self.host, "/oauth/token", &refresh_form(token)))
    }

    fn done(&mut self, status: u16, _headers: &HeaderMap, body: &[u8]) -> Step {
        self.token = json_field(body, "refresh_token");
        if status == 200 && self.token.is_some() {
            Step::Success
        } else {
            Step::Failure
        }
    }
}

/// Runs one flow to its token response, one request at a time; returns the flow (its cookies)
/// and the token response's body.
async fn walk(addr: SocketAddr, mut flow: Flow) -> Result<(Flow, Vec<u8>), String> {
    for _ in 0..12 {
        let Some(request) = flow.next() else { break };
        let (status, headers, body) = call(addr, request).await?;
        match flow.done(status, &headers, &body) {
            Step::Success => return Ok((flow, body)),
            Step::Failure => return Err(format!("flow failed at status {status}")),
            Step::Continue => {}
        }
    }
    Err("flow did not finish".into())
}

/// Logs in once and consents to `scope` for `audience`: the cookies of an SSO session.
pub async fn sign_in(
    addr: SocketAddr,
    host: &str,
    dialect: Dialect,
    audience: &str,
    scope: &str,
) -> Result<Cookies, String> {
    let flow = Flow::new(
        host,
        dialect,
        Some(audience),
        scope,
        None,
        Cookies::default(),
    );
    let (flow, _) = walk(addr, flow)
        .await
        .map_err(|e| format!("sign-in: {e}"))?;
    Ok(flow.cookies)
}

/// A user's access token from one whole flow.
pub async fn user_access_token(addr: SocketAddr, flow: Flow) -> Result<String, String> {
    let (_, body) = walk(addr, flow).await?;
    json_field(&body, "access_token").ok_or_else(|| "no access token in the token response".into())
}
