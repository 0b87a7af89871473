//! Sender-constrained tokens (RFC 9449) under Auth0's policy: whether the tokens of one token
//! request are bound to the DPoP key the client proved, refused, or issued as Bearer tokens.

use crate::error::{TokenError, TokenErrorCode as Code};
use crate::{RegisteredClient, ResourceServer, TokenAuthMethod};

/// The key the access token is bound to (`cnf.jkt`), if any, given the API it is for (`None`:
/// `/userinfo` only), the client, and the thumbprint of the key a valid proof demonstrated.
///
/// Auth0's table: an API without `proof_of_possession` gets Bearer tokens even when a proof
/// was sent (its resource servers may not know DPoP); with it, a proof binds the token, and
/// `required` refuses requests without one. A client with `require_proof_of_possession` gets
/// tokens only with a proof, and only for APIs that can take bound tokens. `/userinfo` is
/// Tessera's own and takes both.
pub fn bound_key<'k>(
    api: Option<&ResourceServer>,
    client: &RegisteredClient,
    proven_key: Option<&'k str>,
) -> Result<Option<&'k str>, TokenError> {
    let missing = |why: &str| Err(TokenError::new(Code::InvalidDpopProof, why));
    let Some(api) = api else {
        return match proven_key {
            None if client.require_proof_of_possession => {
                missing("the application requires a DPoP proof, and none was sent")
            }
            key => Ok(key),
        };
    };
    match (api.proof_of_possession, proven_key) {
        (None, _) if client.require_proof_of_possession => Err(TokenError::new(
            Code::InvalidRequest,
            "the application requires sender-constrained tokens, and the API does not take them",
        )),
        (None, _) => Ok(None),
        (Some(_), Some(key)) => Ok(Some(key)),
        (Some(policy), None) if policy.required => {
            missing("the API requires a DPoP proof, and none was sent")
        }
        (Some(_), None) if client.require_proof_of_possession => {
            missing("the application requires a DPoP proof, and none was sent")
        }
        (Some(_), None) => Ok(None),
    }
}

/// RFC 9449 §5: a public client's refresh token is bound to the key it proved when it got it
/// (a confidential client's is bound to its own credentials already).
pub fn refresh_token_key<'k>(
    client: &RegisteredClient,
    proven_key: Option<&'k str>,
) -> Option<&'k str> {
    proven_key.filter(|_| client.token_endpoint_auth_method == TokenAuthMethod::None)
}

/// A bound refresh token is used only with a proof of its key (RFC 9449 §5).
pub fn check_refresh_key(bound: Option<&str>, proven_key: Option<&str>) -> Result<(), TokenError> {
    match (bound, proven_key) {
        (None, _) => Ok(()),
        (Some(bound), Some(proven)) if bound == proven => Ok(()),
        (Some(_), Some(_)) => Err(TokenError::new(
            Code::InvalidDpopProof,
            "the refresh token is bound to another DPoP key",
        )),
        (Some(_), None) => Err(TokenError::new(
            Code::InvalidDpopProof,
            "the refresh token is bound to a DPoP key: a DPoP proof is required",
        )),
    }
}
