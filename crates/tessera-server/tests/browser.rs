//! The demo in a real browser: headless Chromium (Debian's `chromium` + `chromium-driver`)
//! clicks through Sign In → login → consent → the app shows the API's answer; a second Sign In
//! skips login and consent; a new scope brings consent back; Deny shows the app's error.
//! Screenshots go to `target/browser-artifacts/`. A missing browser fails the test: `.ci/run`
//! installs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tessera_server::demo::{Demo, DemoListeners, DEMO_EMAIL, DEMO_PASSWORD};
use tokio::net::TcpListener;

const WAIT: Duration = Duration::from_secs(15);

fn find_program(name: &str, env: &str) -> PathBuf {
    if let Ok(path) = std::env::var(env) {
        return PathBuf::from(path);
    }
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
        let candidate = PathBuf::from(dir).join(name);
        if candidate.exists() {
            return candidate;
        }
    }
    panic!(
        "{name} is not installed: run `apt-get install -y chromium chromium-driver` (or set {env})"
    );
}

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_chromedriver() -> Driver {
    let binary = find_program("chromedriver", "CHROMEDRIVER");
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A fresh headless Chromium with its own empty profile.
async fn browser(driver: &Driver, profile: &tempfile::TempDir) -> Client {
    let chromium = find_program("chromium", "CHROMIUM");
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1100,900".to_owned(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args }),
    );
    // WebDriver on loopback is plain HTTP: no TLS stack needed.
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
}

/// Waits for `css`; when it never comes, keeps the page as an artifact and says where it was.
async fn element(client: &Client, css: &str) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => element,
        Err(error) => {
            let url = client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let source = client.source().await.unwrap_or_default();
            std::fs::write(artifacts().join("failure.html"), &source).unwrap();
            screenshot(client, "failure").await;
            panic!("`{css}` did not appear on {url} ({error}); the page is in target/browser-artifacts/failure.html");
        }
    }
}

async fn text_of(client: &Client, css: &str) -> String {
    element(client, css).await.text().await.unwrap()
}

async fn click(client: &Client, css: &str) {
    element(client, css).await.click().await.unwrap();
}

async fn log_in(client: &Client, password: &str) {
    element(client, "input#username")
        .await
        .send_keys(DEMO_EMAIL)
        .await
        .unwrap();
    element(client, "input#password")
        .await
        .send_keys(password)
        .await
        .unwrap();
}

async fn start_demo(dir: &std::path::Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listeners = DemoListeners {
        auth: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        api: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        app: TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let demo = Demo::prepare(dir, listeners).await.unwrap();
    let app_url = demo.app_url.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(demo.serve(async {
        let _ = stopped.await;
    }));
    (app_url, stop)
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_flow_in_headless_chromium() {
    let data = tempfile::tempdir().unwrap();
    let (app_url, _stop) = start_demo(data.path()).await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;

    // Sign In → login → consent → the app shows the API's answer.
    client.goto(&app_url).await.unwrap();
    screenshot(&client, "01-app-signed-out").await;
    click(&client, "#sign-in").await;
    log_in(&client, DEMO_PASSWORD).await;
    screenshot(&client, "02-login").await;
    click(&client, "button[type=submit]").await;
    let consent = text_of(&client, "ul.scopes").await;
    assert!(
        consent.contains("Read and manage your appointments"),
        "{consent}"
    );
    assert!(consent.contains("Read your contacts"), "{consent}");
    screenshot(&client, "03-consent").await;
    click(&client, "button[value=allow]").await;
    assert_eq!(text_of(&client, "#greeting").await, "Hello, Demo User");
    assert!(text_of(&client, "#appointments").await.contains("Dentist"));
    assert!(text_of(&client, "#contacts").await.contains("Ada Lovelace"));
    assert_eq!(text_of(&client, "#refresh-token").await, "no");
    screenshot(&client, "04-app-signed-in").await;

    // Sign Out of the app, Sign In again: Tessera's session and the stored consent skip both pages.
    click(&client, "#sign-out").await;
    click(&client, "#sign-in").await;
    assert_eq!(text_of(&client, "#greeting").await, "Hello, Demo User");
    assert!(client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .starts_with(&app_url));

    // One more scope (offline_access) brings the consent page back, for the new set.
    click(&client, "#offline-access").await;
    let consent = text_of(&client, "ul.scopes").await;
    assert!(consent.contains("offline_access"), "{consent}");
    screenshot(&client, "05-consent-new-scope").await;
    click(&client, "button[value=allow]").await;
    assert_eq!(text_of(&client, "#refresh-token").await, "yes");
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn denying_consent_shows_the_apps_error() {
    let data = tempfile::tempdir().unwrap();
    let (app_url, _stop) = start_demo(data.path()).await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;
    client.goto(&app_url).await.unwrap();
    click(&client, "#sign-in").await;
    log_in(&client, DEMO_PASSWORD).await;
    click(&client, "button[type=submit]").await;
    click(&client, "button[value=deny]").await;
    let message = text_of(&client, "#error-message").await;
    assert!(message.contains("access_denied"), "{message}");
    screenshot(&client, "06-app-denied").await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_shows_the_login_error_in_the_browser() {
    let data = tempfile::tempdir().unwrap();
    let (app_url, _stop) = start_demo(data.path()).await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;
    client.goto(&app_url).await.unwrap();
    click(&client, "#sign-in").await;
    log_in(&client, "wrong password").await;
    click(&client, "button[type=submit]").await;
    assert_eq!(
        text_of(&client, "#login-error").await,
        "Wrong username or password."
    );
    screenshot(&client, "07-login-error").await;

    let authorize = client.current_url().await.unwrap();
    let mut bad = authorize.join("/authorize").unwrap();
    bad.set_query(Some(
        "client_id=myclientapp&response_type=code&redirect_uri=https://evil.example/cb",
    ));
    client.goto(bad.as_str()).await.unwrap();
    let error = text_of(&client, "p.error").await;
    assert!(error.contains("Allowed Callback URLs"), "{error}");
    screenshot(&client, "08-error-page").await;
    client.close().await.unwrap();
}

/// The Dashboard in a real browser: an administrator signs in, creates an application by
/// clicking, reveals its secret, and looks at the APIs (also at a phone's width).
#[tokio::test(flavor = "multi_thread")]
async fn dashboard_signs_in_and_creates_an_application_in_headless_chromium() {
    let data = tempfile::tempdir().unwrap();
    let listeners = DemoListeners {
        auth: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        api: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        app: TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let demo = Demo::prepare(data.path(), listeners).await.unwrap();
    let state = &demo.tessera.state;
    let admin = tessera_server::dashboard::admins::create(
        state.store.as_ref(),
        &state.passwords,
        "admin",
        tessera_store::AdminRole::Admin,
        state.clock.now(),
    )
    .await
    .unwrap();
    let issuer = state.settings.issuer.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(demo.serve(async {
        let _ = stopped.await;
    }));
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;

    client.goto(&format!("{issuer}dashboard")).await.unwrap();
    element(&client, "input#username")
        .await
        .send_keys("admin")
        .await
        .unwrap();
    element(&client, "input#password")
        .await
        .send_keys(&admin.password)
        .await
        .unwrap();
    screenshot(&client, "dashboard-01-sign-in").await;
    click(&client, "button[type=submit]").await;
    element(&client, "form[action='/dashboard/applications']").await;
    assert!(text_of(&client, "table").await.contains("My Client App"));

    element(&client, "input#name")
        .await
        .send_keys("Calendar Web")
        .await
        .unwrap();
    click(&client, "button#create").await;
    click(&client, "details summary").await;
    assert_eq!(text_of(&client, "h1").await, "Calendar Web regular_web");
    let secret = text_of(&client, "#client-secret").await;
    assert!(secret.len() >= 32, "{secret}");
    screenshot(&client, "dashboard-02-application").await;

    click(&client, "nav a[href='/dashboard/apis']").await;
    element(&client, "form[action='/dashboard/apis']").await;
    assert!(text_of(&client, "table").await.contains("appointments:api"));
    screenshot(&client, "dashboard-03-apis").await;

    client.set_window_size(390, 844).await.unwrap();
    click(&client, "nav a[href='/dashboard/applications']").await;
    element(&client, "form[action='/dashboard/applications']").await;
    assert!(text_of(&client, "table").await.contains("Calendar Web"));
    screenshot(&client, "dashboard-04-phone").await;
    let _ = stop.send(());
}
