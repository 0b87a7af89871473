//! `tessera import auth0-tenant`: a Deploy CLI export (YAML and directory formats) carried into a
//! running Tessera through its Management API, and into a local store; the imported apps' flows
//! work with their Auth0 ids and secrets; a second run changes nothing.

use std::path::{Path, PathBuf};
use std::process::Output;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    RedirectUrl, Scope, TokenResponse,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::Mgmt;
use crate::support::process::tessera;
use crate::support::*;

const WEB_ID: &str = "Xq3Tn8cR2wLp5vYhJ7kZ0aB4dF6gH9mN";
const WEB_SECRET: &str = "web-secret-from-auth0-Fq8Zt2Lx9Rv4Nc7Wb1Hy6Jm3Kp5Sd0Gt";
const WEB_CALLBACK: &str = "http://127.0.0.1:4000/acme/callback";
const WORKER_ID: &str = "Kd8sQ2vN5mLx7RtB1zWc4YhP9gJ3fA6e";
const WORKER_SECRET: &str = "worker-secret-from-auth0-Ls3Vd8Qw1Xe6Bn4Ty9Ru2Mk7Hj5Cf0Pa";
const SPA_ID: &str = "Pz6Hc1Vb8Nq3Tw5Rm2Lk9Js4Gd7Fa0Ye";
const ORDERS: &str = "https://orders.example.com/";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/auth0-tenant")
        .join(name)
}

/// `tessera ARGS` with no management target from the environment, off the async runtime.
async fn tessera_run(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut command = tessera();
        command
            .args(&args)
            .env_remove("TESSERA_SERVER")
            .env_remove("TESSERA_CLIENT_ID")
            .env_remove("TESSERA_CLIENT_SECRET")
            .env_remove("TESSERA_DATABASE_URL");
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().unwrap()
    })
    .await
    .unwrap()
}

fn arg(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

/// `tessera --server … import auth0-tenant PATH --keywords … --client-secrets … [extra]`
/// against `m`'s server, off the async runtime the server runs on.
async fn import(m: &Mgmt, path: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--server".to_owned(),
        m.server.issuer.clone(),
        "--client-id".to_owned(),
        m.client_id.clone(),
        "--client-secret".to_owned(),
        m.client_secret.clone(),
        "import".to_owned(),
        "auth0-tenant".to_owned(),
        arg(path),
        "--keywords".to_owned(),
        arg(&fixture("config.json")),
        "--client-secrets".to_owned(),
        arg(&fixture("secrets.json")),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    tessera_run(args, Vec::new()).await
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn failed(output: &Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn client_credentials(m: &Mgmt, client_id: &str, secret: &str, audience: &str) -> Value {
    let response = m
        .server
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("audience", audience),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_deploy_cli_export_is_imported_and_its_apps_work_with_their_auth0_ids_and_secrets() {
    let m = Mgmt::start().await;
    let first = succeeded(&import(&m, &fixture("tenant.yaml"), &[]).await);
    for expected in [
        &format!("created API {ORDERS}") as &str,
        "created application `Acme Web`",
        "created application `Acme Worker`",
        "created application `Acme SPA`",
        &format!("created client grant of `Acme Worker` for {ORDERS}"),
        &format!("created client grant of `Acme Worker` for {}", m.audience()),
        "https://*.acme.example/callback",
        "not carried over: http://auth0.com/oauth/grant-type/passwordless/otp",
        "not carried over: read:hooks",
        "rules: 1 not carried over",
        "created role `Order admin`",
        "set session_lifetime = 604800 (seconds)",
        "7 created, 0 updated, 0 unchanged, 0 failed;",
    ] {
        assert!(first.contains(expected), "{expected} in\n{first}");
    }
    assert!(
        !first.contains("new client_secret"),
        "the Auth0 secrets were kept:\n{first}"
    );

    // The role came with its permission.
    let roles = m.get_ok("/api/v2/roles?name_filter=order%20admin").await;
    let role_id = roles[0]["id"].as_str().unwrap();
    let granted = m
        .get_ok(&format!("/api/v2/roles/{role_id}/permissions"))
        .await;
    assert_eq!(granted[0]["permission_name"], "write:orders");
    assert_eq!(granted[0]["resource_server_identifier"], ORDERS);

    // The worker calls the orders API and Tessera's Management API as it called Auth0's.
    let orders = client_credentials(&m, WORKER_ID, WORKER_SECRET, ORDERS).await;
    let claims = jwt_claims(orders["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "read:orders write:orders");
    let management = client_credentials(&m, WORKER_ID, WORKER_SECRET, &m.audience()).await;
    let claims = jwt_claims(management["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "read:users read:clients");

    // The web app signs a user in with its Auth0 client id and secret.
    let http = library_http();
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(m.server.issuer.clone()).unwrap(),
        &http,
    )
    .await
    .unwrap();
    let web = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(WEB_ID.into()),
        Some(ClientSecret::new(WEB_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(WEB_CALLBACK.into()).unwrap());
    let (url, _, nonce) = web
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("read:orders".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_extra_param("audience", ORDERS)
        .url();
    let callback = Browser::new().sign_in(url.as_str()).await;
    assert_eq!(callback.path(), "/acme/callback");
    let code = query_param(&callback, "code").unwrap();
    let tokens = web
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    id_token
        .claims(&web.id_token_verifier(), &nonce)
        .expect("a valid ID token for the imported app");
    let access = jwt_claims(tokens.access_token().secret());
    assert_eq!(access["client_id"], WEB_ID);
    assert!(audiences(&access).contains(&ORDERS.to_owned()), "{access}");
    assert!(
        tokens.refresh_token().is_some(),
        "the API allows offline access"
    );

    // The SPA is public: it got no secret, and keeps its id and origins.
    let spa = m.get_ok(&format!("/api/v2/clients/{SPA_ID}")).await;
    assert_eq!(spa["token_endpoint_auth_method"], "none");
    assert_eq!(spa["allowed_origins"], json!(["http://127.0.0.1:4000"]));
    // DPoP settings came over: the SPA requires proofs, the API binds tokens to proven keys.
    assert_eq!(spa["require_proof_of_possession"], true);
    assert_eq!(spa["logo_uri"], "https://cdn.acme.example/spa-logo.png");
    let orders_api = m
        .get_ok(&format!(
            "/api/v2/resource-servers/{}",
            super::encoded(ORDERS)
        ))
        .await;
    assert_eq!(
        orders_api["proof_of_possession"],
        json!({ "mechanism": "dpop", "required": false })
    );

    let again = succeeded(&import(&m, &fixture("tenant.yaml"), &[]).await);
    assert!(
        again.contains("0 created, 0 updated, 7 unchanged, 0 failed;"),
        "{again}"
    );

    // The directory format of the same tenant names the worker in its grants by name.
    let directory = succeeded(&import(&m, &fixture("directory"), &["--dry-run"]).await);
    assert!(
        directory.contains("0 would be created, 0 would be updated, 7 unchanged, 0 failed;"),
        "{directory}"
    );

    // A callback changed in Auth0 since: the dry run says so and changes nothing; the run
    // changes only that.
    let changed = tempfile::tempdir().unwrap();
    copy_tree(&fixture("directory"), changed.path());
    let web_file = changed.path().join("clients/Acme Web.json");
    let edited = std::fs::read_to_string(&web_file)
        .unwrap()
        .replace("/acme/callback", "/acme/signed-in");
    std::fs::write(&web_file, edited).unwrap();
    let dry = succeeded(&import(&m, changed.path(), &["--dry-run"]).await);
    assert!(
        dry.contains("would update application `Acme Web` (callbacks)"),
        "{dry}"
    );
    assert!(
        dry.contains("0 would be created, 1 would be updated, 6 unchanged, 0 failed;"),
        "{dry}"
    );
    let web_now = m.get_ok(&format!("/api/v2/clients/{WEB_ID}")).await;
    assert_eq!(web_now["callbacks"], json!([WEB_CALLBACK]));
    let applied = succeeded(&import(&m, changed.path(), &[]).await);
    assert!(
        applied.contains("0 created, 1 updated, 6 unchanged, 0 failed;"),
        "{applied}"
    );
    let web_now = m.get_ok(&format!("/api/v2/clients/{WEB_ID}")).await;
    assert_eq!(
        web_now["callbacks"],
        json!(["http://127.0.0.1:4000/acme/signed-in"])
    );
    assert_eq!(web_now["name"], "Acme Web");
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn an_import_into_the_local_store_keeps_ids_and_makes_secrets_it_was_not_given() {
    let dir = tempfile::tempdir().unwrap();
    let database = vec![(
        "TESSERA_DATABASE_URL",
        format!("sqlite://{}/tessera.db", dir.path().display()),
    )];
    let args = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let directory = arg(&fixture("directory"));
    let keywords = arg(&fixture("config.json"));
    let output = tessera_run(
        args(&[
            "import",
            "auth0-tenant",
            &directory,
            "--keywords",
            &keywords,
        ]),
        database.clone(),
    )
    .await;
    let stdout = succeeded(&output);
    assert!(
        stdout.contains("7 created, 0 updated, 0 unchanged, 0 failed;"),
        "{stdout}"
    );
    // Without Auth0's client list, each confidential app gets a new secret, shown once.
    assert_eq!(
        stdout.matches("new client_secret (shown only now)").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("client_id {WORKER_ID}, new client_secret")),
        "{stdout}"
    );
    let shown = tessera_run(args(&["clients", "get", SPA_ID]), database).await;
    assert!(succeeded(&shown).contains("Acme SPA"));
}

#[tokio::test]
async fn unusable_exports_are_refused_with_what_to_do() {
    let m = Mgmt::start().await;
    let without_keywords = tessera_run(
        vec![
            "import".into(),
            "auth0-tenant".into(),
            arg(&fixture("tenant.yaml")),
        ],
        Vec::new(),
    )
    .await;
    let stderr = failed(&without_keywords);
    assert!(stderr.contains("##ORDERS_HOST##"), "{stderr}");
    assert!(stderr.contains("--keywords"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let not_yaml = dir.path().join("tenant.yaml");
    std::fs::write(&not_yaml, "clients: [unclosed\n").unwrap();
    let stderr = failed(&import(&m, &not_yaml, &[]).await);
    assert!(stderr.contains("not valid YAML"), "{stderr}");

    let empty = tempfile::tempdir().unwrap();
    let stderr = failed(&import(&m, empty.path(), &[]).await);
    assert!(stderr.contains("holds no Deploy CLI export"), "{stderr}");

    let stderr = failed(&import(&m, &dir.path().join("missing.yaml"), &[]).await);
    assert!(stderr.contains("cannot read"), "{stderr}");

    // A resource Tessera refuses fails alone; the rest is imported and the run says so.
    let bad_api = dir.path().join("bad.yaml");
    std::fs::write(
        &bad_api,
        "resourceServers:\n  - name: Broken\n    identifier: https://broken.example/\n    token_lifetime: -5\n\
         clients:\n  - name: Fine\n    app_type: non_interactive\n",
    )
    .unwrap();
    let output = import(&m, &bad_api, &[]).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = failed(&output);
    assert!(
        stdout.contains("failed to create API https://broken.example/"),
        "{stdout}"
    );
    assert!(stdout.contains("token_lifetime"), "{stdout}");
    assert!(
        stdout.contains("1 created, 0 updated, 0 unchanged, 1 failed;"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 of the export's resources could not be imported"),
        "{stderr}"
    );
    let apis = m.get_ok("/api/v2/resource-servers").await;
    assert!(!apis.to_string().contains("broken.example"), "{apis}");

    // mTLS sender-constraining is not carried over: a note, and an API with Bearer tokens.
    let mtls = dir.path().join("mtls.yaml");
    std::fs::write(
        &mtls,
        "resourceServers:\n  - name: Ledger\n    identifier: https://ledger.example/\n    \
         proof_of_possession:\n      mechanism: mtls\n      required: true\n",
    )
    .unwrap();
    let stdout = succeeded(&import(&m, &mtls, &[]).await);
    assert!(
        stdout.contains(
            "API `Ledger`: proof_of_possession with mechanism `mtls` is not carried over \
             (Tessera implements only dpop)"
        ),
        "{stdout}"
    );
    let ledger = m
        .get_ok(&format!(
            "/api/v2/resource-servers/{}",
            super::encoded("https://ledger.example/")
        ))
        .await;
    assert_eq!(ledger["proof_of_possession"], Value::Null);
}

#[tokio::test]
async fn the_management_api_creates_an_application_with_a_given_id_and_secret() {
    let m = Mgmt::start().await;
    let secret = "given-secret-0123456789abcdefghijklmnopqrstuv";
    let created = m
        .create(
            "/api/v2/clients",
            json!({"name": "Moved", "app_type": "non_interactive", "client_id": "moved-app-1", "client_secret": secret}),
        )
        .await;
    assert_eq!(created["client_id"], "moved-app-1");
    assert!(created.get("client_secret").is_none(), "{created}");
    m.grant("moved-app-1", API, &["appointments"]).await;
    client_credentials(&m, "moved-app-1", secret, API).await;

    let taken = m
        .post(
            "/api/v2/clients",
            json!({"name": "Again", "client_id": "moved-app-1"}),
        )
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    for (body, message) in [
        (
            json!({"name": "x", "client_id": "has space"}),
            "client_id must be",
        ),
        (
            json!({"name": "x", "client_secret": "short"}),
            "at least 32",
        ),
        (
            json!({"name": "x", "app_type": "spa", "client_secret": secret}),
            "public client",
        ),
    ] {
        let response = m.post("/api/v2/clients", body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let error: Value = response.json().await.unwrap();
        assert!(
            error["message"].as_str().unwrap().contains(message),
            "{error}"
        );
    }

    let new_secret = "another-secret-0123456789abcdefghijklmnopqr";
    let changed = m
        .patch(
            "/api/v2/clients/moved-app-1",
            json!({"client_secret": new_secret}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    client_credentials(&m, "moved-app-1", new_secret, API).await;
    let old = m
        .server
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "moved-app-1"),
            ("client_secret", secret),
            ("audience", API),
        ])
        .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let renamed = m
        .patch("/api/v2/clients/moved-app-1", json!({"client_id": "other"}))
        .await;
    assert_eq!(renamed.status(), StatusCode::BAD_REQUEST);
}
