//! `tessera keys list|rotate|revoke`: signing key management against the store the
//! configuration names. Running servers pick the changes up at their next key reload
//! (`key_refresh_interval`).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use tessera_jwt::Algorithm;
use tessera_protocol::Timestamp;
use tessera_store::{SigningKeyRecord, Store};

use crate::clock::Clock;
use crate::config::Config;
use crate::keys::{self, KeyError};
use crate::secrets::Sealer;

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

/// Why a key was not revoked.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("no signing key has the kid `{0}` (see `tessera keys list`)")]
    Unknown(String),
    #[error(
        "`{kid}` is the current {alg} signing key: rotate first (`tessera keys rotate --alg {alg}`) \
         so that another key signs, or pass --force to revoke it anyway"
    )]
    CurrentSigner { kid: String, alg: String },
    #[error(transparent)]
    Store(#[from] tessera_store::StoreError),
}

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    Revoked,
    AlreadyRevoked,
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
            let sealer = crate::secrets::sealer(&config).map_err(|e| e.to_string())?;
            let record = rotate(store, &sealer, alg, clock.now())
                .await
                .map_err(|e| e.to_string())?;
            let event =
                crate::audit::key_changed("Rotate the signing key", &record.kid, &record.alg);
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
            if outcome == Revoked::Revoked {
                let alg = store
                    .all_signing_keys()
                    .await
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .find(|r| r.kid == kid)
                    .map(|r| r.alg)
                    .unwrap_or_default();
                let event = crate::audit::key_changed("Revoke a signing key", &kid, &alg);
                audit_directly(store, event, clock.now()).await;
            }
            match outcome {
                Revoked::Revoked => println!(
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
async fn audit_directly(store: &dyn Store, event: crate::audit::Event, now: Timestamp) {
    let stored = match crate::audit::LogIds::new() {
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

/// Generates and stores a key for `alg` that becomes its current signer. Its `created_at` is
/// after every stored key's, so it is the newest even within the same second or when another
/// node's clock ran ahead.
/// The new key is sealed with `sealer`, which must open the live keys (a key sealed with a
/// different secret than the servers' would stop their key reloads).
pub async fn rotate(
    store: &dyn Store,
    sealer: &Sealer,
    alg: Algorithm,
    now: Timestamp,
) -> Result<SigningKeyRecord, KeyError> {
    let records = store.all_signing_keys().await?;
    for record in records.iter().filter(|r| r.revoked_at.is_none()) {
        sealer.open(&record.kid, &record.private_key)?;
    }
    let after_all = records.iter().map(|r| r.created_at.plus(1)).max();
    let created_at = after_all.map_or(now, |after| after.max(now));
    let record = keys::generate(alg, created_at, sealer).await?;
    store.insert_signing_key(&record).await?;
    Ok(record)
}

/// Revokes `kid`, refusing the current signer of its algorithm unless `force`.
pub async fn revoke(
    store: &dyn Store,
    kid: &str,
    force: bool,
    now: Timestamp,
) -> Result<Revoked, RevokeError> {
    let records = store.all_signing_keys().await?;
    let record = records
        .iter()
        .find(|r| r.kid == kid)
        .ok_or_else(|| RevokeError::Unknown(kid.to_owned()))?;
    if record.revoked_at.is_some() {
        return Ok(Revoked::AlreadyRevoked);
    }
    let current = keys::current_signers(&records);
    if !force && current.get(record.alg.as_str()) == Some(&kid) {
        return Err(RevokeError::CurrentSigner {
            kid: kid.to_owned(),
            alg: record.alg.clone(),
        });
    }
    Ok(if store.revoke_signing_key(kid, now).await? {
        Revoked::Revoked
    } else {
        Revoked::AlreadyRevoked
    })
}

/// The status `tessera keys list` shows for `record`.
pub fn status(record: &SigningKeyRecord, records: &[SigningKeyRecord]) -> &'static str {
    if record.revoked_at.is_some() {
        "revoked"
    } else if keys::current_signers(records).get(record.alg.as_str()) == Some(&record.kid.as_str())
    {
        "current"
    } else {
        "previous"
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
            rfc3339(record.created_at),
            status(record, records)
        );
        if let Some(at) = record.revoked_at {
            let _ = write!(line, " {}", rfc3339(at));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) for a Unix time, without a date library.
pub fn rfc3339(at: Timestamp) -> String {
    let (days, seconds) = (at.0.div_euclid(86_400), at.0.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
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

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(Timestamp(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(Timestamp(1_800_000_000)), "2027-01-15T08:00:00Z");
        assert_eq!(rfc3339(Timestamp(-1)), "1969-12-31T23:59:59Z");
    }

    fn record(kid: &str, alg: &str, at: i64, revoked: bool) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: kid.into(),
            alg: alg.into(),
            private_key: Vec::new(),
            created_at: Timestamp(at),
            revoked_at: revoked.then_some(Timestamp(at + 5)),
        }
    }

    #[test]
    fn status_is_current_for_the_newest_live_key_of_each_algorithm() {
        let records = vec![
            record("a", "RS256", 1, false),
            record("b", "ES256", 2, false),
            record("c", "RS256", 3, false),
            record("d", "RS256", 4, true),
        ];
        let statuses: Vec<_> = records.iter().map(|r| status(r, &records)).collect();
        assert_eq!(statuses, ["previous", "current", "current", "revoked"]);
        let text = table(&records);
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(text.starts_with("KID"), "{text}");
    }
}
