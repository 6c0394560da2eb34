//! The multi-node mode (issue 32): the participants of one room and of many rooms spread
//! round-robin over cocreate nodes that share a Redis Cluster (3 masters on loopback, started
//! here), against one node on the same cluster; then three nodes of which one is killed
//! mid-way, its participants reconnecting to the others. Every run must converge, and after
//! the kill a fresh node must find every update in the cluster.
//!
//! CI runs it small (it proves the harness); `COCREATE_MULTI_NODE_FULL=1` runs the scenarios at
//! their own sizes, for the table in load-tests/README.md ("Several nodes"):
//! `cargo build --release -p cocreate-server && COCREATE_MULTI_NODE_FULL=1 cargo test --release
//! -p cocreate-load --test load multi_node -- --nocapture` (`COCREATE_MULTI_NODE_SCENARIOS=
//! workshops,max-rate` for some of them).

use std::fmt::Write as _;
use std::time::Duration;

use cocreate_load::participant::Target;
use cocreate_load::procstat::{Usage, Watched};
use cocreate_load::run::{run_with_fault, Options, Plan};
use cocreate_load::scenario::{Overrides, Scenario, ScenarioResult};
use cocreate_load::wire::Protocol;
use cocreate_testkit::cluster::Cluster;

use crate::faults::processes::{self, Store};
use crate::faults::{load_built_up, lost_from};
use crate::server::{Backend, Server};

/// Nodes in the multi-node runs.
const NODES: usize = 3;

/// `count` cocreate nodes on the cluster, `n1`, `n2`…
fn nodes(store: &Store, count: usize) -> Vec<Server> {
    let Store::Cluster(cluster) = store else {
        unreachable!("a cluster store")
    };
    let url = cluster.url();
    (1..=count)
        .map(|n| {
            let name = format!("n{n}");
            let backend = Backend::Redis(&url);
            let extra = ["--node-id", name.as_str()];
            tokio::task::block_in_place(|| Server::start(Some(backend), "127.0.0.1:0", &extra))
        })
        .collect()
}

/// The generator's options for `nodes`: participants spread round-robin, with cocreate's saved
/// messages; the server's CPU and memory are every node's and the cluster's together.
fn options(nodes: &[Server], redis: &[u32]) -> Options {
    let urls: Vec<String> = nodes
        .iter()
        .map(|n| format!("{}?cocreate=1", n.url))
        .collect();
    Options {
        target: Target {
            url: urls.join(","),
            protocol: Protocol::YWebsocket,
        },
        server_pids: nodes
            .iter()
            .map(|n| n.child.id())
            .chain(redis.iter().copied())
            .collect(),
        drain_timeout: Duration::from_secs(60),
        progress: false,
        diverge_one: false,
        create_url: None,
    }
}

/// A process's peak resident memory over its life (`VmHWM`), in MiB.
fn peak_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

/// CPU (cores) of each of `pids` over a window.
struct PerProcess(Vec<Usage>);

impl PerProcess {
    fn start(pids: &[u32]) -> Self {
        PerProcess(
            pids.iter()
                .map(|p| Usage::start(vec![Watched::pid(*p)]))
                .collect(),
        )
    }

    fn cores(&mut self) -> Vec<f64> {
        self.0.iter_mut().map(|u| u.report().cores).collect()
    }
}

fn list(values: &[f64], digits: usize) -> String {
    let shown: Vec<String> = values.iter().map(|v| format!("{v:.digits$}")).collect();
    shown.join(" / ")
}

/// The scenarios' sizes: their own with `COCREATE_MULTI_NODE_FULL`, else a few participants.
fn overrides(scenario: Scenario) -> Overrides {
    if std::env::var_os("COCREATE_MULTI_NODE_FULL").is_some() {
        return Overrides::default();
    }
    let small = Overrides {
        duration: Some(3.0),
        ..Overrides::default()
    };
    match scenario {
        Scenario::Plenary => Overrides {
            editors: Some(3),
            viewers: Some(12),
            ..small
        },
        Scenario::MaxRate => Overrides {
            viewers: Some(6),
            full_viewers: Some(2),
            duration: Some(1.0),
            ..small
        },
        _ => Overrides {
            rooms: Some(4),
            editors: Some(3),
            viewers: Some(2),
            ..small
        },
    }
}

/// The scenarios compared: workshops and plenary, and max-rate at full size;
/// `COCREATE_MULTI_NODE_SCENARIOS=workshops,plenary` names them.
fn scenarios() -> Vec<Scenario> {
    if let Ok(names) = std::env::var("COCREATE_MULTI_NODE_SCENARIOS") {
        return names
            .split(',')
            .map(|name| clap::ValueEnum::from_str(name, true).expect("a scenario name"))
            .collect();
    }
    let mut scenarios = vec![Scenario::Workshops, Scenario::Plenary];
    if std::env::var_os("COCREATE_MULTI_NODE_FULL").is_some() {
        scenarios.push(Scenario::MaxRate);
    }
    scenarios
}

/// One row of the comparison: a scenario on `count` nodes.
async fn run_on(store: &Store, redis: &[u32], scenario: Scenario, count: usize) -> String {
    let nodes = nodes(store, count);
    let pids: Vec<u32> = nodes.iter().map(|n| n.child.id()).collect();
    let mut cpu = PerProcess::start(&pids);
    let mut redis_cpu = PerProcess::start(redis);
    let label = format!("{count} node{}", if count > 1 { "s" } else { "" });
    let result: ScenarioResult = scenario
        .run(&label, &overrides(scenario), &options(&nodes, redis))
        .await;
    let (node_cores, redis_cores) = (cpu.cores(), redis_cpu.cores());
    let peaks: Vec<f64> = pids.iter().map(|p| peak_mib(*p)).collect();
    for node in &nodes {
        let panics = processes::panics(node);
        assert!(panics.is_empty(), "{label}: a node panicked: {panics:?}");
    }
    // Max-rate raises the rate past what the machine sustains: its last steps may not drain.
    assert!(
        result.converged || scenario == Scenario::MaxRate,
        "{label}, {scenario:?}: replicas differ: {result:?}"
    );
    let last = &result.steps.last().expect("a step").result;
    format!(
        "| {scenario:?} | {label} | {} | {:.1} | {:.1} | {:.0} | {} | {} | {:.2} | {} | {} |",
        last.participants,
        last.latency.p50_ms,
        last.latency.p99_ms,
        last.deliveries_per_s,
        list(&node_cores, 2),
        list(&peaks, 0),
        redis_cores.iter().sum::<f64>(),
        result.headline,
        if result.converged { "yes" } else { "**NO**" },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_spread_over_three_nodes_on_a_redis_cluster_converge_and_survive_a_node_killed() {
    let store = Store::Cluster(Cluster::start_plain(3));
    let Store::Cluster(cluster) = &store else {
        unreachable!()
    };
    let redis: Vec<u32> = cluster.nodes().filter_map(|n| n.pid()).collect();
    let mut table = String::from(
        "| scenario | nodes | participants | p50 ms | p99 ms | deliveries/s | cores per node | peak MiB per node | Redis cores (3 masters) | headline | converged |\n|---|---|---:|---:|---:|---:|---|---|---:|---|---|\n",
    );
    for scenario in scenarios() {
        for count in [1, NODES] {
            let row = run_on(&store, &redis, scenario, count).await;
            eprintln!("multi-node figures: {row}");
            writeln!(table, "{row}").unwrap();
        }
    }

    // Three nodes, one killed with SIGKILL mid-way: its participants reconnect to the others.
    let mut nodes = nodes(&store, NODES);
    let options = options(&nodes, &redis);
    let plan = Plan {
        duration: Duration::from_secs(4),
        edit_rate: 10.0,
        ..Scenario::Workshops.plan(&overrides(Scenario::Workshops))
    };
    let killed = nodes.last_mut().expect("three nodes");
    let (run, ()) = run_with_fault(&plan, &options, |under| async move {
        load_built_up(&under).await;
        processes::kill(killed);
    })
    .await;
    assert!(run.disconnects > 0, "the kill dropped nobody: {run:?}");
    assert!(
        run.converged(),
        "replicas differ after a node was killed: {run:?}"
    );
    let lost = lost_from(&store, &run.final_clocks).await;
    assert!(
        lost.is_empty(),
        "updates missing from the cluster: {lost:?}"
    );
    let row = format!(
        "3 nodes, one killed mid-way: {} participants, {} updates, {} dropped and reconnected, resync p99 {:.0} ms, updates lost {}",
        run.participants,
        run.updates_sent,
        run.disconnects,
        run.resync.p99_ms,
        lost.len()
    );
    eprintln!("multi-node figures: {row}");
    eprintln!("{table}\n{row}");
}
