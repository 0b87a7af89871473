//! Management commands on the local store: the admin service, called directly, as the CLI
//! principal (whoever can open the store can already change everything in it).

use std::path::Path;

use tessera_admin::action_bindings::BindingsBody;
use tessera_admin::actions::ActionQuery;
use tessera_admin::connections::ConnectionQuery;
use tessera_admin::jobs::{ImportRequest, JobView, FILE_PIECE};
use tessera_admin::paging::{every, Paging};
use tessera_admin::roles::RoleQuery;
use tessera_admin::users::UserQuery;
use tessera_admin::{scopes, Admin, AdminError, AdminParts, AdminResult, Caller, Principal};
use tessera_core::audit::{Audit, AuditCounters, Recording, RequestContext};
use tessera_core::clock::Clock;
use tessera_core::crypto::Passwords;

use crate::cli::credentials_notice;
use crate::cli::operation::{
    done_message, statuses, ActionOp, Answer, ApiOp, Change, ClientGrantOp, ClientOp, ConnectionOp,
    Failure, GrantOp, KeyOp, Operation, Refused, RoleOp, UserOp,
};
use crate::config::Config;

/// The admin service over the store the configuration names, and the CLI as its caller.
pub struct Local {
    admin: Admin,
    caller: Caller,
}

fn with_hint(error: impl std::fmt::Display) -> String {
    format!(
        "{error}\nhint: check database_url (--config or TESSERA_DATABASE_URL), or pass \
         --server URL to manage a running Tessera"
    )
}

impl Local {
    /// Opens (and seeds) the store of the configuration at `path`. Creating the management
    /// client there prints its credentials, as `tessera serve` would.
    pub async fn open(path: Option<&Path>, clock: Clock) -> Result<Local, String> {
        let config = Config::load(path).map_err(|e| e.to_string())?;
        let issuer = config.issuer_for(config.listen);
        let sealer = crate::sealer(&config).map_err(with_hint)?;
        let store = crate::open_store(&config).await.map_err(with_hint)?;
        let passwords = Passwords::new(1).map_err(|e| e.to_string())?;
        let now = clock.now();
        let created = crate::prepare_store(&config, store.as_ref(), &issuer, &passwords, now)
            .await
            .map_err(with_hint)?;
        if let Some(credentials) = &created {
            eprint!("{}", credentials_notice(credentials, &issuer));
        }
        let audit = Audit::start(store.clone(), AuditCounters::noop(), Recording::Recorded)
            .map_err(|e| e.to_string())?;
        let admin = Admin::new(AdminParts {
            store,
            clock,
            issuer,
            passwords,
            sealer,
            audit,
            brute_force: crate::brute_force(&config),
            email: crate::email_setup(&config, tessera_admin::email::EmailCounters::noop()),
            live: None,
        });
        let caller = Caller::new(Principal::Cli, scopes::all(), RequestContext::default());
        Ok(Local { admin, caller })
    }

    /// Runs `operation`; its audit events are stored before this returns (the process exits
    /// right after).
    pub async fn run(&self, operation: Operation) -> Result<Answer, Failure> {
        let answer = match operation {
            Operation::Clients(op) => self.clients(op).await,
            Operation::Apis(op) => self.apis(op).await,
            Operation::Users(op) => self.users(op).await,
            Operation::Grants(op) => self.grants(op).await,
            Operation::ClientGrants(op) => self.client_grants(op).await,
            Operation::Keys(op) => self.keys(op).await,
            Operation::Roles(op) => self.roles(op).await,
            Operation::Actions(op) => self.actions(op).await,
            Operation::Connections(op) => self.connections(op).await,
        };
        self.admin.flush_audit().await;
        answer.map_err(failure)
    }

    async fn clients(&self, op: ClientOp) -> AdminResult<Answer> {
        let (admin, caller) = (&self.admin, &self.caller);
        Ok(match op {
            ClientOp::List => Answer::Clients(
                every(|p| async move { admin.list_clients(caller, &p).await }).await?,
            ),
            ClientOp::Get(id) => Answer::Client(admin.client(caller, &id).await?),
            ClientOp::Create(body) => Answer::Client(admin.create_client(caller, body).await?),
            ClientOp::Update(id, body) => {
                Answer::Client(admin.update_client(caller, &id, body).await?)
            }
            ClientOp::Delete(id) => {
                admin.delete_client(caller, &id).await?;
                Answer::Done(format!("Deleted the application `{id}`."))
            }
            ClientOp::RotateSecret(id) => {
                Answer::Client(admin.rotate_client_secret(caller, &id).await?)
            }
        })
    }

    async fn apis(&self, op: ApiOp) -> AdminResult<Answer> {
        let (admin, caller) = (&self.admin, &self.caller);
        Ok(match op {
            ApiOp::List => Answer::Apis(
                every(|p| async move { admin.list_resource_servers(caller, &p).await }).await?,
            ),
            ApiOp::Get(id) => Answer::Api(admin.resource_server(caller, &id).await?),
            ApiOp::Create(body) => Answer::Api(admin.create_resource_server(caller, body).await?),
            ApiOp::Update(id, body) => {
                Answer::Api(admin.update_resource_server(caller, &id, body).await?)
            }
            ApiOp::Delete(id) => {
                admin.delete_resource_server(caller, &id).await?;
                Answer::Done(format!("Deleted the API `{id}`."))
            }
        })
    }

    async fn users(&self, op: UserOp) -> AdminResult<Answer> {
        let (admin, caller) = (&self.admin, &self.caller);
        Ok(match op {
            UserOp::List { search } => {
                let query = &UserQuery {
                    q: search,
                    ..UserQuery::default()
                };
                Answer::Users(
                    every(|p| async move { admin.list_users(caller, &p, query).await }).await?,
                )
            }
            UserOp::Get(id) => Answer::User(admin.user(caller, &id).await?),
            UserOp::Create(body) => Answer::User(admin.create_user(caller, body).await?),
            UserOp::Update(id, body) => Answer::User(admin.update_user(caller, &id, body).await?),
            UserOp::Import { file, upsert } => Answer::Job(self.import(&file, upsert).await?),
            UserOp::Roles(id) => Answer::Roles(
                every(|p| {
                    let id = &id;
                    async move { admin.user_roles(caller, id, &p).await }
                })
                .await?,
            ),
            UserOp::AssignRoles(id, body) => {
                admin.assign_user_roles(caller, &id, body).await?;
                Answer::Done(done_message(Change::UserRoles {
                    user: &id,
                    added: true,
                }))
            }
            UserOp::RemoveRoles(id, body) => {
                admin.remove_user_roles(caller, &id, body).await?;
                Answer::Done(done_message(Change::UserRoles {
                    user: &id,
                    added: false,
                }))
            }
            UserOp::Permissions(id) => Answer::UserPermissions(
                every(|p| {
                    let id = &id;
                    async move { admin.user_permissions(caller, id, &p).await }
                })
                .await?,
            ),
            UserOp::AddPermissions(id, body) => {
                admin.add_user_permissions(caller, &id, body).await?;
                Answer::Done(done_message(Change::UserPermissions {
                    user: &id,
                    added: true,
                }))
            }
            UserOp::RemovePermissions(id, body) => {
                admin.remove_user_permissions(caller, &id, body).await?;
                Answer::Done(done_message(Change::UserPermissions {
                    user: &id,
                    added: false,
                }))
            }
            UserOp::Delete(id) => {
                admin.delete_user(caller, &id).await?;
                Answer::Done(format!(
                    "Deleted the user `{id}`; their refresh tokens no longer work."
                ))
            }
        })
    }

    async fn grants(&self, op: GrantOp) -> AdminResult<Answer> {
        Ok(match op {
            GrantOp::List(query) => {
                Answer::Grants(self.admin.list_grants(&self.caller, &query).await?)
            }
            GrantOp::Delete(id) => {
                self.admin.delete_grant(&self.caller, &id).await?;
                Answer::Done(format!(
                    "Revoked the grant `{id}` and the refresh tokens issued under it."
                ))
            }
        })
    }

    async fn client_grants(&self, op: ClientGrantOp) -> AdminResult<Answer> {
        let (admin, caller) = (&self.admin, &self.caller);
        Ok(match op {
            ClientGrantOp::List(query) => {
                let query = &query;
                Answer::ClientGrants(
                    every(|p| async move { admin.list_client_grants(caller, query, &p).await })
                        .await?,
                )
            }
            ClientGrantOp::Create(body) => {
                Answer::ClientGrant(admin.create_client_grant(caller, body).await?)
            }
            ClientGrantOp::Update(id, body) => {
                Answer::ClientGrant(admin.update_client_grant(caller, &id, body).await?)
            }
            ClientGrantOp::Delete(id) => {
                admin.delete_client_grant(caller, &id).await?;
                Answer::Done(format!("Deleted the client grant `{id}`."))
            }
        })
    }

    async fn actions(&self, op: ActionOp) -> AdminResult<Answer> {
        let (admin, caller) = (&self.admin, &self.caller);
        let everything = Paging::nth(0);
        match op {
            ActionOp::List => {
                let list = admin
                    .list_actions(caller, &ActionQuery::default(), &everything)
                    .await?;
                Ok(Answer::Actions(list.actions))
            }
            ActionOp::Deploy(source) => {
                let named = ActionQuery {
                    action_name: Some(source.name.clone()),
                    ..ActionQuery::default()
                };
                let found = admin.list_actions(caller, &named, &everything).await?;
                let action = match found.actions.into_iter().next() {
                    Some(action) => {
                        admin
                            .update_action(caller, &action.id, source.body(false))
                            .await?
                    }
                    None => admin.create_action(caller, source.body(true)).await?,
                };
                let version = admin.deploy_action(caller, &action.id).await?;
                let bound = admin
                    .trigger_bindings(caller, &source.trigger, &everything)
                    .await?;
                let ids: Vec<String> = bound.bindings.iter().map(|b| b.action.id.clone()).collect();
                let newly_bound = !ids.contains(&action.id);
                if newly_bound {
                    let body = BindingsBody::by_ids(
                        ids.iter().map(String::as_str).chain([action.id.as_str()]),
                    );
                    admin
                        .update_trigger_bindings(caller, &source.trigger, body)
                        .await?;
                }
                Ok(Answer::Done(done_message(Change::ActionDeployed {
                    name: &source.name,
                    trigger: &source.trigger,
                    version: version.number,
                    newly_bound,
                })))
            }
        }
    }

    async fn roles(&self, op: RoleOp) -> AdminResult<Answer> {
        let (admin, caller) = (&self.admin, &self.caller);
        Ok(match op {
            RoleOp::List { name_filter } => {
                let query = &RoleQuery { name_filter };
                Answer::Roles(
                    every(|p| async move { admin.list_roles(caller, query, &p).await }).await?,
                )
            }
            RoleOp::Get(id) => Answer::Role(admin.role(caller, &id).await?),
            RoleOp::Create(body) => Answer::Role(admin.create_role(caller, body).await?),
            RoleOp::Update(id, body) => Answer::Role(admin.update_role(caller, &id, body).await?),
            RoleOp::Delete(id) => {
                admin.delete_role(caller, &id).await?;
                Answer::Done(done_message(Change::RoleDeleted(&id)))
            }
            RoleOp::Permissions(id) => Answer::RolePermissions(
                every(|p| {
                    let id = &id;
                    async move { admin.role_permissions(caller, id, &p).await }
                })
                .await?,
            ),
            RoleOp::AddPermissions(id, body) => {
                admin.add_role_permissions(caller, &id, body).await?;
                Answer::Done(done_message(Change::RolePermissions {
                    role: &id,
                    added: true,
                }))
            }
            RoleOp::RemovePermissions(id, body) => {
                admin.remove_role_permissions(caller, &id, body).await?;
                Answer::Done(done_message(Change::RolePermissions {
                    role: &id,
                    added: false,
                }))
            }
            RoleOp::Users(id) => Answer::RoleUsers(
                every(|p| {
                    let id = &id;
                    async move { admin.role_users(caller, id, &p).await }
                })
                .await?,
            ),
            RoleOp::AddUsers(id, body) => {
                admin.add_role_users(caller, &id, body).await?;
                Answer::Done(done_message(Change::RoleUsers(&id)))
            }
        })
    }

    async fn connections(&self, op: ConnectionOp) -> AdminResult<Answer> {
        let (admin, caller) = (&self.admin, &self.caller);
        Ok(match op {
            ConnectionOp::List { strategy } => {
                let query = ConnectionQuery {
                    strategy,
                    name: None,
                };
                Answer::Connections(admin.list_connections(caller, &query).await?)
            }
            ConnectionOp::Get(id) => Answer::Connection(admin.connection(caller, &id).await?),
            ConnectionOp::Create(body) => {
                Answer::Connection(admin.create_connection(caller, body).await?)
            }
            ConnectionOp::Update(id, change) => {
                let current = if change.changes_options() {
                    Some(admin.connection(caller, &id).await?)
                } else {
                    None
                };
                let update = change
                    .update(current.as_ref())
                    .map_err(AdminError::NotSupported)?;
                Answer::Connection(admin.update_connection(caller, &id, update).await?)
            }
            ConnectionOp::Delete(id) => {
                admin.delete_connection(caller, &id).await?;
                Answer::Done(done_message(Change::ConnectionDeleted(&id)))
            }
            ConnectionOp::Clients {
                id,
                client_ids,
                enabled,
            } => {
                admin
                    .update_connection_clients(caller, &id, statuses(client_ids, enabled))
                    .await?;
                Answer::Done(done_message(Change::ConnectionClients {
                    connection: &id,
                    enabled,
                }))
            }
        })
    }

    async fn keys(&self, op: KeyOp) -> AdminResult<Answer> {
        let (admin, caller) = (&self.admin, &self.caller);
        Ok(match op {
            KeyOp::List => Answer::Keys(admin.list_signing_keys(caller).await?),
            KeyOp::Rotate(query) => {
                Answer::RotatedKey(admin.rotate_signing_key(caller, &query).await?)
            }
            KeyOp::Revoke { kid, force } => {
                let revocation = admin.revoke_signing_key(caller, &kid, force).await?;
                Answer::RevokedKey {
                    key: revocation.key,
                    already_revoked: revocation.already_revoked,
                }
            }
        })
    }
}

impl Local {
    /// Uploads the file into a job a piece at a time and runs it here (a server sharing the
    /// store may take it first: either way it runs once), showing its progress.
    async fn import(&self, file: &Path, upsert: bool) -> AdminResult<JobView> {
        let (admin, caller) = (&self.admin, &self.caller);
        let unreadable =
            |e: std::io::Error| AdminError::InvalidBody(format!("{}: {e}", file.display()));
        let mut reader = std::fs::File::open(file).map_err(unreadable)?;
        let job = admin.start_users_import(caller).await?;
        let mut piece = vec![0u8; FILE_PIECE];
        let mut seq = 0;
        loop {
            let read = read_piece(&mut reader, &mut piece).map_err(unreadable)?;
            if read == 0 && seq > 0 {
                break;
            }
            admin.append_upload(&job, seq, &piece[..read]).await?;
            seq += 1;
            if read < FILE_PIECE {
                break;
            }
        }
        let request = ImportRequest {
            connection_id: tessera_admin::CONNECTION.to_owned(),
            upsert,
            external_id: None,
            send_completion_email: false,
        };
        admin.finish_upload(caller, &job, request).await?;
        let runner = {
            let admin = admin.clone();
            tokio::spawn(async move { admin.run_unfinished_jobs().await })
        };
        let view = follow_job(|| admin.job(caller, &job.id)).await;
        runner.abort();
        view
    }
}

/// Fills `piece` from `reader` as far as it goes; the bytes read.
fn read_piece(reader: &mut impl std::io::Read, piece: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < piece.len() {
        match reader.read(&mut piece[filled..])? {
            0 => break,
            read => filled += read,
        }
    }
    Ok(filled)
}

/// Polls a job until it ends, showing how far it got on stderr; the job as it ended.
pub async fn follow_job<E, F, Fut>(mut look: F) -> Result<JobView, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<JobView, E>>,
{
    loop {
        let job = look().await?;
        let summary = job.summary;
        eprint!(
            "\r{}: {} users read, {} inserted, {} updated, {} refused",
            job.status, summary.total, summary.inserted, summary.updated, summary.failed
        );
        if job.status == "completed" || job.status == "failed" {
            eprintln!();
            return Ok(job);
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

fn failure(error: AdminError) -> Failure {
    let refused = match &error {
        AdminError::NotFound(..) => Refused::NotFound,
        AdminError::Conflict(_) => Refused::Conflict,
        AdminError::InsufficientScope(scope) => Refused::InsufficientScope(scope.clone()),
        _ => Refused::Other,
    };
    Failure {
        refused,
        message: error.to_string(),
        status: None,
    }
}
