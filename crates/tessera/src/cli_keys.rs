//! `tessera keys list|rotate|revoke`: signing key management against the store the
//! configuration names. Running servers pick the changes up at their next key reload
//! (`key_refresh_interval`).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use tessera_jwt::Algorithm;
use tessera_protocol::Timestamp;
use tessera_store::{SigningKeyRecord, Store};

use tessera_core::clock::Clock;
use tessera_core::keys::{revoke, rotate, KeyStatus, Revoked};

use crate::config::Config;

/// `tessera keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// Configuration file (TOML), for its database_url. Every setting can also be set as
    /// TESSERA_<NAME> (e.g. TESSERA_DATABASE_URL).
    #[arg(long, short, env = "TESSERA_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub action: KeysAction,
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// List every signing key: kid, algorithm, creation time and status
    /// (current signer, previous key still published, or revoked).
    List,
    /// Generate a key that signs new tokens of its algorithm from the servers' next key
    /// reload; the previous key stays published so tokens it signed still verify.
    Rotate {
        /// RS256, PS256, ES256 or EdDSA.
        #[arg(long, default_value = "RS256", value_parser = parse_algorithm)]
        alg: Algorithm,
    },
    /// Withdraw a key from the JWKS: tokens it signed stop verifying.
    Revoke {
        /// The key id, as `tessera keys list` shows it. A kid is an RFC 7638 thumbprint in
        /// base64url, which may start with `-`: it is taken as the kid, not as an option.
        #[arg(allow_hyphen_values = true)]
        kid: String,
        /// Revoke it even if it is the current signer of its algorithm.
        #[arg(long)]
        force: bool,
    },
}

fn parse_algorithm(value: &str) -> Result<Algorithm, String> {
    Algorithm::parse(value).map_err(|_| "use RS256, PS256, ES256 or EdDSA".to_owned())
}

/// Runs `tessera keys …`; the error is the message to print.
pub async fn run(args: KeysArgs, clock: Clock) -> Result<(), String> {
    let config = Config::load(args.config.as_deref()).map_err(|e| e.to_string())?;
    let store = crate::open_store(&config)
        .await
        .map_err(|e| e.to_string())?;
    let store = store.as_ref();
    match args.action {
        KeysAction::List => {
            let records = store.all_signing_keys().await.map_err(|e| e.to_string())?;
            print!("{}", table(&records));
        }
        KeysAction::Rotate { alg } => {
            let sealer = crate::sealer(&config).map_err(|e| e.to_string())?;
            let record = rotate(store, &sealer, alg, clock.now())
                .await
                .map_err(|e| e.to_string())?;
            let event = tessera_core::audit::key_changed(
                "Rotate the signing key",
                &record.kid,
                &record.alg,
            );
            audit_directly(store, event, clock.now()).await;
            println!("Generated the {alg} signing key {}.", record.kid);
            println!(
                "Servers sign new {alg} tokens with it from their next key reload \
                 (key_refresh_interval, 10 s by default); the previous key stays published \
                 until you revoke it."
            );
        }
        KeysAction::Revoke { kid, force } => {
            let outcome = revoke(store, &kid, force, clock.now())
                .await
                .map_err(|e| e.to_string())?;
            if let Revoked::Revoked { alg } = &outcome {
                let event = tessera_core::audit::key_changed("Revoke a signing key", &kid, alg);
                audit_directly(store, event, clock.now()).await;
            }
            match outcome {
                Revoked::Revoked { .. } => println!(
                    "Revoked {kid}: servers drop it from the JWKS at their next key reload."
                ),
                Revoked::AlreadyRevoked => println!("{kid} was already revoked."),
            }
        }
    }
    Ok(())
}

/// Stores the event at once: this command runs without a server's audit queue. A failure
/// is reported but does not undo the key change.
async fn audit_directly(store: &dyn Store, event: tessera_core::audit::Event, now: Timestamp) {
    let stored = match tessera_core::audit::LogIds::new() {
        Ok(ids) => {
            let record = event
                .client("tessera-cli", None)
                .into_log_event(ids.next(now), now);
            store
                .insert_log_events(&[record])
                .await
                .map_err(|e| e.to_string())
        }
        Err(error) => Err(error.to_string()),
    };
    if let Err(error) = stored {
        eprintln!("warning: the audit log event was not stored: {error}");
    }
}

/// The key table, oldest first.
pub fn table(records: &[SigningKeyRecord]) -> String {
    if records.is_empty() {
        return "No signing keys yet: a server generates them at its first start \
                (or run `tessera keys rotate`).\n"
            .into();
    }
    let mut out = format!("{:<43}  {:<5}  {:<20}  STATUS\n", "KID", "ALG", "CREATED");
    for record in records {
        let mut line = format!(
            "{:<43}  {:<5}  {:<20}  {}",
            record.kid,
            record.alg,
            record.created_at.rfc3339(),
            KeyStatus::of(record, records).as_str()
        );
        if let Some(at) = record.revoked_at {
            let _ = write!(line, " {}", at.rfc3339());
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kid_starting_with_a_hyphen_is_a_kid_not_an_option() {
        use clap::Parser;
        #[derive(Parser)]
        struct Keys {
            #[command(flatten)]
            keys: KeysArgs,
        }
        let parsed = Keys::try_parse_from(["keys", "revoke", "-2Xb_kid", "--force"]);
        match parsed.map(|k| k.keys.action) {
            Ok(KeysAction::Revoke { kid, force }) => {
                assert_eq!(kid, "-2Xb_kid");
                assert!(force);
            }
            other => unreachable!("parsed as {other:?}"),
        }
    }
}
