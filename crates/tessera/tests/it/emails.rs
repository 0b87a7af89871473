//! Mail (Universal Login): a real SMTP server (aiosmtpd) receives what Tessera sends — the
//! verification mail at sign-up, the reset mail of "Forgot password?" and Auth0's
//! `/dbconnections/change_password`, the verification-email job — made from Auth0's templates
//! (`/api/v2/email-templates`) and sent through the provider (`/api/v2/emails/provider` or the
//! configuration file), retried when the server is down, kept in the outbox without one.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::EmailConfig;
use tessera_store::{EmailStatus, EmailStore, SqliteStore, TenantSettingsStore};

use crate::management::{expect_status, Mgmt};
use crate::support::smtp::{link_in, SmtpSink};
use crate::support::*;

const NEW_PASSWORD: &str = "Quiet harbour 42 lanterns";
const RESET_ANSWER: &str = "We've just sent you an email to reset your password.";

fn smtp_config(sink: &SmtpSink) -> EmailConfig {
    EmailConfig {
        smtp_host: sink.host().to_owned(),
        smtp_port: sink.port(),
        smtp_user: None,
        smtp_pass: None,
        from: "Tessera <login@tessera.test>".to_owned(),
    }
}

async fn mgmt_with_mail(sink: &SmtpSink) -> Mgmt {
    let email = smtp_config(sink);
    Mgmt::start_with(move |config| {
        config.email = Some(email);
        config.email_poll_interval = 1;
        config.metrics = true;
    })
    .await
}

async fn sign_up(server: &TestServer, email: &str) -> Value {
    let response = http()
        .post(server.url("/dbconnections/signup"))
        .json(&json!({
            "client_id": CLIENT_ID,
            "connection": "Username-Password-Authentication",
            "email": email,
            "password": NEW_PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    expect_status(response, StatusCode::OK).await
}

async fn change_password(server: &TestServer, email: &str) -> reqwest::Response {
    http()
        .post(server.url("/dbconnections/change_password"))
        .json(&json!({
            "client_id": CLIENT_ID,
            "connection": "Username-Password-Authentication",
            "email": email,
        }))
        .send()
        .await
        .unwrap()
}

async fn store_of(server: &TestServer) -> SqliteStore {
    SqliteStore::connect(&server.config.database_url)
        .await
        .unwrap()
}

async fn user_by_email(mgmt: &Mgmt, email: &str) -> Value {
    let found = mgmt
        .get_ok(&format!("/api/v2/users-by-email?email={email}"))
        .await;
    found[0].clone()
}

#[tokio::test]
async fn a_sign_up_is_mailed_a_verification_link_that_verifies_once() {
    let sink = SmtpSink::start();
    let mgmt = mgmt_with_mail(&sink).await;
    let server = &mgmt.server;
    sign_up(server, "new.person@example.com").await;

    let mail = sink
        .wait_for("new.person@example.com", "Verify your email")
        .await;
    assert!(mail.from.contains("login@tessera.test"), "{}", mail.from);
    assert!(
        mail.html.contains("My Client App"),
        "the application is named: {}",
        mail.html
    );
    let link = link_in(&mail, "/u/email-verification");
    assert!(
        link.starts_with(&server.url("/u/email-verification?ticket=")),
        "{link}"
    );
    assert_eq!(
        user_by_email(&mgmt, "new.person@example.com").await["email_verified"],
        false
    );

    let verified = http().get(&link).send().await.unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
    assert_eq!(
        user_by_email(&mgmt, "new.person@example.com").await["email_verified"],
        true
    );
    let again = http().get(&link).send().await.unwrap();
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "the link works once"
    );

    // The message left the queue: nothing of the link stays in the store.
    let store = store_of(server).await;
    let sent = store.recent_emails(10).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].status, EmailStatus::Sent);
    assert_eq!(sent[0].sealed_message, None);
}

#[tokio::test]
async fn change_password_answers_the_same_for_any_address_and_mails_only_accounts() {
    let sink = SmtpSink::start();
    let mgmt = mgmt_with_mail(&sink).await;
    let server = &mgmt.server;

    let unknown = change_password(server, "nobody@example.com").await;
    assert_eq!(unknown.status(), StatusCode::OK);
    assert_eq!(unknown.text().await.unwrap(), RESET_ANSWER);
    let known = change_password(server, EMAIL).await;
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(known.text().await.unwrap(), RESET_ANSWER);

    let mail = sink.wait_for(EMAIL, "Reset your password").await;
    let link = link_in(&mail, "/u/reset-password");
    let url = reqwest::Url::parse(&link).unwrap();
    let ticket = query_param(&url, "ticket").unwrap();
    let page = http().get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let reset = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url("/u/reset-password"))
        .form(&[("ticket", ticket.as_str()), ("password", NEW_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        reset.status().is_success() || reset.status().is_redirection(),
        "{}",
        reset.status()
    );
    assert!(logs_in(server, NEW_PASSWORD).await);
    assert!(
        !logs_in(server, PASSWORD).await,
        "the old password no longer works"
    );
    // No mail went to the unknown address.
    let store = store_of(server).await;
    let queued = store.recent_emails(10).await.unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].recipient, EMAIL);
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address_silently_and_per_ip_openly() {
    let sink = SmtpSink::start();
    let mgmt = mgmt_with_mail(&sink).await;
    let server = &mgmt.server;
    for _ in 0..5 {
        let answer = change_password(server, EMAIL).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.text().await.unwrap(), RESET_ANSWER);
    }
    // Three mails at most per address and hour; the other requests spawned nothing.
    wait_until(|| async {
        let to_jane = sink
            .messages()
            .iter()
            .filter(|m| m.to.contains(EMAIL))
            .count();
        (to_jane == 3).then_some(())
    })
    .await;
    let store = store_of(server).await;
    assert_eq!(store.recent_emails(10).await.unwrap().len(), 3);

    for n in 5..20 {
        let answer = change_password(server, &format!("someone{n}@example.com")).await;
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let refused = change_password(server, "one.more@example.com").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "too_many_attempts");

    // An hour later the IP may ask again.
    server.clock.advance(3601);
    let later = change_password(server, "one.more@example.com").await;
    assert_eq!(later.status(), StatusCode::OK);
}

#[tokio::test]
async fn templates_are_auth0s_liquid_and_shape_the_mails() {
    let sink = SmtpSink::start();
    let mgmt = mgmt_with_mail(&sink).await;
    let server = &mgmt.server;

    let never_saved = mgmt.get("/api/v2/email-templates/verify_email").await;
    assert_eq!(never_saved.status(), StatusCode::NOT_FOUND);
    let broken = mgmt
        .post(
            "/api/v2/email-templates",
            json!({ "template": "verify_email", "body": "{% if %}", "subject": "x", "syntax": "liquid", "enabled": true }),
        )
        .await;
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let unsent = mgmt
        .post(
            "/api/v2/email-templates",
            json!({ "template": "mfa_oob_code", "body": "x" }),
        )
        .await;
    assert_eq!(unsent.status(), StatusCode::BAD_REQUEST);

    let created = mgmt
        .post(
            "/api/v2/email-templates",
            json!({
                "template": "verify_email",
                "body": "<p>Hi {{ user.email }}, welcome to {{ application.name }}: <a href=\"{{ url }}\">confirm</a></p>",
                "from": "{{ application.name }} <hello@tessera.test>",
                "subject": "Confirm for {{ application.name }}",
                "syntax": "liquid",
                "resultUrl": "http://127.0.0.1:4000/verified",
                "urlLifetimeInSeconds": 3600,
                "enabled": true,
            }),
        )
        .await;
    let created = expect_status(created, StatusCode::OK).await;
    assert_eq!(created["urlLifetimeInSeconds"], 3600);
    let again = mgmt
        .post(
            "/api/v2/email-templates",
            json!({ "template": "verify_email", "body": "x" }),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let patched = mgmt
        .patch(
            "/api/v2/email-templates/welcome_email",
            json!({ "enabled": true }),
        )
        .await;
    assert_eq!(
        patched.status(),
        StatusCode::NOT_FOUND,
        "PATCH changes a saved template"
    );
    let welcome = mgmt
        .post(
            "/api/v2/email-templates",
            json!({ "template": "welcome_email", "body": "<p>Welcome {{ user.email }}</p>", "subject": "Welcome aboard", "enabled": true }),
        )
        .await;
    expect_status(welcome, StatusCode::OK).await;

    sign_up(server, "liquid@example.com").await;
    let mail = sink
        .wait_for("liquid@example.com", "Confirm for My Client App")
        .await;
    assert!(
        mail.from.contains("My Client App") && mail.from.contains("hello@tessera.test"),
        "{}",
        mail.from
    );
    let link = link_in(&mail, "/u/email-verification");
    let verified = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&link)
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::SEE_OTHER);
    let location = verified.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:4000/verified?"),
        "{location}"
    );
    // Verified: the welcome mail follows.
    sink.wait_for("liquid@example.com", "Welcome aboard").await;

    // The link lives as long as the template says.
    sign_up(server, "late@example.com").await;
    let mail = sink.wait_for("late@example.com", "Confirm for").await;
    server.clock.advance(3601);
    let expired = http()
        .get(link_in(&mail, "/u/email-verification"))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_provider_is_set_through_the_api_its_password_sealed_and_failures_retried() {
    let sink = SmtpSink::start();
    let mgmt = Mgmt::start_with(|config| {
        config.email_poll_interval = 1;
        config.metrics = true;
    })
    .await;
    let server = &mgmt.server;
    assert_eq!(
        mgmt.get("/api/v2/emails/provider").await.status(),
        StatusCode::NOT_FOUND
    );

    // A port nobody listens on: the first attempts fail and are retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let created = mgmt
        .post(
            "/api/v2/emails/provider",
            json!({
                "name": "smtp",
                "enabled": true,
                "default_from_address": "login@tessera.test",
                "credentials": { "smtp_host": "127.0.0.1", "smtp_port": closed_port, "smtp_user": "mailer", "smtp_pass": "hunter2-secret" },
            }),
        )
        .await;
    let created = expect_status(created, StatusCode::CREATED).await;
    assert_eq!(created["credentials"]["smtp_user"], "mailer");
    assert!(created["credentials"].get("smtp_pass").is_none());
    let shown = mgmt.get_ok("/api/v2/emails/provider").await;
    assert!(!shown.to_string().contains("hunter2"), "{shown}");
    let store = store_of(server).await;
    let stored = store
        .tenant_setting("email_provider")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !Value::Object(stored).to_string().contains("hunter2"),
        "sealed at rest"
    );
    let other = mgmt
        .post(
            "/api/v2/emails/provider",
            json!({ "name": "sendgrid", "credentials": {} }),
        )
        .await;
    assert_eq!(other.status(), StatusCode::CONFLICT);
    let wrong_kind = mgmt
        .patch("/api/v2/emails/provider", json!({ "name": "sendgrid" }))
        .await;
    assert_eq!(wrong_kind.status(), StatusCode::BAD_REQUEST);

    let user_id = mgmt.seed_user_id().await;
    let job = mgmt
        .post(
            "/api/v2/jobs/verification-email",
            json!({ "user_id": user_id, "client_id": CLIENT_ID }),
        )
        .await;
    let job = expect_status(job, StatusCode::CREATED).await;
    assert_eq!(job["type"], "verification_email");
    assert_eq!(job["status"], "pending");
    let job_id = job["id"].as_str().unwrap().to_owned();

    // The attempt fails (nothing listens), is counted and waits for its retry.
    let failed = wait_until(|| async {
        let emails = store.recent_emails(1).await.unwrap();
        emails
            .first()
            .is_some_and(|e| e.attempts >= 1)
            .then(|| emails[0].clone())
    })
    .await;
    assert_eq!(failed.status, EmailStatus::Queued);
    assert!(failed.last_error.is_some());
    let metrics = http()
        .get(server.url("metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tessera_emails_total{outcome=\"retry\"} 1"),
        "{metrics}"
    );

    // The SMTP server comes back (here: the provider is pointed at it); 30 s later the
    // retry delivers the mail and completes the job.
    let pointed = mgmt
        .patch(
            "/api/v2/emails/provider",
            json!({ "credentials": { "smtp_port": sink.port(), "smtp_user": "" } }),
        )
        .await;
    expect_status(pointed, StatusCode::OK).await;
    server.clock.advance(31);
    sink.wait_for(EMAIL, "Verify your email").await;
    let done = wait_until(|| async {
        let job = mgmt.get_ok(&format!("/api/v2/jobs/{job_id}")).await;
        (job["status"] == "completed").then_some(job)
    })
    .await;
    assert_eq!(done["type"], "verification_email");

    let deleted = mgmt.delete("/api/v2/emails/provider").await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = mgmt.get("/api/v2/emails/provider").await;
    let gone = expect_status(gone, StatusCode::NOT_FOUND).await;
    assert_eq!(gone["errorCode"], "inexistent_email_provider");
}

#[tokio::test]
async fn without_a_provider_mails_are_kept_in_the_outbox() {
    let mgmt = Mgmt::start_with(|config| config.email_poll_interval = 1).await;
    let server = &mgmt.server;
    sign_up(server, "outbox@example.com").await;
    let store = store_of(server).await;
    let kept = wait_until(|| async {
        let emails = store.recent_emails(1).await.unwrap();
        emails
            .first()
            .is_some_and(|e| e.status == EmailStatus::Outbox)
            .then(|| emails[0].clone())
    })
    .await;
    assert_eq!(kept.recipient, "outbox@example.com");
    assert!(kept.sealed_message.is_some(), "readable in the outbox");
    assert!(
        !String::from_utf8_lossy(kept.sealed_message.as_deref().unwrap()).contains("ticket="),
        "sealed at rest"
    );

    // A job without an application (the tenant's name stands in) completes.
    let user_id = mgmt.seed_user_id().await;
    let job = mgmt
        .post(
            "/api/v2/jobs/verification-email",
            json!({ "user_id": user_id }),
        )
        .await;
    let job = expect_status(job, StatusCode::CREATED).await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    wait_until(|| async {
        let job = mgmt.get_ok(&format!("/api/v2/jobs/{job_id}")).await;
        (job["status"] == "completed").then_some(())
    })
    .await;

    // Users made through the Management API get the verification mail unless verified or
    // told not to (`verify_email`), as at Auth0.
    for (email, extra) in [
        ("unverified@example.com", json!({})),
        ("verified@example.com", json!({ "email_verified": true })),
        ("quiet@example.com", json!({ "verify_email": false })),
    ] {
        let mut body = json!({
            "connection": "Username-Password-Authentication",
            "email": email,
            "password": NEW_PASSWORD,
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        expect_status(mgmt.post("/api/v2/users", body).await, StatusCode::CREATED).await;
    }
    let recipients = wait_until(|| async {
        let emails = store.recent_emails(20).await.unwrap();
        let settled = emails.len() == 3 && emails.iter().all(|e| e.status == EmailStatus::Outbox);
        settled.then(|| emails.into_iter().map(|e| e.recipient).collect::<Vec<_>>())
    })
    .await;
    assert!(
        recipients.contains(&"unverified@example.com".to_owned()),
        "{recipients:?}"
    );
    assert!(!recipients.contains(&"verified@example.com".to_owned()));
    assert!(!recipients.contains(&"quiet@example.com".to_owned()));
}

async fn logs_in(server: &TestServer, password: &str) -> bool {
    let browser = Browser::new();
    let authorize = server.authorize_url(&[]);
    let base = reqwest::Url::parse(&authorize).unwrap();
    let (page, url) = browser.follow(browser.get(&authorize).await, &base).await;
    let html = page.text().await.unwrap();
    let response = browser.submit_login(&url, &html, USERNAME, password).await;
    response.status() == StatusCode::FOUND
}

/// Polls `check` every 50 ms for up to 20 s (a delivery by the postman, not an expiry).
async fn wait_until<T, F, Fut>(check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..400 {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the condition did not hold within 20 s");
}
