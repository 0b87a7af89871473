//! Dashboard administrators: the first one, created at first start with a password printed
//! once, and `tessera admins create USERNAME [--read-only]`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tessera_protocol::Timestamp;
use tessera_store::{Admin, AdminRole, Store, StoreError};

use crate::config::Config;
use tessera_core::clock::Clock;
use tessera_core::crypto::{random_token, Passwords};

/// The first administrator's username.
pub const FIRST_ADMIN: &str = "admin";

/// An administrator just created, with the password to show once.
pub struct NewAdmin {
    pub username: String,
    pub password: String,
    pub role: AdminRole,
}

impl std::fmt::Debug for NewAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAdmin")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

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

/// Creates an administrator with a generated password.
pub async fn create(
    store: &dyn Store,
    passwords: &Passwords,
    username: &str,
    role: AdminRole,
    now: Timestamp,
) -> Result<NewAdmin, String> {
    let username = username.trim();
    if username.is_empty() || username.chars().any(char::is_whitespace) {
        return Err("the username must be non-empty and without spaces".into());
    }
    let password = random_token(18).map_err(|e| e.to_string())?;
    let password_hash = passwords
        .hash(password.clone())
        .await
        .map_err(|e| e.to_string())?;
    let admin = Admin {
        username: username.to_owned(),
        password_hash,
        role,
        created_at: now,
    };
    store.create_admin(&admin).await.map_err(|e| match e {
        StoreError::Conflict(_) => format!("an administrator named `{username}` exists already"),
        other => other.to_string(),
    })?;
    Ok(NewAdmin {
        username: username.to_owned(),
        password,
        role,
    })
}

/// At first start (no administrator yet), creates `admin` with full access.
pub async fn ensure_first(
    store: &dyn Store,
    passwords: &Passwords,
    now: Timestamp,
) -> Result<Option<NewAdmin>, String> {
    if !store
        .list_admins()
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(None);
    }
    create(store, passwords, FIRST_ADMIN, AdminRole::Admin, now)
        .await
        .map(Some)
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
            let admin = create(store.as_ref(), &passwords, &username, role, clock.now()).await?;
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
