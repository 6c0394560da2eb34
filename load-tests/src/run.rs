//! One load run: fill the rooms if the plan says so, bring every participant in, edit for the
//! planned time (with a reconnect storm half-way if asked), stop, let every replica catch up,
//! and compare them. Waits are on participants' events, each bounded.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use crate::metrics::{self, AckLog, Acknowledged, Counters, Percentiles, SentLog};
use crate::participant::{
    self, Clocks, Event, Outcome, Phase, Preload, Role, Shared, Spec, Target,
};
use crate::procstat::{Usage, UsageReport, Watched};

/// How long bringing participants in (or filling the rooms) may take before the run goes on
/// without the missing ones (they are reported, and the run fails to converge).
const JOIN_TIMEOUT: Duration = Duration::from_secs(180);
/// How long editors have to report where their edits ended once told to stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the progress line is printed (and server memory sampled).
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// What a run does. Sizes are per room unless said otherwise.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub rooms: usize,
    pub editors: usize,
    pub viewers: usize,
    /// Edits per second, per editor.
    pub edit_rate: f64,
    /// Cursor (awareness) updates per second, per participant.
    pub cursor_rate: f64,
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
    /// Written into each room by a seeder before anyone else joins.
    #[serde(skip)]
    pub preload: Option<Preload>,
    /// Participants who join after everyone else is in, timed until they hold the whole room.
    pub joiners: usize,
    /// Whether the joiners come all at once (else one after another).
    pub joiners_at_once: bool,
    /// Every participant drops its connection half-way and reconnects at once.
    pub storm: bool,
    /// Connections being opened at once, at most.
    pub join_concurrency: usize,
    /// Viewers per room that keep a replica; the others only tally the clocks they receive
    /// (`Board::tally`). `None`: every viewer keeps one.
    pub full_viewers: Option<usize>,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// How to run a plan, independent of the plan.
#[derive(Clone, Debug)]
pub struct Options {
    pub target: Target,
    /// The server's processes (and its Redis), for CPU and memory.
    pub server_pids: Vec<u32>,
    pub drain_timeout: Duration,
    /// Print a progress line every second (to stderr).
    pub progress: bool,
    /// Make one participant's replica differ at the end (to prove the check catches it).
    pub diverge_one: bool,
    /// Create each room with a POST here before anyone joins (y-sweet's `/doc/new`).
    pub create_url: Option<String>,
}

/// What a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub participants: usize,
    /// Update fan-out latency: sender's send to each other participant's receipt.
    pub latency: Percentiles,
    pub updates_sent_per_s: f64,
    pub deliveries_per_s: f64,
    pub awareness_received_per_s: f64,
    pub connect: Percentiles,
    /// First sync of the participants present from the start.
    pub sync: Percentiles,
    /// Sync of the late joiners, until they held the whole room.
    pub join_sync: Percentiles,
    /// Late joiners: until the room's state arrived, before they applied it.
    pub join_received: Percentiles,
    /// After a storm: from dropping to holding the room again.
    pub resync: Percentiles,
    /// Participants brought in (connected and synced) per second.
    pub joins_per_s: f64,
    pub errors: u64,
    pub disconnects: u64,
    pub server: Option<UsageReport>,
    pub generator: UsageReport,
    /// Participants that did not hold their room's final state by the end.
    pub incomplete: usize,
    /// Rooms whose replicas differ.
    pub diverged_rooms: usize,
    pub edit_seconds: f64,
    /// Updates the editors sent in the whole run.
    pub updates_sent: u64,
    /// Each room's name and the clocks every replica had to reach by the end: what storage
    /// must hold afterwards.
    #[serde(skip)]
    pub final_clocks: Vec<(String, Clocks)>,
}

impl RunResult {
    /// Every replica complete and identical.
    pub fn converged(&self) -> bool {
        self.incomplete == 0 && self.diverged_rooms == 0
    }
}

/// Runs a plan against a server.
pub async fn run(plan: &Plan, options: &Options) -> RunResult {
    run_with_fault(plan, options, |_| async {}).await.0
}

/// The run as a fault sees it while it is injected: what the participants are doing and what
/// the server has acknowledged so far.
pub struct UnderLoad {
    shared: Arc<Shared>,
    rooms: Vec<String>,
}

/// How often `UnderLoad::until` looks at the counters again.
const POLL_EVERY: Duration = Duration::from_millis(10);

impl UnderLoad {
    /// Waits until `done` holds of the run's counters, or `limit` passes (returns whether it held).
    pub async fn until(&self, limit: Duration, done: impl Fn(&Counters) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while !done(&self.shared.counters) {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
        true
    }

    /// The run's counters as they are now.
    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// The rooms' names, by room index.
    pub fn rooms(&self) -> &[String] {
        &self.rooms
    }

    /// Every participant's acknowledged updates so far, by client id.
    pub fn acknowledged(&self) -> HashMap<u64, Acknowledged> {
        self.shared.acked.snapshot()
    }
}

/// Runs a plan with `fault` injected while the participants edit: the edit phase lasts the
/// plan's duration and at least until `fault` has run its course; then the run stops and
/// drains as usual, so a fault the server handles well leaves a converged run. Returns what
/// the fault returned too.
pub async fn run_with_fault<F, Fut, T>(plan: &Plan, options: &Options, fault: F) -> (RunResult, T)
where
    F: FnOnce(UnderLoad) -> Fut,
    Fut: Future<Output = T>,
{
    let run_id = fastrand::u32(..);
    let mut ids = HashSet::new();
    let mut next_id = || loop {
        // Ids below 2^31, for every server alike: yjs picks 32-bit ids, but y-sweet 0.9 mangles
        // those from 2^31 up (its replicas then never hold the sender's updates); never 0.
        let id = fastrand::u32(1..1 << 31);
        if ids.insert(id) {
            return id;
        }
    };
    let room_names: Vec<String> = (0..plan.rooms)
        .map(|r| format!("load-{run_id:08x}-{r}"))
        .collect();
    if let Some(url) = &options.create_url {
        if let Err(e) = crate::precreate::create_rooms(url, &room_names).await {
            tracing::error!(error = %e, "could not create the rooms; joining anyway");
        }
    }
    let ordinals = std::cell::Cell::new(0);
    let spec = |room: usize, role: Role, id: u32| Spec {
        client_id: id,
        ordinal: ordinals.replace(ordinals.get() + 1),
        tally: false,
        room,
        room_name: room_names[room].clone(),
        role,
        edit_rate: if role == Role::Editor {
            plan.edit_rate
        } else {
            0.0
        },
        cursor_rate: if role == Role::Seeder {
            0.0
        } else {
            plan.cursor_rate
        },
        preload: plan.preload,
        sync_target: None,
        diverge: false,
    };
    let mut main: Vec<Spec> = Vec::new();
    for room in 0..plan.rooms {
        for _ in 0..plan.editors {
            main.push(spec(room, Role::Editor, next_id()));
        }
        for v in 0..plan.viewers {
            main.push(Spec {
                tally: plan.full_viewers.is_some_and(|full| v >= full),
                ..spec(room, Role::Viewer, next_id())
            });
        }
    }
    if options.diverge_one {
        if let Some(first) = main.first_mut() {
            first.diverge = true;
        }
    }
    let editors = main.iter().filter(|s| s.role == Role::Editor).count();
    let (phase_tx, phase_rx) = watch::channel(Phase::Join);
    let (storm_tx, storm_rx) = watch::channel(0u64);
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        target: options.target.clone(),
        sent: SentLog::new(
            main.iter()
                .filter(|s| s.role == Role::Editor)
                .map(|s| u64::from(s.client_id)),
        ),
        acked: AckLog::default(),
        counters: Counters::default(),
        phase: phase_rx,
        storm: storm_rx,
        events: events_tx,
        joining: Semaphore::new(plan.join_concurrency.max(1)),
        drain_timeout: options.drain_timeout,
    });
    let mut live = Live {
        shared: Arc::clone(&shared),
        events: events_rx,
        tasks: JoinSet::new(),
        spawned: 0,
        synced: 0,
        preloaded: vec![Clocks::new(); plan.rooms],
        preloads: 0,
        stopped: Vec::new(),
        progress: Progress::new(options, Arc::clone(&shared)),
    };

    // Fill the rooms, then make sure the server holds it all: a probe per room joins and
    // must reach the seeder's clocks.
    let empty = Arc::new(Clocks::new());
    let mut room_clocks: Vec<Arc<Clocks>> = vec![empty; plan.rooms];
    let mut stored = true;
    if plan.preload.is_some() {
        for room in 0..plan.rooms {
            live.spawn(spec(room, Role::Seeder, next_id()));
        }
        live.wait("filling the rooms", |l| l.preloads == plan.rooms)
            .await;
        room_clocks = live.preloaded.iter().cloned().map(Arc::new).collect();
        for (room, clocks) in room_clocks.iter().enumerate() {
            live.spawn(Spec {
                sync_target: Some(Arc::clone(clocks)),
                ..spec(room, Role::Viewer, next_id())
            });
        }
        let expected = live.spawned;
        stored = live
            .wait("checking the rooms are stored", |l| l.synced == expected)
            .await;
    }

    let joining = Instant::now();
    let participants = main.len();
    for s in main {
        live.spawn(s);
    }
    let expected = live.spawned;
    live.wait("joining", |l| l.synced == expected).await;
    let joins_per_s = participants as f64 / joining.elapsed().as_secs_f64().max(1e-9);

    let mut joiner_count = 0;
    // Joiners of a room the server does not hold would each wait out the timeout.
    let joiners = if stored { plan.joiners } else { 0 };
    for j in 0..joiners {
        let room = j % plan.rooms;
        live.spawn(Spec {
            sync_target: Some(Arc::clone(&room_clocks[room])),
            ..spec(room, Role::Viewer, next_id())
        });
        joiner_count += 1;
        if !plan.joiners_at_once {
            let expected = live.spawned;
            if !live.wait("late joiner", |l| l.synced == expected).await {
                // The next would wait as long for the same room: the run has its answer.
                tracing::warn!(
                    joined = j,
                    of = plan.joiners,
                    "late joiner never synced; no more joiners"
                );
                break;
            }
        }
    }
    let expected = live.spawned;
    live.wait("late joiners", |l| l.synced == expected).await;

    // Edit.
    let before = Tally::of(&shared.counters);
    let edit_start = Instant::now();
    let _ = phase_tx.send(Phase::Edit);
    let editing = async {
        if plan.storm {
            live.run_for(plan.duration / 2).await;
            let _ = storm_tx.send(1);
            live.run_for(plan.duration - plan.duration / 2).await;
        } else {
            live.run_for(plan.duration).await;
        }
    };
    let under = UnderLoad {
        shared: Arc::clone(&shared),
        rooms: room_names.clone(),
    };
    let ((), faulted) = tokio::join!(editing, fault(under));
    let edit_seconds = edit_start.elapsed().as_secs_f64();

    // Stop, then drain to every room's final clocks.
    let _ = phase_tx.send(Phase::Stop);
    live.wait_for(STOP_TIMEOUT, "stopping", |l| l.stopped.len() >= editors)
        .await;
    let mut targets: Vec<Clocks> = room_clocks.iter().map(|c| (**c).clone()).collect();
    for (room, client, clock) in &live.stopped {
        targets[*room].insert(*client, *clock);
    }
    let final_clocks = room_names.iter().cloned().zip(targets.clone()).collect();
    let _ = phase_tx.send(Phase::Drain(Arc::new(targets)));
    let outcomes = live.finish().await;
    let after = Tally::of(&shared.counters);
    let (server, generator) = live.progress.usage();

    let result = summarise(Summary {
        outcomes,
        joiner_count,
        before,
        after,
        edit_seconds,
        joins_per_s,
        server,
        generator,
        errors: Counters::get(&shared.counters.errors),
        disconnects: Counters::get(&shared.counters.disconnects),
        updates_sent: Counters::get(&shared.counters.updates_sent),
        final_clocks,
    });
    (result, faulted)
}

/// The running participants and what they reported.
struct Live {
    shared: Arc<Shared>,
    events: mpsc::UnboundedReceiver<Event>,
    tasks: JoinSet<(usize, Outcome)>,
    spawned: usize,
    synced: usize,
    preloaded: Vec<Clocks>,
    preloads: usize,
    stopped: Vec<(usize, u64, u32)>,
    progress: Progress,
}

impl Live {
    fn spawn(&mut self, spec: Spec) {
        let order = self.spawned;
        self.spawned += 1;
        let shared = Arc::clone(&self.shared);
        self.tasks
            .spawn(async move { (order, participant::run(spec, shared).await) });
    }

    fn note(&mut self, event: Event) {
        match event {
            Event::Synced => self.synced += 1,
            Event::Preloaded { room, clocks } => {
                self.preloaded[room] = clocks;
                self.preloads += 1;
            }
            Event::Stopped {
                room,
                client,
                clock,
            } => self.stopped.push((room, client, clock)),
        }
    }

    async fn wait(&mut self, what: &str, done: impl Fn(&Live) -> bool) -> bool {
        self.wait_for(JOIN_TIMEOUT, what, done).await
    }

    /// Waits until `done` holds, or `limit` passes (then says so and goes on); returns
    /// whether `done` holds.
    async fn wait_for(
        &mut self,
        limit: Duration,
        what: &str,
        done: impl Fn(&Live) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        while !done(self) {
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(event) => self.note(event),
                    None => return false,
                },
                _ = ticker.tick() => self.progress.tick(what),
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(what, after = ?limit, "gave up waiting");
                    return false;
                }
            }
        }
        true
    }

    /// Lets the participants work for `period`, printing progress.
    async fn run_for(&mut self, period: Duration) {
        let end = tokio::time::Instant::now() + period;
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                event = self.events.recv() => if let Some(event) = event { self.note(event) },
                _ = ticker.tick() => self.progress.tick("editing"),
                _ = tokio::time::sleep_until(end) => return,
            }
        }
    }

    /// Waits for every participant to finish draining; outcomes in spawn order.
    async fn finish(&mut self) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(self.spawned);
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                joined = self.tasks.join_next() => match joined {
                    Some(Ok(outcome)) => outcomes.push(outcome),
                    Some(Err(e)) => tracing::error!(error = %e, "participant task failed"),
                    None => break,
                },
                event = self.events.recv() => if let Some(event) = event { self.note(event) },
                _ = ticker.tick() => self.progress.tick("draining"),
            }
        }
        outcomes.sort_by_key(|(order, _)| *order);
        outcomes.into_iter().map(|(_, o)| o).collect()
    }
}

/// The progress line and the CPU/memory windows behind it.
struct Progress {
    enabled: bool,
    shared: Arc<Shared>,
    server: Option<Usage>,
    generator: Usage,
    started: Instant,
    last: Tally,
    last_at: Instant,
}

impl Progress {
    fn new(options: &Options, shared: Arc<Shared>) -> Self {
        let server = (!options.server_pids.is_empty()).then(|| {
            Usage::start(
                options
                    .server_pids
                    .iter()
                    .copied()
                    .map(Watched::pid)
                    .collect(),
            )
        });
        Progress {
            enabled: options.progress,
            last: Tally::of(&shared.counters),
            shared,
            server,
            generator: Usage::start(vec![Watched::this_process()]),
            started: Instant::now(),
            last_at: Instant::now(),
        }
    }

    fn tick(&mut self, what: &str) {
        if let Some(server) = &mut self.server {
            server.sample();
        }
        self.generator.sample();
        if !self.enabled {
            return;
        }
        let c = &self.shared.counters;
        let now = Tally::of(c);
        let secs = self.last_at.elapsed().as_secs_f64().max(1e-9);
        let rate = |a: u64, b: u64| (a.saturating_sub(b)) as f64 / secs;
        eprintln!(
            "[{:>5.1}s] {what:<12} connected {:>5}  synced {:>5}  sent/s {:>8.0}  delivered/s {:>9.0}  awareness in/s {:>9.0}  errors {}  disconnects {}",
            self.started.elapsed().as_secs_f64(),
            Counters::get(&c.connected),
            Counters::get(&c.synced),
            rate(now.sent, self.last.sent),
            rate(now.delivered, self.last.delivered),
            rate(now.awareness, self.last.awareness),
            Counters::get(&c.errors),
            Counters::get(&c.disconnects),
        );
        self.last = now;
        self.last_at = Instant::now();
    }

    fn usage(&mut self) -> (Option<UsageReport>, UsageReport) {
        (
            self.server.as_mut().map(Usage::report),
            self.generator.report(),
        )
    }
}

/// Counters at one moment.
#[derive(Clone, Copy)]
struct Tally {
    sent: u64,
    delivered: u64,
    awareness: u64,
}

impl Tally {
    fn of(c: &Counters) -> Self {
        Tally {
            sent: Counters::get(&c.updates_sent),
            delivered: Counters::get(&c.updates_delivered),
            awareness: Counters::get(&c.awareness_received),
        }
    }
}

struct Summary {
    outcomes: Vec<Outcome>,
    joiner_count: usize,
    before: Tally,
    after: Tally,
    edit_seconds: f64,
    joins_per_s: f64,
    server: Option<UsageReport>,
    generator: UsageReport,
    errors: u64,
    disconnects: u64,
    updates_sent: u64,
    final_clocks: Vec<(String, Clocks)>,
}

fn summarise(s: Summary) -> RunResult {
    let merged = |pick: &dyn Fn(&Outcome) -> &Histogram<u64>, outcomes: &[Outcome]| {
        let mut h = metrics::histogram();
        for o in outcomes {
            h.add(pick(o)).expect("histograms share bounds");
        }
        Percentiles::of(&h)
    };
    let joiners_from = s.outcomes.len() - s.joiner_count;
    let (present, joiners) = s.outcomes.split_at(joiners_from);
    let present: Vec<&Outcome> = present.iter().filter(|o| o.role != Role::Seeder).collect();
    let mut sync = metrics::histogram();
    for o in &present {
        sync.add(&o.sync).expect("histograms share bounds");
    }
    let per_s = |a: u64, b: u64| a.saturating_sub(b) as f64 / s.edit_seconds.max(1e-9);
    let mut rooms: HashMap<usize, Vec<&crate::board::Snapshot>> = HashMap::new();
    let mut incomplete = 0;
    for o in &s.outcomes {
        match &o.snapshot {
            Some(snapshot) => rooms.entry(o.room).or_default().push(snapshot),
            None => incomplete += 1,
        }
    }
    let diverged_rooms = rooms
        .values()
        .filter(|snaps| !crate::board::Snapshot::all_agree(snaps))
        .count();
    RunResult {
        participants: s.outcomes.iter().filter(|o| o.role != Role::Seeder).count(),
        latency: merged(&|o| &o.latency, &s.outcomes),
        updates_sent_per_s: per_s(s.after.sent, s.before.sent),
        deliveries_per_s: per_s(s.after.delivered, s.before.delivered),
        awareness_received_per_s: per_s(s.after.awareness, s.before.awareness),
        connect: merged(&|o| &o.connect, &s.outcomes),
        sync: Percentiles::of(&sync),
        join_sync: merged(&|o| &o.sync, joiners),
        join_received: merged(&|o| &o.state_received, joiners),
        resync: merged(&|o| &o.resync, &s.outcomes),
        joins_per_s: s.joins_per_s,
        errors: s.errors,
        disconnects: s.disconnects,
        server: s.server,
        generator: s.generator,
        incomplete,
        diverged_rooms,
        edit_seconds: s.edit_seconds,
        updates_sent: s.updates_sent,
        final_clocks: s.final_clocks,
    }
}
