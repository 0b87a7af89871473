//! Auth0's rules for a flow of Actions: order, denial, metadata and claims seen by later
//! Actions, secrets, the api surface and the custom-claim restrictions.

use std::sync::Arc;

use serde_json::json;
use tessera_actions::{Failure, MetadataChanges, Script};

use crate::{denial, engine, exchange, post_login, script};

fn threw(failure: Failure) -> String {
    match failure {
        Failure::Threw { message, .. } => message,
        other => panic!("not a throw: {other:?}"),
    }
}

#[tokio::test]
async fn actions_run_in_order_and_the_later_one_wins_a_claim() {
    let first = script("first", "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('who', 'first'); api.idToken.setCustomClaim('first', 1); console.log('one'); };");
    let second = script("second", "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('who', 'second'); console.log('two'); };");
    let outcome = post_login(&engine(), vec![first, second]).await.unwrap();
    assert_eq!(outcome.id_token_claims["who"], json!("second"));
    assert_eq!(outcome.id_token_claims["first"], json!(1));
    assert_eq!(outcome.logs, vec!["first: log: one", "second: log: two"]);
}

#[tokio::test]
async fn a_denial_stops_the_later_actions_and_keeps_the_metadata_asked_for() {
    let earlier = script("earlier", "exports.onExecutePostLogin = async (e, api) => { api.user.setUserMetadata('seen', true); };");
    let deny = script("deny", "exports.onExecutePostLogin = async (e, api) => { api.user.setAppMetadata('denied_at', 7); api.access.deny('no'); api.access.deny('second reason'); };");
    let later = script(
        "later",
        "exports.onExecutePostLogin = async () => { throw new Error('must not run'); };",
    );
    let failure = post_login(&engine(), vec![earlier, deny, later])
        .await
        .unwrap_err();
    let Failure::Denied {
        action,
        reason,
        code,
        metadata,
    } = failure
    else {
        panic!("{failure:?}");
    };
    assert_eq!(
        (action.as_str(), reason.as_str(), code),
        ("deny", "no", None)
    );
    let mut kept = MetadataChanges::default();
    kept.app_metadata.insert("denied_at".into(), json!(7));
    kept.user_metadata.insert("seen".into(), json!(true));
    assert_eq!(*metadata, kept);
}

#[tokio::test]
async fn metadata_set_by_an_action_is_seen_by_the_later_ones() {
    let set = script("set", "exports.onExecutePostLogin = async (e, api) => { api.user.setAppMetadata('plan', null).user.setAppMetadata('level', 3); api.user.setUserMetadata('lang', 'fr'); };");
    let read = script("read", "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('seen', [e.user.app_metadata, e.user.user_metadata]); };");
    let outcome = post_login(&engine(), vec![set, read]).await.unwrap();
    assert_eq!(
        outcome.id_token_claims["seen"],
        json!([{ "level": 3 }, { "lang": "fr" }])
    );
    assert_eq!(
        outcome.app_metadata["plan"],
        json!(null),
        "null removes the key"
    );
    assert_eq!(outcome.app_metadata["level"], json!(3));
}

#[tokio::test]
async fn credentials_exchange_actions_see_earlier_claims_in_the_event() {
    let set = script("set", "exports.onExecuteCredentialsExchange = async (e, api) => { api.accessToken.setCustomClaim('a', 1); };");
    let read = script("read", "exports.onExecuteCredentialsExchange = async (e, api) => { api.accessToken.setCustomClaim('seen', e.accessToken.customClaims); };");
    let outcome = exchange(&engine(), vec![set, read]).await.unwrap();
    assert_eq!(outcome.access_token_claims["seen"], json!({ "a": 1 }));
}

#[tokio::test]
async fn each_action_sees_only_its_own_secrets_and_its_own_copy_of_the_event() {
    let mut first = (*script("first", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('first', event.secrets); event.user.email = 'evil@example.com'; event.secrets.KEY = 'leaked'; };")).clone();
    first.secrets = vec![("KEY".into(), "one".into())];
    let mut second = (*script("second", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('second', [event.secrets, event.user.email]); };")).clone();
    second.secrets = vec![("OTHER".into(), "two".into())];
    let outcome = post_login(&engine(), vec![Arc::new(first), Arc::new(second)])
        .await
        .unwrap();
    assert_eq!(outcome.id_token_claims["first"], json!({ "KEY": "one" }));
    assert_eq!(
        outcome.id_token_claims["second"],
        json!([{ "OTHER": "two" }, "ada@example.com"])
    );
}

#[tokio::test]
async fn scopes_added_and_removed_are_reported_once_each() {
    let code = "exports.onExecutePostLogin = async (e, api) => { api.accessToken.addScope('write').accessToken.addScope('write'); api.accessToken.removeScope('read'); api.accessToken.addScope('tmp'); api.accessToken.removeScope('tmp'); };";
    let outcome = post_login(&engine(), vec![script("scopes", code)])
        .await
        .unwrap();
    assert_eq!(outcome.scopes_added, vec!["write"]);
    assert_eq!(outcome.scopes_removed, vec!["read", "tmp"]);
}

#[tokio::test]
async fn restricted_claims_are_left_out_and_logged_without_failing() {
    let code = "exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('sub', 'evil'); api.accessToken.setCustomClaim('scope', 'admin'); api.idToken.setCustomClaim('https://tenant.auth0.com/x', 1); api.idToken.setCustomClaim('http://x.webtask.run/y', 1); api.idToken.setCustomClaim('fine', 1); console.log('done', {a: 1}); };";
    let outcome = post_login(&engine(), vec![script("restricted", code)])
        .await
        .unwrap();
    assert!(outcome.access_token_claims.is_empty());
    assert_eq!(outcome.id_token_claims.keys().collect::<Vec<_>>(), ["fine"]);
    for name in ["'sub'", "'scope'", "auth0.com", "webtask.run"] {
        assert!(
            outcome.logs.iter().any(|l| l.contains(name)),
            "{name}: {:?}",
            outcome.logs
        );
    }
    assert!(outcome
        .logs
        .contains(&"restricted: log: done {\"a\":1}".to_owned()));
}

#[tokio::test]
async fn custom_claims_over_100_kb_fail_the_transaction() {
    let code = "exports.onExecutePostLogin = async (e, api) => { api.accessToken.setCustomClaim('big', 'x'.repeat(101 * 1024)); };";
    let message = threw(
        post_login(&engine(), vec![script("big", code)])
            .await
            .unwrap_err(),
    );
    assert!(
        message.contains("over Auth0's limit of 100 KB"),
        "{message}"
    );
}

#[tokio::test]
async fn values_that_are_not_json_are_refused_clearly() {
    let engine = engine();
    for (value, expected) in [
        ("() => 1", "must be JSON-serialisable, not a function"),
        ("10n", "must be JSON-serialisable"),
        (
            "(() => { const a = {}; a.a = a; return a; })()",
            "must be JSON-serialisable",
        ),
    ] {
        let code = format!("exports.onExecutePostLogin = async (e, api) => {{ api.idToken.setCustomClaim('c', {value}); }};");
        let message = threw(
            post_login(&engine, vec![script("json", &code)])
                .await
                .unwrap_err(),
        );
        assert!(message.contains(expected), "{value}: {message}");
    }
    let undefined = "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('c', 1); api.idToken.setCustomClaim('c', undefined); api.user.setAppMetadata('gone', undefined); };";
    let outcome = post_login(&engine, vec![script("undefined", undefined)])
        .await
        .unwrap();
    assert!(outcome.id_token_claims.is_empty());
    assert_eq!(outcome.app_metadata["gone"], json!(null));
}

#[tokio::test]
async fn auth0_api_members_tessera_lacks_throw_not_supported() {
    let engine = engine();
    for call in [
        "api.redirect.sendUserTo('https://example.com')",
        "api.multifactor.enable('duo')",
        "api.cache.get('k')",
        "api.authentication.challengeWith({ type: 'otp' })",
        "api.accessToken.somethingNew()",
    ] {
        let code = format!("exports.onExecutePostLogin = async (e, api) => {{ {call}; }};");
        let message = threw(
            post_login(&engine, vec![script("api", &code)])
                .await
                .unwrap_err(),
        );
        assert!(
            message.contains("is not supported by Tessera"),
            "{call}: {message}"
        );
    }
    let code = "exports.onExecuteCredentialsExchange = async (e, api) => { api.idToken.setCustomClaim('a', 1); };";
    let message = threw(
        exchange(&engine, vec![script("m2m", code)])
            .await
            .unwrap_err(),
    );
    assert!(
        message.contains("api.idToken.setCustomClaim is not supported"),
        "{message}"
    );
}

#[tokio::test]
async fn multifactor_enable_asks_for_a_second_factor_and_the_last_provider_is_kept() {
    let engine = engine();
    let none =
        "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('a', 1); };";
    let outcome = post_login(&engine, vec![script("none", none)])
        .await
        .unwrap();
    assert_eq!(outcome.multifactor, None);
    let any = "exports.onExecutePostLogin = async (e, api) => { api.multifactor.enable('any', { allowRememberBrowser: false }).idToken.setCustomClaim('a', 1); };";
    let guardian =
        "exports.onExecutePostLogin = async (e, api) => { api.multifactor.enable('guardian'); };";
    let outcome = post_login(
        &engine,
        vec![
            script("any", any),
            script("none", none),
            script("g", guardian),
        ],
    )
    .await
    .unwrap();
    assert_eq!(outcome.multifactor.as_deref(), Some("guardian"));
    assert_eq!(outcome.id_token_claims["a"], json!(1));
    let unknown =
        "exports.onExecutePostLogin = async (e, api) => { api.multifactor.enable('sms'); };";
    let message = threw(
        post_login(&engine, vec![script("sms", unknown)])
            .await
            .unwrap_err(),
    );
    assert!(message.contains("provider must be one of"), "{message}");
}

#[tokio::test]
async fn credentials_exchange_denial_needs_one_of_auth0s_codes() {
    let code = "exports.onExecuteCredentialsExchange = async (e, api) => { api.access.deny('nope', 'reason'); };";
    let message = threw(
        exchange(&engine(), vec![script("code", code)])
            .await
            .unwrap_err(),
    );
    assert!(
        message.contains("invalid_scope, invalid_request, server_error"),
        "{message}"
    );
    let code = "exports.onExecuteCredentialsExchange = async (e, api) => { api.access.deny('invalid_scope'); };";
    let failure = exchange(&engine(), vec![script("code", code)])
        .await
        .unwrap_err();
    assert_eq!(denial(&failure), ("", Some("invalid_scope")));
}

#[tokio::test]
async fn logs_keep_the_first_100_lines_of_at_most_1_kb() {
    let code = "exports.onExecutePostLogin = async () => { for (let i = 0; i < 1000; i++) console.warn(i, 'y'.repeat(5000)); console.log(undefined, null, new Error('e').message); };";
    let outcome = post_login(&engine(), vec![script("chatty", code)])
        .await
        .unwrap();
    assert_eq!(outcome.logs.len(), 100);
    assert!(outcome.logs.iter().all(|l| l.len() <= 1024));
    assert!(outcome.logs[0].starts_with("chatty: warn: 0 yyy"));
}

#[tokio::test]
async fn a_new_version_of_an_action_replaces_the_warm_one() {
    let engine = crate::engine_with(1);
    let v1 = script(
        "v",
        "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('v', 1); };",
    );
    let mut v2 = (*script(
        "v",
        "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('v', 2); };",
    ))
    .clone();
    v2.version = 2;
    let v2: Arc<Script> = Arc::new(v2);
    for (script, expected) in [(v1, 1), (v2.clone(), 2), (v2, 2)] {
        let outcome = post_login(&engine, vec![script]).await.unwrap();
        assert_eq!(outcome.id_token_claims["v"], json!(expected));
    }
}
