//! `tessera keys list|rotate|revoke`: the signing keys, on the local store or (with
//! `--server`) through a running server's Management API.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tessera_admin::keys::RotateQuery;
use tessera_jwt::Algorithm;

use crate::cli::operation::{KeyOp, Operation};

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
    /// List every signing key: kid, algorithm, creation time and status (current signer,
    /// next key published ahead of signing, previous key still published, or revoked).
    List,
    /// Make the next key (published already) sign new tokens of its algorithm from the
    /// servers' next key reload, and publish a new next key; the previous key stays published
    /// so tokens it signed still verify.
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
        /// Revoke it even if it is the current signer of its algorithm (local store only).
        #[arg(long)]
        force: bool,
    },
}

fn parse_algorithm(value: &str) -> Result<Algorithm, String> {
    Algorithm::parse(value).map_err(|_| "use RS256, PS256, ES256 or EdDSA".to_owned())
}

impl KeysAction {
    pub fn operation(self) -> Operation {
        Operation::Keys(match self {
            KeysAction::List => KeyOp::List,
            KeysAction::Rotate { alg } => KeyOp::Rotate(RotateQuery {
                alg: Some(alg.as_str().to_owned()),
            }),
            KeysAction::Revoke { kid, force } => KeyOp::Revoke { kid, force },
        })
    }
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
