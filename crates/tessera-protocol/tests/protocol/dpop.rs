//! Sender-constraining under Auth0's policy (RFC 9449): which token requests get DPoP-bound
//! tokens, which get Bearer tokens, and which are refused; bound refresh tokens.

use tessera_protocol::dpop::{bound_key, check_refresh_key, refresh_token_key};
use tessera_protocol::{
    PopMechanism, ProofOfPossession, RegisteredClient, ResourceServer, TokenErrorCode as Code,
};

use crate::common;
fn client(requires: bool, public: bool) -> RegisteredClient {
    let mut client = if public {
        common::public_client()
    } else {
        common::client()
    };
    client.require_proof_of_possession = requires;
    client
}

fn api(policy: Option<bool>) -> ResourceServer {
    let mut api = common::api();
    api.proof_of_possession = policy.map(|required| ProofOfPossession {
        mechanism: PopMechanism::Dpop,
        required,
    });
    api
}

const KEY: Option<&str> = Some("jkt");

/// Auth0's table, row by row: (API policy, client requires, proof sent) → outcome.
#[test]
fn follows_auth0s_sender_constraining_table() {
    let bound = Ok(Some("jkt"));
    let bearer = Ok(None);
    // `/userinfo` only.
    assert_eq!(bound_key(None, &client(false, false), None), bearer);
    assert_eq!(bound_key(None, &client(false, false), KEY), bound);
    assert!(bound_key(None, &client(true, false), None).is_err());
    assert_eq!(bound_key(None, &client(true, false), KEY), bound);
    for (policy, requires, proof, issued) in [
        (None, false, None, Some(None)),
        (None, false, KEY, Some(None)),
        (None, true, None, None),
        (None, true, KEY, None),
        (Some(false), false, None, Some(None)),
        (Some(false), false, KEY, Some(KEY)),
        (Some(false), true, None, None),
        (Some(false), true, KEY, Some(KEY)),
        (Some(true), false, None, None),
        (Some(true), false, KEY, Some(KEY)),
        (Some(true), true, None, None),
        (Some(true), true, KEY, Some(KEY)),
    ] {
        let outcome = bound_key(Some(&api(policy)), &client(requires, false), proof);
        assert_eq!(
            outcome.ok(),
            issued,
            "policy {policy:?}, client requires {requires}, proof {proof:?}"
        );
    }
}

#[test]
fn only_public_clients_refresh_tokens_are_bound() {
    assert_eq!(refresh_token_key(&client(false, true), KEY), KEY);
    assert_eq!(refresh_token_key(&client(false, false), KEY), None);
    assert_eq!(refresh_token_key(&client(false, true), None), None);
}

#[test]
fn a_bound_refresh_token_needs_a_proof_of_its_key() {
    assert!(check_refresh_key(None, None).is_ok());
    assert!(check_refresh_key(None, KEY).is_ok());
    assert!(check_refresh_key(KEY, KEY).is_ok());
    let other = check_refresh_key(KEY, Some("other")).unwrap_err();
    assert_eq!(other.code, Code::InvalidDpopProof);
    assert!(check_refresh_key(KEY, None).is_err());
}
