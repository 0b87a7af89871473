//! Scale-out: two `tessera serve` processes on one PostgreSQL database behave as one server.
//! A browser starts at node A and finishes at node B; codes, sessions, consents, keys and client
//! changes are shared; racing redemptions across nodes have exactly one winner.
use std::time::{Duration, Instant};

use crate::support::cluster::Cluster;
use crate::support::{CALLBACK, CLIENT_ID};
use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

#[tokio::test(flavor = "multi_thread")]
async fn a_flow_across_two_nodes_works_as_on_one() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let browser = crate::support::cluster::browser();

    // /authorize at A …
    let response = browser
        .get(a.url(&cluster.authorize_query("opaque")))
        .send()
        .await
        .unwrap();
    let login = crate::support::location(&response);
    assert!(login.starts_with("/u/login?state="), "{login}");
    // … login and consent at B …
    let callback = cluster.log_in_and_allow(&browser, b, &login).await;
    let callback = Url::parse(&callback).unwrap();
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    // … token at A …
    let tokens = a.redeem(&code).await;
    assert_eq!(tokens.0, StatusCode::OK, "{}", tokens.1);
    let access = tokens.1["access_token"].as_str().unwrap().to_owned();
    // … userinfo at B.
    let userinfo = b
        .http
        .get(b.url("userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::OK);
    // The SSO session made at B is honoured by A.
    let again = browser
        .get(a.url(&cluster.authorize_query("second")))
        .send()
        .await
        .unwrap();
    assert!(
        crate::support::location(&again).starts_with(CALLBACK),
        "no login or consent the second time"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_rotated_on_one_node_is_served_by_the_other_within_seconds() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let token = a.management_token().await;
    let rotated: Value = a
        .http
        .post(a.url("api/v2/keys/signing/rotate"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = rotated["kid"].as_str().unwrap().to_owned();
    let started = Instant::now();
    loop {
        let jwks: Value = b
            .http
            .get(b.url(".well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid.as_str())
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "B did not serve the new key within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // B signs with it too once it has reloaded.
    let (status, tokens) = b.client_credentials().await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_changed_on_one_node_takes_effect_on_the_other_within_the_cache_ttl() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    // B has the client in its cache before the change.
    let primed = b
        .http
        .get(b.url(&cluster.authorize_query("x")))
        .send()
        .await
        .unwrap();
    assert_eq!(primed.status(), StatusCode::FOUND);
    let token = a.management_token().await;
    let new_callback = "http://127.0.0.1:4000/new-callback";
    let patched = a
        .http
        .patch(a.url(&format!("api/v2/clients/{CLIENT_ID}")))
        .bearer_auth(&token)
        .json(&json!({ "callbacks": [new_callback] }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let changed_at = Instant::now();
    let query = cluster
        .authorize_query("x")
        .replace(&urlencode(CALLBACK), &urlencode(new_callback));
    // The cache TTL is 1 s (the default): B must follow within it, with slack for a slow machine.
    loop {
        let response = b.http.get(b.url(&query)).send().await.unwrap();
        if response.status() == StatusCode::FOUND {
            break;
        }
        assert!(
            changed_at.elapsed() < Duration::from_millis(2500),
            "B still refuses the new callback {:?} after the change",
            changed_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let old = b
        .http
        .get(b.url(&cluster.authorize_query("x")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.status(),
        StatusCode::BAD_REQUEST,
        "the removed callback is refused at B"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_changed_through_a_node_takes_effect_on_that_node_at_once() {
    let cluster = Cluster::start(1).await;
    let a = &cluster.nodes[0];
    let primed = a
        .http
        .get(a.url(&cluster.authorize_query("x")))
        .send()
        .await
        .unwrap();
    assert_eq!(primed.status(), StatusCode::FOUND);
    let token = a.management_token().await;
    let new_callback = "http://127.0.0.1:4000/new-callback";
    let patched = a
        .http
        .patch(a.url(&format!("api/v2/clients/{CLIENT_ID}")))
        .bearer_auth(&token)
        .json(&json!({ "callbacks": [new_callback] }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let old = a
        .http
        .get(a.url(&cluster.authorize_query("x")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.status(),
        StatusCode::BAD_REQUEST,
        "the node's cache was cleared by its own Management API write"
    );
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_redemptions_of_one_code_across_nodes_have_one_winner() {
    let cluster = Cluster::start(2).await;
    let code = cluster.code().await;
    let attempts = (0..50).map(|i| {
        let node = cluster.nodes[i % 2].clone();
        let code = code.clone();
        tokio::spawn(async move { node.redeem(&code).await.0 })
    });
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::BAD_REQUEST),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_uses_of_one_rotating_refresh_token_have_one_winner_and_revoke_the_family() {
    let cluster = Cluster::start(2).await;
    let code = cluster
        .code_with_scope("openid offline_access appointments")
        .await;
    let (status, tokens) = cluster.nodes[0].redeem(&code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let attempts = (0..20).map(|i| {
        let node = cluster.nodes[i % 2].clone();
        let refresh = refresh.clone();
        tokio::spawn(async move { node.refresh(&refresh).await })
    });
    let mut results = Vec::new();
    for attempt in attempts {
        results.push(attempt.await.unwrap());
    }
    let winners: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    // With no leeway, the losers are reuse of a rotated token: the family is revoked, the
    // winner's new token included (docs/app-types.md, "Refresh tokens").
    let successor = winners[0]["refresh_token"].as_str().unwrap();
    let (status, body) = cluster.nodes[1].refresh(successor).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_access_token_revoked_at_one_node_is_refused_by_the_other_within_the_cache_ttl() {
    use crate::support::cluster::{M2M_ID, M2M_SECRET};
    let cluster = Cluster::start(2).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (status, tokens) = a.client_credentials().await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let token = tokens["access_token"].as_str().unwrap();
    let introspect_at_b = || async {
        let body: Value = b
            .http
            .post(b.url("oauth/introspect"))
            .basic_auth(M2M_ID, Some(M2M_SECRET))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["active"].as_bool().unwrap()
    };
    assert!(
        introspect_at_b().await,
        "B accepts the token (and has read the deny list)"
    );

    let revoked = a
        .http
        .post(a.url("oauth/revoke"))
        .basic_auth(M2M_ID, Some(M2M_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    // Real time on purpose: B rereads the deny list once its copy is a cache TTL old.
    let started = Instant::now();
    while introspect_at_b().await {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "B still accepted the revoked token after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A DPoP proof accepted by one node is refused by the other: the `jti` record is in the
/// shared PostgreSQL store, not in a node's memory (RFC 9449 §11.1).
#[tokio::test(flavor = "multi_thread")]
async fn a_dpop_proof_used_at_one_node_is_refused_by_the_other() {
    use crate::support::cluster::{M2M_ID, M2M_SECRET};
    use crate::support::{unix_now, API};
    use tessera_jwt::dpop::ProofClaims;
    use tessera_jwt::{Algorithm, SigningKey};

    let cluster = Cluster::start(2).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let proof = key
        .sign_dpop_proof(&ProofClaims {
            jti: "used-once-across-nodes".into(),
            htm: "POST".into(),
            // Both nodes serve one issuer: the proof names its token endpoint.
            htu: format!("{}oauth/token", a.issuer),
            iat: unix_now(),
            ath: None,
            nonce: None,
        })
        .unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", M2M_ID),
        ("client_secret", M2M_SECRET),
        ("audience", API),
    ];
    let send = |node: &crate::support::cluster::Node| {
        node.http
            .post(node.url("oauth/token"))
            .header("DPoP", proof.clone())
            .form(&form)
            .send()
    };
    let first = send(a).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let replayed = send(b).await.unwrap();
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    let body: Value = replayed.json().await.unwrap();
    assert_eq!(body["error"], "invalid_dpop_proof", "{body}");
}
