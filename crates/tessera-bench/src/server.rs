//! The server under test: a release `tessera serve` on a fresh store, optionally pinned to one
//! core, seeded with APIs for every algorithm, an M2M client, a web client and a user.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::{drive, Outcome, Worker};

pub const WEB_CLIENT: &str = "bench-web";
pub const WEB_SECRET: &str = "bench-web-secret-0123456789abcdef0123456789";
pub const CALLBACK: &str = "http://127.0.0.1:9/cb";
pub const M2M_CLIENT: &str = "bench-m2m";
/// The Management API's client (scenario I imports users with it).
pub const MANAGEMENT_CLIENT: &str = "bench-management";
pub const MANAGEMENT_SECRET: &str = "bench-management-secret-0123456789abcdef0123";
pub const M2M_SECRET: &str = "bench-m2m-secret-0123456789abcdef0123456789";
pub const USER: &str = "bench";
pub const PASSWORD: &str = "bench password 0123";
/// (API identifier, algorithm) for every algorithm.
pub const APIS: [(&str, &str); 4] = [
    ("bench:rs256", "RS256"),
    ("bench:ps256", "PS256"),
    ("bench:es256", "ES256"),
    ("bench:eddsa", "EdDSA"),
];

/// The API whose tokens a DPoP proof binds (scenario G): `bench:es256`'s twin, with Auth0's
/// `proof_of_possession = { mechanism = "dpop", required = false }`, so that the same client
/// gets Bearer tokens for it without a proof. Not in [`APIS`]: scenario A and the peer do not
/// see it.
pub const DPOP_API: &str = "bench:es256-dpop";

/// The API with RBAC and permissions in its tokens (scenario C with RBAC), and how many
/// permissions it defines.
pub const RBAC_API: &str = "bench:rbac";
pub const RBAC_PERMISSIONS: usize = 500;

/// The permission names of `bench:rbac`: `read` (what the flows ask) and `p1`… .
pub fn rbac_permission(i: usize) -> String {
    if i == 0 {
        "read".to_owned()
    } else {
        format!("p{i}")
    }
}

/// How token exchange events (one per token issued) reach the audit log: the server's
/// `log_token_exchanges`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenExchangeLogging {
    /// Every one is a row.
    Recorded,
}

impl TokenExchangeLogging {
    fn as_str(self) -> &'static str {
        match self {
            TokenExchangeLogging::Recorded => "recorded",
        }
    }
}

/// What the audit log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditLog {
    pub token_exchanges: TokenExchangeLogging,
    /// Events it holds at most (`log_max_events`; the server's default when `None`).
    pub max_events: Option<u64>,
}

/// What a run sets in the server's configuration beyond the seed; the server's defaults
/// where `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Seconds an authorization code lives.
    pub code_lifetime: u64,
    pub housekeeping_interval: Option<Duration>,
    /// How long SSO sessions, login pages (`login_timeout`) and the web client's unused
    /// refresh tokens (`idle_token_lifetime`) live.
    pub expiry: Option<Duration>,
    pub audit_log: Option<AuditLog>,
}

impl Default for Settings {
    /// The scenarios': codes live ten minutes, since B mints them for a whole scenario's
    /// duration before redeeming them.
    fn default() -> Self {
        Settings {
            code_lifetime: 600,
            housekeeping_interval: None,
            expiry: None,
            audit_log: None,
        }
    }
}

impl Settings {
    /// The top-level keys.
    fn server_keys(&self) -> String {
        let mut text = format!("code_lifetime = {}\n", self.code_lifetime);
        if let Some(interval) = self.housekeeping_interval {
            text += &format!("housekeeping_interval = {}\n", interval.as_secs().max(1));
        }
        if let Some(expiry) = self.expiry {
            let seconds = expiry.as_secs();
            text += &format!("session_lifetime = {seconds}\nlogin_timeout = {seconds}\n");
        }
        if let Some(log) = self.audit_log {
            text += &format!(
                "log_token_exchanges = \"{}\"\n",
                log.token_exchanges.as_str()
            );
            if let Some(max) = log.max_events {
                text += &format!("log_max_events = {max}\n");
            }
        }
        text
    }

    /// The web client's `refresh_token` table: rotating, no leeway (a rotated token is spent).
    fn refresh_policy(&self) -> String {
        let idle = self.expiry.map_or_else(String::new, |expiry| {
            format!(", idle_token_lifetime = {}", expiry.as_secs())
        });
        format!("{{ rotation_type = \"rotating\", leeway = 0{idle} }}")
    }
}

fn config_text(addr: SocketAddr, database_url: &str, settings: &Settings) -> String {
    let mut text = format!(
        "listen = \"{addr}\"\nissuer = \"http://{addr}/\"\ndatabase_url = \"{database_url}\"\nsecret = \"bench-master-secret-0123456789abcdef\"\n{}",
        settings.server_keys()
    );
    text += &format!(
        "\n[management]\nclient_id = \"{MANAGEMENT_CLIENT}\"\nclient_secret = \"{MANAGEMENT_SECRET}\"\n"
    );
    for (identifier, alg) in APIS {
        text += &format!(
            "\n[[apis]]\nidentifier = \"{identifier}\"\nname = \"{identifier}\"\nsigning_alg = \"{alg}\"\n\
             allow_offline_access = true\nscopes = [{{ value = \"read\", description = \"Read\" }}]\n\
             \n[[client_grants]]\nclient_id = \"{M2M_CLIENT}\"\naudience = \"{identifier}\"\nscope = [\"read\"]\n"
        );
    }
    text += &format!(
        "\n[[apis]]\nidentifier = \"{DPOP_API}\"\nname = \"{DPOP_API}\"\nsigning_alg = \"ES256\"\n\
         allow_offline_access = true\nproof_of_possession = {{ mechanism = \"dpop\", required = false }}\n\
         scopes = [{{ value = \"read\", description = \"Read\" }}]\n\
         \n[[client_grants]]\nclient_id = \"{M2M_CLIENT}\"\naudience = \"{DPOP_API}\"\nscope = [\"read\"]\n"
    );
    let permissions: Vec<String> = (0..RBAC_PERMISSIONS)
        .map(|i| format!("{{ value = \"{}\" }}", rbac_permission(i)))
        .collect();
    text += &format!(
        "\n[[apis]]\nidentifier = \"{RBAC_API}\"\nname = \"{RBAC_API}\"\nallow_offline_access = true\n\
         enforce_policies = true\ntoken_dialect = \"access_token_authz\"\nscopes = [{}]\n",
        permissions.join(", ")
    );
    text += &format!(
        "\n[[clients]]\nclient_id = \"{M2M_CLIENT}\"\nclient_secret = \"{M2M_SECRET}\"\nname = \"Bench M2M\"\napp_type = \"non_interactive\"\n\
         \n[[clients]]\nclient_id = \"{WEB_CLIENT}\"\nclient_secret = \"{WEB_SECRET}\"\nname = \"Bench Web\"\n\
         callbacks = [\"{CALLBACK}\"]\nrefresh_token = {}\n\
         \n[[users]]\nusername = \"{USER}\"\nemail = \"bench@example.com\"\npassword = \"{PASSWORD}\"\nname = \"Bench\"\n",
        settings.refresh_policy()
    );
    text
}

/// A running server process.
pub struct Server {
    pub addr: SocketAddr,
    pub host: String,
    child: Child,
    config: tempfile::NamedTempFile,
    database_url: String,
    binary: PathBuf,
    pin: Option<String>,
}

/// A loopback address nothing listens on.
pub fn free_addr() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map_err(|e| e.to_string())
}

/// A command for `program`, under `taskset -c CPUS` when `pin` is given.
pub fn pinned(program: &std::ffi::OsStr, pin: Option<&str>) -> Command {
    match pin {
        Some(cpus) => {
            let mut command = Command::new("taskset");
            command.args(["-c", cpus]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

fn spawn(
    binary: &Path,
    config: &tempfile::NamedTempFile,
    pin: Option<&str>,
) -> Result<Child, String> {
    pinned(binary.as_os_str(), pin)
        .args(["serve", "--config"])
        .arg(config.path())
        .env("TESSERA_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start {}: {e} (build it: cargo build --release -p tessera)",
                binary.display()
            )
        })
}

/// The status code of `GET path` on `addr`, or `None` while nothing answers.
fn status_of(addr: SocketAddr, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut status_line = [0u8; 12];
    stream.read_exact(&mut status_line).ok()?;
    std::str::from_utf8(&status_line[9..12]).ok()?.parse().ok()
}

/// The discovery document: what a client fetches first.
pub const DISCOVERY: &str = "/.well-known/openid-configuration";

/// Waits until `child` (called `name`, started at `started`) answers 200 on each of `paths`
/// on `addr`, and returns when each first did — readiness as a client sees it, not a bound
/// socket (the server binds before it opens its store).
pub fn wait_ready(
    addr: SocketAddr,
    child: &mut Child,
    name: &str,
    started: Instant,
    paths: &[&str],
) -> Result<Vec<Duration>, String> {
    let mut ready: Vec<Option<Duration>> = vec![None; paths.len()];
    loop {
        for (path, at) in paths.iter().zip(ready.iter_mut()) {
            if at.is_none() && status_of(addr, path) == Some(200) {
                *at = Some(started.elapsed());
            }
        }
        if ready.iter().all(Option::is_some) {
            return Ok(ready.into_iter().flatten().collect());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{name} exited: {status}"));
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!("{name} was not ready within 120 s"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Exec to the first 200 of the discovery document and of `/readyz`.
#[derive(Debug, Clone, Copy)]
pub struct Readiness {
    pub discovery: Duration,
    pub readyz: Duration,
}

impl Readiness {
    pub fn describe(&self) -> String {
        format!(
            "discovery {:.0} ms, /readyz {:.0} ms",
            self.discovery.as_secs_f64() * 1000.0,
            self.readyz.as_secs_f64() * 1000.0
        )
    }
}

impl Server {
    /// Starts `binary` on `database_url` (a fresh store) with `settings`, pinned to `pin` CPUs
    /// if given, and returns it once ready, with when it was.
    pub fn start(
        binary: PathBuf,
        database_url: &str,
        pin: Option<String>,
        settings: &Settings,
    ) -> Result<(Server, Readiness), String> {
        let addr = free_addr()?;
        let config = tempfile::Builder::new()
            .suffix(".toml")
            .tempfile()
            .map_err(|e| e.to_string())?;
        std::fs::write(config.path(), config_text(addr, database_url, settings))
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let child = spawn(&binary, &config, pin.as_deref())?;
        let mut server = Server {
            addr,
            host: addr.to_string(),
            child,
            config,
            database_url: database_url.to_owned(),
            binary,
            pin,
        };
        let ready = server.ready(started)?;
        Ok((server, ready))
    }

    fn ready(&mut self, started: Instant) -> Result<Readiness, String> {
        let paths = [DISCOVERY, "/readyz"];
        let at = wait_ready(self.addr, &mut self.child, "tessera", started, &paths)?;
        Ok(Readiness {
            discovery: at[0],
            readyz: at[1],
        })
    }

    /// Stops the server as a service manager does — SIGTERM, then SIGKILL if it has not exited
    /// within ten seconds — so it drains, writes its audit log and closes its store, and the
    /// next start is an ordinary restart, not crash recovery. The store stays.
    pub fn stop(&mut self) {
        let terminated = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while terminated && Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops and starts again on the same store; returns when it was ready.
    pub fn restart(&mut self) -> Result<Readiness, String> {
        self.stop();
        let started = Instant::now();
        self.child = spawn(&self.binary, &self.config, self.pin.as_deref())?;
        self.ready(started)
    }

    /// Stops, rewrites the configuration with `settings` (same address and store) and starts
    /// again; returns when it was ready.
    pub fn reconfigure(&mut self, settings: &Settings) -> Result<Readiness, String> {
        self.stop();
        let text = config_text(self.addr, &self.database_url, settings);
        std::fs::write(self.config.path(), text).map_err(|e| e.to_string())?;
        self.restart()
    }

    /// The server's process id (for its memory).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, MB.
    pub fn rss_mb(&self) -> f64 {
        rss_mb(self.pid())
    }

    /// Peak resident memory, MB.
    pub fn peak_rss_mb(&self) -> f64 {
        peak_rss_mb(self.pid())
    }
}

/// A `/proc/PID/status` memory field (`VmRSS:`, `VmHWM:`), MB. Under `taskset` the pid is the
/// server's own: taskset execs it.
fn status_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resident memory of `pid` now, MB (0 when it cannot be read).
pub fn rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmRSS:").unwrap_or(0.0)
}

/// Peak resident memory of `pid`, MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmHWM:").unwrap_or(0.0)
}

/// How many files `pid` holds open (sockets, the database's files), or `None` when they
/// cannot be counted.
pub fn open_fds(pid: u32) -> Option<usize> {
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(entries.count())
}

/// Drives `workers` against `addr` like [`drive`], and samples the resident memory of `pid`
/// half-way through, under load.
pub async fn drive_sampled(
    addr: SocketAddr,
    pid: u32,
    workers: Vec<Box<dyn Worker>>,
    duration: Duration,
    rate: Option<f64>,
) -> Result<(Outcome, f64), String> {
    let run = tokio::spawn(drive(addr, workers, duration, rate));
    tokio::time::sleep(duration / 2).await;
    let rss = rss_mb(pid);
    let outcome = run.await.map_err(|e| e.to_string())??;
    Ok((outcome, rss))
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
