//! Upgrades from databases that older builds made and used (fixtures/upgrade/README.md): this
//! build migrates each on SQLite and on PostgreSQL, and every user, application, signing key and
//! refresh token in it still works — the tokens the old build issued included.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::Config;
use tessera_core::clock::ManualClock;
use tessera_protocol::Timestamp;
use url::Url;

use crate::support::cluster::Database;
use crate::support::{http, jwt_claims, jwt_header, location, query_param, Browser, TestServer};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upgrade");

/// What the example configuration seeded the old build with.
const SEED_CLIENT: (&str, &str) = (
    "myclientapp",
    "myclientapp-secret-change-me-0123456789abcdef",
);
const SEED_USER: (&str, &str) = ("jane", "correct horse battery staple");
const CALLBACK: &str = "http://127.0.0.1:4000/callback";

/// Every fixture directory, oldest build first (the names start with the date).
fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no upgrade fixtures in {FIXTURES}");
    dirs
}

fn read_fixture(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("fixture.json")).unwrap()).unwrap()
}

/// This build started on a copy of the fixture's database, at the time the old build stopped.
async fn upgraded(fixture: &Value, config: Config) -> TestServer {
    let made_at = fixture["made_at"].as_i64().unwrap();
    let clock = ManualClock::at(Timestamp(made_at + 60));
    TestServer::start_in_at(tempfile::tempdir().unwrap(), config, clock).await
}

/// The old build's issuer and secret on `database_url`; nothing else configured, so that every
/// application, API and user comes from the old database.
fn config_for(meta: &Value, database_url: String) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        issuer: Some(meta["issuer"].as_str().unwrap().to_owned()),
        database_url,
        secret: Some(meta["secret"].as_str().unwrap().to_owned()),
        ..Config::default()
    }
}

/// `path` at the server's own address: its issuer is the old build's, whose port is not this one's.
fn local(server: &TestServer, path: &str) -> String {
    format!("http://{}/{path}", server.addr)
}

/// Where a redirect to `location` goes on this server: relative to it, or with the server's own
/// address in place of the issuer's.
fn here(server: &TestServer, location: &str) -> String {
    match location.strip_prefix(server.issuer.as_str()) {
        Some(path) => local(server, path),
        None => Url::parse(&local(server, ""))
            .unwrap()
            .join(location)
            .unwrap()
            .into(),
    }
}

/// Logs `username` in through the hosted pages, consenting if asked; the ID token's claims.
async fn sign_in(server: &TestServer, username: &str, password: &str) -> Value {
    let browser = Browser::new();
    let mut authorize = Url::parse(&local(server, "authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("audience", "appointments:api")
        .append_pair("scope", "openid profile appointments")
        .append_pair("response_type", "code")
        .append_pair("client_id", SEED_CLIENT.0)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("state", "upgrade");
    let mut response = browser.get(authorize.as_str()).await;
    for _ in 0..6 {
        assert_eq!(response.status(), StatusCode::FOUND, "{response:?}");
        let next = here(server, &location(&response));
        if next.starts_with(CALLBACK) {
            let callback = Url::parse(&next).unwrap();
            let code = query_param(&callback, "code").expect("a code");
            let tokens = redeem(server, &code).await;
            return jwt_claims(tokens["id_token"].as_str().unwrap());
        }
        let page_url = Url::parse(&next).unwrap();
        let page = browser.get(page_url.as_str()).await;
        assert_eq!(page.status(), StatusCode::OK, "{page_url}");
        let html = page.text().await.unwrap();
        response = match page_url.path() {
            "/u/login" => {
                browser
                    .submit_login(&page_url, &html, username, password)
                    .await
            }
            "/u/consent" => browser.submit_consent(&page_url, &html, "allow").await,
            other => panic!("unexpected page {other}: {html}"),
        };
    }
    panic!("{username} did not reach the callback");
}

async fn redeem(server: &TestServer, code: &str) -> Value {
    let response = http()
        .post(local(server, "oauth/token"))
        .json(&json!({
            "grant_type": "authorization_code",
            "client_id": SEED_CLIENT.0,
            "client_secret": SEED_CLIENT.1,
            "code": code,
            "redirect_uri": CALLBACK,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn token(server: &TestServer, form: &[(&str, &str)]) -> reqwest::Response {
    http()
        .post(local(server, "oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Everything the old build left in the database works on this one.
async fn everything_still_works(server: &TestServer, data: &Value) {
    let at = |path: &str| local(server, path);

    let jwks: Value = http()
        .get(at(".well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    let old = &data["tokens"];
    let old_kid = jwt_header(old["access_token"].as_str().unwrap())["kid"].clone();
    assert_eq!(
        jwt_header(old["id_token"].as_str().unwrap())["kid"],
        old_kid
    );
    assert!(
        published.contains(&old_kid.as_str().unwrap()),
        "the key that signed the old tokens, {old_kid}, is still published: {published:?}"
    );

    let userinfo = http()
        .get(at("userinfo"))
        .bearer_auth(old["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status(),
        StatusCode::OK,
        "the old build's access token"
    );
    let jane = jwt_claims(old["id_token"].as_str().unwrap())["sub"].clone();
    assert_eq!(userinfo.json::<Value>().await.unwrap()["sub"], jane);

    let refreshed = token(
        server,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", SEED_CLIENT.0),
            ("client_secret", SEED_CLIENT.1),
            ("refresh_token", old["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    let status = refreshed.status();
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "the old build's refresh token: {refreshed}"
    );
    assert_eq!(
        jwt_claims(refreshed["id_token"].as_str().unwrap())["sub"],
        jane
    );
    assert_eq!(
        jwt_header(refreshed["access_token"].as_str().unwrap())["kid"],
        old_kid,
        "this build signs with the old build's key"
    );

    let management = &data["management"];
    let management_token = token(
        server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", management["client_id"].as_str().unwrap()),
            (
                "client_secret",
                management["client_secret"].as_str().unwrap(),
            ),
            ("audience", &format!("{}api/v2/", server.issuer)),
        ],
    )
    .await;
    assert_eq!(
        management_token.status(),
        StatusCode::OK,
        "the management client"
    );
    let management_token: Value = management_token.json().await.unwrap();
    let user_id = data["user"]["user_id"].as_str().unwrap();
    let ada = http()
        .get(at(&format!(
            "api/v2/users/{}",
            url::form_urlencoded::byte_serialize(user_id.as_bytes()).collect::<String>()
        )))
        .bearer_auth(management_token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        ada.status(),
        StatusCode::OK,
        "the user made through the API"
    );
    let ada: Value = ada.json().await.unwrap();
    assert_eq!(ada["email"], data["user"]["email"]);

    let client = &data["client"];
    let authenticates = |secret: &str| {
        let client_id = client["client_id"].as_str().unwrap().to_owned();
        let secret = secret.to_owned();
        async move {
            let response = token(
                server,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                    ("code", "no-such-code"),
                    ("redirect_uri", "http://127.0.0.1:4100/callback"),
                ],
            )
            .await;
            let body: Value = response.json().await.unwrap();
            body["error"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        authenticates(client["client_secret"].as_str().unwrap()).await,
        "invalid_grant",
        "the application made through the API authenticates with its secret"
    );
    assert_eq!(authenticates("not-its-secret").await, "invalid_client");

    let signed_in = sign_in(server, SEED_USER.0, SEED_USER.1).await;
    assert_eq!(signed_in["sub"], jane, "the seeded user logs in");
    let signed_in = sign_in(
        server,
        data["user"]["email"].as_str().unwrap(),
        data["user"]["password"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        signed_in["sub"], user_id,
        "the user made through the API logs in with the same password and id"
    );
}

#[tokio::test]
async fn a_sqlite_database_of_every_older_build_upgrades_with_everything_in_it() {
    for dir in fixtures() {
        let meta = read_fixture(&dir);
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(dir.join("tessera.db"), copy.path().join("tessera.db")).unwrap();
        let url = format!("sqlite://{}", copy.path().join("tessera.db").display());
        let server = upgraded(&meta["sqlite"], config_for(&meta, url)).await;
        everything_still_works(&server, &meta["sqlite"]).await;
        server.stop().await;
    }
}

#[tokio::test]
async fn a_postgres_database_of_every_older_build_upgrades_with_everything_in_it() {
    for dir in fixtures() {
        let meta = read_fixture(&dir);
        let database = Database::create().await;
        let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
        let dump = std::fs::read_to_string(dir.join("postgres.sql")).unwrap();
        sqlx::raw_sql(&dump).execute(&pool).await.unwrap();
        pool.close().await;
        let server = upgraded(&meta["postgres"], config_for(&meta, database.url.clone())).await;
        everything_still_works(&server, &meta["postgres"]).await;
        server.stop().await;
    }
}
