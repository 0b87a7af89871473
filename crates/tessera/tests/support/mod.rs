//! What every integration test binary shares: a running server with the seed's example data
//! on a clock the test moves, a scripted browser, the built binary as a process
//! ([`process`]), and clusters of nodes on PostgreSQL ([`cluster`]).

pub mod cluster;
pub mod process;
pub mod smtp;
pub mod webauthn;

use std::net::SocketAddr;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tessera::config::{ApiConfig, ClientConfig, Config, ScopeConfig, UserConfig};
use tessera::Tessera;
use tessera_core::clock::ManualClock;
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
/// The master secret of a [`TestServer::start_on_postgres`] server.
pub const POSTGRES_SECRET: &str = "test-server-master-secret-0123456789abcdef";

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
            skip_consent_for_verifiable_first_party_clients: false,
            enforce_policies: false,
            token_dialect: "access_token".into(),
            proof_of_possession: None,
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
    /// Where the server listens (the issuer may name another origin, e.g. an https proxy).
    pub addr: SocketAddr,
    pub config: Config,
    pub dir: TempDir,
    /// The management client created at this start (none when `[management]` is configured
    /// or the database already had one).
    pub new_management_credentials: Option<tessera_admin::bootstrap::NewCredentials>,
    /// The server's clock: it stands still unless the test moves it (`clock.advance(s)`).
    pub clock: ManualClock,
    /// The audit log's writer, to wait for the events it has queued.
    audit: tessera_core::audit::Audit,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// The fresh PostgreSQL database of [`TestServer::start_on_postgres`]; the last field, so it
    /// is dropped after the server was told to stop (`None` on SQLite).
    database: Option<cluster::Database>,
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

    /// As [`TestServer::start_with`], on a fresh database of the test PostgreSQL
    /// (`POSTGRES_TEST_URL`), dropped with the server. No PostgreSQL is a failure, not a skip.
    pub async fn start_on_postgres(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let database = cluster::Database::create().await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = seed_config();
        config.database_url = database.url.clone();
        // Unlike SQLite, PostgreSQL gets no generated master secret: nodes must share one.
        config.secret = Some(POSTGRES_SECRET.into());
        adjust(&mut config);
        let mut server = Self::start_in(dir, config).await;
        server.database = Some(database);
        server
    }

    /// Starts on an existing directory and config (e.g. to restart on the same database).
    pub async fn start_in(dir: TempDir, config: Config) -> TestServer {
        Self::start_in_at(dir, config, ManualClock::at_system_time()).await
    }

    /// As [`TestServer::start_in`], on `clock` (e.g. the time a database was left at).
    pub async fn start_in_at(dir: TempDir, config: Config, clock: ManualClock) -> TestServer {
        let tessera = Tessera::prepare(&config, clock.clock()).await.unwrap();
        let issuer = tessera.state.settings.issuer.clone();
        let addr = tessera.addr;
        let new_management_credentials = tessera.new_management_credentials.clone();
        let audit = tessera.state.audit.clone();
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
            addr,
            config,
            dir,
            new_management_credentials,
            clock,
            audit,
            stop: Some(stop),
            task: Some(task),
            database: None,
        }
    }

    /// Stops the server and hands back its directory and config (a PostgreSQL database of
    /// [`TestServer::start_on_postgres`] is dropped: there is nothing to restart on).
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

    /// Waits until the audit events queued so far are stored (they are written in batches).
    pub async fn flush_audit(&self) {
        self.audit.flush(std::time::Duration::from_secs(10)).await;
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

    /// The discovery document the server publishes.
    pub async fn discovery(&self) -> Value {
        http()
            .get(self.url(".well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
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

// --- Helpers for the protocol modules (PKCE, refresh, revocation, logout, implicit…) ---

/// The parameters of a URL's fragment, read as form encoding (OAuth 2.0 Multiple Response
/// Types §2.1: fragment responses are `application/x-www-form-urlencoded`).
pub fn fragment_params(url: &Url) -> Vec<(String, String)> {
    url::form_urlencoded::parse(url.fragment().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of fragment parameter `name` in `url`.
pub fn fragment_param(url: &Url, name: &str) -> Option<String> {
    fragment_params(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Asserts an RFC 6749 §5.2 JSON error with `status` and `code` (and a description, and no
/// token); returns the body.
pub async fn expect_oauth_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status of an `{code}` error");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "an error_description: {body}"
    );
    assert!(body.get("access_token").is_none(), "{body}");
    body
}

/// Seconds since the Unix epoch, as the server counts them.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Undoes the HTML escaping of a template value: named and numeric character references.
pub fn html_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity.strip_prefix('#').and_then(|n| {
                    match n.strip_prefix('x').or_else(|| n.strip_prefix('X')) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.parse().ok(),
                    }
                    .and_then(char::from_u32)
                }),
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl Browser {
    /// Opens `authorize_url` and follows this server's redirects; returns where it stopped.
    pub async fn open(&self, authorize_url: &str) -> (Response, Url) {
        let base = Url::parse(authorize_url).unwrap();
        self.follow(self.get(authorize_url).await, &base).await
    }

    /// Whether a new authorization with the seed's defaults in this browser stops at the login
    /// page (no live SSO session) rather than going straight to the callback.
    pub async fn must_log_in(&self, server: &TestServer) -> bool {
        let (_, url) = self.open(&server.authorize_url(&[])).await;
        match url.path() {
            "/u/login" => true,
            _ if url.port() == Some(4000) => false,
            other => panic!("unexpected stop at {other}: {url}"),
        }
    }
}

impl TestServer {
    /// Posts a form to `path` (the token, revocation or introspection endpoint).
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Response {
        http()
            .post(self.url(path))
            .form(pairs)
            .send()
            .await
            .unwrap()
    }

    /// A refresh token grant for `client_id` (with `secret` in the body when given).
    pub async fn refresh_as(
        &self,
        client_id: &str,
        secret: Option<&str>,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Response {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ];
        if let Some(secret) = secret {
            form.push(("client_secret", secret));
        }
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.token_form(&form).await
    }

    /// A refresh token grant for the seed client.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.refresh_as(CLIENT_ID, Some(CLIENT_SECRET), refresh_token, None)
            .await
    }

    /// Runs the seed flow with `offline_access` for `client_id` (sharing the seed's secret and
    /// callback) and returns the token response.
    pub async fn offline_tokens_for(&self, client_id: &str) -> Value {
        let code = self
            .code(&[
                ("client_id", client_id),
                (
                    "scope",
                    "openid profile appointments contacts offline_access",
                ),
            ])
            .await;
        let response = self
            .token_form(&[
                ("grant_type", "authorization_code"),
                ("client_id", client_id),
                ("client_secret", CLIENT_SECRET),
                ("code", &code),
                ("redirect_uri", CALLBACK),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert!(body["refresh_token"].is_string(), "{body}");
        body
    }
}

/// An HTTP client for the `openidconnect` and `oauth2` crates that follows no redirects.
pub fn library_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// One request a client library sent, and the answer it got, as seen on the wire.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub authorization: Option<String>,
    pub request_body: String,
    pub status: u16,
    pub response_body: String,
}

impl Exchange {
    /// The request body's form parameters.
    pub fn request_params(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.request_body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    pub fn response_json(&self) -> Value {
        serde_json::from_str(&self.response_body).unwrap()
    }
}

/// The exchanges a [`recording_http`] client saw.
pub type Exchanges = std::sync::Arc<std::sync::Mutex<Vec<Exchange>>>;

type LibraryResult = Result<oauth2::HttpResponse, oauth2::HttpClientError<oauth2::reqwest::Error>>;

/// An HTTP client for the `oauth2`/`openidconnect` crates that records every exchange in `log`,
/// so a test can check what the library really sent and received.
pub fn recording_http(
    log: &Exchanges,
) -> impl Fn(oauth2::HttpRequest) -> std::pin::Pin<Box<dyn std::future::Future<Output = LibraryResult>>>
{
    let client = library_http();
    let log = log.clone();
    move |request: oauth2::HttpRequest| {
        let client = client.clone();
        let log = log.clone();
        Box::pin(async move {
            use oauth2::AsyncHttpClient;
            let authorization = request
                .headers()
                .get(oauth2::http::header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap().to_owned());
            let request_body = String::from_utf8_lossy(request.body()).into_owned();
            let response = client.call(request).await?;
            log.lock().unwrap().push(Exchange {
                authorization,
                request_body,
                status: response.status().as_u16(),
                response_body: String::from_utf8_lossy(response.body()).into_owned(),
            });
            Ok(response)
        })
    }
}
