//! DPoP (RFC 9449) at Tessera's own endpoints, over raw HTTP with proofs signed by
//! `tessera_jwt`: tokens bound to the proven key (`cnf.jkt`, `token_type: DPoP`) as Auth0's
//! sender-constraining table says, `/userinfo` and introspection honouring the binding, a public
//! client's refresh token bound to its key, server nonces, and every kind of bad proof refused
//! without spending the code or token it came with. The client library's side (openid-client)
//! is in compat/node. The tests whose refusals the store decides (replayed proofs, spent codes,
//! bound refresh tokens) run on SQLite and again on PostgreSQL (`…_on_postgres`).

use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use tessera::config::{ClientConfig, ClientGrantConfig, Config, ProofOfPossessionConfig};
use tessera_jwt::dpop::{access_token_hash, ProofClaims};
use tessera_jwt::{Algorithm, SigningKey};

use crate::support::*;

const SPA: &str = "dpop-spa";
const M2M: &str = "dpop-m2m";
const M2M_SECRET: &str = "dpop-m2m-secret-0123456789abcdef0123456789";
const SPA_CALLBACK: &str = "http://127.0.0.1:4000/spa/callback";
const VERIFIER: &str = "dpop-test-verifier-0123456789-0123456789-0123456789";

/// A client's DPoP key, making proofs dated by the server's clock.
struct ProofKey {
    key: SigningKey,
}

static PROOF_COUNTER: AtomicU64 = AtomicU64::new(0);

impl ProofKey {
    fn new(alg: Algorithm) -> ProofKey {
        ProofKey {
            key: SigningKey::generate(alg).unwrap(),
        }
    }

    fn jkt(&self) -> String {
        self.key.public_jwk().thumbprint()
    }

    fn claims(&self, server: &TestServer, method: &str, path: &str) -> ProofClaims {
        ProofClaims {
            jti: format!(
                "proof-{}-{}",
                std::process::id(),
                PROOF_COUNTER.fetch_add(1, Ordering::Relaxed)
            ),
            htm: method.into(),
            htu: server.url(path),
            iat: server.clock.now().0,
            ath: None,
            nonce: None,
        }
    }

    fn sign(&self, claims: &ProofClaims) -> String {
        self.key.sign_dpop_proof(claims).unwrap()
    }

    /// A proof for `POST /oauth/token`.
    fn for_token(&self, server: &TestServer) -> String {
        self.sign(&self.claims(server, "POST", "oauth/token"))
    }

    /// A proof for `GET /userinfo` with `access_token`.
    fn for_userinfo(&self, server: &TestServer, access_token: &str) -> String {
        self.sign(&ProofClaims {
            ath: Some(access_token_hash(access_token)),
            ..self.claims(server, "GET", "userinfo")
        })
    }
}

fn with_dpop_api(required: bool) -> impl FnOnce(&mut Config) {
    move |config: &mut Config| {
        config.apis[0].proof_of_possession = Some(ProofOfPossessionConfig {
            mechanism: "dpop".into(),
            required,
        });
        with_spa_and_machine(config);
    }
}

/// As [`with_dpop_api`] (allowed), with proofs required to carry a server nonce.
fn with_dpop_api_and_nonces(config: &mut Config) {
    with_dpop_api(false)(config);
    config.dpop_require_nonce = true;
}

/// A single-page app (public, PKCE), and a machine-to-machine client granted the API.
fn with_spa_and_machine(config: &mut Config) {
    config.clients.push(ClientConfig {
        client_id: SPA.into(),
        name: "DPoP SPA".into(),
        app_type: "spa".into(),
        callbacks: vec![SPA_CALLBACK.into()],
        ..ClientConfig::default()
    });
    config.clients.push(ClientConfig {
        client_id: M2M.into(),
        client_secret: Some(M2M_SECRET.into()),
        name: "DPoP job".into(),
        app_type: "non_interactive".into(),
        ..ClientConfig::default()
    });
    config.client_grants.push(ClientGrantConfig {
        client_id: M2M.into(),
        audience: API.into(),
        scope: vec!["appointments".into()],
    });
}

fn token_request(server: &TestServer, form: &[(&str, &str)]) -> RequestBuilder {
    http().post(server.url("oauth/token")).form(form)
}

const CLIENT_CREDENTIALS: [(&str, &str); 4] = [
    ("grant_type", "client_credentials"),
    ("client_id", M2M),
    ("client_secret", M2M_SECRET),
    ("audience", API),
];

async fn with_proof(server: &TestServer, form: &[(&str, &str)], proof: &str) -> Response {
    token_request(server, form)
        .header("DPoP", proof)
        .send()
        .await
        .unwrap()
}

async fn userinfo(server: &TestServer, authorization: String, proof: Option<&str>) -> Response {
    let mut request = http()
        .get(server.url("userinfo"))
        .header("authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

/// The 401 of `/userinfo`, its challenge's scheme and error.
async fn refused_at_userinfo(response: Response, scheme: &str, error: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = header(&response, "www-authenticate").unwrap();
    assert!(challenge.starts_with(scheme), "{challenge}");
    assert!(
        challenge.contains(&format!("error=\"{error}\"")),
        "{challenge}"
    );
}

/// The SPA's code for `scope`, through the browser flow with PKCE.
async fn spa_code(server: &TestServer, scope: &str) -> String {
    let challenge = tessera_protocol::pkce::s256(VERIFIER);
    let url = server.authorize_url(&[
        ("client_id", SPA),
        ("redirect_uri", SPA_CALLBACK),
        ("scope", scope),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let callback = Browser::new().sign_in(&url).await;
    query_param(&callback, "code").unwrap()
}

fn spa_redemption(code: &str) -> [(&'static str, &str); 5] {
    [
        ("grant_type", "authorization_code"),
        ("client_id", SPA),
        ("code", code),
        ("redirect_uri", SPA_CALLBACK),
        ("code_verifier", VERIFIER),
    ]
}

#[tokio::test]
async fn a_proof_binds_the_access_token_and_userinfo_then_wants_the_key() {
    proof_binds_tokens_and_userinfo_wants_the_key(
        TestServer::start_with(with_dpop_api(false)).await,
    )
    .await;
}

#[tokio::test]
async fn a_proof_binds_the_access_token_and_userinfo_then_wants_the_key_on_postgres() {
    proof_binds_tokens_and_userinfo_wants_the_key(
        TestServer::start_on_postgres(with_dpop_api(false)).await,
    )
    .await;
}

async fn proof_binds_tokens_and_userinfo_wants_the_key(server: TestServer) {
    let key = ProofKey::new(Algorithm::ES256);
    let code = server.code(&[]).await;
    let response = with_proof(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
        &key.for_token(&server),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(access_token)["cnf"]["jkt"], key.jkt());
    assert!(jwt_claims(tokens["id_token"].as_str().unwrap())
        .get("cnf")
        .is_none());

    let proof = key.for_userinfo(&server, access_token);
    let ok = userinfo(&server, format!("DPoP {access_token}"), Some(&proof)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let claims: Value = ok.json().await.unwrap();
    assert_eq!(claims["email"], EMAIL);

    // The same proof again, the token as a Bearer token, a proof by another key, none at all,
    // a proof that hashes another token, a proof for another method.
    let replayed = userinfo(&server, format!("DPoP {access_token}"), Some(&proof)).await;
    refused_at_userinfo(replayed, "DPoP", "invalid_dpop_proof").await;
    let as_bearer = userinfo(&server, format!("Bearer {access_token}"), None).await;
    refused_at_userinfo(as_bearer, "Bearer", "invalid_token").await;
    let thief = ProofKey::new(Algorithm::ES256);
    let stolen = thief.for_userinfo(&server, access_token);
    let stolen = userinfo(&server, format!("DPoP {access_token}"), Some(&stolen)).await;
    refused_at_userinfo(stolen, "DPoP", "invalid_dpop_proof").await;
    let without = userinfo(&server, format!("DPoP {access_token}"), None).await;
    refused_at_userinfo(without, "DPoP", "invalid_dpop_proof").await;
    let other_token = key.for_userinfo(&server, "another-token");
    let wrong_ath = userinfo(&server, format!("DPoP {access_token}"), Some(&other_token)).await;
    refused_at_userinfo(wrong_ath, "DPoP", "invalid_dpop_proof").await;
    let post_proof = key.sign(&ProofClaims {
        ath: Some(access_token_hash(access_token)),
        ..key.claims(&server, "POST", "userinfo")
    });
    let wrong_htm = userinfo(&server, format!("DPoP {access_token}"), Some(&post_proof)).await;
    refused_at_userinfo(wrong_htm, "DPoP", "invalid_dpop_proof").await;

    // Introspection tells a resource server which key the token needs (RFC 9449 §6.2).
    let introspected: Value = server
        .post_form(
            "oauth/introspect",
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("token", access_token),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["token_type"], "DPoP");
    assert_eq!(introspected["cnf"]["jkt"], key.jkt());
}

#[tokio::test]
async fn bearer_tokens_stay_bearer_tokens_and_are_refused_with_the_dpop_scheme() {
    let server = TestServer::start_with(with_spa_and_machine).await;
    let tokens = server.tokens(&[]).await;
    assert_eq!(tokens["token_type"], "Bearer");
    let access_token = tokens["access_token"].as_str().unwrap();
    assert!(jwt_claims(access_token).get("cnf").is_none());
    let key = ProofKey::new(Algorithm::EdDSA);
    let proof = key.for_userinfo(&server, access_token);
    let as_dpop = userinfo(&server, format!("DPoP {access_token}"), Some(&proof)).await;
    refused_at_userinfo(as_dpop, "DPoP", "invalid_token").await;
    let ok = userinfo(&server, format!("Bearer {access_token}"), None).await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn sender_constraining_follows_the_api_and_client_settings() {
    // An API without proof_of_possession: a proof is checked, and the token is a Bearer token.
    let server = TestServer::start_with(with_spa_and_machine).await;
    let key = ProofKey::new(Algorithm::PS256);
    let response = with_proof(&server, &CLIENT_CREDENTIALS, &key.for_token(&server)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer", "{tokens}");
    drop(server);

    // Allowed: bound with a proof, Bearer without.
    let server = TestServer::start_with(with_dpop_api(false)).await;
    let response = with_proof(&server, &CLIENT_CREDENTIALS, &key.for_token(&server)).await;
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
    let bearer: Value = server
        .token_form(&CLIENT_CREDENTIALS)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bearer["token_type"], "Bearer", "{bearer}");
    drop(server);

    // Required: no token without a proof.
    let server = TestServer::start_with(with_dpop_api(true)).await;
    let refused = server.token_form(&CLIENT_CREDENTIALS).await;
    let body = expect_oauth_error(refused, StatusCode::BAD_REQUEST, "invalid_dpop_proof").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("requires"),
        "{body}"
    );
    let response = with_proof(&server, &CLIENT_CREDENTIALS, &key.for_token(&server)).await;
    assert_eq!(response.status(), StatusCode::OK);
    drop(server);

    // An application that requires proof of possession gets nothing without a proof, and
    // nothing for an API that cannot take bound tokens.
    let requiring = |config: &mut Config| {
        for client in config.clients.iter_mut().filter(|c| c.client_id == M2M) {
            client.require_proof_of_possession = true;
        }
    };
    let server = TestServer::start_with(|config| {
        with_dpop_api(false)(config);
        requiring(config);
    })
    .await;
    let refused = server.token_form(&CLIENT_CREDENTIALS).await;
    expect_oauth_error(refused, StatusCode::BAD_REQUEST, "invalid_dpop_proof").await;
    let response = with_proof(&server, &CLIENT_CREDENTIALS, &key.for_token(&server)).await;
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
    drop(server);
    let server = TestServer::start_with(|config| {
        with_spa_and_machine(config);
        requiring(config);
    })
    .await;
    let refused = with_proof(&server, &CLIENT_CREDENTIALS, &key.for_token(&server)).await;
    expect_oauth_error(refused, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn bad_proofs_are_refused_at_the_token_endpoint_and_spend_nothing() {
    bad_proofs_are_refused_and_spend_nothing(TestServer::start_with(with_dpop_api(false)).await)
        .await;
}

#[tokio::test]
async fn bad_proofs_are_refused_at_the_token_endpoint_and_spend_nothing_on_postgres() {
    bad_proofs_are_refused_and_spend_nothing(
        TestServer::start_on_postgres(with_dpop_api(false)).await,
    )
    .await;
}

async fn bad_proofs_are_refused_and_spend_nothing(server: TestServer) {
    let key = ProofKey::new(Algorithm::ES256);
    let code = server.code(&[]).await;
    let redemption = [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
    ];
    let good = key.claims(&server, "POST", "oauth/token");
    let used = key.sign(&good);
    let first = with_proof(&server, &CLIENT_CREDENTIALS, &used).await;
    assert_eq!(first.status(), StatusCode::OK);
    let now = server.clock.now().0;
    let bad_proofs = [
        ("replayed", used.clone()),
        (
            "another URI",
            key.sign(&ProofClaims {
                htu: server.url("oauth/revoke"),
                ..key.claims(&server, "POST", "oauth/token")
            }),
        ),
        (
            "another method",
            key.sign(&ProofClaims {
                htm: "GET".into(),
                ..key.claims(&server, "POST", "oauth/token")
            }),
        ),
        (
            "too old",
            key.sign(&ProofClaims {
                iat: now - 61,
                ..key.claims(&server, "POST", "oauth/token")
            }),
        ),
        (
            "from the future",
            key.sign(&ProofClaims {
                iat: now + 120,
                ..key.claims(&server, "POST", "oauth/token")
            }),
        ),
        ("not a JWT", "not-a-proof".to_owned()),
        (
            "an access token",
            key.key
                .sign("at+jwt", &key.claims(&server, "POST", "oauth/token"))
                .unwrap(),
        ),
    ];
    for (what, proof) in bad_proofs {
        let refused = with_proof(&server, &redemption, &proof).await;
        let body = expect_oauth_error(refused, StatusCode::BAD_REQUEST, "invalid_dpop_proof").await;
        assert!(body["error_description"].is_string(), "{what}: {body}");
    }
    let two_headers = token_request(&server, &redemption)
        .header("DPoP", key.for_token(&server))
        .header("DPoP", key.for_token(&server))
        .send()
        .await
        .unwrap();
    expect_oauth_error(two_headers, StatusCode::BAD_REQUEST, "invalid_dpop_proof").await;

    // The code survived every refusal.
    let response = with_proof(&server, &redemption, &key.for_token(&server)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
}

#[tokio::test]
async fn a_public_clients_refresh_token_is_bound_to_its_key() {
    public_refresh_token_is_bound_to_its_key(TestServer::start_with(with_dpop_api(false)).await)
        .await;
}

#[tokio::test]
async fn a_public_clients_refresh_token_is_bound_to_its_key_on_postgres() {
    public_refresh_token_is_bound_to_its_key(
        TestServer::start_on_postgres(with_dpop_api(false)).await,
    )
    .await;
}

async fn public_refresh_token_is_bound_to_its_key(server: TestServer) {
    let key = ProofKey::new(Algorithm::ES256);
    let code = spa_code(&server, "openid appointments offline_access").await;
    let form = spa_redemption(&code);
    let response = with_proof(&server, &form, &key.for_token(&server)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", SPA),
        ("refresh_token", refresh_token.as_str()),
    ];

    let without = token_request(&server, &refresh).send().await.unwrap();
    expect_oauth_error(without, StatusCode::BAD_REQUEST, "invalid_dpop_proof").await;
    let thief = ProofKey::new(Algorithm::ES256);
    let stolen = with_proof(&server, &refresh, &thief.for_token(&server)).await;
    expect_oauth_error(stolen, StatusCode::BAD_REQUEST, "invalid_dpop_proof").await;

    let response = with_proof(&server, &refresh, &key.for_token(&server)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed: Value = response.json().await.unwrap();
    assert_eq!(refreshed["token_type"], "DPoP");
    let access_token = refreshed["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(access_token)["cnf"]["jkt"], key.jkt());
    // The rotated successor is bound to the same key.
    let successor = refreshed["refresh_token"].as_str().unwrap();
    let successor = [
        ("grant_type", "refresh_token"),
        ("client_id", SPA),
        ("refresh_token", successor),
    ];
    let stolen = with_proof(&server, &successor, &thief.for_token(&server)).await;
    expect_oauth_error(stolen, StatusCode::BAD_REQUEST, "invalid_dpop_proof").await;
    let response = with_proof(&server, &successor, &key.for_token(&server)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_nonces_on_a_proof_must_carry_a_current_nonce_of_the_server() {
    proofs_must_carry_a_current_nonce(TestServer::start_with(with_dpop_api_and_nonces).await).await;
}

#[tokio::test]
async fn with_nonces_on_a_proof_must_carry_a_current_nonce_of_the_server_on_postgres() {
    proofs_must_carry_a_current_nonce(
        TestServer::start_on_postgres(with_dpop_api_and_nonces).await,
    )
    .await;
}

async fn proofs_must_carry_a_current_nonce(server: TestServer) {
    let key = ProofKey::new(Algorithm::EdDSA);
    let first = with_proof(&server, &CLIENT_CREDENTIALS, &key.for_token(&server)).await;
    let nonce = header(&first, "dpop-nonce").expect("a nonce to use");
    expect_oauth_error(first, StatusCode::BAD_REQUEST, "use_dpop_nonce").await;

    let with_nonce = |nonce: &str| {
        key.sign(&ProofClaims {
            nonce: Some(nonce.to_owned()),
            ..key.claims(&server, "POST", "oauth/token")
        })
    };
    let response = with_proof(&server, &CLIENT_CREDENTIALS, &with_nonce(&nonce)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let next = header(&response, "dpop-nonce").expect("the nonce to use next");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");

    for forged in [
        "made-up",
        "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let refused = with_proof(&server, &CLIENT_CREDENTIALS, &with_nonce(forged)).await;
        assert!(header(&refused, "dpop-nonce").is_some());
        expect_oauth_error(refused, StatusCode::BAD_REQUEST, "use_dpop_nonce").await;
    }
    server.clock.advance(301);
    let stale = with_proof(&server, &CLIENT_CREDENTIALS, &with_nonce(&next)).await;
    let fresh = header(&stale, "dpop-nonce").unwrap();
    expect_oauth_error(stale, StatusCode::BAD_REQUEST, "use_dpop_nonce").await;
    let response = with_proof(&server, &CLIENT_CREDENTIALS, &with_nonce(&fresh)).await;
    assert_eq!(response.status(), StatusCode::OK);
    // Requests without DPoP are not asked for nonces.
    let bearer = server.token_form(&CLIENT_CREDENTIALS).await;
    assert_eq!(bearer.status(), StatusCode::OK);
    assert!(header(&bearer, "dpop-nonce").is_none());
}

#[tokio::test]
async fn a_userinfo_only_token_is_bound_whenever_a_proof_was_sent() {
    let server = TestServer::start().await;
    let key = ProofKey::new(Algorithm::RS256);
    let url = server.authorize_url_without(&["audience"], &[("scope", "openid profile email")]);
    let callback = Browser::new().sign_in(&url).await;
    let userinfo_code = query_param(&callback, "code").unwrap();
    let response = with_proof(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &userinfo_code),
            ("redirect_uri", CALLBACK),
        ],
        &key.for_token(&server),
    )
    .await;
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
    let access_token = tokens["access_token"].as_str().unwrap();
    let proof = key.for_userinfo(&server, access_token);
    let ok = userinfo(&server, format!("DPoP {access_token}"), Some(&proof)).await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn discovery_lists_the_proof_algorithms_and_a_missing_token_gets_both_challenges() {
    let server = TestServer::start().await;
    let doc = server.discovery().await;
    assert_eq!(
        doc["dpop_signing_alg_values_supported"],
        json!(["RS256", "PS256", "ES256", "EdDSA"])
    );
    let response = http().get(server.url("userinfo")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenges: Vec<String> = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        challenges.iter().any(|c| c.starts_with("Bearer")),
        "{challenges:?}"
    );
    assert!(
        challenges
            .iter()
            .any(|c| c.starts_with("DPoP") && c.contains("algs=\"RS256 PS256 ES256 EdDSA\"")),
        "{challenges:?}"
    );
}
