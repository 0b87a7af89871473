//! Runs the appointments API: `ISSUER` (default `http://127.0.0.1:3000/`), `LISTEN`
//! (default `127.0.0.1:3001`).

use tessera_example_api::{router, AUDIENCE};
use tessera_resource::Validator;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let issuer = std::env::var("ISSUER").unwrap_or_else(|_| "http://127.0.0.1:3000/".into());
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3001".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("appointments API on http://{listen}/ for tokens of {issuer}");
    axum::serve(listener, router(Validator::new(issuer, AUDIENCE))).await
}
