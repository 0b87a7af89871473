//! A cluster of `tessera serve` processes sharing one fresh PostgreSQL database.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{redirect, Client, StatusCode};

use super::process::free_port;
use super::{form_value, location, API, CALLBACK, CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME};
use serde_json::Value;

/// The master secret every node of a test cluster shares.
pub const CLUSTER_SECRET: &str = "cluster-master-secret-0123456789abcdef";

pub const M2M_ID: &str = "m2m";
pub const M2M_SECRET: &str = "m2m-secret-0123456789abcdef0123456789abcdef";
pub const MANAGEMENT_ID: &str = "ops";
pub const MANAGEMENT_SECRET: &str = "ops-secret-0123456789abcdef0123456789abcdef";

fn admin_url() -> String {
    std::env::var("POSTGRES_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database on the test PostgreSQL, dropped at the end. No PostgreSQL is a failure.
pub struct Database {
    pub name: String,
    pub url: String,
}

impl Database {
    pub async fn create() -> Database {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url();
        let name = format!(
            "tessera_cluster_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin} ({e}); start it or set POSTGRES_TEST_URL"
            )
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .unwrap();
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .unwrap();
        Database {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (admin, name) = (admin_url(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let pool = sqlx::PgPool::connect(&admin).await.unwrap();
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&pool)
                    .await;
            });
        })
        .join();
    }
}

/// The seed's example plus a rotating-refresh client, an M2M client and a management client.
fn config_text() -> String {
    format!(
        r#"
key_refresh_interval = 1
housekeeping_interval = 1

[[apis]]
identifier = "{API}"
name = "Appointments API"
allow_offline_access = true
scopes = [{{ value = "appointments", description = "Manage appointments" }}]

[[clients]]
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
name = "My Client App"
callbacks = ["{CALLBACK}"]
refresh_token = {{ rotation_type = "rotating", leeway = 0 }}

[[clients]]
client_id = "{M2M_ID}"
client_secret = "{M2M_SECRET}"
name = "Reporting job"
app_type = "non_interactive"

[[client_grants]]
client_id = "{M2M_ID}"
audience = "{API}"
scope = ["appointments"]

[[users]]
username = "{USERNAME}"
email = "jane@example.com"
password = "{PASSWORD}"
name = "Jane Doe"

[management]
client_id = "{MANAGEMENT_ID}"
client_secret = "{MANAGEMENT_SECRET}"
"#
    )
}

/// One `tessera serve` process.
pub struct Node {
    pub port: u16,
    pub issuer: String,
    pub http: Client,
    child: Mutex<Option<Child>>,
    config_path: String,
    database_url: String,
}

impl Node {
    fn spawn(port: u16, issuer: &str, database_url: &str, config_path: &str) -> Node {
        let node = Node {
            port,
            issuer: issuer.to_owned(),
            http: Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
            child: Mutex::new(None),
            config_path: config_path.to_owned(),
            database_url: database_url.to_owned(),
        };
        node.restart();
        node
    }

    /// Starts the process (again, after [`Node::kill`]) on the same port and database.
    pub fn restart(&self) {
        let child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["serve", "--config", &self.config_path])
            .env("TESSERA_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("TESSERA_ISSUER", &self.issuer)
            .env("TESSERA_DATABASE_URL", &self.database_url)
            // PostgreSQL nodes must share a master secret; every node of a cluster gets this one.
            .env("TESSERA_SECRET", CLUSTER_SECRET)
            .env("TESSERA_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(self.log_path()).unwrap()))
            .spawn()
            .unwrap();
        *self.child.lock().unwrap() = Some(child);
    }

    /// `kill -9`.
    pub fn kill(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    fn log_path(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("tessera-node-{}.log", self.port))
    }

    /// Whether the process has exited (e.g. PostgreSQL was still starting up).
    fn exited(&self) -> bool {
        let mut child = self.child.lock().unwrap();
        child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))))
    }

    /// Waits until the node answers; a process that exited at start (its database not ready
    /// yet) is started again, up to three times.
    pub async fn wait_ready(&self) {
        let started = Instant::now();
        let mut restarts = 0;
        while self
            .http
            .get(self.url(".well-known/openid-configuration"))
            .send()
            .await
            .is_err()
        {
            if self.exited() && restarts < 3 {
                restarts += 1;
                self.restart();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "node on port {} did not start: {}",
                self.port,
                std::fs::read_to_string(self.log_path()).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("oauth/token"))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn redeem(&self, code: &str) -> (StatusCode, Value) {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", code),
            ("redirect_uri", CALLBACK),
        ])
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    pub async fn client_credentials(&self) -> (StatusCode, Value) {
        self.token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M_ID),
            ("client_secret", M2M_SECRET),
            ("audience", API),
        ])
        .await
    }

    /// As [`Node::client_credentials`], `None` when the node cannot be reached.
    pub async fn try_client_credentials(&self) -> Option<StatusCode> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", M2M_ID),
            ("client_secret", M2M_SECRET),
            ("audience", API),
        ];
        self.http
            .post(self.url("oauth/token"))
            .form(&form)
            .send()
            .await
            .ok()
            .map(|r| r.status())
    }

    pub async fn management_token(&self) -> String {
        let audience = format!("{}api/v2/", self.issuer);
        let (status, body) = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", MANAGEMENT_ID),
                ("client_secret", MANAGEMENT_SECRET),
                ("audience", &audience),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Nodes sharing one database and one issuer (as behind a load balancer).
pub struct Cluster {
    pub nodes: Vec<Arc<Node>>,
    /// The PostgreSQL database, dropped with the cluster; `None` for a SQLite node.
    pub database: Option<Database>,
    _config: tempfile::NamedTempFile,
}

impl Cluster {
    /// Starts `count` nodes at once (their migrations race; the advisory lock serializes them).
    pub async fn start(count: usize) -> Cluster {
        let database = Database::create().await;
        let url = database.url.clone();
        Self::start_on(count, &url, Some(database)).await
    }

    /// Starts one node on the SQLite file at `path` (SQLite serves one process: no cluster).
    pub async fn start_sqlite(path: &std::path::Path) -> Cluster {
        Self::start_on(1, &format!("sqlite://{}", path.display()), None).await
    }

    async fn start_on(count: usize, database_url: &str, database: Option<Database>) -> Cluster {
        let mut config = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        config.write_all(config_text().as_bytes()).unwrap();
        let path = config.path().display().to_string();
        let ports: Vec<u16> = (0..count).map(|_| free_port()).collect();
        let issuer = format!("http://127.0.0.1:{}/", ports[0]);
        let nodes: Vec<Arc<Node>> = ports
            .iter()
            .map(|port| Arc::new(Node::spawn(*port, &issuer, database_url, &path)))
            .collect();
        for node in &nodes {
            node.wait_ready().await;
        }
        Cluster {
            nodes,
            database,
            _config: config,
        }
    }

    /// The seed's authorize request, as a path and query.
    pub fn authorize_query(&self, state: &str) -> String {
        self.authorize_query_with_scope(state, "openid profile appointments")
    }

    pub fn authorize_query_with_scope(&self, state: &str, scope: &str) -> String {
        let mut url = url::Url::parse("http://x/authorize").unwrap();
        url.query_pairs_mut()
            .append_pair("audience", API)
            .append_pair("scope", scope)
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", CALLBACK)
            .append_pair("state", state);
        format!("authorize?{}", url.query().unwrap())
    }

    /// Logs in and allows on `node`, starting from the login page path; returns the callback.
    pub async fn log_in_and_allow(
        &self,
        browser: &Client,
        node: &Node,
        login_path: &str,
    ) -> String {
        let page = browser
            .get(node.url(login_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let field = |name| form_value(&page, name).unwrap_or_else(|| panic!("no {name} in {page}"));
        let (state, csrf) = (field("state"), field("csrf_token"));
        let response = browser
            .post(node.url("u/login"))
            .form(&[
                ("state", state.as_str()),
                ("csrf_token", &csrf),
                ("username", USERNAME),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        let next = location(&response);
        if next.starts_with(CALLBACK) {
            return next;
        }
        assert!(next.starts_with("/u/consent"), "{next}");
        let response = browser
            .post(node.url("u/consent"))
            .form(&[
                ("state", state.as_str()),
                ("csrf_token", &csrf),
                ("decision", "allow"),
            ])
            .send()
            .await
            .unwrap();
        location(&response)
    }

    /// A fresh code from a new browser at node 0.
    pub async fn code(&self) -> String {
        self.code_with_scope("openid profile appointments").await
    }

    pub async fn code_with_scope(&self, scope: &str) -> String {
        let node = &self.nodes[0];
        let browser = browser();
        let response = browser
            .get(node.url(&self.authorize_query_with_scope("s", scope)))
            .send()
            .await
            .unwrap();
        let callback = self
            .log_in_and_allow(&browser, node, &location(&response))
            .await;
        let url = url::Url::parse(&callback).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "code")
            .expect("a code")
            .1
            .into_owned()
    }
}

/// A browser: keeps cookies (which ignore ports, so they go to every node), follows nothing.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}
