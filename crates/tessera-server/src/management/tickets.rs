//! `/api/v2/tickets/*`: single-use links to change a password or verify an email, over the
//! admin service.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::tickets::{EmailVerificationTicketBody, PasswordChangeTicketBody, Ticket};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::Payload;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/v2/tickets/password-change",
    operation_id = "post_password_change",
    summary = "Create a single-use link to change a user's password",
    tag = "tickets",
    request_body = PasswordChangeTicketBody,
    responses((status = 201, description = "The link", body = Ticket), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["create:user_tickets"])),
)]
pub async fn password_change(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<PasswordChangeTicketBody>,
) -> ApiResult<(StatusCode, Json<Ticket>)> {
    let ticket = state.admin.password_change_ticket(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

#[utoipa::path(
    post,
    path = "/api/v2/tickets/email-verification",
    operation_id = "post_email_verification",
    summary = "Create a single-use link that verifies a user's email",
    tag = "tickets",
    request_body = EmailVerificationTicketBody,
    responses((status = 201, description = "The link", body = Ticket), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["create:user_tickets"])),
)]
pub async fn email_verification(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<EmailVerificationTicketBody>,
) -> ApiResult<(StatusCode, Json<Ticket>)> {
    let ticket = state.admin.email_verification_ticket(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}
