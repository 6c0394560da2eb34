//! One room: the task that owns a room's Yjs document and awareness, logs every update before
//! anyone sees it, and fans updates and presence out to the room's members.
//!
//! Life of an update: a member's connection decodes it and sends it here; the room queues it
//! for the log; when the log confirms the append, the room applies the update to its
//! document and sends the same encoded frame to every other member. While one append is in
//! flight the next batch gathers, so a busy room commits many updates per fsync.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cocreate_protocol::{close, decode_update, AwarenessUpdate, Message, SyncMessage};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};
use yrs::sync::Awareness;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, IdSet, ReadTxn, StateVector, Transact, Update};

use crate::outbox::Outbox;
use crate::registry::Registration;
use crate::room_id::RoomId;
use crate::storage::{Checkpoint, NewRecord, Origin, Seq, SharedStorage, StorageError};

/// Commands waiting for a room before senders feel backpressure.
const COMMAND_CAPACITY: usize = 1024;

/// How long presence changes gather before they go out as one merged message. Cursor
/// traffic grows with viewers × movers; merging per tick keeps it to one frame per member.
pub const AWARENESS_TICK: Duration = Duration::from_millis(50);

/// Log records after which a checkpoint is written, so loading replays at most this many.
pub const CHECKPOINT_EVERY_RECORDS: u64 = 1000;

/// Logged bytes after which a checkpoint is written, whatever the record count.
pub const CHECKPOINT_EVERY_BYTES: u64 = 4 * 1024 * 1024;

/// What a member sends its room.
#[derive(Debug)]
pub enum Inbound {
    /// Sync step 1: the member's state vector; answered with step 2.
    SyncStep1(StateVector),
    /// An update (sync step 2 or update), already decoded; whether it applies is known only
    /// once it is applied.
    Update { update: Update, bytes: Bytes },
    /// Presence of the member's clients.
    Awareness(AwarenessUpdate),
    /// A request for every current presence state.
    QueryAwareness,
}

/// Why a join failed for good (a dropped reply instead means "room closing, try again").
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("room could not be loaded: {0}")]
    Load(Arc<StorageError>),
}

enum Command {
    Join {
        conn: u64,
        outbox: Outbox,
        reply: oneshot::Sender<Result<(), JoinError>>,
    },
    Leave {
        conn: u64,
    },
    Inbound {
        conn: u64,
        message: Inbound,
    },
}

/// A connection's way into a room task.
#[derive(Clone, Debug)]
pub struct RoomHandle {
    tx: mpsc::Sender<Command>,
}

/// What became of a join that did not fail.
#[derive(Debug, PartialEq, Eq)]
pub enum Joined {
    /// The connection is a member and its initial sync messages are queued.
    Member,
    /// The room was unloading: join again through the registry, which loads a fresh room.
    RoomUnloading,
}

/// The room task is gone; the caller should join again.
#[derive(Debug, thiserror::Error)]
#[error("room closed")]
pub struct RoomClosed;

impl RoomHandle {
    /// Joins the room.
    pub async fn join(&self, conn: u64, outbox: Outbox) -> Result<Joined, JoinError> {
        let (reply, answer) = oneshot::channel();
        if self
            .tx
            .send(Command::Join {
                conn,
                outbox,
                reply,
            })
            .await
            .is_err()
        {
            return Ok(Joined::RoomUnloading);
        }
        match answer.await {
            Ok(result) => result.map(|()| Joined::Member),
            Err(_) => Ok(Joined::RoomUnloading),
        }
    }

    /// Hands a member's message to the room, waiting if the room is busy.
    pub async fn send(&self, conn: u64, message: Inbound) -> Result<(), RoomClosed> {
        self.tx
            .send(Command::Inbound { conn, message })
            .await
            .map_err(|_| RoomClosed)
    }

    /// Leaves the room; sent once per joined connection when it ends (see `ws::Membership`).
    pub async fn leave(&self, conn: u64) {
        let _ = self.tx.send(Command::Leave { conn }).await;
    }
}

/// Starts a room task that loads the room from storage and then serves joins.
pub(crate) fn spawn(
    id: RoomId,
    storage: SharedStorage,
    node: Arc<str>,
    registration: Registration,
) -> (RoomHandle, impl std::future::Future<Output = ()>) {
    let (tx, rx) = mpsc::channel(COMMAND_CAPACITY);
    (RoomHandle { tx }, run(id, storage, node, registration, rx))
}

async fn run(
    id: RoomId,
    storage: SharedStorage,
    node: Arc<str>,
    registration: Registration,
    mut rx: mpsc::Receiver<Command>,
) {
    let started = Instant::now();
    match load(&id, &storage).await {
        Ok((doc, committed)) => {
            info!(room = %id, seq = committed, ms = started.elapsed().as_millis() as u64, "room loaded");
            let mut room = Room::new(id, doc, committed, storage, node, registration);
            room.serve(&mut rx).await;
            room.registration.release();
            // Commands already queued are dropped: joiners see that and join a fresh room.
            rx.close();
            room.unload().await;
        }
        Err(e) => {
            error!(room = %id, error = %e, "room could not be loaded");
            let e = Arc::new(e);
            registration.release();
            rx.close();
            while let Some(command) = rx.recv().await {
                if let Command::Join { reply, .. } = command {
                    let _ = reply.send(Err(JoinError::Load(e.clone())));
                }
            }
        }
    }
}

/// Rebuilds a room's document from its checkpoint and the log after it.
async fn load(id: &RoomId, storage: &SharedStorage) -> Result<(Doc, Seq), StorageError> {
    let mut stored = storage.load(id).await?;
    let mut doc = Doc::new();
    let mut committed = 0;
    if let Some(checkpoint) = stored.checkpoint {
        committed = checkpoint.covers;
        if !apply_stored(id, &doc, &checkpoint.state, "checkpoint") {
            // The log holds everything the checkpoint did: rebuild from it instead.
            warn!(room = %id, covers = checkpoint.covers, "replaying the whole log instead of the checkpoint");
            doc = Doc::new();
            committed = 0;
            stored.records = storage.read_log(id, 0, usize::MAX).await?;
        }
    }
    for record in stored.records {
        committed = record.seq;
        apply_stored(id, &doc, &record.update, "log record");
    }
    Ok((doc, committed))
}

/// Applies a stored update; says whether it applied. A log record that fails was refused live
/// in the same way and never fanned out, so skipping it reproduces what clients saw.
fn apply_stored(id: &RoomId, doc: &Doc, bytes: &[u8], what: &str) -> bool {
    let outcome = decode_update(bytes)
        .map_err(|e| e.to_string())
        .and_then(|update| apply(doc, update).map_err(|e| e.to_string()));
    if let Err(e) = &outcome {
        warn!(room = %id, what, error = %e, "skipped stored update that does not apply");
    }
    outcome.is_ok()
}

/// Why an update could not be applied.
#[derive(Debug, thiserror::Error)]
enum ApplyError {
    #[error("{0}")]
    Refused(#[from] yrs::error::UpdateError),
    /// yrs panicked mid-transaction: the document can no longer be trusted.
    #[error("yrs panicked while applying the update")]
    Panicked,
}

/// Applies an update, catching a panic inside yrs so that it cannot take the room task down.
fn apply(doc: &Doc, update: Update) -> Result<(), ApplyError> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| doc.transact_mut().apply_update(update))) {
        Ok(result) => Ok(result?),
        Err(_) => Err(ApplyError::Panicked),
    }
}

/// A connection in the room.
struct Member {
    outbox: Outbox,
}

/// An update waiting for the log.
struct PendingUpdate {
    conn: u64,
    at_ms: u64,
    update: Update,
    bytes: Bytes,
}

/// The in-flight append and the updates it carries.
struct InFlight {
    batch: Vec<PendingUpdate>,
    append: JoinHandle<Result<Seq, StorageError>>,
}

struct Room {
    id: RoomId,
    /// Owns the room's document (`awareness.doc()`) and every member's presence state.
    awareness: Awareness,
    members: HashMap<u64, Member>,
    /// Which connection last set each awareness client's state; its states are removed for
    /// everyone when it leaves. A Yjs client that reconnects keeps its client id, so only the
    /// newest connection owns it.
    awareness_owners: HashMap<ClientID, u64>,
    /// Deletions the document knows, computed on demand to recognise a sync step 2 that only
    /// repeats them (sent on every reconnect); cleared when the document changes.
    known_deletions: Option<IdSet>,
    storage: SharedStorage,
    /// This node's id, stamped on the records it appends.
    node: Arc<str>,
    registration: Registration,
    /// Updates received while an append is in flight: the next batch.
    queued: Vec<PendingUpdate>,
    in_flight: Option<InFlight>,
    /// Last log sequence number merged into the document.
    committed: Seq,
    /// The log position and size covered by the newest checkpoint this room knows of.
    checkpointed: Seq,
    bytes_since_checkpoint: u64,
    checkpoint_in_flight: Option<JoinHandle<()>>,
    /// Encoded sync step 1 and full-state step 2, reused until the document changes, so that
    /// a crowd joining an unchanged room costs one encoding.
    step1_frame: Option<Bytes>,
    full_state_frame: Option<Bytes>,
    /// Presence changes not yet sent, and when they go out.
    awareness_changed: HashSet<ClientID>,
    awareness_due: Option<Instant>,
    /// Set when storage or the document failed: the room only closes from then on.
    failed: bool,
}

impl Room {
    fn new(
        id: RoomId,
        doc: Doc,
        committed: Seq,
        storage: SharedStorage,
        node: Arc<str>,
        registration: Registration,
    ) -> Self {
        Room {
            id,
            awareness: Awareness::new(doc),
            members: HashMap::new(),
            awareness_owners: HashMap::new(),
            known_deletions: None,
            storage,
            node,
            registration,
            queued: Vec::new(),
            in_flight: None,
            committed,
            checkpointed: committed,
            bytes_since_checkpoint: 0,
            checkpoint_in_flight: None,
            step1_frame: None,
            full_state_frame: None,
            awareness_changed: HashSet::new(),
            awareness_due: None,
            failed: false,
        }
    }

    /// Serves commands until the last member has left and every update is in the log.
    async fn serve(&mut self, rx: &mut mpsc::Receiver<Command>) {
        let mut joined = false;
        loop {
            let awareness_due = self.awareness_due;
            tokio::select! {
                command = rx.recv() => match command {
                    Some(command) => {
                        joined |= matches!(command, Command::Join { .. });
                        self.handle(command);
                    }
                    None => return,
                },
                result = append_done(&mut self.in_flight) => {
                    self.committed(result);
                }
                _ = tokio::time::sleep_until(awareness_due.unwrap_or_else(Instant::now)), if awareness_due.is_some() => {
                    self.flush_awareness();
                }
            }
            if joined
                && self.members.is_empty()
                && self.in_flight.is_none()
                && self.queued.is_empty()
            {
                return;
            }
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Join {
                conn,
                outbox,
                reply,
            } => self.join(conn, outbox, reply),
            Command::Leave { conn } => self.leave(conn),
            Command::Inbound { conn, message } => {
                if self.members.contains_key(&conn) && !self.failed {
                    self.inbound(conn, message);
                }
            }
        }
    }

    fn join(&mut self, conn: u64, outbox: Outbox, reply: oneshot::Sender<Result<(), JoinError>>) {
        if self.failed {
            drop(reply); // unreachable once released; a joiner that still got here retries
            return;
        }
        outbox.send(self.step1_frame());
        if let Some(frame) = self.full_awareness_frame() {
            outbox.send(frame);
        }
        self.members.insert(conn, Member { outbox });
        if reply.send(Ok(())).is_err() {
            self.members.remove(&conn); // the joiner is gone already
            return;
        }
        debug!(room = %self.id, conn, members = self.members.len(), "joined");
    }

    fn leave(&mut self, conn: u64) {
        if self.members.remove(&conn).is_none() {
            return;
        }
        let owned: Vec<ClientID> = self
            .awareness_owners
            .iter()
            .filter(|(_, owner)| **owner == conn)
            .map(|(client, _)| *client)
            .collect();
        for client in owned {
            self.awareness_owners.remove(&client);
            self.awareness.remove_state(client);
            self.awareness_changed.insert(client);
        }
        self.schedule_awareness();
        debug!(room = %self.id, conn, members = self.members.len(), "left");
    }

    fn inbound(&mut self, conn: u64, message: Inbound) {
        match message {
            Inbound::SyncStep1(sv) => {
                let frame = if sv.is_empty() {
                    self.full_state_frame()
                } else {
                    self.step2_frame(&sv)
                };
                self.send_to(conn, frame);
            }
            Inbound::Update { update, bytes } => {
                if self.repeats_known_state(&update) {
                    return; // e.g. a reconnecting client's step 2: nothing to log or relay
                }
                self.queued.push(PendingUpdate {
                    conn,
                    at_ms: now_ms(),
                    update,
                    bytes,
                });
                self.start_append();
            }
            Inbound::Awareness(update) => self.awareness_update(conn, update),
            Inbound::QueryAwareness => {
                if let Some(frame) = self.full_awareness_frame() {
                    self.send_to(conn, frame);
                }
            }
        }
    }

    /// Whether an update carries no blocks and only deletions the document already has. Updates
    /// with blocks are always kept: telling a redundant block from one past a gap is yrs's job.
    fn repeats_known_state(&mut self, update: &Update) -> bool {
        if !update.state_vector_lower().is_empty() {
            return false;
        }
        let deletions = update.delete_set();
        if deletions.is_empty() {
            return true;
        }
        let doc = self.awareness.doc();
        let known = self
            .known_deletions
            .get_or_insert_with(|| doc.transact().snapshot().delete_set);
        deletions.diff(known).is_empty()
    }

    /// Sends the queued updates to the log unless an append is already in flight.
    fn start_append(&mut self) {
        if self.in_flight.is_some() || self.queued.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.queued);
        let records = batch
            .iter()
            .map(|p| NewRecord {
                at_ms: p.at_ms,
                origin: Origin {
                    node: self.node.to_string(),
                    connection: p.conn,
                    participant: None,
                },
                update: p.bytes.clone(),
            })
            .collect();
        let storage = self.storage.clone();
        let id = self.id.clone();
        let append = tokio::spawn(async move { storage.append(&id, records).await });
        self.in_flight = Some(InFlight { batch, append });
    }

    /// The log confirmed (or refused) the in-flight batch.
    fn committed(&mut self, result: Result<Result<Seq, StorageError>, tokio::task::JoinError>) {
        let Some(InFlight { batch, .. }) = self.in_flight.take() else {
            return;
        };
        let last = match result.map_err(StorageError::from).and_then(|r| r) {
            Ok(last) => last,
            Err(e) => {
                error!(room = %self.id, error = %e, updates = batch.len(), "update log append failed; closing room");
                self.fail(
                    "storage unavailable: your changes were not saved; reconnect to resend them",
                );
                return;
            }
        };
        let Some(first) = (last + 1).checked_sub(batch.len() as u64) else {
            error!(room = %self.id, last, updates = batch.len(), "storage returned an impossible sequence number");
            self.fail("internal error: the room is reloading, reconnect");
            return;
        };
        for (seq, pending) in (first..=last).zip(batch) {
            self.bytes_since_checkpoint += pending.bytes.len() as u64;
            self.committed = seq;
            if let Err(e) = apply(self.awareness.doc(), pending.update) {
                warn!(room = %self.id, conn = pending.conn, seq, error = %e, "update refused");
                if matches!(e, ApplyError::Panicked) {
                    self.fail("internal error: the room is reloading, reconnect");
                    return;
                }
                if let Some(member) = self.members.get(&pending.conn) {
                    member
                        .outbox
                        .close(close::INVALID_PAYLOAD, format!("update refused: {e}"));
                }
                continue;
            }
            let frame = encode(&Message::Sync(SyncMessage::Update(pending.bytes.to_vec())));
            for (conn, member) in &self.members {
                if *conn != pending.conn {
                    member.outbox.send(frame.clone());
                }
            }
        }
        self.step1_frame = None;
        self.full_state_frame = None;
        self.known_deletions = None;
        self.maybe_checkpoint();
        self.start_append();
    }

    /// Closes every member after a failure and leaves the registry, so that they (and anyone
    /// else) reconnect to a freshly loaded room.
    fn fail(&mut self, reason: &str) {
        self.failed = true;
        self.registration.release();
        self.queued.clear();
        for member in self.members.values() {
            member.outbox.close(close::INTERNAL_ERROR, reason);
        }
    }

    fn awareness_update(&mut self, conn: u64, update: AwarenessUpdate) {
        let summary = match self.awareness.apply_update_summary(update) {
            Ok(Some(summary)) => summary,
            Ok(None) => return,
            Err(e) => {
                warn!(room = %self.id, conn, error = %e, "awareness update refused");
                return;
            }
        };
        // Only entries yrs accepted change hands; stale ones are ignored, as yrs ignored them.
        for &client in summary.added.iter().chain(&summary.updated) {
            self.awareness_owners.insert(client, conn);
        }
        for client in &summary.removed {
            self.awareness_owners.remove(client);
        }
        self.awareness_changed.extend(summary.all_changes());
        self.schedule_awareness();
    }

    fn schedule_awareness(&mut self) {
        if !self.awareness_changed.is_empty() && self.awareness_due.is_none() {
            self.awareness_due = Some(Instant::now() + AWARENESS_TICK);
        }
    }

    /// Sends the presence changes of the last tick to every member as one message.
    fn flush_awareness(&mut self) {
        self.awareness_due = None;
        let changed = std::mem::take(&mut self.awareness_changed);
        match self.awareness.update_with_clients(changed) {
            Ok(update) => {
                let frame = encode(&Message::Awareness(update));
                for member in self.members.values() {
                    member.outbox.send(frame.clone());
                }
            }
            Err(e) => error!(room = %self.id, error = %e, "could not encode awareness"),
        }
    }

    fn send_to(&self, conn: u64, frame: Bytes) {
        if let Some(member) = self.members.get(&conn) {
            member.outbox.send(frame);
        }
    }

    fn step1_frame(&mut self) -> Bytes {
        let doc = self.awareness.doc();
        self.step1_frame
            .get_or_insert_with(|| {
                encode(&Message::Sync(SyncMessage::SyncStep1(
                    doc.transact().state_vector(),
                )))
            })
            .clone()
    }

    fn full_state_frame(&mut self) -> Bytes {
        let doc = self.awareness.doc();
        self.full_state_frame
            .get_or_insert_with(|| step2(doc, &StateVector::default()))
            .clone()
    }

    fn step2_frame(&self, sv: &StateVector) -> Bytes {
        step2(self.awareness.doc(), sv)
    }

    fn full_awareness_frame(&self) -> Option<Bytes> {
        let update = self.awareness.update().ok()?;
        (!update.clients.is_empty()).then(|| encode(&Message::Awareness(update)))
    }

    /// Writes a checkpoint in the background once enough has been logged since the last one.
    fn maybe_checkpoint(&mut self) {
        let since = self.committed - self.checkpointed;
        let due = since >= CHECKPOINT_EVERY_RECORDS
            || self.bytes_since_checkpoint >= CHECKPOINT_EVERY_BYTES;
        if !due
            || self
                .checkpoint_in_flight
                .as_ref()
                .is_some_and(|task| !task.is_finished())
        {
            return;
        }
        let save = self.checkpoint();
        self.checkpoint_in_flight = Some(tokio::spawn(save));
    }

    /// Encodes a checkpoint of the current document and returns the work that stores it.
    fn checkpoint(&mut self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let state = Bytes::from(
            self.awareness
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default()),
        );
        let checkpoint = Checkpoint {
            covers: self.committed,
            state,
        };
        self.checkpointed = self.committed;
        self.bytes_since_checkpoint = 0;
        let (storage, id) = (self.storage.clone(), self.id.clone());
        async move {
            let covers = checkpoint.covers;
            match storage.save_checkpoint(&id, checkpoint).await {
                Ok(()) => debug!(room = %id, covers, "checkpoint saved"),
                // The log still holds everything; loading just replays more of it.
                Err(e) => warn!(room = %id, covers, error = %e, "checkpoint failed"),
            }
        }
    }

    /// Stores a final checkpoint so that the next load is fast, then lets the room go.
    async fn unload(mut self) {
        if let Some(task) = self.checkpoint_in_flight.take() {
            let _ = task.await;
        }
        if self.committed > self.checkpointed && !self.failed {
            self.checkpoint().await;
        }
        info!(room = %self.id, seq = self.committed, "room unloaded");
    }
}

/// Resolves when the in-flight append finishes; never, when none is in flight.
async fn append_done(
    in_flight: &mut Option<InFlight>,
) -> Result<Result<Seq, StorageError>, tokio::task::JoinError> {
    match in_flight {
        Some(in_flight) => (&mut in_flight.append).await,
        None => std::future::pending().await,
    }
}

fn step2(doc: &Doc, sv: &StateVector) -> Bytes {
    encode(&Message::Sync(SyncMessage::SyncStep2(
        doc.transact().encode_state_as_update_v1(sv),
    )))
}

fn encode(message: &Message) -> Bytes {
    Bytes::from(message.encode_v1())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
