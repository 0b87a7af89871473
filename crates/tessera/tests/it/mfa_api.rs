//! Auth0's MFA API for the password grant: `mfa_required` with an `mfa_token` (to applications
//! allowed an MFA grant), `/mfa/authenticators`, `/mfa/associate`, `/mfa/challenge`, and the
//! `mfa-otp` and `mfa-recovery-code` grants; over raw HTTP as Auth0's documentation shows it.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use tessera::config::Config;
use tessera_protocol::mfa::TotpSecret;

use crate::management::{expect_status, Mgmt};
use crate::support::*;

const MFA_OTP: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
const MFA_RECOVERY_CODE: &str = "http://auth0.com/oauth/grant-type/mfa-recovery-code";

/// The seed client with the password grant and Auth0's MFA grants.
fn with_mfa_grants(config: &mut Config) {
    config.clients[0].grant_types = Some(vec![
        "authorization_code".into(),
        "refresh_token".into(),
        "password".into(),
        MFA_OTP.into(),
        MFA_RECOVERY_CODE.into(),
    ]);
}

/// A server that asks every login for an authenticator app's code, recovery codes on.
async fn start(adjust: fn(&mut Config)) -> Mgmt {
    let mgmt = Mgmt::start_with(adjust).await;
    crate::mfa::require_mfa(&mgmt).await;
    mgmt
}

async fn token(server: &TestServer, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)];
    form.extend_from_slice(extra);
    server.token_form(&form).await
}

async fn password_step(server: &TestServer) -> Value {
    let refused = token(
        server,
        &[
            ("grant_type", "password"),
            ("username", EMAIL),
            ("password", PASSWORD),
            ("audience", API),
            ("scope", "openid profile appointments"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "mfa_required", "{body}");
    assert_eq!(
        body["error_description"],
        "Multifactor authentication required"
    );
    body
}

async fn with_mfa_token(
    server: &TestServer,
    method: Method,
    path: &str,
    mfa_token: &str,
    body: Option<Value>,
) -> Response {
    let request = http()
        .request(method, server.url(path))
        .bearer_auth(mfa_token);
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

async fn otp_grant(server: &TestServer, mfa_token: &str, otp: &str) -> Response {
    token(
        server,
        &[
            ("grant_type", MFA_OTP),
            ("mfa_token", mfa_token),
            ("otp", otp),
        ],
    )
    .await
}

/// The JSON body of an answer of `status`.
async fn error_of(response: Response, status: StatusCode) -> Value {
    let got = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

#[tokio::test]
async fn a_password_app_enrolls_an_authenticator_app_and_exchanges_its_codes() {
    let mgmt = start(with_mfa_grants).await;
    let server = &mgmt.server;
    let first = password_step(server).await;
    let mfa_token = first["mfa_token"]
        .as_str()
        .expect("an mfa_token")
        .to_owned();

    // No factor yet: nothing listed, so the app associates one.
    let listed = with_mfa_token(server, Method::GET, "mfa/authenticators", &mfa_token, None).await;
    assert_eq!(error_of(listed, StatusCode::OK).await, json!([]));
    let associate = json!({ "client_id": CLIENT_ID, "authenticator_types": ["otp"] });
    let associated = with_mfa_token(
        server,
        Method::POST,
        "mfa/associate",
        &mfa_token,
        Some(associate.clone()),
    )
    .await;
    let association = error_of(associated, StatusCode::OK).await;
    assert_eq!(association["authenticator_type"], "otp");
    let uri = association["barcode_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let recovery = association["recovery_codes"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = TotpSecret::from_base32(association["secret"].as_str().unwrap()).unwrap();

    // A wrong code is refused; the right one confirms the app and brings the tokens.
    let wrong = otp_grant(server, &mfa_token, "000000").await;
    let wrong = error_of(wrong, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        (wrong["error"].as_str(), wrong["error_description"].as_str()),
        (Some("invalid_grant"), Some("Invalid otp_code."))
    );
    let code = secret.code_at(server.clock.now());
    let tokens = error_of(otp_grant(server, &mfa_token, &code).await, StatusCode::OK).await;
    assert_eq!(tokens["token_type"], "Bearer");
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(tokens["scope"], "openid profile appointments");
    let access = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["aud"][0], API);

    // The token is spent, and the code too.
    server.clock.advance(30);
    let next = secret.code_at(server.clock.now());
    let spent = error_of(
        otp_grant(server, &mfa_token, &next).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(spent["error_description"], "the mfa_token was used already");

    // The next login: the app is listed and challenged; a used code is refused.
    let second = password_step(server).await;
    let mfa_token = second["mfa_token"].as_str().unwrap().to_owned();
    let listed = with_mfa_token(server, Method::GET, "mfa/authenticators", &mfa_token, None).await;
    let listed = error_of(listed, StatusCode::OK).await;
    let mut kinds: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let id = a["id"].as_str().unwrap();
            (
                a["authenticator_type"].as_str().unwrap(),
                &id[..id.find('|').unwrap()],
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(kinds, [("otp", "totp"), ("recovery-code", "recovery-code")]);
    let again = with_mfa_token(
        server,
        Method::POST,
        "mfa/associate",
        &mfa_token,
        Some(associate),
    )
    .await;
    let again = error_of(again, StatusCode::FORBIDDEN).await;
    assert_eq!(again["error_description"], "User is already enrolled.");
    let challenge = token_like(server, "mfa/challenge", &mfa_token, "otp").await;
    assert_eq!(
        error_of(challenge, StatusCode::OK).await,
        json!({ "challenge_type": "otp" })
    );
    let oob = token_like(server, "mfa/challenge", &mfa_token, "oob").await;
    let oob = error_of(oob, StatusCode::BAD_REQUEST).await;
    assert_eq!(oob["error"], "unsupported_challenge_type");
    let replayed = error_of(
        otp_grant(server, &mfa_token, &code).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(replayed["error"], "invalid_grant");
    // (The code tried with the spent token was spent with it: the next one, 30 s on.)
    server.clock.advance(30);
    let later = secret.code_at(server.clock.now());
    let tokens = error_of(otp_grant(server, &mfa_token, &later).await, StatusCode::OK).await;
    assert!(tokens["access_token"].is_string());

    // The recovery code instead, once; a new one comes back with the tokens.
    let third = password_step(server).await;
    let mfa_token = third["mfa_token"].as_str().unwrap().to_owned();
    let recovered = token(
        server,
        &[
            ("grant_type", MFA_RECOVERY_CODE),
            ("mfa_token", &mfa_token),
            ("recovery_code", &recovery),
        ],
    )
    .await;
    let recovered = error_of(recovered, StatusCode::OK).await;
    let replacement = recovered["recovery_code"].as_str().unwrap();
    assert_ne!(replacement, recovery);
    let fourth = password_step(server).await;
    let used = token(
        server,
        &[
            ("grant_type", MFA_RECOVERY_CODE),
            ("mfa_token", fourth["mfa_token"].as_str().unwrap()),
            ("recovery_code", &recovery),
        ],
    )
    .await;
    let used = error_of(used, StatusCode::BAD_REQUEST).await;
    assert_eq!(used["error_description"], "Invalid recovery code.");

    server.flush_audit().await;
    let logged = mgmt.get_ok("/api/v2/logs?q=type:seotpft").await;
    assert_eq!(logged.as_array().map(Vec::len), Some(3), "{logged}");
}

/// `POST` of an application's form with the `mfa_token` (as `/mfa/challenge` takes it).
async fn token_like(server: &TestServer, path: &str, mfa_token: &str, kind: &str) -> Response {
    http()
        .post(server.url(path))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("mfa_token", mfa_token),
            ("challenge_type", kind),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_mfa_token_is_refused_expired_forged_for_another_app_or_without_the_grant() {
    let mgmt = start(with_mfa_grants).await;
    let server = &mgmt.server;
    let mfa_token = password_step(server).await["mfa_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let forged = format!("{mfa_token}x");
    let malformed = error_of(
        otp_grant(server, &forged, "123456").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(malformed["error_description"], "Malformed mfa_token");
    let listed = with_mfa_token(server, Method::GET, "mfa/authenticators", &forged, None).await;
    assert_eq!(listed.status(), StatusCode::UNAUTHORIZED);
    let anonymous = http()
        .get(server.url("mfa/authenticators"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let other = mgmt
        .send(
            Method::POST,
            "/api/v2/clients",
            Some(json!({ "name": "Kiosk", "app_type": "regular_web",
                          "grant_types": ["password", MFA_OTP] })),
        )
        .await;
    let other = expect_status(other, StatusCode::CREATED).await;
    let foreign = server
        .token_form(&[
            ("grant_type", MFA_OTP),
            ("client_id", other["client_id"].as_str().unwrap()),
            ("client_secret", other["client_secret"].as_str().unwrap()),
            ("mfa_token", &mfa_token),
            ("otp", "123456"),
        ])
        .await;
    let foreign = error_of(foreign, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        foreign["error_description"],
        "the mfa_token was issued to another application"
    );

    server.clock.advance(600);
    let expired = error_of(
        otp_grant(server, &mfa_token, "123456").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(expired["error_description"], "mfa_token is expired");

    // An application without an MFA grant gets `mfa_required` alone.
    let plain = start(|config| {
        config.clients[0].grant_types = Some(vec!["authorization_code".into(), "password".into()]);
    })
    .await;
    let body = password_step(&plain.server).await;
    assert!(body.get("mfa_token").is_none(), "{body}");
    let refused = otp_grant(&plain.server, &mfa_token, "123456").await;
    let refused = error_of(refused, StatusCode::BAD_REQUEST).await;
    assert_eq!(refused["error"], "unauthorized_client");
}

#[tokio::test]
async fn wrong_codes_through_the_mfa_api_are_throttled_like_passwords() {
    let mgmt = start(with_mfa_grants).await;
    let server = &mgmt.server;
    let mfa_token = password_step(server).await["mfa_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut last = None;
    for _ in 0..12 {
        let answer = otp_grant(server, &mfa_token, "000000").await;
        let status = answer.status();
        last = Some(status);
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert!(header(&answer, "retry-after").is_some());
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["error"], "too_many_attempts");
            break;
        }
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(last, Some(StatusCode::TOO_MANY_REQUESTS));
}
