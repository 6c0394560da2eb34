//! Fault injection under load, on loopback: simulated workshop rooms edit while a node is
//! killed, Redis is killed, a member stops reading, a connection floods malformed frames, or
//! everyone reconnects at once. Each test asserts that the node did not panic, that every
//! replica converged, and that no update was lost: what the server acknowledged before a
//! crash is in storage right after it, and everything every replica holds at the end is in
//! storage read back by a fresh node after the serving node is killed with SIGKILL.
//!
//! Each test prints its figures (`fault figures: ...`; `cargo test -p cocreate-load --test
//! load faults -- --nocapture` shows them).

mod probes;
pub(crate) mod processes;

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use cocreate_load::metrics::Counters;
use cocreate_load::participant::Clocks;
use cocreate_load::run::{run_with_fault, Options, Plan, RunResult, UnderLoad};
use cocreate_protocol::close;

use crate::server::{self, Server};
use processes::Store;

/// How long the load may take to build up before a fault, at most.
const LOAD_WAIT: Duration = Duration::from_secs(60);
/// Updates sent before a fault is injected: enough that some are in flight when it strikes.
const UPDATES_BEFORE_FAULT: u64 = 150;

/// A few workshop rooms, editing fast enough that a fault always lands mid-write.
fn plan(storm: bool) -> Plan {
    Plan {
        rooms: 4,
        editors: 3,
        viewers: 2,
        edit_rate: 10.0,
        cursor_rate: 2.0,
        duration: Duration::from_secs(4),
        preload: None,
        joiners: 0,
        joiners_at_once: false,
        storm,
        join_concurrency: 50,
        full_viewers: None,
    }
}

fn options(server: &Server) -> Options {
    let mut options = Options {
        // The node may be replaced mid-run: no CPU or memory sampling of one pid.
        server_pids: Vec::new(),
        // Long enough for participants to back off and reconnect after a node restart.
        drain_timeout: Duration::from_secs(60),
        ..server::options(server, false)
    };
    // With cocreate's own messages: the participants learn which of their updates are stored.
    options.target.url.push_str("?cocreate=1");
    options
}

/// What a fault test did and checked; printed for the closing figures.
#[derive(Default)]
struct Figures {
    faults: usize,
    malformed: usize,
    /// Acknowledged updates checked in storage right after a crash.
    acknowledged: u64,
    /// Updates sent in the run, all checked in storage at the end.
    updates: u64,
    lost: usize,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "faults injected {}, malformed inputs {}, acknowledged updates checked after a crash {}, \
             updates checked at the end {}, clients with lost updates {}",
            self.faults, self.malformed, self.acknowledged, self.updates, self.lost
        )
    }
}

/// Waits until the participants have sent enough for a fault to land mid-write.
pub(crate) async fn load_built_up(under: &UnderLoad) {
    assert!(
        under
            .until(LOAD_WAIT, |c| Counters::get(&c.updates_sent)
                >= UPDATES_BEFORE_FAULT)
            .await,
        "the load never built up"
    );
}

/// The acknowledged updates so far, as each room's clocks, and how many updates they are.
/// Only participants with an acknowledged edit count (everyone's first, empty sync step 2 is
/// acknowledged at once).
fn acknowledged(under: &UnderLoad) -> (Vec<(String, Clocks)>, u64) {
    let mut rooms: HashMap<usize, Clocks> = HashMap::new();
    let mut updates = 0;
    for (client, acked) in under.acknowledged() {
        if acked.clock == 0 {
            continue;
        }
        rooms
            .entry(acked.room)
            .or_default()
            .insert(client, acked.clock);
        updates += acked.updates;
    }
    let names = under.rooms();
    let rooms = rooms
        .into_iter()
        .map(|(room, clocks)| (names[room].clone(), clocks))
        .collect();
    (rooms, updates)
}

/// What storage lacks of `expected`, asked of a fresh node on `store` (stopped afterwards).
pub(crate) async fn lost_from(store: &Store, expected: &[(String, Clocks)]) -> Vec<String> {
    let mut reader = store.node("127.0.0.1:0", &[]);
    let lost = probes::lost(&reader, expected).await;
    processes::stop(&mut reader);
    lost
}

/// Fails the test when storage lacks any of the `acknowledged` updates (lost `how`).
async fn assert_stored(store: &Store, acknowledged: &[(String, Clocks)], how: &str) {
    let lost = lost_from(store, acknowledged).await;
    assert!(lost.is_empty(), "acknowledged updates lost {how}: {lost:?}");
}

/// The end of every fault test: the run converged, the node never panicked, and after a
/// SIGKILL of the node a fresh node on the same store holds every replica's final state.
async fn assert_nothing_lost(
    name: &str,
    run: &RunResult,
    mut server: Server,
    store: &Store,
    mut figures: Figures,
) {
    assert!(
        run.converged(),
        "{name}: replicas did not converge: {run:?}"
    );
    assert!(run.updates_sent > 0, "{name}: nothing was edited: {run:?}");
    let panics = processes::panics(&server);
    assert!(panics.is_empty(), "{name}: the node panicked: {panics:?}");
    processes::kill(&mut server);
    let lost = lost_from(store, &run.final_clocks).await;
    figures.updates += run.updates_sent;
    figures.lost += lost.len();
    eprintln!("fault figures: {name}: {figures}");
    assert!(
        lost.is_empty(),
        "{name}: updates missing from storage: {lost:?}"
    );
}

/// Kills the serving node with SIGKILL while participants edit; checks that what it
/// acknowledged is stored, restarts it on the same port, and lets the participants reconnect.
async fn kill_9_under_load(name: &str, store: Store) {
    let mut server = store.node("127.0.0.1:0", &[]);
    let addr = server.addr.clone();
    let mut figures = Figures::default();
    let options = options(&server);
    let crashed = &mut server;
    let checked = &mut figures;
    let store = &store;
    let (run, ()) = run_with_fault(&plan(false), &options, |under| async move {
        load_built_up(&under).await;
        processes::kill(crashed);
        checked.faults += 1;
        // Every participant has seen its connection end, and read what the node sent before.
        assert!(
            under
                .until(LOAD_WAIT, |c| Counters::get(&c.connected) == 0)
                .await,
            "participants still connected to a killed node"
        );
        let (acked, updates) = acknowledged(&under);
        assert!(updates > 0, "nothing was acknowledged before the crash");
        assert_stored(store, &acked, "in the crash").await;
        checked.acknowledged += updates;
        *crashed = store.node(&addr, &[]);
    })
    .await;
    assert!(run.disconnects > 0, "the crash dropped nobody: {run:?}");
    assert_nothing_lost(name, &run, server, store, figures).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_an_embedded_node_under_load_loses_no_acknowledged_update() {
    kill_9_under_load("kill -9 (embedded)", Store::embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_redis_node_under_load_loses_no_acknowledged_update() {
    kill_9_under_load("kill -9 (redis)", Store::redis()).await;
}

/// Kills Redis with SIGKILL while participants edit through one node, checks that what was
/// acknowledged is in Redis once it is back, and lets the node store what waited meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_under_load_loses_nothing() {
    let mut store = Store::redis();
    let server = store.node("127.0.0.1:0", &[]);
    let mut figures = Figures::default();
    let options = options(&server);
    let redis = &mut store;
    let checked = &mut figures;
    let (run, ()) = run_with_fault(&plan(false), &options, |under| async move {
        load_built_up(&under).await;
        let Store::Redis(own) = redis else {
            unreachable!("a Redis store")
        };
        own.kill();
        checked.faults += 1;
        // Edits go on against the node while Redis is away (they wait for it, unacknowledged).
        let sent = Counters::get(&under.counters().updates_sent);
        assert!(
            under
                .until(LOAD_WAIT, |c| Counters::get(&c.updates_sent) >= sent + 50)
                .await,
            "editing stopped while Redis was away"
        );
        let (acked, updates) = acknowledged(&under);
        own.restart();
        assert_stored(redis, &acked, "with Redis").await;
        checked.acknowledged += updates;
    })
    .await;
    assert_nothing_lost("Redis killed and restarted", &run, server, &store, figures).await;
}

/// A member of one room stops reading while a writer pastes large cards there and everyone
/// else edits: the node closes the stalled member with 1013 and nobody else is held up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_under_load_is_closed_and_holds_nobody_up() {
    let store = Store::embedded();
    let server = store.node("127.0.0.1:0", &[]);
    let mut figures = Figures::default();
    let node = &server;
    let checked = &mut figures;
    let (mut run, (writer, clock)) =
        run_with_fault(&plan(false), &options(&server), |under| async move {
            load_built_up(&under).await;
            let room = under.rooms()[0].clone();
            let mut stalled = probes::stalled(node, &room).await;
            checked.faults += 1;
            // 2,400 cards of 4 KiB: more than the kernel's buffers and the member's queue hold.
            let pasted = probes::paste(node, &room, 2400, 4096, 400.0).await;
            let code = probes::close_code(&mut stalled).await;
            assert_eq!(
                code,
                Some(close::TRY_AGAIN_LATER),
                "the stalled member's close"
            );
            pasted
        })
        .await;
    assert_eq!(run.disconnects, 0, "a participant was dropped: {run:?}");
    // The pasted cards must be stored too.
    run.final_clocks[0].1.insert(writer, clock);
    assert_nothing_lost("slow consumer", &run, server, &store, figures).await;
}

/// One connection floods the room with malformed frames while everyone edits: each is
/// refused with a close code (or found harmless), and nobody else notices.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_malformed_frames_under_load_harms_nobody() {
    let store = Store::embedded();
    let server = store.node("127.0.0.1:0", &["--max-message-bytes", "1048576"]);
    let node = &server;
    let (run, flood) = run_with_fault(&plan(false), &options(&server), |under| async move {
        load_built_up(&under).await;
        let seed = fastrand::u64(..);
        eprintln!("malformed flood seed {seed}");
        probes::flood(node, &under.rooms()[0], 300, seed).await
    })
    .await;
    let tried: usize = flood.values().sum();
    let tolerated: usize = flood
        .iter()
        .filter(|((_, answer), _)| *answer == probes::Answer::Tolerated)
        .map(|(_, n)| n)
        .sum();
    assert!(
        tolerated <= tried / 4,
        "most malformed inputs must be refused: {flood:?}"
    );
    assert_eq!(run.disconnects, 0, "a participant was dropped: {run:?}");
    let figures = Figures {
        faults: 1,
        malformed: tried,
        ..Figures::default()
    };
    eprintln!("malformed flood: {flood:?}");
    assert_nothing_lost("malformed flood", &run, server, &store, figures).await;
}

/// Every participant drops its connection at once half-way and reconnects at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_storm_loses_nothing() {
    let store = Store::embedded();
    let server = store.node("127.0.0.1:0", &[]);
    let (run, ()) = run_with_fault(&plan(true), &options(&server), |_| async {}).await;
    assert!(run.resync.count > 0, "nobody reconnected: {run:?}");
    let figures = Figures {
        faults: 1,
        ..Figures::default()
    };
    assert_nothing_lost("reconnect storm", &run, server, &store, figures).await;
}
