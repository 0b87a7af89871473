//! MFA over the Management API: Auth0's Guardian factors and policies, and a user's
//! authentication methods (the factors they enrolled) listed, fetched and removed — each with
//! Auth0's scope, error and shape, checked against the OpenAPI document.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera_protocol::Timestamp;
use tessera_store::{Authenticator, AuthenticatorKind, MfaStore, SqliteStore};

use crate::management::{encoded, expect_error, expect_status, management_token, send_as, Mgmt};
use crate::management_openapi::{document, exchange};

/// Every factor Auth0 names, in its order.
const FACTORS: [&str; 8] = [
    "push-notification",
    "sms",
    "email",
    "duo",
    "otp",
    "webauthn-roaming",
    "webauthn-platform",
    "recovery-code",
];

const POLICIES: &str = "/api/v2/guardian/policies";

fn factor_path(name: &str) -> String {
    format!("/api/v2/guardian/factors/{name}")
}

/// The names of the factors switched on.
async fn enabled_factors(m: &Mgmt) -> Vec<String> {
    let listed = m.get_ok("/api/v2/guardian/factors").await;
    listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["enabled"] == true)
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A user made through the API; their id.
async fn new_user(m: &Mgmt, email: &str) -> String {
    let body = json!({ "email": email, "password": "a long enough passphrase" });
    let user = m.create("/api/v2/users", body).await;
    user["user_id"].as_str().unwrap().to_owned()
}

/// `/api/v2/users/{id}/authentication-methods` of `user_id`.
fn methods_path(user_id: &str) -> String {
    format!("/api/v2/users/{}/authentication-methods", encoded(user_id))
}

fn method_path(user_id: &str, method_id: &str) -> String {
    format!("{}/{}", methods_path(user_id), encoded(method_id))
}

fn authenticators_path(user_id: &str) -> String {
    format!("/api/v2/users/{}/authenticators", encoded(user_id))
}

/// Stores for `user_id` what the login flow stores when a user enrolls an authenticator app,
/// makes a recovery code and begins a second app: the three ids, oldest first.
async fn enroll(m: &Mgmt, user_id: &str) -> [String; 3] {
    let store = SqliteStore::connect(&m.server.config.database_url)
        .await
        .unwrap();
    let now = m.server.clock.now();
    let local = user_id.trim_start_matches("auth0|");
    let made = |kind: AuthenticatorKind, n: u8| Authenticator {
        id: format!("{}|dev_{n}{}", kind.as_str(), &local[..15]),
        user_id: user_id.to_owned(),
        kind,
        secret: vec![n; 32],
        name: None,
        confirmed: kind == AuthenticatorKind::RecoveryCode,
        created_at: Timestamp(now.0 - 300 + i64::from(n) * 100),
        last_auth_at: None,
        last_step: None,
        credential_id: None,
    };
    let app = made(AuthenticatorKind::Totp, 0);
    store.begin_enrollment(&app).await.unwrap();
    let step = now.0 / 30;
    assert!(store
        .confirm_enrollment(user_id, &app.id, step, now)
        .await
        .unwrap());
    let code = made(AuthenticatorKind::RecoveryCode, 1);
    store.save_recovery_code(&code).await.unwrap();
    let unfinished = made(AuthenticatorKind::Totp, 2);
    store.begin_enrollment(&unfinished).await.unwrap();
    [app.id, code.id, unfinished.id]
}

fn ids(listed: &Value) -> Vec<&str> {
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|method| method["id"].as_str().unwrap())
        .collect()
}

/// The audit events of type `code` (flushed first).
async fn logged(m: &Mgmt, code: &str) -> Vec<Value> {
    m.server.flush_audit().await;
    let events = m.get_ok(&format!("/api/v2/logs?q=type%3A{code}")).await;
    events.as_array().unwrap().clone()
}

#[tokio::test]
async fn only_the_factors_tessera_can_challenge_are_enabled_and_any_is_disabled() {
    let m = Mgmt::start().await;
    let doc = document(&m.server).await;
    let list = ("GET", "/api/v2/guardian/factors");
    let listed = exchange(&m, &doc, list, list.1, None, StatusCode::OK).await;
    let all_off: Vec<Value> = FACTORS
        .iter()
        .map(|name| json!({ "name": name, "enabled": false, "trial_expired": false }))
        .collect();
    assert_eq!(
        listed,
        json!(all_off),
        "every factor is off until switched on"
    );

    let put = ("PUT", "/api/v2/guardian/factors/{name}");
    for name in ["otp", "recovery-code"] {
        let on = Some(json!({ "enabled": true }));
        let answer = exchange(&m, &doc, put, &factor_path(name), on, StatusCode::OK).await;
        assert_eq!(answer, json!({ "enabled": true }));
    }
    assert_eq!(enabled_factors(&m).await, ["otp", "recovery-code"]);

    // Passkeys are supported, but not with this server's issuer, an IP address.
    for name in ["webauthn-roaming", "webauthn-platform"] {
        let on = Some(json!({ "enabled": true }));
        let refused = m.send(Method::PUT, &factor_path(name), on).await;
        let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(
            message.contains("needs an issuer with a domain name"),
            "{message}"
        );
    }

    let supported = [
        "otp",
        "recovery-code",
        "webauthn-roaming",
        "webauthn-platform",
    ];
    for name in FACTORS.iter().filter(|n| !supported.contains(n)) {
        let on = Some(json!({ "enabled": true }));
        let refused = m.send(Method::PUT, &factor_path(name), on).await;
        let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(
            message.contains(&format!("`{name}`"))
                && message
                    .contains("`otp`, `webauthn-roaming`, `webauthn-platform` and `recovery-code`"),
            "{message}"
        );
        let off = m
            .send(
                Method::PUT,
                &factor_path(name),
                Some(json!({ "enabled": false })),
            )
            .await;
        let answer = expect_status(off, StatusCode::OK).await;
        assert_eq!(
            answer,
            json!({ "enabled": false }),
            "disabling any factor is allowed"
        );
    }
    let unknown = m
        .send(
            Method::PUT,
            &factor_path("carrier-pigeon"),
            Some(json!({ "enabled": true })),
        )
        .await;
    expect_error(unknown, StatusCode::NOT_FOUND, Some("inexistent_resource")).await;
    for body in [
        json!({ "enabled": "yes" }),
        json!({}),
        json!({ "enabled": true, "x": 1 }),
    ] {
        let malformed = m.send(Method::PUT, &factor_path("otp"), Some(body)).await;
        expect_error(malformed, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    }
    let off = Some(json!({ "enabled": false }));
    exchange(&m, &doc, put, &factor_path("otp"), off, StatusCode::OK).await;
    assert_eq!(enabled_factors(&m).await, ["recovery-code"]);

    let switched = logged(&m, "gd_module_switch").await;
    let otp: Vec<&Value> = switched
        .iter()
        .filter(|e| e["details"]["factor"] == "otp")
        .collect();
    assert_eq!(otp.len(), 2, "on, then off: {switched:#?}");
}

#[tokio::test]
async fn mfa_policies_round_trip_and_refuse_what_tessera_cannot_apply() {
    let m = Mgmt::start().await;
    let doc = document(&m.server).await;
    let (get, put) = (("GET", POLICIES), ("PUT", POLICIES));
    let ok = StatusCode::OK;
    assert_eq!(exchange(&m, &doc, get, POLICIES, None, ok).await, json!([]));
    let all = Some(json!(["all-applications"]));
    let set = exchange(&m, &doc, put, POLICIES, all, ok).await;
    assert_eq!(set, json!(["all-applications"]));
    assert_eq!(m.get_ok(POLICIES).await, json!(["all-applications"]));

    let adaptive = m
        .send(Method::PUT, POLICIES, Some(json!(["confidence-score"])))
        .await;
    let message = expect_error(adaptive, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(
        message.contains("confidence-score") && message.contains("not supported"),
        "{message}"
    );
    for body in [
        json!(["sometimes"]),
        json!(["all-applications", "never"]),
        json!({ "policies": ["all-applications"] }),
        json!("all-applications"),
        json!([1]),
    ] {
        let refused = m.send(Method::PUT, POLICIES, Some(body.clone())).await;
        let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(!message.is_empty(), "{body}");
    }
    assert_eq!(
        m.get_ok(POLICIES).await,
        json!(["all-applications"]),
        "a refused change changes nothing"
    );
    let none = exchange(&m, &doc, put, POLICIES, Some(json!([])), ok).await;
    assert_eq!(none, json!([]));
    assert_eq!(m.get_ok(POLICIES).await, json!([]));
}

#[tokio::test]
async fn a_users_authentication_methods_are_listed_fetched_and_removed_one_by_one() {
    let m = Mgmt::start().await;
    let doc = document(&m.server).await;
    let ada = new_user(&m, "ada@example.com").await;
    let bob = new_user(&m, "bob@example.com").await;
    let [app, code, unfinished] = enroll(&m, &ada).await;
    let [bobs_app, ..] = enroll(&m, &bob).await;

    let list = ("GET", "/api/v2/users/{id}/authentication-methods");
    let listed = exchange(&m, &doc, list, &methods_path(&ada), None, StatusCode::OK).await;
    assert_eq!(ids(&listed), [&*app, &*code, &*unfinished], "oldest first");
    let methods = listed.as_array().unwrap();
    let kinds: Vec<&Value> = methods.iter().map(|x| &x["type"]).collect();
    assert_eq!(
        kinds,
        [&json!("totp"), &json!("recovery-code"), &json!("totp")]
    );
    let confirmed: Vec<&Value> = methods.iter().map(|x| &x["confirmed"]).collect();
    assert_eq!(confirmed, [&json!(true), &json!(true), &json!(false)]);
    assert!(
        methods[0]["last_auth_at"].as_str().unwrap().ends_with('Z'),
        "{listed}"
    );
    for method in methods {
        assert!(
            method["created_at"].as_str().unwrap().ends_with('Z'),
            "{method}"
        );
        assert!(
            method.get("name").is_none() && method.get("secret").is_none(),
            "{method}"
        );
    }
    assert!(
        methods[1].get("last_auth_at").is_none(),
        "never used: {listed}"
    );

    let second_page = format!(
        "{}?page=1&per_page=2&include_totals=true",
        methods_path(&ada)
    );
    let paged = exchange(&m, &doc, list, &second_page, None, StatusCode::OK).await;
    assert_eq!(
        (
            &paged["start"],
            &paged["limit"],
            &paged["length"],
            &paged["total"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(3)),
        "{paged}"
    );
    assert_eq!(ids(&paged["authenticators"]), [&*unfinished]);

    let one = (
        "GET",
        "/api/v2/users/{id}/authentication-methods/{authentication_method_id}",
    );
    let fetched = exchange(
        &m,
        &doc,
        one,
        &method_path(&ada, &app),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(fetched, methods[0]);

    // Bob's app is not Ada's to read or remove.
    let not_hers = m.get(&method_path(&ada, &bobs_app)).await;
    expect_error(not_hers, StatusCode::NOT_FOUND, Some("inexistent_resource")).await;
    let not_hers = m.delete(&method_path(&ada, &bobs_app)).await;
    expect_error(not_hers, StatusCode::NOT_FOUND, Some("inexistent_resource")).await;
    assert_eq!(ids(&m.get_ok(&methods_path(&bob)).await).len(), 3);

    let delete = ("DELETE", one.1);
    exchange(
        &m,
        &doc,
        delete,
        &method_path(&ada, &code),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    let gone = m.get(&method_path(&ada, &code)).await;
    expect_error(gone, StatusCode::NOT_FOUND, Some("inexistent_resource")).await;
    let again = m.delete(&method_path(&ada, &code)).await;
    expect_error(again, StatusCode::NOT_FOUND, Some("inexistent_resource")).await;
    assert_eq!(
        ids(&m.get_ok(&methods_path(&ada)).await),
        [&*app, &*unfinished]
    );

    let unenrolled = logged(&m, "gd_unenroll").await;
    assert_eq!(unenrolled.len(), 1, "{unenrolled:#?}");
    assert_eq!(unenrolled[0]["user_id"], json!(ada));
    assert_eq!(
        unenrolled[0]["details"]["authentication_method_id"],
        json!(code)
    );
}

#[tokio::test]
async fn removing_every_method_or_resetting_mfa_leaves_the_user_none() {
    let m = Mgmt::start().await;
    let doc = document(&m.server).await;
    let ada = new_user(&m, "ada@example.com").await;
    let bob = new_user(&m, "bob@example.com").await;
    enroll(&m, &ada).await;
    enroll(&m, &bob).await;
    let all = ("DELETE", "/api/v2/users/{id}/authentication-methods");
    exchange(
        &m,
        &doc,
        all,
        &methods_path(&ada),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(m.get_ok(&methods_path(&ada)).await, json!([]));
    assert_eq!(
        ids(&m.get_ok(&methods_path(&bob)).await).len(),
        3,
        "only hers"
    );

    enroll(&m, &ada).await;
    let reset = ("DELETE", "/api/v2/users/{id}/authenticators");
    exchange(
        &m,
        &doc,
        reset,
        &authenticators_path(&ada),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    let totals = format!("{}?include_totals=true", methods_path(&ada));
    assert_eq!(
        m.get_ok(&totals).await,
        json!({ "start": 0, "limit": 50, "length": 0, "total": 0, "authenticators": [] })
    );
    let nothing_left = m.delete(&authenticators_path(&ada)).await;
    expect_status(nothing_left, StatusCode::NO_CONTENT).await;
    let nothing_left = m.delete(&methods_path(&ada)).await;
    expect_status(nothing_left, StatusCode::NO_CONTENT).await;
    assert_eq!(
        logged(&m, "gd_unenroll").await.len(),
        2,
        "only the removals that removed"
    );
}

#[tokio::test]
async fn guardian_and_authentication_methods_need_their_scopes() {
    let m = Mgmt::start().await;
    let granted = m.token.clone();
    let claims = crate::support::jwt_claims(&granted);
    let scopes = claims["scope"].as_str().unwrap();
    for scope in [
        "read:guardian_factors",
        "update:guardian_factors",
        "read:mfa_policies",
        "update:mfa_policies",
        "read:authentication_methods",
        "delete:authentication_methods",
        "delete:guardian_enrollments",
    ] {
        assert!(scopes.split(' ').any(|s| s == scope), "{scope} in {scopes}");
    }

    let ada = new_user(&m, "ada@example.com").await;
    let reader = m.create_m2m_client("MFA reader").await;
    let reader_id = reader["client_id"].as_str().unwrap();
    let read = ["read:authentication_methods", "read:guardian_factors"];
    m.grant(reader_id, &m.audience(), &read).await;
    let secret = reader["client_secret"].as_str().unwrap();
    let token = management_token(&m.server, reader_id, secret).await;
    for path in [methods_path(&ada), "/api/v2/guardian/factors".to_owned()] {
        let allowed = send_as(&m.server, Some(&token), Method::GET, &path, None).await;
        expect_status(allowed, StatusCode::OK).await;
    }
    let refused = [
        (
            Method::DELETE,
            methods_path(&ada),
            None,
            "delete:authentication_methods",
        ),
        (
            Method::DELETE,
            method_path(&ada, "totp|dev_x"),
            None,
            "delete:authentication_methods",
        ),
        (
            Method::DELETE,
            authenticators_path(&ada),
            None,
            "delete:guardian_enrollments",
        ),
        (
            Method::PUT,
            factor_path("otp"),
            Some(json!({ "enabled": true })),
            "update:guardian_factors",
        ),
        (Method::GET, POLICIES.to_owned(), None, "read:mfa_policies"),
        (
            Method::PUT,
            POLICIES.to_owned(),
            Some(json!([])),
            "update:mfa_policies",
        ),
    ];
    for (method, path, body, scope) in refused {
        let response = send_as(&m.server, Some(&token), method.clone(), &path, body).await;
        let message =
            expect_error(response, StatusCode::FORBIDDEN, Some("insufficient_scope")).await;
        assert!(message.contains(scope), "{method} {path}: {message}");
    }
    assert_eq!(
        enabled_factors(&m).await,
        Vec::<String>::new(),
        "nothing changed"
    );
}

#[tokio::test]
async fn an_unknown_user_has_no_authentication_methods_404() {
    let m = Mgmt::start().await;
    let nobody = "auth0|nobody";
    for (method, path) in [
        (Method::GET, methods_path(nobody)),
        (Method::GET, method_path(nobody, "totp|dev_x")),
        (Method::DELETE, method_path(nobody, "totp|dev_x")),
        (Method::DELETE, methods_path(nobody)),
        (Method::DELETE, authenticators_path(nobody)),
    ] {
        let response = m.send(method.clone(), &path, None).await;
        let message = expect_error(response, StatusCode::NOT_FOUND, Some("inexistent_user")).await;
        assert!(message.contains(nobody), "{method} {path}: {message}");
    }
}
