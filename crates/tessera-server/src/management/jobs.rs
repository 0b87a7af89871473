//! `/api/v2/jobs`: bulk user import as Auth0's (a multipart upload of a JSON array of users),
//! a job's status and its per-user errors. The file is streamed into the store in pieces as it
//! arrives, never held whole; Auth0's 500 KB cap does not apply.

use std::time::Duration;

use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::email::VerificationEmailJobBody;
use tessera_admin::jobs::{ImportRequest, JobErrorView, JobView, UsersImportForm, FILE_PIECE};
use tessera_admin::user_export::ExportRequest;
use tessera_admin::{Admin, Caller};
use tessera_store::Job;

use crate::management::auth::ApiCaller;
use crate::management::error::{ApiError, ApiResult};
use crate::management::payload::Payload;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

/// The uploads' paths (the API's and the Dashboard's): the request deadline gives way to
/// [`UPLOAD_DEADLINE`] there.
pub const UPLOAD_PATHS: [&str; 2] = ["/api/v2/jobs/users-imports", "/dashboard/users/import"];
/// The largest import file taken.
pub const MAX_IMPORT_BYTES: usize = 4 << 30;
/// How long an upload may take, in place of the request deadline other requests have.
pub const UPLOAD_DEADLINE: Duration = Duration::from_secs(30 * 60);

#[utoipa::path(
    post,
    path = "/api/v2/jobs/users-imports",
    operation_id = "post_users_imports",
    summary = "Import users from a file (a job)",
    tag = "jobs",
    request_body(content = UsersImportForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "The job, pending", body = JobView), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["create:users"])),
)]
pub async fn users_import(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let multipart = multipart.map_err(|rejection| {
        ApiError::invalid_body(format!(
            "Payload validation error: {}",
            rejection.body_text()
        ))
    })?;
    let admin = &state.admin;
    let received = tokio::time::timeout(UPLOAD_DEADLINE, receive(admin, &caller, multipart))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the upload was not completed in time",
                None,
            )
        })?;
    let (job, fields) = received?;
    let Some(job) = job else {
        return Err(ApiError::invalid_body(
            "Payload validation error: Missing required property: users",
        ));
    };
    let finished = match fields.request() {
        Ok(request) => admin
            .finish_upload(&caller, &job, request)
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match finished {
        Ok(view) => Ok((StatusCode::CREATED, Json(view))),
        Err(error) => {
            admin.abandon_upload(&job).await?;
            Err(error)
        }
    }
}

/// The form's fields besides the file, as they arrive (before or after it).
#[derive(Default)]
struct Received {
    connection_id: Option<String>,
    upsert: Option<bool>,
    external_id: Option<String>,
    send_completion_email: Option<bool>,
}

impl Received {
    fn request(&self) -> ApiResult<ImportRequest> {
        Ok(ImportRequest {
            connection_id: self.connection_id.clone().ok_or_else(|| {
                ApiError::invalid_body(
                    "Payload validation error: Missing required property: connection_id",
                )
            })?,
            upsert: self.upsert.unwrap_or(false),
            external_id: self.external_id.clone(),
            send_completion_email: self.send_completion_email.unwrap_or(true),
        })
    }
}

/// Reads the form, streaming the `users` file into a new job; its settings may come before or
/// after it (Auth0's Node SDK sends the file first).
async fn receive(
    admin: &Admin,
    caller: &Caller,
    mut multipart: Multipart,
) -> ApiResult<(Option<Job>, Received)> {
    let mut received = Received::default();
    let mut job: Option<Job> = None;
    let read = async {
        while let Some(field) = multipart.next_field().await.map_err(malformed)? {
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "users" if job.is_some() => {
                    return Err(ApiError::invalid_body(
                        "Payload validation error: more than one users file",
                    ))
                }
                "users" => {
                    let made = admin.start_users_import(caller).await?;
                    let stored = store_file(admin, &made, field).await;
                    job = Some(made);
                    stored?;
                }
                "connection_id" => received.connection_id = Some(text(field).await?),
                "external_id" => received.external_id = Some(text(field).await?),
                "upsert" => received.upsert = Some(flag(&name, field).await?),
                "send_completion_email" => {
                    received.send_completion_email = Some(flag(&name, field).await?)
                }
                _ => {
                    return Err(ApiError::invalid_body(format!(
                        "Payload validation error: Additional properties not allowed: {name}"
                    )))
                }
            }
        }
        Ok(())
    };
    if let Err(error) = read.await {
        if let Some(made) = &job {
            admin.abandon_upload(made).await?;
        }
        return Err(error);
    }
    Ok((job, received))
}

/// Streams the file into the job's pieces.
pub(crate) async fn store_file(admin: &Admin, job: &Job, mut field: Field<'_>) -> ApiResult<()> {
    let mut piece = Vec::with_capacity(FILE_PIECE);
    let mut seq = 0;
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        piece.extend_from_slice(&chunk);
        while piece.len() >= FILE_PIECE {
            let rest = piece.split_off(FILE_PIECE);
            admin.append_upload(job, seq, &piece).await?;
            seq += 1;
            piece = rest;
        }
    }
    if !piece.is_empty() || seq == 0 {
        admin.append_upload(job, seq, &piece).await?;
    }
    Ok(())
}

async fn text(field: Field<'_>) -> ApiResult<String> {
    field.text().await.map_err(malformed)
}

async fn flag(name: &str, field: Field<'_>) -> ApiResult<bool> {
    match text(field).await?.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(ApiError::invalid_body(format!(
            "Payload validation error: {name} must be true or false, not `{other}`"
        ))),
    }
}

fn malformed(error: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::invalid_body(format!("Payload validation error: {}", error.body_text()))
}

#[utoipa::path(
    post,
    path = "/api/v2/jobs/users-exports",
    operation_id = "post_users_exports",
    summary = "Export users to a file (a job)",
    tag = "jobs",
    request_body = ExportRequest,
    responses((status = 201, description = "The job, pending; once completed its `location` is the file", body = JobView), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:users"])),
)]
pub async fn users_export(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(request): Payload<ExportRequest>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let job = state.admin.start_users_export(&caller, request).await?;
    Ok((StatusCode::CREATED, Json(job)))
}

#[utoipa::path(
    post,
    path = "/api/v2/jobs/verification-email",
    operation_id = "post_verification_email",
    summary = "Send a user the email verification mail (a job, completed once it is sent)",
    tag = "jobs",
    request_body = VerificationEmailJobBody,
    responses((status = 201, description = "The job, pending", body = JobView), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:users"])),
)]
pub async fn verification_email(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<VerificationEmailJobBody>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let job = state.admin.verification_email_job(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(job)))
}

#[utoipa::path(
    get,
    path = "/api/v2/jobs/{id}",
    operation_id = "get_jobs_by_id",
    summary = "Get a job",
    tag = "jobs",
    params(("id" = String, Path, description = "The job id (`job_…`)")),
    responses((status = 200, description = "The job", body = JobView), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:users"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(state.admin.job(&caller, &id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v2/jobs/{id}/errors",
    operation_id = "get_errors",
    summary = "The users a job refused, and why",
    tag = "jobs",
    params(("id" = String, Path, description = "The job id (`job_…`)")),
    responses((status = 200, description = "Each refused user as the file had it, with its errors", body = Vec<JobErrorView>), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:users"])),
)]
pub async fn errors(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<JobErrorView>>> {
    Ok(Json(state.admin.job_errors(&caller, &id).await?))
}
