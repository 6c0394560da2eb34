//! Results as Markdown: one scenario's steps, and the comparison of several servers that
//! `compare.sh` prints (cocreate's headline against each peer's, as a ratio).

use std::fmt::Write;

use serde::Deserialize;

use crate::metrics::Percentiles;
use crate::procstat::UsageReport;
use crate::scenario::ScenarioResult;

/// One scenario on one server, a row per step.
pub fn steps_table(result: &ScenarioResult) -> String {
    let mut out = String::new();
    out.push_str("| server | scenario | step | participants | p50 ms | p99 ms | p99.9 ms | max ms | deliveries/s | sync p99 ms | join p99 ms | resync p99 ms | errors | disconnects | server cores | server peak MiB | generator cores | converged |\n");
    out.push_str(
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for step in &result.steps {
        let r = &step.result;
        let (cores, rss) = r
            .server
            .as_ref()
            .map(|s| (format!("{:.2}", s.cores), format!("{:.0}", s.peak_rss_mib)))
            .unwrap_or(("–".into(), "–".into()));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {cores} | {rss} | {:.2} | {} |",
            result.server,
            scenario_name(result),
            step.label,
            r.participants,
            ms(&r.latency, |p| p.p50_ms),
            ms(&r.latency, |p| p.p99_ms),
            ms(&r.latency, |p| p.p999_ms),
            ms(&r.latency, |p| p.max_ms),
            r.deliveries_per_s,
            ms(&r.sync, |p| p.p99_ms),
            ms(&r.join_sync, |p| p.p99_ms),
            ms(&r.resync, |p| p.p99_ms),
            r.errors,
            r.disconnects,
            r.generator.cores,
            if r.converged() {
                "yes".to_owned()
            } else {
                format!("**NO** ({} incomplete, {} rooms diverged)", r.incomplete, r.diverged_rooms)
            },
        );
    }
    out
}

/// What the comparison needs from a saved `ScenarioResult` (its JSON file).
#[derive(Debug, Deserialize)]
pub struct Saved {
    pub scenario: String,
    pub server: String,
    pub headline: String,
    pub headline_value: f64,
    pub converged: bool,
    pub steps: Vec<SavedStep>,
}

#[derive(Debug, Deserialize)]
pub struct SavedStep {
    pub result: SavedUsage,
}

#[derive(Debug, Deserialize)]
pub struct SavedUsage {
    pub server: Option<UsageReport>,
    pub generator: UsageReport,
}

impl Saved {
    /// The highest CPU use and peak memory of the server over the scenario's steps.
    fn server_peak(&self) -> (f64, f64) {
        self.steps
            .iter()
            .filter_map(|s| s.result.server.as_ref())
            .fold((0.0, 0.0), |(c, m), s| {
                (f64::max(c, s.cores), f64::max(m, s.peak_rss_mib))
            })
    }

    fn generator_cores(&self) -> f64 {
        self.steps
            .iter()
            .map(|s| s.result.generator.cores)
            .fold(0.0, f64::max)
    }
}

/// Every server's headline per scenario, with the reference server's ratio to each other one.
///
/// `reference` names the server the ratios are taken for (e.g. `cocreate-embedded`). Where
/// lower is better (latency, join time) a ratio below 1 favours the reference; where higher
/// is better (rates), above 1. Peak memory is compared the same way in its own column.
pub fn comparison_table(results: &[Saved], reference: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| scenario | server | headline | converged | server cores (max) | server peak MiB | generator cores (max) | {reference} / server (headline) | {reference} / server (peak MiB) |");
    out.push_str("|---|---|---|---|---:|---:|---:|---:|---:|\n");
    let mut scenarios: Vec<&str> = Vec::new();
    for r in results {
        if !scenarios.contains(&r.scenario.as_str()) {
            scenarios.push(&r.scenario);
        }
    }
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.2}", a / b)
        } else {
            "–".into()
        }
    };
    for scenario in scenarios {
        let rows: Vec<&Saved> = results.iter().filter(|r| r.scenario == scenario).collect();
        let ours = rows.iter().find(|r| r.server == reference);
        for r in &rows {
            let (cores, rss) = r.server_peak();
            let (headline_ratio, rss_ratio) = match ours {
                Some(o) if o.server != r.server => (
                    ratio(o.headline_value, r.headline_value),
                    ratio(o.server_peak().1, rss),
                ),
                _ => ("–".into(), "–".into()),
            };
            let _ = writeln!(
                out,
                "| {scenario} | {} | {} | {} | {cores:.2} | {rss:.0} | {:.2} | {headline_ratio} | {rss_ratio} |",
                r.server,
                r.headline,
                if r.converged { "yes" } else { "**NO**" },
                r.generator_cores(),
            );
        }
    }
    out
}

fn scenario_name(r: &ScenarioResult) -> String {
    serde_json::to_value(r.scenario)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn ms(p: &Percentiles, pick: impl Fn(&Percentiles) -> f64) -> String {
    if p.count == 0 {
        "–".into()
    } else {
        format!("{:.1}", pick(p))
    }
}
