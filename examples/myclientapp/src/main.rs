//! Runs the web app on `LISTEN` (default `127.0.0.1:4000`) against Tessera at `ISSUER`
//! (default `http://127.0.0.1:3000/`), with `CLIENT_ID`, `CLIENT_SECRET` and `API_URL`.

use tessera_example_webapp::{router, WebAppConfig};

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = var("LISTEN", "127.0.0.1:4000");
    let config = WebAppConfig {
        issuer: var("ISSUER", "http://127.0.0.1:3000/"),
        client_id: var("CLIENT_ID", "myclientapp"),
        client_secret: var(
            "CLIENT_SECRET",
            "myclientapp-secret-change-me-0123456789abcdef",
        ),
        base_url: format!("http://{listen}/"),
        api_url: var("API_URL", "http://127.0.0.1:3001/"),
        audience: var("AUDIENCE", "appointments:api"),
    };
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("myclientapp on http://{listen}/");
    axum::serve(listener, router(config)).await
}
