//! The demo in a real browser: headless Chromium (Debian's `chromium` + `chromium-driver`)
//! clicks through Sign In → login → consent → the app shows the API's answer; a second Sign In
//! skips login and consent; a new scope brings consent back; Deny shows the app's error.
//! Screenshots go to `target/browser-artifacts/`. A missing browser fails the test: `.ci/run`
//! installs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// Shared by every test binary; this one uses only part of it.
#[path = "support/mod.rs"]
#[allow(dead_code)]
mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use support::process::free_port;
use tessera::demo::{Demo, DemoListeners, DEMO_EMAIL, DEMO_PASSWORD};
use tessera_core::audit::RequestContext;
use tessera_core::clock::ManualClock;
use tessera_protocol::mfa::TotpSecret;
use tessera_protocol::ScopeSet;
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
    let port = free_port();
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
    // After a click that navigates, the element found may belong to the page being left and go
    // stale before it is read: find it again on the new page.
    for _ in 0..50 {
        match element(client, css).await.text().await {
            Ok(text) => return text,
            Err(fantoccini::error::CmdError::Standard(error))
                if error.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("reading `{css}`: {error}"),
        }
    }
    panic!("`{css}` kept going stale");
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
    start_demo_with(dir, |_| {}).await
}

async fn start_demo_with(
    dir: &std::path::Path,
    adjust: impl FnOnce(&mut tessera::config::Config),
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let demo = Demo::prepare_with(dir, loopback_listeners().await, adjust)
        .await
        .unwrap();
    let app_url = demo.app_url.clone();
    (app_url, serve(demo))
}

/// The demo's three listeners, on free loopback ports.
async fn loopback_listeners() -> DemoListeners {
    DemoListeners {
        auth: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        api: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        app: TcpListener::bind("127.0.0.1:0").await.unwrap(),
    }
}

/// Serves `demo` until the returned sender is dropped or sent to.
fn serve(demo: Demo) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(demo.serve(async {
        let _ = stopped.await;
    }));
    stop
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

/// Sign-up in a real browser: from the login page's link, a common password refused with the
/// reason, then an account made, consent, and the app greets the new user.
#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_up_in_headless_chromium() {
    let data = tempfile::tempdir().unwrap();
    let (app_url, _stop) = start_demo(data.path()).await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;
    client.goto(&app_url).await.unwrap();
    click(&client, "#sign-in").await;
    click(&client, "#signup-link").await;
    let fill = |css: &'static str, text: &'static str| {
        let client = client.clone();
        async move {
            let field = element(&client, css).await;
            field.clear().await.unwrap();
            field.send_keys(text).await.unwrap();
        }
    };
    fill("input#email", "grace@example.com").await;
    fill("input#password", "password1").await;
    screenshot(&client, "09-signup").await;
    click(&client, "button[type=submit]").await;
    let error = text_of(&client, "#signup-error").await;
    assert_eq!(error, "Password is too common.");
    screenshot(&client, "10-signup-refused").await;
    fill("input#password", "Quiet harbour 42 lanterns").await;
    click(&client, "button[type=submit]").await;
    click(&client, "button[value=allow]").await;
    let greeting = text_of(&client, "#greeting").await;
    assert_eq!(greeting, "Hello, grace@example.com");
    client.close().await.unwrap();
}

/// A new browser session (no cookies) at the app's Sign In: Tessera's login page.
async fn sign_in_anew(client: &Client, app_url: &str) {
    client.delete_all_cookies().await.unwrap();
    client.goto(app_url).await.unwrap();
    click(client, "#sign-in").await;
}

/// Mail in a real browser: a person signs up, opens the verification link from the mail a
/// real SMTP server (aiosmtpd) received, logs in, uses "Forgot password?", follows the mailed
/// link, chooses a new password and logs in with it.
#[tokio::test(flavor = "multi_thread")]
async fn a_person_verifies_their_email_and_resets_their_password_in_headless_chromium() {
    const EMAIL: &str = "lin@example.com";
    const FIRST: &str = "Quiet harbour 42 lanterns";
    const SECOND: &str = "Amber kestrel 9 over the dunes";
    let sink = support::smtp::SmtpSink::start();
    let data = tempfile::tempdir().unwrap();
    let (host, port) = (sink.host().to_owned(), sink.port());
    let (app_url, _stop) = start_demo_with(data.path(), move |config| {
        config.email = Some(tessera::config::EmailConfig {
            smtp_host: host,
            smtp_port: port,
            smtp_user: None,
            smtp_pass: None,
            from: "Tessera demo <login@tessera.test>".to_owned(),
        });
        config.email_poll_interval = 1;
    })
    .await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;

    // Sign up.
    client.goto(&app_url).await.unwrap();
    click(&client, "#sign-in").await;
    click(&client, "#signup-link").await;
    fill(&client, "input#email", EMAIL).await;
    fill(&client, "input#password", FIRST).await;
    click(&client, "button[type=submit]").await;
    click(&client, "button[value=allow]").await;
    assert_eq!(
        text_of(&client, "#greeting").await,
        format!("Hello, {EMAIL}")
    );

    // The verification mail, opened in the browser.
    let mail = sink.wait_for(EMAIL, "Verify your email").await;
    client
        .goto(&support::smtp::link_in(&mail, "/u/email-verification"))
        .await
        .unwrap();
    assert_eq!(text_of(&client, "h1").await, "Email verified");
    screenshot(&client, "11-email-verified").await;

    // A new browser session: log in with the password chosen at sign-up.
    sign_in_anew(&client, &app_url).await;
    fill(&client, "input#username", EMAIL).await;
    fill(&client, "input#password", FIRST).await;
    click(&client, "button[type=submit]").await;
    assert_eq!(
        text_of(&client, "#greeting").await,
        format!("Hello, {EMAIL}")
    );

    // Forgot password?
    sign_in_anew(&client, &app_url).await;
    click(&client, "#forgot-password-link").await;
    fill(&client, "input#email", EMAIL).await;
    screenshot(&client, "12-forgot-password").await;
    click(&client, "button[type=submit]").await;
    assert!(text_of(&client, "#reset-requested").await.contains(EMAIL));
    let mail = sink.wait_for(EMAIL, "Reset your password").await;
    client
        .goto(&support::smtp::link_in(&mail, "/u/reset-password"))
        .await
        .unwrap();
    fill(&client, "input#password", SECOND).await;
    screenshot(&client, "13-reset-password").await;
    click(&client, "button[type=submit]").await;
    assert_eq!(text_of(&client, "h1").await, "Password changed");

    // The old password no longer works; the new one does.
    sign_in_anew(&client, &app_url).await;
    fill(&client, "input#username", EMAIL).await;
    fill(&client, "input#password", FIRST).await;
    click(&client, "button[type=submit]").await;
    assert!(text_of(&client, "#login-error").await.contains("Wrong"));
    fill(&client, "input#password", SECOND).await;
    click(&client, "button[type=submit]").await;
    assert_eq!(
        text_of(&client, "#greeting").await,
        format!("Hello, {EMAIL}")
    );
    client.close().await.unwrap();
}

/// The demo with MFA asked of every login (authenticator app and recovery code), on a clock
/// the test moves: authenticator codes change every 30 seconds and each is accepted once.
async fn start_demo_with_mfa(
    dir: &std::path::Path,
) -> (String, ManualClock, tokio::sync::oneshot::Sender<()>) {
    let clock = ManualClock::at_system_time();
    let demo = Demo::prepare_on(dir, loopback_listeners().await, |_| {}, clock.clock())
        .await
        .unwrap();
    ask_every_login_for(&demo.tessera.state.admin, ["otp", "recovery-code"]).await;
    let app_url = demo.app_url.clone();
    (app_url, clock, serve(demo))
}

/// The ID token's `amr`, from the claims the demo app shows (folded away, so read from the
/// document rather than as visible text).
async fn amr_shown(client: &Client) -> serde_json::Value {
    let claims = element(client, "#claims")
        .await
        .prop("textContent")
        .await
        .unwrap()
        .unwrap();
    let claims: serde_json::Value = serde_json::from_str(&claims).unwrap();
    claims["amr"].clone()
}

/// MFA in a real browser: the first login enrolls an authenticator app from the QR code's
/// page (the test computes the codes from the secret shown, as an app would) and shows the
/// recovery code once; the next login asks for a code; the one after uses the recovery code,
/// which is replaced. Each lands in the app with `amr` pwd, otp, mfa.
#[tokio::test(flavor = "multi_thread")]
async fn a_person_enrolls_an_authenticator_app_and_uses_a_code_then_a_recovery_code_in_headless_chromium(
) {
    let data = tempfile::tempdir().unwrap();
    let (app_url, clock, _stop) = start_demo_with_mfa(data.path()).await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;
    let all_three = json!(["pwd", "otp", "mfa"]);

    client.goto(&app_url).await.unwrap();
    click(&client, "#sign-in").await;
    log_in(&client, DEMO_PASSWORD).await;
    click(&client, "button[type=submit]").await;
    let secret = text_of(&client, "#totp-secret").await;
    let secret = TotpSecret::from_base32(&secret).unwrap();
    assert!(element(&client, ".qr svg")
        .await
        .is_displayed()
        .await
        .unwrap());
    screenshot(&client, "16-mfa-enrollment").await;
    fill(&client, "input#code", &secret.code_at(clock.now())).await;
    click(&client, "button[type=submit]").await;
    let recovery = text_of(&client, "#recovery-code").await;
    screenshot(&client, "17-mfa-recovery-code").await;
    set_checkbox(&client, "input#saved", true).await;
    click(&client, "button[type=submit]").await;
    click(&client, "button[value=allow]").await;
    assert_eq!(text_of(&client, "#greeting").await, "Hello, Demo User");
    assert_eq!(amr_shown(&client).await, all_three);

    // The next login: a code of a later step.
    clock.advance(30);
    sign_in_anew(&client, &app_url).await;
    log_in(&client, DEMO_PASSWORD).await;
    click(&client, "button[type=submit]").await;
    fill(&client, "input#code", &secret.code_at(clock.now())).await;
    screenshot(&client, "18-mfa-challenge").await;
    click(&client, "button[type=submit]").await;
    assert_eq!(text_of(&client, "#greeting").await, "Hello, Demo User");
    assert_eq!(amr_shown(&client).await, all_three);

    // The app is lost: the recovery code, once, and a new one to keep.
    sign_in_anew(&client, &app_url).await;
    log_in(&client, DEMO_PASSWORD).await;
    click(&client, "button[type=submit]").await;
    click(&client, "#recovery-link").await;
    fill(&client, "input#code", &recovery).await;
    click(&client, "button[type=submit]").await;
    let replacement = text_of(&client, "#recovery-code").await;
    assert_ne!(replacement, recovery);
    set_checkbox(&client, "input#saved", true).await;
    click(&client, "button[type=submit]").await;
    assert_eq!(text_of(&client, "#greeting").await, "Hello, Demo User");
    assert_eq!(amr_shown(&client).await, all_three);
    client.close().await.unwrap();
}

/// The hosted pages in the person's language (`ui_locales`, as Auth0's SDKs pass it): German,
/// and Arabic, right to left.
#[tokio::test(flavor = "multi_thread")]
async fn the_login_page_speaks_german_and_arabic_in_headless_chromium() {
    let data = tempfile::tempdir().unwrap();
    let (app_url, _stop) = start_demo(data.path()).await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;
    client.goto(&app_url).await.unwrap();
    let sign_in = element(&client, "#sign-in")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let sign_in = url::Url::parse(&app_url).unwrap().join(&sign_in).unwrap();

    client
        .goto(&format!("{sign_in}&ui_locales=de"))
        .await
        .unwrap();
    let html = element(&client, "html").await;
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("de"));
    let label = text_of(&client, "label[for=password]").await;
    assert_ne!(label, "Password");
    log_in(&client, "wrong password").await;
    click(&client, "button[type=submit]").await;
    let error = text_of(&client, "#login-error").await;
    assert_ne!(error, "Wrong username or password.");
    screenshot(&client, "14-login-german").await;

    client
        .goto(&format!("{sign_in}&ui_locales=ar&screen_hint=signup"))
        .await
        .unwrap();
    let html = element(&client, "html").await;
    assert_eq!(html.attr("dir").await.unwrap().as_deref(), Some("rtl"));
    let heading = text_of(&client, "h1").await;
    assert_ne!(heading, "Create your account");
    screenshot(&client, "15-signup-arabic").await;
    client.close().await.unwrap();
}

/// The Dashboard in a real browser: an administrator signs in, creates an application by
/// clicking, reveals its secret, and looks at the APIs (also at a phone's width).
#[tokio::test(flavor = "multi_thread")]
async fn dashboard_signs_in_and_creates_an_application_in_headless_chromium() {
    let (_data, issuer, admin_password, stop) = demo_with_an_administrator().await;
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
        .send_keys(&admin_password)
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

    // Import users from a file made by Node's bcryptjs (tessera-core's fixtures).
    click(&client, "nav a[href='/dashboard/users']").await;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tessera-core/tests/fixtures/auth0-import/node-users.json"
    );
    element(&client, "input#users-file")
        .await
        .send_keys(
            &std::fs::canonicalize(fixture)
                .unwrap()
                .display()
                .to_string(),
        )
        .await
        .unwrap();
    click(&client, "button#import").await;
    let mut status = String::new();
    for _ in 0..50 {
        status = text_of(&client, "#job-status").await;
        if status.contains("completed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(status.contains("completed"), "{status}");
    assert_eq!(text_of(&client, "#inserted").await, "5");
    assert_eq!(text_of(&client, "#failed").await, "0");
    screenshot(&client, "dashboard-05-import").await;
    click(&client, "a[href='/dashboard/users']").await;
    assert!(text_of(&client, "table")
        .await
        .contains("bcryptjs@node.example"));
    assert!(text_of(&client, "#recent-jobs + table")
        .await
        .contains("users_import"));

    client.set_window_size(390, 844).await.unwrap();
    click(&client, "nav a[href='/dashboard/applications']").await;
    element(&client, "form[action='/dashboard/applications']").await;
    assert!(text_of(&client, "table").await.contains("Calendar Web"));
    screenshot(&client, "dashboard-04-phone").await;
    let _ = stop.send(());
}

/// Clicks `css` and waits for the next page: the current document's root goes stale.
async fn submit(client: &Client, css: &str) {
    let root = client.find(Locator::Css("html")).await.unwrap();
    click(client, css).await;
    let deadline = Instant::now() + WAIT;
    while root.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "`{css}` led to no new page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of `css` once the page has settled (retried while it is being replaced).
async fn settled_text(client: &Client, css: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        match element(client, css).await.text().await {
            Ok(text) => return text,
            Err(error) => assert!(Instant::now() < deadline, "{css}: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Types `text` into the (cleared) field `css`.
async fn fill(client: &Client, css: &str, text: &str) {
    let field = element(client, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Ticks or unticks the checkbox `css` by clicking it when it is not as wanted.
async fn set_checkbox(client: &Client, css: &str, on: bool) {
    let checkbox = element(client, css).await;
    if checkbox.is_selected().await.unwrap() != on {
        checkbox.click().await.unwrap();
    }
    assert_eq!(checkbox.is_selected().await.unwrap(), on, "{css}");
}

/// Waits until the browser's URL is no longer `from` (a click that navigates).
async fn left(client: &Client, from: &url::Url) {
    let deadline = Instant::now() + WAIT;
    while client.current_url().await.unwrap() == *from {
        assert!(Instant::now() < deadline, "still on {from}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The end user's authorization code flow in `client`: logs in and allows when asked, until
/// the browser is sent to `callback` (where nothing listens: the URL is all we need). Returns
/// the `code` and whether the consent page was shown.
async fn end_user_flow(
    client: &Client,
    authorize: &str,
    callback: &str,
    username: &str,
    password: &str,
) -> (String, bool) {
    // Straight to the callback (session and consent): Chromium reports the refused connection.
    if let Err(error) = client.goto(authorize).await {
        assert!(
            error.to_string().contains("ERR_CONNECTION_REFUSED"),
            "{error}"
        );
    }
    let mut consented = false;
    let deadline = Instant::now() + WAIT;
    loop {
        let url = client.current_url().await.unwrap();
        if url.as_str().starts_with(callback) {
            let param = |name: &str| {
                url.query_pairs()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.into_owned())
            };
            assert_eq!(param("state").as_deref(), Some("xyz"), "{url}");
            let code = param("code").unwrap_or_else(|| panic!("no code in {url}"));
            return (code, consented);
        }
        assert!(Instant::now() < deadline, "the flow stopped at {url}");
        match url.path() {
            "/u/login" => {
                fill(client, "input#username", username).await;
                fill(client, "input#password", password).await;
                click(client, "button[type=submit]").await;
                left(client, &url).await;
            }
            "/u/consent" => {
                consented = true;
                click(client, "button[value=allow]").await;
                left(client, &url).await;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Redeems `code` at the token endpoint as a confidential client.
async fn redeem(
    issuer: &str,
    client_id: &str,
    secret: &str,
    code: &str,
    callback: &str,
) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{issuer}oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("code", code),
            ("redirect_uri", callback),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    body
}

/// The Dashboard scenario by clicking and typing: an administrator creates an API (a
/// permission, Allow Offline Access), an application with a callback, and a user; the user
/// signs in and consents in a second browser, and the code gives a refresh token. Allow
/// Offline Access off: no refresh token. The consent revoked: the consent page comes back.
/// Screenshots of every Dashboard page go to `target/browser-artifacts/dashboard-*.png`.
#[tokio::test(flavor = "multi_thread")]
async fn dashboard_scenario_in_headless_chromium() {
    let (_data, issuer, admin_password, stop) = demo_with_an_administrator().await;
    // A callback on a port where nothing listens: the browser's URL carries the code.
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/callback");
    let audience = "https://calendar.example.com/";
    let driver = start_chromedriver();
    let admin_profile = tempfile::tempdir().unwrap();
    let admin = browser(&driver, &admin_profile).await;
    let user_profile = tempfile::tempdir().unwrap();
    let user = browser(&driver, &user_profile).await;

    // Without a session the Dashboard is the sign-in page.
    user.goto(&format!("{issuer}dashboard/applications"))
        .await
        .unwrap();
    assert_eq!(text_of(&user, "h1").await, "Tessera Dashboard");
    assert_eq!(user.current_url().await.unwrap().path(), "/dashboard/login");
    element(&user, "form[action='/dashboard/login'] input#password").await;

    // The administrator signs in.
    admin.goto(&format!("{issuer}dashboard")).await.unwrap();
    fill(&admin, "input#username", "admin").await;
    fill(&admin, "input#password", &admin_password).await;
    submit(&admin, "button[type=submit]").await;
    element(&admin, "form[action='/dashboard/applications']").await;

    // An API with a permission and Allow Offline Access.
    submit(&admin, "nav a[href='/dashboard/apis']").await;
    fill(&admin, "input#name", "Calendar").await;
    fill(&admin, "input#identifier", audience).await;
    submit(&admin, "button#create").await;
    assert_eq!(text_of(&admin, "h1").await, "Calendar");
    fill(&admin, "input#scope-value", "read:events").await;
    fill(&admin, "input#scope-description", "Read your events").await;
    submit(&admin, "button#add-permission").await;
    element(&admin, "input#scope-value").await;
    let permissions = text_of(&admin, "section[aria-labelledby=permissions] table").await;
    assert!(permissions.contains("read:events"), "{permissions}");
    assert!(permissions.contains("Read your events"), "{permissions}");
    set_checkbox(&admin, "input#allow_offline_access", true).await;
    submit(&admin, "button#save").await;
    element(&admin, "input#allow_offline_access:checked").await;
    let api_page = admin.current_url().await.unwrap();
    screenshot(&admin, "dashboard-api-settings").await;
    submit(&admin, "nav a[href='/dashboard/apis']").await;
    assert!(text_of(&admin, "table").await.contains(audience));
    screenshot(&admin, "dashboard-apis").await;

    // A regular web application; its secret is shown once, on creation.
    submit(&admin, "nav a[href='/dashboard/applications']").await;
    fill(&admin, "input#name", "Calendar Web").await;
    element(&admin, "select#app_type option[value=regular_web]")
        .await
        .click()
        .await
        .unwrap();
    submit(&admin, "button#create").await;
    assert_eq!(text_of(&admin, "h1").await, "Calendar Web regular_web");
    let client_id = text_of(&admin, "#client-id").await;
    click(&admin, "details summary").await;
    let secret = text_of(&admin, "#client-secret").await;
    assert!(secret.len() >= 32, "{secret}");
    fill(&admin, "textarea#callbacks", &callback).await;
    set_checkbox(
        &admin,
        "input[name=grant_types][value=authorization_code]",
        true,
    )
    .await;
    set_checkbox(&admin, "input[name=grant_types][value=refresh_token]", true).await;
    submit(&admin, "button#save").await;
    // Saved: the page again, without the secret (only now may it be photographed).
    element(&admin, "#client-id").await;
    assert_eq!(text_of(&admin, "textarea#callbacks").await, callback);
    assert!(!admin.source().await.unwrap().contains(&secret));
    assert!(admin.find(Locator::Css("#client-secret")).await.is_err());
    screenshot(&admin, "dashboard-application-settings").await;
    submit(&admin, "a[href='/dashboard/applications']").await;
    assert!(text_of(&admin, "table").await.contains(&client_id));
    screenshot(&admin, "dashboard-applications").await;

    // A user.
    submit(&admin, "nav a[href='/dashboard/users']").await;
    fill(&admin, "input#email", "sam@example.com").await;
    fill(&admin, "input#username", "sam").await;
    fill(&admin, "input#user-name", "Sam").await;
    fill(&admin, "input#password", "sams-long-password").await;
    submit(&admin, "button#create").await;
    assert_eq!(text_of(&admin, "h1").await, "sam@example.com");
    let user_page = admin.current_url().await.unwrap();
    submit(&admin, "nav a[href='/dashboard/users']").await;
    assert!(text_of(&admin, "table").await.contains("sam@example.com"));
    screenshot(&admin, "dashboard-users").await;
    submit(&admin, "nav a[href='/dashboard/keys']").await;
    assert!(text_of(&admin, "table").await.contains("current"));
    screenshot(&admin, "dashboard-keys").await;
    submit(&admin, "nav a[href='/dashboard/logs']").await;
    element(&admin, "main h1").await;
    screenshot(&admin, "dashboard-logs").await;

    // The end user: login, consent, and the code gives a refresh token.
    let mut authorize = url::Url::parse(&format!("{issuer}authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("audience", audience)
        .append_pair("scope", "openid offline_access read:events")
        .append_pair("state", "xyz");
    let (code, consented) = end_user_flow(
        &user,
        authorize.as_str(),
        &callback,
        "sam",
        "sams-long-password",
    )
    .await;
    assert!(consented, "a first authorization asks for consent");
    let tokens = redeem(&issuer, &client_id, &secret, &code, &callback).await;
    assert!(tokens["refresh_token"].is_string(), "{tokens}");

    // The user's page lists the consent.
    admin.goto(user_page.as_str()).await.unwrap();
    let consents = text_of(&admin, "section[aria-labelledby=consents] table").await;
    assert!(consents.contains(&client_id), "{consents}");
    screenshot(&admin, "dashboard-user").await;

    // Allow Offline Access off: the next sign-in (SSO) gives no refresh token.
    admin.goto(api_page.as_str()).await.unwrap();
    set_checkbox(&admin, "input#allow_offline_access", false).await;
    submit(&admin, "button#save").await;
    element(&admin, "input#allow_offline_access:not(:checked)").await;
    let (code, _) = end_user_flow(
        &user,
        authorize.as_str(),
        &callback,
        "sam",
        "sams-long-password",
    )
    .await;
    let tokens = redeem(&issuer, &client_id, &secret, &code, &callback).await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");

    // The consent revoked (after confirming): the consent page is back.
    admin.goto(user_page.as_str()).await.unwrap();
    submit(&admin, "form[action$='/consents/revoke'] button").await;
    submit(&admin, "button#confirm").await;
    element(&admin, "section[aria-labelledby=consents] p.empty").await;
    user.goto(authorize.as_str()).await.unwrap();
    element(&user, "button[value=allow]").await;
    assert!(settled_text(&user, "ul.scopes")
        .await
        .contains("Read your events"));
    let _ = stop.send(());
    admin.close().await.unwrap();
    user.close().await.unwrap();
}

/// RBAC in the Dashboard by clicking: an administrator adds a scope to the seed API and turns
/// on RBAC with permissions in the token, creates a role granting that scope, gives it to the
/// seed user from the user's page, sees the permission with the role as its source, then
/// removes the role (confirmed) and sees role and permission gone.
#[tokio::test(flavor = "multi_thread")]
async fn dashboard_roles_give_a_user_permissions_in_headless_chromium() {
    let (_data, issuer, admin_password, stop) = demo_with_an_administrator().await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let admin = browser(&driver, &profile).await;
    sign_in_to_the_dashboard(&admin, &issuer, &admin_password).await;

    // The seed API: a new scope, RBAC on, permissions in the access token.
    submit(&admin, "nav a[href='/dashboard/apis']").await;
    submit(&admin, "a[href='/dashboard/apis/appointments%3Aapi']").await;
    fill(&admin, "input#scope-value", "read:clinic").await;
    fill(
        &admin,
        "input#scope-description",
        "Read the clinic's schedule",
    )
    .await;
    submit(&admin, "button#add-permission").await;
    set_checkbox(&admin, "input#enforce_policies", true).await;
    set_checkbox(&admin, "input#add_permissions", true).await;
    submit(&admin, "button#save").await;
    element(&admin, "input#enforce_policies:checked").await;
    element(&admin, "input#add_permissions:checked").await;

    // A role that grants it.
    submit(&admin, "nav a[href='/dashboard/roles']").await;
    element(&admin, "nav a[href='/dashboard/roles'][aria-current=page]").await;
    fill(&admin, "input#name", "Receptionist").await;
    fill(&admin, "input#description", "Front desk").await;
    submit(&admin, "button#create").await;
    assert_eq!(text_of(&admin, "h1").await, "Receptionist");
    let role_id = text_of(&admin, "#role-id").await;
    element(
        &admin,
        "select#permission option[value='appointments:api read:clinic']",
    )
    .await
    .click()
    .await
    .unwrap();
    submit(&admin, "button#add-permission").await;
    let permissions = settled_text(&admin, "section[aria-labelledby=permissions] table").await;
    assert!(permissions.contains("read:clinic"), "{permissions}");
    assert!(permissions.contains("Appointments API"), "{permissions}");
    screenshot(&admin, "dashboard-role").await;
    submit(&admin, "a[href='/dashboard/roles']").await;
    assert!(text_of(&admin, "table#roles")
        .await
        .contains("Receptionist"));
    screenshot(&admin, "dashboard-roles").await;

    // Given to the seed user from their page: the permission shows the role as its source.
    submit(&admin, "nav a[href='/dashboard/users']").await;
    element(&admin, "a[href^='/dashboard/users/']").await;
    admin
        .find(Locator::LinkText(DEMO_EMAIL))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    element(&admin, "section[aria-labelledby=access] p.empty").await;
    assert_eq!(settled_text(&admin, "h1").await, DEMO_EMAIL);
    element(&admin, &format!("select#role_id option[value='{role_id}']"))
        .await
        .click()
        .await
        .unwrap();
    submit(&admin, "button#assign-role").await;
    assert!(settled_text(&admin, "table#user-roles")
        .await
        .contains("Receptionist"));
    let held = text_of(&admin, "table#user-permissions").await;
    assert!(held.contains("read:clinic"), "{held}");
    let row = text_of(&admin, "table#user-permissions tbody tr").await;
    assert!(row.contains("Receptionist"), "the source: {row}");
    screenshot(&admin, "dashboard-user-roles").await;

    // The role removed (after confirming): neither it nor its permission is listed.
    submit(&admin, "form[action$='/roles/remove'] button").await;
    submit(&admin, "button#confirm").await;
    assert_eq!(settled_text(&admin, "h1").await, DEMO_EMAIL);
    assert!(admin.find(Locator::Css("table#user-roles")).await.is_err());
    assert!(admin
        .find(Locator::Css("table#user-permissions"))
        .await
        .is_err());
    let access = settled_text(&admin, "section[aria-labelledby=access]").await;
    assert!(access.contains("This user has no roles."), "{access}");
    assert!(
        access.contains("This user holds no permissions."),
        "{access}"
    );
    let _ = stop.send(());
    admin.close().await.unwrap();
}

/// The demo, serving, with a Dashboard administrator `admin`: its data directory (kept while
/// it runs), issuer, the administrator's password, and what stops it.
async fn demo_with_an_administrator() -> (
    tempfile::TempDir,
    String,
    String,
    tokio::sync::oneshot::Sender<()>,
) {
    let data = tempfile::tempdir().unwrap();
    let demo = Demo::prepare(data.path(), loopback_listeners().await)
        .await
        .unwrap();
    let state = &demo.tessera.state;
    let password = tessera_admin::administrators::create(
        state.store.as_ref(),
        &state.passwords,
        "admin",
        tessera_store::AdminRole::Admin,
        state.clock.now(),
    )
    .await
    .unwrap()
    .password;
    let issuer = state.settings.issuer.clone();
    (data, issuer, password, serve(demo))
}

async fn sign_in_to_the_dashboard(admin: &Client, issuer: &str, password: &str) {
    admin.goto(&format!("{issuer}dashboard")).await.unwrap();
    fill(admin, "input#username", "admin").await;
    fill(admin, "input#password", password).await;
    submit(admin, "button[type=submit]").await;
    element(admin, "form[action='/dashboard/applications']").await;
}

/// Actions in the Dashboard by clicking: an administrator creates a post-login Action, writes
/// its code, saves and deploys it, binds it to post-login, then a second one, moves the second
/// up, and unbinds the first. (Their effect on tokens is checked over HTTP in
/// `it::dashboard`.)
#[tokio::test(flavor = "multi_thread")]
async fn dashboard_actions_are_written_deployed_and_ordered_in_headless_chromium() {
    let (_data, issuer, admin_password, stop) = demo_with_an_administrator().await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let admin = browser(&driver, &profile).await;
    sign_in_to_the_dashboard(&admin, &issuer, &admin_password).await;

    for (name, claim) in [("Add plan", "gold"), ("Add region", "eu")] {
        submit(&admin, "nav a[href='/dashboard/actions']").await;
        element(
            &admin,
            "nav a[href='/dashboard/actions'][aria-current=page]",
        )
        .await;
        fill(&admin, "input#name", name).await;
        submit(&admin, "button#create").await;
        assert_eq!(settled_text(&admin, "h1").await, name);
        assert!(text_of(&admin, "#deployed").await.contains("not deployed"));
        let code = format!(
            "exports.onExecutePostLogin = async (event, api) => {{ api.accessToken.setCustomClaim('https://demo.example.com/{name}', '{claim}'); }};"
        );
        fill(&admin, "textarea#code", &code).await;
        submit(&admin, "button#deploy").await;
        let notice = settled_text(&admin, "#action-notice").await;
        assert!(notice.starts_with("Deployed as version 1"), "{notice}");
        assert!(text_of(&admin, "#deployed")
            .await
            .contains("version 1 deployed"));
        screenshot(&admin, "dashboard-action").await;
        submit(&admin, "a[href='/dashboard/actions']").await;
        submit(&admin, "button#bind-post-login").await;
    }
    let bound = settled_text(&admin, "ol#bound-post-login").await;
    assert!(
        bound.find("Add plan").unwrap() < bound.find("Add region").unwrap(),
        "{bound}"
    );
    submit(&admin, "button[aria-label='Move Add region up']").await;
    let bound = settled_text(&admin, "ol#bound-post-login").await;
    assert!(
        bound.find("Add region").unwrap() < bound.find("Add plan").unwrap(),
        "{bound}"
    );
    screenshot(&admin, "dashboard-actions").await;
    submit(&admin, "button[aria-label='Unbind Add plan']").await;
    let bound = settled_text(&admin, "ol#bound-post-login").await;
    assert!(
        bound.contains("Add region") && !bound.contains("Add plan"),
        "{bound}"
    );
    let table = text_of(&admin, "table#actions").await;
    assert!(
        table.contains("Add plan") && table.contains("version 1"),
        "{table}"
    );
    let _ = stop.send(());
    admin.close().await.unwrap();
}

/// WebDriver's WebAuthn extension (W3C WebAuthn §11.3), which fantoccini has no method for:
/// adds a virtual authenticator to the browsing session.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/webauthn/authenticator"))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        // A platform authenticator with a PIN or biometric that always passes: passkeys are
        // discoverable and user-verified, as on a phone or a laptop.
        let body = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// The demo on `http://localhost:…` (browsers refuse IP addresses as WebAuthn relying
/// parties), with a passkey or an authenticator app asked of every login, and recovery codes;
/// its admin service, to offer passkeys on the login page or not.
async fn start_demo_with_passkeys(
    dir: &std::path::Path,
) -> (
    String,
    String,
    tessera_admin::Admin,
    tokio::sync::oneshot::Sender<()>,
) {
    let listeners = loopback_listeners().await;
    let issuer = format!(
        "http://localhost:{}/",
        listeners.auth.local_addr().unwrap().port()
    );
    let named = issuer.clone();
    let demo = Demo::prepare_with(dir, listeners, move |config| config.issuer = Some(named))
        .await
        .unwrap();
    let admin = demo.tessera.state.admin.clone();
    ask_every_login_for(&admin, ["webauthn-platform", "recovery-code"]).await;
    let app_url = demo.app_url.clone();
    (app_url, issuer, admin, serve(demo))
}

/// Switches `factors` on and asks every login for a second factor (Auth0's Guardian factors
/// and the `all-applications` policy).
async fn ask_every_login_for(admin: &tessera_admin::Admin, factors: [&str; 2]) {
    use tessera_admin::mfa::methods::FactorSwitch;
    let caller = cli_caller("update:guardian_factors update:mfa_policies");
    for factor in factors {
        let on = FactorSwitch { enabled: true };
        admin
            .switch_guardian_factor(&caller, factor, on)
            .await
            .unwrap();
    }
    admin
        .set_guardian_policies(&caller, &["all-applications".to_owned()])
        .await
        .unwrap();
}

fn cli_caller(scopes: &str) -> tessera_admin::Caller {
    use tessera_admin::{Caller, Principal};
    let scopes = ScopeSet::parse(scopes).unwrap();
    Caller::new(Principal::Cli, scopes, RequestContext::default())
}

/// Auth0's connection option `authentication_methods.passkey.enabled`: the login page offers
/// passkeys (autofill and a button), or not.
async fn offer_passkeys_on_login(admin: &tessera_admin::Admin, on: bool) {
    use tessera_admin::connections::{ConnectionQuery, ConnectionUpdate};
    let caller = cli_caller("read:connections update:connections");
    let query = ConnectionQuery {
        strategy: None,
        name: None,
    };
    let connection = admin
        .list_connections(&caller, &query)
        .await
        .unwrap()
        .remove(0);
    let mut options = connection.options.clone();
    options.insert(
        "authentication_methods".into(),
        json!({ "passkey": { "enabled": on }, "password": { "enabled": true } }),
    );
    let update: ConnectionUpdate = serde_json::from_value(json!({ "options": options })).unwrap();
    admin
        .update_connection(&caller, &connection.id, update)
        .await
        .unwrap();
}

/// [`sign_in_anew`] where Tessera is on another host than the app (`localhost`): its cookies
/// (the SSO session) go too.
async fn sign_in_on_both_hosts_anew(client: &Client, app_url: &str, issuer: &str) {
    client.goto(app_url).await.unwrap();
    client.delete_all_cookies().await.unwrap();
    client
        .goto(&format!("{issuer}.well-known/openid-configuration"))
        .await
        .unwrap();
    sign_in_anew(client, app_url).await;
}

/// Passkeys in a real browser with Chromium's virtual authenticator: the first login enrolls
/// one as the second factor (and shows a recovery code); at the next, the login page's
/// autofill request (conditional mediation) signs in with the passkey alone — the virtual
/// authenticator answers it as a person choosing the passkey would; with passkeys off the login
/// page, the passkey is asked after the password; the account page removes it, after which it
/// signs no one in. `amr` says how each login went.
#[tokio::test(flavor = "multi_thread")]
async fn a_person_enrolls_a_passkey_signs_in_with_it_alone_and_as_second_factor_in_headless_chromium(
) {
    let data = tempfile::tempdir().unwrap();
    let (app_url, issuer, admin, _stop) = start_demo_with_passkeys(data.path()).await;
    offer_passkeys_on_login(&admin, true).await;
    let driver = start_chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &profile).await;
    client.issue_cmd(AddVirtualAuthenticator).await.unwrap();

    // The first login: the password, then a passkey made as the second factor.
    client.goto(&app_url).await.unwrap();
    click(&client, "#sign-in").await;
    element(&client, "input#username[autocomplete='username webauthn']").await;
    log_in(&client, DEMO_PASSWORD).await;
    click(&client, "button[type=submit]").await;
    element(&client, "#passkey-form[data-ceremony=create]").await;
    screenshot(&client, "19-passkey-enrollment").await;
    click(&client, "#passkey-button").await;
    text_of(&client, "#recovery-code").await;
    set_checkbox(&client, "input#saved", true).await;
    click(&client, "button[type=submit]").await;
    click(&client, "button[value=allow]").await;
    assert_eq!(text_of(&client, "#greeting").await, "Hello, Demo User");
    assert_eq!(amr_shown(&client).await, json!(["pwd", "hwk", "mfa"]));

    // The next login: the login page's autofill offers the passkey, which signs in alone.
    sign_in_on_both_hosts_anew(&client, &app_url, &issuer).await;
    assert_eq!(text_of(&client, "#greeting").await, "Hello, Demo User");
    assert_eq!(amr_shown(&client).await, json!(["hwk", "mfa"]));

    // Passkeys off the login page: the password, then the passkey as the second factor.
    offer_passkeys_on_login(&admin, false).await;
    sign_in_on_both_hosts_anew(&client, &app_url, &issuer).await;
    log_in(&client, DEMO_PASSWORD).await;
    click(&client, "button[type=submit]").await;
    element(&client, "#passkey-form[data-ceremony=get]").await;
    screenshot(&client, "20-passkey-challenge").await;
    click(&client, "#passkey-button").await;
    assert_eq!(text_of(&client, "#greeting").await, "Hello, Demo User");
    assert_eq!(amr_shown(&client).await, json!(["pwd", "hwk", "mfa"]));

    // The account page lists it and removes it (the session passed two factors).
    client.goto(&format!("{issuer}u/account")).await.unwrap();
    assert!(text_of(&client, "#factors").await.contains("Passkey"));
    click(&client, ".remove-passkey").await;
    assert_eq!(
        text_of(&client, "#account-notice").await,
        "Your passkey was removed."
    );
    assert!(!text_of(&client, "#factors").await.contains("Passkey"));

    // The browser still holds it; Tessera no longer takes it.
    offer_passkeys_on_login(&admin, true).await;
    sign_in_on_both_hosts_anew(&client, &app_url, &issuer).await;
    assert_eq!(
        text_of(&client, "#login-error").await,
        "That passkey could not be used. Try again."
    );
    element(&client, "#passkey-form[data-ceremony=get]").await;
    screenshot(&client, "21-login-passkey-refused").await;
    client.close().await.unwrap();
}
