//! Test harness: a running server with the seed's example data, and a scripted browser.

use std::net::SocketAddr;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tessera_server::clock::Clock;
use tessera_server::config::{ApiConfig, ClientConfig, Config, ScopeConfig, UserConfig};
use tessera_server::Tessera;
use tokio::sync::oneshot;
use url::Url;

pub const API: &str = "appointments:api";
pub const CLIENT_ID: &str = "myclientapp";
pub const CLIENT_SECRET: &str = "myclientapp-secret-0123456789abcdef0123456789";
pub const CALLBACK: &str = "http://127.0.0.1:4000/callback";
pub const LOGOUT_URL: &str = "http://127.0.0.1:4000/";
pub const USERNAME: &str = "jane";
pub const EMAIL: &str = "jane@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// The seed's example: an API with two scopes and offline access, one client, one user.
pub fn seed_config() -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        apis: vec![ApiConfig {
            identifier: API.into(),
            name: "Appointments API".into(),
            scopes: vec![
                ScopeConfig {
                    value: "appointments".into(),
                    description: "Manage your appointments".into(),
                },
                ScopeConfig {
                    value: "contacts".into(),
                    description: "Read your contacts".into(),
                },
            ],
            allow_offline_access: true,
            token_lifetime: 3600,
            signing_alg: "RS256".into(),
        }],
        clients: vec![ClientConfig {
            client_id: CLIENT_ID.into(),
            client_secret: Some(CLIENT_SECRET.into()),
            name: "My Client App".into(),
            callbacks: vec![CALLBACK.into()],
            allowed_logout_urls: vec![LOGOUT_URL.into()],
            ..ClientConfig::default()
        }],
        users: vec![UserConfig {
            username: USERNAME.into(),
            email: EMAIL.into(),
            password: PASSWORD.into(),
            name: "Jane Doe".into(),
            email_verified: true,
        }],
        ..Config::default()
    }
}

/// A server running in this process on its own port and database.
pub struct TestServer {
    pub issuer: String,
    pub config: Config,
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts with the seed config as changed by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = seed_config();
        config.database_url = format!("sqlite://{}", dir.path().join("tessera.db").display());
        adjust(&mut config);
        Self::start_in(dir, config).await
    }

    /// Starts on an existing directory and config (e.g. to restart on the same database).
    pub async fn start_in(dir: TempDir, config: Config) -> TestServer {
        let tessera = Tessera::prepare(&config, Clock::system()).await.unwrap();
        let issuer = tessera.state.settings.issuer.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            tessera
                .serve(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        TestServer {
            issuer,
            config,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server and hands back its directory and config.
    pub async fn stop(mut self) -> (TempDir, Config) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (dir, self.config.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path.trim_start_matches('/'))
    }

    /// The seed's authorize URL with `extra` parameters added or overriding.
    pub fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("audience", API),
            ("scope", "openid profile email appointments"),
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("state", "opaque-state"),
        ];
        for (name, value) in extra {
            params.retain(|(n, _)| n != name);
            params.push((name, value));
        }
        let mut url = Url::parse(&self.url("authorize")).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.into()
    }

    /// The exact authorize URL given, without defaults (for error cases).
    pub fn raw_authorize_url(&self, query: &str) -> String {
        format!("{}?{}", self.url("authorize"), query)
    }

    /// Posts a JSON body to the token endpoint.
    pub async fn token_json(&self, body: Value) -> Response {
        http()
            .post(self.url("oauth/token"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form body to the token endpoint.
    pub async fn token_form(&self, pairs: &[(&str, &str)]) -> Response {
        http()
            .post(self.url("oauth/token"))
            .form(pairs)
            .send()
            .await
            .unwrap()
    }

    /// Runs the flow in a new browser and returns the code from the callback.
    pub async fn code(&self, extra: &[(&str, &str)]) -> String {
        let browser = Browser::new();
        let callback = browser.sign_in(&self.authorize_url(extra)).await;
        query_param(&callback, "code").expect("a code in the callback")
    }

    /// Redeems `code` with the seed client's secret in a JSON body.
    pub async fn redeem(&self, code: &str) -> Value {
        let response = self
            .token_json(serde_json::json!({
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "code": code,
                "redirect_uri": CALLBACK,
            }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An HTTP client that follows no redirects.
pub fn http() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// A scripted browser: keeps cookies, follows no redirect by itself.
pub struct Browser {
    pub client: Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Browser {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
        Browser { client }
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client.get(url).send().await.unwrap()
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(url).form(form).send().await.unwrap()
    }

    /// Follows redirects on this server's pages until the browser would leave for the client
    /// (or a page is shown). Returns the final response and its URL.
    pub async fn follow(&self, start: Response, base: &Url) -> (Response, Url) {
        let mut response = start;
        let mut url = base.clone();
        while response.status() == StatusCode::FOUND {
            let next = url.join(&location(&response)).unwrap();
            if next.port() == Some(4000) {
                return (response, next);
            }
            url = next;
            response = self.get(url.as_str()).await;
        }
        (response, url)
    }

    /// Logs in on the login page at `page_url` (whose HTML is `html`).
    pub async fn submit_login(
        &self,
        page_url: &Url,
        html: &str,
        username: &str,
        password: &str,
    ) -> Response {
        let state = form_value(html, "state").expect("state field");
        let csrf = form_value(html, "csrf_token").expect("csrf_token field");
        self.post_form(
            page_url.join("/u/login").unwrap().as_str(),
            &[
                ("state", &state),
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Answers the consent page at `page_url` with `decision`.
    pub async fn submit_consent(&self, page_url: &Url, html: &str, decision: &str) -> Response {
        let state = form_value(html, "state").expect("state field");
        let csrf = form_value(html, "csrf_token").expect("csrf_token field");
        self.post_form(
            page_url.join("/u/consent").unwrap().as_str(),
            &[
                ("state", &state),
                ("csrf_token", &csrf),
                ("decision", decision),
            ],
        )
        .await
    }

    /// The whole interaction as the seed's user who allows everything; returns the callback
    /// URL the browser is sent to.
    pub async fn sign_in(&self, authorize_url: &str) -> Url {
        self.sign_in_deciding(authorize_url, "allow").await
    }

    /// As [`Browser::sign_in`], answering a consent page (if one comes) with `decision`.
    pub async fn sign_in_deciding(&self, authorize_url: &str, decision: &str) -> Url {
        let base = Url::parse(authorize_url).unwrap();
        let mut step = self.follow(self.get(authorize_url).await, &base).await;
        for _ in 0..4 {
            let (response, url) = step;
            if url.port() == Some(4000) {
                return url;
            }
            let html = response.text().await.unwrap();
            let next = if url.path() == "/u/login" {
                self.submit_login(&url, &html, USERNAME, PASSWORD).await
            } else if url.path() == "/u/consent" {
                self.submit_consent(&url, &html, decision).await
            } else {
                panic!("unexpected page {url}: {html}");
            };
            step = self.follow(next, &url).await;
        }
        panic!("the sign-in did not reach the callback");
    }
}

pub fn location(response: &Response) -> String {
    location_of(response.headers())
}

pub fn location_of(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The `value` of the form input named `name` in `html`.
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The claims of a JWT, without verifying it (the tests verify with the JWKS separately).
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The header of a JWT.
pub fn jwt_header(token: &str) -> Value {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

impl TestServer {
    /// The seed's authorize URL without the parameters named in `remove`, with `extra` added or
    /// overriding.
    pub fn authorize_url_without(&self, remove: &[&str], extra: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&self.authorize_url(extra)).unwrap();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| !remove.contains(&name.as_ref()))
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(kept);
        url.into()
    }

    /// Runs the flow in a new browser with `extra` and redeems the code.
    pub async fn tokens(&self, extra: &[(&str, &str)]) -> Value {
        let code = self.code(extra).await;
        self.redeem(&code).await
    }

    /// Runs the flow for `authorize_url` in a new browser and redeems the code.
    pub async fn tokens_at(&self, authorize_url: &str) -> Value {
        let callback = Browser::new().sign_in(authorize_url).await;
        let code = query_param(&callback, "code").expect("a code in the callback");
        self.redeem(&code).await
    }

    /// The JWKS the server publishes.
    pub async fn jwks(&self) -> tessera_jwt::JwkSet {
        http()
            .get(self.url(".well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// A `Location` that leads to the client's callback (port 4000), parsed.
pub fn client_redirect(response: &Response) -> Url {
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "expected a redirect to the client"
    );
    let url = Url::parse(&location(response)).expect("an absolute Location");
    assert_eq!(url.port(), Some(4000), "the redirect leaves for the client");
    url
}

/// An HTTP Basic `Authorization` value with the id and secret form-urlencoded first
/// (RFC 6749 §2.3.1).
pub fn basic_auth(client_id: &str, secret: &str) -> String {
    use base64::Engine;
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let joined = format!("{}:{}", encode(client_id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(joined)
    )
}

/// The `aud` claim as a list, whether it was sent as one string or an array.
pub fn audiences(claims: &Value) -> Vec<String> {
    match &claims["aud"] {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        other => panic!("aud is neither a string nor an array: {other}"),
    }
}

/// The `Set-Cookie` values of a response.
pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// A header's value as text, if present.
pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}
