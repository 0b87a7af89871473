//! DPoP-bound access tokens at a resource server (RFC 9449 §7): a token sent with the `DPoP`
//! scheme is accepted with one proof, made for this request by the key the token is bound to,
//! and never seen before.

use tessera_jwt::dpop::{check_proof, CheckedProof, ExpectedRequest};

use crate::{BearerError, Claims, HttpRequest, Validator};

/// Which tokens an API takes (Auth0's API setting `proof_of_possession.required`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DpopPolicy {
    /// Bearer tokens with the `Bearer` scheme and DPoP-bound tokens with the `DPoP` scheme and a
    /// proof, each refused under the other scheme (RFC 9449 §7.2).
    #[default]
    Allowed,
    /// DPoP-bound tokens only, with the `DPoP` scheme and a proof; every `Bearer` request is
    /// refused.
    Required,
}

fn invalid_proof(description: &str) -> BearerError {
    BearerError::InvalidDpopProof(description.into())
}

impl Validator {
    /// A token sent with the `DPoP` scheme: checks the proof (RFC 9449 §4.3), the token, that
    /// the proof's key is the token's (§7.1), and records the proof so it is accepted once.
    pub(crate) async fn validate_dpop(
        &self,
        token: &str,
        request: &HttpRequest<'_>,
        now: i64,
    ) -> Result<Claims, BearerError> {
        // RFC 9449 §7.1: the resource server MUST check that a DPoP proof was also received;
        // §4.3 step 1: not more than one `DPoP` header.
        let proof = match request.dpop {
            [] => return Err(invalid_proof("the DPoP scheme needs a DPoP proof header")),
            [proof] => proof,
            _ => return Err(invalid_proof("the request has more than one DPoP header")),
        };
        let uri = self.request_uri(request)?;
        // RFC 9449 §4.3 steps 2–9, 11, and 12's `ath`: the proof hashes this token.
        let checked = check_proof(
            proof,
            &ExpectedRequest {
                method: request.method,
                uri: &uri,
                now,
                access_token: Some(token),
            },
        )
        .map_err(|error| invalid_proof(error.0))?;
        let claims = self.verify_token(token, now).await?;
        check_binding(&claims, &checked)?;
        // RFC 9449 §11.1: a proof is accepted once; recorded last, so only a request that
        // passed every other check spends room in the cache.
        self.replay_cache().record(&checked, now)?;
        Ok(claims)
    }
}

/// RFC 9449 §4.3 step 12, §6.1: the token is bound (`cnf.jkt`) to the key that signed the proof.
fn check_binding(claims: &Claims, proof: &CheckedProof) -> Result<(), BearerError> {
    match claims.dpop_jkt() {
        Some(jkt) if jkt == proof.jkt => Ok(()),
        Some(_) => Err(BearerError::InvalidToken(
            "the DPoP proof's key is not the one the token is bound to".into(),
        )),
        None => Err(BearerError::InvalidToken(
            "the token is not DPoP-bound (it has no cnf.jkt)".into(),
        )),
    }
}
