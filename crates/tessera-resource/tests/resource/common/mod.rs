//! Shared helpers: a tiny JWKS server that counts fetches, and token minting / forging.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use tessera_jwt::{Algorithm, JwkSet, SigningKey};
use tessera_resource::BearerError;
use tokio::task::JoinHandle;

/// The API (audience) every test validator protects.
pub const AUDIENCE: &str = "appointments:api";
pub const SUB: &str = "auth0|alice";
pub const CLIENT_ID: &str = "client-123";

/// What the JWKS server serves, shared with the test so it can rotate keys or fail on demand.
#[derive(Default)]
pub struct JwksState {
    pub jwks: RwLock<JwkSet>,
    /// Raw JSON keys appended after `jwks` (e.g. key types this library does not support).
    pub extra_keys: RwLock<Vec<Value>>,
    /// When set, the JWKS endpoint answers 500.
    pub failing: AtomicBool,
    pub fetches: AtomicUsize,
}

/// A JWKS server on 127.0.0.1, serving `/.well-known/jwks.json`.
pub struct JwksServer {
    pub addr: SocketAddr,
    pub state: Arc<JwksState>,
    handle: JoinHandle<()>,
}

async fn serve_jwks(State(state): State<Arc<JwksState>>) -> Response {
    state.fetches.fetch_add(1, Ordering::SeqCst);
    if state.failing.load(Ordering::SeqCst) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
    }
    let set = state.jwks.read().expect("jwks lock").clone();
    let mut keys: Vec<Value> = set
        .keys
        .iter()
        .map(|k| serde_json::to_value(k).expect("jwk json"))
        .collect();
    keys.extend(state.extra_keys.read().expect("extra lock").iter().cloned());
    Json(json!({ "keys": keys })).into_response()
}

impl JwksServer {
    /// Starts a server publishing `keys`.
    pub async fn start(keys: &[&SigningKey]) -> JwksServer {
        let state = Arc::new(JwksState::default());
        *state.jwks.write().expect("jwks lock") = JwkSet {
            keys: keys.iter().map(|k| k.public_jwk()).collect(),
        };
        let app = Router::new()
            .route("/.well-known/jwks.json", get(serve_jwks))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let handle = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        JwksServer {
            addr,
            state,
            handle,
        }
    }

    /// `http://127.0.0.1:PORT/`
    pub fn issuer(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Adds a key to the published set (key rotation: the new key is announced).
    pub fn publish(&self, key: &SigningKey) {
        self.state
            .jwks
            .write()
            .expect("jwks lock")
            .keys
            .push(key.public_jwk());
    }

    /// Replaces the published set.
    pub fn set_keys(&self, keys: &[&SigningKey]) {
        self.state.jwks.write().expect("jwks lock").keys =
            keys.iter().map(|k| k.public_jwk()).collect();
    }

    pub fn add_raw_key(&self, key: Value) {
        self.state.extra_keys.write().expect("extra lock").push(key);
    }

    pub fn set_failing(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// The key the issuer publishes (generated once per test binary; RSA generation is slow).
pub fn issuer_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Algorithm::RS256).expect("generate key"))
}

/// A key the issuer never publishes: what an attacker would sign with.
pub fn attacker_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Algorithm::RS256).expect("generate key"))
}

pub fn new_key() -> SigningKey {
    SigningKey::generate(Algorithm::RS256).expect("generate key")
}

pub fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time fits i64")
}

/// Typical access token claims for `issuer`, valid for five minutes from now.
pub fn claims(issuer: &str) -> Value {
    let now = now();
    json!({
        "iss": issuer,
        "sub": SUB,
        "aud": AUDIENCE,
        "exp": now + 300,
        "iat": now,
        "scope": "appointments read:profile",
        "client_id": CLIENT_ID,
        "jti": "token-1",
    })
}

/// `claims(issuer)` with `changes` merged in (a `null` value removes the claim).
pub fn claims_with(issuer: &str, changes: Value) -> Value {
    let mut claims = claims(issuer);
    let map = claims.as_object_mut().expect("object");
    for (name, value) in changes.as_object().expect("object") {
        if value.is_null() {
            map.remove(name);
        } else {
            map.insert(name.clone(), value.clone());
        }
    }
    claims
}

/// A properly signed `at+jwt` access token.
pub fn mint(key: &SigningKey, claims: &Value) -> String {
    key.sign("at+jwt", claims).expect("sign")
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64_json(value: &Value) -> String {
    b64(&serde_json::to_vec(value).expect("json"))
}

/// A compact JWS built by hand, with whatever signature bytes are given.
pub fn assemble(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64_json(header),
        b64_json(claims),
        b64(signature)
    )
}

/// A compact JWS with an arbitrary header, genuinely RS256-signed by `key` (whatever `kid` the
/// header names).
pub fn sign_raw(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let pair = RsaKeyPair::from_pkcs8(&key.pkcs8().expect("pkcs8")).expect("key pair");
    let signing_input = format!("{}.{}", b64_json(header), b64_json(claims));
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .expect("rsa sign");
    format!("{signing_input}.{}", b64(&signature))
}

/// An address nothing listens on.
pub fn closed_port_issuer() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/")
}

/// Asserts the result is `Err(BearerError::InvalidToken(_))`.
#[track_caller]
pub fn assert_invalid_token<T: std::fmt::Debug>(result: Result<T, BearerError>) -> String {
    match result {
        Err(BearerError::InvalidToken(description)) => description,
        other => panic!("expected BearerError::InvalidToken, got {other:?}"),
    }
}
