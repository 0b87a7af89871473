//! `GET /jobs/{id}/export`: a completed user export's file (gzip), behind the signed, short-lived
//! link its job shows as `location` — no token needed, as with Auth0's (a signed storage URL):
//! scripts written for Auth0 download it with a plain GET.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera_admin::user_export::Format;

use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct Link {
    expires: i64,
    signature: String,
}

pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    link: Result<Query<Link>, QueryRejection>,
) -> Response {
    let gone = || {
        (
            StatusCode::NOT_FOUND,
            "This export link is invalid or has expired.",
        )
            .into_response()
    };
    let Ok(Query(link)) = link else {
        return gone();
    };
    let (job, settings) = match state
        .admin
        .export_file_pieces(&id, link.expires, &link.signature)
        .await
    {
        Ok(Some(found)) => found,
        Ok(None) => return gone(),
        Err(error) => {
            tracing::warn!(%error, "an export could not be read");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The export cannot be read now.",
            )
                .into_response();
        }
    };
    let extension = match settings.format {
        Format::Json => "json",
        Format::Csv => "csv",
    };
    let admin = state.admin.clone();
    let job_id = job.id.clone();
    let pieces = futures_util::stream::unfold(0u64, move |seq| {
        let (admin, job_id) = (admin.clone(), job_id.clone());
        async move {
            match admin.job_file_piece(&job_id, seq).await {
                Ok(Some(piece)) => Some((Ok::<_, std::io::Error>(piece), seq + 1)),
                Ok(None) => None,
                Err(error) => Some((Err(std::io::Error::other(error.to_string())), u64::MAX)),
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/gzip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.{extension}.gz\"", job.id),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(pieces),
    )
        .into_response()
}
