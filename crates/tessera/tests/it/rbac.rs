//! Auth0's RBAC in tokens: with `enforce_policies` on an API, a user's access token holds only
//! the requested scopes the user holds as permissions (through roles or directly), the
//! `_authz` dialects add the `permissions` claim, a removed role or permission is gone from the
//! next token (refresh included), and the example API's `RequirePermission` route follows.

use axum::body::Body;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera_example_api::{router, AUDIENCE, CLINIC_PERMISSION};
use tessera_resource::Validator;
use tower::ServiceExt;

use crate::management::{encoded, expect_status, Mgmt};
use crate::support::*;

const SCOPE: &str = "openid appointments contacts read:clinic offline_access";

/// The seed's API with a `read:clinic` permission, RBAC on, and permissions in its tokens.
async fn rbac_on(m: &Mgmt, dialect: &str) {
    let path = format!("/api/v2/resource-servers/{AUDIENCE}");
    let response = m
        .patch(
            &path,
            json!({
                "scopes": [
                    { "value": "appointments", "description": "Manage your appointments" },
                    { "value": "contacts", "description": "Read your contacts" },
                    { "value": CLINIC_PERMISSION, "description": "Read the clinic's appointments" },
                ],
                "enforce_policies": true,
                "token_dialect": dialect,
            }),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
}

fn permission(name: &str) -> Value {
    json!({ "resource_server_identifier": AUDIENCE, "permission_name": name })
}

async fn role_with(m: &Mgmt, name: &str, permissions: &[&str]) -> String {
    let response = m
        .post(
            "/api/v2/roles",
            json!({ "name": name, "description": name }),
        )
        .await;
    // Auth0 answers a created role with 200.
    let role = expect_status(response, StatusCode::OK).await;
    let id = role["id"].as_str().unwrap().to_owned();
    let body =
        json!({ "permissions": permissions.iter().map(|p| permission(p)).collect::<Vec<_>>() });
    let response = m
        .post(&format!("/api/v2/roles/{id}/permissions"), body)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    id
}

/// Tokens for the seed user after signing in through the hosted pages, with `scope`.
async fn sign_in(m: &Mgmt, scope: &str) -> Value {
    let code = m.server.code(&[("scope", scope)]).await;
    m.server.redeem(&code).await
}

async fn refresh(m: &Mgmt, refresh_token: &str) -> Value {
    let response = m
        .server
        .token_form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", refresh_token),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn scope_and_permissions(tokens: &Value) -> (String, Value) {
    let claims = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(
        claims["scope"], tokens["scope"],
        "the response says what the token holds"
    );
    (
        claims["scope"].as_str().unwrap().to_owned(),
        claims.get("permissions").cloned().unwrap_or(Value::Null),
    )
}

/// `GET path` on the example API with `tokens`' access token: its status.
async fn example_api(m: &Mgmt, path: &str, tokens: &Value) -> StatusCode {
    let api = router(Validator::new(m.server.issuer.clone(), AUDIENCE));
    let request = axum::http::Request::get(path)
        .header(
            "authorization",
            format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
        )
        .body(Body::empty())
        .unwrap();
    api.oneshot(request).await.unwrap().status()
}

#[tokio::test]
async fn a_roles_permission_is_in_the_token_and_gone_after_it_is_removed() {
    let m = Mgmt::start().await;
    rbac_on(&m, "access_token_authz").await;
    let jane = m.seed_user_id().await;

    // No role yet: none of the API's permissions, the OIDC scopes as asked.
    let tokens = sign_in(&m, SCOPE).await;
    let (scope, permissions) = scope_and_permissions(&tokens);
    assert_eq!(scope, "openid offline_access");
    assert_eq!(permissions, json!([]));
    assert_eq!(
        example_api(&m, "/api/clinic/appointments", &tokens).await,
        StatusCode::FORBIDDEN
    );

    let staff = role_with(&m, "Clinic staff", &["appointments", CLINIC_PERMISSION]).await;
    let response = m
        .post(
            &format!("/api/v2/users/{}/roles", encoded(&jane)),
            json!({ "roles": [staff] }),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let tokens = sign_in(&m, SCOPE).await;
    let (scope, permissions) = scope_and_permissions(&tokens);
    assert_eq!(scope, "openid appointments read:clinic offline_access");
    assert_eq!(permissions, json!(["appointments", CLINIC_PERMISSION]));
    assert_eq!(
        example_api(&m, "/api/clinic/appointments", &tokens).await,
        StatusCode::OK
    );
    assert_eq!(
        example_api(&m, "/api/contacts", &tokens).await,
        StatusCode::FORBIDDEN,
        "contacts was asked for but is not held"
    );

    // A permission given to the user directly counts too (in `permissions` at once; in the
    // scope of a new authorization).
    let response = m
        .post(
            &format!("/api/v2/users/{}/permissions", encoded(&jane)),
            json!({ "permissions": [permission("contacts")] }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let refreshed = refresh(&m, tokens["refresh_token"].as_str().unwrap()).await;
    let (scope, permissions) = scope_and_permissions(&refreshed);
    assert_eq!(scope, "openid appointments read:clinic offline_access");
    assert_eq!(
        permissions,
        json!(["appointments", "contacts", CLINIC_PERMISSION])
    );

    // The role loses read:clinic: the next refresh's token no longer has it.
    let response = m
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v2/roles/{staff}/permissions"),
            Some(json!({ "permissions": [permission(CLINIC_PERMISSION)] })),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let refreshed = refresh(&m, refreshed["refresh_token"].as_str().unwrap()).await;
    let (scope, permissions) = scope_and_permissions(&refreshed);
    assert_eq!(scope, "openid appointments offline_access");
    assert_eq!(permissions, json!(["appointments", "contacts"]));
    assert_eq!(
        example_api(&m, "/api/clinic/appointments", &refreshed).await,
        StatusCode::FORBIDDEN
    );

    // The role taken from the user: only the direct permission is left.
    let response = m
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v2/users/{}/roles", encoded(&jane)),
            Some(json!({ "roles": [staff] })),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let refreshed = refresh(&m, refreshed["refresh_token"].as_str().unwrap()).await;
    let (scope, permissions) = scope_and_permissions(&refreshed);
    assert_eq!(scope, "openid offline_access");
    assert_eq!(permissions, json!(["contacts"]));

    // Every change is in the audit log as a Management API operation, naming who changed.
    m.server.flush_audit().await;
    let logs = m.get_ok("/api/v2/logs?per_page=100").await;
    let described: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "sapi")
        .filter_map(|e| e["description"].as_str())
        .collect();
    for change in [
        "Create a role",
        "Add permissions to a role",
        "Assign roles to a user",
        "Assign permissions to a user",
        "Remove permissions from a role",
        "Remove roles from a user",
    ] {
        assert!(described.contains(&change), "{change} in {described:?}");
    }
}

#[tokio::test]
async fn consent_shows_only_what_the_user_holds_and_is_asked_again_when_it_grows() {
    let m = Mgmt::start().await;
    rbac_on(&m, "rfc9068_profile").await;
    let jane = m.seed_user_id().await;
    let staff = role_with(&m, "Reception", &["appointments"]).await;
    let response = m
        .post(
            &format!("/api/v2/roles/{staff}/users"),
            json!({ "users": [jane] }),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());

    let browser = Browser::new();
    let url = m.server.authorize_url(&[("scope", SCOPE)]);
    let base = reqwest::Url::parse(&url).unwrap();
    let (login, login_url) = browser.follow(browser.get(&url).await, &base).await;
    let html = login.text().await.unwrap();
    let next = browser
        .submit_login(&login_url, &html, USERNAME, PASSWORD)
        .await;
    let (consent, consent_url) = browser.follow(next, &login_url).await;
    assert_eq!(consent_url.path(), "/u/consent");
    let html = consent.text().await.unwrap();
    assert!(html.contains("Manage your appointments"), "{html}");
    assert!(
        !html.contains("Read your contacts") && !html.contains("clinic"),
        "only what the user holds is offered: {html}"
    );
    let done = browser.submit_consent(&consent_url, &html, "allow").await;
    let (_, callback) = browser.follow(done, &consent_url).await;
    let code = query_param(&callback, "code").unwrap();
    let tokens = m.server.redeem(&code).await;
    let (scope, permissions) = scope_and_permissions(&tokens);
    assert_eq!(scope, "openid appointments offline_access");
    assert_eq!(
        permissions,
        Value::Null,
        "rfc9068_profile has no permissions claim"
    );

    // Remembered: the same request goes straight through.
    let again = browser.sign_in(&url).await;
    assert!(query_param(&again, "code").is_some());

    // A new permission widens what is asked: consent again, for it.
    let response = m
        .post(
            &format!("/api/v2/users/{}/permissions", encoded(&jane)),
            json!({ "permissions": [permission("contacts")] }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (page, page_url) = browser.follow(browser.get(&url).await, &base).await;
    assert_eq!(page_url.path(), "/u/consent");
    let html = page.text().await.unwrap();
    assert!(html.contains("Read your contacts"), "{html}");
}

#[tokio::test]
async fn machine_to_machine_tokens_keep_their_grants_scopes_as_permissions() {
    let m = Mgmt::start().await;
    rbac_on(&m, "access_token_authz").await;
    let worker = m.create_m2m_client("Clinic worker").await;
    let id = worker["client_id"].as_str().unwrap();
    m.grant(id, AUDIENCE, &[CLINIC_PERMISSION]).await;
    let response = m
        .server
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", worker["client_secret"].as_str().unwrap()),
            ("audience", AUDIENCE),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let (scope, permissions) = scope_and_permissions(&tokens);
    assert_eq!(scope, CLINIC_PERMISSION);
    assert_eq!(permissions, json!([CLINIC_PERMISSION]));
    assert_eq!(
        example_api(&m, "/api/clinic/appointments", &tokens).await,
        StatusCode::OK
    );
}
