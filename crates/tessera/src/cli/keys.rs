//! `tessera keys list|rotate|revoke` through the Management API (`/api/v2/keys/signing`): on the
//! server `--server` names, or in-process on the local store with `--json`. Without either it
//! stays `cli_keys`'s direct store commands, output unchanged.

use axum::http::Method;

use crate::cli::call::{path, Call, Noun};
use crate::cli::render;
use crate::cli::target::Target;
use crate::cli::Remote;
use crate::cli_keys::{self, KeysAction, KeysArgs};
use tessera_core::clock::Clock;

const KEYS: &str = "/api/v2/keys/signing";

/// Runs `tessera keys …`; the error is the message to print.
pub async fn run(remote: Remote, args: KeysArgs, clock: Clock) -> Result<(), String> {
    let forced = matches!(args.action, KeysAction::Revoke { force: true, .. });
    if remote.server.is_none() && (!remote.json || forced) {
        if forced && remote.json {
            return Err("--json does not apply to `keys revoke --force`: leave it out".into());
        }
        return cli_keys::run(args, clock).await;
    }
    let call = call(&args.action)?;
    let target = Target::connect(&remote, args.config.as_deref(), clock).await?;
    let answer = target.send(&call).await?;
    if remote.json {
        print!("{}", render::shown(&call, &answer, true));
        return Ok(());
    }
    match args.action {
        KeysAction::List => print!("{}", render::table(Noun::Keys, &answer)),
        KeysAction::Rotate { alg } => {
            let kid = answer["kid"].as_str().unwrap_or("?");
            println!("Generated the {alg} signing key {kid}.");
            println!(
                "The server signs new {alg} tokens with it now (other nodes from their next key \
                 reload); the previous key stays published until you revoke it."
            );
        }
        KeysAction::Revoke { kid, .. } => println!(
            "Revoked {kid}: the server no longer publishes it (other nodes drop it at their \
             next key reload)."
        ),
    }
    Ok(())
}

fn call(action: &KeysAction) -> Result<Call, String> {
    Ok(match action {
        KeysAction::List => Call::list(Noun::Keys, KEYS, Vec::new()),
        KeysAction::Rotate { alg } => Call {
            query: vec![("alg", alg.to_string())],
            ..Call::one(Noun::Keys, Method::POST, format!("{KEYS}/rotate"), None)
        },
        KeysAction::Revoke { force: true, .. } => {
            return Err(
                "--force works only on the local store (without --server)\nhint: rotate \
                 first (`tessera keys rotate --server URL --alg ALG`) so that another key signs, \
                 then revoke this one"
                    .into(),
            )
        }
        KeysAction::Revoke { kid, force: false } => Call::one(
            Noun::Keys,
            Method::PUT,
            format!("{}/revoke", path(KEYS, kid)),
            None,
        ),
    })
}
