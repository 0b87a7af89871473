//! Auth0's documentation samples, unchanged.

use serde_json::json;

use crate::{denial, engine, exchange, post_login, script};

#[tokio::test]
async fn auth0_sample_adding_roles_to_tokens_runs_unchanged() {
    // Auth0, "Add user roles to ID and Access tokens" (post-login trigger page).
    let code = r#"
/**
* @param {Event} event - Details about the user and the context in which they are logging in.
* @param {PostLoginAPI} api - Interface whose methods can be used to change the behavior of the login.
*/
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://my-app.example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
    api.accessToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
  }
}"#;
    let outcome = post_login(&engine(), vec![script("roles", code)])
        .await
        .unwrap();
    let roles = json!(["admin", "editor"]);
    assert_eq!(
        outcome.id_token_claims["https://my-app.example.com/roles"],
        roles
    );
    assert_eq!(
        outcome.access_token_claims["https://my-app.example.com/roles"],
        roles
    );
}

#[tokio::test]
async fn auth0_sample_adding_email_to_access_token_runs_unchanged() {
    let code = r#"exports.onExecutePostLogin = async (event, api) => {
  // This adds the authenticated user's email address to the access token.
  if (event.authorization) {
    const namespace = 'https://my-app.example.com';
    api.accessToken.setCustomClaim(`${namespace}/email`, event.user.email);
  }
};"#;
    let outcome = post_login(&engine(), vec![script("email", code)])
        .await
        .unwrap();
    assert_eq!(
        outcome.access_token_claims["https://my-app.example.com/email"],
        json!("ada@example.com")
    );
    assert!(outcome.id_token_claims.is_empty());
}

#[tokio::test]
async fn auth0_sample_denying_by_ip_denies_with_the_reason() {
    let code = r#"exports.onExecutePostLogin = async (event, api) => {
  if (event.request.ip === "10.0.0.7") {
    api.access.deny("Access from your IP address is not allowed.");
  }
};"#;
    let failure = post_login(&engine(), vec![script("ip", code)])
        .await
        .unwrap_err();
    assert_eq!(
        denial(&failure),
        ("Access from your IP address is not allowed.", None)
    );
}

#[tokio::test]
async fn auth0_sample_denying_by_app_metadata_denies_only_matching_users() {
    let code = r#"exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.plan === "gold" && event.client.name === "Web") {
    api.access.deny(`Access to ${event.client.name} is not allowed.`);
  }
};"#;
    let failure = post_login(&engine(), vec![script("plan", code)])
        .await
        .unwrap_err();
    assert_eq!(denial(&failure), ("Access to Web is not allowed.", None));
    let other = code.replace("gold", "silver");
    let outcome = post_login(&engine(), vec![script("plan", &other)])
        .await
        .unwrap();
    assert!(outcome.id_token_claims.is_empty());
}

#[tokio::test]
async fn auth0_sample_setting_metadata_on_first_login_sets_it_once() {
    // Auth0, "Manage User Metadata with the post-login Action Trigger", on the first login.
    let code = r#"exports.onExecutePostLogin = async (event, api) => {
  if (event.stats.logins_count !== 1) {
    return;
  }
  if (event.user.app_metadata.didAnExpensiveTask) {
    console.log(`Skipping the expensive task because it already occurred for ${event.user.email}.`);
    return;
  }
  api.user.setAppMetadata("didAnExpensiveTask", true);
  api.user.setUserMetadata("favorite_color", "blue");
};"#;
    let outcome = post_login(&engine(), vec![script("first", code)])
        .await
        .unwrap();
    assert_eq!(outcome.app_metadata["didAnExpensiveTask"], json!(true));
    assert_eq!(outcome.user_metadata["favorite_color"], json!("blue"));
}

#[tokio::test]
async fn auth0_credentials_exchange_samples_add_a_claim_and_deny_with_a_code() {
    let engine = engine();
    let claim = r#"exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim("https://my-api.exampleco.com/request-ip", event.request.ip);
  api.accessToken.setCustomClaim("tier", event.client.metadata.tier);
};"#;
    let outcome = exchange(&engine, vec![script("claim", claim)])
        .await
        .unwrap();
    assert_eq!(
        outcome.access_token_claims["https://my-api.exampleco.com/request-ip"],
        json!("10.0.0.8")
    );
    assert_eq!(outcome.access_token_claims["tier"], json!("gold"));
    let deny = r#"exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.request.ip !== "192.0.2.1") {
    api.access.deny('invalid_request', "Access from this IP address is not allowed.");
  }
};"#;
    let failure = exchange(&engine, vec![script("deny", deny)])
        .await
        .unwrap_err();
    assert_eq!(
        denial(&failure),
        (
            "Access from this IP address is not allowed.",
            Some("invalid_request")
        )
    );
}

#[tokio::test]
async fn module_exports_objects_and_non_namespaced_claims_work() {
    let code = r#"module.exports = {
  onExecutePostLogin: async (event, api) => {
    api.idToken.setCustomClaim('myClaim', 'this is a private, non namespaced claim');
  },
};"#;
    let outcome = post_login(&engine(), vec![script("module", code)])
        .await
        .unwrap();
    assert_eq!(
        outcome.id_token_claims["myClaim"],
        json!("this is a private, non namespaced claim")
    );
}
