//! `tessera-bench`: starts a release `tessera serve` on a fresh store (pinned to one core),
//! measures the signing and hashing floors in the same run, drives each scenario with its own
//! load generator, and prints every result as a ratio to its floor, with p50/p99 and memory.
//! With `--peer` it then runs the same scenarios against node `oidc-provider` (bench/peer) and
//! prints both side by side.
//!
//! With `--soak DURATION` it runs only the soak (`soak/`): the mixed load at half its maximum
//! for the whole duration, judged for anything that grows.
//!
//! ```sh
//! cargo build --release -p tessera -p tessera-bench
//! taskset -c 1 target/release/tessera-bench            # server on core 0, load on core 1
//! taskset -c 1 target/release/tessera-bench --peer     # and the peer, on core 0 as well
//! taskset -c 1 target/release/tessera-bench --soak 1h  # the soak, a row a minute
//! ```

/// The server's allocator, so that floors which allocate (claims, JSON, hash memory) pay what
/// the server pays.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod actions;
mod browser;
mod dpop;
mod floor;
mod flows;
mod housekeeping;
mod import;
mod load;
mod metrics;
mod mix;
mod peer;
mod populate;
mod rbac;
mod report;
mod scenarios;
mod server;
mod soak;
mod store;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;

use crate::browser::{sign_in, Cookies};
use crate::floor::Floors;
use crate::flows::{client_credentials, Dialect};
use crate::load::Outcome;
use crate::populate::{Backlog, Population};
use crate::report::{Goal, Judging, Measured, Row, HEADER, SEPARATOR};
use crate::scenarios::{Target, SCOPE};
use crate::server::{Server, Settings, APIS, RBAC_API};
use crate::store::Store;

#[derive(Parser, Debug)]
#[command(about = "Tessera's benchmark suite: every scenario as a ratio to its floor")]
struct Args {
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// CPUs the server is pinned to (taskset list); "none" to not pin.
    #[arg(long, default_value = "0")]
    server_cpus: String,
    /// The `tessera` binary (default: next to this one).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// `sqlite` (a temporary file) or a `postgres://` URL of an empty database.
    #[arg(long, default_value = "sqlite")]
    store: String,
    /// A short run for CI: 1 s per scenario, 4 connections.
    #[arg(long)]
    smoke: bool,
    /// Then run the same scenarios against the peer, node `oidc-provider` (needs Node.js and
    /// npm), on the same CPUs, and print both side by side.
    #[arg(long)]
    peer: bool,
    /// The peer's directory (default: bench/peer of this source tree).
    #[arg(long)]
    peer_dir: Option<PathBuf>,
    /// Milliseconds each floor is measured for.
    #[arg(long, default_value_t = 1500)]
    floor_window_ms: u64,
    /// Also write the report into this markdown file, between its
    /// `<!-- tessera-bench:begin STORE … -->` and `<!-- tessera-bench:end STORE -->` lines
    /// (STORE: `sqlite` or `postgres`).
    #[arg(long)]
    write_docs: Option<PathBuf>,
    /// Run only the soak, for this long (`90s`, `2m`, `1h`): the mixed load paced at half its
    /// measured maximum, a row per --soak-interval, judged at the end for growth.
    #[arg(long, value_parser = humantime::parse_duration)]
    soak: Option<Duration>,
    /// Run only scenario H (housekeeping against the token path) and print its rows: for
    /// working on housekeeping without the whole suite.
    #[arg(long)]
    housekeeping_only: bool,
    /// How often the soak prints a row (`15s`, `1m`).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
    soak_interval: Duration,
    /// Only measure the floors, on this process's CPUs, and print them as JSON (the suite runs
    /// itself this way on the server's CPUs).
    #[arg(long, hide = true)]
    floors_only: bool,
}

struct Bench {
    target: Target,
    rows: Vec<Row>,
    /// Lines the report prints after its table (what a scenario says beyond its rows).
    notes: Vec<String>,
    postgres: bool,
}

impl Bench {
    fn judging(&self) -> Judging<'static> {
        Judging {
            postgres: self.postgres,
            peer: None,
        }
    }

    fn row(
        &mut self,
        scenario: impl Into<String>,
        measured: Measured,
        floor: Option<(f64, f64, &'static str)>,
        goal: Goal,
    ) {
        self.add(Row {
            scenario: scenario.into(),
            measured,
            floor,
            goal,
        });
    }

    fn add(&mut self, row: Row) {
        eprintln!("{}", row.markdown(self.judging()));
        self.rows.push(row);
    }

    fn note(&mut self, line: String) {
        eprintln!("{line}");
        self.notes.push(line);
    }
}

/// The floors of this run, measured twice — in this process, on the load generator's CPUs, and in
/// a child pinned to the server's CPUs — and the faster of each used: on a machine whose cores
/// share a physical core or a cache, the two placements differ, and the floor is a bound.
struct MeasuredFloors {
    here: Floors,
    server_cpus: Option<Floors>,
    used: Floors,
}

impl MeasuredFloors {
    fn measure(window: Duration, pin: Option<&str>) -> Result<MeasuredFloors, String> {
        eprintln!("measuring the floors (one thread, here and on the server's CPUs)…");
        let here = Floors::measure(window)?;
        let server_cpus = match pin {
            Some(cpus) => Some(floors_on(cpus, window)?),
            None => None,
        };
        let used = server_cpus
            .as_ref()
            .map_or_else(|| here.clone(), |there| here.fastest(there));
        Ok(MeasuredFloors {
            here,
            server_cpus,
            used,
        })
    }

    fn summary(&self) -> String {
        let mut text = format!("used (the faster of each): {}", self.used.summary());
        text += &format!("\n  on the load generator's CPUs: {}", self.here.summary());
        if let Some(there) = &self.server_cpus {
            text += &format!("\n  on the server's CPUs: {}", there.summary());
        }
        text
    }
}

/// The floors measured by a copy of this program pinned to `cpus`.
fn floors_on(cpus: &str, window: Duration) -> Result<Floors, String> {
    let program = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = server::pinned(program.as_os_str(), Some(cpus))
        .arg("--floors-only")
        .arg("--floor-window-ms")
        .arg(window.as_millis().to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot measure the floors on CPUs {cpus}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "measuring the floors on CPUs {cpus} failed: {}",
            output.status
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("floors on CPUs {cpus}: {e}"))
}

/// A to E against Tessera, each as a ratio to its floor.
async fn scenarios(bench: &mut Bench, floors: &Floors) -> Result<(), String> {
    let rs256 = floors.sign("RS256");
    // A: client credentials, one signature per request, per algorithm.
    for (api, alg) in APIS {
        let measured = bench.target.client_credentials(api).await?;
        let goal = match alg {
            "RS256" | "PS256" => Goal::Ratio(0.85),
            _ => Goal::Ratio(0.5),
        };
        let floor = Some((1.0, floors.sign(alg), "sign/s"));
        bench.row(format!("A client_credentials {alg}"), measured, floor, goal);
    }

    // p99 at half the maximum RS256 throughput, open loop.
    let max = bench.rows[0].outcome().per_second();
    let half = bench
        .target
        .client_credentials_at(APIS[0].0, Some(max / 2.0))
        .await?;
    let floor = Some((1.0, rs256, "sign/s"));
    bench.row(
        "A RS256 at half of max (paced)",
        half,
        floor,
        Goal::P99Ms(10.0),
    );

    // An SSO session with consent for everything the scenarios ask.
    let (addr, host) = (bench.target.addr, bench.target.host.clone());
    let everything = format!("{SCOPE} offline_access");
    let cookies = sign_in(addr, &host, Dialect::Tessera, APIS[0].0, &everything).await?;

    let (measured, codes) = bench.target.code_redemption(&cookies).await?;
    let floor = Some((2.0, rs256, "sign/s"));
    let name = format!("B code redemption + id_token ({codes} codes)");
    bench.row(name, measured, floor, Goal::Ratio(0.85));
    let measured = bench.target.refresh_rotation(&cookies).await?;
    let goal = Goal::RatioByStore {
        sqlite: 0.75,
        postgres: 0.6,
    };
    let plain = measured.outcome.per_second();
    bench.row("C refresh rotation + id_token", measured, floor, goal);

    // C with RBAC: the same rotation for an API with RBAC and permissions in its tokens, the
    // user holding 10 roles of 50 permissions; judged against plain C of this run.
    rbac::give_roles(bench.target.addr, &bench.target.host).await?;
    let cookies_rbac = sign_in(addr, &host, Dialect::Tessera, RBAC_API, &everything).await?;
    let measured = bench
        .target
        .refresh_rotation_for(RBAC_API, &cookies_rbac)
        .await?;
    let name = format!(
        "C with RBAC ({} roles x {} permissions, permissions claim)",
        rbac::ROLES,
        rbac::PER_ROLE
    );
    bench.row(
        name,
        measured,
        Some((1.0, plain, "C req/s")),
        Goal::Ratio(0.95),
    );

    // C with an Action: what one post-login Action setting two claims adds to a refresh, one
    // connection at a time (under a closed-loop load p50 is the queue, not the request).
    let serial = Target {
        addr,
        host: host.clone(),
        pid: bench.target.pid,
        dialect: bench.target.dialect,
        duration: bench.target.duration,
        concurrency: 1,
    };
    let without = serial.refresh_rotation_for(APIS[0].0, &cookies).await?;
    actions::bind_two_claims(addr, &host).await?;
    let with = serial.refresh_rotation_for(APIS[0].0, &cookies).await;
    actions::unbind(addr, &host).await?;
    let baseline_ms = without.outcome.p50_ms();
    bench.row("C one connection, no Action", without, None, Goal::None);
    bench.row(
        "C one connection, one post-login Action setting two claims",
        with?,
        None,
        Goal::P50AddedMs {
            baseline_ms,
            limit_ms: 1.0,
        },
    );

    // D: whole flows.
    let argon2 = Some((1.0, floors.argon2, "argon2id/s"));
    let none = Cookies::default();
    let t = &bench.target;
    let measured = t.run(t.flows(SCOPE, Some("login consent"), &none)).await?;
    let name = "D flow: login + consent + code + token";
    bench.row(name, measured, argon2, Goal::Ratio(0.8));
    let t = &bench.target;
    let measured = t.run(t.flows(SCOPE, Some("login"), &none)).await?;
    let name = "D flow: login, remembered consent";
    bench.row(name, measured, argon2, Goal::Ratio(0.8));
    let t = &bench.target;
    let measured = t.run(t.flows(SCOPE, None, &cookies)).await?;
    let name = "D flow: SSO session, remembered consent";
    bench.row(name, measured, floor, Goal::TimesPeer(5.0));

    // E: JWKS and userinfo.
    let measured = bench.target.jwks().await?;
    bench.row("E JWKS GET", measured, None, Goal::TimesPeer(10.0));
    let measured = bench.target.userinfo(&cookies).await?;
    let floor = Some((1.0, floors.verify("RS256"), "verify/s"));
    bench.row(
        "E userinfo GET (RS256 verify)",
        measured,
        floor,
        Goal::Ratio(0.6),
    );

    // I: a bulk user import over the Management API (users per second, the server's memory).
    let users = if bench.target.duration < Duration::from_secs(2) {
        5_000
    } else {
        100_000
    };
    let t = &bench.target;
    let measured = import::run(t.addr, &t.host, t.pid, users).await?;
    let name = format!("I users import ({users} users with bcrypt hashes: upload and job)");
    let goal = Goal::RateWithin {
        per_second: 5_000.0,
        rss_mb: 100.0,
    };
    bench.row(name, measured, None, goal);
    Ok(())
}

/// F: tessera-resource validation in-process, against this server's JWKS.
async fn resource_validation(bench: &mut Bench, floors: &Floors) -> Result<(), String> {
    let t = &bench.target;
    let (_, _, body) =
        flows::call(t.addr, client_credentials(&t.host, t.dialect, APIS[0].0)).await?;
    let m2m_token = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["access_token"].as_str().map(str::to_owned))
        .ok_or("no M2M token")?;
    let validator = tessera_resource::Validator::new(format!("http://{}/", t.host), APIS[0].0);
    validator
        .validate(&m2m_token)
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let (mut validated, mut failed, mut first_failure) = (0u64, 0u64, None);
    let mut histogram = hdrhistogram::Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
    while started.elapsed() < t.duration.min(Duration::from_secs(3)) {
        let at = Instant::now();
        match validator.validate(&m2m_token).await {
            Ok(_) => validated += 1,
            Err(error) => {
                failed += 1;
                first_failure.get_or_insert_with(|| error.to_string());
            }
        }
        let _ = histogram.record(u64::try_from(at.elapsed().as_micros()).unwrap_or(1).max(1));
    }
    let outcome = Outcome {
        ok: validated,
        failed,
        first_failure,
        elapsed: started.elapsed(),
        latency: histogram,
        ..Outcome::empty()?
    };
    let measured = Measured { outcome, rss: None };
    let floor = Some((1.0, floors.verify("RS256"), "verify/s"));
    let name = "F tessera-resource validate (in-process)";
    bench.row(name, measured, floor, Goal::Ratio(0.9));
    Ok(())
}

/// G: client credentials with a DPoP proof (an ES256 proof verified, its `jti` recorded, the
/// token bound), next to the same API without a proof, measured just before it.
async fn dpop_at_token_endpoint(bench: &mut Bench, floors: &Floors) -> Result<(), String> {
    let g = dpop::measure(&bench.target, floors.verify("ES256")).await?;
    let without = g.without_proof.outcome.per_second();
    let floor = Some((1.0, floors.sign("ES256"), "sign/s"));
    let name = "G client_credentials ES256, DPoP API, no proof";
    bench.row(name, g.without_proof, floor, Goal::None);
    let floor = Some((1.0, without, "no-proof req/s"));
    let name = "G client_credentials ES256 + DPoP proof (ratio: to no proof)";
    bench.row(name, g.with_proof, floor, Goal::None);
    bench.note(g.note);
    Ok(())
}

/// Scenario H's backlog: a million log events and 100,000 rows of each other kind (smoke: a
/// fiftieth).
fn backlog(smoke: bool) -> Backlog {
    let (events, each_expired) = match smoke {
        true => (20_000, 2_000),
        false => (1_000_000, 100_000),
    };
    Backlog {
        events,
        each_expired,
        generation: 0,
    }
}

async fn run(args: Args) -> Result<(), String> {
    if args.floors_only {
        let floors = Floors::measure(Duration::from_millis(args.floor_window_ms))?;
        println!(
            "{}",
            serde_json::to_string(&floors).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let (duration, concurrency) = if args.smoke {
        (Duration::from_secs(1), 4)
    } else {
        (Duration::from_secs(args.duration), args.concurrency)
    };
    let binary = match args.binary {
        Some(path) => path,
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("tessera"),
    };
    let pin = (args.server_cpus != "none").then(|| args.server_cpus.clone());
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = Store::given(&args.store, dir.path());
    if let Some(soak_duration) = args.soak {
        let plan = soak::Plan {
            duration: soak_duration,
            interval: args.soak_interval,
            concurrency: args.concurrency,
            binary,
            pin,
            store,
        };
        return soak::run(plan).await;
    }
    let setup = housekeeping::Setup {
        binary: &binary,
        pin: pin.as_deref(),
        store: &store,
        dir: dir.path(),
        duration,
        concurrency,
        backlog: backlog(args.smoke),
    };
    if args.housekeeping_only {
        eprintln!("{HEADER}");
        eprintln!("{SEPARATOR}");
        let judging = Judging {
            postgres: store.is_postgres(),
            peer: None,
        };
        for row in housekeeping::run(&setup).await? {
            eprintln!("{}", row.markdown(judging));
        }
        return Ok(());
    }
    let database_url = store.url();

    let peer_dir = args.peer_dir.unwrap_or_else(peer::default_dir);
    if args.peer {
        // Before Tessera's whole suite, not after it.
        peer::check(&peer_dir)?;
    }
    let window = Duration::from_millis(if args.smoke {
        200
    } else {
        args.floor_window_ms
    });
    let measured_floors = MeasuredFloors::measure(window, pin.as_deref())?;
    eprintln!("floors: {}", measured_floors.summary());
    let floors = &measured_floors.used;

    let (mut server, first_start) = Server::start(
        binary.clone(),
        &database_url,
        pin.clone(),
        &Settings::default(),
    )?;
    let mut bench = Bench {
        postgres: store.is_postgres(),
        target: Target {
            addr: server.addr,
            host: server.host.clone(),
            pid: server.pid(),
            dialect: Dialect::Tessera,
            duration,
            concurrency,
        },
        rows: Vec::new(),
        notes: Vec::new(),
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = server.rss_mb();
    eprintln!("{HEADER}");
    eprintln!("{SEPARATOR}");
    scenarios(&mut bench, floors).await?;
    resource_validation(&mut bench, floors).await?;
    dpop_at_token_endpoint(&mut bench, floors).await?;

    // Memory at 256 connections, peak, and readiness on the store the scenarios filled, then
    // on a populated one.
    let rss_256 = bench.target.rss_at_256().await?;
    let peak = server.peak_rss_mb();
    let used_ready = server.restart()?;
    server.stop();
    let population = if args.smoke {
        Population {
            users: 1_000,
            events: 10_000,
        }
    } else {
        Population {
            users: 100_000,
            events: 1_000_000,
        }
    };
    eprintln!("populating the store: {}…", population.describe());
    populate::populate(&database_url, population, populate::unix_now()?).await?;
    let populated_ready = server.restart()?;
    drop(server);
    for row in housekeeping::run(&setup).await? {
        bench.add(row);
    }
    // The peer gets the CPUs to itself, as Tessera had them.
    let peer = match args.peer {
        true => Some(peer::run(&peer_dir, pin.as_deref(), duration, concurrency).await?),
        false => None,
    };

    let judging = Judging {
        postgres: bench.postgres,
        peer: peer.as_ref().map(|p| p.rows.as_slice()),
    };
    let mut lines = vec![
        format!("Command: `{}`", command_line()),
        format!("Machine: {}", report::machine()),
        format!(
            "Server pinned to CPUs {}; {} s per scenario, {} connections; store {}.",
            pin.as_deref().unwrap_or("(not pinned)"),
            duration.as_secs(),
            concurrency,
            if bench.postgres {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        ),
        String::new(),
        format!(
            "Floors (same run, one thread): {}",
            measured_floors.summary()
        ),
        String::new(),
        HEADER.to_owned(),
        SEPARATOR.to_owned(),
    ];
    lines.extend(bench.rows.iter().map(|row| row.markdown(judging)));
    if let Some(bounds) = http_bounds(&bench.rows, floors) {
        lines.push(String::new());
        lines.push(bounds);
    }
    for note in &bench.notes {
        lines.push(String::new());
        lines.push(note.clone());
    }
    let within = |value: f64, limit: f64| if value <= limit { "yes" } else { "no" };
    let ready_ms = |r: &server::Readiness| r.readyz.max(r.discovery).as_secs_f64() * 1000.0;
    lines.push(String::new());
    lines.push(format!(
        "Memory: {idle_rss:.1} MB idle (≤ 20: {}), {rss_256:.1} MB at 256 connections (≤ 60: {}), {peak:.1} MB peak.",
        within(idle_rss, 20.0),
        within(rss_256, 60.0)
    ));
    lines.push(format!(
        "Exec to the first 200 of discovery and of /readyz (≤ 100 ms): fresh store, first start (creates the schema, \
         the keys, seeds): {}; the store the scenarios left: {} ({}); populated ({}): {} ({}).",
        first_start.describe(),
        used_ready.describe(),
        within(ready_ms(&used_ready), 100.0),
        population.describe(),
        populated_ready.describe(),
        within(ready_ms(&populated_ready), 100.0)
    ));
    let mut all: Vec<&Row> = bench.rows.iter().collect();
    if let Some(peer) = &peer {
        lines.push(String::new());
        lines.push(format!(
            "Peer: node oidc-provider (bench/peer), in memory, same CPUs, load generator, \
             connections and duration. Memory: {:.1} MB idle, {:.1} MB at 256 connections, {:.1} MB peak. \
             Exec to the first 200 of discovery: {:.0} ms.",
            peer.idle_rss,
            peer.rss_256,
            peer.peak_rss,
            peer.ready.as_secs_f64() * 1000.0
        ));
        lines.push(String::new());
        lines.extend(report::side_by_side(&bench.rows, &peer.rows));
        all.extend(&peer.rows);
    }
    println!();
    for line in &lines {
        println!("{line}");
    }
    if let Some(path) = &args.write_docs {
        let section = if bench.postgres { "postgres" } else { "sqlite" };
        report::Markers::for_section(section).write(path, &lines)?;
        eprintln!("wrote the report into {}", path.display());
    }
    report::conclude("bench", all.len(), &report::failures(&all))
}

/// What a token endpoint could reach at best on this machine: one signature plus one bare HTTP
/// exchange per request, the latter as fast as this run's JWKS GET (a cached body, no work).
fn http_bounds(rows: &[Row], floors: &Floors) -> Option<String> {
    let jwks = rows
        .iter()
        .find(|r| r.scenario.starts_with("E JWKS"))?
        .outcome()
        .per_second();
    if jwks <= 0.0 {
        return None;
    }
    let bounds: Vec<String> = APIS
        .iter()
        .map(|(_, alg)| {
            let sign = floors.sign(alg);
            format!("{alg} ≤ {:.2}", jwks / (jwks + sign))
        })
        .collect();
    Some(format!(
        "Best ratio a client-credentials request could reach here, with one signature and one bare \
         HTTP exchange (as fast as this run's JWKS GET, {jwks:.0}/s) and no other work: {}.",
        bounds.join(", ")
    ))
}

/// This run's command line: `taskset -c LIST` first when this process is pinned (as it reads
/// its own affinity), the program as `target/release/NAME`.
fn command_line() -> String {
    let mut words: Vec<String> = std::env::args().collect();
    if let Some(program) = words.first_mut() {
        if let Some(name) = std::path::Path::new(program.as_str()).file_name() {
            *program = format!("target/release/{}", name.to_string_lossy());
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let allowed = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(str::trim);
    let cores = report::machine_cores();
    let all = format!("0-{}", cores.saturating_sub(1));
    match allowed {
        Some(list) if list != all && cores > 0 => format!("taskset -c {list} {}", words.join(" ")),
        _ => words.join(" "),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tessera-bench: {message}");
            std::process::ExitCode::from(2)
        }
    }
}
