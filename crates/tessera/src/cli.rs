//! The management commands (`tessera clients|apis|users|grants|client-grants …`, and
//! `tessera keys …` with `--server`). Every command is one Management API request, sent either
//! in-process to a state built on the local store or over HTTP to a running server, so both
//! modes share the API's semantics and errors.

mod call;
mod commands;
mod keys;
mod render;
mod target;

use clap::{Args, Subcommand};

pub use call::{Call, Noun, View};
pub use commands::{
    ApisAction, ClientGrantsAction, ClientsAction, GrantsAction, On, StoreArgs, UsersAction,
};

use crate::bootstrap::NewCredentials;
use crate::cli_keys::KeysArgs;
use target::Target;
use tessera_core::clock::Clock;

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
}

impl Manage {
    fn into_parts(self) -> (StoreArgs, Call) {
        match self {
            Manage::Clients(on) => (on.store, on.action.call()),
            Manage::Apis(on) => (on.store, on.action.call()),
            Manage::Users(on) => (on.store, on.action.call()),
            Manage::Grants(on) => (on.store, on.action.call()),
            Manage::ClientGrants(on) => (on.store, on.action.call()),
        }
    }
}

/// Runs a resource command; the error is the message to print, with what to do next.
pub async fn run(remote: Remote, manage: Manage, clock: Clock) -> Result<(), String> {
    let (store, call) = manage.into_parts();
    let target = Target::connect(&remote, store.config.as_deref(), clock).await?;
    let answer = target.send(&call).await?;
    print!("{}", render::shown(&call, &answer, remote.json));
    Ok(())
}

/// Runs `tessera keys …`: on the local store as before, or through the Management API of the
/// server `--server` names.
pub async fn run_keys(remote: Remote, args: KeysArgs, clock: Clock) -> Result<(), String> {
    keys::run(remote, args, clock).await
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
