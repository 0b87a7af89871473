//! The error answers the Management API's operations declare in its OpenAPI document, each the
//! [`ErrorBody`] that [`super::error::ApiError`] renders.

use utoipa::ToResponse;

use crate::management::error::ErrorBody;

/// 400: the body or query does not validate.
#[derive(ToResponse)]
#[response(description = "The body or query is invalid; the message names the field")]
pub struct BadRequest(pub ErrorBody);

/// 401: no token, or not a valid Management API token.
#[derive(ToResponse)]
#[response(description = "Missing, invalid or expired token, or one for another audience")]
pub struct Unauthorized(pub ErrorBody);

/// 403: the token lacks the operation's scope, or the resource cannot be changed.
#[derive(ToResponse)]
#[response(description = "The token lacks the required scope (`insufficient_scope`)")]
pub struct Forbidden(pub ErrorBody);

/// 404: no such resource.
#[derive(ToResponse)]
#[response(
    description = "No such resource (`inexistent_client`, `inexistent_user`, `inexistent_resource_server` or `inexistent_resource`)"
)]
pub struct NotFound(pub ErrorBody);

/// 409: the resource exists already.
#[derive(ToResponse)]
#[response(description = "The resource already exists (`already_exists`)")]
pub struct Conflict(pub ErrorBody);
