//! Nothing secret in the logs: the built binary with verbose logs (tessera and tower_http at
//! trace, everything else at debug) through a full flow — authorize with state and nonce, login
//! with a password, consent, code exchange, refresh with rotation, userinfo, revocation, OIDC
//! logout with id_token_hint, a Management API client creation — and no password, code, token,
//! client secret, cookie value, CSRF token or master secret anywhere in stdout or stderr — nor,
//! in the clear, in the database files.
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{redirect, Client, StatusCode};
use serde_json::Value;
use url::Url;

use crate::support::{form_value, location, query_param};

const MASTER_SECRET: &str = "log-test-master-secret-0123456789abcdef";
const MANAGEMENT_SECRET: &str = "log-test-management-secret-0123456789abcdef";
const APP_SECRET: &str = "log-test-app-secret-0123456789abcdef0123";
const PASSWORD: &str = "log-test password, correct horse";
const CALLBACK: &str = "http://127.0.0.1:4000/callback";

fn config(port: u16, dir: &std::path::Path) -> String {
    format!(
        r#"listen = "127.0.0.1:{port}"
database_url = "sqlite://{db}"
secret = "{MASTER_SECRET}"

[management]
client_id = "ops"
client_secret = "{MANAGEMENT_SECRET}"

[[apis]]
identifier = "appointments:api"
name = "Appointments"
allow_offline_access = true
scopes = [{{ value = "appointments", description = "Appointments" }}]

[[clients]]
client_id = "app"
client_secret = "{APP_SECRET}"
name = "App"
callbacks = ["{CALLBACK}"]
allowed_logout_urls = ["http://127.0.0.1:4000/"]
refresh_token = {{ rotation_type = "rotating" }}

[[users]]
username = "jane"
email = "jane@example.com"
password = "{PASSWORD}"
"#,
        db = dir.join("t.db").display()
    )
}

/// A hidden field of a hosted page's form.
fn field(html: &str, name: &str) -> String {
    form_value(html, name).unwrap_or_else(|| panic!("{name} in {html}"))
}

/// Where a redirect goes, resolved against the page it came from.
fn next(response: &reqwest::Response, base: &Url) -> Url {
    base.join(&location(response)).unwrap()
}

/// Every secret value the flow handled.
#[derive(Default)]
struct Secrets(Vec<(&'static str, String)>);

impl Secrets {
    fn add(&mut self, what: &'static str, value: impl Into<String>) {
        let value = value.into();
        assert!(value.len() >= 8, "{what} is too short to search for");
        self.0.push((what, value));
    }
}

async fn token(client: &Client, base: &Url, form: &[(&str, &str)]) -> Value {
    let response = client
        .post(base.join("oauth/token").unwrap())
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn full_flow(base: &Url, secrets: &mut Secrets) {
    let jar = Arc::new(Jar::default());
    let browser = Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let mut authorize = base.join("authorize").unwrap();
    authorize.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "app"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile offline_access appointments"),
        ("audience", "appointments:api"),
        ("state", "log-test-state-value"),
        ("nonce", "log-test-nonce-value"),
    ]);
    let response = browser.get(authorize.clone()).send().await.unwrap();
    let login_url = next(&response, &authorize);
    let html = browser
        .get(login_url.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field(&html, "csrf_token");
    secrets.add("the login CSRF token", &csrf);
    let login = [
        ("state", field(&html, "state")),
        ("csrf_token", csrf),
        ("username", "jane".into()),
        ("password", PASSWORD.into()),
    ];
    let response = browser
        .post(base.join("/u/login").unwrap())
        .form(&login)
        .send()
        .await
        .unwrap();
    let consent_url = next(&response, &login_url);
    let html = browser
        .get(consent_url.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field(&html, "csrf_token");
    secrets.add("the consent CSRF token", &csrf);
    let consent = [
        ("state", field(&html, "state")),
        ("csrf_token", csrf),
        ("decision", "allow".into()),
    ];
    let response = browser
        .post(base.join("/u/consent").unwrap())
        .form(&consent)
        .send()
        .await
        .unwrap();
    let callback = next(&response, &consent_url);
    let code = query_param(&callback, "code").expect("a code");
    secrets.add("the authorization code", &code);
    if let Some(cookies) = jar.cookies(base) {
        for pair in cookies.to_str().unwrap().split("; ") {
            let (_, value) = pair.split_once('=').unwrap();
            secrets.add("a cookie value", value);
        }
    }

    let client = Client::new();
    let tokens = token(
        &client,
        base,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "app"),
            ("client_secret", APP_SECRET),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    for name in ["access_token", "id_token", "refresh_token"] {
        secrets.add("a token", tokens[name].as_str().unwrap());
    }
    let refreshed = token(
        &client,
        base,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "app"),
            ("client_secret", APP_SECRET),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    for name in ["access_token", "id_token", "refresh_token"] {
        secrets.add("a refreshed token", refreshed[name].as_str().unwrap());
    }
    let access = refreshed["access_token"].as_str().unwrap();
    let userinfo = client
        .get(base.join("userinfo").unwrap())
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::OK);
    let revoked = client
        .post(base.join("oauth/revoke").unwrap())
        .basic_auth("app", Some(APP_SECRET))
        .form(&[("token", refreshed["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let mut logout = base.join("oidc/logout").unwrap();
    logout.query_pairs_mut().extend_pairs([
        ("id_token_hint", refreshed["id_token"].as_str().unwrap()),
        ("post_logout_redirect_uri", "http://127.0.0.1:4000/"),
    ]);
    let logged_out = browser.get(logout).send().await.unwrap();
    assert!(
        logged_out.status().is_redirection() || logged_out.status().is_success(),
        "{}",
        logged_out.status()
    );

    let management = token(
        &client,
        base,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "ops"),
            ("client_secret", MANAGEMENT_SECRET),
            ("audience", base.join("api/v2/").unwrap().as_str()),
        ],
    )
    .await;
    let management_token = management["access_token"].as_str().unwrap();
    secrets.add("the management token", management_token);
    let created: Value = client
        .post(base.join("api/v2/clients").unwrap())
        .bearer_auth(management_token)
        .json(&serde_json::json!({ "name": "Created", "app_type": "non_interactive" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.add(
        "a created client's secret",
        created["client_secret"].as_str().unwrap(),
    );
}

#[tokio::test]
async fn a_full_flow_with_verbose_logs_logs_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config_path = dir.path().join("tessera.toml");
    std::fs::write(&config_path, config(port, dir.path())).unwrap();
    let (out, err) = (dir.path().join("stdout.log"), dir.path().join("stderr.log"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--config"])
        .arg(&config_path)
        .env_remove("TESSERA_CONFIG")
        .env("TESSERA_LOG", "debug,tessera_server=trace,tower_http=trace")
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(base.join(".well-known/jwks.json").unwrap())
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut secrets = Secrets::default();
    for (what, value) in [
        ("the password", PASSWORD),
        ("the master secret", MASTER_SECRET),
        ("the management client's secret", MANAGEMENT_SECRET),
        ("the app's client secret", APP_SECRET),
    ] {
        secrets.add(what, value);
    }
    full_flow(&base, &mut secrets).await;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let logs = std::fs::read_to_string(&out).unwrap() + &std::fs::read_to_string(&err).unwrap();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "verbose logs were written"
    );
    let leaked: Vec<&str> = secrets
        .0
        .iter()
        .filter(|(_, value)| logs.contains(value.as_str()))
        .map(|(what, _)| *what)
        .collect();
    if !leaked.is_empty() {
        let shown: Vec<&str> = logs
            .lines()
            .filter(|line| secrets.0.iter().any(|(_, v)| line.contains(v.as_str())))
            .take(10)
            .collect();
        panic!("the logs contain {leaked:?}:\n{}", shown.join("\n"));
    }
    // Nor in the database: secrets are kept as digests (argon2id for the password), the signing
    // keys encrypted under the master secret, and tokens not at all.
    let mut stored = Vec::new();
    for file in ["t.db", "t.db-wal", "t.db-shm"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(file)) {
            stored.extend(bytes);
        }
    }
    assert!(stored.len() > 10_000, "the database files were read");
    let in_database: Vec<&str> = secrets
        .0
        .iter()
        .filter(|(_, value)| {
            stored
                .windows(value.len())
                .any(|window| window == value.as_bytes())
        })
        .map(|(what, _)| *what)
        .collect();
    assert!(
        in_database.is_empty(),
        "the database holds {in_database:?} in the clear"
    );
}
