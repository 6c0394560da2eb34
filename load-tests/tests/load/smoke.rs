//! Smoke run of the load generator against the freshly built server: every scenario at a few
//! participants for a second or two. Checks the harness itself (updates are delivered and
//! timed, replicas converge, a deliberately divergent replica is caught), not performance.

use crate::server::{options, Server};
use cocreate_load::scenario::{Overrides, Scenario, ScenarioResult};

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
            o.full_viewers = Some(1); // two viewers tally
            o.edit_rate = Some(20.0);
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

/// The workshops scenario, made tiny, against a node of its own; `diverge`: one replica
/// corrupts its document.
async fn tiny_workshops(diverge: bool) -> ScenarioResult {
    let server = Server::start(None, "127.0.0.1:0", &[]);
    let overrides = tiny(Scenario::Workshops);
    Scenario::Workshops
        .run("cocreate", &overrides, &options(&server, diverge))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workshops_converge_and_deliver() {
    let result = tiny_workshops(false).await;
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
    let result = tiny_workshops(true).await;
    assert!(!result.converged, "the divergent replica went unnoticed");
    assert_eq!(result.steps[0].result.diverged_rooms, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_small() {
    let server = Server::start(None, "127.0.0.1:0", &[]);
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
            // 20 edits/s is held, so it goes on, until it finds a rate it cannot hold.
            Scenario::MaxRate => {
                assert!(steps.len() >= 2 && result.headline_value > 0.0, "{steps:?}")
            }
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
