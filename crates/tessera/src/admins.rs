//! `tessera admins create USERNAME [--read-only]` and `tessera admins list`, and the notice that
//! shows a new administrator's password once.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tessera_admin::administrators::{create, NewAdmin};
use tessera_core::clock::Clock;
use tessera_core::crypto::Passwords;
use tessera_store::AdminRole;

use crate::config::Config;

/// The notice printed once for a new administrator.
pub fn notice(admin: &NewAdmin, issuer: &str) -> String {
    let role = match admin.role {
        AdminRole::Admin => "full access",
        AdminRole::ReadOnly => "read-only",
    };
    format!(
        "\nA Dashboard administrator was created ({role}). The password is shown only now:\n\n  \
         username: {}\n  password: {}\n\nSign in at {issuer}dashboard\n",
        admin.username, admin.password
    )
}

/// `tessera admins`.
#[derive(Debug, Args)]
pub struct AdminsArgs {
    /// Configuration file (TOML), for its database_url.
    #[arg(long, short, env = "TESSERA_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub action: AdminsAction,
}

#[derive(Debug, Subcommand)]
pub enum AdminsAction {
    /// Create a Dashboard administrator; prints a generated password once.
    Create {
        username: String,
        /// Only reads: every change is refused.
        #[arg(long)]
        read_only: bool,
    },
    /// List the Dashboard administrators.
    List,
}

/// Runs `tessera admins …` against the store the configuration names.
pub async fn run(args: AdminsArgs, clock: Clock) -> Result<(), String> {
    let config = Config::load(args.config.as_deref()).map_err(|e| e.to_string())?;
    let store = crate::open_store(&config)
        .await
        .map_err(|e| e.to_string())?;
    match args.action {
        AdminsAction::Create {
            username,
            read_only,
        } => {
            let passwords = Passwords::new(1).map_err(|e| e.to_string())?;
            let role = if read_only {
                AdminRole::ReadOnly
            } else {
                AdminRole::Admin
            };
            let admin = create(store.as_ref(), &passwords, &username, role, clock.now())
                .await
                .map_err(|e| e.to_string())?;
            let issuer = config.issuer_for(config.listen);
            eprint!("{}", notice(&admin, &issuer));
            Ok(())
        }
        AdminsAction::List => {
            for admin in store.list_admins().await.map_err(|e| e.to_string())? {
                println!("{}\t{}", admin.username, admin.role.as_str());
            }
            Ok(())
        }
    }
}
