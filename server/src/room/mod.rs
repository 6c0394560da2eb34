//! One room: the task that owns a room's Yjs document and awareness, logs every update before
//! anyone sees it, and fans updates and presence out to the room's members.
//!
//! Life of an update: a member's connection decodes it and sends it here; the room queues it
//! for the log ([`append`]); once the append is durable the sender is told ("saved"). The
//! room's follower ([`follow`]) reads every new log record, whichever node appended it, and
//! the room applies it to its document and sends the same encoded frame to every member but
//! its sender. So the document is always a prefix of the log, and every node of a shared
//! store converges on the same document.

mod append;
mod follow;
mod presence;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cocreate_protocol::{close, cocreate, AwarenessUpdate, Message, SyncMessage};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};
use yrs::sync::Awareness;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, IdSet, ReadTxn, StateVector, Transact, Update};

use cocreate_board::{apply_bytes, ApplyError};

use self::append::{AppendEvent, AppendQueue, PendingUpdate};
use self::presence::Presence;
use crate::bus::{BusEvent, PresenceKind, PresenceMessage, PresenceSubscription, SharedBus};
use crate::limits::Limit;
use crate::metrics::SharedMetrics;
use crate::outbox::Outbox;
use crate::registry::Registration;
use crate::room_id::RoomId;
use crate::session::store::SessionStore;
use crate::session::{now_ms, Identity, Session, SessionState};
use crate::storage::{
    Checkpoint, KeyframeAt, LogRecord, Seq, SharedStorage, Storage, StorageError,
};

pub use self::append::PENDING_LIMIT_BYTES;
pub use self::presence::AWARENESS_TICK;

/// Commands waiting for a room before senders feel backpressure.
const COMMAND_CAPACITY: usize = 1024;

/// When a room writes a checkpoint: after this many log records or bytes since the last one,
/// whichever comes first. A checkpoint bounds what a load replays; writing one costs encoding
/// the whole document.
#[derive(Clone, Copy, Debug)]
pub struct CheckpointPolicy {
    pub every_records: u64,
    pub every_bytes: u64,
}
/// What every room of a node shares.
#[derive(Clone)]
pub struct RoomContext {
    pub storage: SharedStorage,
    /// The presence bus, when several nodes share the store.
    pub bus: Option<SharedBus>,
    /// This node's id: stamped on the records and presence it sends, and how it recognises
    /// its own among what it reads back.
    pub node: Arc<str>,
    pub checkpoints: CheckpointPolicy,
    pub metrics: SharedMetrics,
    /// `--max-document-bytes`: updates that would make the document larger are refused.
    pub max_document_bytes: u64,
}

/// How often relayed presence is checked for states that stopped being renewed.
const EXPIRE_REMOTE_EVERY: Duration = Duration::from_secs(5);

/// What a member sends its room.
#[derive(Debug)]
pub enum Inbound {
    /// Sync step 1: the member's state vector; answered with step 2.
    SyncStep1(StateVector),
    /// An update, already decoded; whether it applies is known only once it is applied.
    /// `step2` marks a sync step 2, which often repeats what the room has (on reconnects).
    Update {
        update: Update,
        bytes: Bytes,
        step2: bool,
    },
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
        /// Who the connection's token names; `None` in an open room.
        identity: Option<Identity>,
        reply: oneshot::Sender<Result<(), JoinError>>,
    },
    Leave {
        conn: u64,
    },
    Inbound {
        conn: u64,
        message: Inbound,
    },
    /// New log records, in order, from the follower.
    Logged(Vec<LogRecord>),
    /// The follower met a record it cannot read; it has stopped.
    LogUnreadable(String),
    /// The room's session changed (`event` names how, for clients); `reply` once every
    /// member's access follows the new state.
    Session {
        session: Arc<Session>,
        event: String,
        reply: Option<oneshot::Sender<()>>,
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
    pub async fn join(
        &self,
        conn: u64,
        outbox: Outbox,
        identity: Option<Identity>,
    ) -> Result<Joined, JoinError> {
        let (reply, answer) = oneshot::channel();
        if self
            .tx
            .send(Command::Join {
                conn,
                outbox,
                identity,
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

    /// Tells the room its session changed; returns once its members' access follows it.
    pub async fn session_changed(&self, session: Arc<Session>, event: &str) {
        let (reply, done) = oneshot::channel();
        let command = Command::Session {
            session,
            event: event.to_owned(),
            reply: Some(reply),
        };
        if self.tx.send(command).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Leaves the room; sent once per joined connection when it ends (see `ws::Membership`).
    pub async fn leave(&self, conn: u64) {
        let _ = self.tx.send(Command::Leave { conn }).await;
    }
}

/// Starts a room task that loads the room from storage and then serves joins.
pub(crate) fn spawn(
    id: RoomId,
    context: RoomContext,
    registration: Registration,
) -> (RoomHandle, impl std::future::Future<Output = ()>) {
    let (tx, rx) = mpsc::channel(COMMAND_CAPACITY);
    (
        RoomHandle { tx: tx.clone() },
        run(id, context, registration, tx, rx),
    )
}

async fn run(
    id: RoomId,
    context: RoomContext,
    registration: Registration,
    tx: mpsc::Sender<Command>,
    mut rx: mpsc::Receiver<Command>,
) {
    let started = Instant::now();
    let storage = context.storage.clone();
    let loaded = async {
        let session = SessionStore::new(storage.clone()).get(id.as_str()).await?;
        Ok::<_, StorageError>((
            session.map(Arc::new),
            load_document(&id, storage.as_ref()).await?,
        ))
    };
    match loaded.await {
        Ok((
            session,
            LoadedDocument {
                doc,
                applied,
                applied_at,
                replayed,
                stored_bytes,
                checkpoint,
            },
        )) => {
            info!(room = %id, node = %context.node, seq = applied, checkpoint, replayed, ms = started.elapsed().as_millis() as u64, "room loaded");
            let stop_following = CancellationToken::new();
            let commands = tx.downgrade();
            follow::spawn(
                storage.clone(),
                id.clone(),
                applied,
                tx,
                stop_following.clone(),
            );
            let remote_presence = subscribe_presence(&id, &context).await;
            let mut room = Room::new(id, doc, applied, checkpoint, context, registration);
            room.applied_at = applied_at;
            room.document_bytes = stored_bytes;
            room.session = session;
            room.commands = Some(commands);
            // A load that replayed much of the log leaves a checkpoint for the next one.
            room.maybe_checkpoint();
            room.serve(&mut rx, remote_presence).await;
            stop_following.cancel();
            room.registration.release();
            // Commands already queued are dropped: joiners see that and join a fresh room.
            rx.close();
            room.unload().await;
        }
        Err(e) => {
            error!(room = %id, error = %e, "room could not be loaded");
            let e = Arc::new(e);
            registration.release();
            drop(tx);
            rx.close();
            while let Some(command) = rx.recv().await {
                if let Command::Join { reply, .. } = command {
                    let _ = reply.send(Err(JoinError::Load(e.clone())));
                }
            }
        }
    }
}

/// Subscribes to the room's presence on the bus, if there is one. Without a bus, or if it
/// refuses, the room still works: presence then stays on this node.
async fn subscribe_presence(id: &RoomId, context: &RoomContext) -> Option<PresenceSubscription> {
    match context.bus.as_ref()?.subscribe(id).await {
        Ok(subscription) => Some(subscription),
        Err(e) => {
            warn!(room = %id, error = %e, "presence bus unavailable; presence stays on this node");
            None
        }
    }
}

/// A room's document as storage holds it.
pub struct LoadedDocument {
    pub doc: Doc,
    /// The last log position merged into `doc`.
    pub applied: Seq,
    /// Server time of record `applied`, when it was read (not when only a checkpoint was).
    pub applied_at: Option<u64>,
    /// Log records replayed on top of the checkpoint: what the checkpoint saved loading.
    pub replayed: usize,
    /// Bytes of the checkpoint's state and of the records replayed: the document's size as
    /// `--max-document-bytes` measures it, without encoding the document again.
    pub stored_bytes: u64,
    /// The log position the checkpoint used covered (0 without one).
    pub checkpoint: Seq,
}

/// Rebuilds a room's document from its newest checkpoint and the log after it. Rooms load
/// this way; so can tools that need a room's state without serving it.
pub async fn load_document(
    id: &RoomId,
    storage: &dyn Storage,
) -> Result<LoadedDocument, StorageError> {
    let mut stored = storage.load(id).await?;
    let mut doc = Doc::new();
    let mut checkpoint = 0;
    let mut stored_bytes = 0;
    if let Some(stored_checkpoint) = stored.checkpoint {
        checkpoint = stored_checkpoint.covers;
        stored_bytes = stored_checkpoint.state.len() as u64;
        if !apply_stored(id, &doc, &stored_checkpoint.state, "checkpoint") {
            // The log holds everything the checkpoint did: rebuild from it instead.
            warn!(room = %id, covers = checkpoint, "replaying the whole log instead of the checkpoint");
            doc = Doc::new();
            checkpoint = 0;
            stored_bytes = 0;
            stored.records = storage.read_log(id, 0, usize::MAX).await?;
        }
    }
    let mut applied = checkpoint;
    let mut applied_at = None;
    let replayed = stored.records.len();
    for record in stored.records {
        applied = record.seq;
        applied_at = Some(record.at_ms);
        stored_bytes += record.update.len() as u64;
        apply_stored(id, &doc, &record.update, "log record");
    }
    Ok(LoadedDocument {
        doc,
        applied,
        applied_at,
        replayed,
        stored_bytes,
        checkpoint,
    })
}

/// Applies a stored update; says whether it applied. A log record that fails was refused live
/// in the same way and never fanned out, so skipping it reproduces what clients saw.
fn apply_stored(id: &RoomId, doc: &Doc, bytes: &[u8], what: &str) -> bool {
    let outcome = apply_bytes(doc, bytes);
    if let Err(e) = &outcome {
        warn!(room = %id, what, error = %e, "skipped stored update that does not apply");
    }
    outcome.is_ok()
}

/// A connection in the room.
struct Member {
    outbox: Outbox,
    /// Who the connection is, in a session's room.
    identity: Option<Identity>,
    /// Whether its updates are accepted; read-only members' updates are dropped.
    writable: bool,
    /// Update messages received from this connection so far (the ordinal of the latest).
    received: u64,
    /// Of those, how many are still on their way into the log.
    unsaved: usize,
}

struct Room {
    id: RoomId,
    /// Owns the room's document (`awareness.doc()`) and every member's presence state.
    awareness: Awareness,
    presence: Presence,
    members: HashMap<u64, Member>,
    log: AppendQueue,
    context: RoomContext,
    registration: Registration,
    /// Last log sequence number merged into the document.
    applied: Seq,
    /// Server time of record `applied`, once known: a checkpoint with it is also a keyframe.
    applied_at: Option<u64>,
    /// The document's size: the checkpoint it was loaded or last saved from, plus every record
    /// since (an overestimate, as deletions do not shrink it until the next checkpoint).
    document_bytes: u64,
    /// The log position covered by the newest checkpoint this room wrote or loaded.
    checkpointed: Seq,
    bytes_since_checkpoint: u64,
    checkpoint_in_flight: Option<JoinHandle<()>>,
    /// Encoded sync step 1 and full-state step 2, reused until the document changes, so that
    /// a crowd joining an unchanged room costs one encoding.
    step1_frame: Option<Bytes>,
    full_state_frame: Option<Bytes>,
    /// Deletions the document knows, computed on demand to recognise a sync step 2 that only
    /// repeats them (sent on every reconnect); cleared when the document changes.
    known_deletions: Option<IdSet>,
    /// Set when the document failed: the room only closes from then on.
    failed: bool,
    /// The session this room belongs to; `None` for an open room (`--open-rooms`).
    session: Option<Arc<Session>>,
    /// The room's own command queue, for work that finishes later (rereading the session).
    commands: Option<mpsc::WeakSender<Command>>,
}

impl Room {
    fn new(
        id: RoomId,
        doc: Doc,
        applied: Seq,
        checkpointed: Seq,
        context: RoomContext,
        registration: Registration,
    ) -> Self {
        Room {
            log: AppendQueue::new(id.clone(), &context),
            id,
            awareness: Awareness::new(doc),
            presence: Presence::default(),
            members: HashMap::new(),
            context,
            registration,
            applied,
            applied_at: None,
            document_bytes: 0,
            checkpointed,
            bytes_since_checkpoint: 0,
            checkpoint_in_flight: None,
            step1_frame: None,
            full_state_frame: None,
            known_deletions: None,
            failed: false,
            session: None,
            commands: None,
        }
    }

    /// Serves commands until the last member has left and every update is in the log.
    async fn serve(
        &mut self,
        rx: &mut mpsc::Receiver<Command>,
        mut remote: Option<PresenceSubscription>,
    ) {
        let mut joined = false;
        let mut expire = tokio::time::interval(EXPIRE_REMOTE_EVERY);
        loop {
            let presence_due = self.presence.due();
            tokio::select! {
                event = next_presence(&mut remote) => match event {
                    Some(BusEvent::Subscribed) => self.publish_presence(PresenceKind::Query),
                    Some(BusEvent::Message(message)) => self.bus_message(message),
                    None => remote = None,
                },
                _ = expire.tick(), if remote.is_some() => self.presence.expire_remote(&mut self.awareness),
                command = rx.recv() => match command {
                    Some(command) => {
                        joined |= matches!(command, Command::Join { .. });
                        self.handle(command);
                    }
                    None => return,
                },
                event = self.log.next_event() => self.append_event(event),
                _ = tokio::time::sleep_until(presence_due.unwrap_or_else(Instant::now)), if presence_due.is_some() => {
                    self.broadcast_presence();
                }
            }
            if joined && self.members.is_empty() && self.log.is_idle() {
                // The last member's departure still has to reach the other nodes.
                if self.presence.due().is_some() {
                    self.broadcast_presence();
                }
                return;
            }
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Join {
                conn,
                outbox,
                identity,
                reply,
            } => self.join(conn, outbox, identity, reply),
            Command::Leave { conn } => self.leave(conn),
            Command::Inbound { conn, message } => {
                if self.members.contains_key(&conn) && !self.failed {
                    self.inbound(conn, message);
                }
            }
            Command::Logged(records) => {
                if !self.failed {
                    self.logged(records);
                }
            }
            Command::LogUnreadable(error) => {
                error!(room = %self.id, error = %error, "the update log cannot be read; closing the room");
                self.fail("internal error: the room's history cannot be read");
            }
            Command::Session {
                session,
                event,
                reply,
            } => {
                self.session_changed(session, &event);
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
            }
        }
    }

    fn join(
        &mut self,
        conn: u64,
        outbox: Outbox,
        identity: Option<Identity>,
        reply: oneshot::Sender<Result<(), JoinError>>,
    ) {
        if self.failed {
            drop(reply); // unreachable once released; a joiner that still got here retries
            return;
        }
        let writable = match (&self.session, &identity) {
            (None, _) => true,
            (Some(session), Some(identity)) => {
                if session.is_revoked(&identity.participant) {
                    outbox.close(close::POLICY_VIOLATION, REMOVED);
                    let _ = reply.send(Ok(()));
                    return;
                }
                session.can_edit(identity.role)
            }
            (Some(_), None) => false,
        };
        outbox.send(self.step1_frame());
        if let Some(frame) = self.full_awareness_frame() {
            outbox.send(frame);
        }
        if let (Some(session), Some(identity)) = (&self.session, &identity) {
            outbox.send_cocreate(session_frame(session, identity, "joined"));
            if !writable {
                outbox.send(read_only_frame(session, identity));
            }
        }
        self.members.insert(
            conn,
            Member {
                outbox,
                identity,
                writable,
                received: 0,
                unsaved: 0,
            },
        );
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
        self.presence.remove_connection(&mut self.awareness, conn);
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
            Inbound::Update {
                update,
                bytes,
                step2,
            } => self.update(conn, &update, bytes, step2),
            Inbound::Awareness(update) => {
                let update = self.bind_presence(conn, update);
                if let Err(e) = self.presence.apply_local(&mut self.awareness, conn, update) {
                    warn!(room = %self.id, conn, error = %e, "awareness update refused");
                }
            }
            Inbound::QueryAwareness => {
                if let Some(frame) = self.full_awareness_frame() {
                    self.send_to(conn, frame);
                }
            }
        }
    }

    /// Queues a member's update for the log, unless it is a sync step 2 that adds nothing.
    /// Live updates are not checked: they are new by nature, and the check costs a scan of
    /// the document's deletions after every change.
    fn update(&mut self, conn: u64, update: &Update, bytes: Bytes, step2: bool) {
        let redundant = step2 && self.repeats_known_state(update);
        let Some(member) = self.members.get_mut(&conn) else {
            return;
        };
        member.received += 1;
        if redundant || !member.writable {
            // e.g. a reconnecting client's step 2: nothing to log or relay; or a read-only
            // member's update, which is never applied, relayed or stored
            if member.unsaved == 0 {
                member
                    .outbox
                    .send_cocreate(encode(&cocreate::saved(member.received)));
            }
            return;
        }
        let limit = self.context.max_document_bytes;
        if self.document_bytes + bytes.len() as u64 > limit {
            self.context.metrics.limited(Limit::DocumentSize);
            warn!(room = %self.id, conn, bytes = self.document_bytes, "update refused: document too large");
            member.outbox.close(
                close::MESSAGE_TOO_BIG,
                format!("the board is full: its document would exceed {limit} bytes"),
            );
            return;
        }
        let pending = PendingUpdate {
            conn,
            participant: member.identity.as_ref().map(|i| i.participant.clone()),
            ordinal: member.received,
            at_ms: now_ms(),
            bytes,
        };
        match self.log.push(pending, self.applied) {
            Ok(()) => member.unsaved += 1,
            Err(append::QueueFull) => {
                warn!(room = %self.id, conn, pending = self.log.pending(), "update refused: too much waiting for storage");
                member.outbox.close(
                    close::TRY_AGAIN_LATER,
                    "storage unavailable: this change was not saved; reconnect later to resend it",
                );
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

    fn append_event(&mut self, event: AppendEvent) {
        match event {
            AppendEvent::Stored { batch, last, floor } => self.stored(batch, last, floor),
            AppendEvent::Failed { error, pending } => {
                error!(room = %self.id, error = %error, pending, "update log append failed; retrying");
            }
            AppendEvent::RetryDue => self.log.start(self.applied),
        }
    }

    /// Tells each sender in a durable batch how many of its updates are now saved.
    fn stored(&mut self, batch: Vec<PendingUpdate>, last: Seq, floor: Seq) {
        // New records always come after everything the room had applied when it appended them.
        // If not, the log went backwards (Redis restarted without persistence, or failed over
        // to a stale replica): carrying on would hide these records behind `applied`. Start
        // over from the log; clients resend what it lacks in their sync step 2.
        if (last + 1)
            .checked_sub(batch.len() as u64)
            .is_none_or(|first| first <= floor)
        {
            error!(room = %self.id, last, floor, "update log went backwards; reloading the room");
            self.fail("internal error: the room is reloading, reconnect");
            return;
        }
        // Per connection: updates in this batch, and the ordinal of the last of them.
        let mut saved: HashMap<u64, (usize, u64)> = HashMap::new();
        for pending in batch {
            let entry = saved.entry(pending.conn).or_default();
            entry.0 += 1;
            entry.1 = entry.1.max(pending.ordinal);
        }
        for (conn, (count, last)) in saved {
            let Some(member) = self.members.get_mut(&conn) else {
                continue;
            };
            member.unsaved = member.unsaved.saturating_sub(count);
            // With nothing left unsaved, updates that needed no storing are saved too.
            let through = if member.unsaved == 0 {
                member.received
            } else {
                last
            };
            member
                .outbox
                .send_cocreate(encode(&cocreate::saved(through)));
        }
        self.log.start(self.applied);
    }

    /// Applies new log records in order and relays each to every member but its sender.
    fn logged(&mut self, records: Vec<LogRecord>) {
        for record in records {
            if record.seq <= self.applied {
                continue; // already in the document (loaded, or read twice after a retry)
            }
            self.applied = record.seq;
            self.applied_at = Some(record.at_ms);
            self.document_bytes += record.update.len() as u64;
            self.bytes_since_checkpoint += record.update.len() as u64;
            let sender =
                (*record.origin.node == *self.context.node).then_some(record.origin.connection);
            if sender.is_some() {
                let accepted = Duration::from_millis(now_ms().saturating_sub(record.at_ms));
                self.context.metrics.fanout_latency.observe(accepted);
            }
            match apply_bytes(self.awareness.doc(), &record.update) {
                Ok(()) => {
                    let frame = encode(&Message::Sync(SyncMessage::Update(record.update.to_vec())));
                    for (conn, member) in &self.members {
                        if Some(*conn) != sender {
                            member.outbox.send(frame.clone());
                        }
                    }
                }
                Err(ApplyError::Panicked) => {
                    error!(room = %self.id, seq = record.seq, "yrs panicked applying a log record; reloading the room");
                    self.fail("internal error: the room is reloading, reconnect");
                    return;
                }
                Err(e) => {
                    warn!(room = %self.id, seq = record.seq, node = %record.origin.node, conn = record.origin.connection, error = %e, "update refused");
                    if let Some(member) = sender.and_then(|conn| self.members.get(&conn)) {
                        member
                            .outbox
                            .close(close::INVALID_PAYLOAD, format!("update refused: {e}"));
                    }
                }
            }
        }
        self.step1_frame = None;
        self.full_state_frame = None;
        self.known_deletions = None;
        self.maybe_checkpoint();
    }

    /// Closes every member after a failure and leaves the registry, so that they (and anyone
    /// else) reconnect to a freshly loaded room.
    fn fail(&mut self, reason: &str) {
        self.failed = true;
        self.registration.release();
        for member in self.members.values() {
            member.outbox.close(close::INTERNAL_ERROR, reason);
        }
    }

    /// Sends the presence changes of the last tick to every member as one message, and those
    /// of this node's members to the other nodes.
    fn broadcast_presence(&mut self) {
        match self.presence.take_changes(&self.awareness) {
            Ok(changes) => {
                let frame = encode(&Message::Awareness(changes.all));
                for member in self.members.values() {
                    member.outbox.send(frame.clone());
                }
                if let Some(local) = changes.local {
                    self.publish_presence(PresenceKind::Changes(Bytes::from(local.encode_v1())));
                }
            }
            Err(e) => error!(room = %self.id, error = %e, "could not encode awareness"),
        }
    }

    /// Follows the session's new state: each member's access, and what clients are told.
    /// Kicked members are closed; members that become writable get a sync step 1, so that
    /// edits the server dropped while they were read-only are sent again.
    fn session_changed(&mut self, session: Arc<Session>, event: &str) {
        if self.session.is_none() {
            return;
        }
        let step1 = self.step1_frame();
        for member in self.members.values_mut() {
            let Some(identity) = &member.identity else {
                continue;
            };
            if session.is_revoked(&identity.participant) {
                member.outbox.close(close::POLICY_VIOLATION, REMOVED);
                continue;
            }
            let writable = session.can_edit(identity.role);
            if member.writable && !writable {
                member.outbox.send(read_only_frame(&session, identity));
            } else if !member.writable && writable {
                member.outbox.send(step1.clone());
            }
            member.writable = writable;
            member
                .outbox
                .send_cocreate(session_frame(&session, identity, event));
        }
        info!(room = %self.id, event, state = ?session.state, "session changed");
        self.session = Some(session);
    }

    /// Rereads the session from storage in the background, after another node changed it.
    fn reread_session(&self, event: String) {
        let Some(commands) = self.commands.clone() else {
            return;
        };
        let (store, id) = (
            SessionStore::new(self.context.storage.clone()),
            self.id.clone(),
        );
        tokio::spawn(async move {
            match store.get(id.as_str()).await {
                Ok(Some(session)) => {
                    if let Some(commands) = commands.upgrade() {
                        let session = Arc::new(session);
                        let command = Command::Session {
                            session,
                            event,
                            reply: None,
                        };
                        let _ = commands.send(command).await;
                    }
                }
                Ok(None) => {}
                Err(e) => warn!(room = %id, error = %e, "could not reread the changed session"),
            }
        });
    }

    /// Makes a member's presence say who the member is: name, role and participant come from
    /// its token, and a client id another participant's connection owns cannot be taken over.
    fn bind_presence(&self, conn: u64, mut update: AwarenessUpdate) -> AwarenessUpdate {
        let Some(identity) = self.members.get(&conn).and_then(|m| m.identity.as_ref()) else {
            return update;
        };
        update
            .clients
            .retain(|client, _| match self.presence.local_owner(*client) {
                Some(owner) if owner != conn => self
                    .members
                    .get(&owner)
                    .and_then(|m| m.identity.as_ref())
                    .is_none_or(|other| other.participant == identity.participant),
                _ => true,
            });
        for entry in update.clients.values_mut() {
            entry.json = stamp_identity(&entry.json, identity);
        }
        update
    }

    /// Handles what another node published.
    fn bus_message(&mut self, message: PresenceMessage) {
        if *message.node == *self.context.node {
            return;
        }
        match message.kind {
            PresenceKind::Session(event) => self.reread_session(event),
            kind => self.remote_presence(kind, &message.node),
        }
    }

    /// Handles presence another node published.
    fn remote_presence(&mut self, kind: PresenceKind, node: &str) {
        match kind {
            PresenceKind::Changes(bytes) => {
                let applied = AwarenessUpdate::decode_v1(&bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|update| {
                        self.presence
                            .apply_remote(&mut self.awareness, update)
                            .map_err(|e| e.to_string())
                    });
                if let Err(e) = applied {
                    warn!(room = %self.id, node, error = %e, "presence from another node refused");
                }
            }
            PresenceKind::Query => match self.presence.local_states(&self.awareness) {
                Ok(states) if !states.clients.is_empty() => {
                    self.publish_presence(PresenceKind::Changes(Bytes::from(states.encode_v1())));
                }
                Ok(_) => {}
                Err(e) => error!(room = %self.id, error = %e, "could not encode awareness"),
            },
            PresenceKind::Session(_) => {}
        }
    }

    /// Publishes on the bus in the background; presence is best effort.
    fn publish_presence(&self, kind: PresenceKind) {
        let Some(bus) = self.context.bus.clone() else {
            return;
        };
        let message = PresenceMessage {
            node: self.context.node.to_string(),
            kind,
        };
        let id = self.id.clone();
        tokio::spawn(async move {
            if let Err(e) = bus.publish(&id, message).await {
                debug!(room = %id, error = %e, "presence not published");
            }
        });
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
        let since = self.applied - self.checkpointed;
        let policy = self.context.checkpoints;
        let due =
            since >= policy.every_records || self.bytes_since_checkpoint >= policy.every_bytes;
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

    /// Encodes a checkpoint of the current document and returns the work that stores it, as
    /// the room's newest checkpoint and as a keyframe of its history.
    fn checkpoint(&mut self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let state = Bytes::from(
            self.awareness
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default()),
        );
        self.document_bytes = state.len() as u64;
        let checkpoint = Checkpoint {
            covers: self.applied,
            state,
        };
        self.checkpointed = self.applied;
        self.bytes_since_checkpoint = 0;
        let keyframe = self.applied_at.map(|at_ms| KeyframeAt {
            covers: self.applied,
            at_ms,
        });
        let (storage, id) = (self.context.storage.clone(), self.id.clone());
        async move {
            let covers = checkpoint.covers;
            let state = checkpoint.state.clone();
            match storage.save_checkpoint(&id, checkpoint).await {
                Ok(()) => debug!(room = %id, covers, "checkpoint saved"),
                // The log still holds everything; loading just replays more of it.
                Err(e) => warn!(room = %id, covers, error = %e, "checkpoint failed"),
            }
            if let Some(keyframe) = keyframe {
                if let Err(e) = storage.save_keyframe(&id, keyframe, state).await {
                    // History seeks start from an earlier keyframe (and write this one).
                    warn!(room = %id, covers, error = %e, "keyframe failed");
                }
            }
        }
    }

    /// Stores a final checkpoint so that the next load is fast, then lets the room go.
    async fn unload(mut self) {
        if let Some(task) = self.checkpoint_in_flight.take() {
            let _ = task.await;
        }
        if self.applied > self.checkpointed && !self.failed {
            self.checkpoint().await;
        }
        info!(room = %self.id, seq = self.applied, "room unloaded");
    }
}

/// The next event from the presence bus; never, without a subscription.
async fn next_presence(subscription: &mut Option<PresenceSubscription>) -> Option<BusEvent> {
    match subscription {
        Some(subscription) => subscription.recv().await,
        None => std::future::pending().await,
    }
}

/// Close reason for a kicked participant's connections.
const REMOVED: &str = "removed from the session by a moderator";

/// The session message (type 101) for one member.
fn session_frame(session: &Session, identity: &Identity, event: &str) -> Bytes {
    let message = serde_json::json!({
        "event": event,
        "session": session.view_for(identity.role),
        "you": identity.you(session),
    });
    encode(&cocreate::session(&message.to_string()))
}

/// The protocol's permission-denied message, telling a member why it is read-only.
fn read_only_frame(session: &Session, identity: &Identity) -> Bytes {
    let reason = if !identity.role.edits() {
        format!(
            "read-only: {}s do not edit the board",
            identity.role.as_str()
        )
    } else if session.state == SessionState::Locked {
        "read-only: a moderator locked the session".to_owned()
    } else {
        "read-only: the session is closed".to_owned()
    };
    encode(&Message::Auth(Some(reason)))
}

/// An awareness state with `user.name`, `user.role` and `user.participant` set from the
/// token. `null` (a removal) stays as it is; a state that is not an object becomes one.
fn stamp_identity(json: &str, identity: &Identity) -> Arc<str> {
    use serde_json::{Map, Value};
    let mut state = match serde_json::from_str::<Value>(json) {
        Ok(Value::Null) => return Arc::from(json),
        Ok(Value::Object(state)) => state,
        _ => Map::new(),
    };
    let user = state
        .entry("user")
        .or_insert_with(|| Value::Object(Map::new()));
    if !user.is_object() {
        *user = Value::Object(Map::new());
    }
    if let Value::Object(user) = user {
        user.insert("name".into(), Value::from(identity.name.as_str()));
        user.insert("role".into(), Value::from(identity.role.as_str()));
        user.insert(
            "participant".into(),
            Value::from(identity.participant.as_str()),
        );
    }
    Arc::from(Value::Object(state).to_string())
}

fn step2(doc: &Doc, sv: &StateVector) -> Bytes {
    encode(&Message::Sync(SyncMessage::SyncStep2(
        doc.transact().encode_state_as_update_v1(sv),
    )))
}

fn encode(message: &Message) -> Bytes {
    Bytes::from(message.encode_v1())
}
