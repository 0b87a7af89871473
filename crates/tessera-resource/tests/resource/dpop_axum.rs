//! DPoP through the axum integration: the `RequireScope` layer and the `Claims` extractor read
//! the `DPoP` scheme and header, name the URI the client used (nested routers included), and
//! answer with RFC 9449 §7.1 challenges. These run on the real clock: proofs are made now.

use std::sync::OnceLock;

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tessera_jwt::dpop::{access_token_hash, ProofClaims};
use tessera_jwt::{Algorithm, SigningKey};
use tessera_resource::{Claims, DpopPolicy, RequireScope, Validator, ValidatorOptions};
use tower::ServiceExt;

const ALGS: &str = "algs=\"RS256 PS256 ES256 EdDSA\"";

fn client_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Algorithm::ES256).expect("generate key"))
}

async fn me(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "jkt": claims.dpop_jkt() }))
}

/// `/api/admin` needs the scopes `admin` and `appointments` (two layers), `/api/appointments`
/// the `appointments` scope, `/api/me` a valid token; the same routes again under `/v1`.
fn app(validator: Validator) -> Router {
    let api = Router::new()
        .route("/api/admin", get(me))
        .route_layer(RequireScope::new(validator.clone(), ["admin"]))
        .route("/api/appointments", get(me))
        .route_layer(RequireScope::new(validator.clone(), ["appointments"]))
        .route("/api/me", get(me))
        .with_state(validator);
    Router::new().nest("/v1", api.clone()).merge(api)
}

async fn setup(dpop: DpopPolicy) -> (JwksServer, Router) {
    let server = JwksServer::start(&[issuer_key()]).await;
    let options = ValidatorOptions {
        dpop,
        ..Default::default()
    };
    let validator = Validator::with_options(server.issuer(), AUDIENCE, options);
    (server, app(validator))
}

fn bound_token(server: &JwksServer) -> String {
    let cnf = json!({ "cnf": { "jkt": client_key().public_jwk().thumbprint() } });
    mint(issuer_key(), &claims_with(&server.issuer(), cnf))
}

/// A fresh proof for `GET http://api.test{path}` with `token`.
fn proof(token: &str, path: &str, jti: &str) -> String {
    let claims = ProofClaims {
        jti: jti.into(),
        htm: "GET".into(),
        htu: format!("http://api.test{path}"),
        iat: now(),
        ath: Some(access_token_hash(token)),
        nonce: None,
    };
    client_key().sign_dpop_proof(&claims).expect("sign proof")
}

/// `GET path` on host `api.test` with `authorization` and the `DPoP` headers `proofs`.
async fn call(app: &Router, path: &str, authorization: Option<&str>, proofs: &[&str]) -> Response {
    let mut request = Request::get(path).header(header::HOST, "api.test");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    for proof in proofs {
        request = request.header("DPoP", *proof);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn challenges(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

async fn json_body(response: Response) -> Value {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn dpop_request_passes_the_scope_layer_and_the_handler_sees_the_binding() {
    let (server, app) = setup(DpopPolicy::Allowed).await;
    let token = bound_token(&server);
    let path = "/api/appointments";
    let proof = proof(&token, path, "layer");
    let response = call(&app, path, Some(&format!("DPoP {token}")), &[&proof]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(response).await;
    assert_eq!(body["sub"], SUB);
    assert_eq!(body["jkt"], client_key().public_jwk().thumbprint());
}

#[tokio::test]
async fn claims_extractor_alone_checks_the_proof_and_its_replay() {
    let (server, app) = setup(DpopPolicy::Allowed).await;
    let token = bound_token(&server);
    let proof = proof(&token, "/api/me", "extractor");
    let authorization = format!("DPoP {token}");

    let response = call(&app, "/api/me", Some(&authorization), &[&proof]).await;
    assert_eq!(response.status(), StatusCode::OK);

    let replayed = call(&app, "/api/me", Some(&authorization), &[&proof]).await;
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&replayed),
        vec![
            format!("DPoP error=\"invalid_dpop_proof\", error_description=\"the DPoP proof was already used\", {ALGS}"),
            "Bearer".to_owned(),
        ]
    );
    assert_eq!(json_body(replayed).await["error"], "invalid_dpop_proof");
}

#[tokio::test]
async fn a_nested_router_checks_htu_against_the_path_the_client_used() {
    let (server, app) = setup(DpopPolicy::Allowed).await;
    let token = bound_token(&server);
    let authorization = format!("DPoP {token}");

    let whole = proof(&token, "/v1/api/me", "whole");
    let response = call(&app, "/v1/api/me", Some(&authorization), &[&whole]).await;
    assert_eq!(response.status(), StatusCode::OK);

    // The path the nested router sees is not the one the client signed for.
    let stripped = proof(&token, "/api/me", "stripped");
    let response = call(&app, "/v1/api/me", Some(&authorization), &[&stripped]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenges(&response)[0].starts_with("DPoP error=\"invalid_dpop_proof\""));
}

#[tokio::test]
async fn bound_token_with_bearer_scheme_is_401_invalid_token() {
    let (server, app) = setup(DpopPolicy::Allowed).await;
    let token = bound_token(&server);
    let response = call(
        &app,
        "/api/appointments",
        Some(&format!("Bearer {token}")),
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let values = challenges(&response);
    assert!(
        values[0].starts_with("Bearer error=\"invalid_token\""),
        "{values:?}"
    );
    assert_eq!(values[1], format!("DPoP {ALGS}"));
}

#[tokio::test]
async fn dpop_scheme_without_the_header_or_with_two_is_401_invalid_dpop_proof() {
    let (server, app) = setup(DpopPolicy::Allowed).await;
    let token = bound_token(&server);
    let authorization = format!("DPoP {token}");
    let first = proof(&token, "/api/me", "first");
    let second = proof(&token, "/api/me", "second");
    for proofs in [vec![], vec![first.as_str(), second.as_str()]] {
        let response = call(&app, "/api/me", Some(&authorization), &proofs).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{} proofs",
            proofs.len()
        );
        assert!(challenges(&response)[0].starts_with("DPoP error=\"invalid_dpop_proof\""));
        assert_eq!(json_body(response).await["error"], "invalid_dpop_proof");
    }
}

#[tokio::test]
async fn insufficient_scope_of_a_dpop_request_is_403_with_a_dpop_challenge() {
    let (server, app) = setup(DpopPolicy::Allowed).await;
    let token = bound_token(&server);
    let proof = proof(&token, "/api/admin", "admin");
    let response = call(
        &app,
        "/api/admin",
        Some(&format!("DPoP {token}")),
        &[&proof],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let values = challenges(&response);
    assert_eq!(values.len(), 1, "{values:?}");
    assert!(
        values[0].starts_with("DPoP error=\"insufficient_scope\""),
        "{values:?}"
    );
    assert!(values[0].contains("scope=\"admin\""), "{values:?}");
}

#[tokio::test]
async fn stacked_layers_check_the_proof_once() {
    let (server, app) = setup(DpopPolicy::Allowed).await;
    let claims = json!({
        "scope": "admin appointments",
        "cnf": { "jkt": client_key().public_jwk().thumbprint() },
    });
    let token = mint(issuer_key(), &claims_with(&server.issuer(), claims));
    let proof = proof(&token, "/api/admin", "stacked");
    let response = call(
        &app,
        "/api/admin",
        Some(&format!("DPoP {token}")),
        &[&proof],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn no_token_is_challenged_with_bearer_and_dpop_when_allowed() {
    let (_server, app) = setup(DpopPolicy::Allowed).await;
    let response = call(&app, "/api/appointments", None, &[]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&response),
        vec!["Bearer".to_owned(), format!("DPoP {ALGS}")]
    );
}

#[tokio::test]
async fn required_dpop_challenges_with_dpop_only_and_refuses_bearer_tokens() {
    let (server, app) = setup(DpopPolicy::Required).await;
    let response = call(&app, "/api/appointments", None, &[]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&response), vec![format!("DPoP {ALGS}")]);

    let unbound = mint(issuer_key(), &claims(&server.issuer()));
    let response = call(
        &app,
        "/api/appointments",
        Some(&format!("Bearer {unbound}")),
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let values = challenges(&response);
    assert_eq!(values.len(), 1, "{values:?}");
    assert!(
        values[0].starts_with("DPoP error=\"invalid_token\""),
        "{values:?}"
    );

    let token = bound_token(&server);
    let proof = proof(&token, "/api/appointments", "required");
    let response = call(
        &app,
        "/api/appointments",
        Some(&format!("DPoP {token}")),
        &[&proof],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}
