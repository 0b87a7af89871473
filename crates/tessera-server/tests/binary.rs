//! The `tessera` binary itself: clear configuration errors, environment overrides, the seed's
//! example config, and a clean exit on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn tessera() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .env_remove("TESSERA_CONFIG")
        .env("TESSERA_LOG", "warn");
    command
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn fails_with(config: &str) -> String {
    let file = config_file(config);
    let output = tessera()
        .args(["serve", "--config"])
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "a bad config exits with status 2"
    );
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn bad_config_value_names_the_line_the_key_and_what_was_expected() {
    let stderr = fails_with("listen = \"127.0.0.1:0\"\n\n[[apis]]\nidentifier = \"a\"\nname = \"A\"\ntoken_lifetime = \"long\"\n");
    assert!(stderr.contains("line 6"), "{stderr}");
    assert!(stderr.contains("token_lifetime"), "{stderr}");
    assert!(stderr.contains("expected i64"), "{stderr}");
}

#[test]
fn unknown_config_key_is_named() {
    let stderr = fails_with("listen = \"127.0.0.1:0\"\ndatabase_ur = \"sqlite://x.db\"\n");
    assert!(stderr.contains("database_ur"), "{stderr}");
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn toml_syntax_error_names_the_line() {
    let stderr = fails_with("listen = \"127.0.0.1:0\"\nissuer = \n");
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn missing_config_file_is_reported() {
    let output = tessera()
        .args(["serve", "--config", "/nonexistent/tessera.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot read config file /nonexistent/tessera.toml"),
        "{stderr}"
    );
}

#[test]
fn bad_environment_override_names_the_variable() {
    let output = tessera()
        .args(["serve"])
        .env("TESSERA_CODE_LIFETIME", "soon")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.to_lowercase().contains("code_lifetime"), "{stderr}");
    assert!(stderr.contains("TESSERA_"), "{stderr}");
}

#[test]
fn invalid_callback_in_config_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let stderr = fails_with(&format!(
        "listen = \"127.0.0.1:0\"\ndatabase_url = \"{db}\"\n[[clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\nname = \"C\"\ncallbacks = [\"/relative\"]\n"
    ));
    assert!(stderr.contains("callback `/relative`"), "{stderr}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(url: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(body) = ureq_get(url) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not come up at {url}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A minimal blocking GET over a raw socket, so this test needs no async runtime.
fn ureq_get(url: &str) -> std::io::Result<String> {
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
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    if head.starts_with("HTTP/1.1 200") {
        Ok(body.to_owned())
    } else {
        Err(std::io::Error::other(head.to_owned()))
    }
}

#[test]
fn example_config_serves_with_environment_overrides_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}/");
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tessera.example.toml");
    let mut child = tessera()
        .args(["serve"])
        .env("TESSERA_CONFIG", example)
        .env("TESSERA_LISTEN", format!("127.0.0.1:{port}"))
        .env("TESSERA_ISSUER", &issuer)
        .env(
            "TESSERA_DATABASE_URL",
            format!("sqlite://{}/tessera.db", dir.path().display()),
        )
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let discovery = wait_for(&format!("{issuer}.well-known/openid-configuration"));
    let document: serde_json::Value = serde_json::from_str(&discovery).unwrap();
    assert_eq!(document["issuer"], issuer.as_str());
    assert!(
        dir.path().join("tessera.db").exists(),
        "the SQLite file is created"
    );
    let jwks = wait_for(&format!("{issuer}.well-known/jwks.json"));
    assert!(jwks.contains("\"kty\":\"RSA\""));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "tessera did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful exit, got {exit:?}");
}

#[test]
fn demo_prints_the_url_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let ports = [free_port(), free_port(), free_port()];
    let [auth, api, app] = ports.map(|p| format!("127.0.0.1:{p}"));
    let mut child = tessera()
        .args(["demo", "--dir"])
        .arg(dir.path())
        .args(["--auth", &auth, "--api", &api, "--app", &app])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let home = wait_for(&format!("http://{app}/"));
    assert!(home.contains("Sign In"), "{home}");
    assert!(
        home.contains(&format!("http://{auth}/authorize?scope=")),
        "{home}"
    );
    wait_for(&format!("http://{auth}/.well-known/jwks.json"));

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the demo did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut printed).unwrap();
    assert!(
        printed.contains(&format!("Open http://{app}/ and click Sign In")),
        "{printed}"
    );
    assert!(printed.contains("demo@example.com"), "{printed}");
    assert!(
        std::net::TcpStream::connect(&api).is_err(),
        "the API stopped too"
    );
}
