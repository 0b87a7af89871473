//! Multi-factor authentication at the hosted login, over HTTP: enrollment of an authenticator
//! app at the first login once the policy asks for it, its codes each accepted once, the
//! recovery code in its place (once, then replaced), wrong codes throttled like passwords, the
//! ID token's `amr`, an SSO session from before the policy not enough, and the password grant
//! refused.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use tessera_protocol::mfa::TotpSecret;
use url::Url;

use crate::management::{expect_status, Mgmt};
use crate::support::*;

/// Switches the Guardian factor `name` on.
pub(crate) async fn switch_on(mgmt: &Mgmt, name: &str) {
    let path = format!("/api/v2/guardian/factors/{name}");
    let set = mgmt
        .send(Method::PUT, &path, Some(json!({ "enabled": true })))
        .await;
    expect_status(set, StatusCode::OK).await;
}

/// Switches on the authenticator app and recovery codes, and asks every login for them.
pub(crate) async fn require_mfa(mgmt: &Mgmt) {
    require_mfa_with(mgmt, &["otp", "recovery-code"]).await;
}

/// Switches `factors` on, and asks every login for a second factor.
pub(crate) async fn require_mfa_with(mgmt: &Mgmt, factors: &[&str]) {
    for factor in factors {
        switch_on(mgmt, factor).await;
    }
    let policy = mgmt
        .send(
            Method::PUT,
            "/api/v2/guardian/policies",
            Some(json!(["all-applications"])),
        )
        .await;
    expect_status(policy, StatusCode::OK).await;
}

/// The text of the element with `id` (a `<code>`), as the page shows it.
fn element_text(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("#{id} in {html}"))
        + marker.len();
    let end = html[start..].find('<').unwrap();
    html[start..start + end].to_owned()
}

/// A page of the login, after this server's redirects.
pub(crate) struct Page {
    pub(crate) url: Url,
    pub(crate) status: StatusCode,
    pub(crate) html: String,
}

impl Page {
    pub(crate) async fn of(browser: &Browser, response: Response, from: &Url) -> Page {
        let (response, url) = browser.follow(response, from).await;
        let status = response.status();
        let html = if url.port() == Some(4000) {
            String::new()
        } else {
            response.text().await.unwrap()
        };
        Page { url, status, html }
    }

    /// The value of the form field `name`.
    pub(crate) fn field(&self, name: &str) -> String {
        let value = form_value(&self.html, name);
        html_unescape(&value.unwrap_or_else(|| panic!("{name} on {}: {}", self.url, self.html)))
    }

    /// Posts `fields`, with the page's state and CSRF token, to `path`.
    pub(crate) async fn submit(
        &self,
        browser: &Browser,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let (state, csrf) = (self.field("state"), self.field("csrf_token"));
        let mut form = vec![("state", state.as_str()), ("csrf_token", csrf.as_str())];
        form.extend_from_slice(fields);
        let target = self.url.join(path).unwrap();
        let response = browser.post_form(target.as_str(), &form).await;
        Page::of(browser, response, &target).await
    }
}

/// Opens the seed's authorization and logs in with the password.
async fn password_step(server: &TestServer, browser: &Browser) -> Page {
    let url = server.authorize_url(&[("prompt", "login")]);
    let start = Url::parse(&url).unwrap();
    let login = Page::of(browser, browser.get(&url).await, &start).await;
    assert_eq!(login.url.path(), "/u/login", "{}", login.html);
    let response = browser
        .submit_login(&login.url, &login.html, USERNAME, PASSWORD)
        .await;
    Page::of(browser, response, &login.url).await
}

/// Follows the challenge page's "Use a recovery code instead" link.
async fn recovery_challenge(browser: &Browser, challenge: &Page) -> Page {
    let state = form_value(&challenge.html, "state").unwrap();
    let path = format!("/u/mfa-recovery-code-challenge?state={state}");
    let url = challenge.url.join(&path).unwrap();
    Page::of(browser, browser.get(url.as_str()).await, &url).await
}

/// The current code of `secret` on the server's clock.
fn code_now(server: &TestServer, secret: &TotpSecret) -> String {
    secret.code_at(server.clock.now())
}

/// Answers a consent page if one comes, and returns the ID token's claims of the code the
/// browser brings back.
async fn finish(server: &TestServer, browser: &Browser, page: Page) -> Value {
    let page = if page.url.path() == "/u/consent" {
        page.submit(browser, "/u/consent", &[("decision", "allow")])
            .await
    } else {
        page
    };
    assert_eq!(page.url.port(), Some(4000), "{}: {}", page.url, page.html);
    let code = query_param(&page.url, "code").expect("a code");
    let tokens = server.redeem(&code).await;
    jwt_claims(tokens["id_token"].as_str().unwrap())
}

/// Adds the app the enrollment page shows with its current code; the ID token's claims.
async fn enroll_on(server: &TestServer, browser: &Browser, enrollment: Page) -> Value {
    let secret = TotpSecret::from_base32(&element_text(&enrollment.html, "totp-secret")).unwrap();
    let code = code_now(server, &secret);
    let done = enrollment
        .submit(browser, "/u/mfa-otp-enrollment-qr", &[("code", &code)])
        .await;
    finish(server, browser, done).await
}

/// Enrolls the seed user's authenticator app; returns its secret and the recovery code shown.
async fn enroll(server: &TestServer, browser: &Browser) -> (TotpSecret, String, Value) {
    let enrollment = password_step(server, browser).await;
    assert_eq!(enrollment.url.path(), "/u/mfa-otp-enrollment-qr");
    assert!(enrollment.html.contains("<svg"), "a QR code is shown");
    let secret = TotpSecret::from_base32(&element_text(&enrollment.html, "totp-secret")).unwrap();

    let wrong = enrollment
        .submit(browser, "/u/mfa-otp-enrollment-qr", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("id=\"mfa-error\""), "{}", wrong.html);

    let code = code_now(server, &secret);
    let saved = wrong
        .submit(browser, "/u/mfa-otp-enrollment-qr", &[("code", &code)])
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.html);
    let recovery = element_text(&saved.html, "recovery-code");
    assert_eq!(
        recovery.len(),
        29,
        "24 characters in groups of four: {recovery}"
    );
    let done = saved
        .submit(
            browser,
            "/u/mfa-recovery-code-enrollment",
            &[("saved", "on")],
        )
        .await;
    let claims = finish(server, browser, done).await;
    (secret, recovery, claims)
}

#[tokio::test]
async fn a_login_enrolls_an_authenticator_app_then_asks_for_its_codes_once_each() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    // Before the policy: the password alone, and the ID token says so.
    let before = jwt_claims(server.tokens(&[]).await["id_token"].as_str().unwrap());
    assert_eq!(before["amr"], json!(["pwd"]));

    require_mfa(&mgmt).await;
    let (secret, _, claims) = enroll(server, &Browser::new()).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));

    // The next login: the code of the step just used is refused, the next step's accepted.
    let browser = Browser::new();
    let challenge = password_step(server, &browser).await;
    assert_eq!(challenge.url.path(), "/u/mfa-otp-challenge");
    assert!(challenge.html.contains("id=\"recovery-link\""));
    let used = code_now(server, &secret);
    let replayed = challenge
        .submit(&browser, "/u/mfa-otp-challenge", &[("code", &used)])
        .await;
    assert_eq!(
        replayed.status,
        StatusCode::UNAUTHORIZED,
        "a code works once"
    );
    server.clock.advance(30);
    let fresh = code_now(server, &secret);
    let accepted = replayed
        .submit(&browser, "/u/mfa-otp-challenge", &[("code", &fresh)])
        .await;
    let claims = finish(server, &browser, accepted).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));

    // The session of that login satisfies the policy: no second login for the next app visit.
    let callback = browser.sign_in(&server.authorize_url(&[])).await;
    assert!(query_param(&callback, "code").is_some());
}

#[tokio::test]
async fn a_recovery_code_works_once_and_is_replaced() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    require_mfa(&mgmt).await;
    let (_, recovery, _) = enroll(server, &Browser::new()).await;

    let browser = Browser::new();
    let challenge = password_step(server, &browser).await;
    let recovery_page = recovery_challenge(&browser, &challenge).await;
    assert_eq!(recovery_page.status, StatusCode::OK);
    let typed = recovery.to_lowercase().replace('-', " ");
    let replaced = recovery_page
        .submit(
            &browser,
            "/u/mfa-recovery-code-challenge",
            &[("code", &typed)],
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.html);
    let new_code = element_text(&replaced.html, "recovery-code");
    assert_ne!(new_code, recovery);
    let done = replaced
        .submit(
            &browser,
            "/u/mfa-recovery-code-enrollment",
            &[("saved", "on")],
        )
        .await;
    let claims = finish(server, &browser, done).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));

    // The used code is gone; the new one works.
    let browser = Browser::new();
    let challenge = password_step(server, &browser).await;
    let page = recovery_challenge(&browser, &challenge).await;
    let reused = page
        .submit(
            &browser,
            "/u/mfa-recovery-code-challenge",
            &[("code", &recovery)],
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    let accepted = reused
        .submit(
            &browser,
            "/u/mfa-recovery-code-challenge",
            &[("code", &new_code)],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK);
    assert!(accepted.html.contains("id=\"recovery-code\""));
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords_and_skipping_the_factor_fails() {
    let mgmt = Mgmt::start_with(|config| config.brute_force_max_attempts = 3).await;
    let server = &mgmt.server;
    require_mfa(&mgmt).await;
    let (secret, _, _) = enroll(server, &Browser::new()).await;

    let browser = Browser::new();
    let mut page = password_step(server, &browser).await;
    // Saying the recovery code was saved before passing a factor does not log in.
    let skipped = page
        .submit(
            &browser,
            "/u/mfa-recovery-code-enrollment",
            &[("saved", "on")],
        )
        .await;
    assert_eq!(skipped.status, StatusCode::BAD_REQUEST);
    for _ in 0..3 {
        page = page
            .submit(&browser, "/u/mfa-otp-challenge", &[("code", "123456")])
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    server.clock.advance(30);
    let right = code_now(server, &secret);
    let throttled = page
        .submit(&browser, "/u/mfa-otp-challenge", &[("code", &right)])
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);

    server.flush_audit().await;
    let events = mgmt.get_ok("/api/v2/logs?q=type:gd_auth_failed").await;
    assert!(events.as_array().unwrap().len() >= 4, "{events}");
}

#[tokio::test]
async fn a_session_from_before_the_policy_must_log_in_again_and_the_password_grant_is_refused() {
    let mgmt = Mgmt::start_with(|config| {
        config.clients[0].grant_types = Some(vec![
            "authorization_code".into(),
            "refresh_token".into(),
            "password".into(),
        ]);
    })
    .await;
    let server = &mgmt.server;
    let browser = Browser::new();
    browser.sign_in(&server.authorize_url(&[])).await;
    require_mfa(&mgmt).await;

    let url = server.authorize_url(&[]);
    let start = Url::parse(&url).unwrap();
    let page = Page::of(&browser, browser.get(&url).await, &start).await;
    assert_eq!(page.url.path(), "/u/login", "the old session is not enough");
    let none = Page::of(
        &browser,
        browser
            .get(&server.authorize_url(&[("prompt", "none")]))
            .await,
        &start,
    )
    .await;
    assert_eq!(
        query_param(&none.url, "error").as_deref(),
        Some("login_required")
    );

    let refused = server
        .token_form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "mfa_required");
}

#[tokio::test]
async fn an_app_asks_for_a_second_factor_with_acr_values_and_gets_acr() {
    const MULTI_FACTOR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    switch_on(&mgmt, "otp").await;
    assert_eq!(
        server.discovery().await["acr_values_supported"],
        json!([MULTI_FACTOR])
    );

    // No policy: a password alone, and no `acr`; its session is no use to an app asking for more.
    let browser = Browser::new();
    let callback = browser.sign_in(&server.authorize_url(&[])).await;
    let code = query_param(&callback, "code").unwrap();
    let plain = jwt_claims(server.redeem(&code).await["id_token"].as_str().unwrap());
    assert_eq!(
        (plain["amr"].clone(), plain.get("acr")),
        (json!(["pwd"]), None)
    );

    let url = server.authorize_url(&[("acr_values", MULTI_FACTOR)]);
    let start = Url::parse(&url).unwrap();
    let login = Page::of(&browser, browser.get(&url).await, &start).await;
    assert_eq!(login.url.path(), "/u/login", "the session had one factor");
    let response = browser
        .submit_login(&login.url, &login.html, USERNAME, PASSWORD)
        .await;
    let enrollment = Page::of(&browser, response, &login.url).await;
    assert_eq!(enrollment.url.path(), "/u/mfa-otp-enrollment-qr");
    let claims = enroll_on(server, &browser, enrollment).await;
    assert_eq!(claims["acr"], MULTI_FACTOR);
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
}

/// Auth0's way to ask some users for MFA: a post-login Action.
const MFA_WHEN_ASKED: &str = r#"exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.require_mfa) {
    api.multifactor.enable('any', { allowRememberBrowser: false });
  }
  api.idToken.setCustomClaim('https://tessera.test/methods', event.authentication.methods.map((m) => m.name));
};"#;

#[tokio::test]
async fn a_post_login_action_asks_some_users_for_a_second_factor() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    switch_on(&mgmt, "otp").await;
    crate::actions::bind(&mgmt, "post-login", &[("MFA when asked", MFA_WHEN_ASKED)]).await;
    let methods = "https://tessera.test/methods";

    // Not asked: the password alone.
    let browser = Browser::new();
    let callback = browser.sign_in(&server.authorize_url(&[])).await;
    let tokens = server
        .redeem(&query_param(&callback, "code").unwrap())
        .await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        (claims["amr"].clone(), claims[methods].clone()),
        (json!(["pwd"]), json!(["pwd"]))
    );

    // Asked: the SSO session's password is not enough any more.
    let user = mgmt.seed_user_id().await;
    let path = format!(
        "/api/v2/users/{}",
        url::form_urlencoded::byte_serialize(user.as_bytes()).collect::<String>()
    );
    let flagged = mgmt
        .patch(&path, json!({ "app_metadata": { "require_mfa": true } }))
        .await;
    expect_status(flagged, StatusCode::OK).await;
    let silent = server.authorize_url(&[("prompt", "none")]);
    let start = Url::parse(&silent).unwrap();
    let refused = Page::of(&browser, browser.get(&silent).await, &start).await;
    assert_eq!(
        query_param(&refused.url, "error").as_deref(),
        Some("interaction_required")
    );

    let url = server.authorize_url(&[]);
    let enrollment = Page::of(&browser, browser.get(&url).await, &start).await;
    assert_eq!(
        enrollment.url.path(),
        "/u/mfa-otp-enrollment-qr",
        "{}",
        enrollment.html
    );
    let claims = enroll_on(server, &browser, enrollment).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(
        claims[methods],
        json!(["pwd", "mfa"]),
        "the Action saw the second factor"
    );

    // The session now has both: a silent authorization gets its code.
    let again = Page::of(&browser, browser.get(&silent).await, &start).await;
    assert!(query_param(&again.url, "code").is_some(), "{}", again.url);
}

/// Auth0 has no per-application MFA setting; its documentation asks for a second factor in
/// some applications only with this post-login Action, which Tessera runs as Auth0 does.
const MFA_IN_SOME_APPLICATIONS: &str = r#"exports.onExecutePostLogin = async (event, api) => {
  const CLIENTS_WITH_MFA = ['CLIENT_WITH_MFA'];
  if (CLIENTS_WITH_MFA.includes(event.client.client_id)) {
    api.multifactor.enable('any', { allowRememberBrowser: false });
  }
};"#;

#[tokio::test]
async fn an_action_asks_for_a_second_factor_in_some_applications_only() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    switch_on(&mgmt, "otp").await;
    let rota = mgmt
        .send(
            Method::POST,
            "/api/v2/clients",
            Some(json!({ "name": "Rota", "app_type": "regular_web", "callbacks": [CALLBACK] })),
        )
        .await;
    let rota = expect_status(rota, StatusCode::CREATED).await;
    let rota = rota["client_id"].as_str().unwrap().to_owned();
    let code = MFA_IN_SOME_APPLICATIONS.replace("CLIENT_WITH_MFA", CLIENT_ID);
    crate::actions::bind(&mgmt, "post-login", &[("MFA in payroll", &code)]).await;

    // Another application: the password alone.
    let browser = Browser::new();
    let to_rota = server.authorize_url(&[("client_id", &rota)]);
    let callback = browser.sign_in(&to_rota).await;
    assert!(query_param(&callback, "code").is_some(), "{callback}");

    // The application the Action names (after its consent, when the Actions run): the SSO
    // session's password is not enough.
    let url = server.authorize_url(&[]);
    let start = Url::parse(&url).unwrap();
    let consent = Page::of(&browser, browser.get(&url).await, &start).await;
    assert_eq!(consent.url.path(), "/u/consent");
    let allow = [("decision", "allow")];
    let enrollment = consent.submit(&browser, "/u/consent", &allow).await;
    assert_eq!(enrollment.url.path(), "/u/mfa-otp-enrollment-qr");
    let claims = enroll_on(server, &browser, enrollment).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
}

#[tokio::test]
async fn the_account_page_lists_the_factors_and_changes_them_only_after_a_second_factor() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    let account = server.url("/u/account");
    let signed_out = Browser::new().get(&account).await;
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);

    require_mfa(&mgmt).await;
    let browser = Browser::new();
    let (_, recovery, _) = enroll(server, &browser).await;

    // With the policy off again, a login of the password alone sees the page, changes nothing.
    let off = mgmt
        .send(Method::PUT, "/api/v2/guardian/policies", Some(json!([])))
        .await;
    expect_status(off, StatusCode::OK).await;
    let password_only = Browser::new();
    password_only.sign_in(&server.authorize_url(&[])).await;
    let page = password_only.get(&account).await.text().await.unwrap();
    assert!(page.contains("id=\"log-in-again\""), "{page}");
    let csrf = form_value(&page, "csrf_token");
    assert_eq!(csrf, None, "no form is offered");
    let refused = password_only
        .post_form(
            &server.url("/u/account/recovery-code"),
            &[("csrf_token", "x")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let page = browser.get(&account).await.text().await.unwrap();
    assert!(
        page.contains("Authenticator app") && page.contains("Recovery code"),
        "{page}"
    );
    let csrf = form_value(&page, "csrf_token").unwrap();
    let forged = browser
        .post_form(
            &server.url("/u/account/recovery-code"),
            &[("csrf_token", "forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let renewed = browser
        .post_form(
            &server.url("/u/account/recovery-code"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(renewed.status(), StatusCode::OK);
    let html = renewed.text().await.unwrap();
    let new_code = element_text(&html, "recovery-code");
    assert_ne!(new_code, recovery);

    let removed = browser
        .post_form(
            &server.url("/u/account/authenticator-app/remove"),
            &[("csrf_token", &csrf)],
        )
        .await;
    let html = removed.text().await.unwrap();
    assert!(html.contains("id=\"no-factors\""), "{html}");
    let user = mgmt.seed_user_id().await;
    let path = format!(
        "/api/v2/users/{}/authentication-methods",
        url::form_urlencoded::byte_serialize(user.as_bytes()).collect::<String>()
    );
    assert_eq!(mgmt.get_ok(&path).await, json!([]));
    // When the policy asks again, the next login enrolls anew.
    require_mfa(&mgmt).await;
    let next = password_step(server, &Browser::new()).await;
    assert_eq!(next.url.path(), "/u/mfa-otp-enrollment-qr");
}

/// Auth0's "Remember this device for 30 days": after the policy's second factor, a browser
/// remembered skips it at later logins with the password (`amr` pwd, mfa) — until it goes
/// unused for 7 days, or an application asks for a second factor itself (`acr_values`). Not
/// ticked, nothing is remembered.
#[tokio::test]
async fn a_remembered_browser_skips_the_policys_second_factor_for_a_while() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    require_mfa(&mgmt).await;
    let browser = Browser::new();
    let (secret, _, _) = enroll(server, &browser).await;

    // Not ticked: the next login asks again.
    server.clock.advance(30);
    let challenge = password_step(server, &browser).await;
    assert_eq!(challenge.url.path(), "/u/mfa-otp-challenge");
    assert!(challenge.html.contains(r#"name="rememberBrowser""#));
    let code = code_now(server, &secret);
    let done = challenge
        .submit(&browser, "/u/mfa-otp-challenge", &[("code", &code)])
        .await;
    finish(server, &browser, done).await;
    server.clock.advance(30);
    let challenge = password_step(server, &browser).await;
    assert_eq!(challenge.url.path(), "/u/mfa-otp-challenge");

    // Ticked: the next logins skip it while the browser is used at least weekly.
    let code = code_now(server, &secret);
    let done = challenge
        .submit(
            &browser,
            "/u/mfa-otp-challenge",
            &[("code", &code), ("rememberBrowser", "on")],
        )
        .await;
    assert_eq!(
        finish(server, &browser, done).await["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    for _ in 0..3 {
        server.clock.advance(6 * 86_400);
        let skipped = password_step(server, &browser).await;
        assert_eq!(
            finish(server, &browser, skipped).await["amr"],
            json!(["pwd", "mfa"])
        );
    }

    // An application asking for a second factor itself gets one, without the offer.
    let multi_factor = tessera_protocol::authorize::MULTI_FACTOR;
    let url = server.authorize_url(&[("prompt", "login"), ("acr_values", multi_factor)]);
    let start = Url::parse(&url).unwrap();
    let login = Page::of(&browser, browser.get(&url).await, &start).await;
    let response = browser
        .submit_login(&login.url, &login.html, USERNAME, PASSWORD)
        .await;
    let asked = Page::of(&browser, response, &login.url).await;
    assert_eq!(asked.url.path(), "/u/mfa-otp-challenge");
    assert!(!asked.html.contains("rememberBrowser"), "{}", asked.html);

    // Unused for more than 7 days, the browser is forgotten.
    server.clock.advance(8 * 86_400);
    let challenge = password_step(server, &browser).await;
    assert_eq!(challenge.url.path(), "/u/mfa-otp-challenge");

    // Another browser was never remembered.
    let other = Browser::new();
    let challenge = password_step(server, &other).await;
    assert_eq!(challenge.url.path(), "/u/mfa-otp-challenge");
}
