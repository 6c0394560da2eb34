//! One simulated participant: a WebSocket connection to a room, a replica of the board, edits
//! and cursor moves at the configured rates, and timing of every update it receives.
//!
//! A participant is one task that owns its socket, its document and its histograms, so there
//! is no locking on the hot path except the send log (see `metrics::SentLog`). It follows the
//! run's phase (`Phase`) from a watch channel and reports milestones on an event channel.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cocreate_protocol::{AwarenessUpdate, Message, SyncMessage};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::{sleep_until, timeout, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::{ClientID, StateVector};

use crate::board::{Board, Snapshot};
use crate::metrics::{self, AckLog, Acknowledged, Counters, SentLog};
use crate::wire::{self, Incoming, Protocol, Wire};

/// How long opening a connection (TCP + WebSocket handshake) may take before it counts as an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Connections one participant may open in a run (the first, reconnections after drops and
/// storms): bounds the retry loop against a server that keeps refusing.
const MAX_CONNECTIONS: u32 = 20;
/// y-websocket's reconnect backoff: 100 ms doubling, capped at 2.5 s.
const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_CAP: Duration = Duration::from_millis(2500);
/// Updates a seeder writes before flushing the socket: pipelines a large preload.
const SEED_FLUSH_EVERY: usize = 256;

/// Where the server is and how to speak to it.
#[derive(Clone, Debug)]
pub struct Target {
    /// WebSocket URL with `{room}` where the room name goes; several, comma-separated, for the
    /// nodes of one deployment (see [`Target::url_for`]).
    pub url: String,
    pub protocol: Protocol,
}

impl Target {
    /// The URL of `room` for a participant's connection: with several nodes, participants are
    /// spread round-robin by `slot` (their place in the plan plus the connections they opened
    /// before), so one that lost its node reconnects to the next.
    pub fn url_for(&self, room: &str, slot: usize) -> String {
        let nodes: Vec<&str> = self.url.split(',').collect();
        nodes[slot % nodes.len()].replace("{room}", room)
    }
}

/// What a participant does in its room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Fills the room before anyone else joins (`Preload`), then stays, idle.
    Seeder,
    /// Edits at the plan's rate while the run is in `Phase::Edit`.
    Editor,
    /// Only watches (and moves its cursor, if the plan says so).
    Viewer,
}

/// What a seeder writes before the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preload {
    /// This many small updates (typing), each its own message.
    Updates(usize),
    /// About this many bytes of text, pasted 64 KiB per update.
    Bytes(usize),
}

/// Size of one pasted update when preloading by bytes.
const PASTE_BYTES: usize = 64 * 1024;

/// Everything one participant needs to know.
#[derive(Clone, Debug)]
pub struct Spec {
    pub client_id: u32,
    /// Its place in the plan: which node it connects to first, when there are several.
    pub ordinal: usize,
    pub room: usize,
    pub room_name: String,
    pub role: Role,
    pub edit_rate: f64,
    pub cursor_rate: f64,
    pub preload: Option<Preload>,
    /// A participant is synced once its document covers this (a late joiner must have the
    /// whole preloaded room, not just the server's first answer).
    pub sync_target: Option<Arc<Clocks>>,
    /// The smoke test's deliberately divergent participant.
    pub diverge: bool,
    /// A viewer that tallies what it receives instead of keeping a replica (`Board::tally`).
    pub tally: bool,
}

/// Client id → clock: what a document must have integrated.
pub type Clocks = HashMap<u64, u32>;

/// Where the run is; every participant follows it.
#[derive(Clone, Debug)]
pub enum Phase {
    /// Connecting and syncing; cursors move, nobody edits.
    Join,
    /// Editors edit.
    Edit,
    /// Editors stop and report their final clock (`Event::Stopped`).
    Stop,
    /// Everyone reads until their document holds every room's final clocks, then leaves.
    Drain(Arc<Vec<Clocks>>),
}

/// Milestones the run waits for.
#[derive(Debug)]
pub enum Event {
    /// First sync of a participant's run.
    Synced,
    /// A seeder has written its preload (its room's clocks after it).
    Preloaded { room: usize, clocks: Clocks },
    /// An editor has stopped editing; its last update ends at `clock`.
    Stopped {
        room: usize,
        client: u64,
        clock: u32,
    },
}

/// What the participants share with the run.
pub struct Shared {
    pub target: Target,
    pub sent: SentLog,
    pub acked: AckLog,
    pub counters: Counters,
    pub phase: watch::Receiver<Phase>,
    /// Bumped to make every participant drop its connection at once and reconnect.
    pub storm: watch::Receiver<u64>,
    pub events: mpsc::UnboundedSender<Event>,
    /// Limits how many participants are opening a connection at once.
    pub joining: Semaphore,
    /// How long draining may take before a participant gives up (and the run fails).
    pub drain_timeout: Duration,
}

/// What a participant measured.
pub struct Outcome {
    pub room: usize,
    pub role: Role,
    pub latency: Histogram<u64>,
    pub connect: Histogram<u64>,
    /// First sync: from starting to connect to holding the room (`Spec::sync_target`).
    pub sync: Histogram<u64>,
    /// From starting to connect to the first sync step 2 arriving, before it is applied: the
    /// server's and the network's share of `sync`, the rest is this replica's own work.
    pub state_received: Histogram<u64>,
    /// Syncs after a dropped connection: from the drop to holding the room again.
    pub resync: Histogram<u64>,
    /// The board at the end; `None` if the participant never had the room's final state.
    pub snapshot: Option<Snapshot>,
}

/// How a connection ended.
enum End {
    /// The run is over for this participant.
    Done,
    /// The server closed the connection or it failed.
    Dropped,
    /// A reconnect storm: drop now, reconnect at once.
    Storm,
}

/// Runs one participant until the run drains (or it gives up).
pub async fn run(spec: Spec, shared: Arc<Shared>) -> Outcome {
    Participant::new(spec, shared).run().await
}

struct Participant {
    spec: Spec,
    shared: Arc<Shared>,
    wire: Wire,
    board: Board,
    /// Sender client id → clock up to which its updates were timed here.
    timed: HashMap<u64, u32>,
    awareness_clock: u32,
    synced_once: bool,
    /// When the current (re)connection attempt started after a drop.
    dropped_at: Option<Instant>,
    stop_reported: bool,
    /// Own clock after each message of this connection the server counts in its saved
    /// messages (updates and sync step 2) and has not yet reported stored.
    unsaved: VecDeque<u32>,
    /// Messages of this connection the server has reported stored.
    saved_here: u64,
    /// Connections opened so far (with several nodes, the next one goes to the next node).
    connections: usize,
    acked: Acknowledged,
    out: Outcome,
}

impl Participant {
    fn new(spec: Spec, shared: Arc<Shared>) -> Self {
        let wire = Wire::new(shared.target.protocol, &spec.room_name);
        let board = if spec.tally {
            Board::tally(spec.client_id)
        } else {
            Board::new(spec.client_id, u64::from(spec.client_id))
        };
        let out = Outcome {
            room: spec.room,
            role: spec.role,
            latency: metrics::histogram(),
            connect: metrics::histogram(),
            sync: metrics::histogram(),
            state_received: metrics::histogram(),
            resync: metrics::histogram(),
            snapshot: None,
        };
        Participant {
            spec,
            shared,
            wire,
            board,
            timed: HashMap::new(),
            awareness_clock: 0,
            synced_once: false,
            dropped_at: None,
            stop_reported: false,
            unsaved: VecDeque::new(),
            saved_here: 0,
            connections: 0,
            acked: Acknowledged {
                room: out.room,
                ..Acknowledged::default()
            },
            out,
        }
    }

    async fn run(mut self) -> Outcome {
        let started = Instant::now();
        let mut backoff = BACKOFF_START;
        let mut drain_deadline = None;
        for _ in 0..MAX_CONNECTIONS {
            let end = self.connection(started, &mut drain_deadline).await;
            self.dropped_at.get_or_insert_with(Instant::now);
            match &end {
                Ok(End::Done) => break,
                Ok(End::Storm) => backoff = BACKOFF_START,
                Ok(End::Dropped) | Err(_) => {
                    if let Err(e) = &end {
                        tracing::warn!(room = %self.spec.room_name, client = self.spec.client_id, error = %e, "connection failed");
                    }
                    Counters::add(&self.shared.counters.disconnects, 1);
                    if drain_deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                    // Backoff between retries, as y-websocket does: pacing, not synchronisation.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_CAP);
                }
            }
        }
        self.report_stop();
        if self.spec.diverge {
            self.board.diverge();
        }
        let drained = match &*self.shared.phase.borrow() {
            Phase::Drain(targets) => self.covers(&targets[self.spec.room]),
            _ => false,
        };
        if drained {
            self.out.snapshot = Some(self.board.snapshot());
        } else {
            tracing::warn!(room = %self.spec.room_name, client = self.spec.client_id, "left without the room's final state");
        }
        self.out
    }

    /// One connection, from opening to its end.
    async fn connection(
        &mut self,
        started: Instant,
        drain_deadline: &mut Option<Instant>,
    ) -> Result<End, anyhow::Error> {
        let shared = Arc::clone(&self.shared);
        let url = shared
            .target
            .url_for(&self.spec.room_name, self.spec.ordinal + self.connections);
        self.connections += 1;
        let opened = Instant::now();
        let socket = {
            let _permit = shared.joining.acquire().await?;
            // TCP_NODELAY, as browsers set it: a simulated participant must not hold its own
            // small frames back (Nagle), or every server would look 40 ms slower.
            let connect = tokio_tungstenite::connect_async_with_config(&url, None, true);
            match timeout(CONNECT_TIMEOUT, connect).await {
                Ok(Ok((socket, _))) => socket,
                Ok(Err(e)) => {
                    Counters::add(&shared.counters.errors, 1);
                    return Err(e.into());
                }
                Err(_) => {
                    Counters::add(&shared.counters.errors, 1);
                    anyhow::bail!("connecting to {url} timed out");
                }
            }
        };
        metrics::record(&mut self.out.connect, opened.elapsed());
        Counters::add(&shared.counters.connected, 1);
        let result = self.converse(socket, started, drain_deadline).await;
        shared
            .counters
            .connected
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        result
    }

    async fn converse(
        &mut self,
        socket: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        started: Instant,
        drain_deadline: &mut Option<Instant>,
    ) -> Result<End, anyhow::Error> {
        let shared = Arc::clone(&self.shared);
        let (mut sink, mut stream) = socket.split();
        // The server counts saved messages per connection.
        self.unsaved.clear();
        self.saved_here = 0;
        for frame in self.wire.opening(&self.board.state_vector()) {
            sink.send(WsMessage::binary(frame)).await?;
        }
        let mut phase = shared.phase.clone();
        let mut storm = shared.storm.clone();
        storm.borrow_and_update();
        let mut edits = ticker(self.spec.edit_rate, MissedTickBehavior::Burst);
        let mut cursors = ticker(self.spec.cursor_rate, MissedTickBehavior::Skip);
        let mut step2_seen = false;
        let mut synced = false;
        loop {
            let current = phase.borrow_and_update().clone();
            if let Phase::Stop | Phase::Drain(_) = current {
                self.report_stop();
            }
            if let Phase::Drain(targets) = &current {
                let deadline =
                    *drain_deadline.get_or_insert_with(|| Instant::now() + shared.drain_timeout);
                if synced && self.covers(&targets[self.spec.room]) {
                    let _ = sink.send(WsMessage::Close(None)).await;
                    return Ok(End::Done);
                }
                if Instant::now() >= deadline {
                    return Ok(End::Done);
                }
            }
            let editing =
                matches!(current, Phase::Edit) && self.spec.role == Role::Editor && synced;
            // No timer until draining: a timer set and cleared for every frame received was
            // a tenth of the generator's time in max-rate.
            let deadline = *drain_deadline;
            let give_up = async move {
                match deadline {
                    Some(deadline) => sleep_until(deadline.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                frame = stream.next() => {
                    let bytes = match frame {
                        Some(Ok(WsMessage::Binary(bytes))) => bytes,
                        Some(Ok(WsMessage::Close(_))) | None => return Ok(End::Dropped),
                        Some(Ok(_)) => continue, // pings are answered by tungstenite
                        Some(Err(e)) => return Err(e.into()),
                    };
                    let replies = self.receive(&bytes, &mut step2_seen, started)?;
                    for reply in replies {
                        sink.send(WsMessage::binary(reply)).await?;
                    }
                    if !synced && step2_seen && self.spec.sync_target.as_deref().is_none_or(|t| self.covers(t)) {
                        synced = true;
                        self.on_synced(started, &mut sink).await?;
                    }
                }
                _ = edits.tick(), if editing => {
                    let update = self.board.edit();
                    self.send_update(&mut sink, update).await?;
                }
                _ = cursors.tick(), if synced => {
                    let frame = self.cursor();
                    sink.send(WsMessage::binary(frame)).await?;
                    Counters::add(&shared.counters.awareness_sent, 1);
                }
                changed = phase.changed() => {
                    if changed.is_err() {
                        return Ok(End::Done);
                    }
                }
                _ = storm.changed() => return Ok(End::Storm),
                () = give_up => return Ok(End::Done),
            }
        }
    }

    /// Handles one frame; returns the frames to answer with. `started`: when the first
    /// connection began (see `Outcome::state_received`).
    fn receive(
        &mut self,
        frame: &[u8],
        step2_seen: &mut bool,
        started: Instant,
    ) -> Result<Vec<Vec<u8>>, anyhow::Error> {
        let shared = Arc::clone(&self.shared);
        let counters = &shared.counters;
        let messages = self
            .wire
            .messages(frame)
            .inspect_err(|_| Counters::add(&counters.errors, 1))?;
        let mut replies = Vec::new();
        for message in messages {
            match message {
                Incoming::SyncStep1(sv) => {
                    let remote = wire::state_vector(sv)?;
                    let diff = self.board.diff(&remote);
                    self.counted();
                    replies.push(
                        self.wire
                            .frame(&Message::Sync(SyncMessage::SyncStep2(diff))),
                    );
                }
                Incoming::SyncStep2(update) => {
                    if !self.synced_once && !*step2_seen {
                        metrics::record(&mut self.out.state_received, started.elapsed());
                    }
                    let state = self.apply(update)?;
                    // What a sync brings is history, not live delivery: not timed.
                    for (client, clock) in state.iter() {
                        self.timed.insert(client.get(), *clock);
                    }
                    *step2_seen = true;
                }
                Incoming::Update(update) => {
                    let state = self.apply(update)?;
                    self.time_deliveries(&state);
                }
                Incoming::Awareness => Counters::add(&counters.awareness_received, 1),
                Incoming::Saved(count) => self.saved(count),
                Incoming::Other => {}
            }
        }
        Ok(replies)
    }

    fn apply(&mut self, update: &[u8]) -> Result<StateVector, anyhow::Error> {
        self.board
            .apply(update)
            .inspect_err(|_| Counters::add(&self.shared.counters.errors, 1))
            .map_err(Into::into)
    }

    /// Records the latency of every update the document integrated since the last look.
    fn time_deliveries(&mut self, state: &StateVector) {
        let now = Instant::now();
        let me = self.board.client_id();
        let mut delivered = 0;
        for (client, clock) in state.iter() {
            let client = client.get();
            if client == me || !self.shared.sent.is_sender(client) {
                continue;
            }
            let timed = self.timed.entry(client).or_insert(0);
            if *clock <= *timed {
                continue;
            }
            self.shared.sent.between(client, *timed, *clock, |at| {
                metrics::record(&mut self.out.latency, now.saturating_duration_since(at));
                delivered += 1;
            });
            *timed = *clock;
        }
        Counters::add(&self.shared.counters.updates_delivered, delivered);
    }

    async fn on_synced<S>(&mut self, started: Instant, sink: &mut S) -> Result<(), anyhow::Error>
    where
        S: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        let now = Instant::now();
        let dropped = self.dropped_at.take();
        if self.synced_once {
            if let Some(dropped) = dropped {
                metrics::record(&mut self.out.resync, now - dropped);
            }
            return Ok(());
        }
        self.synced_once = true;
        metrics::record(&mut self.out.sync, now - started);
        Counters::add(&self.shared.counters.synced, 1);
        if let (Role::Seeder, Some(preload)) = (self.spec.role, self.spec.preload) {
            self.seed(sink, preload).await?;
        }
        let _ = self.shared.events.send(Event::Synced);
        Ok(())
    }

    /// Writes the preload, then reports the room's clocks.
    async fn seed<S>(&mut self, sink: &mut S, preload: Preload) -> Result<(), anyhow::Error>
    where
        S: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        let (count, paste) = match preload {
            Preload::Updates(n) => (n, false),
            Preload::Bytes(n) => (n.div_ceil(PASTE_BYTES), true),
        };
        for i in 0..count {
            let update = if paste {
                self.board.paste(PASTE_BYTES)
            } else {
                self.board.edit()
            };
            let frame = self.wire.frame(&Message::Sync(SyncMessage::Update(update)));
            self.counted();
            if (i + 1) % SEED_FLUSH_EVERY == 0 {
                sink.send(WsMessage::binary(frame)).await?;
            } else {
                sink.feed(WsMessage::binary(frame)).await?;
            }
        }
        sink.flush().await?;
        let clocks = self
            .board
            .state_vector()
            .iter()
            .map(|(c, k)| (c.get(), *k))
            .collect();
        let _ = self.shared.events.send(Event::Preloaded {
            room: self.spec.room,
            clocks,
        });
        Ok(())
    }

    /// Sends an edit, noting when it left so that every receiver can time it.
    async fn send_update<S>(&mut self, sink: &mut S, update: Vec<u8>) -> Result<(), anyhow::Error>
    where
        S: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        let frame = self.wire.frame(&Message::Sync(SyncMessage::Update(update)));
        let client = self.board.client_id();
        self.shared
            .sent
            .sent(client, self.board.own_clock(), Instant::now());
        self.counted();
        sink.send(WsMessage::binary(frame)).await?;
        Counters::add(&self.shared.counters.updates_sent, 1);
        Ok(())
    }

    /// An awareness update moving this participant's cursor.
    fn cursor(&mut self) -> Vec<u8> {
        self.awareness_clock += 1;
        let x = self.awareness_clock.wrapping_mul(37) % 1600;
        let y = self.awareness_clock.wrapping_mul(11) % 900;
        let json = format!(
            r##"{{"user":{{"name":"p{:x}","color":"#3b82f6"}},"cursor":{{"x":{x},"y":{y}}}}}"##,
            self.spec.client_id
        );
        let entry = AwarenessUpdateEntry {
            clock: self.awareness_clock,
            json: json.into(),
        };
        let update = AwarenessUpdate {
            clients: HashMap::from([(ClientID::new(self.board.client_id()), entry)]),
        };
        self.wire.frame(&Message::Awareness(update))
    }

    /// Notes a message the server will count in its saved messages, once it is stored.
    fn counted(&mut self) {
        self.unsaved.push_back(self.board.own_clock());
    }

    /// The server reports `count` of this connection's counted messages stored.
    fn saved(&mut self, count: u64) {
        let mut newest = None;
        while self.saved_here < count {
            let Some(clock) = self.unsaved.pop_front() else {
                break;
            };
            newest = Some(clock);
            self.saved_here += 1;
            self.acked.updates += 1;
        }
        if let Some(clock) = newest {
            self.acked.clock = self.acked.clock.max(clock);
            self.shared.acked.record(self.board.client_id(), self.acked);
        }
    }

    fn covers(&self, clocks: &Clocks) -> bool {
        let state = self.board.state_vector();
        clocks
            .iter()
            .all(|(client, clock)| state.get(&ClientID::new(*client)) >= *clock)
    }

    /// An editor tells the run, once, where its edits ended.
    fn report_stop(&mut self) {
        if self.spec.role != Role::Editor || self.stop_reported {
            return;
        }
        self.stop_reported = true;
        let _ = self.shared.events.send(Event::Stopped {
            room: self.spec.room,
            client: self.board.client_id(),
            clock: self.board.own_clock(),
        });
    }
}

/// An interval firing `rate` times a second; a rate of 0 never fires. Edits catch up on ticks
/// the task was too busy for (`Burst`: the configured load is honoured on average, and rates
/// above the timer's 1 ms resolution work); cursor moves skip them (`Skip`: a late cursor is
/// replaced by the next one anyway).
fn ticker(rate: f64, missed: MissedTickBehavior) -> tokio::time::Interval {
    let period = if rate > 0.0 {
        Duration::from_secs_f64(1.0 / rate)
    } else {
        Duration::from_secs(86_400)
    };
    // Start at a random phase so that thousands of participants do not tick together.
    let offset = period.mul_f64(fastrand::f64());
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    ticker.set_missed_tick_behavior(missed);
    ticker
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_room() {
        let target = Target {
            url: "ws://127.0.0.1:1/ws/{room}".into(),
            protocol: Protocol::YWebsocket,
        };
        assert_eq!(target.url_for("r-1", 5), "ws://127.0.0.1:1/ws/r-1");
    }

    #[test]
    fn several_nodes_take_participants_in_turn() {
        let target = Target {
            url: "ws://a/ws/{room},ws://b/ws/{room},ws://c/ws/{room}".into(),
            protocol: Protocol::YWebsocket,
        };
        let urls: Vec<String> = (0..4).map(|slot| target.url_for("r", slot)).collect();
        assert_eq!(
            urls,
            ["ws://a/ws/r", "ws://b/ws/r", "ws://c/ws/r", "ws://a/ws/r"]
        );
    }
}
