//! The built `tessera` binary as a process: running it, a free port for it, waiting for it to
//! answer, and reading what it printed.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// `tessera` with no configuration from the environment and quiet logs.
pub fn tessera() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .env_remove("TESSERA_CONFIG")
        .env("TESSERA_LOG", "warn");
    command
}

/// A port nothing listens on (for a process that binds it itself).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A temporary TOML file holding `text`.
pub fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

/// The body of `url` once a server answers there (within 20 s: a process starting).
pub fn wait_for(url: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(body) = http_get(url) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not come up at {url}"
        );
        // Polling a process that is starting: there is nothing to wait on but the socket.
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A minimal blocking GET over a raw socket, for code outside an async runtime.
pub fn http_get(url: &str) -> std::io::Result<String> {
    use std::io::Read;
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host)?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if !response.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::other(response));
    }
    Ok(response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default())
}

/// What a command that must succeed printed on stdout.
pub fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}
