//! Scenario C with an Action: one post-login Action that sets two custom claims, bound through
//! the Management API as Auth0's tools bind it, runs at every refresh. Judged by what it adds
//! to one request's p50 latency, both measured over one connection in the same run.

use std::net::SocketAddr;

use serde_json::json;

use crate::rbac::Management;

const BINDINGS: &str = "/api/v2/actions/triggers/post-login/bindings";

/// The Action: two claims, one of them read from the event.
const TWO_CLAIMS: &str = "exports.onExecutePostLogin = async (event, api) => {\n  \
    api.idToken.setCustomClaim('https://bench.example.com/plan', 'gold');\n  \
    api.accessToken.setCustomClaim('https://bench.example.com/email', event.user.email);\n};";

/// Creates, deploys and binds the two-claims Action to post-login.
pub async fn bind_two_claims(addr: SocketAddr, host: &str) -> Result<(), String> {
    let management = Management::connect(addr, host).await?;
    let body = json!({
        "name": "bench two claims",
        "supported_triggers": [{ "id": "post-login", "version": "v3" }],
        "code": TWO_CLAIMS,
    });
    let action = management.post("/api/v2/actions/actions", &body).await?;
    let id = action["id"].as_str().ok_or("an action without an id")?;
    management
        .post(&format!("/api/v2/actions/actions/{id}/deploy"), &json!({}))
        .await?;
    let bindings = json!({ "bindings": [{ "ref": { "type": "action_id", "value": id } }] });
    management.patch(BINDINGS, &bindings).await?;
    Ok(())
}

/// Unbinds every post-login Action, for the scenarios that follow.
pub async fn unbind(addr: SocketAddr, host: &str) -> Result<(), String> {
    let management = Management::connect(addr, host).await?;
    management
        .patch(BINDINGS, &json!({ "bindings": [] }))
        .await?;
    Ok(())
}
