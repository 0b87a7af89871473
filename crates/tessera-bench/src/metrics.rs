//! The server's Prometheus counters, read from `GET /metrics` as an operator's scraper would.

use std::net::SocketAddr;

use crate::flows::call;
use crate::load::{get, snippet};

/// The sum of every series of the counter `name` on the server at `addr`.
pub async fn counter(addr: SocketAddr, host: &str, name: &str) -> Result<u64, String> {
    let (status, _, body) = call(addr, get(host, "/metrics", &[])).await?;
    if status != 200 {
        return Err(format!("GET /metrics: HTTP {status}: {}", snippet(&body)));
    }
    Ok(counter_sum(&String::from_utf8_lossy(&body), name))
}

/// The sum of every series of the counter `name` in a Prometheus text exposition.
fn counter_sum(exposition: &str, name: &str) -> u64 {
    let sum: f64 = exposition
        .lines()
        .filter_map(|line| line.strip_prefix(name))
        .filter_map(|rest| match rest.strip_prefix('{') {
            Some(labelled) => labelled.split_once('}').map(|(_, value)| value),
            None => rest.starts_with(' ').then_some(rest),
        })
        .filter_map(|value| value.split_whitespace().next()?.parse::<f64>().ok())
        .sum();
    sum as u64
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const PURGED: &str = "tessera_housekeeping_purged_total";

    #[test]
    fn every_series_of_the_purge_counter_is_summed_and_nothing_else() {
        let exposition = "# HELP tessera_housekeeping_purged_total Rows deleted by housekeeping\n\
            # TYPE tessera_housekeeping_purged_total counter\n\
            tessera_housekeeping_purged_total{what=\"log_events\"} 1000000\n\
            tessera_housekeeping_purged_total{what=\"sessions\"} 2500\n\
            tessera_housekeeping_purged_total_other 7\n\
            tessera_housekeeping_purged_total{what=\"refresh_tokens\"} 12 1700000000000\n\
            tessera_tokens_issued_total{grant=\"client_credentials\"} 99\n";
        assert_eq!(counter_sum(exposition, PURGED), 1_002_512);
        assert_eq!(counter_sum("", PURGED), 0);
    }
}
