//! Auth0's jobs API for bulk user import: a job is made when its file starts to arrive, its
//! file kept in the store in pieces, and a runner on any node takes it (under a lease), reads
//! the file entry by entry and writes users in batches — each batch's users and their
//! authenticator apps, its errors and the job's progress in one transaction, so a job stopped
//! by a restart resumes after its last batch, with nothing of it lost.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq;
use tessera_core::crypto::random_alphanumeric;
use tessera_store::{Connection, ImportBatch, ImportedUser, Job, JobKind, JobStatus, StoreResult};
use tokio::task::JoinHandle;

use crate::error::{AdminError, AdminResult, Missing};
use crate::mfa::imported::skipped_note;
use crate::service::{Admin, Caller};
use crate::user_export::{ExportField, ExportRequest, ExportSettings, Format};
use crate::user_import::{check_entry, refused, EntrySplitter, Inflater};

/// Entries written per transaction, at most…
const BATCH: u64 = 500;
/// … and at most this many bytes of them (a batch of large entries is written sooner).
const BATCH_BYTES: usize = 8 << 20;
/// How long a node holds a job between batches before another node may take it over.
const LEASE: i64 = 60;
/// How often a node looks for jobs to run.
const POLL: Duration = Duration::from_secs(1);
/// The pieces a file is stored in.
pub const FILE_PIECE: usize = 256 * 1024;
/// Users read per page of an export.
const EXPORT_PAGE: u32 = 1000;
/// How long an export's download link works.
const LINK_LIFETIME: i64 = 600;
/// How long an export's file is kept after the job completed (housekeeping then deletes it).
pub const EXPORT_KEPT: i64 = 24 * 3600;

/// The download link's signature: HMAC-SHA256 of the job and the expiry under the job's key.
fn link_signature(key: &[u8], id: &str, expires: i64) -> String {
    use hmac::{Mac, SimpleHmac};
    let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{id}:{expires}").as_bytes());
    tessera_protocol::secret::base64url(&mac.finalize().into_bytes())
}

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
    /// Why a failed job failed; for an import, also the users imported without the MFA
    /// factors Tessera cannot use (phone, email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// An export's format: `json` or `csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<ExportField>>,
    /// A completed export's file (gzip), for ten minutes from this answer, with no token
    /// needed: the link is signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
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
        let job = self.new_job(JobKind::UsersImport, JobStatus::Uploading, connection.id)?;
        self.store().create_job(&job).await?;
        Ok(job)
    }

    /// A job of `kind` that has done nothing yet.
    pub(crate) fn new_job(
        &self,
        kind: JobKind,
        status: JobStatus,
        connection_id: String,
    ) -> AdminResult<Job> {
        let now = self.now();
        Ok(Job {
            id: format!("job_{}", random_alphanumeric(16)?),
            kind,
            status,
            connection_id,
            external_id: None,
            upsert: false,
            send_completion_email: false,
            position: 0,
            inserted: 0,
            updated: 0,
            failed: 0,
            failure: None,
            settings: "{}".to_owned(),
            file_key: None,
            created_at: now,
            updated_at: now,
            completed_at: None,
        })
    }

    /// The database connection, which a request names by its id or its name.
    async fn connection_named(&self, named: &str) -> AdminResult<Connection> {
        let connection = self.store().database_connection().await?;
        if named != connection.id && named != connection.name {
            return Err(AdminError::InvalidBody(format!(
                "Payload validation error: connection_id `{named}` is not the database connection `{}` ({})",
                connection.id, connection.name
            )));
        }
        Ok(connection)
    }

    /// Makes an export job; a runner writes its file (gzip) in the background.
    pub async fn start_users_export(
        &self,
        caller: &Caller,
        request: ExportRequest,
    ) -> AdminResult<JobView> {
        caller.require("read:users")?;
        let settings = ExportSettings::of(&request).map_err(|reason| {
            AdminError::InvalidBody(format!("Payload validation error: {reason}"))
        })?;
        let connection = match &request.connection_id {
            Some(named) => self.connection_named(named).await?,
            None => self.store().database_connection().await?,
        };
        let mut key = vec![0u8; 32];
        tessera_core::crypto::fill_random(&mut key)?;
        let job = Job {
            settings: serde_json::to_string(&settings)
                .map_err(|e| AdminError::Internal(e.to_string()))?,
            file_key: Some(key),
            ..self.new_job(JobKind::UsersExport, JobStatus::Pending, connection.id)?
        };
        self.store().create_job(&job).await?;
        self.job(caller, &job.id).await
    }

    /// The pieces of a completed export's file, if `signature` signs `expires` for it and
    /// `expires` has not passed; `None` otherwise, or once the file is gone.
    pub async fn export_file_pieces(
        &self,
        id: &str,
        expires: i64,
        signature: &str,
    ) -> AdminResult<Option<(Job, ExportSettings)>> {
        let Some(job) = self.store().job(id).await? else {
            return Ok(None);
        };
        let (Some(key), JobStatus::Completed) = (&job.file_key, job.status) else {
            return Ok(None);
        };
        let expected = link_signature(key, id, expires);
        let signed = bool::from(expected.as_bytes().ct_eq(signature.as_bytes()));
        let fresh = expires >= self.now().0;
        let kept = job
            .completed_at
            .is_some_and(|at| at.plus(EXPORT_KEPT) > self.now());
        if !(signed && fresh && kept) {
            return Ok(None);
        }
        let settings =
            serde_json::from_str(&job.settings).map_err(|e| AdminError::Internal(e.to_string()))?;
        Ok(Some((job, settings)))
    }

    /// The `seq`th piece of a job's file.
    pub async fn job_file_piece(&self, id: &str, seq: u64) -> AdminResult<Option<Vec<u8>>> {
        Ok(self.store().job_file(id, seq).await?)
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
        let connection = self.connection_named(&request.connection_id).await?;
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

    /// The most recent jobs, newest first (the Dashboard's list).
    pub async fn recent_jobs(&self, caller: &Caller, limit: u32) -> AdminResult<Vec<JobView>> {
        caller.require("read:users")?;
        let connection = self.store().database_connection().await?;
        let jobs = self.store().recent_jobs(limit).await?;
        jobs.into_iter()
            .map(|job| self.view_of(job, &connection.name))
            .collect()
    }

    pub async fn job(&self, caller: &Caller, id: &str) -> AdminResult<JobView> {
        caller.require("read:users")?;
        let job = self.store().job(id).await?.ok_or_else(|| not_found(id))?;
        let connection = self.store().database_connection().await?;
        self.view_of(job, &connection.name)
    }

    fn view_of(&self, job: Job, connection: &str) -> AdminResult<JobView> {
        let status = match job.status {
            JobStatus::Uploading => JobStatus::Pending,
            other => other,
        };
        let export = match job.kind {
            JobKind::UsersExport => Some(
                serde_json::from_str::<ExportSettings>(&job.settings)
                    .map_err(|e| AdminError::Internal(e.to_string()))?,
            ),
            JobKind::UsersImport | JobKind::VerificationEmail => None,
        };
        let location = match (&job.file_key, job.status) {
            (Some(key), JobStatus::Completed) => {
                let expires = self.now().plus(LINK_LIFETIME).0;
                Some(format!(
                    "{}jobs/{}/export?expires={expires}&signature={}",
                    self.issuer(),
                    job.id,
                    link_signature(key, &job.id, expires)
                ))
            }
            _ => None,
        };
        Ok(JobView {
            status: status.as_str().to_owned(),
            kind: job.kind.as_str().to_owned(),
            created_at: job.created_at.rfc3339(),
            id: job.id,
            connection_id: job.connection_id,
            connection: connection.to_owned(),
            external_id: job.external_id,
            summary: JobSummary {
                failed: job.failed,
                updated: job.updated,
                inserted: job.inserted,
                total: job.position,
            },
            status_details: job.failure,
            format: export.as_ref().map(|e| match e.format {
                Format::Json => "json".to_owned(),
                Format::Csv => "csv".to_owned(),
            }),
            limit: export.as_ref().and_then(|e| e.limit),
            fields: export
                .as_ref()
                .filter(|e| !e.fields.is_empty())
                .map(|e| e.fields.clone()),
            location,
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
        // A verification-email job has nothing to run: the mail queue completes it.
        let runnable = jobs
            .into_iter()
            .filter(|job| job.kind != JobKind::VerificationEmail);
        for job in runnable {
            let now = self.now();
            match self.store().claim_job(&job.id, now, now.plus(LEASE)).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%error, job = %job.id, "a job could not be claimed");
                    continue;
                }
            }
            tracing::info!(job = %job.id, kind = job.kind.as_str(), resume_after = job.position, "running a job");
            let ran = match job.kind {
                JobKind::UsersImport => self.run_import(job.clone()).await,
                JobKind::UsersExport => self.run_export(&job).await.map_err(AdminError::from),
                JobKind::VerificationEmail => Ok(()),
            };
            if let Err(error) = ran {
                // The store failed (not the file): the lease lapses and a node resumes it.
                tracing::warn!(%error, job = %job.id, "users import interrupted; it resumes later");
            }
        }
    }

    /// Reads the job's file from the start, skips the entries already committed, and writes the
    /// rest in batches; a file that is not an array of entries fails the job with the reason.
    async fn run_import(&self, mut job: Job) -> AdminResult<()> {
        let store = self.store();
        let mut inflater = Inflater::default();
        let mut splitter = EntrySplitter::default();
        let mut seen = 0u64;
        let mut batch = ImportBatch::default();
        // The batch's entries whose phone or email factors were skipped.
        let mut batch_skipped = Vec::new();
        // Entries of this run (not of a run a restart interrupted) whose factors were skipped.
        let mut skipped = Vec::new();
        let mut batch_bytes = 0usize;
        let mut seq = 0u64;
        loop {
            let piece = store.job_file(&job.id, seq).await?;
            seq += 1;
            let mut entries = Vec::new();
            let mut split = |bytes: &[u8]| splitter.feed(bytes, |entry| entries.push(entry));
            let fed = match &piece {
                Some(piece) => inflater.feed(piece, &mut split),
                None => inflater.finish(&mut split),
            };
            for entry in entries {
                seen += 1;
                if seen <= job.position {
                    continue;
                }
                batch.entries += 1;
                batch_bytes += entry.len();
                match check_entry(seen, &entry) {
                    Ok(mut checked) => {
                        if let Some(secret) = &checked.factors.totp {
                            checked.user.totp = Some(self.imported_totp(secret)?);
                        }
                        if !checked.factors.skipped.is_empty() {
                            batch_skipped.push(seen);
                        }
                        batch.users.push(checked.user);
                    }
                    Err(error) => batch.errors.push(error),
                }
                if batch.entries == BATCH || batch_bytes >= BATCH_BYTES {
                    batch_bytes = 0;
                    let (users, brought) = (
                        std::mem::take(&mut batch),
                        std::mem::take(&mut batch_skipped),
                    );
                    job = self.commit(&job, users, &brought, &mut skipped).await?;
                }
            }
            if let Err(reason) = fed {
                return self
                    .fail(&job, (batch, &batch_skipped), &skipped, &reason)
                    .await;
            }
            if piece.is_none() {
                break;
            }
        }
        if let Err(reason) = splitter.finish() {
            return self
                .fail(&job, (batch, &batch_skipped), &skipped, &reason)
                .await;
        }
        job = self
            .commit(&job, batch, &batch_skipped, &mut skipped)
            .await?;
        let note = skipped_note(&skipped);
        store
            .set_job_status(&job.id, JobStatus::Completed, note.as_deref(), self.now())
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

    /// Writes every user (up to the limit), a page at a time, into the job's file, gzipped, in
    /// pieces; an export interrupted by a restart starts over.
    async fn run_export(&self, job: &Job) -> StoreResult<()> {
        use std::io::Write;
        let store = self.store();
        let settings: ExportSettings = match serde_json::from_str(&job.settings) {
            Ok(settings) => settings,
            Err(error) => {
                let reason = format!("The export's settings cannot be read: {error}");
                return store
                    .set_job_status(&job.id, JobStatus::Failed, Some(&reason), self.now())
                    .await;
            }
        };
        store.clear_job_file(&job.id).await?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut seq = 0u64;
        let mut exported = 0u64;
        let mut after: Option<String> = None;
        let limit = settings.limit.unwrap_or(u64::MAX);
        // Writing into a Vec cannot fail.
        let _ = gzip.write_all(settings.header().unwrap_or_default().as_bytes());
        'pages: loop {
            let users = store.users_after(after.as_deref(), EXPORT_PAGE).await?;
            let Some(last) = users.last() else { break };
            after = Some(last.user_id.clone());
            for user in &users {
                if exported == limit {
                    break 'pages;
                }
                let _ = gzip.write_all(settings.line(user).as_bytes());
                exported += 1;
            }
            while gzip.get_ref().len() >= FILE_PIECE {
                let rest = gzip.get_mut().split_off(FILE_PIECE);
                let piece = std::mem::replace(gzip.get_mut(), rest);
                store.append_job_file(&job.id, seq, &piece).await?;
                seq += 1;
            }
            let now = self.now();
            store
                .export_progress(&job.id, exported, now, now.plus(LEASE))
                .await?;
        }
        let last = gzip.finish().unwrap_or_default();
        store.append_job_file(&job.id, seq, &last).await?;
        store
            .export_progress(&job.id, exported, self.now(), self.now().plus(LEASE))
            .await?;
        store
            .set_job_status(&job.id, JobStatus::Completed, None, self.now())
            .await?;
        tracing::info!(job = %job.id, exported, "users export completed");
        Ok(())
    }

    /// Writes the batch — its users with their authenticator apps — in one transaction, and
    /// adds to `skipped` its written entries whose factors were skipped (`batch_skipped`).
    async fn commit(
        &self,
        job: &Job,
        batch: ImportBatch,
        batch_skipped: &[u64],
        skipped: &mut Vec<u64>,
    ) -> AdminResult<Job> {
        let now = self.now();
        let refused_by_store = std::sync::Mutex::new(Vec::new());
        let refuse = |user: &ImportedUser| {
            if let Ok(mut indexes) = refused_by_store.lock() {
                indexes.push(user.index);
            }
            refused(user)
        };
        let job = self
            .store()
            .commit_import_batch(job, &batch, &refuse, now, now.plus(LEASE))
            .await?;
        let refused_by_store = refused_by_store
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        skipped.extend(
            batch_skipped
                .iter()
                .filter(|index| !refused_by_store.contains(index)),
        );
        Ok(job)
    }

    /// Keeps what the file's valid part gave (Auth0 too imports the users before a fault) and
    /// fails the job with `reason`.
    async fn fail(
        &self,
        job: &Job,
        (batch, batch_skipped): (ImportBatch, &[u64]),
        skipped: &[u64],
        reason: &str,
    ) -> AdminResult<()> {
        let mut skipped = skipped.to_vec();
        let job = self.commit(job, batch, batch_skipped, &mut skipped).await?;
        tracing::warn!(job = %job.id, reason, "users import failed");
        let mut details = format!("The file cannot be read: {reason}");
        if let Some(note) = skipped_note(&skipped) {
            details = format!("{details}. {note}");
        }
        self.store()
            .set_job_status(&job.id, JobStatus::Failed, Some(&details), self.now())
            .await?;
        self.changed();
        Ok(())
    }
}
