//! `/api/v2/emails/provider` and `/api/v2/email-templates`: the SMTP server mails go through
//! and the templates they are made from, over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::email::{EmailProvider, EmailTemplate};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::Payload;
use crate::management::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/emails/provider",
    operation_id = "get_email_provider",
    summary = "Get the email provider (never its password)",
    tag = "emails",
    responses((status = 200, description = "The provider", body = EmailProvider), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:email_provider"])),
)]
pub async fn get_provider(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<EmailProvider>> {
    Ok(Json(state.admin.email_provider(&caller).await?))
}

#[utoipa::path(
    post,
    path = "/api/v2/emails/provider",
    operation_id = "post_email_provider",
    summary = "Configure the email provider (SMTP)",
    tag = "emails",
    request_body = EmailProvider,
    responses((status = 201, description = "The provider", body = EmailProvider), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:email_provider"])),
)]
pub async fn create_provider(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<EmailProvider>,
) -> ApiResult<(StatusCode, Json<EmailProvider>)> {
    let provider = state.admin.create_email_provider(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(provider)))
}

#[utoipa::path(
    patch,
    path = "/api/v2/emails/provider",
    operation_id = "patch_email_provider",
    summary = "Change the email provider",
    tag = "emails",
    request_body = EmailProvider,
    responses((status = 200, description = "The provider", body = EmailProvider), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:email_provider"])),
)]
pub async fn update_provider(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<EmailProvider>,
) -> ApiResult<Json<EmailProvider>> {
    Ok(Json(
        state.admin.update_email_provider(&caller, body).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v2/emails/provider",
    operation_id = "delete_email_provider",
    summary = "Remove the email provider (mails go through the configuration file's, or to the outbox)",
    tag = "emails",
    responses((status = 204, description = "Removed"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:email_provider"])),
)]
pub async fn delete_provider(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<StatusCode> {
    state.admin.delete_email_provider(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v2/email-templates",
    operation_id = "post_email_templates",
    summary = "Customize an email template (verify_email, reset_email or welcome_email)",
    tag = "email-templates",
    request_body = EmailTemplate,
    responses((status = 200, description = "The template", body = EmailTemplate), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:email_templates"])),
)]
pub async fn create_template(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<EmailTemplate>,
) -> ApiResult<Json<EmailTemplate>> {
    Ok(Json(
        state.admin.create_email_template(&caller, body).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v2/email-templates/{templateName}",
    operation_id = "get_email_templates_by_templateName",
    summary = "Get a customized email template",
    tag = "email-templates",
    params(("templateName" = String, Path, description = "verify_email, reset_email or welcome_email")),
    responses((status = 200, description = "The template", body = EmailTemplate), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:email_templates"])),
)]
pub async fn get_template(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(name): Path<String>,
) -> ApiResult<Json<EmailTemplate>> {
    Ok(Json(state.admin.email_template(&caller, &name).await?))
}

#[utoipa::path(
    put,
    path = "/api/v2/email-templates/{templateName}",
    operation_id = "put_email_templates_by_templateName",
    summary = "Replace an email template",
    tag = "email-templates",
    params(("templateName" = String, Path, description = "verify_email, reset_email or welcome_email")),
    request_body = EmailTemplate,
    responses((status = 200, description = "The template", body = EmailTemplate), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:email_templates"])),
)]
pub async fn replace_template(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(name): Path<String>,
    Payload(body): Payload<EmailTemplate>,
) -> ApiResult<Json<EmailTemplate>> {
    Ok(Json(
        state
            .admin
            .replace_email_template(&caller, &name, body)
            .await?,
    ))
}

#[utoipa::path(
    patch,
    path = "/api/v2/email-templates/{templateName}",
    operation_id = "patch_email_templates_by_templateName",
    summary = "Change fields of a customized email template",
    tag = "email-templates",
    params(("templateName" = String, Path, description = "verify_email, reset_email or welcome_email")),
    request_body = EmailTemplate,
    responses((status = 200, description = "The template", body = EmailTemplate), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:email_templates"])),
)]
pub async fn update_template(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(name): Path<String>,
    Payload(body): Payload<EmailTemplate>,
) -> ApiResult<Json<EmailTemplate>> {
    Ok(Json(
        state
            .admin
            .update_email_template(&caller, &name, body)
            .await?,
    ))
}
