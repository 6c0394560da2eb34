//! Where rooms live between connections: an append-only update log per room plus compacted
//! checkpoints, behind one trait so that the embedded store and Redis are interchangeable.
//! Each backend is a folder: `embedded/` (redb, the default) and `redis/` (`--redis-url`),
//! each with its sessions in `sessions.rs`.
//!
//! The contract every backend keeps (checked by the contract tests in `server/tests`):
//! - sequence numbers start at 1 and are consecutive per room; `append` assigns them;
//! - an appended record is durable when `append` returns, and is never rewritten;
//! - a checkpoint covers the log up to its `covers` sequence; saving an older checkpoint than
//!   the stored one is ignored; checkpoints never delete log records;
//! - `load` returns the newest checkpoint and every record after it, in order;
//! - `follow` returns records appended after a position by anyone (every node of a shared
//!   store), in order, waiting a bounded time for one to arrive;
//! - keyframes are kept (never replaced) for seeking through history; saving one twice for
//!   the same position stores it once;
//! - keyed records (`records.rs`) are found by scope, kind and key, listed by key, and a record
//!   added only if absent is stored once.

mod embedded;
mod records;
mod redis;
mod sessions;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

pub use self::embedded::{EmbeddedStorage, DEFAULT_EMBEDDED_CACHE_MIB};
// `self::`: the module shares its name with the `redis` crate.
pub use self::records::{RecordBackend, RecordKind};
pub use self::redis::{
    InvalidRedisPrefix, RedisOptions, RedisStorage, RedisTlsError, RedisTlsFiles,
};
pub use self::sessions::{Journal, SessionBackend, Versioned};

use crate::room_id::RoomId;

/// Position of a record in a room's update log (1 for the first record).
pub type Seq = u64;

/// Who sent an update: researchers replay the log per participant, and a node recognises the
/// records its own connections sent when it reads them back from the shared log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The node (server process) that accepted the update; unique per process start.
    pub node: String,
    /// The connection id on that node (as in its logs).
    pub connection: u64,
    /// The participant's pseudonymous id, once sessions identify participants.
    pub participant: Option<String>,
}

/// The connection id of records the server wrote itself (a template's seed, moderation
/// edits), in the name of the participant who asked for them. Real connections count from 1.
pub const SERVER_EDIT: u64 = 0;

/// The connection id of records that reveal a participant's private drafts (issue 27): the
/// server writes them at the reveal, in the name of the participant who wrote the drafts, who
/// then owns them as if typed on the board (receipts, erasure). No connection has this id.
pub const REVEALED_DRAFTS: u64 = u64::MAX;

/// An update to append, before the log gives it a sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    /// Server time the update was accepted, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub origin: Origin,
    /// The Yjs update, v1 encoding, exactly as received.
    pub update: Bytes,
}

/// A record of the update log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub seq: Seq,
    pub at_ms: u64,
    pub origin: Origin,
    pub update: Bytes,
}

/// The whole document state as of one log position, so loading need not replay the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last log sequence number merged into `state` (0 when the log was empty).
    pub covers: Seq,
    /// `encode_state_as_update_v1` of the document at that point.
    pub state: Bytes,
}

/// Where a keyframe sits in the log: seeking by sequence number or by time picks the
/// keyframe to start from by these, without reading any state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyframeAt {
    /// The last log sequence number merged into the keyframe's state.
    pub covers: Seq,
    /// Server time of that record (ms since the epoch).
    pub at_ms: u64,
}

/// What loading a room returns: start from the checkpoint, then apply the records in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredRoom {
    pub checkpoint: Option<Checkpoint>,
    pub records: Vec<LogRecord>,
}

/// A storage failure. Rooms treat every one as "not durable" and never acknowledge the update.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("embedded store: {0}")]
    Embedded(#[from] redb::Error),
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error(transparent)]
    InvalidRedisPrefix(#[from] InvalidRedisPrefix),
    #[error(transparent)]
    RedisTls(#[from] RedisTlsError),
    /// A blocking read's answer did not arrive in time (Redis unreachable or overloaded).
    #[error("redis did not answer within {0:?}")]
    Unanswered(std::time::Duration),
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("storage task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The embedded store's writer thread is gone (it panicked); nothing more can be stored.
    #[error("the embedded store's writer thread stopped")]
    WriterStopped,
}

/// What storage calls return: every backend fails with a [`StorageError`].
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// The storage every backend implements: rooms' update logs and checkpoints here, sessions
/// in [`SessionBackend`], other small records in [`RecordBackend`].
#[async_trait]
pub trait Storage: SessionBackend + RecordBackend {
    /// The newest checkpoint of a room and every record after it (empty for a new room).
    async fn load(&self, room: &RoomId) -> Result<StoredRoom>;
    /// Appends records atomically and durably; returns the sequence number of the last one.
    async fn append(&self, room: &RoomId, records: Vec<NewRecord>) -> Result<Seq>;
    /// Stores a checkpoint unless a newer one is already stored.
    async fn save_checkpoint(&self, room: &RoomId, checkpoint: Checkpoint) -> Result<()>;
    /// Up to `limit` records after `after`, waiting up to `wait` for the first one to be
    /// appended (by this node or any other); empty if none arrived in time. Rooms follow their
    /// log with this, so that every node applies every update in log order.
    async fn follow(
        &self,
        room: &RoomId,
        after: Seq,
        limit: usize,
        wait: std::time::Duration,
    ) -> Result<Vec<LogRecord>>;
    /// Up to `limit` records with sequence numbers greater than `after`, in order.
    async fn read_log(&self, room: &RoomId, after: Seq, limit: usize) -> Result<Vec<LogRecord>>;
    /// Keeps the document state as of a log position, for seeking through the room's history
    /// (`history`): a seek then replays at most the records between two keyframes.
    async fn save_keyframe(&self, room: &RoomId, at: KeyframeAt, state: Bytes) -> Result<()>;
    /// Every keyframe position of a room, by ascending `covers`.
    async fn keyframes(&self, room: &RoomId) -> Result<Vec<KeyframeAt>>;
    /// The state stored for the keyframe covering `covers`.
    async fn keyframe_state(&self, room: &RoomId, covers: Seq) -> Result<Option<Bytes>>;
    /// Connections to a storage server found dead and reopened (`/metrics`).
    fn reconnects(&self) -> u64 {
        0
    }
    /// Fails when the store cannot currently serve requests (`/readyz`).
    async fn check(&self) -> Result<()>;
}

/// The storage handle shared by every room of a node.
pub type SharedStorage = Arc<dyn Storage>;
