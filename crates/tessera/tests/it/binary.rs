//! The `tessera` binary itself: clear configuration errors, environment overrides, the seed's
//! example config, the health check, and a clean exit on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::process::{config_file, free_port, http_get, stdout_of, tessera, wait_for};

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
fn audit_log_settings_are_checked_at_start() {
    let stderr = fails_with("log_token_exchanges = \"sometimes\"\n");
    assert!(stderr.contains("log_token_exchanges"), "{stderr}");
    assert!(stderr.contains("recorded"), "the accepted values: {stderr}");
    let stderr = fails_with("[log_retention_days_by_type]\nseccfx = 2\n");
    assert!(stderr.contains("seccfx is not an event type"), "{stderr}");
    let stderr = fails_with("log_max_events = 10\n");
    assert!(
        stderr.contains("log_max_events must be at least 1000"),
        "{stderr}"
    );
    let stderr = fails_with("log_sample_every = 0\n");
    assert!(
        stderr.contains("log_sample_every must be at least 1"),
        "{stderr}"
    );
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

#[test]
fn an_api_configured_with_mtls_proof_of_possession_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let stderr = fails_with(&format!(
        "listen = \"127.0.0.1:0\"\ndatabase_url = \"{db}\"\n[[apis]]\nidentifier = \"https://ledger.example/\"\nname = \"Ledger\"\nproof_of_possession = {{ mechanism = \"mtls\", required = true }}\n"
    ));
    assert!(
        stderr.contains("apis `https://ledger.example/`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("proof_of_possession.mechanism `mtls` is not supported"),
        "{stderr}"
    );
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
    let healthcheck = || {
        tessera()
            .arg("healthcheck")
            .env("TESSERA_CONFIG", example)
            .env("TESSERA_LISTEN", format!("0.0.0.0:{port}"))
            .output()
            .unwrap()
    };
    let ready = healthcheck();
    assert!(ready.status.success(), "{ready:?}");

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
    let gone = healthcheck();
    assert_eq!(gone.status.code(), Some(2), "{gone:?}");
    let stderr = String::from_utf8(gone.stderr).unwrap();
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{port}/readyz")),
        "{stderr}"
    );
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

// ---- tessera keys ---------------------------------------------------------------------------

/// Kills the server if a test fails before stopping it.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `tessera keys ARGS` with `env` set.
fn keys(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = tessera();
    command.arg("keys").args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// The rows of `tessera keys list`: (kid, alg, status).
fn listed(env: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let text = stdout_of(&keys(&["list"], env));
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("KID"), "{text}");
    lines
        .map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            (
                columns[0].to_owned(),
                columns[1].to_owned(),
                columns[3].to_owned(),
            )
        })
        .collect()
}

fn wait_for_jwks(url: &str, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if http_get(url).is_ok_and(|body| done(&body)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not reload its keys"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn keys_rotate_while_serving_is_listed_current_published_and_the_old_key_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    let config = config_file(&format!(
        "listen = \"127.0.0.1:{port}\"\ndatabase_url = \"{db}\"\nkey_refresh_interval = 1\n"
    ));
    let config_path = config.path().to_str().unwrap().to_owned();
    let env = [("TESSERA_CONFIG", config_path.as_str())];
    let child = tessera()
        .args(["serve", "--config", &config_path])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let server = Running(child);
    let jwks_url = format!("http://127.0.0.1:{port}/.well-known/jwks.json");
    wait_for(&jwks_url);
    // A server starts with a signing key and a next key per algorithm; this test rotates
    // RS256's.
    let rs256 = || -> Vec<_> {
        let rows = listed(&env);
        assert_eq!(
            rows.iter().filter(|(_, _, s)| s == "current").count(),
            4,
            "{rows:?}"
        );
        rows.into_iter()
            .filter(|(_, alg, _)| alg == "RS256")
            .collect()
    };
    let with_status = |rows: &[(String, String, String)], status: &str| -> Vec<String> {
        rows.iter()
            .filter(|(_, _, s)| s == status)
            .map(|(kid, _, _)| kid.clone())
            .collect()
    };
    let rows = rs256();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let [old_kid]: [_; 1] = with_status(&rows, "current").try_into().unwrap();
    let [next_kid]: [_; 1] = with_status(&rows, "next").try_into().unwrap();

    let rotated = stdout_of(&keys(&["rotate"], &env));
    assert!(rotated.contains("RS256 signing key"), "{rotated}");
    let rows = rs256();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let [new_kid]: [_; 1] = with_status(&rows, "current").try_into().unwrap();
    assert_eq!(
        new_kid, next_kid,
        "the next key, published already, signs now"
    );
    assert!(rotated.contains(&new_kid), "{rotated}");
    assert_eq!(
        with_status(&rows, "previous"),
        std::slice::from_ref(&old_kid)
    );
    assert_eq!(
        with_status(&rows, "next").len(),
        1,
        "a new next key: {rows:?}"
    );
    // The running server publishes the new key without a restart.
    wait_for_jwks(&jwks_url, |body| {
        body.contains(&new_kid) && body.contains(&old_kid)
    });

    let refused = keys(&["revoke", &new_kid], &env);
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(stderr.contains("current RS256"), "{stderr}");

    stdout_of(&keys(&["revoke", &old_kid], &env));
    let rows = listed(&env);
    assert!(rows.contains(&(old_kid.clone(), "RS256".into(), "revoked".into())));
    assert!(rows.contains(&(new_kid.clone(), "RS256".into(), "current".into())));
    wait_for_jwks(&jwks_url, |body| {
        body.contains(&new_kid) && !body.contains(&old_kid)
    });
    drop(server);
}

#[test]
fn keys_revoke_of_the_current_key_exits_2_mentioning_force_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    let env = [("TESSERA_DATABASE_URL", db.as_str())];
    let empty = stdout_of(&keys(&["list"], &env));
    assert!(empty.contains("No signing keys yet"), "{empty}");

    stdout_of(&keys(&["rotate", "--alg", "ES256"], &env));
    let status_of = |kid: &str| {
        listed(&env)
            .into_iter()
            .find(|(k, _, _)| k == kid)
            .map(|(_, _, status)| status)
    };
    let rows = listed(&env);
    assert_eq!(rows.len(), 2, "a signing key and a next key: {rows:?}");
    let (kid, alg, _) = rows
        .into_iter()
        .find(|(_, _, status)| status == "current")
        .unwrap();
    assert_eq!(alg, "ES256");

    let refused = keys(&["revoke", &kid], &env);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(stderr.contains(&kid), "{stderr}");
    assert_eq!(
        status_of(&kid).as_deref(),
        Some("current"),
        "nothing was revoked"
    );

    stdout_of(&keys(&["revoke", "--force", &kid], &env));
    assert_eq!(status_of(&kid).as_deref(), Some("revoked"));

    let unknown = keys(&["revoke", "no-such-kid"], &env);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8(unknown.stderr).unwrap();
    assert!(stderr.contains("no-such-kid"), "{stderr}");

    let bad_alg = keys(&["rotate", "--alg", "HS256"], &env);
    assert_eq!(bad_alg.status.code(), Some(2));
    let stderr = String::from_utf8(bad_alg.stderr).unwrap();
    assert!(stderr.contains("RS256, PS256, ES256 or EdDSA"), "{stderr}");
}

#[test]
fn non_positive_lifetime_is_refused_without_an_issuer_too() {
    let stderr = fails_with("listen = \"127.0.0.1:0\"\ncode_lifetime = 0\n");
    assert!(
        stderr.contains("code_lifetime must be a positive number of seconds"),
        "{stderr}"
    );
}

// ---- tessera clients|apis|users|… (the Management API from the command line) -----------------

/// Runs `tessera ARGS` with `env` set.
fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = tessera();
    command
        .args(args)
        .env_remove("TESSERA_SERVER")
        .env_remove("TESSERA_CLIENT_ID")
        .env_remove("TESSERA_CLIENT_SECRET");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn stderr_of_failure(output: &std::process::Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The value of the `NAME  value` line of a detail view (or `NAME: value` for the secret).
fn field(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(name)?;
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            rest.starts_with(' ').then(|| rest.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no `{name}` in:\n{text}"))
}

#[test]
fn cli_on_the_local_store_creates_lists_and_deletes_through_the_management_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    let env = [("TESSERA_DATABASE_URL", db.as_str())];

    let api = stdout_of(&run(
        &[
            "apis",
            "create",
            "--identifier",
            "orders:api",
            "--name",
            "Orders",
            "--scope",
            "read:orders:Read your orders",
        ],
        &env,
    ));
    assert_eq!(field(&api, "identifier"), "orders:api");
    assert!(api.contains("read:orders (Read your orders)"), "{api}");

    let created = stdout_of(&run(
        &[
            "clients",
            "create",
            "--name",
            "CLI App",
            "--app-type",
            "regular_web",
            "--callback",
            "http://127.0.0.1:4000/callback",
        ],
        &env,
    ));
    let client_id = field(&created, "client_id");
    assert!(field(&created, "client_secret").len() >= 32, "{created}");
    assert!(created.contains("shown only this once"), "{created}");

    let user = stdout_of(&run(
        &[
            "users",
            "create",
            "--email",
            "cli@example.com",
            "--password",
            "long enough password",
            "--name",
            "Cli User",
        ],
        &env,
    ));
    assert!(field(&user, "user_id").starts_with("auth0|"), "{user}");

    let table = stdout_of(&run(&["clients", "list"], &env));
    let mut lines = table.lines();
    let header: Vec<_> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["CLIENT_ID", "NAME", "APP_TYPE", "GRANTS"],
        "{table}"
    );
    assert!(
        lines.any(|l| l.starts_with(&client_id) && l.contains("CLI App")),
        "{table}"
    );

    let json = stdout_of(&run(&["--json", "clients", "list"], &env));
    let clients: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        clients
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client_id"] == client_id.as_str() && c["name"] == "CLI App"),
        "{json}"
    );
    assert!(
        !json.contains("\"client_secret\""),
        "a list never shows secrets: {json}"
    );
    let users: serde_json::Value =
        serde_json::from_str(&stdout_of(&run(&["users", "list", "--json"], &env))).unwrap();
    assert_eq!(users[0]["email"], "cli@example.com");

    let deleted = stdout_of(&run(&["clients", "delete", &client_id], &env));
    assert!(deleted.contains(&client_id), "{deleted}");
    let stderr = stderr_of_failure(&run(&["clients", "get", &client_id], &env));
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("`tessera clients list`"), "{stderr}");
}

#[test]
fn cli_manages_roles_their_permissions_and_a_users_roles() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    let env = [("TESSERA_DATABASE_URL", db.as_str())];
    let cli = |args: &[&str]| stdout_of(&run(args, &env));
    cli(&[
        "apis",
        "create",
        "--identifier",
        "orders:api",
        "--name",
        "Orders",
        "--scope",
        "read:orders:Read orders",
        "--scope",
        "refund:orders:Refund orders",
    ]);
    let user = cli(&[
        "users",
        "create",
        "--email",
        "clerk@example.com",
        "--password",
        "long enough password",
    ]);
    let user_id = field(&user, "user_id");

    let role = cli(&[
        "roles",
        "create",
        "--name",
        "Order clerk",
        "--description",
        "Orders desk",
    ]);
    let role_id = field(&role, "id");
    assert!(role_id.starts_with("rol_"), "{role}");
    let listed = cli(&["roles", "list", "--name-filter", "CLERK"]);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(&role_id) && l.contains("Order clerk")),
        "{listed}"
    );
    assert!(cli(&["roles", "list", "--name-filter", "admin"]).contains("No roles yet"));

    cli(&[
        "roles",
        "add-permissions",
        &role_id,
        "--api",
        "orders:api",
        "--permission",
        "read:orders",
        "refund:orders",
    ]);
    let granted = cli(&["roles", "permissions", &role_id]);
    assert!(
        granted.contains("refund:orders") && granted.contains("Refund orders"),
        "{granted}"
    );
    let added = cli(&["users", "roles", "add", &user_id, "--role", &role_id]);
    assert!(added.contains("Gave"), "{added}");
    let held = cli(&["users", "permissions", "list", &user_id]);
    assert!(
        held.lines()
            .any(|l| l.contains("read:orders") && l.contains("role Order clerk")),
        "{held}"
    );
    assert!(cli(&["roles", "users", &role_id]).contains("clerk@example.com"));

    // A permission the API does not define is refused, naming it; nothing changes.
    let refused = stderr_of_failure(&run(
        &[
            "roles",
            "add-permissions",
            &role_id,
            "--api",
            "orders:api",
            "--permission",
            "delete:orders",
        ],
        &env,
    ));
    assert!(refused.contains("delete:orders"), "{refused}");
    assert_eq!(
        cli(&["roles", "permissions", &role_id]).lines().count(),
        3,
        "a header and two rows"
    );

    cli(&["users", "roles", "remove", &user_id, "--role", &role_id]);
    assert!(cli(&["users", "permissions", "list", &user_id]).contains("No permissions"));
    cli(&["roles", "delete", &role_id]);
    let gone = stderr_of_failure(&run(&["roles", "get", &role_id], &env));
    assert!(
        gone.contains("does not exist") && gone.contains("tessera roles list"),
        "{gone}"
    );
}

#[test]
fn cli_deploys_an_action_from_its_file_binds_it_once_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    let env = [("TESSERA_DATABASE_URL", db.as_str())];
    let cli = |args: &[&str]| stdout_of(&run(args, &env));
    assert!(cli(&["actions", "list"]).contains("No actions yet"));
    let file = dir.path().join("add-roles.js");
    std::fs::write(
        &file,
        "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://a.example.com/roles', event.authorization.roles); };",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let first = cli(&[
        "actions",
        "deploy",
        file,
        "--trigger",
        "post-login",
        "--secret",
        "KEY=one",
    ]);
    assert!(
        first.contains("Deployed `add-roles` as version 1; bound it to post-login"),
        "{first}"
    );
    // Deployed again: a new version, still bound once.
    let second = cli(&["actions", "deploy", file, "--trigger", "post-login"]);
    assert!(
        second.contains("as version 2; it was bound to post-login already"),
        "{second}"
    );
    let listed = cli(&["actions", "list"]);
    let row = listed
        .lines()
        .find(|l| l.contains("add-roles"))
        .unwrap_or_default();
    assert!(
        row.contains("post-login") && row.contains("v2") && row.contains("true"),
        "{listed}"
    );
    let stderr = stderr_of_failure(&run(
        &[
            "actions",
            "deploy",
            "/nonexistent.js",
            "--trigger",
            "post-login",
        ],
        &env,
    ));
    assert!(stderr.contains("cannot read /nonexistent.js"), "{stderr}");
}

#[test]
fn cli_imports_users_on_the_local_store_with_their_ids_and_upserts_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    let env = [("TESSERA_DATABASE_URL", db.as_str())];
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tessera-core/tests/fixtures/auth0-import/python-users.json"
    );
    let output = run(&["users", "import", fixtures], &env);
    let shown = stdout_of(&output);
    assert!(
        shown.contains("completed: 18 users read, 18 inserted, 0 updated, 0 refused"),
        "{shown}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("18 inserted"),
        "progress on stderr"
    );
    let user = stdout_of(&run(&["users", "get", "auth0|py-scrypt"], &env));
    assert_eq!(field(&user, "email"), "scrypt@python.example");
    // Again with --upsert: the same users, updated.
    let again = stdout_of(&run(&["users", "import", fixtures, "--upsert"], &env));
    assert!(again.contains("0 inserted, 18 updated"), "{again}");
    let missing = stderr_of_failure(&run(&["users", "import", "/nonexistent/users.json"], &env));
    assert!(missing.contains("/nonexistent/users.json"), "{missing}");
}

#[test]
fn cli_refuses_bad_input_with_the_api_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    let env = [("TESSERA_DATABASE_URL", db.as_str())];
    let stderr = stderr_of_failure(&run(
        &[
            "users",
            "create",
            "--email",
            "a@example.com",
            "--password",
            "short",
        ],
        &env,
    ));
    assert!(
        stderr.contains("PasswordStrengthError: Password is too weak"),
        "{stderr}"
    );
    let stderr = stderr_of_failure(&run(
        &["users", "get", "auth0|000000000000000000000000"],
        &env,
    ));
    assert!(stderr.contains("`tessera users list`"), "{stderr}");
}

/// `tessera serve` on a fresh database, and the management credentials it printed.
fn serve_with_management_client(dir: &std::path::Path) -> (Running, String, String, String) {
    use std::io::BufRead;
    let port = free_port();
    let child = tessera()
        .args(["serve"])
        .env("TESSERA_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "TESSERA_DATABASE_URL",
            format!("sqlite://{}/tessera.db", dir.display()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Running(child);
    let stderr = std::io::BufReader::new(server.0.stderr.take().unwrap());
    // Read on to the end, so the server never writes to a closed pipe.
    let (sender, credentials) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut client_id = None;
        for line in stderr.lines().map_while(Result::ok) {
            let line = line.trim();
            if let Some(id) = line.strip_prefix("client_id:") {
                client_id = Some(id.trim().to_owned());
            }
            if let Some(secret) = line.strip_prefix("client_secret:") {
                let _ = sender.send((client_id.take().unwrap(), secret.trim().to_owned()));
            }
        }
    });
    let (client_id, client_secret) = credentials
        .recv_timeout(Duration::from_secs(20))
        .expect("tessera serve printed the management client's credentials");
    let url = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{url}/.well-known/jwks.json"));
    (server, url, client_id, client_secret)
}

#[test]
fn cli_with_server_manages_a_running_tessera_with_its_management_client() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url, id, secret) = serve_with_management_client(dir.path());
    let remote = |args: &[&str]| {
        let mut all = vec![
            "--server",
            url.as_str(),
            "--client-id",
            id.as_str(),
            "--client-secret",
            secret.as_str(),
        ];
        all.extend_from_slice(args);
        run(&all, &[])
    };

    let created = stdout_of(&remote(&[
        "clients",
        "create",
        "--name",
        "Remote M2M",
        "--app-type",
        "non_interactive",
    ]));
    let client_id = field(&created, "client_id");
    let first_secret = field(&created, "client_secret");
    assert!(created.contains("shown only this once"), "{created}");

    let table = stdout_of(&remote(&["clients", "list"]));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&client_id) && l.contains("client_credentials")),
        "{table}"
    );

    let rotated = stdout_of(&remote(&["clients", "rotate", &client_id]));
    let second_secret = field(&rotated, "client_secret");
    assert_ne!(first_secret, second_secret);

    // Roles through the Management API, its paths and answers read back the same way.
    let role = stdout_of(&remote(&["roles", "create", "--name", "Remote role"]));
    let role_id = field(&role, "id");
    let roles = stdout_of(&remote(&["roles", "list", "--name-filter", "remote"]));
    assert!(roles.lines().any(|l| l.starts_with(&role_id)), "{roles}");
    assert!(stdout_of(&remote(&["roles", "users", &role_id])).contains("Nobody holds"));
    let deleted = stdout_of(&remote(&["roles", "delete", &role_id]));
    assert!(deleted.contains(&role_id), "{deleted}");

    // Actions through the Management API.
    let action = dir.path().join("deny-all.js");
    std::fs::write(
        &action,
        "exports.onExecuteCredentialsExchange = async (event, api) => {};",
    )
    .unwrap();
    let deployed = stdout_of(&remote(&[
        "actions",
        "deploy",
        action.to_str().unwrap(),
        "--trigger",
        "credentials-exchange",
        "--name",
        "Machines",
    ]));
    assert!(
        deployed.contains("Deployed `Machines` as version 1; bound it to credentials-exchange"),
        "{deployed}"
    );
    let actions = stdout_of(&remote(&["actions", "list"]));
    assert!(
        actions
            .lines()
            .any(|l| l.contains("Machines") && l.contains("credentials-exchange")),
        "{actions}"
    );

    // `keys` takes --server after its own subcommand, and the credentials from the environment.
    let keys = stdout_of(&run(
        &["keys", "list", "--server", &url],
        &[
            ("TESSERA_CLIENT_ID", id.as_str()),
            ("TESSERA_CLIENT_SECRET", secret.as_str()),
        ],
    ));
    assert!(keys.starts_with("KID"), "{keys}");
    assert!(
        keys.lines()
            .any(|l| l.contains("RS256") && l.ends_with("current")),
        "{keys}"
    );

    // A users import through the running server, followed to its end.
    let file = dir.path().join("users.json");
    std::fs::write(
        &file,
        r#"[{"email": "remote-import@example.com", "user_id": "r-1"}, {"email": 42}]"#,
    )
    .unwrap();
    let imported = stdout_of(&remote(&["users", "import", file.to_str().unwrap()]));
    assert!(
        imported.contains("completed: 2 users read, 1 inserted, 0 updated, 1 refused"),
        "{imported}"
    );
    assert!(imported.contains("/errors"), "{imported}");
    let found = stdout_of(&remote(&["users", "get", "auth0|r-1"]));
    assert_eq!(field(&found, "email"), "remote-import@example.com");

    let refused = run(
        &[
            "clients",
            "list",
            "--server",
            &url,
            "--client-id",
            &id,
            "--client-secret",
            "wrong-secret",
        ],
        &[],
    );
    let stderr = stderr_of_failure(&refused);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(stderr.contains("--client-id/--client-secret"), "{stderr}");
    assert!(stderr.contains("local store"), "{stderr}");
    drop(server);
}

#[test]
fn cli_with_server_nobody_listens_on_asks_whether_tessera_runs_there() {
    let url = format!("http://127.0.0.1:{}/", free_port());
    let output = run(
        &[
            "users",
            "list",
            "--server",
            &url,
            "--client-id",
            "x",
            "--client-secret",
            "y",
        ],
        &[],
    );
    let stderr = stderr_of_failure(&output);
    assert!(
        stderr.contains(&format!("is Tessera running at {url}?")),
        "{stderr}"
    );
}

fn stop_with_sigterm(child: &mut std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "tessera did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn without_a_secret_sqlite_gets_a_generated_0600_secret_file_and_a_warning_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (out, err) = (dir.path().join("stdout.log"), dir.path().join("stderr.log"));
    let mut child = tessera()
        .args(["serve"])
        .env_remove("TESSERA_SECRET")
        .env("TESSERA_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "TESSERA_DATABASE_URL",
            format!("sqlite://{}/tessera.db", dir.path().display()),
        )
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    wait_for(&format!("http://127.0.0.1:{port}/.well-known/jwks.json"));
    stop_with_sigterm(&mut child);
    let secret_file = dir.path().join("tessera.db.secret");
    let mode = std::fs::metadata(&secret_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    assert_eq!(secret.trim().len(), 43, "32 random bytes, base64url");
    // Logs go to stdout, notices to stderr.
    let output = std::fs::read_to_string(&out).unwrap() + &std::fs::read_to_string(&err).unwrap();
    let warning = output
        .lines()
        .find(|line| line.contains("WARN") && line.contains("master secret"))
        .unwrap_or_else(|| panic!("a warning about the master secret: {output}"));
    assert!(
        warning.contains(&secret_file.display().to_string()),
        "{warning}"
    );
    assert!(
        !output.contains(secret.trim()),
        "the secret itself is never logged"
    );
}

#[test]
fn postgres_without_a_secret_refuses_to_start_saying_what_to_set() {
    let output = tessera()
        .args(["serve"])
        .env_remove("TESSERA_SECRET")
        .env("TESSERA_LISTEN", "127.0.0.1:0")
        .env(
            "TESSERA_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/test",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no master secret"), "{stderr}");
    assert!(stderr.contains("TESSERA_SECRET"), "{stderr}");
}

// ---- tessera connections ---------------------------------------------------------------------

const PROVIDER_SECRET: &str = "corp-issued-secret-0123456789abcdef";

/// The rows of a table, each cell as printed (cells are separated by at least two spaces).
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn cli_manages_an_oidc_connection_and_the_applications_it_is_enabled_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    // The example configuration's seed: its web app is `myclientapp`.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tessera.example.toml");
    let env = [
        ("TESSERA_CONFIG", example),
        ("TESSERA_DATABASE_URL", db.as_str()),
    ];
    let cli = |args: &[&str]| {
        let shown = stdout_of(&run(args, &env));
        assert!(!shown.contains(PROVIDER_SECRET), "{shown}");
        shown
    };

    let database = rows(&cli(&["connections", "list"]));
    assert_eq!(database.len(), 2, "a header and the database: {database:?}");
    assert_eq!(
        database[0],
        ["ID", "NAME", "STRATEGY", "DISPLAY_NAME", "APPLICATIONS"]
    );
    let database_id = database[1][0].clone();
    assert!(database_id.starts_with("con_"), "{database:?}");
    assert_eq!(
        database[1][1..],
        [
            "Username-Password-Authentication",
            "auth0",
            "Username-Password-Authentication",
            "all"
        ]
    );

    let created = cli(&[
        "connections",
        "create",
        "--name",
        "corp-idp",
        "--display-name",
        "Corp SSO",
        "--issuer",
        "https://idp.example",
        "--provider-client-id",
        "tessera-at-corp",
        "--provider-client-secret",
        PROVIDER_SECRET,
    ]);
    let id = field(&created, "id");
    assert!(id.starts_with("con_") && id.len() == 20, "{created}");
    assert_eq!(
        created,
        format!(
            "id                    {id}\n\
             name                  corp-idp\n\
             display_name          Corp SSO\n\
             enabled_clients       -\n\
             is_domain_connection  false\n\
             options.client_id     tessera-at-corp\n\
             options.issuer        https://idp.example\n\
             options.scope         openid profile email\n\
             options.type          back_channel\n\
             realms                corp-idp\n\
             strategy              oidc\n"
        )
    );

    let listed = rows(&cli(&["connections", "list", "--strategy", "oidc"]));
    assert_eq!(
        listed[1..],
        [[id.as_str(), "corp-idp", "oidc", "Corp SSO", "0"]]
    );

    let enabled = cli(&["connections", "enable", &id, "myclientapp"]);
    assert_eq!(
        enabled,
        format!("Enabled the connection `{id}` for the applications.\n")
    );
    let shown = cli(&["connections", "get", &id]);
    assert_eq!(field(&shown, "enabled_clients"), "myclientapp");
    let json: serde_json::Value =
        serde_json::from_str(&cli(&["--json", "connections", "get", &id])).unwrap();
    assert_eq!(json["enabled_clients"], serde_json::json!(["myclientapp"]));
    assert_eq!(
        json["options"],
        serde_json::json!({
            "client_id": "tessera-at-corp",
            "issuer": "https://idp.example",
            "scope": "openid profile email",
            "type": "back_channel",
        }),
        "never the client secret"
    );
    let listed = rows(&cli(&["connections", "list"]));
    assert_eq!(
        listed[1..],
        [
            [
                database_id.as_str(),
                "Username-Password-Authentication",
                "auth0",
                "Username-Password-Authentication",
                "all"
            ],
            [id.as_str(), "corp-idp", "oidc", "Corp SSO", "1"]
        ]
    );

    // Auth0's PATCH replaces the options: the others, and the stored secret, are kept.
    let updated = cli(&[
        "connections",
        "update",
        &id,
        "--discovery-url",
        "https://login.idp.example/.well-known/openid-configuration",
        "--scope",
        "openid email",
        "--display-name",
        "Corp",
    ]);
    assert_eq!(field(&updated, "display_name"), "Corp");
    assert_eq!(
        field(&updated, "options.discovery_url"),
        "https://login.idp.example/.well-known/openid-configuration"
    );
    assert_eq!(field(&updated, "options.client_id"), "tessera-at-corp");
    assert_eq!(field(&updated, "options.scope"), "openid email");
    assert!(!updated.contains("options.issuer"), "{updated}");
    assert_eq!(field(&updated, "enabled_clients"), "myclientapp");

    let refused = stderr_of_failure(&run(
        &["connections", "update", &database_id, "--scope", "openid"],
        &env,
    ));
    assert_eq!(
        refused.trim_end(),
        format!(
            "error: the connection `{database_id}` has the strategy auth0: --scope is an option \
             of oidc, oauth2, google-oauth2 and github connections"
        )
    );

    let disabled = cli(&["connections", "disable", &id, "myclientapp"]);
    assert_eq!(
        disabled,
        format!("Disabled the connection `{id}` for the applications.\n")
    );
    assert_eq!(
        field(&cli(&["connections", "get", &id]), "enabled_clients"),
        "-"
    );
    let unknown = stderr_of_failure(&run(&["connections", "enable", &id, "no-such-app"], &env));
    assert!(unknown.contains("no-such-app"), "{unknown}");

    let deleted = cli(&["connections", "delete", &id]);
    assert_eq!(
        deleted,
        format!("Deleted the connection `{id}` and the users who logged in with it.\n")
    );
    let gone = stderr_of_failure(&run(&["connections", "get", &id], &env));
    assert_eq!(
        gone.trim_end(),
        format!(
            "error: The connection `{id}` does not exist\n\
             hint: list them with `tessera connections list`"
        )
    );
    assert_eq!(rows(&cli(&["connections", "list"])).len(), 2);
}

#[test]
fn cli_creates_github_and_oauth2_connections_with_the_options_of_their_strategy() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tessera.db", dir.path().display());
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tessera.example.toml");
    let env = [
        ("TESSERA_CONFIG", example),
        ("TESSERA_DATABASE_URL", db.as_str()),
    ];
    let cli = |args: &[&str]| {
        let shown = stdout_of(&run(args, &env));
        assert!(!shown.contains(PROVIDER_SECRET), "{shown}");
        shown
    };
    let options = |id: &str| {
        let json: serde_json::Value =
            serde_json::from_str(&cli(&["--json", "connections", "get", id])).unwrap();
        json["options"].clone()
    };

    let github = cli(&[
        "connections",
        "create",
        "--strategy",
        "github",
        "--name",
        "github",
        "--display-name",
        "GitHub",
        "--provider-client-id",
        "Iv1.tessera",
        "--provider-client-secret",
        PROVIDER_SECRET,
        "--scope",
        "read:user user:email",
    ]);
    let github_id = field(&github, "id");
    assert_eq!(field(&github, "strategy"), "github");
    assert_eq!(
        options(&github_id),
        serde_json::json!({ "client_id": "Iv1.tessera", "scope": "read:user user:email" }),
        "never the client secret"
    );

    let oauth2 = cli(&[
        "connections",
        "create",
        "--strategy",
        "oauth2",
        "--name",
        "acme",
        "--provider-client-id",
        "tessera-at-acme",
        "--provider-client-secret",
        PROVIDER_SECRET,
        "--authorization-url",
        "https://acme.example/oauth/authorize",
        "--token-url",
        "https://acme.example/oauth/token",
        "--profile-url",
        "https://api.acme.example/me",
        "--scope",
        "profile email",
        "--field",
        "user_id=account.uuid",
        "--field",
        "email=contact.mail",
        "--field",
        "name=display_name",
        "--no-pkce",
        "--enable",
        "myclientapp",
    ]);
    let oauth2_id = field(&oauth2, "id");
    assert_eq!(field(&oauth2, "strategy"), "oauth2");
    assert_eq!(
        options(&oauth2_id),
        serde_json::json!({
            "client_id": "tessera-at-acme",
            "authorizationURL": "https://acme.example/oauth/authorize",
            "tokenURL": "https://acme.example/oauth/token",
            "profileURL": "https://api.acme.example/me",
            "scope": "profile email",
            "pkce_enabled": false,
            "fieldsMap": {
                "user_id": "account.uuid",
                "email": "contact.mail",
                "name": "display_name",
            },
        })
    );
    let listed = rows(&cli(&["connections", "list"]));
    assert_eq!(
        listed[2..],
        [
            [oauth2_id.as_str(), "acme", "oauth2", "acme", "1"],
            [github_id.as_str(), "github", "github", "GitHub", "0"],
        ]
    );
    assert_eq!(
        rows(&cli(&["connections", "list", "--strategy", "oauth2"]))[1..],
        [[oauth2_id.as_str(), "acme", "oauth2", "acme", "1"]]
    );

    // An update changes only the fieldsMap entries it names (an empty field removes one).
    cli(&[
        "connections",
        "update",
        &oauth2_id,
        "--profile-url",
        "https://api.acme.example/v2/me",
        "--field",
        "email=emails.0",
        "--field",
        "name=",
        "--pkce",
    ]);
    let updated = options(&oauth2_id);
    assert_eq!(updated["profileURL"], "https://api.acme.example/v2/me");
    assert_eq!(
        updated["fieldsMap"],
        serde_json::json!({ "user_id": "account.uuid", "email": "emails.0" })
    );
    assert_eq!(updated["pkce_enabled"], true);
    assert_eq!(updated["tokenURL"], "https://acme.example/oauth/token");

    let refusals = [
        (
            vec![
                "connections",
                "create",
                "--strategy",
                "github",
                "--name",
                "gh",
                "--issuer",
                "https://github.com",
                "--provider-client-id",
                "x",
                "--provider-client-secret",
                "y",
            ],
            "error: --strategy github: --issuer is an option of oidc connections".to_owned(),
        ),
        (
            vec![
                "connections",
                "create",
                "--strategy",
                "oauth2",
                "--name",
                "partial",
                "--token-url",
                "https://acme.example/oauth/token",
                "--provider-client-id",
                "x",
                "--provider-client-secret",
                "y",
            ],
            "error: --strategy oauth2 needs --authorization-url URL and --profile-url URL"
                .to_owned(),
        ),
        (
            vec![
                "connections",
                "update",
                &github_id,
                "--token-url",
                "https://github.com/token",
            ],
            format!(
                "error: the connection `{github_id}` has the strategy github: --token-url is an \
                 option of oauth2 connections"
            ),
        ),
    ];
    for (args, message) in refusals {
        let refused = stderr_of_failure(&run(&args, &env));
        assert_eq!(refused.lines().next(), Some(message.as_str()), "{refused}");
    }
    assert_eq!(rows(&cli(&["connections", "list"])).len(), 4);
}

#[test]
fn cli_with_server_manages_connections_through_the_management_api() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url, id, secret) = serve_with_management_client(dir.path());
    let remote = |args: &[&str]| {
        let mut all = vec![
            "--server",
            url.as_str(),
            "--client-id",
            id.as_str(),
            "--client-secret",
            secret.as_str(),
        ];
        all.extend_from_slice(args);
        run(&all, &[])
    };
    let cli = |args: &[&str]| {
        let shown = stdout_of(&remote(args));
        assert!(!shown.contains(PROVIDER_SECRET), "{shown}");
        shown
    };
    let app = cli(&[
        "clients",
        "create",
        "--name",
        "Web",
        "--app-type",
        "regular_web",
        "--callback",
        "http://127.0.0.1:4000/callback",
    ]);
    let app_id = field(&app, "client_id");

    // --client-id/--client-secret stay the management client's.
    let created = cli(&[
        "connections",
        "create",
        "--name",
        "corp-idp",
        "--discovery-url",
        "https://idp.example/.well-known/openid-configuration",
        "--provider-client-id",
        "tessera-at-corp",
        "--provider-client-secret",
        PROVIDER_SECRET,
        "--scope",
        "openid profile",
        "--enable",
        &app_id,
    ]);
    let connection = field(&created, "id");
    assert_eq!(field(&created, "display_name"), "corp-idp");
    assert_eq!(field(&created, "enabled_clients"), app_id);
    assert_eq!(
        field(&created, "options.discovery_url"),
        "https://idp.example/.well-known/openid-configuration"
    );
    assert_eq!(field(&created, "options.scope"), "openid profile");
    let listed = rows(&cli(&["connections", "list", "--strategy", "oidc"]));
    assert_eq!(
        listed[1..],
        [[connection.as_str(), "corp-idp", "oidc", "corp-idp", "1"]]
    );

    let updated = cli(&[
        "connections",
        "update",
        &connection,
        "--issuer",
        "https://idp.example",
        "--provider-client-secret",
        "rotated-at-corp-0123456789",
    ]);
    assert!(!updated.contains("rotated-at-corp"), "{updated}");
    assert_eq!(field(&updated, "options.issuer"), "https://idp.example");
    assert!(!updated.contains("options.discovery_url"), "{updated}");
    assert_eq!(field(&updated, "options.scope"), "openid profile");

    assert_eq!(
        cli(&["connections", "disable", &connection, &app_id]),
        format!("Disabled the connection `{connection}` for the applications.\n")
    );
    assert_eq!(
        field(
            &cli(&["connections", "get", &connection]),
            "enabled_clients"
        ),
        "-"
    );
    assert_eq!(
        cli(&["connections", "enable", &connection, &app_id]),
        format!("Enabled the connection `{connection}` for the applications.\n")
    );
    assert_eq!(
        field(
            &cli(&["connections", "get", &connection]),
            "enabled_clients"
        ),
        app_id
    );
    assert_eq!(
        cli(&["connections", "delete", &connection]),
        format!("Deleted the connection `{connection}` and the users who logged in with it.\n")
    );
    let gone = stderr_of_failure(&remote(&["connections", "get", &connection]));
    assert!(
        gone.contains("(404)") && gone.contains("`tessera connections list`"),
        "{gone}"
    );
    drop(server);
}
