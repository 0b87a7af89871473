//! Auth0's jobs API for bulk user import: a job is made when its file starts to arrive, its
//! file kept in the store in pieces, and a runner on any node takes it (under a lease), reads
//! the file entry by entry and writes users in batches — each batch, its errors and the job's
//! progress in one transaction, so a job stopped by a restart resumes after its last batch.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::crypto::random_alphanumeric;
use tessera_store::{ImportBatch, Job, JobKind, JobStatus, StoreResult};
use tokio::task::JoinHandle;

use crate::error::{AdminError, AdminResult, Missing};
use crate::service::{Admin, Caller};
use crate::user_import::{check_entry, refused, EntrySplitter};

/// Entries written per transaction.
const BATCH: u64 = 500;
/// How long a node holds a job between batches before another node may take it over.
const LEASE: i64 = 60;
/// How often a node looks for jobs to run.
const POLL: Duration = Duration::from_secs(1);
/// The pieces a file is stored in.
pub const FILE_PIECE: usize = 256 * 1024;

/// The fields of `POST /api/v2/jobs/users-imports` besides the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRequest {
    pub connection_id: String,
    pub upsert: bool,
    pub external_id: Option<String>,
    pub send_completion_email: bool,
}

/// The multipart form of `POST /api/v2/jobs/users-imports`, as Auth0 documents it.
#[derive(utoipa::ToSchema)]
pub struct UsersImportForm {
    /// The JSON array of users (Auth0's import schema).
    #[schema(value_type = String, format = Binary)]
    pub users: Vec<u8>,
    /// The database connection's id (`con_…`; its name is taken too).
    pub connection_id: String,
    /// Update users whose email exists (`true`/`false`, default false).
    pub upsert: Option<bool>,
    pub external_id: Option<String>,
    /// Accepted; Tessera sends no email yet.
    pub send_completion_email: Option<bool>,
}

/// A job, as Auth0's `GET /api/v2/jobs/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobView {
    /// `pending`, `processing`, `completed` or `failed`.
    pub status: String,
    /// `users_import`.
    #[serde(rename = "type")]
    pub kind: String,
    /// RFC 3339.
    pub created_at: String,
    pub id: String,
    pub connection_id: String,
    /// The connection's name.
    pub connection: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Counts of the users processed so far (final once completed).
    pub summary: JobSummary,
    /// Why a failed job failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobSummary {
    pub failed: u64,
    pub updated: u64,
    pub inserted: u64,
    pub total: u64,
}

/// A refused user: as the file had it, and why (`code`, `message`, `path` each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobErrorView {
    #[schema(value_type = Object)]
    pub user: Value,
    #[schema(value_type = Vec<Object>)]
    pub errors: Value,
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::Other, format!("The job `{id}`"))
}

impl Admin {
    /// Makes an import job for a file about to arrive: nothing runs it until
    /// [`Admin::finish_upload`] gives its settings (Auth0's SDKs send the file first).
    pub async fn start_users_import(&self, caller: &Caller) -> AdminResult<Job> {
        caller.require("create:users")?;
        let connection = self.store().database_connection().await?;
        let now = self.now();
        let job = Job {
            id: format!("job_{}", random_alphanumeric(16)?),
            kind: JobKind::UsersImport,
            status: JobStatus::Uploading,
            connection_id: connection.id,
            external_id: None,
            upsert: false,
            send_completion_email: false,
            position: 0,
            inserted: 0,
            updated: 0,
            failed: 0,
            failure: None,
            created_at: now,
            updated_at: now,
        };
        self.store().create_job(&job).await?;
        Ok(job)
    }

    /// Stores the `seq`th piece of an uploading job's file.
    pub async fn append_upload(&self, job: &Job, seq: u64, bytes: &[u8]) -> AdminResult<()> {
        Ok(self.store().append_job_file(&job.id, seq, bytes).await?)
    }

    /// The whole file arrived with the job's settings: the job is ready for a runner. The
    /// connection is named by its id or its name.
    pub async fn finish_upload(
        &self,
        caller: &Caller,
        job: &Job,
        request: ImportRequest,
    ) -> AdminResult<JobView> {
        let connection = self.store().database_connection().await?;
        if request.connection_id != connection.id && request.connection_id != connection.name {
            return Err(AdminError::InvalidBody(format!(
                "Payload validation error: connection_id `{}` is not the database connection `{}` ({})",
                request.connection_id, connection.id, connection.name
            )));
        }
        let ready = Job {
            connection_id: connection.id,
            external_id: request.external_id,
            upsert: request.upsert,
            send_completion_email: request.send_completion_email,
            ..job.clone()
        };
        self.store().ready_job(&ready, self.now()).await?;
        self.record(
            caller,
            caller.event(
                tessera_core::audit::Event::new(tessera_core::audit::EventType::ApiOperation)
                    .description("Create a users import job")
                    .details(serde_json::json!({ "job_id": job.id })),
            ),
        );
        self.job(caller, &job.id).await
    }

    /// The upload failed: the job and what arrived of its file go.
    pub async fn abandon_upload(&self, job: &Job) -> AdminResult<()> {
        Ok(self.store().delete_job(&job.id).await?)
    }

    pub async fn job(&self, caller: &Caller, id: &str) -> AdminResult<JobView> {
        caller.require("read:users")?;
        let job = self.store().job(id).await?.ok_or_else(|| not_found(id))?;
        let connection = self.store().database_connection().await?;
        let status = match job.status {
            JobStatus::Uploading => JobStatus::Pending,
            other => other,
        };
        Ok(JobView {
            status: status.as_str().to_owned(),
            kind: job.kind.as_str().to_owned(),
            created_at: job.created_at.rfc3339(),
            id: job.id,
            connection_id: job.connection_id,
            connection: connection.name,
            external_id: job.external_id,
            summary: JobSummary {
                failed: job.failed,
                updated: job.updated,
                inserted: job.inserted,
                total: job.position,
            },
            status_details: job.failure,
        })
    }

    pub async fn job_errors(&self, caller: &Caller, id: &str) -> AdminResult<Vec<JobErrorView>> {
        caller.require("read:users")?;
        self.store().job(id).await?.ok_or_else(|| not_found(id))?;
        let errors = self.store().job_errors(id).await?;
        Ok(errors
            .into_iter()
            .map(|error| JobErrorView {
                user: serde_json::from_str(&error.user).unwrap_or(Value::Null),
                errors: serde_json::from_str(&error.errors).unwrap_or(Value::Null),
            })
            .collect())
    }

    /// Runs jobs on this node until aborted: every [`POLL`], each unfinished job no other node
    /// holds, to its end.
    pub fn spawn_job_runner(&self) -> JoinHandle<()> {
        let admin = self.clone();
        tokio::spawn(async move {
            loop {
                admin.run_unfinished_jobs().await;
                tokio::time::sleep(POLL).await;
            }
        })
    }

    /// One look for jobs: runs each unfinished job this node can claim.
    pub async fn run_unfinished_jobs(&self) {
        let jobs = match self.store().unfinished_jobs().await {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::warn!(%error, "jobs could not be listed; retrying");
                return;
            }
        };
        for job in jobs {
            let now = self.now();
            match self.store().claim_job(&job.id, now, now.plus(LEASE)).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%error, job = %job.id, "a job could not be claimed");
                    continue;
                }
            }
            tracing::info!(job = %job.id, resume_after = job.position, "running a users import");
            if let Err(error) = self.run_import(job.clone()).await {
                // The store failed (not the file): the lease lapses and a node resumes it.
                tracing::warn!(%error, job = %job.id, "users import interrupted; it resumes later");
            }
        }
    }

    /// Reads the job's file from the start, skips the entries already committed, and writes the
    /// rest in batches; a file that is not an array of entries fails the job with the reason.
    async fn run_import(&self, mut job: Job) -> StoreResult<()> {
        let store = self.store();
        let mut splitter = EntrySplitter::default();
        let mut seen = 0u64;
        let mut batch = ImportBatch::default();
        let mut seq = 0u64;
        while let Some(piece) = store.job_file(&job.id, seq).await? {
            seq += 1;
            let mut entries = Vec::new();
            let fed = splitter.feed(&piece, |entry| entries.push(entry));
            for entry in entries {
                seen += 1;
                if seen <= job.position {
                    continue;
                }
                batch.entries += 1;
                match check_entry(seen, &entry) {
                    Ok(user) => batch.users.push(user),
                    Err(error) => batch.errors.push(error),
                }
                if batch.entries == BATCH {
                    job = self.commit(&job, std::mem::take(&mut batch)).await?;
                }
            }
            if let Err(reason) = fed {
                return self.fail(&job, batch, &reason).await;
            }
        }
        if let Err(reason) = splitter.finish() {
            return self.fail(&job, batch, &reason).await;
        }
        job = self.commit(&job, batch).await?;
        store
            .set_job_status(&job.id, JobStatus::Completed, None, self.now())
            .await?;
        tracing::info!(
            job = %job.id,
            inserted = job.inserted,
            updated = job.updated,
            failed = job.failed,
            "users import completed"
        );
        self.changed();
        Ok(())
    }

    async fn commit(&self, job: &Job, batch: ImportBatch) -> StoreResult<Job> {
        let now = self.now();
        self.store()
            .commit_import_batch(job, &batch, &refused, now, now.plus(LEASE))
            .await
    }

    /// Keeps what the file's valid part gave (Auth0 too imports the users before a fault) and
    /// fails the job with `reason`.
    async fn fail(&self, job: &Job, batch: ImportBatch, reason: &str) -> StoreResult<()> {
        let job = self.commit(job, batch).await?;
        tracing::warn!(job = %job.id, reason, "users import failed");
        self.store()
            .set_job_status(
                &job.id,
                JobStatus::Failed,
                Some(&format!("The file cannot be read: {reason}")),
                self.now(),
            )
            .await?;
        self.changed();
        Ok(())
    }
}
