//! Runs the appointments API: `ISSUER` (default `http://127.0.0.1:3000/`), `LISTEN`
//! (default `127.0.0.1:3001`), and `PUBLIC_URL`, the URL clients reach it at when that is not
//! `http://` + the `Host` they send (behind a proxy or over HTTPS): DPoP proofs name it.

use tessera_example_api::{router, AUDIENCE};
use tessera_resource::{Validator, ValidatorOptions};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let issuer = std::env::var("ISSUER").unwrap_or_else(|_| "http://127.0.0.1:3000/".into());
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3001".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let options = ValidatorOptions {
        public_url: std::env::var("PUBLIC_URL").ok(),
        ..Default::default()
    };
    println!("appointments API on http://{listen}/ for tokens of {issuer}");
    let validator = Validator::with_options(issuer, AUDIENCE, options);
    axum::serve(listener, router(validator)).await
}
