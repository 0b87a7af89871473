//! The token endpoint's dispatcher (RFC 6749 §3.2): authenticate the client, parse the grant,
//! check the client may use it, and hand it to the grant's module.

use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::params::Params;
use tessera_protocol::token::{self, TokenRequest};

use crate::client_ip::Origin;
use crate::flows::client_auth::authenticate;
use crate::flows::grant::TokenFailure;
use crate::flows::mint::TokenResponse;
use crate::flows::{client_credentials, code, device, dpop, mfa_api, password, refresh};
use crate::state::AppState;

/// Handles `POST /oauth/token`.
pub async fn exchange(
    state: &AppState,
    authorization: Option<&str>,
    dpop_proof: Option<&str>,
    params: &Params,
    origin: &Origin,
) -> Result<TokenResponse, TokenFailure> {
    let now = state.clock.now();
    let client = authenticate(state, authorization, params, &origin.ip()).await?;
    let request = token::parse_token_request(params)?;
    // RFC 6749 §5.2: `unauthorized_client` when the client may not use this grant type.
    if !client.allows_grant(request.grant_type()) {
        let grant = request.grant_type().as_str();
        return Err(TokenError::new(
            Code::UnauthorizedClient,
            format!("the application is not allowed the {grant} grant"),
        )
        .into());
    }
    let proof = dpop::at_token_endpoint(state, dpop_proof).await?;
    let proven_key = proof.as_ref().map(|proof| proof.jkt.as_str());
    let context = &origin.context;
    match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            let presented = code::Presented {
                code: &code,
                redirect_uri: redirect_uri.as_deref(),
                code_verifier: code_verifier.as_deref(),
            };
            code::redeem(state, &client, presented, proven_key, now, context).await
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
        } => {
            let scope = scope.as_ref();
            refresh::refresh(
                state,
                &client,
                &refresh_token,
                scope,
                proven_key,
                now,
                context,
            )
            .await
        }
        TokenRequest::ClientCredentials { audience, scope } => {
            let scope = scope.as_ref();
            client_credentials::issue(state, &client, audience, scope, proven_key, now, context)
                .await
        }
        TokenRequest::Password {
            username,
            password: secret,
            realm,
            audience,
            scope,
        } => {
            let presented = password::Presented {
                username: &username,
                password: &secret,
                realm: realm.as_deref(),
                audience: audience.as_deref(),
                scope: scope.as_ref(),
            };
            password::issue(state, &client, presented, proven_key, now, origin).await
        }
        TokenRequest::DeviceCode { device_code } => {
            device::exchange(state, &client, &device_code, proven_key, now, context).await
        }
        TokenRequest::Mfa { mfa_token, proof } => {
            mfa_api::exchange(state, &client, &mfa_token, proof, proven_key, now, origin).await
        }
    }
}
