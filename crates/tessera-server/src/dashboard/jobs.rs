//! User imports from the Dashboard: the Users page's upload form starts a job (the file streamed
//! into the store as the Management API's upload does), and each job has a page with its
//! progress, summary and refused users; the Users page lists recent jobs.

use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use tessera_admin::jobs::{ImportRequest, JobErrorView, JobView};
use tessera_admin::CONNECTION;

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Failure, Fields, Page, Refusal};
use crate::management;
use crate::management::jobs::UPLOAD_DEADLINE;
use crate::routes::web::found;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/job.html")]
struct JobPage {
    chrome: Chrome,
    job: JobView,
    errors: Vec<(String, String)>,
    running: bool,
}

fn refused(message: impl Into<String>) -> Refusal {
    Refusal::from(&Failure::new(StatusCode::BAD_REQUEST, message))
}

/// `POST /dashboard/users/import` (multipart: the CSRF token, `upsert`, then the `users` file).
pub async fn import(
    State(state): State<AppState>,
    signed_in: SignedIn,
    form: Result<Multipart, MultipartRejection>,
) -> Page {
    let form = form.map_err(|rejection| refused(rejection.body_text()))?;
    tokio::time::timeout(UPLOAD_DEADLINE, receive(&state, &signed_in, form))
        .await
        .map_err(|_| refused("The upload was not completed in time."))?
}

async fn receive(state: &AppState, signed_in: &SignedIn, mut form: Multipart) -> Page {
    let mut fields = Fields(Vec::new());
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| refused(e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "users" {
            let value = field.text().await.map_err(|e| refused(e.body_text()))?;
            fields.0.push((name, value));
            continue;
        }
        // The form puts its token and settings before the file: checked before any byte is kept.
        signed_in.check(&fields)?;
        let admin = &state.admin;
        let job = admin.start_users_import(&signed_in.caller).await?;
        let request = ImportRequest {
            connection_id: CONNECTION.to_owned(),
            upsert: fields.get("upsert") == "true",
            external_id: None,
            send_completion_email: false,
        };
        let stored = management::jobs::store_file(admin, &job, field).await;
        let finished = match stored {
            Ok(()) => admin
                .finish_upload(&signed_in.caller, &job, request)
                .await
                .map_err(Refusal::from),
            Err(error) => Err(refused(error.message)),
        };
        if let Err(refusal) = finished {
            admin.abandon_upload(&job).await?;
            return Err(refusal);
        }
        return Ok(found(&format!(
            "/dashboard/jobs/{}",
            view::segment(&job.id)
        )));
    }
    Err(refused("Choose a file of users to import."))
}

/// `GET /dashboard/jobs/{id}`: a job's status and summary, and the users it refused; reloads
/// itself while the job runs.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    let job = state.admin.job(&signed_in.caller, &id).await?;
    let errors = state
        .admin
        .job_errors(&signed_in.caller, &id)
        .await?
        .into_iter()
        .map(reason)
        .collect();
    let page = JobPage {
        chrome: signed_in.chrome("users"),
        running: job.status == "pending" || job.status == "processing",
        job,
        errors,
    };
    Ok(render(StatusCode::OK, page.render()))
}

/// A refused user, shortly: who (email or id), and the reasons.
fn reason(error: JobErrorView) -> (String, String) {
    let who = ["email", "user_id"]
        .iter()
        .find_map(|key| error.user[*key].as_str())
        .map_or_else(|| error.user.to_string(), str::to_owned);
    let why = error
        .errors
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e["code"].as_str().unwrap_or(""),
                        e["message"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    (who, why)
}
