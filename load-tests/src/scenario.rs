//! The named scenarios: what each one runs (one or more plans) and the number it is judged by.
//! Defaults finish in minutes on a 2-core machine; every size can be changed on the command line.

use std::time::Duration;

use serde::Serialize;

use crate::participant::Preload;
use crate::run::{self, Options, Plan, RunResult};

/// The scenarios, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Many small rooms: 200 × 8 participants, 1 edit/s each, cursors at 5 Hz.
    Workshops,
    /// One room of 500: 10 editing, everyone watching, cursors at 1 Hz.
    Plenary,
    /// Joining a room whose document holds 50,000 updates, against joining a 1-update room.
    LateJoin,
    /// 100 × 8 participants editing; half-way every connection drops and reconnects at once.
    ReconnectStorm,
    /// One writer, 100 viewers: the writer's rate doubles until p99 passes 100 ms, then closes in.
    MaxRate,
    /// 2,000 connections (100 rooms × 20), opened 200 at a time (y-redis/yhub: connection rate).
    ConnectionRate,
    /// One writer at 10 edits/s, 1,500 viewers in one room (y-redis/yhub).
    OneWriter1500,
    /// 100 participants in one room moving cursors at 5 Hz, one editing (y-redis/yhub: presence).
    Presence100,
    /// 500 participants in one room moving cursors at 1 Hz, one editing (y-redis/yhub: presence).
    Presence500,
    /// 150 clients joining a 4 MB board at once (y-redis/yhub).
    Join4mb,
}

/// Command-line changes to a scenario's plans.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Overrides {
    /// Rooms.
    #[arg(long)]
    pub rooms: Option<usize>,
    /// Editing participants per room.
    #[arg(long)]
    pub editors: Option<usize>,
    /// Watching participants per room.
    #[arg(long)]
    pub viewers: Option<usize>,
    /// Edits per second per editor (max-rate: the first step's rate).
    #[arg(long)]
    pub edit_rate: Option<f64>,
    /// Cursor updates per second per participant.
    #[arg(long)]
    pub cursor_rate: Option<f64>,
    /// Seconds of editing (max-rate: per step).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Late joiners (late-join, join-4mb).
    #[arg(long)]
    pub joiners: Option<usize>,
    /// Updates in the late-join room, or bytes of the join-4mb board.
    #[arg(long)]
    pub preload: Option<usize>,
    /// Connections opened at once, at most.
    #[arg(long)]
    pub join_concurrency: Option<usize>,
    /// Viewers per room that keep a replica; the rest tally the clocks they receive
    /// (max-rate: 10 of its 100; elsewhere every viewer keeps one).
    #[arg(long)]
    pub full_viewers: Option<usize>,
}

/// The latency a max-rate step may reach and still count as sustained.
const MAX_RATE_P99_MS: f64 = 100.0;
/// Steps of max-rate, at most (the rate doubles each time, then closes in).
const MAX_RATE_STEPS: usize = 8;
/// Max-rate stops closing in once the gap between the rate sustained and the rate that was not
/// is this share of the latter.
const MAX_RATE_PRECISION: f64 = 0.15;
/// A max-rate step counts only if the writer actually sent this share of the asked rate (else
/// the generator, not the server, was the limit).
const MAX_RATE_MIN_SENT_SHARE: f64 = 0.9;

/// One plan of a scenario and what it measured.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub label: String,
    pub plan: Plan,
    pub result: RunResult,
}

/// A scenario's result: its steps and the number it is judged by.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub scenario: Scenario,
    pub server: String,
    pub steps: Vec<Step>,
    /// The scenario's number, e.g. "p99 12.3 ms", "50k/1 join time 2.1×".
    pub headline: String,
    /// The value behind the headline, for ratios between servers.
    pub headline_value: f64,
    /// Whether a larger headline value is better.
    pub higher_is_better: bool,
    pub converged: bool,
}

impl Scenario {
    /// The scenario's plan with its defaults, then the overrides.
    pub fn plan(self, o: &Overrides) -> Plan {
        let base = Plan {
            rooms: 1,
            editors: 0,
            viewers: 0,
            edit_rate: 1.0,
            cursor_rate: 0.0,
            duration: Duration::from_secs(30),
            preload: None,
            joiners: 0,
            joiners_at_once: false,
            storm: false,
            join_concurrency: 200,
            full_viewers: None,
        };
        let plan = match self {
            Scenario::Workshops => Plan {
                rooms: 200,
                editors: 8,
                cursor_rate: 5.0,
                ..base
            },
            Scenario::Plenary => Plan {
                editors: 10,
                viewers: 490,
                cursor_rate: 1.0,
                ..base
            },
            Scenario::LateJoin => Plan {
                preload: Some(Preload::Updates(50_000)),
                joiners: 10,
                duration: Duration::ZERO,
                ..base
            },
            Scenario::ReconnectStorm => Plan {
                rooms: 100,
                editors: 8,
                cursor_rate: 2.0,
                duration: Duration::from_secs(20),
                storm: true,
                ..base
            },
            Scenario::MaxRate => Plan {
                editors: 1,
                viewers: 100,
                full_viewers: Some(10),
                edit_rate: 500.0,
                duration: Duration::from_secs(8),
                ..base
            },
            Scenario::ConnectionRate => Plan {
                rooms: 100,
                viewers: 20,
                duration: Duration::ZERO,
                ..base
            },
            Scenario::OneWriter1500 => Plan {
                editors: 1,
                viewers: 1500,
                edit_rate: 10.0,
                duration: Duration::from_secs(20),
                ..base
            },
            Scenario::Presence100 => Plan {
                editors: 1,
                viewers: 99,
                edit_rate: 5.0,
                cursor_rate: 5.0,
                duration: Duration::from_secs(20),
                ..base
            },
            Scenario::Presence500 => Plan {
                editors: 1,
                viewers: 499,
                edit_rate: 5.0,
                cursor_rate: 1.0,
                duration: Duration::from_secs(20),
                ..base
            },
            Scenario::Join4mb => Plan {
                preload: Some(Preload::Bytes(4 << 20)),
                joiners: 150,
                joiners_at_once: true,
                join_concurrency: 150,
                duration: Duration::ZERO,
                ..base
            },
        };
        Plan {
            rooms: o.rooms.unwrap_or(plan.rooms),
            editors: o.editors.unwrap_or(plan.editors),
            viewers: o.viewers.unwrap_or(plan.viewers),
            edit_rate: o.edit_rate.unwrap_or(plan.edit_rate),
            cursor_rate: o.cursor_rate.unwrap_or(plan.cursor_rate),
            duration: o
                .duration
                .map(Duration::from_secs_f64)
                .unwrap_or(plan.duration),
            joiners: o.joiners.unwrap_or(plan.joiners),
            join_concurrency: o.join_concurrency.unwrap_or(plan.join_concurrency),
            full_viewers: o.full_viewers.or(plan.full_viewers),
            preload: match (plan.preload, o.preload) {
                (Some(Preload::Updates(_)), Some(n)) => Some(Preload::Updates(n)),
                (Some(Preload::Bytes(_)), Some(n)) => Some(Preload::Bytes(n)),
                (preload, _) => preload,
            },
            ..plan
        }
    }

    /// Runs the scenario against a server.
    pub async fn run(
        self,
        server: &str,
        overrides: &Overrides,
        options: &Options,
    ) -> ScenarioResult {
        let plan = self.plan(overrides);
        let mut steps = Vec::new();
        let mut step = |label: String, plan: Plan, result: RunResult| {
            steps.push(Step {
                label,
                plan,
                result,
            });
        };
        let (headline, value, higher_is_better) = match self {
            Scenario::LateJoin => {
                let small = Plan {
                    preload: Some(Preload::Updates(1)),
                    ..plan.clone()
                };
                let small_result = run::run(&small, options).await;
                let large_result = run::run(&plan, options).await;
                let ratio = large_result.join_sync.p50_ms / small_result.join_sync.p50_ms.max(1e-3);
                let received =
                    large_result.join_received.p50_ms / small_result.join_received.p50_ms.max(1e-3);
                let headline = if large_result.join_sync.count == 0 {
                    format!(
                        "no late joiner held the room ({})",
                        preload_label(plan.preload)
                    )
                } else {
                    format!(
                        "join p50 {:.1} ms vs {:.1} ms: {ratio:.1}× (state received {:.1} ms vs {:.1} ms: {received:.1}×)",
                        large_result.join_sync.p50_ms,
                        small_result.join_sync.p50_ms,
                        large_result.join_received.p50_ms,
                        small_result.join_received.p50_ms
                    )
                };
                step("1 update".into(), small, small_result);
                step(preload_label(plan.preload), plan, large_result.clone());
                (headline, large_result.join_sync.p50_ms, false)
            }
            Scenario::MaxRate => {
                let mut best: Option<f64> = None;
                // Doubling until a step fails, then halving the gap between the last rate
                // sustained and the first that was not.
                let (mut held, mut failed) = (None::<f64>, None::<f64>);
                for _ in 0..MAX_RATE_STEPS {
                    let rate = match (held, failed) {
                        (None, None) => plan.edit_rate,
                        (Some(held), None) => held * 2.0,
                        (held, Some(failed)) => (held.unwrap_or(0.0) + failed) / 2.0,
                    };
                    let p = Plan {
                        edit_rate: rate,
                        ..plan.clone()
                    };
                    let r = run::run(&p, options).await;
                    let sustained = r.converged()
                        && r.latency.p99_ms <= MAX_RATE_P99_MS
                        && r.updates_sent_per_s >= rate * MAX_RATE_MIN_SENT_SHARE;
                    if sustained {
                        best = Some(best.unwrap_or(0.0).max(r.deliveries_per_s));
                        held = Some(rate);
                    } else {
                        failed = Some(rate);
                    }
                    step(format!("{rate:.0} edits/s"), p, r);
                    if failed.is_some_and(|f| f - held.unwrap_or(0.0) <= f * MAX_RATE_PRECISION) {
                        break;
                    }
                }
                let best = best.unwrap_or(0.0);
                (
                    format!("{best:.0} deliveries/s at p99 ≤ {MAX_RATE_P99_MS} ms"),
                    best,
                    true,
                )
            }
            single => {
                let r = run::run(&plan, options).await;
                let (label, headline, value, higher_is_better) = single.figures(&plan, &r);
                step(label, plan, r);
                (headline, value, higher_is_better)
            }
        };
        let converged = steps.iter().all(|s| s.result.converged());
        ScenarioResult {
            scenario: self,
            server: server.to_owned(),
            steps,
            headline,
            headline_value: value,
            higher_is_better,
            converged,
        }
    }

    /// A one-run scenario's step label, headline, the value behind it and whether higher is
    /// better (late-join and max-rate run several steps and have their own).
    fn figures(self, plan: &Plan, r: &RunResult) -> (String, String, f64, bool) {
        match self {
            Scenario::ConnectionRate => (
                "connect".into(),
                format!(
                    "{:.0} joins/s, connect p99 {:.1} ms",
                    r.joins_per_s, r.connect.p99_ms
                ),
                r.joins_per_s,
                true,
            ),
            Scenario::Join4mb => (
                preload_label(plan.preload),
                format!("join p99 {:.0} ms", r.join_sync.p99_ms),
                r.join_sync.p99_ms,
                false,
            ),
            Scenario::ReconnectStorm => (
                "storm".into(),
                format!(
                    "resync p99 {:.0} ms, update p99 {:.1} ms",
                    r.resync.p99_ms, r.latency.p99_ms
                ),
                r.resync.p99_ms,
                false,
            ),
            _ => (
                "run".into(),
                format!(
                    "p99 {:.1} ms, {:.0} deliveries/s",
                    r.latency.p99_ms, r.deliveries_per_s
                ),
                r.latency.p99_ms,
                false,
            ),
        }
    }
}

fn preload_label(preload: Option<Preload>) -> String {
    match preload {
        Some(Preload::Updates(n)) => format!("{n} updates"),
        Some(Preload::Bytes(n)) => format!("{:.1} MB", n as f64 / (1 << 20) as f64),
        None => "empty".into(),
    }
}
