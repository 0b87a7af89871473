//! Authentication of Management API calls, Auth0 style: a Bearer access token for the audience
//! `{issuer}api/v2/`, obtained with `client_credentials`; its client is the caller and its
//! scopes say what it may do (the admin service checks them).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use tessera_admin::scopes::management_audience;
use tessera_admin::{AdminError, Caller, Principal};

use crate::client_ip::request_context_of;
use crate::flows::own_tokens::{verify_access_token, AccessTokenRefused};
use crate::management::error::ApiError;
use crate::state::AppState;

/// The caller of a Management API request, from its verified token.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("Missing authentication"))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(ApiError::unauthorized(
                    "Bad HTTP authentication header format",
                ))
            }
        };
        let claims = verify_access_token(state, token)
            .await
            .map_err(|refused| match refused {
                AccessTokenRefused::Invalid(reason) => {
                    ApiError::unauthorized(format!("Invalid token: {reason}"))
                }
                AccessTokenRefused::Internal(error) => AdminError::from(error).into(),
            })?;
        if !claims
            .aud
            .contains(&management_audience(&state.settings.issuer))
        {
            return Err(ApiError::unauthorized(
                "Invalid token: it is not for the Management API",
            ));
        }
        let request = request_context_of(parts, state.settings.trust_forwarded_for);
        Ok(ApiCaller(Caller::new(
            Principal::Client(claims.client_id),
            claims.scope,
            request,
        )))
    }
}
