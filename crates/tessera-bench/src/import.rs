//! Scenario I: a bulk user import as Auth0's SDKs send it — a multipart upload of a JSON array
//! of users to `POST /api/v2/jobs/users-imports`, then the job polled until it completes —
//! timed from the upload's start to the job's end, with the server's memory sampled throughout.
//! Every user carries a bcrypt `password_hash` and an `app_metadata` object, as an Auth0 export
//! merged with its hashes does.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::Request;

use crate::flows;
use crate::load::{get, post_form, Outcome};
use crate::report::Measured;
use crate::server::{rss_mb, MANAGEMENT_CLIENT, MANAGEMENT_SECRET};

/// A bcrypt hash (cost 10) of "bench password", checked at import, verified only at login.
const BCRYPT: &str = "$2b$10$NdoDggqYGj/whLNmohjDRucX0Kg75h/DHxKjCxMlQmZH1m3pNEFQG";
const BOUNDARY: &str = "tessera-bench-boundary";

/// The import file: `users` users in Auth0's import format.
fn file(users: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::try_from(users).unwrap_or(0) * 220);
    out.push(b'[');
    for i in 0..users {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(
            format!(
                r#"{{"email":"import{i}@bench.example","user_id":"import-{i}","given_name":"Bench","app_metadata":{{"plan":"gold","n":{i}}},"password_hash":"{BCRYPT}"}}"#
            )
            .as_bytes(),
        );
    }
    out.push(b']');
    out
}

/// The multipart body Auth0's SDKs send: the connection, then the file.
fn multipart(file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"connection_id\"\r\n\r\nUsername-Password-Authentication\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"users\"; filename=\"users.json\"\r\nContent-Type: application/json\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_default()
}

/// Imports `users` users into the server at `addr` (process `pid`); one "request" per user.
pub async fn run(addr: SocketAddr, host: &str, pid: u32, users: u64) -> Result<Measured, String> {
    let form = format!(
        "grant_type=client_credentials&client_id={MANAGEMENT_CLIENT}&client_secret={}&audience={}",
        flows::encode(MANAGEMENT_SECRET),
        flows::encode(&format!("http://{host}/api/v2/"))
    );
    let (status, _, body) = flows::call(addr, post_form(host, "/oauth/token", &form)).await?;
    let token = json(&body)["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no Management API token ({status})"))?;
    let bearer = format!("Bearer {token}");
    let upload = multipart(&file(users));

    let started = Instant::now();
    let mut peak_rss = rss_mb(pid);
    let request = Request::post("/api/v2/jobs/users-imports")
        .header("host", host)
        .header("authorization", &bearer)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Full::new(Bytes::from(upload)))
        .map_err(|e| e.to_string())?;
    let (status, _, body) = flows::call(addr, request).await?;
    let job = json(&body);
    let id = job["id"]
        .as_str()
        .ok_or_else(|| {
            format!(
                "the upload was refused ({status}): {}",
                String::from_utf8_lossy(&body)
            )
        })?
        .to_owned();
    let ended = loop {
        peak_rss = peak_rss.max(rss_mb(pid));
        let path = format!("/api/v2/jobs/{id}");
        let (_, _, body) =
            flows::call(addr, get(host, &path, &[("authorization", &bearer)])).await?;
        let job = json(&body);
        if job["status"] == "completed" || job["status"] == "failed" {
            break job;
        }
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!("the import job {id} did not end in 10 minutes"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let elapsed = started.elapsed();
    let summary = &ended["summary"];
    let inserted = summary["inserted"].as_u64().unwrap_or(0);
    let failed = users.saturating_sub(inserted);
    let first_failure =
        (ended["status"] != "completed" || failed > 0).then(|| format!("job {id}: {ended}"));
    let mut latency = hdrhistogram::Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
    let _ = latency.record(
        u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1),
    );
    Ok(Measured {
        outcome: Outcome {
            ok: inserted,
            failed,
            first_failure,
            elapsed,
            latency,
            ..Outcome::empty()?
        },
        rss: Some(peak_rss),
    })
}
