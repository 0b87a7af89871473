//! Passkeys at the hosted login, over HTTP, with a software authenticator whose answers the
//! server's WebAuthn verifier checks as it checks a device's: a passkey made as the second
//! factor and used again after the password or alone from the login page, with `amr` saying
//! which; every answer that must not log in refused — wrong origin, RP id, challenge, counter,
//! no user verification, a replay, another authorization's or an expired ceremony, a removed
//! passkey, a blocked user, a credential someone else registered; the offer of a passkey after
//! a password, which can be declined but never stands in for a second factor that is due; and
//! the passkey in the Management API.
//!
//! WebAuthn has no relying party at an IP address, so each server's issuer is
//! `http://localhost:<port>/`.

use std::net::SocketAddr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

use crate::management::{encoded, expect_status, Mgmt};
use crate::management_openapi::{document, exchange};
use crate::mfa::Page;
use crate::support::webauthn::{page_options, random, SoftAuthenticator, Tweaks};
use crate::support::*;

/// What a refused passkey page says.
const REFUSED: &str = "That passkey could not be used. Try again.";
const BLOCKED: &str = "This account is blocked. Contact the administrator.";
const ENROLLMENT: &str = "/u/mfa-webauthn-platform-enrollment";
const CHALLENGE: &str = "/u/mfa-webauthn-platform-challenge";
const OFFER: &str = "/u/passkey-enrollment";

/// What a test's tenant switches on.
#[derive(Debug, Clone, Copy, Default)]
struct Tenant {
    /// Guardian's `webauthn-platform` and `recovery-code`, asked of every login.
    second_factor: bool,
    /// The connection's `authentication_methods.passkey.enabled`: a login by passkey on the
    /// login page.
    on_login_page: bool,
    /// The connection's `passkey_options.progressive_enrollment_enabled`: a passkey offered
    /// after a password.
    offer: bool,
}

const SECOND_FACTOR: Tenant = Tenant {
    second_factor: true,
    on_login_page: false,
    offer: false,
};

const EVERYWHERE: Tenant = Tenant {
    second_factor: true,
    on_login_page: true,
    offer: false,
};

/// A server at `http://localhost:<port>/` with `tenant`'s settings, made through the
/// Management API.
async fn start(tenant: Tenant) -> Mgmt {
    // The issuer names the port, so it is picked before the server binds it.
    let port = crate::support::process::free_port();
    let m = Mgmt::start_with(move |config| {
        config.listen = SocketAddr::from(([127, 0, 0, 1], port));
        config.issuer = Some(format!("http://localhost:{port}/"));
    })
    .await;
    if tenant.second_factor {
        crate::mfa::require_mfa_with(&m, &["webauthn-platform", "recovery-code"]).await;
    }
    if tenant.on_login_page || tenant.offer {
        let connections = m.get_ok("/api/v2/connections").await;
        let connection = &connections[0];
        let mut options = connection["options"].clone();
        options["authentication_methods"] = json!({
            "passkey": { "enabled": tenant.on_login_page || tenant.offer },
            "password": { "enabled": true },
        });
        options["passkey_options"] = json!({ "progressive_enrollment_enabled": tenant.offer });
        let path = format!("/api/v2/connections/{}", connection["id"].as_str().unwrap());
        let patched = m.patch(&path, json!({ "options": options })).await;
        expect_status(patched, StatusCode::OK).await;
    }
    m
}

impl Page {
    /// The WebAuthn options the page's script would hand to the browser.
    fn options(&self) -> Value {
        page_options(&self.html)
            .unwrap_or_else(|| panic!("passkey options on {}: {}", self.url, self.html))
    }

    /// The sealed ceremony the passkey form posts back.
    fn ceremony(&self) -> String {
        self.field("ceremony")
    }

    /// Where the passkey form posts.
    fn passkey_action(&self) -> String {
        let form = self
            .html
            .find("id=\"passkey-form\"")
            .expect("a passkey form");
        let tag = &self.html[..form];
        let start = tag.rfind("action=\"").unwrap() + "action=\"".len();
        let end = tag[start..].find('"').unwrap();
        tag[start..start + end].to_owned()
    }

    /// Posts `credential` (the authenticator's answer) with `ceremony`, as the page's script
    /// does.
    async fn post_passkey(&self, browser: &Browser, ceremony: &str, credential: &str) -> Page {
        let fields = [("ceremony", ceremony), ("credential", credential)];
        self.submit(browser, &self.passkey_action(), &fields).await
    }

    /// Posts `credential` with this page's ceremony.
    async fn answer(&self, browser: &Browser, credential: &str) -> Page {
        self.post_passkey(browser, &self.ceremony(), credential)
            .await
    }

    fn at_callback(&self) -> bool {
        self.url.port() == Some(4000)
    }
}

/// The login page of a new authorization of the seed's client (`extra` parameters added).
async fn login_page(server: &TestServer, browser: &Browser, extra: &[(&str, &str)]) -> Page {
    let url = server.authorize_url(extra);
    let start = Url::parse(&url).unwrap();
    let page = Page::of(browser, browser.get(&url).await, &start).await;
    assert_eq!(page.url.path(), "/u/login", "{}", page.html);
    page
}

/// `username`'s password on a new login page; the page it leads to.
async fn password(server: &TestServer, browser: &Browser, username: &str) -> Page {
    let login = login_page(server, browser, &[]).await;
    let secret = if username == USERNAME {
        PASSWORD
    } else {
        OTHER_PASSWORD
    };
    let response = browser
        .submit_login(&login.url, &login.html, username, secret)
        .await;
    Page::of(browser, response, &login.url).await
}

/// Answers a consent page if one comes; the ID token's claims of the code brought back.
async fn finish(server: &TestServer, browser: &Browser, page: Page) -> Value {
    let page = if page.url.path() == "/u/consent" {
        page.submit(browser, "/u/consent", &[("decision", "allow")])
            .await
    } else {
        page
    };
    assert!(
        page.at_callback(),
        "{} {}: {}",
        page.status,
        page.url,
        page.html
    );
    let code = query_param(&page.url, "code").expect("a code");
    let tokens = server.redeem(&code).await;
    jwt_claims(tokens["id_token"].as_str().unwrap())
}

/// The recovery code shown after an enrollment, saved; the ID token's claims.
async fn save_recovery_code(server: &TestServer, browser: &Browser, page: Page) -> Value {
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("id=\"recovery-code\""), "{}", page.html);
    let saved = [("saved", "on")];
    let done = page
        .submit(browser, "/u/mfa-recovery-code-enrollment", &saved)
        .await;
    finish(server, browser, done).await
}

/// `username`'s first login under the policy: the password, a passkey of `key` made as the
/// second factor (changed by `tweaks`), the recovery code saved. The ID token's claims.
async fn enroll(
    server: &TestServer,
    key: &mut SoftAuthenticator,
    username: &str,
    tweaks: &Tweaks,
) -> Value {
    let browser = Browser::new();
    let page = password(server, &browser, username).await;
    assert_eq!(page.url.path(), ENROLLMENT, "{}", page.html);
    let answer = key.register_with(&page.options(), tweaks);
    let saved = page.answer(&browser, &answer).await;
    save_recovery_code(server, &browser, saved).await
}

/// A server asking every login for a passkey (offered on the login page too), and the seed
/// user's, enrolled.
async fn enrolled() -> (Mgmt, SoftAuthenticator) {
    let m = start(EVERYWHERE).await;
    let mut key = SoftAuthenticator::new(&m.server.issuer);
    let claims = enroll(&m.server, &mut key, USERNAME, &Tweaks::default()).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
    (m, key)
}

/// The passkey challenge after the seed user's password, in `browser`.
async fn challenge(server: &TestServer, browser: &Browser) -> Page {
    let page = password(server, browser, USERNAME).await;
    assert_eq!(page.url.path(), CHALLENGE, "{}", page.html);
    page
}

/// `credential` posted on `page` with `ceremony`, expected to be refused: the page again
/// (401), saying so, with a new ceremony, and no login.
async fn expect_refused(
    server: &TestServer,
    browser: &Browser,
    page: &Page,
    ceremony: &str,
    credential: &str,
    message: &str,
) -> Page {
    let refused = page.post_passkey(browser, ceremony, credential).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{}: {}",
        refused.url,
        refused.html
    );
    assert!(refused.html.contains(message), "{}", refused.html);
    assert!(
        page_options(&refused.html).is_some(),
        "a passkey can be tried again"
    );
    assert_ne!(refused.ceremony(), ceremony, "a new ceremony");
    assert!(browser.must_log_in(server).await, "no session was made");
    refused
}

/// On a new challenge page, `key`'s answer changed by `tweaks` is refused; then the same key's
/// honest answer on the page shown again logs in — only the change was wrong.
async fn refused_then_accepted(tweaks: Tweaks) {
    let (m, mut key) = enrolled().await;
    let server = &m.server;
    let browser = Browser::new();
    let page = challenge(server, &browser).await;
    let changed = key.assert_with(&page.options(), &tweaks);
    let again = expect_refused(server, &browser, &page, &page.ceremony(), &changed, REFUSED).await;
    let honest = key.assert(&again.options());
    let claims = finish(server, &browser, again.answer(&browser, &honest).await).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
}

const OTHER_EMAIL: &str = "ada@example.com";
const OTHER_PASSWORD: &str = "a long enough passphrase";

/// `/api/v2/users/{id}/authentication-methods`.
fn methods_path(user_id: &str) -> String {
    format!("/api/v2/users/{}/authentication-methods", encoded(user_id))
}

/// The user's passkeys as the Management API lists them.
async fn passkeys_of(m: &Mgmt, user_id: &str) -> Vec<Value> {
    let listed = m.get_ok(&methods_path(user_id)).await;
    listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|method| method["type"] == "passkey")
        .cloned()
        .collect()
}

// --- a. The happy paths ------------------------------------------------------------------

#[tokio::test]
async fn a_passkey_made_as_second_factor_proves_later_logins_after_the_password_and_alone() {
    let m = start(EVERYWHERE).await;
    let server = &m.server;
    let mut key = SoftAuthenticator::new(&server.issuer);

    // The first login: the password, then a passkey made, then a recovery code shown.
    let browser = Browser::new();
    let page = password(server, &browser, USERNAME).await;
    assert_eq!(page.url.path(), ENROLLMENT, "{}", page.html);
    let options = page.options();
    let rp = &options["publicKey"]["rp"]["id"];
    assert_eq!(rp, "localhost", "the issuer's host is the relying party");
    let selection = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required", "{options}");
    assert_eq!(selection["userVerification"], "required", "{options}");
    let saved = page.answer(&browser, &key.register(&options)).await;
    let claims = save_recovery_code(server, &browser, saved).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
    let user_id = m.seed_user_id().await;
    assert_eq!(claims["sub"], user_id.as_str());

    // The next login: the password, then that passkey — the only one the options allow.
    let browser = Browser::new();
    let page = challenge(server, &browser).await;
    let options = page.options();
    let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
    let id = URL_SAFE_NO_PAD.encode(&key.last().id);
    assert_eq!(allowed.len(), 1, "{options}");
    assert_eq!(allowed[0]["id"], id.as_str());
    let done = page.answer(&browser, &key.assert(&options)).await;
    let claims = finish(server, &browser, done).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));

    // A login by passkey alone, from the login page: the authenticator names the account.
    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let options = login.options();
    assert!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(|list| list.is_empty()),
        "a discoverable login names no credential: {options}"
    );
    assert_eq!(login.passkey_action(), "/u/login/passkey");
    let done = login.answer(&browser, &key.assert(&options)).await;
    let claims = finish(server, &browser, done).await;
    assert_eq!(claims["amr"], json!(["hwk", "mfa"]));
    assert_eq!(claims["sub"], user_id.as_str());
    assert!(
        !browser.must_log_in(server).await,
        "the passkey's session satisfies the policy"
    );
}

#[tokio::test]
async fn a_backup_eligible_passkey_is_a_software_key_in_amr() {
    let m = start(EVERYWHERE).await;
    let server = &m.server;
    let mut key = SoftAuthenticator::new(&server.issuer);
    let synced = Tweaks {
        backup_eligible: true,
        ..Tweaks::default()
    };
    let claims = enroll(server, &mut key, USERNAME, &synced).await;
    assert_eq!(claims["amr"], json!(["pwd", "swk", "mfa"]));

    let browser = Browser::new();
    let page = challenge(server, &browser).await;
    let done = page.answer(&browser, &key.assert(&page.options())).await;
    let claims = finish(server, &browser, done).await;
    assert_eq!(claims["amr"], json!(["pwd", "swk", "mfa"]));

    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let done = login.answer(&browser, &key.assert(&login.options())).await;
    let claims = finish(server, &browser, done).await;
    assert_eq!(claims["amr"], json!(["swk", "mfa"]));
}

// --- b. Answers that must not log in ---------------------------------------------------------

#[tokio::test]
async fn an_assertion_made_for_another_origin_is_refused() {
    refused_then_accepted(Tweaks {
        origin: Some("https://login.evil.example".into()),
        ..Tweaks::default()
    })
    .await;
}

#[tokio::test]
async fn an_assertion_scoped_to_another_rp_id_is_refused() {
    refused_then_accepted(Tweaks {
        rp_id: Some("evil.example".into()),
        ..Tweaks::default()
    })
    .await;
}

#[tokio::test]
async fn an_assertion_signed_over_another_challenge_is_refused() {
    refused_then_accepted(Tweaks {
        challenge: Some(random(32)),
        ..Tweaks::default()
    })
    .await;
}

#[tokio::test]
async fn an_assertion_without_user_verification_is_refused() {
    refused_then_accepted(Tweaks {
        skip_user_verification: true,
        ..Tweaks::default()
    })
    .await;
}

#[tokio::test]
async fn a_registration_signature_offered_as_an_assertion_is_refused() {
    refused_then_accepted(Tweaks {
        client_data_type: Some("webauthn.create".into()),
        ..Tweaks::default()
    })
    .await;
}

#[tokio::test]
async fn a_signature_counter_that_did_not_increase_is_refused() {
    let (m, mut key) = enrolled().await;
    let server = &m.server;
    let at = |counter| Tweaks {
        counter: Some(counter),
        ..Tweaks::default()
    };
    let browser = Browser::new();
    let page = challenge(server, &browser).await;
    let five = key.assert_with(&page.options(), &at(5));
    let claims = finish(server, &browser, page.answer(&browser, &five).await).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));

    // A clone of the authenticator, whose counter stayed at or behind 5.
    let browser = Browser::new();
    let mut page = challenge(server, &browser).await;
    for lagging in [5, 3] {
        let answer = key.assert_with(&page.options(), &at(lagging));
        let ceremony = page.ceremony();
        page = expect_refused(server, &browser, &page, &ceremony, &answer, REFUSED).await;
    }
    assert_eq!(key.last().counter, 5);
    let six = key.assert(&page.options());
    let claims = finish(server, &browser, page.answer(&browser, &six).await).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
}

#[tokio::test]
async fn a_ceremony_and_its_answer_are_accepted_once() {
    let (m, mut key) = enrolled().await;
    let server = &m.server;

    // A login by passkey that worked (on to a consent page), posted again: refused.
    let browser = Browser::new();
    let login = login_page(server, &browser, &[("prompt", "consent")]).await;
    let answer = key.assert(&login.options());
    let ceremony = login.ceremony();
    let accepted = login.post_passkey(&browser, &ceremony, &answer).await;
    assert_eq!(accepted.url.path(), "/u/consent", "{}", accepted.html);
    let replayed = login.post_passkey(&browser, &ceremony, &answer).await;
    assert_eq!(
        replayed.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        replayed.html
    );
    assert_eq!(replayed.url.path(), "/u/login/passkey");
    assert!(replayed.html.contains(REFUSED), "{}", replayed.html);

    // A second factor's ceremony is spent by its first answer, even a refused one: a right
    // answer to it afterwards is refused too; the new ceremony's is not.
    let browser = Browser::new();
    let page = challenge(server, &browser).await;
    let ceremony = page.ceremony();
    let unverified = Tweaks {
        skip_user_verification: true,
        ..Tweaks::default()
    };
    let wrong = key.assert_with(&page.options(), &unverified);
    let again = expect_refused(server, &browser, &page, &ceremony, &wrong, REFUSED).await;
    let right = key.assert(&page.options());
    let again = expect_refused(server, &browser, &again, &ceremony, &right, REFUSED).await;
    let fresh = key.assert(&again.options());
    let (ceremony, done) = (again.ceremony(), again.answer(&browser, &fresh).await);
    assert!(done.at_callback() || done.url.path() == "/u/consent");
    // And posted again once it worked: the authorization owes no second factor any more.
    let replayed = again.post_passkey(&browser, &ceremony, &fresh).await;
    assert!(
        replayed.status.is_client_error() && !replayed.at_callback(),
        "{} {}: {}",
        replayed.status,
        replayed.url,
        replayed.html
    );
    let claims = finish(server, &browser, done).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
}

#[tokio::test]
async fn a_ceremony_sealed_for_another_authorization_is_refused() {
    let (m, mut key) = enrolled().await;
    let server = &m.server;
    let first = Browser::new();
    let first_page = challenge(server, &first).await;
    let second = Browser::new();
    let second_page = challenge(server, &second).await;

    // The first authorization's ceremony and a right answer to it, posted in the second.
    let answer = key.assert(&first_page.options());
    let ceremony = first_page.ceremony();
    expect_refused(server, &second, &second_page, &ceremony, &answer, REFUSED).await;

    // Where it belongs, the same answer logs in.
    let done = first_page.post_passkey(&first, &ceremony, &answer).await;
    let claims = finish(server, &first, done).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
}

#[tokio::test]
async fn a_ceremony_of_another_kind_is_refused() {
    let (m, mut key) = enrolled().await;
    let server = &m.server;
    // The login page's ceremony (a login by passkey) and the challenge after the password
    // belong to the same authorization.
    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let response = browser
        .submit_login(&login.url, &login.html, USERNAME, PASSWORD)
        .await;
    let page = Page::of(&browser, response, &login.url).await;
    assert_eq!(page.url.path(), CHALLENGE, "{}", page.html);
    assert_eq!(page.field("state"), login.field("state"));

    let answer = key.assert(&login.options());
    let ceremony = login.ceremony();
    let again = expect_refused(server, &browser, &page, &ceremony, &answer, REFUSED).await;
    let fresh = key.assert(&again.options());
    let claims = finish(server, &browser, again.answer(&browser, &fresh).await).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
}

#[tokio::test]
async fn a_ceremony_older_than_five_minutes_is_refused() {
    let (m, mut key) = enrolled().await;
    let server = &m.server;

    // Answered just within five minutes: accepted.
    let browser = Browser::new();
    let page = challenge(server, &browser).await;
    let answer = key.assert(&page.options());
    server.clock.advance(299);
    let claims = finish(server, &browser, page.answer(&browser, &answer).await).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));

    // Answered after five minutes: refused; the new ceremony shown then works.
    let browser = Browser::new();
    let page = challenge(server, &browser).await;
    let answer = key.assert(&page.options());
    server.clock.advance(301);
    let ceremony = page.ceremony();
    let again = expect_refused(server, &browser, &page, &ceremony, &answer, REFUSED).await;
    let fresh = key.assert(&again.options());
    let claims = finish(server, &browser, again.answer(&browser, &fresh).await).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
}

#[tokio::test]
async fn a_passkey_removed_through_the_management_api_signs_no_one_in() {
    let (m, mut key) = enrolled().await;
    let server = &m.server;
    let user_id = m.seed_user_id().await;

    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let done = login.answer(&browser, &key.assert(&login.options())).await;
    assert_eq!(
        finish(server, &browser, done).await["amr"],
        json!(["hwk", "mfa"])
    );

    let passkeys = passkeys_of(&m, &user_id).await;
    assert_eq!(passkeys.len(), 1, "{passkeys:?}");
    let method_id = passkeys[0]["id"].as_str().unwrap();
    let path = format!("{}/{}", methods_path(&user_id), encoded(method_id));
    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    assert!(passkeys_of(&m, &user_id).await.is_empty());

    // Alone from the login page: refused.
    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let answer = key.assert(&login.options());
    let ceremony = login.ceremony();
    expect_refused(server, &browser, &login, &ceremony, &answer, REFUSED).await;

    // After the password: no challenge for it any more — a new passkey is asked for.
    let page = password(server, &Browser::new(), USERNAME).await;
    assert_eq!(page.url.path(), ENROLLMENT, "{}", page.html);
}

#[tokio::test]
async fn a_blocked_users_passkey_signs_no_one_in() {
    let (m, mut key) = enrolled().await;
    let server = &m.server;
    let user_path = format!("/api/v2/users/{}", encoded(&m.seed_user_id().await));

    let blocked = m.patch(&user_path, json!({ "blocked": true })).await;
    expect_status(blocked, StatusCode::OK).await;
    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let answer = key.assert(&login.options());
    let ceremony = login.ceremony();
    expect_refused(server, &browser, &login, &ceremony, &answer, BLOCKED).await;

    // Unblocked, the same passkey signs in again.
    let unblocked = m.patch(&user_path, json!({ "blocked": false })).await;
    expect_status(unblocked, StatusCode::OK).await;
    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let done = login.answer(&browser, &key.assert(&login.options())).await;
    assert_eq!(
        finish(server, &browser, done).await["amr"],
        json!(["hwk", "mfa"])
    );
}

#[tokio::test]
async fn a_discoverable_login_whose_user_handle_is_not_the_passkeys_is_refused() {
    let (m, mut key) = enrolled().await;
    let server = &m.server;
    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let someone_else = Tweaks {
        user_handle: Some(Some(random(16))),
        ..Tweaks::default()
    };
    let answer = key.assert_with(&login.options(), &someone_else);
    let ceremony = login.ceremony();
    let again = expect_refused(server, &browser, &login, &ceremony, &answer, REFUSED).await;
    let done = again.answer(&browser, &key.assert(&again.options())).await;
    assert_eq!(
        finish(server, &browser, done).await["amr"],
        json!(["hwk", "mfa"])
    );
}

#[tokio::test]
async fn a_credential_id_registered_to_another_user_is_refused() {
    let m = start(SECOND_FACTOR).await;
    let server = &m.server;
    let mut janes = SoftAuthenticator::new(&server.issuer);
    enroll(server, &mut janes, USERNAME, &Tweaks::default()).await;
    let body = json!({ "email": OTHER_EMAIL, "password": OTHER_PASSWORD });
    m.create("/api/v2/users", body).await;

    // Ada's authenticator makes a credential with Jane's credential id.
    let mut adas = SoftAuthenticator::new(&server.issuer);
    let browser = Browser::new();
    let page = password(server, &browser, OTHER_EMAIL).await;
    assert_eq!(page.url.path(), ENROLLMENT, "{}", page.html);
    let taken = Tweaks {
        credential_id: Some(janes.last().id.clone()),
        ..Tweaks::default()
    };
    let answer = adas.register_with(&page.options(), &taken);
    let ceremony = page.ceremony();
    let again = expect_refused(server, &browser, &page, &ceremony, &answer, REFUSED).await;

    // A credential of her own is accepted; Jane's passkey is still Jane's.
    let saved = again
        .answer(&browser, &adas.register(&again.options()))
        .await;
    let claims = save_recovery_code(server, &browser, saved).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
    let browser = Browser::new();
    let page = challenge(server, &browser).await;
    let done = page.answer(&browser, &janes.assert(&page.options())).await;
    let claims = finish(server, &browser, done).await;
    assert_eq!(claims["sub"], m.seed_user_id().await.as_str());
}

// --- c. The offer after a password -----------------------------------------------------------

#[tokio::test]
async fn a_passkey_offered_after_the_password_can_be_declined_or_made() {
    let offer = Tenant {
        second_factor: false,
        on_login_page: true,
        offer: true,
    };
    let m = start(offer).await;
    let server = &m.server;
    let mut key = SoftAuthenticator::new(&server.issuer);

    // "Not now": the login ends with the password alone.
    let browser = Browser::new();
    let page = password(server, &browser, USERNAME).await;
    assert_eq!(page.url.path(), OFFER, "{}", page.html);
    assert!(page.html.contains("id=\"passkey-skip\""), "{}", page.html);
    let skipped = page.submit(&browser, OFFER, &[("skip", "1")]).await;
    assert_eq!(
        finish(server, &browser, skipped).await["amr"],
        json!(["pwd"])
    );

    // Offered again (there is still none), and made: the login was the password's.
    let browser = Browser::new();
    let page = password(server, &browser, USERNAME).await;
    assert_eq!(page.url.path(), OFFER, "{}", page.html);
    let made = page.answer(&browser, &key.register(&page.options())).await;
    assert_eq!(finish(server, &browser, made).await["amr"], json!(["pwd"]));
    assert_eq!(passkeys_of(&m, &m.seed_user_id().await).await.len(), 1);

    // No offer to someone who has one; the passkey signs in alone.
    let browser = Browser::new();
    let page = password(server, &browser, USERNAME).await;
    assert_eq!(finish(server, &browser, page).await["amr"], json!(["pwd"]));
    let browser = Browser::new();
    let login = login_page(server, &browser, &[]).await;
    let done = login.answer(&browser, &key.assert(&login.options())).await;
    assert_eq!(
        finish(server, &browser, done).await["amr"],
        json!(["hwk", "mfa"])
    );
}

#[tokio::test]
async fn the_offer_cannot_stand_in_for_a_second_factor_that_is_due() {
    let both = Tenant {
        second_factor: true,
        on_login_page: true,
        offer: true,
    };
    let m = start(both).await;
    let server = &m.server;
    let mut key = SoftAuthenticator::new(&server.issuer);
    let browser = Browser::new();
    let page = password(server, &browser, USERNAME).await;
    assert_eq!(page.url.path(), ENROLLMENT, "{}", page.html);

    // "Not now" posted to the offer, in an authorization that owes a second factor.
    let skipped = page.submit(&browser, OFFER, &[("skip", "1")]).await;
    assert_eq!(skipped.status, StatusCode::BAD_REQUEST, "{}", skipped.html);
    assert!(!skipped.at_callback());
    assert!(browser.must_log_in(server).await, "no session was made");

    // Nor a passkey made there (which would log in with the password alone).
    let answer = key.register(&page.options());
    let ceremony = page.ceremony();
    let fields = [("ceremony", ceremony.as_str()), ("credential", &answer)];
    let made = page.submit(&browser, OFFER, &fields).await;
    assert_eq!(made.status, StatusCode::BAD_REQUEST, "{}", made.html);
    assert!(browser.must_log_in(server).await, "no session was made");
    assert!(passkeys_of(&m, &m.seed_user_id().await).await.is_empty());

    // The second factor itself still works in that authorization.
    let saved = page.answer(&browser, &key.register(&page.options())).await;
    let claims = save_recovery_code(server, &browser, saved).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
}

// --- d. The Management API -------------------------------------------------------------------

#[tokio::test]
async fn the_management_api_lists_a_passkey_among_the_authentication_methods() {
    let (m, mut key) = enrolled().await;
    let user_id = m.seed_user_id().await;
    let doc = document(&m.server).await;
    let list = ("GET", "/api/v2/users/{id}/authentication-methods");
    let path = methods_path(&user_id);
    let listed = exchange(&m, &doc, list, &path, None, StatusCode::OK).await;
    let kinds: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["type"])
        .collect();
    assert!(kinds.contains(&&json!("recovery-code")), "{listed}");
    let passkeys = passkeys_of(&m, &user_id).await;
    assert_eq!(passkeys.len(), 1, "{listed}");
    let passkey = &passkeys[0];
    assert!(
        passkey["id"].as_str().unwrap().starts_with("passkey|dev_"),
        "{passkey}"
    );
    assert_eq!(passkey["confirmed"], true, "{passkey}");
    assert!(
        passkey.get("secret").is_none() && passkey.get("last_auth_at").is_none(),
        "never used yet: {passkey}"
    );

    // Used once, it says when.
    let browser = Browser::new();
    let login = login_page(&m.server, &browser, &[]).await;
    let done = login.answer(&browser, &key.assert(&login.options())).await;
    finish(&m.server, &browser, done).await;
    let passkeys = passkeys_of(&m, &user_id).await;
    assert!(
        passkeys[0]["last_auth_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{passkeys:?}"
    );
}
