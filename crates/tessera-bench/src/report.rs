//! The report: one markdown row per scenario (a ratio to its floor), and the side-by-side table
//! of Tessera against the peer.

use crate::load::Outcome;

/// What one scenario measured.
pub struct Measured {
    pub outcome: Outcome,
    /// The server's resident memory half-way through, MB (none when no server was involved).
    pub rss: Option<f64>,
}

/// One line of the report.
pub struct Row {
    pub scenario: String,
    pub measured: Measured,
    /// Units of work per request (signatures, hashes) and the floor they are measured against.
    pub floor: Option<(f64, f64, &'static str)>,
    pub target: &'static str,
}

/// The columns of [`Row::markdown`].
pub const HEADER: &str =
    "| scenario | req/s | floor | ratio | target | p50 ms | p99 ms | p99.9 ms | RSS MB | failed |";
pub const SEPARATOR: &str = "|---|---|---|---|---|---|---|---|---|---|";

fn mb(rss: Option<f64>) -> String {
    rss.map_or_else(|| "–".into(), |mb| format!("{mb:.0}"))
}

impl Row {
    pub fn outcome(&self) -> &Outcome {
        &self.measured.outcome
    }

    fn ratio(&self) -> Option<f64> {
        self.floor
            .map(|(per_request, floor, _)| self.outcome().per_second() * per_request / floor)
    }

    pub fn markdown(&self) -> String {
        let (ratio, floor) = match (self.ratio(), self.floor) {
            (Some(r), Some((_, f, name))) => (format!("{r:.2}"), format!("{f:.0} {name}")),
            _ => ("–".into(), "–".into()),
        };
        let outcome = self.outcome();
        format!(
            "| {} | {:.0} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {} |",
            self.scenario,
            outcome.per_second(),
            floor,
            ratio,
            self.target,
            outcome.p50_ms(),
            outcome.p99_ms(),
            outcome.p999_ms(),
            mb(self.measured.rss),
            outcome.failed
        )
    }
}

/// A scenario's name without its parenthesized detail: what pairs a peer row with ours.
fn key(scenario: &str) -> &str {
    scenario.split(" (").next().unwrap_or(scenario).trim()
}

/// Every scenario the peer ran next to the same scenario on Tessera.
pub fn side_by_side(ours: &[Row], peer: &[Row]) -> Vec<String> {
    let mut lines = vec![
        "| scenario | Tessera req/s | Tessera p99 ms | Tessera RSS MB | peer req/s | peer p50 ms | peer p99 ms | peer RSS MB | peer failed | Tessera ÷ peer |".to_owned(),
        "|---|---|---|---|---|---|---|---|---|---|".to_owned(),
    ];
    for theirs in peer {
        let p = theirs.outcome();
        let (req, p99, rss, times) = match ours
            .iter()
            .find(|r| key(&r.scenario) == key(&theirs.scenario))
        {
            Some(row) => {
                let o = row.outcome();
                let times = if p.per_second() > 0.0 {
                    format!("{:.1}×", o.per_second() / p.per_second())
                } else {
                    "–".into()
                };
                (
                    format!("{:.0}", o.per_second()),
                    format!("{:.2}", o.p99_ms()),
                    mb(row.measured.rss),
                    times,
                )
            }
            None => ("–".into(), "–".into(), "–".into(), "–".into()),
        };
        lines.push(format!(
            "| {} | {req} | {p99} | {rss} | {:.0} | {:.2} | {:.2} | {} | {} | {times} |",
            theirs.scenario,
            p.per_second(),
            p.p50_ms(),
            p.p99_ms(),
            mb(theirs.measured.rss),
            p.failed
        ));
    }
    lines
}

/// The scenarios that failed, each with why: a run with any failed request, or with none
/// answered at all, fails — a throughput measured on wrong answers measures nothing.
pub fn failures(rows: &[&Row]) -> Vec<String> {
    rows.iter()
        .filter_map(|row| {
            let outcome = row.outcome();
            if outcome.failed > 0 {
                let why = outcome
                    .first_failure
                    .as_deref()
                    .unwrap_or("no reason given");
                Some(format!(
                    "{}: {} of {} requests failed, the first with: {why}",
                    row.scenario,
                    outcome.failed,
                    outcome.failed + outcome.ok
                ))
            } else if outcome.ok == 0 {
                Some(format!("{}: no request succeeded", row.scenario))
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::time::Duration;

    use super::{failures, key, Measured, Row};
    use crate::load::Outcome;

    fn row(ok: u64, failed: u64, why: Option<&str>) -> Row {
        Row {
            scenario: "A client_credentials RS256".into(),
            measured: Measured {
                outcome: Outcome {
                    ok,
                    failed,
                    first_failure: why.map(str::to_owned),
                    elapsed: Duration::from_secs(1),
                    latency: hdrhistogram::Histogram::new(3).unwrap(),
                },
                rss: None,
            },
            floor: None,
            target: "≥ 0.85",
        }
    }

    #[test]
    fn one_failed_request_fails_the_scenario_with_its_reason() {
        let one_bad = row(10_000, 1, Some("no id_token"));
        let failed = failures(&[&one_bad]);
        assert_eq!(failed.len(), 1);
        assert!(failed[0].contains("1 of 10001"), "{failed:?}");
        assert!(failed[0].contains("no id_token"), "{failed:?}");
    }

    #[test]
    fn a_scenario_with_no_success_fails_and_a_clean_one_passes() {
        assert_eq!(failures(&[&row(0, 0, None)]).len(), 1);
        assert!(failures(&[&row(500, 0, None)]).is_empty());
    }

    #[test]
    fn key_pairs_scenarios_whatever_their_detail() {
        assert_eq!(key("E userinfo GET (RS256 verify)"), "E userinfo GET");
        assert_eq!(key("E userinfo GET (opaque token)"), "E userinfo GET");
        assert_eq!(
            key("B code redemption + id_token (412 codes)"),
            "B code redemption + id_token"
        );
        assert_eq!(
            key("A client_credentials ES256"),
            "A client_credentials ES256"
        );
    }
}
