//! The axum integration: the `Claims` extractor and the `RequireScope` and `RequirePermission`
//! layers, with RFC 6750 responses.

use std::time::Duration;

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tessera_resource::{Claims, RequirePermission, RequireScope, Validator, ValidatorOptions};
use tower::ServiceExt;

async fn appointments(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "scope": claims.scope, "client_id": claims.client_id }))
}

async fn me(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub }))
}

async fn public() -> &'static str {
    "hello"
}

/// `/api/appointments` needs the `appointments` scope; `/api/me` only a valid token (through
/// the extractor alone); `/public` nothing.
fn app(validator: Validator) -> Router {
    Router::new()
        .route("/api/appointments", get(appointments))
        .route_layer(RequireScope::new(validator.clone(), ["appointments"]))
        .route("/api/me", get(me))
        .route("/public", get(public))
        .with_state(validator)
}

async fn setup() -> (JwksServer, Router) {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::new(server.issuer(), AUDIENCE);
    (server, app(validator))
}

async fn call(app: &Router, path: &str, authorization: Option<&str>) -> Response {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn challenge(response: &Response) -> &str {
    response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .unwrap_or_else(|| {
            panic!(
                "no WWW-Authenticate header on a {} response",
                response.status()
            )
        })
        .to_str()
        .unwrap()
}

async fn json_body(response: Response) -> Value {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn no_authorization_header_is_401_with_bare_challenge() {
    let (server, app) = setup().await;
    let response = call(&app, "/api/appointments", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), "Bearer");
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn basic_authorization_is_401_with_bare_challenge() {
    let (_server, app) = setup().await;
    let response = call(&app, "/api/appointments", Some("Basic xyz")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), "Bearer");
}

#[tokio::test]
async fn bearer_without_token_is_400_invalid_request() {
    let (_server, app) = setup().await;
    for value in ["Bearer", "Bearer   "] {
        let response = call(&app, "/api/appointments", Some(value)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{value:?}");
        assert!(
            challenge(&response).starts_with("Bearer error=\"invalid_request\""),
            "{}",
            challenge(&response)
        );
    }
}

#[tokio::test]
async fn invalid_token_is_401_invalid_token() {
    let (server, app) = setup().await;
    let forged = sign_raw(
        attacker_key(),
        &json!({ "alg": "RS256", "typ": "at+jwt", "kid": issuer_key().kid() }),
        &claims(&server.issuer()),
    );
    for token in ["abc", forged.as_str()] {
        let response = call(&app, "/api/appointments", Some(&format!("Bearer {token}"))).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let value = challenge(&response).to_owned();
        assert!(
            value.starts_with("Bearer error=\"invalid_token\""),
            "{value}"
        );
        assert!(value.contains("error_description=\""), "{value}");
        let body = json_body(response).await;
        assert_eq!(body["error"], "invalid_token");
    }
}

#[tokio::test]
async fn expired_token_is_401_invalid_token() {
    let (server, app) = setup().await;
    let now = now();
    let token = mint(
        issuer_key(),
        &claims_with(
            &server.issuer(),
            json!({ "iat": now - 3600, "exp": now - 600 }),
        ),
    );
    let response = call(&app, "/api/appointments", Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&response).starts_with("Bearer error=\"invalid_token\""));
}

#[tokio::test]
async fn valid_token_without_the_scope_is_403_insufficient_scope() {
    let (server, app) = setup().await;
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "scope": "read:profile" })),
    );
    let response = call(&app, "/api/appointments", Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let value = challenge(&response).to_owned();
    assert!(
        value.starts_with("Bearer error=\"insufficient_scope\""),
        "{value}"
    );
    assert!(value.contains("scope=\"appointments\""), "{value}");
    let body = json_body(response).await;
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn scope_prefix_is_not_the_scope() {
    let (server, app) = setup().await;
    let token = mint(
        issuer_key(),
        &claims_with(
            &server.issuer(),
            json!({ "scope": "appointments:read appointmentsx" }),
        ),
    );
    let response = call(&app, "/api/appointments", Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn valid_token_with_the_scope_is_200_and_the_handler_sees_the_claims() {
    let (server, app) = setup().await;
    let token = mint(issuer_key(), &claims(&server.issuer()));
    let response = call(&app, "/api/appointments", Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(response).await;
    assert_eq!(body["sub"], SUB);
    assert_eq!(body["scope"], json!(["appointments", "read:profile"]));
    assert_eq!(body["client_id"], CLIENT_ID);
    // The layer validated once and handed the claims to the extractor.
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let (server, app) = setup().await;
    let token = mint(issuer_key(), &claims(&server.issuer()));
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = call(
            &app,
            "/api/appointments",
            Some(&format!("{scheme} {token}")),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn requiring_several_scopes_needs_all_of_them() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::new(server.issuer(), AUDIENCE);
    let app = Router::new()
        .route("/admin", get(me))
        .route_layer(RequireScope::new(
            validator.clone(),
            vec!["appointments".to_owned(), "admin".to_owned()],
        ))
        .with_state(validator);

    let partial = mint(issuer_key(), &claims(&server.issuer()));
    let response = call(&app, "/admin", Some(&format!("Bearer {partial}"))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(challenge(&response).contains("scope=\"admin\""));

    let full = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "scope": "admin appointments" })),
    );
    let response = call(&app, "/admin", Some(&format!("Bearer {full}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn requiring_a_permission_looks_in_the_permissions_claim_not_the_scopes() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::new(server.issuer(), AUDIENCE);
    async fn held(claims: Claims) -> Json<Value> {
        Json(json!({ "permissions": claims.permissions }))
    }
    let app = Router::new()
        .route("/orders", get(held))
        .route_layer(RequirePermission::new(validator.clone(), ["delete:orders"]))
        .with_state(validator);

    // A scope of the same name is not a permission: the user may not do it.
    let scoped = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "scope": "delete:orders" })),
    );
    let response = call(&app, "/orders", Some(&format!("Bearer {scoped}"))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(challenge(&response).contains("error=\"insufficient_scope\""));
    let body = json_body(response).await;
    assert_eq!(
        body["error_description"],
        "the `delete:orders` permission is required"
    );

    let permitted = mint(
        issuer_key(),
        &claims_with(
            &server.issuer(),
            json!({ "permissions": ["read:orders", "delete:orders"] }),
        ),
    );
    let response = call(&app, "/orders", Some(&format!("Bearer {permitted}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json_body(response).await["permissions"],
        json!(["read:orders", "delete:orders"])
    );

    let unsigned = call(&app, "/orders", None).await;
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn claims_extractor_alone_validates() {
    let (server, app) = setup().await;

    let response = call(&app, "/api/me", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), "Bearer");

    let response = call(&app, "/api/me", Some("Basic xyz")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), "Bearer");

    let response = call(&app, "/api/me", Some("Bearer a.b.c")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&response).starts_with("Bearer error=\"invalid_token\""));

    let wrong_aud = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "aud": "other:api" })),
    );
    let response = call(&app, "/api/me", Some(&format!("Bearer {wrong_aud}"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&response).starts_with("Bearer error=\"invalid_token\""));

    // No scope needed on this route.
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "scope": null })),
    );
    let response = call(&app, "/api/me", Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["sub"], SUB);
}

#[tokio::test]
async fn public_route_is_not_guarded() {
    let (_server, app) = setup().await;
    let response = call(&app, "/public", None).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn keys_unavailable_is_503() {
    let issuer = closed_port_issuer();
    let validator = Validator::with_options(
        issuer.clone(),
        AUDIENCE,
        ValidatorOptions {
            fetch_timeout: Duration::from_secs(2),
            ..Default::default()
        },
    );
    let app = app(validator);
    let token = mint(issuer_key(), &claims(&issuer));
    for path in ["/api/appointments", "/api/me"] {
        let response = call(&app, path, Some(&format!("Bearer {token}"))).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        assert_eq!(
            json_body(response).await["error"],
            "temporarily_unavailable"
        );
    }
}

/// The error description echoes the token's `kid` / `alg`. Whatever the attacker puts there,
/// a 401 must still carry a well-formed `WWW-Authenticate` challenge (RFC 6750 §3: the
/// `error_description` is restricted to %x20-21 / %x23-5B / %x5D-7E).
async fn assert_hostile_token_gets_a_clean_challenge(token: &str) {
    let (_server, app) = setup().await;
    let response = call(&app, "/api/appointments", Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("x-injected").is_none());
    let value = response.headers().get(header::WWW_AUTHENTICATE).map(|v| {
        v.to_str()
            .map(str::to_owned)
            .unwrap_or_else(|_| format!("<not visible ASCII: {:?}>", v.as_bytes()))
    });
    assert!(
        value
            .as_deref()
            .is_some_and(|v| v.starts_with("Bearer error=\"invalid_token\"")),
        "token header {:?}: WWW-Authenticate = {value:?}",
        tessera_jwt::decode_header(token).unwrap(),
    );
}

#[tokio::test]
async fn non_ascii_kid_still_gets_an_ascii_challenge() {
    let token = sign_raw(
        attacker_key(),
        &json!({ "alg": "RS256", "typ": "at+jwt", "kid": "ключ" }),
        &claims("http://127.0.0.1/"),
    );
    assert_hostile_token_gets_a_clean_challenge(&token).await;
}

#[tokio::test]
async fn control_characters_in_kid_still_get_a_challenge() {
    let token = sign_raw(
        attacker_key(),
        &json!({ "alg": "RS256", "typ": "at+jwt", "kid": "line\r\nX-Injected: 1" }),
        &claims("http://127.0.0.1/"),
    );
    assert_hostile_token_gets_a_clean_challenge(&token).await;
}

#[tokio::test]
async fn control_characters_in_alg_still_get_a_challenge() {
    let token = assemble(
        &json!({ "alg": "HS256\u{7f}", "typ": "at+jwt", "kid": issuer_key().kid() }),
        &claims("http://127.0.0.1/"),
        b"sig",
    );
    assert_hostile_token_gets_a_clean_challenge(&token).await;
}
