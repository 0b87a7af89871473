//! `tessera-bench`: starts a release `tessera serve` on a fresh store (pinned to one core),
//! measures the signing and hashing floors in the same run, drives each scenario with its own
//! load generator, and prints every result as a ratio to its floor, with p50/p99 and memory.
//!
//! ```sh
//! cargo build --release -p tessera-server -p tessera-bench
//! taskset -c 1 target/release/tessera-bench            # server on core 0, load on core 1
//! ```

mod floor;
mod flows;
mod load;
mod server;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use tessera_jwt::Algorithm;

use crate::flows::{client_credentials, sign_in, Cookies, Flow, Redeem, RefreshChain};
use crate::load::{drive, get, Outcome, Repeat, Worker};
use crate::server::{Server, APIS};

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
}

/// One line of the report.
struct Row {
    scenario: String,
    outcome: Outcome,
    /// Units of work per request (signatures, hashes) and the floor they are measured against.
    floor: Option<(f64, f64, &'static str)>,
    target: &'static str,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        self.floor
            .map(|(per_request, floor, _)| self.outcome.per_second() * per_request / floor)
    }

    fn markdown(&self) -> String {
        let (ratio, floor) = match (self.ratio(), self.floor) {
            (Some(r), Some((_, f, name))) => (format!("{r:.2}"), format!("{f:.0} {name}")),
            _ => ("–".into(), "–".into()),
        };
        format!(
            "| {} | {:.0} | {} | {} | {} | {:.2} | {:.2} | {} |",
            self.scenario,
            self.outcome.per_second(),
            floor,
            ratio,
            self.target,
            self.outcome.p50_ms(),
            self.outcome.p99_ms(),
            self.outcome.failed
        )
    }
}

fn boxed<W: Worker>(workers: impl IntoIterator<Item = W>) -> Vec<Box<dyn Worker>> {
    workers
        .into_iter()
        .map(|w| Box::new(w) as Box<dyn Worker>)
        .collect()
}

struct Bench {
    server: Server,
    duration: Duration,
    concurrency: usize,
    rows: Vec<Row>,
}

impl Bench {
    async fn run(&mut self, workers: Vec<Box<dyn Worker>>) -> Result<Outcome, String> {
        drive(self.server.addr, workers, self.duration, None).await
    }

    fn row(
        &mut self,
        scenario: impl Into<String>,
        outcome: Outcome,
        floor: Option<(f64, f64, &'static str)>,
        target: &'static str,
    ) {
        let row = Row {
            scenario: scenario.into(),
            outcome,
            floor,
            target,
        };
        eprintln!("{}", row.markdown());
        self.rows.push(row);
    }

    fn host(&self) -> String {
        self.server.host.clone()
    }

    fn repeat(&self, request: impl Fn() -> hyper::Request<load::Body>) -> Vec<Box<dyn Worker>> {
        boxed((0..self.concurrency).map(|_| Repeat(request())))
    }
}

async fn run(args: Args) -> Result<(), String> {
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
    let database_url = if args.store == "sqlite" {
        format!("sqlite://{}/bench.db", dir.path().display())
    } else {
        args.store.clone()
    };

    eprintln!("measuring the floors (one core each)…");
    let mut signs = std::collections::HashMap::new();
    for alg in Algorithm::ALL {
        signs.insert(alg.as_str(), floor::signs_per_second(alg)?);
    }
    let rs256_verify = floor::verifies_per_second(Algorithm::RS256)?;
    let argon2 = floor::argon2_per_second()?;
    let mut floors = String::new();
    for alg in Algorithm::ALL {
        floors += &format!("{} sign {:.0}/s · ", alg.as_str(), signs[alg.as_str()]);
    }
    floors += &format!("RS256 verify {rs256_verify:.0}/s · argon2id {argon2:.1}/s");
    eprintln!("{floors}");

    let server = Server::start(binary, &database_url, pin.clone())?;
    let mut bench = Bench {
        server,
        duration,
        concurrency,
        rows: Vec::new(),
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = bench.server.rss_mb();
    let host = bench.host();
    let addr = bench.server.addr;
    let rs256 = signs["RS256"];
    eprintln!("| scenario | req/s | floor | ratio | target | p50 ms | p99 ms | failed |");

    // A: client credentials, one signature per request, per algorithm.
    for (api, alg) in APIS {
        let workers = bench.repeat(|| client_credentials(&host, api));
        let outcome = bench.run(workers).await?;
        let target = match alg {
            "RS256" | "PS256" => "≥ 0.85",
            _ => "≥ 18,000 req/s",
        };
        bench.row(
            format!("A client_credentials {alg}"),
            outcome,
            Some((1.0, signs[alg], "sign/s")),
            target,
        );
    }

    // p99 at half the maximum RS256 throughput, open loop.
    let max = bench.rows[0].outcome.per_second();
    let workers = bench.repeat(|| client_credentials(&host, APIS[0].0));
    let half = drive(addr, workers, duration, Some(max / 2.0)).await?;
    bench.row(
        "A RS256 at half of max (paced)",
        half,
        Some((1.0, rs256, "sign/s")),
        "p99 ≤ 10 ms",
    );

    // An SSO session with consent for everything the scenarios ask.
    let cookies = sign_in(addr, &host, APIS[0].0, "openid profile read offline_access").await?;

    // B: redemption of pre-minted codes (access + ID token: two signatures).
    let codes = Arc::new(Mutex::new(Vec::new()));
    let minters = boxed((0..concurrency).map(|_| {
        Flow::new(
            &host,
            APIS[0].0,
            "openid profile read",
            None,
            cookies.clone(),
        )
        .collecting(Arc::clone(&codes), false)
    }));
    drive(addr, minters, duration, None).await?;
    let minted: Vec<String> = codes.lock().map(|c| c.clone()).unwrap_or_default();
    let chunk = minted.len().div_ceil(concurrency).max(1);
    let redeemers = boxed(minted.chunks(chunk).map(|c| Redeem {
        host: host.clone(),
        codes: c.to_vec(),
    }));
    let outcome = bench.run(redeemers).await?;
    bench.row(
        format!("B code redemption + id_token ({} codes)", minted.len()),
        outcome,
        Some((2.0, rs256, "sign/s")),
        "≥ 0.85",
    );

    // C: refresh token rotation with an ID token (two signatures) per request.
    let refresh_tokens = Arc::new(Mutex::new(Vec::new()));
    let getters = boxed((0..concurrency).map(|_| {
        Flow::new(
            &host,
            APIS[0].0,
            "openid profile read offline_access",
            None,
            cookies.clone(),
        )
        .collecting(Arc::clone(&refresh_tokens), true)
    }));
    drive(
        addr,
        getters,
        Duration::from_millis(500).max(duration / 10),
        None,
    )
    .await?;
    let tokens: Vec<String> = refresh_tokens.lock().map(|t| t.clone()).unwrap_or_default();
    let chains = boxed(tokens.into_iter().take(concurrency).map(|t| RefreshChain {
        host: host.clone(),
        token: Some(t),
    }));
    let outcome = bench.run(chains).await?;
    bench.row(
        "C refresh rotation + id_token",
        outcome,
        Some((2.0, rs256, "sign/s")),
        "≥ 0.75 (SQLite)",
    );

    // D: whole flows.
    let flows = |prompt: Option<&'static str>, cookies: Cookies| {
        let host = host.clone();
        boxed((0..concurrency).map(move |_| {
            Flow::new(
                &host,
                APIS[0].0,
                "openid profile read",
                prompt,
                cookies.clone(),
            )
        }))
    };
    let outcome = bench
        .run(flows(Some("login consent"), Cookies::default()))
        .await?;
    bench.row(
        "D flow: login + consent + code + token",
        outcome,
        Some((1.0, argon2, "argon2id/s")),
        "≥ 0.8",
    );
    let outcome = bench.run(flows(Some("login"), Cookies::default())).await?;
    bench.row(
        "D flow: login, remembered consent",
        outcome,
        Some((1.0, argon2, "argon2id/s")),
        "≥ 0.8",
    );
    let outcome = bench.run(flows(None, cookies.clone())).await?;
    bench.row(
        "D flow: SSO session, remembered consent",
        outcome,
        Some((2.0, rs256, "sign/s")),
        "≥ 5× peer (386/s)",
    );

    // E: JWKS and userinfo.
    let outcome = bench
        .run(bench.repeat(|| get(&host, "/.well-known/jwks.json", &[])))
        .await?;
    bench.row("E JWKS GET", outcome, None, "≥ 63,540 req/s (10× peer)");
    let (_, _, body) = flows::call(addr, client_credentials(&host, APIS[0].0)).await?;
    let user_token = {
        let code_flow = Arc::new(Mutex::new(Vec::new()));
        let mut flow = Flow::new(
            &host,
            APIS[0].0,
            "openid profile read offline_access",
            None,
            cookies.clone(),
        )
        .collecting(Arc::clone(&code_flow), true);
        let mut access = None;
        for _ in 0..4 {
            let Some(request) = flow.next() else { break };
            let (status, headers, body) = flows::call(addr, request).await?;
            let step = flow.done(status, &headers, &body);
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) {
                if let Some(token) = value["access_token"].as_str() {
                    access = Some(token.to_owned());
                }
            }
            if step != load::Step::Continue {
                break;
            }
        }
        access.ok_or("no user access token for userinfo")?
    };
    let bearer = format!("Bearer {user_token}");
    let outcome = bench
        .run(bench.repeat(|| get(&host, "/userinfo", &[("authorization", &bearer)])))
        .await?;
    bench.row(
        "E userinfo GET (RS256 verify)",
        outcome,
        Some((1.0, rs256_verify, "verify/s")),
        "≥ 0.6",
    );

    // F: tessera-resource validation in-process, against this server's JWKS.
    let m2m_token = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["access_token"].as_str().map(str::to_owned))
        .ok_or("no M2M token")?;
    let validator = tessera_resource::Validator::new(format!("http://{host}/"), APIS[0].0);
    validator
        .validate(&m2m_token)
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut validated = 0u64;
    let mut histogram = hdrhistogram::Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
    while started.elapsed() < duration.min(Duration::from_secs(3)) {
        let t = Instant::now();
        if validator.validate(&m2m_token).await.is_ok() {
            validated += 1;
        }
        let _ = histogram.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(1).max(1));
    }
    let outcome = Outcome {
        ok: validated,
        failed: 0,
        elapsed: started.elapsed(),
        latency: histogram,
    };
    bench.row(
        "F tessera-resource validate (in-process)",
        outcome,
        Some((1.0, rs256_verify, "verify/s")),
        "≥ 0.9",
    );

    // Memory at 256 connections, peak, and start to ready on the existing store.
    let many = boxed((0..256).map(|_| Repeat(get(&host, "/.well-known/jwks.json", &[]))));
    let load = tokio::spawn(drive(addr, many, Duration::from_secs(2), None));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rss_256 = bench.server.rss_mb();
    load.await.map_err(|e| e.to_string())??;
    let peak = bench.server.peak_rss_mb();
    let ready = bench.server.restart()?;

    println!();
    println!("Floors (same run, one core): {floors}");
    println!(
        "Memory: {idle_rss:.1} MB idle (target ≤ 20), {rss_256:.1} MB at 256 connections (target ≤ 60), {peak:.1} MB peak. \
         Start to ready on the existing store: {:.0} ms (target ≤ 100).",
        ready.as_secs_f64() * 1000.0
    );
    println!(
        "Server pinned to CPUs {}; {} s per scenario, {} connections; store {}.",
        pin.as_deref().unwrap_or("(not pinned)"),
        duration.as_secs(),
        concurrency,
        if args.store == "sqlite" {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    let failures: u64 = bench.rows.iter().map(|r| r.outcome.failed).sum();
    let zero = bench
        .rows
        .iter()
        .filter(|r| r.outcome.ok == 0)
        .map(|r| r.scenario.clone())
        .collect::<Vec<_>>();
    println!("| scenario | req/s | floor | ratio | target | p50 ms | p99 ms | failed |");
    println!("|---|---|---|---|---|---|---|---|");
    for row in &bench.rows {
        println!("{}", row.markdown());
    }
    if !zero.is_empty() {
        return Err(format!("scenarios with no successful request: {zero:?}"));
    }
    println!(
        "bench: {} passed, {} failed",
        bench.rows.len(),
        usize::from(failures > 0)
    );
    Ok(())
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
