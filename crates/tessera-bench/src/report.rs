//! The report: one markdown row per scenario (a ratio to its floor), and the side-by-side table
//! of Tessera against the peer.

use crate::load::Outcome;

/// What one scenario measured.
pub struct Measured {
    pub outcome: Outcome,
    /// The server's resident memory half-way through, MB (none when no server was involved).
    pub rss: Option<f64>,
}

/// What a scenario is expected to reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// At least this fraction of the floor.
    Ratio(f64),
    /// At least this fraction of the floor on SQLite, the second on PostgreSQL.
    RatioByStore { sqlite: f64, postgres: f64 },
    /// A p99 latency of at most this many milliseconds.
    P99Ms(f64),
    /// At least this many times the peer's throughput in the same scenario (judged only when
    /// the peer ran).
    TimesPeer(f64),
    /// Below this fraction of the row's reference rate (its floor column): a rate that must
    /// stay under another, as audit rows inserted under the rows purged.
    RatioBelow(f64),
    /// A p99 of at most `times` the p99 of the same load without what the row adds.
    P99Within { baseline_ms: f64, times: f64 },
    /// A p50 latency at most `limit_ms` above `baseline_ms`, the same load's without what the
    /// row adds.
    P50AddedMs { baseline_ms: f64, limit_ms: f64 },
    /// At least this many requests (users, for an import) a second, with the server's peak
    /// memory at most this many MB.
    RateWithin { per_second: f64, rss_mb: f64 },
    /// Nothing to judge (the peer's own rows, a baseline).
    None,
}

/// Whether a row met its goal: `None` when there is nothing to judge it against.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub met: bool,
    /// What was measured against the goal, and by how much it fell short.
    pub detail: String,
}

impl Goal {
    pub fn describe(&self, postgres: bool) -> String {
        match self {
            Goal::Ratio(r) => format!("≥ {r:.2}"),
            Goal::RatioByStore {
                sqlite,
                postgres: pg,
            } => match postgres {
                false => format!("≥ {sqlite:.2} (SQLite)"),
                true => format!("≥ {pg:.2} (PostgreSQL)"),
            },
            Goal::P99Ms(ms) => format!("p99 ≤ {ms} ms"),
            Goal::TimesPeer(times) => format!("≥ {times}× peer"),
            Goal::RatioBelow(r) => format!("< {r:.2}"),
            Goal::P99Within { baseline_ms, times } => {
                format!("p99 ≤ {times}× {baseline_ms:.2} ms")
            }
            Goal::P50AddedMs {
                baseline_ms,
                limit_ms,
            } => format!("p50 ≤ {baseline_ms:.2} + {limit_ms} ms"),
            Goal::RateWithin { per_second, rss_mb } => {
                format!("≥ {per_second:.0}/s, RSS ≤ {rss_mb:.0} MB")
            }
            Goal::None => "–".to_owned(),
        }
    }

    fn judge(&self, row: &Row, peer: Option<&Row>, postgres: bool) -> Option<Verdict> {
        let at_least = |measured: f64, wanted: f64, what: &str| Verdict {
            met: measured >= wanted,
            detail: if measured >= wanted {
                format!("{measured:.2}{what}")
            } else {
                format!(
                    "{measured:.2}{what}, short by {:.0} %",
                    (1.0 - measured / wanted) * 100.0
                )
            },
        };
        match *self {
            Goal::Ratio(wanted) => row.ratio().map(|r| at_least(r, wanted, "")),
            Goal::RatioByStore {
                sqlite,
                postgres: pg,
            } => {
                let wanted = if postgres { pg } else { sqlite };
                row.ratio().map(|r| at_least(r, wanted, ""))
            }
            Goal::P99Ms(limit) => {
                let p99 = row.outcome().p99_ms();
                Some(Verdict {
                    met: p99 <= limit,
                    detail: format!("p99 {p99:.2} ms"),
                })
            }
            Goal::TimesPeer(wanted) => {
                let theirs = peer?.outcome().per_second();
                (theirs > 0.0).then(|| at_least(row.outcome().per_second() / theirs, wanted, "×"))
            }
            Goal::RatioBelow(limit) => row.ratio().map(|r| Verdict {
                met: r < limit,
                detail: if r < limit {
                    format!("{r:.2}")
                } else {
                    format!("{r:.2}, over by {:.0} %", (r / limit - 1.0) * 100.0)
                },
            }),
            Goal::P99Within { baseline_ms, times } => {
                let p99 = row.outcome().p99_ms();
                let ratio = p99 / baseline_ms.max(f64::MIN_POSITIVE);
                Some(Verdict {
                    met: ratio <= times,
                    detail: format!("p99 {p99:.2} ms, {ratio:.2}×"),
                })
            }
            Goal::P50AddedMs {
                baseline_ms,
                limit_ms,
            } => {
                let added = row.outcome().p50_ms() - baseline_ms;
                Some(Verdict {
                    met: added <= limit_ms,
                    detail: format!("adds {added:.2} ms at p50"),
                })
            }
            Goal::RateWithin { per_second, rss_mb } => {
                let rate = row.outcome().per_second();
                let rss = row.measured.rss.unwrap_or(f64::INFINITY);
                Some(Verdict {
                    met: rate >= per_second && rss <= rss_mb,
                    detail: format!("{rate:.0}/s, {rss:.0} MB"),
                })
            }
            Goal::None => None,
        }
    }
}

/// One line of the report.
pub struct Row {
    pub scenario: String,
    pub measured: Measured,
    /// Units of work per request (signatures, hashes) and the floor they are measured against.
    pub floor: Option<(f64, f64, &'static str)>,
    pub goal: Goal,
}

/// The columns of [`Row::markdown`].
pub const HEADER: &str =
    "| scenario | req/s | floor | ratio | target | met? | p50 ms | p99 ms | p99.9 ms | RSS MB | failed |";
pub const SEPARATOR: &str = "|---|---|---|---|---|---|---|---|---|---|---|";

/// What the rows are judged against: the store they ran on and the peer's rows, if it ran.
#[derive(Clone, Copy, Default)]
pub struct Judging<'a> {
    pub postgres: bool,
    pub peer: Option<&'a [Row]>,
}

impl Judging<'_> {
    pub fn verdict(&self, row: &Row) -> Option<Verdict> {
        let peer = self
            .peer
            .and_then(|rows| rows.iter().find(|r| key(&r.scenario) == key(&row.scenario)));
        row.goal.judge(row, peer, self.postgres)
    }
}

fn mb(rss: Option<f64>) -> String {
    rss.map_or_else(|| "–".into(), |mb| format!("{mb:.0}"))
}

impl Row {
    pub fn outcome(&self) -> &Outcome {
        &self.measured.outcome
    }

    pub fn ratio(&self) -> Option<f64> {
        self.floor
            .map(|(per_request, floor, _)| self.outcome().per_second() * per_request / floor)
    }

    pub fn markdown(&self, judging: Judging<'_>) -> String {
        let (ratio, floor) = match (self.ratio(), self.floor) {
            (Some(r), Some((_, f, name))) => (format!("{r:.2}"), format!("{f:.0} {name}")),
            _ => ("–".into(), "–".into()),
        };
        let met = match judging.verdict(self) {
            Some(Verdict { met: true, .. }) => "**yes**".to_owned(),
            Some(Verdict { met: false, detail }) => format!("no ({detail})"),
            None => "–".to_owned(),
        };
        let outcome = self.outcome();
        format!(
            "| {} | {:.0} | {} | {} | {} | {met} | {:.2} | {:.2} | {:.2} | {} | {} |",
            self.scenario,
            outcome.per_second(),
            floor,
            ratio,
            self.goal.describe(judging.postgres),
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

/// The machine's CPUs, not this process's (which `taskset` may have narrowed).
pub fn machine_cores() -> usize {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count()
}

/// The machine the run is on: CPU model, cores, memory and kernel, from /proc.
pub fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = machine_cores();
    let memory_gib = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = read("/proc/sys/kernel/osrelease");
    format!(
        "{model}, {cores} cores, {memory_gib:.0} GiB, Linux {}",
        kernel.trim()
    )
}

/// The lines of a markdown file that enclose one store's report (`sqlite`, `postgres`).
pub struct Markers {
    prefix: String,
    pub begin: String,
    pub end: String,
}

impl Markers {
    pub fn for_section(section: &str) -> Markers {
        let prefix = format!("<!-- tessera-bench:begin {section} ");
        Markers {
            begin: format!(
                "{prefix}(written by tessera-bench --write-docs; do not edit by hand) -->"
            ),
            prefix,
            end: format!("<!-- tessera-bench:end {section} -->"),
        }
    }

    /// `text` with everything between its begin line (a line that starts with the marker:
    /// prose may quote one) and the end marker after it replaced by `lines`.
    pub fn replace(&self, text: &str, lines: &[String]) -> Result<String, String> {
        let begin = text
            .match_indices(&self.prefix)
            .map(|(at, _)| at)
            .find(|&at| at == 0 || text[..at].ends_with('\n'))
            .ok_or_else(|| format!("no line starting with `{}`", self.prefix.trim_end()))?;
        let after_begin = text[begin..]
            .find('\n')
            .map(|n| begin + n + 1)
            .ok_or("nothing after the begin marker")?;
        let end = text[after_begin..]
            .find(&self.end)
            .map(|n| after_begin + n)
            .ok_or_else(|| format!("no `{}` after the begin marker", self.end))?;
        let mut out = String::with_capacity(text.len());
        out.push_str(&text[..begin]);
        out.push_str(&self.begin);
        out.push_str("\n\n");
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&text[end..]);
        Ok(out)
    }

    /// Writes `lines` into the markdown file at `path`, between these markers.
    pub fn write(&self, path: &std::path::Path, lines: &[String]) -> Result<(), String> {
        let error = |e: String| format!("{}: {e}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let text = self.replace(&text, lines).map_err(error)?;
        std::fs::write(path, text).map_err(|e| error(e.to_string()))
    }
}

/// Prints the closing line CI reads, `LABEL: N passed, N failed`, and fails with every failure
/// of the `total` checks, each with why.
pub fn conclude(label: &str, total: usize, failed: &[String]) -> Result<(), String> {
    println!(
        "{label}: {} passed, {} failed",
        total - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {total} failed:\n  {}",
            failed.len(),
            failed.join("\n  ")
        ))
    }
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

    use super::{failures, key, Goal, Judging, Markers, Measured, Row};
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
                    ..Outcome::empty().unwrap()
                },
                rss: None,
            },
            floor: None,
            goal: Goal::Ratio(0.85),
        }
    }

    fn with_rate(per_second: u64, floor: f64, goal: Goal) -> Row {
        let mut row = row(per_second, 0, None);
        row.floor = Some((1.0, floor, "sign/s"));
        row.goal = goal;
        row
    }

    #[test]
    fn a_ratio_below_its_goal_is_judged_short_by_how_much() {
        let judging = Judging::default();
        let short = judging
            .verdict(&with_rate(700, 1000.0, Goal::Ratio(0.85)))
            .unwrap();
        assert!(!short.met);
        assert_eq!(short.detail, "0.70, short by 18 %");
        assert!(
            judging
                .verdict(&with_rate(900, 1000.0, Goal::Ratio(0.85)))
                .unwrap()
                .met
        );
        let by_store = Goal::RatioByStore {
            sqlite: 0.75,
            postgres: 0.6,
        };
        let postgres = Judging {
            postgres: true,
            peer: None,
        };
        assert!(
            postgres
                .verdict(&with_rate(650, 1000.0, by_store))
                .unwrap()
                .met
        );
        assert!(
            !judging
                .verdict(&with_rate(650, 1000.0, by_store))
                .unwrap()
                .met
        );
    }

    #[test]
    fn the_report_replaces_only_what_lies_between_its_own_markers() {
        let (sqlite, postgres) = (
            Markers::for_section("sqlite"),
            Markers::for_section("postgres"),
        );
        let prose =
            "# Benchmarks\nwritten between `<!-- tessera-bench:begin sqlite -->` and its end\n";
        let (b, e) = (&sqlite.begin, &sqlite.end);
        let (pb, pe) = (&postgres.begin, &postgres.end);
        let text = format!("{prose}{b}\nold\n{e}\nmiddle\n{pb}\nold pg\n{pe}\n");
        let out = sqlite.replace(&text, &["| new |".to_owned()]).unwrap();
        assert_eq!(
            out,
            format!("{prose}{b}\n\n| new |\n\n{e}\nmiddle\n{pb}\nold pg\n{pe}\n")
        );
        assert_eq!(sqlite.replace(&out, &["| new |".to_owned()]).unwrap(), out);
        let both = postgres.replace(&out, &["| pg |".to_owned()]).unwrap();
        assert!(both.contains("| new |") && both.contains("| pg |") && !both.contains("old"));
        assert!(sqlite.replace("no markers", &[]).is_err());
    }

    #[test]
    fn a_goal_against_the_peer_is_judged_only_when_the_peer_ran() {
        let ours = with_rate(5000, 1.0, Goal::TimesPeer(5.0));
        assert_eq!(Judging::default().verdict(&ours), None);
        let peer = [with_rate(1250, 1.0, Goal::None)];
        let judging = Judging {
            postgres: false,
            peer: Some(&peer),
        };
        let verdict = judging.verdict(&ours).unwrap();
        assert!(!verdict.met, "{verdict:?}");
        assert_eq!(verdict.detail, "4.00×, short by 20 %");
    }

    #[test]
    fn a_rate_that_must_stay_below_its_reference_fails_at_or_above_it() {
        let judging = Judging::default();
        let below = judging
            .verdict(&with_rate(900, 1000.0, Goal::RatioBelow(1.0)))
            .unwrap();
        assert!(below.met, "{below:?}");
        let above = judging
            .verdict(&with_rate(1500, 1000.0, Goal::RatioBelow(1.0)))
            .unwrap();
        assert!(!above.met);
        assert_eq!(above.detail, "1.50, over by 50 %");
    }

    #[test]
    fn a_p99_is_judged_against_its_baseline_times_the_allowance() {
        let mut row = row(100, 0, None);
        for micros in [1_000, 2_000, 3_000] {
            row.measured.outcome.latency.record(micros).unwrap();
        }
        let p99 = row.outcome().p99_ms();
        let judging = Judging::default();
        row.goal = Goal::P99Within {
            baseline_ms: p99 / 1.1,
            times: 1.2,
        };
        assert!(judging.verdict(&row).unwrap().met);
        row.goal = Goal::P99Within {
            baseline_ms: p99 / 1.3,
            times: 1.2,
        };
        let verdict = judging.verdict(&row).unwrap();
        assert!(!verdict.met);
        assert!(verdict.detail.ends_with("1.30×"), "{verdict:?}");
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
