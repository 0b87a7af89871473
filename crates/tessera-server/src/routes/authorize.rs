//! `GET /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::client_ip::Origin;
use crate::flows::authorize;
use crate::flows::par::{self, Pulled};
use crate::routes::web;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    origin: Origin,
    headers: HeaderMap,
) -> Response {
    let query = match web::query_params(query.as_deref()) {
        Ok(params) => params,
        Err(description) => return web::bad_request(&description),
    };
    // RFC 9126 §4: a `request_uri` from /oauth/par stands for the whole request.
    let (params, pushed) = match par::pull(&state, &query, state.clock.now()).await {
        Ok(Pulled::NotPushed) => (query, false),
        Ok(Pulled::Pushed(pushed)) => (pushed, true),
        Ok(Pulled::Refused(error)) => {
            return web::navigate(&state.settings, authorize::Outcome::ErrorPage(error))
        }
        Err(error) => return error.into_response(),
    };
    match authorize::begin(
        &state,
        &params,
        pushed,
        &web::browser_cookies(&headers),
        &origin.context,
    )
    .await
    {
        Ok(outcome) => web::navigate(&state.settings, outcome),
        Err(error) => error.into_response(),
    }
}
