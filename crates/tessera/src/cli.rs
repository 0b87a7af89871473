//! The management commands (`tessera clients|apis|users|roles|connections|grants|client-grants|
//! keys …`). Each is one typed admin operation, run either on the local store (the admin
//! service, directly) or on a running server (its Management API, over HTTP); both give the same
//! typed answers, printed the same way.

mod commands;
mod keys;
mod local;
mod operation;
mod remote;
mod render;
mod tenant;

use clap::{Args, Subcommand};
use tessera_admin::bootstrap::NewCredentials;
use tessera_core::clock::Clock;

pub use commands::{
    ActionsAction, ApisAction, ClientGrantsAction, ClientsAction, ConnectionsAction, GrantsAction,
    On, RolesAction, StoreArgs, UsersAction,
};
pub use keys::{KeysAction, KeysArgs};
pub use operation::{Answer, Noun, Operation};
pub use tenant::{run as run_import, ImportArgs};

use operation::Failure;

use local::Local;
use remote::Server;

/// Options of the management commands that say where to send them and how to print answers.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Management commands")]
pub struct Remote {
    /// Manage the Tessera server at this URL through its Management API, instead of the local
    /// store the configuration names.
    #[arg(long, env = "TESSERA_SERVER", global = true, value_name = "URL")]
    pub server: Option<String>,
    /// The management client's id (with --server).
    #[arg(long, env = "TESSERA_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// The management client's secret (with --server).
    #[arg(
        long,
        env = "TESSERA_CLIENT_SECRET",
        global = true,
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub client_secret: Option<String>,
    /// Print the Management API's JSON answer instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The resource commands.
#[derive(Debug, Subcommand)]
pub enum Manage {
    /// Applications (Auth0 clients): list, get, create, update, delete, rotate.
    Clients(On<ClientsAction>),
    /// APIs (Auth0 resource servers): list, get, create, update, delete.
    Apis(On<ApisAction>),
    /// Users of the username/password database: list, get, create, update, delete.
    Users(On<UsersAction>),
    /// Consents users gave applications: list, delete.
    Grants(On<GrantsAction>),
    /// Which APIs machine-to-machine applications may call, with which scopes.
    ClientGrants(On<ClientGrantsAction>),
    /// Roles (RBAC): list, get, create, update, delete, their permissions and users.
    Roles(On<RolesAction>),
    /// Auth0 Actions: deploy one from its JavaScript file, list them.
    Actions(On<ActionsAction>),
    /// Connections: the database and other identity providers (oidc, oauth2, google-oauth2,
    /// github) users log in at; list, get, create, update, delete, enable or disable them for
    /// applications.
    Connections(On<ConnectionsAction>),
}

impl Manage {
    fn into_parts(self) -> Result<(StoreArgs, Operation), String> {
        Ok(match self {
            Manage::Clients(on) => (on.store, on.action.operation()),
            Manage::Apis(on) => (on.store, on.action.operation()),
            Manage::Users(on) => (on.store, on.action.operation()),
            Manage::Grants(on) => (on.store, on.action.operation()),
            Manage::ClientGrants(on) => (on.store, on.action.operation()),
            Manage::Roles(on) => (on.store, on.action.operation()),
            Manage::Actions(on) => (on.store, on.action.operation()?),
            Manage::Connections(on) => (on.store, on.action.operation()),
        })
    }
}

/// Where management operations go: a running server, or the local store.
pub(crate) enum Target {
    Server(Server),
    Local(Box<Local>),
}

impl Target {
    /// The server `remote` names, else the local store of the configuration at `config`.
    pub(crate) async fn open(
        remote: &Remote,
        config: Option<&std::path::Path>,
        clock: Clock,
    ) -> Result<Target, String> {
        Ok(match &remote.server {
            Some(server) => Target::Server(Server::connect(server, remote).await?),
            None => Target::Local(Box::new(Local::open(config, clock).await?)),
        })
    }

    pub(crate) async fn run(&self, operation: Operation) -> Result<Answer, Failure> {
        match self {
            Target::Server(server) => server.run(operation).await,
            Target::Local(local) => local.run(operation).await,
        }
    }
}

/// Runs a resource command; the error is the message to print, with what to do next.
pub async fn run(remote: Remote, manage: Manage, clock: Clock) -> Result<(), String> {
    let (store, operation) = manage.into_parts()?;
    execute(&remote, store.config.as_deref(), operation, clock).await
}

/// Runs `tessera keys …`.
pub async fn run_keys(remote: Remote, args: KeysArgs, clock: Clock) -> Result<(), String> {
    execute(
        &remote,
        args.config.as_deref(),
        args.action.operation(),
        clock,
    )
    .await
}

/// Runs `operation` where `remote` says (a server, or the local store of the configuration at
/// `config`) and prints its answer.
async fn execute(
    remote: &Remote,
    config: Option<&std::path::Path>,
    operation: Operation,
    clock: Clock,
) -> Result<(), String> {
    let noun = operation.noun();
    let answer = Target::open(remote, config, clock)
        .await?
        .run(operation)
        .await;
    match answer {
        Ok(answer) => {
            print!("{}", render::shown(&answer, remote.json));
            Ok(())
        }
        Err(failure) => Err(render::failure(&failure, noun)),
    }
}

/// The notice shown when a start created the management client: its secret is shown only then.
pub fn credentials_notice(credentials: &NewCredentials, issuer: &str) -> String {
    format!(
        "\nA management client was created. Its secret is shown only now; keep it safe:\n\n  \
         client_id:     {}\n  client_secret: {}\n  audience:      {}api/v2/\n\n\
         Get a Management API token with client_credentials at {}oauth/token, or set [management] in the config.\n",
        credentials.client_id, credentials.client_secret, issuer, issuer
    )
}
