//! Smoke run of the load generator against the freshly built server: every scenario at a few
//! participants for a second or two. Checks the harness itself (updates are delivered and
//! timed, replicas converge, a deliberately divergent replica is caught), not performance.
//!
//! The server binary is `target/<profile>/cocreate` next to this test's own directory
//! (`cargo test --workspace` builds it, for the server's own integration tests), or
//! `COCREATE_BIN`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cocreate_load::participant::Target;
use cocreate_load::run::Options;
use cocreate_load::scenario::{Overrides, Scenario};
use cocreate_load::wire::Protocol;

/// The server under test, killed when dropped.
struct Server {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("COCREATE_BIN") {
        return bin.into();
    }
    // target/<profile>/deps/smoke-<hash> -> target/<profile>/cocreate
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("cocreate"))
        .expect("target directory");
    assert!(
        bin.exists(),
        "cocreate binary not found at {}: build it first (`cargo build -p cocreate-server`, or run \
         `cargo test --workspace`, which builds it) or set COCREATE_BIN",
        bin.display()
    );
    bin
}

/// Starts the server on an ephemeral port and waits for its `listening` line.
fn start_server() -> Server {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(server_binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--open-rooms",
            "--admin-key",
            "smoke",
            // Every simulated participant comes from 127.0.0.1 and sends faster than people.
            "--max-connections-per-ip",
            "1000000",
            "--max-messages-per-second",
            "1000000",
            "--max-bytes-per-second",
            "1099511627776",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .env_remove("COCREATE_REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cocreate");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("cocreate exited before listening")
            .expect("read cocreate output");
        if let Some(addr) = line
            .split_whitespace()
            .find_map(|field| field.strip_prefix("addr="))
            .filter(|_| line.contains("listening"))
        {
            break addr.to_owned();
        }
    };
    // Keep draining the log so that the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        url: format!("ws://{addr}/ws/{{room}}"),
        _data: data,
    }
}

fn options(server: &Server, diverge_one: bool) -> Options {
    Options {
        target: Target {
            url: server.url.clone(),
            protocol: Protocol::YWebsocket,
        },
        server_pids: vec![server.child.id()],
        drain_timeout: Duration::from_secs(20),
        progress: false,
        diverge_one,
        create_url: None,
    }
}

/// A few participants for a second: enough to exercise every path of a scenario.
fn tiny(scenario: Scenario) -> Overrides {
    let mut o = Overrides {
        duration: Some(1.0),
        join_concurrency: Some(20),
        ..Overrides::default()
    };
    match scenario {
        Scenario::LateJoin => {
            o.preload = Some(300);
            o.joiners = Some(2);
        }
        Scenario::Join4mb => {
            o.preload = Some(200_000);
            o.joiners = Some(5);
        }
        Scenario::MaxRate => {
            o.viewers = Some(3);
            o.edit_rate = Some(1_000_000.0); // one step: the generator cannot reach it
        }
        _ => {
            o.rooms = Some(2);
            o.editors = Some(2);
            o.viewers = Some(2);
            o.edit_rate = Some(10.0);
        }
    }
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workshops_converge_and_deliver() {
    let server = start_server();
    let result = Scenario::Workshops
        .run(
            "cocreate",
            &tiny(Scenario::Workshops),
            &options(&server, false),
        )
        .await;
    let run = &result.steps[0].result;
    assert!(result.converged, "replicas diverged: {run:?}");
    assert!(
        run.deliveries_per_s > 0.0,
        "no update was delivered: {run:?}"
    );
    assert!(run.latency.count > 0, "no delivery was timed: {run:?}");
    assert_eq!(run.errors, 0, "{run:?}");
    assert!(
        run.server.as_ref().is_some_and(|s| s.peak_rss_mib > 0.0),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_divergent_replica_fails_the_run() {
    let server = start_server();
    let result = Scenario::Workshops
        .run(
            "cocreate",
            &tiny(Scenario::Workshops),
            &options(&server, true),
        )
        .await;
    assert!(!result.converged, "the divergent replica went unnoticed");
    assert_eq!(result.steps[0].result.diverged_rooms, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_small() {
    let server = start_server();
    for scenario in [
        Scenario::Plenary,
        Scenario::LateJoin,
        Scenario::ReconnectStorm,
        Scenario::MaxRate,
        Scenario::ConnectionRate,
        Scenario::OneWriter1500,
        Scenario::Presence100,
        Scenario::Presence500,
        Scenario::Join4mb,
    ] {
        let result = scenario
            .run("cocreate", &tiny(scenario), &options(&server, false))
            .await;
        let steps: Vec<_> = result.steps.iter().map(|s| &s.result).collect();
        match scenario {
            // One step the generator cannot sustain: it stops there, but must still converge.
            Scenario::MaxRate => assert_eq!(steps.len(), 1, "{steps:?}"),
            Scenario::LateJoin | Scenario::Join4mb => {
                assert!(
                    steps.iter().all(|s| s.join_sync.count > 0),
                    "{scenario:?}: {steps:?}"
                )
            }
            Scenario::ReconnectStorm => assert!(steps[0].resync.count > 0, "{steps:?}"),
            _ => {}
        }
        assert!(result.converged, "{scenario:?} diverged: {steps:?}");
    }
}
