//! Auth0's jobs: user imports (and the records they write in one transaction per batch: users,
//! their authenticator apps, errors and progress), and the database connection they name.

use async_trait::async_trait;
use tessera_protocol::Timestamp;

use crate::{Connection, JsonObject, NewUser, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    UsersImport,
    UsersExport,
    /// `POST /api/v2/jobs/verification-email`: completed once its mail is sent.
    VerificationEmail,
}

impl JobKind {
    /// Auth0's `type` of the job.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::UsersImport => "users_import",
            JobKind::UsersExport => "users_export",
            JobKind::VerificationEmail => "verification_email",
        }
    }

    pub fn parse(text: &str) -> Option<JobKind> {
        [
            JobKind::UsersImport,
            JobKind::UsersExport,
            JobKind::VerificationEmail,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Its file is still arriving; nothing runs it yet.
    Uploading,
    Pending,
    Processing,
    Completed,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Uploading => "uploading",
            JobStatus::Pending => "pending",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<JobStatus> {
        [
            JobStatus::Uploading,
            JobStatus::Pending,
            JobStatus::Processing,
            JobStatus::Completed,
            JobStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// A job and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// `job_` and 16 characters.
    pub id: String,
    pub kind: JobKind,
    pub status: JobStatus,
    pub connection_id: String,
    pub external_id: Option<String>,
    pub upsert: bool,
    pub send_completion_email: bool,
    /// Entries of the file processed so far (imported or refused).
    pub position: u64,
    pub inserted: u64,
    pub updated: u64,
    pub failed: u64,
    /// Why a failed job failed.
    pub failure: Option<String>,
    /// An export's format, limit and fields, as JSON (the admin service's to read).
    pub settings: String,
    /// The key an export's download links are signed with.
    pub file_key: Option<Vec<u8>>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// A user of an import file that passed validation.
#[derive(Debug, Clone)]
pub struct ImportedUser {
    /// Its place in the file (the first entry is 1).
    pub index: u64,
    pub user: NewUser,
    pub blocked: bool,
    /// The entry as the file had it, for the job's errors if the store refuses it.
    pub entry: String,
    /// The authenticator app the entry brings (Auth0's `mfa_factors`), if any.
    pub totp: Option<ImportedTotp>,
}

/// An authenticator app's secret an import entry brings: written confirmed, in its batch's
/// transaction, to the user the entry was written to, unless that user has a confirmed one.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportedTotp {
    /// `totp|dev_` and 16 characters, as Auth0 names authenticators.
    pub id: String,
    /// The secret, sealed (under this id) by the caller.
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for ImportedTotp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportedTotp")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A refused entry: the user as the file had it, and Auth0's `errors` array (JSON texts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    /// The entry's place in the file (the first entry is 1).
    pub index: u64,
    pub user: String,
    pub errors: String,
}

/// The next entries of an import file: the users to write, the entries already refused, and
/// how many entries of the file they cover (written at once, with the job's progress).
#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    pub users: Vec<ImportedUser>,
    pub errors: Vec<JobError>,
    pub entries: u64,
}

#[async_trait]
pub trait JobStore {
    /// The database connection (the one `auth0` connection).
    async fn database_connection(&self) -> StoreResult<Connection>;
    /// Replaces the connection's options; false when there is no connection `id`.
    async fn set_connection_options(&self, id: &str, options: &JsonObject) -> StoreResult<bool>;
    async fn create_job(&self, job: &Job) -> StoreResult<()>;
    async fn job(&self, id: &str) -> StoreResult<Option<Job>>;
    /// An uploaded job's settings (connection, upsert, external id, completion email) written
    /// and the job made pending, for a runner to take.
    async fn ready_job(&self, job: &Job, now: Timestamp) -> StoreResult<()>;
    /// The `limit` most recent jobs, newest first.
    async fn recent_jobs(&self, limit: u32) -> StoreResult<Vec<Job>>;
    /// Jobs that are pending or processing, oldest first.
    async fn unfinished_jobs(&self) -> StoreResult<Vec<Job>>;
    /// Takes the job for this node until `lease_until`, unless another node holds it; false
    /// when it is held or has ended.
    async fn claim_job(
        &self,
        id: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<bool>;
    /// Sets the job's status (and why it failed); an import's file goes once it has ended, an
    /// export's stays (see [`JobStore::purge_export_files`]).
    async fn set_job_status(
        &self,
        id: &str,
        status: JobStatus,
        failure: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn delete_job(&self, id: &str) -> StoreResult<()>;
    /// Stores the `seq`th piece of the job's file.
    async fn append_job_file(&self, id: &str, seq: u64, bytes: &[u8]) -> StoreResult<()>;
    /// Deletes the job's file (an export starting over).
    async fn clear_job_file(&self, id: &str) -> StoreResult<()>;
    /// The `seq`th piece of the job's file, if there is one.
    async fn job_file(&self, id: &str, seq: u64) -> StoreResult<Option<Vec<u8>>>;
    /// Writes the batch's users (inserting, or with `upsert` updating the user with the same
    /// email, or else id, or else username; without, such a user becomes the job error
    /// `refused` makes of it), the authenticator app each written user's entry brings (an
    /// [`ImportedTotp`] becomes a confirmed TOTP authenticator of that user, replacing an
    /// unfinished enrollment, unless the user has a confirmed one: an upsert never replaces
    /// a factor the user enrolled), its errors and those of users the store refused, and the
    /// job's progress, and renews the lease — all in one transaction, so an interrupted job
    /// resumes after the last batch, never inside one, and a user is never written without
    /// their authenticator.
    async fn commit_import_batch(
        &self,
        job: &Job,
        batch: &ImportBatch,
        refused: &(dyn for<'u> Fn(&'u ImportedUser) -> JobError + Sync),
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Job>;
    /// The refused entries of a job, in file order.
    async fn job_errors(&self, id: &str) -> StoreResult<Vec<JobError>>;
    /// Records an export's progress (users written so far) and renews its lease.
    async fn export_progress(
        &self,
        id: &str,
        exported: u64,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<()>;
    /// Deletes the files of exports completed before `before`; how many pieces went.
    async fn purge_export_files(&self, before: Timestamp) -> StoreResult<u64>;
    /// Up to `limit` users after `after` (by id; from the first when `None`), in id order: an
    /// export's pages, which stay cheap however far in (no OFFSET).
    async fn users_after(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<crate::User>>;
}
