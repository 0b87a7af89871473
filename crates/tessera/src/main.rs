//! The `tessera` command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tessera::admins::{self, AdminsArgs};
use tessera::cli::{self, Manage, Remote};
use tessera::cli::{ImportArgs, KeysArgs};
use tessera::config::Config;
use tessera::demo::{Demo, DemoListeners, DEMO_EMAIL, DEMO_PASSWORD};
use tessera::maintenance::{self, Maintenance};
use tessera::Tessera;
use tessera_admin::bootstrap::NewCredentials;
use tessera_core::clock::Clock;
use tracing_subscriber::EnvFilter;

/// mimalloc returns freed memory to the system after a short delay, so argon2id's 19 MiB working
/// memory does not stay resident in per-thread heaps after a login (glibc's malloc keeps it),
/// and its thread-local free lists make the token path's small allocations cheaper.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "A self-hosted OAuth 2.0 / OpenID Connect authorization server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    remote: Remote,
}

#[derive(Subcommand)]
enum Command {
    /// Run the authorization server.
    Serve {
        /// Configuration file (TOML). Every setting can also be set as TESSERA_<NAME>.
        #[arg(long, short, env = "TESSERA_CONFIG")]
        config: Option<PathBuf>,
        /// Log as JSON lines instead of text.
        #[arg(long)]
        log_json: bool,
    },
    /// Run the seed's example end to end: Tessera, the appointments API and the web app.
    Demo {
        /// Where Tessera keeps its SQLite database.
        #[arg(long, default_value = "tessera-demo")]
        dir: PathBuf,
        /// Tessera's address.
        #[arg(long, default_value = "127.0.0.1:3000")]
        auth: SocketAddr,
        /// The appointments API's address.
        #[arg(long, default_value = "127.0.0.1:3001")]
        api: SocketAddr,
        /// The web app's address.
        #[arg(long, default_value = "127.0.0.1:4000")]
        app: SocketAddr,
    },
    /// Exit 0 if the node this configuration describes is ready (its /readyz answers 200):
    /// the container image's health check.
    Healthcheck {
        /// Configuration file (TOML); its `listen` address is asked.
        #[arg(long, short, env = "TESSERA_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Manage the signing keys: list, rotate, revoke.
    Keys(KeysArgs),
    /// Manage the Dashboard's administrators: create, list.
    Admins(AdminsArgs),
    /// Import another provider's configuration: `import auth0-tenant PATH`.
    Import(ImportArgs),
    #[command(flatten)]
    Maintenance(Maintenance),
    #[command(flatten)]
    Manage(Manage),
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_env("TESSERA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Shown once, at the start that created the management client: only its digest is kept.
fn print_management_credentials(credentials: &NewCredentials, issuer: &str) {
    eprintln!("{}", cli::credentials_notice(credentials, issuer));
}

async fn serve(config: Option<PathBuf>) -> Result<(), String> {
    let config = Config::load(config.as_deref()).map_err(|e| e.to_string())?;
    let tessera = Tessera::prepare(&config, Clock::system())
        .await
        .map_err(|e| e.to_string())?;
    if let Some(credentials) = &tessera.new_management_credentials {
        print_management_credentials(credentials, &tessera.state.settings.issuer);
    }
    let state = &tessera.state;
    let first_admin = tessera_admin::administrators::ensure_first(
        state.store.as_ref(),
        &state.passwords,
        state.clock.now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    if let Some(admin) = &first_admin {
        eprintln!("{}", admins::notice(admin, &state.settings.issuer));
    }
    tracing::info!(address = %tessera.addr, issuer = %tessera.state.settings.issuer, "Tessera is listening");
    tessera_core::crypto::seed_signing_rng_in_background();
    tessera
        .serve(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn demo(
    dir: PathBuf,
    auth: SocketAddr,
    api: SocketAddr,
    app: SocketAddr,
) -> Result<(), String> {
    let listeners = DemoListeners::bind(auth, api, app)
        .await
        .map_err(|e| e.to_string())?;
    let demo = Demo::prepare(&dir, listeners)
        .await
        .map_err(|e| e.to_string())?;
    println!("Tessera demo is running.");
    println!();
    println!("  Open {} and click Sign In.", demo.app_url);
    println!("  Log in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}");
    println!();
    println!(
        "  Authorization server  {}",
        demo.tessera.state.settings.issuer
    );
    println!("  Appointments API      {}", demo.api_url);
    println!("  Data                  {}", demo.data_dir.display());
    println!();
    println!("Press Ctrl-C to stop.");
    demo.serve(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config, log_json } => {
            init_logging(log_json);
            serve(config).await
        }
        Command::Demo {
            dir,
            auth,
            api,
            app,
        } => {
            init_logging(false);
            demo(dir, auth, api, app).await
        }
        Command::Healthcheck { config } => tessera::healthcheck::run(config.as_deref()).await,
        Command::Admins(args) => admins::run(args, Clock::system()).await,
        Command::Import(args) => cli::run_import(cli.remote, args, Clock::system()).await,
        Command::Keys(args) => cli::run_keys(cli.remote, args, Clock::system()).await,
        Command::Manage(manage) => cli::run(cli.remote, manage, Clock::system()).await,
        Command::Maintenance(command) => maintenance::run(command).await.map(|report| {
            println!("{report}");
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
