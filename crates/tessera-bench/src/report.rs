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
    "| scenario | req/s | floor | ratio | target | p50 ms | p99 ms | RSS MB | failed |";
pub const SEPARATOR: &str = "|---|---|---|---|---|---|---|---|---|";

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
            "| {} | {:.0} | {} | {} | {} | {:.2} | {:.2} | {} | {} |",
            self.scenario,
            outcome.per_second(),
            floor,
            ratio,
            self.target,
            outcome.p50_ms(),
            outcome.p99_ms(),
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

#[cfg(test)]
mod tests {
    use super::key;

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
