//! Scenario C with RBAC: the API `bench:rbac` enforces policies and puts permissions in its
//! tokens, and the bench user holds 10 roles of 50 permissions each, given through the
//! Management API as Auth0's SDKs give them. Its refresh rotation is judged against plain C
//! in the same run.

use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request};
use serde_json::{json, Value};

use crate::flows;
use crate::load::{get, post_form};
use crate::server::{
    rbac_permission, MANAGEMENT_CLIENT, MANAGEMENT_SECRET, RBAC_API, RBAC_PERMISSIONS,
};

/// Roles the bench user holds, each with [`PER_ROLE`] of the API's permissions.
pub const ROLES: usize = 10;
pub const PER_ROLE: usize = 50;

/// A Management API client for the server at `addr`.
pub(crate) struct Management {
    addr: SocketAddr,
    host: String,
    bearer: String,
}

impl Management {
    pub(crate) async fn connect(addr: SocketAddr, host: &str) -> Result<Management, String> {
        let form = format!(
            "grant_type=client_credentials&client_id={MANAGEMENT_CLIENT}&client_secret={}&audience={}",
            flows::encode(MANAGEMENT_SECRET),
            flows::encode(&format!("http://{host}/api/v2/"))
        );
        let (status, _, body) = flows::call(addr, post_form(host, "/oauth/token", &form)).await?;
        let token = flows::json_field(&body, "access_token")
            .ok_or_else(|| format!("no Management API token ({status})"))?;
        Ok(Management {
            addr,
            host: host.to_owned(),
            bearer: format!("Bearer {token}"),
        })
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        let request = get(&self.host, path, &[("authorization", &self.bearer)]);
        let (status, _, body) = flows::call(self.addr, request).await?;
        answer(status, &body, path)
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        self.send(Method::POST, path, body).await
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Result<Value, String> {
        self.send(Method::PATCH, path, body).await
    }

    async fn send(&self, method: Method, path: &str, body: &Value) -> Result<Value, String> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host)
            .header("authorization", &self.bearer)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let (status, _, body) = flows::call(self.addr, request).await?;
        answer(status, &body, path)
    }
}

fn answer(status: u16, body: &[u8], path: &str) -> Result<Value, String> {
    if !(200..300).contains(&status) {
        return Err(format!(
            "{path} answered {status}: {}",
            String::from_utf8_lossy(body)
        ));
    }
    Ok(serde_json::from_slice(body).unwrap_or(Value::Null))
}

/// Gives the bench user [`ROLES`] roles of [`PER_ROLE`] permissions of `bench:rbac` each.
pub async fn give_roles(addr: SocketAddr, host: &str) -> Result<(), String> {
    debug_assert_eq!(ROLES * PER_ROLE, RBAC_PERMISSIONS);
    let management = Management::connect(addr, host).await?;
    let users = management
        .get("/api/v2/users-by-email?email=bench%40example.com")
        .await?;
    let user_id = users[0]["user_id"]
        .as_str()
        .ok_or_else(|| format!("no bench user: {users}"))?
        .to_owned();
    let mut roles = Vec::new();
    for r in 0..ROLES {
        let role = management
            .post(
                "/api/v2/roles",
                &json!({ "name": format!("bench role {r}"), "description": "bench" }),
            )
            .await?;
        let id = role["id"]
            .as_str()
            .ok_or("a role without an id")?
            .to_owned();
        let permissions: Vec<Value> = (r * PER_ROLE..(r + 1) * PER_ROLE)
            .map(|i| json!({ "resource_server_identifier": RBAC_API, "permission_name": rbac_permission(i) }))
            .collect();
        management
            .post(
                &format!("/api/v2/roles/{id}/permissions"),
                &json!({ "permissions": permissions }),
            )
            .await?;
        roles.push(id);
    }
    management
        .post(
            &format!("/api/v2/users/{}/roles", flows::encode(&user_id)),
            &json!({ "roles": roles }),
        )
        .await?;
    Ok(())
}
