//! Auth0 Actions at token issuance, through the real server: Actions written as in Auth0's
//! documentation, created, deployed and bound with the Management API, shape the tokens of a
//! hosted-page login, of its refresh and of a client credentials exchange; denials and
//! hostile Actions reach the client as Auth0's `access_denied`, never a 5xx, and the server
//! keeps serving.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::management::{client_credentials, encoded, expect_status, Mgmt};
use crate::support::cluster::Database;
use crate::support::*;

const ACTIONS: &str = "/api/v2/actions/actions";
const NAMESPACE: &str = "https://my-app.example.com";

const ADD_ROLES: &str = r#"
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://my-app.example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
    api.accessToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
  }
};"#;

const ADD_EMAIL: &str = r#"
exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://my-app.example.com/email', event.user.email);
};"#;

const FIRST_LOGIN: &str = r#"
exports.onExecutePostLogin = async (event, api) => {
  if (event.stats.logins_count !== 1) { return; }
  api.user.setAppMetadata('onboarding', 'started');
  api.user.setUserMetadata('welcome_shown', true);
};"#;

const DENY_SUSPENDED: &str = r#"
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.suspended) {
    api.user.setAppMetadata('last_refused_client', event.client.client_id);
    api.access.deny(`Access to ${event.client.name} is not allowed.`);
  }
};"#;

/// Creates, deploys and binds (in this order) Actions of `trigger`; returns their ids.
pub(crate) async fn bind(m: &Mgmt, trigger: &str, actions: &[(&str, &str)]) -> Vec<String> {
    let version = if trigger == "post-login" { "v3" } else { "v2" };
    let mut ids = Vec::new();
    for (name, code) in actions {
        let body = json!({
            "name": name,
            "supported_triggers": [{ "id": trigger, "version": version }],
            "code": code,
        });
        let created = m.create(ACTIONS, body).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let response = m.post(&format!("{ACTIONS}/{id}/deploy"), json!({})).await;
        expect_status(response, StatusCode::ACCEPTED).await;
        ids.push(id);
    }
    let bindings: Vec<Value> = actions
        .iter()
        .map(|(name, _)| json!({ "ref": { "type": "action_name", "value": name }, "display_name": name }))
        .collect();
    let path = format!("/api/v2/actions/triggers/{trigger}/bindings");
    let response = m.patch(&path, json!({ "bindings": bindings })).await;
    expect_status(response, StatusCode::OK).await;
    ids
}

async fn unbind_all(m: &Mgmt, trigger: &str) {
    let path = format!("/api/v2/actions/triggers/{trigger}/bindings");
    let response = m.patch(&path, json!({ "bindings": [] })).await;
    expect_status(response, StatusCode::OK).await;
}

/// The callback the seed user's browser reaches after signing in.
async fn callback(m: &Mgmt, scope: &str) -> url::Url {
    Browser::new()
        .sign_in(&m.server.authorize_url(&[("scope", scope)]))
        .await
}

async fn sign_in(m: &Mgmt, scope: &str) -> Value {
    let code = m.server.code(&[("scope", scope)]).await;
    m.server.redeem(&code).await
}

async fn refresh(m: &Mgmt, refresh_token: &str) -> reqwest::Response {
    m.server
        .token_form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", refresh_token),
        ])
        .await
}

async fn give_role(m: &Mgmt, user_id: &str, name: &str) {
    let role = m
        .post(
            "/api/v2/roles",
            json!({ "name": name, "description": name }),
        )
        .await;
    let role = expect_status(role, StatusCode::OK).await;
    let response = m
        .post(
            &format!("/api/v2/users/{}/roles", encoded(user_id)),
            json!({ "roles": [role["id"]] }),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
}

async fn roles_and_email_reach_the_tokens_and_refresh_runs_the_actions_again(m: &Mgmt) {
    let jane = m.seed_user_id().await;
    give_role(m, &jane, "clinic-admin").await;
    bind(
        m,
        "post-login",
        &[("Add roles", ADD_ROLES), ("Add email", ADD_EMAIL)],
    )
    .await;

    let tokens = sign_in(m, "openid profile appointments offline_access").await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    let access = jwt_claims(tokens["access_token"].as_str().unwrap());
    let roles = format!("{NAMESPACE}/roles");
    assert_eq!(id_token[&roles], json!(["clinic-admin"]));
    assert_eq!(access[&roles], json!(["clinic-admin"]));
    assert_eq!(access[format!("{NAMESPACE}/email")], json!(EMAIL));
    assert_eq!(access["sub"], json!(jane), "standard claims untouched");

    // A second role shows at the next refresh: the Actions run again there.
    give_role(m, &jane, "clinic-staff").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let refreshed = refresh(m, refresh_token).await;
    let refreshed = expect_status(refreshed, StatusCode::OK).await;
    let access = jwt_claims(refreshed["access_token"].as_str().unwrap());
    let mut held: Vec<String> = serde_json::from_value(access[&roles].clone()).unwrap();
    held.sort();
    assert_eq!(held, ["clinic-admin", "clinic-staff"]);

    // Unbound, they add nothing to the next token.
    unbind_all(m, "post-login").await;
    let next = refreshed["refresh_token"].as_str().unwrap_or(refresh_token);
    let refreshed = expect_status(refresh(m, next).await, StatusCode::OK).await;
    let access = jwt_claims(refreshed["access_token"].as_str().unwrap());
    assert!(access.get(&roles).is_none(), "{access}");
}

#[tokio::test]
async fn auth0_sample_actions_put_roles_and_email_into_tokens_on_sqlite() {
    let m = Mgmt::start().await;
    roles_and_email_reach_the_tokens_and_refresh_runs_the_actions_again(&m).await;
}

#[tokio::test]
async fn auth0_sample_actions_put_roles_and_email_into_tokens_on_postgresql() {
    let database = Database::create().await;
    let url = database.url.clone();
    let m = Mgmt::start_with(|config| {
        config.database_url = url;
        config.secret = Some("actions-flow-master-secret-0123456789abcdef".into());
    })
    .await;
    roles_and_email_reach_the_tokens_and_refresh_runs_the_actions_again(&m).await;
}

#[tokio::test]
async fn metadata_set_on_first_login_is_persisted() {
    let m = Mgmt::start().await;
    let jane = m.seed_user_id().await;
    bind(&m, "post-login", &[("Onboarding", FIRST_LOGIN)]).await;
    sign_in(&m, "openid").await;
    let user = m.get_ok(&format!("/api/v2/users/{}", encoded(&jane))).await;
    assert_eq!(user["logins_count"], json!(1));
    assert_eq!(user["app_metadata"]["onboarding"], json!("started"));
    assert_eq!(user["user_metadata"]["welcome_shown"], json!(true));
}

#[tokio::test]
async fn an_action_denying_by_app_metadata_sends_access_denied_to_the_callback() {
    let m = Mgmt::start().await;
    let jane = m.seed_user_id().await;
    bind(&m, "post-login", &[("Deny suspended", DENY_SUSPENDED)]).await;
    // Not suspended: a code.
    let url = callback(&m, "openid").await;
    assert!(query_param(&url, "code").is_some(), "{url}");

    let path = format!("/api/v2/users/{}", encoded(&jane));
    let response = m
        .patch(&path, json!({ "app_metadata": { "suspended": true } }))
        .await;
    expect_status(response, StatusCode::OK).await;
    let url = callback(&m, "openid").await;
    assert_eq!(query_param(&url, "code"), None, "{url}");
    assert_eq!(query_param(&url, "error").as_deref(), Some("access_denied"));
    let description = query_param(&url, "error_description").unwrap();
    assert!(description.starts_with("Access to "), "{description}");
    assert!(description.ends_with(" is not allowed."), "{description}");
    assert!(
        query_param(&url, "state").is_some(),
        "the client's state comes back"
    );
    // Auth0 keeps the metadata an Action set before denying.
    let user = m.get_ok(&path).await;
    assert_eq!(
        user["app_metadata"]["last_refused_client"],
        json!(CLIENT_ID)
    );
}

#[tokio::test]
async fn an_action_denying_by_ip_sees_the_browsers_address() {
    let m = Mgmt::start().await;
    // Auth0's sample, with the address the test's browser comes from.
    let deny_by_ip = r#"
exports.onExecutePostLogin = async (event, api) => {
  if (event.request.ip === '127.0.0.1') {
    api.access.deny(`Access from ${event.request.ip} is not allowed.`);
  }
};"#;
    bind(&m, "post-login", &[("Deny by IP", deny_by_ip)]).await;
    let url = callback(&m, "openid").await;
    assert_eq!(
        query_param(&url, "error").as_deref(),
        Some("access_denied"),
        "{url}"
    );
    assert_eq!(
        query_param(&url, "error_description").as_deref(),
        Some("Access from 127.0.0.1 is not allowed.")
    );
}

#[tokio::test]
async fn an_action_denying_at_refresh_is_a_403_access_denied_and_an_audit_event() {
    // With rotation, where a refused refresh must not have spent the token.
    let m =
        Mgmt::start_with(|c| c.clients[0].refresh_token.rotation_type = "rotating".into()).await;
    let tokens = sign_in(&m, "openid appointments offline_access").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let deny = "exports.onExecutePostLogin = async (event, api) => { if (event.transaction.protocol === 'oauth2-refresh-token') api.access.deny('Refresh is paused.'); };";
    bind(&m, "post-login", &[("Pause refresh", deny)]).await;
    let response = refresh(&m, refresh_token).await;
    let body = expect_oauth_error(response, StatusCode::FORBIDDEN, "access_denied").await;
    assert_eq!(body["error_description"], "Refresh is paused.");
    m.server.flush_audit().await;
    let logs = m.get_ok("/api/v2/logs?q=type%3Aferft").await;
    let events = logs.as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0]["description"]
        .as_str()
        .unwrap()
        .contains("Refresh is paused."));
    // Unbound: the same refresh token works (a refused exchange rotated nothing), once.
    unbind_all(&m, "post-login").await;
    let rotated = expect_status(refresh(&m, refresh_token).await, StatusCode::OK).await;
    assert_ne!(
        rotated["refresh_token"].as_str(),
        Some(refresh_token),
        "rotating"
    );
}

#[tokio::test]
async fn hostile_actions_are_contained_and_the_server_keeps_serving() {
    let m = Mgmt::start_with(|config| config.actions_cpu_time_ms = 200).await;
    for (name, code, expected) in [
        (
            "Loop",
            "exports.onExecutePostLogin = async () => { while (true) {} };",
            "CPU time",
        ),
        (
            "Hog",
            "exports.onExecutePostLogin = async () => { const a = []; a.push('x'.repeat(1e8)); };",
            "memory",
        ),
        (
            "Throw",
            "exports.onExecutePostLogin = async () => { throw new Error('boom'); };",
            "boom",
        ),
        (
            "Require",
            "const fs = require('fs'); exports.onExecutePostLogin = async () => {};",
            "require('fs')",
        ),
    ] {
        bind(&m, "post-login", &[(name, code)]).await;
        let url = callback(&m, "openid").await;
        assert_eq!(
            query_param(&url, "error").as_deref(),
            Some("access_denied"),
            "{name}: {url}"
        );
        let description = query_param(&url, "error_description").unwrap();
        assert!(description.contains(expected), "{name}: {description}");
        unbind_all(&m, "post-login").await;
        // The next login, without the Action, works.
        let url = callback(&m, "openid").await;
        assert!(query_param(&url, "code").is_some(), "{name}: {url}");
    }
    m.server.flush_audit().await;
    let logs = m.get_ok("/api/v2/logs?q=type%3Af&per_page=50").await;
    let failed = logs.as_array().unwrap();
    assert!(
        failed.iter().any(|e| e["description"]
            .as_str()
            .is_some_and(|d| d.contains("boom"))),
        "{failed:?}"
    );
}

#[tokio::test]
async fn credentials_exchange_actions_add_claims_and_deny_with_their_code() {
    let m = Mgmt::start().await;
    let machine = m.create_m2m_client("Reporting job").await;
    let (id, secret) = (
        machine["client_id"].as_str().unwrap(),
        machine["client_secret"].as_str().unwrap(),
    );
    m.grant(id, API, &["appointments"]).await;
    let tier = "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://api.example.com/client', event.client.name); };";
    bind(&m, "credentials-exchange", &[("Tier", tier)]).await;
    let response = client_credentials(&m.server, id, secret, API).await;
    let tokens = expect_status(response, StatusCode::OK).await;
    let access = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(
        access["https://api.example.com/client"],
        json!("Reporting job")
    );

    let deny = "exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_request', 'machines rest on Sundays'); };";
    bind(&m, "credentials-exchange", &[("Deny", deny)]).await;
    let response = client_credentials(&m.server, id, secret, API).await;
    let body = expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(body["error_description"], "machines rest on Sundays");
}
